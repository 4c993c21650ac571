/*
 * runner/optimizer_ledger.h - the ledger side of the ask/tell API
 * (budgetopt/optimizer.h with options.storage set): the same ledger, spend
 * journal, lock and runner session as `budgetopt run`, so that trials asked
 * through the API and trials run by the program make one study.
 *
 * Internal to runner/: runner/optimizer.c decides (budgets, sampler,
 * pricing); this file records. Every function returns 0 or an error with
 * its message set.
 */
#ifndef BO_RUNNER_OPTIMIZER_LEDGER_H
#define BO_RUNNER_OPTIMIZER_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/trial.h"
#include "runner/pruner.h"

typedef struct bo__optledger bo__optledger;

/* A finished trial of the ledger's history, handed to the optimizer at
 * open in id order: number = id - 1; x has the study's nparams values
 * (NaN: inactive), metrics its nmetrics (NaN: missing); rec is its record
 * (every metric recorded, derived ones included). */
typedef int (*bo__optledger_seen_fn)(void *ud, int64_t number, const double *x, int state,
				     const double *metrics, double cost, const bo_trial_rec *rec);

typedef struct bo__optledger_totals {
	int64_t ntrials;     /* trials in the ledger, any state (the next number) */
	int64_t nfinished;   /* of those, finished (complete, failed, pruned) */
	double spent;        /* sum of their costs */
	double max_cost;     /* costliest finished trial (as charged), 0 if none */
} bo__optledger_totals;

/* Opens the ledger named by storage ("" : the study's default, as
 * `budgetopt run` uses), holds the study like a runner (its lock shared,
 * a runner session: another live runner or optimizer on it is refused
 * with BO_ECONFLICT), fails and charges trials left running by a dead
 * one, then replays the intermediate reports of the finished trials into
 * pr (the study's pruner, may be NULL: runner/pruner_replay.h), calls
 * seen for every finished trial and fills *tot. sampler and seed are
 * recorded with the session. */
int bo__optledger_open(bo__optledger **out, const bo_study *s, const char *storage,
		       const char *sampler, uint64_t seed, bo_pruner *pr, bo__optledger_seen_fn seen,
		       void *ud, bo__optledger_totals *tot);

/* Records trial number as started (running, with its reservation and, when
 * cap is finite, a "trial_cap" event). BO_ECONFLICT when the ledger gives
 * another id than number + 1 (someone else writes the study). */
int bo__optledger_start(bo__optledger *l, int64_t number, const double *x, const char *sampler,
			double reserve, double cap);

/* Records an intermediate report of trial number (trial_steps: n values
 * named names) and its usage so far (usage[0..nusage), as it would be
 * charged now), as the runner records an evaluator's step line. */
int bo__optledger_step(bo__optledger *l, int64_t number, int64_t step, const bo_kv *values,
		       size_t n, const bo_kv *usage, size_t nusage);

/* What a trial ended with, for bo__optledger_finish. */
typedef struct bo__optledger_end {
	int state;              /* BO_TRIAL_COMPLETE, BO_TRIAL_PRUNED or BO_TRIAL_FAILED */
	const double *x;
	const double *metrics;  /* the study's nmetrics, NaN when missing */
	const bo_kv *usage;
	size_t nusage;
	double cost;            /* charged */
	double price;           /* before the cap (an event when they differ) */
	double reserved;
	const char *reason;     /* failed, pruned: why; NULL otherwise */
	const char *stop;       /* stopped early: the event's kind ("prune",
				 * "cap"), recorded with reason; NULL: none */
} bo__optledger_end;

/* Commits trial number as finished: metrics (reported and derived), usage,
 * cost, score and guardrails, in one transaction with its charge. */
int bo__optledger_finish(bo__optledger *l, int64_t number, const bo__optledger_end *e);

/* Ends the session (run_end) and closes the ledger; accepts NULL. */
void bo__optledger_close(bo__optledger *l);

#endif
