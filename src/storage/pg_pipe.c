/*
 * storage/pg_pipe.c - statements sent to PostgreSQL as one batch (see
 * pg_pipe.h for why and what it guarantees).
 *
 * Must never print, exit, or format a value into SQL text: every value
 * is a bound parameter.
 */
#include "storage/pg_pipe.h"
#include "core/alloc.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>

/* The server's (or libpq's) text on one line, after label and what. */
static int pipe_error(bo_pg_pipe *p, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	char msg[1024];
	size_t i;
	if (!m || !*m)
		m = PQerrorMessage(p->c);
	snprintf(msg, sizeof msg, "%s", m && *m ? m : "connection lost");
	for (i = strlen(msg); i > 0 && (msg[i - 1] == '\n' || msg[i - 1] == ' '); i--)
		msg[i - 1] = 0;
	for (i = 0; msg[i]; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	return bo__error(BO_EIO, "%s: %s: %s", p->label, p->what, msg);
}

void bo__pg_pipe_open(bo_pg_pipe *p, PGconn *c, const char *label, const char *what)
{
	bo__pg_pipe_open_prepared(p, c, NULL, label, what);
}

static void stmts_forget(bo_pg_stmts *st)
{
	memset(st, 0, sizeof *st);
}

void bo__pg_pipe_open_prepared(bo_pg_pipe *p, PGconn *c, bo_pg_stmts *stmts, const char *label,
			       const char *what)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->label = label ? label : "";
	p->what = what ? what : "";
	if (PQstatus(c) != CONNECTION_OK || !PQenterPipelineMode(c)) {
		p->rc = pipe_error(p, NULL);
		return;
	}
	p->on = 1;
	if (stmts && stmts->backend != PQbackendPID(c)) {
		/* another session: it holds none of them */
		stmts_forget(stmts);
		stmts->backend = PQbackendPID(c);
	}
	p->stmts = stmts;
}

/* The slot of sql in the list (added unprepared when new), or -1 when
 * the list is full. */
static int stmt_slot(bo_pg_stmts *st, const char *sql)
{
	size_t k;
	for (k = 0; k < st->n; k++)
		if (st->sql[k] == sql)
			return (int)k;
	if (st->n == BO_PG_MAX_STMTS)
		return -1;
	st->sql[st->n] = sql;
	st->state[st->n] = 0;
	st->gen[st->n] = 0;
	return (int)st->n++;
}


int bo__pg_pipe_send(bo_pg_pipe *p, const char *sql, int n, const char *const *v)
{
	int k = -1, ok;
	char name[32];
	if (p->rc)
		return -1;
	if (bo__grow(&p->res, &p->cap, p->n + 1, sizeof *p->res) < 0) {
		p->rc = BO_ENOMEM;
		return -1;
	}
	p->res[p->n] = NULL;
	/* room for a prepare and the statement, so that what was sent is
	 * always listed */
	if (bo__grow(&p->sent, &p->capsent, p->nsent + 2, sizeof *p->sent) < 0) {
		p->rc = BO_ENOMEM;
		return -1;
	}
	if (p->stmts && (k = stmt_slot(p->stmts, sql)) >= 0) {
		snprintf(name, sizeof name, "bo_%d_%u", k, p->stmts->gen[k]);
		if (p->stmts->state[k] == 0) {
			/* parameter types as PQsendQueryParams leaves them: the
			 * server infers them */
			if (!PQsendPrepare(p->c, name, sql, n, NULL)) {
				p->rc = pipe_error(p, NULL);
				return -1;
			}
			p->sent[p->nsent++] = -k - 1;
			p->stmts->state[k] = 2;
		}
		ok = PQsendQueryPrepared(p->c, name, n, v, NULL, NULL, 0);
	} else {
		ok = PQsendQueryParams(p->c, sql, n, NULL, v, NULL, NULL, 0);
	}
	if (ok)
		p->sent[p->nsent++] = (int)p->n;
	if (!ok) {
		p->rc = pipe_error(p, NULL);
		return -1;
	}
	return (int)p->n++;
}

int bo__pg_pipe_run(bo_pg_pipe *p)
{
	PGresult *r;
	size_t i;
	int rc = p->rc, lost = 0;
	if (!p->on)
		return rc ? rc : bo__error(BO_EMISUSE, "%s: %s: no batch", p->label, p->what);
	p->synced = 1;
	if (!PQpipelineSync(p->c)) {
		p->rc = pipe_error(p, NULL);
		return p->rc;
	}
	/* Every statement sent before an error has a result to read, then a
	 * NULL; the sync's result ends the batch. A prepare's result says
	 * whether its statement now exists in the session: one skipped after
	 * an error, or that failed, does not. */
	for (i = 0; i < p->nsent && !lost; i++) {
		ExecStatusType s;
		int what = p->sent[i];
		if (!(r = PQgetResult(p->c))) {
			if (!rc)
				rc = pipe_error(p, NULL);
			lost = 1;
			break;
		}
		s = PQresultStatus(r);
		if (what < 0) {
			p->stmts->state[-what - 1] = s == PGRES_COMMAND_OK ? 1 : 0;
			if (!rc && s != PGRES_COMMAND_OK && s != PGRES_PIPELINE_ABORTED)
				rc = pipe_error(p, r);
			PQclear(r);
		} else if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
			p->res[what] = r;
		else {
			if (!rc && s != PGRES_PIPELINE_ABORTED)
				rc = pipe_error(p, r);
			PQclear(r);
		}
		while ((r = PQgetResult(p->c)))
			PQclear(r);
	}
	if (lost && p->stmts)
		stmts_forget(p->stmts);   /* the session is gone with them */
	if (!lost) {
		r = PQgetResult(p->c);
		if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			if (!rc)
				rc = pipe_error(p, r);
		}
		PQclear(r);
	}
	if (!rc && PQstatus(p->c) != CONNECTION_OK)
		rc = pipe_error(p, NULL);
	p->rc = rc;
	return rc;
}

PGresult *bo__pg_pipe_result(const bo_pg_pipe *p, int i)
{
	if (p->rc || i < 0 || (size_t)i >= p->n)
		return NULL;
	return p->res[i];
}

void bo__pg_pipe_close(bo_pg_pipe *p)
{
	size_t i;
	PGresult *r;
	int tries;
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		PQclear(p->res[i]);
	bo__free(p->res);
	bo__free(p->sent);
	p->res = NULL;
	p->sent = NULL;
	p->n = p->cap = p->nsent = p->capsent = 0;
	/* prepares sent but never read back: not known to exist */
	if (p->stmts)
		for (i = 0; i < p->stmts->n; i++)
			if (p->stmts->state[i] == 2) {
				p->stmts->state[i] = 0;
				p->stmts->gen[i]++;
			}
	if (!p->on)
		return;
	p->on = 0;
	/* A batch cut short leaves results to read (after a sync, which a
	 * batch never run lacks): read them, a bounded number, while the
	 * connection lives. */
	if (!p->synced && PQstatus(p->c) == CONNECTION_OK)
		PQpipelineSync(p->c);
	for (tries = 0; !PQexitPipelineMode(p->c) && tries < 1000; tries++) {
		if (PQstatus(p->c) != CONNECTION_OK)
			return;   /* PQreset (ensure_conn) ends the pipeline */
		r = PQgetResult(p->c);
		PQclear(r);
	}
}
