/*
 * tests/unit/test_repeats.c - repeats and noise (analysis/repeats.c):
 * catalog rows with identical parameters fold into one configuration whose
 * means and standard errors match the textbook formulas computed here;
 * Welch's test against its closed form; and, over thousands of seeded
 * simulations, two configurations with equal true means are called
 * different at the stated rate (then the cheaper wins), and a true
 * difference of 3 standard errors is found as often as the t-distribution
 * says it should be.
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
#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/model.h"
#include "study_parse.h"

static const char STUDY[] =
	"name: t\n"
	"space:\n"
	"  family: {choice: [a, b, c]}\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"  usd: {minimize: true}\n"
	"objectives: [acc, usd]\n"
	"guardrails: [\"usd <= 8.5\"]\n"
	"score: \"acc\"\n"
	"catalog:\n"
	"  columns: {usd: cost}\n";

static int read_table(bo_study *s, const char *text, bo_configs *c)
{
	bo_csv *csv = NULL;
	int rc = bo__csv_parse(&csv, text, strlen(text), "t.csv");
	memset(c, 0, sizeof *c);
	if (rc == 0)
		rc = bo__configs_init(c, s, NULL, 0, NULL);
	if (rc == 0)
		rc = bo__configs_add_csv(c, csv, "t.csv");
	bo__csv_free(csv);
	return rc;
}

static void close_to(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
		fail_msg("%.17g is not %.17g", got, want);
}

/* Means and standard errors against the formulas; feasibility on the mean
 * margin; lowest line number kept; unrepeated and unusable rows untouched. */
static void test_group(void **state)
{
	static const char table[] =
		"family,acc,cost\n"
		"a,2.385,7\n"     /* line 2 */
		"b,1.5,3\n"       /* line 3: alone */
		"a,2.391,9\n"     /* line 4 */
		"c,,1\n"          /* line 5: not usable */
		"a,2.402,8\n"     /* line 6 */
		"c,,1\n";         /* line 7: not usable, not grouped */
	const double acc[3] = {2.385, 2.391, 2.402}, usd[3] = {7, 9, 8};
	bo_study *s = test_parse_study(STUDY);
	bo_configs c;
	double m = 0, sd = 0, mu = 0;
	size_t i;
	(void)state;
	assert_int_equal(read_table(s, table, &c), 0);
	assert_int_equal(c.n, 6);
	/* one repeat breaks usd <= 8.5 (9), the mean (8) does not */
	assert_int_equal(c.v[2].feasible, 0);
	assert_int_equal(bo__configs_group(&c), 0);
	assert_int_equal(c.n, 4);
	for (i = 0; i < 3; i++) {
		m += acc[i] / 3;
		mu += usd[i] / 3;
	}
	for (i = 0; i < 3; i++)
		sd += (acc[i] - m) * (acc[i] - m) / 2;
	sd = sqrt(sd);
	assert_int_equal(c.v[0].id, 2);
	assert_int_equal(c.v[0].nrep, 3);
	close_to(c.v[0].m[0], m);
	close_to(c.v[0].m_se[0], sd / sqrt(3));
	close_to(c.v[0].score, m);
	close_to(c.v[0].score_se, sd / sqrt(3));
	close_to(c.v[0].m[1], mu);
	close_to(c.v[0].margins[0], 8.5 - mu);
	assert_int_equal(c.v[0].feasible, 1);
	assert_null(c.v[0].why);
	assert_int_equal(c.v[1].id, 3);
	assert_int_equal(c.v[1].nrep, 0);
	assert_null(c.v[1].m_se);
	close_to(c.v[1].score, 1.5);
	assert_int_equal(c.v[2].id, 5);
	assert_int_equal(c.v[2].usable, 0);
	assert_int_equal(c.v[3].id, 7);
	assert_int_equal(c.v[3].usable, 0);
	/* a set without repeats is left as it was */
	assert_int_equal(bo__configs_group(&c), 0);
	assert_int_equal(c.n, 4);
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* Grouping with the k-th allocation failing: a clean BO_ENOMEM, and the
 * set can still be freed; once nothing fails, the same result as above. */
static void test_group_alloc_torture(void **state)
{
	static const char table[] = "family,acc,cost\na,1,7\nb,2,3\na,3,9\nb,4,1\n";
	size_t k, allocs;
	int rc = -1, failures = 0;
	(void)state;
	for (k = 1; k < 1000; k++) {
		bo_study *s = test_parse_study(STUDY);
		bo_configs c;
		assert_int_equal(read_table(s, table, &c), 0);
		bo__alloc_fail_at(k);
		rc = bo__configs_group(&c);
		allocs = bo__alloc_fail_at(0);
		if (rc == 0) {
			assert_true(allocs < k);
			assert_int_equal(c.n, 2);
			assert_int_equal(c.v[0].nrep, 2);
			close_to(c.v[0].score, 2);
			close_to(c.v[1].score, 3);
		}
		bo__configs_clear(&c);
		bo_study_free(s);
		if (rc == 0)
			break;
		assert_int_equal(rc, BO_ENOMEM);
		failures++;
	}
	assert_int_equal(rc, 0);
	assert_true(failures >= 3);
}

/* Welch-Satterthwaite by hand: se 0.3 (n 4) and 0.5 (n 6). */
static void test_welch(void **state)
{
	double half, df, v = 0.09 + 0.25, want_df = v * v / (0.0081 / 3 + 0.0625 / 5);
	(void)state;
	assert_int_equal(bo__noise_welch(1.0, 0.3, 4, 1.0 + 1.2, 0.5, 6, 0.95, &half, &df), 0);
	close_to(df, want_df);
	/* the half-width is where the two-sided tail holds 5% */
	assert_true(fabs(gsl_cdf_tdist_Q(half / sqrt(v), df) - 0.025) < 1e-9);
	assert_true(half > 1.2);
	assert_int_equal(bo__noise_welch(1.0, 0.3, 4, 1.0 - half * 1.0001, 0.5, 6, 0.95, &half, &df), 1);
	assert_int_equal(bo__noise_welch(1.0, 0.3, 4, 1.0 - half * 0.9999, 0.5, 6, 0.95, &half, &df), 0);
	/* one evaluation: no estimate */
	assert_int_equal(bo__noise_welch(1.0, 0.3, 1, 2.0, 0.5, 6, 0.95, &half, &df), -1);
	assert_true(isnan(half) && isnan(df));
	/* no spread at all: any difference is real */
	assert_int_equal(bo__noise_welch(1.0, 0, 3, 1.0 + 1e-9, 0, 3, 0.95, &half, &df), 1);
	assert_int_equal(bo__noise_welch(1.0, 0, 3, 1.0, 0, 3, 0.95, &half, &df), 0);
}

/* P(|T| > c) for T noncentral t with nu degrees of freedom and
 * noncentrality delta: T = (Z + delta) / sqrt(V / nu), V ~ chi2(nu), so
 * P = E_V[Q(c sqrt(V/nu) - delta) + P(Z < -c sqrt(V/nu) - delta)],
 * integrated over V by Simpson's rule. */
static double two_sided_power(double c, double nu, double delta)
{
	const size_t steps = 20000;
	double hi = nu + 60 * sqrt(2 * nu), h = hi / (double)steps, sum = 0;
	size_t i;
	for (i = 0; i <= steps; i++) {
		double v = (double)i * h, w = i == 0 || i == steps ? 1 : i % 2 ? 4 : 2;
		double r = c * sqrt(v / nu);
		sum += w * gsl_ran_chisq_pdf(v, nu) * (gsl_cdf_ugaussian_Q(r - delta) + gsl_cdf_ugaussian_P(-r - delta));
	}
	return sum * h / 3;
}

/* Runs sims simulated catalogs: configuration a (usd 10) and b (usd 5),
 * n repeats each with noise sd sigma, true means 0.9 + gap and 0.9. Counts
 * the simulations where the two are told apart; checks each call of the
 * cheaper within the noise. */
static size_t simulate(size_t sims, size_t n, double sigma, double gap, unsigned long seed)
{
	bo_study *s = test_parse_study(STUDY);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	size_t k, i, apart = 0;
	char *table = malloc(64 + n * 2 * 64);
	assert_non_null(rng);
	assert_non_null(table);
	gsl_rng_set(rng, seed);
	for (k = 0; k < sims; k++) {
		bo_configs c;
		bo_select_rule r;
		size_t order[2], norder = 0;
		bo_noise_cmp cmp[2];
		int len = sprintf(table, "family,acc,cost\n"), tie;
		for (i = 0; i < n; i++) {
			len += sprintf(table + len, "a,%.17g,8\n", 0.9 + gap + gsl_ran_gaussian(rng, sigma));
			len += sprintf(table + len, "b,%.17g,5\n", 0.9 + gsl_ran_gaussian(rng, sigma));
		}
		assert_int_equal(read_table(s, table, &c), 0);
		assert_int_equal(bo__configs_group(&c), 0);
		assert_int_equal(c.n, 2);
		memset(&r, 0, sizeof r);
		r.rule = BO_SELECT_SCORE;
		assert_int_equal(bo__axis_parse(&c, "usd", &r.cost), 0);
		assert_int_equal(bo__select_order(&c, &r, order, &norder), 0);
		assert_int_equal(norder, 2);
		tie = bo__select_noise(&c, &r, 0.95, order, norder, cmp);
		assert_true(tie == 0 || tie == 1);
		if (cmp[tie ? 0 : 1].verdict == 1) {
			apart++;
			assert_int_equal(tie, 0);
			assert_true(c.v[order[0]].score > c.v[order[1]].score);
		} else {
			/* within the noise: the cheaper (b, line 3) wins */
			assert_int_equal(cmp[tie ? 0 : 1].verdict, 0);
			assert_int_equal(c.v[order[0]].id, 3);
		}
		bo__configs_clear(&c);
	}
	free(table);
	gsl_rng_free(rng);
	bo_study_free(s);
	return apart;
}

/* Equal true means: told apart in about 5% of 2000 simulations. With equal
 * n the Welch statistic is Student's pooled t (2n - 2 degrees of freedom)
 * and Welch's degrees of freedom lie in [n - 1, 2n - 2], so its rate lies
 * between P(|t_{2n-2}| > t_{0.975, n-1}) and 5%; the check allows four
 * binomial standard deviations around that range. */
static void test_false_difference_rate(void **state)
{
	const size_t sims = 2000, n = 5;
	double nu = 2.0 * (double)n - 2, c1 = gsl_cdf_tdist_Pinv(0.975, (double)n - 1);
	double lo = 2 * gsl_cdf_tdist_Q(c1, nu), hi = 0.05, rate;
	double sd_lo = sqrt(lo * (1 - lo) / (double)sims), sd_hi = sqrt(hi * (1 - hi) / (double)sims);
	(void)state;
	/* the integrator against the central case, a closed form */
	assert_true(fabs(two_sided_power(gsl_cdf_tdist_Pinv(0.975, nu), nu, 0) - 0.05) < 1e-6);
	rate = (double)simulate(sims, n, 0.0137, 0, 20261206) / (double)sims;
	print_message("false-difference rate %.4f, expected in [%.4f, %.4f]\n", rate, lo, hi);
	assert_true(rate >= lo - 4 * sd_lo);
	assert_true(rate <= hi + 4 * sd_hi);
}

/* A true difference of 3 standard errors of the difference (ncp 3): the
 * power lies between the noncentral t tails at the two critical values. */
static void test_power(void **state)
{
	const size_t sims = 2000, n = 10;
	const double sigma = 0.0137, gap = 3 * sigma * sqrt(2.0 / (double)n);
	double nu = 2.0 * (double)n - 2;
	double lo = two_sided_power(gsl_cdf_tdist_Pinv(0.975, (double)n - 1), nu, 3);
	double hi = two_sided_power(gsl_cdf_tdist_Pinv(0.975, nu), nu, 3), power;
	double sd_lo = sqrt(lo * (1 - lo) / (double)sims), sd_hi = sqrt(hi * (1 - hi) / (double)sims);
	(void)state;
	assert_true(lo < hi);
	power = (double)simulate(sims, n, sigma, gap, 7) / (double)sims;
	print_message("power %.4f, expected in [%.4f, %.4f]\n", power, lo, hi);
	assert_true(power >= lo - 4 * sd_lo);
	assert_true(power <= hi + 4 * sd_hi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_group_alloc_torture),
		cmocka_unit_test(test_welch),
		cmocka_unit_test(test_false_difference_rate),
		cmocka_unit_test(test_power),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
