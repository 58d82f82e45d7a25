/* SPDX-License-Identifier: MIT */
/*
 * Red-black trees with the kernel's <linux/rbtree.h> interface, and its
 * augmented variant (<linux/rbtree_augmented.h>) in the same header.
 *
 * 1. The tree is intrusive. A struct rb_node lives inside the caller's
 *    object; the library never allocates and never compares keys. To insert,
 *    the caller walks down from root->rb_node with its own comparison, stops
 *    at the empty link where the key belongs, then calls rb_link_node() and
 *    rb_insert_color() to recolour and rotate. To find, it walks the same way.
 *
 * 2. Each node holds its parent pointer and its colour in one word,
 *    __rb_parent_color: nodes are aligned to a long, so bit 0 is free and
 *    holds the colour (0 red, 1 black). A freshly linked node is therefore
 *    red. A node whose parent word points at itself is on no tree
 *    (RB_CLEAR_NODE, RB_EMPTY_NODE).
 *
 * 3. The invariants: the root is black; a red node has no red child; every
 *    path from a node down to an empty link crosses the same number of black
 *    nodes. Hence the longest path is at most twice the shortest, and the
 *    height of a tree of n nodes is at most 2*log2(n+1). rb_validate() checks
 *    them, and the parent links, for mmk_check().
 *
 * 4. Augmentation. A node may carry a value computed from its subtree (the
 *    vmalloc free tree keeps the largest free size found below each node,
 *    so that the lowest fitting area is found in O(log n)). Three callbacks
 *    keep that value right while the tree changes shape:
 *      propagate(node, stop)  recompute from node up to, not including, stop;
 *      copy(old, new)         new takes old's place: it inherits old's value;
 *      rotate(old, new)       new rose over old: new inherits old's value (the
 *                             subtree is the same set), old is recomputed.
 *    For insertion the caller sets the value on the path from the root to the
 *    new node (they all gain it) before rb_insert_augmented(); for removal
 *    rb_erase_augmented() does everything. RB_DECLARE_CALLBACKS_MAX() writes
 *    the three callbacks for "the maximum of f(node) over the subtree".
 *
 * Nothing here locks: the caller serialises changes to one tree.
 */
#ifndef MMK_LIB_RBTREE_H
#define MMK_LIB_RBTREE_H

#include <stddef.h>
#include <stdbool.h>

#pragma GCC visibility push(hidden)

struct rb_node {
	unsigned long __rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(sizeof(long))));

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_RED		0
#define RB_BLACK	1

#define RB_ROOT (struct rb_root) { NULL }

/* Bits 0 and 1 of the parent word are not address bits (as in Linux). */
#define rb_parent(r)	((struct rb_node *)((r)->__rb_parent_color & ~3UL))
#define rb_color(r)	((r)->__rb_parent_color & 1)
#define rb_is_red(r)	(rb_color(r) == RB_RED)
#define rb_is_black(r)	(rb_color(r) == RB_BLACK)

#define rb_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define rb_entry_safe(ptr, type, member) ({				\
	__typeof__(ptr) __rb_ptr = (ptr);				\
	__rb_ptr ? rb_entry(__rb_ptr, type, member) : NULL;		\
})

#define RB_EMPTY_ROOT(root)	((root)->rb_node == NULL)

/* A node on no tree points at itself. */
#define RB_EMPTY_NODE(node) \
	((node)->__rb_parent_color == (unsigned long)(node))
#define RB_CLEAR_NODE(node) \
	((node)->__rb_parent_color = (unsigned long)(node))

/* Hang @node, red and childless, on the empty link @rb_link below @parent. */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **rb_link)
{
	node->__rb_parent_color = (unsigned long)parent;
	node->rb_left = NULL;
	node->rb_right = NULL;
	*rb_link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);

/* In-order walk: NULL past either end, and for a node on no tree. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Number of nodes if @root is a valid red-black tree, else -1. */
long rb_validate(const struct rb_root *root);

/* ---- Augmented trees ------------------------------------------------- */

struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	void (*copy)(struct rb_node *old, struct rb_node *new);
	void (*rotate)(struct rb_node *old, struct rb_node *new);
};

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment);
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment);

/*
 * Callbacks for a value kept by rbcompute(node, stop_if_same), which sets
 * node->rbaugmented from the node and its children's values and returns
 * true only when stop_if_same is set and the value did not change: then no
 * ancestor can change either, and propagation ends early.
 */
#define RB_DECLARE_CALLBACKS(rbstatic, rbname, rbstruct, rbfield,	\
			     rbaugmented, rbcompute)			\
static void rbname ## _propagate(struct rb_node *rb,			\
				 struct rb_node *stop)			\
{									\
	for (; rb != stop; rb = rb_parent(rb)) {			\
		if (rbcompute(rb_entry(rb, rbstruct, rbfield), true))	\
			break;						\
	}								\
}									\
static void rbname ## _copy(struct rb_node *rb_old,			\
			    struct rb_node *rb_new)			\
{									\
	rb_entry(rb_new, rbstruct, rbfield)->rbaugmented =		\
		rb_entry(rb_old, rbstruct, rbfield)->rbaugmented;	\
}									\
static void rbname ## _rotate(struct rb_node *rb_old,			\
			      struct rb_node *rb_new)			\
{									\
	rbstruct *__old = rb_entry(rb_old, rbstruct, rbfield);		\
									\
	rb_entry(rb_new, rbstruct, rbfield)->rbaugmented =		\
		__old->rbaugmented;					\
	rbcompute(__old, false);					\
}									\
rbstatic const struct rb_augment_callbacks rbname = {			\
	.propagate = rbname ## _propagate,				\
	.copy = rbname ## _copy,					\
	.rotate = rbname ## _rotate,					\
}

/*
 * node->rbaugmented = the largest rbcompute(n) over n in node's subtree,
 * where rbcompute(rbstruct *) returns an rbtype.
 */
#define RB_DECLARE_CALLBACKS_MAX(rbstatic, rbname, rbstruct, rbfield,	\
				 rbtype, rbaugmented, rbcompute)	\
static inline bool rbname ## _compute_max(rbstruct *node,		\
					  bool stop_if_same)		\
{									\
	rbtype __max = rbcompute(node);					\
	rbstruct *__child;						\
									\
	if (node->rbfield.rb_left) {					\
		__child = rb_entry(node->rbfield.rb_left,		\
				   rbstruct, rbfield);			\
		if (__child->rbaugmented > __max)			\
			__max = __child->rbaugmented;			\
	}								\
	if (node->rbfield.rb_right) {					\
		__child = rb_entry(node->rbfield.rb_right,		\
				   rbstruct, rbfield);			\
		if (__child->rbaugmented > __max)			\
			__max = __child->rbaugmented;			\
	}								\
	if (stop_if_same && node->rbaugmented == __max)			\
		return true;						\
	node->rbaugmented = __max;					\
	return false;							\
}									\
RB_DECLARE_CALLBACKS(rbstatic, rbname, rbstruct, rbfield,		\
		     rbaugmented, rbname ## _compute_max)

#pragma GCC visibility pop

#endif
