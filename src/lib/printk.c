// SPDX-License-Identifier: MIT
/*
 * printk: format into a line buffer and hand it to the console in one write,
 * so that lines from different CPUs do not interleave mid-line.
 */
#include <stdatomic.h>
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

_Bool __ratelimit(struct ratelimit_state *rs)
{
	unsigned long long now = arch_now_ns(), begin = atomic_load(&rs->begin);

	if (now - begin > 5000000000ull &&
	    atomic_compare_exchange_strong(&rs->begin, &begin, now))
		atomic_store(&rs->printed, 0);
	return atomic_fetch_add(&rs->printed, 1) < 10;
}
