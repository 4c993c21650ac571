/*
 * samplers/space.c - from the unit cube to configurations, and the
 * conditions and constraints every sampler shares.
 *
 * bo__space_from_unit maps u in [0,1)^nparams to parameter values (log
 * scales, integer rounding, grids, labels) and applies conditions;
 * bo__space_sample draws candidates from a sampler's source until one
 * satisfies the configuration constraints (rejection sampling).
 *
 * Pure: no I/O, no clock, no globals. Must never propose a point that
 * breaks a constraint, and never set a value for a parameter whose
 * condition is false.
 */
#include <math.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/internal.h"

/* Candidates one ask may reject before it gives up with BO_DONE. */
#define BO__SPACE_MAX_TRIES 10000
/* Relative slack when counting the points of a grid: (hi - lo) / step in
 * floating point may land just below an exact integer (0.3 / 0.1). */
#define GRID_COUNT_TOL 1e-9
/* Grids with more points than doubles can count exactly are continuous. */
#define GRID_MAX_POINTS 9007199254740992.0 /* 2^53 */


static double clamp(double v, double lo, double hi)
{
	if (!(v >= lo)) /* also NaN */
		return lo;
	if (v > hi)
		return hi;
	return v;
}

/* Index floor(u * n) of one of n equal cells, clamped to 0..n-1. */
static double cell(double u, double n)
{
	double k = floor(u * n);
	return clamp(k, 0.0, n - 1.0);
}

/* A value on the grid lo, lo + step, ... <= hi; on a log scale the grid
 * point nearest a log-uniform draw over [lo - step/2, top + step/2]
 * (ints without a step use step 1: a log-uniform draw over lo - 0.5 ..
 * hi + 0.5, rounded), uniform over the grid points otherwise. */
static double grid_from_unit(const bo_param *p, double step, double u)
{
	double r = (p->hi - p->lo) / step;
	double npts = floor(r + GRID_COUNT_TOL * (1.0 + r)) + 1.0;
	double k;

	if (!(npts >= 1.0))
		npts = 1.0;
	if (npts > GRID_MAX_POINTS)
		npts = GRID_MAX_POINTS;
	if (!p->log) {
		k = cell(u, npts);
	} else {
		double top = p->lo + (npts - 1.0) * step;
		double a = p->lo - step / 2, b = top + step / 2, w;
		if (!(a > 0.0))
			a = p->lo;   /* the lowest point then has half weight */
		w = exp(log(a) + u * (log(b) - log(a)));
		k = clamp(round((w - p->lo) / step), 0.0, npts - 1.0);
	}
	return clamp(p->lo + k * step, p->lo, p->hi);
}

static double param_from_unit(const bo_param *p, double u)
{
	u = clamp(u, 0.0, 1.0);
	switch (p->type) {
	case BO_PT_CHOICE:
	case BO_PT_ORDINAL:
		return cell(u, (double)(p->nchoices ? p->nchoices : 1));
	case BO_PT_INT:
		return grid_from_unit(p, p->step > 0 ? p->step : 1.0, u);
	case BO_PT_FLOAT:
	default:
		if (p->step > 0)
			return grid_from_unit(p, p->step, u);
		if (p->log)
			return clamp(exp(log(p->lo) + u * (log(p->hi) - log(p->lo))), p->lo, p->hi);
		return clamp(p->lo + u * (p->hi - p->lo), p->lo, p->hi);
	}
}

/* The unit coordinate of value v of parameter p: the inverse of
 * param_from_unit, to the centre of the cell for labels and grids. */
static double param_to_unit(const bo_param *p, double v)
{
	double u;
	switch (p->type) {
	case BO_PT_CHOICE:
	case BO_PT_ORDINAL:
		return (v + 0.5) / (double)(p->nchoices ? p->nchoices : 1);
	default:
		break;
	}
	if (p->hi <= p->lo)
		return 0.5;
	if (p->type == BO_PT_INT || p->step > 0) {
		/* Mirror grid_from_unit: the centre of the value's cell. */
		double step = p->step > 0 ? p->step : 1.0;
		double r = (p->hi - p->lo) / step;
		double npts = floor(r + GRID_COUNT_TOL * (1.0 + r)) + 1.0;
		double k = round((v - p->lo) / step);
		if (npts > GRID_MAX_POINTS)
			npts = GRID_MAX_POINTS;
		if (!p->log)
			return clamp((k + 0.5) / npts, 0.0, 1.0);
		{
			double top = p->lo + (npts - 1.0) * step;
			double a = p->lo - step / 2, b = top + step / 2, w = p->lo + k * step;
			if (!(a > 0.0))
				a = p->lo;
			/* Midpoint in log space of the cell that rounds to k. */
			double wl = fmax(a, w - step / 2), wh = fmin(b, w + step / 2);
			u = (0.5 * (log(wl) + log(wh)) - log(a)) / (log(b) - log(a));
			return clamp(u, 0.0, 1.0);
		}
	}
	if (p->log && p->lo > 0 && v > 0)
		u = (log(v) - log(p->lo)) / (log(p->hi) - log(p->lo));
	else
		u = (v - p->lo) / (p->hi - p->lo);
	return clamp(u, 0.0, 1.0);
}

void bo__space_to_unit(const bo_study *s, const double *x, double *u)
{
	size_t i;
	for (i = 0; i < s->nparams; i++)
		u[i] = isnan(x[i]) ? NAN : param_to_unit(&s->params[i], x[i]);
}

/*
 * The study's expression environment, except that reading an inactive
 * (NaN) parameter fails and is remembered: a condition whose value is
 * missing because of an inactive parameter (core/expr.h's three-valued
 * logic: "x > 1 or true" is still true) is false, such a constraint is
 * satisfied.
 */
typedef struct space_env {
	const bo_study *s;
	const double *x;
	bo_expr_env inner;
	int inactive_hit;
} space_env;

static int env_get(void *ud, const bo_sym *sym, bo_xval *out)
{
	space_env *e = ud;
	if (sym->kind == BO_SYM_PARAM) {
		if (sym->index < 0 || (size_t)sym->index >= e->s->nparams ||
		    isnan(e->x[sym->index])) {
			e->inactive_hit = 1;
			return BO_ENOTFOUND;
		}
	}
	return e->inner.get(e->inner.ud, sym, out);
}

static int env_price_key(void *ud, int index, const char *key, double *out)
{
	space_env *e = ud;
	return e->inner.price_key(e->inner.ud, index, key, out);
}

/* se over x for the expressions of s, through ctx (which must outlive
 * se); x may still be filling: se reads each value as it is assigned. */
static void env_init(space_env *se, bo_eval_ctx *ctx, const bo_study *s, const double *x)
{
	ctx->study = s;
	ctx->x = x;
	ctx->metrics = NULL;
	ctx->derived = NULL;
	se->s = s;
	se->x = x;
	bo__study_env(ctx, &se->inner);
}

/* Evaluates e; *truth is 1 when it is true (non-zero, not NaN). When it
 * touches an inactive parameter, *truth = if_inactive. Other evaluation
 * errors are returned. */
static int eval_truth(space_env *se, const bo_expr *e, int if_inactive, int *truth)
{
	bo_expr_env env;
	double v = NAN;
	int rc;

	env.ud = se;
	env.get = env_get;
	env.price_key = env_price_key;
	se->inactive_hit = 0;
	rc = bo__expr_eval(e, &env, &v);
	if (rc < 0 && se->inactive_hit) {
		*truth = if_inactive;
		return 0;
	}
	if (rc < 0)
		return rc;
	*truth = !isnan(v) && v != 0.0;
	return 0;
}

int bo__space_from_unit(const bo_study *s, const double *u, double *x)
{
	bo_eval_ctx ctx;
	space_env se;
	size_t i;
	int rc = 0, have_env = 0, active;

	for (i = 0; i < s->nparams; i++)
		x[i] = NAN;
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		if (p->when) {
			if (!have_env) {
				/* x is filled in place, so one environment over
				 * it sees every value assigned so far. */
				env_init(&se, &ctx, s, x);
				have_env = 1;
			}
			rc = eval_truth(&se, p->when, 0, &active);
			if (rc < 0) {
				bo__error_prefix(p->name);
				goto done;
			}
			if (!active)
				continue;   /* its coordinate u[i] goes unused */
		}
		x[i] = param_from_unit(p, u[i]);
	}
done:
	return rc;
}

/* Checks x against every constraint; *ok = 1 when all hold. counts[i]
 * (when counts is not NULL) is incremented for each constraint x breaks. */
static int check_constraints(const bo_study *s, const double *x, size_t *counts, int *ok)
{
	bo_eval_ctx ctx;
	space_env se;
	size_t i;
	int rc = 0, holds;

	*ok = 1;
	if (s->nconstraints == 0)
		goto done;
	env_init(&se, &ctx, s, x);
	for (i = 0; i < s->nconstraints; i++) {
		rc = eval_truth(&se, s->constraints[i].expr, 1, &holds);
		if (rc < 0) {
			bo__error_prefix(s->constraints[i].text);
			goto done;
		}
		if (!holds) {
			*ok = 0;
			if (!counts)
				break;
			counts[i]++;   /* go on: count every constraint it breaks */
		}
	}
done:
	return rc;
}

/*
 * Rejection sampling: draw u from the sampler's source, map it, keep the
 * first point that satisfies every constraint. u (nparams) and counts
 * (nconstraints, may be NULL without constraints) are the caller's
 * workspace. Returns 0 with x set, BO_DONE after BO__SPACE_MAX_TRIES
 * rejections (x all NaN; the message names the constraint that rejected
 * most), or
 * the error of draw or of an expression.
 */
int bo__space_sample(const bo_study *s, bo__space_draw_fn draw, void *ud, double *u,
		     size_t *counts, double *x)
{
	size_t i, worst = 0;
	int rc = 0, tries, ok = 0;

	for (i = 0; counts && i < s->nconstraints; i++)
		counts[i] = 0;
	for (tries = 0; tries < BO__SPACE_MAX_TRIES; tries++) {
		rc = draw(ud, u);
		if (rc < 0)
			goto done;
		rc = bo__space_from_unit(s, u, x);
		if (rc < 0)
			goto done;
		rc = check_constraints(s, x, counts, &ok);
		if (rc < 0)
			goto done;
		if (ok)
			goto done;
	}
	for (i = 0; i < s->nparams; i++)
		x[i] = NAN;   /* never hand out the rejected point */
	for (i = 1; counts && i < s->nconstraints; i++)
		if (counts[i] > counts[worst])
			worst = i;
	rc = bo__error(BO_DONE,
		       "configuration constraints rejected %d candidate points; "
		       "most rejections by \"%s\"",
		       BO__SPACE_MAX_TRIES,
		       s->nconstraints ? s->constraints[worst].text : "");
done:
	return rc;
}
