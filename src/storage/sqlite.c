/*
 * storage/sqlite.c - the SQLite ledger: one file per study.
 *
 * Durability: the file is in WAL mode with synchronous=NORMAL. A commit is
 * in the WAL (in the OS page cache) when COMMIT returns, so killing the
 * process, even with kill -9, loses no committed trial. Only a power loss or
 * an OS crash can lose the last few transactions (never corrupt the file);
 * synchronous=FULL would close that window at the cost of one fsync per
 * trial, which we judge not worth it for a ledger that a runner re-creates
 * by re-running at most the last trials.
 *
 * Concurrency: readers (status, export, serve) and the runner coexist: WAL
 * lets reads proceed while a write transaction is open, and busy_timeout
 * makes a second writer wait rather than fail at once. Every state change is
 * one BEGIN IMMEDIATE ... COMMIT transaction, rolled back on any error; reads
 * that span several statements run in one read transaction so they see one
 * snapshot.
 *
 * Watermark: after each trial's start and charge commits, one line goes to
 * the spend journal beside the file (storage/journal.h), in that order, so
 * the journal never holds what the ledger lacks unless the ledger lost it
 * (storage/ledger_check.h). Every BO_LEDGER_CHECKPOINT_TRIALS finished
 * trials and at the end of each run the WAL is checkpointed into the main
 * file, so a lost WAL loses at most the trials since.
 *
 * Files are created owner-only (0600; SQLite gives -wal and -shm the
 * file's mode) unless opened for a group.
 *
 * Safety: every value travels as a bound parameter. The only SQL built at
 * run time is the ORDER BY of trials(), and it is assembled from constant
 * fragments chosen by the sort key, never from the key's text.
 *
 * Schema (version 2), all times unix seconds as REAL, NaN stored as NULL:
 *   schema_version(version)           one row: the schema of this file
 *   study_versions(id, name, hash UNIQUE, space_hash, text, created_at)
 *                                     every distinct study definition
 *   runs(id, version, pid, host, seed, sampler, started_at, heartbeat_at,
 *        ended_at)                    runner sessions; ended_at NULL while
 *                                     open; seed is the uint64 bit pattern
 *   trials(id, version, run_id, state, sampler, params_json, cost, reserved,
 *          price_version, reason, score, feasible, created_at, started_at,
 *          ended_at, exit_code, term_signal, pid, host, folder, pid_start,
 *          cgroup)                    pid + pid_start (field 22 of
 *                                     /proc/<pid>/stat) name the evaluator;
 *                                     cgroup: its cgroup v2 folder or NULL
 *                                     id = trial number 1, 2, ...; state is
 *                                     the state's name ("running", ...);
 *                                     times 0 <-> NULL; run_id 0 <-> NULL
 *   trial_params(trial_id, name, value)       numeric parameter values
 *   trial_metrics(trial_id, name, value)      final metrics
 *   trial_steps(trial_id, step, name, value)  intermediate reports
 *   trial_usage(trial_id, resource, amount)   measured + reported usage
 *   events(id, t, run_id, trial_id, kind, amount, detail)   budget events
 *
 * Must never print, exit, abort, or format a value into SQL text.
 *
 * This file holds the statements, the helpers every part uses, and
 * opening and closing the ledger. Its siblings, sharing
 * storage/sqlite_int.h: sqlite_schema.c (the migrations), sqlite_write.c
 * (study versions, runs, trials and events written) and sqlite_read.c
 * (totals, trials, events and steps read).
 */
#include "storage/sqlite_int.h"
#include "storage/journal.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

/* "now" in unix seconds, computed by SQLite when the caller gave none. */
#define SQL_NOW "((julianday('now') - 2440587.5) * 86400.0)"

static const char *const sql_text[S_COUNT] = {
	[S_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_HAS_VERSION_TABLE] =
		"SELECT COUNT(*) FROM sqlite_master "
		"WHERE type = 'table' AND name = 'schema_version'",
	[S_GET_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_version",
	[S_DEL_VERSION] = "DELETE FROM schema_version",
	[S_SET_VERSION] = "INSERT INTO schema_version(version) VALUES (?1)",
	[S_NEWEST] =
		"SELECT id, name, space_hash FROM study_versions ORDER BY id DESC LIMIT 1",
	[S_BY_HASH] = "SELECT id FROM study_versions WHERE hash = ?1",
	[S_VERSION_INSERT] =
		"INSERT INTO study_versions(name, hash, space_hash, text, created_at) "
		"VALUES (?1, ?2, ?3, ?4, " SQL_NOW ")",
	[S_RUNS_OPEN] =
		"SELECT id, pid, host, started_at FROM runs WHERE ended_at IS NULL ORDER BY id",
	[S_RUN_CLOSE_STALE] = "UPDATE runs SET ended_at = heartbeat_at WHERE id = ?1",
	[S_RUN_INSERT] =
		"INSERT INTO runs(version, pid, host, seed, sampler, started_at, heartbeat_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[S_RUN_HEARTBEAT] = "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1",
	[S_RUN_END] = "UPDATE runs SET heartbeat_at = ?2, ended_at = ?2 WHERE id = ?1",
	[S_NEXT_ID] = "SELECT COALESCE(MAX(id), 0) + 1 FROM trials",
	[S_TRIAL_INSERT] =
		"INSERT INTO trials(id, version, run_id, state, sampler, params_json, cost, "
		"reserved, price_version, reason, score, feasible, created_at, started_at, "
		"ended_at, exit_code, term_signal, pid, host, folder, scenario, repeat_index) "
		"VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
		"?15, ?16, ?17, ?18, ?19, COALESCE(?20, 'default'), ?21)",
	[S_PARAM_INSERT] =
		"INSERT OR REPLACE INTO trial_params(trial_id, name, value) VALUES (?1, ?2, ?3)",
	[S_EVENT_INSERT] =
		"INSERT INTO events(t, run_id, trial_id, kind, amount, detail) "
		"VALUES (COALESCE(?1, " SQL_NOW "), ?2, ?3, ?4, ?5, ?6)",
	[S_TRIAL_LAUNCHED] =
		"UPDATE trials SET pid = ?2, folder = COALESCE(?3, folder), pid_start = ?4, "
		"cgroup = ?5 WHERE id = ?1",
	[S_TRIAL_STATE] = "SELECT state FROM trials WHERE id = ?1",
	[S_USAGE_DELETE] = "DELETE FROM trial_usage WHERE trial_id = ?1",
	[S_USAGE_INSERT] =
		"INSERT OR REPLACE INTO trial_usage(trial_id, resource, amount) "
		"VALUES (?1, ?2, ?3)",
	[S_METRIC_DELETE] = "DELETE FROM trial_metrics WHERE trial_id = ?1",
	[S_METRIC_INSERT] =
		"INSERT OR REPLACE INTO trial_metrics(trial_id, name, value) VALUES (?1, ?2, ?3)",
	[S_STEP_INSERT] =
		"INSERT OR REPLACE INTO trial_steps(trial_id, step, name, value) "
		"VALUES (?1, ?2, ?3, ?4)",
	[S_TRIAL_FINISH] =
		"UPDATE trials SET state = ?2, cost = ?3, reason = ?4, score = ?5, "
		"feasible = ?6, ended_at = ?7, exit_code = ?8, term_signal = ?9, "
		"price_version = COALESCE(?10, price_version), "
		"started_at = COALESCE(?11, started_at) "
		"WHERE id = ?1 AND state = 'running'",
	[S_TOT_SPENT] = "SELECT COALESCE(SUM(cost), 0.0), COUNT(*) FROM trials",
	[S_TOT_STATES] = "SELECT state, COUNT(*) FROM trials GROUP BY state",
	[S_TOT_RUNS] =
		"SELECT COALESCE(SUM(COALESCE(ended_at, heartbeat_at) - started_at), 0.0), "
		"COALESCE(MIN(started_at), 0.0) FROM runs",
	[S_TOT_VERSIONS] = "SELECT COUNT(*) FROM study_versions",
	[S_STEPS] = "SELECT trial_id, step, name, value FROM trial_steps ORDER BY trial_id, step, name",
	[S_EVENTS] =
		"SELECT id, t, run_id, trial_id, kind, amount, detail FROM events ORDER BY id",
	[S_STUDY_TEXT] = "SELECT text FROM study_versions ORDER BY id DESC LIMIT 1",
	[S_TRIAL_GET] = "SELECT " TRIAL_COLS " FROM trials t WHERE t.id = ?1",
	[S_PARAMS_OF] =
		"SELECT trial_id, name, value FROM trial_params WHERE trial_id = ?1 ORDER BY rowid",
	[S_METRICS_OF] =
		"SELECT trial_id, name, value FROM trial_metrics WHERE trial_id = ?1 ORDER BY rowid",
	[S_USAGE_OF] =
		"SELECT trial_id, resource, amount FROM trial_usage WHERE trial_id = ?1 "
		"ORDER BY rowid",
	[S_PARAMS_ALL] = "SELECT trial_id, name, value FROM trial_params ORDER BY rowid",
	[S_METRICS_ALL] = "SELECT trial_id, name, value FROM trial_metrics ORDER BY rowid",
	[S_USAGE_ALL] = "SELECT trial_id, resource, amount FROM trial_usage ORDER BY rowid",
	[S_PARAM_DELETE] = "DELETE FROM trial_params WHERE trial_id = ?1",
};
/* ---- small helpers ---------------------------------------------------- */

int bo__sqlite_db_error(sq *q, int src, const char *what)
{
	int code = (src & 0xff) == SQLITE_NOMEM ? BO_ENOMEM : BO_EIO;
	return bo__error(code, "%s: %s: %s", q->path, what, sqlite3_errmsg(q->db));
}

int bo__sqlite_get(sq *q, int id, sqlite3_stmt **out)
{
	int rc;
	*out = NULL;
	if (!q->stmt[id]) {
		rc = sqlite3_prepare_v3(q->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
					&q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			q->stmt[id] = NULL;
			return bo__sqlite_db_error(q, rc, "preparing a statement");
		}
	}
	q->used[id] = 1;
	*out = q->stmt[id];
	return 0;
}

/* Resets every statement used since the last call, so that none keeps a
 * read snapshot (and blocks checkpoints) or points at caller memory. */
void bo__sqlite_reset_used(sq *q)
{
	int i;
	for (i = 0; i < S_COUNT; i++) {
		if (q->used[i] && q->stmt[i]) {
			sqlite3_reset(q->stmt[i]);
			sqlite3_clear_bindings(q->stmt[i]);
		}
		q->used[i] = 0;
	}
}

/* Steps s: 1 for a row, 0 when done, or an error (message set). */
int bo__sqlite_next_row(sq *q, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = bo__sqlite_db_error(q, rc, what);
	sqlite3_reset(s);
	return rc;
}

/* Runs s to completion, ignoring rows, and resets it. */
int bo__sqlite_run_stmt(sq *q, sqlite3_stmt *s, const char *what)
{
	int rc;
	while ((rc = bo__sqlite_next_row(q, s, what)) == 1)
		;
	sqlite3_reset(s);
	return rc;
}

int bo__sqlite_run_simple(sq *q, int id, const char *what)
{
	sqlite3_stmt *s;
	int rc = bo__sqlite_get(q, id, &s);
	if (rc == 0)
		rc = bo__sqlite_run_stmt(q, s, what);
	return rc;
}

int bo__sqlite_begin_write(sq *q, const char *what)
{
	return bo__sqlite_run_simple(q, S_BEGIN_WRITE, what);
}

int bo__sqlite_begin_read(sq *q, const char *what)
{
	return bo__sqlite_run_simple(q, S_BEGIN_READ, what);
}

int bo__sqlite_commit(sq *q, const char *what)
{
	return bo__sqlite_run_simple(q, S_COMMIT, what);
}

/* Ends whatever transaction is open (after an error, or after a read),
 * keeping the error message of the caller. */
void bo__sqlite_end_tx(sq *q)
{
	sqlite3_stmt *s;
	bo__sqlite_reset_used(q);
	if (sqlite3_get_autocommit(q->db))
		return;
	if (bo__sqlite_get(q, S_ROLLBACK, &s) == 0) {
		sqlite3_step(s);
		sqlite3_reset(s);
	} else {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	}
	q->used[S_ROLLBACK] = 0;
}

int bo__sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

/* Text that may come from outside (reasons quoting an evaluator, event
 * details, host names) enters the ledger clean: valid UTF-8, no control
 * characters (core/utf8.h), so export and the dashboard can always show it. */
int bo__sqlite_bind_outside_text(sqlite3_stmt *s, int i, const char *v)
{
	char *c;
	int b;
	if (!v || bo__utf8_is_clean(v, strlen(v)))
		return bo__sqlite_bind_text(s, i, v);
	if (!(c = bo__utf8_clean(v, strlen(v), 0)))
		return SQLITE_NOMEM;
	b = sqlite3_bind_text(s, i, c, -1, SQLITE_TRANSIENT);
	bo__free(c);
	return b;
}

/* NaN is stored as NULL. */
int bo__sqlite_bind_real(sqlite3_stmt *s, int i, double v)
{
	return isnan(v) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

/* A time or id of 0 means "none" and is stored as NULL. */
int bo__sqlite_bind_time(sqlite3_stmt *s, int i, double v)
{
	return (v == 0 || isnan(v)) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

int bo__sqlite_bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	return v == 0 ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, v);
}

double bo__sqlite_col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

double bo__sqlite_col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_double(s, i);
}

/* Copies a text column (NULL stays NULL). */
int bo__sqlite_col_str(sq *q, sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t;
	*out = NULL;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	t = sqlite3_column_text(s, i);
	if (!t)
		return bo__sqlite_db_error(q, SQLITE_NOMEM, "reading a text column");
	*out = bo__strndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
	return *out ? 0 : BO_ENOMEM;
}

int bo__sqlite_same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether process pid exists on this host (EPERM: exists, not ours). */
int bo__sqlite_pid_alive(int64_t pid)
{
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0)
		return 1;
	return errno == EPERM;
}

void bo__sqlite_format_time(double t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "at %.0f", t);
}

/* ---- open / close ------------------------------------------------------- */

static void sq_close(bo_storage *st)
{
	sq *q = (sq *)st;
	int i;
	if (!q)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	bo__journal_writer_close(&q->jw);
	bo__free(q->path);
	bo__free(q);
}

static const bo_storage_ops sqlite_ops = {
	"sqlite",
	sq_close,
	bo__sqlite_register_study,
	bo__sqlite_run_begin,
	bo__sqlite_run_heartbeat,
	bo__sqlite_run_end,
	bo__sqlite_trial_start,
	bo__sqlite_trial_launched,
	bo__sqlite_trial_progress,
	bo__sqlite_trial_step,
	bo__sqlite_trial_finish,
	bo__sqlite_event,
	bo__sqlite_totals,
	bo__sqlite_trials,
	bo__sqlite_trial_get,
	bo__sqlite_events,
	bo__sqlite_study_text,
	bo__sqlite_steps,
};

/* Runs one pragma and, if want is not NULL, checks its one-word answer. */
static int pragma(sq *q, const char *sql, const char *want, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, rc, what);
		goto done;
	}
	rc = bo__sqlite_next_row(q, s, what);
	if (rc < 0)
		goto done;
	if (want) {
		const char *got = rc == 1 ? (const char *)sqlite3_column_text(s, 0) : NULL;
		if (!got || sqlite3_stricmp(got, want) != 0) {
			rc = bo__error(BO_EIO, "%s: %s: the file system refused (got \"%s\")",
				       q->path, what, got ? got : "");
			goto done;
		}
	}
	rc = 0;
done:
	sqlite3_finalize(s);
	return rc;
}

int bo__sqlite_open(bo_storage **out, const char *path, int group)
{
	sq *q = NULL;
	int rc, fd;
	if (!out)
		return bo__error(BO_EMISUSE, "sqlite open: no output handle");
	*out = NULL;
	if (!path || !*path)
		return bo__error(BO_EINVAL, "sqlite open: empty path");
	if (!(q = bo__calloc(1, sizeof *q))) {
		rc = BO_ENOMEM;
		goto done;
	}
	q->base.ops = &sqlite_ops;
	q->jw.fd = -1;
	if (!(q->path = bo__strdup(path))) {
		rc = BO_ENOMEM;
		goto done;
	}
	q->mode = group ? 0640 : 0600;
	if ((rc = bo__journal_path(path, q->journal, sizeof q->journal)) < 0)
		goto done;
	/* Create it ourselves, so it (and the -wal and -shm SQLite gives the
	 * same mode) is private from the first byte. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, q->mode);
	if (fd >= 0)
		close(fd);
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (q->db)
			rc = bo__sqlite_db_error(q, rc, "opening the ledger");
		else
			rc = bo__error(BO_ENOMEM, "%s: opening the ledger: %s", path,
				       sqlite3_errstr(rc));
		goto done;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if ((rc = pragma(q, "PRAGMA foreign_keys = ON", NULL, "enabling foreign keys")))
		goto done;
	/* WAL first: a fresh file takes it before the schema is written. */
	if ((rc = pragma(q, "PRAGMA journal_mode = WAL", "wal", "switching to WAL")))
		goto done;
	/* NORMAL in WAL mode: durable against process death (kill -9), not
	 * against power loss; see the top of this file. */
	if ((rc = pragma(q, "PRAGMA synchronous = NORMAL", NULL, "setting synchronous")))
		goto done;
	if ((rc = bo__sqlite_migrate(q)))
		goto done;
	*out = &q->base;
	q = NULL;
done:
	sq_close(q ? &q->base : NULL);
	return rc;
}

/* ---- for doctor ----------------------------------------------------------- */

sqlite3 *bo__sqlite_db(bo_storage *st)
{
	if (!st || st->ops != &sqlite_ops)
		return NULL;
	return ((sq *)st)->db;
}

int bo__sqlite_checkpoint(bo_storage *st)
{
	sq *q = (sq *)st;
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "checkpoint: no ledger");
	rc = sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	/* Busy (a reader holds old pages) is not a failure: the next one
	 * copies what this one could not. */
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
		return bo__sqlite_db_error(q, rc, "checkpointing the write-ahead log");
	return 0;
}

int bo__sqlite_integrity(bo_storage *st, char **out)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s = NULL;
	bo_strbuf sb = BO_STRBUF_INIT;
	int rc;
	*out = NULL;
	rc = sqlite3_prepare_v2(q->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = bo__sqlite_db_error(q, rc, "checking integrity");
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		if (sb.len)
			bo__sb_puts(&sb, "; ");
		bo__sb_puts(&sb, t ? t : "");
	}
	if (rc != SQLITE_DONE) {
		rc = bo__sqlite_db_error(q, rc, "checking integrity");
		goto done;
	}
	if (!bo__sb_str(&sb)) {
		rc = BO_ENOMEM;
		goto done;
	}
	*out = bo__sb_take(&sb);
	rc = *out ? 0 : BO_ENOMEM;
done:
	bo__sb_clear(&sb);
	sqlite3_finalize(s);
	return rc;
}
