/* SPDX-License-Identifier: MIT */
/*
 * struct page and struct list_head, public as in Linux, so that code written
 * for the kernel can do page arithmetic (page + i, nth page of a block).
 * The fields belong to the allocator while a page is free and to its owner
 * while it is allocated; src/mm/mm_types.h documents both.
 */
#ifndef MMKIT_MM_TYPES_H
#define MMKIT_MM_TYPES_H

#include <stdatomic.h>
#include <stdint.h>

struct list_head {
	struct list_head *next, *prev;
};

struct page {
	unsigned long flags;
	union {
		struct list_head lru;
		struct {			/* compound tail pages */
			unsigned long compound_head;	/* head | 1 */
			unsigned long __tail_pad;
		};
	};
	void *mapping;
	unsigned long index;
	unsigned long private;
	atomic_int _refcount;
	uint8_t pg_state;	/* enum page_state */
	uint8_t pg_order;	/* order of the block this page heads */
	uint8_t pg_alloc_mt;	/* migrate type the allocation asked for */
	uint8_t __pad;
};

#endif
