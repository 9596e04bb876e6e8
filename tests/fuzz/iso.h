/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz iso: the guest's code (iso-guest.c), as iso.c places and runs it.
 */
#ifndef FUZZ_ISO_H
#define FUZZ_ISO_H

#include <stdint.h>

/*
 * The guest, 64-bit and 32-bit: guestNN from its first byte to guestNN_end,
 * its exception handler at guestNN_handler, and its OP_EMUL stubs, 32
 * bytes each, from guestNN_stubs (N_STUBSNN of them).
 */
extern const uint8_t guest64[], guest64_end[], guest64_handler[];
extern const uint8_t guest32[], guest32_end[], guest32_handler[];
extern const uint8_t guest64_stubs[], guest64_stubs_end[];
extern const uint8_t guest32_stubs[], guest32_stubs_end[];
#define N_STUBS64	20
#define N_STUBS32	16

#endif
