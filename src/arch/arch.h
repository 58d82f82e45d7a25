/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: everything src/mm/ may ask of the "hardware".
 *
 * mmkit's kernel is freestanding C; the machine it runs on is provided by an
 * architecture port. The first port, src/arch/hosted/, is a Linux process:
 * physical RAM is a memfd, the direct map is one shared mapping of it, CPUs
 * are the host threads that call in, and the console is standard error.
 * Nothing outside src/arch/ includes a host header for those purposes.
 */
#ifndef MMK_ARCH_H
#define MMK_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- CPUs ------------------------------------------------------------ */

/*
 * Host threads are the machine's CPUs. The first NR_CPUS threads to call in
 * each own a CPU number; a thread that exits gives its number back. Beyond
 * NR_CPUS, threads share numbers, so per-CPU data is always protected by a
 * lock (uncontended in the common case) rather than by ownership alone.
 */
#define NR_CPUS 64

/* This thread's CPU number, 0..NR_CPUS-1. Cheap: a thread-local load. */
int arch_smp_processor_id(void);
/* CPU numbers handed out since boot (the highest in use + 1). */
int arch_nr_cpus_seen(void);
void arch_cpus_init(void);	/* at boot: forget every thread's number */
/* The host's online CPUs: how many CPUs share the per-CPU page budget. */
int arch_num_online_cpus(void);

void arch_cpu_relax(void);	/* pause in a spin loop */
void arch_yield(void);		/* give the host CPU to another thread */
void arch_sleep_us(unsigned int us);

/* Per-thread context: preemption depth and interrupt state. */
int *arch_preempt_count_ptr(void);
bool *arch_irqs_disabled_ptr(void);

/* ---- Physical RAM and the direct map --------------------------------- */

/*
 * Create RAM of @bytes (a multiple of the page size) and map all of it,
 * read-write, at one linear range aligned to @align bytes. Returns 0 and the
 * base in *@base, or -errno with a message printed.
 */
int arch_ram_init(uint64_t bytes, uint64_t align, void **base);
void arch_ram_exit(void);

/* ---- Console, identity, time ----------------------------------------- */

void arch_console_write(const char *s, size_t len);
const char *arch_current_comm(void);
int arch_current_pid(void);
uint64_t arch_now_ns(void);

/* Dump the host call stack to the console (Linux's "Call Trace:"). */
void arch_dump_stack(void);


/* Stop the machine after a fatal kernel bug (BUG(), panic()). */
_Noreturn void arch_halt(void);

#endif
