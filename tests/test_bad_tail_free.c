// SPDX-License-Identifier: MIT
/*
 * Bad input: freeing a page that is not the head of its allocation (page+1
 * of an order-2 block, plain or compound, or through put_page()). Reported
 * with the pfn and the block it lies in, refused, nothing else touched.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void tail_free(gfp_t gfp, unsigned int order, unsigned int idx, unsigned int bad_order)
{
	struct page *page = alloc_pages(GFP_KERNEL | gfp, order);
	unsigned long before;
	char pfn[32], why[96];
	const char *out;

	REQUIRE(page, "an order-%u block", order);
	pattern_fill(page, order, 9);
	snprintf(pfn, sizeof(pfn), "pfn:%05lx", page_to_pfn(page + idx));
	snprintf(why, sizeof(why), "not the head of an allocation: page %u of the order-%u block",
		 idx, order);
	before = settled_free_pages();

	capture_start();
	__free_pages(page + idx, bad_order);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "a tail free is reported; got:\n%s", out);
	CHECK(strstr(out, pfn) != NULL, "the report names the tail's %s; got:\n%s", pfn, out);
	CHECK(strstr(out, why) != NULL, "the report says '%s'; got:\n%s", why, out);
	CHECK(settled_free_pages() == before, "the tail free was refused");
	CHECK(pattern_check(page, order, 9) == 0, "the block is untouched");
	CHECK(mmk_check(stderr) == 0, "invariants after freeing page %u of an order-%u block",
	      idx, order);
	__free_pages(page, order);
	CHECK(settled_free_pages() == before + (1UL << order), "the head frees the block");
}

int main(void)
{
	struct live_set live;
	unsigned long free0, total0;
	struct page *page;
	const char *out;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();
	live_set_alloc(&live);
	total0 = settled_free_pages();

	tail_free(0, 2, 1, 0);
	tail_free(0, 2, 2, 1);
	tail_free(__GFP_COMP, 2, 1, 0);
	tail_free(0, 6, 33, 0);
	tail_free(0, 10, 1023, 0);

	/* A page inside a free block is not allocated at all. */
	page = alloc_pages(GFP_KERNEL, 3);
	REQUIRE(page, "order 3");
	__free_pages(page, 3);
	drain_all_pages(NULL);
	capture_start();
	__free_page(page + 5);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "a free page's tail is reported; got:\n%s",
	      out);
	CHECK(mmk_check(stderr) == 0, "invariants");

	CHECK(settled_free_pages() == total0, "counts are where they were");
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
