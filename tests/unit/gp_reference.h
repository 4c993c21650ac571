/*
 * tests/unit/gp_reference.h - the textbook pieces the GP tests (test_gp.c,
 * test_mfgp.c) check the model against, written apart from
 * samplers/gp_model.c: the Matern 5/2 kernel with log length-scales and a
 * log signal variance, a 3x3 inverse by cofactors, and a relative
 * comparison. Included by one test program each, so its functions are
 * static inline.
 */
#ifndef BO_TESTS_GP_REFERENCE_H
#define BO_TESTS_GP_REFERENCE_H

#include <math.h>
#include <stddef.h>

static inline double k52(const double *th, size_t d, const double *a, const double *b)
{
	double r2 = 0, r;
	size_t j;
	for (j = 0; j < d; j++)
		r2 += (a[j] - b[j]) * (a[j] - b[j]) / (exp(th[j]) * exp(th[j]));
	r = sqrt(r2);
	return exp(th[d]) * (1 + sqrt(5.0) * r + 5.0 * r2 / 3.0) * exp(-sqrt(5.0) * r);
}

/* Inverse and determinant of a 3x3 matrix by cofactors. */
static inline double inv3(double A[3][3], double B[3][3])
{
	double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
		     A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
		     A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
	int i, j;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
			B[i][j] = (A[r0][c0] * A[r1][c1] - A[r0][c1] * A[r1][c0]) / det;
		}
	return det;
}

/* a and b agree within tol relative to the larger of them. */
static inline int close_rel(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(fabs(a), fabs(b)) + 1e-300;
}

#endif
