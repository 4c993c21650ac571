/*
 * runner/livecost.h - what a running trial has cost so far.
 *
 * A trial's usage so far is what the runner measures (wall, CPU, memory)
 * plus the usage of its latest intermediate report ({"step": k, "usage":
 * {...}}: amounts so far, not increments). Its final report's usage, when
 * it has one, replaces the intermediate amount resource by resource; a
 * resource reported only in steps is charged its last amount, so a trial
 * stopped before its final report (pruned, capped, timed out) still pays
 * for what it said it used.
 */
#ifndef BO_RUNNER_LIVECOST_H
#define BO_RUNNER_LIVECOST_H

#include <stddef.h>

#include "core/model.h"
#include "runner/protocol.h"

/* The evaluator-reported usage of rep that is charged: the final report's
 * amounts, then each intermediate amount of a resource the final report
 * does not name. Invalid amounts (bo__usage_check) are skipped (the runner
 * fails a trial whose final report has one). Appends to *kv (*n used, *cap
 * allocated). Returns 0 or BO_ENOMEM. */
int bo__report_charged_usage(const bo_report *rep, bo_kv **kv, size_t *n, size_t *cap);

/* The price of the evaluator-reported usage so far of rep (above). */
double bo__report_live_cost(const bo_pricebook *pb, const bo_report *rep);

#endif
