/*
 * storage/postgres_write.c - what the PostgreSQL ledger writes: study
 * versions, runs and their heartbeats, trials from start to finish (under
 * the budget row's lock, batched on one pipeline), their steps and usage,
 * and events.
 *
 * Part of the PostgreSQL ledger: storage/postgres.c holds the shared
 * helpers (storage/postgres_int.h) and says what the ledger promises
 * (durability, connections, safety); the schema is sqlite.c's.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/postgres_int.h"
#include "storage/postgres.h"
#include "core/alloc.h"
#include "core/error.h"
#include "storage/pg_pipe.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SQL_NOW "extract(epoch from clock_timestamp())::double precision"

/* Runs constant sql with p's values, prepared (bo__pg_exec_hot): what a
 * worker runs at every heartbeat and every trial. */
static int exec_hot(pg *q, const char *sql, params *p, PGresult **out, const char *what)
{
	if (out)
		*out = NULL;
	if (p->oom)
		return bo__error(BO_ENOMEM, "%s: out of memory", what);
	return bo__pg_exec_hot(q, sql, p->n, p->v, out, what);
}

/* ---- study versions and runs -------------------------------------------- */

int bo__pg_register_study(bo_storage *st, const char *name, const char *text,
			     const char *hash, const char *space_hash, int64_t *version)
{
	pg *q = (pg *)st;
	const char *what = "storing the study";
	PGresult *r = NULL;
	params p;
	int rc;
	int64_t space_changed_at = 0;
	if (version)
		*version = 0;
	if (!q || !name || !text || !hash || !space_hash || !version)
		return bo__error(BO_EMISUSE, "register_study: missing argument");
	bo__pg_p_init(&p);
	if ((rc = bo__pg_begin(q, what)) || (rc = bo__pg_lock_budget(q, NULL, NULL, what)))
		goto done;
	if ((rc = bo__pg_exec(q, "SELECT id, name, space_hash FROM study_versions ORDER BY id DESC LIMIT 1",
		       NULL, &r, what)))
		goto done;
	if (PQntuples(r) == 1) {
		if (strcmp(PQgetvalue(r, 0, 1), name) != 0) {
			rc = bo__error(BO_ECONFLICT,
				       "%s: this ledger holds study \"%s\", not \"%s\"; use "
				       "another --storage for a different study",
				       q->label, PQgetvalue(r, 0, 1), name);
			goto done;
		}
		if (strcmp(PQgetvalue(r, 0, 2), space_hash) != 0)
			space_changed_at = bo__pg_col_int(r, 0, 0);
	}
	PQclear(r);
	r = NULL;
	bo__pg_p_text(&p, hash);
	if ((rc = bo__pg_exec(q, "SELECT id FROM study_versions WHERE hash = $1", &p, &r, what)))
		goto done;
	bo__pg_p_clear(&p);
	if (PQntuples(r) == 1) {
		*version = bo__pg_col_int(r, 0, 0);
		rc = bo__pg_commit(q, what);
		goto done;
	}
	PQclear(r);
	r = NULL;
	if (space_changed_at) {
		rc = bo__error(BO_ECONFLICT,
			       "%s: the search space of study \"%s\" changed since it was "
			       "stored (version %lld); start a new ledger with --storage, or "
			       "restore the old space",
			       q->label, name, (long long)space_changed_at);
		goto done;
	}
	bo__pg_p_text(&p, name);
	bo__pg_p_text(&p, hash);
	bo__pg_p_text(&p, space_hash);
	bo__pg_p_text(&p, text);
	if ((rc = bo__pg_exec(q, "INSERT INTO study_versions(name, hash, space_hash, text, created_at) "
			  "VALUES ($1, $2, $3, $4, " SQL_NOW ") RETURNING id",
		       &p, &r, what)))
		goto done;
	*version = bo__pg_col_int(r, 0, 0);
	rc = bo__pg_commit(q, what);
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	if (rc) {
		*version = 0;
		bo__pg_end_tx(q);
	}
	return rc;
}

int bo__pg_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id)
{
	pg *q = (pg *)st;
	const char *what = "starting a run";
	PGresult *r = NULL;
	params p;
	int rc, i;
	int64_t me = (int64_t)getpid();
	if (run_id)
		*run_id = 0;
	if (!q || !run_id)
		return bo__error(BO_EMISUSE, "run_begin: missing argument");
	bo__pg_p_init(&p);
	if ((rc = bo__pg_begin(q, what)) || (rc = bo__pg_lock_budget(q, NULL, NULL, what)))
		goto done;
	if ((rc = bo__pg_exec(q, "SELECT id, pid, host, started_at FROM runs WHERE ended_at IS NULL "
			  "ORDER BY id", NULL, &r, what)))
		goto done;
	for (i = 0; i < PQntuples(r); i++) {
		int64_t id = bo__pg_col_int(r, i, 0), rpid = bo__pg_col_int(r, i, 1);
		const char *rhost = PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2);
		if (!bo__pg_same_str(rhost, host))
			continue;       /* cannot tell from here; not ours to close */
		if (rpid != me && rpid != pid && bo__pg_pid_alive(rpid)) {
			char when[64];
			bo__pg_format_time(bo__pg_col_time(r, i, 3), when, sizeof when);
			rc = bo__error(BO_ECONFLICT, "%s: study is being run by pid %lld (started %s)",
				       q->label, (long long)rpid, when);
			goto done;
		}
		bo__pg_p_clear(&p);
		bo__pg_p_int(&p, id);
		if ((rc = bo__pg_exec(q, "UPDATE runs SET ended_at = heartbeat_at WHERE id = $1", &p, NULL,
			       what)))
			goto done;
	}
	PQclear(r);
	r = NULL;
	bo__pg_p_clear(&p);
	bo__pg_p_id(&p, version);
	bo__pg_p_int(&p, pid);
	bo__pg_p_outside(&p, host);
	bo__pg_p_int(&p, (int64_t)seed);
	bo__pg_p_text(&p, sampler);
	bo__pg_p_real(&p, now);
	if ((rc = bo__pg_exec(q, "INSERT INTO runs(version, pid, host, seed, sampler, started_at, "
			  "heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
		       &p, &r, what)))
		goto done;
	*run_id = bo__pg_col_int(r, 0, 0);
	rc = bo__pg_commit(q, what);
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	if (rc) {
		*run_id = 0;
		bo__pg_end_tx(q);
	}
	return rc;
}

static int run_touch(pg *q, const char *sql, int64_t run_id, double now, const char *what)
{
	PGresult *r = NULL;
	params p;
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "%s: no ledger", what);
	bo__pg_p_init(&p);
	bo__pg_p_int(&p, run_id);
	bo__pg_p_real(&p, now);
	if ((rc = bo__pg_ensure_conn(q, what)) || (rc = exec_hot(q, sql, &p, &r, what)))
		goto done;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: no run %lld in the ledger", q->label,
			       (long long)run_id);
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	return rc;
}

int bo__pg_run_heartbeat(bo_storage *st, int64_t run_id, double now)
{
	return run_touch((pg *)st, "UPDATE runs SET heartbeat_at = $2 WHERE id = $1", run_id, now,
			 "recording a heartbeat");
}

int bo__pg_run_end(bo_storage *st, int64_t run_id, double now)
{
	return run_touch((pg *)st, "UPDATE runs SET heartbeat_at = $2, ended_at = $2 WHERE id = $1",
			 run_id, now, "ending a run");
}

/* ---- trials ------------------------------------------------------------- */

/* Queues sql with p's values on batch b, then clears p. */
static void pipe_q(bo_pg_pipe *b, const char *sql, params *p)
{
	if (p && p->oom) {
		if (!b->rc)
			b->rc = bo__error(BO_ENOMEM, "%s: out of memory", b->what);
	} else
		bo__pg_pipe_send(b, sql, p ? p->n : 0, p ? p->v : NULL);
	if (p)
		bo__pg_p_clear(p);
}

/* Runs sql with p's values now, or queues it on b when b is not NULL. */
static int exec_or_q(pg *q, bo_pg_pipe *b, const char *sql, params *p, const char *what)
{
	if (!b)
		return exec_hot(q, sql, p, NULL, what);
	pipe_q(b, sql, p);
	return 0;
}

static int insert_event(pg *q, bo_pg_pipe *b, int64_t run_id, int64_t trial_id, const char *kind,
			double amount, const char *detail, double t, const char *what)
{
	params p;
	int rc;
	bo__pg_p_init(&p);
	bo__pg_p_time(&p, t);
	bo__pg_p_id(&p, run_id);
	bo__pg_p_id(&p, trial_id);
	bo__pg_p_text(&p, kind);
	bo__pg_p_real(&p, amount);
	bo__pg_p_outside(&p, detail);
	rc = exec_or_q(q, b, "INSERT INTO events(t, run_id, trial_id, kind, amount, detail) "
			     "VALUES (COALESCE($1::double precision, " SQL_NOW "), $2, $3, $4, $5, $6)",
		       &p, what);
	bo__pg_p_clear(&p);
	return rc;
}

/* Upserts (trial_id, kv[i].name, kv[i].value) rows into table (a constant). */
static int insert_kv(pg *q, bo_pg_pipe *b, const char *sql, int64_t trial_id, const bo_kv *kv,
		     size_t n, const char *what)
{
	params p;
	size_t i;
	int rc = 0;
	if (n && !kv)
		return bo__error(BO_EMISUSE, "%s: %zu values but no array", what, n);
	for (i = 0; i < n && rc == 0; i++) {
		if (!kv[i].name)
			return bo__error(BO_EINVAL, "%s: a value without a name", what);
		bo__pg_p_init(&p);
		bo__pg_p_int(&p, trial_id);
		bo__pg_p_text(&p, kv[i].name);
		bo__pg_p_real(&p, kv[i].value);
		rc = exec_or_q(q, b, sql, &p, what);
		bo__pg_p_clear(&p);
	}
	return rc;
}

#define SQL_PARAM_UPSERT \
	"INSERT INTO trial_params(trial_id, name, value) VALUES ($1, $2, $3) " \
	"ON CONFLICT (trial_id, name) DO UPDATE SET value = EXCLUDED.value"
#define SQL_METRIC_UPSERT \
	"INSERT INTO trial_metrics(trial_id, name, value) VALUES ($1, $2, $3) " \
	"ON CONFLICT (trial_id, name) DO UPDATE SET value = EXCLUDED.value"
#define SQL_USAGE_UPSERT \
	"INSERT INTO trial_usage(trial_id, resource, amount) VALUES ($1, $2, $3) " \
	"ON CONFLICT (trial_id, resource) DO UPDATE SET amount = EXCLUDED.amount"

static int delete_of(pg *q, bo_pg_pipe *b, const char *sql, int64_t trial_id, const char *what)
{
	params p;
	int rc;
	bo__pg_p_init(&p);
	bo__pg_p_int(&p, trial_id);
	rc = exec_or_q(q, b, sql, &p, what);
	bo__pg_p_clear(&p);
	return rc;
}

#define SQL_LOCK_TRIAL "SELECT state, reserved FROM trials WHERE id = $1 FOR UPDATE"

/* Whether r, the result of SQL_LOCK_TRIAL for trial id, says it is
 * running; *reserved gets what was reserved for it. */
static int check_running(pg *q, const PGresult *r, int64_t id, double *reserved, const char *what)
{
	int rc = 0;
	if (!r)
		rc = bo__error(BO_EIO, "%s: %s: no reply for trial %lld", q->label, what, (long long)id);
	else if (PQntuples(r) == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->label, what,
			       (long long)id);
	else if (strcmp(PQgetvalue(r, 0, 0), "running") != 0)
		rc = bo__error(BO_ECONFLICT, "%s: %s: trial %lld is %s, not running", q->label, what,
			       (long long)id, PQgetvalue(r, 0, 0));
	else if (reserved)
		*reserved = bo__pg_col_real(r, 0, 1);
	return rc;
}

/* Opens a transaction whose first batch takes the budget row's lock
 * (when lock_budget) and trial id's row (when id > 0): one round trip.
 * The statements that follow go on b; the caller runs it. */
static int begin_batch(pg *q, bo_pg_pipe *b, int bo__pg_lock_budget, int64_t id, const char *what)
{
	params p;
	int rc;
	if ((rc = bo__pg_ensure_conn(q, what)))
		return rc;
	bo__pg_pipe_open_prepared(b, q->c, &q->stmts, q->label, what);
	q->in_tx = 1;
	pipe_q(b, "BEGIN", NULL);
	if (bo__pg_lock_budget)
		pipe_q(b, bo__pg_sql_lock_budget, NULL);
	if (id > 0) {
		bo__pg_p_init(&p);
		bo__pg_p_int(&p, id);
		pipe_q(b, SQL_LOCK_TRIAL, &p);
	}
	return 0;
}

/* Tells listening workers (storage/postgres_notify.c) that the study
 * changed, when the batch's transaction commits. */
static void notify(bo_pg_pipe *b, const char *what)
{
	bo__pg_pipe_send(b, BO_PG_SQL_NOTIFY, 1, &what);
}

/* Runs a transaction's batch that ends with COMMIT. */
static int commit_batch(pg *q, bo_pg_pipe *b)
{
	int rc;
	pipe_q(b, "COMMIT", NULL);
	rc = bo__pg_pipe_run(b);
	if (rc == 0)
		q->in_tx = 0;
	return rc;
}

static int trial_insert(bo_storage *st, bo_trial_rec *t, double limit, int64_t max_trials,
			int by_folder, bo_pg_rate *rate)
{
	pg *q = (pg *)st;
	const char *what = "starting a trial";
	bo_pg_pipe b;
	PGresult *r;
	params p;
	int rc;
	int64_t id, n, found, nrunning;
	double spent = 0, reserved = 0;
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_start: missing argument");
	bo__pg_p_init(&p);
	memset(&b, 0, sizeof b);
	/* First round trip: the budget row's lock, then, read under it (a
	 * snapshot taken once the lock is held), the trial count, a running
	 * trial of this folder and the next id. */
	if ((rc = begin_batch(q, &b, 1, 0, what)))
		goto done;
	bo__pg_p_text(&p, by_folder ? t->folder : NULL);
	bo__pg_p_text(&p, max_trials > 0 ? "true" : "false");
	pipe_q(&b, "SELECT (SELECT ntrials FROM budget WHERE id = 1 AND $2::boolean), "
		   "(SELECT MIN(id) FROM trials WHERE folder = $1 AND state = 'running' "
		   "HAVING COUNT(*) = 1), (SELECT COALESCE(MAX(id), 0) + 1 FROM trials), "
		   "(SELECT nrunning FROM budget WHERE id = 1)",
	       &p);
	if (rate && !isnan(rate->money)) {
		/* what every process charged in the window */
		bo__pg_p_real(&p, rate->since);
		pipe_q(&b, BO_PG_SQL_RATE_WINDOW, &p);
	}
	if ((rc = bo__pg_pipe_run(&b)))
		goto done;
	r = bo__pg_pipe_result(&b, 1);
	if (!r || PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
		goto done;
	}
	spent = bo__pg_col_real(r, 0, 0);
	reserved = bo__pg_col_real(r, 0, 1);
	r = bo__pg_pipe_result(&b, 2);
	if (!r || PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: no reply to the trial count", q->label, what);
		goto done;
	}
	n = bo__pg_col_int(r, 0, 0);
	found = bo__pg_col_int(r, 0, 1);
	id = bo__pg_col_int(r, 0, 2);
	nrunning = bo__pg_col_int(r, 0, 3);
	if (rate && !isnan(rate->money)) {
		r = bo__pg_pipe_result(&b, 3);
		if (!r || PQntuples(r) != 1) {
			rc = bo__error(BO_EIO, "%s: %s: no reply to the spend rate's window", q->label,
				       what);
			goto done;
		}
		rate->window = bo__pg_col_real(r, 0, 0);
		rate->held = reserved;
	}
	bo__pg_pipe_close(&b);
	if (found > 0) {
		/* A retry after a commit whose reply was lost finds its trial
		 * (before the checks, which its own reservation now fails). */
		t->id = found;
		t->state = BO_TRIAL_RUNNING;
		rc = bo__pg_commit(q, what);
		goto done;
	}
	/* Checked and reserved under the row lock: no other process can
	 * reserve between the two. */
	if (rate && !isnan(rate->money)) {
		/* runner/safeguards.h's rule (bo__rate_allows), for every
		 * process's charges and running trials */
		double need = isfinite(rate->need) ? rate->need : 0.0;
		rate->refused = rate->window + rate->held + need > rate->money &&
				!(rate->window <= 0 && nrunning == 0);
	}
	if ((!isnan(limit) && isfinite(t->reserved) && spent + reserved + t->reserved > limit) ||
	    (max_trials > 0 && n >= max_trials) || (rate && rate->refused)) {
		rc = bo__pg_commit(q, what);
		if (rc == 0)
			rc = BO_DONE;
		goto done;
	}
	/* Second round trip: every write, and the COMMIT. */
	bo__pg_pipe_open_prepared(&b, q->c, &q->stmts, q->label, what);
	bo__pg_p_int(&p, id);
	bo__pg_p_int(&p, t->version);
	bo__pg_p_id(&p, t->run_id);
	bo__pg_p_text(&p, t->sampler);
	bo__pg_p_text(&p, t->params_json);
	bo__pg_p_real(&p, t->cost);
	bo__pg_p_real(&p, t->reserved);
	bo__pg_p_text(&p, t->price_version);
	bo__pg_p_outside(&p, t->reason);
	bo__pg_p_real(&p, t->score);
	bo__pg_p_int(&p, t->feasible);
	bo__pg_p_time(&p, t->created_at);
	bo__pg_p_time(&p, t->started_at);
	bo__pg_p_time(&p, t->ended_at);
	bo__pg_p_int(&p, t->exit_code);
	bo__pg_p_int(&p, t->term_signal);
	bo__pg_p_int(&p, t->pid);
	bo__pg_p_outside(&p, t->host);
	bo__pg_p_text(&p, t->folder);
	bo__pg_p_text(&p, t->scenario);
	bo__pg_p_int(&p, t->repeat);
	pipe_q(&b, "INSERT INTO trials(id, version, run_id, state, sampler, params_json, "
		   "cost, reserved, price_version, reason, score, feasible, created_at, "
		   "started_at, ended_at, exit_code, term_signal, pid, host, folder, scenario, "
		   "repeat_index) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, "
		   "$11, $12, $13, $14, $15, $16, $17, $18, $19, COALESCE($20, 'default'), $21)",
	       &p);
	if ((rc = insert_kv(q, &b, SQL_PARAM_UPSERT, id, t->params, t->nparams, what)))
		goto done;
	if (isfinite(t->reserved)) {
		bo__pg_p_real(&p, t->reserved);
		pipe_q(&b, "UPDATE budget SET reserved = reserved + $1 WHERE id = 1", &p);
	}
	insert_event(q, &b, t->run_id, id, "reserve", t->reserved, t->reserve_basis,
		     t->created_at != 0 ? t->created_at : t->started_at, what);
	if (t->cap_detail)
		insert_event(q, &b, t->run_id, id, "trial_cap", t->cap, t->cap_detail,
			     t->created_at != 0 ? t->created_at : t->started_at, what);
	notify(&b, "start");
	if ((rc = commit_batch(q, &b)))
		goto done;
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
done:
	bo__pg_pipe_close(&b);
	bo__pg_p_clear(&p);
	if (rc < 0)
		bo__pg_end_tx(q);
	return rc;
}

int bo__pg_trial_start(bo_storage *st, bo_trial_rec *t)
{
	return trial_insert(st, t, NAN, 0, 0, NULL);
}

int bo__pg_trial_insert(bo_storage *st, bo_trial_rec *t, double limit, int64_t max_trials,
			bo_pg_rate *rate)
{
	if (rate)
		rate->refused = 0;
	return trial_insert(st, t, limit, max_trials, 1, rate);
}

int bo__pg_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder)
{
	pg *q = (pg *)st;
	const char *what = "recording a launched trial";
	PGresult *r = NULL;
	params p;
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "trial_launched: no ledger");
	bo__pg_p_init(&p);
	bo__pg_p_int(&p, id);
	bo__pg_p_int(&p, pid);
	bo__pg_p_text(&p, folder);
	bo__pg_p_int(&p, pid_start);
	bo__pg_p_text(&p, cgroup);
	if ((rc = bo__pg_ensure_conn(q, what)) ||
	    (rc = exec_hot(q, "UPDATE trials SET pid = $2, folder = COALESCE($3, folder), "
			       "pid_start = $4, cgroup = $5 WHERE id = $1",
			   &p, &r, what)))
		goto done;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->label, what,
			       (long long)id);
done:
	PQclear(r);
	bo__pg_p_clear(&p);
	return rc;
}

int bo__pg_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n)
{
	pg *q = (pg *)st;
	const char *what = "recording trial usage";
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "trial_progress: no ledger");
	bo_pg_pipe b;
	memset(&b, 0, sizeof b);
	if ((rc = begin_batch(q, &b, 0, id, what)) || (rc = bo__pg_pipe_run(&b)) ||
	    (rc = check_running(q, bo__pg_pipe_result(&b, 1), id, NULL, what)))
		goto done;
	bo__pg_pipe_close(&b);
	bo__pg_pipe_open_prepared(&b, q->c, &q->stmts, q->label, what);
	if ((rc = delete_of(q, &b, "DELETE FROM trial_usage WHERE trial_id = $1", id, what)) ||
	    (rc = insert_kv(q, &b, SQL_USAGE_UPSERT, id, usage, n, what)))
		goto done;
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	if (rc)
		bo__pg_end_tx(q);
	return rc;
}

int bo__pg_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n)
{
	pg *q = (pg *)st;
	const char *what = "recording an intermediate report";
	bo_pg_pipe b;
	params p;
	size_t i;
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "trial_step: no ledger");
	if (n && !m)
		return bo__error(BO_EMISUSE, "trial_step: %zu values but no array", n);
	memset(&b, 0, sizeof b);
	if ((rc = begin_batch(q, &b, 0, id, what)) || (rc = bo__pg_pipe_run(&b)) ||
	    (rc = check_running(q, bo__pg_pipe_result(&b, 1), id, NULL, what)))
		goto done;
	bo__pg_pipe_close(&b);
	bo__pg_pipe_open_prepared(&b, q->c, &q->stmts, q->label, what);
	for (i = 0; i < n; i++) {
		if (!m[i].name) {
			rc = bo__error(BO_EINVAL, "%s: a value without a name", what);
			goto done;
		}
		bo__pg_p_init(&p);
		bo__pg_p_int(&p, id);
		bo__pg_p_int(&p, step);
		bo__pg_p_text(&p, m[i].name);
		bo__pg_p_real(&p, m[i].value);
		pipe_q(&b, "INSERT INTO trial_steps(trial_id, step, name, value) "
			   "VALUES ($1, $2, $3, $4) ON CONFLICT (trial_id, step, name) "
			   "DO UPDATE SET value = EXCLUDED.value",
		       &p);
	}
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	if (rc)
		bo__pg_end_tx(q);
	return rc;
}

int bo__pg_trial_finish(bo_storage *st, const bo_trial_rec *t)
{
	pg *q = (pg *)st;
	const char *what = "recording a finished trial";
	bo_pg_pipe b;
	params p;
	double reserved = NAN;
	int rc;
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_finish: missing argument");
	if (t->state != BO_TRIAL_COMPLETE && t->state != BO_TRIAL_PRUNED &&
	    t->state != BO_TRIAL_FAILED)
		return bo__error(BO_EINVAL, "%s: trial %lld: state \"%s\" is not a final state",
				 what, (long long)t->id, bo__trial_state_name(t->state));
	bo__pg_p_init(&p);
	memset(&b, 0, sizeof b);
	/* The budget row first, then the trial's: always in this order, so two
	 * processes never wait on each other's locks. One round trip. */
	if ((rc = begin_batch(q, &b, 1, t->id, what)) || (rc = bo__pg_pipe_run(&b)) ||
	    (rc = check_running(q, bo__pg_pipe_result(&b, 2), t->id, &reserved, what)))
		goto done;
	bo__pg_pipe_close(&b);
	/* Then every write and the COMMIT: one more. */
	bo__pg_pipe_open_prepared(&b, q->c, &q->stmts, q->label, what);
	bo__pg_p_int(&p, t->id);
	bo__pg_p_text(&p, bo__trial_state_name(t->state));
	bo__pg_p_real(&p, t->cost);
	bo__pg_p_outside(&p, t->reason);
	bo__pg_p_real(&p, t->score);
	bo__pg_p_int(&p, t->feasible);
	bo__pg_p_time(&p, t->ended_at);
	bo__pg_p_int(&p, t->exit_code);
	bo__pg_p_int(&p, t->term_signal);
	bo__pg_p_text(&p, t->price_version);
	bo__pg_p_time(&p, t->started_at);
	pipe_q(&b, "UPDATE trials SET state = $2, cost = $3, reason = $4, score = $5, "
		   "feasible = $6, ended_at = $7, exit_code = $8, term_signal = $9, "
		   "price_version = COALESCE($10, price_version), "
		   "started_at = COALESCE($11::double precision, started_at) "
		   "WHERE id = $1 AND state = 'running'",
	       &p);
	if ((rc = delete_of(q, &b, "DELETE FROM trial_metrics WHERE trial_id = $1", t->id, what)) ||
	    (rc = insert_kv(q, &b, SQL_METRIC_UPSERT, t->id, t->metrics, t->nmetrics, what)) ||
	    (rc = delete_of(q, &b, "DELETE FROM trial_usage WHERE trial_id = $1", t->id, what)) ||
	    (rc = insert_kv(q, &b, SQL_USAGE_UPSERT, t->id, t->usage, t->nusage, what)) ||
	    (rc = insert_event(q, &b, t->run_id, t->id, "charge", t->cost,
			       bo__trial_state_name(t->state), t->ended_at, what)))
		goto done;
	bo__pg_p_real(&p, isfinite(reserved) ? reserved : 0);
	bo__pg_p_real(&p, isfinite(t->cost) ? t->cost : 0);
	pipe_q(&b, "UPDATE budget SET reserved = GREATEST(reserved - $1, 0), "
		   "spent = spent + $2 WHERE id = 1",
	       &p);
	notify(&b, "finish");
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	bo__pg_p_clear(&p);
	if (rc)
		bo__pg_end_tx(q);
	return rc;
}

int bo__pg_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now)
{
	pg *q = (pg *)st;
	int rc;
	if (!q || !kind)
		return bo__error(BO_EMISUSE, "event: missing argument");
	if ((rc = bo__pg_ensure_conn(q, "recording an event")))
		return rc;
	return insert_event(q, NULL, run_id, trial_id, kind, amount, detail, now, "recording an event");
}
