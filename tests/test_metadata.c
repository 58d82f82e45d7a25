// SPDX-License-Identifier: MIT
/*
 * The kernel's own metadata (mem_map, pageblock types, per-CPU pagesets,
 * zones), which lives in simulated RAM, costs at most 64 bytes per 4 KiB
 * frame: measured as the frames boot keeps back from the buddy allocator.
 * 16 GiB of RAM boots (the memfd is sparse: only what boot writes costs
 * host memory), and so does the smallest machine, mem=4M.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmkit/linux.h>
#include "harness.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long meminfo_kb(const char *field)
{
	char *buf = NULL, *p;
	size_t len = 0;
	unsigned long kb = 0;
	FILE *f = open_memstream(&buf, &len);

	REQUIRE(f && mmk_report("meminfo", f) == 0, "meminfo");
	fclose(f);
	p = strstr(buf, field);
	REQUIRE(p && sscanf(p + strlen(field) + 1, "%lu", &kb) == 1, "%s in meminfo", field);
	free(buf);
	return kb;
}

static void measure(const char *cmdline, unsigned long expect_pfns)
{
	unsigned long nr_pfns, reserved;
	struct page *page;
	double t0 = now_s(), t1;
	int err = mmk_boot(cmdline);

	t1 = now_s();
	CHECK(err == 0, "'%s' boots (%d)", cmdline, err);
	if (err)
		return;
	nr_pfns = machine_pfns();
	CHECK(nr_pfns == expect_pfns, "'%s': %lu frames, expected %lu", cmdline, nr_pfns,
	      expect_pfns);
	/* Metadata is what memblock kept at boot: frames the page allocator
	 * never got, so not in MemTotal (the slab caches boot allocates
	 * afterwards are ordinary kernel memory, not metadata). */
	reserved = nr_pfns - meminfo_kb("MemTotal") / 4;
	printf("# %s: boot %.3f s, %lu of %lu frames kept for metadata, %.1f bytes per frame\n",
	       cmdline, t1 - t0, reserved, nr_pfns, (double)reserved * PAGE_SIZE / (double)nr_pfns);
	CHECK(reserved > 0, "'%s': mem_map lives in RAM, so boot keeps frames", cmdline);
	if (nr_pfns >= 16384)
		CHECK(reserved * PAGE_SIZE <= 64 * nr_pfns,
		      "'%s': metadata costs %lu bytes per frame, at most 64",
		      cmdline, reserved * PAGE_SIZE / nr_pfns);
	/* mem_map alone is 56 bytes a frame: less than that is not all of it. */
	CHECK(reserved * PAGE_SIZE >= 56 * nr_pfns || nr_pfns < 16384,
	      "'%s': the whole mem_map is accounted (%lu bytes per frame)", cmdline,
	      reserved * PAGE_SIZE / nr_pfns);

	page = alloc_pages(GFP_KERNEL, 0);
	CHECK(page != NULL, "'%s' allocates", cmdline);
	if (page)
		__free_page(page);
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER);
	CHECK(page != NULL || nr_pfns <= 1024, "'%s' has an order-10 block", cmdline);
	if (page)
		__free_pages(page, MAX_PAGE_ORDER);
	/* The top pfn is the last frame of RAM and is addressable. */
	*(volatile char *)page_address(pfn_to_page(nr_pfns - 1));
	CHECK(mmk_check(stderr) == 0, "'%s': invariants", cmdline);
	mmk_shutdown();
}

int main(void)
{
	measure("mem=16G", (16UL << 30) / PAGE_SIZE);
	measure("mem=1G", (1UL << 30) / PAGE_SIZE);
	measure("mem=64M", (64UL << 20) / PAGE_SIZE);
	measure("mem=4M", (4UL << 20) / PAGE_SIZE);
	harness_exit();
}
