// SPDX-License-Identifier: MIT
/*
 * The page-fault entry: every access the MMU refuses arrives here, from the
 * arch layer's trap, in signal context on the faulting thread.
 *
 * Today the kernel's own ranges are the only ones that can fault: the
 * vmalloc range, where nothing is mapped on demand, so a fault there is a
 * kernel bug (an overrun into a guard page, a use after vfree) and ends in
 * an oops. Faults anywhere else belong to the program and are passed on as
 * the host would deliver them. Demand paging of user memory (the zero
 * page, first writes, copy-on-write, swap-in) enters through here too.
 *
 * Signal context rules: no lock that the interrupted code could hold is
 * taken unconditionally, nothing is allocated.
 */
#include "internal.h"
#include "vmalloc.h"

static enum arch_fault_result do_kernel_fault(unsigned long addr, unsigned int flags)
{
	if (vmalloc_addr_in_range(addr)) {
		vmalloc_fault_report(addr, flags);
		return ARCH_FAULT_OOPS;
	}
	return ARCH_FAULT_NOT_OURS;
}

int fault_init(void)
{
	return arch_fault_init(do_kernel_fault);
}

void fault_exit(void)
{
	arch_fault_exit();
}
