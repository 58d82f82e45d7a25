// SPDX-License-Identifier: MIT
/*
 * A swap file, the way Linux's swapon would take it, and a workload three
 * times the size of RAM that comes back intact.
 *
 *   - swap=PATH:128M creates PATH (mode 0600, exactly 128 MiB) with the
 *     header mkswap writes: "SWAPSPACE2" at offset 4086, version 1 at
 *     1024, last_page = pages - 1 at 1028, no bad pages, a uuid; read here
 *     with plain C, as blkid would.
 *   - mmk_report("swaps") lists it: type file, Size (pages - 1) * 4 KiB
 *     (the header page is not swap), Used 0, priority -2; meminfo's
 *     SwapTotal is that size and SwapFree all of it.
 *   - 96 MiB (3x RAM) written page by page with a pattern of the page's
 *     index and a seed, then read back twice: every word is there. pswpout,
 *     pswpin and pgmajfault moved; while the memory is mapped SwapFree is
 *     below SwapTotal, VmSwap is above 0 and mmk_check() is clean.
 *   - After munmap every slot is free again (SwapFree == SwapTotal,
 *     SwapCached 0, VmSwap 0, AnonPages 0) and mmk_check() is clean.
 *   - After shutdown the header is still there, and a second boot with the
 *     same option reuses the file: same size, still a swap file, and pages
 *     go out and come back through it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define RAM		(32UL << 20)
#define SWAP		(128UL << 20)
#define SWAP_KB		((long)(SWAP / PG - 1) * 4)	/* slot 0 is the header */

static uint64_t pword(size_t page, size_t w, uint64_t seed)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (w * 0xff51afd7ed558ccdull) ^ seed;
}

static void fill_page(unsigned char *pg, size_t page, uint64_t seed)
{
	uint64_t *w = (uint64_t *)pg;

	for (size_t i = 0; i < PG / 8; i++)
		w[i] = pword(page, i, seed);
}

/* Words of the page that differ from the pattern; the first is reported. */
static size_t check_page(const unsigned char *pg, size_t page, uint64_t seed, const char *what)
{
	const uint64_t *w = (const uint64_t *)pg;
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < PG / 8; i++)
		if (w[i] != pword(page, i, seed) && !bad++)
			first = i;
	if (bad)
		fprintf(stderr, "%s: page %zu: %zu words differ, first word %zu: %#llx, expected %#llx\n",
			what, page, bad, first, (unsigned long long)w[first],
			(unsigned long long)pword(page, first, seed));
	return bad;
}

/* The swap header, read as a tool would. */
static void check_header(const char *path, uint64_t size, const char *when)
{
	unsigned char h[4096];
	uint32_t version, last_page, nr_bad;
	struct stat st;
	bool uuid = false;
	int fd = open(path, O_RDONLY);

	REQUIRE(fd >= 0, "%s: the swap file %s exists", when, path);
	REQUIRE(fstat(fd, &st) == 0, "fstat");
	CHECK(S_ISREG(st.st_mode), "%s: a regular file", when);
	CHECK((uint64_t)st.st_size == size, "%s: %lld bytes, expected %llu", when,
	      (long long)st.st_size, (unsigned long long)size);
	CHECK((st.st_mode & 0777) == 0600, "%s: mode %o, expected 0600", when,
	      (unsigned)(st.st_mode & 0777));
	REQUIRE(pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h), "%s: read the header", when);
	close(fd);
	CHECK(memcmp(h + 4086, "SWAPSPACE2", 10) == 0, "%s: SWAPSPACE2 at offset 4086: '%.10s'", when,
	      (const char *)h + 4086);
	memcpy(&version, h + 1024, 4);
	memcpy(&last_page, h + 1028, 4);
	memcpy(&nr_bad, h + 1032, 4);
	CHECK(version == 1, "%s: version %u, expected 1", when, version);
	CHECK(last_page == size / PG - 1, "%s: last_page %u, expected %llu", when, last_page,
	      (unsigned long long)(size / PG - 1));
	CHECK(nr_bad == 0, "%s: nr_badpages %u", when, nr_bad);
	for (int i = 0; i < 16; i++)
		uuid |= h[1036 + i] != 0;
	CHECK(uuid, "%s: the header has a uuid", when);
}

static void check_swaps_report(const char *path, const char *when)
{
	struct swaps_line l;

	CHECK(swaps_count() == 1, "%s: one device in the swaps report: %d", when, swaps_count());
	REQUIRE(swaps_get(path, &l) == 0, "%s: the swaps report lists %s", when, path);
	CHECK(!strcmp(l.type, "file"), "%s: type '%s', expected file", when, l.type);
	CHECK(l.size_kb == SWAP_KB, "%s: Size %ld KiB, expected %ld", when, l.size_kb, SWAP_KB);
	CHECK(l.used_kb == 0, "%s: Used %ld KiB, expected 0", when, l.used_kb);
	CHECK(l.prio == -2, "%s: priority %d, expected -2", when, l.prio);
	CHECK(meminfo_field_kb("SwapTotal") == SWAP_KB, "%s: SwapTotal %ld kB, expected %ld", when,
	      meminfo_field_kb("SwapTotal"), SWAP_KB);
	CHECK(meminfo_field_kb("SwapFree") == SWAP_KB, "%s: SwapFree %ld kB, expected %ld", when,
	      meminfo_field_kb("SwapFree"), SWAP_KB);
	CHECK(meminfo_field_kb("SwapCached") == 0, "%s: SwapCached %ld kB", when,
	      meminfo_field_kb("SwapCached"));
}

/* Every slot free, nothing mapped, nothing cached. */
static void check_all_back(const char *when)
{
	CHECK(mmk_check(stderr) == 0, "%s: invariants", when);
	CHECK(meminfo_field_kb("SwapFree") == SWAP_KB, "%s: SwapFree %ld kB, expected %ld (leaked slots)",
	      when, meminfo_field_kb("SwapFree"), SWAP_KB);
	CHECK(meminfo_field_kb("SwapCached") == 0, "%s: SwapCached %ld kB", when,
	      meminfo_field_kb("SwapCached"));
	CHECK(meminfo_field_kb("AnonPages") == 0, "%s: AnonPages %ld kB", when,
	      meminfo_field_kb("AnonPages"));
	CHECK(report_value("self/status", "VmSwap") == 0, "%s: VmSwap %ld kB", when,
	      report_value("self/status", "VmSwap"));
}

static void three_times_ram(void)
{
	const size_t len = 3 * RAM, n = len / PG;
	uint64_t seed = test_seed() * 0x2545f4914f6cdd1dull;
	long out0 = vmstat_get("pswpout"), in0 = vmstat_get("pswpin");
	long maj0 = vmstat_get("pgmajfault");
	size_t bad = 0;
	unsigned char *p;

	p = mmk_mmap(NULL, len, RW, ANON | MAP_NORESERVE, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap 96 MiB");
	for (size_t i = 0; i < n; i++)
		fill_page(p + i * PG, i, seed);
	for (size_t i = 0; i < n; i++)
		bad += check_page(p + i * PG, i, seed, "first pass") != 0;
	CHECK(bad == 0, "first pass: %zu of %zu pages damaged", bad, n);
	bad = 0;
	for (size_t i = n; i-- > 0;)
		bad += check_page(p + i * PG, i, seed, "second pass") != 0;
	CHECK(bad == 0, "second pass (backwards): %zu of %zu pages damaged", bad, n);

	CHECK(vmstat_get("pswpout") > out0, "pages went to swap: pswpout %+ld",
	      vmstat_get("pswpout") - out0);
	CHECK(vmstat_get("pswpin") > in0, "pages came back: pswpin %+ld", vmstat_get("pswpin") - in0);
	CHECK(vmstat_get("pgmajfault") > maj0, "major faults: %+ld", vmstat_get("pgmajfault") - maj0);
	CHECK(meminfo_field_kb("SwapFree") < meminfo_field_kb("SwapTotal"),
	      "while mapped, swap is in use: SwapFree %ld of %ld kB", meminfo_field_kb("SwapFree"),
	      meminfo_field_kb("SwapTotal"));
	CHECK(report_value("self/status", "VmSwap") > 0, "VmSwap %ld kB while mapped",
	      report_value("self/status", "VmSwap"));
	CHECK(mmk_check(stderr) == 0, "invariants with 96 MiB mapped, much of it on swap");

	CHECK(mmk_munmap(p, len) == 0, "munmap");
	check_all_back("after munmap");
}

/* A few pages out and back through a reused file. */
static void reused(void)
{
	const size_t n = 256;
	uint64_t seed = test_seed() ^ 0x5bd1e995;
	long out0 = vmstat_get("pswpout"), in0 = vmstat_get("pswpin");
	unsigned char *p = mmk_mmap(NULL, n * PG, RW, ANON, -1, 0);
	size_t bad = 0;

	REQUIRE(p != MAP_FAILED, "mmap");
	for (size_t i = 0; i < n; i++)
		fill_page(p + i * PG, i, seed);
	CHECK(mmk_madvise(p, n * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
	CHECK(vmstat_get("pswpout") - out0 >= (long)n, "pswpout %+ld, expected %zu",
	      vmstat_get("pswpout") - out0, n);
	CHECK(report_value("self/status", "VmSwap") > 0, "VmSwap %ld kB after MADV_PAGEOUT",
	      report_value("self/status", "VmSwap"));
	for (size_t i = 0; i < n; i++)
		bad += check_page(p + i * PG, i, seed, "reused file") != 0;
	CHECK(bad == 0, "reused file: %zu pages damaged", bad);
	CHECK(vmstat_get("pswpin") > in0, "read back from the reused file: pswpin %+ld",
	      vmstat_get("pswpin") - in0);
	CHECK(mmk_munmap(p, n * PG) == 0, "munmap");
	check_all_back("reused file, after munmap");
}

int main(void)
{
	const char *path = test_tmp_path("swapfile");
	char cmdline[1200];

	snprintf(cmdline, sizeof(cmdline), "mem=32M swap=%s:128M", path);
	REQUIRE(access(path, F_OK) != 0, "no file before the boot");
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	check_header(path, SWAP, "created");
	check_swaps_report(path, "at boot");
	three_times_ram();
	mmk_shutdown();
	check_header(path, SWAP, "after shutdown");

	REQUIRE(mmk_boot(cmdline) == 0, "boot again with the same file: %s", cmdline);
	check_header(path, SWAP, "reused");
	check_swaps_report(path, "reused");
	reused();
	mmk_shutdown();
	check_header(path, SWAP, "after the second shutdown");
	harness_exit();
}
