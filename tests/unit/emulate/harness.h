/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared parts of the emulator's unit tests: check groups and their report
 * lines, a seeded PRNG, and a memory model for the emulator's callbacks
 * that logs every access and can make a read return X86EMU_EXIT or a
 * read or write return X86EMU_FAULT.
 */
#ifndef EMULATE_TEST_HARNESS_H
#define EMULATE_TEST_HARNESS_H

#include <stddef.h>
#include "emulate.h"

/* ---- Check groups --------------------------------------------------- */

/*
 * A group prints one line when it ends:
 *   PASS: emulate: NAME: N cases
 *   FAIL: emulate: NAME: F of N cases failed; first: WHY
 * Each failing case also prints a detail line (indented, at most a few
 * per group) before that.
 */
struct group {
	const char *name;
	unsigned long cases;
	unsigned long failed;
	char first[512];
	bool case_failed;	/* the current case failed already */
};

extern unsigned long total_failed_groups;

void group_begin(struct group *g, const char *name);
void case_begin(struct group *g);
void case_end(struct group *g);
/* Fail the current case (once per case counted; details printed). */
void case_fail(struct group *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void group_end(struct group *g);

/* ---- PRNG ----------------------------------------------------------- */

void rnd_seed(u64 seed);
u64 rnd(void);
static inline u64 rnd_below(u64 n) { return n ? rnd() % n : 0; }
static inline bool chance(unsigned int one_in) { return rnd_below(one_in) == 0; }

/* ---- Memory model --------------------------------------------------- */

#define TMEM_MAX_WINDOWS	4
#define TMEM_MAX_LOG		8

struct tmem_window {
	u64 gva;		/* linear address of bytes[0] */
	u8 *bytes;
	size_t size;
	bool readonly;		/* a write here is a test failure */
};

struct tmem_access {
	char kind;		/* 'r' or 'w' */
	u64 gva;
	unsigned int size;
	u64 val;
};

struct tmem {
	struct tmem_window win[TMEM_MAX_WINDOWS];
	unsigned int nwin;
	/* Or: every read returns fixed_val, writes are only logged. */
	bool fixed;
	u64 fixed_val;
	u64 fixed_hi;		/* bytes 8-15 of a longer read (a far pointer) */

	/* Injection: the nth read / write (0-based) returns this result. */
	int read_inject_at, write_inject_at;	/* -1: never */
	enum x86_emu_result read_inject, write_inject;
	struct x86_emu_exception inject_exc;

	/* What happened in this call of x86_emulate(). */
	struct tmem_access log[TMEM_MAX_LOG];
	unsigned int nlog, nreads, nwrites;
	char err[256];		/* first protocol error: bad address, order, size */
};

extern const struct x86_emu_ops tmem_ops;

void tmem_init(struct tmem *m);
void tmem_add(struct tmem *m, u64 gva, void *bytes, size_t size, bool readonly);
/* Forget the log and the error (before each x86_emulate call). */
void tmem_reset_log(struct tmem *m);

/* ---- Helpers -------------------------------------------------------- */

/* "8b 04 25 ..." -> bytes; returns the count. */
unsigned int hex_bytes(const char *hex, u8 *out, unsigned int max);
/* bytes -> "8b 04 25" (static buffer, for messages). */
const char *bytes_hex(const u8 *b, unsigned int n);
const char *mode_name(enum x86_emu_mode mode);
const char *result_name(enum x86_emu_result r);

/* Groups defined in the other files. */
void table_tests(void);
void callback_tests(void);
/* Register numbers, as in the ModRM encoding and c->regs[]. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* The registers every table case starts from (tables.c). */
extern const u64 def_regs[16];
void string_tests(void);
void arith_tests(unsigned long per_template);
void sse_tests(void);
/* ops->read for the native tests: this program's memory at gva. */
enum x86_emu_result flat_read(struct x86_emu_ctxt *c, u64 gva, void *val,
			      unsigned int size);
void native_tests(unsigned long per_template);
void sreg_tests(void);
void mmx_tests(void);

#endif
