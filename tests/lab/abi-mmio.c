// SPDX-License-Identifier: GPL-2.0
/*
 * abi mmio: MMIO as devices see it, from the emulated instructions: an
 * access that crosses a page is split there (each page RAM or MMIO on its
 * own), and an MMIO access wider than 8 bytes (the 16-byte SSE moves) goes
 * out in pieces of 8, as upstream's fragments: one KVM_EXIT_MMIO each,
 * with the exact address, length and data of each.  String I/O whose
 * memory is MMIO moves one element per exit, with an MMIO exit of its own:
 * OUTS reads the element, then writes the port; INS the other way round.
 *
 * A real-mode guest with 1 MiB of RAM; DS = 0xffff reaches the MMIO above
 * it: DS:0x100f is 0x100fff, the last byte of the first MMIO page.
 */
#include "abi.h"

#define XMM_RESULT	0x600	/* the guest stores XMM1 here (RAM) */

GUEST_ASM(g_mmio, ".code16",
	"movw $0xffff, %ax\n"
	"movw %ax, %ds\n"
	"xorw %ax, %ax\n"
	"movw %ax, %es\n"
	/* A word across two MMIO pages, written, then read. */
	"movw $0x88aa, 0x100f\n"
	"movw 0x100f, %ax\n"
	"outw %ax, $0x10\n"
	/* A dword across the last RAM page and the first MMIO page. */
	"movl $0x11223344, 0x000e\n"
	"movl 0x000e, %eax\n"
	"outl %eax, $0x11\n"
	/* 16 bytes to MMIO from XMM0, and back into XMM1. */
	"movups %es:0x610, %xmm0\n"
	"movups %xmm0, 0x1020\n"
	"movdqu 0x1020, %xmm1\n"
	"movups %xmm1, %es:0x600\n"
	/* REP OUTSB from MMIO 0x101020, REP INSW to MMIO 0x101030. */
	"movw $0x1030, %si\n"
	"movw $2, %cx\n"
	"movw $0x20, %dx\n"
	"rep outsb\n"
	"movw %ds, %ax\n"
	"movw %ax, %es\n"
	"movw $0x1040, %di\n"
	"movw $2, %cx\n"
	"movw $0x21, %dx\n"
	"rep insw\n"
	"movw %si, %ax\n"
	"outw %ax, $0x12\n"
	"movw %di, %ax\n"
	"outw %ax, $0x13\n"
	"hlt\n");
extern const uint8_t g_mmio[], g_mmio_end[];

/*
 * KVM_RUN, which must exit to MMIO at @gpa for @len bytes: a write of
 * @data, or a read, answered with @data.
 */
static void mmio_expect(struct vcpu *v, const char *name, uint64_t gpa,
			uint32_t len, bool write, uint64_t data)
{
	struct kvm_run *run = v->run;
	uint64_t got = 0;
	int rc = vcpu_run(v);

	if (rc || run->exit_reason != KVM_EXIT_MMIO ||
	    run->mmio.phys_addr != gpa || run->mmio.len != len ||
	    run->mmio.is_write != write) {
		failures++;
		printf("FAIL: abi: mmio: %s: KVM_RUN %d, exit %u, %s %u bytes at %#llx; want %s %u at %#llx\n",
		       name, rc, run->exit_reason,
		       run->mmio.is_write ? "write" : "read", run->mmio.len,
		       (unsigned long long)run->mmio.phys_addr,
		       write ? "write" : "read", len, (unsigned long long)gpa);
		return;
	}
	if (write) {
		memcpy(&got, run->mmio.data, len);
		check(got == data, name, "wrote %#llx, want %#llx",
		      (unsigned long long)got, (unsigned long long)data);
		return;
	}
	memcpy(run->mmio.data, &data, len);
	printf("PASS: abi: %s\n", name);
}

/*
 * KVM_RUN, which must exit to port @port, one element of @size bytes: an
 * OUT of @data, or an IN, answered with @data.
 */
static void io_expect(struct vcpu *v, const char *name, uint16_t port,
		      int size, bool out, uint32_t data)
{
	struct kvm_run *run = v->run;
	uint32_t got = 0;
	uint8_t *p;
	int rc = vcpu_run(v);

	if (rc || run->exit_reason != KVM_EXIT_IO || run->io.port != port ||
	    run->io.size != size || run->io.count != 1 ||
	    run->io.direction != (out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN)) {
		failures++;
		printf("FAIL: abi: %s: KVM_RUN %d, exit %u port %#x size %u count %u dir %u\n",
		       name, rc, run->exit_reason, run->io.port, run->io.size,
		       run->io.count, run->io.direction);
		return;
	}
	p = (uint8_t *)run + run->io.data_offset;
	if (!out) {
		memcpy(p, &data, size);
		printf("PASS: abi: %s\n", name);
		return;
	}
	memcpy(&got, p, size);
	check(got == data, name, "got %#x, want %#x", got, data);
}

void test_mmio(void)
{
	static const uint8_t pattern[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct kvm_sregs s;
	struct vcpu v;
	struct vm vm;
	uint8_t got[16];
	int rc;

	rm_guest(&vm, &v, g_mmio, g_mmio_end, 2);
	memcpy(vm.mem + 0x610, pattern, sizeof(pattern));
	memset(vm.mem + XMM_RESULT, 0, 16);
	/* CR4.OSFXSR for the SSE moves (CR0.EM and TS are clear at reset). */
	ioctl(v.fd, KVM_GET_SREGS, &s);
	s.cr4 |= 0x200;
	ioctl(v.fd, KVM_SET_SREGS, &s);

	mmio_expect(&v, "mmio: word across MMIO pages: write, 1st page", 0x100fff, 1, true, 0xaa);
	mmio_expect(&v, "mmio: word across MMIO pages: write, 2nd page", 0x101000, 1, true, 0x88);
	mmio_expect(&v, "mmio: word across MMIO pages: read, 1st page", 0x100fff, 1, false, 0x12);
	mmio_expect(&v, "mmio: word across MMIO pages: read, 2nd page", 0x101000, 1, false, 0x34);
	io_expect(&v, "mmio: word across MMIO pages: the value read", 0x10, 2, true, 0x3412);
	mmio_expect(&v, "mmio: dword across RAM and MMIO: write, MMIO half", 0x100000, 2, true, 0x1122);
	check(vm.mem[0xffffe] == 0x44 && vm.mem[0xfffff] == 0x33,
	      "mmio: dword across RAM and MMIO: write, RAM half", "%02x %02x",
	      vm.mem[0xffffe], vm.mem[0xfffff]);
	mmio_expect(&v, "mmio: dword across RAM and MMIO: read, MMIO half", 0x100000, 2, false, 0x5566);
	io_expect(&v, "mmio: dword across RAM and MMIO: the value read", 0x11, 4, true, 0x55663344);
	mmio_expect(&v, "mmio: MOVUPS store: 1st 8 bytes", 0x101010, 8, true, 0x7766554433221100ULL);
	mmio_expect(&v, "mmio: MOVUPS store: 2nd 8 bytes", 0x101018, 8, true, 0xffeeddccbbaa9988ULL);
	mmio_expect(&v, "mmio: MOVDQU load: 1st 8 bytes", 0x101010, 8, false, 0x0807060504030201ULL);
	mmio_expect(&v, "mmio: MOVDQU load: 2nd 8 bytes", 0x101018, 8, false, 0x100f0e0d0c0b0a09ULL);
	mmio_expect(&v, "mmio: REP OUTSB from MMIO: 1st element read", 0x101020, 1, false, 0x5a);
	memcpy(got, vm.mem + XMM_RESULT, 16);
	check(got[0] == 1 && got[7] == 8 && got[8] == 9 && got[15] == 16,
	      "mmio: MOVDQU load: XMM1 holds the 16 bytes read",
	      "%02x %02x %02x %02x", got[0], got[7], got[8], got[15]);
	io_expect(&v, "mmio: REP OUTSB from MMIO: 1st element out", 0x20, 1, true, 0x5a);
	mmio_expect(&v, "mmio: REP OUTSB from MMIO: 2nd element read", 0x101021, 1, false, 0x5b);
	io_expect(&v, "mmio: REP OUTSB from MMIO: 2nd element out", 0x20, 1, true, 0x5b);
	io_expect(&v, "mmio: REP INSW to MMIO: 1st element in", 0x21, 2, false, 0x1234);
	mmio_expect(&v, "mmio: REP INSW to MMIO: 1st element written", 0x101030, 2, true, 0x1234);
	io_expect(&v, "mmio: REP INSW to MMIO: 2nd element in", 0x21, 2, false, 0x5678);
	mmio_expect(&v, "mmio: REP INSW to MMIO: 2nd element written", 0x101032, 2, true, 0x5678);
	io_expect(&v, "mmio: REP OUTSB: SI after", 0x12, 2, true, 0x1032);
	io_expect(&v, "mmio: REP INSW: DI after", 0x13, 2, true, 0x1044);
	rc = vcpu_run(&v);
	check(rc == 0 && v.run->exit_reason == KVM_EXIT_HLT, "mmio: HLT at the end",
	      "KVM_RUN %d, exit %u", rc, v.run->exit_reason);
	vm_destroy(&vm);
}
