// SPDX-License-Identifier: GPL-2.0
/*
 * taskswitch: hardware task switches between two 32-bit TSSs, in 32-bit
 * protected mode (prot32): SVM runs them in hardware, VMX exits on each
 * and the module emulates them (kvm/task_switch.c).  With a GDT of its
 * own (the VMM's descriptors 0x08-0x30 copied, then TSS_MAIN, TSS_TASK
 * and a second flat data segment), the guest does:
 *
 *   jmp:   LJMP to TSS_TASK, which JMPs back: the task starts with
 *          exactly its TSS's registers, EFLAGS and selectors (a null FS,
 *          DS and ES another data segment), TR = TSS_TASK,
 *          CR0.TS set, TSS_MAIN available and TSS_TASK busy, no back
 *          link; back in the main task, its registers are as they were,
 *          its TSS holds the EIP after its LJMP, the task's TSS the EIP
 *          after the task's LJMP and its registers and selectors;
 *   call:  LCALL to TSS_TASK, which IRETs: EFLAGS.NT set in the task,
 *          its back link TSS_MAIN, both busy; after the IRET, TSS_TASK
 *          available, its saved EFLAGS without NT, its saved EIP after
 *          the IRET, the main task's NT clear;
 *   tss16: JMP to a 16-bit TSS (limit 0x2b) and back: the task's IP,
 *          registers (low halves), ES, CS, SS, DS, null FS and GS;
 *   cross: JMP through a TSS descriptor and to a TSS that each cross a
 *          page boundary, and back;
 *   faults: a 32-bit TSS with limit 0x66 and a 16-bit one with 0x2a
 *          (#TS), one not present (#NP), a JMP to the running task's busy
 *          TSS (#GP), each with the selector as error code, nothing
 *          switched;
 *   gate:  #GP (MOV ES with selector 0x1234, past the GDT's limit)
 *          through a task gate in the IDT: the task finds the error code
 *          0x1234 on its stack, NT set, the back link TSS_MAIN, the main
 *          task's saved EIP at the faulting MOV; the task moves it past
 *          the MOV and IRETs, and ES is unchanged.
 *
 * Every value is asserted exactly (check failed: ... and exit 1); the
 * report lines are taskswitch.{jmp,call,gate,tss16,cross,faults}=1 and
 * taskswitch.checks.  Built with -DTS_MMIO (taskswitch-mmio-prot32), it
 * only JMPs to a TSS in MMIO, which ends in KVM_EXIT_INTERNAL_ERROR.
 */
#include "guest.h"

#define TSS_MAIN	0x38
#define TSS_TASK	0x40
#define DATA_NA		0x48	/* flat read/write data, another selector */
#define TSS16		0x50	/* a 16-bit TSS */
#define CODE_HI		0x58	/* 32-bit code at base 0x100000 (for 16-bit IPs) */
#define GDT_N		12
#define SEL_CODE	0x08
#define SEL_DATA	0x10

#define X86_CR0_TS	(1UL << 3)
#define EFLAGS_NT	(1UL << 14)
#define TASK_EFLAGS	0x843UL	/* CF, ZF, OF and the fixed bit 1 */

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss32) == 104, "TSS size");

struct tss16 {
	uint16_t link, sp0, ss0, sp1, ss1, sp2, ss2;
	uint16_t ip, flags, ax, cx, dx, bx, sp, bp, si, di;
	uint16_t es, cs, ss, ds, ldt;
} __attribute__((packed));

_Static_assert(sizeof(struct tss16) == 44, "16-bit TSS size");
/*
 * Room after it: QEMU (the svm lab) saves the old task in the format of
 * the new TSS, 32-bit when going back to the main task.
 */
static struct {
	struct tss16 t;
	uint8_t room[128];
} tss16_buf __attribute__((aligned(64)));
#define tss16 tss16_buf.t
/* What the 16-bit task saw: GPRs, ES CS SS DS FS GS, TR (task16_entry). */
uint32_t seen16[15];
extern const char task16_entry[];

static uint64_t gdt[GDT_N] __attribute__((aligned(16)));
static struct tss32 tss_main __attribute__((aligned(128)));
static struct tss32 tss_task __attribute__((aligned(128)));
/* The task's TSS: tss_task, or one across a page boundary (test_cross). */
static struct tss32 *task_tss = &tss_task;
/* Pages for test_cross's GDT and TSS, each across a page boundary. */
static uint8_t cross_pages[3 * 4096] __attribute__((aligned(4096)));
static uint8_t task_stack[4096] __attribute__((aligned(16)));
#define TASK_SP		((uint32_t)(ulong)task_stack + sizeof(task_stack) - 16)

/* What the task saw at its first instruction (task_entry). */
struct task_seen {
	uint32_t gpr[8];	/* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
	uint32_t eflags, top;	/* top: the word at ESP */
	uint32_t sel[6];	/* ES, CS, SS, DS, FS, GS */
	uint32_t tr;
};
struct task_seen seen;
/* What the task found in the GDT and CR0 (task_body). */
static uint8_t seen_main_access, seen_task_access;
static uint32_t seen_link;
static ulong seen_cr0;
/* 0: the task JMPs back to TSS_MAIN; 1: it IRETs; 2: the same, past a MOV ES. */
static int task_action;

uint32_t task_body(void);
extern const char task_entry[], task_after_jmp[], task_after_iret[];

/*
 * The task: its registers and selectors as they came, then task_body(),
 * then back to the main task as task_action says.
 */
asm(".text\n"
    ".globl task_entry\n"
    "task_entry:\n\t"
    "movl %eax, seen+0\n\t"
    "movl %ecx, seen+4\n\t"
    "movl %edx, seen+8\n\t"
    "movl %ebx, seen+12\n\t"
    "movl %esp, seen+16\n\t"
    "movl %ebp, seen+20\n\t"
    "movl %esi, seen+24\n\t"
    "movl %edi, seen+28\n\t"
    "pushfl\n\t"
    "popl seen+32\n\t"
    "movl (%esp), %eax\n\t"
    "movl %eax, seen+36\n\t"
    "xorl %eax, %eax\n\t"
    "movw %es, %ax\n\t"
    "movl %eax, seen+40\n\t"
    "movw %cs, %ax\n\t"
    "movl %eax, seen+44\n\t"
    "movw %ss, %ax\n\t"
    "movl %eax, seen+48\n\t"
    "movw %ds, %ax\n\t"
    "movl %eax, seen+52\n\t"
    "movw %fs, %ax\n\t"
    "movl %eax, seen+56\n\t"
    "movw %gs, %ax\n\t"
    "movl %eax, seen+60\n\t"
    "str %ax\n\t"
    "movl %eax, seen+64\n\t"
    "call task_body\n\t"
    "testl %eax, %eax\n\t"
    "jnz 1f\n\t"
    "ljmp $0x38, $0\n"
    ".globl task_after_jmp\n"
    "task_after_jmp:\n\t"
    "jmp task_entry\n"
    "1:\n\t"
    "iret\n"
    ".globl task_after_iret\n"
    "task_after_iret:\n\t"
    "jmp task_entry\n");

/*
 * The 16-bit task: CS is CODE_HI (base 0x100000) so that its IP fits in
 * 16 bits; no stack (the upper half of ESP is not the TSS's).  It records
 * what it got and JMPs back.
 */
asm(".text\n"
    ".globl task16_entry\n"
    "task16_entry:\n\t"
    "movl %eax, seen16+0\n\t"
    "movl %ecx, seen16+4\n\t"
    "movl %edx, seen16+8\n\t"
    "movl %ebx, seen16+12\n\t"
    "movl %esp, seen16+16\n\t"
    "movl %ebp, seen16+20\n\t"
    "movl %esi, seen16+24\n\t"
    "movl %edi, seen16+28\n\t"
    "xorl %eax, %eax\n\t"
    "movw %es, %ax\n\t"
    "movl %eax, seen16+32\n\t"
    "movw %cs, %ax\n\t"
    "movl %eax, seen16+36\n\t"
    "movw %ss, %ax\n\t"
    "movl %eax, seen16+40\n\t"
    "movw %ds, %ax\n\t"
    "movl %eax, seen16+44\n\t"
    "movw %fs, %ax\n\t"
    "movl %eax, seen16+48\n\t"
    "movw %gs, %ax\n\t"
    "movl %eax, seen16+52\n\t"
    "str %ax\n\t"
    "movl %eax, seen16+56\n\t"
    "ljmp $0x38, $0\n\t"
    "jmp task16_entry\n");

static uint8_t gdt_access(unsigned sel)
{
	return gdt[sel >> 3] >> 40;
}

uint32_t task_body(void)
{
	seen_main_access = gdt_access(TSS_MAIN);
	seen_task_access = gdt_access(TSS_TASK);
	seen_link = task_tss->link;
	seen_cr0 = read_cr0();
	if (task_action == 2)
		tss_main.eip += 2;	/* past MOV ES, AX (8e c0) */
	return task_action;
}

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access,
			  uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) |
	       ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

struct desc_ptr {
	uint16_t limit;
	ulong base;
} __attribute__((packed));

/* The task starts afresh: its TSS as task_entry expects it. */
static void task_reset(int action)
{
	struct tss32 tss_task;

	memset(&tss_task, 0, sizeof(tss_task));
	tss_task.cr3 = read_cr3();
	tss_task.eip = (ulong)task_entry;
	tss_task.eflags = TASK_EFLAGS;
	tss_task.eax = 0x11111111;
	tss_task.ecx = 0x22222222;
	tss_task.edx = 0x33333333;
	tss_task.ebx = 0x44444444;
	tss_task.esp = TASK_SP;
	tss_task.ebp = 0x66666666;
	tss_task.esi = 0x77777777;
	tss_task.edi = 0x88888888;
	tss_task.es = DATA_NA;
	tss_task.cs = SEL_CODE;
	tss_task.ss = SEL_DATA;
	tss_task.ds = DATA_NA;
	tss_task.fs = 0;
	tss_task.gs = SEL_DATA;
	tss_task.iomap_base = sizeof(tss_task);
	memcpy(task_tss, &tss_task, sizeof(tss_task));
	memset(&seen, 0, sizeof(seen));
	task_action = action;
}

/* The task's registers at its start: exactly its TSS's. */
static void check_task_start(const char *t, uint32_t esp, uint32_t nt)
{
	static const uint32_t gpr[8] = {
		0x11111111, 0x22222222, 0x33333333, 0x44444444,
		0, 0x66666666, 0x77777777, 0x88888888,
	};
	static const uint32_t sel[6] = {
		DATA_NA, SEL_CODE, SEL_DATA, DATA_NA, 0, SEL_DATA,
	};
	char what[64];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(what, sizeof(what), "%s: task GPR %d", t, i);
		check_eq(what, seen.gpr[i], i == 4 ? esp : gpr[i]);
	}
	snprintf(what, sizeof(what), "%s: task EFLAGS", t);
	check_eq(what, seen.eflags, TASK_EFLAGS | nt);
	for (i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "%s: task selector %d", t, i);
		check_eq(what, seen.sel[i], sel[i]);
	}
	snprintf(what, sizeof(what), "%s: task TR", t);
	check_eq(what, seen.tr, TSS_TASK);
	snprintf(what, sizeof(what), "%s: task sees CR0.TS", t);
	check_eq(what, seen_cr0 & X86_CR0_TS, X86_CR0_TS);
}

/*
 * Before a switch: QEMU's TCG (the svm lab's CPU) computes EFLAGS lazily
 * and may take the new task's arithmetic flags from the instructions
 * before the switch instead of its TSS, unless the flags were last set
 * whole, as POPF does.
 */
#define QEMU_CC_EFLAGS	"pushfl\n\tpopfl\n\t"

static uint16_t read_tr(void)
{
	uint16_t tr;

	asm volatile("str %0" : "=r"(tr));
	return tr;
}

static void test_jmp(void)
{
	uint32_t si, di;
	ulong after;

	task_reset(0);
	asm volatile("movl $0x5a5a5a5a, %%esi\n\t"
		     "movl $0xa5a5a5a5, %%edi\n\t"
		     QEMU_CC_EFLAGS
		     "ljmp $0x40, $0\n"
		     "1: movl $1b, %[after]\n\t"
		     "movl %%esi, %[si]\n\t"
		     "movl %%edi, %[di]"
		     : [after] "=m"(after), [si] "=m"(si), [di] "=m"(di)
		     : : "esi", "edi", "memory", "cc");
	asm volatile("clts");
	check_task_start("jmp", TASK_SP, 0);
	check_eq("jmp: TSS_MAIN available in the task", seen_main_access, 0x89);
	check_eq("jmp: TSS_TASK busy in the task", seen_task_access, 0x8b);
	check_eq("jmp: no back link", seen_link, 0);
	check_eq("jmp: main ESI kept", si, 0x5a5a5a5a);
	check_eq("jmp: main EDI kept", di, 0xa5a5a5a5);
	check_eq("jmp: main TR", read_tr(), TSS_MAIN);
	check_eq("jmp: main TSS EIP", tss_main.eip, after);
	check_eq("jmp: main TSS ESI", tss_main.esi, 0x5a5a5a5a);
	check_eq("jmp: main TSS busy", gdt_access(TSS_MAIN), 0x8b);
	check_eq("jmp: task TSS available", gdt_access(TSS_TASK), 0x89);
	check_eq("jmp: task TSS EIP", tss_task.eip, (ulong)task_after_jmp);
	check_eq("jmp: task TSS EAX", tss_task.eax, 0);
	check_eq("jmp: task TSS ESP", tss_task.esp, TASK_SP);
	check_eq("jmp: task TSS EBP", tss_task.ebp, 0x66666666);
	check_eq("jmp: task TSS ES", tss_task.es, DATA_NA);
	check_eq("jmp: task TSS FS", tss_task.fs, 0);
	check_eq("jmp: task TSS GS", tss_task.gs, SEL_DATA);
	check_eq("jmp: task TSS CS", tss_task.cs, SEL_CODE);
	report("taskswitch.jmp", 1);
}

static ulong read_eflags(void)
{
	ulong f;

	asm volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

static void test_call(void)
{
	ulong after;

	task_reset(1);
	asm volatile(QEMU_CC_EFLAGS
		     "lcall $0x40, $0\n"
		     "1: movl $1b, %[after]"
		     : [after] "=m"(after) : : "memory", "cc");
	asm volatile("clts");
	check_task_start("call", TASK_SP, EFLAGS_NT);
	check_eq("call: TSS_MAIN busy in the task", seen_main_access, 0x8b);
	check_eq("call: TSS_TASK busy in the task", seen_task_access, 0x8b);
	check_eq("call: back link", seen_link, TSS_MAIN);
	check_eq("call: main TR", read_tr(), TSS_MAIN);
	check_eq("call: main NT clear", read_eflags() & EFLAGS_NT, 0);
	check_eq("call: main TSS EIP", tss_main.eip, after);
	check_eq("call: main TSS busy", gdt_access(TSS_MAIN), 0x8b);
	check_eq("call: task TSS available", gdt_access(TSS_TASK), 0x89);
	check_eq("call: task TSS EIP", tss_task.eip, (ulong)task_after_iret);
	check_eq("call: task TSS EFLAGS.NT", tss_task.eflags & EFLAGS_NT, 0);
	check_eq("call: task TSS EAX", tss_task.eax, 1);
	report("taskswitch.call", 1);
}

static void test_gate(void)
{
	struct desc_ptr idtr;
	uint64_t *idt, old;
	ulong at;
	uint16_t es;

	asm volatile("sidt %0" : "=m"(idtr));
	idt = (uint64_t *)idtr.base;
	old = idt[13];
	/* A task gate, present, DPL 0, to TSS_TASK. */
	idt[13] = (uint64_t)TSS_TASK << 16 | (uint64_t)0x85 << 40;
	task_reset(2);
	asm volatile("movl $1f, %[at]\n\t"
		     "movl $0x1234, %%eax\n"
		     "1: .byte 0x8e, 0xc0\n\t"	/* mov %%eax, %%es */
		     "movw %%es, %[es]"
		     : [at] "=m"(at), [es] "=m"(es) : : "eax", "memory", "cc");
	idt[13] = old;
	asm volatile("clts");
	check_task_start("gate", TASK_SP - 4, EFLAGS_NT);
	check_eq("gate: error code on the task's stack", seen.top, 0x1234);
	check_eq("gate: back link", seen_link, TSS_MAIN);
	check_eq("gate: TSS_MAIN busy in the task", seen_main_access, 0x8b);
	check_eq("gate: main TSS EIP past the MOV", tss_main.eip, at + 2);
	check_eq("gate: ES unchanged", es, SEL_DATA);
	check_eq("gate: main TR", read_tr(), TSS_MAIN);
	check_eq("gate: task TSS available", gdt_access(TSS_TASK), 0x89);
	report("taskswitch.gate", 1);
}

/*
 * A JMP to a 16-bit TSS (its limit at the edge, 0x2b) and back: the task
 * starts with its TSS's IP, the low halves of the registers, ES, CS, SS
 * and DS, and null FS and GS.
 */
static void test_tss16(void)
{
	static const uint16_t gpr[8] = {
		0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888,
	};
	static const uint16_t sel[6] = {
		DATA_NA, CODE_HI, SEL_DATA, SEL_DATA, 0, 0,
	};
	char what[64];
	int i;

	memset(&tss16, 0, sizeof(tss16));
	tss16.ip = (ulong)task16_entry - 0x100000;
	tss16.flags = 0x0002;
	tss16.ax = gpr[0];
	tss16.cx = gpr[1];
	tss16.dx = gpr[2];
	tss16.bx = gpr[3];
	tss16.sp = gpr[4];
	tss16.bp = gpr[5];
	tss16.si = gpr[6];
	tss16.di = gpr[7];
	tss16.es = DATA_NA;
	tss16.cs = CODE_HI;
	tss16.ss = SEL_DATA;
	tss16.ds = SEL_DATA;
	gdt[TSS16 >> 3] = gdt_entry((ulong)&tss16, sizeof(tss16) - 1, 0x81, 0);
	memset(seen16, 0, sizeof(seen16));
	asm volatile(QEMU_CC_EFLAGS "ljmp $0x50, $0" : : : "memory", "cc");
	asm volatile("clts");
	for (i = 0; i < 8; i++) {
		snprintf(what, sizeof(what), "tss16: task GPR %d (low half)", i);
		check_eq(what, seen16[i] & 0xffff, gpr[i]);
	}
	for (i = 0; i < 6; i++) {
		snprintf(what, sizeof(what), "tss16: task selector %d", i);
		check_eq(what, seen16[8 + i], sel[i]);
	}
	check_eq("tss16: task TR", seen16[14], TSS16);
	check_eq("tss16: main TR", read_tr(), TSS_MAIN);
	check_eq("tss16: 16-bit TSS available", gdt_access(TSS16), 0x81);
	check_eq("tss16: main TSS busy", gdt_access(TSS_MAIN), 0x8b);
	report("taskswitch.tss16", 1);
}

/* An indirect far JMP to @sel: 0 if it went (and came back), 1 if it faulted. */
static int try_jmp(uint16_t sel)
{
	struct {
		uint32_t off;
		uint16_t sel;
	} __attribute__((packed)) fp = { 0, sel };
	int fault = 0;

	asm volatile("movl $1f, %[fix]\n\t"
		     "ljmp *%[fp]\n\t"
		     "jmp 2f\n"
		     "1: movl $1, %[fault]\n"
		     "2: movl $0, %[fix]"
		     : [fault] "+r"(fault), [fix] "=m"(exc_fixup)
		     : [fp] "m"(fp) : "memory", "cc");
	return fault;
}

/*
 * Faults of the new TSS's checks, in the old task: a limit below 0x67
 * (#TS), a descriptor not present (#NP), a JMP to the busy TSS of the
 * running task (#GP); each with the TSS selector as error code, and
 * nothing switched.
 */
static void test_faults(void)
{
	static const struct {
		const char *what;
		uint16_t sel;
		uint8_t access;
		uint32_t limit;
		unsigned vector;
	} t[] = {
		{ "limit 0x66", TSS_TASK, 0x89, 0x66, 10 },
		{ "not present", TSS_TASK, 0x09, 0x67, 11 },
		{ "busy", TSS_MAIN, 0x89, 0x67, 13 },
		{ "16-bit limit 0x2a", TSS_TASK, 0x81, 0x2a, 10 },
	};
	char what[64];
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		task_reset(0);
		gdt[TSS_TASK >> 3] = gdt_entry((ulong)&tss_task, t[i].limit,
					       t[i].access, 0);
		exc_last.vector = ~0UL;
		snprintf(what, sizeof(what), "fault %s: faulted", t[i].what);
		check_eq(what, try_jmp(t[i].sel), 1);
		snprintf(what, sizeof(what), "fault %s: vector", t[i].what);
		check_eq(what, exc_last.vector, t[i].vector);
		snprintf(what, sizeof(what), "fault %s: error code", t[i].what);
		check_eq(what, exc_last.error, t[i].sel);
		snprintf(what, sizeof(what), "fault %s: TR", t[i].what);
		check_eq(what, read_tr(), TSS_MAIN);
		snprintf(what, sizeof(what), "fault %s: the task did not run", t[i].what);
		check_eq(what, seen.tr, 0);
	}
	gdt[TSS_TASK >> 3] = gdt_entry((ulong)&tss_task, sizeof(tss_task) - 1,
				       0x89, 0);
	check_eq("fault: TSS_MAIN still busy", gdt_access(TSS_MAIN), 0x8b);
	report("taskswitch.faults", 1);
}

/*
 * A JMP through a GDT whose TSS_TASK descriptor crosses a page boundary,
 * to a TSS that crosses one too, and back.
 */
static void test_cross(void)
{
	uint64_t *gdt2 = (uint64_t *)(cross_pages + 4096 - TSS_TASK - 4);
	struct desc_ptr old, new = { sizeof(gdt) - 1, (ulong)gdt2 };

	task_tss = (struct tss32 *)(cross_pages + 2 * 4096 - 0x30);
	task_reset(0);
	memcpy(gdt2, gdt, sizeof(gdt));
	gdt2[TSS_TASK >> 3] = gdt_entry((ulong)task_tss, sizeof(*task_tss) - 1,
					0x89, 0);
	asm volatile("sgdt %0" : "=m"(old));
	asm volatile("lgdt %0" : : "m"(new) : "memory");
	asm volatile(QEMU_CC_EFLAGS "ljmp $0x40, $0" : : : "memory", "cc");
	asm volatile("lgdt %0" : : "m"(old) : "memory");
	asm volatile("clts");
	check_task_start("cross", TASK_SP, 0);
	check_eq("cross: main TR", read_tr(), TSS_MAIN);
	check_eq("cross: task TSS EIP", task_tss->eip, (ulong)task_after_jmp);
	check_eq("cross: task TSS ESP", task_tss->esp, TASK_SP);
	check_eq("cross: task descriptor available", (uint8_t)(gdt2[TSS_TASK >> 3] >> 40), 0x89);
	check_eq("cross: main descriptor busy", (uint8_t)(gdt2[TSS_MAIN >> 3] >> 40), 0x8b);
	task_tss = &tss_task;
	report("taskswitch.cross", 1);
}

#ifdef TS_MMIO
/*
 * A TSS in MMIO, where the CPU reads its device: the module cannot, and
 * ends the run with KVM_EXIT_INTERNAL_ERROR (guests.sh: status 104).
 */
static void test_mmio(void)
{
	gdt[TSS_TASK >> 3] = gdt_entry(MMIO_TEST_BASE, sizeof(tss_task) - 1,
				       0x89, 0);
	try_jmp(TSS_TASK);
	printf("taskswitch: the switch to a TSS in MMIO went through\n");
	exit(EXIT_FAIL);
}
#endif

int guest_main(unsigned cpu)
{
	struct desc_ptr old, new = { sizeof(gdt) - 1, (ulong)gdt };
	uint16_t es;

	(void)cpu;
	asm volatile("sgdt %0" : "=m"(old));
	memcpy(gdt, (const void *)old.base, TSS_MAIN);
	gdt[TSS_MAIN >> 3] = gdt_entry((ulong)&tss_main, sizeof(tss_main) - 1,
				       0x89, 0);
	gdt[TSS_TASK >> 3] = gdt_entry((ulong)&tss_task, sizeof(tss_task) - 1,
				       0x89, 0);
	gdt[DATA_NA >> 3] = gdt_entry(0, 0xfffff, 0x93, 0xc);
	gdt[CODE_HI >> 3] = gdt_entry(0x100000, 0xfffff, 0x9b, 0xc);
	tss_main.iomap_base = sizeof(tss_main);
	asm volatile("lgdt %0" : : "m"(new) : "memory");
	asm volatile("ltr %w0" : : "r"(TSS_MAIN) : "memory");
	asm volatile("movw %%es, %0" : "=r"(es));
	check_eq("ES before", es, SEL_DATA);

#ifdef TS_MMIO
	test_mmio();
#endif
	test_jmp();
	test_call();
	test_gate();
	test_tss16();
	test_cross();
	test_faults();

	report("taskswitch.checks", checks);
	return failures ? EXIT_FAIL : EXIT_PASS;
}
