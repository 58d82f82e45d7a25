// SPDX-License-Identifier: MIT
/*
 * vmalloc's bad input: every misuse is a clear report and no corruption.
 *
 * In-process (the report is captured and the machine checked after each):
 * vfree twice (before and after the purge), vfree of a pointer inside an
 * area or not page aligned, vfree of a kmalloc or a stack pointer, vfree of
 * a range address no area starts at, vunmap of a vmalloc() area (a warning,
 * then it is freed) and vfree of a vmap() area (unmapped quietly; the pages
 * stay the caller's), vmap of a free page or of a pointer that is no
 * struct page (refused). After each, the live vmalloc areas, page blocks and
 * kmalloc objects kept across the call are unchanged, nr_vmalloc is what it
 * was, and mmk_check() is clean.
 *
 * In children, each with its own machine (RAM is a shared memfd, so a child
 * must not touch its parent's): a write to the guard page right after an
 * area, 100 bytes into it, and a read of it, each die by SIGSEGV with the
 * page-fault report naming the guard page, the area and the distance; a
 * read after vfree and a purge dies with "is in no vmalloc area"; and a
 * program's own SIGSEGV handler, installed before boot, still gets the
 * faults that are not mmkit's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include "harness.h"

/* ---- Helpers ---------------------------------------------------------- */

/* Does @s name @p as printf's %p writes it? */
static bool names_ptr(const char *s, const void *p)
{
	char a[40];

	snprintf(a, sizeof(a), "%p", p);
	return strstr(s, a) != NULL;
}

/* ---- What a bad call must leave alone ---------------------------------- */

#define NLIVE 6

struct bystanders {
	void *area[NLIVE];
	size_t size[NLIVE];
	unsigned long pfn0[NLIVE];	/* the frame behind each area's first page */
	struct live_set pages;
	struct kobj_set objs;
	long nr_vmalloc;
};

static void bystanders_make(struct bystanders *b)
{
	static const size_t sizes[NLIVE] = {
		4096, 8192, 3 * 4096, 64 << 10, 1 << 20, 40960,
	};

	for (int i = 0; i < NLIVE; i++) {
		b->size[i] = sizes[i];
		b->area[i] = vmalloc(sizes[i]);
		REQUIRE(b->area[i], "live vmalloc(%zu)", sizes[i]);
		vfill(b->area[i], sizes[i], 900 + (unsigned long)i);
		b->pfn0[i] = vmalloc_to_pfn(b->area[i]);
	}
	live_set_alloc(&b->pages);
	kobj_set_alloc(&b->objs);
	vm_unmap_aliases();
	b->nr_vmalloc = vmstat_get("nr_vmalloc");
}

/* Everything kept across a bad call is as it was; the machine is sound. */
static void bystanders_check(struct bystanders *b, const char *what)
{
	for (int i = 0; i < NLIVE; i++) {
		CHECK(vcheck(b->area[i], b->size[i], 900 + (unsigned long)i) == 0,
		      "%s: live area %d (%zu bytes) is unchanged", what, i, b->size[i]);
		CHECK(vmalloc_to_pfn(b->area[i]) == b->pfn0[i], "%s: live area %d keeps its frames",
		      what, i);
	}
	CHECK(live_set_check(&b->pages) == 0, "%s: live page blocks are unchanged", what);
	CHECK(kobj_set_check(&b->objs) == 0, "%s: live kmalloc objects are unchanged", what);
	CHECK(mmk_check(stderr) == 0, "%s: invariants", what);
}

static void bystanders_free(struct bystanders *b)
{
	for (int i = 0; i < NLIVE; i++)
		vfree(b->area[i]);
	live_set_free(&b->pages);
	kobj_set_free(&b->objs);
}

/* A bad vfree's report: the frame of a WARNING and the nothing-freed line. */
static void check_warning(const char *out, const char *what, const void *addr,
			  const char *why)
{
	CHECK(strstr(out, "------------[ cut here ]------------") != NULL,
	      "%s: the report opens with \"cut here\"; got:\n%s", what, out);
	CHECK(strstr(out, why) != NULL, "%s: it says \"%s\"; got:\n%s", what, why, out);
	CHECK(names_ptr(out, addr), "%s: it names %p; got:\n%s", what, addr, out);
	CHECK(strstr(out, "WARNING: CPU:") != NULL && strstr(out, "---[ end trace"),
	      "%s: with a WARNING line and an end trace; got:\n%s", what, out);
	CHECK(strstr(out, "nothing was freed") != NULL, "%s: and says nothing was freed; got:\n%s",
	      what, out);
}

/* ---- In-process bad calls ------------------------------------------------ */

static void double_vfree(struct bystanders *b)
{
	const char *out;
	void *p = vmalloc(3 * PAGE_SIZE);

	REQUIRE(p, "vmalloc");
	vfree(p);
	/* Still waiting for the purge: the report knows it was freed. */
	capture_start();
	vfree(p);
	out = capture_end();
	check_warning(out, "double vfree", p, "Trying to vfree() nonexistent vm area");
	CHECK(strstr(out, "double free") != NULL, "double vfree: named a double free; got:\n%s", out);
	bystanders_check(b, "double vfree");
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc, "double vfree freed the pages once: nr_vmalloc %ld, expected %ld",
	      vmstat_get("nr_vmalloc"), b->nr_vmalloc);

	/* After the purge the address is simply no area's. */
	capture_start();
	vfree(p);
	out = capture_end();
	check_warning(out, "vfree after purge", p, "Trying to vfree() nonexistent vm area");
	bystanders_check(b, "vfree after purge");
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc, "nr_vmalloc unchanged by the third vfree");
}

static void vfree_inside(struct bystanders *b)
{
	const char *out;
	unsigned char *p = vmalloc(4 * PAGE_SIZE);
	long nr;

	REQUIRE(p, "vmalloc");
	vfill(p, 4 * PAGE_SIZE, 31);
	nr = vmstat_get("nr_vmalloc");

	capture_start();
	vfree(p + PAGE_SIZE);
	out = capture_end();
	check_warning(out, "vfree(p + 4096)", p + PAGE_SIZE, "Trying to vfree() nonexistent vm area");
	CHECK(strstr(out, "inside") != NULL, "vfree(p + 4096): says it points inside an area; got:\n%s",
	      out);
	CHECK(names_ptr(out, p) && strstr(out, "4096 bytes into the area"),
	      "vfree(p + 4096): names the area it points into; got:\n%s", out);

	capture_start();
	vfree(p + 1);
	out = capture_end();
	check_warning(out, "vfree(p + 1)", p + 1, "not page aligned");

	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == nr, "nothing was freed: nr_vmalloc %ld, was %ld", vmstat_get("nr_vmalloc"), nr);
	CHECK(vmalloc_to_page(p) != NULL && vmalloc_to_page(p + 3 * PAGE_SIZE) != NULL,
	      "the area is still mapped");
	CHECK(vcheck(p, 4 * PAGE_SIZE, 31) == 0, "the area's contents are intact");
	bystanders_check(b, "vfree inside an area");

	capture_start();
	vfree(p);
	out = capture_end();
	CHECK(out[0] == '\0', "the right vfree afterwards is quiet; got:\n%s", out);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == nr - 4, "and frees the 4 pages: nr_vmalloc %ld, expected %ld",
	      vmstat_get("nr_vmalloc"), nr - 4);
}

static void vfree_foreign(struct bystanders *b)
{
	unsigned char *k = kmalloc(200, GFP_KERNEL);
	unsigned long page = __get_free_page(GFP_KERNEL);
	int on_stack[4] = { 1, 2, 3, 4 };
	const char *out;
	void *nowhere;

	REQUIRE(k && page, "kmalloc, __get_free_page");
	memset(k, 0x6b, 200);

	capture_start();
	vfree(k);
	out = capture_end();
	check_warning(out, "vfree(kmalloc pointer)", k, "not in the vmalloc range");
	CHECK(k[0] == 0x6b && k[199] == 0x6b && ksize(k) >= 200, "the kmalloc object is untouched");

	capture_start();
	vfree(on_stack);
	out = capture_end();
	check_warning(out, "vfree(stack pointer)", on_stack, "not in the vmalloc range");
	CHECK(on_stack[0] == 1 && on_stack[3] == 4, "the stack is untouched");

	capture_start();
	vfree((void *)page);
	out = capture_end();
	check_warning(out, "vfree(direct-map page)", (void *)page, "not in the vmalloc range");
	CHECK(page_count(virt_to_page(page)) == 1, "the page is still allocated");

	/* A range address that no area starts at (the top page of the range). */
	nowhere = (void *)(VMALLOC_END - PAGE_SIZE);
	capture_start();
	vfree(nowhere);
	out = capture_end();
	check_warning(out, "vfree(never allocated)", nowhere, "Trying to vfree() nonexistent vm area");

	bystanders_check(b, "vfree of foreign pointers");
	kfree(k);
	free_page(page);
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc, "nr_vmalloc unchanged");
}

static void vunmap_vmalloc(struct bystanders *b)
{
	const char *out;
	void *p = vmalloc(5 * PAGE_SIZE);

	REQUIRE(p, "vmalloc");
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc + 5, "5 pages vmalloc'ed");
	capture_start();
	vunmap(p);
	out = capture_end();
	CHECK(strstr(out, "vunmap") != NULL && names_ptr(out, p),
	      "vunmap of a vmalloc() area warns, naming it; got:\n%s", out);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc, "and frees it: nr_vmalloc %ld, expected %ld",
	      vmstat_get("nr_vmalloc"), b->nr_vmalloc);
	CHECK(vmalloc_to_page(p) == NULL, "the area is gone");
	bystanders_check(b, "vunmap of a vmalloc area");

	capture_start();
	vfree(p);
	out = capture_end();
	check_warning(out, "vfree after vunmap", p, "Trying to vfree() nonexistent vm area");
	bystanders_check(b, "vfree after vunmap");
}

static void vfree_vmap(struct bystanders *b)
{
	struct page *pages[6];
	const char *out;
	unsigned char *v;

	for (int i = 0; i < 6; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		REQUIRE(pages[i], "alloc_page");
	}
	v = vmap(pages, 6, VM_MAP, PAGE_KERNEL);
	REQUIRE(v, "vmap");
	vfill(v, 6 * PAGE_SIZE, 55);
	capture_start();
	vfree(v);
	out = capture_end();
	CHECK(out[0] == '\0', "vfree of a vmap area is quiet; got:\n%s", out);
	vm_unmap_aliases();
	CHECK(vmalloc_to_page(v) == NULL, "the vmap area is unmapped");
	CHECK(vmstat_get("nr_vmalloc") == b->nr_vmalloc, "nr_vmalloc unchanged by vmap and vfree");
	for (int i = 0; i < 6; i++) {
		CHECK(page_count(pages[i]) == 1, "page %d is still the caller's (refcount %d)", i,
		      page_count(pages[i]));
	}
	/* Each page holds its share of the words written through the vmap. */
	for (int i = 0; i < 6; i++) {
		const unsigned long *w = page_address(pages[i]);
		size_t bad = 0;

		for (size_t j = 0; j < PAGE_SIZE / sizeof(long); j++)
			bad += w[j] != vword(i * (PAGE_SIZE / sizeof(long)) + j, 55);
		CHECK(bad == 0, "page %d keeps what was written through the vmap: %zu words differ",
		      i, bad);
	}
	bystanders_check(b, "vfree of a vmap area");
	for (int i = 0; i < 6; i++)
		__free_page(pages[i]);
	CHECK(mmk_check(stderr) == 0, "invariants after freeing the vmap'ed pages");
}

/* vmap of pages that are not the caller's to map: refused, nothing mapped. */
static void vmap_bad_pages(struct bystanders *b)
{
	struct page *pages[4], *freed;
	const char *out;
	void *v;
	long nr = vmstat_get("nr_vmalloc");

	for (int i = 0; i < 4; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		REQUIRE(pages[i], "alloc_page");
	}
	freed = pages[2];
	__free_page(freed);
	capture_start();
	v = vmap(pages, 4, VM_MAP, PAGE_KERNEL);
	out = capture_end();
	CHECK(v == NULL, "vmap with a free page among the pages is refused");
	CHECK(strstr(out, "not allocated") != NULL, "saying a page is not allocated; got:\n%s", out);
	pages[2] = (struct page *)((char *)pages[1] + 1);	/* not a struct page */
	capture_start();
	v = vmap(pages, 4, VM_MAP, PAGE_KERNEL);
	out = capture_end();
	CHECK(v == NULL && out[0] != '\0', "vmap of a pointer that is no struct page is refused; got:\n%s",
	      out);
	capture_start();
	v = vmap(pages, 0, VM_MAP, PAGE_KERNEL);
	out = capture_end();
	CHECK(v == NULL, "vmap of 0 pages is refused");
	for (int i = 0; i < 4; i++)
		if (i != 2)
			__free_page(pages[i]);
	CHECK(vmstat_get("nr_vmalloc") == nr, "nr_vmalloc unchanged");
	bystanders_check(b, "vmap of bad pages");
}

/* ---- Faults, in children ---------------------------------------------------------- */

struct fault_case {
	long offset;		/* from the area's start */
	bool write;
	bool freed;		/* vfree + purge first */
};

static void fault_child(void *arg)
{
	const struct fault_case *c = arg;
	unsigned char *p, *other;

	if (mmk_boot("mem=64M"))
		_exit(3);
	other = vmalloc(3 * PAGE_SIZE);	/* a neighbour below, for the report */
	p = vmalloc(8192);
	if (!p || !other)
		_exit(4);
	memset(p, 1, 8192);
	fprintf(stderr, "area at %p\n", (void *)p);
	if (c->freed) {
		vfree(p);
		vm_unmap_aliases();
	}
	if (c->write)
		*(volatile unsigned char *)(p + c->offset) = 1;
	else
		(void)*(volatile unsigned char *)(p + c->offset);
	_exit(5);	/* not reached */
}

static void guard_fault(const struct fault_case *c, const char *what)
{
	char want[160];
	const char *out, *at;
	unsigned long p = 0;
	int st = run_in_child(fault_child, (void *)c, &out);

	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "%s: dies by SIGSEGV: status %#x; output:\n%s",
	      what, st, out);
	at = strstr(out, "area at ");
	REQUIRE(at && sscanf(at, "area at %lx", &p) == 1, "%s: the child named its area; output:\n%s",
		what, out);
	snprintf(want, sizeof(want), "BUG: unable to handle page fault for address: %016lx",
		 p + (unsigned long)c->offset);
	CHECK(strstr(out, want) != NULL, "%s: \"%s\"; output:\n%s", what, want, out);
	CHECK(strstr(out, c->write ? "supervisor write access" : "supervisor read access") != NULL,
	      "%s: names a %s access; output:\n%s", what, c->write ? "write" : "read", out);
	if (c->freed) {
		CHECK(strstr(out, "is in no vmalloc area") != NULL,
		      "%s: \"is in no vmalloc area\"; output:\n%s", what, out);
		CHECK(strstr(out, "is the guard page") == NULL, "%s: not called a guard page; output:\n%s",
		      what, out);
	} else {
		CHECK(strstr(out, "guard page of vmalloc area") != NULL,
		      "%s: \"guard page of vmalloc area\"; output:\n%s", what, out);
		snprintf(want, sizeof(want), "%#lx-%#lx", p, p + 8192);
		CHECK(strstr(out, want) != NULL, "%s: names the area %s; output:\n%s", what, want, out);
		snprintf(want, sizeof(want), "%ld bytes past its end", c->offset - 8192);
		CHECK(strstr(out, want) != NULL, "%s: \"%s\"; output:\n%s", what, want, out);
	}
	CHECK(strstr(out, "Oops") != NULL, "%s: an Oops line; output:\n%s", what, out);
}

static sigjmp_buf own_env;
static volatile sig_atomic_t own_hits;
static volatile void *own_addr;

static void own_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	own_hits++;
	own_addr = si->si_addr;
	siglongjmp(own_env, 1);
}

static void own_handler_child(void *arg)
{
	struct sigaction sa, now;
	unsigned char *mine, *p;
	long pagesz = sysconf(_SC_PAGESIZE);

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = own_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL))
		_exit(10);
	if (mmk_boot("mem=64M"))
		_exit(11);
	p = vmalloc(2 * PAGE_SIZE);	/* mmkit is busy in the range meanwhile */
	mine = mmap(NULL, (size_t)pagesz * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (!p || mine == MAP_FAILED || mprotect(mine + pagesz, (size_t)pagesz, PROT_NONE))
		_exit(12);
	for (int round = 0; round < 3; round++) {
		if (!sigsetjmp(own_env, 1)) {
			if (round == 1)
				(void)*(volatile unsigned char *)(mine + pagesz + 5);	/* read */
			else
				*(volatile unsigned char *)(mine + pagesz + 7) = 1;	/* write */
			_exit(13);	/* the access must fault */
		}
		if (own_hits != round + 1 || own_addr == NULL)
			_exit(14);
	}
	if ((unsigned char *)own_addr != mine + pagesz + 7)
		_exit(15);
	memset(p, 2, 2 * PAGE_SIZE);	/* vmalloc still works */
	vfree(p);
	mmk_shutdown();
	/* Shutdown gives the program its handler back. */
	if (sigaction(SIGSEGV, NULL, &now) || !(now.sa_flags & SA_SIGINFO) ||
	    now.sa_sigaction != own_handler)
		_exit(16);
	fprintf(stderr, "own handler ran %d times\n", (int)own_hits);
	_exit(0);
}

static void faults(void)
{
	static const struct fault_case write0 = { 8192, true, false };
	static const struct fault_case write100 = { 8192 + 100, true, false };
	static const struct fault_case read0 = { 8192 + 4095, false, false };
	static const struct fault_case uaf = { 0, false, true };
	const char *out;
	int st;

	guard_fault(&write0, "write to p[8192]");
	guard_fault(&write100, "write to p[8192 + 100]");
	guard_fault(&read0, "read of p[8192 + 4095]");
	guard_fault(&uaf, "read after vfree + purge");

	st = run_in_child(own_handler_child, NULL, &out);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a handler installed before boot gets the program's own faults: status %#x (exit %d); output:\n%s",
	      st, WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
	CHECK(strstr(out, "own handler ran 3 times") != NULL, "it ran 3 times; output:\n%s", out);
	CHECK(strstr(out, "BUG:") == NULL, "mmkit reported nothing; output:\n%s", out);
}

int main(void)
{
	struct bystanders b;

	test_seed();
	faults();	/* before this process boots: children boot their own */

	REQUIRE(mmk_boot(NULL) == 0, "boot");
	bystanders_make(&b);
	double_vfree(&b);
	vfree_inside(&b);
	vfree_foreign(&b);
	vunmap_vmalloc(&b);
	vfree_vmap(&b);
	vmap_bad_pages(&b);
	bystanders_check(&b, "the end");
	bystanders_free(&b);
	vm_unmap_aliases();
	CHECK(vmstat_get("nr_vmalloc") == 0, "nr_vmalloc is 0 at the end: %ld", vmstat_get("nr_vmalloc"));
	CHECK(mmk_check(stderr) == 0, "invariants at the end");
	mmk_shutdown();
	harness_exit();
}
