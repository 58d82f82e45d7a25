// SPDX-License-Identifier: MIT
/*
 * The scenarios of Linux's lib/test_vmalloc.c, as tests: what each one
 * stresses carries over (the loop counts are smaller, and every area's
 * contents are checked, which the kernel module does not do).
 *
 *   fix_size_alloc_test        one page, vmalloc + write + vfree, many times
 *   random_size_alloc_test     1..100 pages at random
 *   fix_align_alloc_test       5 pages aligned to 2 * THREAD_ALIGN, zeroed
 *   random_size_align_alloc_test  1..10 pages at alignments 1 B..4 MiB
 *   align_shift_alloc_test     one page at every alignment 2^0..2^63: up to
 *                              half the range succeed, above the range
 *                              fail cleanly ("supposed to fail", Linux says)
 *   full_fit_alloc_test        8192 one-page holes between live areas: a
 *                              one-page vmalloc fills a hole exactly
 *   long_busy_list_alloc_test  15,000 live one-page areas while 100-page
 *                              and one-page areas come and go
 *   pcpu_alloc_test            (per-CPU memory is not built) here: kvmalloc
 *                              of mixed sizes, freed in random order
 *   vm_map_ram_test            vmap/vunmap of the same pages, many times
 *   kvfree_rcu_*               skipped: mmkit has no RCU
 *
 * After each: every live area kept its pattern, nr_vmalloc is back to 0
 * after a purge, and mmk_check() is clean.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define THREAD_ALIGN	(16UL << 10)	/* x86-64: THREAD_SIZE, 16 KiB */

/* The first and last word of every page, for areas too many to fill. */
static void mark(void *p, size_t bytes, unsigned long tag)
{
	for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
		unsigned long *w = (unsigned long *)((char *)p + off);

		w[0] = tag ^ off;
		w[PAGE_SIZE / sizeof(long) - 1] = ~tag + off;
	}
}

static bool marked(const void *p, size_t bytes, unsigned long tag)
{
	for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
		const unsigned long *w = (const unsigned long *)((const char *)p + off);

		if (w[0] != (tag ^ off) || w[PAGE_SIZE / sizeof(long) - 1] != ~tag + off)
			return false;
	}
	return true;
}

static size_t nonzero_bytes(const void *p, size_t bytes)
{
	const unsigned char *b = p;
	size_t n = 0;

	for (size_t i = 0; i < bytes; i++)
		n += b[i] != 0;
	return n;
}

/* After a scenario: everything went back, the machine is sound. */
static void settled(const char *name)
{
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == 0, "%s: nr_vmalloc is 0 after a purge: %ld", name, vmstat_get("nr_vmalloc"));
	CHECK(mmk_check(stderr) == 0, "%s: invariants", name);
}

/* ---- The scenarios ----------------------------------------------------- */

static void fix_size_alloc_test(void)
{
	unsigned long loops = test_scaled(20000), bad = 0, failed = 0;

	for (unsigned long i = 0; i < loops; i++) {
		unsigned long *p = vmalloc(PAGE_SIZE);

		if (!p) {
			failed++;
			continue;
		}
		p[0] = i;
		p[PAGE_SIZE / sizeof(long) - 1] = ~i;
		bad += p[0] != i || p[PAGE_SIZE / sizeof(long) - 1] != ~i;
		vfree(p);
	}
	CHECK(failed == 0, "fix_size: %lu of %lu vmalloc(4096) failed", failed, loops);
	CHECK(bad == 0, "fix_size: %lu pages did not read back", bad);
	/* Multi-page variant (the module's nr_pages parameter). */
	for (unsigned long i = 0; i < loops / 10; i++) {
		void *p = vmalloc(16 * PAGE_SIZE);

		if (!p) {
			failed++;
			continue;
		}
		mark(p, 16 * PAGE_SIZE, i);
		bad += !marked(p, 16 * PAGE_SIZE, i);
		vfree(p);
	}
	CHECK(failed == 0 && bad == 0, "fix_size 16 pages: %lu failed, %lu bad", failed, bad);
	settled("fix_size_alloc_test");
}

static void random_size_alloc_test(void)
{
	unsigned long loops = test_scaled(5000), bad = 0, failed = 0;
	void *keep[8] = { NULL };
	size_t keep_size[8] = { 0 };

	for (unsigned long i = 0; i < loops; i++) {
		size_t size = (1 + test_rand() % 100) * PAGE_SIZE;
		unsigned int k = (unsigned int)(i % 8);
		void *p = vmalloc(size);

		if (!p) {
			failed++;
			continue;
		}
		mark(p, size, i);
		/* Keep a few alive across iterations, so areas interleave. */
		if (keep[k]) {
			bad += !marked(keep[k], keep_size[k], i - 8);
			vfree(keep[k]);
		}
		keep[k] = p;
		keep_size[k] = size;
	}
	for (int k = 0; k < 8; k++)
		vfree(keep[k]);
	CHECK(failed == 0, "random_size: %lu of %lu failed", failed, loops);
	CHECK(bad == 0, "random_size: %lu areas lost their contents", bad);
	settled("random_size_alloc_test");
}

static void fix_align_alloc_test(void)
{
	unsigned long loops = test_scaled(5000), failed = 0, misaligned = 0, dirty = 0;
	const unsigned long align = THREAD_ALIGN << 1;

	for (unsigned long i = 0; i < loops; i++) {
		unsigned char *p = __vmalloc_node(5 * PAGE_SIZE, align, GFP_KERNEL | __GFP_ZERO,
						  NUMA_NO_NODE, NULL);

		if (!p) {
			failed++;
			continue;
		}
		misaligned += ((unsigned long)p & (align - 1)) != 0;
		/* Zeroed although the frames were written by the loop before. */
		dirty += nonzero_bytes(p, 5 * PAGE_SIZE) != 0;
		memset(p, 0xee, 5 * PAGE_SIZE);
		vfree(p);
	}
	CHECK(failed == 0, "fix_align: %lu of %lu failed", failed, loops);
	CHECK(misaligned == 0, "fix_align: %lu areas not aligned to %#lx", misaligned, align);
	CHECK(dirty == 0, "fix_align: %lu __GFP_ZERO areas were not zero", dirty);
	settled("fix_align_alloc_test");
}

static void random_size_align_alloc_test(void)
{
	unsigned long loops = test_scaled(5000), failed = 0, misaligned = 0, dirty = 0;

	for (unsigned long i = 0; i < loops; i++) {
		unsigned int rnd = (unsigned int)(test_rand() & 0xff);
		unsigned long align = 1UL << (rnd % 23);
		size_t size = ((rnd % 10) + 1) * PAGE_SIZE;
		unsigned char *p = __vmalloc_node(size, align, GFP_KERNEL | __GFP_ZERO,
						  NUMA_NO_NODE, NULL);

		if (!p) {
			failed++;
			continue;
		}
		misaligned += ((unsigned long)p & (align - 1)) != 0;
		dirty += nonzero_bytes(p, size) != 0;
		memset(p, 0x3d, size);
		vfree(p);
	}
	CHECK(failed == 0, "random_size_align: %lu of %lu failed", failed, loops);
	CHECK(misaligned == 0, "random_size_align: %lu misaligned", misaligned);
	CHECK(dirty == 0, "random_size_align: %lu not zeroed", dirty);
	settled("random_size_align_alloc_test");
}

/*
 * Run first, on an empty range. An alignment up to half the range always
 * has room (as in Linux, whose search wants a free area of size + align);
 * one above the whole range fails cleanly, as it does in Linux; in between,
 * either answer is right, but an area returned must be aligned and inside.
 */
static void align_shift_alloc_test(void)
{
	unsigned long range = VMALLOC_END - VMALLOC_START;
	const char *out;
	int wrong = 0, failures = 0;

	REQUIRE(vmstat_get("nr_vmalloc") == 0, "align_shift runs on an empty range");
	capture_start();
	for (int i = 0; i < 64; i++) {
		unsigned long align = 1UL << i;
		unsigned long a = align < PAGE_SIZE ? PAGE_SIZE : align;
		unsigned char *p = __vmalloc_node(PAGE_SIZE, align, GFP_KERNEL | __GFP_ZERO,
						  NUMA_NO_NODE, NULL);

		if (p) {
			if (a > range || ((unsigned long)p & (a - 1)) || !is_vmalloc_addr(p) ||
			    !is_vmalloc_addr(p + PAGE_SIZE) || nonzero_bytes(p, PAGE_SIZE)) {
				printf("align 2^%d: got %p in a range of %#lx\n", i, (void *)p, range);
				wrong++;
			}
			p[0] = 1;
			vfree(p);
		} else {
			failures++;
			if (a <= range / 2) {
				printf("align 2^%d failed in an empty range of %#lx\n", i, range);
				wrong++;
			}
		}
	}
	out = capture_end();
	CHECK(wrong == 0, "align_shift: alignments up to half the range succeed (aligned, zeroed), above the range fail (%d wrong)",
	      wrong);
	CHECK(failures >= 64 - 36, "align_shift: the largest alignments fail (\"supposed to fail\"): %d",
	      failures);
	CHECK(strstr(out, "vmalloc error") != NULL, "align_shift: the first failure warns; got:\n%.2000s",
	      out);
	CHECK(strstr(out, "BUG") == NULL, "align_shift: no BUG; got:\n%.2000s", out);
	settled("align_shift_alloc_test");
}

static void full_fit_alloc_test(void)
{
	unsigned long junk_length = test_scaled(32UL * 1024 * 1024 / PAGE_SIZE);
	unsigned long loops = test_scaled(10000), failed = 0, outside = 0;
	void **ptr, **junk_ptr;
	unsigned long top = 0, bad = 0;

	/* Linux uses fls(num_online_cpus()) * 8192 pairs; one CPU's worth
	 * keeps this under the host's vm.max_map_count (two host mappings a
	 * live one-page area: the page and its guard). */
	ptr = vmalloc(sizeof(void *) * junk_length);
	junk_ptr = vmalloc(sizeof(void *) * junk_length);
	REQUIRE(ptr && junk_ptr, "the pointer arrays");
	for (unsigned long i = 0; i < junk_length; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		junk_ptr[i] = vmalloc(PAGE_SIZE);
		REQUIRE(ptr[i] && junk_ptr[i], "pair %lu", i);
		mark(ptr[i], PAGE_SIZE, i);
		if ((unsigned long)ptr[i] > top)
			top = (unsigned long)ptr[i];
	}
	for (unsigned long i = 0; i < junk_length; i++)
		vfree(junk_ptr[i]);
	vm_unmap_aliases();

	for (unsigned long i = 0; i < loops; i++) {
		unsigned char *tmp = vmalloc(PAGE_SIZE);

		if (!tmp) {
			failed++;
			continue;
		}
		/* The lowest fit is a hole left by the junk, not fresh space. */
		outside += (unsigned long)tmp > top;
		*tmp = 1;
		vfree(tmp);
	}
	CHECK(failed == 0, "full_fit: %lu of %lu failed", failed, loops);
	CHECK(outside == 0, "full_fit: %lu one-page areas went past the holes", outside);
	for (unsigned long i = 0; i < junk_length; i++) {
		bad += !marked(ptr[i], PAGE_SIZE, i);
		vfree(ptr[i]);
	}
	CHECK(bad == 0, "full_fit: %lu live areas lost their contents", bad);
	vfree(ptr);
	vfree(junk_ptr);
	settled("full_fit_alloc_test");
}

static void long_busy_list_alloc_test(void)
{
	const unsigned long n = 15000;
	unsigned long loops = test_scaled(5000), failed = 0, bad = 0;
	void **ptr = vmalloc(sizeof(void *) * n);

	REQUIRE(ptr, "the pointer array");
	for (unsigned long i = 0; i < n; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		REQUIRE(ptr[i], "live area %lu of %lu", i, n);
		vfill(ptr[i], PAGE_SIZE, i);
	}
	CHECK(vmstat_get("nr_vmalloc") >= (long)n, "%lu live areas counted: %ld", n, vmstat_get("nr_vmalloc"));
	for (unsigned long i = 0; i < loops; i++) {
		unsigned char *p1 = vmalloc(100 * PAGE_SIZE);
		unsigned char *p2 = vmalloc(PAGE_SIZE);

		if (!p1 || !p2) {
			failed++;
			vfree(p1);
			vfree(p2);
			continue;
		}
		mark(p1, 100 * PAGE_SIZE, i);
		*p2 = 1;
		bad += !marked(p1, 100 * PAGE_SIZE, i) || *p2 != 1;
		vfree(p1);
		vfree(p2);
	}
	CHECK(failed == 0, "long_busy_list: %lu of %lu iterations failed", failed, loops);
	CHECK(bad == 0, "long_busy_list: %lu areas did not read back", bad);
	CHECK(mmk_check(stderr) == 0, "long_busy_list: invariants with 15,000 live areas");
	for (unsigned long i = 0; i < n; i++) {
		bad += vcheck(ptr[i], PAGE_SIZE, i) != 0;
		vfree(ptr[i]);
	}
	CHECK(bad == 0, "long_busy_list: %lu of the 15,000 areas lost their contents", bad);
	vfree(ptr);
	settled("long_busy_list_alloc_test");
}

/* Per-CPU memory is not built; the same spirit (many mixed sizes, freed in
 * random order) through kvmalloc, which spans kmalloc and vmalloc. */
static void mixed_size_kvmalloc_test(void)
{
	const unsigned int n = (unsigned int)test_scaled(3000);
	void **obj = calloc(n, sizeof(void *));
	size_t *size = calloc(n, sizeof(size_t));
	unsigned long failed = 0, bad = 0, vm = 0;

	REQUIRE(obj && size, "calloc");
	for (int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < n; i++) {
			if (obj[i])
				continue;
			/* Log-uniform from 8 bytes to 1 MiB. */
			size[i] = (8UL << (test_rand() % 18)) + (test_rand() % 4096) * 8;
			obj[i] = kvmalloc(size[i], GFP_KERNEL);
			if (!obj[i]) {
				failed++;
				continue;
			}
			vm += is_vmalloc_addr(obj[i]);
			vfill(obj[i], size[i], i + 100000UL * (unsigned long)round);
			size[i] |= (size_t)round << 60;
		}
		/* Free a random half. */
		for (unsigned int i = 0; i < n; i++) {
			if (!obj[i] || (test_rand() & 1))
				continue;
			bad += vcheck(obj[i], size[i] & ((1UL << 60) - 1),
				      i + 100000UL * (size[i] >> 60)) != 0;
			kvfree(obj[i]);
			obj[i] = NULL;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!obj[i])
			continue;
		bad += vcheck(obj[i], size[i] & ((1UL << 60) - 1), i + 100000UL * (size[i] >> 60)) != 0;
		kvfree(obj[i]);
	}
	CHECK(failed == 0, "mixed sizes: %lu kvmalloc calls failed", failed);
	CHECK(bad == 0, "mixed sizes: %lu objects lost their contents", bad);
	CHECK(vm > 0, "mixed sizes: some went to vmalloc (%lu)", vm);
	free(obj);
	free(size);
	settled("mixed_size_kvmalloc_test");
}

static void vm_map_ram_test(void)
{
	const unsigned int nr = 16;
	unsigned long loops = test_scaled(5000), failed = 0, bad = 0;
	struct page *pages[16];

	for (unsigned int i = 0; i < nr; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		REQUIRE(pages[i], "alloc_page");
		vfill(page_address(pages[i]), PAGE_SIZE, 7000 + i);
	}
	for (unsigned long l = 0; l < loops; l++) {
		unsigned int count = l & 1 ? nr : 1;
		unsigned char *v = vmap(pages, count, VM_MAP, PAGE_KERNEL);

		if (!v) {
			failed++;
			continue;
		}
		for (unsigned int i = 0; i < count; i++)
			bad += ((unsigned long *)(v + i * PAGE_SIZE))[l % 512] !=
			       vword(l % 512, 7000 + i);
		v[0] ^= 0xff;		/* seen in the frame, then undone */
		bad += *(unsigned char *)page_address(pages[0]) != v[0];
		v[0] ^= 0xff;
		vunmap(v);
	}
	CHECK(failed == 0, "vm_map_ram: %lu of %lu vmaps failed", failed, loops);
	CHECK(bad == 0, "vm_map_ram: %lu reads through the vmap were wrong", bad);
	for (unsigned int i = 0; i < nr; i++) {
		CHECK(vcheck(page_address(pages[i]), PAGE_SIZE, 7000 + i) == 0,
		      "vm_map_ram: page %u intact", i);
		CHECK(page_count(pages[i]) == 1, "vm_map_ram: page %u still singly held", i);
		__free_page(pages[i]);
	}
	settled("vm_map_ram_test");
}

int main(void)
{
	int maps0, maps1;

	test_seed();
	REQUIRE(mmk_boot("mem=512M") == 0, "boot mem=512M");
	maps0 = count_mappings();

	align_shift_alloc_test();
	fix_size_alloc_test();
	random_size_alloc_test();
	fix_align_alloc_test();
	random_size_align_alloc_test();
	full_fit_alloc_test();
	long_busy_list_alloc_test();
	mixed_size_kvmalloc_test();
	vm_map_ram_test();
	printf("# kvfree_rcu_1_arg_vmalloc_test, kvfree_rcu_2_arg_vmalloc_test: skipped (no RCU)\n");

	maps1 = count_mappings();
	printf("# host mappings: %d after boot, %d after the scenarios\n", maps0, maps1);
	mmk_shutdown();
	harness_exit();
}
