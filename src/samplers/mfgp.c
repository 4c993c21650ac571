/*
 * samplers/mfgp.c - cost-aware multi-fidelity BO with the fidelity as an
 * input of one Gaussian process (samplers/mfgp.h).
 *
 * The idea is that of continuous-fidelity BO (Kandasamy et al. 2017,
 * "Multi-fidelity Bayesian Optimisation with Continuous Approximations",
 * BOCA): model f(x, z) jointly, choose the configuration for the target
 * fidelity, then the fidelity that tells the most about it per unit cost.
 * What is done here, at each ask:
 *  1. a GP (samplers/gp_model.c: Matern 5/2, ARD, hyperparameters fitted
 *     by maximum likelihood with priors) over the configuration in the
 *     unit cube and z's position on a log scale between min (0) and max
 *     (1), on every finished trial with a value;
 *  2. x* = the candidate (MFGP_CANDIDATES random configurations that meet
 *     the constraints) with the largest expected improvement of f(x, max)
 *     over the best posterior mean at max among the configurations tried;
 *  3. the fidelity z among the rungs' values that maximises
 *     Cov[f(x*, z), f(x*, max)]^2 / (Var f(x*, z) + noise) / cost(z):
 *     how much one observation at z shrinks the variance of f(x*, max)
 *     (Gaussian conditioning), per unit of its predicted cost. At z = max
 *     this is the whole variance; a cheap z wins while it is informative.
 *     cost(z) = a + b z, fitted by least squares to the finished trials'
 *     costs (a >= 0, b >= 0: a constant when cost does not grow with z;
 *     proportional to z until two fidelities have been paid for).
 * Changed from BOCA: a finite set of fidelities (the rungs') instead of a
 * threshold rule over a continuum, and the variance-reduction-per-cost
 * choice above instead of BOCA's thresholds gamma(z). Before
 * MFGP_STARTUP(d) trials have a value, configurations are random and the
 * fidelities go round the rungs from the lowest. Inactive parameters sit
 * at 0.5; failed trials only inform the cost fit. Two asks before a tell
 * may propose neighbours (no pending points are modelled).
 */
#include "samplers/mfgp.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/gp_model.h"
#include "samplers/internal.h"
#include "samplers/sampler.h"

#define MFGP_CANDIDATES 512
#define MFGP_STARTUP(d) ((d) + 2)   /* trials with a value before the model */
#define MFGP_FIT_POINTS 150         /* hyperparameters fitted on at most this many */
#define MFGP_RESTARTS 2
#define MFGP_STREAM_FIT 0x6d66677066697400ull
#define MFGP_STREAM_CAND 0x6d666770636e6400ull

struct bo_mfgp {
	const bo_study *s;
	int fparam, nrungs;
	double *values;
	uint64_t seed;
	size_t np, d;
	bo_sampler *random;  /* the startup's proposals */
	bo_sampler *cands;   /* the candidates, another stream */
	/* finished trials */
	size_t n, capx, capv, capc;
	double *ox;          /* n * np */
	double *oval, *ocost;
	/* workspaces */
	double *u, *F, *y, *cand, *work;
};

int bo__mfgp_new(bo_mfgp **out, const bo_study *s, int fparam, const double *values, int nrungs,
		 uint64_t seed)
{
	bo_mfgp *g;
	int rc;
	*out = NULL;
	if (nrungs < 1 || fparam < 0 || (size_t)fparam >= s->nparams)
		return bo__error(BO_EINVAL, "mfgp: no fidelity to choose from");
	if (!(g = bo__calloc(1, sizeof *g)))
		return BO_ENOMEM;
	g->s = s;
	g->fparam = fparam;
	g->nrungs = nrungs;
	g->seed = seed;
	g->np = s->nparams;
	g->d = s->nparams;   /* the other parameters and the fidelity's position */
	if (!(g->values = bo__calloc((size_t)nrungs, sizeof *g->values)) ||
	    !(g->u = bo__calloc(g->np, sizeof *g->u)) ||
	    !(g->cand = bo__calloc(MFGP_CANDIDATES * g->np, sizeof *g->cand))) {
		bo__mfgp_free(g);
		return BO_ENOMEM;
	}
	memcpy(g->values, values, (size_t)nrungs * sizeof *values);
	if ((rc = bo__sampler_new(&g->random, s, "random", seed)) < 0 ||
	    (rc = bo__sampler_new(&g->cands, s, "random", seed ^ MFGP_STREAM_CAND)) < 0) {
		bo__mfgp_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void bo__mfgp_free(bo_mfgp *g)
{
	if (!g)
		return;
	bo__sampler_free(g->random);
	bo__sampler_free(g->cands);
	bo__free(g->values);
	bo__free(g->ox);
	bo__free(g->oval);
	bo__free(g->ocost);
	bo__free(g->u);
	bo__free(g->F);
	bo__free(g->y);
	bo__free(g->cand);
	bo__free(g->work);
	bo__free(g);
}

int bo__mfgp_observe(bo_mfgp *g, const double *x, double value, double cost)
{
	if (bo__grow(&g->ox, &g->capx, g->n + 1, g->np * sizeof *g->ox) < 0 ||
	    bo__grow(&g->oval, &g->capv, g->n + 1, sizeof *g->oval) < 0 ||
	    bo__grow(&g->ocost, &g->capc, g->n + 1, sizeof *g->ocost) < 0)
		return BO_ENOMEM;
	memcpy(g->ox + g->n * g->np, x, g->np * sizeof *x);
	g->oval[g->n] = isfinite(value) ? value : NAN;
	g->ocost[g->n] = cost;
	g->n++;
	return 0;
}

/* The fidelity value z's position in [0, 1] (log scale between the rungs' ends). */
static double zpos(const bo_mfgp *g, double z)
{
	double lo = g->values[0], hi = g->values[g->nrungs - 1];
	if (!(hi > lo) || !(z > 0) || !(lo > 0))
		return 1.0;
	return log(z / lo) / log(hi / lo);
}

/* Features of configuration x at fidelity z into f (d values). */
static void features(bo_mfgp *g, const double *x, double z, double *f)
{
	size_t i;
	bo__space_to_unit(g->s, x, g->u);
	for (i = 0; i < g->np; i++)
		f[i] = (int)i == g->fparam ? zpos(g, z) : isnan(g->u[i]) ? 0.5 : g->u[i];
}

/* cost(z) = a + b z by least squares over the finished trials with a
 * cost; proportional to z while fewer than two fidelities have one. */
static void cost_fit(const bo_mfgp *g, double *a, double *b)
{
	double sz = 0, sc = 0, szz = 0, szc = 0, m = 0, zfirst = NAN;
	int two = 0;
	size_t i;
	for (i = 0; i < g->n; i++) {
		double z = g->ox[i * g->np + (size_t)g->fparam], c = g->ocost[i];
		if (!isfinite(c) || !isfinite(z))
			continue;
		if (isnan(zfirst))
			zfirst = z;
		else if (z != zfirst)
			two = 1;
		sz += z;
		sc += c;
		szz += z * z;
		szc += z * c;
		m += 1;
	}
	*a = 0.0;
	*b = 1.0;
	if (!two)
		return;
	*b = (m * szc - sz * sc) / (m * szz - sz * sz);
	*a = (sc - *b * sz) / m;
	if (!(*b > 0)) {   /* no growth with z: a constant cost, their mean */
		*a = sc / m > 0 ? sc / m : 1.0;
		*b = 0.0;
	} else if (*a < 0) {
		*a = 0.0;
		*b = szc / szz;
	}
}

/* *p resized to n doubles (its old contents kept). */
static int resize(double **p, size_t n)
{
	double *q = bo__realloc(*p, n ? n : 1, sizeof *q);
	if (!q)
		return BO_ENOMEM;
	*p = q;
	return 0;
}

int bo__mfgp_ask(bo_mfgp *g, int64_t number, double *x, int *rung)
{
	size_t nv = 0, i, j, best_c = 0, d = g->d;
	double top = g->values[g->nrungs - 1], best_mu = -INFINITY, best_ei = -1, a, b, best_r = -1;
	double *fa = NULL, *fb = NULL;
	bo_gp gp;
	bo_rng rng;
	int k, rc, best_k = g->nrungs - 1;

	memset(&gp, 0, sizeof gp);
	for (i = 0; i < g->n; i++)
		nv += !isnan(g->oval[i]);
	if (nv < MFGP_STARTUP(d)) {
		k = (int)(number % g->nrungs);
		if ((rc = bo__sampler_ask(g->random, number, x)) == 0) {
			x[g->fparam] = g->values[k];
			if (rung)
				*rung = k;
		}
		return rc;
	}
	if ((rc = resize(&g->F, nv * d + 2 * d)) < 0 || (rc = resize(&g->y, nv)) < 0 ||
	    (rc = resize(&g->work, 2 * nv)) < 0)
		goto done;
	for (i = 0, j = 0; i < g->n; i++)
		if (!isnan(g->oval[i])) {
			features(g, g->ox + i * g->np, g->ox[i * g->np + (size_t)g->fparam], g->F + j * d);
			g->y[j++] = g->oval[i];
		}
	fa = g->F + nv * d;
	fb = fa + d;
	if ((rc = bo__gp_init(&gp, d)) < 0 || (rc = bo__gp_set_data(&gp, g->F, g->y, nv)) < 0)
		goto done;
	bo__rng_seed2(&rng, g->seed ^ MFGP_STREAM_FIT, (uint64_t)number);
	if ((rc = bo__gp_fit(&gp, &rng, MFGP_RESTARTS, MFGP_FIT_POINTS)) < 0)
		goto done;
	/* the incumbent: the best posterior mean at full fidelity among the tried */
	for (i = 0; i < g->n; i++) {
		double mu, var;
		features(g, g->ox + i * g->np, top, fa);
		bo__gp_predict(&gp, fa, &mu, &var);
		if (mu > best_mu)
			best_mu = mu;
	}
	/* 2. the configuration: expected improvement at full fidelity (the
	 * kernel of gp_model.c minimises: the signs are turned) */
	for (j = 0; j < MFGP_CANDIDATES; j++) {
		double mu, var, ei;
		double *c = g->cand + j * g->np;
		rc = bo__sampler_ask(g->cands, number * MFGP_CANDIDATES + (int64_t)j, c);
		if (rc == BO_DONE)
			continue;
		if (rc < 0)
			goto done;
		features(g, c, top, fa);
		bo__gp_predict(&gp, fa, &mu, &var);
		ei = bo__gp_ei(-mu, sqrt(var), -best_mu);
		if (ei > best_ei) {
			best_ei = ei;
			best_c = j;
		}
	}
	if (best_ei < 0) {
		rc = BO_DONE;
		goto done;
	}
	memcpy(x, g->cand + best_c * g->np, g->np * sizeof *x);
	/* 3. the fidelity: variance of f(x*, max) removed per unit of cost */
	cost_fit(g, &a, &b);
	features(g, x, top, fb);
	for (k = 0; k < g->nrungs; k++) {
		double va, vb, cv, sn2 = exp(gp.theta[BO_GP_LOG_SN2(d)]) * gp.ystd * gp.ystd;
		double cost = a + b * g->values[k], r;
		features(g, x, g->values[k], fa);
		bo__gp_cov(&gp, fa, fb, g->work, &va, &vb, &cv);
		r = cv * cv / (va + sn2) / (cost > 0 ? cost : 1e-300);
		if (r > best_r) {
			best_r = r;
			best_k = k;
		}
	}
	x[g->fparam] = g->values[best_k];
	if (rung)
		*rung = best_k;
	rc = 0;
done:
	bo__gp_clear(&gp);
	return rc;
}
