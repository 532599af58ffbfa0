# odoh-edge: one static binary. Plain make; user values with ?=, required flags with +=.
#
#   make                      build ./odoh-edge with every module
#   make BUILD=DIR            build everything under DIR, the binary as DIR/odoh-edge
#   make MODULES="odoh_target" build with a subset (dependencies are added automatically)
#   make test                 unit + integration tests (installs what they need)
#   make fuzz                 libFuzzer targets (clang)
#   make format / format-check
#   make V=1                  show commands
#   make TARGET=T             a static binary for a router: T is x86_64-musl, aarch64, armhf,
#                             mipsel or mips; built in build/T, the binary is build/T/odoh-edge
#   make cross-test TARGET=T  unit tests and a smoke test of that binary under qemu-user
#   make cross-test-all       the same for every TARGET (make test checks x86_64-musl, mipsel)
#
# CC, AR, CFLAGS, CPPFLAGS and LDFLAGS are honoured; the flags the build needs (-std, warnings,
# -MMD, -static, ...) are added to whatever is given, also on the command line. CC and AR build
# the dependencies too, so make CC=musl-gcc BUILD=DIR works; TARGET picks both and the folder.

# Router and cross targets: Debian 12's cross compilers (static glibc) and musl-gcc (static musl;
# vendor/tools.sh installs the compiler). QEMU runs the binaries for make cross-test. mips is
# big-endian MIPS, there to catch byte-order bugs before a router does.
CROSS_TARGETS := x86_64-musl aarch64 armhf mipsel mips
TRIPLET.aarch64 := aarch64-linux-gnu
TRIPLET.armhf := arm-linux-gnueabihf
TRIPLET.mipsel := mipsel-linux-gnu
TRIPLET.mips := mips-linux-gnu
QEMU.aarch64 := qemu-aarch64-static
QEMU.armhf := qemu-arm-static
QEMU.mipsel := qemu-mipsel-static
QEMU.mips := qemu-mips-static
ifneq ($(TARGET),)
ifeq ($(filter $(TARGET),$(CROSS_TARGETS)),)
$(error unknown TARGET=$(TARGET); available: $(CROSS_TARGETS))
endif
ifeq ($(TARGET),x86_64-musl)
TARGET_CC := musl-gcc
TARGET_TOOLS := musl-gcc:musl-tools
else
TARGET_CC := $(TRIPLET.$(TARGET))-gcc
TARGET_AR := $(TRIPLET.$(TARGET))-ar
STRIP ?= $(TRIPLET.$(TARGET))-strip
TARGET_TOOLS := $(TARGET_CC):gcc-$(TRIPLET.$(TARGET))
endif
ifeq ($(origin CC),default)
CC := $(TARGET_CC)
endif
ifeq ($(origin AR),default)
AR := $(or $(TARGET_AR),ar)
endif
BUILD ?= build/$(TARGET)
QEMU ?= $(QEMU.$(TARGET))
endif

CC ?= cc
AR ?= ar
STRIP ?= strip
CFLAGS ?= -O2 -g
BUILD ?= build
VENDOR_CACHE ?= vendor/cache
PREFIX ?= /usr/local
DESTDIR ?=
WERROR ?= $(if $(filter true,$(CI)),1)

# Every module in the tree; each modules/NAME/module.mk may declare REQUIRES.NAME (the modules it
# needs) and CPPFLAGS.NAME (with =, so that a command-line CPPFLAGS does not drop it). A module
# with a config section lists its oe_module_t in modules/core/modules.c.
ALL_MODULES := $(patsubst modules/%/module.mk,%,$(wildcard modules/*/module.mk))
MODULES ?= $(filter-out core,$(ALL_MODULES))
include $(wildcard modules/*/module.mk)

# Close MODULES over REQUIRES: add what the selected modules require until nothing new comes.
step = $(sort $(1) $(foreach m,$(1),$(REQUIRES.$(m))))
closure = $(if $(filter-out $(1),$(call step,$(1))),$(call closure,$(call step,$(1))),$(1))
SELECTED := $(call closure,$(sort core $(MODULES)))
unknown := $(filter-out $(ALL_MODULES),$(SELECTED))
ifneq ($(unknown),)
$(error unknown module(s): $(unknown); available: $(ALL_MODULES))
endif
upper = $(shell echo '$(1)' | tr a-z A-Z)

# The binary: ./odoh-edge for the default build folder (make run, the README and the tests use
# that), DIR/odoh-edge for BUILD=DIR. BIN_RUN is how a recipe invokes it.
BIN ?= $(if $(filter build,$(BUILD)),odoh-edge,$(BUILD)/odoh-edge)
BIN_RUN = $(if $(filter /%,$(BIN)),$(BIN),./$(BIN))

VENDOR ?= $(BUILD)/vendor
OBJ := $(BUILD)/obj
# Required flags: "override" appends them to values given on the command line too (make
# CFLAGS=-O3 keeps -std, the warnings and -MMD; make LDFLAGS=... stays static). 32-bit glibc
# targets get a 64-bit off_t and time_t (no effect on 64-bit targets and musl); the dependencies
# are built with the same, see CFLAGS_VENDOR.
LFS_FLAGS := -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
override CPPFLAGS += -I$(VENDOR)/include -Imodules -DMBEDTLS_CONFIG_FILE='"oe_mbedtls_config.h"'
override CPPFLAGS += $(LFS_FLAGS) $(foreach m,$(SELECTED),$(CPPFLAGS.$(m)))
override CPPFLAGS += $(foreach m,$(SELECTED),-DOE_WITH_$(call upper,$(m))) -DOE_BUILD_MODULES='"$(SELECTED)"'
override CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
override CFLAGS += -fno-strict-aliasing -pthread -MMD -MP $(if $(WERROR),-Werror)
override CFLAGS += -ffunction-sections -fdata-sections
# The sanitizer and fuzz builds (LDFLAGS_NOSTATIC=1) link dynamically; everything else is static.
override LDFLAGS += $(if $(filter 1,$(LDFLAGS_NOSTATIC)),,-static) -pthread -Wl,--gc-sections
# mbedtls' TLS and PSA code calls the AES-GCM of modules/crypto/gcm.c (MBEDTLS_GCM_ALT on
# x86_64); -u takes it from the archive even into a program whose own code never calls GCM.
override LDFLAGS += -Wl,-u,mbedtls_gcm_setkey
# PSA's X25519 (TLS 1.3 key exchange) through our code: see the end of modules/crypto/crypto.c.
override LDFLAGS += -Wl,--wrap=mbedtls_psa_ecp_export_public_key
override LDFLAGS += -Wl,--wrap=mbedtls_psa_key_agreement_ecdh
# PSA's deterministic ECDSA P-256 signing (TLS 1.3 CertificateVerify) through
# modules/crypto/p256.c: see the end of modules/crypto/crypto.c.
override LDFLAGS += -Wl,--wrap=mbedtls_psa_ecdsa_sign_hash
LIBS := -L$(VENDOR)/lib -lmbedtls -lmbedx509 -lmbedcrypto -lnghttp2 -lllhttp -luv -lpthread

SRCS := $(foreach m,$(SELECTED),$(wildcard modules/$(m)/*.c))
OBJS := $(SRCS:%.c=$(OBJ)/%.o) $(OBJ)/default_conf.o
LIB := $(BUILD)/libodoh-edge.a
STAMP := $(VENDOR)/.built

ifeq ($(V),1)
Q :=
else
Q := @
endif

all: $(BIN)
ifneq ($(BIN),odoh-edge)
odoh-edge: $(BIN)
.PHONY: odoh-edge
endif

# The demo: build, then run the shipped config (offline, loopback only).
run: $(BIN)
	$(BIN_RUN) -c odoh-edge.conf

# Dependencies: fetched once into the cache, built once per compiler and flags.
$(STAMP): vendor/deps.lock vendor/mbedtls_config.h modules/crypto/gcm_alt.h vendor/fetch.sh vendor/build.sh $(VENDOR).flags
	$(Q)vendor/tools.sh $(TARGET_TOOLS)
	$(Q)vendor/fetch.sh $(VENDOR_CACHE)
	$(Q)CC="$(VENDOR_CC)" AR="$(AR)" CFLAGS="$(filter-out -Werror,$(CFLAGS_VENDOR)) $(LFS_FLAGS)" vendor/build.sh $(VENDOR_CACHE) $(VENDOR)
	$(Q)touch $@
# Function sections + --gc-sections drop what we never call, among it libuv's getpwuid_r and
# getgrgid_r, glibc NSS functions that a static binary must not carry.
CFLAGS_VENDOR ?= -O2 -g -ffunction-sections -fdata-sections
# The compiler for the dependencies: the sanitizer builds reuse the normal build's libraries.
VENDOR_CC ?= $(CC)

deps: $(STAMP)

$(OBJ)/%.o: %.c $(STAMP) $(BUILD)/modules.flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Rebuild objects when the module selection or the flags change (the #ifdef'd module table
# depends on the selection); vendor/build.sh itself skips libraries whose inputs are unchanged.
$(BUILD)/modules.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(SELECTED) $(CC) $(CPPFLAGS) $(CFLAGS)' | cmp -s - $@ || \
	    echo '$(SELECTED) $(CC) $(CPPFLAGS) $(CFLAGS)' > $@
$(VENDOR).flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VENDOR_CC) $(CFLAGS_VENDOR) $(LFS_FLAGS)' | cmp -s - $@ || \
	    echo '$(VENDOR_CC) $(CFLAGS_VENDOR) $(LFS_FLAGS)' > $@

# The shipped config, embedded: the binary runs its demo even without the file.
$(BUILD)/default_conf.c: odoh-edge.conf
	@mkdir -p $(BUILD)
	$(Q){ echo '/* generated from odoh-edge.conf */'; \
	  echo 'const char oe_default_conf[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00};'; \
	  echo "const unsigned long oe_default_conf_len = $$(wc -c < $<);"; } > $@
$(OBJ)/default_conf.o: $(BUILD)/default_conf.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(filter-out $(OBJ)/main.o,$(OBJS))
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# static.o is linked as an object (not from the archive) so that its stand-ins for glibc's NSS
# functions win over libc's when libuv refers to them (see modules/core/static.c).
# A TARGET build also writes the link map (make cross-test reads it: no glibc object in musl).
comma := ,
$(BIN): $(OBJ)/main.o $(OBJ)/modules/core/static.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(if $(TARGET),-Wl$(comma)-Map=$@.map) -o $@ $^ $(LIBS)

$(OBJ)/main.o: main.c $(STAMP) $(BUILD)/modules.flags
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# ---- tests ----------------------------------------------------------------------------------
# Unit tests: tests/unit/MODULE/*.c for each selected module, one generated test table.
UNIT_SRCS := $(foreach m,$(SELECTED),$(wildcard tests/unit/$(m)/*.c)) $(wildcard tests/lib/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(OBJ)/%.o)
UNIT_TABLE := $(BUILD)/unit_table.h

$(UNIT_TABLE): $(UNIT_SRCS) FORCE
	@mkdir -p $(BUILD)
	@sed -n 's/^TEST(\([A-Za-z0-9_]*\)).*/OE_TEST_ENTRY(\1)/p' $(UNIT_SRCS) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(OBJ)/tests/unit/runner.o: tests/unit/runner.c $(UNIT_TABLE) $(STAMP)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -I$(BUILD) -Itests $(CFLAGS) -c $< -o $@

$(OBJ)/tests/%.o: tests/%.c $(STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -c $< -o $@

$(BUILD)/unit-tests: $(OBJ)/tests/unit/runner.o $(UNIT_OBJS) $(OBJ)/modules/core/static.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

unit: $(BUILD)/unit-tests
	$(Q)$(BUILD)/unit-tests

integration: $(BIN) tools
	$(Q)tests/integration/run.sh $(BIN_RUN)

# make test installs what the tests need first (Debian packages, npm packages), then builds
# everything, including the fuzz targets for the smoke runs.
test: test-deps
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory WERROR=$(WERROR) $(BIN) $(BUILD)/unit-tests tools
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(foreach t,$(TEST_TARGETS),$(MAKE) --no-print-directory TARGET=$(t) BUILD=build/$(t) \
	    VENDOR=build/$(t)/vendor WERROR= cross-build &&) true
	$(Q)BUILD=$(BUILD) OE_BIN=$(BIN_RUN) OE_CROSS="$(TEST_TARGETS)" tests/run-all.sh
test-deps:
	$(Q)tests/deps.sh

# Router targets under emulation: make cross-test TARGET=T runs T's unit tests and a smoke test
# of T's binary under qemu-user (x86_64-musl natively); the host's curl and a native odoh-edge
# (built in build/ when missing) are the clients. See tests/cross/run.sh.
# make test checks TEST_TARGETS the same way (measured: about 1 minute for x86_64-musl and 2 for
# mipsel on 2 cores, builds included); make cross-test-all checks every target.
HOST_CC ?= cc
TEST_TARGETS ?= x86_64-musl mipsel
cross-build:
	$(if $(TARGET),,$(error make $@ needs TARGET=T, T one of: $(CROSS_TARGETS)))
	$(Q)vendor/tools.sh $(if $(QEMU),$(QEMU):qemu-user-static) curl:curl file:file readelf:binutils
	$(Q)$(MAKE) --no-print-directory $(BIN) $(BUILD)/unit-tests
cross-test: cross-build
	$(Q)$(MAKE) --no-print-directory TARGET= BUILD=build VENDOR=build/vendor CC=$(HOST_CC) AR=ar odoh-edge
	$(Q)QEMU="$(QEMU)" tests/cross/run.sh $(TARGET) $(BUILD) ./odoh-edge
cross-test-all:
	$(Q)rc=0; for t in $(CROSS_TARGETS); do \
	    $(MAKE) --no-print-directory cross-test TARGET=$$t BUILD=build/$$t VENDOR=build/$$t/vendor || rc=1; \
	done; exit $$rc

# Benchmarks: each tests/bench/NAME.c is a program linked against the library.
BENCH_TARGETS := $(patsubst tests/bench/%.c,%,$(wildcard tests/bench/*.c))
bench-build: $(BENCH_TARGETS:%=$(BUILD)/bench-%)
$(BUILD)/bench-%: $(OBJ)/tests/bench/%.o $(OBJ)/modules/core/static.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
bench: $(BIN) bench-build
	$(Q)tests/bench/run.sh

# Test tools: each tests/tools/NAME.c is a helper program the integration tests drive.
TOOL_TARGETS := $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))
tools: $(TOOL_TARGETS:%=$(BUILD)/tool-%)
$(BUILD)/tool-%: $(OBJ)/tests/tools/%.o $(OBJ)/modules/core/static.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# ---- fuzzing (libFuzzer, clang) -------------------------------------------------------------
FUZZ_CC ?= clang
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
# Sanitized builds share the dependencies of the normal build (plain C ABI; mbedtls and friends
# are not what we fuzz).
fuzz: $(STAMP)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz VENDOR=$(VENDOR) VENDOR_CC=$(VENDOR_CC) CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	    LDFLAGS="-fsanitize=fuzzer,address,undefined" LDFLAGS_NOSTATIC=1 fuzz-targets

fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/fuzz-%)
$(BUILD)/fuzz-%: $(OBJ)/tests/fuzz/%.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# ---- sanitizers: the unit tests under ASan/UBSan ----------------------------------------------
asan: $(STAMP)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan VENDOR=$(VENDOR) VENDOR_CC=$(VENDOR_CC) CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" LDFLAGS_NOSTATIC=1 $(BUILD)/asan/unit-tests
	$(Q)$(BUILD)/asan/unit-tests

# ---- sanitizers: the whole binary under ASan/UBSan, driven by the integration suite ------------
# Every sanitizer report (memory error, undefined behaviour, leak at exit) goes to a file under
# $(BUILD)/asan/reports; the target fails when the suite fails or any report was written.
asan-integration: $(STAMP)
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan VENDOR=$(VENDOR) VENDOR_CC=$(VENDOR_CC) CC=$(FUZZ_CC) \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" LDFLAGS_NOSTATIC=1 $(BUILD)/asan/odoh-edge tools
	$(Q)rm -rf $(BUILD)/asan/reports && mkdir -p $(BUILD)/asan/reports
	$(Q)rc=0; BUILD=$(BUILD)/asan OE_SANITIZED=1 \
	    ASAN_OPTIONS=log_path=$(CURDIR)/$(BUILD)/asan/reports/asan:detect_leaks=1:fast_unwind_on_malloc=0 \
	    UBSAN_OPTIONS=log_path=$(CURDIR)/$(BUILD)/asan/reports/ubsan:print_stacktrace=1 \
	    tests/integration/run.sh $(CURDIR)/$(BUILD)/asan/odoh-edge || rc=1; \
	    if [ -n "$$(ls $(BUILD)/asan/reports)" ]; then \
	        echo "sanitizer reports:"; head -n 40 $(BUILD)/asan/reports/*; rc=1; fi; exit $$rc

# ---- install: binary, man pages, systemd unit, logrotate snippet, configs -------------------
#   make install [DESTDIR=...] [PREFIX=/usr/local] [BINDIR=...] [SYSCONFDIR=/etc] [STATEDIR=/var/lib]
# The binary is built with SYSCONFDIR and STATEDIR: without -c it also looks for
# SYSCONFDIR/odoh-edge/odoh-edge.conf, whose state-dir defaults to STATEDIR/odoh-edge. The starter
# config is installed only when none exists; uninstall never removes the config or the state.
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib
LOGDIR ?= /var/log/odoh-edge
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/odoh-edge
UNITDIR ?= $(PREFIX)/lib/systemd/system
STRIP ?= strip
CPPFLAGS += -DOE_SYSCONFDIR='"$(SYSCONFDIR)"' -DOE_STATEDIR='"$(STATEDIR)"'

# The man pages come from the binary's own tables (help --man, help-config --man), so they
# describe exactly what it accepts. A cross build cannot run its binary: make man there on a
# native build of the same sources.
MAN_PAGES := $(BUILD)/man/odoh-edge.8 $(BUILD)/man/odoh-edge.conf.5
man: $(MAN_PAGES)
$(BUILD)/man/odoh-edge.8: $(BIN)
	@mkdir -p $(dir $@)
	$(Q)$(BIN_RUN) help --man > $@.tmp && mv $@.tmp $@
$(BUILD)/man/odoh-edge.conf.5: $(BIN)
	@mkdir -p $(dir $@)
	$(Q)$(BIN_RUN) help-config --man > $@.tmp && mv $@.tmp $@

SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@LOGDIR@|$(LOGDIR)|g'
install: $(BIN) $(MAN_PAGES)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/odoh-edge
	$(STRIP) $(DESTDIR)$(BINDIR)/odoh-edge
	install -D -m 0644 $(BUILD)/man/odoh-edge.8 $(DESTDIR)$(MANDIR)/man8/odoh-edge.8
	install -D -m 0644 $(BUILD)/man/odoh-edge.conf.5 $(DESTDIR)$(MANDIR)/man5/odoh-edge.conf.5
	install -D -m 0644 odoh-edge.conf $(DESTDIR)$(DOCDIR)/odoh-edge.conf
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(SUBST) contrib/odoh-edge.service.in > $(DESTDIR)$(UNITDIR)/odoh-edge.service
	$(SUBST) contrib/odoh-edge.logrotate.in > $(DESTDIR)$(SYSCONFDIR)/logrotate.d/odoh-edge
	chmod 0644 $(DESTDIR)$(UNITDIR)/odoh-edge.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/odoh-edge
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/odoh-edge
	[ -e $(DESTDIR)$(SYSCONFDIR)/odoh-edge/odoh-edge.conf ] || \
	    install -m 0644 contrib/odoh-edge.conf.starter $(DESTDIR)$(SYSCONFDIR)/odoh-edge/odoh-edge.conf
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/odoh-edge $(DESTDIR)$(MANDIR)/man8/odoh-edge.8 \
	    $(DESTDIR)$(MANDIR)/man5/odoh-edge.conf.5 $(DESTDIR)$(DOCDIR)/odoh-edge.conf \
	    $(DESTDIR)$(UNITDIR)/odoh-edge.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/odoh-edge
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
.PHONY: man install uninstall

# ---- housekeeping ----------------------------------------------------------------------------
FORMAT_FILES = main.c $(wildcard modules/*/*.[ch] tests/unit/*.[ch] tests/unit/*/*.c tests/lib/*.[ch] tests/fuzz/*.c tests/bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

# The release tarball (what contrib/openwrt/odoh-edge builds from): the committed tree at HEAD.
VERSION = $(shell sed -n 's/^#define OE_VERSION "\(.*\)"/\1/p' modules/core/oe.h)
dist:
	@mkdir -p $(BUILD)
	git archive --format=tar.gz --prefix=odoh-edge-$(VERSION)/ -o $(BUILD)/odoh-edge-$(VERSION).tar.gz HEAD
	@echo "$(BUILD)/odoh-edge-$(VERSION).tar.gz"

clean:
	rm -rf $(OBJ) $(BUILD)/*.a $(BUILD)/unit-tests $(BUILD)/fuzz-* $(BUILD)/man $(BIN)
distclean:
	rm -rf $(BUILD) $(BIN)

.PHONY: dist cross-build cross-test cross-test-all run test-deps bench bench-build tools all deps test unit integration fuzz fuzz-targets asan asan-integration format format-check clean distclean FORCE
-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
