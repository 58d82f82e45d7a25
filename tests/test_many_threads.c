// SPDX-License-Identifier: MIT
/*
 * Threads are CPUs, and there may be more threads than CPU numbers: the
 * first NR_CPUS threads own a number each, the rest share one, and per-CPU
 * lists must stay correct either way. 100 threads allocate, fill, verify
 * and free pages of orders 0-3, passing some to a neighbour to free (a
 * cross-CPU free), while the main thread drains every CPU's lists; then the
 * invariant checker must find nothing, and all memory must come back.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <mmkit/linux.h>
#include "harness.h"

#define NTHREADS 100
#define ROUNDS   3000
#define SLOTS    16

struct mailbox {
	pthread_mutex_t lock;
	struct page *page[SLOTS];
	unsigned int order[SLOTS];
	int n;
};

static struct mailbox box[NTHREADS];
static volatile int stop_drain;
static int corrupt;

static void fill(struct page *page, unsigned int order, uint64_t tag)
{
	uint64_t *p = page_address(page);
	size_t words = (PAGE_SIZE << order) / sizeof(uint64_t);

	for (size_t i = 0; i < words; i += 512)
		p[i] = tag ^ i;
	p[words - 1] = ~tag;
}

static int verify(struct page *page, unsigned int order, uint64_t tag)
{
	uint64_t *p = page_address(page);
	size_t words = (PAGE_SIZE << order) / sizeof(uint64_t);

	for (size_t i = 0; i < words; i += 512)
		if (p[i] != (tag ^ i))
			return 0;
	return p[words - 1] == ~tag;
}

static uint64_t tag_of(struct page *page)
{
	return page_to_pfn(page) * 0x9e3779b97f4a7c15ull;
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	struct mailbox *next = &box[(me + 1) % NTHREADS];
	unsigned int seed = (unsigned int)me * 2654435761u + 1;

	for (int r = 0; r < ROUNDS; r++) {
		struct page *mine[4];
		unsigned int ord[4];

		for (int i = 0; i < 4; i++) {
			seed = seed * 1103515245u + 12345u;
			ord[i] = (seed >> 16) % 4;
			mine[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, ord[i]);
			if (mine[i])
				fill(mine[i], ord[i], tag_of(mine[i]));
		}
		for (int i = 0; i < 4; i++) {
			if (!mine[i])
				continue;
			if (!verify(mine[i], ord[i], tag_of(mine[i])))
				__atomic_fetch_add(&corrupt, 1, __ATOMIC_RELAXED);
			if (i == 0) {	/* hand one to the neighbour */
				pthread_mutex_lock(&next->lock);
				if (next->n < SLOTS) {
					next->page[next->n] = mine[i];
					next->order[next->n++] = ord[i];
					mine[i] = NULL;
				}
				pthread_mutex_unlock(&next->lock);
			}
			if (mine[i])
				__free_pages(mine[i], ord[i]);
		}
		pthread_mutex_lock(&box[me].lock);
		while (box[me].n) {
			int k = --box[me].n;

			if (!verify(box[me].page[k], box[me].order[k], tag_of(box[me].page[k])))
				__atomic_fetch_add(&corrupt, 1, __ATOMIC_RELAXED);
			__free_pages(box[me].page[k], box[me].order[k]);
		}
		pthread_mutex_unlock(&box[me].lock);
	}
	return NULL;
}

static void *drainer(void *arg)
{
	(void)arg;
	while (!stop_drain)
		drain_all_pages(NULL);
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS], d;
	unsigned long free_at_boot;

	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	drain_all_pages(NULL);
	free_at_boot = nr_free_pages();
	for (int i = 0; i < NTHREADS; i++)
		pthread_mutex_init(&box[i].lock, NULL);
	pthread_create(&d, NULL, drainer, NULL);
	for (int i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0, "thread %d", i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	stop_drain = 1;
	pthread_join(d, NULL);

	for (int i = 0; i < NTHREADS; i++)
		while (box[i].n) {
			int k = --box[i].n;

			__free_pages(box[i].page[k], box[i].order[k]);
		}
	CHECK(corrupt == 0, "%d blocks lost their contents", corrupt);
	CHECK(mmk_check(stderr) == 0, "invariants after %d threads", NTHREADS);
	drain_all_pages(NULL);
	CHECK(nr_free_pages() == free_at_boot, "all memory back: %lu free, %lu at boot",
	      nr_free_pages(), free_at_boot);
	mmk_shutdown();
	harness_exit();
}
