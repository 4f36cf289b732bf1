# tcpinspect - build, test, demo.
#
#   make              build ./tcpinspect (needs the build packages: make deps)
#   sudo make demo    install missing packages, build, run the namespace lab demo
#   sudo make test    install missing packages, build, run the whole test suite
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
LDLIBS   += -lbpf -lelf -lz
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall \
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
USER_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.SECONDARY:
.PHONY: all deps deps-test demo test unit clean check-root
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

tcpinspect: $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

unit: $(UNIT_BINS)

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

test: check-root deps-test
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) tests/run.sh

clean:
	rm -rf build build-san tcpinspect
