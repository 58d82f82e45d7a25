// SPDX-License-Identifier: MIT
/*
 * mmkit demo: a guided tour of the seed text's claims (SEED.md), each one
 * tested on a live machine and shown with the numbers that decide it.
 *
 * The tour is a table of chapters. A chapter boots the machine it needs,
 * states each claim in the seed's words, runs the experiment, prints the
 * evidence read from the reports (buddyinfo, meminfo, zoneinfo, extfrag)
 * and ends each step with a verdict computed from those numbers:
 * "CLAIM HOLDS: ..." or "CLAIM FAILS: ...". The command exits 0 only if
 * every claim held. Later issues add chapters (kmalloc, vmalloc, user
 * memory, swap, DMA) as new rows of the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>

#include "mmkit_cli.h"

struct demo {
	const char *cmdline;	/* --boot, or NULL for the default machine */
	int claims;		/* verdicts printed */
	int failed;		/* verdicts that said FAILS */
};

struct chapter {
	const char *title;
	int (*run)(struct demo *d);	/* 0, or -1 when it could not run */
};

/* ---- Output ------------------------------------------------------------ */

static const char rule[] =
	"==============================================================================";

static void section(const char *id, const char *title)
{
	printf("\n%s. %s\n", id, title);
}

/* The seed's own words, quoted. */
static void claim(const char *words)
{
	printf("\n  Claim: %s\n\n", words);
}

__attribute__((format(printf, 3, 4)))
static void verdict(struct demo *d, bool holds, const char *fmt, ...)
{
	va_list ap;

	d->claims++;
	if (!holds)
		d->failed++;
	printf("\n  %s: ", holds ? "CLAIM HOLDS" : "CLAIM FAILS");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define LABEL_W 24

static void orders_header(void)
{
	static const char *const size[CLI_NR_ORDERS] = {
		"4K", "8K", "16K", "32K", "64K", "128K", "256K", "512K", "1M", "2M", "4M"
	};

	printf("    %-*s", LABEL_W, "free blocks of order");
	for (int o = 0; o < CLI_NR_ORDERS; o++)
		printf(" %6d", o);
	printf("\n    %-*s", LABEL_W, "  (block size)");
	for (int o = 0; o < CLI_NR_ORDERS; o++)
		printf(" %6s", size[o]);
	printf("\n");
}

static void orders_row(const char *zone, const char *label,
		       const unsigned long nr[CLI_NR_ORDERS])
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%-7s %s", zone, label);
	printf("    %-*s", LABEL_W, buf);
	for (int o = 0; o < CLI_NR_ORDERS; o++)
		printf(" %6lu", nr[o]);
	printf("\n");
}

static void buddy_rows(const struct buddyinfo *bi, const char *label)
{
	for (int z = 0; z < bi->nr_zones; z++)
		orders_row(bi->zone[z].name, label, bi->zone[z].nr_free);
}

static const char *mib(char *buf, size_t len, unsigned long long kb)
{
	return fmt_bytes(buf, len, kb << 10);
}

/* ---- Reading the machine ----------------------------------------------- */

struct snapshot {
	struct buddyinfo bi;
	struct zoneinfo zi;
	long long mem_total_kb, mem_free_kb;
};

static int read_buddyinfo(struct buddyinfo *bi)
{
	char *text;

	if (report_read("buddyinfo", &text, "the demo"))
		return -1;
	if (parse_buddyinfo(text, bi)) {
		fprintf(stderr, "mmkit: cannot parse the buddyinfo report:\n%s", text);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static int read_zoneinfo(struct zoneinfo *zi)
{
	char *text;

	if (report_read("zoneinfo", &text, "the demo"))
		return -1;
	if (parse_zoneinfo(text, zi)) {
		fprintf(stderr, "mmkit: cannot parse the zoneinfo report\n");
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static int read_meminfo(long long *total_kb, long long *free_kb)
{
	char *text;

	if (report_read("meminfo", &text, "the demo"))
		return -1;
	*total_kb = meminfo_kb(text, "MemTotal");
	*free_kb = meminfo_kb(text, "MemFree");
	free(text);
	if (*total_kb < 0 || *free_kb < 0) {
		fprintf(stderr, "mmkit: the meminfo report has no MemTotal or MemFree line\n");
		return -1;
	}
	return 0;
}

static int read_extfrag(struct extfrag *ef)
{
	char *text;

	if (report_read("extfrag", &text, "the demo"))
		return -1;
	if (parse_extfrag(text, ef)) {
		fprintf(stderr, "mmkit: cannot parse the extfrag report:\n%s", text);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static int snapshot(struct snapshot *s)
{
	if (read_buddyinfo(&s->bi) || read_zoneinfo(&s->zi) ||
	    read_meminfo(&s->mem_total_kb, &s->mem_free_kb))
		return -1;
	return 0;
}

/* The populated zone that holds @pfn, by zoneinfo's start_pfn and span. */
static const struct zoneinfo_zone *zone_of_pfn(const struct zoneinfo *zi,
					       unsigned long pfn)
{
	for (int z = 0; z < zi->nr_zones; z++) {
		const struct zoneinfo_zone *zone = &zi->zone[z];

		if (zone->present && pfn >= zone->start_pfn &&
		    pfn < zone->start_pfn + zone->spanned)
			return zone;
	}
	return NULL;
}

static bool same_buddyinfo(const struct buddyinfo *a, const struct buddyinfo *b)
{
	if (a->nr_zones != b->nr_zones)
		return false;
	for (int z = 0; z < a->nr_zones; z++)
		if (strcmp(a->zone[z].name, b->zone[z].name) ||
		    memcmp(a->zone[z].nr_free, b->zone[z].nr_free, sizeof(a->zone[z].nr_free)))
			return false;
	return true;
}

static unsigned long buddy_total_pages(const struct buddyinfo *bi)
{
	unsigned long pages = 0;

	for (int z = 0; z < bi->nr_zones; z++)
		pages += buddyinfo_pages(bi, z);
	return pages;
}

/* ---- Chapter 1a: the machine ------------------------------------------- */

static int ch1_machine(struct demo *d, struct snapshot *boot)
{
	unsigned long long ram_kb = 0, present = 0, reserved = 0;
	unsigned long order10 = 0, buddy_pages;
	const char *cmd = mmk_boot_cmdline();
	const char *m = strstr(cmd, "mem=");
	char a[32], b[32];

	section("1a", "The machine");
	if (m)
		ram_kb = strtoull(m + 4, NULL, 10);
	printf("\n  Booted with: %s\n", cmd);
	printf("  RAM:         %s = %llu frames of %lu bytes (PAGE_SIZE), physical addresses 0x0-0x%llx\n",
	       mib(a, sizeof(a), ram_kb), ram_kb * 1024 / PAGE_SIZE, PAGE_SIZE,
	       ram_kb * 1024 - 1);
	printf("  MemTotal:    %s (meminfo: the frames the page allocator manages)\n\n",
	       mib(a, sizeof(a), (unsigned long long)boot->mem_total_kb));

	printf("    %-7s %-17s %9s %8s %8s %10s %8s %8s %8s %10s\n", "zone", "pfn range",
	       "size", "present", "managed", "reserved", "min", "low", "high", "pcp");
	printf("    %-7s %-17s %9s %8s %8s %10s %8s %8s %8s %10s\n", "", "", "", "frames",
	       "frames", "", "kB", "kB", "kB", "batch/high");
	for (int z = 0; z < boot->zi.nr_zones; z++) {
		const struct zoneinfo_zone *zone = &boot->zi.zone[z];
		char range[40], pcp[24];

		if (!zone->spanned)
			continue;
		present += zone->present;
		reserved += zone->present - zone->managed;
		snprintf(range, sizeof(range), "0x%lx-0x%lx", zone->start_pfn,
			 zone->start_pfn + zone->spanned - 1);
		if (zone->pcp_batch >= 0)
			snprintf(pcp, sizeof(pcp), "%ld/%ld", zone->pcp_batch, zone->pcp_high);
		else
			snprintf(pcp, sizeof(pcp), "-");
		printf("    %-7s %-17s %9s %8lu %8lu %10s %8lu %8lu %8lu %10s\n", zone->name,
		       range, fmt_bytes(a, sizeof(a), (unsigned long long)zone->spanned * PAGE_SIZE),
		       zone->present, zone->managed,
		       fmt_bytes(b, sizeof(b), (unsigned long long)(zone->present - zone->managed) *
				 PAGE_SIZE),
		       zone->min * (PAGE_SIZE >> 10), zone->low * (PAGE_SIZE >> 10),
		       zone->high * (PAGE_SIZE >> 10), pcp);
	}
	printf("\n");
	printf("    present:  frames in the zone; managed: the frames the buddy allocator got.\n");
	printf("    reserved: present - managed, kept at boot by memblock for the kernel's own\n");
	printf("              metadata: the struct page array (mem_map), pageblock types,\n");
	printf("              per-CPU pagesets. All of it lives in the simulated RAM.\n");
	printf("    min/low/high: watermarks. Below low, kswapd would start reclaiming; below min\n");
	printf("              only __GFP_HIGH (GFP_ATOMIC) and __GFP_MEMALLOC requests succeed.\n");
	printf("    pcp:      each CPU keeps a list of free pages, refilled `batch` at a time\n");
	printf("              and drained back to the zone above `high` pages.\n\n");
	if (present)
		printf("  Metadata cost: %s reserved = %.1f bytes per 4 KiB frame (struct page is %zu bytes)\n",
		       fmt_bytes(a, sizeof(a), reserved * PAGE_SIZE),
		       (double)(reserved * PAGE_SIZE) / (double)present, sizeof(struct page));

	printf("\n  Free memory right after boot, from buddyinfo:\n\n");
	orders_header();
	buddy_rows(&boot->bi, "");

	claim("this is \"a 4k page machine\", and \"the buddy allocator\" keeps its free\n"
	      "         memory as blocks of 2^order physically contiguous 4 KiB frames.");
	buddy_pages = buddy_total_pages(&boot->bi);
	for (int z = 0; z < boot->bi.nr_zones; z++)
		order10 += boot->bi.zone[z].nr_free[CLI_NR_ORDERS - 1] << (CLI_NR_ORDERS - 1);
	printf("    Pages in buddyinfo's blocks: %lu = %s; meminfo MemFree: %s\n", buddy_pages,
	       fmt_bytes(a, sizeof(a), (unsigned long long)buddy_pages * PAGE_SIZE),
	       mib(b, sizeof(b), (unsigned long long)boot->mem_free_kb));
	verdict(d, PAGE_SIZE == 4096 && buddy_pages * (PAGE_SIZE >> 10) ==
		   (unsigned long long)boot->mem_free_kb && buddy_pages,
		"%lu-byte frames; buddyinfo's blocks add up to MemFree (%s), %.0f%% of it in 4 MiB blocks",
		PAGE_SIZE, mib(a, sizeof(a), (unsigned long long)boot->mem_free_kb),
		buddy_pages ? 100.0 * (double)order10 / (double)buddy_pages : 0.0);
	return 0;
}

/* ---- Chapter 1b: a split and a merge ----------------------------------- */

static int ch1_split_merge(struct demo *d)
{
	const unsigned int order = 3;
	struct buddyinfo before, after, freed, drained;
	struct zoneinfo zi_before, zi_after;
	const struct zoneinfo_zone *zone;
	unsigned long pfn, cached;
	long delta_pages = 0;
	int split = -1, z;
	struct page *page;
	char buf[32];
	bool merged;

	section("1b", "The buddy allocator at work: split and merge");
	claim("\"the buddy allocator\" serves a request for 2^order frames by splitting a\n"
	      "         larger free block in halves, and merges the halves again when freed.");
	printf("  The smallest free block that is big enough is taken; while it is too big it\n"
	       "  is split, and the unused half (its \"buddy\") goes on the free list one order\n"
	       "  lower. A freed block merges with its buddy whenever the buddy is free too.\n\n");

	if (read_buddyinfo(&before) || read_zoneinfo(&zi_before))
		return -1;
	page = alloc_pages(GFP_KERNEL, order);
	if (!page) {
		verdict(d, false, "alloc_pages(GFP_KERNEL, %u) failed on a fresh machine", order);
		return 0;
	}
	pfn = page_to_pfn(page);
	if (read_buddyinfo(&after) || read_zoneinfo(&zi_after)) {
		__free_pages(page, order);
		return -1;
	}
	zone = zone_of_pfn(&zi_after, pfn);
	z = zone ? buddyinfo_zone(&after, zone->name) : -1;
	if (z < 0 || buddyinfo_zone(&before, zone->name) != z) {
		fprintf(stderr, "mmkit: pfn 0x%lx is in no zone of zoneinfo/buddyinfo\n", pfn);
		__free_pages(page, order);
		return -1;
	}
	printf("  alloc_pages(GFP_KERNEL, %u) = pfn 0x%lx..0x%lx in zone %s: %lu KiB, physically\n"
	       "  contiguous, its first pfn a multiple of %u.\n\n",
	       order, pfn, pfn + (1UL << order) - 1, zone->name,
	       (PAGE_SIZE << order) >> 10, 1U << order);

	orders_header();
	orders_row(zone->name, "before", before.zone[z].nr_free);
	orders_row(zone->name, "after alloc", after.zone[z].nr_free);
	printf("    %-*s", LABEL_W, "  change");
	for (int o = 0; o < CLI_NR_ORDERS; o++) {
		long dlt = (long)after.zone[z].nr_free[o] - (long)before.zone[z].nr_free[o];

		delta_pages += dlt * (1L << o);
		if (dlt < 0)
			split = o;
		if (dlt)
			printf(" %+6ld", dlt);
		else
			printf(" %6s", ".");
	}
	printf("\n\n");

	cached = zone->pcp_count - zi_before.zone[zoneinfo_zone(&zi_before, zone->name)].pcp_count;
	if (split > (int)order)
		printf("  One order-%d block (%s) was split: halves of order %d down to %u went\n"
		       "  back on the free lists, which now hold %ld pages fewer.\n", split,
		       fmt_bytes(buf, sizeof(buf), PAGE_SIZE << split), split - 1, order,
		       -delta_pages);
	if (cached)
		printf("  The per-CPU list took %lu order-%u blocks in one batch: one for us and\n"
		       "  %lu kept for this CPU's next request (zoneinfo pcp count: %lu pages).\n",
		       cached / (1UL << order) + 1, order, cached / (1UL << order),
		       zone->pcp_count);

	__free_pages(page, order);
	if (read_buddyinfo(&freed))
		return -1;
	drain_all_pages(NULL);
	if (read_buddyinfo(&drained))
		return -1;
	printf("\n  __free_pages(page, %u), then drain_all_pages(NULL):\n\n", order);
	orders_row(zone->name, "after free", freed.zone[z].nr_free);
	orders_row(zone->name, "after drain", drained.zone[z].nr_free);
	if (!same_buddyinfo(&freed, &drained))
		printf("\n  The freed block waited on this CPU's per-CPU list; the drain gave it back\n"
		       "  to the zone, where it merged with its buddies, order by order.\n");
	else if (same_buddyinfo(&freed, &before))
		printf("\n  The freed block went straight back to the zone and merged with its\n"
		       "  buddies, order by order.\n");

	merged = same_buddyinfo(&before, &drained);
	if (split <= (int)order)
		verdict(d, false, "no block larger than order %u was split for the request", order);
	else if (-delta_pages != (long)((1UL << order) + cached))
		verdict(d, false, "%ld pages left the free lists, not %lu ours + %lu cached",
			-delta_pages, 1UL << order, cached);
	else
		verdict(d, merged,
			"an order-%d block was split for an order-%u request (%ld pages left\n"
			"  the free lists: %lu ours + %lu cached), and %s",
			split, order, -delta_pages, 1UL << order, cached,
			merged ? "merged back: buddyinfo equals the 'before' row" :
				 "did not merge back: buddyinfo differs from the 'before' row");
	return 0;
}

/* ---- Chapter 1c: fragmentation ----------------------------------------- */

/* Shorten a long line in the middle, keeping its start and its end. */
static void print_clipped(const char *prefix, const char *line)
{
	const size_t max = 100, head = 60, tail = 32;
	size_t len = strlen(line);
	const char *cut, *resume;

	if (len <= max) {
		printf("%s%s\n", prefix, line);
		return;
	}
	cut = line + head;
	while (cut > line && *cut != ' ')
		cut--;
	resume = line + len - tail;
	while (*resume && *resume != ' ')
		resume++;
	printf("%s%.*s ...%s\n", prefix, (int)(cut - line), line, resume);
}

/* Print the kernel's warning, indented: the failure line and each zone's
 * free blocks by size; the Mem-Info counters in between are counted. */
static void show_warning(const char *text)
{
	const char *p = text;
	int lines = 0, shown = 0;
	char line[1024];

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : NULL;
		if (++lines == 1) {
			printf("    | %s\n", line);
			shown++;
		} else if (strstr(line, "*4kB")) {
			print_clipped("    | ", line);
			shown++;
		}
	}
	if (lines > shown)
		printf("    | (%d of its %d lines: the failure, then each zone's free blocks\n"
		       "    |  by size; the others are the zones' watermarks and counters)\n",
		       shown, lines);
}

struct page_set {
	struct page **page;
	size_t nr, cap;
};

static int page_set_add(struct page_set *s, struct page *page)
{
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct page **p = realloc(s->page, cap * sizeof(*p));

		if (!p)
			return -1;
		s->page = p;
		s->cap = cap;
	}
	s->page[s->nr++] = page;
	return 0;
}

static int ch1_fragmentation(struct demo *d, const struct snapshot *boot)
{
	const gfp_t fill_gfp = GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN;
	struct page_set set = { NULL, 0, 0 };
	long long total_kb, free_kb, full_free_kb;
	struct buddyinfo bi_half, bi_back;
	unsigned long odd = 0, higher = 0, order10_boot = 0, order10_back = 0;
	bool all_unusable = true, warned, failed;
	struct page *order1;
	struct extfrag ef;
	char a[32], b[32];
	char *warning;
	int ret = -1;

	section("1c", "Fragmentation: megabytes free, and an 8K allocation fails");
	claim("\"Memory is subject to fragmentation. You may have many megabytes of free\n"
	      "         memory left, but a 8K kmalloc (on a 4k page machine) can still fail.\"");
	printf("  An 8 KiB kmalloc needs 2 physically contiguous frames: an order-1 block.\n"
	       "  The experiment leaves half of memory free, but never two free frames side\n"
	       "  by side.\n\n");

	/* Step 1: take every frame. */
	printf("  1. Allocate order-0 pages with GFP_KERNEL|__GFP_MEMALLOC|__GFP_NOWARN until the\n"
	       "     allocator refuses (__GFP_MEMALLOC: even the reserves below min).\n");
	for (;;) {
		struct page *page = alloc_pages(fill_gfp, 0);

		if (!page)
			break;
		if (page_set_add(&set, page)) {
			__free_pages(page, 0);
			fprintf(stderr, "mmkit: out of host memory\n");
			goto out;
		}
	}
	if (read_meminfo(&total_kb, &full_free_kb))
		goto out;
	printf("     %zu pages allocated (%s); MemFree is now %lld kB.\n\n", set.nr,
	       fmt_bytes(a, sizeof(a), (unsigned long long)set.nr * PAGE_SIZE), full_free_kb);

	/* Step 2: free every page with an odd pfn. */
	printf("  2. Free every page whose pfn is odd, then drain_all_pages(NULL) so the\n"
	       "     per-CPU lists give their pages back to the zones.\n");
	for (size_t i = 0; i < set.nr; i++) {
		if (!(page_to_pfn(set.page[i]) & 1))
			continue;
		__free_pages(set.page[i], 0);
		set.page[i] = NULL;
		odd++;
	}
	drain_all_pages(NULL);
	if (read_meminfo(&total_kb, &free_kb) || read_buddyinfo(&bi_half) || read_extfrag(&ef))
		goto out;
	printf("     %lu pages freed. Every free frame's buddy (pfn ^ 1) is still allocated.\n\n",
	       odd);
	printf("     meminfo   MemFree:  %s of MemTotal %s\n\n", mib(a, sizeof(a), (unsigned long long)free_kb),
	       mib(b, sizeof(b), (unsigned long long)total_kb));
	orders_header();
	buddy_rows(&bi_half, "");
	for (int z = 0; z < bi_half.nr_zones; z++)
		for (int o = 1; o < CLI_NR_ORDERS; o++)
			higher += bi_half.zone[z].nr_free[o];
	printf("\n     extfrag   unusable free space index for order 1:");
	for (int z = 0; z < ef.nr_zones; z++) {
		printf("  %s %d.%03d", ef.zone[z].name, ef.zone[z].unusable[1] / 1000,
		       ef.zone[z].unusable[1] % 1000);
		if (ef.zone[z].unusable[1] != 1000)
			all_unusable = false;
	}
	printf("\n               (the share of free memory in blocks too small for the request:\n"
	       "                1.000 means none of it can serve an order-1 allocation)\n\n");

	/* Step 3: the 8K request. */
	printf("  3. alloc_pages(GFP_KERNEL, 1): 8 KiB, as an 8K kmalloc would need.\n");
	console_capture_start();
	order1 = alloc_pages(GFP_KERNEL, 1);
	warning = console_capture_end();
	failed = order1 == NULL;
	warned = warning && strstr(warning, "page allocation failure: order:1");
	if (failed) {
		printf("     It returned NULL. The kernel's own warning (on the console, stderr):\n\n");
		show_warning(warning ? warning : "");
	} else {
		printf("     It returned pfn 0x%lx.\n", page_to_pfn(order1));
		__free_pages(order1, 1);
	}
	free(warning);
	verdict(d, failed && warned && higher == 0 && all_unusable && free_kb >= total_kb / 4,
		"%s free, 8K allocation %s%s", mib(a, sizeof(a), (unsigned long long)free_kb),
		failed ? "failed" : "succeeded",
		!failed ? "" : !warned ? " (but the kernel printed no allocation-failure warning)" :
		higher ? " (but buddyinfo shows blocks above order 0)" :
		!all_unusable ? " (but extfrag's order-1 index is not 1.000)" :
		free_kb < total_kb / 4 ? " (but less than a quarter of memory was free)" : "");

	/* Step 4: give everything back. */
	claim("\"Things like the buddy allocator help but can't always guarantee large\n"
	      "         unfragmented blocks.\"");
	printf("  4. Free the remaining (even-pfn) pages and drain: each one's buddy is free\n"
	       "     already, so the pairs merge, then the pairs of pairs, up to order 10.\n\n");
	for (size_t i = 0; i < set.nr; i++) {
		if (set.page[i])
			__free_pages(set.page[i], 0);
		set.page[i] = NULL;
	}
	set.nr = 0;
	drain_all_pages(NULL);
	if (read_buddyinfo(&bi_back) || read_meminfo(&total_kb, &free_kb))
		goto out;
	orders_header();
	buddy_rows(&boot->bi, "at boot");
	buddy_rows(&bi_half, "odd pfns freed");
	buddy_rows(&bi_back, "all freed");
	for (int z = 0; z < boot->bi.nr_zones; z++)
		order10_boot += boot->bi.zone[z].nr_free[CLI_NR_ORDERS - 1];
	for (int z = 0; z < bi_back.nr_zones; z++)
		order10_back += bi_back.zone[z].nr_free[CLI_NR_ORDERS - 1];
	order1 = alloc_pages(GFP_KERNEL, 1);
	printf("\n     alloc_pages(GFP_KERNEL, 1) now: %s", order1 ? "pfn " : "NULL");
	if (order1)
		printf("0x%lx", page_to_pfn(order1));
	printf("; MemFree %s.\n", mib(a, sizeof(a), (unsigned long long)free_kb));
	verdict(d, order1 && order10_back == order10_boot && free_kb == boot->mem_free_kb,
		"with the buddies free again, memory merged back into %lu order-10 blocks\n"
		"  (%lu at boot) and the 8K allocation %s",
		order10_back, order10_boot, order1 ? "succeeds" : "still fails");
	if (order1)
		__free_pages(order1, 1);
	ret = 0;
out:
	for (size_t i = 0; i < set.nr; i++)
		if (set.page[i])
			__free_pages(set.page[i], 0);
	free(set.page);
	return ret;
}

static int chapter_buddy(struct demo *d)
{
	struct snapshot boot;
	int err;

	err = cli_boot(d->cmdline);
	if (err)
		return -1;
	err = snapshot(&boot);
	if (!err)
		err = ch1_machine(d, &boot);
	if (!err)
		err = ch1_split_merge(d);
	if (!err)
		err = ch1_fragmentation(d, &boot);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}

static const struct chapter chapters[] = {
	{ "The machine and the buddy allocator", chapter_buddy },
	/* Later issues: kmalloc, vmalloc, user memory, swap, DMA. */
};

int cmd_demo(const char *cmdline)
{
	struct demo d = { cmdline, 0, 0 };
	size_t n = sizeof(chapters) / sizeof(chapters[0]);
	int broken = 0;

	printf("mmkit demo: the claims of the kmalloc/vmalloc/malloc text, tested live\n");
	for (size_t i = 0; i < n; i++) {
		int before = d.failed;

		printf("\n%s\nChapter %zu. %s\n%s\n", rule, i + 1, chapters[i].title, rule);
		if (chapters[i].run(&d)) {
			printf("\nChapter %zu could not run to its end (see the messages above).\n",
			       i + 1);
			broken++;
		} else if (d.failed > before) {
			printf("\nChapter %zu: %d claim(s) did not hold.\n", i + 1,
			       d.failed - before);
		}
	}
	printf("\n%s\nSummary: %d claim(s) tested, %d hold, %d fail%s.\n", rule, d.claims,
	       d.claims - d.failed, d.failed,
	       broken ? "; some chapters could not run" : "");
	fflush(stdout);
	return d.failed || broken ? 1 : 0;
}
