// SPDX-License-Identifier: MIT
/*
 * mmkit demo, chapter 6: swap, reclaim and the OOM killer.
 *
 * The seed text's last word on user memory, "If swap is enabled, that page
 * may be 'borrowed' from some other process, after the contents are
 * deposited in the swap file", and its first on kmalloc, "kmalloc'ed memory
 * is reserved and locked, it cannot be swapped", run on a machine too small
 * for its process:
 *
 *   6a  the machine: 64 MiB of RAM and a 256 MiB swap file that mmkit
 *       created with Linux's swap header (the bytes are read back from the
 *       file); a few kmalloc buffers are allocated first, filled, and their
 *       frames (pfns) and checksums noted.
 *   6b  the process writes 192 MiB, three times RAM (mmk_mmap with
 *       MAP_NORESERVE, every word of every page a function of the page's
 *       number): kswapd and direct reclaim deposit pages in the swap file.
 *       Afterwards every page is either resident (VmRSS) or on swap
 *       (VmSwap), and most are on swap.
 *   6c  all of it is read back and compared word by word with what was
 *       written: every byte intact, the pages on swap came back by major
 *       faults (pswpin, pgmajfault, readahead).
 *   6d  the kmalloc buffers: the same frames, the same checksums.
 *   6e  munmap of the 192 MiB frees every swap slot (SwapFree back to
 *       SwapTotal, SwapCached 0) and the invariant checker (mmk_check:
 *       swap slots, swap cache, LRU lists, page tables) finds nothing.
 *   6f  the same workload without swap, in a child process (forked after
 *       this process's machine is shut down; it boots "mem=64M" alone):
 *       anonymous pages cannot go anywhere, reclaim makes no progress, and
 *       the OOM killer ends the process with SIGKILL. Its console (stderr,
 *       through a pipe) is searched for the kernel's report.
 *
 * Every number comes from the reports (meminfo, vmstat, self/status, swaps)
 * or from the public API (virt_to_page, page_to_pfn), read during the step
 * it decides. Counters are read once reclaim has gone quiet (no counter of
 * scanning or swap I/O moves for a while), so that what kswapd does in the
 * background cannot change a state between two reports. The chapter boots
 * its own machine whatever --boot says: the experiment is defined by the
 * size of RAM. The swap file lives in a fresh directory under $TMPDIR (or
 * /tmp) and is removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mmkit/mman.h>

#include "demo.h"
#include "../bench/bench_util.h"	/* bench_now_ns */

#define RAM_CMD		"mem=64M"
#define SWAP_SIZE	"256M"
#define WORK_SIZE	(192UL << 20)	/* three times RAM */
#define WORK_PAGES	(WORK_SIZE / PAGE_SIZE)
#define OOM_TIMEOUT_S	120		/* a child that neither ends nor dies */

/* ---- Reading the machine ------------------------------------------------- */

/* What the reports say at one point: meminfo and self/status in kB,
 * vmstat's events as counts. */
struct sstate {
	long long free, anon, active_anon, inactive_anon;
	long long swap_total, swap_free, swap_cached;
	long long rss, vmswap;
	long long pswpout, pswpin, pgmajfault, pgfault;
	long long pgscan_kswapd, pgscan_direct, pgsteal_kswapd, pgsteal_direct;
	long long allocstall, swap_ra, swap_ra_hit, pgactivate, pgdeactivate;
};

/* A "name value" line of the vmstat report, or -1. */
static long long vmstat_value(const char *text, const char *key)
{
	char line[256], name[128];
	long long n;

	for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
		if (sscanf(line, "%127s %lld", name, &n) == 2 && !strcmp(name, key))
			return n;
	return -1;
}

/* The sum of vmstat's allocstall_<zone> lines (Linux has no total). */
static long long vmstat_allocstall(const char *text)
{
	char line[256], name[128];
	long long n, sum = -1;

	for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
		if (sscanf(line, "%127s %lld", name, &n) == 2 &&
		    !strncmp(name, "allocstall_", 11))
			sum = (sum < 0 ? 0 : sum) + n;
	return sum;
}

static int read_sstate(struct sstate *s)
{
	static const char *const why = "the swap chapter";
	const char *missing = NULL;
	char *text;

	drain_all_pages(NULL);
	if (report_read("meminfo", &text, why))
		return -1;
	s->free = meminfo_kb(text, "MemFree");
	s->anon = meminfo_kb(text, "AnonPages");
	s->active_anon = meminfo_kb(text, "Active(anon)");
	s->inactive_anon = meminfo_kb(text, "Inactive(anon)");
	s->swap_total = meminfo_kb(text, "SwapTotal");
	s->swap_free = meminfo_kb(text, "SwapFree");
	s->swap_cached = meminfo_kb(text, "SwapCached");
	free(text);
	if (report_read("self/status", &text, why))
		return -1;
	s->rss = meminfo_kb(text, "VmRSS");
	s->vmswap = meminfo_kb(text, "VmSwap");
	free(text);
	if (report_read("vmstat", &text, why))
		return -1;
	s->pswpout = vmstat_value(text, "pswpout");
	s->pswpin = vmstat_value(text, "pswpin");
	s->pgmajfault = vmstat_value(text, "pgmajfault");
	s->pgfault = vmstat_value(text, "pgfault");
	s->pgscan_kswapd = vmstat_value(text, "pgscan_kswapd");
	s->pgscan_direct = vmstat_value(text, "pgscan_direct");
	s->pgsteal_kswapd = vmstat_value(text, "pgsteal_kswapd");
	s->pgsteal_direct = vmstat_value(text, "pgsteal_direct");
	s->allocstall = vmstat_allocstall(text);
	s->swap_ra = vmstat_value(text, "swap_ra");
	s->swap_ra_hit = vmstat_value(text, "swap_ra_hit");
	s->pgactivate = vmstat_value(text, "pgactivate");
	s->pgdeactivate = vmstat_value(text, "pgdeactivate");
	free(text);

#define NEED(field, name) do { if (s->field < 0 && !missing) missing = name; } while (0)
	NEED(free, "meminfo MemFree");
	NEED(anon, "meminfo AnonPages");
	NEED(active_anon, "meminfo Active(anon)");
	NEED(inactive_anon, "meminfo Inactive(anon)");
	NEED(swap_total, "meminfo SwapTotal");
	NEED(swap_free, "meminfo SwapFree");
	NEED(swap_cached, "meminfo SwapCached");
	NEED(rss, "self/status VmRSS");
	NEED(vmswap, "self/status VmSwap");
	NEED(pswpout, "vmstat pswpout");
	NEED(pswpin, "vmstat pswpin");
	NEED(pgmajfault, "vmstat pgmajfault");
	NEED(pgfault, "vmstat pgfault");
	NEED(pgscan_kswapd, "vmstat pgscan_kswapd");
	NEED(pgscan_direct, "vmstat pgscan_direct");
	NEED(pgsteal_kswapd, "vmstat pgsteal_kswapd");
	NEED(pgsteal_direct, "vmstat pgsteal_direct");
	NEED(allocstall, "vmstat allocstall_*");
	NEED(swap_ra, "vmstat swap_ra");
	NEED(swap_ra_hit, "vmstat swap_ra_hit");
	NEED(pgactivate, "vmstat pgactivate");
	NEED(pgdeactivate, "vmstat pgdeactivate");
#undef NEED
	if (missing) {
		fprintf(stderr, "mmkit: the reports lack %s, which the swap chapter reads\n", missing);
		return -1;
	}
	return 0;
}

/*
 * Wait until reclaim has gone quiet: kswapd works in the background after
 * the workload stops (until free memory is back above the high watermark),
 * and swap writes complete asynchronously. Quiet = no scan, steal or swap
 * I/O counter moved over 5 reads 20 ms apart; at most 10 s. Returns the
 * state then, or -1.
 */
static int read_quiet(struct sstate *s, bool *quiet)
{
	struct sstate prev;
	int still = 0;

	if (read_sstate(&prev))
		return -1;
	for (int i = 0; i < 500 && still < 5; i++) {
		usleep(20000);
		if (read_sstate(s))
			return -1;
		if (s->pgscan_kswapd == prev.pgscan_kswapd &&
		    s->pgscan_direct == prev.pgscan_direct &&
		    s->pgsteal_kswapd == prev.pgsteal_kswapd &&
		    s->pgsteal_direct == prev.pgsteal_direct &&
		    s->pswpout == prev.pswpout && s->pswpin == prev.pswpin &&
		    s->swap_free == prev.swap_free && s->rss == prev.rss &&
		    s->vmswap == prev.vmswap)
			still++;
		else
			still = 0;
		prev = *s;
	}
	*quiet = still >= 5;
	if (!*quiet)
		printf("  (reclaim did not go quiet within 10 s: the numbers below may move)\n");
	return 0;
}

static void row(const char *label, long long a, long long b, const char *unit)
{
	table_row(34, label, a, b, unit);
}

static void show_change(const struct sstate *a, const struct sstate *b)
{
	row("meminfo   MemFree", a->free, b->free, "kB");
	row("          AnonPages", a->anon, b->anon, "kB");
	row("          Active(anon)", a->active_anon, b->active_anon, "kB");
	row("          Inactive(anon)", a->inactive_anon, b->inactive_anon, "kB");
	row("          SwapFree", a->swap_free, b->swap_free, "kB");
	row("          SwapCached", a->swap_cached, b->swap_cached, "kB");
	row("self/status VmRSS", a->rss, b->rss, "kB");
	row("          VmSwap", a->vmswap, b->vmswap, "kB");
	row("vmstat    pswpout (pages written)", a->pswpout, b->pswpout, "");
	row("          pswpin (pages read)", a->pswpin, b->pswpin, "");
	row("          pgmajfault", a->pgmajfault, b->pgmajfault, "");
	row("          swap_ra (read ahead)", a->swap_ra, b->swap_ra, "");
	row("          swap_ra_hit (used)", a->swap_ra_hit, b->swap_ra_hit, "");
	row("          pgscan_kswapd", a->pgscan_kswapd, b->pgscan_kswapd, "");
	row("          pgsteal_kswapd", a->pgsteal_kswapd, b->pgsteal_kswapd, "");
	row("          pgscan_direct", a->pgscan_direct, b->pgscan_direct, "");
	row("          pgsteal_direct", a->pgsteal_direct, b->pgsteal_direct, "");
	row("          allocstall (all zones)", a->allocstall, b->allocstall, "");
	row("          pgactivate", a->pgactivate, b->pgactivate, "");
	row("          pgdeactivate", a->pgdeactivate, b->pgdeactivate, "");
}

/* The swaps report, indented; returns 0 or -1. */
static int show_swaps(const char *when)
{
	char *text, line[512];

	if (report_read("swaps", &text, "the swap chapter"))
		return -1;
	printf("  swaps report %s:\n", when);
	for (const char *p = text; (p = next_line(p, line, sizeof(line)));)
		printf("    %s\n", line);
	free(text);
	return 0;
}

/* ---- The workload ---------------------------------------------------------- */

/* Word @w of page @page: every word of the workload differs. */
static inline uint64_t pattern(uint64_t page, uint64_t w)
{
	uint64_t x = (page << 12 | w) + 0x6a09e667f3bcc909ULL;

	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

/* FNV-1a over 64-bit words. */
static inline uint64_t fnv_words(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_SEED	0xcbf29ce484222325ULL

/* Write the pattern into page @i of @p; returns the page's checksum. */
static uint64_t write_page(unsigned char *p, size_t i)
{
	uint64_t *w = (uint64_t *)(p + i * PAGE_SIZE);

	for (size_t k = 0; k < PAGE_SIZE / 8; k++)
		w[k] = pattern(i, k);
	return fnv_words(FNV_SEED, w, PAGE_SIZE / 8);
}

/* Bytes of page @i that differ from the pattern. */
static size_t bad_bytes(const unsigned char *p, size_t i)
{
	const uint64_t *w = (const uint64_t *)(p + i * PAGE_SIZE);
	size_t bad = 0;

	for (size_t k = 0; k < PAGE_SIZE / 8; k++) {
		uint64_t x = w[k] ^ pattern(i, k);

		for (int b = 0; b < 8; b++)
			bad += (x >> (8 * b) & 0xff) != 0;
	}
	return bad;
}

/* ---- kmalloc buffers ------------------------------------------------------ */

#define NR_KBUF	4

static const size_t kbuf_size[NR_KBUF] = { 64UL << 10, 16UL << 10, 4096, 100 };

struct kbuf {
	unsigned char *p;
	size_t size;
	unsigned long pfn[16];		/* per page (64 KiB at most) */
	size_t nr_pfn;
	uint64_t sum;
};

static uint64_t fnv_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = FNV_SEED;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The buffer's pfns (one per page it touches) and its checksum, now. */
static void kbuf_observe(const struct kbuf *k, unsigned long *pfn, size_t *nr, uint64_t *sum)
{
	uintptr_t first = (uintptr_t)k->p & ~(PAGE_SIZE - 1);
	uintptr_t last = ((uintptr_t)k->p + k->size - 1) & ~(PAGE_SIZE - 1);

	*nr = 0;
	for (uintptr_t a = first; a <= last && *nr < 16; a += PAGE_SIZE)
		pfn[(*nr)++] = page_to_pfn(virt_to_page((const void *)a));
	*sum = fnv_bytes(k->p, k->size);
}

static void kbuf_line(const struct kbuf *k, const unsigned long *pfn, size_t nr, uint64_t sum)
{
	char pfns[64];
	bool consecutive = true;

	for (size_t i = 1; i < nr; i++)
		consecutive &= pfn[i] == pfn[0] + i;
	if (nr == 1)
		snprintf(pfns, sizeof(pfns), "0x%lx", pfn[0]);
	else
		snprintf(pfns, sizeof(pfns), "0x%lx-0x%lx%s", pfn[0], pfn[nr - 1],
			 consecutive ? "" : " (scattered)");
	printf("    kmalloc(%6zu) %p  %2zu frame(s) %-20s checksum %016llx\n", k->size,
	       (void *)k->p, nr, pfns, (unsigned long long)sum);
}

static int kbufs_alloc(struct kbuf *kb)
{
	uint64_t x = 0x243f6a8885a308d3ULL;

	for (int i = 0; i < NR_KBUF; i++) {
		struct kbuf *k = &kb[i];

		k->size = kbuf_size[i];
		k->p = kmalloc(k->size, GFP_KERNEL);
		if (!k->p) {
			printf("  kmalloc(%zu, GFP_KERNEL) returned NULL\n", k->size);
			return -1;
		}
		for (size_t j = 0; j < k->size; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			k->p[j] = (unsigned char)x;
		}
		kbuf_observe(k, k->pfn, &k->nr_pfn, &k->sum);
	}
	return 0;
}

static void kbufs_free(struct kbuf *kb)
{
	for (int i = 0; i < NR_KBUF; i++)
		kfree(kb[i].p);
}

/* ---- 6a: the machine --------------------------------------------------------- */

/* The first page of the swap file, as mkswap writes it (Linux's union
 * swap_header: version, last_page, nr_badpages, uuid after 1024 bytes of
 * boot bits; the signature in the page's last 10 bytes). */
static void show_swap_header(const char *path)
{
	unsigned char page[4096];
	uint32_t version, last_page, nr_bad;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, page, sizeof(page), 0);

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(page)) {
		printf("  (the swap file's first page could not be read: %s)\n", strerror(errno));
		return;
	}
	memcpy(&version, page + 1024, 4);
	memcpy(&last_page, page + 1028, 4);
	memcpy(&nr_bad, page + 1032, 4);
	printf("  The file's first page, read back from the host file: the signature\n"
	       "  \"%.10s\" at offset 4086, version %u, last_page %u, nr_badpages %u,\n"
	       "  uuid ", page + 4086, version, last_page, nr_bad);
	for (int i = 0; i < 16; i++)
		printf("%02x%s", page[1036 + i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	printf(":\n  Linux's swap header, as mkswap writes it (blkid and swapon know the file).\n");
}

static int ch6_machine(struct kbuf *kb, const char *path, const char *console,
		       struct sstate *boot)
{
	char s1[32], s2[32], line[512];
	long long total;

	section("6a", "A small machine with a swap file");
	if (read_meminfo_key("MemTotal", &total) || read_sstate(boot))
		return -1;
	printf("\n  Booted with: %s\n", mmk_boot_cmdline());
	printf("  RAM: MemTotal %s; swap: SwapTotal %s in %s.\n",
	       mib(s1, sizeof(s1), (unsigned long long)total),
	       mib(s2, sizeof(s2), (unsigned long long)boot->swap_total), path);
	printf("  The kernel said, at boot (swapon's line):\n");
	for (const char *p = console; p && (p = next_line(p, line, sizeof(line)));)
		if (strstr(line, "swap"))
			printf("    %s\n", line);
	printf("\n");
	if (show_swaps("after boot"))
		return -1;
	printf("\n");
	show_swap_header(path);

	printf("\n  Before any pressure, the kernel allocates a few buffers with kmalloc and\n"
	       "  fills them with pseudo-random bytes. Their frames (page_to_pfn of\n"
	       "  virt_to_page of each page) and an FNV-1a checksum of their contents:\n\n");
	if (kbufs_alloc(kb))
		return -1;
	for (int i = 0; i < NR_KBUF; i++)
		kbuf_line(&kb[i], kb[i].pfn, kb[i].nr_pfn, kb[i].sum);
	return 0;
}

/* ---- 6b: three times RAM --------------------------------------------------- */

struct work {
	unsigned char *p;
	uint64_t *sum;			/* per page, at write time */
	double write_ns, read_ns;
};

static int ch6_write(struct demo *d, struct work *wk, struct sstate *a, struct sstate *b)
{
	long long want_kb = (long long)(WORK_SIZE >> 10), ram_kb;
	bool quiet;
	double t0;
	char s1[32];

	section("6b", "Writing three times RAM");
	claim("\"If swap is enabled, that page may be 'borrowed' from some other\n"
	      "         process, after the contents are deposited in the swap file.\"");
	printf("  The process maps %s, three times RAM (mmk_mmap, private, anonymous,\n"
	       "  MAP_NORESERVE, so that the same call works in 6f without swap, where\n"
	       "  the heuristic overcommit, RAM + swap, would refuse it), and writes\n"
	       "  every word of every page: word k of page i is a function of (i, k), so\n"
	       "  each page's contents are its own. The checksum of each page is noted as\n"
	       "  it is written. When free memory falls below the low watermark, kswapd\n"
	       "  wakes and reclaims the least recently used pages: each is written to a\n"
	       "  swap slot and its PTE replaced by the slot's swap entry; a fault that\n"
	       "  finds no free frame reclaims directly.\n\n",
	       fmt_bytes(s1, sizeof(s1), WORK_SIZE));
	if (read_meminfo_key("MemTotal", &ram_kb) || read_sstate(a))
		return -1;
	wk->p = mmk_mmap(NULL, WORK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (wk->p == MAP_FAILED) {
		wk->p = NULL;
		verdict(d, false, "mmk_mmap(%s, MAP_NORESERVE) failed: %s",
			fmt_bytes(s1, sizeof(s1), WORK_SIZE), strerror(errno));
		return 0;
	}
	t0 = bench_now_ns();
	for (size_t i = 0; i < WORK_PAGES; i++)
		wk->sum[i] = write_page(wk->p, i);
	wk->write_ns = bench_now_ns() - t0;
	if (read_quiet(b, &quiet))
		return -1;
	printf("    written in %.2f s (%.0f MiB/s)\n\n", wk->write_ns / 1e9,
	       (double)WORK_SIZE / (1 << 20) / (wk->write_ns / 1e9));
	show_change(a, b);
	printf("\n");
	if (show_swaps("after the writes"))
		return -1;
	printf("\n  Reclaim scanned %lld pages (kswapd %lld, direct %lld, in %lld stalled\n"
	       "  allocations) and took %lld (kswapd %lld, direct %lld); %lld pages were\n"
	       "  written to the swap file. Now %lld kB of the process are resident and\n"
	       "  %lld kB are on swap: %lld kB, the %lld kB written.\n",
	       (b->pgscan_kswapd - a->pgscan_kswapd) + (b->pgscan_direct - a->pgscan_direct),
	       b->pgscan_kswapd - a->pgscan_kswapd, b->pgscan_direct - a->pgscan_direct,
	       b->allocstall - a->allocstall,
	       (b->pgsteal_kswapd - a->pgsteal_kswapd) + (b->pgsteal_direct - a->pgsteal_direct),
	       b->pgsteal_kswapd - a->pgsteal_kswapd, b->pgsteal_direct - a->pgsteal_direct,
	       b->pswpout - a->pswpout, b->rss, b->vmswap, b->rss + b->vmswap, want_kb);
	verdict(d, quiet && b->rss + b->vmswap == want_kb && b->rss <= ram_kb &&
		   b->vmswap >= want_kb - ram_kb && (b->pswpout - a->pswpout) * 4 >= b->vmswap &&
		   b->swap_total - b->swap_free >= b->vmswap,
		"pages were deposited in the swap file: of the %s\n"
		"  written, %lld kB are on swap (VmSwap) and %lld kB resident (VmRSS;\n"
		"  MemTotal %lld kB); %lld pages written out (pswpout), %lld kB of swap\n"
		"  in use",
		fmt_bytes(s1, sizeof(s1), WORK_SIZE), b->vmswap, b->rss, ram_kb,
		b->pswpout - a->pswpout, b->swap_total - b->swap_free);
	return 0;
}

/* ---- 6c: reading it back --------------------------------------------------- */

static int ch6_read(struct demo *d, struct work *wk, const struct sstate *b, struct sstate *c)
{
	size_t bad_pages = 0, bad = 0, first_bad = 0;
	uint64_t sum_w = FNV_SEED, sum_r = FNV_SEED;
	long long on_swap_pages = (b->vmswap - b->swap_cached) / 4;
	bool quiet;
	double t0;

	section("6c", "Reading it all back");
	printf("\n  Every page is read again, in address order, and its checksum compared\n"
	       "  with the one noted when it was written; a page whose checksum differs\n"
	       "  is compared byte by byte with what was written. A page on swap comes\n"
	       "  back by a major fault: the fault handler finds a swap entry in the PTE,\n"
	       "  reads the slot into a fresh frame (with the slots after it: readahead),\n"
	       "  and maps it. The reads need frames, so other pages go out meanwhile.\n\n");
	t0 = bench_now_ns();
	for (size_t i = 0; i < WORK_PAGES; i++) {
		uint64_t s = fnv_words(FNV_SEED, (const uint64_t *)(wk->p + i * PAGE_SIZE),
				       PAGE_SIZE / 8);

		sum_w = (sum_w ^ wk->sum[i]) * 0x100000001b3ULL;
		sum_r = (sum_r ^ s) * 0x100000001b3ULL;
		if (s != wk->sum[i]) {
			size_t n = bad_bytes(wk->p, i);

			if (!bad_pages)
				first_bad = i;
			bad_pages++;
			bad += n ? n : PAGE_SIZE;
		}
	}
	wk->read_ns = bench_now_ns() - t0;
	if (read_quiet(c, &quiet))
		return -1;
	printf("    read and checked in %.2f s (%.0f MiB/s)\n", wk->read_ns / 1e9,
	       (double)WORK_SIZE / (1 << 20) / (wk->read_ns / 1e9));
	printf("    checksum of the page checksums: written %016llx, read %016llx\n",
	       (unsigned long long)sum_w, (unsigned long long)sum_r);
	if (bad_pages)
		printf("    %zu page(s) differ, %zu byte(s) in all; the first is page %zu\n",
		       bad_pages, bad, first_bad);
	else
		printf("    pages that differ: none of %lu\n", WORK_PAGES);
	printf("\n");
	show_change(b, c);
	printf("\n  %lld pages were read from the swap file (pswpin) in %lld major faults;\n"
	       "  readahead brought %lld pages with the faulting ones, and %lld of them\n"
	       "  were used before reclaim took them again (swap_ra_hit). Meanwhile\n"
	       "  reclaim went on (pswpout %+lld): the pages still resident when the\n"
	       "  reading began went out before it reached them, so they came back\n"
	       "  from swap too.\n",
	       c->pswpin - b->pswpin, c->pgmajfault - b->pgmajfault, c->swap_ra - b->swap_ra,
	       c->swap_ra_hit - b->swap_ra_hit, c->pswpout - b->pswpout);
	if (c->swap_cached)
		printf("  A page read in and not written stays in the swap cache (SwapCached,\n"
		       "  %lld kB now): its slot still holds the same bytes, so reclaiming it\n"
		       "  again needs no write.\n", c->swap_cached);
	else if ((b->swap_total - b->swap_free) * 2 > b->swap_total)
		printf("  Swap was more than half full when the reading began (%lld of %lld kB\n"
		       "  in use), so, as in Linux (vm_swap_full()), a page read back gives its\n"
		       "  slot up at once instead of keeping it in the swap cache for a\n"
		       "  write-free second swap-out: SwapCached stays 0, and each page\n"
		       "  reclaimed again is written anew.\n",
		       b->swap_total - b->swap_free, b->swap_total);
	verdict(d, !bad_pages && sum_w == sum_r && c->pswpin - b->pswpin >= on_swap_pages &&
		   on_swap_pages > 0 && c->pgmajfault > b->pgmajfault,
		"all %lu pages read back intact: %zu bytes differ,\n"
		"  checksums equal; the %lld pages that were only on swap came back (pswpin\n"
		"  %+lld, pgmajfault %+lld)", WORK_PAGES, bad, on_swap_pages,
		c->pswpin - b->pswpin, c->pgmajfault - b->pgmajfault);
	return 0;
}

/* ---- 6d: the kmalloc buffers ------------------------------------------------- */

static void ch6_kmalloc(struct demo *d, const struct kbuf *kb, const struct sstate *start,
			const struct sstate *end)
{
	int same = 0, frames = 0;

	section("6d", "The kmalloc buffers, after the pressure");
	claim("\"kmalloc'ed memory is reserved and locked, it cannot be swapped.\"");
	printf("  The same buffers, observed again the same way:\n\n");
	for (int i = 0; i < NR_KBUF; i++) {
		unsigned long pfn[16];
		size_t nr;
		uint64_t sum;

		kbuf_observe(&kb[i], pfn, &nr, &sum);
		kbuf_line(&kb[i], pfn, nr, sum);
		frames += (int)kb[i].nr_pfn;
		same += nr == kb[i].nr_pfn && !memcmp(pfn, kb[i].pfn, nr * sizeof(*pfn)) &&
			sum == kb[i].sum;
	}
	printf("\n  Meanwhile %lld pages were written to swap and %lld read back.\n"
	       "  Reclaim only looks at the LRU lists, and a kmalloc'd frame is never on\n"
	       "  them (it is not in Active(anon) or Inactive(anon)): it has no PTE to\n"
	       "  replace, and the kernel reaches it through the direct map at any time,\n"
	       "  even with interrupts off, where no fault may be taken.\n",
	       end->pswpout - start->pswpout, end->pswpin - start->pswpin);
	verdict(d, same == NR_KBUF && end->pswpout > start->pswpout,
		"the %d kmalloc buffers kept every frame and every byte:\n"
		"  %d of %d have the same %d pfns and checksums as before, while %lld\n"
		"  page writes went to swap",
		NR_KBUF, same, NR_KBUF, frames, end->pswpout - start->pswpout);
}

/* ---- 6e: munmap ------------------------------------------------------------ */

static int ch6_munmap(struct demo *d, struct work *wk)
{
	struct sstate a, b;
	long problems;
	bool quiet;

	section("6e", "munmap: every swap slot comes back");
	if (read_sstate(&a))
		return -1;
	if (mmk_munmap(wk->p, WORK_SIZE)) {
		printf("  mmk_munmap failed: %s\n", strerror(errno));
		return -1;
	}
	wk->p = NULL;
	if (read_quiet(&b, &quiet))
		return -1;
	printf("\n  mmk_munmap() of the %lu pages, some resident, some on swap, some in\n"
	       "  the swap cache: each swap PTE drops its slot's count, each frame goes\n"
	       "  back to the buddy allocator.\n\n", WORK_PAGES);
	row("meminfo   SwapFree", a.swap_free, b.swap_free, "kB");
	row("          SwapCached", a.swap_cached, b.swap_cached, "kB");
	row("          AnonPages", a.anon, b.anon, "kB");
	row("self/status VmSwap", a.vmswap, b.vmswap, "kB");
	row("          VmRSS", a.rss, b.rss, "kB");
	printf("\n");
	if (show_swaps("after munmap"))
		return -1;
	printf("\n  mmk_check (swap slots against the swap PTEs that hold them, the swap\n"
	       "  cache, the LRU lists, the page tables, the buddy lists):\n");
	problems = mmk_check(stdout);
	printf("    %ld problem(s)\n", problems);
	verdict(d, b.swap_free == b.swap_total && !b.swap_cached && !b.vmswap && !b.anon &&
		   !problems,
		"every swap slot is free again: SwapFree = SwapTotal =\n"
		"  %lld kB, SwapCached %lld kB, VmSwap %lld kB, and mmk_check found\n"
		"  %ld problem(s)",
		b.swap_total, b.swap_cached, b.vmswap, problems);
	return 0;
}

/* ---- 6f: without swap ---------------------------------------------------- */

/* The child: boot without swap and run the workload. Never returns. */
static _Noreturn void oom_child(int out, volatile unsigned long *progress)
{
	unsigned char *p;

	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	close(out);
	if (mmk_boot(RAM_CMD))
		_exit(3);
	p = mmk_mmap(NULL, WORK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		_exit(4);
	for (size_t i = 0; i < WORK_PAGES; i++) {
		write_page(p, i);
		*progress = i + 1;
	}
	_exit(0);	/* it should not get here */
}

/* Read the child's console until it closes, at most until @deadline (ns). */
static char *collect(int fd, double deadline, bool *timed_out)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	*timed_out = false;
	while (buf) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		double left = deadline - bench_now_ns();
		ssize_t n;

		if (left <= 0) {
			*timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)(left / 1e6) + 1) == 0)
			continue;
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Print the lines of @text that make the OOM report's story. */
static int show_oom_lines(const char *text)
{
	char line[512];
	bool in_tasks = false;
	int shown = 0, lines = 0;

	for (const char *p = text; (p = next_line(p, line, sizeof(line)));) {
		bool show = false;

		lines++;
		if (strstr(line, "invoked oom-killer") || strstr(line, "Tasks state") ||
		    strstr(line, "oom-kill:") || strstr(line, "Out of memory:") ||
		    strstr(line, "oom_reaper") || strstr(line, "Killed process")) {
			show = true;
			in_tasks = strstr(line, "Tasks state") != NULL;
		} else if (in_tasks) {
			show = strchr(line, '[') != NULL;
			in_tasks = show;
		}
		if (show && shown < 24) {
			printf("    %s\n", line);
			shown++;
		}
	}
	return lines;
}

static int ch6_oom(struct demo *d)
{
	volatile unsigned long *progress;
	char *text, killed[64];
	int fds[2], status = 0, lines;
	bool timed_out, sigkill, finished, report, named;
	double t0;
	pid_t pid;

	section("6f", "Without swap: the OOM killer");
	claim("without swap, anonymous pages have nowhere to go: the same workload\n"
	      "         meets the OOM killer.");
	printf("  The same workload, in a child process that boots \"%s\" with no swap=\n"
	       "  (this process's machine is shut down first; the child's console goes\n"
	       "  through a pipe to this one). Without swap kswapd does not run and\n"
	       "  reclaim has nothing it may take: when a page fault finds no frame, the\n"
	       "  OOM killer reports and the process dies by SIGKILL, as Linux ends its\n"
	       "  victim.\n\n", RAM_CMD);
	progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (progress == MAP_FAILED) {
		printf("  host mmap failed: %s\n", strerror(errno));
		return -1;
	}
	*progress = 0;
	if (pipe2(fds, O_CLOEXEC)) {
		printf("  pipe failed: %s\n", strerror(errno));
		munmap((void *)progress, 4096);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0) {
		printf("  fork failed: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		munmap((void *)progress, 4096);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		oom_child(fds[1], progress);
	}
	close(fds[1]);
	text = collect(fds[0], t0 + OOM_TIMEOUT_S * 1e9, &timed_out);
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!text) {
		printf("  out of host memory\n");
		munmap((void *)progress, 4096);
		return -1;
	}
	sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !timed_out;
	finished = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	snprintf(killed, sizeof(killed), "Killed process %d (", (int)pid);
	report = strstr(text, "invoked oom-killer") && strstr(text, "Out of memory: Killed process");
	named = strstr(text, killed) != NULL;

	printf("  The child, pid %d, wrote %lu of the %lu pages (%.1f MiB) in %.2f s,\n  then",
	       (int)pid, *progress, WORK_PAGES, (double)*progress * PAGE_SIZE / (1 << 20),
	       (bench_now_ns() - t0) / 1e9);
	if (timed_out)
		printf(" neither ended nor died within %d s: this process killed it.\n",
		       OOM_TIMEOUT_S);
	else if (WIFSIGNALED(status))
		printf(" died by signal %d (%s).\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		printf(" exited with status %d%s.\n", WEXITSTATUS(status),
		       finished ? " (the workload completed)" :
		       WEXITSTATUS(status) == 3 ? " (mmk_boot failed)" :
		       WEXITSTATUS(status) == 4 ? " (mmk_mmap failed)" : "");
	printf("  From its console, the kernel's report (the Mem-Info block left out):\n\n");
	lines = show_oom_lines(text);
	printf("\n  (%d lines on the child's console in all)\n", lines);
	if (!report && *text)
		printf("  Its console:\n%s\n", text);
	verdict(d, sigkill && report && named && *progress < WORK_PAGES,
		"without swap, the same workload met the OOM killer:\n"
		"  the child died by %s after %.1f MiB, its console says \"Out of\n"
		"  memory: Killed process %d\"",
		sigkill ? "SIGKILL" : "something else", (double)*progress * PAGE_SIZE / (1 << 20),
		(int)pid);
	free(text);
	munmap((void *)progress, 4096);
	return 0;
}

/* ---- The chapter ------------------------------------------------------- */

int chapter_swap(struct demo *d)
{
	struct kbuf kb[NR_KBUF] = { 0 };
	struct work wk = { NULL, NULL, 0, 0 };
	struct sstate boot, a, b, c;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200], *cmdline = NULL, *console = NULL;
	int err = -1;

	snprintf(dir, sizeof(dir), "%s/mmkit-swap-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("  cannot make a directory for the swap file (%s): %s\n", dir,
		       strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/swapfile", dir);
	if (asprintf(&cmdline, "%s swap=%s:%s", RAM_CMD, path, SWAP_SIZE) < 0)
		cmdline = NULL;
	wk.sum = malloc(WORK_PAGES * sizeof(*wk.sum));
	if (!cmdline || !wk.sum) {
		printf("  out of host memory\n");
		goto out_dir;
	}
	if (d->cmdline)
		printf("\n  (This chapter boots its own machine; --boot applies to the others.)\n");
	console_capture_start();
	err = cli_boot(cmdline) ? -1 : 0;
	console = console_capture_end();
	if (err) {
		if (console)
			fputs(console, stderr);
		err = -1;
		goto out_dir;
	}
	err = ch6_machine(kb, path, console, &boot);
	if (!err)
		err = ch6_write(d, &wk, &a, &b);
	if (!err && wk.p)
		err = ch6_read(d, &wk, &b, &c);
	if (!err && wk.p)
		ch6_kmalloc(d, kb, &a, &c);
	if (!err && wk.p)
		err = ch6_munmap(d, &wk);
	if (wk.p)
		mmk_munmap(wk.p, WORK_SIZE);
	kbufs_free(kb);
	if (!err && mmk_check(stdout)) {
		printf("  mmk_check found the problems above after the chapter\n");
		err = -1;
	}
	mmk_shutdown();
out_dir:
	unlink(path);
	rmdir(dir);
	free(cmdline);
	free(console);
	free(wk.sum);
	if (!err)
		err = ch6_oom(d);
	return err;
}
