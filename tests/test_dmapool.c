// SPDX-License-Identifier: MIT
/*
 * DMA pools (small coherent blocks carved from dma_alloc_coherent pages)
 * and boot-time reservation (an early initcall that takes memory from
 * memblock before the buddy allocator exists).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>

#include "harness.h"

#define NBLK	300

static void test_pool(struct device *dev)
{
	struct dma_pool *pool = dma_pool_create("desc", dev, 100, 64, 1024);
	void *blk[NBLK];
	dma_addr_t h[NBLK];
	const char *out;
	unsigned long bad = 0;

	REQUIRE(pool, "dma_pool_create");
	for (int i = 0; i < NBLK; i++) {
		blk[i] = dma_pool_alloc(pool, GFP_KERNEL, &h[i]);
		REQUIRE(blk[i], "block %d", i);
		CHECK(((unsigned long)blk[i] & 63) == 0, "block %d aligned to 64", i);
		CHECK(h[i] == virt_to_phys(blk[i]), "block %d: its bus address is its physical one", i);
		CHECK(h[i] / 1024 == (h[i] + 128 - 1) / 1024,
		      "block %d does not cross a 1024-byte boundary", i);
		memset(blk[i], i & 0xff, 100);
	}
	for (int i = 0; i < NBLK; i++)
		for (int j = 0; j < 100; j++)
			bad += ((unsigned char *)blk[i])[j] != (i & 0xff);
	CHECK(bad == 0, "blocks do not overlap (%lu bytes changed)", bad);

	/* Bad frees: reported, the pool unchanged. */
	capture_start();
	dma_pool_free(pool, (char *)blk[5] + 8, h[5] + 8);
	out = capture_end();
	CHECK(strstr(out, "dma_pool_free desc") && strstr(out, "not the start of a block"),
	      "a pointer inside a block; got:\n%s", out);
	capture_start();
	dma_pool_free(pool, blk[6], h[7]);
	out = capture_end();
	CHECK(strstr(out, "(bad dma)") != NULL, "a mismatched bus address; got:\n%s", out);
	{
		char local[16];

		capture_start();
		dma_pool_free(pool, local, 0);
		out = capture_end();
		CHECK(strstr(out, "(bad vaddr)") != NULL, "a pointer from elsewhere; got:\n%s", out);
	}
	dma_pool_free(pool, blk[9], h[9]);
	capture_start();
	dma_pool_free(pool, blk[9], h[9]);
	out = capture_end();
	CHECK(strstr(out, "already free") != NULL, "a double free; got:\n%s", out);
	for (int i = 0; i < NBLK; i++)
		if (i != 9)
			for (int j = 0; j < 100; j++)
				bad += ((unsigned char *)blk[i])[j] != (i & 0xff);
	CHECK(bad == 0, "the bad frees changed no live block");

	/* Reuse, zalloc. */
	{
		dma_addr_t hz;
		unsigned char *z = dma_pool_zalloc(pool, GFP_KERNEL, &hz);

		REQUIRE(z, "zalloc");
		CHECK(hz == virt_to_phys(z), "a zalloc'ed block has its bus address too");
		for (int j = 0; j < 100; j++)
			bad += z[j] != 0;
		CHECK(bad == 0, "dma_pool_zalloc zeroes");
		blk[9] = z;
	}

	/* Destroy with blocks in use: busy, reported. */
	capture_start();
	dma_pool_destroy(pool);
	out = capture_end();
	CHECK(strstr(out, "dma_pool_destroy desc") && strstr(out, "busy"),
	      "destroying a pool with blocks out is reported; got:\n%.300s", out);

	pool = dma_pool_create("desc2", dev, 32, 8, 0);
	REQUIRE(pool, "second pool");
	for (int i = 0; i < NBLK; i++)
		blk[i] = dma_pool_alloc(pool, GFP_KERNEL, &h[i]);
	for (int i = 0; i < NBLK; i++)
		dma_pool_free(pool, blk[i], h[i]);
	capture_start();
	dma_pool_destroy(pool);
	out = capture_end();
	CHECK(out[0] == '\0', "a pool with every block back is destroyed quietly; got:\n%s", out);
	capture_start();
	CHECK(dma_pool_create("bad", dev, 64, 3, 0) == NULL, "a non-power-of-two alignment is refused");
	out = capture_end();
	CHECK(strstr(out, "dma_pool_create bad: bad arguments") != NULL, "with a warning; got:\n%s", out);
}

/* ---- Early initcalls ---------------------------------------------------- */

static unsigned char *early_buf;
static phys_addr_t early_phys;
static int early_calls;

__attribute__((visibility("default"))) int grab_early(void);
__attribute__((visibility("default"))) int grab_early(void)
{
	early_calls++;
	early_buf = memblock_alloc(8UL << 20, PAGE_SIZE);
	return early_buf ? 0 : -12;
}

__attribute__((visibility("default"))) int failing_early(void);
__attribute__((visibility("default"))) int failing_early(void)
{
	return -19;
}

static void test_early(void)
{
	const char *out;
	char *io = NULL;
	size_t len = 0;
	FILE *f;
	unsigned long nonzero = 0;
	struct device *dev;

	CHECK(mmk_early_initcall(grab_early) == 0 && mmk_early_initcall(failing_early) == 0,
	      "early initcalls register before boot");
	CHECK(mmk_early_initcall(NULL) != 0, "a NULL initcall is refused");
	capture_start();
	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	out = capture_end();
	CHECK(early_calls == 1 && early_buf != NULL, "the initcall ran once and got 8 MiB");
	CHECK(strstr(out, "initcall failing_early") && strstr(out, "returned -19"),
	      "a failing initcall is reported and the boot goes on; got:\n%s", out);
	early_phys = virt_to_phys(early_buf);
	for (size_t i = 0; i < (8UL << 20); i++)
		nonzero += early_buf[i] != 0;
	CHECK(nonzero == 0, "boot memory is zeroed");
	CHECK(early_phys % PAGE_SIZE == 0 && virt_to_phys(early_buf + (8UL << 20) - 1) ==
	      early_phys + (8UL << 20) - 1, "one physically contiguous run");
	f = open_memstream(&io, &len);
	REQUIRE(f && mmk_report("iomem", f) == 0, "iomem");
	fclose(f);
	{
		char want[64];

		snprintf(want, sizeof(want), "%08llx-%08llx : memblock_alloc",
			 (unsigned long long)early_phys,
			 (unsigned long long)(early_phys + (8UL << 20) - 1));
		CHECK(strstr(io, want) != NULL, "iomem shows the reservation '%s'; got:\n%s", want, io);
	}
	free(io);
	/* A device can fill it: bus address = physical address. */
	dev = mmk_dma_device_create("early", DMA_BIT_MASK(32));
	REQUIRE(dev, "device");
	{
		struct mmk_dma_seg seg = { early_phys, 8UL << 20 };
		struct mmk_dma_cmd cmd = { .kind = MMK_DMA_FILL, .dst = &seg, .dst_nents = 1, .fill = 0x3c };

		CHECK(mmk_dma_run(dev, &cmd) == 0 && early_buf[(8UL << 20) - 1] == 0x3c,
		      "the device filled the boot buffer");
	}
	test_pool(dev);
	mmk_dma_device_destroy(dev);
	/* memblock after boot is a bug, said plainly. */
	capture_start();
	CHECK(memblock_alloc(4096, 0) == NULL, "memblock_alloc after boot fails");
	out = capture_end();
	CHECK(strstr(out, "memblock_alloc() called after the buddy allocator took over RAM") != NULL,
	      "and says why; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
}

int main(void)
{
	test_seed();
	test_early();
	harness_exit();
}
