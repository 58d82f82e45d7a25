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
 * The handler runs with every asynchronous signal blocked (and SIGSEGV
 * deliverable again, SA_NODEFER): the kernel's fault path cannot be
 * interrupted by a program's handler, and a program's SIGSEGV handler that
 * touches not-yet-faulted user memory gets its page fault served.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "../arch.h"

static arch_fault_fn fault_fn;
static void send_sigbus(void *addr);
static void async_signals(sigset_t *set);
static struct sigaction program_segv;
static bool trap_installed;

static void die_by_sigsegv(const siginfo_t *si)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGSEGV, &dfl, NULL);
	/* Pending until this handler returns, then fatal: the faulting access
	 * is never re-executed (another CPU may have mapped it meanwhile). */
	(void)si;
	raise(SIGSEGV);
}

/*
 * Deliver a fault that is not the kernel's as the host would have: the
 * program's handler with its sa_mask blocked and SA_RESETHAND honoured,
 * or the default action. A SIGSEGV sent with kill() to a program that
 * ignores it stays ignored.
 */
static void chain_to_program(int sig, siginfo_t *si, void *ucontext)
{
	struct sigaction prog = program_segv;
	const ucontext_t *uc = ucontext;
	sigset_t old, mask;

	if (!(prog.sa_flags & SA_SIGINFO) &&
	    (prog.sa_handler == SIG_DFL || prog.sa_handler == SIG_IGN)) {
		if (prog.sa_handler == SIG_IGN && si->si_code <= 0)
			return;
		die_by_sigsegv(si);	/* a fault cannot be ignored */
		return;
	}
	if (prog.sa_flags & SA_RESETHAND) {
		program_segv.sa_handler = SIG_DFL;
		program_segv.sa_flags &= ~SA_SIGINFO;
	}
	/* The mask the host would give the program's handler: the one the
	 * fault interrupted plus the handler's sa_mask. SIGSEGV itself stays
	 * deliverable even without SA_NODEFER, since the handler may touch
	 * user memory that still has to be faulted in. */
	mask = uc->uc_sigmask;
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&prog.sa_mask, s) == 1)
			sigaddset(&mask, s);
	sigdelset(&mask, SIGSEGV);
	pthread_sigmask(SIG_SETMASK, &mask, &old);
	if (prog.sa_flags & SA_SIGINFO)
		prog.sa_sigaction(sig, si, ucontext);
	else
		prog.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
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
	case ARCH_FAULT_SIGBUS:
		send_sigbus(si->si_addr);
		return;
	case ARCH_FAULT_SEGV_MAPERR:
		si->si_code = SEGV_MAPERR;
		break;
	case ARCH_FAULT_SEGV_ACCERR:
		si->si_code = SEGV_ACCERR;
		break;
	case ARCH_FAULT_NOT_OURS:
		break;
	}
	chain_to_program(sig, si, ucontext);
}

/*
 * SIGBUS for an access the kernel could not back, as the host sends it when
 * a fault fails: BUS_ADRERR with the address, to this thread, delivered as
 * soon as this handler returns. Without a handler of the program's, the
 * process ends by SIGBUS.
 */
static void send_sigbus(void *addr)
{
	struct sigaction now;
	siginfo_t info;

	if (sigaction(SIGBUS, NULL, &now) == 0 && !(now.sa_flags & SA_SIGINFO) &&
	    (now.sa_handler == SIG_DFL || now.sa_handler == SIG_IGN)) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGBUS, &dfl, NULL);
	}
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGBUS;
	info.si_code = BUS_ADRERR;
	info.si_addr = addr;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGBUS, &info);
}

/* ---- Blocking the asynchronous signals ------------------------------- */

static void async_signals(sigset_t *set)
{
	sigfillset(set);
	/* The synchronous ones: faults must still be delivered. */
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGTRAP);
	sigdelset(set, SIGABRT);
}

static __thread sigset_t saved_mask;

void arch_signals_block(void)
{
	sigset_t set;

	if (arch_this_thread.signals_blocked++)
		return;
	async_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &saved_mask);
}

void arch_signals_unblock(void)
{
	if (--arch_this_thread.signals_blocked)
		return;
	pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
}

int arch_fault_init(arch_fault_fn fn)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	/* SA_NODEFER: a program's handler we chain to may itself touch user
	 * memory that has to be faulted in. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	async_signals(&sa.sa_mask);
	fault_fn = fn;
	if (trap_installed)
		return 0;
	/* backtrace()'s first call loads libgcc (dlopen, malloc): do it here,
	 * not in the handler (glibc's documented advice). */
	{
		void *frame;

		backtrace(&frame, 1);
	}
	if (sigaction(SIGSEGV, &sa, &program_segv) < 0)
		return -errno;
	trap_installed = true;
	return 0;
}

void arch_fault_exit(void)
{
	struct sigaction now;

	/* Put the program's handler back unless it has installed another
	 * one since boot: that one is the program's choice. */
	if (trap_installed && sigaction(SIGSEGV, NULL, &now) == 0 &&
	    (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == segv_handler)
		sigaction(SIGSEGV, &program_segv, NULL);
	trap_installed = false;
	fault_fn = NULL;
}

bool arch_fault_installed(void)
{
	struct sigaction now;

	return trap_installed && sigaction(SIGSEGV, NULL, &now) == 0 &&
	       (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == segv_handler;
}
