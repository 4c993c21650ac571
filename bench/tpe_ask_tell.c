/*
 * bench/tpe_ask_tell.c - TPE's ask + tell at a given history, counted in
 * instructions: the machines are shared, so wall time is noisy and
 * callgrind's counts are what before/after comparisons rest on.
 *
 *   cc -std=c11 -O2 -D_GNU_SOURCE -ffp-contract=off -Iinclude bench/tpe_ask_tell.c \
 *      build/libbudgetopt.a $(pkg-config --libs yaml-0.1 sqlite3 jansson gsl lapacke \
 *      openblas nlopt) -lm -pthread -o /tmp/tpe_ask_tell
 *   valgrind --tool=callgrind --instr-atstart=no /tmp/tpe_ask_tell 1000 10
 *
 * Runs HISTORY trials of a 10-parameter study (mixed, one conditional), then
 * counts (callgrind instrumentation on) the next N asks and tells; prints a
 * checksum of every proposal, so two builds can be checked to propose the
 * same points. Without valgrind it prints the wall and CPU time per ask +
 * tell too.
 * A benchmark helper: never linked into the library or the program.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "budgetopt/optimizer.h"
#include "budgetopt/study.h"

static const char STUDY[] =
	"name: timing\nspace:\n"
	"  a: {float: [0, 1]}\n  b: {float: [-3, 3]}\n  c: {float: [1.0e-4, 1], log: true}\n"
	"  d: {float: [1, 1000], log: true}\n  e: {float: [0, 10]}\n  f: {float: [-1, 1]}\n"
	"  g: {int: [1, 64]}\n  h: {int: [1, 1024], log: true}\n"
	"  i: {choice: [p, q, r, s]}\n  j: {choice: [u, v, w, z], when: {i: p}}\n"
	"metrics: {m1: {minimize: true}}\nobjectives: [m1]\n"
	"evaluator: {command: [none]}\n";

static double clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* This thread's CPU time (not OpenBLAS's idle threads'): on a machine
 * shared with other work, less disturbed than the wall time by waiting for
 * a core. */
static double cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

int main(int argc, char **argv)
{
	static const char *const NAMES[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	bo_study *s = NULL;
	bo_optimizer *o = NULL;
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	long history = argc > 1 ? atol(argv[1]) : 1000, n = argc > 2 ? atol(argv[2]) : 10, k;
	uint64_t sum = 1469598103934665603ull;
	double t0 = 0, c0 = 0;
	if (history < 0 || n < 1 || bo_study_parse(&s, STUDY, strlen(STUDY), "timing", NULL, NULL) != 0) {
		fprintf(stderr, "usage: tpe_ask_tell [HISTORY [N]]\n");
		return 2;
	}
	opt.sampler = "tpe";
	opt.has_seed = 1;
	opt.seed = 3;
	if (bo_optimizer_new(&o, s, &opt) != 0)
		return 1;
	for (k = 0; k < history + n; k++) {
		bo_trial *t;
		double v, m1 = 0;
		size_t p;
		if (k == history) {
			CALLGRIND_START_INSTRUMENTATION;
			t0 = now_s();
			c0 = cpu_s();
		}
		if (bo_optimizer_ask(o, &t) != 0)
			return 1;
		for (p = 0; p < 10; p++) {
			uint64_t bits;
			bo_trial_param(t, NAMES[p], &v);
			memcpy(&bits, &v, sizeof bits);
			sum = (sum ^ bits) * 1099511628211ull;
			if (!isnan(v))
				m1 += (p % 2 ? 1 : -1) * sin(v * (double)(p + 1));
		}
		bo_trial_set_metric(t, "m1", m1);
		bo_optimizer_tell(o, t, k % 17 == 5 ? BO_TELL_FAILED : BO_TELL_COMPLETE, NULL);
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	printf("history %ld: %.4f ms per ask + tell (wall), %.4f ms (CPU), proposals checksum %016llx\n",
	       history, 1e3 * (now_s() - t0) / (double)n, 1e3 * (cpu_s() - c0) / (double)n,
	       (unsigned long long)sum);
	bo_optimizer_free(o);
	bo_study_free(s);
	return 0;
}
