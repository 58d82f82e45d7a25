// SPDX-License-Identifier: MIT
/*
 * Bad input: freeing a block twice. Whether the first free parked the page
 * on a per-CPU list (order 0), merged it into the buddy lists (order 5), or
 * the list was drained in between, the second free is reported as a
 * "BUG: Bad page state" that names the pfn and says "double free", is
 * refused, and leaves every other allocation and the free lists intact.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void double_free(unsigned int order, bool drain_between, const char *where)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);
	char pfn[32];
	const char *out;

	REQUIRE(page, "an order-%u block", order);
	snprintf(pfn, sizeof(pfn), "pfn:%05lx", page_to_pfn(page));
	__free_pages(page, order);
	if (drain_between)
		drain_all_pages(NULL);

	capture_start();
	__free_pages(page, order);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "%s: reported; got:\n%s", where, out);
	CHECK(strstr(out, pfn) != NULL, "%s: the report names %s; got:\n%s", where, pfn, out);
	CHECK(strstr(out, "double free") != NULL, "%s: it says double free; got:\n%s", where, out);
	CHECK(mmk_check(stderr) == 0, "%s: the free lists are intact", where);
}

int main(void)
{
	struct live_set live;
	unsigned long free0, total0;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();
	live_set_alloc(&live);
	total0 = settled_free_pages();

	double_free(0, false, "order 0 on a per-CPU list");
	double_free(0, true, "order 0 after a drain");
	double_free(2, false, "order 2 on a per-CPU list");
	double_free(5, false, "order 5 in the buddy lists");
	double_free(MAX_PAGE_ORDER, false, "order 10");

	CHECK(settled_free_pages() == total0, "refused frees changed no count: %lu vs %lu",
	      settled_free_pages(), total0);
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual: %lu vs %lu",
	      settled_free_pages(), free0);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
