// SPDX-License-Identifier: MIT
/*
 * Swap I/O: pages to their slots and back, through the arch layer's block
 * device.
 *
 * Writes are asynchronous, as Linux's swap_writepage(): reclaim puts up to
 * ARCH_BIO_MAX_PAGES pages with consecutive slots in one bio, marks them
 * PG_writeback, unlocks them and goes on; the device's I/O thread runs the
 * bio and calls end_swap_bio_write(), which frees each page that is still
 * unmapped and unchanged (its data now lives in its slot) and puts back on
 * the LRU the ones a fault mapped again meanwhile. A write that fails
 * leaves the page dirty in the swap cache: a fault maps it back with no
 * I/O, and reclaim tries to write it again later. Nothing is lost.
 *
 * Reads are synchronous, on the faulting thread (the fault cannot go on
 * without the data). A failed read leaves the slot as it was; the fault
 * gets SIGBUS, as Linux's do_swap_page() gives VM_FAULT_SIGBUS.
 *
 * Error messages are Linux's, with the host device that holds the swap
 * file and the 512-byte sector of the I/O.
 */
#include <errno.h>
#include <string.h>

#include "swap.h"
#include "vmstat.h"

_Atomic uint32_t swap_writeback_seq;
atomic_long nr_writeback_pages;

/* I/O errors are rate limited, as printk_ratelimited(); each boot
 * starts afresh. */
static struct ratelimit_state io_rs;

void swap_io_ratelimit_reset(void)
{
	atomic_store(&io_rs.begin, 0);
	atomic_store(&io_rs.printed, 0);
}

static bool io_ratelimit(void)
{
	return __ratelimit(&io_rs);
}

struct swap_bio {
	struct arch_bio bio;
	int steal;		/* PGSTEAL_KSWAPD, PGSTEAL_DIRECT, or -1 */
};
_Static_assert(sizeof(struct swap_bio) <= PAGE_SIZE, "a bio fits in a page");

/* Frames reclaim has given back, for progress (vmscan.c reads it). */
atomic_ulong reclaim_freed;

static struct page *bio_page(const struct arch_bio *bio, unsigned int i)
{
	return page_of((unsigned long)(bio->phys[i] >> PAGE_SHIFT));
}

static void swap_write_done(struct swap_bio *sb)
{
	struct arch_bio *bio = &sb->bio;
	struct swap_info_struct *si = swap_info[swp_type((swp_entry_t){ bio_page(bio, 0)->private })];
	struct page *freed[ARCH_BIO_MAX_PAGES];
	unsigned int nr_freed = 0;

	if (bio->status && io_ratelimit())
		pr_alert("Write-error on swap-device (%u:%u:%llu)\n", si->major, si->minor,
			 (unsigned long long)(bio->off >> 9));
	for (unsigned int i = 0; i < bio->nr_pages; i++) {
		struct page *page = bio_page(bio, i);

		lock_page(page);
		ClearPageFlag(page, PG_writeback);
		if (bio->status)
			SetPageFlag(page, PG_dirty);
		if (!page->mapping && (!PageFlag(page, PG_dirty) ||
				       !(swap_count((swp_entry_t){ page->private }) & ~SWAP_HAS_CACHE))) {
			/* On disk and nobody maps it, or nothing refers to
			 * it any more (munmap): the frame goes back. */
			delete_from_swap_cache(page);
			unlock_page(page);
			freed[nr_freed++] = page;
			continue;
		}
		/* Mapped again, written to, or the write failed. */
		lru_putback(page, page->mapping != NULL);
		unlock_page(page);
	}
	atomic_fetch_sub(&nr_writeback_pages, (long)bio->nr_pages);
	mod_node_page_state(node_data0, NR_WRITEBACK, -(long)bio->nr_pages);
	if (nr_freed && sb->steal >= 0) {
		count_vm_events((enum vm_event_item)sb->steal, nr_freed);
		count_vm_events(PGSTEAL_ANON, nr_freed);
	}
	atomic_fetch_add(&reclaim_freed, nr_freed);
	for (unsigned int i = 0; i < nr_freed; i++)
		__free_page(freed[i]);
	atomic_fetch_add(&swap_writeback_seq, 1);
	arch_wake_all(&swap_writeback_seq);
}

static void end_swap_bio_write(struct arch_bio *bio)
{
	struct swap_bio *sb = (struct swap_bio *)bio;

	swap_write_done(sb);
	free_page((unsigned long)sb);
}

void swap_writepages(struct page **pages, unsigned int nr, int steal)
{
	swp_entry_t first = { pages[0]->private };
	struct swap_info_struct *si = swap_info[swp_type(first)];
	/*
	 * The bio comes from the page allocator, not kmalloc: the caller
	 * holds page locks, and a page-lock holder must not wait for a lock
	 * that a thread interrupted by a program's signal may hold while its
	 * handler faults on a page in the swap cache (the slab's list lock
	 * counts only in locks_held; such a fault may still do swap-in).
	 */
	struct swap_bio *sb = (void *)__get_free_page(GFP_NOWAIT | __GFP_NOWARN);
	struct swap_bio onstack;
	bool async = sb != NULL;

	if (!sb) {
		/* No memory for a bio: write synchronously from the stack,
		 * as a mempool's reserve would let Linux go on. */
		sb = &onstack;
	}
	memset(&sb->bio, 0, sizeof(sb->bio));
	sb->steal = steal;
	sb->bio.write = true;
	sb->bio.off = (uint64_t)swp_offset(first) << PAGE_SHIFT;
	sb->bio.nr_pages = nr;
	sb->bio.end_io = end_swap_bio_write;
	for (unsigned int i = 0; i < nr; i++) {
		struct page *page = pages[i];

		sb->bio.phys[i] = (uint64_t)pfn_of(page) << PAGE_SHIFT;
		SetPageFlag(page, PG_writeback);
		ClearPageFlag(page, PG_dirty);
		/* Reclaim's hold ends: the write's end puts it back. */
		ClearPageFlag(page, PG_isolated);
		unlock_page(page);
	}
	atomic_fetch_add(&nr_writeback_pages, (long)nr);
	mod_node_page_state(node_data0, NR_WRITEBACK, (long)nr);
	count_vm_events(PSWPOUT, nr);
	count_vm_events(PGPGOUT, nr * (PAGE_SIZE >> 10));
	mod_node_page_state(node_data0, NR_VMSCAN_WRITE, (long)nr);
	if (async) {
		arch_blkdev_submit(si->bdev, &sb->bio);
	} else {
		arch_blkdev_rw_sync(si->bdev, &sb->bio);
		swap_write_done(sb);
	}
}

/* Said once the pages are unlocked: printing may wait for the console. */
void swap_read_error(swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info[swp_type(entry)];

	if (io_ratelimit())
		pr_alert("Read-error on swap-device (%u:%u:%llu)\n", si->major, si->minor,
			 (unsigned long long)(swp_offset(entry) << (PAGE_SHIFT - 9)));
}

int swap_readpages(struct page **pages, unsigned int nr, swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info[swp_type(entry)];
	struct arch_bio bio;
	int err;

	memset(&bio, 0, sizeof(bio));
	bio.off = (uint64_t)swp_offset(entry) << PAGE_SHIFT;
	bio.nr_pages = nr;
	for (unsigned int i = 0; i < nr; i++)
		bio.phys[i] = (uint64_t)pfn_of(pages[i]) << PAGE_SHIFT;
	err = arch_blkdev_rw_sync(si->bdev, &bio);
	if (err)
		return err;
	count_vm_events(PSWPIN, nr);
	count_vm_events(PGPGIN, nr * (PAGE_SIZE >> 10));
	return 0;
}
