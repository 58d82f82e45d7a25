// SPDX-License-Identifier: MIT
/*
 * The user address space of the simulated process: its VMAs and the
 * system calls that make and remove them (mmap, munmap, sbrk), as Linux's
 * mm/mmap.c.
 *
 * The process is the host process that booted the machine; its user range
 * is host address space reserved at boot (USER_RANGE bytes, inaccessible
 * until faulted in). The heap (sbrk) grows up from the bottom of the range;
 * mmap places mappings top-down from the top, as Linux's default layout
 * does, and aligns mappings of 2 MiB or more to 2 MiB so that they can hold
 * the largest folios (Linux's thp_get_unmapped_area()).
 *
 * VMAs are kept in address order on a list and in a red-black tree
 * augmented, as Linux's was before the maple tree, with the largest free
 * gap below any VMA of a subtree: finding a VMA and finding a free range
 * are both O(log n) with thousands of VMAs. Adjacent VMAs with the same
 * flags are merged, so mprotect back and forth leaves one VMA.
 *
 * Overcommit: a private writable mapping without MAP_NORESERVE is counted
 * in Committed_AS; in Linux's default heuristic mode a single request
 * larger than RAM plus swap fails with ENOMEM.
 *
 * Locks: mmap_lock, written here (and by mprotect, madvise, mlock), read by
 * page faults. The system calls block the host's asynchronous signals
 * while they run (see memory.c for why). VMAs and the mm come from slab
 * caches, so they live in simulated RAM (DESIGN.md rule 2).
 */
#include <errno.h>
#include <string.h>

#include "mmap.h"
#include "swap.h"

#define USER_RANGE	(256ULL << 30)	/* the process's TASK_SIZE, here */
#define PUD_SIZE	(1UL << PUD_SHIFT)

struct mm_struct *current_mm;
atomic_long vm_committed_as;
/* thp_anon= default: every size "always", the largest that fits first. */
unsigned int thp_orders_always = THP_ANON_DEFAULT, thp_orders_madvise;

static struct kmem_cache *vm_area_cachep, *mm_cachep;

/* ---- The VMA tree ---------------------------------------------------------- */

/* The free gap just below @vma. */
static unsigned long vma_gap(const struct vm_area_struct *vma)
{
	unsigned long prev_end = vma->vm_prev ? vma->vm_prev->vm_end : vma->vm_mm->user_lo;

	return vma->vm_start - prev_end;
}

RB_DECLARE_CALLBACKS_MAX(static, vma_gap_callbacks, struct vm_area_struct, vm_rb,
			 unsigned long, rb_subtree_gap, vma_gap);

static void vma_gap_update(struct vm_area_struct *vma)
{
	if (vma)
		vma_gap_callbacks.propagate(&vma->vm_rb, NULL);
}

static inline struct vm_area_struct *rb_vma(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb) : NULL;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct rb_node *n = mm->mm_rb.rb_node;
	struct vm_area_struct *found = NULL;

	while (n) {
		struct vm_area_struct *vma = rb_vma(n);

		if (vma->vm_end > addr) {
			found = vma;
			if (vma->vm_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return found;
}

/* Insert @vma (its range free) into the list and the tree. */
static void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.rb_node, *parent = NULL;
	struct vm_area_struct *prev = NULL, *next;

	while (*link) {
		struct vm_area_struct *v = rb_vma(*link);

		parent = *link;
		if (vma->vm_start < v->vm_start) {
			link = &parent->rb_left;
		} else {
			prev = v;
			link = &parent->rb_right;
		}
	}
	next = prev ? prev->vm_next : mm->mmap;
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;
	vma->vm_mm = mm;
	/* Linux's order: the next VMA's gap shrank; the new leaf's gap goes
	 * up its path; then the rebalance keeps the maxima. */
	vma_gap_update(next);
	rb_link_node(&vma->vm_rb, parent, link);
	vma->rb_subtree_gap = 0;
	vma_gap_update(vma);
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
}

static void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma->vm_next;

	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	if (vma->vm_prev)
		vma->vm_prev->vm_next = next;
	else
		mm->mmap = next;
	if (next)
		next->vm_prev = vma->vm_prev;
	vma_gap_update(next);
	mm->map_count--;
}

/* ---- Work deferred past the write hold -------------------------------------- */

/*
 * Holding mmap_lock for writing, a system call must never wait for a lock
 * of the slab or page allocator: a thread interrupted inside the allocator
 * may be faulting in its signal handler, waiting for mmap_lock (memory.c).
 * So VMAs are taken from spares allocated before the lock, and VMAs,
 * frames and page tables freed under it wait on lists until it is
 * dropped; populating (which allocates) runs after the hold is downgraded
 * to a read hold, as Linux's mm_populate() runs after mmap_write_unlock().
 */
static struct vm_area_struct *vma_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = NULL;

	spin_lock(&mm->spare_lock);
	if (mm->nr_vma_spare)
		vma = mm->vma_spare[--mm->nr_vma_spare];
	spin_unlock(&mm->spare_lock);
	if (vma)
		memset(vma, 0, sizeof(*vma));
	return vma;
}

static void vma_free(struct mm_struct *mm, struct vm_area_struct *vma)
{
	spin_lock(&mm->spare_lock);
	if (mm->nr_vma_spare < VMA_SPARES) {
		mm->vma_spare[mm->nr_vma_spare++] = vma;
		vma = NULL;
	}
	spin_unlock(&mm->spare_lock);
	if (vma) {
		vma->vm_next = mm->vma_dead;
		mm->vma_dead = vma;
	}
}

/* Fill the spares, with no lock held. */
static void vma_spares_fill(struct mm_struct *mm)
{
	while (__atomic_load_n(&mm->nr_vma_spare, __ATOMIC_RELAXED) < VMA_SPARES) {
		struct vm_area_struct *vma = kmem_cache_alloc(vm_area_cachep, GFP_KERNEL);

		if (!vma)
			return;
		spin_lock(&mm->spare_lock);
		if (mm->nr_vma_spare < VMA_SPARES) {
			mm->vma_spare[mm->nr_vma_spare++] = vma;
			vma = NULL;
		}
		spin_unlock(&mm->spare_lock);
		if (vma) {
			kmem_cache_free(vm_area_cachep, vma);
			return;
		}
	}
}

void defer_free_frames(struct mm_struct *mm, unsigned long pfn, unsigned long nr)
{
	struct page *page = page_of(pfn);

	page->private = nr;
	list_add_tail(&page->lru, &mm->pages_dead);
}

void request_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
		      bool write, enum populate_mode mode)
{
	mm->populate = (struct populate_req){ start, end, write, mode };
}

static int populate_one(struct mm_struct *mm, struct vm_area_struct *vma,
			unsigned long start, unsigned long end, void *ctx)
{
	struct populate_req *pr = ctx;

	if (pr->mode == POPULATE_COLD || pr->mode == POPULATE_PAGEOUT) {
		madvise_cold_or_pageout(mm, vma, start, end, pr->mode == POPULATE_PAGEOUT);
		return 0;
	}
	return populate_range(mm, vma, start, end, pr->write);
}

/* Free what a write hold left behind (taken off the mm under the hold). */
static void free_deferred(struct vm_area_struct *vmas, struct list_head *pages)
{
	while (vmas) {
		struct vm_area_struct *next = vmas->vm_next;

		kmem_cache_free(vm_area_cachep, vmas);
		vmas = next;
	}
	while (!list_empty(pages)) {
		struct page *page = list_entry(pages->next, struct page, lru);
		unsigned long nr = page->private;

		list_del(&page->lru);
		page->private = 0;
		free_frame_run(pfn_of(page), nr);
	}
}

int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr)
{
	struct vm_area_struct *new = vma_alloc(mm);

	if (!new)
		return -ENOMEM;
	new->vm_start = addr;
	new->vm_end = vma->vm_end;
	new->vm_flags = vma->vm_flags;
	vma->vm_end = addr;
	vma_link(mm, new);
	return 0;
}

static bool vma_can_merge(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a && b && a->vm_end == b->vm_start && a->vm_flags == b->vm_flags;
}

/* Merge @vma with equal neighbours; returns the VMA that now holds it. */
static struct vm_area_struct *vma_merge(struct mm_struct *mm, struct vm_area_struct *vma,
					bool with_next)
{
	struct vm_area_struct *next = vma->vm_next, *prev = vma->vm_prev;

	if (with_next && vma_can_merge(vma, next)) {
		unsigned long end = next->vm_end;

		vma_unlink(mm, next);
		vma_free(mm, next);
		vma->vm_end = end;
		vma_gap_update(vma->vm_next);
	}
	if (vma_can_merge(prev, vma)) {
		unsigned long end = vma->vm_end;

		vma_unlink(mm, vma);
		vma_free(mm, vma);
		prev->vm_end = end;
		vma_gap_update(prev->vm_next);
		vma = prev;
	}
	return vma;
}

int vma_apply(struct mm_struct *mm, unsigned long start, unsigned long end,
	      int (*fn)(struct mm_struct *mm, struct vm_area_struct *vma, void *ctx),
	      void *ctx)
{
	unsigned long pos = start;

	while (pos < end) {
		struct vm_area_struct *vma = find_vma(mm, pos);
		unsigned long piece_end;
		int err;

		if (!vma || vma->vm_start >= end)
			return -ENOMEM;		/* a hole up to @end */
		if (vma->vm_start > pos)
			return -ENOMEM;		/* a hole at @pos */
		if (vma->vm_start < pos) {
			if (split_vma(mm, vma, pos))
				return -ENOMEM;
			vma = vma->vm_next;
		}
		if (vma->vm_end > end && split_vma(mm, vma, end))
			return -ENOMEM;
		piece_end = vma->vm_end;
		err = fn(mm, vma, ctx);
		/* With the one before only: merging with the next one, not
		 * yet visited, would have to split it again for no gain. */
		vma = vma_merge(mm, vma, false);
		if (err || piece_end >= end) {
			vma_merge(mm, vma, true);
			return err;
		}
		pos = piece_end;
	}
	return 0;
}

int vma_walk(struct mm_struct *mm, unsigned long start, unsigned long end,
	     int (*fn)(struct mm_struct *mm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end, void *ctx),
	     void *ctx)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long pos = start;
	bool hole = false;

	for (; vma && vma->vm_start < end; vma = vma->vm_next) {
		unsigned long s = vma->vm_start > pos ? vma->vm_start : pos;
		unsigned long e = vma->vm_end < end ? vma->vm_end : end;
		int err;

		hole |= vma->vm_start > pos;
		err = fn ? fn(mm, vma, s, e, ctx) : 0;
		if (err)
			return err;
		pos = e;
	}
	return hole || pos < end ? -ENOMEM : 0;
}

/* Accounting of the VMA's pages in the mm's counters, +1 or -1. */
static void vma_account(struct mm_struct *mm, const struct vm_area_struct *vma, int sign)
{
	long pages = (long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT) * sign;

	mm->total_vm += pages;
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		mm->data_vm += pages;
	if (vma->vm_flags & VM_LOCKED)
		mm->locked_vm += pages;
	if (mm->total_vm > mm->hiwater_vm)
		mm->hiwater_vm = mm->total_vm;
}

/* ---- Overcommit ----------------------------------------------------------- */

int vm_account(struct mm_struct *mm, unsigned long pages)
{
	/* OVERCOMMIT_GUESS: refuse only what could never fit in RAM and
	 * swap together. */
	if (pages > totalram_pages() + (unsigned long)total_swap_pages)
		return -ENOMEM;
	atomic_fetch_add(&vm_committed_as, (long)pages);
	mm->committed += pages;
	return 0;
}

void vm_unaccount(struct mm_struct *mm, unsigned long pages)
{
	atomic_fetch_sub(&vm_committed_as, (long)pages);
	mm->committed -= pages;
}

/* ---- Finding room ---------------------------------------------------------- */

/* The rightmost VMA with a gap of at least @need below it. */
static struct vm_area_struct *rightmost_gap(struct mm_struct *mm, unsigned long need)
{
	struct rb_node *n = mm->mm_rb.rb_node;

	if (!n || rb_vma(n)->rb_subtree_gap < need)
		return NULL;
	while (n) {
		struct vm_area_struct *vma = rb_vma(n);

		if (n->rb_right && rb_vma(n->rb_right)->rb_subtree_gap >= need) {
			n = n->rb_right;
			continue;
		}
		if (vma_gap(vma) >= need)
			return vma;
		n = n->rb_left;		/* the maximum says it is there */
	}
	return NULL;
}

static bool range_free(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return start >= mm->user_lo && end <= mm->user_hi && end > start &&
	       (!vma || vma->vm_start >= end);
}

/* A free range of @len bytes, top-down; @hint first if it is free. */
static unsigned long get_unmapped_area(struct mm_struct *mm, unsigned long hint,
				       unsigned long len)
{
	unsigned long align = len >= PMD_SIZE ? PMD_SIZE : PAGE_SIZE;
	unsigned long need = len + align - PAGE_SIZE;
	struct vm_area_struct *last, *vma;
	unsigned long gap_end;

	if (len > mm->user_hi - mm->user_lo)
		return 0;
	hint &= PAGE_MASK;
	if (hint && hint + len > hint && range_free(mm, hint, hint + len))
		return hint;
	/* Above the last VMA first: the top of the range. */
	last = mm->mmap ? rb_vma(rb_last(&mm->mm_rb)) : NULL;
	gap_end = mm->user_hi;
	if (gap_end - (last ? last->vm_end : mm->user_lo) < need) {
		vma = rightmost_gap(mm, need);
		if (!vma)
			return 0;
		gap_end = vma->vm_start;
	}
	return (gap_end - len) & ~(align - 1);
}

/* ---- munmap ----------------------------------------------------------------- */

/* Unmap [@start, @end): split the VMAs at the ends, free everything. */
static int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start), *next;

	if (!vma || vma->vm_start >= end)
		return 0;
	if (vma->vm_start < start) {
		if (split_vma(mm, vma, start))
			return -ENOMEM;
		vma = vma->vm_next;
	}
	{
		struct vm_area_struct *last = find_vma(mm, end - 1);

		if (last && last->vm_start < end && last->vm_end > end &&
		    split_vma(mm, last, end))
			return -ENOMEM;
	}
	zap_page_range(mm, start, end);
	for (; vma && vma->vm_start < end; vma = next) {
		next = vma->vm_next;
		vma_account(mm, vma, -1);
		if (vma->vm_flags & VM_ACCOUNT)
			vm_unaccount(mm, (vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
		vma_unlink(mm, vma);
		vma_free(mm, vma);
	}
	free_pgtables(mm, start, end);
	return 0;
}

/* ---- The system calls -------------------------------------------------------- */

struct mm_struct *syscall_enter(const char *fn)
{
	struct mm_struct *mm = current_mm;

	if (unlikely(!machine_booted || !mm)) {
		__not_booted(fn);
		arch_set_errno(ENODEV);
		return NULL;
	}
	arch_signals_block();
	vma_spares_fill(mm);
	down_write(&mm->mmap_lock);
	return mm;
}

int syscall_exit(struct mm_struct *mm, int err)
{
	struct populate_req pr = mm->populate;
	struct vm_area_struct *vmas = mm->vma_dead;
	struct list_head pages;

	/* Take the deferred work off the mm while the hold keeps it ours. */
	mm->populate.mode = POPULATE_NONE;
	mm->vma_dead = NULL;
	INIT_LIST_HEAD(&pages);
	if (!list_empty(&mm->pages_dead)) {
		pages = mm->pages_dead;
		pages.next->prev = &pages;
		pages.prev->next = &pages;
		INIT_LIST_HEAD(&mm->pages_dead);
	}
	if (!err && pr.mode != POPULATE_NONE && pr.end > pr.start) {
		int perr;

		downgrade_write(&mm->mmap_lock);
		/* What MAP_FIXED replaced goes back before populating needs
		 * memory; freeing under a read hold is allowed. */
		free_deferred(vmas, &pages);
		vmas = NULL;
		perr = vma_walk(mm, pr.start, pr.end, populate_one, &pr);
		up_read(&mm->mmap_lock);
		if (pr.mode == POPULATE_MLOCK)	/* __mlock_posix_error_return() */
			err = perr == -EFAULT ? -ENOMEM : perr == -ENOMEM ? -EAGAIN : perr;
		else if (pr.mode == POPULATE_MADVISE)
			err = perr;
	} else {
		up_write(&mm->mmap_lock);
	}
	free_deferred(vmas, &pages);
	if (__atomic_load_n(&mm->nr_reserve, __ATOMIC_RELAXED) < FAULT_RESERVE)
		fault_reserve_refill(mm, GFP_KERNEL);
	arch_signals_unblock();
	if (!err)
		return 0;
	arch_set_errno(-err);
	return -1;
}

/*
 * Demand paging needs the kernel's SIGSEGV handler. A program that installs
 * its own after boot takes the page faults away from mmkit: its mappings
 * would fault forever or die. Say so, once per boot.
 */
static bool warned_handler;

static void warn_handler_replaced(void)
{
	if (warned_handler)
		return;
	warned_handler = true;
	pr_warn("mmkit: the program replaced mmkit's SIGSEGV handler after boot: user memory cannot be faulted in (install your handler before mmk_boot(); mmkit passes it the faults that are not its own)\n");
}

static unsigned long prot_to_vm(int prot)
{
	return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PROT_EXEC) ? VM_EXEC : 0) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
}

static long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long len,
		    int prot, int flags)
{
	unsigned long vm_flags = prot_to_vm(prot), pages = len >> PAGE_SHIFT;
	struct vm_area_struct *vma;
	int err;

	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr < mm->user_lo || addr > mm->user_hi || len > mm->user_hi - addr)
			return -ENOMEM;		/* beyond TASK_SIZE, as Linux */
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(mm, addr, addr + len))
			return -EEXIST;
	} else {
		addr = get_unmapped_area(mm, addr, len);
		if (!addr)
			return -ENOMEM;
	}
	if (flags & MAP_LOCKED)
		vm_flags |= VM_LOCKED;
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	else if (vm_flags & VM_WRITE)
		vm_flags |= VM_ACCOUNT;
	if ((vm_flags & VM_ACCOUNT) && vm_account(mm, pages))
		return -ENOMEM;
	/* MAP_FIXED replaces whatever was there. */
	err = do_munmap(mm, addr, addr + len);
	if (err)
		goto unaccount;
	vma = vma_alloc(mm);
	if (!vma) {
		err = -ENOMEM;
		goto unaccount;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma_link(mm, vma);
	vma_account(mm, vma, 1);
	vma = vma_merge(mm, vma, true);
	if (flags & (MAP_POPULATE | MAP_LOCKED))	/* as Linux: errors ignored */
		request_populate(mm, addr, addr + len, true, POPULATE_IGNORE);
	return (long)addr;
unaccount:
	if (vm_flags & VM_ACCOUNT)
		vm_unaccount(mm, pages);
	return err;
}

void *mmk_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct mm_struct *mm;
	unsigned long alen = (len + PAGE_SIZE - 1) & PAGE_MASK;
	long ret;
	int err = 0;

	/* prot is not checked: Linux's mmap ignores bits it does not know
	 * (its mprotect refuses them). */
	if (!(flags & MAP_ANONYMOUS))
		err = fd < 0 ? EBADF : ENODEV;	/* no file mappings in mmkit */
	else if (!len || (off & (off_t)~PAGE_MASK))
		err = EINVAL;
	else if ((flags & MAP_TYPE) != MAP_PRIVATE)
		err = EINVAL;			/* shared anonymous memory: not yet */
	else if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && ((uintptr_t)addr & ~PAGE_MASK))
		err = EINVAL;
	else if (!alen)
		err = ENOMEM;			/* len rounds past the end */
	else if (flags & MAP_HUGETLB)
		err = ENOMEM;			/* no hugetlb pages reserved */
	if (err) {
		arch_set_errno(err);
		return (void *)-1;
	}
	mm = syscall_enter(__func__);
	if (!mm)
		return (void *)-1;
	if (unlikely(!arch_fault_installed()))
		warn_handler_replaced();
	ret = do_mmap(mm, (unsigned long)addr, alen, prot, flags);
	if (syscall_exit(mm, ret < 0 ? (int)ret : 0))
		return (void *)-1;
	return (void *)ret;
}

int mmk_munmap(void *addr, size_t len)
{
	struct mm_struct *mm;
	unsigned long start = (unsigned long)addr;
	unsigned long alen = (len + PAGE_SIZE - 1) & PAGE_MASK;

	if ((start & ~PAGE_MASK) || !len || !alen) {
		arch_set_errno(EINVAL);
		return -1;
	}
	mm = syscall_enter(__func__);
	if (!mm)
		return -1;
	if (start < mm->user_lo || start + alen > mm->user_hi || start + alen < start)
		return syscall_exit(mm, -EINVAL);
	return syscall_exit(mm, do_munmap(mm, start, start + alen));
}

/* Linux's brk(): the heap VMA grows and shrinks with the break. */
static int do_brk(struct mm_struct *mm, unsigned long old, unsigned long new)
{
	unsigned long old_top = PAGE_ALIGN(old), new_top = PAGE_ALIGN(new);
	struct vm_area_struct *vma;

	if (new_top < old_top)
		return do_munmap(mm, new_top, old_top);
	if (new_top == old_top)
		return 0;
	if (!range_free(mm, old_top, new_top))
		return -ENOMEM;
	if (vm_account(mm, (new_top - old_top) >> PAGE_SHIFT))
		return -ENOMEM;
	vma = vma_alloc(mm);
	if (!vma) {
		vm_unaccount(mm, (new_top - old_top) >> PAGE_SHIFT);
		return -ENOMEM;
	}
	vma->vm_start = old_top;
	vma->vm_end = new_top;
	vma->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;
	vma_link(mm, vma);
	vma_account(mm, vma, 1);
	vma_merge(mm, vma, true);
	return 0;
}

void *mmk_sbrk(intptr_t increment)
{
	struct mm_struct *mm;
	unsigned long old, new;
	int err = 0;

	mm = syscall_enter(__func__);
	if (!mm)
		return (void *)-1;
	old = mm->brk;
	new = old + (unsigned long)increment;
	if (increment < 0 ? new > old || new < mm->start_brk
			  : new < old || new > mm->user_hi)
		err = -ENOMEM;
	else if (increment)
		err = do_brk(mm, old, new);
	if (!err)
		mm->brk = new;
	if (syscall_exit(mm, err ? -ENOMEM : 0))
		return (void *)-1;
	return (void *)old;
}

long mmk_follow_pfn(const void *addr)
{
	struct mm_struct *mm = current_mm;
	unsigned long a = (unsigned long)addr;
	pteval_t pte;

	if (!machine_booted || !mm || a < mm->user_lo || a >= mm->user_hi)
		return -1;
	arch_signals_block();
	down_read(&mm->mmap_lock);
	pte = follow_pte(mm, a);
	up_read(&mm->mmap_lock);
	arch_signals_unblock();
	return pte_present(pte) ? (long)pte_pfn(pte) : -1;
}

unsigned long mmk_zero_pfn(void)
{
	return zero_pfn;
}

/* ---- Boot and shutdown ------------------------------------------------------ */

int mm_user_init(void)
{
	struct mm_struct *mm;
	struct page *zero;
	void *base;
	int err;

	vm_area_cachep = kmem_cache_create("vm_area_struct", sizeof(struct vm_area_struct),
					   0, SLAB_HWCACHE_ALIGN, NULL);
	mm_cachep = kmem_cache_create("mm_struct", sizeof(struct mm_struct), 0,
				      SLAB_HWCACHE_ALIGN, NULL);
	if (!vm_area_cachep || !mm_cachep)
		goto nomem;
	mm = kmem_cache_zalloc(mm_cachep, GFP_KERNEL);
	zero = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!mm || !zero) {
		if (mm)
			kmem_cache_free(mm_cachep, mm);
		if (zero)
			__free_page(zero);
		goto nomem;
	}
	err = arch_vrange_reserve(USER_RANGE, PUD_SIZE, &base);
	if (err) {
		pr_err("mmkit: cannot reserve %llu GiB of address space for user memory: error %d\n",
		       USER_RANGE >> 30, -err);
		kmem_cache_free(mm_cachep, mm);
		__free_page(zero);
		return err;
	}
	init_rwsem(&mm->mmap_lock);
	mm->mm_rb = RB_ROOT;
	mm->user_lo = (unsigned long)base;
	mm->user_hi = mm->user_lo + USER_RANGE;
	mm->start_brk = mm->brk = mm->user_lo;
	for (int i = 0; i < PTL_HASH; i++)
		spin_lock_init(&mm->ptl[i]);
	spin_lock_init(&mm->spare_lock);
	INIT_LIST_HEAD(&mm->pages_dead);
	spin_lock_init(&mm->reserve_lock);
	if (pgtable_init(mm)) {
		arch_vrange_release(base, USER_RANGE);
		kmem_cache_free(mm_cachep, mm);
		__free_page(zero);
		goto nomem;
	}
	zero_pfn = page_to_pfn(zero);
	fault_reserve_refill(mm, GFP_KERNEL);
	__atomic_store_n(&current_mm, mm, __ATOMIC_RELEASE);
	return 0;
nomem:
	pr_err("mmkit: out of memory setting up the user address space\n");
	if (mm_cachep)
		kmem_cache_destroy(mm_cachep);
	if (vm_area_cachep)
		kmem_cache_destroy(vm_area_cachep);
	mm_cachep = vm_area_cachep = NULL;
	return -ENOMEM;
}

void mm_user_exit(void)
{
	struct mm_struct *mm = current_mm;

	if (!mm)
		return;
	arch_signals_block();
	down_write(&mm->mmap_lock);
	__atomic_store_n(&current_mm, NULL, __ATOMIC_RELEASE);
	do_munmap(mm, mm->user_lo, mm->user_hi);
	up_write(&mm->mmap_lock);
	arch_signals_unblock();
	pgtable_exit(mm);
	while (mm->nr_vma_spare)
		kmem_cache_free(vm_area_cachep, mm->vma_spare[--mm->nr_vma_spare]);
	free_deferred(mm->vma_dead, &mm->pages_dead);
	mm->vma_dead = NULL;
	fault_reserve_drain(mm);
	__free_page(pfn_to_page(zero_pfn));
	zero_pfn = 0;
	arch_vrange_release((void *)mm->user_lo, USER_RANGE);
	atomic_store(&vm_committed_as, 0);
	warned_handler = false;
	memset(mthp_stats, 0, sizeof(mthp_stats));
	memset(&fault_stats, 0, sizeof(fault_stats));
	kmem_cache_free(mm_cachep, mm);
	kmem_cache_destroy(mm_cachep);
	kmem_cache_destroy(vm_area_cachep);
	mm_cachep = vm_area_cachep = NULL;
}
