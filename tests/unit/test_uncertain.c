/*
 * tests/unit/test_uncertain.c - uncertain inputs and prices (core/dist.c,
 * core/study_dist.c) and the Monte Carlo evaluation of configurations
 * (analysis/uncertain.c).
 *
 * Monte Carlo answers are checked against closed forms inside stated
 * confidence intervals: a mean within Z_CHECK standard errors of the exact
 * mean; a share within Z_CHECK binomial standard errors of the exact
 * probability; an empirical q-quantile x whose exact distribution function
 * F(x) lies within Z_CHECK * sqrt(q(1-q)/N) of q. With Z_CHECK = 5 a
 * correct implementation fails one check in about 3.5 million; the draws
 * come from a fixed seed, so a run either always passes or always fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "analysis/configs.h"
#include "analysis/uncertain.h"
#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/csv.h"
#include "core/dist.h"
#include "core/model.h"
#include "mc_catalog.h"

/* |a - b| <= tol, saying both values when not (this cmocka has no
 * assert_double_equal) */
#define assert_near(a, b, tol) near_at((a), (b), (tol), __FILE__, __LINE__)

static void near_at(double a, double b, double tol, const char *file, int line)
{
	if (!(fabs(a - b) <= tol)) {
		print_error("%s:%d: %.17g and %.17g differ by more than %g\n", file, line, a, b, tol);
		_fail(file, line);
	}
}

#define Z_CHECK 5.0
#define DRAWS 20000

/* Standard normal distribution function, from erfc (independent of GSL's
 * inverse, which the code under test uses). */
static double phi(double z)
{
	return 0.5 * erfc(-z / sqrt(2.0));
}

static bo_study *parse(const char *text, const char *dir, bo_diags **d)
{
	bo_study *s = NULL;
	int rc = bo_study_parse(&s, text, strlen(text), "u.yaml", dir, d);
	if (rc && !d)
		print_error("%s\n", bo_error_last());
	return rc ? NULL : s;
}

/* Index of quantity name in mc, or fails. */
static size_t qty(const bo_mc *mc, const char *name)
{
	size_t q;
	for (q = 0; q < mc->nqty; q++)
		if (!strcmp(mc->qty[q].name, name))
			return q;
	fail_msg("no uncertain quantity %s", name);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ---- distributions -------------------------------------------------------- */

static const char DISTS[] =
	"name: d\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"inputs:\n"
	"  n1: {normal: [2.385, 0.7]}\n"
	"  ln: {lognormal: {median: 3.1, p95: 7.9}}\n"
	"  un: {uniform: [1.25, 3.75]}\n"
	"  tr: {triangular: [0.5, 1.75, 4.25]}\n"
	"  pt: 42\n"
	"prices:\n"
	"  gpu_hours: {l4: 0.8, a100: {triangular: [2.0, 3.0, 5.5]}}\n"
	"  cpu_hours: {uniform: [0.02, 0.06]}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_point_uses_take_the_mean(void **state)
{
	bo_study *s = parse(DISTS, NULL, NULL);
	double p;
	(void)state;
	assert_non_null(s);
	assert_int_equal(s->nuncertain, 6);
	assert_near(s->inputs[0].value, 2.385, 1e-15);
	/* lognormal: mean = median * exp(sigma^2 / 2), sigma = ln(p95/median)/z95 */
	{
		double sig = log(7.9 / 3.1) / 1.6448536269514722;
		assert_near(s->inputs[1].value, 3.1 * exp(sig * sig / 2), 1e-12);
	}
	assert_near(s->inputs[2].value, 2.5, 1e-15);
	assert_near(s->inputs[3].value, (0.5 + 1.75 + 4.25) / 3, 1e-15);
	assert_near(s->inputs[4].value, 42, 0);
	assert_null(s->inputs[4].dist);
	/* the run loop prices usage at the means */
	assert_int_equal(bo__pricebook_unit_price(&s->prices, "gpu_hours.a100", &p), 0);
	assert_near(p, 3.5, 1e-15);
	assert_int_equal(bo__pricebook_unit_price(&s->prices, "gpu_hours.l4", &p), 0);
	assert_near(p, 0.8, 0);
	assert_int_equal(bo__pricebook_unit_price(&s->prices, "cpu_hours", &p), 0);
	assert_near(p, 0.04, 1e-15);
	bo_study_free(s);
}

/* Lognormal quantiles against the closed form exp(mu + sigma z_q), with
 * z_q written out (not from GSL). */
static void test_lognormal_quantiles(void **state)
{
	bo_study *s = parse(DISTS, NULL, NULL);
	const bo_dist *d;
	double mu = log(3.1), sig = log(7.9 / 3.1) / 1.6448536269514722;
	(void)state;
	assert_non_null(s);
	d = s->inputs[1].dist;
	assert_non_null(d);
	assert_near(bo__dist_quantile(d, 0.5), 3.1, 1e-12);
	assert_near(bo__dist_quantile(d, 0.95), 7.9, 1e-9);
	assert_near(bo__dist_quantile(d, 0.975), exp(mu + sig * 1.959963984540054), 1e-9);
	assert_near(bo__dist_quantile(d, 0.1), exp(mu - sig * 1.2815515655446004), 1e-9);
	/* triangular: F(mode) = (mode - low) / (high - low) */
	d = s->inputs[3].dist;
	assert_near(bo__dist_quantile(d, (1.75 - 0.5) / 3.75), 1.75, 1e-12);
	assert_near(bo__dist_quantile(d, 0.0), 0.5, 1e-12);
	assert_near(bo__dist_quantile(d, 1.0), 4.25, 1e-12);
	bo_study_free(s);
}

/* ---- Monte Carlo against closed forms ------------------------------------ */

static const char SUMS[] =
	"name: sums\n"
	"space:\n"
	"  name: {choice: from_catalog}\n"
	"inputs:\n"
	"  a: {normal: [2.385, 0.7]}\n"
	"  b: {normal: [-1.2, 1.3]}\n"
	"  t: {triangular: [0.5, 1.75, 4.25]}\n"
	"prices:\n"
	"  cpu_hours: {uniform: [1.0, 3.0]}\n"
	"metrics:\n"
	"  k: {}\n"
	"derived:\n"
	"  s: \"k * a + b\"\n"
	"  tri: \"t\"\n"
	"  cost: {expr: \"k * price.cpu_hours\", minimize: true}\n"
	"  fixed: \"k * 2\"\n"
	"guardrails:\n"
	"  - \"cost <= 5 with probability >= 0.7\"\n"
	"score: \"k\"\n"
	"catalog: {label: name}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

/* k = 2: s = 2a + b ~ N(2 * 2.385 - 1.2, sqrt(4 * 0.49 + 1.69));
 * cost = 2 U(1, 3): P(cost <= 5) = 0.75 (feasible at 0.7);
 * k = 3: cost = 3 U(1, 3): P(cost <= 5) = (5/3 - 1)/2 = 1/3 (infeasible);
 * k = 1: P = 1. */
static const char SUMS_TABLE[] = "name,k\none,1\ntwo,2\nthree,3\n";

static void test_sum_of_normals(void **state)
{
	bo_study *s = parse(SUMS, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	double mean = 2 * 2.385 - 1.2, sd = sqrt(4 * 0.49 + 1.69), n = DRAWS;
	size_t q, k;
	(void)state;
	assert_non_null(s);
	o.draws = DRAWS;
	o.nq = 3;
	o.q[0] = 0.05;
	o.q[1] = 0.5;
	o.q[2] = 0.95;
	run_catalog(s, SUMS_TABLE, &c, &mc, &o);
	assert_int_equal(c.n, 3);
	/* only what reaches an uncertain number is a distribution */
	assert_int_equal(mc.nqty, 3);
	assert_int_equal(bo__study_find_derived(s, "fixed"), 3);
	for (q = 0; q < mc.nqty; q++)
		assert_string_not_equal(mc.qty[q].name, "fixed");
	q = qty(&mc, "s");
	/* config 1 is k = 2 */
	assert_true(fabs(mc.mean[1 * mc.nqty + q] - mean) <= Z_CHECK * sd / sqrt(n));
	for (k = 0; k < 3; k++) {
		double x = mc.quant[(1 * mc.nqty + q) * mc.o.nq + k], lv = mc.o.q[k];
		double f = phi((x - mean) / sd);
		assert_true(fabs(f - lv) <= Z_CHECK * sqrt(lv * (1 - lv) / n));
	}
	/* without a confidence, the derived metric ranks on its mean */
	assert_near(c.v[1].dv[bo__study_find_derived(s, "s")], mc.mean[1 * mc.nqty + q], 0);
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

static void test_triangular_mean(void **state)
{
	bo_study *s = parse(SUMS, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	double a = 0.5, m = 1.75, b = 4.25;
	double mean = (a + m + b) / 3, var = (a * a + m * m + b * b - a * m - a * b - m * b) / 18;
	size_t q;
	(void)state;
	assert_non_null(s);
	o.draws = DRAWS;
	run_catalog(s, SUMS_TABLE, &c, &mc, &o);
	q = qty(&mc, "tri");
	assert_true(fabs(mc.mean[0 * mc.nqty + q] - mean) <= Z_CHECK * sqrt(var / DRAWS));
	/* the quantiles of t are those of its draws, sorted here independently
	 * of the selection the code uses */
	{
		double *col = malloc(DRAWS * sizeof *col);
		size_t d, k, j = s->inputs[bo__study_find_input(s, "t")].dist->slot;
		assert_non_null(col);
		for (d = 0; d < DRAWS; d++)
			col[d] = mc.draws[d * mc.nuncertain + j];
		qsort(col, DRAWS, sizeof *col, cmp_double);
		for (k = 0; k < mc.o.nq; k++)
			assert_near(mc.quant[(0 * mc.nqty + q) * mc.o.nq + k],
				    bo__mc_quantile_sorted(col, DRAWS, mc.o.q[k]), 1e-12);
		free(col);
	}
	/* common random numbers: the same draws for every configuration */
	assert_near(mc.mean[0 * mc.nqty + q], mc.mean[2 * mc.nqty + q], 0);
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

static void test_uniform_chance_constraint(void **state)
{
	bo_study *s = parse(SUMS, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	static const double exact[3] = {1.0, 0.75, 1.0 / 3.0};
	size_t i;
	(void)state;
	assert_non_null(s);
	assert_near(s->guardrails[0].prob, 0.7, 0);
	assert_string_equal(s->guardrails[0].text, "cost <= 5");
	o.draws = DRAWS;
	run_catalog(s, SUMS_TABLE, &c, &mc, &o);
	for (i = 0; i < 3; i++) {
		double p = mc.prob[i * mc.ng + 0], se = sqrt(exact[i] * (1 - exact[i]) / DRAWS);
		assert_true(fabs(p - exact[i]) <= Z_CHECK * se + 1e-12);
	}
	assert_true(c.v[0].feasible);
	assert_true(c.v[1].feasible);
	assert_false(c.v[2].feasible);
	assert_non_null(strstr(c.v[2].why, "cost <= 5 (holds with probability"));
	bo__mc_clear(&mc);
	bo__configs_clear(&c);

	/* --confidence 0.9 wins over the file's 0.7: k = 2 (P = 0.75) drops out,
	 * and the cost ranks on its 90% quantile: 2 * (1 + 2 * 0.9) = 5.6 */
	o.confidence = 0.9;
	run_catalog(s, SUMS_TABLE, &c, &mc, &o);
	assert_true(c.v[0].feasible);
	assert_false(c.v[1].feasible);
	{
		double x = c.v[1].dv[bo__study_find_derived(s, "cost")];
		/* F(x) of cost = 2 U(1,3) is (x/2 - 1)/2 */
		assert_true(fabs((x / 2 - 1) / 2 - 0.9) <= Z_CHECK * sqrt(0.09 / DRAWS));
	}
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* A finished trial judged as select judges it (analysis/trial_judge.c):
 * cost = m * U(1, 3) <= 5 with probability >= 0.7 holds when
 * (5/m - 1)/2 >= 0.7, i.e. m <= 2.083, while judged at the price's mean
 * (2m <= 5) it would hold up to m = 2.5: the trials in between are where
 * a trial's own evaluation and select disagreed. */
static const char JUDGE[] =
	"name: judge\n"
	"space:\n"
	"  k: {float: [0, 10]}\n"
	"prices:\n"
	"  cpu_hours: {uniform: [1.0, 3.0]}\n"
	"metrics:\n"
	"  m: {}\n"
	"derived:\n"
	"  cost: {expr: \"m * price.cpu_hours\", minimize: true}\n"
	"guardrails:\n"
	"  - \"cost <= 5 with probability >= 0.7\"\n"
	"score: \"m + k\"\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_judge_trial(void **state)
{
	bo_study *s = parse(JUDGE, NULL, NULL), *plain;
	size_t i, nbetween = 0;
	(void)state;
	assert_non_null(s);
	assert_true(bo__mc_needed(s));
	for (i = 0; i <= 28; i++) {
		double m = 0.5 + 0.125 * (double)i, x = 1.0 + (double)i;
		double exact = fmin(1.0, fmax(0.0, (5.0 / m - 1.0) / 2.0));
		double se = sqrt(fmax(exact * (1 - exact), 1e-12) / BO_MC_DEFAULT_DRAWS);
		bo_kv kv = {"m", m};
		bo_trial_rec rec;
		memset(&rec, 0, sizeof rec);
		rec.id = (int64_t)i + 1;
		rec.state = BO_TRIAL_COMPLETE;
		rec.metrics = &kv;
		rec.nmetrics = 1;
		rec.feasible = 2 * m <= 5;   /* the verdict at the means */
		rec.score = -1;
		assert_int_equal(bo__mc_judge_trial(s, &x, &rec), 0);
		assert_near(rec.score, m + x, 1e-12);   /* the score reaches nothing uncertain */
		if (fabs(exact - 0.7) <= Z_CHECK * se)
			continue;   /* too close to call with these draws */
		assert_int_equal(rec.feasible, exact >= 0.7);
		nbetween += 2 * m <= 5 && exact < 0.7;
	}
	assert_true(nbetween >= 2);   /* the test reaches the disagreement */
	/* a failed trial, and a study with nothing uncertain, are left alone */
	{
		bo_kv kv = {"m", 2.3};
		double x = 0;
		bo_trial_rec rec;
		memset(&rec, 0, sizeof rec);
		rec.state = BO_TRIAL_FAILED;
		rec.metrics = &kv;
		rec.nmetrics = 1;
		rec.feasible = 1;
		assert_int_equal(bo__mc_judge_trial(s, &x, &rec), 0);
		assert_int_equal(rec.feasible, 1);
		plain = parse("name: plain\nspace:\n  k: {float: [0, 1]}\nmetrics:\n  m: {}\n"
			      "guardrails:\n  - \"m <= 1\"\nscore: \"m\"\nevaluator:\n  command: [\"true\"]\n",
			      NULL, NULL);
		assert_non_null(plain);
		assert_false(bo__mc_needed(plain));
		rec.state = BO_TRIAL_COMPLETE;
		assert_int_equal(bo__mc_judge_trial(plain, &x, &rec), 0);
		assert_int_equal(rec.feasible, 1);   /* 2.3 > 1, but not re-judged */
		bo_study_free(plain);
	}
	bo_study_free(s);
}

/* A chance-constrained select against a brute-force computation over the
 * same draws: each configuration's share of draws within the guardrail,
 * its feasibility, and the winner by score. */
static const char BRUTE[] =
	"name: brute\n"
	"space:\n"
	"  name: {choice: from_catalog}\n"
	"inputs:\n"
	"  qps: {lognormal: {median: 900, p95: 1500}}\n"
	"prices:\n"
	"  cpu_hours: {triangular: [0.8, 1.1, 2.3]}\n"
	"metrics:\n"
	"  lat: {}\n"
	"  acc: {maximize: true}\n"
	"derived:\n"
	"  monthly: {expr: \"lat * qps * price.cpu_hours\", minimize: true}\n"
	"guardrails:\n"
	"  - \"monthly <= 2400 with probability >= 0.95\"\n"
	"score: \"acc\"\n"
	"catalog: {label: name}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_select_against_brute_force(void **state)
{
	bo_study *s = parse(BRUTE, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	char table[4096];
	size_t n = 0, i, d, nd = 3000, best = (size_t)-1, norder = 0;
	size_t order[64];
	bo_select_rule rule;
	(void)state;
	assert_non_null(s);
	n += (size_t)snprintf(table + n, sizeof table - n, "name,lat,acc\n");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(table + n, sizeof table - n, "c%zu,%.6g,%.6g\n", i,
				      0.35 + 0.037 * (double)i, 0.5 + 0.0113 * (double)((i * 7) % 40));
	o.draws = nd;
	o.seed = 12345;
	run_catalog(s, table, &c, &mc, &o);
	assert_int_equal(mc.nuncertain, 2);
	for (i = 0; i < c.n; i++) {
		size_t hits = 0;
		double lat = c.v[i].m[0];
		int feasible;
		for (d = 0; d < nd; d++) {
			/* inputs are listed before prices: qps is slot 0 */
			double cost = lat * mc.draws[d * 2 + 0] * mc.draws[d * 2 + 1];
			hits += cost <= 2400;
		}
		assert_near(mc.prob[i], (double)hits / (double)nd, 1e-15);
		feasible = (double)hits / (double)nd >= 0.95;
		assert_int_equal(c.v[i].feasible, feasible);
		if (feasible && (best == (size_t)-1 || c.v[i].m[1] > c.v[best].m[1]))
			best = i;
	}
	assert_true(best != (size_t)-1);
	memset(&rule, 0, sizeof rule);
	rule.rule = BO_SELECT_SCORE;
	assert_int_equal(bo__select_order(&c, &rule, order, &norder), 0);
	assert_true(norder > 0 && norder < c.n);   /* the constraint binds */
	assert_int_equal(order[0], best);
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* ---- bad input ------------------------------------------------------------ */

/* Parses text (samples files in dir) and checks that some diagnostic holds
 * every one of the NULL-terminated fragments. */
static void expect_diag(const char *text, const char *dir, ...)
{
	bo_diags *d = NULL;
	bo_study *s = parse(text, dir, &d);
	size_t i;
	int found = 0;
	assert_null(s);
	assert_non_null(d);
	for (i = 0; i < bo_diags_count(d) && !found; i++) {
		const char *line = bo_diags_get(d, i), *frag;
		va_list ap;
		int all = 1;
		va_start(ap, dir);
		while ((frag = va_arg(ap, const char *)) != NULL)
			all &= strstr(line, frag) != NULL;
		va_end(ap);
		found = all;
	}
	if (!found)
		for (i = 0; i < bo_diags_count(d); i++)
			print_error("got: %s\n", bo_diags_get(d, i));
	assert_true(found);
	bo_diags_free(d);
}

#define HEAD "name: b\nspace:\n  x: {float: [0, 1]}\n"
#define TAIL "evaluator:\n  command: [\"true\"]\n"

static void test_bad_distributions(void **state)
{
	(void)state;
	expect_diag(HEAD "inputs:\n  q: {normal: [10, 0]}\n" TAIL, NULL,
		    "u.yaml:5:20: ", "the sd must be > 0", NULL);
	expect_diag(HEAD "inputs:\n  q: {normal: [10]}\n" TAIL, NULL,
		    "u.yaml:5:15: ", "takes a list [mean, sd], found a list of 1 item", NULL);
	expect_diag(HEAD "inputs:\n  q: {lognormal: {median: 0, p95: 3}}\n" TAIL, NULL,
		    "u.yaml:5:27: ", "median must be > 0", NULL);
	expect_diag(HEAD "inputs:\n  q: {lognormal: {median: 4, p95: 3}}\n" TAIL, NULL,
		    "u.yaml:5:35: ", "p95 must be greater than the median", NULL);
	expect_diag(HEAD "inputs:\n  q: {lognormal: [4, 3]}\n" TAIL, NULL,
		    "lognormal takes {median: m, p95: q}", NULL);
	expect_diag(HEAD "inputs:\n  q: {uniform: [3, 3]}\n" TAIL, NULL,
		    "u.yaml:5:20: ", "low must be less than high", NULL);
	expect_diag(HEAD "inputs:\n  q: {triangular: [1, 5, 4]}\n" TAIL, NULL,
		    "u.yaml:5:19: ", "low <= mode <= high", NULL);
	expect_diag(HEAD "inputs:\n  q: {normal: [1, x]}\n" TAIL, NULL,
		    "u.yaml:5:19: ", "expected a number", NULL);
	expect_diag(HEAD "inputs:\n  q: {normal: [1, 2], sd: 3}\n" TAIL, NULL,
		    "u.yaml:5:23: ", "unknown key \"sd\"", NULL);
	expect_diag(HEAD "prices:\n  cpu_hours: {normal: [-1, 2]}\n" TAIL, NULL,
		    "u.yaml:5:24: ", "a price's mean must be >= 0", NULL);
	expect_diag(HEAD "prices:\n  gpu_hours: {a100: {uniform: [-1, 2]}}\n" TAIL, NULL,
		    "price \"gpu_hours.a100\": uniform: a price must be >= 0", NULL);
}

static void test_bad_samples(void **state)
{
	const char *tmp = getenv("BO_TEST_TMP");
	char dir[1024], path[1200];
	FILE *f;
	(void)state;
	snprintf(dir, sizeof dir, "%s/uncertain", tmp ? tmp : "/tmp");
	mkdir(tmp ? tmp : "/tmp", 0700);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/spot.csv", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("day,price\n1,2.5\n2,abc\n3,\n4,3.25\n\"5,\n\",  x1\n6,\"\"\"\"\n", f);
	fclose(f);
	expect_diag(HEAD "inputs:\n  q: {samples: nothere.csv, column: price}\n" TAIL, dir,
		    "u.yaml:5:16: ", "cannot open samples file nothere.csv", NULL);
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv, column: cost}\n" TAIL, dir,
		    "u.yaml:5:34: ", "has no column \"cost\"", NULL);
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv, column: price}\n" TAIL, dir,
		    "u.yaml:5:16: ", "spot.csv:3:3: column \"price\"", NULL);
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv, column: price}\n" TAIL, dir,
		    "spot.csv:4:3: column \"price\": empty cell", NULL);
	/* a quoted first field with a comma and a line break in it: the bad
	 * cell is on the row's second line */
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv, column: price}\n" TAIL, dir,
		    "spot.csv:7:3: column \"price\"", NULL);
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv, column: price}\n" TAIL, dir,
		    "spot.csv:8:3: column \"price\"", NULL);
	expect_diag(HEAD "inputs:\n  q: {samples: spot.csv}\n" TAIL, dir,
		    "has 2 columns: say which with column: NAME", NULL);
	/* a good one: the empirical mean and inverse */
	snprintf(path, sizeof path, "%s/good.csv", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("price\n3.5\n1.25\n2.75\n", f);
	fclose(f);
	{
		static const char GOOD[] = HEAD "inputs:\n  q: {samples: good.csv}\n" TAIL;
		bo_study *s = parse(GOOD, dir, NULL);
		assert_non_null(s);
		assert_near(s->inputs[0].value, (3.5 + 1.25 + 2.75) / 3, 1e-15);
		assert_near(bo__dist_quantile(s->inputs[0].dist, 0.1), 1.25, 0);
		assert_near(bo__dist_quantile(s->inputs[0].dist, 0.5), 2.75, 0);
		assert_near(bo__dist_quantile(s->inputs[0].dist, 0.99), 3.5, 0);
		bo_study_free(s);
	}
	/* Monte Carlo over samples: three values, so the draws are full of ties;
	 * quantiles against a sort of the same draws */
	{
		static const char TIES[] = "name: ties\nspace:\n  name: {choice: from_catalog}\n"
					   "inputs:\n  q: {samples: good.csv}\nmetrics:\n  k: {}\n"
					   "derived:\n  v: \"k * q\"\ncatalog: {label: name}\n" TAIL;
		bo_study *s = parse(TIES, dir, NULL);
		bo_configs c;
		bo_mc mc;
		bo_mc_options o = BO_MC_OPTIONS_INIT;
		double col[999];
		size_t d, k;
		assert_non_null(s);
		o.draws = 999;
		o.nq = 5;
		o.q[0] = 0.01; o.q[1] = 0.3; o.q[2] = 0.5; o.q[3] = 0.77; o.q[4] = 0.99;
		run_catalog(s, "name,k\na,2\n", &c, &mc, &o);
		for (d = 0; d < 999; d++)
			col[d] = 2 * mc.draws[d];
		qsort(col, 999, sizeof *col, cmp_double);
		for (k = 0; k < 5; k++)
			assert_near(mc.quant[k], bo__mc_quantile_sorted(col, 999, o.q[k]), 1e-12);
		bo__mc_clear(&mc);
		bo__configs_clear(&c);
		bo_study_free(s);
	}
}

static void test_bad_probabilities(void **state)
{
	static const char OK[] = HEAD "inputs:\n  q: {normal: [1, 2]}\nmetrics:\n  m: {}\n"
				 "guardrails:\n  - \"m * q <= 3 with probability >= 0.95\"\n"
				 "  - \"m <= 3 with probability >= 0.5\"\n" TAIL;
	bo_study *s;
	(void)state;
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - \"m <= 3 with probability >= 1.5\"\n" TAIL,
		    NULL, "u.yaml:7:33: ", "between 0 and 1 (exclusive), found 1.5", NULL);
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - \"m <= 3 with probability >= 0\"\n" TAIL,
		    NULL, "u.yaml:7:33: ", "found 0", NULL);
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - m <= 3 with probability >= 1\n" TAIL,
		    NULL, "u.yaml:7:32: ", "found 1", NULL);
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - \"m <= 3 with probability > 0.9\"\n" TAIL,
		    NULL, "u.yaml:7:30: ", "expected \">= P\"", NULL);
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - \"m <= 3 with probability >= high\"\n" TAIL,
		    NULL, "u.yaml:7:33: ", "must be a number between 0 and 1", NULL);
	expect_diag(HEAD "metrics:\n  m: {}\nguardrails:\n  - \"m <= zz with probability >= 0.9\"\n" TAIL,
		    NULL, "u.yaml:7:11: ", "unknown name \"zz\"", NULL);
	/* good: the expression without its probability; the second one has
	 * nothing uncertain in it, which the commands warn about */
	s = parse(OK, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(s->nguardrails, 2);
	assert_string_equal(s->guardrails[0].text, "m * q <= 3");
	assert_near(s->guardrails[0].prob, 0.95, 0);
	assert_true(bo__mc_expr_uncertain(s, s->guardrails[0].expr));
	assert_false(bo__mc_expr_uncertain(s, s->guardrails[1].expr));
	bo_study_free(s);
}

/* The vector evaluator (core/expr_vec.c) against the draw-by-draw one:
 * each expression E beside "if(present(k), E, 0)", which the vector
 * evaluator hands back to bo__expr_eval draw by draw; the same draws must
 * give the same means, quantiles and guardrail shares. */
static const char BOTH[] =
	"name: both\n"
	"space:\n"
	"  name: {choice: from_catalog}\n"
	"  gpu: {choice: [l4, a100]}\n"
	"inputs:\n"
	"  a: {normal: [2.385, 0.7]}\n"
	"  b: {lognormal: {median: 1.5, p95: 4.0}}\n"
	"prices:\n"
	"  gpu_hours: {l4: 0.8, a100: {triangular: [2.0, 3.0, 5.5]}}\n"
	"metrics:\n"
	"  k: {}\n"
	"derived:\n"
	"  v1: \"min(k * a, b) - max(a, 1) / 3 + log(b) + log(b, 10) ^ 2\"\n"
	"  s1: \"if(present(k), min(k * a, b) - max(a, 1) / 3 + log(b) + log(b, 10) ^ 2, 0)\"\n"
	"  v2: \"if(a > 2 and not (b < 1), sqrt(abs(a)) * exp(-b), -floor(a) % 2) + price.gpu_hours[gpu] * k\"\n"
	"  s2: \"if(present(k), if(a > 2 and not (b < 1), sqrt(abs(a)) * exp(-b), -floor(a) % 2) + price.gpu_hours[gpu] * k, 0)\"\n"
	"  v3: \"v1 * 2 + (gpu == 'a100' or a < 0) + round(b) + ceil(a)\"\n"
	"  s3: \"if(present(k), v1 * 2 + (gpu == 'a100' or a < 0) + round(b) + ceil(a), 0)\"\n"
	"guardrails:\n"
	"  - \"v2 - price.gpu_hours[gpu] * k <= 0 with probability >= 0.5\"\n"
	"  - \"if(present(k), v2, 0) - price.gpu_hours[gpu] * k <= 0 with probability >= 0.5\"\n"
	"catalog: {label: name}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_vector_equals_scalar(void **state)
{
	bo_study *s = parse(BOTH, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	static const char *const pairs[3][2] = {{"v1", "s1"}, {"v2", "s2"}, {"v3", "s3"}};
	size_t i, p, k;
	(void)state;
	assert_non_null(s);
	o.draws = 3001;
	run_catalog(s, "name,gpu,k\nx,a100,1.5\ny,l4,0.25\n", &c, &mc, &o);
	assert_int_equal(mc.nqty, 6);
	for (i = 0; i < c.n; i++) {
		for (p = 0; p < 3; p++) {
			size_t qv = qty(&mc, pairs[p][0]), qs = qty(&mc, pairs[p][1]);
			assert_true(isfinite(mc.mean[i * mc.nqty + qv]));
			assert_near(mc.mean[i * mc.nqty + qv], mc.mean[i * mc.nqty + qs], 1e-9);
			for (k = 0; k < mc.o.nq; k++)
				assert_near(mc.quant[(i * mc.nqty + qv) * mc.o.nq + k],
					    mc.quant[(i * mc.nqty + qs) * mc.o.nq + k], 1e-12);
		}
		assert_near(mc.prob[i * mc.ng + 0], mc.prob[i * mc.ng + 1], 0);
		assert_true(mc.prob[i * mc.ng + 0] > 0 && mc.prob[i * mc.ng + 0] < 1);
	}
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* Quantiles on demand (what the commands use) equal those of a full run,
 * bit for bit, and levels in any order, repeated, equal a sort of the
 * same draws. */
static void test_quantiles_on_demand(void **state)
{
	static const char ONE[] = "name: one\nspace:\n  name: {choice: from_catalog}\n"
				  "inputs:\n  a: {normal: [2.385, 0.7]}\nmetrics:\n  k: {}\n"
				  "derived:\n  w: \"k * a\"\ncatalog: {label: name}\n" TAIL;
	static const double levels[] = {0.9, 0.1, 0.5, 0.37, 0.1, 0.999, 0.0001};
	static const char TABLE[] = "name,k\nx,1.5\ny,\nz,-0.25\n";
	bo_study *s = parse(BOTH, NULL, NULL), *s1 = parse(ONE, NULL, NULL);
	bo_configs c, c2;
	bo_mc mc, lazy;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	double *col;
	size_t i, k, d, nv;
	(void)state;
	assert_non_null(s);
	assert_non_null(s1);
	o.draws = 2999;
	o.nq = sizeof levels / sizeof levels[0];
	memcpy(o.q, levels, sizeof levels);
	o.confidence = 0.8;
	run_catalog(s, "name,gpu,k\nx,a100,1.5\ny,l4,0.25\nz,l4,\n", &c, &mc, &o);
	o.on_demand = 1;
	run_catalog(s, "name,gpu,k\nx,a100,1.5\ny,l4,0.25\nz,l4,\n", &c2, &lazy, &o);
	nv = c.n * mc.nqty;
	for (i = 0; i < nv; i++) {
		assert_memory_equal(&mc.mean[i], &lazy.mean[i], sizeof(double));
		assert_memory_equal(&mc.used[i], &lazy.used[i], sizeof(double));
	}
	assert_memory_equal(mc.prob, lazy.prob, c.n * mc.ng * sizeof(double));
	for (i = 0; i < nv * o.nq; i++)
		assert_true(isnan(lazy.quant[i]));
	for (i = c.n; i-- > 0;)   /* any order */
		assert_int_equal(bo__mc_quantiles(&lazy, i), 0);
	assert_memory_equal(mc.quant, lazy.quant, nv * o.nq * sizeof(double));
	bo__mc_clear(&mc);
	bo__mc_clear(&lazy);
	bo__configs_clear(&c);
	bo__configs_clear(&c2);

	/* against a sort; the row without k has no values: NaN */
	o.on_demand = 0;
	o.confidence = 0;
	run_catalog(s1, TABLE, &c, &mc, &o);
	assert_non_null(col = malloc(o.draws * sizeof *col));
	for (i = 0; i < 3; i += 2) {
		double kk = i == 0 ? 1.5 : -0.25;
		for (d = 0; d < o.draws; d++)
			col[d] = kk * mc.draws[d];
		qsort(col, o.draws, sizeof *col, cmp_double);
		for (k = 0; k < o.nq; k++)
			assert_near(mc.quant[i * o.nq + k],
				    bo__mc_quantile_sorted(col, o.draws, levels[k]), 1e-12);
	}
	assert_false(c.v[1].usable && isfinite(mc.quant[1 * o.nq]));
	free(col);
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
	bo_study_free(s1);
}

/* The share of draws within a budget on an axis (select's --max-cost and
 * --min-perf) against a count over the same draws. */
static void test_axis_within(void **state)
{
	static const char ONE[] = "name: one\nspace:\n  name: {choice: from_catalog}\n"
				  "inputs:\n  a: {triangular: [0.5, 1.75, 4.25]}\nmetrics:\n  k: {}\n"
				  "derived:\n  w: \"k * a\"\ncatalog: {label: name}\n" TAIL;
	bo_study *s = parse(ONE, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	bo_axis w, k, wmax;
	double p;
	size_t i, d, lo, hi;
	(void)state;
	assert_non_null(s);
	o.draws = 1237;
	o.on_demand = 1;
	run_catalog(s, "name,k\nx,1.5\ny,\nz,2.385\n", &c, &mc, &o);
	assert_int_equal(bo__axis_parse(&c, "w", &w), 0);
	assert_int_equal(bo__axis_parse(&c, "+w", &wmax), 0);
	assert_int_equal(bo__axis_parse(&c, "k", &k), 0);
	for (i = 0; i < c.n; i += 2) {
		double kk = i == 0 ? 1.5 : 2.385, limit = 3.3;
		lo = hi = 0;
		for (d = 0; d < o.draws; d++) {
			lo += kk * mc.draws[d] <= limit;
			hi += kk * mc.draws[d] >= limit;
		}
		assert_true(lo > 0 && lo < o.draws);
		assert_int_equal(bo__mc_axis_within(&mc, i, &w, limit, &p), 0);
		assert_near(p, (double)lo / (double)o.draws, 0);
		assert_int_equal(bo__mc_axis_within(&mc, i, &wmax, limit, &p), 0);
		assert_near(p, (double)hi / (double)o.draws, 0);
		/* nothing uncertain in k: 1 or 0 */
		assert_int_equal(bo__mc_axis_within(&mc, i, &k, 2, &p), 0);
		assert_near(p, kk <= 2 ? 1.0 : 0.0, 0);
	}
	/* the row without k: unusable, no share */
	assert_int_equal(bo__mc_axis_within(&mc, 1, &w, 3.3, &p), 0);
	assert_true(isnan(p));
	bo__mc_clear(&mc);
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* Conjugate updates (budgetopt observe) against the precision-weighted
 * form of the posterior (Gelman et al., BDA3 eq. 2.12): prior N(mu0,
 * tau0^2), observations N(level, sigma^2) with sigma = tau0: 1/tau_n^2 =
 * 1/tau0^2 + n/sigma^2, mu_n = tau_n^2 (mu0/tau0^2 + sum x/sigma^2). */
static void test_observe_conjugate(void **state)
{
	static const double x[] = {2.9, 3.85, 2.385};
	bo_dist d, one, u;
	double tau0 = 0.45, mu0 = 3.4, prec, mun, lx[3];
	size_t n, i;
	(void)state;
	for (n = 1; n <= 3; n++) {
		memset(&d, 0, sizeof d);
		d.kind = BO_DIST_NORMAL;
		d.p[0] = mu0;
		d.p[1] = tau0;
		assert_int_equal(bo__dist_observe(&d, x, n), 0);
		prec = 1 / (tau0 * tau0) + (double)n / (tau0 * tau0);
		mun = mu0 / (tau0 * tau0);
		for (i = 0; i < n; i++)
			mun += x[i] / (tau0 * tau0);
		mun /= prec;
		assert_near(d.p[0], mun, 1e-12);
		assert_near(d.p[1], sqrt(1 / prec), 1e-12);
		assert_near(d.mean, mun, 1e-12);
	}
	/* one at a time is not all at once under this rule (the second step
	 * would take the shrunk spread as the observation noise): which is
	 * why the ledger's observations of an entry are applied together */
	memset(&one, 0, sizeof one);
	one.kind = BO_DIST_NORMAL;
	one.p[0] = mu0;
	one.p[1] = tau0;
	d = one;
	assert_int_equal(bo__dist_observe(&one, x, 1), 0);
	assert_int_equal(bo__dist_observe(&one, x + 1, 1), 0);
	assert_int_equal(bo__dist_observe(&d, x, 2), 0);
	assert_near(d.p[0], (mu0 + x[0] + x[1]) / 3, 1e-12);
	assert_true(fabs(one.p[0] - d.p[0]) > 1e-3);
	/* lognormal: the same on logarithms, median 3.1 and p95 7.9 */
	memset(&d, 0, sizeof d);
	d.kind = BO_DIST_LOGNORMAL;
	d.p[0] = log(3.1);
	d.p[1] = log(7.9 / 3.1) / BO_Z95;
	for (i = 0; i < 3; i++)
		lx[i] = log(x[i]);
	prec = 4 / (d.p[1] * d.p[1]);
	mun = (log(3.1) + lx[0] + lx[1] + lx[2]) / 4;
	assert_int_equal(bo__dist_observe(&d, x, 3), 0);
	assert_near(d.p[0], mun, 1e-12);
	assert_near(d.p[1], sqrt(1 / prec), 1e-12);
	assert_near(d.mean, exp(mun + 0.5 / prec), 1e-9);
	/* refused: no conjugate rule, a lognormal observation <= 0, NaN; d unchanged */
	memset(&u, 0, sizeof u);
	u.kind = BO_DIST_UNIFORM;
	u.p[0] = 1;
	u.p[1] = 2;
	assert_int_equal(bo__dist_observe(&u, x, 1), BO_EINVAL);
	{
		double bad[2] = {2.0, -1.0}, nan1 = NAN, p0 = d.p[0], p1 = d.p[1];
		assert_int_equal(bo__dist_observe(&d, bad, 2), BO_EINVAL);
		assert_int_equal(bo__dist_observe(&d, &nan1, 1), BO_EINVAL);
		assert_near(d.p[0], p0, 0);
		assert_near(d.p[1], p1, 0);
	}
}

static void test_bad_options(void **state)
{
	bo_study *s = parse(SUMS, NULL, NULL);
	bo_configs c;
	bo_mc mc;
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	(void)state;
	assert_non_null(s);
	assert_int_equal(bo__configs_init(&c, s, NULL, 0, NULL), 0);
	o.draws = 0;
	assert_int_equal(bo__mc_run(&mc, &c, &o), BO_EINVAL);
	o.draws = 10;
	o.confidence = 1.0;
	assert_int_equal(bo__mc_run(&mc, &c, &o), BO_EINVAL);
	o.confidence = 0;
	o.q[0] = 0;
	assert_int_equal(bo__mc_run(&mc, &c, &o), BO_EINVAL);
	bo__configs_clear(&c);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_uses_take_the_mean),
		cmocka_unit_test(test_lognormal_quantiles),
		cmocka_unit_test(test_sum_of_normals),
		cmocka_unit_test(test_triangular_mean),
		cmocka_unit_test(test_uniform_chance_constraint),
		cmocka_unit_test(test_judge_trial),
		cmocka_unit_test(test_select_against_brute_force),
		cmocka_unit_test(test_bad_distributions),
		cmocka_unit_test(test_bad_samples),
		cmocka_unit_test(test_bad_probabilities),
		cmocka_unit_test(test_vector_equals_scalar),
		cmocka_unit_test(test_quantiles_on_demand),
		cmocka_unit_test(test_axis_within),
		cmocka_unit_test(test_observe_conjugate),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
