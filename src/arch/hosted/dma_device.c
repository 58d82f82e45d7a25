// SPDX-License-Identifier: MIT
/*
 * The hosted DMA device: a bus master that runs on its own host thread and
 * reaches RAM only through bus addresses. It never sees a virtual address:
 * every byte it moves goes through pread()/pwrite() on the RAM memfd at
 * the bus address, which is the physical address (no IOMMU). A bus
 * address beyond the device's DMA mask, or beyond RAM, is a bus error: the
 * transfer stops there and the command completes with that status.
 *
 * Commands (copy, fill, checksum, each over lists of bus segments) are
 * queued; the device thread executes them in order and then raises an
 * interrupt: the command is handed to the interrupt thread, a CPU of the
 * machine, which runs the kernel's handler in interrupt context. So the
 * handler really runs concurrently with the CPU that submitted the work,
 * as an interrupt on another CPU would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch.h"

int hosted_ram_fd(void);
uint64_t hosted_ram_bytes(void);

struct cmd_queue {
	struct arch_dma_node *head, *tail;
};

struct arch_dma_engine {
	pthread_t dev_thread, irq_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cmd_queue todo, done;
	bool stop;
	bool dev_exited;		/* the device thread has finished */
	uint64_t hw_mask;		/* the address lines the device drives */
	arch_dma_irq_fn irq;
	arch_dma_wrote_fn wrote;
	void *ctx;
};

static void q_push(struct cmd_queue *q, struct arch_dma_node *n)
{
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
}

static struct arch_dma_node *q_pop(struct cmd_queue *q)
{
	struct arch_dma_node *n = q->head;

	if (n) {
		q->head = n->next;
		if (!q->head)
			q->tail = NULL;
	}
	return n;
}

static void device_exec(struct arch_dma_engine *e, struct arch_dma_node *n);

static void *dev_main(void *arg)
{
	struct arch_dma_engine *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct arch_dma_node *cmd;

		while (!(cmd = q_pop(&e->todo)) && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!cmd)
			break;
		pthread_mutex_unlock(&e->lock);
		device_exec(e, cmd);			/* the transfer */
		pthread_mutex_lock(&e->lock);
		q_push(&e->done, cmd);			/* raise the interrupt */
		pthread_cond_broadcast(&e->cond);
	}
	e->dev_exited = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static void *irq_main(void *arg)
{
	struct arch_dma_engine *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		struct arch_dma_node *cmd;

		while (!(cmd = q_pop(&e->done)) && !e->dev_exited)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!cmd)
			break;
		pthread_mutex_unlock(&e->lock);
		e->irq(cmd, e->ctx);			/* the handler, on this CPU */
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct arch_dma_engine *arch_dma_engine_create(uint64_t hw_mask, arch_dma_irq_fn irq,
					       arch_dma_wrote_fn wrote, void *ctx)
{
	struct arch_dma_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->hw_mask = hw_mask;
	e->wrote = wrote;
	e->irq = irq;
	e->ctx = ctx;
	if (pthread_create(&e->dev_thread, NULL, dev_main, e)) {
		free(e);
		return NULL;
	}
	if (pthread_create(&e->irq_thread, NULL, irq_main, e)) {
		pthread_mutex_lock(&e->lock);
		e->stop = true;
		pthread_cond_broadcast(&e->cond);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->dev_thread, NULL);
		free(e);
		return NULL;
	}
	return e;
}

void arch_dma_engine_submit(struct arch_dma_engine *e, struct arch_dma_node *cmd)
{
	pthread_mutex_lock(&e->lock);
	q_push(&e->todo, cmd);
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* Finish what was queued, deliver its interrupts, then stop both threads. */
void arch_dma_engine_destroy(struct arch_dma_engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->dev_thread, NULL);
	pthread_mutex_lock(&e->lock);
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->irq_thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	free(e);
}

/* ---- The bus ----------------------------------------------------------- */

int arch_bus_read(uint64_t bus, void *buf, size_t len)
{
	int fd = hosted_ram_fd();

	if (fd < 0 || bus > hosted_ram_bytes() || len > hosted_ram_bytes() - bus)
		return -EFAULT;
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)bus);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (char *)buf + n;
		bus += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int arch_bus_write(uint64_t bus, const void *buf, size_t len)
{
	int fd = hosted_ram_fd();

	if (fd < 0 || bus > hosted_ram_bytes() || len > hosted_ram_bytes() - bus)
		return -EFAULT;
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)bus);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const char *)buf + n;
		bus += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- Executing a command ------------------------------------------------ */

/* Can the device drive [bus, bus + len) onto the bus? */
static bool reachable(const struct arch_dma_engine *e, uint64_t bus, uint64_t len)
{
	return len && bus <= e->hw_mask && len - 1 <= e->hw_mask - bus;
}

/* Walk @segs as one byte stream: the segment and offset at @pos. */
static bool seg_at(const struct arch_dma_seg *segs, unsigned int n, uint64_t pos,
		   unsigned int *i, uint64_t *off)
{
	for (*i = 0; *i < n; (*i)++) {
		if (pos < segs[*i].len) {
			*off = pos;
			return true;
		}
		pos -= segs[*i].len;
	}
	return false;
}

static uint64_t segs_len(const struct arch_dma_seg *segs, unsigned int n)
{
	uint64_t len = 0;

	for (unsigned int i = 0; i < n; i++)
		len += segs[i].len;
	return len;
}

/*
 * Adler-32 over the stream (zlib's definition), so that a test can check
 * the device's answer against one computed on the CPU.
 */
static void adler32_update(uint32_t *a, uint32_t *b, const unsigned char *p, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		*a = (*a + p[k]) % 65521;
		*b = (*b + *a) % 65521;
	}
}

static void device_exec(struct arch_dma_engine *e, struct arch_dma_node *n)
{
	struct arch_dma_op *op = &n->op;
	unsigned char buf[4096];
	uint64_t total, done = 0;
	uint32_t a = 1, b = 0;

	op->status = 0;
	op->bad_addr = 0;
	if (op->kind == ARCH_DMA_FILL)
		total = segs_len(op->dst, op->dst_nents);
	else
		total = segs_len(op->src, op->src_nents);
	if (op->kind == ARCH_DMA_COPY && segs_len(op->dst, op->dst_nents) < total)
		total = segs_len(op->dst, op->dst_nents);
	memset(buf, op->fill, sizeof(buf));

	while (done < total) {
		uint64_t chunk = total - done, soff = 0, doff = 0, sbus = 0, dbus = 0;
		unsigned int si = 0, di = 0;

		if (chunk > sizeof(buf))
			chunk = sizeof(buf);
		if (op->kind != ARCH_DMA_FILL) {
			seg_at(op->src, op->src_nents, done, &si, &soff);
			if (chunk > op->src[si].len - soff)
				chunk = op->src[si].len - soff;
			sbus = op->src[si].addr + soff;
		}
		if (op->kind != ARCH_DMA_CHECKSUM) {
			seg_at(op->dst, op->dst_nents, done, &di, &doff);
			if (chunk > op->dst[di].len - doff)
				chunk = op->dst[di].len - doff;
			dbus = op->dst[di].addr + doff;
		}
		if (op->kind != ARCH_DMA_FILL) {
			if (!reachable(e, sbus, chunk) || arch_bus_read(sbus, buf, (size_t)chunk)) {
				op->status = -EFAULT;
				op->bad_addr = sbus;
				break;
			}
		}
		if (op->kind == ARCH_DMA_CHECKSUM) {
			adler32_update(&a, &b, buf, (size_t)chunk);
		} else if (!reachable(e, dbus, chunk) || arch_bus_write(dbus, buf, (size_t)chunk)) {
			op->status = -EFAULT;
			op->bad_addr = dbus;
			break;
		} else if (e->wrote) {
			e->wrote(dbus, buf, chunk, e->ctx);
		}
		done += chunk;
	}
	op->bytes = done;
	op->checksum = (b << 16) | a;
}
