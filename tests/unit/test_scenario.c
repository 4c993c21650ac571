/*
 * tests/unit/test_scenario.c - scenarios and repeats (issue 10 items 3
 * and 4): the study reader's scenarios:/repeats: (weights, overrides, the
 * view of a study under a scenario, repeat seeds); the runner's unit
 * bookkeeping (runner/units.c: order, the aggregate told once per
 * configuration, resume); and the robust aggregates (analysis/robust.c)
 * against brute force written here independently: CVaR by expanding
 * integer weights into equally likely atoms, regret by rescanning the
 * table for each scenario's best.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "analysis/robust.h"
#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "core/trial.h"
#include "runner/units.h"
#include "study_parse.h"

static const char STUDY[] =
	"name: t\n"
	"seed: 40\n"
	"space:\n"
	"  family: {choice: [a, b]}\n"
	"  lr: {float: [0.001, 1]}\n"
	"inputs:\n"
	"  shift: 0.25\n"
	"  qps: 120\n"
	"prices:\n"
	"  cpu_hours: 0.048\n"
	"  gpu_hours: {l4: 0.8, a100: 3.4}\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"derived:\n"
	"  adj: \"acc - shift + price.gpu_hours['a100']\"\n"
	"objectives: [acc]\n"
	"scenarios:\n"
	"  clean: {weight: 3}\n"
	"  shifted:\n"
	"    inputs: {shift: 0.625}\n"
	"    prices: {gpu_hours: {a100: {normal: [4.5, 0.25]}}, cpu_hours: 0.05}\n"
	"scenario_policy: all\n"
	"repeats: {n: 2, seeds: [7, 9]}\n"
	"evaluator:\n"
	"  command: [ev, \"{scenario}\", \"{repeat}\", \"{seed}\"]\n";

static void test_parse(void **state)
{
	bo_study *s = test_parse_study(STUDY), *v = NULL;
	int pi;
	(void)state;
	assert_int_equal(s->nscenarios, 2);
	assert_int_equal(bo__scenario_count(s), 2);
	assert_string_equal(bo__scenario_name(s, 0), "clean");
	assert_string_equal(bo__scenario_name(s, 1), "shifted");
	assert_int_equal(bo__scenario_find(s, "shifted"), 1);
	assert_int_equal(bo__scenario_find(s, "default"), -1);
	assert_true(fabs(bo__scenario_weight(s, 0) - 3.0 / 4.0) < 1e-15);
	assert_true(fabs(bo__scenario_weight(s, 1) - 1.0 / 4.0) < 1e-15);
	assert_int_equal(s->repeats, 2);
	assert_int_equal(bo__repeat_seed(s, 0), 7);
	assert_int_equal(bo__repeat_seed(s, 1), 9);
	/* the view of "shifted" carries its values; the study keeps its own */
	assert_int_equal(bo__scenario_view(s, 1, &v), 0);
	assert_true(v->inputs[bo__study_find_input(s, "shift")].value == 0.625);
	assert_true(s->inputs[bo__study_find_input(s, "shift")].value == 0.25);
	assert_true(v->inputs[bo__study_find_input(s, "qps")].value == 120);
	pi = bo__study_find_price(s, "gpu_hours");
	assert_true(v->prices.items[pi].values[1] == 4.5);
	assert_non_null(v->prices.items[pi].dists);
	assert_non_null(v->prices.items[pi].dists[1]);
	assert_null(v->prices.items[pi].dists[0]);
	assert_null(s->prices.items[pi].dists);
	assert_true(s->prices.items[pi].values[1] == 3.4);
	assert_true(v->prices.items[bo__study_find_price(s, "cpu_hours")].value == 0.05);
	/* the derived metric reads the scenario's input and price */
	{
		double x[2] = {0, 0.5}, m[1] = {0.875}, dv[1], ds[1];
		bo_eval_ctx c = {v, x, m, dv};
		assert_int_equal(bo__study_derive(&c), 0);
		assert_true(fabs(dv[0] - (0.875 - 0.625 + 4.5)) < 1e-12);
		c.study = s;
		c.derived = ds;
		assert_int_equal(bo__study_derive(&c), 0);
		assert_true(fabs(ds[0] - (0.875 - 0.25 + 3.4)) < 1e-12);
	}
	bo__scenario_view_free(v);
	bo_study_free(s);
}

static void test_defaults(void **state)
{
	static const char T[] = "name: t\nseed: 40\nspace:\n  lr: {float: [0, 1]}\n"
				"metrics: {acc: {}}\nevaluator: {command: [ev]}\n";
	bo_study *s = test_parse_study(T);
	(void)state;
	assert_int_equal(s->nscenarios, 0);
	assert_int_equal(bo__scenario_count(s), 1);
	assert_string_equal(bo__scenario_name(s, 0), "default");
	assert_true(bo__scenario_weight(s, 0) == 1.0);
	assert_int_equal(s->repeats, 1);
	/* without seeds: the study's seed plus the repeat */
	assert_int_equal(bo__repeat_seed(s, 0), 40);
	assert_int_equal(bo__repeat_seed(s, 3), 43);
	bo_study_free(s);
}

/* The list form, and "repeats: N". */
static void test_list_form(void **state)
{
	static const char T[] = "name: t\nspace:\n  lr: {float: [0, 1]}\nmetrics: {acc: {}}\n"
				"scenarios:\n  - {name: x1, weight: 0.5}\n  - name: x2\nrepeats: 4\n"
				"evaluator: {command: [ev]}\n";
	bo_study *s = test_parse_study(T);
	(void)state;
	assert_int_equal(s->nscenarios, 2);
	assert_true(fabs(bo__scenario_weight(s, 0) - 0.5 / 1.5) < 1e-15);
	assert_int_equal(s->repeats, 4);
	assert_int_equal(bo__repeat_seed(s, 2), 2);
	bo_study_free(s);
}

/* Problems come with their line and column. */
static void test_errors(void **state)
{
	static const struct {
		const char *tail;
		const char *want;
	} cases[] = {
		{"scenarios:\n  a: {weight: -1}\n", "t.yaml:6:15: scenario \"a\": weight must be more than 0"},
		{"scenarios:\n  a: {colour: 1}\n", "t.yaml:6:7: unknown key \"colour\" in scenario"},
		{"scenarios:\n  - {name: a}\n  - {name: a}\n", "t.yaml:7:12: scenario \"a\" is listed twice"},
		{"repeats: {n: 2, seeds: [1]}\n", "t.yaml:5:24: repeats: seeds has 1 seeds but n is 2"},
		{"repeats: {n: 0}\n", "t.yaml:5:14: repeats: n"},
		{"scenarios:\n  a: {inputs: {nope: 1}}\n", "t.yaml:6:16: scenario \"a\": unknown input \"nope\""},
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char t[1024];
		bo_study *s = NULL;
		bo_diags *d = NULL;
		snprintf(t, sizeof t, "name: t\nspace:\n  lr: {float: [0, 1]}\nmetrics: {acc: {}}\n%s"
				      "evaluator: {command: [ev]}\n", cases[i].tail);
		assert_int_equal(bo_study_parse(&s, t, strlen(t), "t.yaml", NULL, &d), BO_EINVAL);
		assert_non_null(d);
		if (!strstr(bo_diags_get(d, 0), cases[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, bo_diags_get(d, 0), cases[i].want);
		bo_diags_free(d);
	}
}

/* Units: 2 scenarios x 2 repeats per configuration, launched in order,
 * told once with the mean of the complete units. */
static void test_units(void **state)
{
	bo_study *s = test_parse_study(STUDY);
	bo_units *u = NULL;
	bo_units_told told;
	double xa[2] = {0, 0.5}, xb[2] = {1, 0.25}, x[2];
	size_t sc, k;
	int64_t rep, tok;
	double acc[4] = {0.5, 0.625, 0.75, 0.375};
	(void)state;
	assert_int_equal(bo__units_new(&u, s, s->repeats), 0);
	assert_int_equal(bo__units_per_config(u), 4);
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 0);
	assert_int_equal(bo__units_launched(u, -1, xa, 1), 0);   /* unit 0 of A: trial 1 */
	for (k = 1; k < 4; k++) {
		assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 1);
		assert_true(x[0] == xa[0] && x[1] == xa[1]);
		assert_int_equal(sc, k / 2);
		assert_int_equal(rep, (int64_t)(k % 2));
		assert_int_equal(bo__units_launched(u, tok, x, (int64_t)k + 1), 0);
	}
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 0);
	assert_int_equal(bo__units_launched(u, -1, xb, 5), 0);
	/* B's next unit is taken (held, as while waiting for money) before A
	 * ends: its token must stay valid when A's bookkeeping goes */
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 1);
	assert_true(x[0] == xb[0] && sc == 0 && rep == 1);
	/* A's units end; one fails: the mean is over the three complete ones */
	for (k = 0; k < 4; k++) {
		double m[1] = {acc[k]};
		int rc = bo__units_ended(u, (int64_t)k + 1, k == 2 ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE,
					 m, 0.25 * (double)(k + 1), &told);
		assert_int_equal(rc, k == 3 ? 1 : 0);
	}
	assert_int_equal(told.number, 0);
	assert_int_equal(told.state, BO_TRIAL_COMPLETE);
	assert_true(fabs(told.metrics[0] - (0.5 + 0.625 + 0.375) / 3.0) < 1e-15);
	assert_true(fabs(told.cost - (0.25 + 0.5 + 0.75 + 1.0) / 4.0) < 1e-15);
	assert_true(told.x[0] == xa[0] && told.x[1] == xa[1]);
	assert_int_equal(bo__units_launched(u, tok, xb, 6), 0);
	/* B waits for its other two units */
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 1);
	assert_true(x[0] == xb[0] && sc == 1 && rep == 0);
	bo__units_free(u);

	/* Resume: the ledger holds A's 4 units and B's first 2 (one still
	 * "running" when the runner died, since recovered as failed). */
	assert_int_equal(bo__units_new(&u, s, s->repeats), 0);
	{
		static const char *const scen[6] = {"clean", "clean", "shifted", "shifted", "clean", "clean"};
		static const int64_t reps[6] = {0, 1, 0, 1, 0, 1};
		for (k = 0; k < 6; k++)
			assert_int_equal(bo__units_replay(u, (int64_t)k + 1, k < 4 ? xa : xb, scen[k], reps[k]), 0);
	}
	for (k = 0; k < 4; k++) {
		double m[1] = {acc[k]};
		assert_int_equal(bo__units_ended(u, (int64_t)k + 1, BO_TRIAL_COMPLETE, m, 1.0, &told),
				 k == 3 ? 1 : 0);
	}
	assert_true(fabs(told.metrics[0] - (0.5 + 0.625 + 0.75 + 0.375) / 4.0) < 1e-15);
	/* neither lost nor duplicated: B's next unit is shifted/0, then shifted/1 */
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 1);
	assert_true(x[0] == xb[0] && sc == 1 && rep == 0);
	assert_int_equal(bo__units_launched(u, tok, x, 7), 0);
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 1);
	assert_true(sc == 1 && rep == 1);
	assert_int_equal(bo__units_launched(u, tok, x, 8), 0);
	assert_int_equal(bo__units_next(u, x, &sc, &rep, &tok), 0);
	bo__units_free(u);
	bo_study_free(s);
}

/* ---- robust aggregates against brute force ----------------------------- */

/* CVaR by atoms: scenario s becomes iw[s] equally likely atoms; the worst
 * alpha share is then a whole number of atoms when alpha * sum(iw) is. */
static double cvar_atoms(const double *row, const int *iw, size_t k, double alpha, int goal)
{
	double atoms[256], acc = 0;
	size_t na = 0, i, j, take;
	for (i = 0; i < k; i++)
		for (j = 0; j < (size_t)iw[i]; j++)
			atoms[na++] = row[i];
	/* selection sort, worst first */
	for (i = 0; i < na; i++)
		for (j = i + 1; j < na; j++)
			if (goal * atoms[j] < goal * atoms[i]) {
				double t = atoms[i];
				atoms[i] = atoms[j];
				atoms[j] = t;
			}
	take = (size_t)lround(alpha * (double)na);
	for (i = 0; i < take; i++)
		acc += atoms[i];
	return acc / (double)take;
}

static void test_robust(void **state)
{
	enum { N = 5, K = 4 };
	/* awkward values, a tie between configurations 1 and 3 in scenario 2 */
	static const double v[N * K] = {
		0.812, 0.645, 0.733, 0.590,
		0.790, 0.702, 0.688, 0.655,
		0.905, 0.410, 0.770, 0.512,
		0.760, 0.698, 0.688, 0.701,
		0.833, 0.611, NAN,   0.640,
	};
	static const int iw[K] = {3, 1, 2, 4};   /* weights 0.3 0.1 0.2 0.4 */
	double w[K], out[N];
	bo_robust r;
	size_t i, s;
	int goal;
	(void)state;
	for (s = 0; s < K; s++)
		w[s] = iw[s];     /* not normalised: the kernel must do it */
	for (goal = -1; goal <= 1; goal += 2) {
		static const double alphas[] = {0.1, 0.3, 0.5, 0.7, 1.0};
		size_t a;
		assert_int_equal(bo__robust_parse("mean", &r), 0);
		assert_int_equal(bo__robust_aggregate(&r, v, N, K, w, goal, out), 0);
		for (i = 0; i < N; i++) {
			double e = 0;
			for (s = 0; s < K; s++)
				e += v[i * K + s] * iw[s] / 10.0;
			if (i == 4)
				assert_true(isnan(out[i]));
			else
				assert_true(fabs(out[i] - e) < 1e-12);
		}
		assert_int_equal(bo__robust_parse("worst", &r), 0);
		assert_int_equal(bo__robust_aggregate(&r, v, N, K, w, goal, out), 0);
		for (i = 0; i < N - 1; i++) {
			double e = v[i * K];
			for (s = 1; s < K; s++)
				if (goal * v[i * K + s] < goal * e)
					e = v[i * K + s];
			assert_true(out[i] == e);
		}
		assert_int_equal(bo__robust_parse("spread", &r), 0);
		assert_int_equal(bo__robust_aggregate(&r, v, N, K, w, goal, out), 0);
		for (i = 0; i < N - 1; i++) {
			double lo = 1e9, hi = -1e9;
			for (s = 0; s < K; s++) {
				lo = v[i * K + s] < lo ? v[i * K + s] : lo;
				hi = v[i * K + s] > hi ? v[i * K + s] : hi;
			}
			assert_true(fabs(out[i] - (hi - lo)) < 1e-15);
		}
		assert_int_equal(bo__robust_goal(&r, goal), -1);
		for (a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
			char text[32];
			snprintf(text, sizeof text, a % 2 ? "cvar(%g)" : "cvar:%g", alphas[a]);
			assert_int_equal(bo__robust_parse(text, &r), 0);
			assert_int_equal(bo__robust_aggregate(&r, v, N, K, w, goal, out), 0);
			for (i = 0; i < N - 1; i++) {
				double e = cvar_atoms(&v[i * K], iw, K, alphas[a], goal);
				if (fabs(out[i] - e) > 1e-12)
					fail_msg("cvar %g goal %d row %zu: %.17g, brute force %.17g", alphas[a],
						 goal, i, out[i], e);
			}
		}
		/* regret: each scenario's best over the rows that have it, rescanned */
		assert_int_equal(bo__robust_parse("regret", &r), 0);
		assert_int_equal(bo__robust_aggregate(&r, v, N, K, w, goal, out), 0);
		for (i = 0; i < N - 1; i++) {
			double worst_gap = 0;
			for (s = 0; s < K; s++) {
				double best = NAN, gap;
				size_t j;
				for (j = 0; j < N; j++)
					if (j != 4 /* the row missing a scenario */ &&
					    (isnan(best) || goal * v[j * K + s] > goal * best))
						best = v[j * K + s];
				gap = goal > 0 ? best - v[i * K + s] : v[i * K + s] - best;
				if (gap > worst_gap)
					worst_gap = gap;
			}
			assert_true(fabs(out[i] - worst_gap) < 1e-15);
		}
		assert_true(isnan(out[4]));
	}
	/* one scenario: cvar of any share is the value itself */
	{
		double col[N];
		for (i = 0; i < N; i++)
			col[i] = v[i * K + 1];
		assert_int_equal(bo__robust_parse("cvar:0.2", &r), 0);
		assert_int_equal(bo__robust_aggregate(&r, col, N, 1, NULL, 1, out), 0);
		for (i = 0; i < N; i++)
			assert_true(out[i] == col[i]);
	}
	assert_int_equal(bo__robust_parse("cvar:0", &r), BO_EINVAL);
	assert_int_equal(bo__robust_parse("cvar:1.5", &r), BO_EINVAL);
	assert_int_equal(bo__robust_parse("wrost", &r), BO_EINVAL);
}

/* Fails the k-th allocation for every k: the reader of scenarios and
 * repeats, a scenario's view and the unit bookkeeping end cleanly (no
 * half-built object; valgrind finds no leak). */
static void test_alloc_torture(void **state)
{
	bo_study *base = test_parse_study(STUDY);
	double x[2] = {1, 0.5};
	size_t k;
	int ok;
	(void)state;
	for (ok = 0, k = 1; k < 100000 && !ok; k++) {
		bo_study *s = NULL;
		bo_diags *d = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo_study_parse(&s, STUDY, strlen(STUDY), "t.yaml", NULL, &d);
		bo__alloc_fail_at(0);
		if (rc == 0)
			ok = 1;
		else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(s);
		}
		bo_study_free(s);
		bo_diags_free(d);
	}
	assert_true(ok && k > 20);
	for (ok = 0, k = 1; k < 1000 && !ok; k++) {
		bo_study *v = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__scenario_view(base, 1, &v);
		bo__alloc_fail_at(0);
		if (rc == 0)
			ok = 1;
		else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(v);
		}
		bo__scenario_view_free(v);
	}
	assert_true(ok && k > 3);
	for (ok = 0, k = 1; k < 1000 && !ok; k++) {
		bo_units *u = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__units_new(&u, base, 2);
		if (rc == 0)
			rc = bo__units_launched(u, -1, x, 1);
		bo__alloc_fail_at(0);
		if (rc == 0)
			ok = 1;
		else
			assert_int_equal(rc, BO_ENOMEM);
		bo__units_free(u);
	}
	assert_true(ok && k > 3);
	bo_study_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_list_form),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_robust),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
