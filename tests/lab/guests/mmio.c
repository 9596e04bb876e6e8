// SPDX-License-Identifier: GPL-2.0
/*
 * mmio: MOV of each width to and from the vmm's MMIO test device at
 * 0xd0000000 (bench/README.md): loads from its pattern half (offsets
 * below 0x800) checked against the pattern, stores to its RAM half read
 * back with every width, MOVZX/MOVSX, a store of an immediate, a store
 * to the pattern half (dropped), the ALU forms (ADD, SUB, AND, XOR, OR,
 * CMP, TEST), XCHG, and REP MOVS/STOS through the device.  The
 * vmm prints every write as "mmio: write ADDR LEN VALUE", which
 * mmio.expected (mmio-prot32.expected without the 8-byte ones) holds.
 * Reports mmio.checks=N and exits 0, or prints "check failed: ..." and
 * exits 1.
 */
#include "guest.h"

#define DEV ((ulong)MMIO_TEST_BASE)

static uint64_t rom(unsigned off, int size)
{
	uint64_t v = 0;
	int i;

	for (i = size - 1; i >= 0; i--)
		v = (v << 8) | mmio_rom_byte(off + i);
	return v;
}

static uint8_t ld8(ulong a)
{
	uint8_t v;

	asm volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static uint16_t ld16(ulong a)
{
	uint16_t v;

	asm volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static uint32_t ld32(ulong a)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static void st8(ulong a, uint8_t v)
{
	asm volatile("movb %0, (%1)" : : "q"(v), "r"(a) : "memory");
}

static void st16(ulong a, uint16_t v)
{
	asm volatile("movw %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static void st32(ulong a, uint32_t v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

int guest_main(unsigned cpu)
{
	ulong ram = DEV + MMIO_TEST_RAM;
	uint32_t v32;

	(void)cpu;

	/* The pattern, as bench/README.md documents it. */
	check_eq("movl 0x0 (documented)", ld32(DEV), 0x8174675a);

	/* Loads of each width from the pattern, aligned and not. */
	check_eq("movb 0x0", ld8(DEV), rom(0, 1));
	check_eq("movb 0x123", ld8(DEV + 0x123), rom(0x123, 1));
	check_eq("movw 0x10", ld16(DEV + 0x10), rom(0x10, 2));
	check_eq("movw 0x11", ld16(DEV + 0x11), rom(0x11, 2));
	check_eq("movl 0x20", ld32(DEV + 0x20), rom(0x20, 4));
	check_eq("movl 0x7fc", ld32(DEV + 0x7fc), rom(0x7fc, 4));
	check_eq("movl 0x33", ld32(DEV + 0x33), rom(0x33, 4));

	/* MOVZX and MOVSX, from bytes and words with the top bit set. */
	asm volatile("movzbl (%1), %0" : "=r"(v32) : "r"(DEV + 0x3) : "memory");
	check_eq("movzbl 0x3", v32, rom(3, 1));
	asm volatile("movsbl (%1), %0" : "=r"(v32) : "r"(DEV + 0x3) : "memory");
	check_eq("movsbl 0x3", v32, (uint32_t)(int32_t)(int8_t)rom(3, 1));
	asm volatile("movzwl (%1), %0" : "=r"(v32) : "r"(DEV + 0x6) : "memory");
	check_eq("movzwl 0x6", v32, rom(6, 2));
	asm volatile("movswl (%1), %0" : "=r"(v32) : "r"(DEV + 0x6) : "memory");
	check_eq("movswl 0x6", v32, (uint32_t)(int32_t)(int16_t)rom(6, 2));

	/* Stores of each width to the RAM half, read back. */
	st32(ram, 0x11223344);
	check_eq("movl ram", ld32(ram), 0x11223344);
	check_eq("movb ram+1", ld8(ram + 1), 0x33);
	check_eq("movw ram+2", ld16(ram + 2), 0x1122);
	st8(ram + 1, 0xaa);
	check_eq("movl ram after movb", ld32(ram), 0x1122aa44);
	st16(ram + 2, 0xbbcc);
	check_eq("movl ram after movw", ld32(ram), 0xbbccaa44);
	st32(ram + 0x7fc, 0xcafef00d);
	check_eq("movl ram+0x7fc", ld32(ram + 0x7fc), 0xcafef00d);

	/* A store of an immediate. */
	asm volatile("movl $0x600dcafe, (%0)" : : "r"(ram + 0x10) : "memory");
	check_eq("movl $imm", ld32(ram + 0x10), 0x600dcafe);

	/* A read-modify-write: one read, one write. */
	asm volatile("orl $0xf0000000, (%0)" : : "r"(ram + 0x10) : "memory", "cc");
	check_eq("orl", ld32(ram + 0x10), 0xf00dcafe);

	/* Stores to the pattern half are printed and dropped. */
	st32(DEV + 0x40, 0x55aa55aa);
	check_eq("movl 0x40 after a store", ld32(DEV + 0x40), rom(0x40, 4));

	/* The other ALU forms: read-modify-write, and read-only (CMP, TEST, reg OP mem). */
	st32(ram + 0x30, 100);
	asm volatile("addl $5, (%0)" : : "r"(ram + 0x30) : "memory", "cc");
	check_eq("addl", ld32(ram + 0x30), 105);
	asm volatile("subl %1, (%0)" : : "r"(ram + 0x30), "r"(3) : "memory", "cc");
	check_eq("subl", ld32(ram + 0x30), 102);
	asm volatile("andl $0xf0, (%0)" : : "r"(ram + 0x30) : "memory", "cc");
	check_eq("andl", ld32(ram + 0x30), 0x60);
	asm volatile("xorb $0xff, (%0)" : : "r"(ram + 0x30) : "memory", "cc");
	check_eq("xorb", ld32(ram + 0x30), 0x9f);
	{
		uint8_t eq, nz;
		uint32_t r = 1;

		asm volatile("cmpl $0x9f, (%1)\n\tsete %0" : "=q"(eq) : "r"(ram + 0x30) : "cc");
		check_eq("cmpl", eq, 1);
		asm volatile("testl $0x80, (%1)\n\tsetnz %0" : "=q"(nz) : "r"(ram + 0x30) : "cc");
		check_eq("testl", nz, 1);
		asm volatile("addl (%1), %0" : "+r"(r) : "r"(ram + 0x30) : "cc");
		check_eq("addl mem to reg", r, 0xa0);
		r = 0x1234;
		asm volatile("xchgl %0, (%1)" : "+r"(r) : "r"(ram + 0x30) : "memory");
		check_eq("xchgl: register", r, 0x9f);
		check_eq("xchgl: memory", ld32(ram + 0x30), 0x1234);
	}

	/* String moves: MMIO to MMIO, RAM to MMIO, and a fill. */
	{
		static const char text[] = "wxyz";
		ulong src = DEV, dst = ram + 0x40, n = 4;

		asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
		check_eq("rep movsb from the pattern", ld32(ram + 0x40), rom(0, 4));
		check_eq("rep movsb: rcx", n, 0);
		src = (ulong)text;
		dst = ram + 0x48;
		n = 4;
		asm volatile("rep movsb" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
		check_eq("rep movsb from RAM", ld32(ram + 0x48), 0x7a797877);
		dst = ram + 0x50;
		n = 2;
		asm volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(0x5a5a5a5a) : "memory");
		check_eq("rep stosl", ld32(ram + 0x54), 0x5a5a5a5a);
		check_eq("rep stosl: rdi", dst - ram, 0x58);
	}

#ifdef __x86_64__
	{
		uint64_t v64;

		asm volatile("movq (%1), %0" : "=r"(v64) : "r"(DEV + 0x100) : "memory");
		check_eq("movq 0x100", v64, rom(0x100, 8));
		asm volatile("movq %0, (%1)" : : "r"(0x0123456789abcdefULL), "r"(ram + 0x20) : "memory");
		asm volatile("movq (%1), %0" : "=r"(v64) : "r"(ram + 0x20) : "memory");
		check_eq("movq ram+0x20", v64, 0x0123456789abcdefULL);
		check_eq("movl ram+0x24", ld32(ram + 0x24), 0x01234567);
		asm volatile("movq $-2, (%0)" : : "r"(ram + 0x28) : "memory");
		asm volatile("movq (%1), %0" : "=r"(v64) : "r"(ram + 0x28) : "memory");
		check_eq("movq $imm", v64, 0xfffffffffffffffeULL);
	}
#endif

	report("mmio.checks", checks);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
