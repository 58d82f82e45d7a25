// SPDX-License-Identifier: MIT
/*
 * The red-black tree library (src/lib/rbtree.c), built into this program
 * directly since the library exports only mmk_* names:
 *  - edge cases: empty tree, one node, RB_CLEAR_NODE/RB_EMPTY_NODE,
 *    rb_entry_safe, ascending and descending fills, erasing the root and
 *    nodes with two children until the tree is empty;
 *  - rb_validate() itself: it accepts valid hand-built trees and rejects a
 *    red root, a red child of a red node, unequal black heights, a wrong
 *    parent pointer, a cycle and an over-deep chain;
 *  - a random insert/erase run against a reference set, with rb_validate()
 *    and forward/backward walks checked after every operation at first and
 *    periodically after, and the height bound 2*log2(n+1);
 *  - an augmented tree (RB_DECLARE_CALLBACKS_MAX) under random inserts,
 *    erases and in-place size changes, with every node's subtree maximum
 *    recomputed and compared, and lowest-fit queries answered through the
 *    maxima compared with a linear scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/rbtree.h"
#include "../src/lib/rbtree.c"
#include "harness.h"

#define KEYSPACE	(1UL << 16)
#define MAX_LIVE	20000
#define PLAIN_OPS	200000
#define AUG_OPS		100000
#define EVERY_OP_UNTIL	4000

/* ---- A reference set of keys in [0, KEYSPACE) ---------------------- */

struct ref {
	long pos[KEYSPACE];		/* index in keys[], or -1 */
	unsigned long keys[KEYSPACE];	/* the live keys, unordered */
	long nr;
};

static void ref_init(struct ref *r)
{
	for (unsigned long k = 0; k < KEYSPACE; k++)
		r->pos[k] = -1;
	r->nr = 0;
}

static bool ref_has(const struct ref *r, unsigned long key)
{
	return r->pos[key] >= 0;
}

static void ref_add(struct ref *r, unsigned long key)
{
	r->pos[key] = r->nr;
	r->keys[r->nr++] = key;
}

static void ref_del(struct ref *r, unsigned long key)
{
	long i = r->pos[key];
	unsigned long last = r->keys[--r->nr];

	r->keys[i] = last;
	r->pos[last] = i;
	r->pos[key] = -1;
}

static unsigned long ref_random_absent(const struct ref *r)
{
	unsigned long key;

	do
		key = test_rand() % KEYSPACE;
	while (ref_has(r, key));
	return key;
}

/* Grow towards a random size, shrink towards a smaller one, repeat. */
struct phase {
	bool growing;
	long goal;
};

static bool phase_insert(struct phase *ph, long nr)
{
	if (ph->growing && nr >= ph->goal) {
		ph->growing = false;
		ph->goal = (long)(test_rand() % (unsigned long)(nr + 1));
	} else if (!ph->growing && nr <= ph->goal) {
		ph->growing = true;
		ph->goal = nr + 1 + (long)(test_rand() % MAX_LIVE);
		if (ph->goal > MAX_LIVE)
			ph->goal = MAX_LIVE;
	}
	if (nr == 0)
		return true;
	if (nr >= MAX_LIVE)
		return false;
	/* Three to one in the phase's direction, so both kinds mix. */
	return (test_rand() % 4 != 0) == ph->growing;
}

/* ---- A plain tree keyed by an unsigned long ------------------------ */

struct item {
	struct rb_node rb;
	unsigned long key;
};

static void item_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (it->key < rb_entry(parent, struct item, rb)->key)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
}

static struct item *item_find(const struct rb_root *root, unsigned long key)
{
	struct rb_node *n = root->rb_node;

	while (n) {
		struct item *it = rb_entry(n, struct item, rb);

		if (key < it->key)
			n = n->rb_left;
		else if (key > it->key)
			n = n->rb_right;
		else
			return it;
	}
	return NULL;
}

static int tree_height(const struct rb_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = tree_height(n->rb_left);
	r = tree_height(n->rb_right);
	return 1 + (l > r ? l : r);
}

/*
 * The in-order walk both ways: strictly increasing keys, every one in the
 * reference, as many as the reference holds. Returns false on a mismatch.
 */
static bool check_walks(const struct rb_root *root, const struct ref *r,
			const char *when, long op)
{
	struct rb_node *n;
	long count = 0;
	bool first = true;
	unsigned long prev = 0;

	for (n = rb_first(root); n && count <= r->nr; n = rb_next(n), count++) {
		unsigned long key = rb_entry(n, struct item, rb)->key;

		if ((!first && key <= prev) || key >= KEYSPACE || !ref_has(r, key)) {
			CHECK(0, "%s op %ld: forward walk key %lu after %lu", when, op, key, prev);
			return false;
		}
		prev = key;
		first = false;
	}
	if (count != r->nr) {
		CHECK(0, "%s op %ld: forward walk saw %ld of %ld", when, op, count, r->nr);
		return false;
	}
	count = 0;
	first = true;
	for (n = rb_last(root); n && count <= r->nr; n = rb_prev(n), count++) {
		unsigned long key = rb_entry(n, struct item, rb)->key;

		if ((!first && key >= prev) || !ref_has(r, key)) {
			CHECK(0, "%s op %ld: backward walk key %lu after %lu", when, op, key, prev);
			return false;
		}
		prev = key;
		first = false;
	}
	if (count != r->nr) {
		CHECK(0, "%s op %ld: backward walk saw %ld of %ld", when, op, count, r->nr);
		return false;
	}
	return true;
}

/* ---- Edge cases ----------------------------------------------------- */

static void test_empty_and_single(void)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 7 };

	CHECK(RB_EMPTY_ROOT(&root), "RB_ROOT is empty");
	CHECK(rb_first(&root) == NULL && rb_last(&root) == NULL, "no first/last in an empty tree");
	CHECK(rb_validate(&root) == 0, "empty tree validates with 0 nodes");
	CHECK(rb_entry_safe(rb_first(&root), struct item, rb) == NULL, "rb_entry_safe(NULL)");

	RB_CLEAR_NODE(&it.rb);
	CHECK(RB_EMPTY_NODE(&it.rb), "a cleared node is on no tree");
	CHECK(rb_next(&it.rb) == NULL && rb_prev(&it.rb) == NULL,
	      "a node on no tree has no neighbours");

	item_insert(&root, &it);
	CHECK(!RB_EMPTY_ROOT(&root), "one node: not empty");
	CHECK(!RB_EMPTY_NODE(&it.rb), "a linked node is on a tree");
	CHECK(rb_is_black(&it.rb) && rb_parent(&it.rb) == NULL, "a lone root is black, parentless");
	CHECK(rb_validate(&root) == 1, "one node validates");
	CHECK(rb_first(&root) == &it.rb && rb_last(&root) == &it.rb, "first == last == the node");
	CHECK(rb_next(&it.rb) == NULL && rb_prev(&it.rb) == NULL, "no neighbours");
	CHECK(rb_entry_safe(rb_first(&root), struct item, rb) == &it, "rb_entry_safe(node)");
	CHECK(item_find(&root, 7) == &it, "found");

	rb_erase(&it.rb, &root);
	CHECK(RB_EMPTY_ROOT(&root), "erasing the only node empties the tree");
	CHECK(rb_validate(&root) == 0, "and it validates");
}

#define FILL_N 1000

/* Fill in order (the rotation-heavy pattern), then erase the root until empty. */
static void test_fill_and_erase_root(bool ascending)
{
	static struct item items[FILL_N];
	struct rb_root root = RB_ROOT;
	long n;

	for (n = 0; n < FILL_N; n++) {
		items[n].key = ascending ? (unsigned long)n : (unsigned long)(FILL_N - 1 - n);
		item_insert(&root, &items[n]);
		if (rb_validate(&root) != n + 1) {
			CHECK(0, "%s fill: invalid after %ld inserts",
			      ascending ? "ascending" : "descending", n + 1);
			return;
		}
	}
	CHECK(tree_height(root.rb_node) <= 2 * 10, "height %d of %d nodes <= 2*log2(n+1)",
	      tree_height(root.rb_node), FILL_N);
	n = 0;
	for (struct rb_node *rb = rb_first(&root); rb && n <= FILL_N; rb = rb_next(rb), n++)
		CHECK(rb_entry(rb, struct item, rb)->key == (unsigned long)n, "in order at %ld", n);
	CHECK(n == FILL_N, "walk saw %ld", n);

	for (n = FILL_N; n > 0; n--) {
		struct rb_node *top = root.rb_node;
		unsigned long key = rb_entry(top, struct item, rb)->key;

		rb_erase(top, &root);
		if (rb_validate(&root) != n - 1 || item_find(&root, key)) {
			CHECK(0, "erasing the root: invalid with %ld left", n - 1);
			return;
		}
	}
	CHECK(RB_EMPTY_ROOT(&root), "erasing the root repeatedly empties the tree");
}

/* Erase nodes with two children while there are any, then the rest. */
static void test_erase_two_children(void)
{
	static struct item items[FILL_N];
	struct rb_root root = RB_ROOT;
	long left = FILL_N, two = 0;

	for (long n = 0; n < FILL_N; n++) {
		/* A fixed shuffle: 389 is prime to FILL_N. */
		items[n].key = (unsigned long)((n * 389) % FILL_N);
		item_insert(&root, &items[n]);
	}
	REQUIRE(rb_validate(&root) == FILL_N, "shuffled fill validates");

	for (;;) {
		struct rb_node *rb;
		long seen = 0;

		for (rb = rb_first(&root); rb && seen <= FILL_N; rb = rb_next(rb), seen++)
			if (rb->rb_left && rb->rb_right)
				break;
		REQUIRE(seen <= FILL_N, "the walk ends");
		if (!rb)
			break;
		/* Pick the one with the deepest successor now and then: the root. */
		if (two % 3 == 0 && root.rb_node->rb_left && root.rb_node->rb_right)
			rb = root.rb_node;
		rb_erase(rb, &root);
		left--;
		two++;
		if (rb_validate(&root) != left) {
			CHECK(0, "invalid after erasing a two-child node, %ld left", left);
			return;
		}
	}
	CHECK(two > FILL_N / 4, "%ld two-child erases", two);
	while (!RB_EMPTY_ROOT(&root)) {
		rb_erase(rb_last(&root), &root);
		left--;
		if (rb_validate(&root) != left) {
			CHECK(0, "invalid erasing the last, %ld left", left);
			return;
		}
	}
	CHECK(left == 0, "emptied");
}

/* ---- The checker rejects broken trees ------------------------------- */

static void set_node(struct rb_node *n, struct rb_node *parent, int color,
		     struct rb_node *left, struct rb_node *right)
{
	n->__rb_parent_color = (unsigned long)parent | (unsigned long)color;
	n->rb_left = left;
	n->rb_right = right;
}

static void test_validate_hand_built(void)
{
	struct rb_node a, b, c;
	struct rb_root root = { &a };
	static struct rb_node chain[200];

	/* Black root, two red children: valid. */
	set_node(&a, NULL, RB_BLACK, &b, &c);
	set_node(&b, &a, RB_RED, NULL, NULL);
	set_node(&c, &a, RB_RED, NULL, NULL);
	CHECK(rb_validate(&root) == 3, "black root, red children: valid");

	/* All black: valid too. */
	set_node(&b, &a, RB_BLACK, NULL, NULL);
	set_node(&c, &a, RB_BLACK, NULL, NULL);
	CHECK(rb_validate(&root) == 3, "three blacks: valid");

	/* A red root. */
	set_node(&a, NULL, RB_RED, &b, &c);
	CHECK(rb_validate(&root) == -1, "red root rejected");

	/* Red under red, black heights equal (1 on every path). */
	set_node(&a, NULL, RB_BLACK, &b, NULL);
	set_node(&b, &a, RB_RED, &c, NULL);
	set_node(&c, &b, RB_RED, NULL, NULL);
	CHECK(rb_validate(&root) == -1, "red child of a red node rejected");

	/* Black heights 2 on the left, 1 on the right. */
	set_node(&a, NULL, RB_BLACK, &b, NULL);
	set_node(&b, &a, RB_BLACK, NULL, NULL);
	CHECK(rb_validate(&root) == -1, "unequal black heights rejected");

	/* A child whose parent pointer points elsewhere. */
	set_node(&a, NULL, RB_BLACK, &b, &c);
	set_node(&b, &a, RB_RED, NULL, NULL);
	set_node(&c, &b, RB_RED, NULL, NULL);
	CHECK(rb_validate(&root) == -1, "wrong parent pointer rejected");

	/* A root with a parent. */
	set_node(&c, &a, RB_RED, NULL, NULL);
	set_node(&a, &c, RB_BLACK, &b, &c);
	CHECK(rb_validate(&root) == -1, "root with a parent rejected");

	/* A cycle back to the root. */
	set_node(&a, NULL, RB_BLACK, &b, &c);
	set_node(&c, &a, RB_RED, NULL, &a);
	CHECK(rb_validate(&root) == -1, "cycle rejected");

	/*
	 * A left chain longer than any valid tree, black and red in turn with
	 * consistent parents: only the height bound can reject it, and the
	 * checker's own stack must survive it (ASan build).
	 */
	for (int i = 0; i < 200; i++)
		set_node(&chain[i], i ? &chain[i - 1] : NULL, i % 2 ? RB_RED : RB_BLACK,
			 i < 199 ? &chain[i + 1] : NULL, NULL);
	root.rb_node = &chain[0];
	CHECK(rb_validate(&root) == -1, "over-deep chain rejected");
}

#define BREAK_N 100

static struct rb_node *find_node(struct rb_root *root, bool (*pred)(struct rb_node *))
{
	long seen = 0;

	for (struct rb_node *rb = rb_first(root); rb && seen <= BREAK_N; rb = rb_next(rb), seen++)
		if (pred(rb))
			return rb;
	return NULL;
}

static bool is_red_nonroot(struct rb_node *rb)
{
	return rb_is_red(rb);
}

static bool is_deep_leaf(struct rb_node *rb)
{
	return !rb->rb_left && !rb->rb_right && rb_parent(rb) && rb_parent(rb_parent(rb));
}

static bool has_black_child(struct rb_node *rb)
{
	return rb_is_red(rb) && ((rb->rb_left && rb_is_black(rb->rb_left)) ||
				 (rb->rb_right && rb_is_black(rb->rb_right)));
}

/* Break a real tree one way at a time; restore it; it validates again. */
static void test_validate_broken_tree(void)
{
	static struct item items[BREAK_N];
	struct rb_root root = RB_ROOT;
	struct rb_node *rb, *child;
	unsigned long saved;

	for (long n = 0; n < BREAK_N; n++) {
		items[n].key = (unsigned long)n;
		item_insert(&root, &items[n]);
	}
	REQUIRE(rb_validate(&root) == BREAK_N, "intact tree validates");

	rb = root.rb_node;
	rb->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == -1, "flipped root colour rejected");
	rb->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == BREAK_N, "restored");

	rb = find_node(&root, is_red_nonroot);
	REQUIRE(rb, "an ascending fill leaves red nodes");
	rb->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == -1, "a red node painted black rejected");
	rb->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == BREAK_N, "restored");

	rb = find_node(&root, has_black_child);
	REQUIRE(rb, "a red node with a black child");
	child = rb->rb_left && rb_is_black(rb->rb_left) ? rb->rb_left : rb->rb_right;
	child->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == -1, "a black child of a red node painted red rejected");
	child->__rb_parent_color ^= 1;
	CHECK(rb_validate(&root) == BREAK_N, "restored");

	rb = find_node(&root, is_deep_leaf);
	REQUIRE(rb, "a leaf below depth 1");
	saved = rb->__rb_parent_color;
	rb->__rb_parent_color = (unsigned long)root.rb_node | rb_color(rb);
	CHECK(rb_validate(&root) == -1, "a leaf pointing at the root as parent rejected");
	rb->__rb_parent_color = saved;
	CHECK(rb_validate(&root) == BREAK_N, "restored");

	rb->rb_left = root.rb_node;
	CHECK(rb_validate(&root) == -1, "a leaf linking back to the root rejected");
	rb->rb_left = NULL;
	CHECK(rb_validate(&root) == BREAK_N, "restored");
}

/* ---- Random operations on a plain tree ------------------------------ */

static struct item plain_items[KEYSPACE];
static struct ref plain_ref;

static void test_random_plain(void)
{
	struct rb_root root = RB_ROOT;
	struct ref *r = &plain_ref;
	struct phase ph = { .growing = true, .goal = MAX_LIVE };
	long peak = 0;

	ref_init(r);
	for (unsigned long k = 0; k < KEYSPACE; k++) {
		plain_items[k].key = k;
		RB_CLEAR_NODE(&plain_items[k].rb);
	}

	for (long op = 0; op < PLAIN_OPS; op++) {
		unsigned long key;

		if (phase_insert(&ph, r->nr)) {
			key = ref_random_absent(r);
			item_insert(&root, &plain_items[key]);
			ref_add(r, key);
			if (item_find(&root, key) != &plain_items[key]) {
				CHECK(0, "op %ld: inserted key %lu not found", op, key);
				break;
			}
		} else {
			key = r->keys[test_rand() % (unsigned long)r->nr];
			rb_erase(&plain_items[key].rb, &root);
			RB_CLEAR_NODE(&plain_items[key].rb);
			ref_del(r, key);
			if (item_find(&root, key) || !RB_EMPTY_NODE(&plain_items[key].rb)) {
				CHECK(0, "op %ld: erased key %lu still found", op, key);
				break;
			}
		}
		if (r->nr > peak)
			peak = r->nr;

		if (op < EVERY_OP_UNTIL || op % 1000 == 0) {
			long got = rb_validate(&root);

			if (got != r->nr) {
				CHECK(0, "op %ld: rb_validate %ld, reference holds %ld",
				      op, got, r->nr);
				break;
			}
			if (!check_walks(&root, r, "plain", op))
				break;
		}
		if (op % 10000 == 0) {
			int h = tree_height(root.rb_node), bound = 0;

			while ((1L << bound) < r->nr + 1)
				bound++;	/* ceil(log2(n+1)) */
			if (h > 2 * bound) {
				CHECK(0, "op %ld: height %d of %ld nodes > 2*log2(n+1)",
				      op, h, r->nr);
				break;
			}
		}
	}
	CHECK(peak >= MAX_LIVE / 2, "the random run reached %ld live keys", peak);
	CHECK(rb_validate(&root) == r->nr, "valid at the end");
	check_walks(&root, r, "plain end", PLAIN_OPS);

	/* Empty it in random order. */
	while (r->nr) {
		unsigned long key = r->keys[test_rand() % (unsigned long)r->nr];

		rb_erase(&plain_items[key].rb, &root);
		ref_del(r, key);
		if (r->nr % 97 == 0 && rb_validate(&root) != r->nr) {
			CHECK(0, "invalid while emptying, %ld left", r->nr);
			return;
		}
	}
	CHECK(RB_EMPTY_ROOT(&root), "emptied by random erases");
}

/* ---- An augmented tree: largest size in each subtree ---------------- */

struct area {
	struct rb_node rb;
	unsigned long start;
	unsigned long size;
	unsigned long subtree_max;
};

static inline unsigned long area_size(const struct area *a)
{
	return a->size;
}

RB_DECLARE_CALLBACKS_MAX(static, area_cb, struct area, rb, unsigned long,
			 subtree_max, area_size);

static struct area areas[KEYSPACE];
static struct ref area_ref;

static unsigned long random_size(void)
{
	unsigned long r = test_rand();

	/* Small sizes repeat (ties), large ones spread out. */
	return r % 2 ? 1 + (r >> 8) % 64 : 1 + (r >> 8) % (1UL << 24);
}

/* As the vmalloc free tree: raise the maxima on the way down, then link. */
static void area_insert(struct rb_root *root, struct area *new)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct area *a = rb_entry(*link, struct area, rb);

		parent = *link;
		if (a->subtree_max < new->size)
			a->subtree_max = new->size;
		link = new->start < a->start ? &parent->rb_left : &parent->rb_right;
	}
	new->subtree_max = new->size;
	rb_link_node(&new->rb, parent, link);
	rb_insert_augmented(&new->rb, root, &area_cb);
}

/* Recompute every subtree maximum from scratch; count nodes that differ. */
static unsigned long check_max(const struct rb_node *rb, long *bad)
{
	const struct area *a;
	unsigned long max, m;

	if (!rb)
		return 0;
	a = rb_entry(rb, struct area, rb);
	max = a->size;
	m = check_max(rb->rb_left, bad);
	if (m > max)
		max = m;
	m = check_max(rb->rb_right, bad);
	if (m > max)
		max = m;
	if (a->subtree_max != max)
		(*bad)++;
	return max;
}

/* The lowest-addressed area of at least @want, found through the maxima. */
static struct area *lowest_fit(const struct rb_root *root, unsigned long want)
{
	struct rb_node *rb = root->rb_node;

	while (rb) {
		struct area *a = rb_entry(rb, struct area, rb);

		if (rb->rb_left &&
		    rb_entry(rb->rb_left, struct area, rb)->subtree_max >= want)
			rb = rb->rb_left;
		else if (a->size >= want)
			return a;
		else if (rb->rb_right &&
			 rb_entry(rb->rb_right, struct area, rb)->subtree_max >= want)
			rb = rb->rb_right;
		else
			return NULL;
	}
	return NULL;
}

/* The same by walking every area in order. */
static struct area *lowest_fit_scan(const struct rb_root *root, unsigned long want)
{
	long seen = 0;

	for (struct rb_node *rb = rb_first(root); rb && seen <= (long)KEYSPACE;
	     rb = rb_next(rb), seen++) {
		struct area *a = rb_entry(rb, struct area, rb);

		if (a->size >= want)
			return a;
	}
	return NULL;
}

static bool check_augmented(const struct rb_root *root, const struct ref *r, long op)
{
	long got = rb_validate(root), bad = 0, count = 0;
	unsigned long prev = 0;

	if (got != r->nr) {
		CHECK(0, "augmented op %ld: rb_validate %ld, reference holds %ld", op, got, r->nr);
		return false;
	}
	for (struct rb_node *rb = rb_first(root); rb && count <= r->nr; rb = rb_next(rb), count++) {
		unsigned long start = rb_entry(rb, struct area, rb)->start;

		if ((count && start <= prev) || !ref_has(r, start)) {
			CHECK(0, "augmented op %ld: walk start %lu after %lu", op, start, prev);
			return false;
		}
		prev = start;
	}
	if (count != r->nr) {
		CHECK(0, "augmented op %ld: walk saw %ld of %ld", op, count, r->nr);
		return false;
	}
	check_max(root->rb_node, &bad);
	if (bad) {
		CHECK(0, "augmented op %ld: %ld nodes with a wrong subtree_max", op, bad);
		return false;
	}
	return true;
}

static void test_random_augmented(void)
{
	struct rb_root root = RB_ROOT;
	struct ref *r = &area_ref;
	struct phase ph = { .growing = true, .goal = MAX_LIVE };
	long queries = 0, hits = 0, resizes = 0;

	ref_init(r);
	for (unsigned long k = 0; k < KEYSPACE; k++)
		areas[k].start = k;

	for (long op = 0; op < AUG_OPS; op++) {
		unsigned long key, choice = test_rand() % 8;

		if (r->nr && choice == 0) {
			/* Change a size in place, as vmalloc trims a free area. */
			struct area *a = &areas[r->keys[test_rand() % (unsigned long)r->nr]];

			a->size = random_size();
			area_cb.propagate(&a->rb, NULL);
			resizes++;
		} else if (phase_insert(&ph, r->nr)) {
			key = ref_random_absent(r);
			areas[key].size = random_size();
			area_insert(&root, &areas[key]);
			ref_add(r, key);
		} else {
			key = r->keys[test_rand() % (unsigned long)r->nr];
			rb_erase_augmented(&areas[key].rb, &root, &area_cb);
			ref_del(r, key);
		}

		if ((op < EVERY_OP_UNTIL || op % 500 == 0) && !check_augmented(&root, r, op))
			break;
		if (op % 50 == 0) {
			/* Up to 1.5 times the largest size: some queries miss. */
			unsigned long want = 1 + test_rand() % (3UL << 23);
			struct area *fast = lowest_fit(&root, want);
			struct area *slow = lowest_fit_scan(&root, want);

			queries++;
			hits += slow != NULL;
			if (fast != slow) {
				CHECK(0, "op %ld: lowest fit for %lu: tree %lu, scan %lu", op, want,
				      fast ? fast->start : ~0UL, slow ? slow->start : ~0UL);
				break;
			}
		}
	}
	CHECK(hits > 0 && hits < queries, "queries found %ld of %ld (both outcomes tested)",
	      hits, queries);
	CHECK(resizes > 0, "in-place resizes ran");
	check_augmented(&root, r, AUG_OPS);

	/* Empty it in random order, checking the maxima as it shrinks. */
	while (r->nr) {
		unsigned long key = r->keys[test_rand() % (unsigned long)r->nr];

		rb_erase_augmented(&areas[key].rb, &root, &area_cb);
		ref_del(r, key);
		if ((r->nr < 2000 || r->nr % 1000 == 0) && !check_augmented(&root, r, -r->nr))
			return;
	}
	CHECK(RB_EMPTY_ROOT(&root), "augmented tree emptied");
}

/* A stale maximum must be caught by the recomputation, or it proves nothing. */
static void test_check_max_catches(void)
{
	static struct area a[16];
	struct rb_root root = RB_ROOT;
	long bad = 0;

	for (int i = 0; i < 16; i++) {
		a[i].start = (unsigned long)i;
		a[i].size = (unsigned long)(i * 7 % 16);
		area_insert(&root, &a[i]);
	}
	check_max(root.rb_node, &bad);
	CHECK(bad == 0, "fresh augmented tree is right (%ld bad)", bad);
	a[3].size = 100;	/* no propagate: the maxima above are stale */
	check_max(root.rb_node, &bad);
	CHECK(bad > 0, "a stale subtree_max is detected");
	bad = 0;
	area_cb.propagate(&a[3].rb, NULL);
	check_max(root.rb_node, &bad);
	CHECK(bad == 0, "propagate repairs it (%ld bad)", bad);
	CHECK(rb_entry(root.rb_node, struct area, rb)->subtree_max == 100, "root max is 100");
	CHECK(lowest_fit(&root, 100) == &a[3], "and the lowest fit for 100 is that area");
}

int main(void)
{
	test_seed();
	test_empty_and_single();
	test_fill_and_erase_root(true);
	test_fill_and_erase_root(false);
	test_erase_two_children();
	test_validate_hand_built();
	test_validate_broken_tree();
	test_check_max_catches();
	test_random_plain();
	test_random_augmented();
	harness_exit();
}
