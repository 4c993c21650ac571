/*
 * analysis/uncertain.c - Monte Carlo evaluation of configurations under
 * uncertain inputs and prices, and chance-constrained guardrails
 * (analysis/uncertain.h).
 *
 * Plain Monte Carlo with common random numbers (Law, "Simulation Modeling
 * and Analysis", 5th ed., sec. 11.2): one matrix of draws, each uncertain
 * number drawn by its inverse distribution function from a uniform of
 * GSL's MT19937 stream, is shared by every configuration, so that a
 * difference between two configurations is never sampling noise of
 * different futures. Only the derived metrics, the score and the
 * guardrails that reach an uncertain number are evaluated per draw; the
 * rest keep their point values.
 *
 * Pure: no I/O, no clock. Must never make feasible a configuration whose
 * guardrails without a probability fail at the means, or by the margins
 * it came with (a scenario study's: the worst under any scenario).
 */
#include "analysis/uncertain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

/* ---- which expressions reach an uncertain number ------------------------ */

typedef struct reach_ud {
	const bo_study *s;
	const unsigned char *dflags;   /* derived metrics already known uncertain */
} reach_ud;

static int price_uncertain(const bo_price *p)
{
	size_t j;
	if (p->dist)
		return 1;
	for (j = 0; p->dists && j < p->nkeys; j++)
		if (p->dists[j])
			return 1;
	return 0;
}

static int reach_sym(void *ud, const bo_sym *sym)
{
	const reach_ud *r = ud;
	const bo_study *s = r->s;
	int i = sym->index;
	switch (sym->kind) {
	case BO_SYM_INPUT:
		return i >= 0 && (size_t)i < s->ninputs && s->inputs[i].dist != NULL;
	case BO_SYM_PRICE:
		return i >= 0 && (size_t)i < s->prices.n && price_uncertain(&s->prices.items[i]);
	case BO_SYM_DERIVED:
		return r->dflags && i >= 0 && (size_t)i < s->nderived && r->dflags[i];
	default:
		return 0;
	}
}

/* flags[i] = 1 when derived metric i reaches an uncertain number; the
 * derived order puts dependencies first. */
static void derived_flags(const bo_study *s, unsigned char *flags)
{
	reach_ud r;
	size_t k;
	memset(flags, 0, s->nderived);
	r.s = s;
	r.dflags = flags;
	for (k = 0; k < s->nderived; k++) {
		size_t i = s->derived_order ? s->derived_order[k] : k;
		flags[i] = bo__expr_foreach_sym(s->derived[i].expr, reach_sym, &r) != 0;
	}
}

static int reaches(const bo_study *s, const unsigned char *dflags, const bo_expr *e)
{
	reach_ud r;
	r.s = s;
	r.dflags = dflags;
	return e && bo__expr_foreach_sym(e, reach_sym, &r) != 0;
}

int bo__mc_expr_uncertain(const bo_study *s, const bo_expr *e)
{
	unsigned char *flags = bo__calloc(s->nderived + 1, 1);
	int r;
	if (!flags)
		return 1;   /* no memory to tell: claim it is, so no false warning */
	derived_flags(s, flags);
	r = reaches(s, flags, e);
	bo__free(flags);
	return r;
}

int bo__mc_wanted(const bo_configs *c)
{
	size_t k;
	if (c->s->nuncertain)
		return 1;
	for (k = 0; k < c->nguardrails; k++)
		if (c->guardrails[k].prob > 0)
			return 1;
	return 0;
}

double bo__mc_level(int goal, double p)
{
	return goal > 0 ? 1.0 - p : p;
}

double bo__mc_quantile_sorted(const double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	return gsl_stats_quantile_from_sorted_data(v, 1, n, q);
}

/* Puts the k-th smallest of v[0..n) at v[k], smaller ones before it and
 * larger ones after (Hoare 1961, "Algorithm 65: FIND", with a
 * median-of-three pivot): O(n) on average, against O(n log n) for a sort
 * that would be most of the time of a Monte Carlo select. */
static void select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t i = lo, j = hi, mid = lo + (hi - lo) / 2;
		double a = v[lo], b = v[mid], c = v[hi], pivot, t;
		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* now v[lo..j] <= pivot <= v[j+1..hi] */
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
}

/* The q-quantile of v[0..n) (no NaN), as bo__mc_quantile_sorted would
 * give for v sorted; reorders v. */
static double quantile_select(double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1), frac, x, y;
	size_t k = (size_t)pos, i;
	frac = pos - (double)k;
	select_kth(v, n, k);
	x = v[k];
	if (frac == 0 || k + 1 >= n)
		return x;
	y = v[k + 1];
	for (i = k + 2; i < n; i++)
		if (v[i] < y)
			y = v[i];
	return x + frac * (y - x);
}

static int any_nan(const double *v, size_t n)
{
	size_t d;
	for (d = 0; d < n; d++)
		if (isnan(v[d]))
			return 1;
	return 0;
}

/* ---- one draw's environment --------------------------------------------- */

typedef struct mcenv {
	const bo_study *s;
	bo_eval_ctx ctx;       /* the configuration at the means */
	bo_expr_env base;      /* over ctx */
	const double *draw;    /* this draw's uncertain numbers */
	double *dv;            /* derived metrics in this draw */
} mcenv;

static int mc_get(void *ud, const bo_sym *sym, bo_xval *out)
{
	const mcenv *m = ud;
	const bo_study *s = m->s;
	int i = sym->index;
	out->str = NULL;
	if (sym->kind == BO_SYM_INPUT && i >= 0 && (size_t)i < s->ninputs && s->inputs[i].dist) {
		out->num = m->draw[s->inputs[i].dist->slot];
		return 0;
	}
	if (sym->kind == BO_SYM_PRICE && i >= 0 && (size_t)i < s->prices.n &&
	    !s->prices.items[i].is_table && s->prices.items[i].dist) {
		out->num = m->draw[s->prices.items[i].dist->slot];
		return 0;
	}
	if (sym->kind == BO_SYM_DERIVED && i >= 0 && (size_t)i < s->nderived) {
		if (isnan(m->dv[i]))
			return bo__error(BO_ENOTFOUND, "derived metric \"%s\" is missing",
					 s->derived[i].name);
		out->num = m->dv[i];
		return 0;
	}
	return m->base.get(m->base.ud, sym, out);
}

static int mc_price_key(void *ud, int index, const char *key, double *out)
{
	const mcenv *m = ud;
	const bo_study *s = m->s;
	const bo_price *p;
	size_t j;
	if (index >= 0 && (size_t)index < s->prices.n) {
		p = &s->prices.items[index];
		if (!p->is_table && p->dist) {
			*out = m->draw[p->dist->slot];
			return 0;
		}
		for (j = 0; p->is_table && p->dists && key && j < p->nkeys; j++) {
			if (strcmp(p->keys[j], key) == 0) {
				*out = p->dists[j] ? m->draw[p->dists[j]->slot] : p->values[j];
				return 0;
			}
		}
	}
	return m->base.price_key(m->base.ud, index, key, out);
}

/* Evaluates e: 0 and *v, 0 and NaN when missing, or an error. */
static int eval_or_nan(const bo_expr *e, const bo_expr_env *env, double *v)
{
	int rc = bo__expr_eval(e, env, v);
	if (rc == BO_ENOTFOUND) {
		*v = NAN;
		return 0;
	}
	return rc;
}

static int holds(const bo_expr *e, const bo_expr_env *env, int *out)
{
	double v;
	int rc = bo__expr_eval(e, env, &v);
	if (rc < 0 && rc != BO_ENOTFOUND)
		return rc;
	*out = rc == 0 && v != 0 && !isnan(v);
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

/* What the evaluation of one configuration needs, allocated once per run
 * and kept for bo__mc_quantiles: nothing is allocated per configuration
 * or per draw. */
struct bo_mc_work {
	unsigned char *dflags;   /* nderived: reaches an uncertain number */
	double *vals;            /* nqty * draws: the quantities in each draw */
	double *dv;              /* nderived: derived metrics in one draw */
	double *dvv;             /* nderived * draws: uncertain derived metrics */
	double *g;               /* draws: a guardrail in each draw */
	int *point;              /* ng: guardrail k holds at the means */
	size_t *count;           /* ng: draws in which guardrail k holds */
	bo_expr_vws ws;
};

static void work_free(bo_mc_work *wk)
{
	if (!wk)
		return;
	bo__free(wk->dflags);
	bo__free(wk->vals);
	bo__free(wk->dv);
	bo__free(wk->dvv);
	bo__free(wk->g);
	bo__free(wk->point);
	bo__free(wk->count);
	bo__expr_vws_clear(&wk->ws);
	bo__free(wk);
}

void bo__mc_clear(bo_mc *mc)
{
	if (!mc)
		return;
	work_free(mc->wk);
	bo__free(mc->qdone);
	bo__free(mc->draws);
	bo__free(mc->cols);
	bo__free(mc->qty);
	bo__free(mc->g_uncertain);
	bo__free(mc->g_need);
	bo__free(mc->mean);
	bo__free(mc->quant);
	bo__free(mc->used);
	bo__free(mc->prob);
	memset(mc, 0, sizeof *mc);
}

static int check_options(const bo_mc_options *o)
{
	size_t k;
	if (o->draws < 1)
		return bo__error(BO_EINVAL, "--draws must be at least 1");
	if (o->nq > BO_MC_MAX_QUANTILES)
		return bo__error(BO_EINVAL, "at most %d quantiles", BO_MC_MAX_QUANTILES);
	for (k = 0; k < o->nq; k++)
		if (!(o->q[k] > 0 && o->q[k] < 1))
			return bo__error(BO_EINVAL, "a quantile must be between 0 and 1 (exclusive), "
						    "found %g", o->q[k]);
	if (o->confidence != 0 && !(o->confidence > 0 && o->confidence < 1))
		return bo__error(BO_EINVAL, "--confidence must be between 0 and 1 (exclusive), "
					    "found %g", o->confidence);
	return 0;
}

/* The draws: draws[d * nu + j] is uncertain number j in draw d. */
static int make_draws(bo_mc *mc, const bo_study *s)
{
	gsl_rng *rng;
	size_t d, j, nu = s->nuncertain;
	mc->nuncertain = nu;
	if (!nu)
		return 0;
	if (mc->o.draws > SIZE_MAX / sizeof(double) / nu)
		return bo__error(BO_ENOMEM, "too many draws (%zu)", mc->o.draws);
	if (!(mc->draws = bo__calloc(mc->o.draws * nu, sizeof(double))))
		return bo__error(BO_ENOMEM, "out of memory for %zu draws", mc->o.draws);
	if (!(rng = gsl_rng_alloc(gsl_rng_mt19937)))
		return bo__error(BO_ENOMEM, "out of memory for the random stream");
	gsl_rng_set(rng, (unsigned long)mc->o.seed);
	for (d = 0; d < mc->o.draws; d++)
		for (j = 0; j < nu; j++)
			mc->draws[d * nu + j] =
				bo__dist_quantile(s->uncertain[j], gsl_rng_uniform_pos(rng));
	gsl_rng_free(rng);
	if (!(mc->cols = bo__calloc(mc->o.draws * nu, sizeof(double))))
		return bo__error(BO_ENOMEM, "out of memory for %zu draws", mc->o.draws);
	for (d = 0; d < mc->o.draws; d++)
		for (j = 0; j < nu; j++)
			mc->cols[j * mc->o.draws + d] = mc->draws[d * nu + j];
	return 0;
}

/* Chooses the quantities and the guardrails' needs. */
static int plan(bo_mc *mc, const bo_configs *c, unsigned char *dflags)
{
	const bo_study *s = c->s;
	size_t i, k;
	derived_flags(s, dflags);
	if (!(mc->qty = bo__calloc(s->nderived + 2, sizeof *mc->qty)) ||
	    !(mc->g_uncertain = bo__calloc(c->nguardrails + 1, 1)) ||
	    !(mc->g_need = bo__calloc(c->nguardrails + 1, sizeof(double))))
		return bo__error(BO_ENOMEM, "out of memory");
	for (i = 0; i < s->nderived; i++) {
		bo_mc_qty *q;
		if (!dflags[i])
			continue;
		q = &mc->qty[mc->nqty++];
		q->kind = BO_MC_DERIVED;
		q->index = (int)i;
		q->name = s->derived[i].name;
		q->goal = s->derived[i].goal;
		/* an objective's direction wins over the declared one */
		for (k = 0; k < s->nobjectives; k++)
			if (s->objectives[k].sym_kind == BO_SYM_DERIVED &&
			    s->objectives[k].index == (int)i)
				q->goal = s->objectives[k].goal;
	}
	if (s->score && reaches(s, dflags, s->score)) {
		bo_mc_qty *q = &mc->qty[mc->nqty++];
		q->kind = BO_MC_SCORE;
		q->index = -1;
		q->name = "score";
		q->goal = s->score_goal ? s->score_goal : 1;
	}
	mc->ng = c->nguardrails;
	for (k = 0; k < c->nguardrails; k++) {
		mc->g_uncertain[k] = (unsigned char)reaches(s, dflags, c->guardrails[k].expr);
		/* --confidence, given on the command line, wins over the file */
		mc->g_need[k] = mc->o.confidence > 0 ? mc->o.confidence : c->guardrails[k].prob;
	}
	return 0;
}

/* Rewrites why for configuration f after its feasibility was re-decided. */
static int restate_why(bo_mc *mc, const bo_configs *c, size_t i, const int *point)
{
	bo_config *f = &c->v[i];
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t k;
	bo__free(f->why);
	f->why = NULL;
	if (f->feasible)
		return 0;
	bo__sb_puts(&sb, "breaks ");
	for (k = 0; k < mc->ng; k++) {
		double p = mc->prob[i * mc->ng + k];
		int ok = mc->g_need[k] > 0 ? p >= mc->g_need[k] : point[k];
		if (ok)
			continue;
		if (sb.len > 7)
			bo__sb_puts(&sb, ", ");
		if (mc->g_need[k] > 0)
			bo__sb_printf(&sb, "%s (holds with probability %.4g < %g)",
				      c->guardrails[k].text, p, mc->g_need[k]);
		else
			bo__sb_printf(&sb, "%s (by %.6g)", c->guardrails[k].text, -f->margins[k]);
	}
	if (!(f->why = bo__sb_take(&sb)))
		return bo__error(BO_ENOMEM, "out of memory");
	return 0;
}

/* ---- all draws at once (core/expr_vec.c) ------------------------------- */

typedef struct vecenv {
	const bo_study *s;
	const bo_mc *mc;
	bo_expr_env base;            /* the configuration at the means */
	const unsigned char *dflags;
	const double *dv_point;      /* derived metrics at the means */
	const double *dvv;           /* uncertain derived metrics: nderived * draws */
} vecenv;

static int v_get(void *ud, const bo_sym *sym, const double **vec, bo_xval *sc)
{
	const vecenv *m = ud;
	const bo_study *s = m->s;
	size_t nd = m->mc->o.draws;
	int i = sym->index;
	*vec = NULL;
	if (sym->kind == BO_SYM_INPUT && i >= 0 && (size_t)i < s->ninputs && s->inputs[i].dist) {
		*vec = m->mc->cols + s->inputs[i].dist->slot * nd;
		return 0;
	}
	if (sym->kind == BO_SYM_PRICE && i >= 0 && (size_t)i < s->prices.n &&
	    !s->prices.items[i].is_table && s->prices.items[i].dist) {
		*vec = m->mc->cols + s->prices.items[i].dist->slot * nd;
		return 0;
	}
	if (sym->kind == BO_SYM_DERIVED && i >= 0 && (size_t)i < s->nderived) {
		if (m->dflags[i]) {
			*vec = m->dvv + (size_t)i * nd;
			return 0;
		}
		if (isnan(m->dv_point[i]))
			return BO_ENOTFOUND;
		sc->str = NULL;
		sc->num = m->dv_point[i];
		return 0;
	}
	return m->base.get(m->base.ud, sym, sc);
}

static int v_price_key(void *ud, int index, const char *key, const double **vec, double *out)
{
	const vecenv *m = ud;
	const bo_study *s = m->s;
	const bo_price *p;
	size_t j;
	*vec = NULL;
	if (index >= 0 && (size_t)index < s->prices.n) {
		p = &s->prices.items[index];
		if (!p->is_table && p->dist) {
			*vec = m->mc->cols + p->dist->slot * m->mc->o.draws;
			return 0;
		}
		for (j = 0; p->is_table && p->dists && key && j < p->nkeys; j++) {
			if (strcmp(p->keys[j], key) == 0) {
				if (p->dists[j])
					*vec = m->mc->cols + p->dists[j]->slot * m->mc->o.draws;
				else
					*out = p->values[j];
				return 0;
			}
		}
	}
	return m->base.price_key(m->base.ud, index, key, out);
}

/* Fills vals and count for configuration f over all draws at once.
 * Returns 0, BO_EXPR_SCALAR when an expression needs the draw-by-draw
 * evaluator, or an error. */
static int vector_draws(const bo_mc *mc, const bo_configs *c, const bo_config *f, size_t *count)
{
	const bo_study *s = c->s;
	bo_mc_work *wk = mc->wk;
	size_t k, q, d, nd = mc->o.draws;
	bo_eval_ctx ctx;
	bo_expr_venv env;
	vecenv m;
	int rc;
	ctx.study = s;
	ctx.x = f->x;
	ctx.metrics = f->m;
	ctx.derived = f->dv;
	m.s = s;
	m.mc = mc;
	bo__study_env(&ctx, &m.base);
	m.dflags = wk->dflags;
	m.dv_point = f->dv;
	m.dvv = wk->dvv;
	env.ud = &m;
	env.get = v_get;
	env.price_key = v_price_key;
	for (k = 0; k < s->nderived; k++) {
		size_t j = s->derived_order ? s->derived_order[k] : k;
		if (wk->dflags[j] &&
		    (rc = bo__expr_eval_vec(s->derived[j].expr, &env, nd, wk->dvv + j * nd, &wk->ws)) != 0)
			return rc;
	}
	for (q = 0; q < mc->nqty; q++) {
		if (mc->qty[q].kind == BO_MC_DERIVED)
			memcpy(wk->vals + q * nd, wk->dvv + (size_t)mc->qty[q].index * nd,
			       nd * sizeof *wk->vals);
		else if ((rc = bo__expr_eval_vec(s->score, &env, nd, wk->vals + q * nd, &wk->ws)) != 0)
			return rc;
	}
	for (k = 0; k < mc->ng; k++) {
		size_t n = 0;
		count[k] = 0;
		if (!mc->g_uncertain[k])
			continue;
		if ((rc = bo__expr_eval_vec(c->guardrails[k].expr, &env, nd, wk->g, &wk->ws)) != 0)
			return rc;
		for (d = 0; d < nd; d++)
			n += wk->g[d] != 0 && !isnan(wk->g[d]);
		count[k] = n;
	}
	return 0;
}

/* Evaluates configuration i over every draw into mc->wk->vals (nqty *
 * draws) and count (ng: the draws in which each uncertain guardrail
 * holds). The same draws give the same values on every call. */
static int eval_config(const bo_mc *mc, const bo_configs *c, size_t i, size_t *count)
{
	const bo_study *s = c->s;
	const bo_config *f = &c->v[i];
	bo_mc_work *wk = mc->wk;
	size_t d, k, q, nd = mc->o.draws, nu = mc->nuncertain, nq = mc->nqty;
	double *dv = wk->dv, *vals = wk->vals;
	mcenv m;
	bo_expr_env env;
	int rc;
	static const double none = 0;

	rc = vector_draws(mc, c, f, count);
	if (rc != BO_EXPR_SCALAR)
		return rc;
	/* draw by draw only where the vector evaluator cannot go */
	m.s = s;
	m.ctx.study = s;
	m.ctx.x = f->x;
	m.ctx.metrics = f->m;
	m.ctx.derived = f->dv;
	bo__study_env(&m.ctx, &m.base);
	m.dv = dv;
	env.ud = &m;
	env.get = mc_get;
	env.price_key = mc_price_key;
	for (k = 0; k < mc->ng; k++)
		count[k] = 0;
	for (d = 0; d < nd; d++) {
		m.draw = nu ? mc->draws + d * nu : &none;
		memcpy(dv, f->dv, s->nderived * sizeof *dv);
		for (k = 0; k < s->nderived; k++) {
			size_t j = s->derived_order ? s->derived_order[k] : k;
			if (wk->dflags[j] && (rc = eval_or_nan(s->derived[j].expr, &env, &dv[j])) < 0)
				return rc;
		}
		for (q = 0; q < nq; q++) {
			if (mc->qty[q].kind == BO_MC_DERIVED)
				vals[q * nd + d] = dv[mc->qty[q].index];
			else if ((rc = eval_or_nan(s->score, &env, &vals[q * nd + d])) < 0)
				return rc;
		}
		for (k = 0; k < mc->ng; k++) {
			int h;
			if (!mc->g_uncertain[k])
				continue;
			if ((rc = holds(c->guardrails[k].expr, &env, &h)) < 0)
				return rc;
			count[k] += (size_t)h;
		}
	}
	return 0;
}

static int cmp_level(const void *a, const void *b)
{
	double x = **(const double *const *)a, y = **(const double *const *)b;
	return (x > y) - (x < y);
}

/* The reported quantiles of v[0..n) (no NaN) into out, as
 * bo__mc_quantile_sorted would give for v sorted; reorders v. The levels
 * are taken in increasing order, each selection in the part of v above
 * the one before (Hoare's FIND leaves smaller values before the k-th). */
static void quantiles_of(double *v, size_t n, const bo_mc_options *o, double *out)
{
	const double *lv[BO_MC_MAX_QUANTILES] = {NULL};
	size_t k, i, lo = 0;
	for (k = 0; k < o->nq; k++)
		lv[k] = &o->q[k];
	qsort(lv, o->nq, sizeof *lv, cmp_level);
	for (k = 0; k < o->nq; k++) {
		double pos = *lv[k] * (double)(n - 1), frac, x, y;
		size_t at = (size_t)pos;
		frac = pos - (double)at;
		if (at < lo)
			at = lo;   /* not reached: levels increase */
		select_kth(v + lo, n - lo, at - lo);
		x = v[at];
		if (frac != 0 && at + 1 < n) {
			y = v[at + 1];
			for (i = at + 2; i < n; i++)
				if (v[i] < y)
					y = v[i];
			x = x + frac * (y - x);
		}
		out[lv[k] - o->q] = x;
		lo = at;
	}
}

/* Fills configuration i's quantiles from the values in mc->wk->vals. */
static void quantile_rows(const bo_mc *mc, size_t i)
{
	size_t q, nd = mc->o.draws;
	for (q = 0; q < mc->nqty; q++) {
		double *v = mc->wk->vals + q * nd, *out = mc->quant + (i * mc->nqty + q) * mc->o.nq;
		size_t k;
		if (isnan(mc->mean[i * mc->nqty + q]) && any_nan(v, nd)) {
			for (k = 0; k < mc->o.nq; k++)
				out[k] = NAN;
			continue;
		}
		quantiles_of(v, nd, &mc->o, out);
	}
	mc->qdone[i] = 1;
}

int bo__mc_quantiles(const bo_mc *mc, size_t i)
{
	int rc;
	if (!mc->qdone || i >= mc->n || mc->qdone[i])
		return 0;
	if (!mc->c->v[i].usable) {
		mc->qdone[i] = 1;
		return 0;
	}
	if ((rc = eval_config(mc, mc->c, i, mc->wk->count)) < 0)
		return rc;
	quantile_rows(mc, i);
	return 0;
}

/* Evaluates configuration i and judges it. */
static int run_config(bo_mc *mc, bo_configs *c, size_t i)
{
	bo_config *f = &c->v[i];
	bo_mc_work *wk = mc->wk;
	size_t d, k, q, nd = mc->o.draws, nq = mc->nqty;
	size_t *count = wk->count;
	int *point = wk->point;
	bo_eval_ctx ctx;
	bo_expr_env base;
	int rc = 0, feasible = 1;

	ctx.study = c->s;
	ctx.x = f->x;
	ctx.metrics = f->m;
	ctx.derived = f->dv;
	bo__study_env(&ctx, &base);
	/* guardrails at the means, through the point environment; one without
	 * a probability also keeps the verdict its margin carries in: on a
	 * scenario study the entry is folded across scenarios and its margin
	 * is the smallest under any of them (analysis/scenarios.h), which the
	 * folded means alone cannot see */
	for (k = 0; k < mc->ng; k++) {
		if ((rc = holds(c->guardrails[k].expr, &base, &point[k])) < 0)
			return rc;
		if (!(mc->g_need[k] > 0) && f->margins && f->margins[k] < 0)
			point[k] = 0;
	}
	if ((rc = eval_config(mc, c, i, count)) < 0)
		return rc;
	for (q = 0; q < nq; q++) {
		double *v = wk->vals + q * nd, sum = 0, mean;
		for (d = 0; d < nd; d++)
			sum += v[d];
		mean = sum / (double)nd;   /* NaN with a NaN draw (no value) */
		mc->mean[i * nq + q] = mean;
		if (isnan(mean) && any_nan(v, nd))
			mc->used[i * nq + q] = NAN;
		else if (mc->o.confidence > 0 && mc->qty[q].goal)
			mc->used[i * nq + q] =
				quantile_select(v, nd, bo__mc_level(mc->qty[q].goal, mc->o.confidence));
		else
			mc->used[i * nq + q] = mean;
	}
	if (!mc->o.on_demand)
		quantile_rows(mc, i);
	for (q = 0; q < nq; q++) {
		if (mc->qty[q].kind == BO_MC_DERIVED)
			f->dv[mc->qty[q].index] = mc->used[i * nq + q];
		else
			f->score = mc->used[i * nq + q];
	}
	for (k = 0; k < mc->ng; k++) {
		double p = mc->g_uncertain[k] ? (double)count[k] / (double)nd : point[k] ? 1.0 : 0.0;
		mc->prob[i * mc->ng + k] = p;
		if (!(mc->g_need[k] > 0 ? p >= mc->g_need[k] : point[k]))
			feasible = 0;
	}
	f->feasible = feasible;
	return restate_why(mc, c, i, point);
}

static int work_new(bo_mc *mc, const bo_study *s)
{
	bo_mc_work *wk;
	size_t nqq = mc->nqty ? mc->nqty : 1, nd = mc->o.draws;
	if (!(wk = mc->wk = bo__calloc(1, sizeof *wk)))
		return BO_ENOMEM;
	if (!(wk->dflags = bo__calloc(s->nderived + 1, 1)) ||
	    !(wk->vals = bo__calloc(nqq * nd, sizeof(double))) ||
	    !(wk->dv = bo__calloc(s->nderived + 1, sizeof(double))) ||
	    !(wk->dvv = bo__calloc((s->nderived + 1) * nd, sizeof(double))) ||
	    !(wk->g = bo__calloc(nd, sizeof(double))) ||
	    !(wk->point = bo__calloc(mc->ng + 1, sizeof(int))) ||
	    !(wk->count = bo__calloc(mc->ng + 1, sizeof(size_t))))
		return BO_ENOMEM;
	return 0;
}

int bo__mc_run(bo_mc *mc, bo_configs *c, const bo_mc_options *o)
{
	const bo_study *s = c->s;
	size_t i, nqq;
	int rc;

	memset(mc, 0, sizeof *mc);
	if ((rc = check_options(o)) < 0)
		return rc;
	mc->o = *o;
	mc->n = c->n;
	mc->c = c;
	mc->ng = c->nguardrails;
	if (work_new(mc, s) < 0) {
		rc = bo__error(BO_ENOMEM, "out of memory for the Monte Carlo evaluation");
		goto done;
	}
	if ((rc = plan(mc, c, mc->wk->dflags)) < 0 || (rc = make_draws(mc, s)) < 0)
		goto done;
	/* plan chose the quantities: the values need one row of draws each */
	if (mc->nqty > 1) {
		bo__free(mc->wk->vals);
		if (mc->o.draws > SIZE_MAX / sizeof(double) / mc->nqty ||
		    !(mc->wk->vals = bo__calloc(mc->nqty * mc->o.draws, sizeof(double)))) {
			rc = bo__error(BO_ENOMEM, "out of memory for the Monte Carlo evaluation");
			goto done;
		}
	}
	nqq = mc->nqty ? mc->nqty : 1;
	if (!(mc->mean = bo__calloc(c->n * nqq + 1, sizeof(double))) ||
	    !(mc->used = bo__calloc(c->n * nqq + 1, sizeof(double))) ||
	    !(mc->quant = bo__calloc(c->n * nqq * (o->nq ? o->nq : 1) + 1, sizeof(double))) ||
	    !(mc->qdone = bo__calloc(c->n + 1, 1)) ||
	    !(mc->prob = bo__calloc(c->n * mc->ng + 1, sizeof(double)))) {
		rc = bo__error(BO_ENOMEM, "out of memory for the Monte Carlo evaluation");
		goto done;
	}
	for (i = 0; i < c->n * nqq; i++)
		mc->mean[i] = mc->used[i] = NAN;
	for (i = 0; i < c->n * nqq * o->nq; i++)
		mc->quant[i] = NAN;
	for (i = 0; i < c->n * mc->ng; i++)
		mc->prob[i] = NAN;
	for (i = 0; i < c->n; i++) {
		if (!c->v[i].usable) {
			mc->qdone[i] = 1;
			continue;
		}
		if ((rc = run_config(mc, c, i)) < 0)
			goto done;
	}
done:
	if (rc < 0)
		bo__mc_clear(mc);
	return rc;
}

/* The quantity axis a is, or mc->nqty when it reaches nothing uncertain. */
static size_t axis_qty(const bo_mc *mc, const bo_axis *a)
{
	size_t q;
	for (q = 0; q < mc->nqty; q++)
		if ((a->kind == BO_AXIS_DERIVED && mc->qty[q].kind == BO_MC_DERIVED &&
		     mc->qty[q].index == a->index) ||
		    (a->kind == BO_AXIS_SCORE && mc->qty[q].kind == BO_MC_SCORE))
			break;
	return q;
}

int bo__mc_axis_band(const bo_mc *mc, size_t i, const bo_axis *a, double *lo, double *hi)
{
	size_t q = axis_qty(mc, a), k, klo = 0, khi = 0;
	const double *row;
	int rc;
	*lo = *hi = NAN;
	if (q == mc->nqty || !mc->o.nq || i >= mc->n)
		return 0;
	if ((rc = bo__mc_quantiles(mc, i)) < 0)
		return rc;
	for (k = 1; k < mc->o.nq; k++) {
		if (mc->o.q[k] < mc->o.q[klo])
			klo = k;
		if (mc->o.q[k] > mc->o.q[khi])
			khi = k;
	}
	row = mc->quant + (i * mc->nqty + q) * mc->o.nq;
	*lo = row[klo];
	*hi = row[khi];
	return isfinite(*lo) && isfinite(*hi);
}

int bo__mc_axis_within(const bo_mc *mc, size_t i, const bo_axis *a, double limit, double *out)
{
	const bo_configs *c = mc->c;
	size_t q, d, nd = mc->o.draws, hits = 0;
	int rc;
	*out = NAN;
	if (i >= mc->n || !c->v[i].usable || !a->goal)
		return 0;
	q = axis_qty(mc, a);
	if (q == mc->nqty) {   /* nothing uncertain in it: its value decides */
		double v = bo__axis_value(c, i, a);
		if (!isnan(v))
			*out = (a->goal < 0 ? v <= limit : v >= limit) ? 1.0 : 0.0;
		return 0;
	}
	if ((rc = eval_config(mc, c, i, mc->wk->count)) < 0)
		return rc;
	for (d = 0; d < nd; d++) {
		double v = mc->wk->vals[q * nd + d];
		if (isnan(v))
			return 0;
		hits += a->goal < 0 ? v <= limit : v >= limit;
	}
	*out = (double)hits / (double)nd;
	return 0;
}
