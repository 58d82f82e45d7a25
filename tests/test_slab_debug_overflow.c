// SPDX-License-Identifier: MIT
/*
 * slub_debug red zones catch a one-byte overflow. With Z on kmalloc-64,
 * kmalloc(60) leaves bytes 60..63 as a red zone (Linux's kmalloc redzone),
 * and every object has red zones on both sides. Writing one byte past the
 * requested size, past the object, or before it is reported when the object
 * is freed ("kmalloc Redzone overwritten", "Right Redzone overwritten",
 * "Left Redzone overwritten"), the bytes are restored ("FIX kmalloc-64:
 * Restoring ..."), and the object is not freed. Its neighbours in the slab
 * keep their contents, the invariant checker is clean, and allocation and
 * freeing go on without further reports. Run with slub_debug=FZ,kmalloc-64
 * and with plain Z.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define N 40

struct overflow_case {
	size_t size;
	long offset;		/* of the byte written, from the object */
	const char *what;	/* the report's "... overwritten" */
};

static void overflow(const struct overflow_case *c, const char *boot)
{
	static unsigned char *objs[N];
	unsigned char *p;
	char fix[96], notfreed[96];
	const char *out;

	for (int i = 0; i < N; i++) {
		objs[i] = kmalloc(c->size, GFP_KERNEL);
		REQUIRE(objs[i], "kmalloc(%zu)", c->size);
		obj_fill(objs[i], c->size, (unsigned long)i);
	}
	p = objs[N / 2];
	p[c->offset] = 'x';

	capture_start();
	kfree(p);
	out = capture_end();
	snprintf(fix, sizeof(fix), "FIX kmalloc-64: Restoring %s", c->what);
	snprintf(notfreed, sizeof(notfreed), "Object at 0x%016lx not freed", (unsigned long)p);
	CHECK(strstr(out, "BUG kmalloc-64") != NULL, "%s, p[%ld] of kmalloc(%zu): a BUG report; got:\n%s",
	      boot, c->offset, c->size, out);
	CHECK(strstr(out, c->what) && strstr(out, "overwritten"), "%s: \"%s overwritten\"; got:\n%s",
	      boot, c->what, out);
	CHECK(strstr(out, fix) != NULL, "%s: \"%s\"; got:\n%s", boot, fix, out);
	CHECK(strstr(out, notfreed) != NULL, "%s: \"%s\"; got:\n%s", boot, notfreed, out);
	CHECK(p[c->offset] != 'x', "%s: the red zone byte was restored", boot);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the report", boot);

	for (int i = 0; i < N; i++)
		if (i != N / 2)
			CHECK(obj_check(objs[i], c->size, (unsigned long)i) == 0,
			      "%s: neighbour %d intact", boot, i);
	CHECK(obj_check(p, c->size, N / 2) == 0, "%s: the object's own data is intact", boot);

	/* The object was not freed: it is never handed out; nothing else
	 * reports. */
	capture_start();
	for (int i = 0; i < N; i++)
		if (i != N / 2)
			kfree(objs[i]);
	for (int i = 0; i < N; i++) {
		objs[i] = kmalloc(c->size, GFP_KERNEL);
		CHECK(objs[i] && objs[i] != p, "%s: kmalloc works and does not return %p", boot,
		      (void *)p);
	}
	for (int i = 0; i < N; i++)
		kfree(objs[i]);
	out = capture_end();
	CHECK(out[0] == '\0', "%s: the neighbours free quietly; got:\n%s", boot, out);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", boot);
}

static void run(const char *boot)
{
	static const struct overflow_case cases[] = {
		{ 60, 60, "kmalloc Redzone" },	/* one past the request */
		{ 60, 63, "kmalloc Redzone" },	/* the last byte of the object */
		{ 64, 64, "Right Redzone" },	/* one past the object */
		{ 33, 64, "Right Redzone" },
		{ 64, -1, "Left Redzone" },	/* one before it */
	};
	struct kobj_set objs;

	REQUIRE(mmk_boot(boot) == 0, "boot %s", boot);
	kobj_set_alloc(&objs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		overflow(&cases[i], boot);

	/* Writing all of the requested size is fine. */
	{
		const char *out;
		unsigned char *p;

		capture_start();
		p = kmalloc(60, GFP_KERNEL);
		memset(p, 0xff, 60);
		kfree(p);
		out = capture_end();
		CHECK(out[0] == '\0', "%s: a full 60-byte write is no overflow; got:\n%s", boot, out);
	}
	CHECK(kobj_set_check(&objs) == 0, "%s: other objects intact", boot);
	kobj_set_free(&objs);
	CHECK(mmk_check(stderr) == 0, "%s: invariants at the end", boot);
	mmk_shutdown();
}

int main(void)
{
	run("mem=64M slub_debug=FZ,kmalloc-64");
	run("mem=64M slub_debug=Z");
	harness_exit();
}
