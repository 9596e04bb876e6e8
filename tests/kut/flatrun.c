// SPDX-License-Identifier: GPL-2.0
/*
 * tests/kut/flatrun: run one kvm-unit-tests x86 test (x86/NAME.flat) on
 * /dev/kvm, the way QEMU runs it for the suite (tests/kut/run), without
 * QEMU: a static program for the vmx lab, whose initramfs has no QEMU.
 *
 *   flatrun [-m MIB] [-append 'ARGS'] [-cpu SPEC] [-timeout S] [-trace] TEST.flat
 *
 * The .flat is an i386 ELF with a multiboot v1 header (both the x86_64
 * and the i386 builds: x86/cstart64.S enters long mode itself).  It is
 * loaded at its program headers' physical addresses into one memory slot
 * at 0 (-m MiB, default 256) and entered as QEMU's multiboot loader
 * leaves a kernel: 32-bit protected mode, flat CS and data segments,
 * paging off, EAX 0x2BADB002, EBX the multiboot information (memory,
 * boot device, command line "TEST.flat ARGS", no modules, a memory map,
 * boot loader name) at 0x9500, its memory map at 0x9000 (QEMU's places),
 * the command line past the kernel's end; what a BIOS leaves: the IVT's
 * vectors at an IRET (F000:FF53), the boot GDT at 0xf0000.  -trace logs
 * each exit.
 *
 * Devices, in userspace (there is no in-kernel irqchip, as in the lab's
 * QEMU with kernel_irqchip=off):
 *   COM1 at 0x3f8: THR to stdout, LSR reads 0x60 (THR empty), the divisor
 *     latch under LCR.DLAB, the other registers read back what was written.
 *   isa-debug-exit at 0xf4 (4 ports): a write of STATUS ends flatrun with
 *     (STATUS << 1) | 1, as QEMU does.
 *   fw_cfg at 0x510 (selector) / 0x511 (data), what lib/x86/fwcfg.c reads:
 *     signature, ID (no DMA), RAM size, CPUs (1), max CPUs; MAX_RAM (0x11)
 *     reads 0, "no limit" (QEMU's key 0x11 is its kernel blob there).
 *   pc-testdev: the 4-byte latch at 0xe0 and 0xe8, its 64 KiB of MMIO
 *     at 0xff000000 (the emulator test uses both); pci-testdev is absent
 *     (PCI configuration reads all ones: no device).
 *   the local APIC page at 0xfee00000: ID 0, version 0x14 with 6 LVT
 *     entries, the other registers read back what was written; fixed
 *     IPIs to itself go to IRR and are injected with KVM_INTERRUPT when
 *     the guest takes interrupts, EOI clears the highest ISR bit, an NMI
 *     to itself is KVM_NMI.  No timer: a test that waits for the APIC
 *     timer halts with nothing to wake it, and flatrun says so.
 *   the 8259s as far as pc-testdev's IRQ lines (0x2000 + N) need them:
 *     a rising edge on an unmasked line is injected (KVM_INTERRUPT) at
 *     the PIC's vector when the guest takes interrupts; they start as the
 *     BIOS leaves them (vectors 0x08 and 0x70), are reprogrammed by ICWs,
 *     masked by OCW1 (lib/x86's mask_pic_interrupts() masks all); the APIC's
 *     LVT0 starts as ExtINT, as SeaBIOS sets it.
 *   PIT, port 0x61, POST port 0x80, CMOS, ELCR, pc-testdev's flush port:
 *     ignored (reads 0).  Any other port reads all ones, any other MMIO
 *     reads 0; each is logged once on stderr.
 *
 * CPUID: KVM_GET_SUPPORTED_CPUID as QEMU's -cpu host makes of it (the
 * hypervisor bit, APIC ID 0, no x2APIC and no TSC deadline without an
 * in-kernel irqchip, no KVM_FEATURE_ASYNC_PF_INT, as tests/kut/run), then
 * -cpu SPEC's changes: MODEL[,+FEAT|-FEAT|FEAT=on|off|vendor=V]...; host
 * and max are the host's CPUID; another model (qemu64, Opteron_G1) is
 * approximated by the host's (a note on stderr) with its +/- features
 * applied.  A feature KVM does not offer stays off, with a warning, as
 * in QEMU.  An unknown feature name is refused (exit 6).
 *
 * Exit status: (STATUS << 1) | 1 when the test wrote STATUS to 0xf4 (odd:
 * 1 pass, 3 fail, 77 all skipped); 2 usage or setup error; 4 the guest
 * stopped: triple fault (KVM_EXIT_SHUTDOWN), failed entry, internal
 * error, a HLT nothing can end, an unexpected exit (registers on
 * stderr); 6 a -cpu request flatrun cannot model; 124 -timeout S passed
 * (alarm(2): in the lab, the lab kernel's time).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <asm/e820.h>
#include <asm/kvm_para.h>
#include <asm/processor-flags.h>


#include "flatrun.h"

/* -cpu's +/- features: the names QEMU gives them. */
struct cpu_feature {
	const char *name;
	uint32_t function, index;
	enum cpuid_reg reg;
	int bit;
};

static const struct cpu_feature cpu_features[] = {
	{ "vmx",	1, 0, R_ECX, 5 },
	{ "pcid",	1, 0, R_ECX, 17 },
	{ "x2apic",	1, 0, R_ECX, 21 },
	{ "xsave",	1, 0, R_ECX, 26 },
	{ "avx",	1, 0, R_ECX, 28 },
	{ "tsc-adjust",	7, 0, R_EBX, 1 },
	{ "smep",	7, 0, R_EBX, 7 },
	{ "invpcid",	7, 0, R_EBX, 10 },
	{ "smap",	7, 0, R_EBX, 20 },
	{ "umip",	7, 0, R_ECX, 2 },
	{ "pku",	7, 0, R_ECX, 3 },
	{ "la57",	7, 0, R_ECX, 16 },
	{ "rdpid",	7, 0, R_ECX, 22 },
	{ "svm",	0x80000001, 0, R_ECX, 2 },
	{ "nx",		0x80000001, 0, R_EDX, 20 },
	{ "pdpe1gb",	0x80000001, 0, R_EDX, 26 },
	{ "rdtscp",	0x80000001, 0, R_EDX, 27 },
};

static volatile sig_atomic_t timed_out;

void note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "flatrun: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* note() with strerror(errno); returns @status for the caller to return. */
int fail_errno(int status, const char *what)
{
	note("%s: %s", what, strerror(errno));
	return status;
}

/* Log an unknown port (kind 0) or MMIO page (kind 1) the first time only. */
bool vm__first_time(struct vm *vm, int kind, uint64_t where)
{
	uint64_t key = where << 1 | kind;
	int i;

	for (i = 0; i < vm->nr_logged; i++)
		if (vm->logged[i] == key)
			return false;
	if (vm->nr_logged < MAX_LOGGED)
		vm->logged[vm->nr_logged++] = key;
	return true;
}

void *vm__gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->mem_size || len > vm->mem_size - gpa)
		return NULL;
	return vm->mem + gpa;
}

/* ---- loading: the ELF, the multiboot information ------------------------- */

static int vm__read_file(struct vm *vm)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	int fd, ret = EXIT_SETUP;

	fd = open(vm->path, O_RDONLY);
	if (fd < 0)
		return fail_errno(EXIT_SETUP, vm->path);
	if (fstat(fd, &st) < 0) {
		fail_errno(0, vm->path);
		goto out_close;
	}
	vm->file_size = st.st_size;
	vm->file = malloc(vm->file_size ? vm->file_size : 1);
	if (!vm->file) {
		fail_errno(0, "malloc");
		goto out_close;
	}
	while (done < vm->file_size) {
		n = read(fd, vm->file + done, vm->file_size - done);
		if (n <= 0) {
			note("%s: short read", vm->path);
			goto out_free;
		}
		done += n;
	}
	ret = 0;
	goto out_close;

out_free:
	free(vm->file);
	vm->file = NULL;
out_close:
	close(fd);
	return ret;
}

/* The multiboot header in the first 8 KiB, as QEMU's loader looks for it. */
static int vm__check_multiboot(struct vm *vm)
{
	size_t off, end = vm->file_size < MB_SEARCH ? vm->file_size : MB_SEARCH;
	uint32_t h[3];

	for (off = 0; off + sizeof(h) <= end; off += 4) {
		memcpy(h, vm->file + off, sizeof(h));
		if (h[0] != MB_HEADER_MAGIC || h[0] + h[1] + h[2] != 0)
			continue;
		if (h[1] & MB_HEADER_HAS_ADDR) {
			note("%s: multiboot header with load addresses (a.out kludge): not supported",
			     vm->path);
			return EXIT_SETUP;
		}
		return 0;
	}
	note("%s: no multiboot header in its first %d bytes", vm->path, MB_SEARCH);
	return EXIT_SETUP;
}

/* An i386 ELF with sane program headers; where its last segment ends. */
static int vm__elf_end(struct vm *vm, uint64_t *end)
{
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)vm->file;
	const Elf32_Phdr *ph;
	int i;

	if (vm->file_size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386) {
		note("%s: not an i386 ELF (QEMU's multiboot loader wants one too)", vm->path);
		return EXIT_SETUP;
	}
	if (eh->e_phentsize != sizeof(*ph) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(*ph) > vm->file_size) {
		note("%s: bad program headers", vm->path);
		return EXIT_SETUP;
	}
	*end = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		ph = (const Elf32_Phdr *)(vm->file + eh->e_phoff) + i;
		if (ph->p_type == PT_LOAD && ph->p_paddr + (uint64_t)ph->p_memsz > *end)
			*end = ph->p_paddr + (uint64_t)ph->p_memsz;
	}
	if (!*end) {
		note("%s: nothing to load", vm->path);
		return EXIT_SETUP;
	}
	return 0;
}

/* The PT_LOAD segments at their physical addresses (vm__elf_end checked them). */
static int vm__load_elf(struct vm *vm, uint32_t *entry)
{
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)vm->file;
	const Elf32_Phdr *ph;
	uint8_t *dst;
	int i;

	for (i = 0; i < eh->e_phnum; i++) {
		ph = (const Elf32_Phdr *)(vm->file + eh->e_phoff) + i;
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		dst = vm__gpa(vm, ph->p_paddr, ph->p_memsz);
		if (!dst || ph->p_filesz > ph->p_memsz ||
		    (uint64_t)ph->p_offset + ph->p_filesz > vm->file_size) {
			note("%s: segment at %#x (%#x bytes) does not fit in %llu MiB",
			     vm->path, ph->p_paddr, ph->p_memsz,
			     (unsigned long long)(vm->mem_size / MIB));
			return EXIT_SETUP;
		}
		memcpy(dst, vm->file + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	*entry = eh->e_entry;
	return 0;
}

/* Copy a string into guest memory at *@at; *@at moves past it. */
static int vm__put_string(struct vm *vm, uint64_t *at, const char *s)
{
	size_t len = strlen(s) + 1;
	char *dst = vm__gpa(vm, *at, len);

	if (!dst) {
		note("no room for the multiboot strings at %#llx", (unsigned long long)*at);
		return EXIT_SETUP;
	}
	memcpy(dst, s, len);
	*at += len;
	return 0;
}

/*
 * What the BIOS leaves below 1 MiB: every vector of the real-mode IVT at
 * an IRET, as SeaBIOS's default handler (realmode takes interrupts), and
 * the loader's GDT, in the BIOS's area, where no kernel is loaded.
 */
static const uint64_t boot_gdt[] = {
	0,
	0x00cf9b000000ffffULL,	/* 0x08: flat 32-bit code */
	0x00cf93000000ffffULL,	/* 0x10: flat data */
};

static void vm__setup_bios_leftovers(struct vm *vm)
{
	uint32_t *ivt = vm__gpa(vm, 0, 256 * 4);
	uint8_t *iret = vm__gpa(vm, BIOS_IRET_ADDR, 1);
	int v;

	for (v = 0; v < 256; v++)
		ivt[v] = (BIOS_IRET_ADDR & 0xf0000) << 12 | (BIOS_IRET_ADDR & 0xffff);
	*iret = 0xcf;
	memcpy(vm__gpa(vm, BIOS_GDT_ADDR, sizeof(boot_gdt)), boot_gdt, sizeof(boot_gdt));
}

/*
 * The multiboot information, where QEMU's loader puts it: the memory map
 * (SeaBIOS's e820 for a PC) at 0x9000, the information at 0x9500, the
 * command line ("FILE ARGS", as QEMU gives it: the tests' argv[0]) and the
 * boot loader's name past the kernel's end.  Written before the kernel is
 * loaded: a kernel over 0x9000 (realmode) overwrites it, as in QEMU.
 */
static int vm__setup_multiboot(struct vm *vm, uint64_t kernel_end)
{
	uint64_t low_ram = 0x9fc00, top = vm->mem_size, at;
	const struct mb_mmap_entry map[] = {
		{ 20, 0, low_ram, E820_RAM },
		{ 20, low_ram, 0xa0000 - low_ram, E820_RESERVED },
		{ 20, 0xf0000, 0x10000, E820_RESERVED },
		{ 20, 0x100000, top - 0x100000, E820_RAM },
		{ 20, 0xfffc0000, 0x40000, E820_RESERVED },
	};
	struct mb_info *mbi = vm__gpa(vm, MB_INFO_ADDR, sizeof(*mbi));
	void *mmap_dst = vm__gpa(vm, MB_MMAP_ADDR, sizeof(map));
	char *cmdline;
	size_t len;
	int ret;

	if (!mbi || !mmap_dst || vm->mem_size < 2 * MIB) {
		note("-m %llu MiB: too small", (unsigned long long)(vm->mem_size / MIB));
		return EXIT_SETUP;
	}
	memcpy(mmap_dst, map, sizeof(map));
	vm__setup_bios_leftovers(vm);
	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = MB_FLAG_MEMORY | MB_FLAG_BOOT_DEVICE | MB_FLAG_CMDLINE |
		     MB_FLAG_MODS | MB_FLAG_MMAP | MB_FLAG_LOADER_NAME;
	mbi->mem_lower = low_ram / 1024;
	mbi->mem_upper = (top - 0x100000) / 1024;
	mbi->boot_device = 0x8000ffff;
	mbi->mmap_addr = MB_MMAP_ADDR;
	mbi->mmap_length = sizeof(map);

	at = PAGE_ALIGN(kernel_end);
	mbi->mods_count = 0;
	mbi->mods_addr = at;
	len = strlen(vm->path) + 1 + (vm->append ? strlen(vm->append) : 0) + 1;
	cmdline = malloc(len);
	if (!cmdline)
		return fail_errno(EXIT_SETUP, "malloc");
	snprintf(cmdline, len, "%s %s", vm->path, vm->append ? vm->append : "");
	mbi->cmdline = at;
	ret = vm__put_string(vm, &at, cmdline);
	free(cmdline);
	if (ret)
		return ret;
	mbi->boot_loader_name = at;
	return vm__put_string(vm, &at, "flatrun");
}

/* ---- the VM and its vCPU ------------------------------------------------- */

static struct kvm_cpuid2 *kvm__supported_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *c;
	int nent = 64;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c) {
			fail_errno(0, "calloc");
			return NULL;
		}
		c->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || nent >= 4096) {
			fail_errno(0, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
		nent *= 2;
	}
}

static struct kvm_cpuid_entry2 *cpuid__find(struct kvm_cpuid2 *c, uint32_t function,
					    uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

static uint32_t *cpuid__reg(struct kvm_cpuid_entry2 *e, enum cpuid_reg reg)
{
	switch (reg) {
	case R_EAX:
		return &e->eax;
	case R_EBX:
		return &e->ebx;
	case R_ECX:
		return &e->ecx;
	default:
		return &e->edx;
	}
}

/* One -cpu word: +FEAT, -FEAT, FEAT=on|off, vendor=V, or one we ignore. */
static int cpuid__apply_word(struct kvm_cpuid2 *c, struct kvm_cpuid2 *supported,
			     const char *word)
{
	const struct cpu_feature *f = NULL;
	struct kvm_cpuid_entry2 *e;
	char name[64];
	const char *eq;
	bool on;
	size_t i;

	if (!strncmp(word, "vendor=", 7)) {
		const char *v = word + 7;
		uint32_t function;

		if (strlen(v) != 12) {
			note("-cpu %s: a vendor has 12 characters", word);
			return EXIT_UNSUPPORTED;
		}
		for (function = 0; function <= 0x80000000; function += 0x80000000) {
			e = cpuid__find(c, function, 0);
			if (!e)
				continue;
			memcpy(&e->ebx, v, 4);
			memcpy(&e->edx, v + 4, 4);
			memcpy(&e->ecx, v + 8, 4);
		}
		return 0;
	}
	/* What flatrun does anyway, or what does not apply to it. */
	if (!strcmp(word, "host-phys-bits") || !strcmp(word, "host-phys-bits=on") ||
	    !strcmp(word, "kvm-asyncpf-int=off") || !strcmp(word, "-kvm-asyncpf-int"))
		return 0;

	if (word[0] == '+' || word[0] == '-') {
		on = word[0] == '+';
		snprintf(name, sizeof(name), "%s", word + 1);
	} else if ((eq = strchr(word, '=')) && (!strcmp(eq, "=on") || !strcmp(eq, "=off"))) {
		on = !strcmp(eq, "=on");
		snprintf(name, sizeof(name), "%.*s", (int)(eq - word), word);
	} else {
		note("-cpu: cannot model '%s'", word);
		return EXIT_UNSUPPORTED;
	}
	for (i = 0; i < sizeof(cpu_features) / sizeof(cpu_features[0]); i++)
		if (!strcmp(cpu_features[i].name, name))
			f = &cpu_features[i];
	if (!f) {
		note("-cpu: unknown feature '%s'", name);
		return EXIT_UNSUPPORTED;
	}
	e = cpuid__find(c, f->function, f->index);
	if (!on) {
		if (e)
			*cpuid__reg(e, f->reg) &= ~(1U << f->bit);
		return 0;
	}
	/* @c was copied from @supported: the entry is the same one. */
	if (!e || !(*cpuid__reg(&supported->entries[e - c->entries], f->reg) &
		    (1U << f->bit))) {
		note("warning: KVM does not offer %s (CPUID %#x.%u bit %d): left off, as QEMU does",
		     name, f->function, f->index, f->bit);
		return 0;
	}
	*cpuid__reg(e, f->reg) |= 1U << f->bit;
	return 0;
}

/* QEMU's -cpu host on KVM with a userspace irqchip, then -cpu's words. */
static int vcpu__setup_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *supported, *c;
	struct kvm_cpuid_entry2 *e;
	char *spec = NULL, *word, *save;
	size_t size;
	uint32_t i;
	int ret = EXIT_SETUP;

	supported = kvm__supported_cpuid(vm);
	if (!supported)
		return EXIT_SETUP;
	size = sizeof(*c) + supported->nent * sizeof(c->entries[0]);
	c = malloc(size);
	if (!c) {
		fail_errno(0, "malloc");
		goto out_supported;
	}
	memcpy(c, supported, size);

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		switch (e->function) {
		case 1:
			/* APIC ID 0, one logical CPU, CLFLUSH size kept. */
			e->ebx &= 0x0000ffff;
			e->edx &= ~CPUID_1_EDX_HTT;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			e->ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE);
			break;
		case 0xb:
		case 0x1f:
			e->edx = 0;	/* x2APIC ID */
			break;
		case KVM_CPUID_FEATURES:
			e->eax &= ~(1U << KVM_FEATURE_ASYNC_PF_INT);
			break;
		}
	}

	if (vm->cpu) {
		spec = strdup(vm->cpu);
		if (!spec) {
			fail_errno(0, "strdup");
			goto out_c;
		}
		word = strtok_r(spec, ",", &save);
		if (word && strcmp(word, "host") && strcmp(word, "max"))
			note("-cpu %s: the model is approximated by the host's CPUID (KVM's supported), with the changes that follow it",
			     word);
		while ((word = strtok_r(NULL, ",", &save))) {
			ret = cpuid__apply_word(c, supported, word);
			if (ret)
				goto out_spec;
		}
	}

	if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c) < 0) {
		ret = fail_errno(EXIT_SETUP, "KVM_SET_CPUID2");
		goto out_spec;
	}
	ret = 0;

out_spec:
	free(spec);
out_c:
	free(c);
out_supported:
	free(supported);
	return ret;
}

static void seg__flat(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;
	s->present = 1;
	s->db = 1;
	s->s = 1;
	s->g = 1;
}

/*
 * The state QEMU's multiboot option ROM leaves: protected mode, paging
 * off, flat code (0x08) and data (0x10) segments from a GDT at 0xf0000,
 * interrupts off, EAX the boot magic, EBX the information.
 */
static int vcpu__setup_regs(struct vm *vm, uint32_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return fail_errno(EXIT_SETUP, "KVM_GET_SREGS");
	seg__flat(&sregs.cs, 0x08, 0xb);
	seg__flat(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.limit = 0xffff;
	sregs.tr.type = 0xb;		/* busy 32-bit TSS, as at reset */
	sregs.tr.present = 1;
	memset(&sregs.ldt, 0, sizeof(sregs.ldt));
	sregs.ldt.limit = 0xffff;
	sregs.ldt.type = 0x2;
	sregs.ldt.present = 1;
	sregs.gdt.base = BIOS_GDT_ADDR;
	sregs.gdt.limit = sizeof(boot_gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0x3ff;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr2 = sregs.cr3 = sregs.cr4 = 0;
	sregs.efer = 0;
	sregs.apic_base = APIC_BASE_ADDR | MSR_APICBASE_ENABLE | MSR_APICBASE_BSP;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return fail_errno(EXIT_SETUP, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_EFLAGS_FIXED;
	regs.rip = entry;
	regs.rax = MB_BOOT_MAGIC;
	regs.rbx = MB_INFO_ADDR;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return fail_errno(EXIT_SETUP, "KVM_SET_REGS");

	/* The FPU as QEMU resets it. */
	if (ioctl(vm->vcpu_fd, KVM_GET_FPU, &fpu) < 0)
		return fail_errno(EXIT_SETUP, "KVM_GET_FPU");
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vm->vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return fail_errno(EXIT_SETUP, "KVM_SET_FPU");
	return 0;
}

static int vm__create(struct vm *vm)
{
	struct kvm_userspace_memory_region region;
	uint32_t entry;
	uint64_t end;
	int ret, size;

	ret = vm__read_file(vm);
	if (ret)
		return ret;
	ret = vm__check_multiboot(vm);
	if (ret)
		goto err_file;
	ret = EXIT_SETUP;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		fail_errno(0, "/dev/kvm");
		goto err_file;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		note("KVM_GET_API_VERSION: not %d", KVM_API_VERSION);
		goto err_kvm;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		fail_errno(0, "KVM_CREATE_VM");
		goto err_kvm;
	}
	/* As QEMU does for VMX: the identity map and TSS below 4 GiB. */
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ IDENTITY_MAP_ADDR }) < 0) {
		fail_errno(0, "KVM_SET_IDENTITY_MAP_ADDR");
		goto err_vm;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0) {
		fail_errno(0, "KVM_SET_TSS_ADDR");
		goto err_vm;
	}

	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		fail_errno(0, "mmap guest memory");
		goto err_vm;
	}
	/* The multiboot information first: the kernel may cover it (realmode). */
	ret = vm__elf_end(vm, &end);
	if (ret)
		goto err_mem;
	ret = vm__setup_multiboot(vm, end);
	if (ret)
		goto err_mem;
	ret = vm__load_elf(vm, &entry);
	if (ret)
		goto err_mem;
	ret = EXIT_SETUP;

	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fail_errno(0, "KVM_SET_USER_MEMORY_REGION");
		goto err_mem;
	}

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		fail_errno(0, "KVM_CREATE_VCPU");
		goto err_mem;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		fail_errno(0, "KVM_GET_VCPU_MMAP_SIZE");
		goto err_vcpu;
	}
	vm->run_size = size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		fail_errno(0, "mmap kvm_run");
		goto err_vcpu;
	}
	ret = vcpu__setup_cpuid(vm);
	if (ret)
		goto err_run;
	ret = vcpu__setup_regs(vm, entry);
	if (ret)
		goto err_run;
	apic__reset(&vm->apic);
	pic__reset(vm->pic);
	return 0;

err_run:
	munmap(vm->run, vm->run_size);
	vm->run = NULL;
err_vcpu:
	close(vm->vcpu_fd);
	vm->vcpu_fd = -1;
err_mem:
	munmap(vm->mem, vm->mem_size);
	vm->mem = NULL;
err_vm:
	close(vm->vm_fd);
	vm->vm_fd = -1;
err_kvm:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
err_file:
	free(vm->file);
	vm->file = NULL;
	return ret;
}

static void vm__destroy(struct vm *vm)
{
	munmap(vm->run, vm->run_size);
	close(vm->vcpu_fd);
	munmap(vm->mem, vm->mem_size);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	free(vm->file);
}

/* The vCPU's registers on stderr, for a guest that stopped. */
static void vcpu__dump(struct vm *vm)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		fail_errno(0, "KVM_GET_REGS/KVM_GET_SREGS");
		return;
	}
	note("RIP %016llx RSP %016llx RFLAGS %08llx",
	     r.rip, r.rsp, r.rflags);
	note("RAX %016llx RBX %016llx RCX %016llx RDX %016llx",
	     r.rax, r.rbx, r.rcx, r.rdx);
	note("RSI %016llx RDI %016llx RBP %016llx", r.rsi, r.rdi, r.rbp);
	note("CR0 %08llx CR2 %016llx CR3 %016llx CR4 %08llx EFER %llx",
	     s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	note("CS %04x base %llx l %u db %u dpl %u  SS %04x  TR %04x type %u  GDT %llx/%x IDT %llx/%x",
	     s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.cs.dpl, s.ss.selector,
	     s.tr.selector, s.tr.type, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

/* ---- the run loop -------------------------------------------------------------- */

/* -trace: each exit on stderr, with RIP. */
static void vcpu__trace(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	struct kvm_regs r;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0)
		r.rip = ~0ULL;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		fprintf(stderr, "flatrun: trace: rip %llx io %s port %#x size %u count %u data %#x\n",
			r.rip, run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			run->io.port, run->io.size, run->io.count,
			*((uint8_t *)run + run->io.data_offset));
		break;
	case KVM_EXIT_MMIO:
		fprintf(stderr, "flatrun: trace: rip %llx mmio %s %#llx len %u\n",
			r.rip, run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	default:
		fprintf(stderr, "flatrun: trace: rip %llx exit %u if %u\n",
			r.rip, run->exit_reason, run->if_flag);
		break;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int vcpu__run(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	int exit_status = -1, ret;

	for (;;) {
		if (timed_out) {
			note("timeout: the test ran for %u s (-timeout), stopped", vm->timeout);
			vcpu__dump(vm);
			return EXIT_TIMEOUT;
		}
		ret = vcpu__inject(vm);
		if (ret)
			return ret;
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail_errno(EXIT_GUEST, "KVM_RUN");
		}
		if (vm->trace)
			vcpu__trace(vm);
		/* The TPR the guest wrote through CR8. */
		vm->apic.reg[APIC_TASKPRI >> 4] = (run->cr8 & 0xf) << 4;

		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu__exit_io(vm, &exit_status);
			if (exit_status >= 0) {
				fflush(stdout);
				return exit_status;
			}
			break;
		case KVM_EXIT_MMIO:
			vcpu__exit_mmio(vm);
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			if (run->if_flag && (apic__pending(&vm->apic) >= 0 || pic__pending(vm) >= 0))
				break;
			note("the guest halted with interrupts %s and no interrupt pending: nothing can wake it (flatrun models no timer)",
			     run->if_flag ? "enabled" : "disabled");
			vcpu__dump(vm);
			return EXIT_GUEST;
		case KVM_EXIT_SHUTDOWN:
			note("KVM_EXIT_SHUTDOWN: the guest triple-faulted");
			vcpu__dump(vm);
			return EXIT_GUEST;
		case KVM_EXIT_FAIL_ENTRY:
			note("KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vcpu__dump(vm);
			return EXIT_GUEST;
		case KVM_EXIT_INTERNAL_ERROR: {
			uint32_t i;

			note("KVM_EXIT_INTERNAL_ERROR: suberror %u, %u data words:",
			     run->internal.suberror, run->internal.ndata);
			for (i = 0; i < run->internal.ndata && i < 16; i++)
				note("  data[%u] %#llx", i, (unsigned long long)run->internal.data[i]);
			vcpu__dump(vm);
			return EXIT_GUEST;
		}
		default:
			note("unexpected exit reason %u", run->exit_reason);
			vcpu__dump(vm);
			return EXIT_GUEST;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: flatrun [-m MIB] [-append 'ARGS'] [-cpu SPEC] [-timeout S] [-trace] TEST.flat\n"
		"  -m MIB        guest memory (default 256)\n"
		"  -append ARGS  the test's arguments (unittests.cfg's test_args)\n"
		"  -cpu SPEC     host|max|MODEL[,+FEAT|-FEAT|FEAT=on|off|vendor=V]...\n"
		"  -timeout S    stop the test after S seconds (exit 124)\n"
		"  -trace        each exit on stderr\n"
		"Exit: (STATUS << 1) | 1 from the test device; 2 setup error; 4 the guest\n"
		"stopped (triple fault, failed entry, internal error, endless HLT);\n"
		"6 a -cpu flatrun cannot model; 124 timeout.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "m",		required_argument, NULL, 'm' },
		{ "append",	required_argument, NULL, 'a' },
		{ "cpu",	required_argument, NULL, 'c' },
		{ "timeout",	required_argument, NULL, 't' },
		{ "trace",	no_argument,	   NULL, 'T' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	struct vm *vm;
	char *end;
	int c, ret;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return fail_errno(EXIT_SETUP, "calloc");
	vm->mem_size = 256 * MIB;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	while ((c = getopt_long_only(argc, argv, "m:a:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			vm->mem_size = strtoull(optarg, &end, 0) * MIB;
			if (*end == 'M' || *end == 'm')
				end++;
			else if (*end == 'G' || *end == 'g')
				vm->mem_size *= 1024, end++;
			if (*end || !vm->mem_size) {
				note("-m %s: want MiB", optarg);
				ret = EXIT_SETUP;
				goto out_free;
			}
			break;
		case 'a':
			vm->append = optarg;
			break;
		case 'c':
			vm->cpu = optarg;
			break;
		case 't':
			vm->timeout = strtoul(optarg, &end, 0);
			if (*end) {
				note("-timeout %s: want seconds", optarg);
				ret = EXIT_SETUP;
				goto out_free;
			}
			break;
		case 'T':
			vm->trace = true;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out_free;
		default:
			usage(stderr);
			ret = EXIT_SETUP;
			goto out_free;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		ret = EXIT_SETUP;
		goto out_free;
	}
	vm->path = argv[optind];

	ret = vm__create(vm);
	if (ret)
		goto out_free;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	if (vm->timeout)
		alarm(vm->timeout);
	ret = vcpu__run(vm);
	alarm(0);
	fflush(stdout);
	vm__destroy(vm);
out_free:
	free(vm);
	return ret;
}
