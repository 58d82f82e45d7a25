// SPDX-License-Identifier: MIT
/*
 * The slab fast paths and the lives of threads. A thread that owns its CPU
 * number alone allocates and frees without a lock; these are the cases
 * where it must not:
 *
 *   1. More threads than CPU numbers: 96 threads, 32 of them sharing a
 *      number with an owner, allocate, fill, verify and free kmalloc
 *      objects and objects of a cache of their own, handing some to a
 *      neighbour to free. Every owner of a shared number has to give up its
 *      fast paths for good; an owner that did not would race the threads
 *      sharing its number, and objects would be handed out twice (their
 *      patterns show it) or lost (the checker shows it).
 *   2. Shutdown and boot under a living thread: a thread that used the
 *      fast paths in one boot (it has a CPU slot and a kfree hint) frees an
 *      old pointer after shutdown, which must be reported and otherwise
 *      ignored, then allocates and frees in the next boot, which must work
 *      with the new machine's caches and leave the checker clean.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mmkit.h>
#include "harness.h"

#define NTHREADS	96
#define NR_HOLDERS	128
#define SLOTS		32

struct mailbox {
	pthread_mutex_t lock;
	unsigned char *obj[SLOTS];
	size_t size[SLOTS];		/* 0: an object of the test's cache */
	int n;
};

static struct mailbox box[NTHREADS];
static struct kmem_cache *cache;
static pthread_barrier_t all_started;
static unsigned long rounds;
static _Atomic long bad_patterns, failed_allocs;

#define CACHE_SIZE	72

static unsigned char pattern_byte(const void *p, size_t i)
{
	return (unsigned char)(((uintptr_t)p >> 4) * 31 + i * 7 + 1);
}

static void fill(unsigned char *p, size_t size)
{
	for (size_t i = 0; i < size; i++)
		p[i] = pattern_byte(p, i);
}

/* @size 0: an object of the test's cache, CACHE_SIZE bytes. */
static void verify_and_free(unsigned char *p, size_t size)
{
	size_t n = size ? size : CACHE_SIZE;

	for (size_t i = 0; i < n; i++) {
		if (p[i] != pattern_byte(p, i)) {
			bad_patterns++;
			break;
		}
	}
	if (size)
		kfree(p);
	else
		kmem_cache_free(cache, p);
}

static void drain(struct mailbox *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->n > 0) {
		b->n--;
		verify_and_free(b->obj[b->n], b->size[b->n]);
	}
	pthread_mutex_unlock(&b->lock);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned long long x = test_seed() * 0x9e3779b97f4a7c15ull + (unsigned long long)id + 1;

	pthread_barrier_wait(&all_started);	/* all alive at once: numbers shared */
	for (unsigned long r = 0; r < rounds; r++) {
		unsigned char *p;
		size_t size;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 4 == 0) {
			p = kmem_cache_alloc(cache, GFP_KERNEL);
			size = 0;
		} else {
			size = 1 + (size_t)(x >> 8) % 512;
			p = kmalloc(size, GFP_KERNEL);
		}
		if (!p) {
			failed_allocs++;
			continue;
		}
		fill(p, size ? size : CACHE_SIZE);
		if (x % 3 == 0) {
			struct mailbox *b = &box[(id + 1) % NTHREADS];

			pthread_mutex_lock(&b->lock);
			if (b->n < SLOTS) {
				b->obj[b->n] = p;
				b->size[b->n++] = size;
				p = NULL;
			}
			pthread_mutex_unlock(&b->lock);
		}
		if (p)
			verify_and_free(p, size);
		if (r % 16 == 0)
			drain(&box[id]);
	}
	return NULL;
}

static void more_threads_than_cpus(void)
{
	pthread_t tid[NTHREADS];
	const char *out;

	REQUIRE(mmk_boot("mem=128M") == 0, "boot");
	cache = kmem_cache_create("threads_72", CACHE_SIZE, 0, 0, NULL);
	REQUIRE(cache, "kmem_cache_create");
	rounds = test_scaled(4000);
	pthread_barrier_init(&all_started, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_mutex_init(&box[i].lock, NULL);
		box[i].n = 0;
	}
	capture_start();
	for (int i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&tid[i], NULL, worker, (void *)(intptr_t)i) == 0, "thread");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		drain(&box[i]);
	out = capture_end();
	CHECK(bad_patterns == 0, "%ld objects were changed while their owner held them",
	      (long)bad_patterns);
	CHECK(failed_allocs == 0, "%ld allocations failed", (long)failed_allocs);
	CHECK(out[0] == '\0', "the allocator printed:\n%.3000s", out);
	CHECK(mmk_check(stderr) == 0, "the checker finds the slabs consistent");
	capture_start();
	kmem_cache_destroy(cache);
	out = capture_end();
	CHECK(out[0] == '\0', "every object of the cache came back:\n%.3000s", out);
	pthread_barrier_destroy(&all_started);
	mmk_shutdown();
}

/* ---- 2: a thread that lives through a shutdown and a boot -------------- */

enum step { S_IDLE, S_USE, S_FREE_STALE, S_QUIT };

static pthread_mutex_t step_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t step_cond = PTHREAD_COND_INITIALIZER;
static enum step step;
static int step_done;
static void *stale;
static long lived_errors;

static void use_fast_paths(void)
{
	void *keep[64];

	for (int i = 0; i < 64; i++) {
		keep[i] = kmalloc(64, GFP_KERNEL);
		if (!keep[i]) {
			lived_errors++;
			return;
		}
		memset(keep[i], 0x5a, 64);
	}
	for (int i = 0; i < 63; i++)	/* the last one stays: the hint's slab */
		kfree(keep[i]);
	stale = keep[63];
}

static void *lived_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&step_lock);
	for (;;) {
		while (step == S_IDLE)
			pthread_cond_wait(&step_cond, &step_lock);
		if (step == S_QUIT)
			break;
		if (step == S_USE)
			use_fast_paths();
		else if (step == S_FREE_STALE)
			kfree(stale);
		step = S_IDLE;
		step_done++;
		pthread_cond_broadcast(&step_cond);
	}
	pthread_mutex_unlock(&step_lock);
	return NULL;
}

static void run_step(enum step s)
{
	int done;

	pthread_mutex_lock(&step_lock);
	done = step_done;
	step = s;
	pthread_cond_broadcast(&step_cond);
	while (step_done == done)
		pthread_cond_wait(&step_cond, &step_lock);
	pthread_mutex_unlock(&step_lock);
}

static void thread_across_boots(void)
{
	pthread_t t;
	const char *out;

	REQUIRE(pthread_create(&t, NULL, lived_thread, NULL) == 0, "thread");
	REQUIRE(mmk_boot(NULL) == 0, "first boot");
	run_step(S_USE);
	CHECK(mmk_check(stderr) == 0, "first boot: the checker is clean");
	mmk_shutdown();

	capture_start();
	run_step(S_FREE_STALE);		/* a pointer of the old machine, no machine */
	out = capture_end();
	CHECK(strstr(out, "kfree() called while no machine is booted") != NULL,
	      "a kfree between boots is reported; got:\n%s", out);

	REQUIRE(mmk_boot("mem=64M") == 0, "second boot");
	capture_start();
	run_step(S_USE);		/* new caches, new slabs, a new hint */
	out = capture_end();
	CHECK(lived_errors == 0, "the thread allocated in the second boot");
	CHECK(out[0] == '\0', "the second boot's allocations are quiet:\n%s", out);
	CHECK(virt_to_phys(stale) < (64ULL << 20),
	      "the thread's object is in the second machine's 64 MiB");
	CHECK(mmk_check(stderr) == 0, "second boot: the checker is clean");
	run_step(S_FREE_STALE);		/* this time a live object */
	CHECK(mmk_check(stderr) == 0, "second boot: clean after the free");
	mmk_shutdown();

	pthread_mutex_lock(&step_lock);
	step = S_QUIT;
	pthread_cond_broadcast(&step_cond);
	pthread_mutex_unlock(&step_lock);
	pthread_join(t, NULL);
}

/* ---- 3: an owner and a thread sharing its number, both busy ------------ */

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static bool hold_release;
static _Atomic int go;
static int target_cpu = -1;

static void *placeholder(void *arg)
{
	*(int *)arg = smp_processor_id();
	pthread_mutex_lock(&hold_lock);
	while (!hold_release)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
	return NULL;
}

static void *hammer(void *arg);

/* A thread that shares a number: the sharer if it is the owner's. */
static void *candidate(void *arg)
{
	*(int *)arg = smp_processor_id();
	if (*(int *)arg == target_cpu)
		hammer((void *)(intptr_t)1);
	return NULL;
}

/* Both run this on the same CPU number: kmalloc(64) pairs and batches,
 * some objects freed by the other thread through box[0..1]. */
static void *hammer(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned long n = test_scaled(300000);
	unsigned char *batch[16];

	if (id == 0)
		__atomic_store_n(&target_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	while (!atomic_load(&go))
		sched_yield();
	for (unsigned long r = 0; r < n; r++) {
		int k = (int)(r % 16) + 1;

		for (int i = 0; i < k; i++) {
			batch[i] = kmalloc(64, GFP_KERNEL);
			if (!batch[i]) {
				failed_allocs++;
				k = i;
				break;
			}
			fill(batch[i], 64);
		}
		for (int i = 0; i < k; i++) {
			struct mailbox *b = &box[!id];

			if (i == 0 && r % 4 == 0) {
				pthread_mutex_lock(&b->lock);
				if (b->n < SLOTS) {
					b->obj[b->n] = batch[i];
					b->size[b->n++] = 64;
					batch[i] = NULL;
				}
				pthread_mutex_unlock(&b->lock);
			}
			if (batch[i])
				verify_and_free(batch[i], 64);
		}
		if (r % 8 == 0)
			drain(&box[id]);
	}
	return NULL;
}

static void owner_and_sharer(void)
{
	static pthread_t holders[NR_HOLDERS];
	static int holder_cpu[NR_HOLDERS];
	bool seen[64] = { false };
	int nseen = 0, nholders = 0, tries = 0, cpu = -1;
	pthread_t owner, sharer;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	bad_patterns = failed_allocs = 0;
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&box[i].lock, NULL);
		box[i].n = 0;
	}
	seen[smp_processor_id()] = true;	/* this thread's number */
	nseen = 1;
	/* The owner, then threads that hold every other number. */
	REQUIRE(pthread_create(&owner, NULL, hammer, (void *)(intptr_t)0) == 0, "thread");
	while (__atomic_load_n(&target_cpu, __ATOMIC_ACQUIRE) < 0)
		sched_yield();
	if (!seen[target_cpu]) {
		seen[target_cpu] = true;
		nseen++;
	}
	while (nseen < 64 && nholders < NR_HOLDERS) {
		holder_cpu[nholders] = -1;
		REQUIRE(pthread_create(&holders[nholders], NULL, placeholder,
				       &holder_cpu[nholders]) == 0, "thread");
		while (__atomic_load_n(&holder_cpu[nholders], __ATOMIC_ACQUIRE) < 0)
			sched_yield();
		if (!seen[holder_cpu[nholders]]) {
			seen[holder_cpu[nholders]] = true;
			nseen++;
		}
		nholders++;
	}
	/* Now a thread that shares the owner's number. */
	REQUIRE(nseen == 64, "every number is held (%d seen)", nseen);
	for (;;) {
		cpu = -1;
		REQUIRE(tries++ < 4096, "a thread shares CPU %d", target_cpu);
		REQUIRE(pthread_create(&sharer, NULL, candidate, &cpu) == 0, "thread");
		while (__atomic_load_n(&cpu, __ATOMIC_ACQUIRE) < 0)
			sched_yield();
		if (cpu == target_cpu)
			break;
		pthread_join(sharer, NULL);
	}
	atomic_store(&go, 1);
	pthread_join(owner, NULL);
	pthread_join(sharer, NULL);
	drain(&box[0]);
	drain(&box[1]);
	CHECK(bad_patterns == 0, "owner and sharer: %ld objects were changed while held",
	      (long)bad_patterns);
	CHECK(failed_allocs == 0, "owner and sharer: %ld allocations failed", (long)failed_allocs);
	CHECK(mmk_check(stderr) == 0, "owner and sharer: the checker is clean");
	pthread_mutex_lock(&hold_lock);
	hold_release = true;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	for (int i = 0; i < nholders; i++)
		pthread_join(holders[i], NULL);
	mmk_shutdown();
}

int main(void)
{
	more_threads_than_cpus();
	thread_across_boots();
	owner_and_sharer();
	harness_exit();
}
