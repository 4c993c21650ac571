/*
 * bench/frontier.c - how fast the multi-objective kernels are: bo_ndsort on
 * 10^4..10^6 points (uniform and front-shaped, d = 2 and 3) next to Deb et
 * al. 2002's fast non-dominated sort written here, and bo_hypervolume in
 * 3-D (10^4, 10^5 points) and 4-6-D (up to 10^3 points).
 *
 * The O(n^2) reference keeps Deb's counting scheme (n_p = how many points
 * dominate p; a front releases the points it dominates) but recomputes the
 * dominated set S_p when p's front is released instead of storing it: the
 * same 2 n^2 dominance tests, O(n) memory instead of O(n^2). It stops after
 * DEB_LIMIT_S seconds and prints "-" (nothing is extrapolated); when it
 * finishes, its ranks are checked against bo_ndsort's.
 *
 * Measures only; prints a table; exit 0 when everything ran, 1 when a
 * kernel failed or disagreed. Built by bench/run-frontier.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budgetopt/analysis.h"

#define DEB_LIMIT_S 10.0

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 12345;

static double urand(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

static double nrand(void)
{
	double u = urand(), v = urand();
	return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* uniform: [0,1)^d. front: on the positive orthant of the unit sphere,
 * pushed out by up to 1e-7 so that most, not all, are non-dominated. */
static void gen(double *x, size_t n, size_t d, int front)
{
	for (size_t i = 0; i < n; i++) {
		double *p = x + i * d, r = 0;
		for (size_t j = 0; j < d; j++) {
			p[j] = front ? fabs(nrand()) + 1e-12 : urand();
			r += p[j] * p[j];
		}
		if (front) {
			r = (1.0 + 1e-7 * urand()) / sqrt(r);
			for (size_t j = 0; j < d; j++)
				p[j] *= r;
		}
	}
}

static int dominates(const double *a, const double *b, size_t d)
{
	int strict = 0;
	for (size_t j = 0; j < d; j++) {
		if (a[j] > b[j])
			return 0;
		if (a[j] < b[j])
			strict = 1;
	}
	return strict;
}

/* Deb et al. 2002, fast non-dominated sort (S_p recomputed, see above).
 * Returns 0, or 1 when it ran out of time. */
static int deb_sort(const double *x, size_t n, size_t d, int *rank, double t0)
{
	size_t *cnt = calloc(n, sizeof *cnt), *cur = malloc(n * sizeof *cur),
	       *nxt = malloc(n * sizeof *nxt);
	size_t i, q, ncur = 0, nnxt;
	int r = 0, rc = 0;

	if (cnt == NULL || cur == NULL || nxt == NULL) {
		fprintf(stderr, "frontier: out of memory in the reference sort\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		for (q = 0; q < n; q++)
			cnt[i] += dominates(x + q * d, x + i * d, d);
		if (cnt[i] == 0)
			cur[ncur++] = i;
		if ((i & 255) == 0 && now() - t0 > DEB_LIMIT_S) {
			rc = 1;
			goto done;
		}
	}
	while (ncur > 0) {
		nnxt = 0;
		for (i = 0; i < ncur; i++) {
			size_t p = cur[i];
			rank[p] = r;
			for (q = 0; q < n; q++)
				if (dominates(x + p * d, x + q * d, d) && --cnt[q] == 0)
					nxt[nnxt++] = q;
			if ((i & 255) == 0 && now() - t0 > DEB_LIMIT_S) {
				rc = 1;
				goto done;
			}
		}
		memcpy(cur, nxt, nnxt * sizeof *cur);
		ncur = nnxt;
		r++;
	}
done:
	free(cnt);
	free(cur);
	free(nxt);
	return rc;
}

static int failed;

static void bench_ndsort(size_t n, size_t d, int front, int *deb_ok)
{
	double *x = malloc(n * d * sizeof *x);
	int *rank = malloc(n * sizeof *rank), *ref = malloc(n * sizeof *ref);
	size_t nr = 0, first = 0;
	double t0, t_bo, t_deb = -1;
	char deb[32] = "-", ratio[32] = "-";

	if (x == NULL || rank == NULL || ref == NULL) {
		fprintf(stderr, "frontier: out of memory\n");
		exit(1);
	}
	gen(x, n, d, front);
	t0 = now();
	if (bo_ndsort(x, n, d, rank, &nr) != 0) {
		fprintf(stderr, "frontier: bo_ndsort failed: %s\n", bo_error_last());
		failed = 1;
	}
	t_bo = now() - t0;
	for (size_t i = 0; i < n; i++)
		first += rank[i] == 0;
	if (*deb_ok) {
		t0 = now();
		if (deb_sort(x, n, d, ref, t0) == 0) {
			t_deb = now() - t0;
			if (memcmp(rank, ref, n * sizeof *rank) != 0) {
				fprintf(stderr, "frontier: bo_ndsort and Deb's sort disagree (n=%zu d=%zu)\n",
					n, d);
				failed = 1;
			}
			snprintf(deb, sizeof deb, "%.3f s", t_deb);
			snprintf(ratio, sizeof ratio, "%.0fx", t_deb / t_bo);
		} else {
			*deb_ok = 0; /* larger sizes would take longer still */
			snprintf(deb, sizeof deb, "- (>%.0f s)", DEB_LIMIT_S);
		}
	}
	printf("ndsort  %-7s d=%zu  n=%-8zu ranks=%-5zu rank0=%5.1f%%  bo_ndsort %7.3f s   Deb 2002 %-11s  speed-up %s\n",
	       front ? "front" : "uniform", d, n, nr, 100.0 * (double)first / (double)n, t_bo, deb,
	       ratio);
	fflush(stdout);
	free(x);
	free(rank);
	free(ref);
}

static double bench_hv(size_t n, size_t d)
{
	double *x = malloc(n * d * sizeof *x), ref[16], hv = 0, t0, t;
	size_t disc = 0;

	if (x == NULL) {
		fprintf(stderr, "frontier: out of memory\n");
		exit(1);
	}
	gen(x, n, d, 1);
	for (size_t j = 0; j < d; j++)
		ref[j] = 1.1;
	t0 = now();
	if (bo_hypervolume(x, n, d, ref, &hv, &disc) != 0) {
		fprintf(stderr, "frontier: bo_hypervolume failed: %s\n", bo_error_last());
		failed = 1;
	}
	t = now() - t0;
	printf("hv      front   d=%zu  n=%-8zu hv=%-12.6g bo_hypervolume %8.3f s\n", d, n, hv, t);
	fflush(stdout);
	free(x);
	return t;
}

int main(void)
{
	static const size_t sizes[] = {10000, 100000, 1000000};
	double t2d_1e6 = -1, t3hv_1e5 = -1;

	for (size_t d = 2; d <= 3; d++) {
		for (int front = 0; front <= 1; front++) {
			int deb_ok = 1;
			for (size_t k = 0; k < 3; k++)
				bench_ndsort(sizes[k], d, front, &deb_ok);
		}
	}
	/* the 2-D target, timed alone on uniform points */
	{
		size_t n = 1000000;
		double *x = malloc(n * 2 * sizeof *x), t0;
		int *rank = malloc(n * sizeof *rank);
		if (x == NULL || rank == NULL)
			return 1;
		gen(x, n, 2, 0);
		t0 = now();
		if (bo_ndsort(x, n, 2, rank, NULL) != 0)
			failed = 1;
		t2d_1e6 = now() - t0;
		free(x);
		free(rank);
	}
	bench_hv(10000, 3);
	t3hv_1e5 = bench_hv(100000, 3);
	for (size_t d = 4; d <= 6; d++) {
		static const size_t hn[] = {100, 300, 1000};
		for (size_t k = 0; k < 3; k++)
			if (bench_hv(hn[k], d) > DEB_LIMIT_S)
				break; /* the next size would take longer still */
	}
	printf("\ntarget: 10^6 points in 2-D sorted in under 1 s:      %.3f s  %s\n", t2d_1e6,
	       t2d_1e6 < 1 ? "met" : "NOT MET");
	printf("target: 3-D hypervolume of 10^5 points in under 1 s: %.3f s  %s\n", t3hv_1e5,
	       t3hv_1e5 < 1 ? "met" : "NOT MET");
	return failed;
}
