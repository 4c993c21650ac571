/*
 * runner/worker.c - helpers of the run loop for workers sharing one
 * PostgreSQL study (see worker.h).
 *
 * Why retries live here and not in storage/: a storage call either
 * commits or changes nothing, so the loop may simply call it again when
 * the server is back; whether to wait or give up is the runner's choice.
 * A trial finished while the database was away is committed by the
 * retry; a retry after a commit whose reply was lost is refused
 * (BO_ECONFLICT: not running) and so never charged twice.
 *
 * Must never print or exit (messages go through the note callback).
 */
#include "runner/worker.h"
#include "core/alloc.h"
#include "core/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double s)
{
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void bo__worker_init(bo_worker *w, const bo_worker_options *o, volatile sig_atomic_t *interrupts,
		     bo_worker_note_fn note, void *ud, double now)
{
	memset(w, 0, sizeof *w);
	if (o)
		w->o = *o;
	if (!(w->o.heartbeat_timeout_s > 0))
		w->o.heartbeat_timeout_s = 60.0;
	if (!(w->o.max_backoff_s > 0))
		w->o.max_backoff_s = 5.0;
	w->interrupts = interrupts;
	w->note = note;
	w->ud = ud;
	w->db_ok_since = now;
	w->floor = 1;
}

void bo__worker_clear(bo_worker *w)
{
	if (!w)
		return;
	bo__free(w->told);
	w->told = NULL;
	w->ntold_cap = 0;
	w->ntold = 0;
	w->floor = 1;
}

/* Sets told[id] (id >= 1), growing the array; advances the floor. */
static int set_told(bo_worker *w, int64_t id)
{
	size_t cap = w->ntold_cap;
	int rc;
	if ((size_t)id >= w->ntold_cap) {
		if ((rc = bo__grow(&w->told, &cap, (size_t)id + 1, 1)) < 0)
			return rc;
		memset(w->told + w->ntold_cap, 0, cap - w->ntold_cap);
		w->ntold_cap = cap;
	}
	if (!w->told[id]) {
		w->told[id] = 1;
		w->ntold++;
	}
	while ((size_t)w->floor < w->ntold_cap && w->told[w->floor])
		w->floor++;
	return 0;
}

int bo__worker_retry(bo_worker *w, int (*fn)(void *arg), void *arg, const char *what)
{
	double wait = 0.1;
	int rc;
	for (;;) {
		rc = fn(arg);
		if (rc != BO_EIO)
			break;
		if (w->interrupts && *w->interrupts >= 2)
			return bo__error(BO_EINTR, "interrupted while waiting for the database (%s)", what);
		if (!w->down) {
			char msg[1200];
			w->down = 1;
			snprintf(msg, sizeof msg, "database unreachable while %s (%s); retrying", what,
				 bo_error_last());
			if (w->note)
				w->note(w->ud, msg);
		}
		nap(wait);
		wait = fmin(wait * 2, w->o.max_backoff_s);
	}
	if (w->down && rc != BO_EIO) {
		w->down = 0;
		w->db_ok_since = mono();
		if (w->note)
			w->note(w->ud, "database reachable again; carrying on");
	}
	return rc;
}

typedef struct sync_arg {
	bo_storage *st;
	bo_pg_sync *out;
} sync_arg;

static int do_sync(void *arg)
{
	sync_arg *a = arg;
	return bo__pg_sync(a->st, a->out);
}

int bo__worker_sync(bo_worker *w, bo_storage *st)
{
	sync_arg a;
	a.st = st;
	a.out = &w->sync;
	return bo__worker_retry(w, do_sync, &a, "reading the shared study");
}

void bo__worker_params(const bo_study *s, const bo_kv *p, size_t n, double *x)
{
	size_t k;
	for (k = 0; k < s->nparams; k++)
		x[k] = bo__kv_get(p, n, s->params[k].name);
}

static int is_final(int st)
{
	return st == BO_TRIAL_COMPLETE || st == BO_TRIAL_PRUNED || st == BO_TRIAL_FAILED;
}

typedef struct list_arg {
	bo_storage *st;
	bo_trial_rec *t;
	size_t n;
	int64_t min_id;
} list_arg;

static int do_list(void *arg)
{
	list_arg *a = arg;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	q.min_id = a->min_id;
	return a->st->ops->trials(a->st, &q, &a->t, &a->n);
}

int bo__worker_refresh(bo_worker *w, bo_storage *st, bo_sampler *sm, const bo_study *s,
		       double *max_cost)
{
	list_arg a;
	double *x = NULL, *m = NULL;
	size_t i;
	int rc;
	/* Nothing new finished since the last time: no history to read. */
	if (w->sync.nfinal > 0 && w->ntold >= w->sync.nfinal)
		return 0;
	memset(&a, 0, sizeof a);
	a.st = st;
	a.min_id = w->floor;
	if ((rc = bo__worker_retry(w, do_list, &a, "reading the history")) < 0)
		return rc;
	x = bo__calloc(s->nparams + 1, sizeof *x);
	m = bo__calloc(s->nmetrics + 1, sizeof *m);
	if (!x || !m) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < a.n; i++) {
		const bo_trial_rec *t = &a.t[i];
		size_t id = (size_t)t->id;
		if (!is_final(t->state) || t->id < 1)
			continue;
		if (id < w->ntold_cap && w->told[id])
			continue;
		bo__trial_rec_point(s, t, x, m);
		if ((rc = bo__sampler_tell_metrics(sm, t->id - 1, x, t->state, m, t->cost)) < 0 ||
		    (rc = set_told(w, t->id)) < 0)
			goto done;
		if (max_cost && isfinite(t->cost))
			*max_cost = fmax(*max_cost, t->cost);
	}
	rc = 0;
done:
	bo__trial_rec_free_array(a.t, a.n);
	bo__free(x);
	bo__free(m);
	return rc;
}

void bo__worker_idle(bo_worker *w, bo_storage *st, int slice_ms)
{
	int rc = bo__pg_wait(st, w->heard ? BO_WORKER_IDLE_POLL_MS : slice_ms);
	if (rc == BO_PG_WOKEN) {
		w->nwoken++;
		w->heard = 1;
	} else if (rc == BO_PG_TIMEOUT) {
		w->npolled++;
	}
	/* BO_PG_LISTENING: listening from now on; the loop looks again at
	 * once. An error: the wait slept its time; the next read reconnects. */
}

int bo__worker_mark(bo_worker *w, int64_t id)
{
	if (id < 1)
		return 0;
	return set_told(w, id);
}
