// SPDX-License-Identifier: MIT
/*
 * The swap cache and swap-in readahead.
 *
 * The swap cache maps a slot to the page that stands for it (si->cache[],
 * see swapfile.c), so that a page on its way to swap, or just read back,
 * is found by the next fault instead of being read again. A page enters
 * the cache when reclaim gives it a slot (before it is written) or when a
 * fault or readahead reads it; it leaves when it is freed after its write,
 * when it is written to by the program (its slot is then stale and freed:
 * try_to_free_swap()), or when the last reference to the slot goes.
 *
 * Lookup takes a reference under si->lock, then the page lock, then checks
 * that the page still stands for the slot: a page is only taken out of the
 * cache with its page lock held, and only freed after, so the reference
 * keeps the frame from being reused under the lookup.
 *
 * Readahead is Linux's VMA-based swap readahead in its simplest form: the
 * fault reads, with its own page, the pages of the swap PTEs around it in
 * the same VMA and page table (up to SWAP_RA_MAX), which reclaim usually
 * wrote to consecutive slots; consecutive slots are read with one I/O.
 * The extra pages wait, unmapped and clean, in the swap cache and on the
 * inactive list; the fault that then finds one counts a swap_ra_hit and
 * costs no I/O.
 */
#include <errno.h>

#include "swap.h"
#include "vmstat.h"

void add_to_swap_cache(struct page *page, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info[swp_type(entry)];

	page->private = entry.val;
	SetPageFlag(page, PG_swapcache);
	spin_lock(&si->lock);
	si->cache[swp_offset(entry)] = (uint32_t)(pfn_of(page) + 1);
	spin_unlock(&si->lock);
	mod_node_page_state(node_data0, NR_SWAPCACHE, 1);
	mod_node_page_state(node_data0, NR_FILE_PAGES, 1);
}

void delete_from_swap_cache(struct page *page)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si = swap_info[swp_type(entry)];
	unsigned long off = swp_offset(entry);

	spin_lock(&si->lock);
	si->cache[off] = 0;
	si->swap_map[off] &= (unsigned char)~SWAP_HAS_CACHE;
	if (!si->swap_map[off])
		swap_slot_free_locked(si, off);
	spin_unlock(&si->lock);
	ClearPageFlag(page, PG_swapcache);
	ClearPageFlag(page, PG_readahead);
	page->private = 0;
	mod_node_page_state(node_data0, NR_SWAPCACHE, -1);
	mod_node_page_state(node_data0, NR_FILE_PAGES, -1);
}

struct page *lookup_swap_cache_locked(swp_entry_t entry)
{
	struct swap_info_struct *si = swp_info(entry);
	unsigned long off = swp_offset(entry);

	if (!si)
		return NULL;
	for (;;) {
		struct page *page;
		uint32_t v;

		spin_lock(&si->lock);
		v = si->cache[off];
		if (!v) {
			spin_unlock(&si->lock);
			return NULL;
		}
		page = page_of(v - 1);
		atomic_fetch_add(&page->_refcount, 1);
		spin_unlock(&si->lock);
		lock_page(page);
		if (PageFlag(page, PG_swapcache) && page->private == entry.val)
			return page;
		/* Taken out of the cache meanwhile: look again. */
		unlock_page(page);
		put_page(page);
	}
}

/*
 * Claim @entry's slot for the new, locked @page: 0 when it is ours to
 * read, -EEXIST when the cache already has a page for it, -ENOENT when
 * the slot went away (another fault mapped the page and freed it).
 */
static int swapcache_claim(struct page *page, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info[swp_type(entry)];
	unsigned long off = swp_offset(entry);
	unsigned char m;

	spin_lock(&si->lock);
	m = si->swap_map[off];
	if (m == SWAP_MAP_BAD || !(m & ~SWAP_HAS_CACHE)) {
		spin_unlock(&si->lock);
		return -ENOENT;
	}
	if (m & SWAP_HAS_CACHE) {
		spin_unlock(&si->lock);
		return -EEXIST;
	}
	si->swap_map[off] = m | SWAP_HAS_CACHE;
	si->cache[off] = (uint32_t)(pfn_of(page) + 1);
	spin_unlock(&si->lock);
	page->private = entry.val;
	SetPageFlag(page, PG_swapcache);
	mod_node_page_state(node_data0, NR_SWAPCACHE, 1);
	mod_node_page_state(node_data0, NR_FILE_PAGES, 1);
	return 0;
}

/* A page that could not be read: out of the cache and freed. */
static void swapin_fail(struct page *page)
{
	delete_from_swap_cache(page);
	unlock_page(page);
	__free_page(page);
}

struct page *swapin_readahead(const swp_entry_t *ra, unsigned int nr, unsigned int idx,
			      bool atomic, bool *major, int *err)
{
	struct page *pages[SWAP_RA_MAX], *fault_page = NULL;
	swp_entry_t ents[SWAP_RA_MAX];
	unsigned int n = 0;
	int claim;
	gfp_t gfp;

	*major = false;
	*err = 0;
	gfp = atomic ? (GFP_ATOMIC | __GFP_NOWARN | __GFP_MOVABLE)
		     : (GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
retry:
	fault_page = lookup_swap_cache_locked(ra[idx]);
	if (fault_page) {
		if (PageFlag(fault_page, PG_readahead)) {
			ClearPageFlag(fault_page, PG_readahead);
			count_vm_event(SWAP_RA_HIT);
		}
		return fault_page;
	}
	/* Not cached: the fault's page first, then the readahead pages, in
	 * slot order so that consecutive slots are read together. */
	for (unsigned int k = 0; k < nr && n < SWAP_RA_MAX; k++) {
		unsigned int i = k == 0 ? idx : (k <= idx ? k - 1 : k);
		struct page *page;

		if (k && (atomic || swp_type(ra[i]) != swp_type(ra[idx])))
			continue;
		/* Readahead pages only when free memory has them: no
		 * reclaim while this fault holds page locks. */
		page = alloc_page(k ? ((GFP_HIGHUSER_MOVABLE & ~__GFP_DIRECT_RECLAIM) |
				       __GFP_NOWARN) : gfp);
		if (!page) {
			if (!k) {
				*err = -ENOMEM;
				return NULL;
			}
			break;
		}
		lock_page(page);
		claim = swapcache_claim(page, ra[i]);
		if (claim) {
			unlock_page(page);
			__free_page(page);
			if (k)
				continue;
			if (claim == -EEXIST)
				goto retry;	/* someone else is reading it */
			*err = -EAGAIN;		/* the PTE changed: look again */
			return NULL;
		}
		if (k) {
			SetPageFlag(page, PG_readahead);
			count_vm_event(SWAP_RA);
		}
		/* Insertion sort by slot, the fault's page remembered. */
		{
			unsigned int j = n++;

			while (j && swp_offset(ents[j - 1]) > swp_offset(ra[i])) {
				ents[j] = ents[j - 1];
				pages[j] = pages[j - 1];
				j--;
			}
			ents[j] = ra[i];
			pages[j] = page;
		}
		if (!k)
			fault_page = page;
	}
	/* Read runs of consecutive slots, one I/O each. */
	bool read_failed = false;
	swp_entry_t failed_at = { 0 };

	for (unsigned int s = 0; s < n;) {
		unsigned int e = s + 1;
		int rerr;

		while (e < n && swp_offset(ents[e]) == swp_offset(ents[e - 1]) + 1)
			e++;
		rerr = swap_readpages(pages + s, e - s, ents[s]);
		if (rerr && !read_failed) {
			read_failed = true;
			failed_at = ra[idx];
		}
		for (unsigned int j = s; j < e; j++) {
			if (rerr) {
				if (pages[j] == fault_page) {
					*err = -EIO;
					fault_page = NULL;
				}
				swapin_fail(pages[j]);
			} else if (pages[j] != fault_page) {
				unlock_page(pages[j]);
				lru_putback(pages[j], false);
			}
		}
		s = e;
	}
	/* Said for the fault's own page, when nothing is locked any more
	 * (a failed readahead only costs its pages). */
	if (read_failed && !fault_page)
		swap_read_error(failed_at);
	if (!fault_page)
		return NULL;
	*major = true;
	atomic_fetch_add(&fault_page->_refcount, 1);	/* the caller's */
	return fault_page;
}

void try_to_free_swap(struct page *page)
{
	if (!PageFlag(page, PG_swapcache))
		return;
	if (PageFlag(page, PG_writeback)) {
		SetPageFlag(page, PG_dirty);	/* the end of the write keeps it */
		return;
	}
	delete_from_swap_cache(page);
	ClearPageFlag(page, PG_dirty);
}
