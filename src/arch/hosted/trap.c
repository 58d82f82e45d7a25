// SPDX-License-Identifier: MIT
/*
 * The hosted fault trap: the host MMU's refusals arrive as SIGSEGV, and the
 * handler here turns each into a call of the kernel's fault handler with
 * the address and, where the host says so, whether it was a write (x86-64
 * puts the page-fault error code in the signal context; bit 1 is "write").
 *
 * The kernel answers retry, oops or not-ours. An oops has been reported by
 * the kernel already; the default action is restored and the access runs
 * again, so the process ends with SIGSEGV exactly as it would have without
 * mmkit. A fault that is not the kernel's goes to whatever handler the
 * program had installed before boot, or ends the process the same way.
 *
 * Everything here is async-signal-safe: sigaction, raise, errno save.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "../arch.h"

static arch_fault_fn fault_fn;
static struct sigaction program_segv;
static bool trap_installed;

static void die_by_sigsegv(const siginfo_t *si)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &dfl, NULL);
	/* A fault re-executes and faults again; a SIGSEGV sent with kill()
	 * must be raised again (it stays pending until this handler returns). */
	if (si->si_code <= 0)
		raise(SIGSEGV);
}

static void segv_handler(int sig, siginfo_t *si, void *ucontext)
{
	unsigned int flags = 0;
	int saved_errno = errno;
	enum arch_fault_result r = ARCH_FAULT_NOT_OURS;

#if defined(__x86_64__)
	{
		const ucontext_t *uc = ucontext;

		flags = ARCH_FAULT_KNOWN;
		if (uc->uc_mcontext.gregs[REG_ERR] & 2)
			flags |= ARCH_FAULT_WRITE;
	}
#endif
	if (si->si_code > 0 && fault_fn)
		r = fault_fn((unsigned long)si->si_addr, flags);
	errno = saved_errno;

	switch (r) {
	case ARCH_FAULT_RETRY:
		return;
	case ARCH_FAULT_OOPS:
		die_by_sigsegv(si);
		return;
	case ARCH_FAULT_NOT_OURS:
		break;
	}
	if (program_segv.sa_flags & SA_SIGINFO) {
		program_segv.sa_sigaction(sig, si, ucontext);
	} else if (program_segv.sa_handler == SIG_DFL ||
		   program_segv.sa_handler == SIG_IGN) {
		/* A fault cannot be ignored: the host kills for it too. */
		die_by_sigsegv(si);
	} else {
		program_segv.sa_handler(sig);
	}
}

int arch_fault_init(arch_fault_fn fn)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	fault_fn = fn;
	if (trap_installed)
		return 0;
	if (sigaction(SIGSEGV, &sa, &program_segv) < 0)
		return -errno;
	trap_installed = true;
	return 0;
}

void arch_fault_exit(void)
{
	if (trap_installed)
		sigaction(SIGSEGV, &program_segv, NULL);
	trap_installed = false;
	fault_fn = NULL;
}
