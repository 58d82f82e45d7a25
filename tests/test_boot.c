// SPDX-License-Identifier: MIT
/*
 * The machine's life cycle: calls before boot are reported, not crashes;
 * the default boot works; a second boot is -EBUSY; and boot + shutdown can
 * repeat in one process without leaking a file descriptor or a mapping,
 * even when the machine is shut down with pages still allocated.
 */
#include <errno.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

/* Every call made before boot prints one report that names it. */
static void check_not_booted_report(const char *out, const char *call)
{
	CHECK(strstr(out, call) != NULL,
	      "a call before boot names %s() in its report; got:\n%s", call, out);
	CHECK(strstr(out, "mmk_boot") != NULL,
	      "the report for %s() tells the caller to boot; got:\n%s", call, out);
}

static void calls_before_boot(void)
{
	struct page fake;
	const char *out;
	long r;

	memset(&fake, 0, sizeof(fake));

	capture_start();
	CHECK(alloc_pages(GFP_KERNEL, 0) == NULL, "alloc_pages before boot is NULL");
	out = capture_end();
	check_not_booted_report(out, "alloc_pages");

	capture_start();
	CHECK(__get_free_pages(GFP_KERNEL, 1) == 0, "__get_free_pages before boot is 0");
	out = capture_end();
	/* It may name itself or alloc_pages(), which it calls. */
	CHECK(strstr(out, "free_pages") || strstr(out, "alloc_pages"),
	      "__get_free_pages before boot is reported; got:\n%s", out);

	capture_start();
	CHECK(get_zeroed_page(GFP_KERNEL) == 0, "get_zeroed_page before boot is 0");
	out = capture_end();
	CHECK(*out, "get_zeroed_page before boot is reported");

	capture_start();
	__free_pages(&fake, 0);
	out = capture_end();
	check_not_booted_report(out, "free_pages");

	capture_start();
	free_pages((unsigned long)&fake & PAGE_MASK, 0);
	out = capture_end();
	check_not_booted_report(out, "free_pages");

	capture_start();
	CHECK(nr_free_pages() == 0, "nr_free_pages before boot is 0");
	out = capture_end();
	check_not_booted_report(out, "nr_free_pages");

	capture_start();
	drain_all_pages(NULL);
	out = capture_end();
	check_not_booted_report(out, "drain_all_pages");

	capture_start();
	CHECK(page_address(&fake) == NULL, "page_address before boot is NULL");
	out = capture_end();
	check_not_booted_report(out, "page_address");

	capture_start();
	CHECK(virt_to_page(&fake) == NULL, "virt_to_page before boot is NULL");
	out = capture_end();
	check_not_booted_report(out, "virt_to_page");

	capture_start();
	get_page(&fake);
	put_page(&fake);
	(void)page_count(&fake);
	out = capture_end();
	check_not_booted_report(out, "get_page");
	check_not_booted_report(out, "put_page");
	check_not_booted_report(out, "page_count");

	capture_start();
	r = mmk_check(NULL);
	out = capture_end();
	CHECK(r != 0, "mmk_check before boot does not claim a healthy machine");
	check_not_booted_report(out, "mmk_check");

	capture_start();
	mmk_shutdown();
	out = capture_end();
	check_not_booted_report(out, "mmk_shutdown");

	/* Address arithmetic is API too: before boot there is no mem_map and no
	 * direct map, so an answer would be a made-up pointer. */
	capture_start();
	(void)pfn_to_page(1);
	out = capture_end();
	check_not_booted_report(out, "pfn_to_page");

	capture_start();
	(void)page_to_pfn(&fake);
	out = capture_end();
	check_not_booted_report(out, "page_to_pfn");

	capture_start();
	(void)virt_to_phys(&fake);
	out = capture_end();
	check_not_booted_report(out, "virt_to_phys");

	capture_start();
	(void)phys_to_virt(PAGE_SIZE);
	out = capture_end();
	check_not_booted_report(out, "phys_to_virt");

	CHECK(!pfn_valid(0), "no pfn is valid before boot");
}

int main(void)
{
	int fds0, maps0, fds, maps;
	unsigned long free0;
	const char *out;

	calls_before_boot();

	REQUIRE(mmk_boot(NULL) == 0, "default boot");
	CHECK(machine_pfns() == (256UL << 20) / PAGE_SIZE,
	      "the default machine has 256M: %lu frames", machine_pfns());
	CHECK(strstr(mmk_boot_cmdline(), "mem=262144K") != NULL,
	      "boot cmdline shows the default mem=: %s", mmk_boot_cmdline());
	free0 = settled_free_pages();
	CHECK(free0 > 0 && free0 < machine_pfns(), "free pages after boot: %lu", free0);

	capture_start();
	CHECK(mmk_boot(NULL) == -EBUSY, "a second boot is -EBUSY");
	CHECK(mmk_boot("mem=64M") == -EBUSY, "a second boot with a cmdline is -EBUSY");
	out = capture_end();
	CHECK(*out, "a second boot says why it was refused");
	CHECK(machine_pfns() == (256UL << 20) / PAGE_SIZE,
	      "the refused boot left the running machine alone");
	CHECK(mmk_check(stderr) == 0, "invariants after a refused second boot");
	mmk_shutdown();
	CHECK(!pfn_valid(0), "no pfn is valid after shutdown");

	/* One warm-up cycle, then the resources must not grow. */
	REQUIRE(mmk_boot(NULL) == 0, "boot after shutdown");
	mmk_shutdown();
	fds0 = count_open_fds();
	maps0 = count_mappings();

	for (int i = 0; i < 50; i++) {
		struct page *page, *kept[8];

		REQUIRE(mmk_boot(i & 1 ? "mem=64M nopcp" : NULL) == 0, "boot cycle %d", i);
		CHECK(count_open_fds() == fds0 + 1,
		      "a booted machine holds one fd (its RAM): %d vs %d", count_open_fds(), fds0);
		if (!(i & 1))
			CHECK(settled_free_pages() == free0,
			      "cycle %d: a boot after a shutdown with pages still allocated starts with all of them free: %lu vs %lu",
			      i, settled_free_pages(), free0);
		page = alloc_pages(GFP_KERNEL, 3);
		CHECK(page != NULL, "cycle %d: an order-3 block", i);
		if (page) {
			pattern_fill(page, 3, (unsigned long)i);
			CHECK(pattern_check(page, 3, (unsigned long)i) == 0, "cycle %d: RAM holds data", i);
			__free_pages(page, 3);
		}
		/* Leave some allocated: shutdown must free them anyway. */
		for (int k = 0; k < 8; k++)
			kept[k] = alloc_pages(GFP_KERNEL, (unsigned int)k);
		for (int k = 0; k < 8; k++)
			CHECK(kept[k] != NULL, "cycle %d: order-%d block", i, k);
		CHECK(mmk_check(stderr) == 0, "cycle %d: invariants", i);
		mmk_shutdown();
	}
	fds = count_open_fds();
	maps = count_mappings();
	CHECK(fds == fds0, "50 boot/shutdown cycles leak no fd: %d before, %d after", fds0, fds);
	CHECK(maps == maps0, "50 boot/shutdown cycles leak no mapping: %d before, %d after",
	      maps0, maps);
	harness_exit();
}
