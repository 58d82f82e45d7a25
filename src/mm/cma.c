// SPDX-License-Identifier: MIT
/*
 * CMA, the contiguous memory allocator: the seed's "allocate memory as
 * soon as possible, before memory gets fragmented", done once at boot for
 * everyone.
 *
 * What it manages. `cma=SIZE` reserves one physically contiguous area
 * through memblock while boot still owns all of RAM, aligned to a 4 MiB
 * (order-10) block. The buddy allocator never sees it, so no kmalloc, slab
 * or page allocation can fragment it; cma_alloc() hands out runs of it
 * (any length, aligned as asked) long after the rest of memory is in
 * pieces, and cma_release() takes them back.
 *
 * Where this differs from Linux: Linux lends a CMA area to the buddy
 * allocator for movable pages and migrates them away when cma_alloc()
 * needs the space. mmkit has no page migration yet, so its area is not
 * lent: it is counted in CmaTotal but not in MemTotal, and CmaFree is
 * what cma_alloc() could still give.
 *
 * Pages. Every frame of the area keeps PG_reserved (the page allocator
 * refuses to free one and its checker counts them as reserved). A free
 * frame is a PGS_TAIL page with no references; an allocated one is a
 * PGS_ALLOC order-0 page with its own reference, as the pages of Linux's
 * alloc_contig_range() are, so page_address(), get_page() and the DMA
 * API treat them like any allocated page.
 *
 * Locking: cma->lock guards the bitmap (one bit per frame, set when
 * allocated) and the area's pages' states.
 */
#include <string.h>

#include "cma.h"
#include "vmstat.h"
#include "../lib/spinlock.h"

struct cma {
	unsigned long base_pfn;
	unsigned long count;		/* frames */
	unsigned long *bitmap;		/* 1: allocated */
	spinlock_t lock;
	const char *name;
};

#define BITS_PER_LONG	(8 * sizeof(unsigned long))
#define CMA_ALIGN	((phys_addr_t)PAGE_SIZE << MAX_PAGE_ORDER)

static struct cma cma_area;
struct cma *mmk_dma_contiguous_default_area;

static bool cma_bit(const struct cma *cma, unsigned long i)
{
	return cma->bitmap[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static void cma_set_bits(struct cma *cma, unsigned long i, unsigned long n, bool set)
{
	for (; n; i++, n--) {
		if (set)
			cma->bitmap[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
		else
			cma->bitmap[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
	}
}

/* At boot, before the buddy allocator takes RAM: reserve @bytes. */
int cma_reserve(uint64_t bytes)
{
	phys_addr_t base;

	memset(&cma_area, 0, sizeof(cma_area));
	mmk_dma_contiguous_default_area = NULL;
	if (!bytes)
		return 0;
	/* Within one zone, as Linux keeps a CMA area: above ZONE_DMA if it
	 * fits there, else inside it. */
	base = memblock_phys_alloc_range(bytes, CMA_ALIGN, (phys_addr_t)normal_start_pfn << PAGE_SHIFT,
					 (phys_addr_t)max_pfn << PAGE_SHIFT, "cma");
	if (base == MEMBLOCK_ALLOC_FAIL)
		base = memblock_phys_alloc_range(bytes, CMA_ALIGN, 0,
						 (phys_addr_t)normal_start_pfn << PAGE_SHIFT, "cma");
	if (base == MEMBLOCK_ALLOC_FAIL) {
		pr_err("cma: Failed to reserve %llu MiB\n", (unsigned long long)(bytes >> 20));
		return -12;	/* -ENOMEM */
	}
	cma_area.base_pfn = (unsigned long)(base >> PAGE_SHIFT);
	cma_area.count = (unsigned long)(bytes >> PAGE_SHIFT);
	cma_area.bitmap = memblock_alloc_named((cma_area.count + BITS_PER_LONG - 1) / BITS_PER_LONG *
					 sizeof(unsigned long), 64, "cma bitmap");
	if (!cma_area.bitmap)
		return -12;
	cma_area.name = "reserved";	/* Linux's name for the cma= area */
	spin_lock_init(&cma_area.lock);
	return 0;
}

/* After the buddy allocator has RAM: count the area in its zones. */
void cma_activate(void)
{
	if (!cma_area.count)
		return;
	for (unsigned long pfn = cma_area.base_pfn; pfn < cma_area.base_pfn + cma_area.count;
	     pfn++) {
		struct zone *zone = page_zone(page_of(pfn));

		zone->cma_pages++;
		mod_zone_page_state(zone, NR_FREE_CMA_PAGES, 1);
	}
	mmk_dma_contiguous_default_area = &cma_area;
}

static bool cma_bad(const char *fn, const struct cma *cma)
{
	if (not_booted())
		return true;
	if (!cma || cma != &cma_area || !cma->count) {
		pr_warn("WARNING: %s: %p is not a CMA area of this machine (boot with cma=SIZE)\n",
			fn, (const void *)cma);
		return true;
	}
	return false;
}

static void cma_account(unsigned long pfn, unsigned long count, long sign)
{
	for (unsigned long p = pfn; p < pfn + count; p++)
		mod_zone_page_state(page_zone(page_of(p)), NR_FREE_CMA_PAGES, sign);
}

struct page *mmk_cma_alloc(struct cma *cma, unsigned long count, unsigned int align,
			   bool no_warn)
{
	unsigned long mask, start = 0, found = ~0UL;

	if (cma_bad("cma_alloc", cma) || !count)
		return NULL;
	might_sleep();
	if (align > 31 || (1UL << align) > cma->count) {
		if (!no_warn)
			pr_err("cma: cma_alloc: %s: alignment order %u is larger than the area\n",
			       cma->name, align);
		count_vm_event(CMA_ALLOC_FAIL);
		return NULL;
	}
	mask = (1UL << align) - 1;

	spin_lock(&cma->lock);
	/* First fit: the lowest run of @count free frames whose first pfn
	 * is aligned to 2^@align. */
	while (count <= cma->count) {
		unsigned long i, pfn = cma->base_pfn + start;

		start += ((pfn + mask) & ~mask) - pfn;
		if (start + count > cma->count)
			break;
		for (i = 0; i < count && !cma_bit(cma, start + i); i++)
			;
		if (i == count) {
			found = start;
			break;
		}
		start += i + 1;
	}
	if (found != ~0UL) {
		cma_set_bits(cma, found, count, true);
		cma_account(cma->base_pfn + found, count, -1);
		for (unsigned long i = 0; i < count; i++) {
			struct page *page = page_of(cma->base_pfn + found + i);

			page->pg_state = PGS_ALLOC;
			page->pg_order = 0;
			page->private = 0;
			atomic_store_explicit(&page->_refcount, 1, memory_order_relaxed);
		}
	}
	spin_unlock(&cma->lock);

	/* Counted per call, as mainline Linux's count_vm_event(). */
	if (found == ~0UL) {
		count_vm_event(CMA_ALLOC_FAIL);
		if (!no_warn)
			pr_err("cma: cma_alloc: %s: alloc failed, req-size: %lu pages, ret: -12\n",
			       cma->name, count);
		return NULL;
	}
	count_vm_event(CMA_ALLOC_SUCCESS);
	return page_of(cma->base_pfn + found);
}

bool mmk_cma_release(struct cma *cma, const struct page *pages, unsigned long count)
{
	unsigned long pfn, first;

	if (!pages || cma_bad("cma_release", cma))
		return false;
	if (pages < mem_map || pages >= mem_map + max_pfn)
		return false;
	pfn = pfn_of(pages);
	/* Not from this area: false, as Linux's (the caller tries elsewhere). */
	if (pfn < cma->base_pfn || pfn >= cma->base_pfn + cma->count)
		return false;
	first = pfn - cma->base_pfn;
	spin_lock(&cma->lock);
	if (count > cma->count - first) {
		spin_unlock(&cma->lock);
		bad_page(pages, "cma_release() of a range that runs past the end of the CMA area");
		return false;
	}
	for (unsigned long i = 0; i < count; i++) {
		const struct page *page = page_of(pfn + i);

		if (!cma_bit(cma, first + i) || page->pg_state != PGS_ALLOC) {
			spin_unlock(&cma->lock);
			bad_page(page, "cma_release() of a CMA page that is not allocated (a double release?)");
			return false;
		}
		if (atomic_load_explicit(&page->_refcount, memory_order_relaxed) != 1) {
			spin_unlock(&cma->lock);
			bad_page(page, "cma_release() of a CMA page someone still holds a reference to");
			return false;
		}
	}
	for (unsigned long i = 0; i < count; i++) {
		struct page *page = page_of(pfn + i);

		page->pg_state = PGS_TAIL;
		page->flags = 1UL << PG_reserved;
		atomic_store_explicit(&page->_refcount, 0, memory_order_relaxed);
	}
	cma_set_bits(cma, first, count, false);
	cma_account(pfn, count, 1);
	spin_unlock(&cma->lock);
	return true;
}

unsigned long mmk_cma_get_size(const struct cma *cma)
{
	return cma ? cma->count << PAGE_SHIFT : 0;
}

phys_addr_t mmk_cma_get_base(const struct cma *cma)
{
	return cma ? (phys_addr_t)cma->base_pfn << PAGE_SHIFT : 0;
}

const char *mmk_cma_get_name(const struct cma *cma)
{
	return cma ? cma->name : NULL;
}

/* For mmk_check(): is @pfn in the CMA area, and the area consistent? */
bool pfn_in_cma(unsigned long pfn)
{
	return cma_area.count && pfn >= cma_area.base_pfn &&
	       pfn < cma_area.base_pfn + cma_area.count;
}

long cma_check(FILE *out)
{
	unsigned long used = 0;
	long problems = 0;

	if (!cma_area.count)
		return 0;
	spin_lock(&cma_area.lock);
	for (unsigned long i = 0; i < cma_area.count; i++) {
		const struct page *page = page_of(cma_area.base_pfn + i);
		bool alloc = cma_bit(&cma_area, i);

		used += alloc;
		if (!PageReserved(page) ||
		    page->pg_state != (alloc ? PGS_ALLOC : PGS_TAIL)) {
			if (out && problems < 20)
				fprintf(out, "mmk_check: cma: pfn %#lx is %s in the bitmap but has state %u, flags %#lx\n",
					cma_area.base_pfn + i, alloc ? "allocated" : "free",
					page->pg_state, page->flags);
			problems++;
		}
	}
	spin_unlock(&cma_area.lock);
	{
		unsigned long free = 0;
		struct zone *zone;

		for_each_populated_zone(zone)
			free += zone_page_state(zone, NR_FREE_CMA_PAGES);
		if (free != cma_area.count - used) {
			if (out)
				fprintf(out, "mmk_check: cma: nr_free_cma is %lu, the bitmap has %lu free\n",
					free, cma_area.count - used);
			problems++;
		}
	}
	return problems;
}
