// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: LTTng-UST tracepoints, in vmm/vmm-lttng only (-DVMM_LTTNG_UST): the
 * probes of the "kvmbench" provider (ust.h) and the ust__*() hooks that
 * vmm.h declares for the vCPU thread and its run loop.
 *
 * The run loop calls ust__before_kvm_run() before each KVM_RUN and
 * ust__after_kvm_run() when it returns an exit; the next
 * ust__before_kvm_run() (or ust__run_end(), for the last exit) emits
 * kvmbench:exit for it.  Each vCPU has its own thread, so the clock
 * readings are thread-local.  While kvmbench:exit is disabled the hooks
 * read no clock.
 *
 * Run with LTTNG_UST_REGISTER_TIMEOUT=-1 (bench/record), each vCPU thread
 * first waits until kvmbench:exit is enabled: see ust__wait_enabled().
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm.h"
#include "ust.h"

static __thread struct {
	bool timed;		/* this KVM_RUN is timed: enter_ns is set */
	bool pending;		/* it returned an exit not yet traced */
	uint64_t enter_ns;	/* KVM_RUN called */
	uint64_t return_ns;	/* KVM_RUN returned */
} ust;

static uint64_t ust__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The guest image's file name without ".bin": "exits". */
static void ust__workload(struct vm *vm, char *buf, size_t size)
{
	const char *name = strrchr(vm->opt.image, '/');
	size_t len;

	name = name ? name + 1 : vm->opt.image;
	len = strlen(name);
	if (len > 4 && !strcmp(name + len - 4, ".bin"))
		len -= 4;
	if (len >= size)
		len = size - 1;
	memcpy(buf, name, len);
	buf[len] = 0;
}

/* How long a run waits at most for kvmbench:exit (ust__wait_enabled()). */
#define UST_WAIT_S	30

/* Set once kvmbench:exit was found enabled, or the wait gave up. */
static int ust_wait_over;

/*
 * LTTNG_UST_REGISTER_TIMEOUT=-1 does not ensure that the session's events
 * are enabled when main() runs.  liblttng-ust's constructor (lttng_ust_ctor()
 * in lttng-ust-comm.c, 2.13) waits on constructor_wait until each session
 * daemon's listener thread has either received "registration done" (the
 * daemon sends it after it has created the app's session, channels and
 * enablers and started it: update_ust_app() then ust_app_register_done()
 * in lttng-sessiond's dispatch.c), or failed: ust_listener_thread() calls
 * handle_register_failed() when the connect or the registration message
 * fails, or when the daemon closes the socket, and that releases the
 * constructor at once whatever the timeout.  The listener then waits for
 * the daemon (wait_for_sessiond()) and registers again in the background,
 * and the events are enabled whenever that completes, after main() has
 * started the guest: its first exits are neither traced nor counted lost.
 * (When the first registration succeeds, our probes, registered by this
 * executable's constructor after liblttng-ust's, find the session active
 * and are enabled at once: lttng_ust_probe_register() -> fixup_lazy_probes().)
 *
 * So when LTTNG_UST_REGISTER_TIMEOUT asks to wait for as long as it takes
 * (any negative value, as for liblttng-ust), each vCPU thread also waits,
 * before its first KVM_RUN, until kvmbench:exit is enabled: every exit is
 * then traced, as bench/record and tests/lab/lttng.sh count on.  A session
 * that does not enable kvmbench:exit (or no session daemon) would keep it
 * waiting: it gives up after UST_WAIT_S seconds, says so and runs on.
 */
static void ust__wait_enabled(struct vcpu *vcpu)
{
	const struct timespec ms = { 0, 1000000 };
	const char *env = getenv("LTTNG_UST_REGISTER_TIMEOUT");
	uint64_t deadline;

	if (!env || strtol(env, NULL, 10) >= 0)
		return;
	deadline = ust__now() + UST_WAIT_S * 1000000000ULL;
	while (!__atomic_load_n(&ust_wait_over, __ATOMIC_RELAXED)) {
		if (lttng_ust_tracepoint_enabled(kvmbench, exit)) {
			__atomic_store_n(&ust_wait_over, 1, __ATOMIC_RELAXED);
			return;
		}
		if (ust__now() >= deadline) {
			if (!__atomic_exchange_n(&ust_wait_over, 1,
						 __ATOMIC_RELAXED))
				vmm__msg(vcpu->vm, "vcpu %d: kvmbench:exit still disabled after %d s (LTTNG_UST_REGISTER_TIMEOUT=%s): running on",
					 vcpu->id, UST_WAIT_S, env);
			return;
		}
		nanosleep(&ms, NULL);
	}
}

void ust__run_start(struct vcpu *vcpu)
{
	char workload[256];

	ust__wait_enabled(vcpu);
	if (!lttng_ust_tracepoint_enabled(kvmbench, run_start))
		return;
	ust__workload(vcpu->vm, workload, sizeof(workload));
	lttng_ust_do_tracepoint(kvmbench, run_start, vcpu->id, workload);
}

/* kvmbench:exit for the exit KVM_RUN returned last, now handled. */
static void ust__exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t size = 0, count = 0;
	uint64_t addr = 0, now;
	uint8_t write = 0;

	if (!ust.pending)
		return;
	now = ust__now();
	ust.pending = false;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		addr = run->io.port;
		size = run->io.size;
		write = run->io.direction == KVM_EXIT_IO_OUT;
		count = run->io.count;
		break;
	case KVM_EXIT_MMIO:
		addr = run->mmio.phys_addr;
		size = run->mmio.len;
		write = run->mmio.is_write;
		count = 1;
		break;
	}
	lttng_ust_tracepoint(kvmbench, exit, vcpu->id, run->exit_reason, addr,
			     size, write, count, ust.return_ns - ust.enter_ns,
			     now - ust.return_ns);
}

void ust__before_kvm_run(struct vcpu *vcpu)
{
	ust__exit(vcpu);
	/* After the event, so that its cost is in neither time. */
	ust.timed = lttng_ust_tracepoint_enabled(kvmbench, exit);
	if (ust.timed)
		ust.enter_ns = ust__now();
}

void ust__after_kvm_run(struct vcpu *vcpu __attribute__((unused)))
{
	if (!ust.timed)
		return;
	ust.return_ns = ust__now();
	ust.pending = true;
}

void ust__run_end(struct vcpu *vcpu, enum action act)
{
	ust__exit(vcpu);
	lttng_ust_tracepoint(kvmbench, run_end, vcpu->id, vcpu->exits,
			     act == ACT_EXIT ? vcpu->exit_status : -1);
}
