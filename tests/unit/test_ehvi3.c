/*
 * tests/unit/test_ehvi3.c - exact EHVI by box decomposition
 * (samplers/ehvi3.c).
 *
 * Checked against independent answers: the boxes' volumes add up to the
 * non-dominated part of the reference box (bo_hypervolume), a point mass's
 * EHVI is its hypervolume improvement (bo_hypervolume of front + point minus
 * the front's), and the Gaussian EHVI equals the mean improvement of many
 * posterior draws within 5 standard errors (seeded). Awkward fronts: ties in
 * every objective, duplicates, points beyond the reference, empty and one
 * point.
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
#include "samplers/gp_model.h"
#include "samplers/sampler.h"

#define SE_MULT 5.0
#define REL_TOL 1e-9
#define MAXN 64

static double normal(bo_rng *r)
{
	double u1 = 1.0 - bo__rng_uniform(r), u2 = bo__rng_uniform(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Hypervolume improvement of y over front, by bo_hypervolume. */
static double hvi(const double *front, size_t n, size_t d, const double *ref, const double *y)
{
	double pts[(MAXN + 1) * 3], a, b;
	memcpy(pts, front, n * d * sizeof *pts);
	memcpy(pts + n * d, y, d * sizeof *pts);
	assert_int_equal(bo_hypervolume(front, n, d, ref, &a, NULL), 0);
	assert_int_equal(bo_hypervolume(pts, n + 1, d, ref, &b, NULL), 0);
	return b - a;
}

/* Fronts: random points on a sphere's octant (mutually non-dominated),
 * with some dominated ones, duplicates, ties and points beyond ref. */
static size_t make_front(bo_rng *r, size_t d, size_t n, double *f)
{
	size_t i, k;
	for (i = 0; i < n; i++) {
		double s = 0;
		for (k = 0; k < d; k++) {
			f[i * d + k] = fabs(normal(r)) + 1e-3;
			s += f[i * d + k] * f[i * d + k];
		}
		for (k = 0; k < d; k++)
			f[i * d + k] /= sqrt(s);
		if (i % 7 == 3)   /* dominated */
			for (k = 0; k < d; k++)
				f[i * d + k] *= 1.2385;
	}
	if (n > 4) {
		memcpy(f + d, f, d * sizeof *f);             /* a duplicate */
		f[2 * d + d - 1] = f[3 * d + d - 1];          /* a tie in the last objective */
		f[4 * d] = 1.5;                              /* beyond ref */
	}
	return n;
}

static double box_volume(const bo_ehvi_boxes *b, const double *lo_clip, size_t i)
{
	double v = 1;
	size_t k;
	for (k = 0; k < b->d; k++) {
		double l = b->coord[b->lo[i * b->d + k] * b->d + k];
		double u = b->coord[b->hi[i * b->d + k] * b->d + k];
		if (l < lo_clip[k])
			l = lo_clip[k];
		v *= u > l ? u - l : 0;
	}
	return v;
}

/* The boxes tile the part of [lo, ref] the front does not dominate. */
static void test_boxes_tile(void **state)
{
	static const size_t SIZES[] = {0, 1, 2, 5, 17, 40};
	const double ref3[3] = {1.1, 1.1, 1.1}, lo[3] = {0, 0, 0};
	bo_rng r;
	size_t d, si, i;
	(void)state;
	bo__rng_seed(&r, 77);
	for (d = 2; d <= 3; d++) {
		for (si = 0; si < sizeof SIZES / sizeof *SIZES; si++) {
			double f[MAXN * 3], hv, sum = 0, cube = 1;
			bo_ehvi_boxes b;
			size_t n = make_front(&r, d, SIZES[si], f);
			assert_int_equal(bo__ehvi_boxes(&b, f, n, d, ref3), 0);
			for (i = 0; i < b.n; i++)
				sum += box_volume(&b, lo, i);
			for (i = 0; i < d; i++)
				cube *= ref3[i];
			assert_int_equal(bo_hypervolume(f, n, d, ref3, &hv, NULL), 0);
			assert_true(fabs(sum - (cube - hv)) <= REL_TOL * cube);
			bo__ehvi_boxes_clear(&b);
		}
	}
}

/* sd = 0: the exact improvement of a point, against bo_hypervolume. */
static void test_point_mass_is_hvi(void **state)
{
	const double ref[3] = {1.1, 1.2385, 1.05}, sd0[3] = {0, 0, 0};
	bo_rng r;
	size_t d, t;
	(void)state;
	bo__rng_seed(&r, 5);
	for (d = 2; d <= 3; d++) {
		double f[MAXN * 3], work[2 * (MAXN + 2) * 3];
		bo_ehvi_boxes b;
		size_t n = make_front(&r, d, 30, f);
		int improved = 0;
		assert_int_equal(bo__ehvi_boxes(&b, f, n, d, ref), 0);
		for (t = 0; t < 200; t++) {
			double y[3], want, got;
			size_t k;
			for (k = 0; k < d; k++)
				y[k] = 1.2 * bo__rng_uniform(&r);
			if (t == 7)   /* exactly a front point: no improvement */
				memcpy(y, f + 5 * d, d * sizeof *y);
			want = hvi(f, n, d, ref, y);
			got = bo__ehvi_exact(&b, y, sd0, work);
			improved += want > 0;
			assert_true(fabs(got - want) <= REL_TOL * (1 + fabs(want)));
		}
		assert_true(improved > 20);
		bo__ehvi_boxes_clear(&b);
	}
}

/* Independent Gaussians: against the mean improvement of many draws. */
static void test_gaussian_monte_carlo(void **state)
{
	enum { M = 100000 };
	const double ref[3] = {1.1, 1.1, 1.1};
	const double mu[3] = {0.52, 0.385, 0.61}, sd[3] = {0.2, 0.05, 0.31};
	bo_rng r;
	size_t d, i;
	(void)state;
	bo__rng_seed(&r, 2026);
	for (d = 2; d <= 3; d++) {
		double f[MAXN * 3], work[2 * (MAXN + 2) * 3], s = 0, s2 = 0, mean, se, e;
		bo_ehvi_boxes b;
		size_t n = make_front(&r, d, 12, f);
		assert_int_equal(bo__ehvi_boxes(&b, f, n, d, ref), 0);
		e = bo__ehvi_exact(&b, mu, sd, work);
		for (i = 0; i < M; i++) {
			double y[3], h;
			size_t k;
			for (k = 0; k < d; k++)
				y[k] = mu[k] + sd[k] * normal(&r);
			h = hvi(f, n, d, ref, y);
			s += h;
			s2 += h * h;
		}
		mean = s / M;
		se = sqrt((s2 / M - mean * mean) / M);
		print_message("d=%zu: exact ehvi %.6f, Monte Carlo %.6f (se %.2g)\n", d, e, mean, se);
		assert_true(mean > 1e-3);
		assert_true(fabs(e - mean) <= SE_MULT * se);
		bo__ehvi_boxes_clear(&b);
	}
}

static void test_bad_dimension(void **state)
{
	const double f[4] = {0.5, 0.5, 0.5, 0.5}, ref[4] = {1, 1, 1, 1};
	bo_ehvi_boxes b;
	(void)state;
	assert_int_equal(bo__ehvi_boxes(&b, f, 1, 4, ref), BO_EINVAL);
	assert_int_equal(b.n, 0);
	bo__ehvi_boxes_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boxes_tile),
		cmocka_unit_test(test_point_mass_is_hvi),
		cmocka_unit_test(test_gaussian_monte_carlo),
		cmocka_unit_test(test_bad_dimension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
