/*
 * analysis/robust.h - robust aggregates of a configuration across
 * scenarios (issue 10 item 4): mean, worst, cvar(alpha), spread, regret.
 *
 * Values travel as a flat row-major table v of n configurations by k
 * scenarios (one value per configuration and scenario: the mean of its
 * repeats), with k scenario weights w (normalised here; NULL: equal).
 * goal is +1 when higher values are better, -1 when lower are.
 *   mean          sum_s w_s v_s
 *   worst         min_s v_s (goal +1), max_s v_s (goal -1)
 *   cvar(alpha)   the weighted mean of the worst alpha share of the
 *                 weight (the boundary scenario counted in part)
 *   spread        max_s v_s - min_s v_s                  (lower is better)
 *   regret        max_s goal * (best_s - v_s), best_s the best value of
 *                 any configuration with a value under every
 *                 scenario, under scenario s             (lower is better)
 * A configuration missing a scenario's value (NaN) gets NaN.
 *
 * Pure: no files, no clock, no global state.
 */
#ifndef BO_ANALYSIS_ROBUST_H
#define BO_ANALYSIS_ROBUST_H

#include <stddef.h>

enum { BO_ROBUST_MEAN, BO_ROBUST_WORST, BO_ROBUST_CVAR, BO_ROBUST_SPREAD, BO_ROBUST_REGRET };

typedef struct bo_robust {
	int kind;             /* BO_ROBUST_* */
	double alpha;         /* cvar: the share, in (0, 1] */
} bo_robust;

/* Parses "mean", "worst", "cvar:0.2" (or "cvar(0.2)"), "spread", "regret".
 * Returns 0, or BO_EINVAL with a message naming what is accepted. */
int bo__robust_parse(const char *text, bo_robust *out);

/* The goal of the aggregate of a metric with goal: goal itself for mean,
 * worst and cvar; -1 (lower is better) for spread and regret. */
int bo__robust_goal(const bo_robust *r, int goal);

/* Aggregates each of the n rows of v (k scenarios each) into out (n).
 * Returns 0, BO_EINVAL (k == 0, a weight < 0 or all 0, alpha outside
 * (0, 1]), BO_ENOMEM. */
int bo__robust_aggregate(const bo_robust *r, const double *v, size_t n, size_t k, const double *w,
			 int goal, double *out);

#endif
