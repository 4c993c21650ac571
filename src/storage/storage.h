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

typedef enum bo_trial_state {
	BO_TRIAL_QUEUED = 0,
	BO_TRIAL_RUNNING,
	BO_TRIAL_COMPLETE,
	BO_TRIAL_PRUNED,
	BO_TRIAL_FAILED
} bo_trial_state;

/* "queued", "running", "complete", "pruned", "failed". */
const char *bo__trial_state_name(int state);
/* The state named s, or -1. */
int bo__trial_state_parse(const char *s);

typedef struct bo_kv {
	char *name;
	double value;
} bo_kv;

/* One trial as stored. Strings and arrays are owned by the record. */
typedef struct bo_trial_rec {
	int64_t id;            /* 1, 2, ... in launch order within the study */
	int state;             /* bo_trial_state */
	int64_t version;       /* study version the trial ran under */
	int64_t run_id;        /* the runner session that launched it */
	char *sampler;         /* which sampler proposed it */
	char *params_json;     /* {"name": value, ...}; inactive parameters absent */
	size_t nparams;
	bo_kv *params;         /* numeric values: choice/ordinal as their index */
	size_t nmetrics;
	bo_kv *metrics;        /* final metrics, reported then derived */
	size_t nusage;
	bo_kv *usage;          /* resource -> amount (measured and reported, summed) */
	double cost;           /* charged, in the price book's currency */
	double reserved;       /* reserved before launch */
	char *price_version;
	char *reason;          /* failure reason, or NULL */
	double score;          /* NaN when none */
	int feasible;          /* 1 all guardrails hold, 0 not, -1 unknown */
	double created_at;     /* unix seconds */
	double started_at;
	double ended_at;       /* 0 while running */
	int exit_code;         /* -1 when none */
	int term_signal;       /* 0 when none */
	int64_t pid;           /* evaluator process (group) id while running */
	char *host;            /* host the evaluator ran on */
	char *folder;          /* the trial's working folder */
} bo_trial_rec;

void bo__trial_rec_clear(bo_trial_rec *t);   /* frees members, zeroes */
void bo__trial_rec_free_array(bo_trial_rec *t, size_t n);

/* Value of a named metric / usage / param in a record, or NaN. */
double bo__kv_get(const bo_kv *kv, size_t n, const char *name);

/* Appends (name, value) to *kv (*n used of *cap), copying name. Returns 0
 * or BO_ENOMEM (the list is unchanged). */
int bo__kv_push(bo_kv **kv, size_t *n, size_t *cap, const char *name, double value);

/* Frees the names of the n entries and the array; accepts NULL. */
void bo__kv_free(bo_kv *kv, size_t n);

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

typedef struct bo_trial_query {
	int state;             /* -1: all */
	const char *sort;      /* "id" (default), "cost", "score", or a metric name; "-x" descending */
	int64_t limit;         /* 0: no limit */
} bo_trial_query;

#define BO_TRIAL_QUERY_INIT {-1, NULL, 0}

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
	/* Records the pid and folder of a started trial. */
	int (*trial_launched)(bo_storage *st, int64_t id, int64_t pid, const char *folder);
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
} bo_storage_ops;

struct bo_storage {
	const bo_storage_ops *ops;
};

/* Opens (creating if needed) the ledger named by uri: "sqlite:///abs/path.db",
 * "sqlite:relative/path.db" or a plain path (SQLite). Returns 0 and *out,
 * BO_EIO (message has SQLite's text), BO_EINVAL for an unknown scheme, or
 * BO_ECONFLICT when the file's schema is newer than this program. */
int bo__storage_open(bo_storage **out, const char *uri);

/* Closes st; accepts NULL. */
void bo__storage_close(bo_storage *st);

/* The SQLite backend. */
int bo__sqlite_open(bo_storage **out, const char *path);

#endif
