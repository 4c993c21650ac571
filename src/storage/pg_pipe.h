/*
 * storage/pg_pipe.h - several statements sent to PostgreSQL together,
 * their results read back in order (libpq's pipeline mode).
 *
 * Why: a trial's start and finish are each one transaction of ten or more
 * short statements. Sent one by one, each costs a network round trip and
 * two process wake-ups, which is most of a worker's time per trial on a
 * busy host. Statements whose results the code does not need before it
 * sends the next (the lock and the reads that follow it; the writes and
 * the COMMIT) go as one batch: one round trip each. The server still runs
 * them one after the other, each seeing what the previous one did, so a
 * read sent after "SELECT ... FOR UPDATE" in the same batch runs under
 * that lock, with a snapshot taken after the lock was granted.
 *
 * Errors: the first failing statement's error is returned (BO_EIO with
 * the server's text, as storage/postgres.c words it); the server skips
 * the rest of the batch, and a transaction it was in stays open, aborted,
 * for the caller's ROLLBACK. A connection lost mid-batch is BO_EIO too;
 * the next PQreset clears what was left of the pipeline.
 *
 * Must never print, exit, or format a value into SQL text.
 */
#ifndef BO_STORAGE_PG_PIPE_H
#define BO_STORAGE_PG_PIPE_H

#include <stddef.h>
#include <libpq-fe.h>

/* The statements prepared on one connection, named bo_<slot>_<gen>: a
 * statement is prepared (parsed, and planned when the server chooses a
 * generic plan) the first time a batch sends its text, inside that same
 * batch (no extra round trip), and run by name afterwards. The server
 * forgets them with its session, so the list starts again whenever the
 * connection's server process changed (a reconnect) or a batch lost its
 * connection. Texts are compared by address: only constant SQL goes
 * through a batch. A full list runs statements unprepared. */
#define BO_PG_MAX_STMTS 96
typedef struct bo_pg_stmts {
	const char *sql[BO_PG_MAX_STMTS];
	unsigned char state[BO_PG_MAX_STMTS];   /* 0 not prepared, 1 prepared,
						   2 sent in the running batch */
	unsigned gen[BO_PG_MAX_STMTS];          /* in the name: a prepare whose
						   fate is unknown (its batch was
						   given up) is not reused */
	size_t n;
	int backend;                            /* PQbackendPID when listed */
} bo_pg_stmts;

typedef struct bo_pg_pipe {
	PGconn *c;
	bo_pg_stmts *stmts;  /* NULL: nothing prepared */
	const char *label;   /* the ledger, for messages */
	const char *what;    /* what the batch does, for messages */
	size_t n;            /* statements sent */
	PGresult **res;      /* their results, after bo__pg_pipe_run */
	size_t cap;
	int *sent;           /* what was sent, in order: statement i (>= 0),
				or the prepare of stmts slot k (-k - 1) */
	size_t nsent, capsent;
	int rc;              /* the first error */
	int on;              /* in pipeline mode */
	int synced;          /* the batch's end was sent */
} bo_pg_pipe;

/* Starts a batch on c (idle: no transaction statement waiting). Errors are
 * kept and returned by bo__pg_pipe_run. With stmts (the connection's list,
 * kept by the caller, zeroed at first), every statement is prepared once
 * per session and run by name. */
void bo__pg_pipe_open(bo_pg_pipe *p, PGconn *c, const char *label, const char *what);
void bo__pg_pipe_open_prepared(bo_pg_pipe *p, PGconn *c, bo_pg_stmts *stmts, const char *label,
			       const char *what);

/* Queues sql with n text values (NULL is SQL NULL), copied at once: the
 * caller may free them on return (not sql: on a batch with stmts it must
 * be constant text, remembered by its address). Returns the statement's index, or -1
 * after an error (kept for bo__pg_pipe_run). */
int bo__pg_pipe_send(bo_pg_pipe *p, const char *sql, int n, const char *const *v);

/* Sends the batch and reads every result. 0, the first statement's error
 * (BO_EIO), or BO_ENOMEM. The results stay readable until close. */
int bo__pg_pipe_run(bo_pg_pipe *p);

/* The result of statement i after a successful run (NULL otherwise). */
PGresult *bo__pg_pipe_result(const bo_pg_pipe *p, int i);

/* Frees the results and leaves pipeline mode. A batch never run is sent
 * first (what it queued runs: queue COMMIT last, so that a batch given up
 * midway leaves its transaction open for the caller's ROLLBACK). */
void bo__pg_pipe_close(bo_pg_pipe *p);

#endif
