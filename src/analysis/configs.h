/*
 * analysis/configs.h - the configurations a decision is made over: the
 * trials of a study's ledger, or the rows of a catalog (a CSV table of
 * configurations measured elsewhere), evaluated under the study as it is
 * now: derived metrics, guardrails and the score are recomputed, so a new
 * price book or guardrail applies to old results.
 *
 * Pure: no I/O. The caller reads the ledger or the file.
 */
#ifndef BO_ANALYSIS_CONFIGS_H
#define BO_ANALYSIS_CONFIGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/model.h"
#include "core/trial.h"

typedef struct bo_config {
	int64_t id;            /* trial id, or the catalog row's line number */
	int usable;            /* complete, with every non-optional metric */
	int feasible;          /* 1 every guardrail holds (only when usable) */
	double *x;             /* nparams values (core/model.h conventions) */
	double *m;             /* nmetrics, NaN when missing */
	double *dv;            /* nderived */
	double *margins;       /* nguardrails, positive when it holds */
	double cost;           /* search cost; NaN for catalog rows */
	double score;          /* NaN without a score */
	char *params_json;     /* {"name": value, ...} of the active parameters */
	char *why;             /* why not usable / not feasible, or NULL */
	char *label;           /* readable name (a catalog's label column), or NULL */
	/* Repeats (analysis/repeats.c): after bo__configs_group, nrep >= 2
	 * when this entry folds that many evaluations of one configuration;
	 * then m, dv, margins, score and cost are their means, and these the
	 * standard errors (NaN where fewer than two values). 0 otherwise. */
	size_t nrep;
	double *m_se;          /* nmetrics, or NULL */
	double *dv_se;         /* nderived, or NULL */
	double score_se;
	double cost_total;     /* search cost of all repeats together */
	/* Scenarios (analysis/scenarios.c): after a fold across scenarios, the
	 * value of each robust objective ("worst(accuracy)"), nobjectives
	 * long (NaN for the others); NULL otherwise. */
	double *robj;
} bo_config;

/* A configuration a filter (--where, catalog: where) left out, and why. */
typedef struct bo_removed {
	int64_t id;            /* trial id or line number */
	char *name;            /* as bo__config_name would name it */
	char *why;             /* "--where: \"x\" is missing" */
} bo_removed;

typedef struct bo_configs {
	const bo_study *s;
	int catalog;           /* rows of a catalog: no search cost */
	size_t nguardrails;    /* study's plus extra */
	bo_guardrail *guardrails;   /* the study's, then the extra ones (owned: extra only) */
	size_t nextra;
	bo_expr *where;        /* extra filter (owned), or NULL */
	size_t n, cap;
	bo_config *v;
	size_t nremoved, capremoved;
	bo_removed *removed;   /* left out by a filter, in reading order */
} bo_configs;

/* Prepares an empty set for study s, with extra guardrails (expression
 * texts; may be 0) and an extra row filter (NULL for none), compiled
 * against the study. Returns 0, BO_EINVAL (the message names the option
 * and column), BO_ENOMEM. */
int bo__configs_init(bo_configs *c, const bo_study *s, const char *const *guardrails,
		     size_t nguardrails, const char *where);
void bo__configs_clear(bo_configs *c);

/* The index of configuration id in c, or (size_t)-1. Ids are unique; c
 * is usually ordered by id: a binary search, then a scan. */
size_t bo__configs_find(const bo_configs *c, int64_t id);

/* Adds the trials of a ledger: complete trials are usable when they have
 * every non-optional metric; failed and pruned ones are kept (not usable)
 * with their reason. Trials the filter does not hold for (false or
 * missing: the three-valued logic of core/expr.h) are left out and listed
 * in c->removed with the reason. */
int bo__configs_add_trials(bo_configs *c, const bo_trial_rec *t, size_t n);

/* Adds the rows of a catalog. Numeric cells may have spaces and tabs
 * around them; hexadecimal, inf and nan are not numbers (bo__csv_number).
 * Returns BO_EINVAL when a column is missing or a parameter cell is not a
 * value of its parameter: the message lists every such problem, one per
 * line ("file:line: column \"lr\": ..."), the first BO_BAD_CELLS_MAX of
 * them and then "and N more". A metric cell that is empty or not a number
 * makes the row not usable (its why names the column). With catalog: label
 * the label column names each row. Rows the filters do not hold for go to
 * c->removed as with trials. `choice: from_catalog` parameters must have
 * their labels already (bo__study_catalog_labels). */
#define BO_BAD_CELLS_MAX 20
int bo__configs_add_csv(bo_configs *c, const bo_csv *csv, const char *name);

/* A readable name for configuration i: its label when it has one, else
 * "trial N" (ledger) or "row N" (catalog, N the line number). Writes into
 * buf (size bytes, truncated) and returns buf. */
const char *bo__config_name(const bo_configs *c, size_t i, char *buf, size_t size);

/* An axis: what a frontier or a selection looks at. */
/* BO_AXIS_ROBUST: the study's robust objective index ("worst(accuracy)"):
 * its value folded across scenarios, or the metric itself where nothing
 * was folded. */
enum { BO_AXIS_METRIC, BO_AXIS_DERIVED, BO_AXIS_COST, BO_AXIS_SCORE, BO_AXIS_PARAM, BO_AXIS_ROBUST };

typedef struct bo_axis {
	int kind;
	int index;             /* metric or derived index */
	int goal;              /* +1 maximise, -1 minimise */
	char name[128];
} bo_axis;

/* Parses "name", "+name" (maximise) or "-name" (minimise): a metric, a
 * derived metric, "cost" (a trial's search cost; BO_EINVAL in catalog
 * mode), "score", or a numeric or ordinal parameter (its value; an ordinal's
 * position; NaN when inactive). Without a sign the declared goal (default
 * minimise; the score's own). Returns 0 or BO_EINVAL with a "did you mean"
 * hint. */
int bo__axis_parse(const bo_configs *c, const char *spec, bo_axis *out);

/* The axis for the study's objective i. */
void bo__axis_objective(const bo_study *s, size_t i, bo_axis *out);

/* The value of configuration i on axis a, as reported (not negated). */
double bo__axis_value(const bo_configs *c, size_t i, const bo_axis *a);

/* Selection rules. BO_SELECT_BOTH: cost at most limit and performance at
 * least limit_perf, then as max-cost. */
enum { BO_SELECT_SCORE, BO_SELECT_MAX_COST, BO_SELECT_MIN_PERF, BO_SELECT_LEX, BO_SELECT_BOTH };

typedef struct bo_select_rule {
	int rule;
	double limit;          /* max cost or min perf (BO_SELECT_BOTH: max cost) */
	double limit_perf;     /* BO_SELECT_BOTH: min perf */
	bo_axis perf, cost;
	size_t nlex;
	bo_axis lex[8];
	double tol[8];         /* lexicographic: values within tol[k] of the best
				  on axis k count as tied on it (0: exact) */
} bo_select_rule;

/* Orders the usable, feasible configurations that the rule admits, best
 * first, into order (n entries at most); *norder gets their number. The
 * order is total and documented: score (the study's direction), then lower
 * cost axis, then lower id; max-cost: higher perf, lower cost, lower id;
 * min-perf: lower cost, higher perf, lower id; lexicographic: each axis in
 * turn, then lower id. Values that are NaN never qualify. */
int bo__select_order(const bo_configs *c, const bo_select_rule *r, size_t *order, size_t *norder);

/* Lexicographic with tolerances (analysis/select.c): reorders the n
 * configurations of order, already in exact lexicographic order, so that
 * each position holds the winner among those left: keep the ones within
 * tol[0] of the best on axis 0, of those the ones within tol[1] of the best
 * on axis 1, and so on; among the ones left the exact order decides. Only
 * the first BO_SELECT_TOL_TOP positions are chosen this way (the rest stay
 * in exact order). Returns 0. */
#define BO_SELECT_TOL_TOP 64
int bo__select_tolerance(const bo_configs *c, const bo_select_rule *r, size_t *order, size_t n);

/* Which part of rule r put configuration a before b (a first in the
 * order): the name of the axis that decided, or "id" (lower id) when
 * they tie on every axis. */
const char *bo__select_decider(const bo_configs *c, const bo_select_rule *r, size_t a, size_t b);

/* How far configuration i is from qualifying under a max-cost / min-perf
 * rule: the amounts by which its cost exceeds the cost limit and its
 * performance falls short of the performance limit (0 when within; in the
 * axes' own units); returns their sum, each relative to its limit's size
 * (or absolute when the limit is 0), NaN when i has no value on an axis. */
double bo__select_miss(const bo_configs *c, const bo_select_rule *r, size_t i, double *over_cost,
		       double *short_perf);

/* Frees what configuration f owns (not f itself). */
void bo__config_clear(bo_config *f);

/* Repeats (analysis/repeats.c). Folds the usable configurations with
 * identical parameter values (the same params_json) into the one with the
 * lowest id, which gets nrep, the means and the standard errors (see
 * bo_config); feasibility is judged on the mean margins (a margin missing
 * on any repeat is not met). Search cost: the mean of the repeats (the
 * sum in cost_total). The others are removed from c->v, keeping reading
 * order. Not usable ones stay as they are. A set without repeats is left
 * unchanged. Returns 0 or BO_ENOMEM. */
int bo__configs_group(bo_configs *c);

/* Welch's two-sided t-test on two means (m, standard error se, count n)
 * at the given confidence (0.95): *half gets the half-width of the
 * interval of the difference (t quantile times the pooled standard error)
 * and *df the Welch-Satterthwaite degrees of freedom. Returns 1 when the
 * difference is beyond the noise (|m1 - m2| > *half), 0 when it is
 * within it, -1 when there is no estimate (n < 2 or a value missing;
 * *half and *df NaN). */
int bo__noise_welch(double m1, double se1, size_t n1, double m2, double se2, size_t n2, double confidence,
		    double *half, double *df);

/* A runner-up against the best configuration by mean score. */
typedef struct bo_noise_cmp {
	int verdict;           /* 1 beyond the noise, 0 within it, -1 no estimate */
	double diff;           /* its mean score minus the best's */
	double half, df;       /* bo__noise_welch's, NaN without an estimate */
} bo_noise_cmp;

/* Noise-aware score rule: order (n entries from bo__select_order with
 * BO_SELECT_SCORE) ranks configurations by their mean score; cmp[p] (n
 * entries) compares order[p] with order[0], the best by mean (Welch, the
 * first BO_SELECT_TOL_TOP positions; cmp[0].verdict is -1). Then, among
 * the best and the ones within its noise, the cheapest on r->cost (when it
 * has a goal) moves to the front, cmp with it: returns 1 when that
 * happened (order[1] is then the best by mean), 0 when the best by mean
 * stays first, BO_EINVAL for another rule. */
int bo__select_noise(const bo_configs *c, const bo_select_rule *r, double confidence, size_t *order, size_t n,
		     bo_noise_cmp *cmp);

/* The confidence at which select tells repeats apart by default. */
#define BO_SELECT_NOISE_CONFIDENCE 0.95

/* Select's default order (no option), as select, status and the
 * dashboard rank: the feasible configurations of c by the score, and,
 * when c's repeats are grouped (grouped != 0) and some configuration has
 * two or more, among the best and those within its noise at confidence
 * the cheapest first (bo__select_noise). order: c->n entries, *n set.
 * Returns 0, BO_EINVAL (c's study has no score), BO_ENOMEM. */
int bo__select_default_order(const bo_configs *c, int grouped, double confidence, size_t *order, size_t *n);

/* Select's default answer: the first of bo__select_default_order, its
 * index in c, or (size_t)-1 when none (or no score, or out of memory). */
size_t bo__select_default(const bo_configs *c, int grouped, double confidence);

#endif
