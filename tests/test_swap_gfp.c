// SPDX-License-Identifier: MIT
/*
 * Who may reclaim: an allocation that may sleep (GFP_KERNEL) takes frames
 * from user memory by direct reclaim when free memory runs out; one that
 * may not (GFP_NOWAIT, GFP_ATOMIC) never reclaims itself, it only wakes
 * kswapd, and fails rather than wait.
 *
 * A 32 MiB machine (single pages) with a 64 MiB swap file; 28 MiB of user
 * memory is written, so free memory is near the watermarks.
 *   - GFP_NOWAIT order-0 allocations until one fails: pgscan_direct and
 *     allocstall do not move (kswapd may reclaim meanwhile: that is its
 *     job, counted in pgscan_kswapd).
 *   - GFP_ATOMIC likewise.
 *   - GFP_KERNEL allocations of 24 MiB more than was free when they
 *     started all succeed: the frames come from user pages written to swap
 *     (pswpout moves, RSS falls), and the user memory reads back intact.
 *   - Everything freed, mmk_check() is clean.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)
#define PG		((size_t)PAGE_SIZE)
#define USER		(28UL << 20)
#define MAXPAGES	16384

static struct page *pages[MAXPAGES];
static size_t npages;

static long allocstall(void)
{
	return vmstat_get("allocstall_dma") + vmstat_get("allocstall_normal");
}

/* Order-0 allocations with @gfp until one fails or @limit are held. */
static size_t grab(gfp_t gfp, size_t limit)
{
	size_t got = 0;

	while (npages < MAXPAGES && got < limit) {
		struct page *p = alloc_page(gfp | __GFP_NOWARN);

		if (!p)
			break;
		pages[npages++] = p;
		got++;
	}
	return got;
}

static void release(void)
{
	while (npages)
		__free_page(pages[--npages]);
}

int main(void)
{
	char cmd[512];
	unsigned char *user;
	long scan0, stall0, out0, free_kb, rss0;
	size_t got, bad = 0;

	snprintf(cmd, sizeof(cmd), "mem=32M thp_anon=16K-2M:never swap=%s:64M",
		 test_tmp_path("swapfile"));
	REQUIRE(mmk_boot(cmd) == 0, "boot '%s'", cmd);
	user = mmk_mmap(NULL, USER, RW, ANON, -1, 0);
	REQUIRE(user != MAP_FAILED, "mmap 28 MiB");
	for (size_t off = 0; off < USER; off += PG)
		memset(user + off, (int)(off / PG) & 0xff, 64);

	/* Never reclaims itself. */
	scan0 = vmstat_get("pgscan_direct");
	stall0 = allocstall();
	got = grab(GFP_NOWAIT, MAXPAGES / 2);
	CHECK(vmstat_get("pgscan_direct") == scan0 && allocstall() == stall0,
	      "GFP_NOWAIT: %zu pages, no direct reclaim (pgscan_direct +%ld, allocstall +%ld)",
	      got, vmstat_get("pgscan_direct") - scan0, allocstall() - stall0);
	release();
	scan0 = vmstat_get("pgscan_direct");
	stall0 = allocstall();
	got = grab(GFP_ATOMIC, MAXPAGES / 2);
	CHECK(vmstat_get("pgscan_direct") == scan0 && allocstall() == stall0,
	      "GFP_ATOMIC: %zu pages, no direct reclaim (pgscan_direct +%ld, allocstall +%ld)",
	      got, vmstat_get("pgscan_direct") - scan0, allocstall() - stall0);
	release();

	/* May sleep: gets memory that only reclaim can give. */
	free_kb = meminfo_field_kb("MemFree");
	out0 = vmstat_get("pswpout");
	rss0 = report_value("self/status", "RssAnon");
	got = grab(GFP_KERNEL, (size_t)(free_kb / 4) + (24UL << 20) / PG);
	CHECK(got == (size_t)(free_kb / 4) + (24UL << 20) / PG,
	      "GFP_KERNEL: %zu of %zu pages with %ld kB free at the start", got,
	      (size_t)(free_kb / 4) + (24UL << 20) / PG, free_kb);
	CHECK(vmstat_get("pswpout") > out0, "user pages went to swap for them: pswpout +%ld",
	      vmstat_get("pswpout") - out0);
	CHECK(report_value("self/status", "RssAnon") < rss0 - (16L << 10),
	      "RSS fell from %ld kB to %ld kB", rss0, report_value("self/status", "RssAnon"));
	release();

	for (size_t off = 0; off < USER; off += PG)
		for (size_t i = 0; i < 64; i++)
			bad += user[off + i] != (unsigned char)((off / PG) & 0xff);
	CHECK(bad == 0, "the user memory reads back intact: %zu bytes differ", bad);
	CHECK(mmk_munmap(user, USER) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
