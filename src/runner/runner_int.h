/*
 * runner/runner_int.h - what the files of the run loop share: the runner
 * and job_ctx structs, the loop's constants, a few tiny helpers, and the
 * bo__run_* functions one file defines and others call.
 *
 * Private to src/runner/runner*.c; never included from elsewhere. The
 * files: runner.c (the loop, progress and events, policing, setup),
 * runner_job.c (a trial's command, environment and folder),
 * runner_launch.c (ask, reserve, launch), runner_worker.c (a worker's
 * shared budget on PostgreSQL), runner_finish.c (charge, record, tell),
 * runner_recover.c (orphans and the history of a resumed study), confirm.c
 * (the confirmation phase: runner/confirm.h), runner_promote.c
 * (scenario_policy: promote).
 */
#ifndef BO_RUNNER_INT_H
#define BO_RUNNER_INT_H

#include "budgetopt/run.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/trial.h"
#include "exec/exec.h"
#include "runner/asker.h"
#include "runner/confirm.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "samplers/mfgp.h"
#include "runner/promote.h"
#include "runner/protocol.h"
#include "runner/pruner.h"
#include "runner/reserve.h"
#include "runner/safeguards.h"
#include "runner/units.h"
#include "runner/worker.h"
#include "samplers/sampler.h"
#include "storage/storage.h"

#define KILL_GRACE_S 2.0         /* SIGTERM, then SIGKILL this much later */
#define HEARTBEAT_S 1.0          /* how often running trials' usage is stored */
#define WAIT_SLICE_MS 50         /* longest wait between budget checks */
#define ASK_POLL_MS 5            /* wait slice while an ask is in flight */
#define RESULT_FILE_MAX (16u << 20)
#define MONEY_EPS 1e-12          /* relative slack when comparing money */

enum { LAUNCH_OK, LAUNCH_WAIT, LAUNCH_STOP };

typedef struct job_ctx {
	bo_job *job;
	int64_t id;
	double *x;
	double reserved;
	double cap;              /* most it may be charged; NaN: no cap */
	double t_start;          /* monotonic */
	double started_at;       /* unix */
	char *params_json;       /* for the trial record */
	char *folder;
	char *result_path;
	bo_report report;
	char *kill_reason;       /* why we stopped it, or NULL */
	double kill_at;          /* monotonic time of SIGTERM, 0 if not sent */
	int killed_hard;
	double cost_now;         /* live cost at the last check: measured plus
				  * the usage its latest step reported */
	int pruned;              /* stopped by the pruner */
	double meas_now, meas_prev; /* measured part of cost_now (the cap's rate) */
	double cost_prev;
	double t_prev;
	char **argv;
	char **envp;
	int failed_io;
	double predicted;        /* the cost model's prediction at launch (anomaly stop); NaN: none */
	int exited;              /* reaped while an ask was in flight: finished after it */
	char *ckpt_dir;          /* fidelity: its configuration's checkpoint folder, or NULL */
	bo_unit_id unit;         /* its scenario, repeat and seed (runner/units.h) */
	int confirm;             /* a confirmation re-evaluation (runner/confirm.h): not told */
} job_ctx;

typedef struct runner {
	const bo_study *s;
	const bo_run_options *opt;
	bo_storage *st;
	bo_exec *ex;
	bo_sampler *sm;
	int64_t version, run_id;
	uint64_t seed;
	int parallel;
	double t0;               /* monotonic start of this session */
	double elapsed_before;   /* wall time of earlier sessions */
	double spent;
	int64_t ntrials, ncomplete, nfailed, npruned;
	bo_pruner *pr;           /* the study's pruner (never stops: pruner: none) */
	double best_score;
	double reserved;
	double *held_x;          /* asked, not launched (waiting for money), or NULL */
	double max_cost;
	double sum_wall;
	int64_t nfinished;       /* with a measured wall time */
	double price_wall, price_cpu, price_mem;
	double timeout_s;        /* per-trial: min of evaluator timeout and cap */
	job_ctx **jobs;
	size_t njobs, capjobs;
	int stop_launch;
	int waiting;             /* a "wait" event was recorded for this episode */
	int interrupt_seen;
	char stop_reason[256];
	char ledger_path[PATH_MAX];
	int lock_fd;             /* the ledger's lock, shared (bo__ledger_lock) */
	char trials_dir[PATH_MAX];
	char host[256];
	double last_heartbeat;
	double last_police;       /* monotonic time of the last police_jobs pass */
	double last_tick;
	char *crash_point;
	long crash_count;
	int group;               /* files group-readable (storage_access: group) */
	int record_sync;         /* fsync trial records: the ledger is SQLite */
	bo_run_summary sum;
	bo_worker *w;            /* worker: one of several on a PostgreSQL study, else NULL */
	bo_safeguards guard;     /* spend rate, alerts, anomaly stop, limits (runner/safeguards.h) */
	double last_predicted;   /* the cost model's prediction at the last reservation */
	bo_asker *asker;         /* the sampler's asks, off this thread (runner/asker.h) */
	job_ctx **exited;        /* reaped during an ask, in the order they ended */
	size_t nexited, capexited;
	bo_fidelity *fid;        /* fidelity: the rungs' schedule (runner/fidelity.c), or NULL */
	bo_bohb *bohb;           /* fidelity with sampler tpe or auto: BOHB's proposals, or NULL */
	bo_mfgp *mfgp;           /* fidelity with schedule gp: configuration and fidelity, or NULL */
	bo_fid_next held_fid;    /* fidelity: what held_x was asked for */
	int has_held_fid;
	bo_units *units;         /* scenarios x repeats per configuration (runner/units.h) */
	bo_study **views;        /* the study under each scenario, or NULL: only "default" */
	int held_unit;           /* held_x is a unit of a configuration already launched */
	int64_t held_tok;        /* ... its token (bo__units_next) */
	bo_unit_id held_id;
	bo_confirm *confirm;     /* the confirmation phase (runner/confirm.h), or NULL */
	int held_conf;           /* held_x is a confirmation re-evaluation, unit held_id */
	bo_promote *promote;     /* scenario_policy: promote (runner_promote.c), or NULL */
	int held_promo;          /* held_x is a promotion unit (bo__run_promote_hold) */
} runner;

/* The clocks (core/clock.h) under the names the loop uses. */
static inline double mono_now(void)
{
	return bo__clock_mono();
}

static inline double wall_now(void)
{
	return bo__clock_wall();
}

/* Test hook: kill -9 ourselves the n-th time point p is reached. */
static inline void crash_point(runner *r, const char *p)
{
	if (!r->crash_point || strcmp(r->crash_point, p))
		return;
	if (--r->crash_count <= 0)
		kill(getpid(), SIGKILL);
}

static inline int is_money_limited(const runner *r)
{
	return isfinite(r->s->budget.money);
}

static inline double elapsed(const runner *r)
{
	return r->elapsed_before + (mono_now() - r->t0);
}

/* ---- runner.c ---- */
void bo__run_note(runner *r, const char *fmt, ...) BO__PRINTF(2, 3);
int bo__run_event(runner *r, int64_t trial, const char *kind, double amount, const char *fmt, ...)
	BO__PRINTF(5, 6);
void bo__run_stop_launching(runner *r, const char *kind, const char *fmt, ...) BO__PRINTF(3, 4);
void bo__run_fill_progress(runner *r, bo_run_progress *p, int kind);
void bo__run_remove_job(runner *r, job_ctx *j);
void bo__run_on_line(void *ud, bo_job *job, const char *line, size_t len, int too_long);

/* ---- runner_job.c ---- */
/* Trials finished in the study: this runner's, or for a worker the whole
 * study's it has told its sampler (and so counted in r->max_cost),
 * whichever is more. The rules that wait for a
 * first cost ("the first trial runs alone", the reservation without a
 * prediction) read it: a worker learns costs from the others' trials too
 * (bo__worker_refresh keeps max_cost), so it must not wait for one of its
 * own while another worker's trial runs. */
int64_t bo__run_finished_anywhere(const runner *r);
/* The active parameters of x as name/value pairs (names borrowed from s),
 * as a trial record keeps them; free *out with bo__free. Returns 0 or
 * BO_ENOMEM. */
int bo__run_params_kv(const bo_study *s, const double *x, bo_kv **out, size_t *n);
int bo__run_build_argv(const bo_study *s, const double *x, const bo_unit_id *u, char ***out);
int bo__run_build_env(runner *r, const job_ctx *j, const char *pjson, char ***out);
int bo__run_mkdir_p(const char *path, mode_t mode);
void bo__run_job_free(job_ctx *j);

/* ---- runner_launch.c ---- */
double bo__run_overrun(const runner *r);
int bo__run_launch_decision(runner *r);
int bo__run_launch_one(runner *r);

/* ---- runner_worker.c ---- */
int bo__run_worker_sync(runner *r);
int bo__run_worker_claim(runner *r, double *x, bo_reserve_out *ro, int64_t *id);
int bo__run_worker_insert(runner *r, bo_trial_rec *t, double need);
int bo__run_worker_rate_ok(runner *r, double need);
int bo__run_worker_alert(void *ud, const char *key, double amount, const char *detail);
int bo__run_worker_finish(runner *r, const bo_trial_rec *t);
void bo__run_worker_reap(runner *r);
void bo__run_worker_hold(runner *r, job_ctx *j);

/* ---- runner_finish.c ---- */
void bo__run_clamp_event(runner *r, int64_t id, double price, double cost);
double bo__run_charge_for(runner *r, int64_t id, const bo_kv *usage, size_t n, double cap,
			  double *uncapped);
int bo__run_pruner_finish(runner *r, int64_t id, int state, const bo_kv *metrics, size_t n,
			  double cost);
void bo__run_update_best(runner *r, double score, int feasible);
int bo__run_finish_job(runner *r, job_ctx *j);
/* Tells the sampler how trial id ended (once per configuration when it
 * has several units, with the mean over its complete units). */
int bo__run_units_tell(runner *r, int64_t id, const double *x, int state, const double *m,
		       double cost);
void bo__run_heartbeat_usage(runner *r, job_ctx *j);

/* ---- runner_recover.c ---- */
int bo__run_recover_orphans(runner *r);
int bo__run_load_history(runner *r);

/* ---- runner_promote.c ---- */
int bo__run_promote_setup(runner *r);
void bo__run_promote_clear(runner *r);
double bo__run_promote_explore_left(const runner *r);
void bo__run_promote_explore_end(runner *r, const char *fmt, ...) BO__PRINTF(2, 3);
int bo__run_promote_hold(runner *r);
int bo__run_promote_launched(runner *r, const job_ctx *j);
int bo__run_promote_finished(runner *r, const job_ctx *j, const bo_trial_rec *rec, const double *m);
int bo__run_promote_replay(runner *r, const bo_trial_rec *t, const double *x, const double *m);
int bo__run_promote_settle(runner *r);
int bo__run_promote_decision(runner *r);

#endif
