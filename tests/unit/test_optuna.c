/*
 * tests/unit/test_optuna.c - reading Optuna storages (storage/optuna.c).
 *
 * Distribution JSON in every form Optuna writes (distribution_to_json of
 * the current and the legacy classes), the datetimes it stores, and a
 * small storage built here with Optuna's schema (the tables and columns of
 * revision v3.0.0.d) read back, under failing allocations too. The
 * end-to-end comparison with Optuna itself is tests/optuna/run-import.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "runner/import_optuna.h"
#include "storage/optuna.h"
#include "storage/storage.h"

static void dist_forms(void **state)
{
	static const struct {
		const char *json;
		bo_optuna_kind kind;
		double low, high, step;
		int log;
	} ok[] = {
		{"{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": -2.385, \"high\": 3.25, \"log\": false}}",
		 BO_OPTUNA_FLOAT, -2.385, 3.25, 0, 0},
		{"{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, \"high\": 0.3, \"log\": true}}",
		 BO_OPTUNA_FLOAT, 0.0001, 0.3, 0, 1},
		{"{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": 0.125, \"low\": 0.0, \"high\": 1.0, \"log\": false}}",
		 BO_OPTUNA_FLOAT, 0, 1, 0.125, 0},
		{"{\"name\": \"IntDistribution\", \"attributes\": {\"log\": false, \"step\": 3, \"low\": 0, \"high\": 12}}",
		 BO_OPTUNA_INT, 0, 12, 3, 0},
		{"{\"name\": \"IntDistribution\", \"attributes\": {\"log\": true, \"step\": 1, \"low\": 2, \"high\": 64}}",
		 BO_OPTUNA_INT, 2, 64, 1, 1},
		{"{\"name\": \"UniformDistribution\", \"attributes\": {\"low\": 0.5, \"high\": 2.5}}",
		 BO_OPTUNA_FLOAT, 0.5, 2.5, 0, 0},
		{"{\"name\": \"LogUniformDistribution\", \"attributes\": {\"low\": 0.001, \"high\": 10}}",
		 BO_OPTUNA_FLOAT, 0.001, 10, 0, 1},
		{"{\"name\": \"DiscreteUniformDistribution\", \"attributes\": {\"low\": 0.0, \"high\": 1.0, \"q\": 0.1}}",
		 BO_OPTUNA_FLOAT, 0, 1, 0.1, 0},
		{"{\"name\": \"IntUniformDistribution\", \"attributes\": {\"low\": 1, \"high\": 9, \"step\": 2}}",
		 BO_OPTUNA_INT, 1, 9, 2, 0},
		{"{\"name\": \"IntLogUniformDistribution\", \"attributes\": {\"step\": 1, \"low\": 1, \"high\": 100}}",
		 BO_OPTUNA_INT, 1, 100, 1, 1},
		{"{\"name\": \"IntUniformDistribution\", \"attributes\": {\"low\": 1, \"high\": 9}}",
		 BO_OPTUNA_INT, 1, 9, 1, 0},
	};
	static const char *const bad[] = {
		NULL, "", "[]", "{\"name\": \"FloatDistribution\"}",
		"{\"name\": \"WeirdDistribution\", \"attributes\": {}}",
		"{\"name\": \"FloatDistribution\", \"attributes\": {\"low\": 3, \"high\": 1}}",
		"{\"name\": \"FloatDistribution\", \"attributes\": {\"low\": 0, \"high\": 1, \"log\": true}}",
		"{\"name\": \"FloatDistribution\", \"attributes\": {\"low\": \"a\", \"high\": 1}}",
		"{\"name\": \"IntDistribution\", \"attributes\": {\"low\": 1, \"high\": 9, \"step\": -1}}",
		"{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": []}}",
		"{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": 3}}",
	};
	size_t i;
	bo_optuna_dist d;
	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(bo__optuna_dist_parse(ok[i].json, &d), 0);
		assert_int_equal(d.kind, ok[i].kind);
		assert_true(d.low == ok[i].low && d.high == ok[i].high);
		assert_true(d.step == ok[i].step);
		assert_int_equal(d.log, ok[i].log);
		assert_null(d.choices);
	}
	assert_int_equal(bo__optuna_dist_parse("{\"name\": \"CategoricalDistribution\", \"attributes\": "
					       "{\"choices\": [\"a\", 3, null, true, 2.5]}}", &d), 0);
	assert_int_equal(d.kind, BO_OPTUNA_CATEGORICAL);
	assert_int_equal(json_array_size(d.choices), 5);
	assert_true(json_is_null(json_array_get(d.choices, 2)));
	json_decref(d.choices);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(bo__optuna_dist_parse(bad[i], &d), BO_EINVAL);
		assert_null(d.choices);
	}
}

static void times(void **state)
{
	struct tm tm;
	time_t want;
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 5;
	tm.tm_hour = 14;
	tm.tm_min = 3;
	tm.tm_sec = 7;
	want = timegm(&tm);
	assert_true(bo__optuna_time_parse("2026-11-05 14:03:07.123456") == (double)want + 0.123456);
	assert_true(bo__optuna_time_parse("2026-11-05 14:03:07") == (double)want);
	assert_true(bo__optuna_time_parse("2026-11-05T14:03:07.5") == (double)want + 0.5);
	assert_true(isnan(bo__optuna_time_parse(NULL)));
	assert_true(isnan(bo__optuna_time_parse("")));
	assert_true(isnan(bo__optuna_time_parse("2026-13-05 14:03:07")));
	assert_true(isnan(bo__optuna_time_parse("2026-11-05 14:03:07 junk")));
	assert_true(isnan(bo__optuna_time_parse("yesterday")));
}

static void source_paths(void **state)
{
	char buf[256];
	(void)state;
	assert_int_equal(bo__optuna_source_path("sqlite:///optuna.db", buf, sizeof buf), 0);
	assert_string_equal(buf, "optuna.db");
	assert_int_equal(bo__optuna_source_path("sqlite:////abs/o.db", buf, sizeof buf), 0);
	assert_string_equal(buf, "/abs/o.db");
	assert_int_equal(bo__optuna_source_path("plain/o.db", buf, sizeof buf), 0);
	assert_string_equal(buf, "plain/o.db");
	assert_int_equal(bo__optuna_source_path("postgresql://u@h/db", buf, sizeof buf), BO_EINVAL);
	assert_int_equal(bo__optuna_source_path("sqlite:///", buf, sizeof buf), BO_EINVAL);
}

/* A storage with Optuna's v3.0.0.d tables: one study, three trials. */
static const char schema[] =
	"CREATE TABLE version_info(version_info_id INTEGER PRIMARY KEY, schema_version INTEGER, library_version TEXT);"
	"INSERT INTO version_info VALUES (1, 12, '3.1.0');"
	"CREATE TABLE alembic_version(version_num TEXT NOT NULL);"
	"INSERT INTO alembic_version VALUES ('v3.0.0.d');"
	"CREATE TABLE studies(study_id INTEGER PRIMARY KEY, study_name TEXT);"
	"INSERT INTO studies VALUES (1, 'other'), (2, 's');"
	"CREATE TABLE study_directions(study_direction_id INTEGER PRIMARY KEY, direction TEXT, study_id INTEGER, objective INTEGER);"
	"INSERT INTO study_directions VALUES (1, 'MINIMIZE', 2, 0), (2, 'MAXIMIZE', 2, 1);"
	"CREATE TABLE trials(trial_id INTEGER PRIMARY KEY, number INTEGER, study_id INTEGER, state TEXT, datetime_start DATETIME, datetime_complete DATETIME);"
	"INSERT INTO trials VALUES (7, 0, 2, 'COMPLETE', '2026-11-05 14:03:07.250000', '2026-11-05 14:03:09.500000'),"
	" (8, 1, 2, 'FAIL', '2026-11-05 14:04:00', '2026-11-05 14:04:01'), (9, 2, 2, 'WAITING', NULL, NULL);"
	"CREATE TABLE trial_params(param_id INTEGER PRIMARY KEY, trial_id INTEGER, param_name TEXT, param_value FLOAT, distribution_json TEXT);"
	"INSERT INTO trial_params VALUES (1, 7, 'x', 2.385, '{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0, \"high\": 5, \"log\": false}}'),"
	" (2, 7, 'c', 1, '{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [\"a\", \"b\"]}}'),"
	" (3, 8, 'x', 0.5, '{\"name\": \"UniformDistribution\", \"attributes\": {\"low\": 0, \"high\": 5}}');"
	"CREATE TABLE trial_values(trial_value_id INTEGER PRIMARY KEY, trial_id INTEGER, objective INTEGER, value FLOAT, value_type TEXT);"
	"INSERT INTO trial_values VALUES (1, 7, 0, 1.5, 'FINITE'), (2, 7, 1, NULL, 'INF_POS');"
	"CREATE TABLE trial_user_attributes(trial_user_attribute_id INTEGER PRIMARY KEY, trial_id INTEGER, key TEXT, value_json TEXT);"
	"INSERT INTO trial_user_attributes VALUES (1, 7, 'cost', '0.75'), (2, 7, 'note', '\"hi\"'), (3, 8, 'bad', 'not json');"
	"CREATE TABLE trial_system_attributes(trial_system_attribute_id INTEGER PRIMARY KEY, trial_id INTEGER, key TEXT, value_json TEXT);"
	"INSERT INTO trial_system_attributes VALUES (1, 7, 'constraints', '[-1.5, 0.25]'), (2, 8, 'fail_reason', '\"boom\"');"
	"CREATE TABLE trial_intermediate_values(trial_intermediate_value_id INTEGER PRIMARY KEY, trial_id INTEGER, step INTEGER, intermediate_value FLOAT, intermediate_value_type TEXT);"
	"INSERT INTO trial_intermediate_values VALUES (1, 7, 0, 3.5, 'FINITE'), (2, 7, 1, NULL, 'NAN');";

static char dbpath[1100];

static int make_db(void **state)
{
	const char *base = getenv("BO_TEST_TMP");
	sqlite3 *db = NULL;
	int rc;
	(void)state;
	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0777);
	snprintf(dbpath, sizeof dbpath, "%s/test_optuna.%ld.db", base, (long)getpid());
	unlink(dbpath);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int drop_db(void **state)
{
	(void)state;
	unlink(dbpath);
	return 0;
}

static void check_study(const bo_optuna_study *s)
{
	const bo_optuna_trial *t = &s->trials[0];
	assert_string_equal(s->name, "s");
	assert_string_equal(s->schema, "v3.0.0.d");
	assert_int_equal(s->nobjectives, 2);
	assert_int_equal(s->directions[0], -1);
	assert_int_equal(s->directions[1], 1);
	assert_int_equal(s->ntrials, 3);
	assert_string_equal(t->state, "COMPLETE");
	assert_true(t->complete - t->start == 2.25);
	assert_true(t->values[0] == 1.5 && isinf(t->values[1]) && t->values[1] > 0);
	assert_int_equal(t->nparams, 2);
	assert_string_equal(t->params[1].name, "c");
	assert_true(t->params[1].value == 1);
	assert_string_equal(json_string_value(json_array_get(t->params[1].dist.choices, 1)), "b");
	assert_true(json_real_value(json_object_get(t->user_attrs, "cost")) == 0.75);
	assert_true(json_real_value(json_array_get(t->constraints, 1)) == 0.25);
	assert_int_equal(t->nsteps, 2);
	assert_true(t->steps[0].value == 3.5 && isnan(t->steps[1].value));
	assert_string_equal(s->trials[1].state, "FAIL");
	assert_string_equal(s->trials[1].fail_reason, "boom");
	assert_null(json_object_get(s->trials[1].user_attrs, "bad"));
	assert_true(isnan(s->trials[1].values[0]));
	assert_true(isnan(s->trials[2].start));
	assert_int_equal(s->trials[2].nparams, 0);
}

static void read_storage(void **state)
{
	bo_optuna_study s;
	(void)state;
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), 0);
	check_study(&s);
	bo__optuna_study_clear(&s);

	assert_int_equal(bo__optuna_read(&s, dbpath, "missing"), BO_ENOTFOUND);
	assert_non_null(strstr(bo_error_last(), "\"other\", \"s\""));
	assert_null(s.trials);
	assert_int_equal(bo__optuna_read(&s, "/nonexistent/o.db", "s"), BO_ENOTFOUND);
}

static void read_refusals(void **state)
{
	bo_optuna_study s;
	sqlite3 *db;
	(void)state;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_exec(db, "UPDATE alembic_version SET version_num = 'v1.3.0.a'", NULL, NULL, NULL);
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "v1.3.0.a"));
	sqlite3_exec(db, "UPDATE alembic_version SET version_num = 'v3.0.0.d';"
			 "UPDATE trial_params SET param_value = 5 WHERE param_id = 2", NULL, NULL, NULL);
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), BO_EINVAL);   /* index past the labels */
	assert_non_null(strstr(bo_error_last(), "\"c\""));
	sqlite3_exec(db, "UPDATE trial_params SET param_value = 1 WHERE param_id = 2;"
			 "UPDATE trials SET state = 'ZOMBIE' WHERE trial_id = 8", NULL, NULL, NULL);
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "ZOMBIE"));
	sqlite3_exec(db, "UPDATE trials SET state = 'FAIL' WHERE trial_id = 8; DROP TABLE version_info", NULL,
		     NULL, NULL);
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "not an Optuna storage"));
	sqlite3_close(db);
	make_db(NULL);
}

/* Every allocation failing in turn: a clean BO_ENOMEM, or the full study. */
static void read_torture(void **state)
{
	size_t k, n;
	bo_optuna_study s;
	(void)state;
	bo__alloc_fail_at(0);
	assert_int_equal(bo__optuna_read(&s, dbpath, "s"), 0);
	bo__optuna_study_clear(&s);
	n = bo__alloc_fail_at(0);
	assert_true(n > 5);
	for (k = 1; k <= n; k++) {
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__optuna_read(&s, dbpath, "s");
		bo__alloc_fail_at(0);
		if (rc == 0) {
			check_study(&s);
			bo__optuna_study_clear(&s);
		} else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(s.trials);
			assert_null(s.name);
		}
	}
}


static void import_opts(bo_optuna_import_options *o, char *to, size_t size, const char *tag)
{
	const char *base = getenv("BO_TEST_TMP");
	bo_optuna_import_options init = BO_OPTUNA_IMPORT_OPTIONS_INIT;
	*o = init;
	snprintf(to, size, "%s/test_optuna_%s_%ld.yaml", base && *base ? base : "/tmp", tag, (long)getpid());
	o->source = dbpath;
	o->study = "s";
	o->to = to;
	o->name = "optuna_unit";
}

static void remove_ledger(const char *ledger)
{
	char p[4200];
	unlink(ledger);
	snprintf(p, sizeof p, "%s.spend", ledger);
	unlink(p);
}

/* The study built from the storage above, and its ledger. */
static void import_study(void **state)
{
	bo_optuna_import_options o;
	bo_optuna_import imp;
	bo_strbuf notes = BO_STRBUF_INIT;
	char to[1200];
	bo_storage *st = NULL;
	bo_trial_rec *t = NULL;
	size_t n = 0;
	(void)state;
	import_opts(&o, to, sizeof to, "import");
	assert_int_equal(bo__optuna_prepare(&imp, &o, &notes), 0);
	assert_int_equal(imp.study->nparams, 2);
	assert_int_equal(imp.study->nobjectives, 2);
	assert_int_equal(imp.study->nguardrails, 2);   /* two constraints */
	assert_non_null(strstr(notes.s, "\"note\""));  /* a text attribute is not imported */
	remove_ledger(imp.ledger);
	assert_int_equal(bo__optuna_write_ledger(&imp, &o), 0);
	assert_int_equal(imp.ntrials, 3);
	assert_true(imp.spent == 0.75);
	assert_int_equal(bo__storage_open(&st, imp.ledger), 0);
	assert_int_equal(st->ops->trials(st, NULL, &t, &n), 0);
	assert_int_equal(n, 3);
	/* values_1 is +inf in Optuna: a complete trial with it is failed */
	assert_int_equal(t[0].state, BO_TRIAL_FAILED);
	assert_non_null(strstr(t[0].reason, "inf"));
	assert_true(bo__kv_get(t[0].metrics, t[0].nmetrics, "values_0") == 1.5);
	assert_true(bo__kv_get(t[0].metrics, t[0].nmetrics, "constraint_1") == 0.25);
	assert_non_null(strstr(t[0].params_json, "\"c\": \"b\""));
	assert_true(t[0].cost == 0.75);
	assert_int_equal(t[1].state, BO_TRIAL_FAILED);
	assert_non_null(strstr(t[1].reason, "boom"));
	assert_non_null(strstr(t[2].reason, "WAITING"));
	bo__trial_rec_free_array(t, n);
	bo__storage_close(st);
	/* A second import never touches the ledger now there. */
	assert_int_equal(bo__optuna_write_ledger(&imp, &o), BO_ECONFLICT);
	remove_ledger(imp.ledger);
	bo__optuna_import_clear(&imp);
	bo__sb_clear(&notes);
}

/* Every allocation of the import failing in turn: BO_ENOMEM and no ledger
 * left, or a complete import. */
static void import_torture(void **state)
{
	bo_optuna_import_options o;
	bo_optuna_import imp;
	char to[1200], ledger[4096];
	size_t k, n;
	(void)state;
	import_opts(&o, to, sizeof to, "torture");
	{
		bo_strbuf notes = BO_STRBUF_INIT;
		assert_int_equal(bo__optuna_prepare(&imp, &o, &notes), 0);
		snprintf(ledger, sizeof ledger, "%s", imp.ledger);
		bo__optuna_import_clear(&imp);
		bo__sb_clear(&notes);
		remove_ledger(ledger);
		bo__alloc_fail_at(0);
		assert_int_equal(bo__optuna_prepare(&imp, &o, &notes), 0);
		assert_int_equal(bo__optuna_write_ledger(&imp, &o), 0);
		n = bo__alloc_fail_at(0);
		assert_true(n > 100);
		bo__optuna_import_clear(&imp);
		bo__sb_clear(&notes);
		remove_ledger(ledger);
	}
	for (k = 1; k <= n + 20; k++) {
		bo_strbuf notes = BO_STRBUF_INIT;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__optuna_prepare(&imp, &o, &notes);
		if (rc == 0)
			rc = bo__optuna_write_ledger(&imp, &o);
		bo__alloc_fail_at(0);
		if (rc == 0) {
			assert_int_equal(imp.ntrials, 3);
			assert_int_equal(access(ledger, F_OK), 0);
		} else {
			if (rc != BO_ENOMEM)
				fprintf(stderr, "allocation %zu: %s\n", k, bo_error_last());
			assert_int_equal(rc, BO_ENOMEM);
			assert_int_not_equal(access(ledger, F_OK), 0);
		}
		bo__optuna_import_clear(&imp);
		bo__sb_clear(&notes);
		remove_ledger(ledger);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dist_forms),
		cmocka_unit_test(times),
		cmocka_unit_test(source_paths),
		cmocka_unit_test(read_storage),
		cmocka_unit_test(read_refusals),
		cmocka_unit_test(read_torture),
		cmocka_unit_test(import_study),
		cmocka_unit_test(import_torture),
	};
	return cmocka_run_group_tests(tests, make_db, drop_db);
}
