// SPDX-License-Identifier: MIT
/* Hosted console and identity: stderr, the host's comm and pid, backtraces. */
#define _GNU_SOURCE
#include <errno.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
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

/*
 * Linux's %pS: "function+0xoff/0xsize", the offset of @addr in the
 * function that holds it and that function's length. The symbol comes
 * from the dynamic symbol table (dladdr1), so only exported functions have
 * names: programs link with -rdynamic and default visibility for that.
 * When the nearest symbol below @addr is too short to hold it, @addr is
 * in a function the table does not list (a static one): its hex value is
 * printed, as Linux prints an address kallsyms does not know. A symbol
 * without a recorded size prints as "function+0xoff".
 */
const char *arch_symbolize(unsigned long addr, char *buf, size_t len)
{
	const ElfW(Sym) *sym = NULL;
	unsigned long off;
	Dl_info info;

	if (!dladdr1((void *)addr, &info, (void **)&sym, RTLD_DL_SYMENT) ||
	    !info.dli_sname || !info.dli_saddr) {
		snprintf(buf, len, "0x%lx", addr);
		return buf;
	}
	off = addr - (unsigned long)info.dli_saddr;
	if (sym && sym->st_size && off < sym->st_size)
		snprintf(buf, len, "%s+0x%lx/0x%lx", info.dli_sname, off,
			 (unsigned long)sym->st_size);
	else if (sym && sym->st_size)
		snprintf(buf, len, "0x%lx", addr);
	else
		snprintf(buf, len, "%s+0x%lx", info.dli_sname, off);
	return buf;
}

unsigned int arch_current_uid(void)
{
	return (unsigned int)getuid();
}
