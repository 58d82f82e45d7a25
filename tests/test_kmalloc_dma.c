// SPDX-License-Identifier: MIT
/*
 * kmalloc's zone and placement flags. GFP_DMA requests are served by the
 * dma-kmalloc-* caches, whose slabs come from ZONE_DMA, so every byte of
 * every object lies below dma_zone (16M), for each size class and for a
 * large kmalloc, even after the first slab fills up; ordinary requests on a
 * machine with plenty of Normal memory do not take DMA memory. Requests with
 * __GFP_RECLAIMABLE come from kmalloc-rcl-*, counted in meminfo's
 * SReclaimable; GFP_DMA wins over __GFP_RECLAIMABLE, as in Linux.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define DMA_LIMIT	(16UL << 20)
#define PER_SIZE	70	/* more than one slab's worth for most classes */

static void *objs[PER_SIZE];

static void dma_sizes(gfp_t gfp, const char *what)
{
	static const size_t sizes[] = {
		8, 16, 24, 32, 64, 70, 96, 128, 150, 192, 256, 512, 1024, 2048, 4096,
		8192, 20000, 128 << 10,
	};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		int per = n > 8192 ? 3 : PER_SIZE;

		for (int i = 0; i < per; i++) {
			unsigned char *p = objs[i] = kmalloc(n, gfp);

			CHECK(p != NULL, "%s kmalloc(%zu) #%d", what, n, i);
			if (!p) {
				per = i;
				break;
			}
			CHECK(virt_to_phys(p + n - 1) < DMA_LIMIT,
			      "%s kmalloc(%zu) #%d = %p ends at phys %#llx, above ZONE_DMA",
			      what, n, i, (void *)p,
			      (unsigned long long)virt_to_phys(p + n - 1));
			memset(p, 0xd0, n);
		}
		for (int i = 0; i < per; i++)
			kfree(objs[i]);
	}
}

static void normal_not_dma(void)
{
	static const size_t sizes[] = { 8, 64, 192, 1024, 8192, 20000 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		void *p = kmalloc(sizes[s], GFP_KERNEL);

		REQUIRE(p, "kmalloc(%zu)", sizes[s]);
		CHECK(virt_to_phys(p) >= DMA_LIMIT,
		      "GFP_KERNEL kmalloc(%zu) = phys %#llx spends ZONE_DMA with Normal free",
		      sizes[s], (unsigned long long)virt_to_phys(p));
		kfree(p);
	}
}

static void reclaimable(void)
{
	enum { N = 2000 };
	static void *r[N];
	long srec0 = meminfo_field_kb("SReclaimable"), srec1, srec2;
	struct slabinfo_line l;

	REQUIRE(srec0 >= 0, "meminfo has SReclaimable");
	for (int i = 0; i < N; i++) {
		r[i] = kmalloc(256, GFP_KERNEL | __GFP_RECLAIMABLE);
		REQUIRE(r[i], "reclaimable kmalloc(256) #%d", i);
		CHECK(ksize(r[i]) == 256, "ksize %zu", ksize(r[i]));
		obj_fill(r[i], 256, (unsigned long)i);
	}
	srec1 = meminfo_field_kb("SReclaimable");
	/* 2000 x 256 bytes is 500 KiB of slabs, at least. */
	CHECK(srec1 - srec0 >= 500, "SReclaimable grows by the objects: %ld -> %ld kB",
	      srec0, srec1);
	CHECK(slabinfo_get("kmalloc-rcl-256", &l) == 0 && l.active_objs >= N,
	      "slabinfo shows them in kmalloc-rcl-256 (%lu active)", l.active_objs);
	for (int i = 0; i < N; i++)
		CHECK(obj_check(r[i], 256, (unsigned long)i) == 0, "reclaimable object %d intact", i);
	for (int i = 0; i < N; i++)
		kfree(r[i]);
	srec2 = meminfo_field_kb("SReclaimable");
	CHECK(srec2 < srec1, "and shrinks when they are freed: %ld -> %ld kB", srec1, srec2);

	/* GFP_DMA | __GFP_RECLAIMABLE: the zone decides, as in Linux. */
	for (int i = 0; i < 10; i++) {
		r[i] = kmalloc(64, GFP_KERNEL | GFP_DMA | __GFP_RECLAIMABLE);
		REQUIRE(r[i], "kmalloc(64, DMA | RECLAIMABLE)");
		CHECK(virt_to_phys(r[i]) < DMA_LIMIT, "DMA wins over RECLAIMABLE");
	}
	for (int i = 0; i < 10; i++)
		kfree(r[i]);
}

int main(void)
{
	struct slabinfo_line l;

	REQUIRE(mmk_boot("mem=256M") == 0, "boot");
	dma_sizes(GFP_KERNEL | GFP_DMA, "GFP_KERNEL | GFP_DMA");
	dma_sizes(GFP_DMA, "GFP_DMA");
	dma_sizes(GFP_ATOMIC | GFP_DMA, "GFP_ATOMIC | GFP_DMA");
	CHECK(slabinfo_get("dma-kmalloc-64", &l) == 0 && l.num_objs > 0,
	      "dma-kmalloc-64 holds the DMA objects");
	normal_not_dma();
	reclaimable();
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
