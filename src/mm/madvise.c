// SPDX-License-Identifier: MIT
/*
 * madvise, as Linux's mm/madvise.c, for the advice that means something to
 * anonymous memory here:
 *
 *   MADV_DONTNEED         drop the pages: frames go back, the next access
 *                         finds the zero page (or a fresh frame) again;
 *   MADV_FREE             the same, at once (Linux frees lazily, under
 *                         memory pressure; dropping now is one of the
 *                         outcomes it allows);
 *   MADV_POPULATE_READ    fault the range in for reading (the zero page),
 *   MADV_POPULATE_WRITE   for writing (frames), without a trap per page;
 *   MADV_HUGEPAGE, MADV_NOHUGEPAGE   the VMA's folio policy (thp_anon=);
 *   MADV_NORMAL, RANDOM, SEQUENTIAL, WILLNEED   hints: accepted, no effect.
 *
 * Errors as Linux's: EINVAL for an unaligned start, unknown advice,
 * DONTNEED of locked memory, or populating without the permission; ENOMEM
 * if the range has holes (the mapped parts are still advised) or memory
 * runs out; EFAULT when populating hits what would be SIGBUS.
 */
#include <errno.h>

#include "mmap.h"
#include "swap.h"

struct madv {
	int advice;
};

static int madvise_one(struct mm_struct *mm, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end, void *ctx)
{
	struct madv *m = ctx;
	bool write = m->advice == MADV_POPULATE_WRITE;

	switch (m->advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
		if (vma->vm_flags & VM_LOCKED)
			return -EINVAL;
		zap_page_range(mm, start, end);
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		/* can_madv_lru_vma(): mlocked pages stay where they are.
		 * The work runs once the hold is a read hold. */
		if (vma->vm_flags & VM_LOCKED)
			return -EINVAL;
		return 0;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		/* Checked here, populated once the hold is a read hold. */
		if (!(vma->vm_flags & VM_ACCESS_FLAGS) || (write && !(vma->vm_flags & VM_WRITE)))
			return -EINVAL;
		return 0;
	}
	return 0;
}

static int madvise_thp(struct mm_struct *mm, struct vm_area_struct *vma, void *ctx)
{
	struct madv *m = ctx;

	(void)mm;
	if (m->advice == MADV_HUGEPAGE)
		vma->vm_flags = (vma->vm_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
	else
		vma->vm_flags = (vma->vm_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
	return 0;
}

int mmk_madvise(void *addr, size_t len, int advice)
{
	struct mm_struct *mm;
	struct madv m = { .advice = advice };
	unsigned long start = (unsigned long)addr, end;
	unsigned long alen = (len + PAGE_SIZE - 1) & PAGE_MASK;
	int err;

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED: case MADV_FREE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
	case MADV_POPULATE_READ: case MADV_POPULATE_WRITE: case MADV_COLD: case MADV_PAGEOUT:
		break;
	default:
		arch_set_errno(EINVAL);
		return -1;
	}
	end = start + alen;
	if ((start & ~PAGE_MASK) || (len && !alen) || end < start) {
		arch_set_errno(EINVAL);
		return -1;
	}
	if (end == start)
		return 0;
	mm = syscall_enter(__func__);
	if (!mm)
		return -1;
	if (advice == MADV_HUGEPAGE || advice == MADV_NOHUGEPAGE)
		err = vma_apply(mm, start, end, madvise_thp, &m);
	else
		err = vma_walk(mm, start, end, madvise_one, &m);
	if (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE)
		request_populate(mm, start, end, advice == MADV_POPULATE_WRITE, POPULATE_MADVISE);
	if (advice == MADV_COLD || advice == MADV_PAGEOUT)
		request_populate(mm, start, end, false,
				 advice == MADV_COLD ? POPULATE_COLD : POPULATE_PAGEOUT);
	return syscall_exit(mm, err);
}
