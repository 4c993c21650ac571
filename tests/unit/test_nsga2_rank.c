/*
 * tests/unit/test_nsga2_rank.c - the ranking of the NSGA-II sampler
 * (samplers/nsga2.c, Deb et al. 2002): constraint domination, crowding
 * distance and the environmental selection, against a small example
 * worked by hand and against the definition of crowding computed here by
 * scanning. Split from test_nsga2.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "samplers/internal.h"

/* Relative tolerance for hand-computed values. */
#define TOL 1e-12

/* ---- ranking and selection, worked by hand ------------------------------------ */

static void test_rank_and_select_by_hand(void **state)
{
	/*  i  objectives        category       rank
	 *  0  A (1.5, 7.25)     feasible       0
	 *  1  B (2.25, 4.0)     feasible       0
	 *  2  C (4.5, 2.5)      feasible       0
	 *  3  D (6.0, 1.25)     feasible       0
	 *  4  E (3.0, 6.0)      feasible       1 (B dominates it)
	 *  5  F (7.0, 3.0)      feasible       1 (C dominates it)
	 *  6  G (0.5, 0.5)      violation 0.75 3
	 *  7  H (9, 9)          violation 0.25 2 (less violation beats G's
	 *                                         better objectives)
	 *  8  I (8, 0.125)      violation 0.75 3 (ties with G)
	 *  9  J failed                         4
	 * Crowding in front 0: by f1 (range 6.0 - 1.5 = 4.5) B gets
	 * (4.5 - 1.5) / 4.5 = 2/3 and C (6.0 - 2.25) / 4.5 = 5/6; by f2
	 * (range 7.25 - 1.25 = 6) C gets (4.0 - 1.25) / 6 = 11/24 and B
	 * (7.25 - 2.5) / 6 = 19/24: B = 35/24, C = 31/24, A = D = inf.
	 * Fronts of one or two points: inf. Failed: 0. */
	const double nan = NAN;
	const double obj[] = {1.5, 7.25, 2.25, 4.0, 4.5, 2.5, 6.0, 1.25, 3.0, 6.0,
			      7.0, 3.0, 0.5, 0.5, 9.0, 9.0, 8.0, 0.125, nan, nan};
	const int cat[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 2};
	const double viol[] = {0, 0, 0, 0, 0, 0, 0.75, 0.25, 0.75, 0};
	const int want_rank[] = {0, 0, 0, 0, 1, 1, 3, 2, 3, 4};
	const double want_crowd[] = {INFINITY, 35.0 / 24, 31.0 / 24, INFINITY, INFINITY,
				     INFINITY, INFINITY, INFINITY, INFINITY, 0};
	/* Best first: rank, then crowding (ties: lower index). */
	const size_t want_order[] = {0, 3, 1, 2, 4, 5, 7, 6, 8, 9};
	int rank[10];
	double crowd[10];
	size_t chosen[10], i, k;
	(void)state;
	assert_int_equal(bo__nsga2_rank(obj, cat, viol, 10, 2, rank, crowd), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(rank[i], want_rank[i]);
		if (isinf(want_crowd[i]))
			assert_true(isinf(crowd[i]) && crowd[i] > 0);
		else
			assert_true(fabs(crowd[i] - want_crowd[i]) <= TOL * (1 + want_crowd[i]));
	}
	/* Keeping 3: front 0 does not fit; A and D (infinite distance), then
	 * B (35/24) over C (31/24). Every size gives a prefix of the order. */
	for (k = 0; k <= 11; k++) {
		int got = bo__nsga2_select(rank, crowd, 10, k, chosen);
		assert_int_equal(got, k < 10 ? (int)k : 10);
		for (i = 0; i < (size_t)got; i++)
			assert_int_equal(chosen[i], want_order[i]);
	}
}

static void test_crowding_brute_force(void **state)
{
	/* One front of 3 objectives (points on a plane x + y + z = 2.385,
	 * with a duplicate and a constant objective), against a direct
	 * computation of the definition: for each objective the neighbours
	 * in sorted order, found here by scanning. */
	enum { N = 9, D = 3 };
	double obj[N * D], crowd[N], want[N];
	int cat[N] = {0}, rank[N];
	double viol[N] = {0};
	size_t i, j, k;
	(void)state;
	for (i = 0; i < N; i++) {
		double a = 0.3 * (double)((i * 4) % N), b = 0.2 * (double)((i * 7) % N);
		if (i == 8) {
			a = 0.3 * 4; /* duplicate of point 1's f1 */
		}
		obj[i * D] = a;
		obj[i * D + 1] = b;
		obj[i * D + 2] = 2.385 - a - b;
	}
	assert_int_equal(bo__nsga2_rank(obj, cat, viol, N, D, rank, crowd), 0);
	/* All on one plane: no point dominates another. */
	for (i = 0; i < N; i++)
		assert_int_equal(rank[i], 0);
	for (i = 0; i < N; i++)
		want[i] = 0;
	for (k = 0; k < D; k++) {
		/* Sorted position of i: by value, ties by index (a stable sort
		 * of 0..N-1). Predecessor and successor are the points at
		 * positions pos-1 and pos+1. */
		size_t pos[N], at[N];
		double lo = INFINITY, hi = -INFINITY;
		for (i = 0; i < N; i++) {
			pos[i] = 0;
			for (j = 0; j < N; j++)
				if (obj[j * D + k] < obj[i * D + k] ||
				    (obj[j * D + k] == obj[i * D + k] && j < i))
					pos[i]++;
			at[pos[i]] = i;
			if (obj[i * D + k] < lo)
				lo = obj[i * D + k];
			if (obj[i * D + k] > hi)
				hi = obj[i * D + k];
		}
		for (i = 0; i < N; i++) {
			if (pos[i] == 0 || pos[i] == N - 1)
				want[i] = INFINITY;
			else
				want[i] += (obj[at[pos[i] + 1] * D + k] - obj[at[pos[i] - 1] * D + k]) /
					   (hi - lo);
		}
	}
	for (i = 0; i < N; i++) {
		if (isinf(want[i]))
			assert_true(isinf(crowd[i]));
		else
			assert_true(fabs(crowd[i] - want[i]) <= TOL * (1 + want[i]));
	}
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_and_select_by_hand),
		cmocka_unit_test(test_crowding_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
