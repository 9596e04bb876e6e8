/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crt0 for 32-bit guests, protected mode with or without paging:
 * bench/vmm enters at the load address with EDI = vCPU index, ESI =
 * number of vCPUs, EDX = RAM in MiB, ECX = the VMM's flags.  Give this
 * vCPU its stack and call rt_start(cpu, ncpus, mem_mib, flags).
 */
#define NR_CPUS		16
#define STACK_SHIFT	14	/* 16 KiB a vCPU */

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	cmp	$NR_CPUS, %edi
	jae	1f
	mov	%edi, %eax
	inc	%eax
	shl	$STACK_SHIFT, %eax
	lea	stacks(%eax), %esp
	xor	%ebp, %ebp
	push	%ecx
	push	%edx
	push	%esi
	push	%edi
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
