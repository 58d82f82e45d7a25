// SPDX-License-Identifier: MIT
/*
 * Atomic context: the part of the scheduler the allocators need.
 *
 * Each CPU thread has a preemption depth and an interrupt-enable state.
 * in_atomic() is true while preemption or interrupts are disabled; code in
 * atomic context must not sleep, so an allocation that may sleep (any gfp
 * with __GFP_DIRECT_RECLAIM) made there gets Linux's "sleeping function
 * called from invalid context" report. GFP_ATOMIC and GFP_NOWAIT never
 * sleep and are always allowed.
 */
#include "../mm/internal.h"

void mmk_local_irq_disable(void)
{
	arch_this_thread.preempt_count |= ARCH_IRQS_OFF;
}

void mmk_local_irq_enable(void)
{
	arch_this_thread.preempt_count &= ~ARCH_IRQS_OFF;
}

bool mmk_irqs_disabled(void)
{
	return arch_this_thread.preempt_count & ARCH_IRQS_OFF;
}

void mmk_preempt_disable(void)
{
	arch_this_thread.preempt_count++;
}

void mmk_preempt_enable(void)
{
	if (WARN_ON_ONCE(!(arch_this_thread.preempt_count & ~ARCH_IRQS_OFF)))
		return;
	arch_this_thread.preempt_count--;
}

bool mmk_in_atomic(void)
{
	return arch_this_thread.preempt_count != 0;
}

void mmk___might_sleep(const char *file, int line)
{
	if (!mmk_in_atomic())
		return;
	pr_err("BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	pr_err("in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n",
	       (arch_this_thread.preempt_count & ~ARCH_IRQS_OFF) != 0,
	       (arch_this_thread.preempt_count & ARCH_IRQS_OFF) != 0,
	       arch_current_pid(), arch_current_comm());
	pr_err("preempt_count: %x, expected: 0\n",
	       arch_this_thread.preempt_count & ~ARCH_IRQS_OFF);
	arch_dump_stack();
}

void __might_alloc_report(gfp_t gfp)
{
	{
		char flags[128];

		mmk___might_sleep(__FILE__, __LINE__);
		pr_err("allocation gfp: %#x(%s) may sleep\n", gfp,
		       format_gfp(gfp, flags, sizeof(flags)));
	}
}
