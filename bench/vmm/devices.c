// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: the devices.  The guest touches no real device: every port and
 * MMIO access it makes to these comes here through KVM_EXIT_IO or
 * KVM_EXIT_MMIO.  bench/README.md documents them.
 *
 *   0x3f8-0x3ff    serial console (COM1): OUT 0x3f8 prints a character,
 *                  LSR (0x3fd) reads 0x60, the other registers read 0
 *   0xe0-0xef      PIO test device
 *   0xf0           report: "key=value\n", byte by byte
 *   0xf4           exit: OUT of any size ends the run with that status
 *   0xf5           stop: OUT of any size stops this vCPU
 *   0xd0000000     MMIO test device, 4 KiB
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

static void out__write(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(1, buf, len);

		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/* With vm->lock held. */
void console__flush(struct vm *vm)
{
	out__write(vm->console, vm->console_len);
	vm->console_len = 0;
}

/* With vm->lock held: a whole line on stdout (a partial console line stays). */
static void out__line(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void out__line(struct vm *vm __attribute__((unused)),
		      const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	out__write(buf, n);
}

static void serial__putc(struct vm *vm, uint8_t c)
{
	vm->console[vm->console_len++] = c;
	if (c == '\n' || vm->console_len == sizeof(vm->console))
		console__flush(vm);
}

static uint64_t get_le(const uint8_t *p, int size)
{
	uint64_t v = 0;
	int i;

	for (i = size - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put_le(uint8_t *p, int size, uint64_t v)
{
	int i;

	for (i = 0; i < size; i++, v >>= 8)
		p[i] = v & 0xff;
}

/* The PIO test device's pattern: byte of each port, 0xe0..0xe7 (+3). */
uint8_t pio_rom_byte(unsigned port)
{
	return (port * 11 + 0x3c) & 0xff;
}

/* The MMIO test device's pattern: byte at each offset below 0x800. */
uint8_t mmio_rom_byte(unsigned offset)
{
	return (offset * 13 + 0x5a + (offset >> 8)) & 0xff;
}

/* The report port: the vCPU's "key=value" line so far, printed at '\n'. */
static enum action report__putc(struct vcpu *vcpu, uint8_t c)
{
	struct vm *vm = vcpu->vm;
	size_t i, eq = 0;

	if (c != '\n') {
		if (vcpu->report_len >= sizeof(vcpu->report) - 1 ||
		    c < 0x20 || c > 0x7e) {
			vcpu->report[vcpu->report_len] = 0;
			vmm__msg(vm, "vcpu %d: bad report: '%s' then 0x%02x",
				 vcpu->id, vcpu->report, c);
			vcpu->exit_status = VMM_EXIT_NO_DEVICE;
			return ACT_EXIT;
		}
		vcpu->report[vcpu->report_len++] = c;
		return ACT_CONTINUE;
	}
	vcpu->report[vcpu->report_len] = 0;
	for (i = 0; i < vcpu->report_len; i++) {
		char k = vcpu->report[i];

		if (k == '=') {
			eq = i;
			break;
		}
		if (!((k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') ||
		      (k >= '0' && k <= '9') || k == '_' || k == '.' ||
		      k == '-' || k == '/' || k == ':'))
			break;
	}
	if (!eq) {
		vmm__msg(vm, "vcpu %d: bad report: '%s' is not key=value",
			 vcpu->id, vcpu->report);
		vcpu->exit_status = VMM_EXIT_NO_DEVICE;
		return ACT_EXIT;
	}
	pthread_mutex_lock(&vm->lock);
	out__line(vm, "%s", vcpu->report);
	pthread_mutex_unlock(&vm->lock);
	vcpu->report_len = 0;
	return ACT_CONTINUE;
}

static enum action io__no_device(struct vcpu *vcpu, uint16_t port, int size,
				 bool out, uint8_t *data, uint32_t count)
{
	struct vm *vm = vcpu->vm;

	if (vm->opt.lenient) {
		if (!out)
			memset(data, 0xff, (size_t)size * count);
		return ACT_CONTINUE;
	}
	vmm__msg(vm, "vcpu %d: no device at port 0x%x (%s, size %d, count %u)",
		 vcpu->id, port, out ? "out" : "in", size, count);
	vcpu__dump(vcpu);
	vcpu->exit_status = VMM_EXIT_NO_DEVICE;
	return ACT_EXIT;
}

/* The PIO test device, one element.  With vm->lock held. */
static void pio_test__access(struct vm *vm, uint16_t port, int size, bool out,
			     uint8_t *data)
{
	int i;

	if (out)
		out__line(vm, "pio: out 0x%02x %d 0x%0*" PRIx64, port, size,
			  2 * size, get_le(data, size));
	if (port >= PORT_TEST_SEQ) {
		if (out) {
			vm->pio_seq = get_le(data, size);
		} else {
			put_le(data, size, vm->pio_seq);
			vm->pio_seq++;
		}
	} else if (port >= PORT_TEST_SCRATCH) {
		for (i = 0; i < size; i++) {
			unsigned off = port - PORT_TEST_SCRATCH + i;

			if (off >= sizeof(vm->pio_scratch))
				break;
			if (out)
				vm->pio_scratch[off] = data[i];
			else
				data[i] = vm->pio_scratch[off];
		}
	} else if (!out) {
		for (i = 0; i < size; i++)
			data[i] = pio_rom_byte(port + i);
	}
}

enum action io__handle(struct vcpu *vcpu, uint16_t port, int size, bool out,
		       uint8_t *data, uint32_t count)
{
	struct vm *vm = vcpu->vm;
	enum action act;
	uint32_t i;

	if (size != 1 && size != 2 && size != 4) {
		vmm__msg(vm, "vcpu %d: port 0x%x: I/O of size %d", vcpu->id,
			 port, size);
		vcpu->exit_status = VMM_EXIT_UNHANDLED;
		return ACT_EXIT;
	}

	switch (port) {
	case PORT_SERIAL ... PORT_SERIAL + 7:
		pthread_mutex_lock(&vm->lock);
		for (i = 0; i < count; i++, data += size) {
			if (out) {
				if (port == PORT_SERIAL)
					serial__putc(vm, data[0]);
				continue;
			}
			memset(data, 0, size);
			if (port == PORT_SERIAL_LSR)
				data[0] = 0x60;	/* THR and transmitter empty */
			else if (port == PORT_SERIAL + 2)
				data[0] = 0x01;	/* IIR: no interrupt pending */
		}
		pthread_mutex_unlock(&vm->lock);
		return ACT_CONTINUE;

	case PORT_TEST_BASE ... PORT_TEST_END - 1:
		pthread_mutex_lock(&vm->lock);
		for (i = 0; i < count; i++, data += size)
			pio_test__access(vm, port, size, out, data);
		pthread_mutex_unlock(&vm->lock);
		return ACT_CONTINUE;

	case PORT_REPORT:
		if (!out || size != 1)
			break;
		for (i = 0; i < count; i++) {
			act = report__putc(vcpu, data[i]);
			if (act != ACT_CONTINUE)
				return act;
		}
		return ACT_CONTINUE;

	case PORT_EXIT: {
		uint64_t code;

		if (!out)
			break;
		code = get_le(data, size);
		if (code > VMM_GUEST_MAX) {
			vmm__msg(vm, "vcpu %d: guest exit code %" PRIu64 " (0x%" PRIx64 "): exiting with %d",
				 vcpu->id, code, code, VMM_GUEST_MAX);
			code = VMM_GUEST_MAX;
		}
		vcpu->exit_status = code;
		return ACT_EXIT;
	}

	case PORT_STOP:
		if (!out)
			break;
		return ACT_STOP;
	}
	return io__no_device(vcpu, port, size, out, data, count);
}

enum action mmio__handle(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
			 uint32_t len, bool write)
{
	struct vm *vm = vcpu->vm;
	uint64_t off = addr - MMIO_TEST_BASE;
	uint32_t i;

	if (addr < MMIO_TEST_BASE || off + len > MMIO_TEST_SIZE || len > 8) {
		if (vm->opt.lenient) {
			if (!write)
				memset(data, 0xff, len > 8 ? 8 : len);
			return ACT_CONTINUE;
		}
		vmm__msg(vm, "vcpu %d: no device at MMIO 0x%" PRIx64 " (%s, len %u)",
			 vcpu->id, addr, write ? "write" : "read", len);
		vcpu__dump(vcpu);
		vcpu->exit_status = VMM_EXIT_NO_DEVICE;
		return ACT_EXIT;
	}

	pthread_mutex_lock(&vm->lock);
	if (write)
		out__line(vm, "mmio: write 0x%" PRIx64 " %u 0x%0*" PRIx64,
			  addr, len, 2 * len, get_le(data, len));
	for (i = 0; i < len; i++) {
		unsigned o = off + i;

		if (o >= MMIO_TEST_RAM) {
			if (write)
				vm->mmio_ram[o - MMIO_TEST_RAM] = data[i];
			else
				data[i] = vm->mmio_ram[o - MMIO_TEST_RAM];
		} else if (!write) {
			data[i] = mmio_rom_byte(o);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return ACT_CONTINUE;
}
