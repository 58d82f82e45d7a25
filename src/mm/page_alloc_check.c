// SPDX-License-Identifier: MIT
/*
 * The page allocator's invariant checker, behind mmk_check().
 *
 * It proves, for every populated zone, by two independent walks:
 *
 *   the lists:  every free block on free_area[o].free_list[mt] is a PGS_BUDDY
 *               head of order o, aligned to 2^o, inside the zone, in
 *               pageblocks of type mt; its buddy is not a free block of the
 *               same order unless a merge barrier separates them; nr_free
 *               matches; every per-CPU list holds PGS_PCP heads of its order
 *               and its count matches pcp->count.
 *   the frames: walking mem_map from the zone's first pfn, every frame is
 *               reserved, or inside exactly one block (buddy, pcp or
 *               allocated) whose tails are all PGS_TAIL; the number of block
 *               heads of each kind equals what the lists hold, so no block is
 *               on two lists or lost from all of them.
 *   the counts: NR_FREE_PAGES is the sum of free buddy blocks, managed pages
 *               are the frames not reserved, nr_reserved_highatomic is the
 *               HighAtomic pageblocks, and free + pcp + allocated + reserved
 *               frames add up to the zone's span.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"
#include "swap.h"
#include "vmalloc.h"
#include "cma.h"
#include "mmap.h"
#include "slab.h"

struct checker {
	FILE *out;
	long problems;
	struct zone *zone;
};

__attribute__((format(printf, 2, 3)))
static void problem(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	if (c->out && c->problems < 50) {
		fprintf(c->out, "mmk_check: zone %s: ", c->zone->name);
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
		fputc('\n', c->out);
	}
	c->problems++;
}

static bool merge_barrier(struct zone *zone, unsigned long pfn,
			  unsigned long buddy, unsigned int order)
{
	int a, b;

	if (order < pageblock_order)
		return false;
	a = get_pageblock_migratetype(pfn);
	b = get_pageblock_migratetype(buddy);
	(void)zone;
	return a != b && (!migratetype_is_mergeable(a) || !migratetype_is_mergeable(b));
}

static void check_free_lists(struct checker *c, unsigned long *free_pages,
			     unsigned long heads[NR_PAGE_ORDERS])
{
	struct zone *zone = c->zone;

	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long n = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *pos;

			list_for_each(pos, &zone->free_area[o].free_list[mt]) {
				struct page *page = list_entry(pos, struct page, lru);
				unsigned long pfn = pfn_of(page), buddy;

				n++;
				if (page < mem_map || pfn >= max_pfn || !zone_spans_pfn(zone, pfn)) {
					problem(c, "free_list[%s] order %u holds %p, not a page of this zone",
						migratetype_names[mt], o, (void *)page);
					break;
				}
				if (page->pg_state != PGS_BUDDY || page->pg_order != o)
					problem(c, "pfn %#lx on the order-%u %s list has state %u order %u",
						pfn, o, migratetype_names[mt], page->pg_state, page->pg_order);
				if (pfn & ((1UL << o) - 1))
					problem(c, "order-%u block at pfn %#lx is misaligned", o, pfn);
				for (unsigned long p = pfn; p < pfn + (1UL << o); p += pageblock_nr_pages)
					if (get_pageblock_migratetype(p) != mt) {
						problem(c, "order-%u block at pfn %#lx on the %s list lies in a %s pageblock",
							o, pfn, migratetype_names[mt],
							migratetype_names[get_pageblock_migratetype(p)]);
						break;
					}
				buddy = pfn ^ (1UL << o);
				if (o < MAX_PAGE_ORDER && zone_spans_pfn(zone, buddy) &&
				    page_of(buddy)->pg_state == PGS_BUDDY &&
				    page_of(buddy)->pg_order == o &&
				    !merge_barrier(zone, pfn, buddy, o))
					problem(c, "free buddies not merged: order-%u blocks at pfn %#lx and %#lx",
						o, pfn, buddy);
				if (mt != MIGRATE_ISOLATE)
					*free_pages += 1UL << o;
				if (atomic_load(&page->_refcount))
					problem(c, "free block at pfn %#lx has refcount %d",
						pfn, atomic_load(&page->_refcount));
			}
		}
		if (n != zone->free_area[o].nr_free)
			problem(c, "order %u: nr_free is %lu but the lists hold %lu blocks",
				o, zone->free_area[o].nr_free, n);
		heads[o] = n;
	}
}

static unsigned long check_pcp_lists(struct checker *c)
{
	unsigned long total = 0;

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &c->zone->per_cpu_pageset[cpu];
		long pages = 0;

		for (unsigned int i = 0; i < NR_PCP_LISTS; i++) {
			unsigned int order = i / MIGRATE_PCPTYPES;
			struct list_head *pos;

			list_for_each(pos, &pcp->lists[i]) {
				struct page *page = list_entry(pos, struct page, lru);

				if (page->pg_state != PGS_PCP || page->pg_order != order ||
				    !zone_spans_pfn(c->zone, pfn_of(page)))
					problem(c, "cpu %d pcp list %u holds pfn %#lx with state %u order %u",
						cpu, i, pfn_of(page), page->pg_state, page->pg_order);
				pages += 1L << order;
			}
		}
		if (pages != pcp->count)
			problem(c, "cpu %d: pcp count is %d but its lists hold %ld pages",
				cpu, pcp->count, pages);
		total += (unsigned long)pages;
	}
	return total;
}

static void check_tails(struct checker *c, unsigned long head, unsigned int order)
{
	for (unsigned long p = head + 1; p < head + (1UL << order) && p < max_pfn; p++)
		if (page_of(p)->pg_state != PGS_TAIL) {
			problem(c, "pfn %#lx inside the order-%u block at %#lx has state %u",
				p, order, head, page_of(p)->pg_state);
			return;
		}
}

static void check_zone(struct checker *c)
{
	struct zone *zone = c->zone;
	unsigned long list_heads[NR_PAGE_ORDERS], scan_heads[NR_PAGE_ORDERS] = { 0 };
	unsigned long list_free = 0, pcp_pages, scan_pcp = 0, alloc = 0, reserved = 0;
	unsigned long scan_free = 0, highatomic = 0, blocks_free = 0;

	check_free_lists(c, &list_free, list_heads);
	pcp_pages = check_pcp_lists(c);

	for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);) {
		struct page *page = page_of(pfn);
		unsigned int order = page->pg_order;

		switch (page->pg_state) {
		case PGS_BUDDY:
		case PGS_PCP:
		case PGS_ALLOC:
			if (order > MAX_PAGE_ORDER || (pfn & ((1UL << order) - 1)) ||
			    pfn + (1UL << order) > zone_end_pfn(zone)) {
				problem(c, "block head at pfn %#lx has bad order %u", pfn, order);
				pfn++;
				continue;
			}
			check_tails(c, pfn, order);
			if (page->pg_state == PGS_BUDDY) {
				scan_heads[order]++;
				if (get_pageblock_migratetype(pfn) != MIGRATE_ISOLATE) {
					scan_free += 1UL << order;
					if (order >= pageblock_order)
						blocks_free += 1UL << order;
				}
			} else if (page->pg_state == PGS_PCP) {
				scan_pcp += 1UL << order;
			} else if (PageReserved(page) && pfn_in_cma(pfn)) {
				reserved++;	/* a cma_alloc()ed frame */
			} else {
				alloc += 1UL << order;
				if (atomic_load(&page->_refcount) < 1)
					problem(c, "allocated block at pfn %#lx has refcount %d",
						pfn, atomic_load(&page->_refcount));
			}
			pfn += 1UL << order;
			break;
		default:
			if (PageReserved(page))
				reserved++;
			else
				problem(c, "pfn %#lx belongs to no block and is not reserved", pfn);
			pfn++;
		}
	}
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
		if (scan_heads[o] != list_heads[o])
			problem(c, "order %u: %lu free heads in mem_map but %lu on the lists",
				o, scan_heads[o], list_heads[o]);
	if (scan_pcp != pcp_pages)
		problem(c, "%lu pcp pages in mem_map but %lu on the per-CPU lists",
			scan_pcp, pcp_pages);
	if (list_free != scan_free || list_free != zone_page_state(zone, NR_FREE_PAGES))
		problem(c, "NR_FREE_PAGES is %lu, the lists hold %lu, mem_map shows %lu",
			zone_page_state(zone, NR_FREE_PAGES), list_free, scan_free);
	if (blocks_free != zone_page_state(zone, NR_FREE_PAGES_BLOCKS))
		problem(c, "NR_FREE_PAGES_BLOCKS is %lu, free blocks of order >= %d hold %lu",
			zone_page_state(zone, NR_FREE_PAGES_BLOCKS), pageblock_order, blocks_free);
	if (zone->spanned_pages - reserved != zone_managed_pages(zone))
		problem(c, "managed pages %lu, but %lu frames are not reserved",
			zone_managed_pages(zone), zone->spanned_pages - reserved);
	if (scan_free + scan_pcp + alloc + reserved != zone->spanned_pages)
		problem(c, "free %lu + pcp %lu + allocated %lu + reserved %lu != spanned %lu",
			scan_free, scan_pcp, alloc, reserved, zone->spanned_pages);
	for (unsigned long pfn = zone->zone_start_pfn & ~(pageblock_nr_pages - 1);
	     pfn < zone_end_pfn(zone); pfn += pageblock_nr_pages)
		if (get_pageblock_migratetype(pfn) == MIGRATE_HIGHATOMIC)
			highatomic += pageblock_nr_pages;
	if (highatomic != zone->nr_reserved_highatomic)
		problem(c, "nr_reserved_highatomic is %lu but %lu pages of pageblocks are HighAtomic",
			zone->nr_reserved_highatomic, highatomic);
}

long mmk_check(FILE *out)
{
	struct checker c = { out, 0, NULL };
	struct zone *zone;

	if (not_booted())
		return -1;
	/* The caller stops its own threads; the kernel's stop here: kswapd
	 * parks, and swap I/O in flight completes (it frees frames). */
	kswapd_park(true);
	swap_io_drain();
	for_each_populated_zone(zone) {
		c.zone = zone;
		alloc_locks_enter();
		cpu_lock_remote_all(&zone->per_cpu_pageset[0].cl,
				    sizeof(struct per_cpu_pages), NR_CPUS);
		zone_lock(zone);
		check_zone(&c);
		zone_unlock(zone);
		cpu_unlock_remote_all(&zone->per_cpu_pageset[0].cl,
				      sizeof(struct per_cpu_pages), NR_CPUS);
		alloc_locks_exit();
	}
	c.problems += slab_check(out);
	c.problems += vmalloc_check(out);
	c.problems += cma_check(out);
	c.problems += mm_check(out);
	kswapd_park(false);
	if (out && c.problems > 50)
		fprintf(out, "mmk_check: ... %ld problems in all\n", c.problems);
	return c.problems;
}
