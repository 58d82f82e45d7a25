// SPDX-License-Identifier: MIT
#include "spinlock.h"
#include "../arch/arch.h"

/* About 10 us of pause loops before giving the host CPU away. */
#define SPIN_BEFORE_YIELD 256

void spin_lock_slowpath(spinlock_t *lock)
{
	unsigned int spins = 0;

	for (;;) {
		while (atomic_load_explicit(&lock->locked, memory_order_relaxed)) {
			if (++spins < SPIN_BEFORE_YIELD) {
				arch_cpu_relax();
			} else {
				arch_yield();
				spins = 0;
			}
		}
		if (!atomic_exchange_explicit(&lock->locked, 1,
					      memory_order_acquire))
			return;
	}
}
