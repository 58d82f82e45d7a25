// SPDX-License-Identifier: MIT
/*
 * Faults that are the program's, delivered as the host delivers them.
 *
 * With a SIGSEGV handler the program installed before mmk_boot():
 *   - an address of the user range in no mapping (a hole left by munmap,
 *     a gap far from any mapping): SEGV_MAPERR, si_addr the exact byte;
 *   - a write to a PROT_READ mapping, untouched or showing the zero page,
 *     and a read of PROT_NONE memory: SEGV_ACCERR, si_addr exact;
 *   - an address outside the user range that the host has not mapped
 *     either: the host's own SEGV_MAPERR, passed on unchanged;
 *   - none of it changes mmkit's state: AnonPages, page tables, free
 *     pages, the pages' pfns, not even vmstat's pgfault (Linux counts
 *     only the faults that reach handle_mm_fault()), and mmk_check() is
 *     clean;
 *   - a handler that itself touches fresh user memory gets its own page
 *     faults served (the page is there afterwards, one frame);
 *   - a handler that fixes the fault (mprotect) and returns lets the
 *     faulting write run again and succeed, as on the host.
 *
 * In children, each booting its own machine: without a handler the
 * process dies by SIGSEGV (a hole, a read-only mapping); with SIGSEGV
 * ignored a fault still kills it; an SA_RESETHAND handler runs once and
 * the second fault kills; out of memory in a fault meets the OOM killer:
 * the process dies by SIGKILL, which no handler can catch, after Linux's
 * "Out of memory: Killed process" report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG	((size_t)PAGE_SIZE)

/* ---- The program's handler ---------------------------------------------------- */

enum handler_mode {
	JUMP,		/* record and siglongjmp out */
	TOUCH,		/* write a fresh user page first, then jump */
	FIX,		/* mprotect the page writable and return */
};

static volatile sig_atomic_t probe_calls;
static volatile enum handler_mode mode;
static unsigned char *volatile touch_page;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_calls++;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	if (!probe_armed) {
		static const char msg[] = "test_user_signals: unexpected fault\n";

		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(97);
	}
	if (mode == FIX) {
		uintptr_t page = (uintptr_t)si->si_addr & ~(PG - 1);

		if (mmk_mprotect((void *)page, PG, RW))
			_exit(98);
		return;
	}
	if (mode == TOUCH) {
		for (size_t i = 0; i < PG; i += 512)
			touch_page[i] = (unsigned char)(i / 512 + 1);
	}
	probe_caught(sig, si);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		_exit(96);
}

/* ---- What must not change ------------------------------------------------------- */

struct state {
	long anon_kb, pt_kb, free;
	long pfn[8];
};

static void state_get(struct state *s, unsigned char *const pages[8])
{
	s->anon_kb = meminfo_field_kb("AnonPages");
	s->pt_kb = meminfo_field_kb("PageTables");
	s->free = (long)settled_free_pages();
	for (int i = 0; i < 8; i++)
		s->pfn[i] = pages[i] ? mmk_follow_pfn(pages[i]) : -2;
}

static void state_same(const struct state *a, unsigned char *const pages[8], const char *what)
{
	struct state b;

	state_get(&b, pages);
	CHECK(b.anon_kb == a->anon_kb, "%s: AnonPages %ld kB -> %ld kB", what, a->anon_kb, b.anon_kb);
	CHECK(b.pt_kb == a->pt_kb, "%s: PageTables %ld kB -> %ld kB", what, a->pt_kb, b.pt_kb);
	CHECK(b.free == a->free, "%s: free pages %ld -> %ld", what, a->free, b.free);
	for (int i = 0; i < 8; i++)
		CHECK(b.pfn[i] == a->pfn[i], "%s: page %d's pfn %ld -> %ld", what, i, a->pfn[i],
		      b.pfn[i]);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
}

/* ---- In this process --------------------------------------------------------------- */

static void delivered(void)
{
	unsigned char *rw = mmk_mmap(NULL, 4 * PG, RW, ANON, -1, 0);
	unsigned char *ro = mmk_mmap(NULL, 2 * PG, PROT_READ, ANON, -1, 0);
	unsigned char *none = mmk_mmap(NULL, PG, PROT_NONE, ANON, -1, 0);
	unsigned char *far, *pages[8];
	struct state s0;
	long faults0;

	REQUIRE(rw != MAP_FAILED && ro != MAP_FAILED && none != MAP_FAILED, "the mappings");
	rw[0] = 1;
	rw[3 * PG] = 3;
	CHECK(ro[PG + 5] == 0, "the read-only mapping's second page reads 0 (zero page)");
	CHECK(mmk_munmap(rw + PG, PG) == 0, "a hole at rw + 1 page");
	far = rw - (1UL << 30) + 123;	/* 1 GiB below: in the user range, in no mapping */
	pages[0] = rw;
	pages[1] = rw + 2 * PG;
	pages[2] = rw + 3 * PG;
	pages[3] = ro;
	pages[4] = ro + PG;
	pages[5] = none;
	pages[6] = NULL;
	pages[7] = NULL;
	state_get(&s0, pages);
	CHECK(s0.pfn[0] > 0 && s0.pfn[3] == -1 && s0.pfn[4] == (long)mmk_zero_pfn(),
	      "the starting pfns: %ld %ld %ld", s0.pfn[0], s0.pfn[3], s0.pfn[4]);

	mode = JUMP;
	faults0 = vmstat_get("pgfault");
	for (int round = 0; round < 3; round++) {
		expect_fault(rw + PG, true, SEGV_MAPERR, "write to a hole");
		expect_fault(rw + PG + 4095, false, SEGV_MAPERR, "read of a hole");
		expect_fault(far, true, SEGV_MAPERR, "write far from any mapping");
		expect_fault(far + 1, false, SEGV_MAPERR, "read far from any mapping");
		expect_fault(ro + 7, true, SEGV_ACCERR, "write to an untouched read-only page");
		expect_fault(ro + PG + 4095, true, SEGV_ACCERR, "write to a read-only zero page");
		expect_fault(none + 64, false, SEGV_ACCERR, "read of PROT_NONE");
		expect_fault(none + 65, true, SEGV_ACCERR, "write to PROT_NONE");
	}
	/* As in Linux, where such faults never reach handle_mm_fault(). */
	CHECK(vmstat_get("pgfault") == faults0, "the program's faults are not in pgfault: %+ld",
	      vmstat_get("pgfault") - faults0);
	state_same(&s0, pages, "after 24 of the program's faults");
	CHECK(rw[0] == 1 && rw[3 * PG] == 3, "the mapped pages keep their data");

	/* Not mmkit's range at all: the host's fault, passed on. */
	expect_fault((void *)24, false, SEGV_MAPERR, "read of address 24");
	state_same(&s0, pages, "after a fault outside the user range");

	/* A handler touching fresh user memory. */
	{
		unsigned char *fresh = mmk_mmap(NULL, 4 * PG, RW, ANON, -1, 0);
		long a0 = meminfo_field_kb("AnonPages");
		bool ok = true;

		REQUIRE(fresh != MAP_FAILED, "mmap");
		for (int i = 0; i < 4; i++) {
			touch_page = fresh + (size_t)i * PG;
			mode = TOUCH;
			expect_fault(i & 1 ? ro + 9 : rw + PG + 9, true, i & 1 ? SEGV_ACCERR : SEGV_MAPERR,
				     "a fault whose handler touches fresh memory");
			mode = JUMP;
		}
		for (int i = 0; i < 4; i++) {
			long pfn = mmk_follow_pfn(fresh + (size_t)i * PG);

			CHECK(pfn > 0 && pfn != (long)mmk_zero_pfn(),
			      "page %d written by the handler has a frame: %ld", i, pfn);
			for (size_t j = 0; j < PG; j += 512)
				ok &= fresh[(size_t)i * PG + j] == (unsigned char)(j / 512 + 1);
		}
		CHECK(ok, "the handler's writes are all there");
		CHECK(meminfo_field_kb("AnonPages") - a0 == 16, "4 pages: +%ld kB",
		      meminfo_field_kb("AnonPages") - a0);
		CHECK(mmk_munmap(fresh, 4 * PG) == 0, "munmap");
	}
	state_same(&s0, pages, "after the handler's own faults were given back");

	/* A handler that fixes the fault and returns: the write runs again. */
	{
		unsigned char *q = mmk_mmap(NULL, 2 * PG, PROT_READ, ANON, -1, 0);
		int calls;

		REQUIRE(q != MAP_FAILED, "mmap read-only");
		(void)*(volatile unsigned char *)q;	/* the zero page */
		mode = FIX;
		probe_calls = 0;
		probe_armed = 1;
		*(volatile unsigned char *)(q + 100) = 0x31;
		*(volatile unsigned char *)(q + PG + 200) = 0x32;
		probe_armed = 0;
		calls = probe_calls;
		mode = JUMP;
		CHECK(calls == 2, "the handler ran once per page: %d", calls);
		CHECK(probe_code == SEGV_ACCERR, "both were SEGV_ACCERR");
		CHECK(q[100] == 0x31 && q[PG + 200] == 0x32, "the retried writes landed");
		CHECK(mmk_follow_pfn(q) > 0 && mmk_follow_pfn(q) != (long)mmk_zero_pfn() &&
		      mmk_follow_pfn(q + PG) > 0, "both pages have frames now");
		CHECK(mmk_munmap(q, 2 * PG) == 0, "munmap");
	}
	state_same(&s0, pages, "at the end");
	CHECK(mmk_munmap(rw, 4 * PG) == 0 && mmk_munmap(ro, 2 * PG) == 0 && mmk_munmap(none, PG) == 0,
	      "munmap");
}

/* ---- In children --------------------------------------------------------------------- */

enum child_case { HOLE, READONLY, IGNORED, RESETHAND, OOM, OOM_HANDLER };

static sigjmp_buf child_env;
static volatile sig_atomic_t child_calls;

static void child_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	child_calls++;
	siglongjmp(child_env, 1);
}

/* A SIGBUS handler in the OOM child: it must never run (exit 40/41 would
 * say it did), since the OOM killer's SIGKILL ends the process. */
static unsigned char *volatile oom_base;
static size_t oom_len;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	unsigned char *a = si->si_addr;

	(void)sig;
	(void)uc;
	_exit(si->si_code == BUS_ADRERR && a >= oom_base && a < oom_base + oom_len ? 40 : 41);
}

static void child(void *arg)
{
	enum child_case c = (enum child_case)(intptr_t)arg;
	unsigned char *p;

	if (c == IGNORED)
		signal(SIGSEGV, SIG_IGN);
	if (c == RESETHAND)
		install(SIGSEGV, child_handler, SA_RESETHAND);
	if (c == OOM_HANDLER)
		install(SIGBUS, sigbus_handler, 0);
	if (mmk_boot(c >= OOM ? "mem=32M" : "mem=64M thp_anon=16K-2M:never"))
		_exit(20);
	if (c >= OOM) {
		size_t len = 256UL << 20;

		p = mmk_mmap(NULL, len, RW, ANON | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			_exit(21);
		oom_base = p;
		oom_len = len;
		for (size_t off = 0; off < len; off += PG)
			p[off] = 1;
		_exit(22);	/* 256 MiB cannot fit in 32 */
	}
	p = mmk_mmap(NULL, 3 * PG, c == READONLY ? PROT_READ : RW, ANON, -1, 0);
	if (p == MAP_FAILED || mmk_munmap(p + PG, PG))
		_exit(23);
	if (c == RESETHAND) {
		if (!sigsetjmp(child_env, 1))
			p[PG] = 1;
		fprintf(stderr, "handler ran %d times\n", (int)child_calls);
	}
	if (c == READONLY)
		p[0] = 1;
	else
		p[PG + 5] = 1;
	_exit(24);		/* still alive: the fault did not kill */
}

static void in_children(void)
{
	static const struct { enum child_case c; int sig; const char *what; } cases[] = {
		{ HOLE, SIGSEGV, "a write to a hole, no handler" },
		{ READONLY, SIGSEGV, "a write to a read-only mapping, no handler" },
		{ IGNORED, SIGSEGV, "a fault with SIGSEGV ignored" },
		{ RESETHAND, SIGSEGV, "the second fault with an SA_RESETHAND handler" },
		{ OOM, SIGKILL, "out of memory in a fault" },
		{ OOM_HANDLER, SIGKILL, "out of memory in a fault, with a SIGBUS handler" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *out;
		int st;

		st = run_in_child(child, (void *)(intptr_t)cases[i].c, &out);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig,
		      "%s: killed by signal %d expected; status %#x (%s %d); output:\n%s", cases[i].what,
		      cases[i].sig, st, WIFSIGNALED(st) ? "signal" : "exit",
		      WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), out);
		CHECK(strstr(out, "BUG:") == NULL && strstr(out, "Oops") == NULL,
		      "%s: the program's fault is no kernel oops; output:\n%s", cases[i].what, out);
		if (cases[i].c == RESETHAND)
			CHECK(strstr(out, "handler ran 1 times") != NULL,
			      "the SA_RESETHAND handler ran once; output:\n%s", out);
		if (cases[i].c >= OOM)
			CHECK(strstr(out, "Out of memory: Killed process") != NULL, "the OOM is reported; output:\n%s",
			      out);
	}
}

int main(void)
{
	in_children();	/* before this process boots: children boot their own */

	install(SIGSEGV, handler, 0);
	REQUIRE(mmk_boot("mem=256M thp_anon=16K-2M:never") == 0, "boot");
	delivered();
	CHECK(meminfo_field_kb("AnonPages") == 0, "AnonPages back to 0: %ld",
	      meminfo_field_kb("AnonPages"));
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();

	/* Once more with large folios: the same delivery. */
	REQUIRE(mmk_boot("mem=256M") == 0, "boot with large folios");
	delivered();
	CHECK(meminfo_field_kb("AnonPages") == 0, "AnonPages back to 0: %ld",
	      meminfo_field_kb("AnonPages"));
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
