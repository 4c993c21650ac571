/*
 * storage/copy.h - moving a study, whole, from one ledger to another
 * (SQLite <-> PostgreSQL, SQLite -> SQLite): `budgetopt copy`.
 *
 * Every table of the schema is copied with its ids (study definitions,
 * runner sessions, trials, their parameters, metrics, steps and usage, and
 * the budget events), in insertion order, so the copy reads back exactly as
 * the original. What each backend derives is derived again at the
 * destination: a PostgreSQL budget row (spent, reserved and the trial
 * counts) from the copied trials, once at the end, a SQLite spend journal
 * from the copied ledger. Into PostgreSQL each table goes as one COPY ...
 * FROM STDIN, with the budget row's count trigger off until the end of
 * the transaction (bench/copy-pg measures it).
 *
 * Verification: each table's rows, as read from the source and as read
 * back from the destination after the copy (inside its transaction, just
 * before the commit, so what is committed is what was checked), are
 * counted and hashed (SHA-256 of a canonical form of every value: integers
 * in decimal, reals by their 64 bits, text by length and bytes, NULL as
 * such), the same code for both backends. A difference rolls the copy
 * back.
 *
 * Locks: the copy never runs while a runner or a worker holds either
 * study. A SQLite ledger's lock (bo__ledger_lock) is taken exclusive for
 * the whole copy, so no runner starts meanwhile; a PostgreSQL study's
 * budget table is locked (LOCK TABLE ... IN EXCLUSIVE MODE), which every
 * trial start and finish waits on (they lock its row first); and a session still open in the runs table is a
 * refusal when its process is alive on this host (run_begin's rule) or,
 * on another host, when its last heartbeat is younger than the heartbeat
 * timeout.
 *
 * Must never print or exit; every value is a bound parameter (table and
 * column names are constants of this file).
 */
#ifndef BO_STORAGE_COPY_H
#define BO_STORAGE_COPY_H

#include <stddef.h>
#include <stdint.h>

/* The tables copied, parents first. */
#define BO_COPY_TABLES 8

typedef struct bo_copy_table {
	const char *name;
	int64_t rows_from, rows_to;
	char sum_from[65], sum_to[65];   /* SHA-256, lowercase hex */
} bo_copy_table;

typedef struct bo_copy_result {
	char study[256];                 /* the study's name */
	char replaced[256];              /* the study the destination held, "" if none */
	bo_copy_table t[BO_COPY_TABLES];
	size_t n;                        /* tables verified (BO_COPY_TABLES when done) */
	int verified;                    /* every count and checksum equal */
} bo_copy_result;

typedef struct bo_copy_options {
	const char *study;               /* the source must hold this study; NULL: any */
	int replace;                     /* overwrite a destination that holds a study */
	double heartbeat_timeout_s;      /* a session on another host is live this long after its heartbeat */
} bo_copy_options;

#define BO_COPY_OPTIONS_INIT {NULL, 0, 60.0}

/* Copies the study of ledger from into ledger to (created when missing),
 * then verifies it. Returns 0 when copied and verified; BO_ENOTFOUND when
 * from holds no study (or not o->study); BO_ECONFLICT when to already
 * holds a study and not o->replace, when from and to are one ledger, or
 * when a runner or worker holds either; BO_ERROR when the counts or
 * checksums differ (res says which; nothing was written); BO_EIO for a
 * database failure (the destination is left as it was, except that a
 * SQLite destination's spend journal may be missing when writing it failed
 * after the commit: the message says so and names doctor). res is filled
 * as far as the copy went; res->verified when the copy committed. o may be
 * NULL. */
int bo__storage_copy(const char *from, const char *to, const bo_copy_options *o,
		     bo_copy_result *res);

#endif
