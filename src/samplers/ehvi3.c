/*
 * samplers/ehvi3.c - exact expected hypervolume improvement in two and
 * three objectives, by box decomposition.
 *
 * The region that a front (minimised, bounded by the reference point) does
 * not dominate is cut into disjoint boxes once per ask (bo__ehvi_boxes),
 * in the manner of Couckuyt, Deschrijver and Dhaene 2014 and Yang et al.
 * 2019: for three objectives, slabs between consecutive values of the third
 * objective, each cut along the 2-D staircase of the points below the slab
 * (O(n^2) boxes); for two objectives, the staircase alone (n + 1 boxes).
 * The improvement of a point y is then sum_b vol([max(y, l_b), u_b]), and
 * for independent Gaussian objectives its expectation factors per box
 * and per objective:
 *   EHVI = sum_b prod_k psi(l_bk, u_bk; mu_k, sd_k),
 *   psi(l, u) = E[(u - max(Y, l))^+]
 *             = (u - l) Phi(a_l) + (u - mu) (Phi(a_u) - Phi(a_l)) + sd (phi(a_u) - phi(a_l)),
 * a_c = (c - mu) / sd (l = -inf: the first term and Phi(a_l), phi(a_l) are 0).
 * Box corners are indices into each objective's coordinates (the front's
 * values and the reference point), so an evaluation computes Phi and phi
 * once per coordinate, then a product per box: no Monte Carlo noise, so the
 * acquisition can be refined by a local optimiser (samplers/gp.c).
 *
 * Pure: no I/O, no clock, no globals; allocation through core/alloc.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/gp_model.h"

/* A standard deviation below this is a point mass (the model is sure). */
#define SD_POINT_MASS 1e-12

typedef struct pt2 {
	double x, y;
	size_t ix, iy;   /* coordinate indices */
} pt2;

static int by_x(const void *pa, const void *pb)
{
	const pt2 *a = pa, *b = pb;
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->y != b->y)
		return a->y < b->y ? -1 : 1;
	return 0;
}

/* Points by third objective (ties by index, so the order repeats). */
typedef struct zidx {
	double z;
	size_t i;
} zidx;

static int by_z(const void *pa, const void *pb)
{
	const zidx *a = pa, *b = pb;
	if (a->z != b->z)
		return a->z < b->z ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static int add_box(bo_ehvi_boxes *b, size_t *cap, const size_t *lo, const size_t *hi)
{
	int rc;
	if (b->n == *cap) {
		size_t c1 = *cap, c2 = *cap;
		if ((rc = bo__grow(&b->lo, &c1, b->n + 1, b->d * sizeof *b->lo)) < 0)
			return rc;
		if ((rc = bo__grow(&b->hi, &c2, b->n + 1, b->d * sizeof *b->hi)) < 0)
			return rc;
		*cap = c1 < c2 ? c1 : c2;
	}
	memcpy(b->lo + b->n * b->d, lo, b->d * sizeof *lo);
	memcpy(b->hi + b->n * b->d, hi, b->d * sizeof *hi);
	b->n++;
	return 0;
}

/* The 2-D staircase of pts (m points) cut into boxes below (ux, uy) in the
 * first two objectives, with the given third-objective bounds (d == 3). */
static int staircase(bo_ehvi_boxes *b, size_t *cap, pt2 *pts, size_t m, size_t zlo, size_t zhi)
{
	size_t lo[3], hi[3], i, px = 0, py = b->nc - 1;   /* -inf; ref */
	double prev_x = -HUGE_VAL, prev_y = HUGE_VAL;
	int rc;
	qsort(pts, m, sizeof *pts, by_x);
	lo[2] = zlo;
	hi[2] = zhi;
	for (i = 0; i < m; i++) {
		if (!(pts[i].y < prev_y))
			continue;   /* dominated in 2-D by an earlier point */
		if (pts[i].x > prev_x) {
			lo[0] = px;
			hi[0] = pts[i].ix;
			lo[1] = 0;
			hi[1] = py;
			if ((rc = add_box(b, cap, lo, hi)) < 0)
				return rc;
		}
		prev_x = pts[i].x;
		prev_y = pts[i].y;
		px = pts[i].ix;
		py = pts[i].iy;
	}
	lo[0] = px;
	hi[0] = b->nc - 1;
	lo[1] = 0;
	hi[1] = py;
	return add_box(b, cap, lo, hi);
}

int bo__ehvi_boxes(bo_ehvi_boxes *b, const double *front, size_t n, size_t d, const double *ref)
{
	size_t i, j, k, m = 0, cap = 0, lo3[3], hi3[3];
	pt2 *pts = NULL;
	zidx *z = NULL;
	int rc = BO_ENOMEM;

	memset(b, 0, sizeof *b);
	if (d != 2 && d != 3)
		return bo__error(BO_EINVAL, "exact ehvi takes 2 or 3 objectives, not %zu", d);
	b->d = d;
	/* coordinates: 0 is -inf, 1..m the kept points, m + 1 the reference */
	b->coord = bo__calloc((n + 2) * d, sizeof *b->coord);
	pts = bo__calloc(n + 1, sizeof *pts);
	z = bo__calloc(n + 1, sizeof *z);
	if (!b->coord || !pts || !z)
		goto done;
	for (i = 0; i < n; i++) {
		int inside = 1;
		for (k = 0; k < d; k++)
			inside &= front[i * d + k] < ref[k];
		if (!inside)
			continue;   /* dominates nothing below the reference point */
		for (k = 0; k < d; k++)
			b->coord[(m + 1) * d + k] = front[i * d + k];
		m++;
	}
	b->nc = m + 2;
	for (k = 0; k < d; k++) {
		b->coord[k] = -HUGE_VAL;
		b->coord[(m + 1) * d + k] = ref[k];
	}
	if (d == 2) {
		for (i = 0; i < m; i++) {
			pts[i].x = b->coord[(i + 1) * d];
			pts[i].y = b->coord[(i + 1) * d + 1];
			pts[i].ix = pts[i].iy = i + 1;
		}
		rc = staircase(b, &cap, pts, m, 0, 0);
		goto done;
	}
	for (i = 0; i < m; i++) {
		z[i].z = b->coord[(i + 1) * d + 2];
		z[i].i = i + 1;
	}
	qsort(z, m, sizeof *z, by_z);
	/* Slab j lies between the j-th and (j+1)-th smallest third values;
	 * the j points below it dominate there. */
	for (j = 0; j <= m; j++) {
		size_t zl = j ? z[j - 1].i : 0, zh = j < m ? z[j].i : m + 1;
		if (j && b->coord[zh * d + 2] <= b->coord[zl * d + 2])
			continue;   /* empty slab (ties) */
		if (j == 0) {
			lo3[0] = lo3[1] = lo3[2] = 0;
			hi3[0] = hi3[1] = m + 1;
			hi3[2] = zh;
			if ((rc = add_box(b, &cap, lo3, hi3)) < 0)
				goto done;
			continue;
		}
		for (i = 0; i < j; i++) {
			size_t p = z[i].i;
			pts[i].x = b->coord[p * d];
			pts[i].y = b->coord[p * d + 1];
			pts[i].ix = pts[i].iy = p;
		}
		if ((rc = staircase(b, &cap, pts, j, zl, zh)) < 0)
			goto done;
	}
	rc = 0;
done:
	bo__free(pts);
	bo__free(z);
	if (rc < 0)
		bo__ehvi_boxes_clear(b);
	return rc;
}

void bo__ehvi_boxes_clear(bo_ehvi_boxes *b)
{
	if (!b)
		return;
	bo__free(b->coord);
	bo__free(b->lo);
	bo__free(b->hi);
	memset(b, 0, sizeof *b);
}

double bo__ehvi_exact(const bo_ehvi_boxes *b, const double *mu, const double *sd, double *work)
{
	/* work: Phi(a_c) and phi(a_c) for each coordinate c, per objective */
	size_t k, c, i, d = b->d, nc = b->nc;
	double *Pc = work, *pc = work + nc * d, total = 0;

	for (k = 0; k < d; k++) {
		for (c = 0; c < nc; c++) {
			double v = b->coord[c * d + k];
			size_t at = k * nc + c;
			if (v == -HUGE_VAL) {
				Pc[at] = 0;
				pc[at] = 0;
			} else if (sd[k] < SD_POINT_MASS) {
				Pc[at] = mu[k] <= v ? 1.0 : 0.0;
				pc[at] = 0;
			} else {
				double a = (v - mu[k]) / sd[k];
				Pc[at] = bo__gp_Phi(a);
				pc[at] = bo__gp_phi(a);
			}
		}
	}
	for (i = 0; i < b->n; i++) {
		double prod = 1.0;
		for (k = 0; k < d && prod > 0; k++) {
			size_t li = b->lo[i * d + k], ui = b->hi[i * d + k];
			double l = b->coord[li * d + k], u = b->coord[ui * d + k], psi;
			double Pl = Pc[k * nc + li], Pu = Pc[k * nc + ui];
			if (sd[k] < SD_POINT_MASS) {
				double y = mu[k] > l ? mu[k] : l;
				psi = u > y ? u - y : 0.0;
			} else {
				psi = (u - mu[k]) * (Pu - Pl) + sd[k] * (pc[k * nc + ui] - pc[k * nc + li]);
				if (li != 0)
					psi += (u - l) * Pl;
			}
			prod *= psi > 0 ? psi : 0.0;
		}
		total += prod;
	}
	return total;
}
