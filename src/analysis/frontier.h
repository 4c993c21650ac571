/*
 * analysis/frontier.h - the feasible Pareto frontier of a set of
 * configurations over chosen axes: which ones, in what order, the
 * hypervolume with its reference point, the knee and the marginal value
 * curve of a two-axis frontier. Shared by `frontier`, `report` and `serve`.
 *
 * Pure: no I/O.
 */
#ifndef BO_ANALYSIS_FRONTIER_H
#define BO_ANALYSIS_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/configs.h"

#define BO_FRONTIER_MAX_AXES 8
#define BO_FRONTIER_REF_MARGIN 0.1   /* default reference: worst + 10% of the range */

typedef struct bo_frontier {
	/* Set by the caller before bo__frontier_compute. */
	bo_axis ax[BO_FRONTIER_MAX_AXES];
	size_t d;
	double threshold;      /* marginal value below which a step stops paying; NaN: none */
	int has_ref;           /* 1: ref (in the axes' own orientation) is given */
	double ref[BO_FRONTIER_MAX_AXES];
	/* Results. */
	size_t *idx;           /* configurations on the axes: usable, feasible, finite values */
	size_t n;
	int *rank;             /* non-dominated rank of idx[i] */
	size_t *front;         /* frontier configurations, best first on axis 0 */
	size_t nfront;
	double hv;             /* hypervolume of the frontier w.r.t. ref */
	int64_t knee;          /* id of the knee (two axes, >= 3 points), or -1 */
	double *marginal;      /* per configuration: performance per unit of cost over
				  the next cheaper frontier point; NaN */
	size_t pa, ca;         /* which axis is performance, which cost */
	int64_t saturation;    /* id of the first step that stops paying, or -1 */
} bo_frontier;

/* Prepares fr (no axes). */
void bo__frontier_init(bo_frontier *fr);
void bo__frontier_clear(bo_frontier *fr);

/* Axes from a spec "a,+b,-c" (see bo__axis_parse), or the study's
 * objectives (one objective: it and the search cost; none: the score and
 * the cost). Return 0 or BO_EINVAL with a message. */
int bo__frontier_parse_axes(const bo_configs *c, const char *spec, bo_frontier *fr);
int bo__frontier_default_axes(const bo_configs *c, bo_frontier *fr);

/* Computes everything from the axes. Returns 0, BO_EINVAL, BO_ENOMEM. */
int bo__frontier_compute(const bo_configs *c, bo_frontier *fr);

/* 1 if configuration i is on the frontier. */
int bo__frontier_on(const bo_frontier *fr, size_t i);

/* Why configuration i is not on the frontier: *status "failed", "pruned",
 * "infeasible" or "dominated", and a reason. */
void bo__frontier_why(const bo_configs *c, const bo_frontier *fr, size_t i, const char **status,
		      char *why, size_t size);

#endif
