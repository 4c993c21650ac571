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
 */
#include "storage/storage.h"
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
/* Up to this many trials, trials() loads params/metrics/usage with one
 * indexed query per trial; above it, with one scan of each table. */
#define PER_TRIAL_LOAD_MAX 64

/* "now" in unix seconds, computed by SQLite when the caller gave none. */
#define SQL_NOW "((julianday('now') - 2440587.5) * 86400.0)"

/* Forward migrations: step i takes the schema from version i to i + 1.
 * Append new steps; never edit a released one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE study_versions("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" space_hash TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" created_at REAL NOT NULL);"
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" version INTEGER REFERENCES study_versions(id),"
	" pid INTEGER NOT NULL,"
	" host TEXT,"
	" seed INTEGER NOT NULL,"
	" sampler TEXT,"
	" started_at REAL NOT NULL,"
	" heartbeat_at REAL NOT NULL,"
	" ended_at REAL);"
	"CREATE TABLE trials("
	" id INTEGER PRIMARY KEY,"
	" version INTEGER NOT NULL REFERENCES study_versions(id),"
	" run_id INTEGER REFERENCES runs(id),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'complete', 'pruned', 'failed')),"
	" sampler TEXT,"
	" params_json TEXT,"
	" cost REAL,"
	" reserved REAL,"
	" price_version TEXT,"
	" reason TEXT,"
	" score REAL,"
	" feasible INTEGER NOT NULL DEFAULT -1,"
	" created_at REAL,"
	" started_at REAL,"
	" ended_at REAL,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" term_signal INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL DEFAULT 0,"
	" host TEXT,"
	" folder TEXT);"
	"CREATE INDEX trials_state ON trials(state);"
	"CREATE TABLE trial_params("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE TABLE trial_metrics("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE INDEX trial_metrics_name ON trial_metrics(name, trial_id);"
	"CREATE TABLE trial_steps("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" step INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, step, name));"
	"CREATE TABLE trial_usage("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" resource TEXT NOT NULL,"
	" amount REAL,"
	" PRIMARY KEY (trial_id, resource));"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY,"
	" t REAL NOT NULL,"
	" run_id INTEGER REFERENCES runs(id),"
	" trial_id INTEGER REFERENCES trials(id),"
	" kind TEXT NOT NULL,"
	" amount REAL,"
	" detail TEXT);",
	/* 1 -> 2: where a trial's processes are, so that a later runner finds
	 * them without their environment: the evaluator's start time (pid +
	 * start time name one process for good) and its cgroup. */
	"ALTER TABLE trials ADD COLUMN pid_start INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE trials ADD COLUMN cgroup TEXT;",
	/* 2 -> 3: the scenario and repeat a trial evaluated its configuration
	 * under (issue 10); earlier trials ran under "default", once. */
	"ALTER TABLE trials ADD COLUMN scenario TEXT NOT NULL DEFAULT 'default';"
	"ALTER TABLE trials ADD COLUMN repeat_index INTEGER NOT NULL DEFAULT 0;",
};

#define SCHEMA_VERSION ((int64_t)(sizeof migrations / sizeof migrations[0]))

#define TRIAL_COLS \
	"t.id, t.state, t.version, t.run_id, t.sampler, t.params_json, t.cost, " \
	"t.reserved, t.price_version, t.reason, t.score, t.feasible, " \
	"t.created_at, t.started_at, t.ended_at, t.exit_code, t.term_signal, " \
	"t.pid, t.host, t.folder, t.pid_start, t.cgroup, t.scenario, t.repeat_index"

/* The cached statements, prepared on first use. */
enum {
	S_BEGIN_WRITE,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_HAS_VERSION_TABLE,
	S_GET_VERSION,
	S_DEL_VERSION,
	S_SET_VERSION,
	S_NEWEST,
	S_BY_HASH,
	S_VERSION_INSERT,
	S_RUNS_OPEN,
	S_RUN_CLOSE_STALE,
	S_RUN_INSERT,
	S_RUN_HEARTBEAT,
	S_RUN_END,
	S_NEXT_ID,
	S_TRIAL_INSERT,
	S_PARAM_INSERT,
	S_EVENT_INSERT,
	S_TRIAL_LAUNCHED,
	S_TRIAL_STATE,
	S_USAGE_DELETE,
	S_USAGE_INSERT,
	S_METRIC_DELETE,
	S_METRIC_INSERT,
	S_STEP_INSERT,
	S_TRIAL_FINISH,
	S_TOT_SPENT,
	S_TOT_STATES,
	S_TOT_RUNS,
	S_TOT_VERSIONS,
	S_EVENTS,
	S_STEPS,
	S_STUDY_TEXT,
	S_TRIAL_GET,
	S_PARAMS_OF,
	S_METRICS_OF,
	S_USAGE_OF,
	S_PARAMS_ALL,
	S_METRICS_ALL,
	S_USAGE_ALL,
	S_PARAM_DELETE,
	S_COUNT
};

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

typedef struct sq {
	bo_storage base;            /* first: a bo_storage * is a sq * */
	sqlite3 *db;
	char *path;                 /* for messages */
	sqlite3_stmt *stmt[S_COUNT];
	unsigned char used[S_COUNT];
	char journal[PATH_MAX];     /* the spend journal beside the file */
	int mode;                   /* of files created: 0600 or 0640 */
} sq;

/* ---- small helpers ---------------------------------------------------- */

static int db_error(sq *q, int src, const char *what)
{
	int code = (src & 0xff) == SQLITE_NOMEM ? BO_ENOMEM : BO_EIO;
	return bo__error(code, "%s: %s: %s", q->path, what, sqlite3_errmsg(q->db));
}

static int get(sq *q, int id, sqlite3_stmt **out)
{
	int rc;
	*out = NULL;
	if (!q->stmt[id]) {
		rc = sqlite3_prepare_v3(q->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
					&q->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			q->stmt[id] = NULL;
			return db_error(q, rc, "preparing a statement");
		}
	}
	q->used[id] = 1;
	*out = q->stmt[id];
	return 0;
}

/* Resets every statement used since the last call, so that none keeps a
 * read snapshot (and blocks checkpoints) or points at caller memory. */
static void reset_used(sq *q)
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
static int next_row(sq *q, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = db_error(q, rc, what);
	sqlite3_reset(s);
	return rc;
}

/* Runs s to completion, ignoring rows, and resets it. */
static int run_stmt(sq *q, sqlite3_stmt *s, const char *what)
{
	int rc;
	while ((rc = next_row(q, s, what)) == 1)
		;
	sqlite3_reset(s);
	return rc;
}

static int run_simple(sq *q, int id, const char *what)
{
	sqlite3_stmt *s;
	int rc = get(q, id, &s);
	if (rc == 0)
		rc = run_stmt(q, s, what);
	return rc;
}

static int begin_write(sq *q, const char *what)
{
	return run_simple(q, S_BEGIN_WRITE, what);
}

static int begin_read(sq *q, const char *what)
{
	return run_simple(q, S_BEGIN_READ, what);
}

static int commit(sq *q, const char *what)
{
	return run_simple(q, S_COMMIT, what);
}

/* Ends whatever transaction is open (after an error, or after a read),
 * keeping the error message of the caller. */
static void end_tx(sq *q)
{
	sqlite3_stmt *s;
	reset_used(q);
	if (sqlite3_get_autocommit(q->db))
		return;
	if (get(q, S_ROLLBACK, &s) == 0) {
		sqlite3_step(s);
		sqlite3_reset(s);
	} else {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	}
	q->used[S_ROLLBACK] = 0;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

/* Text that may come from outside (reasons quoting an evaluator, event
 * details, host names) enters the ledger clean: valid UTF-8, no control
 * characters (core/utf8.h), so export and the dashboard can always show it. */
static int bind_outside_text(sqlite3_stmt *s, int i, const char *v)
{
	char *c;
	int b;
	if (!v || bo__utf8_is_clean(v, strlen(v)))
		return bind_text(s, i, v);
	if (!(c = bo__utf8_clean(v, strlen(v), 0)))
		return SQLITE_NOMEM;
	b = sqlite3_bind_text(s, i, c, -1, SQLITE_TRANSIENT);
	bo__free(c);
	return b;
}

/* NaN is stored as NULL. */
static int bind_real(sqlite3_stmt *s, int i, double v)
{
	return isnan(v) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

/* A time or id of 0 means "none" and is stored as NULL. */
static int bind_time(sqlite3_stmt *s, int i, double v)
{
	return (v == 0 || isnan(v)) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v);
}

static int bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	return v == 0 ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, v);
}

static double col_real(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static double col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_double(s, i);
}

/* Copies a text column (NULL stays NULL). */
static int col_str(sq *q, sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *t;
	*out = NULL;
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	t = sqlite3_column_text(s, i);
	if (!t)
		return db_error(q, SQLITE_NOMEM, "reading a text column");
	*out = bo__strndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
	return *out ? 0 : BO_ENOMEM;
}

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Whether process pid exists on this host (EPERM: exists, not ours). */
static int pid_alive(int64_t pid)
{
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0)
		return 1;
	return errno == EPERM;
}

static void format_time(double t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "at %.0f", t);
}

/* ---- schema ------------------------------------------------------------ */

static int read_version(sq *q, int64_t *version)
{
	sqlite3_stmt *s;
	int rc;
	*version = 0;
	rc = get(q, S_HAS_VERSION_TABLE, &s);
	if (rc)
		return rc;
	rc = next_row(q, s, "reading the schema version");
	if (rc < 0)
		return rc;
	if (rc == 0 || sqlite3_column_int64(s, 0) == 0) {
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	rc = get(q, S_GET_VERSION, &s);
	if (rc)
		return rc;
	rc = next_row(q, s, "reading the schema version");
	if (rc < 0)
		return rc;
	if (rc == 1)
		*version = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int too_new(sq *q, int64_t v)
{
	return bo__error(BO_ECONFLICT,
			 "%s: ledger schema version %lld is newer than this budgetopt (%lld)",
			 q->path, (long long)v, (long long)SCHEMA_VERSION);
}

/* Applies the missing migration steps, one transaction each. Reads the
 * version without a write lock first, so opening a current ledger never
 * waits for a runner's transaction. */
static int migrate(sq *q)
{
	int64_t v;
	sqlite3_stmt *s;
	int rc = read_version(q, &v);
	if (rc)
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	while (v < SCHEMA_VERSION) {
		rc = begin_write(q, "migrating the schema");
		if (rc)
			goto done;
		rc = read_version(q, &v);      /* another process may have migrated */
		if (rc)
			goto done;
		if (v > SCHEMA_VERSION) {
			rc = too_new(q, v);
			goto done;
		}
		if (v < SCHEMA_VERSION) {
			rc = sqlite3_exec(q->db, migrations[v], NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				rc = db_error(q, rc, "migrating the schema");
				goto done;
			}
			v++;
			if ((rc = run_simple(q, S_DEL_VERSION, "migrating the schema")))
				goto done;
			if ((rc = get(q, S_SET_VERSION, &s)))
				goto done;
			if ((rc = sqlite3_bind_int64(s, 1, v)) != SQLITE_OK) {
				rc = db_error(q, rc, "migrating the schema");
				goto done;
			}
			if ((rc = run_stmt(q, s, "migrating the schema")))
				goto done;
		}
		if ((rc = commit(q, "migrating the schema")))
			goto done;
	}
done:
	if (rc)
		end_tx(q);
	reset_used(q);
	return rc;
}

/* ---- study versions and runs ------------------------------------------- */

static int sq_register_study(bo_storage *st, const char *name, const char *text,
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
	if ((rc = begin_write(q, "storing the study")))
		goto done;

	if ((rc = get(q, S_NEWEST, &s)))
		goto done;
	rc = next_row(q, s, "storing the study");
	if (rc < 0)
		goto done;
	if (rc == 1) {
		const char *old_name = (const char *)sqlite3_column_text(s, 1);
		const char *old_space = (const char *)sqlite3_column_text(s, 2);
		if (!old_name || !old_space) {
			rc = db_error(q, SQLITE_NOMEM, "storing the study");
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

	if ((rc = get(q, S_BY_HASH, &s)))
		goto done;
	if ((b = bind_text(s, 1, hash)) != SQLITE_OK) {
		rc = db_error(q, b, "storing the study");
		goto done;
	}
	rc = next_row(q, s, "storing the study");
	if (rc < 0)
		goto done;
	if (rc == 1) {
		*version = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		rc = commit(q, "storing the study");
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

	if ((rc = get(q, S_VERSION_INSERT, &s)))
		goto done;
	b = bind_text(s, 1, name);
	b |= bind_text(s, 2, hash);
	b |= bind_text(s, 3, space_hash);
	b |= bind_text(s, 4, text);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, "storing the study");
		goto done;
	}
	if ((rc = run_stmt(q, s, "storing the study")))
		goto done;
	*version = sqlite3_last_insert_rowid(q->db);
	rc = commit(q, "storing the study");
done:
	if (rc) {
		*version = 0;
		end_tx(q);
	}
	reset_used(q);
	return rc;
}

static int sq_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
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
	if ((rc = begin_write(q, "starting a run")))
		goto done;

	if ((rc = get(q, S_RUNS_OPEN, &s)))
		goto done;
	while ((rc = next_row(q, s, "starting a run")) == 1) {
		int64_t id = sqlite3_column_int64(s, 0);
		int64_t rpid = sqlite3_column_int64(s, 1);
		const char *rhost = (const char *)sqlite3_column_text(s, 2);
		if (!same_str(rhost, host))
			continue;       /* cannot tell from here; not ours to close */
		if (rpid != me && rpid != pid && pid_alive(rpid)) {
			char when[64];
			format_time(sqlite3_column_double(s, 3), when, sizeof when);
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
	if ((rc = get(q, S_RUN_CLOSE_STALE, &s)))
		goto done;
	for (i = 0; i < nstale; i++) {
		if ((b = sqlite3_bind_int64(s, 1, stale[i])) != SQLITE_OK) {
			rc = db_error(q, b, "starting a run");
			goto done;
		}
		if ((rc = run_stmt(q, s, "starting a run")))
			goto done;
	}

	if ((rc = get(q, S_RUN_INSERT, &s)))
		goto done;
	b = bind_id(s, 1, version);
	b |= sqlite3_bind_int64(s, 2, pid);
	b |= bind_outside_text(s, 3, host);
	b |= sqlite3_bind_int64(s, 4, (sqlite3_int64)seed);
	b |= bind_text(s, 5, sampler);
	b |= sqlite3_bind_double(s, 6, now);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, "starting a run");
		goto done;
	}
	if ((rc = run_stmt(q, s, "starting a run")))
		goto done;
	*run_id = sqlite3_last_insert_rowid(q->db);
	rc = commit(q, "starting a run");
done:
	bo__free(stale);
	if (rc) {
		*run_id = 0;
		end_tx(q);
	}
	reset_used(q);
	return rc;
}

/* One UPDATE of a run (autocommit: a statement is its own transaction). */
static int run_touch(sq *q, int sid, int64_t run_id, double now, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if (!q)
		return bo__error(BO_EMISUSE, "%s: no ledger", what);
	if ((rc = get(q, sid, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, run_id);
	b |= sqlite3_bind_double(s, 2, now);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = run_stmt(q, s, what)))
		goto done;
	if (sqlite3_changes(q->db) == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: no run %lld in the ledger", q->path,
			       (long long)run_id);
done:
	reset_used(q);
	return rc;
}

static int sq_run_heartbeat(bo_storage *st, int64_t run_id, double now)
{
	return run_touch((sq *)st, S_RUN_HEARTBEAT, run_id, now, "recording a heartbeat");
}

static int sq_run_end(bo_storage *st, int64_t run_id, double now)
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
	if ((rc = get(q, S_EVENT_INSERT, &s)))
		return rc;
	b = bind_time(s, 1, t);
	b |= bind_id(s, 2, run_id);
	b |= bind_id(s, 3, trial_id);
	b |= bind_text(s, 4, kind);
	b |= bind_real(s, 5, amount);
	b |= bind_outside_text(s, 6, detail);
	if (b != SQLITE_OK)
		return db_error(q, b, what);
	return run_stmt(q, s, what);
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
	if ((rc = get(q, sid, &s)))
		return rc;
	for (i = 0; i < n; i++) {
		if (!kv[i].name)
			return bo__error(BO_EINVAL, "%s: a value without a name", what);
		b = sqlite3_bind_int64(s, 1, trial_id);
		b |= bind_text(s, 2, kv[i].name);
		b |= bind_real(s, 3, kv[i].value);
		if (b != SQLITE_OK)
			return db_error(q, b, what);
		if ((rc = run_stmt(q, s, what)))
			return rc;
	}
	return 0;
}

static int delete_of(sq *q, int sid, int64_t trial_id, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if ((rc = get(q, sid, &s)))
		return rc;
	if ((b = sqlite3_bind_int64(s, 1, trial_id)) != SQLITE_OK)
		return db_error(q, b, what);
	return run_stmt(q, s, what);
}

/* Checks that trial id exists and is running (inside a transaction). */
static int require_running(sq *q, int64_t id, const char *what)
{
	sqlite3_stmt *s;
	int rc, b;
	if ((rc = get(q, S_TRIAL_STATE, &s)))
		return rc;
	if ((b = sqlite3_bind_int64(s, 1, id)) != SQLITE_OK)
		return db_error(q, b, what);
	rc = next_row(q, s, what);
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

static int sq_trial_start(bo_storage *st, bo_trial_rec *t)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	int64_t id = 0;
	const char *what = "starting a trial";
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_start: missing argument");
	if ((rc = begin_write(q, what)))
		goto done;
	if ((rc = get(q, S_NEXT_ID, &s)))
		goto done;
	rc = next_row(q, s, what);
	if (rc < 0)
		goto done;
	id = rc == 1 ? sqlite3_column_int64(s, 0) : 1;
	sqlite3_reset(s);

	if ((rc = get(q, S_TRIAL_INSERT, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, id);
	b |= sqlite3_bind_int64(s, 2, t->version);
	b |= bind_id(s, 3, t->run_id);
	b |= bind_text(s, 4, t->sampler);
	b |= bind_text(s, 5, t->params_json);
	b |= bind_real(s, 6, t->cost);
	b |= bind_real(s, 7, t->reserved);
	b |= bind_text(s, 8, t->price_version);
	b |= bind_outside_text(s, 9, t->reason);
	b |= bind_real(s, 10, t->score);
	b |= sqlite3_bind_int(s, 11, t->feasible);
	b |= bind_time(s, 12, t->created_at);
	b |= bind_time(s, 13, t->started_at);
	b |= bind_time(s, 14, t->ended_at);
	b |= sqlite3_bind_int(s, 15, t->exit_code);
	b |= sqlite3_bind_int(s, 16, t->term_signal);
	b |= sqlite3_bind_int64(s, 17, t->pid);
	b |= bind_outside_text(s, 18, t->host);
	b |= bind_text(s, 19, t->folder);
	b |= bind_text(s, 20, t->scenario);
	b |= sqlite3_bind_int64(s, 21, t->repeat);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = run_stmt(q, s, what)))
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
	if ((rc = commit(q, what)))
		goto done;
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
	/* After the commit: see "Watermark" at the top. */
	rc = bo__journal_append_start(q->journal, q->mode, id, t->reserved, t->folder);
done:
	if (rc)
		end_tx(q);
	reset_used(q);
	return rc;
}

static int sq_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	const char *what = "recording a launched trial";
	if (!q)
		return bo__error(BO_EMISUSE, "trial_launched: no ledger");
	if ((rc = get(q, S_TRIAL_LAUNCHED, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, id);
	b |= sqlite3_bind_int64(s, 2, pid);
	b |= bind_text(s, 3, folder);
	b |= sqlite3_bind_int64(s, 4, pid_start);
	b |= bind_text(s, 5, cgroup);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = run_stmt(q, s, what)))
		goto done;
	if (sqlite3_changes(q->db) == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->path, what,
			       (long long)id);
done:
	reset_used(q);
	return rc;
}

static int sq_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n)
{
	sq *q = (sq *)st;
	int rc;
	const char *what = "recording trial usage";
	if (!q)
		return bo__error(BO_EMISUSE, "trial_progress: no ledger");
	if ((rc = begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, id, what)))
		goto done;
	if ((rc = delete_of(q, S_USAGE_DELETE, id, what)))
		goto done;
	if ((rc = insert_kv(q, S_USAGE_INSERT, id, usage, n, what)))
		goto done;
	rc = commit(q, what);
done:
	if (rc)
		end_tx(q);
	reset_used(q);
	return rc;
}

static int sq_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n)
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
	if ((rc = begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, id, what)))
		goto done;
	if ((rc = get(q, S_STEP_INSERT, &s)))
		goto done;
	for (i = 0; i < n; i++) {
		if (!m[i].name) {
			rc = bo__error(BO_EINVAL, "%s: a value without a name", what);
			goto done;
		}
		b = sqlite3_bind_int64(s, 1, id);
		b |= sqlite3_bind_int64(s, 2, step);
		b |= bind_text(s, 3, m[i].name);
		b |= bind_real(s, 4, m[i].value);
		if (b != SQLITE_OK) {
			rc = db_error(q, b, what);
			goto done;
		}
		if ((rc = run_stmt(q, s, what)))
			goto done;
	}
	rc = commit(q, what);
done:
	if (rc)
		end_tx(q);
	reset_used(q);
	return rc;
}

static int sq_trial_finish(bo_storage *st, const bo_trial_rec *t)
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
	if ((rc = begin_write(q, what)))
		goto done;
	if ((rc = require_running(q, t->id, what)))
		goto done;
	if ((rc = get(q, S_TRIAL_FINISH, &s)))
		goto done;
	b = sqlite3_bind_int64(s, 1, t->id);
	b |= bind_text(s, 2, bo__trial_state_name(t->state));
	b |= bind_real(s, 3, t->cost);
	b |= bind_outside_text(s, 4, t->reason);
	b |= bind_real(s, 5, t->score);
	b |= sqlite3_bind_int(s, 6, t->feasible);
	b |= bind_time(s, 7, t->ended_at);
	b |= sqlite3_bind_int(s, 8, t->exit_code);
	b |= sqlite3_bind_int(s, 9, t->term_signal);
	b |= bind_text(s, 10, t->price_version);
	b |= bind_time(s, 11, t->started_at);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = run_stmt(q, s, what)))
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
	if ((rc = get(q, S_TOT_SPENT, &s)))
		goto done;
	if ((rc = next_row(q, s, what)) < 0)
		goto done;
	spent = rc == 1 ? sqlite3_column_double(s, 0) : t->cost;
	sqlite3_reset(s);
	if ((rc = commit(q, what)))
		goto done;
	/* After the commit: see "Watermark" at the top. */
	rc = bo__journal_append_charge(q->journal, q->mode, t->id, t->state, t->cost, spent);
done:
	if (rc)
		end_tx(q);
	reset_used(q);
	/* After the statements are reset, or their read locks hold the WAL. */
	if (rc == 0 && t->id % BO_LEDGER_CHECKPOINT_TRIALS == 0)
		rc = bo__sqlite_checkpoint(st);
	return rc;
}

static int sq_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now)
{
	sq *q = (sq *)st;
	int rc;
	if (!q || !kind)
		return bo__error(BO_EMISUSE, "event: missing argument");
	rc = insert_event(q, run_id, trial_id, kind, amount, detail, now, "recording an event");
	reset_used(q);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

static int sq_totals(bo_storage *st, bo_ledger_totals *out)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_ledger_totals t;
	int rc;
	const char *what = "reading totals";
	if (!q || !out)
		return bo__error(BO_EMISUSE, "totals: missing argument");
	memset(&t, 0, sizeof t);
	if ((rc = begin_read(q, what)))
		goto done;

	if ((rc = get(q, S_TOT_SPENT, &s)))
		goto done;
	if ((rc = next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1) {
		t.spent = sqlite3_column_double(s, 0);
		t.ntrials = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);

	if ((rc = get(q, S_TOT_STATES, &s)))
		goto done;
	while ((rc = next_row(q, s, what)) == 1) {
		int k = bo__trial_state_parse((const char *)sqlite3_column_text(s, 0));
		if (k >= 0)
			t.by_state[k] = sqlite3_column_int64(s, 1);
	}
	if (rc < 0)
		goto done;
	sqlite3_reset(s);

	if ((rc = get(q, S_TOT_RUNS, &s)))
		goto done;
	if ((rc = next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1) {
		t.elapsed_s = sqlite3_column_double(s, 0);
		t.first_start = sqlite3_column_double(s, 1);
	}
	sqlite3_reset(s);

	if ((rc = get(q, S_TOT_VERSIONS, &s)))
		goto done;
	if ((rc = next_row(q, s, what)) < 0)
		goto done;
	if (rc == 1)
		t.nversions = sqlite3_column_int64(s, 0);
	rc = 0;
	*out = t;
done:
	end_tx(q);
	return rc;
}

/* Fills r from a row of TRIAL_COLS; r must be zeroed. */
static int read_trial(sq *q, sqlite3_stmt *s, bo_trial_rec *r)
{
	int rc;
	r->id = sqlite3_column_int64(s, 0);
	r->state = bo__trial_state_parse((const char *)sqlite3_column_text(s, 1));
	r->version = sqlite3_column_int64(s, 2);
	r->run_id = sqlite3_column_int64(s, 3);
	r->cost = col_real(s, 6);
	r->reserved = col_real(s, 7);
	r->score = col_real(s, 10);
	r->feasible = sqlite3_column_int(s, 11);
	r->created_at = col_time(s, 12);
	r->started_at = col_time(s, 13);
	r->ended_at = col_time(s, 14);
	r->exit_code = sqlite3_column_int(s, 15);
	r->term_signal = sqlite3_column_int(s, 16);
	r->pid = sqlite3_column_int64(s, 17);
	r->pid_start = sqlite3_column_int64(s, 20);
	r->repeat = sqlite3_column_int64(s, 23);
	if ((rc = col_str(q, s, 4, &r->sampler)) || (rc = col_str(q, s, 5, &r->params_json)) ||
	    (rc = col_str(q, s, 8, &r->price_version)) || (rc = col_str(q, s, 9, &r->reason)) ||
	    (rc = col_str(q, s, 18, &r->host)) || (rc = col_str(q, s, 19, &r->folder)) ||
	    (rc = col_str(q, s, 21, &r->cgroup)) || (rc = col_str(q, s, 22, &r->scenario)))
		return rc;
	return 0;
}

/* Which list of a record a child table fills. */
enum { KV_PARAMS, KV_METRICS, KV_USAGE };

static void kv_slot(bo_trial_rec *r, int which, bo_kv ***arr, size_t **n)
{
	switch (which) {
	case KV_PARAMS: *arr = &r->params; *n = &r->nparams; break;
	case KV_METRICS: *arr = &r->metrics; *n = &r->nmetrics; break;
	default: *arr = &r->usage; *n = &r->nusage; break;
	}
}

/* Appends the (name, value) of columns 1, 2 of s to r's list which. */
static int append_kv(sq *q, sqlite3_stmt *s, bo_trial_rec *r, int which, size_t *cap)
{
	bo_kv **arr;
	size_t *n;
	int rc;
	kv_slot(r, which, &arr, &n);
	if ((rc = bo__grow(arr, cap, *n + 1, sizeof **arr)))
		return rc;
	if ((rc = col_str(q, s, 1, &(*arr)[*n].name)))
		return rc;
	if (!(*arr)[*n].name)
		(*arr)[*n].name = bo__strdup("");
	if (!(*arr)[*n].name)
		return BO_ENOMEM;
	(*arr)[*n].value = col_real(s, 2);
	(*n)++;
	return 0;
}

typedef struct id_index {
	int64_t id;
	size_t i;
} id_index;

static int cmp_id_index(const void *a, const void *b)
{
	int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
	return (x > y) - (x < y);
}

/*
 * Loads params, metrics and usage of the n records r. Few records: one
 * indexed query per record and table. Many: one scan per table, each row
 * routed to its record through a sorted id index, so 100k trials cost
 * three scans rather than 300k queries.
 */
static int load_children(sq *q, bo_trial_rec *r, size_t n)
{
	static const int of_sid[3] = {S_PARAMS_OF, S_METRICS_OF, S_USAGE_OF};
	static const int all_sid[3] = {S_PARAMS_ALL, S_METRICS_ALL, S_USAGE_ALL};
	const char *what = "reading trials";
	size_t *caps = NULL;
	id_index *idx = NULL;
	sqlite3_stmt *s;
	size_t i;
	int which, rc = 0, b;
	if (n == 0)
		return 0;
	if (!(caps = bo__calloc(n, sizeof *caps))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (n > PER_TRIAL_LOAD_MAX) {
		if (!(idx = bo__calloc(n, sizeof *idx))) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < n; i++) {
			idx[i].id = r[i].id;
			idx[i].i = i;
		}
		qsort(idx, n, sizeof *idx, cmp_id_index);
	}
	for (which = KV_PARAMS; which <= KV_USAGE; which++) {
		memset(caps, 0, n * sizeof *caps);
		if (!idx) {
			if ((rc = get(q, of_sid[which], &s)))
				goto done;
			for (i = 0; i < n; i++) {
				if ((b = sqlite3_bind_int64(s, 1, r[i].id)) != SQLITE_OK) {
					rc = db_error(q, b, what);
					goto done;
				}
				while ((rc = next_row(q, s, what)) == 1)
					if ((rc = append_kv(q, s, &r[i], which, &caps[i])))
						goto done;
				if (rc < 0)
					goto done;
				sqlite3_reset(s);
			}
			continue;
		}
		if ((rc = get(q, all_sid[which], &s)))
			goto done;
		while ((rc = next_row(q, s, what)) == 1) {
			id_index key, *hit;
			key.id = sqlite3_column_int64(s, 0);
			key.i = 0;
			hit = bsearch(&key, idx, n, sizeof *idx, cmp_id_index);
			if (hit && (rc = append_kv(q, s, &r[hit->i], which, &caps[hit->i])))
				goto done;
		}
		if (rc < 0)
			goto done;
		sqlite3_reset(s);
	}
	rc = 0;
done:
	bo__free(caps);
	bo__free(idx);
	return rc;
}

/* The ORDER BY key of a sort name: a column of trials or a metric. */
static const char *sort_key(const char *name, int *metric)
{
	*metric = 0;
	if (!*name || strcmp(name, "id") == 0)
		return "t.id";
	if (strcmp(name, "cost") == 0)
		return "t.cost";
	if (strcmp(name, "score") == 0)
		return "t.score";
	*metric = 1;
	return "m.value";
}

static int sq_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout)
{
	static const bo_trial_query defaults = BO_TRIAL_QUERY_INIT;
	sq *q = (sq *)st;
	const char *what = "reading trials";
	bo_strbuf sql = BO_STRBUF_INIT;
	sqlite3_stmt *s = NULL;
	bo_trial_rec *recs = NULL;
	size_t n = 0, cap = 0;
	const char *sort, *key;
	int desc = 0, metric, rc, b;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "trials: missing argument");
	if (!qry)
		qry = &defaults;
	if (qry->state < -1 || qry->state > BO_TRIAL_FAILED)
		return bo__error(BO_EINVAL, "trials: unknown state %d", qry->state);
	sort = qry->sort ? qry->sort : "id";
	if (sort[0] == '-') {
		desc = 1;
		sort++;
	}
	key = sort_key(sort, &metric);

	/* Only constant fragments go into the text; the metric name is ?2. */
	bo__sb_puts(&sql, "SELECT " TRIAL_COLS " FROM trials t");
	if (metric)
		bo__sb_puts(&sql, " LEFT JOIN trial_metrics m ON m.trial_id = t.id AND m.name = ?2");
	bo__sb_puts(&sql, " WHERE (?1 IS NULL OR t.state = ?1) AND t.id >= ?4 ORDER BY (");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, " IS NULL), ");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, desc ? " DESC" : " ASC");
	bo__sb_puts(&sql, ", t.id ASC LIMIT ?3");
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}

	if ((rc = begin_read(q, what)))
		goto done;
	rc = sqlite3_prepare_v2(q->db, bo__sb_str(&sql), -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(q, rc, what);
		goto done;
	}
	b = qry->state >= 0 ? sqlite3_bind_text(s, 1, bo__trial_state_name(qry->state), -1,
						 SQLITE_STATIC)
			    : sqlite3_bind_null(s, 1);
	if (metric)
		b |= sqlite3_bind_text(s, 2, sort, -1, SQLITE_STATIC);
	b |= sqlite3_bind_int64(s, 3, qry->limit > 0 ? qry->limit : -1);
	b |= sqlite3_bind_int64(s, 4, qry->min_id);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	while ((rc = next_row(q, s, what)) == 1) {
		if ((rc = bo__grow(&recs, &cap, n + 1, sizeof *recs)))
			goto done;
		memset(&recs[n], 0, sizeof recs[n]);
		n++;
		if ((rc = read_trial(q, s, &recs[n - 1])))
			goto done;
	}
	if (rc < 0)
		goto done;
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = load_children(q, recs, n)))
		goto done;
	*out = recs;
	*nout = n;
	recs = NULL;
	n = 0;
done:
	sqlite3_finalize(s);
	bo__trial_rec_free_array(recs, n);
	bo__sb_clear(&sql);
	end_tx(q);
	return rc;
}

static int sq_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc, b;
	const char *what = "reading a trial";
	if (!q || !out)
		return bo__error(BO_EMISUSE, "trial_get: missing argument");
	memset(out, 0, sizeof *out);
	if ((rc = begin_read(q, what)))
		goto done;
	if ((rc = get(q, S_TRIAL_GET, &s)))
		goto done;
	if ((b = sqlite3_bind_int64(s, 1, id)) != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = next_row(q, s, what)) < 0)
		goto done;
	if (rc == 0) {
		rc = bo__error(BO_ENOTFOUND, "%s: no trial %lld in the ledger", q->path,
			       (long long)id);
		goto done;
	}
	if ((rc = read_trial(q, s, out)))
		goto done;
	sqlite3_reset(s);
	rc = load_children(q, out, 1);
done:
	if (rc)
		bo__trial_rec_clear(out);
	end_tx(q);
	return rc;
}

static int sq_events(bo_storage *st, bo_event **out, size_t *nout)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_event *ev = NULL;
	size_t n = 0, cap = 0;
	int rc;
	const char *what = "reading events";
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "events: missing argument");
	if ((rc = get(q, S_EVENTS, &s)))
		goto done;
	while ((rc = next_row(q, s, what)) == 1) {
		bo_event *e;
		if ((rc = bo__grow(&ev, &cap, n + 1, sizeof *ev)))
			goto done;
		e = &ev[n++];
		memset(e, 0, sizeof *e);
		e->id = sqlite3_column_int64(s, 0);
		e->t = sqlite3_column_double(s, 1);
		e->run_id = sqlite3_column_int64(s, 2);
		e->trial_id = sqlite3_column_int64(s, 3);
		e->amount = col_real(s, 5);
		if ((rc = col_str(q, s, 4, &e->kind)) || (rc = col_str(q, s, 6, &e->detail)))
			goto done;
	}
	if (rc < 0)
		goto done;
	*out = ev;
	*nout = n;
	ev = NULL;
	n = 0;
done:
	bo__event_free_array(ev, n);
	reset_used(q);
	return rc;
}

static int sq_steps(bo_storage *st, bo_step_row **out, size_t *nout)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	bo_step_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	const char *what = "reading intermediate reports";
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "steps: missing argument");
	if ((rc = get(q, S_STEPS, &s)))
		goto done;
	while ((rc = next_row(q, s, what)) == 1) {
		bo_step_row *e;
		if ((rc = bo__grow(&v, &cap, n + 1, sizeof *v)))
			goto done;
		e = &v[n++];
		memset(e, 0, sizeof *e);
		e->trial_id = sqlite3_column_int64(s, 0);
		e->step = sqlite3_column_int64(s, 1);
		e->value = col_real(s, 3);
		if ((rc = col_str(q, s, 2, &e->name)))
			goto done;
	}
	if (rc < 0)
		goto done;
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
done:
	bo__step_rows_free(v, n);
	reset_used(q);
	return rc;
}

static int sq_study_text(bo_storage *st, char **text)
{
	sq *q = (sq *)st;
	sqlite3_stmt *s;
	int rc;
	if (text)
		*text = NULL;
	if (!q || !text)
		return bo__error(BO_EMISUSE, "study_text: missing argument");
	if ((rc = get(q, S_STUDY_TEXT, &s)))
		goto done;
	if ((rc = next_row(q, s, "reading the study")) < 0)
		goto done;
	rc = rc == 1 ? col_str(q, s, 0, text) : 0;
done:
	reset_used(q);
	return rc;
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
	bo__free(q->path);
	bo__free(q);
}

static const bo_storage_ops sqlite_ops = {
	"sqlite",
	sq_close,
	sq_register_study,
	sq_run_begin,
	sq_run_heartbeat,
	sq_run_end,
	sq_trial_start,
	sq_trial_launched,
	sq_trial_progress,
	sq_trial_step,
	sq_trial_finish,
	sq_event,
	sq_totals,
	sq_trials,
	sq_trial_get,
	sq_events,
	sq_study_text,
	sq_steps,
};

/* Runs one pragma and, if want is not NULL, checks its one-word answer. */
static int pragma(sq *q, const char *sql, const char *want, const char *what)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(q, rc, what);
		goto done;
	}
	rc = next_row(q, s, what);
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
			rc = db_error(q, rc, "opening the ledger");
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
	if ((rc = migrate(q)))
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
		return db_error(q, rc, "checkpointing the write-ahead log");
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
		rc = db_error(q, rc, "checking integrity");
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		if (sb.len)
			bo__sb_puts(&sb, "; ");
		bo__sb_puts(&sb, t ? t : "");
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(q, rc, "checking integrity");
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

int bo__sqlite_trial_restore(bo_storage *st, const bo_trial_rec *t)
{
	static const char *const upsert =
		"INSERT INTO trials(id, version, run_id, state, sampler, params_json, cost, "
		"reserved, price_version, reason, score, feasible, created_at, started_at, "
		"ended_at, exit_code, term_signal, pid, host, folder) VALUES (?1, ?2, NULL, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0, ?17, ?18) "
		"ON CONFLICT(id) DO UPDATE SET state = ?3, cost = ?6, reason = ?9, score = ?10, "
		"feasible = ?11, ended_at = ?14, exit_code = ?15, term_signal = ?16, "
		"params_json = COALESCE(params_json, ?5), folder = COALESCE(folder, ?18)";
	sq *q = (sq *)st;
	sqlite3_stmt *s = NULL;
	int rc, b;
	const char *what = "restoring a trial";
	if (!q || !t || t->id < 1)
		return bo__error(BO_EMISUSE, "trial_restore: missing argument");
	if ((rc = begin_write(q, what)))
		goto done;
	rc = sqlite3_prepare_v2(q->db, upsert, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(q, rc, what);
		goto done;
	}
	b = sqlite3_bind_int64(s, 1, t->id);
	b |= sqlite3_bind_int64(s, 2, t->version);
	b |= bind_text(s, 3, bo__trial_state_name(t->state));
	b |= bind_text(s, 4, t->sampler);
	b |= bind_text(s, 5, t->params_json);
	b |= bind_real(s, 6, t->cost);
	b |= bind_real(s, 7, t->reserved);
	b |= bind_text(s, 8, t->price_version);
	b |= bind_outside_text(s, 9, t->reason);
	b |= bind_real(s, 10, t->score);
	b |= sqlite3_bind_int(s, 11, t->feasible);
	b |= bind_time(s, 12, t->created_at);
	b |= bind_time(s, 13, t->started_at);
	b |= bind_time(s, 14, t->ended_at);
	b |= sqlite3_bind_int(s, 15, t->exit_code);
	b |= sqlite3_bind_int(s, 16, t->term_signal);
	b |= bind_outside_text(s, 17, t->host);
	b |= bind_text(s, 18, t->folder);
	if (b != SQLITE_OK) {
		rc = db_error(q, b, what);
		goto done;
	}
	if ((rc = run_stmt(q, s, what)))
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
	rc = commit(q, what);
done:
	sqlite3_finalize(s);
	if (rc)
		end_tx(q);
	reset_used(q);
	return rc;
}
