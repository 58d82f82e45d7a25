// SPDX-License-Identifier: MIT
/*
 * mmkit demo, chapter 4: DMA, boot-time reservation and interrupt context.
 *
 * The seed's reasons for physically contiguous memory, each run as an
 * experiment against mmkit's DMA device (a bus master on its own thread
 * that reaches RAM only through bus addresses) and decided by what the
 * device did to RAM, what the API returned and what the reports say:
 *
 *   4a  "a DMA device on a physically addressed bus": the device copies
 *       between two kmalloc buffers given their bus addresses
 *       (dma_map_single), and the bytes arrive.
 *   4b  a vmalloc buffer is not contiguous in RAM: handed the physical
 *       address of the first page of a 4-page vmalloc buffer, the device
 *       fills the frames that follow that page, which belong to other
 *       allocations, and leaves the buffer's pages 1-3 alone. The pages the
 *       other allocations hold (all of them, or the 256 MiB of RAM around
 *       the buffer on a big machine) are stamped first and scanned after,
 *       so the frames it overwrote are found, not assumed.
 *   4c  the same buffer, done right: dma_map_single() of a vmalloc pointer
 *       is refused by the DMA-API debug check; dma_map_sg() with
 *       vmalloc_to_page() for each page works, and exactly the buffer's
 *       4 pages change.
 *   4d  "allocate memory as soon as possible, before memory gets
 *       fragmented": on fragmented memory an 8 MiB contiguous buffer is
 *       impossible from the buddy allocator (it has no order 11, and even
 *       order 1 fails) but dma_alloc_coherent() gets it from the CMA area
 *       reserved at boot (cma=), and the device fills it at one address.
 *   4e  "a strategy for dealing with what happens when it fails -
 *       particularly if you're in an interrupt handler": a network card's
 *       interrupt handler (the completion callback, run in interrupt
 *       context on the device's interrupt CPU) allocates a buffer per
 *       received packet with GFP_ATOMIC. On an exhausted machine it drops
 *       packets; with a mempool as the strategy for failure it drops none
 *       while no more than the pool's min_nr buffers are in flight.
 *
 * The chapter boots its own machine: the --boot command line, with
 * cma=32M added when it has no cma= (the default machine: "mem=256M
 * cma=32M"). Only the public API and the reports are used.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

#define DEV_NAME	"nic0"
#define CMA_DEFAULT	"cma=32M"

/* ---- Small helpers ------------------------------------------------------- */

/* The first line of @text that contains @needle, into @line; false if none. */
static bool line_with(const char *text, const char *needle, char *line, size_t len)
{
	const char *p = text;

	while (text && (p = next_line(p, line, len)))
		if (strstr(line, needle))
			return true;
	line[0] = '\0';
	return false;
}

static int count_lines_with(const char *text, const char *needle)
{
	const char *p = text;
	char line[1024];
	int n = 0;

	while (text && (p = next_line(p, line, sizeof(line))))
		n += strstr(line, needle) != NULL;
	return n;
}

/* Print @line after @prefix, wrapped at spaces to about 78 columns. */
static void print_wrapped(const char *prefix, const char *line)
{
	const size_t width = 78 - strlen(prefix) - 2;
	const char *p = line;
	bool first = true;

	while (*p) {
		size_t n = strlen(p), avail = first ? width : width - 2;

		if (n > avail) {
			n = avail;
			while (n > 0 && p[n] != ' ')
				n--;
			if (!n)
				n = avail;
		}
		printf("%s%s%.*s\n", prefix, first ? "" : "  ", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
		first = false;
	}
}

/* Did every byte of @p[0..@len) equal @byte? */
static bool all_bytes(const void *p, size_t len, unsigned char byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != byte)
			return false;
	return true;
}

/* A "name value" line of the vmstat report, or -1. */
static long long vmstat_value(const char *key)
{
	char *text, line[256], name[128];
	const char *p;
	long long v = -1, n;

	if (report_read("vmstat", &text, "the DMA chapter"))
		return -1;
	for (p = text; (p = next_line(p, line, sizeof(line)));)
		if (sscanf(line, "%127s %lld", name, &n) == 2 && !strcmp(name, key)) {
			v = n;
			break;
		}
	free(text);
	return v;
}

/*
 * The iomem lines of the CMA area ("    0dc00000-0fbfffff : cma"), one per
 * zone it lies in, printed; its range. False if there is none, or its
 * lines do not make one range.
 */
static bool iomem_cma(unsigned long long *start, unsigned long long *end)
{
	unsigned long long s, e;
	char *text, line[256];
	const char *p;
	int lines = 0;
	bool one = true;

	if (report_read("iomem", &text, "the DMA chapter"))
		return false;
	for (p = text; (p = next_line(p, line, sizeof(line)));) {
		size_t n = strlen(line);

		if (n <= 6 || strcmp(line + n - 6, " : cma") ||
		    sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		printf("    %s\n", line);
		if (lines++ && s != *end + 1)
			one = false;
		if (lines == 1)
			*start = s;
		*end = e;
	}
	free(text);
	if (!lines)
		printf("    (no cma line)\n");
	return lines && one;
}

/* "cma=SIZE" as the booted command line has it. */
static const char *cma_option(char *buf, size_t len)
{
	const char *p = strstr(mmk_boot_cmdline(), "cma=");
	size_t n = p ? strcspn(p, " ") : 0;

	snprintf(buf, len, "%.*s", (int)n, p ? p : "");
	return buf;
}

/* ---- The frames other allocations hold ------------------------------------- */

/*
 * 4b and 4c need to know whose frames the device wrote. Memory is taken
 * whole (fill_memory, as chapters 1 and 3 fragment it) and a quarter of it
 * given back: the frames at pfn 4k+1, each only when the set holds the
 * three frames after it. Every frame vmalloc can then get is such a frame,
 * and the three after it are pages the set holds: another allocation's.
 */
#define STAMP		0x5a	/* what each held page contains before the DMA */
/* The held pages stamped and scanned: those in a window of RAM this many
 * frames long around the first frame the device is given (256 MiB: all of
 * them on the default machine, and no more RAM touched on a big one). */
#define SCAN_FRAMES	(65536UL)

struct held {
	struct page_set set;
	unsigned char *bit;	/* a bit per pfn: the set holds the frame */
	unsigned long end_pfn;	/* one past the highest pfn the set ever held */
	unsigned long nr;	/* pages held now */
	unsigned long lo, hi;	/* the pfns stamped and scanned: [lo, hi) */
	unsigned long nr_scan;	/* held pages in [lo, hi) */
};

static bool held_pfn(const struct held *h, unsigned long pfn)
{
	return pfn < h->end_pfn && (h->bit[pfn / 8] & (1U << (pfn % 8)));
}

static int hold_memory(struct held *h)
{
	unsigned long freed = 0;

	drain_all_pages(NULL);
	if (fill_memory(&h->set))
		return -1;
	for (size_t i = 0; i < h->set.nr; i++)
		if (page_to_pfn(h->set.page[i]) + 1 > h->end_pfn)
			h->end_pfn = page_to_pfn(h->set.page[i]) + 1;
	h->bit = calloc(h->end_pfn / 8 + 1, 1);
	if (!h->bit) {
		fprintf(stderr, "mmkit: out of host memory\n");
		return -1;
	}
	for (size_t i = 0; i < h->set.nr; i++) {
		unsigned long pfn = page_to_pfn(h->set.page[i]);

		h->bit[pfn / 8] |= (unsigned char)(1U << (pfn % 8));
	}
	for (size_t i = 0; i < h->set.nr; i++) {
		unsigned long pfn = page_to_pfn(h->set.page[i]);

		if (pfn % 4 != 1 || !held_pfn(h, pfn + 1) || !held_pfn(h, pfn + 2) ||
		    !held_pfn(h, pfn + 3))
			continue;
		__free_pages(h->set.page[i], 0);
		h->set.page[i] = NULL;
		h->bit[pfn / 8] &= (unsigned char)~(1U << (pfn % 8));
		freed++;
	}
	drain_all_pages(NULL);
	h->nr = h->set.nr - freed;
	return 0;
}

static void release_memory(struct held *h)
{
	page_set_release(&h->set);
	free(h->bit);
	h->bit = NULL;
	h->end_pfn = h->nr = 0;
}

/* Stamp the held pages around @pfn. */
static void stamp_held(struct held *h, unsigned long pfn)
{
	h->lo = pfn > SCAN_FRAMES / 2 ? pfn - SCAN_FRAMES / 2 : 0;
	if (h->lo + SCAN_FRAMES > h->end_pfn)
		h->lo = h->end_pfn > SCAN_FRAMES ? h->end_pfn - SCAN_FRAMES : 0;
	h->hi = h->lo + SCAN_FRAMES < h->end_pfn ? h->lo + SCAN_FRAMES : h->end_pfn;
	h->nr_scan = 0;
	for (unsigned long f = h->lo; f < h->hi; f++) {
		if (!held_pfn(h, f))
			continue;
		memset(page_address(pfn_to_page(f)), STAMP, PAGE_SIZE);
		h->nr_scan++;
	}
}

/* The held pages whose bytes are no longer the stamp: up to @max pfns into
 * @pfn, sorted; returns how many changed. */
static unsigned long changed_held(const struct held *h, unsigned long *pfn, unsigned long max)
{
	unsigned long n = 0;

	for (unsigned long f = h->lo; f < h->hi; f++) {
		if (!held_pfn(h, f) || all_bytes(page_address(pfn_to_page(f)), PAGE_SIZE, STAMP))
			continue;
		if (n < max)
			pfn[n] = f;
		n++;
	}
	return n;
}

/* ---- 4a: a kmalloc buffer ----------------------------------------------- */

#define COPY_SIZE	(4 * PAGE_SIZE)

static int ch4_kmalloc(struct demo *d, struct device *dev)
{
	unsigned char *src = kmalloc(COPY_SIZE, GFP_KERNEL), *dst = kzalloc(COPY_SIZE, GFP_KERNEL);
	dma_addr_t s_bus = DMA_MAPPING_ERROR, d_bus = DMA_MAPPING_ERROR;
	struct mmk_dma_seg s_seg, d_seg;
	struct mmk_dma_cmd cmd;
	bool direct, same, consecutive = true;
	int status = -1;

	section("4a", "The device copies into a kmalloc buffer");
	claim("\"You only need to worry about using physically contiguous memory if the\n"
	      "         buffer will be accessed by a DMA device on a physically addressed bus\n"
	      "         (like PCI).\" ... \"if you want to do DMA from/to some hardware device,\n"
	      "         you'll need to use kmalloc\"");
	if (!src || !dst) {
		printf("  kmalloc(%lu) failed.\n", COPY_SIZE);
		kfree(src);
		kfree(dst);
		return -1;
	}
	for (size_t i = 0; i < COPY_SIZE; i++)
		src[i] = (unsigned char)(i * 131 + 7);
	s_bus = dma_map_single(dev, src, COPY_SIZE, DMA_TO_DEVICE);
	d_bus = dma_map_single(dev, dst, COPY_SIZE, DMA_FROM_DEVICE);
	if (!dma_mapping_error(dev, s_bus) && !dma_mapping_error(dev, d_bus)) {
		s_seg = (struct mmk_dma_seg){ s_bus, COPY_SIZE };
		d_seg = (struct mmk_dma_seg){ d_bus, COPY_SIZE };
		cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_COPY, .src = &s_seg, .src_nents = 1,
					    .dst = &d_seg, .dst_nents = 1 };
		status = mmk_dma_run(dev, &cmd);
	}
	if (!dma_mapping_error(dev, s_bus))
		dma_unmap_single(dev, s_bus, COPY_SIZE, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, d_bus))
		dma_unmap_single(dev, d_bus, COPY_SIZE, DMA_FROM_DEVICE);

	printf("  src = kmalloc(%lu), filled by the CPU; dst = kzalloc(%lu). Each is one\n"
	       "  run of frames, so one bus address and a length describe it to the device:\n\n",
	       COPY_SIZE, COPY_SIZE);
	printf("    %-4s %-16s %-14s %-14s %s\n", "", "virtual", "virt_to_phys", "bus address",
	       "frames (pfn)");
	for (int b = 0; b < 2; b++) {
		const unsigned char *p = b ? dst : src;
		unsigned long pfn0 = page_to_pfn(virt_to_page(p));

		for (unsigned long i = 1; i < COPY_SIZE / PAGE_SIZE; i++)
			if (page_to_pfn(virt_to_page(p + i * PAGE_SIZE)) != pfn0 + i)
				consecutive = false;
		printf("    %-4s %-16p 0x%-12llx 0x%-12llx 0x%lx..0x%lx\n", b ? "dst" : "src",
		       (const void *)p, (unsigned long long)virt_to_phys(p),
		       (unsigned long long)(b ? d_bus : s_bus), pfn0,
		       pfn0 + COPY_SIZE / PAGE_SIZE - 1);
	}
	direct = s_bus == virt_to_phys(src) && d_bus == virt_to_phys(dst);
	printf("\n  dma_map_single() gave each buffer's physical address as its bus address\n"
	       "  (no IOMMU: dma-direct). The device, told \"copy %lu bytes from 0x%llx\n"
	       "  to 0x%llx\", reads and writes RAM at those addresses on its own thread;\n"
	       "  completion status %d, %zu bytes moved. After dma_unmap_single():\n",
	       COPY_SIZE, (unsigned long long)s_bus, (unsigned long long)d_bus, status,
	       status ? (size_t)0 : cmd.bytes);
	same = status == 0 && memcmp(src, dst, COPY_SIZE) == 0;
	printf("  memcmp(dst, src, %lu): %s.\n", COPY_SIZE, same ? "equal" : "DIFFERENT");
	verdict(d, same && direct && consecutive && cmd.bytes == COPY_SIZE,
		"the device copied %lu bytes into the kmalloc buffer at bus address\n"
		"  0x%llx (its physical address, %lu consecutive frames) and they %s", COPY_SIZE,
		(unsigned long long)d_bus, COPY_SIZE / PAGE_SIZE,
		same ? "arrived intact" : "did NOT arrive");
	kfree(src);
	kfree(dst);
	return 0;
}

/* ---- 4b: a vmalloc buffer by its first page's physical address ------------ */

#define VPAGES		4
#define VSIZE		(VPAGES * PAGE_SIZE)
#define RAW_FILL	0xdd
#define SG_FILL		0xee
#define MAX_VTRIES	8

struct vbuf {
	unsigned char *p;
	unsigned long pfn[VPAGES];
};

static unsigned char vpattern(unsigned int page)
{
	return (unsigned char)(0x10 + page);	/* page i reads 0x1i */
}

static void vbuf_write_pattern(struct vbuf *vb)
{
	for (unsigned int i = 0; i < VPAGES; i++)
		memset(vb->p + (size_t)i * PAGE_SIZE, vpattern(i), PAGE_SIZE);
}

/* A 4-page vmalloc buffer whose first frame is followed by three held frames
 * (the layout hold_memory() makes; checked, so the device never writes a
 * frame the kernel itself uses). The ones that miss are kept in @miss. */
static int vbuf_alloc(const struct held *h, struct vbuf *vb, void **miss, int *nr_miss)
{
	for (*nr_miss = 0; *nr_miss < MAX_VTRIES;) {
		unsigned char *p = vmalloc(VSIZE);
		bool ok;

		if (!p)
			return -1;
		for (unsigned int i = 0; i < VPAGES; i++)
			vb->pfn[i] = vmalloc_to_pfn(p + (size_t)i * PAGE_SIZE);
		ok = held_pfn(h, vb->pfn[0] + 1) && held_pfn(h, vb->pfn[0] + 2) &&
		     held_pfn(h, vb->pfn[0] + 3);
		for (unsigned int i = 1; i < VPAGES; i++)
			ok = ok && (vb->pfn[i] < vb->pfn[0] || vb->pfn[i] > vb->pfn[0] + 3);
		if (ok) {
			vb->p = p;
			return 0;
		}
		miss[(*nr_miss)++] = p;
	}
	return -1;
}

static int ch4_vmalloc_raw(struct demo *d, struct device *dev, struct held *h,
			   struct vbuf *vb)
{
	unsigned long changed[16], nr_changed, runs = 1;
	struct mmk_dma_seg seg;
	struct mmk_dma_cmd cmd;
	bool page0, others = true, victims = true;
	int status;
	char a[32];

	section("4b", "A vmalloc buffer handed to the device by one physical address");
	claim("\"vmalloc allocates memory which is contiguous in kernel virtual memory\n"
	      "         space (that means pages allocated that way are not contiguous in RAM\"\n"
	      "         ...), so a device on a \"physically addressed bus\" cannot use it as one\n"
	      "         buffer.");
	stamp_held(h, vb->pfn[0]);
	printf("  Memory is fragmented first, as chapter 1 does it: every free frame is\n"
	       "  taken (%zu pages, %s), then a quarter is given back: the frames\n"
	       "  at pfn 4k+1, each only when the three frames after it are held. The %lu\n"
	       "  pages still held stand for the other users of memory. Stamped with 0x%02x\n"
	       "  bytes: %s (%lu).\n\n",
	       h->set.nr, fmt_bytes(a, sizeof(a), (unsigned long long)h->set.nr * PAGE_SIZE),
	       h->nr, STAMP, h->nr_scan == h->nr ? "all of them" :
	       "those in the 256 MiB of RAM around v's page 0", h->nr_scan);
	for (unsigned int i = 1; i < VPAGES; i++)
		runs += vb->pfn[i] != vb->pfn[i - 1] + 1;
	printf("  v = vmalloc(%lu): %u pages on %lu separate frames, page i filled with 0x1i:\n\n",
	       VSIZE, VPAGES, runs);
	for (unsigned int i = 0; i < VPAGES; i++)
		printf("    v+0x%04lx  page %u  pfn 0x%05lx  phys 0x%08llx\n",
		       (unsigned long)i * PAGE_SIZE, i, vb->pfn[i],
		       (unsigned long long)PFN_PHYS(vb->pfn[i]));

	vbuf_write_pattern(vb);
	seg = (struct mmk_dma_seg){ PFN_PHYS(vb->pfn[0]), VSIZE };
	cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &seg, .dst_nents = 1,
				    .fill = RAW_FILL };
	status = mmk_dma_run(dev, &cmd);
	printf("\n  A driver that gives the device vmalloc_to_pfn(v) << PAGE_SHIFT = 0x%llx\n"
	       "  and the length %lu, and asks it to fill the buffer with 0x%02x (status %d,\n"
	       "  %zu bytes written). The device writes %lu bytes from that address on, the\n"
	       "  frames 0x%lx..0x%lx:\n\n", (unsigned long long)seg.addr, VSIZE, RAW_FILL,
	       status, cmd.bytes, VSIZE, vb->pfn[0], vb->pfn[0] + VPAGES - 1);

	page0 = all_bytes(vb->p, PAGE_SIZE, RAW_FILL);
	nr_changed = changed_held(h, changed, sizeof(changed) / sizeof(changed[0]));
	printf("    %-11s %-42s %s\n", "frame", "whose", "its bytes now");
	for (unsigned long f = vb->pfn[0]; f < vb->pfn[0] + VPAGES; f++) {
		const unsigned char *mem = page_address(pfn_to_page(f));
		bool filled = all_bytes(mem, PAGE_SIZE, RAW_FILL);

		if (f == vb->pfn[0])
			printf("    pfn 0x%05lx %-42s %s\n", f, "v's page 0, the one the address names",
			       filled ? "all 0xdd (meant)" : "NOT 0xdd");
		else
			printf("    pfn 0x%05lx %-42s %s\n", f,
			       held_pfn(h, f) ? "another allocation's (held, stamped 0x5a)" :
			       "not held by the experiment",
			       filled ? "all 0xdd: OVERWRITTEN" : "unchanged");
		if (f != vb->pfn[0])
			victims = victims && filled && held_pfn(h, f);
	}
	printf("\n  And v's own pages 1-%u, at the frames vmalloc really gave them:\n\n", VPAGES - 1);
	for (unsigned int i = 1; i < VPAGES; i++) {
		bool kept = all_bytes(vb->p + (size_t)i * PAGE_SIZE, PAGE_SIZE, vpattern(i));

		others = others && kept;
		printf("    pfn 0x%05lx v's page %u: %s\n", vb->pfn[i], i,
		       kept ? "unchanged, still 0x1i: the device never wrote it" : "CHANGED");
	}
	printf("\n  The %lu stamped pages scanned for bytes that are no longer 0x%02x: %lu changed",
	       h->nr_scan, STAMP, nr_changed);
	for (unsigned long i = 0; i < nr_changed && i < sizeof(changed) / sizeof(changed[0]); i++)
		printf("%s0x%lx", i ? ", " : "\n  (pfn ", changed[i]);
	printf("%s.\n", nr_changed ? ")" : "");
	for (unsigned long i = 0; i < nr_changed && i < VPAGES - 1; i++)
		victims = victims && changed[i] == vb->pfn[0] + 1 + i;
	verdict(d, status == 0 && page0 && victims && others && nr_changed == VPAGES - 1,
		"given page 0's physical address, the device overwrote %lu\n"
		"  frames of other allocations (pfn 0x%lx..0x%lx; the scan of %lu stamped\n"
		"  pages found %s) and %s v's pages 1-%u", nr_changed, vb->pfn[0] + 1,
		vb->pfn[0] + VPAGES - 1, h->nr_scan, nr_changed == VPAGES - 1 ? "those alone" :
		"other changes too", others ? "none of" : "SOME of", VPAGES - 1);
	return 0;
}

/* ---- 4c: the debug check, and dma_map_sg --------------------------------- */

static int ch4_vmalloc_sg(struct demo *d, struct device *dev, struct held *h, struct vbuf *vb)
{
	struct scatterlist sg[VPAGES], *s;
	struct mmk_dma_seg seg[VPAGES];
	struct mmk_dma_cmd cmd;
	unsigned long nr_changed, changed[4];
	char *console, line[512];
	bool refused, reported, filled = true, bus_ok = true;
	dma_addr_t addr;
	int nents, status = -1, i;

	section("4c", "The debug check, and the same buffer through dma_map_sg()");
	claim("the DMA API refuses to map a vmalloc pointer as one buffer;\n"
	      "         dma_map_sg() with vmalloc_to_page() for each page is the way to do it.");
	/* Put back what 4b destroyed: the stamp in the frames it overwrote. */
	for (unsigned long f = vb->pfn[0] + 1; f < vb->pfn[0] + VPAGES; f++)
		memset(page_address(pfn_to_page(f)), STAMP, PAGE_SIZE);
	vbuf_write_pattern(vb);

	console_capture_start();
	addr = dma_map_single(dev, vb->p, VSIZE, DMA_FROM_DEVICE);
	console = console_capture_end();
	refused = dma_mapping_error(dev, addr) != 0;
	reported = line_with(console, "DMA-API:", line, sizeof(line)) &&
		   strstr(line, "vmalloc area");
	printf("  dma_map_single(dev, v, %lu, DMA_FROM_DEVICE) returns %s.\n"
	       "  The DMA-API debug check (always on here, as with CONFIG_DMA_API_DEBUG)\n"
	       "  says, on the console:\n\n", VSIZE,
	       refused ? "DMA_MAPPING_ERROR" : "a bus address");
	if (console && console[0]) {
		char first[256];

		next_line(console, first, sizeof(first));
		printf("    | %s\n", first);
		if (line[0])
			print_wrapped("    | ", line);
		printf("    | (%d lines in all: then the WARNING and the stack)\n",
		       count_lines_with(console, ""));
	}
	free(console);
	if (!refused)
		dma_unmap_single(dev, addr, VSIZE, DMA_FROM_DEVICE);

	sg_init_table(sg, VPAGES);
	for (unsigned int p = 0; p < VPAGES; p++)
		sg_set_page(&sg[p], vmalloc_to_page(vb->p + (size_t)p * PAGE_SIZE), PAGE_SIZE, 0);
	nents = dma_map_sg(dev, sg, VPAGES, DMA_FROM_DEVICE);
	printf("\n  Page by page instead: sg_set_page(&sg[i], vmalloc_to_page(v + i * PAGE_SIZE),\n"
	       "  PAGE_SIZE, 0), then dma_map_sg() = %d entries:\n\n", nents);
	for_each_sg(sg, s, nents, i) {
		seg[i] = (struct mmk_dma_seg){ sg_dma_address(s), sg_dma_len(s) };
		bus_ok = bus_ok && sg_dma_address(s) == PFN_PHYS(vb->pfn[i]);
		printf("    sg[%d]  bus 0x%08llx  len %u  (page %d's frame, pfn 0x%05lx)\n", i,
		       (unsigned long long)sg_dma_address(s), sg_dma_len(s), i, vb->pfn[i]);
	}
	if (nents == VPAGES) {
		cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = seg,
					    .dst_nents = (unsigned int)nents, .fill = SG_FILL };
		status = mmk_dma_run(dev, &cmd);
		dma_unmap_sg(dev, sg, nents, DMA_FROM_DEVICE);
	}
	for (unsigned int p = 0; p < VPAGES; p++)
		filled = filled && all_bytes(vb->p + (size_t)p * PAGE_SIZE, PAGE_SIZE, SG_FILL);
	nr_changed = changed_held(h, changed, sizeof(changed) / sizeof(changed[0]));
	printf("\n  The device fills the list with 0x%02x (status %d, %zu bytes), then\n"
	       "  dma_unmap_sg(). All %u pages of v read 0x%02x: %s. Stamped pages changed:\n"
	       "  %lu of %lu.\n", SG_FILL, status, status ? (size_t)0 : cmd.bytes, VPAGES,
	       SG_FILL, filled ? "yes" : "NO", nr_changed, h->nr_scan);
	verdict(d, refused && reported && nents == VPAGES && bus_ok && status == 0 && filled &&
		   nr_changed == 0,
		"dma_map_single() of the vmalloc buffer was %s%s;\n"
		"  through dma_map_sg() the device wrote v's %u pages (%s) and %lu\n"
		"  frames of anyone else", refused ? "refused" : "ACCEPTED",
		reported ? ", with a report" : " (no report)", VPAGES,
		filled ? "all of them" : "NOT all of them", nr_changed);
	return 0;
}

/* ---- 4d: 8 MiB after fragmentation, from the area reserved at boot -------- */

#define BIG_SIZE	(8UL << 20)
#define BIG_FILL	0xc3

static int ch4_cma(struct demo *d, struct device *dev)
{
	long long cma_total, free0, free1, free2, success0, success1;
	unsigned long long start = 0, end = 0;
	unsigned long higher = 0, bad_frames = 0;
	struct page *o11, *o10, *o1;
	struct mmk_dma_seg seg;
	struct mmk_dma_cmd cmd;
	struct buddyinfo bi;
	long long total_kb, free_kb;
	char *console, line[256], a[32], b[32];
	bool in_area, contiguous = false, filled = false, has_area;
	dma_addr_t handle = 0;
	unsigned char *buf;
	int status = -1;

	section("4d", "8 MiB physically contiguous after fragmentation: CMA");
	claim("\"The solution is to allocate memory as soon as possible, before memory\n"
	      "         gets fragmented.\" ... \"reserving high memory at boot\"");
	if (read_meminfo(&total_kb, &free_kb) || read_buddyinfo(&bi) ||
	    read_meminfo_key("CmaTotal", &cma_total) || read_meminfo_key("CmaFree", &free0))
		return -1;
	for (int z = 0; z < bi.nr_zones; z++)
		for (int o = 1; o < CLI_NR_ORDERS; o++)
			higher += bi.zone[z].nr_free[o];
	printf("  The memory of 4b is still fragmented: MemFree %s of %s, buddyinfo:\n\n",
	       mib(a, sizeof(a), (unsigned long long)free_kb),
	       mib(b, sizeof(b), (unsigned long long)total_kb));
	orders_header();
	buddy_rows(&bi, "");

	console_capture_start();
	o11 = alloc_pages(GFP_KERNEL, 11);
	console = console_capture_end();
	line_with(console, "", line, sizeof(line));
	free(console);
	o10 = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER);
	o1 = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	printf("\n  8 MiB is 2048 frames, a block of order 11:\n"
	       "    alloc_pages(GFP_KERNEL, 11)  = %s: the buddy allocator has no such\n"
	       "      order; the console says\n"
	       "      | %s\n"
	       "    alloc_pages(GFP_KERNEL, 10)  = %s (its largest block, 4 MiB)\n"
	       "    alloc_pages(GFP_KERNEL, 1)   = %s (not even 8 KiB: no two free frames\n"
	       "                                   side by side)\n",
	       o11 ? "a block" : "NULL", line[0] ? line : "(nothing)", o10 ? "a block" : "NULL",
	       o1 ? "a block" : "NULL");
	if (o11)
		__free_pages(o11, 11);
	if (o10)
		__free_pages(o10, MAX_PAGE_ORDER);
	if (o1)
		__free_pages(o1, 1);

	printf("\n  %s on the boot command line reserved a CMA area through memblock,\n"
	       "  before the buddy allocator took the rest of RAM. In iomem:\n",
	       cma_option(a, sizeof(a)));
	has_area = iomem_cma(&start, &end);
	printf("  meminfo: CmaTotal %lld kB, CmaFree %lld kB.\n", cma_total, free0);

	success0 = vmstat_value("cma_alloc_success");
	buf = dma_alloc_coherent(dev, BIG_SIZE, &handle, GFP_KERNEL);
	if (read_meminfo_key("CmaFree", &free1))
		return -1;
	success1 = vmstat_value("cma_alloc_success");
	in_area = buf && has_area && handle >= start && handle + BIG_SIZE - 1 <= end;
	if (buf) {
		contiguous = handle == virt_to_phys(buf);
		for (unsigned long i = 0; i < BIG_SIZE / PAGE_SIZE; i++)
			bad_frames += page_to_pfn(virt_to_page(buf + i * PAGE_SIZE)) !=
				      PHYS_PFN(handle) + i;
		seg = (struct mmk_dma_seg){ handle, BIG_SIZE };
		cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &seg, .dst_nents = 1,
					    .fill = BIG_FILL };
		status = mmk_dma_run(dev, &cmd);
		filled = status == 0 && all_bytes(buf, BIG_SIZE, BIG_FILL);
	}
	printf("\n  buf = dma_alloc_coherent(dev, 8 MiB, &handle, GFP_KERNEL):\n");
	if (buf)
		printf("    handle (bus address) 0x%llx..0x%llx, %s the CMA area;\n"
		       "    2048 frames, %lu of them out of sequence; CmaFree %lld kB -> %lld kB;\n"
		       "    vmstat cma_alloc_success %lld -> %lld.\n"
		       "    The device fills all 8 MiB at that one bus address (status %d); the CPU\n"
		       "    reads it back through buf: %s.\n",
		       (unsigned long long)handle, (unsigned long long)(handle + BIG_SIZE - 1),
		       in_area ? "inside" : "NOT inside", bad_frames, free0, free1, success0,
		       success1, status, filled ? "every byte 0xc3" : "NOT all 0xc3");
	else
		printf("    NULL.\n");
	if (buf)
		dma_free_coherent(dev, BIG_SIZE, buf, handle);
	if (read_meminfo_key("CmaFree", &free2))
		return -1;
	printf("  dma_free_coherent(): CmaFree %lld kB again.\n", free2);
	verdict(d, !o11 && !o1 && !higher && buf && in_area && contiguous && !bad_frames &&
		   filled && free0 - free1 == (long long)(BIG_SIZE >> 10) && free2 == free0,
		"no free block above order 0 (order 11 %s, order 1 %s),\n"
		"  yet dma_alloc_coherent(8 MiB) %s from the CMA area reserved at boot\n"
		"  (CmaFree -%lld kB), and the device filled it at one address",
		o11 ? "SUCCEEDED" : "does not exist", o1 ? "SUCCEEDED" : "fails",
		buf ? (in_area ? "got it" : "got it, but NOT") : "FAILED", free0 - free1);
	return 0;
}

/* ---- 4e: receiving packets in an interrupt handler ------------------------- */

#define PKT_SIZE	1500	/* an Ethernet frame: its buffer is kmalloc-2k */
#define SLOT_SIZE	2048
#define RING		64	/* rx slots: the most packets one burst can bring */
#define POOL_MIN	16
#define PACKETS		(17 * 16)
#define MAX_HOG		16384

struct nic;

/* One rx slot and the command that fills it. */
struct rx_desc {
	struct nic *nic;
	struct mmk_dma_seg seg;
	struct mmk_dma_cmd cmd;
	int seq;
	void *buf;		/* what the handler allocated, or NULL */
};

/*
 * The driver: a ring of rx slots in coherent memory. A burst of packets is
 * the device filling consecutive slots, each completion an interrupt whose
 * handler allocates a buffer and copies the packet out of its slot. Process
 * context (the network stack) then checks and frees the burst's buffers.
 */
struct nic {
	struct device *dev;
	unsigned char *ring;		/* RING slots, CPU address */
	dma_addr_t ring_bus;
	struct rx_desc desc[RING];
	mempool_t *pool;		/* this run's; NULL: plain kmalloc */
	pthread_t submitter;
	int completed;			/* interrupts of this burst handled */
	/* What the handler saw, over all runs. */
	long irqs, not_irq, same_thread;
	/* Set for one interrupt: take every free kmalloc-2k object of the
	 * interrupt CPU instead of receiving. */
	bool hogging;
	void **hog;
	int nr_hog;
};

static unsigned char pkt_byte(int seq)
{
	return (unsigned char)((seq * 37 + 11) | 1);
}

/* The interrupt handler: runs on the device's interrupt CPU. */
static void nic_irq(struct device *dev, struct mmk_dma_cmd *cmd)
{
	struct rx_desc *rx = cmd->priv;
	struct nic *nic = rx->nic;
	size_t slot = (size_t)(rx - nic->desc);
	void *buf = NULL;

	(void)dev;
	nic->irqs++;
	nic->not_irq += !in_interrupt() || in_task();
	nic->same_thread += pthread_equal(pthread_self(), nic->submitter) != 0;
	if (nic->hogging) {
		while (nic->nr_hog < MAX_HOG &&
		       (buf = kmalloc(PKT_SIZE, GFP_ATOMIC | __GFP_NOWARN)))
			nic->hog[nic->nr_hog++] = buf;
		buf = NULL;
	} else if (cmd->status == 0) {
		buf = nic->pool ? mempool_alloc(nic->pool, GFP_ATOMIC) :
				  kmalloc(PKT_SIZE, GFP_ATOMIC);
		if (buf)	/* the packet, off its slot */
			memcpy(buf, nic->ring + slot * SLOT_SIZE, PKT_SIZE);
	}
	rx->buf = buf;
	__atomic_fetch_add(&nic->completed, 1, __ATOMIC_RELEASE);
}

/* A burst: packets @seq0.. arrive in the first @n slots. Returns how many
 * commands the device took; waits for all their interrupts. */
static int nic_burst(struct nic *nic, int seq0, int n)
{
	int sent = 0;

	__atomic_store_n(&nic->completed, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < n; i++) {
		struct rx_desc *rx = &nic->desc[i];

		rx->nic = nic;
		rx->seq = seq0 + i;
		rx->buf = NULL;
		rx->seg = (struct mmk_dma_seg){ nic->ring_bus + (dma_addr_t)i * SLOT_SIZE,
						PKT_SIZE };
		rx->cmd = (struct mmk_dma_cmd){ .kind = MMK_DMA_FILL, .dst = &rx->seg,
						.dst_nents = 1, .fill = pkt_byte(seq0 + i),
						.complete = nic_irq, .priv = rx };
		if (mmk_dma_submit(nic->dev, &rx->cmd))
			break;
		sent++;
	}
	while (__atomic_load_n(&nic->completed, __ATOMIC_ACQUIRE) < sent) {
		const struct timespec ts = { 0, 10000 };

		nanosleep(&ts, NULL);
	}
	return sent;
}

struct rx_stats {
	int batch;
	int received, dropped, corrupt, unsent;
	int slub_reports;	/* "SLUB: Unable to allocate" on the console */
	int page_warnings;	/* "page allocation failure" (rate-limited) */
	char first[256];	/* the console's first line */
};

/* @packets packets in bursts of @batch: at most @batch buffers in flight. */
static struct rx_stats nic_run(struct nic *nic, mempool_t *pool, int packets, int batch)
{
	struct rx_stats st = { batch, 0, 0, 0, 0, 0, 0, "" };
	char *console;

	nic->pool = pool;
	console_capture_start();
	for (int seq = 0; seq < packets; seq += batch) {
		int n = packets - seq < batch ? packets - seq : batch;
		int sent = nic_burst(nic, seq, n);

		st.unsent += n - sent;
		for (int i = 0; i < sent; i++) {
			struct rx_desc *rx = &nic->desc[i];

			if (!rx->buf) {
				st.dropped++;
				continue;
			}
			st.received++;
			st.corrupt += !all_bytes(rx->buf, PKT_SIZE, pkt_byte(rx->seq));
			if (pool)
				mempool_free(rx->buf, pool);
			else
				kfree(rx->buf);
			rx->buf = NULL;
		}
	}
	console = console_capture_end();
	st.page_warnings = count_lines_with(console, "page allocation failure");
	st.slub_reports = count_lines_with(console, "SLUB: Unable to allocate");
	line_with(console, "", st.first, sizeof(st.first));
	free(console);
	nic->pool = NULL;
	return st;
}

/* Take every page and every free kmalloc-2k object, on this CPU and, from
 * a handler, on the interrupt CPU. */
static int exhaust(struct nic *nic, struct page_set *pages)
{
	size_t before;
	void *buf;
	int sent;

	do {
		before = pages->nr;
		drain_all_pages(NULL);
		if (fill_memory(pages))
			return -1;
	} while (pages->nr > before);
	while (nic->nr_hog < MAX_HOG && (buf = kmalloc(PKT_SIZE, GFP_ATOMIC | __GFP_NOWARN)))
		nic->hog[nic->nr_hog++] = buf;
	nic->hogging = true;
	sent = nic_burst(nic, 0, 1);
	nic->hogging = false;
	return sent == 1 ? 0 : -1;
}

static void print_rx(const char *what, const struct rx_stats *st)
{
	printf("    %-37s %5d %9d %8d %8d\n", what, st->batch, st->received, st->dropped,
	       st->corrupt);
}

static int ch4_interrupts(struct demo *d, struct device *dev)
{
	struct nic *nic = calloc(1, sizeof(*nic));
	struct page_set pages = { NULL, 0, 0 };
	struct rx_stats calm, atomic, pool16, pool17;
	int reserve16 = -1, reserve17 = -1, err = -1, unsent;
	mempool_t *pool = NULL;
	bool context_ok;
	char a[32];

	section("4e", "Packets received in an interrupt handler, under memory pressure");
	claim("\"you need a strategy for dealing with what happens when it fails -\n"
	      "         particularly if you're in an interrupt handler\" (\"if not called with\n"
	      "         GFP_ATOMIC kmalloc can block\", and a handler must not block)");
	if (!nic) {
		fprintf(stderr, "mmkit: out of host memory\n");
		return -1;
	}
	nic->dev = dev;
	nic->submitter = pthread_self();
	nic->hog = malloc(MAX_HOG * sizeof(*nic->hog));
	nic->ring = dma_alloc_coherent(dev, RING * SLOT_SIZE, &nic->ring_bus, GFP_KERNEL);
	if (!nic->hog || !nic->ring) {
		printf("  Could not set up the rx ring.\n");
		goto out;
	}
	printf("  A network card: a ring of %d rx slots of %d bytes in coherent memory\n"
	       "  (dma_alloc_coherent, bus 0x%llx). A burst of packets: the device writes\n"
	       "  each packet (%d bytes) into the next slot and raises an interrupt. The\n"
	       "  handler, run on the device's interrupt CPU, allocates a buffer with\n"
	       "  GFP_ATOMIC and copies the packet into it; no buffer, and the packet is\n"
	       "  dropped. After the burst, process context checks and frees the buffers:\n"
	       "  at most `batch` are in flight. %d packets a run.\n\n", RING, SLOT_SIZE,
	       (unsigned long long)nic->ring_bus, PKT_SIZE, PACKETS);

	/* Memory free: a whole ring per burst. */
	calm = nic_run(nic, NULL, PACKETS, RING);
	/* The pool's reserve is allocated now, while memory is plentiful. */
	pool = mempool_create_kmalloc_pool(POOL_MIN, PKT_SIZE);
	if (!pool) {
		printf("  mempool_create_kmalloc_pool() failed.\n");
		goto out;
	}
	if (exhaust(nic, &pages)) {
		printf("  The device took no command on the exhausted machine.\n");
		goto out;
	}
	atomic = nic_run(nic, NULL, PACKETS, POOL_MIN);
	pool16 = nic_run(nic, pool, PACKETS, POOL_MIN);
	reserve16 = mmk_mempool_reserve_nr(pool);
	pool17 = nic_run(nic, pool, PACKETS, POOL_MIN + 1);
	reserve17 = mmk_mempool_reserve_nr(pool);
	unsent = calm.unsent + atomic.unsent + pool16.unsent + pool17.unsent;

	context_ok = nic->irqs > 0 && !nic->not_irq && !nic->same_thread;
	printf("  The handler ran %ld times, every time in interrupt context (in_interrupt()\n"
	       "  true, in_task() false: %s), on the interrupt CPU's thread, not the one that\n"
	       "  submitted (%s).\n\n", nic->irqs, nic->not_irq ? "NOT always" : "yes",
	       nic->same_thread ? "NOT always" : "yes");
	printf("  After the first run the machine is exhausted: every free page is taken\n"
	       "  (%zu, %s), and every free kmalloc-2k object, on this CPU and\n"
	       "  (from a handler) on the interrupt CPU: %d buffers. The pool,\n"
	       "  mempool_create_kmalloc_pool(%d, %d), took its %d elements before that.\n\n",
	       pages.nr,
	       fmt_bytes(a, sizeof(a), (unsigned long long)pages.nr * PAGE_SIZE), nic->nr_hog,
	       POOL_MIN, PKT_SIZE, POOL_MIN);
	printf("  (The device itself keeps working: its command descriptors come from a\n"
	       "  reserve of its own, as a driver preallocates its descriptor ring.)\n\n");
	printf("    %-37s %5s %9s %8s %8s\n", "the handler allocates with", "batch", "received",
	       "dropped", "corrupt");
	print_rx("kmalloc(GFP_ATOMIC), memory free", &calm);
	print_rx("kmalloc(GFP_ATOMIC), exhausted", &atomic);
	print_rx("mempool_alloc(GFP_ATOMIC), exhausted", &pool16);
	print_rx("mempool_alloc(GFP_ATOMIC), exhausted", &pool17);
	if (unsent)
		printf("\n  The device refused %d of the commands (mmk_dma_submit: no memory).\n",
		       unsent);
	if (atomic.first[0]) {
		printf("\n  On the console, the exhausted kmalloc run printed %d \"SLUB: Unable to\n"
		       "  allocate memory\" reports, and %d of the page allocator's warnings\n"
		       "  (rate-limited, as Linux: 10 per 5 seconds). The first line:\n",
		       atomic.slub_reports, atomic.page_warnings);
		print_wrapped("    | ", atomic.first);
	}
	printf("\n  mempool_free() refills the reserve before anything goes back to the\n"
	       "  allocator (the reserve after the runs: %d and %d of %d). So the pool\n"
	       "  guarantees %d buffers in flight whatever memory does; a batch of %d needs\n"
	       "  one more than that, and %s.\n", reserve16, reserve17, POOL_MIN, POOL_MIN,
	       POOL_MIN + 1, pool17.dropped == PACKETS / (POOL_MIN + 1) ?
	       "exactly one packet of each batch is dropped" :
	       "that run drops what the reserve cannot cover");

	verdict(d, context_ok && calm.dropped == 0 && atomic.dropped > 0 && !calm.corrupt &&
		   !atomic.corrupt && !calm.unsent && !atomic.unsent,
		"in a handler kmalloc(GFP_ATOMIC) cannot wait for memory:\n"
		"  with memory free it dropped %d of %d packets, on the exhausted machine %d",
		calm.dropped, PACKETS, atomic.dropped);
	verdict(d, context_ok && pool16.dropped == 0 && pool16.received == PACKETS &&
		   !pool16.corrupt && reserve16 == POOL_MIN,
		"with a mempool of %d as the strategy for failure,\n"
		"  the same handler on the same exhausted machine dropped %d of %d packets\n"
		"  (%d received intact)",
		POOL_MIN, pool16.dropped, PACKETS, pool16.received - pool16.corrupt);
	err = 0;
out:
	while (nic->nr_hog)
		kfree(nic->hog[--nic->nr_hog]);
	page_set_release(&pages);
	if (pool)
		mempool_destroy(pool);
	if (nic->ring)
		dma_free_coherent(dev, RING * SLOT_SIZE, nic->ring, nic->ring_bus);
	free(nic->hog);
	free(nic);
	return err;
}

/* ---- The chapter ------------------------------------------------------- */

static int fragmented_part(struct demo *d, struct device *dev)
{
	struct held h = { { NULL, 0, 0 }, NULL, 0, 0 };
	void *miss[MAX_VTRIES];
	struct vbuf vb = { NULL, { 0 } };
	int nr_miss = 0, err;

	err = hold_memory(&h);
	if (!err && vbuf_alloc(&h, &vb, miss, &nr_miss)) {
		printf("\n  vmalloc(%lu) on the fragmented machine failed, or %d tries gave no\n"
		       "  buffer whose first frame is followed by held frames.\n", VSIZE, MAX_VTRIES);
		err = -1;
	}
	if (!err)
		err = ch4_vmalloc_raw(d, dev, &h, &vb);
	if (!err)
		err = ch4_vmalloc_sg(d, dev, &h, &vb);
	vfree(vb.p);
	while (nr_miss)
		vfree(miss[--nr_miss]);
	vm_unmap_aliases();
	if (!err)
		err = ch4_cma(d, dev);
	release_memory(&h);
	return err;
}

int chapter_dma(struct demo *d)
{
	const char *base = d->cmdline ? d->cmdline : "mem=256M";
	struct device *dev;
	char *cmdline;
	int err;

	if (strstr(base, "cma="))
		cmdline = strdup(base);
	else if (asprintf(&cmdline, "%s %s", base, CMA_DEFAULT) < 0)
		cmdline = NULL;
	if (!cmdline || cli_boot(cmdline)) {
		free(cmdline);
		return -1;
	}
	free(cmdline);
	dev = mmk_dma_device_create(DEV_NAME, DMA_BIT_MASK(64));
	if (!dev) {
		printf("  mmk_dma_device_create() failed.\n");
		mmk_shutdown();
		return -1;
	}
	printf("\n  Booted with: %s\n"
	       "  The device, %s, is a 64-bit bus master (a PCIe card): it runs on its own\n"
	       "  thread and reaches RAM only at bus addresses, here the physical addresses.\n"
	       "  It never sees a virtual address.\n", mmk_boot_cmdline(), DEV_NAME);
	err = ch4_kmalloc(d, dev);
	if (!err)
		err = fragmented_part(d, dev);
	if (!err)
		err = ch4_interrupts(d, dev);
	mmk_dma_device_destroy(dev);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}
