// SPDX-License-Identifier: MIT
/*
 * Per-CPU page lists: pages of orders 0..3 freed to a CPU's list are not
 * counted in nr_free_pages() (as in Linux) until drain_all_pages() returns
 * them; orders above 3 bypass the lists; with `nopcp` every free is
 * immediate; a thread (CPU) that exits leaves its list behind, and a drain
 * still finds it.
 */
#include <pthread.h>

#include <mmkit/linux.h>
#include "harness.h"

#define N 64

static void alloc_free_some(void)
{
	struct page *pages[N];

	for (int i = 0; i < N; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, (unsigned int)(i % 4));
		REQUIRE(pages[i], "block %d", i);
	}
	for (int i = 0; i < N; i++)
		__free_pages(pages[i], (unsigned int)(i % 4));
}

static void *cpu_thread(void *arg)
{
	(void)arg;
	alloc_free_some();
	return NULL;
}

int main(void)
{
	unsigned long free0, free1;
	struct page *page;
	pthread_t t;

	/* With per-CPU lists. */
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	free0 = settled_free_pages();

	page = alloc_page(GFP_KERNEL);
	REQUIRE(page, "a page");
	free1 = nr_free_pages();
	CHECK(free1 < free0 - 1, "the first allocation refills the list with a batch (%lu -> %lu)",
	      free0, free1);
	__free_page(page);
	CHECK(nr_free_pages() == free1, "a freed page goes to the list, not the buddy lists");
	CHECK(nr_free_pages() < free0, "pages parked on the list are not counted free");
	CHECK(mmk_check(stderr) == 0, "invariants with pages on a per-CPU list");
	drain_all_pages(NULL);
	CHECK(nr_free_pages() == free0, "drain_all_pages returns them: %lu vs %lu",
	      nr_free_pages(), free0);

	alloc_free_some();
	CHECK(nr_free_pages() < free0, "orders 0..3 park on the lists");
	CHECK(settled_free_pages() == free0, "and drain back");

	/* Orders above PAGE_ALLOC_COSTLY_ORDER use the buddy lists directly. */
	page = alloc_pages(GFP_KERNEL, 4);
	REQUIRE(page, "an order-4 block");
	CHECK(nr_free_pages() == free0 - 16, "order 4 takes exactly 16 pages");
	__free_pages(page, 4);
	CHECK(nr_free_pages() == free0, "and gives them back at once");

	/* A CPU that goes away leaves its list; drain finds it. */
	REQUIRE(pthread_create(&t, NULL, cpu_thread, NULL) == 0, "thread");
	pthread_join(t, NULL);
	CHECK(nr_free_pages() < free0, "the exited thread's pages sit on its list");
	CHECK(mmk_check(stderr) == 0, "invariants with an orphaned list");
	CHECK(settled_free_pages() == free0, "drain returns an exited CPU's pages: %lu vs %lu",
	      nr_free_pages(), free0);

	/* Shutdown with pages parked on lists: the next boot starts clean. */
	alloc_free_some();
	mmk_shutdown();

	/* Without them. */
	REQUIRE(mmk_boot("mem=64M nopcp") == 0, "boot nopcp");
	free0 = nr_free_pages();
	page = alloc_page(GFP_KERNEL);
	REQUIRE(page, "a page");
	CHECK(nr_free_pages() == free0 - 1, "nopcp: an allocation takes one page");
	__free_page(page);
	CHECK(nr_free_pages() == free0, "nopcp: a free is immediate");
	alloc_free_some();
	CHECK(nr_free_pages() == free0, "nopcp: every order frees at once");
	REQUIRE(pthread_create(&t, NULL, cpu_thread, NULL) == 0, "thread");
	pthread_join(t, NULL);
	CHECK(nr_free_pages() == free0, "nopcp: nothing parked by other threads");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
