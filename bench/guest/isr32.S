/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exception entry for 32-bit guests: one stub per vector 0-31 pushes a
 * zero error code where the CPU pushes none, then the vector; the common
 * part saves the registers and calls exception_handler(frame), which may
 * change the return EIP (exc_fixup).
 */
	.code32
	.text

.macro isr vec, has_error
isr\vec:
	.if !\has_error
	push	$0
	.endif
	push	$\vec
	jmp	isr_common
.endm

isr_common:
	pushal
	mov	%esp, %eax
	push	%eax
	cld
	call	exception_handler
	add	$4, %esp
	popal
	add	$8, %esp
	iret

	isr 0, 0
	isr 1, 0
	isr 2, 0
	isr 3, 0
	isr 4, 0
	isr 5, 0
	isr 6, 0
	isr 7, 0
	isr 8, 1
	isr 9, 0
	isr 10, 1
	isr 11, 1
	isr 12, 1
	isr 13, 1
	isr 14, 1
	isr 15, 0
	isr 16, 0
	isr 17, 1
	isr 18, 0
	isr 19, 0
	isr 20, 0
	isr 21, 1
	isr 22, 0
	isr 23, 0
	isr 24, 0
	isr 25, 0
	isr 26, 0
	isr 27, 0
	isr 28, 0
	isr 29, 1
	isr 30, 1
	isr 31, 0

	.section .rodata
	.globl isr_table
	.balign 4
isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr\n
	.endr

	.section .note.GNU-stack, "", @progbits
