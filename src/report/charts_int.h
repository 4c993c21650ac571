/*
 * report/charts_int.h - what the files of the charts share: the axis
 * type of the chart kit under its short name and the helpers one file
 * defines and others call.
 *
 * Private to src/report/charts*.c; never included from elsewhere. The
 * files: charts.c (burn-down, best so far, marginal value, and these
 * helpers), charts_frontier.c (the frontier), charts_importance.c
 * (parameter importance), charts_curves.c (the learning curves).
 */
#ifndef BO_REPORT_CHARTS_INT_H
#define BO_REPORT_CHARTS_INT_H

#include "core/strbuf.h"
#include "report/chartkit.h"
#include "report/charts.h"

typedef bo_ck_axis axis;

/* The chart axis of a for d: its label with its units and direction, and
 * whether it is money (the search cost, or a derived metric that reads a
 * price). */
void bo__chart_axis_from(axis *out, const bo_chart_data *d, const bo_axis *a);

/* Is a trial in this state finished (complete, pruned or failed)? */
int bo__chart_finished(int state);

#endif
