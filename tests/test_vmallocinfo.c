// SPDX-License-Identifier: MIT
/*
 * /proc/vmallocinfo, parsed with a strict reader of the real file's format
 * ("0x%pK-0x%pK %7ld", then the caller as %pS, pages=, the flag words in
 * Linux's order, N0=; or "unpurged vm_area"), and checked against what
 * the test made: vmalloc of one page, 16 KiB and 1 MiB, vzalloc, vmap of
 * alloc_page() pages, a kvmalloc too big for kmalloc, and a vmalloc above
 * 2 MiB whose page array is itself vmalloc'ed ("vpages"). Each area is
 * listed once, with its size and guard page, its pages, its kind and the
 * function of this file that made it; the lines are in address order and
 * never overlap, also while other threads allocate and free. A vfree'd
 * area reads "unpurged vm_area" until vm_unmap_aliases(), then goes.
 * meminfo's VmallocUsed and vmstat's nr_vmalloc agree with the pages the
 * report lists, and VmallocTotal is the vmalloc= size.
 *
 * The allocating functions are global and visible (the tests build with
 * -fvisibility=hidden and link with -rdynamic) so that the symbolizer can
 * name them.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define VI_PAGE		4096UL

/* ---- The allocation sites the report must name ------------------------- */

void *vi_vmalloc_site(unsigned long size);
void *vi_vzalloc_site(unsigned long size);
void *vi_vmap_site(struct page **pages, unsigned int count);
void *vi_kvmalloc_site(size_t size);

__attribute__((noinline, visibility("default"))) void *vi_vmalloc_site(unsigned long size)
{
	void *p = vmalloc(size);

	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return p;
}

__attribute__((noinline, visibility("default"))) void *vi_vzalloc_site(unsigned long size)
{
	void *p = vzalloc(size);

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline, visibility("default")))
void *vi_vmap_site(struct page **pages, unsigned int count)
{
	void *p = vmap(pages, count, VM_MAP, PAGE_KERNEL);

	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline, visibility("default"))) void *vi_kvmalloc_site(size_t size)
{
	void *p = kvmalloc(size, GFP_KERNEL);

	__asm__ volatile("" ::: "memory");
	return p;
}

/* ---- Reading the reports ------------------------------------------------ */

static char *report(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	REQUIRE(f != NULL, "open_memstream");
	rc = mmk_report(name, f);
	fclose(f);
	REQUIRE(rc == 0, "mmk_report(%s) = %d", name, rc);
	REQUIRE(buf != NULL, "%s: no text", name);
	CHECK(len == 0 || buf[len - 1] == '\n', "%s ends with a newline", name);
	return buf;
}

/* "Name:   value kB" of meminfo, in kB; -1 if absent. */
static long meminfo_kb(const char *name)
{
	char *buf = report("meminfo");
	size_t n = strlen(name);
	long v = -1;

	for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ':') {
			v = strtol(p + n + 1, NULL, 10);
			break;
		}
	free(buf);
	return v;
}

/* "name value" of vmstat; -1 if absent. */
static long vmstat_value(const char *name)
{
	char *buf = report("vmstat");
	size_t n = strlen(name);
	long v = -1;

	for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ') {
			v = strtol(p + n + 1, NULL, 10);
			break;
		}
	free(buf);
	return v;
}

/* ---- A strict /proc/vmallocinfo reader ----------------------------------- */

struct vi_line {
	unsigned long start, end;
	long size;
	bool unpurged;
	char caller[256];	/* the %pS token, "" when absent */
	char func[192];		/* its function name, "" when not symbolic */
	unsigned long off, fsize;
	long pages;		/* pages=, -1 when absent */
	long n0;		/* N0=, -1 when absent */
	bool ioremap, vmalloc, vmap, user, vpages;
};

struct vmallocinfo {
	int nr;
	struct vi_line *l;
};

/* The words after the caller, in the order Linux prints them. */
enum { T_PAGES = 1, T_PHYS, T_IOREMAP, T_SPARSE, T_VMALLOC, T_VMAP, T_USER,
       T_DMA_COHERENT, T_VPAGES, T_NODE };

static int token_rank(const char *t)
{
	static const char *const words[] = {
		[T_IOREMAP] = "ioremap", [T_SPARSE] = "sparse", [T_VMALLOC] = "vmalloc",
		[T_VMAP] = "vmap", [T_USER] = "user", [T_DMA_COHERENT] = "dma-coherent",
		[T_VPAGES] = "vpages",
	};
	unsigned int node;
	long v;
	int n = 0;

	if (sscanf(t, "pages=%ld%n", &v, &n) == 1 && !t[n])
		return T_PAGES;
	if (!strncmp(t, "phys=", 5))
		return T_PHYS;
	if (sscanf(t, "N%u=%ld%n", &node, &v, &n) == 2 && !t[n])
		return T_NODE;
	for (int i = T_IOREMAP; i <= T_VPAGES; i++)
		if (words[i] && !strcmp(t, words[i]))
			return i;
	return 0;
}

/* "name+0xoff/0xsize": split into l->func, l->off, l->fsize. */
static void parse_caller(struct vi_line *l, const char *line)
{
	const char *plus = strrchr(l->caller, '+');
	int n = 0;

	l->func[0] = '\0';
	if (!strncmp(l->caller, "0x", 2) && strspn(l->caller + 2, "0123456789abcdef") ==
	    strlen(l->caller + 2))
		return;		/* an address with no symbol, as %pS prints it */
	CHECK(plus && plus > l->caller &&
	      sscanf(plus, "+0x%lx/0x%lx%n", &l->off, &l->fsize, &n) == 2 && !plus[n],
	      "the caller is function+0xoff/0xsize: '%s'", line);
	if (!plus || plus == l->caller || (size_t)(plus - l->caller) >= sizeof(l->func))
		return;
	memcpy(l->func, l->caller, (size_t)(plus - l->caller));
	l->func[plus - l->caller] = '\0';
	CHECK(l->off < l->fsize, "the offset is inside the function: '%s'", line);
}

static void parse_line(struct vi_line *l, char *line)
{
	char prefix[64], *rest, *tok, *save = NULL;
	int n = 0, rank = 0;

	memset(l, 0, sizeof(*l));
	l->pages = l->n0 = -1;
	REQUIRE(sscanf(line, "0x%lx-0x%lx %ld%n", &l->start, &l->end, &l->size, &n) == 3,
		"vmallocinfo line starts with a range and a size: '%s'", line);
	/* Byte for byte what "0x%pK-0x%pK %7ld" prints. */
	snprintf(prefix, sizeof(prefix), "0x%016lx-0x%016lx %7ld", l->start, l->end, l->size);
	CHECK((size_t)n == strlen(prefix) && !strncmp(line, prefix, (size_t)n),
	      "range and size as 0x%%016lx-0x%%016lx %%7ld: '%s'", line);
	CHECK(l->end > l->start && (long)(l->end - l->start) == l->size,
	      "the size is end - start: '%s'", line);
	CHECK(!(l->start & (VI_PAGE - 1)) && !(l->end & (VI_PAGE - 1)),
	      "page aligned: '%s'", line);
	CHECK(l->start >= VMALLOC_START && l->end <= VMALLOC_END,
	      "inside the vmalloc range %#lx-%#lx: '%s'", (unsigned long)VMALLOC_START,
	      (unsigned long)VMALLOC_END, line);

	rest = line + n;
	if (!strcmp(rest, " unpurged vm_area")) {
		l->unpurged = true;
		return;
	}
	CHECK(rest[0] == ' ' && rest[1] != ' ' && !strstr(rest, "  ") &&
	      rest[strlen(rest) - 1] != ' ', "single spaces between the fields: '%s'", line);
	for (tok = strtok_r(rest, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int r = token_rank(tok);

		if (!r && !rank && !l->caller[0]) {
			snprintf(l->caller, sizeof(l->caller), "%s", tok);
			parse_caller(l, line);
			continue;
		}
		CHECK(r != 0, "known word '%s' in '%s'", tok, line);
		CHECK(r > rank || (r == T_NODE && rank == T_NODE),
		      "'%s' in Linux's order in '%s'", tok, line);
		rank = r;
		switch (r) {
		case T_PAGES:
			l->pages = strtol(tok + 6, NULL, 10);
			break;
		case T_NODE:
			CHECK(!strncmp(tok, "N0=", 3), "one node, node 0: '%s'", line);
			l->n0 = strtol(tok + 3, NULL, 10);
			break;
		case T_IOREMAP:
			l->ioremap = true;
			break;
		case T_VMALLOC:
			l->vmalloc = true;
			break;
		case T_VMAP:
			l->vmap = true;
			break;
		case T_USER:
			l->user = true;
			break;
		case T_VPAGES:
			l->vpages = true;
			break;
		}
	}
	CHECK(l->caller[0], "a caller: '%s'", line);
	CHECK((l->pages > 0) == (l->n0 > 0) && l->n0 == l->pages,
	      "N0= counts the pages= of the one node: '%s'", line);
	CHECK(l->vmalloc != l->vmap, "an area is vmalloc or vmap: '%s'", line);
	if (l->vmalloc)
		CHECK(l->pages > 0 && (l->pages + 1) * (long)VI_PAGE == l->size,
		      "a vmalloc area is its pages and a guard page: '%s'", line);
}

/* Read and parse the report; every line checked, the whole checked for
 * address order. */
static void read_vmallocinfo(struct vmallocinfo *vi)
{
	char *buf = report("vmallocinfo"), *line, *save = NULL;
	int cap = 64;

	vi->nr = 0;
	vi->l = malloc((size_t)cap * sizeof(*vi->l));
	REQUIRE(vi->l, "malloc");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (vi->nr == cap) {
			cap *= 2;
			vi->l = realloc(vi->l, (size_t)cap * sizeof(*vi->l));
			REQUIRE(vi->l, "realloc");
		}
		parse_line(&vi->l[vi->nr], line);
		if (vi->nr) {
			const struct vi_line *prev = &vi->l[vi->nr - 1];

			CHECK(vi->l[vi->nr].start >= prev->end,
			      "in address order, not overlapping: %#lx-%#lx after %#lx-%#lx",
			      vi->l[vi->nr].start, vi->l[vi->nr].end, prev->start, prev->end);
		}
		vi->nr++;
	}
	free(buf);
}

static void free_vmallocinfo(struct vmallocinfo *vi)
{
	free(vi->l);
	vi->l = NULL;
	vi->nr = 0;
}

/* The line of the area that starts at @p, checking it is listed once. */
static const struct vi_line *find_area(const struct vmallocinfo *vi, const void *p)
{
	const struct vi_line *found = NULL;
	int n = 0;

	for (int i = 0; i < vi->nr; i++)
		if (vi->l[i].start == (unsigned long)p) {
			found = &vi->l[i];
			n++;
		}
	CHECK(n <= 1, "the area at %p is listed %d times", p, n);
	return found;
}

static long vmalloc_pages_listed(const struct vmallocinfo *vi, int *unpurged)
{
	long sum = 0;

	*unpurged = 0;
	for (int i = 0; i < vi->nr; i++) {
		if (vi->l[i].unpurged)
			(*unpurged)++;
		else if (vi->l[i].vmalloc)
			sum += vi->l[i].pages;
	}
	return sum;
}

/* ---- The checks ---------------------------------------------------------- */

struct made {
	const char *what;
	void *p;
	unsigned long bytes;	/* requested */
	const char *func;	/* the site that made it */
	bool vmap;
};

static void check_area(const struct vmallocinfo *vi, const struct made *m)
{
	unsigned long pages = (m->bytes + VI_PAGE - 1) / VI_PAGE;
	const struct vi_line *l = find_area(vi, m->p);

	CHECK(l != NULL, "%s at %p is listed", m->what, m->p);
	if (!l)
		return;
	CHECK(!l->unpurged, "%s is live", m->what);
	CHECK(l->size == (long)((pages + 1) * VI_PAGE), "%s: size %ld, want %lu (with the guard)",
	      m->what, l->size, (pages + 1) * VI_PAGE);
	CHECK(l->pages == (long)pages, "%s: pages=%ld, want %lu", m->what, l->pages, pages);
	CHECK(m->vmap ? l->vmap && !l->vmalloc : l->vmalloc && !l->vmap,
	      "%s is a %s area (%s)", m->what, m->vmap ? "vmap" : "vmalloc", l->caller);
	CHECK(!strcmp(l->func, m->func), "%s: made by %s, report says '%s'", m->what, m->func,
	      l->caller);
	CHECK(!l->ioremap && !l->user, "%s: no ioremap or user flag", m->what);
}

static void check_counters(const char *when)
{
	struct vmallocinfo vi;
	int unpurged;
	long listed, used_kb, nr_vmalloc;

	read_vmallocinfo(&vi);
	listed = vmalloc_pages_listed(&vi, &unpurged);
	used_kb = meminfo_kb("VmallocUsed");
	nr_vmalloc = vmstat_value("nr_vmalloc");
	CHECK(unpurged == 0, "%s: nothing is waiting to be purged (%d)", when, unpurged);
	CHECK(used_kb == listed * 4, "%s: VmallocUsed %ld kB, vmallocinfo lists %ld pages",
	      when, used_kb, listed);
	CHECK(nr_vmalloc == listed, "%s: nr_vmalloc %ld, vmallocinfo lists %ld pages", when,
	      nr_vmalloc, listed);
	free_vmallocinfo(&vi);
}

static void check_areas_and_lazy_free(void)
{
	struct vmallocinfo vi;
	struct page *pg[3];
	struct made m[7];
	const struct vi_line *l, *big;
	unsigned long big_pages = 2 * 256 + 3;	/* page array > a page */
	unsigned long array_pages = (big_pages * sizeof(void *) + VI_PAGE - 1) / VI_PAGE;
	unsigned long lazy_start;
	int nm = 0, arrays = 0, vpages = 0;

	check_counters("idle");
	m[nm++] = (struct made){ "vmalloc(4096)", vi_vmalloc_site(4096), 4096, "vi_vmalloc_site" };
	m[nm++] = (struct made){ "vmalloc(16K)", vi_vmalloc_site(16384), 16384, "vi_vmalloc_site" };
	m[nm++] = (struct made){ "vmalloc(1M)", vi_vmalloc_site(1 << 20), 1 << 20, "vi_vmalloc_site" };
	m[nm++] = (struct made){ "vzalloc(5000)", vi_vzalloc_site(5000), 5000, "vi_vzalloc_site" };
	m[nm++] = (struct made){ "kvmalloc(512K)", vi_kvmalloc_site(512 << 10), 512 << 10,
				 "vi_kvmalloc_site" };
	m[nm++] = (struct made){ "vmalloc(2M+12K)", vi_vmalloc_site(big_pages * VI_PAGE),
				 big_pages * VI_PAGE, "vi_vmalloc_site" };
	for (int i = 0; i < 3; i++) {
		pg[i] = alloc_page(GFP_KERNEL);
		REQUIRE(pg[i], "alloc_page");
	}
	m[nm++] = (struct made){ "vmap(3 pages)", vi_vmap_site(pg, 3), 3 * VI_PAGE, "vi_vmap_site",
				 true };
	for (int i = 0; i < nm; i++)
		REQUIRE(m[i].p && is_vmalloc_addr(m[i].p), "%s", m[i].what);

	read_vmallocinfo(&vi);
	for (int i = 0; i < nm; i++)
		check_area(&vi, &m[i]);

	/* vpages: the big area's page array has a line of its own. */
	big = find_area(&vi, m[5].p);
	for (int i = 0; i < vi.nr; i++) {
		l = &vi.l[i];
		vpages += l->vpages;
		if (l->vmalloc && l->pages == (long)array_pages && !strcmp(l->func, "vi_vmalloc_site"))
			arrays++;
	}
	CHECK(big && big->vpages, "the area of %lu pages has a vmalloc'ed page array: '%s'",
	      big_pages, big ? big->caller : "(missing)");
	CHECK(vpages == 1, "only that area says vpages (%d do)", vpages);
	CHECK(arrays == 1, "its page array (%lu pages) is a vmalloc area by the same caller (%d)",
	      array_pages, arrays);
	free_vmallocinfo(&vi);
	check_counters("live areas");

	/* vfree is lazy: the area stays, unpurged, until the purge. */
	lazy_start = (unsigned long)m[1].p;
	vfree(m[1].p);
	read_vmallocinfo(&vi);
	l = find_area(&vi, m[1].p);
	CHECK(l && l->unpurged && l->size == 5 * (long)VI_PAGE,
	      "after vfree the 16K area is an unpurged vm_area of 20480 bytes");
	for (int i = 0; i < nm; i++)
		if (i != 1)
			check_area(&vi, &m[i]);
	free_vmallocinfo(&vi);
	CHECK(meminfo_kb("VmallocUsed") >= 4, "VmallocUsed stays sane while lazy");
	vm_unmap_aliases();
	read_vmallocinfo(&vi);
	for (int i = 0; i < vi.nr; i++)
		CHECK(vi.l[i].start != lazy_start && !vi.l[i].unpurged,
		      "after vm_unmap_aliases the area is gone: %#lx-%#lx", vi.l[i].start,
		      vi.l[i].end);
	free_vmallocinfo(&vi);
	check_counters("after the purge");

	/* vunmap: the vmap line goes; the pages are ours again. */
	vunmap(m[6].p);
	read_vmallocinfo(&vi);
	l = find_area(&vi, m[6].p);
	CHECK(!l || l->unpurged, "after vunmap no live vmap area at %p", m[6].p);
	free_vmallocinfo(&vi);
	for (int i = 0; i < 3; i++)
		__free_page(pg[i]);

	/* Everything freed: none of this test's areas, no page array line. */
	vfree(m[0].p);
	vfree(m[2].p);
	vfree(m[3].p);
	kvfree(m[4].p);
	vfree(m[5].p);
	vm_unmap_aliases();
	read_vmallocinfo(&vi);
	for (int i = 0; i < vi.nr; i++)
		CHECK(strncmp(vi.l[i].func, "vi_", 3),
		      "after freeing, no area of this test is left: %s", vi.l[i].caller);
	free_vmallocinfo(&vi);
	check_counters("all freed");
}

/* ---- The report under churn ------------------------------------------------ */

static volatile bool churn_stop;

static void *churn(void *arg)
{
	unsigned long seed = (unsigned long)arg, n = 0;
	void *keep[16] = { NULL };

	while (!churn_stop || n < 64) {
		unsigned int k;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		k = (unsigned int)(seed >> 33) % 16;
		vfree(keep[k]);
		keep[k] = vi_vmalloc_site(((seed >> 20) % 24 + 1) * VI_PAGE);
		n++;
	}
	for (int i = 0; i < 16; i++)
		vfree(keep[i]);
	return NULL;
}

static void check_under_churn(void)
{
	pthread_t t[2];
	unsigned long rounds = test_scaled(200);

	churn_stop = false;
	for (unsigned long i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, churn, (void *)(i + 1)) == 0, "thread");
	for (unsigned long r = 0; r < rounds; r++) {
		struct vmallocinfo vi;

		read_vmallocinfo(&vi);	/* order, overlap and format per line */
		for (int i = 0; i < vi.nr; i++)
			if (!vi.l[i].unpurged)
				CHECK(!strcmp(vi.l[i].func, "vi_vmalloc_site"),
				      "under churn every live area is the churn's: %s",
				      vi.l[i].caller);
		free_vmallocinfo(&vi);
	}
	churn_stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	vm_unmap_aliases();
	check_counters("after the churn");
}

/* ---- VmallocTotal ----------------------------------------------------------- */

static void check_total(const char *cmdline, long want_kb)
{
	struct vmallocinfo vi;
	void *p;

	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	CHECK(meminfo_kb("VmallocTotal") == want_kb, "%s: VmallocTotal %ld kB, want %ld",
	      cmdline, meminfo_kb("VmallocTotal"), want_kb);
	CHECK((long)((VMALLOC_END - VMALLOC_START) >> 10) == want_kb,
	      "%s: the range is VmallocTotal", cmdline);
	CHECK(meminfo_kb("VmallocChunk") == 0, "VmallocChunk is 0, as Linux");
	p = vi_vmalloc_site(3 * VI_PAGE);
	REQUIRE(p, "vmalloc");
	read_vmallocinfo(&vi);
	CHECK(vi.nr >= 1 && find_area(&vi, p), "%s: the area is listed", cmdline);
	free_vmallocinfo(&vi);
	check_counters(cmdline);
	vfree(p);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", cmdline);
	mmk_shutdown();
}

int main(void)
{
	REQUIRE(mmk_boot("mem=256M") == 0, "boot");
	check_areas_and_lazy_free();
	check_under_churn();
	CHECK(mmk_check(stderr) == 0, "invariants after the reports");
	mmk_shutdown();

	check_total("mem=64M vmalloc=64M", 64 * 1024);
	check_total("mem=64M", 32L * 1024 * 1024);
	harness_exit();
}
