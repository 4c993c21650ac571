/*
 * analysis/uncertain.h - Monte Carlo evaluation of configurations under
 * uncertain inputs and prices (core/dist.h): derived metrics, the score and
 * guardrails that reach an uncertain number become distributions over N
 * draws, the same draws for every configuration (common random numbers),
 * and chance-constrained guardrails ("... with probability >= p") decide
 * feasibility.
 *
 * Pure: no I/O, no clock; the same options give the same answer.
 */
#ifndef BO_ANALYSIS_UNCERTAIN_H
#define BO_ANALYSIS_UNCERTAIN_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/configs.h"

#define BO_MC_MAX_QUANTILES 16

typedef struct bo_mc_options {
	size_t draws;          /* Monte Carlo draws, >= 1 */
	uint64_t seed;         /* of the uniforms every draw comes from */
	size_t nq;             /* quantiles reported */
	double q[BO_MC_MAX_QUANTILES];   /* each in (0, 1) */
	double confidence;     /* 0: none; P in (0, 1): every guardrail must
				  hold with probability >= P, and uncertain
				  objectives and the score are ranked by their
				  pessimistic P-quantile */
	int on_demand;         /* 0: bo__mc_run fills every configuration's
				  quantiles; 1: bo__mc_quantiles fills one
				  configuration's when asked (a command shows
				  a few of 10^4: this saves most of the time) */
} bo_mc_options;

#define BO_MC_DEFAULT_DRAWS 10000
#define BO_MC_DEFAULT_SEED 20261205u
#define BO_MC_OPTIONS_INIT {BO_MC_DEFAULT_DRAWS, BO_MC_DEFAULT_SEED, 3, {0.05, 0.5, 0.95}, 0, 0}

/* One uncertain quantity. */
enum { BO_MC_DERIVED, BO_MC_SCORE };

typedef struct bo_mc_qty {
	int kind;              /* BO_MC_DERIVED (index: the derived metric) or BO_MC_SCORE */
	int index;
	int goal;              /* +1 larger is better, -1 smaller, 0 neither */
	const char *name;      /* the derived metric's name or "score" (borrowed) */
} bo_mc_qty;

typedef struct bo_mc_work bo_mc_work;   /* uncertain.c's workspace */

typedef struct bo_mc {
	bo_mc_options o;
	size_t nuncertain;     /* the study's uncertain numbers */
	double *draws;         /* o.draws * nuncertain values, row-major */
	double *cols;          /* the same, column-major: number j's draws at j * o.draws */
	size_t nqty;
	bo_mc_qty *qty;
	size_t n;              /* configurations (c->n) */
	size_t ng;             /* guardrails (c->nguardrails) */
	unsigned char *g_uncertain;  /* ng: 1 when guardrail k reaches an uncertain number */
	double *g_need;        /* ng: the probability guardrail k must hold with; 0: none */
	/* per configuration (rows of unusable ones are NaN) */
	double *mean;          /* n * nqty */
	double *quant;         /* n * nqty * o.nq (see bo__mc_quantiles) */
	double *used;          /* n * nqty: the value ranked on (mean, or the
				  pessimistic quantile under a confidence) */
	double *prob;          /* n * ng: share of draws in which guardrail k holds */
	const bo_configs *c;   /* the configurations evaluated (borrowed: they
				  must outlive mc) */
	unsigned char *qdone;  /* n: configuration i's quantiles are filled */
	bo_mc_work *wk;
} bo_mc;

/* 1 when the study has uncertain numbers, or guardrails with a
 * probability (to warn about). */
int bo__mc_wanted(const bo_configs *c);

/* Draws the uncertain numbers, evaluates every usable configuration of c
 * over the draws, and then updates c: each uncertain derived metric and an
 * uncertain score take the value ranked on (mc->used), and a guardrail that
 * carries a probability (or every guardrail, under o->confidence) holds
 * when the share of draws in which it holds is at least that probability;
 * other guardrails are judged at the means, as before. f->feasible and
 * f->why follow. Returns 0, BO_EINVAL (bad options), BO_ENOMEM, or an
 * evaluation error. Free with bo__mc_clear. */
int bo__mc_run(bo_mc *mc, bo_configs *c, const bo_mc_options *o);
void bo__mc_clear(bo_mc *mc);

/* Fills configuration i's row of mc->quant if it is not yet (with
 * o.on_demand), evaluating it over the same draws again; unusable
 * configurations keep NaN. It writes only mc's caches, so that a reader
 * holding a const mc can ask; not for two threads at once. Returns 0 or
 * an evaluation error. */
int bo__mc_quantiles(const bo_mc *mc, size_t i);

/* The share of draws in which axis a (analysis/configs.h) of
 * configuration i stays within limit: at most limit for an axis to
 * minimise (a cost, such as select's --max-cost), at least limit for one
 * to maximise. An axis that reaches nothing uncertain gives 1 or 0 from
 * its value. *out is NaN for an unusable configuration or a missing value.
 * Returns 0 or an evaluation error. Writes only mc's workspace (see
 * bo__mc_quantiles). */
int bo__mc_axis_within(const bo_mc *mc, size_t i, const bo_axis *a, double limit, double *out);

/* The band of axis a for configuration i: its lowest and highest
 * reported quantiles (o.q) over the draws. Returns 1 and *lo, *hi when
 * the axis is uncertain and both are finite, 0 (NaN) when not, or an
 * evaluation error. */
int bo__mc_axis_band(const bo_mc *mc, size_t i, const bo_axis *a, double *lo, double *hi);

/* 1 when study s has uncertain inputs or prices, or a guardrail with a
 * probability: then a trial's own evaluation at the means is not the
 * verdict select gives. */
int bo__mc_needed(const bo_study *s);

/* A complete trial rec of study s, of parameters x (nparams values, NaN
 * inactive) with its metrics and state set, judged as select judges it
 * alone (analysis/trial_judge.c): with
 * bo__mc_needed, rec->feasible and rec->score become the Monte Carlo
 * verdict and ranked value over the default draws; otherwise, or when the
 * trial is not usable, rec is left as it is. Returns 0, BO_ENOMEM or an
 * evaluation error (rec unchanged). */
int bo__mc_judge_trial(const bo_study *s, const double *x, bo_trial_rec *rec);

/* 1 if expression e reaches an uncertain input or price of s (directly
 * or through derived metrics). */
int bo__mc_expr_uncertain(const bo_study *s, const bo_expr *e);

/* The pessimistic side of a quantity of goal g under confidence p: the
 * quantile level to rank on (p for smaller-is-better, 1 - p for
 * larger-is-better). */
double bo__mc_level(int goal, double p);

/* The q-quantile of n sorted values (linear interpolation between order
 * statistics, as gsl_stats_quantile_from_sorted_data). */
double bo__mc_quantile_sorted(const double *v, size_t n, double q);

#endif
