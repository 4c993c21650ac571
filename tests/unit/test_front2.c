/*
 * tests/unit/test_front2.c - bo_front2 and bo_front2_saturation: the
 * cost/performance front against brute force on data with ties, the knee
 * on fronts where the answer is clear, and the saturation position.
 *
 * Must never: write files, or depend on timing.
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
#include "core/alloc.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Point i is on the front when no point beats it (no worse on both, better
 * on one) and no equal point has a lower index. */
static int bf_on_front(const double *c, const double *p, size_t n, size_t i)
{
	for (size_t q = 0; q < n; q++) {
		if (q == i)
			continue;
		if (c[q] <= c[i] && p[q] >= p[i] && (c[q] < c[i] || p[q] > p[i]))
			return 0;
		if (c[q] == c[i] && p[q] == p[i] && q < i)
			return 0;
	}
	return 1;
}

/* Das's distance from the chord, scaled, by brute force over all steps:
 * the farthest step above the chord (towards more performance for the
 * cost); none when no step is above it by more than rounding. */
static size_t bf_knee(const bo_front_step *st, size_t m)
{
	size_t i, best = (size_t)-1;
	double bd = 1e-9;

	if (m < 3)
		return best;
	for (i = 1; i + 1 < m; i++) { /* the two ends lie on the chord */
		double x = (st[i].cost - st[0].cost) / (st[m - 1].cost - st[0].cost);
		double y = (st[i].perf - st[0].perf) / (st[m - 1].perf - st[0].perf);
		/* signed distance of (x, y) from the line y = x, times sqrt(2) */
		double dist = y - x;
		if (dist > bd) {
			bd = dist;
			best = i;
		}
	}
	return best;
}

static void test_random_vs_brute(void **state)
{
	size_t seed, n, i, m, knee;
	double c[200], p[200];
	bo_front_step st[200];

	(void)state;
	for (seed = 0; seed < 400; seed++) {
		size_t range = 2 + seed % 15, expect = 0;
		rng_state = seed;
		n = seed < 5 ? seed : (size_t)(rng_next() % 201);
		for (i = 0; i < n; i++) {
			c[i] = (double)(rng_next() % range) * 0.385 + 1;
			p[i] = (double)(rng_next() % range) * 2.385 - 3;
		}
		assert_int_equal(bo_front2(c, p, n, st, &m, &knee), 0);
		for (i = 0; i < n; i++)
			expect += (size_t)bf_on_front(c, p, n, i);
		assert_int_equal(m, expect);
		for (i = 0; i < m; i++) {
			size_t ix = st[i].index;
			assert_true(ix < n);
			assert_true(bf_on_front(c, p, n, ix));
			assert_true(st[i].cost == c[ix] && st[i].perf == p[ix]);
			if (i == 0) {
				assert_true(isnan(st[i].marginal));
			} else {
				assert_true(st[i].cost > st[i - 1].cost);
				assert_true(st[i].perf > st[i - 1].perf);
				assert_true(fabs(st[i].marginal -
						 (p[ix] - st[i - 1].perf) / (c[ix] - st[i - 1].cost)) <=
					    1e-12 * fabs(st[i].marginal));
			}
		}
		assert_int_equal(knee, bf_knee(st, m));
	}
}

static void test_knee(void **state)
{
	/* Accuracy rises fast then flattens; (2.385, 0.9) sits at the elbow. A
	 * dominated and a duplicated point are mixed in, in no particular order. */
	double c[] = {10, 1, 2.385, 5, 2.385, 3, 1.5, 7.5};
	double p[] = {0.95, 0.5, 0.9, 0.93, 0.9, 0.7, 0.6, 0.94};
	bo_front_step st[8];
	size_t m, knee;

	(void)state;
	assert_int_equal(bo_front2(c, p, 8, st, &m, &knee), 0);
	assert_int_equal(m, 6); /* (3, 0.7) is beaten by (2.385, 0.9); index 4 duplicates 2 */
	assert_int_equal(st[0].index, 1);
	assert_int_equal(st[1].index, 6);
	assert_int_equal(st[2].index, 2);
	assert_int_equal(st[3].index, 3);
	assert_int_equal(st[4].index, 7);
	assert_int_equal(st[5].index, 0);
	assert_int_equal(knee, 2);
	assert_true(fabs(st[2].marginal - 0.3 / 0.885) < 1e-12);

	/* A point below the chord is a concave dent, not a knee (Das 1999
	 * measures towards the utopia point): of the signed distances -0.125,
	 * -0.2 and +0.125, the knee is the one above the chord. */
	{
		double c2[] = {0, 1, 2, 3, 4};
		double p2[] = {0, 0.5, 1.2, 3.5, 4};
		assert_int_equal(bo_front2(c2, p2, 5, st, &m, &knee), 0);
		assert_int_equal(m, 5);
		assert_int_equal(knee, 3);
	}
	/* A straight line (awkward slope, points not evenly spaced) has no
	 * knee, nor has a front that is concave throughout. */
	{
		double c2[] = {1.3, 2.385, 4.1, 7.77, 9.05};
		double p2[5], p3[] = {0, 0.1, 0.3, 1.5, 4};
		size_t i;
		for (i = 0; i < 5; i++)
			p2[i] = 0.7 + 0.385 * (c2[i] - 1.3);
		assert_int_equal(bo_front2(c2, p2, 5, st, &m, &knee), 0);
		assert_int_equal(m, 5);
		assert_int_equal(knee, (size_t)-1);
		assert_int_equal(bo_front2(c2, p3, 5, st, &m, &knee), 0);
		assert_int_equal(m, 5);
		assert_int_equal(knee, (size_t)-1);
	}
	/* Fewer than three steps: no knee. */
	{
		double c3[] = {1, 2, 3};
		double p3[] = {1, 2, 1.5};
		assert_int_equal(bo_front2(c3, p3, 3, st, &m, &knee), 0);
		assert_int_equal(m, 2);
		assert_int_equal(knee, (size_t)-1);
		assert_int_equal(bo_front2(c3, p3, 1, st, &m, &knee), 0);
		assert_int_equal(m, 1);
		assert_int_equal(knee, (size_t)-1);
		assert_int_equal(bo_front2(NULL, NULL, 0, NULL, &m, &knee), 0);
		assert_int_equal(m, 0);
		assert_int_equal(knee, (size_t)-1);
	}
}

static void test_saturation(void **state)
{
	double c[] = {1, 2, 3, 4, 6};
	double p[] = {0.5, 0.8, 0.9, 0.95, 0.96}; /* marginals 0.3, 0.1, 0.05, 0.005 */
	bo_front_step st[5];
	size_t m, knee;

	(void)state;
	assert_int_equal(bo_front2(c, p, 5, st, &m, &knee), 0);
	assert_int_equal(m, 5);
	/* step s is where it stops paying: steps s.. each buy less than t */
	assert_int_equal(bo_front2_saturation(st, m, 0.001), 5); /* always pays */
	assert_int_equal(bo_front2_saturation(st, m, 0.01), 4);
	assert_int_equal(bo_front2_saturation(st, m, 0.06), 3);
	assert_int_equal(bo_front2_saturation(st, m, 0.2), 2);
	assert_int_equal(bo_front2_saturation(st, m, 1.0), 1); /* not even the first upgrade */
	assert_int_equal(bo_front2_saturation(st, 1, 1.0), 1);
	assert_int_equal(bo_front2_saturation(NULL, 0, 1.0), 0);

	/* A late step that pays again resets saturation to after it. */
	{
		double c2[] = {1, 2, 3, 4};
		double p2[] = {0, 0.01, 1, 1.001};
		assert_int_equal(bo_front2(c2, p2, 4, st, &m, &knee), 0);
		assert_int_equal(bo_front2_saturation(st, m, 0.1), 3);
	}
}

static void test_bad_input(void **state)
{
	double c[] = {1, NAN, 3}, p[] = {1, 2, 3};
	bo_front_step st[3];
	size_t m = 7, knee = 7;

	(void)state;
	assert_int_equal(bo_front2(c, p, 3, st, &m, &knee), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 1"));
	assert_non_null(strstr(bo_error_last(), "cost"));
	c[1] = 2;
	p[2] = NAN;
	assert_int_equal(bo_front2(c, p, 3, st, &m, &knee), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 2"));
	assert_int_equal(bo_front2(NULL, p, 3, st, &m, &knee), BO_EINVAL);
	p[2] = 3;
	bo__alloc_fail_at(1);
	assert_int_equal(bo_front2(c, p, 3, st, &m, &knee), BO_ENOMEM);
	bo__alloc_fail_at(0);
	assert_int_equal(bo_front2(c, p, 3, st, &m, &knee), 0);
	assert_int_equal(m, 3);
	assert_int_equal(knee, (size_t)-1); /* (1, 1), (2, 2), (3, 3): a straight line */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_vs_brute),
		cmocka_unit_test(test_knee),
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
