/* SPDX-License-Identifier: MIT */
/*
 * The user-memory system calls of mmkit's kernel, for the calling host
 * process, which is the simulated process. They behave as Linux's mmap(2)
 * family, with the host's flags and errno values; the memory they return is
 * ordinary memory to the program (loads and stores just work) whose pages
 * mmkit's own page faults back: the zero page until written, then frames
 * of the simulated RAM.
 *
 * Supported: anonymous private mappings (MAP_PRIVATE | MAP_ANONYMOUS, with
 * MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE);
 * mprotect; madvise's MADV_DONTNEED, MADV_FREE (freed at once),
 * MADV_POPULATE_READ/WRITE, MADV_HUGEPAGE/NOHUGEPAGE and the hints that
 * need no action; mlock/munlock; sbrk. File and shared mappings fail with
 * ENODEV and EINVAL. Every call returns -1 (MAP_FAILED for mmk_mmap) with
 * errno set on error, as the host's does.
 *
 * User memory is demand-paged through SIGSEGV: a thread that blocks
 * SIGSEGV cannot fault pages in, and a host system call that writes into a
 * page not yet written returns EFAULT (fault it in first, for example with
 * MADV_POPULATE_WRITE).
 */
#ifndef MMKIT_MMAN_H
#define MMKIT_MMAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

void *mmk_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int   mmk_munmap(void *addr, size_t len);
int   mmk_mprotect(void *addr, size_t len, int prot);
int   mmk_madvise(void *addr, size_t len, int advice);
int   mmk_mlock(const void *addr, size_t len);
int   mmk_munlock(const void *addr, size_t len);
void *mmk_sbrk(intptr_t increment);
/* The pfn mapped at @addr (the zero page's for a page only read), or -1 if
 * nothing is mapped there. Never faults. */
long  mmk_follow_pfn(const void *addr);
/* The pfn of the shared zero page. */
unsigned long mmk_zero_pfn(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
