#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
The README's kvm-unit-tests table, from the verdict lines (PASS/FAIL/SKIP:
kut/NAME) of the runs kept here and in ../kut-2026-12-06/ and
../kut-2026-12-06b/.  A column is a
list of files, later ones overriding earlier ones (targeted reruns after
fixes).  Usage: python3 mktable.py > table.md
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OLD = os.path.join(HERE, "..", "kut-2026-12-06")
PREV = os.path.join(HERE, "..", "kut-2026-12-06b")

COLUMNS = [
    ("upstream `npt=0`", [os.path.join(OLD, "upstream-npt0.txt"),
                          os.path.join(PREV, "access-upstream-npt0.txt")]),
    ("upstream `npt=1`", [os.path.join(PREV, "upstream-npt1.txt")]),
    ("ours `naive`", [os.path.join(PREV, "ours-naive.txt"),
                      os.path.join(PREV, "access-ours-naive.txt"),
                      "svm-ours-naive-reruns.txt"]),
    ("ours `cached`", [os.path.join(OLD, "ours-cached.txt"),
                       os.path.join(OLD, "ours-cached-recheck.txt"),
                       os.path.join(OLD, "ours-cached-after-fixes.txt"),
                       os.path.join(PREV, "ours-cached-reruns.txt"),
                       os.path.join(PREV, "ours-cached-rerun2.txt"),
                       os.path.join(PREV, "access-ours-cached.txt"),
                       "svm-ours-cached-reruns.txt"]),
    ("ours `tdp`", ["svm-ours-tdp.txt", "svm-ours-tdp-sieve.txt"]),
    ("vmx: upstream `ept=0`", ["vmx-upstream-ept0.txt"]),
    ("vmx: ours `cached`", ["vmx-ours-cached.txt"]),
]


# The verdict parsing and the table are the previous run's script's.
_spec = importlib.util.spec_from_file_location("prev_mktable", os.path.join(PREV, "mktable.py"))
prev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prev)


def main():
    # Relative names are this directory's; the previous script resolves
    # them against its own, so make them absolute first.
    prev.COLUMNS = [(c, [f if os.path.isabs(f) else os.path.join(HERE, f) for f in files])
                    for c, files in COLUMNS]
    prev.main()


if __name__ == "__main__":
    main()
