/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the shadow-paging MMU strategies, TRACE_SYSTEM kvmmmu.
 * Created, with the kvm system's, by kvm/trace.c; the strategies include
 * them through kvm/mmu/mmutrace.h.
 */
#if !defined(_TRACE_KVMMMU_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KVMMMU_H

#include <linux/tracepoint.h>

#include "mmu/mmu.h"

#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvmmmu

/* RET_PF_* are enum values: tell the format files their numbers. */
TRACE_DEFINE_ENUM(RET_PF_FIXED);
TRACE_DEFINE_ENUM(RET_PF_RETRY);
TRACE_DEFINE_ENUM(RET_PF_GUEST);
TRACE_DEFINE_ENUM(RET_PF_EMULATE);

/*
 * A shadow page fault, handled: its outcome (what the pf_* counters
 * count) and the shadow pages it created.  An EMULATE is a write to a
 * write-protected guest page table (pt_write) or an MMIO access (a gpa
 * with no memory, or read-only memory written).
 */
TRACE_EVENT(mmu_fault,
	TP_PROTO(unsigned int vcpu_id, u64 gva, u32 error_code, int outcome,
		 unsigned int created, bool pt_write),
	TP_ARGS(vcpu_id, gva, error_code, outcome, created, pt_write),

	TP_STRUCT__entry(
		__field(unsigned int,	vcpu_id)
		__field(u64,		gva)
		__field(u32,		error_code)
		__field(int,		outcome)
		__field(unsigned int,	created)
		__field(bool,		pt_write)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->gva = gva;
		__entry->error_code = error_code;
		__entry->outcome = outcome;
		__entry->created = created;
		__entry->pt_write = pt_write;
	),

	TP_printk("vcpu %u gva 0x%llx error_code 0x%x %s created %u%s",
		  __entry->vcpu_id, __entry->gva, __entry->error_code,
		  __print_symbolic(__entry->outcome,
			{ RET_PF_FIXED, "FIXED" },
			{ RET_PF_RETRY, "RETRY" },
			{ RET_PF_GUEST, "GUEST" },
			{ RET_PF_EMULATE, "EMULATE" }),
		  __entry->created,
		  __entry->outcome != RET_PF_EMULATE ? "" :
		  __entry->pt_write ? " page-table write" : " mmio")
);

/*
 * Shadow mappings dropped for a CR3 write, an INVLPG, a full drop (mode
 * change, reload request, a bound), or a flush of every vCPU's TLB
 * (vcpu_id -1); zapped: shadow pages dropped.
 */
TRACE_EVENT(mmu_flush,
	TP_PROTO(int vcpu_id, unsigned int cause, unsigned int zapped),
	TP_ARGS(vcpu_id, cause, zapped),

	TP_STRUCT__entry(
		__field(int,		vcpu_id)
		__field(unsigned int,	cause)
		__field(unsigned int,	zapped)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->cause = cause;
		__entry->zapped = zapped;
	),

	TP_printk("vcpu %d %s zapped %u", __entry->vcpu_id,
		  __print_symbolic(__entry->cause,
			{ KVM_MMU_FLUSH_CR3, "CR3" },
			{ KVM_MMU_FLUSH_INVLPG, "INVLPG" },
			{ KVM_MMU_FLUSH_FULL, "FULL" },
			{ KVM_MMU_FLUSH_REMOTE, "REMOTE" }),
		  __entry->zapped)
);

/* A shadow page made or taken out of use, and why. */
TRACE_EVENT(mmu_sp,
	TP_PROTO(unsigned int op, u64 gfn, u32 role, unsigned int level,
		 bool direct),
	TP_ARGS(op, gfn, role, level, direct),

	TP_STRUCT__entry(
		__field(unsigned int,	op)
		__field(u64,		gfn)
		__field(u32,		role)
		__field(unsigned int,	level)
		__field(bool,		direct)
	),

	TP_fast_assign(
		__entry->op = op;
		__entry->gfn = gfn;
		__entry->role = role;
		__entry->level = level;
		__entry->direct = direct;
	),

	TP_printk("%s gfn 0x%llx role 0x%x level %u%s",
		  __print_symbolic(__entry->op,
			{ KVM_MMU_SP_CREATE, "CREATE" },
			{ KVM_MMU_SP_ZAP, "ZAP" },
			{ KVM_MMU_SP_RECLAIM, "RECLAIM" },
			{ KVM_MMU_SP_FLOOD, "FLOOD" },
			{ KVM_MMU_SP_UNPROTECT, "UNPROTECT" },
			{ KVM_MMU_SP_UNSYNC, "UNSYNC" },
			{ KVM_MMU_SP_SYNC, "SYNC" }),
		  __entry->gfn, __entry->role, __entry->level,
		  __entry->direct ? " direct" : "")
);

/* An emulated write to a shadowed guest page table (mmu=cached). */
TRACE_EVENT(mmu_pte_write,
	TP_PROTO(u64 gpa, int len),
	TP_ARGS(gpa, len),

	TP_STRUCT__entry(
		__field(u64,	gpa)
		__field(int,	len)
	),

	TP_fast_assign(
		__entry->gpa = gpa;
		__entry->len = len;
	),

	TP_printk("gpa 0x%llx len %d", __entry->gpa, __entry->len)
);

#endif /* _TRACE_KVMMMU_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mmu_trace

#include <trace/define_trace.h>
