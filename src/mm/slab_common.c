// SPDX-License-Identifier: MIT
/*
 * kmalloc and the cache API on top of SLUB (slub.c).
 *
 * kmalloc(size) picks a cache by size class: 8, 16, 32, 64, 96, 128, 192,
 * 256, 512, 1k, 2k, 4k and 8k bytes. Sizes up to 192 go through a table in
 * 8-byte steps, so that 65..96 land in kmalloc-96 and 129..192 in
 * kmalloc-192, as in Linux; larger ones to the next power of two. Above
 * 8 KiB (KMALLOC_MAX_CACHE_SIZE) a request is a compound page straight from
 * the page allocator, up to KMALLOC_MAX_SIZE (kmalloc_max=, 128 KiB by
 * default, the limit the seed text quotes); above that kmalloc fails.
 *
 * Every class exists three times: kmalloc-N for ordinary requests,
 * kmalloc-rcl-N for __GFP_RECLAIMABLE ones (counted as SReclaimable) and
 * dma-kmalloc-N, whose slabs come from ZONE_DMA, for GFP_DMA.
 *
 * The cheap checks are always on: kfree() of a pointer that is in no slab
 * and no large kmalloc, or kmem_cache_free() to the wrong cache, is
 * reported and refused. slub_debug= adds the expensive ones.
 *
 * Locking: slab_mutex (a spinlock: nothing under it sleeps) guards the
 * list of caches; everything else is the caches' own business.
 */
#include <string.h>

#include "slab.h"

struct list_head slab_caches;
spinlock_t slab_mutex;
struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1]
	__attribute__((visibility("default")));

/*
 * The ordinary caches by size in 8-byte steps up to 192 bytes: a small
 * request with no zone or reclaim modifier finds its cache in one load.
 * Until boot (and after shutdown) every entry is kmalloc_unbooted, a cache
 * with no slab and no freelist, so the fast path needs no NULL test: it
 * fails to pop, and slab_alloc() hands the request to kmalloc_slow().
 */
struct kmem_cache kmalloc_unbooted = { .name = "kmalloc-unbooted" };
#define UNBOOTED_8(x)	x, x, x, x, x, x, x, x
static struct kmem_cache *kmalloc_small[192 / 8] = {
	UNBOOTED_8(&kmalloc_unbooted), UNBOOTED_8(&kmalloc_unbooted),
	UNBOOTED_8(&kmalloc_unbooted),
};
/* The same for 193 bytes up to 8 KiB, by fls(size - 1): 8 (256) to 13. */
static struct kmem_cache *kmalloc_pow2[KMALLOC_SHIFT_HIGH + 1] = {
	UNBOOTED_8(&kmalloc_unbooted), &kmalloc_unbooted, &kmalloc_unbooted,
	&kmalloc_unbooted, &kmalloc_unbooted, &kmalloc_unbooted, &kmalloc_unbooted,
};
_Static_assert(KMALLOC_SHIFT_HIGH + 1 == 14, "kmalloc_pow2[]'s initializer");

/* Index of the kmalloc cache for sizes 1..192, in 8-byte steps. */
static const uint8_t size_index[24] = {
	3,	/* 8 */
	4,	/* 16 */
	5,	/* 24 */
	5,	/* 32 */
	6,	/* 40 */
	6,	/* 48 */
	6,	/* 56 */
	6,	/* 64 */
	1,	/* 72 */
	1,	/* 80 */
	1,	/* 88 */
	1,	/* 96 */
	7,	/* 104 */
	7,	/* 112 */
	7,	/* 120 */
	7,	/* 128 */
	2,	/* 136 */
	2,	/* 144 */
	2,	/* 152 */
	2,	/* 160 */
	2,	/* 168 */
	2,	/* 176 */
	2,	/* 184 */
	2,	/* 192 */
};

static inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return (unsigned int)(64 - __builtin_clzl(size - 1));	/* fls(size - 1) */
}

static inline enum kmalloc_cache_type kmalloc_type(gfp_t gfp)
{
	if (likely(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE))))
		return KMALLOC_NORMAL;
	return (gfp & __GFP_DMA) ? KMALLOC_DMA : KMALLOC_RECLAIM;
}

static const char *const kmalloc_prefix[NR_KMALLOC_TYPES] = {
	"kmalloc-", "kmalloc-rcl-", "dma-kmalloc-",
};

static unsigned int kmalloc_size(unsigned int index)
{
	return index == 1 ? 96 : index == 2 ? 192 : 1U << index;
}

static void kmalloc_cache_name(char *buf, size_t len, int type, unsigned int size)
{
	if (size >= 1024)
		snprintf(buf, len, "%s%uk", kmalloc_prefix[type], size >> 10);
	else
		snprintf(buf, len, "%s%u", kmalloc_prefix[type], size);
}

static struct kmem_cache *create_cache(const char *name, unsigned int size,
				       unsigned int align, slab_flags_t flags,
				       void (*ctor)(void *))
{
	struct kmem_cache *s = __kmem_cache_create(name, size, align, flags, ctor);

	if (!s)
		return NULL;
	spin_lock(&slab_mutex);
	list_add_tail(&s->list, &slab_caches);
	spin_unlock(&slab_mutex);
	return s;
}

void kmem_cache_init(void)
{
	INIT_LIST_HEAD(&slab_caches);
	spin_lock_init(&slab_mutex);
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	if (kmem_cache_bootstrap())
		BUG();
	list_add_tail(&kmem_cache_cache->list, &slab_caches);

	for (int type = 0; type < NR_KMALLOC_TYPES; type++) {
		slab_flags_t flags = SLAB_KMALLOC;

		if (type == KMALLOC_DMA)
			flags |= SLAB_CACHE_DMA;
		if (type == KMALLOC_RECLAIM)
			flags |= SLAB_RECLAIM_ACCOUNT;
		for (unsigned int i = 1; i <= KMALLOC_SHIFT_HIGH; i++) {
			char name[32];

			if (i > 2 && i < KMALLOC_SHIFT_LOW)
				continue;
			kmalloc_cache_name(name, sizeof(name), type, kmalloc_size(i));
			/* Power-of-two sizes are naturally aligned, as Linux
			 * guarantees, even when slub_debug widens the stride. */
			kmalloc_caches[type][i] = create_cache(name, kmalloc_size(i),
							       i > 2 ? kmalloc_size(i) : 8,
							       flags, NULL);
			if (!kmalloc_caches[type][i]) {
				pr_emerg("Kernel panic - not syncing: kmalloc: cannot create %s\n",
					 name);
				BUG();
			}
		}
	}
	for (unsigned int i = 0; i < 192 / 8; i++)
		kmalloc_small[i] = kmalloc_caches[KMALLOC_NORMAL][size_index[i]];
	for (unsigned int i = 8; i <= KMALLOC_SHIFT_HIGH; i++)
		kmalloc_pow2[i] = kmalloc_caches[KMALLOC_NORMAL][i];
}

void kmem_cache_shutdown_all(void)
{
	for (unsigned int i = 0; i < 192 / 8; i++)
		kmalloc_small[i] = &kmalloc_unbooted;
	for (unsigned int i = 0; i <= KMALLOC_SHIFT_HIGH; i++)
		kmalloc_pow2[i] = &kmalloc_unbooted;
	/* The machine's RAM goes away with everything in it. */
	INIT_LIST_HEAD(&slab_caches);
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
	kmem_cache_cache = NULL;
}

/* ---- kmalloc ----------------------------------------------------------- */

/* The fast paths start on a cache line of their own: where the linker
 * happens to put them otherwise moved the 64-byte pair by ~10%. */
#define __fastpath_aligned	__attribute__((aligned(64)))

static void *kmalloc_large(size_t size, gfp_t gfp)
{
	unsigned int order = 0;
	struct page *page;

	if (unlikely(size > KMALLOC_MAX_SIZE)) {
		if (!(gfp & __GFP_NOWARN)) {
			pr_warn("WARNING: kmalloc: %s: a %zu-byte request exceeds KMALLOC_MAX_SIZE (%zu bytes, kmalloc_max=)\n",
				arch_current_comm(), size, (size_t)KMALLOC_MAX_SIZE);
			arch_dump_stack();
		}
		return NULL;
	}
	while ((PAGE_SIZE << order) < size)
		order++;
	page = alloc_pages(gfp | __GFP_COMP, order);
	if (!page)
		return NULL;
	SetPageFlag(page, PG_large_kmalloc);
	/* Linux counts large kmallocs as unreclaimable slab memory. */
	mod_node_page_state(node_data0, NR_SLAB_UNRECLAIMABLE_B, (long)(PAGE_SIZE << order));
	return page_address(page);
}

__attribute__((noinline))
void *kmalloc_slow(size_t size, gfp_t gfp)
{
	if (unlikely(!machine_booted) && __not_booted("kmalloc"))
		return NULL;
	if (!size)
		return ZERO_SIZE_PTR;
	return kmalloc_large(size, gfp);
}

__fastpath_aligned
void *mmk_kmalloc(size_t size, gfp_t gfp)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);

	if (likely(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ZERO)))) {
		if (likely(size - 1 < 192))
			return slab_alloc_fast_nozero(kmalloc_small[(size - 1) / 8], gfp,
						      size, caller);
		if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE))
			return slab_alloc_fast_nozero(kmalloc_pow2[64 - __builtin_clzl(size - 1)],
						      gfp, size, caller);
	} else if (likely(machine_booted && size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		return slab_alloc_fast(kmalloc_caches[kmalloc_type(gfp)][kmalloc_index(size)],
				       gfp, size, caller);
	}
	return kmalloc_slow(size, gfp);
}

/* kmalloc() with the cache chosen at compile time (see linux.h). */
__fastpath_aligned
void *mmk_kmalloc_cache(struct kmem_cache *s, gfp_t gfp, size_t size)
{
	if (likely(s))		/* NULL until boot */
		return slab_alloc_fast(s, gfp, size,
				       (unsigned long)__builtin_return_address(0));
	return kmalloc_slow(size, gfp);
}

void *mmk_kzalloc(size_t size, gfp_t gfp)
{
	return mmk_kmalloc(size, gfp | __GFP_ZERO);
}

void *mmk_kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return mmk_kmalloc(bytes, gfp);
}

void *mmk_kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return mmk_kmalloc_array(n, size, gfp | __GFP_ZERO);
}

/*
 * What @x is: an object of a slab (*slabp set), a large kmalloc (*pagep
 * set), or nothing kfree() may take (reported, returns false).
 */
static bool kmalloc_lookup(const char *fn, const void *x, struct page **slabp,
			   struct page **pagep)
{
	struct page *page;

	*slabp = *pagep = NULL;
	if (unlikely(!virt_in_direct_map(x))) {
		slab_bad_pointer(fn, x, "not a kernel address: it is outside the direct map (a user, stack, vmalloc or host pointer?)");
		return false;
	}
	page = compound_head(virt_to_page(x));
	if (likely(PageFlag(page, PG_slab))) {
		*slabp = page;
		return true;
	}
	if (PageFlag(page, PG_large_kmalloc) && page->pg_state == PGS_ALLOC) {
		if (x != page_address(page)) {
			slab_bad_pointer(fn, x, "points inside a large kmalloc, not at its start");
			return false;
		}
		*pagep = page;
		return true;
	}
	slab_bad_pointer(fn, x, page->pg_state == PGS_ALLOC ?
			 "in a page from the page allocator, not from kmalloc" :
			 "in a page that is not allocated (a double free, or a stale pointer?)");
	return false;
}

__attribute__((noinline))
static void kfree_slow(const void *x)
{
	struct page *slab, *page;

	if (unlikely(!machine_booted) && __not_booted("kfree"))
		return;
	if (!kmalloc_lookup("kfree", x, &slab, &page))
		return;
	if (slab) {
		slab_free(slab_cache(slab), slab, (void *)x, 0);
		return;
	}
	ClearPageFlag(page, PG_large_kmalloc);
	mod_node_page_state(node_data0, NR_SLAB_UNRECLAIMABLE_B,
			    -(long)(PAGE_SIZE << page->pg_order));
	__free_pages(page, page->pg_order);
}

/* kfree() without the hint: find the slab through struct page. */
__attribute__((noinline))
static void kfree_unhinted(const void *x, unsigned long caller)
{
	struct page *slab;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	if (likely(machine_booted) && likely(slab = virt_to_slab(x)))
		return slab_free_fast(slab_cache(slab), slab, (void *)x, caller);
	kfree_slow(x);
}

/* NULL and ZERO_SIZE_PTR miss the hint (it covers a direct-map slab):
 * kfree_unhinted() tests them. */
__fastpath_aligned
void mmk_kfree(const void *x)
{
	if (likely(kfree_hinted(x)))
		return;
	kfree_unhinted(x, (unsigned long)__builtin_return_address(0));
}

size_t mmk_ksize(const void *x)
{
	struct page *slab, *page;

	if (ZERO_OR_NULL_PTR(x) || not_booted())
		return 0;
	if (!kmalloc_lookup("ksize", x, &slab, &page))
		return 0;
	if (slab) {
		struct kmem_cache *s = slab_cache(slab);

		/* The caller may use all of it now: so may a red zone check. */
		if (kmalloc_has_redzone(s))
			kmalloc_redzone_resize(s, (void *)x, s->object_size);
		return s->object_size;
	}
	return PAGE_SIZE << page->pg_order;
}

/* Bytes of @p a caller may use: the object, or what was asked for when a
 * kmalloc red zone guards the rest. 0 for a bad pointer (reported). */
static size_t kmalloc_usable(const void *p, struct kmem_cache **redzone_cache)
{
	struct page *slab, *page;

	*redzone_cache = NULL;
	if (!kmalloc_lookup("krealloc", p, &slab, &page))
		return 0;
	if (!slab)
		return PAGE_SIZE << page->pg_order;
	if (kmalloc_has_redzone(slab_cache(slab))) {
		*redzone_cache = slab_cache(slab);
		return kmalloc_orig_size(*redzone_cache, (void *)p);
	}
	return slab_cache(slab)->object_size;
}

void *mmk_krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	struct kmem_cache *rz = NULL;
	size_t used = 0;
	void *ret;

	if (not_booted())
		return NULL;
	if (unlikely(!new_size)) {
		mmk_kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (!ZERO_OR_NULL_PTR(p)) {
		used = kmalloc_usable(p, &rz);
		if (!used)
			return NULL;	/* a bad pointer, reported */
		if (rz && new_size <= rz->object_size) {
			/* In place: zero what grows, red-zone what shrinks. */
			if ((gfp & __GFP_ZERO) && new_size > used)
				memset((char *)p + used, 0, new_size - used);
			kmalloc_redzone_resize(rz, (void *)p, new_size);
			return (void *)p;
		}
		if (!rz && used >= new_size) {
			if (gfp & __GFP_ZERO)
				memset((char *)p + new_size, 0, used - new_size);
			return (void *)p;
		}
	}
	ret = mmk_kmalloc(new_size, gfp);
	if (ret && used) {
		memcpy(ret, p, used < new_size ? used : new_size);
		mmk_kfree(p);
	}
	return ret;
}

/* ---- Caches ------------------------------------------------------------ */

struct kmem_cache *mmk_kmem_cache_create(const char *name, unsigned int size,
					 unsigned int align, slab_flags_t flags,
					 void (*ctor)(void *))
{
	struct kmem_cache *s = NULL;
	const char *why = NULL;

	if (not_booted())
		return NULL;
	if (!name || !*name)
		why = "no name";
	else if (!size || size > (PAGE_SIZE << MAX_PAGE_ORDER) / 2)
		why = "impossible object size";
	else if (align & (align - 1))
		why = "alignment is not a power of two";
	if (!why) {
		s = create_cache(name, size, align,
				 flags & (SLAB_HWCACHE_ALIGN | SLAB_POISON | SLAB_RED_ZONE |
					  SLAB_CACHE_DMA | SLAB_PANIC | SLAB_STORE_USER |
					  SLAB_CONSISTENCY_CHECKS | SLAB_RECLAIM_ACCOUNT),
				 ctor);
		if (!s)
			why = "out of memory";
	}
	if (!s) {
		pr_warn("kmem_cache_create(%s) failed: %s (size %u, align %u)\n",
			name ? name : "(null)", why, size, align);
		if (flags & SLAB_PANIC) {
			pr_emerg("Kernel panic - not syncing: kmem_cache_create: Failed to create slab '%s'\n",
				 name ? name : "(null)");
			BUG();
		}
	}
	return s;
}

void *mmk_kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (not_booted() || !s)
		return NULL;
	return slab_alloc_fast(s, gfp, s->object_size,
			       (unsigned long)__builtin_return_address(0));
}

void *mmk_kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (not_booted() || !s)
		return NULL;
	return slab_alloc(s, gfp | __GFP_ZERO, s->object_size,
			  (unsigned long)__builtin_return_address(0));
}

void mmk_kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct page *slab, *page;

	if (unlikely(!x) || not_booted())
		return;
	if (unlikely(!kmalloc_lookup("kmem_cache_free", x, &slab, &page)))
		return;
	if (unlikely(!slab || slab_cache(slab) != s)) {
		char why[128];

		snprintf(why, sizeof(why), "cache_from_obj: Wrong slab cache. %s but object is from %s",
			 s ? s->name : "(null)", slab ? slab_cache(slab)->name : "a large kmalloc");
		slab_bad_pointer("kmem_cache_free", x, why);
		return;
	}
	slab_free_fast(s, slab, x, (unsigned long)__builtin_return_address(0));
}

int mmk_kmem_cache_shrink(struct kmem_cache *s)
{
	if (!s || not_booted())
		return 0;
	return __kmem_cache_shrink(s);
}

void mmk_kmem_cache_destroy(struct kmem_cache *s)
{
	if (!s || not_booted())
		return;
	if (s->flags & SLAB_KMALLOC) {
		pr_warn("kmem_cache_destroy %s: refusing to destroy a kmalloc cache\n", s->name);
		return;
	}
	if (__kmem_cache_shutdown(s)) {
		char caller[96];

		pr_err("kmem_cache_destroy %s: Slab cache still has objects when called from %s\n",
		       s->name, arch_symbolize((unsigned long)__builtin_return_address(0),
					      caller, sizeof(caller)));
		arch_dump_stack();
		/* As Linux, keep the cache (in its place): its objects stay valid. */
		return;
	}
	spin_lock(&slab_mutex);
	list_del(&s->list);
	spin_unlock(&slab_mutex);
	/* No thread's kfree() hint may point into the cache's memory, and
	 * none may still be using one that does. */
	arch_fast_block(-1);
	arch_fast_unblock(-1);
	kmem_cache_release(s);
}
