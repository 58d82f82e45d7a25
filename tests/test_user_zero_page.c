// SPDX-License-Identifier: MIT
/*
 * The zero page and the first write, seen from the simulated process.
 *
 * Single pages (thp_anon=16K-2M:never), where everything is exact:
 *   - a fresh mapping has nothing behind it (mmk_follow_pfn() == -1);
 *   - reading every page maps mmk_zero_pfn() at every page, one fault per
 *     page, every byte reads 0, and neither AnonPages nor the free pages
 *     change except for the page tables the faults had to allocate;
 *   - the zero page's frame holds zeros, before and after everything;
 *   - a write maps a fresh frame of its own (distinct from the zero page
 *     and from every other page's), zero-filled except what was written,
 *     and the bytes the program sees are the frame's bytes (read back
 *     through the direct map); one write fault per page, +4 kB AnonPages.
 *
 * Large folios (the default thp_anon=):
 *   - one byte written in a 2 MiB-aligned block of a big mapping maps that
 *     block with one fault: 512 consecutive pfns starting on a 512-frame
 *     boundary, +2048 kB AnonPages, thp_fault_alloc + 1, nothing outside;
 *   - a read next to it maps the zero page over its own aligned 2 MiB and
 *     sees zeros, AnonPages unchanged; a write there replaces the whole
 *     zero run by one folio;
 *   - in a small mapping of odd alignment a write maps the largest
 *     naturally aligned folio that fits inside it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define SZ_2M		(2UL << 20)
#define NPAGES		256

static const unsigned char *zero_page_bytes(void)
{
	return page_address(pfn_to_page(mmk_zero_pfn()));
}

/* How many bytes of the zero page's frame are not zero. */
static size_t zero_page_dirt(void)
{
	const unsigned char *z = zero_page_bytes();
	size_t bad = 0;

	for (size_t i = 0; i < PAGE_SIZE; i++)
		bad += z[i] != 0;
	return bad;
}

static long pagetable_pages(void)
{
	return meminfo_field_kb("PageTables") / 4;
}

/* ---- Single pages ------------------------------------------------------- */

static void single_pages(void)
{
	unsigned long zpfn;
	long anon0, pt0, faults0, free0, faults1;
	unsigned char *p;
	long pfns[NPAGES];

	REQUIRE(mmk_boot("mem=256M thp_anon=16K-2M:never") == 0, "boot, single pages");
	zpfn = mmk_zero_pfn();
	CHECK(pfn_valid(zpfn), "the zero pfn %#lx is a frame of the machine", zpfn);
	CHECK(zero_page_dirt() == 0, "the zero page is all zeros at boot");

	anon0 = meminfo_field_kb("AnonPages");
	p = mmk_mmap(NULL, NPAGES * PAGE_SIZE, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap %d pages", NPAGES);
	CHECK(((uintptr_t)p & (PAGE_SIZE - 1)) == 0, "the mapping is page aligned: %p", p);
	for (int i = 0; i < NPAGES; i++)
		CHECK(mmk_follow_pfn(p + i * PAGE_SIZE) == -1,
		      "fresh page %d has no pfn: %ld", i, mmk_follow_pfn(p + i * PAGE_SIZE));
	CHECK(meminfo_field_kb("AnonPages") == anon0, "mmap alone adds no AnonPages");

	/* Read every byte of every page. */
	pt0 = pagetable_pages();
	free0 = (long)settled_free_pages();
	faults0 = vmstat_get("pgfault");
	CHECK(read_nonzero(p, NPAGES * PAGE_SIZE) == 0, "a fresh mapping reads as zeros");
	CHECK(vmstat_get("pgfault") - faults0 == NPAGES,
	      "one read fault per page: %ld faults for %d pages", vmstat_get("pgfault") - faults0,
	      NPAGES);
	for (int i = 0; i < NPAGES; i++)
		CHECK(mmk_follow_pfn(p + i * PAGE_SIZE) == (long)zpfn,
		      "page %d read maps the zero pfn %#lx: %ld", i, zpfn,
		      mmk_follow_pfn(p + i * PAGE_SIZE));
	CHECK(meminfo_field_kb("AnonPages") == anon0, "reads add no AnonPages: %ld kB, was %ld kB",
	      meminfo_field_kb("AnonPages"), anon0);
	CHECK(free0 - (long)settled_free_pages() == pagetable_pages() - pt0,
	      "reads took no frame but page tables: %ld frames gone, %ld page-table pages added",
	      free0 - (long)settled_free_pages(), pagetable_pages() - pt0);
	CHECK(pagetable_pages() - pt0 <= 4, "%ld page-table pages for 1 MiB", pagetable_pages() - pt0);
	CHECK(zero_page_dirt() == 0, "the zero page is still all zeros after the reads");

	/* Reading again is free: the zero pages are mapped. */
	faults0 = vmstat_get("pgfault");
	CHECK(read_nonzero(p, NPAGES * PAGE_SIZE) == 0, "second read: zeros");
	CHECK(vmstat_get("pgfault") == faults0, "a second read takes no fault: %ld",
	      vmstat_get("pgfault") - faults0);

	/* Writes: one byte in every fourth page. */
	free0 = (long)settled_free_pages();
	pt0 = pagetable_pages();
	faults0 = vmstat_get("pgfault");
	for (int i = 0; i < NPAGES; i += 4)
		p[i * PAGE_SIZE + (size_t)(i * 13) % PAGE_SIZE] = (unsigned char)(i + 1);
	faults1 = vmstat_get("pgfault");
	CHECK(faults1 - faults0 == NPAGES / 4, "one write fault per written page: %ld for %d",
	      faults1 - faults0, NPAGES / 4);
	CHECK(meminfo_field_kb("AnonPages") - anon0 == NPAGES / 4 * 4,
	      "AnonPages +%d kB after %d written pages: +%ld kB", NPAGES, NPAGES / 4,
	      meminfo_field_kb("AnonPages") - anon0);
	CHECK(vmstat_get("nr_anon_pages") * 4 == meminfo_field_kb("AnonPages"),
	      "nr_anon_pages %ld matches AnonPages %ld kB", vmstat_get("nr_anon_pages"),
	      meminfo_field_kb("AnonPages"));
	CHECK(free0 - (long)settled_free_pages() == NPAGES / 4,
	      "exactly one frame per written page: %ld frames", free0 - (long)settled_free_pages());
	CHECK(pagetable_pages() == pt0, "no new page tables for pages already read");
	for (int i = 0; i < NPAGES; i++) {
		pfns[i] = mmk_follow_pfn(p + i * PAGE_SIZE);
		if (i % 4) {
			CHECK(pfns[i] == (long)zpfn, "unwritten page %d keeps the zero pfn: %ld", i,
			      pfns[i]);
			continue;
		}
		CHECK(pfns[i] >= 0 && pfns[i] != (long)zpfn && pfn_valid((unsigned long)pfns[i]),
		      "written page %d has a frame of its own: %ld", i, pfns[i]);
		for (int j = 0; j < i; j += 4)
			CHECK(pfns[j] != pfns[i], "pages %d and %d share pfn %ld", j, i, pfns[i]);
	}
	for (int i = 0; i < NPAGES; i += 4) {
		size_t off = (size_t)(i * 13) % PAGE_SIZE;
		const unsigned char *frame;

		if (pfns[i] < 0)
			continue;
		frame = page_address(pfn_to_page((unsigned long)pfns[i]));
		CHECK(p[i * PAGE_SIZE + off] == (unsigned char)(i + 1), "page %d keeps its byte", i);
		p[i * PAGE_SIZE + off] = 0;
		CHECK(read_nonzero(p + i * PAGE_SIZE, PAGE_SIZE) == 0,
		      "page %d is zero-filled except the byte written", i);
		p[i * PAGE_SIZE + off] = (unsigned char)(i + 1);
		CHECK(frame[off] == (unsigned char)(i + 1),
		      "the program's byte is in frame %ld (direct map reads %#x)", pfns[i], frame[off]);
	}
	CHECK(vmstat_get("pgfault") == faults1, "rewriting written pages takes no fault");
	CHECK(zero_page_dirt() == 0, "the zero page is still all zeros after the writes");

	/* A whole page of pattern: user view == frame view. */
	{
		unsigned char *q = p + 8 * PAGE_SIZE;
		long pfn;

		vfill(q, PAGE_SIZE, 77);
		pfn = mmk_follow_pfn(q);
		CHECK(pfn == pfns[8], "rewriting keeps the frame: %ld, was %ld", pfn, pfns[8]);
		if (pfn >= 0)
			CHECK(memcmp(page_address(pfn_to_page((unsigned long)pfn)), q, PAGE_SIZE) == 0,
			      "the page's bytes are frame %ld's bytes", pfn);
	}

	/* A first access that is a write: no zero page involved. */
	{
		unsigned char *q = mmk_mmap(NULL, 4 * PAGE_SIZE, RW, ANON, -1, 0);
		long a = meminfo_field_kb("AnonPages");

		REQUIRE(q != MAP_FAILED, "mmap 4 pages");
		faults0 = vmstat_get("pgfault");
		q[PAGE_SIZE + 7] = 9;
		CHECK(vmstat_get("pgfault") - faults0 == 1, "a write to a fresh page: one fault");
		CHECK(meminfo_field_kb("AnonPages") - a == 4, "+4 kB AnonPages");
		CHECK(mmk_follow_pfn(q) == -1 && mmk_follow_pfn(q + 2 * PAGE_SIZE) == -1,
		      "its neighbours stay unmapped");
		CHECK(mmk_follow_pfn(q + PAGE_SIZE) > 0 &&
		      mmk_follow_pfn(q + PAGE_SIZE) != (long)zpfn, "it has a frame");
		CHECK(read_nonzero(q + PAGE_SIZE, 7) == 0 && read_nonzero(q + PAGE_SIZE + 8, PAGE_SIZE - 8) == 0,
		      "the rest of the page is zero");
		CHECK(mmk_munmap(q, 4 * PAGE_SIZE) == 0, "munmap");
	}

	CHECK(mmk_check(stderr) == 0, "invariants with zero pages and frames mapped");
	CHECK(mmk_munmap(p, NPAGES * PAGE_SIZE) == 0, "munmap");
	CHECK(meminfo_field_kb("AnonPages") == anon0, "AnonPages back to %ld kB: %ld", anon0,
	      meminfo_field_kb("AnonPages"));
	CHECK(zero_page_dirt() == 0, "the zero page is all zeros at the end");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
}

/* ---- Large folios -------------------------------------------------------- */

/* The folio order a first write at @a maps in a fresh VMA [@s, @e) whose
 * pages around @a are all unmapped: the largest of orders 2..9 whose
 * aligned block lies inside the VMA, else 0. */
static unsigned int expected_order(uintptr_t s, uintptr_t e, uintptr_t a)
{
	for (unsigned int order = 9; order >= 2; order--) {
		uintptr_t size = PAGE_SIZE << order, start = a & ~(size - 1);

		if (start >= s && start + size <= e)
			return order;
	}
	return 0;
}

static void large_folios(void)
{
	const size_t len = 16UL << 20;
	unsigned long zpfn;
	long anon0, thp0, faults0, base;
	unsigned char *p;
	bool consecutive = true;

	REQUIRE(mmk_boot("mem=256M") == 0, "boot with the default thp_anon=");
	zpfn = mmk_zero_pfn();
	anon0 = meminfo_field_kb("AnonPages");
	p = mmk_mmap(NULL, len, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap 16 MiB");
	CHECK(((uintptr_t)p & (SZ_2M - 1)) == 0, "a 16 MiB mapping is 2 MiB aligned: %p", p);

	thp0 = vmstat_get("thp_fault_alloc");
	faults0 = vmstat_get("pgfault");
	p[5 * (1UL << 20) + 100] = 0xab;	/* in the block [4 MiB, 6 MiB) */
	CHECK(vmstat_get("pgfault") - faults0 == 1, "one fault: %ld", vmstat_get("pgfault") - faults0);
	CHECK(vmstat_get("thp_fault_alloc") - thp0 == 1, "one 2 MiB folio: thp_fault_alloc +%ld",
	      vmstat_get("thp_fault_alloc") - thp0);
	CHECK(meminfo_field_kb("AnonPages") - anon0 == 2048, "AnonPages +2048 kB: +%ld",
	      meminfo_field_kb("AnonPages") - anon0);
	base = mmk_follow_pfn(p + 4 * (1UL << 20));
	CHECK(base > 0 && base % 512 == 0, "the folio starts on a 512-frame boundary: pfn %ld", base);
	for (unsigned long i = 0; i < 512; i++)
		consecutive &= mmk_follow_pfn(p + 4 * (1UL << 20) + i * PAGE_SIZE) == base + (long)i;
	CHECK(consecutive, "the 512 pages of the block have consecutive pfns from %ld", base);
	for (unsigned long off = 0; off < len; off += PAGE_SIZE)
		if (off < (4UL << 20) || off >= (6UL << 20))
			if (mmk_follow_pfn(p + off) != -1) {
				CHECK(false, "page at +%#lx outside the folio is mapped: %ld", off,
				      mmk_follow_pfn(p + off));
				break;
			}

	/* Read around it: zeros, through zero runs of the same size. */
	faults0 = vmstat_get("pgfault");
	CHECK(read_nonzero(p + 4 * (1UL << 20) - 1, 1) == 0, "the byte before the folio reads 0");
	CHECK(vmstat_get("pgfault") - faults0 == 1, "one read fault");
	for (unsigned long off = 2UL << 20; off < (4UL << 20); off += PAGE_SIZE)
		if (mmk_follow_pfn(p + off) != (long)zpfn) {
			CHECK(false, "page +%#lx of the 2 MiB below the folio maps the zero page: %ld",
			      off, mmk_follow_pfn(p + off));
			break;
		}
	CHECK(mmk_follow_pfn(p + (2UL << 20) - PAGE_SIZE) == -1, "the block below that is untouched");
	CHECK(read_nonzero(p + (2UL << 20), 2UL << 20) == 0, "the zero run reads as zeros");
	CHECK(vmstat_get("pgfault") - faults0 == 1, "reading the zero run takes no more fault");
	p[5 * (1UL << 20) + 100] = 0;
	CHECK(read_nonzero(p + (4UL << 20), 2UL << 20) == 0,
	      "the folio is zeros except the byte written");
	p[5 * (1UL << 20) + 100] = 0xab;
	CHECK(meminfo_field_kb("AnonPages") - anon0 == 2048, "reads add no AnonPages");
	CHECK(zero_page_dirt() == 0, "the zero page is all zeros");

	/* A write into the zero run: one folio replaces it. */
	p[3 * (1UL << 20)] = 1;
	CHECK(meminfo_field_kb("AnonPages") - anon0 == 4096, "AnonPages +4096 kB: +%ld",
	      meminfo_field_kb("AnonPages") - anon0);
	base = mmk_follow_pfn(p + (2UL << 20));
	consecutive = base > 0 && base != (long)zpfn;
	for (unsigned long i = 0; i < 512; i++)
		consecutive &= mmk_follow_pfn(p + (2UL << 20) + i * PAGE_SIZE) == base + (long)i;
	CHECK(consecutive, "the zero run became one folio of consecutive pfns from %ld", base);
	CHECK(read_nonzero(p + (2UL << 20), 1UL << 20) == 0, "and reads zeros before the byte");
	CHECK(mmk_check(stderr) == 0, "invariants with folios");
	CHECK(mmk_munmap(p, len) == 0, "munmap");
	CHECK(meminfo_field_kb("AnonPages") == anon0, "AnonPages back: %ld kB",
	      meminfo_field_kb("AnonPages"));

	/* Small mappings: the largest aligned folio that fits. */
	for (int n = 1; n <= 40; n += 3) {
		long a = meminfo_field_kb("AnonPages");
		unsigned char *q = mmk_mmap(NULL, (size_t)n * PAGE_SIZE, RW, ANON, -1, 0);
		uintptr_t s = (uintptr_t)q, e = s + (size_t)n * PAGE_SIZE;
		uintptr_t w = s + (size_t)(n / 2) * PAGE_SIZE + 5;
		unsigned int order;

		REQUIRE(q != MAP_FAILED, "mmap %d pages", n);
		order = expected_order(s, e, w);
		*(volatile unsigned char *)w = 3;
		CHECK(meminfo_field_kb("AnonPages") - a == 4L << order,
		      "%d-page mapping at %p: a write maps an order-%u folio: +%ld kB", n, q, order,
		      meminfo_field_kb("AnonPages") - a);
		CHECK(read_nonzero(q, (size_t)(w - s)) == 0, "zeros before the byte");
		CHECK(mmk_munmap(q, (size_t)n * PAGE_SIZE) == 0, "munmap");
		/* Keep the next mapping off this one's address. */
		q = mmk_mmap(NULL, PAGE_SIZE * (size_t)(n % 5 + 1), PROT_READ, ANON, -1, 0);
		CHECK(q != MAP_FAILED, "a spacer mapping");
	}
	CHECK(zero_page_dirt() == 0, "the zero page is all zeros at the end");
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
}

int main(void)
{
	single_pages();
	large_folios();
	harness_exit();
}
