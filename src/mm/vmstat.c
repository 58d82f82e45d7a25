// SPDX-License-Identifier: MIT
/*
 * vmstat counters: zone and node state counters and per-CPU event counters
 * (see vmstat.h for the design). The /proc-style reports that print them
 * live in src/proc/.
 */
#include "internal.h"

#define __VMSTAT_NAME(e, s) s,
const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = { ZONE_STAT_ITEMS(__VMSTAT_NAME) };
const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = { NODE_STAT_ITEMS(__VMSTAT_NAME) };
const char *const vm_event_names[NR_VM_EVENT_ITEMS] = { VM_EVENT_ITEMS(__VMSTAT_NAME) };
#undef __VMSTAT_NAME

struct vm_event_state *vm_event_states;

void count_vm_events(enum vm_event_item item, unsigned long delta)
{
	atomic_fetch_add_explicit(&vm_event_states[arch_smp_processor_id()].event[item],
				  delta, memory_order_relaxed);
}

void sum_vm_events(unsigned long *ret)
{
	struct zone *zone;

	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		ret[i] = 0;
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
			ret[i] += atomic_load_explicit(&vm_event_states[cpu].event[i],
						       memory_order_relaxed);

	/* The page allocator counts its own events where it holds a lock. */
	for_each_zone(zone) {
		unsigned long alloc = zone->alloc_pages_locked;
		unsigned long freed = zone->free_pages_locked;

		for (int cpu = 0; cpu < NR_CPUS; cpu++) {
			alloc += zone->per_cpu_pageset[cpu].alloc_pages;
			freed += zone->per_cpu_pageset[cpu].free_pages;
		}
		ret[zone->idx == ZONE_DMA ? PGALLOC_DMA : PGALLOC_NORMAL] += alloc;
		ret[PGFREE] += freed;
	}
}

void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta)
{
	atomic_fetch_add_explicit(&zone->vm_stat[item], delta, memory_order_relaxed);
}

unsigned long zone_page_state(struct zone *zone, enum zone_stat_item item)
{
	long v = atomic_load_explicit(&zone->vm_stat[item], memory_order_relaxed);

	return v < 0 ? 0 : (unsigned long)v;
}

unsigned long global_zone_page_state(enum zone_stat_item item)
{
	struct zone *zone;
	long sum = 0;

	for_each_zone(zone)
		sum += atomic_load_explicit(&zone->vm_stat[item], memory_order_relaxed);
	return sum < 0 ? 0 : (unsigned long)sum;
}

void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item, long delta)
{
	atomic_fetch_add_explicit(&pgdat->vm_stat[item], delta, memory_order_relaxed);
}

unsigned long node_page_state(struct pglist_data *pgdat, enum node_stat_item item)
{
	long v = atomic_load_explicit(&pgdat->vm_stat[item], memory_order_relaxed);

	return v < 0 ? 0 : (unsigned long)v;
}

unsigned long global_node_page_state(enum node_stat_item item)
{
	return node_page_state(node_data0, item);
}
