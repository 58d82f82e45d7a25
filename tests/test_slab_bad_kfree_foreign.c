// SPDX-License-Identifier: MIT
/*
 * Bad input: kfree() of a pointer kmalloc never returned. A stack address
 * and a host malloc() pointer are outside the direct map; a pointer into a
 * page from alloc_pages() is in it but in no slab and no large kmalloc.
 * Each is caught by the always-on checks, reported as an "invalid object
 * pointer" naming the address, and refused: nothing is freed, the page
 * keeps its reference and contents, and every other object is intact.
 */
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void bad_kfree(const void *p, const char *what)
{
	const char *out;

	capture_start();
	kfree(p);
	out = capture_end();
	CHECK(strstr(out, "invalid object pointer") != NULL, "kfree(%s) is reported; got:\n%s",
	      what, out);
	CHECK(names_address(out, p), "the report names %p; got:\n%s", p, out);
	CHECK(mmk_check(stderr) == 0, "kfree(%s): invariants hold", what);
}

int main(void)
{
	struct live_set pages;
	struct kobj_set objs;
	unsigned long free0, held;
	char on_stack[64];
	char *host, *pg;
	struct page *page;
	const char *out;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();
	live_set_alloc(&pages);
	kobj_set_alloc(&objs);
	page = alloc_pages(GFP_KERNEL, 1);
	REQUIRE(page, "an order-1 block");
	pg = page_address(page);
	pattern_fill(page, 1, 77);
	host = malloc(64);
	REQUIRE(host, "malloc");
	memset(host, 0x42, 64);
	held = settled_free_pages();

	memset(on_stack, 0x24, sizeof(on_stack));
	bad_kfree(on_stack, "a stack address");
	bad_kfree(on_stack + 8, "a stack address + 8");
	bad_kfree(host, "a malloc'd pointer");
	bad_kfree(pg, "the start of an alloc_pages() block");
	bad_kfree(pg + 64, "a pointer into an alloc_pages() block");
	bad_kfree(pg + PAGE_SIZE, "its second page");

	/* ksize() and krealloc() refuse them the same way. */
	capture_start();
	CHECK(ksize(pg) == 0, "ksize of a page-allocator pointer is 0");
	CHECK(krealloc(pg, 100, GFP_KERNEL) == NULL, "krealloc of it fails");
	out = capture_end();
	CHECK(strstr(out, "invalid object pointer") != NULL, "and is reported; got:\n%s", out);

	CHECK(settled_free_pages() == held, "nothing was freed: %lu vs %lu",
	      settled_free_pages(), held);
	CHECK(page_count(page) == 1, "the page keeps its reference: %d", page_count(page));
	CHECK(pattern_check(page, 1, 77) == 0, "and its contents");
	for (int i = 0; i < 64; i++)
		CHECK(on_stack[i] == 0x24 && host[i] == 0x42, "host memory untouched at %d", i);
	CHECK(live_set_check(&pages) == 0, "other pages intact");
	CHECK(kobj_set_check(&objs) == 0, "other objects intact");

	capture_start();
	kobj_set_free(&objs);
	live_set_free(&pages);
	__free_pages(page, 1);
	out = capture_end();
	CHECK(out[0] == '\0', "and free quietly; got:\n%s", out);
	free(host);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	CHECK(settled_free_pages() + 64 >= free0,
	      "memory is back, but for slabs kept for reuse: %lu vs %lu",
	      settled_free_pages(), free0);
	mmk_shutdown();
	harness_exit();
}
