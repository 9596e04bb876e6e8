/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crt0 for 64-bit long mode guests: bench/vmm enters at the load address
 * with RDI = vCPU index, RSI = number of vCPUs, RDX = RAM in MiB, RCX =
 * the VMM's flags.  Give this vCPU its stack and call rt_start(cpu,
 * ncpus, mem_mib, flags): the registers are already its arguments.
 */
#define NR_CPUS		16
#define STACK_SHIFT	14	/* 16 KiB a vCPU */

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	cld
	cmp	$NR_CPUS, %edi
	jae	1f
	mov	%edi, %eax
	inc	%eax
	shl	$STACK_SHIFT, %eax
	lea	stacks(%rax), %rsp
	xor	%ebp, %ebp
	call	rt_start
1:	mov	$4, %eax		/* EXIT_TOO_MANY_CPUS */
	out	%eax, $0xf4
2:	hlt
	jmp	2b

	.section .bss
	.balign	4096
stacks:
	.skip	NR_CPUS << STACK_SHIFT

	.section .note.GNU-stack, "", @progbits
