#!/usr/bin/env python3
"""Write the recorded test results: analysis/tests/data/results/.

A synthetic (hand-designed) trace of one workload, cr3-switch, under two
strategies, naive and cached, on SVM, in `trace-cmd report -R` format,
until real traces exist.  Every number the tests expect follows from the
design below; test_analysis.py works them out.  Run again after a change
here (the tests check the stored files are what this writes).

Timeline, in microseconds from T0, for iteration i = 0..19 at 100*i:
  vCPU 0, +0   #PF exit (0x4e): kvm_page_fault, mmu_fault; entry at +L
               naive: every i, L = 10+i; cached: i < 8, L = 8+2i
               outcome: i%4==3 GUEST; naive i==6 RETRY, i==10 EMULATE;
               else FIXED, which creates one shadow page (mmu_sp CREATE)
  vCPU 1, +20  IOIO exit (0x7b) if i%4==0: kvm_pio, kvm_userspace_exit;
               entry at +60 (40 us; overlaps vCPU 0's CR3 exit)
  vCPU 0, +50  write_cr3 exit (0x13): naive zaps every live page
               (mmu_sp ZAP each, then mmu_flush cause=CR3 zapped=N),
               entry at +55; cached: mmu_flush cause=CR3 zapped=0,
               entry at +53
  vCPU 0, +70  INVLPG exit (0x79) if i%5==0: mmu_flush cause=INVLPG
               zapped=0; entry at +74
End, at 2000: cached reclaims one shadow page (mmu_sp RECLAIM); then
vCPU 0 HLT exit (0x78) at 2010 with kvm_userspace_exit at 2011 and no
entry (an unmatched exit).  Guest TSC: naive 2000000, cached 800000.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "results")
T0 = 1000 * 1000000          # 1000 s, in microseconds

PF, IOIO, WCR3, INVLPG, HLT = 0x4e, 0x7b, 0x13, 0x79, 0x78
GUEST_RIP = {PF: 0x401000, IOIO: 0x401100, WCR3: 0x401200,
             INVLPG: 0x401300, HLT: 0x401400}


def ts(us):
    return "%d.%06d" % divmod(T0 + us, 1000000)


class Trace:
    def __init__(self):
        self.ev = []

    def add(self, us, vcpu, name, fields):
        pid, cpu = (1234, 1) if vcpu == 0 else (1235, 2)
        self.ev.append((us, len(self.ev), "%16s-%-5d [%03d] %s: %-20s %s" % (
            "vmm", pid, cpu, ts(us), name + ":", fields)))

    def exit(self, us, vcpu, reason, info1=0, info2=0):
        self.add(us, vcpu, "kvm_exit",
                 "exit_reason=%d guest_rip=0x%x isa=2 info1=0x%x info2=0x%x "
                 "intr_info=0x0 error_code=0x0 vcpu_id=%d" % (
                     reason, GUEST_RIP[reason], info1, info2, vcpu))

    def entry(self, us, vcpu, reason):
        self.add(us, vcpu, "kvm_entry", "vcpu_id=%d rip=0x%x" % (
            vcpu, GUEST_RIP[reason] + 2))

    def text(self):
        head = ["cpus=4", "CPU 0 is empty", "CPU 3 is empty"]
        return "\n".join(head + [l for _, _, l in sorted(self.ev)]) + "\n"


def outcome(strategy, i):
    if i % 4 == 3:
        return 2                       # GUEST
    if strategy == "naive" and i == 6:
        return 1                       # RETRY
    if strategy == "naive" and i == 10:
        return 3                       # EMULATE
    return 0                           # FIXED


def make(strategy):
    t = Trace()
    live = []                          # gfns of live shadow pages
    for i in range(20):
        b = 100 * i
        gva = 0x40000000 + i * 0x1000
        if strategy == "naive" or i < 8:
            lat = 10 + i if strategy == "naive" else 8 + 2 * i
            o = outcome(strategy, i)
            t.exit(b, 0, PF, info1=6, info2=gva)
            t.add(b + 1, 0, "kvm_page_fault",
                  "vcpu_id=0 guest_rip=0x%x fault_address=0x%x "
                  "error_code=0x6" % (GUEST_RIP[PF], gva))
            t.add(b + 2, 0, "mmu_fault",
                  "vcpu_id=0 gva=0x%x error_code=0x6 outcome=%d created=%d"
                  % (gva, o, 1 if o == 0 else 0))
            if o == 0:
                gfn = 0x100 + i
                t.add(b + 3, 0, "mmu_sp", "op=0 gfn=0x%x role=0x29c51 "
                      "level=1 direct=0" % gfn)
                live.append(gfn)
            t.entry(b + lat, 0, PF)
        if i % 4 == 0:
            t.exit(b + 20, 1, IOIO, info1=0xf40210)
            t.add(b + 21, 1, "kvm_pio", "rw=1 port=244 size=1 count=1 val=%d"
                  % (65 + i))
            t.add(b + 22, 1, "kvm_userspace_exit", "reason=2 errno=0")
            t.entry(b + 60, 1, IOIO)
        t.exit(b + 50, 0, WCR3)
        if strategy == "naive":
            n = len(live)
            for gfn in live:
                t.add(b + 51, 0, "mmu_sp", "op=1 gfn=0x%x role=0x29c51 "
                      "level=1 direct=0" % gfn)
            live = []
            t.add(b + 52, 0, "mmu_flush", "vcpu_id=0 cause=0 zapped=%d" % n)
            t.entry(b + 55, 0, WCR3)
        else:
            t.add(b + 51, 0, "mmu_flush", "vcpu_id=0 cause=0 zapped=0")
            t.entry(b + 53, 0, WCR3)
        if i % 5 == 0:
            t.exit(b + 70, 0, INVLPG, info1=gva)
            t.add(b + 71, 0, "mmu_flush", "vcpu_id=0 cause=1 zapped=0")
            t.entry(b + 74, 0, INVLPG)
    if strategy == "cached":
        t.add(2000, 0, "mmu_sp", "op=2 gfn=0x%x role=0x29c51 level=1 "
              "direct=0" % live.pop(0))
    t.exit(2010, 0, HLT)
    t.add(2011, 0, "kvm_userspace_exit", "reason=5 errno=0")
    return t.text()


RUNS = {
    "naive": dict(tsc=2000000, created=13, zapped=13),
    "cached": dict(tsc=800000, created=6, zapped=0),
}


def files():
    """{relative path: text} of the fixture."""
    out = {}
    for s, v in RUNS.items():
        d = "runs/%s-cr3-switch-0/" % s
        meta = {"strategy": s, "workload": "cr3-switch", "rep": 0,
                "machine": "svm", "kernel": "6.1.0-synthetic",
                "note": "synthetic fixture: analysis/tests/make_fixture.py"}
        out[d + "meta.json"] = json.dumps(meta, indent=2) + "\n"
        out[d + "trace.txt"] = make(s)
        out[d + "vmm.out"] = ("cr3-switch: 20 address-space switches\n"
                              "cr3-switch.switches=20\n"
                              "tsc=%d\n" % v["tsc"])
        out[d + "mmu_stats.txt"] = ("sp_created %d\nsp_zapped %d\n"
                                    % (v["created"], v["zapped"]))
    return out


def main():
    for rel, text in files().items():
        p = os.path.join(OUT, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    print("wrote %d files under %s" % (len(files()), OUT))


if __name__ == "__main__":
    sys.exit(main())
