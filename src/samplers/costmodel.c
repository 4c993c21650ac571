/*
 * samplers/costmodel.c - what a configuration will cost: the one cost model
 * of the samplers. The budget's reservation reads its upper quantile (every
 * sampler handle keeps one, whatever it proposes with); TPE and NSGA-II
 * weigh their proposals by its point prediction, cost-cooled as the GP's
 * EI per cost is (bo__costmodel_alpha).
 *
 * k nearest neighbours on log-cost (the costs of ML trials vary by orders
 * of magnitude, and multiplicatively with their parameters), with the
 * upper quantile calibrated the split-conformal way (Vovk et al. 2005,
 * "Algorithmic Learning in a Random World"; Papadopoulos et al. 2002):
 * before each told cost joins the model, the model predicts it, and the
 * residual log(actual) - prediction is kept. The q-quantile of the last
 * RESID_WINDOW residuals, added to a prediction, gives an upper bound the
 * next cost stays under with probability about q - a window, not the
 * whole history, so costs that drift (rising over time) move the bound.
 *
 * Changed from the textbook: neighbours are found in the sampler's unit
 * cube (choices differ by 1 or 0, an inactive parameter is 1 away from an
 * active one), the k-th order statistic is the conservative one
 * (ceil((m + 1) q)); below COST_MIN_OBS costs the model says nothing
 * (the caller falls back to its rule), and below COST_MIN_RESID residuals
 * the bound is EARLY_MARGIN times the neighbours, or the worst miss.
 *
 * Failed trials (bo__costmodel_add_failed) teach only a cost at least
 * half the prediction (before there is one, half the dearest cost learnt):
 * a failure's cost is a lower bound of what the configuration costs to
 * run, close to it when the runner stopped the trial at its cap or
 * timeout, and a failure far cheaper than predicted (an evaluator that
 * rejects a combination at once) is no evidence of a cheap configuration.
 *
 * Pure: no I/O, no clock, no globals; same history, same prediction.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"

#define COST_MIN_OBS 3        /* told costs before any prediction */
#define COST_MIN_RESID 5      /* residuals before an upper quantile */
#define RESID_WINDOW 64       /* most recent residuals the quantile reads */
#define EARLY_MARGIN 1.25     /* over the neighbours, before calibration */
#define K_MIN 2
#define K_MAX 8
#define CHEAPER_DRAWS 128     /* candidates tried for a cheaper configuration */
#define ALPHA_MIN_OBS 5       /* told costs before an acquisition weighs by cost */
#define SAME_COST_RATIO 1.01  /* costs closer than this ratio are "all the same" */
#define FAILED_FACTOR 2.0     /* a failure's cost is learnt when it is within this
				 factor below the prediction, or above it */
#define STREAM_CHEAPER 0x63686561703f2aULL

struct bo_costmodel {
	const bo_study *s;
	size_t d;                 /* parameters */
	size_t n, cap, lccap;
	double *u;                /* n * d unit coordinates */
	size_t ntold, toldcap;
	double *told;             /* ntold * d configurations told, as given
				     (whatever their cost): cheaper offers none */
	double *lc;               /* n log-costs */
	double resid[RESID_WINDOW];
	size_t nresid;            /* residuals ever kept (ring buffer) */
	size_t nresolved;         /* costs whose residual is computed (lazily:
				   a study that never asks pays nothing) */
	double *ubuf, *ubuf2, *best;
	size_t *counts;
};

int bo__costmodel_new(bo_costmodel **out, const bo_study *s)
{
	bo_costmodel *m;
	size_t d = s->nparams ? s->nparams : 1;
	*out = NULL;
	if (!(m = bo__calloc(1, sizeof *m)))
		return BO_ENOMEM;
	m->s = s;
	m->d = s->nparams;
	m->ubuf = bo__calloc(d, sizeof *m->ubuf);
	m->ubuf2 = bo__calloc(d, sizeof *m->ubuf2);
	m->best = bo__calloc(d, sizeof *m->best);
	m->counts = bo__calloc(s->nconstraints + 1, sizeof *m->counts);
	if (!m->ubuf || !m->ubuf2 || !m->best || !m->counts) {
		bo__costmodel_free(m);
		return BO_ENOMEM;
	}
	*out = m;
	return 0;
}

void bo__costmodel_free(bo_costmodel *m)
{
	if (!m)
		return;
	bo__free(m->u);
	bo__free(m->lc);
	bo__free(m->told);
	bo__free(m->ubuf);
	bo__free(m->ubuf2);
	bo__free(m->best);
	bo__free(m->counts);
	bo__free(m);
}

size_t bo__costmodel_count(const bo_costmodel *m)
{
	return m ? m->n : 0;
}

static double distance2(const bo_costmodel *m, const double *a, const double *b)
{
	double s = 0.0;
	size_t i;
	for (i = 0; i < m->d; i++) {
		double x = a[i], y = b[i];
		if (isnan(x) || isnan(y)) {
			s += isnan(x) != isnan(y);
		} else if (m->s->params[i].type == BO_PT_CHOICE) {
			s += x != y;
		} else {
			s += (x - y) * (x - y);
		}
	}
	return s;
}

/* Mean log-cost of the k nearest told configurations to unit point u
 * (ties: the earlier trial first, so the result never depends on order of
 * equal distances). NaN with fewer than COST_MIN_OBS costs. */
static double knn_mean(bo_costmodel *m, const double *u, size_t n)
{
	size_t k, i, j, nk = 0;
	double sum = 0.0;
	size_t idx[K_MAX];
	double dk[K_MAX];
	if (n < COST_MIN_OBS)
		return NAN;
	k = (size_t)sqrt((double)n);
	k = k < K_MIN ? K_MIN : k > K_MAX ? K_MAX : k;
	for (i = 0; i < n; i++) {
		double d2 = distance2(m, u, m->u + i * m->d);
		if (nk == k && !(d2 < dk[nk - 1]))
			continue;
		j = nk < k ? nk++ : nk - 1;
		while (j > 0 && d2 < dk[j - 1]) {
			dk[j] = dk[j - 1];
			idx[j] = idx[j - 1];
			j--;
		}
		dk[j] = d2;
		idx[j] = i;
	}
	for (i = 0; i < nk; i++)
		sum += m->lc[idx[i]];
	return sum / (double)nk;
}

/* Each cost, predicted from the costs before it, leaves its residual. */
static void catch_up(bo_costmodel *m)
{
	for (; m->nresolved < m->n; m->nresolved++) {
		size_t i = m->nresolved;
		double pred = knn_mean(m, m->u + i * m->d, i);
		if (isfinite(pred))
			m->resid[m->nresid++ % RESID_WINDOW] = m->lc[i] - pred;
	}
}

/* Remembers configuration x as told (bo__costmodel_cheaper skips it). */
static int remember(bo_costmodel *m, const double *x)
{
	int rc;
	if (!m->d)
		return 0;
	if ((rc = bo__grow(&m->told, &m->toldcap, (m->ntold + 1) * m->d, sizeof *m->told)) < 0)
		return rc;
	memcpy(m->told + m->ntold * m->d, x, m->d * sizeof *x);
	m->ntold++;
	return 0;
}

static int learn(bo_costmodel *m, const double *x, double cost)
{
	int rc;
	if (!(cost > 0) || !isfinite(cost))
		return 0;   /* free or unknown: says nothing about log-cost */
	bo__space_to_unit(m->s, x, m->ubuf);
	if ((rc = bo__grow(&m->u, &m->cap, (m->n + 1) * (m->d ? m->d : 1), sizeof *m->u)) < 0)
		return rc;
	if ((rc = bo__grow(&m->lc, &m->lccap, m->n + 1, sizeof *m->lc)) < 0)
		return rc;
	if (m->d)
		memcpy(m->u + m->n * m->d, m->ubuf, m->d * sizeof *m->u);
	m->lc[m->n++] = log(cost);
	return 0;
}

int bo__costmodel_add(bo_costmodel *m, const double *x, double cost)
{
	int rc;
	if (!m || !x)
		return bo__error(BO_EMISUSE, "cost model add needs a model and a configuration");
	if ((rc = remember(m, x)) < 0)
		return rc;
	return learn(m, x, cost);
}

int bo__costmodel_add_failed(bo_costmodel *m, const double *x, double cost)
{
	double mean;
	int rc;
	if (!m || !x)
		return bo__error(BO_EMISUSE, "cost model add needs a model and a configuration");
	if ((rc = remember(m, x)) < 0)
		return rc;
	if (!(cost > 0) || !isfinite(cost))
		return 0;
	bo__space_to_unit(m->s, x, m->ubuf);
	mean = knn_mean(m, m->ubuf, m->n);
	if (!isfinite(mean)) {
		/* too few costs to predict: the dearest so far is the bar */
		size_t i;
		for (i = 0; i < m->n; i++)
			mean = isfinite(mean) ? fmax(mean, m->lc[i]) : m->lc[i];
	}
	if (isfinite(mean) && log(cost) < mean - log(FAILED_FACTOR))
		return 0;
	return learn(m, x, cost);
}

/* 1 when configuration x was told before. */
static int told_before(const bo_costmodel *m, const double *x)
{
	size_t i;
	for (i = 0; i < m->ntold; i++)
		if (bo__trial_same_point(m->told + i * m->d, x, m->d))
			return 1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The conservative q-quantile of the kept residuals; with too few to
 * calibrate, the largest of them and log(EARLY_MARGIN): the old rule's
 * margin over the neighbours, never less than any miss seen so far. */
static double resid_quantile(const bo_costmodel *m, double q)
{
	double r[RESID_WINDOW];
	size_t nr = m->nresid < RESID_WINDOW ? m->nresid : RESID_WINDOW, k;
	if (nr < COST_MIN_RESID) {
		double mx = log(EARLY_MARGIN);
		for (k = 0; k < nr; k++)
			mx = fmax(mx, m->resid[k]);
		return mx;
	}
	memcpy(r, m->resid, nr * sizeof *r);
	qsort(r, nr, sizeof *r, cmp_double);
	k = (size_t)ceil((double)(nr + 1) * q);
	if (k < 1)
		k = 1;
	return k > nr ? r[nr - 1] : r[k - 1];
}

static double predict_u(bo_costmodel *m, const double *u, double rq)
{
	double mean = knn_mean(m, u, m->n);
	return isfinite(mean) && isfinite(rq) ? exp(mean + rq) : NAN;
}

int bo__costmodel_predict(bo_costmodel *m, const double *x, double q, double *upper)
{
	double rq;
	*upper = NAN;
	if (!m || !x || !(q > 0 && q < 1))
		return bo__error(BO_EMISUSE, "cost model predict needs a model, a configuration and 0 < q < 1");
	catch_up(m);
	rq = resid_quantile(m, q);
	bo__space_to_unit(m->s, x, m->ubuf);
	*upper = predict_u(m, m->ubuf, rq);
	return isfinite(*upper) ? 0 : BO_DONE;
}

double bo__costmodel_log_mean(bo_costmodel *m, const double *x)
{
	if (!m || !x)
		return NAN;
	bo__space_to_unit(m->s, x, m->ubuf);
	return knn_mean(m, m->ubuf, m->n);
}

double bo__costmodel_alpha(const bo_costmodel *m, size_t n_startup)
{
	const bo_budget *b;
	double spent = 0, spent0 = 0, lmin = HUGE_VAL, lmax = -HUGE_VAL, a;
	size_t i;
	if (!m || m->n < ALPHA_MIN_OBS)
		return 0.0;
	for (i = 0; i < m->n; i++) {
		double c = exp(m->lc[i]);
		spent += c;
		spent0 += i < n_startup ? c : 0.0;
		lmin = fmin(lmin, m->lc[i]);
		lmax = fmax(lmax, m->lc[i]);
	}
	if (!(lmax - lmin > log(SAME_COST_RATIO)))
		return 0.0;
	b = &m->s->budget;
	if (!(b->money > 0) || !isfinite(b->money) || !(b->money - spent0 > 0))
		return 0.0;
	a = (b->money - spent) / (b->money - spent0);
	return a < 0 ? 0 : a > 1 ? 1 : a;
}

void bo__costmodel_describe(bo_costmodel *m, double q, char *buf, size_t size)
{
	size_t nr;
	catch_up(m);
	nr = m->nresid < RESID_WINDOW ? m->nresid : RESID_WINDOW;
	snprintf(buf, size, "cost model: the %.0f%% quantile of log-cost, k nearest of %zu trials, calibrated on the last %zu",
		 q * 100.0, m->n, nr);
}

typedef struct cheap_draw {
	bo_rng rng;
	size_t d;
} cheap_draw;

static int cheap_next(void *ud, double *u)
{
	cheap_draw *c = ud;
	size_t i;
	for (i = 0; i < c->d; i++)
		u[i] = bo__rng_uniform(&c->rng);
	return 0;
}

int bo__costmodel_cheaper(bo_costmodel *m, uint64_t seed, int64_t number, const double *x,
			  double q, double limit, double *xout, double *upper)
{
	cheap_draw c;
	double rq, bestd = INFINITY, bestc = NAN;
	double *cand = NULL;
	size_t t;
	int rc = BO_DONE;
	*upper = NAN;
	if (!m || !x || !xout)
		return bo__error(BO_EMISUSE, "cost model cheaper needs a model and configurations");
	catch_up(m);
	rq = resid_quantile(m, q);
	if (m->n < COST_MIN_OBS)
		return BO_DONE;
	if (!(cand = bo__calloc(m->d + 1, sizeof *cand)))
		return BO_ENOMEM;
	bo__space_to_unit(m->s, x, m->ubuf2);   /* the proposal, to stay near it */
	bo__rng_seed2(&c.rng, seed ^ STREAM_CHEAPER, (uint64_t)number);
	c.d = m->d;
	for (t = 0; t < CHEAPER_DRAWS; t++) {
		double pred, d2;
		int r = bo__space_sample(m->s, cheap_next, &c, m->ubuf, m->counts, cand);
		if (r == BO_DONE)
			break;
		if (r < 0) {
			rc = r;
			goto done;
		}
		if (told_before(m, cand))
			continue;
		bo__space_to_unit(m->s, cand, m->ubuf);
		pred = predict_u(m, m->ubuf, rq);
		if (!(pred <= limit))
			continue;
		d2 = distance2(m, m->ubuf, m->ubuf2);
		if (d2 < bestd) {
			bestd = d2;
			bestc = pred;
			memcpy(m->best, cand, m->d * sizeof *cand);
		}
	}
	if (isfinite(bestd)) {
		memcpy(xout, m->best, m->d * sizeof *xout);
		*upper = bestc;
		rc = 0;
	}
done:
	bo__free(cand);
	return rc;
}
