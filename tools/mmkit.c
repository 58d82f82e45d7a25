// SPDX-License-Identifier: MIT
/*
 * The mmkit command: boot a simulated machine and look at it.
 *
 *   mmkit demo [--boot CMDLINE]          the guided tour (tools/demo.c)
 *   mmkit report NAME [--boot CMDLINE]   one /proc-style report, exactly
 *   mmkit check [--boot CMDLINE]         a short self-test and mmk_check()
 *   mmkit slabtop [--idle] [--boot CMDLINE]  the slab caches, slabtop-style
 *   mmkit maps [--boot CMDLINE]          the process's mappings, what backs them
 *   mmkit help | --help
 *
 * Exit status: 0 done, 1 a check or claim failed or the machine could not
 * be built, 2 bad usage (unknown command or report, bad --boot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>

#include "mmkit_cli.h"

#define EXIT_USAGE 2

/* The report names of the public contract (API.md); which of them this
 * build has is asked of mmk_report() itself. */
static const char *const report_names[] = {
	"buddyinfo", "pagetypeinfo", "zoneinfo", "meminfo", "vmstat", "extfrag",
	"slabinfo", "vmallocinfo", "swaps", "iomem",
	"self/status", "self/smaps_rollup", "self/maps",
	"mm_faults",	/* mmkit's own: the user-memory fault counters */
};
#define NR_REPORT_NAMES (sizeof(report_names) / sizeof(report_names[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmkit COMMAND [ARGS]\n"
		"\n"
		"mmkit runs the Linux kernel's memory allocators in user space, on a simulated\n"
		"machine with real RAM (a memfd) and a direct map.\n"
		"\n"
		"Commands:\n"
		"  demo [--boot CMDLINE]         guided tour of the seed text's claims, each\n"
		"                                tested live with its evidence and a verdict\n"
		"  report NAME [--boot CMDLINE]  boot, print one /proc-style report exactly, stop\n"
		"                                (buddyinfo, pagetypeinfo, zoneinfo, meminfo,\n"
		"                                vmstat, slabinfo, vmallocinfo, iomem, extfrag,\n"
		"                                self/maps, self/smaps_rollup, self/status, and\n"
		"                                mmkit's own mm_faults)\n"
		"  check [--boot CMDLINE]        boot, run a short allocation self-test, then the\n"
		"                                invariant checker; prints OK or the problems\n"
		"  slabtop [--idle] [--boot CMDLINE]\n"
		"                                the slab caches as `slabtop --once --sort=c`\n"
		"                                shows them (procps' summary, header and\n"
		"                                columns), biggest memory user first. A short\n"
		"                                workload runs first so the view is not all\n"
		"                                zeros: kmalloc objects of 12 sizes from 16 bytes\n"
		"                                to 8 KiB (3000 of 16 bytes down to 12 of 8 KiB,\n"
		"                                plus two of 64 KiB, which come from the page\n"
		"                                allocator and so are not in the view), every\n"
		"                                third one freed again so slabs are partly used,\n"
		"                                and 1000 objects of a cache of its own\n"
		"                                (mmkit_demo_node, 200 bytes, SLAB_HWCACHE_ALIGN).\n"
		"                                --idle: the machine as booted, no workload\n"
		"  maps [--boot CMDLINE]         the simulated process's mappings as self/maps\n"
		"                                lists them, with the kB each one has on frames\n"
		"                                and on the zero page (followed page by page),\n"
		"                                checked against self/status and smaps_rollup.\n"
		"                                A workload makes them first: a 100 KiB heap\n"
		"                                (sbrk, all written); 64 MiB mapped as malloc\n"
		"                                maps big blocks, all of it read, its first\n"
		"                                quarter written, its last MiB made read-only;\n"
		"                                256 KiB with MAP_LOCKED; 64 KiB of PROT_NONE\n"
		"  help, --help                  this text\n"
		"\n"
		"CMDLINE is a kernel command line of space separated options; the default\n"
		"machine is \"mem=256M dma_zone=16M kmalloc_max=128K\". Options: mem=SIZE\n"
		"dma_zone=SIZE kmalloc_max=SIZE min_free_kbytes=KB nopcp\n"
		"slub_debug=FLAGS[,CACHE...] (F Z P U, as Linux)\n"
		"\n"
		"Example: mmkit report buddyinfo --boot \"mem=1G nopcp\"\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "mmkit: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'mmkit --help')\n");
	return EXIT_USAGE;
}

int cli_boot(const char *cmdline)
{
	int err = mmk_boot(cmdline);

	if (!err)
		return 0;
	/* mmk_boot has named the bad token on stderr already. */
	if (err == -EINVAL) {
		fprintf(stderr, "mmkit: cannot boot with \"%s\" (see 'mmkit --help' for the options)\n",
			cmdline ? cmdline : "");
		return EXIT_USAGE;
	}
	fprintf(stderr, "mmkit: boot failed: %s\n", strerror(-err));
	return 1;
}

/*
 * Parse "[--boot CMDLINE | --boot=CMDLINE] [--idle] [positional]" from
 * @argv; --idle only where @idle is not NULL. At most @max_pos positionals
 * go to @pos. Returns 0 or the usage exit status.
 */
static int parse_args(int argc, char **argv, const char **boot,
		      const char **pos, int max_pos, int *nr_pos, bool *idle)
{
	*boot = NULL;
	*nr_pos = 0;
	if (idle)
		*idle = false;
	for (int i = 0; i < argc; i++) {
		if (idle && !strcmp(argv[i], "--idle")) {
			*idle = true;
		} else if (!strcmp(argv[i], "--boot")) {
			if (i + 1 == argc)
				return bad_usage("%s needs a command line, e.g. --boot \"mem=1G\"",
						 argv[i]);
			*boot = argv[++i];
		} else if (!strncmp(argv[i], "--boot=", 7)) {
			*boot = argv[i] + 7;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return bad_usage("unknown option '%s'", argv[i]);
		} else if (*nr_pos < max_pos) {
			pos[(*nr_pos)++] = argv[i];
		} else {
			return bad_usage("unexpected argument '%s'", argv[i]);
		}
	}
	return 0;
}

/* ---- mmkit report ------------------------------------------------------ */

/* The report names this build has: those mmk_report() does not refuse. */
static void list_reports(FILE *f)
{
	FILE *null = fopen("/dev/null", "w");
	int n = 0;

	fprintf(f, "mmkit: valid report names:");
	for (size_t i = 0; null && i < NR_REPORT_NAMES; i++) {
		if (mmk_report(report_names[i], null) == -ENOENT)
			continue;
		fprintf(f, " %s", report_names[i]);
		n++;
	}
	if (!n)
		fprintf(f, " (none: this build has no reports yet)");
	fprintf(f, "\n");
	if (null)
		fclose(null);
}

static int cmd_report(int argc, char **argv)
{
	const char *boot, *name;
	size_t len = 0;
	char *text = NULL;
	int nr, err;
	FILE *f;

	err = parse_args(argc, argv, &boot, &name, 1, &nr, NULL);
	if (err)
		return err;
	if (!nr)
		return bad_usage("%s: which report? (e.g. mmkit report buddyinfo)", "report");
	err = cli_boot(boot);
	if (err)
		return err;
	f = open_memstream(&text, &len);
	if (!f) {
		perror("mmkit: open_memstream");
		mmk_shutdown();
		return 1;
	}
	err = mmk_report(name, f);
	fclose(f);
	if (err == -ENOENT) {
		fprintf(stderr, "mmkit: no report named '%s'\n", name);
		list_reports(stderr);
		err = EXIT_USAGE;
	} else if (err) {
		fprintf(stderr, "mmkit: report %s: %s\n", name, strerror(-err));
		err = 1;
	} else {
		fwrite(text, 1, len, stdout);
	}
	free(text);
	mmk_shutdown();
	return err;
}

/* ---- mmkit check ------------------------------------------------------- */

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned long long next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct held {
	struct page *page;
	unsigned int order;
	unsigned char tag;
};

/* Orders 0..3 most of the time (what the kernel mostly asks for), up to 10. */
static unsigned int random_order(void)
{
	unsigned int r = (unsigned int)(next_rand() % 100);

	if (r < 50)
		return 0;
	if (r < 80)
		return 1 + (unsigned int)(next_rand() % 3);
	return (unsigned int)(next_rand() % (MAX_PAGE_ORDER + 1));
}

static bool block_is_zero(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Mixed orders and GFP flags, freed in random order, each block stamped at
 * both ends and checked when it is freed: a block handed out twice, or
 * overlapping another, shows up as a wrong stamp.
 */
static long self_test(unsigned long *nr_allocs)
{
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_KERNEL | __GFP_ZERO,
		GFP_KERNEL | __GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
		GFP_KERNEL | __GFP_NORETRY,
	};
	enum { NR_OPS = 20000, MAX_HELD = 512 };
	struct held *held = calloc(MAX_HELD, sizeof(*held));
	size_t nr = 0;
	long bad = 0;

	if (!held)
		return 1;
	for (int op = 0; op < NR_OPS; op++) {
		/* Fill for the first half, drain for the second. */
		unsigned int free_pct = op < NR_OPS / 2 ? 25 : 75;
		bool do_free = nr == MAX_HELD || (nr && next_rand() % 100 < free_pct);

		if (do_free) {
			size_t i = next_rand() % nr;
			unsigned char *p = page_address(held[i].page);
			size_t len = PAGE_SIZE << held[i].order;

			if (p[0] != held[i].tag || p[len - 1] != held[i].tag) {
				printf("self-test: block at pfn 0x%lx (order %u) was overwritten\n",
				       page_to_pfn(held[i].page), held[i].order);
				bad++;
			}
			__free_pages(held[i].page, held[i].order);
			held[i] = held[--nr];
		} else {
			gfp_t gfp = gfps[next_rand() % (sizeof(gfps) / sizeof(gfps[0]))];
			unsigned int order = random_order();
			struct page *page = alloc_pages(gfp | __GFP_NOWARN, order);
			unsigned char *p;

			if (!page)
				continue;
			(*nr_allocs)++;
			p = page_address(page);
			if (page_to_pfn(page) & ((1UL << order) - 1)) {
				printf("self-test: order-%u block at pfn 0x%lx is not aligned\n",
				       order, page_to_pfn(page));
				bad++;
			}
			if ((gfp & __GFP_ZERO) && !block_is_zero(p, PAGE_SIZE << order)) {
				printf("self-test: __GFP_ZERO block at pfn 0x%lx is not zeroed\n",
				       page_to_pfn(page));
				bad++;
			}
			held[nr].page = page;
			held[nr].order = order;
			held[nr].tag = (unsigned char)(1 + next_rand() % 255);
			p[0] = p[(PAGE_SIZE << order) - 1] = held[nr].tag;
			nr++;
		}
		if (op == NR_OPS / 2) {
			long problems = mmk_check(stdout);

			printf("mmk_check with %zu blocks allocated: %ld problem(s)\n", nr, problems);
			bad += problems;
		}
	}
	while (nr) {
		nr--;
		__free_pages(held[nr].page, held[nr].order);
	}
	free(held);
	return bad;
}

static int cmd_check(int argc, char **argv)
{
	unsigned long free_before, free_after, allocs = 0;
	const char *boot;
	long bad, problems;
	int nr, err;

	err = parse_args(argc, argv, &boot, NULL, 0, &nr, NULL);
	if (err)
		return err;
	err = cli_boot(boot);
	if (err)
		return err;
	printf("mmkit check: %s\n", mmk_boot_cmdline());
	drain_all_pages(NULL);
	free_before = nr_free_pages();
	bad = self_test(&allocs);
	drain_all_pages(NULL);
	free_after = nr_free_pages();
	printf("self-test: %lu allocations of orders 0-10 with mixed GFP flags, freed in random order\n",
	       allocs);
	if (free_after != free_before) {
		printf("self-test: %lu free pages before, %lu after everything was freed\n",
		       free_before, free_after);
		bad++;
	}
	problems = mmk_check(stdout);
	printf("mmk_check after everything was freed: %ld problem(s)\n", problems);
	bad += problems;
	mmk_shutdown();
	if (bad) {
		printf("PROBLEMS: %ld (see above)\n", bad);
		return 1;
	}
	printf("OK\n");
	return 0;
}

/* ---- mmkit maps -------------------------------------------------------- */

#define MAPS_NAME_COL	73	/* where Linux's maps puts a mapping's name */

struct maps_workload {
	void *heap;
	size_t heap_len;
	struct { char *addr; size_t len; } map[3];
};

static void *anon_map(size_t len, int prot, int flags)
{
	void *p = mmk_mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The mappings of the help text; deterministic. 0 or -1 (errno set). */
static int maps_workload(struct maps_workload *w)
{
	const size_t big = 64UL << 20;
	volatile const char *r;
	char *p;

	w->heap_len = 100 << 10;
	w->heap = mmk_sbrk((intptr_t)w->heap_len);
	if (w->heap == (void *)-1) {
		w->heap = NULL;
		return -1;
	}
	memset(w->heap, 0x5a, w->heap_len);

	p = w->map[0].addr = anon_map(big, PROT_READ | PROT_WRITE, 0);
	if (!p)
		return -1;
	w->map[0].len = big;
	r = p;
	for (size_t off = 0; off < big; off += PAGE_SIZE)
		(void)r[off];			/* the zero page */
	for (size_t off = 0; off < big / 4; off += PAGE_SIZE)
		p[off] = 1;			/* frames */
	if (mmk_mprotect(p + big - (1UL << 20), 1UL << 20, PROT_READ))
		return -1;

	w->map[1].addr = anon_map(256 << 10, PROT_READ | PROT_WRITE, MAP_LOCKED);
	if (!w->map[1].addr)
		return -1;
	w->map[1].len = 256 << 10;
	w->map[2].addr = anon_map(64 << 10, PROT_NONE, 0);
	if (!w->map[2].addr)
		return -1;
	w->map[2].len = 64 << 10;
	return 0;
}

static void maps_workload_end(struct maps_workload *w)
{
	for (int i = 0; i < 3; i++)
		if (w->map[i].addr)
			mmk_munmap(w->map[i].addr, w->map[i].len);
	if (w->heap)
		mmk_sbrk(-(intptr_t)w->heap_len);
}

/* One field of self/status or smaps_rollup in kB, -1 if missing. */
static long long report_kb(const char *name, const char *key)
{
	char *text;
	long long kb;

	if (report_read(name, &text, "mmkit maps"))
		return -1;
	kb = meminfo_kb(text, key);
	free(text);
	return kb;
}

/*
 * The maps report, one row per line, with each mapping's pages followed:
 * on a frame (resident), on the zero page, or on nothing yet. Then the
 * totals beside self/status and smaps_rollup, which count the same thing
 * from the kernel's side: they must agree.
 */
static int show_maps_view(void)
{
	unsigned long zero = mmk_zero_pfn(), tot_kb = 0, tot_rss = 0, tot_zero = 0;
	long long vmsize, vmrss, rss;
	const char *p;
	char line[256], *text;
	int bad = 0;

	if (report_read("self/maps", &text, "mmkit maps"))
		return 1;
	printf("%-25s %9s %9s %9s  %-4s  %s\n", "Address range", "Kbytes", "RSS", "Zero-page",
	       "Perm", "Mapping");
	for (p = next_line(text, line, sizeof(line)); p; p = next_line(p, line, sizeof(line))) {
		unsigned long start, end, kb, rss_kb = 0, zero_kb = 0;
		char perms[5];
		const char *name = strlen(line) > MAPS_NAME_COL ? line + MAPS_NAME_COL : "[anon]";

		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3) {
			printf("mmkit maps: cannot parse the maps line \"%s\"\n", line);
			bad++;
			continue;
		}
		for (unsigned long a = start; a < end; a += PAGE_SIZE) {
			long pfn = mmk_follow_pfn((const void *)a);

			if (pfn < 0)
				continue;
			if ((unsigned long)pfn == zero)
				zero_kb += PAGE_SIZE >> 10;
			else
				rss_kb += PAGE_SIZE >> 10;
		}
		kb = (end - start) >> 10;
		printf("%012lx-%012lx %9lu %9lu %9lu  %-4s  %s\n", start, end, kb, rss_kb, zero_kb,
		       perms, name);
		tot_kb += kb;
		tot_rss += rss_kb;
		tot_zero += zero_kb;
	}
	free(text);
	printf("%-25s %9lu %9lu %9lu\n", "total kB", tot_kb, tot_rss, tot_zero);

	vmsize = report_kb("self/status", "VmSize");
	vmrss = report_kb("self/status", "VmRSS");
	rss = report_kb("self/smaps_rollup", "Rss");
	printf("\nself/status: VmSize %lld kB, VmRSS %lld kB, VmLck %lld kB, VmPTE %lld kB; "
	       "smaps_rollup: Rss %lld kB, Locked %lld kB\n",
	       vmsize, vmrss, report_kb("self/status", "VmLck"), report_kb("self/status", "VmPTE"),
	       rss, report_kb("self/smaps_rollup", "Locked"));
	if (vmsize != (long long)tot_kb || vmrss != (long long)tot_rss || rss != (long long)tot_rss) {
		printf("PROBLEM: the pages followed (%lu kB mapped, %lu kB on frames) and the reports disagree\n",
		       tot_kb, tot_rss);
		bad++;
	} else {
		printf("The frames followed page by page add up to VmRSS and to smaps_rollup's Rss;\n"
		       "pages only read sit on the one zero page (pfn %lu) and count in neither.\n",
		       zero);
	}
	return bad ? 1 : 0;
}

static int cmd_maps(int argc, char **argv)
{
	struct maps_workload w = { 0 };
	const char *boot;
	int nr, err;

	err = parse_args(argc, argv, &boot, NULL, 0, &nr, NULL);
	if (err)
		return err;
	err = cli_boot(boot);
	if (err)
		return err;
	printf("mmkit maps: %s\n\n", mmk_boot_cmdline());
	if (maps_workload(&w)) {
		printf("mmkit maps: the workload failed: %s\n", strerror(errno));
		err = 1;
	} else {
		err = show_maps_view();
	}
	maps_workload_end(&w);
	mmk_shutdown();
	return err;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "help";

	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "demo")) {
		const char *boot;
		int nr, err = parse_args(argc - 2, argv + 2, &boot, NULL, 0, &nr, NULL);

		return err ? err : cmd_demo(boot);
	}
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 2, argv + 2);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 2, argv + 2);
	if (!strcmp(cmd, "slabtop")) {
		const char *boot;
		bool idle;
		int nr, err = parse_args(argc - 2, argv + 2, &boot, NULL, 0, &nr, &idle);

		return err ? err : cmd_slabtop(boot, idle);
	}
	if (!strcmp(cmd, "maps"))
		return cmd_maps(argc - 2, argv + 2);
	return bad_usage("unknown command '%s'", cmd);
}
