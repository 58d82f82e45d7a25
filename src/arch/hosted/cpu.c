// SPDX-License-Identifier: MIT
/*
 * Hosted CPUs: a host thread becomes a CPU the first time it asks for its
 * CPU number. Numbers are claimed from a bitmap and given back by a thread
 * key destructor when the thread exits; a boot generation makes numbers from
 * a previous boot invalid without touching other threads' storage.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "../arch.h"

static _Atomic uint64_t cpu_slots;	/* bit n: CPU n owned by a live thread */
static atomic_uint boot_gen = 1;
static atomic_int cpus_seen;
static pthread_key_t cpu_key;
static pthread_once_t cpu_key_once = PTHREAD_ONCE_INIT;

struct cpu_tls {
	int cpu;
	unsigned int gen;
};
static __thread struct cpu_tls this_cpu = { -1, 0 };
static __thread int preempt_count;
static __thread bool irqs_disabled;

static void cpu_release(void *arg)
{
	(void)arg;
	if (this_cpu.cpu >= 0 && this_cpu.gen == atomic_load(&boot_gen) &&
	    this_cpu.cpu < 64)
		atomic_fetch_and(&cpu_slots, ~(1ULL << this_cpu.cpu));
	this_cpu.cpu = -1;
}

static void cpu_key_create(void)
{
	pthread_key_create(&cpu_key, cpu_release);
}

static int cpu_claim(void)
{
	uint64_t slots = atomic_load(&cpu_slots);
	int cpu = -1;

	while (~slots) {
		int bit = __builtin_ctzll(~slots);

		if (bit >= NR_CPUS)
			break;
		if (atomic_compare_exchange_weak(&cpu_slots, &slots,
						 slots | (1ULL << bit))) {
			cpu = bit;
			break;
		}
	}
	if (cpu < 0) {
		/* More threads than CPUs: share a number, chosen by thread id. */
		cpu = (int)((unsigned long)syscall(SYS_gettid) % NR_CPUS);
	}
	pthread_once(&cpu_key_once, cpu_key_create);
	pthread_setspecific(cpu_key, &this_cpu);

	int seen = atomic_load(&cpus_seen);
	while (seen < cpu + 1 &&
	       !atomic_compare_exchange_weak(&cpus_seen, &seen, cpu + 1))
		;
	this_cpu.cpu = cpu;
	this_cpu.gen = atomic_load(&boot_gen);
	return cpu;
}

int arch_smp_processor_id(void)
{
	if (__builtin_expect(this_cpu.gen == atomic_load_explicit(&boot_gen,
					memory_order_relaxed), 1))
		return this_cpu.cpu;
	return cpu_claim();
}

int arch_nr_cpus_seen(void)
{
	return atomic_load(&cpus_seen);
}

void arch_cpus_init(void)
{
	atomic_store(&cpu_slots, 0);
	atomic_store(&cpus_seen, 0);
	atomic_fetch_add(&boot_gen, 1);
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

int *arch_preempt_count_ptr(void)
{
	return &preempt_count;
}

bool *arch_irqs_disabled_ptr(void)
{
	return &irqs_disabled;
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
