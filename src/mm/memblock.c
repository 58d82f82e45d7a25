// SPDX-License-Identifier: MIT
/*
 * memblock: the boot-time memory allocator.
 *
 * 1. What it manages. Before the buddy allocator exists, the kernel still
 *    needs memory: for mem_map (the struct page array), for the zones and
 *    per-CPU pagesets, for anything reserved at boot (CMA, big DMA buffers).
 *    memblock keeps two sorted arrays of physical ranges: `memory`, the RAM
 *    the machine has, and `reserved`, what has been taken from it. An
 *    allocation is a search, top-down as Linux does, for a gap in `memory`
 *    not covered by `reserved`, which is then added to `reserved`.
 *
 * 2. Invariants. Each array is sorted by base; its regions neither overlap
 *    nor touch (touching regions are merged, unless they are reserved under
 *    different names, which iomem wants to show apart). total_size is the
 *    sum of the sizes.
 *
 * 3. Hand-over. memblock_free_all() gives every frame in `memory` that is not
 *    `reserved` to the buddy allocator, in the largest naturally aligned
 *    blocks that fit, and marks reserved frames PG_reserved. The arrays stay,
 *    read-only, as the record of what boot took (iomem, meminfo's
 *    reservations).
 *
 * 4. Locking: none. memblock runs on the boot CPU before any other CPU can
 *    call in, and is read-only afterwards.
 */
#include <string.h>

#include "internal.h"

struct memblock_type memblock_memory, memblock_reserved;

void memblock_init(void)
{
	memset(&memblock_memory, 0, sizeof(memblock_memory));
	memset(&memblock_reserved, 0, sizeof(memblock_reserved));
}

static int memblock_insert(struct memblock_type *type, phys_addr_t base,
			   phys_addr_t size, const char *name)
{
	unsigned long i;

	if (!size)
		return 0;
	if (type->cnt == sizeof(type->regions) / sizeof(type->regions[0])) {
		pr_err("memblock: no room for another region [%#llx-%#llx]\n",
		       (unsigned long long)base,
		       (unsigned long long)(base + size - 1));
		return -1;
	}
	for (i = 0; i < type->cnt; i++)
		if (type->regions[i].base > base)
			break;
	memmove(&type->regions[i + 1], &type->regions[i],
		(type->cnt - i) * sizeof(type->regions[0]));
	type->regions[i] = (struct memblock_region){ base, size, name };
	type->cnt++;
	type->total_size += size;

	/* Merge with neighbours that touch and carry the same name. */
	for (i = 0; i + 1 < type->cnt;) {
		struct memblock_region *a = &type->regions[i], *b = a + 1;

		if (a->base + a->size == b->base && a->name == b->name) {
			a->size += b->size;
			memmove(b, b + 1, (type->cnt - i - 2) * sizeof(*b));
			type->cnt--;
		} else {
			i++;
		}
	}
	return 0;
}

static bool memblock_overlaps(struct memblock_type *type, phys_addr_t base,
			      phys_addr_t size)
{
	for (unsigned long i = 0; i < type->cnt; i++) {
		const struct memblock_region *r = &type->regions[i];

		if (base < r->base + r->size && r->base < base + size)
			return true;
	}
	return false;
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	if (memblock_overlaps(&memblock_memory, base, size))
		return -1;
	return memblock_insert(&memblock_memory, base, size, "System RAM");
}

int memblock_reserve(phys_addr_t base, phys_addr_t size, const char *name)
{
	if (memblock_overlaps(&memblock_reserved, base, size)) {
		pr_err("memblock: reservation [%#llx-%#llx] for %s overlaps an earlier one\n",
		       (unsigned long long)base,
		       (unsigned long long)(base + size - 1), name);
		return -1;
	}
	return memblock_insert(&memblock_reserved, base, size, name);
}

/* The lowest reserved region overlapping [base, base + size), or NULL. */
static const struct memblock_region *reserved_overlap(phys_addr_t base,
						      phys_addr_t size)
{
	for (unsigned long i = 0; i < memblock_reserved.cnt; i++) {
		const struct memblock_region *r = &memblock_reserved.regions[i];

		if (base < r->base + r->size && r->base < base + size)
			return r;
	}
	return NULL;
}

/*
 * Top-down: in each memory region from the highest, try the highest aligned
 * candidate; when a reservation overlaps it, move the candidate's top below
 * that reservation and try again.
 */
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end,
				      const char *name)
{
	if (!align)
		align = PAGE_SIZE;
	size = (size + PAGE_SIZE - 1) & ~(phys_addr_t)(PAGE_SIZE - 1);

	for (long m = (long)memblock_memory.cnt - 1; m >= 0; m--) {
		const struct memblock_region *mr = &memblock_memory.regions[m];
		phys_addr_t lo = mr->base > start ? mr->base : start;
		phys_addr_t top = mr->base + mr->size < end ? mr->base + mr->size : end;

		while (top > lo && top - lo >= size) {
			phys_addr_t cand = (top - size) & ~(align - 1);
			const struct memblock_region *r;

			if (cand < lo)
				break;
			r = reserved_overlap(cand, size);
			if (!r) {
				if (memblock_reserve(cand, size, name))
					return MEMBLOCK_ALLOC_FAIL;
				return cand;
			}
			top = r->base;
		}
	}
	return MEMBLOCK_ALLOC_FAIL;
}

/*
 * Boot memory comes from a freshly created memfd and so reads as zeros, the
 * state Linux's memblock_alloc_named() guarantees by clearing; nothing to clear.
 */
void *memblock_alloc_named(phys_addr_t size, phys_addr_t align, const char *name)
{
	phys_addr_t pa = memblock_phys_alloc_range(size, align, 0,
						   (phys_addr_t)max_pfn << PAGE_SHIFT,
						   name);
	if (pa == MEMBLOCK_ALLOC_FAIL) {
		pr_err("memblock: cannot allocate %llu bytes for %s\n",
		       (unsigned long long)size, name);
		return NULL;
	}
	return direct_map_base + pa;
}

bool memblock_is_reserved(unsigned long pfn)
{
	phys_addr_t pa = (phys_addr_t)pfn << PAGE_SHIFT;

	return memblock_overlaps(&memblock_reserved, pa, PAGE_SIZE);
}

/* Free [start, end) in the largest aligned blocks that stay in one zone. */
static unsigned long free_range(unsigned long start, unsigned long end)
{
	unsigned long freed = 0;

	while (start < end) {
		unsigned long limit = end;
		unsigned int order = MAX_PAGE_ORDER;

		if (start < normal_start_pfn && limit > normal_start_pfn)
			limit = normal_start_pfn;
		while (order && ((start & ((1UL << order) - 1)) ||
				 start + (1UL << order) > limit))
			order--;
		__free_pages_core(page_of(start), order);
		freed += 1UL << order;
		start += 1UL << order;
	}
	return freed;
}

unsigned long memblock_free_all(void)
{
	unsigned long freed = 0;

	for (unsigned long m = 0; m < memblock_memory.cnt; m++) {
		const struct memblock_region *mr = &memblock_memory.regions[m];
		unsigned long pfn = (unsigned long)(mr->base >> PAGE_SHIFT);
		unsigned long end = (unsigned long)((mr->base + mr->size) >> PAGE_SHIFT);

		for (unsigned long r = 0; r < memblock_reserved.cnt; r++) {
			const struct memblock_region *rr = &memblock_reserved.regions[r];
			unsigned long rs = (unsigned long)(rr->base >> PAGE_SHIFT);
			unsigned long re = (unsigned long)((rr->base + rr->size +
						PAGE_SIZE - 1) >> PAGE_SHIFT);

			if (re <= pfn || rs >= end)
				continue;
			if (rs > pfn)
				freed += free_range(pfn, rs);
			for (unsigned long p = rs > pfn ? rs : pfn; p < re && p < end; p++)
				SetPageFlag(page_of(p), PG_reserved);
			pfn = re;
		}
		if (pfn < end)
			freed += free_range(pfn, end);
	}
	return freed;
}

/* ---- Early initcalls: code that runs while memblock still owns RAM ------ */

/*
 * Linux runs early initcalls (and setup_arch's reservations) before the
 * buddy allocator exists; that is when a driver that needs a large
 * physically contiguous buffer takes it, "as soon as possible, before
 * memory gets fragmented". A program registers such functions before
 * mmk_boot(); boot calls them after memblock knows the RAM and before
 * memblock_free_all() hands the rest to the buddy allocator. Inside them
 * memblock_alloc() works; afterwards it is a bug and says so.
 */
#define MAX_EARLY_INITCALLS	16

static int (*early_initcalls[MAX_EARLY_INITCALLS])(void);
static int nr_early_initcalls;
static bool memblock_open;

int mmk_early_initcall(int (*fn)(void))
{
	if (!fn)
		return -22;		/* -EINVAL */
	for (int i = 0; i < nr_early_initcalls; i++)
		if (early_initcalls[i] == fn)
			return 0;
	if (nr_early_initcalls == MAX_EARLY_INITCALLS) {
		pr_err("mmkit: mmk_early_initcall: no room for more than %d early initcalls\n",
		       MAX_EARLY_INITCALLS);
		return -28;		/* -ENOSPC */
	}
	early_initcalls[nr_early_initcalls++] = fn;
	return 0;
}

void run_early_initcalls(void)
{
	char sym[128];

	memblock_open = true;
	for (int i = 0; i < nr_early_initcalls; i++) {
		int ret = early_initcalls[i]();

		if (ret)
			pr_warn("initcall %s returned %d\n",
				arch_symbolize((unsigned long)early_initcalls[i], sym, sizeof(sym)),
				ret);
	}
	memblock_open = false;
}

void *mmk_memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	if (!memblock_open) {
		pr_err("mmkit: BUG: memblock_alloc() called %s: boot memory is only for early initcalls (mmk_early_initcall()); use kmalloc() or alloc_pages()\n",
		       machine_booted ? "after the buddy allocator took over RAM" :
					"with no machine booting");
		arch_dump_stack();
		return NULL;
	}
	if (align & (align - 1)) {
		pr_err("mmkit: memblock_alloc: alignment %#llx is not a power of two\n",
		       (unsigned long long)align);
		return NULL;
	}
	if (!size || size > ((phys_addr_t)max_pfn << PAGE_SHIFT)) {
		pr_err("mmkit: memblock_alloc: %llu bytes is not a size RAM can hold\n",
		       (unsigned long long)size);
		return NULL;
	}
	return memblock_alloc_named(size, align ? align : PAGE_SIZE, "memblock_alloc");
}

phys_addr_t mmk_memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	void *p = mmk_memblock_alloc(size, align);

	return p ? (phys_addr_t)((char *)p - direct_map_base) : 0;
}
