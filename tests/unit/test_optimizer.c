/*
 * tests/unit/test_optimizer.c - the public ask/tell API (runner/optimizer.c):
 * whole optimisations on studies parsed from YAML text, parameters, labels
 * and inactive parameters, metric and usage validation, pricing checked by
 * hand, the money and trial budgets, best(), misuse, four threads on one
 * handle, and allocation failures at every point of new + ask + tell.
 *
 * Expected costs, budgets and the best trial are computed here from the
 * study's numbers, independently of the library.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/optimizer.h"
#include "budgetopt/study.h"
#include "core/alloc.h"

#define REL_TOL 1e-12

static const char *const LABELS[] = {"plain", "boosted", "tiny"};

/* Prices of the study below, repeated here to price usage by hand. */
#define P_CPU 2.5
#define P_A100 3.4
#define P_L4 0.8
#define CAP 3.0
#define MONEY 40.0

static const char STUDY_A[] =
	"name: api-test\n"
	"seed: 11\n"
	"space:\n"
	"  x1: {float: [-5, 10]}\n"
	"  x2: {float: [0, 15]}\n"
	"  kind: {choice: [plain, boosted, tiny]}\n"
	"  depth: {int: [1, 8], when: {kind: boosted}}\n"
	"prices:\n"
	"  cpu_hours: 2.5\n"
	"  gpu_hours: {l4: 0.8, a100: 3.4}\n"
	"metrics:\n"
	"  y: {minimize: true}\n"
	"  lat: {optional: true}\n"
	"objectives: [y]\n"
	"guardrails:\n"
	"  - \"y <= 60\"\n"
	"budget:\n"
	"  money: 40\n"
	"  per_trial: {money: 3.0}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n"
	"sampler: random\n";

static bo_study *parse(const char *text)
{
	bo_study *s = NULL;
	int rc = bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL);
	if (rc != 0)
		fail_msg("study does not parse: %s", bo_error_last());
	return s;
}

/* Replaces the first occurrence of from in text by to (static buffer). */
static const char *edit(const char *text, const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(text, from);
	size_t k;
	assert_non_null(at);
	k = (size_t)(at - text);
	assert_true(strlen(text) + strlen(to) < sizeof buf);
	memcpy(buf, text, k);
	strcpy(buf + k, to);
	strcat(buf, at + strlen(from));
	return buf;
}

static double branin(double x1, double x2)
{
	const double pi = 3.14159265358979323846;
	double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
	double u = x2 - b * x1 * x1 + c * x1 - 6;
	return u * u + 10 * (1 - t) * cos(x1) + 10;
}

static void assert_close(double a, double b)
{
	if (!(fabs(a - b) <= REL_TOL * fmax(1.0, fmax(fabs(a), fabs(b)))))
		fail_msg("%.17g != %.17g", a, b);
}

/* ---- a whole optimisation ---------------------------------------------- */

static void test_whole_run(void **state)
{
	bo_study *s = parse(STUDY_A);
	bo_optimizer *o = NULL;
	bo_trial *t;
	double spent = 0.0, best = INFINITY, v, x1, x2, kind, depth, cost;
	int64_t best_no = -1, n = 0, no;
	int rc, seen[3] = {0, 0, 0};
	(void)state;

	assert_int_equal(bo_optimizer_new(&o, s, NULL), 0);
	assert_string_equal(bo_optimizer_errmsg(o), "");
	for (;;) {
		double cpu, a100, l4, expect;
		const char *lab;
		rc = bo_optimizer_ask(o, &t);
		if (rc == BO_DONE)
			break;
		assert_int_equal(rc, 0);
		assert_int_equal(bo_trial_number(t), n);
		assert_string_equal(bo_trial_sampler(t), "random");
		assert_int_equal(bo_trial_param(t, "x1", &x1), 0);
		assert_int_equal(bo_trial_param(t, "x2", &x2), 0);
		assert_true(x1 >= -5 && x1 <= 10 && x2 >= 0 && x2 <= 15);
		assert_null(bo_trial_label(t, "x1"));
		assert_int_equal(bo_trial_param(t, "kind", &kind), 0);
		assert_true(kind == 0 || kind == 1 || kind == 2);
		seen[(int)kind]++;
		lab = bo_trial_label(t, "kind");
		assert_non_null(lab);
		assert_string_equal(lab, LABELS[(int)kind]);
		rc = bo_trial_param(t, "depth", &depth);
		if (kind == 1) {
			assert_int_equal(rc, 0);
			assert_true(depth >= 1 && depth <= 8 && depth == floor(depth));
		} else {
			assert_int_equal(rc, BO_DONE);
			assert_true(isnan(depth));
		}
		assert_null(bo_trial_label(t, "depth"));
		assert_int_equal(bo_trial_param(t, "nope", &v), BO_ENOTFOUND);
		assert_non_null(strstr(bo_optimizer_errmsg(o), "nope"));
		assert_null(bo_trial_label(t, "nope"));

		/* metrics and usage are checked before they are kept */
		assert_int_equal(bo_trial_set_metric(t, "accuracy", 1.0), BO_ENOTFOUND);
		assert_non_null(strstr(bo_optimizer_errmsg(o), "accuracy"));
		assert_int_equal(bo_trial_set_metric(t, "y", NAN), BO_EINVAL);
		assert_int_equal(bo_trial_set_metric(t, "y", INFINITY), BO_EINVAL);
		assert_int_equal(bo_trial_add_usage(t, "cpu_hours", -1.0), BO_EINVAL);
		assert_int_equal(bo_trial_add_usage(t, "cpu_hours", NAN), BO_EINVAL);
		assert_int_equal(bo_trial_add_usage(t, "", 1.0), BO_EINVAL);

		v = branin(x1, x2) + (kind == 2 ? 5.0 : 0.0);
		assert_int_equal(bo_trial_set_metric(t, "y", v), 0);
		/* cost ~ varies 10x over x1; gpu on some; unpriced usage costs 0;
		 * usage of one resource added twice sums */
		cpu = 0.1 + 0.9 * (x1 + 5) / 15;
		a100 = kind == 1 ? 0.25 * depth : 0.0;
		l4 = 0.137;
		assert_int_equal(bo_trial_add_usage(t, "cpu_hours", cpu / 2), 0);
		assert_int_equal(bo_trial_add_usage(t, "cpu_hours", cpu / 2), 0);
		assert_int_equal(bo_trial_add_usage(t, "gpu_hours.a100", a100), 0);
		assert_int_equal(bo_trial_add_usage(t, "gpu_hours.l4", l4), 0);
		assert_int_equal(bo_trial_add_usage(t, "api_tokens", 12345.0), 0);
		expect = fmin(cpu * P_CPU + a100 * P_A100 + l4 * P_L4, CAP);
		assert_true(MONEY - spent >= CAP * (1 - 1e-12)); /* the reservation fitted */
		assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, &cost), 0);
		assert_close(cost, expect);
		spent += expect;
		if (v <= 60 && v < best) {
			best = v;
			best_no = n;
		}
		n++;
		assert_int_equal(bo_optimizer_ntold(o), n);
		assert_close(bo_optimizer_spent(o), spent);
	}
	/* stopped by money: the next reservation (the cap) no longer fits */
	assert_null(t);
	assert_true(MONEY - spent < CAP);
	assert_true(spent <= MONEY);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "money budget reached"));
	assert_int_equal(bo_optimizer_ask(o, &t), BO_DONE); /* and stays stopped */
	assert_true(n > 12);
	assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	assert_int_equal(bo_optimizer_best(o, &no, &v), 0);
	assert_int_equal(no, best_no);
	assert_close(v, best);
	bo_optimizer_free(o);
	bo_study_free(s);
}

/* The same seed gives the same trials; another seed others. */
static void test_determinism(void **state)
{
	bo_study *s = parse(STUDY_A);
	bo_optimizer *a = NULL, *b = NULL, *c = NULL;
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	int i, same = 1;
	(void)state;
	opt.has_seed = 1;
	opt.seed = 99;
	assert_int_equal(bo_optimizer_new(&a, s, NULL), 0);
	assert_int_equal(bo_optimizer_new(&b, s, NULL), 0);
	assert_int_equal(bo_optimizer_new(&c, s, &opt), 0);
	for (i = 0; i < 5; i++) {
		bo_trial *ta, *tb, *tc;
		double xa, xb, xc;
		assert_int_equal(bo_optimizer_ask(a, &ta), 0);
		assert_int_equal(bo_optimizer_ask(b, &tb), 0);
		assert_int_equal(bo_optimizer_ask(c, &tc), 0);
		bo_trial_param(ta, "x1", &xa);
		bo_trial_param(tb, "x1", &xb);
		bo_trial_param(tc, "x1", &xc);
		assert_true(xa == xb);
		same &= xa == xc;
		assert_int_equal(bo_optimizer_tell(a, ta, BO_TELL_FAILED, NULL), 0);
		assert_int_equal(bo_optimizer_tell(b, tb, BO_TELL_FAILED, NULL), 0);
		assert_int_equal(bo_optimizer_tell(c, tc, BO_TELL_FAILED, NULL), 0);
	}
	assert_false(same);
	bo_optimizer_free(a);
	bo_optimizer_free(b);
	bo_optimizer_free(c);
	bo_study_free(s);
}

/* ---- budgets ---------------------------------------------------------- */

static void test_trial_budget(void **state)
{
	bo_study *s = parse(edit(STUDY_A, "  money: 40\n", "  trials: 7\n"));
	bo_optimizer *o = NULL;
	bo_trial *t[8];
	int i;
	(void)state;
	assert_int_equal(bo_optimizer_new(&o, s, NULL), 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(bo_optimizer_ask(o, &t[i]), 0);
	assert_int_equal(bo_optimizer_ask(o, &t[7]), BO_DONE);
	assert_null(t[7]);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "trial budget reached (7 trials)"));
	/* telling frees nothing of the trial budget */
	for (i = 0; i < 7; i++)
		assert_int_equal(bo_optimizer_tell(o, t[i], BO_TELL_FAILED, NULL), 0);
	assert_int_equal(bo_optimizer_ask(o, &t[7]), BO_DONE);
	assert_int_equal(bo_optimizer_ntold(o), 7);
	/* failed trials without usage cost nothing; nothing is best */
	assert_true(bo_optimizer_spent(o) == 0.0);
	assert_int_equal(bo_optimizer_best(o, NULL, NULL), BO_DONE);
	bo_optimizer_free(o);
	bo_study_free(s);
}

/* Without a per-trial cap the first trial reserves everything left; later
 * ones 1.25 x the costliest so far (runner.c's rule). */
static void test_reservation_without_cap(void **state)
{
	bo_study *s = parse(edit(STUDY_A, "  per_trial: {money: 3.0}\n", ""));
	bo_study *none = parse(edit(STUDY_A, "{money: 3.0}", "{money: none}"));
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	bo_optimizer *o = NULL;
	bo_trial *t1, *t2, *t3;
	double cost, each = 0.37 * P_CPU;
	int k;
	(void)state;
	opt.parallel = 2;
	assert_int_equal(bo_optimizer_new(&o, s, &opt), 0);
	assert_int_equal(bo_optimizer_ask(o, &t1), 0);
	assert_int_equal(bo_optimizer_ask(o, &t2), BO_DONE);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "tell trial 0"));
	/* The first trial holds the whole budget: its derived cap. */
	assert_close(bo_trial_money_cap(t1), MONEY);
	/* 4 cpu hours: 10.0, under its cap - charged in full */
	assert_int_equal(bo_trial_add_usage(t1, "cpu_hours", 4.0), 0);
	assert_int_equal(bo_optimizer_tell(o, t1, BO_TELL_FAILED, &cost), 0);
	assert_close(cost, 4.0 * P_CPU);
	/* 30 left, reservation 12.5 (1.25 x 10: too few costs for the cost
	 * model), two slots: each cap is a share of what is left, never below
	 * the reservation; the third does not fit */
	assert_int_equal(bo_optimizer_ask(o, &t1), 0);
	assert_close(bo_trial_money_cap(t1), 30.0 / 2);
	assert_int_equal(bo_optimizer_ask(o, &t2), 0);
	assert_close(bo_trial_money_cap(t2), 30.0 - 30.0 / 2);
	assert_int_equal(bo_optimizer_ask(o, &t3), BO_DONE);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "open trials"));
	/* 100 cpu hours (250) are charged its cap, never past the budget */
	assert_int_equal(bo_trial_add_usage(t2, "cpu_hours", 100.0), 0);
	assert_int_equal(bo_optimizer_tell(o, t2, BO_TELL_FAILED, &cost), 0);
	assert_close(cost, 15.0);
	assert_int_equal(bo_optimizer_tell(o, t1, BO_TELL_FAILED, NULL), 0);
	assert_close(bo_optimizer_spent(o), 25.0);
	/* Equal costs from now on: the budget is spent until less than one
	 * trial's cost is left, never past it. */
	for (k = 0; k < 100; k++) {
		int rc = bo_optimizer_ask(o, &t1);
		if (rc == BO_DONE)
			break;
		assert_int_equal(rc, 0);
		assert_true(bo_trial_money_cap(t1) >= each || bo_optimizer_spent(o) + bo_trial_money_cap(t1) >= MONEY - 1e-9);
		assert_int_equal(bo_trial_add_usage(t1, "cpu_hours", 0.37), 0);
		assert_int_equal(bo_optimizer_tell(o, t1, BO_TELL_FAILED, NULL), 0);
		assert_true(bo_optimizer_spent(o) <= MONEY * (1 + 1e-12));
	}
	assert_true(k < 100);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "money budget reached"));
	assert_true(bo_optimizer_spent(o) > MONEY - each);
	bo_optimizer_free(o);
	/* per_trial: {money: none}: no cap, a trial is charged in full. */
	assert_int_equal(bo_optimizer_new(&o, none, NULL), 0);
	assert_int_equal(bo_optimizer_ask(o, &t1), 0);
	assert_true(isnan(bo_trial_money_cap(t1)));
	assert_int_equal(bo_trial_add_usage(t1, "cpu_hours", 20.0), 0);
	assert_int_equal(bo_optimizer_tell(o, t1, BO_TELL_FAILED, &cost), 0);
	assert_close(cost, 20.0 * P_CPU);
	bo_optimizer_free(o);
	bo_study_free(s);
	bo_study_free(none);
}

/* A complete trial without its non-optional metric is failed: charged,
 * never best. The optional metric may be missing. */
static void test_missing_metric(void **state)
{
	bo_study *s = parse(STUDY_A);
	bo_optimizer *o = NULL;
	bo_trial *t;
	double cost, v;
	int64_t no;
	(void)state;
	assert_int_equal(bo_optimizer_new(&o, s, NULL), 0);
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_set_metric(t, "lat", 3.0), 0);
	assert_int_equal(bo_trial_add_usage(t, "cpu_hours", 0.2), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, &cost), 0);
	assert_close(cost, 0.2 * P_CPU);
	assert_int_equal(bo_optimizer_best(o, &no, &v), BO_DONE);
	assert_int_equal(no, -1);
	/* infeasible (y > 60): complete but not best */
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_set_metric(t, "y", 61.0), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL), 0);
	assert_int_equal(bo_optimizer_best(o, &no, &v), BO_DONE);
	/* a failed trial's metrics are ignored */
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_set_metric(t, "y", 1.0), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_FAILED, NULL), 0);
	assert_int_equal(bo_optimizer_best(o, &no, &v), BO_DONE);
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_set_metric(t, "y", 7.25), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL), 0);
	assert_int_equal(bo_optimizer_best(o, &no, &v), 0);
	assert_int_equal(no, 3);
	assert_true(v == 7.25);
	assert_int_equal(bo_optimizer_ntold(o), 4);
	bo_optimizer_free(o);
	bo_study_free(s);
}

/* best() ranks by the score (maximised here), after the guardrails. */
static void test_best_by_score(void **state)
{
	bo_study *s = parse(edit(STUDY_A, "objectives: [y]\n",
				 "objectives: [y, lat]\nscore: \"100 - y - lat\"\n"));
	bo_study *s2 = parse(edit(STUDY_A, "objectives: [y]\n", "objectives: [y, lat]\n"));
	bo_optimizer *o = NULL;
	bo_trial *t;
	static const double Y[] = {50.5, 20.25, 70.0, 30.0}, LAT[] = {1.0, 45.0, 0.5, 2.0};
	double v;
	int64_t no;
	int i;
	(void)state;
	assert_int_equal(bo_optimizer_new(&o, s, NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(bo_optimizer_ask(o, &t), 0);
		bo_trial_set_metric(t, "y", Y[i]);
		bo_trial_set_metric(t, "lat", LAT[i]);
		assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL), 0);
	}
	/* scores 48.5, 34.75, (29.5 infeasible), 68 */
	assert_int_equal(bo_optimizer_best(o, &no, &v), 0);
	assert_int_equal(no, 3);
	assert_close(v, 68.0);
	bo_optimizer_free(o);
	/* two objectives, no score: no single best */
	assert_int_equal(bo_optimizer_new(&o, s2, NULL), 0);
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	bo_trial_set_metric(t, "y", 1.0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL), 0);
	assert_int_equal(bo_optimizer_best(o, &no, &v), BO_DONE);
	bo_optimizer_free(o);
	bo_study_free(s);
	bo_study_free(s2);
}

/* ---- misuse ------------------------------------------------------------ */

static void test_misuse(void **state)
{
	bo_study *s = parse(STUDY_A);
	bo_optimizer *o = NULL, *p = NULL;
	bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
	bo_trial *t, *u;
	double cost = -1;
	(void)state;
	opt.sampler = "simulated-annealing";
	o = (bo_optimizer *)&opt; /* must be reset to NULL */
	assert_int_equal(bo_optimizer_new(&o, s, &opt), BO_EINVAL);
	assert_null(o);
	assert_non_null(strstr(bo_error_last(), "simulated-annealing"));
	opt.sampler = "sobol";
	assert_int_equal(bo_optimizer_new(&o, s, &opt), 0);
	assert_int_equal(bo_optimizer_new(&p, s, NULL), 0);
	assert_int_equal(bo_optimizer_set_param(o, "no_such_option", 1.0), BO_EINVAL);
	assert_string_not_equal(bo_optimizer_errmsg(o), "");

	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_string_equal(bo_trial_sampler(t), "sobol");
	assert_int_equal(bo_optimizer_ask(p, &u), 0);
	/* a trial of another optimizer: refused, and left alone */
	assert_int_equal(bo_optimizer_tell(o, u, BO_TELL_COMPLETE, &cost), BO_EMISUSE);
	assert_true(cost == 0.0);
	assert_non_null(strstr(bo_optimizer_errmsg(o), "not an open trial"));
	assert_int_equal(bo_optimizer_ntold(o), 0);
	assert_int_equal(bo_trial_add_usage(u, "cpu_hours", 1.0), 0);
	assert_int_equal(bo_optimizer_tell(p, u, BO_TELL_FAILED, &cost), 0);
	assert_close(cost, P_CPU);
	/* a pointer that is no trial at all */
	assert_int_equal(bo_optimizer_tell(o, (bo_trial *)&opt, BO_TELL_FAILED, NULL), BO_EMISUSE);
	assert_int_equal(bo_optimizer_tell(o, NULL, BO_TELL_FAILED, NULL), BO_EMISUSE);
	/* told twice */
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_FAILED, NULL), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_FAILED, NULL), BO_EMISUSE);
	assert_int_equal(bo_optimizer_ntold(o), 1);
	/* an unknown state: told as failed (charged), reported as misuse */
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_add_usage(t, "cpu_hours", 0.5), 0);
	assert_int_equal(bo_optimizer_tell(o, t, 7, &cost), BO_EMISUSE);
	assert_close(cost, 0.5 * P_CPU);
	assert_int_equal(bo_optimizer_ntold(o), 2);
	assert_int_equal(bo_optimizer_ask(NULL, &t), BO_EMISUSE);
	/* free with open trials */
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	bo_optimizer_free(o);
	bo_optimizer_free(p);
	bo_optimizer_free(NULL);
	bo_study_free(s);
}

/* ---- threads ----------------------------------------------------------- */

#define NTHREADS 4
#define NTHREAD_TRIALS 200

typedef struct worker {
	bo_optimizer *o;
	double charged;        /* sum of costs this thread was told */
	int64_t numbers[NTHREAD_TRIALS];
	int n;
	int errors;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	bo_trial *t;
	double x1, x2, cost;
	int rc;
	while ((rc = bo_optimizer_ask(w->o, &t)) == 0) {
		w->numbers[w->n++] = bo_trial_number(t);
		if (bo_trial_param(t, "x1", &x1) != 0 || bo_trial_param(t, "x2", &x2) != 0)
			w->errors++;
		if (bo_trial_set_metric(t, "y", branin(x1, x2)) != 0 ||
		    bo_trial_add_usage(t, "cpu_hours", (x1 + 5) / 150.0) != 0)
			w->errors++;
		if (bo_optimizer_tell(w->o, t, w->n % 7 ? BO_TELL_COMPLETE : BO_TELL_FAILED, &cost) != 0)
			w->errors++;
		w->charged += cost;
	}
	if (rc != BO_DONE)
		w->errors++;
	return NULL;
}

static void test_threads(void **state)
{
	bo_study *s = parse(edit(STUDY_A, "  money: 40\n", "  trials: 200\n"));
	bo_optimizer *o = NULL;
	pthread_t th[NTHREADS];
	static worker w[NTHREADS];
	char seen[NTHREAD_TRIALS];
	double total = 0.0;
	int i, j, count = 0;
	(void)state;
	memset(seen, 0, sizeof seen);
	assert_int_equal(bo_optimizer_new(&o, s, NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].o = o;
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(w[i].errors, 0);
		total += w[i].charged;
		for (j = 0; j < w[i].n; j++) {
			int64_t k = w[i].numbers[j];
			assert_true(k >= 0 && k < NTHREAD_TRIALS);
			assert_int_equal(seen[k], 0);
			seen[k] = 1;
			count++;
		}
	}
	assert_int_equal(count, NTHREAD_TRIALS);
	assert_int_equal(bo_optimizer_ntold(o), NTHREAD_TRIALS);
	assert_true(fabs(bo_optimizer_spent(o) - total) <= 1e-9 * total);
	assert_int_equal(bo_optimizer_best(o, NULL, NULL), 0);
	bo_optimizer_free(o);
	bo_study_free(s);
}

/* ---- allocation failures ------------------------------------------------ */

/* new + two asks + usage + tells, with the k-th allocation failing: every
 * call either succeeds or fails cleanly (BO_ENOMEM, nothing leaked: the
 * sanitizer build checks), and the spend stays what was charged. */
static int scenario(const bo_study *s)
{
	bo_optimizer *o = NULL;
	bo_trial *t = NULL, *u = NULL;
	double cost;
	int rc;
	if ((rc = bo_optimizer_new(&o, s, NULL)) < 0) {
		assert_null(o);
		goto done;
	}
	if ((rc = bo_optimizer_ask(o, &t)) < 0) {
		assert_null(t);
		goto done;
	}
	if ((rc = bo_optimizer_ask(o, &u)) < 0)
		goto done;
	bo_trial_set_metric(t, "y", 3.5);
	if ((rc = bo_trial_add_usage(t, "cpu_hours", 0.4)) < 0 ||
	    (rc = bo_trial_add_usage(t, "gpu_hours.l4", 1.0)) < 0)
		goto done;
	rc = bo_optimizer_tell(o, t, BO_TELL_COMPLETE, &cost);
	t = NULL;   /* freed whatever the result */
	/* charged even when telling the sampler ran out of memory */
	assert_close(bo_optimizer_spent(o), 0.4 * P_CPU + P_L4);
	assert_close(cost, 0.4 * P_CPU + P_L4);
	if (rc < 0)
		goto done;
	rc = bo_optimizer_tell(o, u, BO_TELL_FAILED, NULL);
	u = NULL;
	if (rc < 0)
		goto done;
	if ((rc = bo_optimizer_best(o, NULL, &cost)) == 0)
		assert_true(cost == 3.5);
done:
	if (rc < 0)
		assert_int_equal(rc, BO_ENOMEM);
	bo_optimizer_free(o);
	return rc;
}

static void test_alloc_torture(void **state)
{
	static const char *const samplers[] = {"random", "sobol", "auto"};
	size_t k, i, failures = 0;
	(void)state;
	for (i = 0; i < sizeof samplers / sizeof *samplers; i++) {
		char line[64];
		bo_study *s;
		snprintf(line, sizeof line, "sampler: %s\n", samplers[i]);
		s = parse(edit(STUDY_A, "sampler: random\n", line));
		for (k = 1;; k++) {
			int rc;
			bo__alloc_fail_at(k);
			rc = scenario(s);
			bo__alloc_fail_at(0);
			if (rc >= 0)
				break;
			failures++;
			assert_true(k < 10000);
		}
		bo_study_free(s);
	}
	assert_true(failures >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_run),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_trial_budget),
		cmocka_unit_test(test_reservation_without_cap),
		cmocka_unit_test(test_missing_metric),
		cmocka_unit_test(test_best_by_score),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
