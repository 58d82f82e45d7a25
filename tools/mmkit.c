// SPDX-License-Identifier: MIT
/*
 * The mmkit command: boot a simulated machine and look at it.
 *
 *   mmkit demo [--boot CMDLINE]          the guided tour (tools/demo.c)
 *   mmkit report NAME [--boot CMDLINE]   one /proc-style report, exactly
 *   mmkit check [--boot CMDLINE]         a short self-test and mmk_check()
 *   mmkit slabtop [--idle] [--boot CMDLINE]  the slab caches, slabtop-style
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

#include "mmkit_cli.h"

#define EXIT_USAGE 2

/* The report names of the public contract (API.md); which of them this
 * build has is asked of mmk_report() itself. */
static const char *const report_names[] = {
	"buddyinfo", "pagetypeinfo", "zoneinfo", "meminfo", "vmstat", "extfrag",
	"slabinfo", "vmallocinfo", "swaps", "iomem",
	"self/status", "self/smaps_rollup", "self/maps",
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
		"                                vmstat, slabinfo, extfrag)\n"
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
	return bad_usage("unknown command '%s'", cmd);
}
