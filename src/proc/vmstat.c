// SPDX-License-Identifier: MIT
/*
 * The page allocator's reports, in the exact formats of Linux 6.x's
 * mm/vmstat.c: /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo,
 * /proc/vmstat and debugfs extfrag/{unusable_index,extfrag_index}.
 *
 * Formats are byte for byte Linux's (the trailing space after each column,
 * the widths, the header lines), so a parser written for the real file
 * parses ours. The machine is one node with the zones DMA and Normal;
 * a kernel with only those zones prints what is printed here.
 *
 * Locking, as Linux: each zone's free lists are read under zone->lock;
 * per-CPU page counts and the statistics counters are read without locks
 * (a report is a snapshot, and a count a moment old is still a count).
 * Lock order is pcp->cl then zone->lock, and no report takes a pcp lock.
 */
#include "proc.h"

/* Linux's walk_zones_in_node(): @print for each zone of the node, under
 * its lock; only the populated zones when @populated_only. */
static void walk_zones_in_node(FILE *m, struct pglist_data *pgdat, bool populated_only,
			       void (*print)(FILE *, struct pglist_data *, struct zone *))
{
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (populated_only && !populated_zone(zone))
			continue;
		zone_lock(zone);
		print(m, pgdat, zone);
		zone_unlock(zone);
	}
}

static bool node_has_memory(struct pglist_data *pgdat)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			return true;
	return false;
}

/* ---- /proc/buddyinfo -------------------------------------------------- */

static void frag_show_print(FILE *m, struct pglist_data *pgdat, struct zone *zone)
{
	fprintf(m, "Node %d, zone %8s ", pgdat->node_id, zone->name);
	for (int order = 0; order < NR_PAGE_ORDERS; order++)
		fprintf(m, "%6lu ", zone->free_area[order].nr_free);
	fputc('\n', m);
}

int proc_buddyinfo_show(FILE *m)
{
	walk_zones_in_node(m, NODE_DATA(0), true, frag_show_print);
	return 0;
}

/* ---- /proc/pagetypeinfo ----------------------------------------------- */

/* Linux stops counting a list at this length (and prints ">100000"), so
 * that a report never holds zone->lock for long. */
#define FREECOUNT_CAP	100000

static void pagetypeinfo_showfree_print(FILE *m, struct pglist_data *pgdat,
					struct zone *zone)
{
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		fprintf(m, "Node %4d, zone %8s, type %12s ", pgdat->node_id,
			zone->name, migratetype_names[mt]);
		for (int order = 0; order < NR_PAGE_ORDERS; order++) {
			struct list_head *head = &zone->free_area[order].free_list[mt];
			struct list_head *pos;
			unsigned long freecount = 0;
			bool overflow = false;

			list_for_each(pos, head) {
				if (++freecount >= FREECOUNT_CAP) {
					overflow = true;
					break;
				}
			}
			fprintf(m, "%s%6lu ", overflow ? ">" : "", freecount);
		}
		fputc('\n', m);
	}
}

static void pagetypeinfo_showblockcount_print(FILE *m, struct pglist_data *pgdat,
					      struct zone *zone)
{
	unsigned long count[MIGRATE_TYPES] = { 0 };

	for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
	     pfn += pageblock_nr_pages) {
		int mt;

		if (pfn >= max_pfn || page_zone(page_of(pfn)) != zone)
			continue;
		mt = get_pageblock_migratetype(pfn);
		if (mt < MIGRATE_TYPES)
			count[mt]++;
	}
	fprintf(m, "Node %d, zone %8s ", pgdat->node_id, zone->name);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(m, "%12lu ", count[mt]);
	fputc('\n', m);
}

int proc_pagetypeinfo_show(FILE *m)
{
	struct pglist_data *pgdat = NODE_DATA(0);

	if (!node_has_memory(pgdat))
		return 0;
	fprintf(m, "Page block order: %d\n", pageblock_order);
	fprintf(m, "Pages per block:  %lu\n", pageblock_nr_pages);
	fputc('\n', m);

	fprintf(m, "%-43s ", "Free pages count per migrate type at order");
	for (int order = 0; order < NR_PAGE_ORDERS; order++)
		fprintf(m, "%6d ", order);
	fputc('\n', m);
	walk_zones_in_node(m, pgdat, true, pagetypeinfo_showfree_print);

	fprintf(m, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(m, "%12s ", migratetype_names[mt]);
	fputc('\n', m);
	walk_zones_in_node(m, pgdat, true, pagetypeinfo_showblockcount_print);
	/* The "mixed blocks" table needs page_owner, which mmkit lacks: Linux
	 * prints nothing for it without page_owner either. */
	return 0;
}

/* ---- /proc/zoneinfo --------------------------------------------------- */

static bool is_zone_first_populated(struct pglist_data *pgdat, struct zone *zone)
{
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &pgdat->node_zones[i];

		if (populated_zone(z))
			return z == zone;
	}
	return false;
}

/* Linux's pgdat_balanced() gives up after this many kswapd failures. */
#define MAX_RECLAIM_RETRIES	16

static void zoneinfo_show_print(FILE *m, struct pglist_data *pgdat, struct zone *zone)
{
	unsigned int kswapd_failures = 0;	/* no kswapd yet */
	int nr_cpus = report_nr_cpus();

	fprintf(m, "Node %d, zone %8s", pgdat->node_id, zone->name);
	if (is_zone_first_populated(pgdat, zone)) {
		fprintf(m, "\n  per-node stats");
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
			unsigned long pages;

			if (!node_stat_names[i])
				continue;
			pages = node_page_state_pages(pgdat, (enum node_stat_item)i);
			if (node_stat_print_in_thp((enum node_stat_item)i))
				pages /= HPAGE_PMD_NR;
			fprintf(m, "\n      %-12s %lu", node_stat_names[i], pages);
		}
	}
	fprintf(m,
		"\n  pages free     %lu"
		"\n        boost    %lu"
		"\n        min      %lu"
		"\n        low      %lu"
		"\n        high     %lu"
		"\n        promo    %lu"
		"\n        spanned  %lu"
		"\n        present  %lu"
		"\n        managed  %lu"
		"\n        cma      %lu",
		zone_page_state(zone, NR_FREE_PAGES),
		zone->watermark_boost,
		min_wmark_pages(zone),
		low_wmark_pages(zone),
		high_wmark_pages(zone),
		wmark_pages(zone, WMARK_PROMO),
		zone->spanned_pages,
		zone->present_pages,
		zone_managed_pages(zone),
		zone->cma_pages);

	fprintf(m, "\n        protection: (%ld", zone->lowmem_reserve[0]);
	for (int i = 1; i < MAX_NR_ZONES; i++)
		fprintf(m, ", %ld", zone->lowmem_reserve[i]);
	fputc(')', m);

	if (!populated_zone(zone)) {
		fputc('\n', m);
		return;
	}

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(m, "\n      %-12s %lu", zone_stat_names[i],
			zone_page_state(zone, (enum zone_stat_item)i));

	/*
	 * Linux 6.7+ auto-tunes pcp->high between high_min and high_max. Here
	 * high is fixed at boot (Linux's high_min formula), so the band is
	 * that one value. The vm stats threshold is how far a CPU's share of
	 * a counter may drift before it is folded in: mmkit's counters are
	 * exact atomics with no per-CPU part, so it is 0.
	 */
	fprintf(m, "\n  pagesets");
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		fprintf(m,
			"\n    cpu: %i"
			"\n              count:    %i"
			"\n              high:     %i"
			"\n              batch:    %i"
			"\n              high_min: %i"
			"\n              high_max: %i",
			cpu, pcp->count, pcp->high, pcp->batch, pcp->high, pcp->high);
		fprintf(m, "\n  vm stats threshold: %d", 0);
	}
	fprintf(m,
		"\n  node_unreclaimable:  %u"
		"\n  start_pfn:           %lu"
		"\n",
		kswapd_failures >= MAX_RECLAIM_RETRIES,
		zone->zone_start_pfn);
}

int proc_zoneinfo_show(FILE *m)
{
	walk_zones_in_node(m, NODE_DATA(0), false, zoneinfo_show_print);
	return 0;
}

/* ---- /proc/vmstat ----------------------------------------------------- */

/*
 * Linux's global_dirty_limits() with its defaults (vm.dirty_ratio 20,
 * vm.dirty_background_ratio 10, no *_bytes): a share of the dirtyable
 * memory, which is free memory above the reserves plus the file LRU.
 */
static void global_dirty_limits(unsigned long *pbackground, unsigned long *pdirty)
{
	const unsigned long dirty_ratio = 20, background_ratio = 10;
	unsigned long avail = global_zone_page_state(NR_FREE_PAGES);
	unsigned long ratio, bg_ratio, thresh, bg_thresh;

	avail -= avail < totalreserve_pages ? avail : totalreserve_pages;
	avail += global_node_page_state_pages(NR_INACTIVE_FILE);
	avail += global_node_page_state_pages(NR_ACTIVE_FILE);
	avail += 1;	/* never 0 */

	ratio = dirty_ratio * PAGE_SIZE / 100;
	bg_ratio = background_ratio * PAGE_SIZE / 100;
	thresh = ratio * avail / PAGE_SIZE;
	bg_thresh = bg_ratio * avail / PAGE_SIZE;
	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	*pbackground = bg_thresh;
	*pdirty = thresh;
}

/* Pages of struct page allocated at boot (memblock) and since (hotplug). */
static unsigned long memmap_boot_pages(void)
{
	return (max_pfn * sizeof(struct page) + PAGE_SIZE - 1) / PAGE_SIZE;
}

static void vmstat_line(FILE *m, const char *name, unsigned long v)
{
	fprintf(m, "%s %lu\n", name, v);
}

int proc_vmstat_show(FILE *m)
{
	unsigned long events[NR_VM_EVENT_ITEMS];
	unsigned long dirty, background;

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		vmstat_line(m, zone_stat_names[i],
			    global_zone_page_state((enum zone_stat_item)i));

	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
		unsigned long v;

		if (!node_stat_names[i])
			continue;
		v = global_node_page_state_pages((enum node_stat_item)i);
		if (node_stat_print_in_thp((enum node_stat_item)i))
			v /= HPAGE_PMD_NR;
		vmstat_line(m, node_stat_names[i], v);
	}

	global_dirty_limits(&background, &dirty);
	vmstat_line(m, "nr_dirty_threshold", dirty);
	vmstat_line(m, "nr_dirty_background_threshold", background);
	vmstat_line(m, "nr_memmap_pages", 0);	/* no memory hotplug */
	vmstat_line(m, "nr_memmap_boot_pages", memmap_boot_pages());

	sum_vm_events(events);
	events[PGPGIN] /= 2;	/* counted in 512-byte sectors, shown in kB */
	events[PGPGOUT] /= 2;
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (vm_event_names[i])
			vmstat_line(m, vm_event_names[i], events[i]);

	/* Deprecated, kept by Linux so that old tools still find it. */
	vmstat_line(m, "nr_unstable", 0);
	return 0;
}

/* ---- debugfs extfrag/unusable_index, extfrag/extfrag_index ------------ */

struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

/* How much of the zone's free memory could serve an order-@suitable_order
 * request: free pages, free blocks, and blocks of at least that order
 * counted in units of that order. zone->lock held. */
static void fill_contig_page_info(struct zone *zone, unsigned int suitable_order,
				  struct contig_page_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++) {
		unsigned long blocks = zone->free_area[order].nr_free;

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

/*
 * The unusable free space index, in thousandths: the share of free memory
 * in blocks too small for @order. 0 means every free page could serve the
 * request; 1000 means none could (or nothing is free).
 */
static int unusable_free_index(unsigned int order, const struct contig_page_info *info)
{
	if (!info->free_pages)
		return 1000;
	return (int)((unsigned long long)(info->free_pages -
					  (info->free_blocks_suitable << order)) *
		     1000ULL / info->free_pages);
}

/*
 * The fragmentation index, in thousandths, for a request that cannot be
 * met: towards 0 the failure is for lack of memory, towards 1000 for
 * fragmentation. -1000 when a suitable block exists (the request would
 * succeed), 0 when nothing is free.
 */
static int __fragmentation_index(unsigned int order, const struct contig_page_info *info)
{
	unsigned long requested = 1UL << order;

	if (order > MAX_PAGE_ORDER)
		return 0;
	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return 1000 - (int)((1000 + (info->free_pages * 1000 / requested)) /
			    info->free_blocks_total);
}

static void unusable_show_print(FILE *m, struct pglist_data *pgdat, struct zone *zone)
{
	struct contig_page_info info;

	fprintf(m, "Node %d, zone %8s ", pgdat->node_id, zone->name);
	for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++) {
		int index;

		fill_contig_page_info(zone, order, &info);
		index = unusable_free_index(order, &info);
		fprintf(m, "%d.%03d ", index / 1000, index % 1000);
	}
	fputc('\n', m);
}

static void extfrag_show_print(FILE *m, struct pglist_data *pgdat, struct zone *zone)
{
	struct contig_page_info info;

	fprintf(m, "Node %d, zone %8s ", pgdat->node_id, zone->name);
	for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++) {
		int index;

		fill_contig_page_info(zone, order, &info);
		index = __fragmentation_index(order, &info);
		fprintf(m, "%2d.%03d ", index / 1000, index % 1000);
	}
	fputc('\n', m);
}

int proc_extfrag_show(FILE *m)
{
	struct pglist_data *pgdat = NODE_DATA(0);

	if (node_has_memory(pgdat))
		walk_zones_in_node(m, pgdat, true, unusable_show_print);
	walk_zones_in_node(m, pgdat, true, extfrag_show_print);
	return 0;
}
