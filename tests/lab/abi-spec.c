// SPDX-License-Identifier: GPL-2.0
/*
 * abi spec: the speculation hygiene around guest entry and exit
 * (kvm/spec.h), as the VM's debugfs exits file counts it ("spec.vcpuN.*"
 * per vCPU, "spec.host.*" what the host's mitigations ask for), against
 * what the host kernel itself reports in /sys/devices/system/cpu/
 * vulnerabilities and /proc/cpuinfo:
 *
 * - two VMs run alternately on one CPU: the CPU switches to the other
 *   VM's vCPU at each change, not when the same vCPU enters again, and
 *   does an IBPB at each switch where the host uses IBPB; none, and
 *   spec.host.ibpb 0, where not;
 * - the RSB stuffing, VERW and L1D flush the host asks for, and VERW and
 *   L1D flushes counted per entry accordingly;
 * - MSR_IA32_SPEC_CTRL and MSR_IA32_PRED_CMD: the guest's RDMSR gets #GP
 *   without the CPUID bits, KVM_GET/SET_MSRS do not need them (as
 *   upstream: a VMM restores MSRs before CPUID); reserved bits refused,
 *   an IBPB done where the host has IBPB.
 */
#include "abi.h"

/* OUT to port 0x10, forever: every KVM_RUN is one entry, one exit. */
GUEST_ASM(g_spec, ".code16",
	"1: outb %al, $0x10\n"
	"jmp 1b\n");
extern const uint8_t g_spec[], g_spec_end[];

/* RDMSR IA32_SPEC_CTRL: OUT to 0x12 with its low byte, or #GP: OUT to 0x11. */
GUEST_ASM(g_spec_rdmsr, ".code16",
	"movl $0x48, %ecx\n"
	"rdmsr\n"
	"outb %al, $0x12\n"
	"hlt\n"
"g_spec_rdmsr_gp:\n"
	"outb %al, $0x11\n"
	"hlt\n");
extern const uint8_t g_spec_rdmsr[], g_spec_rdmsr_gp[], g_spec_rdmsr_end[];

/* A file's first line, or "" (the file may not exist). */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f && !fgets(buf, size, f))
		buf[0] = 0;
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

static void vuln(const char *name, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s",
		 name);
	read_line(path, buf, size);
}

/* A flag of the first CPU's "flags" line in /proc/cpuinfo. */
bool cpu_flag(const char *flag)
{
	return cpuinfo_has("flags", flag);
}

/* A line "NAME N" of the VM's debugfs exits file, or -1. */
static long exits_value(struct vm *vm, const char *key)
{
	char path[96], name[96];
	long n, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exits",
		 (int)getpid(), vm->fd);
	f = fopen(path, "r");
	while (f && fscanf(f, "%95s %ld", name, &n) == 2)
		if (!strcmp(name, key))
			found = n;
	if (f)
		fclose(f);
	return found;
}

/* vCPU 0's exits over all reasons: its entries that reached the guest. */
static long vcpu0_exits(struct vm *vm)
{
	char path[96], name[96];
	long n, sum = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/exits",
		 (int)getpid(), vm->fd);
	f = fopen(path, "r");
	while (f && fscanf(f, "%95s %ld", name, &n) == 2)
		if (!strncmp(name, "vcpu0.", 6))
			sum += n;
	if (f)
		fclose(f);
	return sum;
}

static bool run_out(struct vcpu *v, const char *vm_name, int round)
{
	char name[96];
	int rc = vcpu_run(v);
	bool ok = rc == 0 && v->run->exit_reason == KVM_EXIT_IO &&
		  v->run->io.port == 0x10;

	if (!ok) {
		snprintf(name, sizeof(name), "spec: VM %s, run %d: OUT to 0x10",
			 vm_name, round);
		check(false, name, "rc %d errno %d exit %u", rc, rc ? errno : 0,
		      v->run->exit_reason);
	}
	return ok;
}

static void expect_value(struct vm *vm, const char *key, long want,
			 const char *why)
{
	char name[160];
	long got = exits_value(vm, key);

	snprintf(name, sizeof(name), "spec: %s = %ld (%s)", key, want, why);
	check(got == want, name, "debugfs says %ld", got);
}

/*
 * What the host's mitigations ask for, from the kernel's own reports.
 * spectre_v2 names IBPB only where the CPU has it: "IBPB: conditional"
 * or "IBPB: always-on" where the kernel uses it (X86_FEATURE_USE_IBPB);
 * SRSO's "IBPB on VMEXIT" mode issues it on every SVM exit instead.
 */
struct spec_host {
	char v2[512], srso[256], mds[256], taa[256], rfds[256], tsa[256];
	char l1tf[256];
	bool vmx, ibpb, spec_ctrl_msr, spec_ctrl;
	int rsb_fill;
	bool verw;
};

static void spec_host(struct spec_host *h)
{
	vuln("spectre_v2", h->v2, sizeof(h->v2));
	vuln("spec_rstack_overflow", h->srso, sizeof(h->srso));
	vuln("mds", h->mds, sizeof(h->mds));
	vuln("tsx_async_abort", h->taa, sizeof(h->taa));
	vuln("reg_file_data_sampling", h->rfds, sizeof(h->rfds));
	vuln("tsa", h->tsa, sizeof(h->tsa));
	vuln("l1tf", h->l1tf, sizeof(h->l1tf));
	h->vmx = cpu_has_vmx();

	h->ibpb = (strstr(h->v2, "IBPB: conditional") ||
		   strstr(h->v2, "IBPB: always-on")) &&
		  !strstr(h->srso, "IBPB on VMEXIT");
	/* IA32_SPEC_CTRL exists with IBRS or STIBP; SVM may switch it itself. */
	h->spec_ctrl_msr = cpu_flag("ibrs") || cpu_flag("stibp");
	h->spec_ctrl = h->spec_ctrl_msr && (h->vmx || !cpu_flag("v_spec_ctrl"));
	/*
	 * SVM stuffs the RSB under retpolines (also with eIBRS); VMX under
	 * retpolines, LFENCE or legacy IBRS, and retires one CALL under eIBRS
	 * on a CPU with PBRSB.
	 */
	if (!h->vmx)
		h->rsb_fill = strstr(h->v2, "Retpolines") || strstr(h->v2, "LFENCE") ?
			      32 : 0;
	else if (strstr(h->v2, "Enhanced"))
		h->rsb_fill = strstr(h->v2, "PBRSB-eIBRS: SW sequence") ? 1 : 0;
	else
		h->rsb_fill = strstr(h->v2, "Mitigation") ? 32 : 0;
	/* VERW: "Clear CPU buffers" (or RFDS's "Clear Register File"). */
	if (h->vmx)
		h->verw = strstr(h->mds, "Clear") || strstr(h->taa, "Clear") ||
			  strstr(h->rfds, "Clear");
	else
		h->verw = strstr(h->tsa, "Clear") != NULL;
}

#define MSR_SPEC_CTRL	0x48
#define MSR_PRED_CMD	0x49

/*
 * CPUID.7.0:EDX[26] SPEC_CTRL (IBRS and IBPB), 0x80000008:EBX[12] IBPB:
 * the guest may use both MSRs.
 */
static int set_spec_cpuid(struct vcpu *v)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[2];
	} cpuid = { .c.nent = 2 };

	cpuid.e[0] = (struct kvm_cpuid_entry2){
		.function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.edx = 1u << 26 };
	cpuid.e[1] = (struct kvm_cpuid_entry2){
		.function = 0x80000008, .eax = 0x3030, .ebx = 1u << 12 };
	return ioctl_errno(v->fd, KVM_SET_CPUID2, &cpuid);
}

/*
 * The guest's SPEC_CTRL = IBRS: loaded on every entry (and the host's
 * back after it), unless the host runs with exactly that value (legacy
 * IBRS mode, spectre_v2 "Mitigation: IBRS").
 */
static void test_spec_ctrl_switch(const struct spec_host *h, struct vm *vm,
				  struct vcpu *v)
{
	long s0, e0, s1, e1, want;

	check(set_msr(v->fd, MSR_SPEC_CTRL, 1) == 1,
	      "spec: SET SPEC_CTRL = IBRS taken", "refused");
	s0 = exits_value(vm, "spec.vcpu0.spec_ctrl_switch");
	e0 = vcpu0_exits(vm);
	run_out(v, "A", 6);
	s1 = exits_value(vm, "spec.vcpu0.spec_ctrl_switch");
	e1 = vcpu0_exits(vm);
	want = strstr(h->v2, "Mitigation: IBRS") ? 0 : e1 - e0;
	check(e1 - e0 >= 1 && s1 - s0 == want,
	      "spec: guest SPEC_CTRL IBRS loaded on each entry of a run",
	      "%ld switches over %ld entries, want %ld", s1 - s0, e1 - e0, want);
	set_msr(v->fd, MSR_SPEC_CTRL, 0);
}

/* Two VMs alternately on one CPU: A B A B A A. */
static void test_spec_switch(const struct spec_host *h)
{
	static const char order[] = "ABABAA";
	struct vm vm[2];
	struct vcpu v[2];
	cpu_set_t set, old;
	long entries, want;
	bool ran = true;
	char round_name[2] = "A";
	int i;

	pthread_getaffinity_np(pthread_self(), sizeof(old), &old);
	for (i = 0; i < CPU_SETSIZE && !CPU_ISSET(i, &old); i++)
		;
	CPU_ZERO(&set);
	CPU_SET(i, &set);
	check(!pthread_setaffinity_np(pthread_self(), sizeof(set), &set),
	      "spec: pinned to one CPU", "sched_setaffinity failed");

	for (i = 0; i < 2; i++)
		rm_guest(&vm[i], &v[i], g_spec, g_spec_end, 2);
	expect_errno("spec: VM A: SET_CPUID2 with SPEC_CTRL and IBPB", 0,
		     set_spec_cpuid(&v[0]));
	for (i = 0; order[i] && ran; i++) {
		round_name[0] = order[i];
		ran = run_out(&v[order[i] - 'A'], round_name, i);
	}
	check(ran, "spec: A B A B A A ran, one OUT exit each", "a run failed");

	/* Whatever the host: the CPU came to A from nothing or B 3 times. */
	expect_value(&vm[0], "spec.vcpu0.switch_in", 3,
		     "VM A entered after B or first: 3 of its 4 runs");
	expect_value(&vm[1], "spec.vcpu0.switch_in", 2,
		     "VM B entered after A: 2 runs");
	expect_value(&vm[0], "spec.host.ibpb", h->ibpb,
		     h->ibpb ? "the host uses IBPB" :
			       "IBPB disabled by the host");
	if (h->ibpb) {
		expect_value(&vm[0], "spec.vcpu0.ibpb", 3,
			     "VM A entered after B or first: 3 of its 4 runs");
		expect_value(&vm[1], "spec.vcpu0.ibpb", 2,
			     "VM B entered after A: 2 runs");
	} else {
		printf("INFO: abi: spec: IBPB disabled by the host: spectre_v2: %s; "
		       "spec_rstack_overflow: %s\n", h->v2, h->srso);
		expect_value(&vm[0], "spec.vcpu0.ibpb", 0, "IBPB disabled by the host");
		expect_value(&vm[1], "spec.vcpu0.ibpb", 0, "IBPB disabled by the host");
	}

	expect_value(&vm[0], "spec.host.rsb_fill", h->rsb_fill,
		     "RSB entries stuffed after each exit, per spectre_v2");
	expect_value(&vm[0], "spec.host.verw", h->verw,
		     h->vmx ? "VERW before entry, per mds/taa/rfds" :
			      "VERW before VMRUN, per tsa");
	/* Its 4 OUTs, and any exit for a host interrupt. */
	entries = vcpu0_exits(&vm[0]);
	check(entries >= 4, "spec: VM A: at least 4 exits, as many entries",
	      "%ld exits", entries);
	expect_value(&vm[0], "spec.vcpu0.verw", h->verw ? entries : 0,
		     "one per entry where the host clears buffers");
	/*
	 * Shadow paging: no L1TF exposure, no flush (as upstream with ept=0).
	 * mmu=tdp on VMX (EPT): a flush before each entry where the host's
	 * L1TF mode asks for one (l1d_mode: VMENTER_L1D_FLUSH_COND 2,
	 * ALWAYS 3) and the CPU can flush (else the mode is NEVER, 1).
	 */
	if (mmu_is("tdp") && h->vmx) {
		long mode = exits_value(&vm[0], "spec.host.l1d_mode");
		bool flush = mode == 2 || mode == 3;

		expect_value(&vm[0], "spec.host.l1d_flush", flush,
			     flush ? "EPT, L1TF mode cond or always" :
				     "EPT, no L1D flush in the L1TF mode");
		expect_value(&vm[0], "spec.vcpu0.l1d_flush", flush ? entries : 0,
			     flush ? "one per entry" : "no L1D flush");
	} else {
		expect_value(&vm[0], "spec.host.l1d_flush", 0, "shadow paging");
		expect_value(&vm[0], "spec.vcpu0.l1d_flush", 0, "shadow paging");
	}

	expect_value(&vm[0], "spec.host.spec_ctrl", h->spec_ctrl,
		     h->spec_ctrl ? "the host has IA32_SPEC_CTRL" :
				    "no IA32_SPEC_CTRL on the host");
	want = exits_value(&vm[0], "spec.vcpu0.spec_ctrl_switch");
	if (h->spec_ctrl)
		/* The guest's 0 is loaded on every entry iff the host's is not 0. */
		check(want == 0 || want == entries,
		      "spec: guest SPEC_CTRL 0 loaded on no entry or on all 4",
		      "%ld switches", want);
	else
		check(want == 0, "spec: spec.vcpu0.spec_ctrl_switch = 0 (no MSR)",
		      "%ld switches", want);
	if (h->spec_ctrl)
		test_spec_ctrl_switch(h, &vm[0], &v[0]);

	for (i = 0; i < 2; i++)
		vm_destroy(&vm[i]);
	pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
}

/* Runs g_spec_rdmsr from the start: the port it wrote to, or -1. */
static int spec_rdmsr_port(struct vm *vm, struct vcpu *v, uint8_t *al)
{
	ivt_set(vm, 13, AT(g_spec_rdmsr, g_spec_rdmsr_gp));
	if (vcpu_run(v) || v->run->exit_reason != KVM_EXIT_IO)
		return -1;
	*al = *((uint8_t *)v->run + v->run->io.data_offset);
	return v->run->io.port;
}

static void test_spec_msrs(const struct spec_host *h)
{
	bool host_ibpb = cpu_flag("ibpb");
	uint64_t data = 1;
	struct vm vm;
	struct vcpu v;
	uint8_t al = 0xff;
	int n;

	rm_guest(&vm, &v, g_spec_rdmsr, g_spec_rdmsr_end, 2);
	n = spec_rdmsr_port(&vm, &v, &al);
	check(n == 0x11, "spec: the guest's RDMSR SPEC_CTRL without the CPUID bits: #GP",
	      "port %#x", n);
	vm_destroy(&vm);

	rm_guest(&vm, &v, g_spec_rdmsr, g_spec_rdmsr_end, 2);
	n = get_msr(v.fd, MSR_SPEC_CTRL, &data);
	check(n == 1 && data == 0,
	      "spec: KVM_GET_MSRS SPEC_CTRL = 0 without the CPUID bits (the VMM needs none)",
	      "n %d data %#llx", n, (unsigned long long)data);
	n = set_msr(v.fd, MSR_PRED_CMD, 1);
	check(n == (host_ibpb ? 1 : 0),
	      host_ibpb ? "spec: KVM_SET_MSRS PRED_CMD IBPB without the CPUID bits done (the host has IBPB)" :
			  "spec: KVM_SET_MSRS PRED_CMD IBPB refused (the host has no IBPB)",
	      "n %d", n);

	expect_errno("spec: SET_CPUID2 with SPEC_CTRL and IBPB", 0,
		     set_spec_cpuid(&v));
	data = 1;
	n = get_msr(v.fd, MSR_SPEC_CTRL, &data);
	check(n == 1 && data == 0, "spec: GET SPEC_CTRL = 0 with the CPUID bits",
	      "n %d data %#llx", n, (unsigned long long)data);
	n = set_msr(v.fd, MSR_SPEC_CTRL, 0);
	check(n == (h->spec_ctrl_msr ? 1 : 0),
	      h->spec_ctrl_msr ? "spec: SET SPEC_CTRL 0 taken (the host has the MSR)" :
			     "spec: SET SPEC_CTRL 0 refused (the host has no such MSR)",
	      "n %d", n);
	check(set_msr(v.fd, MSR_SPEC_CTRL, 1ull << 63) == 0,
	      "spec: SET SPEC_CTRL with reserved bit 63 refused", "set it");
	check(set_msr(v.fd, MSR_PRED_CMD, 2) == 0,
	      "spec: SET PRED_CMD with reserved bit 1 refused", "set it");
	check(get_msr(v.fd, MSR_PRED_CMD, &data) == 0,
	      "spec: GET PRED_CMD refused (write-only)", "read it");
	n = set_msr(v.fd, MSR_PRED_CMD, 1);
	check(n == (host_ibpb ? 1 : 0),
	      host_ibpb ? "spec: SET PRED_CMD IBPB done (the host has IBPB)" :
			  "spec: SET PRED_CMD IBPB refused (the host has no IBPB)",
	      "n %d", n);
	expect_value(&vm, "spec.vcpu0.guest_ibpb", host_ibpb ? 2 : 0,
		     "the IBPBs through PRED_CMD");
	n = spec_rdmsr_port(&vm, &v, &al);
	check(n == 0x12 && al == 0,
	      "spec: the guest's RDMSR SPEC_CTRL with the CPUID bits reads 0",
	      "port %#x al %#x", n, al);
	vm_destroy(&vm);
}

void test_spec(void)
{
	struct spec_host h;

	spec_host(&h);
	printf("INFO: abi: spec: host: spectre_v2: %s; l1tf: %s; IBPB %s, "
	       "SPEC_CTRL %s, RSB fill %d, VERW %s\n", h.v2, h.l1tf,
	       h.ibpb ? "yes" : "no", h.spec_ctrl ? "yes" : "no", h.rsb_fill,
	       h.verw ? "yes" : "no");
	test_spec_switch(&h);
	test_spec_msrs(&h);
}
