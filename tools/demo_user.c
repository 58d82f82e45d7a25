// SPDX-License-Identifier: MIT
/*
 * mmkit demo, chapter 5: user memory, demand paging and the zero page.
 *
 * The seed text's malloc paragraph, run as an experiment on the calling
 * process, whose anonymous memory mmkit demand-pages with its own page
 * faults (mmk_mmap and friends, <mmkit/mman.h>):
 *
 *   5a  "malloc does not actually allocate physical memory": 64 MiB mapped
 *       the way malloc gets a big block from the kernel (mmap, private,
 *       anonymous, read-write); no page has a frame, RSS does not move, and
 *       free memory drops only by the kernel's bookkeeping (the VMA).
 *   5b  "the same non-writable zero page is mapped into every 4K block":
 *       all 64 MiB read (zeros), then the frame behind each of its 16384
 *       pages (mmk_follow_pfn): one distinct pfn, the zero page's; RSS and
 *       free memory unchanged but for page tables.
 *   5c  "Only when you write to a page, a physical memory page is mapped":
 *       one byte written per page of the first quarter; RSS grows by exactly
 *       that quarter, its pages get distinct frames, the other three
 *       quarters still map the zero page, the zero page still holds zeros.
 *   5d  MADV_DONTNEED gives the frames back: RSS and free memory return to
 *       what they were before the writes, and the pages read zeros again
 *       (from the zero page).
 *   5e  kmalloc'ed memory is different: its frames are taken at the call,
 *       consecutive, and stay the same whatever is done with it; no page
 *       fault is ever needed.
 *
 * Each verdict is computed from numbers read during the step: free memory
 * is meminfo's MemFree after drain_all_pages() (so that no page waits on a
 * per-CPU list), and every kB that leaves it must be found in AnonPages,
 * PageTables or Slab; RSS is self/status's VmRSS where this build has that
 * report, otherwise meminfo's AnonPages (the frames mapped into the one
 * process). Fault counts are vmstat's pgfault and thp_fault_alloc. The
 * chapter boots the default machine (or --boot's); only the public API and
 * the reports are used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/mman.h>

#include "demo.h"
#include "../bench/bench_util.h"	/* bench_now_ns */

#define MAP_SIZE	(64UL << 20)	/* malloc's big block */
#define KMALLOC_SIZE	(64UL << 10)

/* ---- Reading the machine ------------------------------------------------- */

static bool have_status;	/* this build has the self/status report */

/* What the machine says at one point, in kB (pgfault and thp: events). */
struct ustate {
	long long rss, free, anon, pt, slab;
	long long pgfault, thp_alloc;
	long long zero_ptes, zero_replaced;	/* mm_faults; -1 without it */
};

/* A "name value" line of the vmstat (or mm_faults) report, or -1. */
static long long vmstat_value(const char *text, const char *key)
{
	char line[256], name[128];
	long long n;

	for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
		if (sscanf(line, "%127s %lld", name, &n) == 2 && !strcmp(name, key))
			return n;
	return -1;
}

/* Run report @name quietly: -ENOENT leaves no line on the tour. */
static int report_quiet(const char *name, char **text)
{
	char *console;
	int err;

	console_capture_start();
	err = report_read(name, text, "the user-memory chapter");
	console = console_capture_end();
	if (err && err != -ENOENT && console)
		fputs(console, stderr);
	free(console);
	return err;
}

static int read_ustate(struct ustate *s)
{
	char *text;

	drain_all_pages(NULL);
	if (report_read("meminfo", &text, "the user-memory chapter"))
		return -1;
	s->free = meminfo_kb(text, "MemFree");
	s->anon = meminfo_kb(text, "AnonPages");
	s->pt = meminfo_kb(text, "PageTables");
	s->slab = meminfo_kb(text, "Slab");
	free(text);
	if (report_read("vmstat", &text, "the user-memory chapter"))
		return -1;
	s->pgfault = vmstat_value(text, "pgfault");
	s->thp_alloc = vmstat_value(text, "thp_fault_alloc");
	free(text);
	s->zero_ptes = s->zero_replaced = -1;
	if (report_quiet("mm_faults", &text) == 0) {
		s->zero_ptes = vmstat_value(text, "zero_page_ptes_now");
		s->zero_replaced = vmstat_value(text, "zero_page_ptes_replaced_by_write");
		free(text);
	}
	s->rss = s->anon;
	if (have_status) {
		if (report_quiet("self/status", &text))
			return -1;
		s->rss = meminfo_kb(text, "VmRSS");
		free(text);
	}
	if (s->free < 0 || s->anon < 0 || s->pt < 0 || s->slab < 0 || s->rss < 0 ||
	    s->pgfault < 0 || s->thp_alloc < 0) {
		fprintf(stderr, "mmkit: meminfo, vmstat or self/status lacks a line the chapter reads\n");
		return -1;
	}
	return 0;
}

/* kB that left MemFree and were not found in AnonPages, PageTables or Slab. */
static long long unaccounted(const struct ustate *a, const struct ustate *b)
{
	return (a->free - b->free) - ((b->anon - a->anon) + (b->pt - a->pt) +
				      (b->slab - a->slab));
}

static void state_row(const char *label, long long a, long long b, const char *unit)
{
	table_row(31, label, a, b, unit);
}

static void show_change(const struct ustate *a, const struct ustate *b)
{
	state_row(have_status ? "RSS (self/status VmRSS)" : "RSS (meminfo AnonPages)", a->rss,
		  b->rss, "kB");
	state_row("MemFree", a->free, b->free, "kB");
	if (have_status)
		state_row("AnonPages", a->anon, b->anon, "kB");
	state_row("PageTables", a->pt, b->pt, "kB");
	state_row("Slab", a->slab, b->slab, "kB");
	state_row("pgfault (vmstat)", a->pgfault, b->pgfault, "");
	state_row("thp_fault_alloc (2 MiB folios)", a->thp_alloc, b->thp_alloc, "");
	if (a->zero_ptes >= 0 && b->zero_ptes >= 0 && a->zero_replaced >= 0 &&
	    b->zero_replaced >= 0) {
		state_row("PTEs naming the zero page", a->zero_ptes, b->zero_ptes, "");
		state_row("  replaced by a write, so far", a->zero_replaced, b->zero_replaced,
			  "");
	}
}

/* ---- The frames behind the mapping ---------------------------------------- */

struct umap {
	unsigned char *p;
	size_t pages;
	long *pfn;		/* per page: mmk_follow_pfn(), -1 when none */
	unsigned long zero;	/* mmk_zero_pfn() */
};

/* What pages [@from, @to) map. */
struct census {
	size_t pages;
	size_t none;		/* no PTE */
	size_t zero;		/* the zero page */
	size_t frames;		/* a frame of their own */
	size_t distinct;	/* distinct pfns among all mapped pages */
	size_t runs;		/* physically contiguous runs among the frames */
};

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static int take_census(struct umap *u, size_t from, size_t to, struct census *c)
{
	long *sorted = malloc((to - from) * sizeof(*sorted));
	size_t n = 0;
	long prev = -2;

	if (!sorted) {
		fprintf(stderr, "mmkit: out of host memory\n");
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->pages = to - from;
	for (size_t i = from; i < to; i++) {
		long pfn = mmk_follow_pfn(u->p + i * PAGE_SIZE);

		u->pfn[i] = pfn;
		if (pfn < 0) {
			c->none++;
			continue;
		}
		sorted[n++] = pfn;
		if ((unsigned long)pfn == u->zero) {
			c->zero++;
			continue;
		}
		c->frames++;
		if (pfn != prev + 1)
			c->runs++;
		prev = pfn;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_long);
	for (size_t i = 0; i < n; i++)
		c->distinct += !i || sorted[i] != sorted[i - 1];
	free(sorted);
	return 0;
}

static void census_header(void)
{
	printf("    %-26s %6s %9s %10s %10s %9s\n", "", "pages", "no frame", "zero page",
	       "own frame", "distinct");
	printf("    %-26s %6s %9s %10s %10s %9s\n", "", "", "", "", "", "pfns");
}

static void census_line(const char *what, const struct census *c)
{
	printf("    %-26s %6zu %9zu %10zu %10zu %9zu\n", what, c->pages, c->none, c->zero,
	       c->frames, c->distinct);
}

/* A few pages and their pfns: both ends of each quarter. */
static void sample_pfns(const struct umap *u)
{
	const size_t q = u->pages / 4;
	const size_t pick[] = { 0, 1, q - 1, q, 2 * q, 3 * q, u->pages - 1 };

	printf("\n    page   address           pfn\n");
	for (size_t i = 0; i < sizeof(pick) / sizeof(pick[0]); i++) {
		long pfn = u->pfn[pick[i]];

		if (pfn < 0)
			printf("    %5zu  %p  none\n", pick[i], (void *)(u->p + pick[i] * PAGE_SIZE));
		else
			printf("    %5zu  %p  0x%lx%s\n", pick[i],
			       (void *)(u->p + pick[i] * PAGE_SIZE), (unsigned long)pfn,
			       (unsigned long)pfn == u->zero ? "  (the zero page)" : "");
	}
}

/* The zero page's frame, read through the direct map: all zeros? */
static bool zero_page_clean(const struct umap *u)
{
	const unsigned char *z = phys_to_virt(PFN_PHYS(u->zero));

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (z[i])
			return false;
	return true;
}

/* The lines of self/status and self/maps that concern the mapping. */
static void show_process_reports(const struct umap *u)
{
	char *text, line[256], start[32];
	int shown = 0;

	if (report_quiet("self/maps", &text) == 0) {
		snprintf(start, sizeof(start), "%lx-", (unsigned long)u->p);
		for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
			if (!strncmp(line, start, strlen(start))) {
				printf("    self/maps:    %s\n", line);
				shown++;
			}
		free(text);
	}
	if (have_status && report_quiet("self/status", &text) == 0) {
		static const char *const keys[] = { "VmSize", "VmRSS", "RssAnon", "VmPTE" };

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
				if (!strncmp(line, keys[k], strlen(keys[k])) &&
				    line[strlen(keys[k])] == ':') {
					for (char *t = line; (t = strchr(t, '\t'));)
						*t = ' ';	/* Linux's tab, for the eye */
					printf("    self/status:  %s\n", line);
					shown++;
				}
		free(text);
	}
	if (shown)
		printf("\n");
}

/* ---- 5a: the call --------------------------------------------------------- */

static int ch5_mmap(struct demo *d, struct umap *u)
{
	struct ustate a, b;
	struct census c;
	long long lost;
	char s1[32];

	section("5a", "malloc's big block: a mapping with nothing behind it");
	claim("\"malloc does not actually allocate physical memory. Physical memory\n"
	      "         gets mapped later, during use.\"");
	printf("  glibc's malloc gets a block of 128 KiB or more straight from the kernel:\n"
	       "  mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0).\n"
	       "  The same call, to mmkit's kernel, for %s:\n\n",
	       fmt_bytes(s1, sizeof(s1), MAP_SIZE));
	if (read_ustate(&a))
		return -1;
	u->p = mmk_mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (u->p == MAP_FAILED) {
		u->p = NULL;
		verdict(d, false, "mmk_mmap(%s) failed: %s", fmt_bytes(s1, sizeof(s1), MAP_SIZE),
			strerror(errno));
		return 0;
	}
	if (read_ustate(&b) || take_census(u, 0, u->pages, &c))
		return -1;
	printf("    p = mmk_mmap(NULL, %lu, ...) = %p\n\n", MAP_SIZE, (void *)u->p);
	show_process_reports(u);
	show_change(&a, &b);
	printf("\n");
	census_header();
	census_line("the mapping", &c);
	lost = unaccounted(&a, &b);
	printf("\n  MemFree went down by %lld kB: Slab %+lld kB (the VMA, a vm_area_struct\n"
	       "  from a slab cache), PageTables %+lld kB, AnonPages %+lld kB; %lld kB\n"
	       "  elsewhere.\n", a.free - b.free, b.slab - a.slab, b.pt - a.pt, b.anon - a.anon,
	       lost);
	verdict(d, c.none == c.pages && b.rss == a.rss && b.anon == a.anon && !lost &&
		   a.free - b.free < (long long)(MAP_SIZE >> 10) / 64,
		"%s mapped and none of it backed: %zu of\n"
		"  %zu pages have no frame, RSS %+lld kB, and free memory went down by\n"
		"  %lld kB, all of it the kernel's record of the mapping", fmt_bytes(s1, sizeof(s1), MAP_SIZE), c.none, c.pages,
		b.rss - a.rss, a.free - b.free);
	return 0;
}

/* ---- 5b: reading ---------------------------------------------------------- */

static int ch5_read(struct demo *d, struct umap *u)
{
	const uint64_t *w = (const uint64_t *)u->p;
	struct ustate a, b;
	struct census c;
	uint64_t bits = 0;
	double t0, t1;
	long long lost, faults;
	bool clean;

	section("5b", "Reading it: the zero page");
	claim("\"Userspace memory (via malloc) is virtual - immediately after the call,\n"
	      "         the same non-writable zero page is mapped into every 4K block of your\n"
	      "         memory region.\"");
	printf("  Every byte of the 64 MiB is read (as 64-bit words, OR-ed together), then\n"
	       "  mmk_follow_pfn() gives the frame behind each of its %zu pages.\n"
	       "  The zero page is pfn 0x%lx (mmk_zero_pfn()).\n\n", u->pages, u->zero);
	if (read_ustate(&a))
		return -1;
	t0 = bench_now_ns();
	for (size_t i = 0; i < MAP_SIZE / sizeof(*w); i++)
		bits |= ((const volatile uint64_t *)w)[i];
	t1 = bench_now_ns();
	if (read_ustate(&b) || take_census(u, 0, u->pages, &c))
		return -1;
	clean = zero_page_clean(u);
	printf("    OR of all %lu words: 0x%llx; read in %.1f ms (%.0f ns a page)\n\n",
	       MAP_SIZE / 8, (unsigned long long)bits, (t1 - t0) / 1e6,
	       (t1 - t0) / (double)u->pages);
	show_change(&a, &b);
	printf("\n");
	census_header();
	census_line("the mapping", &c);
	sample_pfns(u);
	lost = unaccounted(&a, &b);
	faults = b.pgfault - a.pgfault;
	printf("\n  %lld page faults served %zu pages (one fault per %.0f page(s)): a read fault maps\n"
	       "  the zero page over the largest aligned run around the address that the\n"
	       "  folio sizes allow (thp_anon=; 2 MiB by default, as Linux maps its huge\n"
	       "  zero page there), with one host call, so the process traps once per run,\n"
	       "  not once per page. The page tables that now exist (PageTables %+lld kB)\n"
	       "  are the only memory that left MemFree (%lld kB elsewhere). Strictly,\n"
	       "  nothing is mapped at the call itself (5a): the zero page arrives with\n"
	       "  the first read of each run; what the program sees is what the text says.\n",
	       faults, u->pages, faults ? (double)u->pages / (double)faults : 0.0,
	       b.pt - a.pt, lost);
	verdict(d, !bits && c.none == 0 && c.zero == c.pages && c.distinct == 1 &&
		   (unsigned long)u->pfn[0] == u->zero && b.rss == a.rss && b.anon == a.anon &&
		   !lost && b.slab == a.slab && a.free - b.free == b.pt - a.pt && clean,
		"all %zu pages read zeros from one frame:\n"
		"  %zu distinct pfn, 0x%lx, the zero page; RSS %+lld kB; free memory\n"
		"  -%lld kB, exactly the page tables",
		c.pages, c.distinct, u->pfn[0] < 0 ? 0UL : (unsigned long)u->pfn[0],
		b.rss - a.rss, a.free - b.free);
	return 0;
}

/* ---- 5c: writing a quarter ---------------------------------------------- */

static int ch5_write(struct demo *d, struct umap *u, struct ustate *before)
{
	const size_t q = u->pages / 4;
	struct census cw, cr;
	struct ustate b;
	double t0, t1;
	long long lost, faults, want_kb = (long long)(q * PAGE_SIZE >> 10);
	bool clean, wrote = true;
	char s1[32];

	section("5c", "Writing a quarter: frames appear exactly there");
	claim("\"Only when you write to a page, a physical memory page is mapped for\n"
	      "         you at that location.\"");
	printf("  One byte is written to each page of the first quarter (pages 0-%zu, %s);\n"
	       "  the other three quarters are left as 5b left them, read but never written.\n\n",
	       q - 1, fmt_bytes(s1, sizeof(s1), q * PAGE_SIZE));
	if (read_ustate(before))
		return -1;
	t0 = bench_now_ns();
	for (size_t i = 0; i < q; i++)
		((volatile unsigned char *)u->p)[i * PAGE_SIZE] = 0xa5;
	t1 = bench_now_ns();
	if (read_ustate(&b) || take_census(u, 0, q, &cw) || take_census(u, q, u->pages, &cr))
		return -1;
	for (size_t i = 0; i < q; i++)
		wrote &= u->p[i * PAGE_SIZE] == 0xa5;
	clean = zero_page_clean(u);
	printf("    written in %.1f ms\n\n", (t1 - t0) / 1e6);
	show_process_reports(u);
	show_change(before, &b);
	printf("\n");
	census_header();
	census_line("the written quarter", &cw);
	census_line("the other three quarters", &cr);
	sample_pfns(u);
	lost = unaccounted(before, &b);
	faults = b.pgfault - before->pgfault;
	printf("\n  %lld page faults for %zu pages written (one fault per %.0f page(s)): a write fault\n"
	       "  maps the largest aligned folio that fits (thp_anon=, up to 2 MiB;\n"
	       "  thp_fault_alloc counts the 2 MiB ones: %+lld), a block of consecutive\n"
	       "  frames from the buddy allocator, zeroed, over the zero-page entries there\n"
	       "  (nothing is copied from the zero page: its bytes are known). Boot with\n"
	       "  thp_anon=16K-2M:never for one fault per page. The %zu frames lie in %zu\n"
	       "  physically contiguous run(s), wherever the allocator had blocks: malloc\n"
	       "  \"does not guarantee anything about the physical memory mapping\". The\n"
	       "  zero page still holds only zeros: %s. MemFree -%lld kB = %lld kB of frames\n"
	       "  + %lld kB of page tables + %lld kB of slab (%lld kB elsewhere).\n",
	       faults, q, faults ? (double)q / (double)faults : 0.0,
	       b.thp_alloc - before->thp_alloc, cw.frames, cw.runs, clean ? "yes" : "NO",
	       before->free - b.free, b.anon - before->anon, b.pt - before->pt,
	       b.slab - before->slab, lost);
	printf("  (The writes took %.0f ns a page: these frames were never used since boot,\n"
	       "  and the host allocates a page of mmkit's RAM, a memfd, the first time it\n"
	       "  is mapped; BENCHMARKS.md has the per-page costs.)\n", (t1 - t0) / (double)q);
	verdict(d, b.rss - before->rss == want_kb && b.anon - before->anon == want_kb &&
		   cw.frames == q && cw.distinct == q && cr.zero == cr.pages && cr.distinct == 1 &&
		   !lost && before->free - b.free >= want_kb && wrote && clean,
		"RSS grew by exactly the quarter written,\n"
		"  %+lld kB (%zu pages): %zu distinct new frames there, none the zero page;\n"
		"  the other %zu pages still map the zero page (%zu distinct pfn);\n"
		"  MemFree -%lld kB, the %lld kB of frames plus %lld kB of page tables", b.rss - before->rss, q, cw.distinct, cr.pages,
		cr.distinct, before->free - b.free, b.anon - before->anon, b.pt - before->pt);
	return 0;
}

/* ---- 5d: MADV_DONTNEED ---------------------------------------------------- */

static int ch5_dontneed(struct demo *d, struct umap *u, const struct ustate *before)
{
	const size_t q = u->pages / 4;
	struct ustate a, b, c;
	struct census cq, call;
	uint64_t bits = 0;
	bool all_zero;

	section("5d", "MADV_DONTNEED gives the frames back");
	claim("the frames are the process's only while they are mapped:\n"
	      "         madvise(p, size, MADV_DONTNEED), which glibc uses to trim its arenas,\n"
	      "         gives them back to the buddy allocator, and the pages read zeros again.");
	if (read_ustate(&a))
		return -1;
	if (mmk_madvise(u->p, q * PAGE_SIZE, MADV_DONTNEED)) {
		verdict(d, false, "mmk_madvise(MADV_DONTNEED) failed: %s", strerror(errno));
		return 0;
	}
	if (read_ustate(&b) || take_census(u, 0, q, &cq))
		return -1;
	printf("  mmk_madvise(p, %zu, MADV_DONTNEED) on the written quarter:\n\n",
	       q * PAGE_SIZE);
	show_change(&a, &b);
	printf("\n");
	census_header();
	census_line("the quarter, after it", &cq);
	for (size_t i = 0; i < q * PAGE_SIZE / sizeof(uint64_t); i++)
		bits |= ((const volatile uint64_t *)u->p)[i];
	if (read_ustate(&c) || take_census(u, 0, u->pages, &call))
		return -1;
	all_zero = !bits;
	printf("\n  Then the quarter is read again: OR of its words 0x%llx, %lld page faults.\n\n",
	       (unsigned long long)bits, c.pgfault - b.pgfault);
	census_header();
	census_line("the whole mapping", &call);
	printf("\n  Against the state just before the writes of 5c: RSS %lld -> %lld kB,\n"
	       "  MemFree %lld -> %lld kB.\n", before->rss, c.rss, before->free, c.free);
	verdict(d, b.rss == before->rss && b.anon == before->anon && b.free == before->free &&
		   cq.frames == 0 && all_zero && call.zero == call.pages && call.distinct == 1 &&
		   c.free == before->free,
		"RSS back to %lld kB and MemFree back to\n"
		"  %lld kB, both exactly as before the writes; the quarter reads zeros\n"
		"  again, and all %zu pages map the zero page once more", b.rss, b.free, call.pages);
	return 0;
}

/* ---- 5e: kmalloc, for contrast --------------------------------------------- */

static int ch5_kmalloc(struct demo *d)
{
	const size_t n = KMALLOC_SIZE / PAGE_SIZE;
	unsigned long pfn[KMALLOC_SIZE / PAGE_SIZE], again = 0;
	struct ustate a, b, c;
	bool consecutive = true;
	volatile unsigned char *k;
	unsigned long sum = 0;

	section("5e", "kmalloc, for contrast: frames at once, fixed");
	claim("\"kmalloc returns physically contiguous memory, malloc does not\n"
	      "         guarantee anything about the physical memory mapping. The other main\n"
	      "         difference is that kmalloc'ed memory is reserved and locked\"");
	if (read_ustate(&a))
		return -1;
	k = kmalloc(KMALLOC_SIZE, GFP_KERNEL);
	if (!k) {
		verdict(d, false, "kmalloc(%lu, GFP_KERNEL) returned NULL", KMALLOC_SIZE);
		return 0;
	}
	if (read_ustate(&b)) {
		kfree((void *)k);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		pfn[i] = page_to_pfn(virt_to_page((const void *)(k + i * PAGE_SIZE)));
		consecutive &= pfn[i] == pfn[0] + i;
	}
	for (size_t i = 0; i < KMALLOC_SIZE; i++)
		k[i] = (unsigned char)i;
	for (size_t i = 0; i < KMALLOC_SIZE; i++)
		sum += k[i];
	for (size_t i = 0; i < n; i++)
		again += page_to_pfn(virt_to_page((const void *)(k + i * PAGE_SIZE))) != pfn[i];
	if (read_ustate(&c)) {
		kfree((void *)k);
		return -1;
	}
	printf("  k = kmalloc(%lu, GFP_KERNEL) = %p.\n"
	       "  Before any access, MemFree went %lld -> %lld kB (%+lld kB), and every\n"
	       "  page has its frame: pfn 0x%lx..0x%lx%s. Then all of it is\n"
	       "  written and read back (checksum %lu): %lld page faults, and %lu of\n"
	       "  the %zu pages changed frame. The kernel reaches those frames through the\n"
	       "  direct map, which covers all of RAM: nothing to fault in.\n",
	       KMALLOC_SIZE, (void *)k, a.free, b.free, b.free - a.free, pfn[0], pfn[n - 1],
	       consecutive ? ", consecutive" : " (NOT consecutive)", sum,
	       c.pgfault - b.pgfault, again, n);
	printf("  The user mapping of 5a-5d, by contrast: no frame at the call, the zero\n"
	       "  page after a read, a frame per page only once written, and none again\n"
	       "  after MADV_DONTNEED.\n");
	verdict(d, a.free - b.free == (long long)(KMALLOC_SIZE >> 10) && consecutive &&
		   c.pgfault == b.pgfault && !again,
		"kmalloc(%lu KiB) took its %zu frames at the\n"
		"  call (MemFree -%lld kB before any access), consecutive, and kept them\n"
		"  through every access, with %lld page faults", KMALLOC_SIZE >> 10, n, a.free - b.free, c.pgfault - b.pgfault);
	kfree((void *)k);
	return 0;
}

/* ---- The chapter ------------------------------------------------------- */

int chapter_user(struct demo *d)
{
	struct umap u = { NULL, MAP_SIZE / PAGE_SIZE, NULL, 0 };
	struct ustate before_write;
	char *text;
	int err;

	if (cli_boot(d->cmdline))
		return -1;
	have_status = report_quiet("self/status", &text) == 0;
	if (have_status)
		free(text);
	u.zero = mmk_zero_pfn();
	u.pfn = malloc(u.pages * sizeof(*u.pfn));
	if (!u.pfn)
		fprintf(stderr, "mmkit: out of host memory\n");
	printf("\n  The calling process is the simulated process: mmk_mmap() and friends\n"
	       "  (<mmkit/mman.h>) are its system calls, and its anonymous memory is\n"
	       "  demand-paged by mmkit's own page-fault handler on the real MMU, with\n"
	       "  software page tables in the simulated RAM (meminfo's PageTables).\n"
	       "  Booted with: %s\n", mmk_boot_cmdline());
	if (!have_status)
		printf("  (This build has no self/status report yet: RSS is read as meminfo's\n"
		       "  AnonPages, the frames mapped into the one process.)\n");
	err = u.pfn ? ch5_mmap(d, &u) : -1;
	if (!err && u.p)
		err = ch5_read(d, &u);
	if (!err && u.p)
		err = ch5_write(d, &u, &before_write);
	/* The page tables at their busiest: frames and zero-page entries. */
	if (!err && u.p && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after 5c\n");
		err = -1;
	}
	if (!err && u.p)
		err = ch5_dontneed(d, &u, &before_write);
	if (u.p && mmk_munmap(u.p, MAP_SIZE)) {
		printf("  mmk_munmap failed: %s\n", strerror(errno));
		err = -1;
	}
	if (!err)
		err = ch5_kmalloc(d);
	free(u.pfn);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}
