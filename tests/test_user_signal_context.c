// SPDX-License-Identifier: MIT
/*
 * Page faults from a signal handler that interrupted the kernel.
 *
 * Four worker threads loop inside mmkit: kmalloc/kfree, alloc_pages/
 * __free_pages (orders 0-5), both one step in four with interrupts off
 * and GFP_ATOMIC, vmalloc/vfree, and mmk_mmap (mostly with MAP_POPULATE)/
 * write/mmk_munmap. The main thread sends them SIGUSR1 with
 * pthread_kill(), each worker its next signal as soon as it has handled
 * the last (1000 handler runs in all); the program's SIGUSR1 handler writes a
 * word into a fresh page of a user mapping, so it takes a page fault
 * wherever the worker was: often inside the page allocator or the slab
 * allocator, holding their locks, where the fault must neither deadlock
 * nor use them (mmkit serves it in atomic mode from a small reserve).
 *
 * The test passes when the run completes (no time limit is asserted),
 * every word a handler wrote is there (and nowhere else), the workers' own
 * objects were not damaged, the workers' mappings are all gone, and
 * mmk_check() is clean. If this build has mmk_report("mm_faults") and it
 * shows atomic_context_faults, that count must be above zero; otherwise
 * the test says that it could not check it. (With large folios most
 * handler writes land in a folio an earlier fault mapped, so the count is
 * only printed there.)
 *
 * A deadlock shows as a run that never ends: the line printed to stderr
 * before each run says which one it was.
 *
 * Run with single pages (every handler write is a fault) and with the
 * default large folios.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define NWORKERS	4
#define MAGIC		0x5eed5eed0000ul

/* ---- The handler ------------------------------------------------------------ */

static unsigned long *volatile area;	/* the handlers' fresh pages */
static size_t area_pages;
static atomic_long next_slot;
static atomic_long handler_runs[NWORKERS];
static _Thread_local int my_worker = -1;

static unsigned long slot_word(long idx)
{
	return (unsigned long)idx * 0x9e3779b97f4a7c15ul ^ MAGIC;
}

/* Where slot @idx's word goes: its own page, at an offset that varies. */
static unsigned long *slot_addr(long idx)
{
	return area + (size_t)idx * (PG / sizeof(long)) + (size_t)(idx % 61) * 8;
}

static void usr1(int sig)
{
	int saved = errno;
	long idx = atomic_fetch_add(&next_slot, 1);

	(void)sig;
	if (idx < (long)area_pages)
		*slot_addr(idx) = slot_word(idx);	/* a page fault, in a handler */
	if (my_worker >= 0)
		atomic_fetch_add(&handler_runs[my_worker], 1);
	errno = saved;
}

/* ---- The workers -------------------------------------------------------------- */

static atomic_int stop;
static atomic_long worker_errors[NWORKERS], worker_loops[NWORKERS];

static void werr(int w, const char *what)
{
	if (atomic_fetch_add(&worker_errors[w], 1) < 5)
		fprintf(stderr, "worker %d: %s\n", w, what);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void kmalloc_loop(int w, uint64_t *s)
{
	void *obj[16] = { 0 };
	size_t size[16] = { 0 };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int k = (int)(rnd(s) % 16);

		/* One step in four in atomic context, as an interrupt handler
		 * allocating would be: the whole step runs with interrupts
		 * off, GFP_ATOMIC. (Not more: a handler fault in atomic
		 * context takes a frame from a 16-frame reserve that only a
		 * fault outside atomic context refills.) */
		bool atomic = rnd(s) % 4 == 0;

		if (atomic)
			local_irq_disable();
		if (obj[k]) {
			if (obj_check(obj[k], size[k], (unsigned long)k))
				werr(w, "kmalloc object damaged");
			kfree(obj[k]);
			obj[k] = NULL;
		} else {
			size[k] = 1 + rnd(s) % (rnd(s) % 8 ? 512 : 16384);
			obj[k] = kmalloc(size[k], atomic ? GFP_ATOMIC : GFP_KERNEL);
			if (obj[k])
				obj_fill(obj[k], size[k], (unsigned long)k);
			else if (!atomic)
				werr(w, "kmalloc failed");
		}
		if (atomic)
			local_irq_enable();
		atomic_fetch_add_explicit(&worker_loops[w], 1, memory_order_relaxed);
	}
	for (int k = 0; k < 16; k++)
		kfree(obj[k]);
}

static void pages_loop(int w, uint64_t *s)
{
	struct page *pg[16] = { 0 };
	unsigned int ord[16] = { 0 };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int k = (int)(rnd(s) % 16);

		bool atomic = rnd(s) % 4 == 0;

		if (atomic)
			local_irq_disable();
		/* Only the block's first and last words are marked, so that
		 * most of this loop's time is spent in the allocator. */
		if (pg[k]) {
			unsigned long *b = page_address(pg[k]);
			size_t last = (PG << ord[k]) / sizeof(long) - 1;

			if (b[0] != (unsigned long)k || b[last] != ~(unsigned long)k)
				werr(w, "page block damaged");
			__free_pages(pg[k], ord[k]);
			pg[k] = NULL;
		} else {
			ord[k] = (unsigned int)(rnd(s) % 6);
			pg[k] = alloc_pages(atomic ? GFP_ATOMIC : GFP_KERNEL, ord[k]);
			if (pg[k]) {
				unsigned long *b = page_address(pg[k]);

				b[0] = (unsigned long)k;
				b[(PG << ord[k]) / sizeof(long) - 1] = ~(unsigned long)k;
			} else if (!atomic) {
				werr(w, "alloc_pages failed");
			}
		}
		if (atomic)
			local_irq_enable();
		atomic_fetch_add_explicit(&worker_loops[w], 1, memory_order_relaxed);
	}
	for (int k = 0; k < 16; k++)
		if (pg[k])
			__free_pages(pg[k], ord[k]);
}

static void vmalloc_loop(int w, uint64_t *s)
{
	void *v[8] = { 0 };
	size_t size[8] = { 0 };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int k = (int)(rnd(s) % 8);

		if (v[k]) {
			if (vcheck(v[k], size[k], (unsigned long)k))
				werr(w, "vmalloc area damaged");
			vfree(v[k]);
			v[k] = NULL;
		} else {
			size[k] = (1 + rnd(s) % 16) * PG;
			v[k] = vmalloc(size[k]);
			if (v[k])
				vfill(v[k], size[k], (unsigned long)k);
			else
				werr(w, "vmalloc failed");
		}
		atomic_fetch_add_explicit(&worker_loops[w], 1, memory_order_relaxed);
	}
	for (int k = 0; k < 8; k++)
		vfree(v[k]);
}

static void mmap_loop(int w, uint64_t *s)
{
	unsigned char *m[8] = { 0 };
	size_t len[8] = { 0 };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int k = (int)(rnd(s) % 8);

		if (m[k]) {
			if (m[k][0] != (unsigned char)(k + 1) || m[k][len[k] - 1] != (unsigned char)(k + 1))
				werr(w, "user mapping lost its data");
			if (mmk_munmap(m[k], len[k]))
				werr(w, "munmap failed");
			m[k] = NULL;
		} else {
			/* Mostly populated at once: mmap and munmap then take
			 * and give back frames while they hold mmap_lock. */
			len[k] = (16 + rnd(s) % 241) * PG;
			m[k] = mmk_mmap(NULL, len[k], RW, ANON | (rnd(s) % 4 ? MAP_POPULATE : 0), -1, 0);
			if (m[k] == MAP_FAILED) {
				m[k] = NULL;
				werr(w, "mmap failed");
				continue;
			}
			m[k][0] = (unsigned char)(k + 1);
			m[k][len[k] - 1] = (unsigned char)(k + 1);
		}
		atomic_fetch_add_explicit(&worker_loops[w], 1, memory_order_relaxed);
	}
	for (int k = 0; k < 8; k++)
		if (m[k])
			mmk_munmap(m[k], len[k]);
}

static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	uint64_t s = test_seed() * 31 + (uint64_t)w + 1;

	my_worker = w;
	pthread_barrier_wait(&barrier);
	switch (w) {
	case 0: kmalloc_loop(w, &s); break;
	case 1: pages_loop(w, &s); break;
	case 2: vmalloc_loop(w, &s); break;
	default: mmap_loop(w, &s); break;
	}
	return NULL;
}

/* ---- The run ------------------------------------------------------------------ */

/* atomic_context_faults from mmk_report("mm_faults"): -1 if there is no
 * such report or no such line. */
static long atomic_faults(void)
{
	char *buf = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	long n = -1;

	if (!f)
		return -1;
	if (mmk_report("mm_faults", f) == 0) {
		fflush(f);
		line = strstr(buf, "atomic_context_faults");
		if (line) {
			line += strlen("atomic_context_faults");
			while (*line == ' ' || *line == ':' || *line == '\t')
				line++;
			n = strtol(line, NULL, 10);
		}
	}
	fclose(f);
	free(buf);
	return n;
}

static void run(const char *cmdline, const char *mode, bool single)
{
	const long nsignals = (long)test_scaled(1000);
	pthread_t th[NWORKERS];
	long runs = 0, good = 0, stray = 0, written, af;
	long anon0;

	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	anon0 = meminfo_field_kb("AnonPages");
	area_pages = (size_t)nsignals;
	area = mmk_mmap(NULL, area_pages * PG, RW, ANON | MAP_NORESERVE, -1, 0);
	REQUIRE(area != MAP_FAILED, "mmap the handlers' area");
	atomic_store(&next_slot, 0);
	atomic_store(&stop, 0);
	for (int w = 0; w < NWORKERS; w++) {
		atomic_store(&handler_runs[w], 0);
		atomic_store(&worker_errors[w], 0);
		atomic_store(&worker_loops[w], 0);
	}

	pthread_barrier_init(&barrier, NULL, NWORKERS + 1);
	for (int w = 0; w < NWORKERS; w++)
		REQUIRE(pthread_create(&th[w], NULL, worker, (void *)(intptr_t)w) == 0, "worker %d", w);
	fprintf(stderr, "# %s: signalling the workers until %ld handlers have run\n", mode, nsignals);
	pthread_barrier_wait(&barrier);
	/* Each worker gets its next signal once it has handled the last one
	 * (a second one sent before would merge with the pending one), until
	 * @nsignals handlers have run. */
	{
		long sent[NWORKERS] = { 0 }, total = 0;
		unsigned long spins = 0;

		while (total < nsignals) {
			bool any = false;

			total = 0;
			for (int w = 0; w < NWORKERS; w++) {
				long done = atomic_load(&handler_runs[w]);

				total += done;
				if (done == sent[w] && total < nsignals) {
					if (pthread_kill(th[w], SIGUSR1) == 0)
						sent[w]++;
					any = true;
				}
			}
			if (!any && ++spins % 64 == 0)
				sched_yield();
		}
	}
	atomic_store(&stop, 1);
	for (int w = 0; w < NWORKERS; w++)
		pthread_join(th[w], NULL);
	pthread_barrier_destroy(&barrier);

	for (int w = 0; w < NWORKERS; w++) {
		long r = atomic_load(&handler_runs[w]);

		runs += r;
		printf("# %s: worker %d ran %ld loops and %ld handlers\n", mode, w,
		       atomic_load(&worker_loops[w]), r);
		CHECK(atomic_load(&worker_errors[w]) == 0, "%s: worker %d's own data", mode, w);
		CHECK(r > 0, "%s: the handler interrupted worker %d at least once", mode, w);
	}
	written = atomic_load(&next_slot);
	CHECK(written == runs, "%s: %ld slots taken for %ld handler runs", mode, written, runs);
	if (written > (long)area_pages)
		written = (long)area_pages;
	for (long i = 0; i < (long)area_pages; i++) {
		const unsigned long *page = area + (size_t)i * (PG / sizeof(long));

		if (i < written)
			good += *slot_addr(i) == slot_word(i);
		else if (single ? mmk_follow_pfn(page) != -1 : *slot_addr(i) != 0)
			stray++;
	}
	CHECK(good == written, "%s: %ld of the %ld words the handlers wrote are there", mode, good,
	      written);
	CHECK(stray == 0, "%s: %ld pages no handler wrote are %s", mode, stray,
	      single ? "mapped" : "not zero");
	printf("# %s: %ld signals sent, %ld handlers ran, each faulting a fresh page\n", mode,
	       nsignals, runs);

	af = atomic_faults();
	if (af < 0)
		printf("# %s: no mm_faults report with atomic_context_faults in this build: faults in atomic context not counted\n",
		       mode);
	else
		printf("# %s: %ld faults in atomic context\n", mode, af);
	/* With large folios most handler writes find a folio an earlier
	 * fault mapped: no count is required there. */
	if (af >= 0 && single)
		CHECK(af > 0, "%s: some faults were taken in atomic context: %ld", mode, af);

	CHECK(mmk_munmap(area, area_pages * PG) == 0, "munmap the area");
	vm_unmap_aliases();
	CHECK(meminfo_field_kb("AnonPages") == anon0, "%s: AnonPages back to %ld kB: %ld", mode, anon0,
	      meminfo_field_kb("AnonPages"));
	CHECK(mmk_check(stderr) == 0, "%s: invariants", mode);
	mmk_shutdown();
}

int main(void)
{
	struct sigaction sa;

	test_seed();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0, "SIGUSR1 handler");

	run("mem=512M thp_anon=16K-2M:never", "single pages", true);
	run("mem=512M", "large folios", false);
	harness_exit();
}
