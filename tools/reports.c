// SPDX-License-Identifier: MIT
/*
 * Reading mmkit's /proc-style reports the way a tool reads the real files.
 *
 * mmk_report() writes into an open_memstream buffer, and the parsers below
 * know only Linux's formats (fs/proc/meminfo.c, mm/vmstat.c, the slabinfo
 * of mm/slab_common.c, the vmallocinfo of mm/vmalloc.c): they split lines
 * and fields as a script reading /proc would, so the demo's numbers are
 * exactly what the reports say, and a change that breaks the format breaks
 * the demo too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mmkit/mmkit.h>

#include "mmkit_cli.h"

int report_read(const char *name, char **text, const char *why)
{
	size_t len = 0;
	FILE *f;
	int err;

	*text = NULL;
	f = open_memstream(text, &len);
	if (!f) {
		perror("mmkit: open_memstream");
		return -ENOMEM;
	}
	err = mmk_report(name, f);
	if (fclose(f) || !*text) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	if (err) {
		free(*text);
		*text = NULL;
		if (err == -ENOENT)
			fprintf(stderr, "mmkit: this mmkit has no '%s' report yet (mmk_report returned -ENOENT); %s needs it\n",
				name, why);
		else
			fprintf(stderr, "mmkit: mmk_report(\"%s\") failed: %s\n", name,
				strerror(-err));
	}
	return err;
}

/* Next line of @p into @line (without its newline); NULL at the end. */
const char *next_line(const char *p, char *line, size_t size)
{
	size_t n;
	const char *nl;

	if (!p || !*p)
		return NULL;
	nl = strchr(p, '\n');
	n = nl ? (size_t)(nl - p) : strlen(p);
	if (n >= size)
		n = size - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return nl ? nl + 1 : p + strlen(p);
}

/* "Node 0, zone   Normal" at the start of @line: the zone's name, and
 * where the rest of the line begins. */
static const char *zone_prefix(const char *line, char name[16])
{
	int node, pos = 0;

	if (sscanf(line, "Node %d, zone %15s%n", &node, name, &pos) != 2)
		return NULL;
	return line + pos;
}

int parse_buddyinfo(const char *text, struct buddyinfo *bi)
{
	char line[512];
	const char *p = text;

	memset(bi, 0, sizeof(*bi));
	while ((p = next_line(p, line, sizeof(line)))) {
		const char *rest;
		char *end;
		int z = bi->nr_zones;

		if (!line[0])
			continue;
		if (z == CLI_MAX_ZONES)
			return -1;
		rest = zone_prefix(line, bi->zone[z].name);
		if (!rest)
			return -1;
		for (int o = 0; o < CLI_NR_ORDERS; o++) {
			bi->zone[z].nr_free[o] = strtoul(rest, &end, 10);
			if (end == rest)
				return -1;
			rest = end;
		}
		bi->nr_zones++;
	}
	return bi->nr_zones ? 0 : -1;
}

int buddyinfo_zone(const struct buddyinfo *bi, const char *name)
{
	for (int z = 0; z < bi->nr_zones; z++)
		if (!strcmp(bi->zone[z].name, name))
			return z;
	return -1;
}

unsigned long buddyinfo_pages(const struct buddyinfo *bi, int z)
{
	unsigned long pages = 0;

	for (int o = 0; o < CLI_NR_ORDERS; o++)
		pages += bi->zone[z].nr_free[o] << o;
	return pages;
}

/*
 * "Node    0, zone   Normal, type    Unmovable      1      0 ..." rows;
 * the title lines and the "Number of blocks type" table (no ", type")
 * are not rows.
 */
int parse_pagetypeinfo(const char *text, struct pagetypeinfo *pt)
{
	const char *p = text;
	char line[512];

	memset(pt, 0, sizeof(*pt));
	while ((p = next_line(p, line, sizeof(line)))) {
		int node, pos = 0, r = pt->nr_rows;
		const char *rest;
		char *end;

		if (strncmp(line, "Node", 4))
			continue;
		if (r == CLI_MAX_PT_ROWS)
			return -1;
		if (sscanf(line, "Node %d, zone %15[^,], type %15s%n", &node, pt->row[r].zone,
			   pt->row[r].type, &pos) != 3 || !pos)
			continue;
		rest = line + pos;
		for (int o = 0; o < CLI_NR_ORDERS; o++) {
			pt->row[r].nr_free[o] = strtoul(rest, &end, 10);
			if (end == rest)
				return -1;
			rest = end;
		}
		pt->nr_rows++;
	}
	return pt->nr_rows ? 0 : -1;
}

int pagetypeinfo_row(const struct pagetypeinfo *pt, const char *zone, const char *type)
{
	for (int r = 0; r < pt->nr_rows; r++)
		if (!strcmp(pt->row[r].zone, zone) && !strcmp(pt->row[r].type, type))
			return r;
	return -1;
}

/*
 * zoneinfo lines are "key value" after some indentation. The watermark
 * lines ("min", "low", "high") have no colon; the pageset lines
 * ("count:", "high:", "batch:") have one, which tells "high" apart.
 */
int parse_zoneinfo(const char *text, struct zoneinfo *zi)
{
	struct zoneinfo_zone *z = NULL;
	char line[512];
	const char *p = text;

	memset(zi, 0, sizeof(*zi));
	while ((p = next_line(p, line, sizeof(line)))) {
		char key[64], key2[64];
		long long v;

		if (!strncmp(line, "Node ", 5)) {
			if (zi->nr_zones == CLI_MAX_ZONES)
				return -1;
			z = &zi->zone[zi->nr_zones++];
			if (!zone_prefix(line, z->name))
				return -1;
			z->pcp_high = z->pcp_batch = -1;
			continue;
		}
		if (!z)
			return -1;
		if (sscanf(line, " pages %63s %lld", key, &v) == 2 && !strcmp(key, "free")) {
			z->free = (unsigned long)v;
			continue;
		}
		if (sscanf(line, " %63s %lld", key, &v) != 2) {
			if (sscanf(line, " %63s %63s", key, key2) >= 1 && !strcmp(key, "cpu:"))
				z->nr_cpus++;
			continue;
		}
		if (!strcmp(key, "min"))
			z->min = (unsigned long)v;
		else if (!strcmp(key, "low"))
			z->low = (unsigned long)v;
		else if (!strcmp(key, "high"))
			z->high = (unsigned long)v;
		else if (!strcmp(key, "spanned"))
			z->spanned = (unsigned long)v;
		else if (!strcmp(key, "present"))
			z->present = (unsigned long)v;
		else if (!strcmp(key, "managed"))
			z->managed = (unsigned long)v;
		else if (!strcmp(key, "start_pfn:"))
			z->start_pfn = (unsigned long)v;
		else if (!strcmp(key, "cpu:"))
			z->nr_cpus++;
		else if (!strcmp(key, "count:"))
			z->pcp_count += (unsigned long)v;
		else if (!strcmp(key, "high:") && z->pcp_high < 0)
			z->pcp_high = (long)v;
		else if (!strcmp(key, "batch:") && z->pcp_batch < 0)
			z->pcp_batch = (long)v;
	}
	return zi->nr_zones ? 0 : -1;
}

int zoneinfo_zone(const struct zoneinfo *zi, const char *name)
{
	for (int z = 0; z < zi->nr_zones; z++)
		if (!strcmp(zi->zone[z].name, name))
			return z;
	return -1;
}

long long meminfo_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *p = text;
	char line[256];

	while ((p = next_line(p, line, sizeof(line))))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

/*
 * slabinfo 2.1 rows, parsed as procps' slabtop does:
 * "name active num objsize objperslab pagesperslab : tunables l b s :
 * slabdata active_slabs num_slabs sharedavail".
 */
int parse_slabinfo(const char *text, struct slabinfo *si)
{
	const char *p = text;
	char line[512];
	int cap = 0;

	si->nr = 0;
	si->cache = NULL;
	p = next_line(p, line, sizeof(line));
	if (!p || strcmp(line, "slabinfo - version: 2.1"))
		return -1;
	while ((p = next_line(p, line, sizeof(line)))) {
		struct slabinfo_cache c;

		if (line[0] == '#' || !line[0])
			continue;
		memset(&c, 0, sizeof(c));
		if (sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %*u %*u %*u : slabdata %lu %lu %*u",
			   c.name, &c.active_objs, &c.num_objs, &c.objsize, &c.objperslab,
			   &c.pagesperslab, &c.active_slabs, &c.num_slabs) != 8)
			goto bad;
		if (si->nr == cap) {
			struct slabinfo_cache *n;

			cap = cap ? cap * 2 : 64;
			n = realloc(si->cache, (size_t)cap * sizeof(*n));
			if (!n)
				goto bad;
			si->cache = n;
		}
		si->cache[si->nr++] = c;
	}
	return 0;
bad:
	free_slabinfo(si);
	return -1;
}

void free_slabinfo(struct slabinfo *si)
{
	free(si->cache);
	si->cache = NULL;
	si->nr = 0;
}

const struct slabinfo_cache *slabinfo_find(const struct slabinfo *si, const char *name)
{
	for (int i = 0; i < si->nr; i++)
		if (!strcmp(si->cache[i].name, name))
			return &si->cache[i];
	return NULL;
}

/*
 * vmallocinfo lines: "0x%pK-0x%pK %7ld" and then space-separated words,
 * the first of which is the caller unless it is one of the known words
 * (Linux prints no caller for an area without one).
 */
static bool vmallocinfo_word(struct vmallocinfo_area *a, const char *w)
{
	if (!strncmp(w, "pages=", 6))
		a->pages = strtoul(w + 6, NULL, 10);
	else if (!strcmp(w, "ioremap"))
		a->ioremap = true;
	else if (!strcmp(w, "vmalloc"))
		a->vmalloc = true;
	else if (!strcmp(w, "vmap"))
		a->vmap = true;
	else if (!strcmp(w, "user"))
		a->user = true;
	else if (!strcmp(w, "vpages"))
		a->vpages = true;
	else if (!(w[0] == 'N' && strchr(w, '=')) && strncmp(w, "phys=", 5) &&
		 strcmp(w, "sparse") && strcmp(w, "dma-coherent"))
		return false;
	return true;
}

int parse_vmallocinfo(const char *text, struct vmallocinfo *vi)
{
	const char *p = text;
	char line[512];
	int cap = 0;

	vi->nr = 0;
	vi->area = NULL;
	while ((p = next_line(p, line, sizeof(line)))) {
		struct vmallocinfo_area a;
		char *w, *save = NULL;
		int n = 0;

		if (!line[0])
			continue;
		memset(&a, 0, sizeof(a));
		if (sscanf(line, "0x%lx-0x%lx %lu%n", &a.start, &a.end, &a.size, &n) != 3)
			goto bad;
		if (!strcmp(line + n, " unpurged vm_area")) {
			a.unpurged = true;
		} else {
			for (w = strtok_r(line + n, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				if (vmallocinfo_word(&a, w))
					continue;
				if (a.caller[0])
					goto bad;
				snprintf(a.caller, sizeof(a.caller), "%s", w);
			}
		}
		if (vi->nr == cap) {
			struct vmallocinfo_area *na;

			cap = cap ? cap * 2 : 64;
			na = realloc(vi->area, (size_t)cap * sizeof(*na));
			if (!na)
				goto bad;
			vi->area = na;
		}
		vi->area[vi->nr++] = a;
	}
	return 0;
bad:
	free_vmallocinfo(vi);
	return -1;
}

void free_vmallocinfo(struct vmallocinfo *vi)
{
	free(vi->area);
	vi->area = NULL;
	vi->nr = 0;
}

const struct vmallocinfo_area *vmallocinfo_find(const struct vmallocinfo *vi,
						unsigned long start)
{
	for (int i = 0; i < vi->nr; i++)
		if (vi->area[i].start == start)
			return &vi->area[i];
	return NULL;
}

/* "1.000", " 0.987", "-1.000" in thousandths, as the kernel printed it. */
static int parse_index(const char **s, int *out)
{
	long ip, fp;
	char *end;
	bool neg;

	while (**s == ' ')
		(*s)++;
	neg = **s == '-';
	ip = strtol(*s, &end, 10);
	if (end == *s || *end != '.')
		return -1;
	*s = end + 1;
	fp = strtol(*s, &end, 10);
	if (end - *s != 3)
		return -1;
	*s = end;
	*out = (int)(neg ? ip * 1000 - fp : ip * 1000 + fp);
	return 0;
}

/*
 * The report is unusable_index's rows, then extfrag_index's, one row per
 * populated zone each. A line that is not a row (a title) names the
 * section that follows; otherwise a zone seen twice starts the second.
 */
int parse_extfrag(const char *text, struct extfrag *ef)
{
	int section = 0, rows[2] = { 0, 0 };
	const char *p = text;
	char line[512];

	memset(ef, 0, sizeof(*ef));
	while ((p = next_line(p, line, sizeof(line)))) {
		char name[16];
		const char *rest;
		int z;

		if (!line[0])
			continue;
		rest = zone_prefix(line, name);
		if (!rest) {
			if (strstr(line, "extfrag"))
				section = 1;
			else if (strstr(line, "unusable"))
				section = 0;
			continue;
		}
		for (z = 0; z < ef->nr_zones; z++)
			if (!strcmp(ef->zone[z].name, name))
				break;
		if (z < ef->nr_zones && section == 0 && z < rows[0])
			section = 1;
		if (z == ef->nr_zones) {
			if (z == CLI_MAX_ZONES || section)
				return -1;
			memcpy(ef->zone[z].name, name, sizeof(name));
			ef->nr_zones++;
		}
		for (int o = 0; o < CLI_NR_ORDERS; o++) {
			int *v = section ? &ef->zone[z].fragmentation[o] :
					   &ef->zone[z].unusable[o];

			if (parse_index(&rest, v))
				return -1;
		}
		rows[section]++;
	}
	return rows[0] && rows[0] == ef->nr_zones ? 0 : -1;
}

/* ---- Console capture -------------------------------------------------- */

static FILE *capture_file;
static int saved_stderr = -1;

int console_capture_start(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	if (!capture_file)
		return -errno;
	saved_stderr = dup(STDERR_FILENO);
	if (saved_stderr < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0) {
		fclose(capture_file);
		capture_file = NULL;
		return -errno;
	}
	return 0;
}

char *console_capture_end(void)
{
	char *buf;
	long len;

	if (!capture_file)
		return strdup("");
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	len = ftell(capture_file);
	if (len < 0)
		len = 0;
	buf = malloc((size_t)len + 1);
	if (buf) {
		rewind(capture_file);
		len = (long)fread(buf, 1, (size_t)len, capture_file);
		buf[len] = '\0';
	}
	fclose(capture_file);
	capture_file = NULL;
	return buf;
}

const char *fmt_bytes(char *buf, size_t len, unsigned long long bytes)
{
	const unsigned long long MiB = 1ULL << 20, GiB = 1ULL << 30;

	if (bytes >= GiB && bytes % GiB == 0)
		snprintf(buf, len, "%llu GiB", bytes / GiB);
	else if (bytes >= GiB)
		snprintf(buf, len, "%.2f GiB", (double)bytes / (double)GiB);
	else if (bytes >= MiB && bytes % MiB == 0)
		snprintf(buf, len, "%llu MiB", bytes / MiB);
	else if (bytes >= MiB)
		snprintf(buf, len, "%.1f MiB", (double)bytes / (double)MiB);
	else if (bytes % 1024 == 0)
		snprintf(buf, len, "%llu KiB", bytes / 1024);
	else
		snprintf(buf, len, "%llu bytes", bytes);
	return buf;
}
