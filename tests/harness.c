// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>

#include "harness.h"

int harness_failures;

void harness_exit(void)
{
	fflush(stdout);
	fflush(stderr);
	exit(harness_failures ? 1 : 0);
}

static char capbuf[1 << 20];
static int saved_fd = -1;
static FILE *capfile;

void capture_start(void)
{
	fflush(stderr);
	capfile = tmpfile();
	if (!capfile) {
		perror("tmpfile");
		exit(2);
	}
	saved_fd = dup(STDERR_FILENO);
	dup2(fileno(capfile), STDERR_FILENO);
}

const char *capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	rewind(capfile);
	n = fread(capbuf, 1, sizeof(capbuf) - 1, capfile);
	capbuf[n] = '\0';
	fclose(capfile);
	return capbuf;
}

int run_in_child(void (*fn)(void *), void *arg, const char **out)
{
	int status = 0;
	pid_t pid;

	if (out)
		capture_start();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (out)
		*out = capture_end();
	return status;
}

static unsigned long long rng_state;

unsigned long long test_seed(void)
{
	static unsigned long long seed;

	if (!seed) {
		const char *s = getenv("MMK_TEST_SEED");

		seed = s ? strtoull(s, NULL, 0) : (unsigned long long)time(NULL) ^
			(unsigned long long)getpid() << 16;
		if (!seed)
			seed = 1;
		rng_state = seed;
		printf("# seed %llu (MMK_TEST_SEED=%llu reproduces this run)\n", seed, seed);
	}
	return seed;
}

unsigned long long test_rand(void)
{
	unsigned long long x;

	if (!rng_state)
		test_seed();
	x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* ---- Helpers for the page-allocator tests ---------------------------- */

#include <dirent.h>
#include <mmkit/linux.h>
#include <mmkit/mman.h>

bool test_under_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

unsigned long test_scaled(unsigned long n)
{
	const char *s = getenv("MMK_TEST_SCALE");
	unsigned long pct = test_under_asan() ? 25 : 100;
	unsigned long r;

	if (s && *s)
		pct = strtoul(s, NULL, 10);
	r = n * pct / 100;
	return r ? r : 1;
}

int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		if (*s == '\n' || !s[1])
			n++;
	return n;
}

unsigned long settled_free_pages(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

unsigned long machine_pfns(void)
{
	unsigned long lo = 0, hi = 1UL << 40;	/* pfn_valid(lo), !pfn_valid(hi) */

	if (!pfn_valid(0))
		return 0;
	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (pfn_valid(mid))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static inline unsigned long pattern_word(unsigned long pfn, size_t i,
					 unsigned long tag)
{
	return (pfn * 0x9e3779b97f4a7c15ul) ^ (i * 0xff51afd7ed558ccdul) ^ tag;
}

void pattern_fill(struct page *page, unsigned int order, unsigned long tag)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long *w = page_address(page);
	size_t words = (PAGE_SIZE << order) / sizeof(long);

	for (size_t i = 0; i < words; i++)
		w[i] = pattern_word(pfn, i, tag);
}

unsigned long pattern_check(struct page *page, unsigned int order, unsigned long tag)
{
	unsigned long pfn = page_to_pfn(page), bad = 0;
	const unsigned long *w = page_address(page);
	size_t words = (PAGE_SIZE << order) / sizeof(long);

	for (size_t i = 0; i < words; i++)
		bad += w[i] != pattern_word(pfn, i, tag);
	return bad;
}

void live_set_alloc(struct live_set *set)
{
	static const unsigned int orders[LIVE_SET_BLOCKS] = {
		0, 0, 1, 0, 2, 3, 0, 4, 5, 1, 9, 0,
	};

	set->nr = 0;
	for (int i = 0; i < LIVE_SET_BLOCKS; i++) {
		gfp_t gfp = GFP_KERNEL | (i == 5 ? __GFP_COMP : 0) |
			    (i == 3 ? __GFP_DMA : 0) | (i == 6 ? __GFP_MOVABLE : 0);
		struct page *page = alloc_pages(gfp, orders[i]);

		CHECK(page != NULL, "live block %d (order %u)", i, orders[i]);
		if (!page)
			continue;
		set->page[set->nr] = page;
		set->order[set->nr] = orders[i];
		pattern_fill(page, orders[i], 0x5a5a0000ul + (unsigned long)set->nr);
		set->nr++;
	}
}

int live_set_check(const struct live_set *set)
{
	int damaged = 0;

	for (int i = 0; i < set->nr; i++) {
		unsigned long bad = pattern_check(set->page[i], set->order[i],
						  0x5a5a0000ul + (unsigned long)i);

		if (bad) {
			fprintf(stderr, "live block at pfn %#lx (order %u): %lu words changed\n",
				page_to_pfn(set->page[i]), set->order[i], bad);
			damaged++;
		}
		if (page_count(set->page[i]) != 1) {
			fprintf(stderr, "live block at pfn %#lx: refcount %d, expected 1\n",
				page_to_pfn(set->page[i]), page_count(set->page[i]));
			damaged++;
		}
	}
	return damaged;
}

void live_set_free(struct live_set *set)
{
	for (int i = 0; i < set->nr; i++)
		__free_pages(set->page[i], set->order[i]);
	set->nr = 0;
}

/* ---- Helpers for the slab and kmalloc tests --------------------------- */

static inline unsigned char obj_byte(const void *p, size_t i, unsigned long tag)
{
	unsigned long x = ((unsigned long)p + i) * 0x9e3779b97f4a7c15ul ^ tag;

	return (unsigned char)(x >> 56 ^ x >> 13 ^ i);
}

void obj_fill(void *p, size_t bytes, unsigned long tag)
{
	unsigned char *b = p;

	for (size_t i = 0; i < bytes; i++)
		b[i] = obj_byte(p, i, tag);
}

size_t obj_check(const void *p, size_t bytes, unsigned long tag)
{
	const unsigned char *b = p;
	size_t bad = 0;

	for (size_t i = 0; i < bytes; i++)
		bad += b[i] != obj_byte(p, i, tag);
	return bad;
}

void kobj_set_alloc(struct kobj_set *set)
{
	static const size_t sizes[] = {
		8, 16, 32, 64, 64, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096,
		8192, 5, 60, 100, 3000, 20000,
	};

	set->nr = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && set->nr < KOBJ_SET_OBJS; i++) {
		void *p = kmalloc(sizes[i], GFP_KERNEL);

		CHECK(p != NULL, "live kmalloc(%zu)", sizes[i]);
		if (!p)
			continue;
		set->obj[set->nr] = p;
		set->size[set->nr] = sizes[i];
		obj_fill(p, sizes[i], 0xa110c000ul + (unsigned long)set->nr);
		set->nr++;
	}
}

int kobj_set_check(const struct kobj_set *set)
{
	int damaged = 0;

	for (int i = 0; i < set->nr; i++) {
		size_t bad = obj_check(set->obj[i], set->size[i],
				       0xa110c000ul + (unsigned long)i);

		if (bad) {
			fprintf(stderr, "live kmalloc(%zu) at %p: %zu bytes changed\n",
				set->size[i], set->obj[i], bad);
			damaged++;
		}
		if (ksize(set->obj[i]) < set->size[i]) {
			fprintf(stderr, "live kmalloc(%zu) at %p: ksize %zu\n",
				set->size[i], set->obj[i], ksize(set->obj[i]));
			damaged++;
		}
	}
	return damaged;
}

void kobj_set_free(struct kobj_set *set)
{
	for (int i = 0; i < set->nr; i++)
		kfree(set->obj[i]);
	set->nr = 0;
}

bool names_address(const char *s, const void *p)
{
	char a[40];

	snprintf(a, sizeof(a), "0x%016lx", (unsigned long)p);
	return strstr(s, a) != NULL;
}

/* Run mmk_report(@name) into a buffer (static; NULL when it fails). */
static char *report_text(const char *name)
{
	static char buf[1 << 16];
	FILE *f = tmpfile();
	size_t n;

	if (!f)
		return NULL;
	if (mmk_report(name, f)) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int slabinfo_get(const char *cache, struct slabinfo_line *l)
{
	char *text = report_text("slabinfo"), *line, *save = NULL;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %*u %*u %*u : slabdata %lu %lu",
			   name, &l->active_objs, &l->num_objs, &l->objsize, &l->objperslab,
			   &l->pagesperslab, &l->active_slabs, &l->num_slabs) == 8 &&
		    !strcmp(name, cache))
			return 0;
	}
	return -1;
}

long meminfo_field_kb(const char *field)
{
	return report_value("meminfo", field);
}

unsigned long vword(size_t i, unsigned long tag)
{
	return (i * 0x9e3779b97f4a7c15ul) ^ (tag * 0xff51afd7ed558ccdul) ^ (i >> 9);
}

void vfill(void *p, size_t bytes, unsigned long tag)
{
	unsigned long *w = p;

	for (size_t i = 0; i < bytes / sizeof(long); i++)
		w[i] = vword(i, tag);
}

size_t vcheck(const void *p, size_t bytes, unsigned long tag)
{
	const unsigned long *w = p;
	size_t bad = 0;

	for (size_t i = 0; i < bytes / sizeof(long); i++)
		bad += w[i] != vword(i, tag);
	return bad;
}

long vmstat_get(const char *name)
{
	char *text = report_text("vmstat"), *line, *save = NULL;
	size_t len = strlen(name);

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, len) && line[len] == ' ')
			return strtol(line + len + 1, NULL, 10);
	return -1;
}

static struct page **frag_held;
static size_t frag_nr, frag_cap;

void fragment_memory(void)
{
	struct page *p;

	drain_all_pages(NULL);
	while ((p = alloc_page(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOWARN))) {
		if (frag_nr == frag_cap) {
			frag_cap = frag_cap ? 2 * frag_cap : 4096;
			frag_held = realloc(frag_held, frag_cap * sizeof(*frag_held));
			REQUIRE(frag_held, "realloc");
		}
		frag_held[frag_nr++] = p;
	}
	for (size_t i = 0; i < frag_nr; i++)
		if (page_to_pfn(frag_held[i]) & 1) {
			__free_page(frag_held[i]);
			frag_held[i] = NULL;
		}
	drain_all_pages(NULL);
}

void unfragment_memory(void)
{
	for (size_t i = 0; i < frag_nr; i++)
		if (frag_held[i])
			__free_page(frag_held[i]);
	frag_nr = 0;
}

size_t read_nonzero(const void *p, size_t len)
{
	const volatile unsigned char *b = p;
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += b[i] != 0;
	return bad;
}

sigjmp_buf probe_env;
volatile sig_atomic_t probe_armed, probe_sig, probe_code;
void *volatile probe_addr;

int probe(void *p, bool write, unsigned char v)
{
	volatile unsigned char *b = p;

	probe_sig = 0;
	if (sigsetjmp(probe_env, 1))
		return probe_sig;
	probe_armed = 1;
	if (write)
		*b = v;
	else
		(void)*b;
	probe_armed = 0;
	return 0;
}

void probe_caught(int sig, const siginfo_t *si)
{
	probe_armed = 0;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

void expect_fault(void *p, bool write, int code, const char *what)
{
	int sig = probe(p, write, 0xee);

	CHECK(sig == SIGSEGV, "%s: %s of %p: SIGSEGV expected, got signal %d", what,
	      write ? "write" : "read", p, sig);
	if (sig == SIGSEGV) {
		CHECK(probe_code == code, "%s: si_code %d, expected %s", what, (int)probe_code,
		      code == SEGV_MAPERR ? "SEGV_MAPERR" : "SEGV_ACCERR");
		CHECK(probe_addr == p, "%s: si_addr %p, expected %p", what, probe_addr, p);
	}
}

/* ---- Helpers for the swap tests ----------------------------------------- */

#include <errno.h>
#include <ftw.h>

static char tmp_dir[512];
static pid_t tmp_owner;
static char *tmp_paths[64];
static int tmp_nr;

static int tmp_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void tmp_cleanup(void)
{
	if (tmp_dir[0] && getpid() == tmp_owner)
		nftw(tmp_dir, tmp_remove_one, 16, FTW_DEPTH | FTW_PHYS);
	for (int i = 0; i < tmp_nr; i++)
		free(tmp_paths[i]);
	tmp_nr = 0;
}

const char *test_tmp_path(const char *name)
{
	char buf[1024];

	if (!tmp_dir[0]) {
		const char *base = getenv("TMPDIR");

		if (!base || !*base)
			base = "/tmp";
		snprintf(tmp_dir, sizeof(tmp_dir), "%s/mmkit-%s-XXXXXX", base,
			 program_invocation_short_name);
		if (!mkdtemp(tmp_dir)) {
			perror("mkdtemp");
			exit(2);
		}
		tmp_owner = getpid();
		atexit(tmp_cleanup);
	}
	REQUIRE(tmp_nr < (int)(sizeof(tmp_paths) / sizeof(tmp_paths[0])), "too many temp paths");
	snprintf(buf, sizeof(buf), "%s/%s", tmp_dir, name);
	tmp_paths[tmp_nr] = strdup(buf);
	REQUIRE(tmp_paths[tmp_nr] != NULL, "strdup");
	return tmp_paths[tmp_nr++];
}

long report_value(const char *report, const char *field)
{
	char *text = report_text(report), *line, *save = NULL;
	size_t len = strlen(field);

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, field, len) && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	return -1;
}

/* Calls @fn for each device line of the swaps report; -1 without one. */
static int swaps_walk(bool (*fn)(const char *path, const struct swaps_line *l, void *arg),
		      void *arg)
{
	char *text = report_text("swaps"), *line, *save = NULL;
	bool header = true;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[512];
		struct swaps_line l;

		if (header) {	/* "Filename Type Size Used Priority" */
			header = false;
			if (strncmp(line, "Filename", 8))
				return -1;
			continue;
		}
		if (sscanf(line, "%511s %15s %ld %ld %d", path, l.type, &l.size_kb, &l.used_kb,
			   &l.prio) != 5)
			return -1;
		if (fn(path, &l, arg))
			break;
	}
	return header ? -1 : 0;
}

struct swaps_find {
	const char *path;
	struct swaps_line *l;
	int n;
	bool found;
};

static bool swaps_match(const char *path, const struct swaps_line *l, void *arg)
{
	struct swaps_find *f = arg;

	f->n++;
	if (f->path && !strcmp(path, f->path)) {
		*f->l = *l;
		f->found = true;
		return true;
	}
	return false;
}

int swaps_get(const char *path, struct swaps_line *l)
{
	struct swaps_find f = { .path = path, .l = l };

	if (swaps_walk(swaps_match, &f) || !f.found)
		return -1;
	return 0;
}

int swaps_count(void)
{
	struct swaps_find f = { 0 };

	if (swaps_walk(swaps_match, &f))
		return -1;
	return f.n;
}

long pages_mapped(const void *base, size_t first, size_t n)
{
	long m = 0;

	for (size_t i = first; i < first + n; i++)
		m += mmk_follow_pfn((const char *)base + i * PAGE_SIZE) >= 0;
	return m;
}
