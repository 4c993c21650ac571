/*
 * storage/sqlite_write.c - what the SQLite ledger writes: study
 * versions, runs and their heartbeats, trials from start to finish, their
 * steps and usage, events, and (for doctor) a restored trial. Every
 * change is one BEGIN IMMEDIATE ... COMMIT transaction.
 *
 * Part of the SQLite ledger: storage/sqlite.c holds the statements and the
 * shared helpers (storage/sqlite_int.h), and says what the ledger
 * promises (durability, concurrency, safety) and its schema.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/sqlite_int.h"
#include "core/alloc.h"
#include "core/error.h"
#include "storage/journal.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- study versions and runs ------------------------------------------- */

int bo__sqlite_register_study(bo_storage *st, const char *name, const char *text,
			     const char *hash, const char *space_hash, int64_t *version)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	int64_t space_changed_at = 0;   /* newest version, when its space differs */
	if (version)
		*version = 0;
	if (!q || !name || !text || !hash || !space_hash || !version)
		return bo__error(BO_EMISUSE, "register_study: missing argument");
	if ((rc = bo__sqlite_begin_write(q, "storing the study")))
		goto done;

	if ((rc = bo__sqlite_get(q, S_NEWEST, &s)))
		goto done;
	rc = bo__sqlite_next_row(q, s, "storing the study");
	if (rc < 0)
		goto done;
	if (rc == 1) {
		const char *old_name = (const char *)sqlite3_column_text(s, 1);
		const char *old_space = (const char *)sqlite3_column_text(s, 2);
		if (!old_name || !old_space) {
			rc = bo__sqlite_db_error(q, SQLITE_NOMEM, "storing the study");
			goto done;
		}
		if (strcmp(old_name, name) != 0) {
			rc = bo__error(BO_ECONFLICT,
				       "%s: this ledger holds study \"%s\", not \"%s\"; use "
				       "another --storage for a different study",
				       q->path, old_name, name);
			goto done;
		}
		/* refused below, unless this exact definition is stored */
		if (strcmp(old_space, space_hash) != 0)
			space_changed_at = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);

	if ((rc = bo__sqlite_get(q, S_BY_HASH, &s)))
		goto done;
	if ((b = bo__sqlite_bind_text(s, 1, hash)) != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, "storing the study");
		goto done;
	}
	rc = bo__sqlite_next_row(q, s, "storing the study");
	if (rc < 0)
		goto done;
	if (rc == 1) {
		*version = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		rc = bo__sqlite_commit(q, "storing the study");
		goto done;
	}
	sqlite3_reset(s);

	if (space_changed_at) {
		rc = bo__error(BO_ECONFLICT,
			       "%s: the search space of study \"%s\" changed since it was "
			       "stored (version %lld); start a new ledger with --storage, or "
			       "restore the old space",
			       q->path, name, (long long)space_changed_at);
		goto done;
	}

	if ((rc = bo__sqlite_get(q, S_VERSION_INSERT, &s)))
		goto done;
	b = bo__sqlite_bind_text(s, 1, name);
	b |= bo__sqlite_bind_text(s, 2, hash);
	b |= bo__sqlite_bind_text(s, 3, space_hash);
	b |= bo__sqlite_bind_text(s, 4, text);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, "storing the study");
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, "storing the study")))
		goto done;
	*version = sqlite3_last_insert_rowid(q->db);
	rc = bo__sqlite_commit(q, "storing the study");
done:
	if (rc) {
		*version = 0;
		bo__sqlite_end_tx(q);
	}
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	int64_t *stale = NULL;
	size_t nstale = 0, cap = 0, i;
	int64_t me = (int64_t)getpid();
	if (run_id)
		*run_id = 0;
	if (!q || !run_id)
		return bo__error(BO_EMISUSE, "run_begin: missing argument");
	if ((rc = bo__sqlite_begin_write(q, "starting a run")))
		goto done;

	if ((rc = bo__sqlite_get(q, S_RUNS_OPEN, &s)))
		goto done;
	while ((rc = bo__sqlite_next_row(q, s, "starting a run")) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		int64_t rpid = sqlite3_column_int64(s, 1);
		const char *rhost = (const char *)sqlite3_column_text(s, 2);
		if (!bo__sqlite_same_str(rhost, host))
			continue;       /* cannot tell from here; not ours to close */
		if (rpid != me && rpid != pid && bo__sqlite_pid_alive(rpid)) {
			char when[64];
			bo__sqlite_format_time(sqlite3_column_double(s, 3), when, sizeof when);
			rc = bo__error(BO_ECONFLICT, "%s: study is being run by pid %lld (started %s)",
				       q->path, (long long)rpid, when);
			goto done;
		}
		if ((rc = bo__grow(&stale, &cap, nstale + 1, sizeof *stale)))
			goto done;
		stale[nstale++] = id;
	}
	if (rc < 0)
		goto done;
	sqlite3_reset(s);

	/* Sessions whose process is gone ended, as far as we know, at their
	 * last heartbeat. */
	if ((rc = bo__sqlite_get(q, S_RUN_CLOSE_STALE, &s)))
		goto done;
	for (i = 0; i < nstale; i++) {
		if ((b = sqlite3_bind_int64(s, 1, stale[i])) != SQLITE_OK) {
			rc = bo__sqlite_db_error(q, b, "starting a run");
			goto done;
		}
		if ((rc = bo__sqlite_run_stmt(q, s, "starting a run")))
			goto done;
	}

	if ((rc = bo__sqlite_get(q, S_RUN_INSERT, &s)))
		goto done;
	b = bo__sqlite_bind_id(s, 1, version);
	b |= sqlite3_bind_int64(s, 2, pid);
	b |= bo__sqlite_bind_outside_text(s, 3, host);
	b |= sqlite3_bind_int64(s, 4, (sqlite3_int64)seed);
	b |= bo__sqlite_bind_text(s, 5, sampler);
	b |= sqlite3_bind_double(s, 6, now);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, "starting a run");
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, "starting a run")))
		goto done;
	*run_id = sqlite3_last_insert_rowid(q->db);
	rc = bo__sqlite_commit(q, "starting a run");
done:
	bo__free(stale);
	if (rc) {
		*run_id = 0;
		bo__sqlite_end_tx(q);
	}
	bo__sqlite_reset_used(q);
	return rc;
}

/* One UPDATE of a run (autocommit: a statement is its own transaction). */
static int run_touch(sq *q, int sid, int64_t run_id, double now, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if (!q)
		return bo__error(BO_EMISUSE, "%s: no ledger", what);
	if ((rc = bo__sqlite_get(q, sid, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, run_id);
	b |= sqlite3_bind_double(s, 2, now);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, what)))
		goto done;
	if (sqlite3_changes(q->db) == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: no run %lld in the ledger", q->path,
			       (long long)run_id);
done:
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_run_heartbeat(bo_storage *st, int64_t run_id, double now)
{
	return run_touch((sq *)st, S_RUN_HEARTBEAT, run_id, now, "recording a heartbeat");
}

int bo__sqlite_run_end(bo_storage *st, int64_t run_id, double now)
{
	int rc = run_touch((sq *)st, S_RUN_END, run_id, now, "ending a run");
	/* The main file holds the whole run from here on. */
	if (rc == 0)
		rc = bo__sqlite_checkpoint(st);
	return rc;
}

/* ---- trials ------------------------------------------------------------- */

static int insert_event(sq *q, int64_t run_id, int64_t trial_id, const char *kind,
			double amount, const char *detail, double t, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if ((rc = bo__sqlite_get(q, S_EVENT_INSERT, &s)))
		return rc;
	b = bo__sqlite_bind_time(s, 1, t);
	b |= bo__sqlite_bind_id(s, 2, run_id);
	b |= bo__sqlite_bind_id(s, 3, trial_id);
	b |= bo__sqlite_bind_text(s, 4, kind);
	b |= bo__sqlite_bind_real(s, 5, amount);
	b |= bo__sqlite_bind_outside_text(s, 6, detail);
	if (b != SQLITE_OK)
		return bo__sqlite_db_error(q, b, what);
	return bo__sqlite_run_stmt(q, s, what);
}

/* Inserts (trial_id, kv[i].name, kv[i].value) rows with statement sid. */
static int insert_kv(sq *q, int sid, int64_t trial_id, const bo_kv *kv, size_t n,
		     const char *what)
{
	sqlite3_stmt *s;
	size_t i;
	int rc, b;
	if (n && !kv)
		return bo__error(BO_EMISUSE, "%s: %zu values but no array", what, n);
	if ((rc = bo__sqlite_get(q, sid, &s)))
		return rc;
	for (i = 0; i < n; i++) {
		if (!kv[i].name)
			return bo__error(BO_EINVAL, "%s: a value without a name", what);
		b = sqlite3_bind_int64(s, 1, trial_id);
		b |= bo__sqlite_bind_text(s, 2, kv[i].name);
		b |= bo__sqlite_bind_real(s, 3, kv[i].value);
		if (b != SQLITE_OK)
			return bo__sqlite_db_error(q, b, what);
		if ((rc = bo__sqlite_run_stmt(q, s, what)))
			return rc;
	}
	return 0;
}

static int delete_of(sq *q, int sid, int64_t trial_id, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if ((rc = bo__sqlite_get(q, sid, &s)))
		return rc;
	if ((b = sqlite3_bind_int64(s, 1, trial_id)) != SQLITE_OK)
		return bo__sqlite_db_error(q, b, what);
	return bo__sqlite_run_stmt(q, s, what);
}

/* Checks that trial id exists and is running (inside a transaction). */
static int require_running(sq *q, int64_t id, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if ((rc = bo__sqlite_get(q, S_TRIAL_STATE, &s)))
		return rc;
	if ((b = sqlite3_bind_int64(s, 1, id)) != SQLITE_OK)
		return bo__sqlite_db_error(q, b, what);
	rc = bo__sqlite_next_row(q, s, what);
	if (rc < 0)
		return rc;
	if (rc == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->path,
			       what, (long long)id);
	else {
		const char *state = (const char *)sqlite3_column_text(s, 0);
		if (state && strcmp(state, "running") == 0)
			rc = 0;
		else
			rc = bo__error(BO_ECONFLICT, "%s: %s: trial %lld is %s, not running",
				       q->path, what, (long long)id, state ? state : "unknown");
	}
	sqlite3_reset(s);
	return rc;
}

/* Binds the columns 4 to 16 that a started and a restored trial share
 * (sampler to term_signal); returns the bind codes or'ed, SQLITE_OK when
 * all held. */
static int bind_trial_columns(sqlite3_stmt *s, const bo_trial_rec *t)
{
	int b = bo__sqlite_bind_text(s, 4, t->sampler);
	b |= bo__sqlite_bind_text(s, 5, t->params_json);
	b |= bo__sqlite_bind_real(s, 6, t->cost);
	b |= bo__sqlite_bind_real(s, 7, t->reserved);
	b |= bo__sqlite_bind_text(s, 8, t->price_version);
	b |= bo__sqlite_bind_outside_text(s, 9, t->reason);
	b |= bo__sqlite_bind_real(s, 10, t->score);
	b |= sqlite3_bind_int(s, 11, t->feasible);
	b |= bo__sqlite_bind_time(s, 12, t->created_at);
	b |= bo__sqlite_bind_time(s, 13, t->started_at);
	b |= bo__sqlite_bind_time(s, 14, t->ended_at);
	b |= sqlite3_bind_int(s, 15, t->exit_code);
	b |= sqlite3_bind_int(s, 16, t->term_signal);
	return b;
}

int bo__sqlite_trial_start(bo_storage *st, bo_trial_rec *t)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	int64_t id = 0;
	const char *what = "starting a trial";
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_start: missing argument");
	if ((rc = bo__sqlite_begin_write(q, what)))
		goto done;
	if ((rc = bo__sqlite_get(q, S_NEXT_ID, &s)))
		goto done;
	rc = bo__sqlite_next_row(q, s, what);
	if (rc < 0)
		goto done;
	id = rc == 1 ? sqlite3_column_int64(s, 0) : 1;
	sqlite3_reset(s);

	if ((rc = bo__sqlite_get(q, S_TRIAL_INSERT, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, id);
	b |= sqlite3_bind_int64(s, 2, t->version);
	b |= bo__sqlite_bind_id(s, 3, t->run_id);
	b |= bind_trial_columns(s, t);
	b |= sqlite3_bind_int64(s, 17, t->pid);
	b |= bo__sqlite_bind_outside_text(s, 18, t->host);
	b |= bo__sqlite_bind_text(s, 19, t->folder);
	b |= bo__sqlite_bind_text(s, 20, t->scenario);
	b |= sqlite3_bind_int64(s, 21, t->repeat);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, what)))
		goto done;
	if ((rc = insert_kv(q, S_PARAM_INSERT, id, t->params, t->nparams, what)))
		goto done;
	if ((rc = insert_event(q, t->run_id, id, "reserve", t->reserved, t->reserve_basis,
			       t->created_at != 0 ? t->created_at : t->started_at, what)))
		goto done;
	if (t->cap_detail &&
	    (rc = insert_event(q, t->run_id, id, "trial_cap", t->cap, t->cap_detail,
			       t->created_at != 0 ? t->created_at : t->started_at, what)))
		goto done;
	if ((rc = bo__sqlite_commit(q, what)))
		goto done;
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
	/* After the commit: see "Watermark" at the top. */
	rc = bo__journal_writer_start(&q->jw, q->journal, q->mode, id, t->reserved, t->folder);
done:
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	const char *what = "recording a launched trial";
	if (!q)
		return bo__error(BO_EMISUSE, "trial_launched: no ledger");
	if ((rc = bo__sqlite_get(q, S_TRIAL_LAUNCHED, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, id);
	b |= sqlite3_bind_int64(s, 2, pid);
	b |= bo__sqlite_bind_text(s, 3, folder);
	b |= sqlite3_bind_int64(s, 4, pid_start);
	b |= bo__sqlite_bind_text(s, 5, cgroup);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, what)))
		goto done;
	if (sqlite3_changes(q->db) == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->path, what,
			       (long long)id);
done:
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n)
{
	sq *q = (sq *)st;
	int rc;
	const char *what = "recording trial usage";
	if (!q)
		return bo__error(BO_EMISUSE, "trial_progress: no ledger");
	if ((rc = bo__sqlite_begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, id, what)))
		goto done;
	if ((rc = delete_of(q, S_USAGE_DELETE, id, what)))
		goto done;
	if ((rc = insert_kv(q, S_USAGE_INSERT, id, usage, n, what)))
		goto done;
	rc = bo__sqlite_commit(q, what);
done:
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	size_t i;
	int rc, b;
	const char *what = "recording an intermediate report";
	if (!q)
		return bo__error(BO_EMISUSE, "trial_step: no ledger");
	if (n && !m)
		return bo__error(BO_EMISUSE, "trial_step: %zu values but no array", n);
	if ((rc = bo__sqlite_begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, id, what)))
		goto done;
	if ((rc = bo__sqlite_get(q, S_STEP_INSERT, &s)))
		goto done;
	for (i = 0; i < n; i++) {
		if (!m[i].name) {
			rc = bo__error(BO_EINVAL, "%s: a value without a name", what);
			goto done;
		}
		b = sqlite3_bind_int64(s, 1, id);
		b |= sqlite3_bind_int64(s, 2, step);
		b |= bo__sqlite_bind_text(s, 3, m[i].name);
		b |= bo__sqlite_bind_real(s, 4, m[i].value);
		if (b != SQLITE_OK) {
			rc = bo__sqlite_db_error(q, b, what);
			goto done;
		}
		if ((rc = bo__sqlite_run_stmt(q, s, what)))
			goto done;
	}
	rc = bo__sqlite_commit(q, what);
done:
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	return rc;
}

int bo__sqlite_trial_finish(bo_storage *st, const bo_trial_rec *t)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	double spent;
	const char *what = "recording a finished trial";
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_finish: missing argument");
	if (t->state != BO_TRIAL_COMPLETE && t->state != BO_TRIAL_PRUNED &&
	    t->state != BO_TRIAL_FAILED)
		return bo__error(BO_EINVAL, "%s: trial %lld: state \"%s\" is not a final state",
				 what, (long long)t->id, bo__trial_state_name(t->state));
	if ((rc = bo__sqlite_begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, t->id, what)))
		goto done;
	if ((rc = bo__sqlite_get(q, S_TRIAL_FINISH, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, t->id);
	b |= bo__sqlite_bind_text(s, 2, bo__trial_state_name(t->state));
	b |= bo__sqlite_bind_real(s, 3, t->cost);
	b |= bo__sqlite_bind_outside_text(s, 4, t->reason);
	b |= bo__sqlite_bind_real(s, 5, t->score);
	b |= sqlite3_bind_int(s, 6, t->feasible);
	b |= bo__sqlite_bind_time(s, 7, t->ended_at);
	b |= sqlite3_bind_int(s, 8, t->exit_code);
	b |= sqlite3_bind_int(s, 9, t->term_signal);
	b |= bo__sqlite_bind_text(s, 10, t->price_version);
	b |= bo__sqlite_bind_time(s, 11, t->started_at);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, what)))
		goto done;
	if ((rc = delete_of(q, S_METRIC_DELETE, t->id, what)))
		goto done;
	if ((rc = insert_kv(q, S_METRIC_INSERT, t->id, t->metrics, t->nmetrics, what)))
		goto done;
	if ((rc = delete_of(q, S_USAGE_DELETE, t->id, what)))
		goto done;
	if ((rc = insert_kv(q, S_USAGE_INSERT, t->id, t->usage, t->nusage, what)))
		goto done;
	if ((rc = insert_event(q, t->run_id, t->id, "charge", t->cost,
			       bo__trial_state_name(t->state), t->ended_at, what)))
		goto done;
	if ((rc = bo__sqlite_get(q, S_TOT_SPENT, &s)))
		goto done;
	if ((rc = bo__sqlite_next_row(q, s, what)) < 0)
		goto done;
	spent = rc == 1 ? sqlite3_column_double(s, 0) : t->cost;
	sqlite3_reset(s);
	if ((rc = bo__sqlite_commit(q, what)))
		goto done;
	/* After the commit: see "Watermark" at the top. */
	rc = bo__journal_writer_charge(&q->jw, q->journal, q->mode, t->id, t->state, t->cost, spent);
done:
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	/* After the statements are reset, or their read locks hold the WAL. */
	if (rc == 0 && t->id % BO_LEDGER_CHECKPOINT_TRIALS == 0)
		rc = bo__sqlite_checkpoint(st);
	return rc;
}

int bo__sqlite_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now)
{
	sq *q = (sq *)st;
	int rc;
	if (!q || !kind)
		return bo__error(BO_EMISUSE, "event: missing argument");
	rc = insert_event(q, run_id, trial_id, kind, amount, detail, now, "recording an event");
	bo__sqlite_reset_used(q);
	return rc;
}

/* ---- for doctor ----------------------------------------------------------- */

int bo__sqlite_trial_restore(bo_storage *st, const bo_trial_rec *t)
{
	static const char *const upsert =
		"INSERT INTO trials(id, version, run_id, state, sampler, params_json, cost, "
		"reserved, price_version, reason, score, feasible, created_at, started_at, "
		"ended_at, exit_code, term_signal, pid, host, folder, scenario, repeat_index) VALUES "
		"(?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0, ?17, "
		"?18, COALESCE(?19, 'default'), ?20) "
		"ON CONFLICT(id) DO UPDATE SET state = ?3, cost = ?6, reason = ?9, score = ?10, "
		"feasible = ?11, ended_at = ?14, exit_code = ?15, term_signal = ?16, "
		"params_json = COALESCE(params_json, ?5), folder = COALESCE(folder, ?18)";
	sq *q = (sq *)st;
	sqlite3_stmt *s = NULL;
	int rc, b;
	const char *what = "restoring a trial";
	if (!q || !t || t->id < 1)
		return bo__error(BO_EMISUSE, "trial_restore: missing argument");
	if ((rc = bo__sqlite_begin_write(q, what)))
		goto done;
	rc = sqlite3_prepare_v2(q->db, upsert, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, rc, what);
		goto done;
	}
	b = sqlite3_bind_int64(s, 1, t->id);
	b |= sqlite3_bind_int64(s, 2, t->version);
	b |= bo__sqlite_bind_text(s, 3, bo__trial_state_name(t->state));
	b |= bind_trial_columns(s, t);
	b |= bo__sqlite_bind_outside_text(s, 17, t->host);
	b |= bo__sqlite_bind_text(s, 18, t->folder);
	/* the scenario and repeat it ran under (a trial folder's record): a
	 * resumed run replays the configurations' units by them */
	b |= bo__sqlite_bind_text(s, 19, t->scenario);
	b |= sqlite3_bind_int64(s, 20, t->repeat);
	if (b != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, b, what);
		goto done;
	}
	if ((rc = bo__sqlite_run_stmt(q, s, what)))
		goto done;
	if (t->nparams) {
		if ((rc = delete_of(q, S_PARAM_DELETE, t->id, what)) ||
		    (rc = insert_kv(q, S_PARAM_INSERT, t->id, t->params, t->nparams, what)))
			goto done;
	}
	if ((rc = delete_of(q, S_METRIC_DELETE, t->id, what)) ||
	    (rc = insert_kv(q, S_METRIC_INSERT, t->id, t->metrics, t->nmetrics, what)) ||
	    (rc = delete_of(q, S_USAGE_DELETE, t->id, what)) ||
	    (rc = insert_kv(q, S_USAGE_INSERT, t->id, t->usage, t->nusage, what)))
		goto done;
	if ((rc = insert_event(q, 0, t->id, "restore", t->cost, t->reason, NAN, what)))
		goto done;
	rc = bo__sqlite_commit(q, what);
done:
	sqlite3_finalize(s);
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	return rc;
}
