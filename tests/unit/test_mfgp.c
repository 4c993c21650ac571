/*
 * tests/unit/test_mfgp.c - cost-aware multi-fidelity BO (samplers/mfgp.c)
 * and the posterior covariance it relies on (samplers/gp_model.c).
 *
 * The covariance is checked against the textbook formula with a 3x3
 * inverse by cofactors; the proposer's start-up against its stated rule;
 * its effect on Branin with a learning-curve fidelity against the same
 * model restricted to the full fidelity, run here on the same seeds.
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
#include "samplers/gp_model.h"
#include "samplers/mfgp.h"

#include "gp_reference.h"

static void test_cov_closed_form(void **state)
{
	const double X[6] = {0.12, 0.83, 0.47, 0.31, 0.905, 0.66};
	const double y[3] = {2.385, -1.25, 0.731};
	const double th[4] = {log(0.37), log(0.62), log(1.7), log(0.013)};
	const double a[2] = {0.29, 0.58}, b[2] = {0.61, 0.47};
	double K[3][3], Ki[3][3], ka[3], kb[3], s = 0, m = 0, va, vb, cv, ecv, eva, evb, mu, var, work[6];
	bo_gp gp;
	int i, j;
	(void)state;
	assert_int_equal(bo__gp_init(&gp, 2), 0);
	assert_int_equal(bo__gp_set_data(&gp, X, y, 3), 0);
	memcpy(gp.theta, th, sizeof th);
	assert_int_equal(bo__gp_factor(&gp), 0);
	bo__gp_cov(&gp, a, b, work, &va, &vb, &cv);
	for (i = 0; i < 3; i++)
		m += y[i] / 3;
	for (i = 0; i < 3; i++)
		s += (y[i] - m) * (y[i] - m) / 2;
	for (i = 0; i < 3; i++) {
		ka[i] = k52(th, 2, a, X + 2 * i);
		kb[i] = k52(th, 2, b, X + 2 * i);
		for (j = 0; j < 3; j++)
			K[i][j] = k52(th, 2, X + 2 * i, X + 2 * j) + (i == j ? exp(th[3]) : 0);
	}
	inv3(K, Ki);
	ecv = k52(th, 2, a, b);
	eva = evb = exp(th[2]);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			ecv -= ka[i] * Ki[i][j] * kb[j];
			eva -= ka[i] * Ki[i][j] * ka[j];
			evb -= kb[i] * Ki[i][j] * kb[j];
		}
	assert_true(close_rel(cv, ecv * s, 1e-9));
	assert_true(close_rel(va, eva * s, 1e-9));
	assert_true(close_rel(vb, evb * s, 1e-9));
	bo__gp_predict(&gp, a, &mu, &var);
	assert_true(close_rel(var, va, 1e-12));   /* the same variance as the predictions' */
	bo__gp_clear(&gp);
}

static const char STUDY[] = "name: mf\n"
			    "space:\n"
			    "  x1: {float: [-5, 10]}\n"
			    "  epochs: {int: [1, 27]}\n"
			    "  x2: {float: [0, 15]}\n"
			    "metrics:\n"
			    "  y: {maximize: true}\n"
			    "objectives: [y]\n"
			    "fidelity: {param: epochs, min: 1, max: 27, eta: 3, schedule: gp}\n"
			    "evaluator: {command: [\"true\"]}\n";
static const double VALUES[4] = {1, 3, 9, 27};

static bo_study *parse(void)
{
	bo_study *s = NULL;
	bo_diags *dg = NULL;
	int rc = bo_study_parse(&s, STUDY, strlen(STUDY), "test.yaml", NULL, &dg);
	bo_diags_free(dg);
	assert_int_equal(rc, 0);
	assert_int_equal(s->fidelity.schedule, BO_FIDELITY_GP);
	assert_int_equal(s->fidelity.param, 1);
	return s;
}

/* Branin (maximised: its negative) seen through a learning curve: the
 * lower fidelities rank configurations as the full one does, shrunk. */
static double branin(double x1, double x2)
{
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
	return pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * cos(x1) + 10;
}
static double curve(double z)
{
	return (1 - exp(-z / 4.0)) / (1 - exp(-27 / 4.0));
}

static void test_startup(void **state)
{
	bo_study *s = parse();
	bo_mfgp *g = NULL, *h = NULL;
	double x[3], x2[3];
	int64_t k;
	int r;
	(void)state;
	assert_int_equal(bo__mfgp_new(&g, s, 1, VALUES, 4, 7), 0);
	assert_int_equal(bo__mfgp_new(&h, s, 1, VALUES, 4, 7), 0);
	/* the first d + 2 = 5 trials with a value (d: 3 parameters): random, round the rungs from the lowest */
	for (k = 0; k < 5; k++) {
		assert_int_equal(bo__mfgp_ask(g, k, x, &r), 0);
		assert_int_equal(bo__mfgp_ask(h, k, x2, NULL), 0);
		assert_int_equal(r, (int)(k % 4));
		assert_true(x[1] == VALUES[k % 4]);
		assert_true(x[0] >= -5 && x[0] <= 10 && x[2] >= 0 && x[2] <= 15);
		assert_memory_equal(x, x2, sizeof x);   /* same seed, same proposals */
		assert_int_equal(bo__mfgp_observe(g, x, -branin(x[0], x[2]) * curve(x[1]), x[1]), 0);
		/* a failed trial counts for the cost only: the start-up goes on */
		assert_int_equal(bo__mfgp_observe(g, x, NAN, x[1]), 0);
	}
	/* now the model: still a rung's value, and the model's, not the round */
	assert_int_equal(bo__mfgp_ask(g, 5, x, &r), 0);
	assert_true(r >= 0 && r < 4 && x[1] == VALUES[r]);
	bo__mfgp_free(g);
	bo__mfgp_free(h);
	bo_study_free(s);
}

/* Money (sum of z) until a full-fidelity trial with Branin <= target, or
 * the budget (then *reached 0); *low: trials below the full fidelity. */
static double run_one(const bo_study *s, const double *values, int nrungs, uint64_t seed, double budget,
		      double target, int *reached, int *low)
{
	bo_mfgp *g = NULL;
	double x[3], money = 0;
	int64_t k;
	*reached = 0;
	*low = 0;
	assert_int_equal(bo__mfgp_new(&g, s, 1, values, nrungs, seed), 0);
	for (k = 0; money < budget; k++) {
		double f;
		assert_int_equal(bo__mfgp_ask(g, k, x, NULL), 0);
		f = branin(x[0], x[2]);
		money += x[1];
		*low += x[1] < 27;
		if (x[1] == 27 && f <= target) {
			*reached = 1;
			break;
		}
		assert_int_equal(bo__mfgp_observe(g, x, -f * curve(x[1]), x[1]), 0);
	}
	bo__mfgp_free(g);
	return money;
}

static void test_cheaper_than_full_fidelity(void **state)
{
	/* Branin's minimum is 0.397887; the target is within 0.1% of its
	 * range over the box (about 308) of it. (At 1% the full-fidelity GP
	 * hits it within a few trials of its start-up: nothing to save.) */
	const double top[1] = {27}, target = 0.397887 + 0.308, budget = 60 * 27;
	bo_study *s = parse();
	double mf = 0, full = 0;
	int seed, reached, low, nlow = 0, nmf = 0, nfull = 0;
	(void)state;
	for (seed = 1; seed <= 3; seed++) {
		mf += run_one(s, VALUES, 4, (uint64_t)seed, budget, target, &reached, &low);
		nmf += reached;
		nlow += low;
		full += run_one(s, top, 1, (uint64_t)seed, budget, target, &reached, &low);
		nfull += reached;
		assert_int_equal(low, 0);   /* one rung: always the full fidelity */
	}
	print_message("mfgp: money to target %.0f (%d of 3 reached, %d trials below full fidelity); "
		      "full fidelity only: %.0f (%d of 3)\n", mf, nmf, nlow, full, nfull);
	assert_true(nlow > 0);        /* cost-aware: the cheap fidelities are used */
	assert_true(nmf >= nfull);
	assert_true(mf < full);       /* and they save money to the same target */
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cov_closed_form),
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_cheaper_than_full_fidelity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
