// SPDX-License-Identifier: MIT
/*
 * slub_debug poisoning catches a write after free. With P on kmalloc-128, a
 * freed object is filled with 0x6b (ending in 0xa5); a write into it after
 * kfree() is found when the allocator next tries to hand the object out:
 * "Poison overwritten" is reported with the object's address, the poison is
 * restored, and the object is isolated, so kmalloc() never returns it. All
 * other allocations keep working and returning clean objects. Run with
 * slub_debug=P,kmalloc-128 and with FZPU, writing near the start, in the
 * middle, and over the final 0xa5 ("End Poison").
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MAX_ALLOCS 10000

static void *held[MAX_ALLOCS];

static void write_after_free(const char *boot, long off, const char *what)
{
	struct kobj_set objs;
	unsigned char *p;
	const char *out;
	int n, returned = 0, failed = 0;
	bool seen;

	REQUIRE(mmk_boot(boot) == 0, "boot %s", boot);
	kobj_set_alloc(&objs);
	p = kmalloc(128, GFP_KERNEL);
	REQUIRE(p, "kmalloc(128)");
	memset(p, 0x33, 128);
	kfree(p);
	p[off] = 1;			/* the bug */

	capture_start();
	for (n = 0; n < MAX_ALLOCS; n++) {
		held[n] = kmalloc(128, GFP_KERNEL);
		if (!held[n]) {
			failed++;
			break;
		}
		if (held[n] == p)
			returned++;
	}
	out = capture_end();
	seen = strstr(out, "Poison overwritten") != NULL;
	CHECK(seen, "%s, p[%ld] = 1 after kfree: \"Poison overwritten\" in %d allocations; got:\n%.2000s",
	      boot, off, n, out);
	CHECK(strstr(out, what) != NULL, "%s: the report says \"%s\"", boot, what);
	CHECK(strstr(out, "BUG kmalloc-128") != NULL, "%s: names kmalloc-128; got:\n%.2000s", boot,
	      out);
	CHECK(names_address(out, p), "%s: names the object %p", boot, (void *)p);
	CHECK(strstr(out, "FIX kmalloc-128: Restoring") != NULL, "%s: says what it fixed", boot);
	CHECK(returned == 0, "%s: the corrupted object was handed out %d times", boot, returned);
	CHECK(failed == 0, "%s: allocation #%d failed", boot, n);

	/* Every object handed out is clean poison (P) or ours to use. */
	for (int i = 0; i < n; i++)
		memset(held[i], 0x44, 128);
	capture_start();
	for (int i = 0; i < n; i++)
		kfree(held[i]);
	for (int i = 0; i < 100; i++) {
		void *q = kmalloc(128, GFP_KERNEL);

		CHECK(q && q != p, "%s: kmalloc after the report", boot);
		kfree(q);
	}
	out = capture_end();
	CHECK(out[0] == '\0', "%s: no further reports; got:\n%.2000s", boot, out);
	CHECK(kobj_set_check(&objs) == 0, "%s: other objects intact", boot);
	kobj_set_free(&objs);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", boot);
	mmk_shutdown();
}

int main(void)
{
	write_after_free("mem=64M slub_debug=P,kmalloc-128", 10, "Poison");
	write_after_free("mem=64M slub_debug=P,kmalloc-128", 64, "Poison");
	write_after_free("mem=64M slub_debug=P,kmalloc-128", 127, "End Poison");
	write_after_free("mem=64M slub_debug=FZPU", 10, "Poison");
	write_after_free("mem=64M slub_debug=FZPU", 0, "Poison");
	harness_exit();
}
