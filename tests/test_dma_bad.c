// SPDX-License-Identifier: MIT
/*
 * The DMA API's bad input: each misuse is reported in Linux's words
 * (DMA-API debugging), refused or undone where it can be, and harms
 * nothing else: live kmalloc objects and page blocks kept across every bad
 * call keep their patterns, and mmk_check() stays clean.
 *
 *   maps      dma_map_single of a vmalloc address or a stack buffer:
 *             refused with DMA_MAPPING_ERROR and a report;
 *   unmaps    a double unmap, an unmap with another size, another
 *             direction, another function (dma_unmap_single of a
 *             scatter-gather entry);
 *   ownership a CPU write to a DMA_TO_DEVICE buffer while the device owns
 *             it; none for a buffer the CPU only reads, or writes between
 *             sync_for_cpu and sync_for_device;
 *   coherent  dma_free_coherent with a cpu address that does not match
 *             the handle (reported, nothing freed), and a double free;
 *   release   a device destroyed with a mapping still open;
 *   physical  why the checks exist: the device handed the physical
 *             address of a vmalloc buffer's first page with the length of
 *             the whole buffer writes into the frames that follow that
 *             page in RAM, pages this test owns, and not into the buffer's
 *             other pages; the same buffer through dma_map_sg reaches only
 *             its own pages;
 *   shutdown  a device left at mmk_shutdown(): a warning, its queued
 *             commands finish and their handlers run, no crash (in a
 *             child, with a machine of its own).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>

#include <mmkit/linux.h>

#include "harness.h"

static struct device *dev;
static struct kobj_set objs;
static struct live_set blocks;

/* ---- Helpers ------------------------------------------------------------ */

static size_t count_not(const void *p, size_t len, unsigned char v)
{
	const unsigned char *c = p;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += c[i] != v;
	return n;
}

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* One DMA-API warning, saying @why, naming @addr when it is not 0. */
static void check_report(const char *out, const char *what, const char *why,
			 dma_addr_t addr)
{
	char a[64];

	const char *end = strstr(out, "---[ end trace");

	/* One report and nothing else: no second warning, no other
	 * allocator's complaint about what the call went on to do. */
	CHECK(count_str(out, "------------[ cut here ]------------") == 1 &&
	      !strncmp(out, "------------[ cut here ]------------\n", 37) &&
	      end && strchr(end, '\n') && strchr(end, '\n')[1] == '\0',
	      "%s: one report and nothing else; got:\n%s", what, out);
	CHECK(strstr(out, "DMA-API: mmkit-dma bad32: ") != NULL,
	      "%s: DMA-API names the device; got:\n%s", what, out);
	CHECK(strstr(out, why) != NULL, "%s: it says \"%s\"; got:\n%s", what, why, out);
	CHECK(strstr(out, "WARNING: CPU:") && strstr(out, "---[ end trace"),
	      "%s: a WARNING with its end trace; got:\n%s", what, out);
	if (addr) {
		snprintf(a, sizeof(a), "[device address=0x%016llx]", (unsigned long long)addr);
		CHECK(strstr(out, a) != NULL, "%s: it names %s; got:\n%s", what, a, out);
	}
}

static bool names_ptr(const char *s, const void *p)
{
	char a[40];

	snprintf(a, sizeof(a), "%p", p);
	return strstr(s, a) != NULL;
}

/* Nothing kept across a bad call changed; the machine is sound. */
static void bystanders_check(const char *what)
{
	CHECK(kobj_set_check(&objs) == 0, "%s: live kmalloc objects unchanged", what);
	CHECK(live_set_check(&blocks) == 0, "%s: live page blocks unchanged", what);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
}

/* ---- Bad maps ------------------------------------------------------------ */

static void bad_maps(void)
{
	char stackbuf[256];
	const char *out;
	dma_addr_t a;
	void *v = vmalloc(2 * PAGE_SIZE);

	REQUIRE(v, "vmalloc");
	capture_start();
	a = dma_map_single(dev, v, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	out = capture_end();
	CHECK(a == DMA_MAPPING_ERROR && dma_mapping_error(dev, a) != 0,
	      "a vmalloc address is refused: %#llx", (unsigned long long)a);
	check_report(out, "vmalloc map", "device driver maps memory from vmalloc area", 0);
	CHECK(names_ptr(out, v), "vmalloc map: names the address %p; got:\n%s", v, out);
	bystanders_check("vmalloc map");
	vfree(v);

	memset(stackbuf, 0x3c, sizeof(stackbuf));
	capture_start();
	a = dma_map_single(dev, stackbuf, sizeof(stackbuf), DMA_FROM_DEVICE);
	out = capture_end();
	CHECK(a == DMA_MAPPING_ERROR && dma_mapping_error(dev, a) != 0,
	      "a stack buffer is refused: %#llx", (unsigned long long)a);
	check_report(out, "stack map", "device driver maps memory from stack", 0);
	CHECK(names_ptr(out, stackbuf), "stack map: names the address; got:\n%s", out);
	CHECK(count_not(stackbuf, sizeof(stackbuf), 0x3c) == 0, "the stack buffer is untouched");
	bystanders_check("stack map");

	/* A good mapping is no error: the check itself can tell. */
	{
		char *k = kmalloc(64, GFP_KERNEL);

		REQUIRE(k, "kmalloc");
		capture_start();
		a = dma_map_single(dev, k, 64, DMA_TO_DEVICE);
		dma_unmap_single(dev, a, 64, DMA_TO_DEVICE);
		out = capture_end();
		CHECK(dma_mapping_error(dev, a) == 0 && out[0] == '\0',
		      "a kmalloc buffer maps and unmaps quietly; got:\n%s", out);
		kfree(k);
	}
}

/* ---- Bad unmaps ---------------------------------------------------------- */

static void bad_unmaps(void)
{
	char *buf = kmalloc(1024, GFP_KERNEL);
	const char *out;
	dma_addr_t a;

	REQUIRE(buf, "kmalloc");
	memset(buf, 0x6b, 1024);

	/* Double unmap. */
	a = dma_map_single(dev, buf, 1024, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	dma_unmap_single(dev, a, 1024, DMA_TO_DEVICE);
	capture_start();
	dma_unmap_single(dev, a, 1024, DMA_TO_DEVICE);
	out = capture_end();
	check_report(out, "double unmap",
		     "device driver tries to free DMA memory it has not allocated", a);
	CHECK(strstr(out, "[size=1024 bytes]") != NULL, "double unmap: the size; got:\n%s", out);
	bystanders_check("double unmap");

	/* Another size. */
	a = dma_map_single(dev, buf, 1024, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	capture_start();
	dma_unmap_single(dev, a, 512, DMA_TO_DEVICE);
	out = capture_end();
	check_report(out, "size", "device driver frees DMA memory with different size", a);
	CHECK(strstr(out, "[map size=1024 bytes] [unmap size=512 bytes]") != NULL,
	      "size: both sizes; got:\n%s", out);
	bystanders_check("different size");

	/* Another direction. */
	a = dma_map_single(dev, buf, 1024, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	capture_start();
	dma_unmap_single(dev, a, 1024, DMA_FROM_DEVICE);
	out = capture_end();
	check_report(out, "direction", "device driver frees DMA memory with different direction", a);
	CHECK(strstr(out, "[mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]") != NULL,
	      "direction: both directions; got:\n%s", out);
	bystanders_check("different direction");

	/* Another function. dma_map_single and dma_map_page are one kind of
	 * mapping (Linux records both as "single"); a scatter-gather entry
	 * unmapped with dma_unmap_single is not. */
	a = dma_map_single(dev, buf, 1024, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	capture_start();
	dma_unmap_page(dev, a, 1024, DMA_FROM_DEVICE);
	out = capture_end();
	CHECK(out[0] == '\0', "map_single then unmap_page is not a mismatch; got:\n%s", out);
	{
		struct scatterlist sg[1];

		sg_init_table(sg, 1);
		sg_set_buf(sg, buf, 1024);
		REQUIRE(dma_map_sg(dev, sg, 1, DMA_FROM_DEVICE) == 1, "map_sg");
		a = sg_dma_address(sg);
		capture_start();
		dma_unmap_single(dev, a, 1024, DMA_FROM_DEVICE);
		out = capture_end();
	}
	check_report(out, "function", "device driver frees DMA memory with wrong function", a);
	CHECK(strstr(out, "[mapped as scather-gather] [unmapped as single]") != NULL,
	      "function: both functions, in Linux's words; got:\n%s", out);
	bystanders_check("wrong function");

	/* Each of those unmapped all the same: nothing is left to unmap. */
	capture_start();
	dma_unmap_single(dev, a, 1024, DMA_FROM_DEVICE);
	out = capture_end();
	CHECK(strstr(out, "has not allocated") != NULL,
	      "after a reported unmap the mapping is gone; got:\n%s", out);
	CHECK(count_not(buf, 1024, 0x6b) == 0, "the buffer was never touched");
	kfree(buf);
}

/* ---- The CPU writing a buffer the device owns ------------------------------ */

static void cpu_writes(void)
{
	unsigned char *buf = kmalloc(2048, GFP_KERNEL);
	volatile unsigned char sink = 0;
	const char *out;
	dma_addr_t a;

	REQUIRE(buf, "kmalloc");
	memset(buf, 0x19, 2048);

	a = dma_map_single(dev, buf, 2048, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	buf[1500] ^= 0x80;
	capture_start();
	dma_unmap_single(dev, a, 2048, DMA_TO_DEVICE);
	out = capture_end();
	check_report(out, "cpu write", "cpu wrote to a DMA_TO_DEVICE buffer while the device owned it", a);
	bystanders_check("cpu write");

	/* Reading is no ownership violation. */
	a = dma_map_single(dev, buf, 2048, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	for (int i = 0; i < 2048; i++)
		sink ^= buf[i];
	capture_start();
	dma_unmap_single(dev, a, 2048, DMA_TO_DEVICE);
	out = capture_end();
	CHECK(out[0] == '\0', "no report when the CPU only reads (%d); got:\n%s", sink, out);

	/* Nor writing while the CPU owns it, between the syncs. */
	a = dma_map_single(dev, buf, 2048, DMA_TO_DEVICE);
	REQUIRE(!dma_mapping_error(dev, a), "map");
	capture_start();
	dma_sync_single_for_cpu(dev, a, 2048, DMA_TO_DEVICE);
	buf[7] = 0x77;
	dma_sync_single_for_device(dev, a, 2048, DMA_TO_DEVICE);
	dma_unmap_single(dev, a, 2048, DMA_TO_DEVICE);
	out = capture_end();
	CHECK(out[0] == '\0', "no report for a write between the syncs; got:\n%s", out);

	/* DMA_FROM_DEVICE: the device's own writes are no violation; a CPU
	 * write among them is, direct or bounced. */
	{
		struct device *isa = mmk_dma_device_create("bad24", DMA_BIT_MASK(24));
		struct device *devs[2] = { dev, isa };

		REQUIRE(isa, "24-bit device");
		REQUIRE(virt_to_phys(buf) >= (16UL << 20), "the buffer is above 16 MiB");
		for (int k = 0; k < 2; k++) {
			struct mmk_dma_seg seg;
			struct mmk_dma_cmd cmd;

			a = dma_map_single(devs[k], buf, 2048, DMA_FROM_DEVICE);
			REQUIRE(!dma_mapping_error(devs[k], a), "map");
			seg = (struct mmk_dma_seg){ a, 1024 };
			cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &seg, .dst_nents = 1,
						    .fill = 0x42 };
			CHECK(mmk_dma_run(devs[k], &cmd) == 0, "the device fills half of it");
			capture_start();
			dma_unmap_single(devs[k], a, 2048, DMA_FROM_DEVICE);
			out = capture_end();
			CHECK(out[0] == '\0' && buf[0] == 0x42 && buf[1023] == 0x42,
			      "%s: the device's writes arrive and are no violation; got:\n%s",
			      k ? "bounced" : "direct", out);

			a = dma_map_single(devs[k], buf, 2048, DMA_FROM_DEVICE);
			CHECK(mmk_dma_run(devs[k], &cmd) == 0, "fill again");
			buf[2000] ^= 0x11;		/* the CPU, while the device owns it */
			capture_start();
			dma_unmap_single(devs[k], a, 2048, DMA_FROM_DEVICE);
			out = capture_end();
			CHECK(strstr(out, "cpu wrote to a DMA_FROM_DEVICE buffer while the device owned it") != NULL,
			      "%s: a CPU write to a DMA_FROM_DEVICE buffer is reported; got:\n%s",
			      k ? "bounced" : "direct", out);
		}
		mmk_dma_device_destroy(isa);
	}
	kfree(buf);
}

/* ---- Coherent frees --------------------------------------------------------- */

static void bad_coherent(void)
{
	dma_addr_t h1, h2;
	unsigned char *c1 = dma_alloc_coherent(dev, PAGE_SIZE, &h1, GFP_KERNEL);
	unsigned char *c2 = dma_alloc_coherent(dev, PAGE_SIZE, &h2, GFP_KERNEL);
	unsigned long free0;
	const char *out;
	void *v;

	REQUIRE(c1 && c2, "two coherent pages");
	memset(c1, 0x5a, PAGE_SIZE);
	memset(c2, 0xa5, PAGE_SIZE);
	free0 = settled_free_pages();

	/* The other buffer's cpu address with this one's handle. */
	capture_start();
	dma_free_coherent(dev, PAGE_SIZE, c2, h1);
	out = capture_end();
	check_report(out, "mismatch", "frees DMA memory with a cpu address that does not match", h1);
	CHECK(names_ptr(out, c2), "mismatch: names the cpu address; got:\n%s", out);
	CHECK(settled_free_pages() == free0, "mismatch: nothing freed (%lu free, %lu before)",
	      settled_free_pages(), free0);
	CHECK(count_not(c1, PAGE_SIZE, 0x5a) == 0 && count_not(c2, PAGE_SIZE, 0xa5) == 0,
	      "mismatch: both buffers intact");
	bystanders_check("coherent mismatch");

	/* A cpu address outside the direct map. */
	v = vmalloc(PAGE_SIZE);
	REQUIRE(v, "vmalloc");
	free0 = settled_free_pages();
	capture_start();
	dma_free_coherent(dev, PAGE_SIZE, v, h2);
	out = capture_end();
	check_report(out, "vmalloc cpu address", "does not match", h2);
	CHECK(settled_free_pages() == free0, "vmalloc cpu address: nothing freed (%lu, %lu before)",
	      settled_free_pages(), free0);
	CHECK(count_not(c2, PAGE_SIZE, 0xa5) == 0, "vmalloc cpu address: the buffer intact");
	vfree(v);
	vm_unmap_aliases();
	free0 = settled_free_pages();

	/* The good frees are quiet and give both pages back. */
	capture_start();
	dma_free_coherent(dev, PAGE_SIZE, c1, h1);
	dma_free_coherent(dev, PAGE_SIZE, c2, h2);
	out = capture_end();
	CHECK(out[0] == '\0', "good frees are quiet; got:\n%s", out);
	CHECK(settled_free_pages() == free0 + 2, "the two pages went back (%lu, %lu before)",
	      settled_free_pages(), free0);

	/* A double free: reported, nothing freed twice. */
	free0 = settled_free_pages();
	capture_start();
	dma_free_coherent(dev, PAGE_SIZE, c1, h1);
	out = capture_end();
	check_report(out, "double coherent free",
		     "device driver tries to free DMA memory it has not allocated", h1);
	CHECK(settled_free_pages() == free0, "double free: nothing freed (%lu, %lu before)",
	      settled_free_pages(), free0);
	bystanders_check("double coherent free");
}

/* ---- A device released with a mapping open ------------------------------------ */

static void leaky_release(void)
{
	struct device *leaky = mmk_dma_device_create("leaky", DMA_BIT_MASK(32));
	char *buf = kmalloc(300, GFP_KERNEL);
	const char *out;
	dma_addr_t a;
	char want[64];

	REQUIRE(leaky && buf, "device and buffer");
	memset(buf, 0x21, 300);
	a = dma_map_single(leaky, buf, 300, DMA_FROM_DEVICE);
	REQUIRE(!dma_mapping_error(leaky, a), "map");
	capture_start();
	mmk_dma_device_destroy(leaky);
	out = capture_end();
	CHECK(strstr(out, "DMA-API: mmkit-dma leaky: device driver has pending DMA allocations "
			  "while released from device [count=1]") != NULL,
	      "release with a mapping open is reported; got:\n%s", out);
	snprintf(want, sizeof(want), "[device address=0x%016llx] [size=300 bytes]",
		 (unsigned long long)a);
	CHECK(strstr(out, want) != NULL, "naming the mapping %s; got:\n%s", want, out);
	CHECK(count_not(buf, 300, 0x21) == 0, "the buffer is intact");
	kfree(buf);
	bystanders_check("release with a mapping");
}

/* ---- The device handed a physical address it should not have -------------------- */

#define VP	4			/* pages in the vmalloc buffer */
#define MAXP	(1 << 16)

static struct page *held[MAXP];
static int held_at[MAXP];		/* pfn -> index in held[] + 1 */
static int nheld;

static void run_fill(struct mmk_dma_seg *segs, unsigned int n, unsigned char fill,
		     size_t bytes)
{
	struct mmk_dma_cmd cmd = { .kind = MMK_DMA_FILL, .dst = segs, .dst_nents = n,
				   .fill = fill };

	cmd.status = 1;
	CHECK(mmk_dma_run(dev, &cmd) == 0 && cmd.status == 0 && cmd.bytes == bytes,
	      "the device took the fill: status %d, %zu bytes", cmd.status, cmd.bytes);
}

static void physical(void)
{
	struct page *victim[VP - 1];
	struct scatterlist sg[VP];
	struct mmk_dma_seg segs[VP], raw;
	char *v = NULL, *tries[8];
	unsigned long pfn = 0;
	int ntries = 0, n;
	struct page *p;

	/*
	 * Take every free page, then give back one frame in four (pfn % 4
	 * == 1): a vmalloc buffer made now gets frames no two of which are
	 * neighbours, and the three frames after each are pages of ours.
	 */
	drain_all_pages(NULL);
	memset(held_at, 0, sizeof(held_at));
	while (nheld < MAXP && (p = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
		REQUIRE(page_to_pfn(p) < MAXP, "pfn below %d", MAXP);
		held_at[page_to_pfn(p)] = nheld + 1;
		held[nheld++] = p;
	}
	for (int i = 0; i < nheld; i++)
		if (page_to_pfn(held[i]) % 4 == 1) {
			held_at[page_to_pfn(held[i])] = 0;
			__free_page(held[i]);
			held[i] = NULL;
		}
	drain_all_pages(NULL);
	while (ntries < 8) {
		bool ours = true;

		v = vmalloc(VP * PAGE_SIZE);
		REQUIRE(v, "vmalloc on fragmented memory");
		pfn = vmalloc_to_pfn(v);
		for (int k = 1; k < VP; k++)
			ours &= pfn + k < MAXP && held_at[pfn + k] != 0;
		if (ours)
			break;
		tries[ntries++] = v;	/* a neighbour is not ours: another */
		v = NULL;
	}
	REQUIRE(v, "a vmalloc buffer whose first frame is followed by three of ours");
	for (int k = 1; k < VP; k++) {
		int i = held_at[pfn + k] - 1;

		victim[k - 1] = held[i];
		held[i] = NULL;
	}
	for (int i = 0; i < nheld; i++)
		if (held[i])
			__free_page(held[i]);
	nheld = 0;
	for (int i = 0; i < ntries; i++)
		vfree(tries[i]);
	vm_unmap_aliases();

	for (int k = 1; k < VP; k++)
		CHECK(vmalloc_to_pfn(v + k * PAGE_SIZE) != pfn + (unsigned long)k,
		      "page %d of the buffer is not the frame after the first", k);
	for (int k = 0; k < VP; k++)
		vfill(v + k * PAGE_SIZE, PAGE_SIZE, 700 + (unsigned long)k);
	for (int k = 0; k < VP - 1; k++)
		pattern_fill(victim[k], 0, 800 + (unsigned long)k);
	printf("# vmalloc buffer %p: frames %#lx %#lx %#lx %#lx; "
	       "frames %#lx-%#lx are pages this test allocated\n",
	       (void *)v, vmalloc_to_pfn(v), vmalloc_to_pfn(v + PAGE_SIZE),
	       vmalloc_to_pfn(v + 2 * PAGE_SIZE), vmalloc_to_pfn(v + 3 * PAGE_SIZE), pfn + 1,
	       pfn + VP - 1);

	/* The buffer's first physical address, the whole buffer's length,
	 * no mapping: the device cannot know better. */
	raw = (struct mmk_dma_seg){ (dma_addr_t)pfn << PAGE_SHIFT, VP * PAGE_SIZE };
	run_fill(&raw, 1, 0xe7, VP * PAGE_SIZE);
	CHECK(count_not(v, PAGE_SIZE, 0xe7) == 0, "raw: the first page was filled");
	for (int k = 1; k < VP; k++)
		CHECK(vcheck(v + k * PAGE_SIZE, PAGE_SIZE, 700 + (unsigned long)k) == 0,
		      "raw: page %d of the buffer was not", k);
	for (int k = 0; k < VP - 1; k++)
		CHECK(count_not(page_address(victim[k]), PAGE_SIZE, 0xe7) == 0,
		      "raw: frame %#lx, someone else's page, was overwritten",
		      page_to_pfn(victim[k]));
	CHECK(kobj_set_check(&objs) == 0 && live_set_check(&blocks) == 0,
	      "raw: nothing beyond those frames");
	CHECK(mmk_check(stderr) == 0, "raw: the allocators' own structures are sound");

	/* The same through dma_map_sg, page by page: only the buffer. */
	for (int k = 0; k < VP; k++)
		vfill(v + k * PAGE_SIZE, PAGE_SIZE, 700 + (unsigned long)k);
	for (int k = 0; k < VP - 1; k++)
		pattern_fill(victim[k], 0, 800 + (unsigned long)k);
	sg_init_table(sg, VP);
	for (int k = 0; k < VP; k++)
		sg_set_page(&sg[k], vmalloc_to_page(v + k * PAGE_SIZE), (unsigned int)PAGE_SIZE, 0);
	n = dma_map_sg(dev, sg, VP, DMA_FROM_DEVICE);
	REQUIRE(n == VP, "dma_map_sg: %d", n);
	for (int k = 0; k < VP; k++)
		segs[k] = (struct mmk_dma_seg){ sg_dma_address(&sg[k]), sg_dma_len(&sg[k]) };
	run_fill(segs, VP, 0xe7, VP * PAGE_SIZE);
	dma_unmap_sg(dev, sg, VP, DMA_FROM_DEVICE);
	CHECK(count_not(v, VP * PAGE_SIZE, 0xe7) == 0, "sg: every page of the buffer was filled");
	for (int k = 0; k < VP - 1; k++)
		CHECK(pattern_check(victim[k], 0, 800 + (unsigned long)k) == 0,
		      "sg: frame %#lx was left alone", page_to_pfn(victim[k]));
	bystanders_check("sg");

	for (int k = 0; k < VP - 1; k++)
		__free_page(victim[k]);
	vfree(v);
	vm_unmap_aliases();
}

/* ---- A device left at shutdown (in a child) ---------------------------------- */

static int child_count;

static void child_complete(struct device *d, struct mmk_dma_cmd *cmd)
{
	(void)d;
	(void)cmd;
	__atomic_fetch_add(&child_count, 1, __ATOMIC_ACQ_REL);
}

static void left_at_shutdown(void *arg)
{
	static struct mmk_dma_seg segs[8];
	struct mmk_dma_cmd first, last;
	struct timespec ts = { 0, 200000 };
	struct device *d;

	(void)arg;
	if (mmk_boot("mem=128M") != 0) {
		fprintf(stderr, "child: boot failed\n");
		_exit(2);
	}
	d = mmk_dma_device_create("forgotten", DMA_BIT_MASK(32));
	if (!d)
		_exit(3);
	for (int i = 0; i < 8; i++) {
		struct page *b = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);

		if (!b)
			_exit(4);
		segs[i] = (struct mmk_dma_seg){ page_to_phys(b), PAGE_SIZE << MAX_PAGE_ORDER };
	}
	/* A short command, then a long one the device is still working on
	 * (the queue already empty) when shutdown comes. */
	first = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = segs, .dst_nents = 1,
				      .complete = child_complete };
	last = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = segs, .dst_nents = 8,
				     .complete = child_complete, .status = 1 };
	if (mmk_dma_submit(d, &first) || mmk_dma_submit(d, &last))
		_exit(5);
	while (__atomic_load_n(&child_count, __ATOMIC_ACQUIRE) < 1)
		nanosleep(&ts, NULL);
	mmk_shutdown();
	fprintf(stderr, "child: after shutdown, %d handlers ran, the last status %d, %zu bytes\n",
		__atomic_load_n(&child_count, __ATOMIC_ACQUIRE), last.status, last.bytes);
	_exit(0);
}

static void shutdown_child(void)
{
	const char *out;
	char want[128];
	int st = run_in_child(left_at_shutdown, NULL, &out);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child shut down without crashing (status %#x); its stderr:\n%s", st, out);
	CHECK(strstr(out, "DMA device forgotten still exists at shutdown") != NULL,
	      "shutdown warns about the device; got:\n%s", out);
	snprintf(want, sizeof(want), "2 handlers ran, the last status 0, %lu bytes",
		 8 * (PAGE_SIZE << MAX_PAGE_ORDER));
	CHECK(strstr(out, want) != NULL, "its queued commands finished first (%s); got:\n%s",
	      want, out);
}

int main(void)
{
	test_seed();
	/* First, while this process has no machine (the child boots its own). */
	shutdown_child();

	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	dev = mmk_dma_device_create("bad32", DMA_BIT_MASK(32));
	REQUIRE(dev, "device");
	kobj_set_alloc(&objs);
	live_set_alloc(&blocks);

	bad_maps();
	bad_unmaps();
	cpu_writes();
	bad_coherent();
	leaky_release();
	physical();

	bystanders_check("the end");
	kobj_set_free(&objs);
	live_set_free(&blocks);
	mmk_dma_device_destroy(dev);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
