/*
 * storage/sqlite_schema.c - the SQLite ledger's schema: its forward
 * migrations, each step one transaction, and the version check that
 * refuses a ledger newer than this program.
 *
 * Part of the SQLite ledger: storage/sqlite.c holds the statements and the
 * shared helpers (storage/sqlite_int.h), and says what the ledger
 * promises (durability, concurrency, safety) and its schema.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/sqlite_int.h"
#include "core/alloc.h"
#include "core/error.h"

#include <sqlite3.h>
#include <stdint.h>

/* Forward migrations: step i takes the schema from version i to i + 1.
 * Append new steps; never edit a released one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE study_versions("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" space_hash TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" created_at REAL NOT NULL);"
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" version INTEGER REFERENCES study_versions(id),"
	" pid INTEGER NOT NULL,"
	" host TEXT,"
	" seed INTEGER NOT NULL,"
	" sampler TEXT,"
	" started_at REAL NOT NULL,"
	" heartbeat_at REAL NOT NULL,"
	" ended_at REAL);"
	"CREATE TABLE trials("
	" id INTEGER PRIMARY KEY,"
	" version INTEGER NOT NULL REFERENCES study_versions(id),"
	" run_id INTEGER REFERENCES runs(id),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'complete', 'pruned', 'failed')),"
	" sampler TEXT,"
	" params_json TEXT,"
	" cost REAL,"
	" reserved REAL,"
	" price_version TEXT,"
	" reason TEXT,"
	" score REAL,"
	" feasible INTEGER NOT NULL DEFAULT -1,"
	" created_at REAL,"
	" started_at REAL,"
	" ended_at REAL,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" term_signal INTEGER NOT NULL DEFAULT 0,"
	" pid INTEGER NOT NULL DEFAULT 0,"
	" host TEXT,"
	" folder TEXT);"
	"CREATE INDEX trials_state ON trials(state);"
	"CREATE TABLE trial_params("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE TABLE trial_metrics("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE INDEX trial_metrics_name ON trial_metrics(name, trial_id);"
	"CREATE TABLE trial_steps("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" step INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" value REAL,"
	" PRIMARY KEY (trial_id, step, name));"
	"CREATE TABLE trial_usage("
	" trial_id INTEGER NOT NULL REFERENCES trials(id),"
	" resource TEXT NOT NULL,"
	" amount REAL,"
	" PRIMARY KEY (trial_id, resource));"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY,"
	" t REAL NOT NULL,"
	" run_id INTEGER REFERENCES runs(id),"
	" trial_id INTEGER REFERENCES trials(id),"
	" kind TEXT NOT NULL,"
	" amount REAL,"
	" detail TEXT);",
	/* 1 -> 2: where a trial's processes are, so that a later runner finds
	 * them without their environment: the evaluator's start time (pid +
	 * start time name one process for good) and its cgroup. */
	"ALTER TABLE trials ADD COLUMN pid_start INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE trials ADD COLUMN cgroup TEXT;",
	/* 2 -> 3: the scenario and repeat a trial evaluated its configuration
	 * under (issue 10); earlier trials ran under "default", once. */
	"ALTER TABLE trials ADD COLUMN scenario TEXT NOT NULL DEFAULT 'default';"
	"ALTER TABLE trials ADD COLUMN repeat_index INTEGER NOT NULL DEFAULT 0;",
};

#define SCHEMA_VERSION ((int64_t)(sizeof migrations / sizeof migrations[0]))
/* ---- schema ------------------------------------------------------------ */

static int read_version(sq *q, int64_t *version)
{
	sqlite3_stmt *s;
	int rc;
	*version = 0;
	rc = bo__sqlite_get(q, S_HAS_VERSION_TABLE, &s);
	if (rc)
		return rc;
	rc = bo__sqlite_next_row(q, s, "reading the schema version");
	if (rc < 0)
		return rc;
	if (rc == 0 || sqlite3_column_int64(s, 0) == 0) {
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	rc = bo__sqlite_get(q, S_GET_VERSION, &s);
	if (rc)
		return rc;
	rc = bo__sqlite_next_row(q, s, "reading the schema version");
	if (rc < 0)
		return rc;
	if (rc == 1)
		*version = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int too_new(sq *q, int64_t v)
{
	return bo__error(BO_ECONFLICT,
			 "%s: ledger schema version %lld is newer than this budgetopt (%lld)",
			 q->path, (long long)v, (long long)SCHEMA_VERSION);
}

/* Applies the missing migration steps, one transaction each. Reads the
 * version without a write lock first, so opening a current ledger never
 * waits for a runner's transaction. */
int bo__sqlite_migrate(sq *q)
{
	int64_t v;
	sqlite3_stmt *s;
	int rc = read_version(q, &v);
	if (rc)
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	while (v < SCHEMA_VERSION) {
		rc = bo__sqlite_begin_write(q, "migrating the schema");
		if (rc)
			goto done;
		rc = read_version(q, &v);      /* another process may have migrated */
		if (rc)
			goto done;
		if (v > SCHEMA_VERSION) {
			rc = too_new(q, v);
			goto done;
		}
		if (v < SCHEMA_VERSION) {
			rc = sqlite3_exec(q->db, migrations[v], NULL, NULL, NULL);
			if (rc != SQLITE_OK) {
				rc = bo__sqlite_db_error(q, rc, "migrating the schema");
				goto done;
			}
			v++;
			if ((rc = bo__sqlite_run_simple(q, S_DEL_VERSION, "migrating the schema")))
				goto done;
			if ((rc = bo__sqlite_get(q, S_SET_VERSION, &s)))
				goto done;
			if ((rc = sqlite3_bind_int64(s, 1, v)) != SQLITE_OK) {
				rc = bo__sqlite_db_error(q, rc, "migrating the schema");
				goto done;
			}
			if ((rc = bo__sqlite_run_stmt(q, s, "migrating the schema")))
				goto done;
		}
		if ((rc = bo__sqlite_commit(q, "migrating the schema")))
			goto done;
	}
done:
	if (rc)
		bo__sqlite_end_tx(q);
	bo__sqlite_reset_used(q);
	return rc;
}
