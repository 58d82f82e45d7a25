// SPDX-License-Identifier: MIT
/*
 * The kernel command line: every key of API.md's table boots with a good
 * value and takes effect; every bad token is refused with -EINVAL and one
 * line on stderr that names it, and leaves no trace, so a good boot follows.
 */
#include <errno.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void good(const char *cmdline, const char *expect_in_cmdline)
{
	int err = mmk_boot(cmdline);

	CHECK(err == 0, "'%s' boots (got %d)", cmdline, err);
	if (err)
		return;
	if (expect_in_cmdline)
		CHECK(strstr(mmk_boot_cmdline(), expect_in_cmdline) != NULL,
		      "'%s' shows as %s in the booted cmdline '%s'",
		      cmdline, expect_in_cmdline, mmk_boot_cmdline());
	CHECK(mmk_check(stderr) == 0, "invariants after booting '%s'", cmdline);
	mmk_shutdown();
}

static void bad(const char *cmdline, const char *token)
{
	int fds = count_open_fds(), maps = count_mappings();
	const char *out;
	int err;

	capture_start();
	err = mmk_boot(cmdline);
	out = capture_end();
	CHECK(err == -EINVAL, "'%s' is refused with -EINVAL (got %d)", cmdline, err);
	if (err == 0) {
		mmk_shutdown();
		return;
	}
	CHECK(count_lines(out) == 1, "'%s' prints exactly one line; got:\n%s", cmdline, out);
	CHECK(strstr(out, token) != NULL, "the line for '%s' names '%s'; got:\n%s",
	      cmdline, token, out);
	CHECK(count_open_fds() == fds && count_mappings() == maps,
	      "a refused boot ('%s') leaves no fd or mapping behind", cmdline);
	CHECK(!pfn_valid(0), "no machine after the refused '%s'", cmdline);
}

int main(void)
{
	struct page *page;

	/* Good values of every key. */
	REQUIRE(mmk_boot("mem=64M") == 0, "mem=64M");
	CHECK(machine_pfns() == (64UL << 20) / PAGE_SIZE, "mem=64M gives 16384 frames, not %lu",
	      machine_pfns());
	mmk_shutdown();
	REQUIRE(mmk_boot("mem=65536K") == 0, "mem=65536K");
	CHECK(machine_pfns() == 16384, "K suffix: %lu frames", machine_pfns());
	mmk_shutdown();
	REQUIRE(mmk_boot("mem=1G") == 0, "mem=1G");
	CHECK(machine_pfns() == (1UL << 30) / PAGE_SIZE, "G suffix: %lu frames", machine_pfns());
	mmk_shutdown();

	REQUIRE(mmk_boot("mem=64M dma_zone=8M") == 0, "dma_zone=8M");
	page = alloc_pages(GFP_DMA | GFP_KERNEL, 0);
	CHECK(page && page_to_pfn(page) < (8UL << 20) / PAGE_SIZE,
	      "with dma_zone=8M a DMA page lies below 8M");
	if (page)
		__free_page(page);
	CHECK(strstr(mmk_boot_cmdline(), "dma_zone=8192K") != NULL, "cmdline: %s",
	      mmk_boot_cmdline());
	mmk_shutdown();

	REQUIRE(mmk_boot("kmalloc_max=64K") == 0, "kmalloc_max=64K");
	CHECK(KMALLOC_MAX_SIZE == 64 << 10, "KMALLOC_MAX_SIZE follows kmalloc_max=: %zu",
	      (size_t)KMALLOC_MAX_SIZE);
	mmk_shutdown();
	REQUIRE(mmk_boot(NULL) == 0, "default boot");
	CHECK(KMALLOC_MAX_SIZE == 128 << 10, "KMALLOC_MAX_SIZE is back to 128K: %zu",
	      (size_t)KMALLOC_MAX_SIZE);
	mmk_shutdown();

	good("min_free_kbytes=1024", "min_free_kbytes=1024");
	good("nopcp", "nopcp");
	good("slub_debug=FZ,kmalloc-64", "slub_debug=FZ,kmalloc-64");
	good("slub_debug=FZPU", "slub_debug=FZPU");
	good("cma=0", NULL);
	good("cma=16M", "cma=16M");
	good("vmalloc=64M", "vmalloc=64M");
	{
		/* Parses, but RAM cannot hold it: the boot fails and says why. */
		const char *out;
		int err;

		capture_start();
		err = mmk_boot("mem=64M cma=64M");
		out = capture_end();
		CHECK(err == -ENOMEM, "cma= as large as RAM fails the boot with -ENOMEM (got %d)", err);
		CHECK(strstr(out, "cma: Failed to reserve 64 MiB") != NULL,
		      "and names the reservation; got:\n%s", out);
		if (!err)
			mmk_shutdown();
	}
	good("", "mem=262144K");
	good("   mem=64M \t nopcp  ", "nopcp");
	good("mem=4M", "mem=4096K");
	good("mem=64M dma_zone=8M kmalloc_max=64K min_free_kbytes=1024 nopcp slub_debug=F cma=0",
	     "min_free_kbytes=1024");

	/* Bad ones, each named. (One first, so that the host's allocator has
	 * mapped what capturing stderr needs before mappings are counted.) */
	capture_start();
	mmk_boot("warm=up");
	capture_end();
	bad("foo=bar", "foo=bar");
	bad("mem=64M quiet", "quiet");
	bad("mem=12Q", "mem=12Q");
	bad("mem=1000", "mem=1000");
	bad("mem=1M", "mem=1M");
	bad("mem=", "mem=");
	bad("mem=-64M", "mem=-64M");
	bad("mem=99999999999999999999", "mem=99999999999999999999");
	bad("dma_zone=5M", "dma_zone=5M");
	bad("nopcp=1", "nopcp=1");
	bad("kmalloc_max=1", "kmalloc_max=1");
	bad("min_free_kbytes=-5", "min_free_kbytes=-5");
	bad("min_free_kbytes=lots", "min_free_kbytes=lots");
	bad("swap=/tmp/x:1Q", "swap=/tmp/x:1Q");
	bad("swap=/tmp/x", "swap=/tmp/x");
	bad("cma=5M", "cma=5M");
	bad("cma=lots", "cma=lots");
	bad("vmalloc=3M", "vmalloc=3M");
	bad("vmalloc=2T", "vmalloc=2T");
	bad("slub_debug=FZ,", "slub_debug=FZ,");
	bad("mem=64M dma_zone=5M nopcp", "dma_zone=5M");
	bad("mem=64M min_free_kbytes=40000", "min_free_kbytes=40000");

	/* After all of that, a good boot still works. */
	REQUIRE(mmk_boot("mem=64M") == 0, "a good boot after bad ones");
	page = alloc_page(GFP_KERNEL);
	CHECK(page != NULL, "and it allocates");
	if (page)
		__free_page(page);
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
