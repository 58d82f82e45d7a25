// SPDX-License-Identifier: MIT
/*
 * Atomic context: the part of the scheduler the allocators need.
 *
 * Each CPU thread has a preempt count laid out as Linux's: the preemption
 * depth in bits 0-7, softirq nesting in 8-15, hardirq nesting in 16-19,
 * NMI in 20-23; and an interrupt-enable state (our bit 31). in_atomic() is
 * true while any of it is set; code in atomic context must not sleep, so
 * an allocation that may sleep (any gfp with __GFP_DIRECT_RECLAIM) made
 * there gets Linux's "sleeping function called from invalid context"
 * report. GFP_ATOMIC and GFP_NOWAIT never sleep and are always allowed.
 * in_interrupt() is true between irq_enter() and irq_exit(), which a CPU
 * thread uses to run an interrupt handler (with interrupts off, as the
 * hardware would have them).
 */
#include "../mm/internal.h"

#define PREEMPT_MASK	0x000000ffU
#define SOFTIRQ_MASK	0x0000ff00U
#define HARDIRQ_MASK	0x000f0000U
#define NMI_MASK	0x00f00000U
#define IRQ_SAVED_OFF	0x40000000U	/* irq_enter found interrupts off */

/* Every change goes through here: the slab fast path reads atomic_gfp, not
 * the count, to refuse a sleeping allocation in atomic context with one
 * test (the slow path then reports it). */
static inline void set_preempt_count(unsigned int pc)
{
	arch_this_thread.preempt_count = pc;
	arch_this_thread.atomic_gfp = pc ? __GFP_DIRECT_RECLAIM : 0;
}

void mmk_local_irq_disable(void)
{
	set_preempt_count(arch_this_thread.preempt_count | ARCH_IRQS_OFF);
}

void mmk_local_irq_enable(void)
{
	set_preempt_count(arch_this_thread.preempt_count & ~ARCH_IRQS_OFF);
}

bool mmk_irqs_disabled(void)
{
	return arch_this_thread.preempt_count & ARCH_IRQS_OFF;
}

void mmk_preempt_disable(void)
{
	set_preempt_count(arch_this_thread.preempt_count + 1);
}

void mmk_preempt_enable(void)
{
	if (WARN_ON_ONCE(!(arch_this_thread.preempt_count & PREEMPT_MASK)))
		return;
	set_preempt_count(arch_this_thread.preempt_count - 1);
}

int mmk_smp_processor_id(void)
{
	return arch_smp_processor_id();
}

bool mmk_in_atomic(void)
{
	return arch_this_thread.preempt_count != 0;
}

unsigned int mmk_preempt_count(void)
{
	return arch_this_thread.preempt_count & ~(ARCH_IRQS_OFF | IRQ_SAVED_OFF);
}

bool mmk_in_interrupt(void)
{
	return arch_this_thread.preempt_count & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK);
}

bool mmk_in_hardirq(void)
{
	return arch_this_thread.preempt_count & HARDIRQ_MASK;
}

bool mmk_in_task(void)
{
	return !(arch_this_thread.preempt_count & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK));
}

/* Interrupts are off inside a handler; irq_exit restores what it found
 * (nested handlers find them off already). */
void mmk_irq_enter(void)
{
	unsigned int pc = arch_this_thread.preempt_count;

	if (WARN_ON_ONCE((pc & HARDIRQ_MASK) == HARDIRQ_MASK))
		return;
	if (!(pc & HARDIRQ_MASK))
		pc = (pc & ~IRQ_SAVED_OFF) | ((pc & ARCH_IRQS_OFF) ? IRQ_SAVED_OFF : 0);
	set_preempt_count((pc + HARDIRQ_OFFSET) | ARCH_IRQS_OFF);
}

void mmk_irq_exit(void)
{
	unsigned int pc = arch_this_thread.preempt_count;

	if (WARN_ON_ONCE(!(pc & HARDIRQ_MASK)))
		return;
	pc -= HARDIRQ_OFFSET;
	if (!(pc & HARDIRQ_MASK)) {
		if (!(pc & IRQ_SAVED_OFF))
			pc &= ~ARCH_IRQS_OFF;
		pc &= ~IRQ_SAVED_OFF;
	}
	set_preempt_count(pc);
}

void mmk___might_sleep(const char *file, int line)
{
	if (!mmk_in_atomic())
		return;
	pr_err("BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	pr_err("in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n",
	       mmk_preempt_count() != 0,
	       (arch_this_thread.preempt_count & ARCH_IRQS_OFF) != 0,
	       arch_current_pid(), arch_current_comm());
	pr_err("preempt_count: %x, expected: 0\n", mmk_preempt_count());
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
