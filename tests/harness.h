/* SPDX-License-Identifier: MIT */
/*
 * The test harness: every tests/test_*.c is one program that proves one
 * behaviour. CHECK() records a failure with its location and goes on;
 * harness_exit() ends the program with 0 only if nothing failed.
 * scripts/check.sh runs every program and prints "N passed, N failed".
 *
 * capture_start()/capture_end() collect what mmkit prints to stderr (its
 * console) in between, so a test can assert on a report's words.
 */
#ifndef MMK_TESTS_HARNESS_H
#define MMK_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdio.h>

extern int harness_failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		harness_failures++;					\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Like CHECK, but stop the test: what follows depends on it. */
#define REQUIRE(cond, ...) do {						\
	if (!(cond)) {							\
		CHECK(cond, __VA_ARGS__);				\
		harness_exit();						\
	}								\
} while (0)

__attribute__((noreturn)) void harness_exit(void);

/* Start collecting stderr; capture_end() returns it (static buffer, NUL
 * terminated, valid until the next capture) and restores stderr. */
void capture_start(void);
const char *capture_end(void);

/* Run fn(arg) in a child process; returns its wait status. The child's
 * stderr is collected into *out (static buffer) when out is not NULL. */
int run_in_child(void (*fn)(void *), void *arg, const char **out);

/* A seeded xorshift generator, so that random tests are reproducible:
 * the seed is printed and can be given in MMK_TEST_SEED. */
unsigned long long test_seed(void);
unsigned long long test_rand(void);

#endif
