// SPDX-License-Identifier: MIT
/* The remote side of cpu_lock (see cpu_lock.h for the protocol). */
#include "cpu_lock.h"

bool cpu_lock_biased;

void cpu_lock_init(struct cpu_lock *l)
{
	spin_lock_init(&l->lock);
	atomic_init(&l->owner_active, 0);
	atomic_init(&l->remote, CPU_LOCK_NONE);
}

static void cpu_lock_wait_owner(struct cpu_lock *l)
{
	unsigned int spins = 0;

	while (atomic_load_explicit(&l->owner_active, memory_order_acquire)) {
		if (++spins < 256)
			arch_cpu_relax();
		else
			arch_yield();
	}
}

void __cpu_lock_remote(struct cpu_lock *l, int how)
{
	int was;

	spin_lock(&l->lock);
	if (!cpu_lock_biased)
		return;
	was = atomic_load_explicit(&l->remote, memory_order_relaxed);
	if (was == CPU_LOCK_SHARED)
		how = CPU_LOCK_SHARED;
	atomic_store_explicit(&l->remote, how, memory_order_relaxed);
	if (was == CPU_LOCK_NONE)
		arch_heavy_barrier();
	cpu_lock_wait_owner(l);
}

void cpu_lock_remote(struct cpu_lock *l)
{
	__cpu_lock_remote(l, CPU_LOCK_HELD);
}

void cpu_unlock_remote(struct cpu_lock *l)
{
	if (cpu_lock_biased &&
	    atomic_load_explicit(&l->remote, memory_order_relaxed) == CPU_LOCK_HELD)
		atomic_store_explicit(&l->remote, CPU_LOCK_NONE, memory_order_release);
	spin_unlock(&l->lock);
}

#define NTH(first, stride, i) \
	((struct cpu_lock *)(void *)((char *)(first) + (size_t)(i) * (stride)))

void cpu_lock_remote_all(struct cpu_lock *first, size_t stride, int n)
{
	for (int i = 0; i < n; i++) {
		struct cpu_lock *l = NTH(first, stride, i);

		spin_lock(&l->lock);
		if (cpu_lock_biased &&
		    atomic_load_explicit(&l->remote, memory_order_relaxed) == CPU_LOCK_NONE)
			atomic_store_explicit(&l->remote, CPU_LOCK_HELD, memory_order_relaxed);
	}
	if (!cpu_lock_biased)
		return;
	arch_heavy_barrier();
	for (int i = 0; i < n; i++)
		cpu_lock_wait_owner(NTH(first, stride, i));
}

void cpu_unlock_remote_all(struct cpu_lock *first, size_t stride, int n)
{
	for (int i = 0; i < n; i++)
		cpu_unlock_remote(NTH(first, stride, i));
}
