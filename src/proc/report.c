// SPDX-License-Identifier: MIT
/*
 * mmk_report(): the table of /proc-style reports, by the name of the Linux
 * file each one reproduces ("self/..." for /proc/self/...), plus mmkit's
 * own mm_faults. A name not in the table answers -ENOENT.
 */
#include <errno.h>
#include <string.h>

#include "proc.h"

static const struct proc_report {
	const char *name;
	int (*show)(FILE *m);
} proc_reports[] = {
	{ "buddyinfo",		proc_buddyinfo_show },
	{ "pagetypeinfo",	proc_pagetypeinfo_show },
	{ "zoneinfo",		proc_zoneinfo_show },
	{ "meminfo",		proc_meminfo_show },
	{ "vmstat",		proc_vmstat_show },
	{ "slabinfo",		proc_slabinfo_show },
	{ "vmallocinfo",	proc_vmallocinfo_show },
	{ "iomem",		proc_iomem_show },
	{ "swaps",		proc_swaps_show },
	/* debugfs extfrag/unusable_index, then extfrag/extfrag_index */
	{ "extfrag",		proc_extfrag_show },
	{ "self/maps",		proc_pid_maps_show },
	{ "self/smaps_rollup",	proc_pid_smaps_rollup_show },
	{ "self/status",	proc_pid_status_show },
	/* mmkit's: the user-memory fault path's counters */
	{ "mm_faults",		proc_mm_faults_show },
};

int mmk_report(const char *name, FILE *out)
{
	if (not_booted())
		return -EINVAL;
	if (!name || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(proc_reports) / sizeof(proc_reports[0]); i++) {
		if (strcmp(name, proc_reports[i].name))
			continue;
		return proc_reports[i].show(out);
	}
	return -ENOENT;
}
