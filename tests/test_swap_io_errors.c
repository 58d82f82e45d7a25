// SPDX-License-Identifier: MIT
/*
 * Swap I/O errors lose nothing (mmk_swap_inject(), Linux's
 * fail_make_request), page by page (thp_anon=16K-2M:never) on a 64 MiB
 * machine with a 64 MiB swap file.
 *
 * Writes: with every swap write failing (-EIO, -ENOSPC, or a transfer that
 * stops half way), MADV_PAGEOUT still returns 0 and prints Linux's
 * "Write-error on swap-device (MAJ:MIN:SECTOR)", MAJ:MIN being the host
 * device holding the file and SECTOR a page-aligned sector inside it; the
 * frames are not freed (the pages stay mapped or in the swap cache, dirty),
 * reading them back reads nothing from the device (pswpin +0) and finds
 * every byte. After disarming, MADV_PAGEOUT writes them all (pswpout +N,
 * VmSwap N pages) and they read back intact. With a single failing write,
 * some pages fail, the rest go, nothing is lost, and the next MADV_PAGEOUT
 * puts everything on swap without a new error.
 *
 * Reads: a swapped-out page whose read fails (-EIO, -ENOSPC, half a
 * transfer) gives the touching thread SIGBUS, BUS_ADRERR, at the exact
 * address touched, for a read or a write access, with "Read-error on
 * swap-device (MAJ:MIN:SECTOR)"; the page stays on swap (not mapped,
 * VmSwap unchanged), a write that faulted did not land, and once the
 * injection is used up the page reads back intact. From a second thread
 * the signal goes to that thread. A child process without a SIGBUS handler
 * dies by SIGBUS (outside AddressSanitizer, which takes SIGBUS itself).
 *
 * mmk_swap_inject() refuses a bad op or error (-EINVAL) and a machine
 * without swap (-ENODEV). mmk_check() is clean after every step and every
 * slot is free after munmap. Each part boots afresh: the messages are
 * rate-limited as Linux's (ten per five seconds), and each boot starts a
 * new window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define N		64L
#define SWAP		(64UL << 20)

static const char *swap_path;
static unsigned char *p;		/* N pages */

static uint64_t pword(size_t page, size_t w, uint64_t tag)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (w * 0xff51afd7ed558ccdull) ^ tag;
}

static void fill(size_t first, size_t n, uint64_t tag)
{
	for (size_t pg = first; pg < first + n; pg++)
		for (size_t i = 0; i < PG / 8; i++)
			((uint64_t *)(p + pg * PG))[i] = pword(pg, i, tag);
}

static long damaged(size_t first, size_t n, uint64_t tag)
{
	long bad = 0;

	for (size_t pg = first; pg < first + n; pg++)
		for (size_t i = 0; i < PG / 8; i++)
			if (((const uint64_t *)(p + pg * PG))[i] != pword(pg, i, tag)) {
				bad++;
				break;
			}
	return bad;
}

static long mapped(size_t first, size_t n)
{
	return pages_mapped(p, first, n);
}

static long vmswap(void)
{
	return report_value("self/status", "VmSwap");
}

static const char *err_name(int err)
{
	return err == -EIO ? "-EIO" : err == -ENOSPC ? "-ENOSPC" : err == MMK_SWAP_SHORT ? "short" : "?";
}

/* @out has "@what (MAJ:MIN:SECTOR)" naming the swap file's device and a
 * page-aligned sector inside the file. */
static void check_io_message(const char *out, const char *what, const char *when)
{
	const char *m = strstr(out, what);
	unsigned int maj, min;
	unsigned long long sector;
	struct stat st;

	CHECK(m != NULL, "%s: '%s' is printed; got:\n%s", when, what, out);
	if (!m)
		return;
	REQUIRE(stat(swap_path, &st) == 0, "stat the swap file");
	CHECK(sscanf(m + strlen(what), " (%u:%u:%llu)", &maj, &min, &sector) == 3,
	      "%s: '%s (MAJ:MIN:SECTOR)'; got:\n%s", when, what, out);
	CHECK(maj == major(st.st_dev) && min == minor(st.st_dev),
	      "%s: the device %u:%u is the one holding the file, %u:%u", when, maj, min,
	      major(st.st_dev), minor(st.st_dev));
	CHECK(sector % (PG / 512) == 0 && sector >= PG / 512 && sector < SWAP / 512,
	      "%s: sector %llu is a page of the file past the header", when, sector);
}

/* ---- Writes ------------------------------------------------------------------- */

static void failing_writes(int err, uint64_t tag)
{
	long out0, in0, free0, free1;
	const char *out;
	char when[64];

	snprintf(when, sizeof(when), "swap writes failing with %s", err_name(err));
	fill(0, N, tag);
	CHECK(mmk_swap_inject(MMK_SWAP_WRITE, err, 1000) == 0, "%s: arm", when);
	free0 = (long)settled_free_pages();
	capture_start();
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT returns 0", when);
	out = capture_end();
	CHECK(mmk_swap_inject(MMK_SWAP_WRITE, err, 0) == 0, "%s: disarm", when);
	check_io_message(out, "Write-error on swap-device", when);
	free1 = (long)settled_free_pages();
	CHECK(free1 - free0 < N / 2, "%s: the frames are kept: free pages %+ld", when, free1 - free0);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the failed writes", when);

	in0 = vmstat_get("pswpin");
	CHECK(damaged(0, N, tag) == 0, "%s: %ld pages damaged", when, damaged(0, N, tag));
	CHECK(vmstat_get("pswpin") == in0, "%s: nothing was read from the device: pswpin %+ld", when,
	      vmstat_get("pswpin") - in0);
	CHECK(mapped(0, N) == N, "%s: every page mapped after reading", when);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after reading back", when);

	/* Disarmed: the same dirty pages go out now. */
	out0 = vmstat_get("pswpout");
	capture_start();
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "%s, then disarmed: MADV_PAGEOUT", when);
	out = capture_end();
	CHECK(strstr(out, "error") == NULL, "%s, then disarmed: no error; got:\n%s", when, out);
	CHECK(vmstat_get("pswpout") - out0 == N, "%s, then disarmed: pswpout %+ld, expected %ld",
	      when, vmstat_get("pswpout") - out0, N);
	CHECK(vmswap() == N * 4, "%s, then disarmed: VmSwap %ld kB, expected %ld", when, vmswap(),
	      N * 4);
	CHECK(mapped(0, N) == 0, "%s, then disarmed: nothing mapped", when);
	in0 = vmstat_get("pswpin");
	CHECK(damaged(0, N, tag) == 0, "%s, then disarmed: %ld pages damaged", when,
	      damaged(0, N, tag));
	CHECK(vmstat_get("pswpin") - in0 == N, "%s, then disarmed: pswpin %+ld", when,
	      vmstat_get("pswpin") - in0);
	CHECK(mmk_check(stderr) == 0, "%s: invariants at the end", when);
}

static void one_failing_write(uint64_t tag)
{
	const char *out;

	fill(0, N, tag);
	CHECK(mmk_swap_inject(MMK_SWAP_WRITE, -EIO, 1) == 0, "arm one failing write");
	capture_start();
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT with one failing write");
	out = capture_end();
	check_io_message(out, "Write-error on swap-device", "one failing write");
	CHECK(damaged(0, N, tag) == 0, "one failing write: %ld pages damaged", damaged(0, N, tag));
	CHECK(mmk_check(stderr) == 0, "one failing write: invariants");
	/* The injection is used up: everything goes out now. */
	capture_start();
	CHECK(mmk_madvise(p, N * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT after the one failing write");
	out = capture_end();
	CHECK(strstr(out, "error") == NULL, "after the one failing write: no error; got:\n%s", out);
	CHECK(vmswap() == N * 4, "after the one failing write: VmSwap %ld kB, expected %ld", vmswap(),
	      N * 4);
	CHECK(damaged(0, N, tag) == 0, "after the one failing write: %ld pages damaged",
	      damaged(0, N, tag));
	CHECK(mmk_check(stderr) == 0, "after the one failing write: invariants");
}

/* ---- Reads ---------------------------------------------------------------------- */

static pthread_t sigbus_thread;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe_armed) {
		static const char msg[] = "test_swap_io_errors: unexpected SIGBUS\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(97);
	}
	sigbus_thread = pthread_self();
	probe_caught(sig, si);
}

/* Touching @addr must give SIGBUS, BUS_ADRERR, at @addr. */
static void expect_sigbus(unsigned char *addr, bool write, const char *when)
{
	int sig = probe(addr, write, 0xee);

	CHECK(sig == SIGBUS, "%s: a %s of %p: SIGBUS expected, got signal %d", when,
	      write ? "write" : "read", (void *)addr, sig);
	if (sig == SIGBUS) {
		CHECK(probe_code == BUS_ADRERR, "%s: si_code %d, expected BUS_ADRERR", when,
		      (int)probe_code);
		CHECK(probe_addr == addr, "%s: si_addr %p, expected %p", when, probe_addr,
		      (void *)addr);
	}
}

/* One page on swap, its neighbours in memory (no readahead): its one read
 * fails. */
static void one_failing_read(size_t pg, bool write, uint64_t tag)
{
	long in0;
	const char *out;
	char when[64];

	snprintf(when, sizeof(when), "a failing read of page %zu (%s access)", pg,
		 write ? "write" : "read");
	CHECK(mmk_madvise(p + pg * PG, PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT", when);
	REQUIRE(mmk_follow_pfn(p + pg * PG) == -1 && vmswap() == 4, "%s: the page is on swap", when);
	CHECK(mmk_swap_inject(MMK_SWAP_READ, -EIO, 1) == 0, "%s: arm", when);
	capture_start();
	expect_sigbus(p + pg * PG + 100, write, when);
	out = capture_end();
	check_io_message(out, "Read-error on swap-device", when);
	CHECK(mmk_follow_pfn(p + pg * PG) == -1, "%s: the page stays on swap", when);
	CHECK(vmswap() == 4, "%s: VmSwap %ld kB, expected 4", when, vmswap());
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the error", when);
	in0 = vmstat_get("pswpin");
	CHECK(damaged(pg, 1, tag) == 0, "%s: the page reads back intact afterwards", when);
	CHECK(vmstat_get("pswpin") - in0 == 1, "%s: read from the device now: pswpin %+ld", when,
	      vmstat_get("pswpin") - in0);
	CHECK(damaged(0, N, tag) == 0, "%s: every page intact", when);
}

static void failing_reads(int err, uint64_t tag)
{
	char when[64];

	snprintf(when, sizeof(when), "swap reads failing with %s", err_name(err));
	CHECK(mmk_madvise(p + N / 2 * PG, N / 2 * PG, MADV_PAGEOUT) == 0, "%s: MADV_PAGEOUT", when);
	CHECK(vmswap() == N / 2 * 4, "%s: VmSwap %ld kB, expected %ld", when, vmswap(), N / 2 * 4);
	CHECK(mmk_swap_inject(MMK_SWAP_READ, err, 1000) == 0, "%s: arm", when);
	capture_start();
	expect_sigbus(p + (N / 2 + 9) * PG + 8, false, when);
	expect_sigbus(p + (N - 1) * PG, true, when);
	expect_sigbus(p + (N / 2) * PG + PG - 1, false, when);
	check_io_message(capture_end(), "Read-error on swap-device", when);
	CHECK(mmk_swap_inject(MMK_SWAP_READ, err, 0) == 0, "%s: disarm", when);
	CHECK(mmk_check(stderr) == 0, "%s: invariants after the errors", when);
	CHECK(damaged(0, N, tag) == 0, "%s: %ld pages damaged after disarming", when,
	      damaged(0, N, tag));
	CHECK(vmswap() == 0, "%s: all back: VmSwap %ld kB", when, vmswap());
}

static void *thread_touch(void *arg)
{
	expect_sigbus(arg, false, "a failing read in a second thread");
	return NULL;
}

static void read_error_in_thread(uint64_t tag)
{
	pthread_t th;

	CHECK(mmk_madvise(p + 5 * PG, PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
	CHECK(mmk_swap_inject(MMK_SWAP_READ, -EIO, 1) == 0, "arm");
	sigbus_thread = pthread_self();
	capture_start();
	REQUIRE(pthread_create(&th, NULL, thread_touch, p + 5 * PG) == 0, "pthread_create");
	pthread_join(th, NULL);
	check_io_message(capture_end(), "Read-error on swap-device", "a second thread");
	CHECK(pthread_equal(sigbus_thread, th), "SIGBUS went to the thread that touched the page");
	CHECK(damaged(0, N, tag) == 0, "a second thread's failed read: every page intact");
}

/* ---- In a child, without a handler ------------------------------------------------- */

static void child_unhandled(void *arg)
{
	const char *path = arg;
	char cmdline[1200];
	unsigned char *q;
	volatile unsigned char v;

	snprintf(cmdline, sizeof(cmdline), "mem=32M swap=%s:8M thp_anon=16K-2M:never", path);
	if (mmk_boot(cmdline))
		_exit(20);
	q = mmk_mmap(NULL, 16 * PG, RW, ANON, -1, 0);
	if (q == MAP_FAILED)
		_exit(21);
	memset(q, 0x5a, 16 * PG);
	if (mmk_madvise(q + 8 * PG, PG, MADV_PAGEOUT) || mmk_follow_pfn(q + 8 * PG) != -1)
		_exit(22);
	if (mmk_swap_inject(MMK_SWAP_READ, -EIO, 1))
		_exit(23);
	fprintf(stderr, "touching the page\n");
	v = q[8 * PG + 3];
	fprintf(stderr, "read %#x: no SIGBUS\n", v);
	_exit(24);
}

static void in_a_child(void)
{
	const char *out;
	int st;

	if (test_under_asan())	/* AddressSanitizer catches SIGBUS itself */
		return;
	st = run_in_child(child_unhandled, (void *)test_tmp_path("child-swapfile"), &out);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
	      "a child with no SIGBUS handler dies by SIGBUS: status %#x; output:\n%s", st, out);
	CHECK(strstr(out, "touching the page") != NULL && strstr(out, "Read-error on swap-device"),
	      "the child reported the read error; output:\n%s", out);
}

/* A fresh machine for each part: Linux rate-limits the error messages (ten
 * per five seconds, as printk_ratelimited), and each boot starts afresh. */
static void up(void)
{
	char cmdline[1200];

	snprintf(cmdline, sizeof(cmdline), "mem=64M swap=%s:64M thp_anon=16K-2M:never", swap_path);
	REQUIRE(mmk_boot(cmdline) == 0, "boot %s", cmdline);
	p = mmk_mmap(NULL, N * PG, RW, ANON, -1, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
}

static void down(const char *what)
{
	CHECK(mmk_check(stderr) == 0, "%s: invariants at the end", what);
	CHECK(mmk_munmap(p, N * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "%s: invariants after munmap", what);
	CHECK(meminfo_field_kb("SwapFree") == meminfo_field_kb("SwapTotal"),
	      "%s: every slot free after munmap: SwapFree %ld of %ld kB", what,
	      meminfo_field_kb("SwapFree"), meminfo_field_kb("SwapTotal"));
	mmk_shutdown();
}

int main(void)
{
	static const int errs[] = { -EIO, -ENOSPC, MMK_SWAP_SHORT };
	struct sigaction sa;
	uint64_t tag = test_seed();

	in_a_child();	/* before this process boots a machine of its own */

	REQUIRE(mmk_boot("mem=32M") == 0, "boot without swap");
	CHECK(mmk_swap_inject(MMK_SWAP_WRITE, -EIO, 1) == -ENODEV, "no swap: -ENODEV");
	mmk_shutdown();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGBUS, &sa, NULL) == 0, "SIGBUS handler");

	swap_path = test_tmp_path("swapfile");
	up();
	CHECK(mmk_swap_inject(2, -EIO, 1) == -EINVAL, "a bad op: -EINVAL");
	CHECK(mmk_swap_inject(MMK_SWAP_WRITE, -EPERM, 1) == -EINVAL, "a bad error: -EINVAL");
	CHECK(mmk_swap_inject(MMK_SWAP_READ, 0, 1) == -EINVAL, "error 0: -EINVAL");
	down("bad arguments");

	for (int i = 0; i < 3; i++) {
		up();
		failing_writes(errs[i], tag + 1 + (uint64_t)i);
		down("failing writes");
	}
	up();
	one_failing_write(tag + 4);
	down("one failing write");

	up();
	fill(0, N, tag + 5);
	one_failing_read(20, false, tag + 5);
	one_failing_read(21, true, tag + 5);
	down("one failing read");
	for (int i = 0; i < 3; i++) {
		up();
		fill(0, N, tag + 6 + (uint64_t)i);
		failing_reads(errs[i], tag + 6 + (uint64_t)i);
		down("failing reads");
	}
	up();
	fill(0, N, tag + 9);
	read_error_in_thread(tag + 9);
	down("a failing read in a second thread");
	harness_exit();
}
