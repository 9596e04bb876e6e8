#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The README's tables from runs of the irq workload:

    results/issue19-2026-12-07/table.py results/issue19-2026-12-07/bench
    results/issue19-2026-12-07/table.py results/issue19-2026-12-07/untraced

Several DIRs make one table.  A DIR is bench/run's (DIR/runs/*/meta.json and vmm.out), or a directory of
the VMM's outputs named STRATEGY-REP.out.

For each strategy and each irq.MODE.PHASE: the median over the runs of
each run's median round trip (guest TSC cycles), the runs' smallest
round trip, and the interrupts each run counted.
"""
import json
import os
import statistics
import sys

PHASES = ["timer", "tscdeadline", "self_ipi", "pingpong_spin", "pingpong_hlt"]
MODES = ["xapic", "x2apic"]


def read(path):
    vals = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if v.isdigit():
                vals[k] = int(v)
    return vals


def runs(top):
    if not os.path.isdir(os.path.join(top, "runs")):
        for name in sorted(os.listdir(top)):
            if name.endswith(".out"):
                yield name.rsplit("-", 1)[0], read(os.path.join(top, name))
        return
    for name in sorted(os.listdir(os.path.join(top, "runs"))):
        d = os.path.join(top, "runs", name)
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        if meta.get("workload") != "irq":
            continue
        yield meta["strategy"], read(os.path.join(d, "vmm.out"))


def main():
    by = {}
    for top in sys.argv[1:]:
        for strategy, vals in runs(top):
            by.setdefault(strategy, []).append(vals)
    strategies = sorted(by)
    print("| phase | " + " | ".join(
        f"{s} median (min) [runs]" for s in strategies) + " |")
    print("|---|" + "---:|" * len(strategies))
    for m in MODES:
        for p in PHASES:
            key = f"irq.{m}.{p}"
            cells = []
            for s in strategies:
                med = [v[key + ".median"] for v in by[s] if key + ".median" in v]
                mins = [v[key + ".min"] for v in by[s] if key + ".min" in v]
                counts = {v.get(key + ".count") for v in by[s]}
                if not med:
                    cells.append("-")
                    continue
                cells.append(f"{statistics.median(med):,.0f} ({min(mins):,}) [{len(med)}, count {'/'.join(str(c) for c in sorted(counts, key=str))}]")
            print(f"| {m} {p} | " + " | ".join(cells) + " |")
    for s in strategies:
        print(f"\n{s}: hlt_in_shadow per run "
              f"{[v.get('irq.hlt_in_shadow') for v in by[s]]}, spurious "
              f"{[v.get('irq.spurious') for v in by[s]]}")


main()
