"""Unit tests of analysis/'s LTTng CTF input (babeltrace2's bt2).

- data/ctf-ust/: a real LTTng-UST trace of the bench VMM's kvmbench
  events (data/ctf-ust/README.md); the expected numbers were read off
  `babeltrace2 data/ctf-ust` with grep, sort and awk.
- The kernel side: no LTTng kernel trace of our module is recorded yet,
  so TestCtfKernel rewrites a recorded trace.txt (data/recorded/) as
  LTTng-modules writes its CTF (integer fields, the CPU in the packet
  context, tid and procname in the event context, env domain "kernel")
  and checks that every statistic comes out as from the text.

Every test here is skipped, with bt2's import error as the reason, only
when bt2 cannot be imported (parse.import_bt2(): also from Debian's
python3-bt2 when this Python's major.minor matches).
"""

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
sys.path.insert(0, ANALYSIS)

from kvmtrace import parse, plots, stats, tables  # noqa: E402

UST = os.path.join(HERE, "data", "ctf-ust")
RECORDED_RUN = os.path.join(HERE, "data", "recorded", "runs",
                            "cached-demand-mini-0")
bt2 = parse.import_bt2()
needs_bt2 = unittest.skipIf(bt2 is None, "no bt2: %s" % parse.bt2_error())


class TestBt2Import(unittest.TestCase):
    def python(self, code):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=60)
        return r.returncode, r.stdout.strip()

    def test_fallback_directory(self):
        # plain `import bt2` in this Python, without analysis/'s help
        plain, _ = self.python("import bt2")
        found = self.python(
            "import sys; sys.path.insert(0, %r)\n"
            "from kvmtrace import parse\n"
            "parse.BT2_FALLBACK_DIR = '/nonexistent'\n"
            "print(parse.have_bt2(), parse.bt2_error())" % ANALYSIS)[1]
        if plain == 0:
            self.assertEqual(found, "True")
            self.skipTest("this Python imports bt2 itself: no fallback")
        ver = "%d.%d" % sys.version_info[:2]
        self.assertTrue(found.startswith("False import bt2: "), found)
        self.assertTrue(found.endswith(
            "; no bt2 for Python %s in /nonexistent" % ver), found)
        if bt2 is None:
            self.skipTest("no bt2 for Python %s in %s either" % (
                ver, parse.BT2_FALLBACK_DIR))
        # this Python's bt2 is Debian's, found by the fallback
        self.assertIn(parse.BT2_FALLBACK_DIR, sys.path)
        self.assertTrue(bt2.__file__.startswith(parse.BT2_FALLBACK_DIR))


@needs_bt2
class TestUstSample(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ust = parse.Run(UST, "ust", {"strategy": "naive",
                                         "workload": "exits"},
                            parse.parse_ctf(UST), {}, {})
        cls.st = stats.analyze_run(cls.ust)
        cls.groups = stats.group_runs([cls.st])

    def test_events(self):
        t = self.ust.trace
        self.assertEqual(len(t.events), 2608)
        self.assertEqual(collections.Counter(e.name for e in t.events), {
            "kvmbench:exit": 2602, "kvmbench:run_start": 3,
            "kvmbench:run_end": 3})
        # [19:45:52.472178050] run_start: { cpu_id = 0 },
        #     { vcpu = 0, workload = "exits" }
        e = t.events[0]
        self.assertEqual((e.name, e.cpu, e.fields),
                         ("kvmbench:run_start", 0,
                          {"vcpu": 0, "workload": "exits"}))
        self.assertTrue(abs(e.ts - 0.472178050) < 1e-9, e.ts)
        # the next: integers as int (addr is printed 0xF0)
        e = t.events[1]
        self.assertEqual(e.fields, {"vcpu": 0, "exit_reason": 2, "addr": 0xf0,
                                    "size": 1, "write": 1, "count": 1,
                                    "run_ns": 4468663, "handle_ns": 14166})
        self.assertTrue(abs(e.ts - 0.476669145) < 1e-9, e.ts)
        # the three VMM runs in it and their exits, as run_end counts them
        ends = [(x.fields["exits"], x.fields["status"]) for x in t.events
                if x.name == "kvmbench:run_end"]
        self.assertEqual(ends, [(2500, 108), (87, 0), (15, 102)])
        self.assertEqual(sum(n for n, _ in ends), len(self.st.ust_exits))
        self.assertEqual([x.fields["workload"] for x in t.events
                          if x.name == "kvmbench:run_start"],
                         ["exits", "mmio", "hlt"])

    def test_exits_by_reason(self):
        # grep -o 'exit_reason = [0-9]*' | sort | uniq -c
        self.assertEqual(collections.Counter(
            u.reason for u in self.st.ust_exits),
            {"KVM_EXIT_IO": 2530, "KVM_EXIT_MMIO": 71, "KVM_EXIT_HLT": 1})
        # no kernel events: no kvm_exit, no pairing
        self.assertEqual((len(self.st.exits), self.st.unmatched_exits), (0, 0))

    def test_handle_ns(self):
        # sums (ns) and linear-interpolation percentiles of the sorted
        # handle_ns / run_ns values (awk over babeltrace2's output)
        g = self.groups[("exits", "naive")]
        for reason, n, total, (p50, p90, p99), hmax in (
                (None, 2602, 2402451, (931, 1162, 2083.8), 85800),
                ("KVM_EXIT_IO", 2530, 2307464, (931, 1153, 1967.2), 85800),
                ("KVM_EXIT_MMIO", 71, 64430, (151, 1823, 9370), 12884),
                ("KVM_EXIT_HLT", 1, 30557, (30557,) * 3, 30557)):
            v = sorted(g.ust_latencies("handle_us", reason))
            self.assertEqual(len(v), n, reason)
            self.assertEqual(round(sum(v) * 1e3), total, reason)
            self.assertEqual(round(v[-1] * 1e3), hmax, reason)
            for p, want in zip((50, 90, 99), (p50, p90, p99)):
                self.assertTrue(abs(stats.percentile(v, p) * 1e3 - want)
                                < 1e-6, (reason, p))
        self.assertEqual(round(sum(g.ust_latencies("run_us")) * 1e3),
                         59482795)

    def test_table(self):
        self.assertEqual(tables.to_csv(tables.ust_exit_latency(
            self.groups)), """\
workload,strategy,reason,count,handle_p50_us,handle_p90_us,handle_p99_us,\
run_p50_us,run_p90_us,run_p99_us
exits,naive,(all),2602,0.931,1.162,2.084,14.778,16.882,84.047
exits,naive,KVM_EXIT_IO,2530,0.931,1.153,1.967,14.768,16.762,80.045
exits,naive,KVM_EXIT_MMIO,71,0.151,1.823,9.370,46.436,54.251,1326.216
exits,naive,KVM_EXIT_HLT,1,30.557,30.557,30.557,24.556,24.556,24.556
""")
        # a trace without kvmbench:exit has no such table
        self.assertNotIn("ust_exit_latency", [
            t.name for t in tables.build([], {})])

    def test_cli_run_directory(self):
        # a run directory as bench/record --tracer lttng writes it: ctf/
        # instead of trace.txt, with LTTng's ust/ tree inside
        tmp = tempfile.mkdtemp(prefix="analysis-ctf.")
        try:
            d = os.path.join(tmp, "runs", "naive-exits-0")
            shutil.copytree(UST, os.path.join(d, "ctf"))
            with open(os.path.join(d, "meta.json"), "w") as f:
                json.dump({"strategy": "naive", "workload": "exits",
                           "rep": 0, "machine": "svm"}, f)
            out = os.path.join(tmp, "out")
            r = subprocess.run([sys.executable,
                                os.path.join(ANALYSIS, "analyze"), tmp,
                                "--out", out], capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("analyze: 1 run(s), 9 table(s)", r.stdout)
            with open(os.path.join(out, "ust_exit_latency.csv")) as f:
                self.assertEqual(f.read().splitlines()[1],
                                 "exits,naive,(all),2602,0.931,1.162,2.084,"
                                 "14.778,16.882,84.047")
            name = "ust_handle_latency_cdf_exits"
            with open(os.path.join(out, "plots", name + ".gp")) as f:
                gp = f.read()
            self.assertIn('set xlabel "handling latency, KVM_RUN return to '
                          'the next KVM_RUN (µs, log scale)"', gp)
            self.assertIn('set ylabel "fraction of userspace exits (CDF)"',
                          gp)
            self.assertIn("set logscale x", gp)
            self.assertIn('title "naive"', gp)
            with open(os.path.join(out, "plots", name + ".dat")) as f:
                dat = f.read().splitlines()
            # from the smallest handle_ns (40 ns, 3 of the 2602 exits) at
            # 0 to the largest at 1
            self.assertEqual(dat[1:3], ["0.04 0", "0.04 0.00115295926"])
            self.assertEqual(dat[-1], "85.8 1")
            if plots.have_gnuplot():
                for ext in ("png", "svg"):
                    self.assertGreater(os.path.getsize(os.path.join(
                        out, "plots", name + "." + ext)), 1000)
        finally:
            shutil.rmtree(tmp)


# ---- a recorded ftrace trace, written as LTTng-modules writes CTF ---------
def write_kernel_ctf(trace, outdir):
    """Write parse.Trace TRACE as a CTF trace in OUTDIR: one stream per
    CPU, every field an integer (unsigned 64-bit unless negative), the
    CPU in the packet context (cpu_id), tid and procname in the event
    context, environment domain "kernel", a 1 GHz clock."""
    by_name = collections.defaultdict(dict)
    for e in trace.events:
        for k, v in e.fields.items():
            by_name[e.name][k] = by_name[e.name].get(k, False) or \
                parse.to_int(v) < 0

    class Iterator(bt2._UserMessageIterator):
        def __init__(self, config, port):
            self._msgs = port.user_data(self)

        def __next__(self):
            return next(self._msgs)

    class Source(bt2._UserSourceComponent, message_iterator_class=Iterator):
        def __init__(self, config, params, obj):
            tc = self._create_trace_class()
            packet, ctx = (tc.create_structure_field_class()
                           for _ in range(2))
            packet.append_member("cpu_id",
                                 tc.create_unsigned_integer_field_class(32))
            ctx.append_member("tid", tc.create_signed_integer_field_class(32))
            ctx.append_member("procname", tc.create_string_field_class())
            sc = tc.create_stream_class(
                default_clock_class=self._create_clock_class(
                    frequency=1000000000, origin_is_unix_epoch=True),
                supports_packets=True, packet_context_field_class=packet,
                event_common_context_field_class=ctx)
            self._ec = {}
            for name, signed in by_name.items():
                payload = tc.create_structure_field_class()
                for k, neg in signed.items():
                    payload.append_member(k, (
                        tc.create_signed_integer_field_class(64) if neg else
                        tc.create_unsigned_integer_field_class(64)))
                self._ec[name] = sc.create_event_class(
                    name=name, payload_field_class=payload)
            self._tc, self._sc = tc, sc
            self._add_output_port("out", self._messages)

        def _messages(self, it):
            t = self._tc(environment={"domain": "kernel",
                                      "tracer_name": "lttng-modules"})
            streams, packets = {}, {}
            for cpu in sorted({e.cpu for e in trace.events}):
                streams[cpu] = t.create_stream(self._sc)
                yield it._create_stream_beginning_message(streams[cpu])
                packets[cpu] = streams[cpu].create_packet()
                packets[cpu].context_field["cpu_id"] = cpu
                yield it._create_packet_beginning_message(packets[cpu])
            for e in trace.events:
                m = it._create_event_message(self._ec[e.name], packets[e.cpu],
                                             round(e.ts * 1e9))
                for k, v in e.fields.items():
                    m.event.payload_field[k] = parse.to_int(v)
                m.event.common_context_field["tid"] = e.pid
                m.event.common_context_field["procname"] = e.comm
                yield m
            for cpu in packets:
                yield it._create_packet_end_message(packets[cpu])
                yield it._create_stream_end_message(streams[cpu])

    g = bt2.Graph()
    src = g.add_component(Source, "src")
    sink = g.add_component(bt2.find_plugin("ctf").sink_component_classes["fs"],
                           "sink", params={"path": outdir,
                                           "assume-single-trace": True,
                                           "quiet": True})
    g.connect_ports(src.output_ports["out"], sink.input_ports["in"])
    g.run()


@needs_bt2
class TestCtfKernel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="analysis-ctf.")
        cls.text = parse.load_run(RECORDED_RUN)
        # LTTng's layout: ctf/kernel/ beside ctf/ust/
        cls.ctf = os.path.join(cls.tmp, "ctf")
        write_kernel_ctf(cls.text.trace, os.path.join(cls.ctf, "kernel"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_fields_are_numbers(self):
        t = parse.parse_ctf(self.ctf)
        self.assertEqual(len(t.events), len(self.text.trace.events))
        self.assertEqual(len(t.events), 777)
        e = next(x for x in t.events if x.name == "mmu_fault")
        self.assertIsInstance(e.fields["outcome"], int)
        e0 = self.text.trace.events[0]
        self.assertEqual((t.events[0].name, t.events[0].cpu, t.events[0].pid,
                          t.events[0].comm), (e0.name, e0.cpu, e0.pid,
                                              e0.comm))

    def test_stats_as_from_text(self):
        a = stats.analyze_run(self.text)
        b = stats.analyze_run(parse.Run(self.ctf, self.text.name,
                                        self.text.meta,
                                        parse.parse_ctf(self.ctf), {}, {}))
        for attr in ("exits_by_reason", "fault_outcomes", "flush_causes",
                     "flush_zapped", "sp_ops", "event_counts"):
            self.assertEqual(getattr(b, attr), getattr(a, attr), attr)
        self.assertEqual(dict(b.fault_outcomes), {"FIXED": 62, "EMULATE": 68})
        self.assertEqual((b.unmatched_exits, b.sp_live_peak),
                         (a.unmatched_exits, a.sp_live_peak))
        la, lb = a.latencies_by_reason(), b.latencies_by_reason()
        self.assertEqual(sorted(la), sorted(lb))
        for reason in la:
            for x, y in zip(la[reason], lb[reason]):
                self.assertTrue(abs(x - y) < 1e-3, (reason, x, y))
        self.assertTrue(abs(a.span_s - b.span_s) < 1e-9)

    def test_kernel_and_ust_together(self):
        both = os.path.join(self.tmp, "both")
        shutil.copytree(self.ctf, both)
        shutil.copytree(os.path.join(UST, "ust"), os.path.join(both, "ust"))
        t = parse.parse_ctf(both)
        n = collections.Counter(e.name for e in t.events)
        # kernel names as in ftrace, userspace ones with their provider
        self.assertEqual((n["kvm_exit"], n["kvmbench:exit"], len(t.events)),
                         (180, 2602, 777 + 2608))


if __name__ == "__main__":
    unittest.main()
