// SPDX-License-Identifier: GPL-2.0
/*
 * labtool: small probes the lab tests run inside the lab machine.  Built
 * static, so the same binary runs in the svm chroot and the vmx initramfs.
 *
 *   labtool api-version            print KVM_GET_API_VERSION of /dev/kvm
 *   labtool ioctl-errno NR         issue a system ioctl with no argument,
 *                                  print the errno it fails with (or "ok N")
 *   labtool rdmsr CPU MSR          print an MSR of one CPU, in hex
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "labtool: /dev/kvm: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static unsigned long parse_num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0') {
		fprintf(stderr, "labtool: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int cmd_api_version(void)
{
	int fd = open_kvm();
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);

	if (v < 0) {
		fprintf(stderr, "labtool: KVM_GET_API_VERSION: %s\n", strerror(errno));
		return 1;
	}
	printf("%d\n", v);
	close(fd);
	return 0;
}

static int cmd_ioctl_errno(const char *nr)
{
	int fd = open_kvm();
	int r = ioctl(fd, parse_num(nr), 0);

	if (r < 0)
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok %d\n", r);
	close(fd);
	return 0;
}

static int cmd_rdmsr(const char *cpu, const char *msr)
{
	char path[64];
	uint64_t val;
	int fd;

	snprintf(path, sizeof(path), "/dev/cpu/%lu/msr", parse_num(cpu));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "labtool: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (pread(fd, &val, sizeof(val), parse_num(msr)) != sizeof(val)) {
		fprintf(stderr, "labtool: rdmsr %s on CPU %s: %s\n", msr, cpu,
			strerror(errno));
		return 1;
	}
	printf("0x%" PRIx64 "\n", val);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "api-version"))
		return cmd_api_version();
	if (argc == 3 && !strcmp(argv[1], "ioctl-errno"))
		return cmd_ioctl_errno(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "rdmsr"))
		return cmd_rdmsr(argv[2], argv[3]);
	fprintf(stderr, "usage: labtool api-version | ioctl-errno NR | rdmsr CPU MSR\n");
	return 2;
}
