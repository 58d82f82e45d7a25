/* SPDX-License-Identifier: MIT */
/*
 * The Linux kernel API of mmkit, with Linux's names and semantics.
 *
 * Every Linux name is a macro onto an mmk_-prefixed function, so programs
 * that include this header keep their own namespace clean. Names that are
 * functions in Linux are object-like macros, so &alloc_pages and &kmalloc
 * work; names that are function-like macros in Linux (alloc_page,
 * virt_to_page, __pa, ...) are function-like macros here too.
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
void mmk_split_page(struct page *page, unsigned int order);
unsigned long mmk_nr_free_pages(void);

#define alloc_pages	mmk_alloc_pages
#define alloc_page(gfp)			mmk_alloc_pages(gfp, 0)
#define __free_pages	mmk___free_pages
#define __free_page(page)		mmk___free_pages(page, 0)
#define __get_free_pages	mmk___get_free_pages
#define __get_free_page(gfp)		mmk___get_free_pages(gfp, 0)
#define get_zeroed_page	mmk_get_zeroed_page
#define free_pages	mmk_free_pages
#define free_page(addr)			mmk_free_pages(addr, 0)
#define get_page	mmk_get_page
#define put_page	mmk_put_page
#define page_count	mmk_page_count
#define drain_all_pages	mmk_drain_all_pages
#define split_page	mmk_split_page
#define nr_free_pages	mmk_nr_free_pages

/* ---- Pages, frames and addresses ------------------------------------ */

void *mmk_page_address(const struct page *page);
struct page *mmk_virt_to_page(const void *addr);
unsigned long mmk_page_to_pfn(const struct page *page);
struct page *mmk_pfn_to_page(unsigned long pfn);
bool mmk_pfn_valid(unsigned long pfn);
phys_addr_t mmk_virt_to_phys(const void *addr);
void *mmk_phys_to_virt(phys_addr_t phys);

#define page_address	mmk_page_address
#define virt_to_page(addr)	mmk_virt_to_page((const void *)(addr))
#define page_to_pfn	mmk_page_to_pfn
#define pfn_to_page	mmk_pfn_to_page
#define pfn_valid	mmk_pfn_valid
#define virt_to_phys	mmk_virt_to_phys
#define phys_to_virt	mmk_phys_to_virt
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
/* Give the cache's empty slabs back now, its CPU slabs included: 0 when it
 * holds no slab any more (Linux's kmem_cache_shrink()). */
int mmk_kmem_cache_shrink(struct kmem_cache *s);

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

#define kmalloc	mmk_kmalloc_inline
#define kzalloc	mmk_kzalloc
#define kcalloc	mmk_kcalloc
#define kmalloc_array	mmk_kmalloc_array
#define krealloc	mmk_krealloc
#define kfree	mmk_kfree
#define ksize	mmk_ksize
#define kmem_cache_create	mmk_kmem_cache_create
#define kmem_cache_alloc	mmk_kmem_cache_alloc
#define kmem_cache_zalloc	mmk_kmem_cache_zalloc
#define kmem_cache_free	mmk_kmem_cache_free
#define kmem_cache_destroy	mmk_kmem_cache_destroy
#define kmem_cache_shrink	mmk_kmem_cache_shrink

/* ---- vmalloc --------------------------------------------------------- */

/* Page protections for vmap(), as Linux's pgprot_t. */
typedef struct { unsigned long pgprot; } pgprot_t;
#define PAGE_KERNEL		((pgprot_t){ 0x3 })	/* read, write */
#define PAGE_KERNEL_RO		((pgprot_t){ 0x1 })	/* read only */

/* vm_struct flags, with Linux's values (vmallocinfo names them). */
#define VM_IOREMAP		0x00000001UL
#define VM_ALLOC		0x00000002UL	/* vmalloc() */
#define VM_MAP			0x00000004UL	/* vmap()ed pages */
#define VM_USERMAP		0x00000008UL
#define VM_NO_GUARD		0x00000040UL

/* The vmalloc range of the booted machine (meminfo's VmallocTotal). */
extern unsigned long mmk_vmalloc_start, mmk_vmalloc_end;
#define VMALLOC_START		(mmk_vmalloc_start)
#define VMALLOC_END		(mmk_vmalloc_end)

void *mmk_vmalloc(unsigned long size);
void *mmk_vzalloc(unsigned long size);
void *mmk___vmalloc(unsigned long size, gfp_t gfp);
/* Linux's __vmalloc_node(): @align a power of two (bytes), @node ignored
 * (one node), @caller what vmallocinfo names (NULL: the caller). */
void *mmk___vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp,
			 int node, const void *caller);
void mmk_vfree(const void *addr);
void *mmk_vmap(struct page **pages, unsigned int count, unsigned long flags,
	       pgprot_t prot);
void mmk_vunmap(const void *addr);
struct page *mmk_vmalloc_to_page(const void *addr);
unsigned long mmk_vmalloc_to_pfn(const void *addr);
bool mmk_is_vmalloc_addr(const void *addr);
void *mmk_kvmalloc(size_t size, gfp_t gfp);
void *mmk_kvzalloc(size_t size, gfp_t gfp);
void mmk_kvfree(const void *addr);
void mmk_vm_unmap_aliases(void);

#define vmalloc		mmk_vmalloc
#define vzalloc		mmk_vzalloc
#define __vmalloc	mmk___vmalloc
#define __vmalloc_node	mmk___vmalloc_node
#define NUMA_NO_NODE	(-1)
#define vfree		mmk_vfree
#define vmap		mmk_vmap
#define vunmap		mmk_vunmap
#define vmalloc_to_page	mmk_vmalloc_to_page
#define vmalloc_to_pfn	mmk_vmalloc_to_pfn
#define is_vmalloc_addr	mmk_is_vmalloc_addr
#define kvmalloc	mmk_kvmalloc
#define kvzalloc	mmk_kvzalloc
#define kvfree		mmk_kvfree
#define vm_unmap_aliases	mmk_vm_unmap_aliases

/* ---- Atomic and interrupt context ------------------------------------ */

void mmk_local_irq_disable(void);
void mmk_local_irq_enable(void);
bool mmk_irqs_disabled(void);
void mmk_preempt_disable(void);
void mmk_preempt_enable(void);
bool mmk_in_atomic(void);
void mmk___might_sleep(const char *file, int line);
/*
 * Interrupt context, counted in the preempt count as Linux does (bits
 * 16-19: hardirq nesting). mmk_irq_enter()/mmk_irq_exit() bracket a
 * handler that the calling CPU thread runs "in interrupt": in_interrupt()
 * is true, interrupts are off, and a sleeping allocation is a bug.
 */
unsigned int mmk_preempt_count(void);
bool mmk_in_interrupt(void);
bool mmk_in_hardirq(void);
bool mmk_in_task(void);
void mmk_irq_enter(void);
void mmk_irq_exit(void);
/*
 * The calling thread's CPU number, 0..63. The first 64 threads to call in
 * own a number each until they exit; threads beyond share numbers (chosen
 * by thread id), and per-CPU data of a shared number is always locked.
 */
int mmk_smp_processor_id(void);

#define local_irq_disable()	mmk_local_irq_disable()
#define local_irq_enable()	mmk_local_irq_enable()
#define irqs_disabled()		mmk_irqs_disabled()
#define preempt_disable()	mmk_preempt_disable()
#define preempt_enable()	mmk_preempt_enable()
#define in_atomic()		mmk_in_atomic()
#define might_sleep()		mmk___might_sleep(__FILE__, __LINE__)
#define preempt_count()		mmk_preempt_count()
#define in_interrupt()		mmk_in_interrupt()
#define in_hardirq()		mmk_in_hardirq()
#define in_irq()		mmk_in_hardirq()
#define in_task()		mmk_in_task()
#define irq_enter()		mmk_irq_enter()
#define irq_exit()		mmk_irq_exit()
#define smp_processor_id()	mmk_smp_processor_id()
#define raw_smp_processor_id()	mmk_smp_processor_id()
#define HARDIRQ_OFFSET		0x00010000U

/* ---- Boot-time reservation: early initcalls and memblock -------------- */

/*
 * Register @fn to run during the next mmk_boot(), after the boot allocator
 * (memblock) knows RAM and before the buddy allocator takes what is left:
 * the moment to reserve memory "before memory gets fragmented". In @fn,
 * memblock_alloc() returns zeroed, physically contiguous memory of any
 * size, reserved for good (iomem shows it). 0, or -errno. A nonzero
 * return from @fn is reported and the boot goes on, as Linux's.
 */
int mmk_early_initcall(int (*fn)(void));
void *mmk_memblock_alloc(phys_addr_t size, phys_addr_t align);
phys_addr_t mmk_memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
#define early_initcall(fn)		mmk_early_initcall(fn)
#define memblock_alloc			mmk_memblock_alloc
#define memblock_phys_alloc		mmk_memblock_phys_alloc

/* ---- CMA: the contiguous area reserved at boot (cma=SIZE) ------------- */

struct cma;
/* The cma= area, NULL when the machine was booted without one. */
extern struct cma *mmk_dma_contiguous_default_area;
#define dma_contiguous_default_area	mmk_dma_contiguous_default_area

/* @count frames, the first aligned to 2^@align frames; NULL (a report
 * unless @no_warn) when the area has no such run free. */
struct page *mmk_cma_alloc(struct cma *cma, unsigned long count, unsigned int align,
			   bool no_warn);
/* false if @pages is not from @cma; a bad release is reported. */
bool mmk_cma_release(struct cma *cma, const struct page *pages, unsigned long count);
unsigned long mmk_cma_get_size(const struct cma *cma);
phys_addr_t mmk_cma_get_base(const struct cma *cma);
const char *mmk_cma_get_name(const struct cma *cma);

#define cma_alloc	mmk_cma_alloc
#define cma_release	mmk_cma_release
#define cma_get_size	mmk_cma_get_size
#define cma_get_base	mmk_cma_get_base
#define cma_get_name	mmk_cma_get_name

/* ---- DMA: a device that sees only bus addresses ------------------------ */

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};
#define DMA_BIT_MASK(n)		((n) >= 64 ? ~0ULL : ((1ULL << (n)) - 1))
#define DMA_MAPPING_ERROR	(~(dma_addr_t)0)

struct device;

/*
 * mmkit's DMA device: a bus master on its own thread that reaches RAM only
 * through bus (physical) addresses and drives only the address lines of
 * @hw_mask (DMA_BIT_MASK(24) for an ISA-style device that sees ZONE_DMA
 * alone, DMA_BIT_MASK(32), ...). Its DMA mask starts as @hw_mask; drivers
 * may narrow it with dma_set_mask().
 */
struct device *mmk_dma_device_create(const char *name, uint64_t hw_mask);
void mmk_dma_device_destroy(struct device *dev);	/* waits for its commands */

/* A command: copy, fill or checksum over lists of bus segments. */
struct mmk_dma_seg {
	dma_addr_t addr;
	size_t len;
};
enum mmk_dma_kind { MMK_DMA_COPY, MMK_DMA_FILL, MMK_DMA_CHECKSUM };
struct mmk_dma_cmd {
	enum mmk_dma_kind kind;
	const struct mmk_dma_seg *src, *dst;	/* src: COPY, CHECKSUM; dst: COPY, FILL */
	unsigned int src_nents, dst_nents;
	unsigned char fill;
	/* The interrupt handler, run on the device's interrupt CPU in
	 * interrupt context when the command completes (may be NULL). */
	void (*complete)(struct device *dev, struct mmk_dma_cmd *cmd);
	void *priv;
	/* Set by the device: 0, or -EFAULT for a bus error at bad_addr (an
	 * address beyond its mask or beyond RAM); bytes moved; Adler-32 of the
	 * source for MMK_DMA_CHECKSUM. */
	int status;
	dma_addr_t bad_addr;
	size_t bytes;
	uint32_t checksum;
};
/* Queue @cmd; 0, or -ENOMEM (more commands in flight than the device's
 * 64 reserved descriptors while memory is exhausted). @cmd must live
 * until its completion. */
int mmk_dma_submit(struct device *dev, struct mmk_dma_cmd *cmd);
/* Submit and wait for the completion (process context); cmd->status.
 * The wait uses cmd->complete and cmd->priv: a handler set there does not
 * run. */
int mmk_dma_run(struct device *dev, struct mmk_dma_cmd *cmd);

int mmk_dma_set_mask(struct device *dev, uint64_t mask);
int mmk_dma_set_coherent_mask(struct device *dev, uint64_t mask);
int mmk_dma_set_mask_and_coherent(struct device *dev, uint64_t mask);
uint64_t mmk_dma_get_mask(struct device *dev);
void *mmk_dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle,
			     gfp_t gfp);
void mmk_dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
			   dma_addr_t dma_handle);
dma_addr_t mmk_dma_map_single(struct device *dev, void *ptr, size_t size,
			      enum dma_data_direction dir);
void mmk_dma_unmap_single(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir);
dma_addr_t mmk_dma_map_page(struct device *dev, struct page *page, size_t offset,
			    size_t size, enum dma_data_direction dir);
void mmk_dma_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir);
int mmk_dma_mapping_error(struct device *dev, dma_addr_t addr);
void mmk_dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
				 enum dma_data_direction dir);
void mmk_dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				    enum dma_data_direction dir);

/* Scatter-gather lists, as Linux's struct scatterlist. */
struct scatterlist {
	unsigned long page_link;	/* struct page *, bit 1: last entry */
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
};
#define SG_END			0x02UL
static inline void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	for (unsigned int i = 0; i < nents; i++)
		sgl[i] = (struct scatterlist){ 0, 0, 0, 0, 0 };
	if (nents)
		sgl[nents - 1].page_link = SG_END;
}
static inline struct page *sg_page(const struct scatterlist *sg)
{
	return (struct page *)(sg->page_link & ~SG_END);
}
static inline void sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len,
			       unsigned int offset)
{
	sg->page_link = (unsigned long)page | (sg->page_link & SG_END);
	sg->offset = offset;
	sg->length = len;
}
static inline void sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int len)
{
	sg_set_page(sg, mmk_virt_to_page(buf), len,
		    (unsigned int)((unsigned long)buf & (PAGE_SIZE - 1)));
}
static inline bool sg_is_last(const struct scatterlist *sg)
{
	return sg->page_link & SG_END;
}
static inline void sg_mark_end(struct scatterlist *sg)
{
	sg->page_link |= SG_END;
}
static inline struct scatterlist *sg_next(struct scatterlist *sg)
{
	return sg_is_last(sg) ? NULL : sg + 1;
}
#define for_each_sg(sglist, sg, nr, __i) \
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))
#define sg_dma_address(sg)	((sg)->dma_address)
#define sg_dma_len(sg)		((sg)->dma_length)

int mmk_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		   enum dma_data_direction dir);
void mmk_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
		      enum dma_data_direction dir);
void mmk_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg, int nents,
			     enum dma_data_direction dir);
void mmk_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg, int nents,
				enum dma_data_direction dir);

/* DMA pools: small coherent blocks of one size (Linux's dmapool). */
struct dma_pool;
struct dma_pool *mmk_dma_pool_create(const char *name, struct device *dev, size_t size,
				     size_t align, size_t boundary);
void mmk_dma_pool_destroy(struct dma_pool *pool);
void *mmk_dma_pool_alloc(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle);
void *mmk_dma_pool_zalloc(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle);
void mmk_dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma);
#define dma_pool_create			mmk_dma_pool_create
#define dma_pool_destroy		mmk_dma_pool_destroy
#define dma_pool_alloc			mmk_dma_pool_alloc
#define dma_pool_zalloc			mmk_dma_pool_zalloc
#define dma_pool_free			mmk_dma_pool_free

#define dma_set_mask			mmk_dma_set_mask
#define dma_set_coherent_mask		mmk_dma_set_coherent_mask
#define dma_set_mask_and_coherent	mmk_dma_set_mask_and_coherent
#define dma_get_mask			mmk_dma_get_mask
#define dma_alloc_coherent		mmk_dma_alloc_coherent
#define dma_free_coherent		mmk_dma_free_coherent
#define dma_map_single			mmk_dma_map_single
#define dma_unmap_single		mmk_dma_unmap_single
#define dma_map_page			mmk_dma_map_page
#define dma_unmap_page			mmk_dma_unmap_page
#define dma_mapping_error		mmk_dma_mapping_error
#define dma_sync_single_for_cpu		mmk_dma_sync_single_for_cpu
#define dma_sync_single_for_device	mmk_dma_sync_single_for_device
#define dma_map_sg			mmk_dma_map_sg
#define dma_unmap_sg			mmk_dma_unmap_sg
#define dma_sync_sg_for_cpu		mmk_dma_sync_sg_for_cpu
#define dma_sync_sg_for_device		mmk_dma_sync_sg_for_device

/* ---- mempool: a reserve for allocations that must not fail ------------ */

/*
 * Linux's mempool: min_nr elements allocated up front, handed out only
 * when the allocator itself fails, refilled by mempool_free() before
 * anything goes back to the allocator. With __GFP_DIRECT_RECLAIM,
 * mempool_alloc() waits for a free instead of failing; without it (an
 * interrupt handler's GFP_ATOMIC), it returns NULL once the reserve is
 * empty.
 */
typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);
typedef struct mmk_mempool mempool_t;

mempool_t *mmk_mempool_create(int min_nr, mempool_alloc_t *alloc_fn,
			      mempool_free_t *free_fn, void *pool_data);
void mmk_mempool_destroy(mempool_t *pool);
int mmk_mempool_resize(mempool_t *pool, int new_min_nr);
void *mmk_mempool_alloc(mempool_t *pool, gfp_t gfp_mask);
void mmk_mempool_free(void *element, mempool_t *pool);
/* How many elements the reserve holds now (Linux: pool->curr_nr). */
int mmk_mempool_reserve_nr(const mempool_t *pool);

void *mmk_mempool_alloc_slab(gfp_t gfp_mask, void *pool_data);
void mmk_mempool_free_slab(void *element, void *pool_data);
void *mmk_mempool_kmalloc(gfp_t gfp_mask, void *pool_data);
void mmk_mempool_kfree(void *element, void *pool_data);
void *mmk_mempool_alloc_pages(gfp_t gfp_mask, void *pool_data);
void mmk_mempool_free_pages(void *element, void *pool_data);

#define mempool_create		mmk_mempool_create
#define mempool_destroy		mmk_mempool_destroy
#define mempool_resize		mmk_mempool_resize
#define mempool_alloc		mmk_mempool_alloc
#define mempool_free		mmk_mempool_free
#define mempool_alloc_slab	mmk_mempool_alloc_slab
#define mempool_free_slab	mmk_mempool_free_slab
#define mempool_kmalloc		mmk_mempool_kmalloc
#define mempool_kfree		mmk_mempool_kfree
#define mempool_alloc_pages	mmk_mempool_alloc_pages
#define mempool_free_pages	mmk_mempool_free_pages
#define mempool_create_slab_pool(min_nr, kc) \
	mmk_mempool_create(min_nr, mmk_mempool_alloc_slab, mmk_mempool_free_slab, (void *)(kc))
#define mempool_create_kmalloc_pool(min_nr, size) \
	mmk_mempool_create(min_nr, mmk_mempool_kmalloc, mmk_mempool_kfree, \
			   (void *)(uintptr_t)(size))
#define mempool_create_page_pool(min_nr, order) \
	mmk_mempool_create(min_nr, mmk_mempool_alloc_pages, mmk_mempool_free_pages, \
			   (void *)(uintptr_t)(order))

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
