// SPDX-License-Identifier: MIT
/*
 * Page reclaim: the LRU lists, kswapd and direct reclaim.
 *
 * What can be reclaimed. Only user pages: an anonymous page can give its
 * frame back once its contents are in a swap slot. kmalloc and slab pages,
 * vmalloc pages, page tables, DMA buffers and the zero page are never on an
 * LRU list, so reclaim never sees them; mlocked pages sit on the
 * unevictable list, which reclaim never scans. Without swap there is
 * nothing to do, and reclaim does not scan at all (as Linux without swap).
 *
 * The lists. One node, three lists: inactive anon, active anon and
 * unevictable, under lru_lock. A new page goes to the head of the inactive
 * list with its PTE young (just touched), as Linux does since 5.9 (anon
 * workingset protection). Reclaim takes pages from the tails:
 *
 *   - shrink_active_list() moves pages from the active tail to the
 *     inactive head, clearing their young bits (Linux deactivates anon
 *     pages whether referenced or not); it runs when the inactive list is
 *     smaller than the active one (inactive_ratio 1 below 1 GiB).
 *   - shrink_inactive_list() looks at the young bit of each page from the
 *     inactive tail: young means touched since the last look (second
 *     chance): it is cleared and the page activated. A page not young is
 *     given a swap slot, unmapped (its PTE becomes the swap entry) and
 *     written; its frame is freed when the write completes. A swap cache
 *     page that is still clean needs no write: it is unmapped and freed.
 *
 * The young bit. The host MMU does not tell us about accesses, so clearing
 * the bit also revokes the host's access to the page (ptes_clear_young());
 * the next touch faults, and the fault sets the bit again and restores the
 * access (a minor fault, counted in mm_faults as "young"). This is how
 * Linux ran on hardware without referenced bits. The cost is one host call
 * per run of pages looked at and one trap per page touched again.
 *
 * kswapd. A kernel thread woken by an allocation that finds free memory
 * below the low watermark; it reclaims until the zone is above its high
 * watermark, counting pages under writeback as on their way, and waits for
 * the I/O when it is far ahead of it.
 *
 * Direct reclaim. An allocation that may sleep (__GFP_DIRECT_RECLAIM) and
 * still finds no memory reclaims a batch itself, then waits briefly for its
 * writes (reclaim_throttle()); page_alloc.c decides how often to retry.
 * GFP_NOIO allocations reclaim no page that needs a write.
 *
 * Locking: see swap.h. Reclaim holds mmap_lock for reading from before it
 * isolates pages until they are unmapped, taken without queueing behind a
 * waiting writer (the faulting thread that reclaims may hold it already);
 * a thread that holds it for writing reclaims nothing of the process.
 */
#include <errno.h>
#include <string.h>

#include "swap.h"
#include "vmstat.h"

enum lru_list { LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_UNEVICTABLE, NR_LRU_LISTS };

static const enum node_stat_item lru_node_stat[NR_LRU_LISTS] = {
	NR_INACTIVE_ANON, NR_ACTIVE_ANON, NR_UNEVICTABLE,
};
static const enum zone_stat_item lru_zone_stat[NR_LRU_LISTS] = {
	NR_ZONE_INACTIVE_ANON, NR_ZONE_ACTIVE_ANON, NR_ZONE_UNEVICTABLE,
};

static spinlock_t lru_lock = __SPIN_LOCK_UNLOCKED;
static struct list_head lru_lists[NR_LRU_LISTS] = {
	{ &lru_lists[0], &lru_lists[0] },
	{ &lru_lists[1], &lru_lists[1] },
	{ &lru_lists[2], &lru_lists[2] },
};
static unsigned long lru_size[NR_LRU_LISTS];	/* under lru_lock */

#define SWAP_CLUSTER_MAX 32

/* ---- The page lock ------------------------------------------------------------- */

void lock_page(struct page *page)
{
	unsigned int spins = 0;

	while (!trylock_page(page)) {
		if (++spins < 128) {
			arch_cpu_relax();
		} else {
			arch_yield();
			spins = 0;
		}
	}
}

/* ---- The lists ----------------------------------------------------------------- */

static enum lru_list page_lru(const struct page *page)
{
	if (PageFlag(page, PG_unevictable))
		return LRU_UNEVICTABLE;
	return PageFlag(page, PG_active) ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON;
}

static void lru_stat(struct page *page, enum lru_list lru, long delta)
{
	lru_size[lru] += (unsigned long)delta;
	mod_node_page_state(node_data0, lru_node_stat[lru], delta);
	mod_zone_page_state(page_zone(page), lru_zone_stat[lru], delta);
}

/* Add @page to @lru's head (lru_lock held). */
static void add_locked(struct page *page, enum lru_list lru)
{
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_unevictable);
	if (lru == LRU_ACTIVE_ANON)
		SetPageFlag(page, PG_active);
	else if (lru == LRU_UNEVICTABLE)
		SetPageFlag(page, PG_unevictable);
	SetPageFlag(page, PG_lru);
	list_add(&page->lru, &lru_lists[lru]);
	lru_stat(page, lru, 1);
}

static void del_locked(struct page *page)
{
	list_del(&page->lru);
	lru_stat(page, page_lru(page), -1);
	ClearPageFlag(page, PG_lru);
}

void lru_add_new(struct page *page, unsigned long n, bool unevictable)
{
	enum lru_list lru = unevictable ? LRU_UNEVICTABLE : LRU_INACTIVE_ANON;

	/* A folio is one block, so in one zone: the counters move once. */
	for (unsigned long i = 0; i < n; i++) {
		SetPageFlag(&page[i], PG_lru);
		if (unevictable)
			SetPageFlag(&page[i], PG_unevictable);
	}
	spin_lock(&lru_lock);
	for (unsigned long i = 0; i < n; i++)
		list_add(&page[i].lru, &lru_lists[lru]);
	lru_stat(page, lru, (long)n);
	spin_unlock(&lru_lock);
}

void lru_del(struct page *page)
{
	spin_lock(&lru_lock);
	if (PageFlag(page, PG_lru))
		del_locked(page);
	ClearPageFlag(page, PG_active);
	ClearPageFlag(page, PG_unevictable);
	spin_unlock(&lru_lock);
}

void lru_putback(struct page *page, bool active)
{
	spin_lock(&lru_lock);
	/* A page reclaim has isolated goes back when reclaim is done. */
	if (!PageFlag(page, PG_lru) && !PageFlag(page, PG_isolated))
		add_locked(page, PageFlag(page, PG_mlocked) ? LRU_UNEVICTABLE :
				 active ? LRU_ACTIVE_ANON : LRU_INACTIVE_ANON);
	spin_unlock(&lru_lock);
}

void lru_set_unevictable(struct page *page, bool unevictable)
{
	spin_lock(&lru_lock);
	if (PageFlag(page, PG_lru) && (page_lru(page) == LRU_UNEVICTABLE) != unevictable) {
		del_locked(page);
		add_locked(page, unevictable ? LRU_UNEVICTABLE : LRU_INACTIVE_ANON);
		count_vm_event(unevictable ? UNEVICTABLE_PGCULLED : UNEVICTABLE_PGRESCUED);
	}
	spin_unlock(&lru_lock);
}

/* Take up to @nr pages from @lru's tail (Linux's isolate_lru_folios()). */
static unsigned int isolate_lru_pages(enum lru_list lru, unsigned int nr, struct page **out)
{
	unsigned int n = 0;

	spin_lock(&lru_lock);
	while (n < nr && !list_empty(&lru_lists[lru])) {
		struct page *page = list_entry(lru_lists[lru].prev, struct page, lru);

		del_locked(page);
		SetPageFlag(page, PG_isolated);
		out[n++] = page;
	}
	if (n)
		mod_node_page_state(node_data0, NR_ISOLATED_ANON, n);
	spin_unlock(&lru_lock);
	return n;
}

static void putback_isolated(struct page *page, enum lru_list lru)
{
	spin_lock(&lru_lock);
	ClearPageFlag(page, PG_isolated);
	add_locked(page, PageFlag(page, PG_mlocked) ? LRU_UNEVICTABLE : lru);
	spin_unlock(&lru_lock);
}

static void isolated_done(unsigned int n)
{
	if (n)
		mod_node_page_state(node_data0, NR_ISOLATED_ANON, -(long)n);
}

/* ---- Shrinking ---------------------------------------------------------------- */

struct scan_control {
	unsigned long nr_to_reclaim;
	unsigned long nr_reclaimed;	/* freed, or written and to be freed */
	unsigned long nr_scanned;
	bool kswapd;
	bool may_writepage;		/* __GFP_IO: may start swap writes */
	bool ignore_young;		/* MADV_PAGEOUT: reclaim what is asked */
	bool count;			/* pgscan/pgsteal counters (not madvise) */
};


static void shrink_active_list(struct mm_struct *mm, struct scan_control *sc, unsigned int nr)
{
	struct page *pages[SWAP_CLUSTER_MAX];
	bool young[SWAP_CLUSTER_MAX];
	unsigned int n = isolate_lru_pages(LRU_ACTIVE_ANON, nr, pages);

	(void)sc;
	if (!n)
		return;
	count_vm_events(PGREFILL, n);
	ptes_clear_young(mm, pages, n, young);
	for (unsigned int i = 0; i < n; i++)
		putback_isolated(pages[i], LRU_INACTIVE_ANON);
	count_vm_events(PGDEACTIVATE, n);
	isolated_done(n);
}

static void sort_by_slot(struct page **pages, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		struct page *p = pages[i];
		unsigned int j = i;

		while (j && pages[j - 1]->private > p->private) {
			pages[j] = pages[j - 1];
			j--;
		}
		pages[j] = p;
	}
}

/* Write locked swap cache pages, one I/O per run of consecutive slots. */
static void write_batch(struct scan_control *sc, struct page **pages, unsigned int n)
{
	int steal = !sc->count ? -1 : sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT;

	sort_by_slot(pages, n);
	for (unsigned int s = 0; s < n;) {
		unsigned int e = s + 1;

		while (e < n && e - s < ARCH_BIO_MAX_PAGES &&
		       pages[e]->private == pages[e - 1]->private + 1)
			e++;
		swap_writepages(pages + s, e - s, steal);
		s = e;
	}
}

/*
 * Reclaim the isolated pages @pages (Linux's shrink_folio_list()). Each
 * ends up back on a list, under writeback, or freed.
 */
static void shrink_page_list(struct mm_struct *mm, struct scan_control *sc,
			     struct page **pages, unsigned int n)
{
	struct page *mapped[SWAP_CLUSTER_MAX], *write[SWAP_CLUSTER_MAX],
		    *freed[SWAP_CLUSTER_MAX];
	bool flag[SWAP_CLUSTER_MAX];
	unsigned int nm = 0, nw = 0, nf = 0, need_slot = 0;
	swp_entry_t entries[SWAP_CLUSTER_MAX];

	for (unsigned int i = 0; i < n; i++) {
		struct page *page = pages[i];

		if (!trylock_page(page)) {
			putback_isolated(page, LRU_INACTIVE_ANON);
			continue;
		}
		if (PageFlag(page, PG_mlocked)) {
			unlock_page(page);
			putback_isolated(page, LRU_UNEVICTABLE);
			count_vm_event(UNEVICTABLE_PGCULLED);
			continue;
		}
		if (page->mapping) {
			mapped[nm++] = page;
			continue;
		}
		/* Only in the swap cache: read ahead and never used, or its
		 * write failed, or nothing refers to its slot any more. */
		if (PageFlag(page, PG_swapcache) && PageFlag(page, PG_dirty) &&
		    (swap_count((swp_entry_t){ page->private }) & ~SWAP_HAS_CACHE)) {
			if (!sc->may_writepage) {
				unlock_page(page);
				putback_isolated(page, LRU_INACTIVE_ANON);
				continue;
			}
			write[nw++] = page;
			continue;
		}
		if (PageFlag(page, PG_swapcache))
			delete_from_swap_cache(page);
		ClearPageFlag(page, PG_dirty);
		unlock_page(page);
		freed[nf++] = page;
	}

	/* Second chance: a page touched since the last look goes back to the
	 * active list (and is not young any more). */
	if (nm) {
		unsigned int k = 0;

		ptes_clear_young(mm, mapped, nm, flag);
		for (unsigned int i = 0; i < nm; i++) {
			if (flag[i] && !sc->ignore_young) {
				unlock_page(mapped[i]);
				putback_isolated(mapped[i], LRU_ACTIVE_ANON);
				count_vm_event(PGACTIVATE);
				continue;
			}
			if (!PageFlag(mapped[i], PG_swapcache)) {
				if (!sc->may_writepage) {
					unlock_page(mapped[i]);
					putback_isolated(mapped[i], LRU_INACTIVE_ANON);
					continue;
				}
				need_slot++;
			}
			mapped[k++] = mapped[i];
		}
		nm = k;
	}
	/* Slots for the pages that have none (add_to_swap()). */
	if (need_slot) {
		unsigned int got = get_swap_pages(need_slot, entries), e = 0, k = 0;

		for (unsigned int i = 0; i < nm; i++) {
			struct page *page = mapped[i];

			if (!PageFlag(page, PG_swapcache)) {
				if (e == got) {
					/* Swap is full: the page stays. */
					unlock_page(page);
					putback_isolated(page, LRU_ACTIVE_ANON);
					continue;
				}
				add_to_swap_cache(page, entries[e++]);
				SetPageFlag(page, PG_dirty);	/* not on disk yet */
			}
			mapped[k++] = page;
		}
		nm = k;
	}
	/* Unmap: the PTEs become swap entries (try_to_unmap()). */
	if (nm) {
		ptes_unmap_to_swap(mm, mapped, nm, flag);
		for (unsigned int i = 0; i < nm; i++) {
			struct page *page = mapped[i];

			if (!flag[i]) {
				/* Touched meanwhile: it stays. */
				unlock_page(page);
				putback_isolated(page, LRU_ACTIVE_ANON);
				count_vm_event(PGACTIVATE);
			} else if (PageFlag(page, PG_dirty)) {
				write[nw++] = page;
			} else {
				/* Clean: its slot already holds it. */
				delete_from_swap_cache(page);
				unlock_page(page);
				freed[nf++] = page;
			}
		}
	}
	if (nw)
		write_batch(sc, write, nw);
	isolated_done(n);
	sc->nr_reclaimed += nw + nf;
	if (sc->count && nf) {
		count_vm_events(sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nf);
		count_vm_events(PGSTEAL_ANON, nf);
	}
	for (unsigned int i = 0; i < nf; i++)
		__free_page(freed[i]);
	atomic_fetch_add(&reclaim_freed, nf);
}

static void shrink_inactive_list(struct mm_struct *mm, struct scan_control *sc, unsigned int nr)
{
	struct page *pages[SWAP_CLUSTER_MAX];
	unsigned int n = isolate_lru_pages(LRU_INACTIVE_ANON, nr, pages);

	if (!n)
		return;
	sc->nr_scanned += n;
	if (sc->count) {
		count_vm_events(sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, n);
		count_vm_events(PGSCAN_ANON, n);
	}
	shrink_page_list(mm, sc, pages, n);
}

static bool inactive_is_low(void)
{
	unsigned long inactive = __atomic_load_n(&lru_size[LRU_INACTIVE_ANON], __ATOMIC_RELAXED);
	unsigned long active = __atomic_load_n(&lru_size[LRU_ACTIVE_ANON], __ATOMIC_RELAXED);

	return inactive < active;	/* inactive_ratio 1: under 1 GiB */
}

/* One pass over the process's pages; returns what was reclaimed. */
static unsigned long shrink_node(struct scan_control *sc)
{
	struct mm_struct *mm = __atomic_load_n(&current_mm, __ATOMIC_ACQUIRE);
	unsigned long scan_limit;

	if (!mm || !swap_enabled())
		return 0;
	/* A thread that holds it for writing (the checker) reclaims nothing
	 * of the process; others wait for the writer, which never waits for
	 * reclaim, or read alongside a fault that is reclaiming. */
	if (rwsem_write_owned(&mm->mmap_lock))
		return 0;
	down_read_nowait_writer(&mm->mmap_lock);
	scan_limit = 4 * (lru_size[LRU_INACTIVE_ANON] + lru_size[LRU_ACTIVE_ANON]) + SWAP_CLUSTER_MAX;
	while (sc->nr_reclaimed < sc->nr_to_reclaim && sc->nr_scanned < scan_limit) {
		unsigned long before = sc->nr_scanned;

		if (inactive_is_low())
			shrink_active_list(mm, sc, SWAP_CLUSTER_MAX);
		shrink_inactive_list(mm, sc, SWAP_CLUSTER_MAX);
		if (sc->nr_scanned == before &&
		    !__atomic_load_n(&lru_size[LRU_ACTIVE_ANON], __ATOMIC_RELAXED))
			break;		/* nothing left to look at */
		if (sc->nr_scanned == before)
			shrink_active_list(mm, sc, SWAP_CLUSTER_MAX);
	}
	up_read(&mm->mmap_lock);
	return sc->nr_reclaimed;
}

void reclaim_throttle(unsigned int timeout_us)
{
	uint32_t seq = atomic_load(&swap_writeback_seq);

	if (!atomic_load(&nr_writeback_pages))
		return;
	arch_wait_on(&swap_writeback_seq, seq, timeout_us);
}

unsigned long try_to_free_pages(gfp_t gfp, unsigned int order)
{
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.may_writepage = gfp & __GFP_IO,
		.count = true,
	};
	unsigned long before = atomic_load(&reclaim_freed), freed;

	(void)order;
	if (!swap_enabled())
		return 0;
	arch_signals_block();
	shrink_node(&sc);
	arch_signals_unblock();
	/* The frames of written pages come back when the writes complete:
	 * progress is what was freed by then (a failing device frees none). */
	if (sc.nr_reclaimed && atomic_load(&reclaim_freed) == before)
		reclaim_throttle(20000);
	freed = atomic_load(&reclaim_freed) - before;
	if (freed)
		kswapd_reset_failures();
	return freed;
}

/* ---- MADV_COLD and MADV_PAGEOUT ---------------------------------------------------- */

struct madv_batch {
	struct mm_struct *mm;
	struct scan_control sc;
	bool pageout;
	struct page *pages[SWAP_CLUSTER_MAX];
	unsigned int n;
};

static void madv_flush(struct madv_batch *b)
{
	if (!b->n)
		return;
	if (b->pageout) {
		shrink_page_list(b->mm, &b->sc, b->pages, b->n);
	} else {
		bool young[SWAP_CLUSTER_MAX];

		ptes_clear_young(b->mm, b->pages, b->n, young);
		for (unsigned int i = 0; i < b->n; i++)
			putback_isolated(b->pages[i], LRU_INACTIVE_ANON);
		count_vm_events(PGDEACTIVATE, b->n);
		isolated_done(b->n);
	}
	b->n = 0;
}

static void madv_one(unsigned long addr, pteval_t pte, void *ctx)
{
	struct madv_batch *b = ctx;
	struct page *page;

	(void)addr;
	if (pte_special(pte))
		return;		/* the zero page */
	page = page_of(pte_pfn(pte));
	spin_lock(&lru_lock);
	if (!PageFlag(page, PG_lru) || page_lru(page) == LRU_UNEVICTABLE) {
		spin_unlock(&lru_lock);
		return;
	}
	del_locked(page);
	SetPageFlag(page, PG_isolated);
	mod_node_page_state(node_data0, NR_ISOLATED_ANON, 1);
	spin_unlock(&lru_lock);
	b->pages[b->n++] = page;
	if (b->n == SWAP_CLUSTER_MAX)
		madv_flush(b);
}

void madvise_cold_or_pageout(struct mm_struct *mm, struct vm_area_struct *vma,
			     unsigned long start, unsigned long end, bool pageout)
{
	struct madv_batch b = {
		.mm = mm,
		.sc = { .nr_to_reclaim = ~0UL, .may_writepage = true, .ignore_young = true },
		.pageout = pageout && swap_enabled(),
	};

	(void)vma;
	walk_ptes(mm, start, end, madv_one, &b);
	madv_flush(&b);
	if (b.pageout)
		swap_io_drain();	/* on disk, frames free, when we return */
}

/* ---- kswapd ------------------------------------------------------------------- */

static struct arch_kthread *kswapd_thread;
static _Atomic uint32_t kswapd_wait;	/* 1: work requested */
static atomic_bool kswapd_should_stop;
/* Linux's kswapd_failures: runs in a row that reclaimed nothing. After
 * MAX_RECLAIM_RETRIES of them kswapd stays asleep until reclaim makes
 * progress again (direct reclaim, or memory given back by munmap), so it
 * does not spin on a machine where nothing is reclaimable. */
static atomic_uint kswapd_failures;
static atomic_bool kswapd_parked, kswapd_busy;

void kswapd_park(bool park)
{
	atomic_store(&kswapd_parked, park);
	if (!park) {
		if (atomic_load(&kswapd_wait))
			arch_wake_all(&kswapd_wait);
		return;
	}
	while (atomic_load(&kswapd_busy))
		arch_sleep_us(100);
}

void kswapd_reset_failures(void)
{
	if (atomic_load_explicit(&kswapd_failures, memory_order_relaxed))
		atomic_store(&kswapd_failures, 0);
}

void wakeup_kswapd(void)
{
	if (!kswapd_thread || atomic_load_explicit(&kswapd_wait, memory_order_relaxed))
		return;
	if (atomic_load_explicit(&kswapd_failures, memory_order_relaxed) >= MAX_RECLAIM_RETRIES)
		return;
	if (!atomic_exchange(&kswapd_wait, 1))
		arch_wake_all(&kswapd_wait);
}

/* Free pages of the zone user memory comes from, against a watermark,
 * counting pages on their way to swap as freed. */
static bool zone_balanced(int mark)
{
	struct zone *zone = &node_data0->node_zones[ZONE_NORMAL];
	long free;

	if (!populated_zone(zone))
		zone = &node_data0->node_zones[ZONE_DMA];
	free = (long)zone_page_state(zone, NR_FREE_PAGES);
	if (mark == WMARK_HIGH)
		free += atomic_load(&nr_writeback_pages);
	return free > (long)wmark_pages(zone, mark);
}

static void balance_pgdat(void)
{
	unsigned int no_progress = 0;
	unsigned long reclaimed = 0;

	count_vm_event(PAGEOUTRUN);
	while (!atomic_load(&kswapd_should_stop) && !atomic_load(&kswapd_parked) &&
	       !zone_balanced(WMARK_HIGH)) {
		struct scan_control sc = {
			.nr_to_reclaim = SWAP_CLUSTER_MAX * 4,
			.kswapd = true,
			.may_writepage = true,
			.count = true,
		};
		unsigned long got = shrink_node(&sc);

		reclaimed += got;
		if (!got) {
			if (++no_progress > 4)
				break;	/* nothing reclaimable now */
			reclaim_throttle(2000);
			continue;
		}
		no_progress = 0;
		/* Far ahead of the disk: let it catch up. */
		if (atomic_load(&nr_writeback_pages) > (long)(totalram_pages() / 8))
			reclaim_throttle(10000);
	}
	if (reclaimed)
		atomic_store(&kswapd_failures, 0);
	else
		atomic_fetch_add(&kswapd_failures, 1);
}

static void kswapd_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&kswapd_should_stop)) {
		if (!atomic_load(&kswapd_wait)) {
			arch_wait_on(&kswapd_wait, 0, 0);
			continue;
		}
		atomic_store(&kswapd_busy, true);
		if (atomic_load(&kswapd_parked)) {
			atomic_store(&kswapd_busy, false);
			arch_sleep_us(1000);
			continue;
		}
		balance_pgdat();
		atomic_store(&kswapd_busy, false);
		atomic_store(&kswapd_wait, 0);
		/* Still below low after a run that helped: go on. */
		if (!zone_balanced(WMARK_LOW) && !atomic_load(&kswapd_should_stop) &&
		    atomic_load(&kswapd_failures) < MAX_RECLAIM_RETRIES)
			atomic_store(&kswapd_wait, 1);
		if (atomic_load(&kswapd_wait))
			reclaim_throttle(1000);
	}
}

int kswapd_run(void)
{
	atomic_store(&kswapd_should_stop, false);
	atomic_store(&kswapd_failures, 0);
	atomic_store(&kswapd_wait, 0);
	kswapd_thread = arch_kthread_run(kswapd_main, NULL, "kswapd0");
	if (!kswapd_thread) {
		pr_err("mmkit: cannot start kswapd0\n");
		return -ENOMEM;
	}
	return 0;
}

void kswapd_stop(void)
{
	if (!kswapd_thread)
		return;
	atomic_store(&kswapd_should_stop, true);
	atomic_store(&kswapd_wait, 1);
	arch_wake_all(&kswapd_wait);
	arch_kthread_join(kswapd_thread);
	kswapd_thread = NULL;
}

/* ---- The checker ------------------------------------------------------------------ */

long lru_check(FILE *out)
{
	long problems = 0;

	spin_lock(&lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++) {
		unsigned long n = 0;
		struct list_head *p;

		for (p = lru_lists[l].next; p != &lru_lists[l]; p = p->next) {
			struct page *page = list_entry(p, struct page, lru);

			n++;
			if (!PageFlag(page, PG_lru) || page_lru(page) != (enum lru_list)l) {
				if (out && problems < 20)
					fprintf(out, "mmk_check: lru: pfn %#lx on list %d has flags %#lx\n",
						pfn_of(page), l, page->flags);
				problems++;
			}
			if (page->pg_state != PGS_ALLOC || (!page->mapping &&
							    !PageFlag(page, PG_swapcache))) {
				if (out && problems < 20)
					fprintf(out, "mmk_check: lru: pfn %#lx on list %d is neither mapped nor in the swap cache (state %u)\n",
						pfn_of(page), l, page->pg_state);
				problems++;
			}
			if (n > max_pfn)
				break;
		}
		if (n != lru_size[l] ||
		    (long)n != (long)global_node_page_state(lru_node_stat[l])) {
			problems++;
			if (out)
				fprintf(out, "mmk_check: lru: list %d holds %lu pages but counts %lu (node stat %ld)\n",
					l, n, lru_size[l], (long)global_node_page_state(lru_node_stat[l]));
		}
	}
	spin_unlock(&lru_lock);
	return problems;
}
