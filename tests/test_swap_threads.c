// SPDX-License-Identifier: MIT
/*
 * Data integrity under heavy swapping: threads write and verify pages while
 * kswapd (and direct reclaim) push other pages of theirs out.
 *
 * A 32 MiB machine with a 128 MiB swap file; 4 threads each own a quarter
 * of a 96 MiB mapping (3x RAM). Each thread first writes every page of its
 * region with a stamp of (thread, page index, generation) over the whole
 * page, then, many times, picks a random page, verifies all of it against
 * the generation it last wrote there, and rewrites every other one with
 * the next generation; a final pass verifies every page. Every page
 * verified must hold exactly its stamp: zero mismatches, across swap-out,
 * swap-in, readahead, the swap cache and the accessed-bit faults.
 *
 * The pressure must be real: pswpout and pswpin moved and kswapd scanned.
 * mmk_check() is clean with the memory mapped and after munmap, when every
 * slot is free again.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define NTHREADS	4
#define RAM		(32UL << 20)
#define TOTAL		(3 * RAM)
#define REGION		(TOTAL / NTHREADS)
#define REGION_PAGES	(REGION / PG)

static unsigned char *area;
static unsigned long ops;			/* random page visits per thread */
static atomic_long mismatches, verified;

static uint64_t stamp(int t, size_t page, uint32_t gen, size_t w)
{
	uint64_t x = ((uint64_t)t << 56) ^ ((uint64_t)page << 24) ^ gen;

	return x ^ (w * 0x9e3779b97f4a7c15ull) ^ (x * 0xff51afd7ed558ccdull >> 7);
}

static void write_page(unsigned char *pg, int t, size_t page, uint32_t gen)
{
	uint64_t *w = (uint64_t *)pg;

	for (size_t i = 0; i < PG / 8; i++)
		w[i] = stamp(t, page, gen, i);
}

static void verify_page(const unsigned char *pg, int t, size_t page, uint32_t gen)
{
	const uint64_t *w = (const uint64_t *)pg;
	size_t bad = 0, first = 0;

	for (size_t i = 0; i < PG / 8; i++)
		if (w[i] != stamp(t, page, gen, i) && !bad++)
			first = i;
	atomic_fetch_add(&verified, 1);
	if (bad && atomic_fetch_add(&mismatches, 1) < 10)
		fprintf(stderr, "thread %d page %zu (gen %u): %zu words differ, first %zu: %#llx, expected %#llx\n",
			t, page, gen, bad, first, (unsigned long long)w[first],
			(unsigned long long)stamp(t, page, gen, first));
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	unsigned char *mine = area + (size_t)t * REGION;
	uint32_t *gen = calloc(REGION_PAGES, sizeof(*gen));
	uint64_t s = test_seed() * 2654435761u + (uint64_t)t * 40503 + 1;

	if (!gen) {
		atomic_fetch_add(&mismatches, 1000000);
		return NULL;
	}
	for (size_t i = 0; i < REGION_PAGES; i++) {
		gen[i] = 1;
		write_page(mine + i * PG, t, i, 1);
	}
	for (unsigned long k = 0; k < ops; k++) {
		uint64_t r = rnd(&s);
		size_t i = (size_t)(r % REGION_PAGES);

		verify_page(mine + i * PG, t, i, gen[i]);
		if (r >> 40 & 1)
			write_page(mine + i * PG, t, i, ++gen[i]);
	}
	for (size_t i = 0; i < REGION_PAGES; i++)
		verify_page(mine + i * PG, t, i, gen[i]);
	free(gen);
	return NULL;
}

int main(void)
{
	const char *path = test_tmp_path("swapfile");
	long out0, in0, kscan0, steal0, swap_kb;
	pthread_t th[NTHREADS];
	char cmdline[1200];

	test_seed();
	snprintf(cmdline, sizeof(cmdline), "mem=32M swap=%s:128M", path);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	swap_kb = meminfo_field_kb("SwapTotal");
	CHECK(swap_kb > 0, "swap is on: SwapTotal %ld kB", swap_kb);
	out0 = vmstat_get("pswpout");
	in0 = vmstat_get("pswpin");
	kscan0 = vmstat_get("pgscan_kswapd");
	steal0 = vmstat_get("pgsteal_kswapd") + vmstat_get("pgsteal_direct");

	ops = test_scaled(6000);
	area = mmk_mmap(NULL, TOTAL, RW, ANON | MAP_NORESERVE, -1, 0);
	REQUIRE(area != MAP_FAILED, "mmap 96 MiB");
	for (int t = 0; t < NTHREADS; t++)
		REQUIRE(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0, "thread %d", t);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);

	CHECK(atomic_load(&mismatches) == 0, "%ld of %ld pages verified held something else",
	      atomic_load(&mismatches), atomic_load(&verified));
	CHECK(atomic_load(&verified) == (long)(NTHREADS * (REGION_PAGES + ops)),
	      "every visit verified a page: %ld", atomic_load(&verified));
	printf("# %ld pages verified; pswpout %+ld, pswpin %+ld, pgscan_kswapd %+ld, pgsteal %+ld\n",
	       atomic_load(&verified), vmstat_get("pswpout") - out0, vmstat_get("pswpin") - in0,
	       vmstat_get("pgscan_kswapd") - kscan0,
	       vmstat_get("pgsteal_kswapd") + vmstat_get("pgsteal_direct") - steal0);
	CHECK(vmstat_get("pswpout") > out0, "the pressure was real: pswpout %+ld",
	      vmstat_get("pswpout") - out0);
	CHECK(vmstat_get("pswpin") > in0, "pages came back from swap: pswpin %+ld",
	      vmstat_get("pswpin") - in0);
	CHECK(vmstat_get("pgscan_kswapd") > kscan0, "kswapd reclaimed: pgscan_kswapd %+ld",
	      vmstat_get("pgscan_kswapd") - kscan0);
	CHECK(vmstat_get("pgsteal_kswapd") + vmstat_get("pgsteal_direct") > steal0,
	      "pages were stolen by reclaim");
	CHECK(meminfo_field_kb("SwapFree") < swap_kb, "swap in use while mapped: SwapFree %ld kB",
	      meminfo_field_kb("SwapFree"));
	CHECK(mmk_check(stderr) == 0, "invariants with the memory mapped");

	CHECK(mmk_munmap(area, TOTAL) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants after munmap");
	CHECK(meminfo_field_kb("SwapFree") == swap_kb, "every slot free after munmap: SwapFree %ld of %ld kB",
	      meminfo_field_kb("SwapFree"), swap_kb);
	CHECK(meminfo_field_kb("SwapCached") == 0, "SwapCached %ld kB after munmap",
	      meminfo_field_kb("SwapCached"));
	CHECK(meminfo_field_kb("AnonPages") == 0, "AnonPages %ld kB after munmap",
	      meminfo_field_kb("AnonPages"));
	mmk_shutdown();
	harness_exit();
}
