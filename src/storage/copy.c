/*
 * storage/copy.c - moving a study, whole, between ledgers (storage/copy.h).
 *
 * The schema's tables are listed once below with their columns and each
 * column's kind; both backends are read and written through that list, a
 * table at a time, in one transaction on each side. Values travel as typed
 * cells (integer, real, text, NULL) and are bound, never formatted into
 * SQL: the only SQL built here joins the constant names of this file.
 *
 * Must never print, exit, or format a value into SQL text.
 */
#include "storage/copy.h"
#include "storage/journal.h"
#include "storage/ledger_check.h"
#include "storage/postgres.h"
#include "storage/storage.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "core/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Columns' kinds: i integer, r real, t text. */
typedef struct tdef {
	const char *name;
	const char *cols;        /* as in the schema (storage/sqlite.c) */
	const char *kinds;       /* one letter per column */
	const char *pg_order;    /* PostgreSQL's insertion order (SQLite: rowid) */
	int serial;              /* id is a PostgreSQL BIGSERIAL to move on */
} tdef;

static const tdef tables[BO_COPY_TABLES] = {
	{"study_versions", "id, name, hash, space_hash, text, created_at", "ittttr", "id", 1},
	{"runs", "id, version, pid, host, seed, sampler, started_at, heartbeat_at, ended_at",
	 "iiititrrr", "id", 1},
	{"trials",
	 "id, version, run_id, state, sampler, params_json, cost, reserved, price_version, "
	 "reason, score, feasible, created_at, started_at, ended_at, exit_code, term_signal, "
	 "pid, host, folder, pid_start, cgroup, scenario, repeat_index",
	 "iiitttrrttrirrriiittitti", "id", 0},
	{"trial_params", "trial_id, name, value", "itr", "seq", 0},
	{"trial_metrics", "trial_id, name, value", "itr", "seq", 0},
	{"trial_steps", "trial_id, step, name, value", "iitr", "seq", 0},
	{"trial_usage", "trial_id, resource, amount", "itr", "seq", 0},
	{"events", "id, t, run_id, trial_id, kind, amount, detail", "iriitrt", "id", 1},
};

enum { T_VERSIONS = 0, T_RUNS = 1, T_TRIALS = 2 };
/* Columns of runs read by the live-session check. */
enum { RUN_PID = 2, RUN_HOST = 3, RUN_HEARTBEAT = 7, RUN_ENDED = 8 };

#define MAX_COLS 24
#define NUMLEN 40

typedef struct cell {
	char kind;               /* 'n' NULL, 'i', 'r', 't' */
	int64_t i;
	double d;
	char *s;
	size_t len;
} cell;

typedef struct rows {
	cell *c;                 /* nrows * ncols, row-major */
	size_t nrows, cap;       /* cap in cells */
	size_t ncols;
} rows;

static void rows_clear(rows *r)
{
	size_t i;
	if (!r->c)
		return;
	for (i = 0; i < r->nrows * r->ncols; i++)
		bo__free(r->c[i].s);
	bo__free(r->c);
	memset(r, 0, sizeof *r);
}

/* A new row of NULLs at the end of r. */
static cell *rows_add(rows *r)
{
	cell *row;
	if (bo__grow(&r->c, &r->cap, (r->nrows + 1) * r->ncols, sizeof *r->c) < 0)
		return NULL;
	row = r->c + r->nrows * r->ncols;
	memset(row, 0, r->ncols * sizeof *row);
	for (size_t j = 0; j < r->ncols; j++)
		row[j].kind = 'n';
	r->nrows++;
	return row;
}

static const cell *cell_at(const rows *r, size_t row, size_t col)
{
	return r->c + row * r->ncols + col;
}

/* ---- one side of the copy ------------------------------------------------ */

typedef struct side {
	const char *uri;
	bo_storage *st;
	sqlite3 *db;             /* a SQLite ledger */
	PGconn *pg;              /* or a PostgreSQL one */
	const char *label;       /* for messages */
	char path[PATH_MAX];     /* the SQLite file */
	int lock_fd;
	int in_tx;
} side;

static int pg_fail(side *s, PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	char msg[1024];
	size_t i;
	if (!m || !*m)
		m = PQerrorMessage(s->pg);
	snprintf(msg, sizeof msg, "%s", m && *m ? m : "unknown error");
	for (i = strlen(msg); i > 0 && (msg[i - 1] == '\n' || msg[i - 1] == ' '); i--)
		msg[i - 1] = 0;
	for (i = 0; msg[i]; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	return bo__error(BO_EIO, "%s: %s: %s", s->label, what, msg);
}

static int sq_fail(side *s, const char *what)
{
	return bo__error(BO_EIO, "%s: %s: %s", s->label, what, sqlite3_errmsg(s->db));
}

/* Runs sql on a PostgreSQL side; *out gets the rows when not NULL. */
static int pg_run(side *s, const char *sql, int n, const char *const *v, PGresult **out,
		  const char *what)
{
	PGresult *r = PQexecParams(s->pg, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc;
	if (out)
		*out = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pg_fail(s, r, what);
		PQclear(r);
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static int sq_run(side *s, const char *sql, const char *what)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, what);
	return 0;
}

static int side_open(side *s, const char *uri, int source)
{
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	struct stat sb;
	int rc;
	s->uri = uri;
	s->label = uri;
	s->lock_fd = -1;
	if (bo__storage_is_postgres(uri)) {
		if ((rc = bo__pg_open(&s->st, uri, !source)) < 0)
			return rc;
		if (!(s->pg = bo__pg_conn(s->st, &s->label)))
			return bo__error(BO_EIO, "%s: no connection", uri);
		return 0;
	}
	if ((rc = bo__storage_file(uri, s->path, sizeof s->path)) < 0)
		return rc;
	if (source && stat(s->path, &sb) < 0)
		return bo__error(BO_ENOTFOUND, "%s: no ledger", s->path);
	/* The runner's lock, exclusive: no runner holds the study now, and
	 * none starts until the copy is over. */
	if ((rc = bo__ledger_lock(s->path, 1, 0600, &s->lock_fd)) < 0) {
		if (rc == BO_ECONFLICT)
			return bo__error(BO_ECONFLICT, "%s is in use by a running `budgetopt run` (or a "
					 "repair): stop it before copying", s->path);
		return rc;
	}
	lo.must_exist = source;
	lo.unchecked = !source;   /* the destination's journal is rewritten */
	if ((rc = bo__storage_open_ex(&s->st, uri, &lo)) < 0)
		return rc;
	if (!(s->db = bo__sqlite_db(s->st)))
		return bo__error(BO_EIO, "%s: not a SQLite ledger", uri);
	s->label = s->path;
	return 0;
}

static void side_close(side *s)
{
	if (s->in_tx) {
		if (s->pg)
			PQclear(PQexec(s->pg, "ROLLBACK"));
		else if (s->db)
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
	}
	bo__storage_close(s->st);
	s->st = NULL;
	s->db = NULL;
	s->pg = NULL;
	bo__ledger_unlock(s->lock_fd);
	s->lock_fd = -1;
}

/* Opens a transaction: a snapshot to read (write 0), or a write. On
 * PostgreSQL the budget table is locked in both (before anything is read,
 * so the snapshot is taken after the lock), so no trial starts or finishes
 * until it ends: every such change locks the budget row first. */
static int side_begin(side *s, int write)
{
	int rc;
	const char *what = write ? "starting the copy" : "reading the ledger";
	if (s->pg) {
		if ((rc = pg_run(s, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL,
				 NULL, what)))
			return rc;
		s->in_tx = 1;
		/* Floats print in their shortest exact form (the default from
		 * PostgreSQL 12 on; said here for older servers). */
		if ((rc = pg_run(s, "SET LOCAL extra_float_digits = 3", 0, NULL, NULL, what)) ||
		    (rc = pg_run(s, "LOCK TABLE budget IN EXCLUSIVE MODE", 0, NULL, NULL, what)))
			return rc;
		return 0;
	}
	if ((rc = sq_run(s, write ? "BEGIN IMMEDIATE" : "BEGIN", what)))
		return rc;
	s->in_tx = 1;
	return 0;
}

static int side_end(side *s, int commit)
{
	int rc = 0;
	if (!s->in_tx)
		return 0;
	if (s->pg)
		rc = pg_run(s, commit ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, "committing the copy");
	else
		rc = sq_run(s, commit ? "COMMIT" : "ROLLBACK", "committing the copy");
	s->in_tx = 0;
	return rc;
}

/* ---- reading and writing tables ------------------------------------------ */

static int read_sqlite(side *s, const tdef *t, rows *out)
{
	bo_strbuf sql = BO_STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, b;
	size_t j;
	bo__sb_printf(&sql, "SELECT %s FROM %s ORDER BY rowid", t->cols, t->name);
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (sqlite3_prepare_v2(s->db, bo__sb_str(&sql), -1, &st, NULL) != SQLITE_OK) {
		rc = sq_fail(s, "reading a table");
		goto done;
	}
	while ((b = sqlite3_step(st)) == SQLITE_ROW) {
		cell *row = rows_add(out);
		if (!row) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (j = 0; j < out->ncols; j++) {
			if (sqlite3_column_type(st, (int)j) == SQLITE_NULL)
				continue;
			row[j].kind = t->kinds[j];
			if (t->kinds[j] == 'i') {
				row[j].i = sqlite3_column_int64(st, (int)j);
			} else if (t->kinds[j] == 'r') {
				row[j].d = sqlite3_column_double(st, (int)j);
			} else {
				const unsigned char *v = sqlite3_column_text(st, (int)j);
				row[j].len = (size_t)sqlite3_column_bytes(st, (int)j);
				if (!v || !(row[j].s = bo__strndup((const char *)v, row[j].len))) {
					row[j].kind = 'n';
					rc = BO_ENOMEM;
					goto done;
				}
			}
		}
	}
	rc = b == SQLITE_DONE ? 0 : sq_fail(s, "reading a table");
done:
	sqlite3_finalize(st);
	bo__sb_clear(&sql);
	return rc;
}

static int read_pg(side *s, const tdef *t, rows *out)
{
	bo_strbuf sql = BO_STRBUF_INIT;
	PGresult *r = NULL;
	int rc, i, n;
	size_t j;
	bo__sb_printf(&sql, "SELECT %s FROM %s ORDER BY %s", t->cols, t->name, t->pg_order);
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = pg_run(s, bo__sb_str(&sql), 0, NULL, &r, "reading a table")))
		goto done;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		cell *row = rows_add(out);
		if (!row) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (j = 0; j < out->ncols; j++) {
			const char *v;
			char *end;
			if (PQgetisnull(r, i, (int)j))
				continue;
			v = PQgetvalue(r, i, (int)j);
			row[j].kind = t->kinds[j];
			if (t->kinds[j] == 'i') {
				errno = 0;
				row[j].i = strtoll(v, &end, 10);
				if (errno || *end || end == v)
					rc = bo__error(BO_EIO, "%s: %s: \"%s\" is not an integer", s->label, t->name, v);
			} else if (t->kinds[j] == 'r') {
				row[j].d = strtod(v, &end);
				if (*end || end == v)
					rc = bo__error(BO_EIO, "%s: %s: \"%s\" is not a number", s->label, t->name, v);
			} else {
				row[j].len = (size_t)PQgetlength(r, i, (int)j);
				if (!(row[j].s = bo__strndup(v, row[j].len))) {
					row[j].kind = 'n';
					rc = BO_ENOMEM;
				}
			}
			if (rc)
				goto done;
		}
	}
	rc = 0;
done:
	PQclear(r);
	bo__sb_clear(&sql);
	return rc;
}

static int read_table(side *s, const tdef *t, rows *out)
{
	rows_clear(out);
	out->ncols = strlen(t->kinds);
	return s->pg ? read_pg(s, t, out) : read_sqlite(s, t, out);
}

/* "INSERT INTO name(cols) VALUES (?1, ...)", for SQLite (PostgreSQL takes
 * a COPY: write_pg). */
static int insert_sql(bo_strbuf *sb, const tdef *t)
{
	size_t j, n = strlen(t->kinds);
	bo__sb_printf(sb, "INSERT INTO %s(%s) VALUES (", t->name, t->cols);
	for (j = 0; j < n; j++)
		bo__sb_printf(sb, "%s?%zu", j ? ", " : "", j + 1);
	bo__sb_puts(sb, ")");
	return bo__sb_str(sb) ? 0 : BO_ENOMEM;
}

static int write_sqlite(side *s, const tdef *t, const rows *in)
{
	bo_strbuf sql = BO_STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t i, j;
	int rc, b;
	if ((rc = insert_sql(&sql, t)))
		goto done;
	if (sqlite3_prepare_v2(s->db, bo__sb_str(&sql), -1, &st, NULL) != SQLITE_OK) {
		rc = sq_fail(s, "writing a table");
		goto done;
	}
	for (i = 0; i < in->nrows; i++) {
		sqlite3_reset(st);
		for (j = 0; j < in->ncols; j++) {
			const cell *c = cell_at(in, i, j);
			int k = (int)j + 1;
			if (c->kind == 'i')
				b = sqlite3_bind_int64(st, k, c->i);
			else if (c->kind == 'r')
				b = sqlite3_bind_double(st, k, c->d);
			else if (c->kind == 't')
				b = sqlite3_bind_text(st, k, c->s, (int)c->len, SQLITE_STATIC);
			else
				b = sqlite3_bind_null(st, k);
			if (b != SQLITE_OK) {
				rc = sq_fail(s, "writing a table");
				goto done;
			}
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = bo__error(BO_EIO, "%s: writing %s row %zu: %s", s->label, t->name, i + 1,
				       sqlite3_errmsg(s->db));
			goto done;
		}
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	bo__sb_clear(&sql);
	return rc;
}

static void real_text(double d, char *buf, size_t n)
{
	if (isnan(d))
		snprintf(buf, n, "NaN");
	else if (isinf(d))
		snprintf(buf, n, d > 0 ? "Infinity" : "-Infinity");
	else
		snprintf(buf, n, "%.17g", d);
}

/* One value in COPY's text format: \N for NULL; in text, the backslash
 * and the three characters that end a value or a row escaped, every other
 * byte as it is (the server reads it as a bound value's text). */
static void copy_value(bo_strbuf *sb, const cell *c)
{
	char num[NUMLEN];
	size_t k, from = 0;
	if (c->kind == 'i') {
		bo__sb_printf(sb, "%" PRId64, c->i);
	} else if (c->kind == 'r') {
		real_text(c->d, num, sizeof num);
		bo__sb_puts(sb, num);
	} else if (c->kind == 't') {
		for (k = 0; k < c->len; k++) {
			const char *esc = c->s[k] == '\\' ? "\\\\" : c->s[k] == '\n' ? "\\n"
					: c->s[k] == '\r' ? "\\r" : c->s[k] == '\t' ? "\\t" : NULL;
			if (!esc)
				continue;
			bo__sb_add(sb, c->s + from, k - from);
			bo__sb_puts(sb, esc);
			from = k + 1;
		}
		bo__sb_add(sb, c->s + from, c->len - from);
	} else {
		bo__sb_puts(sb, "\\N");
	}
}

/* Sends sb's rows into the COPY in progress and empties it. */
static int copy_flush(side *s, bo_strbuf *sb)
{
	if (!bo__sb_str(sb))
		return BO_ENOMEM;
	if (sb->len && PQputCopyData(s->pg, bo__sb_str(sb), (int)sb->len) != 1)
		return pg_fail(s, NULL, "writing a table");
	bo__sb_reset(sb);
	return 0;
}

/* The rows go in as one COPY ... FROM STDIN: a stream, not a round trip
 * per row. */
#define COPY_CHUNK (1 << 20)

static int write_pg(side *s, const tdef *t, const rows *in)
{
	bo_strbuf sql = BO_STRBUF_INIT, data = BO_STRBUF_INIT;
	PGresult *r = NULL;
	size_t i, j;
	int rc = 0;
	bo__sb_printf(&sql, "COPY %s(%s) FROM STDIN", t->name, t->cols);
	if (!bo__sb_str(&sql)) {
		rc = BO_ENOMEM;
		goto done;
	}
	r = PQexec(s->pg, bo__sb_str(&sql));
	if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = pg_fail(s, r, "writing a table");
		goto done;
	}
	PQclear(r);
	r = NULL;
	for (i = 0; i < in->nrows && rc == 0; i++) {
		for (j = 0; j < in->ncols; j++) {
			if (j)
				bo__sb_putc(&data, '\t');
			copy_value(&data, cell_at(in, i, j));
		}
		bo__sb_putc(&data, '\n');
		if (data.len >= COPY_CHUNK || i + 1 == in->nrows)
			rc = copy_flush(s, &data);
	}
	/* Ended with an error message when a row could not be sent: the
	 * server then fails the COPY, and the transaction with it. */
	if (PQputCopyEnd(s->pg, rc ? "budgetopt: the copy stopped" : NULL) != 1) {
		if (!rc)
			rc = pg_fail(s, NULL, "writing a table");
		goto done;
	}
	while ((r = PQgetResult(s->pg))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(s, r, "writing a table");
		PQclear(r);
	}
	if (rc)
		goto done;
	if (t->serial) {
		/* The next id the server hands out follows the copied ones. */
		bo__sb_reset(&sql);
		bo__sb_printf(&sql, "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
			      "COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)", t->name, t->name);
		if (!bo__sb_str(&sql)) {
			rc = BO_ENOMEM;
			goto done;
		}
		if ((rc = pg_run(s, bo__sb_str(&sql), 0, NULL, NULL, "moving a sequence")))
			goto done;
	}
done:
	PQclear(r);
	bo__sb_clear(&sql);
	bo__sb_clear(&data);
	return rc;
}

static int write_table(side *s, const tdef *t, const rows *in)
{
	return s->pg ? write_pg(s, t, in) : write_sqlite(s, t, in);
}

/* The trigger that keeps the budget row's trial counts (storage/
 * postgres_schema.c, 3 -> 4) updates that one row for every trial row
 * written: a copy of n trials in one transaction would leave n versions of
 * it, each update walking past the ones before (quadratic). The copy
 * turns it off inside its transaction (a rollback turns it back on) and
 * counts once at the end. ALTER TABLE needs the table's owner: for a
 * destination owned by another role, the copy runs with the trigger, as
 * before. *off says whether it was turned off. */
static int pg_counts_trigger_off(side *s, int *off)
{
	PGresult *r;
	int rc;
	*off = 0;
	if ((rc = pg_run(s, "SAVEPOINT bo_bulk", 0, NULL, NULL, "starting the copy")))
		return rc;
	r = PQexec(s->pg, "ALTER TABLE trials DISABLE TRIGGER trials_counts");
	*off = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return pg_run(s, *off ? "RELEASE SAVEPOINT bo_bulk" : "ROLLBACK TO SAVEPOINT bo_bulk", 0,
		      NULL, NULL, "starting the copy");
}

/* Empties every table, children first. */
static int delete_all(side *s)
{
	char sql[64];
	int i, rc;
	for (i = BO_COPY_TABLES - 1; i >= 0; i--) {
		snprintf(sql, sizeof sql, "DELETE FROM %s", tables[i].name);
		rc = s->pg ? pg_run(s, sql, 0, NULL, NULL, "emptying the destination")
			   : sq_run(s, sql, "emptying the destination");
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

/* Count and SHA-256 of a canonical form of every value, in row order. */
static int checksum(const rows *r, char out[65])
{
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t i, j;
	for (i = 0; i < r->nrows; i++) {
		for (j = 0; j < r->ncols; j++) {
			const cell *c = cell_at(r, i, j);
			if (c->kind == 'i') {
				bo__sb_printf(&sb, "I%" PRId64 ";", c->i);
			} else if (c->kind == 'r') {
				uint64_t bits;
				double d = c->d == 0 ? 0.0 : c->d;   /* -0 reads back as 0 */
				memcpy(&bits, &d, sizeof bits);
				bo__sb_printf(&sb, "R%016" PRIx64 ";", bits);
			} else if (c->kind == 't') {
				bo__sb_printf(&sb, "T%zu:", c->len);
				bo__sb_add(&sb, c->s, c->len);
				bo__sb_putc(&sb, ';');
			} else {
				bo__sb_puts(&sb, "N;");
			}
		}
		bo__sb_putc(&sb, '\n');
	}
	if (!bo__sb_str(&sb)) {
		bo__sb_clear(&sb);
		return BO_ENOMEM;
	}
	bo__sha256_hex(bo__sb_str(&sb), sb.len, out);
	bo__sb_clear(&sb);
	return 0;
}

/* The newest study definition's name, or "" when none. */
static void study_name(const rows *v, char *buf, size_t n)
{
	const cell *c;
	buf[0] = 0;
	if (!v->nrows)
		return;
	c = cell_at(v, v->nrows - 1, 1);
	if (c->kind == 't')
		snprintf(buf, n, "%.*s", (int)c->len, c->s);
}

static int pid_alive(int64_t pid)
{
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0)
		return 1;
	return errno == EPERM;
}

/* BO_ECONFLICT when a session in runs r is live: open (no ended_at) and
 * its process alive on this host, or on another host with a heartbeat
 * younger than timeout_s. */
static int check_live(const side *s, const rows *r, double timeout_s)
{
	char host[256] = "";
	double now = (double)time(NULL);
	size_t i;
	if (gethostname(host, sizeof host - 1) < 0)
		host[0] = 0;
	for (i = 0; i < r->nrows; i++) {
		const cell *pid = cell_at(r, i, RUN_PID), *h = cell_at(r, i, RUN_HOST);
		const cell *hb = cell_at(r, i, RUN_HEARTBEAT), *end = cell_at(r, i, RUN_ENDED);
		int here = h->kind == 't' && !strcmp(h->s, host);
		if (end->kind != 'n' || pid->kind != 'i')
			continue;
		if (here && pid->i != (int64_t)getpid() && pid_alive(pid->i))
			return bo__error(BO_ECONFLICT, "%s: study is being run by pid %" PRId64
					 " on this host: stop it before copying", s->label, pid->i);
		if (!here && hb->kind == 'r' && now - hb->d < timeout_s)
			return bo__error(BO_ECONFLICT, "%s: study is being run by pid %" PRId64
					 " on %s (heartbeat %.0f s ago): stop its workers before copying",
					 s->label, pid->i, h->kind == 't' ? h->s : "another host", now - hb->d);
	}
	return 0;
}

/* The same ledger on both sides: one SQLite file, or one URI. */
static int same_ledger(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
	int pa = bo__storage_is_postgres(from), pb = bo__storage_is_postgres(to);
	if (pa || pb)
		return pa && pb && !strcmp(from, to);
	if (bo__storage_file(from, a, sizeof a) < 0 || bo__storage_file(to, b, sizeof b) < 0)
		return 0;
	if (!realpath(a, ra) || !realpath(b, rb))
		return 0;   /* the destination does not exist yet */
	return !strcmp(ra, rb);
}

/* A SQLite destination's spend journal, derived from the copied ledger as
 * `budgetopt doctor --repair` derives it. */
static int rewrite_journal(side *s)
{
	char jpath[PATH_MAX];
	bo_trial_rec *t = NULL;
	bo_journal_trial *jt = NULL;
	size_t n = 0, i;
	int rc;
	if ((rc = bo__journal_path(s->path, jpath, sizeof jpath)) < 0 ||
	    (rc = s->st->ops->trials(s->st, NULL, &t, &n)) < 0)
		goto done;
	if (n && !(jt = bo__calloc(n, sizeof *jt))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		jt[i].id = t[i].id;
		jt[i].started = t[i].state != BO_TRIAL_QUEUED;
		jt[i].reserved = t[i].reserved;
		jt[i].folder = t[i].folder;
		jt[i].charged = t[i].state == BO_TRIAL_COMPLETE || t[i].state == BO_TRIAL_PRUNED ||
				t[i].state == BO_TRIAL_FAILED;
		jt[i].state = t[i].state;
		jt[i].cost = t[i].cost;
	}
	if ((rc = bo__journal_rewrite(jpath, 0600, jt, n)) < 0)
		goto done;
	rc = bo__sqlite_checkpoint(s->st);
done:
	bo__free(jt);
	bo__trial_rec_free_array(t, n);
	return rc;
}

/* ---- the copy ------------------------------------------------------------ */

int bo__storage_copy(const char *from, const char *to, const bo_copy_options *o,
		     bo_copy_result *res)
{
	bo_copy_options defaults = BO_COPY_OPTIONS_INIT;
	side src, dst;
	rows data[BO_COPY_TABLES], back;
	char name[256];
	int rc, i, ok, trigger_off = 0;
	if (!res)
		return bo__error(BO_EMISUSE, "copy: no result");
	memset(res, 0, sizeof *res);
	memset(&src, 0, sizeof src);
	memset(&dst, 0, sizeof dst);
	memset(data, 0, sizeof data);
	memset(&back, 0, sizeof back);
	src.lock_fd = dst.lock_fd = -1;
	for (i = 0; i < BO_COPY_TABLES; i++)
		res->t[i].name = tables[i].name;
	if (!o)
		o = &defaults;
	if (!from || !*from || !to || !*to)
		return bo__error(BO_EINVAL, "copy: a source and a destination are needed");
	if (same_ledger(from, to))
		return bo__error(BO_ECONFLICT, "copy: %s and %s are the same ledger", from, to);

	/* The source, read whole in one snapshot under its lock. */
	if ((rc = side_open(&src, from, 1)) < 0 || (rc = side_begin(&src, 0)) < 0)
		goto done;
	for (i = 0; i < BO_COPY_TABLES; i++)
		if ((rc = read_table(&src, &tables[i], &data[i])) < 0)
			goto done;
	study_name(&data[T_VERSIONS], res->study, sizeof res->study);
	if (!res->study[0]) {
		rc = bo__error(BO_ENOTFOUND, "%s holds no study", src.label);
		goto done;
	}
	if (o->study && strcmp(o->study, res->study) != 0) {
		rc = bo__error(BO_ENOTFOUND, "%s holds study \"%s\", not \"%s\"", src.label, res->study,
			       o->study);
		goto done;
	}
	if ((rc = check_live(&src, &data[T_RUNS], o->heartbeat_timeout_s)) < 0)
		goto done;

	/* The destination, in one write transaction. */
	if ((rc = side_open(&dst, to, 0)) < 0 || (rc = side_begin(&dst, 1)) < 0)
		goto done;
	if ((rc = read_table(&dst, &tables[T_VERSIONS], &back)) < 0)
		goto done;
	study_name(&back, name, sizeof name);
	if ((rc = read_table(&dst, &tables[T_TRIALS], &back)) < 0)
		goto done;
	if (name[0] || back.nrows) {
		if (!o->replace) {
			rc = bo__error(BO_ECONFLICT, "%s already holds study \"%s\" (%zu trials): "
				       "--replace overwrites it", dst.label, name[0] ? name : "?", back.nrows);
			goto done;
		}
		if ((rc = read_table(&dst, &tables[T_RUNS], &back)) < 0 ||
		    (rc = check_live(&dst, &back, o->heartbeat_timeout_s)) < 0)
			goto done;
		snprintf(res->replaced, sizeof res->replaced, "%s", name[0] ? name : "?");
		if ((rc = delete_all(&dst)) < 0)
			goto done;
	}
	if (dst.pg && (rc = pg_counts_trigger_off(&dst, &trigger_off)) < 0)
		goto done;
	for (i = 0; i < BO_COPY_TABLES; i++)
		if ((rc = write_table(&dst, &tables[i], &data[i])) < 0)
			goto done;
	if (trigger_off && (rc = pg_run(&dst, "ALTER TABLE trials ENABLE TRIGGER trials_counts", 0,
					NULL, NULL, "finishing the copy")) < 0)
		goto done;
	if (dst.pg &&
	    (rc = pg_run(&dst, "UPDATE budget SET "
			       "spent = COALESCE((SELECT SUM(cost) FROM trials "
			       "WHERE state IN ('complete', 'pruned', 'failed')), 0), "
			       "reserved = COALESCE((SELECT SUM(reserved) FROM trials "
			       "WHERE state = 'running'), 0), "
			       /* counted here once, as the money is (the
				* trigger that keeps them was off) */
			       "ntrials = (SELECT COUNT(*) FROM trials WHERE state <> 'queued'), "
			       "nqueued = (SELECT COUNT(*) FROM trials WHERE state = 'queued'), "
			       "nfinal = (SELECT COUNT(*) FROM trials "
			       "WHERE state IN ('complete', 'pruned', 'failed')), "
			       "nrunning = (SELECT COUNT(*) FROM trials WHERE state = 'running') "
			       "WHERE id = 1",
			 0, NULL, NULL, "setting the budget row")) < 0)
		goto done;
	/* Verification, before the commit and in the same transaction, so
	 * what is committed is what was read back: both sides counted and
	 * hashed by the same code. A difference rolls the copy back. */
	ok = 1;
	for (i = 0; i < BO_COPY_TABLES; i++) {
		bo_copy_table *t = &res->t[i];
		if ((rc = read_table(&dst, &tables[i], &back)) < 0 ||
		    (rc = checksum(&data[i], t->sum_from)) < 0 || (rc = checksum(&back, t->sum_to)) < 0)
			goto done;
		t->rows_from = (int64_t)data[i].nrows;
		t->rows_to = (int64_t)back.nrows;
		if (t->rows_from != t->rows_to || strcmp(t->sum_from, t->sum_to) != 0)
			ok = 0;
		res->n = (size_t)i + 1;
	}
	if (!ok) {
		rc = bo__error(BO_ERROR, "copy: %s read back differs from %s: nothing was written",
			       dst.label, src.label);
		goto done;   /* rolled back by side_close */
	}
	if ((rc = side_end(&dst, 1)) < 0)
		goto done;
	res->verified = 1;
	if (dst.db && (rc = rewrite_journal(&dst)) < 0) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", bo_error_last());
		rc = bo__error(rc, "%s: the study was copied but its spend journal was not written (%s): "
			       "`budgetopt doctor --repair` writes it", dst.label, msg);
		goto done;
	}
	rc = 0;
done:
	side_close(&dst);
	side_close(&src);
	for (i = 0; i < BO_COPY_TABLES; i++)
		rows_clear(&data[i]);
	rows_clear(&back);
	return rc;
}
