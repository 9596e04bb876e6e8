"""Tables: built from stats.Group's, written as Markdown and CSV."""

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass, field

from . import names, stats


@dataclass
class Table:
    name: str              # file base name
    title: str
    headers: list
    rows: list = field(default_factory=list)   # lists of cells
    note: str = ""


def fmt(v, digits=3):
    """A cell as text: '' for None, floats with DIGITS decimals."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.*f" % (digits, v)
    return str(v)


def _is_num(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def to_markdown(t):
    cells = [[fmt(c) for c in r] for r in t.rows]
    num = [all(_is_num(r[i]) for r in cells if r[i] != "") and any(
        r[i] != "" for r in cells) for i in range(len(t.headers))]
    out = ["## " + t.title, ""]
    if t.note:
        out += [t.note, ""]
    out.append("| " + " | ".join(t.headers) + " |")
    out.append("|" + "|".join("---:" if n else "---" for n in num) + "|")
    for r in cells:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    if not cells:
        out.append("| " + " | ".join("" for _ in t.headers) + " |")
    return "\n".join(out) + "\n"


def to_csv(t):
    s = io.StringIO()
    w = csv.writer(s, lineterminator="\n")
    w.writerow(t.headers)
    for r in t.rows:
        w.writerow([fmt(c) for c in r])
    return s.getvalue()


def write(tables, outdir):
    """TABLE.md and TABLE.csv for each table, and tables.md with them all."""
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for t in tables:
        for ext, text in (("md", to_markdown(t)), ("csv", to_csv(t))):
            p = os.path.join(outdir, "%s.%s" % (t.name, ext))
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
            paths.append(p)
    p = os.path.join(outdir, "tables.md")
    with open(p, "w", encoding="utf-8") as f:
        f.write("# Tables\n\n" + "\n".join(to_markdown(t) for t in tables))
    paths.append(p)
    return paths


# ---- the tables ------------------------------------------------------------
def runs_table(all_stats):
    t = Table("runs", "Runs", ["run", "workload", "strategy", "rep", "events",
                               "exits", "unmatched_exits", "span_ms", "tsc"],
              note="unmatched_exits: exits with no following entry of the "
                   "same vCPU (no latency).")
    for s in sorted(all_stats, key=lambda s: (s.workload,
                                              stats.strategy_key(s.strategy),
                                              str(s.rep), s.name)):
        t.rows.append([s.name, s.workload, s.strategy, s.rep, s.events,
                       len(s.exits), s.unmatched_exits,
                       None if s.span_s is None else s.span_s * 1e3,
                       s.tsc])
    return t


def exits_by_reason(groups):
    t = Table("exits_by_reason", "Exits by reason",
              ["workload", "strategy", "runs", "reason", "exits", "per_run",
               "share_pct"],
              note="exits: total over the runs; per_run: their mean; "
                   "share_pct: of the strategy's exits.")
    for g in groups.values():
        c = g.total("exits_by_reason")
        total = sum(c.values())
        for reason, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
            t.rows.append([g.workload, g.strategy, g.n, reason, n,
                           n / g.n, 100.0 * n / total])
    return t


_LAT = ["count", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"]


def _lat_cells(values):
    s = stats.summary(values)
    return [s["count"], s["mean"], s["p50"], s["p90"], s["p99"], s["max"]]


def exit_latency(groups):
    t = Table("exit_latency", "Exit-handling latency (kvm_exit to the next "
              "kvm_entry of the vCPU), microseconds",
              ["workload", "strategy", "reason"] + _LAT,
              note="(all): every matched exit; percentiles interpolate "
                   "linearly between closest ranks.")
    for g in groups.values():
        by = g.latencies_by_reason()
        t.rows.append([g.workload, g.strategy, "(all)"] +
                      _lat_cells(g.all_latencies()))
        for reason in sorted(by, key=lambda r: (-len(by[r]), r)):
            t.rows.append([g.workload, g.strategy, reason] +
                          _lat_cells(by[reason]))
    return t


def fault_latency(groups):
    t = Table("fault_latency", "Fault-resolution latency (page-fault exit to "
              "the next kvm_entry), microseconds, by mmu_fault outcome",
              ["workload", "strategy", "outcome"] + _LAT,
              note="Page-fault exits: SVM #PF (0x4e) or NPF, VMX #PF or "
                   "EPT_VIOLATION.  The outcome is that of the last "
                   "mmu_fault in the exit; (none): no mmu_fault.")
    for g in groups.values():
        t.rows.append([g.workload, g.strategy, "(all)"] +
                      _lat_cells(g.fault_latencies()))
        outs = {e.outcome for r in g.runs for e in r.exits if e.fault}
        for o in [x for x in names.FAULT_OUTCOME.values() if x in outs] + \
                sorted(x for x in outs if x is not None and
                       x not in names.FAULT_OUTCOME.values()):
            t.rows.append([g.workload, g.strategy, o] +
                          _lat_cells(g.fault_latencies(o)))
        if None in outs:
            v = [e.latency_us for r in g.runs for e in r.exits
                 if e.fault and e.outcome is None and e.t_entry is not None]
            t.rows.append([g.workload, g.strategy, "(none)"] + _lat_cells(v))
    return t


def ust_exit_latency(groups):
    pcts = (50, 90, 99)
    t = Table("ust_exit_latency", "Userspace exit handling (LTTng-UST "
              "kvmbench:exit) by KVM_EXIT reason, microseconds",
              ["workload", "strategy", "reason", "count"] +
              ["%s_p%d_us" % (a, p) for a in ("handle", "run") for p in pcts],
              note="handle: from KVM_RUN's return to the next KVM_RUN (the "
                   "VMM's handling); run: the KVM_RUN call that returned "
                   "the exit.  (all): every exit.")

    def row(g, reason):
        handle = sorted(g.ust_latencies("handle_us", reason))
        run = sorted(g.ust_latencies("run_us", reason))
        return ([g.workload, g.strategy, reason or "(all)", len(handle)] +
                [stats.percentile(handle, p) for p in pcts] +
                [stats.percentile(run, p) for p in pcts])

    for g in groups.values():
        by = Counter(u.reason for r in g.runs for u in r.ust_exits)
        if by:
            t.rows.append(row(g, None))
            t.rows += [row(g, k) for k, _ in sorted(
                by.items(), key=lambda kv: (-kv[1], kv[0]))]
    return t


def _enum_rows(groups, attr, enum, extra=None):
    rows = []
    for g in groups.values():
        c = g.total(attr)
        keys = list(enum.values()) + sorted(k for k in c
                                            if k not in enum.values())
        total = sum(c.values())
        for k in keys:
            row = [g.workload, g.strategy, g.n, k, c[k], c[k] / g.n]
            row += [extra(g, k)] if extra else \
                [100.0 * c[k] / total if total else None]
            rows.append(row)
    return rows


def faults_by_outcome(groups):
    t = Table("faults_by_outcome", "Shadow-MMU faults (mmu_fault) by outcome",
              ["workload", "strategy", "runs", "outcome", "faults",
               "per_run", "share_pct"])
    t.rows = _enum_rows(groups, "fault_outcomes", names.FAULT_OUTCOME)
    return t


def emulated_faults(groups):
    """EMULATE outcomes split by mmu_fault's pt_write (traces that have
    it): MMIO against emulated writes to shadowed guest page tables."""
    t = Table("emulated_faults", "Shadow-MMU faults sent to emulation "
              "(mmu_fault EMULATE): MMIO or a guest page-table write",
              ["workload", "strategy", "runs", "kind", "faults",
               "per_run", "share_pct"])
    t.rows = _enum_rows({k: g for k, g in groups.items()
                         if g.total("emulate_kinds")},
                        "emulate_kinds", names.EMULATE_KIND)
    return t


def flushes_by_cause(groups):
    t = Table("flushes_by_cause", "Shadow-MMU flushes (mmu_flush) by cause",
              ["workload", "strategy", "runs", "cause", "flushes",
               "per_run", "zapped"],
              note="zapped: sum of the events' zapped field.")
    t.rows = _enum_rows(groups, "flush_causes", names.FLUSH_CAUSE,
                        extra=lambda g, k: g.total("flush_zapped")[k])
    return t


def shadow_pages(groups):
    ops = list(names.SP_OP.values())
    t = Table("shadow_pages", "Shadow pages (mmu_sp) by operation",
              ["workload", "strategy", "runs"] + [o.lower() for o in ops] +
              ["peak_live", "final_live"],
              note="Totals over the runs; peak_live: the largest of the "
                   "runs' peaks; final_live: mean over the runs.")
    for g in groups.values():
        c = g.total("sp_ops")
        finals = [r.sp_live[-1][1] for r in g.runs if r.sp_live]
        t.rows.append([g.workload, g.strategy, g.n] + [c[o] for o in ops] +
                      [max((r.sp_live_peak for r in g.runs), default=0),
                       stats.mean(finals)])
    return t


def time_per_workload(groups):
    base = stats.baselines(groups)
    t = Table("time_per_workload", "Time per workload",
              ["workload", "strategy", "runs", "metric", "unit", "mean",
               "min", "max"] + ["ratio_to_%s" % b for b in base],
              note="metric tsc: the guest's elapsed TSC cycles (vmm.out); "
                   "span: first to last trace event.  ratio_to_X: this "
                   "strategy's mean over X's mean (>1: slower than X).")
    for wl, (metric, unit, vals) in stats.workload_times(groups).items():
        means = {s: stats.mean(v) for s, v in vals.items()}
        for s in sorted(vals, key=stats.strategy_key):
            v = vals[s]
            t.rows.append([wl, s, len(v), metric, unit, means[s],
                           min(v) if v else None, max(v) if v else None] +
                          [stats.ratio(means[s], means.get(b)) for b in base])
    return t


def build(all_stats, groups):
    """Every table; ust_exit_latency only when a run has kvmbench:exit
    events."""
    out = [runs_table(all_stats), exits_by_reason(groups),
           exit_latency(groups), fault_latency(groups),
           faults_by_outcome(groups), flushes_by_cause(groups),
           shadow_pages(groups), time_per_workload(groups)]
    optional = [emulated_faults(groups), ust_exit_latency(groups)]
    return out + [t for t in optional if t.rows]
