/*
 * runner/safeguards.h - the safeguards `budgetopt run` applies on top of
 * the budgets (issue 11, item 4): a spend-rate limit, budget alerts with an
 * optional hook command, the anomaly stop, and the most trials per value of
 * a parameter. What the study asks for is in bo_study.guard (read by
 * core/study_guard.c).
 *
 * The rules are pure functions taking the clock as an argument (so tests
 * drive them with a fake clock); bo_safeguards holds the state of one run
 * and reports through callbacks, so the runner keeps only small hooks. Must
 * never print or exit; the hook command is run without a shell.
 */
#ifndef BO_RUNNER_SAFEGUARDS_H
#define BO_RUNNER_SAFEGUARDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/model.h"

struct bo_storage;

/* Relative slack when comparing money (as the runner's MONEY_EPS). */
#define BO_GUARD_MONEY_EPS 1e-12

/* ---- pure rules ---------------------------------------------------------- */

/* A charge: money charged at unix time t. */
typedef struct bo_rate_charge {
	double t;
	double amount;
} bo_rate_charge;

/* The money charged in the trailing window (now - per_s, now]. */
double bo__rate_window_sum(const bo_rate_charge *c, size_t n, double now, double per_s);

/* Whether a trial predicted to cost next may launch under the spend-rate
 * limit of g, when window is what was charged in the trailing window and
 * held what the nrunning running trials are predicted to cost (both >= 0;
 * a NaN next counts as 0). 1: it may (no limit, or window + held + next
 * fits in rate_money); 0: it waits. A trial that alone passes the rate
 * launches when nothing was charged in the window and nothing runs: else
 * it never could. */
int bo__rate_allows(const bo_guard *g, double window, double held, size_t nrunning, double next);

/* The earliest unix time at which the charges leaving the window could let
 * a trial predicted at next launch (held as above), or NaN when no charge
 * leaving would be enough (running trials must end first). */
double bo__rate_free_at(const bo_guard *g, const bo_rate_charge *c, size_t n, double now,
			double held, size_t nrunning, double next);

/* The thresholds of g (indices into g->alerts) that spent has reached,
 * spent >= at * budget, and that are not in fired (bit i: alerts[i] fired
 * already), in ascending order, into out (BO_ALERTS_MAX long). Returns
 * how many. None without a finite budget > 0. */
size_t bo__alerts_due(const bo_guard *g, double budget, double spent, unsigned fired, size_t *out);

/* The detail of the "alert" event for threshold at ("budget alert 80%:
 * spent 4.01 of 5 USD"), and back: the bit of g->alerts an event's detail
 * names, ORed into *fired (how a resumed run knows what fired). Returns 1
 * when the detail named a threshold of g, else 0. */
void bo__alert_detail(double at, double spent, double budget, const char *currency, char *buf,
		      size_t size);
int bo__alert_mark_fired(const bo_guard *g, const char *detail, unsigned *fired);

/* What every "alert" event's detail for threshold at starts with
 * ("budget alert 80%:"): the key by which a shared ledger records each
 * threshold once per study. */
void bo__alert_key(double at, char *buf, size_t size);

/* 1 when a trial's cost so far passes k times its predicted cost (k > 0,
 * predicted finite and > 0); 0 otherwise (k 0: the anomaly stop is off). */
int bo__anomaly_exceeds(double k, double predicted, double cost_so_far);

/* How many trials have taken each value of one limited parameter. */
typedef struct bo_limit_item {
	double value;
	int64_t count;
} bo_limit_item;

typedef struct bo_limit_count {
	size_t n, cap;
	bo_limit_item *items;
} bo_limit_count;

/* Counts one trial with value v (NaN: inactive, not counted). 0 or BO_ENOMEM. */
int bo__limit_count_add(bo_limit_count *c, double v);
int64_t bo__limit_count_get(const bo_limit_count *c, double v);
void bo__limit_count_clear(bo_limit_count *c);

/* Applies limits: max_trials_per to configuration x, counts[i] holding
 * the trials so far of limit i of s->guard. A value that has reached its
 * limit is excluded: replaced by the nearest value of the same parameter
 * (the next labels in order for a choice; the nearest steps for an int)
 * still under its limit with which x stays valid (bo__study_check_config).
 * Returns 0 (x unchanged), BO_LIMIT_CHANGED (x changed; why says how),
 * BO_DONE (no value left; why says which parameter), or an error. */
#define BO_LIMIT_CHANGED 2
int bo__limits_apply(const bo_study *s, const bo_limit_count *counts, double *x, char *why,
		     size_t size);

/* 1 when a re-evaluation scoring reeval demotes a configuration recorded
 * at recorded: it is worse by more than noise (goal +1: the score is
 * maximised, -1: minimised). A missing value (NaN) demotes nothing. */
int bo__rollback_demotes(int goal, double recorded, double reeval, double noise);

/* The figures an alert hook gets. */
typedef struct bo_alert_figures {
	double threshold;     /* the fraction of the budget reached */
	double spent;
	double budget;
	const char *currency;
	const char *study;
} bo_alert_figures;

/* Starts the alert hook of g: argv as written (placeholders {threshold},
 * {spent}, {budget}, {currency}, {study} replaced inside one argument
 * each, never split), without a shell, in its own process group, its
 * environment ours plus BUDGETOPT_ALERT_THRESHOLD, _SPENT, _BUDGET,
 * _CURRENCY and _STUDY; stdin /dev/null, stdout and stderr appended to
 * log_path (NULL: /dev/null). A relative program path with a "/" is
 * resolved against dir (the study's folder). Returns 0 and *pid, or an
 * error (BO_EIO: it could not be started; the message says why). */
int bo__alert_hook_start(const bo_guard *g, const bo_alert_figures *f, const char *dir,
			 const char *log_path, pid_t *pid);

/* ---- the state of one run ----------------------------------------------- */

typedef struct bo_guard_cb {
	void *ud;
	/* records a ledger event (trial 0: none) */
	void (*event)(void *ud, int64_t trial, const char *kind, double amount, const char *detail);
	/* a line for the person at the terminal */
	void (*note)(void *ud, const char *msg);
	/* Optional, for processes sharing one study (workers): records the
	 * "alert" event (amount, detail) unless the ledger holds one whose
	 * detail starts with key (the same threshold, fired by any process),
	 * deciding under a lock every process takes. 1: recorded here (this
	 * process notes it and runs the hook); 0: it fired elsewhere; < 0: an
	 * error (nothing fired; tried again at the next charge). NULL: the
	 * alert is recorded with event (one process owns the study). */
	int (*alert_once)(void *ud, const char *key, double amount, const char *detail);
} bo_guard_cb;

typedef struct bo_guard_hook {
	pid_t pid;
	double started;       /* monotonic */
	double threshold;
	int killed;
} bo_guard_hook;

typedef struct bo_guard_hold {
	int64_t id;
	double amount;
} bo_guard_hold;

typedef struct bo_safeguards {
	const bo_study *s;
	bo_guard_cb cb;
	char *hook_log;
	bo_rate_charge *charges;      /* charges still in the window */
	size_t ncharges, capcharges;
	bo_guard_hold *holds;         /* predicted costs of running trials */
	size_t nholds, capholds;
	int rate_waiting;             /* a "rate_wait" event was recorded for this wait */
	unsigned fired;               /* bit i: alert i fired in this study */
	bo_guard_hook hooks[BO_ALERTS_MAX];
	size_t nhooks;
	bo_limit_count *counts;       /* one per limit */
	/* rollback: the complete feasible trials with a score, incumbent first */
	struct bo_guard_inc *incs;
	size_t nincs, capincs;
	int64_t last_reeval;          /* trials launched at the last re-evaluation */
	int64_t reeval_of;            /* the incumbent a held re-evaluation is of, or 0 */
	double *reeval_x;             /* its configuration (borrowed from incs) */
	int64_t reeval_trial;         /* the trial re-evaluating reeval_of, or 0 */
	int64_t reeval_target;        /* the incumbent it re-evaluates */
} bo_safeguards;

/* Prepares g for study s; hook_log is where hook output goes (copied;
 * NULL: /dev/null). 0 or BO_ENOMEM. */
int bo__guard_init(bo_safeguards *g, const bo_study *s, const bo_guard_cb *cb, const char *hook_log);

/* Reads the study's history from the ledger: charges still in the rate
 * window (trials' end times and costs), alerts fired already ("alert"
 * events), trials per limited value. Then fires the alerts that the spend
 * so far has reached and that never fired. now: unix time. */
int bo__guard_start(bo_safeguards *g, struct bo_storage *st, double spent, double now_mono,
		    double now);

/* Whether the next trial (predicted to cost need) may launch under the
 * spend-rate limit at unix time now; records one "rate_wait" event per
 * wait. 1 or 0. */
int bo__guard_rate_ok(bo_safeguards *g, double need, size_t nrunning, double now);

/* For workers, whose spend-rate limit the shared ledger checks when a
 * trial starts (window: what every worker charged in the trailing window;
 * held: every running trial's reservation): waits 1 when that check
 * refused the next trial (predicted to cost need), recording one
 * "rate_wait" event per wait; 0 when a trial started, ending the wait. */
void bo__guard_rate_shared(bo_safeguards *g, int waits, double window, double held, double need);

/* limits: max_trials_per on a fresh proposal x: 0 (launch x, maybe
 * changed: a "limit" event says how), BO_DONE (nothing may launch: why in
 * bo_error_last()), or an error. */
int bo__guard_limits(bo_safeguards *g, int64_t number, double *x);

/* Trial id launched with configuration x, predicted to cost need. */
int bo__guard_launched(bo_safeguards *g, int64_t id, const double *x, double need);

/* Trial id was charged cost at unix time t, the spend now spent: the rate
 * window and the alerts (events, notes, hooks) follow. */
int bo__guard_charged(bo_safeguards *g, int64_t id, double cost, double spent, double now_mono,
		      double now);

/* rollback: every: when the incumbent is due a re-evaluation (every
 * rollback_every trials, ntrials launched so far), *x gets a copy of its
 * configuration (to free with bo__free; launch it as the next trial) and 1
 * is returned; else 0, or BO_ENOMEM. */
int bo__guard_reeval_due(bo_safeguards *g, int64_t ntrials, double **x);

/* Trial id (configuration x, nparams values) ended in state with score
 * and feasibility: a complete feasible trial with a score may become the
 * incumbent; a re-evaluation is compared with the incumbent it
 * re-evaluates, which a drop beyond the noise demotes (a "rollback" event
 * on the demoted trial, and a note). */
int bo__guard_trial_done(bo_safeguards *g, int64_t id, const double *x, int state, double score,
			 int feasible);

/* Reaps finished hooks and kills those past the timeout (events say so). */
void bo__guard_tick(bo_safeguards *g, double now_mono);

/* At the end of a run (the monotonic clock now_mono): waits for hooks
 * still running (each at most its timeout, from its start), then frees g. */
void bo__guard_clear(bo_safeguards *g, double now_mono);

#endif
