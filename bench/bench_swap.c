// SPDX-License-Identifier: MIT
/*
 * Swap benchmark: swap-out and swap-in throughput and per-page latency of
 * 64 MiB of user memory, beside the host floor measured in the same run.
 *
 * 1. mmkit. A machine of mem=128M with a 256 MiB swap file (swap=) in a
 *    fresh directory under $TMPDIR (or /tmp). 64 MiB are mapped (private,
 *    anonymous) and every word of every page written (untimed). Swap-out:
 *    one mmk_madvise(MADV_PAGEOUT) of the 64 MiB, which returns when the
 *    pages are written to the swap file and their frames freed (VmSwap
 *    64 MiB, RSS 0: checked). Swap-in: one load per page in address order;
 *    each load of a page on swap is a major fault that reads it (with
 *    readahead of the slots after it) and maps it, and each load of a page
 *    readahead brought is a minor fault that maps it from the swap cache.
 *    No memory pressure: 64 MiB fit in RAM, so reclaim never runs and the
 *    figure is swap I/O and the fault path alone. Every word is then
 *    checked (untimed); a single wrong byte ends the program with status 1.
 *
 * 2. The host floor (the definition): per 4 KiB page, the 4 KiB of
 *    file I/O and the one host mapping call that any swap-out or swap-in of
 *    the page needs, nothing else. The "RAM" is a memfd of 64 MiB (written,
 *    so every page exists), mapped once whole (the direct map) and once
 *    more, page by page, at a "user" range. Out: pwrite() of the page from
 *    the direct map to a file in the same directory as the swap file, at
 *    the page's offset, then mmap(MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
 *    PROT_NONE) over the page's user address, which revokes it. In: pread()
 *    of the page from that file into the direct map, then mmap(MAP_FIXED |
 *    MAP_SHARED | MAP_POPULATE) of the memfd page at the user address, then
 *    the same load as mmkit's. Between out and in the memfd is zeroed
 *    (untimed), so what the in-pass reads back is checked as mmkit's is.
 *    The file is written and read through the host page cache, as mmkit's
 *    swap file is (both were just written: neither pass waits on a disk).
 *
 * 3. Passes and rounds. Each round boots a fresh machine, makes fresh files
 *    and runs three passes over the same 64 MiB, each pass: write (untimed),
 *    out, in, check, first mmkit, then the floor, so both see the same
 *    background. Pass 1 ("cold") writes slots and file blocks that have
 *    never been written (the host allocates them); passes 2 and 3 write them
 *    again. Rounds: --rounds N (default 5), --quick (1); figures are the
 *    median round of each pass, the ratio is the median of the rounds'
 *    ratios (mmkit throughput / floor throughput, so above 1 is faster),
 *    with their range.
 *
 * 4. Per-page latency. "ns/page" is the pass's time divided by its pages,
 *    for both sides. For swap-in each load (mmkit) or each pread + mmap +
 *    load (floor) is also timed alone (CLOCK_MONOTONIC around it, ~20 ns
 *    of its own): median, 99th percentile and worst, last round. mmkit's
 *    median is a readahead hit (a minor fault), its tail a major fault with
 *    its readahead I/O. Swap-out is one call for mmkit: no per-page times.
 *    A pass lasts ~0.1 s, so one preemption of a few ms (other processes on
 *    the CPU) moves its throughput by several percent; the per-page medians
 *    are what such noise leaves alone, and their ratio is printed beside
 *    them.
 *
 * 5. Target (issue "Done when", informational: a MISS does not fail the
 *    run): a sequential swap-in of 64 MiB at no less than half the floor's
 *    throughput (mmkit / floor >= 0.5). The program exits non-zero only when
 *    a boot, a mapping, MADV_PAGEOUT, a data check or mmk_check fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <mmkit/mmkit.h>
#include <mmkit/linux.h>
#include <mmkit/mman.h>

#include "bench_util.h"

#define TARGET_IN	0.5	/* swap-in throughput / host floor, at least */

#define MEM		"mem=128M"
#define SWAP_SIZE	"256M"
#define SIZE		(64UL << 20)
#define PAGE		4096UL
#define PAGES		(SIZE / PAGE)
#define NR_PASSES	3

static int rounds = 5;
static bool verbose;

static void die(const char *what)
{
	fprintf(stderr, "bench_swap: %s\n", what);
	exit(1);
}

static void die_errno(const char *what)
{
	fprintf(stderr, "bench_swap: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- data -------------------------------------------------------------------- */

static inline uint64_t pattern(uint64_t page, uint64_t w, uint64_t salt)
{
	uint64_t x = (page << 12 | w) ^ salt;

	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

static void fill(char *p, uint64_t salt)
{
	for (size_t i = 0; i < PAGES; i++) {
		uint64_t *w = (uint64_t *)(p + i * PAGE);

		for (size_t k = 0; k < PAGE / 8; k++)
			w[k] = pattern(i, k, salt);
	}
}

/* Pages of @p that differ from the pattern. */
static size_t bad_pages(const char *p, uint64_t salt)
{
	size_t bad = 0;

	for (size_t i = 0; i < PAGES; i++) {
		const uint64_t *w = (const uint64_t *)(p + i * PAGE);

		for (size_t k = 0; k < PAGE / 8; k++)
			if (w[k] != pattern(i, k, salt)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* ---- counters ------------------------------------------------------------------ */

static char *report(const char *name)
{
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("open_memstream");
	if (mmk_report(name, f)) {
		fclose(f);
		fprintf(stderr, "bench_swap: mmk_report(\"%s\") failed\n", name);
		exit(1);
	}
	fclose(f);
	return text;
}

/* "name value" (vmstat) or "Name:   value kB" (meminfo, self/status), or -1. */
static long long field(const char *text, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, nlen) && (l[nlen] == ' ' || l[nlen] == ':'))
			return strtoll(l + nlen + 1, NULL, 10);
	return -1;
}

struct counters {
	long long pswpout, pswpin, pgmajfault, pgfault, swap_ra, swap_ra_hit;
	long long vmswap, rss, swap_free, swap_total;
};

static void read_counters(struct counters *c)
{
	char *t = report("vmstat");

	c->pswpout = field(t, "pswpout");
	c->pswpin = field(t, "pswpin");
	c->pgmajfault = field(t, "pgmajfault");
	c->pgfault = field(t, "pgfault");
	c->swap_ra = field(t, "swap_ra");
	c->swap_ra_hit = field(t, "swap_ra_hit");
	free(t);
	t = report("self/status");
	c->vmswap = field(t, "VmSwap");
	c->rss = field(t, "VmRSS");
	free(t);
	t = report("meminfo");
	c->swap_free = field(t, "SwapFree");
	c->swap_total = field(t, "SwapTotal");
	free(t);
	if (c->pswpout < 0 || c->pswpin < 0 || c->pgmajfault < 0 || c->pgfault < 0 ||
	    c->swap_ra < 0 || c->swap_ra_hit < 0 || c->vmswap < 0 || c->rss < 0 ||
	    c->swap_free < 0 || c->swap_total < 0)
		die("a report lacks a counter this benchmark reads (pswpout, pswpin, "
		    "pgmajfault, pgfault, swap_ra, swap_ra_hit, VmSwap, VmRSS, SwapFree, SwapTotal)");
}

/* ---- one pass ------------------------------------------------------------------- */

enum { OUT, IN, NR_DIRS };

struct sample {
	double mmk_ns[NR_DIRS], host_ns[NR_DIRS];	/* the pass, whole */
	double ratio[NR_DIRS];				/* throughput mmkit / host */
	long long pages_out, majflt, minflt, pswpin, ra, ra_hit;
	double mmk_lat[3], host_lat[3], host_out_lat[3];/* median, p99, max (ns) */
};

static struct sample samples[BENCH_MAX_ROUNDS][NR_PASSES];
static double *lat;	/* per page, one loop */
static volatile unsigned long sink;

static void percentiles(double *v, size_t n, double out[3])
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	out[0] = v[n / 2];
	out[1] = v[n * 99 / 100];
	out[2] = v[n - 1];
}

/* The machine's side of one pass. */
static void mmk_pass(char *p, uint64_t salt, struct sample *s)
{
	struct counters a, b, c;
	unsigned long sum = 0;
	double t0, t1;

	fill(p, salt);
	read_counters(&a);
	t0 = bench_now_ns();
	if (mmk_madvise(p, SIZE, MADV_PAGEOUT))
		die_errno("mmk_madvise(MADV_PAGEOUT)");
	s->mmk_ns[OUT] = bench_now_ns() - t0;
	read_counters(&b);
	s->pages_out = b.pswpout - a.pswpout;
	if (b.vmswap != (long long)(SIZE >> 10) || b.rss != 0)
		fprintf(stderr, "bench_swap: after MADV_PAGEOUT VmSwap is %lld kB and VmRSS %lld kB "
			"(expected %lu and 0): the swap-out figure covers %lld pages\n",
			b.vmswap, b.rss, SIZE >> 10, s->pages_out);
	if (s->pages_out <= 0)
		die("MADV_PAGEOUT wrote no page: is swap on?");

	t0 = bench_now_ns();
	for (size_t i = 0; i < PAGES; i++) {
		double l0 = bench_now_ns();

		sum += *(volatile unsigned char *)(p + i * PAGE);
		t1 = bench_now_ns();
		lat[i] = t1 - l0;
	}
	s->mmk_ns[IN] = bench_now_ns() - t0;
	sink = sum;
	read_counters(&c);
	s->majflt = c.pgmajfault - b.pgmajfault;
	s->minflt = (c.pgfault - b.pgfault) - s->majflt;
	s->pswpin = c.pswpin - b.pswpin;
	s->ra = c.swap_ra - b.swap_ra;
	s->ra_hit = c.swap_ra_hit - b.swap_ra_hit;
	percentiles(lat, PAGES, s->mmk_lat);
	if (bad_pages(p, salt))
		die("pages read back from swap differ from what was written");
}

/* The floor's side of one pass. */
struct floor {
	int memfd, fd;
	char *ram, *user;
};

static void host_pass(struct floor *f, uint64_t salt, struct sample *s)
{
	unsigned long sum = 0;
	double t0, t1;

	fill(f->user, salt);
	t0 = bench_now_ns();
	for (size_t i = 0; i < PAGES; i++) {
		double l0 = bench_now_ns();

		if (pwrite(f->fd, f->ram + i * PAGE, PAGE, (off_t)(i * PAGE)) != (ssize_t)PAGE)
			die_errno("floor pwrite");
		if (mmap(f->user + i * PAGE, PAGE, PROT_NONE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
			die_errno("floor mmap (out)");
		t1 = bench_now_ns();
		lat[i] = t1 - l0;
	}
	s->host_ns[OUT] = bench_now_ns() - t0;
	percentiles(lat, PAGES, s->host_out_lat);
	memset(f->ram, 0, SIZE);

	t0 = bench_now_ns();
	for (size_t i = 0; i < PAGES; i++) {
		double l0 = bench_now_ns();

		if (pread(f->fd, f->ram + i * PAGE, PAGE, (off_t)(i * PAGE)) != (ssize_t)PAGE)
			die_errno("floor pread");
		if (mmap(f->user + i * PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED | MAP_POPULATE, f->memfd, (off_t)(i * PAGE)) ==
		    MAP_FAILED)
			die_errno("floor mmap (in)");
		sum += *(volatile unsigned char *)(f->user + i * PAGE);
		t1 = bench_now_ns();
		lat[i] = t1 - l0;
	}
	s->host_ns[IN] = bench_now_ns() - t0;
	sink = sum;
	percentiles(lat, PAGES, s->host_lat);
	if (bad_pages(f->user, salt))
		die("the floor's pages differ after pread: the host file lost data");
}

static void floor_open(struct floor *f, const char *dir)
{
	char path[4200];

	f->memfd = memfd_create("bench_swap_ram", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, (off_t)SIZE))
		die_errno("memfd");
	f->ram = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, f->memfd, 0);
	f->user = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, f->memfd, 0);
	if (f->ram == MAP_FAILED || f->user == MAP_FAILED)
		die_errno("mmap of the floor's memfd");
	snprintf(path, sizeof(path), "%s/floor", dir);
	f->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (f->fd < 0)
		die_errno("open the floor's file");
	unlink(path);	/* gone when closed */
}

static void floor_close(struct floor *f)
{
	munmap(f->ram, SIZE);
	munmap(f->user, SIZE);
	close(f->memfd);
	close(f->fd);
}

/* ---- a round ----------------------------------------------------------------- */

static void run_round(int r, const char *base)
{
	char dir[4096], path[4200], cmd[4400];
	struct counters end;
	struct floor f;
	char *p;

	snprintf(dir, sizeof(dir), "%s/mmkit-bench-swap-XXXXXX", base);
	if (!mkdtemp(dir))
		die_errno("mkdtemp");
	snprintf(path, sizeof(path), "%s/swapfile", dir);
	snprintf(cmd, sizeof(cmd), "%s swap=%s:%s", MEM, path, SWAP_SIZE);
	if (mmk_boot(cmd))
		die("mmk_boot failed");
	floor_open(&f, dir);
	p = mmk_mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die_errno("mmk_mmap");
	for (int pass = 0; pass < NR_PASSES; pass++) {
		struct sample *s = &samples[r][pass];
		uint64_t salt = 0x5bd1e995ULL * (uint64_t)(r * NR_PASSES + pass + 1);

		mmk_pass(p, salt, s);
		host_pass(&f, salt, s);
		for (int d = 0; d < NR_DIRS; d++)
			s->ratio[d] = s->host_ns[d] / s->mmk_ns[d];
		if (verbose)
			fprintf(stderr, "  round %d pass %d: out %.1f / %.1f ms (%.2fx), "
				"in %.1f / %.1f ms (%.2fx), majflt %lld\n", r, pass + 1,
				s->mmk_ns[OUT] / 1e6, s->host_ns[OUT] / 1e6, s->ratio[OUT],
				s->mmk_ns[IN] / 1e6, s->host_ns[IN] / 1e6, s->ratio[IN], s->majflt);
	}
	if (mmk_munmap(p, SIZE))
		die_errno("mmk_munmap");
	read_counters(&end);
	if (end.swap_free != end.swap_total || end.vmswap)
		die("after munmap, swap slots are still in use (SwapFree != SwapTotal)");
	if (mmk_check(stderr))
		die("mmk_check found problems (above)");
	mmk_shutdown();
	floor_close(&f);
	unlink(path);
	rmdir(dir);
}

/* ---- output ------------------------------------------------------------------ */

static double med(double (*get)(const struct sample *), int pass)
{
	double v[BENCH_MAX_ROUNDS];

	for (int r = 0; r < rounds; r++)
		v[r] = get(&samples[r][pass]);
	return bench_median(v, rounds);
}

static void range_of(double (*get)(const struct sample *), int pass, double *lo, double *hi)
{
	*lo = *hi = get(&samples[0][pass]);
	for (int r = 1; r < rounds; r++) {
		double x = get(&samples[r][pass]);

		*lo = x < *lo ? x : *lo;
		*hi = x > *hi ? x : *hi;
	}
}

static double g_mmk_out(const struct sample *s) { return s->mmk_ns[OUT]; }
static double g_mmk_in(const struct sample *s) { return s->mmk_ns[IN]; }
static double g_host_out(const struct sample *s) { return s->host_ns[OUT]; }
static double g_host_in(const struct sample *s) { return s->host_ns[IN]; }
static double g_ratio_out(const struct sample *s) { return s->ratio[OUT]; }
static double g_ratio_in(const struct sample *s) { return s->ratio[IN]; }

static double mibs(double ns)
{
	return (double)SIZE / (1 << 20) / (ns / 1e9);
}

static const char *const pass_names[NR_PASSES] = { "1 (cold)", "2", "3" };

static void print_table(void)
{
	printf("  %-9s %-4s %9s %8s %9s %8s %7s %15s\n", "pass", "", "mmkit", "mmkit",
	       "floor", "floor", "mmkit/", "(rounds)");
	printf("  %-9s %-4s %9s %8s %9s %8s %7s %15s\n", "", "", "MiB/s", "ns/page", "MiB/s",
	       "ns/page", "floor", "");
	for (int pass = 0; pass < NR_PASSES; pass++)
		for (int d = 0; d < NR_DIRS; d++) {
			double m = med(d == OUT ? g_mmk_out : g_mmk_in, pass);
			double h = med(d == OUT ? g_host_out : g_host_in, pass);
			double q = med(d == OUT ? g_ratio_out : g_ratio_in, pass), lo, hi;
			char rng[32];

			range_of(d == OUT ? g_ratio_out : g_ratio_in, pass, &lo, &hi);
			snprintf(rng, sizeof(rng), "(%.2f-%.2fx)", lo, hi);
			printf("  %-9s %-4s %9.0f %8.0f %9.0f %8.0f %6.2fx %15s\n",
			       d == OUT ? pass_names[pass] : "", d == OUT ? "out" : "in", mibs(m),
			       m / PAGES, mibs(h), h / PAGES, q, rng);
		}
	printf("  (mmkit/floor: throughput ratio, above 1 is faster than the floor)\n");
}

static void print_faults(void)
{
	const int r = rounds - 1;

	printf("\nSwap-in detail, last round (per-page latency: each load, or each\n"
	       "pread + mmap + load of the floor, timed alone; ns; medians: floor's\n"
	       "median / mmkit's, above 1 is faster than the floor):\n");
	printf("  %-9s %7s %7s %7s %8s %8s   %-20s %-20s %s\n", "pass", "majflt", "minflt",
	       "pswpin", "swap_ra", "ra_hit", "mmkit med/p99/max", "floor med/p99/max",
	       "medians");
	for (int pass = 0; pass < NR_PASSES; pass++) {
		const struct sample *s = &samples[r][pass];
		char a[40], b[40];

		snprintf(a, sizeof(a), "%.0f/%.0f/%.0f", s->mmk_lat[0], s->mmk_lat[1],
			 s->mmk_lat[2]);
		snprintf(b, sizeof(b), "%.0f/%.0f/%.0f", s->host_lat[0], s->host_lat[1],
			 s->host_lat[2]);
		printf("  %-9s %7lld %7lld %7lld %8lld %8lld   %-20s %-20s %.2fx\n",
		       pass_names[pass], s->majflt, s->minflt, s->pswpin, s->ra, s->ra_hit, a, b,
		       s->host_lat[0] / s->mmk_lat[0]);
	}
	printf("  swap-out: pages written by MADV_PAGEOUT per pass %lld (of %lu); floor\n"
	       "  pwrite + mmap per page med/p99/max %.0f/%.0f/%.0f ns (pass 3)\n",
	       samples[r][NR_PASSES - 1].pages_out, PAGES,
	       samples[r][NR_PASSES - 1].host_out_lat[0],
	       samples[r][NR_PASSES - 1].host_out_lat[1],
	       samples[r][NR_PASSES - 1].host_out_lat[2]);
}

static void target_line(int pass)
{
	double q = med(g_ratio_in, pass), lo, hi;

	range_of(g_ratio_in, pass, &lo, &hi);
	printf("  %s  swap-in, pass %-8s %6.0f MiB/s vs floor %6.0f MiB/s: %.2fx >= %.1fx "
	       "(rounds %.2f-%.2fx)\n", bench_verdict(q >= TARGET_IN), pass_names[pass],
	       mibs(med(g_mmk_in, pass)), mibs(med(g_host_in, pass)), q, TARGET_IN, lo, hi);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_swap [--quick] [--rounds N] [--verbose]\n"
		   "  --quick     1 round (a smoke run, noisy); also MMK_BENCH_QUICK=1\n"
		   "  --rounds N  rounds (1..%d, default 5); each boots a machine and runs\n"
		   "              3 passes of 64 MiB out and in\n"
		   "  --verbose   print every pass's figures to stderr\n"
		   "  The swap file and the floor's file go to a new directory under\n"
		   "  $TMPDIR (default /tmp), removed at the end.\n", BENCH_MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	const char *env = getenv("MMK_BENCH_QUICK"), *tmp = getenv("TMPDIR");
	bool quick = env && *env && strcmp(env, "0");
	double t_start = bench_now_ns();
	char model[128];
	struct utsname un;
	int st, cpus[CPU_SETSIZE];

	st = bench_parse_args(argc, argv, &quick, &verbose, &rounds, 1, BENCH_MAX_ROUNDS, usage);
	if (st >= 0)
		return st;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	bench_cpuinfo_model(model, sizeof(model));
	uname(&un);
	if (bench_host_cpus(cpus) > 0)
		bench_pin_self(cpus[0]);
	lat = malloc(PAGES * sizeof(*lat));
	if (!lat)
		die("malloc");

	printf("mmkit swap benchmark%s\n", quick ? " (--quick: smoke run, noisy)" : "");
	printf("  host:    %s, %ld CPUs, Linux %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       un.release);
	printf("  mmkit:   %s swap=%s/mmkit-bench-swap-*/swapfile:%s; 64 MiB mapped and\n"
	       "           written; out = one MADV_PAGEOUT of it (returns when written);\n"
	       "           in = one load per page in address order (major faults with\n"
	       "           readahead, minor faults from the swap cache)\n", MEM, tmp, SWAP_SIZE);
	printf("  floor:   per 4 KiB page, out = pwrite of the page to a file in the same\n"
	       "           directory + mmap(MAP_FIXED, PROT_NONE) over it; in = pread of it\n"
	       "           + mmap(MAP_FIXED|MAP_SHARED|MAP_POPULATE) of a memfd page + the\n"
	       "           same load; both files through the host page cache\n");
	printf("  passes:  3 per round on one machine (pass 1 writes never-written slots\n"
	       "           and file blocks); %d round(s), each a fresh machine and files;\n"
	       "           figure = median round; main thread pinned to one host CPU\n", rounds);
	printf("  load:    1-minute load average %.2f at start\n\n", bench_loadavg());
	fflush(stdout);

	for (int r = 0; r < rounds; r++)
		run_round(r, tmp);

	print_table();
	print_faults();
	printf("\nTarget (issue \"Done when\": sequential swap-in of 64 MiB at >= 0.5x the\n"
	       "host floor's throughput; informational, a MISS does not fail the run):\n");
	for (int pass = 0; pass < NR_PASSES; pass++)
		target_line(pass);
	printf("\ntotal run time %.1f s; 1-minute load average at the end %.2f\n",
	       (bench_now_ns() - t_start) / 1e9, bench_loadavg());
	free(lat);
	return 0;
}
