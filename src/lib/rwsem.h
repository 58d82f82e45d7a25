/* SPDX-License-Identifier: MIT */
/*
 * A reader-writer lock standing in for Linux's rw_semaphore (mmap_lock):
 * many page faults hold it for reading at once, mmap/munmap/mprotect hold it
 * for writing. Waiters spin briefly and then yield their host CPU; a waiting
 * writer stops new readers from entering, so a stream of faults cannot
 * starve munmap.
 *
 * Linux's rw_semaphore is a sleeping lock: holding it is not atomic
 * context, and allocations that may sleep are allowed under it. So it does
 * not count in arch_this_thread.locks_held. It is only taken with the
 * host's asynchronous signals blocked (the user-memory system calls, the
 * fault handler), so a signal handler never interrupts its holder.
 */
#ifndef MMK_LIB_RWSEM_H
#define MMK_LIB_RWSEM_H

#include <stdatomic.h>
#include <stdbool.h>

#include "../arch/arch.h"

#pragma GCC visibility push(hidden)

struct rw_semaphore {
	atomic_uint count;	/* readers, plus RWSEM_WRITER / RWSEM_WAITING */
	void *_Atomic owner;	/* the writer's thread, while one holds it */
};

/* This thread, as a writer's identity (its arch_thread's address). */
static inline void *rwsem_self(void)
{
	return &arch_this_thread;
}

/* Does this thread hold @sem for writing? (Reclaim must not wait for it.) */
static inline bool rwsem_write_owned(struct rw_semaphore *sem)
{
	return atomic_load_explicit(&sem->owner, memory_order_relaxed) == rwsem_self();
}

#define RWSEM_WRITER	0x80000000u
#define RWSEM_WAITING	0x40000000u

static inline void init_rwsem(struct rw_semaphore *sem)
{
	atomic_init(&sem->count, 0);
	atomic_init(&sem->owner, NULL);
}

static inline void rwsem_wait(unsigned int *spins)
{
	if (++*spins < 256) {
		arch_cpu_relax();
	} else {
		arch_yield();
		*spins = 0;
	}
}

static inline void down_read(struct rw_semaphore *sem)
{
	unsigned int spins = 0;

	for (;;) {
		unsigned int c = atomic_load_explicit(&sem->count, memory_order_relaxed);

		if (!(c & (RWSEM_WRITER | RWSEM_WAITING)) &&
		    atomic_compare_exchange_weak_explicit(&sem->count, &c, c + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
		rwsem_wait(&spins);
	}
}

/*
 * A reader that must not wait behind a queued writer: a page fault taken
 * in a signal handler that interrupted this thread while it held kernel
 * locks. A writer that only waits may be waiting for a reader that needs
 * those very locks; a writer that holds the lock never waits for a kernel
 * lock (mmap.c defers its allocations and frees), so waiting for it ends.
 */
static inline void down_read_nowait_writer(struct rw_semaphore *sem)
{
	unsigned int spins = 0;

	for (;;) {
		unsigned int c = atomic_load_explicit(&sem->count, memory_order_relaxed);

		if (!(c & RWSEM_WRITER) &&
		    atomic_compare_exchange_weak_explicit(&sem->count, &c, c + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
		rwsem_wait(&spins);
	}
}

static inline void up_read(struct rw_semaphore *sem)
{
	atomic_fetch_sub_explicit(&sem->count, 1, memory_order_release);
}

static inline void down_write(struct rw_semaphore *sem)
{
	unsigned int spins = 0;

	for (;;) {
		unsigned int c = atomic_load_explicit(&sem->count, memory_order_relaxed);

		if (!(c & ~RWSEM_WAITING)) {
			/* No readers, no writer: take it (clearing our wait). */
			if (atomic_compare_exchange_weak_explicit(&sem->count, &c, RWSEM_WRITER,
								  memory_order_acquire,
								  memory_order_relaxed)) {
				atomic_store_explicit(&sem->owner, rwsem_self(),
						      memory_order_relaxed);
				return;
			}
			continue;
		}
		if (!(c & RWSEM_WAITING))
			atomic_fetch_or_explicit(&sem->count, RWSEM_WAITING,
						 memory_order_relaxed);
		rwsem_wait(&spins);
	}
}

static inline void up_write(struct rw_semaphore *sem)
{
	atomic_store_explicit(&sem->owner, NULL, memory_order_relaxed);
	atomic_fetch_and_explicit(&sem->count, ~RWSEM_WRITER, memory_order_release);
}

/* Turn a write hold into a read hold, letting no writer in between. */
static inline void downgrade_write(struct rw_semaphore *sem)
{
	unsigned int c = atomic_load_explicit(&sem->count, memory_order_relaxed);

	atomic_store_explicit(&sem->owner, NULL, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&sem->count, &c,
						      (c & RWSEM_WAITING) + 1,
						      memory_order_release,
						      memory_order_relaxed))
		;
}

static inline bool rwsem_is_locked(struct rw_semaphore *sem)
{
	return atomic_load_explicit(&sem->count, memory_order_relaxed) & ~RWSEM_WAITING;
}

#pragma GCC visibility pop

#endif
