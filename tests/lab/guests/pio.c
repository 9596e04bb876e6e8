// SPDX-License-Identifier: GPL-2.0
/*
 * pio: port I/O to the vmm's PIO test device (bench/README.md), every
 * size and form: IN/OUT of 1, 2 and 4 bytes, INS/OUTS single and with
 * REP, and REP INSB with DF=1.  The guest checks every value it reads;
 * the vmm prints every write as "pio: out PORT SIZE VALUE", which
 * pio.expected holds.  Reports pio.checks=N and exits 0, or prints
 * "check failed: ..." and exits 1.
 */
#include "guest.h"

static uint32_t rom(unsigned port, int size)
{
	uint32_t v = 0;
	int i;

	for (i = size - 1; i >= 0; i--)
		v = (v << 8) | pio_rom_byte(port + i);
	return v;
}

int guest_main(unsigned cpu)
{
	static const char text[] = "hello";
	static const uint16_t words[3] = { 0x1234, 0xabcd, 0x0f0f };
	static const uint32_t dwords[2] = { 0xdeadbeef, 0x01020304 };
	uint8_t b[8];
	uint16_t w[4];
	uint32_t l[4];
	uint32_t seq;
	uint8_t *p;
	const char *s;
	ulong n;
	int i;

	(void)cpu;

	/* The pattern, as bench/README.md documents it. */
	check_eq("inl 0xe0 (documented)", inl(0xe0), 0xfdf2e7dc);

	/* IN of each size from the pattern ports. */
	check_eq("inb 0xe0", inb(0xe0), rom(0xe0, 1));
	check_eq("inb 0xe7", inb(0xe7), rom(0xe7, 1));
	check_eq("inw 0xe2", inw(0xe2), rom(0xe2, 2));
	check_eq("inl 0xe4", inl(0xe4), rom(0xe4, 4));

	/* OUT of each size to the scratch register, read back. */
	outb(0xe8, 0x5a);
	check_eq("inb 0xe8", inb(0xe8), 0x5a);
	outw(0xe8, 0xbeef);
	check_eq("inw 0xe8", inw(0xe8), 0xbeef);
	check_eq("inb 0xe9", inb(0xe9), 0xbe);
	outl(0xe8, 0x12345678);
	check_eq("inl 0xe8", inl(0xe8), 0x12345678);
	check_eq("inw 0xea", inw(0xea), 0x1234);
	outb(0xeb, 0x9a);
	check_eq("inl 0xe8 after outb 0xeb", inl(0xe8), 0x9a345678);

	/* The sequence port: each read returns the counter, then adds 1. */
	outl(0xec, 100);
	check_eq("inb 0xec", inb(0xec), 100);
	check_eq("inw 0xec", inw(0xec), 101);
	check_eq("inl 0xec", inl(0xec), 102);
	seq = 103;

	/* REP INS of each size: consecutive values, in order. */
	memset(b, 0, sizeof(b));
	insb(0xec, b, 8);
	for (i = 0; i < 8; i++)
		check_eq("rep insb", b[i], seq++);
	insw(0xec, w, 4);
	for (i = 0; i < 4; i++)
		check_eq("rep insw", w[i], seq++);
	insl(0xec, l, 4);
	for (i = 0; i < 4; i++)
		check_eq("rep insl", l[i], seq++);

	/* Single INS/OUTS, without REP. */
	p = b;
	asm volatile("insb" : "+D"(p) : "d"(0xec) : "memory");
	check_eq("insb", b[0], seq++);
	check_eq("insb: rdi", p - b, 1);
	s = text;
	asm volatile("outsb" : "+S"(s) : "d"(0xe8) : "memory");
	check_eq("outsb", inb(0xe8), 'h');
	check_eq("outsb: rsi", s - text, 1);

	/* REP INSB backwards: DF=1 fills from the end down. */
	memset(b, 0, sizeof(b));
	p = b + 7;
	n = 8;
	asm volatile("std\n\trep insb\n\tcld"
		     : "+D"(p), "+c"(n) : "d"(0xec) : "memory");
	for (i = 7; i >= 0; i--)
		check_eq("std; rep insb", b[i], seq++);
	check_eq("std; rep insb: rdi", b - p, 1);
	check_eq("std; rep insb: rcx", n, 0);

	/* REP OUTS of each size: the vmm prints each element. */
	outsb(0xe8, text, 5);
	check_eq("inb 0xe8 after rep outsb", inb(0xe8), 'o');
	outsw(0xe8, words, 3);
	check_eq("inw 0xe8 after rep outsw", inw(0xe8), 0x0f0f);
	outsl(0xe8, dwords, 2);
	check_eq("inl 0xe8 after rep outsl", inl(0xe8), 0x01020304);

	/* OUT to the sequence port sets it; IN to a pattern port of each size. */
	outw(0xec, 0x7000);
	check_eq("inw 0xee", inw(0xee), 0x7000);
	check_eq("inl 0xe1", inl(0xe1), rom(0xe1, 4));

	report("pio.checks", checks);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
