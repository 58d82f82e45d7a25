// SPDX-License-Identifier: MIT
/*
 * Page tables and page faults: how user memory gets frames.
 *
 * Every access the MMU refuses arrives at fault_entry() from the arch
 * layer's trap, in signal context on the faulting thread. Three ranges can
 * fault: the vmalloc range (a kernel bug there: an oops), the user range
 * (demand paging, below), and anything else (the program's own business:
 * passed on as the host would deliver it).
 *
 * Demand paging. A user mapping starts with nothing behind it: no PTE, and
 * in the host, inaccessible reserved address space. The first access
 * faults, and handle_pte_fault() decides:
 *
 *   - a read maps the zero page, read-only: one frame of zeros shared by
 *     every such page of the process (mmk_zero_pfn());
 *   - a write, to a page with no PTE or one naming the zero page, maps a
 *     fresh zeroed frame (nothing is copied from the zero page: its bytes
 *     are known);
 *   - an access the VMA does not permit, or an address in no VMA, is the
 *     program's fault: SIGSEGV with SEGV_ACCERR or SEGV_MAPERR, nothing
 *     changed.
 *
 * Large folios. A trap costs ~2.6 us and a host mapping call ~3 us on the
 * machines we run on, against ~1.5 us for a host page fault, so both are
 * paid once per many pages, as Linux's anonymous mTHP does: a write fault
 * allocates the largest enabled folio (thp_anon=, orders 2-9, 16 KiB to
 * 2 MiB) whose naturally aligned range lies inside the VMA and has no frame
 * mapped yet, falling back order by order when the buddy allocator has no
 * such block (fragmentation) down to single pages. The folio is mapped with
 * one host call (physically contiguous: one mmap of the RAM memfd) and then
 * split into its pages, so that munmap and MADV_DONTNEED of a part free
 * exactly that part. A read fault maps a run of the zero page of the same
 * size (Linux maps its huge zero page there), mirrored in the host with one
 * call as well: the host's own zero page stands in for ours in the mirror
 * (arch_map_zero()), since mapping one frame at many addresses would cost
 * one host mapping per page.
 *
 * Page tables are the truth (DESIGN.md rule 3): a PTE is written before the
 * host mirror grants access, and the mirror is revoked before a PTE is
 * cleared and its frame freed. Both happen under the PTE lock, so a thread
 * that faults on a page another thread is mapping waits, then finds the
 * PTE present and retries its access.
 *
 * Locks, in order: mmap_lock (read for faults, write for the system calls
 * that change VMAs) > PTE lock (hashed by PTE table) > the page allocator's.
 * Upper page-table levels are filled with a compare-and-swap, no lock.
 *
 * Signal context. The fault handler runs with the host's asynchronous
 * signals blocked, and so do the user-memory system calls: mmap_lock, the
 * PTE locks and the fault reserve are never held by a thread that a
 * program's signal handler interrupted. The rest of the kernel (kmalloc,
 * the page allocator) can be interrupted, and a program's handler may then
 * touch user memory: the fault finds arch_this_thread.locks_held (or the
 * preempt count) non-zero and runs in atomic mode: single pages only, from
 * the page allocator with GFP_ATOMIC if the thread holds none of its locks
 * (alloc_locks), else from a small per-mm reserve of zeroed frames that
 * the next ordinary fault or system call refills. It takes mmap_lock for
 * reading without waiting behind a queued writer (a writer may wait for a
 * reader that needs the very locks this thread holds), and a writer never
 * waits for a kernel lock while it holds mmap_lock (mmap.c defers its
 * frees and allocations), so the wait ends. A fault may interrupt a slab
 * fast path, which is not reentrant and counts in no locks_held (slab.h),
 * so nothing here may use the slab allocator.
 */
#include <errno.h>
#include <string.h>

#include "mmap.h"
#include "swap.h"
#include "vmalloc.h"
#include "vmstat.h"

unsigned long zero_pfn;
static long host_max_map_count = -1;

/* Per-order counters of anonymous folio faults (Linux's
 * /sys/kernel/mm/transparent_hugepage/hugepages-<size>/stats). */
struct mthp_stat mthp_stats[MAX_ANON_ORDER + 1];

/* Counters of the zero page and of the fault path (mmkit's report). */
struct fault_stat fault_stats;

/* ---- Page-table pages --------------------------------------------------- */

struct fault_ctx {
	bool atomic;		/* the thread holds kernel locks */
	bool alloc_ok;		/* but none of the page allocator's */
};

static struct page *reserve_take(struct mm_struct *mm)
{
	struct page *page = NULL;

	spin_lock(&mm->reserve_lock);
	if (mm->nr_reserve)
		page = page_of(mm->reserve[--mm->nr_reserve]);
	spin_unlock(&mm->reserve_lock);
	return page;
}

/* Give back a reserve frame that was not used (still all zeros). */
static void reserve_put(struct mm_struct *mm, struct page *page)
{
	spin_lock(&mm->reserve_lock);
	if (mm->nr_reserve < FAULT_RESERVE_MAX) {
		mm->reserve[mm->nr_reserve++] = pfn_of(page);
		page = NULL;
	}
	spin_unlock(&mm->reserve_lock);
	if (page)
		__free_page(page);	/* refills stop at FAULT_RESERVE: never reached */
}

void fault_reserve_refill(struct mm_struct *mm, gfp_t gfp)
{
	while (__atomic_load_n(&mm->nr_reserve, __ATOMIC_RELAXED) < FAULT_RESERVE) {
		struct page *page = alloc_page(gfp | __GFP_ZERO | __GFP_NOWARN);

		if (!page)
			return;
		reserve_put(mm, page);
	}
}

void fault_reserve_drain(struct mm_struct *mm)
{
	struct page *page;

	while ((page = reserve_take(mm)))
		__free_page(page);
}

/*
 * A fault that had to take from the reserve while its thread held the page
 * allocator's locks asks for a refill when the thread leaves the last of
 * them: the thread then holds none of the allocator's locks, so GFP_ATOMIC
 * allocations are safe, whatever other kernel locks it holds.
 */
void alloc_locks_exit_work(void)
{
	struct mm_struct *mm = current_mm;

	arch_this_thread.alloc_exit_work = false;
	if (!mm)
		return;
	/* The reserve's lock is only ever taken with signals blocked. */
	arch_signals_block();
	fault_reserve_refill(mm, GFP_ATOMIC);
	arch_signals_unblock();
}

/*
 * A frame for @fc. In atomic mode the thread may hold any kernel lock but
 * the page allocator's (then GFP_ATOMIC: no reclaim, which takes other
 * locks), or the allocator's too (then only the reserve will do).
 */
static struct page *fault_alloc_frame(struct mm_struct *mm, struct fault_ctx *fc, gfp_t gfp)
{
	struct page *page;

	if (!fc->atomic)
		return alloc_page(gfp | __GFP_ZERO | __GFP_NOWARN);
	if (fc->alloc_ok) {
		page = alloc_page(GFP_ATOMIC | __GFP_ZERO | __GFP_NOWARN |
				  (gfp & __GFP_MOVABLE));
		if (page)
			return page;
	} else {
		arch_this_thread.alloc_exit_work = true;
	}
	return reserve_take(mm);
}

static void fault_free_frame(struct mm_struct *mm, struct fault_ctx *fc, struct page *page)
{
	if (fc->atomic)
		reserve_put(mm, page);	/* frees it if full: then alloc_ok */
	else
		__free_page(page);
}

/*
 * Tables below the top level count in the mm's VmPTE (Linux's
 * mm_pgtables_bytes(), which leaves the PGD out); every table, the PGD
 * too, counts in PageTables.
 */
static void pt_account(struct mm_struct *mm, struct page *page, int sign)
{
	mod_node_page_state(node_data0, NR_PAGETABLE, sign);
	if (pfn_of(page) != mm->pgd)
		atomic_fetch_add(&mm->pgtables_bytes, sign * (long)PAGE_SIZE);
	if (sign > 0)
		SetPageFlag(page, PG_table);
	else
		ClearPageFlag(page, PG_table);
}

static inline pteval_t *table_va(unsigned long pfn)
{
	return pfn_to_virt(pfn);
}

static inline unsigned int tbl_index(unsigned long addr, unsigned int shift)
{
	return (addr >> shift) & (PTRS_PER_TABLE - 1);
}

static inline pteval_t entry_read(const pteval_t *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline void entry_write(pteval_t *slot, pteval_t v)
{
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

static const unsigned int level_shift[3] = { PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT };

/*
 * The PTE table covering @addr, or NULL. With @fc, missing levels are
 * allocated (NULL then means out of memory); without, NULL means none.
 */
static pteval_t *pte_table(struct mm_struct *mm, unsigned long addr, struct fault_ctx *fc)
{
	pteval_t *tbl = table_va(mm->pgd);

	for (int l = 0; l < 3; l++) {
		pteval_t *slot = &tbl[tbl_index(addr, level_shift[l])];
		pteval_t e = entry_read(slot);

		if (!e) {
			struct page *page;
			pteval_t new;

			if (!fc)
				return NULL;
			page = fault_alloc_frame(mm, fc, GFP_KERNEL);
			if (!page)
				return NULL;
			new = ((pteval_t)pfn_of(page) << PAGE_SHIFT) | _PAGE_TABLE;
			if (__atomic_compare_exchange_n(slot, &e, new, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				pt_account(mm, page, 1);
				e = new;
			} else {
				fault_free_frame(mm, fc, page);	/* another fault won */
			}
		}
		tbl = table_va(pte_pfn(e));
	}
	return tbl;
}

static inline pteval_t *pte_slot(pteval_t *pt, unsigned long addr)
{
	return &pt[tbl_index(addr, PAGE_SHIFT)];
}

static inline spinlock_t *pte_lockptr(struct mm_struct *mm, unsigned long addr)
{
	return &mm->ptl[(addr >> PMD_SHIFT) % PTL_HASH];
}

pteval_t follow_pte(struct mm_struct *mm, unsigned long addr)
{
	pteval_t *pt = pte_table(mm, addr, NULL);

	return pt ? entry_read(pte_slot(pt, addr)) : 0;
}

/*
 * Call @fn on each PTE slot of [@start, @end) whose page table exists, in
 * address order; a run with no table gets one call with a NULL slot (a
 * walker that batches runs must end its run there).
 */
static void for_each_pte_slot(struct mm_struct *mm, unsigned long start, unsigned long end,
			      void (*fn)(unsigned long addr, pteval_t *slot, void *ctx),
			      void *ctx)
{
	while (start < end) {
		unsigned long next = (start & PMD_MASK) + PMD_SIZE;
		pteval_t *pt = pte_table(mm, start, NULL);

		if (next > end || next < start)
			next = end;
		if (!pt)
			fn(start, NULL, ctx);
		else
			for (unsigned long a = start; a < next; a += PAGE_SIZE)
				fn(a, pte_slot(pt, a), ctx);
		start = next;
	}
}

struct present_walk {
	void (*fn)(unsigned long addr, pteval_t pte, void *ctx);
	void *ctx;
};

static void present_one(unsigned long addr, pteval_t *slot, void *ctx)
{
	struct present_walk *w = ctx;
	pteval_t pte = slot ? entry_read(slot) : 0;

	if (pte_present(pte))
		w->fn(addr, pte, w->ctx);
}

void walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end,
	       void (*fn)(unsigned long addr, pteval_t pte, void *ctx), void *ctx)
{
	struct present_walk w = { fn, ctx };

	for_each_pte_slot(mm, start, end, present_one, &w);
}

int pgtable_init(struct mm_struct *mm)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	mm->pgd = pfn_of(page);
	pt_account(mm, page, 1);
	return 0;
}

static bool table_empty(const pteval_t *tbl)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (tbl[i])
			return false;
	return true;
}

/* Clear @slot and free its table: under mmap_lock for writing, so the
 * frame waits until the lock is dropped. */
static void free_table(struct mm_struct *mm, pteval_t *slot)
{
	struct page *page = page_of(pte_pfn(*slot));

	entry_write(slot, 0);
	pt_account(mm, page, -1);
	defer_free_frames(mm, pfn_of(page), 1);
}

/*
 * Free the PTE tables of [@start, @end) that no VMA needs any more, then
 * the middle levels that became empty (Linux's free_pgtables()). The range
 * is unmapped, mmap_lock is held for writing: no walker is inside.
 */
void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	pteval_t *pgd = table_va(mm->pgd);

	for (unsigned long a = start & PMD_MASK; a < end; a += PMD_SIZE) {
		pteval_t *pud, *pmd, *pudslot = NULL, *pmdslot = NULL, *ptslot;
		struct vm_area_struct *vma = find_vma(mm, a);

		if (!pgd[tbl_index(a, PGDIR_SHIFT)])
			continue;
		pudslot = &pgd[tbl_index(a, PGDIR_SHIFT)];
		pud = table_va(pte_pfn(*pudslot));
		if (!pud[tbl_index(a, PUD_SHIFT)])
			continue;
		pmdslot = &pud[tbl_index(a, PUD_SHIFT)];
		pmd = table_va(pte_pfn(*pmdslot));
		ptslot = &pmd[tbl_index(a, PMD_SHIFT)];
		if (!*ptslot)
			continue;
		/* A VMA still overlapping this table's 2 MiB keeps it. */
		if (vma && vma->vm_start < a + PMD_SIZE)
			continue;
		free_table(mm, ptslot);
		if (table_empty(pmd)) {
			free_table(mm, pmdslot);
			if (table_empty(pud))
				free_table(mm, pudslot);
		}
	}
}

static void free_level(struct mm_struct *mm, pteval_t *slot, int level)
{
	pteval_t *tbl = table_va(pte_pfn(*slot));

	if (level < 2)
		for (int i = 0; i < PTRS_PER_TABLE; i++)
			if (tbl[i])
				free_level(mm, &tbl[i], level + 1);
	free_table(mm, slot);
}

/* At exit, after every VMA was unmapped: free whatever tables remain. */
void pgtable_exit(struct mm_struct *mm)
{
	pteval_t *pgd = table_va(mm->pgd);
	struct page *page = page_of(mm->pgd);

	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (pgd[i])
			free_level(mm, &pgd[i], 0);
	pt_account(mm, page, -1);
	__free_page(page);
	mm->pgd = 0;
}

/* ---- PTE helpers -------------------------------------------------------- */

int vma_host_prot(unsigned long vm_flags)
{
	int prot = 0;

	/* x86-64: write and exec access imply read. */
	if (vm_flags & VM_ACCESS_FLAGS)
		prot |= ARCH_PROT_READ;
	if (vm_flags & VM_WRITE)
		prot |= ARCH_PROT_WRITE;
	return prot;
}

static inline bool is_zero_pte(pteval_t pte)
{
	return pte_present(pte) && pte_special(pte) && pte_pfn(pte) == zero_pfn;
}

static pteval_t mk_pte(unsigned long pfn, unsigned long vm_flags, bool zero)
{
	pteval_t pte = ((pteval_t)pfn << PAGE_SHIFT) | _PAGE_USER | _PAGE_ACCESSED;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		pte |= _PAGE_PROTNONE;
	else
		pte |= _PAGE_PRESENT;
	if (zero)
		pte |= _PAGE_SPECIAL;
	else if (vm_flags & VM_WRITE)
		pte |= _PAGE_RW | _PAGE_DIRTY;
	return pte;
}

/* What the host may do with a page whose PTE is @pte. */
static int pte_host_prot(pteval_t pte)
{
	/* Not young: no access, so that the next touch tells us (swap.h). */
	if (!(pte & _PAGE_PRESENT) || !(pte & _PAGE_ACCESSED))
		return 0;
	return ARCH_PROT_READ | (pte_write(pte) ? ARCH_PROT_WRITE : 0);
}

static void page_add_new_anon(struct page *page, struct mm_struct *mm, unsigned long va,
			      bool mlocked)
{
	page->mapping = (void *)((uintptr_t)mm | PAGE_MAPPING_ANON);
	page->index = va >> PAGE_SHIFT;
	if (mlocked)
		SetPageFlag(page, PG_mlocked);
}

static void page_remove_anon(struct page *page)
{
	if (PageFlag(page, PG_mlocked)) {
		ClearPageFlag(page, PG_mlocked);
		mod_zone_page_state(page_zone(page), NR_MLOCK, -1);
	}
	page->mapping = NULL;
	page->index = 0;
}

static void rss_add(struct mm_struct *mm, long n)
{
	long rss = atomic_fetch_add(&mm->rss_anon, n) + n;
	long hw = atomic_load_explicit(&mm->hiwater_rss, memory_order_relaxed);

	mod_node_page_state(node_data0, NR_ANON_MAPPED, n);
	while (rss > hw && !atomic_compare_exchange_weak(&mm->hiwater_rss, &hw, rss))
		;
}

/* ---- Choosing a folio order -------------------------------------------- */

static unsigned int vma_anon_orders(const struct vm_area_struct *vma)
{
	unsigned int orders;

	if (vma->vm_flags & VM_NOHUGEPAGE)
		return 0;
	orders = thp_orders_always;
	if (vma->vm_flags & VM_HUGEPAGE)
		orders |= thp_orders_madvise;
	return orders;
}

/* Are the PTEs of [@start, @start + @n pages) all none (or zero PTEs)? */
static bool ptes_free(pteval_t *pt, unsigned long start, unsigned long n, bool zero_ok)
{
	pteval_t *slot = pte_slot(pt, start);

	for (unsigned long i = 0; i < n; i++) {
		pteval_t pte = entry_read(&slot[i]);

		if (!pte_none(pte) && !(zero_ok && is_zero_pte(pte)))
			return false;
	}
	return true;
}

/*
 * The next order to try, below @below, from @orders: the largest whose
 * aligned range around @addr lies in @vma with its PTEs free. 0 if none.
 */
static unsigned int next_order(const struct vm_area_struct *vma, pteval_t *pt,
			       unsigned long addr, unsigned int orders,
			       unsigned int below, bool zero_ok)
{
	for (unsigned int order = below; order-- > 1;) {
		unsigned long size = PAGE_SIZE << order;
		unsigned long start = addr & ~(size - 1);

		if (!(orders & (1U << order)))
			continue;
		if (start < vma->vm_start || start + size > vma->vm_end)
			continue;
		if (ptes_free(pt, start, 1UL << order, zero_ok))
			return order;
	}
	return 0;
}

/* ---- Reports from the fault path --------------------------------------- */

static void report_host_refusal(unsigned long addr, unsigned long len, int err)
{
	atomic_fetch_add(&fault_stats.host_refused, 1);
	if (err == -ENOMEM)
		pr_err("mmkit: cannot map user memory at %#lx (%lu KiB): the host refused a new mapping; its limit vm.max_map_count is %ld\n",
		       addr, len >> 10, host_max_map_count);
	else
		pr_err("mmkit: cannot map user memory at %#lx (%lu KiB): host error %d\n",
		       addr, len >> 10, -err);
}

static void report_fault_oom(unsigned long addr)
{
	pr_err("mmkit: page fault at %#lx in atomic context (a signal handler interrupted the kernel holding %u of its locks, %u of them the page allocator's; preempt count %#x) and the fault reserve is empty: sending SIGBUS\n",
	       addr, arch_this_thread.locks_held, arch_this_thread.alloc_locks,
	       arch_this_thread.preempt_count);
}

/* ---- The fault handlers ------------------------------------------------- */

/* Fault results inside this file. */
enum { FAULT_DONE = 0, FAULT_RETRY, FAULT_OOM, FAULT_HOST, FAULT_SIGBUS };

/*
 * A read of a page with no PTE: map the zero page over the largest free
 * aligned run the folio orders allow, with one host call.
 */
static int do_zero_page(struct mm_struct *mm, struct vm_area_struct *vma,
			unsigned long addr, pteval_t *pt, unsigned long *next)
{
	unsigned int order = next_order(vma, pt, addr, vma_anon_orders(vma),
					MAX_ANON_ORDER + 1, false);
	unsigned long size = PAGE_SIZE << order;
	unsigned long start = addr & ~(size - 1), n = 1UL << order;
	spinlock_t *ptl = pte_lockptr(mm, addr);
	pteval_t pte = mk_pte(zero_pfn, vma->vm_flags, true);
	int err;

	spin_lock(ptl);
	if (!ptes_free(pt, start, n, false)) {
		spin_unlock(ptl);
		return FAULT_RETRY;
	}
	for (unsigned long i = 0; i < n; i++)
		entry_write(pte_slot(pt, start + i * PAGE_SIZE), pte);
	err = arch_map_zero((void *)start, size, pte_host_prot(pte) | ARCH_MAP_POPULATE);
	if (err) {
		for (unsigned long i = 0; i < n; i++)
			entry_write(pte_slot(pt, start + i * PAGE_SIZE), 0);
		arch_vrange_reset((void *)start, size);
		spin_unlock(ptl);
		report_host_refusal(start, size, err);
		return FAULT_HOST;
	}
	spin_unlock(ptl);
	atomic_fetch_add(&mm->nr_zero_ptes, (long)n);
	atomic_fetch_add(&fault_stats.zero_fault, 1);
	atomic_fetch_add(&fault_stats.zero_mapped, n);
	*next = start + size;
	return FAULT_DONE;
}

/*
 * A write to a page with no PTE or a zero PTE: a fresh zeroed folio, the
 * largest the orders, the VMA and the buddy allocator allow.
 */
static int do_anonymous_page(struct mm_struct *mm, struct vm_area_struct *vma,
			     unsigned long addr, pteval_t *pt, struct fault_ctx *fc,
			     unsigned long *next)
{
	unsigned int orders = fc->atomic ? 0 : vma_anon_orders(vma);
	unsigned int order = MAX_ANON_ORDER + 1;
	struct page *page = NULL;
	unsigned long size, start, n, zeros = 0;
	spinlock_t *ptl = pte_lockptr(mm, addr);
	bool locked = vma->vm_flags & VM_LOCKED;
	int err;

	while (!page) {
		order = next_order(vma, pt, addr, orders, order, true);
		if (!order)
			break;
		page = alloc_pages((GFP_TRANSHUGE_LIGHT & ~__GFP_COMP) | __GFP_ZERO, order);
		if (!page) {
			atomic_fetch_add(&mthp_stats[order].anon_fault_fallback, 1);
			if (order == MAX_ANON_ORDER)
				count_vm_event(THP_FAULT_FALLBACK);
		}
	}
	if (!page) {
		page = fault_alloc_frame(mm, fc, GFP_HIGHUSER_MOVABLE);
		if (!page)
			return FAULT_OOM;
	}
	n = 1UL << order;
	size = PAGE_SIZE << order;
	start = addr & ~(size - 1);

	spin_lock(ptl);
	if (!ptes_free(pt, start, n, true)) {
		/* Another thread mapped part of it meanwhile. */
		spin_unlock(ptl);
		if (order)
			__free_pages(page, order);
		else
			fault_free_frame(mm, fc, page);
		return FAULT_RETRY;
	}
	if (order)
		split_page(page, order);
	for (unsigned long i = 0; i < n; i++) {
		pteval_t *slot = pte_slot(pt, start + i * PAGE_SIZE);

		zeros += is_zero_pte(entry_read(slot));
		page_add_new_anon(page + i, mm, start + i * PAGE_SIZE, locked);
		entry_write(slot, mk_pte(pfn_of(page) + i, vma->vm_flags, false));
	}
	err = arch_map_ram((void *)start, (uint64_t)pfn_of(page) << PAGE_SHIFT, size,
			   vma_host_prot(vma->vm_flags) | ARCH_MAP_POPULATE);
	if (err) {
		/* Back to no PTEs (the zero PTEs there read the same). */
		for (unsigned long i = 0; i < n; i++) {
			entry_write(pte_slot(pt, start + i * PAGE_SIZE), 0);
			ClearPageFlag(page + i, PG_mlocked);	/* never counted */
			page_remove_anon(page + i);
		}
		arch_vrange_reset((void *)start, size);
		spin_unlock(ptl);
		atomic_fetch_sub(&mm->nr_zero_ptes, (long)zeros);
		if (fc->atomic)
			reserve_put(mm, page);
		else
			free_frame_run(pfn_of(page), n);
		report_host_refusal(start, size, err);
		return FAULT_HOST;
	}
	spin_unlock(ptl);
	lru_add_new(page, n, locked);

	if (zeros) {
		atomic_fetch_sub(&mm->nr_zero_ptes, (long)zeros);
		atomic_fetch_add(&fault_stats.zero_replaced, zeros);
	}
	rss_add(mm, (long)n);
	if (locked)
		mod_zone_page_state(page_zone(page), NR_MLOCK, (long)n);
	atomic_fetch_add(&mthp_stats[order].anon_fault_alloc, 1);
	if (order == MAX_ANON_ORDER)
		count_vm_event(THP_FAULT_ALLOC);
	*next = start + size;
	return FAULT_DONE;
}

/*
 * A fault on a present PTE. A write to a read-only PTE of a writable VMA
 * (our own pages are never shared, so Linux's do_wp_page() would reuse the
 * page): make it writable. Anything else is spurious: another thread
 * mapped the page while we waited for the PTE lock, and the access
 * succeeds when retried. If the same address keeps faulting, the mirror
 * is re-made for that page.
 */
static _Thread_local unsigned long spurious_addr
	__attribute__((tls_model("initial-exec")));
static _Thread_local unsigned int spurious_count
	__attribute__((tls_model("initial-exec")));

static int do_present(struct mm_struct *mm,
		      unsigned long addr, pteval_t *pt, bool write)
{
	spinlock_t *ptl = pte_lockptr(mm, addr);
	pteval_t *slot = pte_slot(pt, addr), pte;
	bool young = false, wp = false;
	int err = 0;

	spin_lock(ptl);
	pte = entry_read(slot);
	if (!pte_present(pte) || (write && is_zero_pte(pte))) {
		spin_unlock(ptl);
		return FAULT_RETRY;	/* changed under us: decide again */
	}
	if (!(pte & _PAGE_ACCESSED)) {
		/* Reclaim cleared the young bit: this touch is a reference. */
		pte |= _PAGE_ACCESSED;
		young = true;
	}
	if (write && !pte_write(pte)) {
		pte |= _PAGE_RW | _PAGE_DIRTY;
		wp = true;
	}
	if (young || wp) {
		struct page *page = page_of(pte_pfn(pte));

		entry_write(slot, pte);
		/* Mapped again rather than mprotect()ed: the host's mapping
		 * may be plain reserved memory after a refused mprotect. */
		err = arch_map_ram((void *)addr, (uint64_t)pte_pfn(pte) << PAGE_SHIFT,
				   PAGE_SIZE, pte_host_prot(pte));
		/* Written: a copy in a swap slot is stale now. */
		if (wp && PageFlag(page, PG_swapcache) && trylock_page(page)) {
			if (PageFlag(page, PG_swapcache))
				try_to_free_swap(page);
			unlock_page(page);
		}
		if (young)
			atomic_fetch_add(&fault_stats.young, 1);
	} else if (spurious_addr == addr && ++spurious_count > 2) {
		if (is_zero_pte(pte))
			err = arch_map_zero((void *)addr, PAGE_SIZE, pte_host_prot(pte));
		else
			err = arch_map_ram((void *)addr, (uint64_t)pte_pfn(pte) << PAGE_SHIFT,
					   PAGE_SIZE, pte_host_prot(pte));
		spurious_count = 0;
		atomic_fetch_add(&fault_stats.spurious, 1);
	} else {
		if (spurious_addr != addr) {
			spurious_addr = addr;
			spurious_count = 1;
		}
		atomic_fetch_add(&fault_stats.spurious, 1);
	}
	spin_unlock(ptl);
	if (err) {
		report_host_refusal(addr, PAGE_SIZE, err);
		return FAULT_HOST;
	}
	return FAULT_DONE;
}

/* A page swapin_readahead() gave us that the fault will not map: it
 * stays in the swap cache, where reclaim can find it on the LRU. */
static void swapin_abandon(struct page *page)
{
	if (!PageFlag(page, PG_writeback) && !page->mapping)
		lru_putback(page, false);
	unlock_page(page);
	put_page(page);
}

/*
 * A fault on a swap PTE (Linux's do_swap_page()): the page from the swap
 * cache, or read from swap with the swap PTEs around it (a major fault).
 * A read maps it read-only and clean, so that it can go back to its slot
 * without a write; a write maps it writable and frees the slot.
 */
static int do_swap_page(struct mm_struct *mm, struct vm_area_struct *vma,
			unsigned long addr, pteval_t *pt, pteval_t orig, bool write,
			struct fault_ctx *fc, unsigned long *next)
{
	swp_entry_t entry = pte_to_swp_entry(orig), ra[SWAP_RA_MAX];
	unsigned long win = PAGE_SIZE * SWAP_RA_MAX, start = addr & ~(win - 1);
	spinlock_t *ptl = pte_lockptr(mm, addr);
	pteval_t *slot = pte_slot(pt, addr), pte;
	unsigned int n = 0, idx = 0;
	struct page *page;
	bool major, dirty = write && (vma->vm_flags & VM_WRITE);
	bool locked = vma->vm_flags & VM_LOCKED;
	int err;

	if (!swp_info(entry))
		return FAULT_SIGBUS;
	/* With the page allocator's locks held, a frame that a failed read
	 * leaves could not be freed: no swap-in there. */
	if (fc->atomic && !fc->alloc_ok)
		return FAULT_OOM;
	/* Readahead: the swap PTEs of the aligned window around @addr. */
	for (unsigned long a = start; a < start + win; a += PAGE_SIZE) {
		pteval_t p;

		if (a < vma->vm_start || a >= vma->vm_end)
			continue;
		if (a != addr && fc->atomic)
			continue;
		p = a == addr ? orig : entry_read(pte_slot(pt, a));
		if (!is_swap_pte(p))
			continue;
		if (a == addr)
			idx = n;
		ra[n++] = pte_to_swp_entry(p);
	}
	page = swapin_readahead(ra, n, idx, fc->atomic, &major, &err);
	if (!page)
		return err == -EIO ? FAULT_SIGBUS : err == -EAGAIN ? FAULT_RETRY : FAULT_OOM;

	spin_lock(ptl);
	if (entry_read(slot) != orig) {
		spin_unlock(ptl);
		swapin_abandon(page);
		return FAULT_RETRY;	/* another thread mapped it */
	}
	pte = mk_pte(pfn_of(page), vma->vm_flags, false);
	if (!dirty)
		pte &= ~(_PAGE_RW | _PAGE_DIRTY);
	entry_write(slot, pte);
	err = arch_map_ram((void *)addr, (uint64_t)pfn_of(page) << PAGE_SHIFT, PAGE_SIZE,
			   pte_host_prot(pte) | ARCH_MAP_POPULATE);
	if (err) {
		entry_write(slot, orig);
		arch_vrange_reset((void *)addr, PAGE_SIZE);
		spin_unlock(ptl);
		swapin_abandon(page);
		report_host_refusal(addr, PAGE_SIZE, err);
		return FAULT_HOST;
	}
	page_add_new_anon(page, mm, addr, locked);
	ClearPageFlag(page, PG_readahead);
	spin_unlock(ptl);

	swap_put_pte_ref(entry);
	atomic_fetch_sub(&mm->swapents, 1);
	rss_add(mm, 1);
	if (locked)
		mod_zone_page_state(page_zone(page), NR_MLOCK, 1);
	if (dirty || vm_swap_full())
		try_to_free_swap(page);
	if (!PageFlag(page, PG_writeback))
		lru_putback(page, false);
	if (locked)
		lru_set_unevictable(page, true);
	unlock_page(page);
	put_page(page);		/* the lookup's; the mapping keeps its own */
	if (major) {
		count_vm_event(PGMAJFAULT);
		atomic_fetch_add(&fault_stats.swapin_major, 1);
	} else {
		atomic_fetch_add(&fault_stats.swapin_minor, 1);
	}
	*next = addr + PAGE_SIZE;
	return FAULT_DONE;
}

static int handle_pte_fault(struct mm_struct *mm, struct vm_area_struct *vma,
			    unsigned long addr, bool write, struct fault_ctx *fc,
			    unsigned long *next)
{
	pteval_t *pt = pte_table(mm, addr, fc);
	pteval_t pte;
	int ret;

	if (!pt)
		return FAULT_OOM;
	*next = (addr & PAGE_MASK) + PAGE_SIZE;
	pte = entry_read(pte_slot(pt, addr));
	if (pte_none(pte))
		ret = write ? do_anonymous_page(mm, vma, addr, pt, fc, next)
			    : do_zero_page(mm, vma, addr, pt, next);
	else if (is_zero_pte(pte))
		ret = write ? do_anonymous_page(mm, vma, addr, pt, fc, next)
			    : do_present(mm, addr, pt, false);
	else if (is_swap_pte(pte))
		ret = do_swap_page(mm, vma, addr, pt, pte, write, fc, next);
	else
		ret = do_present(mm, addr, pt, write);
	return ret;
}

int handle_mm_fault(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, bool write, unsigned long *next)
{
	struct fault_ctx fc = { .atomic = false };
	int ret;

	/* Counted once a fault, as Linux's handle_mm_fault() does, so
	 * populating (MAP_POPULATE, mlock, MADV_POPULATE_*) counts too. */
	count_vm_event(PGFAULT);
	do {
		ret = handle_pte_fault(mm, vma, addr & PAGE_MASK, write, &fc, next);
	} while (ret == FAULT_RETRY);
	switch (ret) {
	case FAULT_OOM:
		return -ENOMEM;
	case FAULT_HOST:
	case FAULT_SIGBUS:
		return -EFAULT;
	}
	return 0;
}

int populate_range(struct mm_struct *mm, struct vm_area_struct *vma,
		   unsigned long start, unsigned long end, bool write)
{
	unsigned long addr = start;

	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return -EFAULT;	/* PROT_NONE: GUP refuses it, as in Linux */
	if (write && !(vma->vm_flags & VM_WRITE))
		write = false;
	while (addr < end) {
		pteval_t pte = follow_pte(mm, addr);
		unsigned long next = addr + PAGE_SIZE;
		int err;

		if (pte_present(pte) && (!write || (pte_write(pte) && !is_zero_pte(pte)))) {
			addr = next;
			continue;
		}
		err = handle_mm_fault(mm, vma, addr, write, &next);
		if (err)
			return err;
		addr = next;
	}
	return 0;
}

/* ---- Unmapping ------------------------------------------------------------- */

struct zap_batch {
	struct mm_struct *mm;
	unsigned long run_pfn, run_len;	/* frames waiting to be freed */
	long frames, zeros, swapents;
	bool leak;			/* the host kept access: free nothing */
};

static void zap_flush(struct zap_batch *zb)
{
	if (zb->run_len)
		defer_free_frames(zb->mm, zb->run_pfn, zb->run_len);
	zb->run_len = 0;
}

static void zap_one(unsigned long addr, pteval_t *slot, void *ctx)
{
	struct zap_batch *zb = ctx;
	pteval_t pte = slot ? entry_read(slot) : 0;
	unsigned long pfn;

	struct page *page;

	(void)addr;
	if (!pte_present(pte)) {
		if (is_swap_pte(pte)) {
			entry_write(slot, 0);
			swap_free_entry(zb->mm, pte_to_swp_entry(pte));
			zb->swapents++;
		}
		return;
	}
	entry_write(slot, 0);
	if (is_zero_pte(pte)) {
		zb->zeros++;
		return;
	}
	pfn = pte_pfn(pte);
	page = page_of(pfn);
	zb->frames++;
	if (PageFlag(page, PG_swapcache)) {
		/* The end of a write reads page->mapping under the page
		 * lock: change it only under that lock. */
		lock_page(page);
		page_remove_anon(page);
		if (PageFlag(page, PG_writeback)) {
			/* The write's end frees it: it is mapped no more. */
			unlock_page(page);
			return;
		}
		lru_del(page);
		delete_from_swap_cache(page);
		ClearPageFlag(page, PG_dirty);
		unlock_page(page);
	} else {
		page_remove_anon(page);
		lru_del(page);
	}
	if (zb->leak)
		return;		/* leaked rather than reachable */
	if (zb->run_len && pfn == zb->run_pfn + zb->run_len) {
		zb->run_len++;
		return;
	}
	zap_flush(zb);
	zb->run_pfn = pfn;
	zb->run_len = 1;
}

void zap_page_range(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct zap_batch zb = { .mm = mm };
	int err;

	if (start >= end)
		return;
	/* The mirror first: once this returns, no host mapping reaches a
	 * frame of the range, so the frames may go back. */
	err = arch_vrange_reset((void *)start, end - start);
	if (err)
		err = arch_unmap_ram((void *)start, end - start);
	if (err) {
		pr_err("mmkit: the host would not unmap user memory [%#lx-%#lx) (error %d): its frames are kept\n",
		       start, end, -err);
		atomic_fetch_add(&fault_stats.host_refused, 1);
		zb.leak = true;
	}
	for_each_pte_slot(mm, start, end, zap_one, &zb);
	zap_flush(&zb);
	if (zb.frames)
		rss_add(mm, -zb.frames);
	if (zb.zeros)
		atomic_fetch_sub(&mm->nr_zero_ptes, zb.zeros);
	if (zb.swapents)
		atomic_fetch_sub(&mm->swapents, zb.swapents);
	if (zb.frames || zb.swapents)
		kswapd_reset_failures();
}

/* ---- Changing protections and mlock ------------------------------------ */

struct prot_run {
	unsigned long vm_flags;		/* the VMA's new flags */
	unsigned long start, end;	/* pages waiting for one host call */
	int prot;
	int err;
};

static void prot_run_flush(struct prot_run *r)
{
	if (r->end > r->start) {
		int err = arch_protect((void *)r->start, r->end - r->start, r->prot);

		/* The host would not split its mapping (vm.max_map_count):
		 * revoke all access instead, which merges and cannot be
		 * refused, so the host never allows more than the PTEs; the
		 * next access re-mirrors the page (a spurious fault). */
		if (err) {
			arch_vrange_reset((void *)r->start, r->end - r->start);
			if (!r->err)
				r->err = err;
		}
	}
	r->start = r->end = 0;
}

static void protect_one(unsigned long addr, pteval_t *slot, void *ctx)
{
	struct prot_run *r = ctx;
	pteval_t pte = slot ? entry_read(slot) : 0;
	int prot;

	if (!pte_present(pte)) {
		prot_run_flush(r);
		return;
	}
	/* Linux's pte_modify(): new permissions, the same dirty and
	 * accessed bits. */
	pte = (mk_pte(pte_pfn(pte), r->vm_flags, is_zero_pte(pte)) &
	       ~(_PAGE_DIRTY | _PAGE_ACCESSED)) | (pte & (_PAGE_DIRTY | _PAGE_ACCESSED));
	/* A clean page (its swap slot holds it) stays read-only, so that
	 * the first write faults and marks it dirty. */
	if (!(pte & _PAGE_DIRTY))
		pte &= ~_PAGE_RW;
	entry_write(slot, pte);
	prot = pte_host_prot(pte);
	if (r->end == addr && r->prot == prot) {
		r->end = addr + PAGE_SIZE;
		return;
	}
	prot_run_flush(r);
	r->start = addr;
	r->end = addr + PAGE_SIZE;
	r->prot = prot;
}

/*
 * Rewrite the PTEs of [@start, @end) for @vma's (new) flags, then the host
 * mirror, one call per run of present pages with the same protection.
 * Pages with no PTE stay inaccessible in the host. mmap_lock is held for
 * writing. On a host refusal the PTEs are still the truth; mprotect then
 * fails with ENOMEM as Linux's does when it cannot split.
 */
int change_protection(struct mm_struct *mm, struct vm_area_struct *vma,
		      unsigned long start, unsigned long end)
{
	struct prot_run r = { .vm_flags = vma->vm_flags };

	for_each_pte_slot(mm, start, end, protect_one, &r);
	prot_run_flush(&r);
	return r.err;
}

static void mlock_one(unsigned long addr, pteval_t pte, void *ctx)
{
	bool lock = *(bool *)ctx;
	struct page *page;

	(void)addr;
	if (is_zero_pte(pte))
		return;
	page = page_of(pte_pfn(pte));
	if (lock == (bool)PageFlag(page, PG_mlocked))
		return;
	if (lock) {
		SetPageFlag(page, PG_mlocked);
		count_vm_event(UNEVICTABLE_PGMLOCKED);
	} else {
		ClearPageFlag(page, PG_mlocked);
		count_vm_event(UNEVICTABLE_PGMUNLOCKED);
	}
	mod_zone_page_state(page_zone(page), NR_MLOCK, lock ? 1 : -1);
	lru_set_unevictable(page, lock);
}

void mlock_range(struct mm_struct *mm, unsigned long start, unsigned long end, bool lock)
{
	walk_ptes(mm, start, end, mlock_one, &lock);
}

/* ---- Reclaim's side: young bits and unmapping --------------------------- */

/* Sort @idx (indices into @pages) by virtual address. */
static void sort_by_va(struct page **pages, unsigned int *idx, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		idx[i] = i;
	for (unsigned int i = 1; i < nr; i++) {
		unsigned int v = idx[i], j = i;

		while (j && pages[idx[j - 1]]->index > pages[v]->index) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

/*
 * Walk @pages (mapped user pages, locked or isolated) by address, one PTE
 * table at a time under its PTE lock, calling @fn on each page's PTE slot
 * (NULL if it does not map that page) and @flush at the end of each run of
 * consecutive addresses and before each unlock.
 */
struct va_run {
	unsigned long start, end;	/* [start, end): the pending run */
	unsigned int idx[64], n;	/* its pages */
};

static void walk_pages_by_va(struct mm_struct *mm, struct page **pages, unsigned int nr,
			     bool (*fn)(struct page *page, pteval_t *slot, unsigned int i, void *ctx),
			     void (*flush)(struct va_run *run, void *ctx), void *ctx)
{
	unsigned int order[64], i = 0;
	struct va_run run = { 0 };

	sort_by_va(pages, order, nr);
	while (i < nr) {
		unsigned long addr = pages[order[i]]->index << PAGE_SHIFT;
		unsigned long pmd = addr & PMD_MASK;
		spinlock_t *ptl = pte_lockptr(mm, addr);
		pteval_t *pt = pte_table(mm, addr, NULL);

		spin_lock(ptl);
		for (; i < nr && ((pages[order[i]]->index << PAGE_SHIFT) & PMD_MASK) == pmd; i++) {
			struct page *page = pages[order[i]];
			unsigned long a = page->index << PAGE_SHIFT;
			pteval_t *slot = pt ? pte_slot(pt, a) : NULL;

			if (slot && (!pte_present(entry_read(slot)) ||
				     pte_pfn(entry_read(slot)) != pfn_of(page)))
				slot = NULL;
			if (!fn(page, slot, order[i], ctx))
				continue;
			if (run.n && run.end != a) {
				flush(&run, ctx);
				run.n = 0;
			}
			if (!run.n)
				run.start = a;
			run.end = a + PAGE_SIZE;
			run.idx[run.n++] = order[i];
		}
		if (run.n)
			flush(&run, ctx);
		run.n = 0;
		spin_unlock(ptl);
	}
}

struct young_ctx {
	struct mm_struct *mm;
	struct page **pages;
	bool *young;
};

static bool clear_young_one(struct page *page, pteval_t *slot, unsigned int i, void *ctx)
{
	struct young_ctx *c = ctx;
	pteval_t pte;

	(void)page;
	c->young[i] = false;
	if (!slot)
		return false;
	pte = entry_read(slot);
	if (!(pte & _PAGE_ACCESSED))
		return false;
	c->young[i] = true;
	entry_write(slot, pte & ~_PAGE_ACCESSED);
	return true;
}

static void clear_young_flush(struct va_run *run, void *ctx)
{
	struct young_ctx *c = ctx;

	if (!arch_protect((void *)run->start, run->end - run->start, 0))
		return;
	/* The host would not split its mapping: keep these pages young
	 * (accessible, as their PTEs then say). */
	for (unsigned int k = 0; k < run->n; k++) {
		struct page *page = c->pages[run->idx[k]];
		pteval_t *slot = pte_slot(pte_table(c->mm, page->index << PAGE_SHIFT, NULL),
					  page->index << PAGE_SHIFT);

		entry_write(slot, entry_read(slot) | _PAGE_ACCESSED);
	}
	atomic_fetch_add(&fault_stats.host_refused, 1);
}

void ptes_clear_young(struct mm_struct *mm, struct page **pages, unsigned int nr, bool *young)
{
	struct young_ctx c = { mm, pages, young };

	walk_pages_by_va(mm, pages, nr, clear_young_one, clear_young_flush, &c);
}

struct unmap_ctx {
	struct mm_struct *mm;
	bool *ok;
	long n;
};

static bool unmap_one(struct page *page, pteval_t *slot, unsigned int i, void *ctx)
{
	struct unmap_ctx *c = ctx;
	pteval_t pte;

	c->ok[i] = false;
	if (!slot)
		return false;
	pte = entry_read(slot);
	if (pte & _PAGE_ACCESSED)
		return false;		/* touched since reclaim looked */
	/* Not young: the host has no access, so nobody can write it now. */
	if (pte & _PAGE_DIRTY)
		SetPageFlag(page, PG_dirty);
	entry_write(slot, swp_entry_to_pte((swp_entry_t){ page->private }));
	c->ok[i] = true;
	c->n++;
	return true;
}

static void unmap_flush(struct va_run *run, void *ctx)
{
	(void)ctx;
	/* Back to reserved memory, which merges with its neighbours (the
	 * host's mapping count); no access either way. */
	arch_vrange_reset((void *)run->start, run->end - run->start);
}

void ptes_unmap_to_swap(struct mm_struct *mm, struct page **pages, unsigned int nr, bool *ok)
{
	struct unmap_ctx c = { mm, ok, 0 };

	walk_pages_by_va(mm, pages, nr, unmap_one, unmap_flush, &c);
	for (unsigned int i = 0; i < nr; i++) {
		if (!ok[i])
			continue;
		pages[i]->mapping = NULL;
		swap_get_pte_ref((swp_entry_t){ pages[i]->private });
	}
	if (c.n) {
		rss_add(mm, -c.n);
		atomic_fetch_add(&mm->swapents, c.n);
	}
}

/* ---- The fault entry ----------------------------------------------------- */

enum arch_fault_result do_user_fault(struct mm_struct *mm, unsigned long addr,
				     unsigned int flags)
{
	struct fault_ctx fc;
	struct vm_area_struct *vma;
	bool write = flags & ARCH_FAULT_WRITE;
	unsigned long next;
	int ret;

	fc.atomic = arch_this_thread.locks_held || arch_this_thread.alloc_locks ||
		    arch_this_thread.preempt_count;
	fc.alloc_ok = !arch_this_thread.alloc_locks;
	if (fc.atomic)
		atomic_fetch_add(&fault_stats.atomic, 1);
	if (fc.atomic)
		down_read_nowait_writer(&mm->mmap_lock);
	else
		down_read(&mm->mmap_lock);
	vma = find_vma(mm, addr);
	if (!vma || addr < vma->vm_start) {
		up_read(&mm->mmap_lock);
		return ARCH_FAULT_SEGV_MAPERR;
	}
	if (!(flags & ARCH_FAULT_KNOWN)) {
		/* The host did not say: a fault on a page that is already
		 * readable must have been a write. */
		pteval_t pte = follow_pte(mm, addr);

		write = pte_present(pte) && (pte & _PAGE_PRESENT) && (pte & _PAGE_ACCESSED);
	}
	if (write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & VM_ACCESS_FLAGS)) {
		up_read(&mm->mmap_lock);
		return ARCH_FAULT_SEGV_ACCERR;
	}
	count_vm_event(PGFAULT);
	ret = handle_pte_fault(mm, vma, addr & PAGE_MASK, write, &fc, &next);
	up_read(&mm->mmap_lock);
	/* Top the reserve up whenever the page allocator may be used: in
	 * atomic mode too, when the thread holds none of its locks. */
	if ((!fc.atomic || fc.alloc_ok) &&
	    __atomic_load_n(&mm->nr_reserve, __ATOMIC_RELAXED) < FAULT_RESERVE)
		fault_reserve_refill(mm, fc.atomic ? GFP_ATOMIC : GFP_KERNEL);

	switch (ret) {
	case FAULT_OOM:
		if (!fc.atomic)
			out_of_memory(GFP_HIGHUSER_MOVABLE, 0, addr);	/* ends the process */
		report_fault_oom(addr);
		return ARCH_FAULT_SIGBUS;
	case FAULT_HOST:
	case FAULT_SIGBUS:
		return ARCH_FAULT_SIGBUS;
	}
	return ARCH_FAULT_RETRY;
}

static enum arch_fault_result fault_entry(unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = __atomic_load_n(&current_mm, __ATOMIC_ACQUIRE);

	if (vmalloc_addr_in_range(addr)) {
		vmalloc_fault_report(addr, flags);
		return ARCH_FAULT_OOPS;
	}
	if (mm && addr >= mm->user_lo && addr < mm->user_hi)
		return do_user_fault(mm, addr, flags);
	return ARCH_FAULT_NOT_OURS;
}

int fault_init(void)
{
	host_max_map_count = arch_max_map_count();
	return arch_fault_init(fault_entry);
}

void fault_exit(void)
{
	arch_fault_exit();
}
