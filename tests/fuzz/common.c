// SPDX-License-Identifier: GPL-2.0
/*
 * The isolation fuzzer's entry point and the helpers its modes share:
 * failures, the host's memory and KVM totals, host-physical addresses, the
 * kernel log.  tests/fuzz/README.md says what it does.
 */
#include <dirent.h>
#include <malloc.h>
#include <sys/klog.h>
#include "fuzz.h"

int fuzz_failures;
uint64_t fuzz_seed;

/*
 * One whole line per failure, from any thread: stdout's lock keeps two
 * vCPU threads' reports from interleaving (make test matches them).
 */
void fuzz_fail(const char *mode, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&fuzz_failures, 1, __ATOMIC_RELAXED) >= 50)
		return;
	flockfile(stdout);
	printf("FAIL: fuzz: %s: seed %llu: ", mode, (unsigned long long)fuzz_seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	funlockfile(stdout);
}

int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("FAIL: fuzz: open /dev/kvm: %s\n", strerror(errno));
		exit(2);
	}
	return fd;
}

long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(key);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			sscanf(line + n + 1, "%ld", &val);
	if (f)
		fclose(f);
	return val;
}

/* A line "key N" of /sys/kernel/debug/kvm/totals, or -1. */
long kvm_total(const char *key)
{
	FILE *f = fopen("/sys/kernel/debug/kvm/totals", "r");
	char name[64];
	long v, found = -1;

	while (f && fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/*
 * MemFree plus the free pages that wait in the per-CPU lists (the
 * "count:" lines of /proc/zoneinfo's pagesets), which MemFree leaves out:
 * a few MiB of them come and go with the load.
 */
long memfree_kb(void)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long pcp = 0, n;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pcp += n;
	if (f)
		fclose(f);
	return meminfo_kb("MemFree") + pcp * (sysconf(_SC_PAGESIZE) / 1024);
}

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;	/* the directory's own fd */
}

int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

char *maps_text(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	while (f && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap *= 2);

			if (!b)
				break;
			buf = b;
		}
	}
	buf[len] = 0;
	if (f)
		fclose(f);
	return buf;
}

void maps_print_new(const char *mode, const char *before)
{
	char *now = maps_text(), *line, *save;

	for (line = now ? strtok_r(now, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (!before || !strstr(before, line))
			printf("fuzz: %s: mapping not there before: %s\n", mode, line);
	free(now);
}

void drop_caches(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];
	int fd;

	sync();
	/* Slab caches give their empty pages back too. */
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				errno = 0;	/* some caches cannot shrink */
			close(fd);
		}
	}
	if (d)
		closedir(d);
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3\n", 2) != 2)
			perror("drop_caches");
		close(fd);
	}
}

uint64_t virt_to_phys(const void *va)
{
	static int fd = -1;
	uint64_t e;
	long page = sysconf(_SC_PAGESIZE);

	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)va / page * 8) != 8)
		return 0;
	if (!(e & (1ULL << 63)))
		return 0;
	e &= (1ULL << 55) - 1;
	return e * page + (uintptr_t)va % page;
}

static const char *const log_trouble[] = {
	"WARNING: CPU", "cut here", "BUG:", "Oops", "general protection fault",
	"Call Trace", "kvm: audit:",
};

/* Whether one kernel-log line shows trouble; prints the first 10. */
static bool log_line_trouble(const char *mode, const char *line, int *bad)
{
	for (size_t i = 0; i < sizeof(log_trouble) / sizeof(log_trouble[0]); i++)
		if (strstr(line, log_trouble[i])) {
			if ((*bad)++ < 10)
				fuzz_fail(mode, "kernel log: %s", line);
			return true;
		}
	return false;
}

/*
 * /dev/kmsg, opened at the start and moved to its end: the run checks
 * only what the kernel logged while it ran (what came before, such as a
 * boot-time report of the kernel's own, is lab/detect's business).
 */
static int kmsg_fd = -1;

static void kernel_log_mark(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0 && lseek(kmsg_fd, 0, SEEK_END) < 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}
}

int kernel_log_trouble(const char *mode)
{
	char *buf, *line, *save;
	int size, n, bad = 0;

	if (kmsg_fd >= 0) {
		char rec[8192];
		ssize_t len;

		/* One record a read, "prio,seq,time,flags;text\n" and KEY=value lines. */
		while ((len = read(kmsg_fd, rec, sizeof(rec) - 1)) > 0 || (len < 0 && errno == EPIPE)) {
			char *text;

			if (len <= 0)
				continue;	/* EPIPE: records were overwritten; go on */
			rec[len] = 0;
			text = strchr(rec, ';');
			text = text ? text + 1 : rec;
			text[strcspn(text, "\n")] = 0;
			log_line_trouble(mode, text, &bad);
		}
		return bad;
	}
	/* No /dev/kmsg: the whole log buffer. */
	size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (size <= 0)
		size = 1 << 20;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return 0;
	}
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_line_trouble(mode, line, &bad);
	free(buf);
	return bad;
}

bool cpu_has_vmx(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool vmx = false;

	while (f && !vmx && fgets(line, sizeof(line), f))
		vmx = !strncmp(line, "flags", 5) && strstr(line, " vmx");
	if (f)
		fclose(f);
	return vmx;
}

int fthread_start(struct fthread *ft, void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	int r;

	ft->size = 256 << 10;
	ft->stack = mmap(NULL, ft->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (ft->stack == MAP_FAILED)
		return errno;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, ft->stack, ft->size);
	r = pthread_create(&ft->t, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (r)
		munmap(ft->stack, ft->size);
	return r;
}

void fthread_join(struct fthread *ft)
{
	pthread_join(ft->t, NULL);
	munmap(ft->stack, ft->size);
}

/*
 * Runs @body in a child process (once with @warm first, if given: the
 * kernel's caches grow on a first run), then checks that the child died
 * of nothing but its own exit, and that once it and all its VMs are gone
 * the KVM totals are back and MemFree within @tol_kb of the start.
 */
#define MI_MAX 64
struct meminfo_snap {
	int n;
	char key[MI_MAX][32];
	long val[MI_MAX];
};

static void meminfo_all(struct meminfo_snap *m)
{
	FILE *f = fopen("/proc/meminfo", "r");

	m->n = 0;
	while (f && m->n < MI_MAX &&
	       fscanf(f, "%31[^:]: %ld%*[^\n]\n", m->key[m->n], &m->val[m->n]) == 2)
		m->n++;
	if (f)
		fclose(f);
}

/* The /proc/meminfo lines that moved by more than 256 kB, for a FAIL line. */
static void meminfo_diff(const char *mode, const struct meminfo_snap *a,
			 const struct meminfo_snap *b)
{
	char buf[1024];
	int len = 0;

	buf[0] = 0;
	for (int i = 0; i < a->n && i < b->n; i++)
		if (labs(b->val[i] - a->val[i]) > 256 && len < (int)sizeof(buf) - 64)
			len += snprintf(buf + len, sizeof(buf) - len, " %s %+ld",
					a->key[i], b->val[i] - a->val[i]);
	printf("fuzz: %s: /proc/meminfo changes (kB):%s\n", mode, buf);
}

int campaign(const char *mode, long tol_kb, bool leak_check,
	     int (*body)(void *), void *warm, void *arg)
{
	struct meminfo_snap mi0, mi1;
	long mem0, mem1, pin0, sp0, pin1 = -1, sp1 = -1;
	int status, rc = 0;
	pid_t pid;

	if (warm) {
		pid = fork();
		if (!pid)
			_exit(body(warm) ? 1 : 0);
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			if (WIFSIGNALED(status))
				fuzz_fail(mode, "the warm-up process died of signal %d (%s)",
					  WTERMSIG(status), strsignal(WTERMSIG(status)));
			rc = 1;
		}
	}
	drop_caches();
	mem0 = memfree_kb();
	meminfo_all(&mi0);
	pin0 = kvm_total("pinned");
	sp0 = kvm_total("shadow_pages");
	pid = fork();
	if (pid < 0) {
		fuzz_fail(mode, "fork: %s", strerror(errno));
		return 1;
	}
	if (!pid)
		_exit(body(arg) ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid) {
		fuzz_fail(mode, "waitpid: %s", strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		fuzz_fail(mode, "the fuzzing process died of signal %d (%s)",
			  WTERMSIG(status), strsignal(WTERMSIG(status)));
		rc = 1;
	} else if (WEXITSTATUS(status)) {
		rc = 1;		/* it printed its FAIL lines */
	}
	if (!leak_check)
		return rc;
	/* The last fput of a VM can trail the exit a little. */
	for (int i = 0; i < 100; i++) {
		pin1 = kvm_total("pinned");
		sp1 = kvm_total("shadow_pages");
		if (pin1 == pin0 && sp1 == sp0)
			break;
		usleep(50000);
	}
	if (pin1 != pin0 || sp1 != sp0) {
		fuzz_fail(mode, "kvm totals after every VM is gone: pinned %ld, shadow_pages %ld; at the start %ld, %ld",
			  pin1, sp1, pin0, sp0);
		rc = 1;
	} else {
		printf("PASS: fuzz: %s: kvm totals back to the start (pinned %ld, shadow_pages %ld)\n",
		       mode, pin1, sp1);
	}
	drop_caches();
	mem1 = memfree_kb();
	for (int i = 0; i < 20 && mem0 - mem1 > tol_kb; i++) {
		usleep(100000);
		drop_caches();
		mem1 = memfree_kb();
	}
	if (mem0 - mem1 > tol_kb) {
		meminfo_all(&mi1);
		meminfo_diff(mode, &mi0, &mi1);
		fuzz_fail(mode, "MemFree (with the per-CPU free lists) %ld kB after, %ld kB before: %ld kB lost (tolerance %ld kB)",
			  mem1, mem0, mem0 - mem1, tol_kb);
		rc = 1;
	} else {
		printf("PASS: fuzz: %s: MemFree (with the per-CPU free lists) back within %ld kB (%ld kB before, %ld kB after)\n",
		       mode, tol_kb, mem0, mem1);
	}
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz ioctl --seed S --calls N [--threads T]\n"
		"       fuzz iso --seed S --rounds N [--first R] [--scenario NAME] [--vcpus 1|2]\n"
		"  common: [--mem-tolerance KiB] [--no-leak-check] [--tame-segments]\n"
		"See tests/fuzz/README.md.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* One malloc arena: a thread's own arena is a mapping of its own. */
	mallopt(M_ARENA_MAX, 1);
	kernel_log_mark();
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "ioctl"))
		return fuzz_ioctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "iso"))
		return fuzz_iso_main(argc - 1, argv + 1);
	usage();
	return 2;
}
