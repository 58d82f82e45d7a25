// SPDX-License-Identifier: MIT
/*
 * Slab allocations in atomic context. With interrupts (or preemption)
 * disabled, kmalloc(GFP_KERNEL) may sleep and so gets Linux's "BUG:
 * sleeping function called from invalid context" report with its gfp,
 * even when the CPU's freelist could serve it without a slow path: the
 * check must not hide behind the fast path. kmem_cache_alloc, kzalloc and a
 * large kmalloc report too; GFP_ATOMIC and GFP_NOWAIT are silent. Like
 * Linux, the report is a warning and the allocation goes ahead.
 */
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define SLEEP_BUG "BUG: sleeping function called from invalid context"

static struct kmem_cache *cache;

static void *do_alloc(int how, gfp_t gfp)
{
	switch (how) {
	case 0: return kmalloc(64, gfp);
	case 1: return kzalloc(64, gfp);
	case 2: return kmem_cache_alloc(cache, gfp);
	case 3: return kmalloc(32 << 10, gfp);
	default: return kmalloc_array(4, 16, gfp);
	}
}

static void do_free(int how, void *p)
{
	if (how == 2)
		kmem_cache_free(cache, p);
	else
		kfree(p);
}

static const char *const names[] = {
	"kmalloc(64)", "kzalloc(64)", "kmem_cache_alloc", "kmalloc(32K)", "kmalloc_array(4, 16)",
};

static void warm(int how)
{
	/* Leave objects on this CPU's freelist so the fast path could serve. */
	void *p[4];

	for (int i = 0; i < 4; i++)
		p[i] = do_alloc(how, GFP_KERNEL);
	for (int i = 0; i < 4; i++)
		do_free(how, p[i]);
}

static void loud(int how, gfp_t gfp, const char *gfpname, const char *hex)
{
	char named[32];
	const char *out;
	void *p;

	snprintf(named, sizeof(named), "(%s", gfpname);	/* "0xcc0(GFP_KERNEL" */

	warm(how);
	local_irq_disable();
	capture_start();
	p = do_alloc(how, gfp);
	out = capture_end();
	local_irq_enable();
	CHECK(strstr(out, SLEEP_BUG) != NULL, "%s(%s) with irqs off is reported; got:\n%s",
	      names[how], gfpname, out);
	CHECK(strstr(out, hex) != NULL && strstr(out, named) != NULL,
	      "%s(%s): the report shows the gfp; got:\n%s", names[how], gfpname, out);
	CHECK(p != NULL, "%s(%s) still allocates", names[how], gfpname);
	if (p)
		do_free(how, p);

	warm(how);
	preempt_disable();
	capture_start();
	p = do_alloc(how, gfp);
	out = capture_end();
	preempt_enable();
	CHECK(strstr(out, SLEEP_BUG) != NULL, "%s(%s) with preemption off is reported; got:\n%s",
	      names[how], gfpname, out);
	if (p)
		do_free(how, p);
}

static void quiet(int how, gfp_t gfp, const char *gfpname, bool atomic)
{
	const char *out;
	void *p;

	warm(how);
	if (atomic)
		local_irq_disable();
	capture_start();
	p = do_alloc(how, gfp);
	if (p)
		do_free(how, p);
	out = capture_end();
	if (atomic)
		local_irq_enable();
	CHECK(p != NULL, "%s(%s) allocates", names[how], gfpname);
	CHECK(out[0] == '\0', "%s(%s)%s prints nothing; got:\n%s", names[how], gfpname,
	      atomic ? " with irqs off" : "", out);
}

int main(void)
{
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	cache = kmem_cache_create("test_atomic", 64, 0, 0, NULL);
	REQUIRE(cache, "cache");

	for (int how = 0; how < 5; how++) {
		quiet(how, GFP_KERNEL, "GFP_KERNEL", false);
		loud(how, GFP_KERNEL, "GFP_KERNEL", "gfp: 0x");
		loud(how, GFP_NOFS, "GFP_NOFS", "gfp: 0x");
		quiet(how, GFP_ATOMIC, "GFP_ATOMIC", true);
		quiet(how, GFP_NOWAIT, "GFP_NOWAIT", true);
		quiet(how, GFP_ATOMIC | __GFP_ZERO, "GFP_ATOMIC | __GFP_ZERO", true);
	}
	CHECK(!in_atomic(), "the context is back to normal");
	kmem_cache_destroy(cache);
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
