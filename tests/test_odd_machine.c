// SPDX-License-Identifier: MIT
/*
 * Machines whose sizes are not round: RAM that ends mid-pageblock or one
 * frame past a 4 MiB boundary, a ZONE_DMA that is all of RAM or that ends
 * mid-way. On each, every free frame can be allocated exactly once, in
 * order-0 pages and greedily in the largest blocks, GFP_DMA stays below
 * dma_zone, and freeing everything restores the post-boot free lists.
 */
#include <stdlib.h>

#include <mmkit/linux.h>
#include "harness.h"

#define GFP_ALL (GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN)

struct held {
	struct page *page;
	unsigned int order;
};

static struct held *held;
static unsigned long nr_held;

static void free_held(void)
{
	while (nr_held) {
		nr_held--;
		__free_pages(held[nr_held].page, held[nr_held].order);
	}
}

/* Allocate blocks of @order with @gfp until none is left; pages taken. */
static unsigned long take_all(gfp_t gfp, unsigned int order, unsigned long max_pfn)
{
	unsigned long pages = 0;
	struct page *page;

	while ((page = alloc_pages(gfp, order))) {
		unsigned long pfn = page_to_pfn(page);

		CHECK(pfn % (1UL << order) == 0 && pfn + (1UL << order) <= max_pfn,
		      "order-%u block at pfn %#lx is aligned and in RAM", order, pfn);
		held[nr_held].page = page;
		held[nr_held].order = order;
		nr_held++;
		pages += 1UL << order;
	}
	return pages;
}

static void machine(const char *cmdline, unsigned long dma_pfns)
{
	unsigned long nr_pfns, free0, got, max_blocks;

	REQUIRE(mmk_boot(cmdline) == 0, "'%s' boots", cmdline);
	nr_pfns = machine_pfns();
	free0 = settled_free_pages();
	CHECK(mmk_check(stderr) == 0, "'%s': invariants after boot", cmdline);

	max_blocks = take_all(GFP_ALL, MAX_PAGE_ORDER, nr_pfns) >> MAX_PAGE_ORDER;
	free_held();

	got = take_all(GFP_ALL, 0, nr_pfns);
	CHECK(got == free0, "'%s': every free frame as an order-0 page: %lu of %lu",
	      cmdline, got, free0);
	CHECK(mmk_check(stderr) == 0, "'%s': invariants when full", cmdline);
	free_held();
	CHECK(settled_free_pages() == free0, "'%s': all back", cmdline);

	got = 0;
	for (int order = MAX_PAGE_ORDER; order >= 0; order--)
		got += take_all(GFP_ALL, (unsigned int)order, nr_pfns);
	CHECK(got == free0, "'%s': every free frame in the largest blocks: %lu of %lu",
	      cmdline, got, free0);
	CHECK(mmk_check(stderr) == 0, "'%s': invariants when full of large blocks", cmdline);
	free_held();

	if (dma_pfns) {
		got = take_all(GFP_DMA | __GFP_MEMALLOC | __GFP_NOWARN, 0, dma_pfns);
		CHECK(got > 0 && got <= dma_pfns, "'%s': %lu DMA pages, all below pfn %#lx",
		      cmdline, got, dma_pfns);
		free_held();
	}
	CHECK(settled_free_pages() == free0, "'%s': all free at the end", cmdline);
	CHECK(take_all(GFP_ALL, MAX_PAGE_ORDER, nr_pfns) >> MAX_PAGE_ORDER == max_blocks,
	      "'%s': the blocks merged back (%lu order-10 blocks)", cmdline, max_blocks);
	free_held();
	CHECK(mmk_check(stderr) == 0, "'%s': invariants at the end", cmdline);
	mmk_shutdown();
}

int main(void)
{
	held = calloc(1UL << 16, sizeof(*held));
	REQUIRE(held, "calloc");
	machine("mem=4M", 1024);
	machine("mem=6M", 1536);
	machine("mem=10244K", 2561);
	machine("mem=4100K dma_zone=4M", 1024);
	machine("mem=20M dma_zone=12M", 3072);
	machine("mem=16M dma_zone=32M", 4096);
	machine("mem=66M dma_zone=8M nopcp", 2048);
	machine("mem=255M", 4096);
	free(held);
	harness_exit();
}
