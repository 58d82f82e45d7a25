// SPDX-License-Identifier: MIT
/*
 * vmalloc: virtually contiguous memory from frames that need not be.
 *
 * What it manages. A range of kernel virtual addresses, VMALLOC_START to
 * VMALLOC_END, reserved in the host at boot and inaccessible until mapped.
 * vmalloc(size) takes an area of the range (size plus one guard page),
 * allocates frames from the page allocator wherever they are, and maps
 * them there in order, so the caller sees one contiguous buffer while each
 * page is a frame that the direct map shows too. The page-table write is
 * the arch layer's arch_map_ram(): one host mmap of the memfd per run of
 * physically consecutive frames, so frames are taken in the largest chunks
 * the buddy allocator will give without effort (fewer, longer runs: fewer
 * host mappings, which vm.max_map_count limits), down to single pages when
 * memory is fragmented. The mapping work is vmalloc's price; kmalloc has
 * none, because the direct map already covers every frame.
 *
 * Vocabulary: an area is one allocation's range of addresses (a struct
 * vmap_area); a vm_struct describes what is mapped there (its frames, its
 * flags, its caller). A frame is a physical page (pfn); its struct page is
 * in mem_map.
 *
 * The area allocator (as Linux's): every byte of the range is in exactly
 * one of three places.
 *   - the free tree: free areas by address, coalesced (no two touch), an
 *     augmented red-black tree where each node also knows the largest free
 *     area in its subtree, so the lowest area that fits a request is found
 *     in O(log n) however many areas there are and however fragmented;
 *   - the busy tree: live areas by address (vfree, vmalloc_to_page, the
 *     fault report find them in O(log n));
 *   - the purge list: areas vfree'd but not yet torn down.
 * Freeing is lazy, as in Linux: vfree() moves the area to the purge list
 * and returns. When the lazy areas pass a threshold (in pages and in
 * count), or an allocation runs short of address space or frames, a purge
 * sorts them, revokes access to each run of adjacent areas with one host
 * call, and only then frees their frames (a frame never goes back while a
 * host mapping can still reach it) and returns their addresses to the free
 * tree. So vmalloc/vfree churn pays one teardown per batch, not per area.
 *
 * The host's bookkeeping: revoking access (mprotect) keeps the host's
 * mapping boundaries, so the next area mapped at the same place (the
 * lowest fit is often exactly where an area of the same size was) replaces
 * one host mapping instead of splitting a large one. Such "dead" host
 * mappings still count against vm.max_map_count, so after DEAD_MAPS_MAX of
 * them, or when the host refuses a mapping, the free ranges are reset to
 * plain reserved address space.
 *
 * Guard pages: every area is followed by one page that is never mapped,
 * so a write past the end faults; the fault path (memory.c) asks this file
 * which area was overrun and prints it before the process dies.
 *
 * Locks, in order: vmap_purge_lock (one purge at a time; held across host
 * calls) -> vmap_area_lock (the trees, the purge list, the counters).
 * Nothing is allocated under vmap_area_lock: an allocation can enter
 * direct reclaim, which purges, which takes it. Host calls for areas that
 * are not in the free tree run without it; resetting free ranges holds it.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "vmalloc.h"
#include "vmstat.h"
#include "../lib/list.h"
#include "../lib/rbtree.h"
#include "../lib/spinlock.h"

unsigned long mmk_vmalloc_start, mmk_vmalloc_end;

struct vmap_area {
	unsigned long va_start;
	unsigned long va_end;		/* exclusive, includes the guard page */
	struct rb_node rb_node;		/* in the free or the busy tree */
	struct list_head list;		/* on the purge list */
	union {
		unsigned long subtree_max_size;	/* in the free tree */
		struct vm_struct *vm;		/* busy or lazily freed */
	};
};

static spinlock_t vmap_area_lock = __SPIN_LOCK_UNLOCKED;
static spinlock_t vmap_purge_lock = __SPIN_LOCK_UNLOCKED;
static struct rb_root free_vmap_area_root = RB_ROOT;
static struct rb_root busy_vmap_area_root = RB_ROOT;
static struct list_head purge_vmap_area_list;
static unsigned long vmap_lazy_nr;		/* pages on the purge list */
static unsigned long vmap_lazy_areas;
static unsigned long vmap_dead_maps;		/* host mappings left by purges */
static unsigned long vmap_live_runs;		/* runs of busy and lazy areas */

/* Written under vmap_area_lock, read without it by the mapping check. */
static inline void vmap_live_runs_add_locked(long delta)
{
	__atomic_store_n(&vmap_live_runs, vmap_live_runs + (unsigned long)delta,
			 __ATOMIC_RELAXED);
}
static struct vmap_area *ne_fit_spare;		/* for a split into two */
/* Areas whose access the host refused to revoke: never reused (their
 * frames stay allocated, a vmap's pages keep an extra reference). */
static struct list_head vmap_stuck_list;
static struct kmem_cache *vmap_area_cachep;
static uint64_t vmalloc_bytes;
static bool vmalloc_ready;

/*
 * How much may wait on the purge list before a purge: Linux's 32 MiB per
 * log2 of the CPUs (in pages, here also capped at a 32nd of RAM, since the
 * frames stay held), and at most LAZY_MAX_AREAS areas. The area limit is
 * ours and measured: every lazy area is a live host mapping, and each host
 * mapping call gets slower as the process has more of them, so small
 * batches are cheaper overall (16 KiB vmalloc+vfree, bench_vmalloc:
 * 0.79-0.88x the host floor with batches of 8-32 areas, 0.92-1.03x with
 * 4096; a batch of one, no laziness, 0.87-0.99x; BENCHMARKS.md).
 */
#define LAZY_MAX_AREAS		32
#define DEAD_MAPS_MAX		8192
static unsigned long lazy_max_pages;
static bool purge_list_sorted = true;	/* appended in address order */

/* NR_VMALLOC changes only under vmap_area_lock: no atomic add needed. */
static inline void vmalloc_stat_add_locked(long delta)
{
	atomic_long *v = &node_data0->vm_stat[NR_VMALLOC];

	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static inline unsigned long get_subtree_max_size(const struct rb_node *node)
{
	return node ? rb_entry(node, struct vmap_area, rb_node)->subtree_max_size : 0;
}

RB_DECLARE_CALLBACKS_MAX(static, free_vmap_area_rb_augment_cb,
			 struct vmap_area, rb_node, unsigned long,
			 subtree_max_size, va_size);

bool vmalloc_addr_in_range(unsigned long addr)
{
	return addr >= mmk_vmalloc_start && addr < mmk_vmalloc_end;
}

bool mmk_is_vmalloc_addr(const void *addr)
{
	return vmalloc_addr_in_range((unsigned long)addr);
}

uint64_t vmalloc_total_bytes(void)
{
	return vmalloc_bytes;
}

unsigned long vmalloc_nr_pages(void)
{
	return global_node_page_state(NR_VMALLOC);
}

/* ---- The busy tree ----------------------------------------------------- */

static void busy_insert(struct vmap_area *va)
{
	struct rb_node **link = &busy_vmap_area_root.rb_node, *parent = NULL;

	while (*link) {
		struct vmap_area *t = rb_entry(*link, struct vmap_area, rb_node);

		parent = *link;
		link = va->va_start < t->va_start ? &(*link)->rb_left : &(*link)->rb_right;
	}
	rb_link_node(&va->rb_node, parent, link);
	rb_insert_color(&va->rb_node, &busy_vmap_area_root);
}

/* The busy area that contains @addr (guard page included), or NULL. */
static struct vmap_area *busy_find(unsigned long addr)
{
	struct rb_node *n = busy_vmap_area_root.rb_node;

	while (n) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (addr < va->va_start)
			n = n->rb_left;
		else if (addr >= va->va_end)
			n = n->rb_right;
		else
			return va;
	}
	return NULL;
}

/* The busy area that ends at or below @addr and is closest to it. */
static struct vmap_area *busy_find_below(unsigned long addr)
{
	struct rb_node *n = busy_vmap_area_root.rb_node;
	struct vmap_area *best = NULL;

	while (n) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (va->va_start <= addr) {
			best = va;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return best;
}

/* ---- The free tree ----------------------------------------------------- */

/* Insert @va, which touches no free area, updating the maxima on the way. */
static void free_insert(struct vmap_area *va, struct rb_node *parent,
			struct rb_node **link)
{
	unsigned long size = va_size(va);

	for (struct rb_node *n = free_vmap_area_root.rb_node; n && n != *link;) {
		struct vmap_area *t = rb_entry(n, struct vmap_area, rb_node);

		if (t->subtree_max_size < size)
			t->subtree_max_size = size;
		n = va->va_start < t->va_start ? n->rb_left : n->rb_right;
	}
	va->subtree_max_size = size;
	rb_link_node(&va->rb_node, parent, link);
	rb_insert_augmented(&va->rb_node, &free_vmap_area_root,
			    &free_vmap_area_rb_augment_cb);
}

static void free_propagate(struct vmap_area *va)
{
	free_vmap_area_rb_augment_cb.propagate(&va->rb_node, NULL);
}

/*
 * Give [va_start, va_end) back to the free tree, merging with the free
 * areas on either side. Returns @va if it was merged away (the caller
 * frees the struct), NULL if @va itself went into the tree.
 */
static struct vmap_area *free_merge_or_add(struct vmap_area *va)
{
	struct rb_node **link = &free_vmap_area_root.rb_node, *parent = NULL;
	struct vmap_area *prev = NULL, *next = NULL;

	while (*link) {
		struct vmap_area *t = rb_entry(*link, struct vmap_area, rb_node);

		parent = *link;
		if (va->va_start < t->va_start) {
			next = t;
			link = &(*link)->rb_left;
		} else {
			prev = t;
			link = &(*link)->rb_right;
		}
	}
	if (next && next->va_start == va->va_end) {
		if (prev && prev->va_end == va->va_start) {
			unsigned long end = next->va_end;

			rb_erase_augmented(&next->rb_node, &free_vmap_area_root,
					   &free_vmap_area_rb_augment_cb);
			prev->va_end = end;
			free_propagate(prev);
			next->va_start = next->va_end = 0;
			/* @next is now the spare struct; keep @va's. */
			va->va_start = va->va_end = 0;
			kmem_cache_free(vmap_area_cachep, next);
			return va;
		}
		next->va_start = va->va_start;
		free_propagate(next);
		return va;
	}
	if (prev && prev->va_end == va->va_start) {
		prev->va_end = va->va_end;
		free_propagate(prev);
		return va;
	}
	free_insert(va, parent, link);
	return NULL;
}

static inline unsigned long align_up(unsigned long x, unsigned long a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline bool va_fits(const struct vmap_area *va, unsigned long size,
			   unsigned long align)
{
	unsigned long start = align_up(va->va_start, align);

	return start >= va->va_start && start + size >= start &&
	       start + size <= va->va_end;
}

/*
 * The lowest free area that fits @size at @align. Descending left whenever
 * the left subtree holds an area of size + align - PAGE_SIZE (which fits
 * whatever its alignment) finds the lowest such; a node on the path that
 * fits by its own alignment is taken too.
 */
static struct vmap_area *find_lowest_fit(unsigned long size, unsigned long align)
{
	unsigned long length = size + align - PAGE_SIZE;
	struct rb_node *n = free_vmap_area_root.rb_node;

	while (n) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (get_subtree_max_size(n->rb_left) >= length) {
			n = n->rb_left;
			continue;
		}
		if (va_fits(va, size, align))
			return va;
		if (get_subtree_max_size(n->rb_right) >= length) {
			n = n->rb_right;
			continue;
		}
		break;
	}
	/* No area of the padded length: one may still fit by alignment. */
	for (n = rb_first(&free_vmap_area_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (va_size(va) >= size && va_fits(va, size, align))
			return va;
	}
	return NULL;
}

/*
 * Carve [start, start + size) out of free area @va. Four cases, as Linux
 * names them: the whole area (FL), its left or right end (LE, RE), or its
 * middle (NE), which leaves two free areas and needs the spare struct.
 * Returns false if the spare is needed and missing.
 */
static bool clip_free_area(struct vmap_area *va, unsigned long start,
			   unsigned long size)
{
	unsigned long end = start + size;

	if (start == va->va_start && end == va->va_end) {		/* FL */
		rb_erase_augmented(&va->rb_node, &free_vmap_area_root,
				   &free_vmap_area_rb_augment_cb);
		kmem_cache_free(vmap_area_cachep, va);
	} else if (start == va->va_start) {				/* LE */
		va->va_start = end;
		free_propagate(va);
	} else if (end == va->va_end) {					/* RE */
		va->va_end = start;
		free_propagate(va);
	} else {							/* NE */
		struct vmap_area *lva = ne_fit_spare;

		if (!lva)
			return false;
		ne_fit_spare = NULL;
		lva->va_start = va->va_start;
		lva->va_end = start;
		va->va_start = end;
		free_propagate(va);
		/* @lva sits just before @va: the in-order predecessor slot. */
		{
			struct rb_node **link = &free_vmap_area_root.rb_node, *parent = NULL;

			while (*link) {
				struct vmap_area *t = rb_entry(*link, struct vmap_area, rb_node);

				parent = *link;
				link = lva->va_start < t->va_start ?
					&(*link)->rb_left : &(*link)->rb_right;
			}
			free_insert(lva, parent, link);
		}
	}
	return true;
}

/* ---- Allocating areas -------------------------------------------------- */

static void vmap_warn_range(unsigned long size, gfp_t gfp)
{
	if (!(gfp & __GFP_NOWARN))
		pr_warn("vmalloc_node_range for size %lu failed: Address range restricted to %#lx - %#lx\n",
			size, mmk_vmalloc_start, mmk_vmalloc_end);
}

static void purge_vmap_area_lazy(void);

/*
 * Find and reserve @size bytes (guard page included) aligned to @align,
 * recording @vm as its owner. Returns the area or NULL (out of address
 * space even after a purge).
 */
static struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align,
					 gfp_t gfp, struct vm_struct *vm)
{
	gfp_t meta_gfp = gfp & (GFP_KERNEL | __GFP_NOWARN | __GFP_NOFAIL |
				__GFP_NORETRY | __GFP_RETRY_MAYFAIL);
	struct vmap_area *va, *spare = NULL, *fit;
	bool purged = false;
	unsigned long start;

	va = kmem_cache_alloc(vmap_area_cachep, meta_gfp);
	if (!va)
		return NULL;
retry:
	spin_lock(&vmap_area_lock);
	if (spare && !ne_fit_spare) {
		ne_fit_spare = spare;
		spare = NULL;
	}
	fit = find_lowest_fit(size, align);
	if (!fit)
		goto no_space;
	start = align_up(fit->va_start, align);
	if (!clip_free_area(fit, start, size)) {
		/* A split into two needs a second struct: get one, retry. */
		spin_unlock(&vmap_area_lock);
		spare = kmem_cache_alloc(vmap_area_cachep, meta_gfp);
		if (!spare) {
			kmem_cache_free(vmap_area_cachep, va);
			return NULL;
		}
		goto retry;
	}
	va->va_start = start;
	va->va_end = start + size;
	va->vm = vm;
	vm->addr = (void *)start;
	busy_insert(va);
	spin_unlock(&vmap_area_lock);
	if (spare)
		kmem_cache_free(vmap_area_cachep, spare);
	return va;

no_space:
	spin_unlock(&vmap_area_lock);
	if (!purged && (gfp & __GFP_DIRECT_RECLAIM) && !mmk_in_atomic()) {
		purge_vmap_area_lazy();
		purged = true;
		goto retry;
	}
	if (spare)
		kmem_cache_free(vmap_area_cachep, spare);
	kmem_cache_free(vmap_area_cachep, va);
	vmap_warn_range(size, gfp);
	return NULL;
}

/* Return a torn-down area's addresses to the free tree; @runs: the host
 * mappings it had (0 if it never was mapped). */
static void free_vmap_area(struct vmap_area *va, unsigned int runs)
{
	struct vmap_area *spent;

	spin_lock(&vmap_area_lock);
	vmap_live_runs_add_locked(-(long)runs);
	__atomic_fetch_add(&vmap_dead_maps, runs, __ATOMIC_RELAXED);
	spent = free_merge_or_add(va);
	spin_unlock(&vmap_area_lock);
	if (spent)
		kmem_cache_free(vmap_area_cachep, spent);
}

/* ---- Frames and mapping ------------------------------------------------ */

/*
 * Fill @pages[0..nr) with frames, in the largest chunks the allocator has
 * without reclaim or reserves (each chunk split into order-0 pages, as
 * Linux's split_page() does, so pages are freed one by one), falling back
 * towards order 0, which may reclaim as @gfp allows. Returns how many.
 */
static unsigned int vm_area_alloc_pages(gfp_t gfp, unsigned int nr,
					struct page **pages)
{
	gfp_t chunk_gfp = (gfp & ~__GFP_DIRECT_RECLAIM & ~__GFP_NOFAIL & ~__GFP_COMP &
			   ~__GFP_HIGH) |
			  __GFP_NOMEMALLOC | __GFP_NOWARN | __GFP_NORETRY;
	unsigned int done = 0, max_order = MAX_PAGE_ORDER;

	gfp &= ~__GFP_COMP;

	while (done < nr) {
		unsigned int want = nr - done;
		unsigned int order = 31 - (unsigned int)__builtin_clz(want);
		struct page *page;

		if (order > max_order)
			order = max_order;
		if (order) {
			page = alloc_pages(chunk_gfp, order);
			if (!page) {
				max_order = order - 1;
				continue;
			}
			split_page(page, order);
		} else {
			page = alloc_pages(gfp, 0);
			if (!page)
				break;
		}
		for (unsigned int i = 0; i < (1U << order); i++)
			pages[done + i] = page + i;
		done += 1U << order;
	}
	return done;
}

static int arch_prot(pgprot_t prot)
{
	int p = 0;

	if (prot.pgprot & 0x1)
		p |= ARCH_PROT_READ;
	if (prot.pgprot & 0x2)
		p |= ARCH_PROT_WRITE | ARCH_PROT_READ;
	return p;
}

static void vmap_reset_free_ranges(void);

static inline unsigned int count_runs(struct page **pages, unsigned int nr)
{
	unsigned int runs = nr ? 1 : 0;

	for (unsigned int i = 1; i < nr; i++)
		runs += pages[i] != pages[i - 1] + 1;
	return runs;
}

/*
 * The page-table write: map @pages at @addr, one host call per run of
 * physically consecutive frames. On failure nothing stays mapped: the
 * partial mappings are given back to the host outright (not just made
 * inaccessible), since a failure is most likely the host's mapping limit.
 */
static int vmap_pages_range(unsigned long addr, struct page **pages,
			    unsigned int nr, int prot)
{
	unsigned int i = 0;
	int err = 0;

	while (i < nr) {
		unsigned long pfn = pfn_of(pages[i]);
		unsigned int n = 1;

		while (i + n < nr && pages[i + n] == pages[i] + n)
			n++;
		err = arch_map_ram((void *)(addr + ((unsigned long)i << PAGE_SHIFT)),
				   (uint64_t)pfn << PAGE_SHIFT,
				   (size_t)n << PAGE_SHIFT, prot);
		if (err)
			break;
		i += n;
	}
	if (err && i)
		arch_vrange_reset((void *)addr, (size_t)i << PAGE_SHIFT);
	return err;
}

/*
 * vm.max_map_count. Each run is a host mapping and splits the reserved
 * range once more, so an area costs up to two per run, and lazily freed
 * and dead mappings count too. vmalloc leaves MAP_HEADROOM of the limit to
 * the program (its malloc, its threads).
 *
 * The check costs nothing while vmalloc's own worst case (two host
 * mappings per live run and per dead one) is below half the limit. Past
 * that, if the dead mappings are what pushes it over, they are reset (one
 * host call per free range). Only when the live areas alone come near the
 * limit is the host's own count read (/proc/self/maps: milliseconds with
 * tens of thousands of mappings), and then again only after an eighth of
 * the room it showed has been used.
 */
#define MAP_HEADROOM	1024
#define MAP_RECHECK_MIN	256
static long host_map_limit;		/* vm.max_map_count at boot, -1 unknown */
static long host_maps_seen = -1;	/* the host's count when last read */
static unsigned long runs_since_seen, recheck_after;

static spinlock_t host_maps_lock = __SPIN_LOCK_UNLOCKED;

enum maps_verdict { MAPS_OK, MAPS_RESET_DEAD, MAPS_FULL };

static unsigned long vmalloc_worst_maps(unsigned long live, unsigned long dead,
					unsigned long runs)
{
	return 2 * (live + dead + runs) + 64 + MAP_HEADROOM;
}

static enum maps_verdict __host_maps_check(unsigned long runs, long *have)
{
	long room;

	if (host_maps_seen < 0 || runs_since_seen + runs > recheck_after ||
	    host_maps_seen + 2 * (long)(runs_since_seen + runs) + MAP_HEADROOM > host_map_limit) {
		host_maps_seen = arch_nr_host_mappings();
		runs_since_seen = 0;
		if (host_maps_seen < 0)
			return MAPS_OK;
		room = host_map_limit - MAP_HEADROOM - host_maps_seen;
		recheck_after = room > 8 * MAP_RECHECK_MIN ? (unsigned long)room / 8 :
							    MAP_RECHECK_MIN;
	}
	*have = host_maps_seen + 2 * (long)runs_since_seen;
	if (*have + 2 * (long)runs + MAP_HEADROOM > host_map_limit)
		return MAPS_FULL;
	runs_since_seen += runs;
	return MAPS_OK;
}

static enum maps_verdict host_maps_check(unsigned long runs, long *have)
{
	unsigned long live = __atomic_load_n(&vmap_live_runs, __ATOMIC_RELAXED);
	unsigned long dead = __atomic_load_n(&vmap_dead_maps, __ATOMIC_RELAXED);
	unsigned long half;
	enum maps_verdict v;

	*have = -1;
	if (host_map_limit <= 0)
		return MAPS_OK;
	half = (unsigned long)host_map_limit / 2;
	if (vmalloc_worst_maps(live, dead, runs) <= half)
		return MAPS_OK;
	if (dead && vmalloc_worst_maps(live, 0, runs) <= half)
		return MAPS_RESET_DEAD;
	spin_lock(&host_maps_lock);
	v = __host_maps_check(runs, have);
	spin_unlock(&host_maps_lock);
	return v;
}

static void vmap_map_failed(unsigned long size, gfp_t gfp, int err,
			    unsigned int runs, long have)
{
	if (gfp & __GFP_NOWARN)
		return;
	if (err == -ENOMEM) {
		if (have < 0)
			have = arch_nr_host_mappings();
		warn_alloc(gfp, "vmalloc error: size %lu, failed to map pages: this area needs %u host mappings (runs of contiguous frames); the process has %ld and vm.max_map_count is %ld, of which vmalloc leaves %d to the program",
			   size, runs, have, host_map_limit, MAP_HEADROOM);
	} else {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to map pages (error %d)",
			   size, err);
	}
}

/*
 * Map an area's pages: check the host has mappings to spare, map, and on
 * the host's refusal give back what purging and resetting can and try
 * once more. Returns 0 or -errno with the failure reported.
 */
static int map_area(struct vmap_area *va, struct vm_struct *vm, gfp_t gfp)
{
	unsigned int runs = count_runs(vm->pages, vm->nr_pages);
	bool retried = false;
	long have;
	int err;

	for (int resets = 0;;) {
		enum maps_verdict v = host_maps_check(runs, &have);

		if (v == MAPS_RESET_DEAD && resets++ < 2) {
			vmap_reset_free_ranges();
			continue;
		}
		err = v == MAPS_FULL ? -ENOMEM : 0;
		if (!err)
			err = vmap_pages_range(va->va_start, vm->pages, vm->nr_pages,
					       vm->prot);
		if (err != -ENOMEM || retried || !(gfp & __GFP_DIRECT_RECLAIM))
			break;
		/* Give the host back lazy and dead mappings; try once more. */
		purge_vmap_area_lazy();
		vmap_reset_free_ranges();
		spin_lock(&host_maps_lock);
		host_maps_seen = -1;
		spin_unlock(&host_maps_lock);
		retried = true;
	}
	if (err) {
		vmap_map_failed((unsigned long)vm->nr_pages << PAGE_SHIFT, gfp, err, runs, have);
		return err;
	}
	vm->nr_runs = runs;
	return 0;
}

/*
 * Give an area's frames back. Pages that came as one chunk (consecutive,
 * aligned, each still singly referenced) go back as one block: one free
 * instead of one per page, and the block is whole again for the next
 * high-order request.
 */
static void vm_free_frames(struct page **pages, unsigned int nr)
{
	unsigned int i = 0;

	while (i < nr) {
		unsigned int n = 1;

		while (i + n < nr && pages[i + n] == pages[i] + n)
			n++;
		free_frame_run(pfn_of(pages[i]), n);
		i += n;
	}
}

/* ---- vmalloc ------------------------------------------------------------ */

static void __vfree(const void *addr, bool may_purge);

static void free_pages_array(struct vm_struct *vm)
{
	if (!vm->pages || vm->pages == vm->inline_pages)
		return;
	/* A vmalloc'ed array goes on the purge list; never purge from
	 * here, which may be the purge itself (it loops until empty). */
	if (vm->flags & VM_VPAGES)
		__vfree(vm->pages, false);
	else
		kfree(vm->pages);
	vm->pages = NULL;
}

/* Unlink a live area whose frames are not mapped any more, and free all. */
static void discard_area(struct vmap_area *va, bool free_frames)
{
	struct vm_struct *vm = va->vm;

	spin_lock(&vmap_area_lock);
	rb_erase(&va->rb_node, &busy_vmap_area_root);
	spin_unlock(&vmap_area_lock);
	if (free_frames)
		vm_free_frames(vm->pages, vm->nr_pages);
	free_pages_array(vm);
	kfree(vm);
	free_vmap_area(va, 0);
}

static void *vmalloc_node_caller(unsigned long size, unsigned long align, gfp_t gfp,
			    unsigned long flags, const void *caller)
{
	gfp_t nested_gfp = (gfp & (GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY |
				   __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_DMA)) |
			   __GFP_ZERO;
	unsigned long real_size = size;
	unsigned int nr_pages, got;
	struct vm_struct *vm;
	struct vmap_area *va;
	size_t array_size;

	if (not_booted())
		return NULL;
	might_alloc(gfp);
	if (!size) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("WARNING: %s: vmalloc of 0 bytes\n", arch_current_comm());
		return NULL;
	}
	size = align_up(size, PAGE_SIZE);
	if (size < real_size || (size >> PAGE_SHIFT) > totalram_pages() ||
	    size > vmalloc_bytes) {
		warn_alloc(gfp, "vmalloc error: size %lu, exceeds total pages", real_size);
		return NULL;
	}
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (align > vmalloc_bytes) {
		warn_alloc(gfp, "vmalloc error: size %lu, alignment %#lx exceeds the vmalloc range",
			   real_size, align);
		return NULL;
	}
	nr_pages = (unsigned int)(size >> PAGE_SHIFT);

	/* A small area's page array lives in its vm_struct. */
	vm = kzalloc(sizeof(*vm) + (nr_pages <= VM_INLINE_PAGES ?
				    nr_pages * sizeof(struct page *) : 0),
		     nested_gfp & ~__GFP_ZERO);
	if (!vm)
		goto no_vm;
	vm->flags = flags | VM_UNINITIALIZED;
	if (nr_pages > VM_INLINE_PAGES && (size_t)nr_pages * sizeof(struct page *) > PAGE_SIZE)
		vm->flags |= VM_VPAGES;		/* decided before anyone can see it */
	vm->caller = caller;
	vm->size = size + PAGE_SIZE;
	va = alloc_vmap_area(vm->size, align, gfp, vm);
	if (!va) {
		kfree(vm);
no_vm:
		warn_alloc(gfp, "vmalloc error: size %lu, vm_struct allocation failed", real_size);
		return NULL;
	}

	/* The page array itself: kmalloc, or vmalloc when above a page. */
	array_size = (size_t)nr_pages * sizeof(struct page *);
	if (nr_pages <= VM_INLINE_PAGES) {
		vm->pages = vm->inline_pages;
	} else if (array_size > PAGE_SIZE) {
		vm->pages = vmalloc_node_caller(array_size, PAGE_SIZE, nested_gfp,
					   VM_ALLOC, caller);
	} else {
		vm->pages = kmalloc(array_size, nested_gfp);
	}
	if (!vm->pages) {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to allocated page array size %zu",
			   (unsigned long)nr_pages * PAGE_SIZE, array_size);
		discard_area(va, false);
		return NULL;
	}

	got = vm_area_alloc_pages(gfp, nr_pages, vm->pages);
	vm->nr_pages = got;
	if (got != nr_pages) {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to allocate pages",
			   (unsigned long)got * PAGE_SIZE);
		discard_area(va, true);
		return NULL;
	}

	vm->prot = ARCH_PROT_READ | ARCH_PROT_WRITE;
	if (map_area(va, vm, gfp)) {
		discard_area(va, true);
		return NULL;
	}
	spin_lock(&vmap_area_lock);
	vmalloc_stat_add_locked(nr_pages);
	vmap_live_runs_add_locked(vm->nr_runs);
	__atomic_store_n(&vm->flags, vm->flags & ~VM_UNINITIALIZED, __ATOMIC_RELEASE);
	spin_unlock(&vmap_area_lock);
	return vm->addr;
}

void *mmk___vmalloc(unsigned long size, gfp_t gfp)
{
	return vmalloc_node_caller(size, PAGE_SIZE, gfp, VM_ALLOC,
			      __builtin_return_address(0));
}

void *mmk___vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp,
			 int node, const void *caller)
{
	(void)node;
	if (align & (align - 1)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("WARNING: __vmalloc_node: alignment %#lx is not a power of two\n",
				align);
		return NULL;
	}
	return vmalloc_node_caller(size, align, gfp, VM_ALLOC,
			      caller ? caller : __builtin_return_address(0));
}

void *mmk_vmalloc(unsigned long size)
{
	return vmalloc_node_caller(size, PAGE_SIZE, GFP_KERNEL, VM_ALLOC,
			      __builtin_return_address(0));
}

void *mmk_vzalloc(unsigned long size)
{
	return vmalloc_node_caller(size, PAGE_SIZE, GFP_KERNEL | __GFP_ZERO, VM_ALLOC,
			      __builtin_return_address(0));
}

/* ---- Freeing ------------------------------------------------------------ */

/* @near: a copy of the area @addr points into, @caller its caller, both
 * taken under the lock (the area may be freed as soon as it is dropped). */
static void vfree_report(const char *fn, const void *addr, const char *fmt,
			 const struct vmap_area *near, const void *caller)
{
	char sym[128];

	pr_warn("------------[ cut here ]------------\n");
	pr_warn(fmt, addr);
	pr_warn("WARNING: CPU: %d PID: %d at mm/vmalloc.c %s\n",
		arch_smp_processor_id(), arch_current_pid(), fn);
	if (near)
		pr_warn("mmkit: %#lx is %lu bytes into the area %#lx-%#lx (%lu bytes) allocated by %s\n",
			(unsigned long)addr, (unsigned long)addr - near->va_start,
			near->va_start, near->va_end - PAGE_SIZE,
			near->va_end - PAGE_SIZE - near->va_start,
			arch_symbolize((unsigned long)caller, sym, sizeof(sym)));
	arch_dump_stack();
	pr_warn("---[ end trace 0000000000000000 ]---\n");
	pr_warn("mmkit: nothing was freed; every vmalloc area is unchanged\n");
}

static bool on_purge_list(unsigned long addr)
{
	struct vmap_area *va;

	list_for_each_entry(va, &purge_vmap_area_list, list)
		if (addr >= va->va_start && addr < va->va_end)
			return true;
	return false;
}

/*
 * Revoke access to [@start, @start + @len) before its frames may go back.
 * If the host refuses (it is at its mapping limit and the change needs a
 * split), give it back the dead mappings and try again.
 */
static int revoke_range(unsigned long start, unsigned long len)
{
	int err = arch_unmap_ram((void *)start, len);

	if (err) {
		vmap_reset_free_ranges();
		err = arch_unmap_ram((void *)start, len);
	}
	return err;
}

/*
 * The host would not revoke access to @va: keep it out of circulation, so
 * that no frame it maps is ever reused. A vmap()'s pages belong to the
 * caller, who will free them: an extra reference keeps them allocated.
 */
static void vmap_area_stuck(struct vmap_area *va, int err)
{
	struct vm_struct *vm = va->vm;

	pr_err("mmkit: vmalloc: the host refused to unmap area %#lx-%#lx (error %d); its %u frames stay allocated and its addresses are never reused\n",
	       va->va_start, va->va_end - PAGE_SIZE, err, vm->nr_pages);
	if (vm->flags & VM_MAP)
		for (unsigned int i = 0; i < vm->nr_pages; i++)
			get_page(vm->pages[i]);
	spin_lock(&vmap_area_lock);
	list_add_tail(&va->list, &vmap_stuck_list);
	spin_unlock(&vmap_area_lock);
}

/*
 * Find the live area that starts at @addr and take it out of the busy
 * tree, or report why there is none. With @lazy (vfree of a vmalloc()
 * area) the area goes straight onto the purge list under the same lock;
 * *purge then says whether the list is over its limits.
 */
static struct vmap_area *take_busy_area(const char *fn, const void *addr,
					bool lazy, bool *purge, bool *not_vmap)
{
	unsigned long a = (unsigned long)addr;
	struct vmap_area *va;

	if (!vmalloc_addr_in_range(a) || (a & (PAGE_SIZE - 1))) {
		vfree_report(fn, addr, vmalloc_addr_in_range(a) ?
			     "Trying to vfree() bad address (%p): not page aligned\n" :
			     "Trying to vfree() bad address (%p): not in the vmalloc range\n",
			     NULL, NULL);
		return NULL;
	}
	spin_lock(&vmap_area_lock);
	va = busy_find(a);
	if (va && va->va_start == a &&
	    !(__atomic_load_n(&va->vm->flags, __ATOMIC_ACQUIRE) & VM_UNINITIALIZED)) {
		if (not_vmap && !(va->vm->flags & VM_MAP)) {
			/* vunmap() of a vmalloc() area: the caller decides. */
			spin_unlock(&vmap_area_lock);
			*not_vmap = true;
			return NULL;
		}
		rb_erase(&va->rb_node, &busy_vmap_area_root);
		if (lazy && !(va->vm->flags & VM_MAP)) {
			if (!list_empty(&purge_vmap_area_list) &&
			    list_last_entry(&purge_vmap_area_list, struct vmap_area,
					    list)->va_start > va->va_start)
				purge_list_sorted = false;
			list_add_tail(&va->list, &purge_vmap_area_list);
			vmap_lazy_nr += va_size(va) >> PAGE_SHIFT;
			vmap_lazy_areas++;
			*purge = vmap_lazy_nr > lazy_max_pages ||
				 vmap_lazy_areas > LAZY_MAX_AREAS;
		}
		spin_unlock(&vmap_area_lock);
		return va;
	}
	if (va) {
		struct vmap_area copy = *va;
		const void *caller = va->vm->caller;

		spin_unlock(&vmap_area_lock);
		vfree_report(fn, addr, "Trying to vfree() nonexistent vm area (%p): it points inside another area\n",
			     &copy, caller);
		return NULL;
	}
	if (on_purge_list(a)) {
		spin_unlock(&vmap_area_lock);
		vfree_report(fn, addr, "Trying to vfree() nonexistent vm area (%p): it was already freed (double free)\n",
			     NULL, NULL);
		return NULL;
	}
	spin_unlock(&vmap_area_lock);
	vfree_report(fn, addr, "Trying to vfree() nonexistent vm area (%p): no area starts there (a double free, or a stale pointer?)\n",
		     NULL, NULL);
	return NULL;
}

static void vunmap_area(struct vmap_area *va);

static inline bool vmalloc_atomic_context(void)
{
	return mmk_in_atomic();
}

static void __vfree(const void *addr, bool may_purge)
{
	struct vmap_area *va;
	bool purge = false;

	va = take_busy_area("vfree", addr, true, &purge, NULL);
	if (!va)
		return;
	if (va->vm->flags & VM_MAP) {
		/* A vmap()ed area: the caller owns the frames. */
		vunmap_area(va);
		return;
	}
	/* From atomic context the purge waits for the next vmalloc or vfree
	 * that may sleep, or for reclaim (Linux defers it to a work item). */
	if (purge && may_purge && !vmalloc_atomic_context())
		purge_vmap_area_lazy();
}

void mmk_vfree(const void *addr)
{
	if (!addr || not_booted())
		return;
	__vfree(addr, true);
}

/* Tear down a vmap()ed area now: its pages are the caller's, who may free
 * them as soon as vunmap() returns. */
static void vunmap_area(struct vmap_area *va)
{
	unsigned int runs = va->vm->nr_runs;
	int err = revoke_range(va->va_start, va_size(va) - PAGE_SIZE);

	if (err) {
		vmap_area_stuck(va, err);
		return;
	}
	free_pages_array(va->vm);
	kfree(va->vm);
	free_vmap_area(va, runs);
}

void mmk_vunmap(const void *addr)
{
	struct vmap_area *va;
	bool not_vmap = false;

	if (!addr || not_booted())
		return;
	might_sleep();
	va = take_busy_area("vunmap", addr, false, NULL, &not_vmap);
	if (not_vmap) {
		pr_warn("WARNING: vunmap(%p) of a vmalloc() area: its pages would leak; freeing it as vfree() does\n",
			addr);
		vfree(addr);
		return;
	}
	if (va)
		vunmap_area(va);
}

/* ---- The lazy purge ----------------------------------------------------- */

/* Sort a NULL-terminated chain (linked through list.next) by address. */
static struct list_head *sort_chain(struct list_head *head, unsigned long n)
{
	struct list_head *a, *b, **tail, *result;

	if (n < 2)
		return head;
	a = head;
	for (unsigned long i = 1; i < n / 2; i++)
		head = head->next;
	b = head->next;
	head->next = NULL;
	a = sort_chain(a, n / 2);
	b = sort_chain(b, n - n / 2);
	tail = &result;
	while (a && b) {
		struct list_head **take =
			list_entry(a, struct vmap_area, list)->va_start <
			list_entry(b, struct vmap_area, list)->va_start ? &a : &b;

		*tail = *take;
		tail = &(*take)->next;
		*take = (*take)->next;
	}
	*tail = a ? a : b;
	return result;
}

/* Tear down everything on the purge list. Caller holds vmap_purge_lock. */
static unsigned long __purge_vmap_area_lazy(void)
{
	struct list_head *chain, *p;
	struct list_head *run_first;
	unsigned long n, freed = 0, runs = 0;
	bool sorted;

	spin_lock(&vmap_area_lock);
	n = vmap_lazy_areas;
	if (!n) {
		spin_unlock(&vmap_area_lock);
		return 0;
	}
	chain = purge_vmap_area_list.next;
	purge_vmap_area_list.prev->next = NULL;
	INIT_LIST_HEAD(&purge_vmap_area_list);
	vmap_lazy_nr = 0;
	vmap_lazy_areas = 0;
	sorted = purge_list_sorted;
	purge_list_sorted = true;
	spin_unlock(&vmap_area_lock);

	if (!sorted)
		chain = sort_chain(chain, n);

	/* 1. Revoke access, one host call per run of adjacent areas. */
	for (p = chain, run_first = chain; p; p = p->next) {
		struct vmap_area *va = list_entry(p, struct vmap_area, list);

		if (!p->next || list_entry(p->next, struct vmap_area, list)->va_start != va->va_end) {
			int err = revoke_range(list_entry(run_first, struct vmap_area, list)->va_start,
					       va->va_end - list_entry(run_first, struct vmap_area,
								       list)->va_start);

			for (struct list_head *q = run_first; err && q != p->next; q = q->next)
				list_entry(q, struct vmap_area, list)->vm->flags |= VM_STUCK;
			run_first = p->next;
		}
	}

	/* 2. Only now may the frames go back. */
	for (struct list_head **pp = &chain; (p = *pp);) {
		struct vmap_area *va = list_entry(p, struct vmap_area, list);
		struct vm_struct *vm = va->vm;

		if (vm->flags & VM_STUCK) {
			*pp = p->next;		/* out of the chain, for good */
			vmap_area_stuck(va, -ENOMEM);
			spin_lock(&vmap_area_lock);
			vmalloc_stat_add_locked(-(long)vm->nr_pages);
			vmap_live_runs_add_locked(-(long)vm->nr_runs);
			spin_unlock(&vmap_area_lock);
			continue;
		}
		pp = &p->next;
		vm_free_frames(vm->pages, vm->nr_pages);
		freed += vm->nr_pages;
		runs += vm->nr_runs;
		free_pages_array(vm);
		kfree(vm);
	}
	/* 3. Then the addresses, under one lock. */
	spin_lock(&vmap_area_lock);
	vmalloc_stat_add_locked(-(long)freed);
	vmap_live_runs_add_locked(-(long)runs);
	__atomic_fetch_add(&vmap_dead_maps, runs, __ATOMIC_RELAXED);
	for (p = chain; p;) {
		struct vmap_area *va = list_entry(p, struct vmap_area, list);

		p = p->next;
		va = free_merge_or_add(va);
		if (va)
			kmem_cache_free(vmap_area_cachep, va);
	}
	spin_unlock(&vmap_area_lock);
	return freed;
}

static void purge_vmap_area_lazy(void)
{
	spin_lock(&vmap_purge_lock);
	/* Freeing a vmalloc'ed page array lands on the list again. */
	while (__purge_vmap_area_lazy())
		;
	if (__atomic_load_n(&vmap_dead_maps, __ATOMIC_RELAXED) > DEAD_MAPS_MAX)
		vmap_reset_free_ranges();
	spin_unlock(&vmap_purge_lock);
}

/*
 * Reset every free range to plain reserved address space, so the host
 * forgets the mappings that purges left behind. Holds vmap_area_lock over
 * the host calls: nobody may map into a free range meanwhile.
 */
static void vmap_reset_free_ranges(void)
{
	spin_lock(&vmap_area_lock);
	for (struct rb_node *n = rb_first(&free_vmap_area_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		arch_vrange_reset((void *)va->va_start, va_size(va));
	}
	__atomic_store_n(&vmap_dead_maps, 0, __ATOMIC_RELAXED);
	spin_unlock(&vmap_area_lock);
}

unsigned long vmalloc_reclaim(void)
{
	unsigned long freed = 0;

	if (!vmalloc_ready || !__atomic_load_n(&vmap_lazy_areas, __ATOMIC_RELAXED))
		return 0;
	if (!spin_trylock(&vmap_purge_lock))
		return 0;
	for (unsigned long f; (f = __purge_vmap_area_lazy()); )
		freed += f;
	spin_unlock(&vmap_purge_lock);
	return freed;
}

void mmk_vm_unmap_aliases(void)
{
	if (not_booted())
		return;
	might_sleep();
	purge_vmap_area_lazy();
}

/* ---- vmap ---------------------------------------------------------------- */

void *mmk_vmap(struct page **pages, unsigned int count, unsigned long flags,
	       pgprot_t prot)
{
	unsigned long size = (unsigned long)count << PAGE_SHIFT;
	struct vm_struct *vm;
	struct vmap_area *va;

	if (not_booted())
		return NULL;
	might_sleep();
	if (!count || count > totalram_pages() || !pages) {
		pr_warn("WARNING: vmap: %u pages is not a valid count\n", count);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++) {
		unsigned long pfn;

		if (!pages[i] || pages[i] < mem_map || pages[i] >= mem_map + max_pfn ||
		    (((char *)pages[i] - (char *)mem_map) % sizeof(struct page))) {
			pr_warn("WARNING: vmap: pages[%u] = %p is not a struct page of this machine\n",
				i, (void *)pages[i]);
			return NULL;
		}
		pfn = page_to_pfn(pages[i]);
		if (pages[i]->pg_state != PGS_ALLOC &&
		    !(compound_head(pages[i]) != pages[i] &&
		      compound_head(pages[i])->pg_state == PGS_ALLOC)) {
			/* A tail of an allocated block is fine; a free frame is not. */
			struct page *h = pages[i];

			while (h > mem_map && h->pg_state == PGS_TAIL)
				h--;
			if (h->pg_state != PGS_ALLOC ||
			    pfn >= page_to_pfn(h) + (1UL << h->pg_order)) {
				pr_warn("WARNING: vmap: pages[%u] (pfn %#lx) is not allocated\n",
					i, pfn);
				return NULL;
			}
		}
	}
	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return NULL;
	vm->flags = (flags & ~VM_ALLOC) | VM_MAP | VM_UNINITIALIZED;
	vm->caller = __builtin_return_address(0);
	vm->size = size + PAGE_SIZE;
	/* Keep our own copy of the page list: vmalloc_to_page() reads it. */
	vm->pages = kvmalloc((size_t)count * sizeof(*pages), GFP_KERNEL);
	if (!vm->pages) {
		kfree(vm);
		return NULL;
	}
	if (is_vmalloc_addr(vm->pages))
		vm->flags |= VM_VPAGES;
	va = alloc_vmap_area(vm->size, PAGE_SIZE, GFP_KERNEL, vm);
	if (!va) {
		free_pages_array(vm);
		kfree(vm);
		return NULL;
	}
	memcpy(vm->pages, pages, (size_t)count * sizeof(*pages));
	vm->nr_pages = count;
	vm->prot = arch_prot(prot);
	if (map_area(va, vm, GFP_KERNEL)) {
		vm->nr_pages = 0;
		discard_area(va, false);
		return NULL;
	}
	spin_lock(&vmap_area_lock);
	vmap_live_runs_add_locked(vm->nr_runs);
	__atomic_store_n(&vm->flags, vm->flags & ~VM_UNINITIALIZED, __ATOMIC_RELEASE);
	spin_unlock(&vmap_area_lock);
	return vm->addr;
}

/* ---- Lookups ---------------------------------------------------------------- */

struct page *mmk_vmalloc_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct page *page = NULL;
	struct vmap_area *va;

	if (not_booted() || !vmalloc_addr_in_range(a))
		return NULL;
	spin_lock(&vmap_area_lock);
	va = busy_find(a);
	if (va && !(__atomic_load_n(&va->vm->flags, __ATOMIC_ACQUIRE) & VM_UNINITIALIZED)) {
		unsigned long idx = (a - va->va_start) >> PAGE_SHIFT;

		if (idx < va->vm->nr_pages)
			page = va->vm->pages[idx];
	}
	spin_unlock(&vmap_area_lock);
	return page;
}

unsigned long mmk_vmalloc_to_pfn(const void *addr)
{
	struct page *page = mmk_vmalloc_to_page(addr);

	return page ? page_to_pfn(page) : 0;
}

/* ---- kvmalloc ------------------------------------------------------------- */

/*
 * Linux's policy: kmalloc first (physically contiguous is better when it is
 * cheap), without warnings, and for more than a page without retrying
 * hard; vmalloc when that fails. Sizes kmalloc cannot serve go straight
 * to vmalloc.
 */
static void *kvmalloc_caller(size_t size, gfp_t gfp, const void *caller)
{
	gfp_t kmalloc_gfp = gfp;
	void *p;

	if (not_booted())
		return NULL;
	if (size > (size_t)0x7fffffff) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("WARNING: kvmalloc: %zu bytes is above INT_MAX\n", size);
		return NULL;
	}
	if (size > PAGE_SIZE) {
		kmalloc_gfp |= __GFP_NOWARN;
		if (!(kmalloc_gfp & __GFP_RETRY_MAYFAIL))
			kmalloc_gfp |= __GFP_NORETRY;
		kmalloc_gfp &= ~__GFP_NOFAIL;
	}
	if (size <= KMALLOC_MAX_SIZE) {
		p = kmalloc(size, kmalloc_gfp);
		if (p || size <= PAGE_SIZE)
			return p;
	}
	/* As Linux since 5.17: vmalloc does not serve allocations that may
	 * not sleep (it maps), so those get the kmalloc answer; GFP_NOFS and
	 * GFP_NOIO fall back like GFP_KERNEL. */
	if (!(gfp & __GFP_DIRECT_RECLAIM))
		return NULL;
	return vmalloc_node_caller(size, PAGE_SIZE, gfp, VM_ALLOC, caller);
}

void *mmk_kvmalloc(size_t size, gfp_t gfp)
{
	return kvmalloc_caller(size, gfp, __builtin_return_address(0));
}

void *mmk_kvzalloc(size_t size, gfp_t gfp)
{
	return kvmalloc_caller(size, gfp | __GFP_ZERO, __builtin_return_address(0));
}

void mmk_kvfree(const void *addr)
{
	if (is_vmalloc_addr(addr))
		vfree(addr);
	else
		kfree(addr);
}

/* ---- Faults in the range ------------------------------------------------------ */

/*
 * A refused access in the vmalloc range, in signal context: say what was
 * hit. The lock is only tried (the interrupted code may hold it); without
 * it the report names the address alone.
 */
void vmalloc_fault_report(unsigned long addr, unsigned int flags)
{
	struct vmap_area *va = NULL, copy = { 0 };
	struct vm_struct vm = { 0 };
	char sym[128];
	bool locked = false;

	for (int i = 0; i < 1000 && !(locked = spin_trylock(&vmap_area_lock)); i++)
		arch_cpu_relax();
	if (locked) {
		va = busy_find(addr);
		if (!va)
			va = busy_find_below(addr);
		if (va) {
			copy = *va;
			vm = *va->vm;
		}
		spin_unlock(&vmap_area_lock);
	}
	pr_alert("BUG: unable to handle page fault for address: %016lx\n", addr);
	if (flags & ARCH_FAULT_KNOWN)
		pr_alert("#PF: supervisor %s access in kernel mode\n",
			 (flags & ARCH_FAULT_WRITE) ? "write" : "read");
	if (va && addr >= copy.va_start && addr < copy.va_end - PAGE_SIZE)
		pr_alert("#PF: error_code(0x%04x) - permissions violation\n",
			 (flags & ARCH_FAULT_WRITE) ? 3 : 1);
	else
		pr_alert("#PF: error_code(0x%04x) - not-present page\n",
			 (flags & ARCH_FAULT_WRITE) ? 2 : 0);
	if (!locked) {
		pr_alert("mmkit: %#lx is in the vmalloc range (the area lock was busy; no area details)\n",
			 addr);
	} else if (va && addr >= copy.va_end - PAGE_SIZE && addr < copy.va_end &&
		   !(vm.flags & VM_NO_GUARD)) {
		pr_alert("mmkit: %#lx is the guard page of vmalloc area %#lx-%#lx (%lu bytes, %u pages, allocated by %s): an access %lu bytes past its end\n",
			 addr, copy.va_start, copy.va_end - PAGE_SIZE,
			 copy.va_end - PAGE_SIZE - copy.va_start, vm.nr_pages,
			 arch_symbolize((unsigned long)vm.caller, sym, sizeof(sym)),
			 addr - (copy.va_end - PAGE_SIZE));
	} else if (va && addr < copy.va_end && (flags & ARCH_FAULT_WRITE) &&
		   !(vm.prot & ARCH_PROT_WRITE)) {
		pr_alert("mmkit: %#lx is in %s area %#lx-%#lx (allocated by %s), mapped read-only: a write to it\n",
			 addr, (vm.flags & VM_MAP) ? "vmap" : "vmalloc", copy.va_start,
			 copy.va_end - PAGE_SIZE,
			 arch_symbolize((unsigned long)vm.caller, sym, sizeof(sym)));
	} else if (va && addr < copy.va_end) {
		pr_alert("mmkit: %#lx is inside vmalloc area %#lx-%#lx (allocated by %s) but not mapped\n",
			 addr, copy.va_start, copy.va_end - PAGE_SIZE,
			 arch_symbolize((unsigned long)vm.caller, sym, sizeof(sym)));
	} else if (va) {
		pr_alert("mmkit: %#lx is in no vmalloc area (freed, or never allocated); the nearest area below is %#lx-%#lx (and its guard page), allocated by %s\n",
			 addr, copy.va_start, copy.va_end - PAGE_SIZE,
			 arch_symbolize((unsigned long)vm.caller, sym, sizeof(sym)));
	} else {
		pr_alert("mmkit: %#lx is in no vmalloc area (freed, or never allocated)\n", addr);
	}
	pr_alert("Oops: %04x [#1] SMP\n", (flags & ARCH_FAULT_WRITE) ? 2 : 0);
	pr_alert("CPU: %d PID: %d Comm: %s\n", arch_this_thread.cpu,
		 arch_current_pid(), arch_current_comm());
	arch_dump_stack();
	pr_alert("---[ end trace 0000000000000000 ]---\n");
	pr_alert("Kernel panic - not syncing: Fatal exception (mmkit ends the process with SIGSEGV)\n");
}

/* ---- Reports and the checker ------------------------------------------------- */

void vmalloc_for_each_area(void (*fn)(unsigned long start, unsigned long end,
				      const struct vm_struct *vm, void *arg),
			   void *arg)
{
	struct list_head *chain, *lz;
	struct rb_node *n;

	if (!vmalloc_ready)
		return;
	spin_lock(&vmap_area_lock);
	/* Sort the purge list in place (its order means nothing else), then
	 * walk it beside the busy tree so every line is in address order. */
	if (vmap_lazy_areas) {
		struct list_head *prev = &purge_vmap_area_list;

		purge_vmap_area_list.prev->next = NULL;
		chain = sort_chain(purge_vmap_area_list.next, vmap_lazy_areas);
		purge_vmap_area_list.next = chain;
		for (lz = chain; lz; prev = lz, lz = lz->next)
			lz->prev = prev;
		prev->next = &purge_vmap_area_list;
		purge_vmap_area_list.prev = prev;
		purge_list_sorted = true;
	}
	lz = purge_vmap_area_list.next;
	n = rb_first(&busy_vmap_area_root);
	while (n || lz != &purge_vmap_area_list) {
		struct vmap_area *va = n ? rb_entry(n, struct vmap_area, rb_node) : NULL;
		struct vmap_area *lazy = lz != &purge_vmap_area_list ?
			list_entry(lz, struct vmap_area, list) : NULL;

		if (lazy && (!va || lazy->va_start < va->va_start)) {
			fn(lazy->va_start, lazy->va_end, NULL, arg);
			lz = lz->next;
			continue;
		}
		if (!(va->vm->flags & VM_UNINITIALIZED))
			fn(va->va_start, va->va_end, va->vm, arg);
		n = rb_next(n);
	}
	spin_unlock(&vmap_area_lock);
}

struct vcheck {
	FILE *out;
	long problems;
};

static void vproblem(struct vcheck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vproblem(struct vcheck *c, const char *fmt, ...)
{
	va_list ap;

	if (c->out && c->problems < 50) {
		fprintf(c->out, "mmk_check: vmalloc: ");
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
		fputc('\n', c->out);
	}
	c->problems++;
}

static unsigned long check_subtree_max(struct vcheck *c, struct rb_node *n)
{
	struct vmap_area *va;
	unsigned long m, l, r;

	if (!n)
		return 0;
	va = rb_entry(n, struct vmap_area, rb_node);
	l = check_subtree_max(c, n->rb_left);
	r = check_subtree_max(c, n->rb_right);
	m = va_size(va);
	if (l > m)
		m = l;
	if (r > m)
		m = r;
	if (va->subtree_max_size != m)
		vproblem(c, "free area %#lx-%#lx says its subtree's largest is %lu bytes, it is %lu",
			 va->va_start, va->va_end, va->subtree_max_size, m);
	return m;
}

static bool check_frame(struct vcheck *c, const struct vmap_area *va,
			unsigned int i, const struct page *page)
{
	if (page < mem_map || page >= mem_map + max_pfn) {
		vproblem(c, "area %#lx: page %u is not a struct page (%p)", va->va_start, i,
			 (const void *)page);
		return false;
	}
	if (page->pg_state != PGS_ALLOC || page->pg_order != 0) {
		vproblem(c, "area %#lx: page %u (pfn %#lx) is not an allocated order-0 frame",
			 va->va_start, i, page_to_pfn(page));
		return false;
	}
	return true;
}

long vmalloc_check(FILE *out)
{
	struct vcheck c = { out, 0 };
	unsigned long covered = 0, prev_end = 0, vm_pages = 0, lazy_pages = 0;
	unsigned long lazy_areas = 0, runs = 0;
	struct vmap_area *lz;
	long nodes;

	if (!vmalloc_ready)
		return 0;
	spin_lock(&vmap_purge_lock);	/* no purge half done */
	spin_lock(&vmap_area_lock);
	if ((nodes = rb_validate(&free_vmap_area_root)) < 0)
		vproblem(&c, "the free tree is not a valid red-black tree");
	if (rb_validate(&busy_vmap_area_root) < 0)
		vproblem(&c, "the busy tree is not a valid red-black tree");
	check_subtree_max(&c, free_vmap_area_root.rb_node);

	for (struct rb_node *n = rb_first(&free_vmap_area_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (va->va_start >= va->va_end || (va->va_start | va->va_end) & (PAGE_SIZE - 1) ||
		    va->va_start < mmk_vmalloc_start || va->va_end > mmk_vmalloc_end)
			vproblem(&c, "free area %#lx-%#lx is empty, unaligned or outside the range",
				 va->va_start, va->va_end);
		if (prev_end && va->va_start <= prev_end)
			vproblem(&c, "free area %#lx-%#lx %s the one before it (ending %#lx)",
				 va->va_start, va->va_end,
				 va->va_start == prev_end ? "touches (not coalesced)" : "overlaps",
				 prev_end);
		prev_end = va->va_end;
		covered += va_size(va);
	}
	prev_end = 0;
	for (struct rb_node *n = rb_first(&busy_vmap_area_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		struct vm_struct *vm = va->vm;

		if (prev_end && va->va_start < prev_end)
			vproblem(&c, "busy area %#lx-%#lx overlaps the one before it", va->va_start,
				 va->va_end);
		prev_end = va->va_end;
		covered += va_size(va);
		if (!vm || (unsigned long)vm->addr != va->va_start || vm->size != va_size(va)) {
			vproblem(&c, "busy area %#lx-%#lx and its vm_struct disagree", va->va_start,
				 va->va_end);
			continue;
		}
		if (vm->flags & VM_UNINITIALIZED)
			continue;
		runs += vm->nr_runs;
		if (((unsigned long)vm->nr_pages + 1) << PAGE_SHIFT != vm->size)
			vproblem(&c, "area %#lx-%#lx holds %u pages for %lu bytes", va->va_start,
				 va->va_end, vm->nr_pages, vm->size);
		if (vm->flags & VM_ALLOC) {
			vm_pages += vm->nr_pages;
			for (unsigned int i = 0; i < vm->nr_pages; i++)
				if (!check_frame(&c, va, i, vm->pages[i]))
					break;
		}
	}
	list_for_each_entry(lz, &vmap_stuck_list, list)
		covered += va_size(lz);
	list_for_each_entry(lz, &purge_vmap_area_list, list) {
		lazy_areas++;
		runs += lz->vm->nr_runs;
		covered += va_size(lz);
		lazy_pages += va_size(lz) >> PAGE_SHIFT;
		vm_pages += lz->vm->nr_pages;
		if (busy_find(lz->va_start))
			vproblem(&c, "lazily freed area %#lx-%#lx is also busy", lz->va_start,
				 lz->va_end);
	}
	if (covered != mmk_vmalloc_end - mmk_vmalloc_start)
		vproblem(&c, "free, busy and lazy areas cover %lu bytes of a %lu-byte range",
			 covered, mmk_vmalloc_end - mmk_vmalloc_start);
	if (lazy_areas != vmap_lazy_areas)
		vproblem(&c, "the purge list holds %lu areas, its counter says %lu", lazy_areas,
			 vmap_lazy_areas);
	if (runs != vmap_live_runs)
		vproblem(&c, "live and lazy areas have %lu host mappings, the counter says %lu",
			 runs, vmap_live_runs);
	if (lazy_pages != vmap_lazy_nr)
		vproblem(&c, "the purge list holds %lu pages, its counter says %lu", lazy_pages,
			 vmap_lazy_nr);
	if (vm_pages != global_node_page_state(NR_VMALLOC))
		vproblem(&c, "areas hold %lu pages, nr_vmalloc says %lu", vm_pages,
			 global_node_page_state(NR_VMALLOC));
	spin_unlock(&vmap_area_lock);
	spin_unlock(&vmap_purge_lock);
	(void)nodes;
	return c.problems;
}

/* ---- Boot and shutdown ---------------------------------------------------------- */

#define VMALLOC_ALIGN	((uint64_t)PAGE_SIZE << MAX_PAGE_ORDER)

int vmalloc_init(uint64_t bytes)
{
	struct vmap_area *va;
	void *base;
	int err, cpus = arch_num_online_cpus(), log = 0;

	vmap_area_cachep = kmem_cache_create("vmap_area", sizeof(struct vmap_area), 0,
					     SLAB_PANIC, NULL);
	err = arch_vrange_reserve(bytes, VMALLOC_ALIGN, &base);
	if (err) {
		pr_err("mmkit: cannot reserve %llu bytes of address space for the vmalloc range (vmalloc=): error %d\n",
		       (unsigned long long)bytes, err);
		return err;
	}
	mmk_vmalloc_start = (unsigned long)base;
	mmk_vmalloc_end = mmk_vmalloc_start + (unsigned long)bytes;
	vmalloc_bytes = bytes;
	INIT_LIST_HEAD(&purge_vmap_area_list);
	INIT_LIST_HEAD(&vmap_stuck_list);
	free_vmap_area_root = RB_ROOT;
	busy_vmap_area_root = RB_ROOT;
	vmap_lazy_nr = vmap_lazy_areas = vmap_dead_maps = 0;
	vmap_live_runs = 0;
	host_maps_seen = -1;
	runs_since_seen = recheck_after = 0;
	host_map_limit = arch_max_map_count();
	ne_fit_spare = NULL;
	purge_list_sorted = true;

	/* Linux: 32 MiB of lazy pages per log2(CPUs) + 1; we also keep the
	 * frames they hold to a 32nd of RAM. */
	while (cpus >>= 1)
		log++;
	lazy_max_pages = (32UL << 20 >> PAGE_SHIFT) * (unsigned long)(log + 1);
	if (lazy_max_pages > totalram_pages() / 32)
		lazy_max_pages = totalram_pages() / 32;

	va = kmem_cache_alloc(vmap_area_cachep, GFP_KERNEL);
	va->va_start = mmk_vmalloc_start;
	va->va_end = mmk_vmalloc_end;
	free_insert(va, NULL, &free_vmap_area_root.rb_node);
	vmalloc_ready = true;
	return 0;
}

void vmalloc_shutdown(void)
{
	if (!vmalloc_ready)
		return;
	vmalloc_ready = false;
	/* RAM, and every struct here, goes away with the machine. */
	arch_vrange_release((void *)mmk_vmalloc_start, vmalloc_bytes);
	free_vmap_area_root = RB_ROOT;
	busy_vmap_area_root = RB_ROOT;
	INIT_LIST_HEAD(&purge_vmap_area_list);
	vmap_lazy_nr = vmap_lazy_areas = vmap_dead_maps = 0;
	ne_fit_spare = NULL;
	vmap_area_cachep = NULL;
	mmk_vmalloc_start = mmk_vmalloc_end = 0;
	vmalloc_bytes = 0;
}
