// SPDX-License-Identifier: MIT
/*
 * The mmkit command, run as a user runs it: the binary named by MMKIT_BIN
 * (scripts/check.sh sets it to the build being tested), its exit status,
 * what it prints on stdout and on stderr.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct result {
	int status;		/* exit status, or 128 + signal */
	char *out, *err;	/* malloc'ed, NUL terminated */
};

static char *slurp(FILE *f)
{
	long len;
	char *buf;

	fflush(f);
	len = ftell(f);
	if (len < 0)
		len = 0;
	buf = malloc((size_t)len + 1);
	if (!buf)
		exit(2);
	rewind(f);
	len = (long)fread(buf, 1, (size_t)len, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Run "$MMKIT_BIN args..." (NULL-terminated) and collect what it did. */
static struct result run(const char *bin, ...)
{
	const char *argv[16];
	struct result r = { 0, NULL, NULL };
	FILE *out = tmpfile(), *err = tmpfile();
	int status = 0, argc = 0;
	va_list ap;
	pid_t pid;

	REQUIRE(out && err, "tmpfile");
	argv[argc++] = bin;
	va_start(ap, bin);
	while (argc < 15 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		execv(bin, (char *const *)argv);
		perror("execv");
		_exit(127);
	}
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fseek(out, 0, SEEK_END);
	fseek(err, 0, SEEK_END);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static void done(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* The line of @text that contains @needle, or NULL. */
static char *line_with(const char *text, const char *needle)
{
	const char *hit = strstr(text, needle), *start, *end;

	if (!hit)
		return NULL;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

int main(void)
{
	const char *bin = getenv("MMKIT_BIN");
	struct result r;
	char *line;

	REQUIRE(bin && *bin, "MMKIT_BIN must name the mmkit binary (scripts/check.sh sets it)");
	REQUIRE(access(bin, X_OK) == 0, "MMKIT_BIN=%s is not an executable", bin);

	r = run(bin, "--help", NULL);
	CHECK(r.status == 0, "--help exits %d", r.status);
	CHECK(strstr(r.out, "demo") && strstr(r.out, "report"),
	      "--help lists demo and report:\n%s", r.out);
	done(&r);

	r = run(bin, "help", NULL);
	CHECK(r.status == 0 && strstr(r.out, "report"), "help exits %d", r.status);
	done(&r);

	r = run(bin, "report", "buddyinfo", NULL);
	CHECK(r.status == 0, "report buddyinfo exits %d: %s", r.status, r.err);
	CHECK(!strncmp(r.out, "Node 0, zone", 12), "buddyinfo starts with the zone row:\n%s",
	      r.out);
	done(&r);

	/* The report is printed exactly: the same machine gives the same text. */
	r = run(bin, "report", "buddyinfo", "--boot", "mem=64M dma_zone=0", NULL);
	CHECK(r.status == 0, "report buddyinfo --boot exits %d: %s", r.status, r.err);
	CHECK(!strstr(r.out, "DMA") && strstr(r.out, "Normal"),
	      "with dma_zone=0 only the Normal zone is populated:\n%s", r.out);
	done(&r);

	r = run(bin, "report", "nosuch", NULL);
	CHECK(r.status == 2, "report nosuch exits %d", r.status);
	CHECK(strstr(r.err, "nosuch") && strstr(r.err, "buddyinfo") && strstr(r.err, "meminfo"),
	      "an unknown report names itself and the valid ones:\n%s", r.err);
	done(&r);

	r = run(bin, "report", "meminfo", "--boot", "mem=12Q", NULL);
	CHECK(r.status == 2, "a bad --boot exits %d", r.status);
	CHECK(strstr(r.err, "mem=12Q") != NULL, "stderr names the bad token:\n%s", r.err);
	CHECK(r.out[0] == '\0', "nothing on stdout:\n%s", r.out);
	done(&r);

	r = run(bin, "report", NULL);
	CHECK(r.status == 2, "report without a name exits %d", r.status);
	CHECK(strstr(r.err, "--help") != NULL, "the error points at --help:\n%s", r.err);
	done(&r);

	r = run(bin, "bogus", NULL);
	CHECK(r.status == 2, "an unknown command exits %d", r.status);
	CHECK(strstr(r.err, "bogus") && strstr(r.err, "--help"),
	      "the error names the command and points at --help:\n%s", r.err);
	CHECK(!strchr(r.err, '\n') || strchr(r.err, '\n')[1] == '\0', "one line:\n%s", r.err);
	done(&r);

	r = run(bin, "demo", "--boot", NULL);
	CHECK(r.status == 2, "demo --boot without a command line exits %d", r.status);
	done(&r);

	r = run(bin, "check", NULL);
	CHECK(r.status == 0, "check exits %d:\n%s%s", r.status, r.out, r.err);
	CHECK(strstr(r.out, "\nOK\n") != NULL, "check says OK:\n%s", r.out);
	done(&r);

	r = run(bin, "demo", NULL);
	CHECK(r.status == 0, "demo exits %d:\n%s\n%s", r.status, r.out, r.err);
	line = line_with(r.out, "8K allocation failed");
	CHECK(line && strstr(line, "CLAIM HOLDS: ") && strstr(line, "MiB free"),
	      "the fragmentation verdict:\n%s", r.out);
	if (line)
		printf("# %s\n", line);
	free(line);
	CHECK(strstr(r.out, "page allocation failure: order:1") != NULL,
	      "the kernel's warning is shown");
	CHECK(!strstr(r.out, "CLAIM FAILS"), "no claim fails:\n%s", r.out);
	done(&r);

	harness_exit();
}
