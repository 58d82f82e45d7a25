// SPDX-License-Identifier: MIT
/*
 * Swap soak: threads writing and verifying pages under 3x overcommit for a
 * long time (30 minutes by default; outside CI), counting every page that
 * comes back wrong.
 *
 * 1. The machine. mem=64M with a 256 MiB swap file (swap=) in a fresh
 *    directory under $TMPDIR (or /tmp), removed at the end. One mapping of
 *    192 MiB (private, anonymous, MAP_NORESERVE), three times RAM, so at
 *    any time about two thirds of it is on swap and every access can be a
 *    swap-in, while kswapd and direct reclaim write other pages out.
 *
 * 2. Stamps. The mapping's pages are split evenly among --threads T
 *    workers (default 4); a worker is the only writer of its pages. A
 *    written page holds a stamp: word 0 the page's index (with a magic),
 *    word 1 its generation, word 2 the writing thread, and every other word
 *    a function of (index, generation, word). The worker keeps each page's
 *    current generation in host memory (0: never written). Each worker
 *    first writes all its pages once (generation 1), then loops: pick a
 *    random page of its own (60%) or a run of 32 consecutive ones from a
 *    random start (40%: sequential swap-in, readahead), verify every word
 *    against the generation it last wrote, then (3 times in 4) write the
 *    next generation; the fourth time leaves it clean, so a page read from
 *    swap stays in the swap cache and is reclaimed without a write.
 *
 * 3. Verdict. A page that does not hold exactly its last stamp is "lost"
 *    when it reads as an older generation of itself or as zeros (a write
 *    or a whole page that vanished), "corrupted" otherwise; the first few
 *    are described on stderr. Progress every --interval seconds (default
 *    60): pages written and verified, lost, corrupted, pswpout, pswpin,
 *    pgmajfault, SwapFree, VmRSS, VmSwap. At the end (--seconds N, default
 *    1800) the workers stop, the main thread verifies every page once more,
 *    the mapping is unmapped (every swap slot must come back: SwapFree =
 *    SwapTotal), and mmk_check runs. Exit status 0 only when nothing was
 *    lost or corrupted, no slot leaked and mmk_check found nothing; 1
 *    otherwise; 2 for a bad argument.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <mmkit/mmkit.h>
#include <mmkit/linux.h>
#include <mmkit/mman.h>

#include "bench_util.h"

#define MEM		"mem=64M"
#define SWAP_SIZE	"256M"
#define SIZE		(192UL << 20)	/* three times RAM */
#define PAGE		4096UL
#define PAGES		(SIZE / PAGE)
#define WORDS		(PAGE / 8)
#define MAGIC		0x50414745ULL	/* "PAGE" */
#define MAX_THREADS	64
#define RUN		32		/* a sequential run, pages */
#define MAX_REPORTS	10		/* mismatches described on stderr */

static char *region;
static const uint64_t zeros[WORDS];
static uint32_t *gen;			/* per page: the last generation written */
static atomic_bool stop;
static atomic_int reported;

struct worker {
	pthread_t thread;
	int id;
	size_t first, end;		/* its pages */
	uint64_t rng;
	atomic_ulong written, verified, lost, corrupted;
};

static struct worker workers[MAX_THREADS];

/* ---- stamps ------------------------------------------------------------------ */

static inline uint64_t fill_word(uint64_t page, uint64_t g, uint64_t w)
{
	uint64_t x = (page << 32 | g << 10 | w) + 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	return x;
}

static void stamp(size_t page, uint32_t g, int thread)
{
	uint64_t *w = (uint64_t *)(region + page * PAGE);

	w[0] = MAGIC << 32 | page;
	w[1] = g;
	w[2] = (uint64_t)thread;
	for (size_t k = 3; k < WORDS; k++)
		w[k] = fill_word(page, g, k);
}

/* Does @w hold exactly stamp (page, g, thread)? */
static bool stamp_ok(const uint64_t *w, size_t page, uint32_t g, int thread)
{
	if (w[0] != (MAGIC << 32 | page) || w[1] != g || w[2] != (uint64_t)thread)
		return false;
	for (size_t k = 3; k < WORDS; k++)
		if (w[k] != fill_word(page, g, k))
			return false;
	return true;
}

/*
 * Check @page against generation @g (0: never written, must read zeros).
 * Returns 0, 1 for lost (zeros, or an older stamp of the page), 2 for
 * corrupted. Reads the page once into a copy, so the classification looks
 * at one consistent picture.
 */
static int check_page(size_t page, uint32_t g, int thread, const char *who)
{
	uint64_t copy[WORDS];
	bool zero = true;
	int kind;

	memcpy(copy, region + page * PAGE, PAGE);
	if (g ? stamp_ok(copy, page, g, thread) : !memcmp(copy, zeros, PAGE))
		return 0;
	for (size_t k = 0; k < WORDS && zero; k++)
		zero = !copy[k];
	kind = zero || (copy[0] == (MAGIC << 32 | page) && copy[1] < g &&
			stamp_ok(copy, page, (uint32_t)copy[1], thread)) ? 1 : 2;
	if (atomic_fetch_add(&reported, 1) < MAX_REPORTS) {
		size_t bad = 0;

		for (size_t k = 0; k < WORDS; k++)
			bad += g ? (k == 0 ? copy[0] != (MAGIC << 32 | page) :
				    k == 1 ? copy[1] != g :
				    k == 2 ? copy[2] != (uint64_t)thread :
				    copy[k] != fill_word(page, g, k)) : copy[k] != 0;
		fprintf(stderr, "bench_swap_soak: %s: page %zu (%p, pfn %ld) is %s: expected "
			"generation %u of thread %d, found word0 %#llx gen %llu thread %llu; "
			"%zu of %lu words differ\n", who, page, (void *)(region + page * PAGE),
			mmk_follow_pfn(region + page * PAGE), kind == 1 ? "LOST" : "CORRUPTED",
			g, thread, (unsigned long long)copy[0], (unsigned long long)copy[1],
			(unsigned long long)copy[2], bad, WORDS);
	}
	return kind;
}

/* ---- workers ------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void visit(struct worker *wk, size_t page, bool write)
{
	int kind = check_page(page, gen[page], wk->id, "worker");

	atomic_fetch_add_explicit(&wk->verified, 1, memory_order_relaxed);
	if (kind == 1)
		atomic_fetch_add(&wk->lost, 1);
	else if (kind == 2)
		atomic_fetch_add(&wk->corrupted, 1);
	if (write || kind) {
		/* A page found wrong is rewritten: it is counted once. */
		stamp(page, ++gen[page], wk->id);
		atomic_fetch_add_explicit(&wk->written, 1, memory_order_relaxed);
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	size_t n = wk->end - wk->first;

	for (size_t p = wk->first; p < wk->end && !atomic_load(&stop); p++)
		visit(wk, p, true);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t r = rnd(&wk->rng);
		size_t start = wk->first + (size_t)(r >> 8) % n;
		bool write = (r & 3) != 0;

		if ((r >> 2 & 7) < 5) {		/* 60%: one random page */
			visit(wk, start, write);
		} else {			/* 40%: a run */
			for (size_t i = 0; i < RUN; i++)
				visit(wk, wk->first + (start - wk->first + i) % n, write);
		}
	}
	return NULL;
}

/* ---- counters ------------------------------------------------------------------ */

static long long field(const char *report_name, const char *name)
{
	size_t len = 0, nlen = strlen(name);
	char *text = NULL;
	long long v = -1;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -1;
	if (mmk_report(report_name, f)) {
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, nlen) && (l[nlen] == ' ' || l[nlen] == ':')) {
			v = strtoll(l + nlen + 1, NULL, 10);
			break;
		}
	free(text);
	return v;
}

struct totals {
	unsigned long written, verified, lost, corrupted;
};

static void sum_workers(int threads, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < threads; i++) {
		t->written += atomic_load(&workers[i].written);
		t->verified += atomic_load(&workers[i].verified);
		t->lost += atomic_load(&workers[i].lost);
		t->corrupted += atomic_load(&workers[i].corrupted);
	}
}

static void progress(double t0, int threads, const char *when)
{
	struct totals t;

	sum_workers(threads, &t);
	printf("  %-4s %6.0f s  written %10lu  verified %10lu  lost %lu  corrupted %lu  "
	       "pswpout %lld  pswpin %lld  pgmajfault %lld  SwapFree %lld kB  "
	       "VmRSS %lld kB  VmSwap %lld kB\n",
	       when, (bench_now_ns() - t0) / 1e9, t.written, t.verified, t.lost, t.corrupted,
	       field("vmstat", "pswpout"), field("vmstat", "pswpin"),
	       field("vmstat", "pgmajfault"), field("meminfo", "SwapFree"),
	       field("self/status", "VmRSS"), field("self/status", "VmSwap"));
	fflush(stdout);
}

/* ---- main ----------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_swap_soak [--seconds N] [--threads T] [--interval S]\n"
		   "  --seconds N   how long the workers run (default 1800)\n"
		   "  --threads T   worker threads (1..%d, default 4)\n"
		   "  --interval S  seconds between progress lines (default 60)\n"
		   "  Boots %s with a %s swap file under $TMPDIR (default /tmp) and\n"
		   "  writes and verifies page stamps over 192 MiB; exits 1 if any page\n"
		   "  is lost or corrupted, a swap slot leaks, or mmk_check complains.\n",
		MAX_THREADS, MEM, SWAP_SIZE);
}

static int parse_args(int argc, char **argv, long *seconds, int *threads, long *interval)
{
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		long v = 0;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 < argc)
			v = strtol(argv[i + 1], &end, 10);
		if (!end || *end || v < 1) {
			usage(stderr);
			return 2;
		}
		if (!strcmp(argv[i], "--seconds"))
			*seconds = v;
		else if (!strcmp(argv[i], "--threads") && v <= MAX_THREADS)
			*threads = (int)v;
		else if (!strcmp(argv[i], "--interval"))
			*interval = v;
		else {
			usage(stderr);
			return 2;
		}
		i++;
	}
	return -1;
}

int main(int argc, char **argv)
{
	long seconds = 1800, interval = 60, problems;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200], cmd[4400], model[128];
	unsigned long final_lost = 0, final_corrupted = 0;
	long long swap_free, swap_total, vmswap;
	int threads = 4, st;
	struct totals t;
	struct utsname un;
	double t0, next;
	bool ok;

	st = parse_args(argc, argv, &seconds, &threads, &interval);
	if (st >= 0)
		return st;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/mmkit-soak-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("bench_swap_soak: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/swapfile", dir);
	snprintf(cmd, sizeof(cmd), "%s swap=%s:%s", MEM, path, SWAP_SIZE);
	bench_cpuinfo_model(model, sizeof(model));
	uname(&un);
	printf("mmkit swap soak: %d thread(s) writing and verifying page stamps over\n"
	       "192 MiB (3x RAM) for %ld s\n", threads, seconds);
	printf("  host:    %s, %ld CPUs, Linux %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       un.release);
	printf("  machine: %s\n", cmd);
	printf("  load:    1-minute load average %.2f at start\n\n", bench_loadavg());
	fflush(stdout);

	gen = calloc(PAGES, sizeof(*gen));
	if (!gen || mmk_boot(cmd)) {
		fprintf(stderr, "bench_swap_soak: %s\n", gen ? "mmk_boot failed" : "out of memory");
		rmdir(dir);
		return 1;
	}
	region = mmk_mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED) {
		perror("bench_swap_soak: mmk_mmap");
		return 1;
	}
	t0 = bench_now_ns();
	for (int i = 0; i < threads; i++) {
		struct worker *wk = &workers[i];

		wk->id = i;
		wk->first = PAGES * (size_t)i / (size_t)threads;
		wk->end = PAGES * (size_t)(i + 1) / (size_t)threads;
		wk->rng = (0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) ^ (uint64_t)t0) | 1;
		if (pthread_create(&wk->thread, NULL, worker_main, wk)) {
			fprintf(stderr, "bench_swap_soak: pthread_create failed\n");
			return 1;
		}
	}
	next = t0 + (double)interval * 1e9;
	while (bench_now_ns() < t0 + (double)seconds * 1e9) {
		usleep(100000);
		if (bench_now_ns() >= next) {
			progress(t0, threads, "");
			next += (double)interval * 1e9;
		}
	}
	atomic_store(&stop, true);
	for (int i = 0; i < threads; i++)
		pthread_join(workers[i].thread, NULL);
	progress(t0, threads, "end");

	/* Every page once more, from one thread, after the workers stopped. */
	for (int i = 0; i < threads; i++)
		for (size_t p = workers[i].first; p < workers[i].end; p++) {
			int kind = check_page(p, gen[p], i, "final check");

			final_lost += kind == 1;
			final_corrupted += kind == 2;
		}
	sum_workers(threads, &t);
	printf("\nfinal check of all %lu pages: lost %lu, corrupted %lu\n", PAGES, final_lost,
	       final_corrupted);
	printf("during the run: %lu pages written, %lu verified (%.0f verified/s), "
	       "lost %lu, corrupted %lu\n", t.written, t.verified,
	       (double)t.verified / ((bench_now_ns() - t0) / 1e9), t.lost, t.corrupted);
	printf("swap traffic: pswpout %lld, pswpin %lld, pgmajfault %lld, pgscan_kswapd %lld, "
	       "pgscan_direct %lld, oom_kill %lld\n", field("vmstat", "pswpout"),
	       field("vmstat", "pswpin"), field("vmstat", "pgmajfault"),
	       field("vmstat", "pgscan_kswapd"), field("vmstat", "pgscan_direct"),
	       field("vmstat", "oom_kill"));

	if (mmk_munmap(region, SIZE))
		perror("bench_swap_soak: mmk_munmap");
	swap_free = field("meminfo", "SwapFree");
	swap_total = field("meminfo", "SwapTotal");
	vmswap = field("self/status", "VmSwap");
	printf("after munmap: SwapFree %lld kB of SwapTotal %lld kB, VmSwap %lld kB\n",
	       swap_free, swap_total, vmswap);
	problems = mmk_check(stdout);
	printf("mmk_check: %ld problem(s)\n", problems);
	mmk_shutdown();
	unlink(path);
	rmdir(dir);
	free(gen);

	ok = !t.lost && !t.corrupted && !final_lost && !final_corrupted && !problems &&
	     swap_free == swap_total && swap_total > 0 && !vmswap;
	printf("\n%s: %lu corrupted and %lu lost pages (run + final check), %s, "
	       "mmk_check %ld problem(s); %.0f s; 1-minute load average at the end %.2f\n",
	       ok ? "PASS" : "FAIL", t.corrupted + final_corrupted, t.lost + final_lost,
	       swap_free == swap_total ? "no swap slot leaked" : "SWAP SLOTS LEAKED", problems,
	       (bench_now_ns() - t0) / 1e9, bench_loadavg());
	return ok ? 0 : 1;
}
