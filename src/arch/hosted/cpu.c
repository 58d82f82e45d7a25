// SPDX-License-Identifier: MIT
/*
 * Hosted CPUs: a host thread becomes a CPU the first time it asks for its
 * CPU number. Numbers are claimed from a bitmap and given back by a thread
 * key destructor when the thread exits; a boot generation makes numbers from
 * a previous boot invalid. The owner fast paths do not test that
 * generation: they read arch_thread.fast_slot and the kfree hint, which
 * each boot resets in every thread that owned a number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>

#include "../arch.h"

static bool owner_fastpath;
static _Atomic uint64_t cpu_slots;	/* bit n: CPU n owned by a live thread */
_Atomic unsigned int arch_boot_gen = 1;
static atomic_int cpus_seen;
static pthread_key_t cpu_key;
static pthread_once_t cpu_key_once = PTHREAD_ONCE_INIT;

__thread struct arch_thread arch_this_thread
	__attribute__((tls_model("initial-exec"))) = { .cpu = -1,
						 .fast_slot = NR_CPUS * ARCH_FAST_SLOT_BYTES };

/*
 * The owner fast paths (arch.h: fast_active, fast_slot, the kfree hint).
 * cpu_thread[n] is the thread that owns number n alone, the only thread
 * whose fast_slot may be a CPU's; blocked[n] counts arch_fast_block()s of
 * n (all_blocked: of every number), during which its owner's fast_slot is
 * the refusal slot. A number found shared stays blocked until the next
 * boot. All under fast_lock, which is taken with signals blocked so that a
 * program's signal handler calling into the machine cannot find it held
 * by the thread it interrupted.
 */
#define REFUSAL_SLOT	((unsigned long)NR_CPUS * ARCH_FAST_SLOT_BYTES)

static pthread_mutex_t fast_lock = PTHREAD_MUTEX_INITIALIZER;
static struct arch_thread *cpu_thread[NR_CPUS];
static unsigned int blocked[NR_CPUS], all_blocked;

static void fast_lock_take(void)
{
	arch_signals_block();
	pthread_mutex_lock(&fast_lock);
}

static void fast_lock_drop(void)
{
	pthread_mutex_unlock(&fast_lock);
	arch_signals_unblock();
}

/* Another thread's fields: relaxed atomic stores (it reads them plainly). */
static void fast_refuse(struct arch_thread *t)
{
	__atomic_store_n(&t->fast_slot, REFUSAL_SLOT, __ATOMIC_RELAXED);
	__atomic_store_n(&t->hint_len, 0, __ATOMIC_RELAXED);
}

static unsigned long fast_slot_of(int cpu)
{
	return all_blocked || blocked[cpu] ? REFUSAL_SLOT
					   : (unsigned long)cpu * ARCH_FAST_SLOT_BYTES;
}

static void wait_fast_left(struct arch_thread *t)
{
	unsigned int spins = 0;

	while (__atomic_load_n(&t->fast_active, __ATOMIC_ACQUIRE)) {
		if (++spins < 256)
			arch_cpu_relax();
		else
			arch_yield();
	}
}

/* fast_lock held: block @cpu (-1: all) once more. */
static void __fast_block(int cpu)
{
	int lo = cpu < 0 ? 0 : cpu, hi = cpu < 0 ? NR_CPUS : cpu + 1, n;

	if (cpu < 0)
		all_blocked++;
	else
		blocked[cpu]++;
	for (n = lo; n < hi; n++)
		if (cpu_thread[n])
			fast_refuse(cpu_thread[n]);
	/*
	 * Dekker's other side: the owner stores fast_active, then loads
	 * fast_slot or its hint; we stored those, and the barrier runs a
	 * full fence on its CPU, so either it sees them or we see it active
	 * and wait. A fast path that began before could have set a new hint
	 * (slab_free_fast()), which a kfree() that began before the second
	 * look could still be using: empty it and wait once more. The
	 * owners stay on the list meanwhile (exit takes fast_lock).
	 */
	for (int round = 0; round < 2; round++) {
		arch_heavy_barrier();
		for (n = lo; n < hi; n++) {
			if (!cpu_thread[n])
				continue;
			wait_fast_left(cpu_thread[n]);
			if (!round)
				__atomic_store_n(&cpu_thread[n]->hint_len, 0, __ATOMIC_RELAXED);
		}
	}
}

void arch_fast_block(int cpu)
{
	if (!owner_fastpath)
		return;
	fast_lock_take();
	__fast_block(cpu);
	fast_lock_drop();
}

void arch_fast_unblock(int cpu)
{
	int lo = cpu < 0 ? 0 : cpu, hi = cpu < 0 ? NR_CPUS : cpu + 1;

	if (!owner_fastpath)
		return;
	fast_lock_take();
	if (cpu < 0)
		all_blocked--;
	else
		blocked[cpu]--;
	for (int n = lo; n < hi; n++)
		if (cpu_thread[n])
			__atomic_store_n(&cpu_thread[n]->fast_slot, fast_slot_of(n),
					 __ATOMIC_RELAXED);
	fast_lock_drop();
}

void arch_fast_reset(void)
{
	fast_lock_take();
	for (int n = 0; n < NR_CPUS; n++) {
		if (cpu_thread[n])
			fast_refuse(cpu_thread[n]);
		cpu_thread[n] = NULL;
		blocked[n] = 0;
	}
	all_blocked = 0;
	fast_lock_drop();
	fast_refuse(&arch_this_thread);
}

/* The thread that claimed @cpu: alone (@exclusive) or sharing it. */
static void fast_claim(int cpu, bool exclusive)
{
	fast_lock_take();
	if (exclusive) {
		if (cpu_thread[cpu] && cpu_thread[cpu] != &arch_this_thread)
			fast_refuse(cpu_thread[cpu]);	/* cannot happen: numbers are owned once */
		cpu_thread[cpu] = &arch_this_thread;
		__atomic_store_n(&arch_this_thread.fast_slot, fast_slot_of(cpu),
				 __ATOMIC_RELAXED);
	} else {
		/* Its owner may no longer go without locks: for this boot. */
		fast_refuse(&arch_this_thread);
		__fast_block(cpu);
	}
	fast_lock_drop();
}

static void fast_release(void)
{
	fast_lock_take();
	if (arch_this_thread.cpu >= 0 && cpu_thread[arch_this_thread.cpu] == &arch_this_thread)
		cpu_thread[arch_this_thread.cpu] = NULL;
	fast_refuse(&arch_this_thread);
	fast_lock_drop();
}

/* A child of fork() has one thread: the others' entries are gone. */
static void fast_atfork_prepare(void)
{
	fast_lock_take();
}

static void fast_atfork_parent(void)
{
	fast_lock_drop();
}

static void fast_atfork_child(void)
{
	pthread_mutex_init(&fast_lock, NULL);
	for (int n = 0; n < NR_CPUS; n++)
		if (cpu_thread[n] != &arch_this_thread)
			cpu_thread[n] = NULL;
	arch_signals_unblock();
}

static void cpu_release(void *arg)
{
	(void)arg;
	arch_this_thread.exiting = true;
	fast_release();
	if (arch_this_thread.claimed &&
	    arch_this_thread.gen == atomic_load(&arch_boot_gen))
		atomic_fetch_and(&cpu_slots, ~(1ULL << arch_this_thread.cpu));
	arch_this_thread.cpu = -1;
	arch_this_thread.gen = 0;
	arch_this_thread.exclusive = false;
	arch_this_thread.claimed = false;
}

static void cpu_key_create(void)
{
	pthread_key_create(&cpu_key, cpu_release);
	pthread_atfork(fast_atfork_prepare, fast_atfork_parent, fast_atfork_child);
}

static int __arch_cpu_claim(void)
{
	uint64_t slots = atomic_load(&cpu_slots);
	bool exclusive = false;
	int cpu = -1, seen;

	/* A thread past cpu_release() (another key's destructor calling in)
	 * may no longer own a number: nothing would give it back. */
	while (~slots && !arch_this_thread.exiting) {
		int bit = __builtin_ctzll(~slots);

		if (bit >= NR_CPUS)
			break;
		if (atomic_compare_exchange_weak(&cpu_slots, &slots,
						 slots | (1ULL << bit))) {
			cpu = bit;
			exclusive = true;
			break;
		}
	}
	if (cpu < 0) {
		/* More threads than CPUs: share a number, chosen by thread id. */
		cpu = (int)((unsigned long)syscall(SYS_gettid) % NR_CPUS);
	}
	pthread_once(&cpu_key_once, cpu_key_create);
	if (!arch_this_thread.exiting)
		pthread_setspecific(cpu_key, &arch_this_thread);

	seen = atomic_load(&cpus_seen);
	while (seen < cpu + 1 &&
	       !atomic_compare_exchange_weak(&cpus_seen, &seen, cpu + 1))
		;
	arch_this_thread.cpu = cpu;
	arch_this_thread.exclusive = exclusive && owner_fastpath;
	arch_this_thread.claimed = exclusive;
	arch_this_thread.gen = atomic_load(&arch_boot_gen);
	if (owner_fastpath)
		fast_claim(cpu, exclusive);
	return cpu;
}

/*
 * With signals blocked: a program's signal handler that calls in (a fault
 * on its memory) while this thread is between taking a number and
 * recording it would claim a second one, which no one would give back,
 * and leave cpu_thread[] pointing at this thread after it exits.
 */
int arch_cpu_claim(void)
{
	int cpu;

	arch_signals_block();
	cpu = __arch_cpu_claim();
	arch_signals_unblock();
	return cpu;
}

int arch_nr_cpus_seen(void)
{
	return atomic_load(&cpus_seen);
}

void arch_cpus_init(bool fastpath)
{
	owner_fastpath = fastpath;
	atomic_store(&cpu_slots, 0);
	atomic_store(&cpus_seen, 0);
	atomic_fetch_add(&arch_boot_gen, 1);
	/* Numbers of the last boot are void: so are the fast paths' copies. */
	arch_fast_reset();
}

bool arch_heavy_barrier_init(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return false;
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		       0, 0) == 0;
}

void arch_heavy_barrier(void)
{
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

void arch_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void arch_yield(void)
{
	sched_yield();
}

void arch_sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

uint64_t arch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int arch_num_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > NR_CPUS ? NR_CPUS : (int)n;
}

void arch_set_errno(int err)
{
	errno = err;
}
