// SPDX-License-Identifier: MIT
/*
 * The vmalloc area trees under churn: random sizes (up to 24 pages, not
 * page multiples) at random alignments (4 KiB to 512 KiB) in a small
 * vmalloc range, random frees, purges at odd moments, and the invariant
 * checker (rb-tree shape, the free tree's "largest below" values, coverage
 * of the range, counters) after every few hundred operations. A free that
 * merges with the free areas on both sides is common here; getting its
 * augmented values wrong once broke lowest-fit (found in review).
 * Each live area also carries a tag, checked before it is freed.
 */
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mmkit.h>

#include "harness.h"

#define SLOTS	3000

static void *live[SLOTS];
static unsigned long live_size[SLOTS];

int main(void)
{
	unsigned long iters = test_scaled(60000), fails = 0, misaligned = 0, bad = 0;
	long problems = 0;

	test_seed();
	REQUIRE(mmk_boot("mem=512M vmalloc=64M") == 0, "boot");
	for (unsigned long it = 0; it < iters; it++) {
		unsigned int i = (unsigned int)(test_rand() % SLOTS);

		if (live[i]) {
			bad += obj_check(live[i], live_size[i], i) != 0;
			vfree(live[i]);
			live[i] = NULL;
		} else {
			unsigned long size = (1 + test_rand() % 24) * PAGE_SIZE - test_rand() % PAGE_SIZE;
			unsigned long align = PAGE_SIZE << (test_rand() % 8);

			live[i] = __vmalloc_node(size, align, GFP_KERNEL | __GFP_NOWARN,
						 NUMA_NO_NODE, NULL);
			if (!live[i]) {
				fails++;
			} else {
				misaligned += ((unsigned long)live[i] & (align - 1)) != 0;
				live_size[i] = size;
				obj_fill(live[i], size, i);
			}
		}
		if (it % 997 == 0)
			vm_unmap_aliases();
		if (it % 499 == 0)
			problems += mmk_check(stderr);
	}
	CHECK(problems == 0, "the checker found %ld problems during the churn", problems);
	CHECK(misaligned == 0, "%lu areas misaligned", misaligned);
	CHECK(bad == 0, "%lu areas lost their contents", bad);
	fprintf(stderr, "# %lu operations, %lu allocations failed (the 64M range is full at times)\n",
		iters, fails);
	for (unsigned int i = 0; i < SLOTS; i++)
		if (live[i]) {
			CHECK(obj_check(live[i], live_size[i], i) == 0, "area %u intact at the end", i);
			vfree(live[i]);
		}
	vm_unmap_aliases();
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
