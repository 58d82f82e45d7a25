// SPDX-License-Identifier: MIT
/*
 * The slab allocator's reports: /proc/slabinfo parsed the way a tool
 * parses the real file (the version line, the column header, one regular
 * line per cache, Linux's column widths), and what it says checked against
 * what the test did: kmalloc(64) ten thousand times, a cache created and
 * destroyed, reclaimable and DMA kmallocs. meminfo's Slab, SReclaimable and
 * SUnreclaim and vmstat's nr_slab_* are checked against each other and
 * against the slab pages slabinfo counts.
 */
#define _GNU_SOURCE
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include "harness.h"

#define MAX_CACHES	256
#define PAGE_KB		4UL

struct si_cache {
	char name[64];
	unsigned long active_objs, num_objs, objsize, objperslab, pagesperslab;
	unsigned long active_slabs, num_slabs;
};

struct slabinfo {
	int n;
	struct si_cache c[MAX_CACHES];	/* in the order printed */
};

static const char slabinfo_header[] =
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	" : tunables <limit> <batchcount> <sharedfactor>"
	" : slabdata <active_slabs> <num_slabs> <sharedavail>";

/* What a slabinfo reader matches, field by field (\S+ and \s+ spelled in
 * POSIX classes). */
static const char slabinfo_line_re[] =
	"^([^[:space:]]+)[[:space:]]+([0-9]+)[[:space:]]+([0-9]+)[[:space:]]+([0-9]+)"
	"[[:space:]]+([0-9]+)[[:space:]]+([0-9]+) : tunables[[:space:]]+0[[:space:]]+0"
	"[[:space:]]+0 : slabdata[[:space:]]+([0-9]+)[[:space:]]+([0-9]+)[[:space:]]+0$";

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
	REQUIRE(len > 0 && buf[len - 1] == '\n', "%s ends with a newline", name);
	return buf;
}

static unsigned long field(const char *line, const regmatch_t *m)
{
	return strtoul(line + m->rm_so, NULL, 10);
}

/*
 * Parse the whole report into @si; every line must match, and must be
 * exactly what Linux's cache_show() format prints for the values read back
 * (which checks the column widths, not just the order of the numbers).
 */
static void parse_slabinfo(struct slabinfo *si)
{
	char *buf = report("slabinfo"), *pos = buf, *line, *nl;
	regex_t re;
	int lineno = 0;

	REQUIRE(regcomp(&re, slabinfo_line_re, REG_EXTENDED) == 0, "regcomp");
	si->n = 0;
	for (line = pos; line && *line; line = nl ? nl + 1 : NULL) {
		regmatch_t m[9];
		struct si_cache *c;
		char again[512];
		size_t len;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		if (lineno == 1) {
			CHECK(!strcmp(line, "slabinfo - version: 2.1"), "version line: '%s'", line);
			continue;
		}
		if (lineno == 2) {
			CHECK(!strcmp(line, slabinfo_header), "header line: '%s'", line);
			continue;
		}
		if (regexec(&re, line, 9, m, 0)) {
			CHECK(0, "line %d does not parse: '%s'", lineno, line);
			continue;
		}
		REQUIRE(si->n < MAX_CACHES, "too many caches");
		c = &si->c[si->n++];
		len = (size_t)(m[1].rm_eo - m[1].rm_so);
		REQUIRE(len < sizeof(c->name), "name too long: '%s'", line);
		memcpy(c->name, line, len);
		c->name[len] = '\0';
		c->active_objs = field(line, &m[2]);
		c->num_objs = field(line, &m[3]);
		c->objsize = field(line, &m[4]);
		c->objperslab = field(line, &m[5]);
		c->pagesperslab = field(line, &m[6]);
		c->active_slabs = field(line, &m[7]);
		c->num_slabs = field(line, &m[8]);

		snprintf(again, sizeof(again),
			 "%-17s %6lu %6lu %6lu %4lu %4lu : tunables %4u %4u %4u : slabdata %6lu %6lu %6u",
			 c->name, c->active_objs, c->num_objs, c->objsize, c->objperslab,
			 c->pagesperslab, 0U, 0U, 0U, c->active_slabs, c->num_slabs, 0U);
		CHECK(!strcmp(again, line), "columns as Linux prints them:\n  got  '%s'\n  want '%s'",
		      line, again);
	}
	CHECK(lineno >= 3, "slabinfo has caches (%d lines)", lineno);
	regfree(&re);
	free(buf);
}

static const struct si_cache *find_cache(const struct slabinfo *si, const char *name)
{
	for (int i = 0; i < si->n; i++)
		if (!strcmp(si->c[i].name, name))
			return &si->c[i];
	return NULL;
}

static int cache_pos(const struct slabinfo *si, const char *name)
{
	for (int i = 0; i < si->n; i++)
		if (!strcmp(si->c[i].name, name))
			return i;
	return -1;
}

/* A cache that must be there. */
static struct si_cache get_cache(const struct slabinfo *si, const char *name)
{
	const struct si_cache *c = find_cache(si, name);

	REQUIRE(c != NULL, "slabinfo lists %s", name);
	return *c;
}

/* Kilobytes of slab pages slabinfo accounts for, over every cache. */
static unsigned long slabinfo_kb(const struct slabinfo *si)
{
	unsigned long kb = 0;

	for (int i = 0; i < si->n; i++)
		kb += si->c[i].num_slabs * si->c[i].pagesperslab * PAGE_KB;
	return kb;
}

static unsigned long cache_kb(const struct si_cache *c)
{
	return c->num_slabs * c->pagesperslab * PAGE_KB;
}

/* "Label:   N kB" of meminfo; -1 if absent. */
static long mi_kb(const char *buf, const char *label)
{
	size_t n = strlen(label);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, label, n) && p[n] == ':')
			return strtol(p + n + 1, NULL, 10);
	return -1;
}

/* "name value" of vmstat; -1 if absent. */
static long vs_value(const char *buf, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
	return -1;
}

struct slab_mem {
	long slab, sreclaimable, sunreclaim, kreclaimable;
	long nr_slab_reclaimable, nr_slab_unreclaimable, nr_kernel_misc_reclaimable;
};

/* meminfo's and vmstat's slab figures, which must always agree. */
static struct slab_mem slab_mem(const char *when)
{
	char *mi = report("meminfo"), *vs = report("vmstat");
	struct slab_mem sm = {
		.slab = mi_kb(mi, "Slab"),
		.sreclaimable = mi_kb(mi, "SReclaimable"),
		.sunreclaim = mi_kb(mi, "SUnreclaim"),
		.kreclaimable = mi_kb(mi, "KReclaimable"),
		.nr_slab_reclaimable = vs_value(vs, "nr_slab_reclaimable"),
		.nr_slab_unreclaimable = vs_value(vs, "nr_slab_unreclaimable"),
		.nr_kernel_misc_reclaimable = vs_value(vs, "nr_kernel_misc_reclaimable"),
	};

	CHECK(sm.slab >= 0 && sm.sreclaimable >= 0 && sm.sunreclaim >= 0 && sm.kreclaimable >= 0,
	      "%s: meminfo has Slab, SReclaimable, SUnreclaim, KReclaimable", when);
	CHECK(sm.nr_slab_reclaimable >= 0 && sm.nr_slab_unreclaimable >= 0 &&
	      sm.nr_kernel_misc_reclaimable >= 0,
	      "%s: vmstat has nr_slab_reclaimable, nr_slab_unreclaimable, nr_kernel_misc_reclaimable",
	      when);
	CHECK(sm.slab == sm.sreclaimable + sm.sunreclaim,
	      "%s: Slab %ld kB == SReclaimable %ld kB + SUnreclaim %ld kB",
	      when, sm.slab, sm.sreclaimable, sm.sunreclaim);
	CHECK(sm.kreclaimable == sm.sreclaimable + sm.nr_kernel_misc_reclaimable * (long)PAGE_KB,
	      "%s: KReclaimable %ld kB == SReclaimable %ld kB + misc %ld pages",
	      when, sm.kreclaimable, sm.sreclaimable, sm.nr_kernel_misc_reclaimable);
	CHECK(sm.nr_slab_unreclaimable * (long)PAGE_KB == sm.sunreclaim,
	      "%s: vmstat nr_slab_unreclaimable %ld pages == SUnreclaim %ld kB",
	      when, sm.nr_slab_unreclaimable, sm.sunreclaim);
	CHECK(sm.nr_slab_reclaimable * (long)PAGE_KB == sm.sreclaimable,
	      "%s: vmstat nr_slab_reclaimable %ld pages == SReclaimable %ld kB",
	      when, sm.nr_slab_reclaimable, sm.sreclaimable);
	free(mi);
	free(vs);
	return sm;
}

/*
 * Every line on its own: the slab counts are consistent, the geometry is
 * what the order gives, and meminfo's Slab is exactly the slab pages
 * slabinfo lists (no large kmalloc is live when this is called).
 */
static void check_consistent(const struct slabinfo *si, const char *when)
{
	struct slab_mem sm = slab_mem(when);

	for (int i = 0; i < si->n; i++) {
		const struct si_cache *c = &si->c[i];

		CHECK(c->active_objs <= c->num_objs, "%s: %s active %lu <= num %lu",
		      when, c->name, c->active_objs, c->num_objs);
		CHECK(c->num_objs <= c->num_slabs * c->objperslab,
		      "%s: %s num_objs %lu <= %lu slabs * %lu", when, c->name, c->num_objs,
		      c->num_slabs, c->objperslab);
		CHECK(c->num_slabs == 0 || c->num_objs > 0, "%s: %s: slabs hold objects",
		      when, c->name);
		CHECK(c->active_slabs == c->num_slabs, "%s: %s active_slabs %lu == num_slabs %lu",
		      when, c->name, c->active_slabs, c->num_slabs);
		CHECK(c->pagesperslab && !(c->pagesperslab & (c->pagesperslab - 1)) &&
		      c->pagesperslab <= 1024, "%s: %s pagesperslab %lu is 2^order",
		      when, c->name, c->pagesperslab);
		CHECK(c->objsize > 0 && c->objperslab == c->pagesperslab * 4096 / c->objsize,
		      "%s: %s: %lu objects of %lu bytes per %lu-page slab", when, c->name,
		      c->objperslab, c->objsize, c->pagesperslab);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(si->c[j].name, c->name), "%s: %s listed twice", when, c->name);
	}
	CHECK(sm.slab == (long)slabinfo_kb(si),
	      "%s: meminfo Slab %ld kB == the slab pages slabinfo lists, %lu kB",
	      when, sm.slab, slabinfo_kb(si));
}

/* ---- The caches kmalloc has ------------------------------------------- */

static void check_kmalloc_caches(void)
{
	static const char *const sizes[] = {
		"8", "16", "32", "64", "96", "128", "192", "256", "512", "1k", "2k", "4k", "8k",
	};
	static const unsigned long bytes[] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	static const char *const prefixes[] = { "kmalloc-", "kmalloc-rcl-", "dma-kmalloc-" };
	static struct slabinfo si;

	parse_slabinfo(&si);
	check_consistent(&si, "boot");
	for (size_t p = 0; p < sizeof(prefixes) / sizeof(*prefixes); p++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
			char name[64];
			const struct si_cache *c;

			snprintf(name, sizeof(name), "%s%s", prefixes[p], sizes[i]);
			c = find_cache(&si, name);
			CHECK(c != NULL, "slabinfo lists %s", name);
			if (c)
				CHECK(c->objsize == bytes[i], "%s: objsize %lu", name, c->objsize);
		}
	}
	CHECK(find_cache(&si, "kmalloc-0") == NULL, "no kmalloc-0 line");
	CHECK(find_cache(&si, "kmalloc-16k") == NULL, "no kmalloc-16k: above 8k is pages");
	CHECK(find_cache(&si, "kmem_cache") != NULL, "slabinfo lists kmem_cache");

	/* Most recently created first: kmem_cache (boot's first) is last, the
	 * kmalloc caches are made 96, 192, 8, 16, ... 8k, type by type. */
	CHECK(cache_pos(&si, "kmem_cache") == si.n - 1, "kmem_cache is the last line (%d of %d)",
	      cache_pos(&si, "kmem_cache"), si.n);
	CHECK(cache_pos(&si, "kmalloc-8k") < cache_pos(&si, "kmalloc-8") &&
	      cache_pos(&si, "kmalloc-8") < cache_pos(&si, "kmalloc-192") &&
	      cache_pos(&si, "kmalloc-192") < cache_pos(&si, "kmalloc-96"),
	      "kmalloc-8k, then kmalloc-8, then kmalloc-192, then kmalloc-96");
	CHECK(cache_pos(&si, "kmalloc-rcl-96") < cache_pos(&si, "kmalloc-8k"),
	      "the kmalloc-rcl caches (made after kmalloc-*) come before them");
}

/* ---- kmalloc(64), ten thousand times ---------------------------------- */

#define NR_OBJS 10000

static void check_kmalloc_64(void)
{
	static struct slabinfo si0, si1, si2;
	struct si_cache c0, c1, c2;
	struct slab_mem m0, m1, m2;
	void **objs = calloc(NR_OBJS, sizeof(*objs));

	REQUIRE(objs != NULL, "calloc");
	parse_slabinfo(&si0);
	m0 = slab_mem("before kmalloc(64)");
	c0 = get_cache(&si0, "kmalloc-64");

	for (int i = 0; i < NR_OBJS; i++) {
		objs[i] = kmalloc(64, GFP_KERNEL);
		REQUIRE(objs[i] != NULL, "kmalloc(64) #%d", i);
		memset(objs[i], 0x64, 64);
	}
	parse_slabinfo(&si1);
	m1 = slab_mem("after 10000 kmalloc(64)");
	c1 = get_cache(&si1, "kmalloc-64");
	check_consistent(&si1, "after 10000 kmalloc(64)");

	CHECK(c1.active_objs >= c0.active_objs + NR_OBJS,
	      "kmalloc-64 active_objs %lu -> %lu: grew by at least %d", c0.active_objs,
	      c1.active_objs, NR_OBJS);
	CHECK(c1.num_objs >= c1.active_objs, "num_objs %lu >= active_objs %lu",
	      c1.num_objs, c1.active_objs);
	CHECK(c1.num_slabs >= c0.num_slabs + NR_OBJS / c1.objperslab,
	      "kmalloc-64 slabs %lu -> %lu: at least %lu more", c0.num_slabs, c1.num_slabs,
	      NR_OBJS / c1.objperslab);
	/* The slab pages meminfo counts are the ones slabinfo shows. */
	CHECK(m1.slab - m0.slab == (long)(slabinfo_kb(&si1) - slabinfo_kb(&si0)),
	      "Slab grew by %ld kB, the slab pages added %ld kB", m1.slab - m0.slab,
	      (long)(slabinfo_kb(&si1) - slabinfo_kb(&si0)));
	CHECK(m1.slab - m0.slab >= (long)(cache_kb(&c1) - cache_kb(&c0)) &&
	      m1.slab - m0.slab <= (long)(cache_kb(&c1) - cache_kb(&c0) + 8 * PAGE_KB),
	      "Slab grew by %ld kB, about kmalloc-64's %lu kB", m1.slab - m0.slab,
	      cache_kb(&c1) - cache_kb(&c0));
	CHECK(m1.sunreclaim - m0.sunreclaim == m1.slab - m0.slab && m1.sreclaimable == m0.sreclaimable,
	      "kmalloc-64 is unreclaimable: SUnreclaim +%ld kB, SReclaimable +%ld kB",
	      m1.sunreclaim - m0.sunreclaim, m1.sreclaimable - m0.sreclaimable);

	for (int i = 0; i < NR_OBJS; i++) {
		const unsigned char *p = objs[i];

		for (int b = 0; b < 64; b++)
			if (p[b] != 0x64) {
				CHECK(0, "object %d byte %d is 0x%02x", i, b, p[b]);
				break;
			}
		kfree(objs[i]);
	}
	parse_slabinfo(&si2);
	m2 = slab_mem("after the kfree()s");
	c2 = get_cache(&si2, "kmalloc-64");
	check_consistent(&si2, "after the kfree()s");

	/* Only one CPU slab's worth of free objects can still count as active. */
	CHECK(c2.active_objs <= c0.active_objs + c2.objperslab,
	      "kmalloc-64 active_objs fell back: %lu -> %lu -> %lu", c0.active_objs,
	      c1.active_objs, c2.active_objs);
	/* Empty slabs beyond the partial list's keep (at most Linux's
	 * MAX_PARTIAL, 10) went back to the page allocator. */
	CHECK(c2.num_slabs <= c0.num_slabs + 10 + 1,
	      "kmalloc-64 slabs given back: %lu -> %lu -> %lu", c0.num_slabs, c1.num_slabs,
	      c2.num_slabs);
	CHECK(m1.slab - m2.slab == (long)(slabinfo_kb(&si1) - slabinfo_kb(&si2)),
	      "Slab fell by %ld kB, the slab pages freed %ld kB", m1.slab - m2.slab,
	      (long)(slabinfo_kb(&si1) - slabinfo_kb(&si2)));
	free(objs);
}

/* ---- Reclaimable and DMA kmallocs ------------------------------------- */

static void check_kmalloc_types(void)
{
	static struct slabinfo si0, si1;
	struct si_cache r0, r1, d0, d1;
	struct slab_mem m0, m1;
	enum { N = 2000 };
	void **rcl = calloc(N, sizeof(*rcl)), **dma = calloc(N, sizeof(*dma));

	REQUIRE(rcl && dma, "calloc");
	parse_slabinfo(&si0);
	m0 = slab_mem("before reclaimable kmallocs");
	r0 = get_cache(&si0, "kmalloc-rcl-128");
	for (int i = 0; i < N; i++) {
		rcl[i] = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
		REQUIRE(rcl[i] != NULL, "kmalloc(100, __GFP_RECLAIMABLE) #%d", i);
	}
	parse_slabinfo(&si1);
	m1 = slab_mem("after reclaimable kmallocs");
	r1 = get_cache(&si1, "kmalloc-rcl-128");
	CHECK(r1.active_objs >= r0.active_objs + N, "kmalloc-rcl-128 active %lu -> %lu",
	      r0.active_objs, r1.active_objs);
	CHECK(m1.sreclaimable - m0.sreclaimable == (long)(cache_kb(&r1) - cache_kb(&r0)) &&
	      m1.sreclaimable > m0.sreclaimable,
	      "SReclaimable grew by %ld kB, kmalloc-rcl-128's slabs by %lu kB",
	      m1.sreclaimable - m0.sreclaimable, cache_kb(&r1) - cache_kb(&r0));
	CHECK(m1.sunreclaim == m0.sunreclaim, "SUnreclaim unchanged: %ld -> %ld kB",
	      m0.sunreclaim, m1.sunreclaim);
	check_consistent(&si1, "after reclaimable kmallocs");

	m0 = m1;
	d0 = get_cache(&si1, "dma-kmalloc-32");
	for (int i = 0; i < N; i++) {
		dma[i] = kmalloc(32, GFP_KERNEL | GFP_DMA);
		REQUIRE(dma[i] != NULL, "kmalloc(32, GFP_DMA) #%d", i);
	}
	parse_slabinfo(&si0);
	m1 = slab_mem("after DMA kmallocs");
	d1 = get_cache(&si0, "dma-kmalloc-32");
	CHECK(d1.active_objs >= d0.active_objs + N, "dma-kmalloc-32 active %lu -> %lu",
	      d0.active_objs, d1.active_objs);
	CHECK(m1.sunreclaim - m0.sunreclaim == (long)(cache_kb(&d1) - cache_kb(&d0)) &&
	      m1.sunreclaim > m0.sunreclaim,
	      "SUnreclaim grew by %ld kB, dma-kmalloc-32's slabs by %lu kB",
	      m1.sunreclaim - m0.sunreclaim, cache_kb(&d1) - cache_kb(&d0));
	CHECK(m1.sreclaimable == m0.sreclaimable, "SReclaimable unchanged: %ld -> %ld kB",
	      m0.sreclaimable, m1.sreclaimable);
	check_consistent(&si0, "after DMA kmallocs");

	for (int i = 0; i < N; i++) {
		kfree(rcl[i]);
		kfree(dma[i]);
	}
	free(rcl);
	free(dma);
}

/* ---- A cache of its own ---------------------------------------------- */

static void check_own_cache(void)
{
	static struct slabinfo si0, si1, si2, si3;
	struct si_cache c0, c1, c2;
	struct slab_mem m1, m2;
	struct kmem_cache *s;
	enum { N = 1000 };
	void **objs = calloc(N, sizeof(*objs));

	REQUIRE(objs != NULL, "calloc");
	parse_slabinfo(&si0);
	CHECK(find_cache(&si0, "test_cache") == NULL, "no test_cache before it is made");
	s = kmem_cache_create("test_cache", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	REQUIRE(s != NULL, "kmem_cache_create(test_cache)");

	parse_slabinfo(&si1);
	m1 = slab_mem("test_cache made");
	CHECK(si1.n == si0.n + 1, "one more line: %d -> %d", si0.n, si1.n);
	CHECK(si1.n > 0 && !strcmp(si1.c[0].name, "test_cache"),
	      "the newest cache is the first line: '%s'", si1.n ? si1.c[0].name : "");
	c0 = get_cache(&si1, "test_cache");
	CHECK(c0.objsize == 256, "200 bytes aligned to cache lines: objsize %lu, want 256",
	      c0.objsize);
	CHECK(c0.active_objs == 0 && c0.num_objs == 0 && c0.num_slabs == 0,
	      "a new cache holds nothing: %lu/%lu objects, %lu slabs", c0.active_objs,
	      c0.num_objs, c0.num_slabs);

	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		REQUIRE(objs[i] != NULL, "kmem_cache_alloc #%d", i);
	}
	parse_slabinfo(&si2);
	m2 = slab_mem("test_cache filled");
	c1 = get_cache(&si2, "test_cache");
	check_consistent(&si2, "test_cache filled");
	CHECK(c1.active_objs >= N && c1.num_objs >= c1.active_objs,
	      "test_cache: %lu active of %lu", c1.active_objs, c1.num_objs);
	CHECK(c1.num_slabs >= (N + c1.objperslab - 1) / c1.objperslab,
	      "test_cache: %lu slabs of %lu hold %d objects", c1.num_slabs, c1.objperslab, N);
	CHECK(m2.slab - m1.slab == (long)cache_kb(&c1),
	      "Slab grew by %ld kB == test_cache's %lu slabs * %lu pages * 4 kB",
	      m2.slab - m1.slab, c1.num_slabs, c1.pagesperslab);

	for (int i = 0; i < N; i++)
		kmem_cache_free(s, objs[i]);
	parse_slabinfo(&si3);
	c2 = get_cache(&si3, "test_cache");
	CHECK(c2.active_objs <= c2.objperslab, "test_cache emptied: %lu active",
	      c2.active_objs);

	kmem_cache_destroy(s);
	parse_slabinfo(&si3);
	CHECK(find_cache(&si3, "test_cache") == NULL, "test_cache gone after kmem_cache_destroy");
	CHECK(si3.n == si0.n, "as many lines as before it: %d, %d", si3.n, si0.n);
	check_consistent(&si3, "test_cache destroyed");

	/* A long name pushes the columns right but still parses. */
	s = kmem_cache_create("a_cache_with_a_long_name", 24, 0, 0, NULL);
	REQUIRE(s != NULL, "kmem_cache_create(a_cache_with_a_long_name)");
	objs[0] = kmem_cache_alloc(s, GFP_KERNEL);
	REQUIRE(objs[0] != NULL, "kmem_cache_alloc");
	parse_slabinfo(&si3);
	c2 = get_cache(&si3, "a_cache_with_a_long_name");
	CHECK(c2.objsize == 24 && c2.active_objs >= 1 && c2.num_slabs == 1,
	      "long-named cache: objsize %lu, %lu active, %lu slabs", c2.objsize,
	      c2.active_objs, c2.num_slabs);
	kmem_cache_free(s, objs[0]);
	kmem_cache_destroy(s);
	free(objs);
}

/* ---- kmalloc above 8 KiB ---------------------------------------------- */

/*
 * Linux counts a large kmalloc's pages in NR_SLAB_UNRECLAIMABLE_B (the
 * page is not a slab, so slabinfo does not show it): SUnreclaim and Slab
 * grow by the whole compound page, and shrink again on kfree().
 */
static void check_large_kmalloc(void)
{
	struct slab_mem m0, m1, m2;
	void *p;

	m0 = slab_mem("before kmalloc(16K)");
	p = kmalloc(16384, GFP_KERNEL);
	REQUIRE(p != NULL, "kmalloc(16384)");
	m1 = slab_mem("after kmalloc(16K)");
	CHECK(m1.sunreclaim - m0.sunreclaim == 16 && m1.slab - m0.slab == 16,
	      "a 16 KiB kmalloc is 16 kB of SUnreclaim, as in Linux: +%ld kB (Slab +%ld kB)",
	      m1.sunreclaim - m0.sunreclaim, m1.slab - m0.slab);
	p = krealloc(p, 40000, GFP_KERNEL);	/* order 2 -> order 4 */
	REQUIRE(p != NULL, "krealloc(40000)");
	m2 = slab_mem("after krealloc(64K)");
	CHECK(m2.sunreclaim - m0.sunreclaim == 64,
	      "krealloc to 40000 bytes: SUnreclaim +%ld kB, want +64", m2.sunreclaim - m0.sunreclaim);
	kfree(p);
	m2 = slab_mem("after kfree(large)");
	CHECK(m2.sunreclaim == m0.sunreclaim, "kfree gives it back: SUnreclaim %ld -> %ld kB",
	      m0.sunreclaim, m2.sunreclaim);
}

/* ---- slub_debug: objsize is the stride -------------------------------- */

static void check_debug_stride(void)
{
	static struct slabinfo si;
	struct si_cache c, plain;

	REQUIRE(mmk_boot("mem=64M slub_debug=FZPU,kmalloc-64") == 0, "boot with slub_debug");
	parse_slabinfo(&si);
	check_consistent(&si, "slub_debug boot");
	c = get_cache(&si, "kmalloc-64");
	plain = get_cache(&si, "kmalloc-rcl-64");
	CHECK(c.objsize > 64,
	      "kmalloc-64 with red zones and tracking: objsize %lu is the stride, not 64",
	      c.objsize);
	CHECK(plain.objsize == 64, "kmalloc-rcl-64 (not debugged): objsize %lu", plain.objsize);
	mmk_shutdown();
}

int main(void)
{
	REQUIRE(mmk_boot("mem=256M") == 0, "boot");
	check_kmalloc_caches();
	check_kmalloc_64();
	check_kmalloc_types();
	check_own_cache();
	check_large_kmalloc();
	CHECK(mmk_check(stderr) == 0, "invariants after the slab reports");
	mmk_shutdown();
	check_debug_stride();
	harness_exit();
}
