/*
 * samplers/cost_model.c - a cheap model of what a trial costs, for the
 * samplers that have no Gaussian process (TPE): so that no sampler is
 * cost-blind.
 *
 * log(cost) is fitted by ridge regression on the configuration's features:
 * a float, int or ordinal is its unit coordinate (bo__space_to_unit: log
 * scales included) and its square, a choice is one-hot, an inactive
 * parameter contributes zeros; plus an intercept. Costs are often products
 * of factors (size x epochs x data share x price), which a log-linear model
 * captures. The sums X'X and X'y grow by one row per tell (O(p^2)) and the
 * p x p system is solved once per ask (p is a few dozen at most), so the
 * model costs little next to TPE's own work even at thousands of trials.
 *
 * The acquisition is divided by predicted cost^alpha, alpha cooled from 1 to
 * 0 as the money budget is spent after the start-up ("cost-cooled EI",
 * Lee, Eriksson, Perrone and Seeger 2020, CArBO), exactly as samplers/gp.c
 * does; alpha = 0 without a money budget, before MIN_OBS priced trials, or
 * while every cost told is the same.
 *
 * Pure: no I/O, no clock, no globals; allocation through core/alloc.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "samplers/internal.h"

/* Ridge penalty on every coefficient but the intercept. */
#define RIDGE 1e-2
/* Priced trials before the model is used. */
#define MIN_OBS 5
/* Costs that differ by less than this ratio are "all the same". */
#define SAME_COST_RATIO 1.01

struct bo_cost_model {
	const bo_study *s;
	size_t p;              /* features, the intercept included */
	double *xtx, *xty;     /* p * p and p */
	double *A, *b, *f, *u; /* solve workspace, a feature row, unit coordinates */
	size_t n, nstart;      /* priced trials told; of them, trials below n_startup */
	double spent, spent0;  /* money told; of it, the start-up's */
	double cmin, cmax;
	int solved;            /* b holds the coefficients for the current sums */
	size_t n_startup;
};

static size_t nfeatures(const bo_study *s)
{
	size_t i, p = 1;
	for (i = 0; i < s->nparams; i++)
		p += s->params[i].type == BO_PT_CHOICE ? s->params[i].nchoices : 2;
	return p;
}

static void features(bo_cost_model *m, const double *x)
{
	const bo_study *s = m->s;
	size_t i, j = 1;
	bo__space_to_unit(s, x, m->u);
	memset(m->f, 0, m->p * sizeof *m->f);
	m->f[0] = 1.0;
	for (i = 0; i < s->nparams; i++) {
		const bo_param *q = &s->params[i];
		if (q->type == BO_PT_CHOICE) {
			if (!isnan(x[i]) && x[i] >= 0 && x[i] < (double)q->nchoices)
				m->f[j + (size_t)x[i]] = 1.0;
			j += q->nchoices;
		} else {
			if (!isnan(m->u[i])) {
				m->f[j] = m->u[i];
				m->f[j + 1] = m->u[i] * m->u[i];
			}
			j += 2;
		}
	}
}

int bo__cost_model_new(bo_cost_model **out, const bo_study *s, size_t n_startup)
{
	bo_cost_model *m = bo__calloc(1, sizeof *m);
	*out = NULL;
	if (!m)
		return BO_ENOMEM;
	m->s = s;
	m->p = nfeatures(s);
	m->n_startup = n_startup;
	m->xtx = bo__calloc(m->p * m->p, sizeof *m->xtx);
	m->A = bo__calloc(m->p * m->p, sizeof *m->A);
	m->xty = bo__calloc(m->p, sizeof *m->xty);
	m->b = bo__calloc(m->p, sizeof *m->b);
	m->f = bo__calloc(m->p, sizeof *m->f);
	m->u = bo__calloc(s->nparams + 1, sizeof *m->u);
	if (!m->xtx || !m->A || !m->xty || !m->b || !m->f || !m->u) {
		bo__cost_model_free(m);
		return BO_ENOMEM;
	}
	m->cmin = HUGE_VAL;
	m->cmax = 0;
	*out = m;
	return 0;
}

void bo__cost_model_free(bo_cost_model *m)
{
	if (!m)
		return;
	bo__free(m->xtx);
	bo__free(m->A);
	bo__free(m->xty);
	bo__free(m->b);
	bo__free(m->f);
	bo__free(m->u);
	bo__free(m);
}

void bo__cost_model_set_startup(bo_cost_model *m, size_t n_startup)
{
	if (m)
		m->n_startup = n_startup;
}

void bo__cost_model_tell(bo_cost_model *m, int64_t number, const double *x, double cost)
{
	size_t i, j, p;
	double y;
	if (!m || !(cost > 0) || !isfinite(cost))
		return;   /* unpriced: teaches nothing */
	p = m->p;
	features(m, x);
	y = log(cost);
	for (i = 0; i < p; i++) {
		for (j = 0; j < p; j++)
			m->xtx[i * p + j] += m->f[i] * m->f[j];
		m->xty[i] += m->f[i] * y;
	}
	m->n++;
	m->spent += cost;
	if (number >= 0 && (size_t)number < m->n_startup) {
		m->nstart++;
		m->spent0 += cost;
	}
	m->cmin = cost < m->cmin ? cost : m->cmin;
	m->cmax = cost > m->cmax ? cost : m->cmax;
	m->solved = 0;
}

double bo__cost_model_alpha(const bo_cost_model *m)
{
	const bo_budget *b;
	double a;
	if (!m || m->n < MIN_OBS || !(m->cmax > SAME_COST_RATIO * m->cmin))
		return 0.0;
	b = &m->s->budget;
	if (!(b->money > 0) || !isfinite(b->money) || !(b->money - m->spent0 > 0))
		return 0.0;
	a = (b->money - m->spent) / (b->money - m->spent0);
	return a < 0 ? 0 : a > 1 ? 1 : a;
}

int bo__cost_model_fit(bo_cost_model *m)
{
	size_t i, p;
	lapack_int info;
	if (!m)
		return BO_EMISUSE;
	if (m->solved)
		return 0;
	p = m->p;
	memcpy(m->A, m->xtx, p * p * sizeof *m->A);
	memcpy(m->b, m->xty, p * sizeof *m->b);
	for (i = 1; i < p; i++)
		m->A[i * p + i] += RIDGE * (1.0 + (double)m->n * 1e-3);
	/* the intercept gets a tiny ridge too, so an empty model solves */
	m->A[0] += 1e-9;
	info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'L', (lapack_int)p, 1, m->A, (lapack_int)p, m->b, 1);
	if (info != 0)
		return bo__error(BO_ERROR, "cost model: ridge system not positive definite (%d)", (int)info);
	m->solved = 1;
	return 0;
}

double bo__cost_model_log(bo_cost_model *m, const double *x)
{
	size_t i;
	double v = 0;
	if (!m || !m->solved)
		return 0.0;
	features(m, x);
	for (i = 0; i < m->p; i++)
		v += m->b[i] * m->f[i];
	return v;
}
