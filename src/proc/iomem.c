// SPDX-License-Identifier: MIT
/*
 * /proc/iomem: the machine's physical address map, in Linux's format: one
 * line per resource, "start-end : name" with inclusive ends in hex padded
 * to 8 digits, and two spaces of indent per level of nesting.
 *
 * The tree here: the RAM ("System RAM", from memblock's memory regions);
 * inside it each zone ("Zone DMA", "Zone Normal" — Linux does not list
 * zones, the issue asks for them and they nest cleanly); inside each zone
 * the boot-time reservations that memblock recorded, by the name their
 * owner gave (mem_map, the per-CPU pagesets, the CMA area, ...). A
 * reservation that straddles a zone boundary is shown in each zone it
 * touches, clipped.
 */
#include "proc.h"

static void show_range(FILE *m, int depth, unsigned long long start,
		       unsigned long long end, const char *name)
{
	fprintf(m, "%*s%08llx-%08llx : %s\n", 2 * depth, "", start, end, name);
}

int proc_iomem_show(FILE *m)
{
	for (unsigned long r = 0; r < memblock_memory.cnt; r++) {
		const struct memblock_region *mr = &memblock_memory.regions[r];
		unsigned long long ram_start = mr->base, ram_end = mr->base + mr->size;
		struct zone *zone;

		show_range(m, 0, ram_start, ram_end - 1, "System RAM");
		for_each_populated_zone(zone) {
			unsigned long long zs = (unsigned long long)zone->zone_start_pfn << PAGE_SHIFT;
			unsigned long long ze = (unsigned long long)zone_end_pfn(zone) << PAGE_SHIFT;
			char name[32];

			if (ze <= ram_start || zs >= ram_end)
				continue;
			if (zs < ram_start)
				zs = ram_start;
			if (ze > ram_end)
				ze = ram_end;
			snprintf(name, sizeof(name), "Zone %s", zone->name);
			show_range(m, 1, zs, ze - 1, name);
			for (unsigned long i = 0; i < memblock_reserved.cnt; i++) {
				const struct memblock_region *rr = &memblock_reserved.regions[i];
				unsigned long long rs = rr->base, re = rr->base + rr->size;

				if (re <= zs || rs >= ze)
					continue;
				show_range(m, 2, rs < zs ? zs : rs, (re > ze ? ze : re) - 1,
					   rr->name ? rr->name : "reserved");
			}
		}
	}
	return 0;
}
