/* SPDX-License-Identifier: MIT */
/*
 * Red-black tree rebalancing (see rbtree.h for the structure, invariants
 * and augmentation contract).
 *
 * 1. Insertion. The new node is red, so black heights hold and only "red
 *    node, red parent" can be wrong. Walking up from the new node:
 *      - red uncle: paint parent and uncle black, grandparent red, and
 *        continue from the grandparent (the fault moved two levels up);
 *      - black uncle: at most two rotations around the grandparent end it
 *        (first straighten a zig-zag, then lift the parent over the
 *        grandparent and swap their colours).
 *    Painting the root black ends the walk at the top. At most two
 *    rotations per insertion.
 *
 * 2. Removal. A node with two children is replaced by its in-order
 *    successor (leftmost of its right subtree, which has no left child); the
 *    successor takes the node's place and colour, so the structural hole is
 *    always at a node with at most one child. If the node that left that
 *    place was red, nothing is wrong; if it was black with a (necessarily
 *    red) child, painting the child black restores the count. Otherwise one
 *    side of the hole's parent is one black short ("double black") and the
 *    fixup walks up:
 *      - red sibling: rotate it over the parent so the sibling is black;
 *      - black sibling with black children: paint it red, which makes the
 *        parent's whole subtree one short; a red parent absorbs it by turning
 *        black, a black one passes the shortage up;
 *      - black sibling with a red child: one or two rotations around the
 *        parent end it.
 *    At most three rotations per removal.
 *
 * 3. Augmentation. Every rotation calls the rotate callback with the node
 *    that went down and the node that came up; removal calls copy when the
 *    successor moves into the removed node's place, and propagate from the
 *    lowest node whose subtree lost a member, before any rebalancing (the
 *    rotate callback trusts the values below it). The plain rb_insert_color
 *    and rb_erase use the same code with empty callbacks that the compiler
 *    inlines away.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "rbtree.h"

#define __rb_always_inline inline __attribute__((always_inline))

/* The tree height bound for any node count a pointer can express. */
#define RB_MAX_HEIGHT	(2 * 8 * (int)sizeof(void *))

static inline void rb_set_parent(struct rb_node *rb, struct rb_node *p)
{
	rb->__rb_parent_color = (uintptr_t)p | rb_color(rb);
}

static inline void rb_set_black(struct rb_node *rb)
{
	rb->__rb_parent_color |= RB_BLACK;
}

static inline void rb_set_red(struct rb_node *rb)
{
	rb->__rb_parent_color &= ~(unsigned long)RB_BLACK;
}

static inline void rb_set_color(struct rb_node *rb, unsigned long color)
{
	rb->__rb_parent_color = (rb->__rb_parent_color & ~1UL) | color;
}

static inline bool rb_red_node(const struct rb_node *rb)
{
	return rb && rb_is_red(rb);
}

/* Make whatever pointed at @old (its parent's link, or the root) point at @new. */
static inline void rb_change_child(struct rb_node *old, struct rb_node *new,
				   struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

typedef void (*rb_rotate_fn)(struct rb_node *old, struct rb_node *new);

/*
 * Lift @x's right child over @x. Both keep their colours; the caller
 * repaints them.
 */
static __rb_always_inline void rb_rotate_left(struct rb_node *x,
					      struct rb_root *root,
					      rb_rotate_fn rotate)
{
	struct rb_node *y = x->rb_right;
	struct rb_node *inner = y->rb_left;
	struct rb_node *p = rb_parent(x);

	x->rb_right = inner;
	if (inner)
		rb_set_parent(inner, x);
	y->rb_left = x;
	rb_set_parent(y, p);
	rb_set_parent(x, y);
	rb_change_child(x, y, p, root);
	rotate(x, y);
}

/* Lift @x's left child over @x. */
static __rb_always_inline void rb_rotate_right(struct rb_node *x,
					       struct rb_root *root,
					       rb_rotate_fn rotate)
{
	struct rb_node *y = x->rb_left;
	struct rb_node *inner = y->rb_right;
	struct rb_node *p = rb_parent(x);

	x->rb_left = inner;
	if (inner)
		rb_set_parent(inner, x);
	y->rb_right = x;
	rb_set_parent(y, p);
	rb_set_parent(x, y);
	rb_change_child(x, y, p, root);
	rotate(x, y);
}

static __rb_always_inline void __rb_insert(struct rb_node *node,
					   struct rb_root *root,
					   rb_rotate_fn rotate)
{
	struct rb_node *parent, *gparent, *uncle;

	for (;;) {
		/* @node is red here. */
		parent = rb_parent(node);
		if (!parent) {
			rb_set_black(node);
			return;
		}
		if (rb_is_black(parent))
			return;
		/* A red parent is not the root, so the grandparent exists. */
		gparent = rb_parent(parent);

		if (parent == gparent->rb_left) {
			uncle = gparent->rb_right;
			if (rb_red_node(uncle)) {
				rb_set_black(uncle);
				rb_set_black(parent);
				rb_set_red(gparent);
				node = gparent;
				continue;
			}
			if (node == parent->rb_right) {
				rb_rotate_left(parent, root, rotate);
				parent = node;
			}
			rb_rotate_right(gparent, root, rotate);
		} else {
			uncle = gparent->rb_left;
			if (rb_red_node(uncle)) {
				rb_set_black(uncle);
				rb_set_black(parent);
				rb_set_red(gparent);
				node = gparent;
				continue;
			}
			if (node == parent->rb_left) {
				rb_rotate_right(parent, root, rotate);
				parent = node;
			}
			rb_rotate_left(gparent, root, rotate);
		}
		rb_set_black(parent);
		rb_set_red(gparent);
		return;
	}
}

/*
 * The subtree on one side of @parent is one black short; @node is its root
 * (NULL at first, black after). The other side cannot be empty: it holds at
 * least one black node.
 */
static __rb_always_inline void rb_erase_color(struct rb_node *node,
					      struct rb_node *parent,
					      struct rb_root *root,
					      rb_rotate_fn rotate)
{
	struct rb_node *sibling;

	for (;;) {
		if (parent->rb_left == node) {
			sibling = parent->rb_right;
			if (rb_is_red(sibling)) {
				rb_rotate_left(parent, root, rotate);
				rb_set_black(sibling);
				rb_set_red(parent);
				sibling = parent->rb_right;
			}
			if (!rb_red_node(sibling->rb_left) &&
			    !rb_red_node(sibling->rb_right)) {
				rb_set_red(sibling);
				if (rb_is_red(parent)) {
					rb_set_black(parent);
					return;
				}
				node = parent;
				parent = rb_parent(node);
				if (!parent)
					return;
				continue;
			}
			if (!rb_red_node(sibling->rb_right)) {
				/*
				 * Red inner nephew: lift it over the sibling, so
				 * the old sibling (black) becomes the outer
				 * nephew. The step below sets both colours, so
				 * none are changed here.
				 */
				rb_rotate_right(sibling, root, rotate);
				sibling = parent->rb_right;
			}
			/* Lift the sibling over the parent; all paths even out. */
			rb_rotate_left(parent, root, rotate);
			rb_set_color(sibling, rb_color(parent));
			rb_set_black(parent);
			rb_set_black(sibling->rb_right);
			return;
		} else {
			sibling = parent->rb_left;
			if (rb_is_red(sibling)) {
				rb_rotate_right(parent, root, rotate);
				rb_set_black(sibling);
				rb_set_red(parent);
				sibling = parent->rb_left;
			}
			if (!rb_red_node(sibling->rb_left) &&
			    !rb_red_node(sibling->rb_right)) {
				rb_set_red(sibling);
				if (rb_is_red(parent)) {
					rb_set_black(parent);
					return;
				}
				node = parent;
				parent = rb_parent(node);
				if (!parent)
					return;
				continue;
			}
			if (!rb_red_node(sibling->rb_left)) {
				rb_rotate_left(sibling, root, rotate);
				sibling = parent->rb_left;
			}
			rb_rotate_right(parent, root, rotate);
			rb_set_color(sibling, rb_color(parent));
			rb_set_black(parent);
			rb_set_black(sibling->rb_left);
			return;
		}
	}
}

static __rb_always_inline void __rb_erase(struct rb_node *node,
					  struct rb_root *root,
					  const struct rb_augment_callbacks *aug)
{
	struct rb_node *child;	/* what fills the hole (may be NULL) */
	struct rb_node *parent;	/* the hole's parent */
	struct rb_node *lowest;	/* where the augmented values start to change */
	bool black_left;	/* a black node left the hole's place */

	if (node->rb_left && node->rb_right) {
		struct rb_node *succ = node->rb_right;

		while (succ->rb_left)
			succ = succ->rb_left;
		child = succ->rb_right;
		black_left = rb_is_black(succ);

		if (succ == node->rb_right) {
			parent = succ;
		} else {
			parent = rb_parent(succ);
			parent->rb_left = child;
			if (child)
				rb_set_parent(child, parent);
			succ->rb_right = node->rb_right;
			rb_set_parent(succ->rb_right, succ);
		}
		succ->rb_left = node->rb_left;
		rb_set_parent(succ->rb_left, succ);
		rb_change_child(node, succ, rb_parent(node), root);
		succ->__rb_parent_color = node->__rb_parent_color;

		aug->copy(node, succ);
		if (parent != succ)
			aug->propagate(parent, succ);
		lowest = succ;
	} else {
		child = node->rb_left ? node->rb_left : node->rb_right;
		parent = rb_parent(node);
		black_left = rb_is_black(node);
		rb_change_child(node, child, parent, root);
		if (child)
			rb_set_parent(child, parent);
		lowest = parent;
	}
	aug->propagate(lowest, NULL);

	if (!black_left)
		return;
	if (child)		/* red, by the black-height rule */
		rb_set_black(child);
	else if (parent)
		rb_erase_color(NULL, parent, root, aug->rotate);
}

static inline void rb_no_propagate(struct rb_node *node, struct rb_node *stop)
{
	(void)node;
	(void)stop;
}

static inline void rb_no_copy(struct rb_node *old, struct rb_node *new)
{
	(void)old;
	(void)new;
}

static inline void rb_no_rotate(struct rb_node *old, struct rb_node *new)
{
	(void)old;
	(void)new;
}

static const struct rb_augment_callbacks rb_no_augment = {
	.propagate = rb_no_propagate,
	.copy = rb_no_copy,
	.rotate = rb_no_rotate,
};

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	__rb_insert(node, root, rb_no_rotate);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	__rb_erase(node, root, &rb_no_augment);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment)
{
	__rb_insert(node, root, augment->rotate);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	__rb_erase(node, root, augment);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		return (struct rb_node *)node;
	}
	/* Climb while we come from the right: those ancestors are smaller. */
	while ((parent = rb_parent(node)) && node == parent->rb_right)
		node = parent;
	return parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *parent;

	if (RB_EMPTY_NODE(node))
		return NULL;
	if (node->rb_left) {
		node = node->rb_left;
		while (node->rb_right)
			node = node->rb_right;
		return (struct rb_node *)node;
	}
	while ((parent = rb_parent(node)) && node == parent->rb_left)
		node = parent;
	return parent;
}

/*
 * A depth-first walk with its own stack, so a corrupt tree cannot run it
 * off the C stack: a path longer than any valid tree can have (a cycle,
 * say) is itself a failure. Each entry is a node still to visit with the
 * black nodes counted above it.
 */
long rb_validate(const struct rb_root *root)
{
	struct {
		const struct rb_node *node;
		const struct rb_node *parent;
		int depth;
		int blacks;
	} stack[RB_MAX_HEIGHT + 2];
	int top = 0;
	int leaf_blacks = -1;
	long count = 0;

	if (root->rb_node && rb_is_red(root->rb_node))
		return -1;
	stack[top].node = root->rb_node;
	stack[top].parent = NULL;
	stack[top].depth = 0;
	stack[top].blacks = 0;
	top++;

	while (top > 0) {
		const struct rb_node *n, *p;
		int depth, blacks;

		top--;
		n = stack[top].node;
		p = stack[top].parent;
		depth = stack[top].depth;
		blacks = stack[top].blacks;

		if (!n) {
			/* An empty link: every path must count the same blacks. */
			if (leaf_blacks < 0)
				leaf_blacks = blacks;
			else if (blacks != leaf_blacks)
				return -1;
			continue;
		}
		if (depth > RB_MAX_HEIGHT)
			return -1;
		if (rb_parent(n) != p || (n->__rb_parent_color & 2))
			return -1;
		if (rb_is_red(n) &&
		    (rb_red_node(n->rb_left) || rb_red_node(n->rb_right)))
			return -1;
		count++;
		blacks += rb_is_black(n);

		/* Right first, so the left subtree is walked next. */
		stack[top].node = n->rb_right;
		stack[top].parent = n;
		stack[top].depth = depth + 1;
		stack[top].blacks = blacks;
		top++;
		stack[top].node = n->rb_left;
		stack[top].parent = n;
		stack[top].depth = depth + 1;
		stack[top].blacks = blacks;
		top++;
	}
	return count;
}
