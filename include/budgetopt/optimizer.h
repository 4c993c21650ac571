/*
 * budgetopt/optimizer.h - ask/tell from C, without the command line.
 *
 * The caller owns the loop: ask the optimizer for a trial, read its
 * parameters, run it however and wherever it likes, set its metrics and
 * usage, tell it back. The optimizer prices the usage with the study's
 * price book, computes derived metrics, guardrails and the score, feeds the
 * sampler, and keeps to the study's trial and money budgets the way
 * `budgetopt run` does: a trial is only handed out if its reservation (the
 * per-trial money cap, or an upper quantile of the cost predicted for its
 * configuration) fits, and it is charged at most its money cap
 * (bo_trial_money_cap), so with a money budget spend never passes it.
 *
 * In memory by default. With options.storage, the optimizer keeps the
 * study's ledger as `budgetopt run` does: it resumes from the trials the
 * ledger holds (whoever ran them), records each trial asked as running
 * (with its reservation, in the spend journal too) and each trial told
 * with its charge, and holds the study while it lives, so a `budgetopt run`
 * of the same ledger meanwhile is refused, and afterwards continues the
 * same study.
 *
 * With a pruner in the study (pruner:), report a trial's intermediate
 * values with bo_trial_report and ask bo_trial_should_prune: the same
 * rules and state as `budgetopt run` uses on an evaluator's step lines.
 *
 * Thread safety: every function on one optimizer handle (and its trials)
 * may be called from several threads; calls are serialised per handle.
 * Different handles share nothing.
 *
 * Example: examples/embed/embed.c.
 */
#ifndef BUDGETOPT_OPTIMIZER_H
#define BUDGETOPT_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>

#include "budgetopt/common.h"
#include "budgetopt/study.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bo_optimizer bo_optimizer;
typedef struct bo_trial bo_trial;

typedef struct bo_optimizer_options {
	const char *sampler;   /* "auto", "random", "sobol", "tpe", "gp", "nsga2"; NULL: the study's */
	int has_seed;          /* 1: seed overrides the study's seed */
	uint64_t seed;
	/* The ledger: NULL keeps everything in memory; "" is the study's own
	 * (storage: in the study, else <study dir>/<name>.db, as `budgetopt
	 * run` uses); otherwise a path or sqlite: URI (relative to the
	 * current folder). */
	const char *storage;
	int parallel;          /* trials the caller runs at once (0: 1): each
				* trial's derived money cap is its share of the
				* money left over this many */
} bo_optimizer_options;

#define BO_OPTIMIZER_OPTIONS_INIT {NULL, 0, 0, NULL, 0}

/* How a trial ended, for bo_optimizer_tell. */
enum {
	BO_TELL_COMPLETE = 2,  /* ran to the end; its metrics are set */
	BO_TELL_PRUNED = 3,    /* stopped early (bo_trial_should_prune said so,
				* or the caller chose to); its cost still counts */
	BO_TELL_FAILED = 4     /* failed; its cost still counts */
};

/* Creates an optimizer for study s (which must outlive it; build one in
 * code with bo_study_parse from YAML text). opt may be NULL. Returns 0 and
 * *out, BO_EINVAL (unknown sampler), BO_ENOMEM; with opt->storage also
 * BO_ECONFLICT (the ledger holds another study under this name with a
 * different space, another runner or optimizer holds the study, or the
 * ledger disagrees with its spend journal: the message names `budgetopt
 * doctor`), BO_EIO. */
BO_API int bo_optimizer_new(bo_optimizer **out, const bo_study *s, const bo_optimizer_options *opt);

/* Frees o and every trial not yet told; accepts NULL. With a ledger,
 * those trials are first told as failed ("not told before the optimizer
 * was freed") and charged the usage added to them, and the study is
 * released. */
BO_API void bo_optimizer_free(bo_optimizer *o);

/* The last error message of calls on o (one line, "" if none). */
BO_API const char *bo_optimizer_errmsg(const bo_optimizer *o);

/* Sets a sampler option ("n_startup", "gamma", ...). Returns 0 or
 * BO_EINVAL for an option the sampler does not have. */
BO_API int bo_optimizer_set_param(bo_optimizer *o, const char *name, double value);

/* Asks for the next trial. Returns 0 and *out (owned by o until told),
 * BO_DONE when a budget is reached or the constraints leave no point, and
 * also when the next trial's reservation only fits once open trials are
 * told (the first trial of a study without a per-trial cap runs alone):
 * then tell them and ask again (*out = NULL in every BO_DONE case; the
 * message says which), BO_EMISUSE (NULL arguments), BO_ENOMEM. */
BO_API int bo_optimizer_ask(bo_optimizer *o, bo_trial **out);

/* The trial's number: 0, 1, ... in the order asked. */
BO_API int64_t bo_trial_number(const bo_trial *t);

/* The most trial t may be charged, in the price book's currency: the
 * study's per_trial.money, or, with a money budget and no per-trial cap
 * (unless per_trial: {money: none}), its share of the money left when it
 * was asked. Stop the trial before its cost reaches it: bo_optimizer_tell
 * charges at most this. NaN when the trial has no cap (or t is NULL). */
BO_API double bo_trial_money_cap(const bo_trial *t);

/* The value of parameter name: the number for float and int parameters,
 * the label's index for choices. Returns 0, BO_DONE when the parameter is
 * inactive in this trial (its condition is false; *value = NaN),
 * BO_ENOTFOUND for a name the study does not have, BO_EMISUSE for NULL
 * arguments. */
BO_API int bo_trial_param(const bo_trial *t, const char *name, double *value);

/* The label of a choice or ordinal parameter, or NULL (numeric, inactive
 * or unknown). Valid while the trial is. */
BO_API const char *bo_trial_label(const bo_trial *t, const char *name);

/* The name of the sampler that proposed t ("tpe", "auto:gp", ...). */
BO_API const char *bo_trial_sampler(const bo_trial *t);

/* Sets a metric the study declares. Returns 0, BO_ENOTFOUND (not a metric
 * of the study), BO_EINVAL (not finite: tell the trial as failed). */
BO_API int bo_trial_set_metric(bo_trial *t, const char *name, double value);

/* Adds usage of a resource ("cpu_hours", "gpu_hours.a100", ...). Returns 0,
 * BO_EINVAL (negative or not finite), BO_ENOMEM. */
BO_API int bo_trial_add_usage(bo_trial *t, const char *resource, double amount);

/* Reports trial t's intermediate values at step (>= 0; epochs, say): n
 * named values (any names; those the study's pruner reads decide). As an
 * evaluator's {"step": k, "metrics": {...}} line under `budgetopt run`:
 * with a ledger the values go to its trial_steps, and the usage added so
 * far (bo_trial_add_usage) is stored as the trial's usage so far, so
 * `budgetopt status` shows its live cost. The study's pruner (pruner: in
 * the study; the same rules and state as the runner's) then judges the
 * trial on these values and its cost so far: ask bo_trial_should_prune.
 * A report after the pruner said stop is recorded and not judged again.
 * Returns 0, BO_EINVAL (step < 0, a name empty, a value not finite:
 * nothing is recorded), BO_EMISUSE (NULL arguments), BO_ENOMEM, or the
 * ledger's error. */
BO_API int bo_trial_report(bo_trial *t, int64_t step, const char *const *names,
			   const double *values, size_t n);

/* Whether trial t should stop now. Returns 1 when the study's pruner
 * decided so at one of its reports, or when its usage so far, priced,
 * has reached its money cap (bo_trial_money_cap: the runner stops such a
 * trial too); 0 to go on. With 1, why (when not NULL, size > 0) gets one
 * line: "pruned at step K by the R rule: <the numbers that decided>", or
 * "reached the per-trial money cap (...)". Then stop the trial and tell it
 * BO_TELL_PRUNED: a pruned trial is recorded pruned with that reason and a
 * "prune" event; a trial at its cap is recorded failed with that reason
 * and a "cap" event, as the runner records a trial it stopped at its cap.
 * Both are charged the usage added so far (at most the cap), once.
 * Returns 1, 0, or BO_EMISUSE (t is NULL). */
BO_API int bo_trial_should_prune(bo_trial *t, char *why, size_t size);

/* Sets the reason recorded with t when it is told as failed (one line of
 * text, at most 500 bytes kept; control characters become spaces).
 * Returns 0, BO_EMISUSE, BO_ENOMEM. */
BO_API int bo_trial_set_reason(bo_trial *t, const char *reason);

/* Tells how trial t ended and frees it (t is invalid afterwards, whatever
 * the result). A complete trial missing a non-optional metric is recorded
 * as failed. A trial told BO_TELL_PRUNED is recorded pruned, with the
 * decision of bo_trial_should_prune when there was one, else as pruned by
 * the caller at its last reported step (rule "caller"); one past its
 * money cap is recorded failed (see bo_trial_should_prune). *cost (may be NULL) gets what it was charged; the charge is
 * made first, so it counts even when the call then fails. Returns 0,
 * BO_EMISUSE (t is not an open trial of o - nothing is read from it - or
 * state is none of BO_TELL_COMPLETE, BO_TELL_PRUNED, BO_TELL_FAILED: the trial is then
 * charged and recorded as failed), BO_ENOMEM. */
BO_API int bo_optimizer_tell(bo_optimizer *o, bo_trial *t, int state, double *cost);

/* The best complete trial that meets every guardrail, by the study's score
 * (or, without a score, its single objective). Returns 0 with *number and
 * *value, or BO_DONE when there is none. */
BO_API int bo_optimizer_best(bo_optimizer *o, int64_t *number, double *value);

/* Money charged so far, and trials told so far. */
BO_API double bo_optimizer_spent(const bo_optimizer *o);
BO_API int64_t bo_optimizer_ntold(const bo_optimizer *o);

#ifdef __cplusplus
}
#endif
#endif
