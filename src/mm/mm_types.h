/* SPDX-License-Identifier: MIT */
/*
 * Glossary. These words mean one thing each, everywhere in mmkit:
 *
 *   frame    4 KiB of physical RAM, at a physical address that is a multiple
 *            of PAGE_SIZE. RAM is frames 0 .. max_pfn-1.
 *   pfn      a frame's number: its physical address >> PAGE_SHIFT.
 *   page     a frame's descriptor, struct page, one per frame in mem_map[],
 *            so page <-> pfn is pointer arithmetic. (Linux also says "page"
 *            for a virtual page; we say "virtual page" then.)
 *   block    2^order frames starting at a pfn aligned to 2^order: the unit
 *            the buddy allocator hands out and takes back.
 *   buddy    the block a block of the same order merges with: pfn ^ (1<<order).
 *   head     the first page of a block; the other pages are its tails.
 *   compound a block allocated with __GFP_COMP: tails point at their head.
 *   folio    a block of pages allocated and mapped as one unit: user
 *            memory's large folios are allocated as one block, mapped with
 *            one host call, then split into their pages (memory.c).
 *   pageblock 2^pageblock_order frames (order 9, 2 MiB) that share a migrate
 *            type, so that unmovable allocations cluster and leave the rest
 *            of memory free to form large blocks (anti-fragmentation).
 *   zone     a pfn range with its own free lists and watermarks: ZONE_DMA
 *            (the bottom dma_zone= bytes) and ZONE_NORMAL (the rest).
 *   pcp      a per-CPU list of free pages of orders 0..3, refilled from and
 *            drained to the buddy lists in batches.
 *   slab     a block carved into objects of one size (slab issue).
 *   object   one allocation made from a slab.
 *
 * What each field of struct page means depends on the page's state:
 *
 *   PGS_TAIL  not the head of anything: a tail of a free or allocated block,
 *             or a frame that was never handed to the buddy allocator.
 *   PGS_BUDDY head of a free block on zone->free_area[order].free_list[mt];
 *             lru links it there, order is the block's order.
 *   PGS_PCP   head of a free block on a per-CPU list; lru links it there.
 *   PGS_ALLOC head of an allocated block of order `order`, refcount >= 1.
 *             lru, mapping, index and private belong to the owner.
 *
 * The state is how the allocator tells a bad free (of a free page, of a
 * tail, with the wrong order) from a good one without trusting the caller.
 * A fresh, all-zero struct page is a valid PGS_TAIL page; boot relies on it.
 *
 * struct page is 56 bytes, so that memory's metadata, with the pageblock
 * bits and the per-CPU lists, stays under 64 bytes a frame.
 */
#ifndef MMK_MM_TYPES_H
#define MMK_MM_TYPES_H

#include <stdatomic.h>
#include <stdint.h>

#include <mmkit/mm_types.h>
#include "../lib/list.h"

enum page_state {
	PGS_TAIL = 0,
	PGS_BUDDY,
	PGS_PCP,
	PGS_ALLOC,
};

/* page->flags bits. */
enum pageflags {
	PG_reserved,	/* memblock kept it: never in the buddy allocator */
	PG_head,	/* head of a compound page */
	PG_tail,	/* tail of a compound page */
	PG_zero,	/* allocated with __GFP_ZERO (debugging aid) */
	PG_slab,	/* a slab: the head page of one, or one of its tails */
	PG_large_kmalloc, /* a kmalloc too large for the caches */
	PG_table,	/* a page-table page of the user address space */
	PG_mlocked,	/* a user page of an mlocked VMA: never reclaimed */
	/* User pages and reclaim (swap.h says what each means). */
	PG_locked,	/* the page lock */
	PG_lru,		/* on an LRU list */
	PG_active,	/* on the active list */
	PG_unevictable,	/* on the unevictable list */
	PG_swapcache,	/* in the swap cache; private is the swap entry */
	PG_writeback,	/* being written to swap */
	PG_dirty,	/* differs from its swap slot */
	PG_readahead,	/* read by swap readahead, not yet mapped */
	PG_isolated,	/* off the LRU in reclaim's hands: only it puts it back */
	__NR_PAGEFLAGS,
};

_Static_assert(sizeof(struct page) == 56, "struct page must stay 56 bytes");

/* Flags change with atomic operations: a user page's flags are changed by
 * several threads under different locks (the page lock, lru_lock). */
#define PageFlag(page, bit)	((__atomic_load_n(&(page)->flags, __ATOMIC_RELAXED) >> (bit)) & 1)
#define SetPageFlag(page, bit)	\
	((void)__atomic_fetch_or(&(page)->flags, 1UL << (bit), __ATOMIC_RELAXED))
#define ClearPageFlag(page, bit) \
	((void)__atomic_fetch_and(&(page)->flags, ~(1UL << (bit)), __ATOMIC_RELAXED))

#define PageReserved(page)	PageFlag(page, PG_reserved)

/* An anonymous user page: page->mapping is its mm_struct with this bit
 * set (Linux's anon_vma pointer with PAGE_MAPPING_ANON), page->index its
 * virtual page number. */
#define PAGE_MAPPING_ANON	0x1UL
#define PageAnon(page)		(((uintptr_t)(page)->mapping & PAGE_MAPPING_ANON) != 0)
#define PageHead(page)		PageFlag(page, PG_head)
#define PageTail(page)		PageFlag(page, PG_tail)
#define PageBuddy(page)		((page)->pg_state == PGS_BUDDY)

#endif
