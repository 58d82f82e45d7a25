// SPDX-License-Identifier: MIT
/*
 * Hosted RAM: physical memory is an anonymous memfd (never a file in
 * /dev/shm), and the direct map is one MAP_SHARED, read-write, never
 * executable mapping of all of it. Physical address p is byte p of the memfd
 * and lives at base + p, so virt_to_phys is a subtraction, as on x86-64.
 *
 * The mapping is placed at an address aligned to @align (the largest buddy
 * block), so that a block of order n is aligned to 2^n pages virtually as
 * well as physically. A fresh memfd reads as zeros; boot relies on that to
 * leave untouched metadata in its all-zero initial state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../arch.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

static int ram_fd = -1;
static void *ram_base;
static uint64_t ram_bytes;

static int ram_memfd(void)
{
	int fd = memfd_create("mmkit-ram", MFD_CLOEXEC | MFD_NOEXEC_SEAL);

	if (fd < 0 && errno == EINVAL)	/* kernels before 6.3 */
		fd = memfd_create("mmkit-ram", MFD_CLOEXEC);
	return fd;
}

int arch_ram_init(uint64_t bytes, uint64_t align, void **base)
{
	int err;

	ram_fd = ram_memfd();
	if (ram_fd < 0) {
		err = -errno;
		fprintf(stderr, "mmkit: cannot create RAM: memfd_create: %s\n",
			strerror(errno));
		return err;
	}
	if (ftruncate(ram_fd, (off_t)bytes) < 0) {
		err = -errno;
		fprintf(stderr, "mmkit: cannot size RAM to %llu bytes: %s\n",
			(unsigned long long)bytes, strerror(errno));
		goto close_fd;
	}

	/* Reserve size + align of address space, then map RAM at the aligned
	 * point inside it and give back the slop on both sides. */
	size_t span = (size_t)(bytes + align);
	char *res = mmap(NULL, span, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "mmkit: cannot reserve %llu bytes of address space for the direct map: %s\n",
			(unsigned long long)span, strerror(errno));
		goto close_fd;
	}
	char *aligned = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	void *dm = mmap(aligned, (size_t)bytes, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_FIXED, ram_fd, 0);
	if (dm == MAP_FAILED) {
		err = -errno;
		fprintf(stderr, "mmkit: cannot map RAM as the direct map: %s\n",
			strerror(errno));
		munmap(res, span);
		goto close_fd;
	}
	if (aligned > res)
		munmap(res, (size_t)(aligned - res));
	if (res + span > aligned + bytes)
		munmap(aligned + bytes, (size_t)(res + span - (aligned + bytes)));

	ram_base = aligned;
	ram_bytes = bytes;
	*base = aligned;
	return 0;

close_fd:
	close(ram_fd);
	ram_fd = -1;
	return err;
}

void arch_ram_exit(void)
{
	if (ram_base)
		munmap(ram_base, (size_t)ram_bytes);
	if (ram_fd >= 0)
		close(ram_fd);
	ram_base = NULL;
	ram_bytes = 0;
	ram_fd = -1;
}
