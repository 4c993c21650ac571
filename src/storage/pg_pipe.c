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
	memset(p, 0, sizeof *p);
	p->c = c;
	p->label = label ? label : "";
	p->what = what ? what : "";
	if (PQstatus(c) != CONNECTION_OK || !PQenterPipelineMode(c))
		p->rc = pipe_error(p, NULL);
	else
		p->on = 1;
}

int bo__pg_pipe_send(bo_pg_pipe *p, const char *sql, int n, const char *const *v)
{
	if (p->rc)
		return -1;
	if (bo__grow(&p->res, &p->cap, p->n + 1, sizeof *p->res) < 0) {
		p->rc = BO_ENOMEM;
		return -1;
	}
	p->res[p->n] = NULL;
	if (!PQsendQueryParams(p->c, sql, n, NULL, v, NULL, NULL, 0)) {
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
	 * NULL; the sync's result ends the batch. */
	for (i = 0; i < p->n && !lost; i++) {
		ExecStatusType s;
		if (!(r = PQgetResult(p->c))) {
			if (!rc)
				rc = pipe_error(p, NULL);
			lost = 1;
			break;
		}
		s = PQresultStatus(r);
		if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
			p->res[i] = r;
		else {
			if (!rc && s != PGRES_PIPELINE_ABORTED)
				rc = pipe_error(p, r);
			PQclear(r);
		}
		while ((r = PQgetResult(p->c)))
			PQclear(r);
	}
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
	p->res = NULL;
	p->n = p->cap = 0;
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
