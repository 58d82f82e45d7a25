/* SPDX-License-Identifier: MIT */
/*
 * Swap and reclaim: the interfaces between swapfile.c (swap devices and
 * their slots), swap_state.c (the swap cache and readahead), page_io.c
 * (swap I/O), vmscan.c (the LRU lists, kswapd, direct reclaim), oom_kill.c
 * and memory.c (the page-fault side).
 *
 * Vocabulary, besides mm_types.h's and mmap.h's:
 *   swap device  a swap file (swap=PATH:SIZE[:PRIO]); up to MAX_SWAPFILES,
 *                used highest priority first.
 *   slot         one page-sized place on a swap device; slot 0 holds the
 *                header (Linux's swap header, so mkswap/swapon/blkid know
 *                the file), slots 1..max-1 hold pages.
 *   swap entry   (device type, slot offset): what a PTE holds for a page
 *                that is on swap. Non-present, non-zero, not PROT_NONE.
 *   swap count   swap_map[slot]: how many PTEs hold the entry (0..
 *                SWAP_MAP_MAX), plus SWAP_HAS_CACHE while a page of the
 *                swap cache stands for the slot.
 *   swap cache   the pages that stand for slots: one being written out,
 *                one read in (by a fault or by readahead), or one mapped
 *                again and still identical to its slot (clean), so that a
 *                second swap-out needs no write. Found by slot, never read
 *                twice.
 *   LRU          the anonymous pages of the process, least recently used
 *                last: inactive (reclaim candidates), active (in use), and
 *                unevictable (mlocked, never reclaimed).
 *   young        a PTE with _PAGE_ACCESSED. The host MMU gives us no
 *                accessed bit, so reclaim clears it and revokes the host's
 *                access; the next touch faults and sets it again (a minor
 *                fault). A PTE that is present and not young is never
 *                accessible in the host (pte_host_prot()).
 *
 * A user page's state (struct page of an anonymous frame):
 *   mapping  mm | PAGE_MAPPING_ANON while a PTE maps it, NULL while it is
 *            only in the swap cache; index is its virtual page number.
 *   PG_lru   on one of the LRU lists (lru links it; PG_active or
 *            PG_unevictable say which); clear while reclaim has it isolated
 *            or while it is under writeback.
 *   PG_isolated   taken off the LRU by reclaim, which alone puts it back
 *                 (a fault that maps it meanwhile leaves that to reclaim).
 *   PG_swapcache  in the swap cache; private is its swap entry.
 *   PG_writeback  being written to its slot; the I/O owns it until end_io.
 *   PG_dirty      (swap cache pages) differs from its slot. A PTE's
 *                 _PAGE_DIRTY says the same for a mapped page and moves to
 *                 PG_dirty when the page is unmapped.
 *   PG_locked     the page lock: taken to add a page to the swap cache or
 *                 take it out, to unmap it, to map it from the cache.
 *
 * Locks, in order: mmap_lock > page lock > PTE lock > lru_lock > si->lock.
 * Every one of them is only ever taken with the host's asynchronous signals
 * blocked (faults, the mm system calls, reclaim, the kernel threads), and
 * no holder of the page lock, lru_lock or si->lock waits for the page
 * allocator's locks or for mmap_lock: frames are freed after those locks
 * are dropped. So a holder of mmap_lock for writing (munmap) may wait for
 * a page lock: its holder (the I/O completion) never waits for it.
 * Reclaim takes mmap_lock for reading before it isolates pages and keeps it
 * until it has unmapped them, so munmap never meets an isolated page.
 */
#ifndef MMK_SWAP_H
#define MMK_SWAP_H

#include <stdbool.h>
#include <stdio.h>

#include "mmap.h"

#pragma GCC visibility push(hidden)

/* ---- Swap entries --------------------------------------------------------- */

#define SWP_TYPE_SHIFT	1
#define SWP_TYPE_MASK	0x1fULL		/* bits 1-5 */
#define SWP_OFFSET_SHIFT 12

typedef struct { unsigned long val; } swp_entry_t;

static inline swp_entry_t swp_entry(unsigned int type, unsigned long offset)
{
	return (swp_entry_t){ ((unsigned long)type << 58) | offset };
}
static inline unsigned int swp_type(swp_entry_t e) { return (unsigned int)(e.val >> 58); }
static inline unsigned long swp_offset(swp_entry_t e) { return e.val & ((1UL << 58) - 1); }

/* A swap PTE: offset in the pfn bits, type in bits 1-5, present and
 * PROT_NONE clear. Offsets start at 1, so it is never zero. */
static inline pteval_t swp_entry_to_pte(swp_entry_t e)
{
	return ((pteval_t)swp_offset(e) << SWP_OFFSET_SHIFT) |
	       ((pteval_t)swp_type(e) << SWP_TYPE_SHIFT);
}
static inline bool is_swap_pte(pteval_t pte)
{
	return pte && !pte_present(pte);
}
static inline swp_entry_t pte_to_swp_entry(pteval_t pte)
{
	return swp_entry((unsigned int)((pte >> SWP_TYPE_SHIFT) & SWP_TYPE_MASK),
			 (unsigned long)(pte >> SWP_OFFSET_SHIFT));
}

/* ---- Swap devices (swapfile.c) ---------------------------------------------- */

#define SWAP_HAS_CACHE	0x40	/* swap_map: a swap cache page stands for the slot */
#define SWAP_MAP_MAX	0x3e	/* most PTE references a slot can count */
#define SWAP_MAP_BAD	0x3f	/* a bad slot (the header's list) */
#define SWAPFILE_CLUSTER 256	/* slots allocated together, as Linux's */

struct arch_blkdev;

struct swap_info_struct {
	spinlock_t lock;		/* swap_map, cache, clusters, counters */
	unsigned int type;		/* index in swap_info[] */
	int prio;
	bool writeok;			/* slots may be allocated */
	char path[256];
	unsigned long max;		/* slots, the header's included */
	unsigned long pages;		/* usable slots */
	unsigned long inuse_pages;	/* slots with a count or a cache page */
	unsigned char *swap_map;	/* per slot: count | SWAP_HAS_CACHE */
	uint32_t *cache;		/* per slot: swap cache pfn + 1, or 0 */
	/* Slot allocation in clusters: each CPU fills its own cluster,
	 * consecutive slots, so that pages reclaimed together are written
	 * with one I/O and read back with one. */
	unsigned int *cluster_used;	/* per cluster: slots in use */
	unsigned char *check_count;	/* per slot: swap PTEs mm_check found */
	unsigned long nr_clusters;
	unsigned long next_cluster;	/* where the search for a free one starts */
	unsigned long cpu_next[NR_CPUS];/* next slot in the CPU's cluster, 0: none */
	struct arch_blkdev *bdev;
	unsigned int major, minor;	/* the host device holding the file */
	unsigned char uuid[16];
};

extern struct swap_info_struct *swap_info[MAX_SWAPFILES];
extern unsigned int nr_swapfiles;
extern atomic_long nr_swap_pages;	/* free slots, all devices */
extern long total_swap_pages;		/* usable slots, all devices */

static inline bool swap_enabled(void) { return nr_swapfiles != 0; }

/* Linux's vm_swap_full(): more than half of swap is in use. A page read
 * back in then gives up its slot at once, rather than keep it for a
 * write-free second swap-out. */
static inline bool vm_swap_full(void)
{
	return atomic_load_explicit(&nr_swap_pages, memory_order_relaxed) * 2 < total_swap_pages;
}

int swap_parse_option(const char *val, struct swap_param *out, const char **why);
int swapon_all(const struct swap_param *params, unsigned int n);
void swapoff_all(void);

/* Take @nr slots (consecutive where possible) for pages about to go to
 * swap: each gets SWAP_HAS_CACHE. Returns how many were taken. */
unsigned int get_swap_pages(unsigned int nr, swp_entry_t *entries);
/* The slot of @entry, after checking it: NULL with a report if bad. */
struct swap_info_struct *swp_info(swp_entry_t entry);
/* Drop a PTE's reference to @entry (munmap of a swapped page, mmap_lock
 * held for writing: a swap cache page left over is freed after it). */
void swap_free_entry(struct mm_struct *mm, swp_entry_t entry);
/* Drop the reference of a PTE that now maps the page (swap-in). */
void swap_put_pte_ref(swp_entry_t entry);
/* A PTE now holds @entry (swap-out). */
void swap_get_pte_ref(swp_entry_t entry);
void swap_slot_free_locked(struct swap_info_struct *si, unsigned long off);
/* Count and cache bits of @entry's slot. */
unsigned char swap_count(swp_entry_t entry);
/*
 * The checker's swap part (mm_check, mmap_lock held for writing, swap I/O
 * drained): swap_check_begin(), then swap_check_pte() for every swap PTE
 * of the process (false: the entry names no valid used slot), then
 * swap_check_end(), which compares the counts found with every slot's
 * swap count and checks the swap cache, the cluster counts and the free
 * slot counters. Returns the number of problems written to @out.
 */
int swap_check_begin(void);
bool swap_check_pte(swp_entry_t entry);
long swap_check_end(FILE *out);
void swap_io_drain(void);	/* wait for all swap I/O in flight */

/* ---- The swap cache (swap_state.c) ------------------------------------------- */

/* Add @page (locked) for @entry, whose slot has SWAP_HAS_CACHE already. */
void add_to_swap_cache(struct page *page, swp_entry_t entry);
/* Take @page (locked) out of the swap cache; the slot is freed if no PTE
 * holds it. The caller then drops the cache's reference. */
void delete_from_swap_cache(struct page *page);
/* The swap cache page of @entry, locked and with a reference, or NULL. */
struct page *lookup_swap_cache_locked(swp_entry_t entry);
/*
 * The page for the swap entry @ra[@idx] of a fault: from the swap cache,
 * or read from its device together with the other entries of @ra (the
 * swap PTEs around the fault: readahead, none when @atomic). Returned
 * locked and with a reference; *@major tells whether it was read. NULL:
 * no memory (*@err -ENOMEM), a read error (-EIO), or the slot is gone
 * (-EAGAIN: another fault mapped the page; the PTE must be read again).
 */
#define SWAP_RA_MAX	8	/* Linux's page-cluster 3 */
struct page *swapin_readahead(const swp_entry_t *ra, unsigned int nr, unsigned int idx,
			      bool atomic, bool *major, int *err);
/* @page (mapped, locked) will differ from its slot: free the slot. */
void try_to_free_swap(struct page *page);

/* ---- Swap I/O (page_io.c) ------------------------------------------------------ */

/* Write @nr locked swap cache pages (their slots consecutive on one
 * device) asynchronously; each ends unlocked on the LRU or freed, counted
 * in the vm event @steal (PGSTEAL_KSWAPD/_DIRECT) unless it is -1. */
void swap_writepages(struct page **pages, unsigned int nr, int steal);
extern atomic_ulong reclaim_freed;	/* frames reclaim gave back */
/* Read @nr pages into the frames @pages (consecutive slots from @entry). */
int swap_readpages(struct page **pages, unsigned int nr, swp_entry_t entry);
void swap_read_error(swp_entry_t entry);	/* the message, after unlocking */
void swap_io_ratelimit_reset(void);
extern _Atomic uint32_t swap_writeback_seq;	/* bumps at each completion */
extern atomic_long nr_writeback_pages;

/* ---- LRU and reclaim (vmscan.c) ------------------------------------------------- */

/* Linux's MAX_RECLAIM_RETRIES: rounds of reclaim without progress before
 * an allocation gives up, or kswapd goes to sleep for good. */
#define MAX_RECLAIM_RETRIES 16

/* The page lock. */
static inline bool trylock_page(struct page *page)
{
	return !(__atomic_fetch_or(&page->flags, 1UL << PG_locked, __ATOMIC_ACQUIRE) &
		 (1UL << PG_locked));
}
void lock_page(struct page *page);
static inline void unlock_page(struct page *page)
{
	__atomic_fetch_and(&page->flags, ~(1UL << PG_locked), __ATOMIC_RELEASE);
}

/* New pages of a fault (@n consecutive pages from @page), on the LRU. */
void lru_add_new(struct page *page, unsigned long n, bool unevictable);
/* Off the LRU if on it (munmap). */
void lru_del(struct page *page);
/* Put back a page that was off the LRU (swap-in, end of writeback). */
void lru_putback(struct page *page, bool active);
/* mlock/munlock moved the page in or out of the unevictable list. */
void lru_set_unevictable(struct page *page, bool unevictable);

/* Direct reclaim for an allocation that may sleep: pages freed or queued. */
unsigned long try_to_free_pages(gfp_t gfp, unsigned int order);
/* Wake kswapd: free memory fell below the low watermark. */
void wakeup_kswapd(void);
/* Memory came back (munmap, reclaim progress): kswapd may try again. */
void kswapd_reset_failures(void);
/* Wait a little for writeback to complete (reclaim_throttle). */
void reclaim_throttle(unsigned int timeout_us);
/* MADV_COLD / MADV_PAGEOUT on [@start, @end) of @vma, mmap_lock held for
 * reading. */
void madvise_cold_or_pageout(struct mm_struct *mm, struct vm_area_struct *vma,
			     unsigned long start, unsigned long end, bool pageout);
int kswapd_run(void);
/* Park kswapd (wait until it is idle and keep it so) or let it go again:
 * mmk_check() needs a machine that holds still. */
void kswapd_park(bool park);
void kswapd_stop(void);
/* The checker's LRU part: list membership against page flags and the
 * node counters. Returns the number of problems written to @out. */
long lru_check(FILE *out);

/* ---- memory.c, for reclaim --------------------------------------------------- */

/* Clear the young bits of the PTEs mapping @pages and revoke the host's
 * access; returns a bitmap of which were young. */
void ptes_clear_young(struct mm_struct *mm, struct page **pages, unsigned int nr,
		      bool *young);
/* Replace the PTEs of @pages (locked, in the swap cache, not young) with
 * their swap entries; ok[i] false where the page was touched meanwhile. */
void ptes_unmap_to_swap(struct mm_struct *mm, struct page **pages, unsigned int nr,
			bool *ok);

/* ---- OOM (oom_kill.c) ---------------------------------------------------------- */

_Noreturn void out_of_memory(gfp_t gfp, unsigned int order, unsigned long addr);

#pragma GCC visibility pop

#endif
