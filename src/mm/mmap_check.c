// SPDX-License-Identifier: MIT
/*
 * The invariant checker of the user address space, run by mmk_check().
 *
 * It proves five things about the simulated process, each by walking the
 * structure itself rather than trusting a counter:
 *
 * 1. The VMAs. The list (mm->mmap, vm_next) and the red-black tree hold
 *    the same VMAs in the same order, map_count of them; the tree is a
 *    valid red-black tree whose every node's rb_subtree_gap is the largest
 *    of its own gap (vm_start minus the previous VMA's end, or minus
 *    user_lo for the first) and its children's; VMAs are non-empty, page
 *    aligned, inside [user_lo, user_hi), sorted and apart; vm_prev is the
 *    list's previous VMA; two VMAs that touch have different flags (equal
 *    ones are merged by every system call). total_vm, locked_vm, data_vm
 *    (private writable) and committed are the sums of the VMAs they count,
 *    and Committed_AS is this mm's (it is the only one).
 *
 * 2. The page tables. A walk of all four levels from mm->pgd: every table
 *    is an allocated order-0 frame with PG_table; every upper entry is a
 *    table's pfn with exactly _PAGE_TABLE and covers part of the user
 *    range; every PTE table serves a VMA (free_pgtables() frees the rest);
 *    every non-zero PTE is inside a VMA. A present one does not exceed
 *    its VMA's permissions (no _PAGE_RW without VM_WRITE; PROT_NONE VMAs
 *    hold only _PAGE_PROTNONE PTEs, the others only _PAGE_PRESENT ones).
 *    A zero PTE is special, names zero_pfn and is never writable; any
 *    other present PTE names an allocated order-0 frame, anonymous, of
 *    this mm, whose index is the PTE's virtual page, PG_mlocked exactly
 *    when its VMA is VM_LOCKED, with one reference (the swap cache takes
 *    none of its own: swap.h). The index also proves that no frame sits
 *    under two PTEs: a frame has one index, so of two PTEs naming it at
 *    most one can match (the report names both addresses). The frame's reclaim
 *    state (swap.h): on an LRU list (PG_lru) unless under writeback, on
 *    the unevictable one exactly when mlocked; in the swap cache, its
 *    private is a swap entry naming a slot of a swap device whose count
 *    has SWAP_HAS_CACHE. The tables counted equal NR_PAGETABLE (all of
 *    them) and VmPTE (all but the PGD, as Linux's mm_pgtables_bytes());
 *    the frames equal RssAnon and NR_ANON_MAPPED; the zero PTEs
 *    nr_zero_ptes; the mlocked frames NR_MLOCK.
 *
 * 3. Swap. A PTE that is neither none nor present is a swap PTE: it holds
 *    exactly the bits of a swap entry (type and offset, nothing else) and
 *    lies inside a VMA (of any protection: mprotect keeps swap entries).
 *    Each one is handed to swapfile.c's checker (swap_check_begin(), then
 *    swap_check_pte() per swap PTE, then swap_check_end()), which counts
 *    the references each slot receives and then proves that every used
 *    slot is referenced exactly as its swap count says, and checks the
 *    swap cache, the clusters and the free slot counters; the swap PTEs
 *    counted equal swapents (VmSwap). swap_check_begin() is called before
 *    mmap_lock is taken (should it allocate, the allocation may reclaim,
 *    and reclaim takes mmap_lock); the devices never change after boot. vmscan.c's lru_check() then checks
 *    the LRU lists against the page flags and the node counters. If the
 *    swap checker cannot start (no memory for its counts), the checker
 *    says that the slots were not checked, as for the host mirror below.
 *
 * 4. The zero page and the fault reserve: allocated order-0 frames, no
 *    table, no owner, all 4096 bytes zero.
 *
 * 5. The host mirror (DESIGN.md rule 3), from the host's own list of its
 *    mappings in the user range: a mapping of RAM lets each page reach
 *    only the frame its PTE names (pfn == offset >> PAGE_SHIFT), with
 *    write access only under a writable PTE and any access only under an
 *    accessible, young one (the accessed-bit emulation: a PTE whose
 *    _PAGE_ACCESSED reclaim cleared must fault at the next touch); no
 *    access at all under a swap PTE; a readable anonymous mapping (the
 *    host's zero page standing in for ours) lies only over young
 *    read-only zero PTEs; inaccessible anonymous memory (the reservation)
 *    may lie anywhere; nothing else may be mapped there, and no part may
 *    be unmapped (the reservation covers the whole range). The host may
 *    allow less than a PTE (a page not yet mirrored, a page it dropped,
 *    a page reclaim made old): that is not reported.
 *    A RAM mapping without access over a page with no PTE or a swap PTE
 *    is not reported either: it reaches nothing. If the host's list
 *    cannot be read, the checker says that the mirror was not checked
 *    (not a problem of the address space: the tests of the checker itself
 *    catch it).
 *
 * Locking: the swap I/O in flight is waited for first (swap_io_drain()),
 * so that pages under writeback are few. Then mmap_lock is taken for
 * writing, with the host's asynchronous signals blocked as the system
 * calls do. Faults take it for reading and update the counters after they
 * release the PTE lock, so a read lock would let another thread's fault
 * show half done; reclaim takes it for reading before it isolates pages
 * and keeps it until they are unmapped, so no mapped page is isolated
 * while the checker runs. The write lock makes the picture exact. The
 * fault reserve, refilled outside mmap_lock, is read under its own lock;
 * the swap counts under each device's si->lock (swapfile.c).
 *
 * Each problem is one line, "mmk_check: mm: <what> at <address>"; at most
 * MAX_SHOWN lines a category are printed, every problem is counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "mmap.h"
#include "swap.h"
#include "vmstat.h"

#define MAX_SHOWN	20	/* lines printed per category */

enum { CAT_VMA, CAT_ACCT, CAT_TABLE, CAT_PTE, CAT_PAGE, CAT_SWAP, CAT_ZERO, CAT_HOST,
       NR_CATS };
static const char *const cat_names[NR_CATS] = {
	"VMA", "accounting", "page-table", "PTE", "page-state", "swap", "zero-page",
	"host-mirror",
};

struct mm_checker {
	FILE *out;
	struct mm_struct *mm;
	long problems;
	long count[NR_CATS];
	/* The VMA list can be walked (it ends) and used to find VMAs. */
	bool list_ok;
	struct vm_area_struct *cursor;	/* page-table walk's VMA cursor */
	/* What the page-table walk found. */
	unsigned long tables, frames, zeros, mlocked, swap_ptes;
	/* swap_check_begin() succeeded: hand it every swap PTE. */
	bool swap_checking;
	/* The host walk: mappings seen anywhere, the end of the user range
	 * covered so far. */
	unsigned long host_maps, host_next;
};

__attribute__((format(printf, 3, 4)))
static void problem(struct mm_checker *c, int cat, const char *fmt, ...)
{
	va_list ap;

	if (c->out && c->count[cat] < MAX_SHOWN) {
		fputs("mmk_check: mm: ", c->out);
		va_start(ap, fmt);
		vfprintf(c->out, fmt, ap);
		va_end(ap);
		fputc('\n', c->out);
	}
	c->count[cat]++;
	c->problems++;
}

static inline struct vm_area_struct *rb_vma(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* ---- 1. The VMAs ------------------------------------------------------------ */

/* One VMA against its list predecessor @prev. */
static void check_one_vma(struct mm_checker *c, const struct vm_area_struct *vma,
			  const struct vm_area_struct *prev)
{
	struct mm_struct *mm = c->mm;

	if (vma->vm_prev != prev)
		problem(c, CAT_VMA, "VMA %#lx-%#lx has vm_prev %p, the list says %p at %#lx",
			vma->vm_start, vma->vm_end, (void *)vma->vm_prev, (void *)prev,
			vma->vm_start);
	if (vma->vm_mm != mm)
		problem(c, CAT_VMA, "VMA %#lx-%#lx belongs to mm %p, not %p at %#lx",
			vma->vm_start, vma->vm_end, (void *)vma->vm_mm, (void *)mm, vma->vm_start);
	if (vma->vm_start >= vma->vm_end || ((vma->vm_start | vma->vm_end) & ~PAGE_MASK))
		problem(c, CAT_VMA, "VMA %#lx-%#lx is empty or not page aligned at %#lx",
			vma->vm_start, vma->vm_end, vma->vm_start);
	if (vma->vm_start < mm->user_lo || vma->vm_end > mm->user_hi)
		problem(c, CAT_VMA, "VMA %#lx-%#lx lies outside the user range %#lx-%#lx at %#lx",
			vma->vm_start, vma->vm_end, mm->user_lo, mm->user_hi, vma->vm_start);
	if (!prev)
		return;
	if (vma->vm_start < prev->vm_end)
		problem(c, CAT_VMA, "VMA %#lx-%#lx overlaps or precedes the one before it (%#lx-%#lx) at %#lx",
			vma->vm_start, vma->vm_end, prev->vm_start, prev->vm_end, vma->vm_start);
	else if (vma->vm_start == prev->vm_end && vma->vm_flags == prev->vm_flags)
		problem(c, CAT_VMA, "VMAs %#lx-%#lx and %#lx-%#lx touch with equal flags %#lx (not merged) at %#lx",
			prev->vm_start, prev->vm_end, vma->vm_start, vma->vm_end, vma->vm_flags,
			vma->vm_start);
}

/* rb_subtree_gap of every node, in tree order (the tree is valid). */
static void check_gaps(struct mm_checker *c)
{
	struct mm_struct *mm = c->mm;
	const struct vm_area_struct *prev = NULL;

	for (struct rb_node *n = rb_first(&mm->mm_rb); n; n = rb_next(n)) {
		struct vm_area_struct *vma = rb_vma(n);
		unsigned long want = vma->vm_start - (prev ? prev->vm_end : mm->user_lo);

		if (n->rb_left && rb_vma(n->rb_left)->rb_subtree_gap > want)
			want = rb_vma(n->rb_left)->rb_subtree_gap;
		if (n->rb_right && rb_vma(n->rb_right)->rb_subtree_gap > want)
			want = rb_vma(n->rb_right)->rb_subtree_gap;
		if (vma->rb_subtree_gap != want)
			problem(c, CAT_VMA, "VMA %#lx-%#lx has rb_subtree_gap %#lx, its subtree's largest gap is %#lx at %#lx",
				vma->vm_start, vma->vm_end, vma->rb_subtree_gap, want, vma->vm_start);
		prev = vma;
	}
}

static void check_vmas(struct mm_checker *c)
{
	struct mm_struct *mm = c->mm;
	unsigned long total = 0, locked = 0, data = 0, account = 0;
	long nodes = rb_validate(&mm->mm_rb), len = 0, limit;
	struct vm_area_struct *vma, *prev = NULL;
	struct rb_node *n = NULL;
	bool agree = nodes >= 0;

	if (nodes < 0)
		problem(c, CAT_VMA, "the VMA tree is not a valid red-black tree at %#lx", mm->user_lo);
	else if (nodes != mm->map_count)
		problem(c, CAT_VMA, "map_count is %d but the VMA tree holds %ld VMAs at %#lx",
			mm->map_count, nodes, mm->user_lo);
	if (agree)
		n = rb_first(&mm->mm_rb);
	/* A list longer than both counts has a cycle: stop there. */
	limit = (nodes > mm->map_count ? nodes : mm->map_count) + 1;
	c->list_ok = true;
	for (vma = mm->mmap; vma; prev = vma, vma = vma->vm_next) {
		if (++len > limit) {
			problem(c, CAT_VMA, "the VMA list does not end (a cycle?) at %#lx",
				vma->vm_start);
			c->list_ok = false;
			break;
		}
		if (agree && rb_vma(n) != vma) {
			problem(c, CAT_VMA, "the VMA list and tree disagree: the list has %#lx-%#lx, the tree %s at %#lx",
				vma->vm_start, vma->vm_end, n ? "another VMA" : "nothing more",
				vma->vm_start);
			agree = false;
		}
		if (agree)
			n = rb_next(n);
		check_one_vma(c, vma, prev);
		total += vma_pages(vma);
		if (vma->vm_flags & VM_LOCKED)
			locked += vma_pages(vma);
		if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			data += vma_pages(vma);
		if (vma->vm_flags & VM_ACCOUNT)
			account += vma_pages(vma);
	}
	if (agree && n)
		problem(c, CAT_VMA, "the VMA tree holds %#lx-%#lx past the end of the list at %#lx",
			rb_vma(n)->vm_start, rb_vma(n)->vm_end, rb_vma(n)->vm_start);
	if (c->list_ok && len != mm->map_count)
		problem(c, CAT_VMA, "map_count is %d but the VMA list holds %ld VMAs at %#lx",
			mm->map_count, len, mm->user_lo);
	if (nodes >= 0)
		check_gaps(c);

	if (!c->list_ok)
		return;		/* the sums would be meaningless */
	if (mm->total_vm != total)
		problem(c, CAT_ACCT, "total_vm (VmSize) is %lu pages but the VMAs hold %lu at %#lx",
			mm->total_vm, total, mm->user_lo);
	if (mm->hiwater_vm < mm->total_vm)
		problem(c, CAT_ACCT, "hiwater_vm (VmPeak) %lu is below total_vm %lu at %#lx",
			mm->hiwater_vm, mm->total_vm, mm->user_lo);
	if (mm->locked_vm != locked)
		problem(c, CAT_ACCT, "locked_vm (VmLck) is %lu pages but VM_LOCKED VMAs hold %lu at %#lx",
			mm->locked_vm, locked, mm->user_lo);
	if (mm->data_vm != data)
		problem(c, CAT_ACCT, "data_vm (VmData) is %lu pages but private writable VMAs hold %lu at %#lx",
			mm->data_vm, data, mm->user_lo);
	if (mm->committed != account)
		problem(c, CAT_ACCT, "committed is %lu pages but VM_ACCOUNT VMAs hold %lu at %#lx",
			mm->committed, account, mm->user_lo);
	if ((unsigned long)atomic_load(&vm_committed_as) != mm->committed)
		problem(c, CAT_ACCT, "Committed_AS is %ld pages but the only mm commits %lu at %#lx",
			atomic_load(&vm_committed_as), mm->committed, mm->user_lo);
	if (mm->start_brk > mm->brk || mm->start_brk < mm->user_lo || mm->brk > mm->user_hi)
		problem(c, CAT_ACCT, "the heap %#lx-%#lx is reversed or outside the user range at %#lx",
			mm->start_brk, mm->brk, mm->start_brk);
}

/* ---- 2. The page tables ------------------------------------------------------ */

/* The first VMA ending above @addr, moving forward only (address order). */
static struct vm_area_struct *vma_from(struct mm_checker *c, unsigned long addr)
{
	while (c->cursor && c->cursor->vm_end <= addr)
		c->cursor = c->cursor->vm_next;
	return c->cursor;
}

static struct vm_area_struct *vma_at(struct mm_checker *c, unsigned long addr)
{
	struct vm_area_struct *vma = vma_from(c, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

static const unsigned int level_shift[4] = { PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT, PAGE_SHIFT };
static const char *const level_name[4] = { "PGD", "PUD", "PMD", "PTE" };

static inline pteval_t entry_read(const pteval_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/* The PTE for @addr, 0 if none; tolerates tables naming no frame. */
static pteval_t lookup_pte(struct mm_struct *mm, unsigned long addr)
{
	unsigned long pfn = mm->pgd;

	for (int l = 0; l < 4; l++) {
		pteval_t e;

		if (pfn >= max_pfn)
			return 0;
		e = entry_read((pteval_t *)pfn_to_virt(pfn) +
			       ((addr >> level_shift[l]) & (PTRS_PER_TABLE - 1)));
		if (l == 3 || !e)
			return e;
		pfn = pte_pfn(e);
	}
	return 0;
}

/* Is @pfn a page-table page? Reports what is wrong with it. */
static bool check_table_page(struct mm_checker *c, unsigned long pfn, int level,
			     unsigned long addr)
{
	struct page *page;

	if (pfn >= max_pfn) {
		problem(c, CAT_TABLE, "the %s table for %#lx is pfn %#lx, beyond RAM (%#lx frames) at %#lx",
			level_name[level], addr, pfn, max_pfn, addr);
		return false;
	}
	page = page_of(pfn);
	if (page->pg_state != PGS_ALLOC || page->pg_order != 0)
		problem(c, CAT_TABLE, "the %s table at pfn %#lx is not an allocated order-0 page (state %u order %u) at %#lx",
			level_name[level], pfn, page->pg_state, page->pg_order, addr);
	if (!PageFlag(page, PG_table))
		problem(c, CAT_TABLE, "the %s table at pfn %#lx lacks PG_table at %#lx",
			level_name[level], pfn, addr);
	return true;
}

static bool is_zero_pte(pteval_t pte)
{
	return pte_present(pte) && pte_special(pte) && pte_pfn(pte) == zero_pfn;
}

/* The slot a swap cache page stands for: a valid entry with the cache bit. */
static void check_swapcache_entry(struct mm_checker *c, const struct page *page,
				  unsigned long pfn, unsigned long addr)
{
	swp_entry_t entry = { page->private };
	unsigned int type = swp_type(entry);
	unsigned long offset = swp_offset(entry);
	struct swap_info_struct *si = NULL;
	unsigned char count;

	if (type < __atomic_load_n(&nr_swapfiles, __ATOMIC_ACQUIRE) && type < MAX_SWAPFILES)
		si = __atomic_load_n(&swap_info[type], __ATOMIC_ACQUIRE);
	if (!si || !si->swap_map || offset == 0 || offset >= si->max) {
		problem(c, CAT_PAGE, "frame %#lx is in the swap cache with private %#lx, which names no slot (type %u offset %#lx) at %#lx",
			pfn, page->private, type, offset, addr);
		return;
	}
	count = swap_count(entry);
	if (!(count & SWAP_HAS_CACHE))
		problem(c, CAT_PAGE, "frame %#lx is in the swap cache for slot %u:%#lx, whose swap count %#x lacks SWAP_HAS_CACHE at %#lx",
			pfn, type, offset, count, addr);
}

/*
 * A mapped frame's reclaim state: on an LRU list unless the I/O has it,
 * on the unevictable list exactly when mlocked, and a swap cache page
 * stands for a slot that knows it.
 */
static void check_page_state(struct mm_checker *c, struct page *page, unsigned long pfn,
			     unsigned long addr)
{
	bool lru = PageFlag(page, PG_lru), mlocked = PageFlag(page, PG_mlocked);

	if (!lru && !PageFlag(page, PG_writeback))
		problem(c, CAT_PAGE, "frame %#lx is on no LRU list (PG_lru clear) and not under writeback at %#lx",
			pfn, addr);
	if (lru && PageFlag(page, PG_unevictable) != mlocked)
		problem(c, CAT_PAGE, "frame %#lx is %s the unevictable list but %smlocked at %#lx",
			pfn, mlocked ? "not on" : "on", mlocked ? "" : "not ", addr);
	if (PageFlag(page, PG_swapcache))
		check_swapcache_entry(c, page, pfn, addr);
}

/* A frame under the PTE @pte at @addr, in @vma (NULL: none). */
static void check_frame(struct mm_checker *c, struct vm_area_struct *vma,
			unsigned long addr, pteval_t pte)
{
	struct mm_struct *mm = c->mm;
	unsigned long pfn = pte_pfn(pte);
	void *anon = (void *)((uintptr_t)mm | PAGE_MAPPING_ANON);
	struct page *page;
	bool mlocked;

	if (pfn >= max_pfn) {
		problem(c, CAT_PTE, "PTE %#llx names pfn %#lx, beyond RAM at %#lx",
			(unsigned long long)pte, pfn, addr);
		return;
	}
	c->frames++;
	page = page_of(pfn);
	if (page->pg_state != PGS_ALLOC || page->pg_order != 0 ||
	    atomic_load(&page->_refcount) != 1)
		problem(c, CAT_PTE, "frame %#lx is not an allocated order-0 page with one reference (state %u order %u refcount %d) at %#lx",
			pfn, page->pg_state, page->pg_order, atomic_load(&page->_refcount), addr);
	if (PageFlag(page, PG_table) || PageReserved(page))
		problem(c, CAT_PTE, "frame %#lx is a %s, mapped as user memory at %#lx", pfn,
			PageReserved(page) ? "reserved frame" : "page table", addr);
	if (page->mapping != anon)
		problem(c, CAT_PTE, "frame %#lx has mapping %p, not this mm's %p at %#lx",
			pfn, page->mapping, anon, addr);
	if (page->index != addr >> PAGE_SHIFT) {
		unsigned long other = page->index << PAGE_SHIFT;

		if (other >= mm->user_lo && other < mm->user_hi &&
		    pte_present(lookup_pte(mm, other)) && pte_pfn(lookup_pte(mm, other)) == pfn)
			problem(c, CAT_PTE, "frame %#lx is mapped twice, at %#lx and at %#lx",
				pfn, other, addr);
		else
			problem(c, CAT_PTE, "frame %#lx has index %#lx (address %#lx), mapped at %#lx",
				pfn, page->index, other, addr);
	}
	mlocked = PageFlag(page, PG_mlocked);
	c->mlocked += mlocked;
	if (vma && mlocked != !!(vma->vm_flags & VM_LOCKED))
		problem(c, CAT_PTE, "frame %#lx is %smlocked in a VMA %s VM_LOCKED (%#lx-%#lx) at %#lx",
			pfn, mlocked ? "" : "not ", mlocked ? "without" : "with",
			vma->vm_start, vma->vm_end, addr);
	check_page_state(c, page, pfn, addr);
}

/* A PTE neither none nor present: a swap entry, in @vma (NULL: none). */
static void check_swap_pte(struct mm_checker *c, struct vm_area_struct *vma,
			   unsigned long addr, pteval_t pte)
{
	swp_entry_t entry = pte_to_swp_entry(pte);

	c->swap_ptes++;
	if (swp_entry_to_pte(entry) != pte)
		problem(c, CAT_SWAP, "swap PTE %#llx has bits that no swap entry sets (%#llx) at %#lx",
			(unsigned long long)pte,
			(unsigned long long)(pte ^ swp_entry_to_pte(entry)), addr);
	if (c->list_ok && !vma)
		problem(c, CAT_SWAP, "swap PTE %#llx outside every VMA at %#lx",
			(unsigned long long)pte, addr);
	if (c->swap_checking && !swap_check_pte(entry))
		problem(c, CAT_SWAP, "swap PTE %#llx names no used slot at %#lx",
			(unsigned long long)pte, addr);
}

static void check_pte(struct mm_checker *c, unsigned long addr, pteval_t pte)
{
	struct vm_area_struct *vma = c->list_ok ? vma_at(c, addr) : NULL;

	if (!pte_present(pte)) {
		check_swap_pte(c, vma, addr, pte);
		return;
	}
	if (c->list_ok && !vma)
		problem(c, CAT_PTE, "present PTE %#llx outside every VMA at %#lx",
			(unsigned long long)pte, addr);
	if (vma) {
		if (!(vma->vm_flags & VM_ACCESS_FLAGS)) {
			if ((pte & _PAGE_PRESENT) || !(pte & _PAGE_PROTNONE))
				problem(c, CAT_PTE, "PTE %#llx in a PROT_NONE VMA (%#lx-%#lx) is accessible at %#lx",
					(unsigned long long)pte, vma->vm_start, vma->vm_end, addr);
		} else if (!(pte & _PAGE_PRESENT) || (pte & _PAGE_PROTNONE)) {
			problem(c, CAT_PTE, "PTE %#llx is PROT_NONE in an accessible VMA (%#lx-%#lx) at %#lx",
				(unsigned long long)pte, vma->vm_start, vma->vm_end, addr);
		}
		if (pte_write(pte) && !(vma->vm_flags & VM_WRITE))
			problem(c, CAT_PTE, "PTE %#llx is writable in a VMA without VM_WRITE (%#lx-%#lx) at %#lx",
				(unsigned long long)pte, vma->vm_start, vma->vm_end, addr);
	}
	if (pte_special(pte) || pte_pfn(pte) == zero_pfn) {
		c->zeros++;
		if (!pte_special(pte))
			problem(c, CAT_PTE, "the zero page is mapped as an ordinary frame (PTE %#llx) at %#lx",
				(unsigned long long)pte, addr);
		else if (pte_pfn(pte) != zero_pfn)
			problem(c, CAT_PTE, "special PTE %#llx names pfn %#lx, not the zero page %#lx at %#lx",
				(unsigned long long)pte, pte_pfn(pte), zero_pfn, addr);
		if (pte_write(pte))
			problem(c, CAT_PTE, "zero PTE %#llx is writable at %#lx",
				(unsigned long long)pte, addr);
		return;
	}
	check_frame(c, vma, addr, pte);
}

/* The table at @pfn, of @level, covering from @base. */
static void walk_table(struct mm_checker *c, unsigned long pfn, int level, unsigned long base)
{
	struct mm_struct *mm = c->mm;
	const pteval_t *tbl = pfn_to_virt(pfn);
	unsigned int shift = level_shift[level];

	for (unsigned long i = 0; i < PTRS_PER_TABLE; i++) {
		pteval_t e = entry_read(&tbl[i]);
		unsigned long addr = base + (i << shift), end = addr + (1UL << shift);
		unsigned long child;

		if (!e)
			continue;
		if (level == 3) {
			check_pte(c, addr, e);
			continue;
		}
		if (end <= mm->user_lo || addr >= mm->user_hi)
			problem(c, CAT_TABLE, "a %s entry covers %#lx-%#lx, outside the user range at %#lx",
				level_name[level], addr, end, addr);
		if ((e & ~_PAGE_PFN_MASK) != _PAGE_TABLE)
			problem(c, CAT_TABLE, "%s entry %#llx has flags %#llx, not _PAGE_TABLE at %#lx",
				level_name[level], (unsigned long long)e,
				(unsigned long long)(e & ~_PAGE_PFN_MASK), addr);
		child = pte_pfn(e);
		if (!check_table_page(c, child, level + 1, addr))
			continue;
		c->tables++;
		if (level + 1 == 3 && c->list_ok) {
			struct vm_area_struct *vma = vma_from(c, addr);

			if (!vma || vma->vm_start >= end)
				problem(c, CAT_TABLE, "the PTE table at pfn %#lx for %#lx-%#lx serves no VMA at %#lx",
					child, addr, end, addr);
		}
		walk_table(c, child, level + 1, addr);
	}
}

static void check_page_tables(struct mm_checker *c)
{
	struct mm_struct *mm = c->mm;
	unsigned long frames, pt_pages;
	long rss, zeros, swapents, bytes;

	c->cursor = c->list_ok ? mm->mmap : NULL;
	if (!check_table_page(c, mm->pgd, 0, mm->user_lo))
		return;
	c->tables = 1;
	walk_table(c, mm->pgd, 0, 0);

	rss = atomic_load(&mm->rss_anon);
	zeros = atomic_load(&mm->nr_zero_ptes);
	swapents = atomic_load(&mm->swapents);
	bytes = atomic_load(&mm->pgtables_bytes);
	frames = global_node_page_state(NR_ANON_MAPPED);
	pt_pages = global_node_page_state(NR_PAGETABLE);
	if (rss < 0 || (unsigned long)rss != c->frames)
		problem(c, CAT_TABLE, "RssAnon is %ld pages but the page tables map %lu frames at %#lx",
			rss, c->frames, mm->user_lo);
	if (frames != c->frames)
		problem(c, CAT_TABLE, "NR_ANON_MAPPED (AnonPages) is %lu but the page tables map %lu frames at %#lx",
			frames, c->frames, mm->user_lo);
	if (zeros < 0 || (unsigned long)zeros != c->zeros)
		problem(c, CAT_TABLE, "nr_zero_ptes is %ld but the page tables hold %lu zero PTEs at %#lx",
			zeros, c->zeros, mm->user_lo);
	if (swapents < 0 || (unsigned long)swapents != c->swap_ptes)
		problem(c, CAT_TABLE, "swapents (VmSwap) is %ld but the page tables hold %lu swap PTEs at %#lx",
			swapents, c->swap_ptes, mm->user_lo);
	if (global_zone_page_state(NR_MLOCK) != c->mlocked)
		problem(c, CAT_TABLE, "NR_MLOCK (Mlocked) is %lu but %lu mapped frames are PG_mlocked at %#lx",
			global_zone_page_state(NR_MLOCK), c->mlocked, mm->user_lo);
	if (pt_pages != c->tables)
		problem(c, CAT_TABLE, "NR_PAGETABLE (PageTables) is %lu but the walk found %lu tables at %#lx",
			pt_pages, c->tables, mm->user_lo);
	if (bytes < 0 || (unsigned long)bytes != (c->tables - 1) * PAGE_SIZE)
		problem(c, CAT_TABLE, "pgtables_bytes (VmPTE) is %ld but the %lu tables below the PGD hold %lu at %#lx",
			bytes, c->tables - 1, (c->tables - 1) * PAGE_SIZE, mm->user_lo);
	if (atomic_load(&mm->hiwater_rss) < rss)
		problem(c, CAT_TABLE, "hiwater_rss (VmHWM) %ld is below RssAnon %ld at %#lx",
			atomic_load(&mm->hiwater_rss), rss, mm->user_lo);
}

/* ---- 3. The zero page and the fault reserve ------------------------------------ */

static bool frame_is_zero(unsigned long pfn)
{
	const unsigned long *w = pfn_to_virt(pfn);

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* A frame that nobody maps or tables: the zero page, a reserve frame. */
static void check_spare_frame(struct mm_checker *c, unsigned long pfn, const char *what)
{
	struct page *page;

	if (pfn >= max_pfn) {
		problem(c, CAT_ZERO, "%s is pfn %#lx, beyond RAM at %#lx", what, pfn,
			(unsigned long)pfn_to_virt(pfn));
		return;
	}
	page = page_of(pfn);
	if (page->pg_state != PGS_ALLOC || page->pg_order != 0)
		problem(c, CAT_ZERO, "%s (pfn %#lx) is not an allocated order-0 page (state %u order %u) at %#lx",
			what, pfn, page->pg_state, page->pg_order, (unsigned long)pfn_to_virt(pfn));
	if (PageFlag(page, PG_table) || page->mapping)
		problem(c, CAT_ZERO, "%s (pfn %#lx) is in use as %s at %#lx", what, pfn,
			PageFlag(page, PG_table) ? "a page table" : "user memory",
			(unsigned long)pfn_to_virt(pfn));
	if (!frame_is_zero(pfn))
		problem(c, CAT_ZERO, "%s is not all zeros (pfn %#lx) at %#lx", what, pfn,
			(unsigned long)pfn_to_virt(pfn));
}

static void check_spare_frames(struct mm_checker *c)
{
	struct mm_struct *mm = c->mm;

	check_spare_frame(c, zero_pfn, "the zero page");
	spin_lock(&mm->reserve_lock);
	if (mm->nr_reserve > FAULT_RESERVE_MAX)
		problem(c, CAT_ZERO, "the fault reserve holds %u frames, more than %d at %#lx",
			mm->nr_reserve, FAULT_RESERVE_MAX, mm->user_lo);
	for (unsigned int i = 0; i < mm->nr_reserve && i < FAULT_RESERVE_MAX; i++)
		check_spare_frame(c, mm->reserve[i], "a fault-reserve frame");
	spin_unlock(&mm->reserve_lock);
}

/* ---- 4. The host mirror ------------------------------------------------------- */

/*
 * Every byte of the user range is mapped in the host, if only by the
 * inaccessible reservation: the mirror only ever replaces a part of it
 * (MAP_FIXED) or changes its protection. A hole is a part the host gave
 * back, where any host mmap() could place something of its own.
 */
static void host_hole(struct mm_checker *c, unsigned long start, unsigned long end)
{
	problem(c, CAT_HOST, "the host has nothing mapped over %#lx-%#lx (a hole in the user range's reservation) at %#lx",
		start, end, start);
}

static void check_host_mapping(uint64_t start, uint64_t end, int prot,
			       enum arch_mapping_kind kind, uint64_t phys, void *ctx)
{
	struct mm_checker *c = ctx;
	struct mm_struct *mm = c->mm;
	unsigned long s = start > mm->user_lo ? start : mm->user_lo;
	unsigned long e = end < mm->user_hi ? end : mm->user_hi;

	c->host_maps++;
	if (s >= e)
		return;
	if (s > c->host_next)
		host_hole(c, c->host_next, s);
	if (e > c->host_next)
		c->host_next = e;
	phys += s - start;
	switch (kind) {
	case ARCH_MAPPING_OTHER:
		problem(c, CAT_HOST, "the host maps something that is neither RAM nor anonymous memory over %#lx-%#lx at %#lx",
			s, e, s);
		return;
	case ARCH_MAPPING_ANON:
		if (!prot)
			return;		/* the reservation: reaches nothing */
		if (prot & ARCH_PROT_WRITE)
			problem(c, CAT_HOST, "host anonymous memory %#lx-%#lx is writable at %#lx",
				s, e, s);
		for (unsigned long a = s; a < e; a += PAGE_SIZE) {
			pteval_t pte = lookup_pte(mm, a);

			if (!is_zero_pte(pte) || !(pte & _PAGE_PRESENT))
				problem(c, CAT_HOST, "the host reads zeros (its zero page) where the PTE is %#llx, not a readable zero PTE, at %#lx",
					(unsigned long long)pte, a);
			else if (!(pte & _PAGE_ACCESSED))
				problem(c, CAT_HOST, "the host allows access where the PTE %#llx is not young at %#lx",
					(unsigned long long)pte, a);
		}
		return;
	case ARCH_MAPPING_RAM:
		for (unsigned long a = s; a < e; a += PAGE_SIZE) {
			pteval_t pte = lookup_pte(mm, a);
			unsigned long pfn = (unsigned long)((phys + (a - s)) >> PAGE_SHIFT);

			if (!pte_present(pte)) {
				if (prot && !pte)
					problem(c, CAT_HOST, "the host maps frame %#lx where there is no PTE at %#lx",
						pfn, a);
				else if (prot)
					problem(c, CAT_HOST, "the host maps frame %#lx where the PTE %#llx is a swap entry at %#lx",
						pfn, (unsigned long long)pte, a);
			} else if (pte_pfn(pte) != pfn) {
				problem(c, CAT_HOST, "the host maps frame %#lx where the PTE names %#lx at %#lx",
					pfn, pte_pfn(pte), a);
			} else if (prot && !(pte & _PAGE_PRESENT)) {
				problem(c, CAT_HOST, "the host allows access where the PTE %#llx is PROT_NONE at %#lx",
					(unsigned long long)pte, a);
			} else if (prot && !(pte & _PAGE_ACCESSED)) {
				problem(c, CAT_HOST, "the host allows access where the PTE %#llx is not young at %#lx",
					(unsigned long long)pte, a);
			} else if ((prot & ARCH_PROT_WRITE) && !pte_write(pte)) {
				problem(c, CAT_HOST, "the host allows writes where the PTE %#llx is read-only at %#lx",
					(unsigned long long)pte, a);
			}
		}
		return;
	}
}

/* ---- The entry ------------------------------------------------------------------- */

long mm_check(FILE *out)
{
	struct mm_struct *mm = __atomic_load_n(&current_mm, __ATOMIC_ACQUIRE);
	struct mm_checker c = { .out = out, .mm = mm };
	int err;

	if (!mm)
		return 0;
	swap_io_drain();
	/* Before mmap_lock: an allocation there may reclaim, which takes it. */
	err = swap_check_begin();
	c.swap_checking = !err;
	if (err && out)
		fprintf(out, "mmk_check: mm: the swap slots were not checked: their checker could not start (error %d)\n",
			-err);
	arch_signals_block();
	down_write(&mm->mmap_lock);
	check_vmas(&c);
	check_page_tables(&c);
	if (c.swap_checking)
		c.problems += swap_check_end(out);
	c.problems += lru_check(out);
	check_spare_frames(&c);
	/* The whole address space, so that a host list that reads as empty
	 * (no program text, no stack: unreadable) can be told apart from a
	 * user range with nothing mapped. */
	c.host_next = mm->user_lo;
	err = arch_walk_host_mappings(0, UINT64_MAX, check_host_mapping, &c);
	if (!err && !c.host_maps)
		err = -ENOENT;
	if (err && out)
		fprintf(out, "mmk_check: mm: the host mirror was not checked: the host's list of its mappings reads as empty or cannot be read (error %d)\n",
			-err);
	else if (!err && c.host_next < mm->user_hi)
		host_hole(&c, c.host_next, mm->user_hi);
	up_write(&mm->mmap_lock);
	arch_signals_unblock();

	for (int i = 0; i < NR_CATS; i++)
		if (out && c.count[i] > MAX_SHOWN)
			fprintf(out, "mmk_check: mm: ... %ld more %s problems not shown\n",
				c.count[i] - MAX_SHOWN, cat_names[i]);
	return c.problems;
}
