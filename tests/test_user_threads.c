// SPDX-License-Identifier: MIT
/*
 * Threads faulting user memory at once.
 *
 *   - Same pages: 4 threads walk the same fresh mapping in different
 *     orders (forward, backward, from the middle, shuffled), reading and
 *     writing each page; every thread writes its own bytes of every page
 *     and notes the pfn it sees right after. Afterwards every page has
 *     exactly one frame (the pfn each thread saw is the page's pfn),
 *     AnonPages equals the pages, the frames taken equal the pages plus
 *     page tables, and every page holds every thread's bytes and zeros
 *     elsewhere. Also all threads reading the same fresh pages at once:
 *     the zero page everywhere, no RSS. Rounds are separated by
 *     MADV_DONTNEED, which must give all the frames back.
 *   - Disjoint regions: each thread maps its own regions of random size,
 *     fills them with a pattern, verifies, unmaps, many times.
 *   - Churn: one thread maps, writes, mprotects and unmaps mappings of
 *     random size while the others fault and verify slices of a mapping of
 *     their own and drop them with MADV_DONTNEED.
 * All of it with single pages (thp_anon=16K-2M:never) and with the default
 * large folios (where the threads race on allocating the same folio).
 * mmk_check() is clean after each part and AnonPages is back at 0.
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

static pthread_barrier_t barrier;
static atomic_long errors[NTHREADS];	/* per-thread counts of wrong things */

static void bad(int t, const char *what, size_t where)
{
	if (atomic_fetch_add(&errors[t], 1) < 5)
		fprintf(stderr, "thread %d: %s at %zu\n", t, what, where);
}

static long total_errors(void)
{
	long n = 0;

	for (int t = 0; t < NTHREADS; t++)
		n += atomic_exchange(&errors[t], 0);
	return n;
}

/* A small per-thread xorshift (test_rand() is not thread safe). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- Same pages ----------------------------------------------------------- */

#define SAME_PAGES	1024

struct same {
	unsigned char *p;
	size_t npages;
	long pfn[NTHREADS][SAME_PAGES];
	bool write;
	uint64_t seed;
};

static struct same same;

static unsigned char slot_val(int t, size_t page)
{
	return (unsigned char)(t * 61 + page * 7 + 1) | 1;
}

static size_t slot_off(int t, size_t page)
{
	return (size_t)t * 1024 + page % 1000;
}

static void *same_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	size_t n = same.npages, *order = malloc(n * sizeof(*order));
	uint64_t s = same.seed + (uint64_t)t * 7919 + 1;

	if (!order) {
		bad(t, "malloc", 0);
		pthread_barrier_wait(&barrier);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		switch (t) {
		case 0: order[i] = i; break;
		case 1: order[i] = n - 1 - i; break;
		case 2: order[i] = (i + n / 2) % n; break;
		default: order[i] = i; break;
		}
	}
	if (t == 3)
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd(&s) % (i + 1), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
	pthread_barrier_wait(&barrier);
	for (size_t i = 0; i < n; i++) {
		size_t pg = order[i];
		volatile unsigned char *b = same.p + pg * PG;

		/* Read first on every other page: the zero page may be there,
		 * or another thread's frame; our own slot is still 0. */
		if ((pg + (size_t)t) % 2 == 0 && b[slot_off(t, pg)] != 0)
			bad(t, "own slot not zero before writing", pg);
		if (!same.write) {
			if (b[(pg * 13) % PG] != 0)
				bad(t, "a fresh page does not read zero", pg);
			same.pfn[t][pg] = mmk_follow_pfn((const void *)b);
			continue;
		}
		b[slot_off(t, pg)] = slot_val(t, pg);
		same.pfn[t][pg] = mmk_follow_pfn((const void *)b);
		if (b[slot_off(t, pg)] != slot_val(t, pg))
			bad(t, "own slot lost right after writing", pg);
	}
	free(order);
	return NULL;
}

static void run_threads(void *(*fn)(void *))
{
	pthread_t th[NTHREADS];

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (int t = 0; t < NTHREADS; t++)
		REQUIRE(pthread_create(&th[t], NULL, fn, (void *)(intptr_t)t) == 0, "thread %d", t);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&barrier);
}

static void same_pages(const char *mode)
{
	const size_t n = SAME_PAGES;
	int rounds = (int)test_scaled(12);
	long anon0 = meminfo_field_kb("AnonPages");

	same.p = mmk_mmap(NULL, n * PG, RW, ANON, -1, 0);
	REQUIRE(same.p != MAP_FAILED, "mmap %zu pages", n);
	same.npages = n;
	for (int r = 0; r < rounds; r++) {
		long free0 = (long)settled_free_pages(), pt0 = meminfo_field_kb("PageTables") / 4;
		long one_frame = 0, slots = 0, dirt = 0, zero = 0;
		long zpfn = (long)mmk_zero_pfn();

		same.seed = test_rand();
		/* Every other round starts with all threads reading. */
		if (r % 2) {
			same.write = false;
			run_threads(same_thread);
			CHECK(total_errors() == 0, "%s round %d: concurrent reads", mode, r);
			for (size_t pg = 0; pg < n; pg++) {
				bool z = mmk_follow_pfn(same.p + pg * PG) == zpfn;

				for (int t = 0; t < NTHREADS; t++)
					z &= same.pfn[t][pg] == zpfn;
				zero += z;
			}
			CHECK(zero == (long)n, "%s round %d: concurrent reads map the zero page on all %zu pages: %ld",
			      mode, r, n, zero);
			CHECK(meminfo_field_kb("AnonPages") == anon0, "%s round %d: reads add no RSS: %ld kB",
			      mode, r, meminfo_field_kb("AnonPages") - anon0);
		}
		same.write = true;
		run_threads(same_thread);
		CHECK(total_errors() == 0, "%s round %d: the threads saw their own writes", mode, r);
		for (size_t pg = 0; pg < n; pg++) {
			long pfn = mmk_follow_pfn(same.p + pg * PG);
			const unsigned char *b = same.p + pg * PG;
			bool one = pfn > 0 && pfn != zpfn;
			size_t nz = 0;

			for (int t = 0; t < NTHREADS; t++) {
				one &= same.pfn[t][pg] == pfn;
				slots += b[slot_off(t, pg)] == slot_val(t, pg);
			}
			one_frame += one;
			for (size_t i = 0; i < PG; i++)
				nz += b[i] != 0;
			dirt += nz != NTHREADS;
		}
		CHECK(one_frame == (long)n, "%s round %d: every page has one frame that all threads saw: %ld of %zu",
		      mode, r, one_frame, n);
		CHECK(slots == (long)n * NTHREADS, "%s round %d: every thread's byte is in every page: %ld of %zu",
		      mode, r, slots, n * NTHREADS);
		CHECK(dirt == 0, "%s round %d: %ld pages hold bytes nobody wrote", mode, r, dirt);
		CHECK(meminfo_field_kb("AnonPages") - anon0 == (long)n * 4,
		      "%s round %d: AnonPages +%ld kB, expected +%zu", mode, r,
		      meminfo_field_kb("AnonPages") - anon0, n * 4);
		CHECK(free0 - (long)settled_free_pages() == (long)n + meminfo_field_kb("PageTables") / 4 - pt0,
		      "%s round %d: %ld frames taken for %zu pages and %ld page tables", mode, r,
		      free0 - (long)settled_free_pages(), n, meminfo_field_kb("PageTables") / 4 - pt0);
		CHECK(mmk_check(stderr) == 0, "%s round %d: invariants", mode, r);
		CHECK(mmk_madvise(same.p, n * PG, MADV_DONTNEED) == 0, "DONTNEED");
		CHECK(meminfo_field_kb("AnonPages") == anon0, "%s round %d: all given back", mode, r);
	}
	CHECK(mmk_munmap(same.p, n * PG) == 0, "munmap");
}

/* ---- Disjoint regions --------------------------------------------------------- */

static void *disjoint_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t s = test_seed() + (uint64_t)t * 104729 + 3;
	int iters = (int)test_scaled(300);

	pthread_barrier_wait(&barrier);
	for (int it = 0; it < iters; it++) {
		size_t pages = 1 + rnd(&s) % 64, len = pages * PG;
		unsigned long tag = (unsigned long)t << 20 | (unsigned long)it;
		unsigned char *p = mmk_mmap(NULL, len, RW, ANON, -1, 0);

		if (p == MAP_FAILED) {
			bad(t, "mmap failed", (size_t)it);
			continue;
		}
		for (size_t i = 0; i < len; i += 997)
			if (p[i] != 0) {
				bad(t, "fresh mapping not zero", i);
				break;
			}
		vfill(p, len, tag);
		if (vcheck(p, len, tag))
			bad(t, "pattern damaged", (size_t)it);
		for (size_t i = 0; i < pages; i++)
			if (mmk_follow_pfn(p + i * PG) <= 0 ||
			    mmk_follow_pfn(p + i * PG) == (long)mmk_zero_pfn()) {
				bad(t, "written page without a frame", i);
				break;
			}
		if (it % 3 == 0 && mmk_madvise(p, len / 2, MADV_DONTNEED) == 0) {
			for (size_t i = 0; i < (len / 2 & ~(PG - 1)); i += 331)
				if (p[i] != 0) {
					bad(t, "not zero after DONTNEED", i);
					break;
				}
			vfill(p, len, tag + 1);
			if (vcheck(p, len, tag + 1))
				bad(t, "pattern after DONTNEED damaged", (size_t)it);
		}
		if (mmk_munmap(p, len))
			bad(t, "munmap failed", (size_t)it);
	}
	return NULL;
}

/* ---- Churn ------------------------------------------------------------------ */

#define SLICE_PAGES	96

static unsigned char *churn_area;
static atomic_int churn_stop;

static void *churn_thread(void *arg)
{
	int t = (int)(intptr_t)arg;
	uint64_t s = test_seed() + (uint64_t)t * 15485863 + 5;

	pthread_barrier_wait(&barrier);
	if (t == 0) {
		int iters = (int)test_scaled(400);
		unsigned char *keep[8] = { 0 };
		size_t keep_len[8] = { 0 };

		for (int it = 0; it < iters; it++) {
			int k = (int)(rnd(&s) % 8);
			size_t len = (1 + rnd(&s) % 48) * PG;

			if (keep[k]) {
				if (keep[k][0] != (unsigned char)k + 1 ||
				    keep[k][keep_len[k] - 1] != (unsigned char)k + 1)
					bad(t, "churned mapping lost its data", (size_t)it);
				if (mmk_munmap(keep[k], keep_len[k]))
					bad(t, "munmap", (size_t)it);
				keep[k] = NULL;
				continue;
			}
			keep[k] = mmk_mmap(NULL, len, RW, ANON | (it % 5 == 0 ? MAP_POPULATE : 0), -1, 0);
			if (keep[k] == MAP_FAILED) {
				keep[k] = NULL;
				bad(t, "mmap", (size_t)it);
				continue;
			}
			keep_len[k] = len;
			memset(keep[k], k + 1, len);
			if (it % 4 == 0 && len > 2 * PG) {
				if (mmk_mprotect(keep[k] + PG, PG, PROT_READ) ||
				    mmk_mprotect(keep[k] + PG, PG, RW))
					bad(t, "mprotect", (size_t)it);
			}
		}
		for (int k = 0; k < 8; k++)
			if (keep[k])
				mmk_munmap(keep[k], keep_len[k]);
		atomic_store(&churn_stop, 1);
		return NULL;
	}
	{
		unsigned char *mine = churn_area + (size_t)(t - 1) * SLICE_PAGES * PG;
		unsigned long tag = (unsigned long)t;

		while (!atomic_load(&churn_stop)) {
			size_t first = rnd(&s) % SLICE_PAGES, n = 1 + rnd(&s) % (SLICE_PAGES - first);

			tag++;
			for (size_t i = first; i < first + n; i++)
				*(unsigned long *)(mine + i * PG + 8 * (size_t)t) = tag ^ i;
			for (size_t i = first; i < first + n; i++)
				if (*(unsigned long *)(mine + i * PG + 8 * (size_t)t) != (tag ^ i)) {
					bad(t, "slice page lost its word", i);
					break;
				}
			if (tag % 3 == 0) {
				if (mmk_madvise(mine + first * PG, n * PG, MADV_DONTNEED))
					bad(t, "DONTNEED", first);
				else if (*(volatile unsigned long *)(mine + first * PG + 8 * (size_t)t) != 0)
					bad(t, "not zero after DONTNEED", first);
			}
		}
	}
	return NULL;
}

static void part(const char *cmdline, const char *mode)
{
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	same_pages(mode);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the same-page races", mode);

	run_threads(disjoint_thread);
	CHECK(total_errors() == 0, "%s: disjoint regions", mode);
	CHECK(meminfo_field_kb("AnonPages") == 0, "%s: AnonPages 0 after the disjoint regions: %ld kB",
	      mode, meminfo_field_kb("AnonPages"));
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the disjoint regions", mode);

	churn_area = mmk_mmap(NULL, (NTHREADS - 1) * SLICE_PAGES * PG, RW, ANON, -1, 0);
	REQUIRE(churn_area != MAP_FAILED, "mmap the slices");
	atomic_store(&churn_stop, 0);
	run_threads(churn_thread);
	CHECK(total_errors() == 0, "%s: churn", mode);
	CHECK(mmk_munmap(churn_area, (NTHREADS - 1) * SLICE_PAGES * PG) == 0, "munmap the slices");
	CHECK(meminfo_field_kb("AnonPages") == 0, "%s: AnonPages 0 at the end: %ld kB", mode,
	      meminfo_field_kb("AnonPages"));
	CHECK(mmk_check(stderr) == 0, "%s: invariants at the end", mode);
	mmk_shutdown();
}

int main(void)
{
	test_seed();
	part("mem=256M thp_anon=16K-2M:never", "single pages");
	part("mem=256M", "large folios");
	harness_exit();
}
