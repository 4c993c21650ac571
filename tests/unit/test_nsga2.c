/*
 * tests/unit/test_nsga2.c - the NSGA-II sampler (samplers/nsga2.c).
 *
 * Optimisation checks run NSGA-II and, with the same budget and problem,
 * the random sampler, and assert a bound that NSGA-II meets and random
 * search misses: ZDT1 (hypervolume of the true front computed in closed
 * form), DTLZ2 with three objectives, Deb's constrained CONSTR problem,
 * a space where half the configurations fail, and a sphere with one
 * objective. The ranking (constraint domination, crowding distance) and
 * the environmental selection are checked by hand in test_nsga2_rank.c.
 * Determinism, resume, parallel asks, conditions, constraints, repeats on
 * finite spaces, options and allocation failures are checked directly.
 * Everything is seeded: a pass or a failure repeats exactly.
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
#include "core/alloc.h"
#include "core/model.h"
#include "core/trial.h"
#include "samplers/internal.h"
#include "study_parse.h"


#define PI 3.14159265358979323846

/* ---- a problem driver ------------------------------------------------------ */

/* Evaluates configuration x: objectives (minimised), guardrail margins;
 * returns 1 when the trial fails. */
typedef int (*problem_fn)(const bo_study *s, const double *x, double *obj, double *cons);

typedef struct run_out {
	size_t n, np, nobj, ncons;
	double *X, *OBJ, *CONS;
	int *failed;
} run_out;

static void run_free(run_out *r)
{
	free(r->X);
	free(r->OBJ);
	free(r->CONS);
	free(r->failed);
}

enum { ALG_NSGA2, ALG_RANDOM };

/* n sequential ask/tell trials of NSGA-II (population pop) or random. */
static run_out run(const bo_study *s, int alg, uint64_t seed, size_t pop, size_t n, problem_fn f)
{
	run_out r;
	void *impl = NULL;
	size_t i;

	memset(&r, 0, sizeof r);
	r.n = n;
	r.np = s->nparams;
	r.nobj = bo__sampler_nobjectives(s);
	r.ncons = s->nguardrails;
	r.X = calloc(n * r.np, sizeof *r.X);
	r.OBJ = calloc(n * r.nobj + 1, sizeof *r.OBJ);
	r.CONS = calloc(n * r.ncons + 1, sizeof *r.CONS);
	r.failed = calloc(n, sizeof *r.failed);
	assert_true(r.X && r.OBJ && r.CONS && r.failed);
	if (alg == ALG_NSGA2) {
		assert_int_equal(bo__nsga2_ops.create(&impl, s, seed), 0);
		assert_int_equal(bo__nsga2_ops.set_param(impl, "population", (double)pop), 0);
	} else {
		assert_int_equal(bo__random_create(&impl, s, seed), 0);
	}
	for (i = 0; i < n; i++) {
		double *x = r.X + i * r.np, *obj = r.OBJ + i * r.nobj, *cons = r.CONS + i * r.ncons;
		bo_observation o;
		size_t j;
		if (alg == ALG_NSGA2)
			assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, x), 0);
		else
			assert_int_equal(bo__random_ask(impl, (int64_t)i, x), 0);
		r.failed[i] = f(s, x, obj, cons);
		if (r.failed[i])
			for (j = 0; j < r.nobj; j++)
				obj[j] = NAN;
		if (alg != ALG_NSGA2)
			continue;
		o.number = (int64_t)i;
		o.x = x;
		o.state = r.failed[i] ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
		o.nobj = r.nobj;
		o.obj = obj;
		o.ncons = r.ncons;
		o.cons = cons;
		o.cost = 1.0;
		assert_int_equal(bo__nsga2_ops.tell(impl, &o), 0);
	}
	if (alg == ALG_NSGA2)
		bo__nsga2_ops.destroy(impl);
	else
		bo__random_destroy(impl);
	return r;
}

static int feasible(const run_out *r, size_t i)
{
	size_t j;
	if (r->failed[i])
		return 0;
	for (j = 0; j < r->ncons; j++)
		if (!(r->CONS[i * r->ncons + j] >= 0))
			return 0;
	return 1;
}

/* Hypervolume of the feasible, complete trials first..n-1 of a run. */
static double run_hv(const run_out *r, size_t first, const double *ref)
{
	double *pts = calloc(r->n * r->nobj + 1, sizeof *pts), hv = -1;
	size_t i, m = 0;
	assert_non_null(pts);
	for (i = first; i < r->n; i++)
		if (feasible(r, i))
			memcpy(pts + m++ * r->nobj, r->OBJ + i * r->nobj, r->nobj * sizeof *pts);
	assert_int_equal(bo_hypervolume(pts, m, r->nobj, ref, &hv, NULL), 0);
	free(pts);
	return hv;
}

/* ---- ZDT1 ------------------------------------------------------------------ */

static const char ZDT_YAML[] =
	"name: zdt1\n"
	"space:\n"
	"  x0: {float: [0, 1]}\n"
	"  x1: {float: [0, 1]}\n"
	"  x2: {float: [0, 1]}\n"
	"  x3: {float: [0, 1]}\n"
	"  x4: {float: [0, 1]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
	"objectives: [f1, f2]\n"
	"evaluator: {command: [\"true\"]}\n";

/* Zitzler, Deb & Thiele 2000: f1 = x0, g = 1 + 9 mean(x1..), f2 = g (1 - sqrt(f1 / g)). */
static int zdt1(const bo_study *s, const double *x, double *obj, double *cons)
{
	size_t i, n = s->nparams;
	double g = 0;
	(void)cons;
	for (i = 1; i < n; i++)
		g += x[i];
	g = 1.0 + 9.0 * g / (double)(n - 1);
	obj[0] = x[0];
	obj[1] = g * (1.0 - sqrt(x[0] / g));
	return 0;
}

/* Hypervolume of ZDT1's front f2 = 1 - sqrt(f1), f1 in [0, 1], with the
 * reference point (r, r), r >= 1: the integral of r - (1 - sqrt(f1)) over
 * [0, 1] plus the strip f1 in [1, r] of height r. */
static double zdt1_true_hv(double r)
{
	return (r - 1.0) + 2.0 / 3.0 + (r - 1.0) * r;
}

static void test_zdt1_true_hv(void **state)
{
	/* The closed form against the library on a dense sample of the
	 * front: the sample's hypervolume is a lower bound that converges. */
	enum { M = 20001 };
	double *pts = calloc(2 * M, sizeof *pts), ref[2] = {1.1, 1.1}, hv;
	size_t i;
	(void)state;
	assert_non_null(pts);
	for (i = 0; i < M; i++) {
		double f1 = (double)i / (M - 1);
		pts[2 * i] = f1;
		pts[2 * i + 1] = 1.0 - sqrt(f1);
	}
	assert_int_equal(bo_hypervolume(pts, M, 2, ref, &hv, NULL), 0);
	assert_true(hv <= zdt1_true_hv(1.1));
	assert_true(hv > zdt1_true_hv(1.1) - 1e-3);
	free(pts);
}

static void test_zdt1(void **state)
{
	const double ref[2] = {1.1, 1.1};
	/* NSGA-II reaches it in 2000 evaluations; random search does not. */
	const double bound = 0.93;
	bo_study *s = test_parse_study(ZDT_YAML);
	run_out a, b;
	double ra, rb;
	(void)state;
	a = run(s, ALG_NSGA2, 11, 50, 2000, zdt1);
	b = run(s, ALG_RANDOM, 11, 50, 2000, zdt1);
	ra = run_hv(&a, 0, ref) / zdt1_true_hv(1.1);
	rb = run_hv(&b, 0, ref) / zdt1_true_hv(1.1);
	print_message("zdt1 hv ratio: nsga2 %.4f random %.4f\n", ra, rb);
	assert_true(ra <= 1.0 + 1e-12);
	assert_true(ra >= bound);
	assert_true(rb < bound);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- DTLZ2 ------------------------------------------------------------------ */

static const char DTLZ_YAML[] =
	"name: dtlz2\n"
	"space:\n"
	"  x0: {float: [0, 1]}\n"
	"  x1: {float: [0, 1]}\n"
	"  x2: {float: [0, 1]}\n"
	"  x3: {float: [0, 1]}\n"
	"  x4: {float: [0, 1]}\n"
	"  x5: {float: [0, 1]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}, f3: {minimize: true}}\n"
	"objectives: [f1, f2, f3]\n"
	"evaluator: {command: [\"true\"]}\n";

/* Deb, Thiele, Laumanns & Zitzler 2002, three objectives. */
static int dtlz2(const bo_study *s, const double *x, double *obj, double *cons)
{
	size_t i;
	double g = 0, a = x[0] * PI / 2, b = x[1] * PI / 2;
	(void)cons;
	for (i = 2; i < s->nparams; i++)
		g += (x[i] - 0.5) * (x[i] - 0.5);
	obj[0] = (1 + g) * cos(a) * cos(b);
	obj[1] = (1 + g) * cos(a) * sin(b);
	obj[2] = (1 + g) * sin(a);
	return 0;
}

static void test_dtlz2(void **state)
{
	const double ref[3] = {1.1, 1.1, 1.1};
	/* The front is the unit sphere's positive octant: HV = 1.1^3 - pi/6. */
	const double best = 1.1 * 1.1 * 1.1 - PI / 6, bound = 0.85;
	bo_study *s = test_parse_study(DTLZ_YAML);
	run_out a, b;
	double ra, rb;
	(void)state;
	a = run(s, ALG_NSGA2, 3, 50, 1500, dtlz2);
	b = run(s, ALG_RANDOM, 3, 50, 1500, dtlz2);
	ra = run_hv(&a, 0, ref) / best;
	rb = run_hv(&b, 0, ref) / best;
	print_message("dtlz2 hv ratio: nsga2 %.4f random %.4f\n", ra, rb);
	assert_true(ra <= 1.0 + 1e-12);
	assert_true(ra >= bound);
	assert_true(rb < bound);
	assert_true(ra > rb);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- constraint domination: CONSTR ------------------------------------------ */

static const char CONSTR_YAML[] =
	"name: constr\n"
	"space:\n"
	"  x1: {float: [0.1, 1]}\n"
	"  x2: {float: [0, 5]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}, g1: {}, g2: {}}\n"
	"objectives: [f1, f2]\n"
	"guardrails:\n"
	"  - \"g1 >= 0\"\n"
	"  - \"g2 >= 0\"\n"
	"evaluator: {command: [\"true\"]}\n";

/* Deb et al. 2002's CONSTR: the unconstrained optimum (x1 = 0.1, x2 = 0)
 * is infeasible; the guardrail margins are g1 and g2. */
static int constr(const bo_study *s, const double *x, double *obj, double *cons)
{
	(void)s;
	obj[0] = x[0];
	obj[1] = (1 + x[1]) / x[0];
	cons[0] = x[1] + 9 * x[0] - 6;
	cons[1] = -x[1] + 9 * x[0] - 1;
	return 0;
}

/* CONSTR's Pareto front: f2 = (7 - 9 f1) / f1 on g1's boundary for f1 in
 * [7/18, 2/3], then f2 = 1 / f1 (x2 = 0) up to f1 = 1. */
static double constr_front(double f1)
{
	return f1 < 2.0 / 3.0 ? (7 - 9 * f1) / f1 : 1 / f1;
}

/* Trials first..n-1 that are feasible and within 5% of the front. */
static size_t constr_near_front(const run_out *r, size_t first)
{
	size_t i, m = 0;
	for (i = first; i < r->n; i++)
		m += feasible(r, i) &&
		     r->OBJ[i * 2 + 1] <= 1.05 * constr_front(r->OBJ[i * 2]);
	return m;
}

static void test_constr(void **state)
{
	const double ref[2] = {1.1, 10.0};
	bo_study *s = test_parse_study(CONSTR_YAML);
	run_out a, b;
	size_t i, fa = 0, fb = 0, tail = 500, na, nb;
	double ha, hb;
	(void)state;
	a = run(s, ALG_NSGA2, 5, 40, 1500, constr);
	b = run(s, ALG_RANDOM, 5, 40, 1500, constr);
	for (i = a.n - tail; i < a.n; i++) {
		fa += feasible(&a, i);
		fb += feasible(&b, i);
		/* Nothing feasible ever beats the front. */
		assert_true(!feasible(&a, i) ||
			    a.OBJ[i * 2 + 1] >= constr_front(a.OBJ[i * 2]) * (1 - 1e-12));
	}
	na = constr_near_front(&a, a.n - tail);
	nb = constr_near_front(&b, b.n - tail);
	ha = run_hv(&a, 0, ref);
	hb = run_hv(&b, 0, ref);
	print_message("constr: in the last %zu: feasible nsga2 %zu random %zu, near the front "
		      "%zu vs %zu; hv %.4f vs %.4f\n",
		      tail, fa, fb, na, nb, ha, hb);
	/* The objectives pull towards the infeasible corner (x1 = 0.1,
	 * x2 = 0); constraint domination keeps the search on the feasible
	 * front. */
	assert_true(fa > fb);
	assert_true(na >= tail / 4);
	assert_true(nb < tail / 20);
	assert_true(ha > hb);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- failed trials are worse than all complete ones -------------------------- */

static const char FAIL_YAML[] =
	"name: fails\n"
	"space:\n"
	"  x0: {float: [0, 1]}\n"
	"  x1: {float: [0, 1]}\n"
	"  x2: {float: [0, 1]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
	"objectives: [f1, f2]\n"
	"evaluator: {command: [\"true\"]}\n";

/* A bi-objective problem whose best values lie where trials crash (x2 >
 * 0.5): NSGA-II must learn to stay out. */
static int crashy(const bo_study *s, const double *x, double *obj, double *cons)
{
	(void)s;
	(void)cons;
	obj[0] = x[0] + (1 - x[2]);
	obj[1] = (1 - x[0]) + (1 - x[2]) + x[1];
	return x[2] > 0.5;
}

static void test_failed_trials(void **state)
{
	bo_study *s = test_parse_study(FAIL_YAML);
	run_out a, b;
	size_t i, na = 0, nb = 0, tail = 500;
	(void)state;
	a = run(s, ALG_NSGA2, 9, 30, 1200, crashy);
	b = run(s, ALG_RANDOM, 9, 30, 1200, crashy);
	for (i = a.n - tail; i < a.n; i++) {
		na += (size_t)a.failed[i];
		nb += (size_t)b.failed[i];
	}
	print_message("failed in the last %zu: nsga2 %zu random %zu\n", tail, na, nb);
	assert_true(na < tail / 5);
	assert_true(nb > tail / 5);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- one objective ------------------------------------------------------------ */

static const char SPHERE_YAML[] =
	"name: sphere\n"
	"space:\n"
	"  x0: {float: [-2, 3]}\n"
	"  x1: {float: [-2, 3]}\n"
	"  x2: {float: [-2, 3]}\n"
	"  x3: {float: [-2, 3]}\n"
	"  x4: {float: [-2, 3]}\n"
	"metrics: {loss: {minimize: true}}\n"
	"objectives: [loss]\n"
	"evaluator: {command: [\"true\"]}\n";

static int sphere(const bo_study *s, const double *x, double *obj, double *cons)
{
	size_t i;
	(void)cons;
	obj[0] = 0;
	for (i = 0; i < s->nparams; i++)
		obj[0] += (x[i] - 0.385) * (x[i] - 0.385);
	return 0;
}

static double best_of(const run_out *r)
{
	double b = INFINITY;
	size_t i;
	for (i = 0; i < r->n; i++)
		if (r->OBJ[i] < b)
			b = r->OBJ[i];
	return b;
}

static void test_single_objective(void **state)
{
	bo_study *s = test_parse_study(SPHERE_YAML);
	run_out a, b;
	double ba, bb;
	(void)state;
	a = run(s, ALG_NSGA2, 21, 30, 1500, sphere);
	b = run(s, ALG_RANDOM, 21, 30, 1500, sphere);
	ba = best_of(&a);
	bb = best_of(&b);
	print_message("sphere best: nsga2 %.3g random %.3g\n", ba, bb);
	assert_true(ba < 0.01);
	assert_true(bb > 0.01);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- determinism, resume, parallel asks ----------------------------------------- */

static int same_points(const double *a, const double *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (isnan(a[i]) != isnan(b[i]))
			return 0;
		if (!isnan(a[i]) && a[i] != b[i])
			return 0;
	}
	return 1;
}

static void tell_one(void *impl, const bo_study *s, int64_t number, const double *x,
		     problem_fn f)
{
	double obj[8], cons[8];
	bo_observation o;
	int failed = f(s, x, obj, cons);
	o.number = number;
	o.x = x;
	o.state = failed ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
	o.nobj = bo__sampler_nobjectives(s);
	o.obj = obj;
	o.ncons = s->nguardrails;
	o.cons = cons;
	o.cost = 0.5;
	assert_int_equal(bo__nsga2_ops.tell(impl, &o), 0);
}

static void test_determinism_and_resume(void **state)
{
	enum { N = 300, R = 170 };
	bo_study *s = test_parse_study(CONSTR_YAML);
	run_out a, b, c;
	void *impl = NULL;
	double x[2];
	size_t i;
	(void)state;
	a = run(s, ALG_NSGA2, 77, 20, N, constr);
	b = run(s, ALG_NSGA2, 77, 20, N, constr);
	c = run(s, ALG_NSGA2, 78, 20, N, constr);
	assert_true(same_points(a.X, b.X, N * a.np));
	assert_false(same_points(a.X + 100 * a.np, c.X + 100 * a.np, (N - 100) * a.np));
	/* Resume: a fresh sampler told the first R trials gives the rest. */
	assert_int_equal(bo__nsga2_ops.create(&impl, s, 77), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 20), 0);
	for (i = 0; i < R; i++)
		tell_one(impl, s, (int64_t)i, a.X + i * a.np, constr);
	for (i = R; i < N; i++) {
		assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, x), 0);
		assert_true(same_points(x, a.X + i * a.np, a.np));
		tell_one(impl, s, (int64_t)i, x, constr);
	}
	bo__nsga2_ops.destroy(impl);
	run_free(&a);
	run_free(&b);
	run_free(&c);
	bo_study_free(s);
}

/* Batches of B asks told in reverse order: the same twice; no point is
 * proposed twice. */
static void parallel_run(const bo_study *s, uint64_t seed, double *X, size_t n)
{
	enum { B = 7 };
	void *impl = NULL;
	size_t i, j, np = s->nparams;
	assert_int_equal(bo__nsga2_ops.create(&impl, s, seed), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 12), 0);
	for (i = 0; i < n; i += B) {
		size_t m = n - i < B ? n - i : B;
		for (j = 0; j < m; j++)
			assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)(i + j), X + (i + j) * np),
					 0);
		for (j = m; j-- > 0;)
			tell_one(impl, s, (int64_t)(i + j), X + (i + j) * np, zdt1);
	}
	bo__nsga2_ops.destroy(impl);
}

static void test_parallel(void **state)
{
	enum { N = 200 };
	bo_study *s = test_parse_study(ZDT_YAML);
	double *a = calloc(N * s->nparams, sizeof *a), *b = calloc(N * s->nparams, sizeof *b);
	size_t i, j;
	(void)state;
	assert_true(a && b);
	parallel_run(s, 4, a, N);
	parallel_run(s, 4, b, N);
	assert_true(same_points(a, b, N * s->nparams));
	for (i = 0; i < N; i++)
		for (j = 0; j < i; j++)
			assert_false(same_points(a + i * s->nparams, a + j * s->nparams, s->nparams));
	free(a);
	free(b);
	bo_study_free(s);
}

/* ---- conditions and constraints -------------------------------------------------- */

static const char COND_YAML[] =
	"name: cond\n"
	"space:\n"
	"  family: {choice: [logreg, forest, mlp]}\n"
	"  C: {float: [1.0e-3, 1.0e3], log: true, when: {family: logreg}}\n"
	"  depth: {int: [2, 64], log: true, when: {family: forest}}\n"
	"  hidden: {choice: [32, 64, 128], when: \"family == 'mlp'\"}\n"
	"  drop: {float: [0, 0.5], when: \"hidden == 128\"}\n"
	"  a: {float: [0, 10]}\n"
	"  b: {int: [1, 8]}\n"
	"constraints:\n"
	"  - \"a * b <= 20\"\n"
	"  - \"depth <= 40\"\n"
	"metrics: {loss: {minimize: true}, t: {minimize: true}}\n"
	"objectives: [loss, t]\n"
	"evaluator: {command: [\"true\"]}\n";

enum { P_FAMILY, P_C, P_DEPTH, P_HIDDEN, P_DROP, P_A, P_B };

/* Rewards a * b (pushing against "a * b <= 20") in the first objective
 * only, and deep forests (pushing against "depth <= 40") in the first
 * objective at a price in the second. */
static int cond_problem(const bo_study *s, const double *x, double *obj, double *cons)
{
	double bonus, price;
	(void)s;
	(void)cons;
	if (x[P_FAMILY] == 1) {
		bonus = 3.0 * x[P_DEPTH] / 40.0;
		price = x[P_DEPTH] / 40.0;
	} else if (x[P_FAMILY] == 2) {
		bonus = x[P_HIDDEN] == 2 ? 0.8 + x[P_DROP] : 0.2;
		price = x[P_HIDDEN] == 2 ? 0.2 + x[P_DROP] : 0.2;
	} else {
		bonus = fabs(log10(x[P_C])) / 3.0;
		price = 0.5;
	}
	obj[0] = -x[P_A] * x[P_B] - 5.0 * bonus;
	obj[1] = price;
	return 0;
}

/* Checks every point of r against the conditions and constraints, by
 * hand and through the model's checker; counts in the second half the
 * points close to the constraints' bounds. */
static void check_cond_run(const bo_study *s, const run_out *r, size_t *near, size_t *deep,
			   size_t fam[3])
{
	size_t i;
	*near = *deep = 0;
	fam[0] = fam[1] = fam[2] = 0;
	for (i = 0; i < r->n; i++) {
		const double *x = r->X + i * r->np;
		int f = (int)x[P_FAMILY], h_on = f == 2, drop_on, late = i >= r->n / 2;
		assert_true(x[P_FAMILY] == 0 || x[P_FAMILY] == 1 || x[P_FAMILY] == 2);
		fam[f]++;
		drop_on = h_on && x[P_HIDDEN] == 2;
		assert_int_equal(!isnan(x[P_C]), f == 0);
		assert_int_equal(!isnan(x[P_DEPTH]), f == 1);
		assert_int_equal(!isnan(x[P_HIDDEN]), h_on);
		assert_int_equal(!isnan(x[P_DROP]), drop_on);
		assert_true(x[P_A] >= 0 && x[P_A] <= 10);
		assert_true(x[P_B] == floor(x[P_B]) && x[P_B] >= 1 && x[P_B] <= 8);
		assert_true(x[P_A] * x[P_B] <= 20);
		if (f == 1) {
			assert_true(x[P_DEPTH] == floor(x[P_DEPTH]) && x[P_DEPTH] >= 2);
			assert_true(x[P_DEPTH] <= 40);
			*deep += late && x[P_DEPTH] >= 32;
		}
		if (f == 0)
			assert_true(x[P_C] >= 1e-3 && x[P_C] <= 1e3);
		if (drop_on)
			assert_true(x[P_DROP] >= 0 && x[P_DROP] <= 0.5);
		*near += late && x[P_A] * x[P_B] > 17;
		assert_int_equal(bo__study_check_config(s, x, NULL, 0), 0);
	}
}

static void test_conditions_and_constraints(void **state)
{
	enum { N = 800 };
	bo_study *s = test_parse_study(COND_YAML);
	const char *names[] = {"family", "C", "depth", "hidden", "drop", "a", "b"};
	run_out a, b;
	size_t i, near_a, deep_a, fam_a[3], near_b, deep_b, fam_b[3];
	(void)state;
	for (i = 0; i < 7; i++)
		assert_int_equal(bo__study_find_param(s, names[i]), (int)i);
	a = run(s, ALG_NSGA2, 13, 24, N, cond_problem);
	b = run(s, ALG_RANDOM, 13, 24, N, cond_problem);
	check_cond_run(s, &a, &near_a, &deep_a, fam_a);
	check_cond_run(s, &b, &near_b, &deep_b, fam_b);
	print_message("cond: late a*b > 17: nsga2 %zu random %zu; late depth >= 32: %zu vs %zu; "
		      "families %zu %zu %zu\n",
		      near_a, near_b, deep_a, deep_b, fam_a[0], fam_a[1], fam_a[2]);
	/* The search works against both constraints without breaking them. */
	assert_true(near_a > 2 * near_b);
	assert_true(deep_a > 2 * deep_b);
	assert_true(fam_a[0] > 0 && fam_a[1] > 0 && fam_a[2] > 0);
	run_free(&a);
	run_free(&b);
	bo_study_free(s);
}

/* ---- finite spaces: no configuration twice until exhausted ---------------------- */

static const char FINITE_YAML[] =
	"name: finite\n"
	"space:\n"
	"  c: {choice: [x, y, z]}\n"
	"  d: {choice: [p, q]}\n"
	"  k: {int: [1, 4]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
	"objectives: [f1, f2]\n"
	"evaluator: {command: [\"true\"]}\n";

static int finite_problem(const bo_study *s, const double *x, double *obj, double *cons)
{
	(void)s;
	(void)cons;
	obj[0] = x[0] + 0.5 * x[2];
	obj[1] = 3 - x[0] + x[1];
	return 0;
}

static void test_finite_space(void **state)
{
	enum { NC = 24, PEND = 5 };
	bo_study *s = test_parse_study(FINITE_YAML);
	void *impl = NULL;
	double X[(NC + 3) * 3];
	size_t i, j;
	(void)state;
	assert_int_equal(bo__nsga2_ops.create(&impl, s, 2), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 6), 0);
	/* Some asks stay pending while others are told. */
	for (i = 0; i < PEND; i++)
		assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, X + i * 3), 0);
	for (i = PEND; i < NC; i++) {
		assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, X + i * 3), 0);
		tell_one(impl, s, (int64_t)i, X + i * 3, finite_problem);
	}
	for (i = 0; i < NC; i++)
		for (j = 0; j < i; j++)
			assert_false(same_points(X + i * 3, X + j * 3, 3));
	/* Exhausted: a repeat, but still a valid configuration. */
	for (i = NC; i < NC + 3; i++) {
		assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, X + i * 3), 0);
		assert_int_equal(bo__study_check_config(s, X + i * 3, NULL, 0), 0);
	}
	bo__nsga2_ops.destroy(impl);
	bo_study_free(s);
}

/* ---- the unit cube round trip on log-scaled grids ------------------------------- */

static const char LOGGRID_YAML[] =
	"name: loggrid\n"
	"space:\n"
	"  depth: {int: [1, 100], log: true}\n"
	"  lr: {float: [0.01, 10], log: true, step: 0.01}\n"
	"  w: {float: [0, 1]}\n"
	"metrics: {f1: {minimize: true}, f2: {minimize: true}}\n"
	"objectives: [f1, f2]\n"
	"evaluator: {command: [\"true\"]}\n";

static void test_log_grid_round_trip(void **state)
{
	/* Two parents equal in depth and lr, different in w; crossover
	 * always, SBX on every variable, no mutation: SBX leaves equal
	 * coordinates alone, so every child keeps the parents' depth and lr
	 * exactly, which needs unit coordinates that map back to them
	 * (bo__space_to_unit alone maps 10 to 7 on this log grid). */
	bo_study *s = test_parse_study(LOGGRID_YAML);
	const double us[][3] = {{0.513, 0.6385, 0.2}, {0.513, 0.6385, 0.8}};
	double px[2][3], x[3], obj[2];
	void *impl = NULL;
	bo_observation o;
	size_t i;
	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(bo__space_from_unit(s, us[i], px[i]), 0);
	assert_true(px[0][0] == px[1][0] && px[0][1] == px[1][1]);
	assert_true(px[0][0] > 1 && px[0][0] < 100 && px[0][1] > 0.01 && px[0][1] < 10);
	assert_int_equal(bo__nsga2_ops.create(&impl, s, 8), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 2), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "crossover_prob", 1), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "sbx_var_prob", 1), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "mutation_prob", 0), 0);
	for (i = 0; i < 2; i++) {
		obj[0] = px[i][2];
		obj[1] = 1 - px[i][2];
		o.number = (int64_t)i;
		o.x = px[i];
		o.state = BO_TRIAL_COMPLETE;
		o.nobj = 2;
		o.obj = obj;
		o.ncons = 0;
		o.cons = NULL;
		o.cost = 0;
		assert_int_equal(bo__nsga2_ops.tell(impl, &o), 0);
	}
	for (i = 2; i < 12; i++) {
		assert_int_equal(bo__nsga2_ops.ask(impl, (int64_t)i, x), 0);
		assert_true(x[0] == px[0][0]);
		assert_true(x[1] == px[0][1]);
		assert_true(x[2] != px[0][2] && x[2] != px[1][2]);
	}
	bo__nsga2_ops.destroy(impl);
	bo_study_free(s);
}

/* ---- options, errors, allocation failures ----------------------------------------- */

static void test_options(void **state)
{
	bo_study *s = test_parse_study(ZDT_YAML);
	void *impl = NULL;
	double x[5];
	bo_observation o;
	double obj[2] = {0.5, 0.5};
	(void)state;
	assert_int_equal(bo__nsga2_ops.create(&impl, s, 1), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 1), BO_EINVAL);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 10.5), BO_EINVAL);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "crossover_prob", 1.5), BO_EINVAL);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "eta_m", -1), BO_EINVAL);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "eta_c", NAN), BO_EINVAL);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "gamma", 0.1), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "unknown option \"gamma\""));
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 8), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "crossover_prob", 0.8), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "sbx_var_prob", 1), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "mutation_prob", 0.25), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "eta_c", 10), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "eta_m", 30), 0);
	assert_int_equal(bo__nsga2_ops.ask(impl, 0, x), 0);
	assert_int_equal(bo__nsga2_ops.set_param(impl, "population", 9), BO_EMISUSE);
	/* An observation of the wrong shape. */
	o.number = 0;
	o.x = x;
	o.state = BO_TRIAL_COMPLETE;
	o.nobj = 1;
	o.obj = obj;
	o.ncons = 0;
	o.cons = NULL;
	o.cost = 0;
	assert_int_equal(bo__nsga2_ops.tell(impl, &o), BO_EINVAL);
	bo__nsga2_ops.destroy(impl);
	bo_study_free(s);
}

static void test_constraints_exclude_everything(void **state)
{
	static const char NONE_YAML[] = "name: none\n"
					"space:\n"
					"  a: {float: [0, 1]}\n"
					"  b: {float: [0, 1]}\n"
					"constraints:\n"
					"  - \"a > 2\"\n"
					"metrics: {f: {minimize: true}}\n"
					"objectives: [f]\n"
					"evaluator: {command: [\"true\"]}\n";
	bo_study *s = test_parse_study(NONE_YAML);
	void *impl = NULL;
	double x[2] = {0.25, 0.25};
	(void)state;
	assert_int_equal(bo__nsga2_ops.create(&impl, s, 1), 0);
	assert_int_equal(bo__nsga2_ops.ask(impl, 0, x), BO_DONE);
	assert_true(isnan(x[0]) && isnan(x[1]));
	bo__nsga2_ops.destroy(impl);
	bo_study_free(s);
}

/* Runs a short study failing the k-th allocation; 1 when nothing failed. */
static int alloc_scenario(const bo_study *s, size_t k)
{
	void *impl = NULL;
	double x[5];
	size_t i;
	int rc, clean = 1;

	bo__alloc_fail_at(k);
	rc = bo__nsga2_ops.create(&impl, s, 3);
	if (rc < 0) {
		assert_int_equal(rc, BO_ENOMEM);
		assert_null(impl);
		bo__alloc_fail_at(0);
		return 0;
	}
	if (bo__nsga2_ops.set_param(impl, "population", 4) != 0)
		fail();
	for (i = 0; i < 40; i++) {
		double obj[2];
		bo_observation o;
		rc = bo__nsga2_ops.ask(impl, (int64_t)i, x);
		if (rc < 0) {
			assert_int_equal(rc, BO_ENOMEM);
			clean = 0;
			continue;
		}
		zdt1(s, x, obj, NULL);
		o.number = (int64_t)i;
		o.x = x;
		o.state = BO_TRIAL_COMPLETE;
		o.nobj = 2;
		o.obj = obj;
		o.ncons = 0;
		o.cons = NULL;
		o.cost = 0;
		rc = bo__nsga2_ops.tell(impl, &o);
		if (rc < 0) {
			assert_int_equal(rc, BO_ENOMEM);
			clean = 0;
		}
	}
	bo__alloc_fail_at(0);
	bo__nsga2_ops.destroy(impl);
	return clean;
}

static void test_alloc_failures(void **state)
{
	bo_study *s = test_parse_study(ZDT_YAML);
	size_t k;
	(void)state;
	for (k = 1; k < 10000; k++)
		if (alloc_scenario(s, k))
			break;
	/* Many allocations were failed in turn, and then one run went clean. */
	assert_true(k > 20 && k < 10000);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zdt1_true_hv),
		cmocka_unit_test(test_zdt1),
		cmocka_unit_test(test_dtlz2),
		cmocka_unit_test(test_constr),
		cmocka_unit_test(test_failed_trials),
		cmocka_unit_test(test_single_objective),
		cmocka_unit_test(test_determinism_and_resume),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_conditions_and_constraints),
		cmocka_unit_test(test_finite_space),
		cmocka_unit_test(test_log_grid_round_trip),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_constraints_exclude_everything),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
