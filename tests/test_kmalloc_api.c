// SPDX-License-Identifier: MIT
/*
 * The kmalloc API and its size classes, as Linux defines them.
 *
 * ksize() shows the class a request lands in (70 bytes in kmalloc-96, 150
 * in kmalloc-192, 4097 in kmalloc-8k); kmalloc(0) is ZERO_SIZE_PTR, which
 * kfree() ignores like NULL; the largest request (KMALLOC_MAX_SIZE, 128 KiB
 * unless kmalloc_max= says otherwise) is one physically contiguous block and
 * one byte more fails with a warning naming the size (quiet with
 * __GFP_NOWARN). kzalloc, kcalloc, kmalloc_array and krealloc keep their
 * promises (zeroes, overflow checks, contents kept, shrink in place), and
 * every object is physically contiguous, in the direct map, and naturally
 * aligned when its size is a power of two.
 */
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void size_classes(void)
{
	static const struct { size_t n, ks; } cls[] = {
		{ 1, 8 }, { 8, 8 }, { 9, 16 }, { 16, 16 }, { 17, 32 }, { 24, 32 },
		{ 33, 64 }, { 64, 64 }, { 65, 96 }, { 70, 96 }, { 96, 96 },
		{ 97, 128 }, { 128, 128 }, { 129, 192 }, { 150, 192 }, { 192, 192 },
		{ 193, 256 }, { 257, 512 }, { 1000, 1024 }, { 1025, 2048 },
		{ 4096, 4096 }, { 4097, 8192 }, { 8192, 8192 },
		/* Above 8 KiB: a compound page of the next order. */
		{ 8193, 16384 }, { 40000, 65536 },
	};

	for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		void *p = kmalloc(cls[i].n, GFP_KERNEL);

		CHECK(p != NULL && !ZERO_OR_NULL_PTR(p), "kmalloc(%zu)", cls[i].n);
		if (ZERO_OR_NULL_PTR(p))
			continue;
		CHECK(ksize(p) == cls[i].ks, "ksize(kmalloc(%zu)) = %zu, expected %zu",
		      cls[i].n, ksize(p), cls[i].ks);
		memset(p, 0x3c, ksize(p));	/* all of ksize() is the caller's */
		kfree(p);
	}
}

static void zero_and_null(void)
{
	unsigned long before;
	const char *out;
	void *p;

	p = kmalloc(0, GFP_KERNEL);
	CHECK(p == ZERO_SIZE_PTR, "kmalloc(0) = %p, expected ZERO_SIZE_PTR", p);
	CHECK(kzalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR, "kzalloc(0) is ZERO_SIZE_PTR too");
	CHECK(ksize(ZERO_SIZE_PTR) == 0 && ksize(NULL) == 0, "ksize of ZERO_SIZE_PTR/NULL is 0");

	before = settled_free_pages();
	capture_start();
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	out = capture_end();
	CHECK(out[0] == '\0', "kfree(ZERO_SIZE_PTR) and kfree(NULL) are silent; got:\n%s", out);
	CHECK(settled_free_pages() == before, "and free nothing");
}

/* Each page of [p, p + size) lies right after the previous one in RAM. */
static bool phys_contiguous(const void *p, size_t size)
{
	phys_addr_t base = virt_to_phys(p);

	for (size_t off = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1)); off < size;
	     off += PAGE_SIZE)
		if (virt_to_phys((const char *)p + off) != base + off)
			return false;
	return virt_to_phys((const char *)p + size - 1) - base == size - 1;
}

static void max_size(void)
{
	unsigned long before = settled_free_pages();
	char sz[32];
	const char *out;
	void *p;

	CHECK(KMALLOC_MAX_SIZE == 128 << 10, "KMALLOC_MAX_SIZE is 128K by default: %zu",
	      (size_t)KMALLOC_MAX_SIZE);
	p = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);
	REQUIRE(p != NULL, "kmalloc(KMALLOC_MAX_SIZE)");
	CHECK(ksize(p) == 128 << 10, "ksize = %zu", ksize(p));
	CHECK(phys_contiguous(p, KMALLOC_MAX_SIZE), "a 128K kmalloc is physically contiguous");
	memset(p, 0x77, KMALLOC_MAX_SIZE);
	CHECK(settled_free_pages() == before - 32, "it takes 32 frames: %lu -> %lu",
	      before, settled_free_pages());
	kfree(p);
	CHECK(settled_free_pages() == before, "kfree gives them back");

	snprintf(sz, sizeof(sz), "%zu", (size_t)KMALLOC_MAX_SIZE + 1);
	capture_start();
	p = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL);
	out = capture_end();
	CHECK(p == NULL, "kmalloc(KMALLOC_MAX_SIZE + 1) fails");
	CHECK(strstr(out, sz) != NULL, "with a warning naming %s; got:\n%s", sz, out);

	capture_start();
	p = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN);
	out = capture_end();
	CHECK(p == NULL, "with __GFP_NOWARN too");
	CHECK(out[0] == '\0', "but quietly; got:\n%s", out);

	capture_start();
	p = kmalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN);
	CHECK(p == NULL, "kmalloc(SIZE_MAX) fails");
	p = kmalloc((size_t)1 << 40, GFP_KERNEL | __GFP_NOWARN);
	CHECK(p == NULL, "kmalloc(1 TiB) fails");
	capture_end();
	CHECK(settled_free_pages() == before, "failures take nothing");
}

static void zeroing(void)
{
	static const size_t sizes[] = { 8, 64, 100, 192, 1024, 8192, 20000, 128 << 10 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], nz = 0;
		unsigned char *p = kmalloc(n, GFP_KERNEL), *q;

		REQUIRE(p, "kmalloc(%zu)", n);
		memset(p, 0xee, n);
		kfree(p);
		q = kzalloc(n, GFP_KERNEL);
		REQUIRE(q, "kzalloc(%zu)", n);
		for (size_t j = 0; j < n; j++)
			nz += q[j] != 0;
		CHECK(nz == 0, "kzalloc(%zu) (%s object) has %zu nonzero bytes", n,
		      p == q ? "the same" : "another", nz);
		kfree(q);
	}

	{
		unsigned char *p = kmalloc(1000, GFP_KERNEL), *q;
		size_t nz = 0;

		REQUIRE(p, "kmalloc(1000)");
		memset(p, 0xee, 1000);
		kfree(p);
		q = kcalloc(10, 100, GFP_KERNEL);
		REQUIRE(q, "kcalloc(10, 100)");
		CHECK(ksize(q) >= 1000, "kcalloc(10, 100) holds 1000 bytes: %zu", ksize(q));
		for (size_t j = 0; j < 1000; j++)
			nz += q[j] != 0;
		CHECK(nz == 0, "kcalloc zeroes: %zu nonzero bytes", nz);
		kfree(q);
	}
}

static void overflow(void)
{
	size_t n = SIZE_MAX / 2;
	unsigned long before = settled_free_pages();
	void *p;

	capture_start();
	p = kcalloc(n, 3, GFP_KERNEL);
	CHECK(p == NULL, "kcalloc(SIZE_MAX/2, 3) overflows: NULL, got %p", p);
	p = kmalloc_array(n, 3, GFP_KERNEL);
	CHECK(p == NULL, "kmalloc_array(SIZE_MAX/2, 3) overflows: NULL, got %p", p);
	p = kmalloc_array(3, n, GFP_KERNEL);
	CHECK(p == NULL, "kmalloc_array(3, SIZE_MAX/2) overflows: NULL, got %p", p);
	/* 2^33 * 2^31 = 2^64 wraps to 0: must not become kmalloc(0). */
	p = kmalloc_array((size_t)1 << 33, (size_t)1 << 31, GFP_KERNEL);
	CHECK(p == NULL, "kmalloc_array(2^33, 2^31) wraps to 0 but is NULL, got %p", p);
	capture_end();
	CHECK(settled_free_pages() == before, "overflows take nothing");

	p = kmalloc_array(16, 8, GFP_KERNEL);
	CHECK(p && ksize(p) == 128, "kmalloc_array(16, 8) is a 128-byte object");
	kfree(p);
}

static void reallocation(void)
{
	unsigned char *p, *q, *r;
	unsigned long before;

	p = krealloc(NULL, 50, GFP_KERNEL);
	REQUIRE(p && !ZERO_OR_NULL_PTR(p), "krealloc(NULL, 50) allocates");
	CHECK(ksize(p) == 64, "as kmalloc(50): ksize %zu", ksize(p));
	kfree(p);

	/* Contents that do not depend on the address, so a moved copy compares. */
	p = kmalloc(50, GFP_KERNEL);
	REQUIRE(p, "kmalloc(50)");
	for (int i = 0; i < 50; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	q = krealloc(p, 500, GFP_KERNEL);
	REQUIRE(q, "krealloc grows to 500");
	CHECK(q != p, "growing out of kmalloc-64 moves the object");
	for (int i = 0; i < 50; i++)
		CHECK(q[i] == (unsigned char)(i * 7 + 3), "byte %d kept across the move", i);
	for (int i = 50; i < 500; i++)
		q[i] = (unsigned char)(i * 7 + 3);

	r = krealloc(q, 100, GFP_KERNEL);
	CHECK(r == q, "shrinking stays in place: %p vs %p", r, q);
	for (int i = 0; i < 100; i++)
		CHECK(r[i] == (unsigned char)(i * 7 + 3), "byte %d kept across the shrink", i);

	q = krealloc(r, 20000, GFP_KERNEL);
	REQUIRE(q, "krealloc grows into a large kmalloc");
	CHECK(ksize(q) == 32768, "ksize %zu", ksize(q));
	for (int i = 0; i < 500; i++)
		CHECK(q[i] == (unsigned char)(i * 7 + 3), "byte %d kept into the large kmalloc", i);
	r = krealloc(q, 100000, GFP_KERNEL);
	REQUIRE(r, "and grows again");
	for (int i = 0; i < 500; i++)
		CHECK(r[i] == (unsigned char)(i * 7 + 3), "byte %d kept between large kmallocs", i);

	CHECK(krealloc(r, 0, GFP_KERNEL) == ZERO_SIZE_PTR, "krealloc(p, 0) is ZERO_SIZE_PTR");
	/* It freed r: the large kmalloc's 32 frames are back. */
	before = settled_free_pages();
	p = kmalloc(100000, GFP_KERNEL);
	REQUIRE(p, "kmalloc(100000)");
	CHECK(settled_free_pages() == before - 32, "a 100000-byte kmalloc takes 32 frames");
	CHECK(krealloc(p, 0, GFP_KERNEL) == ZERO_SIZE_PTR, "krealloc(p, 0)");
	CHECK(settled_free_pages() == before, "krealloc(p, 0) freed p: %lu vs %lu",
	      settled_free_pages(), before);

	p = krealloc(ZERO_SIZE_PTR, 10, GFP_KERNEL);
	CHECK(p && !ZERO_OR_NULL_PTR(p) && ksize(p) == 16, "krealloc(ZERO_SIZE_PTR, 10) allocates");
	kfree(p);
}

/* Power-of-two objects are aligned to their size; all are contiguous
 * physical memory in the direct map. */
static void placement(void)
{
	enum { PER = 40 };
	static void *objs[PER];
	size_t sizes[64];
	int ns = 0;

	for (size_t n = 8; n <= (128 << 10); n *= 2)
		sizes[ns++] = n;
	for (int i = 0; i < 20; i++)
		sizes[ns++] = 1 + test_rand() % (128 << 10);
	sizes[ns++] = 96;
	sizes[ns++] = 192;
	sizes[ns++] = 4097;

	for (int s = 0; s < ns; s++) {
		size_t n = sizes[s];
		int per = n > 8192 ? 4 : PER;

		for (int i = 0; i < per; i++) {
			unsigned char *p = objs[i] = kmalloc(n, GFP_KERNEL);
			phys_addr_t a;

			REQUIRE(p, "kmalloc(%zu)", n);
			if (!(n & (n - 1)))
				CHECK(((uintptr_t)p & (n - 1)) == 0,
				      "kmalloc(%zu) = %p is not %zu-aligned", n, (void *)p, n);
			else
				CHECK(((uintptr_t)p & 7) == 0, "kmalloc(%zu) = %p is 8-aligned",
				      n, (void *)p);
			a = virt_to_phys(p);
			CHECK(virt_to_phys(p + n - 1) - a == n - 1,
			      "kmalloc(%zu) = %p: last byte at phys %#llx, first at %#llx", n,
			      (void *)p, (unsigned long long)virt_to_phys(p + n - 1),
			      (unsigned long long)a);
			CHECK(phys_contiguous(p, n), "kmalloc(%zu) = %p contiguous page by page",
			      n, (void *)p);
			CHECK(phys_to_virt(a) == p && pfn_valid(PHYS_PFN(a)),
			      "kmalloc(%zu) = %p is in the direct map", n, (void *)p);
			p[0] = 1;
			p[n - 1] = 2;
		}
		for (int i = 0; i < per; i++)
			kfree(objs[i]);
	}
}

int main(void)
{
	void *p;

	test_seed();
	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	size_classes();
	zero_and_null();
	max_size();
	zeroing();
	overflow();
	reallocation();
	placement();
	CHECK(mmk_check(stderr) == 0, "invariants after the API tour");
	mmk_shutdown();

	/* kmalloc_max= moves the hard limit. */
	REQUIRE(mmk_boot("mem=128M kmalloc_max=64K") == 0, "boot with kmalloc_max=64K");
	CHECK(KMALLOC_MAX_SIZE == 64 << 10, "KMALLOC_MAX_SIZE follows kmalloc_max=: %zu",
	      (size_t)KMALLOC_MAX_SIZE);
	p = kmalloc(64 << 10, GFP_KERNEL);
	CHECK(p != NULL && ksize(p) == 64 << 10, "kmalloc(64K) works");
	kfree(p);
	capture_start();
	p = kmalloc((64 << 10) + 1, GFP_KERNEL);
	CHECK(p == NULL, "kmalloc(64K + 1) fails");
	p = kmalloc(128 << 10, GFP_KERNEL);
	CHECK(p == NULL, "kmalloc(128K) fails under kmalloc_max=64K");
	capture_end();
	mmk_shutdown();
	harness_exit();
}
