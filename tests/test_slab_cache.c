// SPDX-License-Identifier: MIT
/*
 * kmem_cache_create() and its flags, and kmem_cache_destroy().
 *
 * A constructor runs once per object when its slab is made, not at every
 * allocation, and the object keeps its constructed state across free and
 * allocation; SLAB_HWCACHE_ALIGN and an explicit alignment are honoured;
 * SLAB_CACHE_DMA slabs come from ZONE_DMA; SLAB_RED_ZONE and SLAB_POISON
 * catch an overflow and a write after free; kmem_cache_zalloc zeroes.
 * Destroying an empty cache gives all its memory back; destroying one with
 * live objects reports them by address, as Linux does, and leaves them
 * usable. Bad arguments fail with a message; with SLAB_PANIC they are fatal.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>

#include <mmkit/linux.h>
#include "harness.h"

#define CTOR_MAGIC 0xc0ffee00c0ffee00ul

static unsigned long ctor_calls;

static void ctor(void *obj)
{
	unsigned long *w = obj;

	ctor_calls++;
	for (int i = 0; i < 100 / 8; i++)
		w[i] = CTOR_MAGIC + (unsigned long)i;
}

static bool constructed(const void *obj)
{
	const unsigned long *w = obj;

	for (int i = 0; i < 100 / 8; i++)
		if (w[i] != CTOR_MAGIC + (unsigned long)i)
			return false;
	return true;
}

static void constructors(void)
{
	struct kmem_cache *s = kmem_cache_create("test_ctor", 100, 0, 0, ctor);
	struct slabinfo_line l;
	unsigned long per_slab;
	void *first, *objs[200];

	REQUIRE(s, "kmem_cache_create with a ctor");
	first = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(first, "first object");
	per_slab = ctor_calls;
	CHECK(per_slab > 1, "the first slab constructs all its objects: %lu ctor calls",
	      per_slab);
	CHECK(constructed(first), "the object comes constructed");
	REQUIRE(slabinfo_get("test_ctor", &l) == 0, "slabinfo lists test_ctor");
	CHECK(per_slab == l.objperslab, "ctor calls (%lu) == objects per slab (%lu)",
	      per_slab, l.objperslab);

	kmem_cache_free(s, first);
	for (int i = 0; i < 1000; i++) {
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		REQUIRE(p, "object %d", i);
		CHECK(constructed(p), "object %d handed out constructed", i);
		kmem_cache_free(s, p);
	}
	CHECK(ctor_calls == per_slab, "1000 alloc/free pairs call no ctor: %lu calls",
	      ctor_calls);

	/* One more object than a slab holds needs a second slab. */
	REQUIRE(per_slab + 1 <= 200, "objects per slab %lu", per_slab);
	for (unsigned long i = 0; i <= per_slab; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(objs[i], "object %lu", i);
		CHECK(constructed(objs[i]), "object %lu constructed", i);
	}
	CHECK(ctor_calls == 2 * per_slab, "a second slab: %lu ctor calls, expected %lu",
	      ctor_calls, 2 * per_slab);
	for (unsigned long i = 0; i <= per_slab; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
}

static void alignment(const char *name, unsigned int size, unsigned int align,
		      slab_flags_t flags, unsigned long want)
{
	struct kmem_cache *s = kmem_cache_create(name, size, align, flags, NULL);
	void *objs[300];

	REQUIRE(s, "kmem_cache_create(%s)", name);
	for (int i = 0; i < 300; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(objs[i], "%s object %d", name, i);
		CHECK(((uintptr_t)objs[i] & (want - 1)) == 0, "%s object %p not %lu-aligned",
		      name, objs[i], want);
		memset(objs[i], 0x11, size);
	}
	for (int i = 0; i < 300; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
}

static void dma_cache(void)
{
	struct kmem_cache *s = kmem_cache_create("test_dma", 700, 0, SLAB_CACHE_DMA, NULL);
	void *objs[100];

	REQUIRE(s, "SLAB_CACHE_DMA cache");
	for (int i = 0; i < 100; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(objs[i], "dma object %d", i);
		CHECK(virt_to_phys((char *)objs[i] + 699) < (16UL << 20),
		      "SLAB_CACHE_DMA object %d at phys %#llx", i,
		      (unsigned long long)virt_to_phys(objs[i]));
	}
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
}

/* SLAB_RED_ZONE and SLAB_POISON given at creation work as slub_debug=ZP. */
static void debug_flags(void)
{
	struct kmem_cache *s = kmem_cache_create("test_rzp", 50, 0,
						 SLAB_RED_ZONE | SLAB_POISON, NULL);
	unsigned char *p, *q, *r[20];
	const char *out;

	REQUIRE(s, "cache with SLAB_RED_ZONE | SLAB_POISON");
	p = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(p, "object");
	p[50] = 1;
	capture_start();
	kmem_cache_free(s, p);
	out = capture_end();
	CHECK(strstr(out, "BUG test_rzp (Not tainted): Right Redzone overwritten") != NULL,
	      "SLAB_RED_ZONE catches a write past the object; got:\n%s", out);

	q = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(q, "object");
	kmem_cache_free(s, q);
	q[3] = 7;
	capture_start();
	for (int i = 0; i < 20; i++) {
		r[i] = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(r[i] && r[i] != q, "the poisoned object is not handed out");
	}
	out = capture_end();
	CHECK(strstr(out, "BUG test_rzp (Not tainted): Poison overwritten") != NULL,
	      "SLAB_POISON catches a write after free; got:\n%s", out);
	for (int i = 0; i < 20; i++)
		kmem_cache_free(s, r[i]);
	CHECK(mmk_check(stderr) == 0, "invariants after the reports");
}

static void zalloc(void)
{
	struct kmem_cache *s = kmem_cache_create("test_zalloc", 300, 0, 0, NULL);
	unsigned char *p, *q;
	size_t nz = 0;

	REQUIRE(s, "cache");
	p = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(p, "object");
	memset(p, 0xff, 300);
	kmem_cache_free(s, p);
	q = kmem_cache_zalloc(s, GFP_KERNEL);
	REQUIRE(q, "zalloc");
	for (int i = 0; i < 300; i++)
		nz += q[i] != 0;
	CHECK(nz == 0, "kmem_cache_zalloc (%s object): %zu nonzero bytes",
	      p == q ? "the same" : "another", nz);
	q[0] = 0xff;
	kmem_cache_free(s, q);
	q = kmem_cache_alloc(s, GFP_KERNEL | __GFP_ZERO);
	REQUIRE(q, "alloc with __GFP_ZERO");
	nz = 0;
	for (int i = 0; i < 300; i++)
		nz += q[i] != 0;
	CHECK(nz == 0, "kmem_cache_alloc(__GFP_ZERO): %zu nonzero bytes", nz);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
}

static void destroy_empty(void)
{
	struct kmem_cache *s;
	unsigned long before;
	void *objs[2000];
	const char *out;

	/* A first create/destroy warms the cache of caches. */
	s = kmem_cache_create("test_warm", 64, 0, 0, NULL);
	kmem_cache_destroy(s);

	before = settled_free_pages();
	s = kmem_cache_create("test_empty", 200, 0, 0, NULL);
	REQUIRE(s, "cache");
	for (int i = 0; i < 2000; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(objs[i], "object %d", i);
	}
	CHECK(settled_free_pages() + 2000 * 200 / PAGE_SIZE <= before,
	      "2000 objects take pages: %lu -> %lu", before, settled_free_pages());
	for (int i = 0; i < 2000; i++)
		kmem_cache_free(s, objs[i]);
	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(out[0] == '\0', "destroying an empty cache is quiet; got:\n%s", out);
	CHECK(settled_free_pages() == before, "and returns all its memory: %lu vs %lu",
	      settled_free_pages(), before);
	CHECK(slabinfo_get("test_empty", &(struct slabinfo_line){ 0 }) != 0,
	      "the cache is gone from slabinfo");
}

/* Does the report list @p as a remaining object ("Object 0x...")? */
static bool lists_object(const char *out, const void *p)
{
	char a[48];

	snprintf(a, sizeof(a), "Object 0x%016lx", (unsigned long)p);
	return strstr(out, a) != NULL;
}

static void destroy_busy(void)
{
	struct kmem_cache *s = kmem_cache_create("test_busy", 128, 0, 0, NULL);
	void *live[3], *other[50];
	unsigned long before;
	const char *out;

	REQUIRE(s, "cache");
	for (int i = 0; i < 50; i++)
		other[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 3; i++) {
		live[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(live[i], "live object");
		obj_fill(live[i], 128, (unsigned long)i);
	}
	for (int i = 0; i < 50; i++)
		kmem_cache_free(s, other[i]);

	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(strstr(out, "Slab cache still has objects") != NULL, "reported; got:\n%s", out);
	CHECK(strstr(out, "Objects remaining") != NULL, "\"Objects remaining\"; got:\n%s", out);
	CHECK(strstr(out, "test_busy") != NULL, "naming the cache; got:\n%s", out);
	for (int i = 0; i < 3; i++)
		CHECK(lists_object(out, live[i]), "the report names live object %p; got:\n%s",
		      live[i], out);
	for (int i = 0; i < 50; i++)
		CHECK(!lists_object(out, other[i]), "but not freed object %p", other[i]);
	CHECK(mmk_check(stderr) == 0, "invariants after the refused destroy");

	for (int i = 0; i < 3; i++) {
		CHECK(obj_check(live[i], 128, (unsigned long)i) == 0, "live object %d intact", i);
		obj_fill(live[i], 128, 100 + (unsigned long)i);	/* still writable */
	}
	{
		void *p = kmem_cache_alloc(s, GFP_KERNEL);

		CHECK(p != NULL, "the cache still allocates");
		kmem_cache_free(s, p);
	}
	for (int i = 0; i < 3; i++) {
		CHECK(obj_check(live[i], 128, 100 + (unsigned long)i) == 0, "live object %d", i);
		kmem_cache_free(s, live[i]);
	}
	before = settled_free_pages();
	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(out[0] == '\0', "once empty it is destroyed quietly; got:\n%s", out);
	CHECK(settled_free_pages() > before, "giving its slab back");
}

static void bad_args(void)
{
	static const struct { const char *name; unsigned int size, align; } bad[] = {
		{ "test_size0", 0, 0 },
		{ "test_align3", 64, 3 },
		{ "test_align96", 64, 96 },
		{ "test_huge", 0x80000000u, 0 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kmem_cache *s;
		const char *out;

		capture_start();
		s = kmem_cache_create(bad[i].name, bad[i].size, bad[i].align, 0, NULL);
		out = capture_end();
		CHECK(s == NULL, "kmem_cache_create(%s, %u, %u) fails", bad[i].name,
		      bad[i].size, bad[i].align);
		CHECK(strstr(out, bad[i].name) != NULL, "with a message naming it; got:\n%s",
		      out);
		if (s)
			kmem_cache_destroy(s);
	}
}

static void panic_create(void *arg)
{
	(void)arg;
	kmem_cache_create("test_panic", 0, 0, SLAB_PANIC, NULL);
	/* Not reached: SLAB_PANIC makes the failure fatal. */
}

int main(void)
{
	const char *out;
	int st;

	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	constructors();
	alignment("test_hw40", 40, 0, SLAB_HWCACHE_ALIGN, 64);
	alignment("test_hw100", 100, 0, SLAB_HWCACHE_ALIGN, 64);
	alignment("test_hw20", 20, 0, SLAB_HWCACHE_ALIGN, 32);
	alignment("test_align128", 100, 128, 0, 128);
	alignment("test_align256", 24, 256, SLAB_HWCACHE_ALIGN, 256);
	alignment("test_plain", 24, 0, 0, 8);
	dma_cache();
	debug_flags();
	zalloc();
	destroy_empty();
	destroy_busy();
	bad_args();
	CHECK(mmk_check(stderr) == 0, "invariants");

	/* The failure happens before any memory is touched, so the child's
	 * copy of the (shared) machine is not changed. */
	st = run_in_child(panic_create, NULL, &out);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
	      "SLAB_PANIC failure aborts: status %#x; output:\n%s", st, out);
	CHECK(strstr(out, "test_panic") != NULL, "naming the cache; got:\n%s", out);
	mmk_shutdown();
	harness_exit();
}
