/*
 * analysis/scenarios.h - a ledger's trials seen per configuration and
 * scenario (issue 10 item 4), and folded into one entry per configuration
 * for frontier, select and the report.
 *
 * A study with scenarios runs every configuration under each of them; the
 * trials of one configuration under different scenarios are not repeats.
 * The table judges each scenario's trials under the study as that scenario
 * sees it (its inputs and prices: bo__scenario_view) and folds the repeats
 * within a scenario (bo__configs_group). bo__scen_fold then makes one
 * entry per configuration whose values are aggregated across scenarios.
 *
 * Pure: no I/O. The caller reads the ledger.
 */
#ifndef BO_ANALYSIS_SCENARIOS_H
#define BO_ANALYSIS_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/configs.h"
#include "analysis/robust.h"
#include "core/model.h"
#include "core/trial.h"

#define BO_SCEN_NONE ((size_t)-1)

typedef struct bo_scen_table {
	const bo_study *s;
	size_t nsc;                /* scenarios (1: the implicit "default") */
	size_t nrow;               /* configurations: distinct parameter values */
	bo_study **views;          /* nsc: s as scenario k sees it (owned) */
	bo_configs *cs;            /* nsc: scenario k's trials, repeats folded (owned) */
	double *w;                 /* nsc: weights, summing to 1 */
	size_t *at;                /* nrow * nsc: the entry of cs[k] for row j (its
				      usable one when it has one), or BO_SCEN_NONE */
	int *clean;                /* nrow: no trial of it failed or was pruned */
	const char **params_json;  /* nrow: borrowed from cs */
	int64_t *id;               /* nrow: its lowest trial id */
	double *cost;              /* nrow: mean search cost of its trials (NaN: none) */
	size_t *units;             /* nrow: its trials */
	int *judged;               /* nrow: bo__scen_fold's verdict (usable and
				      feasible: 1, else 0), -1 before a fold */
} bo_scen_table;

/* Builds the table of s from n ledger trials (a trial without a scenario
 * counts as "default"), judging each scenario's trials with the extra
 * guardrails and filter as bo__configs_init takes them. Rows are in the
 * order their configuration first appears. Returns 0, BO_EINVAL (a
 * guardrail or filter does not compile), BO_ENOMEM; t is cleared on
 * failure. */
int bo__scen_table_build(bo_scen_table *t, const bo_study *s, const bo_trial_rec *trials, size_t n,
			 const char *const *guardrails, size_t nguardrails, const char *where);
void bo__scen_table_clear(bo_scen_table *t);

/* Row j's entry under scenario k when it is usable, or NULL. */
const bo_config *bo__scen_cell(const bo_scen_table *t, size_t j, size_t k);

/* 1 when row j is a candidate for selection: usable and feasible under
 * every scenario and none of its trials failed; after bo__scen_fold, its
 * verdict (which judges robust guardrails once per configuration). */
int bo__scen_candidate(const bo_scen_table *t, size_t j);

/* How the rows of t cover the scenarios: *all under every scenario, *only
 * under scenario `only` and no other (scenario_policy: promote: the base
 * scenario; BO_SCEN_NONE: count none), *partial under some but not all
 * (those of *only included). A row counts where it has a trial, usable
 * or not. */
void bo__scen_coverage(const bo_scen_table *t, size_t only, size_t *all, size_t *only_n, size_t *partial);

/* Replaces the entries of c (bo__configs_init'ed over t->s with the same
 * guardrails and filter as the table) with one per row of t, in row order,
 * and records each row's verdict in t->judged:
 *   metrics and derived metrics: agg across scenarios of the per-scenario
 *     values, with the goal mgoal[q] / dgoal[q] (NULL: as declared;
 *     minimise when not stated);
 *   score: agg of the per-scenario scores (the score's goal), or, when the
 *     score uses robust functions, the score judged once per configuration;
 *   guardrails: one without robust functions must hold under every
 *     scenario (its margin: the smallest); one with them is judged once per
 *     configuration;
 *   search cost: the mean over the configuration's trials;
 *   usable: usable under every scenario, and no trial failed.
 * Judged once per configuration: a robust call f(x) is f across scenarios
 * of x evaluated on the configuration's means under each scenario (with
 * that scenario's inputs and prices); a name outside robust calls is the
 * weighted mean across scenarios (inputs and prices: the study's own).
 * worst, cvar and regret take the goal of x when x is a metric or derived
 * metric with one; else in a guardrail the side its comparison forbids
 * (large values for "<" and "<=" on the left), in the score its goal.
 * Regret is measured against the best candidate of each scenario (inside a
 * robust call: the best configuration usable under every scenario);
 * configurations that are not candidates get NaN for it. Returns 0,
 * BO_EINVAL, BO_ENOMEM. */
int bo__scen_fold(bo_scen_table *t, const bo_robust *agg, const int *mgoal, const int *dgoal, bo_configs *c);

/* The fold select, status and the dashboard make by default: the weighted
 * mean across scenarios, goals as declared (bo__scen_fold with
 * BO_ROBUST_MEAN). BO_SCEN_DEFAULT_FOLD names it. Returns as bo__scen_fold. */
#define BO_SCEN_DEFAULT_FOLD "weighted mean"
int bo__scen_fold_default(bo_scen_table *t, bo_configs *c);

/* "over 3 scenarios, weighted mean" for t folded by label, into buf;
 * under scenario_policy: promote, with the configurations the fold left
 * out ("; left out: 4 configurations evaluated under the base scenario
 * \"cifar10\" only"). */
const char *bo__scen_note(const bo_scen_table *t, const char *label, char *buf, size_t size);

#endif
