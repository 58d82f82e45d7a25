// SPDX-License-Identifier: MIT
/*
 * Interrupt context. irq_enter()/irq_exit() bracket a handler that the
 * calling CPU thread runs: inside, the preempt count carries
 * HARDIRQ_OFFSET per nesting level (as Linux's hardirq bits), interrupts
 * are off and in_interrupt()/in_hardirq() are true. An allocation that
 * may sleep (GFP_KERNEL) is then a bug and gets Linux's "sleeping function
 * called from invalid context" report with the handler's preempt count;
 * GFP_ATOMIC allocations are silent. irq_exit() restores the interrupt
 * state irq_enter() found, warns when there is no handler to leave, and
 * vfree() from a handler defers its teardown to process context. The
 * state is per CPU thread: one thread's handler is invisible to another.
 */
#include <pthread.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define SLEEP_BUG "BUG: sleeping function called from invalid context"

/* Outside any handler, with nothing disabled. */
static void check_task_context(const char *when)
{
	CHECK(!in_interrupt(), "%s: in_interrupt() is false", when);
	CHECK(!in_hardirq() && !in_irq(), "%s: in_hardirq() is false", when);
	CHECK(in_task(), "%s: in_task() is true", when);
	CHECK(preempt_count() == 0, "%s: preempt_count() is 0, not %#x", when,
	      preempt_count());
	CHECK(!irqs_disabled(), "%s: interrupts are enabled", when);
	CHECK(!in_atomic(), "%s: in_atomic() is false", when);
}

static void test_enter_exit(void)
{
	check_task_context("at start");

	irq_enter();
	CHECK(in_interrupt(), "in a handler: in_interrupt()");
	CHECK(in_hardirq(), "in a handler: in_hardirq()");
	CHECK(in_irq(), "in a handler: in_irq()");
	CHECK(!in_task(), "in a handler: not in_task()");
	CHECK(irqs_disabled(), "in a handler: interrupts are off");
	CHECK(in_atomic(), "in a handler: in_atomic()");
	CHECK(preempt_count() == HARDIRQ_OFFSET, "in a handler: preempt_count() %#x, want %#x",
	      preempt_count(), HARDIRQ_OFFSET);

	irq_enter();	/* a nested interrupt */
	CHECK(preempt_count() == 2 * HARDIRQ_OFFSET, "nested: preempt_count() %#x, want %#x",
	      preempt_count(), 2 * HARDIRQ_OFFSET);
	CHECK(in_interrupt() && in_hardirq() && !in_task(), "nested: still interrupt context");
	irq_exit();
	CHECK(preempt_count() == HARDIRQ_OFFSET, "after the nested exit: %#x, want %#x",
	      preempt_count(), HARDIRQ_OFFSET);
	CHECK(irqs_disabled(), "after the nested exit: interrupts are still off");
	CHECK(in_interrupt(), "after the nested exit: still in the outer handler");
	irq_exit();
	check_task_context("after both irq_exit()");

	/* Interrupts that were off before the handler stay off after it. */
	local_irq_disable();
	irq_enter();
	CHECK(preempt_count() == HARDIRQ_OFFSET, "irqs off, in a handler: %#x", preempt_count());
	irq_enter();
	irq_exit();
	irq_exit();
	CHECK(irqs_disabled(), "interrupts disabled before irq_enter() stay disabled after irq_exit()");
	CHECK(preempt_count() == 0, "irqs off, after the handler: preempt_count() %#x",
	      preempt_count());
	CHECK(!in_interrupt() && in_task(), "irqs off, after the handler: task context");
	local_irq_enable();
	check_task_context("after local_irq_enable()");

	/* And a later handler with interrupts on re-enables them at exit:
	 * the saved state does not leak from the previous handler. */
	irq_enter();
	irq_exit();
	check_task_context("after a second handler");

	/* Preemption disabled around a handler: the count carries both. */
	preempt_disable();
	irq_enter();
	CHECK(preempt_count() == HARDIRQ_OFFSET + 1, "preempt off, then a handler: %#x",
	      preempt_count());
	irq_exit();
	CHECK(preempt_count() == 1 && !irqs_disabled(), "preempt off after the handler: %#x, irqs %d",
	      preempt_count(), irqs_disabled());
	preempt_enable();
	check_task_context("after preempt_enable()");
}

static void test_allocations(void)
{
	const char *out;
	struct page *page;
	void *p;

	/* GFP_ATOMIC is what a handler uses: silent, and it works. */
	irq_enter();
	capture_start();
	p = kmalloc(64, GFP_ATOMIC);
	page = alloc_page(GFP_ATOMIC);
	if (p)
		memset(p, 0xa5, 64);
	if (page)
		memset(page_address(page), 0x5a, PAGE_SIZE);
	kfree(p);
	if (page)
		__free_page(page);
	out = capture_end();
	irq_exit();
	CHECK(p != NULL, "kmalloc(64, GFP_ATOMIC) in a handler allocates");
	CHECK(page != NULL, "alloc_page(GFP_ATOMIC) in a handler allocates");
	CHECK(out[0] == '\0', "GFP_ATOMIC in a handler prints nothing; got:\n%s", out);

	/* GFP_KERNEL may sleep: a bug in a handler, reported with the count. */
	irq_enter();
	capture_start();
	p = kmalloc(64, GFP_KERNEL);
	out = capture_end();
	irq_exit();
	CHECK(strstr(out, SLEEP_BUG) != NULL, "kmalloc(GFP_KERNEL) in a handler is reported; got:\n%s",
	      out);
	CHECK(strstr(out, "preempt_count: 10000") != NULL,
	      "the report shows the handler's preempt count 10000; got:\n%s", out);
	CHECK(strstr(out, "in_atomic(): 1, irqs_disabled(): 1") != NULL,
	      "the report shows atomic with irqs off; got:\n%s", out);
	CHECK(p != NULL, "the report is a warning: kmalloc(GFP_KERNEL) still allocates");
	kfree(p);

	/* Preemption disabled inside the handler adds to the count. */
	irq_enter();
	preempt_disable();
	CHECK(preempt_count() == HARDIRQ_OFFSET + 1, "preempt_disable in a handler: %#x",
	      preempt_count());
	capture_start();
	p = kmalloc(64, GFP_KERNEL);
	out = capture_end();
	preempt_enable();
	irq_exit();
	CHECK(strstr(out, SLEEP_BUG) != NULL && strstr(out, "preempt_count: 10001") != NULL,
	      "preempt_disable in a handler shows preempt_count 10001; got:\n%s", out);
	kfree(p);

	/* Back in process context GFP_KERNEL is fine again. */
	capture_start();
	p = kmalloc(64, GFP_KERNEL);
	out = capture_end();
	CHECK(p != NULL && out[0] == '\0', "GFP_KERNEL after the handler is silent; got:\n%s", out);
	kfree(p);
	check_task_context("after the allocations");
}

static void test_unbalanced_exit(void)
{
	const char *out;

	capture_start();
	irq_exit();
	out = capture_end();
	CHECK(strstr(out, "WARNING") != NULL, "irq_exit() without irq_enter() warns; got:\n%s", out);
	CHECK(preempt_count() == 0, "the bad irq_exit() leaves preempt_count() 0, not %#x",
	      preempt_count());
	check_task_context("after a bad irq_exit()");

	/* The machine still works: a real handler after it is normal. */
	irq_enter();
	CHECK(preempt_count() == HARDIRQ_OFFSET, "a handler after the bad exit: %#x",
	      preempt_count());
	irq_exit();
	check_task_context("after the handler that followed the bad exit");
}

/* More areas than vfree's lazy list holds (32), so a vfree outside a
 * handler would purge: inside one it must not. */
#define NR_AREAS 40
#define AREA_PAGES 2

static void test_vfree_in_handler(void)
{
	void *area[NR_AREAS];
	long base, held, inside, after;
	const char *out;
	int n = 0;

	vm_unmap_aliases();
	base = vmstat_get("nr_vmalloc");
	REQUIRE(base >= 0, "vmstat has nr_vmalloc");
	for (int i = 0; i < NR_AREAS; i++) {
		area[i] = vmalloc(AREA_PAGES * PAGE_SIZE);
		if (area[i]) {
			vfill(area[i], AREA_PAGES * PAGE_SIZE, (unsigned long)i);
			n++;
		}
	}
	REQUIRE(n == NR_AREAS, "%d of %d vmalloc areas", n, NR_AREAS);
	held = vmstat_get("nr_vmalloc");
	CHECK(held == base + NR_AREAS * AREA_PAGES, "nr_vmalloc %ld while held, want %ld", held,
	      base + NR_AREAS * AREA_PAGES);

	irq_enter();
	capture_start();
	for (int i = 0; i < NR_AREAS; i++) {
		CHECK(vcheck(area[i], AREA_PAGES * PAGE_SIZE, (unsigned long)i) == 0,
		      "area %d intact in the handler", i);
		vfree(area[i]);
	}
	out = capture_end();
	inside = vmstat_get("nr_vmalloc");
	irq_exit();
	CHECK(out[0] == '\0', "vfree() in a handler prints nothing; got:\n%s", out);
	CHECK(strstr(out, "BUG") == NULL, "no BUG from vfree() in a handler");
	CHECK(inside == held, "the teardown is deferred: nr_vmalloc %ld in the handler, want %ld",
	      inside, held);

	vm_unmap_aliases();
	after = vmstat_get("nr_vmalloc");
	CHECK(after == base, "after vm_unmap_aliases() in process context nr_vmalloc is %ld, want %ld",
	      after, base);
}

/* ---- Per CPU thread ---------------------------------------------------- */

static pthread_barrier_t step;
static struct {
	bool in_interrupt, in_task, irqs_disabled;
	unsigned int count, own_count;
	bool alloc_ok;
	char out[4096];
} seen;

static void *thread_b(void *arg)
{
	const char *out;
	void *p;

	(void)arg;
	pthread_barrier_wait(&step);	/* A is in its handler */
	seen.in_interrupt = in_interrupt();
	seen.in_task = in_task();
	seen.irqs_disabled = irqs_disabled();
	seen.count = preempt_count();
	capture_start();
	p = kmalloc(64, GFP_KERNEL);
	out = capture_end();
	seen.alloc_ok = p != NULL;
	snprintf(seen.out, sizeof(seen.out), "%s", out);
	kfree(p);
	/* B's own handler counts from zero, whatever A's holds. */
	irq_enter();
	seen.own_count = preempt_count();
	pthread_barrier_wait(&step);	/* A looks while B is in its handler */
	pthread_barrier_wait(&step);
	irq_exit();
	return NULL;
}

static void test_per_thread(void)
{
	pthread_t b;

	pthread_barrier_init(&step, NULL, 2);
	REQUIRE(pthread_create(&b, NULL, thread_b, NULL) == 0, "thread");
	irq_enter();
	pthread_barrier_wait(&step);	/* B looks */
	pthread_barrier_wait(&step);	/* B is in its own handler */
	CHECK(preempt_count() == HARDIRQ_OFFSET, "A's count is its own: %#x", preempt_count());
	irq_exit();
	check_task_context("A, while B is in its handler");
	pthread_barrier_wait(&step);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&step);

	CHECK(!seen.in_interrupt, "B does not see A's handler: in_interrupt() false");
	CHECK(seen.in_task, "B is in task context while A is in a handler");
	CHECK(!seen.irqs_disabled, "B's interrupts are on while A's are off");
	CHECK(seen.count == 0, "B's preempt_count() is 0, not %#x", seen.count);
	CHECK(seen.alloc_ok && seen.out[0] == '\0',
	      "B's GFP_KERNEL allocation is silent while A is in a handler; got:\n%s", seen.out);
	CHECK(seen.own_count == HARDIRQ_OFFSET, "B's own handler: %#x, want %#x", seen.own_count,
	      HARDIRQ_OFFSET);
	check_task_context("A at the end");
}

int main(void)
{
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	test_enter_exit();
	test_allocations();
	test_unbalanced_exit();
	test_vfree_in_handler();
	test_per_thread();
	check_task_context("at the end");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
