/*
 * storage/optuna.h - reading one study out of an Optuna RDB storage (the
 * SQLite file Optuna's `sqlite:///x.db` storage writes), for
 * `budgetopt import-optuna`.
 *
 * The file is opened read-only and never written; every value travels as
 * a bound parameter. What is read is kept as Optuna has it (internal
 * parameter representations, distribution JSON, attribute JSON): turning
 * it into a budgetopt study and ledger is runner/import_optuna.c's job.
 */
#ifndef BO_STORAGE_OPTUNA_H
#define BO_STORAGE_OPTUNA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bo_optuna_kind {
	BO_OPTUNA_FLOAT,
	BO_OPTUNA_INT,
	BO_OPTUNA_CATEGORICAL
} bo_optuna_kind;

/* A distribution, from FloatDistribution, IntDistribution,
 * CategoricalDistribution or the legacy Uniform-, LogUniform-,
 * DiscreteUniform-, IntUniform- and IntLogUniformDistribution forms. */
typedef struct bo_optuna_dist {
	bo_optuna_kind kind;
	double low, high;
	double step;          /* 0: none (float); int: >= 1 */
	int log;
	json_t *choices;      /* categorical: the JSON array (owned) */
} bo_optuna_dist;

typedef struct bo_optuna_param {
	char *name;
	double value;         /* Optuna's internal representation: a categorical's index */
	bo_optuna_dist dist;
} bo_optuna_param;

typedef struct bo_optuna_step {
	int64_t step;
	double value;         /* NaN, +-inf as Optuna stores them */
} bo_optuna_step;

typedef struct bo_optuna_trial {
	int64_t number;
	char state[12];       /* "COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING" */
	double start;         /* unix seconds; NaN when not set */
	double complete;      /* unix seconds; NaN when not set */
	size_t nvalues;
	double *values;       /* per objective; NaN when missing */
	size_t nparams;
	bo_optuna_param *params;
	json_t *user_attrs;   /* object key -> value (owned) */
	json_t *constraints;  /* the "constraints" system attribute (an array), or NULL */
	char *fail_reason;    /* the "fail_reason" system attribute, or NULL */
	size_t nsteps;
	bo_optuna_step *steps;
} bo_optuna_trial;

typedef struct bo_optuna_study {
	char *name;
	char *schema;         /* alembic_version, e.g. "v3.0.0.d" */
	char *library_version;/* Optuna that wrote the file */
	size_t nobjectives;
	int *directions;      /* +1 maximize, -1 minimize */
	size_t ntrials;
	bo_optuna_trial *trials; /* by number */
} bo_optuna_study;

/* Reads study name from the Optuna SQLite file path (read-only). Returns 0
 * and fills *out (free with bo__optuna_study_clear), or: BO_ENOTFOUND (no
 * such file, or no such study: the message lists the studies there),
 * BO_EINVAL (not an Optuna storage, a schema this does not read, a value
 * that does not parse: the message says which), BO_EIO (SQLite's text),
 * BO_ENOMEM. */
int bo__optuna_read(bo_optuna_study *out, const char *path, const char *name);

void bo__optuna_study_clear(bo_optuna_study *s);

/* Parses a distribution_json text into *d (d->choices owned by d).
 * Returns 0 or BO_EINVAL naming what is wrong. */
int bo__optuna_dist_parse(const char *text, bo_optuna_dist *d);

/* Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (naive local time, as Optuna
 * stores it) into unix seconds; NaN when it does not parse. */
double bo__optuna_time_parse(const char *text);

#endif
