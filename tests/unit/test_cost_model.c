/*
 * tests/unit/test_cost_model.c - the samplers' cost model's point
 * prediction and cooling exponent (samplers/costmodel.c; its reservation
 * quantile is tests/unit/test_reserve.c's) and cost-aware TPE, which uses
 * them.
 *
 * The point prediction is checked against costs generated here from a
 * known law (float, log-scaled float and choice effects), on points it was
 * not told, beside the best constant prediction; the cooling exponent
 * against the budget arithmetic done here. Cost-aware TPE runs Branin whose evaluation costs 1 to 10 along x1
 * (the bench's problem) under its money budget, against the same TPE with
 * cost_aware 0 and against random search, on the same seeds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"
#include "samplers/sampler.h"
#include "study_parse.h"

static const char LAW_YAML[] = "name: law\n"
			       "space:\n"
			       "  a: {float: [0, 1]}\n"
			       "  lr: {float: [1.0e-4, 1.0e-1], log: true}\n"
			       "  k: {choice: [p, q, r]}\n"
			       "metrics: {y: {}}\nobjectives: [y]\n"
			       "prices: {eval_units: 1}\n"
			       "budget: {money: 500, per_trial: {money: 50}}\n"
			       "evaluator: {command: [\"true\"]}\n";

/* log cost = 0.385 + 2.1 a - 0.7 a^2 + 0.9 u(lr) + (0, 1.3, -0.4)[k] */
static double law(const double *x)
{
	static const double K[3] = {0, 1.3, -0.4};
	double ulr = (log10(x[1]) + 4.0) / 3.0;
	return 0.385 + 2.1 * x[0] - 0.7 * x[0] * x[0] + 0.9 * ulr + K[(int)x[2]];
}

static void draw(bo_rng *r, double *x)
{
	x[0] = bo__rng_uniform(r);
	x[1] = pow(10.0, -4.0 + 3.0 * bo__rng_uniform(r));
	x[2] = (double)(int)(3.0 * bo__rng_uniform(r));
}

static void test_recovers_law(void **state)
{
	bo_study *s = test_parse_study(LAW_YAML);
	bo_costmodel *m = NULL;
	bo_rng r;
	double x[3], err = 0, spread = 0, mean = 0, lv[200];
	int i;
	(void)state;
	bo__rng_seed(&r, 2385);
	assert_int_equal(bo__costmodel_new(&m, s), 0);
	assert_true(bo__costmodel_alpha(m, 10) == 0);   /* nothing told */
	draw(&r, x);
	assert_true(isnan(bo__costmodel_log_mean(m, x)));
	for (i = 0; i < 300; i++) {
		draw(&r, x);
		assert_int_equal(bo__costmodel_add(m, x, exp(law(x))), 0);
	}
	assert_int_equal(bo__costmodel_add(m, x, NAN), 0);   /* unpriced: ignored */
	assert_int_equal(bo__costmodel_count(m), 300);
	for (i = 0; i < 200; i++) {
		draw(&r, x);
		lv[i] = law(x);
		mean += lv[i] / 200;
		err += fabs(bo__costmodel_log_mean(m, x) - lv[i]) / 200;
	}
	for (i = 0; i < 200; i++)
		spread += fabs(lv[i] - mean) / 200;
	print_message("cost model: mean abs error %.4f in log cost (constant prediction %.3f)\n", err,
		      spread);
	/* nearest neighbours: a fraction of what the constant misses */
	assert_true(err < 0.3 * spread);
	bo__costmodel_free(m);
	bo_study_free(s);
}

/* Failed trials: an evaluator that rejects configurations with k = r at
 * once (a cost of 1e-5) must not make the model believe k = r, or its
 * neighbours, are free, nor blow up the calibrated upper quantile; a
 * failure dearer than the prediction is still learnt; and a configuration
 * that failed is never offered as the cheaper one. The same history told
 * the naive way (failures as costs) shows what each check guards. */
static void tell_history(bo_costmodel *m, int naive)
{
	bo_rng r;
	double x[3];
	int i;
	bo__rng_seed(&r, 77);
	for (i = 0; i < 120; i++) {
		draw(&r, x);
		if (x[2] == 2 && naive)
			assert_int_equal(bo__costmodel_add(m, x, 1e-5), 0);
		else if (x[2] == 2)
			assert_int_equal(bo__costmodel_add_failed(m, x, 1e-5), 0);
		else
			assert_int_equal(bo__costmodel_add(m, x, exp(law(x))), 0);
	}
}

/* The median over fresh k = r points of the 90% upper bound over the true
 * cost that k = r would have if it ran (law), and the share covered. */
static void judge(bo_costmodel *m, double *median_ratio, double *covered)
{
	bo_rng r;
	double x[3], ratio[101];
	int i, n = 0, in = 0;
	bo__rng_seed(&r, 78);
	while (n < 101) {
		double up;
		draw(&r, x);
		if (x[2] != 2)
			continue;
		assert_int_equal(bo__costmodel_predict(m, x, 0.9, &up), 0);
		ratio[n++] = up / exp(law(x));
		in += up >= exp(law(x));
	}
	for (i = 1; i < n; i++) {   /* insertion sort: 101 values */
		double v = ratio[i];
		int j = i;
		while (j > 0 && ratio[j - 1] > v) {
			ratio[j] = ratio[j - 1];
			j--;
		}
		ratio[j] = v;
	}
	*median_ratio = ratio[n / 2];
	*covered = (double)in / n;
}

static void test_failed_costs(void **state)
{
	bo_study *s = test_parse_study(LAW_YAML);
	bo_costmodel *m = NULL, *naive = NULL;
	double mr, cov, nmr, ncov, x[3] = {0.5, 1e-3, 2};
	size_t before;
	(void)state;
	assert_int_equal(bo__costmodel_new(&m, s), 0);
	assert_int_equal(bo__costmodel_new(&naive, s), 0);
	tell_history(m, 0);
	tell_history(naive, 1);
	judge(m, &mr, &cov);
	judge(naive, &nmr, &ncov);
	print_message("k = r, 90%% bound / cost if it ran: median %.3g, covered %.2f (naive: %.3g, %.2f)\n",
		      mr, cov, nmr, ncov);
	/* the cheap failures were not learnt: k = r is not predicted free */
	assert_true(bo__costmodel_count(m) < bo__costmodel_count(naive));
	assert_true(mr > 0.5);
	assert_true(nmr < 0.01);    /* the naive model calls k = r free */
	/* a failure dearer than the prediction is learnt */
	before = bo__costmodel_count(m);
	assert_int_equal(bo__costmodel_add_failed(m, x, 1e3), 0);
	assert_int_equal(bo__costmodel_count(m), before + 1);
	assert_int_equal(bo__costmodel_add_failed(m, x, 1e-6), 0);
	assert_int_equal(bo__costmodel_count(m), before + 1);
	bo__costmodel_free(naive);
	bo__costmodel_free(m);
	bo_study_free(s);
}

/* cheaper never offers a configuration told before, failed or not: in a
 * space of four, with three told (one of them failed), the one left is
 * offered even for a proposal that is itself told (the nearest
 * configuration, at distance 0, were told ones allowed); with all four
 * told, none is. */
static void test_cheaper_skips_told(void **state)
{
	bo_study *s = test_parse_study("name: four\nspace:\n  a: {choice: [p, q]}\n  b: {choice: [x, y]}\n"
			    "metrics: {y: {}}\nobjectives: [y]\nprices: {eval_units: 1}\n"
			    "budget: {money: 500}\nevaluator: {command: [\"true\"]}\n");
	static const double C[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
	bo_costmodel *m = NULL;
	double got[2] = {-1, -1}, up;
	int i;
	(void)state;
	assert_int_equal(bo__costmodel_new(&m, s), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(bo__costmodel_add(m, C[i % 2], 3.0 + i), 0);
	assert_int_equal(bo__costmodel_add_failed(m, C[2], 1e-5), 0);
	assert_int_equal(bo__costmodel_cheaper(m, 9, 1, C[0], 0.5, 1e9, got, &up), 0);
	assert_true(got[0] == C[3][0] && got[1] == C[3][1]);
	assert_int_equal(bo__costmodel_add(m, C[3], 4.0), 0);
	assert_int_equal(bo__costmodel_cheaper(m, 9, 2, C[0], 0.5, 1e9, got, &up), BO_DONE);
	bo__costmodel_free(m);
	bo_study_free(s);
}

/* alpha: the share of the budget left after the start-up's spend. */
static void test_alpha(void **state)
{
	bo_study *s = test_parse_study(LAW_YAML);
	bo_costmodel *m = NULL;
	double x[3] = {0.5, 1e-3, 1}, spent = 0, spent0 = 0;
	int i;
	(void)state;
	assert_int_equal(bo__costmodel_new(&m, s), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(bo__costmodel_add(m, x, 7.0), 0);
	assert_true(bo__costmodel_alpha(m, 4) == 0);   /* too few */
	assert_int_equal(bo__costmodel_add(m, x, 7.0), 0);
	assert_true(bo__costmodel_alpha(m, 4) == 0);   /* every cost the same */
	for (i = 5; i < 12; i++)
		assert_int_equal(bo__costmodel_add(m, x, 2.5 + i), 0);
	for (i = 0; i < 12; i++) {
		double c = i < 5 ? 7.0 : 2.5 + i;
		spent += c;
		spent0 += i < 4 ? c : 0;
	}
	assert_true(fabs(bo__costmodel_alpha(m, 4) - (500 - spent) / (500 - spent0)) < 1e-12);
	bo__costmodel_free(m);
	bo_study_free(s);
}

static const char BRANIN_YAML[] = "name: branin-cost\n"
				  "space:\n  x1: {float: [-5, 10]}\n  x2: {float: [0, 15]}\n"
				  "metrics: {y: {minimize: true}}\nobjectives: [y]\n"
				  "prices: {eval_units: 1}\n"
				  "budget: {money: 600, per_trial: {money: 10}}\n"
				  "evaluator: {command: [\"true\"]}\n";

static double branin(const double *x)
{
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
	double q = x[1] - b * x[0] * x[0] + c * x[0] - 6;
	return q * q + 10 * (1 - t) * cos(x[0]) + 10;
}

/* Best value within the money budget (trials start while >= 10 is left);
 * mode 0: tpe cost-blind, 1: tpe cost-aware, 2: random, 3: nsga2
 * (population 20) cost-blind, 4: nsga2 cost-aware. */
static double run_branin(const bo_study *s, int mode, uint64_t seed, int *ntrials)
{
	void *impl = NULL;
	double x[2], best = HUGE_VAL, spent = 0;
	int64_t i;
	const bo_sampler_ops *ops = mode >= 3 ? &bo__nsga2_ops : &bo__tpe_ops;
	if (mode == 2) {
		assert_int_equal(bo__random_create(&impl, s, seed), 0);
	} else if (mode >= 3) {
		assert_int_equal(ops->create(&impl, s, seed), 0);
		assert_int_equal(ops->set_param(impl, "population", 20), 0);
		assert_int_equal(ops->set_param(impl, "cost_aware", mode - 3), 0);
	} else {
		assert_int_equal(bo__tpe_ops.create(&impl, s, seed), 0);
		assert_int_equal(bo__tpe_ops.set_param(impl, "cost_aware", mode), 0);
	}
	for (i = 0; 600 - spent >= 10; i++) {
		bo_observation o;
		double y, cost;
		if (mode == 2)
			assert_int_equal(bo__random_ask(impl, i, x), 0);
		else
			assert_int_equal(ops->ask(impl, i, x), 0);
		y = branin(x);
		cost = 1 + 9 * (x[0] + 5) / 15;
		spent += cost;
		best = y < best ? y : best;
		o.number = i;
		o.x = x;
		o.state = BO_TRIAL_COMPLETE;
		o.nobj = 1;
		o.obj = &y;
		o.ncons = 0;
		o.cons = NULL;
		o.cost = cost;
		if (mode != 2)
			assert_int_equal(ops->tell(impl, &o), 0);
	}
	if (mode == 2)
		bo__random_destroy(impl);
	else
		ops->destroy(impl);
	*ntrials = (int)i;
	return best - 0.397887357729738;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* As bench/samplers.c's branin problem (money 600): the median regret over
 * seeds, as bench/RESULTS.md reports it. */
static void test_cost_aware_tpe(void **state)
{
	enum { SEEDS = 11 };
	bo_study *s = test_parse_study(BRANIN_YAML);
	double reg[3], tr[3] = {0, 0, 0}, r[SEEDS];
	int mode, seed, n;
	(void)state;
	for (mode = 0; mode < 3; mode++) {
		for (seed = 0; seed < SEEDS; seed++) {
			r[seed] = log10(run_branin(s, mode, 40 + (uint64_t)seed, &n));
			tr[mode] += (double)n / SEEDS;
		}
		qsort(r, SEEDS, sizeof *r, by_value);
		reg[mode] = r[SEEDS / 2];
	}
	print_message("branin, money 600: median log10 regret / mean trials bought: cost-blind %.3f / %.1f, "
		      "cost-aware %.3f / %.1f, random %.3f / %.1f\n",
		      reg[0], tr[0], reg[1], tr[1], reg[2], tr[2]);
	/* Cheaper trials, more of them. The regret against cost-blind TPE is
	 * printed, not asserted: over these 11 seeds the two are within noise
	 * (bench/RESULTS.md has the 20-seed comparison). */
	assert_true(tr[1] > 1.3 * tr[0]);
	assert_true(reg[1] < reg[2]);
	bo_study_free(s);
}

/* NSGA-II's cost-frugal offspring on the same problem: more trials for
 * the money than cost-blind NSGA-II, and a median regret no worse than
 * random search's. */
static void test_cost_aware_nsga2(void **state)
{
	enum { SEEDS = 11 };
	bo_study *s = test_parse_study(BRANIN_YAML);
	double reg[5], tr[5] = {0, 0, 0, 0, 0}, r[SEEDS];
	int mode, seed, n;
	(void)state;
	for (mode = 2; mode < 5; mode++) {
		for (seed = 0; seed < SEEDS; seed++) {
			r[seed] = log10(run_branin(s, mode, 60 + (uint64_t)seed, &n));
			tr[mode] += (double)n / SEEDS;
		}
		qsort(r, SEEDS, sizeof *r, by_value);
		reg[mode] = r[SEEDS / 2];
	}
	print_message("branin, money 600: median log10 regret / mean trials bought: nsga2 cost-blind "
		      "%.3f / %.1f, cost-aware %.3f / %.1f, random %.3f / %.1f\n",
		      reg[3], tr[3], reg[4], tr[4], reg[2], tr[2]);
	assert_true(tr[4] > 1.15 * tr[3]);
	assert_true(reg[4] <= reg[2]);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovers_law),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_failed_costs),
		cmocka_unit_test(test_cheaper_skips_told),
		cmocka_unit_test(test_cost_aware_tpe),
		cmocka_unit_test(test_cost_aware_nsga2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
