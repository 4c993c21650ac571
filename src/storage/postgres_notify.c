/*
 * storage/postgres_notify.c - waking idle workers: LISTEN on the study's
 * channel and a wait on the connection's socket (storage/postgres.h says
 * what a notification promises and what the wait returns).
 *
 * Why: a worker with nothing to run (the budget row refused its next
 * trial, the spend rate is full, its study waits for another worker's
 * trial or for a configuration queued again) used to sleep a fixed slice
 * and read the budget row again. A notification wakes it as soon as the
 * transaction that changed the study commits; the slice stays, as the
 * longest wait, for what no notification announces (a spend-rate window
 * sliding with the clock) and for notifications that never come (a lost
 * connection, a pooler that does not deliver them).
 *
 * Notifications travel on the ledger's one connection: libpq reads them
 * with any reply and keeps them until PQnotifies takes them.
 * bo__pg_sync drops those waiting when it reads the budget row (what
 * they announced is in what it read), so a busy worker does not collect
 * them, and a wait counts only those that arrived since.
 *
 * Must never print, exit, or format a value into SQL text (LISTEN names a
 * constant channel).
 */
#include "storage/postgres_int.h"
#include "storage/postgres.h"
#include "core/error.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);   /* a signal ends it early: the caller looks */
}

/* Takes the notifications libpq holds: 1 when one of them is another
 * session's, about this study. */
int bo__pg_notes_take(pg *q)
{
	PGnotify *n;
	size_t len = strlen(q->schema);
	int me = PQbackendPID(q->c), hit = 0;
	while ((n = PQnotifies(q->c))) {
		if (n->be_pid != me && strcmp(n->relname, BO_PG_CHANNEL) == 0 && n->extra &&
		    strncmp(n->extra, q->schema, len) == 0 && n->extra[len] == ' ')
			hit = 1;
		PQfreemem(n);
	}
	return hit;
}

/* LISTEN on this session, and the schema its study lives in. */
static int listen_now(pg *q)
{
	const char *what = "listening for the study's changes";
	PGresult *r = NULL;
	int rc;
	q->listen_pid = 0;
	if ((rc = bo__pg_exec_simple(q, "LISTEN " BO_PG_CHANNEL, what)) ||
	    (rc = bo__pg_exec(q, "SELECT current_schema()", NULL, &r, what)))
		return rc;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0) ||
	    (size_t)PQgetlength(r, 0, 0) >= sizeof q->schema) {
		PQclear(r);
		return bo__error(BO_EIO, "%s: %s: no current schema", q->label, what);
	}
	snprintf(q->schema, sizeof q->schema, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	bo__pg_notes_take(q);   /* announced before we listened: looked at anew */
	q->listen_pid = PQbackendPID(q->c);
	return 0;
}

int bo__pg_wait(bo_storage *st, int timeout_ms)
{
	pg *q = (pg *)st;
	const char *what = "waiting for the study's changes";
	double end;
	int rc;
	if (!bo__storage_is_pg_handle(st))
		return bo__error(BO_EMISUSE, "bo__pg_wait: not a postgresql ledger");
	if (q->in_tx)
		return bo__error(BO_EMISUSE, "%s: %s: inside a transaction", q->label, what);
	if (timeout_ms < 0)
		timeout_ms = 0;
	end = mono_ms() + timeout_ms;
	if ((rc = bo__pg_ensure_conn(q, what)) < 0) {
		sleep_ms(timeout_ms);
		return rc;
	}
	if (q->listen_pid != PQbackendPID(q->c)) {
		if ((rc = listen_now(q)) < 0) {
			sleep_ms(timeout_ms);
			return rc;
		}
		return BO_PG_LISTENING;
	}
	for (;;) {
		struct pollfd fd;
		double left;
		int n;
		if (bo__pg_notes_take(q))
			return BO_PG_WOKEN;
		left = end - mono_ms();
		if (left <= 0 && timeout_ms > 0)
			return BO_PG_TIMEOUT;
		fd.fd = PQsocket(q->c);
		fd.events = POLLIN;
		fd.revents = 0;
		if (fd.fd < 0) {
			sleep_ms((int)left);
			return bo__pg_db_error(q, NULL, what);
		}
		n = poll(&fd, 1, left > 0 ? (int)left + 1 : 0);
		if (n < 0 && errno == EINTR)
			return BO_PG_TIMEOUT;   /* the caller looks at its signals */
		if (n < 0)
			return bo__error(BO_EIO, "%s: %s: poll: %s", q->label, what, strerror(errno));
		if (n == 0)
			return BO_PG_TIMEOUT;
		if (!PQconsumeInput(q->c)) {
			rc = bo__pg_db_error(q, NULL, what);
			sleep_ms((int)(end - mono_ms()));
			return rc;
		}
		if (timeout_ms == 0)
			return bo__pg_notes_take(q) ? BO_PG_WOKEN : BO_PG_TIMEOUT;
	}
}
