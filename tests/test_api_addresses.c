// SPDX-License-Identifier: MIT
/*
 * API.md: Linux names may be macros onto prefixed symbols "as long as
 * taking a function's address works". Take the address of every name that
 * is a function in Linux, and call through the pointers.
 */
#include <mmkit/linux.h>
#include "harness.h"

int main(void)
{
	struct page *(*ap)(gfp_t, unsigned int) = &alloc_pages;
	void (*fp)(struct page *, unsigned int) = &__free_pages;
	unsigned long (*gfp_)(gfp_t, unsigned int) = &__get_free_pages;
	void (*frp)(unsigned long, unsigned int) = &free_pages;
	void *(*pa)(const struct page *) = &page_address;
	phys_addr_t (*v2p)(const void *) = &virt_to_phys;
	void *(*km)(size_t, gfp_t) = &kmalloc;
	void *(*kz)(size_t, gfp_t) = &kzalloc;
	void *(*kc)(size_t, size_t, gfp_t) = &kcalloc;
	void *(*kr)(const void *, size_t, gfp_t) = &krealloc;
	void (*kf)(const void *) = &kfree;
	size_t (*ks)(const void *) = &ksize;
	struct kmem_cache *(*kcc)(const char *, unsigned int, unsigned int, slab_flags_t,
				  void (*)(void *)) = &kmem_cache_create;
	void *(*kca)(struct kmem_cache *, gfp_t) = &kmem_cache_alloc;
	void (*kcf)(struct kmem_cache *, void *) = &kmem_cache_free;
	void (*kcd)(struct kmem_cache *) = &kmem_cache_destroy;
	struct page *page;
	struct kmem_cache *c;
	unsigned long addr;
	void *p;

	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	page = ap(GFP_KERNEL, 2);
	REQUIRE(page, "alloc_pages through a pointer");
	CHECK(v2p(pa(page)) == page_to_phys(page), "page_address and virt_to_phys agree");
	fp(page, 2);
	addr = gfp_(GFP_KERNEL, 0);
	CHECK(addr, "__get_free_pages through a pointer");
	frp(addr, 0);
	p = km(100, GFP_KERNEL);
	CHECK(p && ks(p) == 128, "kmalloc and ksize through pointers");
	p = kr(p, 300, GFP_KERNEL);
	CHECK(p && ks(p) == 512, "krealloc through a pointer");
	kf(p);
	p = kz(64, GFP_KERNEL);
	CHECK(p && !((char *)p)[63], "kzalloc through a pointer");
	kf(p);
	p = kc(4, 16, GFP_KERNEL);
	CHECK(p && ks(p) == 64, "kcalloc through a pointer");
	kf(p);
	c = kcc("ptr_cache", 40, 0, 0, NULL);
	REQUIRE(c, "kmem_cache_create through a pointer");
	p = kca(c, GFP_KERNEL);
	CHECK(p != NULL, "kmem_cache_alloc through a pointer");
	kcf(c, p);
	kcd(c);
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();
	harness_exit();
}
