/*
 * storage/postgres_workers.c - what several workers on one PostgreSQL
 * study need beyond bo_storage_ops: one read of the shared state before
 * each decision, claiming re-queued configurations, failing the trials of
 * workers whose heartbeat stopped, and the safeguards that are the
 * study's, not each worker's (an alert recorded once, the spend rate of
 * all workers).
 *
 * Locks: every change of trials or money takes the budget row first
 * (SELECT ... FOR UPDATE), then trial rows, so two workers never wait on
 * each other in opposite orders. Claims of queued trials use FOR UPDATE
 * SKIP LOCKED so that, should the budget row ever stop serializing them,
 * two workers still never claim the same row.
 *
 * Must never print, exit, or format a value into SQL text: every value is
 * a bound parameter.
 */
#include "storage/postgres_int.h"
#include "storage/postgres.h"
#include "core/alloc.h"
#include "core/error.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMLEN 40

/* Runs constant sql with n text values, prepared once per session
 * (bo__pg_exec_hot): a worker runs these at every decision and trial. */
static int run(pg *q, const char *sql, int n, const char *const *v, PGresult **out,
	       const char *what)
{
	return bo__pg_exec_hot(q, sql, n, v, out, what);
}

static void rollback(PGconn *c)
{
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, "ROLLBACK"));
}

static double num(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NAN : strtod(PQgetvalue(r, row, col), NULL);
}

static int64_t inum(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void fmt_real(char *buf, double v)
{
	snprintf(buf, NUMLEN, "%.17g", v);
}

static void fmt_int(char *buf, int64_t v)
{
	snprintf(buf, NUMLEN, "%" PRId64, v);
}

/* The ledger of st, its connection reset first when the server dropped
 * it; NULL (the error set) when st is not a PostgreSQL ledger or the
 * server cannot be reached. */
static pg *conn(bo_storage *st, const char *what)
{
	pg *q = (pg *)st;
	if (!bo__pg_conn(st, NULL)) {
		bo__error(BO_EMISUSE, "%s: not a postgresql ledger", what);
		return NULL;
	}
	if (PQstatus(q->c) != CONNECTION_OK) {
		bo__pg_db_error(q, NULL, what);
		return NULL;
	}
	return q;
}

int bo__pg_sync(bo_storage *st, bo_pg_sync *out)
{
	const char *what = "reading the shared study";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if (!c)
		return BO_EIO;
	/* Notifications that arrived before this read are answered by it
	 * (their transactions committed before it was sent); those that come
	 * with its reply may not be, and stay for bo__pg_wait. */
	bo__pg_notes_take(c);
	if ((rc = run(c, /* the counts a trigger keeps (storage/postgres_schema.c,
		       * 3 -> 4): one row, not a pass over trials */
		      "SELECT ntrials, nqueued, nfinal, nrunning, spent, reserved FROM budget "
		      "WHERE id = 1",
		      0, NULL, &r, what)))
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return bo__error(BO_EIO, "%s: %s: the budget row is missing", c->label, what);
	}
	out->ntrials = inum(r, 0, 0);
	out->nqueued = inum(r, 0, 1);
	out->nfinal = inum(r, 0, 2);
	out->nrunning = inum(r, 0, 3);
	out->spent = num(r, 0, 4);
	out->reserved = num(r, 0, 5);
	PQclear(r);
	return 0;
}

int bo__pg_worker_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id)
{
	const char *what = "registering a worker";
	pg *c = conn(st, what);
	char b[4][NUMLEN];
	const char *v[6];
	PGresult *r = NULL;
	int rc;
	*run_id = 0;
	if (!c)
		return BO_EIO;
	fmt_int(b[0], version);
	fmt_int(b[1], pid);
	fmt_int(b[2], (int64_t)seed);
	fmt_real(b[3], now);
	v[0] = b[0];
	v[1] = b[1];
	v[2] = host;
	v[3] = b[2];
	v[4] = sampler;
	v[5] = b[3];
	if ((rc = run(c, "INSERT INTO runs(version, pid, host, seed, sampler, started_at, heartbeat_at) "
		      "VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
		      6, v, &r, what)))
		return rc;
	*run_id = inum(r, 0, 0);
	PQclear(r);
	return 0;
}

int bo__pg_claim_queued(bo_storage *st, bo_trial_rec *t, double limit, bo_pg_rate *rate)
{
	const char *what = "claiming a queued trial";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	char b[5][NUMLEN];
	const char *v[6];
	double spent, reserved;
	int rc, i;
	int64_t id, nrunning;
	if (!c)
		return BO_EIO;
	if (rate)
		rate->refused = 0;
	if ((rc = run(c, "BEGIN", 0, NULL, NULL, what)) ||
	    (rc = run(c, "SELECT spent, reserved, nrunning FROM budget WHERE id = 1 FOR UPDATE",
		      0, NULL, &r, what)))
		goto done;
	spent = num(r, 0, 0);
	reserved = num(r, 0, 1);
	nrunning = inum(r, 0, 2);
	PQclear(r);
	r = NULL;
	if (rate && !isnan(rate->money)) {
		/* the spend rate of every process, as bo__pg_trial_insert checks it */
		double need = isfinite(rate->need) ? rate->need : 0.0;
		fmt_real(b[0], rate->since);
		v[0] = b[0];
		if ((rc = run(c, BO_PG_SQL_RATE_WINDOW, 1, v, &r, what)))
			goto done;
		rate->window = PQntuples(r) == 1 ? num(r, 0, 0) : 0.0;
		rate->held = reserved;
		PQclear(r);
		r = NULL;
		rate->refused = rate->window + rate->held + need > rate->money &&
				!(rate->window <= 0 && nrunning == 0);
	}
	if ((!isnan(limit) && isfinite(t->reserved) && spent + reserved + t->reserved > limit) ||
	    (rate && rate->refused)) {
		rc = BO_DONE;
		goto done;
	}
	if ((rc = run(c, "SELECT id, params_json FROM trials WHERE state = 'queued' ORDER BY id "
		      "LIMIT 1 FOR UPDATE SKIP LOCKED",
		      0, NULL, &r, what)))
		goto done;
	if (PQntuples(r) == 0) {
		rc = BO_DONE;
		goto done;
	}
	id = inum(r, 0, 0);
	if (!(t->params_json = bo__strdup(PQgetvalue(r, 0, 1)))) {
		rc = BO_ENOMEM;
		goto done;
	}
	PQclear(r);
	r = NULL;
	fmt_int(b[0], id);
	fmt_int(b[1], t->run_id);
	fmt_real(b[2], t->reserved);
	fmt_real(b[3], t->started_at);
	v[0] = b[0];
	v[1] = b[1];
	v[2] = isfinite(t->reserved) ? b[2] : NULL;
	v[3] = b[3];
	v[4] = t->host;
	v[5] = t->folder;
	if ((rc = run(c, "UPDATE trials SET state = 'running', run_id = $2, reserved = $3, "
		      "started_at = $4, host = $5, folder = $6 WHERE id = $1",
		      6, v, NULL, what)))
		goto done;
	if (isfinite(t->reserved) &&
	    (rc = run(c, "UPDATE budget SET reserved = reserved + $1 WHERE id = 1", 1, v + 2,
		      NULL, what)))
		goto done;
	v[2] = "reserve";
	v[3] = isfinite(t->reserved) ? b[2] : NULL;
	if ((rc = run(c, "INSERT INTO events(t, run_id, trial_id, kind, amount, detail) VALUES "
		      "(extract(epoch from clock_timestamp())::double precision, $2, $1, $3, $4, "
		      "'claimed from the queue')",
		      4, v, NULL, what)))
		goto done;
	if ((rc = run(c, "SELECT name, value FROM trial_params WHERE trial_id = $1 ORDER BY seq",
		      1, v, &r, what)))
		goto done;
	for (i = 0; i < PQntuples(r); i++) {
		size_t cap = t->nparams;
		if ((rc = bo__kv_push(&t->params, &t->nparams, &cap, PQgetvalue(r, i, 0), num(r, i, 1))))
			goto done;
	}
	if ((rc = run(c, BO_PG_SQL_NOTIFY, 1, (const char *const[]){"claim"}, NULL, what)) ||
	    (rc = run(c, "COMMIT", 0, NULL, NULL, what)))
		goto done;
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
done:
	PQclear(r);
	if (rc) {
		rollback(c->c);
		bo__free(t->params_json);
		t->params_json = NULL;
		bo__kv_free(t->params, t->nparams);
		t->params = NULL;
		t->nparams = 0;
	}
	return rc;
}

int bo__pg_trial_hold(bo_storage *st, int64_t id, int64_t run_id, double held, double *reserved)
{
	const char *what = "holding a running trial's live cost";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	char b[4][NUMLEN], detail[200];
	const char *v[4];
	double old;
	int rc;
	if (!c)
		return BO_EIO;
	if (!isfinite(held) || held < 0)
		return bo__error(BO_EINVAL, "%s: held %g", what, held);
	fmt_int(b[0], id);
	v[0] = b[0];
	/* the budget row first, then the trial's (the lock order of every
	 * change of money) */
	if ((rc = run(c, "BEGIN", 0, NULL, NULL, what)) ||
	    (rc = run(c, "SELECT 1 FROM budget WHERE id = 1 FOR UPDATE", 0, NULL, NULL,
		      what)) ||
	    (rc = run(c, "SELECT state, reserved FROM trials WHERE id = $1 FOR UPDATE", 1, v,
		      &r, what)))
		goto done;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "running") != 0) {
		rc = run(c, "COMMIT", 0, NULL, NULL, what);
		*reserved = NAN;
		goto done;
	}
	old = num(r, 0, 1);
	if (!isfinite(old))
		old = 0.0;
	*reserved = old;
	if (held <= old) {
		rc = run(c, "COMMIT", 0, NULL, NULL, what);
		goto done;
	}
	fmt_real(b[1], held);
	fmt_real(b[2], held - old);
	fmt_int(b[3], run_id);
	snprintf(detail, sizeof detail,
		 "live cost %.6g passed its reservation %.6g: the budget holds %.6g for it", held, old,
		 held);
	v[1] = b[1];
	if ((rc = run(c, "UPDATE trials SET reserved = $2 WHERE id = $1", 2, v, NULL, what)) ||
	    (rc = run(c, "UPDATE budget SET reserved = reserved + $1 WHERE id = 1", 1,
		      (const char *const[]){b[2]}, NULL, what)))
		goto done;
	v[1] = b[3];
	v[2] = b[1];
	v[3] = detail;
	if ((rc = run(c, "INSERT INTO events(t, run_id, trial_id, kind, amount, detail) VALUES "
		      "(extract(epoch from clock_timestamp())::double precision, $2, $1, 'hold', $3, $4)",
		      4, v, NULL, what)) ||
	    (rc = run(c, "COMMIT", 0, NULL, NULL, what)))
		goto done;
	*reserved = held;
done:
	PQclear(r);
	if (rc)
		rollback(c->c);
	return rc;
}

int bo__pg_alert_once(bo_storage *st, int64_t run_id, const char *key, double amount,
		      const char *detail, double now)
{
	const char *what = "recording a budget alert";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	char b[3][NUMLEN];
	const char *v[5];
	int rc;
	if (!c)
		return BO_EIO;
	if (!key || !*key || !detail)
		return bo__error(BO_EMISUSE, "%s: no key or detail", what);
	/* Under the budget row's lock: two workers crossing a threshold
	 * together queue there, and the second one's read, a statement
	 * after the lock was granted, sees the first one's event. */
	v[0] = key;
	if ((rc = run(c, "BEGIN", 0, NULL, NULL, what)) ||
	    (rc = run(c, "SELECT 1 FROM budget WHERE id = 1 FOR UPDATE", 0, NULL, NULL,
		      what)) ||
	    (rc = run(c, "SELECT 1 FROM events WHERE kind = 'alert' AND left(detail, length($1)) = $1 "
		      "LIMIT 1",
		      1, v, &r, what)))
		goto done;
	if (PQntuples(r) > 0) {
		rc = run(c, "COMMIT", 0, NULL, NULL, what);
		goto done;   /* 0: fired by another process */
	}
	fmt_real(b[0], now);
	fmt_int(b[1], run_id);
	fmt_real(b[2], amount);
	v[0] = b[0];
	v[1] = run_id > 0 ? b[1] : NULL;
	v[2] = isfinite(amount) ? b[2] : NULL;
	v[3] = detail;
	if ((rc = run(c, "INSERT INTO events(t, run_id, kind, amount, detail) VALUES "
		      "($1, $2, 'alert', $3, $4)",
		      4, v, NULL, what)) ||
	    (rc = run(c, "COMMIT", 0, NULL, NULL, what)))
		goto done;
	rc = 1;
done:
	PQclear(r);
	if (rc < 0)
		rollback(c->c);
	return rc;
}

int bo__pg_rate_window(bo_storage *st, double since, double *window)
{
	const char *what = "reading the spend rate";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	char b[NUMLEN];
	const char *v[1];
	int rc;
	*window = 0.0;
	if (!c)
		return BO_EIO;
	fmt_real(b, since);
	v[0] = b;
	if ((rc = run(c, BO_PG_SQL_RATE_WINDOW, 1, v, &r, what)))
		return rc;
	if (PQntuples(r) == 1)
		*window = num(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Inserts a queued copy of trial old (its configuration) unless old was a
 * re-queue itself; in the caller's transaction. */
static int requeue(pg *c, int64_t old, const char *what)
{
	PGresult *r = NULL;
	char b[2][NUMLEN];
	const char *v[2];
	int rc;
	int64_t id;
	fmt_int(b[0], old);
	v[0] = b[0];
	if ((rc = run(c, "SELECT 1 FROM events WHERE kind = 'requeue' AND trial_id = $1", 1, v,
		      &r, what)))
		return rc;
	if (PQntuples(r) > 0) {
		PQclear(r);
		return 0;   /* once only */
	}
	PQclear(r);
	if ((rc = run(c, "SELECT COALESCE(MAX(id), 0) + 1 FROM trials", 0, NULL, &r, what)))
		return rc;
	id = inum(r, 0, 0);
	PQclear(r);
	fmt_int(b[1], id);
	v[1] = b[1];
	if ((rc = run(c, "INSERT INTO trials(id, version, state, sampler, params_json, price_version, "
		      "created_at, reason) SELECT $2, version, 'queued', sampler, params_json, "
		      "price_version, extract(epoch from clock_timestamp())::double precision, "
		      "'queued again: trial ' || $1::text || ' was orphaned' FROM trials "
		      "WHERE id = $1::bigint",
		      2, v, NULL, what)) ||
	    (rc = run(c, "INSERT INTO trial_params(trial_id, name, value) SELECT $2, name, value "
		      "FROM trial_params WHERE trial_id = $1 ORDER BY seq",
		      2, v, NULL, what)) ||
	    (rc = run(c, "INSERT INTO events(t, trial_id, kind, detail) VALUES "
		      "(extract(epoch from clock_timestamp())::double precision, $2, 'requeue', "
		      "'configuration of orphaned trial ' || $1::text)",
		      2, v, NULL, what)) ||
	    (rc = run(c, BO_PG_SQL_NOTIFY, 1, (const char *const[]){"queued"}, NULL, what)))
		return rc;
	return 0;
}

int bo__pg_reap(bo_storage *st, double now, double timeout_s, bo_pg_charge_fn charge, void *ud,
		int64_t *nreaped)
{
	const char *what = "failing orphaned trials";
	pg *c = conn(st, what);
	PGresult *runs = NULL, *r = NULL;
	char b[4][NUMLEN];
	const char *v[4];
	int rc = 0, i, k;
	*nreaped = 0;
	if (!c)
		return BO_EIO;
	fmt_real(b[0], now - timeout_s);
	v[0] = b[0];
	if ((rc = run(c, "SELECT id, host, pid, heartbeat_at FROM runs WHERE ended_at IS NULL "
		      "AND heartbeat_at < $1 ORDER BY id",
		      1, v, &runs, what)))
		return rc;
	for (i = 0; i < PQntuples(runs) && rc == 0; i++) {
		char reason[512];
		double hb = num(runs, i, 3);
		snprintf(reason, sizeof reason,
			 "orphaned: worker %s pid %s stopped sending heartbeats (last %.0f s before "
			 "this check; timeout %g s)",
			 PQgetvalue(runs, i, 1), PQgetvalue(runs, i, 2), now - hb, timeout_s);
		v[0] = PQgetvalue(runs, i, 0);
		if ((rc = run(c, "SELECT id FROM trials WHERE run_id = $1 AND state = 'running' "
					"ORDER BY id", 1, v, &r, what)))
			break;
		for (k = 0; k < PQntuples(r) && rc == 0; k++) {
			bo_trial_rec t, f;
			double cost;
			int64_t id = inum(r, k, 0);
			memset(&f, 0, sizeof f);
			if ((rc = st->ops->trial_get(st, id, &t)) < 0)
				break;
			cost = charge ? charge(ud, id, t.usage, t.nusage, t.reserved) : 0.0;
			if (!isfinite(cost) || cost < 0)
				cost = 0.0;
			f.id = id;
			f.run_id = t.run_id;
			f.state = BO_TRIAL_FAILED;
			f.cost = cost;
			f.reason = reason;
			f.score = NAN;
			f.feasible = -1;
			f.ended_at = hb;
			f.exit_code = -1;
			f.usage = t.usage;
			f.nusage = t.nusage;
			f.price_version = t.price_version;
			rc = st->ops->trial_finish(st, &f);
			bo__trial_rec_clear(&t);
			if (rc == BO_ECONFLICT) {
				rc = 0;     /* another worker reaped it first */
				continue;
			}
			if (rc < 0)
				break;
			(*nreaped)++;
			/* The one whose finish committed re-queues: once. */
			if ((rc = run(c, "BEGIN", 0, NULL, NULL, what)) ||
			    (rc = run(c, "SELECT 1 FROM budget WHERE id = 1 FOR UPDATE", 0, NULL,
				      NULL, what)) ||
			    (rc = requeue(c, id, what)) ||
			    (rc = run(c, "COMMIT", 0, NULL, NULL, what)))
				rollback(c->c);
		}
		PQclear(r);
		r = NULL;
		if (rc == 0) {
			v[0] = PQgetvalue(runs, i, 0);
			rc = run(c, "UPDATE runs SET ended_at = heartbeat_at WHERE id = $1 "
					   "AND ended_at IS NULL", 1, v, NULL, what);
		}
	}
	PQclear(r);
	PQclear(runs);
	return rc;
}

int bo__pg_workers(bo_storage *st, bo_pg_worker **out, size_t *n)
{
	const char *what = "reading workers";
	pg *c = conn(st, what);
	PGresult *r = NULL;
	int rc, i;
	*out = NULL;
	*n = 0;
	if (!c)
		return BO_EIO;
	if ((rc = run(c, "SELECT id, host, pid, started_at, heartbeat_at, ended_at, ntrials FROM workers "
		      "ORDER BY id DESC",
		      0, NULL, &r, what)))
		return rc;
	if (PQntuples(r) > 0 && !(*out = bo__calloc((size_t)PQntuples(r), sizeof **out))) {
		PQclear(r);
		return BO_ENOMEM;
	}
	for (i = 0; i < PQntuples(r); i++) {
		bo_pg_worker *w = &(*out)[i];
		w->id = inum(r, i, 0);
		snprintf(w->host, sizeof w->host, "%s", PQgetvalue(r, i, 1));
		w->pid = inum(r, i, 2);
		w->started_at = num(r, i, 3);
		w->heartbeat_at = num(r, i, 4);
		w->ended_at = PQgetisnull(r, i, 5) ? 0 : num(r, i, 5);
		w->ntrials = inum(r, i, 6);
	}
	*n = (size_t)PQntuples(r);
	PQclear(r);
	return 0;
}
