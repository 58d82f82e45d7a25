// SPDX-License-Identifier: MIT
/*
 * RSS is exact: every way a process gains and loses anonymous frames moves
 * meminfo's AnonPages (and vmstat's nr_anon_pages, the same counter in
 * pages) by exactly the pages concerned, and the frames come from and go
 * back to the free pages one for one.
 *
 * Single pages (thp_anon=16K-2M:never):
 *   - N pages written: +N*4 kB, N frames taken (page tables aside);
 *   - MADV_DONTNEED (and MADV_FREE, freed at once here): the frames go back
 *     (free pages +N exactly), later reads see zeros through the zero page,
 *     and RSS does not move on those reads;
 *   - munmap: the same, page tables and the VMA's slab object accounted;
 *   - MAP_POPULATE, MADV_POPULATE_WRITE: frames behind every page, and no
 *     fault at all on later writes; MADV_POPULATE_READ and MAP_POPULATE of
 *     a read-only mapping: the zero page everywhere, no RSS, no fault on
 *     later reads. vmstat pgfault counts one per page populated, as
 *     Linux's does (its GUP goes through handle_mm_fault()), and nothing
 *     for the accesses after;
 *   - mlock populates (the same way) and Mlocked/nr_mlock count the
 *     locked frames, munlock gives Mlocked back but not the frames, munmap
 *     of locked memory gives both back; MAP_LOCKED the same in one call;
 *     pages faulted into a locked VMA later are counted in Mlocked as they
 *     come; mlock of a part locks exactly that part.
 * Large folios (default): one byte in a fresh 64 MiB mapping is +2048 kB,
 * MADV_NOHUGEPAGE makes it +4 kB, and unmapping half of a folio frees
 * exactly that half.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

/* The counters a test moves, in pages. */
struct snap {
	long anon_kb, nr_anon, free, pt, slab, faults, mlocked_kb, nr_mlock;
};

static void snap(struct snap *s)
{
	s->free = (long)settled_free_pages();
	s->anon_kb = meminfo_field_kb("AnonPages");
	s->nr_anon = vmstat_get("nr_anon_pages");
	s->pt = meminfo_field_kb("PageTables") / 4;
	s->slab = meminfo_field_kb("Slab") / 4;
	s->faults = vmstat_get("pgfault");
	s->mlocked_kb = meminfo_field_kb("Mlocked");
	s->nr_mlock = vmstat_get("nr_mlock");
}

/* AnonPages and nr_anon_pages both moved by @pages from @a. */
static void check_rss(const struct snap *a, long pages, const char *what)
{
	struct snap b;

	snap(&b);
	CHECK(b.anon_kb - a->anon_kb == pages * 4, "%s: AnonPages %+ld kB, expected %+ld kB", what,
	      b.anon_kb - a->anon_kb, pages * 4);
	CHECK(b.nr_anon - a->nr_anon == pages, "%s: nr_anon_pages %+ld, expected %+ld", what,
	      b.nr_anon - a->nr_anon, pages);
}

/* Frames taken between @a and now equal @pages plus the page tables and
 * slab pages that appeared: nothing else took or gave memory. */
static void check_frames(const struct snap *a, long pages, const char *what)
{
	struct snap b;
	long taken;

	snap(&b);
	taken = a->free - b.free;
	CHECK(taken == pages + (b.pt - a->pt) + (b.slab - a->slab),
	      "%s: %ld frames taken, expected %ld for pages + %ld page tables + %ld slab", what,
	      taken, pages, b.pt - a->pt, b.slab - a->slab);
}

/* pgfault moved by @n from @a. Linux counts one per page a system call
 * populates (GUP goes through handle_mm_fault()) and one per trap. */
static void check_faults(const struct snap *a, long n, const char *what)
{
	long f = vmstat_get("pgfault");

	CHECK(f - a->faults == n, "%s: pgfault %+ld, expected %+ld", what, f - a->faults, n);
}

/* No fault since @a: every access found its page mapped. */
static void check_no_faults(const struct snap *a, const char *what)
{
	check_faults(a, 0, what);
}


/* Every page of [p, p + n pages) has a frame of its own (no zero page). */
static int pages_with_frames(const unsigned char *p, long n)
{
	int good = 0;

	for (long i = 0; i < n; i++) {
		long pfn = mmk_follow_pfn(p + i * PAGE_SIZE);

		good += pfn >= 0 && pfn != (long)mmk_zero_pfn();
	}
	return good;
}

static int pages_zero(const unsigned char *p, long n)
{
	int good = 0;

	for (long i = 0; i < n; i++)
		good += mmk_follow_pfn(p + i * PAGE_SIZE) == (long)mmk_zero_pfn();
	return good;
}

/* ---- Writes, MADV_DONTNEED, MADV_FREE, munmap ------------------------------- */

static void write_and_drop(void)
{
	const long n = 1000, nw = 300;
	struct snap s0, s1, s2;
	unsigned char *p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON, -1, 0);

	REQUIRE(p != MAP_FAILED, "mmap");
	snap(&s0);
	for (long i = 0; i < nw; i++)
		p[(i * 3 + 1) * PAGE_SIZE + (size_t)i] = (unsigned char)(i | 1);
	check_rss(&s0, nw, "300 pages written");
	check_frames(&s0, nw, "300 pages written");
	CHECK(vmstat_get("pgfault") - s0.faults == nw, "one fault per page: %ld",
	      vmstat_get("pgfault") - s0.faults);
	/* Rewriting costs nothing. */
	snap(&s1);
	for (long i = 0; i < nw; i++)
		p[(i * 3 + 1) * PAGE_SIZE + 2000] = 7;
	check_rss(&s1, 0, "rewriting");
	check_no_faults(&s1, "rewriting");

	CHECK(mmk_madvise(p, (size_t)n * PAGE_SIZE, MADV_DONTNEED) == 0, "MADV_DONTNEED");
	check_rss(&s0, 0, "after MADV_DONTNEED");
	snap(&s2);
	CHECK(s2.free - s1.free == nw, "MADV_DONTNEED gave back exactly %ld frames: %ld", nw,
	      s2.free - s1.free);
	CHECK(s2.pt == s1.pt, "the page tables stay");
	for (long i = 0; i < n; i++)
		if (mmk_follow_pfn(p + i * PAGE_SIZE) != -1) {
			CHECK(false, "page %ld still mapped after MADV_DONTNEED", i);
			break;
		}
	CHECK(read_nonzero(p, (size_t)n * PAGE_SIZE) == 0, "after MADV_DONTNEED it reads zeros");
	CHECK(pages_zero(p, n) == n, "every page now maps the zero page");
	check_rss(&s0, 0, "reading after MADV_DONTNEED");
	check_frames(&s2, 0, "reading after MADV_DONTNEED");

	/* A part only, and MADV_FREE. */
	snap(&s0);
	memset(p, 0x11, 100 * PAGE_SIZE);
	check_rss(&s0, 100, "100 pages written");
	CHECK(mmk_madvise(p + 20 * PAGE_SIZE, 30 * PAGE_SIZE, MADV_DONTNEED) == 0, "DONTNEED 30");
	check_rss(&s0, 70, "30 of them dropped");
	CHECK(mmk_madvise(p + 60 * PAGE_SIZE, 10 * PAGE_SIZE, MADV_FREE) == 0, "MADV_FREE 10");
	check_rss(&s0, 60, "10 more freed");
	check_frames(&s0, 60, "after DONTNEED and FREE");
	for (long i = 0; i < 100; i++) {
		bool dropped = (i >= 20 && i < 50) || (i >= 60 && i < 70);
		const unsigned char *pg = p + i * PAGE_SIZE;

		if (dropped ? read_nonzero(pg, PAGE_SIZE) != 0 : (pg[0] != 0x11 || pg[4095] != 0x11)) {
			CHECK(false, "page %ld: %s", i, dropped ? "dropped but not zero" : "lost its data");
			break;
		}
	}

	/* munmap gives back frames, page tables, the VMA. */
	snap(&s1);
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap");
	check_rss(&s1, -60, "munmap");
	check_frames(&s1, -60, "munmap");
	check_rss(&s0, 0, "back to the baseline");
}

/* ---- Populating without faults -------------------------------------------- */

static void populate(void)
{
	const long n = 200;
	struct snap s0, s1;
	unsigned char *p;

	snap(&s0);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON | MAP_POPULATE, -1, 0);
	REQUIRE(p != MAP_FAILED, "MAP_POPULATE");
	check_faults(&s0, n, "MAP_POPULATE (one per page populated)");
	check_rss(&s0, n, "MAP_POPULATE");
	check_frames(&s0, n, "MAP_POPULATE");
	CHECK(pages_with_frames(p, n) == n, "every page has a frame");
	snap(&s1);
	memset(p, 0x5a, (size_t)n * PAGE_SIZE);
	check_no_faults(&s1, "writing populated memory");
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap");
	check_rss(&s0, 0, "munmap");

	snap(&s0);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, PROT_READ, ANON | MAP_POPULATE, -1, 0);
	REQUIRE(p != MAP_FAILED, "MAP_POPULATE, read-only");
	check_faults(&s0, n, "MAP_POPULATE read-only");
	check_rss(&s0, 0, "MAP_POPULATE read-only");
	CHECK(pages_zero(p, n) == n, "a read-only populated mapping is the zero page everywhere");
	snap(&s1);
	CHECK(read_nonzero(p, (size_t)n * PAGE_SIZE) == 0, "and reads zeros");
	check_no_faults(&s1, "reading it");
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap");

	snap(&s0);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	CHECK(mmk_madvise(p, (size_t)n / 2 * PAGE_SIZE, MADV_POPULATE_READ) == 0, "POPULATE_READ");
	check_faults(&s0, n / 2, "MADV_POPULATE_READ");
	check_rss(&s0, 0, "MADV_POPULATE_READ");
	CHECK(pages_zero(p, n / 2) == n / 2, "POPULATE_READ maps the zero page");
	CHECK(mmk_follow_pfn(p + n / 2 * PAGE_SIZE) == -1, "and only in its range");
	snap(&s1);
	CHECK(read_nonzero(p, (size_t)n / 2 * PAGE_SIZE) == 0, "reads: zeros");
	check_no_faults(&s1, "reading populated zero pages");

	CHECK(mmk_madvise(p + 50 * PAGE_SIZE, 100 * PAGE_SIZE, MADV_POPULATE_WRITE) == 0,
	      "POPULATE_WRITE over zero pages and fresh ones");
	check_faults(&s1, 100, "MADV_POPULATE_WRITE");
	check_rss(&s0, 100, "MADV_POPULATE_WRITE");
	CHECK(pages_with_frames(p + 50 * PAGE_SIZE, 100) == 100, "frames there");
	CHECK(pages_zero(p, 50) == 50, "zero pages before it");
	CHECK(mmk_follow_pfn(p + 150 * PAGE_SIZE) == -1, "nothing after it");
	snap(&s1);
	memset(p + 50 * PAGE_SIZE, 1, 100 * PAGE_SIZE);
	check_no_faults(&s1, "writing the populated range");
	/* Populating what is populated changes nothing; only the 50 pages
	 * never touched are faulted in (as the zero page). */
	CHECK(mmk_madvise(p, (size_t)n * PAGE_SIZE, MADV_POPULATE_READ) == 0, "POPULATE_READ all");
	check_faults(&s1, 50, "POPULATE_READ over a populated range");
	check_rss(&s0, 100, "POPULATE_READ over frames");
	CHECK(pages_zero(p + 150 * PAGE_SIZE, 50) == 50, "the last 50 pages: the zero page");
	CHECK(p[50 * PAGE_SIZE] == 1 && p[150 * PAGE_SIZE - 1] == 1, "data kept");
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap");
	check_rss(&s0, 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after populating");
}

/* ---- mlock ---------------------------------------------------------------- */

static void check_mlocked(const struct snap *a, long pages, const char *what)
{
	struct snap b;

	snap(&b);
	CHECK(b.mlocked_kb - a->mlocked_kb == pages * 4, "%s: Mlocked %+ld kB, expected %+ld kB",
	      what, b.mlocked_kb - a->mlocked_kb, pages * 4);
	CHECK(b.nr_mlock - a->nr_mlock == pages, "%s: nr_mlock %+ld, expected %+ld", what,
	      b.nr_mlock - a->nr_mlock, pages);
}

static void mlocking(void)
{
	const long n = 128;
	struct snap s0, s1;
	unsigned char *p;

	snap(&s0);
	CHECK(s0.mlocked_kb == 0, "nothing mlocked at first: %ld kB", s0.mlocked_kb);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	p[5 * PAGE_SIZE] = 5;		/* one page there already */
	snap(&s0);
	CHECK(mmk_mlock(p, (size_t)n * PAGE_SIZE) == 0, "mlock");
	check_faults(&s0, n - 1, "mlock (one per page it populated)");
	check_rss(&s0, n - 1, "mlock populates the rest");
	check_mlocked(&s0, n, "mlock");
	CHECK(pages_with_frames(p, n) == n, "every locked page has a frame");
	CHECK(p[5 * PAGE_SIZE] == 5, "the page written before keeps its byte");
	snap(&s1);
	memset(p, 3, (size_t)n * PAGE_SIZE);
	check_no_faults(&s1, "writing locked memory");
	CHECK(mmk_munlock(p, (size_t)n * PAGE_SIZE) == 0, "munlock");
	check_mlocked(&s0, 0, "munlock");
	check_rss(&s0, n - 1, "munlock keeps the frames");
	CHECK(p[0] == 3 && p[n * PAGE_SIZE - 1] == 3, "and the data");
	CHECK(mmk_mlock(p + 10 * PAGE_SIZE, 20 * PAGE_SIZE - 1) == 0, "mlock a part (len rounds up)");
	check_mlocked(&s0, 20, "mlock of 20 pages");
	CHECK(mmk_madvise(p + 40 * PAGE_SIZE, 10 * PAGE_SIZE, MADV_DONTNEED) == 0,
	      "DONTNEED outside the locked part");
	check_rss(&s0, n - 11, "DONTNEED of 10 unlocked pages");
	snap(&s0);
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap locked memory");
	check_mlocked(&s0, -20, "munmap");
	check_rss(&s0, -(n - 10), "munmap");

	/* MAP_LOCKED: populated and locked in one call. */
	snap(&s0);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON | MAP_LOCKED, -1, 0);
	REQUIRE(p != MAP_FAILED, "MAP_LOCKED");
	check_faults(&s0, n, "MAP_LOCKED");
	snap(&s1);
	memset(p, 4, (size_t)n * PAGE_SIZE);
	check_no_faults(&s1, "writing MAP_LOCKED memory");
	check_rss(&s0, n, "MAP_LOCKED");
	check_mlocked(&s0, n, "MAP_LOCKED");
	check_frames(&s0, n, "MAP_LOCKED");
	CHECK(mmk_munmap(p + 32 * PAGE_SIZE, 32 * PAGE_SIZE) == 0, "munmap a quarter");
	check_mlocked(&s0, n - 32, "a quarter unmapped");
	check_rss(&s0, n - 32, "a quarter unmapped");
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap the rest");
	check_mlocked(&s0, 0, "all unmapped");
	check_rss(&s0, 0, "all unmapped");

	/* Locked read-only memory holds zero pages; pages written after
	 * mprotect are locked as they are faulted in. */
	snap(&s0);
	p = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, PROT_READ, ANON | MAP_LOCKED, -1, 0);
	REQUIRE(p != MAP_FAILED, "MAP_LOCKED read-only");
	check_rss(&s0, 0, "locked read-only");
	check_mlocked(&s0, 0, "locked read-only: zero pages are not counted");
	CHECK(pages_zero(p, n) == n, "locked read-only memory maps the zero page");
	CHECK(mmk_mprotect(p, (size_t)n * PAGE_SIZE, RW) == 0, "mprotect RW");
	for (long i = 0; i < 10; i++)
		p[i * 7 * PAGE_SIZE] = 1;
	check_rss(&s0, 10, "10 writes into a locked VMA");
	check_mlocked(&s0, 10, "10 writes into a locked VMA");
	CHECK(mmk_munmap(p, (size_t)n * PAGE_SIZE) == 0, "munmap");
	check_mlocked(&s0, 0, "munmap");
	check_rss(&s0, 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after mlock");
}

/* ---- Large folios ---------------------------------------------------------- */

static void folios(void)
{
	struct snap s0;
	unsigned char *p, *q;

	snap(&s0);
	p = mmk_mmap(NULL, 64UL << 20, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap 64 MiB");
	check_rss(&s0, 0, "mmap 64 MiB");
	p[0] = 1;
	check_rss(&s0, 512, "one byte in a fresh 64 MiB mapping maps 2 MiB");
	check_frames(&s0, 512, "one 2 MiB folio");
	CHECK(mmk_munmap(p + (512 << 10), 1UL << 20) == 0, "munmap the folio's middle 1 MiB");
	check_rss(&s0, 256, "half a folio unmapped");
	CHECK(p[0] == 1, "the rest of the folio keeps its data");
	CHECK(mmk_madvise(p, PAGE_SIZE, MADV_DONTNEED) == 0, "DONTNEED one page of it");
	check_rss(&s0, 255, "one page of a folio dropped");

	q = mmk_mmap(NULL, 64UL << 20, RW, ANON, -1, 0);
	REQUIRE(q != MAP_FAILED, "mmap 64 MiB");
	CHECK(mmk_madvise(q, 64UL << 20, MADV_NOHUGEPAGE) == 0, "MADV_NOHUGEPAGE");
	snap(&s0);
	q[3 << 20] = 1;
	check_rss(&s0, 1, "with MADV_NOHUGEPAGE one byte maps one page");
	CHECK(mmk_munmap(q, 64UL << 20) == 0 && mmk_munmap(p, 64UL << 20) == 0, "munmap");
	check_rss(&s0, -255, "all unmapped");
	CHECK(mmk_check(stderr) == 0, "invariants after folios");
}

int main(void)
{
	long base;

	REQUIRE(mmk_boot("mem=256M thp_anon=16K-2M:never") == 0, "boot, single pages");
	base = meminfo_field_kb("AnonPages");
	CHECK(base == 0, "no anonymous memory at boot: %ld kB", base);
	write_and_drop();
	populate();
	mlocking();
	CHECK(meminfo_field_kb("AnonPages") == base, "AnonPages back to %ld kB: %ld", base,
	      meminfo_field_kb("AnonPages"));
	CHECK(meminfo_field_kb("Mlocked") == 0, "Mlocked back to 0: %ld", meminfo_field_kb("Mlocked"));
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();

	REQUIRE(mmk_boot("mem=256M") == 0, "boot with large folios");
	folios();
	CHECK(meminfo_field_kb("AnonPages") == 0, "AnonPages back to 0: %ld",
	      meminfo_field_kb("AnonPages"));
	mmk_shutdown();
	harness_exit();
}
