/*
 * tests/pg/pg_notify.c - waking idle workers (storage/postgres_notify.c)
 * on a real server: a waiting session is woken by another session's
 * trial start, claim, finish and re-queue, only once that transaction
 * commits, never by a rolled-back one, by its own, or by a study in
 * another schema; after its connection is lost it listens again. The
 * assertions are on what each wait returned (woken by a notification, or
 * ended by its timeout), never on how long it took: a wait meant to be
 * woken has a long timeout, so a lost notification fails the test instead
 * of passing by the poll.
 *
 * Run by tests/pg/pg-ledger.sh, which starts a private server and passes
 * its URI as argv[1].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "storage/postgres.h"
#include "storage/storage.h"

/* A wait that must be woken: long enough that only a lost notification
 * reaches it. A wait that must not be: short (a wrong wake fails it). */
#define WOKEN_MS 60000
#define QUIET_MS 200

static const char *admin_uri;
static int db_no;

static void exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static void fresh_db(char *buf, size_t n)
{
	char sql[128], name[64];
	PGconn *c = PQconnectdb(admin_uri);
	const char *slash = strrchr(admin_uri, '/');
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(name, sizeof name, "bo_n%d_%d", (int)getpid(), ++db_no);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);   /* test code: numbers only */
	exec_ok(c, sql);
	PQfinish(c);
	assert_non_null(slash);
	snprintf(buf, n, "%.*s/%s", (int)(slash - admin_uri), admin_uri, name);
}

static bo_storage *open_ok(const char *uri)
{
	bo_storage *st = NULL;
	if (bo__storage_open(&st, uri))
		fail_msg("open %s: %s", uri, bo_error_last());
	return st;
}

static int64_t start(bo_storage *st, int64_t v, int k)
{
	static bo_kv params[1] = {{(char *)"lr", 2.385e-3}};
	bo_trial_rec t;
	memset(&t, 0, sizeof t);
	t.version = v;
	t.sampler = (char *)"random";
	t.params_json = (char *)"{\"lr\": 0.002385}";
	t.params = params;
	t.nparams = 1;
	t.cost = NAN;
	t.reserved = 0.125;
	t.score = NAN;
	t.feasible = -1;
	t.started_at = 1.8e9 + k;
	t.exit_code = -1;
	assert_int_equal(bo__pg_trial_insert(st, &t, NAN, 0, NULL), 0);
	return t.id;
}

static void finish(bo_storage *st, int64_t id)
{
	bo_trial_rec t;
	memset(&t, 0, sizeof t);
	t.id = id;
	t.state = BO_TRIAL_COMPLETE;
	t.cost = 0.0625;
	t.score = NAN;
	t.feasible = -1;
	t.ended_at = 1.8e9 + 100;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
}

/* Listening starts at the first wait, which says so (the caller looks
 * again before it waits). */
static void listen_ok(bo_storage *st)
{
	assert_int_equal(bo__pg_wait(st, 0), BO_PG_LISTENING);
	assert_int_equal(bo__pg_wait(st, QUIET_MS), BO_PG_TIMEOUT);
}

/* A fresh study and two sessions on it: a listening (and told so), b. */
static void two_sessions(bo_storage **a, bo_storage **b, int64_t *v)
{
	char u[2048];
	fresh_db(u, sizeof u);
	*a = open_ok(u);
	*b = open_ok(u);
	assert_int_equal((*a)->ops->register_study(*a, "s", "t", "h", "sp", v), 0);
	listen_ok(*a);
}

/* A start and a finish of another session wake the waiting one; when it
 * is woken, what woke it is visible to its next read. */
static void wakes_on_start_and_finish(void **state)
{
	bo_storage *a, *b;
	bo_pg_sync s;
	int64_t v = 0, id;
	(void)state;
	two_sessions(&a, &b, &v);
	id = start(b, v, 1);
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	assert_int_equal(bo__pg_sync(a, &s), 0);
	assert_int_equal(s.nrunning, 1);
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);   /* one change, one wake */
	finish(b, id);
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	assert_int_equal(bo__pg_sync(a, &s), 0);
	assert_int_equal(s.nrunning, 0);
	assert_int_equal(s.nfinal, 1);
	/* its own start and finish do not wake it */
	finish(a, start(a, v, 2));
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);
	bo__storage_close(b);
	bo__storage_close(a);
}

/* Delivered at the commit, never before it, never after a rollback; a
 * notification of another schema's study does not wake. */
static void only_on_commit(void **state)
{
	bo_storage *a, *b;
	PGconn *c;
	int64_t v = 0;
	(void)state;
	two_sessions(&a, &b, &v);
	c = bo__pg_conn(b, NULL);
	exec_ok(c, "BEGIN");
	exec_ok(c, "SELECT pg_notify('" BO_PG_CHANNEL "', current_schema() || ' finish')");
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);
	exec_ok(c, "ROLLBACK");
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);
	exec_ok(c, "SELECT pg_notify('" BO_PG_CHANNEL "', 'elsewhere finish')");
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);
	exec_ok(c, "BEGIN");
	exec_ok(c, "SELECT pg_notify('" BO_PG_CHANNEL "', current_schema() || ' finish')");
	assert_int_equal(bo__pg_wait(a, QUIET_MS), BO_PG_TIMEOUT);
	exec_ok(c, "COMMIT");
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	bo__storage_close(b);
	bo__storage_close(a);
}

static double no_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap)
{
	(void)ud;
	(void)id;
	(void)usage;
	(void)n;
	(void)cap;
	return 0.03125;
}

/* A configuration queued again (a dead worker's trial failed by another)
 * and its claim wake the waiting session. */
static void wakes_on_requeue_and_claim(void **state)
{
	bo_storage *a, *b;
	bo_trial_rec t;
	bo_pg_sync s;
	int64_t v = 0, n = 0;
	PGconn *c;
	(void)state;
	two_sessions(&a, &b, &v);
	/* a worker (run 7) whose heartbeat stopped long ago, its trial running */
	c = bo__pg_conn(b, NULL);
	exec_ok(c, "INSERT INTO runs(id, version, pid, host, seed, started_at, heartbeat_at)"
		   " VALUES (7, 1, 1, 'gone', 1, 1.8e9, 1.8e9)");
	exec_ok(c, "UPDATE budget SET reserved = 0.125");
	exec_ok(c, "INSERT INTO trials(id, version, run_id, state, reserved, started_at)"
		   " VALUES (1, 1, 7, 'running', 0.125, 1.8e9)");
	assert_int_equal(bo__pg_reap(b, 1.8e9 + 600, 60, no_charge, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	assert_int_equal(bo__pg_sync(a, &s), 0);
	assert_int_equal(s.nqueued, 1);
	/* the reap's finish and its re-queue are two transactions: both
	 * heard before the claim */
	while (bo__pg_wait(a, QUIET_MS) == BO_PG_WOKEN)
		;
	memset(&t, 0, sizeof t);
	t.run_id = 7;
	t.reserved = 0.125;
	t.started_at = 1.8e9 + 601;
	assert_int_equal(bo__pg_claim_queued(b, &t, NAN, NULL), 0);
	bo__free(t.params_json);
	bo__kv_free(t.params, t.nparams);
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	assert_int_equal(bo__pg_sync(a, &s), 0);
	assert_int_equal(s.nqueued, 0);
	assert_int_equal(s.nrunning, 1);
	bo__storage_close(b);
	bo__storage_close(a);
}

/* The server ends the listening session: a later wait reconnects and
 * listens again (saying so), and the next change wakes it. */
static void listens_again_after_reconnect(void **state)
{
	char sql[96];
	bo_storage *a, *b;
	int64_t v = 0;
	int pid, rc = BO_PG_TIMEOUT, tries;
	(void)state;
	two_sessions(&a, &b, &v);
	pid = PQbackendPID(bo__pg_conn(a, NULL));
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);   /* a number */
	exec_ok(bo__pg_conn(b, NULL), sql);
	/* the loss is seen (BO_EIO) or not yet (a timeout); then a listen */
	for (tries = 0; tries < 10 && rc != BO_PG_LISTENING; tries++) {
		rc = bo__pg_wait(a, QUIET_MS);
		assert_true(rc == BO_PG_TIMEOUT || rc == BO_EIO || rc == BO_PG_LISTENING);
	}
	assert_int_equal(rc, BO_PG_LISTENING);
	assert_true(PQbackendPID(bo__pg_conn(a, NULL)) != pid);
	finish(b, start(b, v, 3));
	assert_int_equal(bo__pg_wait(a, WOKEN_MS), BO_PG_WOKEN);
	bo__storage_close(b);
	bo__storage_close(a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wakes_on_start_and_finish),
		cmocka_unit_test(only_on_commit),
		cmocka_unit_test(wakes_on_requeue_and_claim),
		cmocka_unit_test(listens_again_after_reconnect),
	};
	if (argc < 2) {
		fprintf(stderr, "usage: pg_notify ADMIN-URI [SCRATCH-DIR]\n");
		return 2;
	}
	admin_uri = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
