# Makefile: the one build of sprout.
#   make            release binary build/release/sprout (-O2) and its man page build/sprout.1
#   make debug      build/debug/sprout with AddressSanitizer + UndefinedBehaviorSanitizer
#   make units      C unit tests (sanitizer build) into build/debug/tests/, and the test-only
#                   programs of tests/drivers/ (driven by pytest) into build/debug/drivers/
#   make test       everything tests/run.sh runs (units, conformance, CLI, end to end)
#   make check      warnings as errors + banned functions + layer rules + clang-format
#   make fuzz       libFuzzer targets (clang) into build/fuzz/, each run FUZZ_SECONDS (default 5)
#                   on its committed corpus tests/fuzz/corpus/<target>/; see docs/FUZZING.md
#   make man        build/sprout.1, the man page, written by the binary from its command table
#   make install    binary + man page under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default)
#   make format     clang-format the C sources (scripts/format.sh; --check lists what differs)
PKGS     := libmicrohttpd jansson libcurl sqlite3 uuid libcrypto libpq
# poppler-glib: headers only. src/extract/pdf.c dlopens it on the first PDF, so the ~80 libraries
# behind it (cairo, glib, libstdc++, nss, X11 ...) cost nothing until a PDF is extracted.
DL_PKGS  := poppler-glib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm
# libmicrohttpd's own error replies call MHD_queue_response through its PLT: the executable's
# definition (src/http/mhd_errors.c) must be exported to be the one they reach.
PKG_LIBS   += -Wl,--export-dynamic-symbol=MHD_queue_response
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion \
            -Wno-overlength-strings
BASE     := -std=c17 -D_GNU_SOURCE -Isrc -Ibuild/gen $(WARN) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
REL_FLAGS := $(BASE) -O2 -DNDEBUG -g
DBG_FLAGS := $(BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
DBG_LDFLAGS := -fsanitize=address,undefined

# The version: VERSION, plus the commit when built from a git checkout (build/gen/version.c).
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV  := $(shell git describe --always --dirty 2>/dev/null)
SPROUT_VERSION := $(VERSION)$(if $(GIT_REV), (git $(GIT_REV)))
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man

SRCS     := $(shell find src -name '*.c' | sort) build/gen/embedded.c build/gen/version.c
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
# The web page (http/static.c): web/ and the vendored libraries, staged under build/web/ with a
# gzip twin of each file. The libraries come from Debian packages (scripts/install-deps.sh):
# libjs-marked (Markdown, MIT) and node-dompurify (HTML sanitiser, Apache-2.0 or MPL-2.0).
MARKED_JS := /usr/share/javascript/marked/marked.umd.min.js
PURIFY_JS := /usr/share/nodejs/dompurify/dist/purify.min.js
WEB_SRC  := $(shell find web -type f ! -name README.md 2>/dev/null | LC_ALL=C sort)
WEB_STAGED := $(WEB_SRC:web/%=build/web/%) build/web/vendor/marked.min.js build/web/vendor/purify.min.js
WEB_FILES := $(WEB_STAGED) $(WEB_STAGED:%=%.gz)
# Files built into the binary (util/embed.h): the migrations (SQLite drizzle/, PostgreSQL
# drizzle-pg/ without its schema.ts), the agents' prompts, the web page.
EMBED_FILES := $(shell find drizzle drizzle-pg src/agents/prompts -type f ! -name '*.ts' 2>/dev/null | LC_ALL=C sort) $(WEB_FILES)
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
SUPPORT_SRCS := $(shell find tests/support -name '*.c' 2>/dev/null | sort)
DRIVER_SRCS := $(shell find tests/drivers -name '*.c' 2>/dev/null | sort)

REL_OBJS := $(SRCS:%.c=build/release/%.o)
DBG_OBJS := $(SRCS:%.c=build/debug/%.o)
DBG_LIB_OBJS := $(LIB_SRCS:%.c=build/debug/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/debug/tests/%)
DRIVER_BINS := $(DRIVER_SRCS:tests/drivers/%.c=build/debug/drivers/%)

.PHONY: all release debug units test check format clean man install uninstall FORCE fuzz fuzz-build
all: release man
release: build/release/sprout
debug: build/debug/sprout
units: $(UNIT_BINS) $(DRIVER_BINS)

build/release/sprout: $(REL_OBJS)
	$(CC) -o $@ $^ $(PKG_LIBS)
build/debug/sprout: $(DBG_OBJS)
	$(CC) $(DBG_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# storage/columns.h: every table's column list, derived from src/db/schema.c at build time
# (scripts/gen-columns.c). Rewritten only when its text changes, so an edit of schema.c that
# leaves the columns alone rebuilds nothing in storage/.
COLUMNS_H := build/gen/storage/columns.h
build/gen/gen-columns: scripts/gen-columns.c src/db/schema.c src/db/schema.h src/db/model.h
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -Isrc -Wall -Wextra -o $@ scripts/gen-columns.c src/db/schema.c
$(COLUMNS_H): build/gen/gen-columns
	@mkdir -p $(dir $@)
	@build/gen/gen-columns > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "wrote $@"; fi
$(REL_OBJS) $(DBG_OBJS) $(UNIT_BINS) $(DRIVER_BINS): | $(COLUMNS_H)

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
# rewritten only when the version changes, so that nothing relinks otherwise
build/gen/version.c: FORCE
	@mkdir -p $(dir $@)
	@printf '/* generated by the Makefile: do not edit */\nconst char sprout_build_version[] = "%s";\n' \
	    '$(SPROUT_VERSION)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
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
	scripts/format.sh --check

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

$(FUZZ_OBJS): | $(COLUMNS_H)

fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	scripts/format.sh

man: build/sprout.1
build/sprout.1: build/release/sprout
	build/release/sprout --man > $@.tmp && mv $@.tmp $@

install: build/release/sprout build/sprout.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 build/release/sprout $(DESTDIR)$(BINDIR)/sprout
	install -m 644 build/sprout.1 $(DESTDIR)$(MANDIR)/man1/sprout.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sprout $(DESTDIR)$(MANDIR)/man1/sprout.1

clean:
	rm -rf build

-include $(REL_OBJS:.o=.d) $(DBG_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
