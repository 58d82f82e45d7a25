/* SPDX-License-Identifier: MIT */
/*
 * Memory statistics, as Linux's vmstat: zone counters, node counters and
 * events. Each list is an X-macro of (ENUM, "name") in the order Linux's
 * /proc/vmstat prints them, so the enum and the report cannot drift apart.
 * Items that mean nothing here yet stay in the list and read 0.
 *
 * Counters (zone and node stats) are current values: atomics, updated where
 * the state they count changes (NR_FREE_PAGES under zone->lock). Events only
 * grow: each CPU has its own array, summed when read, so counting costs one
 * uncontended atomic add. The page allocator's hottest events (pgalloc_*,
 * pgfree) are counted in the per-CPU pagesets under their lock and folded in
 * by sum_vm_events().
 */
#ifndef MMK_VMSTAT_H
#define MMK_VMSTAT_H

#include <stdatomic.h>

#define ZONE_STAT_ITEMS(X)						\
	X(NR_FREE_PAGES, "nr_free_pages")				\
	X(NR_ZONE_INACTIVE_ANON, "nr_zone_inactive_anon")		\
	X(NR_ZONE_ACTIVE_ANON, "nr_zone_active_anon")			\
	X(NR_ZONE_INACTIVE_FILE, "nr_zone_inactive_file")		\
	X(NR_ZONE_ACTIVE_FILE, "nr_zone_active_file")			\
	X(NR_ZONE_UNEVICTABLE, "nr_zone_unevictable")			\
	X(NR_ZONE_WRITE_PENDING, "nr_zone_write_pending")		\
	X(NR_MLOCK, "nr_mlock")						\
	X(NR_BOUNCE, "nr_bounce")					\
	X(NR_ZSPAGES, "nr_zspages")					\
	X(NR_FREE_CMA_PAGES, "nr_free_cma")				\
	X(NR_UNACCEPTED, "nr_unaccepted")

#define NODE_STAT_ITEMS(X)						\
	X(NR_INACTIVE_ANON, "nr_inactive_anon")				\
	X(NR_ACTIVE_ANON, "nr_active_anon")				\
	X(NR_INACTIVE_FILE, "nr_inactive_file")				\
	X(NR_ACTIVE_FILE, "nr_active_file")				\
	X(NR_UNEVICTABLE, "nr_unevictable")				\
	X(NR_SLAB_RECLAIMABLE_B, "nr_slab_reclaimable")			\
	X(NR_SLAB_UNRECLAIMABLE_B, "nr_slab_unreclaimable")		\
	X(NR_ANON_MAPPED, "nr_anon_pages")				\
	X(NR_FILE_MAPPED, "nr_mapped")					\
	X(NR_FILE_PAGES, "nr_file_pages")				\
	X(NR_SHMEM, "nr_shmem")						\
	X(NR_KERNEL_STACK_KB, "nr_kernel_stack")			\
	X(NR_PAGETABLE, "nr_page_table_pages")				\
	X(NR_SWAPCACHE, "nr_swapcached")				\
	X(NR_VMALLOC, "nr_vmalloc")

#define VM_EVENT_ITEMS(X)						\
	X(PGPGIN, "pgpgin")						\
	X(PGPGOUT, "pgpgout")						\
	X(PSWPIN, "pswpin")						\
	X(PSWPOUT, "pswpout")						\
	X(PGALLOC_DMA, "pgalloc_dma")					\
	X(PGALLOC_DMA32, "pgalloc_dma32")				\
	X(PGALLOC_NORMAL, "pgalloc_normal")				\
	X(PGALLOC_MOVABLE, "pgalloc_movable")				\
	X(ALLOCSTALL_DMA, "allocstall_dma")				\
	X(ALLOCSTALL_DMA32, "allocstall_dma32")				\
	X(ALLOCSTALL_NORMAL, "allocstall_normal")			\
	X(ALLOCSTALL_MOVABLE, "allocstall_movable")			\
	X(PGFREE, "pgfree")						\
	X(PGFAULT, "pgfault")						\
	X(PGMAJFAULT, "pgmajfault")					\
	X(OOM_KILL, "oom_kill")

#define __VMSTAT_ENUM(e, s) e,
enum zone_stat_item { ZONE_STAT_ITEMS(__VMSTAT_ENUM) NR_VM_ZONE_STAT_ITEMS };
enum node_stat_item { NODE_STAT_ITEMS(__VMSTAT_ENUM) NR_VM_NODE_STAT_ITEMS };
enum vm_event_item { VM_EVENT_ITEMS(__VMSTAT_ENUM) NR_VM_EVENT_ITEMS };
#undef __VMSTAT_ENUM

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

struct zone;
struct pglist_data;

/* Per-CPU event counters (an array of NR_CPUS, allocated at boot). */
struct vm_event_state {
	atomic_ulong event[NR_VM_EVENT_ITEMS];
};
extern struct vm_event_state *vm_event_states;

void count_vm_events(enum vm_event_item item, unsigned long delta);
static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}
/* Fill @ret[NR_VM_EVENT_ITEMS] with the machine-wide sums. */
void sum_vm_events(unsigned long *ret);

void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta);
unsigned long zone_page_state(struct zone *zone, enum zone_stat_item item);
unsigned long global_zone_page_state(enum zone_stat_item item);
void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item, long delta);
unsigned long node_page_state(struct pglist_data *pgdat, enum node_stat_item item);
unsigned long global_node_page_state(enum node_stat_item item);

#endif
