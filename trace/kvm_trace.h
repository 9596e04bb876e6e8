/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the generic core and the vendor backends, TRACE_SYSTEM
 * kvm.  Events, fields and field types are the ones upstream KVM has
 * under the same names, so that perf kvm stat and trace-cmd read ours
 * unchanged.  kvm/trace.c is the one file that creates them.
 */
#if !defined(_TRACE_KVM_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KVM_H

#include <linux/tracepoint.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

/* kvm_exit's isa: which exit codes exit_reason holds (as upstream). */
#ifndef KVM_ISA_VMX
#define KVM_ISA_VMX	1
#define KVM_ISA_SVM	2
#endif

/* kvm_mmio's type (as upstream). */
#ifndef KVM_TRACE_MMIO_READ_UNSATISFIED
#define KVM_TRACE_MMIO_READ_UNSATISFIED	0
#define KVM_TRACE_MMIO_READ		1
#define KVM_TRACE_MMIO_WRITE		2
#endif

/* Just before VMRUN. */
TRACE_EVENT(kvm_entry,
	TP_PROTO(unsigned int vcpu_id, unsigned long rip),
	TP_ARGS(vcpu_id, rip),

	TP_STRUCT__entry(
		__field(unsigned int,	vcpu_id)
		__field(unsigned long,	rip)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),

	TP_printk("vcpu %u, rip 0x%lx", __entry->vcpu_id, __entry->rip)
);

/* Every hardware exit, before it is handled. */
TRACE_EVENT(kvm_exit,
	TP_PROTO(unsigned int vcpu_id, u32 isa, unsigned int exit_reason,
		 unsigned long guest_rip, u64 info1, u64 info2, u32 intr_info,
		 u32 error_code),
	TP_ARGS(vcpu_id, isa, exit_reason, guest_rip, info1, info2, intr_info,
		error_code),

	TP_STRUCT__entry(
		__field(unsigned int,	exit_reason)
		__field(unsigned long,	guest_rip)
		__field(u32,		isa)
		__field(u64,		info1)
		__field(u64,		info2)
		__field(u32,		intr_info)
		__field(u32,		error_code)
		__field(unsigned int,	vcpu_id)
	),

	TP_fast_assign(
		__entry->exit_reason = exit_reason;
		__entry->guest_rip = guest_rip;
		__entry->isa = isa;
		__entry->info1 = info1;
		__entry->info2 = info2;
		__entry->intr_info = intr_info;
		__entry->error_code = error_code;
		__entry->vcpu_id = vcpu_id;
	),

	TP_printk("vcpu %u reason %s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x",
		  __entry->vcpu_id,
		  __entry->isa == KVM_ISA_VMX ?
		  __print_symbolic(__entry->exit_reason, VMX_EXIT_REASONS) :
		  __print_symbolic(__entry->exit_reason, SVM_EXIT_REASONS),
		  __entry->guest_rip, __entry->info1, __entry->info2,
		  __entry->intr_info, __entry->error_code)
);

/* A port access going to userspace (rw: 1 = OUT); val: the first element. */
TRACE_EVENT(kvm_pio,
	TP_PROTO(unsigned int rw, unsigned int port, unsigned int size,
		 unsigned int count, unsigned int val),
	TP_ARGS(rw, port, size, count, val),

	TP_STRUCT__entry(
		__field(unsigned int,	rw)
		__field(unsigned int,	port)
		__field(unsigned int,	size)
		__field(unsigned int,	count)
		__field(unsigned int,	val)
	),

	TP_fast_assign(
		__entry->rw = rw;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->val = val;
	),

	TP_printk("pio_%s at 0x%x size %d count %d val 0x%x",
		  __entry->rw ? "write" : "read", __entry->port, __entry->size,
		  __entry->count, __entry->val)
);

/*
 * An MMIO access going to userspace, or its read data coming back.  The
 * prototype is upstream's exactly (val points to len bytes, or is NULL):
 * probes written for upstream, such as LTTng's, attach by name alone.
 */
TRACE_EVENT(kvm_mmio,
	TP_PROTO(int type, int len, u64 gpa, void *val),
	TP_ARGS(type, len, gpa, val),

	TP_STRUCT__entry(
		__field(u32,	type)
		__field(u32,	len)
		__field(u64,	gpa)
		__field(u64,	val)
	),

	TP_fast_assign(
		__entry->type = type;
		__entry->len = len;
		__entry->gpa = gpa;
		__entry->val = 0;
		if (val)
			memcpy(&__entry->val, val,
			       min_t(u32, sizeof(__entry->val), len));
	),

	TP_printk("mmio %s len %u gpa 0x%llx val 0x%llx",
		  __print_symbolic(__entry->type,
			{ KVM_TRACE_MMIO_READ_UNSATISFIED, "unsatisfied-read" },
			{ KVM_TRACE_MMIO_READ, "read" },
			{ KVM_TRACE_MMIO_WRITE, "write" }),
		  __entry->len, __entry->gpa, __entry->val)
);

/* A control-register access the guest made (rw: 1 = write). */
TRACE_EVENT(kvm_cr,
	TP_PROTO(unsigned int rw, unsigned int cr, unsigned long val),
	TP_ARGS(rw, cr, val),

	TP_STRUCT__entry(
		__field(unsigned int,	rw)
		__field(unsigned int,	cr)
		__field(unsigned long,	val)
	),

	TP_fast_assign(
		__entry->rw = rw;
		__entry->cr = cr;
		__entry->val = val;
	),

	TP_printk("cr_%s %x = 0x%lx", __entry->rw ? "write" : "read",
		  __entry->cr, __entry->val)
);

/* RDMSR/WRMSR by the guest; exception: it got #GP. */
TRACE_EVENT(kvm_msr,
	TP_PROTO(unsigned int write, u32 ecx, u64 data, bool exception),
	TP_ARGS(write, ecx, data, exception),

	TP_STRUCT__entry(
		__field(unsigned int,	write)
		__field(u32,		ecx)
		__field(u64,		data)
		__field(u8,		exception)
	),

	TP_fast_assign(
		__entry->write = write;
		__entry->ecx = ecx;
		__entry->data = data;
		__entry->exception = exception;
	),

	TP_printk("msr_%s %x = 0x%llx%s", __entry->write ? "write" : "read",
		  __entry->ecx, __entry->data,
		  __entry->exception ? " (#GP)" : "")
);

/* VMMCALL/VMCALL: the hypercall number and its first four arguments. */
TRACE_EVENT(kvm_hypercall,
	TP_PROTO(unsigned long nr, unsigned long a0, unsigned long a1,
		 unsigned long a2, unsigned long a3),
	TP_ARGS(nr, a0, a1, a2, a3),

	TP_STRUCT__entry(
		__field(unsigned long,	nr)
		__field(unsigned long,	a0)
		__field(unsigned long,	a1)
		__field(unsigned long,	a2)
		__field(unsigned long,	a3)
	),

	TP_fast_assign(
		__entry->nr = nr;
		__entry->a0 = a0;
		__entry->a1 = a1;
		__entry->a2 = a2;
		__entry->a3 = a3;
	),

	TP_printk("nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx a3 0x%lx",
		  __entry->nr, __entry->a0, __entry->a1, __entry->a2,
		  __entry->a3)
);

TRACE_EVENT(kvm_cpuid,
	TP_PROTO(u32 function, u32 index, unsigned long rax, unsigned long rbx,
		 unsigned long rcx, unsigned long rdx),
	TP_ARGS(function, index, rax, rbx, rcx, rdx),

	TP_STRUCT__entry(
		__field(u32,		function)
		__field(u32,		index)
		__field(unsigned long,	rax)
		__field(unsigned long,	rbx)
		__field(unsigned long,	rcx)
		__field(unsigned long,	rdx)
	),

	TP_fast_assign(
		__entry->function = function;
		__entry->index = index;
		__entry->rax = rax;
		__entry->rbx = rbx;
		__entry->rcx = rcx;
		__entry->rdx = rdx;
	),

	TP_printk("func %x idx %x rax %lx rbx %lx rcx %lx rdx %lx",
		  __entry->function, __entry->index, __entry->rax,
		  __entry->rbx, __entry->rcx, __entry->rdx)
);

/* An exception delivered on this entry. */
TRACE_EVENT(kvm_inj_exception,
	TP_PROTO(unsigned int exception, bool has_error, unsigned int error_code),
	TP_ARGS(exception, has_error, error_code),

	TP_STRUCT__entry(
		__field(u8,	exception)
		__field(u8,	has_error)
		__field(u32,	error_code)
	),

	TP_fast_assign(
		__entry->exception = exception;
		__entry->has_error = has_error;
		__entry->error_code = error_code;
	),

	TP_printk("vector %u%s 0x%x", __entry->exception,
		  __entry->has_error ? " error_code" : "", __entry->error_code)
);

/* A KVM_INTERRUPT vector delivered on this entry. */
TRACE_EVENT(kvm_inj_virq,
	TP_PROTO(unsigned int irq),
	TP_ARGS(irq),

	TP_STRUCT__entry(
		__field(unsigned int,	irq)
	),

	TP_fast_assign(
		__entry->irq = irq;
	),

	TP_printk("irq %u", __entry->irq)
);

/*
 * An NMI delivered on this entry: one KVM_NMI made pending, or one whose
 * delivery an exit interrupted, delivered again.
 */
TRACE_EVENT(kvm_inj_nmi,
	TP_PROTO(bool reinjected),
	TP_ARGS(reinjected),

	TP_STRUCT__entry(
		__field(bool,	reinjected)
	),

	TP_fast_assign(
		__entry->reinjected = reinjected;
	),

	TP_printk("%s", __entry->reinjected ? "reinjected" : "new")
);

/* KVM_RUN returns: run->exit_reason, and the ioctl's error (0 or -errno). */
TRACE_EVENT(kvm_userspace_exit,
	TP_PROTO(u32 reason, int errno),
	TP_ARGS(reason, errno),

	TP_STRUCT__entry(
		__field(u32,	reason)
		__field(int,	errno)
	),

	TP_fast_assign(
		__entry->reason = reason;
		__entry->errno = errno;
	),

	TP_printk("reason %s (%d)",
		  __entry->errno < 0 ?
		  (__entry->errno == -EINTR ? "restart" : "error") :
		  __print_symbolic(__entry->reason,
			{ KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN" },
			{ KVM_EXIT_IO, "KVM_EXIT_IO" },
			{ KVM_EXIT_HLT, "KVM_EXIT_HLT" },
			{ KVM_EXIT_MMIO, "KVM_EXIT_MMIO" },
			{ KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN" },
			{ KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN" },
			{ KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY" },
			{ KVM_EXIT_INTR, "KVM_EXIT_INTR" },
			{ KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR" }),
		  __entry->errno < 0 ? -__entry->errno : __entry->reason)
);

/* A #PF intercept of shadow paging, before the MMU strategy handles it. */
TRACE_EVENT(kvm_page_fault,
	TP_PROTO(unsigned int vcpu_id, unsigned long guest_rip,
		 unsigned long fault_address, u64 error_code),
	TP_ARGS(vcpu_id, guest_rip, fault_address, error_code),

	TP_STRUCT__entry(
		__field(unsigned int,	vcpu_id)
		__field(unsigned long,	guest_rip)
		__field(unsigned long,	fault_address)
		__field(u64,		error_code)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->guest_rip = guest_rip;
		__entry->fault_address = fault_address;
		__entry->error_code = error_code;
	),

	TP_printk("vcpu %u rip 0x%lx address 0x%016lx error_code 0x%llx",
		  __entry->vcpu_id, __entry->guest_rip,
		  __entry->fault_address, __entry->error_code)
);

#endif /* _TRACE_KVM_H */

/* Out of tree: define_trace.h finds this file through -I$(src)/../trace. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kvm_trace

#include <trace/define_trace.h>
