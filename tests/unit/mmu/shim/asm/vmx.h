/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMUCHECK_SHIM_ASM_VMX_H
#define MMUCHECK_SHIM_ASM_VMX_H

/*
 * The EPT entry bits kvm/mmu/tdp.c encodes a VMX VM's nested table with.
 * The kernel's asm/vmx.h does not build in userspace, and the checker
 * runs tdp.c on AMD's nested format only (kvm_tdp_ept stays false, as
 * hw_tdp.c walks x86 entries), so these values are never used in a
 * check; they are the kernel header's (SDM vol. 3, 29.3.2).
 */
#define VMX_EPT_MT_EPTE_SHIFT		3
#define VMX_EPTP_MT_WB			0x6ull
#define VMX_EPT_READABLE_MASK		0x1ull
#define VMX_EPT_WRITABLE_MASK		0x2ull
#define VMX_EPT_EXECUTABLE_MASK		0x4ull
#define VMX_EPT_ACCESS_BIT		(1ull << 8)
#define VMX_EPT_DIRTY_BIT		(1ull << 9)
#define VMX_EPT_RWX_MASK		(VMX_EPT_READABLE_MASK | \
					 VMX_EPT_WRITABLE_MASK | \
					 VMX_EPT_EXECUTABLE_MASK)

#endif
