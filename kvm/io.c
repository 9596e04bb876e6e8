// SPDX-License-Identifier: GPL-2.0
/*
 * Exits that go to userspace, and the guest memory accesses made for the
 * guest: port I/O (KVM_EXIT_IO, string INS/OUTS a page at a time), MMIO
 * (KVM_EXIT_MMIO) from the instruction emulator and its callbacks (guest
 * memory by linear address, MMIO split as devices see it), and the
 * completion of each on the next KVM_RUN.
 *
 * Return contract of the exit handlers here, as in x86.c: 1 = handled,
 * re-enter the guest; 0 = kvm_run is filled in, return to userspace;
 * < 0 = an error for KVM_RUN to return.
 */
#define pr_fmt(fmt) "kvm: " fmt

#include <linux/cache.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "kvm_host.h"
#include "mmu/mmu.h"
#include "segment.h"
#include "kvm_trace.h"

/*
 * A write the guest makes through us (the emulator, a string IN): like
 * one the hardware does, it must reach the MMU strategy, which may be
 * shadowing a page table there.
 */
static int kvm_write_guest_tracked(struct kvm_vcpu *vcpu, gpa_t gpa,
				   const void *data, unsigned long len)
{
	int r = kvm_write_guest(vcpu->kvm, gpa, data, len);

	if (!r && vcpu->kvm->mmu_ops->track_write)
		vcpu->kvm->mmu_ops->track_write(vcpu, gpa, data, len);
	return r;
}

/* ---- guest memory by linear address ---------------------------------- */

/*
 * Copy between a linear address and a buffer, through the guest's page
 * tables (A/D bits set as by the access).  A failed translation queues
 * the #PF the guest would get and returns 1; a gpa outside memory
 * returns -EFAULT.
 */
static int kvm_linear_copy(struct kvm_vcpu *vcpu, gva_t gva, void *buf,
			   unsigned int len, u32 access)
{
	while (len) {
		unsigned int off = offset_in_page(gva);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		u32 error_code;
		gpa_t gpa;
		int r;

		gpa = vcpu->kvm->mmu_ops->translate(vcpu, gva, access, true,
						    &error_code);
		if (gpa == KVM_INVALID_GPA) {
			kvm_inject_page_fault(vcpu, gva, error_code);
			return 1;
		}
		if (access & KVM_ACC_WRITE)
			r = kvm_write_guest_tracked(vcpu, gpa, buf, n);
		else
			r = kvm_read_guest(vcpu->kvm, gpa, buf, n);
		if (r)
			return r;
		gva += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static u32 kvm_access_cpl(struct kvm_vcpu *vcpu)
{
	return kvm_vendor->get_cpl(vcpu) == 3 ? KVM_ACC_USER : 0;
}

/*
 * Fetch up to 15 bytes at CS:RIP; returns how many could be read.  Caller
 * holds slots_lock for read (as for every translate()).
 */
int kvm_fetch_insn(struct kvm_vcpu *vcpu, u8 *buf)
{
	struct kvm_segment cs;
	gva_t gva;
	int n;

	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	gva = cs.base + vcpu->rip;
	if (!kvm_is_long_mode(vcpu) || !cs.l)
		gva &= 0xffffffff;
	/* Byte by byte up to the first page that does not translate. */
	for (n = 0; n < 15; n++) {
		u32 error_code;
		gpa_t gpa = vcpu->kvm->mmu_ops->translate(vcpu, gva + n,
				KVM_ACC_FETCH | kvm_access_cpl(vcpu), false,
				&error_code);

		if (gpa == KVM_INVALID_GPA || kvm_read_guest(vcpu->kvm, gpa, buf + n, 1))
			break;
	}
	return n;
}

/* The legacy prefixes of b[0..n), up to the opcode or a REX prefix. */
void kvm_scan_prefixes(const u8 *b, int n, struct kvm_prefixes *p)
{
	static const u8 prefix_seg[][2] = {
		{ 0x26, VCPU_SREG_ES }, { 0x2e, VCPU_SREG_CS }, { 0x36, VCPU_SREG_SS },
		{ 0x3e, VCPU_SREG_DS }, { 0x64, VCPU_SREG_FS }, { 0x65, VCPU_SREG_GS },
	};
	int i, j;

	memset(p, 0, sizeof(*p));
	p->seg = VCPU_SREG_DS;
	for (i = 0; i < n; i++) {
		if (b[i] == 0xf0) {
			p->lock = true;
			continue;
		}
		if (b[i] == 0x67) {
			p->adsz = true;
			continue;
		}
		if (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3)
			continue;
		for (j = 0; j < ARRAY_SIZE(prefix_seg); j++)
			if (b[i] == prefix_seg[j][0])
				break;
		if (j == ARRAY_SIZE(prefix_seg))
			break;		/* the opcode (or REX, which ends prefixes) */
		p->seg = prefix_seg[j][1];
	}
	p->len = i;
}

/*
 * The prefixes of a string I/O instruction: the segment OUTS reads from
 * (DS unless overridden) and the address size (the mode's, or the other
 * one with 67), read from the instruction: SVM's EXITINFO1 can report
 * both, but implementations differ in whether they fill those fields in
 * (QEMU's leaves them zero); VMX reports them only where IA32_VMX_BASIC
 * bit 54 is set.  Caller holds slots_lock.
 */
void kvm_string_io_prefixes(struct kvm_vcpu *vcpu, int *seg, int *asize)
{
	struct kvm_prefixes p;
	struct kvm_segment cs;
	u8 insn[15];

	kvm_scan_prefixes(insn, kvm_fetch_insn(vcpu, insn), &p);
	*seg = p.seg;
	kvm_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	if (kvm_is_long_mode(vcpu) && cs.l)
		*asize = p.adsz ? 4 : 8;
	else if ((vcpu->cr0 & X86_CR0_PE) && cs.db)
		*asize = p.adsz ? 2 : 4;
	else
		*asize = p.adsz ? 4 : 2;
}

/* ---- port I/O ---------------------------------------------------------- */

/* Elements of a string moving down (DF=1) sit in memory in reverse order. */
static void kvm_pio_reverse(u8 *data, u32 count, int size)
{
	u32 i, j;
	u64 t;

	for (i = 0, j = count - 1; i < j; i++, j--) {
		memcpy(&t, data + i * size, size);
		memcpy(data + i * size, data + j * size, size);
		memcpy(data + j * size, &t, size);
	}
}

static u64 kvm_addr_mask(int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* Write a register truncated to the address size, as string instructions do. */
static void kvm_set_reg_masked(struct kvm_vcpu *vcpu, int reg, u64 val,
			       int addr_size)
{
	u64 mask = kvm_addr_mask(addr_size);

	if (addr_size == 4)
		vcpu->regs[reg] = (u32)val;	/* 32-bit writes zero-extend */
	else
		vcpu->regs[reg] = (vcpu->regs[reg] & ~mask) | (val & mask);
}

/* A string chunk moved: advance rSI/rDI and rCX, and RIP once done. */
static void kvm_pio_string_advance(struct kvm_vcpu *vcpu)
{
	int idx = vcpu->pio.in ? VCPU_REGS_RDI : VCPU_REGS_RSI;
	s64 delta = (s64)vcpu->pio.count * vcpu->pio.size;
	int as = vcpu->pio.addr_size;

	if (vcpu->rflags & X86_EFLAGS_DF)
		delta = -delta;
	kvm_set_reg_masked(vcpu, idx, vcpu->regs[idx] + delta, as);
	if (vcpu->pio.rep) {
		u64 rcx = (vcpu->regs[VCPU_REGS_RCX] & kvm_addr_mask(as)) -
			  vcpu->pio.count;

		kvm_set_reg_masked(vcpu, VCPU_REGS_RCX, rcx, as);
		if (rcx)
			return;		/* the guest re-executes the instruction */
	}
	kvm_set_next_rip(vcpu, vcpu->pio.next_rip);
}

static void kvm_mmio_exit(struct kvm_vcpu *vcpu, bool write);

/* OUTS's one element from MMIO, in the PIO page now, goes to the port. */
static void kvm_pio_outs_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u32 val = 0;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = vcpu->pio.size;
	run->io.port = vcpu->pio.port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	memcpy(&val, page_address(vcpu->pio_page), vcpu->pio.size);
	trace_kvm_pio(1, vcpu->pio.port, vcpu->pio.size, 1, val);
}

/*
 * The gpa of a string I/O's element at @gva if it lies in one page that
 * is not RAM for the access (no slot; or a read-only slot, for INS, which
 * writes it), else KVM_INVALID_GPA.  A translation that fails is left to
 * the RAM path, which raises the #PF at the right moment (for INS, after
 * the port was read).
 */
static gpa_t kvm_pio_string_mmio(struct kvm_vcpu *vcpu, gva_t gva, int size,
				 bool in)
{
	u32 access = kvm_access_cpl(vcpu) | (in ? KVM_ACC_WRITE : 0);
	u32 error_code;
	gpa_t gpa;

	if (offset_in_page(gva) + size > PAGE_SIZE)
		return KVM_INVALID_GPA;
	gpa = vcpu->kvm->mmu_ops->translate(vcpu, gva, access, false,
					    &error_code);
	if (gpa == KVM_INVALID_GPA ||
	    kvm_gfn_to_hva(vcpu->kvm, gpa >> PAGE_SHIFT, in) != KVM_HVA_ERR)
		return KVM_INVALID_GPA;
	return gpa;
}

/*
 * IN or OUT (not a string) to a port a device in the kernel answers (the
 * PICs, the PIT, an ioeventfd): done here, without an exit.  0 if it
 * was; -EOPNOTSUPP for userspace's ports.
 */
static int kvm_pio_in_kernel(struct kvm_vcpu *vcpu, bool in, u16 port,
			     int size, u64 next_rip)
{
	u64 *rax = &vcpu->regs[VCPU_REGS_RAX];
	u32 val = 0;

	if (in) {
		if (kvm_io_bus_read(vcpu, KVM_PIO_BUS, port, size, &val))
			return -EOPNOTSUPP;
		/* IN to AL/AX keeps the upper bits; IN to EAX zero-extends. */
		if (size == 4)
			*rax = 0;
		memcpy(rax, &val, size);
	} else {
		memcpy(&val, rax, size);
		if (kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, &val))
			return -EOPNOTSUPP;
	}
	trace_kvm_pio(!in, port, size, 1, val);
	kvm_set_next_rip(vcpu, next_rip);
	return 0;
}

/*
 * A port access goes to userspace as KVM_EXIT_IO; the data travels in the
 * PIO page at run->io.data_offset.  A string instruction (INS/OUTS, with
 * or without REP) moves at most one page's worth of elements per exit,
 * never crossing a page of guest memory: the instruction is re-executed
 * until rCX runs out, which keeps guest page faults precise.  seg is the
 * segment OUTS reads from (DS unless overridden).
 *
 * Memory that is not RAM (MMIO, or a read-only slot for INS) takes one
 * element per exit and an MMIO exit of its own, as upstream's emulator
 * does: OUTS reads the element from MMIO, then writes the port; INS
 * reads the port, then writes the element to MMIO.
 */
int kvm_emulate_pio(struct kvm_vcpu *vcpu, bool in, u16 port, int size,
		    bool string, bool rep, int addr_size, int seg, u64 next_rip)
{
	struct kvm_run *run = vcpu->run;
	u8 *data = page_address(vcpu->pio_page);
	struct kvm_segment sreg;
	u64 count = 1, max, off;
	bool down;
	gva_t gva;
	int r;

	if (!string && !kvm_pio_in_kernel(vcpu, in, port, size, next_rip))
		return 1;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->stat.pio_exits++;
	vcpu->pio.port = port;
	vcpu->pio.in = in;
	vcpu->pio.size = size;
	vcpu->pio.next_rip = next_rip;

	if (!string) {
		if (in) {
			vcpu->pending_io = KVM_IO_PIO_IN;
			/* The value is userspace's to give: traced as 0. */
			trace_kvm_pio(0, port, size, 1, 0);
		} else {
			memcpy(data, &vcpu->regs[VCPU_REGS_RAX], size);
			trace_kvm_pio(1, port, size, 1,
				      (u32)vcpu->regs[VCPU_REGS_RAX] &
				      (u32)(BIT_ULL(size * 8) - 1));
			kvm_set_next_rip(vcpu, next_rip);
		}
		return 0;
	}

	if (rep) {
		count = vcpu->regs[VCPU_REGS_RCX] & kvm_addr_mask(addr_size);
		if (!count) {
			kvm_set_next_rip(vcpu, next_rip);
			return 1;
		}
	}
	/* INS always writes ES:rDI; OUTS reads seg:rSI. */
	kvm_vendor->get_segment(vcpu, &sreg, in ? VCPU_SREG_ES : seg);
	off = vcpu->regs[in ? VCPU_REGS_RDI : VCPU_REGS_RSI] &
	      kvm_addr_mask(addr_size);
	gva = sreg.base + off;
	if (!kvm_is_long_mode(vcpu))
		gva &= 0xffffffff;
	down = vcpu->rflags & X86_EFLAGS_DF;
	vcpu->pio.mmio_gpa = kvm_pio_string_mmio(vcpu, gva, size, in);
	/* Elements that fit in this guest page, in the direction of travel. */
	if (down)
		max = offset_in_page(gva) / size + 1;
	else
		max = (PAGE_SIZE - offset_in_page(gva)) / size;
	count = min3(count, max ? max : 1, (u64)(PAGE_SIZE / size));
	if (vcpu->pio.mmio_gpa != KVM_INVALID_GPA)
		count = 1;

	vcpu->pio.rep = rep;
	vcpu->pio.count = count;
	vcpu->pio.addr_size = addr_size;
	vcpu->pio.gva = down ? gva - (count - 1) * size : gva;
	run->io.count = count;

	if (in) {
		vcpu->pending_io = KVM_IO_PIO_STRING;
		trace_kvm_pio(0, port, size, count, 0);
		return 0;
	}
	if (vcpu->pio.mmio_gpa != KVM_INVALID_GPA) {
		vcpu->mmio.gpa = vcpu->pio.mmio_gpa;
		vcpu->mmio.len = size;
		kvm_mmio_exit(vcpu, false);
		vcpu->pending_io = KVM_IO_PIO_OUTS_MMIO;
		return 0;
	}
	r = kvm_linear_copy(vcpu, vcpu->pio.gva, data, count * size,
			    kvm_access_cpl(vcpu));
	if (r)
		return r < 0 ? r : 1;	/* 1: the guest's #PF is queued */
	if (down)
		kvm_pio_reverse(data, count, size);
	if (trace_kvm_pio_enabled()) {
		u32 val = 0;

		memcpy(&val, data, size);
		trace_kvm_pio(1, port, size, count, val);
	}
	kvm_pio_string_advance(vcpu);
	return 0;
}

/* ---- MMIO ------------------------------------------------------------ */

static void kvm_mmio_write_next(struct kvm_vcpu *vcpu);

/*
 * The emulator's memory callbacks.  A linear address is translated with
 * the guest's page tables; RAM is read and written directly, anything
 * else is MMIO and goes to userspace.  An MMIO read returns X86EMU_EXIT
 * the first time and its data once userspace answered (the emulator runs
 * the instruction again from the start, and the reads answered so far are
 * replayed in order: up to two, for CMPS); an MMIO write is queued and
 * sent after the instruction completes.  A 16-byte access (SSE) reaches
 * MMIO as two 8-byte halves, as upstream's fragments: two reads, or one
 * write sent in two exits.
 */
static enum x86_emu_result kvm_emu_translate(struct x86_emu_ctxt *c, u64 gva,
					     unsigned int size, bool write,
					     gpa_t *gpa)
{
	struct kvm_vcpu *vcpu = c->opaque;
	u32 access = kvm_access_cpl(vcpu) | (write ? KVM_ACC_WRITE : 0);
	u32 error_code;

	/* Callers split an access where it crosses a page. */
	if (offset_in_page(gva) + size > PAGE_SIZE)
		return X86EMU_UNHANDLED;
	*gpa = vcpu->kvm->mmu_ops->translate(vcpu, gva, access, true, &error_code);
	if (*gpa == KVM_INVALID_GPA)
		return x86_emu_raise(c, PF_VECTOR, true, error_code, gva);
	return X86EMU_DONE;
}

/*
 * MMIO that the kernel answers: this vCPU's local APIC page, the IOAPIC,
 * an ioeventfd.  0 if it did; -EOPNOTSUPP for userspace's MMIO.  Done at
 * once, as the instruction is emulated (an instruction writes once, and
 * last: emulate.h).
 */
static int kvm_mmio_in_kernel(struct kvm_vcpu *vcpu, gpa_t gpa,
			      unsigned int len, u8 *val, bool write)
{
	int r;

	if (!irqchip_in_kernel(vcpu->kvm) && list_empty(&vcpu->kvm->ioeventfds))
		return -EOPNOTSUPP;
	if (lapic_in_kernel(vcpu)) {
		r = write ? kvm_lapic_mmio_write(vcpu, gpa, len, val) :
			    kvm_lapic_mmio_read(vcpu, gpa, len, val);
		if (r != -EOPNOTSUPP)
			goto out;
	}
	r = write ? kvm_io_bus_write(vcpu, KVM_MMIO_BUS, gpa, len, val) :
		    kvm_io_bus_read(vcpu, KVM_MMIO_BUS, gpa, len, val);
	if (r)
		return r;
out:
	trace_kvm_mmio(write ? KVM_TRACE_MMIO_WRITE : KVM_TRACE_MMIO_READ,
		       len, gpa, val);
	return 0;
}

/*
 * An access within one page, at @gpa: RAM directly; MMIO in pieces of at
 * most 8 bytes, each read an exit (or its replayed answer), each write a
 * fragment sent after the instruction.
 */
static enum x86_emu_result kvm_emu_access_gpa(struct kvm_vcpu *vcpu, gpa_t gpa,
					      u8 *val, unsigned int size,
					      bool write)
{
	unsigned int off, n;

	if (write) {
		if (!kvm_write_guest_tracked(vcpu, gpa, val, size))
			return X86EMU_DONE;
	} else if (!kvm_read_guest(vcpu->kvm, gpa, val, size)) {
		return X86EMU_DONE;
	}
	for (off = 0; off < size; off += n) {
		n = min(size - off, 8U);
		if (!kvm_mmio_in_kernel(vcpu, gpa + off, n, val + off, write))
			continue;
		if (write) {
			struct kvm_mmio_frag *f;

			if (vcpu->mmio.nr_frags == ARRAY_SIZE(vcpu->mmio.frag))
				return X86EMU_UNHANDLED;
			f = &vcpu->mmio.frag[vcpu->mmio.nr_frags];
			f->off = f == vcpu->mmio.frag ? 0 : f[-1].off + f[-1].len;
			/* Never more than the buffer, whoever the caller. */
			if (f->off + n > sizeof(vcpu->mmio.wdata))
				return X86EMU_UNHANDLED;
			f->gpa = gpa + off;
			f->len = n;
			memcpy(vcpu->mmio.wdata + f->off, val + off, n);
			vcpu->mmio.nr_frags++;
			continue;
		}
		if (vcpu->mmio.next_done < vcpu->mmio.nr_done) {
			struct kvm_mmio_read *d =
				&vcpu->mmio.done[vcpu->mmio.next_done];

			if (d->gpa == gpa + off && d->len == n) {
				memcpy(val + off, d->data, n);
				vcpu->mmio.next_done++;
				continue;
			}
			/* Not the read answered before: forget it and the later ones. */
			vcpu->mmio.nr_done = vcpu->mmio.next_done;
		}
		if (vcpu->mmio.nr_frags ||
		    vcpu->mmio.nr_done == ARRAY_SIZE(vcpu->mmio.done))
			return X86EMU_UNHANDLED;
		vcpu->mmio.gpa = gpa + off;
		vcpu->mmio.len = n;
		vcpu->mmio.read_pending = true;
		return X86EMU_EXIT;
	}
	return X86EMU_DONE;
}

/*
 * Both pages of an access that crosses one are translated before either
 * is touched (a #PF on the second comes before any device sees the first).
 * An instruction writes once (emulate.h): its MMIO fragments are all of
 * that write.
 */
static enum x86_emu_result kvm_emu_access(struct x86_emu_ctxt *c, u64 gva,
					  void *val, unsigned int size,
					  bool write)
{
	struct kvm_vcpu *vcpu = c->opaque;
	unsigned int n[2], i, off;
	enum x86_emu_result r;
	gpa_t gpa[2];

	if (write && vcpu->mmio.nr_frags)
		return X86EMU_UNHANDLED;
	n[0] = min_t(u64, size, PAGE_SIZE - offset_in_page(gva));
	n[1] = size - n[0];
	for (i = 0; i < 2 && n[i]; i++) {
		u64 page_gva = gva + (i ? n[0] : 0);

		/* Outside 64-bit mode the linear address wraps at 4 GiB. */
		if (c->mode != X86_EMU_LONG64)
			page_gva = (u32)page_gva;
		r = kvm_emu_translate(c, page_gva, n[i], write, &gpa[i]);
		if (r != X86EMU_DONE)
			return r;
	}
	for (i = 0, off = 0; i < 2 && n[i]; off += n[i], i++) {
		r = kvm_emu_access_gpa(vcpu, gpa[i], (u8 *)val + off, n[i],
				       write);
		if (r != X86EMU_DONE)
			return r;
	}
	return X86EMU_DONE;
}

static enum x86_emu_result kvm_emu_read(struct x86_emu_ctxt *c, u64 gva,
					void *val, unsigned int size)
{
	return kvm_emu_access(c, gva, val, size, false);
}

static enum x86_emu_result kvm_emu_write(struct x86_emu_ctxt *c, u64 gva,
					 const void *val, unsigned int size)
{
	return kvm_emu_access(c, gva, (void *)val, size, true);
}

/*
 * The write of a locked read-modify-write, atomic against the other
 * vCPUs (which write the same RAM with the hardware's own locked
 * instructions, or through here).  Memory changed since the read:
 * X86EMU_RETRY, and the guest runs the instruction again.  MMIO, and an
 * access split across cache lines (a split lock, which the host may
 * refuse), and one that crosses a page, are written as plain writes.
 */
static enum x86_emu_result kvm_emu_cmpxchg(struct x86_emu_ctxt *c, u64 gva,
					   const void *old, const void *new,
					   unsigned int size)
{
	struct kvm_vcpu *vcpu = c->opaque;
	enum x86_emu_result res;
	u64 o = 0, n = 0;
	gpa_t gpa;
	int r;

	if (offset_in_page(gva) + size > PAGE_SIZE)
		return kvm_emu_access(c, gva, (void *)new, size, true);
	res = kvm_emu_translate(c, gva, size, true, &gpa);
	if (res != X86EMU_DONE)
		return res;
	if ((gpa & (L1_CACHE_BYTES - 1)) + size > L1_CACHE_BYTES)
		return kvm_emu_access(c, gva, (void *)new, size, true);
	memcpy(&o, old, size);		/* little-endian, as the guest's */
	memcpy(&n, new, size);
	r = kvm_cmpxchg_guest(vcpu->kvm, gpa, size, o, n);
	if (r == -EAGAIN) {
		vcpu->stat.emulate_retries++;
		return X86EMU_RETRY;
	}
	if (r)
		return kvm_emu_access(c, gva, (void *)new, size, true);
	if (vcpu->kvm->mmu_ops->track_write)
		vcpu->kvm->mmu_ops->track_write(vcpu, gpa, new, size);
	return X86EMU_DONE;
}

static enum x86_emu_result kvm_emu_invlpg(struct x86_emu_ctxt *c, u64 gva)
{
	struct kvm_vcpu *vcpu = c->opaque;

	vcpu->kvm->mmu_ops->invlpg(vcpu, gva);
	return X86EMU_DONE;
}

static u64 kvm_emu_get_cr0(struct x86_emu_ctxt *c)
{
	struct kvm_vcpu *vcpu = c->opaque;

	return vcpu->cr0;
}

static u64 kvm_emu_get_cr4(struct x86_emu_ctxt *c)
{
	struct kvm_vcpu *vcpu = c->opaque;

	return vcpu->cr4;
}

static void kvm_emu_get_xmm(struct x86_emu_ctxt *c, unsigned int reg,
			    u8 val[16])
{
	kvm_get_xmm(c->opaque, reg, val);
}

static void kvm_emu_set_xmm(struct x86_emu_ctxt *c, unsigned int reg,
			    const u8 val[16])
{
	kvm_set_xmm(c->opaque, reg, val);
}

/*
 * The MMX moves: a pending unmasked x87 exception is #MF, whatever CR0.NE
 * (as upstream, whose FWAIT in the host always raises #MF).
 */
static enum x86_emu_result kvm_emu_get_mmx(struct x86_emu_ctxt *c,
					   unsigned int reg, u64 *val)
{
	if (kvm_get_mmx(c->opaque, reg, val))
		return x86_emu_raise(c, MF_VECTOR, false, 0, 0);
	return X86EMU_DONE;
}

static void kvm_emu_set_mmx(struct x86_emu_ctxt *c, unsigned int reg,
			    u64 val, bool write)
{
	kvm_set_mmx(c->opaque, reg, val, write);
}

/* LMSW: PE, MP, EM and TS from @val; PE is set but never cleared. */
static enum x86_emu_result kvm_emu_lmsw(struct x86_emu_ctxt *c, u16 val)
{
	struct kvm_vcpu *vcpu = c->opaque;
	u64 cr0 = (vcpu->cr0 & ~0xeULL) | (val & 0xf) | (vcpu->cr0 & X86_CR0_PE);

	if (kvm_vendor->get_cpl(vcpu) || kvm_set_cr0(vcpu, cr0))
		return x86_emu_raise(c, GP_VECTOR, true, 0, 0);
	return X86EMU_DONE;
}

/*
 * LTR (SDM vol. 2, LTR; vol. 3, "Task Management"): TR from the GDT's
 * descriptor for @sel, which must be an available TSS (a 16-bit one only
 * outside IA-32e mode, where the descriptor is 16 bytes), present, and is
 * then marked busy in the GDT, atomically against other vCPUs.  CPL 0
 * only; the emulator refused real and virtual-8086 mode (#UD).
 */
static enum x86_emu_result kvm_emu_ltr(struct x86_emu_ctxt *c, u16 sel)
{
	struct kvm_vcpu *vcpu = c->opaque;
	bool lma = kvm_is_long_mode(vcpu);
	u32 err = sel & 0xfffc, type;
	struct kvm_segment tr = {};
	struct kvm_dtable gdt;
	enum x86_emu_result r;
	u64 desc[2] = {}, busy;
	unsigned int shift;

	if (kvm_vendor->get_cpl(vcpu) || !err)
		return x86_emu_raise(c, GP_VECTOR, true, 0, 0);
	kvm_vendor->get_dtable(vcpu, &gdt, false);
	if ((sel & SEGMENT_TI_MASK) ||
	    (sel & ~7) + (lma ? 15 : 7) > gdt.limit)
		return x86_emu_raise(c, GP_VECTOR, true, err, 0);
	r = kvm_emu_access(c, gdt.base + (sel & ~7), desc, lma ? 16 : 8, false);
	if (r != X86EMU_DONE)
		return r;
	type = (desc[0] >> 40) & 0x1f;		/* S and the type */
	if (type != 9 && (type != 1 || lma))
		return x86_emu_raise(c, GP_VECTOR, true, err, 0);
	if (!(desc[0] & BIT_ULL(47)))
		return x86_emu_raise(c, NP_VECTOR, true, err, 0);
	tr.base = ((desc[0] >> 16) & 0xffffff) | ((desc[0] >> 32) & 0xff000000);
	if (lma) {
		tr.base |= desc[1] << 32;
		shift = vcpu->cr4 & X86_CR4_LA57 ? 7 : 16;
		if (((desc[1] >> 40) & 0x1f) ||
		    (s64)(tr.base << shift) >> shift != tr.base)
			return x86_emu_raise(c, GP_VECTOR, true, err, 0);
	}
	busy = desc[0] | BIT_ULL(41);
	r = kvm_emu_cmpxchg(c, gdt.base + (sel & ~7), &desc[0], &busy, 8);
	if (r != X86EMU_DONE)
		return r;
	tr.selector = sel;
	tr.limit = (desc[0] & 0xffff) | ((desc[0] >> 32) & 0xf0000);
	tr.g = (desc[0] >> 55) & 1;
	if (tr.g)
		tr.limit = (tr.limit << 12) | 0xfff;
	tr.type = type | 2;
	tr.present = 1;
	tr.dpl = (desc[0] >> 45) & 3;
	tr.db = (desc[0] >> 54) & 1;
	tr.avl = (desc[0] >> 52) & 1;
	kvm_vendor->set_segment(vcpu, &tr, VCPU_SREG_TR);
	return X86EMU_DONE;
}

/* A segment.c result as the emulator's: its fault, or not an instruction for us. */
static enum x86_emu_result kvm_emu_seg_result(struct x86_emu_ctxt *c, int r,
					      const struct x86_emu_exception *e)
{
	if (!r)
		return X86EMU_DONE;
	if (r == KVM_SEG_FAULT) {
		c->exception = *e;
		return X86EMU_FAULT;
	}
	return X86EMU_UNHANDLED;	/* a descriptor outside RAM, ... */
}

/*
 * MOV Sreg, m16 and POP FS/GS (emulate.h): ES, SS, DS, FS or GS from
 * @sel at the current CPL, with segment.c's checks and faults.  The MOV
 * SS interrupt shadow is set where the instruction commits
 * (__kvm_emulate_instruction(), kvm_emu_loads_ss()).
 */
static enum x86_emu_result kvm_emu_load_sreg(struct x86_emu_ctxt *c,
					     enum x86_emu_seg seg, u16 sel)
{
	struct kvm_vcpu *vcpu = c->opaque;
	struct x86_emu_exception e;
	int r;

	if (seg == X86_SEG_CS || seg >= X86_SEG_NR)
		return X86EMU_UNHANDLED;
	/* x86_emu_seg and kvm_sreg share the ES, CS, SS, DS, FS, GS order. */
	r = kvm_load_segment(vcpu, sel, seg, KVM_SEG_LOAD_MOV,
			     kvm_vendor->get_cpl(vcpu), &e);
	return kvm_emu_seg_result(c, r, &e);
}

/*
 * Far JMP through memory to a code segment (emulate.h): CS from @sel,
 * checked, and @rip within the new CS (its limit; canonical if it is a
 * 64-bit segment) before anything is loaded, else #GP(0).
 */
static enum x86_emu_result kvm_emu_far_jmp(struct x86_emu_ctxt *c, u16 sel,
					   u64 rip)
{
	struct kvm_vcpu *vcpu = c->opaque;
	struct x86_emu_exception e;
	struct kvm_seg_prep p;
	unsigned int shift;
	int r;

	r = kvm_seg_prepare(vcpu, sel, VCPU_SREG_CS, KVM_SEG_LOAD_JMP,
			    kvm_vendor->get_cpl(vcpu), &p, &e);
	if (r)
		return kvm_emu_seg_result(c, r, &e);
	if (kvm_is_long_mode(vcpu) && p.var.l) {
		shift = vcpu->cr4 & X86_CR4_LA57 ? 7 : 16;
		if ((s64)(rip << shift) >> shift != rip)
			return x86_emu_raise(c, GP_VECTOR, true, 0, 0);
	} else if (rip > p.var.limit) {
		return x86_emu_raise(c, GP_VECTOR, true, 0, 0);
	}
	r = kvm_seg_commit(vcpu, VCPU_SREG_CS, &p, &e);
	return kvm_emu_seg_result(c, r, &e);
}

/*
 * The emulated instruction loaded SS (MOV SS, 8E /2; POP SS, 17 outside
 * 64-bit mode): the next instruction runs in its interrupt shadow.
 */
static bool kvm_emu_loads_ss(const struct x86_emu_ctxt *c)
{
	struct kvm_prefixes p;
	unsigned int i;

	kvm_scan_prefixes(c->insn, c->insn_len, &p);
	i = p.len;
	if (c->mode == X86_EMU_LONG64 && i < c->insn_len &&
	    (c->insn[i] & 0xf0) == 0x40)
		i++;			/* REX */
	if (i >= c->insn_len)
		return false;
	if (c->insn[i] == 0x17)
		return c->mode != X86_EMU_LONG64;
	return c->insn[i] == 0x8e && i + 1 < c->insn_len &&
	       ((c->insn[i + 1] >> 3) & 7) == X86_SEG_SS;
}

static const struct x86_emu_ops kvm_emu_ops = {
	.read = kvm_emu_read,
	.write = kvm_emu_write,
	.invlpg = kvm_emu_invlpg,
	.get_cr0 = kvm_emu_get_cr0,
	.lmsw = kvm_emu_lmsw,
	.get_cr4 = kvm_emu_get_cr4,
	.ltr = kvm_emu_ltr,
	.get_xmm = kvm_emu_get_xmm,
	.set_xmm = kvm_emu_set_xmm,
	.get_mmx = kvm_emu_get_mmx,
	.set_mmx = kvm_emu_set_mmx,
	.cmpxchg_emulated = kvm_emu_cmpxchg,
	.load_sreg = kvm_emu_load_sreg,
	.far_jmp = kvm_emu_far_jmp,
};

int kvm_emulation_failed(struct kvm_vcpu *vcpu, const u8 *insn, int len)
{
	u64 data[3] = { 0 };

	/* Like upstream: the byte count, then the bytes. */
	data[0] = len;
	memcpy(&data[1], insn, min(len, 15));
	pr_info_ratelimited("vCPU %d: cannot emulate the instruction at %#llx (%*ph): KVM_EXIT_INTERNAL_ERROR\n",
			    vcpu->vcpu_id, vcpu->rip, min(len, 15), insn);
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, data, 3);
}

/*
 * Run the instruction at CS:RIP through the emulator: after an MMIO exit
 * (from the #PF intercept) and again when userspace has answered a read.
 */
static int __kvm_emulate_instruction(struct kvm_vcpu *vcpu, gpa_t pt_gpa);

int kvm_emulate_instruction(struct kvm_vcpu *vcpu)
{
	int r;

	down_read(&vcpu->kvm->slots_lock);
	r = __kvm_emulate_instruction(vcpu, KVM_INVALID_GPA);
	up_read(&vcpu->kvm->slots_lock);
	return r;
}

static int kvm_emulate_page_fault(struct kvm_vcpu *vcpu,
				  const struct kvm_page_fault *fault)
{
	int r;

	down_read(&vcpu->kvm->slots_lock);
	r = __kvm_emulate_instruction(vcpu, fault->pt_write ? fault->gpa :
					    KVM_INVALID_GPA);
	up_read(&vcpu->kvm->slots_lock);
	return r;
}

int kvm_handle_page_fault(struct kvm_vcpu *vcpu, gva_t addr, u32 error_code)
{
	struct kvm_page_fault fault = {
		.addr = addr,
		.error_code = error_code,
	};
	int r;

	vcpu->stat.page_faults++;
	trace_kvm_page_fault(vcpu->vcpu_id, vcpu->rip, addr, error_code);
	down_read(&vcpu->kvm->slots_lock);
	r = vcpu->kvm->mmu_ops->page_fault(vcpu, &fault);
	up_read(&vcpu->kvm->slots_lock);

	switch (r) {
	case RET_PF_FIXED:
	case RET_PF_RETRY:
		return 1;
	case RET_PF_GUEST:
		kvm_inject_page_fault(vcpu, addr, fault.guest_error_code);
		return 1;
	case RET_PF_EMULATE:
		return kvm_emulate_page_fault(vcpu, &fault);
	default:
		return r < 0 ? r : -EIO;
	}
}

/*
 * Caller holds slots_lock for read.  @pt_gpa: the instruction writes a
 * page table the MMU write-protects; if it cannot be emulated, the MMU
 * unprotects the table and the guest runs the instruction itself.
 */
static int __kvm_emulate_instruction(struct kvm_vcpu *vcpu, gpa_t pt_gpa)
{
	struct x86_emu_ctxt *c = &vcpu->emu;
	struct kvm_segment seg;
	int i, r;

	memset(c, 0, sizeof(*c));
	c->insn_len = kvm_fetch_insn(vcpu, c->insn);
	memcpy(c->regs, vcpu->regs, sizeof(c->regs));
	c->rip = vcpu->rip;
	c->rflags = vcpu->rflags;
	kvm_vendor->get_segment(vcpu, &seg, VCPU_SREG_CS);
	if (!(vcpu->cr0 & X86_CR0_PE))
		c->mode = X86_EMU_REAL;
	else if (kvm_is_long_mode(vcpu) && seg.l)
		c->mode = X86_EMU_LONG64;
	else
		c->mode = seg.db ? X86_EMU_PROT32 : X86_EMU_PROT16;
	for (i = 0; i < 6; i++) {
		/* x86_emu_seg and kvm_sreg share the ES, CS, SS, DS, FS, GS order. */
		kvm_vendor->get_segment(vcpu, &seg, i);
		c->seg_base[i] = seg.base;
		c->seg_sel[i] = seg.selector;
	}
	c->ops = &kvm_emu_ops;
	c->opaque = vcpu;
	vcpu->mmio.nr_frags = 0;
	vcpu->mmio.next_done = 0;

	r = x86_emulate(c);
	switch (r) {
	case X86EMU_DONE:
		memcpy(vcpu->regs, c->regs, sizeof(vcpu->regs));
		vcpu->rflags = c->rflags;
		kvm_set_next_rip(vcpu, c->rip);
		if (c->ops->load_sreg && kvm_emu_loads_ss(c))
			kvm_vendor->set_interrupt_shadow(vcpu, true);
		vcpu->mmio.nr_done = 0;
		if (!vcpu->mmio.nr_frags)
			return 1;
		vcpu->mmio.next_frag = 0;
		kvm_mmio_write_next(vcpu);
		return 0;
	case X86EMU_EXIT:
		kvm_mmio_exit(vcpu, false);
		vcpu->pending_io = KVM_IO_MMIO;
		return 0;
	case X86EMU_FAULT:
		vcpu->mmio.nr_done = 0;
		if (c->exception.vector == PF_VECTOR)
			kvm_inject_page_fault(vcpu, c->exception.address,
					      c->exception.error_code);
		else if (c->exception.has_error)
			kvm_queue_exception_e(vcpu, c->exception.vector,
					      c->exception.error_code);
		else
			kvm_queue_exception(vcpu, c->exception.vector);
		return 1;
	case X86EMU_RETRY:
		/* Another vCPU wrote the operand: the guest runs it again. */
		vcpu->mmio.nr_done = 0;
		return 1;
	default:
		vcpu->mmio.nr_done = 0;
		if (pt_gpa == KVM_INVALID_GPA || !vcpu->kvm->mmu_ops->unprotect)
			return kvm_emulation_failed(vcpu, c->insn, c->insn_len);
		if (vcpu->unprotected && vcpu->unprotected_rip == vcpu->rip &&
		    vcpu->unprotected_gpa == pt_gpa) {
			pr_info_ratelimited("vCPU %d: instruction at %#llx writes page table %#llx, which the emulator cannot do and which maps the instruction itself\n",
					    vcpu->vcpu_id, vcpu->rip, pt_gpa);
			vcpu->unprotected = false;
			return kvm_emulation_failed(vcpu, c->insn, c->insn_len);
		}
		vcpu->kvm->mmu_ops->unprotect(vcpu, pt_gpa);
		vcpu->unprotected = true;
		vcpu->unprotected_rip = vcpu->rip;
		vcpu->unprotected_gpa = pt_gpa;
		return 1;
	}
}

static void kvm_mmio_exit(struct kvm_vcpu *vcpu, bool write)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = vcpu->mmio.gpa;
	run->mmio.len = vcpu->mmio.len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, vcpu->mmio.data, vcpu->mmio.len);
	vcpu->stat.mmio_exits++;
	trace_kvm_mmio(write ? KVM_TRACE_MMIO_WRITE :
		       KVM_TRACE_MMIO_READ_UNSATISFIED,
		       vcpu->mmio.len, vcpu->mmio.gpa,
		       write ? vcpu->mmio.data : NULL);
}

/*
 * The next fragment of the emulated instruction's MMIO write goes out;
 * any after it at the next KVM_RUN (the instruction is complete already).
 */
static void kvm_mmio_write_next(struct kvm_vcpu *vcpu)
{
	const struct kvm_mmio_frag *f = &vcpu->mmio.frag[vcpu->mmio.next_frag++];

	vcpu->mmio.gpa = f->gpa;
	vcpu->mmio.len = f->len;
	memcpy(vcpu->mmio.data, vcpu->mmio.wdata + f->off, f->len);
	kvm_mmio_exit(vcpu, true);
	if (vcpu->mmio.next_frag < vcpu->mmio.nr_frags)
		vcpu->pending_io = KVM_IO_MMIO_WRITE;
}

/* ---- completing an exit on the next KVM_RUN --------------------------- */

int kvm_complete_userspace_io(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u8 *data = page_address(vcpu->pio_page);
	enum kvm_pending_io io = vcpu->pending_io;
	int r;

	vcpu->pending_io = KVM_IO_NONE;
	switch (io) {
	case KVM_IO_NONE:
		return 1;
	case KVM_IO_PIO_IN: {
		u64 *rax = &vcpu->regs[VCPU_REGS_RAX];

		/* IN to AL/AX keeps the upper bits; IN to EAX zero-extends. */
		if (vcpu->pio.size == 4)
			*rax = 0;
		memcpy(rax, data, vcpu->pio.size);
		kvm_set_next_rip(vcpu, vcpu->pio.next_rip);
		return 1;
	}
	case KVM_IO_PIO_STRING:
		if (vcpu->pio.mmio_gpa != KVM_INVALID_GPA) {
			/* INS to MMIO: the element the port gave goes out. */
			vcpu->mmio.gpa = vcpu->pio.mmio_gpa;
			vcpu->mmio.len = vcpu->pio.size;
			memcpy(vcpu->mmio.data, data, vcpu->pio.size);
			kvm_mmio_exit(vcpu, true);
			kvm_pio_string_advance(vcpu);
			return 0;
		}
		if (vcpu->rflags & X86_EFLAGS_DF)
			kvm_pio_reverse(data, vcpu->pio.count, vcpu->pio.size);
		down_read(&vcpu->kvm->slots_lock);
		r = kvm_linear_copy(vcpu, vcpu->pio.gva, data,
				    vcpu->pio.count * vcpu->pio.size,
				    kvm_access_cpl(vcpu) | KVM_ACC_WRITE);
		up_read(&vcpu->kvm->slots_lock);
		if (r)
			return r < 0 ? r : 1;
		kvm_pio_string_advance(vcpu);
		return 1;
	case KVM_IO_PIO_OUTS_MMIO:
		/* OUTS from MMIO: the element userspace read goes to the port. */
		memcpy(data, run->mmio.data, vcpu->pio.size);
		trace_kvm_mmio(KVM_TRACE_MMIO_READ, vcpu->mmio.len,
			       vcpu->mmio.gpa, data);
		kvm_pio_outs_exit(vcpu);
		kvm_pio_string_advance(vcpu);
		return 0;
	case KVM_IO_MMIO:
		memcpy(vcpu->mmio.data, run->mmio.data, vcpu->mmio.len);
		if (vcpu->mmio.nr_done < ARRAY_SIZE(vcpu->mmio.done)) {
			struct kvm_mmio_read *d =
				&vcpu->mmio.done[vcpu->mmio.nr_done++];

			d->gpa = vcpu->mmio.gpa;
			d->len = vcpu->mmio.len;
			memcpy(d->data, vcpu->mmio.data, vcpu->mmio.len);
		}
		trace_kvm_mmio(KVM_TRACE_MMIO_READ, vcpu->mmio.len,
			       vcpu->mmio.gpa, vcpu->mmio.data);
		return kvm_emulate_instruction(vcpu);
	case KVM_IO_MMIO_WRITE:
		/* The instruction is done; its write's next fragment goes out. */
		kvm_mmio_write_next(vcpu);
		return 0;
	}
	return 1;
}

