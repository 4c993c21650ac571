/*
 * tests/unit/test_samplers.c - random and Sobol samplers, the space
 * transform, conditions, constraints and core/rng.c.
 *
 * Statistical checks use bounds computed here (chi-square quantiles from
 * GSL, binomial standard deviations) at false-alarm rates of 1e-6 or less,
 * and the samplers are seeded, so a pass or a failure repeats exactly.
 * Conditions and constraints are checked by evaluating them here in C, not
 * through the library's expressions.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "samplers/internal.h"
#include "samplers/sampler.h"
#include "study_parse.h"

/* False-alarm rate of every statistical check. */
#define ALPHA 1e-6
/* Standard deviations for binomial proportions (two-sided p < 2e-9). */
#define BINOM_SIGMAS 6.0
/* On-grid tolerance, relative to the grid index. */
#define GRID_TOL 1e-9

static const char *const NAMES[] = {"random", "sobol", "auto"};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

/* ---- hand-built studies (no conditions, no constraints) ---------------- */

#define MAXP 64
typedef struct fake {
	bo_study s;
	bo_param p[MAXP];
} fake;

static void fake_init(fake *f)
{
	memset(f, 0, sizeof *f);
	f->s.name = "fake";
	f->s.sampler = "auto";
	f->s.params = f->p;
}

static void add_num(fake *f, bo_ptype t, double lo, double hi, int log, double step)
{
	bo_param *p = &f->p[f->s.nparams++];
	p->name = "p";
	p->type = t;
	p->lo = lo;
	p->hi = hi;
	p->log = log;
	p->step = step;
}

static void add_choice(fake *f, bo_ptype t, size_t k)
{
	bo_param *p = &f->p[f->s.nparams++];
	p->name = "c";
	p->type = t;
	p->nchoices = k;
}

static void add_unit_floats(fake *f, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		add_num(f, BO_PT_FLOAT, 0.0, 1.0, 0, 0.0);
}

/* n points x[i * nparams + j] from sampler `name`, trials first..first+n-1. */
static double *sample(const bo_study *s, const char *name, uint64_t seed, int64_t first,
		      size_t n)
{
	bo_sampler *sm = NULL;
	double *x = calloc(n * s->nparams, sizeof *x);
	size_t i;
	assert_non_null(x);
	assert_int_equal(bo__sampler_new(&sm, s, name, seed), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(bo__sampler_ask(sm, first + (int64_t)i, x + i * s->nparams), 0);
	bo__sampler_free(sm);
	return x;
}

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

/* Pearson's chi-square of counts against the uniform distribution. */
static double chisq_uniform(const size_t *counts, size_t k)
{
	size_t i, n = 0;
	double stat = 0, e;
	for (i = 0; i < k; i++)
		n += counts[i];
	e = (double)n / (double)k;
	for (i = 0; i < k; i++)
		stat += ((double)counts[i] - e) * ((double)counts[i] - e) / e;
	return stat;
}

static int uniform_ok(const size_t *counts, size_t k)
{
	return chisq_uniform(counts, k) <= gsl_cdf_chisq_Qinv(ALPHA, (double)(k - 1));
}

/* |observed fraction - p| within BINOM_SIGMAS standard deviations. */
static int binom_ok(size_t hits, size_t n, double p)
{
	double sd = sqrt(p * (1 - p) / (double)n);
	return fabs((double)hits / (double)n - p) <= BINOM_SIGMAS * sd;
}

/* ---- rng ----------------------------------------------------------------- */

static void test_rng_known_answers(void **state)
{
	bo_rng r;
	(void)state;
	/* splitmix64 from 0 and xoshiro256** on that state, from an
	 * independent implementation (Python big integers). */
	bo__rng_seed(&r, 0);
	assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
	assert_true(r.s[1] == 0x6e789e6aa1b965f4ULL);
	assert_true(r.s[2] == 0x06c45d188009454fULL);
	assert_true(r.s[3] == 0xf88bb8a8724c81ecULL);
	assert_true(bo__rng_next(&r) == 0x99ec5f36cb75f2b4ULL);
	assert_true(bo__rng_next(&r) == 0xbf6e1f784956452aULL);
	assert_true(bo__rng_next(&r) == 0x1a5f849d4933e6e0ULL);
}

static void test_rng_uniform_and_streams(void **state)
{
	bo_rng a, b;
	size_t counts[16] = {0}, i, same = 0;
	(void)state;
	bo__rng_seed2(&a, 2385, 7);
	for (i = 0; i < 100000; i++) {
		double u = bo__rng_uniform(&a);
		assert_true(u >= 0.0 && u < 1.0);
		counts[(size_t)(u * 16)]++;
	}
	assert_true(uniform_ok(counts, 16));
	/* Same (seed, stream): same numbers; neighbouring streams, seeds: not. */
	bo__rng_seed2(&a, 2385, 7);
	bo__rng_seed2(&b, 2385, 7);
	for (i = 0; i < 100; i++)
		assert_true(bo__rng_next(&a) == bo__rng_next(&b));
	bo__rng_seed2(&a, 2385, 7);
	bo__rng_seed2(&b, 2385, 8);
	for (i = 0; i < 100; i++)
		same += bo__rng_next(&a) == bo__rng_next(&b);
	assert_true(same == 0);
	bo__rng_seed2(&a, 2385, 7);
	bo__rng_seed2(&b, 2386, 7);
	for (i = 0; i < 100; i++)
		same += bo__rng_next(&a) == bo__rng_next(&b);
	assert_true(same == 0);
}

/* ---- handle ---------------------------------------------------------------- */

static void test_names_and_misuse(void **state)
{
	fake f;
	bo_sampler *sm = (bo_sampler *)&f;
	double x[1];
	(void)state;
	fake_init(&f);
	add_num(&f, BO_PT_FLOAT, 0, 1, 0, 0);

	assert_int_equal(bo__sampler_new(&sm, &f.s, "tpe-ish", 1), BO_EINVAL);
	assert_null(sm);
	assert_string_equal(bo_error_last(),
			    "unknown sampler \"tpe-ish\" (known: auto, random, sobol, tpe, gp, nsga2)");

	assert_int_equal(bo__sampler_new(&sm, &f.s, "random", 1), 0);
	assert_string_equal(bo__sampler_name(sm), "random");
	assert_int_equal(bo__sampler_ask(sm, -1, x), BO_EMISUSE);
	assert_int_equal(bo__sampler_ask(sm, 0, NULL), BO_EMISUSE);
	bo__sampler_free(sm);
	assert_int_equal(bo__sampler_new(&sm, &f.s, "sobol", 1), 0);
	assert_string_equal(bo__sampler_name(sm), "sobol");
	bo__sampler_free(sm);
	assert_int_equal(bo__sampler_new(&sm, &f.s, "auto", 1), 0);
	assert_string_equal(bo__sampler_name(sm), "auto:sobol");
	bo__sampler_free(sm);
	bo__sampler_free(NULL);
}

static void test_alloc_failures(void **state)
{
	fake f;
	size_t k, n, i;
	int rc;
	(void)state;
	fake_init(&f);
	add_unit_floats(&f, 3);
	for (n = 0; n < NNAMES; n++) {
		for (k = 1;; k++) {
			bo_sampler *sm = (bo_sampler *)&f;
			bo__alloc_fail_at(k);
			rc = bo__sampler_new(&sm, &f.s, NAMES[n], 5);
			bo__alloc_fail_at(0);
			if (rc == 0) {
				double x[3];
				for (i = 0; i < 3; i++)
					assert_int_equal(bo__sampler_ask(sm, (int64_t)i, x), 0);
				bo__sampler_free(sm);
				break;
			}
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(sm);
		}
		assert_true(k > 1);   /* at least one allocation was failed */
	}
	/* The unknown-name path lists names in a buffer that may fail too. */
	for (k = 1;; k++) {
		bo_sampler *sm = NULL;
		bo__alloc_fail_at(k);
		rc = bo__sampler_new(&sm, &f.s, "nope", 5);
		bo__alloc_fail_at(0);
		assert_null(sm);
		if (rc == BO_EINVAL)
			break;
		assert_int_equal(rc, BO_ENOMEM);
	}
}

static void test_tell_is_ignored(void **state)
{
	fake f;
	bo_sampler *a = NULL, *b = NULL;
	double xa[2], xb[2], obj[1] = {0.5};
	int64_t i;
	(void)state;
	fake_init(&f);
	add_unit_floats(&f, 2);
	for (size_t n = 0; n < NNAMES; n++) {
		assert_int_equal(bo__sampler_new(&a, &f.s, NAMES[n], 9), 0);
		assert_int_equal(bo__sampler_new(&b, &f.s, NAMES[n], 9), 0);
		for (i = 0; i < 20; i++) {
			assert_int_equal(bo__sampler_ask(a, i, xa), 0);
			assert_int_equal(bo__sampler_ask(b, i, xb), 0);
			assert_true(same_points(xa, xb, 2));
			bo_observation o = {i, xa, 2 /* complete */, 0, obj, 0, NULL, 0.25};
			assert_int_equal(bo__sampler_tell(a, &o), 0);
		}
		bo__sampler_free(a);
		bo__sampler_free(b);
	}
}

/* ---- determinism and resume ---------------------------------------------- */

static void mixed_space(fake *f)
{
	fake_init(f);
	add_num(f, BO_PT_FLOAT, 2.385, 7.1, 0, 0);
	add_num(f, BO_PT_FLOAT, 1e-3, 1e3, 1, 0);
	add_num(f, BO_PT_INT, -3, 4, 0, 0);
	add_choice(f, BO_PT_CHOICE, 5);
	add_num(f, BO_PT_INT, 1, 1000, 1, 0);
}

static void test_determinism(void **state)
{
	fake f;
	size_t n, d;
	(void)state;
	mixed_space(&f);
	d = f.s.nparams;
	for (n = 0; n < NNAMES; n++) {
		double *a = sample(&f.s, NAMES[n], 42, 0, 200);
		double *b = sample(&f.s, NAMES[n], 42, 0, 200);
		double *c = sample(&f.s, NAMES[n], 43, 0, 200);
		size_t i, differ = 0;
		assert_true(same_points(a, b, 200 * d));
		/* Another seed: the continuous coordinates all differ. */
		for (i = 0; i < 200; i++)
			differ += a[i * d] != c[i * d] && a[i * d + 1] != c[i * d + 1];
		assert_true(differ == 200);
		free(a);
		free(b);
		free(c);
	}
}

static void test_resume(void **state)
{
	fake f;
	size_t n, d;
	(void)state;
	mixed_space(&f);
	d = f.s.nparams;
	for (n = 0; n < NNAMES; n++) {
		double *all = sample(&f.s, NAMES[n], 7, 0, 100);
		double *tail = sample(&f.s, NAMES[n], 7, 50, 50);
		bo_sampler *sm = NULL;
		double x[8];
		assert_true(same_points(all + 50 * d, tail, 50 * d));
		/* Asking below the cursor, or the same number again, replays. */
		assert_int_equal(bo__sampler_new(&sm, &f.s, NAMES[n], 7), 0);
		assert_int_equal(bo__sampler_ask(sm, 60, x), 0);
		assert_true(same_points(all + 60 * d, x, d));
		assert_int_equal(bo__sampler_ask(sm, 60, x), 0);
		assert_true(same_points(all + 60 * d, x, d));
		assert_int_equal(bo__sampler_ask(sm, 10, x), 0);
		assert_true(same_points(all + 10 * d, x, d));
		assert_int_equal(bo__sampler_ask(sm, 99, x), 0);
		assert_true(same_points(all + 99 * d, x, d));
		bo__sampler_free(sm);
		free(all);
		free(tail);
	}
}

/* ---- transforms on 10000 points ------------------------------------------ */

static int on_grid(double v, double lo, double step)
{
	double k = (v - lo) / step;
	return fabs(k - round(k)) <= GRID_TOL * (1.0 + fabs(k));
}

static void test_transforms(void **state)
{
	enum { N = 10000 };
	fake f;
	size_t n, i;
	(void)state;
	fake_init(&f);
	add_num(&f, BO_PT_FLOAT, 2.385, 7.1, 0, 0);        /* 0 */
	add_num(&f, BO_PT_FLOAT, 1e-3, 1e3, 1, 0);         /* 1 log */
	add_num(&f, BO_PT_FLOAT, 0.5, 3.2, 0, 0.3);        /* 2 step: 10 points */
	add_num(&f, BO_PT_INT, -3, 4, 0, 0);               /* 3 */
	add_num(&f, BO_PT_INT, 1, 1000, 1, 0);             /* 4 log int */
	add_num(&f, BO_PT_INT, 3, 20, 0, 4);               /* 5 int step: 3..19 */
	add_num(&f, BO_PT_FLOAT, 0, 1, 0, 0.3);            /* 6 step: 0 .3 .6 .9 */
	add_choice(&f, BO_PT_CHOICE, 5);                   /* 7 */
	add_choice(&f, BO_PT_ORDINAL, 3);                  /* 8 */
	add_num(&f, BO_PT_INT, 1, 50, 1, 2);               /* 9 log int step */
	add_num(&f, BO_PT_FLOAT, 2.5, 2.5, 0, 0);          /* 10 lo == hi */
	add_num(&f, BO_PT_FLOAT, 0.1, 0.1, 1, 0);          /* 11 log, lo == hi */

	for (n = 0; n < NNAMES; n++) {
		size_t d = f.s.nparams;
		double *x = sample(&f.s, NAMES[n], 2385, 0, N);
		size_t below1 = 0, small4 = 0, c2[10] = {0}, c3[8] = {0}, c5[5] = {0};
		size_t c6[4] = {0}, c7[5] = {0}, c8[3] = {0}, lo9 = 0, hi9 = 0;
		double p4 = log(31.5 / 0.5) / log(1000.5 / 0.5);

		for (i = 0; i < N; i++) {
			const double *r = x + i * d;
			assert_true(r[0] >= 2.385 && r[0] <= 7.1);
			assert_true(r[1] >= 1e-3 && r[1] <= 1e3);
			below1 += r[1] < 1.0;
			assert_true(r[2] >= 0.5 && r[2] <= 3.2);
			assert_true(on_grid(r[2], 0.5, 0.3));
			c2[(size_t)round((r[2] - 0.5) / 0.3)]++;
			assert_true(r[3] == floor(r[3]) && r[3] >= -3 && r[3] <= 4);
			c3[(size_t)(r[3] + 3)]++;
			assert_true(r[4] == floor(r[4]) && r[4] >= 1 && r[4] <= 1000);
			small4 += r[4] <= 31;
			assert_true(r[5] == floor(r[5]) && r[5] >= 3 && r[5] <= 20);
			assert_true(fmod(r[5] - 3, 4) == 0);
			c5[(size_t)(r[5] - 3) / 4]++;
			assert_true(r[6] >= 0 && r[6] <= 1 && on_grid(r[6], 0, 0.3));
			c6[(size_t)round(r[6] / 0.3)]++;
			assert_true(r[7] == floor(r[7]) && r[7] >= 0 && r[7] <= 4);
			c7[(size_t)r[7]]++;
			assert_true(r[8] == floor(r[8]) && r[8] >= 0 && r[8] <= 2);
			c8[(size_t)r[8]]++;
			assert_true(r[9] == floor(r[9]) && r[9] >= 1 && r[9] <= 49);
			assert_true(fmod(r[9] - 1, 2) == 0);
			lo9 += r[9] <= 9;
			hi9 += r[9] >= 41;
			assert_true(r[10] == 2.5);
			assert_true(r[11] == 0.1);
		}
		/* Log scale: half the mass below the geometric mean 1. */
		assert_true(binom_ok(below1, N, 0.5));
		/* Log ints: P(x <= 31) = P(v < 31.5), v log-uniform on [0.5, 1000.5]. */
		assert_true(binom_ok(small4, N, p4));
		/* Log grid: small values far more frequent than large ones. */
		assert_true(lo9 > 5 * hi9);
		for (i = 0; i < 10; i++)
			assert_true(c2[i] > 0);
		assert_true(uniform_ok(c2, 10));
		assert_true(uniform_ok(c3, 8));
		assert_true(uniform_ok(c5, 5));
		assert_true(uniform_ok(c6, 4));
		assert_true(uniform_ok(c7, 5));
		assert_true(uniform_ok(c8, 3));
		free(x);
	}
}

/* The chi-square check is strong enough to catch a biased mapping: here
 * floor(u * k) with u squeezed to [0, 0.9), and round(u * (k-1)). */
static void test_chisq_catches_bias(void **state)
{
	enum { N = 10000, K = 5 };
	bo_rng r;
	size_t a[K] = {0}, b[K] = {0}, c[K] = {0}, i;
	(void)state;
	bo__rng_seed(&r, 1);
	for (i = 0; i < N; i++) {
		double u = bo__rng_uniform(&r);
		a[(size_t)floor(u * 0.9 * K)]++;
		b[(size_t)round(u * (K - 1))]++;
		c[(size_t)floor(u * K)]++;
	}
	assert_false(uniform_ok(a, K));
	assert_false(uniform_ok(b, K));
	assert_true(uniform_ok(c, K));
}

/* ---- Sobol quality --------------------------------------------------------- */

/* Centred L2 discrepancy squared (Hickernell, "A generalized discrepancy
 * and quadrature error bound", Math. Comp. 1998), points in [0,1]^d. */
static double cd2(const double *x, size_t n, size_t d)
{
	double sum1 = 0, sum2 = 0;
	size_t i, j, k;
	for (i = 0; i < n; i++) {
		double prod = 1;
		for (k = 0; k < d; k++) {
			double z = fabs(x[i * d + k] - 0.5);
			prod *= 1 + 0.5 * z - 0.5 * z * z;
		}
		sum1 += prod;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			double prod = 1;
			for (k = 0; k < d; k++) {
				double zi = fabs(x[i * d + k] - 0.5), zj = fabs(x[j * d + k] - 0.5);
				prod *= 1 + 0.5 * zi + 0.5 * zj - 0.5 * fabs(x[i * d + k] - x[j * d + k]);
			}
			sum2 += prod;
		}
	}
	return pow(13.0 / 12.0, (double)d) - 2.0 / (double)n * sum1 +
	       sum2 / ((double)n * (double)n);
}

static void test_sobol_discrepancy(void **state)
{
	enum { N = 1024, D = 5 };
	fake f;
	uint64_t seed;
	(void)state;
	fake_init(&f);
	add_unit_floats(&f, D);
	for (seed = 0; seed < 10; seed++) {
		double *s = sample(&f.s, "sobol", seed, 0, N);
		double *r = sample(&f.s, "random", seed, 0, N);
		double ds = cd2(s, N, D), dr = cd2(r, N, D);
		assert_true(ds >= 0 && dr > 0);
		assert_true(ds < dr);
		free(s);
		free(r);
	}
}

/* Points 0..2^k-1 put exactly one point in each of the 2^k equal
 * intervals of every coordinate (the 40 that come from GSL). */
static void test_sobol_stratification(void **state)
{
	enum { D = 40, LOGN = 10, N = 1 << LOGN };
	static unsigned char seen[N];
	fake f;
	uint64_t seed;
	int k;
	size_t j, i;
	(void)state;
	fake_init(&f);
	add_unit_floats(&f, D);
	for (seed = 0; seed < 4; seed++) {
		double *x = sample(&f.s, seed == 3 ? "auto" : "sobol", seed * 977 + 3, 0, N);
		for (k = 0; k <= LOGN; k++) {
			size_t m = (size_t)1 << k;
			for (j = 0; j < D; j++) {
				memset(seen, 0, m);
				for (i = 0; i < m; i++) {
					double v = x[i * D + j];
					size_t cellno = (size_t)floor(v * (double)m);
					assert_true(v > 0 && v < 1);
					assert_true(cellno < m);
					assert_int_equal(seen[cellno], 0);
					seen[cellno] = 1;
				}
			}
		}
		free(x);
	}
}

/* More than 40 parameters: coordinates 41+ are random but valid,
 * deterministic and resume-safe; the first 40 stay stratified. */
static void test_sobol_many_params(void **state)
{
	enum { D = 45, N = 256 };
	fake f;
	size_t i, j;
	unsigned char seen[N];
	(void)state;
	fake_init(&f);
	add_unit_floats(&f, D);
	{
		double *a = sample(&f.s, "sobol", 11, 0, N);
		double *b = sample(&f.s, "sobol", 11, 100, N - 100);
		double *c = sample(&f.s, "sobol", 12, 0, N);
		size_t differ = 0;
		assert_true(same_points(a + 100 * D, b, (N - 100) * D));
		for (i = 0; i < N * D; i++)
			assert_true(a[i] >= 0 && a[i] < 1);
		for (i = 0; i < N; i++)
			differ += a[i * D + 44] != c[i * D + 44];
		assert_true(differ == N);
		memset(seen, 0, sizeof seen);
		for (i = 0; i < N; i++) {
			j = (size_t)(a[i * D + 39] * N);
			assert_int_equal(seen[j], 0);
			seen[j] = 1;
		}
		free(a);
		free(b);
		free(c);
	}
}

/* ---- conditions and constraints, from study files ------------------------ */

static const char COND_YAML[] =
	"name: cond\n"
	"space:\n"
	"  family: {choice: [logreg, forest, mlp]}\n"
	"  C: {float: [1.0e-3, 1.0e3], log: true, when: {family: logreg}}\n"
	"  depth: {int: [2, 32], when: {family: [forest]}}\n"
	"  hidden: {choice: [32, 64, 128], when: \"family == 'mlp'\"}\n"
	"  drop: {float: [0, 0.5], when: \"hidden == 128\"}\n"
	"  keep: {float: [0, 1], when: \"hidden != 128\"}\n"
	"  lr: {float: [0.001, 0.1], log: true}\n"
	"metrics: {loss: {minimize: true}}\n"
	"evaluator: {command: [\"true\"]}\n";

static void test_conditions(void **state)
{
	enum { N = 3000 };
	bo_study *s;
	size_t n, i, patterns[6];
	int family, hidden, idx[7];
	const char *pn[7] = {"family", "C", "depth", "hidden", "drop", "keep", "lr"};
	(void)state;
	s = test_parse_study(COND_YAML);
	for (i = 0; i < 7; i++) {
		idx[i] = bo__study_find_param(s, pn[i]);
		assert_true(idx[i] >= 0);
	}
	for (n = 0; n < NNAMES; n++) {
		double *x = sample(s, NAMES[n], 31, 0, N);
		memset(patterns, 0, sizeof patterns);
		for (i = 0; i < N; i++) {
			const double *r = x + i * s->nparams;
			int c_on, d_on, h_on, drop_on, keep_on;
			assert_false(isnan(r[idx[0]]));
			assert_false(isnan(r[idx[6]]));
			family = (int)r[idx[0]];
			/* Active exactly when the condition, evaluated here, holds;
			 * a condition over an inactive parameter is false. */
			c_on = family == 0;
			d_on = family == 1;
			h_on = family == 2;
			hidden = h_on ? (int)r[idx[3]] : -1;
			drop_on = h_on && hidden == 2;
			keep_on = h_on && hidden != 2;
			assert_int_equal(!isnan(r[idx[1]]), c_on);
			assert_int_equal(!isnan(r[idx[2]]), d_on);
			assert_int_equal(!isnan(r[idx[3]]), h_on);
			assert_int_equal(!isnan(r[idx[4]]), drop_on);
			assert_int_equal(!isnan(r[idx[5]]), keep_on);
			if (c_on)
				assert_true(r[idx[1]] >= 1e-3 && r[idx[1]] <= 1e3);
			if (d_on)
				assert_true(r[idx[2]] == floor(r[idx[2]]) && r[idx[2]] >= 2 &&
					    r[idx[2]] <= 32);
			if (drop_on)
				assert_true(r[idx[4]] >= 0 && r[idx[4]] <= 0.5);
			patterns[c_on ? 0 : d_on ? 1 : drop_on ? 2 : 3]++;
			/* And the model's own checker agrees. */
			assert_int_equal(bo__study_check_config(s, r, NULL, 0), 0);
		}
		for (i = 0; i < 4; i++)
			assert_true(patterns[i] > 0);
		free(x);
	}
	bo_study_free(s);
}

static const char CONS_YAML[] =
	"name: cons\n"
	"space:\n"
	"  a: {float: [0, 10]}\n"
	"  b: {int: [1, 8]}\n"
	"  gpu: {choice: [none, l4, a100]}\n"
	"  family: {choice: [logreg, mlp]}\n"
	"  width: {int: [1, 100], when: {family: mlp}}\n"
	"inputs: {limit: 20}\n"
	"constraints:\n"
	"  - \"a * b <= limit\"\n"
	"  - \"gpu == 'none' or family == 'mlp'\"\n"
	"  - \"width <= 50\"\n"
	"metrics: {loss: {minimize: true}}\n"
	"evaluator: {command: [\"true\"]}\n";

static void test_constraints(void **state)
{
	enum { N = 3000 };
	bo_study *s;
	size_t n, i, mlp = 0, gpu = 0, near = 0;
	int ia, ib, ig, ifam, iw;
	(void)state;
	s = test_parse_study(CONS_YAML);
	ia = bo__study_find_param(s, "a");
	ib = bo__study_find_param(s, "b");
	ig = bo__study_find_param(s, "gpu");
	ifam = bo__study_find_param(s, "family");
	iw = bo__study_find_param(s, "width");
	assert_true(ia >= 0 && ib >= 0 && ig >= 0 && ifam >= 0 && iw >= 0);
	for (n = 0; n < NNAMES; n++) {
		double *x = sample(s, NAMES[n], 5, 0, N);
		double *tail = sample(s, NAMES[n], 5, 1500, N - 1500);
		mlp = gpu = near = 0;
		for (i = 0; i < N; i++) {
			const double *r = x + i * s->nparams;
			int is_mlp = r[ifam] == 1;
			assert_true(r[ia] * r[ib] <= 20);
			assert_true(r[ig] == 0 || is_mlp);
			assert_int_equal(!isnan(r[iw]), is_mlp);
			if (is_mlp)
				assert_true(r[iw] <= 50);
			mlp += is_mlp;
			gpu += r[ig] != 0;
			near += r[ia] * r[ib] > 15;
			assert_int_equal(bo__study_check_config(s, r, NULL, 0), 0);
		}
		/* The constraints bind but leave the space well covered. */
		assert_true(mlp > 0 && mlp < N && gpu > 0 && near > 0);
		/* Rejections consume points, and resuming still matches. */
		assert_true(same_points(x + 1500 * s->nparams, tail, (N - 1500) * s->nparams));
		free(x);
		free(tail);
	}
	bo_study_free(s);
}

static const char NONE_YAML[] =
	"name: none\n"
	"space:\n"
	"  a: {float: [0, 1]}\n"
	"  b: {float: [0, 1]}\n"
	"constraints:\n"
	"  - \"b > 0.5\"\n"
	"  - \"a > 2\"\n"
	"metrics: {loss: {minimize: true}}\n"
	"evaluator: {command: [\"true\"]}\n";

/* bo__space_to_unit inverts bo__space_from_unit: every value maps back to
 * itself, for every kind of parameter, log grids included. */
static void test_unit_round_trip(void **state)
{
	bo_study *s = test_parse_study("name: rt\n"
			    "space:\n"
			    "  f: {float: [-2.385, 7.5]}\n"
			    "  fl: {float: [1.0e-4, 3.0], log: true}\n"
			    "  fs: {float: [0.5, 9.5], step: 0.75}\n"
			    "  fls: {float: [1.0, 1000.0], log: true, step: 3}\n"
			    "  i: {int: [-3, 17]}\n"
			    "  il: {int: [1, 100], log: true}\n"
			    "  is: {int: [2, 64], step: 2, log: true}\n"
			    "  c: {choice: [a, b, c, d, e]}\n"
			    "  o: {ordinal: [s, m, l]}\n"
			    "metrics: {y: {}}\n"
			    "evaluator: {command: [\"true\"]}\n");
	double u[9], x[9], back[9], x2[9];
	bo_rng rng;
	size_t k, t;
	(void)state;
	bo__rng_seed(&rng, 42);
	for (t = 0; t < 20000; t++) {
		for (k = 0; k < 9; k++)
			u[k] = bo__rng_uniform(&rng);
		assert_int_equal(bo__space_from_unit(s, u, x), 0);
		bo__space_to_unit(s, x, back);
		for (k = 0; k < 9; k++)
			assert_true(back[k] >= 0.0 && back[k] <= 1.0);
		assert_int_equal(bo__space_from_unit(s, back, x2), 0);
		for (k = 0; k < 9; k++) {
			/* Continuous floats come back to rounding; grids exactly. */
			double tol = (k <= 1) ? 1e-9 * (1.0 + fabs(x[k])) : 0.0;
			if (fabs(x2[k] - x[k]) > tol)
				fail_msg("parameter %zu: %.17g -> u %.17g -> %.17g", k, x[k], back[k], x2[k]);
		}
	}
	bo_study_free(s);
}

static void test_constraints_exclude_everything(void **state)
{
	bo_study *s;
	size_t n;
	(void)state;
	s = test_parse_study(NONE_YAML);
	for (n = 0; n < NNAMES; n++) {
		bo_sampler *sm = NULL;
		double x[2] = {0.25, 0.25};
		assert_int_equal(bo__sampler_new(&sm, s, NAMES[n], 1), 0);
		assert_int_equal(bo__sampler_ask(sm, 0, x), BO_DONE);
		assert_string_equal(bo_error_last(),
				    "configuration constraints rejected 10000 candidate points; "
				    "most rejections by \"a > 2\"");
		assert_true(isnan(x[0]) && isnan(x[1]));
		assert_int_equal(bo__sampler_ask(sm, 1, x), BO_DONE);
		bo__sampler_free(sm);
	}
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_known_answers),
		cmocka_unit_test(test_rng_uniform_and_streams),
		cmocka_unit_test(test_names_and_misuse),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_tell_is_ignored),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_transforms),
		cmocka_unit_test(test_chisq_catches_bias),
		cmocka_unit_test(test_sobol_discrepancy),
		cmocka_unit_test(test_sobol_stratification),
		cmocka_unit_test(test_sobol_many_params),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_constraints),
		cmocka_unit_test(test_constraints_exclude_everything),
		cmocka_unit_test(test_unit_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
