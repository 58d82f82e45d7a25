// SPDX-License-Identifier: MIT
/*
 * Hosted CPUs: a host thread becomes a CPU the first time it asks for its
 * CPU number. Numbers are claimed from a bitmap and given back by a thread
 * key destructor when the thread exits; a boot generation makes numbers from
 * a previous boot invalid without touching other threads' storage.
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
	__attribute__((tls_model("initial-exec"))) = { .cpu = -1 };

static void cpu_release(void *arg)
{
	(void)arg;
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
}

int arch_cpu_claim(void)
{
	uint64_t slots = atomic_load(&cpu_slots);
	bool exclusive = false;
	int cpu = -1, seen;

	while (~slots) {
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
	pthread_setspecific(cpu_key, &arch_this_thread);

	seen = atomic_load(&cpus_seen);
	while (seen < cpu + 1 &&
	       !atomic_compare_exchange_weak(&cpus_seen, &seen, cpu + 1))
		;
	arch_this_thread.cpu = cpu;
	arch_this_thread.exclusive = exclusive && owner_fastpath;
	arch_this_thread.claimed = exclusive;
	arch_this_thread.gen = atomic_load(&arch_boot_gen);
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
