// SPDX-License-Identifier: MIT
/*
 * Randomized stress of the page allocator against a reference model.
 *
 * The model is a bitmap of allocated pfns. Every block the allocator hands
 * out must be aligned to its order, inside one zone (below dma_zone for
 * GFP_DMA), and entirely clear in the model; it is then marked, and the
 * first and last word of each of its pages get a value derived from the pfn
 * and the allocation, checked again before the block is freed. Any overlap
 * between two live blocks, or a write by the allocator into an allocated
 * frame, shows up as a model or pattern mismatch. The invariant checker runs
 * periodically, and free pages must always equal the post-boot figure less
 * the model's live pages.
 *
 * Part one is one thread, with random orders 0..10 (weighted to small) and
 * random GFP flags. Part two is four threads that also free each other's
 * blocks through a shared queue. Both run again with `nopcp`.
 * MMK_TEST_SEED reproduces a run; MMK_TEST_SCALE (percent) scales it;
 * ASan builds run a quarter.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MEM_PFNS	((128UL << 20) / PAGE_SIZE)
#define DMA_PFNS	((16UL << 20) / PAGE_SIZE)
#define MAX_LIVE	4096

struct block {
	struct page *page;
	unsigned int order;
	unsigned long tag;
	gfp_t gfp;
};

static uint64_t model[MEM_PFNS / 64];
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long model_pages;
static unsigned long free0;

static const gfp_t gfps[] = {
	GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_DMA, GFP_HIGHUSER_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_DMA,
};

static unsigned int random_order(unsigned long long r)
{
	/* Cumulative weights out of 100: half of all requests are order 0. */
	static const unsigned int cum[NR_PAGE_ORDERS] = {
		50, 63, 73, 81, 85, 89, 92, 95, 97, 99, 100,
	};
	unsigned int x = (unsigned int)(r % 100);

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
		if (x < cum[o])
			return o;
	return 0;
}

static gfp_t random_gfp(unsigned long long r)
{
	gfp_t gfp = gfps[r % (sizeof(gfps) / sizeof(gfps[0]))] | __GFP_NOWARN;

	if ((r >> 8) % 8 == 0)
		gfp |= __GFP_ZERO;
	if ((r >> 12) % 4 == 0)
		gfp |= __GFP_COMP;
	return gfp;
}

static inline unsigned long stamp(unsigned long pfn, unsigned long tag)
{
	return (pfn * 0x9e3779b97f4a7c15ul) ^ (tag << 1) ^ 0x5bd1e995ul;
}

static void model_mark(const struct block *b)
{
	unsigned long pfn = page_to_pfn(b->page), n = 1UL << b->order, clash = 0;

	pthread_mutex_lock(&model_lock);
	for (unsigned long p = pfn; p < pfn + n && p < MEM_PFNS; p++) {
		uint64_t bit = 1ULL << (p % 64);

		clash += !!(model[p / 64] & bit);
		model[p / 64] |= bit;
	}
	model_pages += n;
	pthread_mutex_unlock(&model_lock);
	CHECK(clash == 0, "order-%u block at pfn %#lx overlaps %lu allocated frames",
	      b->order, pfn, clash);
}

static void model_clear(const struct block *b)
{
	unsigned long pfn = page_to_pfn(b->page), n = 1UL << b->order;

	pthread_mutex_lock(&model_lock);
	for (unsigned long p = pfn; p < pfn + n && p < MEM_PFNS; p++)
		model[p / 64] &= ~(1ULL << (p % 64));
	model_pages -= n;
	pthread_mutex_unlock(&model_lock);
}

/* Allocate a block and check it against the model; false if none. */
static bool block_alloc(struct block *b, unsigned int order, gfp_t gfp, unsigned long tag)
{
	struct page *page = alloc_pages(gfp, order);
	unsigned long pfn, n = 1UL << order;

	if (!page)
		return false;
	pfn = page_to_pfn(page);
	b->page = page;
	b->order = order;
	b->gfp = gfp;
	b->tag = tag;
	CHECK(pfn % n == 0, "order-%u block at pfn %#lx is aligned", order, pfn);
	CHECK(pfn + n <= MEM_PFNS, "order-%u block at pfn %#lx is in RAM", order, pfn);
	CHECK((pfn < DMA_PFNS) == (pfn + n - 1 < DMA_PFNS),
	      "order-%u block at pfn %#lx lies in one zone", order, pfn);
	if (gfp & __GFP_DMA)
		CHECK(pfn + n <= DMA_PFNS, "GFP_DMA block at pfn %#lx is in ZONE_DMA", pfn);
	CHECK(page_address(page) == phys_to_virt(PFN_PHYS(pfn)), "page_address of pfn %#lx", pfn);
	CHECK(page_count(page) == 1, "a new block has one reference");
	if ((gfp & __GFP_COMP) && order)
		CHECK(page_count(page + n - 1) == 1, "a compound tail reads its head's count");
	model_mark(b);

	for (unsigned long i = 0; i < n; i++) {
		unsigned long *w = (unsigned long *)((char *)page_address(page) + i * PAGE_SIZE);

		if (gfp & __GFP_ZERO) {
			bool zero = w[0] == 0 && w[PAGE_SIZE / sizeof(long) - 1] == 0;

			if (zero && order <= 2)
				for (size_t k = 0; k < PAGE_SIZE / sizeof(long); k++)
					zero &= w[k] == 0;
			CHECK(zero, "__GFP_ZERO page pfn %#lx is zero", pfn + i);
		}
		w[0] = stamp(pfn + i, tag);
		w[PAGE_SIZE / sizeof(long) - 1] = ~stamp(pfn + i, tag);
	}
	return true;
}

static void block_free(struct block *b)
{
	unsigned long pfn = page_to_pfn(b->page), n = 1UL << b->order, bad = 0;

	for (unsigned long i = 0; i < n; i++) {
		unsigned long *w = (unsigned long *)((char *)page_address(b->page) + i * PAGE_SIZE);

		bad += w[0] != stamp(pfn + i, b->tag);
		bad += w[PAGE_SIZE / sizeof(long) - 1] != ~stamp(pfn + i, b->tag);
	}
	CHECK(bad == 0, "order-%u block at pfn %#lx (gfp %#x): %lu words changed while allocated",
	      b->order, pfn, b->gfp, bad);
	model_clear(b);
	__free_pages(b->page, b->order);
}

/* Quiescent machine: invariants, and free pages match the model. */
static void check_against_model(const char *when)
{
	unsigned long free_now = settled_free_pages();

	CHECK(mmk_check(stderr) == 0, "invariants %s", when);
	CHECK(free_now == free0 - model_pages,
	      "free pages %s: %lu, but the model says %lu - %lu = %lu",
	      when, free_now, free0, model_pages, free0 - model_pages);
}

/* ---- One thread ------------------------------------------------------- */

static void single_thread(unsigned long ops)
{
	static struct block live[MAX_LIVE];
	unsigned long nr = 0, allocs = 0, fails = 0, tag = 1;
	unsigned long limit = MEM_PFNS * 3 / 4;

	for (unsigned long op = 0; op < ops; op++) {
		unsigned long long r = test_rand();
		bool do_alloc = nr < MAX_LIVE && (r % 100) < 55;

		if (model_pages > limit && nr)
			do_alloc = false;
		if (do_alloc) {
			unsigned long long r2 = test_rand();

			if (block_alloc(&live[nr], random_order(r2), random_gfp(r2 >> 16), tag++))
				nr++, allocs++;
			else
				fails++;
		} else if (nr) {
			unsigned long i = (unsigned long)((r >> 20) % nr);

			block_free(&live[i]);
			live[i] = live[--nr];
		}
		if ((r >> 40) % 1000 == 0)
			drain_all_pages(NULL);
		if (op % (ops / 20 + 1) == 0)
			check_against_model("during the single-thread stress");
	}
	printf("# single thread: %lu ops, %lu allocations, %lu failed, %lu blocks live at the end\n",
	       ops, allocs, fails, nr);
	CHECK(allocs > ops / 4, "most allocations succeed (%lu of %lu ops)", allocs, ops);
	check_against_model("before the final frees");
	while (nr)
		block_free(&live[--nr]);
	check_against_model("after the single-thread stress");
	CHECK(model_pages == 0, "the model is empty");
}

/* ---- Four threads, frees across threads ------------------------------- */

#define NTHREADS	4
#define QUEUE_SIZE	1024

static struct {
	pthread_mutex_t lock;
	struct block q[QUEUE_SIZE];
	unsigned int head, count;
} xq = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool xq_push(const struct block *b)
{
	bool ok;

	pthread_mutex_lock(&xq.lock);
	ok = xq.count < QUEUE_SIZE;
	if (ok) {
		xq.q[(xq.head + xq.count) % QUEUE_SIZE] = *b;
		xq.count++;
	}
	pthread_mutex_unlock(&xq.lock);
	return ok;
}

static bool xq_pop(struct block *b)
{
	bool ok;

	pthread_mutex_lock(&xq.lock);
	ok = xq.count > 0;
	if (ok) {
		*b = xq.q[xq.head];
		xq.head = (xq.head + 1) % QUEUE_SIZE;
		xq.count--;
	}
	pthread_mutex_unlock(&xq.lock);
	return ok;
}

struct worker {
	pthread_t thread;
	int id;
	unsigned long ops;
	unsigned long long rng;
	unsigned long allocs, cross_frees;
	struct block live[MAX_LIVE / NTHREADS];
	unsigned long nr;
};

static unsigned long long worker_rand(struct worker *w)
{
	unsigned long long x = w->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return w->rng = x;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long limit = MEM_PFNS / 2 / NTHREADS, mine = 0;
	unsigned long tag = (unsigned long)w->id << 48;
	struct block b;

	for (unsigned long op = 0; op < w->ops; op++) {
		unsigned long long r = worker_rand(w);
		unsigned int what = (unsigned int)(r % 100);

		if (what < 50 && w->nr < MAX_LIVE / NTHREADS && mine < limit) {
			unsigned long long r2 = worker_rand(w);
			unsigned int order = random_order(r2);

			if (order > 6)		/* keep four threads from starving */
				order -= 4;
			if (block_alloc(&w->live[w->nr], order, random_gfp(r2 >> 16), ++tag)) {
				mine += 1UL << order;
				w->nr++;
				w->allocs++;
			}
		} else if (what < 70 && w->nr) {
			unsigned long i = (unsigned long)((r >> 20) % w->nr);

			/* Hand a block to another thread to free. */
			if (xq_push(&w->live[i])) {
				mine -= 1UL << w->live[i].order;
				w->live[i] = w->live[--w->nr];
			}
		} else if (what < 85 && xq_pop(&b)) {
			block_free(&b);
			w->cross_frees++;
		} else if (w->nr) {
			unsigned long i = (unsigned long)((r >> 20) % w->nr);

			mine -= 1UL << w->live[i].order;
			block_free(&w->live[i]);
			w->live[i] = w->live[--w->nr];
		}
		if ((r >> 40) % 5000 == 0)
			drain_all_pages(NULL);
	}
	return NULL;
}

static void multi_thread(unsigned long ops)
{
	static struct worker workers[NTHREADS];
	unsigned long allocs = 0, cross = 0, left = 0;
	struct block b;

	memset(workers, 0, sizeof(workers));
	for (int i = 0; i < NTHREADS; i++) {
		workers[i].id = i + 1;
		workers[i].ops = ops;
		workers[i].rng = test_rand() | 1;
		REQUIRE(pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) == 0,
			"thread %d", i);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(workers[i].thread, NULL);
		allocs += workers[i].allocs;
		cross += workers[i].cross_frees;
		left += workers[i].nr;
	}
	printf("# %d threads: %lu ops each, %lu allocations, %lu freed by another thread\n",
	       NTHREADS, ops, allocs, cross);
	CHECK(allocs > ops, "the threads allocated (%lu)", allocs);
	CHECK(cross > 0, "blocks were freed across threads (%lu)", cross);
	check_against_model("after the threads joined");

	/* What the threads left behind, freed from this thread. */
	while (xq_pop(&b))
		block_free(&b);
	for (int i = 0; i < NTHREADS; i++)
		while (workers[i].nr)
			block_free(&workers[i].live[--workers[i].nr]);
	(void)left;
	check_against_model("after the multi-thread stress");
	CHECK(model_pages == 0, "the model is empty");
}

int main(void)
{
	test_seed();
	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	REQUIRE(machine_pfns() == MEM_PFNS, "128M");
	free0 = settled_free_pages();

	single_thread(test_scaled(200000));
	multi_thread(test_scaled(100000));
	CHECK(settled_free_pages() == free0, "all memory is free at the end");
	mmk_shutdown();

	/* Again without per-CPU lists: every free goes to the buddy lists. */
	REQUIRE(mmk_boot("mem=128M nopcp") == 0, "boot nopcp");
	free0 = settled_free_pages();
	single_thread(test_scaled(50000));
	multi_thread(test_scaled(25000));
	CHECK(settled_free_pages() == free0, "all memory is free at the end (nopcp)");
	mmk_shutdown();
	harness_exit();
}
