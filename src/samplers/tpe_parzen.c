/*
 * samplers/tpe_parzen.c - the TPE sampler's unit coordinates (grid
 * cells, truncated normals) and its Parzen mixtures: fitting one to a group
 * of observations (bandwidths, magic clip, Optuna's default weights), its
 * log density (by parameter sweeps, or component by component for the
 * test), and drawing candidates from it.
 *
 * Part of the TPE sampler: samplers/tpe.c holds the sampler and says which
 * papers it follows and what it changes; samplers/tpe_int.h lists what the
 * files share.
 *
 * Pure: no I/O, no clock, no globals; never prints.
 */
#include "samplers/tpe_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"
#include "samplers/tpe_kernels.h"

/* Optuna's SIGMA0_MAGNITUDE for multivariate bandwidths. */
#define SIGMA0 0.2
/* Magic clip: sigma >= range / min(MAGIC_CLIP_CAP, n + 2). */
#define MAGIC_CLIP_CAP 100.0
/* Smallest bandwidth of a grid parameter, in grid cells. */
#define GRID_SIGMA_CELLS 0.5
/* Optuna's default_weights: the newest this many observations weigh 1. */
#define WEIGHT_FLAT 25
/* Beyond this many sigmas from the centre, truncation to [0, 1] changes
 * the normaliser by less than Phi(-8) ~ 6e-16: skip computing it. */
#define TRUNC_SKIP_Z 8.0
/* Probabilities handed to the inverse normal CDF stay inside (0, 1). */
#define PINV_EPS 1e-16
/* Terms this far below the largest add less than exp(-40) ~ 4e-18 of it
 * to a log-sum-exp: skipped. */
#define LSE_NEGLIGIBLE (-40.0)
/* Same slack as samplers/space.c when counting grid points. */
#define GRID_COUNT_TOL 1e-9

/* ---- parameters and unit coordinates ------------------------------------- */

static double clampd(double v, double lo, double hi)
{
	if (!(v >= lo))
		return lo;
	return v > hi ? hi : v;
}

static double grid_step(const bo_param *p)
{
	if (p->type == BO_PT_INT)
		return p->step > 0 ? p->step : 1.0;
	if (p->type == BO_PT_FLOAT)
		return p->step > 0 ? p->step : 0.0;
	return 0.0;
}

/* Points of p's grid or labels; 0 for a continuous parameter. */
double bo__tpe_grid_points(const bo_param *p)
{
	double step = grid_step(p), r, n;
	if (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL)
		return (double)(p->nchoices ? p->nchoices : 1);
	if (step <= 0)
		return 0.0;
	r = (p->hi - p->lo) / step;
	n = floor(r + GRID_COUNT_TOL * (1.0 + r)) + 1.0;
	return n >= 1.0 ? n : 1.0;
}

/* Log-grid ends as samplers/space.c draws them. */
static void log_grid_ends(const bo_param *p, double step, double npts, double *a, double *b)
{
	double top = p->lo + (npts - 1.0) * step;
	*a = p->lo - step / 2;
	if (!(*a > 0.0))
		*a = p->lo;
	*b = top + step / 2;
}

/* The kernel coordinate of value v: the label for a choice, a unit
 * coordinate otherwise (cell centres for grids, as bo__space_from_unit
 * maps them back); NaN when inactive. */
static double code_of(const bo_param *p, double npts, double v)
{
	double step;
	if (isnan(v))
		return NAN;
	switch (p->type) {
	case BO_PT_CHOICE:
		return v;
	case BO_PT_ORDINAL:
		return (v + 0.5) / npts;
	default:
		break;
	}
	step = grid_step(p);
	if (step > 0 && npts > 0) {
		if (npts <= 1.0)
			return 0.5;
		if (p->log) {
			double a, b;
			log_grid_ends(p, step, npts, &a, &b);
			if (!(v > 0))
				return 0.0;
			return clampd((log(v) - log(a)) / (log(b) - log(a)), 0.0, 1.0);
		}
		return (clampd(round((v - p->lo) / step), 0.0, npts - 1.0) + 0.5) / npts;
	}
	if (p->hi <= p->lo)
		return 0.5;
	if (p->log && p->lo > 0 && v > 0)
		return clampd((log(v) - log(p->lo)) / (log(p->hi) - log(p->lo)), 0.0, 1.0);
	return clampd((v - p->lo) / (p->hi - p->lo), 0.0, 1.0);
}

/* Unit coordinate that bo__space_from_unit maps to grid point / label k. */
double bo__tpe_grid_unit(const bo_param *p, double npts, double k)
{
	double step = grid_step(p);
	if (p->type != BO_PT_CHOICE && p->type != BO_PT_ORDINAL && p->log && step > 0)
		return code_of(p, npts, p->lo + k * step);
	return (k + 0.5) / npts;
}

void bo__tpe_codes(const bo_tpe *t, const double *x, double *c)
{
	size_t i;
	for (i = 0; i < t->d; i++)
		c[i] = code_of(&t->s->params[i], t->npts[i], x[i]);
}

/* Log of the normaliser of N(mu, s) truncated to [0, 1]. */
double bo__tpe_log_trunc_mass(double mu, double s)
{
	double a = -mu / s, b = (1.0 - mu) / s;
	if (a < -TRUNC_SKIP_Z && b > TRUNC_SKIP_Z)
		return 0.0;
	return log(gsl_cdf_ugaussian_P(b) - gsl_cdf_ugaussian_P(a));
}

/* A draw from N(mu, s) truncated to [0, 1], by the inverse CDF. */
static double trunc_normal(bo_rng *r, double mu, double s)
{
	double fa = gsl_cdf_ugaussian_P(-mu / s), fb = gsl_cdf_ugaussian_P((1.0 - mu) / s);
	double p = fa + bo__rng_uniform(r) * (fb - fa);
	p = clampd(p, PINV_EPS, 1.0 - PINV_EPS);
	return clampd(mu + s * gsl_cdf_ugaussian_Pinv(p), 0.0, 1.0);
}

/* ---- Parzen mixtures ------------------------------------------------------- */

static const double *entry_code(const bo_tpe *t, size_t e)
{
	return e < t->nobs ? t->ocode + e * t->d : t->pcode + (e - t->nobs) * t->d;
}

int64_t bo__tpe_entry_number(const bo_tpe *t, size_t e)
{
	return e < t->nobs ? t->onum[e] : t->pnum[e - t->nobs];
}

int bo__tpe_mix_reserve(mixture *mx, size_t ncomp, size_t d)
{
	size_t need = ncomp + 1, dd = d ? d : 1, c;
	int rc = 0;
	if (mx->sigma == NULL) {
		mx->sigma = bo__calloc(dd, sizeof *mx->sigma);
		mx->isig = bo__calloc(dd, sizeof *mx->isig);
		mx->lhi = bo__calloc(dd, sizeof *mx->lhi);
		mx->llo = bo__calloc(dd, sizeof *mx->llo);
		mx->tkey = bo__calloc(TPE_TRUNC_MEMO, sizeof *mx->tkey);
		mx->tval = bo__calloc(TPE_TRUNC_MEMO, sizeof *mx->tval);
		if (!mx->sigma || !mx->isig || !mx->lhi || !mx->llo || !mx->tkey || !mx->tval)
			return BO_ENOMEM;
	}
	if (need <= mx->cap)
		return 0;
	c = mx->cap < 16 ? 16 : mx->cap;
	while (c < need)
		c *= 2;
	if ((rc = bo__tpe_grow_rows(&mx->ent, mx->cap, c, 1, sizeof *mx->ent)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->logw, mx->cap, c, 1, sizeof *mx->logw)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->cumw, mx->cap, c, 1, sizeof *mx->cumw)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->w, mx->cap, c, 1, sizeof *mx->w)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->full, mx->cap, c, 1, sizeof *mx->full)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->mu, mx->cap, c, d, sizeof *mx->mu)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->lc, mx->cap, c, d, sizeof *mx->lc)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->muT, mx->cap, c, d, sizeof *mx->muT)) < 0 ||
	    (rc = bo__tpe_grow_rows(&mx->lcT, mx->cap, c, d, sizeof *mx->lcT)) < 0)
		return rc;
	mx->cap = c;
	return 0;
}

/* Optuna's default_weights for n observations in trial order: 1 for the
 * newest WEIGHT_FLAT, a ramp from 1/n for the older ones. */
void bo__tpe_default_weights(double *w, size_t n)
{
	size_t i, nramp;
	if (n < WEIGHT_FLAT) {
		for (i = 0; i < n; i++)
			w[i] = 1.0;
		return;
	}
	nramp = n - WEIGHT_FLAT;
	for (i = 0; i < nramp; i++)
		w[i] = nramp == 1 ? 1.0 / (double)n
				  : 1.0 / (double)n + (1.0 - 1.0 / (double)n) * (double)i /
							      (double)(nramp - 1);
	for (; i < n; i++)
		w[i] = 1.0;
}

/* bo__tpe_log_trunc_mass(c, s) for a code c of a grid parameter, through
 * mx's memo for that parameter (slot by a hash of c's bits, checked by
 * them): a grid of k points has k codes, and a thousand observations cost
 * k normal CDF pairs instead of a thousand. The same function of the same
 * arguments, so the same bits. */
static double memo_trunc_mass(mixture *mx, double c, double s)
{
	uint64_t bits;
	size_t slot;
	memcpy(&bits, &c, sizeof bits);
	slot = (size_t)((bits * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - TPE_TRUNC_MEMO_BITS));
	if (memcmp(&mx->tkey[slot], &c, sizeof c) != 0) {
		mx->tkey[slot] = c;
		mx->tval[slot] = bo__tpe_log_trunc_mass(c, s);
	}
	return mx->tval[slot];
}

/* Fits mx to entries ent (n, in trial order) with raw weights mx->w, which
 * the caller filled (ent and w are mx's own arrays, reserved). */
void bo__tpe_mix_fit(const bo_tpe *t, mixture *mx, size_t n)
{
	size_t i, j, d = t->d;
	double pw = t->prior_weight, sum = pw, acc = 0, lsig, lsum;
	int memo;

	mx->ncomp = n;
	for (j = 0; j < n; j++)
		mx->full[j] = 1;
	for (i = 0; i < d; i++) {
		size_t nact = 0;
		for (j = 0; j < n; j++)
			nact += !isnan(entry_code(t, mx->ent[j])[i]);
		if (t->is_cat[i]) {
			double k = t->npts[i], a = pw / ((double)nact + 1.0);
			mx->lhi[i] = log((1.0 + a) / (1.0 + k * a));
			mx->llo[i] = log(a / (1.0 + k * a));
			mx->sigma[i] = mx->isig[i] = 1.0;
		} else {
			double s = SIGMA0 * pow(nact > 1 ? (double)nact : 1.0,
						-1.0 / ((double)d + 4.0));
			double lo = 1.0 / fmin(MAGIC_CLIP_CAP, (double)nact + 2.0);
			if (t->npts[i] > 0)
				lo = fmax(lo, GRID_SIGMA_CELLS / t->npts[i]);
			s = clampd(s, lo, 1.0);
			mx->sigma[i] = s;
			mx->isig[i] = 1.0 / s;
			mx->lhi[i] = mx->llo[i] = 0.0;
		}
		lsig = -log(mx->sigma[i]) - LOG_SQRT_2PI;
		memo = !t->is_cat[i] && t->npts[i] > 0 && !t->reference_kernel;
		if (memo)
			for (j = 0; j < TPE_TRUNC_MEMO; j++)
				mx->tkey[j] = NAN;
		for (j = 0; j < n; j++) {
			double c = entry_code(t, mx->ent[j])[i];
			mx->mu[j * d + i] = mx->muT[i * mx->cap + j] = c;
			if (isnan(c))
				mx->full[j] = 0;
			if (t->is_cat[i] || isnan(c))
				mx->lc[j * d + i] = 0.0;
			else if (memo)
				mx->lc[j * d + i] = lsig - memo_trunc_mass(mx, c, mx->sigma[i]);
			else
				mx->lc[j * d + i] = lsig - bo__tpe_log_trunc_mass(c, mx->sigma[i]);
			mx->lcT[i * mx->cap + j] = mx->lc[j * d + i];
		}
	}
	for (j = 0; j < n; j++)
		sum += mx->w[j];
	lsum = log(sum);
	for (j = 0; j < n; j++) {
		mx->logw[j] = (mx->w[j] == 1.0 ? 0.0 : log(mx->w[j])) - lsum;
		acc += mx->w[j] / sum;
		mx->cumw[j] = acc;
	}
	mx->logw[n] = log(pw / sum);
	mx->cumw[n] = 1.0;
}

/* Prior log kernel of each active parameter of candidate code c. */
void bo__tpe_prior_terms(const bo_tpe *t, const double *c, double *pt)
{
	size_t i;
	for (i = 0; i < t->d; i++) {
		if (isnan(c[i]))
			pt[i] = 0.0;
		else if (t->is_cat[i])
			pt[i] = -log(t->npts[i]);
		else
			pt[i] = t->prior_lc[i] - 0.5 * (c[i] - 0.5) * (c[i] - 0.5);
	}
}

/* The reference kernel (component by component, the layout of the
 * paper's sum): mix_logpdf must give exactly its value; the option
 * "reference_kernel" selects it, for the test that checks so.
 * log of mixture density at candidate code c (pt from prior_terms; act
 * lists the candidate's active parameters, the nnum numeric ones first,
 * then nact - nnum labels); lse is workspace of ncomp + 1. */
static double mix_logpdf_rows(const bo_tpe *t, const mixture *mx, const double *c, const double *pt,
			 const size_t *act, size_t nnum, size_t nact, double *lse)
{
	size_t i, j, a, d = t->d, n = mx->ncomp;
	double top = -INFINITY, sum = 0, prior = mx->logw[n];

	for (a = 0; a < nact; a++)
		prior += pt[act[a]];
	for (j = 0; j < n; j++) {
		const double *mu = mx->mu + j * d, *lc = mx->lc + j * d;
		double v = mx->logw[j];
		if (mx->full[j]) {
			/* every parameter active in the observation: no checks */
			for (a = 0; a < nnum; a++) {
				double z;
				i = act[a];
				z = (c[i] - mu[i]) * mx->isig[i];
				v += lc[i] - 0.5 * z * z;
			}
			for (; a < nact; a++) {
				i = act[a];
				v += mu[i] == c[i] ? mx->lhi[i] : mx->llo[i];
			}
		} else {
			for (a = 0; a < nact; a++) {
				i = act[a];
				if (isnan(mu[i])) {
					v += pt[i];
				} else if (t->is_cat[i]) {
					v += mu[i] == c[i] ? mx->lhi[i] : mx->llo[i];
				} else {
					double z = (c[i] - mu[i]) * mx->isig[i];
					v += lc[i] - 0.5 * z * z;
				}
			}
		}
		lse[j] = v;
		if (v > top)
			top = v;
	}
	lse[n] = prior;
	if (prior > top)
		top = prior;
	for (j = 0; j <= n; j++)
		if (lse[j] - top > LSE_NEGLIGIBLE)
			sum += exp(lse[j] - top);
	return top + log(sum);
}

/* log of mixture density at candidate code c (pt from prior_terms; act
 * lists the candidate's active parameters, the nnum numeric ones first,
 * then nact - nnum labels); lse is workspace of ncomp + 1. Parameter by
 * parameter over every component (muT, lcT): each component still adds
 * its terms in act's order, so the value is mix_logpdf_rows' to the bit. */
double bo__tpe_mix_logpdf(const bo_tpe *t, const mixture *mx, const double *c, const double *pt,
			 const size_t *act, size_t nnum, size_t nact, double *lse)
{
	size_t j, a, n = mx->ncomp, cap = mx->cap;
	double top = -INFINITY, sum = 0, prior = mx->logw[n];

	if (t->reference_kernel)
		return mix_logpdf_rows(t, mx, c, pt, act, nnum, nact, lse);
	for (a = 0; a < nact; a++)
		prior += pt[act[a]];
	memcpy(lse, mx->logw, n * sizeof *lse);
	for (a = 0; a < nnum; a++) {
		size_t i = act[a];
		bo__tpe_sweep_numeric(lse, mx->muT + i * cap, mx->lcT + i * cap, n, c[i], mx->isig[i],
				      pt[i]);
	}
	for (; a < nact; a++) {
		size_t i = act[a];
		bo__tpe_sweep_label(lse, mx->muT + i * cap, n, c[i], mx->lhi[i], mx->llo[i], pt[i]);
	}
	for (j = 0; j < n; j++)
		if (lse[j] > top)
			top = lse[j];
	lse[n] = prior;
	if (prior > top)
		top = prior;
	for (j = 0; j <= n; j++)
		if (lse[j] - top > LSE_NEGLIGIBLE)
			sum += exp(lse[j] - top);
	return top + log(sum);
}

/* log of 1 / (gamma + (1 - gamma) exp(lg - ll)): c-TPE's relative density
 * ratio, monotone in l/g. */
double bo__tpe_log_rel_ratio(double ll, double lg, double gamma)
{
	double tdiff = lg - ll;
	if (gamma <= 0)
		return -tdiff;
	if (tdiff > 0)
		return -(tdiff + log(gamma * exp(-tdiff) + (1.0 - gamma)));
	return -log(gamma + (1.0 - gamma) * exp(tdiff));
}

/* Draw source for bo__space_sample: a point from t->draw_mix. */
int bo__tpe_draw_mix(void *ud, double *u)
{
	bo_tpe *t = ud;
	const mixture *mx = t->draw_mix;
	size_t i, lo = 0, hi = mx->ncomp, d = t->d;
	double r = bo__rng_uniform(&t->rng);
	const double *mu = NULL;

	while (lo < hi) {   /* first component with cumw > r */
		size_t mid = lo + (hi - lo) / 2;
		if (mx->cumw[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < mx->ncomp)
		mu = mx->mu + lo * d;
	for (i = 0; i < d; i++) {
		double c = mu ? mu[i] : NAN;
		if (t->is_cat[i]) {
			double k = t->npts[i], label;
			if (isnan(c)) {
				label = floor(bo__rng_uniform(&t->rng) * k);
			} else {
				double v = bo__rng_uniform(&t->rng);
				double phi = exp(mx->lhi[i]), plo = exp(mx->llo[i]);
				if (v < phi || k <= 1) {
					label = c;
				} else {
					/* one of the other k - 1 labels, equally likely */
					label = floor((v - phi) / plo);
					label = clampd(label, 0.0, k - 2.0);
					if (label >= c)
						label += 1.0;
				}
			}
			u[i] = (clampd(label, 0.0, k - 1.0) + 0.5) / k;
		} else if (isnan(c)) {
			u[i] = trunc_normal(&t->rng, 0.5, 1.0);
		} else {
			u[i] = trunc_normal(&t->rng, c, mx->sigma[i]);
		}
	}
	return 0;
}

int bo__tpe_draw_uniform(void *ud, double *u)
{
	bo_tpe *t = ud;
	size_t i;
	for (i = 0; i < t->d; i++)
		u[i] = bo__rng_uniform(&t->rng);
	return 0;
}
