// SPDX-License-Identifier: MIT
/*
 * The simulated process's view of its own memory: /proc/self/maps,
 * /proc/self/smaps_rollup and /proc/self/status in Linux 6.x's formats
 * (fs/proc/task_mmu.c, fs/proc/array.c), and mm_faults, a report of
 * mmkit's own about the fault path.
 *
 * What "the process" is. The host process that booted the machine is the
 * simulated process, but only its user range (mmap.c) belongs to the
 * simulation: the program's text, libraries, stack and malloc heap are the
 * host's, and mmkit neither sees nor counts them. So every number here is
 * about the memory the program got from mmk_mmap() and mmk_sbrk(): VmSize
 * is the size of those mappings, VmRSS the frames behind them, VmStk,
 * VmExe, VmLib and RssFile are 0, and maps lists only those mappings (as
 * the real file would for a process that had nothing else).
 *
 *   self/maps     one line per VMA: "start-end perms offset dev inode",
 *                 hex addresses of at least 8 digits, perms rwx and 'p'
 *                 (every mapping is private), offset 00000000, device
 *                 00:00 and inode 0 as Linux prints every anonymous
 *                 mapping (the offset comes from vm_pgoff only for a file),
 *                 then, for the heap, "[heap]" at column 73. Which VMA is
 *                 the heap follows Linux's vma_is_initial_heap() since 6.7:
 *                 one that overlaps [start_brk, brk).
 *   self/smaps_rollup
 *                 "[rollup]" over the range from the first VMA's start to
 *                 the last one's end, then the sums of smaps over every
 *                 VMA, from a walk of the page tables: each PTE that maps
 *                 a frame counts its page (Rss, Pss, Anonymous, dirty or
 *                 clean by the PTE's dirty bit, Referenced by its accessed
 *                 bit, Locked in a VM_LOCKED VMA). A zero PTE counts
 *                 nothing: Linux's vm_normal_page() has no page for the
 *                 zero pfn, so reading memory never raises Rss. Every
 *                 frame is mapped once (one process, no fork, no KSM), so
 *                 Pss equals Rss and nothing is Shared; large folios are
 *                 split and mapped by PTEs at once, so AnonHugePages is 0.
 *                 Swap is the pages of the process on swap (its swap PTEs,
 *                 mm->swapents: Linux's walk counts the same PTEs); each
 *                 slot is held by one PTE, so SwapPss equals Swap.
 *   self/status   Name, State, Tgid, Ngid, Pid, Kthread, the Vm and Rss
 *                 lines (VmSwap: the swap PTEs, MM_SWAPENTS), HugetlbPages,
 *                 CoreDumping, THP_enabled: the lines
 *                 of Linux's file that mmkit can fill truthfully, in its
 *                 order and spacing. Umask, PPid, TracerPid, Uid, Gid,
 *                 FDSize, Groups, the NS* lines, Threads and the signal,
 *                 capability and CPU lines describe the host process, which
 *                 mmkit cannot ask (only src/arch talks to the host), so
 *                 they are left out rather than made up.
 *   mm_faults     mmkit's: pgfault, pgmajfault, the zero-page and fault
 *                 path counters, and per anonymous folio size the thp_anon=
 *                 policy and Linux's per-size anon_fault_alloc and
 *                 anon_fault_fallback (/sys/kernel/mm/transparent_hugepage/
 *                 hugepages-<size>kB/), one "name value" pair a line.
 *
 * Locking: the VMAs and page tables are read under mmap_lock (read), with
 * the host's asynchronous signals blocked as every holder of it must. No
 * output is written while the lock is held: a fault taken on the FILE's
 * buffer (the program may put it in its user memory) would take the lock
 * again. The numbers are gathered first; maps is printed in batches of
 * VMAs, picking up after the last address printed, as Linux's seq_file
 * does.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "proc.h"
#include "../mm/mmap.h"
#include "../mm/vmstat.h"

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

/* A mapping that may be shared with other processes (Linux's value; mmkit
 * has no shared mappings yet, so every line reads 'p'). */
#ifndef VM_MAYSHARE
#define VM_MAYSHARE	0x00000080UL
#endif

/*
 * Linux's show_vma_header_prefix() sets the line's width to
 * 25 + sizeof(void *) * 6 - 1 before the name: seq_pad() fills up to it
 * and adds one space, so on 64-bit the name starts at column 73.
 */
#define MAPS_PAD_WIDTH	(25 + 8 * 6 - 1)

static void show_vma_header(FILE *m, unsigned long start, unsigned long end,
			    unsigned long flags, const char *name)
{
	char buf[128];
	int len;

	len = snprintf(buf, sizeof(buf), "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ",
		       start, end,
		       flags & VM_READ ? 'r' : '-',
		       flags & VM_WRITE ? 'w' : '-',
		       flags & VM_EXEC ? 'x' : '-',
		       flags & VM_MAYSHARE ? 's' : 'p',
		       0ULL, 0U, 0U, 0UL);
	fputs(buf, m);
	if (name)
		fprintf(m, "%*s%s", len < MAPS_PAD_WIDTH ? MAPS_PAD_WIDTH - len + 1 : 1, "",
			name);
	fputc('\n', m);
}

/*
 * Linux's vma_is_initial_heap() since "mm: fix VMA heap bounds checking"
 * (December 2023, 6.7): the VMA overlaps [start_brk, brk). Touching it is
 * not enough, so neither a mapping that starts at brk nor one at
 * start_brk while the heap is empty is "[heap]".
 */
static bool vma_is_initial_heap(const struct vm_area_struct *vma)
{
	const struct mm_struct *mm = vma->vm_mm;

	return vma->vm_start < mm->brk && vma->vm_end > mm->start_brk;
}

/* Take mmap_lock for reading, as the fault path does. */
static void mm_read_lock(struct mm_struct *mm)
{
	arch_signals_block();
	down_read(&mm->mmap_lock);
}

static void mm_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
	arch_signals_unblock();
}

/* ---- self/maps --------------------------------------------------------- */

#define MAPS_BATCH	64

struct maps_line {
	unsigned long start, end, flags;
	bool heap;
};

int proc_pid_maps_show(FILE *m)
{
	struct mm_struct *mm = current_mm;
	struct maps_line batch[MAPS_BATCH];
	unsigned long pos = 0;
	int n;

	if (!mm)
		return 0;	/* no mm: an empty file, as for a kernel thread */
	do {
		struct vm_area_struct *vma;

		n = 0;
		mm_read_lock(mm);
		for (vma = find_vma(mm, pos); vma && n < MAPS_BATCH; vma = vma->vm_next) {
			batch[n].start = vma->vm_start;
			batch[n].end = vma->vm_end;
			batch[n].flags = vma->vm_flags;
			batch[n].heap = vma_is_initial_heap(vma);
			n++;
		}
		mm_read_unlock(mm);
		for (int i = 0; i < n; i++)
			show_vma_header(m, batch[i].start, batch[i].end, batch[i].flags,
					batch[i].heap ? "[heap]" : NULL);
		if (n)
			pos = batch[n - 1].end;
	} while (n == MAPS_BATCH);
	return 0;
}

/* ---- self/smaps_rollup -------------------------------------------------- */

/*
 * Linux's struct mem_size_stats, in bytes. Linux keeps the Pss sums in
 * fixed point (PSS_SHIFT) to divide shared pages among their mappers;
 * here every page has one mapper, so its whole size is its Pss.
 */
struct mem_size_stats {
	unsigned long resident;
	unsigned long shared_clean, shared_dirty;
	unsigned long private_clean, private_dirty;
	unsigned long referenced, anonymous, ksm, lazyfree;
	unsigned long anonymous_thp, shmem_thp, file_thp;
	unsigned long shared_hugetlb, private_hugetlb;
	unsigned long swap, swap_pss;
	unsigned long pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked;
};

struct smaps_walk {
	struct mem_size_stats *mss;
	bool locked;		/* the VMA is VM_LOCKED */
};

/* Linux's smaps_pte_entry() and smaps_account() for one present PTE. */
static void smaps_pte_entry(unsigned long addr, pteval_t pte, void *ctx)
{
	struct smaps_walk *w = ctx;
	struct mem_size_stats *mss = w->mss;
	const unsigned long size = PAGE_SIZE;
	struct page *page;
	bool dirty = pte & _PAGE_DIRTY;

	(void)addr;
	/* vm_normal_page(): a special PTE (the zero page) has no page. */
	if (pte_special(pte) || pte_pfn(pte) == zero_pfn)
		return;
	page = page_of(pte_pfn(pte));

	if (PageAnon(page)) {
		mss->anonymous += size;
		/* LazyFree needs MADV_FREE's lazy state, which mmkit does not
		 * keep (it frees at once): an anonymous page is swap-backed. */
	}
	mss->resident += size;
	if (pte & _PAGE_ACCESSED)
		mss->referenced += size;

	/* Mapped exactly once: private, and all of it is this process's. */
	mss->pss += size;
	if (PageAnon(page))
		mss->pss_anon += size;
	else
		mss->pss_file += size;
	if (w->locked)
		mss->pss_locked += size;
	if (dirty) {
		mss->pss_dirty += size;
		mss->private_dirty += size;
	} else {
		mss->private_clean += size;
	}
}

/*
 * Linux's __show_smap() in rollup mode: each value in kB, 8 wide, after a
 * 16-character label (Private_Hugetlb's label is one longer and its value
 * one narrower, so the column holds).
 */
static void show_smap_rollup(FILE *m, const struct mem_size_stats *mss)
{
	static const struct {
		const char *label;
		size_t offset;
	} fields[] = {
#define F(label, field)	{ label, offsetof(struct mem_size_stats, field) }
		F("Rss:            ", resident),
		F("Pss:            ", pss),
		F("Pss_Dirty:      ", pss_dirty),
		F("Pss_Anon:       ", pss_anon),
		F("Pss_File:       ", pss_file),
		F("Pss_Shmem:      ", pss_shmem),
		F("Shared_Clean:   ", shared_clean),
		F("Shared_Dirty:   ", shared_dirty),
		F("Private_Clean:  ", private_clean),
		F("Private_Dirty:  ", private_dirty),
		F("Referenced:     ", referenced),
		F("Anonymous:      ", anonymous),
		F("KSM:            ", ksm),
		F("LazyFree:       ", lazyfree),
		F("AnonHugePages:  ", anonymous_thp),
		F("ShmemPmdMapped: ", shmem_thp),
		F("FilePmdMapped:  ", file_thp),
		F("Shared_Hugetlb: ", shared_hugetlb),
		F("Private_Hugetlb: ", private_hugetlb),
		F("Swap:           ", swap),
		F("SwapPss:        ", swap_pss),
		F("Locked:         ", pss_locked),
#undef F
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		unsigned long bytes = *(const unsigned long *)((const char *)mss +
							       fields[i].offset);
		int width = 24 - (int)strlen(fields[i].label);

		fprintf(m, "%s%*lu kB\n", fields[i].label, width, bytes >> 10);
	}
}

int proc_pid_smaps_rollup_show(FILE *m)
{
	struct mm_struct *mm = current_mm;
	struct mem_size_stats mss = { 0 };
	unsigned long vma_start = 0, last_vma_end = 0;
	struct vm_area_struct *vma;
	long swapents;

	if (!mm)
		return -ESRCH;	/* Linux: a task without an mm */
	mm_read_lock(mm);
	vma = mm->mmap;
	if (vma)
		vma_start = vma->vm_start;
	for (; vma; vma = vma->vm_next) {
		struct smaps_walk w = {
			.mss = &mss,
			.locked = vma->vm_flags & VM_LOCKED,
		};

		walk_ptes(mm, vma->vm_start, vma->vm_end, smaps_pte_entry, &w);
		last_vma_end = vma->vm_end;
	}
	/* Linux's smaps_pte_entry() adds PAGE_SIZE to swap for each swap
	 * PTE and PAGE_SIZE / swap count to swap_pss; one PTE per slot. */
	swapents = atomic_load(&mm->swapents);
	mss.swap = swapents > 0 ? (unsigned long)swapents * PAGE_SIZE : 0;
	mss.swap_pss = mss.swap;
	mm_read_unlock(mm);

	/* No VMA at all: Linux prints the range 0-0. */
	show_vma_header(m, vma_start, last_vma_end, 0, "[rollup]");
	show_smap_rollup(m, &mss);
	return 0;
}

/* ---- self/status ------------------------------------------------------- */

/* Linux's task_name(): the comm, with '\n' and '\\' escaped. */
static void show_task_name(FILE *m, const char *comm)
{
	fputs("Name:\t", m);
	for (const char *c = comm; *c; c++) {
		if (*c == '\n')
			fputs("\\n", m);
		else if (*c == '\\')
			fputs("\\\\", m);
		else
			fputc(*c, m);
	}
	fputc('\n', m);
}

struct task_mem_snapshot {
	unsigned long total_vm, hiwater_vm, locked_vm, data_vm;
	unsigned long anon, hiwater_rss, pgtables_bytes, swapents;
};

/* Linux's task_mem(): "Label:\t" then kB in 8 columns. */
static void show_task_mem(FILE *m, const struct task_mem_snapshot *s)
{
	const unsigned long file = 0, shmem = 0, stack_vm = 0, text = 0, lib = 0;
	const unsigned long pinned_vm = 0;
	unsigned long total_rss = s->anon + file + shmem;
	unsigned long hiwater_vm = s->hiwater_vm > s->total_vm ? s->hiwater_vm : s->total_vm;
	unsigned long hiwater_rss = s->hiwater_rss > total_rss ? s->hiwater_rss : total_rss;

	fprintf(m, "VmPeak:\t%8lu kB\n", K(hiwater_vm));
	fprintf(m, "VmSize:\t%8lu kB\n", K(s->total_vm));
	fprintf(m, "VmLck:\t%8lu kB\n", K(s->locked_vm));
	fprintf(m, "VmPin:\t%8lu kB\n", K(pinned_vm));
	fprintf(m, "VmHWM:\t%8lu kB\n", K(hiwater_rss));
	fprintf(m, "VmRSS:\t%8lu kB\n", K(total_rss));
	fprintf(m, "RssAnon:\t%8lu kB\n", K(s->anon));
	fprintf(m, "RssFile:\t%8lu kB\n", K(file));
	fprintf(m, "RssShmem:\t%8lu kB\n", K(shmem));
	fprintf(m, "VmData:\t%8lu kB\n", K(s->data_vm));
	fprintf(m, "VmStk:\t%8lu kB\n", K(stack_vm));
	fprintf(m, "VmExe:\t%8lu kB\n", text >> 10);
	fprintf(m, "VmLib:\t%8lu kB\n", lib >> 10);
	fprintf(m, "VmPTE:\t%8lu kB\n", s->pgtables_bytes >> 10);
	fprintf(m, "VmSwap:\t%8lu kB\n", K(s->swapents));
	/* hugetlb_report_usage(): no hugetlb pages exist. */
	fprintf(m, "HugetlbPages:\t%8lu kB\n", 0UL);
}

int proc_pid_status_show(FILE *m)
{
	struct mm_struct *mm = current_mm;
	int pid = arch_current_pid();

	show_task_name(m, arch_current_comm());
	/* The reader of its own status is running. */
	fputs("State:\tR (running)\n", m);
	fprintf(m, "Tgid:\t%d\n", pid);
	fputs("Ngid:\t0\n", m);			/* no NUMA balancing */
	fprintf(m, "Pid:\t%d\n", pid);		/* /proc/self: the group leader */
	fputs("Kthread:\t0\n", m);
	if (mm) {
		struct task_mem_snapshot s;

		mm_read_lock(mm);
		s.total_vm = mm->total_vm;
		s.hiwater_vm = mm->hiwater_vm;
		s.locked_vm = mm->locked_vm;
		s.data_vm = mm->data_vm;
		s.anon = (unsigned long)atomic_load(&mm->rss_anon);
		s.hiwater_rss = (unsigned long)atomic_load(&mm->hiwater_rss);
		s.pgtables_bytes = (unsigned long)atomic_load(&mm->pgtables_bytes);
		s.swapents = (unsigned long)atomic_load(&mm->swapents);
		mm_read_unlock(mm);
		show_task_mem(m, &s);
		fputs("CoreDumping:\t0\n", m);
		/* Linux's task_thp_status(): 1 unless the process disabled
		 * THP with prctl(), which mmkit has no way to do. */
		fputs("THP_enabled:\t1\n", m);
	}
	return 0;
}

/* ---- mm_faults (mmkit's own) --------------------------------------------- */

static const char *thp_anon_policy(unsigned int order)
{
	if (thp_orders_always & (1U << order))
		return "always";
	if (thp_orders_madvise & (1U << order))
		return "madvise";
	return "never";
}

int proc_mm_faults_show(FILE *m)
{
	unsigned long events[NR_VM_EVENT_ITEMS];
	long zero_ptes = 0;

	sum_vm_events(events);
	if (current_mm)
		zero_ptes = atomic_load(&current_mm->nr_zero_ptes);

	fputs("# mm_faults: mmkit's user-memory fault counters (an mmkit report, not a Linux file)\n",
	      m);
	fprintf(m, "pgfault %lu\n", events[PGFAULT]);
	fprintf(m, "pgmajfault %lu\n", events[PGMAJFAULT]);
	fprintf(m, "zero_page_read_faults %lu\n", atomic_load(&fault_stats.zero_fault));
	fprintf(m, "zero_page_ptes_installed %lu\n", atomic_load(&fault_stats.zero_mapped));
	fprintf(m, "zero_page_ptes_now %ld\n", zero_ptes);
	fprintf(m, "zero_page_ptes_replaced_by_write %lu\n",
		atomic_load(&fault_stats.zero_replaced));
	fprintf(m, "spurious_faults %lu\n", atomic_load(&fault_stats.spurious));
	fprintf(m, "atomic_context_faults %lu\n", atomic_load(&fault_stats.atomic));
	fprintf(m, "host_mapping_refusals %lu\n", atomic_load(&fault_stats.host_refused));
	/* The emulated young bit: touches of pages reclaim had aged. */
	fprintf(m, "young_bit_faults %lu\n", atomic_load(&fault_stats.young));
	fprintf(m, "swapin_from_swap %lu\n", atomic_load(&fault_stats.swapin_major));
	fprintf(m, "swapin_from_swap_cache %lu\n", atomic_load(&fault_stats.swapin_minor));
	/* Single pages, then each folio size thp_anon= can enable (Linux's
	 * hugepages-<size>kB/enabled and stats/anon_fault_*). */
	for (unsigned int order = 0; order <= MAX_ANON_ORDER; order++) {
		unsigned long kb = K(1UL << order);

		if (order == 1)
			continue;	/* anonymous folios skip order 1, as Linux's */
		if (order)
			fprintf(m, "thp_anon_%lukB %s\n", kb, thp_anon_policy(order));
		fprintf(m, "anon_fault_alloc_%lukB %lu\n", kb,
			atomic_load(&mthp_stats[order].anon_fault_alloc));
		fprintf(m, "anon_fault_fallback_%lukB %lu\n", kb,
			atomic_load(&mthp_stats[order].anon_fault_fallback));
	}
	return 0;
}
