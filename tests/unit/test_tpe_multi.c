/*
 * tests/unit/test_tpe_multi.c - the TPE sampler (samplers/tpe.c) on two
 * and three objectives: ZDT1, with and without a guardrail, and DTLZ2,
 * against random search on the same seeds, hypervolumes computed here by
 * a sweep. Split from test_tpe.c, whose loop (tpe_world.h) it shares.
 */
#include "tpe_world.h"

/* ---- two objectives: ZDT1 ------------------------------------------------------- */

static const char ZDT1_YAML[] = "name: zdt1\n"
				"space:\n"
				"  x1: {float: [0, 1]}\n"
				"  x2: {float: [0, 1]}\n"
				"  x3: {float: [0, 1]}\n"
				"  x4: {float: [0, 1]}\n"
				"  x5: {float: [0, 1]}\n"
				"metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
				"objectives: [{minimize: f1}, {minimize: f2}]\n"
				"evaluator: {command: [\"true\"]}\n";

static int zdt1(const bo_study *s, const double *x, double *obj, double *cons)
{
	size_t i;
	double g = 0;
	(void)cons;
	for (i = 1; i < s->nparams; i++)
		g += x[i];
	g = 1 + 9 * g / (double)(s->nparams - 1);
	obj[0] = x[0];
	obj[1] = g * (1 - sqrt(x[0] / g));
	return 0;
}

static int cmp_pt(const void *a, const void *b)
{
	const double *p = a, *q = b;
	if (p[0] != q[0])
		return p[0] < q[0] ? -1 : 1;
	return (p[1] > q[1]) - (p[1] < q[1]);
}

/* Two-objective hypervolume by a sweep over x (written here). */
static double hv2(double *pts, size_t n, double r0, double r1)
{
	double hv = 0, ylast = r1;
	size_t i;
	qsort(pts, n, 2 * sizeof *pts, cmp_pt);
	for (i = 0; i < n; i++) {
		double x = pts[2 * i], y = pts[2 * i + 1];
		if (x >= r0 || y >= ylast)
			continue;
		hv += (r0 - x) * (ylast - y);
		ylast = y;
	}
	return hv;
}

static void test_zdt1(void **state)
{
	enum { N = 100 };
	bo_study *s = test_parse_study(ZDT1_YAML);
	double xs[N * 5], objs[N * 2], cons[1], sq[4] = {0.2, 0.3, 0.25, 0.5};
	double hv_tpe = 0, hv_random = 0, v;
	size_t r;
	(void)state;
	/* the sweep against a hand computation: (0.2,0.3) alone: 10.8*10.7;
	 * with (0.25,0.5) dominated and nothing else added */
	assert_true(fabs(hv2(sq, 2, 11, 11) - 10.8 * 10.7) < 1e-9);
	assert_int_equal(bo__sampler_nobjectives(s), 2);
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 80 + r, N, zdt1, xs, objs, cons, NULL, NULL);
		v = hv2(objs, N, 11, 11);
		hv_tpe += v;
		print_message("zdt1 seed %zu: tpe %.4f", r, v);
		run_loop(s, random_algo(), 80 + r, N, zdt1, xs, objs, cons, NULL, NULL);
		v = hv2(objs, N, 11, 11);
		hv_random += v;
		print_message(" random %.4f (optimum %.4f)\n", v, 121 - 1.0 / 3);
	}
	assert_true(hv_tpe > hv_random);
	/* generous: the true front gives 120.67; random reaches ~106 */
	assert_true(hv_tpe / NSEEDS > 110.0);
	assert_true(hv_tpe > hv_random + 4.0 * NSEEDS);
	bo_study_free(s);
}

/* ZDT1 under a guardrail x1 >= 0.3 (margin x1 - 0.3): MOTPE with the
 * feasibility-aware split and c-TPE proposes feasible points more often. */
static const char ZDT1G_YAML[] = "name: zdt1g\n"
				 "space:\n"
				 "  x1: {float: [0, 1]}\n"
				 "  x2: {float: [0, 1]}\n"
				 "  x3: {float: [0, 1]}\n"
				 "metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
				 "objectives: [{minimize: f1}, {minimize: f2}]\n"
				 "guardrails: [\"f1 >= 0.3\"]\n"
				 "evaluator: {command: [\"true\"]}\n";

static int zdt1g(const bo_study *s, const double *x, double *obj, double *cons)
{
	zdt1(s, x, obj, cons);
	cons[0] = x[0] - 0.3;
	return 0;
}

static void test_zdt1_guardrail(void **state)
{
	enum { N = 100, START = 20 };
	bo_study *s = test_parse_study(ZDT1G_YAML);
	double xs[N * 3], objs[N * 2], cons[N];
	size_t r, i, feas_tpe = 0, feas_random = 0;
	(void)state;
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 30 + r, N, zdt1g, xs, objs, cons, NULL, NULL);
		for (i = START; i < N; i++)
			feas_tpe += cons[i] >= 0;
		run_loop(s, random_algo(), 30 + r, N, zdt1g, xs, objs, cons, NULL, NULL);
		for (i = START; i < N; i++)
			feas_random += cons[i] >= 0;
	}
	print_message("zdt1 with a guardrail, feasible after start-up: tpe %zu random %zu\n",
		      feas_tpe, feas_random);
	assert_true(feas_tpe > feas_random + feas_random / 10);
	bo_study_free(s);
}

/* DTLZ2 with three objectives (Deb et al. 2002): the front is the unit
 * sphere's octant, reached when x3..x6 = 0.5; 1 + g measures the distance.
 * MOTPE (hypervolume contributions in 3-D) gets closer than random. */
static const char DTLZ2_YAML[] = "name: dtlz2\n"
				 "space:\n"
				 "  x1: {float: [0, 1]}\n"
				 "  x2: {float: [0, 1]}\n"
				 "  x3: {float: [0, 1]}\n"
				 "  x4: {float: [0, 1]}\n"
				 "  x5: {float: [0, 1]}\n"
				 "metrics: {f1: {}, f2: {}, f3: {}}\n"
				 "objectives: [{minimize: f1}, {minimize: f2}, {minimize: f3}]\n"
				 "evaluator: {command: [\"true\"]}\n";

static int dtlz2(const bo_study *s, const double *x, double *obj, double *cons)
{
	double g = 0, h = PI / 2;
	size_t i;
	(void)cons;
	for (i = 2; i < s->nparams; i++)
		g += (x[i] - 0.5) * (x[i] - 0.5);
	obj[0] = (1 + g) * cos(x[0] * h) * cos(x[1] * h);
	obj[1] = (1 + g) * cos(x[0] * h) * sin(x[1] * h);
	obj[2] = (1 + g) * sin(x[0] * h);
	return 0;
}

static void test_dtlz2_three_objectives(void **state)
{
	enum { N = 100, LAST = 40 };
	bo_study *s = test_parse_study(DTLZ2_YAML);
	double xs[N * 5], objs[N * 3], cons[1], dist_tpe = 0, dist_random = 0;
	size_t r, i;
	(void)state;
	assert_int_equal(bo__sampler_nobjectives(s), 3);
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 50 + r, N, dtlz2, xs, objs, cons, NULL, NULL);
		for (i = N - LAST; i < N; i++)
			dist_tpe += sqrt(objs[3 * i] * objs[3 * i] + objs[3 * i + 1] * objs[3 * i + 1] +
					 objs[3 * i + 2] * objs[3 * i + 2]) - 1;
		run_loop(s, random_algo(), 50 + r, N, dtlz2, xs, objs, cons, NULL, NULL);
		for (i = N - LAST; i < N; i++)
			dist_random += sqrt(objs[3 * i] * objs[3 * i] +
					    objs[3 * i + 1] * objs[3 * i + 1] +
					    objs[3 * i + 2] * objs[3 * i + 2]) - 1;
	}
	print_message("dtlz2: mean distance to the front, last %d: tpe %.4f random %.4f\n", LAST,
		      dist_tpe / (NSEEDS * LAST), dist_random / (NSEEDS * LAST));
	assert_true(dist_tpe < 0.8 * dist_random);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zdt1),
		cmocka_unit_test(test_zdt1_guardrail),
		cmocka_unit_test(test_dtlz2_three_objectives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
