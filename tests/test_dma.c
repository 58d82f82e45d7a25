// SPDX-License-Identifier: MIT
/*
 * The DMA API against mmkit's bus-master device, every byte checked
 * through the CPU's own view of the same memory (the direct map, or the
 * vmalloc mapping of the same frames).
 *
 *   copy     a 32-bit device copies between two kmalloc buffers mapped
 *            with dma_map_single, fills, and checksums (its Adler-32 equals
 *            one computed on the CPU, and zlib's for a known string);
 *   irq      completions run in interrupt context on another thread, one
 *            at a time, in submission order;
 *   page/sg  dma_map_page with an offset; a 4 MiB vmalloc buffer mapped
 *            page by page with dma_map_sg (sg_set_page + vmalloc_to_page)
 *            is read, copied and written whole;
 *   bounce   a 24-bit device reaches memory above 16 MiB only through
 *            swiotlb: it reads the original's bytes, its writes reach the
 *            original at unmap or sync_for_cpu and not before, and a raw
 *            physical address beyond its mask is a bus error that writes
 *            nothing; the 4 MiB vmalloc copy again, through bounce buffers;
 *   masks    dma_set_mask below 24 bits fails; narrowing a 32-bit device
 *            to 24 bits makes its mappings of high buffers bounce;
 *   coherent zeroed, its bus address its physical one, within the mask;
 *            8 MiB from the CMA area (CmaFree down, then back), even when
 *            the buddy allocator has no order-1 block left;
 *   destroy  mmk_dma_device_destroy() returns only after every queued
 *            command's handler ran.
 *
 * Each part ends with mmk_check() clean and as many free pages as before
 * it (the swiotlb area, set up by the first device, is taken before the
 * count starts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mmkit/linux.h>

#include "harness.h"

#define SZ_1M		(1UL << 20)
#define SZ_16M		(16UL << 20)
#define VBUF		(4 * SZ_1M)		/* the vmalloc buffers */
#define VPAGES		(VBUF / PAGE_SIZE)

static unsigned long base_free;

/*
 * Free pages plus the slab caches' pages: a device's descriptor reserve
 * and the debug records come from kmalloc, whose caches may keep an empty
 * slab or give it back; either way the sum is the same unless pages
 * leaked (a leaked small object is left to the checks of the DMA-API
 * debug table).
 */
static unsigned long free_and_slab_pages(void)
{
	unsigned long free = settled_free_pages();

	return free + (unsigned long)meminfo_field_kb("Slab") / 4;
}
static bool counting;		/* the second run of a part: count pages */

/* ---- Helpers ------------------------------------------------------------ */

/* Adler-32 as zlib defines it, computed by the CPU. */
static uint32_t adler32(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint32_t a = 1, b = 0;

	for (size_t i = 0; i < len; i++) {
		a = (a + c[i]) % 65521;
		b = (b + a) % 65521;
	}
	return (b << 16) | a;
}

static void rand_fill(void *p, size_t len)
{
	unsigned char *c = p;

	for (size_t i = 0; i < len; i += 8) {
		unsigned long long r = test_rand();

		memcpy(c + i, &r, len - i < 8 ? len - i : 8);
	}
}

/* How many of @len bytes at @p are not @v. */
static size_t count_not(const void *p, size_t len, unsigned char v)
{
	const unsigned char *c = p;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += c[i] != v;
	return n;
}

static struct device *new_device(const char *name, uint64_t mask)
{
	struct device *dev = mmk_dma_device_create(name, mask);

	REQUIRE(dev != NULL, "mmk_dma_device_create(%s, %#llx)", name,
		(unsigned long long)mask);
	return dev;
}

static int run1(struct device *dev, struct mmk_dma_cmd *cmd, enum mmk_dma_kind kind,
		struct mmk_dma_seg *src, unsigned int ns, struct mmk_dma_seg *dst,
		unsigned int nd, unsigned char fill)
{
	*cmd = (struct mmk_dma_cmd){ .kind = kind, .src = src, .src_nents = ns,
				     .dst = dst, .dst_nents = nd, .fill = fill };
	/* Values the device must overwrite. */
	cmd->status = 12345;
	cmd->bytes = (size_t)-1;
	cmd->bad_addr = 0xdeadbeef;
	return mmk_dma_run(dev, cmd);
}

static void part_end(const char *part)
{
	unsigned long now;

	CHECK(mmk_check(stderr) == 0, "%s: invariants hold", part);
	if (!counting)
		return;
	now = free_and_slab_pages();
	CHECK(now == base_free, "%s: %lu pages free or in slabs after, %lu at the start", part,
	      now, base_free);
}

/* An sg table over the pages of the vmalloc buffer @v: entries @first
 * up to @first + @n, one page each. */
static void sg_vmalloc(struct scatterlist *sgl, const char *v, unsigned long first,
		       unsigned long n)
{
	sg_init_table(sgl, (unsigned int)n);
	for (unsigned long i = 0; i < n; i++)
		sg_set_page(&sgl[i], vmalloc_to_page(v + (first + i) * PAGE_SIZE),
			    (unsigned int)PAGE_SIZE, 0);
}

static void sg_segs(struct scatterlist *sgl, int n, struct mmk_dma_seg *segs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, n, i)
		segs[i] = (struct mmk_dma_seg){ sg_dma_address(sg), sg_dma_len(sg) };
}

/* ---- copy, fill, checksum --------------------------------------------- */

#define CBUF	(64UL << 10)

static void part_copy(void)
{
	struct device *dev = new_device("copy32", DMA_BIT_MASK(32));
	unsigned char *src = kmalloc(CBUF, GFP_KERNEL), *dst = kmalloc(CBUF, GFP_KERNEL);
	static const char wiki[] = "Wikipedia";
	struct mmk_dma_seg ss[2], ds;
	struct mmk_dma_cmd cmd;
	const size_t len = 40000;	/* not a whole number of pages */
	dma_addr_t s, d;
	char *w;

	REQUIRE(src && dst, "two 64 KiB kmalloc buffers");
	rand_fill(src, CBUF);
	memset(dst, 0xaa, CBUF);

	/* COPY: every byte arrives, and only those. */
	s = dma_map_single(dev, src, len, DMA_TO_DEVICE);
	d = dma_map_single(dev, dst, len, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s) && !dma_mapping_error(dev, d), "both map");
	CHECK(s == virt_to_phys(src) && d == virt_to_phys(dst),
	      "a 32-bit device is given the physical addresses (no bounce)");
	ss[0] = (struct mmk_dma_seg){ s, len };
	ds = (struct mmk_dma_seg){ d, len };
	CHECK(run1(dev, &cmd, MMK_DMA_COPY, ss, 1, &ds, 1, 0) == 0, "the copy succeeds");
	CHECK(cmd.status == 0, "status 0: %d", cmd.status);
	CHECK(cmd.bytes == len, "bytes = %zu: %zu", len, cmd.bytes);
	dma_unmap_single(dev, s, len, DMA_TO_DEVICE);
	dma_unmap_single(dev, d, len, DMA_FROM_DEVICE);
	CHECK(memcmp(dst, src, len) == 0, "every copied byte arrived");
	CHECK(count_not(dst + len, CBUF - len, 0xaa) == 0, "nothing past the mapping changed");

	/* A gather: two source segments become one stream. */
	memset(dst, 0xaa, CBUF);
	s = dma_map_single(dev, src, CBUF, DMA_TO_DEVICE);
	d = dma_map_single(dev, dst, 4000, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s) && !dma_mapping_error(dev, d), "both map");
	ss[0] = (struct mmk_dma_seg){ s, 1000 };
	ss[1] = (struct mmk_dma_seg){ s + 5000, 3000 };
	ds = (struct mmk_dma_seg){ d, 4000 };
	CHECK(run1(dev, &cmd, MMK_DMA_COPY, ss, 2, &ds, 1, 0) == 0 && cmd.bytes == 4000,
	      "a two-segment gather moves 4000 bytes: status %d, %zu", cmd.status, cmd.bytes);
	dma_unmap_single(dev, s, CBUF, DMA_TO_DEVICE);
	dma_unmap_single(dev, d, 4000, DMA_FROM_DEVICE);
	CHECK(memcmp(dst, src, 1000) == 0 && memcmp(dst + 1000, src + 5000, 3000) == 0,
	      "the segments arrive one after the other");
	CHECK(count_not(dst + 4000, CBUF - 4000, 0xaa) == 0, "and nothing else");

	/* FILL at an offset inside the buffer. */
	d = dma_map_single(dev, dst + 100, 10000, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, d), "map");
	CHECK(d == virt_to_phys(dst) + 100, "the bus address keeps the offset");
	ds = (struct mmk_dma_seg){ d, 10000 };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &ds, 1, 0x5c) == 0 && cmd.bytes == 10000,
	      "the fill succeeds: status %d, %zu bytes", cmd.status, cmd.bytes);
	dma_unmap_single(dev, d, 10000, DMA_FROM_DEVICE);
	CHECK(count_not(dst + 100, 10000, 0x5c) == 0, "the fill reached every byte");
	CHECK(dst[99] == src[99] && dst[10100] == 0xaa, "and not one more on either side");

	/* CHECKSUM: the device's Adler-32 is the CPU's over the same bytes. */
	s = dma_map_single(dev, src, CBUF, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s), "map");
	ss[0] = (struct mmk_dma_seg){ s, CBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, ss, 1, NULL, 0, 0) == 0 && cmd.bytes == CBUF,
	      "the checksum reads 64 KiB: status %d, %zu", cmd.status, cmd.bytes);
	CHECK(cmd.checksum == adler32(src, CBUF), "device %#x, CPU %#x", cmd.checksum,
	      adler32(src, CBUF));
	dma_unmap_single(dev, s, CBUF, DMA_TO_DEVICE);

	/* ...and zlib's: adler32("Wikipedia") = 0x11e60398. */
	w = kmalloc(16, GFP_KERNEL);
	REQUIRE(w, "kmalloc(16)");
	memcpy(w, wiki, 9);
	s = dma_map_single(dev, w, 9, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s), "map");
	ss[0] = (struct mmk_dma_seg){ s, 9 };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, ss, 1, NULL, 0, 0) == 0, "checksum");
	CHECK(cmd.checksum == 0x11e60398 && adler32(wiki, 9) == 0x11e60398,
	      "Adler-32 of \"Wikipedia\": device %#x, CPU %#x", cmd.checksum, adler32(wiki, 9));
	dma_unmap_single(dev, s, 9, DMA_TO_DEVICE);

	kfree(w);
	kfree(src);
	kfree(dst);
	mmk_dma_device_destroy(dev);
	part_end("copy");
}

/* ---- Interrupt context ---------------------------------------------------- */

#define NQ	200
#define QSLOT	16

static struct {
	int count;			/* handlers run (release: the rest) */
	int order[NQ];			/* their commands, in completion order */
	int not_irq;			/* handlers not in interrupt context */
	int on_submitter;		/* handlers on the submitting thread */
	int bad_result;
	int overlap;			/* a handler began while one ran */
	int running;
	pthread_t submitter;
} qlog;

static void q_complete(struct device *dev, struct mmk_dma_cmd *cmd)
{
	int n = __atomic_load_n(&qlog.count, __ATOMIC_RELAXED);

	(void)dev;
	if (__atomic_fetch_add(&qlog.running, 1, __ATOMIC_ACQ_REL))
		qlog.overlap++;
	if (n < NQ)
		qlog.order[n] = (int)(intptr_t)cmd->priv;
	/* In one hardirq, not nested in the previous handler's. */
	if (!in_interrupt() || !in_hardirq() || in_task() ||
	    (preempt_count() & 0x000f0000U) != HARDIRQ_OFFSET)
		qlog.not_irq++;
	if (pthread_equal(pthread_self(), qlog.submitter))
		qlog.on_submitter++;
	if (cmd->status != 0 || cmd->bytes != QSLOT)
		qlog.bad_result++;
	__atomic_fetch_sub(&qlog.running, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&qlog.count, n + 1, __ATOMIC_RELEASE);
}

static void wait_count(const int *count, int n)
{
	struct timespec ts = { 0, 200000 };

	/* No time limit: a hang is check.sh's timeout, not a flaky assert. */
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		nanosleep(&ts, NULL);
}

static void part_irq(void)
{
	struct device *dev = new_device("irq32", DMA_BIT_MASK(32));
	static struct mmk_dma_cmd cmds[NQ];
	static struct mmk_dma_seg segs[NQ];
	unsigned char *buf = kmalloc(NQ * QSLOT, GFP_KERNEL);
	int misordered = 0, err = 0;
	size_t wrong = 0;
	dma_addr_t d;

	REQUIRE(buf, "kmalloc");
	memset(buf, 0, NQ * QSLOT);
	memset(&qlog, 0, sizeof(qlog));
	qlog.submitter = pthread_self();
	d = dma_map_single(dev, buf, NQ * QSLOT, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, d), "map");
	/* All queued at once: each fills its own slot with its number. */
	for (int i = 0; i < NQ; i++) {
		segs[i] = (struct mmk_dma_seg){ d + (dma_addr_t)i * QSLOT, QSLOT };
		cmds[i] = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &segs[i],
						.dst_nents = 1, .fill = (unsigned char)(i + 1),
						.complete = q_complete,
						.priv = (void *)(intptr_t)i };
		err |= mmk_dma_submit(dev, &cmds[i]);
	}
	CHECK(err == 0, "every submit queued");
	CHECK(in_task() && !in_interrupt(), "the submitter stays in task context");
	wait_count(&qlog.count, NQ);
	for (int i = 0; i < NQ; i++)
		misordered += qlog.order[i] != i;
	CHECK(qlog.count == NQ, "%d handlers ran", qlog.count);
	CHECK(misordered == 0, "completions in submission order (%d out of place)", misordered);
	CHECK(qlog.not_irq == 0, "every handler in interrupt context (%d not)", qlog.not_irq);
	CHECK(qlog.on_submitter == 0, "no handler on the submitting thread (%d were)",
	      qlog.on_submitter);
	CHECK(qlog.overlap == 0, "one handler at a time");
	CHECK(qlog.bad_result == 0, "each handler saw status 0 and %d bytes", QSLOT);
	dma_unmap_single(dev, d, NQ * QSLOT, DMA_FROM_DEVICE);
	for (int i = 0; i < NQ; i++)
		wrong += count_not(buf + i * QSLOT, QSLOT, (unsigned char)(i + 1));
	CHECK(wrong == 0, "each command filled its slot (%zu bytes wrong)", wrong);
	kfree(buf);
	mmk_dma_device_destroy(dev);
	part_end("irq");
}

/* ---- dma_map_page, and a vmalloc buffer through dma_map_sg ---------------- */

static void part_page(void)
{
	struct device *dev = new_device("page32", DMA_BIT_MASK(32));
	struct page *pg = alloc_pages(GFP_KERNEL, 1);
	struct mmk_dma_cmd cmd;
	struct mmk_dma_seg seg;
	unsigned char *va;
	dma_addr_t a;

	REQUIRE(pg, "two pages");
	va = page_address(pg);
	memset(va, 0x21, 2 * PAGE_SIZE);
	/* 2000 bytes from offset 3000: across the boundary of the two pages. */
	a = dma_map_page(dev, pg, 3000, 2000, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "dma_map_page");
	CHECK(a == page_to_phys(pg) + 3000, "the bus address is the page's plus the offset");
	seg = (struct mmk_dma_seg){ a, 2000 };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &seg, 1, 0x6d) == 0 && cmd.bytes == 2000,
	      "fill: status %d, %zu bytes", cmd.status, cmd.bytes);
	dma_unmap_page(dev, a, 2000, DMA_FROM_DEVICE);
	CHECK(count_not(va + 3000, 2000, 0x6d) == 0, "the device wrote the 2000 bytes");
	CHECK(count_not(va, 3000, 0x21) == 0 && count_not(va + 5000, 2 * PAGE_SIZE - 5000, 0x21) == 0,
	      "and nothing else of the two pages");

	rand_fill(va, 2 * PAGE_SIZE);
	a = dma_map_page(dev, pg, 777, 5555, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "dma_map_page");
	seg = (struct mmk_dma_seg){ a, 5555 };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, &seg, 1, NULL, 0, 0) == 0, "checksum");
	CHECK(cmd.checksum == adler32(va + 777, 5555), "the device read from the offset on");
	dma_unmap_page(dev, a, 5555, DMA_TO_DEVICE);
	__free_pages(pg, 1);
	mmk_dma_device_destroy(dev);
	part_end("page");
}

static struct scatterlist sg_a[VPAGES], sg_b[VPAGES];
static struct mmk_dma_seg seg_a[VPAGES], seg_b[VPAGES];

static void part_sg(void)
{
	struct device *dev = new_device("sg32", DMA_BIT_MASK(32));
	unsigned long noncontig = 0, wrong_addr = 0;
	struct mmk_dma_cmd cmd;
	char *v1, *v2;
	int n1, n2;

	/* Made on fragmented memory, so that no two pages are neighbours
	 * in RAM: only a page-by-page sg list can reach them. */
	fragment_memory();
	v1 = vmalloc(VBUF);
	v2 = vmalloc(VBUF);
	unfragment_memory();
	REQUIRE(v1 && v2, "two 4 MiB vmalloc buffers");
	rand_fill(v1, VBUF);
	memset(v2, 0, VBUF);
	for (unsigned long i = 1; i < VPAGES; i++)
		noncontig += vmalloc_to_pfn(v1 + i * PAGE_SIZE) !=
			     vmalloc_to_pfn(v1 + (i - 1) * PAGE_SIZE) + 1;
	CHECK(noncontig == VPAGES - 1,
	      "no two neighbouring pages are neighbours in RAM (%lu of %lu breaks)",
	      noncontig, VPAGES - 1);

	sg_vmalloc(sg_a, v1, 0, VPAGES);
	sg_vmalloc(sg_b, v2, 0, VPAGES);
	n1 = dma_map_sg(dev, sg_a, VPAGES, DMA_TO_DEVICE);
	n2 = dma_map_sg(dev, sg_b, VPAGES, DMA_FROM_DEVICE);
	REQUIRE(n1 == (int)VPAGES && n2 == (int)VPAGES, "dma_map_sg maps every entry: %d, %d",
		n1, n2);
	for (unsigned long i = 0; i < VPAGES; i++)
		wrong_addr += sg_dma_address(&sg_a[i]) !=
			      page_to_phys(vmalloc_to_page(v1 + i * PAGE_SIZE)) ||
			      sg_dma_len(&sg_a[i]) != PAGE_SIZE;
	CHECK(wrong_addr == 0, "each entry's bus address is its frame's (%lu not)", wrong_addr);
	sg_segs(sg_a, n1, seg_a);
	sg_segs(sg_b, n2, seg_b);

	/* Read the whole buffer. */
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, seg_a, VPAGES, NULL, 0, 0) == 0 &&
	      cmd.bytes == VBUF, "checksum through the sg list: status %d, %zu bytes",
	      cmd.status, cmd.bytes);
	CHECK(cmd.checksum == adler32(v1, VBUF), "the device read every byte (%#x, CPU %#x)",
	      cmd.checksum, adler32(v1, VBUF));
	/* Copy it into the other. */
	CHECK(run1(dev, &cmd, MMK_DMA_COPY, seg_a, VPAGES, seg_b, VPAGES, 0) == 0 &&
	      cmd.bytes == VBUF, "copy through the sg lists: status %d, %zu bytes",
	      cmd.status, cmd.bytes);
	dma_unmap_sg(dev, sg_a, VPAGES, DMA_TO_DEVICE);
	dma_unmap_sg(dev, sg_b, VPAGES, DMA_FROM_DEVICE);
	CHECK(memcmp(v1, v2, VBUF) == 0, "4 MiB copied correctly, seen through vmalloc");

	/* Write it: a fill through the segments, seen through the vmalloc pointer. */
	sg_vmalloc(sg_b, v2, 0, VPAGES);
	n2 = dma_map_sg(dev, sg_b, VPAGES, DMA_FROM_DEVICE);
	REQUIRE(n2 == (int)VPAGES, "map again");
	sg_segs(sg_b, n2, seg_b);
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, seg_b, VPAGES, 0x3e) == 0 &&
	      cmd.bytes == VBUF, "fill: status %d, %zu bytes", cmd.status, cmd.bytes);
	dma_unmap_sg(dev, sg_b, VPAGES, DMA_FROM_DEVICE);
	CHECK(count_not(v2, VBUF, 0x3e) == 0, "every byte filled");

	vfree(v1);
	vfree(v2);
	vm_unmap_aliases();
	mmk_dma_device_destroy(dev);
	part_end("sg");
}

/* ---- A 24-bit device: bounce buffers ------------------------------------ */

#define HBUF	(32UL << 10)

static void part_bounce_single(void)
{
	struct device *dev = new_device("isa24", DMA_BIT_MASK(24));
	unsigned char *hi = kmalloc(HBUF, GFP_KERNEL), *hi2 = kmalloc(HBUF, GFP_KERNEL);
	unsigned char *lo, *ref = malloc(HBUF);
	struct mmk_dma_seg ss, ds, two[2];
	struct mmk_dma_cmd cmd;
	dma_addr_t s, d, lo_h;
	phys_addr_t phys;

	REQUIRE(hi && hi2 && ref, "buffers");
	phys = virt_to_phys(hi);
	REQUIRE(phys >= SZ_16M && virt_to_phys(hi2) >= SZ_16M,
		"kmalloc gives ZONE_NORMAL memory, above 16 MiB (%#llx)", (unsigned long long)phys);

	/* TO_DEVICE: the device reads the original's bytes from the bounce. */
	rand_fill(hi, HBUF);
	s = dma_map_single(dev, hi, HBUF, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s), "a high buffer maps for a 24-bit device");
	CHECK(s + HBUF <= SZ_16M, "through a bounce buffer below 16 MiB: %#llx",
	      (unsigned long long)s);
	ss = (struct mmk_dma_seg){ s, HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, &ss, 1, NULL, 0, 0) == 0 && cmd.bytes == HBUF,
	      "checksum: status %d, %zu bytes", cmd.status, cmd.bytes);
	CHECK(cmd.checksum == adler32(hi, HBUF), "the device read the original's bytes");
	dma_unmap_single(dev, s, HBUF, DMA_TO_DEVICE);

	/* FROM_DEVICE: the writes land in the bounce; the original gets them
	 * at sync_for_cpu or unmap, and not before. */
	memset(hi2, 0x11, HBUF);
	d = dma_map_single(dev, hi2, HBUF, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, d), "map FROM_DEVICE");
	CHECK(d + HBUF <= SZ_16M, "bounced: %#llx", (unsigned long long)d);
	ds = (struct mmk_dma_seg){ d, HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &ds, 1, 0x99) == 0 && cmd.bytes == HBUF,
	      "fill: status %d, %zu", cmd.status, cmd.bytes);
	CHECK(count_not(hi2, HBUF, 0x11) == 0, "before the sync the original is unchanged");
	CHECK(count_not(phys_to_virt(d), HBUF, 0x99) == 0, "the device wrote the bounce buffer");
	dma_sync_single_for_cpu(dev, d, HBUF, DMA_FROM_DEVICE);
	CHECK(count_not(hi2, HBUF, 0x99) == 0, "after dma_sync_single_for_cpu it has the bytes");
	dma_sync_single_for_device(dev, d, HBUF, DMA_FROM_DEVICE);
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &ds, 1, 0x55) == 0, "second fill");
	CHECK(count_not(hi2, HBUF, 0x99) == 0, "before the unmap the original keeps the first");
	dma_unmap_single(dev, d, HBUF, DMA_FROM_DEVICE);
	CHECK(count_not(hi2, HBUF, 0x55) == 0, "after the unmap it has the second fill");

	/* COPY high to high, both bounced: random bytes move intact. */
	rand_fill(hi, HBUF);
	memcpy(ref, hi, HBUF);
	memset(hi2, 0, HBUF);
	s = dma_map_single(dev, hi, HBUF, DMA_TO_DEVICE);
	d = dma_map_single(dev, hi2, HBUF, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, s) && !dma_mapping_error(dev, d), "both map");
	CHECK(s != d, "two bounce buffers");
	ss = (struct mmk_dma_seg){ s, HBUF };
	ds = (struct mmk_dma_seg){ d, HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_COPY, &ss, 1, &ds, 1, 0) == 0 && cmd.bytes == HBUF,
	      "copy: status %d, %zu", cmd.status, cmd.bytes);
	CHECK(count_not(hi2, HBUF, 0) == 0, "nothing in the destination before the unmap");
	dma_unmap_single(dev, s, HBUF, DMA_TO_DEVICE);
	dma_unmap_single(dev, d, HBUF, DMA_FROM_DEVICE);
	CHECK(memcmp(hi2, ref, HBUF) == 0 && memcmp(hi, ref, HBUF) == 0,
	      "the copy arrived at unmap; the source is as it was");

	/* The raw physical address above 16 MiB: a bus error, nothing written. */
	memset(hi2, 0x42, HBUF);
	ds = (struct mmk_dma_seg){ virt_to_phys(hi2), HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &ds, 1, 0xee) == -EFAULT,
	      "a fill beyond the mask fails: %d", cmd.status);
	CHECK(cmd.status == -EFAULT && cmd.bad_addr == virt_to_phys(hi2) && cmd.bytes == 0,
	      "status -EFAULT at bad_addr %#llx (%#llx), %zu bytes",
	      (unsigned long long)cmd.bad_addr, (unsigned long long)virt_to_phys(hi2), cmd.bytes);
	CHECK(count_not(hi2, HBUF, 0x42) == 0, "nothing was written");
	ss = (struct mmk_dma_seg){ virt_to_phys(hi), HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, &ss, 1, NULL, 0, 0) == -EFAULT &&
	      cmd.bad_addr == virt_to_phys(hi), "a read beyond the mask fails too");

	/* A low segment, then a high one: the first is done, the error is at
	 * the second. */
	lo = dma_alloc_coherent(dev, PAGE_SIZE, &lo_h, GFP_KERNEL);
	REQUIRE(lo, "a coherent page for the 24-bit device");
	two[0] = (struct mmk_dma_seg){ lo_h, 1000 };
	two[1] = (struct mmk_dma_seg){ virt_to_phys(hi2) + 8, 1000 };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, two, 2, 0x77) == -EFAULT &&
	      cmd.bytes == 1000 && cmd.bad_addr == virt_to_phys(hi2) + 8,
	      "stopped at the second segment: %d, %zu bytes, at %#llx", cmd.status, cmd.bytes,
	      (unsigned long long)cmd.bad_addr);
	CHECK(count_not(lo, 1000, 0x77) == 0 && count_not(lo + 1000, PAGE_SIZE - 1000, 0) == 0,
	      "the low segment was filled");
	CHECK(count_not(hi2, HBUF, 0x42) == 0, "the high one was not");
	dma_free_coherent(dev, PAGE_SIZE, lo, lo_h);

	free(ref);
	kfree(hi);
	kfree(hi2);
	mmk_dma_device_destroy(dev);
	part_end("bounce");
}

/* The 4 MiB vmalloc copy through sg lists, for a 24-bit device: 1 MiB of
 * source and 1 MiB of destination at a time (the swiotlb area is 4 MiB). */
static void part_bounce_sg(void)
{
	struct device *dev = new_device("isa24sg", DMA_BIT_MASK(24));
	char *v1 = vmalloc(VBUF), *v2 = vmalloc(VBUF);
	const unsigned long chunk = SZ_1M / PAGE_SIZE;
	unsigned long high = 0, bounced = 0, beyond = 0, early = 0;
	struct mmk_dma_cmd cmd;
	int fails = 0, bad_sum = 0;

	REQUIRE(v1 && v2, "two 4 MiB vmalloc buffers");
	rand_fill(v1, VBUF);
	memset(v2, 0, VBUF);
	for (unsigned long first = 0; first < VPAGES; first += chunk) {
		int n1, n2;

		sg_vmalloc(sg_a, v1, first, chunk);
		sg_vmalloc(sg_b, v2, first, chunk);
		n1 = dma_map_sg(dev, sg_a, (int)chunk, DMA_TO_DEVICE);
		n2 = dma_map_sg(dev, sg_b, (int)chunk, DMA_FROM_DEVICE);
		REQUIRE(n1 == (int)chunk && n2 == (int)chunk, "1 MiB maps: %d, %d", n1, n2);
		for (unsigned long i = 0; i < chunk; i++) {
			phys_addr_t p = page_to_phys(sg_page(&sg_b[i]));

			beyond += sg_dma_address(&sg_a[i]) + PAGE_SIZE > SZ_16M ||
				  sg_dma_address(&sg_b[i]) + PAGE_SIZE > SZ_16M;
			high += p >= SZ_16M;
			bounced += p >= SZ_16M && sg_dma_address(&sg_b[i]) != p;
		}
		sg_segs(sg_a, n1, seg_a);
		sg_segs(sg_b, n2, seg_b);
		fails += run1(dev, &cmd, MMK_DMA_CHECKSUM, seg_a, (unsigned int)chunk, NULL, 0, 0) != 0;
		bad_sum += cmd.checksum != adler32(v1 + first * PAGE_SIZE, SZ_1M);
		fails += run1(dev, &cmd, MMK_DMA_COPY, seg_a, (unsigned int)chunk, seg_b,
			      (unsigned int)chunk, 0) != 0 || cmd.bytes != SZ_1M;
		/* Bounced destination pages are still zero before the unmap. */
		for (unsigned long i = 0; i < chunk; i++)
			if (sg_dma_address(&sg_b[i]) != page_to_phys(sg_page(&sg_b[i])))
				early += count_not(v2 + (first + i) * PAGE_SIZE, PAGE_SIZE, 0) != 0;
		dma_unmap_sg(dev, sg_a, (int)chunk, DMA_TO_DEVICE);
		dma_unmap_sg(dev, sg_b, (int)chunk, DMA_FROM_DEVICE);
	}
	CHECK(high > 0, "some of the buffer's frames are above 16 MiB (%lu pages)", high);
	CHECK(bounced == high, "every page above 16 MiB was bounced (%lu of %lu)", bounced, high);
	CHECK(beyond == 0, "every bus address is below 16 MiB (%lu not)", beyond);
	CHECK(fails == 0 && bad_sum == 0, "every chunk read and copied (%d failed, %d bad sums)",
	      fails, bad_sum);
	CHECK(early == 0, "no bounced page reached the buffer before its unmap (%lu did)", early);
	CHECK(memcmp(v1, v2, VBUF) == 0, "4 MiB copied through bounce buffers, every byte");
	vfree(v1);
	vfree(v2);
	vm_unmap_aliases();
	mmk_dma_device_destroy(dev);
	part_end("bounce-sg");
}

/* ---- Masks ------------------------------------------------------------------ */

static void part_mask(void)
{
	struct device *dev = new_device("mask32", DMA_BIT_MASK(32));
	unsigned char *hi = kmalloc(HBUF, GFP_KERNEL);
	struct mmk_dma_seg ss;
	struct mmk_dma_cmd cmd;
	dma_addr_t a;

	REQUIRE(hi && virt_to_phys(hi) >= SZ_16M, "a buffer above 16 MiB");
	CHECK(dma_get_mask(dev) == DMA_BIT_MASK(32), "the mask starts as the hardware's");
	CHECK(dma_set_mask(dev, DMA_BIT_MASK(23)) == -EIO, "a 23-bit mask is refused with -EIO");
	CHECK(dma_set_mask(dev, DMA_BIT_MASK(16)) == -EIO, "so is a 16-bit one");
	CHECK(dma_set_coherent_mask(dev, DMA_BIT_MASK(20)) == -EIO, "and a 20-bit coherent one");
	CHECK(dma_get_mask(dev) == DMA_BIT_MASK(32), "the mask is unchanged after a refusal");

	a = dma_map_single(dev, hi, HBUF, DMA_TO_DEVICE);
	CHECK(a == virt_to_phys(hi), "a 32-bit mask maps the buffer where it is");
	dma_unmap_single(dev, a, HBUF, DMA_TO_DEVICE);

	CHECK(dma_set_mask(dev, DMA_BIT_MASK(24)) == 0, "a 24-bit mask is accepted");
	CHECK(dma_get_mask(dev) == DMA_BIT_MASK(24), "and set");
	rand_fill(hi, HBUF);
	a = dma_map_single(dev, hi, HBUF, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	CHECK(a != virt_to_phys(hi) && a + HBUF <= SZ_16M, "now it bounces: %#llx",
	      (unsigned long long)a);
	ss = (struct mmk_dma_seg){ a, HBUF };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, &ss, 1, NULL, 0, 0) == 0 &&
	      cmd.checksum == adler32(hi, HBUF), "and the device reads the bytes from the bounce");
	dma_unmap_single(dev, a, HBUF, DMA_TO_DEVICE);

	CHECK(dma_set_mask(dev, DMA_BIT_MASK(32)) == 0, "back to 32 bits");
	a = dma_map_single(dev, hi, HBUF, DMA_TO_DEVICE);
	CHECK(a == virt_to_phys(hi), "no bounce again");
	dma_unmap_single(dev, a, HBUF, DMA_TO_DEVICE);
	kfree(hi);
	mmk_dma_device_destroy(dev);
	part_end("mask");
}

/* ---- Coherent memory and CMA -------------------------------------------- */

/* dma_alloc_coherent of @size for @dev, dirtied memory first: zeroed,
 * bus address = physical, within the coherent mask. */
static void coherent_small(struct device *dev, uint64_t mask, size_t size)
{
	unsigned int order = size > PAGE_SIZE ? 2 : 0;
	struct page *dirt = alloc_pages(GFP_KERNEL | (mask < SZ_16M ? __GFP_DMA : 0), order);
	struct mmk_dma_seg seg;
	struct mmk_dma_cmd cmd;
	dma_addr_t h;
	void *cpu;

	/* Leave garbage where the allocator will look first. */
	if (dirt) {
		memset(page_address(dirt), 0xff, PAGE_SIZE << order);
		__free_pages(dirt, order);
	}
	if (dma_contiguous_default_area && size > PAGE_SIZE) {
		struct page *c = cma_alloc(dma_contiguous_default_area, 4, 2, true);

		if (c) {
			memset(page_address(c), 0xff, 4 * PAGE_SIZE);
			cma_release(dma_contiguous_default_area, c, 4);
		}
	}
	cpu = dma_alloc_coherent(dev, size, &h, GFP_KERNEL);
	REQUIRE(cpu, "dma_alloc_coherent(%zu) for mask %#llx", size, (unsigned long long)mask);
	CHECK(count_not(cpu, size, 0) == 0, "%zu bytes zeroed", size);
	CHECK(h == virt_to_phys(cpu), "the bus address is the physical address");
	CHECK(h + size - 1 <= mask, "within the mask %#llx: %#llx", (unsigned long long)mask,
	      (unsigned long long)h);
	/* Coherent: the device and the CPU share it without any sync. */
	memset(cpu, 0x31, size);
	seg = (struct mmk_dma_seg){ h, size };
	CHECK(run1(dev, &cmd, MMK_DMA_CHECKSUM, &seg, 1, NULL, 0, 0) == 0 &&
	      cmd.checksum == adler32(cpu, size), "the device reads what the CPU wrote");
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &seg, 1, 0x32) == 0 &&
	      count_not(cpu, size, 0x32) == 0, "the CPU sees what the device wrote");
	dma_free_coherent(dev, size, cpu, h);
}

static void coherent_big(struct device *dev, const char *when)
{
	struct cma *area = dma_contiguous_default_area;
	const size_t size = 8 * SZ_1M;
	long cma_free0 = meminfo_field_kb("CmaFree");
	struct mmk_dma_seg seg;
	struct mmk_dma_cmd cmd;
	dma_addr_t h;
	char *cpu;

	cpu = dma_alloc_coherent(dev, size, &h, GFP_KERNEL);
	REQUIRE(cpu, "%s: an 8 MiB coherent buffer", when);
	CHECK(h >= cma_get_base(area) && h + size <= cma_get_base(area) + cma_get_size(area),
	      "%s: from the CMA area (%#llx, area %#llx + %lu)", when, (unsigned long long)h,
	      (unsigned long long)cma_get_base(area), cma_get_size(area));
	CHECK(h == virt_to_phys(cpu), "%s: bus address = physical", when);
	CHECK(meminfo_field_kb("CmaFree") == cma_free0 - 8192, "%s: CmaFree fell by 8192 kB: %ld, %ld",
	      when, meminfo_field_kb("CmaFree"), cma_free0);
	CHECK(count_not(cpu, size, 0) == 0, "%s: zeroed", when);
	seg = (struct mmk_dma_seg){ h, size };
	CHECK(run1(dev, &cmd, MMK_DMA_FILL, NULL, 0, &seg, 1, 0xc3) == 0 && cmd.bytes == size,
	      "%s: the device fills all 8 MiB in one segment", when);
	CHECK(count_not(cpu, size, 0xc3) == 0, "%s: the CPU sees every byte", when);
	dma_free_coherent(dev, size, cpu, h);
	CHECK(meminfo_field_kb("CmaFree") == cma_free0, "%s: CmaFree back to %ld: %ld", when,
	      cma_free0, meminfo_field_kb("CmaFree"));
}

static void part_coherent(void)
{
	struct device *d32 = new_device("coh32", DMA_BIT_MASK(32));
	struct device *d24 = new_device("coh24", DMA_BIT_MASK(24));
	struct page *p;

	REQUIRE(dma_contiguous_default_area, "booted with cma=");
	coherent_small(d32, DMA_BIT_MASK(32), PAGE_SIZE);
	coherent_small(d32, DMA_BIT_MASK(32), 3 * PAGE_SIZE);
	coherent_small(d24, DMA_BIT_MASK(24), PAGE_SIZE);
	coherent_small(d24, DMA_BIT_MASK(24), 3 * PAGE_SIZE);
	part_end("coherent-small");

	coherent_big(d32, "unfragmented");
	fragment_memory();
	p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	CHECK(p == NULL, "fragmented: no order-1 block in the buddy allocator");
	if (p)
		__free_pages(p, 1);
	coherent_big(d32, "fragmented");
	unfragment_memory();
	mmk_dma_device_destroy(d32);
	mmk_dma_device_destroy(d24);
	part_end("coherent");
}

/* ---- Destroy waits for the queue ------------------------------------------ */

#define ND	64
#define DSZ	(64UL << 10)
#define BIGBLK	8			/* 4 MiB blocks in the last command */

static int destroy_count;

static void destroy_complete(struct device *dev, struct mmk_dma_cmd *cmd)
{
	(void)dev;
	(void)cmd;
	__atomic_fetch_add(&destroy_count, 1, __ATOMIC_ACQ_REL);
}

static void part_destroy(void)
{
	static struct mmk_dma_cmd cmds[ND];
	static struct mmk_dma_seg segs[ND], big[BIGBLK];
	struct page *pages[ND], *blk[BIGBLK];
	struct device *dev;
	struct mmk_dma_cmd first, last;
	size_t wrong = 0;
	int err = 0;

	/* Many commands queued, destroy at once: every one done, every
	 * handler run, before it returns. */
	dev = new_device("gone32", DMA_BIT_MASK(32));
	for (int i = 0; i < ND; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, 4);
		REQUIRE(pages[i], "order-4 block %d", i);
		memset(page_address(pages[i]), 0, DSZ);
		segs[i] = (struct mmk_dma_seg){ page_to_phys(pages[i]), DSZ };
		cmds[i] = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &segs[i],
						.dst_nents = 1, .fill = (unsigned char)(0x80 + i),
						.complete = destroy_complete, .status = 1 };
	}
	__atomic_store_n(&destroy_count, 0, __ATOMIC_RELEASE);
	for (int i = 0; i < ND; i++)
		err |= mmk_dma_submit(dev, &cmds[i]);
	CHECK(err == 0, "all queued");
	mmk_dma_device_destroy(dev);
	CHECK(__atomic_load_n(&destroy_count, __ATOMIC_ACQUIRE) == ND,
	      "destroy returned after all %d handlers ran: %d", ND, destroy_count);
	for (int i = 0; i < ND; i++) {
		wrong += count_not(page_address(pages[i]), DSZ, (unsigned char)(0x80 + i));
		CHECK(cmds[i].status == 0 && cmds[i].bytes == DSZ, "command %d completed", i);
		__free_pages(pages[i], 4);
	}
	CHECK(wrong == 0, "every queued fill was done (%zu bytes not)", wrong);

	/*
	 * The last command still on the device when destroy is called, with
	 * the queue already empty: a small one whose handler tells us the
	 * device has taken the big one that follows it, then destroy while
	 * the device works through 32 MiB. Its handler must still run.
	 */
	dev = new_device("gone32b", DMA_BIT_MASK(32));
	for (int i = 0; i < BIGBLK; i++) {
		blk[i] = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
		REQUIRE(blk[i], "4 MiB block %d", i);
		big[i] = (struct mmk_dma_seg){ page_to_phys(blk[i]), PAGE_SIZE << MAX_PAGE_ORDER };
	}
	__atomic_store_n(&destroy_count, 0, __ATOMIC_RELEASE);
	first = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = big, .dst_nents = 2,
				      .fill = 0x01, .complete = destroy_complete };
	last = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = big, .dst_nents = BIGBLK,
				     .fill = 0xb7, .complete = destroy_complete, .status = 1 };
	CHECK(mmk_dma_submit(dev, &first) == 0 && mmk_dma_submit(dev, &last) == 0, "queued");
	wait_count(&destroy_count, 1);
	mmk_dma_device_destroy(dev);
	CHECK(__atomic_load_n(&destroy_count, __ATOMIC_ACQUIRE) == 2,
	      "the handler of the command in progress at destroy ran: %d of 2 handlers",
	      destroy_count);
	CHECK(last.status == 0 && last.bytes == BIGBLK * (PAGE_SIZE << MAX_PAGE_ORDER),
	      "the last command completed: status %d, %zu bytes", last.status, last.bytes);
	wrong = 0;
	for (int i = 0; i < BIGBLK; i++) {
		wrong += count_not(page_address(blk[i]), PAGE_SIZE << MAX_PAGE_ORDER, 0xb7);
		__free_pages(blk[i], MAX_PAGE_ORDER);
	}
	CHECK(wrong == 0, "the device finished the 32 MiB (%zu bytes not)", wrong);
	part_end("destroy");
}

/* Each part twice: the first run brings the slab caches it uses to their
 * steady size, the second must give back every page it takes. */
static void run_part(void (*fn)(void))
{
	counting = false;
	fn();
	base_free = free_and_slab_pages();
	counting = true;
	fn();
}

int main(void)
{
	test_seed();
	REQUIRE(mmk_boot("mem=256M cma=32M") == 0, "boot");

	run_part(part_copy);
	run_part(part_irq);
	run_part(part_page);
	run_part(part_sg);
	run_part(part_bounce_single);
	run_part(part_bounce_sg);
	run_part(part_mask);
	run_part(part_coherent);
	run_part(part_destroy);

	mmk_shutdown();
	harness_exit();
}
