// SPDX-License-Identifier: MIT
/*
 * Memory initialisation at boot: lay out the node and its zones, allocate
 * mem_map, the pageblock types and the per-CPU pagesets from memblock, then
 * hand every frame memblock did not keep to the buddy allocator and compute
 * the watermarks.
 *
 * All of it lives in simulated RAM (DESIGN.md rule 2), so the frames it
 * takes show up as reserved: present - managed in zoneinfo.
 *
 * mem_map needs no initialising loop: RAM is a fresh memfd, so every struct
 * page starts all-zero, which is a valid PGS_TAIL page with refcount 0. Only
 * the heads of free blocks (one per 4 MiB) and the reserved frames are
 * written, which is what makes a 16 GiB boot fast.
 */
#include <string.h>

#include "internal.h"
#include "cma.h"

struct pglist_data *node_data0;
struct page *mem_map;
unsigned long max_pfn;
unsigned long normal_start_pfn;

static void zone_init(struct zone *zone, int idx, unsigned long start,
		      unsigned long end, struct per_cpu_pages *pcp)
{
	zone->idx = idx;
	zone->name = zone_names[idx];
	zone->zone_pgdat = node_data0;
	zone->zone_start_pfn = start;
	zone->spanned_pages = end > start ? end - start : 0;
	zone->present_pages = zone->spanned_pages;
	zone->per_cpu_pageset = pcp;
	spin_lock_init(&zone->lock);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		cpu_lock_init(&pcp[cpu].cl);
		for (int i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&pcp[cpu].lists[i]);
	}
}

int free_area_init(void)
{
	unsigned long nr_pageblocks;
	struct per_cpu_pages *pcp;

	max_pfn = (unsigned long)(boot_params.mem >> PAGE_SHIFT);
	normal_start_pfn = (unsigned long)(boot_params.dma_zone >> PAGE_SHIFT);
	if (normal_start_pfn > max_pfn)
		normal_start_pfn = max_pfn;

	memblock_init();
	memblock_add(0, (phys_addr_t)max_pfn << PAGE_SHIFT);

	node_data0 = memblock_alloc_named(sizeof(*node_data0), 64, "node_data");
	mem_map = memblock_alloc_named(max_pfn * sizeof(struct page), PAGE_SIZE, "mem_map");
	nr_pageblocks = (max_pfn + pageblock_nr_pages - 1) >> pageblock_order;
	pageblock_types = memblock_alloc_named(nr_pageblocks, 64, "pageblock_flags");
	pcp = memblock_alloc_named(sizeof(*pcp) * NR_CPUS * MAX_NR_ZONES, 64, "per-cpu pagesets");
	vm_event_states = memblock_alloc_named(sizeof(*vm_event_states) * NR_CPUS, 64,
					 "per-cpu vm events");
	frames_used = memblock_alloc_named((max_pfn + 63) / 64 * sizeof(*frames_used), 64,
					   "frames-used bitmap");
	frames_mapped = memblock_alloc_named((max_pfn + 63) / 64 * sizeof(*frames_mapped), 64,
					     "frames-mapped bitmap");
	if (!node_data0 || !mem_map || !pageblock_types || !pcp || !vm_event_states ||
	    !frames_used || !frames_mapped) {
		pr_err("mmkit: mem=%lluK is too small for the kernel's own metadata\n",
		       (unsigned long long)(boot_params.mem >> 10));
		return -12;	/* -ENOMEM */
	}

	/* Every pageblock starts Movable, as Linux's memmap_init() marks it. */
	for (unsigned long i = 0; i < nr_pageblocks; i++)
		atomic_store_explicit(&pageblock_types[i], MIGRATE_MOVABLE,
				      memory_order_relaxed);

	node_data0->node_id = 0;
	node_data0->node_start_pfn = 0;
	node_data0->node_present_pages = max_pfn;
	node_data0->node_spanned_pages = max_pfn;
	zone_init(&node_data0->node_zones[ZONE_DMA], ZONE_DMA, 0,
		  normal_start_pfn, pcp);
	zone_init(&node_data0->node_zones[ZONE_NORMAL], ZONE_NORMAL,
		  normal_start_pfn, max_pfn, pcp + NR_CPUS);
	node_data0->nr_zones = normal_start_pfn < max_pfn ? 2 : 1;
	if (normal_start_pfn == max_pfn)
		node_data0->node_zones[ZONE_NORMAL].zone_start_pfn = max_pfn;

	if (cma_reserve(boot_params.cma))
		return -12;	/* -ENOMEM, reported */
	run_early_initcalls();
	memblock_free_all();
	cma_activate();
	init_per_zone_wmark_min();
	for (int z = 0; z < MAX_NR_ZONES; z++)
		zone_pcp_init(&node_data0->node_zones[z]);
	return 0;
}

void page_alloc_shutdown(void)
{
	mem_map = NULL;
	node_data0 = NULL;
	pageblock_types = NULL;
	vm_event_states = NULL;
	max_pfn = 0;
	normal_start_pfn = 0;
}
