/*
 * tests/unit/test_tpe.c - the TPE sampler (samplers/tpe.c) through its ops.
 * Multi-objective checks (ZDT1, DTLZ2) are in test_tpe_multi.c, the loop
 * both use in tpe_world.h.
 *
 * Quality checks run the same loop with TPE and with random search
 * (bo__random_*) on the same problems and seeds, and assert that TPE does
 * better, averaged over seeds, as well as reaching generous absolute
 * bounds: a sampler that proposed random points would fail them. Problems,
 * optima, conditions, constraints and hypervolumes of the checks are
 * computed here in C (hypervolume of two objectives by a sweep written
 * here), not through the sampler. Seeds are fixed, so a pass or a failure
 * repeats exactly.
 */
#include "tpe_world.h"

/* ---- single objective: bowl and Branin ---------------------------------------- */

static const char BOWL_YAML[] = "name: bowl\n"
				"space:\n"
				"  x: {float: [-5, 5]}\n"
				"  y: {float: [-5, 5]}\n"
				"  z: {float: [-5, 5]}\n"
				"metrics: {f: {minimize: true}}\n"
				"objectives: [{minimize: f}]\n"
				"evaluator: {command: [\"true\"]}\n";

static int bowl(const bo_study *s, const double *x, double *obj, double *cons)
{
	double a = x[pidx(s, "x")] - 1.385, b = x[pidx(s, "y")] + 2.1, c = x[pidx(s, "z")] - 0.7;
	(void)cons;
	obj[0] = a * a + b * b + c * c;
	return 0;
}

static void test_bowl(void **state)
{
	bo_study *s = test_parse_study(BOWL_YAML);
	double tb[NSEEDS], rb[NSEEDS];
	size_t r;
	(void)state;
	assert_int_equal(bo__sampler_nobjectives(s), 1);
	compare(s, bowl, 100, tb, rb);
	for (r = 0; r < NSEEDS; r++) {
		print_message("bowl seed %zu: tpe %.4g random %.4g\n", r, tb[r], rb[r]);
		assert_true(tb[r] < 0.5);
	}
	assert_true(mean(tb, NSEEDS) < 0.5 * mean(rb, NSEEDS));
	bo_study_free(s);
}

static const char BRANIN_YAML[] = "name: branin\n"
				  "space:\n"
				  "  x1: {float: [-5, 10]}\n"
				  "  x2: {float: [0, 15]}\n"
				  "metrics: {f: {minimize: true}}\n"
				  "objectives: [{minimize: f}]\n"
				  "evaluator: {command: [\"true\"]}\n";

static double branin_f(double x1, double x2)
{
	double b = 5.1 / (4 * PI * PI), c = 5 / PI, t = 1 / (8 * PI);
	double u = x2 - b * x1 * x1 + c * x1 - 6;
	return u * u + 10 * (1 - t) * cos(x1) + 10;
}

static int branin(const bo_study *s, const double *x, double *obj, double *cons)
{
	(void)cons;
	obj[0] = branin_f(x[pidx(s, "x1")], x[pidx(s, "x2")]);
	return 0;
}

static void test_branin(void **state)
{
	bo_study *s = test_parse_study(BRANIN_YAML);
	double tb[NSEEDS], rb[NSEEDS];
	size_t r;
	(void)state;
	/* The published minimum, checked here at the three minimisers. */
	assert_true(fabs(branin_f(-PI, 12.275) - BRANIN_MIN) < 1e-6);
	assert_true(fabs(branin_f(PI, 2.275) - BRANIN_MIN) < 1e-6);
	assert_true(fabs(branin_f(9.42478, 2.475) - BRANIN_MIN) < 1e-6);
	compare(s, branin, 100, tb, rb);
	for (r = 0; r < NSEEDS; r++) {
		print_message("branin seed %zu: tpe %.5g random %.5g\n", r, tb[r], rb[r]);
		assert_true(tb[r] >= BRANIN_MIN - 1e-9);
		assert_true(tb[r] < BRANIN_MIN + 0.5);
	}
	assert_true(mean(tb, NSEEDS) - BRANIN_MIN < 0.5 * (mean(rb, NSEEDS) - BRANIN_MIN));
	bo_study_free(s);
}

/* ---- a mixed space: the best label must be found ------------------------------ */

static const char MIXED_YAML[] = "name: mixed\n"
				 "space:\n"
				 "  opt: {choice: [sgd, adam, rmsprop, lamb, adagrad]}\n"
				 "  lr: {float: [1.0e-5, 1.0e-1], log: true}\n"
				 "  layers: {int: [1, 8]}\n"
				 "  width: {choice: [16, 32, 64, 128]}\n"
				 "metrics: {loss: {minimize: true}}\n"
				 "objectives: [{minimize: loss}]\n"
				 "evaluator: {command: [\"true\"]}\n";

static int mixed(const bo_study *s, const double *x, double *obj, double *cons)
{
	double opt = x[pidx(s, "opt")], lr = x[pidx(s, "lr")], layers = x[pidx(s, "layers")];
	double width = x[pidx(s, "width")], l = log10(lr) + 2.5;
	(void)cons;
	obj[0] = 0.3 * l * l + 0.05 * (layers - 5) * (layers - 5) + (width == 2 ? 0 : 0.4) +
		 (opt == 3 ? 0.0 : 1.0 + 0.1 * opt);
	return 0;
}

static void test_mixed_finds_label(void **state)
{
	enum { N = 100, LAST = 50 };
	bo_study *s = test_parse_study(MIXED_YAML);
	size_t d = s->nparams, r, i;
	double *xs = calloc(N * d, sizeof *xs), objs[N], cons[1];
	double tpe_share = 0, random_share = 0;
	int io = pidx(s, "opt"), il = pidx(s, "layers");
	(void)state;
	assert_non_null(xs);
	for (r = 0; r < NSEEDS; r++) {
		size_t hits = 0;
		double best;
		run_loop(s, tpe_algo(), 7 + r, N, mixed, xs, objs, cons, NULL, NULL);
		best = INFINITY;
		for (i = 0; i < N; i++) {
			const double *x = xs + i * d;
			/* ints are integers in range, labels are indices */
			assert_true(x[il] == floor(x[il]) && x[il] >= 1 && x[il] <= 8);
			assert_true(x[io] == floor(x[io]) && x[io] >= 0 && x[io] <= 4);
			if (objs[i] < best)
				best = objs[i];
			if (i >= N - LAST)
				hits += x[io] == 3;
		}
		for (i = 0; i < N; i++)
			if (objs[i] == best)
				assert_true(xs[i * d + io] == 3);
		assert_true(best < 0.3);
		tpe_share += (double)hits / LAST;
		run_loop(s, random_algo(), 7 + r, N, mixed, xs, objs, cons, NULL, NULL);
		hits = 0;
		for (i = N - LAST; i < N; i++)
			hits += xs[i * d + io] == 3;
		random_share += (double)hits / LAST;
	}
	tpe_share /= NSEEDS;
	random_share /= NSEEDS;
	print_message("mixed: share of the best label in the last %d: tpe %.2f random %.2f\n",
		      LAST, tpe_share, random_share);
	assert_true(tpe_share > 0.4);
	assert_true(tpe_share > random_share + 0.25);
	free(xs);
	bo_study_free(s);
}

/* ---- conditions -------------------------------------------------------------------- */

static const char COND_YAML[] = "name: cond\n"
				"space:\n"
				"  family: {choice: [a, b, c]}\n"
				"  xa: {float: [0, 1], when: {family: a}}\n"
				"  xb: {float: [0, 1], when: {family: b}}\n"
				"  depth: {int: [1, 10], when: {family: b}}\n"
				"  drop: {float: [0, 0.5], when: \"depth >= 5\"}\n"
				"  lr: {float: [1.0e-4, 1.0], log: true}\n"
				"metrics: {loss: {minimize: true}}\n"
				"objectives: [{minimize: loss}]\n"
				"evaluator: {command: [\"true\"]}\n";

/* Checks activity against the conditions, evaluated here. */
static int cond(const bo_study *s, const double *x, double *obj, double *cons)
{
	int fam = (int)x[pidx(s, "family")];
	double xa = x[pidx(s, "xa")], xb = x[pidx(s, "xb")], depth = x[pidx(s, "depth")];
	double drop = x[pidx(s, "drop")], lr = x[pidx(s, "lr")], l = log10(lr) + 2;
	(void)cons;
	assert_int_equal(!isnan(xa), fam == 0);
	assert_int_equal(!isnan(xb), fam == 1);
	assert_int_equal(!isnan(depth), fam == 1);
	assert_int_equal(!isnan(drop), fam == 1 && depth >= 5);
	assert_false(isnan(lr));
	if (fam == 0)
		obj[0] = 0.5 + (xa - 0.3) * (xa - 0.3) + 0.1 * l * l;
	else if (fam == 1)
		obj[0] = (xb - 0.7) * (xb - 0.7) + 0.02 * (depth - 6) * (depth - 6) +
			 (drop - 0.1) * (drop - 0.1) + 0.1 * l * l;
	else
		obj[0] = 1.0 + 0.1 * l * l;
	return 0;
}

static void test_conditions(void **state)
{
	bo_study *s = test_parse_study(COND_YAML);
	double tb[NSEEDS], rb[NSEEDS];
	size_t r;
	(void)state;
	compare(s, cond, 100, tb, rb);
	for (r = 0; r < NSEEDS; r++) {
		print_message("cond seed %zu: tpe %.4g random %.4g\n", r, tb[r], rb[r]);
		assert_true(tb[r] < 0.1);   /* family b: the others are >= 0.5 */
	}
	assert_true(mean(tb, NSEEDS) < 0.7 * mean(rb, NSEEDS));
	bo_study_free(s);
}

/* ---- configuration constraints ---------------------------------------------------- */

static const char CONS_YAML[] = "name: cons\n"
				"space:\n"
				"  x: {float: [0, 1]}\n"
				"  y: {float: [0, 1]}\n"
				"  k: {int: [1, 6]}\n"
				"constraints:\n"
				"  - \"x + y <= 1\"\n"
				"  - \"k * x <= 2\"\n"
				"metrics: {f: {minimize: true}}\n"
				"objectives: [{minimize: f}]\n"
				"evaluator: {command: [\"true\"]}\n";

static int cons_problem(const bo_study *s, const double *x, double *obj, double *cons)
{
	double a = x[pidx(s, "x")], b = x[pidx(s, "y")], k = x[pidx(s, "k")];
	(void)cons;
	/* never proposed outside the constraints, checked here */
	assert_true(a + b <= 1);
	assert_true(k * a <= 2);
	obj[0] = (a - 0.8) * (a - 0.8) + (b - 0.6) * (b - 0.6) + 0.01 * (k - 2) * (k - 2);
	return 0;
}

static void test_constraints(void **state)
{
	bo_study *s = test_parse_study(CONS_YAML);
	double tb[NSEEDS], rb[NSEEDS];
	size_t r;
	(void)state;
	compare(s, cons_problem, 100, tb, rb);
	for (r = 0; r < NSEEDS; r++) {
		/* optimum: (0.6, 0.4) on the line x + y = 1, k = 2: 0.08 */
		print_message("cons seed %zu: tpe %.4g random %.4g\n", r, tb[r], rb[r]);
		assert_true(tb[r] >= 0.08 - 1e-12);
		assert_true(tb[r] < 0.08 + 0.03);
	}
	assert_true(mean(tb, NSEEDS) - 0.08 < 0.7 * (mean(rb, NSEEDS) - 0.08));
	bo_study_free(s);
}

/* ---- failed trials teach ---------------------------------------------------------- */

static int failing(const bo_study *s, const double *x, double *obj, double *cons)
{
	double a = x[pidx(s, "x")], b = x[pidx(s, "y")];
	(void)cons;
	if (a < 0.6)
		return 1;
	obj[0] = (a - 0.7) * (a - 0.7) + (b - 0.5) * (b - 0.5);
	return 0;
}

static const char FAIL_YAML[] = "name: fail\n"
				"space:\n"
				"  x: {float: [0, 1]}\n"
				"  y: {float: [0, 1]}\n"
				"metrics: {f: {minimize: true}}\n"
				"objectives: [{minimize: f}]\n"
				"evaluator: {command: [\"true\"]}\n";

static void test_failures_avoided(void **state)
{
	enum { N = 80 };
	bo_study *s = test_parse_study(FAIL_YAML);
	double xs[N * 2], objs[N], cons[1];
	size_t r, i, fails_tpe = 0, fails_random = 0, later = 0;
	(void)state;
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 40 + r, N, failing, xs, objs, cons, NULL, NULL);
		for (i = 20; i < N; i++)
			fails_tpe += isnan(objs[i]);
		run_loop(s, random_algo(), 40 + r, N, failing, xs, objs, cons, NULL, NULL);
		for (i = 20; i < N; i++)
			fails_random += isnan(objs[i]);
		later += N - 20;
	}
	print_message("failures after start-up: tpe %zu random %zu of %zu\n", fails_tpe,
		      fails_random, later);
	/* random fails 60% of the time; TPE learns the failing region */
	assert_true((double)fails_tpe < 0.25 * (double)later);
	assert_true(fails_tpe * 2 < fails_random);
	bo_study_free(s);
}

/* ---- guardrails: c-TPE on Gardner's problem ------------------------------------ */

static const char GARDNER_YAML[] = "name: gardner\n"
				   "space:\n"
				   "  x: {float: [0, 6]}\n"
				   "  y: {float: [0, 6]}\n"
				   "metrics: {f: {minimize: true}, c: {minimize: true}}\n"
				   "objectives: [{minimize: f}]\n"
				   "guardrails: [\"c <= 0.5\"]\n"
				   "evaluator: {command: [\"true\"]}\n";

/* Gardner et al. 2014: min cos(2x)cos(y) + sin(x) s.t. cos(x)cos(y) -
 * sin(x)sin(y) <= 0.5 (two thirds of the box are feasible). The margin is
 * what the guardrail leaves: 0.5 - c. */
static int gardner(const bo_study *s, const double *x, double *obj, double *cons)
{
	double a = x[pidx(s, "x")], b = x[pidx(s, "y")];
	double c = cos(a) * cos(b) - sin(a) * sin(b);
	obj[0] = cos(2 * a) * cos(b) + sin(a);
	cons[0] = 0.5 - c;
	return 0;
}

static void test_ctpe_gardner(void **state)
{
	enum { N = 100, START = 20 };
	bo_study *s = test_parse_study(GARDNER_YAML);
	double xs[N * 2], objs[N], cons[N];
	size_t r, i, feas_tpe = 0, feas_random = 0, feas_plain = 0, total = 0;
	double best_tpe = 0, best_random = 0;
	static const char *const no_ctpe[] = {"ctpe", NULL};
	static const double zero[] = {0};
	(void)state;
	assert_int_equal(s->nguardrails, 1);
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 60 + r, N, gardner, xs, objs, cons, NULL, NULL);
		for (i = START; i < N; i++)
			feas_tpe += cons[i] >= 0;
		best_tpe += best_of(objs, cons, 1, N);
		run_loop(s, tpe_algo(), 60 + r, N, gardner, xs, objs, cons, no_ctpe, zero);
		for (i = START; i < N; i++)
			feas_plain += cons[i] >= 0;
		run_loop(s, random_algo(), 60 + r, N, gardner, xs, objs, cons, NULL, NULL);
		for (i = START; i < N; i++)
			feas_random += cons[i] >= 0;
		best_random += best_of(objs, cons, 1, N);
		total += N - START;
	}
	print_message("gardner feasible after start-up: c-tpe %zu, split only %zu, random %zu "
		      "of %zu; best %.4g vs random %.4g\n",
		      feas_tpe, feas_plain, feas_random, total, best_tpe / NSEEDS,
		      best_random / NSEEDS);
	assert_true((double)feas_tpe > 0.8 * (double)total);
	assert_true((double)feas_tpe > 1.2 * (double)feas_random);
	/* the c-TPE ratios add to the feasibility-aware split alone */
	assert_true(feas_tpe > feas_plain);
	assert_true(best_tpe <= best_random);
	bo_study_free(s);
}

/* ---- finite spaces: no repeats -------------------------------------------------- */

static const char GRID16_YAML[] = "name: grid16\n"
				  "space:\n"
				  "  a: {choice: [p, q, r, s]}\n"
				  "  b: {choice: [u, v, w, z]}\n"
				  "metrics: {f: {minimize: true}}\n"
				  "objectives: [{minimize: f}]\n"
				  "evaluator: {command: [\"true\"]}\n";

static int grid16(const bo_study *s, const double *x, double *obj, double *cons)
{
	(void)s;
	(void)cons;
	obj[0] = (x[0] - 1) * (x[0] - 1) + (x[1] - 2) * (x[1] - 2);
	return 0;
}

static void test_grid16_no_repeats(void **state)
{
	enum { N = 16 };
	bo_study *s = test_parse_study(GRID16_YAML);
	double xs[(N + 4) * 2], objs[N + 4], cons[1];
	int seen[16];
	size_t r, i, n_startup;
	(void)state;
	/* sequential (told between asks), with and without start-up points */
	for (n_startup = 0; n_startup <= 10; n_startup += 5) {
		static const char *const names[] = {"n_startup", NULL};
		double v = (double)n_startup;
		for (r = 0; r < NSEEDS; r++) {
			run_loop(s, tpe_algo(), 90 + r, N + 4, grid16, xs, objs, cons, names, &v);
			memset(seen, 0, sizeof seen);
			for (i = 0; i < N; i++) {
				int c = (int)(xs[2 * i] * 4 + xs[2 * i + 1]);
				assert_int_equal(seen[c], 0);
				seen[c] = 1;
			}
			/* exhausted: asks go on (repeats allowed) */
			for (i = N; i < N + 4; i++)
				assert_false(isnan(xs[2 * i]));
		}
	}
	/* parallel: 16 asks, none told (all pending) */
	for (r = 0; r < NSEEDS; r++) {
		void *impl = NULL;
		double x[2];
		assert_int_equal(bo__tpe_ops.create(&impl, s, 95 + r), 0);
		memset(seen, 0, sizeof seen);
		for (i = 0; i < N; i++) {
			int c;
			assert_int_equal(bo__tpe_ops.ask(impl, (int64_t)i, x), 0);
			c = (int)(x[0] * 4 + x[1]);
			assert_int_equal(seen[c], 0);
			seen[c] = 1;
		}
		assert_int_equal(bo__tpe_ops.ask(impl, N, x), 0);
		bo__tpe_ops.destroy(impl);
	}
	bo_study_free(s);
}

static const char NAS_YAML[] = "name: nas\n"
			       "space:\n"
			       "  e1: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "  e2: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "  e3: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "  e4: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "  e5: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "  e6: {choice: [none, skip, conv1, conv3, pool]}\n"
			       "metrics: {err: {minimize: true}}\n"
			       "objectives: [{minimize: err}]\n"
			       "evaluator: {command: [\"true\"]}\n";

/* A sharp optimum at conv3 everywhere; every fifth configuration fails. */
static int nas(const bo_study *s, const double *x, double *obj, double *cons)
{
	size_t i;
	double code = 0;
	(void)cons;
	obj[0] = 0;
	for (i = 0; i < s->nparams; i++) {
		obj[0] += x[i] == 3 ? 0.0 : 1.0 + 0.1 * x[i];
		code = code * 5 + x[i];
	}
	return fmod(code, 5.0) == 1.0;
}

static int cmp_row6(const void *a, const void *b)
{
	return memcmp(a, b, 6 * sizeof(double));
}

/* 15625 configurations (too many to enumerate): TPE concentrates near the
 * optimum, yet never proposes a configuration twice. */
static void test_large_finite_no_repeats(void **state)
{
	enum { N = 300 };
	bo_study *s = test_parse_study(NAS_YAML);
	double *xs = calloc(N * 6, sizeof *xs), objs[N], cons[1];
	size_t i;
	(void)state;
	assert_non_null(xs);
	run_loop(s, tpe_algo(), 3, N, nas, xs, objs, cons, NULL, NULL);
	assert_true(best_of(objs, cons, 0, N) < 2.0);
	qsort(xs, N, 6 * sizeof *xs, cmp_row6);
	for (i = 1; i < N; i++)
		assert_true(memcmp(xs + (i - 1) * 6, xs + i * 6, 6 * sizeof *xs) != 0);
	free(xs);
	bo_study_free(s);
}

/* ---- determinism and resume --------------------------------------------------- */

static void test_determinism_and_resume(void **state)
{
	enum { N = 40, CUT = 30 };
	bo_study *s = test_parse_study(COND_YAML);
	size_t d = s->nparams, i, j;
	double *a = calloc(N * d, sizeof *a), *b = calloc(N * d, sizeof *b);
	double oa[N], ob[N], cons[1], x[16];
	void *impl = NULL;
	size_t order[CUT];
	(void)state;
	assert_true(a && b && d <= 16);
	run_loop(s, tpe_algo(), 5, N, cond, a, oa, cons, NULL, NULL);
	run_loop(s, tpe_algo(), 5, N, cond, b, ob, cons, NULL, NULL);
	for (i = 0; i < N * d; i++)
		assert_true((isnan(a[i]) && isnan(b[i])) || a[i] == b[i]);
	/* another seed: other points */
	run_loop(s, tpe_algo(), 6, N, cond, b, ob, cons, NULL, NULL);
	j = 0;
	for (i = 0; i < N * d; i++)
		j += !((isnan(a[i]) && isnan(b[i])) || a[i] == b[i]);
	assert_true(j > 0);
	/* resume: a fresh sampler told the first CUT trials in a shuffled
	 * order asks trial CUT exactly as the uninterrupted run did */
	for (i = 0; i < CUT; i++)
		order[i] = (i * 7) % CUT;
	assert_int_equal(bo__tpe_ops.create(&impl, s, 5), 0);
	for (i = 0; i < CUT; i++) {
		bo_observation o;
		size_t k = order[i];
		o.number = (int64_t)k;
		o.x = a + k * d;
		o.state = BO_TRIAL_COMPLETE;
		o.nobj = 1;
		o.obj = &oa[k];
		o.ncons = 0;
		o.cons = NULL;
		o.cost = 1;
		assert_int_equal(bo__tpe_ops.tell(impl, &o), 0);
	}
	for (i = CUT; i < CUT + 2; i++) {
		assert_int_equal(bo__tpe_ops.ask(impl, (int64_t)i, x), 0);
		for (j = 0; j < d; j++)
			assert_true((isnan(x[j]) && isnan(a[i * d + j])) || x[j] == a[i * d + j]);
		/* asked again before telling: the same answer */
		assert_int_equal(bo__tpe_ops.ask(impl, (int64_t)i, x), 0);
		for (j = 0; j < d; j++)
			assert_true((isnan(x[j]) && isnan(a[i * d + j])) || x[j] == a[i * d + j]);
		{
			bo_observation o;
			o.number = (int64_t)i;
			o.x = a + i * d;
			o.state = BO_TRIAL_COMPLETE;
			o.nobj = 1;
			o.obj = &oa[i];
			o.ncons = 0;
			o.cons = NULL;
			o.cost = 1;
			assert_int_equal(bo__tpe_ops.tell(impl, &o), 0);
		}
	}
	bo__tpe_ops.destroy(impl);
	free(a);
	free(b);
	bo_study_free(s);
}

/* Grids for the memo of truncation constants: more codes than its slots
 * (linear and log), and a short one whose codes repeat in every mixture. */
static const char GRID_YAML[] = "name: grids\n"
				"space:\n"
				"  wide: {int: [1, 3000]}\n"
				"  logw: {int: [1, 5000], log: true}\n"
				"  few: {int: [-3, 4]}\n"
				"  stepped: {float: [0.25, 7.385], step: 0.01}\n"
				"  x: {float: [-2.385, 1]}\n"
				"metrics: {loss: {minimize: true}}\n"
				"objectives: [{minimize: loss}]\n"
				"evaluator: {command: [\"true\"]}\n";

/* The parameter-major density (the fast kernel) and mix_fit's memo of
 * truncation constants propose exactly what the component-by-component
 * density with every constant computed afresh does, bit for bit:
 * conditional parameters (inactive ones in components and candidates),
 * labels, grids, failed trials and batches of pending asks (constant
 * liar), past the sizes where the mixtures' storage grows. */
static void check_kernels_identical(const char *yaml)
{
	enum { N = 260, BATCH = 3 };
	bo_study *s = test_parse_study(yaml);
	size_t d = s->nparams, i, j, k;
	void *fast = NULL, *ref = NULL;
	double xf[BATCH][16], xr[BATCH][16];
	size_t differ = 0;
	assert_true(d <= 16);
	assert_int_equal(bo__tpe_ops.create(&fast, s, 41), 0);
	assert_int_equal(bo__tpe_ops.create(&ref, s, 41), 0);
	assert_int_equal(bo__tpe_ops.set_param(ref, "reference_kernel", 1), 0);
	assert_int_equal(bo__tpe_ops.set_param(ref, "reference_kernel", 2), BO_EINVAL);
	for (i = 0; i < N; i += BATCH) {
		for (k = 0; k < BATCH; k++) {
			assert_int_equal(bo__tpe_ops.ask(fast, (int64_t)(i + k), xf[k]), 0);
			assert_int_equal(bo__tpe_ops.ask(ref, (int64_t)(i + k), xr[k]), 0);
			for (j = 0; j < d; j++)
				differ += !((isnan(xf[k][j]) && isnan(xr[k][j])) || xf[k][j] == xr[k][j]);
		}
		for (k = 0; k < BATCH; k++) {
			double obj = 0.0;
			bo_observation o;
			for (j = 0; j < d; j++)
				if (!isnan(xf[k][j]))
					obj += sin(2.385 * xf[k][j] * (double)(j + 1));
			o.number = (int64_t)(i + k);
			o.x = xf[k];
			o.state = (i + k) % 7 == 3 ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
			o.nobj = 1;
			o.obj = &obj;
			o.ncons = 0;
			o.cons = NULL;
			o.cost = 1;
			assert_int_equal(bo__tpe_ops.tell(fast, &o), 0);
			assert_int_equal(bo__tpe_ops.tell(ref, &o), 0);
		}
	}
	assert_int_equal(differ, 0);
	bo__tpe_ops.destroy(fast);
	bo__tpe_ops.destroy(ref);
	bo_study_free(s);
}

static void test_fast_kernel_identical(void **state)
{
	(void)state;
	check_kernels_identical(COND_YAML);
	check_kernels_identical(GRID_YAML);
}

/* ---- constant liar: parallel asks spread ---------------------------------------- */

static double min_pair_dist(const double *x, size_t n, size_t d)
{
	double best = INFINITY;
	size_t i, j, k;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			double s = 0;
			for (k = 0; k < d; k++)
				s += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]);
			best = fmin(best, sqrt(s));
		}
	return best;
}

static void test_constant_liar(void **state)
{
	enum { N = 40, B = 8 };
	bo_study *s = test_parse_study(BOWL_YAML);
	double xs[(N + B) * 3], objs[N], cons[1];
	double spread[2] = {0, 0};
	size_t r, i, liar;
	(void)state;
	for (r = 0; r < NSEEDS; r++) {
		run_loop(s, tpe_algo(), 20 + r, N, bowl, xs, objs, cons, NULL, NULL);
		for (liar = 0; liar < 2; liar++) {
			void *impl = NULL;
			assert_int_equal(bo__tpe_ops.create(&impl, s, 20 + r), 0);
			assert_int_equal(bo__tpe_ops.set_param(impl, "constant_liar", (double)liar), 0);
			for (i = 0; i < N; i++) {
				bo_observation o = {(int64_t)i, xs + 3 * i, BO_TRIAL_COMPLETE, 1,
						    objs + i, 0, NULL, 1.0};
				assert_int_equal(bo__tpe_ops.tell(impl, &o), 0);
			}
			for (i = N; i < N + B; i++)
				assert_int_equal(bo__tpe_ops.ask(impl, (int64_t)i, xs + 3 * i), 0);
			spread[liar] += min_pair_dist(xs + 3 * N, B, 3);
			bo__tpe_ops.destroy(impl);
		}
	}
	print_message("batch of %d: closest pair %.4f without liar, %.4f with\n", B,
		      spread[0] / NSEEDS, spread[1] / NSEEDS);
	assert_true(spread[1] > spread[0]);
	bo_study_free(s);
}

/* ---- options and allocation failures ---------------------------------------------- */

static void test_set_param(void **state)
{
	bo_study *s = test_parse_study(BOWL_YAML);
	void *impl = NULL;
	(void)state;
	assert_int_equal(bo__tpe_ops.create(&impl, s, 1), 0);
	assert_string_equal(bo__tpe_ops.name, "tpe");
	assert_int_equal(bo__tpe_ops.set_param(impl, "n_startup", 5), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "gamma", 0.25), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "n_candidates", 48), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "prior_weight", 2.5), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "max_good", 10), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "startup_sobol", 0), 0);
	assert_int_equal(bo__tpe_ops.set_param(impl, "gamma", 0), BO_EINVAL);
	assert_int_equal(bo__tpe_ops.set_param(impl, "gamma", 1.5), BO_EINVAL);
	assert_int_equal(bo__tpe_ops.set_param(impl, "n_candidates", 0), BO_EINVAL);
	assert_int_equal(bo__tpe_ops.set_param(impl, "n_startup", 2.5), BO_EINVAL);
	assert_int_equal(bo__tpe_ops.set_param(impl, "prior_weight", -1), BO_EINVAL);
	assert_int_equal(bo__tpe_ops.set_param(impl, "gama", 0.2), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "gama"));
	bo__tpe_ops.destroy(impl);
	bo_study_free(s);
}

/* Fails each allocation in turn over create, tells and asks: each run ends
 * with 0 or BO_ENOMEM and frees everything (ASan builds check leaks). */
static void test_alloc_failures(void **state)
{
	bo_study *s = test_parse_study(GARDNER_YAML);
	size_t k;
	int clean = 0;
	(void)state;
	for (k = 1; !clean && k < 5000; k++) {
		void *impl = NULL;
		int rc, failed = 0;
		int64_t i;
		bo__alloc_fail_at(k);
		rc = bo__tpe_ops.create(&impl, s, 3);
		if (rc == 0) {
			bo__tpe_ops.set_param(impl, "n_startup", 3);
			for (i = 0; i < 24 && !failed; i++) {
				double x[2], obj[1], cons[1];
				bo_observation o;
				rc = bo__tpe_ops.ask(impl, i, x);
				if (rc != 0) {
					assert_int_equal(rc, BO_ENOMEM);
					failed = 1;
					break;
				}
				gardner(s, x, obj, cons);
				o.number = i;
				o.x = x;
				o.state = i % 5 == 4 ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
				o.nobj = 1;
				o.obj = obj;
				o.ncons = 1;
				o.cons = cons;
				o.cost = 1;
				rc = bo__tpe_ops.tell(impl, &o);
				if (rc != 0) {
					assert_int_equal(rc, BO_ENOMEM);
					failed = 1;
				}
			}
			bo__tpe_ops.destroy(impl);
		} else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(impl);
			failed = 1;
		}
		clean = !failed;
	}
	bo__alloc_fail_at(0);
	assert_true(clean);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_param),
		cmocka_unit_test(test_bowl),
		cmocka_unit_test(test_branin),
		cmocka_unit_test(test_mixed_finds_label),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_failures_avoided),
		cmocka_unit_test(test_ctpe_gardner),
		cmocka_unit_test(test_grid16_no_repeats),
		cmocka_unit_test(test_large_finite_no_repeats),
		cmocka_unit_test(test_determinism_and_resume),
		cmocka_unit_test(test_fast_kernel_identical),
		cmocka_unit_test(test_constant_liar),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
