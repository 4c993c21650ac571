/*
 * tests/unit/sqlite_world.h - the scratch folder and the helpers of the
 * SQLite ledger tests (test_sqlite.c, test_sqlite_durability.c): fresh
 * ledger files, the plain sqlite3 reads and writes that check them
 * independently of the code under test, a registered study version and a
 * started trial. Included by one test program each, so its definitions
 * are static; the functions are inline so that a program using only some
 * of them builds without unused-function warnings.
 */
#ifndef BO_TESTS_SQLITE_WORLD_H
#define BO_TESTS_SQLITE_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "storage/journal.h"
#include "storage/storage.h"

static char tmpdir[1024];
static int file_no;

/* A fresh file name in the scratch folder. */
static inline void fresh_path(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "%s/%s-%d.db", tmpdir, tag, ++file_no);
	unlink(buf);
}

static inline void remove_db(const char *path)
{
	char b[4300];
	unlink(path);
	snprintf(b, sizeof b, "%s-wal", path);
	unlink(b);
	snprintf(b, sizeof b, "%s-shm", path);
	unlink(b);
	snprintf(b, sizeof b, "%s.spend", path);   /* the spend journal */
	unlink(b);
}

static inline int setup_dir(void **state)
{
	const char *base = getenv("BO_TEST_TMP");
	(void)state;
	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0777);   /* CTest's folder may not exist yet */
	snprintf(tmpdir, sizeof tmpdir, "%s/test_sqlite.XXXXXX", base);
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static inline int teardown_dir(void **state)
{
	char cmd[4200];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static inline bo_storage *open_ok(const char *path)
{
	bo_storage *st = NULL;
	int rc = bo__storage_open(&st, path);
	if (rc)
		fail_msg("open %s: %d %s", path, rc, bo_error_last());
	assert_non_null(st);
	return st;
}

/* Raw sqlite3 helpers, independent of the code under test. */
static inline int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -12345;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static inline void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static inline int64_t registered(bo_storage *st, const char *name, const char *hash,
				 const char *space)
{
	int64_t v = -1;
	char text[256];
	int rc;
	snprintf(text, sizeof text, "name: %s\n# %s\n", name, hash);
	rc = st->ops->register_study(st, name, text, hash, space, &v);
	if (rc)
		fail_msg("register: %d %s", rc, bo_error_last());
	return v;
}

static inline void start_trial(bo_storage *st, int64_t version, int64_t run,
			       double reserved, int64_t *id)
{
	bo_trial_rec t;
	bo_kv params[2] = {{"lr", 0.0}, {"family", 2.0}};
	char json[128];
	int rc;
	memset(&t, 0, sizeof t);
	params[0].value = 0.001 * (double)(*id + 1) + 2.385e-5;
	snprintf(json, sizeof json, "{\"lr\": %.17g, \"family\": 2}", params[0].value);
	t.version = version;
	t.run_id = run;
	t.sampler = "tpe";
	t.params_json = json;
	t.nparams = 2;
	t.params = params;
	t.cost = NAN;
	t.reserved = reserved;
	t.score = NAN;
	t.feasible = -1;
	t.created_at = 5000.0 + (double)*id;
	t.started_at = 5000.5 + (double)*id;
	t.exit_code = -1;
	t.host = "hostA";
	rc = st->ops->trial_start(st, &t);
	if (rc)
		fail_msg("trial_start: %d %s", rc, bo_error_last());
	assert_int_equal(t.state, BO_TRIAL_RUNNING);
	*id = t.id;
}

#endif
