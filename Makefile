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
#   make test-debug opt-in: the ABI suite and the guests (naive, cached) on
#                   svm under the debug kernel (KASAN, lockdep, kmemleak,
#                   UBSAN: lab/debug-kernel; its first build takes about
#                   25 minutes), and the fuzzer if tests/fuzz/bin/fuzz is built
#   make lttng      LTTng-modules (Debian's lttng-modules-dkms source) and
#                   our probes (trace/lttng/) for the lab's kernel
#   make kvmtool    kvmtool's lkvm at its pinned commit, in /var/cache/kvm-research/kvmtool/
#                   (tests/kvmtool/README.md; make test builds it too)
#   make demo       boot the lab, load kvm.ko, show its parameters
#   make fuzz SEED=1 N=1000000 [ROUNDS=10000] [STRATEGIES=naive,cached] [MACHINE=svm|vmx]
#                   a long run of the isolation fuzzer in the lab (tests/fuzz/)
#   make mmu-soak SEED=123 OPS=1000000
#                   a long run of the MMU reference checker (tests/unit/mmu/)
#   make kut [KUT_RUNS='cached naive npt0 npt1 vmx-cached vmx-ept0']
#                   kvm-unit-tests, the whole matrix (about 3 hours): the
#                   whole suite in the svm lab per strategy and against
#                   upstream KVM npt=0/1, and its single-vCPU list in the
#                   vmx lab (tests/kut/run-vmx; also vmx-naive, vmx-ept1);
#                   verdicts to results/local/kut-DATE/ (tests/kut/README.md)
#   make clean

SUITES ?= host svm vmx

.PHONY: all setup module tools bench test demo results lttng kvmtool clean fuzz fuzz-planted

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
tests/lab/bin/%: tests/lab/%.c tests/lab/host.h
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<

# kvm-unit-tests' .flat files on /dev/kvm without QEMU, for the vmx lab
# (tests/kut/README.md, "In the vmx lab").
tests/kut/bin/flatrun: tests/kut/flatrun.c tests/kut/flatrun-dev.c tests/kut/flatrun.h
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $(filter %.c,$^)

tests/lab/bin/abi: tests/lab/abi.c tests/lab/abi-irq.c tests/lab/abi-iso.c tests/lab/abi-spec.c tests/lab/abi-dirty.c tests/lab/abi-msr.c tests/lab/abi-mmio.c tests/lab/abi-clock.c tests/lab/abi-lapic.c tests/lab/abi-irqchip.c tests/lab/abi-pit.c tests/lab/abi.h tests/lab/host.h
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $(filter %.c,$^)

tools: setup tests/lab/bin/labtool tests/lab/bin/abi tests/lab/bin/minivmm \
	tests/kut/bin/flatrun tests/fuzz/bin/fuzz fuzz-planted
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/lab/hvhog modules

# The isolation fuzzer (tests/fuzz/README.md), and kvm.ko with a planted
# bug for it to find, built from a copy of kvm/ and trace/ (kvm/Kbuild
# includes ../trace) so that kvm/kvm.ko stays as it is.
tests/fuzz/bin/fuzz: $(wildcard tests/fuzz/*.c) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $(filter %.c,$^)

FUZZ_PLANTED := tests/fuzz/bin/planted
fuzz-planted: setup
	@mkdir -p $(FUZZ_PLANTED)
	tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude=modules.order --exclude=Module.symvers \
		--exclude=lttng kvm trace | tar -C $(FUZZ_PLANTED) -xf -
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(FUZZ_PLANTED)/kvm KVM_PLANT=lma-no-pg,tdp-large-slot modules

# A long fuzzing campaign in the lab: make fuzz SEED=1 N=1000000
# [ROUNDS=10000] [STRATEGIES=naive,cached] [MACHINE=svm|vmx]; the log goes
# to results/local/fuzz-DATE/.
SEED ?= 1
N ?= 1000000
ROUNDS ?= 10000
STRATEGIES ?= naive,cached
MACHINE ?= svm
fuzz: module tools
	tests/fuzz/campaign --seed $(SEED) --calls $(N) --rounds $(ROUNDS) \
		--strategies $(STRATEGIES) --machine $(MACHINE)

# The bench VMM and the guests (the test guests in tests/lab/guests/ too).
bench:
	$(MAKE) -C bench

test: module tools bench
	tests/run $(SUITES)

results: module bench
	bench/run $(BENCH_ARGS)

lttng: setup
	trace/lttng/build

# kvmtool's lkvm at its pinned commit, built into /var/cache/kvm-research/kvmtool/ (no
# kvmtool source in the repository; tests/kvmtool/README.md).  Without the
# network, KVMTOOL_GIT=DIR names a git directory that has the commit.
# tests/run builds it too, before the svm-qemu boot that runs it.
kvmtool: setup
	tests/kvmtool/build

demo: module
	lab/run --params mmu=cached -- sh -c '\
		echo "== modinfo -p kvm/kvm.ko"; modinfo -p kvm/kvm.ko; \
		echo "== /sys/module/kvm/parameters"; grep -H . /sys/module/kvm/parameters/*; \
		echo "== kernel log"; dmesg | grep -E "kvm:"'

# The MMU strategies against the reference checker, for long (VCPUS,
# STRATEGY, AVOID too: tests/unit/mmu/README.md); no kernel needed.
# kvm-unit-tests, the whole suite, one svm boot per run: ours under each
# strategy, upstream KVM with npt=0 and npt=1; then the vmx list, ours
# under cached, upstream with ept=0 (tests/kut/README.md: the
# build is made by hand outside the clone; without it, one SKIP line).
KUT_RUNS ?= cached naive tdp npt0 npt1 vmx-cached vmx-ept0
.PHONY: kut
kut: module tests/kut/bin/flatrun
	lab/guest-qemu --fetch
	@d=results/local/kut-$$(date -u +%Y-%m-%d-%H%M%S); mkdir -p $$d; f=0; \
	for r in $(KUT_RUNS); do \
		case $$r in \
		npt*)	how="--upstream npt=$${r#npt}" ;; \
		vmx-ept*) how="--machine vmx --upstream ept=$${r#vmx-ept}" ;; \
		vmx-*)	how="--machine vmx --params mmu=$${r#vmx-}" ;; \
		*)	how="--params mmu=$$r" ;; \
		esac; \
		case $$r in \
		vmx-*)	tests/kut/run-vmx --stage > /dev/null; \
			cmd="--pack .cache/kut-vmx --pack tests/kut/bin/flatrun -- tests/kut/run-vmx --times --skip syscall" ;; \
		*)	cmd="-- tests/kut/run --out $$d/$$r" ;; \
		esac; \
		echo "== kut: $$r"; \
		lab/run --timeout 4000 $$how $$cmd > $$d/$$r.txt 2>&1 || f=1; \
		grep -E '^(FAIL|kut):' $$d/$$r.txt; \
	done; \
	echo "kut: verdicts in $$d"; exit $$f

.PHONY: mmu-soak test-debug
mmu-soak:
	$(MAKE) -C tests/unit/mmu soak

# The debug kernel's run (lab/run --debug): the suites of tests/lab/core.sh
# under naive and cached (with the audit), then, if the fuzzer is built,
# each of DEBUG_FUZZ's runs (';' between them) under cached.  The output
# is kept in .cache/test-debug.out; the last line counts PASS and FAIL.
DEBUG_FUZZ ?= ioctl --seed 1 --calls 2000; iso --seed 1 --rounds 20
DEBUG_TIMEOUT ?= 3600
test-debug: tools bench
	lab/debug-kernel --build
	@mkdir -p .cache
	{ lab/run --debug --machine svm --params 'mmu=naive cached_audit=1' \
		--timeout $(DEBUG_TIMEOUT) -- sh -c '\
		tests/lab/each-mmu.sh naive,cached tests/lab/core.sh; s=$$?; \
		echo "audit mismatches: $$(dmesg | grep -c "kvm: audit:")"; \
		f=0; \
		if [ -x tests/fuzz/bin/fuzz ]; then \
			echo cached > /sys/module/kvm/parameters/mmu; \
			runs="$(DEBUG_FUZZ)"; IFS=";"; \
			for a in $$runs; do \
				IFS=" "; set -- $$a; \
				if tests/fuzz/bin/fuzz "$$@"; then echo "PASS: fuzz $$*"; \
				else echo "FAIL: fuzz $$*: exit status $$?"; f=1; fi; \
			done; \
		fi; \
		[ $$s = 0 ] && [ $$f = 0 ]'; \
	  echo $$? > .cache/test-debug.rc; } 2>&1 | tee .cache/test-debug.out
	@rc=$$(cat .cache/test-debug.rc); \
	echo "test-debug: $$(grep -c '^PASS: ' .cache/test-debug.out) passed," \
		"$$(grep -c '^FAIL: ' .cache/test-debug.out) failed, lab/run status $$rc"; \
	[ "$$rc" = 0 ]

# Without KDIR, so that cleaning never downloads a kernel.
clean:
	find kvm tests/lab/hvhog trace/lttng \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name modules.order \
		-o -name Module.symvers \) -delete
	rm -rf tests/lab/bin tests/fuzz/bin
	$(MAKE) -C bench clean
