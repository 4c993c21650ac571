/*
 * tests/unit/test_sqlite_durability.c - the SQLite ledger under stress: a
 * reader beside an open write transaction, the checkpoint that leaves the
 * main file whole, the spend journal one record behind after a crash, and
 * every allocation failing in turn. Split from test_sqlite.c, whose
 * helpers (sqlite_world.h) it shares; like it, it works on fresh files in
 * a scratch folder and checks them with the plain sqlite3 API.
 */
#include "sqlite_world.h"

static void test_concurrent_reader(void **state)
{
	char p[4200];
	bo_storage *st, *rd = NULL;
	sqlite3 *w = NULL;
	int64_t v, run, id = 0;
	bo_event *ev;
	size_t nev;
	bo_trial_rec *tr;
	size_t ntr;
	bo_ledger_totals tot;
	char *text;
	(void)state;
	fresh_path(p, sizeof p, "conc");
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "h", 1, "r", 1.0, &run), 0);
	start_trial(st, v, run, 0.5, &id);
	bo__storage_close(st);

	/* a writer holds an open write transaction */
	assert_int_equal(sqlite3_open(p, &w), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE; "
				      "INSERT INTO events(t, kind, amount) VALUES (9, 'late', 1);",
				      NULL, NULL, NULL), SQLITE_OK);

	/* a reader opens and reads without waiting, and sees committed data */
	assert_int_equal(bo__storage_open(&rd, p), 0);
	assert_int_equal(rd->ops->events(rd, &ev, &nev), 0);
	assert_int_equal(nev, 1);
	bo__event_free_array(ev, nev);
	assert_int_equal(rd->ops->totals(rd, &tot), 0);
	assert_int_equal(tot.ntrials, 1);
	assert_int_equal(rd->ops->trials(rd, NULL, &tr, &ntr), 0);
	assert_int_equal(ntr, 1);
	bo__trial_rec_free_array(tr, ntr);
	assert_int_equal(rd->ops->study_text(rd, &text), 0);
	assert_non_null(text);
	bo__free(text);

	assert_int_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(rd->ops->events(rd, &ev, &nev), 0);
	assert_int_equal(nev, 2);
	assert_string_equal(ev[1].kind, "late");
	bo__event_free_array(ev, nev);

	/* and the reader does not block the writer: its reads ended */
	assert_int_equal(sqlite3_exec(w, "BEGIN IMMEDIATE; DELETE FROM events WHERE kind = 'late';"
				      " COMMIT;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(w, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(w);
	bo__storage_close(rd);
}

/* Runs a scenario from a fresh file with the k-th allocation failing. */
/* Every BO_LEDGER_CHECKPOINT_TRIALS finished trials the main file alone
 * holds them (read here from a copy of it without its -wal, while the
 * ledger is still open, as after a crash and a lost WAL); the files are
 * private; the journal records each charge. */
static void test_checkpoint_and_modes(void **state)
{
	char p[4200], copy[4300], cmd[9000], wal[4300], jr[4300];
	bo_storage *st;
	int64_t v, run, id = 0, i;
	struct stat sb;
	double want = 0;
	(void)state;
	fresh_path(p, sizeof p, "ckpt");
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "hostA", 1, "tpe", 4000, &run), 0);
	for (i = 1; i <= BO_LEDGER_CHECKPOINT_TRIALS; i++) {
		bo_trial_rec t;
		start_trial(st, v, run, 1.0, &id);
		memset(&t, 0, sizeof t);
		t.id = id;
		t.state = BO_TRIAL_COMPLETE;
		t.cost = 0.125 * (double)i + 2.385e-3;
		t.score = NAN;
		t.feasible = -1;
		t.ended_at = 6000.0 + (double)i;
		t.exit_code = 0;
		want += t.cost;
		assert_int_equal(st->ops->trial_finish(st, &t), 0);
	}
	snprintf(copy, sizeof copy, "%s.copy", p);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", p, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(raw_int(copy, "SELECT COUNT(*) FROM trials WHERE state = 'complete'"),
			 BO_LEDGER_CHECKPOINT_TRIALS);
	snprintf(wal, sizeof wal, "%s-wal", p);
	snprintf(jr, sizeof jr, "%s.spend", p);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(jr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	{
		bo_journal j = BO_JOURNAL_INIT;
		assert_int_equal(bo__journal_read(&j, jr), 0);
		assert_int_equal(j.n, BO_LEDGER_CHECKPOINT_TRIALS);
		assert_true(fabs(bo__journal_spent(&j) - want) <= 1e-12 * want);
		bo__journal_clear(&j);
	}
	bo__storage_close(st);
	remove_db(copy);
	remove_db(p);
}

/* Drops the last n lines of a file. */
static void drop_lines(const char *path, int n)
{
	char buf[65536];
	size_t len;
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	while (n-- > 0) {
		assert_true(len > 0);
		len--;   /* the newline ending the last line */
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	}
	assert_int_equal(truncate(path, (off_t)len), 0);
}

/* A runner killed between a commit and its journal line leaves the journal
 * one record behind: readers accept it, the next writer writes the missing
 * line; two records behind is refused, naming doctor. */
static void test_journal_crash_window(void **state)
{
	char p[4200], jr[4300];
	bo_storage *st;
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	int64_t v, run, id = 0;
	bo_journal j = BO_JOURNAL_INIT;
	bo_trial_rec t;
	(void)state;
	fresh_path(p, sizeof p, "window");
	snprintf(jr, sizeof jr, "%s.spend", p);
	st = open_ok(p);
	v = registered(st, "s", "h", "sp");
	assert_int_equal(st->ops->run_begin(st, v, getpid(), "hostA", 1, "tpe", 4000, &run), 0);
	start_trial(st, v, run, 1.0, &id);
	start_trial(st, v, run, 1.0, &id);
	memset(&t, 0, sizeof t);
	t.id = 2;
	t.state = BO_TRIAL_FAILED;
	t.cost = 0.375;
	t.score = NAN;
	t.feasible = -1;
	t.exit_code = 1;
	assert_int_equal(st->ops->trial_finish(st, &t), 0);
	bo__storage_close(st);

	drop_lines(jr, 1);   /* the charge of trial 2 never reached the journal */
	st = open_ok(p);     /* a reader: tolerated, nothing written */
	bo__storage_close(st);
	assert_int_equal(bo__journal_read(&j, jr), 0);
	assert_false(bo__journal_find(&j, 2)->charged);
	lo.writer = 1;
	assert_int_equal(bo__storage_open_ex(&st, p, &lo), 0);
	bo__storage_close(st);
	assert_int_equal(bo__journal_read(&j, jr), 0);
	assert_true(bo__journal_find(&j, 2)->charged);
	assert_true(bo__journal_find(&j, 2)->cost == 0.375);
	assert_int_equal(j.nbad, 0);

	drop_lines(jr, 2);   /* two records behind: not a crash */
	st = NULL;
	lo.study_path = "study.yaml";
	assert_int_equal(bo__storage_open_ex(&st, p, &lo), BO_ECONFLICT);
	assert_null(st);
	assert_non_null(strstr(bo_error_last(), "budgetopt doctor study.yaml"));
	bo__journal_clear(&j);
	remove_db(p);
}

static int torture_scenario(const char *path)
{
	bo_storage *st = NULL;
	int64_t v = 0, run = 0;
	bo_trial_rec t, *all = NULL, one;
	bo_kv params[1] = {{"p", 1.5}};
	bo_kv m[2] = {{"acc", 0.5}, {"lat", 3.0}};
	size_t n = 0;
	int rc;
	bo_event *ev = NULL;
	size_t nev = 0;
	char *text = NULL;

	memset(&one, 0, sizeof one);
	rc = bo__storage_open(&st, path);
	if (rc) {
		if (st)
			fail_msg("open failed but returned a handle");
		return rc;
	}
	if ((rc = st->ops->register_study(st, "s", "text", "h", "sp", &v)))
		goto done;
	if ((rc = st->ops->run_begin(st, v, getpid(), "h", 1, "r", 1.0, &run)))
		goto done;
	memset(&t, 0, sizeof t);
	t.version = v;
	t.params = params;
	t.nparams = 1;
	t.sampler = "r";
	if ((rc = st->ops->trial_start(st, &t)))
		goto done;
	t.state = BO_TRIAL_COMPLETE;
	t.metrics = m;
	t.nmetrics = 2;
	t.cost = 1.0;
	if ((rc = st->ops->trial_finish(st, &t)))
		goto done;
	if ((rc = st->ops->trials(st, NULL, &all, &n)))
		goto done;
	if (n != 1 || all[0].nmetrics != 2)
		fail_msg("trials: %zu", n);
	if ((rc = st->ops->trial_get(st, 1, &one)))
		goto done;
	if ((rc = st->ops->events(st, &ev, &nev)))
		goto done;
	if ((rc = st->ops->study_text(st, &text)))
		goto done;
done:
	bo__free(text);
	bo__event_free_array(ev, nev);
	bo__trial_rec_clear(&one);
	bo__trial_rec_free_array(all, n);
	bo__storage_close(st);
	return rc;
}

static void test_alloc_torture(void **state)
{
	char p[4200];
	size_t k, used;
	int rc, failures = 0;
	(void)state;
	fresh_path(p, sizeof p, "torture");
	for (k = 1;; k++) {
		remove_db(p);
		bo__alloc_fail_at(k);
		rc = torture_scenario(p);
		used = bo__alloc_fail_at(0);
		if (used < k) {
			/* the k-th allocation never came: the full run succeeded */
			if (rc)
				fail_msg("no failure injected, yet %d: %s", rc, bo_error_last());
			break;
		}
		if (rc != BO_ENOMEM)
			fail_msg("allocation %zu failed: got %d (%s), want BO_ENOMEM", k, rc,
				 bo_error_last());
		assert_non_null(strstr(bo_error_last(), "out of memory"));
		failures++;
		/* what was committed before the failure is readable and consistent */
		{
			bo_storage *st = NULL;
			bo_ledger_totals tot;
			assert_int_equal(bo__storage_open(&st, p), 0);
			assert_int_equal(st->ops->totals(st, &tot), 0);
			assert_true(tot.ntrials <= 1);
			assert_true(tot.spent == (tot.by_state[BO_TRIAL_COMPLETE] ? 1.0 : 0.0));
			bo__storage_close(st);
		}
	}
	assert_true(failures >= 5);   /* the scenario does allocate */
	remove_db(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_and_modes),
		cmocka_unit_test(test_journal_crash_window),
		cmocka_unit_test(test_concurrent_reader),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
