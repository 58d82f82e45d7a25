/* SPDX-License-Identifier: MIT */
/*
 * The test harness: every tests/test_*.c is one program that proves one
 * behaviour. CHECK() records a failure with its location and goes on;
 * harness_exit() ends the program with 0 only if nothing failed.
 * scripts/check.sh runs every program and prints "N passed, N failed".
 *
 * capture_start()/capture_end() collect what mmkit prints to stderr (its
 * console) in between, so a test can assert on a report's words.
 */
#ifndef MMK_TESTS_HARNESS_H
#define MMK_TESTS_HARNESS_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

extern int harness_failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		harness_failures++;					\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Like CHECK, but stop the test: what follows depends on it. */
#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		CHECK(cond, __VA_ARGS__);				\
		harness_exit();						\
	}								\
} while (0)

__attribute__((noreturn)) void harness_exit(void);

/* Start collecting stderr; capture_end() returns it (static buffer, NUL
 * terminated, valid until the next capture) and restores stderr. */
void capture_start(void);
const char *capture_end(void);

/* Run fn(arg) in a child process; returns its wait status. The child's
 * stderr is collected into *out (static buffer) when out is not NULL. */
int run_in_child(void (*fn)(void *), void *arg, const char **out);

/* A seeded xorshift generator, so that random tests are reproducible:
 * the seed is printed and can be given in MMK_TEST_SEED. */
unsigned long long test_seed(void);
unsigned long long test_rand(void);

/* ---- Helpers for the page-allocator tests ---------------------------- */

struct page;

/* True in the ASan build, where memory work costs several times more. */
bool test_under_asan(void);

/* @n scaled for this build: MMK_TEST_SCALE (a percentage) when set, else
 * 100% normally and 25% under ASan; never below 1. */
unsigned long test_scaled(unsigned long n);

/* Host resources this process holds: open fds, lines of /proc/self/maps. */
int count_open_fds(void);
int count_mappings(void);

/* How many lines @s holds (a last line without '\n' counts). */
int count_lines(const char *s);

/* Free pages once every per-CPU list is back in the buddy allocator. */
unsigned long settled_free_pages(void);

/* The booted machine's number of frames (max_pfn), found with pfn_valid. */
unsigned long machine_pfns(void);

/* Fill a block with words derived from its pfns and @tag; check them.
 * pattern_check() returns how many words differ. */
void pattern_fill(struct page *page, unsigned int order, unsigned long tag);
unsigned long pattern_check(struct page *page, unsigned int order, unsigned long tag);

/*
 * A handful of live allocations of mixed orders (and a compound one), filled
 * with patterns, that a bad-input test keeps across its bad call to prove
 * that nothing else was touched: live_set_check() counts damaged blocks,
 * live_set_free() gives them back.
 */
#define LIVE_SET_BLOCKS 12
struct live_set {
	struct page *page[LIVE_SET_BLOCKS];
	unsigned int order[LIVE_SET_BLOCKS];
	int nr;
};
void live_set_alloc(struct live_set *set);
int live_set_check(const struct live_set *set);
void live_set_free(struct live_set *set);

/* ---- Helpers for the slab and kmalloc tests --------------------------- */

/* Fill @bytes of an object with bytes derived from its address and @tag;
 * obj_check() returns how many bytes differ. */
void obj_fill(void *p, size_t bytes, unsigned long tag);
size_t obj_check(const void *p, size_t bytes, unsigned long tag);

/*
 * A handful of live kmalloc objects of every size class (and a large one),
 * filled with patterns, that a slab bad-input test keeps across its bad
 * call: kobj_set_check() counts damaged objects, kobj_set_free() frees them.
 */
#define KOBJ_SET_OBJS 32
struct kobj_set {
	void *obj[KOBJ_SET_OBJS];
	size_t size[KOBJ_SET_OBJS];
	int nr;
};
void kobj_set_alloc(struct kobj_set *set);
int kobj_set_check(const struct kobj_set *set);
void kobj_set_free(struct kobj_set *set);

/*
 * One cache's line of mmk_report("slabinfo"): 0 and the columns, or -1 when
 * the report or the cache is missing. meminfo_field_kb() reads one meminfo field
 * (-1 if missing).
 */
struct slabinfo_line {
	unsigned long active_objs, num_objs, objsize, objperslab, pagesperslab;
	unsigned long active_slabs, num_slabs;
};
int slabinfo_get(const char *cache, struct slabinfo_line *l);
long meminfo_field_kb(const char *field);

/* Does @s contain "0x" followed by @p as 16 hex digits (as reports print)? */
bool names_address(const char *s, const void *p);

/* ---- Helpers for the vmalloc tests ------------------------------------- */

/* A word pattern by offset and @tag, independent of the address it is at,
 * so the same bytes can be looked for through the direct map: vword() is
 * word @i, vfill() writes @bytes of it, vcheck() counts differing words. */
unsigned long vword(size_t i, unsigned long tag);
void vfill(void *p, size_t bytes, unsigned long tag);
size_t vcheck(const void *p, size_t bytes, unsigned long tag);
/*
 * Probing an access that may fault. The test installs its own SIGSEGV
 * handler before mmk_boot() (mmkit passes it the faults that are not its
 * own); the handler ends with probe_caught(). probe() touches @p (writes
 * @v, or reads) and returns 0, or the signal it took, with probe_code and
 * probe_addr saying how.
 */
extern sigjmp_buf probe_env;
extern volatile sig_atomic_t probe_armed, probe_sig, probe_code;
extern void *volatile probe_addr;
int probe(void *p, bool write, unsigned char v);
_Noreturn void probe_caught(int sig, const siginfo_t *si);
/* The access must fault with SIGSEGV and @code (SEGV_MAPERR/ACCERR) at @p. */
void expect_fault(void *p, bool write, int code, const char *what);

/* Read every byte of [@p, @p + @len): how many are not zero. */
size_t read_nonzero(const void *p, size_t len);
/* One /proc/vmstat counter from mmk_report("vmstat"), -1 if missing. */
long vmstat_get(const char *name);

/*
 * A fragmented machine: fragment_memory() takes every free page (the
 * reserves too) and gives back those with an odd pfn, so no two free
 * frames are adjacent and no order >= 1 request can succeed;
 * unfragment_memory() gives the rest back.
 */
void fragment_memory(void);
void unfragment_memory(void);

/* ---- Helpers for the swap tests ----------------------------------------- */

/*
 * A path for a file the test makes (a swap file): "<dir>/<name>", where
 * <dir> is a directory made for this test at the first call, under $TMPDIR
 * or /tmp. The directory and everything in it are removed when the process
 * that made it exits (a forked child's exit leaves them).
 */
const char *test_tmp_path(const char *name);

/* One line of mmk_report(@report) that starts with "@field:", as a number
 * (kB for the kB fields), -1 if missing: report_value("self/status",
 * "VmSwap"). */
long report_value(const char *report, const char *field);
/* How many of the pages @first .. @first + @n - 1 from @base map a frame
 * (mmk_follow_pfn(), which never faults). */
long pages_mapped(const void *base, size_t first, size_t n);

/* @path's line of mmk_report("swaps") (/proc/swaps): 0, or -1 when the
 * report or the line is missing. swaps_count(): devices listed, or -1. */
struct swaps_line {
	char type[16];
	long size_kb, used_kb;
	int prio;
};
int swaps_get(const char *path, struct swaps_line *l);
int swaps_count(void);

#endif
