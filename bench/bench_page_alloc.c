// SPDX-License-Identifier: MIT
/*
 * Page-allocator benchmark: what an alloc+free pair costs, and how it scales.
 *
 * Rows, each measured as several rounds of N back-to-back pairs with one
 * unmeasured warm-up round first; the median round is the figure (the min
 * and the spread, (max - min) / median, show the noise):
 *
 *   - order-0 alloc_page(GFP_KERNEL) + __free_page through the per-CPU
 *     lists (default boot), and the same on a machine booted `nopcp`, where
 *     every pair takes the zone lock and walks the buddy lists;
 *   - order-3 and order-9 pairs;
 *   - 1 and 2 threads each doing order-0 pairs: aggregate throughput and
 *     the scaling ratio;
 *   - peers in the same process, for context: glibc malloc(4096)+free,
 *     mmap+munmap of 4 KiB, mmap+touch+munmap (the host kernel's own page
 *     allocator behind a page fault); and Linux's published order-0 figure,
 *     printed as published, never measured here;
 *   - boot of a 16 GiB machine (median of 3) and its metadata per frame.
 *
 * It ends with the targets, PASS or MISS each. A MISS is
 * information, not failure: the program exits 0 unless the allocator itself
 * misbehaves (an allocation fails, the machine does not boot).
 *
 * Cycles are TSC ticks (rdtsc around each round), whose rate is calibrated
 * against CLOCK_MONOTONIC at start-up. The TSC runs at a constant reference
 * rate; the core clock may differ from it under turbo or power saving. Off
 * x86, cycles are ns times the "cpu MHz" of /proc/cpuinfo, or not shown.
 *
 * Only the public headers are used, as any program of a user would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <mmkit/mmkit.h>
#include <mmkit/linux.h>

#include "bench_util.h"

#define MAX_ROUNDS	BENCH_MAX_ROUNDS

/* The "Done when" targets. */
#define TARGET_ORDER0_NS	30.0
#define TARGET_SCALING		1.8
#define TARGET_BOOT_S		1.0
#define TARGET_META_BYTES	64.0

/* Linux's published order-0 pair with per-CPU lists, bare metal. */
#define LINUX_CYC_LO	158
#define LINUX_CYC_HI	199
#define LINUX_NS_LO	40
#define LINUX_NS_HI	55

static int rounds = 7;
static bool verbose;		/* --verbose: every round's ns/pair on stderr */
static long scale_div = 1;	/* --quick divides every pair count */
static double tsc_per_ns;	/* 0: no cycle figures */
static const char *cycle_source = "none";

/* Keeps the compiler from eliding a malloc/free pair whose result is unused. */
static void *volatile sink;

struct result {
	const char *name;
	long pairs;		/* per round (per thread for threaded rows) */
	int n;
	double ns[MAX_ROUNDS];	/* ns per pair, each round */
	double cyc[MAX_ROUNDS];	/* TSC ticks per pair, each round */
	double med_ns, min_ns, max_ns, med_cyc;
};

static void summarize(struct result *r)
{
	bench_summary(r->name, r->ns, r->cyc, r->n, tsc_per_ns, verbose, &r->med_ns,
		      &r->min_ns, &r->max_ns, &r->med_cyc);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_page_alloc: %s\n", what);
	exit(1);
}

/* ---- the measured loops ------------------------------------------------ */

enum loop_kind { LOOP_PAGES, LOOP_MALLOC, LOOP_MMAP, LOOP_MMAP_TOUCH };

struct loop {
	enum loop_kind kind;
	unsigned int order;
};

/* Run @pairs pairs of @l; false if an allocation failed. */
static bool run_loop(const struct loop *l, long pairs)
{
	switch (l->kind) {
	case LOOP_PAGES:
		for (long i = 0; i < pairs; i++) {
			struct page *page = alloc_pages(GFP_KERNEL, l->order);

			if (!page)
				return false;
			__free_pages(page, l->order);
		}
		break;
	case LOOP_MALLOC:
		for (long i = 0; i < pairs; i++) {
			void *p = malloc(4096);

			if (!p)
				return false;
			sink = p;
			free(p);
		}
		break;
	case LOOP_MMAP:
	case LOOP_MMAP_TOUCH:
		for (long i = 0; i < pairs; i++) {
			char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				return false;
			if (l->kind == LOOP_MMAP_TOUCH)
				*(volatile char *)p = 1;
			munmap(p, 4096);
		}
		break;
	}
	return true;
}

static void measure(struct result *r, const char *name, const struct loop *l, long pairs)
{
	pairs /= scale_div;
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->pairs = pairs;
	if (!run_loop(l, pairs / 4 + 1))	/* warm-up: caches, pcp lists */
		die("allocation failed during warm-up");
	for (int i = 0; i < rounds; i++) {
		double t0 = bench_now_ns();
		uint64_t c0 = bench_ticks();

		if (!run_loop(l, pairs))
			die("allocation failed");
		uint64_t c1 = bench_ticks();
		double t1 = bench_now_ns();

		r->ns[i] = (t1 - t0) / (double)pairs;
		r->cyc[i] = (double)(c1 - c0) / (double)pairs;
	}
	r->n = rounds;
	summarize(r);
}

/* ---- threads ----------------------------------------------------------- */

/* The host CPUs this process may run on; worker t is pinned to cpus[t % n]. */
static int host_cpus[CPU_SETSIZE], nr_host_cpus;

static void find_host_cpus(void)
{
	nr_host_cpus = bench_host_cpus(host_cpus);
}

struct thread_arg {
	pthread_barrier_t *start;
	int host_cpu;		/* -1: not pinned */
	long pairs;
	bool ok;
	double t0, t1;		/* this worker's own start and end, ns */
	uint64_t c0, c1;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct loop l = { LOOP_PAGES, 0 };

	bench_pin_self(a->host_cpu);
	a->ok = run_loop(&l, a->pairs / 8 + 1);	/* warm this CPU's pcp lists */
	pthread_barrier_wait(a->start);
	a->t0 = bench_now_ns();
	a->c0 = bench_ticks();
	if (a->ok)
		a->ok = run_loop(&l, a->pairs);
	a->c1 = bench_ticks();
	a->t1 = bench_now_ns();
	return NULL;
}

/*
 * One round: @nthreads threads each do @pairs order-0 pairs after a common
 * start. Returns wall time per pair of the aggregate (ns / total pairs), so
 * throughput is 1e9 / figure; *@cyc gets the same in TSC ticks. Each round
 * has fresh threads, hence fresh CPUs (numbers are reused after exit).
 * Workers are pinned to distinct host CPUs: otherwise a new thread starts on
 * its creator's CPU and the host's load balancer takes milliseconds to move
 * it, which measures the host scheduler rather than the allocator.
 */
static double thread_round(int nthreads, long pairs, double *cyc)
{
	pthread_t tid[8];
	struct thread_arg arg[8];
	pthread_barrier_t start;
	double t0 = 0, t1 = 0;
	uint64_t c0 = 0, c1 = 0;

	pthread_barrier_init(&start, NULL, (unsigned int)nthreads);
	for (int t = 0; t < nthreads; t++) {
		int cpu = nr_host_cpus ? host_cpus[t % nr_host_cpus] : -1;

		arg[t] = (struct thread_arg){ &start, cpu, pairs, false };
		if (pthread_create(&tid[t], NULL, thread_main, &arg[t]))
			die("pthread_create failed");
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);
	/*
	 * The round spans the first worker's start to the last one's end, as
	 * the workers saw them: the main thread may share a host CPU with a
	 * pinned worker and would read the clock late.
	 */
	for (int t = 0; t < nthreads; t++) {
		if (!arg[t].ok)
			die("allocation failed in a thread");
		if (!t || arg[t].t0 < t0)
			t0 = arg[t].t0, c0 = arg[t].c0;
		if (!t || arg[t].t1 > t1)
			t1 = arg[t].t1, c1 = arg[t].c1;
	}
	pthread_barrier_destroy(&start);
	*cyc = (double)(c1 - c0) / (double)(pairs * nthreads);
	return (t1 - t0) / (double)(pairs * nthreads);
}

/*
 * 1-thread and 2-thread rounds alternate, so that both see the same
 * background load on a shared host; @ratio gets each round's scaling.
 */
static void measure_scaling(struct result *r1, struct result *r2, double *ratio, long pairs)
{
	pairs /= scale_div;
	memset(r1, 0, sizeof(*r1));
	memset(r2, 0, sizeof(*r2));
	r1->name = "1 thread";
	r2->name = "2 threads";
	r1->pairs = r2->pairs = pairs;
	for (int i = 0; i < rounds; i++) {
		r1->ns[i] = thread_round(1, pairs, &r1->cyc[i]);
		r2->ns[i] = thread_round(2, pairs, &r2->cyc[i]);
		ratio[i] = r1->ns[i] / r2->ns[i];
	}
	r1->n = r2->n = rounds;
	summarize(r1);
	summarize(r2);
}

/* ---- boot ---------------------------------------------------------------- */

static void boot_or_die(const char *cmdline)
{
	int err = mmk_boot(cmdline);

	if (err) {
		fprintf(stderr, "bench_page_alloc: mmk_boot(\"%s\") = %d\n",
			cmdline ? cmdline : "", err);
		exit(1);
	}
}

struct boot_result {
	bool ok;
	double boot_s[3], shutdown_s[3];
	double med_boot_s, med_shutdown_s;
	unsigned long frames, free_after_boot;
	double meta_per_frame;
};

static void measure_boot(struct boot_result *b)
{
	const unsigned long long mem = 16ULL << 30;

	memset(b, 0, sizeof(*b));
	b->frames = (unsigned long)(mem / PAGE_SIZE);
	for (int i = 0; i < 3; i++) {
		double t0 = bench_now_ns(), t1;
		int err = mmk_boot("mem=16G");

		t1 = bench_now_ns();
		if (err) {
			fprintf(stderr, "bench_page_alloc: mmk_boot(\"mem=16G\") = %d\n", err);
			return;
		}
		b->boot_s[i] = (t1 - t0) / 1e9;
		if (i == 0)	/* nothing allocated yet, pcp lists empty */
			b->free_after_boot = nr_free_pages();
		t0 = bench_now_ns();
		mmk_shutdown();
		b->shutdown_s[i] = (bench_now_ns() - t0) / 1e9;
	}
	b->ok = true;
	b->med_boot_s = bench_median(b->boot_s, 3);
	b->med_shutdown_s = bench_median(b->shutdown_s, 3);
	b->meta_per_frame = (double)(b->frames - b->free_after_boot) * PAGE_SIZE /
			    (double)b->frames;
}

/* ---- output -------------------------------------------------------------- */

static void print_cycles(double cyc)
{
	if (tsc_per_ns > 0)
		printf(" %8.0f", cyc);
	else
		printf(" %8s", "-");
}

static void print_row(const struct result *r)
{
	printf("  %-44s %9.1f %8.1f", r->name, r->med_ns, r->min_ns);
	print_cycles(r->med_cyc);
	printf(" %6.1f%%\n", 100.0 * (r->max_ns - r->min_ns) / r->med_ns);
}

static void print_header(const char *first)
{
	printf("  %-44s %9s %8s %8s %7s\n", first, "median ns", "min ns", "cycles", "spread");
}

static void print_peer(const struct result *peer, const struct result *ours)
{
	printf("  %-44s %9.1f %8.1f", peer->name, peer->med_ns, peer->min_ns);
	print_cycles(peer->med_cyc);
	printf(" %6.1f%%  %7.*fx\n", 100.0 * (peer->max_ns - peer->min_ns) / peer->med_ns,
	       ours->med_ns / peer->med_ns < 0.1 ? 4 : 2, ours->med_ns / peer->med_ns);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_page_alloc [--quick] [--rounds N] [--verbose]\n"
		   "  --quick     3 rounds of a tenth of the pairs (a smoke run, noisy)\n"
		   "  --rounds N  rounds per row (1..%d, default 7)\n"
		   "  --verbose   print every round's ns/pair to stderr\n", MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	struct result o0, o0_nopcp, o3, o9, t1, t2, mal, mm, mmt;
	struct loop l0 = { LOOP_PAGES, 0 }, l3 = { LOOP_PAGES, 3 }, l9 = { LOOP_PAGES, 9 };
	struct loop lmal = { LOOP_MALLOC, 0 }, lmm = { LOOP_MMAP, 0 };
	struct loop lmmt = { LOOP_MMAP_TOUCH, 0 };
	struct boot_result boot;
	double ratio[MAX_ROUNDS], scaling;
	char model[128];
	struct utsname un;
	double t_start = bench_now_ns();
	bool quick = false;

	{
		int st = bench_parse_args(argc, argv, &quick, &verbose, &rounds, 3,
					  MAX_ROUNDS, usage);

		if (st >= 0)
			return st;
	}
	if (quick)
		scale_div = 10;



	tsc_per_ns = bench_calibrate_cycles(&cycle_source);
	find_host_cpus();
	bench_cpuinfo_model(model, sizeof(model));
	uname(&un);
	printf("mmkit page allocator benchmark%s\n", quick ? " (--quick: smoke run, noisy)" : "");
	printf("  host:   %s, %ld CPUs, Linux %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       un.release);
	if (tsc_per_ns > 0)
		printf("  cycles: %s (%.1f MHz; /proc/cpuinfo says %.1f MHz)\n",
		       cycle_source, tsc_per_ns * 1000.0, bench_cpuinfo_mhz());
	else
		printf("  cycles: not available on this host\n");
	printf("  method: %d rounds per row after one warm-up; figure = median round,\n"
	       "          spread = (max - min) / median over the rounds\n\n", rounds);

	/* Default machine: 256 MiB, per-CPU lists on. */
	boot_or_die(NULL);
	measure(&o0, "order-0 alloc_page+__free_page, pcp", &l0, 2000000);
	measure(&o3, "order-3 alloc_pages+__free_pages", &l3, 2000000);
	measure(&o9, "order-9 alloc_pages+__free_pages", &l9, 500000);
	measure_scaling(&t1, &t2, ratio, 2000000);
	if (mmk_check(stderr))
		die("invariant check failed after the default-boot rows");
	mmk_shutdown();

	/* Same pair, straight to the buddy lists under the zone lock. */
	boot_or_die("nopcp");
	measure(&o0_nopcp, "order-0 alloc_page+__free_page, nopcp", &l0, 2000000);
	if (mmk_check(stderr))
		die("invariant check failed after the nopcp row");
	mmk_shutdown();

	measure(&mal, "glibc malloc(4096)+free", &lmal, 2000000);
	measure(&mm, "mmap+munmap 4 KiB anon (untouched)", &lmm, 200000);
	measure(&mmt, "mmap+touch+munmap 4 KiB anon (faults a page)", &lmmt, 100000);

	measure_boot(&boot);

	printf("Page alloc+free pairs (GFP_KERNEL, default 256 MiB machine, 1 thread)\n");
	print_header("pair");
	print_row(&o0);
	print_row(&o0_nopcp);
	print_row(&o3);
	print_row(&o9);
	printf("  pcp speed-up over nopcp: %.2fx   (pairs/round: %ld order 0 and 3, %ld order 9)\n\n",
	       o0_nopcp.med_ns / o0.med_ns, o0.pairs, o9.pairs);

	printf("Order-0 pairs from parallel threads (each thread a CPU, pinned to its own\n"
	       "host CPU, %ld pairs each)\n", t1.pairs);
	printf("  %-44s %9s %8s %11s %7s\n", "threads", "ns/pair", "min", "Mpairs/s", "spread");
	printf("  %-44s %9.1f %8.1f %11.2f %6.1f%%\n", t1.name, t1.med_ns, t1.min_ns,
	       1e3 / t1.med_ns, 100.0 * (t1.max_ns - t1.min_ns) / t1.med_ns);
	printf("  %-44s %9.1f %8.1f %11.2f %6.1f%%\n", t2.name, t2.med_ns, t2.min_ns,
	       1e3 / t2.med_ns, 100.0 * (t2.max_ns - t2.min_ns) / t2.med_ns);
	{
		double lo = ratio[0], hi = ratio[0];

		for (int i = 1; i < rounds; i++) {
			lo = ratio[i] < lo ? ratio[i] : lo;
			hi = ratio[i] > hi ? ratio[i] : hi;
		}
		scaling = bench_median(ratio, rounds);
		printf("  scaling, 2-thread / 1-thread throughput: %.2fx median of rounds "
		       "(range %.2f-%.2fx,\n  best round of each: %.2fx)\n", scaling, lo, hi,
		       t1.min_ns / t2.min_ns);
	}
	printf("  (1- and 2-thread rounds alternate; ns/pair is wall time over all\n"
	       "  threads' pairs, so 1e3 / ns/pair = Mpairs/s)\n\n");

	printf("Context: peers measured in this process; ratio = mmkit order-0 pcp / peer\n");
	printf("  %-44s %9s %8s %8s %7s  %8s\n", "peer", "median ns", "min ns", "cycles",
	       "spread", "ratio");
	print_peer(&mal, &o0);
	print_peer(&mm, &o0);
	print_peer(&mmt, &o0);
	printf("  %-44s %5d-%-3d %8s %4d-%-3d %7s  %.2f-%.2fx\n",
	       "Linux order-0 pair, pcp: PUBLISHED (*)", LINUX_NS_LO, LINUX_NS_HI, "",
	       LINUX_CYC_LO, LINUX_CYC_HI, "", o0.med_ns / LINUX_NS_HI, o0.med_ns / LINUX_NS_LO);
	printf("  (*) Linux's published bare-metal figure, quoted for context; not\n"
	       "      measured here. Ratio < 1: mmkit's pair is cheaper than the peer's.\n\n");
	printf("Boot of mem=16G (median of 3) and metadata\n");
	if (boot.ok) {
		printf("  mmk_boot(\"mem=16G\")   %8.3f s   (runs: %.3f %.3f %.3f)\n",
		       boot.med_boot_s, boot.boot_s[0], boot.boot_s[1], boot.boot_s[2]);
		printf("  mmk_shutdown()        %8.3f s\n", boot.med_shutdown_s);
		printf("  frames %lu, free after boot %lu, kept by boot %lu (%.1f MiB)\n",
		       boot.frames, boot.free_after_boot, boot.frames - boot.free_after_boot,
		       (double)(boot.frames - boot.free_after_boot) * PAGE_SIZE / (1 << 20));
		printf("  metadata per 4 KiB frame: %.1f bytes\n\n", boot.meta_per_frame);
	} else {
		printf("  boot failed (see stderr)\n\n");
	}

	printf("Targets (issue \"Done when\"; informational, a MISS does not fail the run)\n");
	printf("  %s  order-0 pcp pair median %.1f ns <= %.0f ns\n",
	       bench_verdict(o0.med_ns <= TARGET_ORDER0_NS), o0.med_ns, TARGET_ORDER0_NS);
	printf("  %s  2-thread scaling %.2fx >= %.1fx\n",
	       bench_verdict(scaling >= TARGET_SCALING), scaling, TARGET_SCALING);
	if (boot.ok) {
		printf("  %s  boot mem=16G %.3f s < %.0f s\n",
		       bench_verdict(boot.med_boot_s < TARGET_BOOT_S), boot.med_boot_s, TARGET_BOOT_S);
		printf("  %s  metadata %.1f B/frame <= %.0f B\n",
		       bench_verdict(boot.meta_per_frame <= TARGET_META_BYTES), boot.meta_per_frame,
		       TARGET_META_BYTES);
	} else {
		printf("  MISS  boot mem=16G: did not boot\n");
		printf("  MISS  metadata: no machine\n");
	}
	printf("\ntotal run time %.1f s\n", (bench_now_ns() - t_start) / 1e9);
	return 0;
}
