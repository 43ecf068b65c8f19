# Makefile: the one build of sprout.
#   make            release binary build/release/sprout (-O2)
#   make debug      build/debug/sprout with AddressSanitizer + UndefinedBehaviorSanitizer
#   make units      C unit tests (sanitizer build) into build/debug/tests/
#   make test       everything tests/run.sh runs (units, conformance, CLI, end to end)
#   make check      warnings as errors + banned functions + layer rules
#   make fuzz       libFuzzer targets (clang) into build/fuzz/, each run FUZZ_SECONDS (default 5)
#                   on its committed corpus tests/fuzz/corpus/<target>/; see docs/FUZZING.md
PKGS     := libmicrohttpd jansson libcurl sqlite3 uuid libcrypto
# poppler-glib: headers only. src/extract/pdf.c dlopens it on the first PDF, so the ~80 libraries
# behind it (cairo, glib, libstdc++, nss, X11 ...) cost nothing until a PDF is extracted.
DL_PKGS  := poppler-glib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-overlength-strings
BASE     := -std=c17 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
REL_FLAGS := $(BASE) -O2 -DNDEBUG -g
DBG_FLAGS := $(BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
DBG_LDFLAGS := -fsanitize=address,undefined

SRCS     := $(shell find src -name '*.c' | sort) build/gen/embedded.c
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
# Files built into the binary (util/embed.h): the migrations and the agents' prompts.
EMBED_FILES := $(shell find drizzle src/agents/prompts -type f 2>/dev/null | LC_ALL=C sort)
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
SUPPORT_SRCS := $(shell find tests/support -name '*.c' 2>/dev/null | sort)

REL_OBJS := $(SRCS:%.c=build/release/%.o)
DBG_OBJS := $(SRCS:%.c=build/debug/%.o)
DBG_LIB_OBJS := $(LIB_SRCS:%.c=build/debug/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/debug/tests/%)

.PHONY: all release debug units test check clean fuzz fuzz-build
all: release
release: build/release/sprout
debug: build/debug/sprout
units: $(UNIT_BINS)

build/release/sprout: $(REL_OBJS)
	$(CC) -o $@ $^ $(PKG_LIBS)
build/debug/sprout: $(DBG_OBJS)
	$(CC) $(DBG_LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/gen/embedded.c: $(EMBED_FILES) scripts/embed.sh Makefile
	@mkdir -p $(dir $@)
	scripts/embed.sh $@ $(EMBED_FILES)
build/release/build/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) -c -o $@ $<
build/debug/build/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(DBG_FLAGS) -c -o $@ $<

build/release/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_FLAGS) -MMD -MP -c -o $@ $<
build/debug/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(DBG_FLAGS) -MMD -MP -c -o $@ $<

build/debug/tests/%: tests/unit/%.c $(DBG_LIB_OBJS) $(SUPPORT_SRCS)
	@mkdir -p $(dir $@)
	$(CC) $(DBG_FLAGS) -Itests -o $@ $< $(SUPPORT_SRCS) $(DBG_LIB_OBJS) $(DBG_LDFLAGS) $(PKG_LIBS)

test: release debug units
	tests/run.sh

check:
	$(MAKE) -B EXTRA_CFLAGS=-Werror release debug units
	scripts/check-source.sh

# ---- fuzzing (clang only; docs/FUZZING.md) ----
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 5
FUZZ_FLAGS   := $(filter-out -Wpedantic,$(BASE)) -O1 -g -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS    := $(LIB_SRCS:%.c=build/fuzz/%.o)
FUZZ_SRCS    := $(filter-out tests/fuzz/harness.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

build/fuzz/build/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/harness.c tests/fuzz/harness.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< tests/fuzz/harness.c \
	    $(FUZZ_OBJS) $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build

-include $(REL_OBJS:.o=.d) $(DBG_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
