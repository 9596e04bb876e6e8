/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mode-switch: from the reset state to long mode, driven by the guest
 * (vmm --mode reset).  The image is the 64 KiB below 1 MiB; the vmm maps
 * it at 0xffff0000 too, so the CPU's first fetch at 0xfffffff0 finds the
 * reset vector.  Then:
 *
 *   real mode    far jump to F000:start16, print, save CR0, load the GDT,
 *                set CR0.PE, far jump to 32-bit code
 *   protected    print, save CR0, build 4-level tables identity-mapping
 *                4 GiB with 2 MiB pages at 0x20000, set CR4.PAE,
 *                EFER.LME and CR0.PG, far jump to 64-bit code
 *   long mode    print, enter the runtime's crt0 (_start): C from there
 *
 * Written for one vCPU.
 */
#define SEG_BASE	0xf0000
#define PT		0x20000
#define STACK		0x7000
#define COM1		0x3f8

	.section .resetvec, "ax"
	.code16
reset_vector:
	ljmp	$0xf000, $(start16 - SEG_BASE)
	.fill	16 - (. - reset_vector), 1, 0xf4	/* hlt */

	.section .text.start16, "ax"
	.code16
start16:
	cli
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	xor	%ax, %ax
	mov	%ax, %ss
	mov	$STACK, %sp
	mov	%cr0, %eax
	mov	%eax, (ms_real_cr0 - SEG_BASE)
	mov	$(msg_real - SEG_BASE), %si
	mov	$(msg_real_end - msg_real), %cx
	mov	$COM1, %dx
	rep outsb
	lgdtl	(gdt_desc - SEG_BASE)
	mov	%cr0, %eax
	or	$1, %eax			/* PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $prot32

	.code32
prot32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	$STACK, %esp
	mov	%cr0, %eax
	mov	%eax, ms_prot_cr0
	mov	$msg_prot, %esi
	mov	$(msg_prot_end - msg_prot), %ecx
	mov	$COM1, %dx
	rep outsb

	/* PML4, PDPT and four PDs: six pages at PT. */
	mov	$PT, %edi
	xor	%eax, %eax
	mov	$(6 * 1024), %ecx
	rep stosl
	movl	$(PT + 0x1003), PT			/* PML4[0] -> PDPT */
	movl	$(PT + 0x2003), PT + 0x1000		/* PDPT[0..3] -> PDs */
	movl	$(PT + 0x3003), PT + 0x1008
	movl	$(PT + 0x4003), PT + 0x1010
	movl	$(PT + 0x5003), PT + 0x1018
	mov	$(PT + 0x2000), %edi
	xor	%ebx, %ebx
1:	mov	%ebx, %eax
	shl	$21, %eax
	or	$0x83, %eax				/* P, RW, PS */
	mov	%eax, (%edi)
	add	$8, %edi
	inc	%ebx
	cmp	$2048, %ebx
	jb	1b
	mov	$PT, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax				/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx			/* EFER */
	rdmsr
	or	$0x100, %eax				/* LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax			/* PG */
	mov	%eax, %cr0
	ljmp	$0x18, $long64

	.code64
long64:
	mov	$0x20, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	$STACK, %esp
	mov	$msg_long, %esi
	mov	$(msg_long_end - msg_long), %ecx
	mov	$COM1, %dx
	rep outsb
	xor	%edi, %edi			/* vCPU 0 */
	mov	$1, %esi			/* of 1 */
	xor	%edx, %edx			/* RAM size unknown */
	xor	%ecx, %ecx			/* no VMM flags */
	jmp	_start

	.section .data
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff		/* 0x08: code, 32-bit */
	.quad	0x00cf93000000ffff		/* 0x10: data */
	.quad	0x00af9b000000ffff		/* 0x18: code, 64-bit */
	.quad	0x00cf93000000ffff		/* 0x20: data */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.globl	ms_real_cr0, ms_prot_cr0
ms_real_cr0:
	.long	0xffffffff
ms_prot_cr0:
	.long	0xffffffff

msg_real:
	.ascii	"mode-switch: real mode\n"
msg_real_end:
msg_prot:
	.ascii	"mode-switch: protected mode\n"
msg_prot_end:
msg_long:
	.ascii	"mode-switch: long mode\n"
msg_long_end:

	.section .note.GNU-stack, "", @progbits
