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
	unsigned int rfree_count;
	void *freelist;			/* first free object (hardened links) */
	struct page *slab;		/* the frozen slab they belong to */
	/* Objects this CPU freed to one other slab, pushed there as one
	 * chain with one compare-and-swap (see slab_free()). */
	struct page *rfree_slab;
	void *rfree_head, *rfree_tail;
	/* Bumped whenever `slab` changes (set_cpu_slab()): kfree's hint
	 * holds the value it saw, so a hint never outlives the slab it
	 * describes, even when the same struct page comes back as this
	 * CPU's slab with another size. */
	unsigned long slab_seq;
} __attribute__((aligned(64)));

static inline void set_cpu_slab(struct kmem_cache_cpu *c, struct page *slab)
{
	c->slab = slab;
	c->slab_seq++;
}

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
	 * one less dependent load (struct page -> cache -> this array).
	 * cpu_slab[NR_CPUS] is the refusal slot: a thread that may not take
	 * the fast paths lands there (arch_this_thread.fast_slot), finds no
	 * freelist and no slab, ever, and goes the slow way. */
	struct kmem_cache_cpu cpu_slab[NR_CPUS + 1];
};

/* slab_common.c */
extern struct list_head slab_caches;
extern spinlock_t slab_mutex;
#define kmalloc_caches mmk_kmalloc_caches
_Static_assert(NR_KMALLOC_TYPES == MMK_KMALLOC_TYPES &&
	       KMALLOC_SHIFT_HIGH == MMK_KMALLOC_SHIFT_HIGH, "linux.h agrees");
void kmem_cache_init(void);
/* What kmalloc_small[] holds until boot: slab_alloc() sends it here. */
extern struct kmem_cache kmalloc_unbooted;
void *kmalloc_slow(size_t size, gfp_t gfp);	/* before boot, 0, large */
void kmem_cache_shutdown_all(void);

/* slub.c */
struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
				       unsigned int align, slab_flags_t flags,
				       void (*ctor)(void *));
int __kmem_cache_shutdown(struct kmem_cache *s);	/* 0, or -EBUSY with live objects */
int __kmem_cache_shrink(struct kmem_cache *s);
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

/*
 * The key of the free pointer stored at @addr. In a run of allocations and
 * frees the pointer values travel a dependency chain through memory (the
 * object's free pointer, then c->freelist, then the next object's), and
 * every operation on that chain delays the next allocation: the key is
 * computed apart, from the address alone, and applied with one xor. The
 * empty asm keeps the compiler from reassociating the xors back into the
 * chain.
 */
static inline unsigned long freeptr_key_of(unsigned long random, unsigned long addr)
{
	unsigned long key = random ^ __builtin_bswap64(addr);

	__asm__("" : "+r"(key));
	return key;
}

static inline unsigned long freeptr_key(const struct kmem_cache *s, unsigned long addr)
{
	return freeptr_key_of(s->random, addr);
}

/* set_freepointer() with the cache's secret and offset given. */
static inline void __set_freepointer(unsigned long random, unsigned long offset,
				     void *object, void *fp)
{
	unsigned long addr = (unsigned long)object + offset;
	unsigned long v = (unsigned long)fp ^ freeptr_key_of(random, addr);

	memcpy((void *)addr, &v, sizeof(v));
}

static inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	unsigned long addr = (unsigned long)object + s->offset, v;
	unsigned long key = freeptr_key(s, addr);

	memcpy(&v, (void *)addr, sizeof(v));
	return (void *)(v ^ key);
}

static inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	__set_freepointer(s->random, s->offset, object, fp);
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
 * The owner fast paths touch this thread's CPU slot with no atomic and no
 * lock word: the thread marks itself inside (fast_active), then reads
 * fast_slot or its kfree hint, which a remote CPU that wants the slot
 * (a flush, the checker, kmem_cache_destroy()) first points elsewhere with
 * arch_fast_block(), waiting for the thread to be outside; the remote then
 * takes the slot's cpu_lock, which the owner's slow paths take too.
 * What else they test, and what they leave to the slow paths:
 *
 *   - this thread owns its CPU number alone, in this boot, and no remote
 *     blocks it: else fast_slot is the refusal slot (cpu_slab[NR_CPUS]),
 *     whose freelist and slab are always NULL;
 *   - the gfp allows it: no __GFP_ZERO (the callers test it, most often at
 *     compile time), and no __GFP_DIRECT_RECLAIM in atomic context
 *     (atomic_gfp), which slab_alloc() reports;
 *   - slub_debug: a debug cache never fills its CPU slots (every debug
 *     allocation and free goes through slab_alloc()/slab_free()), so its
 *     fast paths find no freelist and no slab, with no flag to test.
 *
 * They are not reentrant: a program's signal handler that interrupts one
 * must not allocate (as a kernel's interrupt handler may not interrupt
 * code that runs with interrupts off).
 */
_Static_assert(sizeof(struct kmem_cache_cpu) == ARCH_FAST_SLOT_BYTES,
	       "the slots of cpu_slab[] are arch_thread.fast_slot's");

static inline __attribute__((always_inline)) void fast_enter(void)
{
	__atomic_store_n(&arch_this_thread.fast_active, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline __attribute__((always_inline)) void fast_leave(void)
{
	__atomic_store_n(&arch_this_thread.fast_active, 0, __ATOMIC_RELEASE);
}

/* This thread's slot in @s: its CPU's, or the refusal slot. */
static inline __attribute__((always_inline))
struct kmem_cache_cpu *this_cpu_slab(struct kmem_cache *s)
{
	return (struct kmem_cache_cpu *)((char *)s->cpu_slab +
		__atomic_load_n(&arch_this_thread.fast_slot, __ATOMIC_RELAXED));
}

/*
 * Pop this CPU's freelist; every other case is a tail call to slab_alloc(),
 * so that this is a leaf without a call in it and needs no stack frame.
 * @gfp must not hold __GFP_ZERO.
 */
static inline __attribute__((always_inline))
void *slab_alloc_fast_nozero(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
			     unsigned long caller)
{
	if (likely(!(gfp & arch_this_thread.atomic_gfp))) {
		struct kmem_cache_cpu *c;
		void *object;

		fast_enter();
		c = this_cpu_slab(s);
		object = c->freelist;
		if (likely(object)) {
			c->freelist = get_freepointer(s, object);
			fast_leave();
			return object;
		}
		fast_leave();
	}
	return slab_alloc(s, gfp, orig_size, caller);
}

static inline __attribute__((always_inline))
void *slab_alloc_fast(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		      unsigned long caller)
{
	if (unlikely(gfp & __GFP_ZERO))
		return slab_alloc(s, gfp, orig_size, caller);
	return slab_alloc_fast_nozero(s, gfp, orig_size, caller);
}

/*
 * Push on this CPU's freelist when the object is from its slab, and make
 * that slab kfree()'s hint: this thread's next free to the same slab skips
 * struct page and the cache (three dependent loads, most of a kfree). The
 * hint lives in arch_this_thread (hint_*); it is set only inside a fast
 * path, and arch_fast_block() empties it. It is only a hint: kfree_hinted()
 * checks that the CPU's slab is still that slab, in that installation
 * (slab_seq), so with that size.
 */
static inline __attribute__((always_inline))
void slab_free_fast(struct kmem_cache *s, struct page *slab, void *object,
		    unsigned long caller)
{
	struct arch_thread *t = &arch_this_thread;
	struct kmem_cache_cpu *c;

	fast_enter();
	c = this_cpu_slab(s);
	if (likely(slab == c->slab && object != c->freelist)) {
		set_freepointer(s, object, c->freelist);
		c->freelist = object;
		t->hint_start = (uintptr_t)slab_address(slab);
		t->hint_len = PAGE_SIZE << slab->pg_order;
		t->hint_seq = c->slab_seq;
		t->hint_cpu = c;
		t->hint_random = s->random;
		t->hint_offset = s->offset;
		fast_leave();
		return;
	}
	fast_leave();
	slab_free(s, slab, object, caller);
}

/* kfree() of an object in the slab of this thread's last fast free. */
static inline __attribute__((always_inline)) bool kfree_hinted(const void *object)
{
	struct arch_thread *t = &arch_this_thread;

	fast_enter();
	if (likely((uintptr_t)object - t->hint_start < t->hint_len)) {
		struct kmem_cache_cpu *c = t->hint_cpu;

		if (likely(c->slab_seq == t->hint_seq && object != c->freelist)) {
			__set_freepointer(t->hint_random, t->hint_offset, (void *)object,
					  c->freelist);
			c->freelist = (void *)object;
			fast_leave();
			return true;
		}
	}
	fast_leave();
	return false;
}

#pragma GCC visibility pop

#endif
