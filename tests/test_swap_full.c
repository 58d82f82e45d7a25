// SPDX-License-Identifier: MIT
/*
 * Swap full means no more swap-out, not corruption.
 *
 * A 64 MiB machine (thp_anon=16K-2M:never) with a 1 MiB swap file: 255
 * slots. MADV_PAGEOUT of 512 written pages returns 0, puts exactly 255 of
 * them on swap (VmSwap 1020 kB, pswpout +255, SwapFree 0) and leaves the
 * other 257 mapped; every page reads back intact. Reading them back, a page
 * swapped in while more than half of the swap is used gives up its slot
 * (Linux's vm_swap_full()), so 128 slots come free and the other 127 pages
 * stay in the swap cache; the next MADV_PAGEOUT writes exactly 128 pages
 * (the cached ones need no write) and fills the swap again. Writing 64
 * pages that are on swap frees exactly their 64 slots; the next
 * MADV_PAGEOUT writes exactly 64. Unmapping half of the range frees its
 * slots; munmap of the rest leaves every slot free, and mmk_check() is
 * clean throughout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define N		512L
#define SLOTS		255L
#define HALF		((SLOTS + 1) / 2)	/* free slots when vm_swap_full() turns false */

static unsigned char *p;

static uint64_t pword(size_t page, size_t w, uint64_t tag)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (w * 0xff51afd7ed558ccdull) ^ tag;
}

/* Each page's current tag. */
static uint64_t tags[N];

static void fill_page(size_t pg, uint64_t tag)
{
	tags[pg] = tag;
	for (size_t i = 0; i < PG / 8; i++)
		((uint64_t *)(p + pg * PG))[i] = pword(pg, i, tag);
}

static long damaged(void)
{
	long bad = 0;

	for (size_t pg = 0; pg < (size_t)N; pg++)
		for (size_t i = 0; i < PG / 8; i++)
			if (((const uint64_t *)(p + pg * PG))[i] != pword(pg, i, tags[pg])) {
				bad++;
				break;
			}
	return bad;
}

static long mapped(size_t first, size_t n)
{
	return pages_mapped(p, first, n);
}

static long vmswap(void)
{
	return report_value("self/status", "VmSwap");
}

int main(void)
{
	const char *path = test_tmp_path("swapfile");
	uint64_t tag = test_seed();
	char cmdline[1200];
	long out0, dirtied = 0;

	snprintf(cmdline, sizeof(cmdline), "mem=64M swap=%s:1M thp_anon=16K-2M:never", path);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	REQUIRE(meminfo_field_kb("SwapTotal") == SLOTS * 4, "SwapTotal %ld kB, expected %ld",
		meminfo_field_kb("SwapTotal"), SLOTS * 4);
	p = mmk_mmap(NULL, N * PG, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	for (size_t pg = 0; pg < (size_t)N; pg++)
		fill_page(pg, tag);

	out0 = vmstat_get("pswpout");
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT of twice the swap: errno %d",
	      errno);
	CHECK(vmswap() == SLOTS * 4, "VmSwap %ld kB, expected %ld: the swap is full", vmswap(),
	      SLOTS * 4);
	CHECK(vmstat_get("pswpout") - out0 == SLOTS, "pswpout %+ld, expected %ld",
	      vmstat_get("pswpout") - out0, SLOTS);
	CHECK(meminfo_field_kb("SwapFree") == 0, "SwapFree %ld kB", meminfo_field_kb("SwapFree"));
	CHECK(mapped(0, N) == N - SLOTS, "the pages that found no slot stay mapped: %ld of %ld",
	      mapped(0, N), N - SLOTS);
	CHECK(mmk_check(stderr) == 0, "invariants with the swap full");

	/* Read back: while more than half of the swap is used (Linux's
	 * vm_swap_full()), a page swapped in gives its slot up; the rest stay
	 * in the swap cache, clean. */
	CHECK(damaged() == 0, "every page reads back: %ld damaged", damaged());
	CHECK(meminfo_field_kb("SwapFree") == HALF * 4,
	      "swap-ins freed slots down to half the swap: SwapFree %ld kB, expected %ld",
	      meminfo_field_kb("SwapFree"), HALF * 4);
	CHECK(meminfo_field_kb("SwapCached") == (SLOTS - HALF) * 4,
	      "the others stay in the swap cache: SwapCached %ld kB, expected %ld",
	      meminfo_field_kb("SwapCached"), (SLOTS - HALF) * 4);
	CHECK(mmk_check(stderr) == 0, "invariants after reading back");

	/* Out again: the clean ones need no write, the free slots take as
	 * many of the others, and the swap is full again. */
	out0 = vmstat_get("pswpout");
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT again");
	CHECK(vmstat_get("pswpout") - out0 == HALF, "only pages without a slot are written: pswpout %+ld, expected %ld",
	      vmstat_get("pswpout") - out0, HALF);
	CHECK(vmswap() == SLOTS * 4, "again %ld pages on swap: VmSwap %ld kB", SLOTS, vmswap());
	CHECK(meminfo_field_kb("SwapFree") == 0, "full again: SwapFree %ld kB",
	      meminfo_field_kb("SwapFree"));
	CHECK(mapped(0, N) == N - SLOTS, "%ld pages mapped, expected %ld", mapped(0, N), N - SLOTS);

	/* Writing 64 of the pages on swap frees their slots (and nothing
	 * else does: no page is read); the next pageout fills them again. */
	for (size_t pg = 0; pg < (size_t)N && dirtied < 64; pg++)
		if (mmk_follow_pfn(p + pg * PG) == -1) {
			fill_page(pg, tag * 3 + pg);
			dirtied++;
		}
	CHECK(dirtied == 64, "64 pages on swap dirtied: %ld", dirtied);
	CHECK(meminfo_field_kb("SwapFree") == 64 * 4,
	      "dirtied pages give their slots back: SwapFree %ld kB, expected %d",
	      meminfo_field_kb("SwapFree"), 64 * 4);
	out0 = vmstat_get("pswpout");
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT after dirtying 64");
	CHECK(vmstat_get("pswpout") - out0 == 64, "exactly 64 written: pswpout %+ld",
	      vmstat_get("pswpout") - out0);
	CHECK(meminfo_field_kb("SwapFree") == 0, "full again: SwapFree %ld kB",
	      meminfo_field_kb("SwapFree"));
	CHECK(damaged() == 0, "intact after the third MADV_PAGEOUT: %ld damaged", damaged());
	CHECK(mmk_check(stderr) == 0, "invariants");

	/* Out once more, then unmap in two halves. */
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
	CHECK(mmk_munmap(p, N / 2 * PG) == 0, "munmap the first half");
	CHECK(mmk_check(stderr) == 0, "invariants after unmapping half");
	{
		long bad = 0;

		for (size_t pg = N / 2; pg < (size_t)N; pg++)
			bad += ((const uint64_t *)(p + pg * PG))[7] != pword(pg, 7, tags[pg]);
		CHECK(bad == 0, "the second half intact: %ld pages damaged", bad);
	}
	CHECK(mmk_munmap(p + N / 2 * PG, N / 2 * PG) == 0, "munmap the rest");
	CHECK(mmk_check(stderr) == 0, "invariants after munmap");
	CHECK(meminfo_field_kb("SwapFree") == SLOTS * 4, "every slot free: SwapFree %ld kB",
	      meminfo_field_kb("SwapFree"));
	mmk_shutdown();
	harness_exit();
}
