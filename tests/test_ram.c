// SPDX-License-Identifier: MIT
/*
 * The machine's RAM and its addresses: RAM is a memfd (not a file in
 * /dev/shm) mapped once, shared and never executable, as the direct map;
 * physical address 0 is its first byte; blocks of order n are aligned to
 * 2^n pages virtually and physically; the page/pfn/virtual/physical
 * conversions agree with each other; pfn_valid() knows RAM's bounds.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MEM		(64UL << 20)
#define DMA_ZONE	(8UL << 20)

static int shm_mmkit_entries(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strstr(e->d_name, "mmkit") || strstr(e->d_name, "mmk"))
			n++;
	closedir(d);
	return n;
}

/* Find RAM's mapping in /proc/self/maps and check how it is mapped. */
static void check_ram_mapping(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	uintptr_t base = (uintptr_t)phys_to_virt(0);

	REQUIRE(f != NULL, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (!strstr(line, "mmkit-ram"))
			continue;
		found++;
		CHECK(sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3, "parse: %s", line);
		CHECK(strstr(line, "/memfd:mmkit-ram") != NULL,
		      "RAM is a memfd, not a file: %s", line);
		CHECK(strcmp(perms, "rw-s") == 0, "RAM is mapped rw-s (shared, never x): %s", line);
		CHECK(lo == base, "the mapping starts at phys_to_virt(0) %#lx: %s",
		      (unsigned long)base, line);
		CHECK(hi - lo == MEM, "the mapping covers all of mem=: %#lx bytes", hi - lo);
	}
	fclose(f);
	CHECK(found == 1, "RAM is one mapping (found %d)", found);
}

static void check_alignment(void)
{
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct page *blocks[6];
		int n = 0;

		for (int i = 0; i < 6; i++) {
			gfp_t gfp = GFP_KERNEL | (i & 1 ? __GFP_MOVABLE : 0) |
				    (i == 2 ? __GFP_DMA : 0) | (i == 4 ? __GFP_COMP : 0);
			struct page *page = alloc_pages(gfp, order);
			uintptr_t va;

			CHECK(page != NULL, "an order-%u block (gfp %#x)", order, gfp);
			if (!page)
				continue;
			blocks[n++] = page;
			va = (uintptr_t)page_address(page);
			CHECK(va % (PAGE_SIZE << order) == 0,
			      "order-%u block at %#lx is aligned to %lu bytes", order,
			      (unsigned long)va, PAGE_SIZE << order);
			CHECK(page_to_pfn(page) % (1UL << order) == 0,
			      "order-%u block at pfn %#lx is aligned", order, page_to_pfn(page));
			CHECK(virt_to_phys((void *)va) % (PAGE_SIZE << order) == 0,
			      "order-%u block is physically aligned", order);
			/* The whole block is RAM that holds data. */
			memset((void *)va, 0xa5, PAGE_SIZE << order);
		}
		while (n--)
			__free_pages(blocks[n], order);
	}
}

static void check_conversions(unsigned long nr_pfns)
{
	char *base = phys_to_virt(0);
	unsigned long pfns[] = { 0, 1, 511, 512, DMA_ZONE / PAGE_SIZE - 1,
				 DMA_ZONE / PAGE_SIZE, nr_pfns / 2, nr_pfns - 1 };

	for (size_t i = 0; i < sizeof(pfns) / sizeof(pfns[0]); i++) {
		unsigned long pfn = pfns[i];
		struct page *page = pfn_to_page(pfn);
		char *va = page_address(page);
		phys_addr_t pa = PFN_PHYS(pfn);

		CHECK(pfn_valid(pfn), "pfn %#lx is RAM", pfn);
		CHECK(page_to_pfn(page) == pfn, "page_to_pfn(pfn_to_page(%#lx))", pfn);
		CHECK(va == base + pa, "page_address of pfn %#lx is the direct map + phys", pfn);
		CHECK(virt_to_phys(va) == pa && __pa(va) == pa, "__pa of pfn %#lx", pfn);
		CHECK(phys_to_virt(pa) == va && __va(pa) == va, "__va of pfn %#lx", pfn);
		CHECK(virt_to_page(va) == page, "virt_to_page(page_address) of pfn %#lx", pfn);
		CHECK(virt_to_page(va + PAGE_SIZE - 1) == page,
		      "virt_to_page of the last byte of pfn %#lx", pfn);
		CHECK(virt_to_phys(va + 123) == pa + 123, "__pa keeps the offset");
		CHECK(page_to_phys(page) == pa, "page_to_phys");
		CHECK(PHYS_PFN(pa + 4095) == pfn, "PHYS_PFN");
	}
	/* mem_map is an array: page arithmetic works. */
	CHECK(pfn_to_page(100) + 5 == pfn_to_page(105), "struct page arithmetic");
}

int main(void)
{
	unsigned long nr_pfns, dma_pfns = DMA_ZONE / PAGE_SIZE;
	int shm_before = shm_mmkit_entries();
	struct page *page;

	REQUIRE(mmk_boot("mem=64M dma_zone=8M") == 0, "boot");
	nr_pfns = machine_pfns();
	CHECK(nr_pfns == MEM / PAGE_SIZE, "%lu frames", nr_pfns);

	check_ram_mapping();
	CHECK(shm_mmkit_entries() == shm_before, "nothing of ours in /dev/shm");

	CHECK(pfn_valid(0), "pfn 0 is RAM");
	CHECK(pfn_valid(nr_pfns - 1), "the last pfn is RAM");
	CHECK(!pfn_valid(nr_pfns), "one past the last pfn is not");
	CHECK(!pfn_valid(~0UL), "pfn ~0 is not");

	check_conversions(nr_pfns);
	check_alignment();

	/* Physical 0 starts RAM, and ZONE_DMA is [0, dma_zone). */
	for (int i = 0; i < 64; i++) {
		page = alloc_pages(GFP_KERNEL | GFP_DMA, (unsigned int)(i % 4));
		CHECK(page != NULL, "a DMA block");
		if (!page)
			continue;
		CHECK(page_to_phys(page) + (PAGE_SIZE << (i % 4)) <= DMA_ZONE,
		      "a GFP_DMA block ends below dma_zone: phys %#llx",
		      (unsigned long long)page_to_phys(page));
		CHECK((char *)page_address(page) - (char *)phys_to_virt(0) ==
		      (long)page_to_phys(page), "its virtual address is base + phys");
		__free_pages(page, (unsigned int)(i % 4));
	}
	page = alloc_pages(GFP_KERNEL, 0);
	CHECK(page && page_to_pfn(page) >= dma_pfns,
	      "GFP_KERNEL prefers ZONE_NORMAL on an idle machine");
	if (page)
		__free_page(page);

	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	CHECK(shm_mmkit_entries() == shm_before, "nothing of ours in /dev/shm after shutdown");
	harness_exit();
}
