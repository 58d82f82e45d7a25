// SPDX-License-Identifier: MIT
/*
 * The user address space's invariant checker (mmk_check()'s "mm" part).
 *
 * Clean states: mmk_check() finds nothing after each phase of a varied
 * life of the simulated process, with single pages (thp_anon=...:never)
 * and with large folios (the default):
 *   - mappings of several sizes and permissions, read (zero pages) and
 *     written (frames, folios);
 *   - mprotect splitting VMAs (PROT_READ, PROT_NONE) and merging them back;
 *   - partial munmap (head, middle, tail, across folios), MADV_DONTNEED,
 *     MADV_POPULATE_READ/WRITE, MADV_HUGEPAGE/NOHUGEPAGE;
 *   - mlock/munlock, MAP_LOCKED, MAP_POPULATE, MAP_NORESERVE;
 *   - sbrk up and down, MAP_FIXED over existing mappings;
 *   - a seeded random walk of all of these over a 4 MiB window, checked
 *     after every step against a shadow of each page's permissions and
 *     data (MMK_TEST_SEED reproduces a run).
 *
 * Corrupted states, each reported with its own words:
 *   - a byte written into the zero page through the direct map: "the zero
 *     page is not all zeros" (then put back: clean again);
 *   - an extra reference on a mapped frame (get_page): "not an allocated
 *     order-0 page with one reference" (put_page: clean again);
 *   - in a child process, whose host mappings are its own (the RAM is
 *     shared, so nothing there is written), the host mirror made more
 *     permissive than the page tables with the host's own calls: a
 *     read-only page made writable ("the host allows writes"), anonymous
 *     writable memory over a page with no PTE ("is writable", "the host
 *     reads zeros"), a foreign file mapped in the user range ("neither RAM
 *     nor anonymous"), and a frame moved to another page with mremap ("the
 *     host maps frame X where the PTE names Y").
 *
 * With a swap file (swap=, single pages), the same clean states, then
 * swap's own: pages paged out (MADV_PAGEOUT: swap PTEs, VmSwap), read
 * back (mapped and in the swap cache), written again (out of it), made
 * PROT_NONE and back over swap PTEs, paged out again, partly unmapped,
 * every byte checked. And swap's corrupted states: an extra reference on
 * a mapped swap cache page ("with one reference", refcount 2); in a
 * child, a frame moved over a swap PTE ("is a swap entry") and host
 * access given back to a page MADV_COLD made old ("is not young"). The
 * swap counts, the swap cache and the LRU lists cannot be corrupted
 * through the public API, so their checks (swapfile.c, vmscan.c) are only
 * shown to pass on clean states here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG	((size_t)PAGE_SIZE)

static const char *mode;

/* mmk_check() with the report collected: the number of problems. */
static long check_quiet(const char **report)
{
	long n;

	capture_start();
	n = mmk_check(stderr);
	*report = capture_end();
	return n;
}

static void expect_clean(const char *what)
{
	const char *report;
	long n = check_quiet(&report);

	CHECK(n == 0, "%s: %s: mmk_check found %ld problems:\n%s", mode, what, n, report);
}

static void touch_read(const unsigned char *p, size_t len, size_t step)
{
	const volatile unsigned char *b = p;
	unsigned long sum = 0;

	for (size_t i = 0; i < len; i += step)
		sum += b[i];
	CHECK(sum == 0, "%s: fresh memory reads zeros", mode);
}

static void touch_write(unsigned char *p, size_t len, size_t step, unsigned char v)
{
	for (size_t i = 0; i < len; i += step)
		p[i] = v;
}

/* ---- Clean states ---------------------------------------------------------- */

static void scenarios(void)
{
	const size_t big = 64UL << 20, mid = 1UL << 20;
	unsigned char *a, *b, *ro, *none, *lk, *pop, *nores, *fx, *brk0, *brk;
	long anon_kb;

	expect_clean("fresh boot");

	a = mmk_mmap(NULL, big, RW, ANON, -1, 0);
	b = mmk_mmap(NULL, mid + 5 * PG, RW, ANON, -1, 0);
	ro = mmk_mmap(NULL, 3 * PG, PROT_READ, ANON, -1, 0);
	none = mmk_mmap(NULL, 5 * PG, PROT_NONE, ANON, -1, 0);
	REQUIRE(a != MAP_FAILED && b != MAP_FAILED && ro != MAP_FAILED && none != MAP_FAILED,
		"%s: the mappings", mode);
	expect_clean("mappings, nothing touched");

	touch_read(a, big / 2, 3 * PG + 17);
	touch_read(b, mid + 5 * PG, PG);
	touch_read(ro, 3 * PG, PG);
	expect_clean("after reads (zero pages)");

	touch_write(a, big, 7 * PG, 0x11);
	touch_write(b + 3 * PG, mid, 1, 0x22);
	expect_clean("after writes (frames and folios)");

	/* mprotect splits and merges back. */
	CHECK(mmk_mprotect(b + 16 * PG, 32 * PG, PROT_READ) == 0, "%s: mprotect R", mode);
	expect_clean("mprotect PROT_READ in the middle");
	CHECK(mmk_mprotect(a + 5 * PG, 600 * PG, PROT_NONE) == 0, "%s: mprotect NONE", mode);
	expect_clean("mprotect PROT_NONE across folios");
	CHECK(mmk_mprotect(b + 16 * PG, 32 * PG, RW) == 0, "%s: mprotect back", mode);
	CHECK(mmk_mprotect(a + 5 * PG, 600 * PG, RW) == 0, "%s: mprotect back", mode);
	CHECK(b[20 * PG + 1] == 0x22 && a[7 * PG] == 0x11, "%s: data kept", mode);
	b[20 * PG + 1] = 0x33;
	expect_clean("mprotect back to RW (merged)");

	/* Partial munmap: head, middle across folio boundaries, tail. */
	CHECK(mmk_munmap(a, 3 * PG) == 0, "%s: munmap head", mode);
	CHECK(mmk_munmap(a + (2UL << 20) - 37 * PG, 511 * PG) == 0, "%s: munmap middle", mode);
	CHECK(mmk_munmap(a + big - 9 * PG, 9 * PG) == 0, "%s: munmap tail", mode);
	CHECK(mmk_munmap(b + mid, 5 * PG) == 0, "%s: munmap b's tail", mode);
	expect_clean("partial munmaps");

	/* madvise. */
	CHECK(mmk_madvise(a + (8UL << 20) + 3 * PG, 700 * PG, MADV_DONTNEED) == 0,
	      "%s: DONTNEED", mode);
	expect_clean("MADV_DONTNEED");
	CHECK(mmk_madvise(a + (16UL << 20), 300 * PG, MADV_POPULATE_READ) == 0,
	      "%s: POPULATE_READ", mode);
	CHECK(mmk_madvise(a + (16UL << 20) + 100 * PG, 100 * PG, MADV_POPULATE_WRITE) == 0,
	      "%s: POPULATE_WRITE", mode);
	expect_clean("MADV_POPULATE_READ/WRITE");
	CHECK(mmk_madvise(a + (20UL << 20), 4UL << 20, MADV_NOHUGEPAGE) == 0, "%s: NOHUGEPAGE", mode);
	CHECK(mmk_madvise(a + (30UL << 20), 2UL << 20, MADV_HUGEPAGE) == 0, "%s: HUGEPAGE", mode);
	touch_write(a + (20UL << 20), 4UL << 20, 5 * PG, 0x44);
	expect_clean("MADV_HUGEPAGE/NOHUGEPAGE splits");
	CHECK(mmk_madvise(a + (20UL << 20), 4UL << 20, MADV_HUGEPAGE) == 0, "%s: HUGEPAGE", mode);
	CHECK(mmk_madvise(a + (20UL << 20), 14UL << 20, MADV_NORMAL) == 0, "%s: NORMAL", mode);
	expect_clean("MADV_HUGEPAGE again");

	/* mlock, MAP_LOCKED, MAP_POPULATE, MAP_NORESERVE. */
	CHECK(mmk_mlock(a + (40UL << 20) + 5 * PG, 300 * PG) == 0, "%s: mlock", mode);
	CHECK(mmk_mlock(ro, 3 * PG) == 0, "%s: mlock read-only", mode);
	expect_clean("mlock");
	CHECK(mmk_munlock(a + (40UL << 20) + 105 * PG, 50 * PG) == 0, "%s: munlock", mode);
	expect_clean("munlock of a part");
	lk = mmk_mmap(NULL, 40 * PG, RW, ANON | MAP_LOCKED, -1, 0);
	pop = mmk_mmap(NULL, 40 * PG, RW, ANON | MAP_POPULATE, -1, 0);
	nores = mmk_mmap(NULL, 40 * PG, RW, ANON | MAP_NORESERVE, -1, 0);
	REQUIRE(lk != MAP_FAILED && pop != MAP_FAILED && nores != MAP_FAILED, "%s: mappings", mode);
	touch_write(nores, 40 * PG, 3 * PG, 0x55);
	expect_clean("MAP_LOCKED, MAP_POPULATE, MAP_NORESERVE");
	CHECK(mmk_mprotect(lk + 10 * PG, 10 * PG, PROT_NONE) == 0, "%s: mprotect locked", mode);
	expect_clean("a locked range made PROT_NONE");

	/* sbrk up and down. */
	brk0 = mmk_sbrk(0);
	REQUIRE(brk0 != (void *)-1, "%s: sbrk(0)", mode);
	CHECK(mmk_sbrk(3 * (intptr_t)PG + 100) == brk0, "%s: sbrk up", mode);
	touch_write(brk0, 3 * PG + 100, 50, 0x66);
	CHECK(mmk_sbrk(200 * (intptr_t)PG) != (void *)-1, "%s: sbrk up more", mode);
	touch_write(brk0 + 3 * PG, 200 * PG, PG, 0x67);
	expect_clean("sbrk up");
	CHECK(mmk_sbrk(-150 * (intptr_t)PG) != (void *)-1, "%s: sbrk down", mode);
	expect_clean("sbrk down");
	brk = mmk_sbrk(0);
	CHECK(mmk_sbrk(-(intptr_t)(brk - brk0)) == brk, "%s: sbrk to start", mode);
	expect_clean("sbrk back to the start");

	/* MAP_FIXED over existing mappings (frames, zero pages, a hole). */
	fx = mmk_mmap(a + (40UL << 20) - 20 * PG, 60 * PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
	CHECK(fx == a + (40UL << 20) - 20 * PG, "%s: MAP_FIXED over a locked part", mode);
	fx = mmk_mmap(a + (2UL << 20) - 40 * PG, 600 * PG, RW, ANON | MAP_FIXED | MAP_POPULATE,
		      -1, 0);
	CHECK(fx == a + (2UL << 20) - 40 * PG, "%s: MAP_FIXED over a hole", mode);
	expect_clean("MAP_FIXED");

	/* Everything goes; nothing may remain. */
	CHECK(mmk_munmap(a, big) == 0 && mmk_munmap(b, mid + 5 * PG) == 0 &&
	      mmk_munmap(ro, 3 * PG) == 0 && mmk_munmap(none, 5 * PG) == 0 &&
	      mmk_munmap(lk, 40 * PG) == 0 && mmk_munmap(pop, 40 * PG) == 0 &&
	      mmk_munmap(nores, 40 * PG) == 0, "%s: munmap all", mode);
	expect_clean("all unmapped");
	anon_kb = meminfo_field_kb("AnonPages");
	CHECK(anon_kb == 0, "%s: AnonPages %ld kB at the end", mode, anon_kb);
}

/* ---- A random walk, checked at every step ---------------------------------------- */

#define WIN_PAGES	1024	/* 4 MiB: room for 2 MiB folios */

struct shadow {
	signed char prot[WIN_PAGES];	/* -1: unmapped */
	bool locked[WIN_PAGES];
	unsigned char val[WIN_PAGES];	/* the byte at offset 0 */
};

static bool all_mapped(const struct shadow *s, long a, long n)
{
	for (long i = a; i < a + n; i++)
		if (s->prot[i] < 0)
			return false;
	return true;
}

static bool any(const struct shadow *s, long a, long n, int what)
{
	for (long i = a; i < a + n; i++)
		if ((what == 0 && s->locked[i]) || (what == 1 && s->prot[i] == PROT_NONE) ||
		    (what == 2 && s->prot[i] >= 0 && !(s->prot[i] & PROT_WRITE)))
			return true;
	return false;
}

static void verify_data(const struct shadow *s, unsigned char *w, long step)
{
	long bad = 0;

	for (long i = 0; i < WIN_PAGES; i++)
		if (s->prot[i] > 0 && ((volatile unsigned char *)w)[i * PG] != s->val[i])
			bad++;
	CHECK(bad == 0, "%s: step %ld: %ld pages lost their data", mode, step, bad);
}

static void random_walk(void)
{
	static const int prots[3] = { PROT_NONE, PROT_READ, RW };
	static struct shadow s;
	unsigned char *w = mmk_mmap(NULL, WIN_PAGES * PG, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
	long steps = (long)test_scaled(400);
	long bad_steps = 0;

	REQUIRE(w != MAP_FAILED && mmk_munmap(w, WIN_PAGES * PG) == 0, "%s: the window", mode);
	memset(s.prot, -1, sizeof(s.prot));
	memset(s.locked, 0, sizeof(s.locked));
	memset(s.val, 0, sizeof(s.val));

	for (long step = 0; step < steps; step++) {
		long n = test_rand() % 4 ? 1 + (long)(test_rand() % 64) : 1 + (long)(test_rand() % 600);
		long a = (long)(test_rand() % (unsigned long long)(WIN_PAGES - n + 1));
		unsigned char *p = w + a * PG;
		int op = (int)(test_rand() % 10), prot = prots[test_rand() % 3];
		const char *report;
		long problems;

		switch (op) {
		case 0: case 1: {	/* mmap MAP_FIXED */
			int flags = ANON | MAP_FIXED;
			bool lock = test_rand() % 5 == 0;

			if (test_rand() % 4 == 0)
				flags |= MAP_POPULATE;
			if (lock)
				flags |= MAP_LOCKED;
			if (test_rand() % 4 == 0)
				flags |= MAP_NORESERVE;
			CHECK(mmk_mmap(p, n * PG, prot, flags, -1, 0) == p, "%s: step %ld: mmap", mode,
			      step);
			for (long i = a; i < a + n; i++) {
				s.prot[i] = (signed char)prot;
				s.locked[i] = lock;
				s.val[i] = 0;
			}
			break;
		}
		case 2:			/* munmap */
			CHECK(mmk_munmap(p, n * PG) == 0, "%s: step %ld: munmap", mode, step);
			for (long i = a; i < a + n; i++) {
				s.prot[i] = -1;
				s.locked[i] = false;
			}
			break;
		case 3:			/* mprotect a mapped range */
			if (!all_mapped(&s, a, n))
				break;
			CHECK(mmk_mprotect(p, n * PG, prot) == 0, "%s: step %ld: mprotect", mode, step);
			for (long i = a; i < a + n; i++)
				s.prot[i] = (signed char)prot;
			break;
		case 4: case 5:		/* write some writable pages */
			for (long i = a; i < a + n; i++)
				if (s.prot[i] == RW && test_rand() % 2) {
					s.val[i] = (unsigned char)(1 + test_rand() % 255);
					p[(i - a) * PG] = s.val[i];
					p[(i - a) * PG + 1 + i % (PG - 1)] = s.val[i];
				}
			break;
		case 6:			/* MADV_DONTNEED of unlocked memory */
			if (any(&s, a, n, 0))
				break;
			CHECK(mmk_madvise(p, n * PG, MADV_DONTNEED) == (all_mapped(&s, a, n) ? 0 : -1),
			      "%s: step %ld: DONTNEED", mode, step);
			for (long i = a; i < a + n; i++)
				s.val[i] = 0;
			break;
		case 7:			/* populate what allows it */
			if (any(&s, a, n, 1) || !all_mapped(&s, a, n))
				break;
			if (!any(&s, a, n, 2) && test_rand() % 2)
				CHECK(mmk_madvise(p, n * PG, MADV_POPULATE_WRITE) == 0,
				      "%s: step %ld: POPULATE_WRITE", mode, step);
			else
				CHECK(mmk_madvise(p, n * PG, MADV_POPULATE_READ) == 0,
				      "%s: step %ld: POPULATE_READ", mode, step);
			break;
		case 8:			/* mlock / munlock a mapped range */
			if (!all_mapped(&s, a, n))
				break;
			if (test_rand() % 2) {
				CHECK(mmk_munlock(p, n * PG) == 0, "%s: step %ld: munlock", mode, step);
				memset(&s.locked[a], 0, (size_t)n);
			} else if (!any(&s, a, n, 1)) {
				CHECK(mmk_mlock(p, n * PG) == 0, "%s: step %ld: mlock", mode, step);
				memset(&s.locked[a], 1, (size_t)n);
			}
			break;
		case 9:			/* THP advice on a mapped range */
			if (!all_mapped(&s, a, n))
				break;
			CHECK(mmk_madvise(p, n * PG, test_rand() % 2 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) == 0,
			      "%s: step %ld: THP advice", mode, step);
			break;
		}
		problems = check_quiet(&report);
		if (problems && bad_steps++ < 3)
			CHECK(problems == 0, "%s: step %ld (op %d, pages %ld+%ld, prot %d): %ld problems:\n%s",
			      mode, step, op, a, n, prot, problems, report);
		if (step % 16 == 15)
			verify_data(&s, w, step);
	}
	CHECK(bad_steps == 0, "%s: %ld of %ld steps left problems", mode, bad_steps, steps);
	verify_data(&s, w, steps);
	CHECK(mmk_munmap(w, WIN_PAGES * PG) == 0, "%s: munmap the window", mode);
	expect_clean("after the random walk");
}

/* ---- Corrupted states -------------------------------------------------------------- */

static void zero_page_dirtied(void)
{
	unsigned char *z = page_address(pfn_to_page(mmk_zero_pfn()));
	unsigned char *p = mmk_mmap(NULL, 16 * PG, PROT_READ, ANON, -1, 0);
	const char *report;
	long n;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	touch_read(p, 16 * PG, PG);
	z[1234] = 0x5a;
	n = check_quiet(&report);
	z[1234] = 0;
	CHECK(n >= 1 && strstr(report, "mmk_check: mm: the zero page is not all zeros"),
	      "%s: a dirty zero page is reported (%ld problems):\n%s", mode, n, report);
	expect_clean("the zero page cleaned again");
	CHECK(mmk_munmap(p, 16 * PG) == 0, "%s: munmap", mode);
}

static void extra_reference(void)
{
	unsigned char *p = mmk_mmap(NULL, 4 * PG, RW, ANON, -1, 0);
	struct page *page;
	const char *report;
	char want[128];
	long n, pfn;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	p[PG] = 1;
	pfn = mmk_follow_pfn(p + PG);
	REQUIRE(pfn >= 0 && pfn != (long)mmk_zero_pfn(), "%s: a frame", mode);
	page = pfn_to_page((unsigned long)pfn);
	get_page(page);
	n = check_quiet(&report);
	put_page(page);
	snprintf(want, sizeof(want), "frame %#lx is not an allocated order-0 page with one reference",
		 pfn);
	CHECK(n == 1 && strstr(report, want) && strstr(report, "refcount 2"),
	      "%s: an extra reference is reported once (%ld problems):\n%s", mode, n, report);
	expect_clean("the reference dropped");
	CHECK(mmk_munmap(p, 4 * PG) == 0, "%s: munmap", mode);
}

/*
 * Host-mirror corruption, in a child: the host calls change the child's
 * mappings only. The child prints its report and exits.
 */
struct mirror_case {
	int kind;
	unsigned char *p;	/* 4 pages: frame, frame, no PTE, frame */
};

static void mirror_child(void *arg)
{
	struct mirror_case *mc = arg;
	unsigned char *p = mc->p;
	int fd;
	long n;

	switch (mc->kind) {
	case 0:		/* a read-only frame made writable in the host */
		if (mprotect(p, PG, PROT_READ | PROT_WRITE))
			_exit(2);
		break;
	case 1:		/* writable host memory where there is no PTE */
		if (mmap(p + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) == MAP_FAILED)
			_exit(2);
		break;
	case 2:		/* a file of its own in the user range */
		fd = memfd_create("not-mmkit", 0);
		if (fd < 0 || ftruncate(fd, (off_t)PG) ||
		    mmap(p + 2 * PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
			_exit(2);
		break;
	case 3:		/* page 1's frame moved over page 3 */
		if (mremap(p + PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 3 * PG) == MAP_FAILED)
			_exit(2);
		break;
	}
	n = mmk_check(stderr);
	fprintf(stderr, "child: %ld problems\n", n);
	_exit(n > 0 ? 0 : 1);
}

static void mirror_corrupted(void)
{
	static const char *const want[4][2] = {
		{ "mmk_check: mm: the host allows writes where the PTE", NULL },
		{ "is writable at", "the host reads zeros" },
		{ "neither RAM nor anonymous memory", NULL },
		{ NULL, NULL },		/* built from the pfns below */
	};
	unsigned char *p = mmk_mmap(NULL, 4 * PG, RW, ANON | MAP_NORESERVE, -1, 0);
	struct mirror_case mc = { .p = p };
	char moved[160];
	long pfn1, pfn3;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	REQUIRE(mmk_madvise(p, 4 * PG, MADV_NOHUGEPAGE) == 0, "%s: single pages", mode);
	p[0] = 1;
	p[PG] = 2;
	p[3 * PG] = 3;
	REQUIRE(mmk_mprotect(p, PG, PROT_READ) == 0, "%s: mprotect", mode);
	pfn1 = mmk_follow_pfn(p + PG);
	pfn3 = mmk_follow_pfn(p + 3 * PG);
	REQUIRE(pfn1 >= 0 && pfn3 >= 0 && mmk_follow_pfn(p + 2 * PG) == -1, "%s: the pages", mode);
	snprintf(moved, sizeof(moved), "the host maps frame %#lx where the PTE names %#lx at %#lx",
		 pfn1, pfn3, (unsigned long)(p + 3 * PG));
	expect_clean("before the host's changes");

	for (mc.kind = 0; mc.kind < 4; mc.kind++) {
		const char *out, *w0 = mc.kind == 3 ? moved : want[mc.kind][0];
		int status = run_in_child(mirror_child, &mc, &out);

		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s: host change %d is reported (status %#x):\n%s", mode, mc.kind, status, out);
		CHECK(strstr(out, w0) && (!want[mc.kind][1] || strstr(out, want[mc.kind][1])),
		      "%s: host change %d: the report names it:\n%s", mode, mc.kind, out);
	}
	expect_clean("the parent's mirror untouched");
	CHECK(p[0] == 1 && p[PG] == 2 && p[3 * PG] == 3, "%s: data intact", mode);
	CHECK(mmk_munmap(p, 4 * PG) == 0, "%s: munmap", mode);
}

/* ---- Swap ------------------------------------------------------------------------- */

/* self/status's VmSwap in kB, -1 if unreadable. */
static long vmswap_kb(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *line;
	long kb = -1;
	int err;

	if (!f)
		return -1;
	err = mmk_report("self/status", f);
	fclose(f);
	line = text ? strstr(text, "\nVmSwap:\t") : NULL;
	if (!err && line)
		kb = strtol(line + 9, NULL, 10);
	free(text);
	return kb;
}

#define SW_PAGES	64

static void swap_scenarios(void)
{
	unsigned char *p = mmk_mmap(NULL, SW_PAGES * PG, RW, ANON, -1, 0);
	size_t bad;
	long kb;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	obj_fill(p, SW_PAGES * PG, 61);
	expect_clean("swap: pages written");

	CHECK(mmk_madvise(p, SW_PAGES * PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT", mode);
	kb = vmswap_kb();
	CHECK(kb == SW_PAGES * 4, "%s: VmSwap %ld kB after paging out %d pages", mode, kb,
	      SW_PAGES);
	for (int i = 0; i < SW_PAGES; i++)
		CHECK(mmk_follow_pfn(p + i * PG) == -1, "%s: page %d is paged out", mode, i);
	expect_clean("swap: every page paged out (swap PTEs)");

	/* Read half back: mapped, and still in the swap cache. */
	bad = 0;
	for (int i = 0; i < SW_PAGES; i += 2)
		bad += obj_check(p + i * PG, PG, 61) != 0;
	CHECK(bad == 0, "%s: %zu pages read back wrong", mode, bad);
	expect_clean("swap: half read back (mapped swap cache pages)");

	/* Write a quarter: they leave the swap cache. */
	for (int i = 0; i < SW_PAGES; i += 4) {
		volatile unsigned char *b = p + i * PG + 5;

		*b = *b;	/* the same byte: the pattern stays */
	}
	expect_clean("swap: a quarter written again");

	/* PROT_NONE over swap PTEs and mapped pages, then back. */
	CHECK(mmk_mprotect(p + 8 * PG, 16 * PG, PROT_NONE) == 0, "%s: mprotect NONE", mode);
	expect_clean("swap: PROT_NONE over swap PTEs");
	CHECK(mmk_mprotect(p + 8 * PG, 16 * PG, RW) == 0, "%s: mprotect back", mode);
	expect_clean("swap: RW again (merged)");

	/* Out again: the clean swap cache pages need no write. */
	CHECK(mmk_madvise(p, SW_PAGES * PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT again", mode);
	expect_clean("swap: paged out again");

	/* munmap of swap PTEs frees their slots. */
	CHECK(mmk_munmap(p + 20 * PG, 10 * PG) == 0, "%s: munmap the middle", mode);
	expect_clean("swap: munmap over swap PTEs");
	kb = vmswap_kb();
	CHECK(kb >= 0 && kb <= (SW_PAGES - 10) * 4, "%s: VmSwap %ld kB after the munmap", mode, kb);
	CHECK(obj_check(p, 20 * PG, 61) == 0 && obj_check(p + 30 * PG, 34 * PG, 61) == 0,
	      "%s: every byte back from swap", mode);
	expect_clean("swap: everything read back");

	CHECK(mmk_munmap(p, SW_PAGES * PG) == 0, "%s: munmap all", mode);
	expect_clean("swap: all unmapped");
	CHECK(vmswap_kb() == 0, "%s: VmSwap 0 at the end", mode);
}

/* A mapped swap cache page holds one reference, as any mapped page (the
 * swap cache takes none of its own): one more is reported. */
static void swapcache_extra_reference(void)
{
	unsigned char *p = mmk_mmap(NULL, 4 * PG, RW, ANON, -1, 0);
	struct page *page;
	const char *report;
	char want[160];
	long n, pfn;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	p[PG] = 7;
	CHECK(mmk_madvise(p, 4 * PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT", mode);
	CHECK(mmk_follow_pfn(p + PG) == -1, "%s: paged out", mode);
	CHECK(((volatile unsigned char *)p)[PG] == 7, "%s: read back", mode);
	pfn = mmk_follow_pfn(p + PG);
	REQUIRE(pfn >= 0 && pfn != (long)mmk_zero_pfn(), "%s: a frame", mode);
	expect_clean("a swap cache page mapped");
	page = pfn_to_page((unsigned long)pfn);
	get_page(page);
	n = check_quiet(&report);
	put_page(page);
	snprintf(want, sizeof(want),
		 "frame %#lx is not an allocated order-0 page with one reference", pfn);
	CHECK(n == 1 && strstr(report, want) && strstr(report, "refcount 2"),
	      "%s: an extra reference on a swap cache page is reported once (%ld problems):\n%s",
	      mode, n, report);
	expect_clean("the reference dropped");
	CHECK(mmk_munmap(p, 4 * PG) == 0, "%s: munmap", mode);
}

static void swap_mirror_child(void *arg)
{
	struct mirror_case *mc = arg;
	unsigned char *p = mc->p;
	long n;

	switch (mc->kind) {
	case 0:		/* page 0's frame moved over page 1's swap PTE */
		if (mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG) == MAP_FAILED)
			_exit(2);
		break;
	case 1:		/* access given back to page 2, which MADV_COLD made old */
		if (mprotect(p + 2 * PG, PG, PROT_READ))
			_exit(2);
		break;
	}
	n = mmk_check(stderr);
	fprintf(stderr, "child: %ld problems\n", n);
	_exit(n > 0 ? 0 : 1);
}

static void swap_mirror_corrupted(void)
{
	unsigned char *p = mmk_mmap(NULL, 4 * PG, RW, ANON | MAP_NORESERVE, -1, 0);
	struct mirror_case mc = { .p = p };
	char want[2][160];
	long pfn0;

	REQUIRE(p != MAP_FAILED, "%s: mmap", mode);
	for (int i = 0; i < 4; i++)
		p[i * PG] = (unsigned char)(i + 1);
	CHECK(mmk_madvise(p + PG, PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT", mode);
	CHECK(mmk_madvise(p + 2 * PG, PG, MADV_COLD) == 0, "%s: MADV_COLD", mode);
	pfn0 = mmk_follow_pfn(p);
	REQUIRE(pfn0 >= 0 && mmk_follow_pfn(p + PG) == -1 && mmk_follow_pfn(p + 2 * PG) >= 0,
		"%s: the pages", mode);
	snprintf(want[0], sizeof(want[0]), "the host maps frame %#lx where the PTE", pfn0);
	snprintf(want[1], sizeof(want[1]), "is not young at %#lx", (unsigned long)(p + 2 * PG));
	expect_clean("before the host's changes (swap)");

	for (mc.kind = 0; mc.kind < 2; mc.kind++) {
		const char *out;
		int status = run_in_child(swap_mirror_child, &mc, &out);
		char at[64];

		snprintf(at, sizeof(at), "is a swap entry at %#lx", (unsigned long)(p + PG));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s: swap host change %d is reported (status %#x):\n%s", mode, mc.kind,
		      status, out);
		CHECK(strstr(out, want[mc.kind]) && (mc.kind || strstr(out, at)),
		      "%s: swap host change %d: the report names it:\n%s", mode, mc.kind, out);
	}
	expect_clean("the parent's mirror untouched (swap)");
	for (int i = 0; i < 4; i++)
		CHECK(p[i * PG] == i + 1, "%s: page %d intact", mode, i);
	expect_clean("the pages touched again");
	CHECK(mmk_munmap(p, 4 * PG) == 0, "%s: munmap", mode);
}

static void run(const char *cmdline, const char *name, bool swap)
{
	mode = name;
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	scenarios();
	random_walk();
	zero_page_dirtied();
	extra_reference();
	mirror_corrupted();
	if (swap) {
		swap_scenarios();
		swapcache_extra_reference();
		swap_mirror_corrupted();
	}
	expect_clean("at the end");
	mmk_shutdown();
}

int main(void)
{
	char path[64], cmdline[160];

	test_seed();
	run("mem=512M thp_anon=16K-2M:never", "single pages", false);
	run("mem=512M", "large folios", false);
	snprintf(path, sizeof(path), "/tmp/mmkit-test-mm-check-%d.swap", (int)getpid());
	unlink(path);
	snprintf(cmdline, sizeof(cmdline), "mem=512M thp_anon=16K-2M:never swap=%s:16M", path);
	run(cmdline, "single pages with swap", true);
	unlink(path);
	harness_exit();
}
