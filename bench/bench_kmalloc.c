// SPDX-License-Identifier: MIT
/*
 * kmalloc benchmark: mmkit's kmalloc/kfree against the user-space
 * allocators that solve the same problem (per-thread caches of same-size
 * objects): glibc malloc, jemalloc, mimalloc and tcmalloc, all in this one
 * process so that they run on the same CPU, at the same moment, under the
 * same background load.
 *
 * 1. The peers. Each is dlopen()ed with RTLD_LOCAL and its entry points are
 *    looked up with dlsym() on its own handle: mi_malloc/mi_free,
 *    tc_malloc/tc_free, jemalloc's malloc/free (Debian's jemalloc has no je_
 *    prefix; the symbol is checked to come from libjemalloc itself), and
 *    glibc's malloc/free from libc.so.6's handle. RTLD_LOCAL keeps their
 *    malloc from interposing glibc's for the rest of the process. A peer
 *    that is not installed is reported missing and the run goes on without
 *    it (scripts/bench-deps.sh installs them on Debian).
 *
 *    libjemalloc.so.2 uses initial-exec TLS, which dlopen() can only place
 *    in the static TLS surplus glibc reserves at start-up (512 bytes by
 *    default; jemalloc 5.3 needs 2.6 KiB), and fails with "cannot allocate
 *    memory in static TLS block". So the program re-executes itself once,
 *    first thing, with glibc.rtld.optional_static_tls raised in
 *    GLIBC_TUNABLES. The surplus is reserved in every thread's static TLS
 *    block, so it is kept small (64 KiB), not megabytes.
 *
 * 2. Fairness. Every allocator, mmkit included, is called through a function
 *    pointer from the same loop, and every object gets its first byte
 *    written. mmkit's allocation is a two-instruction wrapper that
 *    tail-calls mmk_kmalloc() with the size known only at run time, as the
 *    peers get it (it adds GFP_KERNEL); its free is kfree() itself. A kernel's kmalloc(64, GFP_KERNEL) usually has a constant size,
 *    which lets <mmkit/linux.h> pick the cache at compile time, so the pair
 *    rows also show that form ("const size"), for information.
 *
 * 3. Scenarios, each a row per allocator, the allocators interleaved within
 *    every round (in a rotating order) after one unmeasured warm-up:
 *      - same-size alloc+free pairs at 16, 64, 256 and 1024 bytes;
 *      - batches: 1000 allocations, then the 1000 frees in allocation order,
 *        at 64 and 256 bytes; time per operation (one alloc or one free);
 *      - cross-thread frees: one thread allocates 64-byte objects and passes
 *        them through a single-producer single-consumer ring to a thread on
 *        another host CPU, which frees them; ns per object over the wall
 *        time of both. A row with a dummy allocator shows the ring's own cost;
 *      - 1 and 2 threads each doing 64-byte pairs, the 1- and 2-thread
 *        rounds alternating: aggregate throughput and scaling.
 *    Worker threads are pinned to distinct host CPUs and time themselves, as
 *    in bench_page_alloc.c; the main thread is pinned for the 1-thread rows.
 *
 * 4. Output: median ns, best round, TSC cycles, spread = (max - min) /
 *    median, and mmkit/peer = mmkit's median / the peer's (below 1: mmkit is
 *    faster). Then the targets, PASS or MISS, for information: the
 *    program exits non-zero only if an allocation fails, the machine does
 *    not boot or mmk_check() finds a broken invariant.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include <mmkit/mmkit.h>
#include <mmkit/linux.h>

#include "bench_util.h"

/* The "Done when" targets. */
#define TARGET_PAIR64_VS_FASTEST	0.9	/* kmalloc(64)+kfree / fastest peer */
#define TARGET_XTHREAD_VS_MIMALLOC	0.8	/* cross-thread free / mimalloc's */

/* jemalloc 5.3's initial-exec TLS is 2.6 KiB; glibc's default surplus 512 B. */
#define STATIC_TLS_TUNABLE	"glibc.rtld.optional_static_tls"
#define STATIC_TLS_BYTES	65536
#define REEXEC_ENV		"MMK_BENCH_KMALLOC_REEXEC"

#define BATCH		1000	/* objects per batch */
#define RING_SLOTS	512	/* in flight between the threads: 32 KiB of 64 B objects */
#define RING_PUBLISH	16	/* slots between index updates: two cache lines of slots */
#define XTHREAD_SIZE	64
#define PARALLEL_SIZE	64

static int rounds = 7;
static long scale_div = 1;	/* --quick divides every count */
static bool verbose;
static double tsc_per_ns;
static const char *cycle_source = "none";
static int host_cpus[CPU_SETSIZE], nr_host_cpus;

static void die(const char *what)
{
	fprintf(stderr, "bench_kmalloc: %s\n", what);
	exit(1);
}

static int host_cpu(int i)
{
	return nr_host_cpus ? host_cpus[i % nr_host_cpus] : -1;
}

/* ---- allocators ---------------------------------------------------------- */

struct allocator {
	const char *name;
	const char *lib;		/* soname; NULL for mmkit */
	const char *syms;		/* the entry points, as printed */
	void *(*alloc)(size_t);
	void (*free)(void *);
	bool present;
	char version[64];
	char missing[192];		/* why it is absent */
};

enum { A_MMKIT, A_GLIBC, A_JEMALLOC, A_MIMALLOC, A_TCMALLOC, NR_ALLOC };

static void *mmkit_alloc(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

/*
 * kfree() itself, as the peers' free functions are called: a wrapper cost
 * mmkit alone an extra jump per pair (0.3-0.6 ns on this host, measured in
 * a scratch copy). kfree takes a const pointer; the ABI is the same, the
 * cast through void (*)(void) says so to -Wcast-function-type.
 */
#define mmkit_free	((void (*)(void *))(void (*)(void))mmk_kfree)

/* kmalloc with a constant size: the cache is chosen at compile time. */
#define MMKIT_CONST_ALLOC(n)					\
static void *mmkit_alloc_##n(size_t size)			\
{								\
	(void)size;						\
	return kmalloc(n, GFP_KERNEL);				\
}
MMKIT_CONST_ALLOC(16)
MMKIT_CONST_ALLOC(64)
MMKIT_CONST_ALLOC(256)
MMKIT_CONST_ALLOC(1024)

/* The ring-only baseline of the cross-thread row: no allocator at all. */
static char dummy_object[64];

static void *dummy_alloc(size_t size)
{
	(void)size;
	return dummy_object;
}

static void dummy_free(void *p)
{
	(void)p;
}

static struct allocator allocs[NR_ALLOC] = {
	[A_MMKIT]    = { "mmkit kmalloc", NULL, "kmalloc(n, GFP_KERNEL)/kfree",
			 mmkit_alloc, mmkit_free, true, "", "" },
	[A_GLIBC]    = { "glibc malloc", "libc.so.6", "malloc/free" },
	[A_JEMALLOC] = { "jemalloc", "libjemalloc.so.2", "malloc/free" },
	[A_MIMALLOC] = { "mimalloc", "libmimalloc.so.2", "mi_malloc/mi_free" },
	[A_TCMALLOC] = { "tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc/tc_free" },
};

/* Does @fn lie in the same loaded object as @ref? */
static bool same_object(void *fn, void *ref)
{
	Dl_info a, b;

	return fn && ref && dladdr(fn, &a) && dladdr(ref, &b) && a.dli_fbase == b.dli_fbase;
}

/* dlsym() into a function pointer without a cast from void * (ISO C forbids it). */
static void *sym(void *handle, const char *name)
{
	return dlsym(handle, name);
}

static void load_peer(struct allocator *a, int id)
{
	int flags = RTLD_NOW | RTLD_LOCAL | (id == A_GLIBC ? RTLD_NOLOAD : 0);
	void *h = dlopen(a->lib, flags);
	void *m = NULL, *f = NULL, *ref = NULL;

	if (!h) {
		snprintf(a->missing, sizeof(a->missing), "%s", dlerror());
		return;
	}
	switch (id) {
	case A_GLIBC:
		m = sym(h, "malloc");
		f = sym(h, "free");
		ref = sym(h, "__libc_malloc");
#ifdef __GLIBC__
		snprintf(a->version, sizeof(a->version), "glibc %s", gnu_get_libc_version());
#endif
		break;
	case A_JEMALLOC: {
		int (*mallctl)(const char *, void *, size_t *, void *, size_t);
		const char *v = NULL;
		size_t len = sizeof(v);

		m = sym(h, "je_malloc");
		f = sym(h, "je_free");
		if (!m || !f) {
			m = sym(h, "malloc");
			f = sym(h, "free");
		}
		ref = sym(h, "mallctl");
		*(void **)&mallctl = ref;
		if (mallctl && !mallctl("version", &v, &len, NULL, 0) && v)
			snprintf(a->version, sizeof(a->version), "%s", v);
		break;
	}
	case A_MIMALLOC: {
		int (*mi_version)(void);

		m = sym(h, "mi_malloc");
		f = sym(h, "mi_free");
		ref = m;
		*(void **)&mi_version = sym(h, "mi_version");
		if (mi_version) {
			int v = mi_version();

			snprintf(a->version, sizeof(a->version), "%d.%d.%d",
				 v / 100, v / 10 % 10, v % 10);
		}
		break;
	}
	case A_TCMALLOC: {
		const char *(*tc_version)(int *, int *, const char **);

		m = sym(h, "tc_malloc");
		f = sym(h, "tc_free");
		ref = m;
		*(void **)&tc_version = sym(h, "tc_version");
		if (tc_version)
			snprintf(a->version, sizeof(a->version), "%s", tc_version(NULL, NULL, NULL));
		break;
	}
	}
	/* dlsym() on a handle also searches its dependencies, libc among them. */
	if (!m || !f || !same_object(m, ref) || !same_object(f, ref)) {
		snprintf(a->missing, sizeof(a->missing), "%s: no %s of its own", a->lib, a->syms);
		return;
	}
	*(void **)&a->alloc = m;
	*(void **)&a->free = f;
	a->present = true;
}

/*
 * Let dlopen() place jemalloc's initial-exec TLS: re-execute once with a
 * larger static TLS surplus. On failure, carry on (jemalloc will be missing).
 */
static void reexec_for_static_tls(char **argv)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char buf[1024];

	if (getenv(REEXEC_ENV) || (t && strstr(t, STATIC_TLS_TUNABLE)))
		return;
	snprintf(buf, sizeof(buf), "%s%s" STATIC_TLS_TUNABLE "=%d", t ? t : "",
		 t && *t ? ":" : "", STATIC_TLS_BYTES);
	setenv("GLIBC_TUNABLES", buf, 1);
	setenv(REEXEC_ENV, "1", 1);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "bench_kmalloc: re-exec with GLIBC_TUNABLES failed (%s); "
		"jemalloc may not load\n", strerror(errno));
}

#ifdef __SANITIZE_ADDRESS__
/*
 * Under `make SAN=1`: LeakSanitizer's hook. The peers keep a few objects of
 * their own for the life of the process (tcmalloc's MallocExtension), which
 * are not this program's leaks. Exported, or the sanitizer cannot see it.
 */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void)
{
	return "leak:libtcmalloc_minimal.so\nleak:libjemalloc.so\nleak:libmimalloc.so\n";
}
#endif

/* ---- results ------------------------------------------------------------- */

struct result {
	const char *name;
	int n;
	double ns[BENCH_MAX_ROUNDS];	/* per unit (pair, op, object), each round */
	double cyc[BENCH_MAX_ROUNDS];
	double med_ns, min_ns, max_ns, med_cyc;
};

static void summarize(struct result *r)
{
	bench_summary(r->name, r->ns, r->cyc, r->n, tsc_per_ns, verbose, &r->med_ns,
		      &r->min_ns, &r->max_ns, &r->med_cyc);
}

static double spread(const struct result *r)
{
	return 100.0 * (r->max_ns - r->min_ns) / r->med_ns;
}

/* ---- single-thread loops ------------------------------------------------- */

struct ops {
	void *(*alloc)(size_t);
	void (*free)(void *);
};

/*
 * The loops start on a cache line of their own. Where the linker happened
 * to put loop_pairs() moved tcmalloc's 64-byte pair between 4.6 and 5.0 ns
 * on this host (a scratch copy at 32- and 64-byte alignment), with no
 * change to tcmalloc: a change anywhere in the program shifted the
 * ratios. Aligned, they compare the allocators, not the layout.
 */
#define LOOP_ALIGNED	__attribute__((noinline, aligned(64)))

static LOOP_ALIGNED void loop_pairs(const struct ops *o, size_t size, long pairs)
{
	void *(*alloc)(size_t) = o->alloc;
	void (*release)(void *) = o->free;

	for (long i = 0; i < pairs; i++) {
		char *p = alloc(size);

		if (!p)
			die("allocation failed");
		*(volatile char *)p = (char)i;
		release(p);
	}
}

static LOOP_ALIGNED void loop_batches(const struct ops *o, size_t size, long batches)
{
	void *(*alloc)(size_t) = o->alloc;
	void (*release)(void *) = o->free;
	static void *slot[BATCH];

	for (long b = 0; b < batches; b++) {
		for (int i = 0; i < BATCH; i++) {
			char *p = alloc(size);

			if (!p)
				die("allocation failed");
			*(volatile char *)p = (char)i;
			slot[i] = p;
		}
		for (int i = 0; i < BATCH; i++)
			release(slot[i]);
	}
}

/* One row of a single-thread table. */
struct row {
	struct ops ops;
	struct result r;
};

/*
 * Measure @n rows, interleaved: each round runs every row once, starting at
 * a different row each round. @count is the loop's argument (pairs or
 * batches), @units the unit the figure is per (pairs, or ops).
 */
static void measure_rows(struct row *row, int n, size_t size,
			 void (*loop)(const struct ops *, size_t, long), long count, long units)
{
	for (int k = 0; k < n; k++) {
		loop(&row[k].ops, size, count / 4 + 1);	/* warm-up */
		row[k].r.n = rounds;
	}
	for (int i = 0; i < rounds; i++) {
		for (int j = 0; j < n; j++) {
			struct row *w = &row[(i + j) % n];
			double t0 = bench_now_ns();
			uint64_t c0 = bench_ticks();

			loop(&w->ops, size, count);
			uint64_t c1 = bench_ticks();
			double t1 = bench_now_ns();

			w->r.ns[i] = (t1 - t0) / (double)units;
			w->r.cyc[i] = (double)(c1 - c0) / (double)units;
		}
	}
	for (int k = 0; k < n; k++)
		summarize(&row[k].r);
}

/* ---- cross-thread frees -------------------------------------------------- */

/*
 * A single-producer single-consumer ring. Each side keeps its own index and
 * a cached copy of the other's, reads the other's only when the ring looks
 * full (producer) or empty (consumer), and publishes its own every
 * RING_PUBLISH slots and at the end of a phase. Publishing every slot would
 * move the index's cache line between the CPUs once per object, which on
 * this kind of host costs more than any allocator's cross-thread free.
 * No deadlock: a full producer has published all but < RING_PUBLISH slots,
 * and the consumer publishes its index on every multiple of RING_PUBLISH.
 */
struct ring {
	_Alignas(64) atomic_ulong head;		/* slots filled, producer's */
	_Alignas(64) atomic_ulong tail;		/* slots emptied, consumer's */
	_Alignas(64) void *slot[RING_SLOTS];
};

static inline void cpu_relax(unsigned int *spins)
{
#if HAVE_TSC
	_mm_pause();
#endif
	if (++*spins % 1024 == 0)	/* both threads on one host CPU */
		sched_yield();
}

struct xfer {
	struct ring *ring;
	const struct ops *ops;
	pthread_barrier_t *start;
	int host_cpu;
	long warm, count;
	unsigned long idx, other;	/* own index, cached other index */
	double t0, t1;
	uint64_t c0, c1;
};

static void produce(struct xfer *x, long count)
{
	struct ring *r = x->ring;
	void *(*alloc)(size_t) = x->ops->alloc;
	unsigned int spins = 0;

	for (long i = 0; i < count; i++) {
		char *p = alloc(XTHREAD_SIZE);

		if (!p)
			die("allocation failed in the producer");
		*(volatile char *)p = (char)i;
		while (x->idx - x->other == RING_SLOTS) {
			x->other = atomic_load_explicit(&r->tail, memory_order_acquire);
			if (x->idx - x->other == RING_SLOTS)
				cpu_relax(&spins);
		}
		r->slot[x->idx++ % RING_SLOTS] = p;
		if (x->idx % RING_PUBLISH == 0)
			atomic_store_explicit(&r->head, x->idx, memory_order_release);
	}
	atomic_store_explicit(&r->head, x->idx, memory_order_release);
}

static void consume(struct xfer *x, long count)
{
	struct ring *r = x->ring;
	void (*release)(void *) = x->ops->free;
	unsigned int spins = 0;

	for (long i = 0; i < count; i++) {
		void *p;

		while (x->idx == x->other) {
			x->other = atomic_load_explicit(&r->head, memory_order_acquire);
			if (x->idx == x->other)
				cpu_relax(&spins);
		}
		p = r->slot[x->idx++ % RING_SLOTS];
		if (x->idx % RING_PUBLISH == 0)
			atomic_store_explicit(&r->tail, x->idx, memory_order_release);
		release(p);
	}
	atomic_store_explicit(&r->tail, x->idx, memory_order_release);
}

static void *xfer_main(void *arg, void (*work)(struct xfer *, long))
{
	struct xfer *x = arg;

	bench_pin_self(x->host_cpu);
	work(x, x->warm);
	pthread_barrier_wait(x->start);
	x->t0 = bench_now_ns();
	x->c0 = bench_ticks();
	work(x, x->count);
	x->c1 = bench_ticks();
	x->t1 = bench_now_ns();
	return NULL;
}

static void *producer_main(void *arg)
{
	return xfer_main(arg, produce);
}

static void *consumer_main(void *arg)
{
	return xfer_main(arg, consume);
}

/*
 * One round: fresh producer and consumer threads on two host CPUs pass a
 * warm-up batch, meet at a barrier, then pass @count objects. Returns ns per
 * object over the first start to the last end, as the threads saw them.
 */
static double xthread_round(const struct ops *o, long count, double *cyc)
{
	static struct ring ring;
	pthread_barrier_t start;
	pthread_t tp, tc;
	struct xfer p, c;

	atomic_store(&ring.head, 0);
	atomic_store(&ring.tail, 0);
	pthread_barrier_init(&start, NULL, 2);
	p = (struct xfer){ &ring, o, &start, host_cpu(0), count / 8 + RING_SLOTS, count };
	c = p;
	c.host_cpu = host_cpu(1);
	if (pthread_create(&tp, NULL, producer_main, &p) ||
	    pthread_create(&tc, NULL, consumer_main, &c))
		die("pthread_create failed");
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	pthread_barrier_destroy(&start);
	{
		double t0 = p.t0 < c.t0 ? p.t0 : c.t0, t1 = p.t1 > c.t1 ? p.t1 : c.t1;
		uint64_t c0 = p.t0 < c.t0 ? p.c0 : c.c0, c1 = p.t1 > c.t1 ? p.c1 : c.c1;

		*cyc = (double)(c1 - c0) / (double)count;
		return (t1 - t0) / (double)count;
	}
}

/* ---- parallel pairs ------------------------------------------------------ */

struct worker {
	const struct ops *ops;
	pthread_barrier_t *start;
	int host_cpu;
	long pairs;
	double t0, t1;
	uint64_t c0, c1;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	bench_pin_self(w->host_cpu);
	loop_pairs(w->ops, PARALLEL_SIZE, w->pairs / 8 + 1);	/* this thread's caches */
	pthread_barrier_wait(w->start);
	w->t0 = bench_now_ns();
	w->c0 = bench_ticks();
	loop_pairs(w->ops, PARALLEL_SIZE, w->pairs);
	w->c1 = bench_ticks();
	w->t1 = bench_now_ns();
	return NULL;
}

/* @nthreads fresh pinned threads of @pairs pairs each; ns per pair of the aggregate. */
static double parallel_round(const struct ops *o, int nthreads, long pairs, double *cyc)
{
	pthread_t tid[2];
	struct worker w[2];
	pthread_barrier_t start;
	double t0 = 0, t1 = 0;
	uint64_t c0 = 0, c1 = 0;

	pthread_barrier_init(&start, NULL, (unsigned int)nthreads);
	for (int t = 0; t < nthreads; t++) {
		w[t] = (struct worker){ o, &start, host_cpu(t), pairs };
		if (pthread_create(&tid[t], NULL, worker_main, &w[t]))
			die("pthread_create failed");
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);
	for (int t = 0; t < nthreads; t++) {
		if (!t || w[t].t0 < t0)
			t0 = w[t].t0, c0 = w[t].c0;
		if (!t || w[t].t1 > t1)
			t1 = w[t].t1, c1 = w[t].c1;
	}
	pthread_barrier_destroy(&start);
	*cyc = (double)(c1 - c0) / (double)(pairs * nthreads);
	return (t1 - t0) / (double)(pairs * nthreads);
}

/* ---- output -------------------------------------------------------------- */

static void print_cycles(double cyc)
{
	if (tsc_per_ns > 0)
		printf(" %7.0f", cyc);
	else
		printf(" %7s", "-");
}

static void print_ratio(double ours, double peer)
{
	printf("  %9.2fx", ours / peer);
}

/* A row: name, median, min, cycles, spread, then the ratios of @ours (0: none). */
static void print_row(const char *label, const struct result *r, const double *ours, int nours)
{
	printf("  %-34s %9.1f %7.1f", label, r->med_ns, r->min_ns);
	print_cycles(r->med_cyc);
	printf(" %6.1f%%", spread(r));
	for (int i = 0; i < nours; i++)
		print_ratio(ours[i], r->med_ns);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_kmalloc [--quick] [--rounds N] [--verbose]\n"
		   "  --quick     3 rounds of a tenth of the work (a smoke run, noisy)\n"
		   "  --rounds N  rounds per row (1..%d, default 7)\n"
		   "  --verbose   print every round's figure to stderr\n", BENCH_MAX_ROUNDS);
}

static const size_t pair_sizes[] = { 16, 64, 256, 1024 };
static void *(*const const_alloc[])(size_t) = {
	mmkit_alloc_16, mmkit_alloc_64, mmkit_alloc_256, mmkit_alloc_1024
};
static const size_t batch_sizes[] = { 64, 256 };
#define NR_PAIR_SIZES	(int)(sizeof(pair_sizes) / sizeof(pair_sizes[0]))
#define NR_BATCH_SIZES	(int)(sizeof(batch_sizes) / sizeof(batch_sizes[0]))

int main(int argc, char **argv)
{
	/* Per scenario: the rows of the allocators present, mmkit first. */
	struct row pair[NR_PAIR_SIZES][NR_ALLOC + 1], batch[NR_BATCH_SIZES][NR_ALLOC];
	struct result xt[NR_ALLOC + 1], par1[NR_ALLOC], par2[NR_ALLOC];
	double scaling[NR_ALLOC][BENCH_MAX_ROUNDS];
	struct ops ops[NR_ALLOC], dummy_ops = { dummy_alloc, dummy_free };
	int present[NR_ALLOC], np = 0;
	long pairs = 2000000, batches = 1000, xcount = 1000000, ppairs = 2000000;
	const char *tunables;
	double t_start = bench_now_ns();
	char model[128], missing[512] = "";
	struct utsname un;
	bool quick = false;

	reexec_for_static_tls(argv);
	tunables = getenv("GLIBC_TUNABLES");
	{
		int st = bench_parse_args(argc, argv, &quick, &verbose, &rounds, 3,
					  BENCH_MAX_ROUNDS, usage);

		if (st >= 0)
			return st;
	}
	if (quick)
		scale_div = 10;


	pairs /= scale_div;
	batches /= scale_div;
	xcount /= scale_div;
	ppairs /= scale_div;

	tsc_per_ns = bench_calibrate_cycles(&cycle_source);
	nr_host_cpus = bench_host_cpus(host_cpus);
	bench_cpuinfo_model(model, sizeof(model));
	uname(&un);

	if (mmk_boot(NULL))
		die("mmk_boot(NULL) failed");
	for (int a = 0; a < NR_ALLOC; a++) {
		if (a != A_MMKIT)
			load_peer(&allocs[a], a);
		if (allocs[a].present) {
			present[np++] = a;
			ops[a] = (struct ops){ allocs[a].alloc, allocs[a].free };
		} else {
			size_t l = strlen(missing);

			snprintf(missing + l, sizeof(missing) - l, "    %-9s %s\n",
				 allocs[a].name, allocs[a].missing);
		}
	}

	printf("mmkit kmalloc benchmark%s\n", quick ? " (--quick: smoke run, noisy)" : "");
	printf("  host:   %s, %ld CPUs, Linux %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       un.release);
	if (tsc_per_ns > 0)
		printf("  cycles: %s (%.1f MHz; /proc/cpuinfo says %.1f MHz)\n",
		       cycle_source, tsc_per_ns * 1000.0, bench_cpuinfo_mhz());
	else
		printf("  cycles: not available on this host\n");
	printf("  method: %d rounds per row after one warm-up, the allocators interleaved\n"
	       "          in each round; figure = median round, spread = (max - min) / median;\n"
	       "          mmkit/peer = mmkit median / peer median (< 1: mmkit faster)\n", rounds);
	printf("  mmkit:  kmalloc(n, GFP_KERNEL) + kfree, default machine (256 MiB)\n");
	printf("  peers:  dlopen(RTLD_LOCAL) in this process, entry points by dlsym on the handle\n");
	for (int i = 1; i < np; i++) {
		const struct allocator *a = &allocs[present[i]];

		printf("    %-13s %-18s %-25s %s\n", a->name, a->syms, a->lib, a->version);
	}
	if (missing[0])
		printf("  missing (scripts/bench-deps.sh installs the packages):\n%s", missing);
	else
		printf("  missing: none\n");
	printf("  GLIBC_TUNABLES=%s%s\n\n", tunables ? tunables : "(unset)",
	       getenv(REEXEC_ENV) ? " (set by this program's re-exec, for jemalloc's TLS)" : "");
	fflush(stdout);

	bench_pin_self(host_cpu(0));

	/* Same-size pairs: mmkit, mmkit with a constant size, then the peers. */
	for (int s = 0; s < NR_PAIR_SIZES; s++) {
		struct row *row = pair[s];

		row[0].ops = ops[A_MMKIT];
		row[0].r.name = "mmkit kmalloc(n)";
		row[1].ops = (struct ops){ const_alloc[s], mmkit_free };
		row[1].r.name = "mmkit kmalloc(const)";
		for (int i = 1; i < np; i++) {
			row[i + 1].ops = ops[present[i]];
			row[i + 1].r.name = allocs[present[i]].name;
		}
		measure_rows(row, np + 1, pair_sizes[s], loop_pairs, pairs, pairs);
	}

	/* Batches of BATCH allocations then BATCH frees. */
	for (int s = 0; s < NR_BATCH_SIZES; s++) {
		struct row *row = batch[s];

		for (int i = 0; i < np; i++) {
			row[i].ops = ops[present[i]];
			row[i].r.name = allocs[present[i]].name;
		}
		measure_rows(row, np, batch_sizes[s], loop_batches, batches, batches * 2 * BATCH);
	}
	if (mmk_check(stderr))
		die("invariant check failed after the single-thread rows");

	/* Cross-thread frees; row np is the ring alone. */
	for (int i = 0; i <= np; i++) {
		xt[i] = (struct result){ .name = i < np ? allocs[present[i]].name : "ring only",
					 .n = rounds };
	}
	for (int i = 0; i <= np; i++)	/* warm-up */
		xthread_round(i < np ? &ops[present[i]] : &dummy_ops, xcount / 4 + 1, &xt[i].cyc[0]);
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j <= np; j++) {
			int i = (r + j) % (np + 1);

			xt[i].ns[r] = xthread_round(i < np ? &ops[present[i]] : &dummy_ops,
						    xcount, &xt[i].cyc[r]);
		}
	for (int i = 0; i <= np; i++)
		summarize(&xt[i]);

	/* 1 and 2 threads of pairs, alternating. */
	for (int i = 0; i < np; i++) {
		par1[i] = (struct result){ .name = allocs[present[i]].name, .n = rounds };
		par2[i] = par1[i];
	}
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < np; j++) {
			int i = (r + j) % np;
			const struct ops *o = &ops[present[i]];

			par1[i].ns[r] = parallel_round(o, 1, ppairs, &par1[i].cyc[r]);
			par2[i].ns[r] = parallel_round(o, 2, ppairs, &par2[i].cyc[r]);
			scaling[i][r] = par1[i].ns[r] / par2[i].ns[r];
		}
	for (int i = 0; i < np; i++) {
		summarize(&par1[i]);
		summarize(&par2[i]);
	}
	if (mmk_check(stderr))
		die("invariant check failed after the threaded rows");

	/* ---- report ---- */
	printf("Same-size alloc+free pairs, 1 thread (%ld pairs a round; the first byte of\n"
	       "each object written; kmalloc(const): the size a compile-time constant)\n", pairs);
	printf("  %-34s %9s %7s %7s %7s  %10s  %10s\n", "size / allocator", "ns/pair", "min",
	       "cycles", "spread", "mmkit/peer", "const/peer");
	for (int s = 0; s < NR_PAIR_SIZES; s++) {
		double ours[2] = { pair[s][0].r.med_ns, pair[s][1].r.med_ns };
		char label[64];

		printf("  %zu bytes\n", pair_sizes[s]);
		snprintf(label, sizeof(label), "  mmkit kmalloc(n)");
		print_row(label, &pair[s][0].r, NULL, 0);
		snprintf(label, sizeof(label), "  mmkit kmalloc(%zu), const", pair_sizes[s]);
		print_row(label, &pair[s][1].r, NULL, 0);
		for (int i = 1; i < np; i++) {
			snprintf(label, sizeof(label), "  %s", pair[s][i + 1].r.name);
			print_row(label, &pair[s][i + 1].r, ours, 2);
		}
	}
	printf("\nBatches: %d allocations, then the %d frees in allocation order, 1 thread\n"
	       "(%ld batches a round; ns per op, an op being one allocation or one free)\n",
	       BATCH, BATCH, batches);
	printf("  %-34s %9s %7s %7s %7s  %10s\n", "size / allocator", "ns/op", "min", "cycles",
	       "spread", "mmkit/peer");
	for (int s = 0; s < NR_BATCH_SIZES; s++) {
		double ours = batch[s][0].r.med_ns;
		char label[64];

		printf("  %zu bytes\n", batch_sizes[s]);
		for (int i = 0; i < np; i++) {
			snprintf(label, sizeof(label), "  %s", batch[s][i].r.name);
			print_row(label, &batch[s][i].r, &ours, i ? 1 : 0);
		}
	}
	printf("\nCross-thread frees: a thread on host CPU %d allocates %d-byte objects and\n"
	       "passes them through a %d-slot ring to a thread on host CPU %d that frees\n"
	       "them (%ld objects a round); ns per object = wall time of both / objects\n",
	       host_cpu(0), XTHREAD_SIZE, RING_SLOTS, host_cpu(1), xcount);
	printf("  %-34s %9s %7s %7s %7s  %10s\n", "allocator", "ns/object", "min", "cycles",
	       "spread", "mmkit/peer");
	for (int i = 0; i < np; i++)
		print_row(xt[i].name, &xt[i], &xt[0].med_ns, i ? 1 : 0);
	print_row("ring only (no allocator)", &xt[np], NULL, 0);
	printf("  (the ring-only row passes one static object and frees nothing: the cost\n"
	       "  of the hand-over itself, included in every row above)\n");

	printf("\n%d-byte pairs from 1 and 2 parallel threads (pinned to host CPUs %d and %d,\n"
	       "%ld pairs each; ns/pair = wall time over all threads' pairs; rounds alternate)\n",
	       PARALLEL_SIZE, host_cpu(0), host_cpu(1), ppairs);
	printf("  %-20s %9s %9s %9s %8s %11s %7s  %10s\n", "allocator", "1 thread", "2 threads",
	       "Mpairs/s", "scaling", "(range)", "spread", "mmkit/peer");
	for (int i = 0; i < np; i++) {
		double lo = scaling[i][0], hi = scaling[i][0];

		for (int r = 1; r < rounds; r++) {
			lo = scaling[i][r] < lo ? scaling[i][r] : lo;
			hi = scaling[i][r] > hi ? scaling[i][r] : hi;
		}
		printf("  %-20s %9.1f %9.1f %9.1f %7.2fx %5.2f-%.2fx %6.1f%%", par1[i].name,
		       par1[i].med_ns, par2[i].med_ns, 1e3 / par2[i].med_ns,
		       bench_median(scaling[i], rounds), lo, hi, spread(&par2[i]));
		if (i)
			print_ratio(par2[0].med_ns, par2[i].med_ns);
		printf("\n");
	}
	printf("  (1 thread / 2 threads: ns/pair medians; scaling = median over rounds of\n"
	       "  the 2-thread / 1-thread throughput; spread and mmkit/peer: 2 threads)\n");

	printf("\nTargets (issue \"Done when\"; informational, a MISS does not fail the run)\n");
	{
		int s64 = 1, fast = -1;
		double ours = pair[s64][0].r.med_ns, ours_c = pair[s64][1].r.med_ns;

		for (int i = 1; i < np; i++)
			if (fast < 0 || pair[s64][i + 1].r.med_ns < pair[s64][fast + 1].r.med_ns)
				fast = i;
		if (fast < 0) {
			printf("  MISS  kmalloc(64)+kfree vs the fastest peer: no peer loaded\n");
		} else {
			double peer = pair[s64][fast + 1].r.med_ns;

			printf("  %s  kmalloc(64)+kfree %.1f ns <= %.1fx fastest peer (%s %.1f ns)"
			       " = %.1f ns: %.2fx\n", bench_verdict(ours <= TARGET_PAIR64_VS_FASTEST * peer),
			       ours, TARGET_PAIR64_VS_FASTEST, allocs[present[fast]].name, peer,
			       TARGET_PAIR64_VS_FASTEST * peer, ours / peer);
			printf("  %s  (the same with a constant size: %.1f ns, %.2fx)\n",
			       bench_verdict(ours_c <= TARGET_PAIR64_VS_FASTEST * peer), ours_c,
			       ours_c / peer);
		}
	}
	{
		int mi = -1;

		for (int i = 1; i < np; i++)
			if (present[i] == A_MIMALLOC)
				mi = i;
		if (mi < 0)
			printf("  MISS  cross-thread free vs mimalloc: mimalloc not loaded\n");
		else
			printf("  %s  cross-thread free %.1f ns/object <= %.1fx mimalloc (%.1f ns)"
			       " = %.1f ns: %.2fx\n",
			       bench_verdict(xt[0].med_ns <= TARGET_XTHREAD_VS_MIMALLOC * xt[mi].med_ns),
			       xt[0].med_ns, TARGET_XTHREAD_VS_MIMALLOC, xt[mi].med_ns,
			       TARGET_XTHREAD_VS_MIMALLOC * xt[mi].med_ns, xt[0].med_ns / xt[mi].med_ns);
	}
	mmk_shutdown();
	printf("\ntotal run time %.1f s\n", (bench_now_ns() - t_start) / 1e9);
	fflush(stdout);		/* before any sanitizer's exit-time report */
	return 0;
}
