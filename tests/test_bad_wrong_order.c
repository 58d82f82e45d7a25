// SPDX-License-Identifier: MIT
/*
 * Bad input: freeing a block with an order other than the one it was
 * allocated with. Too small would leak the rest of the block; too large
 * would free a neighbour's pages. Both are reported, naming the pfn and
 * both orders, and refused; the right free then works.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void wrong_order(unsigned int order, unsigned int bad_order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);
	unsigned long before;
	char pfn[32], orders[96];
	const char *out;

	REQUIRE(page, "an order-%u block", order);
	pattern_fill(page, order, 7);
	snprintf(pfn, sizeof(pfn), "pfn:%05lx", page_to_pfn(page));
	snprintf(orders, sizeof(orders), "freed with order %u, but allocated as order %u",
		 bad_order, order);
	before = settled_free_pages();

	capture_start();
	__free_pages(page, bad_order);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "order %u freed as %u is reported; got:\n%s",
	      order, bad_order, out);
	CHECK(strstr(out, pfn) != NULL, "the report names %s; got:\n%s", pfn, out);
	CHECK(strstr(out, orders) != NULL, "the report says '%s'; got:\n%s", orders, out);
	CHECK(settled_free_pages() == before, "the bad free was refused");
	CHECK(page_count(page) == 1, "the block keeps its reference");
	CHECK(pattern_check(page, order, 7) == 0, "and its contents");
	CHECK(mmk_check(stderr) == 0, "invariants after order %u freed as %u", order, bad_order);

	__free_pages(page, order);
	CHECK(settled_free_pages() == before + (1UL << order), "the right free works");
}

int main(void)
{
	struct live_set live;
	unsigned long free0, total0;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();
	live_set_alloc(&live);
	total0 = settled_free_pages();

	wrong_order(2, 0);
	wrong_order(2, 3);
	wrong_order(0, 1);
	wrong_order(4, 9);
	wrong_order(10, 3);
	wrong_order(3, 2);

	CHECK(settled_free_pages() == total0, "counts are where they were");
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
