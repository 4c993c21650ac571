/*
 * storage/postgres.c - the PostgreSQL ledger: one study per database (or
 * per schema, chosen with libpq's options=-csearch_path=...), shared by
 * runners and workers on several hosts.
 *
 * Same tables, columns and meaning as storage/sqlite.c (see the schema
 * there), with PostgreSQL types, plus:
 *   seq                 on trial_params, trial_metrics, trial_steps and
 *                       trial_usage: insertion order (SQLite's rowid)
 *   budget(id = 1, spent, reserved, and the trial counts a trigger keeps)
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
 * Safety: every value travels as a bound parameter (PQexecParams, or a
 * prepared statement's values: storage/pg_pipe.h). The only SQL built at
 * run time is the ORDER BY of trials(), assembled from constant
 * fragments.
 *
 * Idle workers wait for each other's changes on LISTEN/NOTIFY
 * (storage/postgres_notify.c).
 *
 * Must never print, exit, abort, or format a value into SQL text.
 *
 * This file holds the bound parameters, the helpers every part uses,
 * opening and closing the ledger, and the shared budget's read. Its
 * siblings, sharing storage/postgres_int.h: postgres_schema.c (the
 * migrations), postgres_write.c (study versions, runs, trials and events
 * written) and postgres_read.c (totals, trials, events and steps read);
 * what only workers need is storage/postgres_workers.c.
 */
#include "storage/postgres_int.h"
#include "storage/storage.h"
#include "storage/postgres.h"
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

/* ---- parameters --------------------------------------------------------- */

void bo__pg_p_init(params *p)
{
	memset(p, 0, sizeof *p);
}

void bo__pg_p_clear(params *p)
{
	int i;
	for (i = 0; i < p->n; i++) {
		bo__free(p->own[i]);
		p->own[i] = NULL;
	}
	p->n = 0;
	p->oom = 0;
}

void bo__pg_p_text(params *p, const char *v)
{
	p->v[p->n++] = v;
}

/* Text that may come from outside enters the ledger clean (as in sqlite.c). */
void bo__pg_p_outside(params *p, const char *v)
{
	char *c;
	if (!v || bo__utf8_is_clean(v, strlen(v))) {
		bo__pg_p_text(p, v);
		return;
	}
	if (!(c = bo__utf8_clean(v, strlen(v), 0)))
		p->oom = 1;
	p->own[p->n] = c;
	bo__pg_p_text(p, c);
}

void bo__pg_p_int(params *p, int64_t v)
{
	snprintf(p->buf[p->n], sizeof p->buf[p->n], "%" PRId64, v);
	p->v[p->n] = p->buf[p->n];
	p->n++;
}

/* NaN is stored as NULL; infinities by their SQL names. */
void bo__pg_p_real(params *p, double v)
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
void bo__pg_p_time(params *p, double v)
{
	if (v == 0)
		v = NAN;
	bo__pg_p_real(p, v);
}

void bo__pg_p_id(params *p, int64_t v)
{
	if (v == 0)
		bo__pg_p_text(p, NULL);
	else
		bo__pg_p_int(p, v);
}

/* ---- running statements ------------------------------------------------- */

int bo__pg_db_error(pg *q, const PGresult *r, const char *what)
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
int bo__pg_ensure_conn(pg *q, const char *what)
{
	/* A batch left unfinished (storage/pg_pipe.c could not read it to
	 * its end) is dropped with its connection. */
	if (PQstatus(q->c) == CONNECTION_OK && PQpipelineStatus(q->c) == PQ_PIPELINE_OFF)
		return 0;
	q->in_tx = 0;
	PQreset(q->c);
	if (PQstatus(q->c) != CONNECTION_OK)
		return bo__pg_db_error(q, NULL, what);
	return 0;
}

/* Runs sql with p's values; *out (when not NULL) gets the result of a
 * query, to PQclear. */
int bo__pg_exec(pg *q, const char *sql, params *p, PGresult **out, const char *what)
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
		rc = bo__pg_db_error(q, r, what);
		PQclear(r);
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

/* As bo__pg_exec, for a statement run often: prepared once per session
 * and run by name (storage/pg_pipe.h), one round trip. sql must be
 * constant text (the list knows it by its address). */
int bo__pg_exec_hot(pg *q, const char *sql, int n, const char *const *v, PGresult **out,
		    const char *what)
{
	bo_pg_pipe b;
	int rc, i;
	if (out)
		*out = NULL;
	bo__pg_pipe_open_prepared(&b, q->c, &q->stmts, q->label, what);
	i = bo__pg_pipe_send(&b, sql, n, v);
	if ((rc = bo__pg_pipe_run(&b)) == 0 && out) {
		*out = bo__pg_pipe_result(&b, i);
		b.res[i] = NULL;   /* the caller's now */
	}
	bo__pg_pipe_close(&b);
	return rc;
}

int bo__pg_exec_simple(pg *q, const char *sql, const char *what)
{
	return bo__pg_exec(q, sql, NULL, NULL, what);
}

int bo__pg_begin(pg *q, const char *what)
{
	int rc;
	if ((rc = bo__pg_ensure_conn(q, what)))
		return rc;
	if ((rc = bo__pg_exec_simple(q, "BEGIN", what)) == 0)
		q->in_tx = 1;
	return rc;
}

int bo__pg_commit(pg *q, const char *what)
{
	int rc = bo__pg_exec_simple(q, "COMMIT", what);
	q->in_tx = 0;
	return rc;
}

/* Ends an open transaction after an error, keeping the caller's message. */
void bo__pg_end_tx(pg *q)
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

double bo__pg_col_real(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? NAN : strtod(PQgetvalue(r, row, i), NULL);
}

double bo__pg_col_time(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : strtod(PQgetvalue(r, row, i), NULL);
}

int64_t bo__pg_col_int(const PGresult *r, int row, int i)
{
	return PQgetisnull(r, row, i) ? 0 : (int64_t)strtoll(PQgetvalue(r, row, i), NULL, 10);
}

int bo__pg_col_str(const PGresult *r, int row, int i, char **out)
{
	*out = NULL;
	if (PQgetisnull(r, row, i))
		return 0;
	*out = bo__strdup(PQgetvalue(r, row, i));
	return *out ? 0 : BO_ENOMEM;
}

int bo__pg_same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int bo__pg_pid_alive(int64_t pid)
{
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0)
		return 1;
	return errno == EPERM;
}

void bo__pg_format_time(double t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "at %.0f", t);
}

const char bo__pg_sql_lock_budget[] = "SELECT spent, reserved FROM budget WHERE id = 1 FOR UPDATE";

/* Locks the study's budget row until the transaction ends: every change
 * of trials and money goes through it, one process at a time. */
int bo__pg_lock_budget(pg *q, double *spent, double *reserved, const char *what)
{
	PGresult *r;
	int rc = bo__pg_exec_hot(q, bo__pg_sql_lock_budget, 0, NULL, &r, what);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
	}
	if (spent)
		*spent = bo__pg_col_real(r, 0, 0);
	if (reserved)
		*reserved = bo__pg_col_real(r, 0, 1);
	PQclear(r);
	return 0;
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
	bo__pg_register_study,
	bo__pg_run_begin,
	bo__pg_run_heartbeat,
	bo__pg_run_end,
	bo__pg_trial_start,
	bo__pg_trial_launched,
	bo__pg_trial_progress,
	bo__pg_trial_step,
	bo__pg_trial_finish,
	bo__pg_event,
	bo__pg_totals,
	bo__pg_trials,
	bo__pg_trial_get,
	bo__pg_events,
	bo__pg_study_text,
	bo__pg_steps,
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
		rc = bo__pg_db_error(q, NULL, "connecting");
		goto done;
	}
	{
		/* Quiet: notices would go to stderr from inside the library. */
		PGresult *r = PQexec(q->c, "SET client_min_messages = warning");
		PQclear(r);
	}
	if ((rc = bo__pg_migrate(q, create)))
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
	if ((rc = bo__pg_ensure_conn(q, what)) ||
	    (rc = bo__pg_exec(q, "SELECT spent, reserved FROM budget WHERE id = 1", NULL, &r, what)))
		goto done;
	if (PQntuples(r) != 1) {
		rc = bo__error(BO_EIO, "%s: %s: the budget row is missing", q->label, what);
		goto done;
	}
	*spent = bo__pg_col_real(r, 0, 0);
	*reserved = bo__pg_col_real(r, 0, 1);
done:
	PQclear(r);
	return rc;
}
