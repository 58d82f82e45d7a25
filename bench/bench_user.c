// SPDX-License-Identifier: MIT
/*
 * User-memory benchmark: what one touch of a fresh page costs in a mapping
 * that mmkit demand-pages (mmk_mmap), beside host anonymous memory touched
 * the same way in the same run.
 *
 * 1. What is measured. A mapping of 16 MiB or 256 MiB (MAP_PRIVATE |
 *    MAP_ANONYMOUS, PROT_READ | PROT_WRITE) is touched once per 4 KiB page,
 *    in address order: a write-touch stores one byte per page, a read-touch
 *    loads one byte per page (into a volatile sum, so the loads stay). The
 *    figure is the time of that loop divided by the pages: every fault it
 *    takes is inside it. mmap before and munmap after are not in the figure;
 *    munmap's cost per page is printed apart. The host rows run the same
 *    loop (the same function) over mmap(2) anonymous memory, right after
 *    the mmkit row of the same cell, so both see the same background.
 *
 * 2. Folios. Two machines of mem=1G: one with mmkit's default thp_anon= (a
 *    write fault maps the largest aligned folio, up to 2 MiB, a read fault
 *    a run of the zero page as large), one booted with
 *    "thp_anon=16K-2M:never" (one page per fault). The host's own anonymous
 *    THP setting is printed; host memory here is never madvised.
 *
 * 3. Cold and warm frames. mmkit's RAM is a memfd: the first time the host
 *    maps one of its pages it allocates and zeroes it (~1.5 us on the VM
 *    these figures were first taken on, like a host anonymous fault), a
 *    cost a real machine's RAM never has. And a frame is reached through
 *    two host mappings: the user mapping, and the direct map, through which
 *    the page allocator zeroes a frame that was used before (a never-used
 *    frame is known to read as zeros and is not cleared); the direct map's
 *    host page-table entry for a frame appears at the first such write, as
 *    a host minor fault. So each access is measured on three mappings of
 *    the same size in a row, each unmapped before the next, on a machine
 *    booted for the cell (mode x size): pass 1 "cold" (frames never used:
 *    the host allocates each), pass 2 "2nd" (the same frames again, now
 *    zeroed through the direct map for the first time), pass 3 "warm" (the
 *    same frames a third time: every host page-table entry exists). The
 *    program checks by pfn how many frames each pass reused. Warm is the
 *    steady state of a machine whose RAM exists; cold and 2nd are reported
 *    as measured. A read-touch maps the zero page, so its passes differ
 *    only in page-table frames. Order on each machine: read 1-3, write 1-3.
 *
 * 4. Rounds and figures: --rounds N (default 5), --quick (1 round); the
 *    figure is the median round; the ratio is the median over rounds of
 *    mmkit / host within a round, with the range of those ratios. Faults:
 *    mmkit's from vmstat's pgfault (each one a trap into mmkit's handler),
 *    the host's from getrusage's minor faults over its loop.
 *
 * 5. Targets (issue "Done when", informational; a MISS does not fail the
 *    run): with large folios, a write-touch at most 1.0x the host per page,
 *    a read-touch at most 2.0x. The program exits non-zero only when a boot,
 *    a mapping or an invariant check (mmk_check) fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <mmkit/mmkit.h>
#include <mmkit/linux.h>
#include <mmkit/mman.h>

#include "bench_util.h"

#define TARGET_WRITE	1.0	/* write-touch, large folios, / host */
#define TARGET_READ	2.0	/* read-touch, large folios, / host */

#define MEM		"mem=1G"
#define SINGLE		"thp_anon=16K-2M:never"
#define PROT_RW		(PROT_READ | PROT_WRITE)
#define ANON_FLAGS	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PAGE		4096UL

static int rounds = 5;
static bool verbose;

static void die(const char *what)
{
	fprintf(stderr, "bench_user: %s\n", what);
	exit(1);
}

static void die_errno(const char *what)
{
	fprintf(stderr, "bench_user: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- the touch loop, one for both -------------------------------------- */

static volatile unsigned long read_sink;

/*
 * One access per page of [@p, @p + @len), in address order; ns per page.
 * The same code runs over mmkit's and the host's memory; volatile keeps
 * every load and store.
 */
__attribute__((noinline))
static double touch(char *p, size_t len, bool write)
{
	volatile char *v = p;
	size_t pages = len / PAGE;
	unsigned long sum = 0;
	double t0, t1;

	t0 = bench_now_ns();
	if (write)
		for (size_t i = 0; i < pages; i++)
			v[i * PAGE] = 1;
	else
		for (size_t i = 0; i < pages; i++)
			sum += (unsigned char)v[i * PAGE];
	t1 = bench_now_ns();
	read_sink = sum;
	return (t1 - t0) / (double)pages;
}

/* ---- counters ------------------------------------------------------------ */

/* A counter of the vmstat report ("pgfault", ...), or -1. */
static long long vmstat_get(const char *name)
{
	size_t len = 0, nlen = strlen(name);
	long long v = -1;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("open_memstream");
	if (mmk_report("vmstat", f)) {
		fclose(f);
		free(text);
		die("mmk_report(\"vmstat\") failed");
	}
	fclose(f);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, nlen) && l[nlen] == ' ') {
			v = strtoll(l + nlen + 1, NULL, 10);
			break;
		}
	free(text);
	return v;
}

static long host_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* ---- cells ----------------------------------------------------------------- */

enum { M_FOLIO, M_SINGLE, NR_MODES };
enum { S_16M, S_256M, NR_SIZES };
/* In the order they run on a machine booted for the cell. */
enum { K_READ_COLD, K_READ_2ND, K_READ_WARM, K_WRITE_COLD, K_WRITE_2ND, K_WRITE_WARM,
       NR_KINDS };

static const size_t sizes[NR_SIZES] = { 16UL << 20, 256UL << 20 };
static const char *const size_names[NR_SIZES] = { "16 MiB", "256 MiB" };
static const char *const kind_names[NR_KINDS] = {
	"read   cold", "read   2nd", "read   warm", "write  cold", "write  2nd", "write  warm"
};

struct cell {
	double mmk[BENCH_MAX_ROUNDS], host[BENCH_MAX_ROUNDS];	/* ns per page */
	double ratio[BENCH_MAX_ROUNDS];
	double mmk_unmap[BENCH_MAX_ROUNDS], host_unmap[BENCH_MAX_ROUNDS];
	long long traps;		/* mmkit's faults (pgfault), last round */
	long mmk_minflt;		/* host minor faults in the mmkit row, last round */
	long host_minflt;		/* host minor faults in the host row, last round */
	double reused;			/* write passes 2, 3: frames written before */
};

static struct cell cells[NR_MODES][NR_SIZES][NR_KINDS];

/* How many write passes of this machine mapped each pfn (saturating). */
static unsigned char *pfn_uses;
static size_t nr_pfns;

/*
 * After write pass @pass (0-based) of a machine: the share of its frames
 * that the passes before it had all used (pass 2: the cold pass's; pass 3:
 * both earlier passes'), then count this pass's uses.
 */
static double note_frames(const char *p, size_t len, int pass)
{
	size_t pages = len / PAGE, hit = 0;

	for (size_t i = 0; i < pages; i++) {
		long pfn = mmk_follow_pfn(p + i * PAGE);

		if (pfn < 0 || (size_t)pfn >= nr_pfns)
			die("a written page has no frame");
		hit += pfn_uses[pfn] >= pass;
	}
	for (size_t i = 0; i < pages; i++) {
		long pfn = mmk_follow_pfn(p + i * PAGE);

		if (pfn_uses[pfn] < 255)
			pfn_uses[pfn]++;
	}
	return (double)hit / (double)pages;
}

static double timed_unmap(void *p, size_t len, int (*unmap)(void *, size_t))
{
	double t0 = bench_now_ns();

	if (unmap(p, len))
		die_errno("munmap");
	return (bench_now_ns() - t0) / (double)(len / PAGE);
}

static int host_munmap(void *p, size_t len)
{
	return munmap(p, len);
}

/* One kind of one cell, round @r: the mmkit row, then the host row. */
static void run_kind(int m, int s, int k, int r)
{
	struct cell *c = &cells[m][s][k];
	size_t len = sizes[s];
	bool write = k >= K_WRITE_COLD;
	long long f0;
	long h0;
	char *p;

	p = mmk_mmap(NULL, len, PROT_RW, ANON_FLAGS, -1, 0);
	if (p == MAP_FAILED)
		die_errno("mmk_mmap");
	f0 = vmstat_get("pgfault");
	h0 = host_minflt();
	c->mmk[r] = touch(p, len, write);
	c->mmk_minflt = host_minflt() - h0;
	c->traps = vmstat_get("pgfault") - f0;
	if (write)
		c->reused = note_frames(p, len, k - K_WRITE_COLD);
	c->mmk_unmap[r] = timed_unmap(p, len, mmk_munmap);

	p = mmap(NULL, len, PROT_RW, ANON_FLAGS, -1, 0);
	if (p == MAP_FAILED)
		die_errno("host mmap");
	h0 = host_minflt();
	c->host[r] = touch(p, len, write);
	c->host_minflt = host_minflt() - h0;
	c->host_unmap[r] = timed_unmap(p, len, host_munmap);
	c->ratio[r] = c->mmk[r] / c->host[r];
	if (verbose)
		fprintf(stderr, "  round %d %-7s %-7s %s: mmkit %.1f ns, host %.1f ns (%.2fx)\n",
			r, m == M_FOLIO ? "folios" : "single", size_names[s], kind_names[k],
			c->mmk[r], c->host[r], c->ratio[r]);
}

static void run_round(int r)
{
	static const char *const cmd[NR_MODES] = { MEM, MEM " " SINGLE };

	for (int m = 0; m < NR_MODES; m++)
		for (int s = 0; s < NR_SIZES; s++) {
			if (mmk_boot(cmd[m]))
				die("mmk_boot failed");
			memset(pfn_uses, 0, nr_pfns);
			for (int k = 0; k < NR_KINDS; k++)
				run_kind(m, s, k, r);
			if (mmk_check(stderr))
				die("mmk_check found problems (above)");
			mmk_shutdown();
		}
}

/* ---- output ---------------------------------------------------------------- */

static double median(const double *v)
{
	return bench_median(v, rounds);
}

static void range(const double *v, double *lo, double *hi)
{
	*lo = *hi = v[0];
	for (int i = 1; i < rounds; i++) {
		*lo = v[i] < *lo ? v[i] : *lo;
		*hi = v[i] > *hi ? v[i] : *hi;
	}
}

static void print_mode(int m)
{
	printf("  %-8s %-12s %8s %8s %7s %14s %6s %7s %7s %7s %7s %6s\n", "mapping",
	       "touch  pass", "mmkit", "host", "mmkit/", "(rounds)", "mmkit", "host", "host",
	       "munmap", "munmap", "frames");
	printf("  %-8s %-12s %8s %8s %7s %14s %6s %7s %7s %7s %7s %6s\n", "", "", "ns/page",
	       "ns/page", "host", "", "traps", "minflt", "minflt", "mmkit", "host", "reused");
	printf("  %-8s %-12s %8s %8s %7s %14s %6s %7s %7s %7s %7s %6s\n", "", "", "", "", "",
	       "", "", "(mmkit)", "(host)", "ns/page", "ns/page", "");
	for (int s = 0; s < NR_SIZES; s++)
		for (int k = 0; k < NR_KINDS; k++) {
			const struct cell *c = &cells[m][s][k];
			double lo, hi;
			char rng[32], reused[16] = "";

			range(c->ratio, &lo, &hi);
			snprintf(rng, sizeof(rng), "(%.2f-%.2fx)", lo, hi);
			if (k == K_WRITE_2ND || k == K_WRITE_WARM)
				snprintf(reused, sizeof(reused), "%.0f%%", 100.0 * c->reused);
			printf("  %-8s %-12s %8.0f %8.0f %6.2fx %14s %6lld %7ld %7ld %7.0f %7.0f %6s\n",
			       k ? "" : size_names[s], kind_names[k], median(c->mmk),
			       median(c->host), median(c->ratio), rng, c->traps, c->mmk_minflt,
			       c->host_minflt, median(c->mmk_unmap), median(c->host_unmap), reused);
		}
}

static bool target_line(int s, int k, double target, const char *what)
{
	const struct cell *c = &cells[M_FOLIO][s][k];
	double q = median(c->ratio), lo, hi;
	bool ok = q <= target;

	range(c->ratio, &lo, &hi);
	printf("  %s  %-7s %-28s %7.1f ns vs host %7.1f ns: %.2fx <= %.1fx (rounds %.2f-%.2fx)\n",
	       bench_verdict(ok), size_names[s], what, median(c->mmk), median(c->host), q,
	       target, lo, hi);
	return ok;
}


static void host_thp(char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_user [--quick] [--rounds N] [--verbose]\n"
		   "  --quick     1 round (a smoke run, noisy); also MMK_BENCH_QUICK=1\n"
		   "  --rounds N  rounds (1..%d, default 5); each boots 4 machines\n"
		   "  --verbose   print every round's figures to stderr\n",
		BENCH_MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	const char *env = getenv("MMK_BENCH_QUICK");
	bool quick = env && *env && strcmp(env, "0");
	double t_start = bench_now_ns();
	char model[128], thp[128];
	struct utsname un;
	int st, cpus[CPU_SETSIZE];

	st = bench_parse_args(argc, argv, &quick, &verbose, &rounds, 1, BENCH_MAX_ROUNDS, usage);
	if (st >= 0)
		return st;
	bench_cpuinfo_model(model, sizeof(model));
	host_thp(thp, sizeof(thp));
	uname(&un);
	if (bench_host_cpus(cpus) > 0)
		bench_pin_self(cpus[0]);
	nr_pfns = (1UL << 30) / PAGE;
	pfn_uses = calloc(nr_pfns, 1);
	if (!pfn_uses)
		die("calloc");

	printf("mmkit user-memory benchmark%s\n", quick ? " (--quick: smoke run, noisy)" : "");
	printf("  host:    %s, %ld CPUs, Linux %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       un.release);
	printf("  host THP for anonymous memory: %s (host rows are never madvised)\n", thp);
	printf("  method:  one access per 4 KiB page, in address order, over a fresh\n"
	       "           MAP_PRIVATE|MAP_ANONYMOUS mapping; ns/page = the loop's time / pages\n"
	       "           (every fault inside it; mmap and munmap outside, munmap shown apart);\n"
	       "           host rows: the same loop over host mmap(2) memory, right after the\n"
	       "           mmkit row; %d round(s), each booting a fresh machine per table and\n"
	       "           size; figure = median round; mmkit/host = median of the rounds'\n"
	       "           ratios; faults = the last round's (mmkit: vmstat pgfault, each a\n"
	       "           trap into mmkit's handler; host: getrusage minor faults)\n",
	       rounds);
	printf("  passes:  three mappings of the size in a row on one machine, each\n"
	       "           unmapped before the next: cold = the first after boot (the host\n"
	       "           allocates each memfd page of RAM as it is first mapped); 2nd = the\n"
	       "           same frames again, zeroed through the direct map for the first\n"
	       "           time (a host minor fault each); warm = a third time, every host\n"
	       "           page-table entry present: the steady state of real RAM\n");
	printf("  mmkit:   %s; main thread pinned to one host CPU\n", MEM);
	printf("  load:    1-minute load average %.2f at start\n\n", bench_loadavg());
	fflush(stdout);

	for (int r = 0; r < rounds; r++)
		run_round(r);

	printf("Large folios (thp_anon default: 16K-2M always; a write fault maps up to\n"
	       "2 MiB, a read fault a zero-page run as large)\n");
	print_mode(M_FOLIO);
	printf("\nSingle pages (%s %s: one page per fault)\n", MEM, SINGLE);
	print_mode(M_SINGLE);

	printf("\nTargets (issue \"Done when\", large folios; informational, a MISS does not\n"
	       "fail the run). Warm is the steady state; cold is shown as measured.\n");
	for (int s = 0; s < NR_SIZES; s++) {
		target_line(s, K_WRITE_WARM, TARGET_WRITE, "write-touch, warm frames");
		target_line(s, K_READ_WARM, TARGET_READ, "read-touch, warm");
	}
	printf("  as measured on the other passes:\n");
	for (int s = 0; s < NR_SIZES; s++) {
		target_line(s, K_WRITE_2ND, TARGET_WRITE, "write-touch, 2nd pass");
		target_line(s, K_WRITE_COLD, TARGET_WRITE, "write-touch, cold frames");
		target_line(s, K_READ_COLD, TARGET_READ, "read-touch, cold");
	}
	printf("\ntotal run time %.1f s; 1-minute load average at the end %.2f\n",
	       (bench_now_ns() - t_start) / 1e9, bench_loadavg());
	free(pfn_uses);
	return 0;
}
