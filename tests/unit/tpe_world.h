/*
 * tests/unit/tpe_world.h - what the TPE tests (test_tpe.c, test_tpe_multi.c)
 * share: the sequential ask/tell loop run with TPE or with random search
 * on a problem written here, and the best of its history. Included by one
 * test program each, so its definitions are static; the functions are
 * inline so that a program using only some of them builds without
 * unused-function warnings.
 */
#ifndef BO_TESTS_TPE_WORLD_H
#define BO_TESTS_TPE_WORLD_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "core/trial.h"
#include "samplers/internal.h"
#include "study_parse.h"

#define NSEEDS 4
#define PI 3.14159265358979323846
#define BRANIN_MIN 0.397887357729738

static inline int pidx(const bo_study *s, const char *name)
{
	int i = bo__study_find_param(s, name);
	assert_true(i >= 0);
	return i;
}

/* ---- the loop, for TPE and random ------------------------------------------ */

typedef struct algo {
	int (*create)(void **out, const bo_study *s, uint64_t seed);
	void (*destroy)(void *impl);
	int (*ask)(void *impl, int64_t number, double *x);
	int (*tell)(void *impl, const bo_observation *o); /* NULL: random */
} algo;

static inline algo tpe_algo(void)
{
	algo a = {bo__tpe_ops.create, bo__tpe_ops.destroy, bo__tpe_ops.ask, bo__tpe_ops.tell};
	return a;
}

static inline algo random_algo(void)
{
	algo a = {bo__random_create, bo__random_destroy, bo__random_ask, NULL};
	return a;
}

/* An objective function: fills obj (and cons); returns 0, or 1 when the
 * trial fails. */
typedef int (*problem_fn)(const bo_study *s, const double *x, double *obj, double *cons);

/* Runs n trials sequentially; xs (n * nparams), objs (n * nobj) and cons
 * (n * ncons) get the history (NaN objectives for failures); options are
 * name/value pairs for TPE, terminated by NULL. */
static inline void run_loop(const bo_study *s, algo a, uint64_t seed, size_t n, problem_fn f,
			    double *xs, double *objs, double *cons, const char *const *opt_names,
			    const double *opt_values)
{
	void *impl = NULL;
	size_t d = s->nparams, m = bo__sampler_nobjectives(s), g = s->nguardrails, i, k;
	assert_int_equal(a.create(&impl, s, seed), 0);
	for (k = 0; a.tell && opt_names && opt_names[k]; k++)
		assert_int_equal(bo__tpe_ops.set_param(impl, opt_names[k], opt_values[k]), 0);
	for (i = 0; i < n; i++) {
		bo_observation o;
		double *x = xs + i * d, *ob = objs + i * m, *cs = cons + i * g;
		int failed;
		assert_int_equal(a.ask(impl, (int64_t)i, x), 0);
		assert_int_equal(bo__study_check_config(s, x, NULL, 0), 0);
		failed = f(s, x, ob, cs);
		if (failed) {
			for (k = 0; k < m; k++)
				ob[k] = NAN;
			for (k = 0; k < g; k++)
				cs[k] = NAN;
		}
		o.number = (int64_t)i;
		o.x = x;
		o.state = failed ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
		o.nobj = m;
		o.obj = ob;
		o.ncons = g;
		o.cons = cs;
		o.cost = 1.0;
		if (a.tell)
			assert_int_equal(a.tell(impl, &o), 0);
	}
	a.destroy(impl);
}

/* Best single objective over the first n trials (NaN ignored; with
 * guardrails, only feasible trials count). */
static inline double best_of(const double *objs, const double *cons, size_t g, size_t n)
{
	double best = INFINITY;
	size_t i, k;
	for (i = 0; i < n; i++) {
		int ok = !isnan(objs[i]);
		for (k = 0; k < g; k++)
			ok = ok && cons[i * g + k] >= 0;
		if (ok && objs[i] < best)
			best = objs[i];
	}
	return best;
}

/* Runs both algorithms over NSEEDS seeds; tpe_best/random_best get each
 * seed's best after n trials. */
static inline void compare(const bo_study *s, problem_fn f, size_t n, double *tpe_best,
			   double *random_best)
{
	size_t d = s->nparams, m = bo__sampler_nobjectives(s), g = s->nguardrails, r;
	double *xs = calloc(n * d, sizeof *xs), *objs = calloc(n * m, sizeof *objs);
	double *cons = calloc(n * (g ? g : 1), sizeof *cons);
	assert_true(xs && objs && cons);
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 100 + r, n, f, xs, objs, cons, NULL, NULL);
		tpe_best[r] = best_of(objs, cons, g, n);
		run_loop(s, random_algo(), 100 + r, n, f, xs, objs, cons, NULL, NULL);
		random_best[r] = best_of(objs, cons, g, n);
	}
	free(xs);
	free(objs);
	free(cons);
}

static inline double mean(const double *v, size_t n)
{
	double sum = 0;
	size_t i;
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum / (double)n;
}

#endif
