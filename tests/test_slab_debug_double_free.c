// SPDX-License-Identifier: MIT
/*
 * slub_debug=FZPU catches every double free, not just the naive one: kfree()
 * of an object that is somewhere on its slab's freelist, after other frees
 * have buried it, is reported as Linux does ("BUG kmalloc-64 (Not tainted):
 * Object already free", with the object and where it was allocated and
 * freed), and changes nothing: no object is handed out twice afterwards,
 * the invariant checker is clean and every other object is intact.
 */
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define N 100

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static void buried_double_free(size_t size, const char *cache)
{
	static void *objs[N], *again[3 * N];
	char bug[96];
	const char *out;
	void *p;
	int dup = 0;

	for (int i = 0; i < N; i++) {
		objs[i] = kmalloc(size, GFP_KERNEL);
		REQUIRE(objs[i], "kmalloc(%zu)", size);
	}
	p = objs[N / 2];
	kfree(p);
	for (int i = 0; i < N; i += 3)	/* bury p under other frees */
		if (objs[i] != p) {
			kfree(objs[i]);
			objs[i] = NULL;
		}
	objs[N / 2] = NULL;

	capture_start();
	kfree(p);
	out = capture_end();
	snprintf(bug, sizeof(bug), "BUG %s (Not tainted): Object already free", cache);
	CHECK(strstr(out, bug) != NULL, "kmalloc(%zu): \"%s\"; got:\n%s", size, bug, out);
	CHECK(names_address(out, p), "the report names the object %p; got:\n%s", p, out);
	CHECK(strstr(out, "Allocated in") != NULL && strstr(out, "Freed in") != NULL,
	      "with its alloc and free tracks (U); got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "kmalloc(%zu): invariants after the report", size);

	for (int i = 0; i < 3 * N; i++) {
		again[i] = kmalloc(size, GFP_KERNEL);
		REQUIRE(again[i], "kmalloc(%zu) again", size);
		for (int j = 0; j < N; j++)
			CHECK(again[i] != objs[j] || !objs[j], "a live object handed out");
	}
	qsort(again, 3 * N, sizeof(again[0]), cmp_ptr);
	for (int i = 1; i < 3 * N; i++)
		dup += again[i] == again[i - 1];
	CHECK(dup == 0, "kmalloc(%zu): %d objects handed out twice", size, dup);

	capture_start();
	for (int i = 0; i < 3 * N; i++)
		if (!i || again[i] != again[i - 1])
			kfree(again[i]);
	for (int i = 0; i < N; i++)
		kfree(objs[i]);
	out = capture_end();
	CHECK(out[0] == '\0', "kmalloc(%zu): the rest frees quietly; got:\n%s", size, out);
}

int main(void)
{
	struct kobj_set objs;
	struct kmem_cache *s;
	const char *out;
	void *a, *b;

	REQUIRE(mmk_boot("mem=64M slub_debug=FZPU") == 0, "boot");
	kobj_set_alloc(&objs);

	buried_double_free(64, "kmalloc-64");
	buried_double_free(60, "kmalloc-64");
	buried_double_free(700, "kmalloc-1k");

	/* Caches of our own get the checks too. */
	s = kmem_cache_create("test_dbl", 40, 0, 0, NULL);
	REQUIRE(s, "cache");
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(a && b, "objects");
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	capture_start();
	kmem_cache_free(s, a);
	out = capture_end();
	CHECK(strstr(out, "BUG test_dbl (Not tainted): Object already free") != NULL,
	      "kmem_cache_free twice; got:\n%s", out);
	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(out[0] == '\0', "the cache is empty and is destroyed quietly; got:\n%s", out);

	CHECK(kobj_set_check(&objs) == 0, "other objects intact");
	kobj_set_free(&objs);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
