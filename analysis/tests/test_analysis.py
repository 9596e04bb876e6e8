"""Unit tests of analysis/: python3 -m unittest discover -s analysis/tests

Most tests run on data/recorded/: a small trace recorded in the lab
(data/recorded/README.md says how and when).  Their expected numbers were
read off its files with grep and awk, and every count the trace gives is
also checked against the counters our module kept in the same run
(vmm.err's "vmm: exits" lines, mmu_stats.txt), which come from the
module, not from the trace.  Synthetic input is left only where the
recorded trace cannot exercise a path; each such test says why.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
sys.path.insert(0, ANALYSIS)

from kvmtrace import names, parse, plots, stats, tables  # noqa: E402

RECORDED = os.path.join(HERE, "data", "recorded")
OURS = ("naive", "cached")      # the strategies with our module's counters


def close(a, b):
    return abs(a - b) < 1e-6


def module_exits(run, vcpu=None):
    """{reason: count} of the run's vmm.err "vmm: exits [vcpuN.]REASON N"
    lines: the module's debugfs exit counters, names with '_' for ' '."""
    prefix = "" if vcpu is None else "vcpu%d." % vcpu
    out = {}
    with open(os.path.join(run.path, "vmm.err"), encoding="utf-8") as f:
        for line in f:
            p = line.split()
            if len(p) == 4 and p[:2] == ["vmm:", "exits"]:
                k = p[2]
                if vcpu is None and "." in k:
                    continue
                if k.startswith(prefix):
                    out[k[len(prefix):]] = int(p[3])
    return out


def underscored(counter):
    """A trace's exits by reason named as the module's counters are."""
    return {k.replace(" ", "_"): v for k, v in counter.items()}


# ---- the parser on synthetic lines ----------------------------------------
# trace-cmd versions and options print lines the recorded trace (one
# trace-cmd, -R) does not have: these cover them.
SPEC_LINES = """\
  vmm-1234  [001]   123.456789: kvm_exit:             exit_reason=124 guest_rip=0x1000 isa=2 info1=0x0 info2=0x0 intr_info=0x0 error_code=0x0 vcpu_id=0
  vmm-1234  [001]   123.456800: kvm_entry:            vcpu_id=0 rip=0x1002
  vmm-1234  [001]   123.456790: kvm_pio:              rw=1 port=244 size=1 count=1 val=66
  vmm-1234  [001]   123.456790: kvm_mmio:             type=1 len=4 gpa=0xd0000000 val=0x12345678
  vmm-1234  [001]   123.456790: kvm_page_fault:       vcpu_id=0 guest_rip=0x1000 fault_address=0x40001000 error_code=0x6
  vmm-1234  [001]   123.456795: mmu_fault:            vcpu_id=0 gva=0x40001000 error_code=0x6 outcome=0 created=1
  vmm-1234  [001]   123.456795: mmu_flush:            vcpu_id=0 cause=0 zapped=12
  vmm-1234  [001]   123.456795: mmu_sp:               op=0 gfn=0x1234 role=0x29c51 level=1 direct=0
  vmm-1234  [001]   123.456795: kvm_userspace_exit:   reason=2 errno=0
"""


class TestParse(unittest.TestCase):
    def test_spec_lines(self):
        t = parse.parse_lines(SPEC_LINES.splitlines())
        self.assertEqual(t.skipped, 0)
        self.assertEqual(len(t.events), 9)
        # sorted by time, stable: the exit first, the entry last
        self.assertEqual(t.events[0].name, "kvm_exit")
        self.assertEqual(t.events[-1].name, "kvm_entry")
        e = t.events[0]
        self.assertEqual((e.comm, e.pid, e.cpu), ("vmm", 1234, 1))
        self.assertTrue(close(e.ts, 123.456789))
        self.assertEqual(e.int("exit_reason"), 124)
        self.assertEqual(e.int("isa"), 2)
        self.assertEqual(e.int("guest_rip"), 0x1000)
        mmio = [x for x in t.events if x.name == "kvm_mmio"][0]
        self.assertEqual(mmio.int("gpa"), 0xd0000000)
        self.assertEqual(mmio.int("val"), 0x12345678)

    def test_robust_shapes(self):
        cases = [
            # CPU: prefix, latency flags, system: prefix, extra fields
            ("CPU:3  vmm-7 [003] d..2. 5.000001: kvm:kvm_exit: "
             "exit_reason=78 isa=2 vcpu_id=1 new_field=abc",
             ("kvm_exit", 3, 7, "vmm", 5.000001)),
            # a comm with spaces and a slash, like QEMU's vCPU threads
            ("   CPU 0/KVM-4242  [000]  7.5: kvm_entry: vcpu_id=0 rip=0x1",
             ("kvm_entry", 0, 4242, "CPU 0/KVM", 7.5)),
            # a comm with a dash; a tgid column
            ("  my-vmm-9 (    9) [002] 8.25: mmu_flush: cause=3 zapped=0",
             ("mmu_flush", 2, 9, "my-vmm", 8.25)),
            # tabs
            ("vmm-1\t[001]\t1.000000:\tkvm_pio:\trw=0\tport=0x3f8",
             ("kvm_pio", 1, 1, "vmm", 1.0)),
        ]
        for line, (name, cpu, pid, comm, ts) in cases:
            e = parse.parse_line(line)
            self.assertIsNotNone(e, line)
            self.assertEqual((e.name, e.cpu, e.pid, e.comm), (name, cpu, pid,
                                                             comm), line)
            self.assertTrue(close(e.ts, ts), line)
        e = parse.parse_line(cases[0][0])
        self.assertEqual(e.fields["new_field"], "abc")
        self.assertEqual(e.int("vcpu_id"), 1)
        self.assertEqual(parse.parse_line(cases[3][0]).int("port"), 0x3f8)

    def test_not_events(self):
        for line in ("cpus=8", "version = 6", "CPU 3 is empty",
                     "CPU:0 [LOST 12 EVENTS]", "", "garbage"):
            self.assertIsNone(parse.parse_line(line), line)

    def test_non_raw_upstream_format(self):
        e = parse.parse_line(" qemu-system-x86-77 [001] 9.000001: kvm_exit: "
                             "vcpu 2 reason npf rip 0xffffffff81000000 "
                             "info1 0x0000000000000006 info2 0x0")
        self.assertEqual(e.int("vcpu_id"), 2)
        self.assertEqual(e.fields["exit_reason_name"], "npf")
        e = parse.parse_line(" vmm-77 [001] 9.000002: kvm_exit: vcpu 0 "
                             "reason PF excp rip 0x1000 info1 0x6")
        self.assertEqual(e.fields["exit_reason_name"], "PF excp")
        self.assertTrue(names.is_fault_name("PF excp"))
        e = parse.parse_line(" qemu-system-x86-77 [001] 9.000009: kvm_entry: "
                             "vcpu 2, rip 0xffffffff81000004")
        self.assertEqual(e.int("vcpu_id"), 2)

    def test_report_and_stats_files(self):
        r = parse.parse_report(["console text", "cr3-switch.switches=640",
                                "tsc=123456", "name=hello world"])
        self.assertEqual(r, {"cr3-switch.switches": 640, "tsc": 123456,
                             "name": "hello world"})
        self.assertEqual(parse.parse_mmu_stats(["a 1", "b 0x10", "# c 3",
                                                "d 1.5"]),
                         {"a": 1, "b": 16, "d": 1.5})


class TestNames(unittest.TestCase):
    def test_svm_names(self):
        self.assertEqual(names.exit_name(2, 124), "msr")
        self.assertEqual(names.exit_name("SVM", 0x7b), "io")
        self.assertEqual(names.exit_name(2, 0x4e), "PF excp")
        self.assertEqual(names.exit_name(2, 0x400), "npf")
        self.assertEqual(names.exit_name(2, 0xffffffff), "invalid_guest_state")
        self.assertEqual(names.exit_name(2, 0x7777), "SVM 0x7777")

    def test_vmx_names(self):
        # The lab records SVM only: VMX names are checked on codes.
        self.assertEqual(names.exit_name(1, 48), "EPT_VIOLATION")
        self.assertEqual(names.exit_name(1, 0, 0x80000b0e),
                         "EXCEPTION_NMI #PF")
        self.assertTrue(names.is_fault_exit(1, 0, 0x80000b0e))
        self.assertFalse(names.is_fault_exit(1, 0, 0x80000b0d))
        self.assertTrue(names.is_fault_exit(2, 0x4e))
        self.assertFalse(names.is_fault_exit(2, 0x7c))

    def test_header_parser(self):
        text = ("#define X_BASE 0x040\n#define PF_VECTOR 14\n"
                "#define X_A 0x001\n#define X_B (X_BASE + PF_VECTOR)\n"
                "#define X_ERR -1\n#define X_REASONS \\\n"
                '\t{ X_A, "a" }, \\\n\t{ X_B,  "b excp" }, \\\n'
                '\t{ X_ERR, "err" }\n')
        self.assertEqual(names.parse_reasons(text, "X_REASONS"),
                         {1: "a", 0x4e: "b excp", -1: "err"})

    def test_fallback_matches_installed_headers(self):
        for isa, fb in (("SVM", names.SVM_FALLBACK),
                        ("VMX", names.VMX_FALLBACK)):
            t, src = names.table(isa)
            if src == "built-in":
                self.skipTest("no uapi headers here")
            # the built-in table is a subset of newer headers' tables
            for k, v in fb.items():
                self.assertEqual(t.get(k), v, (isa, k))

    def test_kvm_exit_names(self):
        t = names.parse_kvm_exits(
            "#define KVM_EXIT_HYPERV_SYNIC 1\n#define KVM_EXIT_UNKNOWN 0\n"
            "#define KVM_EXIT_IO 2\n/* comment */\n"
            "#define KVM_EXIT_DCR 15 /* deprecated */\n"
            "#define KVM_INTERNAL_ERROR_EMULATION 1\n"
            "#define KVM_EXIT_IO_IN 0\n")
        self.assertEqual(t, {0: "KVM_EXIT_UNKNOWN", 2: "KVM_EXIT_IO",
                             15: "KVM_EXIT_DCR"})
        self.assertEqual(names.kvm_exit_name(6), "KVM_EXIT_MMIO")
        self.assertEqual(names.kvm_exit_name(99), "KVM_EXIT 99")
        try:
            with open(names.KVM_HEADER) as f:
                text = f.read()
        except OSError:
            self.skipTest("no %s here" % names.KVM_HEADER)
        # the built-in table is what Debian 12's header says, newer ones
        # add codes
        installed = names.parse_kvm_exits(text)
        for k, v in names.KVM_EXIT_FALLBACK.items():
            self.assertEqual(installed.get(k), v, k)


class TestStats(unittest.TestCase):
    def test_percentile(self):
        v = [10, 20, 30, 40]
        self.assertEqual(stats.percentile(v, 0), 10)
        self.assertEqual(stats.percentile(v, 50), 25)   # pos 1.5
        self.assertTrue(close(stats.percentile(v, 90), 37))  # pos 2.7
        self.assertEqual(stats.percentile(v, 100), 40)
        self.assertIsNone(stats.percentile([], 50))
        self.assertEqual(stats.cdf_points([3, 1, 1]),
                         [(1, 0.0), (1, 2 / 3), (3, 1.0)])

    def test_pairing_per_vcpu(self):
        # Synthetic: the recorded guests run one vCPU and lose no events;
        # this interleaves two vCPUs and has an exit with no entry.
        lines = [
            "v-1 [000] 1.000000: kvm_exit: exit_reason=123 isa=2 vcpu_id=0",
            "v-2 [001] 1.000002: kvm_exit: exit_reason=124 isa=2 vcpu_id=1",
            "v-2 [001] 1.000005: kvm_entry: vcpu_id=1",
            "v-1 [000] 1.000010: kvm_entry: vcpu_id=0",
            "v-1 [000] 1.000020: kvm_exit: exit_reason=120 isa=2 vcpu_id=0",
            "v-1 [000] 1.000030: kvm_exit: exit_reason=120 isa=2 vcpu_id=0",
            "v-1 [000] 1.000032: kvm_entry: vcpu_id=0",
            "v-1 [000] 1.000040: kvm_entry: vcpu_id=0",
        ]
        run = parse.Run("x", "x", {"strategy": "s", "workload": "w"},
                        parse.parse_lines(lines), {}, {})
        st = stats.analyze_run(run)
        lat = st.latencies_by_reason()
        self.assertTrue(close(lat["io"][0], 10))
        self.assertTrue(close(lat["msr"][0], 3))
        self.assertEqual(len(lat["hlt"]), 1)
        self.assertTrue(close(lat["hlt"][0], 2))
        self.assertEqual(st.unmatched_exits, 1)
        self.assertEqual(st.entries_without_exit, 1)

    def test_enumerations_by_number_or_name(self):
        # Synthetic: the recorded trace (report -R) and CTF have numbers;
        # ftrace's default print has the names.
        lines = ["v-1 [000] 1.0: mmu_fault: vcpu_id=0 outcome=%s" % o
                 for o in ("3", "EMULATE", "0", "7")] + [
                 "v-1 [000] 1.0: mmu_flush: vcpu_id=0 cause=REMOTE",
                 "v-1 [000] 1.0: mmu_sp: op=4"]
        run = parse.Run("x", "x", {}, parse.parse_lines(lines), {}, {})
        st = stats.analyze_run(run)
        self.assertEqual(dict(st.fault_outcomes),
                         {"EMULATE": 2, "FIXED": 1, "outcome 7": 1})
        self.assertEqual(dict(st.flush_causes), {"REMOTE": 1})
        self.assertEqual(dict(st.sp_ops), {"UNPROTECT": 1})

    def test_emulate_kinds(self):
        # Synthetic: the recorded trace predates mmu_fault's pt_write.
        lines = ["v-1 [000] 1.0: mmu_fault: vcpu_id=0 outcome=%s pt_write=%s"
                 % o for o in (("3", "1"), ("3", "0"), ("3", "1"),
                               ("0", "0"))] + [
                 "v-1 [000] 1.0: mmu_fault: vcpu_id=0 outcome=3"]
        run = parse.Run("x", "x", {"workload": "w", "strategy": "cached"},
                        parse.parse_lines(lines), {}, {})
        st = stats.analyze_run(run)
        self.assertEqual(dict(st.fault_outcomes), {"EMULATE": 4, "FIXED": 1})
        self.assertEqual(dict(st.emulate_kinds), {"PT_WRITE": 2, "MMIO": 1})
        t = tables.emulated_faults(stats.group_runs([st]))
        self.assertEqual([r[3:5] for r in t.rows],
                         [["MMIO", 1], ["PT_WRITE", 2]])


# ---- the recorded trace ----------------------------------------------------
class RecordedCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = parse.load_results(RECORDED)
        cls.rundir = {r.name[:-2]: r for r in cls.runs}        # without "-0"
        cls.stats = [stats.analyze_run(r) for r in cls.runs]
        cls.st = {s.name[:-2]: s for s in cls.stats}
        cls.groups = stats.group_runs(cls.stats)
        cls.tables = {t.name: t for t in tables.build(cls.stats, cls.groups)}

    def csv_text(self, name, workload=None):
        """Table NAME as CSV; only WORKLOAD's rows (no header), if given."""
        text = tables.to_csv(self.tables[name])
        if workload is None:
            return text
        return "".join(line for line in text.splitlines(keepends=True)
                       if line.startswith(workload + ","))

    def ours(self):
        return [n for n in self.st if n.split("-")[0] in OURS]


class TestRecordedTrace(RecordedCase):
    def test_runs(self):
        self.assertEqual(sorted(self.rundir), [
            "cached-ctxsw-mini", "cached-demand-mini", "cached-exits-mini",
            "cached-forkexec-mini", "naive-ctxsw-mini", "naive-demand-mini",
            "naive-exits-mini", "upstream-npt0-ctxsw-mini"])
        for r in self.runs:
            self.assertEqual(r.trace.skipped, 1, r.name)     # "cpus=2"
            self.assertEqual(r.warnings, [], r.name)
        # grep -vc '^cpus=' trace.txt; grep -c kvm_exit: trace.txt;
        # the last exit (OUT to the exit port) has no entry; span: the
        # first and last timestamps (naive-ctxsw: 21.434941, 21.506444)
        self.assertEqual(self.csv_text("runs"), """\
run,workload,strategy,rep,events,exits,unmatched_exits,span_ms,tsc
naive-ctxsw-mini-0,ctxsw-mini,naive,0,629,159,1,71.503,58301523
cached-ctxsw-mini-0,ctxsw-mini,cached,0,517,111,1,175.874,55719787
upstream-npt0-ctxsw-mini-0,ctxsw-mini,upstream-npt0,0,2883,183,1,525.671,37028884
naive-demand-mini-0,demand-mini,naive,0,377,103,1,38.275,58264063
cached-demand-mini-0,demand-mini,cached,0,777,180,1,2823.982,6744721852
naive-exits-mini-0,exits-mini,naive,0,400,98,1,349.172,
cached-exits-mini-0,exits-mini,cached,0,416,98,1,1108.609,
cached-forkexec-mini-0,forkexec-mini,cached,0,930,186,1,480.822,209480807
""")

    def test_events_by_name(self):
        # awk '{print $4}' trace.txt | sort | uniq -c
        self.assertEqual(dict(self.st["naive-exits-mini"].event_counts), {
            "kvm_exit": 98, "kvm_entry": 98, "kvm_pio": 40,
            "kvm_userspace_exit": 56, "kvm_mmio": 32, "kvm_page_fault": 20,
            "mmu_fault": 20, "kvm_cpuid": 17, "kvm_hypercall": 16,
            "kvm_cr": 2, "kvm_msr": 1})
        up = self.st["upstream-npt0-ctxsw-mini"].event_counts
        self.assertEqual((up["kvm_mmu_paging_element"], up["kvm_fpu"],
                          up["kvm_exit"], up["kvm_entry"]),
                         (1018, 240, 183, 183))

    def test_exits_equal_the_module_counters(self):
        for n in self.ours():
            s, r = self.st[n], self.rundir[n]
            self.assertEqual(underscored(s.exits_by_reason),
                             module_exits(r), n)
            self.assertEqual(underscored(s.exits_by_reason),
                             module_exits(r, vcpu=0), n)
        # and what they are, so that the check cannot pass on two empties
        self.assertEqual(dict(self.st["naive-ctxsw-mini"].exits_by_reason), {
            "PF excp": 135, "write_cr3": 12, "io": 7, "interrupt": 2,
            "msr": 1, "read_cr0": 1, "read_cr4": 1})
        # 16 each of OUT, IN (+ 8 report/console), MMIO (#PF, emulated),
        # CPUID (+ 1 of the runtime), VMMCALL
        self.assertEqual(dict(self.st["cached-exits-mini"].exits_by_reason), {
            "io": 40, "PF excp": 21, "cpuid": 17, "hypercall": 16,
            "interrupt": 1, "msr": 1, "read_cr0": 1, "read_cr4": 1})
        # upstream: no debugfs counters (vmm.err says so), same SVM names
        self.assertEqual(module_exits(self.rundir["upstream-npt0-ctxsw-mini"]),
                         {})
        self.assertEqual(
            dict(self.st["upstream-npt0-ctxsw-mini"].exits_by_reason), {
                "io": 126, "PF excp": 40, "write_cr3": 12, "interrupt": 3,
                "msr": 1, "read_cr4": 1})

    def test_exits_csv(self):
        self.assertEqual(self.csv_text("exits_by_reason", "ctxsw-mini"), """\
ctxsw-mini,naive,1,PF excp,135,135.000,84.906
ctxsw-mini,naive,1,write_cr3,12,12.000,7.547
ctxsw-mini,naive,1,io,7,7.000,4.403
ctxsw-mini,naive,1,interrupt,2,2.000,1.258
ctxsw-mini,naive,1,msr,1,1.000,0.629
ctxsw-mini,naive,1,read_cr0,1,1.000,0.629
ctxsw-mini,naive,1,read_cr4,1,1.000,0.629
ctxsw-mini,cached,1,PF excp,88,88.000,79.279
ctxsw-mini,cached,1,write_cr3,12,12.000,10.811
ctxsw-mini,cached,1,io,7,7.000,6.306
ctxsw-mini,cached,1,interrupt,1,1.000,0.901
ctxsw-mini,cached,1,msr,1,1.000,0.901
ctxsw-mini,cached,1,read_cr0,1,1.000,0.901
ctxsw-mini,cached,1,read_cr4,1,1.000,0.901
ctxsw-mini,upstream-npt0,1,io,126,126.000,68.852
ctxsw-mini,upstream-npt0,1,PF excp,40,40.000,21.858
ctxsw-mini,upstream-npt0,1,write_cr3,12,12.000,6.557
ctxsw-mini,upstream-npt0,1,interrupt,3,3.000,1.639
ctxsw-mini,upstream-npt0,1,msr,1,1.000,0.546
ctxsw-mini,upstream-npt0,1,read_cr4,1,1.000,0.546
""")

    def test_faults_equal_the_module_counters(self):
        for n in self.ours():
            m = self.rundir[n].mmu_stats
            want = {o: m["pf_" + o.lower()] for o in
                    names.FAULT_OUTCOME.values() if m["pf_" + o.lower()]}
            self.assertEqual(dict(self.st[n].fault_outcomes), want, n)
        # naive fixes every fault; cached emulates the guest's writes to
        # its shadowed tables; both emulate the 16 MMIO loads
        self.assertEqual(dict(self.st["naive-ctxsw-mini"].fault_outcomes),
                         {"FIXED": 135})
        self.assertEqual(dict(self.st["cached-ctxsw-mini"].fault_outcomes),
                         {"FIXED": 88})
        self.assertEqual(dict(self.st["naive-exits-mini"].fault_outcomes),
                         {"FIXED": 4, "EMULATE": 16})
        self.assertEqual(dict(self.st["cached-forkexec-mini"].fault_outcomes),
                         {"FIXED": 102, "EMULATE": 60})
        self.assertEqual(self.csv_text("faults_by_outcome", "demand-mini"), """\
demand-mini,naive,1,FIXED,60,60.000,100.000
demand-mini,naive,1,RETRY,0,0.000,0.000
demand-mini,naive,1,GUEST,0,0.000,0.000
demand-mini,naive,1,EMULATE,0,0.000,0.000
demand-mini,cached,1,FIXED,62,62.000,47.692
demand-mini,cached,1,RETRY,0,0.000,0.000
demand-mini,cached,1,GUEST,0,0.000,0.000
demand-mini,cached,1,EMULATE,68,68.000,52.308
""")
        # upstream has no mmu_fault events: its faults have no outcome
        self.assertEqual(self.rundir["upstream-npt0-ctxsw-mini"].mmu_stats, {})
        self.assertIn("ctxsw-mini,upstream-npt0,(all),40,", self.csv_text(
            "fault_latency", "ctxsw-mini"))
        self.assertIn("ctxsw-mini,upstream-npt0,(none),40,", self.csv_text(
            "fault_latency", "ctxsw-mini"))

    def test_flushes_equal_the_module_counters(self):
        for n in self.ours():
            s, m = self.st[n], self.rundir[n].mmu_stats
            self.assertEqual(s.flush_causes["INVLPG"], m["invlpg"], n)
            if n.startswith("naive"):
                # naive drops the root on each CR3 load but the first and
                # zaps every shadow page then
                self.assertEqual(s.flush_causes["CR3"], m["root_drops"], n)
                self.assertEqual(s.flush_zapped["CR3"], m["shadow_zapped"], n)
            else:
                # cached flushes on every CR3 load, zapping nothing; its
                # zaps are floods, flushed remotely
                self.assertEqual(s.flush_causes["CR3"], m["new_cr3"], n)
                self.assertEqual(s.flush_zapped["REMOTE"], m["flooded"], n)
                self.assertEqual(m["flooded"], m["shadow_zapped"], n)
        self.assertEqual(dict(self.st["naive-ctxsw-mini"].flush_causes),
                         {"CR3": 12})
        self.assertEqual(self.st["naive-ctxsw-mini"].flush_zapped["CR3"], 70)
        self.assertEqual(self.csv_text("flushes_by_cause", "demand-mini"), """\
demand-mini,naive,1,CR3,1,1.000,4
demand-mini,naive,1,INVLPG,32,32.000,0
demand-mini,naive,1,FULL,0,0.000,0
demand-mini,naive,1,REMOTE,0,0.000,0
demand-mini,cached,1,CR3,2,2.000,0
demand-mini,cached,1,INVLPG,32,32.000,0
demand-mini,cached,1,FULL,0,0.000,0
demand-mini,cached,1,REMOTE,13,13.000,2
""")

    def test_shadow_pages_equal_the_module_counters(self):
        for n in self.ours():
            s, m = self.st[n], self.rundir[n].mmu_stats
            if n.startswith("naive"):
                # mmu_sp and mmu_pte_write are cached's only
                self.assertEqual(sum(s.sp_ops.values()), 0, n)
                continue
            self.assertEqual(s.sp_ops["CREATE"], m["shadow_created"], n)
            self.assertEqual(s.sp_ops["FLOOD"], m["flooded"], n)
            # the pages live when the VMM read the counters are zapped
            # when the VM is destroyed, after: still in the trace
            self.assertEqual(s.sp_ops["ZAP"], m["shadow_pages"], n)
            self.assertEqual(s.event_counts["mmu_pte_write"], m["pte_writes"],
                             n)
        self.assertEqual(self.csv_text("shadow_pages"), """\
workload,strategy,runs,create,zap,reclaim,flood,unprotect,unsync,sync,peak_live,final_live
ctxsw-mini,naive,1,0,0,0,0,0,0,0,0,0.000
ctxsw-mini,cached,1,30,30,0,0,0,0,0,30,0.000
ctxsw-mini,upstream-npt0,1,0,0,0,0,0,0,0,0,0.000
demand-mini,naive,1,0,0,0,0,0,0,0,0,0.000
demand-mini,cached,1,13,11,0,2,0,0,0,12,0.000
exits-mini,naive,1,0,0,0,0,0,0,0,0,0.000
exits-mini,cached,1,6,6,0,0,0,0,0,6,0.000
forkexec-mini,cached,1,34,14,0,20,0,0,0,14,0.000
""")

    def test_exit_latency(self):
        # naive exits-mini, the 17 CPUID exits (code 114) to their entries,
        # from awk: 18 x6, 19 x4, 20 x3, 22 x2, 26, 274 us: mean 588/17,
        # p90 at rank 14.4 -> 22 + 0.4 * 4 = 23.6, p99 at 15.84 -> 234.32
        cpuid = sorted(self.st["naive-exits-mini"].latencies_by_reason()[
            "cpuid"])
        self.assertEqual([round(x) for x in cpuid], [18] * 6 + [19] * 4 +
                         [20] * 3 + [22, 22, 26, 274])
        s = stats.summary(cpuid)
        for k, v in (("mean", 588 / 17), ("p50", 19), ("p90", 23.6),
                     ("p99", 234.32), ("max", 274)):
            self.assertTrue(abs(s[k] - v) < 1e-3, (k, s[k]))
        self.assertEqual(self.csv_text("exit_latency", "exits-mini"), """\
exits-mini,naive,(all),97,3445.732,181.000,11923.000,24163.640,28019.000
exits-mini,naive,io,39,7945.000,8115.000,18552.600,26492.920,28019.000
exits-mini,naive,PF excp,20,1144.250,324.000,3651.000,7914.930,8875.000
exits-mini,naive,cpuid,17,34.588,19.000,23.600,234.320,274.000
exits-mini,naive,hypercall,16,38.562,19.000,23.000,284.950,331.000
exits-mini,naive,interrupt,2,21.000,21.000,21.000,21.000,21.000
exits-mini,naive,msr,1,49.000,49.000,49.000,49.000,49.000
exits-mini,naive,read_cr0,1,128.000,128.000,128.000,128.000,128.000
exits-mini,naive,read_cr4,1,72.000,72.000,72.000,72.000,72.000
exits-mini,cached,(all),97,3834.742,501.000,11893.000,20670.760,23089.000
exits-mini,cached,io,39,7781.615,9396.000,12661.400,22131.780,23089.000
exits-mini,cached,PF excp,21,2727.667,1039.000,6197.000,11231.800,12129.000
exits-mini,cached,cpuid,17,529.235,55.000,276.600,6519.600,7666.000
exits-mini,cached,hypercall,16,86.625,53.500,68.000,479.850,552.000
exits-mini,cached,interrupt,1,77.000,77.000,77.000,77.000,77.000
exits-mini,cached,msr,1,115.000,115.000,115.000,115.000,115.000
exits-mini,cached,read_cr0,1,443.000,443.000,443.000,443.000,443.000
exits-mini,cached,read_cr4,1,188.000,188.000,188.000,188.000,188.000
""")

    def test_fault_latency(self):
        # the #PF exits (code 78) by the outcome of their last mmu_fault,
        # from awk: naive FIXED 49 51 62 426 us; EMULATE (the MMIO loads)
        # 311 ... 8875, sum 22297
        n = self.st["naive-exits-mini"]
        self.assertEqual([round(x) for x in sorted(n.fault_latencies(
            "FIXED"))], [49, 51, 62, 426])
        self.assertEqual(round(sum(n.fault_latencies("EMULATE"))), 22297)
        self.assertEqual(self.csv_text("fault_latency", "exits-mini"), """\
exits-mini,naive,(all),20,1144.250,324.000,3651.000,7914.930,8875.000
exits-mini,naive,FIXED,4,147.000,56.500,316.800,415.080,426.000
exits-mini,naive,EMULATE,16,1393.563,327.000,3727.000,8117.050,8875.000
exits-mini,cached,(all),21,2727.667,1039.000,6197.000,11231.800,12129.000
exits-mini,cached,FIXED,5,1526.600,969.000,2957.200,3157.720,3180.000
exits-mini,cached,EMULATE,16,3103.000,1167.000,6920.000,11456.100,12129.000
""")

    def test_time_per_workload(self):
        # workload.tsc of vmm.out; exits-mini reports one .tsc per loop,
        # so its time is the trace span; forkexec-mini has no naive run
        self.assertEqual(self.csv_text("time_per_workload"), """\
workload,strategy,runs,metric,unit,mean,min,max,ratio_to_naive,ratio_to_cached,ratio_to_upstream-npt0
ctxsw-mini,naive,1,tsc,cycles,58301523.000,58301523,58301523,1.000,1.046,1.574
ctxsw-mini,cached,1,tsc,cycles,55719787.000,55719787,55719787,0.956,1.000,1.505
ctxsw-mini,upstream-npt0,1,tsc,cycles,37028884.000,37028884,37028884,0.635,0.665,1.000
demand-mini,naive,1,tsc,cycles,58264063.000,58264063,58264063,1.000,0.009,
demand-mini,cached,1,tsc,cycles,6744721852.000,6744721852,6744721852,115.761,1.000,
exits-mini,naive,1,span,s,0.349,0.349,0.349,1.000,0.315,
exits-mini,cached,1,span,s,1.109,1.109,1.109,3.175,1.000,
forkexec-mini,cached,1,tsc,cycles,209480807.000,209480807,209480807,,1.000,
""")


class TestOutputs(RecordedCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="analysis-test.")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check_script(self, name, category_x=False):
        """NAME.gp has a title, axis titles with units (not the x axis of
        a category plot), a legend and both outputs; NAME.dat data."""
        with open(os.path.join(self.tmp, name + ".gp")) as f:
            gp = f.read()
        self.assertRegex(gp, r'(?m)^set title "[^"]+"', name)
        for axis in ("xlabel", "ylabel"):
            m = re.search(r'(?m)^set %s "([^"]+)"' % axis, gp)
            self.assertIsNotNone(m, (name, axis))
            if axis == "ylabel" or not category_x:
                self.assertRegex(m.group(1), r"\([^)]+\)",
                                 "%s %s has no unit" % (name, axis))
        self.assertIn("set key", gp)
        self.assertIn('set output "%s.png"' % name, gp)
        self.assertIn('set output "%s.svg"' % name, gp)
        self.assertTrue(os.path.getsize(os.path.join(self.tmp,
                                                     name + ".dat")))

    def test_gnuplot_scripts(self):
        p = plots.make_all(self.groups, self.tmp)
        wls = ("ctxsw-mini", "demand-mini", "exits-mini", "forkexec-mini")
        per_wl = ("exits_by_reason", "exit_latency_cdf", "fault_latency_cdf",
                  "mmu_faults_over_time", "mmu_flushes_over_time",
                  "shadow_pages_live")
        expect = {"%s_%s" % (k, w) for k in per_wl for w in wls}
        self.assertEqual(set(p.written), expect | {"time_per_workload"})
        self.assertEqual(p.skipped, [])
        for name in p.written:
            self.check_script(name, category_x=name.startswith(
                ("exits_by_reason", "time_per_workload")))
        with open(os.path.join(self.tmp, "time_per_workload.dat")) as f:
            self.assertEqual(f.read().splitlines()[1:], [
                '"workload" "naive" "cached" "upstream-npt0"',
                '"ctxsw-mini" 1 0.955718 0.635127',
                '"demand-mini" 1 115.761 ?',
                '"exits-mini" 1 3.17497 ?',
                '"forkexec-mini" ? ? ?'])
        with open(os.path.join(self.tmp,
                               "mmu_faults_over_time_ctxsw-mini.dat")) as f:
            d = f.read()
        # naive's 135th and last fault at 71.503 ms, the end of its trace;
        # cached's 88th at 94.339 ms, its trace ending at 175.874 ms;
        # upstream has no mmu_fault: no series
        self.assertIn("\n71.503 135\n\n\n# cached: time_ms faults\n0 0\n", d)
        self.assertTrue(d.endswith("\n94.339 88\n175.874 88\n"))
        self.assertNotIn("upstream", d)

    def test_cli_and_rendering(self):
        out = os.path.join(self.tmp, "out")
        r = subprocess.run([sys.executable, os.path.join(ANALYSIS, "analyze"),
                            RECORDED, "--out", out], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("analyze: 8 run(s), 8 table(s)", r.stdout)
        for n in ("tables.md", "exits_by_reason.csv", "exit_latency.md",
                  "time_per_workload.csv",
                  "plots/exits_by_reason_ctxsw-mini.gp"):
            self.assertTrue(os.path.exists(os.path.join(out, n)), n)
        if not plots.have_gnuplot():
            self.assertIn("SKIP: analyze: plot rendering", r.stdout)
            self.skipTest("SKIP: no gnuplot: plots not rendered")
        self.assertIn("analyze: 25 plot(s) rendered", r.stdout)
        for ext in ("png", "svg"):
            f = os.path.join(out, "plots", "shadow_pages_live_forkexec-mini."
                             + ext)
            self.assertTrue(os.path.getsize(f) > 1000, f)

    def test_cli_no_runs(self):
        r = subprocess.run([sys.executable, os.path.join(ANALYSIS, "analyze"),
                            self.tmp], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no runs", r.stderr)


if __name__ == "__main__":
    unittest.main()
