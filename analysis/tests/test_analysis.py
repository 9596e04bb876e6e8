"""Unit tests of analysis/: python3 -m unittest discover -s analysis/tests

The expected numbers come from the fixture's design (make_fixture.py's
docstring), worked out by hand in the comments, not from the program.
"""

import csv
import io
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
sys.path.insert(0, HERE)

from kvmtrace import names, parse, plots, stats, tables  # noqa: E402
import make_fixture  # noqa: E402

RESULTS = os.path.join(HERE, "data", "results")

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


def close(a, b):
    return abs(a - b) < 1e-6


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


class FixtureCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = parse.load_results(RESULTS)
        cls.stats = [stats.analyze_run(r) for r in cls.runs]
        cls.by = {s.strategy: s for s in cls.stats}
        cls.groups = stats.group_runs(cls.stats)
        cls.tables = {t.name: t for t in tables.build(cls.stats, cls.groups)}

    def csv_rows(self, name):
        return list(csv.reader(io.StringIO(tables.to_csv(self.tables[name]))))


class TestFixture(FixtureCase):
    def test_fixture_is_what_the_generator_writes(self):
        for rel, text in make_fixture.files().items():
            with open(os.path.join(RESULTS, rel), encoding="utf-8") as f:
                self.assertEqual(f.read(), text, rel)

    def test_runs(self):
        self.assertEqual([r.name for r in self.runs],
                         ["cached-cr3-switch-0", "naive-cr3-switch-0"])
        for r in self.runs:
            self.assertEqual(r.trace.skipped, 3)      # the header lines
            self.assertEqual(r.report["cr3-switch.switches"], 20)
        self.assertEqual(self.by["naive"].tsc, 2000000)
        self.assertEqual(self.by["cached"].tsc, 800000)
        self.assertEqual(self.by["naive"].mmu_stats["sp_created"], 13)
        # first event at 0 us, the last (HLT's userspace exit) at 2011 us
        self.assertTrue(close(self.by["naive"].span_s, 0.002011))

    def test_exits_by_reason(self):
        # naive: #PF every iteration (20), write_cr3 20, IO when i%4==0
        # (5), INVLPG when i%5==0 (4), one HLT; cached: #PF when i<8.
        self.assertEqual(dict(self.by["naive"].exits_by_reason),
                         {"PF excp": 20, "write_cr3": 20, "io": 5,
                          "invlpg": 4, "hlt": 1})
        self.assertEqual(dict(self.by["cached"].exits_by_reason),
                         {"PF excp": 8, "write_cr3": 20, "io": 5,
                          "invlpg": 4, "hlt": 1})
        # the final HLT has no entry
        self.assertEqual(self.by["naive"].unmatched_exits, 1)
        self.assertEqual(self.by["naive"].entries_without_exit, 0)

    def test_exit_latency(self):
        lat = self.by["naive"].latencies_by_reason()
        # #PF latencies 10..29 us: mean 19.5; p50 at rank 9.5 -> 19.5;
        # p90 at 17.1 -> 27.1; p99 at 18.81 -> 28.81
        s = stats.summary(lat["PF excp"])
        self.assertEqual(s["count"], 20)
        for k, v in (("mean", 19.5), ("p50", 19.5), ("p90", 27.1),
                     ("p99", 28.81), ("max", 29)):
            self.assertTrue(close(s[k], v), (k, s[k]))
        # IO on vCPU 1 overlaps vCPU 0's CR3 exits: 40 us each, not 30
        self.assertTrue(all(close(x, 40) for x in lat["io"]))
        self.assertTrue(all(close(x, 5) for x in lat["write_cr3"]))
        self.assertNotIn("hlt", lat)
        # all 49 matched: 4x4, 20x5, 10..29, 5x40 -> mean 706/49,
        # p50 rank 24 -> 10, p90 rank 43.2 -> 29 + 0.2*11 = 31.2
        rows = [r for r in self.csv_rows("exit_latency")
                if r[1] == "naive" and r[2] == "(all)"]
        self.assertEqual(rows, [["cr3-switch", "naive", "(all)", "49",
                                 "14.408", "10.000", "31.200", "40.000",
                                 "40.000"]])
        c = stats.summary(self.by["cached"].latencies_by_reason()["PF excp"])
        # 8, 10, ..., 22: mean 15, p90 rank 6.3 -> 20.6, p99 6.93 -> 21.86
        self.assertTrue(close(c["p90"], 20.6) and close(c["p99"], 21.86))

    def test_faults_and_outcomes(self):
        # naive: GUEST at i = 3, 7, 11, 15, 19; RETRY 6; EMULATE 10
        self.assertEqual(dict(self.by["naive"].fault_outcomes),
                         {"FIXED": 13, "RETRY": 1, "GUEST": 5, "EMULATE": 1})
        self.assertEqual(dict(self.by["cached"].fault_outcomes),
                         {"FIXED": 6, "GUEST": 2})
        # FIXED naive latencies 10+i, i in 0,1,2,4,5,8,9,12,13,14,16,17,18
        fixed = self.by["naive"].fault_latencies("FIXED")
        self.assertEqual(len(fixed), 13)
        self.assertTrue(close(sum(fixed), 249))
        self.assertTrue(close(stats.percentile(sorted(fixed), 50), 19))
        self.assertEqual(self.csv_rows("faults_by_outcome")[1:5], [
            ["cr3-switch", "naive", "1", "FIXED", "13", "13.000", "65.000"],
            ["cr3-switch", "naive", "1", "RETRY", "1", "1.000", "5.000"],
            ["cr3-switch", "naive", "1", "GUEST", "5", "5.000", "25.000"],
            ["cr3-switch", "naive", "1", "EMULATE", "1", "1.000", "5.000"]])

    def test_flushes_and_shadow_pages(self):
        n, c = self.by["naive"], self.by["cached"]
        self.assertEqual(dict(n.flush_causes), {"CR3": 20, "INVLPG": 4})
        # naive zaps the one page each FIXED fault made: 13 in all
        self.assertEqual(n.flush_zapped["CR3"], 13)
        self.assertEqual(dict(n.sp_ops), {"CREATE": 13, "ZAP": 13})
        self.assertEqual((n.sp_live_peak, n.sp_live[-1][1]), (1, 0))
        self.assertEqual(dict(c.sp_ops), {"CREATE": 6, "RECLAIM": 1})
        self.assertEqual((c.sp_live_peak, c.sp_live[-1][1]), (6, 5))
        self.assertEqual(self.csv_rows("shadow_pages"), [
            ["workload", "strategy", "runs", "create", "zap", "reclaim",
             "flood", "unprotect", "peak_live", "final_live"],
            ["cr3-switch", "naive", "1", "13", "13", "0", "0", "0", "1",
             "0.000"],
            ["cr3-switch", "cached", "1", "6", "0", "1", "0", "0", "6",
             "5.000"]])

    def test_time_ratios_csv(self):
        # tsc 2000000 vs 800000: cached/naive 0.4, naive/cached 2.5
        self.assertEqual(self.csv_rows("time_per_workload"), [
            ["workload", "strategy", "runs", "metric", "unit", "mean", "min",
             "max", "ratio_to_naive", "ratio_to_cached"],
            ["cr3-switch", "naive", "1", "tsc", "cycles", "2000000.000",
             "2000000", "2000000", "1.000", "2.500"],
            ["cr3-switch", "cached", "1", "tsc", "cycles", "800000.000",
             "800000", "800000", "0.400", "1.000"]])

    def test_exits_csv(self):
        self.assertEqual(tables.to_csv(self.tables["exits_by_reason"]), (
            "workload,strategy,runs,reason,exits,per_run,share_pct\n"
            "cr3-switch,naive,1,PF excp,20,20.000,40.000\n"
            "cr3-switch,naive,1,write_cr3,20,20.000,40.000\n"
            "cr3-switch,naive,1,io,5,5.000,10.000\n"
            "cr3-switch,naive,1,invlpg,4,4.000,8.000\n"
            "cr3-switch,naive,1,hlt,1,1.000,2.000\n"
            "cr3-switch,cached,1,write_cr3,20,20.000,52.632\n"
            "cr3-switch,cached,1,PF excp,8,8.000,21.053\n"
            "cr3-switch,cached,1,io,5,5.000,13.158\n"
            "cr3-switch,cached,1,invlpg,4,4.000,10.526\n"
            "cr3-switch,cached,1,hlt,1,1.000,2.632\n"))

    def test_span_fallback(self):
        # without tsc in every run, time is the trace span (s)
        saved = self.by["cached"].tsc
        try:
            self.by["cached"].tsc = None
            metric, unit, vals = stats.workload_times(
                self.groups)["cr3-switch"]
        finally:
            self.by["cached"].tsc = saved
        self.assertEqual((metric, unit), ("span", "s"))
        self.assertTrue(close(vals["naive"][0], 0.002011))


class TestOutputs(FixtureCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="analysis-test.")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_gnuplot_scripts(self):
        p = plots.make_all(self.groups, self.tmp)
        expect = {"exits_by_reason_cr3-switch", "exit_latency_cdf_cr3-switch",
                  "fault_latency_cdf_cr3-switch",
                  "mmu_faults_over_time_cr3-switch",
                  "mmu_flushes_over_time_cr3-switch",
                  "shadow_pages_live_cr3-switch", "time_per_workload"}
        self.assertEqual(set(p.written), expect)
        for name in expect:
            with open(os.path.join(self.tmp, name + ".gp")) as f:
                gp = f.read()
            self.assertRegex(gp, r'(?m)^set title "[^"]+"', name)
            for axis in ("xlabel", "ylabel"):
                m = re.search(r'(?m)^set %s "([^"]+)"' % axis, gp)
                self.assertIsNotNone(m, (name, axis))
                # numeric axes carry units; category axes (reasons,
                # workloads) are names
                if axis == "ylabel" or not name.startswith(
                        ("exits_by_reason", "time_per_workload")):
                    self.assertRegex(m.group(1), r"\([^)]+\)",
                                     "%s %s has no unit" % (name, axis))
            self.assertIn("set key", gp)
            self.assertIn('set output "%s.png"' % name, gp)
            self.assertIn('set output "%s.svg"' % name, gp)
            self.assertTrue(os.path.getsize(os.path.join(self.tmp,
                                                         name + ".dat")))
        with open(os.path.join(self.tmp, "time_per_workload.dat")) as f:
            self.assertEqual(f.read().splitlines()[1:], [
                '"workload" "naive" "cached"', '"cr3-switch" 1 0.4'])
        with open(os.path.join(self.tmp,
                               "mmu_faults_over_time_cr3-switch.dat")) as f:
            d = f.read()
        # naive: 20 faults, the last at 1902 us; runs on to 2011 us
        self.assertIn("\n1.902 20\n2.011 20\n", d)

    def test_cli_and_rendering(self):
        out = os.path.join(self.tmp, "out")
        r = subprocess.run([sys.executable, os.path.join(ANALYSIS, "analyze"),
                            RESULTS, "--out", out], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        for n in ("tables.md", "exits_by_reason.csv", "exit_latency.md",
                  "time_per_workload.csv", "plots/exits_by_reason_"
                  "cr3-switch.gp"):
            self.assertTrue(os.path.exists(os.path.join(out, n)), n)
        if not plots.have_gnuplot():
            self.assertIn("SKIP: analyze: plot rendering", r.stdout)
            self.skipTest("SKIP: no gnuplot: plots not rendered")
        for ext in ("png", "svg"):
            f = os.path.join(out, "plots", "shadow_pages_live_cr3-switch."
                             + ext)
            self.assertTrue(os.path.getsize(f) > 1000, f)

    def test_cli_no_runs(self):
        r = subprocess.run([sys.executable, os.path.join(ANALYSIS, "analyze"),
                            self.tmp], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no runs", r.stderr)


if __name__ == "__main__":
    unittest.main()
