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
 *   reference_kernel 0       1: the component-by-component density, each
 *                            truncation constant computed afresh (same
 *                            values, slower: for the test that says so)
 *   cost_aware      1        1: the acquisition minus alpha log(predicted
 *                            cost), cost-cooled as samplers/gp.c does
 *                            (samplers/costmodel.c)
 *
 * Pure: no I/O, no clock, no globals; never prints. Must never propose a
 * point that breaks a configuration constraint (every candidate comes from
 * bo__space_sample or is checked by bo__study_check_config) nor set a value
 * for a parameter whose condition is false.
 *
 * This file holds the sampler itself: its lifecycle and options, the
 * history (told and pending trials), the seen configurations of finite
 * spaces, and proposing (ask, tell). Its siblings, sharing
 * samplers/tpe_int.h: tpe_parzen.c (unit coordinates and the Parzen
 * mixtures: fitting, densities, drawing), tpe_model.c (the split into
 * good and bad groups, MOTPE's hypervolume pick, and the acquisition);
 * the inner loops are samplers/tpe_kernels.c.
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

/* Finite spaces: rounds of n_candidates more draws from l(x) when every
 * candidate was seen, then enumeration up to this many grid points, else
 * this many uniform draws. */
#define EXTRA_ROUNDS 8
#define ENUM_MAX 4096.0
#define RANDOM_TRIES 1000

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
	bo__free(mx->tkey);
	bo__free(mx->tval);
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
		t->npts[i] = bo__tpe_grid_points(p);
		t->prior_lc[i] = -LOG_SQRT_2PI - bo__tpe_log_trunc_mass(0.5, 1.0);
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
int bo__tpe_grow_rows(void *arr, size_t have, size_t need, size_t width, size_t elem)
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
		if ((rc = bo__tpe_grow_rows(&t->pnum, t->pend_cap, nc, 1, sizeof *t->pnum)) < 0 ||
		    (rc = bo__tpe_grow_rows(&t->px, t->pend_cap, nc, d, sizeof *t->px)) < 0 ||
		    (rc = bo__tpe_grow_rows(&t->pcode, t->pend_cap, nc, d, sizeof *t->pcode)) < 0)
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
	bo__tpe_codes(t, x, t->pcode + k * d);
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
			if ((rc = bo__tpe_grow_rows(&t->onum, t->obs_cap, nc, 1, sizeof *t->onum)) < 0 ||
			    (rc = bo__tpe_grow_rows(&t->ostate, t->obs_cap, nc, 1, sizeof *t->ostate)) < 0 ||
			    (rc = bo__tpe_grow_rows(&t->ox, t->obs_cap, nc, d, sizeof *t->ox)) < 0 ||
			    (rc = bo__tpe_grow_rows(&t->ocode, t->obs_cap, nc, d, sizeof *t->ocode)) < 0 ||
			    (rc = bo__tpe_grow_rows(&t->oobj, t->obs_cap, nc, m, sizeof *t->oobj)) < 0 ||
			    (rc = bo__tpe_grow_rows(&t->ocons, t->obs_cap, nc, g, sizeof *t->ocons)) < 0)
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
	bo__tpe_codes(t, o->x, t->ocode + k * d);
	if (m)
		memcpy(t->oobj + k * m, o->obj, m * sizeof *o->obj);
	if (g)
		memcpy(t->ocons + k * g, o->cons, g * sizeof *o->cons);
	rc = o->state == BO_TRIAL_FAILED ? bo__costmodel_add_failed(t->cost, o->x, o->cost)
					 : bo__costmodel_add(t->cost, o->x, o->cost);
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
			t->u[i] = bo__tpe_grid_unit(&t->s->params[i], t->npts[i], (double)t->digits[i]);
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
					bo__tpe_codes(t, t->xc, t->cc);
					sc = bo__tpe_score(t, t->cc);
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
		rc = bo__space_sample(t->s, bo__tpe_draw_uniform, t, t->u, t->counts, t->xc);
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
		rc = bo__space_sample(t->s, bo__tpe_draw_uniform, t, t->u, t->counts, x);
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

	rc = bo__tpe_build_model(t);
	if (rc < 0)
		goto done;
	if (t->cost_aware)
		alpha = bo__costmodel_alpha(t->cost, t->n_startup);
	t->draw_mix = &t->mix[0];
	for (round = 0; round < 1 + (t->finite ? EXTRA_ROUNDS : 0) && !have; round++) {
		for (c = 0; c < t->n_candidates; c++) {
			double sc;
			rc = bo__space_sample(t->s, bo__tpe_draw_mix, t, t->u, t->counts, t->xc);
			if (rc != 0)
				goto done;
			bo__tpe_codes(t, t->xc, t->cc);
			sc = bo__tpe_score(t, t->cc);
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
