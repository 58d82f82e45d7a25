/* SPDX-License-Identifier: MIT */
/*
 * What the chapters of `mmkit demo` share: the verdict bookkeeping, the
 * printing of claims and buddyinfo rows, reading the reports a chapter
 * decides by, and the experiment that fragments memory (chapter 1 runs it
 * on the page allocator, chapter 2 runs it again under kmalloc).
 *
 * demo.c holds the tour and chapter 1; demo_kmalloc.c holds chapter 2,
 * demo_vmalloc.c chapter 3 (which fragments memory once more, for vmalloc),
 * demo_dma.c chapter 4 (DMA, CMA and interrupt context, on memory
 * fragmented once more), demo_user.c chapter 5 (user memory), demo_swap.c
 * chapter 6 (swap, reclaim and the OOM killer).
 */
#ifndef MMKIT_DEMO_H
#define MMKIT_DEMO_H

#include <stdbool.h>
#include <stddef.h>

#include <mmkit/linux.h>

#include "mmkit_cli.h"

struct demo {
	const char *cmdline;	/* --boot, or NULL for the default machine */
	int claims;		/* verdicts printed */
	int failed;		/* verdicts that said FAILS */
};

/* ---- Output ------------------------------------------------------------ */

void section(const char *id, const char *title);
/* The seed's own words, quoted. */
void claim(const char *words);
/* "CLAIM HOLDS: ..." or "CLAIM FAILS: ...", counted in @d. */
__attribute__((format(printf, 3, 4)))
void verdict(struct demo *d, bool holds, const char *fmt, ...);
/* One "label  a unit -> b unit  (+change)" line of a before/after table;
 * @width is the label column's. */
void table_row(int width, const char *label, long long a, long long b, const char *unit);

#define LABEL_W 24
void orders_header(void);
void orders_row(const char *zone, const char *label, const unsigned long nr[CLI_NR_ORDERS]);
void buddy_rows(const struct buddyinfo *bi, const char *label);
/* @kb kilobytes in the unit a person reads. */
const char *mib(char *buf, size_t len, unsigned long long kb);

/* ---- Reading the machine (each prints why on failure, returns -1) ------ */

int read_buddyinfo(struct buddyinfo *bi);
int read_pagetypeinfo(struct pagetypeinfo *pt);
int read_zoneinfo(struct zoneinfo *zi);
int read_meminfo(long long *total_kb, long long *free_kb);
int read_meminfo_key(const char *key, long long *kb);
int read_extfrag(struct extfrag *ef);
bool same_buddyinfo(const struct buddyinfo *a, const struct buddyinfo *b);
/* The row of kmalloc cache @name in slabinfo, or -1 (message printed). */
int read_slabinfo_cache(const char *name, struct slabinfo_cache *c);

/* ---- Fragmenting memory ------------------------------------------------ */

struct page_set {
	struct page **page;
	size_t nr, cap;
};

/*
 * Allocate order-0 pages with GFP_KERNEL|__GFP_MEMALLOC|__GFP_NOWARN until
 * the allocator refuses (even the reserves below min go), into @set.
 * Returns 0, or -1 when the host ran out of memory for the set itself.
 */
int fill_memory(struct page_set *set);
/* Free the pages of @set whose pfn is odd, then drain the per-CPU lists:
 * every free frame's buddy is then allocated. Returns the pages freed. */
unsigned long free_odd_pfns(struct page_set *set);
/* Free what is left of @set and the set itself, then drain. */
void page_set_release(struct page_set *set);

/* ---- Chapters ---------------------------------------------------------- */

int chapter_buddy(struct demo *d);
int chapter_kmalloc(struct demo *d);
int chapter_vmalloc(struct demo *d);
int chapter_dma(struct demo *d);
int chapter_user(struct demo *d);
int chapter_swap(struct demo *d);

#endif
