/*
 * analysis/frontier.c - the feasible Pareto frontier of configurations over
 * chosen axes, its hypervolume, knee and marginal value curve.
 *
 * Pure: no I/O. Every axis is turned to minimisation inside (maximised
 * axes negated); what comes out is in the axes' own orientation.
 */
#include "analysis/frontier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"

void bo__frontier_init(bo_frontier *fr)
{
	memset(fr, 0, sizeof *fr);
	fr->threshold = NAN;
	fr->knee = fr->saturation = -1;
}

void bo__frontier_clear(bo_frontier *fr)
{
	bo__free(fr->idx);
	bo__free(fr->rank);
	bo__free(fr->front);
	bo__free(fr->marginal);
	fr->idx = fr->front = NULL;
	fr->rank = NULL;
	fr->marginal = NULL;
	fr->n = fr->nfront = 0;
}

int bo__frontier_parse_axes(const bo_configs *c, const char *spec, bo_frontier *fr)
{
	char buf[1024], *tok, *save = NULL;
	if (strlen(spec) >= sizeof buf)
		return bo__error(BO_EINVAL, "--objectives is too long");
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (fr->d == BO_FRONTIER_MAX_AXES)
			return bo__error(BO_EINVAL, "at most %d objectives", BO_FRONTIER_MAX_AXES);
		if (bo__axis_parse(c, tok, &fr->ax[fr->d]) < 0) {
			bo__error_prefix("--objectives");
			return BO_EINVAL;
		}
		fr->d++;
	}
	if (fr->d < 2)
		return bo__error(BO_EINVAL, "--objectives needs at least two axes, such as +accuracy,cost");
	return 0;
}

int bo__frontier_default_axes(const bo_configs *c, bo_frontier *fr)
{
	const bo_study *s = c->s;
	size_t i;
	for (i = 0; i < s->nobjectives && i < BO_FRONTIER_MAX_AXES; i++)
		bo__axis_objective(s, i, &fr->ax[fr->d++]);
	if (fr->d == 0 && s->score) {
		bo__axis_parse(c, "score", &fr->ax[fr->d++]);
	}
	if (fr->d == 1) {
		if (c->catalog)
			return bo__error(BO_EINVAL, "a catalog has no search cost: give two axes with --objectives");
		bo__axis_parse(c, "cost", &fr->ax[fr->d++]);
	}
	if (fr->d == 0)
		return bo__error(BO_EINVAL, "the study has no objectives and no score: give axes with --objectives");
	return 0;
}

/* Oriented for minimisation. */
static double minv(const bo_configs *c, const bo_frontier *fr, size_t i, size_t k)
{
	return bo__axis_value(c, i, &fr->ax[k]) * -fr->ax[k].goal;
}

static int cmp_first_axis(const void *a, const void *b, void *ud)
{
	void **u = ud;
	const bo_configs *c = u[0];
	const bo_frontier *fr = u[1];
	size_t i = *(const size_t *)a, j = *(const size_t *)b, k;
	for (k = 0; k < fr->d; k++) {
		double x = minv(c, fr, i, k), y = minv(c, fr, j, k);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return c->v[i].id < c->v[j].id ? -1 : c->v[i].id > c->v[j].id;
}

int bo__frontier_compute(const bo_configs *c, bo_frontier *fr)
{
	double *pts = NULL, *fp = NULL;
	size_t i, k;
	int rc = BO_ENOMEM;
	void *ud[2];

	fr->idx = bo__calloc(c->n + 1, sizeof *fr->idx);
	fr->front = bo__calloc(c->n + 1, sizeof *fr->front);
	fr->rank = bo__calloc(c->n + 1, sizeof *fr->rank);
	pts = bo__calloc((c->n + 1) * fr->d, sizeof *pts);
	fp = bo__calloc((c->n + 1) * fr->d, sizeof *fp);
	if (!fr->idx || !fr->front || !fr->rank || !pts || !fp)
		goto done;
	for (i = 0; i < c->n; i++) {
		int ok = c->v[i].usable && c->v[i].feasible == 1;
		for (k = 0; ok && k < fr->d; k++)
			ok = isfinite(bo__axis_value(c, i, &fr->ax[k]));
		if (!ok)
			continue;
		for (k = 0; k < fr->d; k++)
			pts[fr->n * fr->d + k] = minv(c, fr, i, k);
		fr->idx[fr->n++] = i;
	}
	if ((rc = bo_ndsort(pts, fr->n, fr->d, fr->rank, NULL)) < 0)
		goto done;
	for (i = 0; i < fr->n; i++)
		if (fr->rank[i] == 0)
			fr->front[fr->nfront++] = fr->idx[i];
	ud[0] = (void *)c;
	ud[1] = fr;
	qsort_r(fr->front, fr->nfront, sizeof *fr->front, cmp_first_axis, ud);

	/* Reference point, in the axes' own orientation. */
	for (k = 0; k < fr->d; k++) {
		double lo = INFINITY, hi = -INFINITY;
		for (i = 0; i < fr->nfront; i++) {
			double v = minv(c, fr, fr->front[i], k);
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
		/* An empty frontier has no worst point to put a reference after. */
		if (!fr->has_ref)
			fr->ref[k] = fr->nfront == 0 ? NAN
				     : (hi + (hi > lo ? BO_FRONTIER_REF_MARGIN * (hi - lo) : 1.0)) * -fr->ax[k].goal;
	}
	if (fr->nfront == 0) {
		fr->hv = 0;
	} else {
		double ref[BO_FRONTIER_MAX_AXES];
		for (k = 0; k < fr->d; k++)
			ref[k] = fr->ref[k] * -fr->ax[k].goal;
		for (i = 0; i < fr->nfront; i++)
			for (k = 0; k < fr->d; k++)
				fp[i * fr->d + k] = minv(c, fr, fr->front[i], k);
		if ((rc = bo_hypervolume(fp, fr->nfront, fr->d, ref, &fr->hv, NULL)) < 0)
			goto done;
	}
	/* The knee of a two-axis frontier: perf is the maximised axis (the
	 * first when both or neither are), cost the other. */
	fr->knee = -1;
	fr->saturation = -1;
	fr->marginal = bo__calloc(c->n + 1, sizeof *fr->marginal);
	if (!fr->marginal) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < c->n; i++)
		fr->marginal[i] = NAN;
	fr->pa = (fr->ax[0].goal > 0 || fr->ax[1 % fr->d].goal < 0) ? 0 : 1;
	fr->ca = 1 - fr->pa;
	if (fr->d == 2 && fr->nfront >= 1) {
		size_t pa = fr->pa, ca = fr->ca, nsteps, knee;
		double *cost = bo__calloc(fr->nfront, sizeof *cost), *perf = bo__calloc(fr->nfront, sizeof *perf);
		bo_front_step *steps = bo__calloc(fr->nfront, sizeof *steps);
		if (!cost || !perf || !steps) {
			bo__free(cost);
			bo__free(perf);
			bo__free(steps);
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < fr->nfront; i++) {
			cost[i] = minv(c, fr, fr->front[i], ca);
			perf[i] = -minv(c, fr, fr->front[i], pa);
		}
		if (bo_front2(cost, perf, fr->nfront, steps, &nsteps, &knee) == 0) {
			if (knee != (size_t)-1)
				fr->knee = c->v[fr->front[steps[knee].index]].id;
			/* Marginals are per unit of the cost axis as reported. */
			for (i = 0; i < nsteps; i++)
				fr->marginal[fr->front[steps[i].index]] = steps[i].marginal;
			/* bo_front2 keeps one of several equal points; the others
			 * are the same trade-off and get the same marginal. */
			for (i = 0; i < fr->nfront; i++) {
				size_t j;
				for (j = 0; j < nsteps; j++)
					if (steps[j].cost == cost[i] && steps[j].perf == perf[i])
						fr->marginal[fr->front[i]] = steps[j].marginal;
			}
			if (!isnan(fr->threshold)) {
				size_t sat = bo_front2_saturation(steps, nsteps, fr->threshold);
				if (sat < nsteps)
					fr->saturation = c->v[fr->front[steps[sat].index]].id;
			}
		}
		bo__free(cost);
		bo__free(perf);
		bo__free(steps);
	}
	rc = 0;
done:
	bo__free(pts);
	bo__free(fp);
	return rc;
}

/* Why configuration i is not on the frontier. */
void bo__frontier_why(const bo_configs *cs, const bo_frontier *fr, size_t i, const char **status,
		      char *why, size_t size)
{
	const bo_config *c = &cs->v[i];
	size_t k, j;
	if (!c->usable) {
		/* why starts with the trial's state (analysis/configs.c) */
		*status = c->why && !strncmp(c->why, "pruned", 6) ? "pruned" : "failed";
		snprintf(why, size, "%s", c->why ? c->why : "not complete");
		return;
	}
	if (c->feasible != 1) {
		*status = "infeasible";
		snprintf(why, size, "%s", c->why ? c->why : "breaks a guardrail");
		return;
	}
	for (k = 0; k < fr->d; k++) {
		if (!isfinite(bo__axis_value(cs, i, &fr->ax[k]))) {
			*status = "failed";
			snprintf(why, size, "no value for %s", fr->ax[k].name);
			return;
		}
	}
	*status = "dominated";
	snprintf(why, size, "dominated");
	for (j = 0; j < fr->nfront; j++) {
		size_t f = fr->front[j];
		int no_worse = 1, better = 0;
		for (k = 0; k < fr->d; k++) {
			double a = minv(cs, fr, f, k), b = minv(cs, fr, i, k);
			no_worse &= a <= b;
			better |= a < b;
		}
		if (no_worse && better) {
			snprintf(why, size, "dominated by %lld", (long long)cs->v[f].id);
			return;
		}
	}
	if (fr->nfront && !isnan(bo__axis_value(cs, i, &fr->ax[0])))
		snprintf(why, size, "equal to a frontier configuration");
}

int bo__frontier_on(const bo_frontier *fr, size_t i)
{
	size_t j;
	for (j = 0; j < fr->nfront; j++)
		if (fr->front[j] == i)
			return 1;
	return 0;
}
