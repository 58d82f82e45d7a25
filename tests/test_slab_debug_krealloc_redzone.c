// SPDX-License-Identifier: MIT
/*
 * The kmalloc red zone (slub_debug=Z: the bytes between the size asked for
 * and the object size) must follow the size the caller may use, as in
 * Linux, or it reports correct programs and misses real overflows:
 *
 *   - ksize() hands the caller the whole object, so Linux stops checking
 *     that object's kmalloc red zone (skip_orig_size_check() in __ksize()):
 *     writing ksize() bytes is legal;
 *   - krealloc() within the object updates the recorded size: growing from
 *     60 to 62 bytes in place makes bytes 60..61 the caller's; shrinking to
 *     10 bytes makes bytes 10..63 red zone again (__do_krealloc sets
 *     orig_size and re-poisons the tail with SLUB_RED_ACTIVE);
 *   - krealloc(__GFP_ZERO) shrinking in place zeroes the caller's bytes,
 *     not the red zone.
 *
 * Each legal case must free without a report (and really free the object);
 * the overflow after a shrink must be reported.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

static void quiet_free(void *p, const char *what)
{
	const char *out;

	capture_start();
	kfree(p);
	out = capture_end();
	CHECK(strstr(out, "BUG") == NULL, "%s: a legal use is reported; got:\n%.3000s", what, out);
}

int main(void)
{
	unsigned char *p, *q;
	const char *out;

	REQUIRE(mmk_boot("mem=64M slub_debug=Z") == 0, "boot");

	p = kmalloc(60, GFP_KERNEL);
	REQUIRE(p && ksize(p) == 64, "kmalloc(60) is a 64-byte object");
	memset(p, 0x5c, ksize(p));
	quiet_free(p, "writing all ksize() bytes of kmalloc(60)");

	p = kmalloc(60, GFP_KERNEL);
	REQUIRE(p, "kmalloc(60)");
	q = krealloc(p, 62, GFP_KERNEL);
	REQUIRE(q == p, "krealloc(60 -> 62) stays in place");
	q[60] = 1;
	q[61] = 2;
	quiet_free(q, "krealloc(60 -> 62) then writing bytes 60..61");

	p = kmalloc(60, GFP_KERNEL);
	REQUIRE(p, "kmalloc(60)");
	memset(p, 0x11, 60);
	q = krealloc(p, 30, GFP_KERNEL | __GFP_ZERO);
	REQUIRE(q == p, "krealloc(60 -> 30, __GFP_ZERO) stays in place");
	quiet_free(q, "krealloc(60 -> 30, __GFP_ZERO)");

	p = kmalloc(60, GFP_KERNEL);
	REQUIRE(p, "kmalloc(60)");
	q = krealloc(p, 10, GFP_KERNEL);
	REQUIRE(q == p, "krealloc(60 -> 10) stays in place");
	q[20] = 1;		/* past the 10 bytes the caller now owns */
	capture_start();
	kfree(q);
	out = capture_end();
	CHECK(strstr(out, "kmalloc Redzone overwritten") != NULL,
	      "a write past a shrunk krealloc is an overflow; got:\n%.3000s", out);

	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
