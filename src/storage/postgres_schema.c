/*
 * storage/postgres_schema.c - the PostgreSQL ledger's schema: its
 * forward migrations (the same versions as SQLite's), applied under an
 * advisory lock so that two processes never migrate at once.
 *
 * Part of the PostgreSQL ledger: storage/postgres.c holds the shared
 * helpers (storage/postgres_int.h) and says what the ledger promises
 * (durability, connections, safety); the schema is sqlite.c's.
 *
 * Must never print, exit, abort, or format a value into SQL text.
 */
#include "storage/postgres_int.h"
#include "storage/postgres.h"
#include "core/alloc.h"
#include "core/error.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Any fixed number: the advisory lock taken while migrating. */
#define MIGRATE_LOCK_KEY 4242017

/* Forward migrations, as in sqlite.c: append, never edit a released one.
 * Up to 3 the versions match SQLite's (version v has the same tables
 * there); 4 and 5 add what only PostgreSQL has (the budget row's counts,
 * an index for the spend rate's window). */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE IF NOT EXISTS schema_version(version BIGINT NOT NULL);"
	"CREATE TABLE study_versions("
	" id BIGSERIAL PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE,"
	" space_hash TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" created_at DOUBLE PRECISION NOT NULL);"
	"CREATE TABLE runs("
	" id BIGSERIAL PRIMARY KEY,"
	" version BIGINT REFERENCES study_versions(id),"
	" pid BIGINT NOT NULL,"
	" host TEXT,"
	" seed BIGINT NOT NULL,"
	" sampler TEXT,"
	" started_at DOUBLE PRECISION NOT NULL,"
	" heartbeat_at DOUBLE PRECISION NOT NULL,"
	" ended_at DOUBLE PRECISION);"
	"CREATE TABLE trials("
	" id BIGINT PRIMARY KEY,"
	" version BIGINT NOT NULL REFERENCES study_versions(id),"
	" run_id BIGINT REFERENCES runs(id),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('queued', 'running', 'complete', 'pruned', 'failed')),"
	" sampler TEXT,"
	" params_json TEXT,"
	" cost DOUBLE PRECISION,"
	" reserved DOUBLE PRECISION,"
	" price_version TEXT,"
	" reason TEXT,"
	" score DOUBLE PRECISION,"
	" feasible INTEGER NOT NULL DEFAULT -1,"
	" created_at DOUBLE PRECISION,"
	" started_at DOUBLE PRECISION,"
	" ended_at DOUBLE PRECISION,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" term_signal INTEGER NOT NULL DEFAULT 0,"
	" pid BIGINT NOT NULL DEFAULT 0,"
	" host TEXT,"
	" folder TEXT);"
	"CREATE INDEX trials_state ON trials(state);"
	"CREATE TABLE trial_params("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE TABLE trial_metrics("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, name));"
	"CREATE INDEX trial_metrics_name ON trial_metrics(name, trial_id);"
	"CREATE TABLE trial_steps("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" step BIGINT NOT NULL,"
	" name TEXT NOT NULL,"
	" value DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, step, name));"
	"CREATE TABLE trial_usage("
	" seq BIGSERIAL,"
	" trial_id BIGINT NOT NULL REFERENCES trials(id),"
	" resource TEXT NOT NULL,"
	" amount DOUBLE PRECISION,"
	" PRIMARY KEY (trial_id, resource));"
	"CREATE TABLE events("
	" id BIGSERIAL PRIMARY KEY,"
	" t DOUBLE PRECISION NOT NULL,"
	" run_id BIGINT REFERENCES runs(id),"
	" trial_id BIGINT REFERENCES trials(id),"
	" kind TEXT NOT NULL,"
	" amount DOUBLE PRECISION,"
	" detail TEXT);"
	"CREATE TABLE budget("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" spent DOUBLE PRECISION NOT NULL DEFAULT 0,"
	" reserved DOUBLE PRECISION NOT NULL DEFAULT 0);"
	"INSERT INTO budget(id) VALUES (1);"
	"CREATE VIEW workers AS SELECT r.id, r.host, r.pid, r.started_at, r.heartbeat_at,"
	" r.ended_at, (SELECT COUNT(*) FROM trials t WHERE t.run_id = r.id) AS ntrials"
	" FROM runs r;",
	/* 1 -> 2: as SQLite's */
	"ALTER TABLE trials ADD COLUMN pid_start BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE trials ADD COLUMN cgroup TEXT;",
	/* 2 -> 3: as SQLite's */
	"ALTER TABLE trials ADD COLUMN scenario TEXT NOT NULL DEFAULT 'default';"
	"ALTER TABLE trials ADD COLUMN repeat_index BIGINT NOT NULL DEFAULT 0;",
	/* 3 -> 4 (PostgreSQL only; SQLite stays at 3): the trial counts
	 * every worker reads before each decision (bo__pg_sync), and the
	 * trial budget's check under the budget row's lock (trial_start),
	 * kept in the budget row by a trigger instead of counted over the
	 * whole trials table each time: one row, not O(trials), while the
	 * lock is held. Every change of a trial's state already holds the
	 * budget row's lock (budget first, then trials), so the trigger takes
	 * no lock in a new order. The counts start from the rows there are:
	 * the ALTER TABLE on budget and the CREATE TRIGGER on trials lock
	 * both tables until the migration commits, so no trial changes
	 * between the count and the trigger. */
	"ALTER TABLE budget ADD COLUMN ntrials BIGINT NOT NULL DEFAULT 0;"   /* not queued */
	"ALTER TABLE budget ADD COLUMN nqueued BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE budget ADD COLUMN nfinal BIGINT NOT NULL DEFAULT 0;"    /* complete, pruned, failed */
	"ALTER TABLE budget ADD COLUMN nrunning BIGINT NOT NULL DEFAULT 0;"
	"CREATE FUNCTION budgetopt_trial_counts() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" DECLARE dn BIGINT := 0; dq BIGINT := 0; df BIGINT := 0; dr BIGINT := 0;"
	" BEGIN"
	"  IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN RETURN NULL; END IF;"
	"  IF TG_OP IN ('UPDATE', 'DELETE') THEN"
	"   IF OLD.state = 'queued' THEN dq := dq - 1; ELSE dn := dn - 1; END IF;"
	"   IF OLD.state = 'running' THEN dr := dr - 1;"
	"   ELSIF OLD.state <> 'queued' THEN df := df - 1; END IF;"
	"  END IF;"
	"  IF TG_OP IN ('UPDATE', 'INSERT') THEN"
	"   IF NEW.state = 'queued' THEN dq := dq + 1; ELSE dn := dn + 1; END IF;"
	"   IF NEW.state = 'running' THEN dr := dr + 1;"
	"   ELSIF NEW.state <> 'queued' THEN df := df + 1; END IF;"
	"  END IF;"
	"  UPDATE budget SET ntrials = ntrials + dn, nqueued = nqueued + dq,"
	"   nfinal = nfinal + df, nrunning = nrunning + dr WHERE id = 1;"
	"  RETURN NULL;"
	" END $f$;"
	"CREATE TRIGGER trials_counts AFTER INSERT OR DELETE OR UPDATE OF state ON trials"
	" FOR EACH ROW EXECUTE FUNCTION budgetopt_trial_counts();"
	"UPDATE budget SET"
	" ntrials = (SELECT COUNT(*) FROM trials WHERE state <> 'queued'),"
	" nqueued = (SELECT COUNT(*) FROM trials WHERE state = 'queued'),"
	" nfinal = (SELECT COUNT(*) FROM trials WHERE state IN ('complete', 'pruned', 'failed')),"
	" nrunning = (SELECT COUNT(*) FROM trials WHERE state = 'running') WHERE id = 1;",
	/* 4 -> 5 (PostgreSQL only): the spend-rate limit of all workers
	 * reads the trials charged in its trailing window at each start */
	"CREATE INDEX IF NOT EXISTS trials_ended ON trials(ended_at);",
};

#define SCHEMA_VERSION ((int64_t)(sizeof migrations / sizeof migrations[0]))

/* ---- schema ------------------------------------------------------------- */

/* Reads the catalog through an MVCC query (not to_regclass, whose cache
 * may not yet see a table another worker's migration just committed). */
static int read_version(pg *q, int64_t *v, const char *what)
{
	PGresult *r;
	int rc;
	*v = 0;
	if ((rc = bo__pg_exec(q, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
		       "current_schema() AND tablename = 'schema_version')", NULL, &r, what)))
		return rc;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if ((rc = bo__pg_exec(q, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, &r, what)))
		return rc;
	if (PQntuples(r) == 1)
		*v = bo__pg_col_int(r, 0, 0);
	PQclear(r);
	return 0;
}

static int too_new(pg *q, int64_t v)
{
	return bo__error(BO_ECONFLICT,
			 "%s: ledger schema version %lld is newer than this budgetopt (%lld)",
			 q->label, (long long)v, (long long)SCHEMA_VERSION);
}

/* Applies the missing steps in one transaction under an advisory lock, so
 * two workers starting together migrate once. */
int bo__pg_migrate(pg *q, int create)
{
	const char *what = "migrating the schema";
	params p;
	int64_t v;
	int rc;
	bo__pg_p_init(&p);
	if ((rc = read_version(q, &v, what)))
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	if (v == SCHEMA_VERSION)
		goto done;
	if (v == 0 && !create) {
		rc = bo__error(BO_ENOTFOUND, "%s: no ledger", q->label);
		goto done;
	}
	if ((rc = bo__pg_begin(q, what)))
		goto done;
	bo__pg_p_int(&p, MIGRATE_LOCK_KEY);
	if ((rc = bo__pg_exec(q, "SELECT pg_advisory_xact_lock($1::bigint)", &p, NULL, what)))
		goto done;
	bo__pg_p_clear(&p);
	if ((rc = read_version(q, &v, what)))
		goto done;
	if (v > SCHEMA_VERSION) {
		rc = too_new(q, v);
		goto done;
	}
	while (v < SCHEMA_VERSION) {
		PGresult *r = PQexec(q->c, migrations[v]);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = bo__pg_db_error(q, r, what);
			PQclear(r);
			goto done;
		}
		PQclear(r);
		v++;
	}
	if ((rc = bo__pg_exec_simple(q, "DELETE FROM schema_version", what)))
		goto done;
	bo__pg_p_int(&p, v);
	if ((rc = bo__pg_exec(q, "INSERT INTO schema_version(version) VALUES ($1)", &p, NULL, what)))
		goto done;
	rc = bo__pg_commit(q, what);
done:
	bo__pg_p_clear(&p);
	if (rc)
		bo__pg_end_tx(q);
	return rc;
}
