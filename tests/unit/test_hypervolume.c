/*
 * tests/unit/test_hypervolume.c - bo_hypervolume and bo_hv_contributions
 * against a grid brute force, invariants, bad input and allocation
 * failures; against moocore's regression suite in
 * test_hypervolume_moocore.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_close.h"

/* ---- a deterministic generator (splitmix64) ----------------------------- */

static uint64_t rng_state = 0x2385;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t k)
{
	return (size_t)(rnd() % k);
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ---- brute force: the grid of all coordinate values ---------------------
 * Every cell between consecutive distinct coordinate values (below ref) is
 * either dominated by a point (p <= its lower corner) or not. The HV is the
 * sum of dominated cells; HV(all) - HV(all but i) is the sum of the cells
 * that i alone dominates (a cell two copies dominate stays when one goes). */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double brute(const double *P, size_t n, size_t d, const double *ref, double *excl)
{
	double *vals = malloc((n + 1) * d * sizeof *vals);
	size_t *nv = calloc(d, sizeof *nv), *at = calloc(d, sizeof *at), i, j;
	double total = 0;
	assert_non_null(vals);
	assert_non_null(nv);
	assert_non_null(at);
	if (excl)
		for (i = 0; i < n; i++)
			excl[i] = 0;
	for (j = 0; j < d; j++) {
		double *v = vals + j * (n + 1);
		size_t k = 0, u = 0;
		for (i = 0; i < n; i++)
			if (P[i * d + j] < ref[j])
				v[k++] = P[i * d + j];
		qsort(v, k, sizeof *v, cmp_double);
		for (i = 0; i < k; i++)
			if (u == 0 || v[i] != v[u - 1])
				v[u++] = v[i];
		v[u] = ref[j];
		nv[j] = u; /* cells along j: u */
		if (u == 0)
			goto done;
	}
	for (;;) {
		double vol = 1;
		size_t who = SIZE_MAX, count = 0;
		for (j = 0; j < d; j++)
			vol *= vals[j * (n + 1) + at[j] + 1] - vals[j * (n + 1) + at[j]];
		for (i = 0; i < n && count < 2; i++) {
			for (j = 0; j < d; j++)
				if (P[i * d + j] > vals[j * (n + 1) + at[j]])
					break;
			if (j == d) {
				count++;
				who = i;
			}
		}
		if (count > 0)
			total += vol;
		if (count == 1 && excl)
			excl[who] += vol;
		for (j = 0; j < d; j++) {
			if (++at[j] < nv[j])
				break;
			at[j] = 0;
		}
		if (j == d)
			break;
	}
done:
	free(vals);
	free(nv);
	free(at);
	return total;
}

/* ---- brute force on small random sets ------------------------------------ */

/* Fills n rows of d: kind 0 integers 0..4, kind 1 awkward doubles on a
 * lattice (2.385 + 0.7 k), kind 2 uniform doubles. ref is set to match,
 * sometimes cutting through the points so some are discarded. */
static void random_set(double *P, size_t n, size_t d, int kind, double *ref)
{
	size_t i, j;
	for (i = 0; i < n * d; i++) {
		if (kind == 0)
			P[i] = (double)rnd_below(5);
		else if (kind == 1)
			P[i] = 2.385 + 0.7 * (double)rnd_below(5);
		else
			P[i] = 2.385 * rnd_unit();
	}
	/* a duplicate now and then */
	if (n >= 2 && rnd_below(3) == 0)
		memcpy(P + (n - 1) * d, P + rnd_below(n - 1) * d, d * sizeof *P);
	for (j = 0; j < d; j++) {
		double top = kind == 0 ? 4 : kind == 1 ? 2.385 + 2.8 : 2.385;
		ref[j] = rnd_below(4) == 0 ? top : top + 0.5 + rnd_unit();
	}
}

static void test_brute_force(void **state)
{
	size_t d, rep, i;
	(void)state;
	for (d = 1; d <= 6; d++) {
		size_t reps = d <= 4 ? 300 : 80, maxn = d <= 3 ? 14 : d == 4 ? 10 : 7;
		for (rep = 0; rep < reps; rep++) {
			size_t n = 1 + rnd_below(maxn), nd, ndisc = 0;
			double P[14 * 6], ref[6], excl[14], con[14], hv, want;
			int kind = (int)(rep % 3);
			random_set(P, n, d, kind, ref);
			for (i = 0; i < n; i++) {
				size_t j;
				for (j = 0; j < d; j++)
					if (!(P[i * d + j] < ref[j]))
						break;
				ndisc += j < d;
			}
			want = brute(P, n, d, ref, excl);
			assert_int_equal(bo_hypervolume(P, n, d, ref, &hv, &nd), 0);
			ASSERT_CLOSE(hv, want, 1e-9 * want, "d %zu rep %zu n %zu", d, rep, n);
			assert_int_equal(nd, ndisc);
			assert_int_equal(bo_hv_contributions(P, n, d, ref, con), 0);
			for (i = 0; i < n; i++) {
				double ex = excl[i];
				if (d <= 3 && n > 1) {
					/* literally HV(all) - HV(all but i) where that is cheap;
					 * above, the cells i alone dominates (the same) */
					double Q[14 * 6];
					memcpy(Q, P, i * d * sizeof *P);
					memcpy(Q + i * d, P + (i + 1) * d, (n - i - 1) * d * sizeof *P);
					ex = want - brute(Q, n - 1, d, ref, NULL);
				}
				ASSERT_CLOSE(con[i], ex, 1e-9 * want, "contribution d %zu rep %zu point %zu",
					     d, rep, i);
				if (excl[i] == 0 && kind == 0)
					assert_true(con[i] == 0); /* dominated, twin or discarded */
			}
		}
	}
}

/* ---- invariants on larger sets ------------------------------------------- */

static void test_invariants(void **state)
{
	size_t d, rep, i, j;
	(void)state;
	for (d = 1; d <= 6; d++) {
		for (rep = 0; rep < 6; rep++) {
			size_t n = d <= 3 ? 400 : d == 4 ? 120 : 50, nd, nd2;
			double *P = malloc((n + 1) * (d + 1) * sizeof *P), *Q = malloc((n + 1) * (d + 1) * sizeof *Q);
			double ref[7], ref2[7], hv, hv2, s = 2.385;
			assert_non_null(P);
			assert_non_null(Q);
			for (i = 0; i < n * d; i++)
				P[i] = rep % 2 ? (double)rnd_below(20) : rnd_unit();
			if (rep >= 4) /* points near a simplex: large fronts */
				for (i = 0; i < n; i++) {
					double sum = 0;
					for (j = 0; j < d; j++)
						sum += P[i * d + j];
					for (j = 0; j < d; j++)
						P[i * d + j] /= sum > 0 ? sum : 1;
				}
			for (j = 0; j < d; j++)
				ref[j] = rep % 2 ? 18.5 : 1.1;
			assert_int_equal(bo_hypervolume(P, n, d, ref, &hv, &nd), 0);
			assert_true(hv > 0);

			/* any order of the points */
			memcpy(Q, P, n * d * sizeof *P);
			for (i = n - 1; i > 0; i--) {
				size_t k = rnd_below(i + 1);
				for (j = 0; j < d; j++) {
					double t = Q[i * d + j];
					Q[i * d + j] = Q[k * d + j];
					Q[k * d + j] = t;
				}
			}
			assert_int_equal(bo_hypervolume(Q, n, d, ref, &hv2, &nd2), 0);
			ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "permuted d %zu rep %zu", d, rep);
			assert_int_equal(nd2, nd);

			/* a dominated point changes nothing */
			for (j = 0; j < d; j++)
				Q[n * d + j] = P[(rep % n) * d + j] + (j == 0 ? 0 : 0.25);
			if (d == 1)
				Q[n] += 0.25;
			assert_int_equal(bo_hypervolume(Q, n + 1, d, ref, &hv2, NULL), 0);
			ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "dominated added d %zu rep %zu", d, rep);

			/* scaling one objective (and the reference) scales the volume */
			memcpy(Q, P, n * d * sizeof *P);
			memcpy(ref2, ref, d * sizeof *ref);
			for (i = 0; i < n; i++)
				Q[i * d + (rep % d)] *= s;
			ref2[rep % d] *= s;
			assert_int_equal(bo_hypervolume(Q, n, d, ref2, &hv2, NULL), 0);
			ASSERT_CLOSE(hv2, s * hv, 1e-10 * s * hv, "scaled d %zu rep %zu", d, rep);

			/* one more objective where every point is 0 and ref is 1: the
			 * same volume through the next algorithm up (2-D sweep vs 3-D
			 * sweep, 3-D sweep vs WFG, ...) */
			for (i = 0; i < n; i++) {
				memcpy(Q + i * (d + 1), P + i * d, d * sizeof *P);
				Q[i * (d + 1) + d] = 0;
			}
			memcpy(ref2, ref, d * sizeof *ref);
			ref2[d] = 1;
			if (d < 6) {
				assert_int_equal(bo_hypervolume(Q, n, d + 1, ref2, &hv2, NULL), 0);
				ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "d %zu vs d + 1, rep %zu", d, rep);
			}
			free(P);
			free(Q);
		}
	}
}

/* Contributions = HV(all) - HV(all but i), both through bo_hypervolume. */
static void test_contributions_vs_hv(void **state)
{
	size_t d, rep, i;
	(void)state;
	for (d = 2; d <= 5; d++) {
		for (rep = 0; rep < 4; rep++) {
			size_t n = d <= 3 ? 60 : 25;
			double P[60 * 5], Q[60 * 5], ref[5], con[60], all, part;
			for (i = 0; i < n * d; i++)
				P[i] = rep % 2 ? (double)rnd_below(6) : rnd_unit() * 2.385;
			for (i = 0; i < d; i++)
				ref[i] = rep % 2 ? 5.5 : 2.4;
			assert_int_equal(bo_hypervolume(P, n, d, ref, &all, NULL), 0);
			assert_int_equal(bo_hv_contributions(P, n, d, ref, con), 0);
			for (i = 0; i < n; i++) {
				memcpy(Q, P, i * d * sizeof *P);
				memcpy(Q + i * d, P + (i + 1) * d, (n - i - 1) * d * sizeof *P);
				assert_int_equal(bo_hypervolume(Q, n - 1, d, ref, &part, NULL), 0);
				ASSERT_CLOSE(con[i], all - part, 1e-9 * all, "d %zu rep %zu point %zu", d,
					     rep, i);
				assert_true(con[i] >= 0);
			}
		}
	}
}

/* ---- edge cases and bad input --------------------------------------------- */

static void test_edges(void **state)
{
	double P[] = {1, 2, 3, 2.385, 1, 2, 0.5, 0.5, 0.5}, ref[] = {4, 4, 4}, hv = -1, con[3];
	size_t nd = 99;
	(void)state;
	/* n = 0 */
	assert_int_equal(bo_hypervolume(NULL, 0, 3, ref, &hv, &nd), 0);
	assert_true(hv == 0 && nd == 0);
	assert_int_equal(bo_hv_contributions(NULL, 0, 3, ref, NULL), 0);
	/* one point: its box */
	assert_int_equal(bo_hypervolume(P, 1, 3, ref, &hv, &nd), 0);
	assert_true(hv == 3.0 * 2.0 * 1.0 && nd == 0);
	assert_int_equal(bo_hv_contributions(P, 1, 3, ref, con), 0);
	assert_true(con[0] == 6.0);
	/* d = 1: the best value */
	assert_int_equal(bo_hypervolume(P, 9, 1, ref, &hv, &nd), 0);
	assert_true(hv == 4 - 0.5 && nd == 0);
	/* every point discarded: ref on the boundary of each */
	{
		double r2[] = {1, 2, 0.5};
		assert_int_equal(bo_hypervolume(P, 3, 3, r2, &hv, &nd), 0);
		assert_true(hv == 0 && nd == 3);
		assert_int_equal(bo_hv_contributions(P, 3, 3, r2, con), 0);
		assert_true(con[0] == 0 && con[1] == 0 && con[2] == 0);
	}
	/* d = 0, NULL */
	assert_int_equal(bo_hypervolume(P, 3, 0, ref, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hypervolume(NULL, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hypervolume(P, 3, 3, NULL, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hv_contributions(P, 3, 0, ref, con), BO_EINVAL);
	/* NaN: the message names point and objective */
	P[2 * 3 + 1] = NAN;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 2 objective 1"));
	assert_int_equal(bo_hv_contributions(P, 3, 3, ref, con), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 2 objective 1"));
	P[2 * 3 + 1] = 0.5;
	ref[2] = NAN;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "reference point objective 2"));
	ref[2] = 4;
	/* infinities are ordinary values */
	P[0] = -INFINITY;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), 0);
	assert_true(isinf(hv) && hv > 0);
	P[0] = INFINITY;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), 0);
	assert_true(isfinite(hv) && nd == 1);
}

/* ---- allocation failures ---------------------------------------------------- */

static void torture(size_t n, size_t d, int contributions)
{
	double *P = malloc(n * d * sizeof *P), *con = malloc(n * sizeof *con), ref[8], want,
	       *wantc = malloc(n * sizeof *wantc), hv;
	size_t i, k, failures = 0;
	assert_non_null(P);
	assert_non_null(con);
	assert_non_null(wantc);
	for (i = 0; i < n * d; i++)
		P[i] = rnd_unit();
	for (i = 0; i < d; i++)
		ref[i] = 1.2;
	assert_int_equal(bo_hypervolume(P, n, d, ref, &want, NULL), 0);
	assert_int_equal(bo_hv_contributions(P, n, d, ref, wantc), 0);
	for (k = 1;; k++) {
		int rc;
		bo__alloc_fail_at(k);
		rc = contributions ? bo_hv_contributions(P, n, d, ref, con)
				   : bo_hypervolume(P, n, d, ref, &hv, NULL);
		bo__alloc_fail_at(0);
		if (rc == BO_ENOMEM) {
			failures++;
			assert_non_null(strstr(bo_error_last(), "out of memory"));
			continue;
		}
		assert_int_equal(rc, 0);
		if (contributions)
			for (i = 0; i < n; i++)
				assert_true(con[i] == wantc[i]);
		else
			assert_true(hv == want);
		break;
	}
	assert_true(failures > 0);
	free(P);
	free(con);
	free(wantc);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	torture(40, 4, 0);
	torture(40, 4, 1);
	torture(40, 3, 0);
	torture(40, 2, 1);
	torture(30, 5, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_contributions_vs_hv),
		cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
