/*
 * core/model.h - the in-memory study model that every layer reads.
 *
 * A bo_study is built by the YAML reader (core/study_yaml.c) and is
 * read-only afterwards. Parameter values of a configuration travel as one
 * double per parameter, in the order of study->params:
 *   float, int        the value itself
 *   choice, ordinal   the index of the chosen label (0, 1, ...)
 *   inactive          NaN (the parameter's condition is false)
 * Parameters are ordered so that a condition only refers to parameters
 * before it (the reader rejects forward references and cycles).
 */
#ifndef BO_CORE_MODEL_H
#define BO_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "budgetopt/study.h"
#include "core/dist.h"
#include "core/expr.h"
#include "core/trial.h"

typedef struct bo_srcpos {
	int line;    /* 1-based, 0 when unknown */
	int col;     /* 1-based */
} bo_srcpos;

typedef enum bo_ptype {
	BO_PT_FLOAT,
	BO_PT_INT,
	BO_PT_CHOICE,    /* unordered labels */
	BO_PT_ORDINAL    /* ordered labels */
} bo_ptype;

typedef struct bo_param {
	char *name;
	bo_ptype type;
	double lo, hi;        /* float/int: inclusive bounds, lo <= hi */
	int log;              /* float/int: sample on a log scale (lo > 0) */
	double step;          /* float/int: 0 or a grid step from lo */
	size_t nchoices;      /* choice/ordinal */
	char **choices;       /* labels as written in the file */
	double *choice_num;   /* numeric value of each label, or NaN */
	int numeric_choices;  /* all labels numeric: expressions see numbers */
	int from_catalog;     /* choice: from_catalog: labels come from the
				 catalog's column (none until one is read) */
	bo_expr *when;        /* NULL: always active */
	char *when_text;
	bo_srcpos pos;
} bo_param;

typedef struct bo_constraint {
	char *text;
	bo_expr *expr;        /* over parameters and inputs only */
	bo_srcpos pos;
} bo_constraint;

typedef struct bo_input {
	char *name;
	double value;         /* a point; the mean when dist is set */
	bo_dist *dist;        /* NULL: a point; else an uncertain number (core/dist.h) */
	bo_srcpos pos;
} bo_input;

/* One entry of the price book: a scalar price, or a table keyed by label
 * (gpu_hours: {l4: 0.8, a100: 3.4}). Usage "gpu_hours.a100" is priced by
 * the entry "gpu_hours" key "a100"; usage "cpu_hours" by the scalar entry. */
typedef struct bo_price {
	char *name;
	int is_table;
	double value;         /* scalar; the mean when dist is set */
	bo_dist *dist;        /* scalar: NULL, or its distribution */
	size_t nkeys;
	char **keys;
	double *values;       /* the means of uncertain entries */
	bo_dist **dists;      /* table: NULL, or nkeys entries (NULL: a point) */
	bo_srcpos pos;
} bo_price;

typedef struct bo_pricebook {
	char *version;        /* never NULL after reading ("unversioned") */
	char *currency;       /* never NULL ("USD" by default) */
	size_t n;
	bo_price *items;
} bo_pricebook;

typedef struct bo_metric {
	char *name;
	int goal;             /* +1 maximize, -1 minimize, 0 not stated */
	int optional;         /* 1: a missing value does not fail the trial */
	bo_srcpos pos;
} bo_metric;

typedef struct bo_derived {
	char *name;
	char *text;
	bo_expr *expr;
	int goal;             /* as for metrics */
	bo_srcpos pos;
} bo_derived;

/* An objective names a metric or a derived metric. */
typedef struct bo_objective {
	char *name;
	int sym_kind;         /* BO_SYM_METRIC or BO_SYM_DERIVED */
	int index;
	int goal;             /* +1 maximize, -1 minimize */
	bo_srcpos pos;
	/* "worst(accuracy)": a robust aggregate across scenarios (issue 10),
	 * judged per configuration by select and frontier; per trial (the
	 * samplers, pruners) the metric itself, which name, goal, sym_kind and
	 * index stay. robust: 0 none, else BO_EXPR_ROBUST_* + 1; alpha: cvar's
	 * share; label: "worst(accuracy)" as written (NULL when not robust). */
	int robust;
	double alpha;
	char *label;
} bo_objective;

typedef struct bo_guardrail {
	char *text;
	bo_expr *expr;        /* a comparison */
	double prob;          /* "... with probability >= p": p in (0,1); 0: none */
	bo_srcpos pos;
} bo_guardrail;

typedef struct bo_budget {
	double money;         /* NaN: no limit */
	int64_t trials;       /* 0: no limit */
	double time_s;        /* NaN: no limit; wall time of the study */
	double trial_money;   /* per-trial cap; NaN: none */
	int trial_money_none; /* per_trial: {money: none}: no cap derived from money */
	double trial_time_s;  /* per-trial cap; NaN: none */
	double confirm;       /* budget: confirm: the share of money kept back to
				 re-evaluate the top candidates (runner/confirm.c);
				 0: none */
} bo_budget;

/* Safeguards (issue 11 item 4): read by core/study_guard.c, applied by
 * runner/safeguards.c. */
#define BO_ALERTS_MAX 16
#define BO_ALERT_TIMEOUT_S 10.0   /* default alerts: timeout of the hook */
#define BO_ANOMALY_K 3.0          /* default budget: anomaly */

typedef struct bo_trial_limit {
	int param;            /* index of a choice, ordinal or int parameter */
	int64_t max;          /* most trials per value of it, >= 1 */
	bo_srcpos pos;
} bo_trial_limit;

typedef struct bo_guard {
	double rate_money;    /* budget: rate: money; NaN: no spend-rate limit */
	double rate_per_s;    /* budget: rate: per, seconds (the trailing window) */
	double anomaly_k;     /* budget: anomaly; 0: off (anomaly: off) */
	size_t nalerts;       /* alerts: at (0.5, 0.8, 0.95 by default), ascending */
	double alerts[BO_ALERTS_MAX];
	size_t alert_argc;
	char **alert_argv;    /* alerts: command, NULL-terminated; NULL: no hook */
	double alert_timeout_s;
	size_t nlimits;
	bo_trial_limit *limits;  /* limits: max_trials_per */
	int64_t rollback_every;  /* rollback: every: re-evaluate the incumbent after
				    this many trials; 0: never */
	double rollback_noise;   /* rollback: noise: a drop of the score up to this
				    is noise (>= 0) */
} bo_guard;

/* Where trials run (evaluator: executor). */
enum { BO_EXECUTOR_LOCAL = 0, BO_EXECUTOR_SLURM = 1 };

/* evaluator: slurm: the sbatch options of every trial (core/study_slurm.c
 * checks them; exec/slurm.c turns them into argv). NULL / 0: not given,
 * the cluster's default. */
typedef struct bo_slurm_opts {
	char *partition;      /* --partition */
	double time_s;        /* --time, in seconds (NaN: from the evaluator's timeout, or none) */
	int cpus;             /* --cpus-per-task */
	char *gpus;           /* --gpus ("2" or "a100:2") */
	char *mem;            /* --mem ("4G") */
	char *account;        /* --account */
	size_t nextra;
	char **extra;         /* more sbatch arguments, each one argv item */
	double poll_s;        /* how often squeue is asked (default 1 s) */
} bo_slurm_opts;

/* core/study_slurm.c. Frees what o owns and resets it (time_s NaN). */
void bo__slurm_opts_clear(bo_slurm_opts *o);
/* Checks one value of evaluator: slurm: (key partition, account, gpus,
 * mem, or extra for one item of that list). 0, or -1 with why: what the
 * value should look like. */
int bo__slurm_check(const char *key, const char *value, char *why, size_t size);
/* Slurm's time syntax ("MM", "MM:SS", "HH:MM:SS", "D-HH[:MM[:SS]]") in
 * seconds: 0, or -1 when s is not one. */
int bo__slurm_time_parse(const char *s, double *out);
/* Seconds as an sbatch --time, rounded up to whole minutes. */
void bo__slurm_time_format(double secs, char *buf, size_t size);

typedef struct bo_evaluator {
	int executor;         /* BO_EXECUTOR_* */
	bo_slurm_opts slurm;
	size_t argc;
	char **argv;          /* with {name} placeholders, NULL-terminated */
	int shell;            /* 1: run argv joined by /bin/sh -c (opt-in) */
	int parallel;         /* >= 1 */
	double timeout_s;     /* NaN: none */
	char *workdir;        /* resolved against the study file's folder; NULL: that folder */
	size_t nenv;
	char **env;           /* "KEY=VALUE" extra environment */
	bo_srcpos pos;
} bo_evaluator;

/* How a catalog (a CSV table of configurations measured elsewhere) maps to
 * the study: by default a parameter or metric reads the column of its own
 * name; columns renames some; where keeps only the rows it holds for. */
typedef struct bo_catalog_spec {
	size_t ncolumns;
	char **names;            /* parameter or metric names */
	char **columns;          /* the CSV column each reads */
	char *where_text;        /* NULL: every row */
	bo_expr *where;          /* over parameters and metrics */
	char *label;             /* column that names each row, or NULL */
	bo_srcpos pos;
} bo_catalog_spec;

/* pruner: how running trials are stopped early from their intermediate
 * reports (runner/pruner.h; read by core/study_pruner.c). */
enum {
	BO_PRUNER_NONE = 0,
	BO_PRUNER_MEDIAN,     /* median stopping rule */
	BO_PRUNER_ASHA,       /* asynchronous successive halving */
	BO_PRUNER_HYPERBAND,  /* ASHA in Hyperband's brackets */
	BO_PRUNER_PATIENCE,   /* no improvement for a number of reports */
	BO_PRUNER_THRESHOLD,  /* a value outside [lower, upper] */
	BO_PRUNER_COST,       /* optimistic value per unit cost below the incumbent's */
	BO_PRUNER_PARETO      /* dominated, with a margin, by a complete trial */
};

typedef struct bo_pruner_spec {
	int kind;             /* BO_PRUNER_* */
	size_t nmetrics;      /* intermediate metrics read: 1, or the objectives (pareto) */
	char **metrics;
	int *goals;           /* +1 maximize, -1 minimize, per metric */
	int64_t warmup_steps; /* no decision before this step */
	int64_t min_trials;   /* complete trials needed before a decision */
	int64_t min_step;     /* asha, hyperband: the first rung */
	int64_t max_step;     /* asha: last rung (0: none); hyperband, cost: a full trial's steps */
	double eta;           /* asha, hyperband: reduction factor (> 1) */
	int64_t patience;     /* patience: reports without improvement */
	double min_delta;     /* patience: what counts as an improvement */
	double lower, upper;  /* threshold: NaN where not given */
	double margin;        /* cost, pareto: relative margin (>= 0) */
	double max_value;     /* cost, pareto: the best value a metric can reach (NaN: none) */
	bo_srcpos pos;
} bo_pruner_spec;

/* fidelity: the parameter that makes a trial cheaper and less accurate
 * (epochs, data share), searched in ASHA rungs or Hyperband brackets over
 * it (runner/fidelity.h; read by core/study_fidelity.c). */
enum { BO_FIDELITY_ASHA = 0, BO_FIDELITY_HYPERBAND, BO_FIDELITY_GP };

/* The schedule's name as written in the study file ("asha", ...). */
const char *bo__fidelity_schedule_name(int schedule);

typedef struct bo_fidelity_spec {
	int param;            /* index in params, -1: no fidelity */
	double min, max;      /* the lowest and highest rung's value */
	double eta;           /* reduction factor (> 1) */
	int schedule;         /* BO_FIDELITY_* */
	bo_srcpos pos;
} bo_fidelity_spec;

#define BO_FIDELITY_MAX_RUNGS 63

/* The rungs' values of f over a parameter of type ptype, lowest first,
 * into values (up to cap): the top rung is max, each below it eta times
 * smaller (rounded for BO_PT_INT), none below min. Returns how many rungs
 * there are (core/study_fidelity.c). */
int bo__fidelity_rungs(const bo_fidelity_spec *f, int ptype, double *values, int cap);

/* The rung of a trial whose fidelity parameter has value v in study s
 * (0: lowest), -1 when s has no fidelity or v is on no rung; *nrungs (may
 * be NULL) gets the number of rungs. For trials, status and export. */
int bo__study_fidelity_rung(const bo_study *s, double v, int *nrungs);

/* scenarios: a named evaluation condition (clean data, shifted data,
 * another accelerator) with its own values of some inputs and prices
 * (issue 10 item 4; read by core/study_scenarios.c, applied by
 * core/scenario.c). */
typedef struct bo_scen_value {
	int is_price;         /* 0: an input; 1: a price */
	int index;            /* into inputs, or prices.items */
	int key;              /* a price table's key index; -1: a scalar entry */
	double value;         /* a point; the mean when dist is set */
	bo_dist *dist;        /* NULL: a point (owned by the study's uncertain list) */
	bo_srcpos pos;
} bo_scen_value;

typedef struct bo_scenario {
	char *name;
	double weight;        /* > 0 as written (default 1); bo__scenario_weight normalises */
	size_t nvalues;
	bo_scen_value *values;
	bo_srcpos pos;
} bo_scenario;

enum { BO_SCEN_POLICY_ALL = 0, BO_SCEN_POLICY_PROMOTE };

/* scenario_policy: promote (runner/promote.h): new configurations run under
 * the base scenario, within all but `reserve` of the money budget (and of
 * the trials budget); every `every` base configurations a rung closes and
 * its best `top` not yet promoted run under the other scenarios, paid from
 * what exploration leaves. */
typedef struct bo_promote_spec {
	int64_t top;          /* promoted per rung (>= 1; 3 by default) */
	int64_t every;        /* base configurations per rung (>= 1; 20 by default) */
	double reserve;       /* share kept for promotions, in [0, 1) (0.3 by default) */
	size_t base;          /* index of the base scenario (0 by default) */
	bo_srcpos pos;
} bo_promote_spec;

#define BO_PROMOTE_TOP 3
#define BO_PROMOTE_EVERY 20
#define BO_PROMOTE_RESERVE 0.3

#define BO_REPEATS_MAX 1000   /* repeats: n and --repeats at most this */

struct bo_study {
	char *path;           /* as given; "<string>" when parsed from memory */
	char *dir;            /* folder of the study file, absolute */
	char *text;           /* the file's bytes, NUL-terminated */
	size_t text_len;
	char hash[65];        /* SHA-256 of text, hex */
	char space_hash[65];  /* SHA-256 of a canonical form of the space */

	char *name;
	uint64_t seed;
	int has_seed;

	size_t nparams;
	bo_param *params;
	size_t nconstraints;
	bo_constraint *constraints;
	size_t ninputs;
	bo_input *inputs;
	bo_pricebook prices;
	size_t nmetrics;
	bo_metric *metrics;
	size_t nderived;
	bo_derived *derived;
	size_t *derived_order;   /* evaluation order (dependencies first) */
	size_t nobjectives;
	bo_objective *objectives;
	size_t nguardrails;
	bo_guardrail *guardrails;
	char *score_text;        /* NULL: no score */
	bo_expr *score;
	int score_goal;          /* +1 maximize (default), -1 minimize */
	bo_budget budget;
	bo_evaluator evaluator;
	char *sampler;           /* "auto", "random", "sobol"; never NULL */
	char *storage;           /* storage URI from the file, or NULL */
	int storage_group;       /* storage_access: group (files 0640, folders 0750) */
	bo_catalog_spec catalog;
	bo_pruner_spec pruner;   /* kind BO_PRUNER_NONE by default */
	bo_fidelity_spec fidelity; /* param -1 by default */
	size_t nuncertain;       /* uncertain inputs and prices, in reading order */
	bo_dist **uncertain;     /* borrowed from inputs and prices; dist->slot = index */
	bo_guard guard;          /* spend rate, alerts, anomaly stop, per-value limits */
	size_t nscenarios;       /* 0: one implicit scenario, "default" */
	bo_scenario *scenarios;
	int scenario_policy;     /* BO_SCEN_POLICY_* */
	bo_promote_spec promote; /* scenario_policy: promote */
	int64_t repeats;         /* repeats: n (>= 1; 1 by default) */
	size_t nrepeat_seeds;    /* repeats: seeds, 0 or repeats long */
	uint64_t *repeat_seeds;
	bo_srcpos scenarios_pos;
};

/* core/scenario.c: the evaluation units of one configuration are its
 * scenarios times its repeats. The scenarios of s: nscenarios, or 1 (the
 * implicit "default") when the study lists none. */
size_t bo__scenario_count(const bo_study *s);
/* The name of scenario k ("default" for the implicit one). */
const char *bo__scenario_name(const bo_study *s, size_t k);
/* The index of the scenario named name, or -1. */
int bo__scenario_find(const bo_study *s, const char *name);
/* The weight of scenario k over the sum of all weights (1 for the implicit
 * one). */
double bo__scenario_weight(const bo_study *s, size_t k);
/* The seed of repeat k (0-based): repeats: seeds[k] when given, else the
 * study's seed (0 without one) plus k. */
uint64_t bo__repeat_seed(const bo_study *s, int64_t k);
/* A view of s under scenario k: a shallow copy whose inputs and prices
 * carry the scenario's values (its other parts are s's, borrowed), for the
 * derived metrics, guardrails, score and cost of a trial of that scenario.
 * Free it with bo__scenario_view_free before s. Returns 0 or BO_ENOMEM. */
int bo__scenario_view(const bo_study *s, size_t k, bo_study **out);
void bo__scenario_view_free(bo_study *v);

/* Compiles text as an expression over every name of the study (parameters,
 * metrics, derived metrics, inputs, prices), for expressions given on the
 * command line. what names it in messages ("--where"). Returns 0 and *out,
 * or BO_EINVAL with the message "what: column N: ...", BO_ENOMEM. */
int bo__study_compile(const bo_study *s, const char *text, const char *what, bo_expr **out);

/* Replaces the price book of s with the prices: of another file (text,
 * len bytes; path names it in messages; a samples file is relative to the
 * study's folder), read and checked as in a study file. Its distributions
 * join s->uncertain. Returns 0, BO_EINVAL with *diags (every problem,
 * file:line:col), BO_ENOMEM; s is unchanged on failure. */
struct bo_diags;
int bo__study_read_prices(bo_study *s, const char *text, size_t len, const char *path,
			  struct bo_diags **diags);

/* Index of a parameter / metric / derived / input / price by name, or -1. */
int bo__study_find_param(const bo_study *s, const char *name);
int bo__study_find_metric(const bo_study *s, const char *name);
int bo__study_find_derived(const bo_study *s, const char *name);
/* The distribution of input (is_price 0) or price NAME (a scalar price or
 * TABLE.KEY) of s, and its point value in *value; NULL when s has no such
 * entry (*result NULL: a fixed number). core/study_dist.c. */
struct bo_dist **bo__study_find_dist(bo_study *s, int is_price, const char *name, double **value);

/* Applies n observations (budgetopt observe): detail[k] is "price NAME"
 * or "input NAME" and x[k] its value. All observations of an entry are
 * applied at once (bo__dist_observe), and its point value becomes the new
 * mean. *applied counts those applied; *ignored those of an entry that s
 * has not as a normal or lognormal. Returns 0 or BO_ENOMEM. */
int bo__study_observe(bo_study *s, const char *const *detail, const double *x, size_t n, size_t *applied,
		      size_t *ignored);

int bo__study_find_input(const bo_study *s, const char *name);
int bo__study_find_price(const bo_study *s, const char *name);

/* Looks up price.NAME[key]: the table entry, or the scalar entry when the
 * price is not a table (a key is then ignored). Returns 0 or BO_ENOTFOUND. */
int bo__pricebook_lookup(const bo_pricebook *pb, int index, const char *key, double *out);

/* Price of one unit of a usage resource: "cpu_hours" (a scalar entry) or
 * "gpu_hours.a100" (table gpu_hours, key a100; or a scalar entry literally
 * named "gpu_hours.a100"). Returns 0, or BO_ENOTFOUND when the price book
 * has no price for it (such usage is recorded but costs nothing). */
int bo__pricebook_unit_price(const bo_pricebook *pb, const char *resource, double *out);

/* What usage costs: the sum of each amount times its unit price (usage
 * without a price costs nothing). */
double bo__pricebook_cost(const bo_pricebook *pb, const bo_kv *usage, size_t n);

/* The budget rules `budgetopt run` and the ask/tell API share (DESIGN.md
 * section 4). The reservation for the next trial: the per-trial money cap
 * if set, else BO_RESERVE_MARGIN times the costliest trial so far (when
 * nfinished > 0), else NaN: nothing predicts it, the trial must run alone. */
#define BO_RESERVE_MARGIN 1.25
double bo__budget_reservation(const bo_budget *b, int64_t nfinished, double max_cost);

/* What a trial priced at price is charged: at most the per-trial cap. */
double bo__budget_charge(const bo_budget *b, double price);

/* The environment variable that carries parameter name to the evaluator:
 * BUDGETOPT_PARAM_ and the name upper-cased (names are ASCII identifiers,
 * so nothing else needs mapping). Two parameters whose names give the same
 * variable are refused by the study reader. Truncated to size. */
void bo__param_env_name(const char *name, char *buf, size_t size);

/* 1 when every trial is launched with a money cap (and charged at most
 * it): the study sets per_trial.money, or it has a money budget and does
 * not opt out with per_trial: {money: none}, and then each trial's cap is
 * derived at launch by bo__budget_derived_cap. */
int bo__budget_capped(const bo_budget *b);

/* The money cap of a trial launched in a study with a money budget and no
 * per-trial cap: its share of what is left, left / slots, but never below
 * its reservation reserve (a NaN reserve counts as 0) and never above
 * left. left is the budget minus the spend minus the caps of the trials
 * still running; slots the launches that may start now (free parallel
 * slots, at most the trials the trial budget still allows), >= 1. Since a
 * trial is launched only when reserve <= left, and is charged at most its
 * cap, spend + the caps of running trials never pass the budget, so the
 * recorded spend never does either. */
double bo__budget_derived_cap(double left, int64_t slots, double reserve);

/* Formats the value x of parameter p into buf ("0.001", "42", "forest");
 * "" when inactive (NaN). Floats use the shortest form that reads back
 * exactly. Returns the length written (truncated to size-1). */
size_t bo__param_format(const bo_param *p, double x, char *buf, size_t size);

/* Parses text as a value of parameter p (a label for choices, a number
 * otherwise) into *x. Returns 0 or BO_EINVAL (out of bounds, unknown label). */
int bo__param_parse(const bo_param *p, const char *text, double *x);

/* The active parameters of configuration x as a JSON object, labels as
 * strings ({"family": "mlp", "hidden": 64, "lr": 0.001}): what the
 * evaluator gets in BUDGETOPT_PARAMS and the ledger stores. Returns a
 * string to free with bo__free, or NULL (BO_ENOMEM). */
char *bo__study_params_json(const bo_study *s, const double *x);

/* Checks a full configuration: actives match conditions, values within
 * bounds/steps, constraints hold. Returns 0, or 1 when it is invalid (why
 * gets a reason), or a negative code on error. */
int bo__study_check_config(const bo_study *s, const double *x, char *why, size_t whylen);

/* Metric values of one finished trial, and what is derived from them. */
typedef struct bo_eval_ctx {
	const bo_study *study;
	const double *x;          /* nparams parameter values */
	const double *metrics;    /* nmetrics values, NaN when missing */
	double *derived;          /* nderived values, filled by bo__study_derive */
} bo_eval_ctx;

/* Computes every derived metric in dependency order into ctx->derived
 * (NaN where a value is missing). Returns 0 or an error for a type error. */
int bo__study_derive(bo_eval_ctx *ctx);

/* Evaluates the guardrails: *feasible = 1 if all hold; margins[i] (if not
 * NULL, nguardrails long) is how far guardrail i is from its bound, positive
 * when it holds ("latency <= 200" with latency 150 gives 50). A guardrail
 * over a missing value does not hold. */
int bo__study_guardrails(const bo_eval_ctx *ctx, int *feasible, double *margins);

/* The same for any guardrails (n of them), such as extra ones given on the
 * command line. */
int bo__guardrails_eval(const bo_eval_ctx *ctx, const bo_guardrail *g, size_t n, int *feasible,
			double *margins);

/* The score (NaN without a score or with a missing value). */
int bo__study_score(const bo_eval_ctx *ctx, double *out);

/* An expression environment over ctx, for bo__expr_eval. */
void bo__study_env(const bo_eval_ctx *ctx, bo_expr_env *env);

/* The CSV column a parameter or metric reads in a catalog: its own name,
 * or the one catalog: columns maps it to (core/study_catalog.c). */
const char *bo__catalog_column(const bo_study *s, const char *name);

/* The first parameter declared `choice: from_catalog` whose labels have not
 * been read from a catalog yet, or NULL: such a study cannot be run. */
const char *bo__study_needs_catalog(const bo_study *s);

/* Gives every `choice: from_catalog` parameter of s the labels of its
 * column in csv (distinct non-empty cells, spaces around them removed, in
 * first-seen order). name is the file, for messages. Call once, before
 * reading configurations. Returns 0, BO_EINVAL (no such column, or no
 * label in it), BO_ENOMEM. */
struct bo_csv;
int bo__study_catalog_labels(bo_study *s, const struct bo_csv *csv, const char *name);

/* SHA-256 of data as 64 hex characters and a NUL. */
void bo__sha256_hex(const void *data, size_t len, char out[65]);

#endif
