/*
 * analysis/select.c - the parts of a selection rule that are not a plain
 * sort: lexicographic order with a tolerance per axis, which axis decided
 * between two configurations, and how far one misses a limit.
 *
 * Lexicographic with tolerances (Chankong & Haimes 1983, "Multiobjective
 * Decision Making", sec. 4.3: "lexicographic with allowable deviation"):
 * on axis k keep the configurations within tol[k] of the best of those
 * still in, then go on with axis k+1. It is not a pairwise order (being
 * within a tolerance is not transitive), so the winner is found by this
 * filtering, again for second place among the rest, and so on.
 *
 * Pure: no I/O. Must never admit a configuration bo__select_order did not.
 */
#include <math.h>
#include <string.h>

#include "analysis/configs.h"
#include "core/alloc.h"
#include "core/error.h"

/* v oriented so that larger is better. */
static double oriented(const bo_configs *c, const bo_axis *a, size_t i)
{
	return bo__axis_value(c, i, a) * a->goal;
}

/* The position in order[from..n) of the winner among those positions. */
static size_t winner(const bo_configs *c, const bo_select_rule *r, const size_t *order, size_t from,
		     size_t n, unsigned char *in)
{
	size_t i, k, w = n;
	for (i = from; i < n; i++)
		in[i] = 1;
	for (k = 0; k < r->nlex; k++) {
		double best = -INFINITY;
		for (i = from; i < n; i++)
			if (in[i] && oriented(c, &r->lex[k], order[i]) > best)
				best = oriented(c, &r->lex[k], order[i]);
		for (i = from; i < n; i++)
			if (in[i] && oriented(c, &r->lex[k], order[i]) < best - r->tol[k])
				in[i] = 0;
	}
	/* order is in exact lexicographic order: the first one left wins */
	for (i = from; i < n && w == n; i++)
		if (in[i])
			w = i;
	return w;
}

int bo__select_tolerance(const bo_configs *c, const bo_select_rule *r, size_t *order, size_t n)
{
	unsigned char *in;
	size_t p, k, top = n < BO_SELECT_TOL_TOP ? n : BO_SELECT_TOL_TOP;
	int any = 0;
	for (k = 0; k < r->nlex; k++)
		any |= r->tol[k] > 0;
	if (!any || n < 2)
		return 0;
	if (!(in = bo__calloc(n, 1)))
		return bo__error(BO_ENOMEM, "out of memory ordering %zu configurations", n);
	for (p = 0; p < top; p++) {
		size_t w = winner(c, r, order, p, n, in), t = order[w];
		/* move the winner to p, keeping the rest in exact order */
		memmove(order + p + 1, order + p, (w - p) * sizeof *order);
		order[p] = t;
	}
	bo__free(in);
	return 0;
}

/* 1 if a and b differ on axis x by more than tol. */
static int differ(const bo_configs *c, const bo_axis *x, size_t a, size_t b, double tol)
{
	return fabs(oriented(c, x, a) - oriented(c, x, b)) > tol;
}

const char *bo__select_decider(const bo_configs *c, const bo_select_rule *r, size_t a, size_t b)
{
	size_t k;
	bo_axis score;
	switch (r->rule) {
	case BO_SELECT_SCORE:
		memset(&score, 0, sizeof score);
		score.kind = BO_AXIS_SCORE;
		score.goal = 1;
		if (differ(c, &score, a, b, 0))
			return "score";
		if (r->cost.goal && differ(c, &r->cost, a, b, 0))
			return r->cost.name;
		break;
	case BO_SELECT_MAX_COST:
	case BO_SELECT_BOTH:
		if (differ(c, &r->perf, a, b, 0))
			return r->perf.name;
		if (differ(c, &r->cost, a, b, 0))
			return r->cost.name;
		break;
	case BO_SELECT_MIN_PERF:
		if (differ(c, &r->cost, a, b, 0))
			return r->cost.name;
		if (differ(c, &r->perf, a, b, 0))
			return r->perf.name;
		break;
	case BO_SELECT_LEX:
		for (k = 0; k < r->nlex; k++)
			if (differ(c, &r->lex[k], a, b, r->tol[k]))
				return r->lex[k].name;
		/* within every tolerance: the exact values decided, then the id */
		for (k = 0; k < r->nlex; k++)
			if (differ(c, &r->lex[k], a, b, 0))
				return r->lex[k].name;
		break;
	}
	return "id";
}

double bo__select_miss(const bo_configs *c, const bo_select_rule *r, size_t i, double *over_cost,
		       double *short_perf)
{
	double oc = 0, sp = 0, cv = bo__axis_value(c, i, &r->cost), pv = bo__axis_value(c, i, &r->perf);
	double climit = r->limit, plimit = r->rule == BO_SELECT_BOTH ? r->limit_perf : r->limit;
	int use_cost = r->rule == BO_SELECT_MAX_COST || r->rule == BO_SELECT_BOTH;
	int use_perf = r->rule == BO_SELECT_MIN_PERF || r->rule == BO_SELECT_BOTH;
	*over_cost = *short_perf = 0;
	if ((use_cost && !isfinite(cv)) || (use_perf && !isfinite(pv)))
		return NAN;
	if (use_cost)
		oc = fmax(0, (cv - climit) * -r->cost.goal);
	if (use_perf)
		sp = fmax(0, (plimit - pv) * r->perf.goal);
	*over_cost = oc;
	*short_perf = sp;
	return (climit != 0 ? oc / fabs(climit) : oc) + (plimit != 0 ? sp / fabs(plimit) : sp);
}

int bo__select_default_order(const bo_configs *c, int grouped, double confidence, size_t *order, size_t *n)
{
	bo_select_rule rule;
	bo_noise_cmp *cmp = NULL;
	size_t i;
	int rc;
	*n = 0;
	memset(&rule, 0, sizeof rule);
	rule.rule = BO_SELECT_SCORE;
	if (!c->s->score)
		return bo__error(BO_EINVAL, "the study has no score");
	if ((rc = bo__axis_parse(c, "cost", &rule.cost)) < 0 || (rc = bo__select_order(c, &rule, order, n)) < 0)
		return rc;
	/* repeats: among the best and those within its noise, the cheapest */
	for (i = 0; grouped && i < c->n && c->v[i].nrep < 2; i++)
		;
	if (*n && i < c->n && grouped) {
		if (!(cmp = bo__calloc(*n, sizeof *cmp)))
			return bo__error(BO_ENOMEM, "out of memory");
		if (bo__select_noise(c, &rule, confidence, order, *n, cmp) < 0)
			bo_error_clear();   /* the order by mean score stands */
	}
	bo__free(cmp);
	return 0;
}

size_t bo__select_default(const bo_configs *c, int grouped, double confidence)
{
	size_t *order, n = 0, pick = (size_t)-1;
	if ((order = bo__calloc(c->n + 1, sizeof *order)) &&
	    bo__select_default_order(c, grouped, confidence, order, &n) == 0 && n)
		pick = order[0];
	bo__free(order);
	return pick;
}
