#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Mutation check of the MMU reference checker: build mmucheck against copies
of kvm/mmu/ that each carry one planted bug in a strategy's sources, and
check that the fixed seeds catch every one.  A bug that survives is a hole
in the checker (or an equivalent mutant, which does not belong here).

    python3 mutants.py OUTDIR [--seeds "1:1 2:2 ..."] [--ops N] [--jobs J]
                              [--only NAME] [--avoid LIST]

Seeds are SEED:VCPUS pairs, tried in order until one fails.  Each mutant
is (name, file in kvm/mmu/, text, replacement), or (name, file, [(text,
replacement), ...]), where an edit may also be (other file, text,
replacement); a mutant whose text is not in its file exactly once is
reported as stale: update it.  A mutant runs with --strategy cached or tdp
if its name starts with "cached:" or "tdp:", else with naive; "tdp-wp:" is
tdp with --no-tdp-ad (the dirty log by write faults), "cached-sync:" is
cached with cached_unsync=0 (every shadowed table write-protected),
"cached-audit:" cached with cached_audit=1 (its report fails the run).

Prints "PASS: mmu: mutant NAME caught (...)" or "FAIL: mmu: mutant NAME
...", one line per mutant; exit status 1 if any was not caught.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import threading

MUTANTS = [
    # -- naive.c ---------------------------------------------------------
    ("naive: INVLPG drops nothing", "naive.c",
     "\tnv->stats.invlpg++;\n\tif (!table)\n\t\treturn;",
     "\tnv->stats.invlpg++;\n\tif (table)\n\t\treturn;"),
    ("naive: new_cr3 drops nothing", "naive.c",
     "\tnv->stats.new_cr3++;\n\tnaive_flush_all(nv, mmu_trace_new_cr3_cause(vcpu));",
     "\tnv->stats.new_cr3++;"),
    ("naive: no TLB flush after replacing a leaf", "naive.c",
     "\t\tnaive_release_leaf(nv, old);\n\t\tkvm_vendor->flush_tlb(vcpu);",
     "\t\tnaive_release_leaf(nv, old);"),
    # The flush of a new root and the one of naive_flush_all() cover for
    # each other: only both gone is a bug.
    ("naive: no TLB flush when the shadow is dropped", "naive.c", [
        ("\t\tnv->root_level = level;\n\t\tkvm_vendor->flush_tlb(vcpu);",
         "\t\tnv->root_level = level;"),
        ("\tnaive_zap_all(nv);\n\tkvm_vendor->flush_tlb(nv->vcpu);",
         "\tnaive_zap_all(nv);")]),
    ("naive: no TLB flush after INVLPG dropped something", "naive.c",
     "\tif (dropped) {\n\t\tkvm_vendor->flush_tlb(vcpu);",
     "\tif (dropped) {"),
    ("naive: INVLPG ignores SPLIT (large guest pages)", "naive.c",
     "\t\tif (spte & SPTE_SPLIT) {",
     "\t\tif (0) {"),
    ("naive: INVLPG forgets the other half of a 4 MiB page", "naive.c",
     "\t\tif (level == 2 && (table[i ^ 1] & SPTE_SPLIT_4M)) {",
     "\t\tif (0) {"),
    ("naive: large guest pages not marked SPLIT", "naive.c",
     "\t\tif (level == walk->leaf_level && !pae_root)",
     "\t\tif (0)"),
    ("naive: the dirty log protects nothing", "naive.c",
     "\tkvm_make_all_vcpus_request(kvm, KVM_REQ_MMU_RELOAD);\n\tkvm_flush_remote_tlbs(kvm);\n}",
     "}"),
    ("naive: a dropped leaf keeps its pin", "naive.c",
     "\tshadow_unpin_leaf(spte);\n\tnv->stats.pinned--;",
     "\tnv->stats.pinned--;"),
    # -- spte.c ----------------------------------------------------------
    ("spte: D bits not done (spte_shadow_perm ignores guest_dirty)", "spte.c",
     "\tif (!guest_dirty && !write)\n\t\tperm &= ~PERM_WRITE;\n",
     ""),
    ("spte: the CR0.WP=0 rule missing", "spte.c",
     "\tif (write && !(access & KVM_ACC_USER) && !(perm & PERM_WRITE) &&\n"
     "\t    !cr0_wp) {",
     "\tif (0) {"),
    ("spte: CR0.WP=0 leaves the page user-accessible", "spte.c",
     "\t\tperm |= PERM_WRITE;\n\t\tperm &= ~PERM_USER;",
     "\t\tperm |= PERM_WRITE;"),
    ("spte: CR0.WP=0 with SMEP leaves the page executable", "spte.c",
     "\t\tif (cr4_smep && (perm & PERM_USER))\n\t\t\tperm &= ~PERM_EXEC;\n",
     ""),
    ("spte: U/S not copied to the leaf", "spte.c",
     "\tif (perm & PERM_USER)\n\t\tspte |= PT_USER_MASK;",
     "\tspte |= PT_USER_MASK;"),
    ("spte: NX not copied to the leaf", "spte.c",
     "\tif (!(perm & PERM_EXEC))\n\t\tspte |= PT64_NX_MASK;",
     ""),
    # -- shadow.c --------------------------------------------------------
    ("shadow: reads of ROM emulated", "shadow.c",
     "\tif (write)\n\t\treturn false;\n\t*hva = kvm_gfn_to_hva(kvm, gfn, false);",
     "\treturn false;\n\t*hva = kvm_gfn_to_hva(kvm, gfn, false);"),
    ("shadow: A/D not set when a leaf goes in", "shadow.c",
     "\tr = guest_walk_set_ad(pg, walk, write);",
     "\tr = 0;"),
    # Dirty logging ("dirty log" in the name: run with --dirty-log).  Not here:
    # a read mapping a logged page writable (a write through the same
    # address before the next get is too rare in random runs; the lab's
    # abi dirty group catches it).
    ("shadow: dirty log: a write through a new leaf not logged", "shadow.c",
     "\tif (logging && (*perm & PERM_WRITE))\n\t\tkvm_mark_page_dirty(kvm, gfn);\n",
     ""),
    # -- walk.c, paging_tmpl.h ------------------------------------------
    ("walk: SMAP ignores RFLAGS.AC", "walk.c",
     "\tif (!(vcpu->rflags & X86_EFLAGS_AC))\n\t\treturn true;\n",
     ""),
    ("walk: SMAP ignores CPL 3", "walk.c",
     "\treturn kvm_vendor->get_cpl(vcpu) == 3;",
     "\treturn false;"),
    ("walk: CR0.WP ignored", "walk.c",
     "if ((access & KVM_ACC_WRITE) && !(perm & PERM_WRITE) && pg->wp)",
     "if ((access & KVM_ACC_WRITE) && !(perm & PERM_WRITE) && 0)"),
    ("walk: user fetch ignores U/S", "walk.c",
     "\t\tif (user)\n\t\t\treturn !(perm & PERM_USER);",
     "\t\tif (user)\n\t\t\treturn false;"),
    ("walk: I/D bit without NX or SMEP", "walk.c",
     "if ((access & KVM_ACC_FETCH) && (pg->nxe || pg->smep))",
     "if (access & KVM_ACC_FETCH)"),
    ("walk: A bit not set", "walk.c",
     "u64 new = old | PT_ACCESSED_MASK;",
     "u64 new = old;"),
    ("walk: D bit set on reads", "walk.c",
     "\t\tif (leaf && write)\n\t\t\tnew |= PT_DIRTY_MASK;",
     "\t\tif (leaf)\n\t\t\tnew |= PT_DIRTY_MASK;"),
    ("walk: NX without EFER.NXE not reserved", "paging_tmpl.h",
     "\tif (!pg->nxe)\n\t\tmask |= PT64_NX_MASK;",
     ""),
    ("walk: PS in a PML4E accepted", "paging_tmpl.h",
     "\tcase 4:\n\t\treturn mask | PT_PAGE_SIZE_MASK;",
     "\tcase 4:\n\t\treturn mask;"),
    ("walk: 1 GiB pages without CPUID", "paging_tmpl.h",
     "\t\tif (!guest_has_gbpages(pg))\n\t\t\treturn mask | PT_PAGE_SIZE_MASK;\n",
     ""),
    ("walk: 2 MiB page reserved bits unchecked", "paging_tmpl.h",
     "return large ? mask | rsvd_bits(13, 20) : mask;",
     "return mask;"),
    ("walk: PSE-36 address bits ignored", "paging_tmpl.h",
     "\t\t       (((u64)pte & GENMASK_ULL(20, 13)) << 19) |\n",
     ""),
    ("walk: PS honoured without CR4.PSE", "paging_tmpl.h",
     "\treturn pg->pse;",
     "\treturn true;"),
    ("walk: PAE PDPTE reserved bits unchecked", "walk.c",
     "\treturn pdpte & rsvd;",
     "\treturn false;"),
    # -- cached.c (checked with --strategy cached) -------------------------
    # Not here: the new walk after a fault made a shadow page (it guards
    # against a write by another vCPU running at the same time, and the
    # checker runs one operation at a time).
    ("cached: shadowed tables not write-protected", "cached_sp.c",
     "\tif (!role.direct)\n\t\tcached_write_protect(cvm, gfn);\n", ""),
    ("cached: new leaves of shadowed tables writable", "cached.c",
     "\t\tif (!write)\n\t\t\tperm &= ~PERM_WRITE;",
     "\t\tif (0)\n\t\t\tperm &= ~PERM_WRITE;"),
    ("cached-sync: new leaves of shadowed tables writable", "cached.c",
     "\t\tif (!write)\n\t\t\tperm &= ~PERM_WRITE;",
     "\t\tif (0)\n\t\t\tperm &= ~PERM_WRITE;"),
    ("cached: a tracked write drops nothing", "cached.c",
     "\t\tfor (g = first; g <= last; g++) {",
     "\t\tfor (g = first; g < first; g++) {"),
    ("cached-sync: a tracked write drops nothing", "cached.c",
     "\t\tfor (g = first; g <= last; g++) {",
     "\t\tfor (g = first; g < first; g++) {"),
    ("cached: no remote TLB flush", "cached_sp.c",
     "\tkvm_flush_remote_tlbs(cvm->kvm);", ""),
    ("cached: the dirty log protects nothing", "cached.c",
     "\t\tcached_write_protect(cvm, slot->base_gfn + first + i);",
     "\t\t;"),
    ("cached-sync: the role ignores the rights above", "cached.c",
     "\trole->access = access;", "\trole->access = PERM_ALL;"),
    ("cached: the role ignores the 32-bit quadrant", "cached.c",
     "\t\trole->quadrant = level == 2 ? (gva >> 30) & 3 : (gva >> 21) & 1;",
     "\t\trole->quadrant = 0;"),
    # -- cached_sync.c: out-of-sync pages and prefetch (cached_unsync=1) -----
    ("cached: INVLPG does not resync", "cached_sync.c",
     "\tif (list_empty(&cvm->unsync) || !cv->root_valid)\n\t\treturn;\n\tif (cv->root_level == 4) {",
     "\treturn;\n\tif (cv->root_level == 4) {"),
    ("cached: a resync keeps a leaf whose entry lost its D bit", "cached_sync.c",
     "\treturn gpte != cached_gpte_read(sp, sp->gptes, i);",
     "\treturn (gpte ^ cached_gpte_read(sp, sp->gptes, i)) & ~PT_DIRTY_MASK;"),
    ("cached: a resync keeps a leaf whose entry lost its A bit", "cached_sync.c",
     "\treturn gpte != cached_gpte_read(sp, sp->gptes, i);",
     "\treturn (gpte ^ cached_gpte_read(sp, sp->gptes, i)) & ~PT_ACCESSED_MASK;"),
    ("cached: a resync leaves the tables writable", "cached_sync.c",
     "\tlist_for_each_entry(sp, &cvm->unsync, unsync_link)\n\t\tcached_write_protect(cvm, sp->gfn);\n",
     ""),
    ("cached: (dirty log runs) an unsync page linked again keeps its stale leaves", "cached.c",
     "\t\tif (!made && child->unsync && !cached_sync_relinked(cvm, child))",
     "\t\tif (0)"),
    ("cached: a CR3 load does not resync", "cached.c",
     "\tcached_sync_all(cvm);\n", ""),
    ("cached: a resync compares the table with itself", "cached_sync.c",
     "\tvoid *table = cvm->sync_buf;",
     "\tvoid *table = sp->gptes;"),
    ("cached: prefetch ignores the A bit", "cached_sync.c",
     "\t       (w->ptes[n - 1].val & PT_ACCESSED_MASK);",
     "\t       1;"),
    ("cached: prefetch maps clean pages writable", "cached_sync.c",
     "\tperm = spte_shadow_perm(w.perm, w.dirty, 0, pg->wp, pg->smep);",
     "\tperm = spte_shadow_perm(w.perm, true, 0, pg->wp, pg->smep);"),
    ("cached: prefetch maps protected tables writable", "cached_sync.c",
     "|| cached_gfn_protected(cvm, gfn))",
     ")"),
    # Not here: prefetch's check that the neighbour's walk ends in the same
    # table (a guard: an address that differs from the fault's in bits
    # 20:12 only is walked through the same protected entries above it).
    # 2 MiB shadow leaves (RAM0 backed by transparent huge pages: seeds 3
    # to 5).
    ("cached: a 2 MiB leaf over a shadowed page table", "cached.c",
     "\treturn kvm_host_page_level(hva) >= 2 && !cached_lpage_shadowed(cvm, gfn);",
     "\treturn kvm_host_page_level(hva) >= 2;"),
    # The checker's guest never writes a table through a 2 MiB leaf made
    # before the table was shadowed (only paging off makes one over RAM0,
    # where the tables are): the audit sees the leaf at a root load.
    ("cached-audit: write protection leaves 2 MiB leaves in place", "cached_sp.c",
     "\twhile ((r = cached_rmap_find(cvm, cached_large_key(gfn)))) {",
     "\twhile (0 && (r = cached_rmap_find(cvm, cached_large_key(gfn)))) {"),
    ("cached: dirty log: a 2 MiB leaf in a slot that logs", "cached.c",
     "\tif (!slot || slot->dirty_bitmap || first < slot->base_gfn ||",
     "\tif (!slot || first < slot->base_gfn ||"),
    ("cached: a 2 MiB leaf where the guest maps 4 KiB pages", "cached.c",
     "\tif (pg->levels && walk->leaf_level < 2)\n\t\treturn false;\n\tslot =",
     "\tslot ="),
    # -- tdp.c (checked with --strategy tdp, on hw_tdp.c's hardware) -------
    ("tdp: a slot that goes away is not zapped", "tdp.c",
     "\ttdp_zap_range(tv, tv->root, TDP_LEVELS, 0, start, min(end, TDP_MAX_GFN));\n"
     "\ttdp_commit(tv, false);",
     "\ttdp_commit(tv, false);"),
    ("tdp: a zap skips the last gfn of the range", "tdp.c",
     "\t\tif (last <= start || first >= end)",
     "\t\tif (last <= start || first >= end - 1)"),
    # Large leaves (RAM0 backed by transparent huge pages: seeds 3 to 5).
    ("tdp: dirty log: a zap leaves large leaves in place (stale large page)",
     "tdp.c",
     "\t\tif (level == 1 || tdp_is_large(table[i], level)) {",
     "\t\tif (tdp_is_large(table[i], level))\n\t\t\tcontinue;\n"
     "\t\tif (level == 1) {"),
    ("tdp: a large leaf maps the wrong host range", "tdp.c",
     "\t\tpfn -= gfn & (tdp_level_pages(level) - 1);\n", ""),
    ("tdp: dirty log: large leaves in a slot that logs", "tdp.c",
     "\tif (logging || !slot)\n\t\treturn 1;",
     "\tif (!slot)\n\t\treturn 1;"),
    ("tdp: a read makes a writable leaf in a read-only slot", "tdp.c",
     "\tif (pinned_write && (write || !logging || tv->hw_dirty))",
     "\tif (write || !logging || tv->hw_dirty)"),
    ("tdp: nested leaves not executable", "tdp.c",
     "\tperm = PERM_USER | PERM_EXEC;", "\tperm = PERM_USER;"),
    ("tdp: no remote TLB flush before pins go", "tdp.c",
     "\tkvm_flush_remote_tlbs(tv->kvm);\n\tshadow_release_all(&tv->release);",
     "\tshadow_release_all(&tv->release);"),
    # The dirty log by write faults, as on EPT without A/D ("tdp-wp:":
    # run with --no-tdp-ad).
    ("tdp-wp: dirty log: protect takes no write access away", "tdp.c",
     "\t\tWRITE_ONCE(*sptep, *sptep & ~PT_WRITABLE_MASK);\n", ""),
    ("tdp-wp: dirty log: no TLB flush after write protection", "tdp.c",
     "\ttdp_commit(tv, flush);", "\ttdp_commit(tv, false);"),
    # D kept by a write-protected leaf is what makes its page dirty at
    # release: tdp_release_spte() and shadow_unpin_leaf() both see to it.
    ("tdp-wp: dirty log: a write-protected leaf's page released clean", "tdp.c", [
        ("\treturn (spte & tdp_dirty_bit(tv)) ? spte | PT_WRITABLE_MASK : spte;",
         "\treturn spte;"),
        ("shadow.c", "\t\t\t\t    spte & (PT_WRITABLE_MASK | PT_DIRTY_MASK));",
         "\t\t\t\t    spte & PT_WRITABLE_MASK);")]),
    ("tdp-wp: dirty log: a write fault not logged", "tdp.c",
     "\tif (logging && write && (perm & PERM_WRITE))\n\t\tkvm_mark_page_dirty(kvm, gfn);\n",
     ""),
    # The dirty log by the nested D bits (the default: NPT).
    ("tdp: dirty log: D bits not harvested", "tdp.c",
     "\ttdp_harvest_range(tv, slot, tv->root, TDP_LEVELS, 0, start, end);\n",
     ""),
    ("tdp: dirty log: protect leaves D set", "tdp.c",
     "\t\t\tclear_bit(__ffs64(tdp_dirty_bit(tv)),\n\t\t\t\t  (unsigned long *)sptep);\n",
     ""),
    ("tdp: dirty log: no TLB flush after clearing D", "tdp.c",
     "\t\t\ttv->dirty_cleared++;\n\t\t\tflush = true;\n",
     "\t\t\ttv->dirty_cleared++;\n"),
    ("tdp: dirty log: a read maps a page dirty in a slot that logs", "tdp.c",
     "\t\tif (logging && !write)\n\t\t\tspte &= ~tdp_dirty_bit(tv);\n",
     ""),
]

print_lock = threading.Lock()


def say(line):
    with print_lock:
        print(line, flush=True)


# Mutants that the fixed seeds miss but a seed of a soak caught: that
# seed is tried first (SEED, VCPUS).
EXTRA_SEEDS = {
    "cached: (dirty log runs) an unsync page linked again keeps its stale leaves":
        [(40, 1)],
}


def run_mutant(top, work, mutant, seeds, ops, avoid, binary_make):
    if len(mutant) == 4:
        name, fname, old, new = mutant
        edits = [(old, new)]
    else:
        name, fname, edits = mutant
    # An edit is (text, replacement) in fname, or (file, text, replacement).
    srcs = {}
    mutated = {}
    for e in edits:
        f, old, new = e if len(e) == 3 else (fname,) + tuple(e)
        if f not in srcs:
            srcs[f] = open(os.path.join(top, "kvm", "mmu", f)).read()
            mutated[f] = srcs[f]
        n = mutated[f].count(old)
        if n != 1:
            return "FAIL: mmu: mutant %s is stale: its text is in %s %d times" % (
                name, f, n)
        mutated[f] = mutated[f].replace(old, new)
    for f in mutated:
        open(os.path.join(work, "kvm", "mmu", f), "w").write(mutated[f])
    try:
        r = subprocess.run(binary_make, capture_output=True, text=True)
        if r.returncode:
            err = [l for l in (r.stdout + r.stderr).splitlines()
                   if "error" in l.lower()][:1]
            return "FAIL: mmu: mutant %s is stale: does not build%s" % (
                name, (": " + err[0]) if err else "")
        exe = os.path.join(work, "out", "mmucheck")
        strategy = name.split(":")[0]
        flags = []
        if strategy == "tdp-wp":
            strategy, flags = "tdp", ["--no-tdp-ad"]
        if strategy == "cached-sync":
            strategy, flags = "cached", ["--param", "cached_unsync=0"]
        if strategy == "cached-audit":
            strategy, flags = "cached", ["--param", "cached_audit=1"]
        if strategy not in ("cached", "tdp"):
            strategy = "naive"
        for seed, vcpus in EXTRA_SEEDS.get(name, []) + seeds:
            cmd = ["timeout", "120", exe, "--strategy", strategy, "--seed",
                   str(seed), "--ops", str(ops), "--vcpus", str(vcpus)]
            if avoid:
                cmd += ["--avoid", avoid]
            if "dirty log" in name:
                cmd += ["--dirty-log"]
            cmd += flags
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                why = [l for l in r.stdout.splitlines()
                       if l.startswith("FAIL: ")][:1]
                why = why[0].split(": ", 3)[-1] if why else None
                if not why:
                    # A crash: the sanitizers say what on stderr.
                    why = [l for l in r.stderr.splitlines()
                           if "ERROR" in l or "runtime error" in l][:1]
                    why = "exit status %d%s" % (
                        r.returncode, (": " + why[0].strip()) if why else "")
                return "PASS: mmu: mutant %s caught (seed %d, %d vCPUs: %s)" % (
                    name, seed, vcpus, why)
        return "FAIL: mmu: mutant %s survived %d runs" % (name, len(seeds))
    finally:
        for f in srcs:
            open(os.path.join(work, "kvm", "mmu", f), "w").write(srcs[f])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seeds", default="1:1 2:2 3:1 4:2 5:1 6:2")
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", default=None)
    ap.add_argument("--avoid", default="",
                    help="known bugs to stay out of (mmucheck --avoid)")
    ap.add_argument("--skip-baseline", action="store_true",
                    help="the unmutated strategies are known to pass")
    ap.add_argument("--skip-strategies", default="",
                    help="strategies whose mutants not to run (they fail "
                    "their fixed runs, so anything would be caught)")
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.abspath(os.path.join(here, "..", "..", ".."))
    seeds = [tuple(int(x) for x in s.split(":")) for s in args.seeds.split()]
    mutants = [m for m in MUTANTS if not args.only or args.only in m[0]]
    skip = sorted(set(args.skip_strategies.split()))
    # A mutant's strategy: "tdp-wp:" is tdp's.
    def strategy_of(m):
        return m[0].split(":")[0].split("-")[0]

    for s in skip:
        n = len([m for m in mutants if strategy_of(m) == s])
        if n:
            say("FAIL: mmu: mutants: %d of %s not run, %s fails its fixed runs" %
                (n, s, s))
    skipped = len(mutants)
    mutants = [m for m in mutants if strategy_of(m) not in skip]
    skipped -= len(mutants)
    if not mutants:
        return 1

    # One copy of kvm/mmu/ and one build directory per job: make rebuilds
    # only the mutated file and relinks.  The checker's own objects do not
    # change with the strategies' sources: they come from OUTDIR's build.
    jobs = max(1, min(args.jobs, len(mutants)))
    out = os.path.abspath(args.out)
    works = []
    for j in range(jobs):
        work = os.path.join(out, "mutants", str(j))
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(os.path.join(top, "kvm", "mmu"),
                        os.path.join(work, "kvm", "mmu"),
                        ignore=shutil.ignore_patterns("*.o", ".*.cmd"))
        # The core header the strategies include from kvm/ (the shim's too).
        shutil.copy(os.path.join(top, "kvm", "paging_mode.h"),
                    os.path.join(work, "kvm"))
        if os.path.isdir(os.path.join(out, "h")):
            shutil.copytree(os.path.join(out, "h"),
                            os.path.join(work, "out", "h"))
        works.append(work)

    def make_cmd(work):
        return ["make", "-s", "-C", here, "O=" + os.path.join(work, "out"),
                "MMU=" + os.path.join(work, "kvm", "mmu"),
                "STRATEGIES=naive cached tdp",
                "KEXTRA=-Wno-error", os.path.join(work, "out", "mmucheck")]

    builds = [subprocess.Popen(make_cmd(w), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
              for w in works]
    for b in builds:
        log = b.communicate()[0]
        if b.returncode:
            print("FAIL: mmu: mutants: the unmutated copy does not build")
            print(log)
            return 1

    # A mutant is caught only if the seeds pass without it.
    if not args.skip_baseline:
        exe = os.path.join(works[0], "out", "mmucheck")
        for seed, vcpus in seeds:
            cmd = [exe, "--strategy", "naive", "--seed", str(seed), "--ops",
                   str(args.ops), "--vcpus", str(vcpus)]
            if args.avoid:
                cmd += ["--avoid", args.avoid]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                print("FAIL: mmu: mutants: the unmutated strategies fail seed %d, %d vCPUs" %
                      (seed, vcpus))
                print(r.stdout)
                return 1

    free = list(works)
    free_lock = threading.Lock()
    results = {}

    def task(m):
        with free_lock:
            work = free.pop()
        try:
            line = run_mutant(top, work, m, seeds, args.ops, args.avoid,
                              make_cmd(work))
        finally:
            with free_lock:
                free.append(work)
        say(line)
        return line

    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        for m, line in zip(mutants, ex.map(task, mutants)):
            results[m[0]] = line
    bad = sum(1 for l in results.values() if not l.startswith("PASS"))
    say("mmu: %d mutants, %d not caught" % (len(mutants), bad))
    return 1 if bad or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
