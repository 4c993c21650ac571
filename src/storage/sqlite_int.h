/*
 * storage/sqlite_int.h - what the files of the SQLite ledger share: the
 * handle (sq), the cached statements' ids, and the bo__sqlite_* helpers
 * and operations one file defines and others call.
 *
 * Private to src/storage/sqlite*.c. The files: sqlite.c (statements,
 * helpers, open and close, what doctor needs), sqlite_schema.c
 * (migrations), sqlite_write.c (writes), sqlite_read.c (reads).
 */
#ifndef BO_SQLITE_INT_H
#define BO_SQLITE_INT_H

#include <limits.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/journal.h"
#include "storage/storage.h"

#define TRIAL_COLS \
	"t.id, t.state, t.version, t.run_id, t.sampler, t.params_json, t.cost, " \
	"t.reserved, t.price_version, t.reason, t.score, t.feasible, " \
	"t.created_at, t.started_at, t.ended_at, t.exit_code, t.term_signal, " \
	"t.pid, t.host, t.folder, t.pid_start, t.cgroup, t.scenario, t.repeat_index"

/* The cached statements, prepared on first use. */
enum {
	S_BEGIN_WRITE,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_HAS_VERSION_TABLE,
	S_GET_VERSION,
	S_DEL_VERSION,
	S_SET_VERSION,
	S_NEWEST,
	S_BY_HASH,
	S_VERSION_INSERT,
	S_RUNS_OPEN,
	S_RUN_CLOSE_STALE,
	S_RUN_INSERT,
	S_RUN_HEARTBEAT,
	S_RUN_END,
	S_NEXT_ID,
	S_TRIAL_INSERT,
	S_PARAM_INSERT,
	S_EVENT_INSERT,
	S_TRIAL_LAUNCHED,
	S_TRIAL_STATE,
	S_USAGE_DELETE,
	S_USAGE_INSERT,
	S_METRIC_DELETE,
	S_METRIC_INSERT,
	S_STEP_INSERT,
	S_TRIAL_FINISH,
	S_TOT_SPENT,
	S_TOT_STATES,
	S_TOT_RUNS,
	S_TOT_VERSIONS,
	S_EVENTS,
	S_STEPS,
	S_STUDY_TEXT,
	S_TRIAL_GET,
	S_PARAMS_OF,
	S_METRICS_OF,
	S_USAGE_OF,
	S_PARAMS_ALL,
	S_METRICS_ALL,
	S_USAGE_ALL,
	S_PARAM_DELETE,
	S_COUNT
};

typedef struct sq {
	bo_storage base;            /* first: a bo_storage * is a sq * */
	sqlite3 *db;
	char *path;                 /* for messages */
	sqlite3_stmt *stmt[S_COUNT];
	unsigned char used[S_COUNT];
	char journal[PATH_MAX];     /* the spend journal beside the file */
	bo_journal_writer jw;       /* ... kept open between appends */
	int mode;                   /* of files created: 0600 or 0640 */
} sq;

/* sqlite.c */
int bo__sqlite_db_error(sq *q, int src, const char *what);
int bo__sqlite_get(sq *q, int id, sqlite3_stmt **out);
void bo__sqlite_reset_used(sq *q);
int bo__sqlite_next_row(sq *q, sqlite3_stmt *s, const char *what);
int bo__sqlite_run_stmt(sq *q, sqlite3_stmt *s, const char *what);
int bo__sqlite_run_simple(sq *q, int id, const char *what);
int bo__sqlite_begin_write(sq *q, const char *what);
int bo__sqlite_begin_read(sq *q, const char *what);
int bo__sqlite_commit(sq *q, const char *what);
void bo__sqlite_end_tx(sq *q);
int bo__sqlite_bind_text(sqlite3_stmt *s, int i, const char *v);
int bo__sqlite_bind_outside_text(sqlite3_stmt *s, int i, const char *v);
int bo__sqlite_bind_real(sqlite3_stmt *s, int i, double v);
int bo__sqlite_bind_time(sqlite3_stmt *s, int i, double v);
int bo__sqlite_bind_id(sqlite3_stmt *s, int i, int64_t v);
double bo__sqlite_col_real(sqlite3_stmt *s, int i);
double bo__sqlite_col_time(sqlite3_stmt *s, int i);
int bo__sqlite_col_str(sq *q, sqlite3_stmt *s, int i, char **out);
int bo__sqlite_same_str(const char *a, const char *b);
int bo__sqlite_pid_alive(int64_t pid);
void bo__sqlite_format_time(double t, char *buf, size_t n);

/* sqlite_schema.c */
int bo__sqlite_migrate(sq *q);

/* sqlite_write.c */
int bo__sqlite_register_study(bo_storage *st, const char *name, const char *text,
			     const char *hash, const char *space_hash, int64_t *version);
int bo__sqlite_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id);
int bo__sqlite_run_heartbeat(bo_storage *st, int64_t run_id, double now);
int bo__sqlite_run_end(bo_storage *st, int64_t run_id, double now);
int bo__sqlite_trial_start(bo_storage *st, bo_trial_rec *t);
int bo__sqlite_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder);
int bo__sqlite_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n);
int bo__sqlite_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n);
int bo__sqlite_trial_finish(bo_storage *st, const bo_trial_rec *t);
int bo__sqlite_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now);

/* sqlite_read.c */
int bo__sqlite_totals(bo_storage *st, bo_ledger_totals *out);
int bo__sqlite_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout);
int bo__sqlite_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out);
int bo__sqlite_events(bo_storage *st, bo_event **out, size_t *nout);
int bo__sqlite_steps(bo_storage *st, bo_step_row **out, size_t *nout);
int bo__sqlite_study_text(bo_storage *st, char **text);

#endif
