/*
 * analysis/racing.h - successive rejection among the top candidates of a
 * study: after each round of re-evaluations, which candidates to drop
 * (runner/confirm.c runs the rounds; select --reserve and budget: confirm
 * are its users).
 *
 * Pure: no I/O, no clock; the same arms give the same drops.
 */
#ifndef BO_ANALYSIS_RACING_H
#define BO_ANALYSIS_RACING_H

#include <stddef.h>

/* One candidate in the race. mean is oriented (larger is better: the
 * score times its goal); se its standard error over n evaluations (NaN
 * with fewer than two); next_cost what one more evaluation of it is
 * expected to cost. Dropped arms (alive 0) are left alone. */
typedef struct bo_race_arm {
	double mean, se;
	size_t n;
	double next_cost;
	int alive;
} bo_race_arm;

/* Why an arm was dropped. */
enum {
	BO_RACE_NOISE = 1,   /* worse than the leader beyond the noise (Welch) */
	BO_RACE_BUDGET = 2   /* the worst by mean, when the reserve cannot pay a
				round for every arm still in */
};

typedef struct bo_race_drop {
	size_t arm;
	int rule;              /* BO_RACE_NOISE or BO_RACE_BUDGET */
	double half, df;       /* NOISE: Welch's half-width and degrees of freedom */
} bo_race_drop;

/* One decision after a round. The leader is the live arm with the largest
 * mean (NaN means last; ties: the lower index). Every other live arm whose
 * mean is below the leader's beyond the noise at confidence (Welch's
 * two-sided test, bo__noise_welch; arms with n < 2 have no estimate and
 * stay) is dropped by BO_RACE_NOISE; then, while more than one arm is left
 * and their next_cost together exceed left (the money the reserve still
 * has), the worst by mean (ties: the higher index) is dropped by
 * BO_RACE_BUDGET. drops (n entries) gets the drops in that order; *leader
 * the leader's index (n when no arm is alive). Returns the number of drops. */
size_t bo__race_round(const bo_race_arm *a, size_t n, double confidence, double left, size_t *leader,
		      bo_race_drop *drops);

/* Name of a drop rule: "noise", "budget". */
const char *bo__race_rule_name(int rule);

#endif
