/* SPDX-License-Identifier: MIT */
/*
 * The slab allocator's shared declarations (slub.c, slab_common.c, the
 * slabinfo report): caches, per-CPU slabs, and how a slab lives in the
 * struct page of its first frame.
 *
 * A slab is a block of 2^order frames (a compound page when order > 0) cut
 * into objects of one cache. Its head page carries, as in Linux, the slab's
 * own fields in place of a page's:
 *
 *   page->mapping  the kmem_cache (slab_cache)
 *   page->lru      the link on the node's partial list (slab_list)
 *   page->index    objects in the slab (constant while it lives)
 *   page->private  the slab's state word, changed with one compare-and-swap:
 *                    bits  0..31  offset+1 of the first free object (0: none)
 *                    bits 32..47  inuse: objects not on this freelist
 *                    bit  48      frozen: the slab is some CPU's active slab
 *
 * One word for freelist and counters is what Linux's cmpxchg_double does
 * with two. The only operations on the slab freelist are "push one" (a free
 * from a CPU that does not own the slab) and "take all" (the owner, or a CPU
 * adopting a partial slab), so it is a Treiber stack with no ABA hazard.
 */
#ifndef MMK_SLAB_H
#define MMK_SLAB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "cpu_lock.h"

#pragma GCC visibility push(hidden)

/* The cache flags (slab_flags_t, SLAB_*) are public: <mmkit/linux.h>. */
#define SLAB_KMALLOC		0x00001000U	/* a kmalloc-* cache */
#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | \
			  SLAB_POISON | SLAB_STORE_USER)

/* Poison and red-zone bytes, Linux's values (include/linux/poison.h). */
#define POISON_INUSE		0x5a	/* padding, never written by users */
#define POISON_FREE		0x6b	/* a free object */
#define POISON_END		0xa5	/* the last byte of a free object */
#define SLUB_RED_INACTIVE	0xbb	/* red zone of a free object */
#define SLUB_RED_ACTIVE		0xcc	/* red zone of an allocated object */

#define KMALLOC_MIN_SIZE	8
#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)	/* caches up to 8 KiB */
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)

enum kmalloc_cache_type {
	KMALLOC_NORMAL,
	KMALLOC_RECLAIM,
	KMALLOC_DMA,
	NR_KMALLOC_TYPES
};

/* A CPU's active slab: the objects it may hand out without any atomic. */
struct kmem_cache_cpu {
	struct cpu_lock cl;
	void *freelist;			/* first free object (hardened links) */
	struct page *slab;		/* the frozen slab they belong to */
	/* Objects this CPU freed to one other slab, pushed there as one
	 * chain with one compare-and-swap (see slab_free()). */
	struct page *rfree_slab;
	void *rfree_head, *rfree_tail;
	unsigned int rfree_count;
} __attribute__((aligned(64)));

/* Where a tracked allocation or free came from (slub_debug=U). */
struct track {
	unsigned long addr;		/* caller */
	int cpu;
	int pid;
	uint64_t when;			/* ns since boot */
};

enum track_item { TRACK_ALLOC, TRACK_FREE };

struct kmem_cache_node {
	spinlock_t list_lock;
	unsigned long nr_partial;
	struct list_head partial;
	atomic_long nr_slabs;
	atomic_long total_objects;
	struct list_head full;		/* debug caches only */
};

struct kmem_cache {
	slab_flags_t flags;
	unsigned int object_size;	/* what the caller asked for */
	unsigned int size;		/* the stride: object plus metadata */
	unsigned int offset;		/* of the free pointer in the object */
	unsigned int inuse;		/* offset of the metadata after the object */
	unsigned int align;
	unsigned int red_left_pad;	/* left red zone, before each object */
	unsigned int order;		/* of each slab */
	unsigned int objects;		/* per slab */
	unsigned long min_partial;	/* empty slabs kept on the partial list */
	unsigned long random;		/* freelist hardening key */
	gfp_t allocflags;		/* added to every slab allocation */
	void (*ctor)(void *);
	int refcount;
	struct kmem_cache_node node;	/* one NUMA node */
	struct list_head list;		/* on slab_caches */
	char name[32];
	unsigned long check_epoch, check_slabs, check_objects;	/* mmk_check() */
	/* Inline, not behind a pointer: kfree() reaches its CPU's slab in
	 * one less dependent load (struct page -> cache -> this array). */
	struct kmem_cache_cpu cpu_slab[NR_CPUS];
};

/* slab_common.c */
extern struct list_head slab_caches;
extern spinlock_t slab_mutex;
#define kmalloc_caches mmk_kmalloc_caches
_Static_assert(NR_KMALLOC_TYPES == MMK_KMALLOC_TYPES &&
	       KMALLOC_SHIFT_HIGH == MMK_KMALLOC_SHIFT_HIGH, "linux.h agrees");
void kmem_cache_init(void);
void kmem_cache_shutdown_all(void);

/* slub.c */
struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
				       unsigned int align, slab_flags_t flags,
				       void (*ctor)(void *));
int __kmem_cache_shutdown(struct kmem_cache *s);	/* 0, or -EBUSY with live objects */
void *slab_alloc(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		 unsigned long caller);
void slab_free(struct kmem_cache *s, struct page *slab, void *object,
	       unsigned long caller);
void flush_all_cpu_slabs(struct kmem_cache *s);
extern struct kmem_cache *kmem_cache_cache;
int kmem_cache_bootstrap(void);
void kmem_cache_release(struct kmem_cache *s);
/* Slabs, objects and free objects of @s, for slabinfo. */
void slab_cache_counts(struct kmem_cache *s, unsigned long *nr_slabs,
		       unsigned long *nr_objs, unsigned long *nr_free);

/* slub_debug.c: slub_debug= and the reports of every check. */
int slub_debug_parse(const char *arg);		/* 0, or -EINVAL */
slab_flags_t slab_debug_flags_for(const char *name);
void init_object_debug(struct kmem_cache *s, void *object, uint8_t val);
void *alloc_debug(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		  unsigned long caller);
void free_debug(struct kmem_cache *s, struct page *slab, void *object,
		unsigned long caller);
void slab_double_free(struct kmem_cache *s, struct page *slab, void *object);
bool kmalloc_has_redzone(const struct kmem_cache *s);
size_t kmalloc_orig_size(struct kmem_cache *s, void *object);
void kmalloc_redzone_resize(struct kmem_cache *s, void *object, size_t new_size);
void list_slab_objects(struct kmem_cache *s);
/* Report a bad pointer given to kfree()/kmem_cache_free()/ksize(). */
void slab_bad_pointer(const char *fn, const void *x, const char *why);
long slab_check(FILE *out);

/* The head page of the slab holding @x, or NULL if @x is not in a slab. */
static inline struct page *virt_to_slab(const void *x)
{
	struct page *page;

	if (!virt_in_direct_map(x))
		return NULL;
	page = compound_head(page_of((unsigned long)(((const char *)x - direct_map_base)
						      >> PAGE_SHIFT)));
	return PageFlag(page, PG_slab) ? page : NULL;
}

static inline struct kmem_cache *slab_cache(const struct page *slab)
{
	return (struct kmem_cache *)slab->mapping;
}

static inline void *slab_address(const struct page *slab)
{
	return pfn_to_virt(pfn_of(slab));
}

/* ---- Free pointers, the state word, partial lists (slub.c's tools) ---- */

#define SS_HEAD_MASK	0xffffffffUL
#define SS_INUSE_SHIFT	32
#define SS_INUSE_MASK	0xffffUL
#define SS_FROZEN	(1UL << 48)
#define MAX_OBJS_PER_SLAB 32767

/* ---- Hardened free pointers -------------------------------------------- */

static inline unsigned long freeptr_key(const struct kmem_cache *s, unsigned long addr)
{
	return s->random ^ __builtin_bswap64(addr);
}

static inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	unsigned long addr = (unsigned long)object + s->offset, v;

	memcpy(&v, (void *)addr, sizeof(v));
	return (void *)(v ^ freeptr_key(s, addr));
}

static inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	unsigned long addr = (unsigned long)object + s->offset;
	unsigned long v = (unsigned long)fp ^ freeptr_key(s, addr);

	memcpy((void *)addr, &v, sizeof(v));
}

/* ---- The slab state word ---------------------------------------------- */

static inline unsigned long slab_state(struct page *slab)
{
	return __atomic_load_n(&slab->private, __ATOMIC_ACQUIRE);
}

static inline bool slab_state_cas(struct page *slab, unsigned long *old,
				  unsigned long new)
{
	return __atomic_compare_exchange_n(&slab->private, old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline void *ss_head(struct page *slab, unsigned long st)
{
	unsigned long off1 = st & SS_HEAD_MASK;

	return off1 ? (char *)slab_address(slab) + off1 - 1 : NULL;
}

static inline unsigned long ss_off1(struct page *slab, const void *obj)
{
	return obj ? (unsigned long)((const char *)obj - (char *)slab_address(slab)) + 1 : 0;
}

static inline unsigned int ss_inuse(unsigned long st)
{
	return (unsigned int)((st >> SS_INUSE_SHIFT) & SS_INUSE_MASK);
}

static inline unsigned long ss_make(struct page *slab, const void *head,
				    unsigned int inuse, bool frozen)
{
	return ss_off1(slab, head) | ((unsigned long)inuse << SS_INUSE_SHIFT) |
	       (frozen ? SS_FROZEN : 0);
}

static inline unsigned int slab_objects(const struct page *slab)
{
	return (unsigned int)slab->index;
}

static inline void *slab_object(struct kmem_cache *s, struct page *slab, unsigned int i)
{
	return (char *)slab_address(slab) + (size_t)i * s->size + s->red_left_pad;
}

/* ---- The node's partial list (list_lock held) ------------------------- */

static inline void add_partial(struct kmem_cache_node *n, struct page *slab)
{
	list_add_tail(&slab->lru, &n->partial);
	n->nr_partial++;
}

static inline void remove_partial(struct kmem_cache_node *n, struct page *slab)
{
	list_del(&slab->lru);
	n->nr_partial--;
}

struct page *allocate_slab(struct kmem_cache *s, gfp_t gfp);
void discard_slab(struct kmem_cache *s, struct page *slab);

/* ---- The fast paths, inlined into kmalloc()/kfree() and friends -------- */

/*
 * Pop this CPU's freelist; every other case is a tail call to slab_alloc(),
 * so that this is a leaf without a call in it and needs no stack frame.
 */
static inline __attribute__((always_inline))
void *slab_alloc_fast(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		      unsigned long caller)
{
	int cpu = arch_owned_cpu();

	if (likely(cpu >= 0 && !(s->flags & SLAB_DEBUG_FLAGS) && !(gfp & __GFP_ZERO) &&
		   !((gfp & __GFP_DIRECT_RECLAIM) && arch_this_thread.preempt_count))) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

		if (likely(cpu_owner_trylock(&c->cl))) {
			void *object = c->freelist;

			if (likely(object)) {
				c->freelist = get_freepointer(s, object);
				cpu_owner_unlock(&c->cl);
				return object;
			}
			cpu_owner_unlock(&c->cl);
		}
	}
	return slab_alloc(s, gfp, orig_size, caller);
}

/*
 * kfree()'s shortcut: this thread's most recent fast free, so that the next
 * free to the same slab skips struct page and the cache (three dependent
 * loads, which are most of a kfree). Only a hint: the locked section checks
 * that the CPU's slab is still that slab.
 */
struct kfree_hint {
	uintptr_t start, len;		/* the slab's bytes */
	struct page *slab;
	struct kmem_cache *s;
	struct kmem_cache_cpu *c;
	unsigned int gen;		/* kfree_hint_gen when it was made */
};
extern _Thread_local struct kfree_hint kfree_hint
	__attribute__((tls_model("initial-exec")));
/* Bumped at boot and by kmem_cache_destroy(): every hint goes stale. */
extern unsigned int kfree_hint_gen;

/* Push on this CPU's freelist when the object is from its slab. */
static inline __attribute__((always_inline))
void slab_free_fast(struct kmem_cache *s, struct page *slab, void *object,
		    unsigned long caller)
{
	int cpu = arch_owned_cpu();

	if (likely(cpu >= 0 && !(s->flags & SLAB_DEBUG_FLAGS))) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

		if (likely(cpu_owner_trylock(&c->cl))) {
			if (likely(slab == c->slab && object != c->freelist)) {
				set_freepointer(s, object, c->freelist);
				c->freelist = object;
				cpu_owner_unlock(&c->cl);
				kfree_hint = (struct kfree_hint){
					(uintptr_t)slab_address(slab),
					PAGE_SIZE << slab->pg_order, slab, s, c,
					__atomic_load_n(&kfree_hint_gen, __ATOMIC_RELAXED) };
				return;
			}
			cpu_owner_unlock(&c->cl);
		}
	}
	slab_free(s, slab, object, caller);
}

/* kfree() of an object in the slab of this thread's last fast free. */
static inline __attribute__((always_inline)) bool kfree_hinted(const void *object)
{
	struct kfree_hint *h = &kfree_hint;
	struct kmem_cache_cpu *c;

	if (!((uintptr_t)object - h->start < h->len &&
	      h->gen == __atomic_load_n(&kfree_hint_gen, __ATOMIC_RELAXED)))
		return false;
	c = h->c;
	if (likely(cpu_owner_trylock(&c->cl))) {
		if (likely(c->slab == h->slab && object != c->freelist)) {
			set_freepointer(h->s, (void *)object, c->freelist);
			c->freelist = (void *)object;
			cpu_owner_unlock(&c->cl);
			return true;
		}
		cpu_owner_unlock(&c->cl);
	}
	return false;
}

#pragma GCC visibility pop

#endif
