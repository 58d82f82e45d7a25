// SPDX-License-Identifier: MIT
/*
 * Splitting and replacing mappings, and the system calls' errors.
 *
 *   - munmap of the middle of a mapping leaves two parts that keep their
 *     data and stay writable, and the hole faults (SIGSEGV, SEGV_MAPERR,
 *     si_addr the address touched);
 *   - mprotect of a middle part to PROT_READ: reads work everywhere,
 *     writes there fault with SEGV_ACCERR and change nothing, the rest is
 *     writable; mprotect back makes it writable again and one mapping
 *     again; PROT_NONE faults reads too; data survives many round trips;
 *   - MAP_FIXED over a mapping replaces that part (old data gone, zeros,
 *     its frames freed), MAP_FIXED_NOREPLACE fails with EEXIST and
 *     changes nothing;
 *   - sbrk grows and shrinks the heap, which is usable up to the break's
 *     page and faults beyond it;
 *   - bad arguments fail as the host's own calls fail: each case is made
 *     on a host mapping and on an mmkit mapping of the same shape, and the
 *     results and errno must agree.
 *
 * The mapping count comes from mmk_report("self/maps") (one line per
 * mapping) where this build has that report; without it those checks
 * are skipped and the test says so.
 *
 * Faults are caught by the program's own SIGSEGV handler, installed before
 * mmk_boot() (mmkit passes it the faults that are not its own).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG	((size_t)PAGE_SIZE)
#ifndef PROT_SEM
#define PROT_SEM 0x8		/* x86's, accepted by mmap and mprotect */
#endif

/* ---- Catching faults -------------------------------------------------------- */


static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe_armed) {
		static const char msg[] = "test_user_vma_split: unexpected fault\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(97);
	}
	probe_caught(sig, si);
}

static void probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGSEGV, &sa, NULL) == 0 && sigaction(SIGBUS, &sa, NULL) == 0,
		"install the handlers");
}

static void expect_ok(void *p, bool write, const char *what)
{
	int sig = probe(p, write, 0x42);

	CHECK(sig == 0, "%s: %s of %p got signal %d (si_code %d)", what,
	      write ? "write" : "read", p, sig, (int)probe_code);
}

/* ---- Helpers --------------------------------------------------------------- */

/* Lines of mmk_report("self/maps"), -1 if this build has no such report. */
static int maps_lines(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = -1;

	if (!f)
		return -1;
	if (mmk_report("self/maps", f) == 0) {
		fflush(f);
		n = count_lines(buf);
	}
	fclose(f);
	free(buf);
	return n;
}

static bool have_maps;

static void check_maps(int before, int delta, const char *what)
{
	if (!have_maps)
		return;
	CHECK(maps_lines() - before == delta, "%s: self/maps has %+d lines, expected %+d", what,
	      maps_lines() - before, delta);
}

static long anon_kb(void)
{
	return meminfo_field_kb("AnonPages");
}

/* Fill page @i of @p with a pattern of (@tag, i); count wrong words. */
static void page_fill(unsigned char *p, size_t i, unsigned long tag)
{
	vfill(p + i * PG, PG, tag * 1000 + i);
}

static size_t page_bad(const unsigned char *p, size_t i, unsigned long tag)
{
	return vcheck(p + i * PG, PG, tag * 1000 + i);
}

static size_t nonzero(const unsigned char *p, size_t len)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += p[i] != 0;
	return bad;
}

/* ---- munmap in the middle ------------------------------------------------------ */

static void munmap_middle(void)
{
	int m0 = maps_lines();
	long a0 = anon_kb();
	unsigned char *p = mmk_mmap(NULL, 10 * PG, RW, ANON, -1, 0);

	REQUIRE(p != MAP_FAILED, "mmap 10 pages");
	check_maps(m0, 1, "one mapping");
	for (size_t i = 0; i < 10; i++)
		page_fill(p, i, 1);
	CHECK(anon_kb() - a0 == 40, "10 pages written: +%ld kB", anon_kb() - a0);
	CHECK(mmk_munmap(p + 4 * PG, 2 * PG) == 0, "munmap pages 4-5");
	CHECK(anon_kb() - a0 == 32, "2 pages gone: +%ld kB", anon_kb() - a0);
	check_maps(m0, 2, "two mappings after the hole");
	for (size_t i = 0; i < 10; i++) {
		if (i == 4 || i == 5) {
			CHECK(mmk_follow_pfn(p + i * PG) == -1, "page %zu unmapped", i);
			continue;
		}
		CHECK(page_bad(p, i, 1) == 0, "page %zu keeps its data", i);
		expect_ok(p + i * PG + 9, true, "write to a remaining part");
		page_fill(p, i, 2);
	}
	expect_fault(p + 4 * PG, true, SEGV_MAPERR, "write to the hole");
	expect_fault(p + 5 * PG + 4095, false, SEGV_MAPERR, "read of the hole");
	expect_fault(p + 4 * PG + 100, true, SEGV_MAPERR, "write to the hole again");
	CHECK(mmk_follow_pfn(p + 4 * PG) == -1, "faults in the hole map nothing");
	CHECK(anon_kb() - a0 == 32, "and take no memory");
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 5)
			CHECK(page_bad(p, i, 2) == 0, "page %zu rewritten", i);

	/* Unmap the first page and the last one: the parts shrink. */
	CHECK(mmk_munmap(p, PG) == 0 && mmk_munmap(p + 9 * PG, PG) == 0, "munmap the ends");
	check_maps(m0, 2, "still two mappings");
	expect_fault(p, false, SEGV_MAPERR, "read of the unmapped first page");
	expect_fault(p + 9 * PG, true, SEGV_MAPERR, "write to the unmapped last page");
	CHECK(page_bad(p, 1, 2) == 0 && page_bad(p, 8, 2) == 0, "the pages next to them are intact");
	/* munmap of a range with holes in it is fine and unmaps the rest. */
	CHECK(mmk_munmap(p, 10 * PG) == 0, "munmap across the holes");
	check_maps(m0, 0, "nothing left");
	CHECK(anon_kb() == a0, "AnonPages back to %ld kB: %ld", a0, anon_kb());
	expect_fault(p + 2 * PG, false, SEGV_MAPERR, "read after munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after munmap");
}

/* ---- mprotect ------------------------------------------------------------------ */

static void mprotect_middle(void)
{
	int m0 = maps_lines();
	long a0 = anon_kb();
	unsigned char *p = mmk_mmap(NULL, 8 * PG, RW, ANON, -1, 0);

	REQUIRE(p != MAP_FAILED, "mmap 8 pages");
	for (size_t i = 0; i < 7; i++)		/* page 7 never written */
		page_fill(p, i, 3);
	CHECK(mmk_mprotect(p + 2 * PG, 3 * PG, PROT_READ) == 0, "mprotect pages 2-4 read-only");
	check_maps(m0, 3, "three mappings");
	for (size_t i = 0; i < 8; i++) {
		bool ro = i >= 2 && i <= 4;

		expect_ok(p + i * PG + 17, false, "read after mprotect");
		if (ro)
			expect_fault(p + i * PG + 17, true, SEGV_ACCERR, "write to the read-only part");
		else
			expect_ok(p + i * PG + 17, true, "write outside the read-only part");
	}
	for (size_t i = 2; i < 5; i++)
		CHECK(page_bad(p, i, 3) == 0, "page %zu intact (a faulting write changes nothing)", i);
	CHECK(anon_kb() - a0 == 32, "8 pages: 8 frames: +%ld kB", anon_kb() - a0);

	CHECK(mmk_mprotect(p + 2 * PG, 3 * PG, RW) == 0, "mprotect back to read-write");
	check_maps(m0, 1, "merged back into one mapping");
	for (size_t i = 2; i < 5; i++) {
		CHECK(page_bad(p, i, 3) == 0, "page %zu survived the round trip", i);
		expect_ok(p + i * PG, true, "write after mprotect back");
	}

	/* Round trips through PROT_NONE and PROT_READ, with the data checked. */
	for (size_t i = 0; i < 8; i++)
		page_fill(p, i, 4);
	for (int round = 0; round < 10; round++) {
		size_t first = (size_t)round % 6, n = 1 + (size_t)round % 3;
		int prot = round & 1 ? PROT_NONE : PROT_READ;

		CHECK(mmk_mprotect(p + first * PG, n * PG, prot) == 0, "round %d: mprotect", round);
		check_maps(m0, first + n == 8 ? (first ? 2 : 1) : (first ? 3 : 2), "split");
		expect_fault(p + first * PG + 1, true, SEGV_ACCERR, "write to the protected part");
		if (prot == PROT_NONE)
			expect_fault(p + (first + n - 1) * PG + 2, false, SEGV_ACCERR,
				     "read of PROT_NONE");
		else
			CHECK(page_bad(p, first, 4) == 0, "round %d: readable data intact", round);
		CHECK(mmk_mprotect(p, 8 * PG, RW) == 0, "round %d: mprotect all back", round);
		check_maps(m0, 1, "one mapping again");
		for (size_t i = 0; i < 8; i++)
			CHECK(page_bad(p, i, 4) == 0, "round %d: page %zu intact", round, i);
	}
	CHECK(anon_kb() - a0 == 32, "round trips moved no memory: +%ld kB", anon_kb() - a0);
	CHECK(mmk_check(stderr) == 0, "invariants after mprotect");

	/* A read-only mapping made writable: zero pages become frames on write. */
	CHECK(mmk_mprotect(p, 8 * PG, PROT_READ) == 0, "read-only");
	CHECK(mmk_madvise(p, 8 * PG, MADV_DONTNEED) == 0, "drop the pages");
	CHECK(nonzero(p, 8 * PG) == 0, "read-only after DONTNEED: zeros");
	CHECK(mmk_follow_pfn(p + 3 * PG) == (long)mmk_zero_pfn(), "the zero page");
	expect_fault(p + 3 * PG, true, SEGV_ACCERR, "write to a zero page of a read-only mapping");
	CHECK(mmk_mprotect(p, 8 * PG, RW) == 0, "writable");
	expect_ok(p + 3 * PG, true, "write after making it writable");
	CHECK(anon_kb() - a0 == 4, "one frame: +%ld kB", anon_kb() - a0);
	CHECK(mmk_munmap(p, 8 * PG) == 0, "munmap");
	check_maps(m0, 0, "nothing left");
	CHECK(anon_kb() == a0, "AnonPages back");
}

/* ---- MAP_FIXED, MAP_FIXED_NOREPLACE ---------------------------------------------- */

static void fixed(void)
{
	int m0 = maps_lines();
	long a0 = anon_kb();
	long free0;
	unsigned char *p = mmk_mmap(NULL, 8 * PG, RW, ANON, -1, 0), *q;

	REQUIRE(p != MAP_FAILED, "mmap 8 pages");
	for (size_t i = 0; i < 8; i++)
		page_fill(p, i, 5);
	free0 = (long)settled_free_pages();
	q = mmk_mmap(p + 2 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	CHECK(q == p + 2 * PG, "MAP_FIXED returns the address asked for: %p, asked %p", q, p + 2 * PG);
	CHECK(anon_kb() - a0 == 16, "the 4 replaced pages' frames are gone: +%ld kB", anon_kb() - a0);
	CHECK((long)settled_free_pages() - free0 >= 4, "their frames are free again");
	check_maps(m0, 1, "the same flags: one mapping");
	for (size_t i = 2; i < 6; i++)
		CHECK(mmk_follow_pfn(p + i * PG) == -1, "replaced page %zu has nothing mapped", i);
	CHECK(nonzero(p + 2 * PG, 4 * PG) == 0, "the replacement reads zeros");
	for (size_t i = 0; i < 8; i++)
		if (i < 2 || i >= 6)
			CHECK(page_bad(p, i, 5) == 0, "page %zu outside the replacement is intact", i);

	/* A read-only MAP_FIXED: a mapping of its own, not writable. */
	q = mmk_mmap(p + 3 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
	CHECK(q == p + 3 * PG, "MAP_FIXED read-only");
	check_maps(m0, 3, "three mappings");
	expect_fault(p + 3 * PG, true, SEGV_ACCERR, "write to the read-only replacement");

	errno = 0;
	q = mmk_mmap(p - 2 * PG, 4 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE over a partly used range: %p, %s",
	      q, strerror(errno));
	errno = 0;
	q = mmk_mmap(p, 8 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == MAP_FAILED && errno == EEXIST, "MAP_FIXED_NOREPLACE over a mapping: %p, %s", q,
	      strerror(errno));
	CHECK(page_bad(p, 0, 5) == 0 && page_bad(p, 7, 5) == 0, "a failed NOREPLACE changes nothing");
	check_maps(m0, 3, "still three mappings");
	CHECK(mmk_munmap(p, 8 * PG) == 0, "munmap");
	q = mmk_mmap(p + PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + PG, "MAP_FIXED_NOREPLACE on a free range: %p, asked %p", q, p + PG);
	expect_ok(p + 2 * PG, true, "write to it");
	expect_fault(p, false, SEGV_MAPERR, "the page below it is still unmapped");
	CHECK(mmk_munmap(p + PG, 2 * PG) == 0, "munmap");
	check_maps(m0, 0, "nothing left");
	CHECK(anon_kb() == a0, "AnonPages back");
	CHECK(mmk_check(stderr) == 0, "invariants after MAP_FIXED");
}

/* ---- sbrk ----------------------------------------------------------------------- */

static void heap(void)
{
	long a0 = anon_kb();
	unsigned char *b0 = mmk_sbrk(0), *b;

	REQUIRE(b0 != (void *)-1, "sbrk(0)");
	b = mmk_sbrk((intptr_t)(3 * PG + 100));
	CHECK(b == b0, "sbrk returns the old break: %p, expected %p", b, b0);
	CHECK(mmk_sbrk(0) == b0 + 3 * PG + 100, "the break moved by the increment");
	for (size_t i = 0; i < 3 * PG + 100; i++)
		b0[i] = (unsigned char)(i * 7);
	CHECK(anon_kb() - a0 == 16, "the heap's 4 pages: +%ld kB", anon_kb() - a0);
	expect_ok(b0 + 3 * PG + 200, true, "the rest of the break's page is usable");
	expect_fault(b0 + 4 * PG, true, SEGV_MAPERR, "beyond the break's page");
	for (size_t i = 0; i < 3 * PG + 100; i++)
		if (b0[i] != (unsigned char)(i * 7)) {
			CHECK(false, "heap byte %zu lost", i);
			break;
		}

	b = mmk_sbrk(-(intptr_t)(2 * PG));
	CHECK(b == b0 + 3 * PG + 100, "shrinking returns the old break");
	CHECK(mmk_sbrk(0) == b0 + PG + 100, "the break moved down");
	CHECK(anon_kb() - a0 == 8, "two pages given back: +%ld kB", anon_kb() - a0);
	expect_fault(b0 + 2 * PG, false, SEGV_MAPERR, "above the shrunk break");
	CHECK(b0[PG + 99] == (unsigned char)((PG + 99) * 7), "below it the data stays");

	b = mmk_sbrk((intptr_t)(2 * PG));
	CHECK(b == b0 + PG + 100, "grow again");
	CHECK(nonzero(b0 + 2 * PG, PG) == 0, "a page the heap gave back comes back as zeros");
	b0[3 * PG] = 1;

	errno = 0;
	b = mmk_sbrk(-(intptr_t)(16 * PG));
	CHECK(b == (void *)-1 && errno == ENOMEM, "shrinking below the start: ENOMEM (%s)",
	      strerror(errno));
	errno = 0;
	b = mmk_sbrk((intptr_t)(1UL << 30));
	CHECK(b == (void *)-1 && errno == ENOMEM, "1 GiB on a 256 MiB machine: ENOMEM (%s)",
	      strerror(errno));
	CHECK(mmk_sbrk(0) == b0 + 3 * PG + 100, "failed calls leave the break");
	b = mmk_sbrk(-(intptr_t)(3 * PG + 100));
	CHECK(b == b0 + 3 * PG + 100 && mmk_sbrk(0) == b0, "back to the start");
	CHECK(anon_kb() == a0, "AnonPages back: %ld kB", anon_kb());
	expect_fault(b0, true, SEGV_MAPERR, "an empty heap");
	CHECK(mmk_check(stderr) == 0, "invariants after sbrk");
}

/* ---- Errors, as the host gives them --------------------------------------------------- */

static void compare(const char *what, long hr, int he, long mr, int me)
{
	bool hf = hr == -1, mf = mr == -1;

	CHECK(hf == mf && (!hf || he == me), "%s: host %s%s, mmkit %s%s", what,
	      hf ? "fails with " : "succeeds", hf ? strerrorname_np(he) : "",
	      mf ? "fails with " : "succeeds", mf ? strerrorname_np(me) : "");
}

/* Make the same call on the host and in mmkit; compare. @hbase and
 * @mbase are the host's and mmkit's mappings of the same shape; @H and
 * @M stand for them in the calls. */
#define BOTH(what, hcall, mcall) do {					\
	long hr_, mr_;							\
	int he_, me_;							\
	errno = 0;							\
	hr_ = (long)(hcall);						\
	he_ = errno;							\
	errno = 0;							\
	mr_ = (long)(mcall);						\
	me_ = errno;							\
	compare(what, hr_, he_, mr_, me_);				\
	if (hr_ != -1 && (void *)hr_ != H && (uintptr_t)hr_ > 4096)	\
		munmap((void *)hr_, len_);				\
	if (mr_ != -1 && (void *)mr_ != M && (uintptr_t)mr_ > 4096)	\
		mmk_munmap((void *)mr_, len_);				\
} while (0)

/* The same with only mmkit's side (the host's is recorded by hand). */
static void mmk_only(const char *what, long mr, int want)
{
	int e = errno;

	CHECK(want ? (mr == -1 && e == want) : mr != -1, "%s: mmkit %s%s, expected %s%s", what,
	      mr == -1 ? "fails with " : "succeeds", mr == -1 ? strerrorname_np(e) : "",
	      want ? "failure with " : "success", want ? strerrorname_np(want) : "");
}

static bool host_overcommit_guess(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	struct sysinfo si;
	int mode = -1;

	if (!f)
		return false;
	if (fscanf(f, "%d", &mode) != 1)
		mode = -1;
	fclose(f);
	return mode == 0 && sysinfo(&si) == 0 &&
	       ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit < (120ULL << 30);
}

static bool host_no_hugepages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
	long n = -1;

	if (!f)
		return false;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n == 0;
}

/* The host's mlock and munlock, as system calls: AddressSanitizer's
 * wrappers of the library functions do nothing and return 0. */
static long host_mlock(const void *addr, size_t len)
{
	return syscall(SYS_mlock, addr, len);
}

static long host_munlock(const void *addr, size_t len)
{
	return syscall(SYS_munlock, addr, len);
}

static void errors(void)
{
	const size_t big = 128UL << 30;
	unsigned char *H = mmap(NULL, 3 * PG, RW, ANON, -1, 0);
	unsigned char *M = mmk_mmap(NULL, 3 * PG, RW, ANON, -1, 0);
	unsigned char *Hh = mmap(NULL, 3 * PG, RW, ANON, -1, 0);	/* with a hole */
	unsigned char *Mh = mmk_mmap(NULL, 3 * PG, RW, ANON, -1, 0);
	int devnull = open("/dev/null", O_RDWR);
	size_t len_ = PG;
	long mr;

	REQUIRE(H != MAP_FAILED && M != MAP_FAILED && Hh != MAP_FAILED && Mh != MAP_FAILED,
		"the mappings to work on");
	REQUIRE(devnull >= 0, "open /dev/null");
	REQUIRE(munmap(Hh + PG, PG) == 0 && mmk_munmap(Mh + PG, PG) == 0, "the holes");
	memset(M, 1, 3 * PG);
	memset(H, 1, 3 * PG);

	/* mmap */
	BOTH("mmap len 0", mmap(NULL, 0, RW, ANON, -1, 0), mmk_mmap(NULL, 0, RW, ANON, -1, 0));
	BOTH("MAP_FIXED unaligned", mmap(H + 1, PG, RW, ANON | MAP_FIXED, -1, 0),
	     mmk_mmap(M + 1, PG, RW, ANON | MAP_FIXED, -1, 0));
	BOTH("MAP_FIXED_NOREPLACE unaligned", mmap(H + 1, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
	     mmk_mmap(M + 1, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	BOTH("file mapping, fd -1", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0),
	     mmk_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0));
	BOTH("file mapping of /dev/null", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, devnull, 0),
	     mmk_mmap(NULL, PG, PROT_READ, MAP_PRIVATE, devnull, 0));
	BOTH("neither private nor shared", mmap(NULL, PG, RW, MAP_ANONYMOUS, -1, 0),
	     mmk_mmap(NULL, PG, RW, MAP_ANONYMOUS, -1, 0));
	BOTH("unaligned offset", mmap(NULL, PG, RW, ANON, -1, 4095),
	     mmk_mmap(NULL, PG, RW, ANON, -1, 4095));
	BOTH("aligned offset (ignored)", mmap(NULL, PG, RW, ANON, -1, 8192),
	     mmk_mmap(NULL, PG, RW, ANON, -1, 8192));
	BOTH("len -4096", mmap(NULL, -PG, PROT_READ, ANON, -1, 0),
	     mmk_mmap(NULL, -PG, PROT_READ, ANON, -1, 0));
	BOTH("len -1", mmap(NULL, (size_t)-1, PROT_READ, ANON, -1, 0),
	     mmk_mmap(NULL, (size_t)-1, PROT_READ, ANON, -1, 0));
	BOTH("MAP_FIXED_NOREPLACE over a mapping", mmap(H, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
	     mmk_mmap(M, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	len_ = 2 * PG;
	BOTH("MAP_FIXED_NOREPLACE over part of a mapping (hole + mapped page)",
	     mmap(Hh + PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
	     mmk_mmap(Mh + PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	len_ = PG;
	BOTH("PROT_READ | PROT_SEM", mmap(NULL, PG, PROT_READ | PROT_SEM, ANON, -1, 0),
	     mmk_mmap(NULL, PG, PROT_READ | PROT_SEM, ANON, -1, 0));
	BOTH("mmap unknown prot bit 0x40", mmap(NULL, PG, PROT_READ | 0x40, ANON, -1, 0),
	     mmk_mmap(NULL, PG, PROT_READ | 0x40, ANON, -1, 0));
	if (host_no_hugepages())
		BOTH("MAP_HUGETLB with no huge pages", mmap(NULL, 2UL << 20, RW, ANON | MAP_HUGETLB, -1, 0),
		     mmk_mmap(NULL, 2UL << 20, RW, ANON | MAP_HUGETLB, -1, 0));
	len_ = big;
	if (host_overcommit_guess()) {
		BOTH("128 GiB private writable", mmap(NULL, big, RW, ANON, -1, 0),
		     mmk_mmap(NULL, big, RW, ANON, -1, 0));
	} else {
		printf("# the host does not use overcommit's heuristic mode with less than 120 GiB: 128 GiB checked in mmkit only\n");
		errno = 0;
		mr = (long)mmk_mmap(NULL, big, RW, ANON, -1, 0);
		mmk_only("128 GiB private writable", mr, ENOMEM);
	}
	BOTH("128 GiB private writable, MAP_NORESERVE", mmap(NULL, big, RW, ANON | MAP_NORESERVE, -1, 0),
	     mmk_mmap(NULL, big, RW, ANON | MAP_NORESERVE, -1, 0));
	BOTH("128 GiB private read-only", mmap(NULL, big, PROT_READ, ANON, -1, 0),
	     mmk_mmap(NULL, big, PROT_READ, ANON, -1, 0));
	len_ = PG;

	/* mmkit only: what the host allows and mmkit does not have, and the
	 * machine's own RAM (256 MiB) as the overcommit limit. */
	errno = 0;
	mr = (long)mmk_mmap(NULL, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mmk_only("MAP_SHARED anonymous (not in mmkit)", mr, EINVAL);
	errno = 0;
	mr = (long)mmk_mmap(NULL, 512UL << 20, RW, ANON, -1, 0);
	mmk_only("512 MiB private writable on a 256 MiB machine", mr, ENOMEM);
	errno = 0;
	mr = (long)mmk_mmap(NULL, 512UL << 20, RW, ANON | MAP_NORESERVE, -1, 0);
	mmk_only("512 MiB with MAP_NORESERVE", mr, 0);
	if (mr != -1) {
		*(volatile char *)(mr + (256L << 20)) = 1;
		CHECK(mmk_munmap((void *)mr, 512UL << 20) == 0, "munmap");
	}
	mr = (long)mmk_mmap(NULL, 512UL << 20, PROT_READ, ANON, -1, 0);
	mmk_only("512 MiB read-only", mr, 0);
	if (mr != -1) {
		errno = 0;
		mmk_only("mprotect of it to writable (would be committed)",
			 mmk_mprotect((void *)mr, 512UL << 20, RW), ENOMEM);
		CHECK(mmk_munmap((void *)mr, 512UL << 20) == 0, "munmap");
	}

	/* munmap */
	BOTH("munmap unaligned", munmap(H + 1, PG), mmk_munmap(M + 1, PG));
	BOTH("munmap len 0", munmap(H, 0), mmk_munmap(M, 0));
	BOTH("munmap len -4096", munmap(H, -PG), mmk_munmap(M, -PG));
	BOTH("munmap of a hole", munmap(Hh + PG, PG), mmk_munmap(Mh + PG, PG));

	/* mprotect */
	BOTH("mprotect unaligned", mprotect(H + 1, PG, PROT_READ), mmk_mprotect(M + 1, PG, PROT_READ));
	BOTH("mprotect unaligned, len 0", mprotect(H + 1, 0, PROT_READ),
	     mmk_mprotect(M + 1, 0, PROT_READ));
	BOTH("mprotect len 0", mprotect(H, 0, PROT_READ), mmk_mprotect(M, 0, PROT_READ));
	BOTH("mprotect unknown prot bit 0x40", mprotect(H, PG, 0x40), mmk_mprotect(M, PG, 0x40));
	BOTH("mprotect PROT_SEM", mprotect(H, PG, RW | PROT_SEM), mmk_mprotect(M, PG, RW | PROT_SEM));
	BOTH("mprotect len -4096", mprotect(H, -PG, PROT_READ), mmk_mprotect(M, -PG, PROT_READ));
	BOTH("mprotect over a hole", mprotect(Hh, 3 * PG, PROT_READ),
	     mmk_mprotect(Mh, 3 * PG, PROT_READ));
	BOTH("mprotect of the hole alone", mprotect(Hh + PG, PG, PROT_READ),
	     mmk_mprotect(Mh + PG, PG, PROT_READ));
	CHECK(mprotect(Hh, 3 * PG, RW) == -1 && mmk_mprotect(Mh, 3 * PG, RW) == -1, "restore");

	/* madvise */
	BOTH("madvise unknown advice", madvise(H, PG, 12345), mmk_madvise(M, PG, 12345));
	BOTH("madvise unknown advice on a hole", madvise(Hh + PG, PG, 12345),
	     mmk_madvise(Mh + PG, PG, 12345));
	BOTH("madvise unaligned", madvise(H + 1, PG, MADV_DONTNEED), mmk_madvise(M + 1, PG, MADV_DONTNEED));
	BOTH("madvise len 0", madvise(H, 0, MADV_DONTNEED), mmk_madvise(M, 0, MADV_DONTNEED));
	BOTH("madvise len -4096", madvise(H, -PG, MADV_DONTNEED), mmk_madvise(M, -PG, MADV_DONTNEED));
	BOTH("MADV_DONTNEED over a hole", madvise(Hh, 3 * PG, MADV_DONTNEED),
	     mmk_madvise(Mh, 3 * PG, MADV_DONTNEED));
	BOTH("MADV_WILLNEED over a hole", madvise(Hh, 3 * PG, MADV_WILLNEED),
	     mmk_madvise(Mh, 3 * PG, MADV_WILLNEED));
	BOTH("MADV_DONTNEED of the hole alone", madvise(Hh + PG, PG, MADV_DONTNEED),
	     mmk_madvise(Mh + PG, PG, MADV_DONTNEED));
	BOTH("MADV_HUGEPAGE", madvise(H, 3 * PG, MADV_HUGEPAGE), mmk_madvise(M, 3 * PG, MADV_HUGEPAGE));
	BOTH("MADV_NORMAL", madvise(H, 3 * PG, MADV_NORMAL), mmk_madvise(M, 3 * PG, MADV_NORMAL));
	CHECK(mprotect(H + 2 * PG, PG, PROT_READ) == 0 && mmk_mprotect(M + 2 * PG, PG, PROT_READ) == 0,
	      "a read-only page");
	BOTH("MADV_POPULATE_WRITE of a read-only page", madvise(H + 2 * PG, PG, MADV_POPULATE_WRITE),
	     mmk_madvise(M + 2 * PG, PG, MADV_POPULATE_WRITE));
	BOTH("MADV_POPULATE_READ of a read-only page", madvise(H + 2 * PG, PG, MADV_POPULATE_READ),
	     mmk_madvise(M + 2 * PG, PG, MADV_POPULATE_READ));
	CHECK(mprotect(H + 2 * PG, PG, PROT_NONE) == 0 && mmk_mprotect(M + 2 * PG, PG, PROT_NONE) == 0,
	      "a PROT_NONE page");
	BOTH("MADV_POPULATE_READ of a PROT_NONE page", madvise(H + 2 * PG, PG, MADV_POPULATE_READ),
	     mmk_madvise(M + 2 * PG, PG, MADV_POPULATE_READ));

	/* mlock */
	BOTH("mlock len 0", host_mlock(H, 0), mmk_mlock(M, 0));
	BOTH("mlock len -4096", host_mlock(H, -PG), mmk_mlock(M, -PG));
	BOTH("munlock len -4096", host_munlock(H, -PG), mmk_munlock(M, -PG));
	BOTH("mlock over a hole", host_mlock(Hh, 3 * PG), mmk_mlock(Mh, 3 * PG));
	BOTH("munlock over a hole", host_munlock(Hh, 3 * PG), mmk_munlock(Mh, 3 * PG));
	BOTH("mlock of a PROT_NONE page", host_mlock(H + 2 * PG, PG), mmk_mlock(M + 2 * PG, PG));
	BOTH("munlock of it", host_munlock(H + 2 * PG, PG), mmk_munlock(M + 2 * PG, PG));
	if (host_mlock(H + 1, PG - 1) == 0) {
		CHECK(mmk_mlock(M + 1, PG - 1) == 0, "mlock an unaligned start (rounds down)");
		BOTH("MADV_DONTNEED of mlocked memory", madvise(H, PG, MADV_DONTNEED),
		     mmk_madvise(M, PG, MADV_DONTNEED));
		BOTH("MADV_FREE of mlocked memory", madvise(H, PG, MADV_FREE), mmk_madvise(M, PG, MADV_FREE));
		BOTH("MADV_DONTNEED of mlocked and unlocked pages", madvise(H, 2 * PG, MADV_DONTNEED),
		     mmk_madvise(M, 2 * PG, MADV_DONTNEED));
		host_munlock(H, PG);
	} else {
		printf("# host mlock refused (%s): DONTNEED of locked memory checked in mmkit only\n",
		       strerror(errno));
		CHECK(mmk_mlock(M + 1, PG - 1) == 0, "mlock an unaligned start (rounds down)");
		errno = 0;
		mmk_only("MADV_DONTNEED of mlocked memory", mmk_madvise(M, PG, MADV_DONTNEED), EINVAL);
	}
	CHECK(M[0] == 1 && M[PG - 1] == 1, "the locked page keeps its data");
	CHECK(mmk_munlock(M, PG) == 0, "munlock");

	close(devnull);
	munmap(H, 3 * PG);
	munmap(Hh, 3 * PG);
	CHECK(mmk_munmap(M, 3 * PG) == 0 && mmk_munmap(Mh, 3 * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after the bad calls");
}

int main(void)
{
	long a0;

	probe_install();
	REQUIRE(mmk_boot("mem=256M thp_anon=16K-2M:never") == 0, "boot");
	have_maps = maps_lines() >= 0;
	if (!have_maps)
		printf("# no self/maps report in this build: mapping counts not checked\n");
	a0 = anon_kb();
	munmap_middle();
	mprotect_middle();
	fixed();
	heap();
	errors();
	CHECK(anon_kb() == a0, "AnonPages back to %ld kB at the end: %ld", a0, anon_kb());
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
