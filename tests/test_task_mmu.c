// SPDX-License-Identifier: MIT
/*
 * The simulated process's reports: self/maps, self/smaps_rollup,
 * self/status and mmkit's mm_faults, each read with a strict parser of
 * Linux's format and checked number by number against what the test did.
 *
 * The machine boots with thp_anon=16K-2M:never, so every fault maps one
 * page and the counts are exact. The test makes a 256-page mapping, reads
 * a quarter of it (the zero page: no RSS), writes parts, makes a part
 * read-only (a split), mlocks a part (populated, Locked), unmaps the top,
 * adds a 4-page heap with sbrk and an r-x mapping populated at once (zero
 * pages: a read-only mapping gets nothing else). Then:
 *
 *   - maps lists exactly the VMAs the calls made, in address order, with
 *     their permissions, offset 00000000, device 00:00, inode 0, and
 *     "[heap]" at column 73 on the heap alone;
 *   - smaps_rollup spans the first VMA to the last, has Linux's 22 fields
 *     in order and width, Rss = 4 kB per page written (never per page only
 *     read), Pss = Private_Dirty = Anonymous = Rss, Locked = the mlocked
 *     pages;
 *   - status has its lines in Linux's order and format, VmSize = the sum of
 *     the maps lines, VmRSS = RssAnon = Rss, VmLck, VmData = the writable
 *     lines, VmPeak and VmHWM keep the highs after munmap and
 *     MADV_DONTNEED, VmPTE + the PGD = meminfo's PageTables (this is the only
 *     process);
 *   - mm_faults counts each trap in pgfault and the zero page's life:
 *     PTEs installed, replaced by a write, mapped now.
 *
 * Then mprotect(PROT_NONE) of written pages (a 3-way split, RSS kept),
 * MADV_DONTNEED (RSS falls, VmHWM does not), munlock (the locked VMA
 * merges back with its neighbours), and unmapping everything (the reports
 * return to their empty forms). Last, "[heap]" follows Linux 6.7's rule:
 * a mapping at start_brk with the heap empty, or one starting at brk, is
 * not the heap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define PG		4096UL
#define NAME_COL	73	/* Linux's maps: 25 + 6 * sizeof(void *) - 1, +1 */
#define MAX_VMAS	32

/* ---- Reading reports ------------------------------------------------------ */

static char *report(const char *name)
{
	static char buf[8][1 << 16];
	static int slot;
	char *b = buf[slot++ % 8];
	FILE *f;
	int err;

	b[0] = '\0';		/* an empty report writes nothing at all */
	f = fmemopen(b, sizeof(buf[0]), "w");
	REQUIRE(f, "fmemopen: %s", strerror(errno));
	err = mmk_report(name, f);
	REQUIRE(!err, "mmk_report(\"%s\") = %d", name, err);
	fclose(f);
	return b;
}

/* The line of @text that starts with "@key:", copied to @line; false if none. */
static bool find_line(const char *text, const char *key, char *line, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strcspn(p, "\n");

		if (n > klen && !strncmp(p, key, klen) && p[klen] == ':') {
			if (n >= size)
				n = size - 1;
			memcpy(line, p, n);
			line[n] = '\0';
			return true;
		}
	}
	return false;
}

/* self/status: "Key:\t%8lu kB" exactly (seq_put_decimal_ull_width(.., 8)). */
static long status_kb(const char *text, const char *key)
{
	char line[128], want[128];
	unsigned long v;

	if (!find_line(text, key, line, sizeof(line))) {
		CHECK(0, "self/status has no %s line:\n%s", key, text);
		return -1;
	}
	if (sscanf(line + strlen(key) + 1, "%lu", &v) != 1) {
		CHECK(0, "self/status: cannot read \"%s\"", line);
		return -1;
	}
	snprintf(want, sizeof(want), "%s:\t%8lu kB", key, v);
	CHECK(!strcmp(line, want), "self/status line \"%s\" is not in Linux's format \"%s\"",
	      line, want);
	return (long)v;
}

/*
 * smaps_rollup: a 16-column label ("Key:" and spaces), 8 columns of kB;
 * Private_Hugetlb's label is "Private_Hugetlb: " and its value 7 wide.
 */
static long smaps_kb(const char *text, const char *key)
{
	char line[128], want[128], label[32];
	unsigned long v;

	if (!find_line(text, key, line, sizeof(line))) {
		CHECK(0, "smaps_rollup has no %s line:\n%s", key, text);
		return -1;
	}
	if (sscanf(line + strlen(key) + 1, "%lu", &v) != 1) {
		CHECK(0, "smaps_rollup: cannot read \"%s\"", line);
		return -1;
	}
	snprintf(label, sizeof(label), "%s:", key);
	if (!strcmp(key, "Private_Hugetlb"))
		snprintf(want, sizeof(want), "%s %7lu kB", label, v);
	else
		snprintf(want, sizeof(want), "%-16s%8lu kB", label, v);
	CHECK(!strcmp(line, want), "smaps_rollup line \"%s\" is not in Linux's format \"%s\"",
	      line, want);
	return (long)v;
}

/* mm_faults: "name value" lines. */
static long faults_get(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ' ')
			return strtol(p + len + 1, NULL, 10);
	CHECK(0, "mm_faults has no %s line", name);
	return -1;
}

static long fault_count(const char *name)
{
	return faults_get(report("mm_faults"), name);
}

static long meminfo_kb_of(const char *key)
{
	char line[128];
	const char *text = report("meminfo");

	REQUIRE(find_line(text, key, line, sizeof(line)), "meminfo has no %s", key);
	return strtol(line + strlen(key) + 1, NULL, 10);
}

/* ---- maps ------------------------------------------------------------------- */

struct vma {
	unsigned long start, end;
	char perms[5];
	bool heap;
};

/*
 * Linux's maps line for an anonymous mapping: "%08lx-%08lx %c%c%c%c %08llx
 * %02x:%02x %lu " and, for a named one, spaces up to column 73 and the
 * name. Returns the number of lines, each checked character by character.
 */
static int parse_maps(const char *text, struct vma *v, int max)
{
	int n = 0;

	for (const char *p = text; *p; n++) {
		size_t len = strcspn(p, "\n");
		char line[256], rebuilt[256];
		char perms[5], off[16];
		unsigned int major, minor;
		unsigned long ino;
		int pos = 0, prefix;

		REQUIRE(p[len] == '\n', "maps ends without a newline");
		REQUIRE(len < sizeof(line) && n < max, "maps line %d too long or too many", n);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + 1;
		if (sscanf(line, "%lx-%lx %4s %15s %x:%x %lu%n", &v[n].start, &v[n].end, perms,
			   off, &major, &minor, &ino, &pos) != 7 || line[pos] != ' ') {
			CHECK(0, "maps line \"%s\" does not parse", line);
			continue;
		}
		prefix = pos + 1;
		memcpy(v[n].perms, perms, sizeof(perms));
		snprintf(rebuilt, sizeof(rebuilt), "%08lx-%08lx %s %08llx %02x:%02x %lu ",
			 v[n].start, v[n].end, perms, 0ULL, 0U, 0U, 0UL);
		CHECK(!strncmp(line, rebuilt, strlen(rebuilt)) && (size_t)prefix == strlen(rebuilt),
		      "maps line \"%s\" is not an anonymous mapping's \"%s\"", line, rebuilt);
		v[n].heap = false;
		if (len == (size_t)prefix)
			continue;	/* no name: the line ends with the space */
		CHECK(len > NAME_COL && strspn(line + prefix, " ") == NAME_COL - (size_t)prefix,
		      "maps line \"%s\": the name does not start at column %d", line, NAME_COL);
		v[n].heap = !strcmp(line + NAME_COL, "[heap]");
		CHECK(v[n].heap, "maps line \"%s\": unexpected name", line);
	}
	return n;
}

/* What the test expects: its VMAs, sorted by address. */
struct model {
	int nr;
	struct vma v[MAX_VMAS];
};

static void model_add(struct model *m, const void *start, unsigned long pages,
		      const char *perms, bool heap)
{
	struct vma *x = &m->v[m->nr++];

	x->start = (unsigned long)start;
	x->end = x->start + pages * PG;
	snprintf(x->perms, sizeof(x->perms), "%s", perms);
	x->heap = heap;
}

static int by_start(const void *a, const void *b)
{
	const struct vma *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* maps must list the model's VMAs exactly; returns maps' lines. */
static int check_maps(struct model *m, struct vma *got)
{
	int n = parse_maps(report("self/maps"), got, MAX_VMAS);

	qsort(m->v, (size_t)m->nr, sizeof(m->v[0]), by_start);
	CHECK(n == m->nr, "maps has %d lines, the test made %d VMAs:\n%s", n, m->nr,
	      report("self/maps"));
	for (int i = 0; i < n && i < m->nr; i++)
		CHECK(got[i].start == m->v[i].start && got[i].end == m->v[i].end &&
		      !strcmp(got[i].perms, m->v[i].perms) && got[i].heap == m->v[i].heap,
		      "maps line %d is %lx-%lx %s%s, expected %lx-%lx %s%s", i, got[i].start,
		      got[i].end, got[i].perms, got[i].heap ? " [heap]" : "", m->v[i].start,
		      m->v[i].end, m->v[i].perms, m->v[i].heap ? " [heap]" : "");
	return n;
}

/* ---- smaps_rollup ------------------------------------------------------------ */

/* Linux 6.x's rollup fields, in order. */
static const char *const rollup_fields[] = {
	"Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Pss_File", "Pss_Shmem", "Shared_Clean",
	"Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "KSM",
	"LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
	"Private_Hugetlb", "Swap", "SwapPss", "Locked",
};
#define NR_ROLLUP_FIELDS (sizeof(rollup_fields) / sizeof(rollup_fields[0]))

/* The header ("[rollup]" over @start-@end) and every field's place and form. */
static void check_rollup_form(const char *text, unsigned long start, unsigned long end)
{
	char head[128];
	const char *p = text;
	int len;

	len = snprintf(head, sizeof(head), "%08lx-%08lx ---p 00000000 00:00 0 ", start, end);
	snprintf(head + len, sizeof(head) - (size_t)len, "%*s[rollup]\n", NAME_COL - len, "");
	CHECK(!strncmp(text, head, strlen(head)), "smaps_rollup starts \"%.*s\", expected \"%s\"",
	      (int)strcspn(text, "\n"), text, head);
	p = strchr(p, '\n');
	for (size_t i = 0; p && i < NR_ROLLUP_FIELDS; i++) {
		size_t klen = strlen(rollup_fields[i]);

		p++;
		CHECK(!strncmp(p, rollup_fields[i], klen) && p[klen] == ':',
		      "smaps_rollup field %zu is \"%.20s\", Linux's is %s", i + 1, p,
		      rollup_fields[i]);
		smaps_kb(text, rollup_fields[i]);	/* checks the line's form */
		p = strchr(p, '\n');
	}
	CHECK(p && p[1] == '\0', "smaps_rollup has more lines than Linux's 23");
}

/* ---- status ------------------------------------------------------------------ */

/* Linux 6.x's /proc/pid/status keys in order; ours must be a subsequence. */
static const char *const status_order[] = {
	"Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid",
	"FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", "Kthread", "VmPeak",
	"VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem",
	"VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages",
	"CoreDumping", "THP_enabled", "untag_mask", "Threads", "SigQ",
};

static void check_status_form(const char *text)
{
	static const char *const must[] = {
		"Name", "State", "Tgid", "Pid", "VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM",
		"VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib",
		"VmPTE", "VmSwap",
	};
	size_t at = 0, nr_status = sizeof(status_order) / sizeof(status_order[0]);
	char line[128], want[64];

	for (const char *p = text; *p; p += strcspn(p, "\n") + 1) {
		size_t klen = strcspn(p, ":\n");
		size_t i = at;

		while (i < nr_status && (strlen(status_order[i]) != klen ||
					 strncmp(status_order[i], p, klen)))
			i++;
		CHECK(i < nr_status && p[klen] == ':' && p[klen + 1] == '\t',
		      "self/status line \"%.*s\" is not a Linux key in Linux's order",
		      (int)strcspn(p, "\n"), p);
		if (i < nr_status)
			at = i + 1;
	}
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		CHECK(find_line(text, must[i], line, sizeof(line)), "self/status lacks %s", must[i]);

	find_line(text, "Name", line, sizeof(line));
	snprintf(want, sizeof(want), "Name:\t%.15s", program_invocation_short_name);
	CHECK(!strcmp(line, want), "\"%s\", expected \"%s\"", line, want);
	find_line(text, "State", line, sizeof(line));
	CHECK(!strcmp(line, "State:\tR (running)"), "\"%s\"", line);
	find_line(text, "Tgid", line, sizeof(line));
	CHECK(atol(line + 5) == getpid(), "\"%s\", pid %d", line, getpid());
	find_line(text, "Pid", line, sizeof(line));
	CHECK(atol(line + 4) == getpid(), "\"%s\", pid %d", line, getpid());
	for (const char *k = "VmPin\0RssFile\0RssShmem\0VmStk\0VmExe\0VmLib\0VmSwap\0"; *k;
	     k += strlen(k) + 1)
		CHECK(status_kb(text, k) == 0, "%s is not 0: only anonymous user memory exists", k);
}

/* ---- The test ---------------------------------------------------------------- */

static void touch_read(const char *base, unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++)
		(void)*(volatile const char *)(base + i * PG);
}

static void touch_write(char *base, unsigned long first, unsigned long n)
{
	for (unsigned long i = first; i < first + n; i++)
		*(volatile char *)(base + i * PG) = (char)(i + 1);
}

static unsigned long pages_on(const char *base, unsigned long first, unsigned long n,
			      bool zero)
{
	unsigned long count = 0;

	for (unsigned long i = first; i < first + n; i++) {
		long pfn = mmk_follow_pfn(base + i * PG);

		if (pfn >= 0 && ((unsigned long)pfn == mmk_zero_pfn()) == zero)
			count++;
	}
	return count;
}

static long sum_maps_kb(const struct vma *v, int n, bool writable_only)
{
	long kb = 0;

	for (int i = 0; i < n; i++)
		if (!writable_only || v[i].perms[1] == 'w')
			kb += (long)((v[i].end - v[i].start) >> 10);
	return kb;
}

/*
 * The mmkit command's view of the same reports, when check.sh names the
 * binary (MMKIT_BIN): `mmkit maps` follows every page of its workload's
 * mappings and exits 1 if the totals disagree with self/status and
 * smaps_rollup; `mmkit report self/status` prints the report.
 */
static void check_cli(void)
{
	const char *bin = getenv("MMKIT_BIN");
	static char out[1 << 16];
	char cmd[512];
	size_t len;
	FILE *p;
	int status;

	if (!bin || access(bin, X_OK)) {
		printf("MMKIT_BIN not set: the mmkit command is not checked\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s' maps 2>&1", bin);
	p = popen(cmd, "r");
	REQUIRE(p, "popen %s", cmd);
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = '\0';
	status = pclose(p);
	CHECK(status == 0 && strstr(out, "[heap]") && strstr(out, "add up to VmRSS"),
	      "mmkit maps exits %d:\n%s", status, out);

	snprintf(cmd, sizeof(cmd), "'%s' report self/status 2>&1", bin);
	p = popen(cmd, "r");
	REQUIRE(p, "popen %s", cmd);
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = '\0';
	status = pclose(p);
	CHECK(status == 0 && strstr(out, "\nVmRSS:\t       0 kB\n"),
	      "mmkit report self/status exits %d:\n%s", status, out);
}

int main(void)
{
	struct model m = { 0 };
	struct vma got[MAX_VMAS];
	const char *st, *sm;
	char *base, *heap, *rx;
	long pgfault0, n;

	REQUIRE(mmk_boot("mem=512M thp_anon=16K-2M:never") == 0, "boot");

	/* ---- Nothing mapped yet ---- */
	CHECK(report("self/maps")[0] == '\0', "maps of a process with no mappings is empty:\n%s",
	      report("self/maps"));
	sm = report("self/smaps_rollup");
	check_rollup_form(sm, 0, 0);
	for (size_t i = 0; i < NR_ROLLUP_FIELDS; i++)
		CHECK(smaps_kb(sm, rollup_fields[i]) == 0, "%s is not 0 with nothing mapped",
		      rollup_fields[i]);
	st = report("self/status");
	check_status_form(st);
	CHECK(status_kb(st, "VmSize") == 0 && status_kb(st, "VmRSS") == 0, "empty process");
	CHECK(status_kb(st, "VmPTE") + 4 == meminfo_kb_of("PageTables"),
	      "VmPTE %ld kB + the PGD = meminfo PageTables %ld kB", status_kb(st, "VmPTE"),
	      meminfo_kb_of("PageTables"));
	st = report("mm_faults");
	CHECK(!strncmp(st, "# ", 2) && strstr(st, "not a Linux file") &&
	      strstr(st, "not a Linux file") < strchr(st, '\n'),
	      "mm_faults's first line says it is mmkit's:\n%s", st);
	for (unsigned long kb = 16; kb <= 2048; kb *= 2) {
		char key[32];

		snprintf(key, sizeof(key), "thp_anon_%lukB never\n", kb);
		CHECK(strstr(st, key), "mm_faults lacks \"%s\" (booted thp_anon=16K-2M:never)", key);
	}
	CHECK(faults_get(st, "zero_page_ptes_now") == 0 && faults_get(st, "pgmajfault") == 0,
	      "fresh counters");
	pgfault0 = faults_get(st, "pgfault");

	/* ---- A mapping: read a quarter, write some ---- */
	base = mmk_mmap(NULL, 256 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(base != MAP_FAILED, "mmap: %s", strerror(errno));
	touch_read(base, 0, 64);
	CHECK(pages_on(base, 0, 64, true) == 64, "the pages read map the zero page");
	st = report("mm_faults");
	CHECK(faults_get(st, "pgfault") - pgfault0 == 64, "one fault per page read: %ld",
	      faults_get(st, "pgfault") - pgfault0);
	CHECK(faults_get(st, "zero_page_read_faults") == 64 &&
	      faults_get(st, "zero_page_ptes_installed") == 64 &&
	      faults_get(st, "zero_page_ptes_now") == 64, "64 zero PTEs:\n%s", st);
	CHECK(smaps_kb(report("self/smaps_rollup"), "Rss") == 0, "reading raises no Rss");
	CHECK(status_kb(report("self/status"), "VmRSS") == 0, "reading raises no VmRSS");
	CHECK(status_kb(report("self/status"), "VmSize") == 1024, "VmSize is the mapping's 1 MiB");

	touch_write(base, 0, 16);	/* pages on the zero page */
	touch_write(base, 64, 16);	/* pages never touched */
	st = report("mm_faults");
	CHECK(faults_get(st, "pgfault") - pgfault0 == 64 + 32, "one fault per page written: %ld",
	      faults_get(st, "pgfault") - pgfault0 - 64);
	CHECK(faults_get(st, "zero_page_ptes_replaced_by_write") == 16 &&
	      faults_get(st, "zero_page_ptes_now") == 48, "16 zero PTEs replaced:\n%s", st);
	CHECK(faults_get(st, "anon_fault_alloc_4kB") == 32 &&
	      faults_get(st, "anon_fault_alloc_16kB") == 0, "32 single-page folios:\n%s", st);
	CHECK(smaps_kb(report("self/smaps_rollup"), "Rss") == 32 * 4, "Rss is 4 kB per page written");

	/* ---- Split, more pages, mlock, a heap, an r-x mapping, unmap the top ---- */
	REQUIRE(mmk_mprotect(base + 128 * PG, 32 * PG, PROT_READ) == 0, "mprotect");
	touch_read(base, 128, 32);
	touch_write(base, 160, 10);
	REQUIRE(mmk_mlock(base + 192 * PG, 16 * PG) == 0, "mlock: %s", strerror(errno));
	rx = mmk_mmap(NULL, 8 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		      -1, 0);
	REQUIRE(rx != MAP_FAILED, "mmap r-x: %s", strerror(errno));
	CHECK(pages_on(rx, 0, 8, true) == 8, "MAP_POPULATE of a read-only mapping maps the zero page");
	heap = mmk_sbrk(3 * PG + 100);
	REQUIRE(heap != (void *)-1, "sbrk: %s", strerror(errno));
	touch_write(heap, 0, 2);
	REQUIRE(mmk_munmap(base + 240 * PG, 16 * PG) == 0, "munmap");

	model_add(&m, heap, 4, "rw-p", true);
	model_add(&m, rx, 8, "r-xp", false);
	model_add(&m, base, 128, "rw-p", false);
	model_add(&m, base + 128 * PG, 32, "r--p", false);
	model_add(&m, base + 160 * PG, 32, "rw-p", false);
	model_add(&m, base + 192 * PG, 16, "rw-p", false);	/* VM_LOCKED: its own VMA */
	model_add(&m, base + 208 * PG, 32, "rw-p", false);
	n = check_maps(&m, got);

	/* 16 + 16 + 10 + 16 (mlock) + 2 (heap) pages written. */
	sm = report("self/smaps_rollup");
	check_rollup_form(sm, m.v[0].start, m.v[m.nr - 1].end);
	CHECK(smaps_kb(sm, "Rss") == 60 * 4, "Rss %ld kB, 60 pages written", smaps_kb(sm, "Rss"));
	for (const char *k = "Pss\0Pss_Dirty\0Pss_Anon\0Private_Dirty\0Referenced\0Anonymous\0"; *k;
	     k += strlen(k) + 1)
		CHECK(smaps_kb(sm, k) == 60 * 4, "%s %ld kB, expected Rss's 240", k, smaps_kb(sm, k));
	for (const char *k = "Pss_File\0Pss_Shmem\0Shared_Clean\0Shared_Dirty\0Private_Clean\0KSM\0"
			     "LazyFree\0AnonHugePages\0Swap\0SwapPss\0"; *k; k += strlen(k) + 1)
		CHECK(smaps_kb(sm, k) == 0, "%s %ld kB, expected 0", k, smaps_kb(sm, k));
	CHECK(smaps_kb(sm, "Locked") == 16 * 4, "Locked %ld kB, 16 pages mlocked",
	      smaps_kb(sm, "Locked"));

	st = report("self/status");
	check_status_form(st);
	CHECK(status_kb(st, "VmSize") == sum_maps_kb(got, (int)n, false) &&
	      status_kb(st, "VmSize") == (240 + 4 + 8) * 4,
	      "VmSize %ld kB, the maps lines add up to %ld kB", status_kb(st, "VmSize"),
	      sum_maps_kb(got, (int)n, false));
	CHECK(status_kb(st, "VmPeak") == (256 + 4 + 8) * 4, "VmPeak %ld kB: before the munmap",
	      status_kb(st, "VmPeak"));
	CHECK(status_kb(st, "VmRSS") == 240 && status_kb(st, "RssAnon") == 240 &&
	      status_kb(st, "VmHWM") == 240, "VmRSS %ld RssAnon %ld VmHWM %ld, expected 240 kB",
	      status_kb(st, "VmRSS"), status_kb(st, "RssAnon"), status_kb(st, "VmHWM"));
	CHECK(status_kb(st, "VmLck") == 64, "VmLck %ld kB", status_kb(st, "VmLck"));
	CHECK(status_kb(st, "VmData") == sum_maps_kb(got, (int)n, true) &&
	      status_kb(st, "VmData") == (208 + 4) * 4,
	      "VmData %ld kB, the writable maps lines add up to %ld kB", status_kb(st, "VmData"),
	      sum_maps_kb(got, (int)n, true));
	/* VmPTE leaves the PGD out, as Linux's mm_pgtables_bytes(); PageTables
	 * counts it. */
	CHECK(status_kb(st, "VmPTE") >= 12 && status_kb(st, "VmPTE") + 4 == meminfo_kb_of("PageTables"),
	      "VmPTE %ld kB (3 levels below the PGD at least), meminfo PageTables %ld kB",
	      status_kb(st, "VmPTE"), meminfo_kb_of("PageTables"));
	CHECK(meminfo_kb_of("AnonPages") == 240 && meminfo_kb_of("Mlocked") == 64,
	      "meminfo AnonPages %ld Mlocked %ld", meminfo_kb_of("AnonPages"),
	      meminfo_kb_of("Mlocked"));

	st = report("mm_faults");
	CHECK(faults_get(st, "zero_page_ptes_installed") == 64 + 32 + 8 &&
	      faults_get(st, "zero_page_ptes_now") == 48 + 32 + 8 &&
	      faults_get(st, "zero_page_ptes_replaced_by_write") == 16,
	      "zero PTEs: 104 installed, 88 mapped now:\n%s", st);
	CHECK(pages_on(base, 0, 240, true) + pages_on(rx, 0, 8, true) == 88 &&
	      pages_on(base, 0, 240, false) + pages_on(heap, 0, 4, false) == 60,
	      "mmk_follow_pfn agrees with the reports");

	/* ---- PROT_NONE on written pages: a 3-way split, the frames stay ---- */
	REQUIRE(mmk_mprotect(base + 8 * PG, 4 * PG, PROT_NONE) == 0, "mprotect PROT_NONE");
	m.nr = 0;
	model_add(&m, heap, 4, "rw-p", true);
	model_add(&m, rx, 8, "r-xp", false);
	model_add(&m, base, 8, "rw-p", false);
	model_add(&m, base + 8 * PG, 4, "---p", false);
	model_add(&m, base + 12 * PG, 116, "rw-p", false);
	model_add(&m, base + 128 * PG, 32, "r--p", false);
	model_add(&m, base + 160 * PG, 32, "rw-p", false);
	model_add(&m, base + 192 * PG, 16, "rw-p", false);
	model_add(&m, base + 208 * PG, 32, "rw-p", false);
	n = check_maps(&m, got);
	sm = report("self/smaps_rollup");
	CHECK(smaps_kb(sm, "Rss") == 240 &&
	      smaps_kb(sm, "Private_Dirty") + smaps_kb(sm, "Private_Clean") == 240,
	      "PROT_NONE keeps the frames: Rss %ld kB", smaps_kb(sm, "Rss"));
	st = report("self/status");
	CHECK(status_kb(st, "VmData") == sum_maps_kb(got, (int)n, true),
	      "VmData %ld kB follows mprotect (maps: %ld kB)", status_kb(st, "VmData"),
	      sum_maps_kb(got, (int)n, true));

	/* ---- MADV_DONTNEED: RSS falls, the high-water mark stays ---- */
	REQUIRE(mmk_madvise(base + 64 * PG, 16 * PG, MADV_DONTNEED) == 0, "madvise");
	st = report("self/status");
	CHECK(status_kb(st, "VmRSS") == 176 && status_kb(st, "VmHWM") == 240,
	      "after MADV_DONTNEED: VmRSS %ld kB (176), VmHWM %ld kB (240)",
	      status_kb(st, "VmRSS"), status_kb(st, "VmHWM"));
	CHECK(smaps_kb(report("self/smaps_rollup"), "Rss") == 176, "smaps Rss follows");
	CHECK(meminfo_kb_of("AnonPages") == 176, "meminfo AnonPages follows");

	/* ---- munlock: the VMA merges back with its neighbours ---- */
	REQUIRE(mmk_munlock(base + 192 * PG, 16 * PG) == 0, "munlock");
	m.nr -= 3;
	model_add(&m, base + 160 * PG, 80, "rw-p", false);
	check_maps(&m, got);
	sm = report("self/smaps_rollup");
	st = report("self/status");
	CHECK(smaps_kb(sm, "Locked") == 0 && status_kb(st, "VmLck") == 0 &&
	      meminfo_kb_of("Mlocked") == 0, "munlock: Locked %ld VmLck %ld",
	      smaps_kb(sm, "Locked"), status_kb(st, "VmLck"));

	/* ---- Everything unmapped: the empty forms again, the highs kept ---- */
	REQUIRE(mmk_munmap(base, 240 * PG) == 0 && mmk_munmap(rx, 8 * PG) == 0, "munmap");
	REQUIRE(mmk_sbrk(-(intptr_t)(3 * PG + 100)) != (void *)-1, "sbrk back");
	CHECK(report("self/maps")[0] == '\0', "maps is empty again:\n%s", report("self/maps"));
	sm = report("self/smaps_rollup");
	check_rollup_form(sm, 0, 0);
	CHECK(smaps_kb(sm, "Rss") == 0, "no Rss");
	st = report("self/status");
	CHECK(status_kb(st, "VmSize") == 0 && status_kb(st, "VmRSS") == 0 &&
	      status_kb(st, "VmData") == 0, "nothing mapped");
	CHECK(status_kb(st, "VmPeak") == (256 + 4 + 8) * 4 && status_kb(st, "VmHWM") == 240,
	      "VmPeak %ld VmHWM %ld keep the highs", status_kb(st, "VmPeak"),
	      status_kb(st, "VmHWM"));
	CHECK(status_kb(st, "VmPTE") + 4 == meminfo_kb_of("PageTables"),
	      "VmPTE + the PGD = PageTables");
	CHECK(fault_count("zero_page_ptes_now") == 0 && meminfo_kb_of("AnonPages") == 0,
	      "no zero PTE and no anonymous page left");
	CHECK(fault_count("pgmajfault") == 0, "no major faults without swap");

	/*
	 * "[heap]" is a VMA that overlaps [start_brk, brk) (Linux 6.7's
	 * vma_is_initial_heap(); before, touching it was enough): not a
	 * mapping at start_brk while the heap is empty, nor one that starts
	 * where the heap ends.
	 */
	m.nr = 0;
	base = mmk_mmap(heap, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			-1, 0);
	REQUIRE(base == heap, "mmap at start_brk: %s", strerror(errno));
	model_add(&m, base, 2, "r--p", false);
	check_maps(&m, got);
	REQUIRE(mmk_munmap(base, 2 * PG) == 0, "munmap");
	REQUIRE(mmk_sbrk(4 * PG) == heap, "sbrk: %s", strerror(errno));
	base = mmk_mmap(heap + 4 * PG, 2 * PG, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	REQUIRE(base == heap + 4 * PG, "mmap at brk: %s", strerror(errno));
	m.nr = 0;
	model_add(&m, heap, 4, "rw-p", true);
	model_add(&m, base, 2, "r--p", false);
	check_maps(&m, got);
	REQUIRE(mmk_munmap(base, 2 * PG) == 0 && mmk_sbrk(-4 * (intptr_t)PG) != (void *)-1,
		"unmap");

	mmk_shutdown();
	check_cli();
	harness_exit();
}
