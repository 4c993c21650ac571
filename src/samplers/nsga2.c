/*
 * samplers/nsga2.c - NSGA-II, the elitist multi-objective genetic algorithm.
 *
 * Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective
 * genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002: non-dominated sorting
 * (here bo_ndsort), crowding distance, binary tournaments on the crowded
 * comparison (lower rank, then larger crowding distance), elitist
 * environmental selection from parents + children. Constraint domination
 * from Deb, "An efficient constraint handling method for genetic
 * algorithms", CMAME 186, 2000: a feasible trial beats an infeasible one,
 * two infeasible ones compare by total violation (the sum of the negative
 * guardrail margins; an unknown margin counts as an infinite violation).
 * Failed trials (or trials with a missing objective) form the last front:
 * worse than every complete trial. A pruned trial with every objective
 * counts as complete, at the values it was told.
 *
 * Variation in the unit cube (bo__space_to_unit / bo__space_from_unit):
 * simulated binary crossover (Deb & Agrawal, Complex Systems 9, 1995;
 * bounded form of Deb's NSGA-II code, eta 15) and polynomial mutation
 * (Deb & Goyal 1996, eta 20) on numeric and ordinal parameters; uniform
 * crossover and random-reset mutation on choices. Conditions are applied
 * by mapping the child back through bo__space_from_unit (an inactive
 * parameter becomes NaN); configuration constraints by rejection
 * (bo__space_sample, breeding a new child per rejected one).
 *
 * Changes from the paper, for ask/tell with parallel evaluation:
 *  - the first `population` trials are scrambled Sobol points; until a
 *    first generation's worth of trials has been told, every ask is;
 *  - each ask breeds ONE child (one of SBX's two, picked at random) from
 *    the current parents, with an rng seeded from (seed, trial number);
 *  - every told trial joins a pool; when the pool holds `population`
 *    trials, parents + pool -> the next parents (environmental selection).
 *    Pending (asked, untold) trials take no part in it;
 *  - a child equal to a trial already told or pending is bred again (then
 *    drawn at random), so no configuration is paid for twice unless the
 *    space is exhausted.
 *  - cost-frugal offspring: with a money budget and costs that differ,
 *    each ask breeds a brood of two children (each distinct from every
 *    trial) and keeps the one the cost model (samplers/costmodel.c)
 *    predicts cheaper with probability (1 + alpha) / 2, alpha the cooling
 *    exponent of cost-cooled EI (Lee et al. 2020), falling from 1 to 0 as
 *    the budget after the first generation is spent: early, cheap children
 *    buy more generations; late, selection is cost-blind again.
 * The same seed, the same tells in the same order and the same asks give
 * the same points.
 *
 * Options (set_param, before the first ask or tell):
 *   population      parents per generation, children per generation (50; >= 2)
 *   crossover_prob  probability that a child is a crossover of two parents (0.9)
 *   sbx_var_prob    per numeric parameter, probability that SBX mixes it (0.5)
 *   mutation_prob   per parameter mutation probability (1 / nparams)
 *   eta_c           SBX distribution index (15; >= 0)
 *   eta_m           polynomial mutation distribution index (20; >= 0)
 *   cost_aware      1: cost-frugal offspring (default), 0: cost-blind
 *
 * Pure: no I/O, no clock, no globals. Must never return a point that
 * breaks a configuration constraint or sets an inactive parameter.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"

#define DEFAULT_POPULATION 50
#define DEFAULT_CROSSOVER_PROB 0.9
#define DEFAULT_SBX_VAR_PROB 0.5
#define DEFAULT_ETA_C 15.0
#define DEFAULT_ETA_M 20.0
#define MAX_POPULATION 1000000
#define MAX_ETA 1000.0
/* SBX leaves a variable alone when the parents are closer than this (unit cube). */
#define SBX_EPS 1e-14
/* Children bred (then random points drawn) before accepting a repeat. */
#define DUP_TRIES 100
/* Two float values are the same configuration within this share of the range. */
#define DUP_TOL 1e-12
/* Second-parent draws to find one distinct from the first. */
#define PARENT_TRIES 4
/* Children bred per ask when cost-aware; the cheaper one is kept. */
#define FRUGAL_BROOD 2
/* Bisection steps when bo__space_to_unit does not invert a value exactly. */
#define UNIT_BISECT 48

/* Categories for constraint domination. */
enum { CAT_FEASIBLE = 0, CAT_INFEASIBLE = 1, CAT_FAILED = 2 };

typedef struct nsga2 {
	const bo_study *study;
	uint64_t seed;
	size_t np, nobj, ncons;
	/* options */
	size_t population;
	double pc, pvar, pm, eta_c, eta_m;
	int started;           /* set_param refused from the first ask or tell */
	int cost_aware;
	bo_costmodel *cost;    /* samplers/costmodel.c */
	void *sobol;
	bo_rng rng;            /* the current ask's stream */
	/* told trials */
	size_t ntold, cap;
	int64_t *num;
	int *cat;
	double *viol;
	double *X, *U, *OBJ;   /* ntold x np, ntold x np, ntold x nobj */
	/* pending trials */
	size_t npend, pcap;
	int64_t *pnum;
	double *PX;
	/* parents (indices into told) and the pool of told trials since the
	 * last selection */
	size_t npar, npool;
	size_t *par, *pool;
	int *prank;
	double *pcrowd;
	/* workspaces */
	double *u, *xlast, *tu, *tx, *xkeep;
	size_t *counts;
} nsga2;

/* ---- a stable merge sort of indices with a context ---------------------- */

typedef int (*cmp_fn)(const void *ctx, size_t a, size_t b);

static void msort(size_t *a, size_t *tmp, size_t n, cmp_fn cmp, const void *ctx)
{
	size_t h, i, j, k;
	if (n < 2)
		return;
	h = n / 2;
	msort(a, tmp, h, cmp, ctx);
	msort(a + h, tmp, n - h, cmp, ctx);
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp(ctx, a[j], a[i]) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof *a);
}

/* ---- ranking, crowding and selection ------------------------------------- */

typedef struct rank_ctx {
	const double *obj;
	size_t d, k;           /* objective k of rows of d */
	const double *viol;
	const int *rank;
	const double *crowd;
} rank_ctx;

static int cmp_obj(const void *c, size_t a, size_t b)
{
	const rank_ctx *r = c;
	double fa = r->obj[a * r->d + r->k], fb = r->obj[b * r->d + r->k];
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a < b ? -1 : a > b ? 1 : 0;   /* ties: by index, whatever the order before */
}

static int cmp_viol(const void *c, size_t a, size_t b)
{
	const rank_ctx *r = c;
	return r->viol[a] < r->viol[b] ? -1 : r->viol[a] > r->viol[b] ? 1 : 0;
}

/* Crowded comparison: lower rank, then larger crowding distance. */
static int cmp_crowded(const void *c, size_t a, size_t b)
{
	const rank_ctx *r = c;
	if (r->rank[a] != r->rank[b])
		return r->rank[a] < r->rank[b] ? -1 : 1;
	if (r->crowd[a] != r->crowd[b])
		return r->crowd[a] > r->crowd[b] ? -1 : 1;
	return 0;
}

/* Crowding distance (Deb 2002, section III-B) of the m points mem[] of one
 * front into crowd[mem[j]]: per objective, the boundary points get
 * infinity and the others the normalised gap between their neighbours.
 * An objective whose range is zero or not finite adds nothing. mem is
 * reordered; tmp holds m indices. */
static void crowding(const double *obj, size_t d, size_t *mem, size_t m, size_t *tmp,
		     double *crowd)
{
	rank_ctx rc;
	size_t j, k;

	for (j = 0; j < m; j++)
		crowd[mem[j]] = 0.0;
	if (m == 0)
		return;
	if (d == 0)
		return;
	memset(&rc, 0, sizeof rc);
	rc.obj = obj;
	rc.d = d;
	for (k = 0; k < d; k++) {
		double lo, hi, range;
		rc.k = k;
		msort(mem, tmp, m, cmp_obj, &rc);
		crowd[mem[0]] = INFINITY;
		crowd[mem[m - 1]] = INFINITY;
		lo = obj[mem[0] * d + k];
		hi = obj[mem[m - 1] * d + k];
		range = hi - lo;
		if (!(range > 0.0) || !isfinite(range))
			continue;
		for (j = 1; j + 1 < m; j++)
			crowd[mem[j]] += (obj[mem[j + 1] * d + k] - obj[mem[j - 1] * d + k]) / range;
	}
}

/*
 * Constraint-domination ranks and crowding distances of n points: obj (n x
 * d, rows of failed points are not read), cat[i] (0 feasible, 1 infeasible
 * with total violation viol[i] > 0, 2 failed). Feasible points are ranked
 * by non-dominated sorting (rank 0, 1, ...); infeasible ones follow, one
 * front per distinct violation in increasing order; failed ones form the
 * last front (crowding distance 0). Returns 0, BO_EINVAL (a NaN objective
 * in a feasible or infeasible row), BO_ENOMEM.
 *
 * Declared in samplers/internal.h for the unit test.
 */
int bo__nsga2_rank(const double *obj, const int *cat, const double *viol, size_t n, size_t d,
		   int *rank, double *crowd)
{
	size_t *idx = NULL, *tmp = NULL, nf = 0, ni = 0, i, j, nr = 0;
	double *fobj = NULL;
	int *frank = NULL, r, maxr = -1;
	rank_ctx rc;
	int rcode = 0;

	if (n == 0)
		goto done;
	idx = bo__calloc(n, sizeof *idx);
	tmp = bo__calloc(n, sizeof *tmp);
	fobj = bo__calloc(n * (d ? d : 1), sizeof *fobj);
	frank = bo__calloc(n, sizeof *frank);
	if (!idx || !tmp || !fobj || !frank) {
		rcode = BO_ENOMEM;
		goto done;
	}
	/* Feasible points: non-dominated sorting. */
	for (i = 0; i < n; i++) {
		if (cat[i] != CAT_FEASIBLE)
			continue;
		for (j = 0; j < d; j++)
			fobj[nf * d + j] = obj[i * d + j];
		idx[nf++] = i;
	}
	if (nf && d) {
		rcode = bo_ndsort(fobj, nf, d, frank, &nr);
		if (rcode < 0)
			goto done;
	} else if (nf) {
		nr = 1;   /* no objectives: all equal */
	}
	for (j = 0; j < nf; j++) {
		rank[idx[j]] = d ? frank[j] : 0;
		if (rank[idx[j]] > maxr)
			maxr = rank[idx[j]];
	}
	/* Infeasible points: by total violation, ties share a front. */
	memset(&rc, 0, sizeof rc);
	rc.obj = obj;
	rc.d = d;
	rc.viol = viol;
	for (i = 0; i < n; i++)
		if (cat[i] == CAT_INFEASIBLE)
			idx[ni++] = i;
	msort(idx, tmp, ni, cmp_viol, &rc);
	r = (int)nr - 1;
	for (j = 0; j < ni; j++) {
		if (j == 0 || viol[idx[j]] != viol[idx[j - 1]])
			r++;
		rank[idx[j]] = r;
		maxr = r;
	}
	for (i = 0; i < n; i++) {
		if (cat[i] != CAT_FEASIBLE && cat[i] != CAT_INFEASIBLE) {
			rank[i] = maxr + 1;
			crowd[i] = 0.0;
		}
	}
	/* Crowding within each front of complete points. */
	for (r = 0; r <= maxr; r++) {
		size_t m = 0;
		for (i = 0; i < n; i++)
			if (rank[i] == r && cat[i] != CAT_FAILED)
				idx[m++] = i;
		crowding(obj, d, idx, m, tmp, crowd);
	}
done:
	bo__free(idx);
	bo__free(tmp);
	bo__free(fobj);
	bo__free(frank);
	return rcode;
}

/*
 * Environmental selection (Deb 2002, section III-C): keeps min(n, keep) of
 * the n ranked points, whole fronts in rank order and the last front that
 * fits only partly by decreasing crowding distance (ties: lower index).
 * chosen gets their indices, best first. Returns the number kept, or
 * BO_ENOMEM.
 *
 * Declared in samplers/internal.h for the unit test.
 */
int bo__nsga2_select(const int *rank, const double *crowd, size_t n, size_t keep,
		     size_t *chosen)
{
	size_t *idx = NULL, *tmp = NULL, i;
	rank_ctx rc;
	int rcode;

	if (keep > n)
		keep = n;
	idx = bo__calloc(n, sizeof *idx);
	tmp = bo__calloc(n, sizeof *tmp);
	if (!idx || !tmp) {
		rcode = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	memset(&rc, 0, sizeof rc);
	rc.rank = rank;
	rc.crowd = crowd;
	msort(idx, tmp, n, cmp_crowded, &rc);
	for (i = 0; i < keep; i++)
		chosen[i] = idx[i];
	rcode = (int)keep;
done:
	bo__free(idx);
	bo__free(tmp);
	return rcode;
}

/* ---- lifecycle and options ----------------------------------------------- */

static void nsga2_destroy(void *impl)
{
	nsga2 *g = impl;
	if (!g)
		return;
	bo__sobol_destroy(g->sobol);
	bo__costmodel_free(g->cost);
	bo__free(g->num);
	bo__free(g->cat);
	bo__free(g->viol);
	bo__free(g->X);
	bo__free(g->U);
	bo__free(g->OBJ);
	bo__free(g->pnum);
	bo__free(g->PX);
	bo__free(g->par);
	bo__free(g->pool);
	bo__free(g->prank);
	bo__free(g->pcrowd);
	bo__free(g->u);
	bo__free(g->xlast);
	bo__free(g->tu);
	bo__free(g->tx);
	bo__free(g->xkeep);
	bo__free(g->counts);
	bo__free(g);
}

static int nsga2_create(void **out, const bo_study *s, uint64_t seed)
{
	nsga2 *g = NULL;
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
	g->population = DEFAULT_POPULATION;
	g->pc = DEFAULT_CROSSOVER_PROB;
	g->pvar = DEFAULT_SBX_VAR_PROB;
	g->pm = g->np ? 1.0 / (double)g->np : 1.0;
	g->eta_c = DEFAULT_ETA_C;
	g->eta_m = DEFAULT_ETA_M;
	g->cost_aware = 1;
	g->u = bo__calloc(g->np, sizeof *g->u);
	g->xlast = bo__calloc(g->np, sizeof *g->xlast);
	g->tu = bo__calloc(g->np, sizeof *g->tu);
	g->tx = bo__calloc(g->np, sizeof *g->tx);
	g->xkeep = bo__calloc(g->np, sizeof *g->xkeep);
	g->counts = bo__calloc(s->nconstraints, sizeof *g->counts);
	if (!g->u || !g->xlast || !g->tu || !g->tx || !g->xkeep || !g->counts)
		goto done;
	rc = bo__sobol_create(&g->sobol, s, seed);
	if (rc < 0 || (rc = bo__costmodel_new(&g->cost, s)) < 0)
		goto done;
	*out = g;
	g = NULL;
	rc = 0;
done:
	nsga2_destroy(g);
	return rc;
}

static int nsga2_set_param(void *impl, const char *name, double value)
{
	nsga2 *g = impl;
	int rc = 0;

	if (g->started) {
		rc = bo__error(BO_EMISUSE, "nsga2: option \"%s\" must be set before the first ask "
					   "or tell", name);
		goto done;
	}
	if (strcmp(name, "population") == 0) {
		if (!(value >= 2 && value <= MAX_POPULATION) || value != floor(value)) {
			rc = bo__error(BO_EINVAL, "nsga2: population must be an integer in [2, %d], "
						  "not %g", MAX_POPULATION, value);
			goto done;
		}
		g->population = (size_t)value;
	} else if (strcmp(name, "crossover_prob") == 0 || strcmp(name, "sbx_var_prob") == 0 ||
		   strcmp(name, "mutation_prob") == 0) {
		if (!(value >= 0 && value <= 1)) {
			rc = bo__error(BO_EINVAL, "nsga2: %s must be in [0, 1], not %g", name, value);
			goto done;
		}
		if (name[0] == 'c')
			g->pc = value;
		else if (name[0] == 's')
			g->pvar = value;
		else
			g->pm = value;
	} else if (strcmp(name, "eta_c") == 0 || strcmp(name, "eta_m") == 0) {
		if (!(value >= 0 && value <= MAX_ETA)) {
			rc = bo__error(BO_EINVAL, "nsga2: %s must be in [0, %g], not %g", name,
				       MAX_ETA, value);
			goto done;
		}
		if (name[4] == 'c')
			g->eta_c = value;
		else
			g->eta_m = value;
	} else if (strcmp(name, "cost_aware") == 0) {
		if (!(value == 0 || value == 1)) {
			rc = bo__error(BO_EINVAL, "nsga2: cost_aware must be 0 or 1, not %g", value);
			goto done;
		}
		g->cost_aware = (int)value;
	} else {
		rc = bo__error(BO_EINVAL, "nsga2: unknown option \"%s\" (known: population, "
					  "crossover_prob, sbx_var_prob, mutation_prob, eta_c, eta_m, "
					  "cost_aware)",
			       name);
	}
done:
	return rc;
}

/* Parent and pool arrays, sized once the population is final. */
static int start(nsga2 *g)
{
	if (g->started)
		return 0;
	g->par = bo__calloc(g->population, sizeof *g->par);
	g->pool = bo__calloc(g->population, sizeof *g->pool);
	g->prank = bo__calloc(g->population, sizeof *g->prank);
	g->pcrowd = bo__calloc(g->population, sizeof *g->pcrowd);
	if (!g->par || !g->pool || !g->prank || !g->pcrowd) {
		bo__free(g->par);
		bo__free(g->pool);
		bo__free(g->prank);
		bo__free(g->pcrowd);
		g->par = g->pool = NULL;
		g->prank = NULL;
		g->pcrowd = NULL;
		return BO_ENOMEM;
	}
	g->started = 1;
	return 0;
}

/* ---- variation ------------------------------------------------------------ */

static size_t rand_index(bo_rng *r, size_t n)
{
	size_t k = (size_t)(bo__rng_uniform(r) * (double)n);
	return k < n ? k : n - 1;
}

/* Binary tournament on the crowded comparison; returns a parent slot. */
static size_t tournament(nsga2 *g)
{
	size_t a = rand_index(&g->rng, g->npar), b;
	if (g->npar < 2)
		return a;
	b = (a + 1 + rand_index(&g->rng, g->npar - 1)) % g->npar;
	if (g->prank[b] < g->prank[a] ||
	    (g->prank[b] == g->prank[a] && g->pcrowd[b] > g->pcrowd[a]))
		return b;
	return a;
}

static double clamp01(double v)
{
	return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* Simulated binary crossover of y1 < y2 within [0, 1] (Deb's bounded
 * form); returns one of the two children at random. */
static double sbx(bo_rng *r, double y1, double y2, double eta)
{
	double rnd = bo__rng_uniform(r), e = 1.0 / (eta + 1.0);
	double beta, alpha, betaq, c1, c2;

	beta = 1.0 + 2.0 * y1 / (y2 - y1);
	alpha = 2.0 - pow(beta, -(eta + 1.0));
	betaq = rnd <= 1.0 / alpha ? pow(rnd * alpha, e) : pow(1.0 / (2.0 - rnd * alpha), e);
	c1 = 0.5 * ((y1 + y2) - betaq * (y2 - y1));
	beta = 1.0 + 2.0 * (1.0 - y2) / (y2 - y1);
	alpha = 2.0 - pow(beta, -(eta + 1.0));
	betaq = rnd <= 1.0 / alpha ? pow(rnd * alpha, e) : pow(1.0 / (2.0 - rnd * alpha), e);
	c2 = 0.5 * ((y1 + y2) + betaq * (y2 - y1));
	return clamp01(bo__rng_uniform(r) < 0.5 ? c1 : c2);
}

/* Polynomial mutation of y within [0, 1] (Deb's bounded form). */
static double polymut(bo_rng *r, double y, double eta)
{
	double rnd = bo__rng_uniform(r), e = 1.0 / (eta + 1.0), xy, val, dq;

	if (rnd < 0.5) {
		xy = 1.0 - y;
		val = 2.0 * rnd + (1.0 - 2.0 * rnd) * pow(xy, eta + 1.0);
		dq = pow(val, e) - 1.0;
	} else {
		xy = y;
		val = 2.0 * (1.0 - rnd) + 2.0 * (rnd - 0.5) * pow(xy, eta + 1.0);
		dq = 1.0 - pow(val, e);
	}
	return clamp01(y + dq);
}

static size_t label_of(double u, size_t k)
{
	double c = floor(u * (double)k);
	if (!(c >= 0.0))
		return 0;
	return c >= (double)k ? k - 1 : (size_t)c;
}

/* Draw function for bo__space_sample: one child of two tournament winners,
 * in the unit cube. */
static int breed_draw(void *ud, double *u)
{
	nsga2 *g = ud;
	const double *u1, *u2;
	size_t a, b, i, t;
	int cross;

	a = tournament(g);
	b = tournament(g);
	for (t = 1; t < PARENT_TRIES && b == a && g->npar > 1; t++)
		b = tournament(g);
	u1 = g->U + g->par[a] * g->np;
	u2 = g->U + g->par[b] * g->np;
	cross = bo__rng_uniform(&g->rng) < g->pc;
	for (i = 0; i < g->np; i++) {
		const bo_param *p = &g->study->params[i];
		double y1 = u1[i], y2 = u2[i], y;
		if (p->type == BO_PT_CHOICE) {
			size_t k = p->nchoices ? p->nchoices : 1, c;
			/* Uniform crossover, then random reset. */
			if (isnan(y1) && isnan(y2))
				c = rand_index(&g->rng, k);
			else if (isnan(y1))
				c = label_of(y2, k);
			else if (isnan(y2) || !cross)
				c = label_of(y1, k);
			else
				c = label_of(bo__rng_uniform(&g->rng) < 0.5 ? y1 : y2, k);
			if (bo__rng_uniform(&g->rng) < g->pm)
				c = rand_index(&g->rng, k);
			u[i] = ((double)c + 0.5) / (double)k;
			continue;
		}
		if (isnan(y1) && isnan(y2))
			y = bo__rng_uniform(&g->rng);
		else if (isnan(y1))
			y = y2;
		else if (isnan(y2) || !cross)
			y = y1;
		else if (bo__rng_uniform(&g->rng) < g->pvar && fabs(y1 - y2) > SBX_EPS)
			y = y1 < y2 ? sbx(&g->rng, y1, y2, g->eta_c) : sbx(&g->rng, y2, y1, g->eta_c);
		else
			y = y1;
		if (bo__rng_uniform(&g->rng) < g->pm)
			y = polymut(&g->rng, y, g->eta_m);
		u[i] = clamp01(y);
	}
	return 0;
}

static int random_draw(void *ud, double *u)
{
	nsga2 *g = ud;
	size_t i;
	for (i = 0; i < g->np; i++)
		u[i] = bo__rng_uniform(&g->rng);
	return 0;
}

/* ---- history ---------------------------------------------------------------- */

static int same_config(const nsga2 *g, const double *a, const double *b)
{
	size_t i;
	for (i = 0; i < g->np; i++) {
		const bo_param *p = &g->study->params[i];
		if (isnan(a[i]) || isnan(b[i])) {
			if (isnan(a[i]) != isnan(b[i]))
				return 0;
			continue;
		}
		if (p->type == BO_PT_FLOAT) {
			if (fabs(a[i] - b[i]) > DUP_TOL * (p->hi - p->lo))
				return 0;
		} else if (a[i] != b[i]) {
			return 0;
		}
	}
	return 1;
}

/* 1 if x was told or is pending under a number other than `number`. */
static int is_dup(const nsga2 *g, int64_t number, const double *x)
{
	size_t i;
	for (i = 0; i < g->ntold; i++)
		if (same_config(g, g->X + i * g->np, x))
			return 1;
	for (i = 0; i < g->npend; i++)
		if (g->pnum[i] != number && same_config(g, g->PX + i * g->np, x))
			return 1;
	return 0;
}

static int add_pending(nsga2 *g, int64_t number, const double *x)
{
	size_t i;
	for (i = 0; i < g->npend; i++)
		if (g->pnum[i] == number)
			break;
	if (i == g->npend) {
		if (g->npend == g->pcap) {
			int64_t *pn;
			double *px;
			size_t cap = g->pcap ? 2 * g->pcap : 16;
			pn = bo__realloc(g->pnum, cap, sizeof *pn);
			if (!pn)
				return BO_ENOMEM;
			g->pnum = pn;
			px = bo__realloc(g->PX, cap, g->np * sizeof *px);
			if (!px)
				return BO_ENOMEM;
			g->PX = px;
			g->pcap = cap;
		}
		g->npend++;
	}
	g->pnum[i] = number;
	if (g->np)
		memcpy(g->PX + i * g->np, x, g->np * sizeof *x);
	return 0;
}

static void drop_pending(nsga2 *g, int64_t number)
{
	size_t i;
	for (i = 0; i < g->npend; i++) {
		if (g->pnum[i] != number)
			continue;
		g->npend--;
		g->pnum[i] = g->pnum[g->npend];
		if (g->np)
			memcpy(g->PX + i * g->np, g->PX + g->npend * g->np, g->np * sizeof *g->PX);
		return;
	}
}

static int reserve_told(nsga2 *g)
{
	size_t cap, row = g->np ? g->np : 1, orow = g->nobj ? g->nobj : 1;
	void *p;

	if (g->ntold < g->cap)
		return 0;
	cap = g->cap ? 2 * g->cap : 64;
	/* Each array is grown in turn; one that fails leaves the others
	 * larger, which is harmless: cap only moves when all succeeded. */
	if (!(p = bo__realloc(g->num, cap, sizeof *g->num)))
		return BO_ENOMEM;
	g->num = p;
	if (!(p = bo__realloc(g->cat, cap, sizeof *g->cat)))
		return BO_ENOMEM;
	g->cat = p;
	if (!(p = bo__realloc(g->viol, cap, sizeof *g->viol)))
		return BO_ENOMEM;
	g->viol = p;
	if (!(p = bo__realloc(g->X, cap, row * sizeof *g->X)))
		return BO_ENOMEM;
	g->X = p;
	if (!(p = bo__realloc(g->U, cap, row * sizeof *g->U)))
		return BO_ENOMEM;
	g->U = p;
	if (!(p = bo__realloc(g->OBJ, cap, orow * sizeof *g->OBJ)))
		return BO_ENOMEM;
	g->OBJ = p;
	g->cap = cap;
	return 0;
}

/* The value parameter i takes when u[i] = t (tu holds the other coordinates). */
static int value_at(nsga2 *g, size_t i, double t, double *v)
{
	int rc;
	g->tu[i] = t;
	rc = bo__space_from_unit(g->study, g->tu, g->tx);
	*v = g->tx[i];
	return rc;
}

/* One edge of the coordinates t in [0, 1] that give parameter i the value
 * target, by bisection (the map is monotone in t): upper 0, the smallest t
 * with value >= target; upper 1, the largest t with value <= target. */
static int bisect_edge(nsga2 *g, size_t i, double target, int upper, double *t)
{
	double a = 0.0, b = 1.0, m, v;
	size_t it;
	int rc;
	for (it = 0; it < UNIT_BISECT; it++) {
		m = 0.5 * (a + b);
		if ((rc = value_at(g, i, m, &v)) < 0)
			return rc;
		if (upper ? v <= target : !(v >= target))
			a = m;
		else
			b = m;
	}
	*t = upper ? a : b;
	return 0;
}

/*
 * Unit coordinates of configuration x into u (NaN for inactive
 * parameters) such that bo__space_from_unit gives x back: where
 * bo__space_to_unit's answer does not map back (log-scaled grids), the
 * interval of coordinates that gives x[i] is found by bisection (the map
 * is monotone in u[i]) and its centre taken.
 */
static int unit_of(nsga2 *g, const double *x, double *u)
{
	size_t i;
	int rc;

	bo__space_to_unit(g->study, x, u);
	for (i = 0; i < g->np; i++)
		g->tu[i] = isnan(u[i]) ? 0.5 : u[i];
	rc = bo__space_from_unit(g->study, g->tu, g->tx);
	if (rc < 0)
		return rc;
	for (i = 0; i < g->np; i++) {
		const bo_param *p = &g->study->params[i];
		double target = x[i], lo, hi;
		if (isnan(target) || isnan(g->tx[i]) || g->tx[i] == target ||
		    p->type == BO_PT_CHOICE || (p->type == BO_PT_FLOAT && !(p->step > 0)))
			continue;   /* exact, or continuous: off by rounding only */
		if ((rc = bisect_edge(g, i, target, 0, &lo)) < 0 ||
		    (rc = bisect_edge(g, i, target, 1, &hi)) < 0)
			return rc;
		if (lo <= hi)
			u[i] = 0.5 * (lo + hi);
		g->tu[i] = u[i];
	}
	return 0;
}

/* parents + pool -> the next parents. */
static int select_parents(nsga2 *g)
{
	size_t n = g->npar + g->npool, d = g->nobj, i, j, k;
	size_t *idx = NULL, *chosen = NULL;
	double *obj = NULL, *viol = NULL, *crowd = NULL;
	int *cat = NULL, *rank = NULL;
	int rc = BO_ENOMEM;

	idx = bo__calloc(n, sizeof *idx);
	chosen = bo__calloc(n, sizeof *chosen);
	obj = bo__calloc(n * (d ? d : 1), sizeof *obj);
	viol = bo__calloc(n, sizeof *viol);
	crowd = bo__calloc(n, sizeof *crowd);
	cat = bo__calloc(n, sizeof *cat);
	rank = bo__calloc(n, sizeof *rank);
	if (!idx || !chosen || !obj || !viol || !crowd || !cat || !rank)
		goto done;
	for (i = 0; i < g->npar; i++)
		idx[i] = g->par[i];
	for (i = 0; i < g->npool; i++)
		idx[g->npar + i] = g->pool[i];
	for (i = 0; i < n; i++) {
		cat[i] = g->cat[idx[i]];
		viol[i] = g->viol[idx[i]];
		for (j = 0; j < d; j++)
			obj[i * d + j] = g->OBJ[idx[i] * d + j];
	}
	rc = bo__nsga2_rank(obj, cat, viol, n, d, rank, crowd);
	if (rc < 0)
		goto done;
	rc = bo__nsga2_select(rank, crowd, n, g->population, chosen);
	if (rc < 0)
		goto done;
	for (k = 0; k < (size_t)rc; k++) {
		g->par[k] = idx[chosen[k]];
		g->prank[k] = rank[chosen[k]];
		g->pcrowd[k] = crowd[chosen[k]];
	}
	g->npar = (size_t)rc;
	g->npool = 0;
	rc = 0;
done:
	bo__free(idx);
	bo__free(chosen);
	bo__free(obj);
	bo__free(viol);
	bo__free(crowd);
	bo__free(cat);
	bo__free(rank);
	return rc;
}

static int nsga2_tell(void *impl, const bo_observation *o)
{
	nsga2 *g = impl;
	size_t t, j;
	int rc, failed = 0;
	double v = 0.0;

	if (o->nobj != g->nobj || o->ncons != g->ncons || !o->x || (o->nobj && !o->obj) ||
	    (o->ncons && !o->cons))
		return bo__error(BO_EINVAL, "nsga2 tell: %zu objectives and %zu guardrail margins, "
					    "the study has %zu and %zu",
				 o->nobj, o->ncons, g->nobj, g->ncons);
	if ((rc = start(g)) < 0 || (rc = reserve_told(g)) < 0)
		return rc;
	t = g->ntold;
	rc = unit_of(g, o->x, g->U + t * g->np);
	if (rc < 0)
		return rc;
	if (g->np)
		memcpy(g->X + t * g->np, o->x, g->np * sizeof *o->x);
	if (o->state == BO_TRIAL_FAILED)
		failed = 1;
	for (j = 0; j < g->nobj; j++)
		if (isnan(o->obj[j]))
			failed = 1;
	for (j = 0; j < g->nobj; j++)
		g->OBJ[t * g->nobj + j] = failed ? NAN : o->obj[j];
	for (j = 0; j < g->ncons; j++) {
		if (isnan(o->cons[j]))
			v = INFINITY;
		else if (o->cons[j] < 0)
			v += -o->cons[j];
	}
	g->num[t] = o->number;
	g->viol[t] = failed ? 0.0 : v;
	g->cat[t] = failed ? CAT_FAILED : v > 0 ? CAT_INFEASIBLE : CAT_FEASIBLE;
	if ((rc = o->state == BO_TRIAL_FAILED ? bo__costmodel_add_failed(g->cost, o->x, o->cost)
			 : bo__costmodel_add(g->cost, o->x, o->cost)) < 0)
		return rc;
	g->ntold++;
	g->pool[g->npool++] = t;
	if (g->npool >= g->population) {
		rc = select_parents(g);
		if (rc < 0) {
			g->npool--;   /* leave the state as before this tell */
			g->ntold--;
			return rc;
		}
	}
	drop_pending(g, o->number);
	return 0;
}

/* ---- ask -------------------------------------------------------------------- */

static int nsga2_ask(void *impl, int64_t number, double *x)
{
	nsga2 *g = impl;
	int rc, have = 0, t;

	if ((rc = start(g)) < 0)
		goto done;
	bo__rng_seed2(&g->rng, g->seed, (uint64_t)number);
	if (g->npar == 0) {
		/* No generation told yet: space-filling start. */
		rc = bo__sobol_ask(g->sobol, number, x);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			if (!is_dup(g, number, x))
				goto accept;
			memcpy(g->xlast, x, g->np * sizeof *x);
			have = 1;
		}
	} else {
		double alpha = g->cost_aware ? bo__costmodel_alpha(g->cost, g->population) : 0.0;
		int brood = alpha > 0 ? FRUGAL_BROOD : 1, nb = 0;
		double lbest = 0;
		for (t = 0; t < DUP_TRIES && nb < brood; t++) {
			rc = bo__space_sample(g->study, breed_draw, g, g->u, g->counts, x);
			if (rc < 0)
				goto done;
			if (rc == BO_DONE)
				break;
			if (!is_dup(g, number, x)) {
				double lc = brood > 1 ? bo__costmodel_log_mean(g->cost, x) : 0.0;
				/* the cheaper child wins with probability (1 + alpha) / 2 */
				int cheaper = !(lc >= lbest);
				int keep = nb == 0 || (bo__rng_uniform(&g->rng) < (1.0 + alpha) / 2.0
							       ? cheaper
							       : !cheaper);
				if (keep) {
					memcpy(g->xkeep, x, g->np * sizeof *x);
					lbest = lc;
				}
				nb++;
				continue;
			}
			memcpy(g->xlast, x, g->np * sizeof *x);
			have = 1;
		}
		if (nb) {
			memcpy(x, g->xkeep, g->np * sizeof *x);
			goto accept;
		}
	}
	/* Every child repeats a trial (or breaks a constraint): random points. */
	for (t = 0; t < DUP_TRIES; t++) {
		rc = bo__space_sample(g->study, random_draw, g, g->u, g->counts, x);
		if (rc < 0)
			goto done;
		if (rc == BO_DONE)
			break;
		if (!is_dup(g, number, x))
			goto accept;
		memcpy(g->xlast, x, g->np * sizeof *x);
		have = 1;
	}
	if (!have)
		goto done;   /* BO_DONE: x is all NaN, the message says why */
	/* The space is exhausted: a repeat it must be. */
	memcpy(x, g->xlast, g->np * sizeof *x);
accept:
	rc = add_pending(g, number, x);
done:
	return rc;
}

const bo_sampler_ops bo__nsga2_ops = {"nsga2",   nsga2_create, nsga2_destroy,
				      nsga2_ask, nsga2_tell,   nsga2_set_param};
