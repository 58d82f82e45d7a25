// SPDX-License-Identifier: MIT
/*
 * Bad input: kfree() of the same object twice in a row, without slub_debug.
 * The hardened fast path catches this naive case as Linux does (the object
 * is already the head of the freelist it would be pushed on), whether the
 * freelist is the CPU's own (freed on the allocating CPU) or the slab's
 * (freed twice from another CPU). It is reported as "Object already free"
 * and ignored, so the freelist never becomes a cycle: the next two
 * kmalloc()s return different objects, a batch of allocations returns no
 * object twice, and every other object is intact.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define BATCH 300

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* BATCH kmalloc(@size)s are all different objects. */
static void no_cycle(size_t size, const char *what)
{
	static void *objs[BATCH];
	void *a, *b;
	int dup = 0;

	a = kmalloc(size, GFP_KERNEL);
	b = kmalloc(size, GFP_KERNEL);
	CHECK(a && b && a != b, "%s: the next two kmalloc(%zu) differ: %p %p", what, size, a, b);
	kfree(a);
	kfree(b);
	for (int i = 0; i < BATCH; i++) {
		objs[i] = kmalloc(size, GFP_KERNEL);
		REQUIRE(objs[i], "%s: kmalloc(%zu) #%d", what, size, i);
	}
	qsort(objs, BATCH, sizeof(objs[0]), cmp_ptr);
	for (int i = 1; i < BATCH; i++)
		dup += objs[i] == objs[i - 1];
	CHECK(dup == 0, "%s: %d objects handed out twice in %d allocations", what, dup, BATCH);
	for (int i = 0; i < BATCH; i++)
		if (!i || objs[i] != objs[i - 1])
			kfree(objs[i]);
}

static void check_report(const char *out, const void *p, const char *what)
{
	CHECK(strstr(out, "Object already free") != NULL, "%s: reported; got:\n%s", what, out);
	CHECK(names_address(out, p), "%s: names the object %p; got:\n%s", what, p, out);
	CHECK(strstr(out, "kmalloc-") != NULL, "%s: names the cache; got:\n%s", what, out);
}

static void *victim;
static const char *remote_out;

static void *free_twice_remote(void *arg)
{
	(void)arg;
	kfree(victim);
	capture_start();
	kfree(victim);
	remote_out = capture_end();
	return NULL;
}

int main(void)
{
	static const size_t sizes[] = { 8, 64, 192, 1024, 8192 };
	struct kobj_set objs;
	struct live_set pages;
	const char *out;

	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	live_set_alloc(&pages);
	kobj_set_alloc(&objs);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];
		void *p = kmalloc(sizes[i], GFP_KERNEL);

		REQUIRE(p, "kmalloc(%zu)", sizes[i]);
		snprintf(what, sizeof(what), "same CPU, kmalloc(%zu)", sizes[i]);
		kfree(p);
		capture_start();
		kfree(p);
		out = capture_end();
		check_report(out, p, what);
		CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
		no_cycle(sizes[i], what);
	}

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[64];
		pthread_t t;

		victim = kmalloc(sizes[i], GFP_KERNEL);
		REQUIRE(victim, "kmalloc(%zu)", sizes[i]);
		snprintf(what, sizeof(what), "another CPU, kmalloc(%zu)", sizes[i]);
		REQUIRE(pthread_create(&t, NULL, free_twice_remote, NULL) == 0, "thread");
		pthread_join(t, NULL);
		check_report(remote_out, victim, what);
		CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
		no_cycle(sizes[i], what);
	}

	CHECK(kobj_set_check(&objs) == 0, "other objects intact");
	CHECK(live_set_check(&pages) == 0, "other pages intact");
	capture_start();
	kobj_set_free(&objs);
	live_set_free(&pages);
	out = capture_end();
	CHECK(out[0] == '\0', "and free quietly; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
