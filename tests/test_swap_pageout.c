// SPDX-License-Identifier: MIT
/*
 * MADV_PAGEOUT and MADV_COLD, page by page (thp_anon=16K-2M:never), on a
 * 64 MiB machine with a 64 MiB swap file and no memory pressure, so every
 * counter moves by exactly what the test did:
 *
 *   - MADV_PAGEOUT of N written pages returns 0 after the pages are written
 *     and their frames freed: RssAnon (self/status) and AnonPages -N pages,
 *     VmSwap +N, pswpout +N, SwapFree -N, SwapCached 0, no PTE maps them,
 *     and the free pages grew by about N.
 *   - Reading them back: major faults (between 1 and N, readahead brings
 *     the rest), pswpin +N (no slot read twice), the bytes intact; each page
 *     is mapped again and, only read, stays in the swap cache: SwapCached N,
 *     VmSwap 0, the slots still taken.
 *   - A second MADV_PAGEOUT of those clean pages writes nothing (pswpout
 *     +0) but frees them all the same; reading again brings them back.
 *   - Writing half of them takes that half out of the swap cache (SwapCached
 *     and the used slots -N/2); the next MADV_PAGEOUT writes exactly that
 *     half.
 *   - MADV_COLD returns 0, keeps every page mapped and in memory, writes
 *     nothing, and leaves them on the inactive list (Inactive(anon) >= N).
 *   - Zero pages (a range only read) and an untouched range: MADV_PAGEOUT
 *     returns 0 and nothing goes to swap; the zero page stays mapped.
 *   - munmap with pages on swap frees every slot; mmk_check() is clean
 *     throughout.
 *   - Without swap, MADV_PAGEOUT returns 0 and nothing moves.
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
#define N		1024L

struct snap {
	long rss, vmswap, anon, out, in, maj, swapfree, cached, free;
};

static void snap(struct snap *s)
{
	s->rss = report_value("self/status", "RssAnon");
	s->vmswap = report_value("self/status", "VmSwap");
	s->anon = meminfo_field_kb("AnonPages");
	s->out = vmstat_get("pswpout");
	s->in = vmstat_get("pswpin");
	s->maj = vmstat_get("pgmajfault");
	s->swapfree = meminfo_field_kb("SwapFree");
	s->cached = meminfo_field_kb("SwapCached");
	s->free = (long)settled_free_pages();
}

#define MOVED(a, b, field, expect, what)					\
	CHECK((b).field - (a).field == (expect), "%s: " #field " %+ld, expected %+ld", what, \
	      (b).field - (a).field, (long)(expect))

static uint64_t pword(size_t page, size_t w, uint64_t tag)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (w * 0xff51afd7ed558ccdull) ^ tag;
}

static void fill(unsigned char *p, size_t first, size_t n, uint64_t tag)
{
	for (size_t pg = first; pg < first + n; pg++)
		for (size_t i = 0; i < PG / 8; i++)
			((uint64_t *)(p + pg * PG))[i] = pword(pg, i, tag);
}

/* Pages of [first, first + n) that do not hold their words. */
static long damaged(const unsigned char *p, size_t first, size_t n, uint64_t tag)
{
	long bad = 0;

	for (size_t pg = first; pg < first + n; pg++)
		for (size_t i = 0; i < PG / 8; i++)
			if (((const uint64_t *)(p + pg * PG))[i] != pword(pg, i, tag)) {
				bad++;
				break;
			}
	return bad;
}

static long mapped(const unsigned char *p, long n)
{
	long m = 0;

	for (long i = 0; i < n; i++)
		m += mmk_follow_pfn(p + i * PG) >= 0;
	return m;
}

static void pageout_and_back(void)
{
	const uint64_t t1 = test_seed(), t2 = t1 * 31 + 7;
	struct snap a, b;
	unsigned char *p = mmk_mmap(NULL, N * PG, RW, ANON, -1, 0);
	long total = meminfo_field_kb("SwapTotal");

	REQUIRE(p != MAP_FAILED, "mmap");
	fill(p, 0, N, t1);
	CHECK(mapped(p, N) == N, "all written pages mapped");

	/* Out. */
	snap(&a);
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT: errno %d", errno);
	snap(&b);
	MOVED(a, b, rss, -N * 4, "MADV_PAGEOUT");
	MOVED(a, b, anon, -N * 4, "MADV_PAGEOUT");
	MOVED(a, b, vmswap, N * 4, "MADV_PAGEOUT");
	MOVED(a, b, out, N, "MADV_PAGEOUT");
	MOVED(a, b, swapfree, -N * 4, "MADV_PAGEOUT");
	CHECK(b.cached == 0, "MADV_PAGEOUT: the frames are freed, not cached: SwapCached %ld kB",
	      b.cached);
	CHECK(b.free - a.free >= N - 32, "MADV_PAGEOUT freed the frames: free pages %+ld",
	      b.free - a.free);
	CHECK(mapped(p, N) == 0, "no PTE maps a paged-out page: %ld do", mapped(p, N));
	CHECK(mmk_check(stderr) == 0, "invariants with %ld pages on swap", N);

	/* Back, by reading. */
	snap(&a);
	CHECK(damaged(p, 0, N, t1) == 0, "read back: %ld pages damaged", damaged(p, 0, N, t1));
	snap(&b);
	CHECK(b.maj - a.maj >= 1 && b.maj - a.maj <= N, "major faults reading back: %+ld",
	      b.maj - a.maj);
	MOVED(a, b, in, N, "reading back");
	MOVED(a, b, rss, N * 4, "reading back");
	CHECK(b.vmswap == 0, "reading back: VmSwap %ld kB", b.vmswap);
	CHECK(b.cached == N * 4, "pages only read stay in the swap cache: SwapCached %ld kB, expected %ld",
	      b.cached, N * 4);
	CHECK(b.swapfree == total - N * 4, "their slots stay taken: SwapFree %ld of %ld kB",
	      b.swapfree, total);
	CHECK(mmk_check(stderr) == 0, "invariants with %ld pages in the swap cache", N);

	/* Out again: clean pages need no write. */
	snap(&a);
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "second MADV_PAGEOUT");
	snap(&b);
	MOVED(a, b, out, 0, "paging out clean swap cache pages");
	MOVED(a, b, rss, -N * 4, "paging out clean swap cache pages");
	MOVED(a, b, vmswap, N * 4, "paging out clean swap cache pages");
	MOVED(a, b, swapfree, 0, "paging out clean swap cache pages");
	CHECK(b.cached == 0, "clean pages left the swap cache: SwapCached %ld kB", b.cached);
	CHECK(mapped(p, N) == 0, "no PTE maps them: %ld do", mapped(p, N));

	snap(&a);
	CHECK(damaged(p, 0, N, t1) == 0, "read back again: %ld pages damaged", damaged(p, 0, N, t1));
	snap(&b);
	MOVED(a, b, in, N, "reading back again");

	/* Writing half takes it out of the swap cache. */
	fill(p, 0, N / 2, t2);
	snap(&b);
	CHECK(b.cached == N / 2 * 4, "written pages leave the swap cache: SwapCached %ld kB, expected %ld",
	      b.cached, N / 2 * 4);
	CHECK(b.swapfree == total - N / 2 * 4, "and free their slots: SwapFree %ld, expected %ld",
	      b.swapfree, total - N / 2 * 4);
	CHECK(mmk_check(stderr) == 0, "invariants with half of the pages dirty");
	a = b;
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "third MADV_PAGEOUT");
	snap(&b);
	MOVED(a, b, out, N / 2, "paging out half dirty, half clean");
	MOVED(a, b, rss, -N * 4, "paging out half dirty, half clean");
	CHECK(b.vmswap == N * 4, "VmSwap %ld kB, expected %ld", b.vmswap, N * 4);
	CHECK(damaged(p, 0, N / 2, t2) == 0 && damaged(p, N / 2, N / 2, t1) == 0,
	      "both halves read back intact");

	/* MADV_COLD: deactivates, moves nothing. */
	snap(&a);
	CHECK(mmk_madvise(p, N * PG, MADV_COLD) == 0, "MADV_COLD: errno %d", errno);
	snap(&b);
	CHECK(meminfo_field_kb("Inactive(anon)") >= N * 4, "MADV_COLD: Inactive(anon) %ld kB, at least %ld",
	      meminfo_field_kb("Inactive(anon)"), N * 4);
	MOVED(a, b, rss, 0, "MADV_COLD");
	MOVED(a, b, out, 0, "MADV_COLD");
	MOVED(a, b, vmswap, 0, "MADV_COLD");
	CHECK(mapped(p, N) == N, "MADV_COLD: every page still mapped: %ld", mapped(p, N));
	CHECK(damaged(p, 0, N / 2, t2) == 0 && damaged(p, N / 2, N / 2, t1) == 0,
	      "MADV_COLD: intact");
	CHECK(mmk_check(stderr) == 0, "invariants after MADV_COLD");

	/* munmap with a part on swap and a part in the swap cache. */
	CHECK(mmk_madvise(p + N / 4 * PG, N / 2 * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT of a part");
	CHECK(report_value("self/status", "VmSwap") == N / 2 * 4, "VmSwap %ld kB, expected %ld",
	      report_value("self/status", "VmSwap"), N / 2 * 4);
	(void)*(volatile unsigned char *)(p + N / 2 * PG);	/* one back, clean */
	CHECK(mmk_munmap(p, N * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after munmap");
	CHECK(meminfo_field_kb("SwapFree") == total, "every slot free after munmap: SwapFree %ld of %ld",
	      meminfo_field_kb("SwapFree"), total);
	CHECK(meminfo_field_kb("SwapCached") == 0, "SwapCached %ld kB after munmap",
	      meminfo_field_kb("SwapCached"));
	CHECK(report_value("self/status", "VmSwap") == 0, "VmSwap %ld kB after munmap",
	      report_value("self/status", "VmSwap"));
}

/* Nothing to write: zero pages and pages never touched. */
static void nothing_to_page_out(void)
{
	const long n = 64;
	unsigned char *p = mmk_mmap(NULL, 2 * n * PG, RW, ANON, -1, 0);
	struct snap a, b;
	long zeros = 0;

	REQUIRE(p != MAP_FAILED, "mmap");
	CHECK(read_nonzero(p, n * PG) == 0, "fresh memory reads zeros");
	snap(&a);
	CHECK(mmk_madvise(p, 2 * n * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT of zero pages and untouched ones");
	snap(&b);
	MOVED(a, b, out, 0, "paging out zero pages");
	MOVED(a, b, vmswap, 0, "paging out zero pages");
	MOVED(a, b, swapfree, 0, "paging out zero pages");
	for (long i = 0; i < n; i++)
		zeros += mmk_follow_pfn(p + i * PG) == (long)mmk_zero_pfn();
	CHECK(zeros == n, "the zero page stays mapped: %ld of %ld", zeros, n);
	CHECK(mmk_follow_pfn(p + n * PG) == -1, "the untouched part stays unmapped");
	CHECK(read_nonzero(p, 2 * n * PG) == 0, "still zeros");
	CHECK(mmk_munmap(p, 2 * n * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants");
}

static void without_swap(void)
{
	const long n = 256;
	struct snap a, b;
	unsigned char *p;

	REQUIRE(mmk_boot("mem=64M thp_anon=16K-2M:never") == 0, "boot without swap");
	CHECK(meminfo_field_kb("SwapTotal") == 0, "SwapTotal %ld kB", meminfo_field_kb("SwapTotal"));
	CHECK(swaps_count() == 0, "the swaps report lists nothing: %d", swaps_count());
	p = mmk_mmap(NULL, n * PG, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	fill(p, 0, n, 99);
	snap(&a);
	CHECK(mmk_madvise(p, n * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT without swap returns 0");
	CHECK(mmk_madvise(p, n * PG, MADV_COLD) == 0, "MADV_COLD without swap returns 0");
	snap(&b);
	MOVED(a, b, rss, 0, "MADV_PAGEOUT without swap");
	MOVED(a, b, out, 0, "MADV_PAGEOUT without swap");
	CHECK(mapped(p, n) == n, "every page still mapped");
	CHECK(damaged(p, 0, n, 99) == 0, "intact");
	CHECK(mmk_munmap(p, n * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
}

int main(void)
{
	const char *path = test_tmp_path("swapfile");
	char cmdline[1200];

	test_seed();
	snprintf(cmdline, sizeof(cmdline), "mem=64M swap=%s:64M thp_anon=16K-2M:never", path);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	pageout_and_back();
	nothing_to_page_out();
	mmk_shutdown();
	without_swap();
	harness_exit();
}
