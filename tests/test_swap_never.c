// SPDX-License-Identifier: MIT
/*
 * What reclaim never takes: kmalloc'd memory, vmalloc'd memory and mlocked
 * user pages stay where they are, with their bytes, while three times RAM
 * of other user memory goes through swap.
 *
 * A 32 MiB machine with a 128 MiB swap file. Before the pressure:
 *   - 64 kmalloc(64 KiB) buffers, each filled with a pattern, their
 *     physical addresses (virt_to_phys) noted;
 *   - a 2 MiB vmalloc buffer, filled, every page's pfn (vmalloc_to_pfn)
 *     noted;
 *   - 2 MiB of user memory, written, mlocked, every page's pfn
 *     (mmk_follow_pfn) noted; meminfo's Mlocked and Unevictable cover it.
 * Then 96 MiB of other user memory is written and read back (pswpout must
 * move: the pressure was real). Afterwards every kmalloc buffer, every
 * vmalloc page and every mlocked page has the same physical frame and the
 * same bytes, and Mlocked/Unevictable still cover the locked range.
 * MADV_PAGEOUT and MADV_COLD on the mlocked range fail with EINVAL (as
 * Linux) and move nothing. mmk_check() is clean at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define RAM		(32UL << 20)
#define NKMALLOC	64
#define KSIZE		(64UL << 10)
#define VSIZE		(2UL << 20)
#define LSIZE		(2UL << 20)

static void *kbuf[NKMALLOC];
static unsigned long kphys[NKMALLOC];
static void *vbuf;
static unsigned long vpfn[VSIZE / PG];
static unsigned char *locked;
static long lpfn[LSIZE / PG];

static void pin_down(void)
{
	for (int i = 0; i < NKMALLOC; i++) {
		kbuf[i] = kmalloc(KSIZE, GFP_KERNEL);
		REQUIRE(kbuf[i] != NULL, "kmalloc(64 KiB) #%d", i);
		obj_fill(kbuf[i], KSIZE, 0xc0ffee00ul + (unsigned long)i);
		kphys[i] = (unsigned long)virt_to_phys(kbuf[i]);
	}
	vbuf = vmalloc(VSIZE);
	REQUIRE(vbuf != NULL, "vmalloc 2 MiB");
	vfill(vbuf, VSIZE, 0x7e57);
	for (size_t i = 0; i < VSIZE / PG; i++)
		vpfn[i] = vmalloc_to_pfn((char *)vbuf + i * PG);

	locked = mmk_mmap(NULL, LSIZE, RW, ANON, -1, 0);
	REQUIRE(locked != MAP_FAILED, "mmap the range to lock");
	vfill(locked, LSIZE, 0x10c4);
	REQUIRE(mmk_mlock(locked, LSIZE) == 0, "mlock 2 MiB");
	for (size_t i = 0; i < LSIZE / PG; i++) {
		lpfn[i] = mmk_follow_pfn(locked + i * PG);
		CHECK(lpfn[i] > 0 && lpfn[i] != (long)mmk_zero_pfn(), "locked page %zu has a frame: %ld",
		      i, lpfn[i]);
	}
}

static void check_locked_counted(const char *when)
{
	long mlocked = meminfo_field_kb("Mlocked"), unevictable = meminfo_field_kb("Unevictable");

	CHECK(mlocked >= (long)(LSIZE >> 10), "%s: Mlocked %ld kB covers the %lu kB locked", when,
	      mlocked, LSIZE >> 10);
	CHECK(unevictable >= (long)(LSIZE >> 10), "%s: Unevictable %ld kB covers the %lu kB locked",
	      when, unevictable, LSIZE >> 10);
}

/* Same frames, same bytes. */
static void check_unmoved(const char *when)
{
	int moved = 0, damaged = 0;

	for (int i = 0; i < NKMALLOC; i++) {
		if ((unsigned long)virt_to_phys(kbuf[i]) != kphys[i] && moved++ < 5)
			fprintf(stderr, "%s: kmalloc buffer %d moved: %#lx -> %#lx\n", when, i, kphys[i],
				(unsigned long)virt_to_phys(kbuf[i]));
		if (obj_check(kbuf[i], KSIZE, 0xc0ffee00ul + (unsigned long)i) && damaged++ < 5)
			fprintf(stderr, "%s: kmalloc buffer %d damaged\n", when, i);
	}
	CHECK(moved == 0 && damaged == 0, "%s: kmalloc buffers: %d moved, %d damaged", when, moved,
	      damaged);

	moved = 0;
	for (size_t i = 0; i < VSIZE / PG; i++)
		moved += vmalloc_to_pfn((char *)vbuf + i * PG) != vpfn[i];
	CHECK(moved == 0, "%s: %d vmalloc pages have another frame", when, moved);
	CHECK(vcheck(vbuf, VSIZE, 0x7e57) == 0, "%s: the vmalloc buffer keeps its bytes", when);

	moved = 0;
	for (size_t i = 0; i < LSIZE / PG; i++)
		moved += mmk_follow_pfn(locked + i * PG) != lpfn[i];
	CHECK(moved == 0, "%s: %d mlocked pages have another frame (or none)", when, moved);
	CHECK(vcheck(locked, LSIZE, 0x10c4) == 0, "%s: the mlocked range keeps its bytes", when);
}

static void pressure(void)
{
	const size_t len = 3 * RAM, n = len / PG;
	long out0 = vmstat_get("pswpout");
	unsigned char *p = mmk_mmap(NULL, len, RW, ANON | MAP_NORESERVE, -1, 0);
	size_t bad = 0;

	REQUIRE(p != MAP_FAILED, "mmap 96 MiB");
	for (size_t i = 0; i < n; i++)
		memset(p + i * PG, (int)(i * 7 + 1) & 0xff, PG);
	for (size_t i = 0; i < n; i++)
		bad += p[i * PG] != (unsigned char)(i * 7 + 1) ||
		       p[i * PG + PG - 1] != (unsigned char)(i * 7 + 1);
	CHECK(bad == 0, "the other memory came back: %zu pages wrong", bad);
	CHECK(vmstat_get("pswpout") > out0, "the pressure was real: pswpout %+ld",
	      vmstat_get("pswpout") - out0);
	check_unmoved("under pressure");
	CHECK(mmk_munmap(p, len) == 0, "munmap");
}

static void no_pageout_of_locked(void)
{
	long out0 = vmstat_get("pswpout");

	errno = 0;
	CHECK(mmk_madvise(locked, LSIZE, MADV_PAGEOUT) == -1 && errno == EINVAL,
	      "MADV_PAGEOUT of an mlocked range: EINVAL (errno %d)", errno);
	errno = 0;
	CHECK(mmk_madvise(locked + PG, PG, MADV_PAGEOUT) == -1 && errno == EINVAL,
	      "MADV_PAGEOUT of one mlocked page: EINVAL (errno %d)", errno);
	errno = 0;
	CHECK(mmk_madvise(locked, LSIZE, MADV_COLD) == -1 && errno == EINVAL,
	      "MADV_COLD of an mlocked range: EINVAL (errno %d)", errno);
	CHECK(vmstat_get("pswpout") == out0, "nothing was written: pswpout %+ld",
	      vmstat_get("pswpout") - out0);
	CHECK(report_value("self/status", "VmSwap") == 0, "VmSwap %ld kB",
	      report_value("self/status", "VmSwap"));
	check_unmoved("after MADV_PAGEOUT of the locked range");
}

int main(void)
{
	const char *path = test_tmp_path("swapfile");
	char cmdline[1200];

	snprintf(cmdline, sizeof(cmdline), "mem=32M swap=%s:128M", path);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	pin_down();
	check_locked_counted("before the pressure");
	check_unmoved("before the pressure");
	pressure();
	check_locked_counted("after the pressure");
	check_unmoved("after the pressure");
	no_pageout_of_locked();
	check_locked_counted("at the end");
	CHECK(mmk_check(stderr) == 0, "invariants");

	CHECK(mmk_munmap(locked, LSIZE) == 0, "munmap the locked range");
	vfree(vbuf);
	for (int i = 0; i < NKMALLOC; i++)
		kfree(kbuf[i]);
	CHECK(meminfo_field_kb("Mlocked") == 0, "Mlocked 0 after munmap: %ld kB",
	      meminfo_field_kb("Mlocked"));
	CHECK(meminfo_field_kb("SwapFree") == meminfo_field_kb("SwapTotal"),
	      "every slot free at the end: SwapFree %ld of %ld kB", meminfo_field_kb("SwapFree"),
	      meminfo_field_kb("SwapTotal"));
	CHECK(mmk_check(stderr) == 0, "invariants after freeing everything");
	mmk_shutdown();
	harness_exit();
}
