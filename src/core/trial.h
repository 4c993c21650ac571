/*
 * core/trial.h - a trial as every layer sees it: its state, its named
 * values (parameters, metrics, usage) and its record in the ledger.
 *
 * Plain data and the helpers that free and read it; no I/O.
 */
#ifndef BO_CORE_TRIAL_H
#define BO_CORE_TRIAL_H

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
	int64_t pid;           /* evaluator process (group) id, 0 before the launch */
	int64_t pid_start;     /* its start time (field 22 of /proc/<pid>/stat): a
				* reused pid never matches both */
	char *cgroup;          /* the cgroup v2 folder holding its processes, or NULL */
	char *host;            /* host the evaluator ran on */
	char *folder;          /* the trial's working folder */
	char *reserve_basis;   /* written at trial_start only: why it reserved
				* what it did (the "reserve" event's detail) */
	double cap;            /* trial_start only: its money cap, recorded as */
	char *cap_detail;      /* a "trial_cap" event with this detail in the
				* same transaction when cap_detail is set */
	char *scenario;        /* the scenario it ran under (NULL: "default") */
	int64_t repeat;        /* its repeat, from 0 */
} bo_trial_rec;

void bo__trial_rec_clear(bo_trial_rec *t);   /* frees members, zeroes */
void bo__trial_rec_free_array(bo_trial_rec *t, size_t n);

/* The record of trial id among t[0..n), or NULL. */
const bo_trial_rec *bo__trial_rec_find(const bo_trial_rec *t, size_t n, int64_t id);

/* The Slurm job id of a trial run through Slurm (its cgroup field is
 * "slurm:JOBID", runner/slurm_jobs.h), or 0. */
int64_t bo__trial_slurm_job(const bo_trial_rec *t);

/* Value of a named metric / usage / param in a record, or NaN. */
double bo__kv_get(const bo_kv *kv, size_t n, const char *name);

/* Trial t as the samplers see it: x[k] the value of study s's parameter k
 * (NaN when inactive), and, when m is not NULL, m[k] its metric k (NaN
 * when missing). s is a bo_study (core/model.h). */
struct bo_study;
void bo__trial_rec_point(const struct bo_study *s, const bo_trial_rec *t, double *x, double *m);

/* The record of trial id among t[0..n), or NULL. The ledger gives trials
 * ordered by id: a binary search, then a scan for any other order. */
const bo_trial_rec *bo__trial_find(const bo_trial_rec *t, size_t n, int64_t id);

/* Are the n-vectors a and b the same point? Each pair of values equal,
 * or both NaN (an inactive parameter, as bo__trial_rec_point fills). */
int bo__trial_same_point(const double *a, const double *b, size_t n);

/* Appends (name, value) to *kv (*n used of *cap), copying name. Returns 0
 * or BO_ENOMEM (the list is unchanged). */
int bo__kv_push(bo_kv **kv, size_t *n, size_t *cap, const char *name, double value);

/* Frees the names of the n entries and the array; accepts NULL. */
void bo__kv_free(bo_kv *kv, size_t n);

#endif
