// SPDX-License-Identifier: GPL-2.0
/*
 * The guest runtime's library: strings, printf, the console, reports,
 * checks, exit.
 */
#include "guest.h"

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (uint8_t)*a - (uint8_t)*b;
}

/*
 * n / d, with *n = quotient and the remainder returned, using only 32-bit
 * divisions (so 32-bit guests need no libgcc).  d < 65536.
 */
uint32_t divmod_small(uint64_t *n, uint32_t d)
{
	uint32_t hi = *n >> 32, lo = (uint32_t)*n;
	uint32_t qhi = hi / d, r = hi % d, cur, q1, q0;

	cur = (r << 16) | (lo >> 16);
	q1 = cur / d;
	r = cur % d;
	cur = (r << 16) | (lo & 0xffff);
	q0 = cur / d;
	r = cur % d;
	*n = ((uint64_t)qhi << 32) | (q1 << 16) | q0;
	return r;
}

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_num(struct out *o, uint64_t v, unsigned base, bool neg,
		    int width, char pad, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		if (base == 16) {
			tmp[n++] = digits[v & 0xf];
			v >>= 4;
		} else {
			tmp[n++] = digits[divmod_small(&v, base)];
		}
	} while (v);
	if (neg)
		width--;
	if (neg && pad == '0')
		out_c(o, '-');
	for (; width > n; width--)
		out_c(o, pad);
	if (neg && pad != '0')
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
}

/* %[-0][width][l|ll|z](d|i|u|x|X|p|s|c|%) */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		bool left = false;
		char pad = ' ';
		uint64_t v;
		const char *s;
		int len;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '-') {
			left = true;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng += *fmt == 'z' ? (sizeof(size_t) == 8 ? 2 : 1) : 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t sv = lng >= 2 ? va_arg(ap, long long) :
				     lng == 1 ? va_arg(ap, long) : va_arg(ap, int);

			out_num(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10,
				sv < 0, width, pad, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = lng >= 2 ? va_arg(ap, unsigned long long) :
			    lng == 1 ? va_arg(ap, unsigned long) :
				       va_arg(ap, unsigned int);
			out_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad,
				*fmt == 'X');
			break;
		case 'p':
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, (ulong)va_arg(ap, void *), 16, false, width,
				pad, false);
			break;
		case 'c':
			out_c(&o, (char)va_arg(ap, int));
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			len = strlen(s);
			if (!left)
				for (; width > len; width--)
					out_c(&o, ' ');
			while (*s)
				out_c(&o, *s++);
			for (; width > len; width--)
				out_c(&o, ' ');
			break;
		case '%':
			out_c(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			out_c(&o, '%');
			out_c(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/*
 * The serial console: wait for the transmitter (LSR bit 5), then up to 16
 * bytes (the 16550's FIFO) with one REP OUTSB.
 */
void console_write(const char *s, size_t n)
{
	while (n) {
		size_t chunk = n < 16 ? n : 16;

		while (!(inb(PORT_SERIAL_LSR) & 0x20))
			cpu_relax();
		outsb(PORT_SERIAL, s, chunk);
		s += chunk;
		n -= chunk;
	}
}

int printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

void reportf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	outsb(PORT_REPORT, buf, n);
}

void report(const char *key, uint64_t value)
{
	reportf("%s=%llu", key, (unsigned long long)value);
}

void report_hex(const char *key, uint64_t value)
{
	reportf("%s=0x%llx", key, (unsigned long long)value);
}

void report_str(const char *key, const char *value)
{
	reportf("%s=%s", key, value);
}

unsigned failures, checks;

bool check(bool ok, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	checks++;
	if (ok)
		return true;
	failures++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("check failed: %s\n", buf);
	return false;
}

bool check_eq(const char *what, uint64_t got, uint64_t want)
{
	return check(got == want, "%s: got 0x%llx, want 0x%llx", what,
		     (unsigned long long)got, (unsigned long long)want);
}

void exit(int code)
{
	for (;;) {
		outl(PORT_EXIT, code);
		asm volatile("cli; hlt");
	}
}

void stop(void)
{
	for (;;) {
		outl(PORT_STOP, 0);
		asm volatile("cli; hlt");
	}
}
