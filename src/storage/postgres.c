/*
 * storage/postgres.c - the PostgreSQL ledger: one study per database (or
 * per schema, chosen with libpq's options=-csearch_path=...), shared by
 * runners and workers on several hosts.
 *
 * Same tables, columns and meaning as storage/sqlite.c (see the schema
 * there), with PostgreSQL types, plus:
 *   seq                 on trial_params, trial_metrics, trial_steps and
 *                       trial_usage: insertion order (SQLite's rowid)
 *   budget(id = 1, spent, reserved)
 *                       the study's money, kept in step with the trials by
 *                       every trial start and finish under this row's lock
 *                       (SELECT ... FOR UPDATE), so several processes never
 *                       pass the budget together (bo__pg_reserve)
 *   workers             a view of runs: each runner or worker process is
 *                       one session (host, pid, heartbeats, trials run)
 *   queued trials       a worker's trial orphaned by its death is failed
 *                       and its configuration inserted again as 'queued',
 *                       claimed by the next worker (storage/postgres_workers.c)
 *
 * Durability is the server's: a COMMIT that returned is on the server's
 * disk (fsync on commit, PostgreSQL's default). The spend journal and the
 * trial-folder checks of storage/ledger_check.c guard a local SQLite file
 * against damage a server does not suffer, so they do not apply here.
 *
 * Connections: the URI is handed to libpq as it is, except that a password
 * in it is refused (passwords and TLS settings belong in PGPASSFILE,
 * PGSERVICE or the environment, never on a command line where ps shows
 * them). A lost connection is reset before the next call; a call that
 * fails because the server is gone returns BO_EIO and changes nothing.
 *
 * Safety: every value travels as a bound parameter (PQexecParams). The
 * only SQL built at run time is the ORDER BY of trials(), assembled from
 * constant fragments.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/storage.h"
#include "storage/postgres.h"
#include "storage/pg_pipe.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Any fixed number: the advisory lock taken while migrating. */
#define MIGRATE_LOCK_KEY 4242017

#define SQL_NOW "extract(epoch from clock_timestamp())::double precision"

/* Forward migrations, as in sqlite.c: append, never edit a released one.
 * The versions match SQLite's: version v has the same tables there. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS schema_version(version BIGINT NOT NULL);"
	"CREATE TABLE study_versions("
	" id BIGSERIAL PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" space_hash TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" created_at DOUBLE PRECISION NOT NULL);"
	"CREATE TABLE runs("
	" id BIGSERIAL PRIMARY KEY,"
	" version BIGINT REFERENCES study_versions(id),"
	" pid BIGINT NOT NULL,"
	" host TEXT,"
	" seed BIGINT NOT NULL,"
	" sampler TEXT,"
	" started_at DOUBLE PRECISION NOT NULL,"
	" heartbeat_at DOUBLE PRECISION NOT NULL,"
	" ended_at DOUBLE PRECISION);"
	"CREATE TABLE trials("
	" id BIGINT PRIMARY KEY,"
	" version BIGINT NOT NULL REFERENCES study_versions(id),"
	" run_id BIGINT REFERENCES runs(id),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'complete', 'pruned', 'failed')),"
	" sampler TEXT,"
	" params_json TEXT,"
	" cost DOUBLE PRECISION,"
	" reserved DOUBLE PRECISION,"
	" price_version TEXT,"
	" reason TEXT,"
	" score DOUBLE PRECISION,"
	" feasible INTEGER NOT NULL DEFAULT -1,"
	" created_at DOUBLE PRECISION,"
	" started_at DOUBLE PRECISION,"
	" ended_at DOUBLE PRECISION,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" term_signal INTEGER NOT NULL DEFAULT 0,"
	" pid BIGINT NOT NULL DEFAULT 0,"
	" host TEXT,"
	" folder TEXT);"
	"CREATE INDEX trials_state ON trials(state);"
	"CREATE TABLE trial_params("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE TABLE trial_metrics("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE INDEX trial_metrics_name ON trial_metrics(name, trial_id);"
	"CREATE TABLE trial_steps("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" step BIGINT NOT NULL,"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, step, name));"
	"CREATE TABLE trial_usage("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" resource TEXT NOT NULL,"
	" amount DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, resource));"
	"CREATE TABLE events("
	" id BIGSERIAL PRIMARY KEY,"
	" t DOUBLE PRECISION NOT NULL,"
	" run_id BIGINT REFERENCES runs(id),"
	" trial_id BIGINT REFERENCES trials(id),"
	" kind TEXT NOT NULL,"
	" amount DOUBLE PRECISION,"
	" detail TEXT);"
	"CREATE TABLE budget("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" spent DOUBLE PRECISION NOT NULL DEFAULT 0,"
	" reserved DOUBLE PRECISION NOT NULL DEFAULT 0);"
	"INSERT INTO budget(id) VALUES (1);"
	"CREATE VIEW workers AS SELECT r.id, r.host, r.pid, r.started_at, r.heartbeat_at,"
	" r.ended_at, (SELECT COUNT(*) FROM trials t WHERE t.run_id = r.id) AS ntrials"
	" FROM runs r;",
	/* 1 -> 2: as SQLite's */
	"ALTER TABLE trials ADD COLUMN pid_start BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE trials ADD COLUMN cgroup TEXT;",
	/* 2 -> 3: as SQLite's */
	"ALTER TABLE trials ADD COLUMN scenario TEXT NOT NULL DEFAULT 'default';"
	"ALTER TABLE trials ADD COLUMN repeat_index BIGINT NOT NULL DEFAULT 0;",
};

#define SCHEMA_VERSION ((int64_t)(sizeof migrations / sizeof migrations[0]))

#define TRIAL_COLS \
	"t.id, t.state, t.version, t.run_id, t.sampler, t.params_json, t.cost, " \
	"t.reserved, t.price_version, t.reason, t.score, t.feasible, " \
	"t.created_at, t.started_at, t.ended_at, t.exit_code, t.term_signal, " \
	"t.pid, t.host, t.folder, t.pid_start, t.cgroup, t.scenario, t.repeat_index"

typedef struct pg {
	bo_storage base;            /* first: a bo_storage * is a pg * */
	PGconn *c;
	char *label;                /* the URI, for messages */
	int in_tx;
} pg;

/* ---- parameters --------------------------------------------------------- */

#define MAX_PARAMS 24

/* Bound values of one statement, as text. */
typedef struct params {
	const char *v[MAX_PARAMS];
	char buf[MAX_PARAMS][40];
	char *own[MAX_PARAMS];      /* cleaned copies of outside text */
	int n;
	int oom;
} params;

static void p_init(params *p)
{
	memset(p, 0, sizeof *p);
}

static void p_clear(params *p)
{
	int i;
	for (i = 0; i < p->n; i++) {
		bo__free(p->own[i]);
		p->own[i] = NULL;
	}
	p->n = 0;
	p->oom = 0;
}

static void p_text(params *p, const char *v)
{
	p->v[p->n++] = v;
}

/* Text that may come from outside enters the ledger clean (as in sqlite.c). */
static void p_outside(params *p, const char *v)
{
	char *c;
	if (!v || bo__utf8_is_clean(v, strlen(v))) {
		p_text(p, v);
		return;
	}
	if (!(c = bo__utf8_clean(v, strlen(v), 0)))
		p->oom = 1;
	p->own[p->n] = c;
	p_text(p, c);
}

static void p_int(params *p, int64_t v)
{
	snprintf(p->buf[p->n], sizeof p->buf[p->n], "%" PRId64, v);
	p->v[p->n] = p->buf[p->n];
	p->n++;
}

/* NaN is stored as NULL; infinities by their SQL names. */
static void p_real(params *p, double v)
{
	if (isnan(v))
		p->v[p->n] = NULL;
	else {
		if (isinf(v))
			snprintf(p->buf[p->n], sizeof p->buf[p->n], "%s",
				 v > 0 ? "Infinity" : "-Infinity");
		else
			snprintf(p->buf[p->n], sizeof p->buf[p->n], "%.17g", v);
		p->v[p->n] = p->buf[p->n];
	}
	p->n++;
}

/* A time or id of 0 means "none": NULL. */
static void p_time(params *p, double v)
{
	if (v == 0)
		v = NAN;
	p_real(p, v);
}

static void p_id(params *p, int64_t v)
{
	if (v == 0)
		p_text(p, NULL);
	else
		p_int(p, v);
}

/* ---- running statements ------------------------------------------------- */

static int db_error(pg *q, const PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	char msg[1024];
	size_t n;
	if (!m || !*m)
		m = PQerrorMessage(q->c);
	snprintf(msg, sizeof msg, "%s", m && *m ? m : "unknown error");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	for (n = 0; msg[n]; n++)
		if (msg[n] == '\n')
			msg[n] = ' ';
	return bo__error(BO_EIO, "%s: %s: %s", q->label, what, msg);
}

/* Reconnects a connection the server dropped (outside a transaction). */
static int ensure_conn(pg *q, const char *what)
{
	/* A batch left unfinished (storage/pg_pipe.c could not read it to
	 * its end) is dropped with its connection. */
	if (PQstatus(q->c) == CONNECTION_OK && PQpipelineStatus(q->c) == PQ_PIPELINE_OFF)
		return 0;
	q->in_tx = 0;
	PQreset(q->c);
	if (PQstatus(q->c) != CONNECTION_OK)
		return db_error(q, NULL, what);
	return 0;
}

/* Runs sql with p's values; *out (when not NULL) gets the result of a
 * query, to PQclear. */
static int exec(pg *q, const char *sql, params *p, PGresult **out, const char *what)
{
	PGresult *r;
	ExecStatusType s;
	int rc = 0;
	if (out)
		*out = NULL;
	if (p && p->oom)
		return bo__error(BO_ENOMEM, "%s: out of memory", what);
	r = PQexecParams(q->c, sql, p ? p->n : 0, NULL, p ? p->v : NULL, NULL, NULL, 0);
	s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		rc = db_error(q, r, what);
		PQclear(r);
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static int exec_simple(pg *q, const char *sql, const char *what)
{
	return exec(q, sql, NULL, NULL, what);
}

static int begin(pg *q, const char *what)
{
	int rc;
	if ((rc = ensure_conn(q, what)))
		return rc;
	if ((rc = exec_simple(q, "BEGIN", what)) == 0)
		q->in_tx = 1;
	return rc;
}

static int commit(pg *q, const char *what)
{
	int rc = exec_simple(q, "COMMIT", what);
	q->in_tx = 0;
	return rc;
}

/* Ends an open transaction after an error, keeping the caller's message. */
static void end_tx(pg *q)
{
	PGresult *r;
	if (!q->in_tx)
		return;
	q->in_tx = 0;
	if (PQstatus(q->c) != CONNECTION_OK)
		return;
	r = PQexec(q->c, "ROLLBACK");
	PQclear(r);
}

static double col_real(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? NAN : strtod(PQgetvalue(r, row, i), NULL);
}

static double col_time(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : strtod(PQgetvalue(r, row, i), NULL);
}

static int64_t col_int(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : (int64_t)strtoll(PQgetvalue(r, row, i), NULL, 10);
}

static int col_str(const PGresult *r, int row, int i, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, i))
		return 0;
	*out = bo__strdup(PQgetvalue(r, row, i));
	return *out ? 0 : BO_ENOMEM;
}

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

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

/* Locks the study's budget row until the transaction ends: every change
 * of trials and money goes through it, one process at a time. */
static int lock_budget(pg *q, double *spent, double *reserved, const char *what)
{
	PGresult *r;
	int rc = exec(q, "SELECT spent, reserved FROM budget WHERE id = 1 FOR UPDATE", NULL, &r,
		      what);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
	}
	if (spent)
		*spent = col_real(r, 0, 0);
	if (reserved)
		*reserved = col_real(r, 0, 1);
	PQclear(r);
	return 0;
}

/* ---- schema ------------------------------------------------------------- */

/* Reads the catalog through an MVCC query (not to_regclass, whose cache
 * may not yet see a table another worker's migration just committed). */
static int read_version(pg *q, int64_t *v, const char *what)
{
	PGresult *r;
	int rc;
	*v = 0;
	if ((rc = exec(q, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
		       "current_schema() AND tablename = 'schema_version')", NULL, &r, what)))
		return rc;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if ((rc = exec(q, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, &r, what)))
		return rc;
	if (PQntuples(r) == 1)
		*v = col_int(r, 0, 0);
	PQclear(r);
	return 0;
}

static int too_new(pg *q, int64_t v)
{
	return bo__error(BO_ECONFLICT,
			 "%s: ledger schema version %lld is newer than this budgetopt (%lld)",
			 q->label, (long long)v, (long long)SCHEMA_VERSION);
}

/* Applies the missing steps in one transaction under an advisory lock, so
 * two workers starting together migrate once. */
static int migrate(pg *q, int create)
{
	const char *what = "migrating the schema";
	params p;
	int64_t v;
	int rc;
	p_init(&p);
	if ((rc = read_version(q, &v, what)))
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	if (v == SCHEMA_VERSION)
		goto done;
	if (v == 0 && !create) {
		rc = bo__error(BO_ENOTFOUND, "%s: no ledger", q->label);
		goto done;
	}
	if ((rc = begin(q, what)))
		goto done;
	p_int(&p, MIGRATE_LOCK_KEY);
	if ((rc = exec(q, "SELECT pg_advisory_xact_lock($1::bigint)", &p, NULL, what)))
		goto done;
	p_clear(&p);
	if ((rc = read_version(q, &v, what)))
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	while (v < SCHEMA_VERSION) {
		PGresult *r = PQexec(q->c, migrations[v]);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = db_error(q, r, what);
			PQclear(r);
			goto done;
		}
		PQclear(r);
		v++;
	}
	if ((rc = exec_simple(q, "DELETE FROM schema_version", what)))
		goto done;
	p_int(&p, v);
	if ((rc = exec(q, "INSERT INTO schema_version(version) VALUES ($1)", &p, NULL, what)))
		goto done;
	rc = commit(q, what);
done:
	p_clear(&p);
	if (rc)
		end_tx(q);
	return rc;
}

/* ---- study versions and runs -------------------------------------------- */

static int pg_register_study(bo_storage *st, const char *name, const char *text,
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
	p_init(&p);
	if ((rc = begin(q, what)) || (rc = lock_budget(q, NULL, NULL, what)))
		goto done;
	if ((rc = exec(q, "SELECT id, name, space_hash FROM study_versions ORDER BY id DESC LIMIT 1",
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
			space_changed_at = col_int(r, 0, 0);
	}
	PQclear(r);
	r = NULL;
	p_text(&p, hash);
	if ((rc = exec(q, "SELECT id FROM study_versions WHERE hash = $1", &p, &r, what)))
		goto done;
	p_clear(&p);
	if (PQntuples(r) == 1) {
		*version = col_int(r, 0, 0);
		rc = commit(q, what);
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
	p_text(&p, name);
	p_text(&p, hash);
	p_text(&p, space_hash);
	p_text(&p, text);
	if ((rc = exec(q, "INSERT INTO study_versions(name, hash, space_hash, text, created_at) "
			  "VALUES ($1, $2, $3, $4, " SQL_NOW ") RETURNING id",
		       &p, &r, what)))
		goto done;
	*version = col_int(r, 0, 0);
	rc = commit(q, what);
done:
	PQclear(r);
	p_clear(&p);
	if (rc) {
		*version = 0;
		end_tx(q);
	}
	return rc;
}

static int pg_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
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
	p_init(&p);
	if ((rc = begin(q, what)) || (rc = lock_budget(q, NULL, NULL, what)))
		goto done;
	if ((rc = exec(q, "SELECT id, pid, host, started_at FROM runs WHERE ended_at IS NULL "
			  "ORDER BY id", NULL, &r, what)))
		goto done;
	for (i = 0; i < PQntuples(r); i++) {
		int64_t id = col_int(r, i, 0), rpid = col_int(r, i, 1);
		const char *rhost = PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2);
		if (!same_str(rhost, host))
			continue;       /* cannot tell from here; not ours to close */
		if (rpid != me && rpid != pid && pid_alive(rpid)) {
			char when[64];
			format_time(col_time(r, i, 3), when, sizeof when);
			rc = bo__error(BO_ECONFLICT, "%s: study is being run by pid %lld (started %s)",
				       q->label, (long long)rpid, when);
			goto done;
		}
		p_clear(&p);
		p_int(&p, id);
		if ((rc = exec(q, "UPDATE runs SET ended_at = heartbeat_at WHERE id = $1", &p, NULL,
			       what)))
			goto done;
	}
	PQclear(r);
	r = NULL;
	p_clear(&p);
	p_id(&p, version);
	p_int(&p, pid);
	p_outside(&p, host);
	p_int(&p, (int64_t)seed);
	p_text(&p, sampler);
	p_real(&p, now);
	if ((rc = exec(q, "INSERT INTO runs(version, pid, host, seed, sampler, started_at, "
			  "heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
		       &p, &r, what)))
		goto done;
	*run_id = col_int(r, 0, 0);
	rc = commit(q, what);
done:
	PQclear(r);
	p_clear(&p);
	if (rc) {
		*run_id = 0;
		end_tx(q);
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
	p_init(&p);
	p_int(&p, run_id);
	p_real(&p, now);
	if ((rc = ensure_conn(q, what)) || (rc = exec(q, sql, &p, &r, what)))
		goto done;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: no run %lld in the ledger", q->label,
			       (long long)run_id);
done:
	PQclear(r);
	p_clear(&p);
	return rc;
}

static int pg_run_heartbeat(bo_storage *st, int64_t run_id, double now)
{
	return run_touch((pg *)st, "UPDATE runs SET heartbeat_at = $2 WHERE id = $1", run_id, now,
			 "recording a heartbeat");
}

static int pg_run_end(bo_storage *st, int64_t run_id, double now)
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
		p_clear(p);
}

/* Runs sql with p's values now, or queues it on b when b is not NULL. */
static int exec_or_q(pg *q, bo_pg_pipe *b, const char *sql, params *p, const char *what)
{
	if (!b)
		return exec(q, sql, p, NULL, what);
	pipe_q(b, sql, p);
	return 0;
}

static int insert_event(pg *q, bo_pg_pipe *b, int64_t run_id, int64_t trial_id, const char *kind,
			double amount, const char *detail, double t, const char *what)
{
	params p;
	int rc;
	p_init(&p);
	p_time(&p, t);
	p_id(&p, run_id);
	p_id(&p, trial_id);
	p_text(&p, kind);
	p_real(&p, amount);
	p_outside(&p, detail);
	rc = exec_or_q(q, b, "INSERT INTO events(t, run_id, trial_id, kind, amount, detail) "
			     "VALUES (COALESCE($1::double precision, " SQL_NOW "), $2, $3, $4, $5, $6)",
		       &p, what);
	p_clear(&p);
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
		p_init(&p);
		p_int(&p, trial_id);
		p_text(&p, kv[i].name);
		p_real(&p, kv[i].value);
		rc = exec_or_q(q, b, sql, &p, what);
		p_clear(&p);
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
	p_init(&p);
	p_int(&p, trial_id);
	rc = exec_or_q(q, b, sql, &p, what);
	p_clear(&p);
	return rc;
}

#define SQL_LOCK_BUDGET "SELECT spent, reserved FROM budget WHERE id = 1 FOR UPDATE"
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
		*reserved = col_real(r, 0, 1);
	return rc;
}

/* Opens a transaction whose first batch takes the budget row's lock
 * (when lock_budget) and trial id's row (when id > 0): one round trip.
 * The statements that follow go on b; the caller runs it. */
static int begin_batch(pg *q, bo_pg_pipe *b, int lock_budget, int64_t id, const char *what)
{
	params p;
	int rc;
	if ((rc = ensure_conn(q, what)))
		return rc;
	bo__pg_pipe_open(b, q->c, q->label, what);
	q->in_tx = 1;
	pipe_q(b, "BEGIN", NULL);
	if (lock_budget)
		pipe_q(b, SQL_LOCK_BUDGET, NULL);
	if (id > 0) {
		p_init(&p);
		p_int(&p, id);
		pipe_q(b, SQL_LOCK_TRIAL, &p);
	}
	return 0;
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
			int by_folder)
{
	pg *q = (pg *)st;
	const char *what = "starting a trial";
	bo_pg_pipe b;
	PGresult *r;
	params p;
	int rc;
	int64_t id, n, found;
	double spent = 0, reserved = 0;
	if (!q || !t)
		return bo__error(BO_EMISUSE, "trial_start: missing argument");
	p_init(&p);
	memset(&b, 0, sizeof b);
	/* First round trip: the budget row's lock, then, read under it (a
	 * snapshot taken once the lock is held), the trial count, a running
	 * trial of this folder and the next id. */
	if ((rc = begin_batch(q, &b, 1, 0, what)))
		goto done;
	p_text(&p, by_folder ? t->folder : NULL);
	p_text(&p, max_trials > 0 ? "true" : "false");
	pipe_q(&b, "SELECT (SELECT COUNT(*) FROM trials WHERE state <> 'queued' AND $2::boolean), "
		   "(SELECT MIN(id) FROM trials WHERE folder = $1 AND state = 'running' "
		   "HAVING COUNT(*) = 1), (SELECT COALESCE(MAX(id), 0) + 1 FROM trials)",
	       &p);
	if ((rc = bo__pg_pipe_run(&b)))
		goto done;
	r = bo__pg_pipe_result(&b, 1);
	if (!r || PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
		goto done;
	}
	spent = col_real(r, 0, 0);
	reserved = col_real(r, 0, 1);
	r = bo__pg_pipe_result(&b, 2);
	if (!r || PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: no reply to the trial count", q->label, what);
		goto done;
	}
	n = col_int(r, 0, 0);
	found = col_int(r, 0, 1);
	id = col_int(r, 0, 2);
	bo__pg_pipe_close(&b);
	if (found > 0) {
		/* A retry after a commit whose reply was lost finds its trial
		 * (before the checks, which its own reservation now fails). */
		t->id = found;
		t->state = BO_TRIAL_RUNNING;
		rc = commit(q, what);
		goto done;
	}
	/* Checked and reserved under the row lock: no other process can
	 * reserve between the two. */
	if ((!isnan(limit) && isfinite(t->reserved) && spent + reserved + t->reserved > limit) ||
	    (max_trials > 0 && n >= max_trials)) {
		rc = commit(q, what);
		if (rc == 0)
			rc = BO_DONE;
		goto done;
	}
	/* Second round trip: every write, and the COMMIT. */
	bo__pg_pipe_open(&b, q->c, q->label, what);
	p_int(&p, id);
	p_int(&p, t->version);
	p_id(&p, t->run_id);
	p_text(&p, t->sampler);
	p_text(&p, t->params_json);
	p_real(&p, t->cost);
	p_real(&p, t->reserved);
	p_text(&p, t->price_version);
	p_outside(&p, t->reason);
	p_real(&p, t->score);
	p_int(&p, t->feasible);
	p_time(&p, t->created_at);
	p_time(&p, t->started_at);
	p_time(&p, t->ended_at);
	p_int(&p, t->exit_code);
	p_int(&p, t->term_signal);
	p_int(&p, t->pid);
	p_outside(&p, t->host);
	p_text(&p, t->folder);
	p_text(&p, t->scenario);
	p_int(&p, t->repeat);
	pipe_q(&b, "INSERT INTO trials(id, version, run_id, state, sampler, params_json, "
		   "cost, reserved, price_version, reason, score, feasible, created_at, "
		   "started_at, ended_at, exit_code, term_signal, pid, host, folder, scenario, "
		   "repeat_index) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $8, $9, $10, "
		   "$11, $12, $13, $14, $15, $16, $17, $18, $19, COALESCE($20, 'default'), $21)",
	       &p);
	if ((rc = insert_kv(q, &b, SQL_PARAM_UPSERT, id, t->params, t->nparams, what)))
		goto done;
	if (isfinite(t->reserved)) {
		p_real(&p, t->reserved);
		pipe_q(&b, "UPDATE budget SET reserved = reserved + $1 WHERE id = 1", &p);
	}
	insert_event(q, &b, t->run_id, id, "reserve", t->reserved, t->reserve_basis,
		     t->created_at != 0 ? t->created_at : t->started_at, what);
	if (t->cap_detail)
		insert_event(q, &b, t->run_id, id, "trial_cap", t->cap, t->cap_detail,
			     t->created_at != 0 ? t->created_at : t->started_at, what);
	if ((rc = commit_batch(q, &b)))
		goto done;
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
done:
	bo__pg_pipe_close(&b);
	p_clear(&p);
	if (rc < 0)
		end_tx(q);
	return rc;
}

static int pg_trial_start(bo_storage *st, bo_trial_rec *t)
{
	return trial_insert(st, t, NAN, 0, 0);
}

int bo__pg_trial_insert(bo_storage *st, bo_trial_rec *t, double limit, int64_t max_trials)
{
	return trial_insert(st, t, limit, max_trials, 1);
}

static int pg_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder)
{
	pg *q = (pg *)st;
	const char *what = "recording a launched trial";
	PGresult *r = NULL;
	params p;
	int rc;
	if (!q)
		return bo__error(BO_EMISUSE, "trial_launched: no ledger");
	p_init(&p);
	p_int(&p, id);
	p_int(&p, pid);
	p_text(&p, folder);
	p_int(&p, pid_start);
	p_text(&p, cgroup);
	if ((rc = ensure_conn(q, what)) ||
	    (rc = exec(q, "UPDATE trials SET pid = $2, folder = COALESCE($3, folder), "
			  "pid_start = $4, cgroup = $5 WHERE id = $1",
		       &p, &r, what)))
		goto done;
	if (strcmp(PQcmdTuples(r), "0") == 0)
		rc = bo__error(BO_ENOTFOUND, "%s: %s: no trial %lld in the ledger", q->label, what,
			       (long long)id);
done:
	PQclear(r);
	p_clear(&p);
	return rc;
}

static int pg_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n)
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
	bo__pg_pipe_open(&b, q->c, q->label, what);
	if ((rc = delete_of(q, &b, "DELETE FROM trial_usage WHERE trial_id = $1", id, what)) ||
	    (rc = insert_kv(q, &b, SQL_USAGE_UPSERT, id, usage, n, what)))
		goto done;
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	if (rc)
		end_tx(q);
	return rc;
}

static int pg_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n)
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
	bo__pg_pipe_open(&b, q->c, q->label, what);
	for (i = 0; i < n; i++) {
		if (!m[i].name) {
			rc = bo__error(BO_EINVAL, "%s: a value without a name", what);
			goto done;
		}
		p_init(&p);
		p_int(&p, id);
		p_int(&p, step);
		p_text(&p, m[i].name);
		p_real(&p, m[i].value);
		pipe_q(&b, "INSERT INTO trial_steps(trial_id, step, name, value) "
			   "VALUES ($1, $2, $3, $4) ON CONFLICT (trial_id, step, name) "
			   "DO UPDATE SET value = EXCLUDED.value",
		       &p);
	}
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	if (rc)
		end_tx(q);
	return rc;
}

static int pg_trial_finish(bo_storage *st, const bo_trial_rec *t)
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
	p_init(&p);
	memset(&b, 0, sizeof b);
	/* The budget row first, then the trial's: always in this order, so two
	 * processes never wait on each other's locks. One round trip. */
	if ((rc = begin_batch(q, &b, 1, t->id, what)) || (rc = bo__pg_pipe_run(&b)) ||
	    (rc = check_running(q, bo__pg_pipe_result(&b, 2), t->id, &reserved, what)))
		goto done;
	bo__pg_pipe_close(&b);
	/* Then every write and the COMMIT: one more. */
	bo__pg_pipe_open(&b, q->c, q->label, what);
	p_int(&p, t->id);
	p_text(&p, bo__trial_state_name(t->state));
	p_real(&p, t->cost);
	p_outside(&p, t->reason);
	p_real(&p, t->score);
	p_int(&p, t->feasible);
	p_time(&p, t->ended_at);
	p_int(&p, t->exit_code);
	p_int(&p, t->term_signal);
	p_text(&p, t->price_version);
	p_time(&p, t->started_at);
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
	p_real(&p, isfinite(reserved) ? reserved : 0);
	p_real(&p, isfinite(t->cost) ? t->cost : 0);
	pipe_q(&b, "UPDATE budget SET reserved = GREATEST(reserved - $1, 0), "
		   "spent = spent + $2 WHERE id = 1",
	       &p);
	rc = commit_batch(q, &b);
done:
	bo__pg_pipe_close(&b);
	p_clear(&p);
	if (rc)
		end_tx(q);
	return rc;
}

static int pg_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now)
{
	pg *q = (pg *)st;
	int rc;
	if (!q || !kind)
		return bo__error(BO_EMISUSE, "event: missing argument");
	if ((rc = ensure_conn(q, "recording an event")))
		return rc;
	return insert_event(q, NULL, run_id, trial_id, kind, amount, detail, now, "recording an event");
}

/* ---- reading ------------------------------------------------------------ */

/* Reads in one snapshot: REPEATABLE READ, read only. */
static int begin_read(pg *q, const char *what)
{
	int rc;
	if ((rc = ensure_conn(q, what)))
		return rc;
	if ((rc = exec_simple(q, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what)) == 0)
		q->in_tx = 1;
	return rc;
}

static int pg_totals(bo_storage *st, bo_ledger_totals *out)
{
	pg *q = (pg *)st;
	const char *what = "reading totals";
	PGresult *r = NULL;
	bo_ledger_totals t;
	int rc, i;
	if (!q || !out)
		return bo__error(BO_EMISUSE, "totals: missing argument");
	memset(&t, 0, sizeof t);
	if ((rc = begin_read(q, what)))
		goto done;
	if ((rc = exec(q, "SELECT COALESCE(SUM(cost), 0.0), COUNT(*) FROM trials", NULL, &r, what)))
		goto done;
	t.spent = col_real(r, 0, 0);
	t.ntrials = col_int(r, 0, 1);
	PQclear(r);
	if ((rc = exec(q, "SELECT state, COUNT(*) FROM trials GROUP BY state", NULL, &r, what)))
		goto done;
	for (i = 0; i < PQntuples(r); i++) {
		int k = bo__trial_state_parse(PQgetvalue(r, i, 0));
		if (k >= 0)
			t.by_state[k] = col_int(r, i, 1);
	}
	PQclear(r);
	if ((rc = exec(q, "SELECT COALESCE(SUM(COALESCE(ended_at, heartbeat_at) - started_at), "
			  "0.0), COALESCE(MIN(started_at), 0.0) FROM runs",
		       NULL, &r, what)))
		goto done;
	t.elapsed_s = col_real(r, 0, 0);
	t.first_start = col_real(r, 0, 1);
	PQclear(r);
	if ((rc = exec(q, "SELECT COUNT(*) FROM study_versions", NULL, &r, what)))
		goto done;
	t.nversions = col_int(r, 0, 0);
	rc = commit(q, what);
	if (rc == 0)
		*out = t;
done:
	PQclear(r);
	end_tx(q);
	return rc;
}

static int read_trial(const PGresult *r, int row, bo_trial_rec *t)
{
	int rc;
	t->id = col_int(r, row, 0);
	t->state = bo__trial_state_parse(PQgetvalue(r, row, 1));
	t->version = col_int(r, row, 2);
	t->run_id = col_int(r, row, 3);
	t->cost = col_real(r, row, 6);
	t->reserved = col_real(r, row, 7);
	t->score = col_real(r, row, 10);
	t->feasible = (int)col_int(r, row, 11);
	t->created_at = col_time(r, row, 12);
	t->started_at = col_time(r, row, 13);
	t->ended_at = col_time(r, row, 14);
	t->exit_code = (int)col_int(r, row, 15);
	t->term_signal = (int)col_int(r, row, 16);
	t->pid = col_int(r, row, 17);
	t->pid_start = col_int(r, row, 20);
	t->repeat = col_int(r, row, 23);
	if ((rc = col_str(r, row, 4, &t->sampler)) || (rc = col_str(r, row, 5, &t->params_json)) ||
	    (rc = col_str(r, row, 8, &t->price_version)) || (rc = col_str(r, row, 9, &t->reason)) ||
	    (rc = col_str(r, row, 18, &t->host)) || (rc = col_str(r, row, 19, &t->folder)) ||
	    (rc = col_str(r, row, 21, &t->cgroup)) || (rc = col_str(r, row, 22, &t->scenario)))
		return rc;
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

/* Loads params, metrics and usage of the n records: one query per table
 * (of one trial, or of all), rows routed through a sorted id index. */
static int load_children(pg *q, bo_trial_rec *recs, size_t n)
{
	static const char *const one[3] = {
		"SELECT trial_id, name, value FROM trial_params WHERE trial_id = $1 ORDER BY seq",
		"SELECT trial_id, name, value FROM trial_metrics WHERE trial_id = $1 ORDER BY seq",
		"SELECT trial_id, resource, amount FROM trial_usage WHERE trial_id = $1 ORDER BY seq"};
	/* from the smallest id on: a worker catching up reads the tail */
	static const char *const all[3] = {
		"SELECT trial_id, name, value FROM trial_params WHERE trial_id >= $1 ORDER BY seq",
		"SELECT trial_id, name, value FROM trial_metrics WHERE trial_id >= $1 ORDER BY seq",
		"SELECT trial_id, resource, amount FROM trial_usage WHERE trial_id >= $1 ORDER BY seq"};
	const char *what = "reading trials";
	id_index *idx = NULL;
	size_t *caps = NULL, i;
	PGresult *r = NULL;
	params p;
	int which, rc = 0, row;
	if (n == 0)
		return 0;
	p_init(&p);
	if (!(idx = bo__calloc(n, sizeof *idx)) || !(caps = bo__calloc(n * 3, sizeof *caps))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		idx[i].id = recs[i].id;
		idx[i].i = i;
	}
	qsort(idx, n, sizeof *idx, cmp_id_index);
	p_int(&p, idx[0].id);
	for (which = 0; which < 3; which++) {
		if ((rc = exec(q, n == 1 ? one[which] : all[which], &p, &r, what)))
			goto done;
		for (row = 0; row < PQntuples(r); row++) {
			id_index key, *hit;
			bo_trial_rec *t;
			bo_kv **arr;
			size_t *cnt;
			key.id = col_int(r, row, 0);
			key.i = 0;
			if (!(hit = bsearch(&key, idx, n, sizeof *idx, cmp_id_index)))
				continue;
			t = &recs[hit->i];
			arr = which == 0 ? &t->params : which == 1 ? &t->metrics : &t->usage;
			cnt = which == 0 ? &t->nparams : which == 1 ? &t->nmetrics : &t->nusage;
			if ((rc = bo__kv_push(arr, cnt, &caps[hit->i * 3 + (size_t)which],
					      PQgetvalue(r, row, 1), col_real(r, row, 2))))
				goto done;
		}
		PQclear(r);
		r = NULL;
	}
done:
	PQclear(r);
	p_clear(&p);
	bo__free(idx);
	bo__free(caps);
	return rc;
}

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

static int pg_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout)
{
	static const bo_trial_query defaults = BO_TRIAL_QUERY_INIT;
	pg *q = (pg *)st;
	const char *what = "reading trials";
	bo_strbuf sql = BO_STRBUF_INIT;
	bo_trial_rec *recs = NULL;
	PGresult *r = NULL;
	size_t n = 0;
	const char *sort, *key;
	params p;
	int desc = 0, metric, rc, i;
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
	p_init(&p);
	p_text(&p, qry->state >= 0 ? bo__trial_state_name(qry->state) : NULL);
	if (qry->limit > 0)
		p_int(&p, qry->limit);
	else
		p_text(&p, NULL);
	p_int(&p, qry->min_id);
	bo__sb_puts(&sql, "SELECT " TRIAL_COLS " FROM trials t");
	if (metric) {
		bo__sb_puts(&sql, " LEFT JOIN trial_metrics m ON m.trial_id = t.id AND m.name = $4");
		p_text(&p, sort);
	}
	bo__sb_puts(&sql, " WHERE ($1::text IS NULL OR t.state = $1) AND t.id >= $3 ORDER BY (");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, " IS NULL), ");
	bo__sb_puts(&sql, key);
	bo__sb_puts(&sql, desc ? " DESC" : " ASC");
	bo__sb_puts(&sql, ", t.id ASC LIMIT $2::bigint");
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = begin_read(q, what)) || (rc = exec(q, bo__sb_str(&sql), &p, &r, what)))
		goto done;
	if (PQntuples(r) > 0) {
		if (!(recs = bo__calloc((size_t)PQntuples(r), sizeof *recs))) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < PQntuples(r); i++) {
			n++;
			if ((rc = read_trial(r, i, &recs[i])))
				goto done;
		}
	}
	if ((rc = load_children(q, recs, n)) || (rc = commit(q, what)))
		goto done;
	*out = recs;
	*nout = n;
	recs = NULL;
	n = 0;
done:
	PQclear(r);
	p_clear(&p);
	bo__trial_rec_free_array(recs, n);
	bo__sb_clear(&sql);
	end_tx(q);
	return rc;
}

static int pg_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out)
{
	pg *q = (pg *)st;
	const char *what = "reading a trial";
	PGresult *r = NULL;
	params p;
	int rc;
	if (!q || !out)
		return bo__error(BO_EMISUSE, "trial_get: missing argument");
	memset(out, 0, sizeof *out);
	p_init(&p);
	p_int(&p, id);
	if ((rc = begin_read(q, what)) ||
	    (rc = exec(q, "SELECT " TRIAL_COLS " FROM trials t WHERE t.id = $1", &p, &r, what)))
		goto done;
	if (PQntuples(r) == 0) {
		rc = bo__error(BO_ENOTFOUND, "%s: no trial %lld in the ledger", q->label,
			       (long long)id);
		goto done;
	}
	if ((rc = read_trial(r, 0, out)) || (rc = load_children(q, out, 1)))
		goto done;
	rc = commit(q, what);
done:
	PQclear(r);
	p_clear(&p);
	if (rc)
		bo__trial_rec_clear(out);
	end_tx(q);
	return rc;
}

static int pg_events(bo_storage *st, bo_event **out, size_t *nout)
{
	pg *q = (pg *)st;
	const char *what = "reading events";
	PGresult *r = NULL;
	bo_event *ev = NULL;
	size_t n = 0;
	int rc, i;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "events: missing argument");
	if ((rc = ensure_conn(q, what)) ||
	    (rc = exec(q, "SELECT id, t, run_id, trial_id, kind, amount, detail FROM events "
			  "ORDER BY id", NULL, &r, what)))
		goto done;
	if (PQntuples(r) > 0 && !(ev = bo__calloc((size_t)PQntuples(r), sizeof *ev))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < PQntuples(r); i++) {
		bo_event *e = &ev[n++];
		e->id = col_int(r, i, 0);
		e->t = col_real(r, i, 1);
		e->run_id = col_int(r, i, 2);
		e->trial_id = col_int(r, i, 3);
		e->amount = col_real(r, i, 5);
		if ((rc = col_str(r, i, 4, &e->kind)) || (rc = col_str(r, i, 6, &e->detail)))
			goto done;
	}
	*out = ev;
	*nout = n;
	ev = NULL;
	n = 0;
done:
	PQclear(r);
	bo__event_free_array(ev, n);
	return rc;
}

static int pg_steps(bo_storage *st, bo_step_row **out, size_t *nout)
{
	pg *q = (pg *)st;
	const char *what = "reading intermediate reports";
	PGresult *r = NULL;
	bo_step_row *v = NULL;
	size_t n = 0;
	int rc, i;
	if (out)
		*out = NULL;
	if (nout)
		*nout = 0;
	if (!q || !out || !nout)
		return bo__error(BO_EMISUSE, "steps: missing argument");
	if ((rc = ensure_conn(q, what)) ||
	    (rc = exec(q, "SELECT trial_id, step, name, value FROM trial_steps "
			  "ORDER BY trial_id, step, name", NULL, &r, what)))
		goto done;
	if (PQntuples(r) > 0 && !(v = bo__calloc((size_t)PQntuples(r), sizeof *v))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < PQntuples(r); i++) {
		bo_step_row *e = &v[n++];
		e->trial_id = col_int(r, i, 0);
		e->step = col_int(r, i, 1);
		e->value = col_real(r, i, 3);
		if ((rc = col_str(r, i, 2, &e->name)))
			goto done;
	}
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
done:
	PQclear(r);
	bo__step_rows_free(v, n);
	return rc;
}

static int pg_study_text(bo_storage *st, char **text)
{
	pg *q = (pg *)st;
	PGresult *r = NULL;
	int rc;
	if (text)
		*text = NULL;
	if (!q || !text)
		return bo__error(BO_EMISUSE, "study_text: missing argument");
	if ((rc = ensure_conn(q, "reading the study")) ||
	    (rc = exec(q, "SELECT text FROM study_versions ORDER BY id DESC LIMIT 1", NULL, &r,
		       "reading the study")))
		goto done;
	rc = PQntuples(r) == 1 ? col_str(r, 0, 0, text) : 0;
done:
	PQclear(r);
	return rc;
}

/* ---- open / close ------------------------------------------------------- */

static void pg_close(bo_storage *st)
{
	pg *q = (pg *)st;
	if (!q)
		return;
	if (q->c)
		PQfinish(q->c);
	bo__free(q->label);
	bo__free(q);
}

static const bo_storage_ops postgres_ops = {
	"postgres",
	pg_close,
	pg_register_study,
	pg_run_begin,
	pg_run_heartbeat,
	pg_run_end,
	pg_trial_start,
	pg_trial_launched,
	pg_trial_progress,
	pg_trial_step,
	pg_trial_finish,
	pg_event,
	pg_totals,
	pg_trials,
	pg_trial_get,
	pg_events,
	pg_study_text,
	pg_steps,
};

int bo__storage_is_postgres(const char *uri)
{
	return uri && (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0);
}

int bo__storage_is_pg_handle(const bo_storage *st)
{
	return st && st->ops == &postgres_ops;
}

PGconn *bo__pg_conn(bo_storage *st, const char **label)
{
	pg *q = (pg *)st;
	if (!bo__storage_is_pg_handle(st))
		return NULL;
	if (PQstatus(q->c) != CONNECTION_OK || PQpipelineStatus(q->c) != PQ_PIPELINE_OFF) {
		q->in_tx = 0;
		PQreset(q->c);
	}
	if (label)
		*label = q->label;
	return q->c;
}

/* The URI without anything a password could hide in, for messages. */
static char *label_of(const char *uri)
{
	const char *at = strchr(uri, '@'), *s = strstr(uri, "://");
	bo_strbuf sb = BO_STRBUF_INIT;
	const char *q = strchr(uri, '?');
	if (at && q && at > q)
		at = NULL;
	if (s && at) {
		const char *colon = memchr(s + 3, ':', (size_t)(at - s - 3));
		if (colon) {
			bo__sb_printf(&sb, "%.*s:***%s", (int)(colon - uri), uri, at);
			return bo__sb_take(&sb);
		}
	}
	return bo__strdup(uri);
}

int bo__pg_open(bo_storage **out, const char *uri, int create)
{
	PQconninfoOption *opts = NULL, *o;
	char *err = NULL;
	pg *q = NULL;
	int rc = 0;
	if (!out)
		return bo__error(BO_EMISUSE, "postgres open: no output handle");
	*out = NULL;
	if (!bo__storage_is_postgres(uri))
		return bo__error(BO_EINVAL, "storage \"%s\": not a postgresql:// URI", uri ? uri : "");
	if (!(opts = PQconninfoParse(uri, &err))) {
		rc = bo__error(BO_EINVAL, "storage \"%s\": %s", uri, err ? err : "cannot parse the URI");
		goto done;
	}
	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
			char *l = label_of(uri);
			rc = bo__error(BO_EINVAL,
				       "storage \"%s\": a password in the URI is refused (command "
				       "lines are visible to every user through ps): put it in a "
				       "password file (~/.pgpass or PGPASSFILE) or a service file "
				       "(PGSERVICE), or set PGPASSWORD",
				       l ? l : "postgresql://...");
			bo__free(l);
			goto done;
		}
	if (!(q = bo__calloc(1, sizeof *q))) {
		rc = BO_ENOMEM;
		goto done;
	}
	q->base.ops = &postgres_ops;
	if (!(q->label = bo__strdup(uri))) {
		rc = BO_ENOMEM;
		goto done;
	}
	q->c = PQconnectdb(uri);
	if (!q->c) {
		rc = bo__error(BO_ENOMEM, "%s: cannot allocate a connection", uri);
		goto done;
	}
	if (PQstatus(q->c) != CONNECTION_OK) {
		rc = db_error(q, NULL, "connecting");
		goto done;
	}
	{
		/* Quiet: notices would go to stderr from inside the library. */
		PGresult *r = PQexec(q->c, "SET client_min_messages = warning");
		PQclear(r);
	}
	if ((rc = migrate(q, create)))
		goto done;
	*out = &q->base;
	q = NULL;
done:
	if (err)
		PQfreemem(err);
	PQconninfoFree(opts);
	pg_close(q ? &q->base : NULL);
	return rc;
}

/* ---- shared budget ------------------------------------------------------ */

int bo__pg_budget(bo_storage *st, double *spent, double *reserved)
{
	pg *q = (pg *)st;
	const char *what = "reading the shared budget";
	PGresult *r = NULL;
	int rc;
	if (!bo__storage_is_pg_handle(st))
		return bo__error(BO_EMISUSE, "bo__pg_budget: not a postgresql ledger");
	if ((rc = ensure_conn(q, what)) ||
	    (rc = exec(q, "SELECT spent, reserved FROM budget WHERE id = 1", NULL, &r, what)))
		goto done;
	if (PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
		goto done;
	}
	*spent = col_real(r, 0, 0);
	*reserved = col_real(r, 0, 1);
done:
	PQclear(r);
	return rc;
}
