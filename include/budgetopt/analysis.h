/*
 * budgetopt/analysis.h - multi-objective kernels: non-dominated sorting,
 * hypervolume and its per-point contributions, and the cost/performance
 * trade-off of a two-objective front (knee, marginal value of money).
 *
 * Pure functions over flat row-major arrays: n points of d objectives,
 * point i at pts[i*d .. i*d+d-1]. Every objective is MINIMISED; negate a
 * column to maximise it. No allocation is visible to the caller except
 * through documented outputs; the library never prints.
 *
 * Errors: BO_EINVAL for NaN in the input (the message names the point and
 * objective) or a bad argument (d == 0, NULL with n > 0), BO_ENOMEM.
 */
#ifndef BUDGETOPT_ANALYSIS_H
#define BUDGETOPT_ANALYSIS_H

#include <stddef.h>

#include "budgetopt/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pareto dominance used throughout: a dominates b when a is no worse in
 * every objective and strictly better in at least one. Equal points do not
 * dominate each other (duplicates share a rank). Infinities are ordinary
 * values. */

/* Non-dominated sorting into all ranks: rank[i] = 0 for the points no other
 * point dominates, 1 for those dominated only by rank-0 points, and so on.
 * O(n log n) for d = 2, a dimension sweep for d = 3, a general algorithm
 * beyond. *nranks (may be NULL) gets the number of ranks (0 when n = 0).
 * Returns 0, BO_EINVAL, BO_ENOMEM. */
BO_API int bo_ndsort(const double *pts, size_t n, size_t d, int *rank, size_t *nranks);

/* The non-dominated points only (rank 0), faster than a full sort:
 * keep[i] = 1 if point i is non-dominated, else 0. *nkept (may be NULL)
 * gets their number. Returns 0, BO_EINVAL, BO_ENOMEM. */
BO_API int bo_nondominated(const double *pts, size_t n, size_t d, unsigned char *keep, size_t *nkept);

/* Hypervolume dominated by the points and bounded by the reference point
 * ref (d values): the measure of { x : some point p <= x < ref }. Points
 * that do not strictly dominate ref in every objective contribute nothing
 * and are counted in *ndiscarded (may be NULL). Exact: O(n log n) for
 * d = 2 and 3, WFG (While et al. 2012) for d >= 4. Returns 0 (with *out =
 * 0 when no point counts), BO_EINVAL, BO_ENOMEM. */
BO_API int bo_hypervolume(const double *pts, size_t n, size_t d, const double *ref, double *out,
		   size_t *ndiscarded);

/* Exclusive hypervolume contribution of each point: contrib[i] = HV(all) -
 * HV(all but i). Dominated points and duplicates contribute 0; points not
 * strictly dominating ref contribute 0. Dominated points still limit the
 * contribution of the points that dominate them (removing i brings back
 * what only i dominated), as in moocore's R documentation; moocore's
 * command-line hv ignores them. Returns 0, BO_EINVAL, BO_ENOMEM. */
BO_API int bo_hv_contributions(const double *pts, size_t n, size_t d, const double *ref,
			double *contrib);

/* One point of a two-objective cost/performance front. */
typedef struct bo_front_step {
	size_t index;      /* the point's index in the input */
	double cost;       /* as given */
	double perf;       /* as given (larger is better) */
	double marginal;   /* (perf - perf of the previous step) / (cost - its cost); NaN for the first */
} bo_front_step;

/* The cost/performance front of n configurations (cost minimised, perf
 * maximised), in increasing cost: only points that no other point beats on
 * both (ties on both keep the lowest index). steps must hold n entries;
 * *nsteps gets how many were written. *knee gets the position in steps of
 * the knee: the step farthest above the straight line between the cheapest
 * and the best-performing step (on the side of more performance for the
 * cost), in coordinates scaled to [0, 1] (Das 1999's normal-boundary
 * distance; the two ends never count and ties go to the cheaper step;
 * (size_t)-1 when fewer than 3 steps or when no step lies above the line:
 * a straight-line or concave front has no knee). Returns 0,
 * BO_EINVAL (NaN), BO_ENOMEM. */
BO_API int bo_front2(const double *cost, const double *perf, size_t n, bo_front_step *steps,
	      size_t *nsteps, size_t *knee);

/* Where extra budget stops paying: the smallest position s >= 1 in steps
 * (from bo_front2) such that steps s, s+1, ..., nsteps-1 each buy less than
 * threshold performance per unit of money (their marginal), so step s is
 * the first upgrade not worth buying and s-1 the last one that is. A NaN
 * marginal counts as paying. Returns nsteps when every step pays. */
BO_API size_t bo_front2_saturation(const bo_front_step *steps, size_t nsteps, double threshold);

#ifdef __cplusplus
}
#endif
#endif
