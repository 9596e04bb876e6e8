/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crt0 for 16-bit real mode guests (C built with -m16): bench/vmm enters
 * at 0000:7C00 with EDI = vCPU index, ESI = number of vCPUs, EDX = RAM in
 * MiB, ECX = the VMM's flags.  Everything lives below 64 KiB with all
 * segments 0.  Give this vCPU its stack and call rt_start(cpu, ncpus,
 * mem_mib, flags) (32-bit cdecl, as -m16 code expects).
 */
#define NR_CPUS		4
#define STACK_SHIFT	11	/* 2 KiB a vCPU */

	.section .text.entry, "ax"
	.code16
	.globl _start
_start:
	cli
	cld
	ljmp	$0, $1f
1:	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	cmp	$NR_CPUS, %edi
	jae	2f
	mov	%edi, %eax
	inc	%eax
	shl	$STACK_SHIFT, %eax
	add	$stacks, %eax
	mov	%eax, %esp
	xor	%ebp, %ebp
	pushl	%ecx
	pushl	%edx
	pushl	%esi
	pushl	%edi
	calll	rt_start
2:	mov	$4, %eax		/* EXIT_TOO_MANY_CPUS */
	out	%eax, $0xf4
3:	hlt
	jmp	3b

	.section .bss
	.balign	16
stacks:
	.skip	NR_CPUS << STACK_SHIFT

	.section .note.GNU-stack, "", @progbits
