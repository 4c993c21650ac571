/*
 * samplers/tpe.c - the tree-structured Parzen estimator.
 *
 * TPE (Bergstra, Bardenet, Bengio and Kegl, "Algorithms for hyper-parameter
 * optimization", NeurIPS 2011): split the history into a good group (the
 * best gamma share) and the rest, fit a Parzen density to each, l(x) and
 * g(x), draw n_candidates points from l and keep the one with the largest
 * l/g. What Optuna users expect (Optuna 3.x, TPESampler with
 * multivariate=True, consider_prior, consider_magic_clip):
 *   - n_startup Sobol (or random) points first;
 *   - n_good = min(ceil(gamma * n), max_good) with gamma 0.1, max_good 25;
 *   - each mixture has one component per observation and a prior component
 *     (weight prior_weight) that is uniform-ish over the space; weights
 *     follow Optuna's default_weights (the newest 25 weigh 1, older ones a
 *     linear ramp from 1/n);
 *   - multivariate kernels (Falkner, Klein and Hutter, "BOHB", ICML 2018;
 *     Optuna's multivariate TPE): one product kernel per observation, one
 *     bandwidth per parameter and group, sigma = 0.2 n^(-1/(d+4)) clipped
 *     to [1/min(100, n+2), 1] ("magic clip"); truncated Gaussians on the
 *     unit coordinates, so log scales, ints and steps are handled in the
 *     transformed space;
 *   - Optuna's categorical kernel: the observed label weighs
 *     1 + pw/(n+1) and every label pw/(n+1), normalised.
 *
 * Changes and additions (why each exists):
 *   - Conditional spaces: an observation informs only the kernels of the
 *     parameters active in it. A candidate's density multiplies, per
 *     component, the kernels of the parameters active in the candidate;
 *     where the observation lacks one, the prior's kernel stands in, so
 *     l and g stay comparable for the same candidate. Candidates are drawn
 *     in the unit cube and mapped by bo__space_from_unit (NaN where a
 *     condition is false).
 *   - Failed, pruned and missing-value trials go to the bad group (Optuna
 *     ignores failures and keeps proposing the failing region). Pending
 *     trials count as bad too (constant liar), so parallel asks spread.
 *   - Grid parameters (ints, steps, ordinals) get a bandwidth of at least
 *     half a grid cell, and are placed at their cells' centres.
 *   - Guardrails, two mechanisms together: (1) the objective's split is
 *     feasibility-aware as Optuna's constraints_func is: feasible complete
 *     trials rank above infeasible ones, infeasible ones by total violation
 *     (the sum of negative margins); (2) c-TPE (Watanabe and Hutter,
 *     "c-TPE: tree-structured Parzen estimator with inequality constraints
 *     for expensive hyperparameter optimization", IJCAI 2023): per
 *     guardrail, a pair of densities split by feasibility (margin >= 0),
 *     and the acquisition is the product of relative density ratios
 *     1 / (gamma + (1 - gamma) g/l), gamma being the good share of each
 *     split. Option "ctpe" 0 leaves only (1).
 *   - Several objectives: MOTPE (Ozaki, Tanigaki, Watanabe and Onishi,
 *     "Multiobjective tree-structured Parzen estimator for computationally
 *     expensive optimization problems", GECCO 2020): the good group is
 *     filled front by front (bo_ndsort); the last front that does not fit
 *     is cut by hypervolume contributions computed once (Optuna removes
 *     the least contributor one at a time, recomputing, which is
 *     quadratic), and good points weigh their contribution within the
 *     good group, as in Optuna.
 *   - Finite spaces (only labels and grids): never propose a configuration
 *     already told or pending while an unseen one remains: the best unseen
 *     candidate wins; when all candidates were seen, more are drawn, then
 *     small spaces are enumerated (best unseen by the acquisition).
 *
 * Determinism: trial n's random numbers come from bo__rng_seed2(seed, n);
 * the model depends only on what was told and what is pending, both kept
 * in trial-number order, so the tell order does not matter and a fresh
 * sampler told the same history asks the same points.
 *
 * Options (set_param):
 *   name            default  meaning
 *   n_startup       10       trials told before the model is used
 *   n_candidates    24       candidates drawn from l(x) per ask
 *   gamma           0.1      good share: n_good = ceil(gamma * n) ...
 *   max_good        25       ... at most this many
 *   prior_weight    1.0      weight of the prior component (> 0)
 *   constant_liar   1        1: pending trials count as bad observations
 *   ctpe            1        1: c-TPE density ratios per guardrail
 *   startup_sobol   1        1: start-up points from Sobol, 0: random
 *   reference_kernel 0       1: the component-by-component density (same
 *                            values, slower: for the test that says so)
 *   cost_aware      1        1: the acquisition minus alpha log(predicted
 *                            cost), cost-cooled as samplers/gp.c does
 *                            (samplers/costmodel.c)
 *
 * Pure: no I/O, no clock, no globals; never prints. Must never propose a
 * point that breaks a configuration constraint (every candidate comes from
 * bo__space_sample or is checked by bo__study_check_config) nor set a value
 * for a parameter whose condition is false.
 */
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
/* Reference point for hypervolumes: worst + this share of the range. */
#define HV_REF_MARGIN 0.1
/* MOTPE weights of good points: contribution / max, at least this. */
#define MO_WEIGHT_FLOOR 1e-12
/* Finite spaces: rounds of n_candidates more draws from l(x) when every
 * candidate was seen, then enumeration up to this many grid points, else
 * this many uniform draws. */
#define EXTRA_ROUNDS 8
#define ENUM_MAX 4096.0
#define RANDOM_TRIES 1000
/* Terms this far below the largest add less than exp(-40) ~ 4e-18 of it
 * to a log-sum-exp: skipped. */
#define LSE_NEGLIGIBLE (-40.0)
/* Same slack as samplers/space.c when counting grid points. */
#define GRID_COUNT_TOL 1e-9
/* log(sqrt(2 pi)) */
#define LOG_SQRT_2PI 0.91893853320467274178

enum { CLASS_FEASIBLE = 0, CLASS_INFEASIBLE = 1, CLASS_BAD = 2 };

/* A Parzen mixture over the parameters: ncomp observation components and
 * the prior, last. */
typedef struct mixture {
	size_t ncomp;          /* observation components (the prior excluded) */
	size_t cap;            /* components allocated (prior included) */
	size_t *ent;           /* ncomp entries (see entry_code) */
	double *logw;          /* ncomp + 1 log weights, the prior last */
	double *cumw;          /* ncomp + 1 cumulative weights, for drawing */
	double *mu;            /* ncomp * d: centre or label; NaN inactive */
	double *lc;            /* ncomp * d: log constant of numeric kernels */
	double *muT, *lcT;     /* the same, parameter-major (d rows of cap):
				* mix_logpdf sweeps one parameter over every
				* component, a loop without a carried sum */
	double *sigma;         /* d */
	double *isig;          /* d */
	double *lhi, *llo;     /* d: categorical log kernel, match / not */
	double *w;             /* ncomp raw weights (workspace) */
	unsigned char *full;   /* ncomp: 1 when every parameter is active */
} mixture;


typedef struct bo_tpe {
	const bo_study *s;
	uint64_t seed;
	size_t d, m, g;        /* parameters, objectives, guardrails */

	/* options */
	size_t n_startup, n_candidates, max_good;
	double gamma, prior_weight;
	int liar, ctpe, startup_sobol, cost_aware;
	int reference_kernel;  /* 1: mix_logpdf_rows (for the test of equality) */
	bo_costmodel *cost;    /* samplers/costmodel.c */

	/* parameters: 1 categorical (unordered labels), grid points (0: continuous) */
	int *is_cat;
	double *npts;
	double *prior_lc;      /* d: log constant of the numeric prior */
	int finite;
	double space_size;     /* product of grid points (finite spaces) */

	void *sobol;

	/* told observations, by increasing number */
	size_t nobs, obs_cap;
	int64_t *onum;
	int *ostate;
	double *ox, *ocode, *oobj, *ocons;

	/* pending (asked, not told), by increasing number */
	size_t npend, pend_cap;
	int64_t *pnum;
	double *px, *pcode;

	/* per-ask workspace */
	bo_rng rng;
	const mixture *draw_mix;
	size_t nmix;           /* 2 + 2 * g */
	mixture *mix;          /* [0] l, [1] g, then per guardrail l, g */
	double *mix_gamma;     /* per objective/guardrail split: good share */
	int *mix_on;           /* per split: used in the acquisition */
	size_t work_cap;
	bo__rankrec *recs, *rtmp;     /* rtmp: sort_ranks' workspace */
	size_t *ord, *good, *bad;
	int *cls;
	double *viol, *wts, *pts, *contrib, *lse;
	int *rank;
	size_t cand_cap;
	double *u, *xc, *cc, *pt, *xbest;
	size_t *counts;
	size_t *digits;
	size_t *act;           /* d: a candidate's active parameters */
	size_t seen_cap;
	size_t *seen;
	double nseen_distinct;  /* distinct configurations told or pending */
} bo_tpe;

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
static double grid_points(const bo_param *p)
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
static double grid_unit(const bo_param *p, double npts, double k)
{
	double step = grid_step(p);
	if (p->type != BO_PT_CHOICE && p->type != BO_PT_ORDINAL && p->log && step > 0)
		return code_of(p, npts, p->lo + k * step);
	return (k + 0.5) / npts;
}

static void codes(const bo_tpe *t, const double *x, double *c)
{
	size_t i;
	for (i = 0; i < t->d; i++)
		c[i] = code_of(&t->s->params[i], t->npts[i], x[i]);
}

/* Log of the normaliser of N(mu, s) truncated to [0, 1]. */
static double log_trunc_mass(double mu, double s)
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

/* ---- lifecycle ----------------------------------------------------------- */

static void mix_clear(mixture *mx)
{
	bo__free(mx->ent);
	bo__free(mx->logw);
	bo__free(mx->cumw);
	bo__free(mx->mu);
	bo__free(mx->lc);
	bo__free(mx->muT);
	bo__free(mx->lcT);
	bo__free(mx->sigma);
	bo__free(mx->isig);
	bo__free(mx->lhi);
	bo__free(mx->llo);
	bo__free(mx->w);
	bo__free(mx->full);
}

static void tpe_destroy(void *impl)
{
	bo_tpe *t = impl;
	size_t i;
	if (!t)
		return;
	bo__sobol_destroy(t->sobol);
	for (i = 0; t->mix && i < t->nmix; i++)
		mix_clear(&t->mix[i]);
	bo__free(t->mix);
	bo__free(t->mix_gamma);
	bo__free(t->mix_on);
	bo__free(t->is_cat);
	bo__free(t->npts);
	bo__free(t->prior_lc);
	bo__free(t->onum);
	bo__free(t->ostate);
	bo__free(t->ox);
	bo__free(t->ocode);
	bo__free(t->oobj);
	bo__free(t->ocons);
	bo__free(t->pnum);
	bo__free(t->px);
	bo__free(t->pcode);
	bo__free(t->recs);
	bo__free(t->rtmp);
	bo__free(t->ord);
	bo__free(t->good);
	bo__free(t->bad);
	bo__free(t->cls);
	bo__free(t->viol);
	bo__free(t->wts);
	bo__free(t->pts);
	bo__free(t->contrib);
	bo__free(t->lse);
	bo__free(t->rank);
	bo__free(t->u);
	bo__free(t->xc);
	bo__free(t->cc);
	bo__free(t->pt);
	bo__free(t->xbest);
	bo__free(t->counts);
	bo__free(t->digits);
	bo__free(t->act);
	bo__free(t->seen);
	bo__costmodel_free(t->cost);
	bo__free(t);
}

static int tpe_create(void **out, const bo_study *s, uint64_t seed)
{
	bo_tpe *t = NULL;
	size_t i, d = s->nparams;
	int rc = BO_ENOMEM;

	*out = NULL;
	t = bo__calloc(1, sizeof *t);
	if (!t)
		goto done;
	t->s = s;
	t->seed = seed;
	t->d = d;
	t->m = bo__sampler_nobjectives(s);
	t->g = s->nguardrails;
	t->n_startup = 10;
	t->n_candidates = 24;
	t->max_good = 25;
	t->gamma = 0.1;
	t->prior_weight = 1.0;
	t->liar = 1;
	t->ctpe = 1;
	t->startup_sobol = 1;
	t->cost_aware = 1;
	t->nmix = 2 + 2 * t->g;
	t->mix = bo__calloc(t->nmix, sizeof *t->mix);
	t->mix_gamma = bo__calloc(1 + t->g, sizeof *t->mix_gamma);
	t->mix_on = bo__calloc(1 + t->g, sizeof *t->mix_on);
	t->is_cat = bo__calloc(d, sizeof *t->is_cat);
	t->npts = bo__calloc(d, sizeof *t->npts);
	t->prior_lc = bo__calloc(d, sizeof *t->prior_lc);
	t->u = bo__calloc(d, sizeof *t->u);
	t->xbest = bo__calloc(d, sizeof *t->xbest);
	t->pt = bo__calloc(d, sizeof *t->pt);
	t->digits = bo__calloc(d, sizeof *t->digits);
	t->act = bo__calloc(d, sizeof *t->act);
	t->counts = bo__calloc(s->nconstraints, sizeof *t->counts);
	if (!t->mix || !t->mix_gamma || !t->mix_on || !t->is_cat || !t->npts || !t->prior_lc ||
	    !t->u || !t->xbest || !t->pt || !t->digits || !t->act || !t->counts)
		goto done;
	t->finite = 1;
	t->space_size = 1.0;
	for (i = 0; i < d; i++) {
		const bo_param *p = &s->params[i];
		t->is_cat[i] = p->type == BO_PT_CHOICE;
		t->npts[i] = grid_points(p);
		t->prior_lc[i] = -LOG_SQRT_2PI - log_trunc_mass(0.5, 1.0);
		if (t->npts[i] <= 0)
			t->finite = 0;
		else
			t->space_size *= t->npts[i];
	}
	rc = bo__sobol_create(&t->sobol, s, seed);
	if (rc < 0 || (rc = bo__costmodel_new(&t->cost, s)) < 0)
		goto done;
	*out = t;
	t = NULL;
	rc = 0;
done:
	tpe_destroy(t);
	return rc;
}

static int tpe_set_param(void *impl, const char *name, double v)
{
	bo_tpe *t = impl;
	int is_int = v == floor(v) && isfinite(v);

	if (strcmp(name, "n_startup") == 0 && is_int && v >= 0 && v <= 1e9) {
		t->n_startup = (size_t)v;
	} else if (strcmp(name, "n_candidates") == 0 && is_int && v >= 1 && v <= 1e6)
		t->n_candidates = (size_t)v;
	else if (strcmp(name, "gamma") == 0 && v > 0 && v <= 1)
		t->gamma = v;
	else if (strcmp(name, "max_good") == 0 && is_int && v >= 1 && v <= 1e9)
		t->max_good = (size_t)v;
	else if (strcmp(name, "prior_weight") == 0 && v > 0 && isfinite(v))
		t->prior_weight = v;
	else if (strcmp(name, "constant_liar") == 0 && (v == 0 || v == 1))
		t->liar = (int)v;
	else if (strcmp(name, "ctpe") == 0 && (v == 0 || v == 1))
		t->ctpe = (int)v;
	else if (strcmp(name, "cost_aware") == 0 && (v == 0 || v == 1))
		t->cost_aware = (int)v;
	else if (strcmp(name, "startup_sobol") == 0 && (v == 0 || v == 1))
		t->startup_sobol = (int)v;
	else if (strcmp(name, "reference_kernel") == 0 && (v == 0 || v == 1))
		t->reference_kernel = (int)v;
	else if (strcmp(name, "n_startup") == 0 || strcmp(name, "n_candidates") == 0 ||
		 strcmp(name, "gamma") == 0 || strcmp(name, "max_good") == 0 ||
		 strcmp(name, "prior_weight") == 0 || strcmp(name, "constant_liar") == 0 ||
		 strcmp(name, "ctpe") == 0 || strcmp(name, "startup_sobol") == 0 ||
		 strcmp(name, "reference_kernel") == 0 || strcmp(name, "cost_aware") == 0)
		return bo__error(BO_EINVAL, "tpe: %s: value %g out of range", name, v);
	else
		return bo__error(BO_EINVAL,
				 "tpe: unknown option \"%s\" (known: n_startup, n_candidates, gamma, "
				 "max_good, prior_weight, constant_liar, ctpe, startup_sobol, cost_aware)",
				 name);
	return 0;
}

/* ---- history ------------------------------------------------------------- */

/* Index of the first element of a (n, increasing) not below key. */
static size_t lower_bound(const int64_t *a, size_t n, int64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void pending_remove(bo_tpe *t, int64_t number)
{
	size_t k = lower_bound(t->pnum, t->npend, number), d = t->d, rest;
	if (k >= t->npend || t->pnum[k] != number)
		return;
	rest = t->npend - k - 1;
	memmove(t->pnum + k, t->pnum + k + 1, rest * sizeof *t->pnum);
	memmove(t->px + k * d, t->px + (k + 1) * d, rest * d * sizeof *t->px);
	memmove(t->pcode + k * d, t->pcode + (k + 1) * d, rest * d * sizeof *t->pcode);
	t->npend--;
}

/* Grows the row arrays of one table: each array holds rows of its width. */
static int grow_rows(void *arr, size_t have, size_t need, size_t width, size_t elem)
{
	size_t cap = have * (width ? width : 1);
	return bo__grow(arr, &cap, need * (width ? width : 1), elem);
}

static int pending_add(bo_tpe *t, int64_t number, const double *x)
{
	size_t k, d = t->d, rest;
	int rc = 0;

	pending_remove(t, number);
	if (t->npend + 1 > t->pend_cap) {
		size_t nc = t->pend_cap ? 2 * t->pend_cap : 16;
		if ((rc = grow_rows(&t->pnum, t->pend_cap, nc, 1, sizeof *t->pnum)) < 0 ||
		    (rc = grow_rows(&t->px, t->pend_cap, nc, d, sizeof *t->px)) < 0 ||
		    (rc = grow_rows(&t->pcode, t->pend_cap, nc, d, sizeof *t->pcode)) < 0)
			return rc;
		t->pend_cap = nc;
	}
	k = lower_bound(t->pnum, t->npend, number);
	rest = t->npend - k;
	memmove(t->pnum + k + 1, t->pnum + k, rest * sizeof *t->pnum);
	memmove(t->px + (k + 1) * d, t->px + k * d, rest * d * sizeof *t->px);
	memmove(t->pcode + (k + 1) * d, t->pcode + k * d, rest * d * sizeof *t->pcode);
	t->pnum[k] = number;
	memcpy(t->px + k * d, x, d * sizeof *x);
	codes(t, x, t->pcode + k * d);
	t->npend++;
	return 0;
}

static int tpe_tell(void *impl, const bo_observation *o)
{
	bo_tpe *t = impl;
	size_t d = t->d, m = t->m, g = t->g, k, rest, need;
	int rc = 0;

	pending_remove(t, o->number);
	k = lower_bound(t->onum, t->nobs, o->number);
	if (k >= t->nobs || t->onum[k] != o->number) {
		need = t->nobs + 1;
		if (need > t->obs_cap) {
			size_t nc = t->obs_cap ? 2 * t->obs_cap : 16;
			if ((rc = grow_rows(&t->onum, t->obs_cap, nc, 1, sizeof *t->onum)) < 0 ||
			    (rc = grow_rows(&t->ostate, t->obs_cap, nc, 1, sizeof *t->ostate)) < 0 ||
			    (rc = grow_rows(&t->ox, t->obs_cap, nc, d, sizeof *t->ox)) < 0 ||
			    (rc = grow_rows(&t->ocode, t->obs_cap, nc, d, sizeof *t->ocode)) < 0 ||
			    (rc = grow_rows(&t->oobj, t->obs_cap, nc, m, sizeof *t->oobj)) < 0 ||
			    (rc = grow_rows(&t->ocons, t->obs_cap, nc, g, sizeof *t->ocons)) < 0)
				goto done;
			t->obs_cap = nc;
		}
		rest = t->nobs - k;
		memmove(t->onum + k + 1, t->onum + k, rest * sizeof *t->onum);
		memmove(t->ostate + k + 1, t->ostate + k, rest * sizeof *t->ostate);
		memmove(t->ox + (k + 1) * d, t->ox + k * d, rest * d * sizeof *t->ox);
		memmove(t->ocode + (k + 1) * d, t->ocode + k * d, rest * d * sizeof *t->ocode);
		memmove(t->oobj + (k + 1) * m, t->oobj + k * m, rest * m * sizeof *t->oobj);
		memmove(t->ocons + (k + 1) * g, t->ocons + k * g, rest * g * sizeof *t->ocons);
		t->nobs++;
	}
	/* else: told again, the newer outcome replaces the older one */
	t->onum[k] = o->number;
	t->ostate[k] = o->state;
	memcpy(t->ox + k * d, o->x, d * sizeof *o->x);
	codes(t, o->x, t->ocode + k * d);
	if (m)
		memcpy(t->oobj + k * m, o->obj, m * sizeof *o->obj);
	if (g)
		memcpy(t->ocons + k * g, o->cons, g * sizeof *o->cons);
	rc = bo__costmodel_add(t->cost, o->x, o->cost);
done:
	return rc;
}

/* ---- seen configurations (finite spaces) --------------------------------- */

static uint64_t canon_bits(double v)
{
	uint64_t b;
	if (isnan(v))
		return 0x7ff8000000000000ULL;
	if (v == 0.0)
		return 0;
	memcpy(&b, &v, sizeof b);
	return b;
}

static uint64_t row_hash(const double *x, size_t d)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	size_t i;
	for (i = 0; i < d; i++) {
		h ^= canon_bits(x[i]);
		h *= 0x100000001b3ULL;      /* FNV prime */
		h ^= h >> 29;
	}
	return h;
}

static int same_row(const double *a, const double *b, size_t d)
{
	size_t i;
	for (i = 0; i < d; i++)
		if (canon_bits(a[i]) != canon_bits(b[i]))
			return 0;
	return 1;
}

static const double *seen_row(const bo_tpe *t, size_t r)
{
	return r < t->nobs ? t->ox + r * t->d : t->px + (r - t->nobs) * t->d;
}

/* Open addressing over told and pending rows; slot value row + 1. */
static int seen_build(bo_tpe *t)
{
	size_t n = t->nobs + t->npend, cap = 16, r;
	int rc;
	while (cap < 2 * n + 2)
		cap *= 2;
	if (cap > t->seen_cap) {
		size_t have = t->seen_cap;
		rc = bo__grow(&t->seen, &have, cap, sizeof *t->seen);
		if (rc < 0)
			return rc;
	}
	t->seen_cap = cap;
	memset(t->seen, 0, cap * sizeof *t->seen);
	t->nseen_distinct = 0;
	for (r = 0; r < n; r++) {
		const double *x = seen_row(t, r);
		size_t h = (size_t)row_hash(x, t->d) & (cap - 1);
		int dup = 0;
		while (t->seen[h] && !dup) {
			dup = same_row(seen_row(t, t->seen[h] - 1), x, t->d);
			h = (h + 1) & (cap - 1);
		}
		if (dup)
			continue;
		t->seen[h] = r + 1;
		t->nseen_distinct += 1.0;
	}
	return 0;
}

static int is_seen(const bo_tpe *t, const double *x)
{
	size_t h;
	if (!t->finite)
		return 0;
	h = (size_t)row_hash(x, t->d) & (t->seen_cap - 1);
	while (t->seen[h]) {
		if (same_row(seen_row(t, t->seen[h] - 1), x, t->d))
			return 1;
		h = (h + 1) & (t->seen_cap - 1);
	}
	return 0;
}

/* ---- Parzen mixtures ------------------------------------------------------- */

static const double *entry_code(const bo_tpe *t, size_t e)
{
	return e < t->nobs ? t->ocode + e * t->d : t->pcode + (e - t->nobs) * t->d;
}

static int64_t entry_number(const bo_tpe *t, size_t e)
{
	return e < t->nobs ? t->onum[e] : t->pnum[e - t->nobs];
}

static int mix_reserve(mixture *mx, size_t ncomp, size_t d)
{
	size_t need = ncomp + 1, dd = d ? d : 1, c;
	int rc = 0;
	if (mx->sigma == NULL) {
		mx->sigma = bo__calloc(dd, sizeof *mx->sigma);
		mx->isig = bo__calloc(dd, sizeof *mx->isig);
		mx->lhi = bo__calloc(dd, sizeof *mx->lhi);
		mx->llo = bo__calloc(dd, sizeof *mx->llo);
		if (!mx->sigma || !mx->isig || !mx->lhi || !mx->llo)
			return BO_ENOMEM;
	}
	if (need <= mx->cap)
		return 0;
	c = mx->cap < 16 ? 16 : mx->cap;
	while (c < need)
		c *= 2;
	if ((rc = grow_rows(&mx->ent, mx->cap, c, 1, sizeof *mx->ent)) < 0 ||
	    (rc = grow_rows(&mx->logw, mx->cap, c, 1, sizeof *mx->logw)) < 0 ||
	    (rc = grow_rows(&mx->cumw, mx->cap, c, 1, sizeof *mx->cumw)) < 0 ||
	    (rc = grow_rows(&mx->w, mx->cap, c, 1, sizeof *mx->w)) < 0 ||
	    (rc = grow_rows(&mx->full, mx->cap, c, 1, sizeof *mx->full)) < 0 ||
	    (rc = grow_rows(&mx->mu, mx->cap, c, d, sizeof *mx->mu)) < 0 ||
	    (rc = grow_rows(&mx->lc, mx->cap, c, d, sizeof *mx->lc)) < 0 ||
	    (rc = grow_rows(&mx->muT, mx->cap, c, d, sizeof *mx->muT)) < 0 ||
	    (rc = grow_rows(&mx->lcT, mx->cap, c, d, sizeof *mx->lcT)) < 0)
		return rc;
	mx->cap = c;
	return 0;
}

/* Optuna's default_weights for n observations in trial order: 1 for the
 * newest WEIGHT_FLAT, a ramp from 1/n for the older ones. */
static void default_weights(double *w, size_t n)
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

/* Fits mx to entries ent (n, in trial order) with raw weights mx->w, which
 * the caller filled (ent and w are mx's own arrays, reserved). */
static void mix_fit(const bo_tpe *t, mixture *mx, size_t n)
{
	size_t i, j, d = t->d;
	double pw = t->prior_weight, sum = pw, acc = 0, lsig, lsum;

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
		for (j = 0; j < n; j++) {
			double c = entry_code(t, mx->ent[j])[i];
			mx->mu[j * d + i] = mx->muT[i * mx->cap + j] = c;
			if (isnan(c))
				mx->full[j] = 0;
			if (t->is_cat[i] || isnan(c))
				mx->lc[j * d + i] = 0.0;
			else
				mx->lc[j * d + i] = lsig - log_trunc_mass(c, mx->sigma[i]);
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
static void prior_terms(const bo_tpe *t, const double *c, double *pt)
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
static double mix_logpdf(const bo_tpe *t, const mixture *mx, const double *c, const double *pt,
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
static double log_rel_ratio(double ll, double lg, double gamma)
{
	double tdiff = lg - ll;
	if (gamma <= 0)
		return -tdiff;
	if (tdiff > 0)
		return -(tdiff + log(gamma * exp(-tdiff) + (1.0 - gamma)));
	return -log(gamma + (1.0 - gamma) * exp(tdiff));
}

/* Draw source for bo__space_sample: a point from t->draw_mix. */
static int draw_mix(void *ud, double *u)
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

static int draw_uniform(void *ud, double *u)
{
	bo_tpe *t = ud;
	size_t i;
	for (i = 0; i < t->d; i++)
		u[i] = bo__rng_uniform(&t->rng);
	return 0;
}

/* ---- the split ------------------------------------------------------------- */

static int cmp_rank(const void *a, const void *b)
{
	const bo__rankrec *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

static int reserve_work(bo_tpe *t, size_t n)
{
	size_t c = t->work_cap < 16 ? 16 : t->work_cap, mm = t->m ? t->m : 1;
	int rc = 0;
	if (n <= t->work_cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((rc = grow_rows(&t->recs, t->work_cap, c, 1, sizeof *t->recs)) < 0 ||
	    (rc = grow_rows(&t->rtmp, t->work_cap, c, 1, sizeof *t->rtmp)) < 0 ||
	    (rc = grow_rows(&t->ord, t->work_cap, c, 1, sizeof *t->ord)) < 0 ||
	    (rc = grow_rows(&t->good, t->work_cap, c, 1, sizeof *t->good)) < 0 ||
	    (rc = grow_rows(&t->bad, t->work_cap, c, 1, sizeof *t->bad)) < 0 ||
	    (rc = grow_rows(&t->cls, t->work_cap, c, 1, sizeof *t->cls)) < 0 ||
	    (rc = grow_rows(&t->viol, t->work_cap, c, 1, sizeof *t->viol)) < 0 ||
	    (rc = grow_rows(&t->wts, t->work_cap, c, 1, sizeof *t->wts)) < 0 ||
	    (rc = grow_rows(&t->contrib, t->work_cap, c, 1, sizeof *t->contrib)) < 0 ||
	    (rc = grow_rows(&t->lse, t->work_cap, c + 1, 1, sizeof *t->lse)) < 0 ||
	    (rc = grow_rows(&t->rank, t->work_cap, c, 1, sizeof *t->rank)) < 0 ||
	    (rc = grow_rows(&t->pts, t->work_cap, c, mm, sizeof *t->pts)) < 0)
		return rc;
	t->work_cap = c;
	return 0;
}

/* Reference point for hypervolumes of the n points pts (m objectives). */
static void hv_ref(const double *pts, size_t n, size_t m, double *ref)
{
	size_t i, k;
	for (k = 0; k < m; k++) {
		double lo = INFINITY, hi = -INFINITY, range;
		for (i = 0; i < n; i++) {
			lo = fmin(lo, pts[i * m + k]);
			hi = fmax(hi, pts[i * m + k]);
		}
		range = hi - lo;
		ref[k] = hi + (range > 0 ? HV_REF_MARGIN * range : 1.0);
	}
}

/* MOTPE: marks with t->cls[e] = -1 the n_good best of the feasible
 * complete entries recs[0..nf) (already sorted by number), front by front;
 * the last front is cut by hypervolume contribution. ref is m doubles. */
static int mo_pick(bo_tpe *t, size_t nf, size_t n_good, double *ref)
{
	size_t i, k, m = t->m, taken = 0, nranks = 0;
	int r, rc;

	for (i = 0; i < nf; i++)
		memcpy(t->pts + i * m, t->oobj + t->recs[i].e * m, m * sizeof *t->pts);
	rc = bo_ndsort(t->pts, nf, m, t->rank, &nranks);
	if (rc < 0)
		return rc;
	for (r = 0; (size_t)r < nranks && taken < n_good; r++) {
		size_t cnt = 0, nlast = 0;
		for (i = 0; i < nf; i++)
			cnt += t->rank[i] == r;
		if (taken + cnt <= n_good) {
			for (i = 0; i < nf; i++)
				if (t->rank[i] == r)
					t->cls[t->recs[i].e] = -1;
			taken += cnt;
			continue;
		}
		/* The front that does not fit: its points, contiguous. */
		for (i = 0; i < nf; i++) {
			if (t->rank[i] != r)
				continue;
			memcpy(t->pts + nlast * m, t->oobj + t->recs[i].e * m, m * sizeof *t->pts);
			t->good[nlast++] = t->recs[i].e;
		}
		hv_ref(t->pts, nlast, m, ref);
		rc = bo_hv_contributions(t->pts, nlast, m, ref, t->contrib);
		if (rc < 0)
			return rc;
		for (i = 0; i < nlast; i++) {
			t->recs[i].cls = 0;
			t->recs[i].key = -t->contrib[i];
			t->recs[i].number = entry_number(t, t->good[i]);
			t->recs[i].e = t->good[i];
		}
		qsort(t->recs, nlast, sizeof *t->recs, cmp_rank);
		for (k = 0; k < n_good - taken; k++)
			t->cls[t->recs[k].e] = -1;
		taken = n_good;
	}
	return 0;
}

/* Builds the objective's mixtures [0] (good) and [1] (bad), and, with
 * c-TPE, each guardrail's pair. */
static int build_model(bo_tpe *t)
{
	size_t nobs = t->nobs, np = t->liar ? t->npend : 0, E = nobs + np;
	size_t m = t->m, g = t->g, d = t->d, e, i, k, ncomplete = 0, nfeas = 0;
	size_t n_good, ng = 0, nb = 0, a, b;
	double ref[64], *refp = ref;
	int rc;

	rc = reserve_work(t, E + 1);
	if (rc < 0)
		goto done;
	if (m > sizeof ref / sizeof ref[0]) {
		refp = bo__calloc(m, sizeof *refp);
		if (!refp) {
			rc = BO_ENOMEM;
			goto done;
		}
	}
	/* Classes: feasible complete, infeasible complete, bad. */
	for (e = 0; e < E; e++) {
		int cls = CLASS_BAD;
		double viol = 0;
		if (e < nobs && t->ostate[e] == BO_TRIAL_COMPLETE) {
			cls = CLASS_FEASIBLE;
			for (k = 0; k < m; k++)
				if (!isfinite(t->oobj[e * m + k]))
					cls = CLASS_BAD;
			for (k = 0; cls != CLASS_BAD && k < g; k++) {
				double c = t->ocons[e * g + k];
				if (isnan(c))
					viol = INFINITY;
				else if (c < 0)
					viol += -c;
			}
			if (cls != CLASS_BAD && viol > 0)
				cls = CLASS_INFEASIBLE;
		}
		t->cls[e] = cls;
		t->viol[e] = viol;
		ncomplete += cls != CLASS_BAD;
		nfeas += cls == CLASS_FEASIBLE;
	}
	n_good = (size_t)ceil(t->gamma * (double)E);
	if (n_good > t->max_good)
		n_good = t->max_good;
	if (n_good > ncomplete)
		n_good = ncomplete;

	/* Rank: feasible by objective (one objective) or all feasible (several,
	 * sorted by number for MOTPE), then infeasible by violation. */
	for (e = 0, k = 0; e < E; e++) {
		if (t->cls[e] == CLASS_BAD)
			continue;
		t->recs[k].cls = t->cls[e];
		t->recs[k].key = t->cls[e] == CLASS_FEASIBLE ? (m == 1 ? t->oobj[e * m] : 0.0)
							     : t->viol[e];
		t->recs[k].number = entry_number(t, e);
		t->recs[k].e = e;
		k++;
	}
	bo__tpe_sort_ranks(t->recs, k, t->rtmp);
	if (m > 1 && nfeas > n_good) {
		rc = mo_pick(t, nfeas, n_good, refp);
		if (rc < 0)
			goto done;
	} else {
		for (i = 0; i < n_good; i++)
			t->cls[t->recs[i].e] = -1;
	}

	/* Trial order of every entry: merge told and pending numbers. */
	for (a = 0, b = 0, k = 0; k < E; k++) {
		if (b >= np || (a < nobs && t->onum[a] < t->pnum[b]))
			t->ord[k] = a++;
		else
			t->ord[k] = nobs + b++;
	}
	rc = mix_reserve(&t->mix[0], n_good, d);
	if (rc == 0)
		rc = mix_reserve(&t->mix[1], E - n_good, d);
	if (rc < 0)
		goto done;
	for (k = 0; k < E; k++) {
		e = t->ord[k];
		if (t->cls[e] == -1)
			t->mix[0].ent[ng++] = e;
		else
			t->mix[1].ent[nb++] = e;
	}
	default_weights(t->mix[1].w, nb);
	if (m > 1 && ng > 1) {
		/* MOTPE weights: hypervolume contribution within the good group. */
		double cmax = 0;
		for (i = 0; i < ng; i++)
			memcpy(t->pts + i * m, t->oobj + t->mix[0].ent[i] * m, m * sizeof *t->pts);
		hv_ref(t->pts, ng, m, refp);
		rc = bo_hv_contributions(t->pts, ng, m, refp, t->contrib);
		if (rc < 0)
			goto done;
		for (i = 0; i < ng; i++)
			cmax = fmax(cmax, t->contrib[i]);
		for (i = 0; i < ng; i++)
			t->mix[0].w[i] = cmax > 0 ? fmax(t->contrib[i] / cmax, MO_WEIGHT_FLOOR) : 1.0;
	} else {
		default_weights(t->mix[0].w, ng);
	}
	mix_fit(t, &t->mix[0], ng);
	mix_fit(t, &t->mix[1], nb);
	t->mix_gamma[0] = E ? (double)ng / (double)E : 0.0;
	t->mix_on[0] = 1;

	/* c-TPE: per guardrail, complete trials with a known margin split by
	 * feasibility. */
	for (k = 0; k < g; k++) {
		mixture *ml = &t->mix[2 + 2 * k], *mb = &t->mix[3 + 2 * k];
		size_t nl = 0, nbd = 0;
		t->mix_on[1 + k] = 0;
		if (!t->ctpe)
			continue;
		rc = mix_reserve(ml, nobs, d);
		if (rc == 0)
			rc = mix_reserve(mb, nobs, d);
		if (rc < 0)
			goto done;
		for (e = 0; e < nobs; e++) {
			double c = t->ocons[e * g + k];
			if (t->ostate[e] != BO_TRIAL_COMPLETE || isnan(c))
				continue;
			if (c >= 0)
				ml->ent[nl++] = e;
			else
				mb->ent[nbd++] = e;
		}
		if (nbd == 0)
			continue;   /* never violated: nothing to learn */
		default_weights(ml->w, nl);
		default_weights(mb->w, nbd);
		mix_fit(t, ml, nl);
		mix_fit(t, mb, nbd);
		t->mix_gamma[1 + k] = (double)nl / (double)(nl + nbd);
		t->mix_on[1 + k] = 1;
	}
	rc = 0;
done:
	if (refp != ref)
		bo__free(refp);
	return rc;
}

/* The acquisition at candidate code c: sum of log relative density ratios
 * of the objective and each active guardrail. */
static double score(bo_tpe *t, const double *c)
{
	size_t k, i, nact = 0, nnum;
	double sc;
	prior_terms(t, c, t->pt);
	for (i = 0; i < t->d; i++)
		if (!isnan(c[i]) && !t->is_cat[i])
			t->act[nact++] = i;
	nnum = nact;
	for (i = 0; i < t->d; i++)
		if (!isnan(c[i]) && t->is_cat[i])
			t->act[nact++] = i;
	sc = log_rel_ratio(mix_logpdf(t, &t->mix[0], c, t->pt, t->act, nnum, nact, t->lse),
			   mix_logpdf(t, &t->mix[1], c, t->pt, t->act, nnum, nact, t->lse),
			   t->mix_gamma[0]);
	for (k = 0; k < t->g; k++) {
		if (!t->mix_on[1 + k])
			continue;
		sc += log_rel_ratio(
			mix_logpdf(t, &t->mix[2 + 2 * k], c, t->pt, t->act, nnum, nact, t->lse),
			mix_logpdf(t, &t->mix[3 + 2 * k], c, t->pt, t->act, nnum, nact, t->lse),
			t->mix_gamma[1 + k]);
	}
	return sc;
}

/* ---- proposing ------------------------------------------------------------ */

static int reserve_cand(bo_tpe *t)
{
	size_t dd = t->d ? t->d : 1;
	if (t->cand_cap)
		return 0;
	t->xc = bo__calloc(dd, sizeof *t->xc);
	t->cc = bo__calloc(dd, sizeof *t->cc);
	if (!t->xc || !t->cc)
		return BO_ENOMEM;
	t->cand_cap = 1;
	return 0;
}

/*
 * Finite spaces when the usual candidates were all seen: enumerates every
 * configuration (grid points and labels; an inactive parameter only at its
 * first point, so each configuration once) that satisfies the constraints
 * and was not seen. With use_score, keeps the best by the acquisition;
 * otherwise one uniformly at random (reservoir sampling). *found = 1 and x
 * set when there is one.
 */
static int enumerate_unseen(bo_tpe *t, int use_score, double *x, int *found)
{
	size_t i, d = t->d, nfound = 0;
	double best = -INFINITY;
	int rc = 0, done_all = 0;

	*found = 0;
	for (i = 0; i < d; i++)
		t->digits[i] = 0;
	while (!done_all) {
		int skip = 0;
		for (i = 0; i < d; i++)
			t->u[i] = grid_unit(&t->s->params[i], t->npts[i], (double)t->digits[i]);
		rc = bo__space_from_unit(t->s, t->u, t->xc);
		if (rc < 0)
			goto done;
		for (i = 0; i < d; i++)
			if (isnan(t->xc[i]) && t->digits[i] != 0)
				skip = 1;
		if (!skip && !is_seen(t, t->xc)) {
			rc = bo__study_check_config(t->s, t->xc, NULL, 0);
			if (rc < 0)
				goto done;
			if (rc == 0) {
				int take;
				nfound++;
				if (use_score) {
					double sc;
					codes(t, t->xc, t->cc);
					sc = score(t, t->cc);
					take = sc > best;
					if (take)
						best = sc;
				} else {
					take = bo__rng_uniform(&t->rng) * (double)nfound < 1.0;
				}
				if (take) {
					memcpy(x, t->xc, d * sizeof *x);
					*found = 1;
				}
			}
			rc = 0;
		}
		/* next digits, odometer style */
		for (i = 0; i < d; i++) {
			if ((double)++t->digits[i] < t->npts[i])
				break;
			t->digits[i] = 0;
		}
		done_all = i == d;
	}
done:
	return rc;
}

/* Uniform draws until one is unseen. */
static int random_unseen(bo_tpe *t, double *x, int *found)
{
	int k, rc = 0;
	*found = 0;
	for (k = 0; k < RANDOM_TRIES; k++) {
		rc = bo__space_sample(t->s, draw_uniform, t, t->u, t->counts, t->xc);
		if (rc != 0)
			return rc;
		if (!is_seen(t, t->xc)) {
			memcpy(x, t->xc, t->d * sizeof *x);
			*found = 1;
			return 0;
		}
	}
	return 0;
}

/* x was seen: replaces it by an unseen configuration when one is found. */
static int find_unseen(bo_tpe *t, int use_score, double *x)
{
	int found = 0;

	if (t->nseen_distinct >= t->space_size)
		return 0;   /* exhausted: repeat */
	if (t->space_size <= ENUM_MAX)
		return enumerate_unseen(t, use_score, x, &found);
	return random_unseen(t, x, &found);
}

static int startup(bo_tpe *t, int64_t number, double *x)
{
	int rc;
	if (t->startup_sobol)
		rc = bo__sobol_ask(t->sobol, number, x);
	else
		rc = bo__space_sample(t->s, draw_uniform, t, t->u, t->counts, x);
	if (rc != 0)
		return rc;
	if (t->finite && is_seen(t, x))
		rc = find_unseen(t, 0, x);
	return rc;
}

static int propose(bo_tpe *t, double *x)
{
	size_t c, round;
	double best = -INFINITY, best_seen = -INFINITY, alpha = 0;
	int rc, have = 0, have_seen = 0;

	rc = build_model(t);
	if (rc < 0)
		goto done;
	if (t->cost_aware)
		alpha = bo__costmodel_alpha(t->cost, t->n_startup);
	t->draw_mix = &t->mix[0];
	for (round = 0; round < 1 + (t->finite ? EXTRA_ROUNDS : 0) && !have; round++) {
		for (c = 0; c < t->n_candidates; c++) {
			double sc;
			rc = bo__space_sample(t->s, draw_mix, t, t->u, t->counts, t->xc);
			if (rc != 0)
				goto done;
			codes(t, t->xc, t->cc);
			sc = score(t, t->cc);
			if (alpha > 0) {
				double lc = bo__costmodel_log_mean(t->cost, t->xc);
				sc -= isfinite(lc) ? alpha * lc : 0.0;
			}
			if (t->finite && is_seen(t, t->xc)) {
				if (!have_seen || sc > best_seen) {
					best_seen = sc;
					memcpy(t->xbest, t->xc, t->d * sizeof *t->xbest);
					have_seen = 1;
				}
				continue;
			}
			if (!have || sc > best) {
				best = sc;
				memcpy(x, t->xc, t->d * sizeof *x);
				have = 1;
			}
		}
	}
	if (!have) {
		/* Every draw was seen: search the whole space, else repeat. */
		memcpy(x, t->xbest, t->d * sizeof *x);
		rc = find_unseen(t, 1, x);
	}
done:
	return rc;
}

static int tpe_ask(void *impl, int64_t number, double *x)
{
	bo_tpe *t = impl;
	int rc;

	pending_remove(t, number);   /* asked again: answer as the first time */
	bo__rng_seed2(&t->rng, t->seed, (uint64_t)number);
	rc = reserve_cand(t);
	if (rc == 0 && t->finite)
		rc = seen_build(t);
	if (rc < 0)
		goto done;
	if (t->m == 0 || t->nobs < t->n_startup)
		rc = startup(t, number, x);
	else
		rc = propose(t, x);
	if (rc != 0)
		goto done;
	rc = pending_add(t, number, x);
done:
	return rc;
}

const bo_sampler_ops bo__tpe_ops = {"tpe", tpe_create, tpe_destroy, tpe_ask, tpe_tell,
				    tpe_set_param};
