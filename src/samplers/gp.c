/*
 * samplers/gp.c - Gaussian-process Bayesian optimisation ("gp"), cost-aware,
 * with guardrails, several objectives and parallel (pending) trials.
 *
 * After n_startup scrambled Sobol points, each ask fits Gaussian processes
 * (samplers/gp_model.c: Matern 5/2, ARD, standardised outputs) and returns
 * the configuration that maximises an acquisition over the unit cube of
 * samplers/space.c:
 *   one objective      expected improvement (Jones et al. 1998)
 *   2-3 objectives     expected hypervolume improvement (Emmerich et al.
 *                      2006), exact over a box decomposition of the
 *                      non-dominated region (samplers/ehvi3.c), one GP per
 *                      objective; Monte Carlo with bo_hypervolume
 *                      (bo__gp_ehvi_mc) is kept for reference. Changed: the
 *                      reference point is usually the current front's
 *                      nadir plus 2% of its range (samplers/gp_mo.c), one
 *                      ask in ten the worst value seen plus 10%, and the
 *                      candidates perturb random members of the front
 *   4 or more          ParEGO (Knowles 2006): a random augmented Chebyshev
 *                      scalarisation per ask, then expected improvement
 *   guardrails         times the probability of feasibility, one GP per
 *                      guardrail margin, PoF = prod P(margin >= 0) (Gardner
 *                      et al. 2014); before any feasible trial, PoF alone
 *   cost               divided by predicted cost^alpha, a GP on log(cost),
 *                      alpha cooled from 1 to 0 as the money budget (else
 *                      the trial budget) is spent: "cost-cooled EI", Lee et
 *                      al. 2020 (CArBO); alpha = 0 without a budget
 *   pending trials     kriging believer (Ginsbourger et al. 2010): each is
 *                      added to the objective models at its posterior mean
 *
 * Encoding (the kernel's inputs): a float is its unit coordinate
 * (bo__space_to_unit: log scales included); ints, grids and ordinals are
 * the unit coordinate of the rounded value, and choices are one-hot of the
 * rounded label: the acquisition at u sees bo__space_from_unit(u), so the
 * rounding happens inside the kernel (Garrido-Merchan and Hernandez-Lobato
 * 2020). An inactive parameter (condition false) is the fixed value
 * INACTIVE_VALUE (-0.5, half a cube away from any active value) and an
 * inactive choice is all zeros.
 *
 * Failed trials (and missing objective values) get the worst complete
 * value seen plus FAIL_PENALTY of the observed range, so the model learns
 * that the region is bad and ranks it below every complete trial.
 *
 * The acquisition is maximised over candidates (random points and
 * Gaussian perturbations of the best trials, scored in batches), then
 * refined from the best few with NLopt's derivative-free
 * Subplex on the relaxed cube (rounding makes the acquisition piecewise
 * constant in discrete coordinates, so no gradient is used). Points are
 * taken best first: the first that satisfies the configuration
 * constraints and is not a configuration already told or pending wins.
 *
 * Hyperparameters are refitted (bo__gp_fit: L-BFGS on the log marginal
 * likelihood with priors) on the first n_fit observations, n_fit = n while
 * n < 50, then n rounded down to a multiple of refit_every past 50; the
 * fit's starts come from an rng seeded with (seed, n_fit), so a fresh
 * sampler told the same history fits the same hyperparameters and asks
 * the same points.
 *
 * Options (set_param):
 *   n_startup      Sobol points before the model (default max(5, 2 nparams))
 *   cost_aware     1: divide by cost^alpha (default DEFAULT_COST_AWARE)
 *   refit_every    refit period past 50 observations (default 5)
 *   n_candidates   random candidates per ask (default 1000)
 *   n_local        local refinements per ask, one objective (default 5)
 *   n_restarts     extra random starts of the hyperparameter fit (default 2)
 *   ehvi_samples   Monte Carlo draws per EHVI evaluation (default 64)
 *   fit_points     most points the hyperparameter fit uses (default 200)
 *
 * Pure: no I/O, no clock, no globals; allocation through core/alloc.h.
 * Must never return a point that breaks a configuration constraint or sets
 * an inactive parameter.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nlopt.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/gp_model.h"
#include "samplers/gp_sampler.h"
#include "samplers/internal.h"

/* Cost-aware default. Measured by test_gp.c's test_cost_aware (Branin
 * whose cost grows 20-fold along x1, a money budget of 60, about 40
 * trials, 4 seeds): cost_aware = 0 bought 39.8 trials and reached a mean
 * best of 0.3980; cost_aware = 1 bought 42.0 trials and reached 0.3979.
 * Same quality, more trials for the money: cost-aware is the default. */
#define DEFAULT_COST_AWARE 1
#define INACTIVE_VALUE (-0.5)
#define REFIT_ALL_BELOW 50
#define DEFAULT_REFIT_EVERY 5
#define DEFAULT_CANDIDATES 1000
#define DEFAULT_LOCAL 5
#define DEFAULT_RESTARTS 2
#define DEFAULT_EHVI_SAMPLES 64
#define DEFAULT_FIT_POINTS 200
/* EHVI is dearer per candidate: this share of n_candidates. */
#define EHVI_CANDIDATE_SHARE 4
/* Perturbations around each of the best trials (N_BEST: gp_sampler.h). */
#define PER_BEST 40
/* Subplex evaluations per local refinement, per coordinate (capped). */
#define LOCAL_EVALS_PER_DIM 40
#define LOCAL_EVALS_MAX 400
/* Attempts at a point not told or pending before giving up on that. */
#define DUP_TRIES 200
/* Streams of the rng (distinct constants). */
#define STREAM_FIT 0x4750464954ULL
#define STREAM_DUP 0x4750445550ULL

static void gp_destroy(void *impl);

static size_t feat_dim(const bo_study *s)
{
	size_t i, d = 0;
	for (i = 0; i < s->nparams; i++)
		d += s->params[i].type == BO_PT_CHOICE ? (s->params[i].nchoices ? s->params[i].nchoices : 1)
						       : 1;
	return d;
}

/* Features of configuration x; u is workspace (nparams). */
static void encode(const bo_study *s, const double *x, double *u, double *f)
{
	size_t i, k, j = 0;
	bo__space_to_unit(s, x, u);
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		if (p->type == BO_PT_CHOICE) {
			size_t nc = p->nchoices ? p->nchoices : 1;
			for (k = 0; k < nc; k++)
				f[j + k] = 0.0;
			if (!isnan(x[i]) && x[i] >= 0 && x[i] < (double)nc)
				f[j + (size_t)x[i]] = 1.0;
			j += nc;
		} else {
			f[j++] = isnan(u[i]) ? INACTIVE_VALUE : u[i];
		}
	}
}

static int gp_create(void **out, const bo_study *s, uint64_t seed)
{
	gp_sampler *g = NULL;
	size_t i;
	int rc = BO_ENOMEM;

	*out = NULL;
	g = bo__calloc(1, sizeof *g);
	if (!g)
		goto done;
	g->study = s;
	g->seed = seed;
	g->np = s->nparams;
	g->nobj = bo__sampler_nobjectives(s);
	g->ncons = s->nguardrails;
	g->dfeat = feat_dim(s);
	if (g->dfeat == 0)
		g->dfeat = 1;   /* no parameters: one constant feature */
	g->n_startup = 2 * g->np > 5 ? 2 * g->np : 5;
	g->refit_every = DEFAULT_REFIT_EVERY;
	g->n_candidates = DEFAULT_CANDIDATES;
	g->n_local = DEFAULT_LOCAL;
	g->n_restarts = DEFAULT_RESTARTS;
	g->ehvi_samples = DEFAULT_EHVI_SAMPLES;
	g->fit_points = DEFAULT_FIT_POINTS;
	g->cost_aware = DEFAULT_COST_AWARE;
	g->parego = g->nobj > PAREGO_ABOVE;
	g->nobjm = g->parego ? 1 : g->nobj;
	g->nslots = g->nobjm + g->ncons + 1;
	rc = bo__sobol_create(&g->sobol, s, seed);
	if (rc < 0)
		goto done;
	rc = BO_ENOMEM;
	g->gp = bo__calloc(g->nslots, sizeof *g->gp);
	g->usable = bo__calloc(g->nslots, sizeof *g->usable);
	g->theta_cache = bo__calloc(g->nslots * (g->dfeat + 2), sizeof *g->theta_cache);
	g->cache_key = bo__calloc(g->nslots, sizeof *g->cache_key);
	g->u = bo__calloc(g->np + 1, sizeof *g->u);
	g->ubuf = bo__calloc(g->np + 1, sizeof *g->ubuf);
	g->x = bo__calloc(g->np + 1, sizeof *g->x);
	g->feat = bo__calloc(g->dfeat, sizeof *g->feat);
	g->counts = bo__calloc(s->nconstraints + 1, sizeof *g->counts);
	g->lambda = bo__calloc(g->nobj + 1, sizeof *g->lambda);
	g->olo = bo__calloc(g->nobj + 1, sizeof *g->olo);
	g->ohi = bo__calloc(g->nobj + 1, sizeof *g->ohi);
	g->mu1 = bo__calloc(g->nslots, sizeof *g->mu1);
	g->var1 = bo__calloc(g->nslots, sizeof *g->var1);
	if (!g->gp || !g->usable || !g->theta_cache || !g->cache_key || !g->u || !g->ubuf ||
	    !g->x || !g->feat || !g->counts || !g->lambda || !g->olo || !g->ohi || !g->mu1 || !g->var1)
		goto done;
	for (i = 0; i < g->nslots; i++) {
		g->cache_key[i] = SIZE_MAX;
		if (bo__gp_init(&g->gp[i], g->dfeat) < 0)
			goto done;
	}
	*out = g;
	g = NULL;
	rc = 0;
done:
	gp_destroy(g);
	return rc;
}

static void gp_destroy(void *impl)
{
	gp_sampler *g = impl;
	size_t i;
	if (!g)
		return;
	bo__sobol_destroy(g->sobol);
	for (i = 0; g->gp && i < g->nslots; i++)
		bo__gp_clear(&g->gp[i]);
	bo__free(g->gp);
	bo__free(g->usable);
	bo__free(g->theta_cache);
	bo__free(g->cache_key);
	bo__free(g->ox);
	bo__free(g->of);
	bo__free(g->oobj);
	bo__free(g->ocons);
	bo__free(g->ocost);
	bo__free(g->ostate);
	bo__free(g->pnum);
	bo__free(g->px);
	bo__free(g->pf);
	bo__free(g->u);
	bo__free(g->ubuf);
	bo__free(g->x);
	bo__free(g->feat);
	bo__free(g->dX);
	bo__free(g->dy);
	bo__free(g->counts);
	bo__free(g->lambda);
	bo__free(g->olo);
	bo__free(g->ohi);
	bo__free(g->mu1);
	bo__free(g->var1);
	bo__free(g);
}

static int gp_set_param(void *impl, const char *name, double v)
{
	gp_sampler *g = impl;
	int whole = v == floor(v);

	if (strcmp(name, "n_startup") == 0 && whole && v >= 0 && v <= 1e9)
		g->n_startup = (size_t)v;
	else if (strcmp(name, "cost_aware") == 0 && (v == 0 || v == 1))
		g->cost_aware = (int)v;
	else if (strcmp(name, "refit_every") == 0 && whole && v >= 1 && v <= 1e9)
		g->refit_every = (size_t)v;
	else if (strcmp(name, "n_candidates") == 0 && whole && v >= 1 && v <= 1e7)
		g->n_candidates = (size_t)v;
	else if (strcmp(name, "n_local") == 0 && whole && v >= 0 && v <= 1000)
		g->n_local = (size_t)v;
	else if (strcmp(name, "n_restarts") == 0 && whole && v >= 0 && v <= 100)
		g->n_restarts = (int)v;
	else if (strcmp(name, "ehvi_samples") == 0 && whole && v >= 1 && v <= 1e6)
		g->ehvi_samples = (size_t)v;
	else if (strcmp(name, "fit_points") == 0 && whole && v >= 2 && v <= 1e9)
		g->fit_points = (size_t)v;
	else
		return bo__error(BO_EINVAL,
				 "sampler \"gp\": unknown option \"%s\" or value %g out of range "
				 "(options: n_startup, cost_aware 0/1, refit_every, n_candidates, "
				 "n_local, n_restarts, ehvi_samples, fit_points)",
				 name, v);
	return 0;
}

/* 1 when x was told or is pending. */
static int is_duplicate(const gp_sampler *g, const double *x)
{
	size_t i;
	for (i = 0; i < g->nobs; i++)
		if (bo__trial_same_point(g->ox + i * g->np, x, g->np))
			return 1;
	for (i = 0; i < g->npend; i++)
		if (bo__trial_same_point(g->px + i * g->np, x, g->np))
			return 1;
	return 0;
}

static void remove_pending(gp_sampler *g, int64_t number)
{
	size_t i, np = g->np, df = g->dfeat;
	for (i = 0; i < g->npend; i++) {
		if (g->pnum[i] != number)
			continue;
		g->npend--;
		g->pnum[i] = g->pnum[g->npend];
		memmove(g->px + i * np, g->px + g->npend * np, np * sizeof *g->px);
		memmove(g->pf + i * df, g->pf + g->npend * df, df * sizeof *g->pf);
		return;
	}
}

static int gp_tell(void *impl, const bo_observation *o)
{
	gp_sampler *g = impl;
	size_t i, np = g->np, cap = g->cap;
	int rc = 0;

	if (o->nobj != g->nobj || o->ncons != g->ncons)
		return bo__error(BO_EINVAL, "sampler \"gp\": tell with %zu objectives and %zu margins, "
					    "the study has %zu and %zu",
				 o->nobj, o->ncons, g->nobj, g->ncons);
	if (g->nobs == cap) {
		size_t c = cap;
		if ((rc = bo__grow(&g->ox, &c, g->nobs + 1, np ? np * sizeof(double) : 1)) < 0)
			goto done;
		c = cap;
		if ((rc = bo__grow(&g->of, &c, g->nobs + 1, g->dfeat * sizeof(double))) < 0)
			goto done;
		c = cap;
		if ((rc = bo__grow(&g->oobj, &c, g->nobs + 1,
				   (g->nobj ? g->nobj : 1) * sizeof(double))) < 0)
			goto done;
		c = cap;
		if ((rc = bo__grow(&g->ocons, &c, g->nobs + 1,
				   (g->ncons ? g->ncons : 1) * sizeof(double))) < 0)
			goto done;
		c = cap;
		if ((rc = bo__grow(&g->ocost, &c, g->nobs + 1, sizeof(double))) < 0)
			goto done;
		c = cap;
		if ((rc = bo__grow(&g->ostate, &c, g->nobs + 1, sizeof(int))) < 0)
			goto done;
		g->cap = c;
	}
	memcpy(g->ox + g->nobs * np, o->x, np * sizeof *o->x);
	encode(g->study, o->x, g->u, g->of + g->nobs * g->dfeat);
	for (i = 0; i < g->nobj; i++)
		g->oobj[g->nobs * g->nobj + i] =
			o->state == BO_TRIAL_FAILED || !isfinite(o->obj[i]) ? NAN : o->obj[i];
	for (i = 0; i < g->ncons; i++)
		g->ocons[g->nobs * g->ncons + i] = isfinite(o->cons[i]) ? o->cons[i] : NAN;
	g->ocost[g->nobs] = o->cost;
	g->ostate[g->nobs] = o->state;
	g->nobs++;
	remove_pending(g, o->number);
done:
	return rc;
}

/* ---- data for the models --------------------------------------------------- */

static int reserve_data(gp_sampler *g, size_t rows)
{
	size_t c = g->dcap, c2 = g->dcap;
	int rc;
	if (rows <= g->dcap)
		return 0;
	if ((rc = bo__grow(&g->dX, &c, rows, g->dfeat * sizeof(double))) < 0)
		return rc;
	if ((rc = bo__grow(&g->dy, &c2, rows, sizeof(double))) < 0)
		return rc;
	g->dcap = c < c2 ? c : c2;
	return 0;
}

/* The data of model slot over the first nuse observations into g->dX,
 * g->dy; returns the row count. */
static size_t build(gp_sampler *g, size_t slot, size_t nuse, double *prange)
{
	size_t i, n = 0, df = g->dfeat, k;
	double lo = 0, hi = 0, *los = g->olo, *his = g->ohi;

	if (slot < g->nobjm) {
		if (g->parego) {
			for (k = 0; k < g->nobj; k++)
				if (!bo__gp_obj_range(g, k, nuse, &los[k], &his[k]))
					return 0;
		} else if (!bo__gp_obj_range(g, slot, nuse, &lo, &hi)) {
			return 0;
		}
		for (i = 0; i < nuse; i++) {
			memcpy(g->dX + n * df, g->of + i * df, df * sizeof *g->dX);
			g->dy[n++] = g->parego ? bo__gp_parego_value(g, i, los, his)
						 : bo__gp_obj_value(g, i, slot, lo, hi);
		}
		if (prange) {
			prange[0] = lo;
			prange[1] = hi;
		}
	} else if (slot < g->nobjm + g->ncons) {
		k = slot - g->nobjm;
		for (i = 0; i < nuse; i++) {
			double v = g->ocons[i * g->ncons + k];
			if (isnan(v))
				continue;
			memcpy(g->dX + n * df, g->of + i * df, df * sizeof *g->dX);
			g->dy[n++] = v;
		}
	} else {
		for (i = 0; i < nuse; i++) {
			double c = g->ocost[i];
			if (!(c > 0) || !isfinite(c))
				continue;
			memcpy(g->dX + n * df, g->of + i * df, df * sizeof *g->dX);
			g->dy[n++] = log(c);
		}
	}
	return n;
}

/* Fits (or reuses the cached fit of) slot and factors it over all
 * observations; g->usable[slot] says whether it has the data. */
static int prepare(gp_sampler *g, size_t slot, size_t n_fit, int always_refit)
{
	bo_gp *gp = &g->gp[slot];
	size_t n, th = g->dfeat + 2;
	double *cache = g->theta_cache + slot * th;
	bo_rng rng;
	int rc = 0;

	g->usable[slot] = 0;
	if (build(g, slot, n_fit, NULL) < 2)
		n_fit = g->nobs;
	if (always_refit || g->cache_key[slot] != n_fit) {
		n = build(g, slot, n_fit, NULL);
		if (n < 2)
			goto done;
		if ((rc = bo__gp_set_data(gp, g->dX, g->dy, n)) < 0)
			goto done;
		bo__rng_seed2(&rng, g->seed ^ STREAM_FIT, (uint64_t)n_fit * 64u + slot);
		if ((rc = bo__gp_fit(gp, &rng, g->n_restarts, g->fit_points)) < 0)
			goto done;
		memcpy(cache, gp->theta, th * sizeof *cache);
		g->cache_key[slot] = always_refit ? SIZE_MAX : n_fit;
	}
	n = build(g, slot, g->nobs, NULL);
	if (n < 2)
		goto done;
	if ((rc = bo__gp_set_data(gp, g->dX, g->dy, n)) < 0)
		goto done;
	memcpy(gp->theta, cache, th * sizeof *cache);
	if ((rc = bo__gp_factor(gp)) < 0)
		goto done;
	g->usable[slot] = 1;
done:
	return rc;
}

/* Kriging believer: the pending points join objective model slot at their
 * posterior mean. */
static int add_believers(gp_sampler *g, size_t slot)
{
	bo_gp *gp = &g->gp[slot];
	size_t n = gp->n, i, df = g->dfeat;
	double mu, var;
	int rc;

	if (!g->npend || !g->usable[slot])
		return 0;
	memcpy(g->dX, gp->X, n * df * sizeof *g->dX);
	memcpy(g->dy, gp->y, n * sizeof *g->dy);
	for (i = 0; i < g->npend; i++) {
		bo__gp_predict(gp, g->pf + i * df, &mu, &var);
		memcpy(g->dX + (n + i) * df, g->pf + i * df, df * sizeof *g->dX);
		g->dy[n + i] = mu;
	}
	if ((rc = bo__gp_set_data(gp, g->dX, g->dy, n + g->npend)) < 0)
		return rc;
	/* theta is kept: set_data only restandardises. */
	return bo__gp_factor(gp);
}

/* ---- acquisition ------------------------------------------------------------- */

/* The acquisition (log scale) from per-slot predictions. */
static double score(acq_ctx *a, const double *mu, const double *var)
{
	gp_sampler *g = a->g;
	double s = 0.0;
	size_t k;

	for (k = 0; k < g->ncons; k++) {
		size_t sl = g->nobjm + k;
		if (g->usable[sl])
			s += bo__gp_log_Phi(mu[sl] / sqrt(var[sl]));
	}
	if (a->mode == MODE_EI) {
		s += bo__gp_log_ei(mu[0], sqrt(var[0]), a->best);
	} else if (a->mode == MODE_EHVI) {
		double e = 0.0;
		for (k = 0; k < g->nobjm; k++) {
			a->mo_mu[k] = mu[k];
			a->mo_sd[k] = sqrt(var[k]);
		}
		if (a->exact)
			e = bo__ehvi_exact(&a->boxes, a->mo_mu, a->mo_sd, a->ework);
		else if (bo__gp_ehvi_mc(a->front, a->nfront, g->nobjm, a->ref, a->hv_front, a->mo_mu,
					a->mo_sd, a->z, g->ehvi_samples, a->work, &e) < 0)
			a->err = 1;
		s += e > 0 ? log(e) : -HUGE_VAL;
	}
	if (a->use_cost)
		s -= a->alpha * mu[g->nslots - 1];
	return s;
}

static double score_u(acq_ctx *a, const double *u)
{
	gp_sampler *g = a->g;
	size_t sl;
	if (bo__space_from_unit(g->study, u, g->x) < 0) {
		a->err = 1;
		return -HUGE_VAL;
	}
	encode(g->study, g->x, g->ubuf, g->feat);
	for (sl = 0; sl < g->nslots; sl++)
		if (g->usable[sl])
			bo__gp_predict(&g->gp[sl], g->feat, &g->mu1[sl], &g->var1[sl]);
	return score(a, g->mu1, g->var1);
}

static double local_objective(unsigned n, const double *u, double *grad, void *ud)
{
	acq_ctx *a = ud;
	double v;
	(void)n;
	(void)grad;
	v = score_u(a, u);
	/* NLopt needs finite values: -inf (no improvement possible) is a
	 * large finite penalty. */
	return isfinite(v) ? v : -1e300;
}

typedef struct ranked {
	double score;
	size_t idx;
} ranked;

static int by_score(const void *pa, const void *pb)
{
	const ranked *a = pa, *b = pb;
	if (a->score > b->score)
		return -1;
	if (a->score < b->score)
		return 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

typedef struct draw_ctx {
	gp_sampler *g;
	bo_rng *rng;
} draw_ctx;

static int draw_random(void *ud, double *u)
{
	draw_ctx *d = ud;
	size_t i;
	for (i = 0; i < d->g->np; i++)
		u[i] = bo__rng_uniform(d->rng);
	return 0;
}

/* A valid configuration not told or pending, at random (or a duplicate
 * when the space seems exhausted). */
static int fallback(gp_sampler *g, bo_rng *rng, double *x)
{
	draw_ctx d;
	int t, rc = 0;
	d.g = g;
	d.rng = rng;
	for (t = 0; t < DUP_TRIES; t++) {
		rc = bo__space_sample(g->study, draw_random, &d, g->u, g->counts, x);
		if (rc != 0 || !is_duplicate(g, x))
			break;
	}
	return rc;
}

/* The exponent alpha of cost-cooled EI (Lee et al. 2020): the share of the
 * budget left after the start-up design. */
static double cost_alpha(const gp_sampler *g)
{
	const bo_budget *b = &g->study->budget;
	size_t i, ns = g->n_startup < g->nobs ? g->n_startup : g->nobs;
	double spent = 0, spent0 = 0, a;

	if (b->money > 0 && isfinite(b->money)) {
		for (i = 0; i < g->nobs; i++) {
			if (isfinite(g->ocost[i]) && g->ocost[i] > 0) {
				spent += g->ocost[i];
				if (i < ns)
					spent0 += g->ocost[i];
			}
		}
		a = b->money - spent0 > 0 ? (b->money - spent) / (b->money - spent0) : 0.0;
	} else if (b->trials > 0) {
		double t = (double)b->trials, t0 = (double)ns;
		a = t - t0 > 0 ? (t - (double)g->nobs) / (t - t0) : 0.0;
	} else {
		a = 0.0;
	}
	return a < 0 ? 0 : a > 1 ? 1 : a;
}

/* The model-based proposal. */
static int propose(gp_sampler *g, bo_rng *rng, double *xout)
{
	size_t np = g->np, df = g->dfeat, ns = g->nslots;
	size_t nfit, sl, i, j, k, m, mrand, nbest, ntot, nloc;
	size_t order_best[N_BEST];
	double *U = NULL, *F = NULL, *PM = NULL, *PV = NULL, *X1 = NULL;
	ranked *rk = NULL;
	nlopt_opt opt = NULL;
	acq_ctx a;
	int rc = 0, have_best = 0, found = 0, always = g->parego;

	memset(&a, 0, sizeof a);
	a.g = g;
	if ((rc = reserve_data(g, g->nobs + g->npend + 1)) < 0)
		goto done;
	nfit = g->nobs < REFIT_ALL_BELOW
		       ? g->nobs
		       : g->nobs - (g->nobs - REFIT_ALL_BELOW) % g->refit_every;
	if (g->parego) {
		/* ParEGO: weights uniform on the simplex, one set per ask. */
		double sum = 0;
		for (k = 0; k < g->nobj; k++) {
			g->lambda[k] = -log(1.0 - bo__rng_uniform(rng));
			sum += g->lambda[k];
		}
		for (k = 0; k < g->nobj; k++)
			g->lambda[k] /= sum;
	}
	a.alpha = g->cost_aware ? cost_alpha(g) : 0.0;
	for (sl = 0; sl < ns; sl++) {
		if (sl == ns - 1 && !(a.alpha > 0))
			continue;   /* the cost model is not needed */
		if ((rc = prepare(g, sl, nfit, sl < g->nobjm && always)) < 0)
			goto done;
	}
	a.use_cost = a.alpha > 0 && g->usable[ns - 1];
	for (sl = 0; sl < g->nobjm; sl++) {
		if (!g->usable[sl]) {
			rc = fallback(g, rng, xout);
			goto done;
		}
	}
	/* The incumbent: best feasible value of the (scalarised) objective,
	 * and the best trials to perturb (feasible first, then by value). */
	nbest = 0;
	{
		ranked best[N_BEST];
		bo_gp *g0 = &g->gp[0];
		for (i = 0; i < g->nobs; i++) {
			/* g0->y holds every observation's value in order (the
			 * believers come after them). */
			int f = bo__gp_feasible(g, i);
			double v = g0->y[i] + (f ? 0.0 : 1e300);
			if (f && (!have_best || g0->y[i] < a.best)) {
				a.best = g0->y[i];
				have_best = 1;
			}
			if (nbest < N_BEST || v < best[nbest - 1].score) {
				size_t p = nbest < N_BEST ? nbest++ : N_BEST - 1;
				best[p].score = v;
				best[p].idx = i;
				while (p > 0 && best[p].score < best[p - 1].score) {
					ranked t = best[p];
					best[p] = best[p - 1];
					best[p - 1] = t;
					p--;
				}
			}
		}
		for (i = 0; i < nbest; i++)
			order_best[i] = best[i].idx;
	}
	if (g->nobjm > 1 && (rc = bo__gp_front_pick(g, rng, order_best, &nbest)) < 0)
		goto done;
	for (sl = 0; sl < g->nobjm; sl++)
		if ((rc = add_believers(g, sl)) < 0)
			goto done;
	if (g->nobjm > 1) {
		if ((rc = bo__gp_setup_ehvi(g, &a, rng)) < 0)
			goto done;
	} else {
		a.mode = have_best ? MODE_EI : MODE_POF;
	}
	/* Candidates. */
	mrand = g->n_candidates;
	if (a.mode == MODE_EHVI && !a.exact)
		mrand = mrand / EHVI_CANDIDATE_SHARE + 1;
	m = mrand + nbest * PER_BEST;
	nloc = a.mode == MODE_EHVI && !a.exact ? 0 : g->n_local;
	ntot = m + nloc;
	U = bo__calloc((ntot ? ntot : 1) * (np ? np : 1), sizeof *U);
	F = bo__calloc(m * df, sizeof *F);
	PM = bo__calloc(m * ns, sizeof *PM);
	PV = bo__calloc(m * ns, sizeof *PV);
	X1 = bo__calloc(np + 1, sizeof *X1);
	rk = bo__calloc(ntot, sizeof *rk);
	if (!U || !F || !PM || !PV || !X1 || !rk) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < mrand; i++)
		for (j = 0; j < np; j++)
			U[i * np + j] = bo__rng_uniform(rng);
	for (i = mrand; i < m; i++) {
		size_t b = (i - mrand) / PER_BEST;
		double sd = (i - mrand) % 3 == 0 ? 0.01 : (i - mrand) % 3 == 1 ? 0.05 : 0.2;
		bo__space_to_unit(g->study, g->ox + order_best[b] * np, g->u);
		for (j = 0; j < np; j++) {
			double v = g->u[j];
			if (isnan(v) || bo__rng_uniform(rng) < 1.0 / (double)(np + 1))
				v = bo__rng_uniform(rng);
			else
				v += sd * bo__gp_rng_normal(rng);
			U[i * np + j] = v < 0 ? 0 : v > 1 ? 1 : v;
		}
	}
	for (i = 0; i < m; i++) {
		if ((rc = bo__space_from_unit(g->study, U + i * np, X1)) < 0)
			goto done;
		encode(g->study, X1, g->u, F + i * df);
	}
	for (sl = 0; sl < ns; sl++)
		if (g->usable[sl])
			bo__gp_predict_many(&g->gp[sl], F, m, PM + sl * m, PV + sl * m);
	for (i = 0; i < m; i++) {
		for (sl = 0; sl < ns; sl++) {
			g->mu1[sl] = PM[sl * m + i];
			g->var1[sl] = PV[sl * m + i];
		}
		rk[i].score = score(&a, g->mu1, g->var1);
		rk[i].idx = i;
	}
	if (a.err) {
		rc = BO_ERROR;
		goto done;
	}
	qsort(rk, m, sizeof *rk, by_score);
	/* Local refinement from the best candidates. */
	if (nloc && np) {
		size_t evals = LOCAL_EVALS_PER_DIM * np;
		double *lo = g->ubuf, val;
		opt = nlopt_create(NLOPT_LN_SBPLX, (unsigned)np);
		if (!opt) {
			rc = bo__error(BO_ENOMEM, "out of memory");
			goto done;
		}
		nlopt_set_max_objective(opt, local_objective, &a);
		for (j = 0; j < np; j++)
			lo[j] = 0.0;
		nlopt_set_lower_bounds(opt, lo);
		for (j = 0; j < np; j++)
			lo[j] = 1.0;
		nlopt_set_upper_bounds(opt, lo);
		nlopt_set_maxeval(opt, (int)(evals < LOCAL_EVALS_MAX ? evals : LOCAL_EVALS_MAX));
		nlopt_set_xtol_abs1(opt, 1e-6);
		for (k = 0; k < nloc && k < m; k++) {
			double *u = U + (m + k) * np;
			memcpy(u, U + rk[k].idx * np, np * sizeof *u);
			val = -HUGE_VAL;
			(void)nlopt_optimize(opt, u, &val);
			rk[m + k].score = score_u(&a, u);
			rk[m + k].idx = m + k;
		}
		if (a.err) {
			rc = BO_ERROR;
			goto done;
		}
		nloc = k;
		ntot = m + nloc;
		qsort(rk, ntot, sizeof *rk, by_score);
	} else {
		ntot = m;
	}
	/* Best first: the first valid configuration not told or pending. */
	for (i = 0; i < ntot && !found; i++) {
		if ((rc = bo__space_from_unit(g->study, U + rk[i].idx * np, xout)) < 0)
			goto done;
		rc = bo__study_check_config(g->study, xout, NULL, 0);
		if (rc < 0)
			goto done;
		found = rc == 0 && !is_duplicate(g, xout);
		rc = 0;
	}
	if (!found)
		rc = fallback(g, rng, xout);
done:
	if (opt)
		nlopt_destroy(opt);
	bo__gp_clear_ehvi(&a);
	bo__free(U);
	bo__free(F);
	bo__free(PM);
	bo__free(PV);
	bo__free(X1);
	bo__free(rk);
	return rc;
}

static int add_pending(gp_sampler *g, int64_t number, const double *x)
{
	size_t c = g->pcap, c2 = g->pcap, c3 = g->pcap;
	int rc;
	if (g->npend == g->pcap) {
		if ((rc = bo__grow(&g->pnum, &c, g->npend + 1, sizeof *g->pnum)) < 0)
			return rc;
		if ((rc = bo__grow(&g->px, &c2, g->npend + 1, (g->np ? g->np : 1) * sizeof(double))) <
		    0)
			return rc;
		if ((rc = bo__grow(&g->pf, &c3, g->npend + 1, g->dfeat * sizeof(double))) < 0)
			return rc;
		g->pcap = c < c2 ? (c < c3 ? c : c3) : (c2 < c3 ? c2 : c3);
	}
	g->pnum[g->npend] = number;
	memcpy(g->px + g->npend * g->np, x, g->np * sizeof *x);
	encode(g->study, x, g->u, g->pf + g->npend * g->dfeat);
	g->npend++;
	return 0;
}

static int gp_ask(void *impl, int64_t number, double *x)
{
	gp_sampler *g = impl;
	bo_rng rng;
	int rc;

	remove_pending(g, number);
	bo__rng_seed2(&rng, g->seed, (uint64_t)number);
	if (g->nobj == 0 || g->nobs < g->n_startup || g->nobs < 2) {
		rc = bo__sobol_ask(g->sobol, number, x);
		if (rc == 0 && is_duplicate(g, x)) {
			bo_rng r2;
			bo__rng_seed2(&r2, g->seed ^ STREAM_DUP, (uint64_t)number);
			rc = fallback(g, &r2, x);
		}
	} else {
		rc = propose(g, &rng, x);
	}
	if (rc == 0)
		rc = add_pending(g, number, x);
	return rc;
}

const bo_sampler_ops bo__gp_ops = {"gp", gp_create, gp_destroy, gp_ask, gp_tell, gp_set_param};
