// SPDX-License-Identifier: MIT
/*
 * GFP semantics of the page allocator:
 *  - the allocation-failure warning and __GFP_NOWARN; order > MAX_PAGE_ORDER;
 *  - __GFP_ZERO zeroes frames that were dirty when freed; the address API
 *    (__get_free_pages, get_zeroed_page, free_pages);
 *  - get_page/put_page/page_count: the last reference frees;
 *  - zones: GFP_DMA stays below dma_zone, GFP_KERNEL falls back to ZONE_DMA
 *    but lowmem_reserve keeps part of it for DMA-only requests;
 *  - watermarks and reserves on an exhausted machine: GFP_KERNEL stops at
 *    min, GFP_NOWAIT gets nothing more, GFP_ATOMIC dips below min,
 *    __GFP_MEMALLOC takes the rest; __GFP_NORETRY fails at once;
 *    __GFP_NOFAIL waits until another thread frees a page, then succeeds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MEM_PFNS	((64UL << 20) / PAGE_SIZE)
#define DMA_PFNS	((8UL << 20) / PAGE_SIZE)
#define MIN_FREE_KB	2048UL
#define MIN_PAGES	(MIN_FREE_KB / 4)

/* ---- Pages kept by a drain loop --------------------------------------- */

struct stash {
	struct page **page;
	unsigned long nr;
};

static void stash_push(struct stash *s, struct page *page)
{
	if (!s->page)
		s->page = calloc(MEM_PFNS, sizeof(*s->page));
	REQUIRE(s->page && s->nr < MEM_PFNS, "stash room");
	s->page[s->nr++] = page;
}

/* Allocate order-0 pages with @gfp until it fails; returns how many. */
static unsigned long drain_with(struct stash *s, gfp_t gfp)
{
	unsigned long n = 0;
	struct page *page;

	while ((page = alloc_page(gfp))) {
		stash_push(s, page);
		n++;
	}
	return n;
}

static void stash_free(struct stash *s)
{
	while (s->nr)
		__free_page(s->page[--s->nr]);
}

/* ---- Warnings and orders ---------------------------------------------- */

static void check_failure_warning(void)
{
	struct page *blocks[64];
	const char *out;
	int n = 0;

	/* Take every order-10 block, then ask for one more. */
	while (n < 64 && (blocks[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER)))
		n++;
	CHECK(n > 8 && n < 64, "a 64M machine has a dozen order-10 blocks (got %d)", n);

	capture_start();
	CHECK(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER) == NULL, "no order-10 block left");
	out = capture_end();
	CHECK(strstr(out, "page allocation failure: order:10, mode:0xcc0(GFP_KERNEL)") != NULL,
	      "Linux's failure warning names order and gfp; got:\n%s", out);

	capture_start();
	CHECK(alloc_pages(GFP_KERNEL | __GFP_ZERO, MAX_PAGE_ORDER) == NULL, "still none");
	out = capture_end();
	CHECK(strstr(out, "page allocation failure: order:10, mode:0xdc0(GFP_KERNEL|__GFP_ZERO)"),
	      "the gfp is spelled out flag by flag; got:\n%s", out);

	capture_start();
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER) == NULL, "still none");
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, MAX_PAGE_ORDER) == NULL,
	      "__GFP_NORETRY fails too");
	out = capture_end();
	CHECK(!strstr(out, "page allocation failure"), "__GFP_NOWARN keeps it quiet; got:\n%s", out);

	while (n--)
		__free_pages(blocks[n], MAX_PAGE_ORDER);

	capture_start();
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1) == NULL,
	      "order 11 is above MAX_PAGE_ORDER");
	CHECK(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 31) == NULL, "order 31");
	CHECK(__get_free_pages(GFP_KERNEL | __GFP_NOWARN, 40) == 0, "order 40");
	out = capture_end();
	CHECK(!*out, "quietly with __GFP_NOWARN; got:\n%s", out);
	capture_start();
	CHECK(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1) == NULL, "order 11, warned");
	out = capture_end();
	CHECK(strstr(out, "order") != NULL, "an order above MAX_PAGE_ORDER is reported; got:\n%s",
	      out);
	blocks[0] = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	CHECK(blocks[0] != NULL, "order 10 itself is allowed");
	if (blocks[0])
		__free_pages(blocks[0], MAX_PAGE_ORDER);
	CHECK(mmk_check(stderr) == 0, "invariants after the failures");
}

/* ---- __GFP_ZERO and the address API ----------------------------------- */

static void check_zeroing(void)
{
	enum { N = 512 };
	static struct page *dirty[N], *clean[N];
	unsigned long reused = 0;
	unsigned long free0 = settled_free_pages();

	for (int i = 0; i < N; i++) {
		dirty[i] = alloc_pages(GFP_KERNEL, (unsigned int)(i % 3));
		REQUIRE(dirty[i], "dirty block %d", i);
		memset(page_address(dirty[i]), 0xab, PAGE_SIZE << (i % 3));
	}
	for (int i = 0; i < N; i++)
		__free_pages(dirty[i], (unsigned int)(i % 3));
	for (int i = 0; i < N; i++) {
		const unsigned char *p;
		size_t bytes = PAGE_SIZE << (i % 3), nonzero = 0;

		clean[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO, (unsigned int)(i % 3));
		REQUIRE(clean[i], "zeroed block %d", i);
		p = page_address(clean[i]);
		for (size_t b = 0; b < bytes; b++)
			nonzero += p[b] != 0;
		CHECK(nonzero == 0, "__GFP_ZERO block at pfn %#lx has %zu non-zero bytes",
		      page_to_pfn(clean[i]), nonzero);
		for (int j = 0; j < N; j++)
			if (dirty[j] == clean[i]) {
				reused++;
				break;
			}
	}
	/* The test means something only if dirty frames came back. */
	CHECK(reused > N / 4, "freed frames are reused (%lu of %d)", reused, N);
	for (int i = 0; i < N; i++)
		__free_pages(clean[i], (unsigned int)(i % 3));

	/* The address API, with the same check. */
	unsigned long addr = __get_free_page(GFP_KERNEL), zaddr;

	REQUIRE(addr, "__get_free_page");
	CHECK(addr % PAGE_SIZE == 0, "page aligned");
	memset((void *)addr, 0x77, PAGE_SIZE);
	free_page(addr);
	zaddr = get_zeroed_page(GFP_KERNEL);
	REQUIRE(zaddr, "get_zeroed_page");
	CHECK(zaddr == addr, "LIFO: the dirty frame came back (%#lx vs %#lx)", zaddr, addr);
	for (size_t b = 0; b < PAGE_SIZE; b++)
		if (((unsigned char *)zaddr)[b]) {
			CHECK(0, "get_zeroed_page byte %zu is %#x", b, ((unsigned char *)zaddr)[b]);
			break;
		}
	free_page(zaddr);

	addr = __get_free_pages(GFP_KERNEL, 4);
	REQUIRE(addr, "__get_free_pages order 4");
	CHECK(addr % (PAGE_SIZE << 4) == 0, "aligned to its order");
	CHECK(page_address(virt_to_page(addr)) == (void *)addr, "virt_to_page round trip");
	CHECK(page_count(virt_to_page(addr)) == 1, "one reference");
	memset((void *)addr, 1, PAGE_SIZE << 4);
	CHECK(settled_free_pages() == free0 - 16, "16 pages out: %lu vs %lu",
	      settled_free_pages(), free0 - 16);
	free_pages(addr, 4);
	CHECK(settled_free_pages() == free0, "free_pages gave them back");
	CHECK(mmk_check(stderr) == 0, "invariants after zeroing");
}

/* ---- References ------------------------------------------------------- */

static void check_refcount(void)
{
	unsigned long free0 = settled_free_pages();
	struct page *page = alloc_page(GFP_KERNEL), *comp;

	REQUIRE(page, "a page");
	CHECK(page_count(page) == 1, "a new page has one reference");
	get_page(page);
	get_page(page);
	CHECK(page_count(page) == 3, "get_page adds: %d", page_count(page));
	put_page(page);
	put_page(page);
	CHECK(page_count(page) == 1, "put_page drops: %d", page_count(page));
	CHECK(settled_free_pages() == free0 - 1, "still allocated while referenced");
	put_page(page);
	CHECK(settled_free_pages() == free0, "the last put_page frees it");

	/* A reference taken on a tail of a compound page counts on its head. */
	comp = alloc_pages(GFP_KERNEL | __GFP_COMP, 2);
	REQUIRE(comp, "a compound order-2 page");
	get_page(comp + 3);
	CHECK(page_count(comp) == 2 && page_count(comp + 1) == 2,
	      "tails share the head's count: %d %d", page_count(comp), page_count(comp + 1));
	put_page(comp + 2);
	CHECK(page_count(comp) == 1, "back to one");
	CHECK(settled_free_pages() == free0 - 4, "still allocated");
	put_page(comp + 1);
	CHECK(settled_free_pages() == free0, "the last put_page frees the whole order-2 block");

	/* __free_pages drops one reference, it does not override the others. */
	page = alloc_page(GFP_KERNEL);
	REQUIRE(page, "a page");
	get_page(page);
	__free_page(page);
	CHECK(page_count(page) == 1, "__free_pages with another reference held leaves one");
	CHECK(settled_free_pages() == free0 - 1, "and the page allocated");
	put_page(page);
	CHECK(settled_free_pages() == free0, "until the last one goes");
	CHECK(mmk_check(stderr) == 0, "invariants after references");
}

/* ---- Zones, watermarks, reserves -------------------------------------- */

struct nofail_helper {
	struct stash *stash, *rest[3];
	atomic_bool freed_one, done, rescued;
};

static void *nofail_helper_thread(void *arg)
{
	struct nofail_helper *h = arg;

	usleep(50 * 1000);
	__free_page(h->stash->page[--h->stash->nr]);
	atomic_store(&h->freed_one, true);
	/* The allocation needs microseconds from here. If it is still stuck
	 * after seconds it would wait forever: free everything (the caller is
	 * blocked and does not touch the stashes) so the test can end and
	 * report it. */
	for (int i = 0; i < 5000 && !atomic_load(&h->done); i++)
		usleep(1000);
	if (!atomic_load(&h->done)) {
		atomic_store(&h->rescued, true);
		stash_free(h->stash);
		for (int i = 0; i < 3; i++)
			stash_free(h->rest[i]);
	}
	return NULL;
}

static void check_reserves(void)
{
	struct stash kernel = { 0 }, dma = { 0 }, atomic = { 0 }, memalloc = { 0 };
	unsigned long free0 = settled_free_pages(), from_dma = 0, n;
	struct nofail_helper helper = { .stash = &memalloc,
					.rest = { &atomic, &dma, &kernel } };
	struct page *page;
	pthread_t t;

	/* GFP_DMA stays in ZONE_DMA. */
	for (int i = 0; i < 100; i++) {
		page = alloc_pages(GFP_DMA | GFP_KERNEL, (unsigned int)(i % 4));
		REQUIRE(page, "a DMA block");
		CHECK(page_to_pfn(page) + (1UL << (i % 4)) <= DMA_PFNS,
		      "GFP_DMA block at pfn %#lx is in ZONE_DMA", page_to_pfn(page));
		__free_pages(page, (unsigned int)(i % 4));
	}

	/* GFP_KERNEL until it fails: it stops at the min watermark of
	 * Normal, then takes from DMA down to DMA's min + lowmem_reserve. */
	n = drain_with(&kernel, GFP_KERNEL | __GFP_NOWARN);
	for (unsigned long i = 0; i < kernel.nr; i++)
		from_dma += page_to_pfn(kernel.page[i]) < DMA_PFNS;
	CHECK(n > free0 - 2 * MIN_PAGES - 200 && n < free0,
	      "GFP_KERNEL gets all but the reserves: %lu of %lu", n, free0);
	CHECK(from_dma > DMA_PFNS / 2, "GFP_KERNEL falls back to ZONE_DMA (%lu pages from it)",
	      from_dma);
	CHECK(alloc_page(GFP_KERNEL | __GFP_NOWARN) == NULL, "GFP_KERNEL keeps failing");

	/* lowmem_reserve kept part of DMA for requests that need DMA. */
	n = drain_with(&dma, GFP_KERNEL | GFP_DMA | __GFP_NOWARN);
	CHECK(n > 0, "GFP_DMA still gets pages after GFP_KERNEL is refused (%lu)", n);
	for (unsigned long i = 0; i < dma.nr; i++)
		CHECK(page_to_pfn(dma.page[i]) < DMA_PFNS, "a DMA page");

	/* Below min: GFP_NOWAIT gets nothing, GFP_ATOMIC dips into the
	 * reserve (to 3/8 of min), __GFP_MEMALLOC takes the rest. */
	page = alloc_page(GFP_NOWAIT);
	CHECK(page == NULL, "GFP_NOWAIT may not dip below min");
	if (page)
		stash_push(&atomic, page);
	page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	CHECK(page == NULL, "__GFP_NORETRY gives up");
	if (page)
		stash_push(&atomic, page);
	n = drain_with(&atomic, GFP_ATOMIC | __GFP_NOWARN);
	CHECK(n >= MIN_PAGES / 4 && n <= MIN_PAGES,
	      "GFP_ATOMIC gets part of the min reserve: %lu pages (min is %lu)", n, MIN_PAGES);
	n = drain_with(&memalloc, GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN);
	CHECK(n >= MIN_PAGES / 8 && n <= MIN_PAGES,
	      "__GFP_MEMALLOC gets what GFP_ATOMIC may not: %lu pages", n);
	CHECK(settled_free_pages() == 0, "the machine is empty: %lu free", settled_free_pages());
	CHECK(mmk_check(stderr) == 0, "invariants on an empty machine");
	REQUIRE(memalloc.nr > 0, "pages for the helper to free");

	/* __GFP_NOFAIL waits for a page instead of failing. */
	REQUIRE(pthread_create(&t, NULL, nofail_helper_thread, &helper) == 0, "thread");
	page = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
	atomic_store(&helper.done, true);
	pthread_join(t, NULL);
	CHECK(page != NULL, "__GFP_NOFAIL does not fail");
	CHECK(atomic_load(&helper.freed_one), "it waited until a page was freed");
	CHECK(!atomic_load(&helper.rescued),
	      "__GFP_NOFAIL took the page another thread freed (instead of waiting for memory above min/2)");
	if (page)
		__free_page(page);

	stash_free(&memalloc);
	stash_free(&atomic);
	stash_free(&dma);
	stash_free(&kernel);
	free(memalloc.page);
	free(atomic.page);
	free(dma.page);
	free(kernel.page);
	CHECK(settled_free_pages() == free0, "all pages back: %lu vs %lu",
	      settled_free_pages(), free0);
	CHECK(mmk_check(stderr) == 0, "invariants after the reserves");
}

int main(void)
{
	REQUIRE(mmk_boot("mem=64M dma_zone=8M min_free_kbytes=2048") == 0, "boot");
	check_failure_warning();
	check_zeroing();
	check_refcount();
	check_reserves();
	mmk_shutdown();
	harness_exit();
}
