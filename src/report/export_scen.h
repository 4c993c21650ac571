/*
 * report/export_scen.h - what `budgetopt status --format json` and the
 * dashboard's /api/status say of a study's scenarios and repeats: the
 * trials under each scenario, and the best configuration as select names
 * it (folded across scenarios, repeats averaged). Shared so that the two
 * cannot drift apart.
 *
 * Pure: builds values, no I/O. Never prints.
 */
#ifndef BO_REPORT_EXPORT_SCEN_H
#define BO_REPORT_EXPORT_SCEN_H

#include <jansson.h>
#include <stddef.h>

#include "analysis/configs.h"
#include "core/model.h"
#include "core/trial.h"
#include "storage/storage.h"

/* [{"name", "weight", "trials", "complete", "failed", "pruned", "running",
 * "queued", "spent"}, ...] of trials t[0..n), one per scenario of s in the
 * study's order (a trial without a scenario counts as "default"). A new
 * reference, or NULL with the thread's error set (BO_ENOMEM). */
json_t *bo__export_scenarios_json(const bo_study *s, const bo_trial_rec *t, size_t n);

/* scenario_policy: promote, from trials t[0..n) and events e[0..ne): c[0]
 * the configurations (rows of the scenario table), c[1] the promotions (a
 * "scenario_promote" event each), c[2] those evaluated under every
 * scenario, c[3] those under the base only, c[4] 1 once exploration ended
 * ("scenario_explore_end"). Returns 0 or a negative code. */
int bo__export_promote_counts(const bo_study *s, const bo_trial_rec *t, size_t n, const bo_event *e, size_t ne,
			      size_t c[5]);

/* Those counts as status's "promote" object: {"base", "top",
 * "configurations", "promoted", "every_scenario", "base_only",
 * "explored"}; NULL on memory. */
json_t *bo__export_promote_json(const bo_study *s, const size_t c[5]);

/* 1 when two of trials t[0..n) share their parameters (or out of memory:
 * the caller then groups, which costs time but never changes an answer
 * where nothing repeats). */
int bo__export_has_repeated(const bo_trial_rec *t, size_t n);

/* How select judged entry v, into buf: "as select judges it: over 3
 * scenarios, weighted mean; the mean of 2 repeats" (fold: the scenario
 * note, bo__scen_note, or "" without scenarios). */
const char *bo__export_judged_as(const bo_config *v, const char *fold, char *buf, size_t size);

/* Sets "best" of status object o to entry i of c as select judges it:
 * {"id", "score", "cost", "params", "repeats", "judged"}, "judged" as
 * bo__export_judged_as says it;
 * null when i is (size_t)-1. Returns 0, or BO_ENOMEM / BO_ERROR (stored
 * parameters that are not JSON) with the thread's error set. */
int bo__export_best_into(json_t *o, const bo_configs *c, size_t i, const char *fold);

#endif
