# SPDX-License-Identifier: GPL-2.0
#
#   make            build kvm/kvm.ko against Debian's current amd64 kernel
#                   (fetched into .cache/ by lab/kernel), or against
#                   KDIR=/lib/modules/$(uname -r)/build on a real host
#   make results    the main job: the benchmark matrix in the lab (naive,
#                   cached, upstream KVM with and without NPT; every
#                   workload), its traces and counters, the analysis,
#                   tables and plots
#                   (bench/run; BENCH_ARGS='--reps 3 ...' passes options)
#   make test       host unit tests, then the lab tests on svm and vmx
#   make lttng      LTTng-modules (Debian's lttng-modules-dkms source) and
#                   our probes (trace/lttng/) for the lab's kernel
#   make demo       boot the lab, load kvm.ko, show its parameters
#   make mmu-soak SEED=123 OPS=1000000
#                   a long run of the MMU reference checker (tests/unit/mmu/)
#   make clean

SUITES ?= host svm vmx

.PHONY: all setup module tools bench test demo results lttng clean

all: module

# Without KDIR, build against the lab's kernel: install the build's and
# the lab's packages first (lab/setup), then fetch the kernel (lab/kernel).
ifeq ($(origin KDIR),undefined)
KDIR = $(shell lab/kernel --kdir)
setup:
	@lab/setup
else
setup:
endif

module: setup
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kvm modules

# Test tools: a static probe program, and a module that stands in for
# another hypervisor.  Both run inside the lab.
tests/lab/bin/%: tests/lab/%.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<

tests/lab/bin/abi: tests/lab/abi.c tests/lab/abi-irq.c tests/lab/abi.h
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $(filter %.c,$^)

tools: setup tests/lab/bin/labtool tests/lab/bin/abi
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/lab/hvhog modules

# The bench VMM and the guests (the test guests in tests/lab/guests/ too).
bench:
	$(MAKE) -C bench

test: module tools bench
	tests/run $(SUITES)

results: module bench
	bench/run $(BENCH_ARGS)

lttng: setup
	trace/lttng/build

demo: module
	lab/run --params mmu=cached -- sh -c '\
		echo "== modinfo -p kvm/kvm.ko"; modinfo -p kvm/kvm.ko; \
		echo "== /sys/module/kvm/parameters"; grep -H . /sys/module/kvm/parameters/*; \
		echo "== kernel log"; dmesg | grep -E "kvm:"'

# The MMU strategies against the reference checker, for long (VCPUS,
# STRATEGY, AVOID too: tests/unit/mmu/README.md); no kernel needed.
.PHONY: mmu-soak
mmu-soak:
	$(MAKE) -C tests/unit/mmu soak

# Without KDIR, so that cleaning never downloads a kernel.
clean:
	find kvm tests/lab/hvhog trace/lttng \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name modules.order \
		-o -name Module.symvers \) -delete
	rm -rf tests/lab/bin
	$(MAKE) -C bench clean
