/*
 * runner/runner_worker.c - the runner's half of a worker, one of several
 * sessions on one PostgreSQL study (the other half is runner/worker.c):
 * syncing the shared counts, claiming a configuration queued again,
 * starting and finishing trials under the budget row's lock, holding an
 * uncapped trial's live cost there, and failing the trials of workers
 * that died.
 *
 * Part of the run loop: runner.c holds the loop, and runner/runner_int.h
 * lists the sibling files.
 */
#include "runner/runner_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "runner/reserve.h"
#include "runner/worker.h"
#include "storage/postgres.h"

/* ---- worker: several on one PostgreSQL study (runner/worker.h) -------- */

/* The shared state replaces this process's own counts before a decision. */
int bo__run_worker_sync(runner *r)
{
	int rc = bo__worker_sync(r->w, r->st);
	if (rc < 0)
		return rc;
	r->spent = r->w->sync.spent;
	r->reserved = r->w->sync.reserved;
	r->ntrials = r->w->sync.ntrials;
	return 0;
}

static double worker_limit(const runner *r)
{
	return is_money_limited(r) ? r->s->budget.money * (1.0 + MONEY_EPS) : NAN;
}

/* What the budget row's refusal means: wait while others hold
 * reservations, else the money is spent. */
static void worker_refused(runner *r, double reserve)
{
	r->w->refused = 1;
	if (r->njobs == 0 && r->w->sync.reserved <= 0 && r->w->sync.nrunning == 0)
		bo__run_stop_launching(r, "budget_stop",
			       "money budget reached: %.6g %s left, the next trial needs a reservation of %.6g",
			       r->s->budget.money - r->w->sync.spent, r->s->prices.currency, reserve);
}

/* The spend-rate limit across workers (budget.rate): what every worker
 * charged in the trailing window, from the ledger, and every running
 * trial's reservation (the budget row's), where one runner counts its own
 * charges and its running trials' predicted costs. */
static void rate_of(const runner *r, double need, bo_pg_rate *rate)
{
	const bo_guard *gd = &r->s->guard;
	memset(rate, 0, sizeof *rate);
	rate->money = isfinite(gd->rate_money) ? gd->rate_money * (1.0 + BO_GUARD_MONEY_EPS) : NAN;
	rate->since = wall_now() - gd->rate_per_s;
	rate->need = need;
}

typedef struct claim_arg {
	runner *r;
	bo_trial_rec t;
	bo_pg_rate rate;
} claim_arg;

static int do_claim(void *arg)
{
	claim_arg *a = arg;
	return bo__pg_claim_queued(a->r->st, &a->t, worker_limit(a->r), &a->rate);
}

int64_t bo__run_finished_anywhere(const runner *r)
{
	/* told: each of them is in r->max_cost (bo__worker_refresh) */
	if (r->w && r->w->ntold > r->nfinished)
		return r->w->ntold;
	return r->nfinished;
}

/* Claims a queued configuration into x: *id its trial, 0 when none. Its
 * reservation comes before its configuration is known (the claim takes it
 * under the budget row's lock), so it follows the rule without a
 * prediction (runner/reserve.h), into *ro. Returns 0, BO_DONE (the budget
 * row refused it: r->w->refused), or an error. */
int bo__run_worker_claim(runner *r, double *x, bo_reserve_out *ro, int64_t *id)
{
	const bo_budget *b = &r->s->budget;
	bo_reserve_in in;
	claim_arg a;
	double reserve;
	int rc;
	*id = 0;
	r->w->refused = 0;
	if (r->w->sync.nqueued <= 0)
		return 0;
	memset(&in, 0, sizeof in);
	in.budget = b;
	in.left = b->money - r->spent - r->reserved - bo__run_overrun(r);
	in.slots = (int64_t)r->parallel - (int64_t)r->njobs;
	in.running = (int64_t)r->njobs;
	in.nfinished = bo__run_finished_anywhere(r);
	in.max_cost = r->max_cost;
	in.predicted = NAN;
	reserve = bo__reserve_for(&in, ro) == BO_RESERVE_OK ? ro->reserve : ro->need;
	ro->reserve = reserve;
	snprintf(ro->basis, sizeof ro->basis, "a configuration queued again: %.160s",
		 ro->basis[0] ? ro->basis : "the rule without a prediction");
	memset(&a, 0, sizeof a);
	a.r = r;
	a.t.run_id = r->run_id;
	a.t.reserved = reserve;
	a.t.started_at = wall_now();
	a.t.host = r->host;
	rate_of(r, reserve, &a.rate);   /* no prediction: its reservation */
	rc = bo__worker_retry(r->w, do_claim, &a, "claiming a queued trial");
	if (rc == BO_DONE && a.rate.refused) {
		bo__guard_rate_shared(&r->guard, 1, a.rate.window, a.rate.held, reserve);
		r->w->refused = 1;
	} else if (rc == 0) {
		bo__guard_rate_shared(&r->guard, 0, 0.0, 0.0, reserve);
		bo__worker_params(r->s, a.t.params, a.t.nparams, x);
		*id = a.t.id;
		bo__run_note(r, "trial %lld: a configuration queued again after its worker died", (long long)*id);
	} else if (rc == BO_DONE && r->w->sync.spent + r->w->sync.reserved + reserve >
					    worker_limit(r)) {
		worker_refused(r, reserve);
	}
	bo__free(a.t.params_json);
	bo__kv_free(a.t.params, a.t.nparams);
	if (rc == BO_DONE)
		return r->w->refused ? BO_DONE : 0;
	return rc;
}

typedef struct rate_arg {
	runner *r;
	double since, window;
} rate_arg;

static int do_rate(void *arg)
{
	rate_arg *a = arg;
	return bo__pg_rate_window(a->r->st, a->since, &a->window);
}

/* Before a launch (the proposal is kept while it waits): 1 when the next
 * trial, predicted to cost need, fits the spend rate of all workers as
 * the last sync and the ledger's window say; 0 (one "rate_wait" event
 * per wait) when it waits; or an error. The insert checks again under
 * the budget row's lock, so workers deciding together never pass it. */
int bo__run_worker_rate_ok(runner *r, double need)
{
	const bo_guard *gd = &r->s->guard;
	rate_arg a;
	int rc, ok;
	if (!isfinite(gd->rate_money))
		return 1;
	a.r = r;
	a.since = wall_now() - gd->rate_per_s;
	a.window = 0.0;
	if ((rc = bo__worker_retry(r->w, do_rate, &a, "reading the spend rate")) < 0)
		return rc;
	ok = bo__rate_allows(gd, a.window, r->w->sync.reserved, (size_t)r->w->sync.nrunning, need);
	if (!ok)
		bo__guard_rate_shared(&r->guard, 1, a.window, r->w->sync.reserved, need);
	return ok;
}

typedef struct insert_arg {
	runner *r;
	bo_trial_rec *t;
	bo_pg_rate rate;
} insert_arg;

static int do_insert(void *arg)
{
	insert_arg *a = arg;
	return bo__pg_trial_insert(a->r->st, a->t, worker_limit(a->r), a->r->s->budget.trials,
				   &a->rate);
}

/* Inserts and reserves under the budget row's lock: BO_DONE when the
 * money of all workers together would pass the budget, the trial budget
 * is reached (another worker started a trial since the last sync; the
 * next decision, which syncs, stops), or the spend rate of all workers
 * would be passed by need, the trial's predicted cost (it waits). */
int bo__run_worker_insert(runner *r, bo_trial_rec *t, double need)
{
	insert_arg a;
	int rc;
	a.r = r;
	a.t = t;
	rate_of(r, need, &a.rate);
	rc = bo__worker_retry(r->w, do_insert, &a, "starting a trial");
	if (rc == BO_DONE && a.rate.refused) {
		bo__guard_rate_shared(&r->guard, 1, a.rate.window, a.rate.held, need);
		r->w->refused = 1;
	} else if (rc == BO_DONE) {
		if (r->s->budget.trials > 0 && bo__run_worker_sync(r) == 0 && r->ntrials >= r->s->budget.trials)
			r->w->refused = 1;
		else
			worker_refused(r, t->reserved);
	} else if (rc == 0) {
		bo__guard_rate_shared(&r->guard, 0, 0.0, 0.0, need);
	}
	return rc;
}

typedef struct alert_arg {
	runner *r;
	const char *key, *detail;
	double amount;
} alert_arg;

static int do_alert(void *arg)
{
	alert_arg *a = arg;
	return bo__pg_alert_once(a->r->st, a->r->run_id, a->key, a->amount, a->detail, wall_now());
}

/* The safeguards' alert_once (runner/safeguards.h): the alert's event,
 * unless another worker recorded the same threshold first, decided under
 * the budget row's lock. */
int bo__run_worker_alert(void *ud, const char *key, double amount, const char *detail)
{
	runner *r = ud;
	alert_arg a;
	a.r = r;
	a.key = key;
	a.detail = detail;
	a.amount = amount;
	return bo__worker_retry(r->w, do_alert, &a, "recording a budget alert");
}

typedef struct finish_arg {
	runner *r;
	const bo_trial_rec *t;
} finish_arg;

static int do_finish(void *arg)
{
	finish_arg *a = arg;
	return a->r->st->ops->trial_finish(a->r->st, a->t);
}

/* Commits a finished trial, waiting for the database if it is away. A
 * trial that is no longer running was committed by an earlier try whose
 * reply was lost, or failed as orphaned by another worker while this one
 * was cut off: charged already, never twice. */
int bo__run_worker_finish(runner *r, const bo_trial_rec *t)
{
	finish_arg a;
	int rc;
	a.r = r;
	a.t = t;
	rc = bo__worker_retry(r->w, do_finish, &a, "recording a finished trial");
	if (rc == BO_ECONFLICT) {
		bo__run_note(r, "trial %lld was already final in the ledger (%s); not charged again",
		     (long long)t->id, bo_error_last());
		rc = 0;
	}
	return rc;
}

static double reap_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap)
{
	double uncapped, cost = bo__run_charge_for(ud, id, usage, n, cap, &uncapped);
	/* bo__pg_reap charges in the transaction this event joins */
	bo__run_clamp_event(ud, id, uncapped, cost);
	return cost;
}

/* Fails the trials of workers whose heartbeat stopped, once this worker
 * has itself seen the database for a whole timeout (after an outage
 * every worker's heartbeat is old, and none is dead for that). */
void bo__run_worker_reap(runner *r)
{
	int64_t n = 0;
	if (r->w->down || mono_now() - r->w->db_ok_since < r->w->o.heartbeat_timeout_s)
		return;
	if (bo__pg_reap(r->st, wall_now(), r->w->o.heartbeat_timeout_s, reap_charge, r, &n) < 0)
		bo__run_note(r, "failing orphaned trials: %s (tried again at the next heartbeat)", bo_error_last());
	else if (n > 0) {
		r->sum.orphans += n;
		bo__run_note(r, "failed %lld trial(s) of workers that stopped sending heartbeats; their "
			"configurations are queued again", (long long)n);
	}
}

/* A running trial without a cap whose live cost passed its reservation
 * holds that money (bo__run_overrun() counts it for this worker's launches); the
 * other workers see only the budget row, so the trial's reservation there
 * is raised to it (bo__pg_trial_hold), by steps of at least 2% to keep
 * the writes few. A failed write is tried again at the next heartbeat. */
void bo__run_worker_hold(runner *r, job_ctx *j)
{
	double held = bo__reserve_held(j->reserved, j->cost_now), now = NAN;
	if (r->w->down || isfinite(j->cap) || !(held > j->reserved * 1.02 + 1e-12))
		return;
	if (bo__pg_trial_hold(r->st, j->id, r->run_id, held, &now) < 0) {
		bo__run_note(r, "trial %lld: holding its live cost %.6g: %s (tried again at the next heartbeat)",
		     (long long)j->id, held, bo_error_last());
		return;
	}
	if (isfinite(now) && now > j->reserved) {
		r->reserved += now - j->reserved;
		j->reserved = now;
	}
}
