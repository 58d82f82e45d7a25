// SPDX-License-Identifier: MIT
/*
 * /proc/vmallocinfo in Linux 6.x's format: one line per area of the
 * vmalloc range,
 *
 *   0x<start>-0x<end> <size> <caller> pages=<n> [ioremap] [vmalloc] [vmap]
 *   [user] [vpages] N0=<n>
 *
 * where start and end are 16 hex digits (%pK as root sees it), the range
 * and the size (%7ld) include the guard page, the caller is %pS
 * ("function+0xoff/0xsize"), pages= and N0= appear only when the area
 * holds pages, and "vpages" says that the page array itself was
 * vmalloc'ed (it has its own line, with the same caller). An area that
 * was vfree'd but whose lazy purge has not run yet is
 *
 *   0x<start>-0x<end> <size> unpurged vm_area
 *
 * as Linux's show_purge_info() prints it. Linux lists the busy areas of
 * each vmap node and then the purge list; with one node and the purge
 * list merged in by vmalloc_for_each_area(), every line here is in address
 * order, which a parser of the real file accepts as well.
 *
 * The walk holds the vmalloc lock, so each line is written straight into
 * the FILE: nothing is allocated from the machine meanwhile.
 */
#include "proc.h"
#include "../mm/vmalloc.h"

#define KSYM_SYMBOL_LEN	256

/*
 * Linux's show_numa_info(): the area's pages per node, for the nodes with
 * memory. The machine has one node, node 0, spanning every frame.
 */
static void show_numa_info(FILE *m, const struct vm_struct *v)
{
	unsigned long start = node_data0->node_start_pfn;
	unsigned long end = start + node_data0->node_spanned_pages;
	unsigned int nr, count = 0;

	for (nr = 0; nr < v->nr_pages; nr++) {
		unsigned long pfn = pfn_of(v->pages[nr]);

		if (pfn >= start && pfn < end)
			count++;
	}
	if (count)
		fprintf(m, " N%u=%u", 0U, count);
}

/* What the walk carries: the file, and the last caller's symbol (areas
 * come in runs from the same caller; dladdr is a search each time). */
struct vmallocinfo_walk {
	FILE *m;
	const void *caller;
	char sym[KSYM_SYMBOL_LEN];
};

static void show_area(unsigned long start, unsigned long end,
		      const struct vm_struct *v, void *arg)
{
	struct vmallocinfo_walk *w = arg;
	FILE *m = w->m;

	if (!v) {
		fprintf(m, "0x%016lx-0x%016lx %7ld unpurged vm_area\n",
			start, end, (long)(end - start));
		return;
	}

	fprintf(m, "0x%016lx-0x%016lx %7ld", (unsigned long)v->addr,
		(unsigned long)v->addr + v->size, (long)v->size);
	if (v->caller) {
		if (v->caller != w->caller) {
			arch_symbolize((unsigned long)v->caller, w->sym, sizeof(w->sym));
			w->caller = v->caller;
		}
		fprintf(m, " %s", w->sym);
	}
	if (v->nr_pages)
		fprintf(m, " pages=%d", (int)v->nr_pages);
	if (v->flags & VM_IOREMAP)
		fputs(" ioremap", m);
	if (v->flags & VM_ALLOC)
		fputs(" vmalloc", m);
	if (v->flags & VM_MAP)
		fputs(" vmap", m);
	if (v->flags & VM_USERMAP)
		fputs(" user", m);
	if (v->flags & VM_VPAGES)
		fputs(" vpages", m);
	show_numa_info(m, v);
	fputc('\n', m);
}

int proc_vmallocinfo_show(FILE *m)
{
	struct vmallocinfo_walk w = { .m = m, .caller = NULL };

	vmalloc_for_each_area(show_area, &w);
	return 0;
}
