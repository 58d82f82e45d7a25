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

#ifdef __cplusplus
}
#endif

#endif
