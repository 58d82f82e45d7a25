/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared inside src/mm/ (and with the reports in src/proc/),
 * as Linux's mm/internal.h: the machine's global state, the boot parameters
 * and the entry points between subsystems. Nothing here is public API.
 */
#ifndef MMK_MM_INTERNAL_H
#define MMK_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <mmkit/linux.h>
#include "mmzone.h"
#include "../lib/printk.h"

/* Nothing declared below leaves the library: direct, PC-relative access. */
#pragma GCC visibility push(hidden)

/* ---- Boot parameters (parsed by src/init/main.c) --------------------- */

/* A swap= boot option: one swap device (swapfile.c). */
#define MAX_SWAPFILES	8
struct swap_param {
	char path[256];
	uint64_t size;
	int prio;
	bool has_prio;
};

struct boot_params {
	uint64_t mem;			/* mem=: RAM bytes */
	uint64_t dma_zone;		/* dma_zone=: ZONE_DMA bytes */
	uint64_t kmalloc_max;		/* kmalloc_max= */
	char slub_debug[128];		/* slub_debug=, as given */
	long min_free_kbytes;		/* min_free_kbytes=, -1: Linux's formula */
	bool nopcp;			/* nopcp: no per-CPU page lists */
	struct swap_param swap[MAX_SWAPFILES];	/* swap=PATH:SIZE[:PRIO] */
	unsigned int nr_swap;
	uint64_t cma;			/* cma= bytes */
	uint64_t vmalloc;		/* vmalloc=: the vmalloc range, bytes */
	unsigned int thp_always;	/* thp_anon=: folio orders, "always" */
	unsigned int thp_madvise;	/* and "madvise" (MADV_HUGEPAGE) */
};
/* Anonymous folio orders enabled by default: 2-9 (16 KiB to 2 MiB). */
#define THP_ANON_DEFAULT	0x3fcU
extern struct boot_params boot_params;

/* ---- The machine ----------------------------------------------------- */

extern bool machine_booted;
extern char *direct_map_base;		/* virtual address of physical 0 */
extern struct page *mem_map;		/* one struct page per frame */
extern unsigned long max_pfn;		/* frames of RAM */
extern struct pglist_data *node_data0;	/* the one node */
extern unsigned long normal_start_pfn;	/* first pfn of ZONE_NORMAL */
extern long min_free_kbytes;
extern unsigned long totalreserve_pages;

#define NODE_DATA(nid)	(node_data0)

#define for_each_zone(z) \
	for (z = node_data0->node_zones; z < node_data0->node_zones + MAX_NR_ZONES; z++)
#define for_each_populated_zone(z) \
	for_each_zone(z) if (!populated_zone(z)) ; else

/* Linux's totalram_pages(): the frames the page allocator manages. */
static inline unsigned long totalram_pages(void)
{
	struct zone *zone;
	unsigned long sum = 0;

	for_each_zone(zone)
		sum += zone_managed_pages(zone);
	return sum;
}

static inline unsigned long pfn_of(const struct page *page)
{
	return (unsigned long)(page - mem_map);
}

static inline struct page *page_of(unsigned long pfn)
{
	return mem_map + pfn;
}

static inline int page_zonenum(const struct page *page)
{
	return pfn_of(page) >= normal_start_pfn ? ZONE_NORMAL : ZONE_DMA;
}

static inline struct zone *page_zone(const struct page *page)
{
	return &node_data0->node_zones[page_zonenum(page)];
}

/* The head of the compound page @page belongs to (itself if none). */
static inline struct page *compound_head(const struct page *page)
{
	if (PageTail(page))
		return (struct page *)(page->compound_head & ~1UL);
	return (struct page *)page;
}

static inline void *pfn_to_virt(unsigned long pfn)
{
	return direct_map_base + ((uint64_t)pfn << PAGE_SHIFT);
}

static inline bool virt_in_direct_map(const void *addr)
{
	return (const char *)addr >= direct_map_base &&
	       (const char *)addr < direct_map_base + ((uint64_t)max_pfn << PAGE_SHIFT);
}

/* Report a call made before mmk_boot(); returns true if not booted. */
bool __not_booted(const char *fn);
/* A boot option's size: a number with an optional K/M/G/T suffix (Linux's
 * memparse(), but the whole string must parse). 0, or -1. */
int parse_size(const char *s, uint64_t *out);
#define not_booted() unlikely(!machine_booted && __not_booted(__func__))

/* ---- memblock (memblock.c) ------------------------------------------- */

#define MEMBLOCK_ALLOC_FAIL ((phys_addr_t)-1)

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	const char *name;	/* who reserved it, for iomem */
};

struct memblock_type {
	unsigned long cnt;
	phys_addr_t total_size;
	struct memblock_region regions[128];
};

extern struct memblock_type memblock_memory, memblock_reserved;

void memblock_init(void);
int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size, const char *name);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end,
				      const char *name);
void *memblock_alloc_named(phys_addr_t size, phys_addr_t align, const char *name);
/* Hand every frame memblock has not reserved to the buddy allocator. */
unsigned long memblock_free_all(void);
void run_early_initcalls(void);	/* before memblock_free_all() */
bool memblock_is_reserved(unsigned long pfn);

/* ---- The page allocator (page_alloc.c, mm_init.c) -------------------- */

int free_area_init(void);		/* zones, mem_map, pcp: at boot */
/* Bit n set once frame n has been allocated since boot, and once the
 * direct map has been faulted in for it (page_alloc.c). */
extern _Atomic unsigned long *frames_used, *frames_mapped;
void __free_pages_core(struct page *page, unsigned int order);
void init_per_zone_wmark_min(void);
void setup_per_zone_wmarks(void);
void zone_pcp_init(struct zone *zone);
void page_alloc_shutdown(void);
bool unsplit_page(struct page *page, unsigned int order);
void free_frame_run(unsigned long pfn, unsigned long nr);

/* dma.c: debugging at boot, devices at shutdown. */
void dma_debug_init(void);
void dma_shutdown(void);

/* memory.c: the page-fault entry, installed at boot. */
int fault_init(void);
void fault_exit(void);
/* mmap.c: the user address space, at boot after the slab allocator. */
int mm_user_init(void);
void mm_user_exit(void);
/* Migrate type of each pageblock, indexed by pfn >> pageblock_order. */
extern _Atomic uint8_t *pageblock_types;

static inline int get_pageblock_migratetype(unsigned long pfn)
{
	return atomic_load_explicit(&pageblock_types[pfn >> pageblock_order],
				    memory_order_relaxed);
}
void set_pageblock_migratetype(struct zone *zone, unsigned long pfn, int mt);
extern const char *const zone_names[MAX_NR_ZONES];
extern bool pcp_disabled;


/* Free blocks of @order of type @mt in @zone (reports and checker). */
unsigned long zone_free_blocks(struct zone *zone, unsigned int order, int mt);

/* ---- Debugging and reports (debug.c, show_mem.c) --------------------- */

void dump_page(const struct page *page, const char *reason);
void bad_page(const struct page *page, const char *reason);
/* Linux's %pGg: "GFP_KERNEL|__GFP_ZERO". */
const char *format_gfp(gfp_t gfp, char *buf, size_t len);
void show_free_areas(void);
void warn_alloc(gfp_t gfp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- Atomic context (irq.c) ------------------------------------------ */

void __might_alloc_report(gfp_t gfp);

/* An allocation that may sleep must not be made in atomic context. */
static inline void might_alloc(gfp_t gfp)
{
	if (unlikely(gfp & __GFP_DIRECT_RECLAIM) &&
	    unlikely(arch_this_thread.preempt_count))
		__might_alloc_report(gfp);
}

#pragma GCC visibility pop

#endif
