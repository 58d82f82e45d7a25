/* SPDX-License-Identifier: MIT */
/*
 * What the files of the mmkit command share: reading a report into memory
 * and parsing it as a program would parse the real /proc file, console
 * capture, size formatting, and the demo's entry point.
 *
 * The command uses only the public API (<mmkit/mmkit.h>, <mmkit/linux.h>):
 * every number it shows comes from a report or from an API call, never from
 * the library's internals, so what the demo proves, a user's program can
 * check the same way.
 */
#ifndef MMKIT_CLI_H
#define MMKIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_ZONES	8
#define CLI_NR_ORDERS	11	/* orders 0..MAX_PAGE_ORDER */

/* ---- Reports ---------------------------------------------------------- */

/*
 * Run mmk_report(@name) into a malloc'ed, NUL-terminated buffer (*@text,
 * free() it). Returns 0 or mmk_report's -errno; on -ENOENT it prints one
 * line saying this mmkit has no such report yet, naming @why.
 */
int report_read(const char *name, char **text, const char *why);
/* Next line of @p into @line (without its newline); NULL at the end. */
const char *next_line(const char *p, char *line, size_t size);

/* /proc/buddyinfo: free blocks per order, one row per populated zone. */
struct buddyinfo {
	int nr_zones;
	struct {
		char name[16];
		unsigned long nr_free[CLI_NR_ORDERS];
	} zone[CLI_MAX_ZONES];
};
int parse_buddyinfo(const char *text, struct buddyinfo *bi);
/* Row of zone @name, or -1. */
int buddyinfo_zone(const struct buddyinfo *bi, const char *name);
/* Free pages held in the row's blocks. */
unsigned long buddyinfo_pages(const struct buddyinfo *bi, int z);

/* /proc/pagetypeinfo: free blocks per order, one row per zone and
 * migrate type ("Unmovable", "Movable", ...). */
#define CLI_MAX_PT_ROWS	(CLI_MAX_ZONES * 8)
struct pagetypeinfo {
	int nr_rows;
	struct {
		char zone[16];
		char type[16];
		unsigned long nr_free[CLI_NR_ORDERS];
	} row[CLI_MAX_PT_ROWS];
};
int parse_pagetypeinfo(const char *text, struct pagetypeinfo *pt);
/* Row of @zone's @type, or -1. */
int pagetypeinfo_row(const struct pagetypeinfo *pt, const char *zone, const char *type);

/* /proc/zoneinfo: what a zone is and how its per-CPU lists are set. */
struct zoneinfo_zone {
	char name[16];
	unsigned long free, min, low, high;
	unsigned long spanned, present, managed, start_pfn;
	long pcp_high, pcp_batch;	/* first CPU's pageset, -1 if none */
	unsigned long pcp_count;	/* pages on all CPUs' lists */
	int nr_cpus;			/* pagesets listed */
};
struct zoneinfo {
	int nr_zones;
	struct zoneinfo_zone zone[CLI_MAX_ZONES];
};
int parse_zoneinfo(const char *text, struct zoneinfo *zi);
int zoneinfo_zone(const struct zoneinfo *zi, const char *name);

/* A "Key:   123 kB" field of /proc/meminfo in kB, or -1 when absent. */
long long meminfo_kb(const char *text, const char *key);

/*
 * /proc/slabinfo, version 2.1: one row per cache, in the report's order.
 * parse_slabinfo() mallocs @si->cache (free_slabinfo() frees it) and
 * refuses a text whose first line is not "slabinfo - version: 2.1".
 */
struct slabinfo_cache {
	char name[64];
	unsigned long active_objs, num_objs, objsize, objperslab, pagesperslab;
	unsigned long active_slabs, num_slabs;
};
struct slabinfo {
	int nr;
	struct slabinfo_cache *cache;
};
int parse_slabinfo(const char *text, struct slabinfo *si);
void free_slabinfo(struct slabinfo *si);
/* The cache named @name, or NULL. */
const struct slabinfo_cache *slabinfo_find(const struct slabinfo *si, const char *name);

/*
 * /proc/vmallocinfo: one entry per line, in the report's order, split as a
 * script reading the real file would: "0x<start>-0x<end> <size>", then the
 * caller (%pS) and words ("pages=N", "vmalloc", "vmap", "vpages", "N0=N",
 * ...), or "unpurged vm_area" for a lazily freed area. parse_vmallocinfo()
 * mallocs @vi->area (free_vmallocinfo() frees it).
 */
struct vmallocinfo_area {
	unsigned long start, end;	/* end includes the guard page */
	unsigned long size;
	char caller[128];		/* "function+0xoff/0xsize", or "" */
	unsigned long pages;		/* pages=, 0 when absent */
	bool unpurged, ioremap, vmalloc, vmap, user, vpages;
};
struct vmallocinfo {
	int nr;
	struct vmallocinfo_area *area;
};
int parse_vmallocinfo(const char *text, struct vmallocinfo *vi);
void free_vmallocinfo(struct vmallocinfo *vi);
/* The area that starts at @start, or NULL. */
const struct vmallocinfo_area *vmallocinfo_find(const struct vmallocinfo *vi,
						unsigned long start);

/*
 * extfrag: debugfs unusable_index, then extfrag_index. Indices are kept in
 * thousandths, as the kernel computes them (1000 prints as 1.000).
 */
struct extfrag {
	int nr_zones;
	struct {
		char name[16];
		int unusable[CLI_NR_ORDERS];
		int fragmentation[CLI_NR_ORDERS];
	} zone[CLI_MAX_ZONES];
};
int parse_extfrag(const char *text, struct extfrag *ef);

/* ---- Console and formatting ------------------------------------------- */

/*
 * Collect what the kernel prints on its console (stderr) between the two
 * calls. console_capture_end() returns a malloc'ed string (free() it).
 */
int console_capture_start(void);
char *console_capture_end(void);

/* "256 MiB", "127.5 MiB", "32 KiB": bytes in the unit a person reads. */
const char *fmt_bytes(char *buf, size_t len, unsigned long long bytes);

/* ---- The subcommands --------------------------------------------------- */

/* Boot with @cmdline; on failure print why and return the exit status the
 * command should end with (2 for a bad command line), else 0. */
int cli_boot(const char *cmdline);

int cmd_demo(const char *cmdline);
/* mmkit slabtop: @idle skips the workload. */
int cmd_slabtop(const char *cmdline, bool idle);

#endif
