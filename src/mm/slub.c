// SPDX-License-Identifier: MIT
/*
 * SLUB: the slab allocator.
 *
 * 1. What it manages. A cache (struct kmem_cache) hands out objects of one
 *    size. It gets memory from the page allocator a slab at a time: a block
 *    of 2^order physically contiguous frames cut into objects, so every
 *    object is physically contiguous and lives in the direct map, locked in
 *    RAM and never swapped. A free object holds, at s->offset, the address
 *    of the next free object, stored hardened (xor with a per-cache secret
 *    and its own byte-swapped address, as SLAB_FREELIST_HARDENED does), so a
 *    use-after-free write cannot plant a usable pointer.
 *
 * 2. Slab states (the state word is described in slab.h):
 *      frozen   the active slab of one CPU: c->slab. Its objects are split
 *               between the CPU's own freelist (c->freelist, used without
 *               any atomic) and the slab's freelist, where other CPUs push
 *               the objects they free. On no list.
 *      partial  some objects free, not frozen: on the node's partial list.
 *      full     no free object, not frozen: on no list (SLUB does not track
 *               full slabs; debug caches do, on node.full).
 *      empty    all objects free, not frozen: kept on the partial list
 *               while fewer than min_partial slabs are there, otherwise
 *               given back to the page allocator at once.
 *
 * 3. Paths.
 *      alloc fast  pop c->freelist (slab.h: no atomic, no lock word).
 *      alloc slow  take the objects other CPUs freed to c->slab; else adopt
 *                  a partial slab (freeze it, take its whole freelist); else
 *                  allocate a new slab.
 *      free fast   the object's slab is c->slab: push on c->freelist.
 *      free slow   push on the slab's freelist with one compare-and-swap;
 *                  only when the slab goes from full to partial, or becomes
 *                  empty, does it take the node's list_lock to move it.
 *    Debug caches (slub_debug=) take neither fast path: every allocation
 *    and free runs under list_lock with its checks (slub_debug.c).
 *
 * 4. Empty slabs go back to the page allocator when they become empty and
 *    the partial list already holds min_partial slabs (5 to 10, more for
 *    bigger objects), so a cache keeps a few slabs for the next burst and
 *    no more; kmem_cache_destroy() and shutdown return all of them.
 *
 * 5. Lock order: arch_fast_block() (its fast_lock, held only while it
 *    waits for fast paths to end), then c->cl (the CPU's cpu_lock), then
 *    node.list_lock, then the page allocator's locks. The fast paths take
 *    none: they mark the thread and read its slot or hint (slab.h), and
 *    whoever changes another CPU's slot blocks them first. The slab state
 *    word is changed only by compare-and-swap; moving a slab between
 *    states that are lists (partial, full) also needs list_lock, taken
 *    before the compare-and-swap.
 */
#include <string.h>

#include "slab.h"

/* The cache of caches, set up by hand in a page of its own (bootstrap). */
struct kmem_cache *kmem_cache_cache;

/* ---- Slabs from the page allocator ------------------------------------ */

static void account_slab(struct kmem_cache *s, struct page *slab, int sign)
{
	long bytes = (long)(PAGE_SIZE << slab->pg_order) * sign;

	mod_node_page_state(node_data0, (s->flags & SLAB_RECLAIM_ACCOUNT) ?
			    NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B, bytes);
	atomic_fetch_add(&s->node.nr_slabs, sign);
	atomic_fetch_add(&s->node.total_objects, (long)slab_objects(slab) * sign);
}

/* Objects that fit a slab of @order. */
static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

struct page *allocate_slab(struct kmem_cache *s, gfp_t gfp)
{
	gfp_t flags = (gfp & ~(__GFP_ZERO | __GFP_COMP)) | s->allocflags;
	unsigned int order = s->order;
	struct page *slab;
	void *prev = NULL;

	/* Try the preferred order lightly, then the smallest that fits one. */
	if (order)
		flags |= __GFP_COMP;
	slab = alloc_pages(order ? (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL
				 : flags, order);
	if (!slab && order) {
		unsigned int min_order = 0;

		while ((PAGE_SIZE << min_order) < s->size)
			min_order++;
		if (min_order < order) {
			order = min_order;
			slab = alloc_pages(min_order ? flags | __GFP_COMP : flags & ~__GFP_COMP,
					   min_order);
		}
	}
	if (!slab)
		return NULL;

	SetPageFlag(slab, PG_slab);
	slab->mapping = s;
	slab->index = order_objects(order, s->size);
	for (unsigned int i = slab_objects(slab); i-- > 0;) {
		void *obj = slab_object(s, slab, i);

		if (s->flags & SLAB_DEBUG_FLAGS)
			init_object_debug(s, obj, SLUB_RED_INACTIVE);
		if (s->ctor)
			s->ctor(obj);
		set_freepointer(s, obj, prev);
		prev = obj;
	}
	__atomic_store_n(&slab->private, ss_make(slab, prev, 0, false), __ATOMIC_RELEASE);
	account_slab(s, slab, 1);
	return slab;
}

void discard_slab(struct kmem_cache *s, struct page *slab)
{
	account_slab(s, slab, -1);
	ClearPageFlag(slab, PG_slab);
	slab->mapping = NULL;
	slab->index = 0;
	slab->private = 0;
	__free_pages(slab, slab->pg_order);
}

/*
 * Freeze @slab for this CPU and take its whole freelist. Returns the first
 * object, or NULL (the slab is then left as it was).
 */
static void *freeze_slab(struct page *slab)
{
	unsigned long old = slab_state(slab);

	do {
		if (!(old & SS_HEAD_MASK))
			return NULL;
	} while (!slab_state_cas(slab, &old,
				 ss_make(slab, NULL, slab_objects(slab), true)));
	return ss_head(slab, old);
}

/* Adopt a partial slab as this CPU's; returns its freelist. */
static void *get_partial(struct kmem_cache *s, struct page **slabp)
{
	struct kmem_cache_node *n = &s->node;
	struct page *slab;
	void *freelist = NULL;

	if (!n->nr_partial)	/* racy peek, as Linux does */
		return NULL;
	spin_lock(&n->list_lock);
	while (!list_empty(&n->partial)) {
		slab = list_first_entry(&n->partial, struct page, lru);
		remove_partial(n, slab);
		freelist = freeze_slab(slab);
		if (freelist) {
			*slabp = slab;
			break;
		}
	}
	spin_unlock(&n->list_lock);
	return freelist;
}

/*
 * Give @slab up as this CPU's, returning the objects of @freelist (the
 * CPU's own, @count of them, ending at @tail) to it, and put it where its
 * new state belongs.
 */
static void deactivate_slab(struct kmem_cache *s, struct page *slab,
			    void *freelist, void *tail, unsigned int count)
{
	struct kmem_cache_node *n = &s->node;
	unsigned long old, new;
	bool discard = false;

	spin_lock(&n->list_lock);
	old = slab_state(slab);
	do {
		void *head = freelist ? freelist : ss_head(slab, old);

		if (freelist)
			set_freepointer(s, tail, ss_head(slab, old));
		new = ss_make(slab, head, ss_inuse(old) - count, false);
	} while (!slab_state_cas(slab, &old, new));

	if (!ss_inuse(new) && n->nr_partial >= s->min_partial)
		discard = true;
	else if (new & SS_HEAD_MASK)
		add_partial(n, slab);
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* ---- Allocation ------------------------------------------------------- */

static void flush_remote_frees(struct kmem_cache *s, struct kmem_cache_cpu *c);

/* Push every other CPU's gathered frees of @s (our own CPU, @mine, is not
 * locked by the caller and is flushed by it afterwards). */
static void flush_all_remote_frees(struct kmem_cache *s, struct kmem_cache_cpu *mine)
{
	int n = arch_nr_cpus_seen();

	arch_fast_block(-1);
	for (int i = 0; i < n && i < NR_CPUS; i++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[i];

		if (c == mine || !__atomic_load_n(&c->rfree_slab, __ATOMIC_RELAXED))
			continue;
		cpu_lock_remote(&c->cl);
		flush_remote_frees(s, c);
		cpu_unlock_remote(&c->cl);
	}
	arch_fast_unblock(-1);
}

__attribute__((noinline))
static void *___slab_alloc(struct kmem_cache *s, gfp_t gfp,
			   struct kmem_cache_cpu *c, bool *owner)
{
	struct page *slab;
	void *freelist;
	bool flushed_all = false;

	for (;;) {
		if (c->freelist)	/* a thread sharing our CPU number refilled it */
			return c->freelist;
		slab = c->slab;
		if (slab) {
			/* Take what other CPUs freed to our slab; if nothing,
			 * the slab is full: unfreeze it (it is on no list). */
			unsigned long old = slab_state(slab);

			for (;;) {
				freelist = ss_head(slab, old);
				if (freelist ? slab_state_cas(slab, &old,
						ss_make(slab, NULL, slab_objects(slab), true))
					     : slab_state_cas(slab, &old, old & ~SS_FROZEN))
					break;
			}
			if (freelist) {
				c->freelist = freelist;
				return freelist;
			}
			set_cpu_slab(c, NULL);
		}

		/* Objects this CPU freed and gathered for a slab count as in
		 * use until pushed: push them before adopting or allocating. */
		flush_remote_frees(s, c);
		freelist = get_partial(s, &slab);
		if (freelist) {
			set_cpu_slab(c, slab);
			c->freelist = freelist;
			return freelist;
		}

		/* A new slab. The page allocator may drain or reclaim: do
		 * not make other CPUs wait for us meanwhile. */
		cpu_unlock(&c->cl, *owner);
		slab = allocate_slab(s, gfp);
		if (!slab && !flushed_all) {
			/*
			 * Out of memory. Objects other CPUs freed to slabs not
			 * their own may wait in their gathers (a CPU whose
			 * thread exited keeps them until the number is reused):
			 * push every CPU's, then look at the partial list again.
			 */
			flush_all_remote_frees(s, c);
			flushed_all = true;
			*owner = cpu_lock(&c->cl);
			continue;
		}
		*owner = cpu_lock(&c->cl);
		if (!slab)
			return NULL;
		if (c->slab) {
			/* Someone installed a slab meanwhile: keep ours spare. */
			spin_lock(&s->node.list_lock);
			add_partial(&s->node, slab);
			spin_unlock(&s->node.list_lock);
			continue;
		}
		set_cpu_slab(c, slab);
		c->freelist = freeze_slab(slab);
		return c->freelist;
	}
}

static void slab_out_of_memory(struct kmem_cache *s, gfp_t gfp)
{
	char flags[160];
	unsigned long slabs, objs, free;

	if (gfp & __GFP_NOWARN)
		return;
	pr_warn("SLUB: Unable to allocate memory on node -1, gfp=%#x(%s)\n", gfp,
		format_gfp(gfp, flags, sizeof(flags)));
	unsigned int min_order = 0;

	while ((PAGE_SIZE << min_order) < s->size)
		min_order++;
	pr_warn("  cache: %s, object size: %u, buffer size: %u, default order: %u, min order: %u\n",
		s->name, s->object_size, s->size, s->order, min_order);
	slab_cache_counts(s, &slabs, &objs, &free);
	pr_warn("  node 0: slabs: %lu, objs: %lu, free: %lu\n", slabs, objs, free);
}

void *slab_alloc(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		 unsigned long caller)
{
	struct kmem_cache_cpu *c;
	void *object;
	bool owner;

	if (unlikely(s == &kmalloc_unbooted))
		return kmalloc_slow(orig_size, gfp);
	might_alloc(gfp);
	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		object = alloc_debug(s, gfp, orig_size, caller);
		goto out;
	}
	c = &s->cpu_slab[arch_smp_processor_id()];
	owner = cpu_lock(&c->cl);
	object = c->freelist;
	if (unlikely(!object))
		object = ___slab_alloc(s, gfp, c, &owner);
	if (likely(object))
		c->freelist = get_freepointer(s, object);
	cpu_unlock(&c->cl, owner);
out:
	if (unlikely(!object)) {
		slab_out_of_memory(s, gfp);
		return NULL;
	}
	if (unlikely(gfp & __GFP_ZERO))
		memset(object, 0, (s->flags & SLAB_RED_ZONE) && (s->flags & SLAB_KMALLOC) ?
		       orig_size : s->object_size);
	return object;
}

/* ---- Freeing ---------------------------------------------------------- */

/*
 * Push the chain @head..@tail of @cnt objects on @slab's freelist: the
 * slab is not our CPU's.
 */
static void __slab_free(struct kmem_cache *s, struct page *slab, void *head,
			void *tail, unsigned int cnt)
{
	struct kmem_cache_node *n = &s->node;
	unsigned long old = slab_state(slab), new;
	bool locked = false, was_full, discard = false;

	for (;;) {
		void *prior = ss_head(slab, old);
		unsigned int inuse = ss_inuse(old);

		if (unlikely(prior == head || inuse < cnt)) {
			if (locked)
				spin_unlock(&n->list_lock);
			slab_double_free(s, slab, head);
			return;
		}
		was_full = !prior && !(old & SS_FROZEN);
		/* Leaving the full state or becoming empty moves the slab
		 * between lists: that needs the list lock first. */
		if (!locked && !(old & SS_FROZEN) && (!prior || inuse == cnt)) {
			spin_lock(&n->list_lock);
			locked = true;
			old = slab_state(slab);
			continue;
		}
		set_freepointer(s, tail, prior);
		new = ss_make(slab, head, inuse - cnt, old & SS_FROZEN);
		if (slab_state_cas(slab, &old, new))
			break;
	}
	if (!locked)
		return;
	if (!(new & SS_FROZEN)) {
		if (!ss_inuse(new) && n->nr_partial >= s->min_partial) {
			if (!was_full)
				remove_partial(n, slab);
			discard = true;
		} else if (was_full) {
			add_partial(n, slab);
		}
	}
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* Push the objects this CPU gathered for another slab (c->cl held). */
static void flush_remote_frees(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct page *slab = c->rfree_slab;

	if (!slab)
		return;
	c->rfree_slab = NULL;
	__slab_free(s, slab, c->rfree_head, c->rfree_tail, c->rfree_count);
	c->rfree_head = c->rfree_tail = NULL;
	c->rfree_count = 0;
}

/*
 * The free slow path. An object of our CPU's slab goes on its freelist.
 * One of another slab is gathered with others this CPU frees to that same
 * slab, and the chain is pushed there at once when the CPU frees to a third
 * slab or a slab's worth has gathered: a thread freeing what another
 * allocated (a consumer of a producer's buffers) pays one compare-and-swap
 * per slab instead of one per object, on a cache line the allocating CPU
 * also writes. Gathered objects count as in use until pushed; flushes
 * (kmem_cache_destroy, the checker) push them.
 */
void slab_free(struct kmem_cache *s, struct page *slab, void *object,
	       unsigned long caller)
{
	struct kmem_cache_cpu *c;
	bool owner;

	if (unlikely(s->flags & SLAB_DEBUG_FLAGS)) {
		free_debug(s, slab, object, caller);
		return;
	}
	c = &s->cpu_slab[arch_smp_processor_id()];
	owner = cpu_lock(&c->cl);
	if (likely(slab == c->slab)) {
		if (unlikely(object == c->freelist))
			goto double_free;
		set_freepointer(s, object, c->freelist);
		c->freelist = object;
	} else if (slab == c->rfree_slab) {
		if (unlikely(object == c->rfree_head))
			goto double_free;
		set_freepointer(s, object, c->rfree_head);
		c->rfree_head = object;
		if (++c->rfree_count >= slab_objects(slab))
			flush_remote_frees(s, c);
	} else {
		flush_remote_frees(s, c);
		set_freepointer(s, object, NULL);
		c->rfree_slab = slab;
		c->rfree_head = c->rfree_tail = object;
		c->rfree_count = 1;
	}
	cpu_unlock(&c->cl, owner);
	return;
double_free:
	cpu_unlock(&c->cl, owner);
	slab_double_free(s, slab, object);
}

/* ---- Flushing, shutdown ----------------------------------------------- */

static void flush_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	void *freelist = c->freelist, *tail = NULL;
	unsigned int count = 0;

	flush_remote_frees(s, c);
	if (!c->slab)
		return;
	for (void *p = freelist; p; p = get_freepointer(s, p)) {
		tail = p;
		count++;
	}
	deactivate_slab(s, c->slab, freelist, tail, count);
	set_cpu_slab(c, NULL);
	c->freelist = NULL;
}

void flush_all_cpu_slabs(struct kmem_cache *s)
{
	if (s->flags & SLAB_DEBUG_FLAGS)
		return;
	arch_fast_block(-1);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

		if (!__atomic_load_n(&c->slab, __ATOMIC_RELAXED) &&
		    !__atomic_load_n(&c->rfree_slab, __ATOMIC_RELAXED))
			continue;
		cpu_lock_remote(&c->cl);
		flush_cpu_slab(s, c);
		cpu_unlock_remote(&c->cl);
	}
	arch_fast_unblock(-1);
}

/* Give every empty slab on the partial list back to the page allocator. */
static void discard_empty_partials(struct kmem_cache *s)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head empties, *pos, *next;

	INIT_LIST_HEAD(&empties);
	spin_lock(&n->list_lock);
	for (pos = n->partial.next; pos != &n->partial; pos = next) {
		struct page *slab = list_entry(pos, struct page, lru);

		next = pos->next;
		if (!ss_inuse(slab_state(slab))) {
			remove_partial(n, slab);
			list_add(&slab->lru, &empties);
		}
	}
	spin_unlock(&n->list_lock);
	while (!list_empty(&empties)) {
		struct page *slab = list_first_entry(&empties, struct page, lru);

		list_del(&slab->lru);
		discard_slab(s, slab);
	}
}

/*
 * kmem_cache_shrink(): every CPU's slab back to the lists, every empty slab
 * back to the page allocator, whatever min_partial says. Safe while other
 * CPUs use the cache: a slab on the partial list is never allocated from
 * (a CPU adopts it first, under list_lock), and a free that empties it
 * takes list_lock, so under list_lock an empty partial slab stays empty.
 * 0 when the cache holds no slab afterwards, as in Linux.
 */
int __kmem_cache_shrink(struct kmem_cache *s)
{
	flush_all_cpu_slabs(s);
	discard_empty_partials(s);
	return atomic_load(&s->node.nr_slabs) ? 1 : 0;
}

int __kmem_cache_shutdown(struct kmem_cache *s)
{
	flush_all_cpu_slabs(s);
	discard_empty_partials(s);
	if (atomic_load(&s->node.nr_slabs)) {
		list_slab_objects(s);
		return -16;	/* -EBUSY */
	}
	return 0;
}

void slab_cache_counts(struct kmem_cache *s, unsigned long *nr_slabs,
		       unsigned long *nr_objs, unsigned long *nr_free)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head *pos;
	unsigned long free = 0;

	spin_lock(&n->list_lock);
	list_for_each(pos, &n->partial) {
		struct page *slab = list_entry(pos, struct page, lru);

		free += slab_objects(slab) - ss_inuse(slab_state(slab));
	}
	spin_unlock(&n->list_lock);
	*nr_slabs = (unsigned long)atomic_load(&n->nr_slabs);
	*nr_objs = (unsigned long)atomic_load(&n->total_objects);
	*nr_free = free;
}

/* ---- Cache creation ---------------------------------------------------- */

/* Linux's calc_slab_order(): the smallest order that holds @min_objects
 * and wastes at most 1/@fract of the slab. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_objects,
				    unsigned int max_order, unsigned int fract)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < (unsigned long)min_objects * size)
		order++;
	for (; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract)
			break;
	}
	return order;
}

static unsigned int calculate_order(unsigned int size)
{
	unsigned int min_objects, max_objects, order;
	int cpus = arch_num_online_cpus(), fls = 0;

	while (cpus >> fls)
		fls++;
	min_objects = 4 * ((unsigned int)fls + 1);
	max_objects = order_objects(PAGE_ALLOC_COSTLY_ORDER, size);
	if (min_objects > max_objects)
		min_objects = max_objects;
	for (unsigned int fract = 16; fract > 1; fract /= 2) {
		order = calc_slab_order(size, min_objects ? min_objects : 1,
					PAGE_ALLOC_COSTLY_ORDER, fract);
		if (order <= PAGE_ALLOC_COSTLY_ORDER)
			return order;
	}
	order = calc_slab_order(size, 1, PAGE_ALLOC_COSTLY_ORDER, 1);
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return order;
	return calc_slab_order(size, 1, MAX_PAGE_ORDER, 1);
}

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align,
					unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = 64;	/* cache_line_size() */

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > align)
			align = ralign;
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	return align;
}

#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((a) - 1))

/*
 * Lay an object out: [left red zone][object][right red zone][free pointer,
 * when it cannot live inside the object][alloc and free tracks][kmalloc's
 * requested size], rounded up to the alignment.
 */
static bool calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN_UP(s->object_size, (unsigned int)sizeof(void *));

	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);		/* room for a right red zone */
	s->inuse = size;
	if ((flags & SLAB_POISON) || s->ctor ||
	    ((flags & SLAB_RED_ZONE) &&
	     (s->object_size < sizeof(void *) || (flags & SLAB_KMALLOC)))) {
		s->offset = size;		/* outside the object */
		size += sizeof(void *);
	} else {
		s->offset = (s->object_size / 2) & ~(unsigned int)(sizeof(void *) - 1);
	}
	if (flags & SLAB_STORE_USER)
		size += 2 * sizeof(struct track);
	if ((flags & SLAB_RED_ZONE) && (flags & SLAB_KMALLOC))
		size += sizeof(unsigned long);	/* orig_size */
	if (flags & SLAB_RED_ZONE) {
		s->red_left_pad = ALIGN_UP((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	} else {
		s->red_left_pad = 0;
	}
	s->size = ALIGN_UP(size, s->align);
	s->order = calculate_order(s->size);
	s->objects = order_objects(s->order, s->size);
	return s->objects > 0 && s->objects <= MAX_OBJS_PER_SLAB;
}

static unsigned long cache_random(const struct kmem_cache *s)
{
	/* A per-cache secret from the boot time and the cache's address. */
	uint64_t x = arch_now_ns() ^ (uint64_t)(uintptr_t)s ^ 0x9e3779b97f4a7c15ull;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (unsigned long)(x | 1);
}

/* Set up @s (zeroed memory) as a cache. */
static int kmem_cache_open(struct kmem_cache *s, const char *name, unsigned int size,
			   unsigned int align, slab_flags_t flags, void (*ctor)(void *))
{
	unsigned int ilog = 0;

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->object_size = size;
	s->flags = flags | slab_debug_flags_for(name);
	if (ctor)	/* constructed objects keep their state while free */
		s->flags &= ~SLAB_POISON;
	s->ctor = ctor;
	s->align = calculate_alignment(flags, align, size);
	if (!calculate_sizes(s))
		return -22;
	s->allocflags = 0;
	if (flags & SLAB_CACHE_DMA)
		s->allocflags |= __GFP_DMA;
	if (flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	while ((s->size >> ilog) > 1)
		ilog++;
	s->min_partial = ilog / 2 < 5 ? 5 : ilog / 2 > 10 ? 10 : ilog / 2;
	s->random = cache_random(s);
	s->refcount = 1;
	spin_lock_init(&s->node.list_lock);
	INIT_LIST_HEAD(&s->node.partial);
	INIT_LIST_HEAD(&s->node.full);

	for (int cpu = 0; cpu <= NR_CPUS; cpu++)
		cpu_lock_init(&s->cpu_slab[cpu].cl);
	return 0;
}

struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
				       unsigned int align, slab_flags_t flags,
				       void (*ctor)(void *))
{
	struct kmem_cache *s = kmem_cache_cache ?
		slab_alloc(kmem_cache_cache, GFP_KERNEL | __GFP_ZERO, 0, 0) : NULL;

	if (!s)
		return NULL;
	if (kmem_cache_open(s, name, size, align, flags, ctor)) {
		slab_free(kmem_cache_cache, virt_to_slab(s), s, 0);
		return NULL;
	}
	return s;
}


static unsigned int kmem_cache_struct_order(void)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < sizeof(struct kmem_cache))
		order++;
	return order;
}

int kmem_cache_bootstrap(void)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO,
					kmem_cache_struct_order());

	if (!page)
		return -12;
	kmem_cache_cache = page_address(page);
	return kmem_cache_open(kmem_cache_cache, "kmem_cache", sizeof(struct kmem_cache),
			       0, SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
}

void kmem_cache_release(struct kmem_cache *s)
{
	if (s == kmem_cache_cache) {
		__free_pages(virt_to_page(s), kmem_cache_struct_order());
		kmem_cache_cache = NULL;
		return;
	}
	slab_free(kmem_cache_cache, virt_to_slab(s), s, 0);
}
