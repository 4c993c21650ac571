/*
 * storage/storage.h - the ledger interface the runner and the commands use.
 *
 * One schema, several backends (SQLite now, PostgreSQL later) behind a table
 * of function pointers. Every state change is one transaction, so a runner
 * killed at any instant leaves the ledger consistent: a trial is either
 * committed as finished (with its metrics, usage and cost) or still marked
 * running (and then orphaned, found and charged by the next runner).
 *
 * Money: a trial's cost is stored on the trial; the study's spend is the sum
 * of its trials' costs. Reservations live only in the runner (and as events).
 */
#ifndef BO_STORAGE_STORAGE_H
#define BO_STORAGE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/trial.h"

typedef struct bo_event {
	int64_t id;
	double t;              /* unix seconds */
	int64_t run_id;        /* 0 if none */
	int64_t trial_id;      /* 0 if none */
	char *kind;            /* "reserve", "release", "charge", "stop", "cap", ... */
	double amount;         /* money, or NaN */
	char *detail;          /* free text */
} bo_event;

void bo__event_free_array(bo_event *e, size_t n);

typedef struct bo_ledger_totals {
	double spent;          /* sum of trial costs */
	int64_t ntrials;       /* all trials, any state */
	int64_t by_state[5];   /* indexed by bo_trial_state */
	double elapsed_s;      /* wall time of all runner sessions */
	double first_start;    /* unix seconds of the first session, 0 if none */
	int64_t nversions;     /* study definitions stored */
} bo_ledger_totals;

/* One value of an intermediate report (trial_steps). */
typedef struct bo_step_row {
	int64_t trial_id;
	int64_t step;
	char *name;
	double value;
} bo_step_row;

void bo__step_rows_free(bo_step_row *r, size_t n);

typedef struct bo_trial_query {
	int state;             /* -1: all */
	const char *sort;      /* "id" (default), "cost", "score", or a metric name; "-x" descending */
	int64_t limit;         /* 0: no limit */
	int64_t min_id;        /* only trials with id >= min_id (0: all); what a
				  worker reads to catch up (runner/worker.c) */
} bo_trial_query;

#define BO_TRIAL_QUERY_INIT {-1, NULL, 0, 0}

typedef struct bo_storage bo_storage;

typedef struct bo_storage_ops {
	const char *name;      /* "sqlite" */
	void (*close)(bo_storage *st);

	/* Records the study definition. Returns 0 and *version (new or the
	 * existing one with the same hash), or BO_ECONFLICT when a stored
	 * definition of this study has a different space hash (the message
	 * says so and how to start afresh). */
	int (*register_study)(bo_storage *st, const char *name, const char *text,
			      const char *hash, const char *space_hash, int64_t *version);

	/* Starts a runner session. BO_ECONFLICT if another live runner holds
	 * the study (heartbeat fresh and its pid alive on this host). */
	int (*run_begin)(bo_storage *st, int64_t version, int64_t pid, const char *host,
			 uint64_t seed, const char *sampler, double now, int64_t *run_id);
	int (*run_heartbeat)(bo_storage *st, int64_t run_id, double now);
	int (*run_end)(bo_storage *st, int64_t run_id, double now);

	/* Inserts a running trial (t->id assigned here, the next number) and a
	 * "reserve" event for t->reserved, in one transaction. */
	int (*trial_start)(bo_storage *st, bo_trial_rec *t);
	/* Records where a started trial's processes are: the evaluator's pid
	 * and start time, and its cgroup (NULL: none); folder NULL keeps the
	 * stored one. BO_ENOTFOUND: no such trial. */
	int (*trial_launched)(bo_storage *st, int64_t id, int64_t pid, int64_t pid_start,
			      const char *cgroup, const char *folder);
	/* Stores the measured usage so far of a running trial (heartbeat). */
	int (*trial_progress)(bo_storage *st, int64_t id, const bo_kv *usage, size_t n);
	/* Stores an intermediate report. */
	int (*trial_step)(bo_storage *st, int64_t id, int64_t step, const bo_kv *m, size_t n);
	/* Commits a finished trial (state, metrics, usage, cost, reason,
	 * score, feasible, ended_at, exit status) and a "charge" event, in one
	 * transaction. Refuses (BO_ECONFLICT) a trial that is not running, so
	 * nothing is charged twice. */
	int (*trial_finish)(bo_storage *st, const bo_trial_rec *t);

	int (*event)(bo_storage *st, int64_t run_id, int64_t trial_id, const char *kind,
		     double amount, const char *detail, double now);

	int (*totals)(bo_storage *st, bo_ledger_totals *out);
	/* Trials matching q; *out is an array of *n records (free with
	 * bo__trial_rec_free_array). */
	int (*trials)(bo_storage *st, const bo_trial_query *q, bo_trial_rec **out, size_t *n);
	/* One trial by id; BO_ENOTFOUND if none. */
	int (*trial_get)(bo_storage *st, int64_t id, bo_trial_rec *out);
	int (*events)(bo_storage *st, bo_event **out, size_t *n);
	/* The stored study text of the newest version (NULL if none); caller frees. */
	int (*study_text)(bo_storage *st, char **text);
	/* Every intermediate report value, ordered by trial, step and name
	 * (free with bo__step_rows_free): what a resumed pruner reads. */
	int (*steps)(bo_storage *st, bo_step_row **out, size_t *n);
} bo_storage_ops;

struct bo_storage {
	const bo_storage_ops *ops;
};

/* How a ledger is opened: what is checked against its spend journal
 * (storage/journal.h) and the trial folders before anyone reads it. */
typedef struct bo_ledger_open_options {
	int must_exist;          /* BO_ENOTFOUND when the ledger is missing and
				    nothing (journal, trial folders) says it existed */
	int writer;              /* the runner: a journal one record behind the
				    ledger (a crash between the two writes) is
				    caught up instead of only tolerated */
	int unchecked;           /* doctor: open without comparing */
	int group;               /* files group-readable (0640, folders 0750)
				    instead of owner-only (0600, 0700) */
	const char *trials_dir;  /* trial folders to check, or NULL */
	const char *study_path;  /* named in messages ("budgetopt doctor X"), or NULL */
	const char *currency;    /* named in messages, or NULL */
} bo_ledger_open_options;

#define BO_LEDGER_OPEN_OPTIONS_INIT {0, 0, 0, 0, NULL, NULL, NULL}

/* A checkpoint copies the write-ahead log into the main file after every
 * this many finished trials (and at the end of each run), so damage to the
 * log can lose at most the trials since the last one. */
#define BO_LEDGER_CHECKPOINT_TRIALS 10

/* Opens the ledger as bo__storage_open does, then (unless o->unchecked)
 * compares it with its spend journal and, with o->trials_dir, the trial
 * folders. Returns BO_ECONFLICT when they disagree (the ledger lost
 * committed trials, the journal is damaged or lags by more than a crash
 * explains, a trial folder exists that the ledger does not know, or the
 * ledger is missing or empty while its journal records trials): the
 * message says what and names `budgetopt doctor`. o may be NULL. */
int bo__storage_open_ex(bo_storage **out, const char *uri, const bo_ledger_open_options *o);

/* The SQLite file path of uri (without a scheme) into buf. */
int bo__storage_file(const char *uri, char *buf, size_t size);

/* Compares an open ledger at path (its file) with its journal and trial
 * folders as bo__storage_open_ex does. 0 when they agree. */
int bo__ledger_verify(bo_storage *st, const char *path, const bo_ledger_open_options *o);

/* SQLite only (st opened by bo__sqlite_open): */
/* "ok", or SQLite's list of problems from PRAGMA integrity_check, in *out
 * (caller frees). */
int bo__sqlite_integrity(bo_storage *st, char **out);
/* Replaces (or inserts) trial t->id with t as given: state, cost, params,
 * metrics, usage, times; a "restore" event records it. For doctor. */
int bo__sqlite_trial_restore(bo_storage *st, const bo_trial_rec *t);
/* Copies the write-ahead log into the main file (as far as readers allow). */
int bo__sqlite_checkpoint(bo_storage *st);
/* The SQLite connection of st, for whole-table work (storage/copy.c);
 * NULL when st is not a SQLite ledger. */
struct sqlite3 *bo__sqlite_db(bo_storage *st);

/* Opens (creating if needed) the ledger named by uri: "sqlite:///abs/path.db",
 * "sqlite:relative/path.db" or a plain path (SQLite). Returns 0 and *out,
 * BO_EIO (message has SQLite's text), BO_EINVAL for an unknown scheme, or
 * BO_ECONFLICT when the file's schema is newer than this program. */
int bo__storage_open(bo_storage **out, const char *uri);

/* Closes st; accepts NULL. */
void bo__storage_close(bo_storage *st);

/* The SQLite backend; group: see bo_ledger_open_options. Creates the file
 * (and its -wal, -shm and journal) owner-only unless group. */
int bo__sqlite_open(bo_storage **out, const char *path, int group);

#endif
