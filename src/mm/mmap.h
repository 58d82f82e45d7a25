/* SPDX-License-Identifier: MIT */
/*
 * The user address space: the simulated process's mm_struct, its VMAs and
 * its page tables, shared by mmap.c (VMAs and the mapping system calls),
 * memory.c (page tables and page faults), mprotect.c, madvise.c, mlock.c
 * and the reports of src/proc/task_mmu.c.
 *
 * Vocabulary, besides mm_types.h's:
 *   user range  the host address space reserved at boot for the process's
 *               user memory ([user_lo, user_hi), TASK_SIZE's part here).
 *   VMA         a run of the user range with one set of permissions and
 *               flags (struct vm_area_struct), as in Linux.
 *   PTE         a page-table entry of the software page table: the truth
 *               about what a virtual page maps. The host's mapping of the
 *               same page is its mirror (DESIGN.md rule 3).
 *   zero PTE    a present, read-only, special PTE naming the zero page.
 */
#ifndef MMK_MMAP_H
#define MMK_MMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "internal.h"
#include "../lib/rbtree.h"
#include "../lib/rwsem.h"
#include "../lib/spinlock.h"

#pragma GCC visibility push(hidden)

/* The system calls' flags and advice are the host's, Linux's uapi values
 * (<sys/mman.h>, through the public header). */
#include <mmkit/mman.h>
#ifndef PROT_SEM
#define PROT_SEM	0x8	/* accepted and ignored, as on x86 */
#endif

#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)

/* ---- VMA flags (Linux's values) --------------------------------------- */

#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_LOCKED	0x00002000UL
#define VM_ACCOUNT	0x00100000UL	/* counted in Committed_AS */
#define VM_NORESERVE	0x00200000UL
#define VM_HUGEPAGE	0x20000000UL	/* MADV_HUGEPAGE */
#define VM_NOHUGEPAGE	0x40000000UL	/* MADV_NOHUGEPAGE */
#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)

struct mm_struct;

struct vm_area_struct {
	unsigned long vm_start;		/* first byte */
	unsigned long vm_end;		/* first byte after */
	unsigned long vm_flags;
	struct vm_area_struct *vm_next, *vm_prev;	/* address order */
	struct rb_node vm_rb;
	/* Largest free gap below a VMA of this subtree (gap_before). */
	unsigned long rb_subtree_gap;
	struct mm_struct *vm_mm;
};

/* ---- Page tables -------------------------------------------------------- */

/*
 * Four levels of 512 entries, indexed by the host virtual address as on
 * x86-64 (PGD bits 39-47, PUD 30-38, PMD 21-29, PTE 12-20). Every table is
 * one frame of simulated RAM, zeroed, counted in NR_PAGETABLE and in the
 * mm's pgtables_bytes (VmPTE). An entry of an upper level is the next
 * table's pfn << PAGE_SHIFT | _PAGE_TABLE. Entries are 64-bit words read
 * and written atomically; upper levels are filled with a compare-and-swap,
 * so walkers need no lock, and PTEs change under the PTE lock of their
 * table.
 */
typedef uint64_t pteval_t;

#define PTRS_PER_TABLE	512
#define PMD_SHIFT	21
#define PUD_SHIFT	30
#define PGDIR_SHIFT	39
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))

/* Bits of an entry, x86-64's. */
#define _PAGE_PRESENT	(1ULL << 0)
#define _PAGE_RW	(1ULL << 1)
#define _PAGE_USER	(1ULL << 2)
#define _PAGE_ACCESSED	(1ULL << 5)
#define _PAGE_DIRTY	(1ULL << 6)
#define _PAGE_PROTNONE	(1ULL << 8)	/* mapped, but the VMA is PROT_NONE */
#define _PAGE_SPECIAL	(1ULL << 9)	/* no struct page to count: the zero page */
#define _PAGE_PFN_MASK	0x000ffffffffff000ULL
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

static inline bool pte_none(pteval_t pte) { return pte == 0; }
static inline bool pte_present(pteval_t pte)
{
	return pte & (_PAGE_PRESENT | _PAGE_PROTNONE);
}
static inline bool pte_write(pteval_t pte) { return pte & _PAGE_RW; }
static inline bool pte_special(pteval_t pte) { return pte & _PAGE_SPECIAL; }
static inline unsigned long pte_pfn(pteval_t pte)
{
	return (unsigned long)((pte & _PAGE_PFN_MASK) >> PAGE_SHIFT);
}

/* ---- The process ---------------------------------------------------------- */

#define PTL_HASH	64	/* PTE locks, hashed by PTE table */
#define VMA_SPARES	4	/* VMAs one system call may need: two splits, a
				 * new one; a VMA merged away goes back here */

/* Populating a system call asks for, done after mmap_lock is downgraded;
 * MADV_COLD and MADV_PAGEOUT's reclaim runs there too. */
enum populate_mode { POPULATE_NONE, POPULATE_IGNORE, POPULATE_MLOCK, POPULATE_MADVISE,
		     POPULATE_COLD, POPULATE_PAGEOUT };
struct populate_req {
	unsigned long start, end;
	bool write;
	enum populate_mode mode;
};
#define FAULT_RESERVE	128	/* zeroed frames for faults in atomic context */
/* Room above the refill target, so that a fault giving back a frame it
 * took (a race lost) never has to free it: it may hold the allocator's
 * locks. */
#define FAULT_RESERVE_MAX (FAULT_RESERVE + 32)

struct mm_struct {
	struct rw_semaphore mmap_lock;	/* VMAs: faults read, syscalls write */
	struct rb_root mm_rb;		/* VMAs by address, gap-augmented */
	struct vm_area_struct *mmap;	/* the first VMA */
	int map_count;
	unsigned long user_lo, user_hi;	/* the user range */
	unsigned long start_brk, brk;	/* the heap: [start_brk, brk) */
	unsigned long pgd;		/* pfn of the top-level table */

	/* Page counts, in pages unless named bytes. */
	atomic_long rss_anon;		/* RssAnon: frames mapped */
	atomic_long nr_zero_ptes;	/* PTEs naming the zero page */
	atomic_long swapents;		/* VmSwap: swap PTEs (MM_SWAPENTS) */
	atomic_long pgtables_bytes;	/* VmPTE */
	atomic_long hiwater_rss;	/* VmHWM */
	unsigned long total_vm;		/* VmSize (under mmap_lock) */
	unsigned long hiwater_vm;	/* VmPeak */
	unsigned long locked_vm;	/* VmLck */
	unsigned long data_vm;		/* VmData: private writable */
	unsigned long committed;	/* pages this mm counts in Committed_AS */

	spinlock_t ptl[PTL_HASH];	/* PTE locks */

	/*
	 * A holder of mmap_lock for writing never waits for a kernel lock
	 * (a fault in atomic context may hold it and wait for mmap_lock):
	 * VMAs come from spares filled before the lock is taken, and what
	 * is freed waits on these lists until it is dropped (syscall_exit).
	 */
	spinlock_t spare_lock;
	unsigned int nr_vma_spare;
	struct vm_area_struct *vma_spare[VMA_SPARES];
	struct vm_area_struct *vma_dead;	/* chained by vm_next */
	struct list_head pages_dead;	/* runs: head page's lru, private = count */
	struct populate_req populate;

	/* Frames for faults taken while the thread held kernel locks. */
	spinlock_t reserve_lock;
	unsigned int nr_reserve;
	unsigned long reserve[FAULT_RESERVE_MAX];	/* pfns, zeroed */
};

/* Anonymous folios: orders 2 (16 KiB) to 9 (2 MiB, a PMD's worth). */
#define MAX_ANON_ORDER	9

struct mthp_stat {
	atomic_ulong anon_fault_alloc;		/* folios of this order mapped */
	atomic_ulong anon_fault_fallback;	/* tried, no free block */
};
extern struct mthp_stat mthp_stats[MAX_ANON_ORDER + 1];

/* mmkit's own fault counters (Linux has no zero-page counters). */
struct fault_stat {
	atomic_ulong zero_fault;	/* read faults served with the zero page */
	atomic_ulong zero_mapped;	/* zero PTEs those faults installed */
	atomic_ulong zero_replaced;	/* zero PTEs a first write replaced */
	atomic_ulong spurious;		/* faults on a page already mapped */
	atomic_ulong atomic;		/* faults taken with kernel locks held */
	atomic_ulong host_refused;	/* host mapping calls that failed */
	atomic_ulong young;		/* touches of pages reclaim had aged */
	atomic_ulong swapin_major;	/* swap-ins that read from swap */
	atomic_ulong swapin_minor;	/* swap-ins from the swap cache */
};
extern struct fault_stat fault_stats;

/* The simulated process: the host process that booted the machine. */
extern struct mm_struct *current_mm;
extern unsigned long zero_pfn;
extern atomic_long vm_committed_as;	/* meminfo's Committed_AS, pages */

/* thp_anon=: the anonymous folio orders enabled "always" / "madvise". */
extern unsigned int thp_orders_always, thp_orders_madvise;

/* ---- mmap.c ------------------------------------------------------------------ */

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* Split at @addr (inside @vma): @vma keeps [vm_start, addr). 0 or -ENOMEM. */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr);
/*
 * Call @fn on each VMA of [@start, @end), split so that it lies inside the
 * range, then merge it with its neighbours if @fn made their flags equal
 * (Linux's vma_modify()). -ENOMEM at a hole (the VMAs before it are done,
 * as in Linux), else @fn's first error.
 */
int vma_apply(struct mm_struct *mm, unsigned long start, unsigned long end,
	      int (*fn)(struct mm_struct *mm, struct vm_area_struct *vma, void *ctx),
	      void *ctx);
/*
 * Call @fn on the part of each VMA that lies in [@start, @end), without
 * splitting (madvise's walk): holes are skipped, and -ENOMEM is returned
 * at the end if there was one; @fn's first error stops the walk.
 */
int vma_walk(struct mm_struct *mm, unsigned long start, unsigned long end,
	     int (*fn)(struct mm_struct *mm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end, void *ctx),
	     void *ctx);
/* Free @nr frames at @pfn once mmap_lock is released (write holders). */
void defer_free_frames(struct mm_struct *mm, unsigned long pfn, unsigned long nr);
/* Ask the running system call to populate [@start, @end) after it drops
 * to a read hold of mmap_lock. */
void request_populate(struct mm_struct *mm, unsigned long start, unsigned long end,
		      bool write, enum populate_mode mode);
/* Overcommit accounting (Linux's heuristic mode): 0 or -ENOMEM. */
int vm_account(struct mm_struct *mm, unsigned long pages);
void vm_unaccount(struct mm_struct *mm, unsigned long pages);
/*
 * A user-memory system call runs between these two: async signals blocked
 * and mmap_lock held for writing. syscall_enter() returns the mm, or NULL
 * with errno set when no machine is booted; syscall_exit() undoes it and
 * turns @err (0 or -errno) into the host's convention: 0, or -1 with errno.
 */
struct mm_struct *syscall_enter(const char *fn);
int syscall_exit(struct mm_struct *mm, int err);

/* ---- memory.c --------------------------------------------------------------- */

/* The host protection a VMA allows (ARCH_PROT_*). */
int vma_host_prot(unsigned long vm_flags);
/* Fault in one page for a system call (MAP_POPULATE, mlock, MADV_POPULATE_*):
 * 0, -ENOMEM (no memory), -EFAULT (the host refused the mapping). Takes no
 * lock; the caller holds mmap_lock. */
int handle_mm_fault(struct mm_struct *mm, struct vm_area_struct *vma,
		    unsigned long addr, bool write, unsigned long *next);
/* Populate [@start, @end) of @vma (mmap_lock held for reading, never for
 * writing: this allocates); 0 or -errno. */
int populate_range(struct mm_struct *mm, struct vm_area_struct *vma,
		   unsigned long start, unsigned long end, bool write);
/* Unmap every page of [@start, @end) and free the frames (mmap_lock held
 * for writing). The host mirror goes first, then the frames. */
void zap_page_range(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Free the page tables that only served [@start, @end), now unmapped. */
void free_pgtables(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Re-mirror [@start, @end) of @vma after its flags changed (mprotect). */
int change_protection(struct mm_struct *mm, struct vm_area_struct *vma,
		      unsigned long start, unsigned long end);
/* Mark the frames of [@start, @end) mlocked or not. */
void mlock_range(struct mm_struct *mm, unsigned long start, unsigned long end, bool lock);
/* The PTE for @addr, 0 if none (no table). */
pteval_t follow_pte(struct mm_struct *mm, unsigned long addr);
/* Walk the present PTEs of [@start, @end): fn(addr, pte, ctx). */
void walk_ptes(struct mm_struct *mm, unsigned long start, unsigned long end,
	       void (*fn)(unsigned long addr, pteval_t pte, void *ctx), void *ctx);
int pgtable_init(struct mm_struct *mm);
void pgtable_exit(struct mm_struct *mm);
void fault_reserve_refill(struct mm_struct *mm, gfp_t gfp);
void fault_reserve_drain(struct mm_struct *mm);
enum arch_fault_result do_user_fault(struct mm_struct *mm, unsigned long addr,
				     unsigned int flags);

/* ---- The checker (mmap_check.c) --------------------------------------------- */

long mm_check(FILE *out);

#pragma GCC visibility pop

#endif
