// SPDX-License-Identifier: MIT
/*
 * mmkit slabtop: the slab caches as procps' `slabtop --once --sort=c`
 * shows them: a summary, then one row per cache, biggest memory user first.
 *
 * Every number is read from the slabinfo report and computed as slabtop
 * computes it from /proc/slabinfo: cache size = num_slabs * pagesperslab *
 * PAGE_SIZE, use = active_objs / num_objs, the summary's sizes from
 * objects * objsize. The header and rows are procps-ng 3.3's formats.
 *
 * Unless --idle, a short workload runs first so the view is not all zeros
 * (see workload() for what it allocates); its objects stay allocated while
 * the view is printed, and are freed before the machine shuts down.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>

#include "mmkit_cli.h"

struct workload {
	void **obj;
	size_t nr, cap;
	struct kmem_cache *cache;
	void **cobj;
	size_t nr_cobj;
};

static int keep(struct workload *w, void *p)
{
	if (w->nr == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		void **n = realloc(w->obj, cap * sizeof(*n));

		if (!n)
			return -1;
		w->obj = n;
		w->cap = cap;
	}
	w->obj[w->nr++] = p;
	return 0;
}

/*
 * The workload: kmalloc objects of mixed sizes, many small and a few large,
 * as a kernel's mix goes (the counts per size are below); then every third
 * one freed, so caches show partly used slabs; plus a cache of its own,
 * "mmkit_demo_node" (200-byte objects, SLAB_HWCACHE_ALIGN), with 1000
 * objects. Deterministic: the same machine gives the same view.
 */
static int workload(struct workload *w)
{
	static const struct { size_t size; int count; } mix[] = {
		{ 16, 3000 }, { 32, 2000 }, { 64, 1500 }, { 96, 600 }, { 128, 800 },
		{ 192, 500 }, { 256, 400 }, { 512, 200 }, { 1024, 120 }, { 2048, 60 },
		{ 4096, 30 }, { 8192, 12 }, { 65536, 2 },
	};
	size_t kept = 0;

	for (size_t i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		for (int n = 0; n < mix[i].count; n++) {
			void *p = kmalloc(mix[i].size, GFP_KERNEL);

			if (!p || keep(w, p)) {
				kfree(p);
				return -1;
			}
		}
	}
	/* Every third object back: partly used slabs. */
	for (size_t i = 0; i < w->nr; i++) {
		if (i % 3 == 2)
			kfree(w->obj[i]);
		else
			w->obj[kept++] = w->obj[i];
	}
	w->nr = kept;

	w->cache = kmem_cache_create("mmkit_demo_node", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	if (!w->cache)
		return -1;
	w->cobj = calloc(1000, sizeof(*w->cobj));
	if (!w->cobj)
		return -1;
	for (; w->nr_cobj < 1000; w->nr_cobj++) {
		w->cobj[w->nr_cobj] = kmem_cache_alloc(w->cache, GFP_KERNEL);
		if (!w->cobj[w->nr_cobj])
			return -1;
	}
	return 0;
}

static void workload_end(struct workload *w)
{
	while (w->nr)
		kfree(w->obj[--w->nr]);
	free(w->obj);
	while (w->nr_cobj)
		kmem_cache_free(w->cache, w->cobj[--w->nr_cobj]);
	free(w->cobj);
	if (w->cache)
		kmem_cache_destroy(w->cache);
}

static unsigned long cache_size(const struct slabinfo_cache *c)
{
	return c->num_slabs * c->pagesperslab * PAGE_SIZE;
}

/* Biggest memory user first; ties by name, so the order is stable. */
static int by_cache_size(const void *a, const void *b)
{
	const struct slabinfo_cache *x = a, *y = b;
	unsigned long sx = cache_size(x), sy = cache_size(y);

	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static double pct(unsigned long part, unsigned long whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_view(struct slabinfo *si)
{
	unsigned long objs = 0, active_objs = 0, slabs = 0, active_slabs = 0;
	unsigned long caches = 0, active_caches = 0;
	double total_size = 0, active_size = 0, min = 0, max = 0;

	for (int i = 0; i < si->nr; i++) {
		const struct slabinfo_cache *c = &si->cache[i];
		double kb = (double)c->objsize / 1024.0;

		objs += c->num_objs;
		active_objs += c->active_objs;
		slabs += c->num_slabs;
		active_slabs += c->active_slabs;
		caches++;
		if (c->num_objs)
			active_caches++;
		total_size += (double)c->num_objs * (double)c->objsize;
		active_size += (double)c->active_objs * (double)c->objsize;
		if (!i || kb < min)
			min = kb;
		if (!i || kb > max)
			max = kb;
	}
	printf(" %-35s: %lu / %lu (%.1f%%)\n", "Active / Total Objects (% used)", active_objs,
	       objs, pct(active_objs, objs));
	printf(" %-35s: %lu / %lu (%.1f%%)\n", "Active / Total Slabs (% used)", active_slabs,
	       slabs, pct(active_slabs, slabs));
	printf(" %-35s: %lu / %lu (%.1f%%)\n", "Active / Total Caches (% used)", active_caches,
	       caches, pct(active_caches, caches));
	printf(" %-35s: %.2fK / %.2fK (%.1f%%)\n", "Active / Total Size (% used)",
	       active_size / 1024.0, total_size / 1024.0,
	       total_size ? 100.0 * active_size / total_size : 0.0);
	printf(" %-35s: %.2fK / %.2fK / %.2fK\n\n", "Minimum / Average / Maximum Object", min,
	       objs ? total_size / (double)objs / 1024.0 : 0.0, max);
	printf("%-78s\n", "  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE NAME");

	qsort(si->cache, (size_t)si->nr, sizeof(si->cache[0]), by_cache_size);
	for (int i = 0; i < si->nr; i++) {
		const struct slabinfo_cache *c = &si->cache[i];

		printf("%6lu %6lu %3lu%% %7.2fK %6lu %8lu %9luK %-23s\n", c->num_objs,
		       c->active_objs, c->num_objs ? 100 * c->active_objs / c->num_objs : 0,
		       (double)c->objsize / 1024.0, c->num_slabs, c->objperslab,
		       cache_size(c) / 1024, c->name);
	}
}

int cmd_slabtop(const char *cmdline, bool idle)
{
	struct workload w;
	struct slabinfo si;
	char *text;
	int err;

	memset(&w, 0, sizeof(w));
	err = cli_boot(cmdline);
	if (err)
		return err;
	if (!idle && workload(&w)) {
		fprintf(stderr, "mmkit: slabtop: the workload could not allocate its objects\n");
		err = 1;
		goto out;
	}
	err = report_read("slabinfo", &text, "mmkit slabtop");
	if (err) {
		err = 1;
		goto out;
	}
	if (parse_slabinfo(text, &si)) {
		fprintf(stderr, "mmkit: cannot parse the slabinfo report:\n%s", text);
		free(text);
		err = 1;
		goto out;
	}
	free(text);
	print_view(&si);
	free_slabinfo(&si);
out:
	workload_end(&w);
	mmk_shutdown();
	return err;
}
