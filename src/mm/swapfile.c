// SPDX-License-Identifier: MIT
/*
 * Swap devices and their slots.
 *
 * A swap device is a host file (swap=PATH:SIZE[:PRIO]) laid out as Linux's
 * mkswap lays it out: page 0 is the swap header (boot bits, version 1,
 * last_page, the bad-page list, a UUID and a label, and the signature
 * "SWAPSPACE2" in its last 10 bytes), so util-linux's swapon, swaplabel and
 * blkid recognise the file. Pages go to slots 1 .. last_page. An existing
 * file with a valid header of the right size is reused as it is (its UUID
 * kept); an empty one is formatted; a non-empty file without the signature
 * is refused, never overwritten: it may be somebody's data.
 *
 * Slots. swap_map[] holds one byte per slot: how many PTEs hold the slot's
 * swap entry (0..SWAP_MAP_MAX) plus SWAP_HAS_CACHE while a swap cache page
 * stands for it; a slot is free when the byte is 0. cache[] holds that
 * page's pfn + 1. Both are kernel memory of the machine (vzalloc), five
 * bytes per slot, as Linux's swap_map and swap cache cost it, plus one
 * byte for the checker's counts (allocated here: mmk_check allocates
 * nothing).
 *
 * Clusters. Slots are handed out in clusters of 256, as Linux does: each
 * CPU takes a free cluster and fills it in order, so a batch of pages that
 * reclaim takes together lands in consecutive slots (one write), and comes
 * back with one read. When no cluster is wholly free, any free slot will do
 * (the device is then fragmented, and I/O gets smaller).
 *
 * Priorities. Devices are used highest priority first; devices of equal
 * priority take turns, one batch each, as swapon(8) documents. Without
 * :PRIO they get -2, -3, ... in order, as Linux gives them.
 *
 * Locking: si->lock guards one device's swap_map, cache, clusters and
 * counters. swap_lock guards the device table; devices are added at boot
 * and removed at shutdown only, so the allocation path reads the table
 * without it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "swap.h"
#include "vmstat.h"

struct swap_info_struct *swap_info[MAX_SWAPFILES];
unsigned int nr_swapfiles;
atomic_long nr_swap_pages;
long total_swap_pages;

/* Devices in allocation order: priority, highest first. */
static struct swap_info_struct *swap_avail[MAX_SWAPFILES];
static _Atomic unsigned int swap_rotor;

/* ---- The header: Linux's union swap_header ------------------------------- */

#define SWAP_MAGIC	"SWAPSPACE2"
#define SWAP_MAGIC_LEN	10
#define SWAP_MIN_PAGES	10		/* mkswap's minimum */

struct swap_header_info {
	char bootbits[1024];
	uint32_t version;
	uint32_t last_page;
	uint32_t nr_badpages;
	unsigned char sws_uuid[16];
	unsigned char sws_volume[16];
	uint32_t padding[117];
	uint32_t badpages[1];
};
_Static_assert(sizeof(struct swap_header_info) == 1024 + 4 * 3 + 32 + 4 * 118,
	       "the swap header's layout is Linux's");

/* ---- Boot option ---------------------------------------------------------- */

/* PATH:SIZE or PATH:SIZE:PRIO, PATH taken up to the last colon that
 * leaves a size (a path may hold colons). */
int swap_parse_option(const char *val, struct swap_param *out, const char **why)
{
	const char *c1 = strrchr(val, ':'), *size_s;
	char sizebuf[32];
	size_t plen;

	memset(out, 0, sizeof(*out));
	if (!c1) {
		*why = "expected PATH:SIZE[:PRIO]";
		return -EINVAL;
	}
	size_s = c1 + 1;
	plen = (size_t)(c1 - val);
	/* PATH:SIZE:PRIO when what follows the last colon is an integer and
	 * what precedes it ends in :SIZE. */
	{
		char *end;
		long prio = strtol(c1 + 1, &end, 10);
		const char *c0 = NULL;

		for (const char *p = val; p < c1; p++)
			if (*p == ':')
				c0 = p;
		if (c0 && c1[1] && !*end) {
			uint64_t tmp;
			size_t n = (size_t)(c1 - c0 - 1);

			if (n < sizeof(sizebuf)) {
				memcpy(sizebuf, c0 + 1, n);
				sizebuf[n] = '\0';
				if (!parse_size(sizebuf, &tmp)) {
					if (prio < -1 || prio > 32767) {
						*why = "priority must be between -1 and 32767";
						return -EINVAL;
					}
					out->prio = (int)prio;
					out->has_prio = true;
					size_s = sizebuf;
					plen = (size_t)(c0 - val);
				}
			}
		}
	}
	if (!plen) {
		*why = "no path before the size";
		return -EINVAL;
	}
	if (plen >= sizeof(out->path)) {
		*why = "path too long";
		return -EINVAL;
	}
	memcpy(out->path, val, plen);
	out->path[plen] = '\0';
	if (parse_size(size_s, &out->size)) {
		*why = "not a size (use a number with K, M or G)";
		return -EINVAL;
	}
	if (out->size % PAGE_SIZE) {
		*why = "size not a multiple of the 4K page size";
		return -EINVAL;
	}
	if (out->size < SWAP_MIN_PAGES * PAGE_SIZE) {
		*why = "size below 40K, the smallest swap area mkswap makes";
		return -EINVAL;
	}
	if ((out->size >> PAGE_SHIFT) - 1 > UINT32_MAX - 1) {
		*why = "size above the 16T a swap header can describe";
		return -EINVAL;
	}
	return 0;
}

/* ---- swapon / swapoff ------------------------------------------------------------ */

static void make_uuid(unsigned char *uuid)
{
	uint64_t x = arch_now_ns() ^ ((uint64_t)arch_current_pid() << 32);

	for (int i = 0; i < 16; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uuid[i] = (unsigned char)x;
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40;	/* version 4, random */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
}

/* Read or write the header of @si (page 0 of the device). */
static int swap_header(struct swap_info_struct *si, const struct swap_param *p,
		       bool created, uint64_t size_now)
{
	unsigned char *hdr = kzalloc(PAGE_SIZE, GFP_KERNEL);
	struct swap_header_info *info = (void *)hdr;
	uint32_t last_page = (uint32_t)((p->size >> PAGE_SHIFT) - 1);
	int err;

	if (!hdr)
		return -ENOMEM;
	if (size_now >= PAGE_SIZE) {
		err = arch_blkdev_pio(si->bdev, false, 0, hdr, PAGE_SIZE);
		if (err)
			goto out;
	} else if (size_now && !created) {
		/* Too short for a header: data of some other kind. */
		err = arch_blkdev_pio(si->bdev, false, 0, hdr, (size_t)size_now);
		if (err)
			goto out;
	}
	if (size_now == p->size &&
	    !memcmp(hdr + PAGE_SIZE - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN) &&
	    info->version == 1 && info->last_page == last_page &&
	    info->nr_badpages <= (PAGE_SIZE - offsetof(struct swap_header_info, badpages)) / 4) {
		/* A swap area of this size: reuse it, bad pages and all. */
		memcpy(si->uuid, info->sws_uuid, 16);
		for (uint32_t i = 0; i < info->nr_badpages; i++) {
			uint32_t b = info->badpages[i];

			if (b > 0 && b <= last_page && si->swap_map[b] != SWAP_MAP_BAD) {
				si->swap_map[b] = SWAP_MAP_BAD;
				si->cluster_used[b / SWAPFILE_CLUSTER]++;
				si->pages--;
			}
		}
		goto out;
	}
	if (!created && memcmp(hdr + PAGE_SIZE - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN)) {
		err = -EEXIST;	/* somebody's data: not ours to format */
		goto out;
	}
	/* Format it, as mkswap does (a swap area of another size is
	 * reformatted to the size asked for). */
	err = arch_blkdev_set_size(si->bdev, p->size);
	if (err)
		goto out;
	memset(hdr, 0, PAGE_SIZE);
	info->version = 1;
	info->last_page = last_page;
	make_uuid(info->sws_uuid);
	memcpy(si->uuid, info->sws_uuid, 16);
	memcpy(hdr + PAGE_SIZE - SWAP_MAGIC_LEN, SWAP_MAGIC, SWAP_MAGIC_LEN);
	err = arch_blkdev_pio(si->bdev, true, 0, hdr, PAGE_SIZE);
out:
	kfree(hdr);
	return err;
}

static void swap_info_free(struct swap_info_struct *si)
{
	if (si->bdev)
		arch_blkdev_close(si->bdev);
	vfree(si->swap_map);
	vfree(si->cache);
	vfree(si->cluster_used);
	vfree(si->check_count);
	kfree(si);
}

static int swapon_one(const struct swap_param *p, int default_prio)
{
	struct swap_info_struct *si = kzalloc(sizeof(*si), GFP_KERNEL);
	struct arch_blkdev_info info;
	int err;

	if (!si)
		return -ENOMEM;
	spin_lock_init(&si->lock);
	snprintf(si->path, sizeof(si->path), "%s", p->path);
	si->prio = p->has_prio ? p->prio : default_prio;
	si->max = p->size >> PAGE_SHIFT;
	si->pages = si->max - 1;
	si->nr_clusters = (si->max + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
	si->swap_map = vzalloc(si->max);
	si->cache = vzalloc(si->max * sizeof(uint32_t));
	si->cluster_used = vzalloc(si->nr_clusters * sizeof(unsigned int));
	/* The checker's counts, allocated now: mmk_check() allocates nothing
	 * (it runs with mmap_lock held, and in test children whose RAM is
	 * the parent's). */
	si->check_count = vzalloc(si->max);
	if (!si->swap_map || !si->cache || !si->cluster_used || !si->check_count) {
		pr_err("mmkit: swap=%s: no memory for the swap map of %lu slots (%lu KiB of kernel memory)\n",
		       p->path, si->max, si->max * 6 >> 10);
		swap_info_free(si);
		return -ENOMEM;
	}
	/* Slot 0 is the header; slots past the end of the last cluster
	 * do not exist: both count as used so no search returns them. */
	si->swap_map[0] = SWAP_MAP_BAD;
	si->cluster_used[0] = 1;
	if (si->max % SWAPFILE_CLUSTER)
		si->cluster_used[si->nr_clusters - 1] +=
			SWAPFILE_CLUSTER - (unsigned int)(si->max % SWAPFILE_CLUSTER);

	err = arch_blkdev_open(p->path, &si->bdev, &info);
	if (err) {
		pr_err("mmkit: swap=%s: cannot open the swap file: %s\n", p->path,
		       err == -EINVAL ? "not a regular file" : strerror(-err));
		si->bdev = NULL;
		swap_info_free(si);
		return err == -EINVAL ? -EINVAL : err;
	}
	si->major = info.major;
	si->minor = info.minor;
	err = swap_header(si, p, info.created, info.size);
	if (err) {
		if (err == -EEXIST)
			pr_err("mmkit: swap=%s: the file holds data and no swap signature (SWAPSPACE2): refusing to overwrite it; remove it or name another path\n",
			       p->path);
		else
			pr_err("mmkit: swap=%s: cannot read or write the swap header: %s\n",
			       p->path, strerror(-err));
		swap_info_free(si);
		return err == -EEXIST ? -EINVAL : err;
	}
	si->writeok = true;
	si->type = nr_swapfiles;
	swap_info[nr_swapfiles++] = si;
	total_swap_pages += (long)si->pages;
	atomic_fetch_add(&nr_swap_pages, (long)si->pages);
	pr_info("Adding %luk swap on %s.  Priority:%d extents:1 across:%luk FS\n",
		si->pages << (PAGE_SHIFT - 10), si->path, si->prio,
		si->pages << (PAGE_SHIFT - 10));
	return 0;
}

int swapon_all(const struct swap_param *params, unsigned int n)
{
	int least = -1;

	for (unsigned int i = 0; i < n; i++) {
		int err = swapon_one(&params[i], params[i].has_prio ? 0 : --least);

		if (err) {
			swapoff_all();
			return err;
		}
	}
	/* Allocation order: priority, highest first (stable). */
	for (unsigned int i = 0; i < nr_swapfiles; i++) {
		unsigned int j = i;

		swap_avail[i] = swap_info[i];
		while (j && swap_avail[j - 1]->prio < swap_avail[j]->prio) {
			struct swap_info_struct *t = swap_avail[j - 1];

			swap_avail[j - 1] = swap_avail[j];
			swap_avail[j] = t;
			j--;
		}
	}
	return 0;
}

void swapoff_all(void)
{
	for (unsigned int i = 0; i < nr_swapfiles; i++) {
		swap_info_free(swap_info[i]);
		swap_info[i] = NULL;
		swap_avail[i] = NULL;
	}
	nr_swapfiles = 0;
	total_swap_pages = 0;
	swap_io_ratelimit_reset();
	atomic_store(&nr_swap_pages, 0);
}

void swap_io_drain(void)
{
	for (unsigned int i = 0; i < nr_swapfiles; i++)
		arch_blkdev_drain(swap_info[i]->bdev);
}

int mmk_swap_inject(int op, int error, unsigned int count)
{
	if (not_booted())
		return -ENODEV;
	if (op != MMK_SWAP_READ && op != MMK_SWAP_WRITE)
		return -EINVAL;
	if (error != -EIO && error != -ENOSPC && error != MMK_SWAP_SHORT)
		return -EINVAL;
	if (!nr_swapfiles)
		return -ENODEV;
	for (unsigned int i = 0; i < nr_swapfiles; i++)
		arch_blkdev_inject(swap_info[i]->bdev, op == MMK_SWAP_WRITE,
				   error == MMK_SWAP_SHORT ? ARCH_IO_SHORT : error, count);
	return 0;
}

/* ---- Slots -------------------------------------------------------------------- */

/* A slot's count dropped to nothing: free it (si->lock held). */
void swap_slot_free_locked(struct swap_info_struct *si, unsigned long off)
{
	si->swap_map[off] = 0;
	si->cluster_used[off / SWAPFILE_CLUSTER]--;
	si->inuse_pages--;
	atomic_fetch_add(&nr_swap_pages, 1);
}

static void slot_take(struct swap_info_struct *si, unsigned long off)
{
	si->swap_map[off] = SWAP_HAS_CACHE;
	si->cluster_used[off / SWAPFILE_CLUSTER]++;
	si->inuse_pages++;
	atomic_fetch_sub(&nr_swap_pages, 1);
}

/* A wholly free cluster's first slot, or 0 (si->lock held). */
static unsigned long free_cluster(struct swap_info_struct *si)
{
	for (unsigned long i = 0; i < si->nr_clusters; i++) {
		unsigned long c = (si->next_cluster + i) % si->nr_clusters;

		if (!si->cluster_used[c]) {
			si->next_cluster = (c + 1) % si->nr_clusters;
			return c * SWAPFILE_CLUSTER;
		}
	}
	return 0;
}

/* Any free slot (a fragmented device), or 0. */
static unsigned long any_free_slot(struct swap_info_struct *si)
{
	for (unsigned long c = 0; c < si->nr_clusters; c++) {
		if (si->cluster_used[c] >= SWAPFILE_CLUSTER)
			continue;
		for (unsigned long off = c * SWAPFILE_CLUSTER;
		     off < (c + 1) * SWAPFILE_CLUSTER && off < si->max; off++)
			if (!si->swap_map[off])
				return off;
	}
	return 0;
}

static unsigned int scan_swap_map(struct swap_info_struct *si, unsigned int nr,
				  swp_entry_t *entries)
{
	int cpu = arch_smp_processor_id();
	unsigned int got = 0;

	spin_lock(&si->lock);
	while (got < nr && si->inuse_pages < si->pages) {
		unsigned long off = si->cpu_next[cpu];

		if (!off || off >= si->max || off % SWAPFILE_CLUSTER == 0 || si->swap_map[off]) {
			off = free_cluster(si);
			if (!off && !(off = any_free_slot(si)))
				break;
		}
		if (si->swap_map[off]) {
			si->cpu_next[cpu] = 0;
			continue;
		}
		slot_take(si, off);
		entries[got++] = swp_entry(si->type, off);
		si->cpu_next[cpu] = off + 1;
	}
	spin_unlock(&si->lock);
	return got;
}

unsigned int get_swap_pages(unsigned int nr, swp_entry_t *entries)
{
	unsigned int got = 0, n = nr_swapfiles;

	if (atomic_load(&nr_swap_pages) <= 0)
		return 0;
	for (unsigned int i = 0; i < n && got < nr; i++) {
		struct swap_info_struct *si = swap_avail[i];
		unsigned int same = 1, start;

		if (!si->writeok)
			continue;
		/* Take turns among the devices of this priority. */
		while (i + same < n && swap_avail[i + same]->prio == si->prio)
			same++;
		start = atomic_fetch_add(&swap_rotor, 1);
		for (unsigned int k = 0; k < same && got < nr; k++)
			got += scan_swap_map(swap_avail[i + (start + k) % same], nr - got,
					     entries + got);
		i += same - 1;
	}
	return got;
}

struct swap_info_struct *swp_info(swp_entry_t entry)
{
	unsigned int type = swp_type(entry);
	unsigned long off = swp_offset(entry);
	struct swap_info_struct *si = type < nr_swapfiles ? swap_info[type] : NULL;

	if (!si || !off || off >= si->max || si->swap_map[off] == SWAP_MAP_BAD) {
		pr_err("swap_info_get: %s%08lx\n", si ? "Bad offset " : "Bad swap file entry ",
		       entry.val);
		return NULL;
	}
	return si;
}

unsigned char swap_count(swp_entry_t entry)
{
	struct swap_info_struct *si = swp_info(entry);
	unsigned char c;

	if (!si)
		return 0;
	spin_lock(&si->lock);
	c = si->swap_map[swp_offset(entry)];
	spin_unlock(&si->lock);
	return c;
}

/*
 * A PTE holding @entry went away (munmap, or a fault mapped the page). When
 * nothing else holds the slot it is free; a swap cache page left standing
 * for nothing is then the caller's to drop (swap_free_entry_page()).
 */
static struct page *swap_put_ref(swp_entry_t entry)
{
	struct swap_info_struct *si = swp_info(entry);
	unsigned long off = swp_offset(entry);
	struct page *page = NULL;
	unsigned char c;

	if (!si)
		return NULL;
	spin_lock(&si->lock);
	c = si->swap_map[off];
	if (!(c & ~SWAP_HAS_CACHE)) {
		spin_unlock(&si->lock);
		pr_err("swap_free: %s%08lx: slot has no reference to drop\n", "Unused swap offset entry ",
		       entry.val);
		return NULL;
	}
	c--;
	si->swap_map[off] = c;
	if (!c) {
		swap_slot_free_locked(si, off);
	} else if (c == SWAP_HAS_CACHE && si->cache[off]) {
		page = page_of(si->cache[off] - 1);
		atomic_fetch_add(&page->_refcount, 1);
	}
	spin_unlock(&si->lock);
	return page;
}

void swap_put_pte_ref(swp_entry_t entry)
{
	struct swap_info_struct *si = swp_info(entry);
	unsigned long off = swp_offset(entry);

	if (!si)
		return;
	spin_lock(&si->lock);
	if (si->swap_map[off] & ~SWAP_HAS_CACHE) {
		si->swap_map[off]--;
		if (!si->swap_map[off])
			swap_slot_free_locked(si, off);
	}
	spin_unlock(&si->lock);
}

void swap_get_pte_ref(swp_entry_t entry)
{
	struct swap_info_struct *si = swap_info[swp_type(entry)];

	spin_lock(&si->lock);
	si->swap_map[swp_offset(entry)]++;
	spin_unlock(&si->lock);
}

/*
 * munmap of a swap PTE: drop its reference, and if only the swap cache
 * still stands for the slot, drop that page too, unless it is being
 * written (the write's end frees it) or mapped again. Runs under mmap_lock
 * held for writing: the frame is freed after it (defer_free_frames()).
 */
void swap_free_entry(struct mm_struct *mm, swp_entry_t entry)
{
	struct page *page = swap_put_ref(entry);

	if (!page)
		return;
	lock_page(page);
	if (PageFlag(page, PG_swapcache) && page->private == entry.val &&
	    !PageFlag(page, PG_writeback) && !page->mapping &&
	    swap_count(entry) == SWAP_HAS_CACHE) {
		lru_del(page);
		delete_from_swap_cache(page);
		unlock_page(page);
		atomic_fetch_sub(&page->_refcount, 1);	/* ours; the cache's remains */
		ClearPageFlag(page, PG_dirty);
		defer_free_frames(mm, pfn_of(page), 1);
		return;
	}
	unlock_page(page);
	put_page(page);
}

/* ---- The checker ---------------------------------------------------------------- */

int swap_check_begin(void)
{
	for (unsigned int i = 0; i < nr_swapfiles; i++)
		memset(swap_info[i]->check_count, 0, swap_info[i]->max);
	return 0;
}

bool swap_check_pte(swp_entry_t entry)
{
	unsigned int type = swp_type(entry);
	unsigned long off = swp_offset(entry);

	if (type >= nr_swapfiles || !off || off >= swap_info[type]->max)
		return false;
	if (swap_info[type]->check_count[off] < 255)
		swap_info[type]->check_count[off]++;
	return (swap_info[type]->swap_map[off] & ~SWAP_HAS_CACHE) != 0 &&
	       swap_info[type]->swap_map[off] != SWAP_MAP_BAD;
}

/* At most 20 problems are described; all are counted. */
#define problem(...) do { if (out && problems < 20) fprintf(out, "mmk_check: swap: " __VA_ARGS__); problems++; } while (0)

long swap_check_end(FILE *out)
{
	long problems = 0, free_total = 0;

	for (unsigned int t = 0; t < nr_swapfiles; t++) {
		struct swap_info_struct *si = swap_info[t];
		unsigned long inuse = 0, bad = 0;

		spin_lock(&si->lock);
		for (unsigned long c = 0; c < si->nr_clusters; c++) {
			unsigned int used = 0;

			for (unsigned long off = c * SWAPFILE_CLUSTER;
			     off < (c + 1) * SWAPFILE_CLUSTER; off++) {
				unsigned char m, cnt;
				unsigned long pfn;

				if (off >= si->max) {
					used++;	/* past the end: counted as used */
					continue;
				}
				m = si->swap_map[off];
				used += m != 0;
				if (m == SWAP_MAP_BAD) {
					bad += off != 0;
					continue;
				}
				inuse += m != 0;
				cnt = m & ~SWAP_HAS_CACHE;
				if (cnt != si->check_count[off])
					problem("%s slot %lu: swap count %u but %u PTEs hold it\n",
						si->path, off, cnt, si->check_count[off]);
				pfn = si->cache[off];
				if (!(m & SWAP_HAS_CACHE) != !pfn) {
					problem("%s slot %lu: swap_map %#x but the cache %s a page\n",
						si->path, off, m, pfn ? "holds" : "has no");
					continue;
				}
				if (!pfn)
					continue;
				pfn--;
				if (pfn >= max_pfn) {
					problem("%s slot %lu: cache names pfn %#lx beyond RAM\n",
						si->path, off, pfn);
					continue;
				}
				{
					struct page *page = page_of(pfn);

					if (!PageFlag(page, PG_swapcache) ||
					    page->private != swp_entry(t, off).val)
						problem("%s slot %lu: cache page pfn %#lx is not in the swap cache for this slot (private %#lx)\n",
							si->path, off, pfn, page->private);
					if (!cnt && !page->mapping && !PageFlag(page, PG_writeback) &&
					    !PageFlag(page, PG_lru))
						problem("%s slot %lu: cache page pfn %#lx stands for no reference, is not mapped and not on the LRU: leaked\n",
							si->path, off, pfn);
				}
			}
			if (used != si->cluster_used[c])
				problem("%s cluster %lu: %u slots used but its count says %u\n",
					si->path, c, used, si->cluster_used[c]);
		}
		if (inuse != si->inuse_pages)
			problem("%s: %lu slots used but inuse_pages is %lu\n", si->path, inuse,
				si->inuse_pages);
		if (si->pages + bad != si->max - 1)
			problem("%s: %lu usable and %lu bad slots do not add up to %lu\n",
				si->path, si->pages, bad, si->max - 1);
		free_total += (long)(si->pages - si->inuse_pages);
		spin_unlock(&si->lock);
	}
	if (problems > 20 && out)
		fprintf(out, "mmk_check: swap: ... %ld problems in all\n", problems);
	if (free_total != atomic_load(&nr_swap_pages))
		problem("%ld slots free on the devices but nr_swap_pages is %ld\n", free_total,
			atomic_load(&nr_swap_pages));
	return problems;
}
