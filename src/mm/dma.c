// SPDX-License-Identifier: MIT
/*
 * The DMA API: handing memory to a device that sees only bus addresses.
 *
 * The seed's reason for physically contiguous memory: "a DMA device on a
 * physically addressed bus" knows nothing of virtual addresses. Here the
 * bus address is the physical address (dma-direct, no IOMMU), and the
 * device (src/arch/hosted/dma_device.c) moves bytes through the RAM memfd
 * at those addresses, so what the CPU sees through the direct map is what
 * the device sees.
 *
 *   dma_alloc_coherent()  memory both may use at any time: zeroed frames
 *                         the device's coherent mask reaches, from the CMA
 *                         area when there is one and the size is above a
 *                         page (as Linux's dma_alloc_contiguous), else from
 *                         the buddy allocator (GFP_DMA for a mask that
 *                         reaches only ZONE_DMA).
 *   dma_map_single/page/sg  streaming mappings of memory the CPU allocated
 *                         (kmalloc, pages): the bus address of a direct-map
 *                         buffer, or, when the device's mask cannot reach
 *                         it, a bounce buffer in the swiotlb area reserved
 *                         at boot in low memory, copied on map (to the
 *                         device) and on unmap/sync (from it), as Linux's
 *                         swiotlb does.
 *
 * Ownership: between map and unmap (or sync_for_cpu) the device owns a
 * streaming buffer; the CPU owns it again after. DMA API debugging (always
 * on here, as Linux's CONFIG_DMA_API_DEBUG) records every mapping and
 * reports in Linux's words: a vmalloc or stack address handed to
 * dma_map_single (refused: its pages are not contiguous), an unmap of
 * something never mapped (a double unmap), an unmap with another size,
 * direction or function than the map, and a CPU write to a streaming
 * buffer while the device owned it: the device reports every write it
 * makes, so a copy of the buffer kept since the map (with the device's
 * writes applied) must equal the buffer when the CPU takes it back. A
 * CPU read leaves no trace and cannot be reported.
 *
 * Vocabulary: a bus address (dma_addr_t) is what the device puts on the
 * bus; the swiotlb area is a set of 2 KiB slots; a mapping is one
 * dma_map_* call (an sg list maps each entry).
 *
 * Locks: dev->lock (the device's commands in flight), swiotlb_lock (the
 * slot bitmap), debug_lock (the mapping table); none is held while
 * calling out to an allocator.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "cma.h"
#include "vmalloc.h"
#include "../lib/list.h"
#include "../lib/spinlock.h"

struct device {
	struct list_head list;		/* all devices, for shutdown */
	char name[32];
	uint64_t dma_mask;
	uint64_t coherent_dma_mask;
	uint64_t hw_mask;
	struct arch_dma_engine *engine;
	mempool_t *descs;		/* command descriptors, reserved */
	spinlock_t lock;
};

/*
 * A submitted command on its way through the device. Descriptors with up
 * to DESC_SEGS segments come from the device's reserve (a mempool of
 * DESC_RESERVE, as a driver preallocates its descriptor ring), so the
 * device keeps working when memory is exhausted; larger ones are
 * kmalloc'ed.
 */
#define DESC_SEGS	8
#define DESC_RESERVE	64
struct dma_work {
	struct arch_dma_node node;
	struct device *dev;
	struct mmk_dma_cmd *cmd;
	bool pooled;
	struct arch_dma_seg segs[];	/* src, then dst */
};
#define DESC_SIZE	(sizeof(struct dma_work) + DESC_SEGS * sizeof(struct arch_dma_seg))

static void free_work(struct dma_work *w)
{
	if (w->pooled)
		mempool_free(w, w->dev->descs);
	else
		kfree(w);
}

/* ---- The device ---------------------------------------------------------- */

static spinlock_t swiotlb_init_lock;
static void swiotlb_init(void);
static void debug_device_wrote(uint64_t bus, const void *data, uint64_t len, void *ctx);
static bool mask_supported(uint64_t mask);

static struct list_head dma_devices;
static spinlock_t dma_devices_lock = __SPIN_LOCK_UNLOCKED;

static void dma_irq(struct arch_dma_node *n, void *ctx)
{
	struct dma_work *w = (struct dma_work *)n;
	struct device *dev = ctx;
	struct mmk_dma_cmd *cmd = w->cmd;

	cmd->status = n->op.status;
	cmd->bad_addr = n->op.bad_addr;
	cmd->bytes = (size_t)n->op.bytes;
	cmd->checksum = n->op.checksum;
	irq_enter();
	if (cmd->complete)
		cmd->complete(dev, cmd);
	free_work(w);
	irq_exit();
}

struct device *mmk_dma_device_create(const char *name, uint64_t hw_mask)
{
	struct device *dev;

	if (not_booted())
		return NULL;
	might_sleep();
	if (!mask_supported(hw_mask)) {
		pr_warn("WARNING: mmk_dma_device_create: DMA mask %#llx does not reach all of the lowest zone (ZONE_DMA; dma_zone=)\n",
			(unsigned long long)hw_mask);
		return NULL;
	}
	swiotlb_init();
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "dma");
	dev->dma_mask = dev->coherent_dma_mask = dev->hw_mask = hw_mask;
	spin_lock_init(&dev->lock);
	dev->descs = mempool_create_kmalloc_pool(DESC_RESERVE, DESC_SIZE);
	if (!dev->descs) {
		kfree(dev);
		return NULL;
	}
	dev->engine = arch_dma_engine_create(hw_mask, dma_irq, debug_device_wrote, dev);
	if (!dev->engine) {
		mempool_destroy(dev->descs);
		kfree(dev);
		return NULL;
	}
	spin_lock(&dma_devices_lock);
	list_add_tail(&dev->list, &dma_devices);
	spin_unlock(&dma_devices_lock);
	return dev;
}

static void debug_device_gone(struct device *dev);
static void dma_err(struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void device_release(struct device *dev)
{
	spin_lock(&dma_devices_lock);
	list_del(&dev->list);
	spin_unlock(&dma_devices_lock);
	arch_dma_engine_destroy(dev->engine);	/* runs the queued handlers */
	debug_device_gone(dev);
	mempool_destroy(dev->descs);
	kfree(dev);
}

void mmk_dma_device_destroy(struct device *dev)
{
	if (!dev || not_booted())
		return;
	if (mmk_in_interrupt()) {
		/* It would join the very thread it runs on. */
		dma_err(dev, "device destroyed from interrupt context: refused, the device is unchanged");
		return;
	}
	might_sleep();
	device_release(dev);
}

/* Shutdown: a device must not outlive the RAM it reaches. */
void dma_shutdown(void)
{
	while (!list_empty(&dma_devices)) {
		struct device *dev = list_first_entry(&dma_devices, struct device, list);

		pr_warn("mmkit: DMA device %s still exists at shutdown: stopped after its queued commands\n",
			dev->name);
		device_release(dev);
	}
}

static void copy_segs(struct arch_dma_seg *to, const struct mmk_dma_seg *from, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		to[i] = (struct arch_dma_seg){ from[i].addr, from[i].len };
}

int mmk_dma_submit(struct device *dev, struct mmk_dma_cmd *cmd)
{
	unsigned int ns, nd;
	struct dma_work *w;

	if (not_booted() || !dev || !cmd)
		return -EINVAL;
	if (cmd->kind != MMK_DMA_COPY && cmd->kind != MMK_DMA_FILL &&
	    cmd->kind != MMK_DMA_CHECKSUM)
		return -EINVAL;
	ns = cmd->kind == MMK_DMA_FILL ? 0 : cmd->src_nents;
	nd = cmd->kind == MMK_DMA_CHECKSUM ? 0 : cmd->dst_nents;
	if ((cmd->kind != MMK_DMA_FILL && (!ns || !cmd->src)) ||
	    (cmd->kind != MMK_DMA_CHECKSUM && (!nd || !cmd->dst)))
		return -EINVAL;
	/* Drivers submit from interrupt handlers too: never sleep here. */
	if (ns + nd <= DESC_SEGS) {
		w = mempool_alloc(dev->descs, GFP_ATOMIC);
		if (w)
			w->pooled = true;
	} else {
		w = kmalloc(sizeof(*w) + (ns + nd) * sizeof(struct arch_dma_seg),
			    GFP_ATOMIC | __GFP_NOWARN);
		if (w)
			w->pooled = false;
	}
	if (!w)
		return -ENOMEM;
	w->dev = dev;
	w->cmd = cmd;
	copy_segs(w->segs, cmd->src, ns);
	copy_segs(w->segs + ns, cmd->dst, nd);
	w->node.op = (struct arch_dma_op){
		.kind = cmd->kind == MMK_DMA_COPY ? ARCH_DMA_COPY :
			cmd->kind == MMK_DMA_FILL ? ARCH_DMA_FILL : ARCH_DMA_CHECKSUM,
		.src = w->segs, .src_nents = ns,
		.dst = w->segs + ns, .dst_nents = nd,
		.fill = cmd->fill,
	};
	arch_dma_engine_submit(dev->engine, &w->node);
	return 0;
}

struct dma_waiter {
	void (*complete)(struct device *dev, struct mmk_dma_cmd *cmd);
	int done;
};

static void run_complete(struct device *dev, struct mmk_dma_cmd *cmd)
{
	struct dma_waiter *wt = cmd->priv;

	(void)dev;
	__atomic_store_n(&wt->done, 1, __ATOMIC_RELEASE);
}

int mmk_dma_run(struct device *dev, struct mmk_dma_cmd *cmd)
{
	void (*complete)(struct device *, struct mmk_dma_cmd *);
	struct dma_waiter wt = { NULL, 0 };
	void *priv;
	int err;

	if (!cmd)
		return -EINVAL;
	if (mmk_in_interrupt()) {
		/* Only this thread could deliver the interrupt it would wait for. */
		dma_err(dev, "mmk_dma_run() from interrupt context would wait forever: use mmk_dma_submit()");
		return -EDEADLK;
	}
	might_sleep();
	complete = cmd->complete;
	priv = cmd->priv;
	cmd->complete = run_complete;
	cmd->priv = &wt;
	err = mmk_dma_submit(dev, cmd);
	if (!err)
		while (!__atomic_load_n(&wt.done, __ATOMIC_ACQUIRE))
			arch_sleep_us(20);
	cmd->complete = complete;
	cmd->priv = priv;
	return err ? err : cmd->status;
}

/* ---- Masks ---------------------------------------------------------------- */

/* Linux's dma_direct_supported(): the mask must reach the lowest zone
 * (ZONE_DMA, or all of RAM when it is smaller or there is none). */
static bool mask_supported(uint64_t mask)
{
	struct zone *dma = &node_data0->node_zones[ZONE_DMA];
	uint64_t end = populated_zone(dma) ? (uint64_t)zone_end_pfn(dma) << PAGE_SHIFT :
					     (uint64_t)max_pfn << PAGE_SHIFT;

	if (end > (uint64_t)max_pfn << PAGE_SHIFT)
		end = (uint64_t)max_pfn << PAGE_SHIFT;
	return mask >= end - 1;
}

int mmk_dma_set_mask(struct device *dev, uint64_t mask)
{
	if (!dev || !mask_supported(mask))
		return -EIO;
	dev->dma_mask = mask;
	return 0;
}

int mmk_dma_set_coherent_mask(struct device *dev, uint64_t mask)
{
	if (!dev || !mask_supported(mask))
		return -EIO;
	dev->coherent_dma_mask = mask;
	return 0;
}

int mmk_dma_set_mask_and_coherent(struct device *dev, uint64_t mask)
{
	int err = mmk_dma_set_mask(dev, mask);

	return err ? err : mmk_dma_set_coherent_mask(dev, mask);
}

uint64_t mmk_dma_get_mask(struct device *dev)
{
	return dev ? dev->dma_mask : 0;
}

static bool dma_capable(uint64_t mask, phys_addr_t addr, size_t size)
{
	return size && addr <= mask && size - 1 <= mask - addr;
}

/* ---- swiotlb: bounce buffers in low memory --------------------------------- */

#define IO_TLB_SHIFT	11			/* 2 KiB slots, as Linux */
#define IO_TLB_SIZE	(1UL << IO_TLB_SHIFT)
#define IO_TLB_SEGSIZE	128			/* at most 256 KiB a mapping */
#define SWIOTLB_MAX	(4UL << 20)

static struct {
	phys_addr_t start;
	unsigned long nslabs;
	unsigned char *used;		/* 1 per slot */
	phys_addr_t *orig;		/* the buffer a slot bounces */
	size_t *size;			/* the mapping's size, on its first slot */
	spinlock_t lock;
	unsigned long in_use;		/* slots */
} io_tlb;

/*
 * The bounce area is set up when the first device appears (Linux reserves
 * it at boot; a machine without devices here keeps the memory): frames
 * from ZONE_DMA, which even a 24-bit device reaches, a 16th of RAM up to
 * 4 MiB, in one block.
 */
static spinlock_t swiotlb_init_lock = __SPIN_LOCK_UNLOCKED;

static void swiotlb_init(void)
{
	unsigned long bytes = (unsigned long)(((uint64_t)max_pfn << PAGE_SHIFT) / 16);
	unsigned char *used;
	phys_addr_t *orig;
	size_t *sizes;
	unsigned int order = 0;
	struct page *page;
	unsigned long nslabs;

	if (__atomic_load_n(&io_tlb.nslabs, __ATOMIC_ACQUIRE))
		return;
	if (bytes > SWIOTLB_MAX)
		bytes = SWIOTLB_MAX;
	while (order < MAX_PAGE_ORDER && (PAGE_SIZE << (order + 1)) <= bytes)
		order++;
	/* Allocate with no lock held; the first to publish wins. */
	while (!(page = alloc_pages(GFP_KERNEL | __GFP_DMA | __GFP_NOWARN, order)) && order)
		order--;
	if (!page) {
		pr_warn("swiotlb: no memory in ZONE_DMA for bounce buffers: mappings beyond a device's mask will fail\n");
		return;
	}
	nslabs = (PAGE_SIZE << order) >> IO_TLB_SHIFT;
	used = kcalloc(nslabs, 1, GFP_KERNEL);
	orig = kcalloc(nslabs, sizeof(phys_addr_t), GFP_KERNEL);
	sizes = kcalloc(nslabs, sizeof(size_t), GFP_KERNEL);
	spin_lock(&swiotlb_init_lock);
	if (used && orig && sizes && !io_tlb.nslabs) {
		io_tlb.used = used;
		io_tlb.orig = orig;
		io_tlb.size = sizes;
		io_tlb.start = (phys_addr_t)pfn_of(page) << PAGE_SHIFT;
		spin_lock_init(&io_tlb.lock);
		__atomic_store_n(&io_tlb.nslabs, nslabs, __ATOMIC_RELEASE);
		page = NULL;
	}
	spin_unlock(&swiotlb_init_lock);
	if (page) {
		kfree(used);
		kfree(orig);
		kfree(sizes);
		__free_pages(page, order);
	}
}

static void bounce_copy(phys_addr_t to, phys_addr_t from, size_t size)
{
	memcpy(pfn_to_virt(to >> PAGE_SHIFT) + (to & (PAGE_SIZE - 1)),
	       pfn_to_virt(from >> PAGE_SHIFT) + (from & (PAGE_SIZE - 1)), size);
}

static phys_addr_t swiotlb_map(struct device *dev, phys_addr_t orig, size_t size,
			       enum dma_data_direction dir)
{
	unsigned long need = (size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT, i, j;
	phys_addr_t tlb;

	if (!io_tlb.nslabs || need > IO_TLB_SEGSIZE ||
	    !dma_capable(dev->dma_mask, io_tlb.start, io_tlb.nslabs << IO_TLB_SHIFT)) {
		pr_err("swiotlb: %s: cannot bounce %zu bytes at %#llx: %s\n", dev->name, size,
		       (unsigned long long)orig,
		       !io_tlb.nslabs ? "there is no bounce area" :
		       need > IO_TLB_SEGSIZE ? "larger than one mapping may be (256 KiB)" :
		       "the bounce area is beyond the device's mask");
		return DMA_MAPPING_ERROR;
	}
	spin_lock(&io_tlb.lock);
	for (i = 0; i + need <= io_tlb.nslabs; i = j + 1) {
		for (j = i; j < i + need && !io_tlb.used[j]; j++)
			;
		if (j == i + need)
			break;
	}
	if (i + need > io_tlb.nslabs) {
		spin_unlock(&io_tlb.lock);
		pr_err("%s: swiotlb buffer is full (sz: %zu bytes), total %lu (slots), used %lu (slots)\n",
		       dev->name, size, io_tlb.nslabs, io_tlb.in_use);
		return DMA_MAPPING_ERROR;
	}
	for (j = i; j < i + need; j++) {
		io_tlb.used[j] = 1;
		io_tlb.orig[j] = orig + ((j - i) << IO_TLB_SHIFT);
	}
	io_tlb.size[i] = size;
	io_tlb.in_use += need;
	spin_unlock(&io_tlb.lock);
	tlb = io_tlb.start + (i << IO_TLB_SHIFT);
	/* Always, as Linux since 5.18: a partial device write must not
	 * leave an earlier user's bytes to be copied back at unmap. */
	(void)dir;
	bounce_copy(tlb, orig, size);
	return tlb;
}

static bool is_swiotlb_addr(dma_addr_t addr)
{
	return io_tlb.nslabs && addr >= io_tlb.start &&
	       addr < io_tlb.start + (io_tlb.nslabs << IO_TLB_SHIFT);
}

static void swiotlb_sync(dma_addr_t tlb, size_t size, enum dma_data_direction dir,
			 bool for_cpu)
{
	unsigned long i = (tlb - io_tlb.start) >> IO_TLB_SHIFT;
	phys_addr_t orig = io_tlb.orig[i] + (tlb & (IO_TLB_SIZE - 1));

	if (for_cpu && (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		bounce_copy(orig, tlb, size);
	else if (!for_cpu && (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL))
		bounce_copy(tlb, orig, size);
}

static void swiotlb_unmap(dma_addr_t tlb, size_t size, enum dma_data_direction dir)
{
	unsigned long i = (tlb - io_tlb.start) >> IO_TLB_SHIFT;
	unsigned long need = (io_tlb.size[i] + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT;

	if (size > io_tlb.size[i])
		size = io_tlb.size[i];	/* never copy past the original buffer */
	swiotlb_sync(tlb, size, dir, true);
	spin_lock(&io_tlb.lock);
	for (unsigned long j = i; j < i + need; j++)
		io_tlb.used[j] = 0;
	io_tlb.in_use -= need;
	spin_unlock(&io_tlb.lock);
}

/* ---- DMA API debugging -------------------------------------------------- */

/* dma_map_single and dma_map_page are one kind, as Linux records them. */
enum map_type { MAP_SINGLE, MAP_SG, MAP_COHERENT };
static const char *const type_names[] = { "single", "scather-gather", "coherent" };
static const char *const dir_names[] = { "DMA_BIDIRECTIONAL", "DMA_TO_DEVICE",
					 "DMA_FROM_DEVICE", "DMA_NONE" };

struct dma_debug_entry {
	struct list_head list;
	struct device *dev;
	enum map_type type;
	dma_addr_t dev_addr;
	phys_addr_t phys;		/* the CPU's buffer (not the bounce) */
	size_t size;
	enum dma_data_direction dir;
	/*
	 * Who wrote what: a copy of the buffer as the CPU left it at map,
	 * with every device write into the mapping applied to it as well
	 * (the device reports its writes, see debug_device_wrote). When
	 * ownership comes back to the CPU the buffer must equal the copy;
	 * a difference is a CPU write while the device owned it. For a
	 * bounced mapping the device writes the bounce slot, so the
	 * original must simply be unchanged. NULL: not watched (coherent
	 * memory, or no memory for the copy).
	 */
	unsigned char *snap;
	struct list_head watch;		/* on debug_watch while snap is set */
	bool bounced;
	bool cpu_owned;			/* after sync_for_cpu, until sync_for_device */
};
static struct list_head debug_watch;

#define DEBUG_HASH	1024
static struct list_head debug_hash[DEBUG_HASH];
static spinlock_t debug_lock = __SPIN_LOCK_UNLOCKED;
static bool debug_on;

static struct list_head *debug_bucket(dma_addr_t addr)
{
	return &debug_hash[(addr >> 11) % DEBUG_HASH];
}

static void *phys_ptr(phys_addr_t phys)
{
	return (char *)pfn_to_virt(phys >> PAGE_SHIFT) + (phys & (PAGE_SIZE - 1));
}

/* Under debug_lock: take the CPU's view as the reference. */
static void snap_take(struct dma_debug_entry *e)
{
	if (e->snap)
		memcpy(e->snap, phys_ptr(e->phys), e->size);
}

/* Under debug_lock: did the CPU write the buffer since the reference? */
static bool snap_differs(const struct dma_debug_entry *e)
{
	return e->snap && memcmp(e->snap, phys_ptr(e->phys), e->size) != 0;
}

/*
 * The device wrote [bus, bus + len): record it in the reference copy of
 * every direct (not bounced) mapping it touched. Runs on the device's
 * thread, after the write reached RAM.
 */
static void debug_device_wrote(uint64_t bus, const void *data, uint64_t len, void *ctx)
{
	struct device *dev = ctx;
	struct dma_debug_entry *e;

	if (!debug_on)
		return;
	spin_lock(&debug_lock);
	list_for_each_entry(e, &debug_watch, watch) {
		uint64_t lo, hi;

		if (e->dev != dev || e->bounced)
			continue;
		lo = bus > e->dev_addr ? bus : e->dev_addr;
		hi = bus + len < e->dev_addr + e->size ? bus + len : e->dev_addr + e->size;
		if (lo < hi)
			memcpy(e->snap + (lo - e->dev_addr), (const char *)data + (lo - bus),
			       (size_t)(hi - lo));
	}
	spin_unlock(&debug_lock);
}

static void dma_err(struct device *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void dma_err(struct device *dev, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("------------[ cut here ]------------\n");
	pr_warn("DMA-API: mmkit-dma %s: %s\n", dev ? dev->name : "(no device)", msg);
	pr_warn("WARNING: CPU: %d PID: %d at kernel/dma/debug.c\n", arch_smp_processor_id(),
		arch_current_pid());
	arch_dump_stack();
	pr_warn("---[ end trace 0000000000000000 ]---\n");
}

static void debug_add(struct device *dev, enum map_type type, dma_addr_t addr,
		      phys_addr_t phys, size_t size, enum dma_data_direction dir)
{
	struct dma_debug_entry *e;

	if (!debug_on)
		return;
	e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (!e) {
		pr_err("DMA-API: debugging out of memory - disabling\n");
		debug_on = false;
		return;
	}
	*e = (struct dma_debug_entry){ .dev = dev, .type = type, .dev_addr = addr,
				       .phys = phys, .size = size, .dir = dir,
				       .bounced = addr != phys };
	if (type != MAP_COHERENT)
		e->snap = kmalloc(size, GFP_ATOMIC | __GFP_NOWARN);
	spin_lock(&debug_lock);
	list_add(&e->list, debug_bucket(addr));
	if (e->snap) {
		snap_take(e);
		list_add(&e->watch, &debug_watch);
	}
	spin_unlock(&debug_lock);
}

/*
 * Check an unmap (or a sync) against its map, reporting what differs, as
 * Linux's check_unmap/check_sync do. Returns the size that was mapped
 * (what the caller must use), or 0 when the call must change nothing: the
 * address was never mapped (a double unmap), or it is a coherent buffer
 * freed with another size or function (freeing would hit pages the caller
 * still owns). A sync may cover any part of a mapping.
 */
enum check_kind { CHECK_UNMAP, CHECK_SYNC_CPU, CHECK_SYNC_DEVICE };

static size_t debug_check(struct device *dev, enum map_type type, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, enum check_kind kind)
{
	struct dma_debug_entry *e, *found = NULL;
	struct dma_debug_entry copy;
	bool cpu_wrote = false;

	if (!debug_on)
		return size;
	spin_lock(&debug_lock);
	if (kind == CHECK_UNMAP) {
		list_for_each_entry(e, debug_bucket(addr), list)
			if (e->dev == dev && e->dev_addr == addr) {
				found = e;
				break;
			}
	} else {
		/* The mapping that contains [addr, addr + size): it may start
		 * in an earlier hash bucket. */
		for (dma_addr_t a = addr;; a -= 1UL << 11) {
			list_for_each_entry(e, debug_bucket(a), list)
				if (e->dev == dev && e->dev_addr <= addr &&
				    addr < e->dev_addr + e->size) {
					found = e;
					break;
				}
			if (found || a < (1UL << 11) || addr - a > (256UL << 10))
				break;
		}
	}
	if (!found) {
		spin_unlock(&debug_lock);
		dma_err(dev, "device driver tries to %s DMA memory it has not allocated [device address=0x%016llx] [size=%zu bytes]",
			kind == CHECK_UNMAP ? "free" : "sync", (unsigned long long)addr, size);
		return 0;
	}
	copy = *found;
	if (kind != CHECK_UNMAP) {
		/* Ownership moves with each sync; the CPU may write while it
		 * owns a DMA_TO_DEVICE buffer, so re-take the sum on the way
		 * back to the device. */
		if (kind == CHECK_SYNC_CPU && !found->cpu_owned && snap_differs(found))
			cpu_wrote = true;
		found->cpu_owned = kind == CHECK_SYNC_CPU;
		if (kind == CHECK_SYNC_DEVICE)
			snap_take(found);
		spin_unlock(&debug_lock);
		if (addr + size > copy.dev_addr + copy.size)
			dma_err(dev, "device driver syncs DMA memory outside allocated range [device address=0x%016llx] [allocation size=%zu bytes] [sync offset+size=%llu]",
				(unsigned long long)copy.dev_addr, copy.size,
				(unsigned long long)(addr - copy.dev_addr + size));
		if (copy.dir != DMA_BIDIRECTIONAL && copy.dir != dir)
			dma_err(dev, "device driver syncs DMA memory with different direction [device address=0x%016llx] [size=%zu bytes] [mapped with %s] [synced with %s]",
				(unsigned long long)addr, copy.size, dir_names[copy.dir & 3],
				dir_names[dir & 3]);
		if (cpu_wrote)
			dma_err(dev, "cpu wrote to a %s buffer while the device owned it [device address=0x%016llx] [size=%zu bytes]",
				dir_names[copy.dir & 3], (unsigned long long)copy.dev_addr, copy.size);
		return size;
	}
	/* An unmap. A coherent buffer freed wrongly is refused, entry kept. */
	if ((copy.type == MAP_COHERENT || type == MAP_COHERENT) &&
	    (copy.type != type || copy.size != size)) {
		spin_unlock(&debug_lock);
		if (copy.type != type)
			dma_err(dev, "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=%zu bytes] [mapped as %s] [unmapped as %s]: refused",
				(unsigned long long)addr, copy.size, type_names[copy.type],
				type_names[type]);
		else
			dma_err(dev, "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%zu bytes] [unmap size=%zu bytes]: refused",
				(unsigned long long)addr, copy.size, size);
		return 0;
	}
	list_del(&found->list);
	if (!copy.cpu_owned && snap_differs(found))
		cpu_wrote = true;
	if (found->snap)
		list_del(&found->watch);
	spin_unlock(&debug_lock);
	kfree(found->snap);
	kfree(found);
	if (copy.size != size)
		dma_err(dev, "device driver frees DMA memory with different size [device address=0x%016llx] [map size=%zu bytes] [unmap size=%zu bytes]",
			(unsigned long long)addr, copy.size, size);
	if (copy.type != type)
		dma_err(dev, "device driver frees DMA memory with wrong function [device address=0x%016llx] [size=%zu bytes] [mapped as %s] [unmapped as %s]",
			(unsigned long long)addr, copy.size, type_names[copy.type],
			type_names[type]);
	if (copy.dir != dir)
		dma_err(dev, "device driver frees DMA memory with different direction [device address=0x%016llx] [size=%zu bytes] [mapped with %s] [unmapped with %s]",
			(unsigned long long)addr, copy.size, dir_names[copy.dir & 3],
			dir_names[dir & 3]);
	if (cpu_wrote)
		dma_err(dev, "cpu wrote to a %s buffer while the device owned it [device address=0x%016llx] [size=%zu bytes]",
			dir_names[copy.dir & 3], (unsigned long long)addr, copy.size);
	return copy.size;
}

static bool addr_on_stack(const void *p)
{
	char here;
	uintptr_t a = (uintptr_t)p, s = (uintptr_t)&here;

	/* The calling thread's stack: within a few MiB above this frame. */
	return a >= s - 4096 && a < s + (8UL << 20);
}

/* A device going away with mappings still open: Linux's report, then the
 * records go (the mappings themselves die with the device). */
static void debug_device_gone(struct device *dev)
{
	struct list_head gone;
	struct dma_debug_entry *e;
	unsigned long count = 0;

	if (!debug_on)
		return;
	INIT_LIST_HEAD(&gone);
	spin_lock(&debug_lock);
	for (int i = 0; i < DEBUG_HASH; i++) {
		struct list_head *pos = debug_hash[i].next;

		while (pos != &debug_hash[i]) {
			struct list_head *next = pos->next;

			e = list_entry(pos, struct dma_debug_entry, list);
			if (e->dev == dev) {
				if (e->snap)
					list_del(&e->watch);
				list_del(pos);
				list_add(pos, &gone);
				count++;
			}
			pos = next;
		}
	}
	spin_unlock(&debug_lock);
	if (count) {
		e = list_first_entry(&gone, struct dma_debug_entry, list);
		dma_err(dev, "device driver has pending DMA allocations while released from device [count=%lu]\nOne of leaked entries details: [device address=0x%016llx] [size=%zu bytes] [mapped with %s] [mapped as %s]",
			count, (unsigned long long)e->dev_addr, e->size, dir_names[e->dir & 3],
			type_names[e->type]);
	}
	while (!list_empty(&gone)) {
		e = list_first_entry(&gone, struct dma_debug_entry, list);
		list_del(&e->list);
		kfree(e->snap);
		kfree(e);
	}
}

/* ---- Streaming mappings ----------------------------------------------------- */

static dma_addr_t map_phys(struct device *dev, phys_addr_t phys, size_t size,
			   enum dma_data_direction dir, enum map_type type)
{
	dma_addr_t addr = phys;

	if (phys > ((phys_addr_t)max_pfn << PAGE_SHIFT) ||
	    size > ((phys_addr_t)max_pfn << PAGE_SHIFT) - phys) {
		dma_err(dev, "device driver maps memory beyond the end of RAM [phys=%#llx] [size=%zu bytes]",
			(unsigned long long)phys, size);
		return DMA_MAPPING_ERROR;
	}

	if (!dma_capable(dev->dma_mask, phys, size)) {
		addr = swiotlb_map(dev, phys, size, dir);
		if (addr == DMA_MAPPING_ERROR)
			return addr;
	}
	debug_add(dev, type, addr, phys, size, dir);
	return addr;
}

static void unmap_addr(struct device *dev, dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, enum map_type type)
{
	size = debug_check(dev, type, addr, size, dir, CHECK_UNMAP);
	if (!size)
		return;
	if (is_swiotlb_addr(addr))
		swiotlb_unmap(addr, size, dir);
}

static bool bad_call(struct device *dev, size_t size, enum dma_data_direction dir)
{
	if (not_booted())
		return true;
	if (!dev || !size || dir > DMA_FROM_DEVICE) {
		dma_err(dev, "bad arguments: size %zu, direction %d", size, (int)dir);
		return true;
	}
	return false;
}

dma_addr_t mmk_dma_map_single(struct device *dev, void *ptr, size_t size,
			      enum dma_data_direction dir)
{
	if (bad_call(dev, size, dir))
		return DMA_MAPPING_ERROR;
	if (is_vmalloc_addr(ptr)) {
		dma_err(dev, "device driver maps memory from vmalloc area [addr=%p] [len=%zu]: its pages are not physically contiguous; map them with dma_map_sg() and vmalloc_to_page()",
			ptr, size);
		return DMA_MAPPING_ERROR;
	}
	if (!virt_in_direct_map(ptr) || !virt_in_direct_map((char *)ptr + size - 1)) {
		dma_err(dev, addr_on_stack(ptr) ?
			"device driver maps memory from stack [addr=%p] (%zu bytes)" :
			"device driver maps memory that is not in the direct map [addr=%p] [len=%zu]",
			ptr, size);
		return DMA_MAPPING_ERROR;
	}
	return map_phys(dev, (phys_addr_t)((char *)ptr - direct_map_base), size, dir, MAP_SINGLE);
}

void mmk_dma_unmap_single(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir)
{
	if (bad_call(dev, size, dir))
		return;
	unmap_addr(dev, addr, size, dir, MAP_SINGLE);
}

dma_addr_t mmk_dma_map_page(struct device *dev, struct page *page, size_t offset,
			    size_t size, enum dma_data_direction dir)
{
	if (bad_call(dev, size, dir))
		return DMA_MAPPING_ERROR;
	if (page < mem_map || page >= mem_map + max_pfn) {
		dma_err(dev, "device driver maps a page that is not a struct page of this machine [page=%p]",
			(void *)page);
		return DMA_MAPPING_ERROR;
	}
	return map_phys(dev, ((phys_addr_t)pfn_of(page) << PAGE_SHIFT) + offset, size, dir,
			MAP_SINGLE);
}

void mmk_dma_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir)
{
	if (bad_call(dev, size, dir))
		return;
	unmap_addr(dev, addr, size, dir, MAP_SINGLE);
}

int mmk_dma_mapping_error(struct device *dev, dma_addr_t addr)
{
	(void)dev;
	return addr == DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

static void sync_single(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, bool for_cpu)
{
	if (bad_call(dev, size, dir))
		return;
	if (!debug_check(dev, MAP_SINGLE, addr, size, dir,
			 for_cpu ? CHECK_SYNC_CPU : CHECK_SYNC_DEVICE))
		return;
	if (is_swiotlb_addr(addr))
		swiotlb_sync(addr, size, dir, for_cpu);
}

void mmk_dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
				 enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, true);
}

void mmk_dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				    enum dma_data_direction dir)
{
	sync_single(dev, addr, size, dir, false);
}

/* ---- Scatter-gather --------------------------------------------------------- */

int mmk_dma_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	if (bad_call(dev, 1, dir) || !sgl || nents <= 0)
		return 0;
	for_each_sg(sgl, sg, nents, i) {
		struct page *page = sg_page(sg);

		if (page < mem_map || page >= mem_map + max_pfn || !sg->length) {
			dma_err(dev, "scatterlist entry %d has no page of this machine or no length", i);
			goto undo;
		}
		sg->dma_address = map_phys(dev, ((phys_addr_t)pfn_of(page) << PAGE_SHIFT) +
					   sg->offset, sg->length, dir, MAP_SG);
		if (sg->dma_address == DMA_MAPPING_ERROR)
			goto undo;
		sg->dma_length = sg->length;
	}
	return nents;
undo:
	{
		struct scatterlist *s;
		int j;

		for_each_sg(sgl, s, i, j)
			unmap_addr(dev, s->dma_address, s->dma_length, dir, MAP_SG);
	}
	return 0;
}

void mmk_dma_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir)
{
	struct scatterlist *sg;
	int i;

	if (bad_call(dev, 1, dir) || !sgl)
		return;
	for_each_sg(sgl, sg, nents, i)
		unmap_addr(dev, sg->dma_address, sg->dma_length, dir, MAP_SG);
}

static void sync_sg(struct device *dev, struct scatterlist *sgl, int nents,
		    enum dma_data_direction dir, bool for_cpu)
{
	struct scatterlist *sg;
	int i;

	if (bad_call(dev, 1, dir) || !sgl)
		return;
	for_each_sg(sgl, sg, nents, i) {
		if (!debug_check(dev, MAP_SG, sg->dma_address, sg->dma_length, dir,
				 for_cpu ? CHECK_SYNC_CPU : CHECK_SYNC_DEVICE))
			continue;
		if (is_swiotlb_addr(sg->dma_address))
			swiotlb_sync(sg->dma_address, sg->dma_length, dir, for_cpu);
	}
}

void mmk_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl, int nents,
			     enum dma_data_direction dir)
{
	sync_sg(dev, sgl, nents, dir, true);
}

void mmk_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl, int nents,
				enum dma_data_direction dir)
{
	sync_sg(dev, sgl, nents, dir, false);
}

/* ---- Coherent memory ------------------------------------------------------- */

void *mmk_dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle,
			     gfp_t gfp)
{
	unsigned long count = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	struct cma *cma = mmk_dma_contiguous_default_area;
	struct page *page = NULL;
	unsigned int order = 0;
	phys_addr_t phys;

	if (not_booted() || !dev || !size || !dma_handle)
		return NULL;
	might_alloc(gfp);
	while ((1UL << order) < count)
		order++;
	/* Large buffers from the CMA area, when the device reaches it. */
	if (cma && count > 1 && (gfp & __GFP_DIRECT_RECLAIM) &&
	    dma_capable(dev->coherent_dma_mask, cma_get_base(cma), cma_get_size(cma)))
		page = cma_alloc(cma, count, order < 8 ? order : 8, true);
	if (!page && order <= MAX_PAGE_ORDER) {
		gfp_t g = (gfp & ~(__GFP_DMA | __GFP_HIGHMEM | __GFP_COMP)) | __GFP_ZERO;
		struct zone *dma = &node_data0->node_zones[ZONE_DMA];

		/* As dma-direct: ZONE_DMA only for a mask that reaches no
		 * further; otherwise anywhere, and ZONE_DMA if that missed. */
		if (populated_zone(dma) &&
		    dev->coherent_dma_mask < (uint64_t)zone_end_pfn(dma) << PAGE_SHIFT)
			g |= __GFP_DMA;
		page = alloc_pages(g, order);
		if (page && !(g & __GFP_DMA) && populated_zone(dma) &&
		    !dma_capable(dev->coherent_dma_mask, (phys_addr_t)pfn_of(page) << PAGE_SHIFT,
				 PAGE_SIZE << order)) {
			__free_pages(page, order);
			page = alloc_pages(g | __GFP_DMA, order);
		}
		if (page && order)
			split_page(page, order);
	}
	if (!page) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("%s: dma_alloc_coherent: no memory for %zu bytes the device reaches (mask %#llx)\n",
				dev->name, size, (unsigned long long)dev->coherent_dma_mask);
		return NULL;
	}
	phys = (phys_addr_t)pfn_of(page) << PAGE_SHIFT;
	if (!dma_capable(dev->coherent_dma_mask, phys, size)) {
		/* ZONE_DMA is below every supported mask; only a mask
		 * narrower than RAM with no ZONE_DMA gets here. */
		if (pfn_in_cma(pfn_of(page))) {
			cma_release(cma, page, count);
		} else {
			for (unsigned long i = 0; i < (1UL << order); i++)
				__free_page(page + i);
		}
		pr_warn("%s: dma_alloc_coherent: memory at %#llx is beyond the mask %#llx\n",
			dev->name, (unsigned long long)phys,
			(unsigned long long)dev->coherent_dma_mask);
		return NULL;
	}
	memset(pfn_to_virt(pfn_of(page)), 0, count << PAGE_SHIFT);
	/* Keep only the pages asked for (the rest of the block goes back). */
	if (!pfn_in_cma(pfn_of(page)))
		for (unsigned long i = count; i < (1UL << order); i++)
			__free_page(page + i);
	*dma_handle = phys;
	debug_add(dev, MAP_COHERENT, phys, phys, size, DMA_BIDIRECTIONAL);
	return pfn_to_virt(pfn_of(page));
}

void mmk_dma_free_coherent(struct device *dev, size_t size, void *cpu_addr,
			   dma_addr_t dma_handle)
{
	unsigned long count = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	struct page *page;

	if (not_booted() || !dev || !cpu_addr)
		return;
	if (!virt_in_direct_map(cpu_addr) ||
	    (phys_addr_t)((char *)cpu_addr - direct_map_base) != dma_handle) {
		dma_err(dev, "device driver frees DMA memory with a cpu address that does not match [device address=0x%016llx] [cpu address=%p]",
			(unsigned long long)dma_handle, cpu_addr);
		return;
	}
	size = debug_check(dev, MAP_COHERENT, dma_handle, size, DMA_BIDIRECTIONAL, CHECK_UNMAP);
	if (!size)
		return;
	count = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	page = virt_to_page(cpu_addr);
	if (pfn_in_cma(pfn_of(page))) {
		cma_release(mmk_dma_contiguous_default_area, page, count);
		return;
	}
	for (unsigned long i = 0; i < count; i++)
		__free_page(page + i);
}

/* ---- Boot ---------------------------------------------------------------- */

void dma_debug_init(void)
{
	INIT_LIST_HEAD(&dma_devices);
	INIT_LIST_HEAD(&debug_watch);
	memset(&io_tlb, 0, sizeof(io_tlb));	/* RAM is new: set up again */
	for (int i = 0; i < DEBUG_HASH; i++)
		INIT_LIST_HEAD(&debug_hash[i]);
	debug_on = true;
}
