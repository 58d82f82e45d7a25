// SPDX-License-Identifier: MIT
/*
 * The seed's fragmentation claim, on the default 256M machine: fill memory
 * with 4K pages, free every page with an odd pfn, and more than 100 MiB is
 * free while not one 8K (order-1) block can be had, because every free page's
 * buddy is still allocated. Free the rest and the buddies merge back into
 * exactly as many order-10 blocks as the machine had after boot.
 */
#include <stdlib.h>

#include <mmkit/linux.h>
#include "harness.h"

#define GFP_FILL (GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN)

/* How many order-10 blocks can be taken right now (all are given back). */
static unsigned long count_max_order_blocks(void)
{
	struct page *blocks[256];
	unsigned long n = 0;

	while (n < 256 && (blocks[n] = alloc_pages(GFP_FILL, MAX_PAGE_ORDER)))
		n++;
	CHECK(n < 256, "more order-10 blocks than a 256M machine has");
	for (unsigned long i = 0; i < n; i++)
		__free_pages(blocks[i], MAX_PAGE_ORDER);
	return n;
}

int main(void)
{
	unsigned long nr_pfns, free0, blocks0, n = 0, odd = 0, free_odd;
	struct page **pages, *page;

	REQUIRE(mmk_boot(NULL) == 0, "default boot");
	nr_pfns = machine_pfns();
	CHECK(nr_pfns == (256UL << 20) / PAGE_SIZE, "256M");
	pages = calloc(nr_pfns, sizeof(*pages));
	REQUIRE(pages, "calloc");
	blocks0 = count_max_order_blocks();
	free0 = settled_free_pages();
	/* The slab allocator's boot-time caches hold a few dozen pages. */
	CHECK(blocks0 * 1024 > free0 - 2048, "after boot nearly all memory is order-10 blocks: %lu of %lu",
	      blocks0 * 1024, free0);

	/* Fill. */
	while ((page = alloc_page(GFP_FILL))) {
		REQUIRE(n < nr_pfns, "no more pages than frames");
		pages[n++] = page;
	}
	CHECK(n == free0, "every free page was handed out once: %lu of %lu", n, free0);
	CHECK(settled_free_pages() == 0, "nothing left");
	CHECK(mmk_check(stderr) == 0, "invariants on a full machine");

	/* Free every page with an odd pfn. */
	for (unsigned long i = 0; i < n; i++)
		if (page_to_pfn(pages[i]) & 1) {
			__free_page(pages[i]);
			pages[i] = NULL;
			odd++;
		}
	free_odd = settled_free_pages();
	CHECK(free_odd == odd, "the odd pages are free: %lu of %lu", free_odd, odd);
	CHECK(free_odd * PAGE_SIZE > (100UL << 20), "more than 100 MiB free: %lu MiB",
	      free_odd * PAGE_SIZE >> 20);
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	CHECK(page == NULL, "yet an 8K (order-1) allocation fails");
	if (page)
		__free_pages(page, 1);
	page = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 1);
	CHECK(page == NULL, "with any flags: there is no order-1 block at all");
	if (page)
		__free_pages(page, 1);
	CHECK(mmk_check(stderr) == 0, "invariants with memory in 4K pieces");

	/* Free the rest: the buddies merge. */
	for (unsigned long i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	CHECK(settled_free_pages() == free0, "all memory is free again: %lu vs %lu",
	      settled_free_pages(), free0);
	CHECK(mmk_check(stderr) == 0, "invariants after the merge");
	page = alloc_pages(GFP_KERNEL, 1);
	CHECK(page != NULL, "an order-1 allocation succeeds");
	if (page)
		__free_pages(page, 1);
	CHECK(count_max_order_blocks() == blocks0, "as many order-10 blocks as after boot (%lu)",
	      blocks0);
	CHECK(settled_free_pages() == free0, "all memory is free at the end");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	free(pages);
	mmk_shutdown();
	harness_exit();
}
