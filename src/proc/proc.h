/* SPDX-License-Identifier: MIT */
/*
 * Shared by the /proc-style reports in src/proc/: one show function per
 * report, and the small conversions every report makes the same way as
 * Linux (node counters kept in bytes read back as pages; which CPUs count
 * as online). The reports read kernel state through src/mm/internal.h and
 * write with stdio, which is what a seq_file is to Linux.
 */
#ifndef MMK_PROC_H
#define MMK_PROC_H

#include <stdio.h>

#include "../mm/internal.h"

/* One report each; 0 or -errno. */
int proc_buddyinfo_show(FILE *m);
int proc_pagetypeinfo_show(FILE *m);
int proc_zoneinfo_show(FILE *m);
int proc_vmstat_show(FILE *m);
int proc_extfrag_show(FILE *m);
int proc_meminfo_show(FILE *m);
int proc_slabinfo_show(FILE *m);
int proc_iomem_show(FILE *m);
int proc_vmallocinfo_show(FILE *m);
int proc_swaps_show(FILE *m);
/* The simulated process (task_mmu.c), and mmkit's fault counters. */
int proc_pid_maps_show(FILE *m);
int proc_pid_smaps_rollup_show(FILE *m);
int proc_pid_status_show(FILE *m);
int proc_mm_faults_show(FILE *m);

#define HPAGE_PMD_NR	512	/* x86_64: a PMD maps 2 MiB */

/* Linux's vmstat_item_in_bytes(): the slab counters are kept in bytes. */
static inline bool node_stat_in_bytes(enum node_stat_item item)
{
	return item == NR_SLAB_RECLAIMABLE_B || item == NR_SLAB_UNRECLAIMABLE_B;
}

/* Linux's node_page_state_pages(): a node counter in pages. */
static inline unsigned long node_page_state_pages(struct pglist_data *pgdat,
						  enum node_stat_item item)
{
	unsigned long v = node_page_state(pgdat, item);

	return node_stat_in_bytes(item) ? v >> PAGE_SHIFT : v;
}

static inline unsigned long global_node_page_state_pages(enum node_stat_item item)
{
	return node_page_state_pages(node_data0, item);
}

/* Linux's vmstat_item_print_in_thp(): these print in huge pages. */
static inline bool node_stat_print_in_thp(enum node_stat_item item)
{
	return item == NR_ANON_THPS || item == NR_SHMEM_THPS ||
	       item == NR_SHMEM_PMDMAPPED || item == NR_FILE_THPS ||
	       item == NR_FILE_PMDMAPPED;
}

/*
 * The CPUs a report walks (Linux's for_each_online_cpu). Host threads are
 * CPUs here and take numbers as they call in, so "online" is the larger of
 * the host's CPU count (what the pcp high marks were sized for) and the CPU
 * numbers handed out so far: every pageset that can hold pages is shown,
 * and the per-CPU counts always add up to the machine's pcp pages.
 */
static inline int report_nr_cpus(void)
{
	int n = arch_num_online_cpus();

	if (arch_nr_cpus_seen() > n)
		n = arch_nr_cpus_seen();
	return n > NR_CPUS ? NR_CPUS : n;
}

#endif
