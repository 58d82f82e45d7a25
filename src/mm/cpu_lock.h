/* SPDX-License-Identifier: MIT */
/*
 * cpu_lock: the lock of a piece of per-CPU data (a CPU's page lists, a CPU's
 * slab), biased towards the CPU that owns it.
 *
 * CPUs are host threads, and an atomic read-modify-write costs 7-10 ns on
 * the machines we run on: as much as the rest of a page allocation, and
 * more than a whole kmalloc should. Linux pays nothing here because per-CPU
 * data is only touched by its CPU with preemption or interrupts off; other
 * CPUs ask it (an IPI) when they need its data. We have no IPIs, so:
 *
 *   - the thread that owns a CPU number (arch_cpu_exclusive(): true only
 *     when the boot found membarrier, so cpu_lock_biased) enters with
 *     plain stores: owner_active = 1, a compiler barrier, then a check that
 *     no one else holds the data (`remote`); leaving is one release store;
 *   - anyone else, rarely (a drain, a cache flush, the checker, a thread
 *     that shares the CPU number because threads outnumber NR_CPUS), takes
 *     `lock`, sets `remote`, runs arch_heavy_barrier() (membarrier: a full
 *     fence on every CPU of ours) and waits for owner_active to drop.
 *
 * The barrier pairs with the owner's compiler barrier as the two sides of
 * Dekker's algorithm: either the owner sees `remote` and falls back to the
 * lock, or the remote side sees owner_active and waits for it. Where the
 * host has no membarrier, cpu_lock_biased is false and everyone locks.
 * A CPU number found shared is marked so for good (CPU_LOCK_SHARED): all its
 * users lock, and no barrier is needed again.
 *
 * Nesting: a cpu_lock is never taken while holding another cpu_lock of the
 * same kind; zone->lock and slab list locks nest inside it.
 *
 * The slab allocator's fast paths do not even enter as owner: they mark
 * the thread, not the lock (arch_this_thread.fast_active), and a remote
 * side excludes them with arch_fast_block() before it takes the lock.
 */
#ifndef MMK_CPU_LOCK_H
#define MMK_CPU_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "../arch/arch.h"
#include "../lib/spinlock.h"

#pragma GCC visibility push(hidden)

struct cpu_lock {
	spinlock_t lock;
	atomic_int owner_active;	/* the owner is inside its fast path */
	atomic_int remote;		/* CPU_LOCK_*: someone else holds `lock` */
};

enum {
	CPU_LOCK_NONE,
	CPU_LOCK_HELD,		/* a remote CPU holds the data for a while */
	CPU_LOCK_SHARED,	/* threads share this CPU number: always locked */
};

extern bool cpu_lock_biased;

void cpu_lock_init(struct cpu_lock *l);
void __cpu_lock_remote(struct cpu_lock *l, int how);

/* Take this CPU's @l; returns whether it went the owner's way. */
static inline bool cpu_lock(struct cpu_lock *l)
{
	if (__builtin_expect(arch_cpu_exclusive(), 1)) {
		arch_this_thread.locks_held++;
		atomic_store_explicit(&l->owner_active, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		if (__builtin_expect(!atomic_load_explicit(&l->remote,
							   memory_order_relaxed), 1))
			return true;
		arch_this_thread.locks_held--;
		/* Someone else has it: wait our turn on the lock. The owner is
		 * the only fast-path user, so no barrier is needed. */
		atomic_store_explicit(&l->owner_active, 0, memory_order_release);
		spin_lock(&l->lock);
		return false;
	}
	if (cpu_lock_biased)
		__cpu_lock_remote(l, CPU_LOCK_SHARED);
	else
		spin_lock(&l->lock);
	return false;
}

static inline void cpu_unlock(struct cpu_lock *l, bool owner)
{
	if (__builtin_expect(owner, 1)) {
		atomic_store_explicit(&l->owner_active, 0, memory_order_release);
		atomic_signal_fence(memory_order_seq_cst);
		arch_this_thread.locks_held--;
	} else
		spin_unlock(&l->lock);
}

/* Take another CPU's @l (a drain, a flush). */
void cpu_lock_remote(struct cpu_lock *l);
void cpu_unlock_remote(struct cpu_lock *l);

/* Take @n locks laid out @stride bytes apart with one barrier for all. */
void cpu_lock_remote_all(struct cpu_lock *first, size_t stride, int n);
void cpu_unlock_remote_all(struct cpu_lock *first, size_t stride, int n);

#pragma GCC visibility pop

#endif
