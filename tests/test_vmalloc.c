// SPDX-License-Identifier: MIT
/*
 * The vmalloc API and its promises.
 *
 * A vmalloc pointer is real memory: memcpy crosses its page boundaries, and
 * each page is a frame that the direct map shows at
 * phys_to_virt(vmalloc_to_pfn(p) << PAGE_SHIFT), both ways. Alignments of
 * __vmalloc_node hold; vzalloc and __GFP_ZERO zero frames that were dirty;
 * is_vmalloc_addr knows the range; vfree(NULL) is nothing, vmalloc(0) and
 * vmalloc beyond RAM fail (the latter with "vmalloc error" unless
 * __GFP_NOWARN).
 *
 * Where the frames come from: on a machine whose every free frame is
 * isolated (no order-1 block anywhere) a 4 MiB vmalloc still succeeds, with
 * frames that are scattered, distinct and allocated; on an unfragmented
 * machine a 1 MiB area is a few physically contiguous runs, not 256 pages.
 *
 * Accounting: nr_vmalloc (vmstat) and VmallocUsed (meminfo) follow the
 * pages vmalloc'ed and fall back after vfree and a purge; free pages return
 * to exactly their level; memory pressure purges lazily freed areas.
 *
 * vmap maps caller pages in the caller's order, read-write or read-only (a
 * write to PAGE_KERNEL_RO kills, in a child). kvmalloc takes kmalloc when
 * it can and vmalloc when it must, silently. vfree in atomic context is
 * deferred quietly. Threads churn areas concurrently.
 * The vmalloc= boot option sizes the range: a full range fails cleanly with
 * "Address range restricted", and freed areas make room again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <mmkit/linux.h>
#include "harness.h"

#define SZ_64K	(64UL << 10)
#define SZ_1M	(1UL << 20)
#define SZ_4M	(4UL << 20)

/* ---- Helpers -------------------------------------------------------- */

static void *direct_map_of(const void *vaddr)
{
	return phys_to_virt((phys_addr_t)vmalloc_to_pfn(vaddr) << PAGE_SHIFT);
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* How many physically contiguous runs back @pages pages at @p. */
static unsigned long count_runs(const char *p, unsigned long pages)
{
	unsigned long runs = 0, prev = 0;

	for (unsigned long i = 0; i < pages; i++) {
		unsigned long pfn = vmalloc_to_pfn(p + i * PAGE_SIZE);

		if (!i || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	return runs;
}

/* ---- The basics ------------------------------------------------------- */

static void basics(void)
{
	size_t size = 10 * PAGE_SIZE + 123;
	unsigned char buf[3 * 4096 + 500];
	unsigned char *p, *q;
	const char *out;
	int on_stack = 0;
	void *k;

	p = vmalloc(size);
	REQUIRE(p != NULL, "vmalloc(%zu)", size);
	CHECK(((unsigned long)p & (PAGE_SIZE - 1)) == 0, "vmalloc returns a page-aligned address: %p",
	      (void *)p);
	CHECK(is_vmalloc_addr(p) && is_vmalloc_addr(p + size - 1), "the area is in the range");
	CHECK((unsigned long)p >= VMALLOC_START && (unsigned long)p + size <= VMALLOC_END,
	      "inside [VMALLOC_START, VMALLOC_END)");
	memset(p, 0x5c, size);

	/* memcpy across page boundaries, both ways. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	memcpy(p + PAGE_SIZE - 250, buf, sizeof(buf));
	CHECK(memcmp(p + PAGE_SIZE - 250, buf, sizeof(buf)) == 0, "memcpy into the area reads back");
	CHECK(p[PAGE_SIZE - 251] == 0x5c && p[PAGE_SIZE - 250 + sizeof(buf)] == 0x5c,
	      "memcpy wrote nothing outside its bytes");
	memset(buf, 0, sizeof(buf));
	memcpy(buf, p + PAGE_SIZE - 250, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != (unsigned char)(i * 7 + 3)) {
			CHECK(0, "memcpy out of the area: byte %zu", i);
			break;
		}
	CHECK(p[size - 1] == 0x5c, "the last byte asked for is there");

	/* Every page's frame, through the direct map, both ways. */
	vfill(p, 10 * PAGE_SIZE, 77);
	for (unsigned long i = 0; i < 10; i++) {
		unsigned char *v = p + i * PAGE_SIZE;
		unsigned char *d = direct_map_of(v);
		struct page *page = vmalloc_to_page(v);

		CHECK(page != NULL && page == pfn_to_page(vmalloc_to_pfn(v)),
		      "page %lu: vmalloc_to_page == pfn_to_page(vmalloc_to_pfn)", i);
		CHECK(vmalloc_to_page(v + 4095) == page, "page %lu: any byte of a page names it", i);
		CHECK(page && page_address(page) == d, "page %lu: page_address is the direct map", i);
		CHECK(!is_vmalloc_addr(d), "page %lu: the direct map is not the vmalloc range", i);
		CHECK(memcmp(d, v, PAGE_SIZE) == 0, "page %lu: the direct map shows the same bytes", i);
		d[17] = (unsigned char)(0xa0 + i);
		d[4095] = (unsigned char)(0x11 + i);
		CHECK(v[17] == (unsigned char)(0xa0 + i) && v[4095] == (unsigned char)(0x11 + i),
		      "page %lu: a write through the direct map is seen through vmalloc", i);
	}
	/* The frames are distinct. */
	for (unsigned long i = 0; i < 11; i++)
		for (unsigned long j = i + 1; j < 11; j++)
			CHECK(vmalloc_to_pfn(p + i * PAGE_SIZE) != vmalloc_to_pfn(p + j * PAGE_SIZE),
			      "pages %lu and %lu have distinct frames", i, j);
	CHECK(vmalloc_to_page(p + 11 * PAGE_SIZE) == NULL, "the guard page has no frame");

	/* is_vmalloc_addr. */
	k = kmalloc(100, GFP_KERNEL);
	REQUIRE(k, "kmalloc");
	CHECK(is_vmalloc_addr((void *)VMALLOC_START), "VMALLOC_START is in the range");
	CHECK(is_vmalloc_addr((void *)(VMALLOC_END - 1)), "VMALLOC_END - 1 is in the range");
	CHECK(!is_vmalloc_addr((void *)VMALLOC_END), "VMALLOC_END is not");
	CHECK(!is_vmalloc_addr((void *)(VMALLOC_START - 1)), "VMALLOC_START - 1 is not");
	CHECK(!is_vmalloc_addr(k), "a kmalloc pointer is not");
	CHECK(!is_vmalloc_addr(&on_stack), "a stack pointer is not");
	CHECK(!is_vmalloc_addr(NULL), "NULL is not");
	CHECK(vmalloc_to_page(k) == NULL, "vmalloc_to_page of a kmalloc pointer is NULL");
	kfree(k);
	vfree(p);

	/* vfree(NULL), vmalloc(0). */
	capture_start();
	vfree(NULL);
	out = capture_end();
	CHECK(out[0] == '\0', "vfree(NULL) is silent; got:\n%s", out);
	capture_start();
	q = vmalloc(0);
	out = capture_end();
	CHECK(q == NULL, "vmalloc(0) returns NULL, got %p", (void *)q);
	vfree(q);

	/* Beyond RAM. */
	capture_start();
	q = vmalloc(machine_pfns() * PAGE_SIZE + SZ_1M);
	out = capture_end();
	CHECK(q == NULL, "vmalloc beyond RAM fails");
	CHECK(strstr(out, "vmalloc error") != NULL, "with \"vmalloc error\"; got:\n%s", out);
	vfree(q);
	capture_start();
	q = __vmalloc(machine_pfns() * PAGE_SIZE + SZ_1M, GFP_KERNEL | __GFP_NOWARN);
	out = capture_end();
	CHECK(q == NULL, "__vmalloc beyond RAM with __GFP_NOWARN fails");
	CHECK(out[0] == '\0', "silently; got:\n%s", out);
	vfree(q);

	/* Sizes that cannot be: rounding overflows, above INT_MAX for kvmalloc,
	 * an alignment that is not a power of two. */
	capture_start();
	q = vmalloc(~0UL - 100);
	out = capture_end();
	CHECK(q == NULL && strstr(out, "vmalloc error"), "vmalloc(ULONG_MAX - 100) fails with a warning; got:\n%.500s",
	      out);
	capture_start();
	q = kvmalloc((size_t)1 << 31, GFP_KERNEL);
	out = capture_end();
	CHECK(q == NULL && out[0] != '\0', "kvmalloc(2 GiB) (above INT_MAX) fails with a warning; got:\n%.500s",
	      out);
	capture_start();
	q = __vmalloc_node(PAGE_SIZE, 3 * PAGE_SIZE, GFP_KERNEL, NUMA_NO_NODE, NULL);
	out = capture_end();
	CHECK(q == NULL && out[0] != '\0', "__vmalloc_node with alignment 12K fails with a warning; got:\n%.500s",
	      out);
	vfree(q);
	CHECK(mmk_check(stderr) == 0, "invariants after the basics");
}

/* ---- Zeroing and alignment --------------------------------------------- */

/* Write a pattern over every free frame, so that any frame handed out
 * next is dirty unless somebody zeroes it. */
static void dirty_free_memory(void)
{
	unsigned long pfns = machine_pfns(), n = 0;
	struct page **page = calloc(pfns, sizeof(*page));
	unsigned int *order = calloc(pfns, sizeof(*order));

	REQUIRE(page && order, "calloc");
	vm_unmap_aliases();
	for (int o = MAX_PAGE_ORDER; o >= 0; o--) {
		struct page *pg;

		while ((pg = alloc_pages(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN,
					 (unsigned int)o))) {
			memset(page_address(pg), 0xa5, PAGE_SIZE << o);
			page[n] = pg;
			order[n++] = (unsigned int)o;
		}
	}
	CHECK(n > 0, "dirtied some memory");
	while (n--)
		__free_pages(page[n], order[n]);
	free(page);
	free(order);
}

static void zeroing(void)
{
	const size_t size = 64 * PAGE_SIZE + 1000;
	unsigned char *p;

	for (int way = 0; way < 4; way++) {
		size_t nonzero = 0;

		dirty_free_memory();
		switch (way) {
		case 0:
			p = vzalloc(size);
			break;
		case 1:
			p = __vmalloc(size, GFP_KERNEL | __GFP_ZERO);
			break;
		case 2:
			p = __vmalloc_node(size, SZ_64K, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE, NULL);
			break;
		default:
			p = kvzalloc(size * 4, GFP_KERNEL);	/* above kmalloc_max */
			break;
		}
		REQUIRE(p, "zeroing allocation %d", way);
		CHECK(is_vmalloc_addr(p), "zeroing allocation %d is vmalloc", way);
		for (size_t i = 0; i < size; i++)
			nonzero += p[i] != 0;
		CHECK(nonzero == 0, "zeroing allocation %d: %zu bytes are not zero", way, nonzero);
		kvfree(p);
	}
	/* And without __GFP_ZERO the frames really were dirty (the test can
	 * tell). */
	dirty_free_memory();
	p = vmalloc(size);
	REQUIRE(p, "vmalloc");
	CHECK(p[0] == 0xa5 && p[size - 1] == 0xa5, "plain vmalloc hands out the dirty frames");
	vfree(p);
	CHECK(mmk_check(stderr) == 0, "invariants after zeroing");
}

static void alignment(void)
{
	static const unsigned long aligns[] = { SZ_64K, SZ_1M, SZ_4M, 8 * PAGE_SIZE, 2 * SZ_4M };
	void *small[16], *p[5][3];

	for (int r = 0; r < 3; r++) {
		for (int a = 0; a < 5; a++) {
			unsigned long size = (unsigned long)(r + 1) * 3 * PAGE_SIZE + 100;

			/* Odd-sized areas in between, so the free space is uneven. */
			small[a + r * 5] = vmalloc((unsigned long)(a + r + 1) * PAGE_SIZE);
			CHECK(small[a + r * 5] != NULL, "a small area");
			p[a][r] = __vmalloc_node(size, aligns[a], GFP_KERNEL, NUMA_NO_NODE, NULL);
			REQUIRE(p[a][r], "__vmalloc_node(%lu, align %#lx)", size, aligns[a]);
			CHECK(((unsigned long)p[a][r] & (aligns[a] - 1)) == 0,
			      "__vmalloc_node(align %#lx) returned %p", aligns[a], p[a][r]);
			CHECK(is_vmalloc_addr(p[a][r]), "aligned area in the range");
			vfill(p[a][r], size & ~7UL, (unsigned long)(a * 3 + r));
		}
	}
	for (int a = 0; a < 5; a++)
		for (int r = 0; r < 3; r++) {
			unsigned long size = (unsigned long)(r + 1) * 3 * PAGE_SIZE + 100;

			CHECK(vcheck(p[a][r], size & ~7UL, (unsigned long)(a * 3 + r)) == 0,
			      "aligned area %d/%d keeps its contents", a, r);
			vfree(p[a][r]);
		}
	for (int i = 0; i < 15; i++)
		vfree(small[i]);
	CHECK(mmk_check(stderr) == 0, "invariants after aligned allocations");
}

/* ---- Chunks, accounting ------------------------------------------------- */

static void chunks(void)
{
	char *p = vmalloc(SZ_1M);
	unsigned long runs;

	REQUIRE(p, "vmalloc(1M)");
	runs = count_runs(p, SZ_1M / PAGE_SIZE);
	CHECK(runs <= 4, "an unfragmented machine maps 1 MiB from a few contiguous runs: %lu", runs);
	vfree(p);
}

static void accounting(void)
{
	long nr0, nr1, used, total;
	unsigned long free0, free1, free2;
	void *p, *q;

	/* Warm the metadata caches, so the second round takes no new slab. */
	p = vmalloc(100 * PAGE_SIZE);
	q = vmalloc(SZ_1M);
	REQUIRE(p && q, "warm-up");
	vfree(p);
	vfree(q);
	vm_unmap_aliases();

	nr0 = vmstat_get("nr_vmalloc");
	REQUIRE(nr0 >= 0, "vmstat has nr_vmalloc");
	total = meminfo_field_kb("VmallocTotal");
	CHECK(total == (long)((VMALLOC_END - VMALLOC_START) >> 10),
	      "VmallocTotal %ld kB is the range (%lu kB)", total, (VMALLOC_END - VMALLOC_START) >> 10);
	free0 = settled_free_pages();

	p = vmalloc(100 * PAGE_SIZE);
	REQUIRE(p, "vmalloc(100 pages)");
	nr1 = vmstat_get("nr_vmalloc");
	CHECK(nr1 == nr0 + 100, "nr_vmalloc rises by 100: %ld -> %ld", nr0, nr1);
	used = meminfo_field_kb("VmallocUsed");
	CHECK(used == nr1 * 4, "VmallocUsed %ld kB is nr_vmalloc (%ld pages)", used, nr1);
	q = vmalloc(SZ_1M);
	REQUIRE(q, "vmalloc(1M)");
	CHECK(vmstat_get("nr_vmalloc") == nr0 + 100 + 256, "nr_vmalloc rises by 256 more: %ld", vmstat_get("nr_vmalloc"));
	free1 = settled_free_pages();
	CHECK(free0 - free1 >= 356, "at least 356 frames were taken: %lu -> %lu", free0, free1);

	vfree(p);
	vfree(q);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == nr0, "nr_vmalloc falls back after vfree + purge: %ld, was %ld",
	      vmstat_get("nr_vmalloc"), nr0);
	free2 = settled_free_pages();
	CHECK(free2 == free0, "free pages return to their level: %lu, was %lu", free2, free0);
	CHECK(mmk_check(stderr) == 0, "invariants after accounting");
}

/* ---- vmap ----------------------------------------------------------------- */

#define NMAP 16

static void vmap_pages(void)
{
	struct page *pages[NMAP], *shuffled[NMAP];
	unsigned char *v;

	for (int i = 0; i < NMAP; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		REQUIRE(pages[i], "alloc_page");
		memset(page_address(pages[i]), 0, PAGE_SIZE);
		shuffled[i] = pages[i];
	}
	for (int i = NMAP - 1; i > 0; i--) {
		int j = (int)(test_rand() % (unsigned long)(i + 1));
		struct page *t = shuffled[i];

		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	v = vmap(shuffled, NMAP, VM_MAP, PAGE_KERNEL);
	REQUIRE(v, "vmap of %d pages", NMAP);
	CHECK(is_vmalloc_addr(v), "vmap returns a vmalloc-range address");
	for (int i = 0; i < NMAP; i++) {
		CHECK(vmalloc_to_page(v + i * PAGE_SIZE) == shuffled[i],
		      "vmalloc_to_page(v + %d pages) is pages[%d]", i, i);
		vfill(v + i * PAGE_SIZE, PAGE_SIZE, 1000 + (unsigned long)i);
	}
	for (int i = 0; i < NMAP; i++)
		CHECK(vcheck(page_address(shuffled[i]), PAGE_SIZE, 1000 + (unsigned long)i) == 0,
		      "the write through the vmap landed in pages[%d]", i);
	vunmap(v);
	CHECK(vmalloc_to_page(v) == NULL, "vunmap took the mapping down");
	for (int i = 0; i < NMAP; i++) {
		CHECK(page_count(pages[i]) == 1, "page %d is still the caller's after vunmap", i);
		CHECK(vcheck(page_address(shuffled[i]), PAGE_SIZE, 1000 + (unsigned long)i) == 0,
		      "vunmap left pages[%d]'s contents", i);
		__free_page(pages[i]);
	}
	CHECK(mmk_check(stderr) == 0, "invariants after vmap/vunmap");
}

/* In a child with its own machine: a PAGE_KERNEL_RO vmap reads, and a write
 * to it kills with the fault report. */
static void vmap_ro_child(void *arg)
{
	struct page *pages[4];
	unsigned char *v;

	(void)arg;
	if (mmk_boot("mem=64M"))
		_exit(3);
	for (int i = 0; i < 4; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			_exit(4);
		vfill(page_address(pages[i]), PAGE_SIZE, 50 + (unsigned long)i);
	}
	v = vmap(pages, 4, VM_MAP, PAGE_KERNEL_RO);
	if (!v)
		_exit(5);
	for (int i = 0; i < 4; i++)
		if (vcheck(v + i * PAGE_SIZE, PAGE_SIZE, 50 + (unsigned long)i))
			_exit(6);
	fprintf(stderr, "read-only vmap at %p reads correctly; writing to it\n", (void *)v);
	*(volatile unsigned char *)(v + PAGE_SIZE + 10) = 1;
	_exit(7);	/* not reached */
}

static void vmap_read_only(void)
{
	const char *out;
	int st = run_in_child(vmap_ro_child, NULL, &out);

	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a write to a PAGE_KERNEL_RO vmap dies by SIGSEGV: status %#x; output:\n%s", st, out);
	CHECK(strstr(out, "reads correctly") != NULL, "the read-only vmap read back; output:\n%s",
	      out);
	CHECK(strstr(out, "BUG: unable to handle page fault") != NULL,
	      "the fault report is printed; output:\n%s", out);
	CHECK(strstr(out, "write access") != NULL, "naming a write access; output:\n%s", out);
	CHECK(strstr(out, "permissions violation") != NULL && strstr(out, "read-only"),
	      "a permissions violation on a read-only mapping, not a missing page; output:\n%s", out);
}

/* ---- kvmalloc ----------------------------------------------------------------- */

static void kvmalloc_policy(void)
{
	static const struct { size_t size; bool vm; } cases[] = {
		{ 100, false }, { PAGE_SIZE, false }, { 5000, false }, { SZ_64K, false },
		{ 128UL << 10, false }, { (128UL << 10) + 1, true }, { SZ_1M, true },
	};

	CHECK(KMALLOC_MAX_SIZE == (128UL << 10), "the default kmalloc_max is 128K");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = cases[i].size;
		unsigned char *p = kvmalloc(size, GFP_KERNEL);

		REQUIRE(p, "kvmalloc(%zu)", size);
		CHECK(is_vmalloc_addr(p) == cases[i].vm, "kvmalloc(%zu) is %s", size,
		      cases[i].vm ? "vmalloc" : "kmalloc");
		memset(p, 0x77, size);
		CHECK(p[size - 1] == 0x77, "kvmalloc(%zu) is usable to its end", size);
		kvfree(p);
	}
	kvfree(NULL);

	/* kvzalloc zeroes on the kmalloc path too: dirty an object first. */
	for (int i = 0; i < 2; i++) {
		size_t size = i ? 20000 : 2000, nz = 0;
		unsigned char *d = kmalloc(size, GFP_KERNEL), *z;

		REQUIRE(d, "kmalloc(%zu)", size);
		memset(d, 0xdb, size);
		kfree(d);
		z = kvzalloc(size, GFP_KERNEL);
		REQUIRE(z, "kvzalloc(%zu)", size);
		CHECK(!is_vmalloc_addr(z), "kvzalloc(%zu) is kmalloc", size);
		for (size_t j = 0; j < size; j++)
			nz += z[j] != 0;
		CHECK(nz == 0, "kvzalloc(%zu) is zeroed: %zu bytes are not", size, nz);
		kvfree(z);
	}
	CHECK(mmk_check(stderr) == 0, "invariants after kvmalloc");
}

/* ---- Atomic context ------------------------------------------------------------- */

#define NATOMIC 40	/* more areas than a purge batch */

static void atomic_vfree(void)
{
	void *p[NATOMIC];
	const char *out;
	long nr0, nr1, nr2;

	vm_unmap_aliases();
	nr0 = vmstat_get("nr_vmalloc");
	for (int i = 0; i < NATOMIC; i++) {
		p[i] = vmalloc(PAGE_SIZE);
		REQUIRE(p[i], "vmalloc");
	}
	CHECK(vmstat_get("nr_vmalloc") == nr0 + NATOMIC, "%d pages vmalloc'ed", NATOMIC);
	capture_start();
	local_irq_disable();
	for (int i = 0; i < NATOMIC; i++)
		vfree(p[i]);
	local_irq_enable();
	out = capture_end();
	CHECK(out[0] == '\0', "vfree with interrupts off is quiet; got:\n%s", out);
	nr1 = vmstat_get("nr_vmalloc");
	CHECK(nr1 == nr0 + NATOMIC, "the frames wait for a purge (deferred): nr_vmalloc %ld, %ld + %d",
	      nr1, nr0, NATOMIC);
	vm_unmap_aliases();
	nr2 = vmstat_get("nr_vmalloc");
	CHECK(nr2 == nr0, "purged later: nr_vmalloc %ld, was %ld", nr2, nr0);
	CHECK(mmk_check(stderr) == 0, "invariants after atomic vfree");
}

/* ---- Threads ---------------------------------------------------------------------- */

#define NTHREADS 4
#define SLOTS 8

static unsigned long thread_iters;

struct worker {
	unsigned long seed;
	unsigned long failures;
	unsigned long done;
};

static unsigned long xs(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned long *slot[SLOTS] = { NULL };
	size_t bytes[SLOTS] = { 0 };
	unsigned long tag[SLOTS] = { 0 };

	for (unsigned long it = 0; it < thread_iters; it++) {
		unsigned int s = (unsigned int)(xs(&w->seed) % SLOTS);

		if (slot[s]) {
			/* Every page's first and last words, and a few in between. */
			for (size_t off = 0; off < bytes[s]; off += PAGE_SIZE) {
				unsigned long *pw = (unsigned long *)((char *)slot[s] + off);

				if (pw[0] != (tag[s] ^ off) || pw[511] != ~(tag[s] ^ off) ||
				    pw[1 + (off >> 12) % 510] != (tag[s] + off))
					w->failures++;
			}
			vfree(slot[s]);
			slot[s] = NULL;
		} else {
			bytes[s] = (1 + xs(&w->seed) % 64) * PAGE_SIZE;
			slot[s] = vmalloc(bytes[s]);
			if (!slot[s]) {
				w->failures++;
				continue;
			}
			tag[s] = xs(&w->seed);
			for (size_t off = 0; off < bytes[s]; off += PAGE_SIZE) {
				unsigned long *pw = (unsigned long *)((char *)slot[s] + off);

				pw[0] = tag[s] ^ off;
				pw[511] = ~(tag[s] ^ off);
				pw[1 + (off >> 12) % 510] = tag[s] + off;
			}
		}
		w->done++;
	}
	for (int s = 0; s < SLOTS; s++)
		vfree(slot[s]);
	return NULL;
}

static void threads(void)
{
	pthread_t t[NTHREADS];
	struct worker w[NTHREADS];
	long nr0;

	vm_unmap_aliases();
	nr0 = vmstat_get("nr_vmalloc");
	thread_iters = test_scaled(4000);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].seed = (unsigned long)test_rand() | 1;
		w[i].failures = w[i].done = 0;
		REQUIRE(pthread_create(&t[i], NULL, worker_fn, &w[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].failures == 0, "thread %d: %lu failed allocations or damaged areas", i,
		      w[i].failures);
	}
	CHECK(mmk_check(stderr) == 0, "invariants after the threads");
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == nr0, "every thread's pages went back: nr_vmalloc %ld, was %ld",
	      vmstat_get("nr_vmalloc"), nr0);
	CHECK(mmk_check(stderr) == 0, "invariants after the purge");
}

/* ---- The fragmented machine -------------------------------------------------------- */

/* Take every frame, then give back the odd ones: no two free frames touch,
 * and there is no free block of order 1 or more anywhere. */
struct held {
	struct page **page;
	unsigned long nr;
};

static void fragment(struct held *h)
{
	unsigned long pfns = machine_pfns();
	struct page *page;
	unsigned long kept = 0;

	vm_unmap_aliases();
	h->page = calloc(pfns, sizeof(*h->page));
	REQUIRE(h->page, "calloc");
	h->nr = 0;
	while ((page = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
		REQUIRE(h->nr < pfns, "no more pages than frames");
		h->page[h->nr++] = page;
	}
	for (unsigned long i = 0; i < h->nr; i++) {
		if (page_to_pfn(h->page[i]) & 1)
			__free_page(h->page[i]);
		else
			h->page[kept++] = h->page[i];
	}
	h->nr = kept;
}

static void unfragment(struct held *h)
{
	for (unsigned long i = 0; i < h->nr; i++)
		__free_page(h->page[i]);
	free(h->page);
	h->page = NULL;
	h->nr = 0;
}

/* Lazily freed areas hold their frames until a purge; memory pressure
 * (direct reclaim) purges, so a full machine gets them back. */
static void reclaim_purges(void)
{
	struct page **pages;
	struct page *page;
	unsigned long free0, n = 0, pfns = machine_pfns();
	void *p;

	vm_unmap_aliases();
	free0 = settled_free_pages();
	p = vmalloc(SZ_1M);
	REQUIRE(p, "vmalloc(1M)");
	memset(p, 0x42, SZ_1M);
	vfree(p);
	pages = calloc(pfns, sizeof(*pages));
	REQUIRE(pages, "calloc");
	while ((page = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
		REQUIRE(n < pfns, "no more pages than frames");
		pages[n++] = page;
	}
	CHECK(vmstat_get("nr_vmalloc") == 0, "a full machine purged the lazily freed area: nr_vmalloc %ld",
	      vmstat_get("nr_vmalloc"));
	CHECK(n + 64 >= free0, "the fill got the area's frames back: %lu pages, %lu were free before",
	      n, free0);
	while (n)
		__free_page(pages[--n]);
	free(pages);
	CHECK(mmk_check(stderr) == 0, "invariants after the fill");
}

static void fragmented(void)
{
	const unsigned long pages = SZ_4M / PAGE_SIZE;
	struct slabinfo_line sl;
	unsigned long *pfn;
	struct held h;
	struct page *page;
	const char *out;
	unsigned char *p;
	void *k;
	unsigned long odd = 0, allocated = 0, adjacent = 0, same_bytes = 0;

	fragment(&h);
	CHECK(settled_free_pages() > pages + 512, "more than 4 MiB is free: %lu pages",
	      settled_free_pages());
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	CHECK(page == NULL, "no order-1 block is left");
	if (page)
		__free_pages(page, 1);
	k = kmalloc(8192, GFP_KERNEL | __GFP_NOWARN);
	if (!slabinfo_get("kmalloc-8k", &sl) && sl.active_objs == sl.num_objs)
		CHECK(k == NULL, "kmalloc(8192) fails: kmalloc-8k has no free object and no block");
	printf("# fragmented: kmalloc(8192) %s\n", k ? "succeeded from a cached slab" : "failed");
	kfree(k);

	p = vmalloc(SZ_4M);
	REQUIRE(p, "vmalloc(4M) succeeds on the fragmented machine");
	pfn = calloc(pages, sizeof(*pfn));
	REQUIRE(pfn, "calloc");
	vfill(p, SZ_4M, 4);
	for (unsigned long i = 0; i < pages; i++) {
		struct page *pg = vmalloc_to_page(p + i * PAGE_SIZE);

		REQUIRE(pg, "page %lu has a frame", i);
		pfn[i] = page_to_pfn(pg);
		odd += pfn[i] & 1;
		allocated += page_count(pg) == 1;
		if (i && (pfn[i] == pfn[i - 1] + 1 || pfn[i] + 1 == pfn[i - 1]))
			adjacent++;
		same_bytes += memcmp(direct_map_of(p + i * PAGE_SIZE), p + i * PAGE_SIZE,
				     PAGE_SIZE) == 0;
	}
	CHECK(odd == pages, "every frame is one that was free (odd pfn): %lu of %lu", odd, pages);
	CHECK(allocated == pages, "every frame is allocated (refcount 1): %lu of %lu", allocated,
	      pages);
	CHECK(adjacent == 0, "no two consecutive pages are physically adjacent: %lu", adjacent);
	CHECK(same_bytes == pages, "the direct map shows every page's bytes: %lu of %lu",
	      same_bytes, pages);
	CHECK(count_runs((char *)p, pages) == pages, "1024 runs of one frame each");
	qsort(pfn, pages, sizeof(*pfn), cmp_ulong);
	for (unsigned long i = 1; i < pages; i++)
		if (pfn[i] == pfn[i - 1]) {
			CHECK(0, "pfn %#lx backs two pages", pfn[i]);
			break;
		}
	printf("# fragmented: 4 MiB vmalloc from pfns %#lx..%#lx\n", pfn[0], pfn[pages - 1]);
	CHECK(pfn[pages - 1] - pfn[0] >= 2 * pages - 2, "the frames are scattered over at least 8 MiB");
	free(pfn);
	CHECK(mmk_check(stderr) == 0, "invariants on the fragmented machine");

	/* kvmalloc above a page falls back to vmalloc silently. */
	capture_start();
	k = kvmalloc(SZ_64K, GFP_KERNEL);
	out = capture_end();
	CHECK(k != NULL && is_vmalloc_addr(k), "kvmalloc(64K) falls back to vmalloc: %p", k);
	CHECK(out[0] == '\0', "without a word; got:\n%s", out);
	if (k) {
		memset(k, 1, SZ_64K);
		kvfree(k);
	}
	capture_start();
	k = kvzalloc(20000, GFP_KERNEL);
	out = capture_end();
	CHECK(k != NULL && is_vmalloc_addr(k), "kvzalloc(20000) falls back to vmalloc");
	CHECK(out[0] == '\0', "without a word; got:\n%s", out);
	if (k) {
		size_t nz = 0;

		for (size_t i = 0; i < 20000; i++)
			nz += ((unsigned char *)k)[i] != 0;
		CHECK(nz == 0, "kvzalloc's fallback is zeroed: %zu bytes are not", nz);
		kvfree(k);
	}

	CHECK(vcheck(p, SZ_4M, 4) == 0, "the 4 MiB area kept its contents");
	vfree(p);
	vm_unmap_aliases();
	unfragment(&h);
	CHECK(vmstat_get("nr_vmalloc") == 0, "nr_vmalloc is 0 again: %ld", vmstat_get("nr_vmalloc"));
	CHECK(mmk_check(stderr) == 0, "invariants after unfragmenting");
}

/* ---- vmalloc= ---------------------------------------------------------------------------- */

static void boot_option(void)
{
	void *area[64];
	const char *out;
	unsigned long fit;
	int n = 0, err, again;

	capture_start();
	err = mmk_boot("vmalloc=3M");
	out = capture_end();
	CHECK(err == -EINVAL, "vmalloc=3M is refused: %d", err);
	CHECK(count_lines(out) == 1 && strstr(out, "vmalloc=3M"), "in one line naming the token; got:\n%s",
	      out);
	if (!err)
		mmk_shutdown();
	capture_start();
	err = mmk_boot("vmalloc=6M");
	out = capture_end();
	CHECK(err == -EINVAL && strstr(out, "vmalloc=6M"), "vmalloc=6M (not a multiple of 4M) is refused: %d %s",
	      err, out);
	if (!err)
		mmk_shutdown();

	REQUIRE(mmk_boot("vmalloc=16M") == 0, "vmalloc=16M boots");
	CHECK(VMALLOC_END - VMALLOC_START == (16UL << 20), "the range is 16 MiB: %#lx",
	      VMALLOC_END - VMALLOC_START);
	CHECK(meminfo_field_kb("VmallocTotal") == 16384, "VmallocTotal is 16384 kB: %ld",
	      meminfo_field_kb("VmallocTotal"));
	REQUIRE(vmstat_get("nr_vmalloc") == 0, "nothing is vmalloc'ed after boot");
	fit = (16UL << 20) / (SZ_1M + PAGE_SIZE);	/* each area has a guard page */
	capture_start();
	while (n < 64 && (area[n] = vmalloc(SZ_1M)))
		n++;
	out = capture_end();
	CHECK(n == (int)fit, "%lu 1 MiB areas fit in 16 MiB, got %d", fit, n);
	CHECK(strstr(out, "Address range restricted") != NULL,
	      "the failure says \"Address range restricted\"; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants with the range full");
	for (int i = 0; i < n; i++) {
		memset(area[i], i, SZ_1M);
		vfree(area[i]);
	}
	CHECK(mmk_check(stderr) == 0, "invariants after freeing the full range");

	/* No explicit purge: the allocator purges when the range is short. */
	again = 0;
	capture_start();
	while (again < 64 && (area[again] = vmalloc(SZ_1M)))
		again++;
	out = capture_end();
	CHECK(again == (int)fit, "after vfree the range takes %lu areas again, got %d", fit, again);
	for (int i = 0; i < again; i++)
		vfree(area[i]);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == 0, "nr_vmalloc is 0 at the end: %ld", vmstat_get("nr_vmalloc"));
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
}

int main(void)
{
	test_seed();

	/* Child tests first: a child must boot its own machine (RAM, and the
	 * page array in it, is shared memory that a fork does not copy). */
	vmap_read_only();

	REQUIRE(mmk_boot(NULL) == 0, "default boot");
	basics();
	alignment();
	chunks();
	accounting();
	vmap_pages();
	kvmalloc_policy();
	atomic_vfree();
	threads();
	mmk_shutdown();

	REQUIRE(mmk_boot("mem=64M") == 0, "mem=64M boot");
	zeroing();
	reclaim_purges();
	fragmented();
	mmk_shutdown();

	boot_option();
	harness_exit();
}
