// SPDX-License-Identifier: MIT
/* Boot the default machine, allocate and free a page, shut down. */
#include <mmkit/linux.h>
#include "harness.h"

int main(void)
{
	struct page *page;

	REQUIRE(mmk_boot(NULL) == 0, "default boot");
	page = alloc_page(GFP_KERNEL);
	CHECK(page != NULL, "an order-0 page on an idle machine");
	__free_page(page);
	CHECK(mmk_check(stderr) == 0, "invariants after one pair");
	mmk_shutdown();
	harness_exit();
}
