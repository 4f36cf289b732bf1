# tcpinspect - build, test, demo.
#
#   make              build ./tcpinspect (needs the build packages: make deps)
#   sudo make demo    install missing packages, build, run the namespace lab demo
#   sudo make test    install missing packages, build, run the whole test suite
#                     twice: plain, then under ASan/UBSan/LSan (build-san/)
#   make SANITIZE=1   build with AddressSanitizer and UndefinedBehaviorSanitizer
#
# Objects, skeletons and the generated vmlinux.h live in $(BUILD), never in src/.

BUILD    ?= build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
	    -Wformat=2 -Wmissing-prototypes -I$(BUILD) -Isrc
LDLIBS   += -lbpf -lelf -lz -lcap-ng -lseccomp
# serve (HTTP, JSON request bodies) and top (terminal)
LDLIBS   += -lmicrohttpd -ljson-c -lncursesw -lpthread
# capture/replay: pcap files and tcpdump filter expressions
LDLIBS   += -lpcap
LDLIBS   += -lm # defence.c: EWMA baselines (sqrt)
# Recursive (=): BUILD changes below for SANITIZE=1, and a fresh checkout
# has its vmlinux.h only in that build directory.
BPF_CFLAGS  = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall \
	      -Wno-unused-function -I$(BUILD) -Isrc

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-san
endif

BPF_SRCS  := $(wildcard src/*.bpf.c)
BPF_HDRS  := $(wildcard src/*.bpf.h) src/tcpinspect.h
SKELS     := $(patsubst src/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(filter-out %.bpf.c,$(wildcard src/*.c))
USER_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(USER_SRCS)) $(BUILD)/web_assets.o \
	     $(BUILD)/inspector_core_btf.o
# The dashboard and the API description, compiled in (scripts/embed.sh).
WEB_FILES := $(wildcard src/web/*)
WEB_EMBED := $(foreach f,$(WEB_FILES),/$(notdir $(f))=$(f)) /api/v1/openapi.yaml=docs/openapi.yaml
LIB_OBJS  := $(filter-out $(BUILD)/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.SECONDARY:
.PHONY: all deps deps-test demo test unit clean check-root bench bench-build bench-smoke
.DEFAULT_GOAL := all

all: tcpinspect

$(BUILD):
	@mkdir -p $(BUILD) $(BUILD)/tests

# Generated from the running kernel's BTF (CO-RE: the objects relocate to
# other kernels at load time).
$(BUILD)/vmlinux.h: | $(BUILD)
	@test -r $(VMLINUX_BTF) || { echo "error: $(VMLINUX_BTF) not found: a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y) is required" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: src/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf,,$(basename $(notdir $<)))_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) $(SKELS) | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

# The packet programs' CO-RE target (src/inspector.c): the types they
# relocate, cut from the kernel BTF, so that loading them does not parse
# the whole kernel BTF. Only UAPI contexts and wire formats may be in it:
# their layout is the same on every kernel (a kernel-internal type would
# be wrong elsewhere, so the build refuses it).
INSPECTOR_CORE_TYPES := in6_addr xdp_md __sk_buff ethhdr iphdr ipv6hdr ipv6_opt_hdr frag_hdr tcphdr
$(BUILD)/inspector.core.btf: $(BUILD)/inspector.bpf.o
	$(BPFTOOL) gen min_core_btf $(VMLINUX_BTF) $@.tmp $<
	@bad=$$($(BPFTOOL) btf dump file $@.tmp | \
		sed -n "s/^\[[0-9]*\] \(STRUCT\|UNION\) '\([^']*\)'.*/\2/p" | \
		grep -vx -e '(anon)' $(foreach t,$(INSPECTOR_CORE_TYPES),-e '$(t)')); \
	if [ -n "$$bad" ]; then \
		echo "error: inspector.bpf.c relocates types that are not UAPI or wire formats:" $$bad >&2; \
		rm -f $@.tmp; exit 1; \
	fi
	mv $@.tmp $@

$(BUILD)/inspector_core_btf.c: $(BUILD)/inspector.core.btf
	{ echo "/* Generated from $< by the Makefile - do not edit. */"; \
	  echo "const unsigned char inspector_core_btf[] = {"; \
	  od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo "};"; \
	  echo "const unsigned int inspector_core_btf_len = sizeof(inspector_core_btf);"; \
	} > $@.tmp && mv $@.tmp $@

$(BUILD)/inspector_core_btf.o: $(BUILD)/inspector_core_btf.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/web_assets.c: $(WEB_FILES) docs/openapi.yaml scripts/embed.sh | $(BUILD)
	scripts/embed.sh $@ $(WEB_EMBED)

$(BUILD)/web_assets.o: $(BUILD)/web_assets.c src/webassets.h
	$(CC) $(CFLAGS) -c $< -o $@

# ./tcpinspect is shared by the plain and the SANITIZE=1 builds: each link
# records its flavour, and a build of the other flavour relinks, so a stale
# binary of the wrong flavour is never left in place.
BIN_FLAVOUR := $(if $(filter 1,$(SANITIZE)),sanitize,plain)
ifneq ($(shell cat build/.tcpinspect-linked 2>/dev/null),$(BIN_FLAVOUR))
tcpinspect: FORCE
endif
.PHONY: FORCE

tcpinspect: $(USER_OBJS)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LDLIBS) -o $@
	@mkdir -p build && echo $(BIN_FLAVOUR) > build/.tcpinspect-linked

# The sanitizer build also links its own copy, which the second pass of
# `make test` runs (TI_BIN), so the two flavours never fight over
# ./tcpinspect while a suite runs.
ifeq ($(SANITIZE),1)
$(BUILD)/tcpinspect: $(USER_OBJS)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LDLIBS) -o $@
endif

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

unit: $(UNIT_BINS)

# Fuzzing (docs/security.md). libFuzzer targets tests/fuzz/fuzz_NAME.c are
# built with clang -fsanitize=fuzzer,address,undefined into build/fuzz/,
# linked with the tool's objects rebuilt there with the same sanitizers;
# their committed seed corpora are tests/fuzz/corpus/NAME/. diff_parser is
# the differential fuzzer of the BPF packet parser (root; tests/fuzz/pktdiff.h).
#   sudo make fuzz [FUZZ_SECONDS=60]  every target for FUZZ_SECONDS, then
#                                     diff_parser for FUZZ_SECONDS
#   tests/e2e/fuzz_smoke.sh           the short CI run (part of make test)
FUZZ_DIR     := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer \
		-fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-recover=undefined -I$(BUILD) -Isrc
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIBOBJS := $(patsubst $(BUILD)/%.o,$(FUZZ_DIR)/obj/%.o,$(LIB_OBJS))
.PHONY: fuzz fuzz-build

$(FUZZ_DIR)/obj/%.o: src/%.c $(wildcard src/*.h) $(SKELS)
	@mkdir -p $(FUZZ_DIR)/obj
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/%.o: $(BUILD)/%.c
	@mkdir -p $(FUZZ_DIR)/obj
	$(CLANG) $(FUZZ_CFLAGS) -Isrc -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBOBJS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIBOBJS) $(LDLIBS) -o $@

$(FUZZ_DIR)/diff_parser: tests/fuzz/diff_parser.c $(wildcard tests/fuzz/*.h) $(SKELS)
	@mkdir -p $(FUZZ_DIR)
	$(CC) $(CFLAGS) -Itests/fuzz $< $(LDFLAGS) -lbpf -lelf -lz -o $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/diff_parser

fuzz: check-root deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_DIR=$(FUZZ_DIR) tests/fuzz/run.sh $(FUZZ_SECONDS)

# Benchmarks (bench/run.sh): bench/X.bpf.c -> $(BUILD)/bench/X.bpf.o,
# bench/X.c -> $(BUILD)/bench/X linked with the tool's objects.
BENCH_BPF  := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard bench/*.bpf.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c,$(wildcard bench/*.c)))

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%: bench/%.c $(LIB_OBJS) $(wildcard bench/*.h) tests/unit/pktbuild.h
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) -Ibench -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lpthread -o $@

bench-build: all $(BENCH_BPF) $(BENCH_BINS)

# sudo make bench: the full suite (minutes); bench-smoke: the short CI run.
bench: check-root deps-test
	@$(MAKE) --no-print-directory bench-build
	@BUILD=$(BUILD) bench/run.sh

bench-smoke: check-root deps-test
	@$(MAKE) --no-print-directory bench-build
	@BUILD=$(BUILD) BENCH_SMOKE=1 bench/run.sh

# Installs the Debian packages the build (and, for test/demo, the lab)
# needs; idempotent and quiet when everything is present.
deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

check-root:
	@test "$$(id -u)" = 0 || { echo "error: this target needs root (sudo make $(MAKECMDGOALS))" >&2; exit 1; }

demo: check-root deps-test
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# make test: the suite on the plain build, then again on the SANITIZE=1
# build (ASan + UBSan + LeakSanitizer: build-san/, reports fail the test
# that caused them; logs in tests/artifacts-san/). Both passes always run;
# the exit status is non-zero if either failed. The sanitizer build is made
# first either way: tests/e2e/serve_load.sh runs it for its leak check.
#   make test SANITIZE=1    the sanitizer pass only
#   make test TEST_SAN=0    the plain pass only
TEST_SAN ?= 1
TEST_PLAIN := $(if $(filter 1,$(SANITIZE)),0,1)
TEST_SAN_RUN := $(if $(filter 1,$(SANITIZE)),1,$(TEST_SAN))
test: check-root deps-test
	@$(MAKE) --no-print-directory SANITIZE=1 build-san/tcpinspect unit bench-build
	@rc=0; \
	if [ "$(TEST_PLAIN)" = 1 ]; then \
		$(MAKE) --no-print-directory SANITIZE= all unit bench-build && \
		BUILD=build tests/run.sh || rc=1; \
	fi; \
	if [ "$(TEST_SAN_RUN)" = 1 ]; then \
		echo "=== the suite again under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer"; \
		BUILD=build-san TI_BIN=$(CURDIR)/build-san/tcpinspect TI_SANITIZE=1 \
			tests/run.sh || rc=1; \
	fi; \
	exit $$rc

clean:
	rm -rf build build-san tcpinspect
