/*
 * runner/pruner.h - deciding, from intermediate reports, that a running
 * trial is not worth finishing.
 *
 * The runner feeds every {"step": k, "metrics": {...}} report of a trial
 * (with its live cost so far) and every finished trial to the pruner; the
 * pruner answers "go on" or "stop, because ...". It is pure: no clock, no
 * files, no randomness; the same reports give the same decisions. It never
 * stops a trial itself: the runner does, through the executor.
 *
 * Values are handed over as reported; the pruner turns each into "larger
 * is better" with the goals of the spec (core/model.h: bo_pruner_spec).
 */
#ifndef BO_RUNNER_PRUNER_H
#define BO_RUNNER_PRUNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_pruner bo_pruner;

/* Why a trial was stopped: the rule and the numbers that decided. */
typedef struct bo_prune_decision {
	int prune;             /* 1: stop the trial */
	int64_t step;          /* the step of the report that decided */
	const char *rule;      /* "median", "asha", ... (static) */
	char detail[320];      /* one line: the numbers compared */
} bo_prune_decision;

/* A pruner for spec (copied; kind BO_PRUNER_NONE gives one that never
 * stops a trial). Returns 0 and *out, BO_EINVAL, BO_ENOMEM. */
int bo__pruner_new(bo_pruner **out, const bo_pruner_spec *spec);
void bo__pruner_free(bo_pruner *p);

/* Trial id reported step with the spec's metrics in values (spec->nmetrics
 * of them, as reported; NaN where missing) and its cost so far (NaN when
 * unknown). Fills *d (d->prune 1: stop it). A report of a trial already
 * told to stop, or finished, is ignored. Returns 0 or BO_ENOMEM. */
int bo__pruner_report(bo_pruner *p, int64_t id, int64_t step, const double *values, double cost,
		      bo_prune_decision *d);

/* Trial id finished in state (bo_trial_state) with its final values of the
 * spec's metrics (NULL or NaN where none) and its charged cost. Only
 * complete trials become incumbents and medians. Returns 0 or BO_ENOMEM. */
int bo__pruner_finish(bo_pruner *p, int64_t id, int state, const double *values, double cost);

/* Replays a stored report of a finished trial (a resumed study): recorded
 * as bo__pruner_report would (values, rung values) but nothing is decided.
 * Call before bo__pruner_finish for that trial. Returns 0 or BO_ENOMEM. */
int bo__pruner_replay(bo_pruner *p, int64_t id, int64_t step, const double *values);

/* The rule's name as the reasons write it ("median", "asha", ...; "none"). */
const char *bo__pruner_rule_name(int kind);

/* Hyperband: the bracket of trial id (0: the most aggressive, first rung at
 * min_step), and the number of brackets; -1 for other rules. */
int bo__pruner_bracket(const bo_pruner *p, int64_t id, int *nbrackets);

/* ASHA and Hyperband: the step of rung i of bracket b, or 0 past the last. */
int64_t bo__pruner_rung_step(const bo_pruner *p, int b, int i);

#endif
