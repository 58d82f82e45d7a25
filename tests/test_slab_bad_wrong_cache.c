// SPDX-License-Identifier: MIT
/*
 * Bad input: kmem_cache_free() to a cache the object does not belong to.
 * Without slub_debug, the check is always on (Linux's cache_from_obj under
 * SLAB_FREELIST_HARDENED): the free is reported as "Wrong slab cache",
 * naming both caches, and refused. The object stays allocated and usable,
 * can then be freed to its own cache, and nothing else changes; the same
 * holds for caches of the same object size and for a kmalloc object.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void wrong_free(struct kmem_cache *to, void *obj, size_t size, const char *owner,
		       const char *what)
{
	const char *out;

	obj_fill(obj, size, 0xbeef);
	capture_start();
	kmem_cache_free(to, obj);
	out = capture_end();
	CHECK(strstr(out, "Wrong slab cache") != NULL, "%s: reported; got:\n%s", what, out);
	CHECK(strstr(out, owner) != NULL, "%s: names the object's cache %s; got:\n%s", what,
	      owner, out);
	CHECK(names_address(out, obj), "%s: names the object; got:\n%s", what, out);
	CHECK(obj_check(obj, size, 0xbeef) == 0, "%s: the object is untouched", what);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
}

int main(void)
{
	struct kmem_cache *a, *b, *b2;
	struct live_set pages;
	struct kobj_set objs;
	void *ob[20], *oa, *ob2, *km, *again[200];
	const char *out;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	live_set_alloc(&pages);
	kobj_set_alloc(&objs);
	a = kmem_cache_create("test_cache_a", 48, 0, 0, NULL);
	b = kmem_cache_create("test_cache_b", 200, 0, 0, NULL);
	b2 = kmem_cache_create("test_cache_b2", 200, 0, 0, NULL);
	REQUIRE(a && b && b2, "caches");
	oa = kmem_cache_alloc(a, GFP_KERNEL);
	ob2 = kmem_cache_alloc(b2, GFP_KERNEL);
	km = kmalloc(200, GFP_KERNEL);
	for (int i = 0; i < 20; i++)
		ob[i] = kmem_cache_alloc(b, GFP_KERNEL);
	REQUIRE(oa && ob2 && km && ob[19], "objects");

	wrong_free(a, ob[5], 200, "test_cache_b", "kmem_cache_free(a, object of b)");
	wrong_free(b2, ob[6], 200, "test_cache_b", "kmem_cache_free(b2, object of b) (same size)");
	wrong_free(b, km, 200, "kmalloc-256", "kmem_cache_free(b, kmalloc object)");
	wrong_free(b, oa, 48, "test_cache_a", "kmem_cache_free(b, object of a)");

	/* The refused objects are still allocated: b never hands them out. */
	for (int i = 0; i < 200; i++) {
		again[i] = kmem_cache_alloc(b, GFP_KERNEL);
		REQUIRE(again[i], "b object %d", i);
		CHECK(again[i] != ob[5] && again[i] != ob[6], "b hands out a live object");
	}
	CHECK(obj_check(ob[5], 200, 0xbeef) == 0 && obj_check(ob[6], 200, 0xbeef) == 0 &&
	      obj_check(km, 200, 0xbeef) == 0 && obj_check(oa, 48, 0xbeef) == 0,
	      "the refused objects still hold their data");

	capture_start();
	for (int i = 0; i < 200; i++)
		kmem_cache_free(b, again[i]);
	for (int i = 0; i < 20; i++)
		kmem_cache_free(b, ob[i]);
	kmem_cache_free(a, oa);
	kmem_cache_free(b2, ob2);
	kfree(km);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	kmem_cache_destroy(b2);
	out = capture_end();
	CHECK(out[0] == '\0', "freed to their own caches, all caches empty out; got:\n%s", out);
	CHECK(live_set_check(&pages) == 0, "other pages intact");
	CHECK(kobj_set_check(&objs) == 0, "other objects intact");
	kobj_set_free(&objs);
	live_set_free(&pages);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
