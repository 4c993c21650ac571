/*
 * runner/worker.h - the parts of the run loop that differ when several
 * workers share one PostgreSQL study (bo_run_worker): reading the shared
 * state, telling the sampler what other workers finished, waiting out a
 * lost database. The loop itself stays in runner.c, which calls these at
 * a few points (marked "worker:" there).
 */
#ifndef BO_RUNNER_WORKER_H
#define BO_RUNNER_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "budgetopt/run.h"
#include "core/model.h"
#include "samplers/sampler.h"
#include "storage/postgres.h"

typedef void (*bo_worker_note_fn)(void *ud, const char *msg);

typedef struct bo_worker {
	bo_worker_options o;
	bo_pg_sync sync;          /* as read before the last decision */
	unsigned char *told;      /* told[id]: trial id given to the sampler */
	size_t ntold_cap;
	int64_t ntold;            /* ids set in told */
	int64_t floor;            /* every id below it was told: a refresh
				     reads the trials from it on, not all */
	int64_t seq;              /* trials this worker started (folder names) */
	double db_ok_since;       /* monotonic time the database last came back */
	int refused;              /* the budget row refused the last reservation */
	int heard;                /* a notification of another session came:
				     the ledger delivers them (bo__worker_idle) */
	int64_t nwoken, npolled;  /* idle waits ended by a notification, by
				     the poll */
	int down;                 /* the database is unreachable now */
	volatile sig_atomic_t *interrupts;
	bo_worker_note_fn note;
	void *ud;
} bo_worker;

void bo__worker_init(bo_worker *w, const bo_worker_options *o, volatile sig_atomic_t *interrupts,
		     bo_worker_note_fn note, void *ud, double now);
void bo__worker_clear(bo_worker *w);

/* Calls fn(arg) until it returns anything but BO_EIO (the database is
 * unreachable), sleeping with exponential backoff between tries; returns
 * fn's last code, or BO_EINTR when interrupted meanwhile. */
int bo__worker_retry(bo_worker *w, int (*fn)(void *arg), void *arg, const char *what);

/* Reads the shared state into w->sync, retrying while the database is down. */
int bo__worker_sync(bo_worker *w, bo_storage *st);

/* Tells sm every finished trial of the ledger it was not told yet (by
 * any worker), in id order; *max_cost and the wall-time sums follow.
 * Reads only the trials from the lowest id not told yet on: what finished
 * since the last refresh and what still runs, not the whole history. */
int bo__worker_refresh(bo_worker *w, bo_storage *st, bo_sampler *sm, const bo_study *s,
		       double *max_cost);

/* The longest idle wait once notifications are known to arrive: the poll
 * that catches what none announces (a spend-rate window sliding with the
 * clock) and one that was lost. Until then, slice_ms. */
#define BO_WORKER_IDLE_POLL_MS 1000

/* Waits while a worker has nothing to run (no trial of its own running):
 * until another session's change of the study commits (its notification:
 * bo__pg_wait), or the poll (slice_ms until a notification was ever heard
 * on this session, since a pooler may never deliver any; then
 * BO_WORKER_IDLE_POLL_MS), or a signal. Counts how each wait ended. */
void bo__worker_idle(bo_worker *w, bo_storage *st, int slice_ms);

/* Records that the sampler was told trial id (by this worker's loop). */
int bo__worker_mark(bo_worker *w, int64_t id);

/* The parameter vector x (s->nparams, NaN inactive) of a claimed trial. */
void bo__worker_params(const bo_study *s, const bo_kv *p, size_t n, double *x);

#endif
