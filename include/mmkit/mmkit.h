/* SPDX-License-Identifier: MIT */
/*
 * mmkit: the Linux kernel's memory allocators, running in user space on the
 * real MMU. This header boots and stops the simulated machine and reads its
 * /proc-style reports; <mmkit/linux.h> is the kernel API that runs on it.
 */
#ifndef MMKIT_MMKIT_H
#define MMKIT_MMKIT_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/*
 * Boot the machine. @cmdline is kernel-command-line style, space separated
 * key=value tokens (mem=, dma_zone=, kmalloc_max=, slub_debug=,
 * min_free_kbytes=, nopcp, swap=PATH:SIZE[:PRIO], cma=, vmalloc=, thp_anon=;
 * swap= may be given up to 8 times); NULL or "" boots the defaults.
 * Returns 0, -EINVAL for a bad token (named on stderr), -EBUSY when already
 * booted, or another -errno when the host refuses the machine's memory.
 */
int mmk_boot(const char *cmdline);

/* Stop the machine and give every host resource back; boot may follow. */
void mmk_shutdown(void);

/*
 * Write the report @name ("buddyinfo", "meminfo", ...) in the exact format of
 * the Linux /proc file of that name to @out. 0, or -ENOENT for a report this
 * build does not have.
 */
int mmk_report(const char *name, FILE *out);

/* mmkit additions. */

/*
 * Walk every allocator structure and verify its invariants (free lists,
 * buddy pairs, orders, zones, migrate types, counters). Problems are
 * described on @out (if not NULL); returns how many were found.
 * The machine must be quiescent: no other thread allocating or freeing.
 */
long mmk_check(FILE *out);

/* The command line the machine booted with, after defaults were applied. */
const char *mmk_boot_cmdline(void);

/*
 * Swap device fault injection (Linux's fail_make_request), for tests: the
 * next @count swap reads (@op MMK_SWAP_READ) or writes (MMK_SWAP_WRITE) on
 * every swap device fail with @error: -EIO, -ENOSPC, or MMK_SWAP_SHORT, a
 * transfer that stops half way. @count 0 disarms. 0, -ENODEV without swap,
 * -EINVAL for another @op or @error.
 */
#define MMK_SWAP_READ	0
#define MMK_SWAP_WRITE	1
#define MMK_SWAP_SHORT	1
int mmk_swap_inject(int op, int error, unsigned int count);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
