/*
 * report/rungs.h - what multi-fidelity and pruning did in a study, read
 * back from its ledger: the trials at each rung of the fidelity (how many,
 * in which state, how many went on to the next rung, the best of each),
 * and the trials the pruner stopped (at which step, by which rule, on
 * which figures), what they cost and an estimate of what stopping them
 * saved. One computation for `status`, `export`, `report` and `serve`, so
 * the figures agree everywhere.
 *
 * Pure: reads the records it is given (trials, events, intermediate
 * reports), no I/O, never prints.
 *
 * The saving estimate (docs/report.md, "Multi-fidelity and pruning"):
 * a pruned trial that reported steps up to k (k >= 1; its decision step
 * when higher) and cost c would have cost c * K / k at full length K,
 * so stopping it saved c * K / k - c (0 when k >= K). K is the pruner's
 * max_step when it has one, else the highest step a complete trial
 * reported; without either, or for a trial without a known cost or a
 * step >= 1, nothing is estimated (the trial is counted as not
 * estimated). Steps are taken as amounts of work (step k: k epochs), and
 * the cost per step as constant: learning curves are not, but the
 * evaluators' cost per epoch mostly is.
 */
#ifndef BO_REPORT_RUNGS_H
#define BO_REPORT_RUNGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/trial.h"
#include "storage/storage.h"

/* One rung of the fidelity. */
typedef struct bo_rung_row {
	double value;          /* the fidelity parameter's value */
	int64_t trials;        /* trials at this rung, any state */
	int64_t complete, pruned, failed, running;
	int64_t promoted;      /* of them, promoted to the next rung (promote events) */
	double spent;          /* their costs */
	double best;           /* best ranked value among the complete ones, as
				  reported (bo__fidelity_rank_name); NaN: none */
	int64_t best_trial;    /* its trial, 0: none */
} bo_rung_row;

/* One trial the pruner stopped. */
typedef struct bo_pruned_row {
	int64_t id;
	int64_t step;          /* the step that decided; -1 when the reason does not say */
	int64_t steps_done;    /* the highest step it reported (at least step); -1: none */
	char rule[32];         /* "median", "asha", ...; "" when the reason does not say */
	char *detail;          /* the figures that decided (owned), or NULL */
	double cost;           /* charged */
	double full_cost;      /* estimated cost at full length; NaN: not estimated */
} bo_pruned_row;

typedef struct bo_rungs {
	/* Multi-fidelity (s->fidelity.param >= 0). */
	int has_fidelity;
	int nrungs;
	bo_rung_row rungs[BO_FIDELITY_MAX_RUNGS];
	int64_t promotions;    /* promote events */
	int64_t off_rung;      /* trials whose fidelity is on no rung */
	const char *ranked_by; /* "score", a metric's name, or NULL (points into the study) */

	/* Pruning (s->pruner.kind != BO_PRUNER_NONE). */
	int has_pruner;
	const char *pruner;         /* its rule ("median", "asha", ...; static) */
	int64_t ncomplete, npruned, nfailed;
	double spent_complete, spent_pruned, spent_failed;
	int64_t full_steps;         /* K of the estimate; 0: unknown */
	const char *full_steps_from; /* "max_step" or "complete trials"; NULL when unknown */
	int64_t nestimated;         /* pruned trials with an estimate */
	double est_full_cost;       /* the estimated trials' costs at full length */
	double est_saved;           /* est_full_cost minus what they cost */
	bo_pruned_row *pruned;      /* npruned rows, by trial id */
} bo_rungs;

/* Summarises trials t[0..n) (any order), events e[0..ne) and the
 * intermediate reports steps[0..nsteps) (may be NULL, 0: then no step is
 * known and nothing is estimated unless the pruner has max_step) of study
 * s into *out, which the caller clears with bo__rungs_clear. Leaves both
 * parts off when the study has neither a fidelity nor a pruner. Returns
 * 0 or BO_ENOMEM (*out cleared). */
int bo__rungs_summarize(bo_rungs *out, const bo_study *s, const bo_trial_rec *t, size_t n,
			const bo_event *e, size_t ne, const bo_step_row *steps, size_t nsteps);

/* Frees what *r holds and zeroes it; accepts NULL. */
void bo__rungs_clear(bo_rungs *r);

/* Reads a pruned trial's reason ("pruned at step K by the R rule: D"):
 * *step, rule (up to rsize bytes) and the offset of D in reason (or -1).
 * Returns 1 when it has that shape, 0 otherwise (*step -1, rule ""). */
int bo__rungs_parse_reason(const char *reason, int64_t *step, char *rule, size_t rsize, int *detail_at);

/* The metric the learning curves show (report and dashboard): the
 * pruner's first, else the first objective that is a reported metric,
 * else the first metric with a direction, else the first metric; NULL
 * when the study has no metric. *goal: its direction (0: none). The
 * returned name points into s. (report/report.c keeps its own copy of
 * this rule until its split lands; both must agree.) */
const char *bo__rungs_curve_metric(const bo_study *s, int *goal);

#endif
