// SPDX-License-Identifier: MIT
/*
 * kfree()'s hint (the range of the slab of this thread's last fast free)
 * must not outlive that slab. Here the slab (4 pages of 1 KiB objects) is
 * emptied and given back, memory runs short, and the same first page comes
 * back as the CPU's slab at the fallback size of one page. A kfree() of a
 * plain page inside the old four-page range must then be reported as not
 * from kmalloc, not pushed on the cache's freelist (where the next
 * allocations would hand it out). Found by review; fixed by the per-CPU
 * slab sequence the hint is checked against.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mmkit.h>
#include "harness.h"

#define MAXO 4096
static void stale_hint(void)
{
	struct slabinfo_line l;
	static void *objs[MAXO];
	static struct page *pages[20000];
	int no = 0, np = 0;
	const char *out;

	REQUIRE(mmk_boot("mem=32M") == 0, "boot");
	struct kmem_cache *A = kmem_cache_create("hintbug", 1024, 0, 0, NULL);
	void *o = kmem_cache_alloc(A, GFP_KERNEL); objs[no++] = o;
	slabinfo_get("hintbug", &l);
	unsigned long per = l.objperslab, pps = l.pagesperslab, sbytes = pps * 4096;
	REQUIRE(pps > 1, "1 KiB objects come in slabs of more than one page (%lu)", pps);
	/* 12 slabs full + 1 object of the 13th (the CPU slab) */
	while (no < (int)(12 * per + 1)) objs[no++] = kmem_cache_alloc(A, GFP_KERNEL);
	uintptr_t cur = (uintptr_t)objs[no - 1] & ~(sbytes - 1);	/* P: CPU slab */
	/* one free from each of 10 full slabs (not P) -> partial list */
	uintptr_t done[64]; int nd = 0;
	for (int i = 0; i < no && nd < 10; i++) {
		uintptr_t sl = (uintptr_t)objs[i] & ~(sbytes - 1);
		int seen = 0;
		if (!objs[i] || sl == cur) continue;
		for (int j = 0; j < nd; j++) seen |= done[j] == sl;
		if (seen) continue;
		done[nd++] = sl; kfree(objs[i]); objs[i] = NULL;
	}
	/* the hint: a fast free into P */
	kfree(objs[no - 1]); objs[no - 1] = NULL;
	/* fill P: then the CPU moves to a partial slab */
	for (unsigned long i = 0; i < per + 1; i++) objs[no++] = kmem_cache_alloc(A, GFP_KERNEL);
	/* free every object of P (remote frees: gathered, pushed, P discarded) */
	for (int i = 0; i < no; i++)
		if (objs[i] && ((uintptr_t)objs[i] & ~(sbytes - 1)) == cur) { kfree(objs[i]); objs[i] = NULL; }
	struct page *P = virt_to_page((void *)cur);
	drain_all_pages(NULL);
	/* exhaust memory in order-0 pages, keep them */
	struct page *pg;
	while (np < 20000 && (pg = alloc_pages(GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOWARN, 0)))
		pages[np++] = pg;
	int ip = -1, ix = -1;
	for (int i = 0; i < np; i++) {
		if (pages[i] == P) ip = i;
		if (page_address(pages[i]) == (void *)(cur + 4096)) ix = i;
	}
	REQUIRE(ip >= 0 && ix >= 0, "the discarded slab's first two pages are ours (%d, %d)", ip, ix);
	__free_pages(P, 0); pages[ip] = NULL;
	/* allocate until the cache takes a new slab: it must be page P, order 0 */
	void *got = NULL;
	for (int i = 0; i < 10000; i++) {
		void *x = kmem_cache_alloc(A, GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOWARN);
		if (!x) break;
		if (((uintptr_t)x & ~(uintptr_t)4095) == cur) { got = x; break; }
	}
	REQUIRE(got, "the cache made a one-page slab at the old slab's first page");
	void *victim = page_address(pages[ix]);	/* a plain page we own */
	memset(victim, 0x5a, 4096);
	capture_start();
	kfree(victim);		/* must not touch the cache */
	out = capture_end();
	CHECK(strstr(out, "not from kmalloc") != NULL,
	      "kfree() of a page inside the old slab's range is reported; got:\n%s", out);
	int hit = 0;
	for (int i = 0; i < 64; i++) {
		void *x = kmem_cache_alloc(A, GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOWARN);
		if (x == victim) { hit = 1; break; }
	}
	CHECK(!hit, "the cache never hands out the page kfree() was given");
	for (int i = 0; i < np; i++)
		if (pages[i] && i != ix)
			__free_pages(pages[i], 0);
	mmk_shutdown();
}

int main(void)
{
	stale_hint();
	harness_exit();
}
