// SPDX-License-Identifier: MIT
/*
 * Reports about pages and GFP masks in Linux's shapes: dump_page(),
 * bad_page() ("BUG: Bad page state") and the %pGg rendering of a gfp mask.
 * Pointers print unhashed, as with Linux's no_hash_pointers.
 */
#include <string.h>

#include "internal.h"

static const struct {
	gfp_t mask;
	const char *name;
} gfp_names[] = {
	/* Combinations first, so that 0xcc0 reads GFP_KERNEL, as in Linux. */
	{ GFP_TRANSHUGE, "GFP_TRANSHUGE" },
	{ GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT" },
	{ GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" },
	{ GFP_HIGHUSER, "GFP_HIGHUSER" },
	{ GFP_USER, "GFP_USER" },
	{ GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" },
	{ GFP_KERNEL, "GFP_KERNEL" },
	{ GFP_NOFS, "GFP_NOFS" },
	{ GFP_ATOMIC, "GFP_ATOMIC" },
	{ GFP_NOIO, "GFP_NOIO" },
	{ GFP_NOWAIT, "GFP_NOWAIT" },
	{ GFP_DMA, "GFP_DMA" },
	{ GFP_DMA32, "GFP_DMA32" },
	{ __GFP_RECLAIM, "__GFP_RECLAIM" },
	{ __GFP_DMA, "__GFP_DMA" },
	{ __GFP_HIGHMEM, "__GFP_HIGHMEM" },
	{ __GFP_DMA32, "__GFP_DMA32" },
	{ __GFP_MOVABLE, "__GFP_MOVABLE" },
	{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
	{ __GFP_HIGH, "__GFP_HIGH" },
	{ __GFP_IO, "__GFP_IO" },
	{ __GFP_FS, "__GFP_FS" },
	{ __GFP_ZERO, "__GFP_ZERO" },
	{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
	{ __GFP_WRITE, "__GFP_WRITE" },
	{ __GFP_NOWARN, "__GFP_NOWARN" },
	{ __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
	{ __GFP_NOFAIL, "__GFP_NOFAIL" },
	{ __GFP_NORETRY, "__GFP_NORETRY" },
	{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	{ __GFP_COMP, "__GFP_COMP" },
	{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
	{ __GFP_HARDWALL, "__GFP_HARDWALL" },
	{ __GFP_THISNODE, "__GFP_THISNODE" },
	{ __GFP_ACCOUNT, "__GFP_ACCOUNT" },
	{ __GFP_ZEROTAGS, "__GFP_ZEROTAGS" },
};

const char *format_gfp(gfp_t gfp, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(gfp_names) / sizeof(gfp_names[0]) && gfp; i++) {
		if ((gfp & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		gfp &= ~gfp_names[i].mask;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      gfp_names[i].name, gfp ? "|" : "");
	}
	if (gfp)
		snprintf(buf + n, n < len ? len - n : 0, "%#x", gfp);
	return buf;
}

static const char *const page_state_names[] = {
	[PGS_TAIL] = "none", [PGS_BUDDY] = "buddy",
	[PGS_PCP] = "pcp", [PGS_ALLOC] = "allocated",
};

static const char *const pageflag_names[__NR_PAGEFLAGS] = {
	[PG_reserved] = "reserved", [PG_head] = "head",
	[PG_tail] = "tail", [PG_zero] = "zero", [PG_slab] = "slab",
	[PG_large_kmalloc] = "large_kmalloc", [PG_table] = "table",
	[PG_mlocked] = "mlocked", [PG_locked] = "locked", [PG_lru] = "lru",
	[PG_active] = "active", [PG_unevictable] = "unevictable",
	[PG_swapcache] = "swapcache", [PG_writeback] = "writeback",
	[PG_dirty] = "dirty", [PG_readahead] = "readahead",
	[PG_isolated] = "isolated",
};

void dump_page(const struct page *page, const char *reason)
{
	unsigned long pfn = pfn_of(page);
	char flags[160];
	size_t n = 0;
	const unsigned long *raw = (const unsigned long *)(const void *)page;

	pr_warn("page: refcount:%d mapcount:0 mapping:%016lx index:%#lx pfn:%#lx\n",
		atomic_load(&page->_refcount), (unsigned long)page->mapping,
		page->index, pfn);
	flags[0] = '\0';
	for (int b = 0; b < __NR_PAGEFLAGS; b++)
		if (page->flags & (1UL << b))
			n += (size_t)snprintf(flags + n, sizeof(flags) - n, "%s|",
					      pageflag_names[b]);
	snprintf(flags + n, sizeof(flags) - n, "node=0|zone=%d", page_zonenum(page));
	pr_warn("flags: 0x%lx(%s)\n", page->flags, flags);
	if (page->pg_state != PGS_TAIL)
		pr_warn("page_type: %s order:%u migratetype:%s\n",
			page_state_names[page->pg_state], page->pg_order,
			migratetype_names[get_pageblock_migratetype(pfn)]);
	for (size_t i = 0; i < sizeof(struct page) / sizeof(long); i += 4) {
		char line[80];
		size_t m = 0;

		for (size_t j = i; j < i + 4 && j < sizeof(struct page) / sizeof(long); j++)
			m += (size_t)snprintf(line + m, sizeof(line) - m, "%s%016lx",
					      j > i ? " " : "", raw[j]);
		pr_warn("raw: %s\n", line);
	}
	if (reason)
		pr_warn("page dumped because: %s\n", reason);
}

/* Linux allows a burst of 60 reports a minute, then counts the rest. */
static bool bad_page_ratelimit(void)
{
	static _Atomic uint64_t resume;
	static atomic_ulong nr_shown, nr_unshown;
	uint64_t now = arch_now_ns();

	if (atomic_load(&nr_shown) == 60) {
		if (now < atomic_load(&resume)) {
			atomic_fetch_add(&nr_unshown, 1);
			return false;
		}
		if (atomic_load(&nr_unshown)) {
			pr_alert("BUG: Bad page state: %lu messages suppressed\n",
				 atomic_exchange(&nr_unshown, 0));
		}
		atomic_store(&nr_shown, 0);
	}
	if (atomic_fetch_add(&nr_shown, 1) == 0)
		atomic_store(&resume, now + 60000000000ull);
	return true;
}

void bad_page(const struct page *page, const char *reason)
{
	if (!bad_page_ratelimit())
		return;
	pr_alert("BUG: Bad page state in process %s  pfn:%05lx\n",
		 arch_current_comm(), pfn_of(page));
	dump_page(page, reason);
	arch_dump_stack();
	pr_alert("mmkit: the operation was refused; the allocator is unchanged\n");
}
