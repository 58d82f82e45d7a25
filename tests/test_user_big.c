// SPDX-License-Identifier: MIT
/*
 * A big mapping on a default host: 1 GiB of user memory on a 1.5 GiB
 * machine, one byte written per page, every byte verified, then unmapped.
 * The host's vm.max_map_count (65530 by default) limits how many mappings
 * the process may have; mmkit mirrors user memory into host mappings, so
 * the process's count of them (lines of /proc/self/maps) must stay far
 * below that limit: large folios and runs are mapped with one host call
 * each. AnonPages is exactly 1 GiB while mapped and back to the baseline
 * after munmap.
 *
 * The same with single pages (thp_anon=16K-2M:never) on 64 MiB: every
 * page is its own fault and its own frame; the count of host mappings
 * must still stay under the limit, and everything is exact as well.
 * The faults are exact too: one per 2 MiB folio on a fresh machine, one
 * per page with single pages.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG	((size_t)PAGE_SIZE)

static long host_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = -1;

	if (!f)
		return 65530;
	if (fscanf(f, "%ld", &n) != 1)
		n = 65530;
	fclose(f);
	return n;
}

static unsigned char page_byte(size_t i)
{
	return (unsigned char)(i * 131 + 7) | 1;
}

static void big(const char *cmdline, size_t len, const char *mode, long want_faults,
		long max_new_maps)
{
	const size_t pages = len / PG;
	long anon0, maps0, maps1, faults0, faults, limit = host_max_map_count();
	size_t bad = 0, unmapped = 0;
	unsigned char *p;

	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	anon0 = meminfo_field_kb("AnonPages");
	maps0 = count_mappings();
	p = mmk_mmap(NULL, len, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "%s: mmap %zu MiB", mode, len >> 20);
	CHECK(meminfo_field_kb("AnonPages") == anon0, "%s: mmap alone takes no memory", mode);

	faults0 = vmstat_get("pgfault");
	for (size_t i = 0; i < pages; i++)
		p[i * PG + i % PG] = page_byte(i);
	faults = vmstat_get("pgfault") - faults0;
	maps1 = count_mappings();
	printf("# %s: %zu pages written with %ld faults; host mappings %ld -> %ld (limit %ld)\n",
	       mode, pages, faults, maps0, maps1, limit);
	CHECK(faults == want_faults, "%s: %ld faults, expected %ld (one per %s)", mode, faults,
	      want_faults, want_faults == (long)pages ? "page" : "2 MiB folio");
	CHECK(meminfo_field_kb("AnonPages") - anon0 == (long)(len >> 10),
	      "%s: AnonPages +%zu kB: +%ld", mode, len >> 10, meminfo_field_kb("AnonPages") - anon0);
	CHECK(maps1 - maps0 <= max_new_maps, "%s: %ld new host mappings, at most %ld expected", mode,
	      maps1 - maps0, max_new_maps);
	CHECK(maps1 < limit / 2, "%s: %ld host mappings, far below vm.max_map_count %ld", mode, maps1,
	      limit);
	for (size_t i = 0; i < pages; i++) {
		bad += p[i * PG + i % PG] != page_byte(i);
		bad += p[i * PG + (i + 1) % PG] != 0;
		unmapped += mmk_follow_pfn(p + i * PG) < 0;
	}
	CHECK(bad == 0, "%s: %zu bytes wrong", mode, bad);
	CHECK(unmapped == 0, "%s: %zu written pages have no frame", mode, unmapped);
	CHECK(vmstat_get("pgfault") - faults0 == faults, "%s: verifying takes no fault", mode);
	CHECK(mmk_check(stderr) == 0, "%s: invariants with %zu MiB mapped", mode, len >> 20);

	CHECK(mmk_munmap(p, len) == 0, "%s: munmap", mode);
	CHECK(meminfo_field_kb("AnonPages") == anon0, "%s: AnonPages back to %ld kB: %ld", mode, anon0,
	      meminfo_field_kb("AnonPages"));
	CHECK(count_mappings() <= maps0 + 2, "%s: host mappings back: %d, were %ld", mode,
	      count_mappings(), maps0);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after munmap", mode);
	mmk_shutdown();
}

int main(void)
{
	/* Large folios: 512 folios of 2 MiB, each one host mapping at most. */
	big("mem=1536M", 1UL << 30, "1 GiB, large folios", 512, 600);
	/* Single pages: one fault and at most one host mapping per page. */
	big("mem=256M thp_anon=16K-2M:never", 64UL << 20, "64 MiB, single pages", 16384,
	    16384 + 16);
	harness_exit();
}
