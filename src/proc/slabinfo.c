// SPDX-License-Identifier: MIT
/*
 * /proc/slabinfo, version 2.1, as SLUB prints it: a two-line header, then
 * one line per cache on slab_caches, the most recently created first (Linux
 * adds each new cache at the head of its list and walks it from the head,
 * so the boot caches come last).
 *
 * The numbers mean what they mean in Linux's get_slabinfo():
 *   num_objs     every object of every slab of the cache;
 *   active_objs  num_objs less the free objects on the node's partial list,
 *                so the free objects of a CPU's active slab count as active;
 *   objsize      the stride (s->size), metadata included, not object_size;
 *   objperslab, pagesperslab  of the order the cache chose;
 *   active_slabs = num_slabs, the slabs the cache holds;
 * and the SLAB allocator's tunables and shared-array count are always 0.
 *
 * Locking: slab_mutex is held across the walk so that no cache is created
 * or destroyed under it; each cache's counts are taken under its own
 * list_lock (slab_cache_counts()), a snapshot like Linux's.
 */
#include "proc.h"
#include "../mm/slab.h"


static void print_slabinfo_header(FILE *m)
{
	fputs("slabinfo - version: 2.1\n", m);
	fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>", m);
	fputs(" : tunables <limit> <batchcount> <sharedfactor>", m);
	fputs(" : slabdata <active_slabs> <num_slabs> <sharedavail>", m);
	fputc('\n', m);
}

static void cache_show(FILE *m, struct kmem_cache *s)
{
	unsigned long nr_slabs, nr_objs, nr_free;

	slab_cache_counts(s, &nr_slabs, &nr_objs, &nr_free);
	fprintf(m, "%-17s %6lu %6lu %6u %4u %4d", s->name, nr_objs - nr_free,
		nr_objs, s->size, s->objects, 1 << s->order);
	fprintf(m, " : tunables %4u %4u %4u", 0U, 0U, 0U);
	fprintf(m, " : slabdata %6lu %6lu %6lu", nr_slabs, nr_slabs, 0UL);
	fputc('\n', m);
}

int proc_slabinfo_show(FILE *m)
{
	struct list_head *pos;

	/*
	 * slab_caches is kept oldest first; walking it backwards prints what
	 * Linux's head-first list prints. The header comes with the first
	 * cache, as Linux's slab_start() prints it.
	 */
	spin_lock(&slab_mutex);
	for (pos = slab_caches.prev; pos != &slab_caches; pos = pos->prev) {
		if (pos == slab_caches.prev)
			print_slabinfo_header(m);
		cache_show(m, list_entry(pos, struct kmem_cache, list));
	}
	spin_unlock(&slab_mutex);
	return 0;
}
