// SPDX-License-Identifier: MIT
/*
 * /proc/swaps: the swap devices in use, in the format of Linux 6.x's
 * swap_show() (mm/swapfile.c), so that `swapon --show`-style parsers and
 * scripts that read the real file read this one the same way:
 *
 *   a header, "Filename", four tabs, "Type", two tabs, "Size", two tabs,
 *   "Used", two tabs, "Priority";
 *   then one line per device in swap_info[] order: its path, escaped as
 *   seq_file_path() escapes it (space, tab, newline and backslash become
 *   \ooo octal), padded with spaces to 40 columns (one space if it is 40
 *   or longer); the type, "file" and a tab (every device is a file here,
 *   never a partition); a tab; the size in KiB (usable slots, the header
 *   slot not counted); a second tab when the size is below 10000000; the
 *   KiB in use (slots with a swap count or a swap cache page); the same
 *   second tab rule; the priority.
 *
 * Each device's numbers are read under its si->lock, with the host's
 * asynchronous signals blocked as every holder of a swap lock must be
 * (swap.h). Nothing is written while a lock is held: the FILE's buffer may
 * be user memory whose fault would swap in, which takes the same lock. The
 * path is what the swap= option named; Linux prints the path it resolved
 * (d_path), which differs only for a relative swap= path.
 */
#include <string.h>

#include "proc.h"
#include "../mm/swap.h"

#define K(pages)	((pages) << (PAGE_SHIFT - 10))

/* seq_file_path(m, file, " \t\n\\"): mangle_path() of those characters. */
static int show_escaped_path(FILE *m, const char *path)
{
	int len = 0;

	for (const char *c = path; *c; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\\') {
			fprintf(m, "\\%03o", (unsigned char)*c);
			len += 4;
		} else {
			fputc(*c, m);
			len++;
		}
	}
	return len;
}

struct swap_snapshot {
	char path[sizeof(((struct swap_info_struct *)0)->path)];
	unsigned long pages, inuse_pages;
	int prio;
};

int proc_swaps_show(FILE *m)
{
	struct swap_snapshot snap;
	unsigned int nr = __atomic_load_n(&nr_swapfiles, __ATOMIC_ACQUIRE);

	fputs("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", m);
	for (unsigned int type = 0; type < nr && type < MAX_SWAPFILES; type++) {
		struct swap_info_struct *si = __atomic_load_n(&swap_info[type], __ATOMIC_ACQUIRE);
		unsigned long size, used;
		int len;

		/* Linux's swap_start()/swap_next(): devices in use only. */
		if (!si || !si->swap_map)
			continue;
		arch_signals_block();
		spin_lock(&si->lock);
		memcpy(snap.path, si->path, sizeof(snap.path));
		snap.path[sizeof(snap.path) - 1] = '\0';
		snap.pages = si->pages;
		snap.inuse_pages = si->inuse_pages;
		snap.prio = si->prio;
		spin_unlock(&si->lock);
		arch_signals_unblock();

		size = K(snap.pages);
		used = K(snap.inuse_pages);
		len = show_escaped_path(m, snap.path);
		fprintf(m, "%*s%s\t%lu\t%s%lu\t%s%d\n", len < 40 ? 40 - len : 1, " ",
			"file\t", size, size < 10000000 ? "\t" : "",
			used, used < 10000000 ? "\t" : "", snap.prio);
	}
	return 0;
}
