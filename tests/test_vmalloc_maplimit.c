// SPDX-License-Identifier: MIT
/*
 * The host's vm.max_map_count meets vmalloc. Each physically contiguous run
 * of an area's frames is one host mapping (and each guard page splits the
 * reservation), and the host allows a process vm.max_map_count mappings
 * (65530 by default), shared with the program's own (malloc, thread stacks).
 *
 * One big area: on a machine where every free frame is isolated (take all
 * frames, give back the odd ones), an area of max_map_count + 10000 pages
 * needs that many runs, more than the host allows. The vmalloc must fail
 * cleanly: NULL, a message naming vm.max_map_count and the runs needed, no
 * crash, every other area intact, the invariant checker clean, the process
 * still able to make host mappings of its own, and vmalloc working after.
 *
 * Many small areas: one-page vmallocs until the host's limit stops them.
 * The failure names vm.max_map_count; the program can still map; after
 * vfree of them all and a purge the host has its mappings back and vmalloc
 * works again.
 *
 * Each part runs in a child with its own machine, so the host mapping count
 * of one does not decide the other. Skipped (with a message) when
 * max_map_count is so large that a machine of a few GiB cannot exceed it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <mmkit/linux.h>
#include "harness.h"

#define NLIVE 4

static long read_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Can the process still make host mappings? @n separate ones (different
 * protections, so the host cannot merge them), each checked, then unmapped. */
static int host_can_map(int n)
{
	long pagesz = 4096;
	char *base = mmap(NULL, (size_t)pagesz * (size_t)n * 2, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = 0;

	if (base == MAP_FAILED)
		return 0;
	for (int i = 0; i < n; i++) {
		/* Every other page readable: each one splits the reservation. */
		if (mprotect(base + (size_t)pagesz * (size_t)(2 * i), (size_t)pagesz,
			     PROT_READ | PROT_WRITE))
			break;
		base[(size_t)pagesz * (size_t)(2 * i)] = 1;
		ok++;
	}
	munmap(base, (size_t)pagesz * (size_t)n * 2);
	return ok;
}

static long limit;

static void part_big(void *arg)
{
	unsigned long need, pfns, mem_mb, kept = 0;
	struct page **held, *page;
	void *live[NLIVE], *p, *small;
	size_t live_size[NLIVE];
	char cmdline[64];
	const char *out;
	int maps_before, maps_after, mapped;
	long nr0;

	(void)arg;
	need = (unsigned long)limit + 10000;
	/* Half the frames end up free and isolated; keep 16K spare. */
	mem_mb = ((need + 16384) * 2 * PAGE_SIZE + (4UL << 20) - 1) >> 20 & ~3UL;
	if (mem_mb < 1024)
		mem_mb = 1024;
	snprintf(cmdline, sizeof(cmdline), "mem=%luM", mem_mb);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	fprintf(stderr, "# vm.max_map_count %ld: vmalloc of %lu pages on %s\n", limit, need, cmdline);

	for (int i = 0; i < NLIVE; i++) {
		live_size[i] = (size_t)(1 + i * 37) * PAGE_SIZE;
		live[i] = vmalloc(live_size[i]);
		REQUIRE(live[i], "live area %d", i);
		vfill(live[i], live_size[i], 40 + (unsigned long)i);
	}
	vm_unmap_aliases();
	nr0 = vmstat_get("nr_vmalloc");
	CHECK(nr0 >= 1 + 38 + 75 + 112, "nr_vmalloc counts the live areas: %ld", nr0);

	/* Every free frame isolated. */
	pfns = machine_pfns();
	held = calloc(pfns, sizeof(*held));
	REQUIRE(held, "calloc");
	while ((page = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
		REQUIRE(kept < pfns, "no more pages than frames");
		held[kept++] = page;
	}
	{
		unsigned long n = kept;

		kept = 0;
		for (unsigned long i = 0; i < n; i++) {
			if (page_to_pfn(held[i]) & 1)
				__free_page(held[i]);
			else
				held[kept++] = held[i];
		}
	}
	REQUIRE(settled_free_pages() > need + 4096, "enough isolated frames: %lu free, %lu needed",
		settled_free_pages(), need);
	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
	CHECK(page == NULL, "no order-1 block is left");
	if (page)
		__free_pages(page, 1);

	maps_before = count_mappings();
	capture_start();
	p = vmalloc(need * PAGE_SIZE);
	out = capture_end();
	maps_after = count_mappings();
	fprintf(stderr, "# host mappings: %d before, %d after the failed vmalloc\n", maps_before,
		maps_after);
	CHECK(p == NULL, "a vmalloc needing %lu runs fails under vm.max_map_count %ld", need, limit);
	CHECK(strstr(out, "vm.max_map_count") != NULL, "with a message naming vm.max_map_count; got:\n%.3000s",
	      out);
	CHECK(strstr(out, "vmalloc error") != NULL, "a \"vmalloc error\" line; got:\n%.3000s", out);
	{
		const char *r = strstr(out, "this area needs ");
		unsigned long runs = 0;

		CHECK(r && sscanf(r, "this area needs %lu host mappings", &runs) == 1 && runs >= (unsigned long)limit,
		      "the message says how many runs the area needed (%lu, more than %ld); got:\n%.600s",
		      runs, limit, out);
	}
	CHECK(strstr(out, "BUG") == NULL, "and no BUG; got:\n%.3000s", out);
	if (p) {
		vfree(p);
		vm_unmap_aliases();
	}

	/* The process is not left starved of host mappings. */
	mapped = host_can_map(1000);
	CHECK(mapped == 1000, "the program can still make host mappings: %d of 1000", mapped);
	CHECK(maps_after < maps_before + limit / 2,
	      "the failed area's host mappings were given back: %d before, %d after", maps_before,
	      maps_after);

	for (int i = 0; i < NLIVE; i++)
		CHECK(vcheck(live[i], live_size[i], 40 + (unsigned long)i) == 0,
		      "live area %d is intact", i);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == nr0, "the failed area's frames went back: nr_vmalloc %ld, was %ld",
	      vmstat_get("nr_vmalloc"), nr0);
	CHECK(mmk_check(stderr) == 0, "invariants after the failure");

	/* vmalloc works afterwards, on the same fragmented machine. */
	capture_start();
	small = vmalloc(64 * PAGE_SIZE);
	out = capture_end();
	CHECK(small != NULL, "a small vmalloc works afterwards; got:\n%.400s", out);
	if (small) {
		vfill(small, 64 * PAGE_SIZE, 99);
		CHECK(vcheck(small, 64 * PAGE_SIZE, 99) == 0, "and holds its contents");
		vfree(small);
	}
	capture_start();
	p = vmalloc(8192 * PAGE_SIZE);
	out = capture_end();
	CHECK(p != NULL, "an 8192-run vmalloc works afterwards; got:\n%.400s", out);
	if (p) {
		vfill(p, 8192 * PAGE_SIZE, 98);
		CHECK(vcheck(p, 8192 * PAGE_SIZE, 98) == 0, "and holds its contents");
		vfree(p);
	}

	for (unsigned long i = 0; i < kept; i++)
		__free_page(held[i]);
	free(held);
	for (int i = 0; i < NLIVE; i++) {
		CHECK(vcheck(live[i], live_size[i], 40 + (unsigned long)i) == 0,
		      "live area %d is intact at the end", i);
		vfree(live[i]);
	}
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == 0, "nr_vmalloc is 0 at the end: %ld", vmstat_get("nr_vmalloc"));
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}

#define FLOOD_MAX 200000

/*
 * Each live one-page area adds two host mappings (its page, and the piece
 * of reservation its guard page splits off), and the host refuses a new
 * mapping once the process has more than max_map_count, so the flood ends
 * at max_map_count + 1 or + 2 depending on the parity it starts from: run
 * it from both (@arg: the parity wanted; one mapping of our own flips it).
 */
static void part_flood(void *arg)
{
	const int *parity = arg;
	void **area = calloc(FLOOD_MAX, sizeof(void *));
	int maps0, maps_full, maps_after, mapped;
	const char *out;
	unsigned long n = 0, bad = 0;
	void *p;

	REQUIRE(area, "calloc");
	REQUIRE(mmk_boot("mem=512M") == 0, "boot mem=512M");
	maps0 = count_mappings();
	if ((maps0 & 1) != *parity) {
		/* Shared anonymous memory never merges with a neighbour. */
		REQUIRE(mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED,
			"mmap");
		maps0 = count_mappings();
	}
	capture_start();
	while (n < FLOOD_MAX && (area[n] = vmalloc(PAGE_SIZE))) {
		*(unsigned long *)area[n] = n;
		n++;
	}
	out = capture_end();
	maps_full = count_mappings();
	fprintf(stderr, "# %lu live one-page areas; host mappings %d after boot, %d then\n", n,
		maps0, maps_full);
	CHECK(n < FLOOD_MAX, "the host's limit stops one-page vmallocs");
	CHECK(n > (unsigned long)limit / 4, "but not before %ld areas: %lu", limit / 4, n);
	CHECK(strstr(out, "vm.max_map_count") != NULL,
	      "the failure names vm.max_map_count; got:\n%.600s", out);
	mapped = host_can_map(100);
	CHECK(mapped == 100, "with vmalloc stopped by the limit, the program can still map: %d of 100",
	      mapped);
	CHECK(mmk_check(stderr) == 0, "invariants with the range full of areas");

	for (unsigned long i = 0; i < n; i++) {
		bad += *(unsigned long *)area[i] != i;
		vfree(area[i]);
	}
	CHECK(bad == 0, "%lu areas lost their contents", bad);
	vm_unmap_aliases();
	maps_after = count_mappings();
	fprintf(stderr, "# host mappings after vfree of all and a purge: %d\n", maps_after);
	CHECK(maps_after < maps0 + limit / 2, "the host got its mappings back: %d, %d after boot",
	      maps_after, maps0);
	mapped = host_can_map(1000);
	CHECK(mapped == 1000, "the program can map again: %d of 1000", mapped);
	capture_start();
	p = vmalloc(PAGE_SIZE);
	out = capture_end();
	CHECK(p != NULL, "vmalloc(4096) works after vfree of them all; got:\n%.600s", out);
	vfree(p);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	free(area);
	mmk_shutdown();
	harness_exit();
}

static void run_part(void (*fn)(void *), void *arg, const char *name)
{
	const char *out;
	int st = run_in_child(fn, arg, &out);

	fputs(out, stderr);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %#x", name, st);
}

int main(void)
{
	test_seed();
	limit = read_max_map_count();
	REQUIRE(limit > 0, "/proc/sys/vm/max_map_count is readable");
	if (limit > 200000) {
		printf("# skipped: vm.max_map_count is %ld; a machine of a few GiB cannot hold that many isolated frames\n",
		       limit);
		harness_exit();
	}
	static const int even = 0, odd = 1;

	run_part(part_big, NULL, "one area needing more runs than the host allows");
	run_part(part_flood, (void *)&even, "one-page areas until the host's limit, from an even count");
	run_part(part_flood, (void *)&odd, "one-page areas until the host's limit, from an odd count");
	harness_exit();
}
