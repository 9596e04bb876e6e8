#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The README's kvm-unit-tests table, from the verdict lines (PASS/FAIL/SKIP:
kut/NAME) of the runs kept here and in ../kut-2026-12-06/.  A column is a
list of files, later ones overriding earlier ones (targeted reruns after
fixes).  Usage: python3 mktable.py > table.md
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
OLD = os.path.join(HERE, "..", "kut-2026-12-06")
CFG = "/var/cache/kvm-research/kvm-unit-tests/current/x86_64/x86/unittests.cfg"

COLUMNS = [
    ("upstream `npt=0`", [os.path.join(OLD, "upstream-npt0.txt"), "access-upstream-npt0.txt"]),
    ("upstream `npt=1`", ["upstream-npt1.txt"]),
    ("ours `naive`", ["ours-naive.txt", "access-ours-naive.txt"]),
    ("ours `cached`", [os.path.join(OLD, "ours-cached.txt"),
                       os.path.join(OLD, "ours-cached-recheck.txt"),
                       os.path.join(OLD, "ours-cached-after-fixes.txt"),
                       "ours-cached-reruns.txt", "ours-cached-rerun2.txt",
                       "access-ours-cached.txt"]),
    ("vmx: upstream `ept=0`", ["vmx-upstream-ept0.txt"]),
    ("vmx: ours `cached`", ["vmx-ours-cached-helper.txt", "vmx-ours-cached.txt"]),
]


def verdicts(path):
    p = path if os.path.isabs(path) else os.path.join(HERE, path)
    v = {}
    if not os.path.exists(p):
        return v
    for line in open(p, errors="replace"):
        m = re.match(r"^(PASS|FAIL|SKIP): kut/([^:\s]+)(?::\s*(.*))?$", line.rstrip("\n"))
        if not m:
            continue
        st, name, why = m.group(1), m.group(2), m.group(3) or ""
        if st == "FAIL" and why.startswith("timeout"):
            st = "timeout"
        elif st == "FAIL" and why.startswith("QEMU failed"):
            st = "FAIL (QEMU)"
        elif st == "SKIP" and why.startswith("skipped by --skip"):
            continue
        v[name] = st
    return v


def main():
    order = [m.group(1) for m in (re.match(r"^\[(.*)\]\s*$", l) for l in open(CFG)) if m]
    cols = []
    for _, files in COLUMNS:
        v = {}
        for f in files:
            v.update(verdicts(f))
        cols.append(v)
    print("| test | " + " | ".join(c for c, _ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for t in order:
        print("| %s | %s |" % (t, " | ".join(c.get(t, "not run") for c in cols)))


if __name__ == "__main__":
    main()
