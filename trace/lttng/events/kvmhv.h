/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LTTng event definitions for kvm.ko's kvm tracepoints (trace/kvm_trace.h),
 * provider kvm (LTTng wants every event name to begin with the provider's
 * and "_").  Event and field names are the ftrace ones, so one analysis
 * reads both; every field is an integer (no symbolic names).  LTTng's own
 * probe for upstream KVM has this provider name too: the second of the
 * two to load is refused, which is what we want (trace/lttng/start).
 * Each TP_PROTO must equal the tracepoint's: the probe declares both and
 * the compiler rejects a mismatch.
 */
#if !defined(LTTNG_TRACE_KVMHV_H) || defined(TRACE_HEADER_MULTI_READ)
#define LTTNG_TRACE_KVMHV_H

#include <lttng/tracepoint-event.h>

#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

LTTNG_TRACEPOINT_EVENT(kvm_entry,
	TP_PROTO(unsigned int vcpu_id, unsigned long rip),
	TP_ARGS(vcpu_id, rip),
	TP_FIELDS(
		ctf_integer(unsigned int, vcpu_id, vcpu_id)
		ctf_integer_hex(unsigned long, rip, rip)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_exit,
	TP_PROTO(unsigned int vcpu_id, u32 isa, unsigned int exit_reason,
		 unsigned long guest_rip, u64 info1, u64 info2, u32 intr_info,
		 u32 error_code),
	TP_ARGS(vcpu_id, isa, exit_reason, guest_rip, info1, info2, intr_info,
		error_code),
	TP_FIELDS(
		ctf_integer(unsigned int, exit_reason, exit_reason)
		ctf_integer_hex(unsigned long, guest_rip, guest_rip)
		ctf_integer(u32, isa, isa)
		ctf_integer_hex(u64, info1, info1)
		ctf_integer_hex(u64, info2, info2)
		ctf_integer_hex(u32, intr_info, intr_info)
		ctf_integer_hex(u32, error_code, error_code)
		ctf_integer(unsigned int, vcpu_id, vcpu_id)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_pio,
	TP_PROTO(unsigned int rw, unsigned int port, unsigned int size,
		 unsigned int count, unsigned int val),
	TP_ARGS(rw, port, size, count, val),
	TP_FIELDS(
		ctf_integer(unsigned int, rw, rw)
		ctf_integer_hex(unsigned int, port, port)
		ctf_integer(unsigned int, size, size)
		ctf_integer(unsigned int, count, count)
		ctf_integer_hex(unsigned int, val, val)
	)
)

/* val points to len bytes, or is NULL: the first eight, as one integer. */
LTTNG_TRACEPOINT_EVENT_CODE(kvm_mmio,
	TP_PROTO(int type, int len, u64 gpa, void *val),
	TP_ARGS(type, len, gpa, val),
	TP_locvar(
		u64 val;
	),
	TP_code_pre(
		tp_locvar->val = 0;
		if (val)
			memcpy(&tp_locvar->val, val,
			       min_t(u32, sizeof(tp_locvar->val), len));
	),
	TP_FIELDS(
		ctf_integer(u32, type, type)
		ctf_integer(u32, len, len)
		ctf_integer_hex(u64, gpa, gpa)
		ctf_integer_hex(u64, val, tp_locvar->val)
	),
	TP_code_post()
)

LTTNG_TRACEPOINT_EVENT(kvm_cr,
	TP_PROTO(unsigned int rw, unsigned int cr, unsigned long val),
	TP_ARGS(rw, cr, val),
	TP_FIELDS(
		ctf_integer(unsigned int, rw, rw)
		ctf_integer(unsigned int, cr, cr)
		ctf_integer_hex(unsigned long, val, val)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_msr,
	TP_PROTO(unsigned int write, u32 ecx, u64 data, bool exception),
	TP_ARGS(write, ecx, data, exception),
	TP_FIELDS(
		ctf_integer(unsigned int, write, write)
		ctf_integer_hex(u32, ecx, ecx)
		ctf_integer_hex(u64, data, data)
		ctf_integer(u8, exception, exception)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_hypercall,
	TP_PROTO(unsigned long nr, unsigned long a0, unsigned long a1,
		 unsigned long a2, unsigned long a3),
	TP_ARGS(nr, a0, a1, a2, a3),
	TP_FIELDS(
		ctf_integer_hex(unsigned long, nr, nr)
		ctf_integer_hex(unsigned long, a0, a0)
		ctf_integer_hex(unsigned long, a1, a1)
		ctf_integer_hex(unsigned long, a2, a2)
		ctf_integer_hex(unsigned long, a3, a3)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_cpuid,
	TP_PROTO(u32 function, u32 index, unsigned long rax, unsigned long rbx,
		 unsigned long rcx, unsigned long rdx),
	TP_ARGS(function, index, rax, rbx, rcx, rdx),
	TP_FIELDS(
		ctf_integer_hex(u32, function, function)
		ctf_integer_hex(u32, index, index)
		ctf_integer_hex(unsigned long, rax, rax)
		ctf_integer_hex(unsigned long, rbx, rbx)
		ctf_integer_hex(unsigned long, rcx, rcx)
		ctf_integer_hex(unsigned long, rdx, rdx)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_inj_exception,
	TP_PROTO(unsigned int exception, bool has_error, unsigned int error_code),
	TP_ARGS(exception, has_error, error_code),
	TP_FIELDS(
		ctf_integer(u8, exception, exception)
		ctf_integer(u8, has_error, has_error)
		ctf_integer_hex(u32, error_code, error_code)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_inj_virq,
	TP_PROTO(unsigned int irq),
	TP_ARGS(irq),
	TP_FIELDS(
		ctf_integer(unsigned int, irq, irq)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_inj_nmi,
	TP_PROTO(bool reinjected),
	TP_ARGS(reinjected),
	TP_FIELDS(
		ctf_integer(u8, reinjected, reinjected)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_userspace_exit,
	TP_PROTO(u32 reason, int errno),
	TP_ARGS(reason, errno),
	TP_FIELDS(
		ctf_integer(u32, reason, reason)
		ctf_integer(int, errno, errno)
	)
)

LTTNG_TRACEPOINT_EVENT(kvm_page_fault,
	TP_PROTO(unsigned int vcpu_id, unsigned long guest_rip,
		 unsigned long fault_address, u64 error_code),
	TP_ARGS(vcpu_id, guest_rip, fault_address, error_code),
	TP_FIELDS(
		ctf_integer(unsigned int, vcpu_id, vcpu_id)
		ctf_integer_hex(unsigned long, guest_rip, guest_rip)
		ctf_integer_hex(unsigned long, fault_address, fault_address)
		ctf_integer_hex(u64, error_code, error_code)
	)
)

#endif /* LTTNG_TRACE_KVMHV_H */

/* Outside the guard: define_trace.h reads this file again. */
#include <lttng/define_trace.h>
