# Makefile: the one build of sprout.
#   make            release binary build/release/sprout (-O2)
#   make debug      build/debug/sprout with AddressSanitizer + UndefinedBehaviorSanitizer
#   make units      C unit tests (sanitizer build) into build/debug/tests/, and the test-only
#                   programs of tests/drivers/ (driven by pytest) into build/debug/drivers/
#   make test       everything tests/run.sh runs (units, conformance, CLI, end to end)
#   make check      warnings as errors + banned functions + layer rules
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
# The web page (http/static.c): web/ and the vendored libraries, staged under build/web/ with a
# gzip twin of each file. The libraries come from Debian packages (scripts/install-deps.sh):
# libjs-marked (Markdown, MIT) and node-dompurify (HTML sanitiser, Apache-2.0 or MPL-2.0).
MARKED_JS := /usr/share/javascript/marked/marked.umd.min.js
PURIFY_JS := /usr/share/nodejs/dompurify/dist/purify.min.js
WEB_SRC  := $(shell find web -type f ! -name README.md 2>/dev/null | LC_ALL=C sort)
WEB_STAGED := $(WEB_SRC:web/%=build/web/%) build/web/vendor/marked.min.js build/web/vendor/purify.min.js
WEB_FILES := $(WEB_STAGED) $(WEB_STAGED:%=%.gz)
# Files built into the binary (util/embed.h): the migrations, the agents' prompts, the web page.
EMBED_FILES := $(shell find drizzle src/agents/prompts -type f 2>/dev/null | LC_ALL=C sort) $(WEB_FILES)
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
SUPPORT_SRCS := $(shell find tests/support -name '*.c' 2>/dev/null | sort)
DRIVER_SRCS := $(shell find tests/drivers -name '*.c' 2>/dev/null | sort)

REL_OBJS := $(SRCS:%.c=build/release/%.o)
DBG_OBJS := $(SRCS:%.c=build/debug/%.o)
DBG_LIB_OBJS := $(LIB_SRCS:%.c=build/debug/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/debug/tests/%)
DRIVER_BINS := $(DRIVER_SRCS:tests/drivers/%.c=build/debug/drivers/%)

.PHONY: all release debug units test check clean
all: release
release: build/release/sprout
debug: build/debug/sprout
units: $(UNIT_BINS) $(DRIVER_BINS)

build/release/sprout: $(REL_OBJS)
	$(CC) -o $@ $^ $(PKG_LIBS)
build/debug/sprout: $(DBG_OBJS)
	$(CC) $(DBG_LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/gen/embedded.c: $(EMBED_FILES) scripts/embed.sh Makefile
	@mkdir -p $(dir $@)
	scripts/embed.sh $@ $(EMBED_FILES)
build/web/vendor/marked.min.js: $(MARKED_JS)
	@mkdir -p $(dir $@)
	cp $< $@
build/web/vendor/purify.min.js: $(PURIFY_JS)
	@mkdir -p $(dir $@)
	sed '/^\/\/# sourceMappingURL=/d' $< > $@
build/web/%.gz: build/web/%
	gzip -9 -n -c $< > $@
build/web/%: web/%
	@mkdir -p $(dir $@)
	cp $< $@
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

build/debug/drivers/%: tests/drivers/%.c $(DBG_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(DBG_FLAGS) -Itests -o $@ $< $(DBG_LIB_OBJS) $(DBG_LDFLAGS) $(PKG_LIBS)

test: release debug units
	tests/run.sh

check:
	$(MAKE) -B EXTRA_CFLAGS=-Werror release debug units
	scripts/check-source.sh

clean:
	rm -rf build

-include $(REL_OBJS:.o=.d) $(DBG_OBJS:.o=.d)
