// SPDX-License-Identifier: MIT
/*
 * The OOM killer, and the allocations that fail without it.
 *
 * In children, each booting its own 32 MiB machine and writing a 128 MiB
 * MAP_NORESERVE mapping page by page:
 *   - without swap: the process dies by SIGKILL, after Linux's report:
 *     "<comm> invoked oom-killer: gfp_mask=...", the task table (header
 *     "[  pid  ]   uid  tgid total_vm      rss ... swapents oom_score_adj
 *     name" and the victim's line, with rss > 0 and swapents 0),
 *     "oom-kill:constraint=...", and "Out of memory: Killed process PID
 *     (comm) total-vm:..kB, anon-rss:..kB" with the child's own pid, a
 *     total-vm covering the mapping and an anon-rss no larger than RAM;
 *     nothing ran after the kill;
 *   - with a 16 MiB swap file: the same end once swap is full, and the
 *     task table shows the pages on swap (swapents > 0, at most the
 *     slots);
 *   - mlock of 64 MiB (twice RAM) without swap is refused with ENOMEM or
 *     EAGAIN, the process survives and no OOM report is printed.
 * In this process, without swap: kmalloc(64 KiB, GFP_KERNEL) until it fails
 * returns NULL (with a "page allocation failure" warning, no OOM report,
 * vmstat oom_kill 0) and the process lives on; freeing it all gives every
 * page back, and a kmalloc succeeds again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define WORKLOAD	(128UL << 20)

/* ---- Children ---------------------------------------------------------------- */

struct child_arg {
	const char *cmdline;
	bool mlock;
};

static void child(void *arg)
{
	const struct child_arg *c = arg;
	unsigned char *p;

	fprintf(stderr, "child pid %d\n", (int)getpid());
	if (mmk_boot(c->cmdline))
		_exit(20);
	if (c->mlock) {
		const size_t len = 64UL << 20;
		int r, e;

		p = mmk_mmap(NULL, len, RW, ANON | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			_exit(21);
		r = mmk_mlock(p, len);
		e = errno;
		fprintf(stderr, "mlock returned %d errno %d\n", r, e);
		if (r == 0)
			_exit(25);
		if (e != ENOMEM && e != EAGAIN)
			_exit(26);
		if (mmk_munmap(p, len))
			_exit(27);
		p = mmk_mmap(NULL, 16 * PG, RW, ANON, -1, 0);
		if (p == MAP_FAILED)
			_exit(28);
		memset(p, 1, 16 * PG);	/* still works */
		mmk_shutdown();
		_exit(0);
	}
	p = mmk_mmap(NULL, WORKLOAD, RW, ANON | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		_exit(21);
	for (size_t off = 0; off < WORKLOAD; off += PG)
		p[off] = (unsigned char)(off >> 12 | 1);
	fprintf(stderr, "still alive after writing 128 MiB\n");
	_exit(22);
}

/* The victim's line of the task table: its rss and swapents. */
static bool task_line(const char *out, int pid, long *rss, long *swapents)
{
	char *copy = strdup(out), *line, *save = NULL;
	bool found = false;

	REQUIRE(copy != NULL, "strdup");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok[16], *s2 = NULL, *t;
		int n = 0, lpid;

		if (sscanf(line, " [%d]", &lpid) != 1 || lpid != pid)
			continue;
		for (t = strtok_r(strchr(line, ']') + 1, " \t", &s2); t && n < 16;
		     t = strtok_r(NULL, " \t", &s2))
			tok[n++] = t;
		/* uid tgid total_vm rss ... swapents oom_score_adj name */
		if (n < 7)
			break;
		*rss = strtol(tok[3], NULL, 10);
		*swapents = strtol(tok[n - 3], NULL, 10);
		found = true;
		break;
	}
	free(copy);
	return found;
}

static void oom_child(const char *cmdline, long swap_slots, const char *what)
{
	struct child_arg c = { .cmdline = cmdline };
	const char *out, *m;
	int st, pid = -1;
	long rss = -1, swapents = -1;

	st = run_in_child(child, &c, &out);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "%s: the child dies by SIGKILL: status %#x (%s %d); output:\n%s", what, st,
	      WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
	      out);
	CHECK(strstr(out, "still alive") == NULL, "%s: nothing ran after the kill", what);
	m = strstr(out, "child pid ");
	REQUIRE(m && sscanf(m, "child pid %d", &pid) == 1, "%s: the child said its pid; output:\n%s",
		what, out);
	CHECK(strstr(out, "invoked oom-killer: gfp_mask=") != NULL,
	      "%s: 'invoked oom-killer: gfp_mask='; output:\n%s", what, out);
	CHECK(strstr(out, "Tasks state (memory values in pages):") != NULL,
	      "%s: the task table's title; output:\n%s", what, out);
	CHECK(strstr(out, "[  pid  ]   uid  tgid total_vm      rss") != NULL &&
	      strstr(out, "swapents oom_score_adj name") != NULL,
	      "%s: the task table's header; output:\n%s", what, out);
	CHECK(strstr(out, "oom-kill:constraint=") != NULL, "%s: the oom-kill line; output:\n%s", what,
	      out);
	m = strstr(out, "Out of memory: Killed process ");
	CHECK(m != NULL, "%s: 'Out of memory: Killed process'; output:\n%s", what, out);
	if (m) {
		int kpid = -1;
		unsigned long total_vm = 0, anon_rss = 0;
		const char *tv = strstr(m, "total-vm:"), *ar = strstr(m, "anon-rss:");

		sscanf(m, "Out of memory: Killed process %d", &kpid);
		CHECK(kpid == pid, "%s: the victim is the child, pid %d: %d", what, pid, kpid);
		CHECK(tv && sscanf(tv, "total-vm:%lukB", &total_vm) == 1 &&
		      total_vm >= WORKLOAD >> 10,
		      "%s: total-vm %lu kB covers the %lu kB mapping", what, total_vm, WORKLOAD >> 10);
		CHECK(ar && sscanf(ar, "anon-rss:%lukB", &anon_rss) == 1 && anon_rss > 0 &&
		      anon_rss <= 32UL << 10,
		      "%s: anon-rss %lu kB, above 0 and at most RAM", what, anon_rss);
	}
	CHECK(task_line(out, pid, &rss, &swapents), "%s: the task table has the child's line; output:\n%s",
	      what, out);
	CHECK(rss > 0 && rss <= (long)((32UL << 20) / PG), "%s: rss %ld pages in the task table", what,
	      rss);
	if (swap_slots)
		CHECK(swapents > 0 && swapents <= swap_slots,
		      "%s: swapents %ld: pages went to swap, at most its %ld slots", what, swapents,
		      swap_slots);
	else
		CHECK(swapents == 0, "%s: swapents %ld without swap", what, swapents);
}

static void mlock_child(void)
{
	struct child_arg c = { .cmdline = "mem=32M", .mlock = true };
	const char *out;
	int st = run_in_child(child, &c, &out);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "mlock of twice RAM fails with ENOMEM or EAGAIN and the process lives: status %#x; output:\n%s",
	      st, out);
	CHECK(strstr(out, "invoked oom-killer") == NULL, "no OOM kill for mlock; output:\n%s", out);
}

/* ---- kmalloc until it fails ---------------------------------------------------- */

static void kmalloc_until_null(void)
{
	const size_t size = 64UL << 10, max = (64UL << 20) / size;
	void **ptr = calloc(max, sizeof(*ptr));
	unsigned long free0;
	size_t n = 0;
	const char *out;
	void *again;

	REQUIRE(ptr != NULL, "calloc");
	REQUIRE(mmk_boot("mem=32M") == 0, "boot mem=32M");
	free0 = settled_free_pages();
	capture_start();
	while (n < max && (ptr[n] = kmalloc(size, GFP_KERNEL)) != NULL) {
		memset(ptr[n], (int)n, size);
		n++;
	}
	out = capture_end();
	CHECK(n < max, "kmalloc(64 KiB) failed before taking 64 MiB of a 32 MiB machine: %zu", n);
	CHECK(n > 0 && n * size >= (16UL << 20), "it gave most of RAM first: %zu KiB",
	      n * size >> 10);
	CHECK(strstr(out, "page allocation failure") != NULL,
	      "the failure warns 'page allocation failure'; output:\n%.2000s", out);
	CHECK(strstr(out, "invoked oom-killer") == NULL && strstr(out, "Out of memory") == NULL,
	      "a kernel allocation that fails invokes no OOM killer; output:\n%.2000s", out);
	CHECK(vmstat_get("oom_kill") == 0, "oom_kill %ld", vmstat_get("oom_kill"));
	for (size_t i = 0; i < n; i++) {
		const unsigned char *b = ptr[i];

		if (b[0] != (unsigned char)i || b[size - 1] != (unsigned char)i) {
			CHECK(false, "buffer %zu lost its bytes", i);
			break;
		}
		kfree(ptr[i]);
	}
	CHECK(settled_free_pages() == free0, "freeing it all gives every page back: %lu free, was %lu",
	      settled_free_pages(), free0);
	again = kmalloc(size, GFP_KERNEL);
	CHECK(again != NULL, "and kmalloc succeeds again");
	kfree(again);
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	free(ptr);
}

int main(void)
{
	char cmdline[1200];

	/* Children first: each boots its own machine. */
	oom_child("mem=32M", 0, "no swap");
	snprintf(cmdline, sizeof(cmdline), "mem=32M swap=%s:16M", test_tmp_path("swapfile"));
	oom_child(cmdline, (long)((16UL << 20) / PG - 1), "a 16 MiB swap file");
	mlock_child();

	kmalloc_until_null();
	harness_exit();
}
