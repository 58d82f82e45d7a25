// SPDX-License-Identifier: MIT
/*
 * mlock and munlock, as Linux's mm/mlock.c: the VMAs of the range get (or
 * lose) VM_LOCKED, their present frames are marked PG_mlocked and counted
 * in Mlocked, and a locked range is populated at once (written pages for a
 * writable mapping, so that nothing is left to fault in later). Pages
 * faulted into a locked VMA later are mlocked as they are mapped. Reclaim
 * (a later issue) never takes an mlocked page.
 *
 * Not modelled: RLIMIT_MEMLOCK (the simulated process may lock all of its
 * memory, as one with CAP_IPC_LOCK may).
 */
#include <errno.h>

#include "mmap.h"

static int mlock_one(struct mm_struct *mm, struct vm_area_struct *vma, void *ctx)
{
	bool lock = *(bool *)ctx;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (lock != !!(vma->vm_flags & VM_LOCKED)) {
		if (lock)
			vma->vm_flags |= VM_LOCKED;
		else
			vma->vm_flags &= ~VM_LOCKED;
		mm->locked_vm += lock ? pages : -pages;
		mlock_range(mm, vma->vm_start, vma->vm_end, lock);
	}
	return 0;
}

static int do_mlock(const void *addr, size_t len, bool lock, const char *fn)
{
	struct mm_struct *mm;
	unsigned long start = (unsigned long)addr & PAGE_MASK;
	unsigned long end = ((unsigned long)addr + len + PAGE_SIZE - 1) & PAGE_MASK;
	int err;

	if (end < start || (unsigned long)addr + len < (unsigned long)addr) {
		arch_set_errno(EINVAL);		/* the range wraps */
		return -1;
	}
	if (end == start)
		return 0;
	mm = syscall_enter(fn);
	if (!mm)
		return -1;
	err = vma_apply(mm, start, end, mlock_one, &lock);
	/* Populated once the hold is a read hold; a range that cannot be
	 * faulted in (PROT_NONE, a host refusal) fails ENOMEM, a lack of
	 * memory EAGAIN, and the VMAs stay locked either way (Linux's
	 * __mlock_posix_error_return()). */
	if (lock)
		request_populate(mm, start, end, true, POPULATE_MLOCK);
	return syscall_exit(mm, err);
}

int mmk_mlock(const void *addr, size_t len)
{
	return do_mlock(addr, len, true, __func__);
}

int mmk_munlock(const void *addr, size_t len)
{
	return do_mlock(addr, len, false, __func__);
}
