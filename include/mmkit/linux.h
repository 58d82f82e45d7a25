/* SPDX-License-Identifier: MIT */
/*
 * The Linux kernel API of mmkit, with Linux's names and semantics.
 *
 * Every Linux name is a macro onto an mmk_-prefixed function, so programs
 * that include this header keep their own namespace clean and can still take
 * the address of, say, alloc_pages.
 */
#ifndef MMKIT_LINUX_H
#define MMKIT_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mmkit/gfp_types.h>
#include <mmkit/mm_types.h>
#include <mmkit/mmkit.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct zone;

typedef uint64_t phys_addr_t;
typedef uint64_t dma_addr_t;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define MAX_PAGE_ORDER	10
#define NR_PAGE_ORDERS	(MAX_PAGE_ORDER + 1)
#define PAGE_ALLOC_COSTLY_ORDER 3

/* The booted kmalloc_max= (128 KiB unless the command line says otherwise). */
extern size_t mmk_kmalloc_max_size;
#define KMALLOC_MAX_SIZE	(mmk_kmalloc_max_size)

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* ---- The page allocator --------------------------------------------- */

struct page *mmk_alloc_pages(gfp_t gfp, unsigned int order);
void mmk___free_pages(struct page *page, unsigned int order);
unsigned long mmk___get_free_pages(gfp_t gfp, unsigned int order);
unsigned long mmk_get_zeroed_page(gfp_t gfp);
void mmk_free_pages(unsigned long addr, unsigned int order);
void mmk_get_page(struct page *page);
void mmk_put_page(struct page *page);
int mmk_page_count(const struct page *page);
void mmk_drain_all_pages(struct zone *zone);
unsigned long mmk_nr_free_pages(void);

#define alloc_pages(gfp, order)		mmk_alloc_pages(gfp, order)
#define alloc_page(gfp)			mmk_alloc_pages(gfp, 0)
#define __free_pages(page, order)	mmk___free_pages(page, order)
#define __free_page(page)		mmk___free_pages(page, 0)
#define __get_free_pages(gfp, order)	mmk___get_free_pages(gfp, order)
#define __get_free_page(gfp)		mmk___get_free_pages(gfp, 0)
#define get_zeroed_page(gfp)		mmk_get_zeroed_page(gfp)
#define free_pages(addr, order)		mmk_free_pages(addr, order)
#define free_page(addr)			mmk_free_pages(addr, 0)
#define get_page(page)			mmk_get_page(page)
#define put_page(page)			mmk_put_page(page)
#define page_count(page)		mmk_page_count(page)
#define drain_all_pages(zone)		mmk_drain_all_pages(zone)
#define nr_free_pages()			mmk_nr_free_pages()

/* ---- Pages, frames and addresses ------------------------------------ */

void *mmk_page_address(const struct page *page);
struct page *mmk_virt_to_page(const void *addr);
unsigned long mmk_page_to_pfn(const struct page *page);
struct page *mmk_pfn_to_page(unsigned long pfn);
bool mmk_pfn_valid(unsigned long pfn);
phys_addr_t mmk_virt_to_phys(const void *addr);
void *mmk_phys_to_virt(phys_addr_t phys);

#define page_address(page)	mmk_page_address(page)
#define virt_to_page(addr)	mmk_virt_to_page((const void *)(addr))
#define page_to_pfn(page)	mmk_page_to_pfn(page)
#define pfn_to_page(pfn)	mmk_pfn_to_page(pfn)
#define pfn_valid(pfn)		mmk_pfn_valid(pfn)
#define virt_to_phys(addr)	mmk_virt_to_phys((const void *)(addr))
#define phys_to_virt(phys)	mmk_phys_to_virt(phys)
#define __pa(addr)		mmk_virt_to_phys((const void *)(addr))
#define __va(phys)		mmk_phys_to_virt(phys)
#define page_to_phys(page)	((phys_addr_t)mmk_page_to_pfn(page) << PAGE_SHIFT)
#define PFN_PHYS(pfn)		((phys_addr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(phys)		((unsigned long)((phys) >> PAGE_SHIFT))

/* ---- The slab allocator and kmalloc ---------------------------------- */

typedef unsigned int slab_flags_t;
struct kmem_cache;

/* Cache flags, with Linux's values. */
#define SLAB_CONSISTENCY_CHECKS	0x00000100U	/* slub_debug=F */
#define SLAB_RED_ZONE		0x00000400U	/* slub_debug=Z */
#define SLAB_POISON		0x00000800U	/* slub_debug=P */
#define SLAB_HWCACHE_ALIGN	0x00002000U	/* align objects to cache lines */
#define SLAB_CACHE_DMA		0x00004000U	/* slabs from ZONE_DMA */
#define SLAB_STORE_USER		0x00010000U	/* slub_debug=U */
#define SLAB_RECLAIM_ACCOUNT	0x00020000U	/* reclaimable: SReclaimable */
#define SLAB_PANIC		0x00040000U	/* creation failure is fatal */

void *mmk_kmalloc(size_t size, gfp_t gfp);
void *mmk_kzalloc(size_t size, gfp_t gfp);
void *mmk_kcalloc(size_t n, size_t size, gfp_t gfp);
void *mmk_kmalloc_array(size_t n, size_t size, gfp_t gfp);
void *mmk_krealloc(const void *p, size_t new_size, gfp_t gfp);
void mmk_kfree(const void *p);
size_t mmk_ksize(const void *p);
struct kmem_cache *mmk_kmem_cache_create(const char *name, unsigned int size,
					 unsigned int align, slab_flags_t flags,
					 void (*ctor)(void *));
void *mmk_kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *mmk_kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void mmk_kmem_cache_free(struct kmem_cache *s, void *obj);
void mmk_kmem_cache_destroy(struct kmem_cache *s);

/*
 * As in Linux, a kmalloc() whose size and flags are compile-time constants
 * (kmalloc(sizeof(*p), GFP_KERNEL), the common case) picks its cache at
 * compile time; other calls choose at run time in mmk_kmalloc().
 */
#define MMK_KMALLOC_TYPES	3	/* normal, reclaimable, dma */
#define MMK_KMALLOC_SHIFT_HIGH	13	/* caches up to 8 KiB */
extern struct kmem_cache *mmk_kmalloc_caches[MMK_KMALLOC_TYPES][MMK_KMALLOC_SHIFT_HIGH + 1];
void *mmk_kmalloc_cache(struct kmem_cache *s, gfp_t gfp, size_t size);

static inline __attribute__((always_inline)) unsigned int mmk_kmalloc_index(size_t size)
{
	if (size <= 8) return 3;
	if (size <= 16) return 4;
	if (size <= 32) return 5;
	if (size <= 64) return 6;
	if (size <= 96) return 1;
	if (size <= 128) return 7;
	if (size <= 192) return 2;
	if (size <= 256) return 8;
	if (size <= 512) return 9;
	if (size <= 1024) return 10;
	if (size <= 2048) return 11;
	if (size <= 4096) return 12;
	return 13;
}

static inline __attribute__((always_inline)) void *mmk_kmalloc_inline(size_t size, gfp_t gfp)
{
	if (__builtin_constant_p(size) && __builtin_constant_p(gfp) &&
	    size - 1 < (1UL << MMK_KMALLOC_SHIFT_HIGH))
		return mmk_kmalloc_cache(mmk_kmalloc_caches[(gfp & __GFP_DMA) ? 2 :
							    (gfp & __GFP_RECLAIMABLE) ? 1 : 0]
							   [mmk_kmalloc_index(size)], gfp, size);
	return mmk_kmalloc(size, gfp);
}

#define kmalloc(size, gfp)		mmk_kmalloc_inline(size, gfp)
#define kzalloc(size, gfp)		mmk_kzalloc(size, gfp)
#define kcalloc(n, size, gfp)		mmk_kcalloc(n, size, gfp)
#define kmalloc_array(n, size, gfp)	mmk_kmalloc_array(n, size, gfp)
#define krealloc(p, size, gfp)		mmk_krealloc(p, size, gfp)
#define kfree(p)			mmk_kfree(p)
#define ksize(p)			mmk_ksize(p)
#define kmem_cache_create(name, size, align, flags, ctor) \
	mmk_kmem_cache_create(name, size, align, flags, ctor)
#define kmem_cache_alloc(s, gfp)	mmk_kmem_cache_alloc(s, gfp)
#define kmem_cache_zalloc(s, gfp)	mmk_kmem_cache_zalloc(s, gfp)
#define kmem_cache_free(s, obj)		mmk_kmem_cache_free(s, obj)
#define kmem_cache_destroy(s)		mmk_kmem_cache_destroy(s)

/* ---- Atomic context ------------------------------------------------- */

void mmk_local_irq_disable(void);
void mmk_local_irq_enable(void);
bool mmk_irqs_disabled(void);
void mmk_preempt_disable(void);
void mmk_preempt_enable(void);
bool mmk_in_atomic(void);
void mmk___might_sleep(const char *file, int line);

#define local_irq_disable()	mmk_local_irq_disable()
#define local_irq_enable()	mmk_local_irq_enable()
#define irqs_disabled()		mmk_irqs_disabled()
#define preempt_disable()	mmk_preempt_disable()
#define preempt_enable()	mmk_preempt_enable()
#define in_atomic()		mmk_in_atomic()
#define might_sleep()		mmk___might_sleep(__FILE__, __LINE__)

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
