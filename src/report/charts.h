/*
 * report/charts.h - the charts budgetopt draws itself, as SVG: the
 * cost/performance frontier, budget burn-down, best-so-far against money,
 * the marginal value curve and parameter importance. Used by `report`
 * (a self-contained HTML or Markdown file) and by `serve` (the dashboard).
 *
 * Pure: builds strings, no I/O. Every chart is a whole SVG document that
 * is valid XML on its own, readable (axes with units, currency formatting,
 * a log scale when values span decades, a colour-blind-safe palette,
 * legends, no overlapping labels).
 *
 * The DOM contract the browser tests rely on: the root element is
 * <svg id="chart-NAME" ...> (NAME: frontier, burndown, best, marginal,
 * importance); in the frontier chart every finished trial (configuration)
 * is exactly one element with class "pt" plus one state class ("frontier",
 * "feasible", "infeasible", "failed" or "pruned"), a data-id attribute
 * with its id, and a <title> child holding its parameters and metrics (the
 * tooltip); the knee has the extra class "knee" and the selected
 * configuration "selected".
 */
#ifndef BO_REPORT_CHARTS_H
#define BO_REPORT_CHARTS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/configs.h"
#include "analysis/frontier.h"
#include "core/trial.h"
#include "storage/storage.h"

typedef struct bo_chart_data {
	const bo_configs *c;          /* the configurations (trials or catalog rows) */
	const bo_frontier *fr;        /* its frontier over two axes: x = fr->ax[fr->ca], y = fr->ax[fr->pa] */
	int64_t selected;             /* id of the selected configuration, or -1 */
	const bo_trial_rec *trials;   /* run mode: the ledger's trials (times, costs, states); NULL for a catalog */
	size_t ntrials;
	const char *currency;         /* "USD" */
	double budget_money;          /* NaN without a money budget */
	double reserved;              /* money reserved by running trials now (dashboard), 0 */
	double now;                   /* unix seconds "now", for the projected exhaustion */
	const struct bo_mc *mc;       /* a Monte Carlo run over c (analysis/uncertain.h): the
					 frontier's points get bands between their lowest and
					 highest quantiles on uncertain axes; NULL: none */
} bo_chart_data;

/* Each returns a NUL-terminated SVG document to free with bo__free, or
 * NULL with the thread's error set (BO_ENOMEM). A chart with nothing to
 * show still returns a valid document saying so. */
char *bo__chart_frontier(const bo_chart_data *d);
char *bo__chart_burndown(const bo_chart_data *d);
char *bo__chart_best(const bo_chart_data *d);
char *bo__chart_marginal(const bo_chart_data *d);
char *bo__chart_importance(const bo_chart_data *d, const double *importance);

/* The learning curves (report's "Multi-fidelity and pruning" section):
 * each trial's intermediate reports of one metric against the step, a
 * line per trial coloured and dashed by its state (complete, pruned,
 * failed, running), and for each pruned trial an orange square where its
 * pruner stopped it (the report of the step its reason names, else its
 * last). DOM: root <svg id="chart-curves">; each trial with a report of
 * the metric is one <path class="curve STATE" data-id="ID"> with a
 * <title>; each pruned one also one <path class="prune-mark"
 * data-id="ID">. A chart with no report of the metric says so. */
typedef struct bo_curves_data {
	const bo_step_row *steps;     /* the ledger's intermediate reports, ordered by trial, step, name */
	size_t nsteps;
	const bo_trial_rec *trials;   /* their trials (states, reasons), ordered by id */
	size_t ntrials;
	const char *metric;           /* the metric drawn; NULL: none (an empty chart) */
	int goal;                     /* its direction, for the axis label (0: not stated) */
} bo_curves_data;
char *bo__chart_curves(const bo_curves_data *d);

/* The target the importance and best-so-far charts look at: the score
 * when the study has one, else the frontier's performance axis (its
 * first axis with one axis); goal 0 when there is none. */
void bo__chart_importance_target(const bo_chart_data *d, bo_axis *out);

/* Parameter importance for the axis target: for each parameter, the share
 * of the target's variance explained by that parameter's main effect,
 * estimated from the usable configurations (the method is documented in
 * report/importance.c and named in the report). importance has nparams
 * entries, summing to at most 1 over the estimable ones; NaN for a
 * parameter never active; BO_IMPORTANCE_NOT_ESTIMABLE (below 0) for one
 * whose groups hold on average fewer than two observations (such as an
 * identifier-like choice, one label per row), left out of the scaling. */
#define BO_IMPORTANCE_NOT_ESTIMABLE (-1.0)
int bo__importance(const bo_configs *c, const bo_axis *target, double *importance);

#endif
