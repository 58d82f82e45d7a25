// SPDX-License-Identifier: MIT
/*
 * mprotect: change the access a range of user memory allows, as Linux's
 * mm/mprotect.c. The VMAs of the range are split at its ends and given the
 * new permissions (merging again with equal neighbours); their PTEs are
 * rewritten, and the host mirror follows (memory.c, change_protection()).
 * Making private memory writable counts it in Committed_AS, as Linux does.
 */
#include <errno.h>

#include "mmap.h"

static int mprotect_one(struct mm_struct *mm, struct vm_area_struct *vma, void *ctx)
{
	unsigned long newflags = (vma->vm_flags & ~VM_ACCESS_FLAGS) | *(unsigned long *)ctx;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (newflags == vma->vm_flags)
		return 0;
	if ((newflags & VM_WRITE) && !(vma->vm_flags & (VM_ACCOUNT | VM_NORESERVE))) {
		if (vm_account(mm, pages))
			return -ENOMEM;
		newflags |= VM_ACCOUNT;
	}
	/* VmData counts private writable memory. */
	if ((newflags & VM_WRITE) != (vma->vm_flags & VM_WRITE))
		mm->data_vm += (newflags & VM_WRITE) ? pages : -pages;
	vma->vm_flags = newflags;
	return change_protection(mm, vma, vma->vm_start, vma->vm_end) ? -ENOMEM : 0;
}

int mmk_mprotect(void *addr, size_t len, int prot)
{
	struct mm_struct *mm;
	unsigned long start = (unsigned long)addr, end;
	unsigned long alen = (len + PAGE_SIZE - 1) & PAGE_MASK, vm;

	if ((start & ~PAGE_MASK) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) ||
	    (len && !alen)) {
		arch_set_errno(EINVAL);
		return -1;
	}
	end = start + alen;
	if (end < start) {
		arch_set_errno(ENOMEM);
		return -1;
	}
	if (!alen)
		return 0;
	vm = ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
	     ((prot & PROT_EXEC) ? VM_EXEC : 0);
	mm = syscall_enter(__func__);
	if (!mm)
		return -1;
	return syscall_exit(mm, vma_apply(mm, start, end, mprotect_one, &vm));
}
