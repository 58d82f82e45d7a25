// SPDX-License-Identifier: MIT
/*
 * The OOM killer.
 *
 * When a page fault needs a frame and reclaim can free none (no swap, swap
 * full, everything left unevictable), Linux picks the task whose death
 * frees the most memory, by its badness: resident pages plus swap entries
 * plus page tables, scaled by oom_score_adj, and kills it with SIGKILL.
 * mmkit's machine runs one process, so the choice is made for us: the
 * process is the victim. What remains is what a kernel engineer reads in
 * the log: Linux's report, line for line (the invoking allocation, the
 * memory summary, the task table, the kill), with mmkit's account of the
 * badness score, and then the kill.
 *
 * Allocations the kernel makes for itself (kmalloc, alloc_pages with
 * GFP_KERNEL) never get here: when reclaim fails they return NULL, as an
 * allocation that may fail must, and the caller copes.
 */
#include "swap.h"
#include "vmstat.h"

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

void out_of_memory(gfp_t gfp, unsigned int order, unsigned long addr)
{
	struct mm_struct *mm = current_mm;
	unsigned long rss = (unsigned long)atomic_load(&mm->rss_anon);
	unsigned long swapents = (unsigned long)atomic_load(&mm->swapents);
	unsigned long ptb = (unsigned long)atomic_load(&mm->pgtables_bytes);
	unsigned long totalpages = totalram_pages() + (unsigned long)total_swap_pages;
	unsigned long points = rss + swapents + ptb / PAGE_SIZE;
	unsigned long score = totalpages ? points * 1000 / totalpages : 0;
	const char *comm = arch_current_comm();
	int pid = arch_current_pid();
	unsigned int uid = arch_current_uid();
	char flags[256];

	pr_warn("%s invoked oom-killer: gfp_mask=%#x(%s), order=%u, oom_score_adj=0\n",
		comm, gfp, format_gfp(gfp, flags, sizeof(flags)), order);
	pr_warn("CPU: %d PID: %d Comm: %s\n", arch_smp_processor_id(), pid, comm);
	arch_dump_stack();	/* "Call Trace:" and the frames */
	show_free_areas();
	pr_info("Tasks state (memory values in pages):\n");
	pr_info("[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name\n");
	pr_info("[%7d] %5u %5d %8lu %8lu %8lu %8lu %9lu %8lu %8lu         %5d %s\n",
		pid, uid, pid, mm->total_vm, rss, rss, 0UL, 0UL, ptb, swapents, 0, comm);
	pr_info("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=%s,pid=%d,uid=%u\n",
		comm, pid, uid);
	pr_info("mmkit: the fault at %#lx needs a frame and reclaim freed none; badness of %s[%d] = rss %lu + swapents %lu + page tables %lu = %lu pages, oom_score %lu of 1000: it is the only process, so it is the victim\n",
		addr, comm, pid, rss, swapents, ptb / PAGE_SIZE, points, score);
	pr_err("Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:0kB, shmem-rss:0kB, UID:%u pgtables:%lukB oom_score_adj:%d\n",
		pid, comm, K(mm->total_vm), K(rss), uid, ptb >> 10, 0);
	count_vm_event(OOM_KILL);
	arch_kill_self();
}
