/*
 * tests/unit/test_racing.c - successive rejection (analysis/racing.c): a
 * candidate 3 standard errors worse than the leader is dropped and one
 * within the noise is kept, the half-width checked against the t quantile
 * computed here; a reserve that cannot pay a round drops the worst by
 * mean, never the leader; two equal candidates are told apart at the rate
 * the confidence states; and over thousands of seeded races against a
 * known truth, the truly best candidate is dropped for noise no more often
 * than the confidence allows.
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

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "analysis/racing.h"

static bo_race_arm arm(double mean, double se, size_t n, double cost)
{
	bo_race_arm a;
	a.mean = mean;
	a.se = se;
	a.n = n;
	a.next_cost = cost;
	a.alive = 1;
	return a;
}

/* Welch's half-width for two arms, from the textbook formulas. */
static double half_width(const bo_race_arm *a, const bo_race_arm *b, double conf)
{
	double v1 = a->se * a->se, v2 = b->se * b->se, v = v1 + v2;
	double df = v * v / (v1 * v1 / (double)(a->n - 1) + v2 * v2 / (double)(b->n - 1));
	return gsl_cdf_tdist_Pinv(0.5 + conf / 2, df) * sqrt(v);
}

static void test_three_se(void **state)
{
	const double se = 0.0237, sd_diff = se * sqrt(2.0);
	bo_race_arm a[4];
	bo_race_drop d[4];
	size_t leader = 99, nd;
	(void)state;
	a[0] = arm(0.8123 - 3.0 * sd_diff, se, 12, 1);   /* 3 standard errors worse */
	a[1] = arm(0.8123 - 1.0 * sd_diff, se, 12, 1);   /* 1: within the noise */
	a[2] = arm(0.8123, se, 12, 1);                   /* the leader */
	a[3] = arm(0.5, se, 1, 1);                       /* far worse, evaluated once */
	a[3].se = NAN;
	nd = bo__race_round(a, 4, 0.95, 100, &leader, d);
	assert_int_equal(leader, 2);
	assert_int_equal(nd, 1);
	assert_int_equal(d[0].arm, 0);
	assert_int_equal(d[0].rule, BO_RACE_NOISE);
	assert_true(fabs(d[0].half - half_width(&a[2], &a[0], 0.95)) < 1e-12);
	assert_true(a[2].mean - a[0].mean > d[0].half);
	assert_true(a[2].mean - a[1].mean <= half_width(&a[2], &a[1], 0.95));
	/* at a confidence whose half-width passes 3 standard errors, it stays */
	nd = bo__race_round(a, 4, 0.999, 100, &leader, d);
	assert_true(half_width(&a[2], &a[0], 0.999) > a[2].mean - a[0].mean);
	assert_int_equal(nd, 0);
	/* a dropped arm is left alone */
	a[0].alive = 0;
	nd = bo__race_round(a, 4, 0.95, 100, &leader, d);
	assert_int_equal(nd, 0);
	assert_int_equal(leader, 2);
}

static void test_budget(void **state)
{
	bo_race_arm a[5];
	bo_race_drop d[5];
	size_t leader = 99, nd, k;
	(void)state;
	a[0] = arm(0.7, NAN, 1, 1.25);
	a[1] = arm(0.9, NAN, 1, 1.25);
	a[2] = arm(0.6, NAN, 1, 1.25);
	a[3] = arm(0.6, NAN, 1, 1.25);   /* ties a[2]: the higher index goes first */
	a[4] = arm(NAN, NAN, 0, 1.25);   /* no value: worst */
	/* 3.75 pays a round for three of them: two leave, worst first */
	nd = bo__race_round(a, 5, 0.95, 3.75, &leader, d);
	assert_int_equal(leader, 1);
	assert_int_equal(nd, 2);
	assert_int_equal(d[0].arm, 4);
	assert_int_equal(d[1].arm, 3);
	for (k = 0; k < nd; k++)
		assert_int_equal(d[k].rule, BO_RACE_BUDGET);
	/* nothing left to pay with: all but the leader leave */
	nd = bo__race_round(a, 5, 0.95, 0, &leader, d);
	assert_int_equal(nd, 4);
	for (k = 0; k < nd; k++)
		assert_true(d[k].arm != 1);
	/* nobody alive */
	for (k = 0; k < 5; k++)
		a[k].alive = 0;
	assert_int_equal(bo__race_round(a, 5, 0.95, 0, &leader, d), 0);
	assert_int_equal(leader, 5);
}

/* Mean and standard error of v[0..n). */
static void stats(const double *v, size_t n, double *mean, double *se)
{
	double s = 0, ss = 0;
	size_t i;
	for (i = 0; i < n; i++)
		s += v[i];
	*mean = s / (double)n;
	for (i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

/* Two candidates with equal true means: one is dropped for noise at rate
 * 1 - confidence (the test is two-sided; the worse of the two leaves). */
static void test_null_rate(void **state)
{
	const size_t sims = 4000, n = 5;
	const double conf = 0.9;
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	size_t s, i, hits = 0, leader;
	double v[5], rate, sd = sqrt((1 - conf) * conf / (double)sims);
	(void)state;
	gsl_rng_set(g, 11);
	for (s = 0; s < sims; s++) {
		bo_race_arm a[2];
		bo_race_drop d[2];
		for (i = 0; i < 2; i++) {
			size_t k;
			for (k = 0; k < n; k++)
				v[k] = 0.731 + gsl_ran_gaussian(g, 0.04);
			a[i] = arm(0, 0, n, 1);
			stats(v, n, &a[i].mean, &a[i].se);
		}
		hits += bo__race_round(a, 2, conf, 10, &leader, d) == 1;
	}
	gsl_rng_free(g);
	rate = (double)hits / (double)sims;
	print_message("equal candidates told apart in %.4f of %zu races (stated %.2f)\n", rate, sims, 1 - conf);
	assert_true(fabs(rate - (1 - conf)) <= 4 * sd);
}

/* Races against a known truth: four candidates, the best by a small gap,
 * each evaluated once by exploration, then rounds of one evaluation per
 * candidate still in while the reserve pays. The best must leave for
 * noise in no more than 1 - confidence of the races, and win most. */
static void test_best_survives(void **state)
{
	enum { K = 4, NMAX = 64 };
	const double truth[K] = {0.74, 0.80, 0.77, 0.71}, sigma = 0.05, conf = 0.95;
	const size_t sims = 3000;
	const double reserve = 40;   /* evaluations, at 1 each */
	gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
	size_t s, noise_lost = 0, won = 0;
	double rate, sd = sqrt((1 - conf) * conf / (double)sims);
	(void)state;
	gsl_rng_set(g, 29);
	for (s = 0; s < sims; s++) {
		double v[K][NMAX], left = reserve;
		bo_race_arm a[K];
		bo_race_drop d[K];
		size_t i, k, leader = K, nalive = K, nd;
		for (i = 0; i < K; i++) {
			a[i] = arm(0, NAN, 1, 1);
			v[i][0] = truth[i] + gsl_ran_gaussian(g, sigma);
			stats(v[i], 1, &a[i].mean, &a[i].se);
		}
		for (;;) {
			nd = bo__race_round(a, K, conf, left, &leader, d);
			for (k = 0; k < nd; k++) {
				a[d[k].arm].alive = 0;
				nalive--;
				if (d[k].arm == 1 && d[k].rule == BO_RACE_NOISE)
					noise_lost++;
			}
			if (nalive <= 1 || left < (double)nalive)
				break;
			for (i = 0; i < K; i++) {
				if (!a[i].alive || a[i].n >= NMAX)
					continue;
				v[i][a[i].n] = truth[i] + gsl_ran_gaussian(g, sigma);
				a[i].n++;
				stats(v[i], a[i].n, &a[i].mean, &a[i].se);
				left -= 1;
			}
		}
		assert_true(left >= 0);
		assert_true(leader < K && a[leader].alive);
		won += leader == 1;
	}
	gsl_rng_free(g);
	rate = (double)noise_lost / (double)sims;
	print_message("the best left for noise in %.4f of %zu races (at most %.2f); it won %.4f\n", rate, sims,
		      1 - conf, (double)won / (double)sims);
	assert_true(rate <= (1 - conf) + 4 * sd);
	assert_true((double)won / (double)sims > 0.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_se),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_null_rate),
		cmocka_unit_test(test_best_survives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
