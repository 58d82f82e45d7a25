/* SPDX-License-Identifier: MIT */
/*
 * GFP ("get free pages") flags, with Linux's bit values, so that a mode
 * printed as 0xcc0 means GFP_KERNEL here as it does in a kernel log.
 *
 * The flags say three things about an allocation: where its memory may come
 * from (zone modifiers), how mobile it will be (placement hints, which decide
 * the migrate type and so the pageblock it lands in), and what the allocator
 * may do when memory is short (watermark and reclaim modifiers: may it dip
 * into reserves, may it sleep to reclaim, may it fail).
 */
#ifndef MMKIT_GFP_TYPES_H
#define MMKIT_GFP_TYPES_H

typedef unsigned int gfp_t;

/* Zone modifiers: which physical range may serve the request. */
#define __GFP_DMA		0x01u	/* ZONE_DMA: the first dma_zone= bytes */
#define __GFP_HIGHMEM		0x02u	/* no highmem here: same as Normal */
#define __GFP_DMA32		0x04u	/* no DMA32 zone here: same as Normal */
#define __GFP_MOVABLE		0x08u	/* page can be migrated or reclaimed */
#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)

/* Placement hints. */
#define __GFP_RECLAIMABLE	0x10u	/* freeable by a shrinker */
#define __GFP_WRITE		0x1000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u
#define __GFP_ACCOUNT		0x400000u

/* Watermark modifiers: access to the emergency reserves. */
#define __GFP_HIGH		0x20u	/* may dip below the min watermark */
#define __GFP_MEMALLOC		0x20000u	/* may use all memory */
#define __GFP_NOMEMALLOC	0x80000u	/* never use the reserves */

/* Reclaim modifiers: what happens when memory is short. */
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_DIRECT_RECLAIM	0x400u	/* caller may sleep to reclaim */
#define __GFP_KSWAPD_RECLAIM	0x800u	/* wake kswapd at the low mark */
#define __GFP_RECLAIM		(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_RETRY_MAYFAIL	0x4000u	/* retry hard, then fail */
#define __GFP_NOFAIL		0x8000u	/* never fail: retry forever */
#define __GFP_NORETRY		0x10000u	/* one light attempt, then fail */

/* Action modifiers. */
#define __GFP_ZERO		0x100u	/* return zeroed memory */
#define __GFP_NOWARN		0x2000u	/* no allocation-failure report */
#define __GFP_COMP		0x40000u	/* compound page: head + tails */
#define __GFP_ZEROTAGS		0x800000u
#define __GFP_SKIP_ZERO		0u
#define __GFP_SKIP_KASAN	0u
#define __GFP_NOLOCKDEP		0u

#define __GFP_BITS_SHIFT	26
#define __GFP_BITS_MASK		((gfp_t)((1u << __GFP_BITS_SHIFT) - 1))

/* The combinations callers start from. */
#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_NOFS	(__GFP_RECLAIM | __GFP_IO)
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN)
#define GFP_TRANSHUGE_LIGHT ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | \
			      __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE	(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

#endif
