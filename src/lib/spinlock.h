/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks: test-and-test-and-set on a C11 atomic. The uncontended path is
 * one exchange; a waiter spins with a pause and, since the machine's CPUs
 * are host threads that the host may preempt while they hold a lock, yields
 * its host CPU after a bounded spin instead of burning the holder's time.
 *
 * Each thread counts the spinlocks it holds (arch_this_thread.locks_held):
 * the page-fault path, which may run in a signal handler that interrupted
 * this very thread, reads it to know whether the kernel was interrupted
 * while holding a lock it might need (see memory.c).
 */
#ifndef MMK_LIB_SPINLOCK_H
#define MMK_LIB_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "../arch/arch.h"

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
	arch_this_thread.locks_held++;
	atomic_signal_fence(memory_order_seq_cst);
	if (__builtin_expect(!atomic_exchange_explicit(&lock->locked, 1,
						       memory_order_acquire), 1))
		return;
	spin_lock_slowpath(lock);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	if (atomic_load_explicit(&lock->locked, memory_order_relaxed))
		return false;
	/* Counted before it is held, as in spin_lock(). */
	arch_this_thread.locks_held++;
	atomic_signal_fence(memory_order_seq_cst);
	if (!atomic_exchange_explicit(&lock->locked, 1, memory_order_acquire))
		return true;
	atomic_signal_fence(memory_order_seq_cst);
	arch_this_thread.locks_held--;
	return false;
}

static inline void spin_unlock(spinlock_t *lock)
{
	atomic_store_explicit(&lock->locked, 0, memory_order_release);
	atomic_signal_fence(memory_order_seq_cst);
	arch_this_thread.locks_held--;
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return atomic_load_explicit(&lock->locked, memory_order_relaxed);
}

#pragma GCC visibility pop

#endif
