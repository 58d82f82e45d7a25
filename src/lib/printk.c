// SPDX-License-Identifier: MIT
/*
 * printk: format into a line buffer and hand it to the console in one write,
 * so that lines from different CPUs do not interleave mid-line.
 */
#include <stdio.h>

#include "printk.h"
#include "../arch/arch.h"

void vprintk(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	arch_console_write(buf, (size_t)n);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void mmk_bug_halt(void)
{
	arch_dump_stack();
	arch_halt();
}
