/*
 * budgetopt/run.h - running a study: the loop that asks for a configuration,
 * reserves its predicted cost, launches the evaluator, collects and prices
 * its result, and records everything in the ledger.
 *
 * Budgets are enforced, not observed: no trial starts whose reservation
 * would take the spend past the money budget, a trial reaching the per-trial
 * cap is stopped, and every budget decision is an event in the ledger.
 */
#ifndef BUDGETOPT_RUN_H
#define BUDGETOPT_RUN_H

#include <signal.h>
#include <stdint.h>

#include "budgetopt/common.h"
#include "budgetopt/study.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a progress callback was called. */
enum {
	BO_PROGRESS_TICK = 0,     /* periodic, about every tick_s seconds */
	BO_PROGRESS_TRIAL_DONE,   /* a trial finished; trial_* fields describe it */
	BO_PROGRESS_NOTE          /* a budget decision or a recovery: see message */
};

typedef struct bo_run_progress {
	int kind;                 /* BO_PROGRESS_* */
	int64_t ntrials;          /* trials in the ledger, all states */
	int64_t complete, failed, running;
	double spent;             /* money spent so far (all trials) */
	double reserved;          /* reserved for running trials */
	double budget_money;      /* NaN without a money budget */
	int64_t budget_trials;    /* 0 without */
	double best_score;        /* best feasible score so far, NaN if none */
	double elapsed_s;         /* wall time of the study, all sessions */
	double eta_s;             /* estimated time left, NaN when unknown */
	const char *currency;
	/* BO_PROGRESS_TRIAL_DONE */
	int64_t trial_id;
	const char *trial_state;  /* "complete", "failed", ... */
	double trial_cost;
	double trial_score;       /* NaN if none */
	double trial_wall_s;
	const char *trial_reason; /* failure reason or NULL */
	/* BO_PROGRESS_NOTE */
	const char *message;
	/* every kind (added later, hence at the end) */
	double running_cost;      /* live cost so far of the running trials: measured
				   * plus the usage their step reports named */
	int64_t pruned;           /* trials stopped by the pruner (in the ledger) */
} bo_run_progress;

typedef void (*bo_progress_fn)(void *ud, const bo_run_progress *p);

typedef struct bo_run_options {
	const char *storage;      /* ledger URI; NULL: the study's, else <dir>/<name>.db */
	int has_seed;             /* 1: seed overrides the study's seed */
	uint64_t seed;
	int parallel;             /* > 0 overrides evaluator.parallel */
	/* Incremented by the caller's SIGINT/SIGTERM handler: 1 = stop launching
	 * and let running trials finish; 2 or more = stop running trials too
	 * (they fail with reason "interrupted" and their cost is charged). */
	volatile sig_atomic_t *interrupts;
	bo_progress_fn progress;
	void *progress_ud;
	double tick_s;            /* progress tick period; 0: 0.5 s */
	const char *trials_dir;   /* trial folders; NULL: <ledger dir>/<name>-trials */
	/* Test hook: "point" or "point:n" makes the runner SIGKILL itself the
	 * n-th time it reaches the named point (see runner.c). NULL: never. */
	const char *crash_at;
	/* > 0 overrides the study's repeats: n: each configuration runs this
	 * many times under each scenario (at most 1000). Keep it the same
	 * when resuming a study. */
	int64_t repeats;
	/* > 0: run only a confirmation phase (budgetopt select --reserve): no
	 * new configuration is explored; the top candidates of the ledger are
	 * re-evaluated in rounds of successive rejection, spending at most this
	 * much money beyond what the ledger has spent (a phase a killed run
	 * left open is resumed instead, under its own limit). 0: none, beyond
	 * the study's budget: confirm. */
	double confirm_money;
	/* The confidence at which a confirmation drops a candidate worse than
	 * the leader beyond the noise (Welch's test); 0: 0.95. */
	double confirm_confidence;
} bo_run_options;

#define BO_RUN_OPTIONS_INIT {NULL, 0, 0, 0, NULL, NULL, NULL, 0.0, NULL, NULL, 0, 0.0, 0.0}

typedef struct bo_run_summary {
	int64_t launched;         /* trials launched by this call */
	int64_t complete, failed; /* of those */
	int64_t orphans;          /* trials of a dead runner recovered and charged */
	double spent;             /* total spend of the study afterwards */
	int interrupted;          /* 1 if stopped by interrupts */
	char stop_reason[256];    /* why the run stopped, one line */
	int64_t pruned;           /* launched by this call and stopped by the pruner */
} bo_run_summary;

/* Runs study s until a budget is reached, the sampler is exhausted or the
 * caller interrupts. Resumes a study already in the ledger (recovering
 * trials orphaned by a killed runner). Returns 0 (stopped normally; see
 * summary), BO_EINTR (interrupted), BO_ECONFLICT (the stored study's space
 * differs, or another runner holds it), BO_EIO, BO_ENOMEM. summary may be
 * NULL. */
BO_API int bo_run(const bo_study *s, const bo_run_options *opt, bo_run_summary *summary);

/* How a worker shares a study with other workers (bo_run_worker). */
typedef struct bo_worker_options {
	/* A running trial whose worker sent no heartbeat for this long is
	 * failed as orphaned, charged up to its last heartbeat, and its
	 * configuration queued again (once). Must exceed a few heartbeats
	 * (one per second). 0: 60 s. */
	double heartbeat_timeout_s;
	/* Longest wait between two tries while the database is unreachable;
	 * 0: 5 s. The worker retries until it is back or it is interrupted. */
	double max_backoff_s;
} bo_worker_options;

#define BO_WORKER_OPTIONS_INIT {0.0, 0.0}

/* Runs study s as one of several workers on a PostgreSQL ledger (opt->
 * storage or the study's storage: a postgresql:// URI): like bo_run, but
 * every decision reads the shared ledger (all workers' trials, spend and
 * reservations), money is reserved and charged under the study's budget
 * row lock so that the workers together never pass the money budget, and
 * trials of workers that stopped sending heartbeats are failed and
 * re-queued (w). A lost database is waited for, with backoff. Returns as
 * bo_run; BO_EINVAL when the ledger is not PostgreSQL. w may be NULL. */
BO_API int bo_run_worker(const bo_study *s, const bo_run_options *opt, const bo_worker_options *w,
		         bo_run_summary *summary);

/* The ledger URI that bo_run would use for s with the given override
 * (NULL for none), written into buf. Returns 0 or BO_EINVAL if it does not
 * fit. */
BO_API int bo_run_storage_uri(const bo_study *s, const char *override, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
