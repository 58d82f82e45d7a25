// SPDX-License-Identifier: MIT
/*
 * Boot and shutdown: parse the kernel command line, create the machine's RAM,
 * bring up memblock and the page allocator. One machine per process, as one
 * kernel per machine; boot again after shutdown gets a fresh one.
 *
 * Command-line tokens are key=value (or a bare flag), separated by spaces.
 * Each is validated before anything is built: a bad token returns -EINVAL
 * with one line on stderr that names it, and leaves no trace.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mm/internal.h"
#include "../mm/slab.h"
#include "../mm/vmalloc.h"
#include "../mm/mmap.h"
#include "../mm/swap.h"

struct boot_params boot_params;
bool machine_booted;
char *direct_map_base;
size_t mmk_kmalloc_max_size = 128 << 10;
static char boot_cmdline[4096];
static atomic_bool boot_in_progress;

#define MEM_MIN		(4ULL << 20)
#define MEM_MAX		(1ULL << 40)
#define VMALLOC_DEFAULT	(32ULL << 30)
#define VMALLOC_MIN	(4ULL << 20)
#define MAX_BLOCK_BYTES	((uint64_t)PAGE_SIZE << MAX_PAGE_ORDER)

static void set_defaults(struct boot_params *bp)
{
	memset(bp, 0, sizeof(*bp));
	bp->mem = 256ULL << 20;
	bp->dma_zone = 16ULL << 20;
	bp->kmalloc_max = 128ULL << 10;
	bp->min_free_kbytes = -1;
	bp->vmalloc = VMALLOC_DEFAULT;
	bp->thp_always = THP_ANON_DEFAULT;
}

/* Linux's memparse(): a number with an optional K/M/G/T suffix. */
int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	if (shift && v > (ULLONG_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int bad_token(const char *tok, const char *why)
{
	fprintf(stderr, "mmkit: bad boot option '%s': %s\n", tok, why);
	return -EINVAL;
}

static bool slub_debug_valid(const char *v)
{
	/* flags[,cache[,cache...]][;flags,...]: flags from Linux's letters. */
	const char *p = v;

	while (*p) {
		while (*p && *p != ',' && *p != ';') {
			if (!strchr("FZPUTAOfzputao-", *p))
				return false;
			p++;
		}
		while (*p == ',') {
			p++;
			if (!*p || *p == ',' || *p == ';')
				return false;
			while (*p && *p != ',' && *p != ';') {
				if (!(*p == '_' || *p == '-' || *p == '.' || *p == '*' ||
				      (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
				      (*p >= 'A' && *p <= 'Z')))
					return false;
				p++;
			}
		}
		if (*p == ';')
			p++;
	}
	return true;
}

/*
 * thp_anon=, Linux 6.13's syntax: ';'-separated "sizes:policy", sizes a
 * ','-separated list of sizes or size ranges (16K-2M, powers of two),
 * policy always, madvise, inherit (the top-level setting: always, here)
 * or never. Sizes not named keep their default (always).
 */
static int parse_thp_anon(struct boot_params *bp, const char *tok, const char *val)
{
	char buf[256], *seg, *save;
	unsigned int always = bp->thp_always, madv = bp->thp_madvise;

	if (strlen(val) >= sizeof(buf))
		return bad_token(tok, "too long");
	snprintf(buf, sizeof(buf), "%s", val);
	for (seg = strtok_r(buf, ";", &save); seg; seg = strtok_r(NULL, ";", &save)) {
		char *colon = strrchr(seg, ':'), *item, *isave;
		unsigned int mask = 0;

		if (!colon)
			return bad_token(tok, "expected sizes:policy, as 16K-64K:always;2M:never");
		*colon = '\0';
		for (item = strtok_r(seg, ",", &isave); item; item = strtok_r(NULL, ",", &isave)) {
			char *dash = strchr(item, '-');
			uint64_t lo, hi;

			if (dash)
				*dash = '\0';
			if (parse_size(item, &lo) || (dash ? parse_size(dash + 1, &hi) : (hi = lo, 0)))
				return bad_token(tok, "not a size (use 16K to 2M)");
			for (unsigned int order = 2; order <= MAX_ANON_ORDER; order++) {
				uint64_t size = (uint64_t)PAGE_SIZE << order;

				if (size >= lo && size <= hi)
					mask |= 1U << order;
			}
			if ((lo & (lo - 1)) || (hi & (hi - 1)) || lo > hi ||
			    lo < (PAGE_SIZE << 2) || hi > (PAGE_SIZE << MAX_ANON_ORDER))
				return bad_token(tok, "sizes must be powers of two from 16K to 2M");
		}
		if (!mask)
			return bad_token(tok, "no size given");
		always &= ~mask;
		madv &= ~mask;
		if (!strcmp(colon + 1, "always") || !strcmp(colon + 1, "inherit"))
			always |= mask;
		else if (!strcmp(colon + 1, "madvise"))
			madv |= mask;
		else if (strcmp(colon + 1, "never"))
			return bad_token(tok, "policy must be always, madvise, inherit or never");
	}
	bp->thp_always = always;
	bp->thp_madvise = madv;
	return 0;
}

/* The thp_anon= setting in a canonical form, "" if the default. */
static void format_thp_anon(char *buf, size_t len, unsigned int always, unsigned int madv)
{
	static const char *const pol[] = { "always", "madvise" };
	const unsigned int masks[] = { always, madv };
	size_t n = 0;

	buf[0] = '\0';
	if (always == THP_ANON_DEFAULT && !madv)
		return;
	n += (size_t)snprintf(buf + n, len - n, " thp_anon=");
	for (int p = 0; p < 2; p++) {
		bool any = false;

		for (unsigned int order = 2; order <= MAX_ANON_ORDER && n < len; order++) {
			if (!(masks[p] & (1U << order)))
				continue;
			n += (size_t)snprintf(buf + n, len - n, "%s%luK", any ? "," : "",
					      (PAGE_SIZE << order) >> 10);
			any = true;
		}
		if (any && n < len)
			n += (size_t)snprintf(buf + n, len - n, ":%s;", pol[p]);
	}
	if (n && n < len && buf[n - 1] == ';')
		buf[n - 1] = '\0';
	if (!always && !madv)
		snprintf(buf, len, " thp_anon=16K-2M:never");
}

static int parse_token(struct boot_params *bp, char *tok)
{
	char *eq = strchr(tok, '=');
	const char *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
	uint64_t v;

#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(tok, k, klen))
	if (KEY("slub_debug") && !val) {	/* bare: full debugging, as Linux */
		snprintf(bp->slub_debug, sizeof(bp->slub_debug), "FZPU");
		return 0;
	}
	if (KEY("nopcp")) {
		if (val)
			return bad_token(tok, "nopcp takes no value");
		bp->nopcp = true;
		return 0;
	}
	if (!val)
		return bad_token(tok, "expected key=value");
	if (KEY("mem")) {
		if (parse_size(val, &v))
			return bad_token(tok, "not a size (use a number with K, M or G)");
		if (v % PAGE_SIZE)
			return bad_token(tok, "not a multiple of the 4K page size");
		if (v < MEM_MIN)
			return bad_token(tok, "below the 4M minimum");
		if (v > MEM_MAX)
			return bad_token(tok, "above the 1T maximum");
		bp->mem = v;
	} else if (KEY("dma_zone")) {
		if (parse_size(val, &v))
			return bad_token(tok, "not a size (use a number with K, M or G)");
		if (v % MAX_BLOCK_BYTES)
			return bad_token(tok, "not a multiple of 4M, the largest buddy block");
		bp->dma_zone = v;
	} else if (KEY("kmalloc_max")) {
		if (parse_size(val, &v))
			return bad_token(tok, "not a size (use a number with K, M or G)");
		if (v < PAGE_SIZE || v > MAX_BLOCK_BYTES)
			return bad_token(tok, "must be between 4K and 4M (an order-10 block)");
		bp->kmalloc_max = v;
	} else if (KEY("slub_debug")) {
		if (strlen(val) >= sizeof(bp->slub_debug))
			return bad_token(tok, "too long");
		if (!slub_debug_valid(val))
			return bad_token(tok, "expected flags from F,Z,P,U,T,A,O and optional ,cache-name");
		snprintf(bp->slub_debug, sizeof(bp->slub_debug), "%s", *val ? val : "FZPU");
	} else if (KEY("min_free_kbytes")) {
		char *end;
		long k;

		errno = 0;
		k = strtol(val, &end, 10);
		if (errno || end == val || *end || k < 0)
			return bad_token(tok, "not a non-negative number of kilobytes");
		bp->min_free_kbytes = k;
	} else if (KEY("vmalloc")) {
		if (parse_size(val, &v))
			return bad_token(tok, "not a size (use a number with K, M or G)");
		if (v % MAX_BLOCK_BYTES)
			return bad_token(tok, "not a multiple of 4M");
		if (v < VMALLOC_MIN || v > MEM_MAX)
			return bad_token(tok, "must be between 4M and 1T");
		bp->vmalloc = v;
	} else if (KEY("thp_anon")) {
		return parse_thp_anon(bp, tok, val);
	} else if (KEY("swap")) {
		const char *why = NULL;

		if (bp->nr_swap == MAX_SWAPFILES)
			return bad_token(tok, "more than 8 swap= devices");
		if (swap_parse_option(val, &bp->swap[bp->nr_swap], &why))
			return bad_token(tok, why);
		for (unsigned int i = 0; i < bp->nr_swap; i++)
			if (!strcmp(bp->swap[i].path, bp->swap[bp->nr_swap].path))
				return bad_token(tok, "the same swap file twice");
		bp->nr_swap++;
	} else if (KEY("cma")) {
		if (parse_size(val, &v))
			return bad_token(tok, "not a size (use a number with K, M or G)");
		if (v % MAX_BLOCK_BYTES)
			return bad_token(tok, "not a multiple of 4M, the largest buddy block");
		bp->cma = v;
	} else {
		fprintf(stderr, "mmkit: unknown boot option '%s'\n", tok);
		return -EINVAL;
	}
#undef KEY
	return 0;
}

static int parse_cmdline(struct boot_params *bp, const char *cmdline)
{
	char buf[sizeof(boot_cmdline)];
	char *save, *tok;

	set_defaults(bp);
	if (!cmdline)
		return 0;
	if (strlen(cmdline) >= sizeof(buf)) {
		fprintf(stderr, "mmkit: boot command line longer than %zu bytes\n",
			sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, cmdline);
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		int err = parse_token(bp, tok);

		if (err)
			return err;
	}
	if (bp->min_free_kbytes >= 0 &&
	    (uint64_t)bp->min_free_kbytes * 1024 >= bp->mem / 2) {
		fprintf(stderr, "mmkit: bad boot option 'min_free_kbytes=%ld': reserves half of mem= or more\n",
			bp->min_free_kbytes);
		return -EINVAL;
	}
	return 0;
}

int mmk_boot(const char *cmdline)
{
	struct boot_params bp;
	char thp[160];
	void *base;
	int err;

	if (machine_booted || atomic_exchange(&boot_in_progress, true)) {
		fprintf(stderr, "mmkit: mmk_boot: the machine is already booted\n");
		return -EBUSY;
	}
	err = parse_cmdline(&bp, cmdline);
	if (err)
		goto out;
	boot_params = bp;
	pcp_disabled = bp.nopcp;
	cpu_lock_biased = arch_heavy_barrier_init();
	mmk_kmalloc_max_size = (size_t)bp.kmalloc_max;

	err = arch_ram_init(bp.mem, MAX_BLOCK_BYTES, &base);
	if (err)
		goto out;
	direct_map_base = base;
	arch_cpus_init(cpu_lock_biased);
	err = free_area_init();
	if (err) {
		arch_ram_exit();
		goto out;
	}
	machine_booted = true;		/* the slab allocator allocates */
	kmem_cache_init();
	dma_debug_init();
	thp_orders_always = bp.thp_always;
	thp_orders_madvise = bp.thp_madvise;
	err = vmalloc_init(bp.vmalloc);
	if (!err)
		err = mm_user_init();
	if (!err)
		err = fault_init();
	if (!err && bp.nr_swap) {
		err = swapon_all(bp.swap, bp.nr_swap);
		if (!err)
			err = kswapd_run();
		if (err) {
			swapoff_all();
			fault_exit();
		}
	}
	if (err) {
		mm_user_exit();
		vmalloc_shutdown();
		machine_booted = false;
		kmem_cache_shutdown_all();
		page_alloc_shutdown();
		arch_ram_exit();
		goto out;
	}
	format_thp_anon(thp, sizeof(thp), bp.thp_always, bp.thp_madvise);
	snprintf(boot_cmdline, sizeof(boot_cmdline),
		 "mem=%lluK dma_zone=%lluK kmalloc_max=%lluK vmalloc=%lluM cma=%lluM min_free_kbytes=%ld%s%s%s%s",
		 (unsigned long long)(bp.mem >> 10),
		 (unsigned long long)(bp.dma_zone >> 10),
		 (unsigned long long)(bp.kmalloc_max >> 10),
		 (unsigned long long)(bp.vmalloc >> 20), (unsigned long long)(bp.cma >> 20),
		 min_free_kbytes,
		 bp.nopcp ? " nopcp" : "", bp.slub_debug[0] ? " slub_debug=" : "",
		 bp.slub_debug, thp);
	for (unsigned int i = 0; i < bp.nr_swap; i++) {
		size_t n = strlen(boot_cmdline);

		if (n + 1 < sizeof(boot_cmdline))
			snprintf(boot_cmdline + n, sizeof(boot_cmdline) - n, " swap=%s:%lluK:%d",
				 swap_info[i]->path, (unsigned long long)(bp.swap[i].size >> 10),
				 swap_info[i]->prio);
	}
	machine_booted = true;
out:
	atomic_store(&boot_in_progress, false);
	return err;
}

void mmk_shutdown(void)
{
	if (!machine_booted) {
		__not_booted("mmk_shutdown");
		return;
	}
	/* As a CPU going offline does, give the per-CPU lists back first. */
	dma_shutdown();
	fault_exit();
	kswapd_stop();
	swap_io_drain();
	mm_user_exit();
	swap_io_drain();
	swapoff_all();
	mmk_drain_all_pages(NULL);
	machine_booted = false;
	vmalloc_shutdown();
	kmem_cache_shutdown_all();
	arch_fast_reset();		/* no fast path may reach the old caches */
	page_alloc_shutdown();
	arch_ram_exit();
	direct_map_base = NULL;
	boot_cmdline[0] = '\0';
}

const char *mmk_boot_cmdline(void)
{
	return boot_cmdline;
}

bool __not_booted(const char *fn)
{
	/* Name the call as the caller wrote it: alloc_pages, not mmk_alloc_pages. */
	if (!strncmp(fn, "mmk_", 4) && strcmp(fn, "mmk_shutdown") && strcmp(fn, "mmk_report") &&
	    strcmp(fn, "mmk_check"))
		fn += 4;
	fprintf(stderr, "mmkit: BUG: %s() called while no machine is booted (call mmk_boot() first)\n",
		fn);
	return true;
}
