/*
 * tests/unit/test_uncertain_calibration.c - are the Monte Carlo's
 * statements calibrated (analysis/uncertain.c)? Over NPROBLEMS synthetic
 * problems, each a study whose inputs and prices are drawn at random from
 * the four parametric families (normal, lognormal by median and p95,
 * uniform, triangular), the Monte Carlo states "v <= Q with probability
 * 0.95" (Q: its 0.95-quantile of a derived metric v that mixes them), and
 * one truth is drawn from the stated distributions by GSL's own samplers
 * (and a triangular inverse written here), independently of the code
 * under test. A calibrated statement holds in 95% of the problems.
 *
 * NPROBLEMS = 4000: the share of hits has a binomial standard error of
 * sqrt(0.95 * 0.05 / 4000) = 0.0034, so the band 95% +/- 1% is 2.9
 * standard errors wide on each side (a calibrated implementation fails it
 * about once in 270 seeds). Each problem's Monte Carlo has its own seed,
 * so that the quantile's sampling error (sd about 0.005 in probability at
 * 2000 draws) averages out instead of repeating in every problem. All
 * seeds are fixed: the test passes or fails the same way on every run.
 *
 * A second check takes the chance constraint itself: each problem's
 * guardrail "v <= B with probability >= 0.95" with B set so that the true
 * probability is known in closed form (a sum of two normals), and the
 * share of problems where the Monte Carlo's probability estimate is on
 * the same side of 0.95 as the truth is compared with what the binomial
 * error of DRAWS draws allows.
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

#include "analysis/configs.h"
#include "analysis/uncertain.h"
#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/csv.h"
#include "core/model.h"
#include "mc_catalog.h"

#define NPROBLEMS 4000
#define DRAWS 2000
#define LEVEL 0.95
#define BAND 0.01
/* the z of the lognormal's p95 as the study file states it */
#define Z95 1.6448536269514722

static bo_study *parse(const char *text)
{
	bo_study *s = NULL;
	bo_diags *d = NULL;
	int rc = bo_study_parse(&s, text, strlen(text), "cal.yaml", NULL, &d);
	if (rc)
		print_error("%s\n%s\n", text, d && bo_diags_count(d) ? bo_diags_get(d, 0) : bo_error_last());
	bo_diags_free(d);
	return rc ? NULL : s;
}

/* Triangular(low, mode, high) by its inverse distribution function
 * (written here, apart from core/dist.c's). */
static double triangular(gsl_rng *r, double lo, double mode, double hi)
{
	double u = gsl_rng_uniform(r), fc = (mode - lo) / (hi - lo);
	if (u < fc)
		return lo + sqrt(u * (hi - lo) * (mode - lo));
	return hi - sqrt((1 - u) * (hi - lo) * (hi - mode));
}

static void test_quantile_statements_hold_95_percent(void **state)
{
	gsl_rng *prob = gsl_rng_alloc(gsl_rng_mt19937), *truth = gsl_rng_alloc(gsl_rng_taus2);
	size_t p, hits = 0;
	double share;
	(void)state;
	assert_non_null(prob);
	assert_non_null(truth);
	gsl_rng_set(prob, 20261206);
	gsl_rng_set(truth, 4242);
	for (p = 0; p < NPROBLEMS; p++) {
		/* the problem: parameters of awkward sizes */
		double mean = gsl_ran_flat(prob, -3, 7), sd = gsl_ran_flat(prob, 0.05, 4);
		double med = gsl_ran_flat(prob, 0.2, 9), p95 = med * gsl_ran_flat(prob, 1.05, 6);
		double ulo = gsl_ran_flat(prob, -2, 2), uhi = ulo + gsl_ran_flat(prob, 0.1, 5);
		double tlo = gsl_ran_flat(prob, 0, 2), tmode = tlo + gsl_ran_flat(prob, 0, 3);
		double thi = tmode + gsl_ran_flat(prob, 0.01, 3), k = gsl_ran_flat(prob, 0.1, 3.5);
		double q, v, sigma = log(p95 / med) / Z95;
		char text[1024], table[64];
		bo_study *s;
		bo_configs c;
		bo_mc mc;
		bo_mc_options o = BO_MC_OPTIONS_INIT;
		snprintf(text, sizeof text,
			 "name: cal\nspace:\n  name: {choice: from_catalog}\n"
			 "inputs:\n  a: {normal: [%.17g, %.17g]}\n"
			 "  b: {lognormal: {median: %.17g, p95: %.17g}}\n"
			 "  c: {uniform: [%.17g, %.17g]}\n"
			 "prices:\n  cpu_hours: {triangular: [%.17g, %.17g, %.17g]}\n"
			 "metrics:\n  k: {}\n"
			 "derived:\n  v: \"k * a + b * c + price.cpu_hours * 2.5\"\n"
			 "catalog: {label: name}\nevaluator:\n  command: [\"true\"]\n",
			 mean, sd, med, p95, ulo, uhi, tlo, tmode, thi);
		snprintf(table, sizeof table, "name,k\nx,%.17g\n", k);
		assert_non_null(s = parse(text));
		o.draws = DRAWS;
		o.seed = 1000 + p;
		o.nq = 1;
		o.q[0] = LEVEL;
		run_catalog(s, table, &c, &mc, &o);
		assert_int_equal(mc.nqty, 1);
		q = mc.quant[0];
		assert_true(isfinite(q));
		/* the truth, from the stated distributions */
		v = k * (mean + gsl_ran_gaussian(truth, sd)) +
		    gsl_ran_lognormal(truth, log(med), sigma) * gsl_ran_flat(truth, ulo, uhi) +
		    triangular(truth, tlo, tmode, thi) * 2.5;
		hits += v <= q;
		bo__mc_clear(&mc);
		bo__configs_clear(&c);
		bo_study_free(s);
	}
	share = (double)hits / NPROBLEMS;
	print_message("\"v <= its 0.95-quantile\" held in %zu of %d problems (%.4f)\n", hits, NPROBLEMS,
		      share);
	assert_true(fabs(share - LEVEL) <= BAND);
	gsl_rng_free(prob);
	gsl_rng_free(truth);
}

/* The chance constraint: v = a + k * b with a, b normal, so that
 * P(v <= B) = Phi((B - mu) / s) exactly. B is set for a true probability
 * spread around 0.95; the Monte Carlo's verdict (estimate >= 0.95) must
 * agree with the truth except where the truth is within the estimate's
 * sampling error of 0.95, and the estimate itself must be within 5
 * binomial standard errors of the truth in every problem. */
static void test_chance_verdicts(void **state)
{
	gsl_rng *prob = gsl_rng_alloc(gsl_rng_mt19937);
	size_t p, wrong = 0, close = 0;
	(void)state;
	assert_non_null(prob);
	gsl_rng_set(prob, 77);
	for (p = 0; p < 1000; p++) {
		double m1 = gsl_ran_flat(prob, -5, 5), s1 = gsl_ran_flat(prob, 0.1, 3);
		double m2 = gsl_ran_flat(prob, 0, 4), s2 = gsl_ran_flat(prob, 0.1, 2);
		double k = gsl_ran_flat(prob, 0.2, 3), target = gsl_ran_flat(prob, 0.9, 0.99);
		double mu = m1 + k * m2, sdv = sqrt(s1 * s1 + k * k * s2 * s2);
		double bound = mu + sdv * gsl_cdf_ugaussian_Pinv(target);
		double exact = gsl_cdf_ugaussian_P((bound - mu) / sdv), est, se;
		char text[1024], table[64];
		bo_study *s;
		bo_configs c;
		bo_mc mc;
		bo_mc_options o = BO_MC_OPTIONS_INIT;
		snprintf(text, sizeof text,
			 "name: cal\nspace:\n  name: {choice: from_catalog}\n"
			 "inputs:\n  a: {normal: [%.17g, %.17g]}\n  b: {normal: [%.17g, %.17g]}\n"
			 "metrics:\n  k: {}\nderived:\n  v: \"a + k * b\"\n"
			 "guardrails:\n  - \"v <= %.17g with probability >= 0.95\"\n"
			 "catalog: {label: name}\nevaluator:\n  command: [\"true\"]\n",
			 m1, s1, m2, s2, bound);
		snprintf(table, sizeof table, "name,k\nx,%.17g\n", k);
		assert_non_null(s = parse(text));
		o.draws = 4000;
		o.seed = 5000 + p;
		run_catalog(s, table, &c, &mc, &o);
		est = mc.prob[0];
		se = sqrt(exact * (1 - exact) / (double)o.draws);
		assert_true(fabs(est - exact) <= 5 * se);
		assert_int_equal(c.v[0].feasible, est >= 0.95);
		if (fabs(exact - 0.95) <= 2 * se)
			close++;
		else if ((est >= 0.95) != (exact >= 0.95))
			wrong++;
		bo__mc_clear(&mc);
		bo__configs_clear(&c);
		bo_study_free(s);
	}
	print_message("chance verdicts: %zu wrong of %zu decided beyond 2 standard errors\n", wrong,
		      1000 - close);
	/* beyond 2 standard errors a wrong side has probability < 2.3% each */
	assert_true((double)wrong <= 0.023 * (double)(1000 - close) + 3 * sqrt(0.023 * (1000 - close)));
	gsl_rng_free(prob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantile_statements_hold_95_percent),
		cmocka_unit_test(test_chance_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
