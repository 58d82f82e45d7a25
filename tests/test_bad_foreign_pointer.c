// SPDX-License-Identifier: MIT
/*
 * Bad input: a struct page pointer that is not one of this machine's: a
 * struct page on the caller's stack, a pointer into the middle of a struct
 * page, the page one past the last pfn. Each is reported and refused,
 * whichever call receives it, and nothing of the machine is touched.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void foreign(struct page *bad, const char *what)
{
	const char *out;

	capture_start();
	__free_pages(bad, 0);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "__free_pages of %s is reported; got:\n%s",
	      what, out);
	CHECK(strstr(out, "not a struct page") != NULL, "the report says why; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants after freeing %s", what);

	capture_start();
	__free_pages(bad, 3);
	put_page(bad);
	get_page(bad);
	out = capture_end();
	CHECK(count_lines(out) > 0 && strstr(out, "BUG") != NULL,
	      "put_page/get_page of %s are reported; got:\n%s", what, out);
	CHECK(mmk_check(stderr) == 0, "invariants after put_page of %s", what);
}

int main(void)
{
	struct live_set live;
	struct page local, *page;
	unsigned long free0, total0, nr_pfns;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	nr_pfns = machine_pfns();
	free0 = settled_free_pages();
	live_set_alloc(&live);
	total0 = settled_free_pages();

	/* A struct page that looks allocated, but is ours. */
	page = alloc_page(GFP_KERNEL);
	REQUIRE(page, "a page");
	memcpy(&local, page, sizeof(local));
	foreign(&local, "a struct page on the stack");
	CHECK(page_count(page) == 1, "the copied page is unaffected");

	foreign((struct page *)((char *)page + 8), "a pointer into a struct page");
	foreign(pfn_to_page(nr_pfns), "the page of pfn max_pfn");
	foreign(pfn_to_page(nr_pfns + 1000), "a page beyond RAM");
	foreign((struct page *)(uintptr_t)0x1000, "a small integer");
	__free_page(page);

	CHECK(settled_free_pages() == total0, "counts are where they were");
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
