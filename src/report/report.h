/*
 * report/report.h - the report `budgetopt report` writes: one
 * self-contained HTML page (inline CSS, inline SVG charts, nothing
 * fetched) or the same content as Markdown with the charts as separate
 * SVG files beside it.
 *
 * Pure: builds text from the data it is given (the date included), no I/O.
 */
#ifndef BO_REPORT_REPORT_H
#define BO_REPORT_REPORT_H

#include <stddef.h>

#include "report/charts.h"
#include "report/rungs.h"
#include "storage/storage.h"

enum { BO_REPORT_HTML, BO_REPORT_MD };

#define BO_REPORT_NCHARTS 6
/* "frontier", "burndown", "best", "marginal", "importance", "curves": the
 * charts in the report's order; chart i of Markdown is linked as
 * PREFIX-NAME.svg. The first BO_REPORT_CH_CURVES are the "Charts"
 * section's; "curves" (the learning curves) is drawn only in the
 * "Multi-fidelity and pruning" section, for a study with a fidelity or a
 * pruner. */
#define BO_REPORT_CH_CURVES 5
extern const char *const bo__report_chart_names[BO_REPORT_NCHARTS];

/* The method bo__importance uses, as the report names it. */
#define BO_REPORT_IMPORTANCE_METHOD \
	"first-order main-effect variance share (fANOVA-style: the variance of the target's mean " \
	"over about 10 quantile bins or the labels of each parameter, inactive as its own group, " \
	"bias-adjusted, divided by the total variance)"

typedef struct bo_report_input {
	bo_chart_data chart;        /* configurations, frontier, selected id, trials (NULL: catalog) */
	const double *importance;   /* nparams shares (bo__importance), or NULL */
	const size_t *order;        /* feasible configurations best first (bo__select_order) */
	size_t norder;
	size_t top;                 /* rows of the top-configurations table */
	const char *rule;           /* how the selected one was chosen ("the best score") */
	const char *date;           /* when the report was made, as it should be printed */
	const char *version;        /* budgetopt's version */
	const char *source;         /* "ledger study.db", "catalog results.csv" */
	const char *ledger_hash;    /* hash of the newest study definition in the ledger, or NULL */
	const char *chart_prefix;   /* Markdown: file names of the charts, "report" gives report-frontier.svg */
	/* Multi-fidelity and pruning (run mode, a study with a fidelity or a
	 * pruner; NULL: the section is left out): the summary, the ledger's
	 * events (its promotions) and intermediate reports (the curves). */
	const bo_rungs *rungs;
	const bo_event *events;
	size_t nevents;
	const bo_step_row *steps;   /* ordered by trial, step, name */
	size_t nsteps;
	/* What the ledger's last confirmation phase did (runner/confirm.h), as
	 * sentences for the selected section's note; NULL: none ran. */
	const char *confirm_note;
	/* A study with scenarios (run mode): the ledger's configurations by
	 * scenario, chart.c folded from it in the same row order, so that the
	 * "Scenarios" section shows the selected configuration and the
	 * runners-up under each scenario; NULL: left out. */
	const struct bo_scen_table *scen;
} bo_report_input;

/* Builds the report in format fmt into *out; svg[i] gets chart i (NULL
 * for a chart not drawn: burn-down and best-so-far of a catalog, the
 * learning curves without in->rungs). The
 * caller frees *out and each svg[i] with bo__free. Returns 0 or BO_ENOMEM
 * (everything freed, *out NULL). */
int bo__report_build(const bo_report_input *in, int fmt, char **out, char *svg[BO_REPORT_NCHARTS]);

#endif
