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

#pragma GCC visibility push(hidden)

/* ---- CPUs ------------------------------------------------------------ */

/*
 * Host threads are the machine's CPUs. The first NR_CPUS threads to call in
 * each own a CPU number; a thread that exits gives its number back. Beyond
 * NR_CPUS, threads share numbers, so per-CPU data is always protected by a
 * lock (uncontended in the common case) rather than by ownership alone.
 */
#define NR_CPUS 64
#define ARCH_FAST_SLOT_BYTES	64	/* see arch_thread.fast_slot */

/*
 * What the machine knows about the calling thread: its CPU number, whether
 * it owns that number alone (then per-CPU data may use the owner's fast
 * path), and its atomic-context state. Thread-local, initial-exec, so that
 * reading it is one instruction.
 */
struct arch_thread {
	int cpu;
	unsigned int gen;		/* boot generation the number belongs to */
	bool exclusive;			/* sole owner of `cpu`, owner fast paths on */
	bool claimed;			/* `cpu` is ours alone, to give back */
	bool exiting;			/* past cpu_release(): claims share a number */
	/* Atomic context, as Linux's preempt_count: the preemption depth in
	 * the low bits, ARCH_IRQS_OFF while interrupts are disabled. */
	unsigned int preempt_count;
	/* Kernel spinlocks and per-CPU locks this thread holds. A page fault
	 * taken by a signal handler that interrupted this thread inside the
	 * kernel sees it non-zero and must not take those locks again. */
	unsigned int locks_held;
	unsigned int alloc_locks;	/* of those, the page allocator's */
	bool alloc_exit_work;		/* run alloc_locks_exit_work() at 0 */
	unsigned int signals_blocked;	/* arch_signals_block() depth */
	/*
	 * What mm's owner fast paths (the slab allocator's, mm/slab.h) use,
	 * each field one access, so that they test no generation, flag or
	 * lock word:
	 *  - fast_active: set while this thread is inside one of them (the
	 *    owner's half of Dekker's algorithm with arch_fast_block());
	 *  - fast_slot: the byte offset of this thread's slot in a per-CPU
	 *    array of ARCH_FAST_SLOT_BYTES slots: `cpu`'s while this thread
	 *    owns it alone in this boot (owner fast paths on, not blocked),
	 *    else slot NR_CPUS, which such arrays keep as a slot that refuses
	 *    them;
	 *  - atomic_gfp: the gfp bits an allocation may not have right now
	 *    (__GFP_DIRECT_RECLAIM in atomic context);
	 *  - hint_*: kfree()'s shortcut, opaque here; hint_len = 0 empties it.
	 */
	int fast_active;
	unsigned long fast_slot;
	unsigned int atomic_gfp;
	uintptr_t hint_start, hint_len;
	void *hint_cpu;
	unsigned long hint_seq;
	unsigned long hint_random, hint_offset;
};
#define ARCH_IRQS_OFF	0x80000000u
extern __thread struct arch_thread arch_this_thread
	__attribute__((tls_model("initial-exec")));
extern _Atomic unsigned int arch_boot_gen;
int arch_cpu_claim(void);

/* This thread's CPU number, 0..NR_CPUS-1. */
static inline int arch_smp_processor_id(void)
{
	if (__builtin_expect(arch_this_thread.gen ==
			     __atomic_load_n(&arch_boot_gen, __ATOMIC_RELAXED), 1))
		return arch_this_thread.cpu;
	return arch_cpu_claim();
}

/* Does this thread own its CPU number alone? (After arch_smp_processor_id.) */
static inline bool arch_cpu_exclusive(void)
{
	return arch_this_thread.exclusive;
}

/* CPU numbers handed out since boot (the highest in use + 1). */
int arch_nr_cpus_seen(void);
/* At boot: forget every thread's number. @owner_fastpath: threads that own
 * their number alone may use per-CPU data without locks (see cpu_lock.h). */
void arch_cpus_init(bool owner_fastpath);
/*
 * The other side of the owner fast paths. arch_fast_block(cpu) (cpu -1:
 * every CPU) makes the thread that owns @cpu leave them: its fast_slot
 * becomes the refusal slot and its kfree hint is emptied, and it returns
 * once that thread is outside any fast path (two membarriers), so that
 * the caller may then change that CPU's per-CPU data under its lock.
 * Blocks nest; arch_fast_unblock() undoes one. arch_fast_reset(), at boot
 * and shutdown, forgets every owner and empties every fast path state.
 */
void arch_fast_block(int cpu);
void arch_fast_unblock(int cpu);
void arch_fast_reset(void);
/* The host's online CPUs: how many CPUs share the per-CPU page budget. */
int arch_num_online_cpus(void);

void arch_cpu_relax(void);	/* pause in a spin loop */
void arch_yield(void);		/* give the host CPU to another thread */
void arch_sleep_us(unsigned int us);

/*
 * Asymmetric memory barrier: a full barrier executed on every CPU that runs
 * a thread of this machine, so that a rarely taken path can synchronise
 * with a hot path that uses only compiler barriers (Linux's membarrier()).
 * arch_heavy_barrier_init() returns false where the host lacks it.
 */
bool arch_heavy_barrier_init(void);
void arch_heavy_barrier(void);

/* ---- Physical RAM and the direct map --------------------------------- */

/*
 * Create RAM of @bytes (a multiple of the page size) and map all of it,
 * read-write, at one linear range aligned to @align bytes. Returns 0 and the
 * base in *@base, or -errno with a message printed.
 */
int arch_ram_init(uint64_t bytes, uint64_t align, void **base);
void arch_ram_exit(void);
/* Fill the host's page tables of the direct map for [@phys, @phys + @len)
 * in one call, where the kernel is about to write all of it (a frame only
 * ever mapped elsewhere would otherwise cost one host fault per page). */
void arch_ram_prefault(uint64_t phys, size_t len);

/* ---- Kernel virtual ranges and page-table writes ----------------------- */

/*
 * The hosted MMU. A kernel virtual range (the vmalloc range) is reserved as
 * inaccessible address space; "writing a page-table entry" maps a run of
 * RAM there (the memfd at the frames' physical offset), and "clearing" one
 * revokes all access. The host's TLB shootdown is part of each call, so
 * callers batch: one call per physically contiguous run, one per
 * virtually contiguous run being torn down.
 */
#define ARCH_PROT_READ	0x1
#define ARCH_PROT_WRITE	0x2

#define ARCH_MAP_POPULATE 0x4	/* fill the host's page tables now */

/* Reserve @size bytes of address space aligned to @align; none accessible. */
int arch_vrange_reserve(uint64_t size, uint64_t align, void **base);
void arch_vrange_release(void *base, uint64_t size);
/* Map RAM at physical @phys, @len bytes, at @va (page aligned, inside a
 * reserved range). 0 or -errno: -ENOMEM when the host's mapping limit
 * (vm.max_map_count) or its memory refuses. */
int arch_map_ram(void *va, uint64_t phys, size_t len, int prot);
/* Revoke all access to [@va, @va + @len): no frame is reachable through
 * it once this returns. The host keeps its bookkeeping for the range, so
 * mapping the same range again is cheap. 0 or -errno. */
int arch_unmap_ram(void *va, size_t len);
/* Return [@va, @va + @len) to plain reserved address space, merging the
 * host's bookkeeping (fewer host mappings; the next map costs more). */
int arch_vrange_reset(void *va, size_t len);
/*
 * User pages. The zero page is the one frame every never-written user page
 * reads from. Its host mirror is the host's own zero page (an anonymous,
 * private, read-only mapping), which holds the same bytes: that lets one
 * call map a run of it, where mapping our frame at many addresses would
 * cost one host mapping per page (see DESIGN.md on vm.max_map_count).
 * @prot is ARCH_PROT_READ (optionally with ARCH_MAP_POPULATE) or 0.
 */
int arch_map_zero(void *va, size_t len, int prot);
/* Change the host's access to [@va, @va + @len) to @prot, mapping kept. */
int arch_protect(void *va, size_t len, int prot);

/*
 * Walk the host's mappings that overlap [@lo, @hi) (the checker compares
 * them with the page tables). @kind says what is mapped: RAM (then @phys is
 * the physical address at @start), the host's anonymous memory, or other.
 */
enum arch_mapping_kind { ARCH_MAPPING_RAM, ARCH_MAPPING_ANON, ARCH_MAPPING_OTHER };
typedef void (*arch_mapping_fn)(uint64_t start, uint64_t end, int prot,
				enum arch_mapping_kind kind, uint64_t phys, void *ctx);
int arch_walk_host_mappings(uint64_t lo, uint64_t hi, arch_mapping_fn fn, void *ctx);

/* The host's limit on separate mappings (vm.max_map_count), -1 unknown. */
long arch_max_map_count(void);
/* Separate mappings the process has now (lines of /proc/self/maps), -1 unknown. */
long arch_nr_host_mappings(void);

/* ---- The fault trap ---------------------------------------------------- */

/*
 * An access the MMU refuses (SIGSEGV on the host) enters the kernel's fault
 * handler, which runs in signal context on the faulting thread: it must not
 * take a lock it could already hold. What it returns decides what happens:
 */
enum arch_fault_result {
	ARCH_FAULT_RETRY,	/* fixed up: run the access again */
	ARCH_FAULT_OOPS,	/* a kernel bug, reported: end the process */
	ARCH_FAULT_NOT_OURS,	/* deliver to the program as the host would */
	/* A user access the kernel refuses: SIGSEGV to the program, with
	 * si_code SEGV_MAPERR (no mapping there) or SEGV_ACCERR (the mapping
	 * does not allow it), as the host's own fault would say. */
	ARCH_FAULT_SEGV_MAPERR,
	ARCH_FAULT_SEGV_ACCERR,
	ARCH_FAULT_SIGBUS,	/* the kernel could not back it: SIGBUS, BUS_ADRERR */
};
#define ARCH_FAULT_WRITE	0x1	/* the access was a write */
#define ARCH_FAULT_KNOWN	0x2	/* read or write is known */
typedef enum arch_fault_result (*arch_fault_fn)(unsigned long addr,
						 unsigned int flags);
/* Install @fn as the fault handler; the program's own SIGSEGV handler, if
 * any, still gets the faults that are not the kernel's. The handler runs
 * with every asynchronous signal blocked, so no program signal handler
 * can run inside the kernel's fault path. */
int arch_fault_init(arch_fault_fn fn);
void arch_fault_exit(void);
/* Is the kernel's fault handler still the one installed (a program may
 * replace the SIGSEGV handler after boot)? */
bool arch_fault_installed(void);

/*
 * Block the host's asynchronous signals on this thread until the matching
 * unblock (calls nest). The user-memory system calls run so: a program's
 * signal handler then never runs while the thread holds the locks that the
 * fault path takes.
 */
void arch_signals_block(void);
void arch_signals_unblock(void);

/* ---- A DMA device: a bus master on its own thread ---------------------- */

/*
 * The device reaches RAM only through bus addresses (physical addresses:
 * there is no IOMMU), which arch_bus_read/write move through the RAM
 * memfd. It drives only the address lines of its hardware mask: a segment
 * beyond it (or beyond RAM) stops the transfer with -EFAULT, a bus error.
 */
struct arch_dma_seg {
	uint64_t addr;			/* bus address */
	uint64_t len;
};
enum arch_dma_kind { ARCH_DMA_COPY, ARCH_DMA_FILL, ARCH_DMA_CHECKSUM };
struct arch_dma_op {
	enum arch_dma_kind kind;
	const struct arch_dma_seg *src, *dst;
	unsigned int src_nents, dst_nents;
	unsigned char fill;
	/* Set by the device before it raises the interrupt. */
	int status;			/* 0 or -EFAULT */
	uint64_t bad_addr;		/* where the bus error happened */
	uint64_t bytes;			/* moved (or read, for a checksum) */
	uint32_t checksum;		/* Adler-32 of the source stream */
};
struct arch_dma_node {
	struct arch_dma_node *next;	/* the device's queues */
	struct arch_dma_op op;
};
struct arch_dma_engine;
/* The interrupt: called on the device's interrupt thread, a CPU of the
 * machine, once per completed command, in completion order. */
typedef void (*arch_dma_irq_fn)(struct arch_dma_node *cmd, void *ctx);
/* Called on the device's thread after each write it put on the bus (the
 * kernel's DMA debugging keeps account of who wrote what). */
typedef void (*arch_dma_wrote_fn)(uint64_t bus, const void *data, uint64_t len, void *ctx);

struct arch_dma_engine *arch_dma_engine_create(uint64_t hw_mask, arch_dma_irq_fn irq,
					       arch_dma_wrote_fn wrote, void *ctx);
void arch_dma_engine_submit(struct arch_dma_engine *e, struct arch_dma_node *cmd);
/* Completes every queued command and its interrupt, then stops. */
void arch_dma_engine_destroy(struct arch_dma_engine *e);
int arch_bus_read(uint64_t bus, void *buf, size_t len);
int arch_bus_write(uint64_t bus, const void *buf, size_t len);

/* ---- Kernel threads and waiting ------------------------------------------ */

/*
 * A kernel thread (kswapd, a block device's I/O thread) is a host thread
 * that runs @fn(@arg) with every asynchronous signal blocked, so no program
 * signal handler ever runs on it. arch_kthread_stop() waits for @fn to
 * return; @fn learns that it should by a flag of its own.
 */
struct arch_kthread;
struct arch_kthread *arch_kthread_run(void (*fn)(void *), void *arg, const char *name);
void arch_kthread_join(struct arch_kthread *t);

/*
 * Sleep while *@word == @val, at most @timeout_us (0: no limit), or until
 * arch_wake_all(@word) (Linux's wait_event/wake_up on a futex). Returns
 * early on any wake; callers re-check their condition.
 */
void arch_wait_on(_Atomic uint32_t *word, uint32_t val, unsigned int timeout_us);
void arch_wake_all(_Atomic uint32_t *word);

/* ---- A block device: the swap file -------------------------------------- */

/*
 * A regular host file used as a disk. I/O moves whole frames of RAM to and
 * from byte offsets of the file: the data goes between the file and the
 * RAM memfd without passing through any other memory. Requests (bios) are
 * queued to the device's I/O thread, which completes them in order and
 * calls each one's end_io there (asynchronous, as a disk interrupt), or
 * run at once on the calling thread (arch_blkdev_rw_sync()).
 */
#define ARCH_BIO_MAX_PAGES 32
struct arch_bio {
	struct arch_bio *next;		/* the device's queue */
	bool write;
	uint64_t off;			/* byte offset in the device */
	unsigned int nr_pages;		/* frames, at consecutive offsets */
	uint64_t phys[ARCH_BIO_MAX_PAGES];	/* each frame's physical address */
	int status;			/* set before end_io: 0 or -errno */
	void (*end_io)(struct arch_bio *bio);
	void *private;
};

struct arch_blkdev;
struct arch_blkdev_info {
	uint64_t size;			/* bytes, after open */
	unsigned int major, minor;	/* the host device holding the file */
	bool created;			/* the file did not exist, or was empty */
};
/*
 * Open (or create, mode 0600) the regular file @path, as it is: @info says
 * its size and whether it was empty. 0, or -errno: -EINVAL if @path is not
 * a regular file.
 */
int arch_blkdev_open(const char *path, struct arch_blkdev **out,
		     struct arch_blkdev_info *info);
/* Give the device @size bytes, allocated on disk where the host can (no
 * holes, as swapon requires). */
int arch_blkdev_set_size(struct arch_blkdev *dev, uint64_t size);
/* Complete every queued bio, stop the I/O thread, close the file. */
void arch_blkdev_close(struct arch_blkdev *dev);
/* Read or write @len bytes of a kernel buffer (the header), synchronously. */
int arch_blkdev_pio(struct arch_blkdev *dev, bool write, uint64_t off, void *buf, size_t len);
void arch_blkdev_submit(struct arch_blkdev *dev, struct arch_bio *bio);
/* Run @bio now on this thread (end_io is not called); its status. */
int arch_blkdev_rw_sync(struct arch_blkdev *dev, struct arch_bio *bio);
/* Wait until every bio submitted so far has completed and its end_io returned. */
void arch_blkdev_drain(struct arch_blkdev *dev);
/*
 * Fault injection (Linux's fail_make_request): the next @count reads (or
 * writes) fail with @error: -EIO, -ENOSPC, or ARCH_IO_SHORT, a transfer
 * that stops half way (then -EIO). @count 0 clears it.
 */
#define ARCH_IO_SHORT 1
void arch_blkdev_inject(struct arch_blkdev *dev, bool write, int error, unsigned int count);

/* End this process as the OOM killer ends its victim (SIGKILL). */
_Noreturn void arch_kill_self(void);

/* ---- Console, identity, time ----------------------------------------- */

/* Set the calling thread's errno (a system call's error for the program). */
void arch_set_errno(int err);

void arch_console_write(const char *s, size_t len);
const char *arch_current_comm(void);
int arch_current_pid(void);
unsigned int arch_current_uid(void);
uint64_t arch_now_ns(void);

/* Dump the host call stack to the console (Linux's "Call Trace:"). */
void arch_dump_stack(void);
/* "function+0xoff/0xsize" for a code address (Linux's %pS), or its hex
 * value when no exported symbol contains it. */
const char *arch_symbolize(unsigned long addr, char *buf, size_t len);


/* Stop the machine after a fatal kernel bug (BUG(), panic()). */
_Noreturn void arch_halt(void);

#pragma GCC visibility pop

#endif
