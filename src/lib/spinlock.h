/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks: test-and-test-and-set on a C11 atomic. The uncontended path is
 * one exchange; a waiter spins with a pause and, since the machine's CPUs
 * are host threads that the host may preempt while they hold a lock, yields
 * its host CPU after a bounded spin instead of burning the holder's time.
 */
#ifndef MMK_LIB_SPINLOCK_H
#define MMK_LIB_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#pragma GCC visibility push(hidden)

typedef struct {
	atomic_int locked;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED { 0 }

void spin_lock_slowpath(spinlock_t *lock);

static inline void spin_lock_init(spinlock_t *lock)
{
	atomic_init(&lock->locked, 0);
}

static inline void spin_lock(spinlock_t *lock)
{
	if (__builtin_expect(!atomic_exchange_explicit(&lock->locked, 1,
						       memory_order_acquire), 1))
		return;
	spin_lock_slowpath(lock);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	return !atomic_load_explicit(&lock->locked, memory_order_relaxed) &&
	       !atomic_exchange_explicit(&lock->locked, 1, memory_order_acquire);
}

static inline void spin_unlock(spinlock_t *lock)
{
	atomic_store_explicit(&lock->locked, 0, memory_order_release);
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return atomic_load_explicit(&lock->locked, memory_order_relaxed);
}

#pragma GCC visibility pop

#endif
