// SPDX-License-Identifier: MIT
/*
 * show_free_areas(): the "Mem-Info:" block Linux prints after an allocation
 * failure, so the reader sees at once whether memory was short or only
 * fragmented: free kB per zone against its watermarks, then the free blocks
 * of every order with the migrate types that hold them.
 */
#include "swap.h"
#include "vmstat.h"

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

static unsigned long zone_pcp_pages(struct zone *zone, int *local)
{
	unsigned long sum = 0;
	int me = arch_smp_processor_id();

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		int c = zone->per_cpu_pageset[cpu].count;

		sum += (unsigned long)c;
		if (cpu == me)
			*local = c;
	}
	return sum;
}

void show_free_areas(void)
{
	static const char mt_letter[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'C', 'I' };
	unsigned long free_pcp = 0;
	struct zone *zone;
	int local = 0;

	for_each_populated_zone(zone)
		free_pcp += zone_pcp_pages(zone, &local);
	pr_warn("Mem-Info:\n");
	pr_warn("active_anon:%lu inactive_anon:%lu isolated_anon:%lu\n"
		" active_file:0 inactive_file:0 isolated_file:0\n"
		" unevictable:%lu dirty:0 writeback:%lu\n"
		" slab_reclaimable:%lu slab_unreclaimable:%lu\n"
		" mapped:0 shmem:0 pagetables:%lu\n"
		" sec_pagetables:0 bounce:0\n"
		" kernel_misc_reclaimable:0\n"
		" free:%lu free_pcp:%lu free_cma:%lu\n",
		global_node_page_state(NR_ACTIVE_ANON), global_node_page_state(NR_INACTIVE_ANON),
		global_node_page_state(NR_ISOLATED_ANON), global_node_page_state(NR_UNEVICTABLE),
		global_node_page_state(NR_WRITEBACK),
		global_node_page_state(NR_SLAB_RECLAIMABLE_B) >> PAGE_SHIFT,
		global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) >> PAGE_SHIFT,
		global_node_page_state(NR_PAGETABLE),
		global_zone_page_state(NR_FREE_PAGES), free_pcp,
		global_zone_page_state(NR_FREE_CMA_PAGES));

	for_each_populated_zone(zone) {
		unsigned long pcp = zone_pcp_pages(zone, &local);

		pr_warn("Node 0 %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB "
			"reserved_highatomic:%luKB active_anon:%lukB inactive_anon:%lukB "
			"active_file:0kB inactive_file:0kB unevictable:%lukB writepending:0kB "
			"present:%lukB managed:%lukB mlocked:%lukB bounce:0kB free_pcp:%lukB "
			"local_pcp:%ukB free_cma:%lukB\n",
			zone->name, K(zone_page_state(zone, NR_FREE_PAGES)),
			K(zone->watermark_boost), K(min_wmark_pages(zone)),
			K(low_wmark_pages(zone)), K(high_wmark_pages(zone)),
			K(zone->nr_reserved_highatomic),
			K(zone_page_state(zone, NR_ZONE_ACTIVE_ANON)),
			K(zone_page_state(zone, NR_ZONE_INACTIVE_ANON)),
			K(zone_page_state(zone, NR_ZONE_UNEVICTABLE)), K(zone->present_pages),
			K(zone_managed_pages(zone)), K(zone_page_state(zone, NR_MLOCK)), K(pcp), (unsigned int)K((unsigned long)local),
			K(zone_page_state(zone, NR_FREE_CMA_PAGES)));
		char line[64];
		int n = snprintf(line, sizeof(line), "lowmem_reserve[]:");

		for (int i = 0; i < MAX_NR_ZONES; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %ld",
				      zone->lowmem_reserve[i]);
		pr_warn("%s\n", line);
	}

	for_each_populated_zone(zone) {
		char line[512];
		int n = snprintf(line, sizeof(line), "Node 0 %s: ", zone->name);
		unsigned long total = 0;

		zone_lock(zone);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long nr = zone->free_area[o].nr_free;
			char types[MIGRATE_TYPES + 1];
			int t = 0;

			total += nr << o;
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%lu*%lukB ",
				      nr, K(1UL << o));
			if (!nr)
				continue;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				if (!list_empty(&zone->free_area[o].free_list[mt]))
					types[t++] = mt_letter[mt];
			types[t] = '\0';
			n += snprintf(line + n, sizeof(line) - (size_t)n, "(%s) ", types);
		}
		zone_unlock(zone);
		pr_warn("%s= %lukB\n", line, K(total));
	}

	unsigned long present = 0, reserved = 0;

	pr_warn("%lu total pagecache pages\n", global_node_page_state(NR_FILE_PAGES));
	pr_warn("%lu pages in swap cache\n", global_node_page_state(NR_SWAPCACHE));
	pr_warn("Free swap  = %lukB\n", K((unsigned long)atomic_load(&nr_swap_pages)));
	pr_warn("Total swap = %lukB\n", K((unsigned long)total_swap_pages));

	for_each_populated_zone(zone) {
		present += zone->present_pages;
		reserved += zone->present_pages - zone_managed_pages(zone);
	}
	pr_warn("%lu pages RAM\n", present);
	pr_warn("0 pages HighMem/MovableOnly\n");
	pr_warn("%lu pages reserved\n", reserved);
}
