// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>

#include "harness.h"

int harness_failures;

void harness_exit(void)
{
	fflush(stdout);
	fflush(stderr);
	exit(harness_failures ? 1 : 0);
}

static char capbuf[1 << 20];
static int saved_fd = -1;
static FILE *capfile;

void capture_start(void)
{
	fflush(stderr);
	capfile = tmpfile();
	if (!capfile) {
		perror("tmpfile");
		exit(2);
	}
	saved_fd = dup(STDERR_FILENO);
	dup2(fileno(capfile), STDERR_FILENO);
}

const char *capture_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	rewind(capfile);
	n = fread(capbuf, 1, sizeof(capbuf) - 1, capfile);
	capbuf[n] = '\0';
	fclose(capfile);
	return capbuf;
}

int run_in_child(void (*fn)(void *), void *arg, const char **out)
{
	int status = 0;
	pid_t pid;

	if (out)
		capture_start();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (out)
		*out = capture_end();
	return status;
}

static unsigned long long rng_state;

unsigned long long test_seed(void)
{
	static unsigned long long seed;

	if (!seed) {
		const char *s = getenv("MMK_TEST_SEED");

		seed = s ? strtoull(s, NULL, 0) : (unsigned long long)time(NULL) ^
			(unsigned long long)getpid() << 16;
		if (!seed)
			seed = 1;
		rng_state = seed;
		printf("# seed %llu (MMK_TEST_SEED=%llu reproduces this run)\n", seed, seed);
	}
	return seed;
}

unsigned long long test_rand(void)
{
	unsigned long long x;

	if (!rng_state)
		test_seed();
	x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}
