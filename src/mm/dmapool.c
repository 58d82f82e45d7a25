// SPDX-License-Identifier: MIT
/*
 * DMA pools: small coherent DMA buffers (descriptors, command blocks) of
 * one size, carved out of pages from dma_alloc_coherent(), as Linux's
 * mm/dmapool.c does. dma_alloc_coherent() deals in whole pages; a driver
 * that needs thousands of 64-byte descriptors asks a pool instead.
 *
 * A pool page is one coherent allocation of max(PAGE_SIZE, size) bytes,
 * cut into blocks of the pool's size, rounded up to its alignment, none
 * crossing the pool's boundary (a device that cannot cross a 4 KiB line
 * in one descriptor, say). A free block holds the offset of the next free
 * block of its page in its first four bytes; a page knows its first free
 * block and how many are in use. Every block has both addresses: the CPU
 * one (page vaddr + offset) and the bus one (page dma + offset).
 *
 * Bad frees are reported as Linux does ("dma_pool_free <pool>, <addr>
 * (bad vaddr)", "... (bad dma)", "... already free") and ignored; a pool
 * destroyed with blocks in use is reported as busy and its pages kept.
 *
 * Locking: pool->lock guards its page list and the pages' free lists;
 * dma_alloc_coherent() is called without it.
 */
#include <string.h>

#include "internal.h"
#include "../lib/list.h"
#include "../lib/spinlock.h"

#define POOL_POISON_FREED	0xa7	/* Linux's: a freed block */
#define POOL_POISON_ALLOCATED	0xa9	/* Linux's: a block just handed out */

struct dma_page {
	struct list_head page_list;
	void *vaddr;
	dma_addr_t dma;
	unsigned int in_use;
	unsigned int offset;		/* the first free block, or allocation */
};

struct dma_pool {
	struct list_head page_list;
	spinlock_t lock;
	size_t size;			/* a block, aligned */
	size_t allocation;		/* a page of the pool */
	size_t boundary;
	struct device *dev;
	char name[32];
};

struct dma_pool *mmk_dma_pool_create(const char *name, struct device *dev, size_t size,
				     size_t align, size_t boundary)
{
	struct dma_pool *pool;
	size_t allocation;

	if (not_booted())
		return NULL;
	might_sleep();
	if (!align)
		align = 1;
	if (!dev || !size || (align & (align - 1)) || (boundary & (boundary - 1))) {
		pr_warn("WARNING: dma_pool_create %s: bad arguments (size %zu, align %zu, boundary %zu)\n",
			name ? name : "?", size, align, boundary);
		return NULL;
	}
	if (size < 4)
		size = 4;
	size = (size + align - 1) & ~(align - 1);
	allocation = size > PAGE_SIZE ? size : PAGE_SIZE;
	if (!boundary)
		boundary = allocation;
	else if (boundary < size) {
		pr_warn("WARNING: dma_pool_create %s: boundary %zu is smaller than a block (%zu)\n",
			name ? name : "?", boundary, size);
		return NULL;
	}
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	INIT_LIST_HEAD(&pool->page_list);
	spin_lock_init(&pool->lock);
	pool->size = size;
	pool->allocation = allocation;
	pool->boundary = boundary;
	pool->dev = dev;
	snprintf(pool->name, sizeof(pool->name), "%s", name ? name : "dma_pool");
	return pool;
}

/* The block after the one at @offset: the next that does not cross a
 * boundary (*@next_boundary is the one ahead of @offset). */
static unsigned int next_block(const struct dma_pool *pool, unsigned int offset,
			       unsigned int *next_boundary)
{
	unsigned int next = offset + (unsigned int)pool->size;

	if (next + pool->size > *next_boundary) {
		next = *next_boundary;
		*next_boundary += (unsigned int)pool->boundary;
	}
	return next;
}

/* Thread the page's blocks into its free list, in address order. */
static void pool_init_page(struct dma_pool *pool, struct dma_page *page)
{
	unsigned int offset = 0, nb = (unsigned int)pool->boundary;

	while (offset + pool->size <= pool->allocation) {
		unsigned int next = next_block(pool, offset, &nb);

		memcpy((char *)page->vaddr + offset, &next, sizeof(next));
		offset = next;
	}
}

static struct dma_page *pool_alloc_page(struct dma_pool *pool, gfp_t gfp)
{
	struct dma_page *page = kmalloc(sizeof(*page), gfp);

	if (!page)
		return NULL;
	page->vaddr = dma_alloc_coherent(pool->dev, pool->allocation, &page->dma, gfp);
	if (!page->vaddr) {
		kfree(page);
		return NULL;
	}
	memset(page->vaddr, POOL_POISON_FREED, pool->allocation);
	pool_init_page(pool, page);
	page->in_use = 0;
	page->offset = 0;
	return page;
}

void *mmk_dma_pool_alloc(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle)
{
	struct dma_page *page;
	unsigned int offset;
	void *block;

	if (not_booted() || !pool || !handle)
		return NULL;
	might_alloc(gfp);
	spin_lock(&pool->lock);
	list_for_each_entry(page, &pool->page_list, page_list)
		if (page->offset < pool->allocation)
			goto ready;
	spin_unlock(&pool->lock);

	page = pool_alloc_page(pool, gfp & ~__GFP_ZERO);
	if (!page)
		return NULL;
	spin_lock(&pool->lock);
	list_add(&page->page_list, &pool->page_list);
ready:
	offset = page->offset;
	block = (char *)page->vaddr + offset;
	{
		/* A free block is poisoned past its link, and the link is a
		 * block start or the end: anything else was written after
		 * the free (Linux's DMAPOOL_DEBUG check). */
		unsigned int next, nb = (unsigned int)pool->boundary, at = 0;
		bool ok = true;

		memcpy(&next, block, sizeof(next));
		for (size_t i = sizeof(next); i < pool->size; i++)
			ok &= ((unsigned char *)block)[i] == POOL_POISON_FREED;
		while (at < next && at < pool->allocation)
			at = next_block(pool, at, &nb);
		if (!ok || (next < pool->allocation && at != next)) {
			page->offset = (unsigned int)pool->allocation;	/* page out of use */
			spin_unlock(&pool->lock);
			pr_err("dma_pool_alloc %s, %p (corrupted): a free block was written after it was freed; its page is taken out of use\n",
			       pool->name, block);
			return mmk_dma_pool_alloc(pool, gfp, handle);
		}
		page->offset = next;
	}
	page->in_use++;
	*handle = page->dma + offset;
	spin_unlock(&pool->lock);
	if (gfp & __GFP_ZERO)
		memset(block, 0, pool->size);
	else
		memset(block, POOL_POISON_ALLOCATED, pool->size);
	return block;
}

void *mmk_dma_pool_zalloc(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle)
{
	return mmk_dma_pool_alloc(pool, gfp | __GFP_ZERO, handle);
}

static void pool_err(struct dma_pool *pool, const char *fmt, const void *vaddr,
		     dma_addr_t dma)
{
	pr_err("------------[ cut here ]------------\n");
	pr_err(fmt, pool->name, vaddr, (unsigned long long)dma);
	arch_dump_stack();
	pr_err("mmkit: the block was not freed; the pool is unchanged\n");
}

void mmk_dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct dma_page *page, *found = NULL;
	unsigned int offset, chain;

	if (not_booted() || !pool || !vaddr)
		return;
	spin_lock(&pool->lock);
	list_for_each_entry(page, &pool->page_list, page_list)
		if ((char *)vaddr >= (char *)page->vaddr &&
		    (char *)vaddr < (char *)page->vaddr + pool->allocation) {
			found = page;
			break;
		}
	if (!found) {
		spin_unlock(&pool->lock);
		pool_err(pool, "dma_pool_free %s, %p/%#llx (bad vaddr): not a block of this pool\n",
			 vaddr, dma);
		return;
	}
	offset = (unsigned int)((char *)vaddr - (char *)found->vaddr);
	if (found->dma + offset != dma) {
		spin_unlock(&pool->lock);
		pool_err(pool, "dma_pool_free %s, %p/%#llx (bad dma): the bus address does not match the block\n",
			 vaddr, dma);
		return;
	}
	/* A block start is one of the offsets a fresh page's list visits. */
	{
		unsigned int nb = (unsigned int)pool->boundary;

		for (chain = 0; chain < offset;)
			chain = next_block(pool, chain, &nb);
	}
	if (chain != offset || offset + pool->size > pool->allocation) {
		spin_unlock(&pool->lock);
		pool_err(pool, "dma_pool_free %s, %p/%#llx (bad vaddr): not the start of a block\n",
			 vaddr, dma);
		return;
	}
	/* Bounded: a corrupted link must not loop forever under the lock. */
	chain = found->offset;
	for (unsigned int steps = 0; chain < pool->allocation &&
	     steps <= pool->allocation / pool->size; steps++) {
		if (chain == offset) {
			spin_unlock(&pool->lock);
			pool_err(pool, "dma_pool_free %s, %p/%#llx already free\n", vaddr, dma);
			return;
		}
		memcpy(&chain, (char *)found->vaddr + chain, sizeof(chain));
	}
	memset(vaddr, POOL_POISON_FREED, pool->size);
	found->in_use--;
	memcpy(vaddr, &found->offset, sizeof(found->offset));
	found->offset = offset;
	spin_unlock(&pool->lock);
}

void mmk_dma_pool_destroy(struct dma_pool *pool)
{
	struct dma_page *page;
	bool busy = false;

	if (!pool || not_booted())
		return;
	might_sleep();
	while (!list_empty(&pool->page_list)) {
		page = list_first_entry(&pool->page_list, struct dma_page, page_list);
		list_del(&page->page_list);
		if (page->in_use) {
			pr_err("dma_pool_destroy %s, %p busy: %u blocks still in use; their page is kept\n",
			       pool->name, page->vaddr, page->in_use);
			busy = true;
			kfree(page);	/* the coherent page stays allocated */
			continue;
		}
		dma_free_coherent(pool->dev, pool->allocation, page->vaddr, page->dma);
		kfree(page);
	}
	(void)busy;
	kfree(pool);
}
