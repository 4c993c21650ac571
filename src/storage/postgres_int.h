/*
 * storage/postgres_int.h - what the files of the PostgreSQL ledger share:
 * the handle (pg), a statement's bound parameters (params), and the
 * bo__pg_* helpers and operations one file defines and others call.
 *
 * Private to src/storage/postgres*.c. The files: postgres.c (parameters,
 * helpers, open and close, the shared budget), postgres_schema.c
 * (migrations), postgres_write.c (writes), postgres_read.c (reads),
 * postgres_notify.c (LISTEN/NOTIFY: waking idle workers).
 */
#ifndef BO_POSTGRES_INT_H
#define BO_POSTGRES_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/pg_pipe.h"
#include "storage/storage.h"

typedef struct pg {
	bo_storage base;            /* first: a bo_storage * is a pg * */
	PGconn *c;
	char *label;                /* the URI, for messages */
	int in_tx;
	bo_pg_stmts stmts;          /* prepared on c (storage/pg_pipe.h) */
	int listen_pid;             /* PQbackendPID of the session that runs
				       LISTEN (storage/postgres_notify.c); 0: none */
	char schema[128];           /* its current_schema(): the notifications
				       of this study start with it */
} pg;

#define MAX_PARAMS 24

/* Bound values of one statement, as text. */
typedef struct params {
	const char *v[MAX_PARAMS];
	char buf[MAX_PARAMS][40];
	char *own[MAX_PARAMS];      /* cleaned copies of outside text */
	int n;
	int oom;
} params;

/* postgres.c */
/* The budget row's lock, one text object for every file: a prepared
 * statement is known by its text's address (storage/pg_pipe.h), so the
 * lock is prepared once per session, not once per copy of the text. */
extern const char bo__pg_sql_lock_budget[];
void bo__pg_p_init(params *p);
void bo__pg_p_clear(params *p);
void bo__pg_p_text(params *p, const char *v);
void bo__pg_p_outside(params *p, const char *v);
void bo__pg_p_int(params *p, int64_t v);
void bo__pg_p_real(params *p, double v);
void bo__pg_p_time(params *p, double v);
void bo__pg_p_id(params *p, int64_t v);
int bo__pg_db_error(pg *q, const PGresult *r, const char *what);
int bo__pg_ensure_conn(pg *q, const char *what);
int bo__pg_exec(pg *q, const char *sql, params *p, PGresult **out, const char *what);
int bo__pg_exec_simple(pg *q, const char *sql, const char *what);
int bo__pg_exec_hot(pg *q, const char *sql, int n, const char *const *v, PGresult **out,
		    const char *what);
int bo__pg_begin(pg *q, const char *what);
int bo__pg_commit(pg *q, const char *what);
void bo__pg_end_tx(pg *q);
double bo__pg_col_real(const PGresult *r, int row, int i);
double bo__pg_col_time(const PGresult *r, int row, int i);
int64_t bo__pg_col_int(const PGresult *r, int row, int i);
int bo__pg_col_str(const PGresult *r, int row, int i, char **out);
int bo__pg_same_str(const char *a, const char *b);
int bo__pg_pid_alive(int64_t pid);
void bo__pg_format_time(double t, char *buf, size_t n);
int bo__pg_lock_budget(pg *q, double *spent, double *reserved, const char *what);

/* postgres_schema.c */
int bo__pg_migrate(pg *q, int create);

/* postgres_write.c */
int bo__pg_register_study(bo_storage *st, const char *name, const char *text,
			     const char *hash, const char *space_hash, int64_t *version);
int bo__pg_run_begin(bo_storage *st, int64_t version, int64_t pid, const char *host,
			uint64_t seed, const char *sampler, double now, int64_t *run_id);
int bo__pg_run_heartbeat(bo_storage *st, int64_t run_id, double now);
int bo__pg_run_end(bo_storage *st, int64_t run_id, double now);
int bo__pg_trial_start(bo_storage *st, bo_trial_rec *t);
int bo__pg_trial_launched(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			     const char *cgroup, const char *folder);
int bo__pg_trial_progress(bo_storage *st, int64_t id, const bo_kv *usage, size_t n);
int bo__pg_trial_step(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n);
int bo__pg_trial_finish(bo_storage *st, const bo_trial_rec *t);
int bo__pg_event(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		    double amount, const char *detail, double now);

/* postgres_notify.c */
int bo__pg_notes_take(pg *q);

/* postgres_read.c */
int bo__pg_totals(bo_storage *st, bo_ledger_totals *out);
int bo__pg_trials(bo_storage *st, const bo_trial_query *qry, bo_trial_rec **out, size_t *nout);
int bo__pg_trial_get(bo_storage *st, int64_t id, bo_trial_rec *out);
int bo__pg_events(bo_storage *st, bo_event **out, size_t *nout);
int bo__pg_steps(bo_storage *st, bo_step_row **out, size_t *nout);
int bo__pg_study_text(bo_storage *st, char **text);

#endif
