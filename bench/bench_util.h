/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the benchmarks in bench/: clocks (CLOCK_MONOTONIC
 * and the TSC), the host's CPU model, the median of a few rounds, and the
 * host CPUs a worker thread may be pinned to. Header-only (static inline)
 * because each benchmark is one program built from one source file.
 */
#ifndef MMK_BENCH_UTIL_H
#define MMK_BENCH_UTIL_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

/* Most rounds any row may have; median() copies at most this many. */
#define BENCH_MAX_ROUNDS	16

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline uint64_t bench_ticks(void)
{
#if HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

/* The first "cpu MHz" of /proc/cpuinfo, or 0. */
static inline double bench_cpuinfo_mhz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "cpu MHz", 7) && sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1)
			break;
	fclose(f);
	return mhz;
}

static inline void bench_cpuinfo_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *v = strchr(line, ':') + 1;

			while (*v == ' ')
				v++;
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

/*
 * Cycles per ns: TSC ticks counted over 50 ms of CLOCK_MONOTONIC, or off
 * x86 the "cpu MHz" of /proc/cpuinfo; 0 when neither is known. *@source
 * says which.
 */
static inline double bench_calibrate_cycles(const char **source)
{
#if HAVE_TSC
	double t0 = bench_now_ns(), t1;
	uint64_t c0 = bench_ticks();

	do
		t1 = bench_now_ns();
	while (t1 - t0 < 50e6);
	*source = "rdtsc, calibrated against CLOCK_MONOTONIC";
	return (double)(bench_ticks() - c0) / (t1 - t0);
#else
	double mhz = bench_cpuinfo_mhz();

	*source = mhz > 0 ? "ns x cpu MHz from /proc/cpuinfo" : "none";
	return mhz / 1000.0;
#endif
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The benchmarks' shared command line: --quick, --verbose (-v),
 * --rounds N (1..@max_rounds), --help (-h). --quick sets *@rounds to
 * @quick_rounds unless --rounds is given. Returns -1 to go on, or the exit
 * status (0 after --help, 2 after printing @usage for a bad argument).
 */
static inline int bench_parse_args(int argc, char **argv, bool *quick, bool *verbose,
				   int *rounds, int quick_rounds, int max_rounds,
				   void (*usage)(FILE *))
{
	bool rounds_given = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			*quick = true;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			*verbose = true;
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			*rounds = atoi(argv[++i]);
			rounds_given = true;
			if (*rounds < 1 || *rounds > max_rounds) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (*quick && !rounds_given)
		*rounds = quick_rounds;
	return -1;
}

/* Median of @n <= BENCH_MAX_ROUNDS values (the mean of the middle two if n is even). */
static inline double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_ROUNDS];

	if (n > BENCH_MAX_ROUNDS)
		n = BENCH_MAX_ROUNDS;
	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The host CPUs this process may run on, into @cpus[CPU_SETSIZE]; returns how many. */
/*
 * Median, min, max of @n rounds' ns figures and the median of their TSC
 * ticks (derived from the median ns with @tsc_per_ns where there is no TSC);
 * with @verbose, every round on stderr under @name.
 */
static inline void bench_summary(const char *name, const double *ns, const double *cyc,
				 int n, double tsc_per_ns, bool verbose, double *med_ns,
				 double *min_ns, double *max_ns, double *med_cyc)
{
	*med_ns = bench_median(ns, n);
	*min_ns = *max_ns = ns[0];
	for (int i = 1; i < n; i++) {
		if (ns[i] < *min_ns)
			*min_ns = ns[i];
		if (ns[i] > *max_ns)
			*max_ns = ns[i];
	}
	*med_cyc = HAVE_TSC ? bench_median(cyc, n) : *med_ns * tsc_per_ns;
	if (verbose) {
		fprintf(stderr, "  rounds, ns: %-40s", name);
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %.1f", ns[i]);
		fprintf(stderr, "\n");
	}
}

static inline int bench_host_cpus(int *cpus)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

/* Pin the calling thread to host CPU @cpu (no-op if @cpu < 0). */
static inline void bench_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The host's 1-minute load average (-1 if unknown): other processes share
 * these CPUs, and a result is read with it. */
static inline double bench_loadavg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* A target's verdict: a miss is reported, never a failure of the run. */
static inline const char *bench_verdict(bool ok)
{
	return ok ? "PASS" : "MISS";
}

#endif /* MMK_BENCH_UTIL_H */
