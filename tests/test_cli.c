// SPDX-License-Identifier: MIT
/*
 * The mmkit command, run as a user runs it: the binary named by MMKIT_BIN
 * (scripts/check.sh sets it to the build being tested), its exit status,
 * what it prints on stdout and on stderr: the reports, slabtop's view,
 * and each chapter's verdicts in the demo.
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

/* How many times @needle occurs in @text. */
static int count(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle))) {
		n++;
		text += strlen(needle);
	}
	return n;
}

/* The demo's verdict line that contains @needle holds (and is shown). */
static void verdict_holds(const char *out, const char *needle)
{
	char *line = line_with(out, needle);

	CHECK(line && strstr(line, "CLAIM HOLDS: "), "the verdict with \"%s\" holds:\n%s",
	      needle, line ? line : "(no such line)");
	if (line)
		printf("# %s\n", line);
	free(line);
}

/*
 * slabtop's rows after the column header: each "OBJS ACTIVE USE% SIZEK SLABS
 * OBJ/SLAB CACHESIZEK NAME", biggest cache first. Returns the rows seen, or
 * -1 when one does not parse or the order is wrong.
 */
static int slabtop_rows(const char *out, const char *header, bool *saw_nonzero)
{
	const char *p = strstr(out, header);
	unsigned long prev = ~0UL;
	int rows = 0;

	*saw_nonzero = false;
	if (!p)
		return -1;
	p = strchr(p, '\n');
	while (p && p[1]) {
		unsigned long objs, active, use, slabs, per, size;
		double objsize;
		char name[64];

		p++;
		if (sscanf(p, "%lu %lu %lu%% %lfK %lu %lu %luK %63s", &objs, &active, &use,
			   &objsize, &slabs, &per, &size, name) != 8)
			return -1;
		if (size > prev || active > objs)
			return -1;
		if (size)
			*saw_nonzero = true;
		prev = size;
		rows++;
		p = strchr(p, '\n');
	}
	return rows;
}

int main(void)
{
	static const char slabtop_header[] =
		"  OBJS ACTIVE  USE OBJ SIZE  SLABS OBJ/SLAB CACHE SIZE NAME";
	bool nonzero;
	int rows;
	const char *bin = getenv("MMKIT_BIN");
	struct result r;
	char *line, *timed;
	bool timed_fails;

	REQUIRE(bin && *bin, "MMKIT_BIN must name the mmkit binary (scripts/check.sh sets it)");
	REQUIRE(access(bin, X_OK) == 0, "MMKIT_BIN=%s is not an executable", bin);

	r = run(bin, "--help", NULL);
	CHECK(r.status == 0, "--help exits %d", r.status);
	CHECK(strstr(r.out, "demo") && strstr(r.out, "report") && strstr(r.out, "slabtop"),
	      "--help lists demo, report and slabtop:\n%s", r.out);
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

	r = run(bin, "report", "slabinfo", NULL);
	CHECK(r.status == 0, "report slabinfo exits %d: %s", r.status, r.err);
	CHECK(!strncmp(r.out, "slabinfo - version: 2.1\n", 24), "slabinfo's first line:\n%s",
	      r.out);
	CHECK(strstr(r.out, "\nkmalloc-8k ") != NULL, "slabinfo lists kmalloc-8k:\n%s", r.out);
	done(&r);

	/* slabtop: procps' header, rows sorted by cache size, the workload's cache. */
	r = run(bin, "slabtop", NULL);
	CHECK(r.status == 0, "slabtop exits %d: %s", r.status, r.err);
	CHECK(strstr(r.out, " Active / Total Objects (% used)    : ") != NULL,
	      "slabtop's summary:\n%s", r.out);
	rows = slabtop_rows(r.out, slabtop_header, &nonzero);
	CHECK(rows > 13 && nonzero, "slabtop: %d rows, sorted by cache size, some in use:\n%s",
	      rows, r.out);
	CHECK(strstr(r.out, "mmkit_demo_node") && strstr(r.out, "kmalloc-64"),
	      "the workload's caches are listed:\n%s", r.out);
	done(&r);

	r = run(bin, "slabtop", "--idle", "--boot", "mem=64M", NULL);
	CHECK(r.status == 0, "slabtop --idle exits %d: %s", r.status, r.err);
	rows = slabtop_rows(r.out, slabtop_header, &nonzero);
	CHECK(rows > 13 && !strstr(r.out, "mmkit_demo_node"),
	      "slabtop --idle: %d rows, no workload:\n%s", rows, r.out);
	done(&r);

	r = run(bin, "slabtop", "--bogus", NULL);
	CHECK(r.status == 2 && strstr(r.err, "--bogus"), "slabtop --bogus exits %d: %s",
	      r.status, r.err);
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
	/*
	 * One verdict is decided by a clock (chapter 3: vmalloc is slower than
	 * kmalloc, by medians of interleaved rounds, 5x or more even under
	 * ASan). Tests never fail on time: it must be there, but a host busy
	 * enough to flip it may make it, and only it, say FAILS.
	 */
	timed = line_with(r.out, "vmalloc is slower than kmalloc at");
	timed_fails = timed && strstr(timed, "CLAIM FAILS: ");
	CHECK(timed && (timed_fails || strstr(timed, "CLAIM HOLDS: ")),
	      "the timed verdict is shown:\n%s", r.out);
	if (timed)
		printf("# %s\n", timed);
	free(timed);
	CHECK(r.status == (timed_fails ? 1 : 0), "demo exits %d:\n%s\n%s", r.status, r.out,
	      r.err);
	line = line_with(r.out, "8K allocation failed");
	CHECK(line && strstr(line, "CLAIM HOLDS: ") && strstr(line, "MiB free"),
	      "the fragmentation verdict:\n%s", r.out);
	if (line)
		printf("# %s\n", line);
	free(line);
	CHECK(strstr(r.out, "page allocation failure: order:1") != NULL,
	      "the kernel's warning is shown");
	/* Chapter 1's split and merge. */
	verdict_holds(r.out, "block was split for an order-3 request");
	verdict_holds(r.out, "after freeing, buddyinfo equals its state before");
	verdict_holds(r.out, "with the buddies free again, buddyinfo equals");
	/* Chapter 2: kmalloc. */
	CHECK(strstr(r.out, "Chapter 2. kmalloc and the slab allocator") != NULL,
	      "chapter 2 runs:\n%s", r.out);
	verdict_holds(r.out, "pages of kmalloc(64 KiB) are frames");
	verdict_holds(r.out, "kmalloc(100) came from kmalloc-128");
	verdict_holds(r.out, "kmalloc(131072) succeeded, kmalloc(131073) failed");
	verdict_holds(r.out, "free, and kmalloc(8192) failed");
	verdict_holds(r.out, "kmalloc(8192) call(s) of");
	verdict_holds(r.out, "the object kept pfn");
	CHECK(strstr(r.out, "SLUB: Unable to allocate memory") != NULL,
	      "the slab allocator's failure is shown:\n%s", r.out);
	/* Chapter 3: vmalloc. */
	CHECK(strstr(r.out, "Chapter 3. vmalloc") != NULL, "chapter 3 runs:\n%s", r.out);
	verdict_holds(r.out, "an 8K kmalloc fails while a 4 MiB vmalloc succeeds");
	verdict_holds(r.out, "vmalloc's pages are scattered but one buffer");
	verdict_holds(r.out, "the same bytes through the direct map:");
	CHECK(strstr(r.out, "kmalloc fails: above kmalloc_max (128 KiB)") != NULL,
	      "the cost table shows kmalloc's limit:\n%s", r.out);
	/* Chapter 4: DMA, CMA and interrupt context. */
	CHECK(strstr(r.out, "Chapter 4. DMA, boot-time reservation and interrupt context") != NULL,
	      "chapter 4 runs:\n%s", r.out);
	verdict_holds(r.out, "the device copied 16384 bytes into the kmalloc buffer");
	verdict_holds(r.out, "given page 0's physical address, the device overwrote 3");
	verdict_holds(r.out, "dma_map_single() of the vmalloc buffer was refused, with a report");
	verdict_holds(r.out, "no free block above order 0 (order 11 does not exist, order 1 fails)");
	verdict_holds(r.out, "in a handler kmalloc(GFP_ATOMIC) cannot wait for memory");
	verdict_holds(r.out, "with a mempool of 16 as the strategy for failure");
	CHECK(strstr(r.out, "DMA-API: mmkit-dma nic0: device driver maps memory") != NULL,
	      "the DMA-API debug report is shown:\n%s", r.out);
	CHECK(strstr(r.out, " : cma\n") != NULL, "the CMA area's iomem line is shown:\n%s", r.out);
	CHECK(strstr(r.out, "exhausted machine dropped 0 of 272 packets") != NULL,
	      "the mempool run dropped nothing:\n%s", r.out);
	/* Chapter 5: user memory. */
	CHECK(strstr(r.out, "Chapter 5. User memory: demand paging and the zero page") != NULL,
	      "chapter 5 runs:\n%s", r.out);
	verdict_holds(r.out, "mapped and none of it backed");
	verdict_holds(r.out, "pages read zeros from one frame");
	verdict_holds(r.out, "RSS grew by exactly the quarter written");
	verdict_holds(r.out, "RSS back to");
	verdict_holds(r.out, "took its 16 frames at the");
	/* Chapter 6: swap, reclaim and the OOM killer. */
	CHECK(strstr(r.out, "Chapter 6. Swap, reclaim and the OOM killer") != NULL,
	      "chapter 6 runs:\n%s", r.out);
	CHECK(strstr(r.out, "\"SWAPSPACE2\" at offset 4086") != NULL,
	      "the swap file's header is shown:\n%s", r.out);
	verdict_holds(r.out, "pages were deposited in the swap file");
	verdict_holds(r.out, "pages read back intact: 0 bytes differ");
	verdict_holds(r.out, "kmalloc buffers kept every frame and every byte");
	verdict_holds(r.out, "every swap slot is free again");
	verdict_holds(r.out, "the same workload met the OOM killer");
	CHECK(strstr(r.out, "invoked oom-killer") != NULL &&
	      strstr(r.out, "Out of memory: Killed process") != NULL,
	      "the child's OOM report is shown:\n%s", r.out);
	CHECK(count(r.out, "CLAIM FAILS") == (timed_fails ? 1 : 0), "no claim fails:\n%s", r.out);
	done(&r);

	harness_exit();
}
