// SPDX-License-Identifier: MIT
/*
 * /proc/meminfo in Linux 6.x's exact format and field order (x86_64, no
 * HIGHMEM; ZSWAP, THP, CMA, UNACCEPTED_MEMORY, MEMORY_FAILURE and HUGETLB
 * configured, as distributions ship it): a 16-character label, the value
 * in kB right-aligned in 8 columns, then " kB".
 *
 * Every field is printed. Those whose subsystem does not exist (page
 * cache, hugetlb) read their counters, which are 0; the totals are
 * computed as Linux computes them: MemTotal is the managed pages,
 * MemAvailable is si_mem_available() (which, as Linux's, counts no swap),
 * SwapTotal the usable slots of every swap device, SwapFree the slots
 * neither referenced nor held by the swap cache (nr_swap_pages, as
 * si_swapinfo()), CommitLimit vm_commit_limit() with the default
 * overcommit ratio: half of RAM plus all of swap.
 */
#include "proc.h"
#include "../mm/mmap.h"
#include "../mm/swap.h"
#include "../mm/vmalloc.h"

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

static void show_val_kb(FILE *m, const char *label, unsigned long pages)
{
	fprintf(m, "%s%8lu kB\n", label, K(pages));
}

static unsigned long totalcma_pages(void)
{
	struct zone *zone;
	unsigned long sum = 0;

	for_each_zone(zone)
		sum += zone->cma_pages;
	return sum;
}

/*
 * Linux's si_mem_available(): free pages above the reserves the kernel
 * keeps, plus the page cache and reclaimable kernel memory that could be
 * freed without swapping, less what the low watermarks would keep of them.
 */
static unsigned long si_mem_available(void)
{
	unsigned long pagecache, reclaimable, wmark_low = 0;
	struct zone *zone;
	long available;

	for_each_zone(zone)
		wmark_low += low_wmark_pages(zone);

	available = (long)global_zone_page_state(NR_FREE_PAGES) - (long)totalreserve_pages;

	pagecache = global_node_page_state_pages(NR_ACTIVE_FILE) +
		    global_node_page_state_pages(NR_INACTIVE_FILE);
	pagecache -= pagecache / 2 < wmark_low ? pagecache / 2 : wmark_low;
	available += (long)pagecache;

	reclaimable = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B) +
		      global_node_page_state_pages(NR_KERNEL_MISC_RECLAIMABLE);
	reclaimable -= reclaimable / 2 < wmark_low ? reclaimable / 2 : wmark_low;
	available += (long)reclaimable;

	return available < 0 ? 0 : (unsigned long)available;
}

int proc_meminfo_show(FILE *m)
{
	const unsigned long sysctl_overcommit_ratio = 50;
	const unsigned long hugetlb_pages = 0;
	unsigned long swap_total = (unsigned long)total_swap_pages;
	long free_swap = atomic_load(&nr_swap_pages);
	unsigned long swap_free = free_swap > 0 ? (unsigned long)free_swap : 0;
	unsigned long totalram = totalram_pages();
	unsigned long buffers = 0;	/* no block devices */
	unsigned long swapcache = global_node_page_state_pages(NR_SWAPCACHE);
	unsigned long file = global_node_page_state_pages(NR_FILE_PAGES);
	unsigned long cached = file > swapcache + buffers ? file - swapcache - buffers : 0;
	unsigned long sreclaimable = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	unsigned long active_anon = global_node_page_state_pages(NR_ACTIVE_ANON);
	unsigned long inactive_anon = global_node_page_state_pages(NR_INACTIVE_ANON);
	unsigned long active_file = global_node_page_state_pages(NR_ACTIVE_FILE);
	unsigned long inactive_file = global_node_page_state_pages(NR_INACTIVE_FILE);
	unsigned long commit_limit;

	commit_limit = (totalram - hugetlb_pages) * sysctl_overcommit_ratio / 100 +
		       swap_total;

	show_val_kb(m, "MemTotal:       ", totalram);
	show_val_kb(m, "MemFree:        ", global_zone_page_state(NR_FREE_PAGES));
	show_val_kb(m, "MemAvailable:   ", si_mem_available());
	show_val_kb(m, "Buffers:        ", buffers);
	show_val_kb(m, "Cached:         ", cached);
	show_val_kb(m, "SwapCached:     ", swapcache);
	show_val_kb(m, "Active:         ", active_anon + active_file);
	show_val_kb(m, "Inactive:       ", inactive_anon + inactive_file);
	show_val_kb(m, "Active(anon):   ", active_anon);
	show_val_kb(m, "Inactive(anon): ", inactive_anon);
	show_val_kb(m, "Active(file):   ", active_file);
	show_val_kb(m, "Inactive(file): ", inactive_file);
	show_val_kb(m, "Unevictable:    ", global_node_page_state_pages(NR_UNEVICTABLE));
	show_val_kb(m, "Mlocked:        ", global_zone_page_state(NR_MLOCK));
	show_val_kb(m, "SwapTotal:      ", swap_total);
	show_val_kb(m, "SwapFree:       ", swap_free);
	show_val_kb(m, "Zswap:          ", 0);
	show_val_kb(m, "Zswapped:       ", 0);
	show_val_kb(m, "Dirty:          ", global_node_page_state_pages(NR_FILE_DIRTY));
	show_val_kb(m, "Writeback:      ", global_node_page_state_pages(NR_WRITEBACK));
	show_val_kb(m, "AnonPages:      ", global_node_page_state_pages(NR_ANON_MAPPED));
	show_val_kb(m, "Mapped:         ", global_node_page_state_pages(NR_FILE_MAPPED));
	show_val_kb(m, "Shmem:          ", global_node_page_state_pages(NR_SHMEM));
	show_val_kb(m, "KReclaimable:   ", sreclaimable +
		    global_node_page_state_pages(NR_KERNEL_MISC_RECLAIMABLE));
	show_val_kb(m, "Slab:           ", sreclaimable + sunreclaim);
	show_val_kb(m, "SReclaimable:   ", sreclaimable);
	show_val_kb(m, "SUnreclaim:     ", sunreclaim);
	fprintf(m, "KernelStack:    %8lu kB\n",	/* already in kB */
		global_node_page_state(NR_KERNEL_STACK_KB));
	show_val_kb(m, "PageTables:     ", global_node_page_state_pages(NR_PAGETABLE));
	show_val_kb(m, "SecPageTables:  ",
		    global_node_page_state_pages(NR_SECONDARY_PAGETABLE));
	show_val_kb(m, "NFS_Unstable:   ", 0);
	show_val_kb(m, "Bounce:         ", global_zone_page_state(NR_BOUNCE));
	show_val_kb(m, "WritebackTmp:   ", global_node_page_state_pages(NR_WRITEBACK_TEMP));
	show_val_kb(m, "CommitLimit:    ", commit_limit);
	show_val_kb(m, "Committed_AS:   ", (unsigned long)atomic_load(&vm_committed_as));
	/* The size of the vmalloc= range; the pages vmalloc() holds (not
	 * vmap()'s, which belong to their caller); VmallocChunk is 0, as
	 * Linux has printed it for years. */
	fprintf(m, "VmallocTotal:   %8lu kB\n", (unsigned long)(vmalloc_total_bytes() >> 10));
	show_val_kb(m, "VmallocUsed:    ", vmalloc_nr_pages());
	show_val_kb(m, "VmallocChunk:   ", 0);
	show_val_kb(m, "Percpu:         ", 0);	/* no percpu allocator */
	fprintf(m, "HardwareCorrupted: %5lu kB\n", 0UL);
	show_val_kb(m, "AnonHugePages:  ", global_node_page_state_pages(NR_ANON_THPS));
	show_val_kb(m, "ShmemHugePages: ", global_node_page_state_pages(NR_SHMEM_THPS));
	show_val_kb(m, "ShmemPmdMapped: ", global_node_page_state_pages(NR_SHMEM_PMDMAPPED));
	show_val_kb(m, "FileHugePages:  ", global_node_page_state_pages(NR_FILE_THPS));
	show_val_kb(m, "FilePmdMapped:  ", global_node_page_state_pages(NR_FILE_PMDMAPPED));
	show_val_kb(m, "CmaTotal:       ", totalcma_pages());
	show_val_kb(m, "CmaFree:        ", global_zone_page_state(NR_FREE_CMA_PAGES));
	show_val_kb(m, "Unaccepted:     ", global_zone_page_state(NR_UNACCEPTED));
	show_val_kb(m, "Balloon:        ", global_node_page_state_pages(NR_BALLOON_PAGES));

	/* hugetlb: the default hstate is 2 MiB; none are allocated. */
	fprintf(m, "HugePages_Total:   %5lu\n", 0UL);
	fprintf(m, "HugePages_Free:    %5lu\n", 0UL);
	fprintf(m, "HugePages_Rsvd:    %5lu\n", 0UL);
	fprintf(m, "HugePages_Surp:    %5lu\n", 0UL);
	fprintf(m, "Hugepagesize:   %8lu kB\n", (PAGE_SIZE << 9) / 1024);
	fprintf(m, "Hugetlb:        %8lu kB\n", 0UL);

	/* The direct map is one host mapping of RAM in 4 KiB pages. */
	show_val_kb(m, "DirectMap4k:    ", max_pfn);
	show_val_kb(m, "DirectMap2M:    ", 0);
	show_val_kb(m, "DirectMap1G:    ", 0);
	return 0;
}
