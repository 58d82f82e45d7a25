// SPDX-License-Identifier: MIT
/*
 * Atomic context: with interrupts or preemption disabled, in_atomic() is
 * true and an allocation that may sleep (GFP_KERNEL: __GFP_DIRECT_RECLAIM)
 * gets Linux's "BUG: sleeping function called from invalid context" report,
 * while GFP_ATOMIC and GFP_NOWAIT are quiet. Outside, GFP_KERNEL is quiet.
 */
#include <pthread.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define SLEEP_BUG "BUG: sleeping function called from invalid context"

static void quiet_alloc(gfp_t gfp, const char *what)
{
	struct page *page;
	const char *out;

	capture_start();
	page = alloc_page(gfp);
	out = capture_end();
	CHECK(page != NULL, "%s allocates", what);
	CHECK(!strstr(out, SLEEP_BUG), "%s: no report; got:\n%s", what, out);
	if (page)
		__free_page(page);
}

static void loud_alloc(gfp_t gfp, const char *what)
{
	struct page *page;
	const char *out;

	capture_start();
	page = alloc_page(gfp);
	out = capture_end();
	CHECK(strstr(out, SLEEP_BUG) != NULL, "%s in atomic context is reported; got:\n%s",
	      what, out);
	CHECK(strstr(out, "irqs_disabled()") != NULL, "with the context; got:\n%s", out);
	/* Like Linux, the report is a warning: the allocation goes ahead. */
	CHECK(page != NULL, "%s still allocates", what);
	if (page)
		__free_page(page);
}

static void *other_cpu(void *arg)
{
	(void)arg;
	CHECK(!in_atomic(), "another thread's context is its own");
	quiet_alloc(GFP_KERNEL, "GFP_KERNEL on another thread");
	return NULL;
}

int main(void)
{
	pthread_t t;
	const char *out;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	CHECK(!in_atomic(), "not atomic after boot");
	quiet_alloc(GFP_KERNEL, "GFP_KERNEL");

	local_irq_disable();
	CHECK(in_atomic(), "local_irq_disable makes the context atomic");
	CHECK(irqs_disabled(), "irqs_disabled");
	loud_alloc(GFP_KERNEL, "GFP_KERNEL");
	loud_alloc(GFP_NOFS, "GFP_NOFS");
	quiet_alloc(GFP_ATOMIC, "GFP_ATOMIC");
	quiet_alloc(GFP_NOWAIT, "GFP_NOWAIT");
	capture_start();
	might_sleep();
	out = capture_end();
	CHECK(strstr(out, SLEEP_BUG) != NULL, "might_sleep() in atomic context reports; got:\n%s",
	      out);
	REQUIRE(pthread_create(&t, NULL, other_cpu, NULL) == 0, "thread");
	pthread_join(t, NULL);
	local_irq_enable();
	CHECK(!in_atomic(), "local_irq_enable ends it");
	quiet_alloc(GFP_KERNEL, "GFP_KERNEL after local_irq_enable");

	preempt_disable();
	CHECK(in_atomic(), "preempt_disable makes the context atomic");
	loud_alloc(GFP_KERNEL, "GFP_KERNEL with preemption off");
	preempt_enable();
	CHECK(!in_atomic(), "preempt_enable ends it");
	capture_start();
	might_sleep();
	out = capture_end();
	CHECK(!*out, "might_sleep() outside atomic context is quiet; got:\n%s", out);

	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
