// SPDX-License-Identifier: MIT
/*
 * Randomized stress of kmalloc and kmem_caches, with cross-CPU frees.
 *
 * Four threads (four CPUs, on however many host cores) allocate objects of
 * random sizes 1..8192 with random gfp (plain, atomic, reclaimable, DMA)
 * and objects of six caches of their own (odd sizes, alignments, DMA),
 * fill each with a pattern derived from its address and a unique tag, and
 * free them in random order; about 30% of the frees are handed to another
 * thread through a locked queue, so objects are freed on a CPU that did not
 * allocate them. Every pattern is verified before its free, so an object
 * handed out twice, or a write by the allocator into a live object, shows.
 * The allocator must print nothing. After the join the invariant checker
 * (slabs, freelists, counters) must be clean, with the survivors still
 * live and after freeing them; the test's caches are destroyed without
 * complaint; every kmalloc cache holds no more slabs than min_partial (at
 * most 10) plus one active slab per CPU that ran, and no more active
 * objects than those CPU slabs hold; and the free page count is back to
 * its value before the stress, less at most those slabs.
 *
 * Meanwhile a fifth thread shrinks the caches the workers use and creates
 * and destroys caches of its own, taking CPU slabs away from under them.
 *
 * Then the same, single threaded, under slub_debug=FZPU, where every free
 * is checked and no report may appear. MMK_TEST_SEED reproduces the
 * random choices (not the thread interleaving); MMK_TEST_SCALE scales the
 * number of operations; ASan builds run a quarter.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MAX_THREADS	4
#define MAX_LIVE	400
#define NR_TEST_CACHES	6
#define DMA_LIMIT	(16UL << 20)

struct obj {
	unsigned char *p;
	size_t size;
	unsigned long tag;
	int cache;		/* index in caches[], or -1 for kmalloc */
};

struct queue {
	pthread_mutex_t lock;
	struct obj *items;
	int n, cap;
};

static const struct {
	const char *name;
	unsigned int size, align;
	slab_flags_t flags;
} cache_specs[NR_TEST_CACHES] = {
	{ "stress_24", 24, 0, 0 },
	{ "stress_100_hw", 100, 0, SLAB_HWCACHE_ALIGN },
	{ "stress_256_a128", 256, 128, 0 },
	{ "stress_700", 700, 0, SLAB_RECLAIM_ACCOUNT },
	{ "stress_3000", 3000, 0, 0 },
	{ "stress_40_dma", 40, 0, SLAB_CACHE_DMA },
};

static struct kmem_cache *caches[NR_TEST_CACHES];
static struct queue queues[MAX_THREADS];
static int nthreads;
static unsigned long ops_per_thread;

/* What threads found; checked by main (CHECK is not thread-safe). */
static atomic_long errors;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error[512];

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&errors, 1) == 0) {
		pthread_mutex_lock(&err_lock);
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
		pthread_mutex_unlock(&err_lock);
	}
}

struct worker {
	int id;
	unsigned long long rng;
	struct obj live[MAX_LIVE];
	int nlive;
	unsigned long allocs, frees, remote_frees;
};

static unsigned long long xrand(struct worker *w)
{
	unsigned long long x = w->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return w->rng = x;
}

static size_t random_size(struct worker *w)
{
	unsigned int r = (unsigned int)(xrand(w) % 100);

	if (r < 60)
		return 1 + xrand(w) % 256;
	if (r < 90)
		return 1 + xrand(w) % 2048;
	return 1 + xrand(w) % 8192;
}

static bool new_object(struct worker *w, struct obj *o)
{
	unsigned int r = (unsigned int)(xrand(w) % 100);

	o->tag = ((unsigned long)w->id << 48) ^ (w->allocs * 0x9e3779b97f4a7c15ul) ^ xrand(w);
	if (r < 70) {
		static const gfp_t gfps[] = {
			GFP_KERNEL, GFP_KERNEL, GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT,
			GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_ZERO,
		};
		gfp_t gfp = (xrand(w) % 50 == 0) ? GFP_KERNEL | GFP_DMA :
			    gfps[xrand(w) % (sizeof(gfps) / sizeof(gfps[0]))];

		o->size = random_size(w);
		o->cache = -1;
		o->p = kmalloc(o->size, gfp);
		if (!o->p) {
			fail("thread %d: kmalloc(%zu, %#x) failed", w->id, o->size, gfp);
			return false;
		}
		if (ksize(o->p) < o->size)
			fail("thread %d: ksize(kmalloc(%zu)) = %zu", w->id, o->size, ksize(o->p));
		if ((gfp & __GFP_DMA) && virt_to_phys(o->p + o->size - 1) >= DMA_LIMIT)
			fail("thread %d: GFP_DMA object %p above ZONE_DMA", w->id, (void *)o->p);
		if (gfp & __GFP_ZERO)
			for (size_t i = 0; i < o->size; i++)
				if (o->p[i]) {
					fail("thread %d: __GFP_ZERO object %p byte %zu is %#x",
					     w->id, (void *)o->p, i, o->p[i]);
					break;
				}
	} else {
		int c = (int)(xrand(w) % NR_TEST_CACHES);

		o->cache = c;
		o->size = cache_specs[c].size;
		o->p = kmem_cache_alloc(caches[c], GFP_KERNEL);
		if (!o->p) {
			fail("thread %d: kmem_cache_alloc(%s) failed", w->id, cache_specs[c].name);
			return false;
		}
		if (cache_specs[c].align && ((uintptr_t)o->p & (cache_specs[c].align - 1)))
			fail("thread %d: %s object %p misaligned", w->id, cache_specs[c].name,
			     (void *)o->p);
		if ((cache_specs[c].flags & SLAB_CACHE_DMA) &&
		    virt_to_phys(o->p + o->size - 1) >= DMA_LIMIT)
			fail("thread %d: %s object %p above ZONE_DMA", w->id,
			     cache_specs[c].name, (void *)o->p);
	}
	obj_fill(o->p, o->size, o->tag);
	w->allocs++;
	return true;
}

static void free_object(int who, const struct obj *o)
{
	size_t bad = obj_check(o->p, o->size, o->tag);

	if (bad)
		fail("cpu thread %d: object %p (%zu bytes, %s) has %zu bytes changed", who,
		     (void *)o->p, o->size,
		     o->cache < 0 ? "kmalloc" : cache_specs[o->cache].name, bad);
	if (o->cache < 0)
		kfree(o->p);
	else
		kmem_cache_free(caches[o->cache], o->p);
}

static void queue_push(struct queue *q, const struct obj *o)
{
	pthread_mutex_lock(&q->lock);
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 256;
		q->items = realloc(q->items, (size_t)q->cap * sizeof(*q->items));
		if (!q->items)
			abort();
	}
	q->items[q->n++] = *o;
	pthread_mutex_unlock(&q->lock);
}

/* Free everything other threads handed us. */
static void queue_drain(int who, struct queue *q, struct worker *w)
{
	struct obj batch[64];
	int n;

	do {
		pthread_mutex_lock(&q->lock);
		n = q->n < 64 ? q->n : 64;
		q->n -= n;
		if (n)
			memcpy(batch, q->items + q->n, (size_t)n * sizeof(batch[0]));
		pthread_mutex_unlock(&q->lock);
		for (int i = 0; i < n; i++) {
			free_object(who, &batch[i]);
			if (w)
				w->remote_frees++;
		}
	} while (n);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned long op = 0; op < ops_per_thread && !atomic_load(&errors); op++) {
		if ((op & 63) == 0)
			queue_drain(w->id, &queues[w->id], w);
		if (w->nlive < MAX_LIVE && (!w->nlive || xrand(w) % 100 < 52)) {
			if (new_object(w, &w->live[w->nlive]))
				w->nlive++;
		} else {
			int i = (int)(xrand(w) % (unsigned long long)w->nlive);
			struct obj o = w->live[i];

			w->live[i] = w->live[--w->nlive];
			if (xrand(w) % 100 < 30) {
				/* Another thread's, or our own, to be freed later. */
				int to = nthreads > 1 ?
					(w->id + 1 + (int)(xrand(w) % (unsigned)(nthreads - 1))) % nthreads :
					w->id;

				queue_push(&queues[to], &o);
			} else {
				free_object(w->id, &o);
			}
			w->frees++;
		}
	}
	return NULL;
}

static struct worker workers[MAX_THREADS];

/*
 * The remote side, while the workers run: kmem_cache_shrink() of the
 * caches they use takes every CPU's slab away from under their fast paths
 * (arch_fast_block(), then the slot locks), and a cache of its own created,
 * used and destroyed empties every thread's kfree hint. A fast path that
 * touched a slot while a remote held it would hand an object out twice or
 * lose it: the workers' patterns and the checker see either.
 */
static atomic_bool workers_done;
static unsigned long shrinks, scratch_caches;

static void *remote_main(void *arg)
{
	unsigned long long rng = test_seed() * 0x2545f4914f6cdd1dull + 17;
	static const int idx[] = { 3, 4, 5, 6, 1, 7, 2, 8, 9, 10, 11, 12, 13 };

	(void)arg;
	while (!atomic_load(&workers_done)) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (rng % 8 == 0) {
			struct kmem_cache *k = kmem_cache_create("stress_scratch", 48, 0, 0, NULL);
			void *o[16];

			if (!k) {
				fail("remote: kmem_cache_create(stress_scratch) failed");
				break;
			}
			for (int i = 0; i < 16; i++)
				o[i] = kmem_cache_alloc(k, GFP_KERNEL);
			for (int i = 0; i < 16; i++)
				kmem_cache_free(k, o[i]);
			kmem_cache_destroy(k);
			scratch_caches++;
		} else if (rng % 8 < 4) {
			kmem_cache_shrink(caches[(rng >> 8) % NR_TEST_CACHES]);
			shrinks++;
		} else {
			kmem_cache_shrink(mmk_kmalloc_caches[(rng >> 8) % 2 ? 0 : 1]
						[idx[(rng >> 16) % (sizeof(idx) / sizeof(idx[0]))]]);
			shrinks++;
		}
	}
	return NULL;
}

/*
 * Slabs of every cache stay within min_partial + per CPU one active slab
 * and one slab it gathers remote frees for (those objects count as in use
 * until pushed, as objects in Linux's per-CPU sheaves do).
 */
static void check_slab_usage(const char *what, int cpus)
{
	static const char *const prefixes[] = { "kmalloc-", "kmalloc-rcl-", "dma-kmalloc-" };
	static const char *const sizes[] = {
		"8", "16", "32", "64", "96", "128", "192", "256", "512", "1k", "2k", "4k", "8k",
	};

	for (int t = 0; t < 3; t++)
		for (int s = 0; s < 13; s++) {
			struct slabinfo_line l;
			char name[32];

			snprintf(name, sizeof(name), "%s%s", prefixes[t], sizes[s]);
			if (slabinfo_get(name, &l)) {
				CHECK(0, "%s: slabinfo has no %s", what, name);
				continue;
			}
			CHECK(l.num_slabs <= 10 + 2 * (unsigned long)cpus,
			      "%s: %s keeps %lu slabs with no object allocated (max %d)", what,
			      name, l.num_slabs, 10 + 2 * cpus);
			CHECK(l.active_objs <= 2 * (unsigned long)cpus * l.objperslab,
			      "%s: %s counts %lu active objects with none allocated (CPU slabs hold %lu)",
			      what, name, l.active_objs, 2 * (unsigned long)cpus * l.objperslab);
		}
}

/* Pages that empty slabs may legitimately keep: (10 + 2 cpus) per cache. */
static unsigned long slab_slack_pages(int cpus)
{
	static const unsigned long pages_per_type = 8 + 8 + 8 + 4 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1;

	/* kmalloc, kmalloc-rcl and dma-kmalloc, and the cache of caches. */
	return (3 * pages_per_type + 1) * (10UL + 2 * (unsigned long)cpus);
}

static void stress(const char *boot, int threads, unsigned long ops)
{
	unsigned long free0, free1;
	unsigned long allocs = 0, frees = 0, remote = 0;
	pthread_t tid[MAX_THREADS], remote_tid;
	const char *out;
	long problems;

	REQUIRE(mmk_boot(boot) == 0, "boot %s", boot);
	free0 = settled_free_pages();
	for (int c = 0; c < NR_TEST_CACHES; c++) {
		caches[c] = kmem_cache_create(cache_specs[c].name, cache_specs[c].size,
					      cache_specs[c].align, cache_specs[c].flags, NULL);
		REQUIRE(caches[c], "kmem_cache_create(%s)", cache_specs[c].name);
	}
	nthreads = threads;
	ops_per_thread = ops / (unsigned long)threads;
	atomic_store(&errors, 0);
	for (int i = 0; i < threads; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].id = i;
		workers[i].rng = test_seed() * 0x9e3779b97f4a7c15ull + (unsigned long long)i * 7919 + 1;
		queues[i].n = 0;
		pthread_mutex_init(&queues[i].lock, NULL);
	}

	capture_start();
	atomic_store(&workers_done, false);
	shrinks = scratch_caches = 0;
	if (threads > 1)
		REQUIRE(pthread_create(&remote_tid, NULL, remote_main, NULL) == 0, "thread");
	for (int i = 0; i < threads; i++)
		REQUIRE(pthread_create(&tid[i], NULL, worker_main, &workers[i]) == 0, "thread");
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	atomic_store(&workers_done, true);
	if (threads > 1)
		pthread_join(remote_tid, NULL);
	out = capture_end();
	CHECK(atomic_load(&errors) == 0, "%s: %ld errors; the first: %s", boot,
	      atomic_load(&errors), first_error);
	CHECK(out[0] == '\0', "%s: the allocator printed during the stress:\n%.4000s", boot, out);

	for (int i = 0; i < threads; i++) {
		allocs += workers[i].allocs;
		frees += workers[i].frees;
		remote += workers[i].remote_frees;
	}
	printf("# %s: %d threads, %lu allocations, %lu frees (%lu through queues); "
	       "meanwhile %lu shrinks, %lu caches created and destroyed\n", boot,
	       threads, allocs, frees, remote, shrinks, scratch_caches);
	CHECK(allocs >= ops / 3, "%s: the stress ran (%lu allocations)", boot, allocs);
	if (threads > 1) {
		CHECK(remote > 0, "%s: some frees crossed CPUs", boot);
		CHECK(shrinks > 0 && scratch_caches > 0,
		      "%s: the remote side ran (%lu shrinks, %lu caches)", boot, shrinks,
		      scratch_caches);
	}

	problems = mmk_check(stderr);
	CHECK(problems == 0, "%s: %ld invariant problems with the survivors live", boot, problems);

	/* Free the survivors from this thread: yet another CPU. */
	capture_start();
	for (int i = 0; i < threads; i++) {
		queue_drain(-1, &queues[i], NULL);
		for (int j = 0; j < workers[i].nlive; j++)
			free_object(-1, &workers[i].live[j]);
		workers[i].nlive = 0;
	}
	for (int c = 0; c < NR_TEST_CACHES; c++)
		kmem_cache_destroy(caches[c]);
	out = capture_end();
	CHECK(atomic_load(&errors) == 0, "%s: survivors: %s", boot, first_error);
	CHECK(out[0] == '\0', "%s: freeing everything and destroying the caches is quiet:\n%.4000s",
	      boot, out);
	problems = mmk_check(stderr);
	CHECK(problems == 0, "%s: %ld invariant problems after freeing everything", boot, problems);

	check_slab_usage(boot, threads + 1);
	free1 = settled_free_pages();
	CHECK(free1 <= free0, "%s: more pages free than before: %lu vs %lu", boot, free1, free0);
	CHECK(free0 - free1 <= slab_slack_pages(threads + 1),
	      "%s: %lu pages not back after freeing everything (empty slabs may keep %lu)",
	      boot, free0 - free1, slab_slack_pages(threads + 1));
	printf("# %s: %lu pages kept in empty slabs (bound %lu)\n", boot, free0 - free1,
	       slab_slack_pages(threads + 1));
	for (int i = 0; i < threads; i++) {
		free(queues[i].items);
		queues[i].items = NULL;
		queues[i].cap = 0;
		pthread_mutex_destroy(&queues[i].lock);
	}
	mmk_shutdown();
}

int main(void)
{
	test_seed();
	stress("mem=256M", MAX_THREADS, test_scaled(3000000));
	stress("mem=256M slub_debug=FZPU", 1, test_scaled(600000));
	harness_exit();
}
