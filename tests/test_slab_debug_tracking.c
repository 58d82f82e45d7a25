// SPDX-License-Identifier: MIT
/*
 * slub_debug=U records who allocated and who freed each object, and the
 * reports print it as Linux does: "Allocated in <function>+0x.. age=..
 * cpu=.. pid=<pid>" and "Freed in ...". A double free of a kmalloc object
 * shows both call sites; destroying a cache with a live object shows where
 * that object was allocated. The call sites are functions of this program
 * (global and visible, since the tests build with -fvisibility=hidden, so
 * that the symbolizer can name them).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include "harness.h"

void *tracked_alloc_site(size_t size);
void tracked_free_site(void *p);
void *tracked_cache_alloc_site(struct kmem_cache *s);

__attribute__((noinline, visibility("default"))) void *tracked_alloc_site(size_t size)
{
	void *p = kmalloc(size, GFP_KERNEL);

	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return p;
}

__attribute__((noinline, visibility("default"))) void tracked_free_site(void *p)
{
	kfree(p);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, visibility("default"))) void *tracked_cache_alloc_site(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	__asm__ volatile("" ::: "memory");
	return p;
}

int main(void)
{
	char pid[32];
	struct kmem_cache *s;
	const char *out;
	void *p, *q;

	snprintf(pid, sizeof(pid), "pid=%d", (int)getpid());
	REQUIRE(mmk_boot("mem=64M slub_debug=U") == 0, "boot");

	p = tracked_alloc_site(100);
	q = tracked_alloc_site(100);
	REQUIRE(p && q, "kmalloc(100)");
	tracked_free_site(p);
	tracked_free_site(q);
	capture_start();
	kfree(p);		/* a double free, buried under q */
	out = capture_end();
	CHECK(strstr(out, "Object already free") != NULL, "the double free is reported; got:\n%s",
	      out);
	CHECK(strstr(out, "Allocated in tracked_alloc_site") != NULL,
	      "\"Allocated in tracked_alloc_site\"; got:\n%s", out);
	CHECK(strstr(out, "Freed in tracked_free_site") != NULL,
	      "\"Freed in tracked_free_site\"; got:\n%s", out);
	CHECK(strstr(out, pid) != NULL, "with %s; got:\n%s", pid, out);
	CHECK(strstr(out, "age=") && strstr(out, "cpu="), "and age= and cpu=; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants after the report");

	s = kmem_cache_create("test_track", 72, 0, 0, NULL);
	REQUIRE(s, "cache");
	p = tracked_cache_alloc_site(s);
	REQUIRE(p, "object");
	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(strstr(out, "Objects remaining") != NULL, "destroy reports the live object; got:\n%s",
	      out);
	CHECK(strstr(out, "Allocated in tracked_cache_alloc_site") != NULL,
	      "with its allocation site; got:\n%s", out);
	CHECK(strstr(out, pid) != NULL, "and %s; got:\n%s", pid, out);
	kmem_cache_free(s, p);
	capture_start();
	kmem_cache_destroy(s);
	out = capture_end();
	CHECK(out[0] == '\0', "then it is destroyed quietly; got:\n%s", out);
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
