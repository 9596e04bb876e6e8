"""From events to numbers: exit/entry pairing, latencies, counts, series.

Definitions (analysis/README.md repeats them):
- exit-handling latency: from a kvm_exit to the next kvm_entry of the
  same vCPU (field vcpu_id; the thread id where there is none).  It
  includes any trip to userspace.  An exit followed by another exit of
  the same vCPU before any entry (a lost event) is counted as an exit but
  has no latency ("unmatched").
- fault-resolution latency: the same, for the exits of a guest page
  fault: SVM #PF intercept (0x4e) or NPF (0x400); VMX EXCEPTION_NMI with
  vector 14 in intr_info, or EPT_VIOLATION.  Such an exit's outcome is that
  of the last mmu_fault event of its vCPU before its entry.
- percentiles: linear interpolation between the closest ranks (numpy's
  default, statistics.quantiles(method="inclusive")).
- shadow pages live: +1 for each mmu_sp CREATE, -1 for each ZAP, RECLAIM,
  FLOOD or UNPROTECT, from 0 at the start of the trace.
- userspace exit handling (LTTng-UST kvmbench:exit, one per exit the VMM
  handles): handle_ns, from KVM_RUN's return to the next KVM_RUN, and
  run_ns, the KVM_RUN that returned the exit; by KVM_EXIT_* reason.
- time of a run: the guest's elapsed TSC cycles (vmm.out "tsc=N", else
  "WORKLOAD.tsc=N", else a single "*.tsc=N") when every run of the workload
  has it, else the trace's span (first to last event, seconds).
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import names

STRATEGY_ORDER = ("naive", "cached", "tdp")


def strategy_key(s):
    """Sort key: naive, cached, tdp, then upstream-*, then the rest."""
    if s in STRATEGY_ORDER:
        return (0, STRATEGY_ORDER.index(s), s)
    if s.startswith("upstream"):
        return (1, 0, s)
    return (2, 0, s)


def percentile(sorted_values, p):
    """The P-th percentile (0..100) of an ascending list, interpolated
    linearly between closest ranks; None for an empty list."""
    n = len(sorted_values)
    if n == 0:
        return None
    if n == 1:
        return sorted_values[0]
    pos = (n - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def summary(values):
    """{count, mean, p50, p90, p99, max} of a list of numbers."""
    v = sorted(values)
    if not v:
        return {"count": 0, "mean": None, "p50": None, "p90": None,
                "p99": None, "max": None}
    return {"count": len(v), "mean": sum(v) / len(v),
            "p50": percentile(v, 50), "p90": percentile(v, 90),
            "p99": percentile(v, 99), "max": v[-1]}


def cdf_points(values):
    """[(x, fraction of values <= x)] at each distinct value, ascending,
    after a first (smallest x, 0) so that a step plot rises from 0."""
    v = sorted(values)
    n = len(v)
    out = [(v[0], 0.0)] if v else []
    for i, x in enumerate(v):
        if i + 1 < n and v[i + 1] == x:
            continue
        out.append((x, (i + 1) / n))
    return out


@dataclass
class Exit:
    vcpu: object
    t_exit: float
    reason: str
    fault: bool
    t_entry: float = None
    outcome: str = None        # of the last mmu_fault in the window

    @property
    def latency_us(self):
        if self.t_entry is None:
            return None
        return (self.t_entry - self.t_exit) * 1e6


@dataclass
class UstExit:
    """A kvmbench:exit event: an exit the VMM handled in userspace."""
    vcpu: int
    reason: str        # KVM_EXIT_*
    run_us: float      # the KVM_RUN ioctl that returned it
    handle_us: float   # from its return to the next KVM_RUN


UST_EXIT = "kvmbench:exit"


@dataclass
class RunStats:
    name: str
    strategy: str
    workload: str
    rep: object
    events: int = 0
    exits: list = field(default_factory=list)
    unmatched_exits: int = 0
    entries_without_exit: int = 0
    exits_by_reason: Counter = field(default_factory=Counter)
    fault_outcomes: Counter = field(default_factory=Counter)
    emulate_kinds: Counter = field(default_factory=Counter)  # EMULATE's
    flush_causes: Counter = field(default_factory=Counter)
    flush_zapped: Counter = field(default_factory=Counter)
    sp_ops: Counter = field(default_factory=Counter)
    event_counts: Counter = field(default_factory=Counter)
    fault_times: list = field(default_factory=list)    # s since start
    flush_times: list = field(default_factory=list)
    sp_live: list = field(default_factory=list)        # [(s, live)]
    sp_live_peak: int = 0
    ust_exits: list = field(default_factory=list)      # of UstExit
    t0: float = None
    span_s: float = None
    tsc: int = None
    report: dict = field(default_factory=dict)
    mmu_stats: dict = field(default_factory=dict)

    def latencies_by_reason(self):
        out = defaultdict(list)
        for e in self.exits:
            if e.t_entry is not None:
                out[e.reason].append(e.latency_us)
        return out

    def fault_latencies(self, outcome=None):
        return [e.latency_us for e in self.exits
                if e.fault and e.t_entry is not None
                and (outcome is None or e.outcome == outcome)]


def _vcpu_key(ev):
    v = ev.int("vcpu_id")
    return v if v is not None else ("pid", ev.pid)


def _run_isa(run):
    m = str(run.meta.get("machine", run.meta.get("isa", ""))).lower()
    return {"svm": "SVM", "vmx": "VMX", "amd": "SVM", "intel": "VMX"}.get(m)


def _enum(ev, key, table):
    """Field KEY of EV named by TABLE: a number (CTF, `trace-cmd report
    -R`) or already one of the names (ftrace's symbolic print)."""
    v = ev.fields.get(key)
    if isinstance(v, str) and v in table.values():
        return v
    return names.enum_name(table, ev.int(key), key)


def tsc_of(run):
    r = run.report
    if isinstance(r.get("tsc"), int):
        return r["tsc"]
    k = "%s.tsc" % run.workload
    if isinstance(r.get(k), int):
        return r[k]
    cands = [v for k, v in r.items() if k.endswith(".tsc") and isinstance(v, int)]
    return cands[0] if len(cands) == 1 else None


def analyze_run(run):
    """The RunStats of a parse.Run."""
    st = RunStats(name=run.name, strategy=run.strategy,
                  workload=run.workload, rep=run.rep,
                  report=run.report, mmu_stats=run.mmu_stats)
    evs = run.trace.events
    st.events = len(evs)
    default_isa = _run_isa(run)
    pending = {}
    live = 0
    if evs:
        st.t0 = evs[0].ts
        st.span_s = evs[-1].ts - evs[0].ts
        st.sp_live.append((0.0, 0))
    for ev in evs:
        st.event_counts[ev.name] += 1
        rel = ev.ts - st.t0
        if ev.name == "kvm_exit":
            code = ev.int("exit_reason")
            isa = names.isa_name(ev.fields.get("isa")) or default_isa
            intr = ev.int("intr_info")
            if code is not None:
                reason = names.exit_name(isa, code, intr)
                fault = names.is_fault_exit(isa, code, intr)
            else:
                reason = ev.fields.get("exit_reason_name", "unknown")
                fault = names.is_fault_name(reason)
            st.exits_by_reason[reason] += 1
            key = _vcpu_key(ev)
            if key in pending:
                st.unmatched_exits += 1
            x = Exit(vcpu=key, t_exit=ev.ts, reason=reason, fault=fault)
            st.exits.append(x)
            pending[key] = x
        elif ev.name == "kvm_entry":
            x = pending.pop(_vcpu_key(ev), None)
            if x is None:
                st.entries_without_exit += 1
            else:
                x.t_entry = ev.ts
        elif ev.name == "mmu_fault":
            o = _enum(ev, "outcome", names.FAULT_OUTCOME)
            st.fault_outcomes[o] += 1
            if o == "EMULATE" and "pt_write" in ev.fields:
                st.emulate_kinds[_enum(ev, "pt_write",
                                       names.EMULATE_KIND)] += 1
            st.fault_times.append(rel)
            x = pending.get(_vcpu_key(ev))
            if x is not None:
                x.outcome = o
        elif ev.name == "mmu_flush":
            c = _enum(ev, "cause", names.FLUSH_CAUSE)
            st.flush_causes[c] += 1
            st.flush_zapped[c] += ev.int("zapped", 0) or 0
            st.flush_times.append(rel)
        elif ev.name == "mmu_sp":
            op = _enum(ev, "op", names.SP_OP)
            st.sp_ops[op] += 1
            if op == "CREATE":
                live += 1
            elif op in names.SP_REMOVE:
                live -= 1
            else:
                continue
            st.sp_live.append((rel, live))
            st.sp_live_peak = max(st.sp_live_peak, live)
        elif ev.name == UST_EXIT:
            st.ust_exits.append(UstExit(
                vcpu=ev.int("vcpu"),
                reason=names.kvm_exit_name(ev.int("exit_reason")),
                run_us=(ev.int("run_ns") or 0) / 1e3,
                handle_us=(ev.int("handle_ns") or 0) / 1e3))
    # Exits still pending at the end of the trace have no latency.
    st.unmatched_exits += len(pending)
    st.tsc = tsc_of(run)
    return st


# ---- groups: the runs of one (workload, strategy) ------------------------
@dataclass
class Group:
    workload: str
    strategy: str
    runs: list            # of RunStats

    @property
    def n(self):
        return len(self.runs)

    def total(self, attr):
        c = Counter()
        for r in self.runs:
            c.update(getattr(r, attr))
        return c

    def latencies_by_reason(self):
        out = defaultdict(list)
        for r in self.runs:
            for k, v in r.latencies_by_reason().items():
                out[k].extend(v)
        return out

    def fault_latencies(self, outcome=None):
        out = []
        for r in self.runs:
            out.extend(r.fault_latencies(outcome))
        return out

    def ust_latencies(self, attr, reason=None):
        """ATTR ('handle_us' or 'run_us') of the runs' kvmbench:exit
        events (of REASON only, if given)."""
        return [getattr(u, attr) for r in self.runs for u in r.ust_exits
                if reason in (None, u.reason)]

    def all_latencies(self):
        out = []
        for v in self.latencies_by_reason().values():
            out.extend(v)
        return out


def group_runs(stats):
    """{(workload, strategy): Group}, in workload then strategy order."""
    g = defaultdict(list)
    for s in stats:
        g[(s.workload, s.strategy)].append(s)
    keys = sorted(g, key=lambda k: (k[0], strategy_key(k[1])))
    return {k: Group(k[0], k[1], g[k]) for k in keys}


def workloads(groups):
    return sorted({k[0] for k in groups})


def strategies(groups, workload=None):
    return sorted({k[1] for k in groups if workload in (None, k[0])},
                  key=strategy_key)


def baselines(groups):
    """The strategies that time ratios are taken against, in order:
    naive, cached, then every upstream-*; only those present."""
    present = strategies(groups)
    return [s for s in present if s in ("naive", "cached")
            or s.startswith("upstream")]


def workload_times(groups):
    """{workload: (metric, unit, {strategy: [value per run]})}, metric
    'tsc' when every run of the workload has one, else 'span'."""
    out = {}
    for wl in workloads(groups):
        gs = [g for k, g in groups.items() if k[0] == wl]
        use_tsc = all(r.tsc is not None for g in gs for r in g.runs)
        vals = {}
        for g in gs:
            if use_tsc:
                vals[g.strategy] = [r.tsc for r in g.runs]
            else:
                vals[g.strategy] = [r.span_s for r in g.runs
                                    if r.span_s is not None]
        out[wl] = ("tsc", "cycles", vals) if use_tsc else ("span", "s", vals)
    return out


def mean(v):
    return sum(v) / len(v) if v else None


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b
