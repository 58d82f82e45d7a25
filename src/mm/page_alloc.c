// SPDX-License-Identifier: MIT
/*
 * The buddy page allocator.
 *
 * 1. What it manages. Every frame of RAM that memblock did not keep is, at
 *    any moment, in exactly one of three places: in a free block on a zone's
 *    buddy free lists, in a free block on a per-CPU list (pcp), or in an
 *    allocated block owned by a caller. A block is 2^order frames, aligned to
 *    its size, 0 <= order <= MAX_PAGE_ORDER (10: 4 MiB).
 *
 * 2. The buddy system. Allocating order n takes the smallest free block of
 *    order >= n and splits it, putting the unused halves back on the lists of
 *    their orders (expand()). Freeing a block looks at its buddy (the other
 *    half of the block one order up: pfn ^ (1 << order)); while the buddy is
 *    free and of the same order, the two merge (__free_one_page()). So free
 *    memory always sits in the largest blocks its layout allows, and no two
 *    free buddies of the same order coexist: the checker verifies it.
 *    What buddies cannot do is move allocated pages: one allocated 4 KiB
 *    frame in every 8 KiB pair leaves half of memory free and no order-1
 *    block at all. That is the fragmentation the seed text speaks of.
 *
 * 3. Anti-fragmentation. Memory is cut into pageblocks (order 9, 2 MiB),
 *    each with a migrate type: Unmovable (kernel memory), Movable (user
 *    pages, which reclaim or migration can move), Reclaimable (caches a
 *    shrinker can free), HighAtomic (a reserve for high-order atomic
 *    allocations). Free lists are kept per type, and an allocation takes
 *    from its own type first; only when that is empty does it fall back to
 *    another type (__rmqueue_fallback()), stealing the largest free block
 *    there and, when it is big enough or the pageblock mostly free or alike,
 *    the whole pageblock. Unmovable allocations thus cluster in few
 *    pageblocks instead of pinning every 2 MiB of RAM. Invariant: a free
 *    block on free_list[mt] lies in pageblocks whose type is mt.
 *
 * 4. Zones and watermarks. ZONE_DMA (the first dma_zone= bytes) and
 *    ZONE_NORMAL. A request may use the zones at or below gfp_zone(gfp),
 *    highest first; lowmem_reserve keeps Normal allocations out of the last
 *    pages of DMA. Each zone has watermarks min < low < high derived from
 *    min_free_kbytes as Linux derives them. The fast path needs free pages
 *    above low; the slow path above min; __GFP_HIGH (GFP_ATOMIC) may go to
 *    min/2, or 3/8 of min when it also cannot sleep; __GFP_MEMALLOC ignores
 *    watermarks. GFP_NOWAIT cannot sleep but gets no reserves.
 *
 * 5. Per-CPU lists. Orders 0..3 are served from a list per (CPU, zone,
 *    order, migrate type), refilled with `batch` blocks under one zone lock
 *    hold and drained by `batch` when more than `high` pages pile up, so the
 *    zone lock is taken once per batch instead of once per page. Pages on a
 *    pcp list are not counted in NR_FREE_PAGES, as in Linux; a failing
 *    sleeping allocation drains every CPU's lists before it gives up.
 *
 * 6. Page states (see mm_types.h): PGS_BUDDY and PGS_PCP mark free block
 *    heads, PGS_ALLOC an allocated head with its order. A free is checked
 *    against them first, so a double free, a free with the wrong order, a
 *    free of a tail page or of a page memblock kept is reported ("BUG: Bad
 *    page state") and refused, and corrupts nothing.
 *
 * 7. Per-CPU list locking: see cpu_lock.h. The CPU that owns the lists
 *    enters them with plain stores; drains from elsewhere take the lock.
 *
 * 8. Lock order: pcp->cl (cpu_lock), then zone->lock. Neither is held across a call
 *    out of this file except to printk.
 */
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "vmalloc.h"
#include "cma.h"
#include "swap.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "Normal" };

bool pcp_disabled;
_Atomic uint8_t *pageblock_types;

/* Alloc flags: the watermark to check and which reserves may be used. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04	/* __GFP_MEMALLOC: no limit at all */
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10	/* cannot sleep: min -= min/4 more */
#define ALLOC_MIN_RESERVE	0x20	/* __GFP_HIGH: min -= min/2 */
#define ALLOC_HIGHATOMIC	0x200	/* may use and create the reserve */
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

_Static_assert(ALLOC_MIN_RESERVE == __GFP_HIGH, "gfp_to_alloc_flags relies on it");

/* What an allocation is allowed, worked out once per call. */
struct alloc_context {
	int highest_zoneidx;
	int migratetype;
};

/* Where each migrate type looks when its own free lists are empty. */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

static inline int gfp_migratetype(gfp_t gfp)
{
	/* __GFP_MOVABLE (0x08) >> 3 == 1, __GFP_RECLAIMABLE (0x10) >> 3 == 2. */
	return (int)((gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE)) >> 3) %
	       MIGRATE_PCPTYPES;
}

/* As Linux built without ZONE_DMA, a machine booted dma_zone=0 serves
 * __GFP_DMA from Normal. */
static inline int gfp_zone(gfp_t gfp)
{
	if (unlikely(gfp & __GFP_DMA) &&
	    node_data0->node_zones[ZONE_DMA].present_pages)
		return ZONE_DMA;
	return ZONE_NORMAL;
}

static inline bool pcp_allowed_order(unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER;
}

/* ---- Pageblocks and free-page accounting (zone->lock held) ------------ */

void set_pageblock_migratetype(struct zone *zone, unsigned long pfn, int mt)
{
	unsigned long idx = pfn >> pageblock_order;
	int old = atomic_load_explicit(&pageblock_types[idx], memory_order_relaxed);

	if (old == mt)
		return;
	if (old == MIGRATE_HIGHATOMIC)
		zone->nr_reserved_highatomic -= pageblock_nr_pages;
	if (mt == MIGRATE_HIGHATOMIC)
		zone->nr_reserved_highatomic += pageblock_nr_pages;
	atomic_store_explicit(&pageblock_types[idx], (uint8_t)mt,
			      memory_order_relaxed);
}

static void change_pageblock_range(struct zone *zone, unsigned long pfn,
				   unsigned int order, int mt)
{
	unsigned long end = pfn + (1UL << order);

	for (pfn &= ~(pageblock_nr_pages - 1); pfn < end; pfn += pageblock_nr_pages)
		set_pageblock_migratetype(zone, pfn, mt);
}

static inline void zone_stat_add_locked(struct zone *zone,
					enum zone_stat_item item, long nr)
{
	atomic_long *v = &zone->vm_stat[item];

	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + nr,
			      memory_order_relaxed);
}

static inline void account_freepages(struct zone *zone, long nr, int mt)
{
	if (mt == MIGRATE_ISOLATE)
		return;
	zone_stat_add_locked(zone, NR_FREE_PAGES, nr);
	if (mt == MIGRATE_CMA)
		zone_stat_add_locked(zone, NR_FREE_CMA_PAGES, nr);
}

static inline void set_buddy_order(struct page *page, unsigned int order)
{
	page->pg_order = (uint8_t)order;
	page->pg_state = PGS_BUDDY;
}

static inline void __add_to_free_list(struct page *page, struct zone *zone,
				      unsigned int order, int mt, bool tail)
{
	struct free_area *area = &zone->free_area[order];

	if (tail)
		list_add_tail(&page->lru, &area->free_list[mt]);
	else
		list_add(&page->lru, &area->free_list[mt]);
	area->nr_free++;
	if (order >= pageblock_order && mt != MIGRATE_ISOLATE)
		zone_stat_add_locked(zone, NR_FREE_PAGES_BLOCKS, 1L << order);
}

static inline void del_page_from_free_list(struct page *page, struct zone *zone,
					   unsigned int order, int mt)
{
	list_del(&page->lru);
	page->pg_state = PGS_TAIL;
	zone->free_area[order].nr_free--;
	if (order >= pageblock_order && mt != MIGRATE_ISOLATE)
		zone_stat_add_locked(zone, NR_FREE_PAGES_BLOCKS, -(1L << order));
	account_freepages(zone, -(1L << order), mt);
}

static inline struct page *get_page_from_free_area(struct free_area *area, int mt)
{
	if (list_empty(&area->free_list[mt]))
		return NULL;
	return list_first_entry(&area->free_list[mt], struct page, lru);
}

unsigned long zone_free_blocks(struct zone *zone, unsigned int order, int mt)
{
	unsigned long n = 0;
	struct list_head *pos;

	list_for_each(pos, &zone->free_area[order].free_list[mt])
		n++;
	return n;
}

/* ---- Freeing: merge with buddies -------------------------------------- */

static inline bool page_is_buddy(struct zone *zone, unsigned long buddy_pfn,
				 unsigned int order)
{
	struct page *buddy;

	if (!zone_spans_pfn(zone, buddy_pfn))
		return false;
	buddy = page_of(buddy_pfn);
	return buddy->pg_state == PGS_BUDDY && buddy->pg_order == order;
}

/*
 * Will the block at @pfn of @order likely merge further soon? If the buddy
 * of the block one order up is free, keeping this one free a little longer
 * (at the list's tail) gives it the chance.
 */
static bool buddy_merge_likely(struct zone *zone, unsigned long pfn,
			       unsigned int order)
{
	unsigned long higher;

	if (order >= MAX_PAGE_ORDER - 1)
		return false;
	higher = pfn & ~(1UL << order);
	return page_is_buddy(zone, higher ^ (1UL << (order + 1)), order + 1);
}

static void __free_one_page(struct page *page, unsigned long pfn,
			    struct zone *zone, unsigned int order, int mt)
{
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		int buddy_mt = mt;

		if (!page_is_buddy(zone, buddy_pfn, order))
			break;
		if (order >= pageblock_order) {
			/* Blocks in reserves (HighAtomic, CMA, Isolate) keep
			 * to themselves; the ordinary types merge, and the
			 * buddy's pageblocks take this block's type. */
			buddy_mt = get_pageblock_migratetype(buddy_pfn);
			if (buddy_mt != mt && (!migratetype_is_mergeable(mt) ||
					       !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		del_page_from_free_list(page_of(buddy_pfn), zone, order, buddy_mt);
		if (buddy_mt != mt)
			change_pageblock_range(zone, buddy_pfn, order, mt);
		pfn &= buddy_pfn;
		order++;
	}
	page = page_of(pfn);
	set_buddy_order(page, order);
	__add_to_free_list(page, zone, order, mt, buddy_merge_likely(zone, pfn, order));
	account_freepages(zone, 1L << order, mt);
}

static void free_one_page(struct zone *zone, struct page *page,
			  unsigned long pfn, unsigned int order)
{
	zone_lock(zone);
	__free_one_page(page, pfn, zone, order, get_pageblock_migratetype(pfn));
	zone->free_pages_locked += 1UL << order;
	zone_unlock(zone);
}

/* Boot: hand a block memblock did not keep to the buddy allocator. */
void __free_pages_core(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	unsigned long pfn = pfn_of(page);

	atomic_fetch_add_explicit(&zone->managed_pages, 1L << order,
				  memory_order_relaxed);
	zone_lock(zone);
	__free_one_page(page, pfn, zone, order, get_pageblock_migratetype(pfn));
	zone_unlock(zone);
}

/* ---- Allocation from the buddy lists (zone->lock held) ---------------- */

/*
 * Split a block of order @high down to order @low, returning the upper
 * halves to the free lists: the low 2^low pages stay with the caller.
 */
static void expand(struct zone *zone, struct page *page, unsigned int low,
		   unsigned int high, int mt)
{
	unsigned long size = 1UL << high;
	long nr_added = 0;

	while (high > low) {
		high--;
		size >>= 1;
		__add_to_free_list(&page[size], zone, high, mt, false);
		set_buddy_order(&page[size], high);
		nr_added += (long)size;
	}
	account_freepages(zone, nr_added, mt);
}

static void page_del_and_expand(struct zone *zone, struct page *page,
				unsigned int low, unsigned int high, int mt)
{
	del_page_from_free_list(page, zone, high, mt);
	expand(zone, page, low, high, mt);
}

static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order,
				       int mt)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct page *page = get_page_from_free_area(&zone->free_area[o], mt);

		if (!page)
			continue;
		page_del_and_expand(zone, page, order, o, mt);
		return page;
	}
	return NULL;
}

/* Steal the whole pageblock when the fallback block is big enough, or when
 * the allocation is of a kind that should not be mixed in (unmovable or
 * reclaimable): scattering those is what fragments memory for good. */
static bool can_steal_fallback(unsigned int order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

static int find_suitable_fallback(struct free_area *area, unsigned int order,
				  int mt, bool *can_steal)
{
	*can_steal = false;
	if (!area->nr_free)
		return -1;
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[mt][i];

		if (list_empty(&area->free_list[fmt]))
			continue;
		*can_steal = can_steal_fallback(order, mt);
		return fmt;
	}
	return -1;
}

/*
 * The first and last pfn of @pfn's pageblock, if the whole pageblock lies in
 * @zone (a zone may begin or end inside one).
 */
static bool pageblock_in_zone(struct zone *zone, unsigned long pfn,
			      unsigned long *start, unsigned long *end)
{
	*start = pfn & ~(pageblock_nr_pages - 1);
	*end = *start + pageblock_nr_pages;
	return zone_spans_pfn(zone, *start) && zone_spans_pfn(zone, *end - 1);
}

/* Count a pageblock's free pages and its allocated movable pages. */
static void pageblock_census(unsigned long start, unsigned long end,
			     unsigned long *free, unsigned long *movable)
{
	*free = *movable = 0;
	for (unsigned long pfn = start; pfn < end;) {
		struct page *page = page_of(pfn);

		if (page->pg_state == PGS_BUDDY) {
			*free += 1UL << page->pg_order;
			pfn += 1UL << page->pg_order;
		} else if (page->pg_state == PGS_ALLOC) {
			if (page->pg_alloc_mt == MIGRATE_MOVABLE)
				*movable += 1UL << page->pg_order;
			pfn += 1UL << page->pg_order;
		} else {
			pfn++;
		}
	}
}

/* Move every free block of a pageblock to @new_mt's lists and retype it. */
static unsigned long move_freepages_block(struct zone *zone, unsigned long start,
					  unsigned long end, int old_mt, int new_mt)
{
	unsigned long moved = 0;

	for (unsigned long pfn = start; pfn < end;) {
		struct page *page = page_of(pfn);

		if (page->pg_state != PGS_BUDDY) {
			pfn++;
			continue;
		}
		list_move_tail(&page->lru,
			       &zone->free_area[page->pg_order].free_list[new_mt]);
		if (page->pg_order >= pageblock_order &&
		    (old_mt == MIGRATE_ISOLATE) != (new_mt == MIGRATE_ISOLATE))
			zone_stat_add_locked(zone, NR_FREE_PAGES_BLOCKS,
					     new_mt == MIGRATE_ISOLATE ?
					     -(1L << page->pg_order) : 1L << page->pg_order);
		account_freepages(zone, -(1L << page->pg_order), old_mt);
		account_freepages(zone, 1L << page->pg_order, new_mt);
		moved += 1UL << page->pg_order;
		pfn += 1UL << page->pg_order;
	}
	set_pageblock_migratetype(zone, start, new_mt);
	return moved;
}

static struct page *steal_suitable_fallback(struct zone *zone, struct page *page,
					    unsigned int current_order,
					    unsigned int order, int start_mt,
					    bool whole_block)
{
	unsigned long pfn = pfn_of(page), start, end, free, movable, alike;
	int block_mt = get_pageblock_migratetype(pfn);

	if (current_order >= pageblock_order) {
		/* The block is pageblocks of its own: take them all. */
		del_page_from_free_list(page, zone, current_order, block_mt);
		change_pageblock_range(zone, pfn, current_order, start_mt);
		expand(zone, page, order, current_order, start_mt);
		return page;
	}
	if (!whole_block || !pageblock_in_zone(zone, pfn, &start, &end))
		goto single_page;

	pageblock_census(start, end, &free, &movable);
	if (start_mt == MIGRATE_MOVABLE)
		alike = movable;
	else if (block_mt == MIGRATE_MOVABLE)
		alike = pageblock_nr_pages - (free + movable);
	else
		alike = 0;
	if (free + alike >= pageblock_nr_pages / 2) {
		move_freepages_block(zone, start, end, block_mt, start_mt);
		return __rmqueue_smallest(zone, order, start_mt);
	}
single_page:
	page_del_and_expand(zone, page, order, current_order, block_mt);
	return page;
}

/*
 * Our own type is empty: take from another. Largest block first, which
 * roughly finds the pageblock with the most free pages to take over; but a
 * movable allocation that may not take the whole pageblock takes the
 * smallest block instead, so as not to break up a large unmovable one.
 */
static struct page *__rmqueue_fallback(struct zone *zone, unsigned int order,
				       int start_mt)
{
	int current_order, fmt = -1;
	bool can_steal;
	struct page *page;

	for (current_order = MAX_PAGE_ORDER; current_order >= (int)order; current_order--) {
		fmt = find_suitable_fallback(&zone->free_area[current_order],
					     (unsigned int)current_order, start_mt,
					     &can_steal);
		if (fmt == -1)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE &&
		    current_order > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return NULL;

find_smallest:
	for (current_order = (int)order; current_order < NR_PAGE_ORDERS; current_order++) {
		fmt = find_suitable_fallback(&zone->free_area[current_order],
					     (unsigned int)current_order, start_mt,
					     &can_steal);
		if (fmt != -1)
			break;
	}
do_steal:
	page = get_page_from_free_area(&zone->free_area[current_order], fmt);
	return steal_suitable_fallback(zone, page, (unsigned int)current_order,
				       order, start_mt, can_steal);
}

static struct page *__rmqueue(struct zone *zone, unsigned int order, int mt)
{
	struct page *page = __rmqueue_smallest(zone, order, mt);

	if (unlikely(!page))
		page = __rmqueue_fallback(zone, order, mt);
	return page;
}

/* Take up to @count blocks of @order for a per-CPU list. */
static int rmqueue_bulk(struct zone *zone, unsigned int order, int count,
			struct list_head *list, int mt)
{
	int i;

	zone_lock(zone);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, mt);

		if (unlikely(!page))
			break;
		page->pg_state = PGS_PCP;
		page->pg_order = (uint8_t)order;
		list_add_tail(&page->lru, list);
	}
	zone_unlock(zone);
	return i;
}

/* ---- Per-CPU lists ---------------------------------------------------- */

static inline struct per_cpu_pages *pcp_lock(struct zone *zone, bool *owner)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[arch_smp_processor_id()];

	alloc_locks_enter();
	*owner = cpu_lock(&pcp->cl);
	return pcp;
}

static inline void pcp_unlock(struct per_cpu_pages *pcp, bool owner)
{
	cpu_unlock(&pcp->cl, owner);
	alloc_locks_exit();
}

/* Give @count pages from @pcp back to the buddy lists, oldest first,
 * taking from each list in turn. pcp->cl held. */
static void free_pcppages_bulk(struct zone *zone, int count,
			       struct per_cpu_pages *pcp)
{
	unsigned int pindex = 0;

	if (count > pcp->count)
		count = pcp->count;
	zone_lock(zone);
	while (count > 0) {
		struct list_head *list;
		unsigned int tries = 0;

		do {
			pindex = (pindex + 1) % NR_PCP_LISTS;
			list = &pcp->lists[pindex];
		} while (list_empty(list) && ++tries < NR_PCP_LISTS);
		if (list_empty(list))
			break;

		do {
			struct page *page = list_last_entry(list, struct page, lru);
			unsigned int order = page->pg_order;
			unsigned long pfn = pfn_of(page);

			list_del(&page->lru);
			page->pg_state = PGS_TAIL;
			count -= 1 << order;
			pcp->count -= 1 << order;
			__free_one_page(page, pfn, zone, order,
					get_pageblock_migratetype(pfn));
		} while (count > 0 && !list_empty(list));
	}
	zone_unlock(zone);
}

static struct page *rmqueue_pcplist(struct zone *zone, unsigned int order, int mt)
{
	struct per_cpu_pages *pcp;
	struct list_head *list;
	struct page *page;
	bool owner;

	pcp = pcp_lock(zone, &owner);
	list = &pcp->lists[order_to_pindex(mt, order)];
	if (unlikely(list_empty(list))) {
		int batch = pcp->batch >> order;

		if (batch < 2)
			batch = 2;
		pcp->count += rmqueue_bulk(zone, order, batch, list, mt) << order;
		if (unlikely(list_empty(list))) {
			pcp_unlock(pcp, owner);
			return NULL;
		}
	}
	page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	pcp->count -= 1 << order;
	pcp->alloc_pages += 1UL << order;
	pcp_unlock(pcp, owner);
	return page;
}

static void free_unref_page(struct page *page, unsigned long pfn,
			    unsigned int order)
{
	struct zone *zone = page_zone(page);
	int mt = get_pageblock_migratetype(pfn);
	struct per_cpu_pages *pcp;
	bool owner;

	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (mt == MIGRATE_ISOLATE) {
			free_one_page(zone, page, pfn, order);
			return;
		}
		mt = MIGRATE_MOVABLE;	/* drained back to its reserve later */
	}
	pcp = pcp_lock(zone, &owner);
	page->pg_state = PGS_PCP;
	page->pg_order = (uint8_t)order;
	list_add(&page->lru, &pcp->lists[order_to_pindex(mt, order)]);
	pcp->count += 1 << order;
	pcp->free_pages += 1UL << order;
	if (unlikely(pcp->count >= pcp->high))
		free_pcppages_bulk(zone, pcp->count - pcp->high + pcp->batch, pcp);
	pcp_unlock(pcp, owner);
}

static void drain_zone_pages_cpu(struct zone *zone, int cpu)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

	alloc_locks_enter();
	cpu_lock_remote(&pcp->cl);
	if (pcp->count)
		free_pcppages_bulk(zone, pcp->count, pcp);
	cpu_unlock_remote(&pcp->cl);
	alloc_locks_exit();
}

void mmk_drain_all_pages(struct zone *only)
{
	struct zone *zone;

	if (not_booted())
		return;
	for_each_populated_zone(zone) {
		if (only && only != zone)
			continue;
		/* As Linux, only CPUs that hold pages are asked (racy read:
		 * a page that arrives meanwhile was not ours to drain). */
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			if (__atomic_load_n(&zone->per_cpu_pageset[cpu].count,
					    __ATOMIC_RELAXED))
				drain_zone_pages_cpu(zone, cpu);
	}
}

static int zone_batchsize(struct zone *zone)
{
	unsigned long batch = zone_managed_pages(zone) >> 10;
	unsigned long p = 1;

	if (batch > (1UL << 20) / PAGE_SIZE)
		batch = (1UL << 20) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	while (p * 2 <= batch + batch / 2)	/* rounddown_pow_of_two */
		p *= 2;
	return (int)p > 1 ? (int)p - 1 : 1;
}

static int zone_highsize(struct zone *zone, int batch)
{
	unsigned long high = low_wmark_pages(zone) /
			     (unsigned long)arch_num_online_cpus();

	if (high < (unsigned long)batch << 2)
		high = (unsigned long)batch << 2;
	return (int)high;
}

void zone_pcp_init(struct zone *zone)
{
	int batch = zone_batchsize(zone);
	int high = zone_highsize(zone, batch);

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		pcp->batch = batch;
		pcp->high = high;
		for (int i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&pcp->lists[i]);
	}
}

/* ---- Watermarks ------------------------------------------------------- */

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

long min_free_kbytes;
unsigned long totalreserve_pages;
static const int lowmem_reserve_ratio[MAX_NR_ZONES] = { 256, 32 };

static void setup_per_zone_lowmem_reserve(void)
{
	for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
		struct zone *zone = &node_data0->node_zones[i];
		bool clear = !lowmem_reserve_ratio[i] || !zone_managed_pages(zone);
		unsigned long upper = 0;

		for (int j = i + 1; j < MAX_NR_ZONES; j++) {
			upper += zone_managed_pages(&node_data0->node_zones[j]);
			zone->lowmem_reserve[j] =
				clear ? 0 : (long)(upper / (unsigned long)lowmem_reserve_ratio[i]);
		}
	}
}

static void calculate_totalreserve_pages(void)
{
	struct zone *zone;

	totalreserve_pages = 0;
	for_each_zone(zone) {
		unsigned long max = 0;

		for (int j = zone->idx; j < MAX_NR_ZONES; j++)
			if ((unsigned long)zone->lowmem_reserve[j] > max)
				max = (unsigned long)zone->lowmem_reserve[j];
		max += high_wmark_pages(zone);
		if (max > zone_managed_pages(zone))
			max = zone_managed_pages(zone);
		totalreserve_pages += max;
	}
}

void setup_per_zone_wmarks(void)
{
	unsigned long pages_min = (unsigned long)min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *zone;

	for_each_zone(zone)
		lowmem_pages += zone_managed_pages(zone);
	for_each_zone(zone) {
		unsigned long managed = zone_managed_pages(zone);
		unsigned long tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		unsigned long scale = managed * 10 / 10000;	/* watermark_scale_factor */

		zone_lock(zone);
		zone->_watermark[WMARK_MIN] = tmp;
		tmp = (tmp >> 2) > scale ? (tmp >> 2) : scale;
		zone->watermark_boost = 0;
		zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + tmp;
		zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + tmp;
		zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + tmp;
		zone_unlock(zone);
	}
	calculate_totalreserve_pages();
}

/* Linux's default: min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped. */
void init_per_zone_wmark_min(void)
{
	if (boot_params.min_free_kbytes >= 0) {
		min_free_kbytes = boot_params.min_free_kbytes;
	} else {
		struct zone *zone;
		unsigned long lowmem_kbytes = 0;

		for_each_zone(zone)
			lowmem_kbytes += zone_managed_pages(zone) * (PAGE_SIZE >> 10);
		min_free_kbytes = (long)int_sqrt(lowmem_kbytes * 16);
		if (min_free_kbytes < 128)
			min_free_kbytes = 128;
		if (min_free_kbytes > 262144)
			min_free_kbytes = 262144;
	}
	setup_per_zone_lowmem_reserve();
	setup_per_zone_wmarks();
}

/*
 * Is there enough free memory in @z for an order-@order allocation that must
 * leave @mark pages (less what @alloc_flags' reserves allow) free?
 */
static bool __zone_watermark_ok(struct zone *z, unsigned int order,
				unsigned long mark, int highest_zoneidx,
				unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;

	free_pages -= (1L << order) - 1;
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	} else {
		free_pages -= (long)z->nr_reserved_highatomic;
	}
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct free_area *area = &z->free_area[o];

		if (!area->nr_free)
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!list_empty(&area->free_list[mt]))
				return true;
		if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
		    !list_empty(&area->free_list[MIGRATE_HIGHATOMIC]))
			return true;
	}
	return false;
}

static inline bool zone_watermark_fast(struct zone *z, unsigned int order,
				       unsigned long mark, int highest_zoneidx,
				       unsigned int alloc_flags)
{
	long free_pages = atomic_load_explicit(&z->vm_stat[NR_FREE_PAGES],
					       memory_order_relaxed);

	/* Order 0 without reserves: one comparison, no list walk. */
	if (!order && !(alloc_flags & ALLOC_RESERVES)) {
		long usable = free_pages - (long)z->nr_reserved_highatomic;

		if (usable > (long)mark + z->lowmem_reserve[highest_zoneidx])
			return true;
	}
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   free_pages);
}

/* ---- The highatomic reserve ------------------------------------------- */

/* A high-order atomic allocation succeeded: keep its pageblock for more. */
static void reserve_highatomic_pageblock(struct page *page, struct zone *zone)
{
	unsigned long max = zone_managed_pages(zone) / 100;
	unsigned long pfn = pfn_of(page), start, end;
	int mt;

	max = (max + pageblock_nr_pages - 1) & ~(pageblock_nr_pages - 1);
	if (zone->nr_reserved_highatomic >= max)
		return;
	zone_lock(zone);
	mt = get_pageblock_migratetype(pfn);
	if (zone->nr_reserved_highatomic < max && migratetype_is_mergeable(mt) &&
	    pageblock_in_zone(zone, pfn, &start, &end))
		move_freepages_block(zone, start, end, mt, MIGRATE_HIGHATOMIC);
	zone_unlock(zone);
}

/* Memory is short: give reserved pageblocks back to ordinary use. */
static bool unreserve_highatomic_pageblock(const struct alloc_context *ac)
{
	for (int z = ac->highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &node_data0->node_zones[z];

		if (!zone->nr_reserved_highatomic)
			continue;
		zone_lock(zone);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			struct page *page = get_page_from_free_area(
				&zone->free_area[o], MIGRATE_HIGHATOMIC);
			unsigned long pfn, start, end;

			if (!page)
				continue;
			pfn = pfn_of(page);
			if (o >= pageblock_order) {
				del_page_from_free_list(page, zone, o, MIGRATE_HIGHATOMIC);
				change_pageblock_range(zone, pfn, o, ac->migratetype);
				__free_one_page(page, pfn, zone, o, ac->migratetype);
			} else if (pageblock_in_zone(zone, pfn, &start, &end)) {
				move_freepages_block(zone, start, end,
						     MIGRATE_HIGHATOMIC, ac->migratetype);
			} else {
				continue;
			}
			zone_unlock(zone);
			return true;
		}
		zone_unlock(zone);
	}
	return false;
}

/* ---- Allocation ------------------------------------------------------- */

static struct page *rmqueue_buddy(struct zone *zone, unsigned int order,
				  unsigned int alloc_flags, int mt)
{
	struct page *page = NULL;

	zone_lock(zone);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	if (!page) {
		page = __rmqueue(zone, order, mt);
		/* Failing an order-0 atomic or OOM allocation now is worse
		 * than failing a high-order atomic one later. */
		if (!page && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
			page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	}
	if (page)
		zone->alloc_pages_locked += 1UL << order;
	zone_unlock(zone);
	return page;
}

static void prep_compound_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	SetPageFlag(page, PG_head);
	for (unsigned long i = 1; i < nr; i++) {
		page[i].compound_head = (unsigned long)page | 1;
		SetPageFlag(&page[i], PG_tail);
	}
}

/*
 * RAM that no one has used since boot reads as zeros: it is a fresh memfd,
 * whose pages the host has not even allocated yet. frames_used has a bit
 * per frame, set the first time the frame is allocated; a __GFP_ZERO
 * allocation clears only the frames whose bit was set. Clearing a never
 * used frame would make the host allocate it and fault it into the direct
 * map (~1.5 us) only to write the zeros it already holds; user memory then
 * pays that first-touch cost once, when the frame is first mapped.
 * Nothing writes to a free frame (no page poisoning), so the rule holds.
 * After the first round, the bit test is one load; the atomic OR happens
 * once per 64 frames at most.
 *
 * A frame first used as user memory is mapped by the host only at its
 * user address, not in the direct map; the first time it is cleared
 * afterwards, each page would take a host fault in the direct map. So
 * frames_mapped has a bit per frame set once the direct map has it, and
 * a run to clear that lacks it is filled in with one host call first.
 */
_Atomic unsigned long *frames_used, *frames_mapped;

/* Set the bits of [@pfn, @pfn + @nr) in @map; were they all set already? */
static bool test_and_set_bits(_Atomic unsigned long *map, unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr;
	bool all = true;

	while (pfn < end) {
		_Atomic unsigned long *w = &map[pfn / 64];
		unsigned long bit = pfn % 64, n = 64 - bit, mask;

		if (n > end - pfn)
			n = end - pfn;
		mask = (n == 64 ? ~0UL : ((1UL << n) - 1)) << bit;
		if ((atomic_load_explicit(w, memory_order_relaxed) & mask) != mask) {
			atomic_fetch_or_explicit(w, mask, memory_order_relaxed);
			all = false;
		}
		pfn += n;
	}
	return all;
}

static void clear_frames(unsigned long pfn, unsigned long nr)
{
	if (!test_and_set_bits(frames_mapped, pfn, nr) && nr > 1)
		arch_ram_prefault((uint64_t)pfn << PAGE_SHIFT, nr << PAGE_SHIFT);
	memset(pfn_to_virt(pfn), 0, nr << PAGE_SHIFT);
}

static void prep_frames(unsigned long pfn, unsigned long nr, bool zero)
{
	unsigned long end = pfn + nr, run = 0, run_start = 0;

	for (unsigned long p = pfn; p < end;) {
		_Atomic unsigned long *w = &frames_used[p / 64];
		unsigned long bit = p % 64, n = 64 - bit;
		unsigned long mask, old;

		if (n > end - p)
			n = end - p;
		mask = (n == 64 ? ~0UL : ((1UL << n) - 1)) << bit;
		old = atomic_load_explicit(w, memory_order_relaxed);
		if ((old & mask) != mask)
			old = atomic_fetch_or_explicit(w, mask, memory_order_relaxed);
		if (zero) {
			/* Clear the runs of frames used before. */
			for (unsigned long i = 0; i < n; i++) {
				bool used = old & (1UL << (bit + i));

				if (used && !run++)
					run_start = p + i;
				if (!used && run) {
					clear_frames(run_start, run);
					run = 0;
				}
			}
		}
		p += n;
	}
	if (run)
		clear_frames(run_start, run);
}

static void prep_new_page(struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	page->pg_state = PGS_ALLOC;
	page->pg_order = (uint8_t)order;
	page->pg_alloc_mt = (uint8_t)mt;
	page->flags = 0;
	page->private = 0;
	atomic_store_explicit(&page->_refcount, 1, memory_order_relaxed);
	prep_frames(pfn_of(page), 1UL << order, gfp & __GFP_ZERO);
	if (order && (gfp & __GFP_COMP))
		prep_compound_page(page, order);
}

static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
					   unsigned int alloc_flags,
					   const struct alloc_context *ac)
{
	for (int z = ac->highest_zoneidx; z >= 0; z--) {
		struct zone *zone = &node_data0->node_zones[z];
		struct page *page;

		if (!zone_managed_pages(zone))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);

			if (!zone_watermark_fast(zone, order, mark,
						 ac->highest_zoneidx, alloc_flags))
				continue;
		}
		page = NULL;
		if (likely(pcp_allowed_order(order)) && !pcp_disabled)
			page = rmqueue_pcplist(zone, order, ac->migratetype);
		if (!page)
			page = rmqueue_buddy(zone, order, alloc_flags, ac->migratetype);
		if (!page)
			continue;
		prep_new_page(page, order, gfp, ac->migratetype);
		if (unlikely(alloc_flags & ALLOC_HIGHATOMIC) && order)
			reserve_highatomic_pageblock(page, zone);
		return page;
	}
	return NULL;
}

static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int alloc_flags = ALLOC_WMARK_MIN;

	alloc_flags |= gfp & __GFP_HIGH;		/* ALLOC_MIN_RESERVE */
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC)) {
		alloc_flags |= ALLOC_NON_BLOCK;
		if (order > 0)
			alloc_flags |= ALLOC_HIGHATOMIC;
	}
	return alloc_flags;
}

/* Allocation-failure reports are rate limited, as Linux's. */
static struct ratelimit_state warn_alloc_rs;

void warn_alloc(gfp_t gfp, const char *fmt, ...)
{
	char msg[256], flags[256];
	va_list ap;

	if ((gfp & __GFP_NOWARN) || !__ratelimit(&warn_alloc_rs))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s: %s, mode:%#x(%s), nodemask=(null),cpuset=/,mems_allowed=0\n",
		arch_current_comm(), msg, gfp, format_gfp(gfp, flags, sizeof(flags)));
	pr_warn("CPU: %d PID: %d Comm: %s\n", arch_smp_processor_id(),
		arch_current_pid(), arch_current_comm());
	show_free_areas();
}

static struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order,
					   struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	uint64_t stall_start = 0, next_stall_warn = 0;
	unsigned int no_progress_loops = 0, loops = 0;
	bool drained = false;
	struct page *page;

	/* Below the low watermark: kswapd starts on it in the background. */
	if (gfp & __GFP_KSWAPD_RECLAIM)
		wakeup_kswapd();
retry:
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;

	/* __GFP_MEMALLOC: the caller frees memory soon; let it have all. */
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC)) {
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
		if (page)
			return page;
	}
	if (!can_direct_reclaim)
		goto nopage;

	count_vm_event((enum vm_event_item)(ALLOCSTALL_DMA +
		(ac->highest_zoneidx == ZONE_DMA ? 0 : ALLOCSTALL_NORMAL - ALLOCSTALL_DMA)));
	/*
	 * What can be had without reclaiming pages: the highatomic reserve,
	 * vmalloc's lazily freed areas, every CPU's per-CPU lists.
	 */
	if (!drained) {
		unreserve_highatomic_pageblock(ac);
		vmalloc_reclaim();
		mmk_drain_all_pages(NULL);
		drained = true;
		goto retry;
	}
	/* Direct reclaim: user pages to swap (vmscan.c). */
	if (swap_enabled()) {
		unsigned long progress = try_to_free_pages(gfp, order);

		page = get_page_from_freelist(gfp, order, alloc_flags, ac);
		if (page)
			return page;
		if (gfp & __GFP_NORETRY)
			goto nopage;
		if (costly && !(gfp & __GFP_RETRY_MAYFAIL))
			goto nopage;
		/*
		 * Linux's should_reclaim_retry(): go on while reclaim makes
		 * progress, give up after MAX_RECLAIM_RETRIES rounds without.
		 * Progress is frames freed, by us or by anyone. A bound on
		 * all rounds stands in for Linux's check that the watermark
		 * could be met at all (order > 0 may never be).
		 */
		if (progress)
			no_progress_loops = 0;
		else
			no_progress_loops++;
		if (no_progress_loops <= MAX_RECLAIM_RETRIES && ++loops < 64 * MAX_RECLAIM_RETRIES) {
			if (!progress)
				reclaim_throttle(1000);
			goto retry;
		}
	} else {
		if (gfp & __GFP_NORETRY)
			goto nopage;
		if (costly && !(gfp & __GFP_RETRY_MAYFAIL))
			goto nopage;
	}
	/*
	 * Reclaim cannot help. Linux would now run the OOM killer; mmkit's
	 * only process is its victim, and only a page fault kills it (the
	 * fault path calls out_of_memory()): an allocation the kernel makes
	 * for itself fails here and returns NULL.
	 */

nopage:
	if (gfp & __GFP_NOFAIL) {
		uint64_t now = arch_now_ns();

		WARN_ON_ONCE(!can_direct_reclaim);
		/*
		 * Linux gives a non-failing allocation all reserves when the
		 * OOM killer cannot help, as here.
		 */
		page = get_page_from_freelist(gfp, order, ALLOC_NO_WATERMARKS, ac);
		if (page)
			return page;
		if (!stall_start) {
			stall_start = now;
			next_stall_warn = now + 10000000000ull;
		} else if (now >= next_stall_warn) {
			warn_alloc(gfp & ~__GFP_NOWARN,
				   "page allocation stalls for %llums, order:%u",
				   (unsigned long long)((now - stall_start) / 1000000),
				   order);
			next_stall_warn = now + 10000000000ull;
		}
		arch_sleep_us(1000);
		drained = false;
		no_progress_loops = loops = 0;
		goto retry;
	}
	warn_alloc(gfp, "page allocation failure: order:%u", order);
	return NULL;
}

struct page *mmk_alloc_pages(gfp_t gfp, unsigned int order)
{
	struct alloc_context ac;
	struct page *page;

	if (not_booted())
		return NULL;
	if (unlikely(order > MAX_PAGE_ORDER)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("WARNING: %s: alloc_pages: order %u is above MAX_PAGE_ORDER (%d)\n",
				arch_current_comm(), order, MAX_PAGE_ORDER);
		return NULL;
	}
	might_alloc(gfp);
	ac.highest_zoneidx = gfp_zone(gfp);
	ac.migratetype = gfp_migratetype(gfp);

	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac);
	if (likely(page))
		return page;
	return __alloc_pages_slowpath(gfp, order, &ac);
}

/* ---- Freeing ---------------------------------------------------------- */

/* Find the block that contains @pfn: its head, and whether it is free. */
static struct page *find_enclosing_block(unsigned long pfn)
{
	for (unsigned int o = 1; o < NR_PAGE_ORDERS; o++) {
		unsigned long head = pfn & ~((1UL << o) - 1);
		struct page *h = page_of(head);

		if (h->pg_state != PGS_TAIL && pfn < head + (1UL << h->pg_order))
			return h;
	}
	return NULL;
}

/*
 * Everything a free must not be: each case names what the caller got wrong.
 * Returns true (after the report) when the free must be refused.
 */
static bool free_page_is_bad(struct page *page, unsigned int order)
{
	char why[160];
	unsigned long pfn = pfn_of(page);

	switch (page->pg_state) {
	case PGS_ALLOC:
		if (unlikely(page->pg_order != order)) {
			snprintf(why, sizeof(why),
				 "freed with order %u, but allocated as order %u",
				 order, page->pg_order);
			break;
		}
		if (unlikely(page->mapping)) {
			snprintf(why, sizeof(why), "non-NULL mapping");
			break;
		}
		if (unlikely(page->flags & (1UL << PG_reserved))) {
			snprintf(why, sizeof(why), pfn_in_cma(pfn_of(page)) ?
				 "PG_reserved flag set: a cma_alloc()ed page, which goes back with cma_release()" :
				 "PG_reserved flag set");
			break;
		}
		return false;
	case PGS_BUDDY:
		snprintf(why, sizeof(why),
			 "double free: page is already free (order-%u block on the buddy free lists)",
			 page->pg_order);
		break;
	case PGS_PCP:
		snprintf(why, sizeof(why),
			 "double free: page is already free (on a per-CPU free list)");
		break;
	default: {
		struct page *head = find_enclosing_block(pfn);

		if (PageReserved(page))
			snprintf(why, sizeof(why),
				 "page is reserved (kept by memblock at boot), never allocated");
		else if (head && head->pg_state == PGS_ALLOC)
			snprintf(why, sizeof(why),
				 "not the head of an allocation: page %lu of the order-%u block at pfn %#lx",
				 pfn - pfn_of(head), head->pg_order, pfn_of(head));
		else if (head)
			snprintf(why, sizeof(why),
				 "double free: page is inside a free order-%u block at pfn %#lx",
				 head->pg_order, pfn_of(head));
		else
			snprintf(why, sizeof(why), "page is not allocated");
		break;
	}
	}
	bad_page(page, why);
	return true;
}

/* A pointer that is not a struct page of this machine at all. */
static bool page_ptr_is_bad(const struct page *page, const char *fn)
{
	uintptr_t p = (uintptr_t)page, base = (uintptr_t)mem_map;

	if (likely(p >= base && p < base + max_pfn * sizeof(struct page) &&
		   (p - base) % sizeof(struct page) == 0))
		return false;
	pr_alert("BUG: Bad page state in process %s  page:%p\n",
		 arch_current_comm(), (const void *)page);
	pr_alert("page dumped because: %s() of a pointer that is not a struct page of this machine (mem_map is %p-%p)\n",
		 fn, (void *)mem_map, (void *)(mem_map + max_pfn));
	arch_dump_stack();
	return true;
}

static void __free_frozen_pages(struct page *page, unsigned int order)
{
	unsigned long pfn = pfn_of(page);

	if (PageHead(page)) {
		for (unsigned long i = 1; i < (1UL << order); i++) {
			page[i].compound_head = 0;
			page[i].__tail_pad = 0;
			ClearPageFlag(&page[i], PG_tail);
		}
	}
	page->flags = 0;
	page->pg_state = PGS_TAIL;
	if (likely(pcp_allowed_order(order)) && !pcp_disabled)
		free_unref_page(page, pfn, order);
	else
		free_one_page(page_zone(page), page, pfn, order);
}

/* Drop a reference; the last one frees. Refuses a bad free after a report. */
static void put_page_order(struct page *page, unsigned int order)
{
	int old = atomic_fetch_sub_explicit(&page->_refcount, 1, memory_order_acq_rel);

	if (likely(old == 1)) {
		__free_frozen_pages(page, order);
		return;
	}
	if (unlikely(old <= 0)) {
		atomic_fetch_add(&page->_refcount, 1);
		bad_page(page, "double free: reference count was already zero");
	}
}

void mmk___free_pages(struct page *page, unsigned int order)
{
	if (not_booted() || !page || page_ptr_is_bad(page, "__free_pages"))
		return;
	if (unlikely(free_page_is_bad(page, order)))
		return;
	put_page_order(page, order);
}

/*
 * split_page: turn an allocated, non-compound block of @order into 2^order
 * allocated order-0 pages, each with its own reference, so that they can be
 * freed one by one (vmalloc allocates in high-order chunks and frees pages).
 */
void mmk_split_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	if (not_booted() || !page || page_ptr_is_bad(page, "split_page"))
		return;
	if (unlikely(page->pg_state != PGS_ALLOC || page->pg_order != order ||
		     PageFlag(page, PG_head) ||
		     atomic_load_explicit(&page->_refcount, memory_order_relaxed) != 1)) {
		bad_page(page, "split_page() of a page that is not one allocated, non-compound block of that order with one reference");
		return;
	}
	for (unsigned long i = 1; i < nr; i++) {
		struct page *p = page + i;

		p->pg_state = PGS_ALLOC;
		p->pg_order = 0;
		p->pg_alloc_mt = page->pg_alloc_mt;
		p->flags = 0;
		p->private = 0;
		atomic_store_explicit(&p->_refcount, 1, memory_order_relaxed);
	}
	page->pg_order = 0;
}

/*
 * The reverse of split_page() for a caller that is about to free: if the
 * 2^order pages at @page are each an allocated order-0 page with one
 * reference (the caller's), make them one block again, so that it goes
 * back with one free instead of 2^order. Returns false (nothing changed)
 * if any page is shared or not what split_page() left.
 */
bool unsplit_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	if (pfn_of(page) & (nr - 1))
		return false;
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = page + i;

		if (p->pg_state != PGS_ALLOC || p->pg_order != 0 || p->flags ||
		    atomic_load_explicit(&p->_refcount, memory_order_relaxed) != 1)
			return false;
	}
	/*
	 * Plain stores, not Linux's page_ref_freeze() compare-and-swap: in
	 * mmkit nothing takes a speculative reference (no compaction, no
	 * lockless page-cache lookups yet), so a count of 1 is the caller's
	 * alone. A CAS per page made a 1 MiB vfree ~40% slower (256 atomics,
	 * BENCHMARKS.md). Revisit when speculative get_page_unless_zero()
	 * arrives.
	 */
	for (unsigned long i = 1; i < nr; i++)
		atomic_store_explicit(&page[i]._refcount, 0, memory_order_relaxed);
	for (unsigned long i = 1; i < nr; i++)
		page[i].pg_state = PGS_TAIL;
	page->pg_order = (uint8_t)order;
	return true;
}

/*
 * Free @nr order-0 pages at consecutive pfns from @pfn, as split_page()
 * left them: each naturally aligned chunk whose pages are all still singly
 * referenced goes back as one block (at most a pageblock, which is filed
 * under one migrate type), the rest page by page.
 */
void free_frame_run(unsigned long pfn, unsigned long nr)
{
	while (nr) {
		unsigned int order = 63 - (unsigned int)__builtin_clzl(nr);

		if (order > pageblock_order)
			order = pageblock_order;
		while (order && (pfn & ((1UL << order) - 1)))
			order--;
		while (order && !unsplit_page(page_of(pfn), order))
			order--;
		__free_pages(page_of(pfn), order);
		pfn += 1UL << order;
		nr -= 1UL << order;
	}
}

void mmk_free_pages(unsigned long addr, unsigned int order)
{
	if (not_booted() || !addr)
		return;
	if (unlikely(!virt_in_direct_map((void *)addr) || (addr & (PAGE_SIZE - 1)))) {
		pr_alert("BUG: Bad page state in process %s  addr:%#lx\n",
			 arch_current_comm(), addr);
		pr_alert("page dumped because: free_pages() of an address that is not a page in the direct map\n");
		arch_dump_stack();
		return;
	}
	mmk___free_pages(virt_to_page(addr), order);
}

unsigned long mmk___get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = mmk_alloc_pages(gfp, order);

	return page ? (unsigned long)pfn_to_virt(pfn_of(page)) : 0;
}

unsigned long mmk_get_zeroed_page(gfp_t gfp)
{
	return mmk___get_free_pages(gfp | __GFP_ZERO, 0);
}

void mmk_get_page(struct page *page)
{
	if (not_booted() || page_ptr_is_bad(page, "get_page"))
		return;
	page = compound_head(page);
	if (unlikely(page->pg_state != PGS_ALLOC)) {
		bad_page(page, "get_page() of a page that is not allocated");
		return;
	}
	atomic_fetch_add_explicit(&page->_refcount, 1, memory_order_relaxed);
}

void mmk_put_page(struct page *page)
{
	if (not_booted() || page_ptr_is_bad(page, "put_page"))
		return;
	page = compound_head(page);
	if (unlikely(page->pg_state != PGS_ALLOC)) {
		free_page_is_bad(page, 0);
		return;
	}
	put_page_order(page, page->pg_order);
}

int mmk_page_count(const struct page *page)
{
	if (not_booted() || page_ptr_is_bad(page, "page_count"))
		return 0;
	return atomic_load(&compound_head(page)->_refcount);
}

unsigned long mmk_nr_free_pages(void)
{
	if (not_booted())
		return 0;
	return global_zone_page_state(NR_FREE_PAGES);
}

/* ---- Addresses -------------------------------------------------------- */

void *mmk_page_address(const struct page *page)
{
	if (not_booted() || page_ptr_is_bad(page, "page_address"))
		return NULL;
	return pfn_to_virt(pfn_of(page));
}

struct page *mmk_virt_to_page(const void *addr)
{
	if (not_booted())
		return NULL;
	if (unlikely(!virt_in_direct_map(addr))) {
		pr_alert("BUG: virt_to_page(%p): not a direct-map address (direct map is %p-%p)\n",
			 addr, (void *)direct_map_base,
			 (void *)(direct_map_base + ((uint64_t)max_pfn << PAGE_SHIFT)));
		return NULL;
	}
	return page_of((unsigned long)(((const char *)addr - direct_map_base) >> PAGE_SHIFT));
}

unsigned long mmk_page_to_pfn(const struct page *page)
{
	if (not_booted())
		return 0;
	return pfn_of(page);
}

struct page *mmk_pfn_to_page(unsigned long pfn)
{
	if (not_booted())
		return NULL;
	return mem_map + pfn;
}

bool mmk_pfn_valid(unsigned long pfn)
{
	if (not_booted())
		return false;
	return pfn < max_pfn;
}

phys_addr_t mmk_virt_to_phys(const void *addr)
{
	if (not_booted())
		return 0;
	if (unlikely(!virt_in_direct_map(addr)))
		pr_warn("WARNING: virt_to_phys used for non-linear address: %p\n", addr);
	return (phys_addr_t)((const char *)addr - direct_map_base);
}

void *mmk_phys_to_virt(phys_addr_t phys)
{
	if (not_booted())
		return NULL;
	return direct_map_base + phys;
}
