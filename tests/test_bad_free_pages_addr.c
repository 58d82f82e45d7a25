// SPDX-License-Identifier: MIT
/*
 * Bad input to free_pages(addr, order): an address outside the direct map
 * (the stack, the heap, one past RAM) or one that is not page aligned.
 * Reported as a bad page state naming the address, refused, harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void bad_addr(unsigned long addr, unsigned int order, const char *what)
{
	char name[40];
	const char *out;

	snprintf(name, sizeof(name), "%#lx", addr);
	capture_start();
	free_pages(addr, order);
	out = capture_end();
	CHECK(strstr(out, "BUG: Bad page state") != NULL, "free_pages of %s is reported; got:\n%s",
	      what, out);
	CHECK(strstr(out, name) != NULL, "the report names the address %s; got:\n%s", name, out);
	CHECK(mmk_check(stderr) == 0, "invariants after free_pages of %s", what);
}

int main(void)
{
	struct live_set live;
	unsigned long free0, total0, addr, end;
	char on_stack[64];
	char *heap = malloc(3 * PAGE_SIZE);

	REQUIRE(heap, "malloc");
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();
	live_set_alloc(&live);
	total0 = settled_free_pages();
	end = (unsigned long)phys_to_virt(0) + machine_pfns() * PAGE_SIZE;

	addr = __get_free_pages(GFP_KERNEL, 2);
	REQUIRE(addr, "an order-2 block");
	memset((void *)addr, 0x3c, 4 * PAGE_SIZE);

	bad_addr((unsigned long)on_stack & PAGE_MASK, 0, "a stack page");
	bad_addr(((unsigned long)heap + PAGE_SIZE) & PAGE_MASK, 0, "a heap page");
	bad_addr(end, 0, "the page after RAM");
	bad_addr(end + (64UL << 20), 2, "far beyond RAM");
	bad_addr(addr + 100, 2, "a misaligned address inside a block");
	bad_addr(addr + 1, 0, "one byte past a block's start");

	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		if (((unsigned char *)addr)[i] != 0x3c) {
			CHECK(0, "the block was touched at byte %zu", i);
			break;
		}
	CHECK(page_count(virt_to_page(addr)) == 1, "and keeps its reference");
	free_pages(addr, 2);

	CHECK(settled_free_pages() == total0, "counts are where they were");
	CHECK(live_set_check(&live) == 0, "other allocations are intact");
	live_set_free(&live);
	CHECK(settled_free_pages() == free0, "and free as usual");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	free(heap);
	harness_exit();
}
