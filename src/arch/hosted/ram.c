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
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void arch_ram_prefault(uint64_t phys, size_t len)
{
	if (phys + len <= ram_bytes)
		(void)madvise((char *)ram_base + phys, len, MADV_POPULATE_WRITE);
}

/* For the DMA device: the bus is the memfd itself. */
int hosted_ram_fd(void);
uint64_t hosted_ram_bytes(void);

int hosted_ram_fd(void)
{
	return ram_fd;
}

uint64_t hosted_ram_bytes(void)
{
	return ram_bytes;
}

/* ---- Kernel virtual ranges: the hosted page-table writes ------------------ */

/*
 * A reserved range is one PROT_NONE, MAP_NORESERVE anonymous mapping: it
 * costs no memory and keeps the host from placing anything else there.
 *
 * Measured on the project's 2-core VM (see BENCHMARKS.md, vmalloc): mapping
 * over the middle of a large reserved mapping makes the host split it twice
 * (~2 us), while mapping exactly over an earlier mapping of the same range
 * costs what mapping into a hole does (~0.5 us). So arch_unmap_ram() revokes
 * access with mprotect(PROT_NONE), which keeps the host's mapping (and its
 * boundaries) for the next map of the same range; arch_vrange_reset() is the
 * real teardown, merging everything back into the reservation.
 */
#define RESERVE_FLAGS	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

int arch_vrange_reserve(uint64_t size, uint64_t align, void **base)
{
	size_t span = (size_t)(size + align);
	char *res = mmap(NULL, span, PROT_NONE, RESERVE_FLAGS, -1, 0);

	if (res == MAP_FAILED)
		return -errno;
	char *aligned = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));

	if (aligned > res)
		munmap(res, (size_t)(aligned - res));
	if (res + span > aligned + size)
		munmap(aligned + size, (size_t)(res + span - (aligned + size)));
	*base = aligned;
	return 0;
}

void arch_vrange_release(void *base, uint64_t size)
{
	munmap(base, (size_t)size);
}

static int host_prot(int prot)
{
	return ((prot & ARCH_PROT_READ) ? PROT_READ : 0) |
	       ((prot & ARCH_PROT_WRITE) ? PROT_WRITE : 0);
}

int arch_map_ram(void *va, uint64_t phys, size_t len, int prot)
{
	int flags = MAP_SHARED | MAP_FIXED;

	if (phys + len > ram_bytes)
		return -EINVAL;
	if (prot & ARCH_MAP_POPULATE)
		flags |= MAP_POPULATE;
	if (mmap(va, len, host_prot(prot), flags, ram_fd, (off_t)phys) == MAP_FAILED)
		return -errno;
	return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

int arch_map_zero(void *va, size_t len, int prot)
{
	if (mmap(va, len, host_prot(prot), RESERVE_FLAGS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -errno;
	/* Let the host install its zero page in every PTE now, with one call
	 * instead of one host fault per page. Kernels before 5.14 lack the
	 * advice; the host then faults the pages in as they are read. */
	if ((prot & ARCH_MAP_POPULATE) && (prot & ARCH_PROT_READ))
		(void)madvise(va, len, MADV_POPULATE_READ);
	return 0;
}

int arch_protect(void *va, size_t len, int prot)
{
	if (mprotect(va, len, host_prot(prot)) < 0)
		return -errno;
	return 0;
}

int arch_unmap_ram(void *va, size_t len)
{
	if (mprotect(va, len, PROT_NONE) == 0)
		return 0;
	/* mprotect can need a split the host refuses; the full reset merges
	 * instead, so it only fails if the host is out of memory itself. */
	return arch_vrange_reset(va, len);
}

int arch_vrange_reset(void *va, size_t len)
{
	if (mmap(va, len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

long arch_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

long arch_nr_host_mappings(void)
{
	char buf[65536];
	long n = 0;
	ssize_t got;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))); p++)
			n++;
	close(fd);
	return got < 0 ? -1 : n;
}

/*
 * /proc/self/maps, read without allocating: a line is at most a few hundred
 * bytes; one longer than the buffer (a very long path) is skipped.
 */
static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	for (;; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9') d = *s - '0';
		else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
		else break;
		x = x << 4 | (uint64_t)d;
	}
	*p = s;
	*v = x;
	return n > 0;
}

static void walk_maps_line(const char *line, uint64_t lo, uint64_t hi, ino_t ram_ino,
			   arch_mapping_fn fn, void *ctx)
{
	const char *p = line;
	uint64_t start, end, off, ino = 0;
	int prot = 0;
	enum arch_mapping_kind kind;

	if (!parse_hex(&p, &start) || *p++ != '-' || !parse_hex(&p, &end) || *p++ != ' ')
		return;
	if (end <= lo || start >= hi)
		return;
	if (p[0] == 'r') prot |= ARCH_PROT_READ;
	if (p[1] == 'w') prot |= ARCH_PROT_WRITE;
	p += 4;				/* "rwxp" */
	if (*p++ != ' ' || !parse_hex(&p, &off) || *p++ != ' ')
		return;
	while (*p && *p != ' ')		/* dev major:minor */
		p++;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		ino = ino * 10 + (uint64_t)(*p++ - '0');
	while (*p == ' ')
		p++;
	if (ino && ino == (uint64_t)ram_ino)
		kind = ARCH_MAPPING_RAM;
	else if (!ino && (*p == '\0' || *p == '\n'))
		kind = ARCH_MAPPING_ANON;
	else
		kind = ARCH_MAPPING_OTHER;
	fn(start, end, prot, kind, off, ctx);
}

int arch_walk_host_mappings(uint64_t lo, uint64_t hi, arch_mapping_fn fn, void *ctx)
{
	static char buf[16384];	/* the checker runs on a quiet machine */
	struct stat st;
	size_t have = 0;
	ssize_t got;
	int fd;

	if (ram_fd < 0 || fstat(ram_fd, &st) < 0)
		return -EINVAL;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += (size_t)got;
		buf[have] = '\0';
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			*nl = '\0';
			walk_maps_line(line, lo, hi, st.st_ino, fn, ctx);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		if (have == sizeof(buf) - 1)
			have = 0;	/* an overlong line: skip it */
		memmove(buf, line, have);
	}
	close(fd);
	return got < 0 ? -EIO : 0;
}

/* The direct map's base, for the block device's I/O (blockdev.c). */
void *hosted_ram_base(void);
void *hosted_ram_base(void)
{
	return ram_base;
}
