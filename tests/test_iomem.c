// SPDX-License-Identifier: MIT
/*
 * mmk_report("iomem"): Linux's /proc/iomem format ("start-end : name",
 * inclusive hex ends of at least 8 digits, two spaces of indent per
 * level), and the map it draws: System RAM as large as mem=, the zones
 * inside it in order, and inside them the boot reservations, the CMA area
 * among them at exactly cma_get_base()/cma_get_size(). Every child lies
 * inside its parent and siblings are sorted and disjoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmkit/linux.h>

#include "harness.h"

#define MAX_LINES	256

struct res {
	int depth;
	unsigned long long start, end;
	char name[64];
};

static int parse(struct res *r)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	REQUIRE(f, "open_memstream");
	REQUIRE(mmk_report("iomem", f) == 0, "iomem is a report");
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line && n < MAX_LINES;
	     line = strtok_r(NULL, "\n", &save), n++) {
		int indent = (int)strspn(line, " "), used = 0;
		char s1[32], s2[32];

		CHECK(indent % 2 == 0, "indent is two spaces a level: '%s'", line);
		CHECK(sscanf(line + indent, "%31[0-9a-f]-%31[0-9a-f] : %n", s1, s2, &used) == 2 &&
		      used > 0, "'%s' is 'start-end : name'", line);
		CHECK(strlen(s1) >= 8 && strlen(s2) >= 8, "ends padded to 8 digits: '%s'", line);
		r[n].depth = indent / 2;
		r[n].start = strtoull(s1, NULL, 16);
		r[n].end = strtoull(s2, NULL, 16);
		snprintf(r[n].name, sizeof(r[n].name), "%s", line + indent + used);
		CHECK(r[n].start <= r[n].end, "start <= end: '%s'", line);
	}
	free(buf);
	return n;
}

static void check_tree(const struct res *r, int n)
{
	for (int i = 0; i < n; i++) {
		int parent = -1, prev = -1;

		for (int j = i - 1; j >= 0; j--) {
			if (r[j].depth == r[i].depth - 1) {
				parent = j;
				break;
			}
			if (r[j].depth == r[i].depth && prev < 0)
				prev = j;
			if (r[j].depth < r[i].depth)
				break;
		}
		if (r[i].depth > 0)
			CHECK(parent >= 0 && r[i].start >= r[parent].start && r[i].end <= r[parent].end,
			      "%s lies inside its parent", r[i].name);
		if (prev >= 0)
			CHECK(r[i].start > r[prev].end, "%s comes after %s, disjoint", r[i].name,
			      r[prev].name);
	}
}

static const struct res *find(const struct res *r, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return &r[i];
	return NULL;
}

int main(void)
{
	static struct res r[MAX_LINES];
	const struct res *ram, *dma, *normal, *cma;
	struct cma *area;
	int n;

	test_seed();
	REQUIRE(mmk_boot("mem=128M dma_zone=16M cma=16M") == 0, "boot");
	n = parse(r);
	check_tree(r, n);
	ram = find(r, n, "System RAM");
	dma = find(r, n, "Zone DMA");
	normal = find(r, n, "Zone Normal");
	cma = find(r, n, "cma");
	area = dma_contiguous_default_area;
	REQUIRE(ram && dma && normal && cma && area, "RAM, both zones and the CMA area are listed");
	CHECK(ram->depth == 0 && ram->start == 0 && ram->end == (128ULL << 20) - 1,
	      "System RAM is 0-%llx", (128ULL << 20) - 1);
	CHECK(dma->depth == 1 && dma->start == 0 && dma->end == (16ULL << 20) - 1, "Zone DMA is the first 16M");
	CHECK(normal->depth == 1 && normal->start == 16ULL << 20 && normal->end == ram->end,
	      "Zone Normal is the rest");
	CHECK(cma->depth == 2 && cma->start == cma_get_base(area) &&
	      cma->end - cma->start + 1 == cma_get_size(area) && cma_get_size(area) == 16UL << 20,
	      "the CMA line is the area: %llx-%llx", cma->start, cma->end);
	CHECK(find(r, n, "mem_map") != NULL, "the boot reservations are listed (mem_map)");
	mmk_shutdown();

	/* Without cma= there is no CMA line. */
	REQUIRE(mmk_boot("mem=64M") == 0, "boot");
	n = parse(r);
	check_tree(r, n);
	CHECK(find(r, n, "cma") == NULL && dma_contiguous_default_area == NULL,
	      "no CMA area without cma=");
	mmk_shutdown();
	harness_exit();
}
