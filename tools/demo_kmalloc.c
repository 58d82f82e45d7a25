// SPDX-License-Identifier: MIT
/*
 * mmkit demo, chapter 2: kmalloc and the slab allocator.
 *
 * The seed text's kmalloc claims, each run as an experiment and decided by
 * what the machine reports:
 *
 *   2a  "kmalloc returns physically contiguous memory": the frames behind
 *       the 16 pages of a 64 KiB kmalloc, by virt_to_phys of each page.
 *   2b  small objects: which cache serves kmalloc(100) (ksize and the
 *       slabinfo line of kmalloc-128), Linux's size classes, and what the
 *       slabs cost (slabinfo's objsize, objperslab, pagesperslab).
 *   2c  "limited in the size of buffer it can provide: 128 KBytes":
 *       kmalloc(KMALLOC_MAX_SIZE) works, one byte more fails with a warning.
 *   2d  "a 8K kmalloc (on a 4k page machine) can still fail": memory
 *       fragmented as in chapter 1, megabytes free, kmalloc(8192) fails
 *       once kmalloc-8k needs a new slab; smaller requests still work.
 *   2e  "reserved and locked, it cannot be swapped": an object kept through
 *       2d's memory pressure keeps its frame and its contents, and slab
 *       memory is counted outside the LRU lists that reclaim scans.
 *
 * Only the public API and the reports are used, so every number here is
 * one a user's program can read the same way.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "demo.h"

/* The object 2a allocates and 2e checks after 2d's memory pressure. */
struct pinned {
	unsigned char *p;
	size_t size;
	unsigned long pfn;
	unsigned char seed;
};

/* A growable list of kmalloc'ed pointers, kfree'd together. */
struct obj_set {
	void **obj;
	size_t nr, cap;
};

static int obj_set_add(struct obj_set *s, void *p)
{
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void **n = realloc(s->obj, cap * sizeof(*n));

		if (!n)
			return -1;
		s->obj = n;
		s->cap = cap;
	}
	s->obj[s->nr++] = p;
	return 0;
}

static void obj_set_free(struct obj_set *s)
{
	while (s->nr)
		kfree(s->obj[--s->nr]);
	free(s->obj);
	s->obj = NULL;
	s->cap = 0;
}

static unsigned long pfn_of(const void *p)
{
	return (unsigned long)(virt_to_phys(p) >> PAGE_SHIFT);
}

static void slab_header(void)
{
	printf("    %-22s %11s %8s %7s %10s %12s %9s\n", "slabinfo: name", "active_objs",
	       "num_objs", "objsize", "objperslab", "pagesperslab", "num_slabs");
}

static void slab_row(const char *label, const struct slabinfo_cache *c)
{
	char name[96];

	snprintf(name, sizeof(name), "%s%s", c->name, label);
	printf("    %-22s %11lu %8lu %7lu %10lu %12lu %9lu\n", name, c->active_objs,
	       c->num_objs, c->objsize, c->objperslab, c->pagesperslab, c->num_slabs);
}

/* The first line of what the console printed, and the lines that name a
 * slab or a page allocation failure; then how many lines there were. */
static void show_console(const char *text)
{
	const char *p = text;
	int lines = 0, shown = 0;
	char line[512];

	while ((p = next_line(p, line, sizeof(line)))) {
		if (++lines == 1 || strstr(line, "SLUB:") || strstr(line, "cache: ") ||
		    strstr(line, "node 0: slabs") || strstr(line, "allocation failure")) {
			printf("    | %s\n", line);
			shown++;
		}
	}
	if (!lines)
		printf("    | (nothing)\n");
	else if (lines > shown)
		printf("    | (%d of its %d lines; the others are the zones' counters and a\n"
		       "    |  backtrace)\n", shown, lines);
}

/* ---- 2a: contiguous ---------------------------------------------------- */

static int ch2_contiguous(struct demo *d)
{
	const size_t size = 64 << 10;
	const int nr_pages = (int)(size / PAGE_SIZE);
	unsigned long pfn[64];
	bool consecutive = true;
	unsigned char *p;

	section("2a", "kmalloc memory is physically contiguous");
	claim("\"kmalloc allocates physically contiguous memory, memory which pages are\n"
	      "         laid consecutively in physical RAM.\"");
	p = kmalloc(size, GFP_KERNEL);
	if (!p) {
		verdict(d, false, "kmalloc(%zu, GFP_KERNEL) returned NULL on a fresh machine", size);
		return 0;
	}
	printf("  p = kmalloc(%zu, GFP_KERNEL) = %p, ksize(p) = %zu.\n"
	       "  Above 8 KiB, the largest kmalloc cache, kmalloc takes a block of 2^order\n"
	       "  frames straight from the page allocator. The frame behind each of its %d\n"
	       "  pages, by virt_to_phys():\n\n",
	       size, (void *)p, ksize(p), nr_pages);
	for (int i = 0; i < nr_pages; i++) {
		pfn[i] = pfn_of(p + (size_t)i * PAGE_SIZE);
		if (pfn[i] != pfn[0] + (unsigned long)i)
			consecutive = false;
		printf("%s p+0x%04zx: pfn 0x%lx", i % 4 ? "   " : "  ",
		       (size_t)i * PAGE_SIZE, pfn[i]);
		if (i % 4 == 3 || i == nr_pages - 1)
			printf("\n");
	}
	verdict(d, consecutive,
		"the %d pages of kmalloc(%zu KiB) are frames 0x%lx..0x%lx, %s", nr_pages,
		size >> 10, pfn[0], pfn[nr_pages - 1],
		consecutive ? "each one the next" : "NOT consecutive");
	kfree(p);
	return 0;
}

/* ---- 2b: small objects ------------------------------------------------- */

/* Linux's kmalloc size classes on a 4 KiB page machine (include/linux/slab.h). */
static size_t size_class(size_t n)
{
	static const size_t fixed[] = { 8, 16, 32, 64, 96, 128, 192 };
	size_t c = 256;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (n <= fixed[i])
			return fixed[i];
	while (c < n)
		c <<= 1;
	return c;
}

static void cache_name(char *buf, size_t len, size_t class)
{
	if (class >= 1024)
		snprintf(buf, len, "kmalloc-%zuk", class >> 10);
	else
		snprintf(buf, len, "kmalloc-%zu", class);
}

static int by_objsize(const void *a, const void *b)
{
	const struct slabinfo_cache *x = a, *y = b;

	return x->objsize < y->objsize ? -1 : x->objsize > y->objsize;
}

/* What each kmalloc cache in use costs: the waste per slab. */
static int show_slab_cost(void)
{
	struct slabinfo si;
	char *text;
	int rows = 0;

	if (report_read("slabinfo", &text, "the kmalloc chapter"))
		return -1;
	if (parse_slabinfo(text, &si)) {
		fprintf(stderr, "mmkit: cannot parse the slabinfo report:\n%s", text);
		free(text);
		return -1;
	}
	free(text);
	printf("\n  What the slabs cost: the kmalloc caches in use now, from slabinfo.\n\n");
	printf("    %-12s %7s %10s %12s %9s %9s %9s %7s\n", "cache", "objsize", "objperslab",
	       "pagesperslab", "slab", "objects", "unused", "waste");
	printf("    %-12s %7s %10s %12s %9s %9s %9s\n", "", "bytes", "", "", "bytes",
	       "bytes", "bytes");
	qsort(si.cache, (size_t)si.nr, sizeof(si.cache[0]), by_objsize);
	for (int i = 0; i < si.nr; i++) {
		const struct slabinfo_cache *c = &si.cache[i];
		unsigned long slab = c->pagesperslab * PAGE_SIZE;
		unsigned long used = c->objperslab * c->objsize;

		if (strncmp(c->name, "kmalloc-", 8) || !strncmp(c->name, "kmalloc-rcl-", 12) ||
		    !c->num_objs)
			continue;
		printf("    %-12s %7lu %10lu %12lu %9lu %9lu %9lu %6.1f%%\n", c->name, c->objsize,
		       c->objperslab, c->pagesperslab, slab, used, slab - used,
		       slab ? 100.0 * (double)(slab - used) / (double)slab : 0.0);
		rows++;
	}
	free_slabinfo(&si);
	if (!rows)
		printf("    (no kmalloc cache has a slab)\n");
	printf("\n  Each slab is one block from the page allocator, cut into equal objects; what\n"
	       "  does not divide evenly is lost (the unused column). On top of that, a request\n"
	       "  pays for its whole class: kmalloc(100) holds 128 bytes. The bigger classes use\n"
	       "  slabs of several pages so that few bytes are lost and many objects come from\n"
	       "  one trip to the page allocator. (With slub_debug=, objsize grows by the red\n"
	       "  zones and tracking data each object carries.)\n");
	return 0;
}

static int ch2_small_objects(struct demo *d)
{
	static const size_t sizes[] = { 1, 8, 9, 24, 70, 96, 100, 150, 193, 1000, 4097, 8192 };
	const size_t nr = sizeof(sizes) / sizeof(sizes[0]);
	struct slabinfo_cache before, after;
	struct obj_set objs = { NULL, 0, 0 };
	int wrong = 0, ret = -1;
	size_t ks;
	void *q;

	section("2b", "Small objects: size classes and slabs");
	claim("small requests are rounded up to one of Linux's size classes and carved out\n"
	      "         of a slab: a block of physically contiguous frames cut into equal objects.");
	if (read_slabinfo_cache("kmalloc-128", &before))
		return -1;
	q = kmalloc(100, GFP_KERNEL);
	if (!q || obj_set_add(&objs, q)) {
		kfree(q);
		verdict(d, false, "kmalloc(100, GFP_KERNEL) returned NULL");
		return 0;
	}
	if (read_slabinfo_cache("kmalloc-128", &after))
		goto out;
	ks = ksize(q);
	printf("  q = kmalloc(100, GFP_KERNEL) = %p at phys 0x%llx (pfn 0x%lx, offset 0x%03lx)\n"
	       "  ksize(q) = %zu: the object came from kmalloc-%zu.\n\n", q,
	       (unsigned long long)virt_to_phys(q), pfn_of(q),
	       (unsigned long)(virt_to_phys(q) & (PAGE_SIZE - 1)), ks, ks);
	slab_header();
	slab_row(" (before)", &before);
	slab_row(" (after)", &after);
	if (after.num_slabs > before.num_slabs)
		printf("\n  The cache had no free object: it took a slab of %lu page(s) from the page\n"
		       "  allocator and cut it into %lu objects of %lu bytes. The slab is now this\n"
		       "  CPU's active slab, and slabinfo counts an active slab's objects as in use.\n",
		       after.pagesperslab, after.objperslab, after.objsize);
	else
		printf("\n  The cache had free objects in a slab it already held: no new slab.\n");

	printf("\n  More requests, each kept, and the class that served it (ksize):\n\n");
	printf("    %10s %8s  %-12s %s\n", "kmalloc(n)", "ksize", "cache", "Linux's class");
	for (size_t i = 0; i < nr; i++) {
		void *o = kmalloc(sizes[i], GFP_KERNEL);
		char name[32];

		if (!o || obj_set_add(&objs, o)) {
			kfree(o);
			printf("    %10zu  NULL\n", sizes[i]);
			wrong++;
			continue;
		}
		ks = ksize(o);
		cache_name(name, sizeof(name), ks);
		if (ks != size_class(sizes[i]))
			wrong++;
		printf("    %10zu %8zu  %-12s %zu%s\n", sizes[i], ks, name, size_class(sizes[i]),
		       ks == size_class(sizes[i]) ? "" : "  <- differs");
	}
	if (show_slab_cost())
		goto out;
	ks = ksize(q);
	verdict(d, ks == 128 && after.active_objs > 0 && !wrong,
		"kmalloc(100) came from kmalloc-128 (ksize %zu; slabinfo: %lu of %lu objects\n"
		"  in use), and %s of %zu requests got Linux's size class", ks,
		after.active_objs, after.num_objs, wrong ? "not all" : "each", nr);
	ret = 0;
out:
	obj_set_free(&objs);
	return ret;
}

/* ---- 2c: the size limit ------------------------------------------------ */

static int ch2_limit(struct demo *d)
{
	const size_t max = KMALLOC_MAX_SIZE;
	long long total_kb, free_kb;
	char a[32], b[32], num[32];
	struct buddyinfo bi;
	char *warning, *first_nl;
	int largest = -1;
	bool named;
	void *p, *q;

	section("2c", "kmalloc's size limit");
	claim("\"kmalloc is limited in the size of buffer it can provide: 128 KBytes.\"");
	if (read_meminfo(&total_kb, &free_kb) || read_buddyinfo(&bi))
		return -1;
	for (int z = 0; z < bi.nr_zones; z++)
		for (int o = 0; o < CLI_NR_ORDERS; o++)
			if (bi.zone[z].nr_free[o] && o > largest)
				largest = o;
	printf("  This machine was booted with kmalloc_max=%s (KMALLOC_MAX_SIZE = %zu).\n"
	       "  MemFree is %s and the largest free block is of order %d (%s).\n\n",
	       fmt_bytes(a, sizeof(a), max), max, mib(b, sizeof(b), (unsigned long long)free_kb),
	       largest, fmt_bytes(num, sizeof(num), largest >= 0 ? PAGE_SIZE << largest : 0));

	p = kmalloc(max, GFP_KERNEL);
	printf("  kmalloc(%zu, GFP_KERNEL) = %p", max, p);
	if (p)
		printf(": pfn 0x%lx..0x%lx, ksize %zu", pfn_of(p),
		       pfn_of((char *)p + max - 1), ksize(p));
	printf("\n");
	console_capture_start();
	q = kmalloc(max + 1, GFP_KERNEL);
	warning = console_capture_end();
	printf("  kmalloc(%zu, GFP_KERNEL) = %p\n", max + 1, q);
	snprintf(num, sizeof(num), "%zu", max + 1);
	named = warning && strstr(warning, num);
	if (warning && *warning) {
		first_nl = strchr(warning, '\n');
		printf("\n  The warning it printed (first line of %s):\n    | %.*s\n",
		       "the console's", first_nl ? (int)(first_nl - warning) : (int)strlen(warning),
		       warning);
	} else {
		printf("\n  It printed no warning.\n");
	}
	verdict(d, p && !q && named,
		"kmalloc(%zu) %s, kmalloc(%zu) %s%s,\n  with %s free%s", max,
		p ? "succeeded" : "FAILED", max + 1, q ? "SUCCEEDED" : "failed",
		q ? "" : named ? " with a warning naming the size" : " without a warning naming the size",
		mib(b, sizeof(b), (unsigned long long)free_kb),
		max == 128 << 10 ? "" : "\n  (this machine's limit is kmalloc_max=, not the text's 128 KBytes)");
	kfree(p);
	kfree(q);
	free(warning);
	return 0;
}

/* ---- 2d: fragmentation ------------------------------------------------- */

#define MAX_8K_TRIES	256

/* kmalloc(8192) until one fails or @limit succeed, kept in @objs. Returns
 * the number that succeeded; *@console gets what the failing call printed. */
static int kmalloc_8k_until_failure(struct obj_set *objs, int limit, char **console)
{
	int ok = 0;

	*console = NULL;
	while (ok < limit) {
		char *text;
		void *p;

		console_capture_start();
		p = kmalloc(8192, GFP_KERNEL);
		text = console_capture_end();
		if (!p) {
			*console = text;
			break;
		}
		free(text);
		if (obj_set_add(objs, p)) {
			kfree(p);
			break;
		}
		ok++;
	}
	return ok;
}

static int ch2_fragmentation(struct demo *d)
{
	struct slabinfo_cache c8_before, c8_full, c8_after, c4_before, c4_after;
	struct obj_set held8k = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	struct page_set set = { NULL, 0, 0 };
	long long total_kb, free_kb;
	unsigned long odd, min_frames;
	int served, served_again, ret = -1;
	char *console = NULL, *console4 = NULL, *console_again = NULL;
	void *p4 = NULL, *p100 = NULL;
	char a[32], b[32];
	struct buddyinfo bi;

	section("2d", "Fragmentation: an 8K kmalloc fails with megabytes free");
	claim("\"You may have many megabytes of free memory left, but a 8K kmalloc (on a\n"
	      "         4k page machine) can still fail.\"");
	if (read_slabinfo_cache("kmalloc-8k", &c8_before) ||
	    read_slabinfo_cache("kmalloc-4k", &c4_before))
		return -1;
	for (min_frames = 1; min_frames * PAGE_SIZE < c8_before.objsize; min_frames <<= 1)
		;
	printf("  kmalloc(8192) is served by kmalloc-8k: its slabs are %lu pages (%s, order %d)\n"
	       "  holding %lu objects. While a slab has a free object, no memory is needed;\n"
	       "  when none has, SLUB asks the page allocator for a new slab: the preferred\n"
	       "  order quietly, then the smallest block that holds one object, %lu frames.\n\n",
	       c8_before.pagesperslab, fmt_bytes(a, sizeof(a), c8_before.pagesperslab * PAGE_SIZE),
	       __builtin_ctzl(c8_before.pagesperslab ? c8_before.pagesperslab : 1),
	       c8_before.objperslab, min_frames);
	slab_header();
	slab_row(" (now)", &c8_before);
	printf("\n");

	printf("  1. Fragment memory as chapter 1 did: allocate every free frame (order 0),\n"
	       "     free each one whose pfn is odd, drain the per-CPU lists.\n");
	drain_all_pages(NULL);
	if (fill_memory(&set))
		goto out;
	odd = free_odd_pfns(&set);
	if (read_meminfo(&total_kb, &free_kb) || read_buddyinfo(&bi))
		goto out;
	printf("     %zu pages taken, %lu freed: MemFree is %s of %s.\n\n", set.nr, odd,
	       mib(a, sizeof(a), (unsigned long long)free_kb),
	       mib(b, sizeof(b), (unsigned long long)total_kb));
	orders_header();
	buddy_rows(&bi, "");

	printf("\n  2. kmalloc(8192, GFP_KERNEL), again and again, keeping each object:\n\n");
	served = kmalloc_8k_until_failure(&held8k, MAX_8K_TRIES, &console);
	if (read_slabinfo_cache("kmalloc-8k", &c8_full))
		goto out;
	if (served)
		printf("     The first %d call(s) succeeded: free objects of the %lu slab(s)\n"
		       "     kmalloc-8k already had (2b's requests made them). No memory was needed.\n",
		       served, c8_before.num_slabs);
	else
		printf("     kmalloc-8k had no free object: the first call needed a new slab.\n");
	if (console) {
		printf("     Call %d needed a new slab and returned NULL. The console:\n\n", served + 1);
		show_console(console);
	} else {
		printf("     All %d calls succeeded.\n", served);
	}
	printf("\n");
	slab_header();
	slab_row(" (now)", &c8_full);

	printf("\n  3. What still works: requests that fit in one frame.\n");
	console_capture_start();
	p4 = kmalloc(4096, GFP_KERNEL);
	p100 = kmalloc(100, GFP_KERNEL);
	console4 = console_capture_end();
	if (read_slabinfo_cache("kmalloc-4k", &c4_after))
		goto out;
	printf("     kmalloc(4096) = %p", p4);
	if (p4)
		printf(" (pfn 0x%lx)", pfn_of(p4));
	printf("; kmalloc(100) = %p\n", p100);
	if (p4 && c4_after.num_slabs > c4_before.num_slabs)
		printf("     kmalloc-4k prefers %lu-page slabs; with no 2 free frames side by side it\n"
		       "     fell back to a slab of one page (one object): slabinfo's kmalloc-4k\n"
		       "     went from %lu to %lu objects in %lu slab(s).\n",
		       c4_after.pagesperslab, c4_before.num_objs, c4_after.num_objs,
		       c4_after.num_slabs);
	if (console4 && *console4) {
		printf("     The console:\n");
		show_console(console4);
	}
	verdict(d, console && free_kb >= total_kb / 4 && strstr(console, "kmalloc-8k"),
		"%s free, and kmalloc(8192) %s%s;\n  kmalloc(4096) %s",
		mib(a, sizeof(a), (unsigned long long)free_kb),
		console ? "failed" : "never failed",
		!console ? "" : served ? " once kmalloc-8k's slabs were full" :
		" (kmalloc-8k needed a new slab)", p4 ? "still succeeds" : "fails too");

	/* 4: give the frames back and ask again: it was fragmentation, not a
	 * shortage of memory or a limit of kmalloc-8k. */
	kfree(p4);
	kfree(p100);
	p4 = p100 = NULL;
	obj_set_free(&held8k);
	page_set_release(&set);
	printf("\n  4. Free the 8 KiB objects and every page, drain, then repeat step 2's %d\n"
	       "     call(s): the last one needs a new slab again.\n", served + 1);
	served_again = kmalloc_8k_until_failure(&again, served + 1, &console_again);
	if (read_slabinfo_cache("kmalloc-8k", &c8_after))
		goto out;
	printf("     %d of %d succeeded.\n\n", served_again, served + 1);
	slab_header();
	slab_row(" (now)", &c8_after);
	verdict(d, served_again == served + 1 && c8_after.num_slabs > 0,
		"with the buddies merged again, %d kmalloc(8192) call(s) of %d succeed,\n"
		"  the one that failed included (kmalloc-8k: %lu slab(s))", served_again,
		served + 1, c8_after.num_slabs);
	ret = 0;
out:
	kfree(p4);
	kfree(p100);
	obj_set_free(&held8k);
	obj_set_free(&again);
	page_set_release(&set);
	free(console);
	free(console4);
	free(console_again);
	return ret;
}

/* ---- 2e: locked -------------------------------------------------------- */

static void pin_fill(struct pinned *pin)
{
	for (size_t i = 0; i < pin->size; i++)
		pin->p[i] = (unsigned char)(pin->seed + i * 7);
}

static bool pin_intact(const struct pinned *pin)
{
	for (size_t i = 0; i < pin->size; i++)
		if (pin->p[i] != (unsigned char)(pin->seed + i * 7))
			return false;
	return true;
}

static int ch2_locked(struct demo *d, const struct pinned *pin)
{
	const int nr = 256;
	long long sun0, sun1, act0, act1, inact0, inact1;
	struct obj_set objs = { NULL, 0, 0 };
	unsigned long pfn_now = pfn_of(pin->p);
	bool intact = pin_intact(pin), direct;
	int ret = -1;
	char a[32];

	section("2e", "kmalloc memory stays where it is");
	claim("\"kmalloc'ed memory is reserved and locked, it cannot be swapped.\"");
	direct = phys_to_virt(virt_to_phys(pin->p)) == pin->p;
	printf("  At the start of this chapter kmalloc(%zu) gave %p, filled with a\n"
	       "  pattern: pfn 0x%lx.\n"
	       "  Through 2d every free frame was taken, the pressure under which a kernel\n"
	       "  reclaims and swaps. Now: pfn 0x%lx, pattern %s.\n", pin->size, (void *)pin->p,
	       pin->pfn, pfn_now, intact ? "intact" : "CHANGED");
	printf("  The pointer is its frame's direct-map address: __va(__pa(p)) %s p. The\n"
	       "  kernel cannot move the object to another frame without changing the pointer\n"
	       "  its users hold, and no page table stands between them it could redirect.\n\n",
	       direct ? "==" : "!=");

	if (read_meminfo_key("SUnreclaim", &sun0) || read_meminfo_key("Active", &act0) ||
	    read_meminfo_key("Inactive", &inact0))
		return -1;
	for (int i = 0; i < nr; i++) {
		void *p = kmalloc(4096, GFP_KERNEL);

		if (!p || obj_set_add(&objs, p)) {
			kfree(p);
			break;
		}
		memset(p, 0xa5, 4096);
	}
	if (read_meminfo_key("SUnreclaim", &sun1) || read_meminfo_key("Active", &act1) ||
	    read_meminfo_key("Inactive", &inact1))
		goto out;
	printf("  %zu x kmalloc(4096) = %s, written. meminfo before -> after:\n\n", objs.nr,
	       fmt_bytes(a, sizeof(a), objs.nr * 4096));
	printf("    SUnreclaim: %8lld kB -> %8lld kB   (slab memory nothing can reclaim)\n",
	       sun0, sun1);
	printf("    Active:     %8lld kB -> %8lld kB   (the LRU lists that reclaim and swap\n",
	       act0, act1);
	printf("    Inactive:   %8lld kB -> %8lld kB    scan for pages to evict)\n\n",
	       inact0, inact1);
	printf("  Slab pages are counted in SUnreclaim and never put on an LRU list, so\n"
	       "  reclaim never sees them. mmkit has no swap yet: the swap chapter will show\n"
	       "  user pages leaving RAM while kmalloc memory stays.\n");
	verdict(d, intact && direct && pfn_now == pin->pfn && objs.nr == (size_t)nr &&
		   sun1 - sun0 >= (long long)nr * 4 && act1 == act0 && inact1 == inact0,
		"the object kept pfn 0x%lx and its contents through 2d; %s of kmalloc\n"
		"  added %lld kB to SUnreclaim and %lld kB to the LRU lists", pfn_now,
		fmt_bytes(a, sizeof(a), objs.nr * 4096), sun1 - sun0,
		(act1 - act0) + (inact1 - inact0));
	ret = 0;
out:
	obj_set_free(&objs);
	return ret;
}

int chapter_kmalloc(struct demo *d)
{
	struct pinned pin = { NULL, 1000, 0, 0x3c };
	int err;

	if (cli_boot(d->cmdline))
		return -1;
	printf("\n  kmalloc(size, gfp) is the kernel's malloc: objects from 8 bytes to 8 KiB\n"
	       "  come from slab caches (one per size class), bigger ones straight from the\n"
	       "  page allocator, and all of it lives in the direct map.\n");
	pin.p = kmalloc(pin.size, GFP_KERNEL);
	if (!pin.p) {
		fprintf(stderr, "mmkit: kmalloc(%zu) failed on a fresh machine\n", pin.size);
		mmk_shutdown();
		return -1;
	}
	pin.pfn = pfn_of(pin.p);
	pin_fill(&pin);

	err = ch2_contiguous(d);
	if (!err)
		err = ch2_small_objects(d);
	if (!err)
		err = ch2_limit(d);
	if (!err)
		err = ch2_fragmentation(d);
	if (!err)
		err = ch2_locked(d, &pin);
	kfree(pin.p);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}
