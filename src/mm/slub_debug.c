// SPDX-License-Identifier: MIT
/*
 * slub_debug: the expensive checks, and every report the slab allocator
 * prints, in Linux's shapes.
 *
 * 1. Selection. slub_debug=<flags>[,<cache>...][;<flags>,<cache>...] as in
 *    Linux: F (consistency checks on free: the pointer is an object of this
 *    slab, not already free), Z (red zones around each object, and for
 *    kmalloc the bytes between the size asked for and the object size),
 *    P (poison: a free object is 0x6b bytes ending in 0xa5, checked when it
 *    is handed out again, so a write after free is caught), U (record who
 *    allocated and freed each object, printed in reports). A bare
 *    slub_debug (or no letters) means FZPU. A name ending in '*' matches a
 *    prefix. T, A and O are accepted and ignored.
 *
 * 2. Paths. A debug cache has no per-CPU fast path: every allocation and
 *    free runs here under the node's list_lock, one object at a time, on
 *    slabs that are never frozen; full slabs sit on node.full, so that every
 *    slab is on a list and can be checked.
 *
 * 3. After a report, the damage stays contained: a corrupted free object is
 *    taken off the freelist and never handed out (isolated); an object whose
 *    red zone was overwritten is not freed; a double free changes nothing.
 *    The bytes a check found wrong are restored, and the report says so in
 *    a "FIX" line, as Linux does.
 *
 * Object layout (calculate_sizes() in slub.c):
 *   [left red zone][object][right red zone][free ptr?][track x2][orig_size]
 */
#include <stdarg.h>
#include <string.h>

#include "slab.h"

/* ---- slub_debug= ------------------------------------------------------ */

static char debug_spec[128];

static slab_flags_t letters_to_flags(const char *p, size_t n)
{
	slab_flags_t f = 0;

	if (!n)
		return SLAB_DEBUG_FLAGS;
	for (size_t i = 0; i < n; i++) {
		switch (p[i] | 0x20) {
		case 'f': f |= SLAB_CONSISTENCY_CHECKS; break;
		case 'z': f |= SLAB_RED_ZONE; break;
		case 'p': f |= SLAB_POISON; break;
		case 'u': f |= SLAB_STORE_USER; break;
		case '-': return 0;
		default: break;		/* T, A, O: accepted */
		}
	}
	return f;
}

static bool name_matches(const char *pat, size_t n, const char *name)
{
	if (n && pat[n - 1] == '*')
		return !strncmp(pat, name, n - 1);
	return strlen(name) == n && !strncmp(pat, name, n);
}

int slub_debug_parse(const char *arg)
{
	snprintf(debug_spec, sizeof(debug_spec), "%s", arg ? arg : "");
	return 0;
}

/* Flags slub_debug= gives the cache @name. */
slab_flags_t slab_debug_flags_for(const char *name)
{
	const char *p = boot_params.slub_debug;
	slab_flags_t result = 0;

	if (!p[0])
		return 0;
	while (*p) {
		const char *end = strchr(p, ';');
		size_t blen = end ? (size_t)(end - p) : strlen(p);
		const char *comma = memchr(p, ',', blen);
		size_t flen = comma ? (size_t)(comma - p) : blen;
		slab_flags_t f = letters_to_flags(p, flen);

		if (!comma) {
			result = f;		/* flags for every cache */
		} else {
			const char *q = comma + 1;

			while (q < p + blen) {
				const char *c2 = memchr(q, ',', (size_t)(p + blen - q));
				size_t nlen = c2 ? (size_t)(c2 - q) : (size_t)(p + blen - q);

				if (name_matches(q, nlen, name))
					result = f;
				q += nlen + 1;
			}
		}
		p += blen + (end ? 1 : 0);
	}
	return result;
}

/* ---- Metadata --------------------------------------------------------- */

static inline unsigned int info_end(const struct kmem_cache *s)
{
	return s->offset >= s->inuse ? s->inuse + (unsigned int)sizeof(void *) : s->inuse;
}

static inline struct track *get_track(struct kmem_cache *s, void *object,
				      enum track_item item)
{
	return (struct track *)(void *)((char *)object + info_end(s)) + item;
}

static inline unsigned long *orig_size_ptr(struct kmem_cache *s, void *object)
{
	unsigned int off = info_end(s);

	if (s->flags & SLAB_STORE_USER)
		off += 2 * sizeof(struct track);
	return (unsigned long *)(void *)((char *)object + off);
}

static inline bool kmalloc_redzone(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RED_ZONE) && (s->flags & SLAB_KMALLOC);
}

static void set_track(struct kmem_cache *s, void *object, enum track_item item,
		      unsigned long addr)
{
	struct track *t = get_track(s, object, item);

	t->addr = addr;
	t->cpu = arch_smp_processor_id();
	t->pid = arch_current_pid();
	t->when = arch_now_ns();
}

/* Poison and red zones of a free (RED_INACTIVE) or allocated object. */
void init_object_debug(struct kmem_cache *s, void *object, uint8_t val)
{
	uint8_t *p = object;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		memset(p + s->object_size, val, s->inuse - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && val == SLUB_RED_INACTIVE) {
		memset(p, POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = POISON_END;
	}
	if (kmalloc_redzone(s) && val == SLUB_RED_INACTIVE)
		*orig_size_ptr(s, object) = s->object_size;
}

/* ---- Reports ---------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static void slab_bug(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("=============================================================================\n");
	pr_err("BUG %s (Not tainted): %s\n", s->name, msg);
	pr_err("-----------------------------------------------------------------------------\n\n");
}

__attribute__((format(printf, 2, 3)))
static void slab_fix(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("FIX %s: %s\n", s->name, msg);
}

static void print_section(const char *level, const char *text, const uint8_t *addr,
			  unsigned int length)
{
	(void)level;
	for (unsigned int i = 0; i < length; i += 16) {
		char hex[64], ascii[20];
		int n = 0;
		unsigned int j;

		for (j = 0; j < 16 && i + j < length; j++) {
			uint8_t c = addr[i + j];

			n += snprintf(hex + n, sizeof(hex) - (size_t)n, "%s%02x", j ? " " : "", c);
			ascii[j] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
		ascii[j] = '\0';
		pr_err("%s%016lx: %-47s  %s\n", text, (unsigned long)(addr + i), hex, ascii);
	}
}

static void print_track(const char *s, const struct track *t)
{
	char sym[128];

	if (!t->addr)
		return;
	pr_err("%s in %s age=%llu cpu=%d pid=%d\n", s,
	       arch_symbolize(t->addr, sym, sizeof(sym)),
	       (unsigned long long)((arch_now_ns() - t->when) / 1000000), t->cpu, t->pid);
}

static void print_slab_info(struct page *slab)
{
	unsigned long st = slab_state(slab);

	pr_err("Slab 0x%016lx objects=%u used=%u fp=0x%016lx flags=0x%lx(slab|head)\n",
	       (unsigned long)slab, slab_objects(slab), ss_inuse(st),
	       (unsigned long)ss_head(slab, st), slab->flags);
}

static void print_trailer(struct kmem_cache *s, struct page *slab, uint8_t *p)
{
	uint8_t *addr = slab_address(slab);

	if (s->flags & SLAB_STORE_USER) {
		print_track("Allocated", get_track(s, p, TRACK_ALLOC));
		print_track("Freed", get_track(s, p, TRACK_FREE));
	}
	print_slab_info(slab);
	pr_err("Object 0x%016lx @offset=%lu fp=0x%016lx\n\n", (unsigned long)p,
	       (unsigned long)(p - addr), (unsigned long)get_freepointer(s, p));
	if (s->flags & SLAB_RED_ZONE)
		print_section("", "Redzone  ", p - s->red_left_pad, s->red_left_pad);
	print_section("", "Object   ", p, s->object_size < 128 ? s->object_size : 128);
	if (s->flags & SLAB_RED_ZONE)
		print_section("", "Redzone  ", p + s->object_size, s->inuse - s->object_size);
}

static void object_err(struct kmem_cache *s, struct page *slab, void *object,
		       const char *reason)
{
	slab_bug(s, "%s", reason);
	print_trailer(s, slab, object);
	arch_dump_stack();
}

void slab_double_free(struct kmem_cache *s, struct page *slab, void *object)
{
	slab_bug(s, "Object already free");
	pr_err("INFO: Object 0x%016lx @offset=%lu: freed again while it is the first object of the freelist\n",
	       (unsigned long)object,
	       (unsigned long)((char *)object - (char *)slab_address(slab)));
	pr_err("INFO: naive double-free detection (SLAB_FREELIST_HARDENED); boot with slub_debug=F,%s to catch every case\n",
	       s->name);
	print_slab_info(slab);
	arch_dump_stack();
	slab_fix(s, "Object at 0x%016lx not freed again", (unsigned long)object);
}

void slab_bad_pointer(const char *fn, const void *x, const char *why)
{
	pr_err("=============================================================================\n");
	pr_err("BUG %s(): invalid object pointer 0x%016lx\n", fn, (unsigned long)x);
	pr_err("-----------------------------------------------------------------------------\n\n");
	pr_err("INFO: 0x%016lx is %s\n", (unsigned long)x, why);
	arch_dump_stack();
	pr_err("FIX: nothing was freed; every other object is unchanged\n");
}

/* Bytes [start, start+bytes) should all be @value; report and restore. */
static bool check_bytes_and_report(struct kmem_cache *s, struct page *slab,
				   uint8_t *object, const char *what,
				   uint8_t *start, uint8_t value, size_t bytes)
{
	uint8_t *fault = NULL, *end = start + bytes;

	for (uint8_t *p = start; p < end; p++)
		if (*p != value) {
			fault = p;
			break;
		}
	if (!fault)
		return true;
	while (end > fault && end[-1] == value)
		end--;
	slab_bug(s, "%s overwritten", what);
	pr_err("0x%016lx-0x%016lx @offset=%lu. First byte 0x%x instead of 0x%x\n",
	       (unsigned long)fault, (unsigned long)(end - 1),
	       (unsigned long)(fault - (uint8_t *)slab_address(slab)), *fault, value);
	print_trailer(s, slab, object);
	arch_dump_stack();
	memset(fault, value, (size_t)(end - fault));
	slab_fix(s, "Restoring %s 0x%016lx-0x%016lx=0x%x", what, (unsigned long)fault,
		 (unsigned long)(end - 1), value);
	return false;
}

/* Red zones and poison of @object as they should be in state @val. */
static bool check_object(struct kmem_cache *s, struct page *slab, uint8_t *object,
			 uint8_t val)
{
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes_and_report(s, slab, object, "Left Redzone",
					     object - s->red_left_pad, val, s->red_left_pad);
		ok &= check_bytes_and_report(s, slab, object, "Right Redzone",
					     object + s->object_size, val,
					     s->inuse - s->object_size);
		if (kmalloc_redzone(s) && val == SLUB_RED_ACTIVE) {
			unsigned long orig = *orig_size_ptr(s, object);

			if (orig < s->object_size)
				ok &= check_bytes_and_report(s, slab, object, "kmalloc Redzone",
							     object + orig, val,
							     s->object_size - orig);
		}
	}
	if ((s->flags & SLAB_POISON) && val == SLUB_RED_INACTIVE) {
		ok &= check_bytes_and_report(s, slab, object, "Poison", object,
					     POISON_FREE, s->object_size - 1);
		ok &= check_bytes_and_report(s, slab, object, "End Poison",
					     object + s->object_size - 1, POISON_END, 1);
	}
	return ok;
}

/* Is @object the start of an object of @slab? */
static bool check_valid_pointer(struct kmem_cache *s, struct page *slab, const void *object)
{
	const char *base = slab_address(slab);
	const char *p = object;

	if (!object)
		return true;
	if (p < base + s->red_left_pad || p >= base + (size_t)slab_objects(slab) * s->size)
		return false;
	return (size_t)(p - base - s->red_left_pad) % s->size == 0;
}

/* Is @search on @slab's freelist? Cuts a corrupt chain where it breaks. */
static bool on_freelist(struct kmem_cache *s, struct page *slab, void *search)
{
	unsigned long st = slab_state(slab);
	void *fp = ss_head(slab, st), *prev = NULL;
	unsigned int nr = 0, max = slab_objects(slab);

	while (fp && nr <= max) {
		if (fp == search)
			return true;
		if (!check_valid_pointer(s, slab, fp)) {
			object_err(s, slab, prev ? prev : slab_address(slab), "Freechain corrupt");
			if (prev)
				set_freepointer(s, prev, NULL);
			else
				__atomic_store_n(&slab->private, ss_make(slab, NULL, max, false),
						 __ATOMIC_RELEASE);
			slab_fix(s, "Isolate corrupted freechain");
			return false;
		}
		prev = fp;
		fp = get_freepointer(s, fp);
		nr++;
	}
	return false;
}

/* ---- kmalloc's requested size (slub_debug=Z on kmalloc caches) --------- */

bool kmalloc_has_redzone(const struct kmem_cache *s)
{
	return kmalloc_redzone(s);
}

size_t kmalloc_orig_size(struct kmem_cache *s, void *object)
{
	return *orig_size_ptr(s, object);
}

/*
 * The caller may now use @new_size bytes of @object (krealloc in place, or
 * ksize(), after which Linux stops checking the kmalloc red zone): move the
 * red zone to start there.
 */
void kmalloc_redzone_resize(struct kmem_cache *s, void *object, size_t new_size)
{
	unsigned long *orig = orig_size_ptr(s, object);

	spin_lock(&s->node.list_lock);
	if (new_size < *orig)
		memset((char *)object + new_size, SLUB_RED_ACTIVE, *orig - new_size);
	*orig = new_size;
	spin_unlock(&s->node.list_lock);
}

/* ---- The debug paths (list_lock held) --------------------------------- */

static void move_to_list(struct kmem_cache_node *n, struct page *slab,
			 struct list_head *to, bool was_partial, bool to_partial)
{
	list_del(&slab->lru);
	if (was_partial)
		n->nr_partial--;
	list_add_tail(&slab->lru, to);
	if (to_partial)
		n->nr_partial++;
}

void *alloc_debug(struct kmem_cache *s, gfp_t gfp, size_t orig_size,
		  unsigned long caller)
{
	struct kmem_cache_node *n = &s->node;
	void *object = NULL;

	spin_lock(&n->list_lock);
	for (;;) {
		struct page *slab;
		unsigned long st;
		void *next;

		if (list_empty(&n->partial)) {
			spin_unlock(&n->list_lock);
			slab = allocate_slab(s, gfp);
			spin_lock(&n->list_lock);
			if (!slab)
				break;
			add_partial(n, slab);
		}
		slab = list_first_entry(&n->partial, struct page, lru);
		st = slab_state(slab);
		object = ss_head(slab, st);
		next = get_freepointer(s, object);
		if (!check_valid_pointer(s, slab, next)) {
			object_err(s, slab, object, "Freechain corrupt");
			next = NULL;
			slab_fix(s, "Isolate corrupted freechain");
		}
		st = ss_make(slab, next, ss_inuse(st) + 1, false);
		__atomic_store_n(&slab->private, st, __ATOMIC_RELEASE);
		if (!next)
			move_to_list(n, slab, &n->full, true, false);
		if (!check_object(s, slab, object, SLUB_RED_INACTIVE)) {
			slab_fix(s, "Isolating object 0x%016lx: it will never be handed out",
				 (unsigned long)object);
			object = NULL;
			continue;
		}
		if (s->flags & SLAB_STORE_USER)
			set_track(s, object, TRACK_ALLOC, caller);
		init_object_debug(s, object, SLUB_RED_ACTIVE);
		if (kmalloc_redzone(s)) {
			*orig_size_ptr(s, object) = orig_size;
			memset((char *)object + orig_size, SLUB_RED_ACTIVE,
			       s->object_size - orig_size);
		}
		break;
	}
	spin_unlock(&n->list_lock);
	return object;
}

void free_debug(struct kmem_cache *s, struct page *slab, void *object,
		unsigned long caller)
{
	struct kmem_cache_node *n = &s->node;
	bool discard = false;
	unsigned long st;
	void *prior;

	spin_lock(&n->list_lock);
	if (!check_valid_pointer(s, slab, object)) {
		slab_bug(s, "Invalid object pointer 0x%016lx", (unsigned long)object);
		print_slab_info(slab);
		arch_dump_stack();
		slab_fix(s, "Object at 0x%016lx not freed", (unsigned long)object);
		goto out;
	}
	if (on_freelist(s, slab, object)) {
		object_err(s, slab, object, "Object already free");
		goto out;
	}
	if (!check_object(s, slab, object, SLUB_RED_ACTIVE)) {
		slab_fix(s, "Object at 0x%016lx not freed", (unsigned long)object);
		goto out;
	}
	if (s->flags & SLAB_STORE_USER)
		set_track(s, object, TRACK_FREE, caller);
	init_object_debug(s, object, SLUB_RED_INACTIVE);

	st = slab_state(slab);
	prior = ss_head(slab, st);
	set_freepointer(s, object, prior);
	st = ss_make(slab, object, ss_inuse(st) - 1, false);
	__atomic_store_n(&slab->private, st, __ATOMIC_RELEASE);
	if (!prior)
		move_to_list(n, slab, &n->partial, false, true);
	if (!ss_inuse(st) && n->nr_partial > s->min_partial) {
		remove_partial(n, slab);
		discard = true;
	}
out:
	spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* ---- Live objects at kmem_cache_destroy() ------------------------------ */

static void mark_free(struct kmem_cache *s, struct page *slab, uint8_t *map)
{
	unsigned int nr = 0;

	for (void *p = ss_head(slab, slab_state(slab));
	     p && nr++ <= slab_objects(slab) && check_valid_pointer(s, slab, p);
	     p = get_freepointer(s, p)) {
		size_t i = (size_t)((char *)p - (char *)slab_address(slab)) / s->size;

		map[i / 8] |= (uint8_t)(1u << (i % 8));
	}
}

void list_slab_objects(struct kmem_cache *s)
{
	static uint8_t map[(MAX_OBJS_PER_SLAB + 8) / 8];

	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		struct page *slab = page_of(pfn);

		if (!PageFlag(slab, PG_slab) || slab_cache(slab) != s)
			continue;
		memset(map, 0, sizeof(map));
		mark_free(s, slab, map);
		slab_bug(s, "Objects remaining in %s on __kmem_cache_shutdown()", s->name);
		print_slab_info(slab);
		for (unsigned int i = 0; i < slab_objects(slab); i++) {
			void *p = slab_object(s, slab, i);

			if (map[i / 8] & (1u << (i % 8)))
				continue;
			pr_err("Object 0x%016lx @offset=%lu\n", (unsigned long)p,
			       (unsigned long)((char *)p - (char *)slab_address(slab)));
			if (s->flags & SLAB_STORE_USER)
				print_track("Allocated", get_track(s, p, TRACK_ALLOC));
		}
	}
}

/* ---- The slab checker (behind mmk_check) ------------------------------ */

struct slab_checker {
	FILE *out;
	long problems;
};

__attribute__((format(printf, 3, 4)))
static void slab_problem(struct slab_checker *c, struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	if (c->out && c->problems < 50) {
		fprintf(c->out, "mmk_check: slab cache %s: ", s->name);
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
		fputc('\n', c->out);
	}
	c->problems++;
}

/* Walk a freelist of @slab marking its objects; false on a bad link. */
static bool walk_freelist(struct slab_checker *c, struct kmem_cache *s,
			  struct page *slab, void *fp, uint8_t *map, unsigned int *count,
			  const char *which)
{
	while (fp) {
		size_t i;

		if (!check_valid_pointer(s, slab, fp)) {
			slab_problem(c, s, "%s freelist of slab pfn %#lx links to 0x%lx, not an object of it",
				     which, pfn_of(slab), (unsigned long)fp);
			return false;
		}
		i = (size_t)((char *)fp - (char *)slab_address(slab)) / s->size;
		if (map[i / 8] & (1u << (i % 8))) {
			slab_problem(c, s, "object %zu of slab pfn %#lx is on a freelist twice (%s)",
				     i, pfn_of(slab), which);
			return false;
		}
		map[i / 8] |= (uint8_t)(1u << (i % 8));
		(*count)++;
		fp = get_freepointer(s, fp);
	}
	return true;
}

static void check_partial_list(struct slab_checker *c, struct kmem_cache *s)
{
	unsigned long partial = 0;
	struct list_head *pos;

	list_for_each(pos, &s->node.partial) {
		struct page *slab = list_entry(pos, struct page, lru);
		unsigned long st = slab_state(slab);

		partial++;
		if (!PageFlag(slab, PG_slab) || slab_cache(slab) != s)
			slab_problem(c, s, "partial list holds pfn %#lx, not a slab of this cache",
				     pfn_of(slab));
		else if ((st & SS_FROZEN) || !(st & SS_HEAD_MASK))
			slab_problem(c, s, "partial slab pfn %#lx is %s", pfn_of(slab),
				     (st & SS_FROZEN) ? "frozen" : "full");
	}
	if (partial != s->node.nr_partial)
		slab_problem(c, s, "nr_partial is %lu but the list holds %lu slabs",
			     s->node.nr_partial, partial);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmem_cache_cpu *cc = &s->cpu_slab[cpu];

		if (cc->freelist && (!cc->slab || !check_valid_pointer(s, cc->slab, cc->freelist)))
			slab_problem(c, s, "cpu %d's freelist 0x%lx is not in its active slab",
				     cpu, (unsigned long)cc->freelist);
		if (cc->rfree_slab && (!PageFlag(cc->rfree_slab, PG_slab) ||
				       slab_cache(cc->rfree_slab) != s))
			slab_problem(c, s, "cpu %d gathers frees for pfn %#lx, not a slab of this cache",
				     cpu, pfn_of(cc->rfree_slab));
	}
}

/* One slab: its freelists hold each free object once, and inuse agrees. */
static void check_slab(struct slab_checker *c, struct kmem_cache *s, struct page *slab)
{
	static uint8_t map[(MAX_OBJS_PER_SLAB + 8) / 8];
	unsigned int free = 0, cpu_free = 0, frozen_by = 0;
	unsigned long st = slab_state(slab);
	struct kmem_cache_cpu *owner = NULL;

	s->check_slabs++;
	s->check_objects += slab_objects(slab);
	memset(map, 0, (slab_objects(slab) + 8) / 8);
	if (!walk_freelist(c, s, slab, ss_head(slab, st), map, &free, "the slab's"))
		return;
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		if (s->cpu_slab[cpu].slab == slab) {
			owner = &s->cpu_slab[cpu];
			frozen_by++;
		}
	if (frozen_by > 1)
		slab_problem(c, s, "slab pfn %#lx is the active slab of %u CPUs",
			     pfn_of(slab), frozen_by);
	if (!!(st & SS_FROZEN) != !!owner)
		slab_problem(c, s, "slab pfn %#lx is %sfrozen but %s CPU's active slab",
			     pfn_of(slab), (st & SS_FROZEN) ? "" : "not ",
			     owner ? "is a" : "no");
	if (owner && !walk_freelist(c, s, slab, owner->freelist, map, &cpu_free, "its CPU's"))
		return;
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmem_cache_cpu *cc = &s->cpu_slab[cpu];
		unsigned int gathered = 0;

		if (cc->rfree_slab != slab)
			continue;
		if (!walk_freelist(c, s, slab, cc->rfree_head, map, &gathered,
				   "a CPU's gathered remote"))
			return;
		if (gathered != cc->rfree_count)
			slab_problem(c, s, "cpu %d gathered %u objects for slab pfn %#lx but counts %u",
				     cpu, gathered, pfn_of(slab), cc->rfree_count);
	}
	if (ss_inuse(st) != slab_objects(slab) - free)
		slab_problem(c, s, "slab pfn %#lx: inuse %u, but %u of %u objects are on its freelist",
			     pfn_of(slab), ss_inuse(st), free, slab_objects(slab));
}

/*
 * Every cache is locked (its CPUs' slabs, then its lists) for the whole
 * walk; one pass over mem_map visits every slab of every cache.
 */
long slab_check(FILE *out)
{
	static unsigned long epoch;
	struct slab_checker c = { out, 0 };
	struct list_head *pos;

	if (!kmem_cache_cache)
		return 0;
	epoch++;
	arch_fast_block(-1);
	spin_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);

		cpu_lock_remote_all(&s->cpu_slab[0].cl, sizeof(struct kmem_cache_cpu), NR_CPUS);
		spin_lock(&s->node.list_lock);
		s->check_epoch = epoch;
		s->check_slabs = s->check_objects = 0;
		check_partial_list(&c, s);
	}
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		struct page *slab = page_of(pfn);
		struct kmem_cache *s;

		if (!PageFlag(slab, PG_slab))
			continue;
		s = slab_cache(slab);
		if (!s || s->check_epoch != epoch) {
			if (c.out)
				fprintf(c.out, "mmk_check: pfn %#lx is a slab of no known cache (%p)\n",
					pfn, (void *)s);
			c.problems++;
			continue;
		}
		check_slab(&c, s, slab);
	}
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);

		if (s->check_slabs != (unsigned long)atomic_load(&s->node.nr_slabs) ||
		    s->check_objects != (unsigned long)atomic_load(&s->node.total_objects))
			slab_problem(&c, s, "counters say %ld slabs / %ld objects, memory holds %lu / %lu",
				     atomic_load(&s->node.nr_slabs),
				     atomic_load(&s->node.total_objects),
				     s->check_slabs, s->check_objects);
		spin_unlock(&s->node.list_lock);
		cpu_unlock_remote_all(&s->cpu_slab[0].cl, sizeof(struct kmem_cache_cpu), NR_CPUS);
	}
	spin_unlock(&slab_mutex);
	arch_fast_unblock(-1);
	return c.problems;
}
