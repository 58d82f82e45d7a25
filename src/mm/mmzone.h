/* SPDX-License-Identifier: MIT */
/*
 * Zones, free areas, migrate types and per-CPU page lists.
 *
 * One node (pglist_data) holds the zones. Each zone has:
 *   - free_area[order].free_list[mt]: free blocks of that order whose
 *     pageblock has migrate type mt; nr_free counts blocks of the order;
 *   - a per-CPU pageset for each CPU: lists of free blocks of orders
 *     0..PAGE_ALLOC_COSTLY_ORDER, one per (order, pcp migrate type);
 *   - watermarks (min, low, high, promo) and lowmem_reserve;
 *   - a migrate type for every pageblock.
 *
 * Lock order: pcp->cl, then zone->lock. A pcp lock is taken by the CPU
 * that owns the list (uncontended unless threads outnumber CPUs) and by a
 * drain from another CPU. The zone lock guards the free areas, the pageblock
 * types, NR_FREE_PAGES and the highatomic reserve.
 */
#ifndef MMK_MMZONE_H
#define MMK_MMZONE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <mmkit/linux.h>
#include "../lib/list.h"
#include "../lib/spinlock.h"
#include "../arch/arch.h"
#include "mm_types.h"
#include "vmstat.h"
#include "cpu_lock.h"

#pragma GCC visibility push(hidden)

#define ____cacheline_aligned __attribute__((aligned(64)))

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,	/* the types that have per-CPU lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

extern const char *const migratetype_names[MIGRATE_TYPES];

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

enum zone_type {
	ZONE_DMA,
	ZONE_NORMAL,
	MAX_NR_ZONES
};

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK
};

#define pageblock_order		9
#define pageblock_nr_pages	(1UL << pageblock_order)

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;
};

/* One list per (order, migrate type) for orders 0..PAGE_ALLOC_COSTLY_ORDER. */
#define NR_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

static inline unsigned int order_to_pindex(int mt, unsigned int order)
{
	return MIGRATE_PCPTYPES * order + (unsigned int)mt;
}

/* The lists of one (CPU, zone), locked by a cpu_lock (see cpu_lock.h). */
struct per_cpu_pages {
	struct cpu_lock cl;
	int count;		/* pages on all the lists */
	int high;		/* drain a batch above this */
	int batch;		/* refill and drain granularity */
	/* Events counted under the lock, summed by vmstat. */
	unsigned long alloc_pages;	/* pgalloc_<zone>, in pages */
	unsigned long free_pages;	/* pgfree, in pages */
	struct list_head lists[NR_PCP_LISTS];
} ____cacheline_aligned;

struct pglist_data;

struct zone {
	/* Read-mostly: the fast path's watermark check. */
	unsigned long _watermark[NR_WMARK];
	unsigned long watermark_boost;
	unsigned long nr_reserved_highatomic;
	long lowmem_reserve[MAX_NR_ZONES];
	struct pglist_data *zone_pgdat;
	struct per_cpu_pages *per_cpu_pageset;	/* [NR_CPUS] */
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;
	atomic_long managed_pages;
	unsigned long cma_pages;
	const char *name;
	int idx;

	/* Written often: the buddy lists and their lock. */
	spinlock_t lock ____cacheline_aligned;
	struct free_area free_area[NR_PAGE_ORDERS];
	/* Events counted under zone->lock (orders above the pcp lists). */
	unsigned long alloc_pages_locked;
	unsigned long free_pages_locked;
	unsigned long alloc_fail;

	atomic_long vm_stat[NR_VM_ZONE_STAT_ITEMS] ____cacheline_aligned;
};

struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	int nr_zones;			/* populated: zones 0..nr_zones-1 */
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	int node_id;
	atomic_long vm_stat[NR_VM_NODE_STAT_ITEMS];
};

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}

static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

static inline unsigned long zone_managed_pages(struct zone *z)
{
	return (unsigned long)atomic_load_explicit(&z->managed_pages,
						   memory_order_relaxed);
}

#define min_wmark_pages(z)  ((z)->_watermark[WMARK_MIN] + (z)->watermark_boost)
#define low_wmark_pages(z)  ((z)->_watermark[WMARK_LOW] + (z)->watermark_boost)
#define high_wmark_pages(z) ((z)->_watermark[WMARK_HIGH] + (z)->watermark_boost)
#define wmark_pages(z, i)   ((z)->_watermark[i] + (z)->watermark_boost)

/*
 * zone->lock and the per-CPU page lists' locks also count in
 * arch_this_thread.alloc_locks: a page fault in a signal handler that
 * interrupted this thread may still use the page allocator when the thread
 * holds none of them (memory.c).
 */
void alloc_locks_exit_work(void);

static inline void alloc_locks_enter(void)
{
	arch_this_thread.alloc_locks++;
	atomic_signal_fence(memory_order_seq_cst);
}

/* Leaving the allocator's last lock: work a fault left for then (memory.c). */
static inline void alloc_locks_exit(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	if (!--arch_this_thread.alloc_locks &&
	    __builtin_expect(arch_this_thread.alloc_exit_work, 0))
		alloc_locks_exit_work();
}

/*
 * Counted from just before the lock is taken (a signal handler in between
 * must see it), but not while waiting for it: a thread that waits may be
 * interrupted many times, and its handlers' faults may use the allocator
 * then (they wait for the same holder).
 */
static inline void zone_lock(struct zone *zone)
{
	for (unsigned int spins = 0;;) {
		alloc_locks_enter();
		if (__builtin_expect(spin_trylock(&zone->lock), 1))
			return;
		atomic_signal_fence(memory_order_seq_cst);
		arch_this_thread.alloc_locks--;
		while (spin_is_locked(&zone->lock)) {
			if (++spins < 256) {
				arch_cpu_relax();
			} else {
				arch_yield();
				spins = 0;
			}
		}
	}
}

static inline void zone_unlock(struct zone *zone)
{
	spin_unlock(&zone->lock);
	alloc_locks_exit();
}

#pragma GCC visibility pop

#endif
