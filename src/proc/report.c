// SPDX-License-Identifier: MIT
/* mmk_report(): the table of /proc-style reports. */
#include <errno.h>
#include <string.h>

#include "../mm/internal.h"

int mmk_report(const char *name, FILE *out)
{
	if (not_booted())
		return -EINVAL;
	(void)name;
	(void)out;
	return -ENOENT;
}
