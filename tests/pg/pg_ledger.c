/*
 * tests/pg/pg_ledger.c - the PostgreSQL ledger (storage/postgres.c) against
 * the SQLite one: the same calls on both give the same answers, and what
 * only PostgreSQL has (the shared budget row, several processes on one
 * study) holds under concurrency.
 *
 * Run by tests/pg/pg-ledger.sh, which starts a private server and passes
 * its URI (a database this program may create databases from) as argv[1].
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "storage/postgres.h"
#include "storage/storage.h"

static const char *admin_uri;   /* argv[1] */
static char tmpdir[1024];
static int db_no;

/* A fresh database on the test server; its URI into buf. */
static void fresh_db(char *buf, size_t n)
{
	char sql[128], name[64];
	PGconn *c = PQconnectdb(admin_uri);
	PGresult *r;
	const char *slash;
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(name, sizeof name, "bo_t%d_%d", (int)getpid(), ++db_no);
	/* test code: the name is built here from numbers only */
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	slash = strrchr(admin_uri, '/');
	assert_non_null(slash);
	snprintf(buf, n, "%.*s/%s", (int)(slash - admin_uri), admin_uri, name);
}

static void fresh_file(char *buf, size_t n)
{
	snprintf(buf, n, "%s/ledger-%d.db", tmpdir, ++db_no);
}

static bo_storage *open_ok(const char *uri)
{
	bo_storage *st = NULL;
	int rc = bo__storage_open(&st, uri);
	if (rc)
		fail_msg("open %s: %d %s", uri, rc, bo_error_last());
	return st;
}

static void put_num(bo_strbuf *sb, double v)
{
	if (isnan(v))
		bo__sb_puts(sb, "nan");
	else
		bo__sb_printf(sb, "%.17g", v);
}

static void put_kv(bo_strbuf *sb, const char *tag, const bo_kv *kv, size_t n)
{
	size_t i;
	bo__sb_printf(sb, " %s{", tag);
	for (i = 0; i < n; i++) {
		bo__sb_printf(sb, "%s=", kv[i].name);
		put_num(sb, kv[i].value);
		bo__sb_puts(sb, ";");
	}
	bo__sb_puts(sb, "}");
}

static void put_trial(bo_strbuf *sb, const bo_trial_rec *t)
{
	bo__sb_printf(sb, "trial %lld %s v%lld run%lld %s %s cost=", (long long)t->id,
		      bo__trial_state_name(t->state), (long long)t->version, (long long)t->run_id,
		      t->sampler ? t->sampler : "-", t->params_json ? t->params_json : "-");
	put_num(sb, t->cost);
	bo__sb_puts(sb, " res=");
	put_num(sb, t->reserved);
	bo__sb_puts(sb, " score=");
	put_num(sb, t->score);
	bo__sb_printf(sb, " pv=%s reason=%s feas=%d times=%.17g/%.17g/%.17g exit=%d sig=%d "
		      "pid=%lld/%lld cg=%s host=%s folder=%s",
		      t->price_version ? t->price_version : "-", t->reason ? t->reason : "-",
		      t->feasible, t->created_at, t->started_at, t->ended_at, t->exit_code,
		      t->term_signal, (long long)t->pid, (long long)t->pid_start,
		      t->cgroup ? t->cgroup : "-", t->host ? t->host : "-",
		      t->folder ? t->folder : "-");
	put_kv(sb, "p", t->params, t->nparams);
	put_kv(sb, "m", t->metrics, t->nmetrics);
	put_kv(sb, "u", t->usage, t->nusage);
	bo__sb_puts(sb, "\n");
}

/* One trial to start: awkward values, a NaN, an outside reason. */
static void make_trial(bo_trial_rec *t, int64_t version, int64_t run, int k)
{
	static bo_kv params[2];
	memset(t, 0, sizeof *t);
	params[0].name = (char *)"lr";
	params[0].value = 2.385e-3 * (k + 1);
	params[1].name = (char *)"depth";
	params[1].value = k % 3;
	t->version = version;
	t->run_id = run;
	t->sampler = (char *)"tpe";
	t->params_json = (char *)"{\"lr\": 0.002385, \"depth\": 1}";
	t->params = params;
	t->nparams = 2;
	t->cost = NAN;
	t->reserved = 0.125 + k / 7.0;
	t->score = NAN;
	t->feasible = -1;
	t->created_at = 1.7e9 + k + 0.25;
	t->started_at = 1.7e9 + k + 0.5;
	t->exit_code = -1;
	t->host = (char *)"h\x01ost";   /* a control character: cleaned on the way in */
	t->scenario = k % 2 ? (char *)"shifted" : NULL;   /* NULL: "default" */
	t->repeat = k / 2;
	t->folder = (char *)"/tmp/trial";
}

/* The same calls on any backend; everything the ledger answers goes into
 * the returned text. */
static char *scenario(const char *uri)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo_storage *st = open_ok(uri);
	int64_t v1 = 0, v2 = 0, v3 = 0, run = 0;
	bo_trial_rec t, *all = NULL, got;
	bo_kv usage[2] = {{(char *)"cpu_hours", 0.0321}, {(char *)"gpu_hours.a100", 1.0 / 3}};
	bo_kv metrics[3] = {{(char *)"acc", 0.91}, {(char *)"lat", NAN}, {(char *)"loss", 2.385}};
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_ledger_totals tot;
	bo_event *ev = NULL;
	size_t n = 0, i;
	char *text = NULL;
	int k;

	assert_int_equal(st->ops->register_study(st, "s", "name: s\n", "h1", "sp1", &v1), 0);
	assert_int_equal(st->ops->register_study(st, "s", "name: s\n", "h1", "sp1", &v2), 0);
	assert_int_equal(v1, v2);
	assert_int_equal(st->ops->register_study(st, "s", "name: s\n# 2\n", "h2", "sp1", &v2), 0);
	assert_true(v2 > v1);
	assert_int_equal(st->ops->register_study(st, "s", "x", "h3", "sp2", &v3), BO_ECONFLICT);
	assert_int_equal(st->ops->register_study(st, "other", "x", "h4", "sp1", &v3), BO_ECONFLICT);
	assert_non_null(strstr(bo_error_last(), "other"));
	assert_int_equal(st->ops->run_begin(st, v2, 4242, "hostA", 7, "tpe", 1.7e9, &run), 0);
	assert_true(run > 0);
	assert_int_equal(st->ops->run_heartbeat(st, run, 1.7e9 + 5), 0);
	assert_int_equal(st->ops->run_heartbeat(st, run + 99, 1.7e9 + 5), BO_ENOTFOUND);

	for (k = 0; k < 5; k++) {
		make_trial(&t, v2, run, k);
		assert_int_equal(st->ops->trial_start(st, &t), 0);
		assert_int_equal(t.id, k + 1);
		assert_int_equal(st->ops->trial_launched(st, t.id, 100 + k, 5000 + k,
							 k ? "/sys/fs/cgroup/x" : NULL, NULL), 0);
		assert_int_equal(st->ops->trial_progress(st, t.id, usage, 1), 0);
		metrics[0].value = 0.5 + k / 11.0;
		assert_int_equal(st->ops->trial_step(st, t.id, 1, metrics, 1), 0);
		assert_int_equal(st->ops->trial_step(st, t.id, 1, metrics, 1), 0);   /* again */
		if (k == 3)
			continue;   /* stays running */
		t.state = k == 4 ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
		t.cost = 0.1 * (k + 1) + 1e-12;
		t.metrics = metrics;
		t.nmetrics = k == 4 ? 0 : 3;
		t.usage = usage;
		t.nusage = 2;
		t.reason = k == 4 ? (char *)"exit 3: \"boom\"\n" : NULL;
		t.score = k == 4 ? NAN : metrics[0].value / t.cost;
		t.feasible = k == 4 ? -1 : k % 2;
		t.ended_at = 1.7e9 + k + 3.75;
		t.exit_code = k == 4 ? 3 : 0;
		t.price_version = (char *)"2026-11";
		assert_int_equal(st->ops->trial_finish(st, &t), 0);
		assert_int_equal(st->ops->trial_finish(st, &t), BO_ECONFLICT);   /* never twice */
	}
	for (k = 0; k < 5; k++) {
		/* schema 3: each trial's scenario and repeat, as started */
		bo_trial_rec g;
		memset(&g, 0, sizeof g);
		assert_int_equal(st->ops->trial_get(st, k + 1, &g), 0);
		assert_string_equal(g.scenario, k % 2 ? "shifted" : "default");
		assert_int_equal(g.repeat, k / 2);
		bo__trial_rec_clear(&g);
	}
	assert_int_equal(st->ops->trial_progress(st, 1, usage, 1), BO_ECONFLICT);
	assert_int_equal(st->ops->trial_progress(st, 77, usage, 1), BO_ENOTFOUND);
	assert_int_equal(st->ops->trial_launched(st, 77, 1, 1, NULL, NULL), BO_ENOTFOUND);
	assert_int_equal(st->ops->event(st, run, 2, "cap", 0.5, "over \x7f cap", 1.7e9 + 9), 0);
	assert_int_equal(st->ops->run_end(st, run, 1.7e9 + 20), 0);

	assert_int_equal(st->ops->totals(st, &tot), 0);
	bo__sb_printf(&sb, "totals spent=%.17g n=%lld q=%lld r=%lld c=%lld p=%lld f=%lld "
		      "elapsed=%.17g first=%.17g versions=%lld\n",
		      tot.spent, (long long)tot.ntrials, (long long)tot.by_state[0],
		      (long long)tot.by_state[1], (long long)tot.by_state[2],
		      (long long)tot.by_state[3], (long long)tot.by_state[4], tot.elapsed_s,
		      tot.first_start, (long long)tot.nversions);
	{
		static const char *const sorts[] = {"id", "-cost", "score", "-acc", "loss"};
		for (k = 0; k < 5; k++) {
			q.sort = sorts[k];
			q.state = k == 2 ? BO_TRIAL_COMPLETE : -1;
			q.limit = k == 3 ? 2 : 0;
			assert_int_equal(st->ops->trials(st, &q, &all, &n), 0);
			bo__sb_printf(&sb, "sort %s: %zu\n", sorts[k], n);
			for (i = 0; i < n; i++)
				put_trial(&sb, &all[i]);
			bo__trial_rec_free_array(all, n);
		}
	}
	assert_int_equal(st->ops->trial_get(st, 4, &got), 0);
	put_trial(&sb, &got);
	bo__trial_rec_clear(&got);
	assert_int_equal(st->ops->trial_get(st, 40, &got), BO_ENOTFOUND);
	assert_int_equal(st->ops->events(st, &ev, &n), 0);
	for (i = 0; i < n; i++) {
		bo__sb_printf(&sb, "event %lld %.17g run%lld trial%lld %s ", (long long)ev[i].id,
			      ev[i].t, (long long)ev[i].run_id, (long long)ev[i].trial_id, ev[i].kind);
		put_num(&sb, ev[i].amount);
		bo__sb_printf(&sb, " %s\n", ev[i].detail ? ev[i].detail : "-");
	}
	bo__event_free_array(ev, n);
	assert_int_equal(st->ops->study_text(st, &text), 0);
	bo__sb_printf(&sb, "text %s", text);
	bo__free(text);
	{
		bo_step_row *rows = NULL;
		assert_int_equal(st->ops->steps(st, &rows, &n), 0);
		assert_int_equal(n, 5);
		for (i = 0; i < n; i++)
			bo__sb_printf(&sb, "step trial%lld %lld %s %.17g\n", (long long)rows[i].trial_id,
				      (long long)rows[i].step, rows[i].name, rows[i].value);
		bo__step_rows_free(rows, n);
	}
	bo__storage_close(st);

	/* reopening keeps everything */
	st = open_ok(uri);
	assert_int_equal(st->ops->totals(st, &tot), 0);
	assert_int_equal(tot.ntrials, 5);
	bo__storage_close(st);
	return bo__sb_take(&sb);
}

static void same_answers(void **state)
{
	char a[2048], b[2048];
	char *x, *y;
	(void)state;
	fresh_file(a, sizeof a);
	fresh_db(b, sizeof b);
	x = scenario(a);
	y = scenario(b);
	if (strcmp(x, y) != 0) {
		fprintf(stderr, "--- sqlite\n%s--- postgres\n%s", x, y);
		fail_msg("the backends disagree");
	}
	/* the dump is not empty or trivially equal */
	assert_non_null(strstr(x, "gpu_hours.a100="));
	assert_non_null(strstr(x, "trial 4 running"));
	bo__free(x);
	bo__free(y);
}

static void refusals(void **state)
{
	char u[2048];
	bo_storage *st = (bo_storage *)&st;
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	(void)state;
	assert_int_equal(bo__storage_open(&st, "postgresql://bo:s3cret@127.0.0.1:1/x"), BO_EINVAL);
	assert_null(st);
	assert_non_null(strstr(bo_error_last(), "PGSERVICE"));
	assert_null(strstr(bo_error_last(), "s3cret"));
	assert_int_equal(bo__storage_open(&st, "postgresql://127.0.0.1:1/x?password=p"), BO_EINVAL);
	/* nothing listens on port 1: libpq's text is in the message */
	assert_int_equal(bo__storage_open(&st, "postgresql://127.0.0.1:1/x?connect_timeout=2"), BO_EIO);
	assert_non_null(strstr(bo_error_last(), "127.0.0.1"));
	/* an empty database is no ledger for a reader */
	fresh_db(u, sizeof u);
	lo.must_exist = 1;
	assert_int_equal(bo__storage_open_ex(&st, u, &lo), BO_ENOTFOUND);
	assert_null(st);
	st = open_ok(u);
	bo__storage_close(st);
	assert_int_equal(bo__storage_open_ex(&st, u, &lo), 0);
	bo__storage_close(st);
}

/* Workers in several processes on one study: each reserves 1.0 under a
 * limit of 20 and charges a cost of its own; the budget row is never
 * passed, ids never collide, and spent equals the sum of the costs. */
static void shared_budget(void **state)
{
	enum { NPROC = 4, PER = 40 };
	const double limit = 20.0;
	char u[2048];
	bo_storage *st;
	int64_t v = 0;
	int p, status;
	bo_trial_rec *all = NULL;
	size_t n = 0, i;
	double sum = 0, spent = -1, reserved = -1;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	bo__storage_close(st);
	for (p = 0; p < NPROC; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int k, rc = 0;
			bo_storage *w = NULL;
			if (bo__storage_open(&w, u) != 0)
				_exit(2);
			for (k = 0; k < PER; k++) {
				bo_trial_rec t;
				make_trial(&t, v, 0, k);
				t.folder = NULL;
				t.reserved = 1.0;
				rc = bo__pg_trial_insert(w, &t, limit, 0, NULL);
				if (rc == BO_DONE)
					break;
				if (rc != 0)
					_exit(3);
				t.state = BO_TRIAL_COMPLETE;
				t.cost = 0.25 + 0.5 * ((p + k) % 2);   /* at most the reservation */
				t.ended_at = 1.8e9;
				if (w->ops->trial_finish(w, &t) != 0)
					_exit(4);
			}
			bo__storage_close(w);
			_exit(rc == BO_DONE ? 0 : 5);
		}
	}
	for (p = 0; p < NPROC; p++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	st = open_ok(u);
	assert_int_equal(st->ops->trials(st, NULL, &all, &n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(all[i].id, (int64_t)i + 1);   /* unique, no gaps */
		assert_int_equal(all[i].state, BO_TRIAL_COMPLETE);
		sum += all[i].cost;
	}
	assert_true(n > (size_t)limit);   /* costs below the reservation: more fit */
	assert_true(n < NPROC * PER);     /* the limit stopped them */
	assert_int_equal(bo__pg_budget(st, &spent, &reserved), 0);
	assert_true(fabs(spent - sum) < 1e-9);
	assert_true(spent <= limit);
	assert_true(fabs(reserved) < 1e-9);
	bo__trial_rec_free_array(all, n);
	bo__storage_close(st);
}

/* Processes racing for the last trials of a trial budget, with no money
 * limit and nothing between their inserts to slow them: the budget row's
 * lock makes the count hold, so the ledger ends with exactly max_trials
 * trials however the inserts interleave. */
static void shared_trial_budget(void **state)
{
	/* PER above MAX_TRIALS: a process that starts before the others and
	 * races through its loop alone is still refused in the end */
	enum { NPROC = 4, MAX_TRIALS = 57, PER = MAX_TRIALS + 1 };
	char u[2048];
	bo_storage *st;
	int64_t v = 0;
	int p, status;
	bo_trial_rec *all = NULL;
	size_t n = 0, i;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	bo__storage_close(st);
	for (p = 0; p < NPROC; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int k, rc = 0;
			bo_storage *w = NULL;
			if (bo__storage_open(&w, u) != 0)
				_exit(2);
			for (k = 0; k < PER; k++) {
				bo_trial_rec t;
				make_trial(&t, v, 0, k);
				t.folder = NULL;
				t.reserved = 0.0;
				rc = bo__pg_trial_insert(w, &t, NAN, MAX_TRIALS, NULL);
				if (rc == BO_DONE)
					break;
				if (rc != 0)
					_exit(3);
			}
			bo__storage_close(w);
			_exit(rc == BO_DONE ? 0 : 5);
		}
	}
	for (p = 0; p < NPROC; p++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);   /* each was refused in the end */
	}
	st = open_ok(u);
	assert_int_equal(st->ops->trials(st, NULL, &all, &n), 0);
	assert_int_equal(n, MAX_TRIALS);
	for (i = 0; i < n; i++)
		assert_int_equal(all[i].id, (int64_t)i + 1);
	bo__trial_rec_free_array(all, n);
	bo__storage_close(st);
}

/* One statement on a raw connection; its single value as an integer, or
 * -1 when it returns no row. */
static long long raw(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	long long v = -1;
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* The budget row's counts against COUNT(*) of the trials, each state. */
static void counts_match(const char *u, long long nq, long long nr, long long nf)
{
	bo_storage *st = open_ok(u);
	bo_pg_sync s;
	assert_int_equal(bo__pg_sync(st, &s), 0);
	bo__storage_close(st);
	assert_int_equal(s.nqueued, nq);
	assert_int_equal(s.nrunning, nr);
	assert_int_equal(s.nfinal, nf);
	assert_int_equal(s.ntrials, nr + nf);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM trials WHERE state = 'queued'"), nq);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM trials WHERE state = 'running'"), nr);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM trials WHERE state IN "
				"('complete', 'pruned', 'failed')"), nf);
}

/* The trial counts of the budget row (schema 3 -> 4): a ledger at version
 * 3 holding trials in every state migrates with the counts of its rows;
 * starts, finishes and queued rows then move them as COUNT(*) does. */
static void budget_counts(void **state)
{
	char u[2048];
	bo_storage *st;
	bo_trial_rec t;
	int64_t v = 0;
	long long ver;
	int k;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	bo__storage_close(st);
	ver = raw(u, "SELECT version FROM schema_version");
	assert_true(ver >= 4);
	/* Back to version 3 as it was released: no counts, no trigger; then
	 * trials in every state, written as a version-3 ledger would. */
	raw(u, "DROP TRIGGER trials_counts ON trials;"
	       "DROP FUNCTION budgetopt_trial_counts();"
	       "ALTER TABLE budget DROP COLUMN ntrials, DROP COLUMN nqueued,"
	       " DROP COLUMN nfinal, DROP COLUMN nrunning;"
	       "DROP INDEX IF EXISTS trials_ended;"
	       "UPDATE schema_version SET version = 3");
	raw(u, "INSERT INTO trials(id, version, state, cost, reserved) SELECT g, 1,"
	       " (ARRAY['queued', 'running', 'complete', 'pruned', 'failed'])[1 + g % 5],"
	       " 0.25, 0.5 FROM generate_series(1, 23) g");
	/* 23 rows, g % 5: 0 -> queued (4), 1 -> running (5), 2, 3, 4 -> final (14) */
	st = open_ok(u);   /* migrates */
	bo__storage_close(st);
	assert_int_equal(raw(u, "SELECT version FROM schema_version"), ver);
	counts_match(u, 4, 5, 14);
	/* from here on the trigger keeps them: two starts, one finish */
	st = open_ok(u);
	for (k = 0; k < 2; k++) {
		make_trial(&t, v, 0, k);
		t.folder = NULL;
		assert_int_equal(bo__pg_trial_insert(st, &t, NAN, 0, NULL), 0);
		assert_int_equal(t.id, 24 + k);
	}
	t.id = 24;
	t.state = BO_TRIAL_PRUNED;
	t.cost = 0.125;
	t.ended_at = 1.8e9;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
	bo__storage_close(st);
	counts_match(u, 4, 6, 15);
	/* a queued row claimed, one deleted: each moves the counts */
	raw(u, "UPDATE trials SET state = 'running' WHERE id = 5");
	raw(u, "DELETE FROM trials WHERE id = 3");
	counts_match(u, 3, 7, 14);
}

/* Processes racing under a spend rate (bo_pg_rate) with no money limit:
 * each trial needs and costs 1.0 and the rate is 5.5 over a window that
 * holds every charge, so the check under the budget row's lock lets
 * exactly five trials start among all of them, however they interleave
 * (each process alone would start five). */
static void shared_rate(void **state)
{
	enum { NPROC = 4, PER = 10 };
	char u[2048];
	bo_storage *st;
	int64_t v = 0;
	pid_t kids[NPROC];
	int p, status;
	bo_trial_rec *all = NULL;
	size_t n = 0, i;
	double spent = -1, reserved = -1;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	bo__storage_close(st);
	for (p = 0; p < NPROC; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		kids[p] = pid;
		if (pid == 0) {
			int k, rc = 0;
			bo_storage *w = NULL;
			if (bo__storage_open(&w, u) != 0)
				_exit(2);
			for (k = 0; k < PER; k++) {
				bo_trial_rec t;
				bo_pg_rate rate = {5.5, 0.0, 1.0, 0, 0.0, 0.0};
				make_trial(&t, v, 0, k);
				t.folder = NULL;
				t.reserved = 1.0;
				rc = bo__pg_trial_insert(w, &t, NAN, 0, &rate);
				if (rc == BO_DONE)
					break;
				if (rc != 0 || rate.refused)
					_exit(3);
				t.state = BO_TRIAL_COMPLETE;
				t.cost = 1.0;
				t.ended_at = 1.8e9 + k;
				if (w->ops->trial_finish(w, &t) != 0)
					_exit(4);
			}
			bo__storage_close(w);
			/* refused by the rate: the window held 4 or 5 charged */
			_exit(rc == BO_DONE ? 0 : 5);
		}
	}
	for (p = 0; p < NPROC; p++) {
		assert_true(waitpid(kids[p], &status, 0) == kids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	st = open_ok(u);
	assert_int_equal(st->ops->trials(st, NULL, &all, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_int_equal(all[i].state, BO_TRIAL_COMPLETE);
	assert_int_equal(bo__pg_budget(st, &spent, &reserved), 0);
	assert_true(fabs(spent - 5.0) < 1e-9);
	bo__trial_rec_free_array(all, n);
	bo__storage_close(st);
}

/* Four processes fire the same alert threshold together: one event, one
 * process told it recorded it; a second threshold is its own. */
static void alert_once(void **state)
{
	enum { NPROC = 4 };
	char u[2048];
	bo_storage *st;
	int64_t v = 0;
	pid_t kids[NPROC];
	int p, status, won = 0;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	bo__storage_close(st);
	for (p = 0; p < NPROC; p++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		kids[p] = pid;
		if (pid == 0) {
			bo_storage *w = NULL;
			int rc;
			if (bo__storage_open(&w, u) != 0)
				_exit(2);
			rc = bo__pg_alert_once(w, 0, "budget alert 80%:", 4.25 + p,
					       "budget alert 80%: spent 4.25 of 5 USD", 1.8e9 + p);
			if (rc < 0)
				fprintf(stderr, "alert_once: %d %s\n", rc, bo_error_last());
			bo__storage_close(w);
			_exit(rc == 1 ? 10 : rc == 0 ? 11 : 3);
		}
	}
	for (p = 0; p < NPROC; p++) {
		assert_true(waitpid(kids[p], &status, 0) == kids[p]);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 10 && WEXITSTATUS(status) != 11)
			fail_msg("a process exited %d", WEXITSTATUS(status));
		won += WEXITSTATUS(status) == 10;
	}
	assert_int_equal(won, 1);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM events WHERE kind = 'alert'"), 1);
	st = open_ok(u);
	/* "80%:" is not "8%:" : the key is the whole prefix */
	assert_int_equal(bo__pg_alert_once(st, 0, "budget alert 8%:", 0.5,
					   "budget alert 8%: spent 0.4 of 5 USD", 1.8e9), 1);
	assert_int_equal(bo__pg_alert_once(st, 0, "budget alert 8%:", 0.5,
					   "budget alert 8%: spent 0.4 of 5 USD", 1.8e9), 0);
	bo__storage_close(st);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM events WHERE kind = 'alert'"), 2);
}

/* How often this session ran the prepared statement of text sql (as a
 * batch prepares it), or -1 when it was not prepared in this session. */
static long long prepared_runs(bo_storage *st, const char *sql)
{
	PGconn *c = bo__pg_conn(st, NULL);
	const char *v[1];
	PGresult *r;
	long long n = -1;
	v[0] = sql;
	r = PQexecParams(c, "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
			    "WHERE statement = $1", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("pg_prepared_statements: %s", PQerrorMessage(c));
	if (PQntuples(r) == 1)
		n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

static void start_finish(bo_storage *st, int64_t v, int k)
{
	bo_trial_rec t;
	make_trial(&t, v, 0, k);
	t.folder = NULL;
	assert_int_equal(bo__pg_trial_insert(st, &t, NAN, 0, NULL), 0);
	t.state = BO_TRIAL_COMPLETE;
	t.cost = 0.125;
	t.ended_at = 1.8e9 + k;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
}

/* The hot statements (a trial's start and finish) are prepared once per
 * session and run by name, also when first prepared in a transaction that
 * was rolled back: after the study's registration, a refused finish and
 * five trials the budget row's lock has run twelve times as one prepared
 * statement, and the trial row's lock, first prepared by the refused
 * finish, six. A reconnect (the server process ended under the ledger)
 * prepares them again in the new session. */
static void prepared(void **state)
{
	const char *lock = "SELECT spent, reserved FROM budget WHERE id = 1 FOR UPDATE";
	const char *trial = "SELECT state, reserved FROM trials WHERE id = $1 FOR UPDATE";
	char u[2048], sql[96];
	bo_storage *st;
	int64_t v = 0;
	int k, pid, rc;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	assert_int_equal(prepared_runs(st, lock), 1);
	assert_int_equal(prepared_runs(st, trial), -1);
	{
		/* first prepared in a transaction rolled back (no trial 99):
		 * a session's statements outlive it */
		bo_trial_rec t;
		make_trial(&t, v, 0, 0);
		t.id = 99;
		t.state = BO_TRIAL_COMPLETE;
		assert_int_equal(st->ops->trial_finish(st, &t), BO_ENOTFOUND);
	}
	assert_int_equal(prepared_runs(st, lock), 2);
	assert_int_equal(prepared_runs(st, trial), 1);
	for (k = 0; k < 5; k++)
		start_finish(st, v, k);
	assert_int_equal(prepared_runs(st, lock), 12);
	assert_int_equal(prepared_runs(st, trial), 6);
	/* the session ends under the handle */
	pid = PQbackendPID(bo__pg_conn(st, NULL));
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);   /* a number */
	raw(u, sql);
	{
		bo_trial_rec t;
		make_trial(&t, v, 0, 5);
		t.folder = NULL;
		rc = bo__pg_trial_insert(st, &t, NAN, 0, NULL);   /* may see the loss first */
		assert_true(rc == 0 || rc == BO_EIO);
		if (rc == BO_EIO)
			assert_int_equal(bo__pg_trial_insert(st, &t, NAN, 0, NULL), 0);
		t.state = BO_TRIAL_COMPLETE;
		t.cost = 0.125;
		t.ended_at = 1.8e9;
		assert_int_equal(st->ops->trial_finish(st, &t), 0);
	}
	assert_true(PQbackendPID(bo__pg_conn(st, NULL)) != pid);
	assert_int_equal(prepared_runs(st, lock), 2);
	assert_int_equal(prepared_runs(st, trial), 1);
	bo__storage_close(st);
}

/* What a worker runs at every heartbeat and decision, and a claim of a
 * queued configuration, are prepared statements too: three heartbeats,
 * the same statement three times; two claims, each of their statements
 * twice. */
static void prepared_worker(void **state)
{
	const char *beat = "UPDATE runs SET heartbeat_at = $2 WHERE id = $1";
	const char *sync = "SELECT ntrials, nqueued, nfinal, nrunning, spent, reserved FROM budget "
			   "WHERE id = 1";
	const char *claim = "SELECT id, params_json FROM trials WHERE state = 'queued' ORDER BY id "
			    "LIMIT 1 FOR UPDATE SKIP LOCKED";
	char u[2048];
	bo_storage *st;
	bo_pg_sync s;
	int64_t v = 0, run = 0;
	int k;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	assert_int_equal(bo__pg_worker_begin(st, v, 4242, "here", 1, "random", 1.8e9, &run), 0);
	assert_int_equal(prepared_runs(st, beat), -1);
	for (k = 0; k < 3; k++)
		assert_int_equal(st->ops->run_heartbeat(st, run, 1.8e9 + k), 0);
	assert_int_equal(prepared_runs(st, beat), 3);
	raw(u, "INSERT INTO trials(id, version, state) VALUES (1, 1, 'queued'), (2, 1, 'queued')");
	for (k = 0; k < 2; k++) {
		bo_trial_rec t;
		assert_int_equal(bo__pg_sync(st, &s), 0);
		assert_int_equal(s.nqueued, 2 - k);
		memset(&t, 0, sizeof t);
		t.run_id = run;
		t.reserved = 0.125;
		t.started_at = 1.8e9 + 10 + k;
		assert_int_equal(bo__pg_claim_queued(st, &t, NAN, NULL), 0);
		assert_int_equal(t.id, k + 1);
		bo__free(t.params_json);
		bo__kv_free(t.params, t.nparams);
	}
	assert_int_equal(prepared_runs(st, sync), 2);
	assert_int_equal(prepared_runs(st, claim), 2);
	bo__storage_close(st);
}

/* A queued configuration is claimed under the spend rate too: refused
 * while the window and the running trials leave no room for its
 * reservation, claimed once they do. */
static void claim_rate(void **state)
{
	char u[2048];
	bo_storage *st;
	bo_trial_rec t;
	bo_pg_rate rate = {2.5, 0.0, 1.0, 0, 0.0, 0.0};
	int64_t v = 0;
	(void)state;
	fresh_db(u, sizeof u);
	st = open_ok(u);
	assert_int_equal(st->ops->register_study(st, "s", "t", "h", "sp", &v), 0);
	/* two trials charged 1.0 each at 1.8e9 + 1, and one queued */
	raw(u, "INSERT INTO trials(id, version, state, cost, ended_at) VALUES"
	       " (1, 1, 'complete', 1.0, 1.8e9 + 1), (2, 1, 'complete', 1.0, 1.8e9 + 1),"
	       " (3, 1, 'queued', NULL, NULL);"
	       "INSERT INTO runs(id, version, pid, seed, started_at, heartbeat_at)"
	       " VALUES (7, 1, 1, 1, 1.8e9, 1.8e9)");
	memset(&t, 0, sizeof t);
	t.run_id = 7;
	t.reserved = 1.0;
	t.started_at = 1.8e9 + 2;
	assert_int_equal(bo__pg_claim_queued(st, &t, NAN, &rate), BO_DONE);
	assert_true(rate.refused);
	assert_true(fabs(rate.window - 2.0) < 1e-9);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM trials WHERE state = 'queued'"), 1);
	/* the window moved past both charges */
	rate.since = 1.8e9 + 1;
	assert_int_equal(bo__pg_claim_queued(st, &t, NAN, &rate), 0);
	assert_false(rate.refused);
	assert_int_equal(t.id, 3);
	bo__free(t.params_json);
	bo__kv_free(t.params, t.nparams);
	bo__storage_close(st);
	assert_int_equal(raw(u, "SELECT COUNT(*) FROM trials WHERE state = 'running'"), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_answers),
		cmocka_unit_test(refusals),
		cmocka_unit_test(shared_budget),
		cmocka_unit_test(shared_trial_budget),
		cmocka_unit_test(budget_counts),
		cmocka_unit_test(shared_rate),
		cmocka_unit_test(alert_once),
		cmocka_unit_test(prepared),
		cmocka_unit_test(prepared_worker),
		cmocka_unit_test(claim_rate),
	};
	if (argc < 3) {
		fprintf(stderr, "usage: pg_ledger ADMIN-URI SCRATCH-DIR\n");
		return 2;
	}
	admin_uri = argv[1];
	snprintf(tmpdir, sizeof tmpdir, "%s", argv[2]);
	mkdir(tmpdir, 0700);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
