/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm: the LTTng-UST tracepoint provider "kvmbench", built into
 * vmm/vmm-lttng only (-DVMM_LTTNG_UST).  Only ust.c includes this; the rest
 * of the VMM calls the ust__*() hooks of vmm.h.  bench/README.md documents
 * the events and their fields.
 *
 * lttng-ust reads this header several times over, so it keeps the
 * provider's include guard form and ends with <lttng/tracepoint-event.h>.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER kvmbench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "ust.h"

#if !defined(VMM_UST_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define VMM_UST_H

#include <stdint.h>
#include <lttng/tracepoint.h>

/* A vCPU thread starts running its guest. */
LTTNG_UST_TRACEPOINT_EVENT(kvmbench, run_start,
	LTTNG_UST_TP_ARGS(int, vcpu, const char *, workload),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, vcpu, vcpu)
		lttng_ust_field_string(workload, workload)
	)
)

/*
 * A vCPU thread leaves its run loop: status is the VMM's exit status it
 * ends the run with, or -1 when only this vCPU stops.
 */
LTTNG_UST_TRACEPOINT_EVENT(kvmbench, run_end,
	LTTNG_UST_TP_ARGS(int, vcpu, uint64_t, exits, int, status),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, vcpu, vcpu)
		lttng_ust_field_integer(uint64_t, exits, exits)
		lttng_ust_field_integer(int, status, status)
	)
)

/*
 * One exit handled in userspace: what KVM_RUN returned, how long KVM_RUN
 * took (run_ns) and how long the VMM took from its return to the next
 * KVM_RUN (handle_ns), both CLOCK_MONOTONIC.
 */
LTTNG_UST_TRACEPOINT_EVENT(kvmbench, exit,
	LTTNG_UST_TP_ARGS(int, vcpu, uint32_t, exit_reason, uint64_t, addr,
			  uint32_t, size, uint8_t, is_write, uint32_t, count,
			  uint64_t, run_ns, uint64_t, handle_ns),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, vcpu, vcpu)
		lttng_ust_field_integer(uint32_t, exit_reason, exit_reason)
		lttng_ust_field_integer_hex(uint64_t, addr, addr)
		lttng_ust_field_integer(uint32_t, size, size)
		lttng_ust_field_integer(uint8_t, write, is_write)
		lttng_ust_field_integer(uint32_t, count, count)
		lttng_ust_field_integer(uint64_t, run_ns, run_ns)
		lttng_ust_field_integer(uint64_t, handle_ns, handle_ns)
	)
)

#endif /* VMM_UST_H */

#include <lttng/tracepoint-event.h>
