/* SPDX-License-Identifier: MIT */
/*
 * vmalloc's shared declarations: the vm_struct of an area (what vmallocinfo
 * prints) and the calls that boot, the fault path, the page allocator's
 * reclaim and the reports make into vmalloc.c.
 */
#ifndef MMK_VMALLOC_H
#define MMK_VMALLOC_H

#include <stdio.h>

#include "internal.h"

#pragma GCC visibility push(hidden)

#define VM_UNINITIALIZED	0x00000020UL	/* being set up: not shown yet */
#define VM_VPAGES		0x80000000UL	/* ours: the page array is vmalloc'ed */
#define VM_STUCK		0x40000000UL	/* ours: the host would not unmap it */

/* One mapped area of the vmalloc range, as Linux's struct vm_struct. */
struct vm_struct {
	void *addr;		/* first byte */
	unsigned long size;	/* bytes, including the guard page */
	unsigned long flags;	/* VM_ALLOC, VM_MAP, ... */
	struct page **pages;	/* the frame behind each page */
	unsigned int nr_pages;
	unsigned int nr_runs;	/* host mappings: physically contiguous runs */
	int prot;		/* ARCH_PROT_* the pages are mapped with */
	const void *caller;	/* who asked (vmallocinfo's caller column) */
	struct page *inline_pages[];	/* small areas: the page array */
};
#define VM_INLINE_PAGES		8	/* up to 32 KiB: one allocation */

/* Boot and shutdown (main.c). @bytes: the vmalloc= range size. */
int vmalloc_init(uint64_t bytes);
void vmalloc_shutdown(void);

/* Direct reclaim's share (page_alloc.c): purge the lazily freed areas so
 * that their frames go back. Returns the frames freed. Never blocks on a
 * purge already running in another thread. */
unsigned long vmalloc_reclaim(void);

/* The fault path (memory.c): a refused access at @addr in the range. */
bool vmalloc_addr_in_range(unsigned long addr);
void vmalloc_fault_report(unsigned long addr, unsigned int flags);

/*
 * The reports: call @fn for every area in address order, live ones with
 * @vm set, lazily freed ones ("unpurged vm_area") with @vm NULL, under the
 * vmalloc lock (so @fn must not allocate or call into vmalloc).
 */
void vmalloc_for_each_area(void (*fn)(unsigned long start, unsigned long end,
				      const struct vm_struct *vm, void *arg),
			   void *arg);
uint64_t vmalloc_total_bytes(void);
unsigned long vmalloc_nr_pages(void);

long vmalloc_check(FILE *out);

#pragma GCC visibility pop

#endif
