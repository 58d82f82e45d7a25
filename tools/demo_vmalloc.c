// SPDX-License-Identifier: MIT
/*
 * mmkit demo, chapter 3: vmalloc.
 *
 * The seed text's vmalloc claims, each run as an experiment and decided by
 * what the machine reports and what the API returns:
 *
 *   3a  "you can use vmalloc to avoid the fragmentation problem": memory
 *       fragmented as in chapter 1 (every free frame's buddy allocated),
 *       megabytes free; kmalloc(8192) fails, vmalloc(4 MiB) succeeds.
 *   3b  "pages allocated that way are not contiguous in RAM, but the kernel
 *       sees them as one block": the frame behind each page of the buffer
 *       (vmalloc_to_pfn), how many physically contiguous runs they form,
 *       where in RAM they lie; one memcpy() fills the whole buffer.
 *   3c  each page is an ordinary frame: the bytes written through the
 *       vmalloc pointer are the bytes the direct map shows at that frame
 *       (phys_to_virt), and a write through the direct map shows through
 *       the vmalloc pointer.
 *   3d  "vmalloc is often slower than kmalloc": kmalloc+kfree against
 *       vmalloc+vfree, measured on a freshly booted (unfragmented) machine
 *       for sizes from 4 KiB to 4 MiB, the rounds of the two interleaved so
 *       a busy host slows both alike; the verdict compares the medians.
 *
 * Only the public API and the reports are used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "../bench/bench_util.h"	/* bench_now_ns, bench_median */

/* The buffer 3a allocates and 3b, 3c examine. */
#define VBUF_SIZE	(4UL << 20)

struct vbuf {
	unsigned char *p;
	unsigned int nr_pages;
	unsigned long *pfn;	/* the frame behind each page, by vmalloc_to_pfn */
	unsigned char *pattern;	/* what 3b wrote through p (host memory) */
	unsigned int runs;	/* physically contiguous runs among them */
	double alloc_ns;	/* what the vmalloc() call took */
};

/*
 * The frame behind each of the @nr pages at @p into @pfn; returns how many
 * runs of physically consecutive frames they make (each run is one host
 * mmap() when the area was mapped).
 */
static unsigned int walk_pfns(const unsigned char *p, unsigned int nr, unsigned long *pfn)
{
	unsigned int runs = 0;

	for (unsigned int i = 0; i < nr; i++) {
		pfn[i] = vmalloc_to_pfn(p + (size_t)i * PAGE_SIZE);
		if (!i || pfn[i] != pfn[i - 1] + 1)
			runs++;
	}
	return runs;
}

/* The pfn one past the last frame of RAM, from zoneinfo's spans. */
static unsigned long ram_end_pfn(void)
{
	struct zoneinfo zi;
	unsigned long end = 0;

	if (read_zoneinfo(&zi))
		return 0;
	for (int z = 0; z < zi.nr_zones; z++)
		if (zi.zone[z].spanned && zi.zone[z].start_pfn + zi.zone[z].spanned > end)
			end = zi.zone[z].start_pfn + zi.zone[z].spanned;
	return end;
}

/* ---- 3a: fragmentation ------------------------------------------------- */

#define MAX_8K_TRIES	64

/*
 * The chapter's vmalloc() call site, exported so that vmallocinfo's caller
 * column can name it (as %pS names a kernel function); the build hides
 * everything else, which the column could only show as a number.
 */
__attribute__((visibility("default"), noinline)) void *demo_vmalloc_buffer(unsigned long size);
__attribute__((visibility("default"), noinline)) void *demo_vmalloc_buffer(unsigned long size)
{
	void *p = vmalloc(size);

	__asm__ volatile("" : : "r"(p) : "memory");	/* not a tail call */
	return p;
}

static int ch3_fragmented(struct demo *d, struct page_set *set, struct vbuf *vb)
{
	long long total_kb, free_kb, used0, used1;
	void *held[MAX_8K_TRIES];
	unsigned long above0 = 0;
	int nr_held = 0;
	bool k8_failed;
	char *console, *nl;
	struct buddyinfo bi;
	char a[32], b[32];

	section("3a", "Fragmentation: an 8K kmalloc fails, a 4 MiB vmalloc succeeds");
	claim("\"If you don't need contiguous mapping in kernel space, you can use vmalloc\n"
	      "         to avoid the fragmentation problem, at the cost of some MMU overhead.\"");
	printf("  1. Fragment memory as chapter 1 did: allocate every free frame (order 0),\n"
	       "     free each one whose pfn is odd, drain the per-CPU lists.\n");
	drain_all_pages(NULL);
	if (fill_memory(set))
		return -1;
	free_odd_pfns(set);
	if (read_meminfo(&total_kb, &free_kb) || read_buddyinfo(&bi) ||
	    read_meminfo_key("VmallocUsed", &used0))
		return -1;
	for (int z = 0; z < bi.nr_zones; z++)
		for (int o = 1; o < CLI_NR_ORDERS; o++)
			above0 += bi.zone[z].nr_free[o];
	printf("     meminfo MemFree: %s of MemTotal %s; buddyinfo:\n\n",
	       mib(a, sizeof(a), (unsigned long long)free_kb),
	       mib(b, sizeof(b), (unsigned long long)total_kb));
	orders_header();
	buddy_rows(&bi, "");

	/* Successful calls print nothing, so one capture holds the failure. */
	printf("\n  2. kmalloc(8192, GFP_KERNEL): 2 physically contiguous frames.\n");
	console_capture_start();
	while (nr_held < MAX_8K_TRIES && (held[nr_held] = kmalloc(8192, GFP_KERNEL)))
		nr_held++;
	console = console_capture_end();
	k8_failed = nr_held < MAX_8K_TRIES;
	if (k8_failed) {
		if (nr_held)
			printf("     %d call(s) took free objects of kmalloc-8k's slabs; the next one\n"
			       "     needed a new slab and ", nr_held);
		else
			printf("     kmalloc-8k had no free object, so it needed a new slab, and it\n     ");
		nl = console ? strchr(console, '\n') : NULL;
		printf("returned NULL. The console's first line:\n       | %.*s\n",
		       nl ? (int)(nl - console) : console ? (int)strlen(console) : 0,
		       console ? console : "");
	} else {
		printf("     %d calls succeeded.\n", nr_held);
	}
	while (nr_held)
		kfree(held[--nr_held]);
	free(console);

	printf("\n  3. p = vmalloc(%s): %lu pages, each frame taken wherever one is free.\n",
	       fmt_bytes(a, sizeof(a), VBUF_SIZE), VBUF_SIZE / PAGE_SIZE);
	vb->alloc_ns = bench_now_ns();
	vb->p = demo_vmalloc_buffer(VBUF_SIZE);
	vb->alloc_ns = bench_now_ns() - vb->alloc_ns;
	if (read_meminfo_key("VmallocUsed", &used1))
		return -1;
	if (vb->p)
		printf("     p = %p: is_vmalloc_addr(p) = %s. The call took %.0f us.\n"
		       "     The vmalloc range is 0x%lx-0x%lx (%s, boot option vmalloc=).\n"
		       "     meminfo VmallocUsed: %lld kB -> %lld kB.\n", (void *)vb->p,
		       is_vmalloc_addr(vb->p) ? "true" : "false", vb->alloc_ns / 1e3,
		       VMALLOC_START, VMALLOC_END,
		       fmt_bytes(a, sizeof(a), VMALLOC_END - VMALLOC_START), used0, used1);
	else
		printf("     It returned NULL.\n");
	verdict(d, k8_failed && !above0 && vb->p && free_kb >= total_kb / 4,
		"an 8K kmalloc fails while a 4 MiB vmalloc succeeds: %s free, none\n"
		"  of it in blocks above order 0; kmalloc(8192) %s, vmalloc(4 MiB) %s",
		mib(a, sizeof(a), (unsigned long long)free_kb),
		k8_failed ? "failed" : "SUCCEEDED", vb->p ? "succeeded" : "FAILED");
	return 0;
}

/* ---- 3b: scattered frames, one buffer ---------------------------------- */

#define MAP_COLS	64

/* One row of RAM, MAP_COLS cells: '#' where a frame of the buffer lies. */
static void show_ram_map(const struct vbuf *vb, unsigned long end_pfn)
{
	char cells[MAP_COLS + 1];
	unsigned long per = (end_pfn + MAP_COLS - 1) / MAP_COLS;
	char a[32];

	if (!per)
		return;
	memset(cells, '.', MAP_COLS);
	cells[MAP_COLS] = '\0';
	for (unsigned int i = 0; i < vb->nr_pages; i++)
		if (vb->pfn[i] / per < MAP_COLS)
			cells[vb->pfn[i] / per] = '#';
	printf("\n  Where they lie in RAM (pfn 0x0 to 0x%lx; a cell is %s, '#': at least\n"
	       "  one frame of the buffer):\n\n    |%s|\n", end_pfn - 1,
	       fmt_bytes(a, sizeof(a), (unsigned long long)per * PAGE_SIZE), cells);
}

/* The vmallocinfo line of the area at @p, if this build has the report. */
static void show_vmallocinfo(const void *p)
{
	char *text, *console, line[512];
	const char *q;
	int err;

	/* report_read notes a missing report on stderr: keep that off the tour. */
	console_capture_start();
	err = report_read("vmallocinfo", &text, "the vmalloc chapter");
	console = console_capture_end();
	free(console);
	if (err == -ENOENT) {
		printf("\n  (This build has no vmallocinfo report yet.)\n");
		return;
	}
	if (err)
		return;
	for (q = text; (q = next_line(q, line, sizeof(line)));) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx", &start, &end) == 2 && start == (unsigned long)p) {
			printf("\n  Its line in vmallocinfo (range, size with the guard page, caller):\n"
			       "    %s\n", line);
			if (strstr(line, " vpages"))
				printf("  (vpages: its array of page pointers, above a page, is itself\n"
				       "  vmalloc'ed, as in Linux.)\n");
			break;
		}
	}
	free(text);
}

static int ch3_scattered(struct demo *d, struct vbuf *vb)
{
	const unsigned int n = vb->nr_pages;
	const unsigned int sample[] = { 0, 1, 2, n / 4, n / 2, 3 * n / 4, n - 2, n - 1 };
	unsigned long lo = ~0UL, hi = 0, end_pfn, longest = 1, len = 1, bad = 0;
	unsigned char *seen;		/* a bit per frame of RAM */
	bool one_buffer;
	char a[32], b[32];

	section("3b", "Scattered frames, one buffer");
	claim("\"vmalloc allocates memory which is contiguous in kernel virtual memory space\n"
	      "         (that means pages allocated that way are not contiguous in RAM, but the\n"
	      "         kernel sees them as one block).\"");
	vb->runs = walk_pfns(vb->p, n, vb->pfn);
	end_pfn = ram_end_pfn();
	seen = calloc(end_pfn / 8 + 1, 1);
	if (!seen)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		lo = vb->pfn[i] < lo ? vb->pfn[i] : lo;
		hi = vb->pfn[i] > hi ? vb->pfn[i] : hi;
		len = i && vb->pfn[i] == vb->pfn[i - 1] + 1 ? len + 1 : 1;
		longest = len > longest ? len : longest;
	}
	for (unsigned int i = 0; i < n; i++) {
		unsigned long pfn = vb->pfn[i];

		if (pfn >= end_pfn || !pfn_valid(pfn) || (seen[pfn / 8] & (1 << (pfn % 8))))
			bad++;
		else
			seen[pfn / 8] |= (unsigned char)(1 << (pfn % 8));
	}
	free(seen);

	printf("  vmalloc_to_pfn() of each of the %u pages of p:\n\n", n);
	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++)
		printf("    p+0x%06lx  page %4u  pfn 0x%05lx  phys 0x%08llx\n",
		       (unsigned long)sample[i] * PAGE_SIZE, sample[i], vb->pfn[sample[i]],
		       (unsigned long long)PFN_PHYS(vb->pfn[sample[i]]));
	printf("\n    %u pages on %lu distinct frames, in %u physically contiguous run(s),\n"
	       "    the longest %lu frame(s). Lowest pfn 0x%lx, highest 0x%lx: they are\n"
	       "    spread over %s of physical memory for a %s buffer.\n", n, n - bad,
	       vb->runs, longest, lo, hi,
	       fmt_bytes(a, sizeof(a), (unsigned long long)(hi - lo + 1) * PAGE_SIZE),
	       fmt_bytes(b, sizeof(b), VBUF_SIZE));
	show_ram_map(vb, end_pfn);
	show_vmallocinfo(vb->p);

	/* One memcpy() across all the pages, read back through the same pointer. */
	for (size_t i = 0; i < VBUF_SIZE / sizeof(uint64_t); i++)
		((uint64_t *)vb->pattern)[i] = (i * 0x9e3779b97f4a7c15ULL) ^ 0x6d6d6b6974ULL;
	memcpy(vb->p, vb->pattern, VBUF_SIZE);
	one_buffer = memcmp(vb->p, vb->pattern, VBUF_SIZE) == 0;
	printf("\n  memcpy(p, pattern, %s) in one call, then memcmp(p, pattern, %s): %s.\n",
	       fmt_bytes(a, sizeof(a), VBUF_SIZE), fmt_bytes(b, sizeof(b), VBUF_SIZE),
	       one_buffer ? "equal" : "DIFFERENT");
	verdict(d, vb->runs > 1 && !bad && one_buffer,
		"vmalloc's pages are scattered but one buffer: %u pages in %u separate\n"
		"  runs of frames (pfn 0x%lx..0x%lx), and one memcpy() of %s %s", n, vb->runs,
		lo, hi, fmt_bytes(a, sizeof(a), VBUF_SIZE),
		one_buffer ? "filled it" : "did NOT read back");
	return 0;
}

/* ---- 3c: the direct map ------------------------------------------------ */

static int ch3_direct_map(struct demo *d, struct vbuf *vb)
{
	static const char note[] = "written through the direct map";
	unsigned int same = 0, last = vb->nr_pages - 1;
	unsigned char *alias;
	bool back;

	section("3c", "The same bytes through the direct map");
	claim("each page of a vmalloc buffer is an ordinary frame: the direct map, which\n"
	      "         covers all of RAM, reaches the same bytes at phys_to_virt(pfn << PAGE_SHIFT).");
	for (unsigned int i = 0; i < vb->nr_pages; i++) {
		const void *direct = phys_to_virt(PFN_PHYS(vb->pfn[i]));

		same += memcmp(direct, vb->pattern + (size_t)i * PAGE_SIZE, PAGE_SIZE) == 0;
	}
	alias = phys_to_virt(PFN_PHYS(vb->pfn[last]));
	memcpy(alias, note, sizeof(note));
	back = memcmp(vb->p + (size_t)last * PAGE_SIZE, note, sizeof(note)) == 0;
	printf("  3b wrote a pattern through p. For each page i, pfn_i its frame, the page\n"
	       "  read through the direct map, phys_to_virt(pfn_i << PAGE_SHIFT), against the\n"
	       "  pattern's bytes at i * PAGE_SIZE: %u of %u pages equal.\n", same, vb->nr_pages);
	printf("  The other way: \"%s\" copied to the last page's direct-map\n"
	       "  address %p; p+0x%lx now reads \"%.*s\".\n", note, (void *)alias,
	       (unsigned long)last * PAGE_SIZE, (int)sizeof(note) - 1,
	       (const char *)vb->p + (size_t)last * PAGE_SIZE);
	printf("  Two virtual addresses, one frame: the host maps the same memfd offset at\n"
	       "  both, as Linux's page tables map the frame in the direct map and in the\n"
	       "  vmalloc range.\n");
	verdict(d, same == vb->nr_pages && back,
		"the same bytes through the direct map: %u of %u pages read the same at\n"
		"  phys_to_virt(), and a write there %s through p", same, vb->nr_pages,
		back ? "shows" : "does NOT show");
	return 0;
}

/* ---- 3d: the cost ------------------------------------------------------ */

#define ROUNDS		5
#define ROUND_NS	1000000LL	/* calibrate a round to at least 1 ms */
#define MAX_PAIRS	(1U << 16)

struct allocator {
	void *(*alloc)(size_t size);
	void (*free)(const void *p);
	void (*flush)(void);	/* what is still owed at the end of a round */
};

static void *kmalloc_kernel(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void kfree_one(const void *p)
{
	kfree(p);
}

static void *vmalloc_one(size_t size)
{
	void *p = vmalloc(size);

	__asm__ volatile("" : : "r"(p) : "memory");	/* not a tail call */
	return p;
}

static void vfree_one(const void *p)
{
	vfree(p);
}

/* vfree is lazy: the round pays for the teardown of all it freed. */
static void vmalloc_purge(void)
{
	vm_unmap_aliases();
}

static const struct allocator kmalloc_ops = { kmalloc_kernel, kfree_one, NULL };
static const struct allocator vmalloc_ops = { vmalloc_one, vfree_one, vmalloc_purge };

/* ns per alloc+free pair over @n pairs, or -1 when an allocation failed. */
static double pair_round(const struct allocator *a, size_t size, unsigned int n)
{
	double t0 = bench_now_ns();

	for (unsigned int i = 0; i < n; i++) {
		void *p = a->alloc(size);

		if (!p)
			return -1;
		a->free(p);
	}
	if (a->flush)
		a->flush();
	return (bench_now_ns() - t0) / n;
}

/* Pairs per round so that a round takes about ROUND_NS; 0 if it fails. */
static unsigned int calibrate(const struct allocator *a, size_t size)
{
	unsigned int n = 1;

	for (;;) {
		double ns = pair_round(a, size, n);

		if (ns < 0)
			return 0;
		if (ns * n >= (double)ROUND_NS || n >= MAX_PAIRS)
			return n;
		n *= 2;
	}
}

struct cost_row {
	size_t size;
	double kmalloc_ns;	/* -1: kmalloc cannot serve the size */
	double vmalloc_ns;	/* -1: vmalloc failed */
	unsigned int runs;	/* host mappings a vmalloc of the size made */
};

/* The median of @rounds pair_round() figures, or -1 if any round failed. */
static double median_or_fail(double *ns, int rounds)
{
	for (int i = 0; i < rounds; i++)
		if (ns[i] < 0)
			return -1;
	return bench_median(ns, rounds);
}

static void measure(struct cost_row *r, unsigned long *pfn)
{
	double k[ROUNDS], v[ROUNDS];
	unsigned int nk = 0, nv = 0;
	void *p;

	/* One of each first: whether it can be served, and its runs. */
	p = kmalloc(r->size, GFP_KERNEL | __GFP_NOWARN);
	if (p) {
		kfree(p);
		nk = calibrate(&kmalloc_ops, r->size);
	}
	p = vmalloc(r->size);
	r->runs = 0;
	if (p) {
		r->runs = walk_pfns(p, (unsigned int)(r->size / PAGE_SIZE), pfn);
		vfree(p);
		vm_unmap_aliases();
		nv = calibrate(&vmalloc_ops, r->size);
	}
	for (int i = 0; i < ROUNDS; i++) {
		k[i] = nk ? pair_round(&kmalloc_ops, r->size, nk) : -1;
		v[i] = nv ? pair_round(&vmalloc_ops, r->size, nv) : -1;
	}
	r->kmalloc_ns = median_or_fail(k, ROUNDS);
	r->vmalloc_ns = median_or_fail(v, ROUNDS);
}

static int ch3_cost(struct demo *d, const struct vbuf *frag)
{
	static const size_t sizes[] = { 4 << 10, 16 << 10, 64 << 10, 128 << 10, 1 << 20, 4 << 20 };
	const int nr = (int)(sizeof(sizes) / sizeof(sizes[0]));
	struct cost_row row[sizeof(sizes) / sizeof(sizes[0])];
	double lo_ratio = 0, hi_ratio = 0;
	int both = 0, slower = 0;
	unsigned long *pfn;
	char a[32], b[32];

	section("3d", "The cost: kmalloc against vmalloc, measured");
	claim("\"vmalloc is often slower than kmalloc, because it may have to remap the\n"
	      "         buffer space into a virtually contiguous range. kmalloc never remaps.\"");
	pfn = malloc((sizes[nr - 1] / PAGE_SIZE) * sizeof(*pfn));
	if (!pfn) {
		fprintf(stderr, "mmkit: out of host memory\n");
		return -1;
	}
	printf("  A freshly booted machine (unfragmented). Each cell is the median of %d\n"
	       "  rounds of alloc+free pairs, a round calibrated to about %lld ms, the\n"
	       "  kmalloc and vmalloc rounds interleaved. A vmalloc round ends with\n"
	       "  vm_unmap_aliases(), so it pays for the lazy teardown of all it freed.\n\n",
	       ROUNDS, ROUND_NS / 1000000);
	printf("    %9s %14s %14s %16s %5s\n", "size", "kmalloc+kfree", "vmalloc+vfree",
	       "vmalloc/kmalloc", "runs");
	for (int i = 0; i < nr; i++) {
		struct cost_row *r = &row[i];
		char kcell[32], vcell[32], ratio[16] = "-", note[64] = "";

		r->size = sizes[i];
		measure(r, pfn);
		if (r->kmalloc_ns >= 0)
			snprintf(kcell, sizeof(kcell), "%.0f ns", r->kmalloc_ns);
		else
			snprintf(kcell, sizeof(kcell), "fails");
		if (r->kmalloc_ns < 0 && r->size > KMALLOC_MAX_SIZE)
			snprintf(note, sizeof(note), "  kmalloc fails: above kmalloc_max (%s)",
				 fmt_bytes(a, sizeof(a), KMALLOC_MAX_SIZE));
		else if (r->size == KMALLOC_MAX_SIZE)
			snprintf(note, sizeof(note), "  (kmalloc_max)");
		if (r->vmalloc_ns >= 0)
			snprintf(vcell, sizeof(vcell), "%.0f ns", r->vmalloc_ns);
		else
			snprintf(vcell, sizeof(vcell), "FAILS");
		if (r->kmalloc_ns > 0 && r->vmalloc_ns >= 0) {
			double x = r->vmalloc_ns / r->kmalloc_ns;

			snprintf(ratio, sizeof(ratio), "%.1fx", x);
			lo_ratio = both && lo_ratio < x ? lo_ratio : x;
			hi_ratio = both && hi_ratio > x ? hi_ratio : x;
			both++;
			slower += x > 1.0;
		}
		printf("    %9s %14s %14s %16s %5u%s\n", fmt_bytes(b, sizeof(b), r->size), kcell,
		       vcell, ratio, r->runs, note);
	}
	printf("\n    runs: the physically contiguous runs of frames that one vmalloc of the\n"
	       "    size got (vmalloc_to_pfn): the host mmap() calls that mapped it.\n");
	if (strstr(mmk_boot_cmdline(), "slub_debug"))
		printf("\n    This machine runs slub_debug=: kmalloc's slab sizes pay for checking,\n"
		       "    poisoning and tracking each object.\n");
	printf("\n  Where vmalloc's time goes: the page-table write, one host mmap() of the\n"
	       "  RAM memfd per physically contiguous run (and its teardown in the purge);\n"
	       "  kmalloc's memory is already mapped by the direct map.\n");
	if (frag->p && row[nr - 1].vmalloc_ns >= 0)
		printf("  3a's vmalloc(%s) on fragmented memory: %u runs (host mmap calls),\n"
		       "  %.0f us for the call alone; here, %u run(s), %.0f us per vmalloc+vfree.\n",
		       fmt_bytes(a, sizeof(a), VBUF_SIZE), frag->runs,
		       frag->alloc_ns / 1e3, row[nr - 1].runs, row[nr - 1].vmalloc_ns / 1e3);
	free(pfn);
	verdict(d, both && slower == both,
		"vmalloc is slower than kmalloc at %d of the %d sizes both can serve\n"
		"  (vmalloc+vfree took %.1fx to %.1fx the time of kmalloc+kfree)", slower, both,
		lo_ratio, hi_ratio);
	return 0;
}

/* ---- The chapter ------------------------------------------------------- */

static int fragmented_part(struct demo *d, struct vbuf *vb)
{
	struct page_set set = { NULL, 0, 0 };
	int err;

	err = ch3_fragmented(d, &set, vb);
	if (!err && vb->p) {
		vb->nr_pages = (unsigned int)(VBUF_SIZE / PAGE_SIZE);
		vb->pfn = malloc(vb->nr_pages * sizeof(*vb->pfn));
		vb->pattern = malloc(VBUF_SIZE);
		err = vb->pfn && vb->pattern ? ch3_scattered(d, vb) : -1;
		if (!err)
			err = ch3_direct_map(d, vb);
	} else if (!err) {
		printf("\n  3b and 3c examine the buffer 3a could not get: skipped.\n");
	}
	vfree(vb->p);
	vm_unmap_aliases();
	page_set_release(&set);
	free(vb->pfn);
	free(vb->pattern);
	vb->pfn = NULL;
	vb->pattern = NULL;
	return err;
}

int chapter_vmalloc(struct demo *d)
{
	struct vbuf vb = { NULL, 0, NULL, NULL, 0, 0 };
	int err;

	if (cli_boot(d->cmdline))
		return -1;
	printf("\n  vmalloc(size) gives memory that is contiguous in the kernel's virtual\n"
	       "  addresses only: an area of the vmalloc range, followed by one unmapped\n"
	       "  guard page, with a frame from anywhere in RAM mapped at each page.\n");
	err = fragmented_part(d, &vb);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after 3a-3c\n");
		err = -1;
	}
	mmk_shutdown();
	if (err || cli_boot(d->cmdline))
		return -1;
	err = ch3_cost(d, &vb);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after 3d\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}
