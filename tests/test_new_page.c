// SPDX-License-Identifier: MIT
/*
 * A newly allocated page's struct page is in the state Linux hands out,
 * whatever its previous owner left in the owner's fields: one reference,
 * no mapping, page->private 0 (post_alloc_hook's set_page_private(page, 0)),
 * tails of a plain block with no reference of their own, tails of a
 * compound page reading the head's count.
 */
#include <mmkit/linux.h>
#include "harness.h"

static void check_fresh(struct page *page, unsigned int order, bool comp, const char *what)
{
	CHECK(page_count(page) == 1, "%s: refcount 1, not %d", what, page_count(page));
	CHECK(page->mapping == NULL, "%s: no mapping", what);
	CHECK(page->private == 0, "%s: page->private should be 0 on a new page, is %#lx", what, page->private);
	for (unsigned long i = 1; i < (1UL << order); i++) {
		int c = page_count(page + i);

		if (comp)
			CHECK(c == 1, "%s: compound tail %lu reads the head's count (%d)", what, i, c);
		else
			CHECK(c == 0, "%s: tail %lu of a plain block has no reference (%d)", what, i, c);
		if (c != (comp ? 1 : 0))
			break;
	}
}

static void reuse(unsigned int order, gfp_t gfp, const char *what)
{
	struct page *page = alloc_pages(GFP_KERNEL | gfp, order), *again;

	REQUIRE(page, "%s", what);
	check_fresh(page, order, (gfp & __GFP_COMP) && order, what);
	/* The owner uses its fields, then frees the page. */
	page->private = 0xdeadbeef;
	page->index = 12345;
	page->lru.next = page->lru.prev = (struct list_head *)0x1234;
	__free_pages(page, order);
	again = alloc_pages(GFP_KERNEL | gfp, order);
	REQUIRE(again, "%s again", what);
	CHECK(again == page, "%s: the same block comes back (LIFO)", what);
	check_fresh(again, order, (gfp & __GFP_COMP) && order, what);
	__free_pages(again, order);
}

int main(void)
{
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	reuse(0, 0, "order 0 (per-CPU list)");
	reuse(2, 0, "order 2");
	reuse(2, __GFP_COMP, "compound order 2");
	reuse(5, 0, "order 5 (buddy lists)");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	REQUIRE(mmk_boot("mem=64M nopcp") == 0, "boot nopcp");
	reuse(0, 0, "order 0 without per-CPU lists");
	mmk_shutdown();
	harness_exit();
}
