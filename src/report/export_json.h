/*
 * report/export_json.h - a study's ledger as JSON values (jansson): the
 * trials as `budgetopt export --format json` writes them, the status as
 * `budgetopt status --format json`, the frontier as `budgetopt frontier
 * --format json --all`, and the budget events. Shared by `export` and
 * `serve`, so the dashboard's API and the command line cannot drift apart.
 *
 * Pure: builds values, no I/O. Never prints.
 */
#ifndef BO_REPORT_EXPORT_JSON_H
#define BO_REPORT_EXPORT_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "analysis/configs.h"
#include "analysis/frontier.h"
#include "analysis/uncertain.h"
#include "core/model.h"
#include "core/trial.h"
#include "storage/storage.h"

/* Each returns a new reference the caller decrefs, or NULL with the
 * thread's error set: BO_ENOMEM, or BO_ERROR when the ledger holds data
 * that cannot be shown (a trial's stored parameters that are not a JSON
 * object), the message naming the trial and the field. Text read from the
 * ledger that is not valid UTF-8 is shown cleaned (core/utf8.h), never
 * dropped. */

/* One trial: id, state, sampler, params, (with a fidelity) rung, metrics,
 * usage, cost, currency, price_version, score, feasible, reason, and for a
 * pruned trial pruned_at_step, prune_rule and prune_detail (what its
 * reason says; null where it does not), started_at, ended_at, version,
 * host, pid, cgroup, slurm_job, folder. */
json_t *bo__export_trial_json(const bo_study *s, const bo_trial_rec *t);

/* An array of the n trials, in the order given. */
json_t *bo__export_trials_json(const bo_study *s, const bo_trial_rec *t, size_t n);

/* Where the study stands: study, currency, spent, budget_money, trials,
 * budget_trials, by_state, elapsed_s, budget_time_s and best (the best
 * feasible complete trial by the study's score among the n trials, ties to
 * the lower id; null when none). */
json_t *bo__export_status_json(const bo_study *s, const bo_ledger_totals *tot,
			       const bo_trial_rec *t, size_t n);

/* The sessions (workers and runners) sharing a PostgreSQL study, newest
 * first: an array of {id, host, pid, started_at, heartbeat_at, ended_at
 * (null while live), trials}; NULL when st is not a PostgreSQL ledger or
 * they cannot be read. The "workers" of status and /api/status. */
struct bo_storage;
json_t *bo__export_workers_json(struct bo_storage *st);

/* The safeguards' verdicts among the events e[0..n): the budget alerts
 * that fired ("alert") and the incumbents demoted ("rollback"), in order,
 * as an array of {kind, t, trial (null if none), amount (null if none),
 * detail}; NULL on memory. The "alerts" of status and /api/status. */
struct bo_event;
json_t *bo__export_alerts_json(const struct bo_event *e, size_t n);

/* Index of the trial status calls best among t[0..n), or n when none. */
size_t bo__export_best(const bo_study *s, const bo_trial_rec *t, size_t n);

/* The frontier of c as computed in fr: axes, reference_point, hypervolume,
 * knee, saturation, frontier (best first) and, when all, "others" (every
 * configuration not on it, with its status and why). */
json_t *bo__export_frontier_json(const bo_configs *c, const bo_frontier *fr, int all);

/* The selection (order[0]) and the next runners of order, with the chance
 * that each stays within each guardrail that is uncertain or carries a
 * probability under mc, a Monte Carlo run over c (NULL: no uncertainty,
 * draws and seed null, within empty): {draws, seed, selected: {id, label,
 * within: [{guardrail, probability, required}]} | null, runners_up:
 * [...]}. The dashboard's /api/selection. */
json_t *bo__export_chances_json(const bo_configs *c, const bo_mc *mc, const size_t *order, size_t norder,
				size_t runners);

/* The budget events: an array of {id, t, run_id, trial_id, kind, amount,
 * detail}, ids of 0 as null. */
json_t *bo__export_events_json(const bo_event *e, size_t n);

/* Multi-fidelity and pruning (report/rungs.h), as status, /api/status and
 * export --summary show them. The fidelity: {param, schedule, eta, min,
 * max, ranked_by, promotions, rungs: [{rung, value, trials, complete,
 * pruned, failed, running, promoted, spent, best, best_trial}]}. */
struct bo_rungs;
json_t *bo__export_fidelity_json(const bo_study *s, const struct bo_rungs *r);

/* The pruning: {pruner, trials_pruned, trials_complete, spent_pruned,
 * spent_complete, spent_failed, full_steps, full_steps_from,
 * estimated_trials, estimated_full_cost, estimated_saving} and, with
 * with_trials, trials: [{id, step, steps_done, rule, detail, cost,
 * estimated_full_cost}] by id. */
json_t *bo__export_pruning_json(const struct bo_rungs *r, int with_trials);

/* Sets "fidelity" and "pruning" in o for the parts r has (none when the
 * study has neither). Returns 0 or BO_ENOMEM. */
int bo__export_rungs_into(json_t *o, const bo_study *s, const struct bo_rungs *r, int with_trials);

/* The learning curves the report draws (report/charts.h: bo__chart_curves),
 * as data: {metric, goal ("maximize", "minimize" or null), trials: [{id,
 * state, fidelity (the fidelity parameter's value, or null), pruned_step
 * (the step its pruner decided at, or null), steps: [[step, value], ...]
 * by step}] by id}, one entry per trial with at least one report of the
 * metric (bo__rungs_curve_metric). steps[0..nsteps) are ordered by trial
 * and step (as the ledger gives them), t[0..n) by id; a report whose
 * trial is not among t is listed with state "running". The dashboard's
 * /api/curves. NULL on memory exhaustion. */
json_t *bo__export_curves_json(const bo_study *s, const bo_trial_rec *t, size_t n,
			       const bo_step_row *steps, size_t nsteps);

#endif
