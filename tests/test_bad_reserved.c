// SPDX-License-Identifier: MIT
/*
 * Bad input: freeing a frame memblock kept at boot. The kernel's own
 * metadata (mem_map, the zones, the per-CPU pagesets) is allocated top-down
 * from the end of RAM, so the last frame is reserved. Freeing it would hand
 * mem_map's own memory to the next allocation; it is reported as reserved
 * and refused.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void free_reserved(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long before = settled_free_pages();
	char name[32];
	const char *out;

	snprintf(name, sizeof(name), "pfn:%05lx", pfn);
	capture_start();
	__free_pages(page, order);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "freeing reserved pfn %#lx is reported; got:\n%s",
	      pfn, out);
	CHECK(strstr(out, name) != NULL, "the report names %s; got:\n%s", name, out);
	CHECK(strstr(out, "reserved") != NULL, "the report says the page is reserved; got:\n%s", out);
	CHECK(settled_free_pages() == before, "refused: free pages unchanged");
	CHECK(mmk_check(stderr) == 0, "invariants after freeing reserved pfn %#lx", pfn);

	capture_start();
	put_page(page);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "put_page of reserved pfn %#lx is reported",
	      pfn);
	CHECK(settled_free_pages() == before, "refused: free pages unchanged");
	CHECK(mmk_check(stderr) == 0, "invariants after put_page of reserved pfn %#lx", pfn);
}

int main(void)
{
	struct live_set live;
	unsigned long free0, total0, last, reserved;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	last = machine_pfns() - 1;
	free0 = settled_free_pages();
	reserved = machine_pfns() - free0;
	CHECK(reserved > 0 && reserved < machine_pfns() / 10, "boot keeps some frames: %lu", reserved);
	live_set_alloc(&live);
	total0 = settled_free_pages();

	free_reserved(last, 0);
	free_reserved(last - reserved / 2, 0);
	free_reserved(last & ~3UL, 2);

	/* Allocating all memory never hands out a reserved frame: nothing
	 * the refused frees did slipped it into the free lists. */
	{
		static struct page *all[16384];
		unsigned long n = 0;

		while (n < 16384 && (all[n] = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
			unsigned long pfn = page_to_pfn(all[n]);

			CHECK(pfn != last && pfn != last - reserved / 2 && (pfn & ~3UL) != (last & ~3UL),
			      "reserved pfn %#lx was handed out", pfn);
			n++;
		}
		CHECK(live_set_check(&live) == 0, "other allocations are intact");
		while (n)
			__free_page(all[--n]);
	}

	CHECK(settled_free_pages() == total0, "counts are where they were");
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
