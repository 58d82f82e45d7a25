// SPDX-License-Identifier: MIT
/* Hosted console and identity: stderr, the host's comm and pid, backtraces. */
#define _GNU_SOURCE
#include <errno.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch.h"

void arch_console_write(const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

const char *arch_current_comm(void)
{
	static __thread char comm[16];	/* TASK_COMM_LEN */

	if (!comm[0]) {
		snprintf(comm, sizeof(comm), "%s", program_invocation_short_name);
	}
	return comm;
}

int arch_current_pid(void)
{
	return (int)getpid();
}

void arch_dump_stack(void)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	arch_console_write("Call Trace:\n", 12);
	/* Skip this function and the report helper that called it. */
	if (n > 2)
		backtrace_symbols_fd(frames + 2, n - 2, STDERR_FILENO);
}

void arch_halt(void)
{
	abort();
}

const char *arch_symbolize(unsigned long addr, char *buf, size_t len)
{
	Dl_info info;

	if (dladdr((void *)addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 addr - (unsigned long)info.dli_saddr);
	else
		snprintf(buf, len, "0x%lx", addr);
	return buf;
}
