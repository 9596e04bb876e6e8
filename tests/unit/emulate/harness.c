// SPDX-License-Identifier: GPL-2.0
/* Check groups, PRNG, memory model and helpers of the emulator's tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define MAX_DETAILS	5	/* detail lines per group */

unsigned long total_failed_groups;

void group_begin(struct group *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	g->name = name;
}

void case_begin(struct group *g)
{
	g->cases++;
	g->case_failed = false;
}

void case_end(struct group *g)
{
	(void)g;
}

void case_fail(struct group *g, const char *fmt, ...)
{
	char msg[sizeof(g->first)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g->case_failed)
		return;
	g->case_failed = true;
	if (g->failed++ == 0)
		snprintf(g->first, sizeof(g->first), "%s", msg);
	if (g->failed <= MAX_DETAILS)
		printf("    %s: case %lu: %s\n", g->name, g->cases, msg);
}

void group_end(struct group *g)
{
	if (g->failed) {
		total_failed_groups++;
		printf("FAIL: emulate: %s: %lu of %lu cases failed; first: %s\n",
		       g->name, g->failed, g->cases, g->first);
	} else if (g->cases == 0) {
		total_failed_groups++;
		printf("FAIL: emulate: %s: no cases ran\n", g->name);
	} else {
		printf("PASS: emulate: %s: %lu cases\n", g->name, g->cases);
	}
	fflush(stdout);
}

/* ---- PRNG: xoshiro256** seeded by splitmix64 ------------------------ */

static u64 rs[4];

static u64 rotl(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rnd_seed(u64 seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		u64 z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rs[i] = z ^ (z >> 31);
	}
}

u64 rnd(void)
{
	u64 r = rotl(rs[1] * 5, 7) * 9;
	u64 t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* ---- Memory model --------------------------------------------------- */

void tmem_init(struct tmem *m)
{
	memset(m, 0, sizeof(*m));
	m->read_inject_at = -1;
	m->write_inject_at = -1;
}

void tmem_add(struct tmem *m, u64 gva, void *bytes, size_t size, bool readonly)
{
	if (m->nwin == TMEM_MAX_WINDOWS)
		abort();
	m->win[m->nwin++] = (struct tmem_window){ gva, bytes, size, readonly };
}

void tmem_reset_log(struct tmem *m)
{
	m->nlog = m->nreads = m->nwrites = 0;
	m->err[0] = 0;
}

static void tmem_err(struct tmem *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tmem_err(struct tmem *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

static u8 *tmem_find(struct tmem *m, u64 gva, unsigned int size, bool write)
{
	unsigned int i;

	for (i = 0; i < m->nwin; i++) {
		struct tmem_window *w = &m->win[i];

		if (gva - w->gva < w->size && gva - w->gva + size <= w->size) {
			if (write && w->readonly)
				break;
			return w->bytes + (gva - w->gva);
		}
	}
	tmem_err(m, "%s of %u bytes at %#llx, outside the test's memory",
		 write ? "write" : "read", size, (unsigned long long)gva);
	return NULL;
}

static void tmem_log(struct tmem *m, char kind, u64 gva, unsigned int size,
		     const void *val)
{
	struct tmem_access *a;
	u64 v = 0;

	/* 6 and 10: a far pointer, m16:32 or m16:64 (FF /5). */
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != 6 &&
	    size != 10)
		tmem_err(m, "access size %u", size);
	if (m->nlog == TMEM_MAX_LOG) {
		tmem_err(m, "more than %d accesses", TMEM_MAX_LOG);
		return;
	}
	if (val && size <= 8)
		memcpy(&v, val, size);
	a = &m->log[m->nlog++];
	*a = (struct tmem_access){ kind, gva, size, v };
}

static enum x86_emu_result tmem_read(struct x86_emu_ctxt *c, u64 gva,
				     void *val, unsigned int size)
{
	struct tmem *m = c->opaque;
	unsigned int n = m->nreads++;
	u8 *p;

	if (m->nwrites)
		tmem_err(m, "read at %#llx after a write", (unsigned long long)gva);
	if ((int)n == m->read_inject_at) {
		tmem_log(m, 'r', gva, size, NULL);
		if (m->read_inject == X86EMU_FAULT)
			return x86_emu_raise(c, m->inject_exc.vector,
					     m->inject_exc.has_error,
					     m->inject_exc.error_code, gva);
		return m->read_inject;
	}
	if (m->fixed) {
		memcpy(val, &m->fixed_val, size <= 8 ? size : 8);
		if (size > 8)
			memcpy((u8 *)val + 8, &m->fixed_hi, size - 8);
		tmem_log(m, 'r', gva, size, val);
		return X86EMU_DONE;
	}
	p = tmem_find(m, gva, size, false);
	if (!p) {
		memset(val, 0, size <= 8 ? size : 8);
		tmem_log(m, 'r', gva, size, NULL);
		return X86EMU_DONE;
	}
	memcpy(val, p, size <= 8 ? size : 8);
	tmem_log(m, 'r', gva, size, val);
	return X86EMU_DONE;
}

static enum x86_emu_result tmem_write(struct x86_emu_ctxt *c, u64 gva,
				      const void *val, unsigned int size)
{
	struct tmem *m = c->opaque;
	unsigned int n = m->nwrites++;
	u8 *p;

	tmem_log(m, 'w', gva, size, val);
	if ((int)n == m->write_inject_at) {
		if (m->write_inject == X86EMU_FAULT)
			return x86_emu_raise(c, m->inject_exc.vector,
					     m->inject_exc.has_error,
					     m->inject_exc.error_code, gva);
		tmem_err(m, "a write cannot return %s", result_name(m->write_inject));
		return m->write_inject;
	}
	if (m->fixed)
		return X86EMU_DONE;
	p = tmem_find(m, gva, size, true);
	if (p)
		memcpy(p, val, size <= 8 ? size : 8);
	return X86EMU_DONE;
}

const struct x86_emu_ops tmem_ops = {
	.read = tmem_read,
	.write = tmem_write,
};

/* ---- Helpers -------------------------------------------------------- */

unsigned int hex_bytes(const char *hex, u8 *out, unsigned int max)
{
	unsigned int n = 0;
	char *end;

	while (*hex) {
		unsigned long v;

		while (*hex == ' ')
			hex++;
		if (!*hex)
			break;
		v = strtoul(hex, &end, 16);
		if (end == hex || v > 0xff || n == max) {
			fprintf(stderr, "bad hex bytes: %s\n", hex);
			abort();
		}
		out[n++] = v;
		hex = end;
	}
	return n;
}

const char *bytes_hex(const u8 *b, unsigned int n)
{
	static char buf[4][64];
	static int which;
	char *s = buf[which++ & 3], *p = s;
	unsigned int i;

	s[0] = 0;
	for (i = 0; i < n && i < 20; i++)
		p += sprintf(p, i ? " %02x" : "%02x", b[i]);
	return s;
}

const char *mode_name(enum x86_emu_mode mode)
{
	switch (mode) {
	case X86_EMU_REAL:
		return "real";
	case X86_EMU_PROT16:
		return "prot16";
	case X86_EMU_PROT32:
		return "prot32";
	case X86_EMU_LONG64:
		return "long64";
	}
	return "?";
}

const char *result_name(enum x86_emu_result r)
{
	switch (r) {
	case X86EMU_DONE:
		return "DONE";
	case X86EMU_EXIT:
		return "EXIT";
	case X86EMU_FAULT:
		return "FAULT";
	case X86EMU_UNHANDLED:
		return "UNHANDLED";
	case X86EMU_RETRY:
		return "RETRY";
	}
	return "?";
}

/* The native tests' reads: the test program's own memory at @gva. */
enum x86_emu_result flat_read(struct x86_emu_ctxt *c, u64 gva, void *val,
			      unsigned int size)
{
	(void)c;
	memcpy(val, (const void *)(unsigned long)gva, size);
	return X86EMU_DONE;
}
