#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The checksums paging.c must report, computed on the host from the same
definitions (see paging.c): prints paging.read_checksum and
paging.write_checksum for each variant, to compare with paging-*.expected.

    tests/lab/guests/paging-checksums.py
"""

M32 = 0xffffffff
WIN_PAGES = (64 << 20) >> 12


def mix(x):
    x ^= x >> 16
    x = (x * 0x7feb352d) & M32
    x ^= x >> 15
    x = (x * 0x846ca68b) & M32
    x ^= x >> 16
    return x


def step(s, word, v):
    return (((s << 5) | (s >> 27)) & M32) ^ ((word + v) & M32)


def checksums(page_shift):
    unit_pages = 1 << (page_shift - 12)
    units = WIN_PAGES // unit_pages

    def phys(v):
        if page_shift == 30:
            return v
        u = v // unit_pages
        return (((u * 0x9e3779b1 + 0x7f4a7c15) & M32) & (units - 1)) * unit_pages + v % unit_pages

    r = 0
    for v in range(WIN_PAGES):
        j = phys(v)
        for k in range(4):
            r = step(r, mix((4 * j + k) & M32), v)
    w = 0
    for v in range(WIN_PAGES):
        w = step(w, mix(0x80000000 + v), phys(v))
    return r, w


for name, shift in [("prot32-4k", 12), ("prot32-4m", 22), ("pae-4k", 12),
                    ("pae-2m", 21), ("4k", 12), ("2m", 21), ("1g", 30)]:
    r, w = checksums(shift)
    print(f"paging-{name}: paging.read_checksum=0x{r:x} paging.write_checksum=0x{w:x}")
