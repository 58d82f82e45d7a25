// SPDX-License-Identifier: MIT
/*
 * The hosted block device, the disk behind a swap file, and kernel threads.
 *
 * The disk is a regular host file. A bio names frames of RAM and one byte
 * offset: the frames go to (or come from) consecutive pages of the file
 * with one pwritev()/preadv() whose buffers are the frames' addresses in
 * the direct map, which is the RAM memfd itself, so the data moves between
 * the file and RAM and nowhere else. A short transfer is continued where it
 * stopped; one that makes no progress ends the bio with -EIO (or the
 * host's error).
 *
 * Each device has an I/O thread: submitted bios wait on its queue, and the
 * thread runs them in order and calls their end_io, as a disk's completion
 * interrupt would. arch_blkdev_rw_sync() runs a bio on the calling thread
 * instead (a page fault waiting for its page reads it itself; preadv is
 * async-signal-safe, and the fault handler runs in signal context).
 *
 * Fault injection makes the next N reads or writes fail with a chosen
 * error, or stop half way, so that the kernel's error paths are tested
 * against the device rather than against a mock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../arch.h"

void *hosted_ram_base(void);
uint64_t hosted_ram_bytes(void);

/* ---- Kernel threads ------------------------------------------------------- */

struct arch_kthread {
	pthread_t thread;
	void (*fn)(void *);
	void *arg;
};

static void *kthread_main(void *p)
{
	struct arch_kthread *t = p;

	t->fn(t->arg);
	return NULL;
}

struct arch_kthread *arch_kthread_run(void (*fn)(void *), void *arg, const char *name)
{
	struct arch_kthread *t = calloc(1, sizeof(*t));
	sigset_t all, old;
	int err;

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	/* The new thread inherits this mask: every signal that can be
	 * blocked stays blocked there for its whole life. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t->thread, NULL, kthread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		free(t);
		return NULL;
	}
	if (name) {
		char comm[16];

		snprintf(comm, sizeof(comm), "%s", name);
		pthread_setname_np(t->thread, comm);
	}
	return t;
}

void arch_kthread_join(struct arch_kthread *t)
{
	if (!t)
		return;
	pthread_join(t->thread, NULL);
	free(t);
}

void arch_wait_on(_Atomic uint32_t *word, uint32_t val, unsigned int timeout_us)
{
	struct timespec ts = { timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000 };

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, timeout_us ? &ts : NULL, NULL, 0);
}

void arch_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

void arch_kill_self(void)
{
	/* SIGKILL cannot be blocked or caught: the process ends here. */
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/* ---- The block device ------------------------------------------------------ */

struct arch_blkdev {
	int fd;
	pthread_t io_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct arch_bio *head, *tail;	/* queued, not started */
	unsigned long submitted, completed;
	bool stop;
	/* Injected failures: [0] reads, [1] writes. */
	int inject_error[2];
	unsigned int inject_count[2];
};

/* Take one injected failure for this direction, if any is armed. */
static int take_injection(struct arch_blkdev *dev, bool write)
{
	int err = 0;

	pthread_mutex_lock(&dev->lock);
	if (dev->inject_count[write]) {
		dev->inject_count[write]--;
		err = dev->inject_error[write];
	}
	pthread_mutex_unlock(&dev->lock);
	return err;
}

static int do_bio(struct arch_blkdev *dev, struct arch_bio *bio)
{
	char *ram = hosted_ram_base();
	struct iovec iov[ARCH_BIO_MAX_PAGES];
	size_t total = (size_t)bio->nr_pages * 4096, done = 0;
	int inj = take_injection(dev, bio->write);
	unsigned int n = 0;

	if (!bio->nr_pages || bio->nr_pages > ARCH_BIO_MAX_PAGES)
		return -EINVAL;
	/* Coalesce frames that follow each other in RAM into one buffer. */
	for (unsigned int i = 0; i < bio->nr_pages; i++) {
		if (bio->phys[i] + 4096 > hosted_ram_bytes())
			return -EFAULT;
		if (n && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == ram + bio->phys[i]) {
			iov[n - 1].iov_len += 4096;
			continue;
		}
		iov[n].iov_base = ram + bio->phys[i];
		iov[n].iov_len = 4096;
		n++;
	}
	if (inj < 0)
		return inj;
	if (inj == ARCH_IO_SHORT)
		total /= 2;		/* the device stops half way */
	while (done < total) {
		struct iovec *v = iov;
		unsigned int cnt = n;
		size_t skip = done;
		ssize_t r;

		/* Skip what was transferred already. */
		while (skip >= v->iov_len) {
			skip -= v->iov_len;
			v++;
			cnt--;
		}
		v->iov_base = (char *)v->iov_base + skip;
		v->iov_len -= skip;
		if (inj == ARCH_IO_SHORT) {
			/* Cut the list at the injected length. */
			size_t left = total - done, k = 0;

			while (k < cnt && left > v[k].iov_len)
				left -= v[k++].iov_len;
			if (k < cnt) {
				v[k].iov_len = left;
				cnt = (unsigned int)k + 1;
			}
		}
		r = bio->write ? pwritev(dev->fd, v, (int)cnt, (off_t)(bio->off + done))
			       : preadv(dev->fd, v, (int)cnt, (off_t)(bio->off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return bio->write ? -ENOSPC : -EIO;	/* end of file */
		done += (size_t)r;
		/* iov was edited in place: rebuild it for the next round. */
		if (done < total) {
			n = 0;
			for (unsigned int i = 0; i < bio->nr_pages; i++) {
				if (n && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len ==
					 ram + bio->phys[i]) {
					iov[n - 1].iov_len += 4096;
					continue;
				}
				iov[n].iov_base = ram + bio->phys[i];
				iov[n].iov_len = 4096;
				n++;
			}
		}
	}
	return inj == ARCH_IO_SHORT ? -EIO : 0;
}

static void *io_thread_main(void *p)
{
	struct arch_blkdev *dev = p;

	pthread_mutex_lock(&dev->lock);
	for (;;) {
		struct arch_bio *bio;

		while (!dev->head && !dev->stop)
			pthread_cond_wait(&dev->cond, &dev->lock);
		bio = dev->head;
		if (!bio)
			break;		/* stopping, queue empty */
		dev->head = bio->next;
		if (!dev->head)
			dev->tail = NULL;
		pthread_mutex_unlock(&dev->lock);
		bio->status = do_bio(dev, bio);
		bio->end_io(bio);	/* may free bio */
		pthread_mutex_lock(&dev->lock);
		dev->completed++;
		pthread_cond_broadcast(&dev->cond);
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

int arch_blkdev_open(const char *path, struct arch_blkdev **out, struct arch_blkdev_info *info)
{
	struct arch_blkdev *dev;
	struct stat st;
	sigset_t all, old;
	int fd, err;

	memset(info, 0, sizeof(*info));
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return -EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EISDIR ? -EINVAL : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	info->created = st.st_size == 0;
	info->size = (uint64_t)st.st_size;
	info->major = major(st.st_dev);
	info->minor = minor(st.st_dev);

	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	pthread_mutex_init(&dev->lock, NULL);
	pthread_cond_init(&dev->cond, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&dev->io_thread, NULL, io_thread_main, dev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(fd);
		free(dev);
		return -err;
	}
	pthread_setname_np(dev->io_thread, "mmkit-swapio");
	*out = dev;
	return 0;
}

int arch_blkdev_set_size(struct arch_blkdev *dev, uint64_t size)
{
	struct stat st;
	int err;

	if (fstat(dev->fd, &st))
		return -errno;
	if ((uint64_t)st.st_size != size && ftruncate(dev->fd, (off_t)size))
		return -errno;
	/* No holes, as swapon requires (where the host's file system can). */
	err = posix_fallocate(dev->fd, 0, (off_t)size);
	if (err && err != EOPNOTSUPP && err != EINVAL)
		return -err;
	return 0;
}

void arch_blkdev_close(struct arch_blkdev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->stop = true;
	pthread_cond_broadcast(&dev->cond);
	pthread_mutex_unlock(&dev->lock);
	pthread_join(dev->io_thread, NULL);
	fsync(dev->fd);
	close(dev->fd);
	pthread_mutex_destroy(&dev->lock);
	pthread_cond_destroy(&dev->cond);
	free(dev);
}

int arch_blkdev_pio(struct arch_blkdev *dev, bool write, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = write ? pwrite(dev->fd, (char *)buf + done, len - done, (off_t)(off + done))
				  : pread(dev->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	if (write && fdatasync(dev->fd))
		return -errno;
	return 0;
}

void arch_blkdev_submit(struct arch_blkdev *dev, struct arch_bio *bio)
{
	bio->next = NULL;
	pthread_mutex_lock(&dev->lock);
	if (dev->tail)
		dev->tail->next = bio;
	else
		dev->head = bio;
	dev->tail = bio;
	dev->submitted++;
	pthread_cond_broadcast(&dev->cond);
	pthread_mutex_unlock(&dev->lock);
}

int arch_blkdev_rw_sync(struct arch_blkdev *dev, struct arch_bio *bio)
{
	bio->status = do_bio(dev, bio);
	return bio->status;
}

void arch_blkdev_drain(struct arch_blkdev *dev)
{
	unsigned long target;

	pthread_mutex_lock(&dev->lock);
	target = dev->submitted;
	while (dev->completed < target)
		pthread_cond_wait(&dev->cond, &dev->lock);
	pthread_mutex_unlock(&dev->lock);
}

void arch_blkdev_inject(struct arch_blkdev *dev, bool write, int error, unsigned int count)
{
	pthread_mutex_lock(&dev->lock);
	dev->inject_error[write] = error;
	dev->inject_count[write] = count;
	pthread_mutex_unlock(&dev->lock);
}
