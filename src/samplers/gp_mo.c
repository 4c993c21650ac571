/*
 * samplers/gp_mo.c - the multi-objective parts of the "gp" sampler
 * (samplers/gp.c): the objective values its models learn (failures
 * penalised, ParEGO's scalarisation: Knowles 2006), feasibility, and for
 * EHVI (samplers/ehvi3.c) the front, its reference point and the front
 * members whose neighbourhoods the candidates perturb.
 *
 * The reference point: usually the current front's nadir plus
 * REF_FRONT_MARGIN of its range, so that EHVI rewards filling the front in;
 * one ask in 1 / REF_WIDE_SHARE the worst value seen plus REF_MARGIN of
 * the observed range, so that the front can still extend past its ends
 * (gp_sampler.h has the measurements behind both).
 *
 * Pure: no I/O, no clock, no globals; allocation through core/alloc.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/gp_sampler.h"

/* Worst (largest) value of objective k among the first nuse, with the
 * failure penalty, and the observed min; 0 when none is finite. */
int bo__gp_obj_range(const gp_sampler *g, size_t k, size_t nuse, double *lo, double *hi)
{
	size_t i;
	double a = HUGE_VAL, b = -HUGE_VAL;
	for (i = 0; i < nuse; i++) {
		double v = g->oobj[i * g->nobj + k];
		if (isnan(v))
			continue;
		if (v < a)
			a = v;
		if (v > b)
			b = v;
	}
	*lo = a;
	*hi = b;
	return a <= b;
}

/* Objective k of observation i, failures replaced (needs obj_range). */
double bo__gp_obj_value(const gp_sampler *g, size_t i, size_t k, double lo, double hi)
{
	double v = g->oobj[i * g->nobj + k];
	if (isnan(v))
		v = hi + FAIL_PENALTY * (hi - lo > 0 ? hi - lo : fabs(hi) + 1.0);
	return v;
}

/* ParEGO's scalarisation of observation i (objectives scaled to [0, 1]
 * over the first nuse observations). */
double bo__gp_parego_value(const gp_sampler *g, size_t i, const double *lo, const double *hi)
{
	size_t k;
	double mx = -HUGE_VAL, sum = 0;
	for (k = 0; k < g->nobj; k++) {
		double v = bo__gp_obj_value(g, i, k, lo[k], hi[k]);
		double w = hi[k] > lo[k] ? (v - lo[k]) / (hi[k] - lo[k]) : 0.0;
		w *= g->lambda[k];
		if (w > mx)
			mx = w;
		sum += w;
	}
	return mx + PAREGO_RHO * sum;
}

double bo__gp_rng_normal(bo_rng *rng)
{
	double u1 = 1.0 - bo__rng_uniform(rng), u2 = bo__rng_uniform(rng);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}


/* Is observation i feasible and complete? */
int bo__gp_feasible(const gp_sampler *g, size_t i)
{
	size_t k;
	if (g->ostate[i] != BO_TRIAL_COMPLETE)
		return 0;
	for (k = 0; k < g->nobj; k++)
		if (isnan(g->oobj[i * g->nobj + k]))
			return 0;
	for (k = 0; k < g->ncons; k++)
		if (!(g->ocons[i * g->ncons + k] >= 0))
			return 0;
	return 1;
}

/* Does a dominate b (minimised, d objectives)? */
static int dominates(const double *a, const double *b, size_t d)
{
	size_t k;
	int lt = 0;
	for (k = 0; k < d; k++) {
		if (a[k] > b[k])
			return 0;
		lt |= a[k] < b[k];
	}
	return lt;
}

/* Is row i of the n rows of pts (stride, d objectives) dominated by
 * another? */
static int dominated(const double *pts, size_t n, size_t stride, size_t d, size_t i)
{
	size_t j;
	for (j = 0; j < n; j++)
		if (j != i && dominates(pts + j * stride, pts + i * stride, d))
			return 1;
	return 0;
}

/* The front of feasible observations (and believed pending points) for
 * EHVI, its reference point and hypervolume. */
int bo__gp_setup_ehvi(gp_sampler *g, acq_ctx *a, bo_rng *rng)
{
	size_t d = g->nobjm, i, k, n = 0, tot = g->nobs + g->npend;
	double lo, hi;
	int rc;

	a->front = bo__calloc((tot + 1) * d, sizeof *a->front);
	a->ref = bo__calloc(d, sizeof *a->ref);
	a->z = bo__calloc(g->ehvi_samples * d, sizeof *a->z);
	a->work = bo__calloc((tot + 2) * d, sizeof *a->work);
	a->mo_mu = bo__calloc(d, sizeof *a->mo_mu);
	a->mo_sd = bo__calloc(d, sizeof *a->mo_sd);
	if (!a->front || !a->ref || !a->z || !a->work || !a->mo_mu || !a->mo_sd)
		return BO_ENOMEM;
	for (k = 0; k < d; k++) {
		if (!bo__gp_obj_range(g, k, g->nobs, &lo, &hi))
			lo = hi = 0;
		a->ref[k] = hi + REF_MARGIN * (hi - lo > 0 ? hi - lo : fabs(hi) + 1.0);
	}
	for (i = 0; i < g->nobs; i++) {
		if (!bo__gp_feasible(g, i))
			continue;
		for (k = 0; k < d; k++)
			a->front[n * d + k] = g->oobj[i * g->nobj + k];
		n++;
	}
	if (n > 1 && bo__rng_uniform(rng) >= REF_WIDE_SHARE) {
		/* the front's reference point: its nadir plus a margin of its
		 * range, per objective (the wide one where the front is flat) */
		double *flo = a->work, *fhi = a->work + d;
		size_t nf = 0;
		for (k = 0; k < d; k++) {
			flo[k] = HUGE_VAL;
			fhi[k] = -HUGE_VAL;
		}
		for (i = 0; i < n; i++) {
			if (dominated(a->front, n, d, d, i))
				continue;
			nf++;
			for (k = 0; k < d; k++) {
				flo[k] = fmin(flo[k], a->front[i * d + k]);
				fhi[k] = fmax(fhi[k], a->front[i * d + k]);
			}
		}
		for (k = 0; nf > 1 && k < d; k++)
			if (fhi[k] > flo[k])
				a->ref[k] = fhi[k] + REF_FRONT_MARGIN * (fhi[k] - flo[k]);
	}
	if (n && g->ncons == 0) {
		for (i = 0; i < g->npend; i++) {
			for (k = 0; k < d; k++) {
				double mu, var;
				bo__gp_predict(&g->gp[k], g->pf + i * g->dfeat, &mu, &var);
				a->front[n * d + k] = mu;
			}
			n++;
		}
	}
	a->nfront = n;
	rc = bo_hypervolume(a->front, n, d, a->ref, &a->hv_front, NULL);
	if (rc < 0)
		return rc;
	for (i = 0; i < g->ehvi_samples * d; i++)
		a->z[i] = bo__gp_rng_normal(rng);
	a->mode = n ? MODE_EHVI : MODE_POF;
	if (n && d <= 3) {
		if ((rc = bo__ehvi_boxes(&a->boxes, a->front, n, d, a->ref)) < 0)
			return rc;
		if (!(a->ework = bo__calloc(2 * a->boxes.nc * d, sizeof *a->ework)))
			return BO_ENOMEM;
		a->exact = 1;
	}
	return 0;
}

void bo__gp_clear_ehvi(acq_ctx *a)
{
	bo__free(a->front);
	bo__free(a->ref);
	bo__free(a->z);
	bo__free(a->work);
	bo__free(a->mo_mu);
	bo__free(a->mo_sd);
	bo__ehvi_boxes_clear(&a->boxes);
	bo__free(a->ework);
}

/* Several objectives: the trials whose neighbourhoods the candidates
 * perturb are members of the front (feasible, non-dominated) drawn at
 * random, not the best trials of the first objective. Overwrites order[0..]
 * and *nbest when there is a front; leaves them otherwise. */
int bo__gp_front_pick(gp_sampler *g, bo_rng *rng, size_t *order, size_t *nbest)
{
	size_t i, nf = 0, *fi = bo__calloc(g->nobs + 1, sizeof *fi);
	if (!fi)
		return BO_ENOMEM;
	for (i = 0; i < g->nobs; i++) {
		size_t j2;
		int dom = 0;
		if (!bo__gp_feasible(g, i))
			continue;
		for (j2 = 0; j2 < g->nobs && !dom; j2++)
			dom = bo__gp_feasible(g, j2) &&
			      dominates(g->oobj + j2 * g->nobj, g->oobj + i * g->nobj, g->nobj);
		if (!dom)
			fi[nf++] = i;
	}
	if (nf) {
		*nbest = nf < N_BEST ? nf : N_BEST;
		for (i = 0; i < *nbest; i++) {
			size_t r = i + (size_t)(bo__rng_uniform(rng) * (double)(nf - i));
			size_t t;
			r = r < nf ? r : nf - 1;
			t = fi[i];
			fi[i] = fi[r];
			fi[r] = t;
			order[i] = fi[i];
		}
	}
	bo__free(fi);
	return 0;
}
