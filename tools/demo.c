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
 * every claim held. A verdict is computed from what was measured during
 * the experiment itself (a state read just before it, never the state at
 * boot), so the work a chapter does before a step cannot decide it.
 *
 * This file holds the tour and chapter 1 (the buddy allocator);
 * demo_kmalloc.c holds chapter 2 (kmalloc and the slab allocator),
 * demo_vmalloc.c chapter 3 (vmalloc), demo_dma.c chapter 4 (DMA, CMA and
 * interrupt context), demo_user.c chapter 5 (user memory: demand paging
 * and the zero page), demo_swap.c chapter 6 (swap, reclaim and the OOM
 * killer). Later issues add chapters as new rows of the table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>

#include "demo.h"

struct chapter {
	const char *title;
	int (*run)(struct demo *d);	/* 0, or -1 when it could not run */
};

/* ---- Output ------------------------------------------------------------ */

static const char rule[] =
	"==============================================================================";

void section(const char *id, const char *title)
{
	printf("\n%s. %s\n", id, title);
}

void claim(const char *words)
{
	printf("\n  Claim: %s\n\n", words);
}

void verdict(struct demo *d, bool holds, const char *fmt, ...)
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

void orders_header(void)
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

void orders_row(const char *zone, const char *label,
		       const unsigned long nr[CLI_NR_ORDERS])
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%-7s %s", zone, label);
	printf("    %-*s", LABEL_W, buf);
	for (int o = 0; o < CLI_NR_ORDERS; o++)
		printf(" %6lu", nr[o]);
	printf("\n");
}

void buddy_rows(const struct buddyinfo *bi, const char *label)
{
	for (int z = 0; z < bi->nr_zones; z++)
		orders_row(bi->zone[z].name, label, bi->zone[z].nr_free);
}

const char *mib(char *buf, size_t len, unsigned long long kb)
{
	return fmt_bytes(buf, len, kb << 10);
}

/* ---- Reading the machine ----------------------------------------------- */

struct snapshot {
	struct buddyinfo bi;
	struct zoneinfo zi;
	long long mem_total_kb, mem_free_kb;
};

int read_buddyinfo(struct buddyinfo *bi)
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

int read_zoneinfo(struct zoneinfo *zi)
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

int read_meminfo(long long *total_kb, long long *free_kb)
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

int read_extfrag(struct extfrag *ef)
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

int read_pagetypeinfo(struct pagetypeinfo *pt)
{
	char *text;

	if (report_read("pagetypeinfo", &text, "the demo"))
		return -1;
	if (parse_pagetypeinfo(text, pt)) {
		fprintf(stderr, "mmkit: cannot parse the pagetypeinfo report:\n%s", text);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

int read_meminfo_key(const char *key, long long *kb)
{
	char *text;

	if (report_read("meminfo", &text, "the demo"))
		return -1;
	*kb = meminfo_kb(text, key);
	free(text);
	if (*kb < 0) {
		fprintf(stderr, "mmkit: the meminfo report has no %s line\n", key);
		return -1;
	}
	return 0;
}

int read_slabinfo_cache(const char *name, struct slabinfo_cache *c)
{
	const struct slabinfo_cache *found;
	struct slabinfo si;
	char *text;

	if (report_read("slabinfo", &text, "the kmalloc chapter"))
		return -1;
	if (parse_slabinfo(text, &si)) {
		fprintf(stderr, "mmkit: cannot parse the slabinfo report:\n%s", text);
		free(text);
		return -1;
	}
	free(text);
	found = slabinfo_find(&si, name);
	if (found)
		*c = *found;
	else
		fprintf(stderr, "mmkit: slabinfo has no cache named %s\n", name);
	free_slabinfo(&si);
	return found ? 0 : -1;
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

bool same_buddyinfo(const struct buddyinfo *a, const struct buddyinfo *b)
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

/* The migrate type whose free lists serve a GFP_KERNEL request. */
#define KERNEL_MT	"Unmovable"
/* Allocations tried before giving up on seeing a split. */
#define SPLIT_TRIES	16

/*
 * The buddy rule for one order-@order request, applied to a copy of one
 * migrate type's free lists: take the smallest free block of at least
 * @order; while it is too big, halve it and put the upper half on the free
 * list one order lower. Returns the order of the block taken, or -1 when
 * the lists hold none (the allocator then falls back to another type).
 */
static int buddy_take(unsigned long nr[CLI_NR_ORDERS], unsigned int order)
{
	for (int o = (int)order; o < CLI_NR_ORDERS; o++) {
		if (!nr[o])
			continue;
		nr[o]--;
		for (int j = o - 1; j >= (int)order; j--)
			nr[j]++;
		return o;
	}
	return -1;
}

/* What the machine looked like at one point of the experiment. */
struct free_state {
	struct buddyinfo bi;
	struct pagetypeinfo pt;
	struct zoneinfo zi;
};

static int read_free_state(struct free_state *st)
{
	if (read_buddyinfo(&st->bi) || read_pagetypeinfo(&st->pt) || read_zoneinfo(&st->zi))
		return -1;
	return 0;
}

static void change_row(const unsigned long a[CLI_NR_ORDERS], const unsigned long b[CLI_NR_ORDERS])
{
	printf("    %-*s", LABEL_W, "  change");
	for (int o = 0; o < CLI_NR_ORDERS; o++) {
		long dlt = (long)b[o] - (long)a[o];

		if (dlt)
			printf(" %+6ld", dlt);
		else
			printf(" %6s", ".");
	}
	printf("\n");
}

static int ch1_split_merge(struct demo *d)
{
	const unsigned int order = 3;
	struct page *held[SPLIT_TRIES];
	struct free_state before, prev, cur;
	unsigned long pred[CLI_NR_ORDERS];
	const struct zoneinfo_zone *zone = NULL;
	struct buddyinfo freed, drained;
	int z = -1, r = -1, nr_held = 0, split = -1, taken_orders[64];
	long taken = 0, cached = 0;
	int nr_taken = 0, ret = -1;
	bool predicted = true, conserved = true, merged;
	char buf[32];

	section("1b", "The buddy allocator at work: split and merge");
	claim("\"the buddy allocator\" serves a request for 2^order frames by splitting a\n"
	      "         larger free block in halves, and merges the halves again when freed.");
	printf("  The smallest free block that is big enough is taken; while it is too big it\n"
	       "  is split, and the unused half (its \"buddy\") goes on the free list one order\n"
	       "  lower. A freed block merges with its buddy whenever the buddy is free too.\n"
	       "  A GFP_KERNEL request is unmovable: it is served from the %s free lists\n"
	       "  (pagetypeinfo), so the rule can be checked on them exactly.\n\n", KERNEL_MT);

	/* Start from the zones' own lists: nothing waiting on a per-CPU list. */
	drain_all_pages(NULL);
	if (read_free_state(&before))
		return -1;
	prev = before;

	/*
	 * Allocate order-3 blocks until one of them needed a split (the first
	 * does, unless free order-3 blocks are left over from boot). Each step
	 * is checked against the rule applied to the lists just before it.
	 */
	while (nr_held < SPLIT_TRIES && split < 0) {
		struct page *page = alloc_pages(GFP_KERNEL, order);
		long step_taken, step_cached;
		int zc;

		if (!page) {
			verdict(d, false, "alloc_pages(GFP_KERNEL, %u) failed", order);
			ret = 0;
			goto out;
		}
		held[nr_held++] = page;
		if (read_free_state(&cur))
			goto out;
		zone = zone_of_pfn(&cur.zi, page_to_pfn(page));
		z = zone ? buddyinfo_zone(&cur.bi, zone->name) : -1;
		zc = zone ? zoneinfo_zone(&prev.zi, zone->name) : -1;
		r = zone ? pagetypeinfo_row(&cur.pt, zone->name, KERNEL_MT) : -1;
		if (z < 0 || zc < 0 || r < 0 || buddyinfo_zone(&prev.bi, zone->name) != z ||
		    pagetypeinfo_row(&prev.pt, zone->name, KERNEL_MT) != r) {
			fprintf(stderr, "mmkit: pfn 0x%lx is in no zone of zoneinfo/buddyinfo/pagetypeinfo\n",
				page_to_pfn(page));
			goto out;
		}
		step_taken = (long)buddyinfo_pages(&prev.bi, z) - (long)buddyinfo_pages(&cur.bi, z);
		step_cached = (long)zone->pcp_count - (long)prev.zi.zone[zc].pcp_count;
		/* Free lists -> per-CPU list -> us: no page appears or vanishes. */
		if (step_taken != (long)(1UL << order) + step_cached || step_taken % (1L << order))
			conserved = false;
		memcpy(pred, prev.pt.row[r].nr_free, sizeof(pred));
		for (long i = 0; i < step_taken >> order; i++) {
			int o = buddy_take(pred, order);

			if (o < 0) {
				predicted = false;
				break;
			}
			if (nr_taken < 64)
				taken_orders[nr_taken++] = o;
			if (o > (int)order && o > split)
				split = o;
		}
		if (memcmp(pred, cur.pt.row[r].nr_free, sizeof(pred)))
			predicted = false;
		taken += step_taken;
		cached += step_cached;
		if (split < 0)
			prev = cur;
	}

	printf("  alloc_pages(GFP_KERNEL, %u) = pfn 0x%lx..0x%lx in zone %s: %lu KiB, physically\n"
	       "  contiguous, its first pfn a multiple of %u.\n",
	       order, page_to_pfn(held[nr_held - 1]),
	       page_to_pfn(held[nr_held - 1]) + (1UL << order) - 1, zone->name,
	       (PAGE_SIZE << order) >> 10, 1U << order);
	if (nr_held > 1)
		printf("  (It is allocation %d: the %d before it were served by free order-%u blocks\n"
		       "  left over from boot, or from the per-CPU list, with no split to show.)\n",
		       nr_held, nr_held - 1, order);
	printf("\n");
	orders_header();
	orders_row(zone->name, "before", before.bi.zone[z].nr_free);
	orders_row(zone->name, "after alloc", cur.bi.zone[z].nr_free);
	change_row(before.bi.zone[z].nr_free, cur.bi.zone[z].nr_free);
	printf("\n    %s's %s free lists (pagetypeinfo), and the rule's prediction:\n",
	       zone->name, KERNEL_MT);
	orders_row(zone->name, nr_held > 1 ? "before this one" : "before",
		   prev.pt.row[r].nr_free);
	orders_row(zone->name, "predicted", pred);
	orders_row(zone->name, "measured", cur.pt.row[r].nr_free);
	printf("\n");

	if (nr_taken)
		printf("  The zone's free lists gave %ld pages: %lu for us and %ld for this CPU's\n"
		       "  per-CPU list, which takes a batch at a time (zoneinfo pcp count: %lu pages):\n",
		       taken, (unsigned long)nr_held << order, cached, zone->pcp_count);
	for (int i = 0, last = -1; i < nr_taken; i++) {
		int o = taken_orders[i];

		if (o > (int)order)
			printf("    block %d: the smallest free block big enough was of order %d (%s):\n"
			       "             split, halves of order %d down to %u onto the free lists\n",
			       i + 1, o, fmt_bytes(buf, sizeof(buf), PAGE_SIZE << o), o - 1, order);
		else
			printf("    block %d: an order-%u block from the free list%s\n", i + 1, order,
			       last > (int)order ? " (the half the split just put there)" : "");
		last = o;
	}

	/* Give everything back: the blocks merge with their buddies. */
	while (nr_held)
		__free_pages(held[--nr_held], order);
	if (read_buddyinfo(&freed))
		goto out;
	drain_all_pages(NULL);
	if (read_buddyinfo(&drained))
		goto out;
	printf("\n  __free_pages() of what we took, then drain_all_pages(NULL):\n\n");
	orders_row(zone->name, "before", before.bi.zone[z].nr_free);
	orders_row(zone->name, "after free", freed.zone[z].nr_free);
	orders_row(zone->name, "after drain", drained.zone[z].nr_free);
	if (!same_buddyinfo(&freed, &drained))
		printf("\n  The freed blocks waited on this CPU's per-CPU list; the drain gave them\n"
		       "  back to the zone, where they merged with their buddies, order by order.\n");

	if (split < 0)
		verdict(d, false, "%d order-%u allocations and no block larger than order %u was split",
			SPLIT_TRIES, order, order);
	else if (!conserved)
		verdict(d, false, "the pages that left the free lists (%ld) are not ours plus the\n"
			"  per-CPU list's (%ld)", taken, cached);
	else
		verdict(d, predicted,
			"an order-%d block was split for an order-%u request, and the %s free\n"
			"  lists %s the buddy rule's prediction (halves onto the free lists)",
			split, order, KERNEL_MT, predicted ? "changed exactly as" : "do NOT match");
	merged = same_buddyinfo(&before.bi, &drained);
	verdict(d, merged, "after freeing, buddyinfo %s its state before the experiment: the halves\n"
		"  merged %s", merged ? "equals" : "differs from",
		merged ? "back into the blocks they came from" : "only partly");
	ret = 0;
out:
	while (nr_held)
		__free_pages(held[--nr_held], order);
	return ret;
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

	while ((p = next_line(p, line, sizeof(line)))) {
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

int fill_memory(struct page_set *set)
{
	const gfp_t fill_gfp = GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN;

	for (;;) {
		struct page *page = alloc_pages(fill_gfp, 0);

		if (!page)
			return 0;
		if (page_set_add(set, page)) {
			__free_pages(page, 0);
			fprintf(stderr, "mmkit: out of host memory\n");
			return -1;
		}
	}
}

unsigned long free_odd_pfns(struct page_set *set)
{
	unsigned long odd = 0;

	for (size_t i = 0; i < set->nr; i++) {
		if (!set->page[i] || !(page_to_pfn(set->page[i]) & 1))
			continue;
		__free_pages(set->page[i], 0);
		set->page[i] = NULL;
		odd++;
	}
	drain_all_pages(NULL);
	return odd;
}

void page_set_release(struct page_set *set)
{
	for (size_t i = 0; i < set->nr; i++)
		if (set->page[i])
			__free_pages(set->page[i], 0);
	free(set->page);
	set->page = NULL;
	set->nr = set->cap = 0;
	drain_all_pages(NULL);
}

static unsigned long order10_blocks(const struct buddyinfo *bi)
{
	unsigned long n = 0;

	for (int z = 0; z < bi->nr_zones; z++)
		n += bi->zone[z].nr_free[CLI_NR_ORDERS - 1];
	return n;
}

static int ch1_fragmentation(struct demo *d)
{
	struct page_set set = { NULL, 0, 0 };
	long long total_kb, free_kb, full_free_kb, start_free_kb;
	struct buddyinfo bi_start, bi_half, bi_back;
	unsigned long odd, higher = 0;
	bool all_unusable = true, warned, failed, same;
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

	/* The state the experiment must give back, per-CPU lists drained. */
	drain_all_pages(NULL);
	if (read_buddyinfo(&bi_start) || read_meminfo(&total_kb, &start_free_kb))
		goto out;

	/* Step 1: take every frame. */
	printf("  1. Allocate order-0 pages with GFP_KERNEL|__GFP_MEMALLOC|__GFP_NOWARN until the\n"
	       "     allocator refuses (__GFP_MEMALLOC: even the reserves below min).\n");
	if (fill_memory(&set) || read_meminfo(&total_kb, &full_free_kb))
		goto out;
	printf("     %zu pages allocated (%s); MemFree is now %lld kB.\n\n", set.nr,
	       fmt_bytes(a, sizeof(a), (unsigned long long)set.nr * PAGE_SIZE), full_free_kb);

	/* Step 2: free every page with an odd pfn. */
	printf("  2. Free every page whose pfn is odd, then drain_all_pages(NULL) so the\n"
	       "     per-CPU lists give their pages back to the zones.\n");
	odd = free_odd_pfns(&set);
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
	page_set_release(&set);
	if (read_buddyinfo(&bi_back) || read_meminfo(&total_kb, &free_kb))
		goto out;
	orders_header();
	buddy_rows(&bi_start, "before step 1");
	buddy_rows(&bi_half, "odd pfns freed");
	buddy_rows(&bi_back, "all freed");
	order1 = alloc_pages(GFP_KERNEL, 1);
	printf("\n     alloc_pages(GFP_KERNEL, 1) now: %s", order1 ? "pfn " : "NULL");
	if (order1)
		printf("0x%lx", page_to_pfn(order1));
	printf("; MemFree %s (%s before step 1).\n", mib(a, sizeof(a), (unsigned long long)free_kb),
	       mib(b, sizeof(b), (unsigned long long)start_free_kb));
	same = same_buddyinfo(&bi_start, &bi_back) && free_kb == start_free_kb;
	verdict(d, order1 && same,
		"with the buddies free again, buddyinfo %s its state before the\n"
		"  experiment (%lu order-10 blocks, %lu before) and the 8K allocation %s",
		same ? "equals" : "differs from", order10_blocks(&bi_back),
		order10_blocks(&bi_start), order1 ? "succeeds" : "still fails");
	if (order1)
		__free_pages(order1, 1);
	ret = 0;
out:
	page_set_release(&set);
	return ret;
}

int chapter_buddy(struct demo *d)
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
		err = ch1_fragmentation(d);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
	return err;
}

static const struct chapter chapters[] = {
	{ "The machine and the buddy allocator", chapter_buddy },
	{ "kmalloc and the slab allocator", chapter_kmalloc },
	{ "vmalloc", chapter_vmalloc },
	{ "DMA, boot-time reservation and interrupt context", chapter_dma },
	{ "User memory: demand paging and the zero page", chapter_user },
	{ "Swap, reclaim and the OOM killer", chapter_swap },
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

void table_row(int width, const char *label, long long a, long long b, const char *unit)
{
	const char *sp = *unit ? " " : "";

	printf("    %-*s %9lld %-2s -> %9lld %-2s  ", width, label, a, unit, b, unit);
	if (b != a)
		printf("(%+lld%s%s)\n", b - a, sp, unit);
	else
		printf("(unchanged)\n");
}
