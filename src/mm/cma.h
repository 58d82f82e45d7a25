/* SPDX-License-Identifier: MIT */
/*
 * The CMA area's calls into boot, the page allocator's checker and the
 * reports (cma.c has the theory).
 */
#ifndef MMK_CMA_H
#define MMK_CMA_H

#include <stdio.h>

#include "internal.h"

#pragma GCC visibility push(hidden)

int cma_reserve(uint64_t bytes);	/* boot, before memblock_free_all() */
void cma_activate(void);		/* boot, after it */
bool pfn_in_cma(unsigned long pfn);
long cma_check(FILE *out);

#pragma GCC visibility pop

#endif
