// SPDX-License-Identifier: MIT
/*
 * mempool: a guaranteed reserve for allocations that must make progress.
 *
 * The seed's advice for code that cannot tolerate failure, "particularly
 * if you're in an interrupt handler", is to have a plan; Linux's plan is
 * the memory pool. A pool holds min_nr elements allocated up front (in
 * process context, where allocation may sleep and succeed). Afterwards:
 *
 *   mempool_alloc()  asks the allocator first, without reclaim, retries or
 *                    warnings; only if that fails does it take an element
 *                    from the reserve. With __GFP_DIRECT_RECLAIM it never
 *                    returns NULL: it retries with reclaim and then waits
 *                    for mempool_free() to return an element. Without it
 *                    (GFP_ATOMIC, an interrupt handler) it returns NULL
 *                    only when both the allocator and the reserve are dry.
 *   mempool_free()   refills the reserve first; only a full reserve lets
 *                    elements go back to the allocator.
 *
 * So a pool of N guarantees N elements in flight whatever memory pressure
 * does, as long as each is freed after use (the forward-progress
 * argument: an I/O path that frees what it allocates always completes).
 *
 * Vocabulary: an element is whatever the pool's alloc function returns
 * (a slab object, a kmalloc buffer, a page). The reserve is the array
 * elements[0..curr_nr), in simulated RAM like all kernel state.
 *
 * Locking: pool->lock guards the reserve; the allocator is never called
 * with it held. Waiting is a sleep in steps on the pool's free count (the
 * model of Linux's wait queue with its 5-second timeout).
 */
#include <errno.h>

#include "internal.h"
#include "../lib/spinlock.h"

struct mmk_mempool {
	spinlock_t lock;
	int min_nr;			/* the guaranteed reserve */
	int curr_nr;			/* elements in the reserve now */
	void **elements;
	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	unsigned long frees;		/* mempool_free() calls: wakes waiters */
};

/* Under pool->lock; curr_nr is also peeked at without it (free, stats). */
static void add_element(mempool_t *pool, void *element)
{
	pool->elements[pool->curr_nr] = element;
	__atomic_store_n(&pool->curr_nr, pool->curr_nr + 1, __ATOMIC_RELAXED);
}

static void *remove_element(mempool_t *pool)
{
	__atomic_store_n(&pool->curr_nr, pool->curr_nr - 1, __ATOMIC_RELAXED);
	return pool->elements[pool->curr_nr];
}

static void free_reserve(mempool_t *pool)
{
	while (pool->curr_nr)
		pool->free(remove_element(pool), pool->pool_data);
}

mempool_t *mmk_mempool_create(int min_nr, mempool_alloc_t *alloc_fn,
			      mempool_free_t *free_fn, void *pool_data)
{
	mempool_t *pool;

	if (not_booted())
		return NULL;
	might_sleep();
	if (min_nr < 1 || !alloc_fn || !free_fn) {
		pr_warn("WARNING: mempool_create: min_nr %d must be at least 1, with both functions\n",
			min_nr);
		return NULL;
	}
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	pool->elements = kmalloc_array((size_t)min_nr, sizeof(void *), GFP_KERNEL);
	if (!pool->elements) {
		kfree(pool);
		return NULL;
	}
	spin_lock_init(&pool->lock);
	pool->min_nr = min_nr;
	pool->pool_data = pool_data;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	/* The whole reserve now, while allocation may still sleep. */
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(GFP_KERNEL, pool->pool_data);

		if (!element) {
			free_reserve(pool);
			kfree(pool->elements);
			kfree(pool);
			return NULL;
		}
		add_element(pool, element);
	}
	return pool;
}

void mmk_mempool_destroy(mempool_t *pool)
{
	if (!pool || not_booted())
		return;
	/* As in Linux, elements still out are the caller's to free. */
	free_reserve(pool);
	kfree(pool->elements);
	kfree(pool);
}

int mmk_mempool_resize(mempool_t *pool, int new_min_nr)
{
	void **new_elements;

	if (not_booted())
		return -EINVAL;
	might_sleep();
	if (new_min_nr <= 0)
		return -EINVAL;
	spin_lock(&pool->lock);
	if (new_min_nr <= pool->min_nr) {
		while (pool->curr_nr > new_min_nr) {
			void *element = remove_element(pool);

			spin_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			spin_lock(&pool->lock);
		}
		pool->min_nr = new_min_nr;
		spin_unlock(&pool->lock);
		return 0;
	}
	spin_unlock(&pool->lock);

	new_elements = kmalloc_array((size_t)new_min_nr, sizeof(void *), GFP_KERNEL);
	if (!new_elements)
		return -ENOMEM;
	spin_lock(&pool->lock);
	if (new_min_nr <= pool->min_nr) {	/* raced with another resize */
		spin_unlock(&pool->lock);
		kfree(new_elements);
		return mmk_mempool_resize(pool, new_min_nr);
	}
	for (int i = 0; i < pool->curr_nr; i++)
		new_elements[i] = pool->elements[i];
	kfree(pool->elements);
	pool->elements = new_elements;
	pool->min_nr = new_min_nr;
	/* Fill up, allocating without the lock. */
	while (pool->curr_nr < pool->min_nr) {
		void *element;

		spin_unlock(&pool->lock);
		element = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!element)
			return 0;	/* Linux: the reserve refills on free */
		spin_lock(&pool->lock);
		if (pool->curr_nr < pool->min_nr) {
			add_element(pool, element);
		} else {
			spin_unlock(&pool->lock);
			pool->free(element, pool->pool_data);
			spin_lock(&pool->lock);
		}
	}
	spin_unlock(&pool->lock);
	return 0;
}

#define MEMPOOL_WAIT_US		1000		/* one step of the wait */
#define MEMPOOL_WAIT_MAX_US	5000000		/* Linux's 5*HZ timeout */

void *mmk_mempool_alloc(mempool_t *pool, gfp_t gfp_mask)
{
	gfp_t gfp_temp;
	void *element;

	if (not_booted())
		return NULL;
	if (WARN_ON_ONCE(gfp_mask & __GFP_ZERO))
		gfp_mask &= ~__GFP_ZERO;	/* a reserved element is not zeroed */
	might_alloc(gfp_mask);
	gfp_mask |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	/* First without reclaim or I/O: the reserve is cheaper than that. */
	gfp_temp = gfp_mask & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);

	for (;;) {
		unsigned long frees;

		element = pool->alloc(gfp_temp, pool->pool_data);
		if (element)
			return element;

		spin_lock(&pool->lock);
		if (pool->curr_nr) {
			element = remove_element(pool);
			spin_unlock(&pool->lock);
			return element;
		}
		frees = pool->frees;
		spin_unlock(&pool->lock);

		/* An interrupt handler may not wait: this is its failure. */
		if (!(gfp_mask & __GFP_DIRECT_RECLAIM))
			return NULL;
		/* Once more with reclaim, if the first try went without it. */
		if (gfp_temp != gfp_mask) {
			gfp_temp = gfp_mask;
			continue;
		}
		/* Wait for an element to come back (or 5 s), then retry. */
		for (unsigned int waited = 0; waited < MEMPOOL_WAIT_MAX_US;
		     waited += MEMPOOL_WAIT_US) {
			if (__atomic_load_n(&pool->frees, __ATOMIC_ACQUIRE) != frees)
				break;
			arch_sleep_us(MEMPOOL_WAIT_US);
		}
	}
}

void mmk_mempool_free(void *element, mempool_t *pool)
{
	if (!element || not_booted())
		return;
	/* Refill the reserve before anything goes back to the allocator. */
	if (__atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED) < pool->min_nr) {
		spin_lock(&pool->lock);
		for (int i = 0; i < pool->curr_nr; i++)
			if (pool->elements[i] == element) {
				spin_unlock(&pool->lock);
				pr_err("mmkit: BUG: mempool_free of %p, which is already in the pool's reserve (a double free); ignored\n",
				       element);
				arch_dump_stack();
				return;
			}
		if (pool->curr_nr < pool->min_nr) {
			add_element(pool, element);
			__atomic_store_n(&pool->frees, pool->frees + 1, __ATOMIC_RELEASE);
			spin_unlock(&pool->lock);
			return;
		}
		spin_unlock(&pool->lock);
	}
	pool->free(element, pool->pool_data);
	spin_lock(&pool->lock);
	__atomic_store_n(&pool->frees, pool->frees + 1, __ATOMIC_RELEASE);
	spin_unlock(&pool->lock);
}

int mmk_mempool_reserve_nr(const mempool_t *pool)
{
	return __atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED);
}

/* ---- The usual element kinds ------------------------------------------ */

void *mmk_mempool_alloc_slab(gfp_t gfp_mask, void *pool_data)
{
	return kmem_cache_alloc(pool_data, gfp_mask);
}

void mmk_mempool_free_slab(void *element, void *pool_data)
{
	kmem_cache_free(pool_data, element);
}

void *mmk_mempool_kmalloc(gfp_t gfp_mask, void *pool_data)
{
	return kmalloc((size_t)(uintptr_t)pool_data, gfp_mask);
}

void mmk_mempool_kfree(void *element, void *pool_data)
{
	(void)pool_data;
	kfree(element);
}

void *mmk_mempool_alloc_pages(gfp_t gfp_mask, void *pool_data)
{
	return alloc_pages(gfp_mask, (unsigned int)(uintptr_t)pool_data);
}

void mmk_mempool_free_pages(void *element, void *pool_data)
{
	__free_pages(element, (unsigned int)(uintptr_t)pool_data);
}
