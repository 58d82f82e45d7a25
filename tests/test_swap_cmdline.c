// SPDX-License-Identifier: MIT
/*
 * The swap= boot option: what it refuses and what its priorities mean.
 *
 * Refused, each with one line on stderr naming the token (or the file) and
 * no machine left behind:
 *   - parse errors, -EINVAL, no file created, no fd or mapping left: a
 *     missing size ("swap=PATH", "swap=PATH:"), an empty path, a size below
 *     40K, a size not a multiple of 4K, a priority that is not a number,
 *     more than 8 swap= options;
 *   - a directory as PATH: -EINVAL;
 *   - an existing non-empty file without the swap signature (smaller than
 *     SIZE, larger than SIZE, or with data only past its first page):
 *     -EINVAL, and the file is not modified (same size, bytes and mode);
 *   - a path whose directory does not exist: an error naming it.
 * Accepted: 40K (9 slots: Size 36 KiB); 8 devices at once, priorities
 * -2 .. -9 in order; an empty existing file is taken over.
 * Priorities: "swap=a:8M:5 swap=b:8M" lists a with 5 and b with -2; a
 * small MADV_PAGEOUT puts everything on a (Used > 0) and nothing on b.
 * With a 1 MiB a at priority 5 and b after it, paging out more than a
 * holds fills a completely and puts the rest on b, exactly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mmkit/linux.h>
#include <mmkit/mman.h>
#include "harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define PG		((size_t)PAGE_SIZE)
#define BASE		"mem=32M thp_anon=16K-2M:never"

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* mmk_boot(@cmdline) fails with @err (any error if 0) and one line naming
 * @name; no machine is left. @parse: nothing reached the host, so no fd,
 * no mapping, no file. */
static void refused(const char *cmdline, int err, const char *name, bool parse,
		    const char *created)
{
	int fds = count_open_fds(), maps = count_mappings();
	const char *out;
	int r;

	capture_start();
	r = mmk_boot(cmdline);
	out = capture_end();
	if (err)
		CHECK(r == err, "'%s' is refused with %d (got %d); output:\n%s", cmdline, err, r, out);
	else
		CHECK(r < 0, "'%s' is refused (got %d); output:\n%s", cmdline, r, out);
	if (r == 0) {
		mmk_shutdown();
		return;
	}
	CHECK(count_lines(out) == 1, "'%s' prints exactly one line; got:\n%s", cmdline, out);
	CHECK(strstr(out, name) != NULL, "the line for '%s' names '%s'; got:\n%s", cmdline, name,
	      out);
	CHECK(count_open_fds() == fds, "'%s': no fd left behind (%d -> %d)", cmdline, fds,
	      count_open_fds());
	if (parse) {
		CHECK(count_mappings() == maps, "'%s': no mapping left behind", cmdline);
		if (created)
			CHECK(!exists(created), "'%s': a refused option creates no file", cmdline);
	}
}

static void parse_errors(void)
{
	const char *a = test_tmp_path("a");
	char cmd[8192], tok[1200];

	/* Once first, so the host's allocator has mapped what capturing needs. */
	capture_start();
	mmk_boot("warm=up");
	capture_end();

	snprintf(tok, sizeof(tok), "swap=%s", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	refused(BASE " swap=:8M", -EINVAL, "swap=:8M", true, NULL);
	refused(BASE " swap=", -EINVAL, "swap=", true, NULL);
	snprintf(tok, sizeof(tok), "swap=%s:36K", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:0", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:41K", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:1000000", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:8Q", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);
	snprintf(tok, sizeof(tok), "swap=%s:8M:high", a);
	snprintf(cmd, sizeof(cmd), BASE " %s", tok);
	refused(cmd, -EINVAL, tok, true, a);

	/* Nine devices: the ninth is one too many. */
	{
		const char *p[9];
		size_t len;

		len = (size_t)snprintf(cmd, sizeof(cmd), BASE);
		for (int i = 0; i < 9; i++) {
			char name[32];

			snprintf(name, sizeof(name), "nine-%d", i);
			p[i] = test_tmp_path(name);
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " swap=%s:40K", p[i]);
		}
		snprintf(tok, sizeof(tok), "swap=%s:40K", p[8]);
		refused(cmd, -EINVAL, tok, true, NULL);
		for (int i = 0; i < 9; i++)
			CHECK(!exists(p[i]), "nine swap= options: no file created (%s)", p[i]);
	}
}

/* An existing file of @len bytes that is not a swap file (its first page
 * all zeros if @zero_head) is refused, with every byte and its size and
 * mode as they were. */
static void not_a_swap_file(const char *name, size_t len, bool zero_head, const char *size)
{
	const char *path = test_tmp_path(name);
	unsigned char *bytes = malloc(len), *back = malloc(len + 1);
	char cmd[2400];
	struct stat st;
	ssize_t n;
	int fd;

	REQUIRE(bytes && back, "malloc");
	for (size_t i = 0; i < len; i++)
		bytes[i] = (unsigned char)(test_rand() >> 24);
	if (zero_head)
		memset(bytes, 0, PG);
	else
		memcpy(bytes, "not a swap file\n", 16);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	REQUIRE(fd >= 0 && write(fd, bytes, len) == (ssize_t)len, "write %s", path);
	close(fd);
	snprintf(cmd, sizeof(cmd), BASE " swap=%s:%s", path, size);
	refused(cmd, -EINVAL, path, false, NULL);
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0, "open %s", path);
	n = read(fd, back, len + 1);
	close(fd);
	CHECK(n == (ssize_t)len, "%s (%zu bytes, swap=...:%s): the file keeps its size: %zd bytes now",
	      name, len, size, n);
	CHECK(n >= (ssize_t)len && !memcmp(back, bytes, len),
	      "%s (%zu bytes, swap=...:%s): every byte is untouched", name, len, size);
	REQUIRE(stat(path, &st) == 0, "stat");
	CHECK((st.st_mode & 0777) == 0644, "%s: its mode is untouched: %o", name,
	      (unsigned)(st.st_mode & 0777));
	free(bytes);
	free(back);
}

static void host_errors(void)
{
	const char *dir = test_tmp_path("a-directory");
	const char *nodir = test_tmp_path("no-such-dir/swapfile");
	char cmd[2400];
	struct stat st;

	REQUIRE(mkdir(dir, 0700) == 0, "mkdir");
	snprintf(cmd, sizeof(cmd), BASE " swap=%s:8M", dir);
	refused(cmd, -EINVAL, dir, false, NULL);
	REQUIRE(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "the directory is still a directory");

	not_a_swap_file("smaller-than-size", 10000, false, "8M");
	not_a_swap_file("larger-than-size", 64 << 10, false, "40K");
	not_a_swap_file("zero-first-page", 3 * PG + 100, true, "8M");

	snprintf(cmd, sizeof(cmd), BASE " swap=%s:8M", nodir);
	refused(cmd, 0, nodir, false, NULL);
	CHECK(!exists(nodir), "nothing was made for a path in a missing directory");
}

static void accepted(void)
{
	const char *small = test_tmp_path("forty-k"), *empty = test_tmp_path("empty");
	struct swaps_line l = { 0 };
	char cmd[8192];
	size_t len;
	const char *p[8];
	int fd;

	snprintf(cmd, sizeof(cmd), BASE " swap=%s:40K", small);
	REQUIRE(mmk_boot(cmd) == 0, "the smallest swap file, 40K, boots");
	CHECK(swaps_get(small, &l) == 0 && l.size_kb == 36, "40K: Size %ld KiB, expected 36",
	      l.size_kb);
	CHECK(meminfo_field_kb("SwapTotal") == 36, "SwapTotal %ld kB", meminfo_field_kb("SwapTotal"));
	mmk_shutdown();

	fd = open(empty, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	REQUIRE(fd >= 0, "create an empty file");
	close(fd);
	snprintf(cmd, sizeof(cmd), BASE " swap=%s:1M", empty);
	REQUIRE(mmk_boot(cmd) == 0, "an empty existing file is taken over");
	CHECK(swaps_get(empty, &l) == 0 && l.size_kb == 1020, "Size %ld KiB, expected 1020", l.size_kb);
	mmk_shutdown();

	len = (size_t)snprintf(cmd, sizeof(cmd), BASE);
	for (int i = 0; i < 8; i++) {
		char name[32];

		snprintf(name, sizeof(name), "eight-%d", i);
		p[i] = test_tmp_path(name);
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, " swap=%s:40K", p[i]);
	}
	REQUIRE(mmk_boot(cmd) == 0, "eight swap= options boot");
	CHECK(swaps_count() == 8, "eight devices listed: %d", swaps_count());
	for (int i = 0; i < 8; i++)
		CHECK(swaps_get(p[i], &l) == 0 && l.prio == -2 - i && l.size_kb == 36,
		      "device %d: priority %d (expected %d), Size %ld", i, l.prio, -2 - i, l.size_kb);
	CHECK(meminfo_field_kb("SwapTotal") == 8 * 36, "SwapTotal %ld kB",
	      meminfo_field_kb("SwapTotal"));
	mmk_shutdown();
}

/* Page out @n written pages; returns the mapping. */
static unsigned char *page_out(size_t n)
{
	unsigned char *m = mmk_mmap(NULL, n * PG, RW, ANON, -1, 0);

	REQUIRE(m != MAP_FAILED, "mmap");
	for (size_t i = 0; i < n; i++)
		memset(m + i * PG, (int)(i | 1), PG);
	CHECK(mmk_madvise(m, n * PG, MADV_PAGEOUT) == 0, "MADV_PAGEOUT");
	return m;
}

static void intact(const unsigned char *m, size_t n, const char *what)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += m[i * PG] != (unsigned char)(i | 1) || m[i * PG + PG - 1] != (unsigned char)(i | 1);
	CHECK(bad == 0, "%s: %zu pages damaged", what, bad);
}

static void priorities(void)
{
	const char *a = test_tmp_path("prio-a"), *b = test_tmp_path("prio-b");
	const char *c = test_tmp_path("prio-c");
	struct swaps_line la = { 0 }, lb = { 0 }, lc = { 0 };
	unsigned char *m;
	char cmd[4000];

	snprintf(cmd, sizeof(cmd), BASE " swap=%s:8M:5 swap=%s:8M", a, b);
	REQUIRE(mmk_boot(cmd) == 0, "boot %s", cmd);
	REQUIRE(swaps_get(a, &la) == 0 && swaps_get(b, &lb) == 0, "both listed");
	CHECK(la.prio == 5, "a's priority %d, expected 5", la.prio);
	CHECK(lb.prio == -2, "b's priority %d, expected -2 (the first default)", lb.prio);
	m = page_out(64);
	swaps_get(a, &la);
	swaps_get(b, &lb);
	CHECK(la.used_kb == 64 * 4 && lb.used_kb == 0,
	      "the higher priority first: a Used %ld KiB (expected 256), b Used %ld", la.used_kb,
	      lb.used_kb);
	intact(m, 64, "from a");
	CHECK(mmk_munmap(m, 64 * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants");
	mmk_shutdown();

	/* Defaults count down past explicit ones. */
	snprintf(cmd, sizeof(cmd), BASE " swap=%s:1M swap=%s:1M:10 swap=%s:1M", a, b, c);
	REQUIRE(mmk_boot(cmd) == 0, "boot %s", cmd);
	CHECK(swaps_get(a, &la) == 0 && la.prio == -2, "a: priority %d, expected -2", la.prio);
	CHECK(swaps_get(b, &lb) == 0 && lb.prio == 10, "b: priority %d, expected 10", lb.prio);
	CHECK(swaps_get(c, &lc) == 0 && lc.prio == -3, "c: priority %d, expected -3", lc.prio);
	mmk_shutdown();

	/* a fills up, then b takes the rest. */
	snprintf(cmd, sizeof(cmd), BASE " swap=%s:1M:5 swap=%s:8M", a, b);
	REQUIRE(mmk_boot(cmd) == 0, "boot %s", cmd);
	m = page_out(400);
	swaps_get(a, &la);
	swaps_get(b, &lb);
	CHECK(la.used_kb == 1020, "a is full: Used %ld of 1020 KiB", la.used_kb);
	CHECK(la.used_kb + lb.used_kb == 400 * 4, "a and b hold the 400 pages: %ld + %ld KiB",
	      la.used_kb, lb.used_kb);
	CHECK(report_value("self/status", "VmSwap") == 400 * 4, "VmSwap %ld kB",
	      report_value("self/status", "VmSwap"));
	intact(m, 400, "from a and b");
	CHECK(mmk_munmap(m, 400 * PG) == 0, "munmap");
	CHECK(mmk_check(stderr) == 0, "invariants");
	CHECK(meminfo_field_kb("SwapFree") == meminfo_field_kb("SwapTotal"), "every slot free");
	mmk_shutdown();
}

int main(void)
{
	parse_errors();
	host_errors();
	accepted();
	priorities();
	harness_exit();
}
