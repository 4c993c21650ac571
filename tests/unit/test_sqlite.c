/*
 * tests/unit/test_sqlite.c - the SQLite ledger (storage/sqlite.c) and the
 * backend-independent helpers (storage/storage.c); its durability (a
 * concurrent reader, checkpoints, the spend journal, allocation failures)
 * is in test_sqlite_durability.c, the helpers in sqlite_world.h.
 *
 * Every test works on fresh files in a scratch folder (BO_TEST_TMP, else
 * /tmp) and checks what the ledger returns against what the test itself
 * computed or wrote, or against the file read with the plain sqlite3 API.
 */
#include "sqlite_world.h"

/* A deterministic generator for test data (LCG, Knuth MMIX constants). */
static uint64_t lcg_state = 88172645463325252ULL;
static double urand(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(lcg_state >> 11) / 9007199254740992.0;
}

/* ---- storage.c helpers --------------------------------------------------- */

static void test_state_names(void **state)
{
	int i;
	const char *names[] = {"queued", "running", "complete", "pruned", "failed"};
	bo_kv kv[2] = {{"a", 2.385}, {"b", -1.5}};
	(void)state;
	for (i = 0; i < 5; i++) {
		assert_string_equal(bo__trial_state_name(i), names[i]);
		assert_int_equal(bo__trial_state_parse(names[i]), i);
	}
	assert_int_equal(bo__trial_state_parse("Running"), -1);
	assert_int_equal(bo__trial_state_parse(""), -1);
	assert_int_equal(bo__trial_state_parse(NULL), -1);
	assert_non_null(bo__trial_state_name(5));
	assert_non_null(bo__trial_state_name(-1));
	assert_true(bo__kv_get(kv, 2, "a") == 2.385);
	assert_true(bo__kv_get(kv, 2, "b") == -1.5);
	assert_true(isnan(bo__kv_get(kv, 2, "c")));
	assert_true(isnan(bo__kv_get(NULL, 0, "a")));
	assert_true(isnan(bo__kv_get(kv, 2, NULL)));
	bo__trial_rec_clear(NULL);
	bo__trial_rec_free_array(NULL, 3);
	bo__event_free_array(NULL, 3);
	bo__storage_close(NULL);
}

static void test_uri(void **state)
{
	char p[4200], uri[4300], cwd[4096];
	bo_storage *st = NULL;
	(void)state;

	fresh_path(p, sizeof p, "uri-abs");
	snprintf(uri, sizeof uri, "sqlite://%s", p);   /* p starts with '/' when absolute */
	if (p[0] == '/') {
		st = open_ok(uri);
		assert_string_equal(st->ops->name, "sqlite");
		bo__storage_close(st);
		assert_int_equal(access(p, F_OK), 0);
	}

	fresh_path(p, sizeof p, "uri-plain");
	st = open_ok(p);
	bo__storage_close(st);
	assert_int_equal(access(p, F_OK), 0);

	/* relative forms resolve against the current folder */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(tmpdir), 0);
	st = open_ok("sqlite:rel-uri.db");
	bo__storage_close(st);
	st = open_ok("plain:colon.db");  /* unknown "scheme" without //: a path */
	bo__storage_close(st);
	assert_int_equal(access("rel-uri.db", F_OK), 0);
	assert_int_equal(access("plain:colon.db", F_OK), 0);
	assert_int_equal(chdir(cwd), 0);

	st = (bo_storage *)&st;
	/* a password on a command line is refused before any connection */
	assert_int_equal(bo__storage_open(&st, "postgres://u:hunter2@localhost/db"), BO_EINVAL);
	assert_null(st);
	assert_non_null(strstr(bo_error_last(), "PGPASSFILE"));
	assert_null(strstr(bo_error_last(), "hunter2"));
	assert_int_equal(bo__storage_open(&st, "mysql://localhost/db"), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "mysql"));
	assert_int_equal(bo__storage_open(&st, "sqlite://host/x.db"), BO_EINVAL);
	assert_int_equal(bo__storage_open(&st, "sqlite:"), BO_EINVAL);
	assert_int_equal(bo__storage_open(&st, ""), BO_EINVAL);
	assert_int_equal(bo__storage_open(&st, NULL), BO_EINVAL);
	assert_null(st);

	/* a folder that does not exist: SQLite's message comes through */
	snprintf(p, sizeof p, "%s/no/such/dir/x.db", tmpdir);
	assert_int_equal(bo__storage_open(&st, p), BO_EIO);
	assert_null(st);
	assert_non_null(strstr(bo_error_last(), "unable to open"));

	/* a file that is not a database */
	fresh_path(p, sizeof p, "garbage");
	{
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("this is not an sqlite database, just some text that is long enough "
		      "to have a header........................................\n", f);
		fclose(f);
	}
	assert_int_equal(bo__storage_open(&st, p), BO_EIO);
	assert_null(st);
	assert_non_null(strstr(bo_error_last(), p));
}

/* ---- schema ------------------------------------------------------------- */

static void test_migrate_empty_file(void **state)
{
	char p[4200];
	FILE *f;
	bo_storage *st;
	int64_t v1;
	(void)state;
	fresh_path(p, sizeof p, "empty");
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);

	st = open_ok(p);
	bo__storage_close(st);
	v1 = raw_int(p, "SELECT version FROM schema_version");
	assert_true(v1 >= 1);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
				    "name IN ('study_versions', 'runs', 'trials', 'trial_params', "
				    "'trial_metrics', 'trial_steps', 'trial_usage', 'events')"),
			 8);
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
		sqlite3_finalize(s);
		sqlite3_close(db);
	}

	/* opening again migrates nothing and keeps the data */
	st = open_ok(p);
	assert_int_equal(registered(st, "s", "h1", "sp"), 1);
	bo__storage_close(st);
	st = open_ok(p);
	bo__storage_close(st);
	assert_int_equal(raw_int(p, "SELECT version FROM schema_version"), v1);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM study_versions"), 1);
}

/* A ledger written at schema 1 (no pid_start, no cgroup) gains both
 * columns when opened, keeps its trials, and reads them with defaults. */
static void test_migrate_1_to_2(void **state)
{
	char p[4200];
	sqlite3 *db;
	bo_storage *st;
	bo_trial_rec got;
	(void)state;
	fresh_path(p, sizeof p, "v1");
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE schema_version(version INTEGER NOT NULL);"
		"INSERT INTO schema_version VALUES (1);"
		"CREATE TABLE study_versions(id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
		" space_hash TEXT NOT NULL, text TEXT NOT NULL, created_at REAL NOT NULL);"
		"CREATE TABLE runs(id INTEGER PRIMARY KEY, version INTEGER, pid INTEGER NOT NULL, host TEXT,"
		" seed INTEGER NOT NULL, sampler TEXT, started_at REAL NOT NULL, heartbeat_at REAL NOT NULL, ended_at REAL);"
		"CREATE TABLE trials(id INTEGER PRIMARY KEY, version INTEGER NOT NULL, run_id INTEGER,"
		" state TEXT NOT NULL, sampler TEXT, params_json TEXT, cost REAL, reserved REAL, price_version TEXT,"
		" reason TEXT, score REAL, feasible INTEGER NOT NULL DEFAULT -1, created_at REAL, started_at REAL,"
		" ended_at REAL, exit_code INTEGER NOT NULL DEFAULT -1, term_signal INTEGER NOT NULL DEFAULT 0,"
		" pid INTEGER NOT NULL DEFAULT 0, host TEXT, folder TEXT);"
		"CREATE TABLE trial_params(trial_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (trial_id, name));"
		"CREATE TABLE trial_metrics(trial_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (trial_id, name));"
		"CREATE TABLE trial_steps(trial_id INTEGER NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL,"
		" PRIMARY KEY (trial_id, step, name));"
		"CREATE TABLE trial_usage(trial_id INTEGER NOT NULL, resource TEXT NOT NULL, amount REAL, PRIMARY KEY (trial_id, resource));"
		"CREATE TABLE events(id INTEGER PRIMARY KEY, t REAL NOT NULL, run_id INTEGER, trial_id INTEGER,"
		" kind TEXT NOT NULL, amount REAL, detail TEXT);"
		"INSERT INTO study_versions VALUES (1, 's', 'h', 'sp', 'name: s', 1);"
		"INSERT INTO trials(id, version, state, pid, folder) VALUES (1, 1, 'running', 77, '/tmp/f');",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_ok(p);
	memset(&got, 0, sizeof got);
	assert_int_equal(st->ops->trial_get(st, 1, &got), 0);
	assert_int_equal(got.pid, 77);
	assert_int_equal(got.pid_start, 0);
	assert_null(got.cgroup);
	assert_string_equal(got.folder, "/tmp/f");
	bo__trial_rec_clear(&got);
	assert_int_equal(st->ops->trial_launched(st, 1, 78, 5, "/cg", NULL), 0);
	assert_int_equal(st->ops->trial_get(st, 1, &got), 0);
	assert_int_equal(got.pid_start, 5);
	assert_string_equal(got.cgroup, "/cg");
	assert_string_equal(got.folder, "/tmp/f");
	bo__trial_rec_clear(&got);
	bo__storage_close(st);
	assert_true(raw_int(p, "SELECT version FROM schema_version") >= 2);
}

static void test_too_new(void **state)
{
	char p[4200], want[128];
	bo_storage *st = (bo_storage *)&st;
	int64_t v;
	(void)state;
	/* what this program writes */
	fresh_path(p, sizeof p, "current");
	st = open_ok(p);
	bo__storage_close(st);
	v = raw_int(p, "SELECT version FROM schema_version");

	fresh_path(p, sizeof p, "too-new");
	raw_exec(p, "CREATE TABLE schema_version(version INTEGER);"
		    "INSERT INTO schema_version VALUES (99);");
	st = (bo_storage *)&st;
	assert_int_equal(bo__storage_open(&st, p), BO_ECONFLICT);
	assert_null(st);
	snprintf(want, sizeof want, "ledger schema version 99 is newer than this budgetopt (%lld)",
		 (long long)v);
	assert_non_null(strstr(bo_error_last(), want));
	/* and the file was left alone */
	assert_int_equal(raw_int(p, "SELECT version FROM schema_version"), 99);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'trials'"), 0);
}

/* ---- study versions ------------------------------------------------------ */

static void test_register(void **state)
{
	char p[4200];
	bo_storage *st, *st2;
	int64_t v = 77;
	char *text = NULL;
	bo_ledger_totals t;
	(void)state;
	fresh_path(p, sizeof p, "register");
	st = open_ok(p);

	assert_int_equal(st->ops->study_text(st, &text), 0);
	assert_null(text);

	assert_int_equal(registered(st, "digits", "h1", "space-a"), 1);
	assert_int_equal(registered(st, "digits", "h1", "space-a"), 1);
	assert_int_equal(registered(st, "digits", "h2", "space-a"), 2);
	assert_int_equal(registered(st, "digits", "h3", "space-a"), 3);
	/* going back to an older text gives its version back */
	assert_int_equal(registered(st, "digits", "h1", "space-a"), 1);

	assert_int_equal(st->ops->register_study(st, "digits", "x", "h4", "space-b", &v),
			 BO_ECONFLICT);
	assert_int_equal(v, 0);
	assert_non_null(strstr(bo_error_last(),
			       "the search space of study \"digits\" changed since it was "
			       "stored (version 3)"));
	assert_non_null(strstr(bo_error_last(), "--storage"));

	v = 5;
	assert_int_equal(st->ops->register_study(st, "other", "x", "h1", "space-a", &v),
			 BO_ECONFLICT);
	assert_int_equal(v, 0);
	assert_non_null(strstr(bo_error_last(), "\"digits\""));
	assert_non_null(strstr(bo_error_last(), "\"other\""));

	assert_int_equal(st->ops->register_study(st, NULL, "x", "h", "s", &v), BO_EMISUSE);

	/* the refused attempts left nothing behind */
	assert_int_equal(st->ops->totals(st, &t), 0);
	assert_int_equal(t.nversions, 3);
	assert_int_equal(st->ops->study_text(st, &text), 0);
	assert_string_equal(text, "name: digits\n# h3\n");
	bo__free(text);

	/* a second handle sees the same */
	st2 = open_ok(p);
	assert_int_equal(registered(st2, "digits", "h2", "space-a"), 2);
	bo__storage_close(st2);
	bo__storage_close(st);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM study_versions"), 3);
}

/* ---- runs ---------------------------------------------------------------- */

static int64_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (int64_t)pid;
}

static void test_runs(void **state)
{
	char p[4200];
	bo_storage *st;
	int64_t v, r1 = 0, r2 = 0, r3 = 0, r4 = 0;
	int64_t dead = dead_pid();
	bo_ledger_totals t;
	(void)state;
	fresh_path(p, sizeof p, "runs");
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");

	assert_int_equal(st->ops->totals(st, &t), 0);
	assert_true(t.elapsed_s == 0 && t.first_start == 0);

	/* a session of a process that is gone: unfinished, closed at its last
	 * heartbeat when the next session begins */
	assert_int_equal(st->ops->run_begin(st, v, dead, "hostA", 7, "tpe", 1000.25, &r1), 0);
	assert_true(r1 > 0);
	assert_int_equal(st->ops->run_heartbeat(st, r1, 1010.5), 0);
	assert_int_equal(st->ops->totals(st, &t), 0);
	assert_true(t.elapsed_s == 1010.5 - 1000.25);
	assert_true(t.first_start == 1000.25);

	assert_int_equal(st->ops->run_begin(st, v, (int64_t)getpid(), "hostA",
					    UINT64_MAX, "random", 2000.0, &r2), 0);
	assert_true(r2 > r1);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM runs WHERE ended_at IS NULL"), 1);
	assert_int_equal(raw_int(p, "SELECT ended_at = heartbeat_at FROM runs WHERE id = 1"), 1);
	/* the seed's 64 bits survive */
	assert_true((uint64_t)raw_int(p, "SELECT seed FROM runs WHERE id = 2") == UINT64_MAX);

	/* a live process of this host holding the study: refused */
	assert_int_equal(st->ops->run_end(st, r2, 2100.0), 0);
	assert_int_equal(st->ops->run_begin(st, v, (int64_t)getppid(), "hostA", 1, "tpe",
					    3000.0, &r3), 0);
	r4 = 99;
	assert_int_equal(st->ops->run_begin(st, v, (int64_t)getpid(), "hostA", 1, "tpe",
					    3001.0, &r4), BO_ECONFLICT);
	assert_int_equal(r4, 0);
	{
		char want[64];
		snprintf(want, sizeof want, "study is being run by pid %lld (started ",
			 (long long)getppid());
		assert_non_null(strstr(bo_error_last(), want));
	}
	/* another host: not ours to judge */
	assert_int_equal(st->ops->run_begin(st, v, (int64_t)getpid(), "hostB", 1, "tpe",
					    3002.0, &r4), 0);
	assert_int_equal(st->ops->run_heartbeat(st, r3, 3050.0), 0);
	assert_int_equal(st->ops->run_end(st, r4, 3010.0), 0);

	assert_int_equal(st->ops->run_heartbeat(st, 999, 1.0), BO_ENOTFOUND);
	assert_int_equal(st->ops->run_end(st, 999, 1.0), BO_ENOTFOUND);

	assert_int_equal(st->ops->totals(st, &t), 0);
	/* r1: 10.25 (closed at heartbeat); r2: 100; r3: open, 50 to its
	 * heartbeat; r4: 8 */
	assert_true(fabs(t.elapsed_s - (10.25 + 100.0 + 50.0 + 8.0)) < 1e-9);
	assert_true(t.first_start == 1000.25);
	bo__storage_close(st);
}

/* ---- trials -------------------------------------------------------------- */

static void test_trial_lifecycle(void **state)
{
	char p[4200];
	bo_storage *st;
	int64_t v, run, id = 0;
	bo_trial_rec t, got;
	bo_kv usage1[2] = {{"cpu_hours", 0.5}, {"gpu_hours.a100", 0.25}};
	bo_kv usage2[1] = {{"cpu_hours", 0.75}};
	bo_kv step[2] = {{"val_acc", 0.5}, {"loss", 1.25}};
	bo_kv metrics[2] = {{"accuracy", 0.9375}, {"latency_ms", 1.5}};
	bo_kv fusage[2] = {{"cpu_hours", 1.0}, {"wall_s", 60.0}};
	bo_event *ev = NULL;
	size_t nev = 0;
	bo_ledger_totals tot;
	(void)state;
	fresh_path(p, sizeof p, "life");
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "hostA", 1, "tpe", 4000, &run), 0);

	start_trial(st, v, run, 0.125, &id);
	assert_int_equal(id, 1);
	start_trial(st, v, run, 0.25, &id);
	assert_int_equal(id, 2);

	assert_int_equal(st->ops->trial_launched(st, 1, 4242, 987654321987LL, "/sys/fs/cgroup/x", "/tmp/t1"), 0);
	assert_int_equal(st->ops->trial_launched(st, 9, 4242, 1, NULL, "/tmp/t9"), BO_ENOTFOUND);

	assert_int_equal(st->ops->trial_progress(st, 1, usage1, 2), 0);
	assert_int_equal(st->ops->trial_progress(st, 1, usage2, 1), 0);   /* replaces */
	assert_int_equal(st->ops->trial_progress(st, 9, usage2, 1), BO_ENOTFOUND);
	assert_int_equal(st->ops->trial_step(st, 1, 3, step, 2), 0);
	assert_int_equal(st->ops->trial_step(st, 1, 4, step, 1), 0);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM trial_steps WHERE trial_id = 1"), 3);
	assert_int_equal(st->ops->trial_step(st, 9, 1, step, 1), BO_ENOTFOUND);

	assert_int_equal(st->ops->trial_get(st, 1, &got), 0);
	assert_int_equal(got.id, 1);
	assert_int_equal(got.state, BO_TRIAL_RUNNING);
	assert_int_equal(got.version, v);
	assert_int_equal(got.run_id, run);
	assert_string_equal(got.sampler, "tpe");
	assert_non_null(strstr(got.params_json, "\"lr\""));
	assert_int_equal(got.nparams, 2);
	assert_string_equal(got.params[0].name, "lr");
	assert_true(got.params[0].value == 0.001 * 1 + 2.385e-5);
	assert_string_equal(got.params[1].name, "family");
	assert_true(got.params[1].value == 2.0);
	assert_int_equal(got.nusage, 1);
	assert_string_equal(got.usage[0].name, "cpu_hours");
	assert_true(got.usage[0].value == 0.75);
	assert_int_equal(got.nmetrics, 0);
	assert_true(isnan(got.cost));
	assert_true(got.reserved == 0.125);
	assert_true(isnan(got.score));
	assert_int_equal(got.feasible, -1);
	assert_true(got.created_at == 5000.0);
	assert_true(got.started_at == 5000.5);
	assert_true(got.ended_at == 0);
	assert_int_equal(got.exit_code, -1);
	assert_int_equal(got.term_signal, 0);
	assert_int_equal(got.pid, 4242);
	assert_int_equal(got.pid_start, 987654321987LL);
	assert_string_equal(got.cgroup, "/sys/fs/cgroup/x");
	assert_string_equal(got.host, "hostA");
	assert_string_equal(got.folder, "/tmp/t1");
	assert_null(got.reason);
	assert_null(got.price_version);
	bo__trial_rec_clear(&got);
	assert_int_equal(got.id, 0);
	assert_null(got.params);

	assert_int_equal(st->ops->trial_get(st, 77, &got), BO_ENOTFOUND);
	assert_null(got.params);

	/* finish trial 1 */
	memset(&t, 0, sizeof t);
	t.id = 1;
	t.run_id = run;
	t.state = BO_TRIAL_COMPLETE;
	t.nmetrics = 2;
	t.metrics = metrics;
	t.nusage = 2;
	t.usage = fusage;
	t.cost = 0.0625;
	t.price_version = "2026-11";
	t.score = 12.5;
	t.feasible = 1;
	t.ended_at = 5100.0;
	t.exit_code = 0;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
	/* never twice */
	t.cost = 100.0;
	assert_int_equal(st->ops->trial_finish(st, &t), BO_ECONFLICT);
	assert_non_null(strstr(bo_error_last(), "trial 1 is complete"));
	assert_int_equal(st->ops->trial_progress(st, 1, usage1, 2), BO_ECONFLICT);
	assert_int_equal(st->ops->trial_step(st, 1, 9, step, 1), BO_ECONFLICT);
	t.id = 9;
	assert_int_equal(st->ops->trial_finish(st, &t), BO_ENOTFOUND);
	t.id = 2;
	t.state = BO_TRIAL_RUNNING;
	assert_int_equal(st->ops->trial_finish(st, &t), BO_EINVAL);

	/* trial 2 fails, killed by a signal */
	memset(&t, 0, sizeof t);
	t.id = 2;
	t.run_id = run;
	t.state = BO_TRIAL_FAILED;
	t.cost = 0.03125;
	t.reason = "killed by signal 9";
	t.score = NAN;
	t.feasible = -1;
	t.ended_at = 5200.0;
	t.exit_code = -1;
	t.term_signal = 9;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);

	assert_int_equal(st->ops->trial_get(st, 1, &got), 0);
	assert_int_equal(got.state, BO_TRIAL_COMPLETE);
	assert_true(got.cost == 0.0625);
	assert_true(got.score == 12.5);
	assert_int_equal(got.feasible, 1);
	assert_true(got.ended_at == 5100.0);
	assert_int_equal(got.exit_code, 0);
	assert_string_equal(got.price_version, "2026-11");
	assert_int_equal(got.nmetrics, 2);
	assert_true(bo__kv_get(got.metrics, got.nmetrics, "accuracy") == 0.9375);
	assert_true(bo__kv_get(got.metrics, got.nmetrics, "latency_ms") == 1.5);
	assert_int_equal(got.nusage, 2);  /* replaced, not merged with progress */
	assert_true(bo__kv_get(got.usage, got.nusage, "cpu_hours") == 1.0);
	assert_true(bo__kv_get(got.usage, got.nusage, "wall_s") == 60.0);
	assert_true(got.started_at == 5000.5);   /* kept when the finish gives none */
	bo__trial_rec_clear(&got);
	assert_int_equal(st->ops->trial_get(st, 2, &got), 0);
	assert_int_equal(got.state, BO_TRIAL_FAILED);
	assert_string_equal(got.reason, "killed by signal 9");
	assert_int_equal(got.term_signal, 9);
	bo__trial_rec_clear(&got);

	assert_int_equal(st->ops->event(st, run, 0, "stop", NAN, "budget reached", 5300.0), 0);
	assert_int_equal(st->ops->event(st, 0, 0, "note", 1.5, NULL, 0), 0);
	assert_int_equal(st->ops->event(st, 0, 0, NULL, 1.5, NULL, 0), BO_EMISUSE);

	assert_int_equal(st->ops->events(st, &ev, &nev), 0);
	assert_int_equal(nev, 6);
	assert_string_equal(ev[0].kind, "reserve");
	assert_int_equal(ev[0].trial_id, 1);
	assert_int_equal(ev[0].run_id, run);
	assert_true(ev[0].amount == 0.125);
	assert_true(ev[0].t == 5000.0);
	assert_string_equal(ev[1].kind, "reserve");
	assert_true(ev[1].amount == 0.25);
	assert_string_equal(ev[2].kind, "charge");
	assert_int_equal(ev[2].trial_id, 1);
	assert_true(ev[2].amount == 0.0625);
	assert_true(ev[2].t == 5100.0);
	assert_string_equal(ev[3].kind, "charge");
	assert_true(ev[3].amount == 0.03125);
	assert_string_equal(ev[4].kind, "stop");
	assert_true(isnan(ev[4].amount));
	assert_string_equal(ev[4].detail, "budget reached");
	assert_int_equal(ev[4].trial_id, 0);
	assert_string_equal(ev[5].kind, "note");
	assert_int_equal(ev[5].run_id, 0);
	assert_null(ev[5].detail);
	assert_true(ev[5].t > 1.6e9);   /* "now" filled in by the ledger */
	for (size_t i = 1; i < nev; i++)
		assert_true(ev[i].id > ev[i - 1].id);
	bo__event_free_array(ev, nev);

	assert_int_equal(st->ops->totals(st, &tot), 0);
	assert_true(tot.spent == 0.0625 + 0.03125);   /* the refused finish charged nothing */
	assert_int_equal(tot.ntrials, 2);
	assert_int_equal(tot.by_state[BO_TRIAL_COMPLETE], 1);
	assert_int_equal(tot.by_state[BO_TRIAL_FAILED], 1);
	assert_int_equal(tot.by_state[BO_TRIAL_RUNNING], 0);
	bo__storage_close(st);
}

/* Sort key of a record as the ledger defines it (NaN: none). */
static const char *cmp_sort;
static int cmp_desc;

static double key_of(const bo_trial_rec *r, const char *name)
{
	if (strcmp(name, "id") == 0)
		return (double)r->id;
	if (strcmp(name, "cost") == 0)
		return r->cost;
	if (strcmp(name, "score") == 0)
		return r->score;
	return bo__kv_get(r->metrics, r->nmetrics, name);
}

static int cmp_rec(const void *a, const void *b)
{
	const bo_trial_rec *x = a, *y = b;
	double kx = key_of(x, cmp_sort), ky = key_of(y, cmp_sort);
	int nx = isnan(kx), ny = isnan(ky);
	if (nx != ny)
		return nx - ny;
	if (!nx && kx != ky)
		return ((kx < ky) ? -1 : 1) * (cmp_desc ? -1 : 1);
	return (x->id > y->id) - (x->id < y->id);
}

#define NBIG 150

static void fill_ledger(bo_storage *st, int64_t *ver)
{
	int64_t v, run, id = 0;
	int i;
	v = registered(st, "big", "h", "sp");
	*ver = v;
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "h", 3, "random", 100.0, &run), 0);
	for (i = 0; i < NBIG; i++) {
		bo_trial_rec t;
		bo_kv m[2] = {{"acc", 0}, {"lat", 0}};
		bo_kv u[1] = {{"cpu_hours", 0}};
		double r = urand();
		start_trial(st, v, run, 0.5, &id);
		if (i % 10 == 9)
			continue;   /* stays running */
		memset(&t, 0, sizeof t);
		t.id = id;
		t.run_id = run;
		t.state = r < 0.6 ? BO_TRIAL_COMPLETE : r < 0.8 ? BO_TRIAL_PRUNED : BO_TRIAL_FAILED;
		/* few distinct values: ties; some NaN: NULLs last */
		t.cost = (i % 11 == 3) ? NAN : 0.125 * (double)(int)(urand() * 6);
		t.score = (i % 7 == 2) ? NAN : (double)(int)(urand() * 20) / 4.0;
		m[0].value = (i % 5 == 1) ? NAN : (double)(int)(urand() * 10) / 8.0;
		m[1].value = 2.385 * urand();
		u[0].value = urand();
		t.metrics = m;
		t.nmetrics = (i % 13 == 4) ? 0 : 2;   /* some trials have no metric at all */
		t.usage = u;
		t.nusage = 1;
		t.feasible = i % 2;
		t.ended_at = 200.0 + i;
		assert_int_equal(st->ops->trial_finish(st, &t), 0);
	}
	assert_int_equal(st->ops->run_end(st, run, 400.0), 0);
}

static void check_sorted(bo_storage *st, const bo_trial_rec *all, size_t nall,
			 const char *sort, int64_t limit)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *got = NULL, *want;
	size_t n = 0, i, nwant;
	q.sort = sort;
	q.limit = limit;
	assert_int_equal(st->ops->trials(st, &q, &got, &n), 0);
	want = malloc(nall * sizeof *want);
	assert_non_null(want);
	memcpy(want, all, nall * sizeof *want);
	cmp_desc = sort[0] == '-';
	cmp_sort = sort + cmp_desc;
	qsort(want, nall, sizeof *want, cmp_rec);
	nwant = limit > 0 && (size_t)limit < nall ? (size_t)limit : nall;
	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		if (got[i].id != want[i].id)
			fail_msg("sort %s limit %lld: position %zu is trial %lld, want %lld", sort,
				 (long long)limit, i, (long long)got[i].id, (long long)want[i].id);
		/* children loaded on both paths (per trial and bulk) */
		assert_int_equal(got[i].nmetrics, want[i].nmetrics);
		assert_int_equal(got[i].nusage, want[i].nusage);
		assert_int_equal(got[i].nparams, want[i].nparams);
	}
	free(want);
	bo__trial_rec_free_array(got, n);
}

static void test_totals_and_sort(void **state)
{
	char p[4200];
	bo_storage *st;
	int64_t v;
	bo_trial_rec *all = NULL, *sub = NULL;
	size_t nall = 0, nsub = 0, i;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_ledger_totals tot;
	double spent = 0;
	int64_t by_state[5] = {0};
	const char *sorts[] = {"id", "-id", "cost", "-cost", "score", "-score",
			       "acc", "-acc", "lat", "-lat", "nosuch", ""};
	int s;
	(void)state;
	fresh_path(p, sizeof p, "big");
	st = open_ok(p);
	fill_ledger(st, &v);

	assert_int_equal(st->ops->trials(st, NULL, &all, &nall), 0);
	assert_int_equal(nall, NBIG);
	for (i = 0; i < nall; i++) {
		assert_int_equal(all[i].id, (int64_t)i + 1);
		assert_int_equal(all[i].nparams, 2);
		if (!isnan(all[i].cost))
			spent += all[i].cost;
		by_state[all[i].state]++;
	}
	assert_int_equal(st->ops->totals(st, &tot), 0);
	assert_true(fabs(tot.spent - spent) <= 1e-12 * (1 + spent));
	assert_true(spent > 0);
	assert_int_equal(tot.ntrials, NBIG);
	for (s = 0; s < 5; s++)
		assert_int_equal(tot.by_state[s], by_state[s]);
	assert_int_equal(tot.by_state[BO_TRIAL_RUNNING], NBIG / 10);
	assert_true(tot.elapsed_s == 300.0);
	assert_true(tot.first_start == 100.0);
	assert_int_equal(tot.nversions, 1);

	/* each record equals trial_get of it (bulk and single paths agree) */
	for (i = 0; i < nall; i += 17) {
		bo_trial_rec one;
		size_t k;
		assert_int_equal(st->ops->trial_get(st, all[i].id, &one), 0);
		assert_int_equal(one.nmetrics, all[i].nmetrics);
		for (k = 0; k < one.nmetrics; k++) {
			assert_string_equal(one.metrics[k].name, all[i].metrics[k].name);
			assert_true(one.metrics[k].value == all[i].metrics[k].value ||
				    (isnan(one.metrics[k].value) && isnan(all[i].metrics[k].value)));
		}
		assert_true(one.cost == all[i].cost || (isnan(one.cost) && isnan(all[i].cost)));
		bo__trial_rec_clear(&one);
	}

	for (s = 0; s < (int)(sizeof sorts / sizeof sorts[0]); s++) {
		check_sorted(st, all, nall, sorts[s], 0);     /* bulk loading */
		check_sorted(st, all, nall, sorts[s], 10);    /* per-trial loading */
		check_sorted(st, all, nall, sorts[s], 1000);
	}

	/* filter by state */
	for (s = 0; s < 5; s++) {
		q.state = s;
		q.sort = "-cost";
		assert_int_equal(st->ops->trials(st, &q, &sub, &nsub), 0);
		assert_int_equal(nsub, by_state[s]);
		for (i = 0; i < nsub; i++)
			assert_int_equal(sub[i].state, s);
		bo__trial_rec_free_array(sub, nsub);
	}
	q.state = 7;
	assert_int_equal(st->ops->trials(st, &q, &sub, &nsub), BO_EINVAL);
	assert_null(sub);
	bo__trial_rec_free_array(all, nall);
	bo__storage_close(st);
}

static void test_nan_roundtrip(void **state)
{
	char p[4200];
	bo_storage *st;
	int64_t v, run, id = 0;
	bo_trial_rec t, got;
	bo_kv m[2] = {{"a", NAN}, {"b", INFINITY}};
	bo_kv u[1] = {{"x", NAN}};
	bo_event *ev;
	size_t nev;
	(void)state;
	fresh_path(p, sizeof p, "nan");
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "h", 1, "r", 1.0, &run), 0);
	start_trial(st, v, run, NAN, &id);
	memset(&t, 0, sizeof t);
	t.id = id;
	t.state = BO_TRIAL_FAILED;
	t.cost = NAN;
	t.score = NAN;
	t.metrics = m;
	t.nmetrics = 2;
	t.usage = u;
	t.nusage = 1;
	t.ended_at = 2.0;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
	assert_int_equal(st->ops->trial_get(st, id, &got), 0);
	assert_true(isnan(got.cost));
	assert_true(isnan(got.reserved));
	assert_true(isnan(got.score));
	assert_true(isnan(bo__kv_get(got.metrics, got.nmetrics, "a")));
	assert_int_equal(got.nmetrics, 2);   /* present, with no value */
	assert_true(isinf(bo__kv_get(got.metrics, got.nmetrics, "b")));
	assert_true(isnan(got.usage[0].value));
	bo__trial_rec_clear(&got);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM trials WHERE cost IS NULL AND "
				    "score IS NULL AND reserved IS NULL"), 1);
	assert_int_equal(st->ops->events(st, &ev, &nev), 0);
	assert_int_equal(nev, 2);
	assert_true(isnan(ev[0].amount) && isnan(ev[1].amount));
	bo__event_free_array(ev, nev);
	{
		bo_ledger_totals tot;
		assert_int_equal(st->ops->totals(st, &tot), 0);
		assert_true(tot.spent == 0);   /* NULL costs count 0 */
	}
	bo__storage_close(st);
}

static void test_injection(void **state)
{
	static const char evil[] = "x'); DROP TABLE trials;--";
	static const char evil2[] = "\"; DELETE FROM events; SELECT '";
	char p[4200];
	bo_storage *st;
	int64_t v, run, id = 0;
	bo_trial_rec t, *got = NULL;
	size_t n = 0;
	bo_kv m[2] = {{(char *)evil, 2.385}, {(char *)evil2, -4.0}};
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	char *text = NULL;
	(void)state;
	fresh_path(p, sizeof p, "inject");
	st = open_ok(p);
	v = registered(st, evil, evil2, evil);
	assert_int_equal(registered(st, evil, evil2, evil), v);
	assert_int_equal(st->ops->run_begin(st, v, getpid(), evil, 1, evil2, 1.0, &run), 0);
	start_trial(st, v, run, 0.5, &id);
	start_trial(st, v, run, 0.5, &id);
	memset(&t, 0, sizeof t);
	t.id = 1;
	t.state = BO_TRIAL_FAILED;
	t.reason = (char *)evil2;
	t.price_version = (char *)evil;
	t.metrics = m;
	t.nmetrics = 2;
	t.cost = 1;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
	assert_int_equal(st->ops->event(st, run, 1, evil, 1.0, evil2, 3.0), 0);

	q.sort = "-x'); DROP TABLE trials;--";
	assert_int_equal(st->ops->trials(st, &q, &got, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].id, 1);   /* the one with the metric comes first */
	assert_int_equal(got[0].nmetrics, 2);
	assert_string_equal(got[0].metrics[0].name, evil);
	assert_true(got[0].metrics[0].value == 2.385);
	assert_string_equal(got[0].metrics[1].name, evil2);
	assert_string_equal(got[0].reason, evil2);
	assert_string_equal(got[0].price_version, evil);
	bo__trial_rec_free_array(got, n);
	assert_int_equal(st->ops->study_text(st, &text), 0);
	assert_non_null(strstr(text, evil));
	bo__free(text);
	bo__storage_close(st);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM trials"), 2);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM events"), 4);
	assert_int_equal(raw_int(p, "SELECT COUNT(*) FROM study_versions"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_migrate_empty_file),
		cmocka_unit_test(test_migrate_1_to_2),
		cmocka_unit_test(test_too_new),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_trial_lifecycle),
		cmocka_unit_test(test_totals_and_sort),
		cmocka_unit_test(test_nan_roundtrip),
		cmocka_unit_test(test_injection),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
