/*
 * tests/unit/test_gp.c - Gaussian-process BO (samplers/gp.c) and its model
 * (samplers/gp_model.c).
 *
 * The numerical pieces are checked against independent computations done
 * here: the posterior against the textbook formulas with a 3x3 inverse by
 * cofactors, the likelihood gradient against central differences, EI, PoF
 * and EHVI against Monte Carlo from the posterior with tolerances of 5
 * standard errors (seeded, so a pass or a failure repeats). The sampler is
 * run on Branin, a constrained problem, two objectives and spaces with
 * conditions and constraints, and compared with random search run here.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/analysis.h"
#include "budgetopt/study.h"
#include "core/model.h"
#include "core/trial.h"
#include "samplers/gp_model.h"
#include "samplers/internal.h"
#include "gp_reference.h"
#include "study_parse.h"

#define SE_MULT 5.0

static double normal(bo_rng *r)
{
	double u1 = 1.0 - bo__rng_uniform(r), u2 = bo__rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- the model against closed forms -------------------------------------- */

static void test_posterior_closed_form(void **state)
{
	const double X[6] = {0.12, 0.83, 0.47, 0.31, 0.905, 0.66};
	const double y[3] = {2.385, -1.25, 0.731};
	const double th[4] = {log(0.37), log(0.62), log(1.7), log(0.013)};
	const double xs[2] = {0.29, 0.58};
	double K[3][3], Ki[3][3], ys[3], k[3], m = 0, s = 0, mu, var, mu2, var2, emu = 0, evar;
	bo_gp gp;
	int i, j;
	(void)state;

	assert_int_equal(bo__gp_init(&gp, 2), 0);
	assert_int_equal(bo__gp_set_data(&gp, X, y, 3), 0);
	memcpy(gp.theta, th, sizeof th);
	assert_int_equal(bo__gp_factor(&gp), 0);
	bo__gp_predict(&gp, xs, &mu, &var);
	bo__gp_predict_many(&gp, xs, 1, &mu2, &var2);

	for (i = 0; i < 3; i++)
		m += y[i] / 3;
	for (i = 0; i < 3; i++)
		s += (y[i] - m) * (y[i] - m) / 2;
	s = sqrt(s);
	for (i = 0; i < 3; i++) {
		ys[i] = (y[i] - m) / s;
		k[i] = k52(th, 2, xs, X + 2 * i);
		for (j = 0; j < 3; j++)
			K[i][j] = k52(th, 2, X + 2 * i, X + 2 * j) + (i == j ? exp(th[3]) : 0);
	}
	inv3(K, Ki);
	evar = exp(th[2]);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			emu += k[i] * Ki[i][j] * ys[j];
			evar -= k[i] * Ki[i][j] * k[j];
		}
	emu = m + s * emu;
	evar *= s * s;
	assert_true(close_rel(mu, emu, 1e-9));
	assert_true(close_rel(var, evar, 1e-9));
	assert_true(close_rel(mu2, emu, 1e-9));
	assert_true(close_rel(var2, evar, 1e-9));
	assert_true(gp.jitter == 0.0);
	bo__gp_clear(&gp);
}

static void test_lml_value_and_gradient(void **state)
{
	enum { N = 9, D = 3 };
	double X[N * D], y[N], th[D + 2], g[D + 2], v, vp, vm, tp[D + 2];
	bo_rng r;
	bo_gp gp;
	size_t i, k;
	int prior;
	(void)state;

	bo__rng_seed(&r, 17);
	for (i = 0; i < N * D; i++)
		X[i] = bo__rng_uniform(&r);
	for (i = 0; i < N; i++)
		y[i] = sin(6 * X[i * D]) + X[i * D + 1] * X[i * D + 2] * 2.385;
	th[0] = log(0.41);
	th[1] = log(0.93);
	th[2] = log(0.27);
	th[3] = log(1.31);
	th[4] = log(0.021);
	assert_int_equal(bo__gp_init(&gp, D), 0);
	assert_int_equal(bo__gp_set_data(&gp, X, y, N), 0);
	for (prior = 0; prior <= 1; prior++) {
		assert_int_equal(bo__gp_lml(&gp, th, prior, &v, g), 0);
		for (k = 0; k < D + 2; k++) {
			double h = 1e-5;
			memcpy(tp, th, sizeof th);
			tp[k] = th[k] + h;
			assert_int_equal(bo__gp_lml(&gp, tp, prior, &vp, NULL), 0);
			tp[k] = th[k] - h;
			assert_int_equal(bo__gp_lml(&gp, tp, prior, &vm, NULL), 0);
			assert_true(fabs((vp - vm) / (2 * h) - g[k]) <= 1e-6 * (1 + fabs(g[k])));
		}
	}
	bo__gp_clear(&gp);

	/* The value on 3 points against -1/2 y^T K^-1 y - 1/2 log|K| - 3/2 log 2pi. */
	{
		const double X3[3] = {0.1, 0.55, 0.87}, y3[3] = {1.5, -0.25, 0.9};
		const double t3[3] = {log(0.3), log(1.2), log(0.05)};
		double K[3][3], Ki[3][3], ys[3], mean = (1.5 - 0.25 + 0.9) / 3, sd = 0, det, q = 0;
		int a, b;
		for (a = 0; a < 3; a++)
			sd += (y3[a] - mean) * (y3[a] - mean) / 2;
		sd = sqrt(sd);
		for (a = 0; a < 3; a++) {
			ys[a] = (y3[a] - mean) / sd;
			for (b = 0; b < 3; b++)
				K[a][b] = k52(t3, 1, X3 + a, X3 + b) + (a == b ? exp(t3[2]) : 0);
		}
		det = inv3(K, Ki);
		for (a = 0; a < 3; a++)
			for (b = 0; b < 3; b++)
				q += ys[a] * Ki[a][b] * ys[b];
		assert_int_equal(bo__gp_init(&gp, 1), 0);
		assert_int_equal(bo__gp_set_data(&gp, X3, y3, 3), 0);
		assert_int_equal(bo__gp_lml(&gp, t3, 0, &v, NULL), 0);
		assert_true(close_rel(v, -0.5 * q - 0.5 * log(det) - 1.5 * log(2 * M_PI), 1e-9));
		bo__gp_clear(&gp);
	}
}

static void test_fit_improves_likelihood(void **state)
{
	enum { N = 20 };
	double X[N], y[N], v0, v1;
	bo_rng r;
	bo_gp gp;
	size_t i;
	(void)state;
	bo__rng_seed(&r, 3);
	for (i = 0; i < N; i++) {
		X[i] = (double)i / (N - 1);
		y[i] = sin(9 * X[i]);
	}
	assert_int_equal(bo__gp_init(&gp, 1), 0);
	assert_int_equal(bo__gp_set_data(&gp, X, y, N), 0);
	assert_int_equal(bo__gp_lml(&gp, gp.pm, 1, &v0, NULL), 0);
	assert_int_equal(bo__gp_fit(&gp, &r, 2, 300), 0);
	assert_int_equal(bo__gp_lml(&gp, gp.theta, 1, &v1, NULL), 0);
	assert_true(v1 > v0);
	/* A smooth noiseless function: the fit interpolates. */
	assert_int_equal(bo__gp_factor(&gp), 0);
	{
		double mu, var, xq = 0.5 / (N - 1) + 0.5;
		bo__gp_predict(&gp, &xq, &mu, &var);
		assert_true(fabs(mu - sin(9 * xq)) < 0.05);
	}
	bo__gp_clear(&gp);
}

/* ---- acquisition kernels against Monte Carlo ------------------------------ */

static void test_ei_pof_monte_carlo(void **state)
{
	enum { M = 1000000 };
	const double cases[4][3] = {{0.3, 1.7, -0.2}, {-1.1, 0.45, -0.9}, {2.385, 0.8, 2.5},
				    {0.0, 2.0, -3.5}};
	bo_rng r;
	size_t c, i;
	(void)state;
	bo__rng_seed(&r, 99);
	for (c = 0; c < 4; c++) {
		double mu = cases[c][0], sd = cases[c][1], best = cases[c][2];
		double s = 0, s2 = 0, p = 0, mean, se, pm, pse;
		for (i = 0; i < M; i++) {
			double yv = mu + sd * normal(&r), imp = best - yv > 0 ? best - yv : 0;
			s += imp;
			s2 += imp * imp;
			p += yv >= 0;
		}
		mean = s / M;
		se = sqrt((s2 / M - mean * mean) / M);
		pm = p / M;
		pse = sqrt(pm * (1 - pm) / M);
		assert_true(fabs(bo__gp_ei(mu, sd, best) - mean) <= SE_MULT * se);
		assert_true(fabs(bo__gp_pof(mu, sd) - pm) <= SE_MULT * pse + 1e-12);
		assert_true(fabs(bo__gp_log_ei(mu, sd, best) - log(bo__gp_ei(mu, sd, best))) < 1e-9);
	}
	/* The tails: log forms agree with the direct ones where both hold. */
	for (c = 0; c < 6; c++) {
		double z = -6.5 - (double)c * 1.5;
		double direct = log(1.3 * (z * 0.5 * erfc(-z / M_SQRT2) + exp(-z * z / 2) /
								       sqrt(2 * M_PI)));
		assert_true(fabs(bo__gp_log_ei(0.0, 1.3, 1.3 * z) - direct) < 1e-3 * fabs(direct));
		assert_true(fabs(bo__gp_log_Phi(z) - log(0.5 * erfc(-z / M_SQRT2))) < 1e-12 * z * z);
	}
	/* Past erfc's range the series still decreases smoothly. */
	assert_true(fabs(bo__gp_log_Phi(-30.0 - 1e-9) - log(0.5 * erfc(30.0 / M_SQRT2))) < 1e-6);
	assert_true(isfinite(bo__gp_log_Phi(-60.0)) && bo__gp_log_Phi(-60.0) < bo__gp_log_Phi(-50.0));
	assert_true(isfinite(bo__gp_log_ei(0.0, 1.0, -45.0)));
	assert_true(bo__gp_log_ei(0.0, 1.0, -45.0) < bo__gp_log_ei(0.0, 1.0, -40.0));
}

/* Hypervolume improvement of y over a 2-D front, by boxes (independent
 * of bo_hypervolume): the area of [y, ref] not dominated by the front. */
static double hvi2(const double *front, size_t n, const double *ref, const double *y)
{
	/* Grid of the distinct coordinates: exact for axis-parallel boxes. */
	double xs[16], ys[16], area = 0;
	size_t nx = 0, ny = 0, i, j, k;
	if (!(y[0] < ref[0] && y[1] < ref[1]))
		return 0;
	xs[nx++] = y[0];
	ys[ny++] = y[1];
	xs[nx++] = ref[0];
	ys[ny++] = ref[1];
	for (i = 0; i < n; i++) {
		if (front[2 * i] > y[0] && front[2 * i] < ref[0])
			xs[nx++] = front[2 * i];
		if (front[2 * i + 1] > y[1] && front[2 * i + 1] < ref[1])
			ys[ny++] = front[2 * i + 1];
	}
	for (i = 0; i + 1 < nx; i++)
		for (j = i + 1; j < nx; j++)
			if (xs[j] < xs[i]) {
				double t = xs[i];
				xs[i] = xs[j];
				xs[j] = t;
			}
	for (i = 0; i + 1 < ny; i++)
		for (j = i + 1; j < ny; j++)
			if (ys[j] < ys[i]) {
				double t = ys[i];
				ys[i] = ys[j];
				ys[j] = t;
			}
	for (i = 0; i + 1 < nx; i++)
		for (j = 0; j + 1 < ny; j++) {
			double cx = (xs[i] + xs[i + 1]) / 2, cy = (ys[j] + ys[j + 1]) / 2;
			int dom = 0;
			for (k = 0; k < n; k++)
				if (front[2 * k] <= cx && front[2 * k + 1] <= cy)
					dom = 1;
			if (!dom)
				area += (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j]);
		}
	return area;
}

static void test_ehvi_monte_carlo(void **state)
{
	enum { MS = 20000, MB = 400000 };
	const double front[6] = {0.2, 0.9, 0.45, 0.5, 0.8, 0.15};
	const double ref[2] = {1.1, 1.2};
	const double mu[2] = {0.5, 0.45}, sd[2] = {0.2, 0.3};
	double *z = malloc(MS * 2 * sizeof *z), work[8], hv, e, s = 0, s2 = 0, mean, se;
	bo_rng r;
	size_t i;
	(void)state;
	assert_non_null(z);
	bo__rng_seed(&r, 2024);
	for (i = 0; i < MS * 2; i++)
		z[i] = normal(&r);
	assert_int_equal(bo_hypervolume(front, 3, 2, ref, &hv, NULL), 0);
	assert_int_equal(bo__gp_ehvi_mc(front, 3, 2, ref, hv, mu, sd, z, MS, work, &e), 0);
	for (i = 0; i < MB; i++) {
		double yv[2];
		double h;
		yv[0] = mu[0] + sd[0] * normal(&r);
		yv[1] = mu[1] + sd[1] * normal(&r);
		h = hvi2(front, 3, ref, yv);
		s += h;
		s2 += h * h;
	}
	mean = s / MB;
	/* Both estimates have about this variance per draw. */
	se = sqrt((s2 / MB - mean * mean) * (1.0 / MB + 1.0 / MS));
	assert_true(mean > 0.01);
	assert_true(fabs(e - mean) <= SE_MULT * se);
	free(z);
}

/* ---- the sampler ------------------------------------------------------------ */

/* An evaluation: objectives, guardrail margins and cost of x; returns the
 * trial state. */
typedef int (*evalfn)(const double *x, double *obj, double *cons, double *cost);

typedef struct run_out {
	double *x;      /* n * nparams */
	double *obj;    /* n * nobj */
	double *cons;   /* n * ncons */
	double *cost;   /* n */
	int *state;
} run_out;

static void run_free(run_out *o)
{
	free(o->x);
	free(o->obj);
	free(o->cons);
	free(o->cost);
	free(o->state);
}

/* n sequential ask/tell trials with the gp sampler (random = 1: random
 * search instead), stopping early once money is spent past budget. */
static size_t run(const bo_study *s, uint64_t seed, size_t n, evalfn f, int random, int cost_aware,
		  double money, run_out *o)
{
	void *impl = NULL;
	size_t i, np = s->nparams, no = bo__sampler_nobjectives(s), nc = s->nguardrails;
	double spent = 0;
	o->x = calloc(n * np, sizeof *o->x);
	o->obj = calloc(n * no + 1, sizeof *o->obj);
	o->cons = calloc(n * nc + 1, sizeof *o->cons);
	o->cost = calloc(n, sizeof *o->cost);
	o->state = calloc(n, sizeof *o->state);
	assert_true(o->x && o->obj && o->cons && o->cost && o->state);
	if (random) {
		assert_int_equal(bo__random_create(&impl, s, seed), 0);
	} else {
		assert_int_equal(bo__gp_ops.create(&impl, s, seed), 0);
		assert_int_equal(bo__gp_ops.set_param(impl, "cost_aware", cost_aware), 0);
	}
	for (i = 0; i < n && !(spent >= money); i++) {
		bo_observation ob;
		double *x = o->x + i * np;
		if (random)
			assert_int_equal(bo__random_ask(impl, (int64_t)i, x), 0);
		else
			assert_int_equal(bo__gp_ops.ask(impl, (int64_t)i, x), 0);
		o->state[i] = f(x, o->obj + i * no, o->cons + i * nc, &o->cost[i]);
		spent += o->cost[i];
		ob.number = (int64_t)i;
		ob.x = x;
		ob.state = o->state[i];
		ob.nobj = no;
		ob.obj = o->obj + i * no;
		ob.ncons = nc;
		ob.cons = o->cons + i * nc;
		ob.cost = o->cost[i];
		if (!random)
			assert_int_equal(bo__gp_ops.tell(impl, &ob), 0);
	}
	if (random)
		bo__random_destroy(impl);
	else
		bo__gp_ops.destroy(impl);
	return i;
}

static double best_of(const run_out *o, size_t n)
{
	double b = HUGE_VAL;
	size_t i;
	for (i = 0; i < n; i++)
		if (o->state[i] == BO_TRIAL_COMPLETE && o->obj[i] < b)
			b = o->obj[i];
	return b;
}

static const char BRANIN_YAML[] = "name: branin\n"
				  "space:\n"
				  "  x1: {float: [-5, 10]}\n"
				  "  x2: {float: [0, 15]}\n"
				  "metrics: {f: {minimize: true}}\n"
				  "objectives: [f]\n"
				  "evaluator: {command: [\"true\"]}\n";

static double branin(double x1, double x2)
{
	double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
	double q = x2 - b * x1 * x1 + c * x1 - 6;
	return q * q + 10 * (1 - t) * cos(x1) + 10;
}

static int eval_branin(const double *x, double *obj, double *cons, double *cost)
{
	(void)cons;
	obj[0] = branin(x[0], x[1]);
	*cost = 1.0;
	return BO_TRIAL_COMPLETE;
}

static void test_branin(void **state)
{
	enum { N = 40, NRAND = 20 };
	bo_study *s = test_parse_study(BRANIN_YAML);
	run_out o, r;
	double best, rsum = 0;
	uint64_t k;
	(void)state;
	assert_int_equal(run(s, 7, N, eval_branin, 0, 1, HUGE_VAL, &o), N);
	best = best_of(&o, N);
	print_message("branin: gp best after %d = %.6f\n", N, best);
	assert_true(best < 0.5);
	assert_true(best >= 0.397887 - 1e-6);
	for (k = 0; k < NRAND; k++) {
		run(s, 1000 + k, N, eval_branin, 1, 0, HUGE_VAL, &r);
		rsum += best_of(&r, N);
		run_free(&r);
	}
	print_message("branin: random search mean best after %d = %.6f\n", N, rsum / NRAND);
	assert_true(best < rsum / NRAND);
	run_free(&o);
	bo_study_free(s);
}

static void test_determinism_and_resume(void **state)
{
	enum { N = 16 };
	bo_study *s = test_parse_study(BRANIN_YAML);
	run_out a, b;
	void *impl = NULL;
	double x[2];
	size_t i;
	(void)state;
	run(s, 11, N, eval_branin, 0, 1, HUGE_VAL, &a);
	run(s, 11, N, eval_branin, 0, 1, HUGE_VAL, &b);
	assert_memory_equal(a.x, b.x, sizeof(double) * N * 2);
	run_free(&b);
	run(s, 12, N, eval_branin, 0, 1, HUGE_VAL, &b);
	assert_memory_not_equal(a.x, b.x, sizeof(double) * N * 2);
	/* A fresh sampler told the first N-1 trials asks trial N-1's point. */
	assert_int_equal(bo__gp_ops.create(&impl, s, 11), 0);
	for (i = 0; i + 1 < N; i++) {
		bo_observation ob = {(int64_t)i, a.x + 2 * i, BO_TRIAL_COMPLETE, 1, a.obj + i, 0,
				     NULL, a.cost[i]};
		assert_int_equal(bo__gp_ops.tell(impl, &ob), 0);
	}
	assert_int_equal(bo__gp_ops.ask(impl, N - 1, x), 0);
	assert_memory_equal(x, a.x + 2 * (N - 1), sizeof x);
	/* Pending trials (kriging believer): parallel asks differ. */
	{
		double x2[2], x3[2];
		assert_int_equal(bo__gp_ops.ask(impl, N, x2), 0);
		assert_int_equal(bo__gp_ops.ask(impl, N + 1, x3), 0);
		assert_true(x2[0] != x3[0] || x2[1] != x3[1]);
		assert_true(x[0] != x2[0] || x[1] != x2[1]);
	}
	assert_int_equal(bo__gp_ops.set_param(impl, "no_such", 1), BO_EINVAL);
	assert_int_equal(bo__gp_ops.set_param(impl, "cost_aware", 2), BO_EINVAL);
	assert_int_equal(bo__gp_ops.set_param(impl, "n_startup", 3), 0);
	bo__gp_ops.destroy(impl);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* Guardrail g = x1 + x2 <= 1 on f = (x1 - 0.8)^2 + (x2 - 0.8)^2 over
 * [0, 1]^2: the optimum 0.18 sits on the boundary at (0.5, 0.5). */
static const char CONS_YAML[] = "name: guard\n"
				"space:\n"
				"  x1: {float: [0, 1]}\n"
				"  x2: {float: [0, 1]}\n"
				"metrics: {f: {minimize: true}, g: {}}\n"
				"objectives: [f]\n"
				"guardrails: [\"g <= 1\"]\n"
				"evaluator: {command: [\"true\"]}\n";

static int eval_guard(const double *x, double *obj, double *cons, double *cost)
{
	obj[0] = (x[0] - 0.8) * (x[0] - 0.8) + (x[1] - 0.8) * (x[1] - 0.8);
	cons[0] = 1.0 - (x[0] + x[1]);
	*cost = 1.0;
	return BO_TRIAL_COMPLETE;
}

static double best_feasible(const run_out *o, size_t from, size_t n)
{
	double b = HUGE_VAL;
	size_t i;
	for (i = from; i < n; i++)
		if (o->cons[i] >= 0 && o->obj[i] < b)
			b = o->obj[i];
	return b;
}

static void test_guardrails(void **state)
{
	enum { N = 30, NRAND = 20 };
	bo_study *s = test_parse_study(CONS_YAML);
	run_out o, r;
	size_t i, feas = 0, rfeas = 0;
	double best, rsum = 0;
	(void)state;
	run(s, 5, N, eval_guard, 0, 1, HUGE_VAL, &o);
	best = best_feasible(&o, 0, N);
	for (i = 10; i < N; i++)
		feas += o.cons[i] >= 0;
	print_message("guardrail: best feasible %.5f (optimum 0.18), %zu of %d model points "
		      "feasible\n",
		      best, feas, N - 10);
	assert_true(best < 0.18 + 0.01);
	for (i = 0; i < NRAND; i++) {
		size_t j;
		run(s, 300 + i, N, eval_guard, 1, 0, HUGE_VAL, &r);
		rsum += best_feasible(&r, 0, N);
		for (j = 10; j < N; j++)
			rfeas += r.cons[j] >= 0;
		run_free(&r);
	}
	assert_true(best < rsum / NRAND);
	/* Most model-based proposals respect the guardrail, unlike random
	 * search (half the square is feasible). */
	assert_true((double)feas / (N - 10) > (double)rfeas / (NRAND * (N - 10)));
	run_free(&o);
	bo_study_free(s);
}

static const char COND_YAML[] =
	"name: cond\n"
	"space:\n"
	"  family: {choice: [lin, tree, mlp]}\n"
	"  C: {float: [1.0e-3, 1.0e3], log: true, when: {family: lin}}\n"
	"  depth: {int: [2, 32], when: {family: tree}}\n"
	"  width: {int: [1, 100], step: 3, when: {family: mlp}}\n"
	"  lr: {float: [0.001, 0.1], log: true}\n"
	"  batch: {int: [1, 8]}\n"
	"constraints:\n"
	"  - \"lr * batch <= 0.2\"\n"
	"  - \"width <= 50\"\n"
	"metrics: {loss: {minimize: true}}\n"
	"objectives: [loss]\n"
	"evaluator: {command: [\"true\"]}\n";

/* Best: mlp with width near 40 and lr near 0.02; trees with depth 7
 * second; failures for lin with C > 100. */
static int eval_cond(const double *x, double *obj, double *cons, double *cost)
{
	double f = 0.3 * pow(log10(x[4]) - log10(0.02), 2) + 0.01 * x[5];
	(void)cons;
	*cost = 1.0;
	if (x[0] == 0) {
		if (x[1] > 100)
			return obj[0] = NAN, BO_TRIAL_FAILED;
		f += 1.0 + 0.05 * fabs(log10(x[1]));
	} else if (x[0] == 1) {
		f += 0.5 + 0.01 * fabs(x[2] - 7);
	} else {
		f += 0.01 * fabs(x[3] - 40);
	}
	obj[0] = f;
	return BO_TRIAL_COMPLETE;
}

static void test_conditions_and_constraints(void **state)
{
	enum { N = 30 };
	bo_study *s = test_parse_study(COND_YAML);
	run_out o;
	size_t i, mlp_late = 0;
	(void)state;
	run(s, 21, N, eval_cond, 0, 1, HUGE_VAL, &o);
	for (i = 0; i < N; i++) {
		const double *x = o.x + i * 6;
		int fam = (int)x[0];
		assert_int_equal(bo__study_check_config(s, x, NULL, 0), 0);
		assert_int_equal(!isnan(x[1]), fam == 0);
		assert_int_equal(!isnan(x[2]), fam == 1);
		assert_int_equal(!isnan(x[3]), fam == 2);
		assert_true(x[4] * x[5] <= 0.2);
		if (fam == 2)
			assert_true(x[3] <= 50 && fmod(x[3] - 1, 3) == 0);
		if (i >= 20)
			mlp_late += fam == 2;
	}
	/* The model learned that mlp is best. */
	assert_true(mlp_late >= 5);
	assert_true(best_of(&o, N) < 0.3);
	run_free(&o);
	bo_study_free(s);
}

static const char FINITE_YAML[] = "name: finite\n"
				  "space:\n"
				  "  a: {choice: [p, q, r]}\n"
				  "  b: {int: [1, 3]}\n"
				  "metrics: {loss: {minimize: true}}\n"
				  "objectives: [loss]\n"
				  "evaluator: {command: [\"true\"]}\n";

static int eval_finite(const double *x, double *obj, double *cons, double *cost)
{
	(void)cons;
	obj[0] = x[0] * 1.7 - x[1] * 0.4 + (x[0] == 1 && x[1] == 2 ? -3 : 0);
	*cost = 1.0;
	return BO_TRIAL_COMPLETE;
}

static void test_finite_space_no_repeats(void **state)
{
	bo_study *s = test_parse_study(FINITE_YAML);
	run_out o;
	size_t i, j;
	(void)state;
	run(s, 4, 9, eval_finite, 0, 1, HUGE_VAL, &o);
	for (i = 0; i < 9; i++)
		for (j = 0; j < i; j++)
			assert_false(o.x[2 * i] == o.x[2 * j] && o.x[2 * i + 1] == o.x[2 * j + 1]);
	run_free(&o);
	bo_study_free(s);
}

/* Two objectives: ZDT1 on two variables. */
static const char MO_YAML[] = "name: mo\n"
			      "space:\n"
			      "  x1: {float: [0, 1]}\n"
			      "  x2: {float: [0, 1]}\n"
			      "metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
			      "objectives: [f1, f2]\n"
			      "evaluator: {command: [\"true\"]}\n";

static int eval_zdt1(const double *x, double *obj, double *cons, double *cost)
{
	double g = 1 + 9 * x[1];
	(void)cons;
	obj[0] = x[0];
	obj[1] = g * (1 - sqrt(x[0] / g));
	*cost = 1.0;
	return BO_TRIAL_COMPLETE;
}

static double hv_of(const run_out *o, size_t n)
{
	const double ref[2] = {1.1, 11.0};
	double hv = 0;
	assert_int_equal(bo_hypervolume(o->obj, n, 2, ref, &hv, NULL), 0);
	return hv;
}

static void test_two_objectives(void **state)
{
	enum { N = 25, NRAND = 10 };
	bo_study *s = test_parse_study(MO_YAML);
	run_out o, r;
	double hv, rsum = 0;
	size_t i;
	(void)state;
	run(s, 8, N, eval_zdt1, 0, 1, HUGE_VAL, &o);
	hv = hv_of(&o, N);
	for (i = 0; i < NRAND; i++) {
		run(s, 500 + i, N, eval_zdt1, 1, 0, HUGE_VAL, &r);
		rsum += hv_of(&r, N);
		run_free(&r);
	}
	print_message("zdt1: gp hypervolume %.4f, random mean %.4f (max %.4f)\n", hv, rsum / NRAND,
		      1.1 * 11.0 - 1.0 / 3.0);
	assert_true(hv > rsum / NRAND);
	run_free(&o);
	bo_study_free(s);
}

/* Three objectives (exact EHVI with the front's reference point): DTLZ2
 * with 4 parameters (Deb et al. 2002), whose front is the unit sphere's
 * positive octant, hypervolume 1.1^3 - pi/6 against (1.1, 1.1, 1.1). */
static const char MO3_YAML[] = "name: dtlz2\n"
			       "space:\n"
			       "  x1: {float: [0, 1]}\n  x2: {float: [0, 1]}\n"
			       "  x3: {float: [0, 1]}\n  x4: {float: [0, 1]}\n"
			       "metrics: {f1: {}, f2: {}, f3: {}}\n"
			       "objectives: [f1, f2, f3]\n"
			       "evaluator: {command: [\"true\"]}\n";

static int eval_dtlz2(const double *x, double *obj, double *cons, double *cost)
{
	double g = (x[2] - 0.5) * (x[2] - 0.5) + (x[3] - 0.5) * (x[3] - 0.5);
	double a = x[0] * M_PI / 2, b = x[1] * M_PI / 2;
	(void)cons;
	obj[0] = (1 + g) * cos(a) * cos(b);
	obj[1] = (1 + g) * cos(a) * sin(b);
	obj[2] = (1 + g) * sin(a);
	*cost = 1.0;
	return BO_TRIAL_COMPLETE;
}

static double hv3_ratio(const run_out *o, size_t n)
{
	const double ref[3] = {1.1, 1.1, 1.1};
	double hv = 0;
	assert_int_equal(bo_hypervolume(o->obj, n, 3, ref, &hv, NULL), 0);
	return hv / (1.1 * 1.1 * 1.1 - M_PI / 6);
}

static void test_three_objectives(void **state)
{
	enum { N = 45, NRAND = 8 };
	bo_study *s = test_parse_study(MO3_YAML);
	run_out o, r;
	double hv, rmax = 0;
	size_t i;
	(void)state;
	run(s, 11, N, eval_dtlz2, 0, 1, HUGE_VAL, &o);
	hv = hv3_ratio(&o, N);
	for (i = 0; i < NRAND; i++) {
		double h;
		run(s, 900 + i, N, eval_dtlz2, 1, 0, HUGE_VAL, &r);
		h = hv3_ratio(&r, N);
		rmax = h > rmax ? h : rmax;
		run_free(&r);
	}
	print_message("dtlz2, %d trials: gp hypervolume ratio %.4f, best of %d random runs %.4f\n", N,
		      hv, NRAND, rmax);
	/* a ratio above 1 would be a hypervolume bug */
	assert_true(hv <= 1.0 + 1e-9);
	assert_true(hv > rmax);
	run_free(&o);
	bo_study_free(s);
}

/* Four objectives (ParEGO) with a failed trial now and then: the
 * scalarised model still steers towards the front's region (x2 = 0
 * minimises every objective's offset), unlike random search. */
static const char MO4_YAML[] = "name: mo4\n"
			       "space:\n"
			       "  x1: {float: [0, 1]}\n"
			       "  x2: {float: [0, 1]}\n"
			       "metrics: {a: {}, b: {}, c: {}, d: {}}\n"
			       "objectives: [a, b, c, d]\n"
			       "evaluator: {command: [\"true\"]}\n";

static int eval_mo4(const double *x, double *obj, double *cons, double *cost)
{
	size_t k;
	(void)cons;
	*cost = 1.0;
	if (x[0] > 0.9 && x[1] > 0.5) {
		for (k = 0; k < 4; k++)
			obj[k] = NAN;
		return BO_TRIAL_FAILED;
	}
	for (k = 0; k < 4; k++)
		obj[k] = fabs(x[0] - 0.25 * (double)k) + 3 * x[1];
	return BO_TRIAL_COMPLETE;
}

static void test_four_objectives_parego(void **state)
{
	enum { N = 30, NRAND = 10 };
	bo_study *s = test_parse_study(MO4_YAML);
	run_out o, r;
	double mean = 0, rmean = 0;
	size_t i, j;
	(void)state;
	run(s, 9, N, eval_mo4, 0, 1, HUGE_VAL, &o);
	for (i = 15; i < N; i++)
		mean += o.x[2 * i + 1] / (N - 15);
	for (j = 0; j < NRAND; j++) {
		run(s, 700 + j, N, eval_mo4, 1, 0, HUGE_VAL, &r);
		for (i = 15; i < N; i++)
			rmean += r.x[2 * i + 1] / ((N - 15) * NRAND);
		run_free(&r);
	}
	print_message("parego: mean x2 of the model's points %.3f, random %.3f\n", mean, rmean);
	assert_true(mean < rmean);
	run_free(&o);
	bo_study_free(s);
}

/* Cost-aware: Branin on the unit square whose cost grows 20-fold with x1;
 * a money budget. */
static const char COST_YAML[] = "name: cost\n"
				"space:\n"
				"  x1: {float: [-5, 10]}\n"
				"  x2: {float: [0, 15]}\n"
				"metrics: {f: {minimize: true}}\n"
				"objectives: [f]\n"
				"budget: {money: 60}\n"
				"evaluator: {command: [\"true\"]}\n";

static int eval_costly(const double *x, double *obj, double *cons, double *cost)
{
	(void)cons;
	obj[0] = branin(x[0], x[1]);
	*cost = 0.2 * exp(3.0 * (x[0] + 5) / 15);
	return BO_TRIAL_COMPLETE;
}

static void test_cost_aware(void **state)
{
	enum { NSEED = 4, NMAX = 400 };
	bo_study *s = test_parse_study(COST_YAML);
	double best[2] = {0, 0}, trials[2] = {0, 0};
	int ca;
	uint64_t k;
	(void)state;
	for (ca = 0; ca <= 1; ca++) {
		for (k = 0; k < NSEED; k++) {
			run_out o;
			size_t n = run(s, 40 + k, NMAX, eval_costly, 0, ca, 60.0, &o);
			best[ca] += best_of(&o, n) / NSEED;
			trials[ca] += (double)n / NSEED;
			run_free(&o);
		}
	}
	print_message("cost: cost_aware=0 best %.4f in %.1f trials; cost_aware=1 best %.4f in %.1f "
		      "trials\n",
		      best[0], trials[0], best[1], trials[1]);
	/* Cost-aware buys more trials with the same money. */
	assert_true(trials[1] > trials[0]);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posterior_closed_form),
		cmocka_unit_test(test_lml_value_and_gradient),
		cmocka_unit_test(test_fit_improves_likelihood),
		cmocka_unit_test(test_ei_pof_monte_carlo),
		cmocka_unit_test(test_ehvi_monte_carlo),
		cmocka_unit_test(test_branin),
		cmocka_unit_test(test_determinism_and_resume),
		cmocka_unit_test(test_guardrails),
		cmocka_unit_test(test_conditions_and_constraints),
		cmocka_unit_test(test_finite_space_no_repeats),
		cmocka_unit_test(test_two_objectives),
		cmocka_unit_test(test_three_objectives),
		cmocka_unit_test(test_four_objectives_parego),
		cmocka_unit_test(test_cost_aware),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
