// SPDX-License-Identifier: MIT
/*
 * mempool: the plan for allocations that must not fail, "particularly in
 * an interrupt handler". A pool allocates min_nr elements up front; later
 * mempool_alloc() asks the allocator first and falls back on the reserve,
 * and mempool_free() refills the reserve before anything goes back.
 *
 * The heart of it runs on a machine whose memory is exhausted (every page
 * and every free kmalloc-256 object taken): in a handler, kmalloc(256,
 * GFP_ATOMIC) fails while mempool_alloc(GFP_ATOMIC) succeeds exactly
 * min_nr times, silently, then returns NULL. A simulated network driver
 * receives packets in its handler and frees them in batches from process
 * context: with kmalloc it drops packets, with a pool of 16 it drops none
 * while at most 16 are in flight (and exactly one per batch of 17). With
 * __GFP_DIRECT_RECLAIM, an empty pool waits for another thread's free
 * instead of failing.
 *
 * Also: creation (min_nr < 1 or missing functions refused), the kmalloc,
 * page and slab element kinds, resize up and down, destroy giving back
 * every page, and __GFP_ZERO (warned about, since a reserved element is
 * not zeroed). Counting alloc/free functions make every element visible.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include "harness.h"

#define POOL_MIN	16
#define BUF_SIZE	256
#define ATOMIC_QUIET	(GFP_ATOMIC | __GFP_NOWARN)

/* ---- A pool whose alloc and free functions count ---------------------- */

static long counted_allocs, counted_frees;

static void *counted_alloc(gfp_t gfp, void *data)
{
	void *p = kmalloc((size_t)(uintptr_t)data, gfp);

	if (p)
		__atomic_fetch_add(&counted_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void counted_free(void *element, void *data)
{
	(void)data;
	__atomic_fetch_add(&counted_frees, 1, __ATOMIC_RELAXED);
	kfree(element);
}

static long counted_live(void)
{
	return counted_allocs - counted_frees;
}

/* ---- Creation ----------------------------------------------------------- */

static void refused(int min_nr, mempool_alloc_t *a, mempool_free_t *f, const char *what)
{
	const char *out;
	mempool_t *pool;

	capture_start();
	pool = mempool_create(min_nr, a, f, (void *)(uintptr_t)BUF_SIZE);
	out = capture_end();
	CHECK(pool == NULL, "mempool_create(%s) is refused", what);
	CHECK(strstr(out, "WARNING") != NULL, "mempool_create(%s) warns; got:\n%s", what, out);
	if (pool)
		mempool_destroy(pool);
}

static void test_create(void)
{
	mempool_t *pool = mempool_create_kmalloc_pool(POOL_MIN, BUF_SIZE);
	void *p;

	REQUIRE(pool, "mempool_create_kmalloc_pool(16, 256)");
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN, "the reserve holds %d, want %d",
	      mmk_mempool_reserve_nr(pool), POOL_MIN);
	p = mempool_alloc(pool, GFP_KERNEL);
	CHECK(p != NULL && ksize(p) >= BUF_SIZE, "a kmalloc pool element holds 256 bytes");
	if (p)
		memset(p, 0x3c, BUF_SIZE);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN,
	      "with memory to spare the allocator serves first: reserve %d",
	      mmk_mempool_reserve_nr(pool));
	mempool_free(p, pool);
	mempool_destroy(pool);

	refused(0, counted_alloc, counted_free, "min_nr 0");
	refused(-3, counted_alloc, counted_free, "min_nr -3");
	refused(4, NULL, counted_free, "no alloc function");
	refused(4, counted_alloc, NULL, "no free function");
	CHECK(counted_live() == 0 && counted_allocs == 0, "a refused pool allocated nothing (%ld)",
	      counted_allocs);
}

/* ---- __GFP_ZERO ----------------------------------------------------------- */

static void test_gfp_zero(void)
{
	mempool_t *pool = mempool_create_kmalloc_pool(2, BUF_SIZE);
	const char *out;
	void *p;

	REQUIRE(pool, "pool");
	capture_start();
	p = mempool_alloc(pool, GFP_KERNEL | __GFP_ZERO);
	out = capture_end();
	CHECK(strstr(out, "WARNING") != NULL, "mempool_alloc(__GFP_ZERO) warns; got:\n%s", out);
	CHECK(p != NULL, "mempool_alloc(__GFP_ZERO) still returns an element");
	mempool_free(p, pool);
	mempool_destroy(pool);
}

/* ---- Refill first, then give back; resize; destroy ------------------------ */

static void test_refill_resize_destroy(void)
{
	void *el[24];
	mempool_t *pool;

	counted_allocs = counted_frees = 0;
	pool = mempool_create(4, counted_alloc, counted_free, (void *)(uintptr_t)BUF_SIZE);
	REQUIRE(pool, "counting pool");
	CHECK(counted_live() == 4 && mmk_mempool_reserve_nr(pool) == 4,
	      "created: %ld live, reserve %d", counted_live(), mmk_mempool_reserve_nr(pool));

	/* With memory to spare the allocator serves, the reserve stays full,
	 * and a full reserve sends frees back to the allocator. */
	for (int i = 0; i < 6; i++)
		el[i] = mempool_alloc(pool, GFP_KERNEL);
	CHECK(counted_allocs == 10 && mmk_mempool_reserve_nr(pool) == 4,
	      "6 allocations: %ld allocator calls, reserve %d", counted_allocs,
	      mmk_mempool_reserve_nr(pool));
	for (int i = 0; i < 6; i++)
		mempool_free(el[i], pool);
	CHECK(counted_frees == 6 && mmk_mempool_reserve_nr(pool) == 4,
	      "a full reserve gives all 6 back: %ld freed, reserve %d", counted_frees,
	      mmk_mempool_reserve_nr(pool));

	/* Resize up: the new reserve is filled at once. */
	CHECK(mempool_resize(pool, 10) == 0, "resize to 10");
	CHECK(mmk_mempool_reserve_nr(pool) == 10 && counted_live() == 10,
	      "resized up: reserve %d, %ld live", mmk_mempool_reserve_nr(pool), counted_live());
	/* Resize down: the extra elements are freed. */
	CHECK(mempool_resize(pool, 3) == 0, "resize to 3");
	CHECK(mmk_mempool_reserve_nr(pool) == 3 && counted_live() == 3,
	      "resized down: reserve %d, %ld live", mmk_mempool_reserve_nr(pool), counted_live());
	CHECK(mempool_resize(pool, 0) != 0, "resize to 0 is refused");
	CHECK(mmk_mempool_reserve_nr(pool) == 3, "a refused resize changes nothing");

	/* Resize down while elements are out: they come back to the smaller
	 * reserve first, the rest to the allocator. */
	CHECK(mempool_resize(pool, 8) == 0, "resize to 8");
	for (int i = 0; i < 8; i++)
		el[i] = mempool_alloc(pool, GFP_KERNEL);
	CHECK(counted_live() == 16, "8 out, 8 reserved: %ld live", counted_live());
	CHECK(mempool_resize(pool, 2) == 0, "resize to 2 with 8 out");
	CHECK(mmk_mempool_reserve_nr(pool) == 2, "reserve 2 now, not %d",
	      mmk_mempool_reserve_nr(pool));
	for (int i = 0; i < 8; i++)
		mempool_free(el[i], pool);
	CHECK(mmk_mempool_reserve_nr(pool) == 2 && counted_live() == 2,
	      "the 8 went back to the allocator: reserve %d, %ld live",
	      mmk_mempool_reserve_nr(pool), counted_live());

	mempool_destroy(pool);
	CHECK(counted_live() == 0, "destroy frees the reserve: %ld still live", counted_live());
}

/* ---- Page pools ------------------------------------------------------------ */

static void test_page_pool(void)
{
	struct page *el[8];
	unsigned long before, created, after;
	mempool_t *pool;

	/* Once first, so that the kmalloc slabs for the pool's own
	 * bookkeeping are there and the page counts below are exact. */
	pool = mempool_create_page_pool(4, 2);
	REQUIRE(pool, "page pool");
	mempool_destroy(pool);

	before = settled_free_pages();
	pool = mempool_create_page_pool(4, 2);
	REQUIRE(pool, "mempool_create_page_pool(4, 2)");
	created = settled_free_pages();
	CHECK(before - created == 4 << 2, "the reserve holds 4 order-2 blocks: %lu pages taken",
	      before - created);

	for (int i = 0; i < 8; i++) {
		el[i] = mempool_alloc(pool, GFP_KERNEL);
		REQUIRE(el[i], "page element %d", i);
		CHECK((page_to_pfn(el[i]) & 3) == 0, "element %d is an aligned order-2 block (pfn %lu)",
		      i, page_to_pfn(el[i]));
		CHECK(page_address(el[i]) != NULL, "page_address() of element %d", i);
		pattern_fill(el[i], 2, 0x900d + (unsigned long)i);
	}
	irq_enter();
	for (int i = 0; i < 8; i++)
		CHECK(pattern_check(el[i], 2, 0x900d + (unsigned long)i) == 0,
		      "element %d holds its 4 pages of data", i);
	/* Freed from a handler: a full reserve returns them to the buddy. */
	for (int i = 0; i < 8; i++)
		mempool_free(el[i], pool);
	irq_exit();
	CHECK(mmk_mempool_reserve_nr(pool) == 4, "reserve %d after the frees",
	      mmk_mempool_reserve_nr(pool));
	CHECK(settled_free_pages() == created, "freeing returned the blocks: %lu free, want %lu",
	      settled_free_pages(), created);

	mempool_destroy(pool);
	after = settled_free_pages();
	CHECK(after == before, "after mempool_destroy %lu pages are free, want %lu", after, before);
	CHECK(mmk_check(stderr) == 0, "invariants after the page pool");
}

/* ---- Slab pools ------------------------------------------------------------ */

static void test_slab_pool(void)
{
	struct kmem_cache *cache = kmem_cache_create("mempool_test", 200, 0, 0, NULL);
	const char *out;
	mempool_t *pool;
	void *el[12];

	REQUIRE(cache, "cache");
	pool = mempool_create_slab_pool(6, cache);
	REQUIRE(pool, "mempool_create_slab_pool(6, cache)");
	CHECK(mmk_mempool_reserve_nr(pool) == 6, "reserve %d", mmk_mempool_reserve_nr(pool));
	irq_enter();
	capture_start();
	for (int i = 0; i < 12; i++) {
		el[i] = mempool_alloc(pool, GFP_ATOMIC);
		if (el[i])
			obj_fill(el[i], 200, (unsigned long)i);
	}
	out = capture_end();
	irq_exit();
	CHECK(out[0] == '\0', "slab pool in a handler is silent; got:\n%s", out);
	for (int i = 0; i < 12; i++) {
		CHECK(el[i] && obj_check(el[i], 200, (unsigned long)i) == 0, "slab element %d", i);
		mempool_free(el[i], pool);
	}
	CHECK(mmk_mempool_reserve_nr(pool) == 6, "reserve %d", mmk_mempool_reserve_nr(pool));
	mempool_destroy(pool);

	/* Destroy gave the reserve back to the cache: it is empty now, and
	 * destroying it finds no objects still in use. */
	capture_start();
	kmem_cache_destroy(cache);
	out = capture_end();
	CHECK(out[0] == '\0', "the cache is empty after mempool_destroy; got:\n%s", out);
}

/* ---- An exhausted machine ---------------------------------------------------- */

#define MAX_HOG 8192
static struct page *hog_page[MAX_HOG];
static int nr_hog_pages;
static void *hog_obj[MAX_HOG];
static int nr_hog_objs;

/* Take every page GFP_ATOMIC can reach (draining the per-CPU lists until
 * that finds nothing more), then every free kmalloc-256 object. */
static void exhaust(void)
{
	struct page *page;
	void *p;
	bool got;

	do {
		got = false;
		drain_all_pages(NULL);
		while ((page = alloc_page(ATOMIC_QUIET))) {
			REQUIRE(nr_hog_pages < MAX_HOG, "too many pages");
			hog_page[nr_hog_pages++] = page;
			got = true;
		}
	} while (got);
	while ((p = kmalloc(BUF_SIZE, ATOMIC_QUIET))) {
		REQUIRE(nr_hog_objs < MAX_HOG, "too many objects");
		hog_obj[nr_hog_objs++] = p;
	}
	REQUIRE(nr_hog_pages > 1000, "took %d pages", nr_hog_pages);
}

static void unexhaust(void)
{
	while (nr_hog_objs)
		kfree(hog_obj[--nr_hog_objs]);
	while (nr_hog_pages)
		__free_page(hog_page[--nr_hog_pages]);
}

/* Give @n kmalloc-256 objects back to the allocator: light pressure. */
static void release_objs(int n)
{
	for (int i = 0; i < n && nr_hog_objs; i++)
		kfree(hog_obj[--nr_hog_objs]);
}

static void retake_objs(void)
{
	void *p;

	while ((p = kmalloc(BUF_SIZE, ATOMIC_QUIET)))
		hog_obj[nr_hog_objs++] = p;
}

static void test_handler_reserve(mempool_t *pool)
{
	void *el[POOL_MIN + 1];
	const char *out;
	void *p;
	int got = 0;

	irq_enter();
	capture_start();
	p = kmalloc(BUF_SIZE, ATOMIC_QUIET);
	for (int i = 0; i <= POOL_MIN; i++) {
		el[i] = mempool_alloc(pool, GFP_ATOMIC);
		if (el[i]) {
			obj_fill(el[i], BUF_SIZE, 0xe1 + (unsigned long)i);
			got++;
		}
	}
	out = capture_end();
	irq_exit();
	CHECK(p == NULL, "kmalloc(256, GFP_ATOMIC) fails in a handler on the exhausted machine");
	kfree(p);
	CHECK(got == POOL_MIN, "mempool_alloc(GFP_ATOMIC) succeeded %d times, want %d", got,
	      POOL_MIN);
	for (int i = 0; i < POOL_MIN; i++)
		CHECK(el[i] != NULL, "reserved element %d", i);
	CHECK(el[POOL_MIN] == NULL, "the 17th mempool_alloc(GFP_ATOMIC) returns NULL");
	CHECK(out[0] == '\0', "failing in a handler prints nothing; got:\n%s", out);
	CHECK(mmk_mempool_reserve_nr(pool) == 0, "the reserve is empty: %d",
	      mmk_mempool_reserve_nr(pool));
	for (int i = 0; i < POOL_MIN; i++)
		for (int j = 0; j < i; j++)
			CHECK(el[i] != el[j], "elements %d and %d differ", i, j);
	for (int i = 0; i < POOL_MIN; i++)
		CHECK(el[i] && obj_check(el[i], BUF_SIZE, 0xe1 + (unsigned long)i) == 0,
		      "element %d kept its data", i);

	/* mempool_free refills the reserve first: nothing reaches kmalloc. */
	for (int i = 0; i < POOL_MIN; i++) {
		mempool_free(el[i], pool);
		CHECK(mmk_mempool_reserve_nr(pool) == i + 1, "after %d frees the reserve holds %d",
		      i + 1, mmk_mempool_reserve_nr(pool));
	}
	p = kmalloc(BUF_SIZE, ATOMIC_QUIET);
	CHECK(p == NULL, "the freed elements went to the reserve, not to kmalloc");
	kfree(p);
}

/* With a full reserve, mempool_free gives elements back to the allocator;
 * mempool_alloc asks the allocator before the reserve. */
static void test_give_back(mempool_t *pool)
{
	void *el[5], *p[6];
	int n = 0;

	release_objs(4);
	irq_enter();
	for (int i = 0; i < 4; i++)
		el[i] = mempool_alloc(pool, GFP_ATOMIC);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN,
	      "the 4 free objects are used before the reserve: reserve %d",
	      mmk_mempool_reserve_nr(pool));
	el[4] = mempool_alloc(pool, GFP_ATOMIC);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN - 1,
	      "then the reserve: %d", mmk_mempool_reserve_nr(pool));
	irq_exit();
	for (int i = 0; i < 5; i++) {
		CHECK(el[i] != NULL, "element %d", i);
		mempool_free(el[i], pool);
	}
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN, "reserve full again: %d",
	      mmk_mempool_reserve_nr(pool));
	/* The other 4 went back to kmalloc, which can hand them out again. */
	for (int i = 0; i < 6; i++) {
		p[i] = kmalloc(BUF_SIZE, ATOMIC_QUIET);
		if (p[i])
			n++;
	}
	CHECK(n == 4, "kmalloc got %d objects back from the full pool, want 4", n);
	for (int i = 0; i < 6; i++)
		if (p[i])
			hog_obj[nr_hog_objs++] = p[i];
	retake_objs();
}

/*
 * A network driver: each interrupt receives one packet into a 256-byte
 * buffer allocated with GFP_ATOMIC (a packet with no buffer is dropped);
 * after every @batch interrupts, process context consumes and frees the
 * buffers, so at most @batch are in flight.
 */
struct rx_stats {
	int received, dropped, corrupt;
};

static void *rx_alloc(mempool_t *pool)
{
	return pool ? mempool_alloc(pool, GFP_ATOMIC) : kmalloc(BUF_SIZE, ATOMIC_QUIET);
}

static void rx_free(mempool_t *pool, void *buf)
{
	if (pool)
		mempool_free(buf, pool);
	else
		kfree(buf);
}

static struct rx_stats receive(mempool_t *pool, int packets, int batch, const char *what)
{
	struct rx_stats st = { 0, 0, 0 };
	void *ring[64];
	unsigned long seq_of[64];
	const char *out;
	int n = 0;

	REQUIRE(batch <= 64, "batch");
	capture_start();
	for (int seq = 0; seq < packets; seq++) {
		void *buf;

		irq_enter();		/* the NIC raises an interrupt */
		buf = rx_alloc(pool);
		if (buf) {
			obj_fill(buf, BUF_SIZE, 0x9ac0 + (unsigned long)seq);
			seq_of[n] = (unsigned long)seq;
			ring[n++] = buf;
		} else {
			st.dropped++;
		}
		irq_exit();

		if ((seq + 1) % batch == 0 || seq + 1 == packets) {
			/* Process context: the protocol stack consumes them. */
			for (int i = 0; i < n; i++) {
				if (obj_check(ring[i], BUF_SIZE, 0x9ac0 + seq_of[i]))
					st.corrupt++;
				st.received++;
				rx_free(pool, ring[i]);
			}
			n = 0;
		}
	}
	out = capture_end();
	CHECK(out[0] == '\0', "%s: receiving prints nothing; got:\n%s", what, out);
	CHECK(st.corrupt == 0, "%s: %d packets corrupt", what, st.corrupt);
	CHECK(st.received + st.dropped == packets, "%s: %d + %d != %d", what, st.received,
	      st.dropped, packets);
	printf("# %-40s batch %2d: %3d received, %3d dropped\n", what, batch, st.received,
	       st.dropped);
	return st;
}

#define PACKETS (17 * 16)

static void test_packets(mempool_t *pool)
{
	struct rx_stats st;

	/* Exhausted: kmalloc has nothing. */
	st = receive(NULL, PACKETS, 8, "kmalloc, exhausted");
	CHECK(st.dropped > 0, "kmalloc drops packets on an exhausted machine");
	CHECK(st.dropped == PACKETS, "kmalloc drops every packet: %d", st.dropped);

	/* Pressure: 4 buffers free in the allocator. */
	release_objs(4);
	st = receive(NULL, PACKETS, 8, "kmalloc, 4 buffers free");
	CHECK(st.dropped > 0, "kmalloc drops packets under pressure: %d", st.dropped);
	CHECK(st.received > 0, "kmalloc receives some with 4 buffers free: %d", st.received);
	st = receive(pool, PACKETS, 8, "mempool(16), 4 buffers free");
	CHECK(st.dropped == 0, "the mempool drops nothing under pressure: %d", st.dropped);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN, "reserve %d after",
	      mmk_mempool_reserve_nr(pool));
	retake_objs();

	/* Exhausted: the reserve alone carries up to 16 in flight. */
	st = receive(pool, PACKETS, 8, "mempool(16), exhausted");
	CHECK(st.dropped == 0, "8 in flight: the mempool drops nothing: %d", st.dropped);
	st = receive(pool, PACKETS, 16, "mempool(16), exhausted");
	CHECK(st.dropped == 0, "16 in flight: the mempool drops nothing: %d", st.dropped);
	st = receive(pool, PACKETS, 17, "mempool(16), exhausted");
	CHECK(st.dropped == PACKETS / 17, "17 in flight: one drop per batch: %d, want %d",
	      st.dropped, PACKETS / 17);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN, "reserve %d after",
	      mmk_mempool_reserve_nr(pool));
}

/* ---- Waiting: __GFP_DIRECT_RECLAIM with an empty reserve ------------------ */

static mempool_t *wait_pool;
static void *wait_element;
static int freer_started;

static void *freer(void *arg)
{
	(void)arg;
	usleep(50000);
	__atomic_store_n(&freer_started, 1, __ATOMIC_RELEASE);
	mempool_free(wait_element, wait_pool);
	return NULL;
}

static void test_wait(mempool_t *pool)
{
	void *el[POOL_MIN];
	const char *out;
	pthread_t b;
	void *got;

	capture_start();
	for (int i = 0; i < POOL_MIN; i++)
		el[i] = mempool_alloc(pool, GFP_KERNEL);	/* from the reserve */
	out = capture_end();
	for (int i = 0; i < POOL_MIN; i++)
		REQUIRE(el[i], "GFP_KERNEL element %d from the reserve", i);
	CHECK(out[0] == '\0', "taking the reserve with GFP_KERNEL is silent; got:\n%s", out);
	REQUIRE(mmk_mempool_reserve_nr(pool) == 0, "reserve empty");

	wait_pool = pool;
	wait_element = el[5];
	REQUIRE(pthread_create(&b, NULL, freer, NULL) == 0, "thread");
	capture_start();
	got = mempool_alloc(pool, GFP_KERNEL);
	out = capture_end();
	pthread_join(b, NULL);
	CHECK(got != NULL, "mempool_alloc(GFP_KERNEL) does not fail: it waits");
	CHECK(__atomic_load_n(&freer_started, __ATOMIC_ACQUIRE),
	      "it returned only after the other thread's free");
	CHECK(got == wait_element, "it returned the element the other thread freed (%p, want %p)",
	      got, wait_element);
	CHECK(out[0] == '\0', "waiting prints nothing; got:\n%s", out);
	CHECK(mmk_mempool_reserve_nr(pool) == 0, "reserve %d", mmk_mempool_reserve_nr(pool));
	el[5] = got;
	for (int i = 0; i < POOL_MIN; i++)
		mempool_free(el[i], pool);
	CHECK(mmk_mempool_reserve_nr(pool) == POOL_MIN, "reserve refilled: %d",
	      mmk_mempool_reserve_nr(pool));
}

static void test_exhausted(void)
{
	mempool_t *pool;
	unsigned long before;

	before = settled_free_pages();
	pool = mempool_create_kmalloc_pool(POOL_MIN, BUF_SIZE);
	REQUIRE(pool, "pool");
	exhaust();
	printf("# exhausted: took %d pages and %d kmalloc-256 objects, %lu pages left free\n",
	       nr_hog_pages, nr_hog_objs, settled_free_pages());

	test_handler_reserve(pool);
	test_give_back(pool);
	test_packets(pool);
	test_wait(pool);

	unexhaust();
	mempool_destroy(pool);
	CHECK(mmk_check(stderr) == 0, "invariants after the exhausted machine");
	/* The pools made before warmed the kmalloc caches, so every page
	 * the exhausted machine and this pool took is back. */
	CHECK(settled_free_pages() == before, "%lu pages free after, %lu before",
	      settled_free_pages(), before);
}

int main(void)
{
	REQUIRE(mmk_boot("mem=16M") == 0, "boot");
	test_create();
	test_gfp_zero();
	test_refill_resize_destroy();
	test_page_pool();
	test_slab_pool();
	test_exhausted();
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
