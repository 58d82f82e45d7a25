// SPDX-License-Identifier: MIT
/*
 * CMA: the area reserved at boot with cma=SIZE gives large physically
 * contiguous buffers long after the buddy allocator is fragmented (the
 * seed's "allocate memory as soon as possible, before memory gets
 * fragmented"). Allocation (alignment, first fit, exhaustion), the
 * counters (CmaTotal/CmaFree, nr_free_cma, cma_alloc_success/fail), every
 * bad release with its report and nothing changed, and the checker.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>

#include "harness.h"

static void fill_check(struct page *first, unsigned long count, unsigned char tag)
{
	unsigned long bad = 0;

	for (unsigned long i = 0; i < count; i++) {
		CHECK(page_to_pfn(first + i) == page_to_pfn(first) + i, "frames are consecutive");
		memset(page_address(first + i), tag, PAGE_SIZE);
	}
	/* One run in the direct map: a DMA engine could take its base address. */
	for (unsigned long b = 0; b < count * PAGE_SIZE; b++)
		bad += ((unsigned char *)page_address(first))[b] != tag;
	CHECK(bad == 0, "the whole run reads back through one pointer (%lu bad bytes)", bad);
}

int main(void)
{
	struct cma *area;
	struct page *big, *a, *b;
	const char *out;
	long free0;

	test_seed();
	REQUIRE(mmk_boot("mem=128M cma=16M") == 0, "boot");
	area = dma_contiguous_default_area;
	REQUIRE(area != NULL, "cma= makes the default area");
	CHECK(cma_get_size(area) == 16UL << 20, "its size is 16M");
	CHECK(cma_get_base(area) % (4UL << 20) == 0, "aligned to 4M");
	CHECK(!strcmp(cma_get_name(area), "reserved"), "named as Linux names the cma= area");
	CHECK(meminfo_field_kb("CmaTotal") == 16384 && meminfo_field_kb("CmaFree") == 16384,
	      "CmaTotal and CmaFree are 16384 kB");
	free0 = vmstat_get("nr_free_cma");
	CHECK(free0 == 4096, "nr_free_cma is 4096 pages: %ld", free0);

	/* The buddy allocator in pieces: an 8 MiB buffer (and even 8 KiB) is
	 * impossible there, CMA still has it. */
	fragment_memory();
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1) == NULL, "no order-1 block left in the buddy allocator");
	big = cma_alloc(area, 2048, 0, false);
	REQUIRE(big != NULL, "cma_alloc of 8 MiB on fragmented memory");
	fill_check(big, 2048, 0x5a);
	CHECK(page_count(big) == 1 && page_count(big + 2047) == 1, "each page holds one reference");
	CHECK(meminfo_field_kb("CmaFree") == 8192, "CmaFree fell by 8 MiB");
	CHECK(vmstat_get("cma_alloc_success") == 1, "cma_alloc_success counts calls, as Linux");
	CHECK(mmk_check(stderr) == 0, "invariants with the CMA buffer out");

	/* Alignment and first fit. */
	a = cma_alloc(area, 3, 0, false);
	b = cma_alloc(area, 16, 4, false);
	REQUIRE(a && b, "two more allocations");
	CHECK(page_to_pfn(b) % 16 == 0, "align 4 gives a pfn aligned to 16 pages");
	CHECK(page_to_pfn(a) == page_to_pfn(big) + 2048, "first fit: right after the 8 MiB");

	/* Exhaustion: a report, or silence with no_warn; counted. */
	capture_start();
	CHECK(cma_alloc(area, 4096, 0, false) == NULL, "more than is left fails");
	out = capture_end();
	CHECK(strstr(out, "cma: cma_alloc: reserved: alloc failed, req-size: 4096 pages") != NULL,
	      "with Linux's report; got:\n%s", out);
	capture_start();
	CHECK(cma_alloc(area, 4096, 0, true) == NULL, "no_warn fails quietly");
	out = capture_end();
	CHECK(out[0] == '\0', "quietly; got:\n%s", out);
	CHECK(vmstat_get("cma_alloc_fail") == 2, "cma_alloc_fail counts calls: %ld",
	      vmstat_get("cma_alloc_fail"));

	/* Bad releases: each reported (or refused), nothing changed. */
	capture_start();
	__free_pages(a, 0);
	out = capture_end();
	CHECK(strstr(out, "cma_release()") != NULL, "__free_pages of a CMA page is refused; got:\n%s", out);
	{
		struct page *buddy = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		REQUIRE(buddy, "a page from the buddy allocator");
		CHECK(!cma_release(area, buddy, 1), "a buddy page is not this area's");
		__free_page(buddy);
	}
	get_page(a);
	capture_start();
	CHECK(!cma_release(area, a, 3), "a page with an extra reference is not released");
	out = capture_end();
	CHECK(strstr(out, "still holds a reference") != NULL, "and says why; got:\n%s", out);
	put_page(a);
	capture_start();
	CHECK(!cma_release(area, a, 5000), "a range past the area's end is not released");
	out = capture_end();
	CHECK(strstr(out, "past the end") != NULL, "and says why; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants after the bad releases");

	CHECK(cma_release(area, a, 3) && cma_release(area, b, 16), "good releases");
	capture_start();
	CHECK(!cma_release(area, a, 3), "a second release is refused");
	out = capture_end();
	CHECK(strstr(out, "double release") != NULL, "and named; got:\n%s", out);
	fill_check(big, 2048, 0x5a);	/* untouched by all of it */
	CHECK(cma_release(area, big, 2048), "the 8 MiB goes back");
	CHECK(vmstat_get("nr_free_cma") == free0, "nr_free_cma is back to %ld", free0);
	CHECK(cma_alloc(area, 4096, 0, false) != NULL, "now the whole area can be taken at once");
	unfragment_memory();
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();

	/* No area without cma=: a clear warning, not a crash. */
	REQUIRE(mmk_boot("mem=64M") == 0, "boot without cma=");
	capture_start();
	CHECK(cma_alloc(dma_contiguous_default_area, 1, 0, false) == NULL, "no area: NULL");
	out = capture_end();
	CHECK(strstr(out, "not a CMA area") != NULL, "with a warning; got:\n%s", out);
	mmk_shutdown();
	harness_exit();
}
