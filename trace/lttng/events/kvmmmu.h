/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LTTng event definitions for kvm.ko's kvmmmu tracepoints
 * (trace/mmu_trace.h), provider mmu: LTTng wants every event name to
 * begin with the provider's and "_".  Names as in ftrace; outcome,
 * cause and op are the integers of RET_PF_*, KVM_MMU_FLUSH_* and
 * KVM_MMU_SP_* (kvm/mmu/mmu.h).
 */
#if !defined(LTTNG_TRACE_KVMMMU_H) || defined(TRACE_HEADER_MULTI_READ)
#define LTTNG_TRACE_KVMMMU_H

#include <lttng/tracepoint-event.h>

#undef TRACE_SYSTEM
#define TRACE_SYSTEM mmu

LTTNG_TRACEPOINT_EVENT(mmu_fault,
	TP_PROTO(unsigned int vcpu_id, u64 gva, u32 error_code, int outcome,
		 unsigned int created, bool pt_write),
	TP_ARGS(vcpu_id, gva, error_code, outcome, created, pt_write),
	TP_FIELDS(
		ctf_integer(unsigned int, vcpu_id, vcpu_id)
		ctf_integer_hex(u64, gva, gva)
		ctf_integer_hex(u32, error_code, error_code)
		ctf_integer(int, outcome, outcome)
		ctf_integer(unsigned int, created, created)
		ctf_integer(u8, pt_write, pt_write)
	)
)

LTTNG_TRACEPOINT_EVENT(mmu_flush,
	TP_PROTO(int vcpu_id, unsigned int cause, unsigned int zapped),
	TP_ARGS(vcpu_id, cause, zapped),
	TP_FIELDS(
		ctf_integer(int, vcpu_id, vcpu_id)
		ctf_integer(unsigned int, cause, cause)
		ctf_integer(unsigned int, zapped, zapped)
	)
)

LTTNG_TRACEPOINT_EVENT(mmu_sp,
	TP_PROTO(unsigned int op, u64 gfn, u32 role, unsigned int level,
		 bool direct),
	TP_ARGS(op, gfn, role, level, direct),
	TP_FIELDS(
		ctf_integer(unsigned int, op, op)
		ctf_integer_hex(u64, gfn, gfn)
		ctf_integer_hex(u32, role, role)
		ctf_integer(unsigned int, level, level)
		ctf_integer(u8, direct, direct)
	)
)

LTTNG_TRACEPOINT_EVENT(mmu_pte_write,
	TP_PROTO(u64 gpa, int len),
	TP_ARGS(gpa, len),
	TP_FIELDS(
		ctf_integer_hex(u64, gpa, gpa)
		ctf_integer(int, len, len)
	)
)

#endif /* LTTNG_TRACE_KVMMMU_H */

/* Outside the guard: define_trace.h reads this file again. */
#include <lttng/define_trace.h>
