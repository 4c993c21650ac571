/*
 * budgetopt/study.h - reading and checking study files.
 *
 * A study file (YAML, see docs/study-file.md) describes the search space,
 * the metrics, the price book, objectives, guardrails, score, budget and
 * evaluator. Reading it checks everything at once and reports every problem
 * with file:line:column and a hint.
 */
#ifndef BUDGETOPT_STUDY_H
#define BUDGETOPT_STUDY_H

#include <stddef.h>

#include "budgetopt/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bo_study bo_study;

/* The problems found while reading a study file. */
typedef struct bo_diags bo_diags;

/* Number of problems in d (0 for NULL). */
BO_API size_t bo_diags_count(const bo_diags *d);

/* The i-th problem as one line: "file:line:col: message (hint)".
 * Valid until bo_diags_free. NULL when i is out of range. */
BO_API const char *bo_diags_get(const bo_diags *d, size_t i);

/* Frees d; accepts NULL. */
BO_API void bo_diags_free(bo_diags *d);

/* Reads and checks the study file at path.
 * On success returns 0 and *out (free with bo_study_free).
 * On failure *out is NULL and returns BO_EINVAL when the file has problems
 * (all listed in *diags when diags is not NULL; free with bo_diags_free),
 * BO_EIO when it cannot be read, BO_ENOMEM. bo_error_last() holds the first
 * problem in every case. */
BO_API int bo_study_load(bo_study **out, const char *path, bo_diags **diags);

/* As bo_study_load, from len bytes of text; name is used in messages
 * ("study.yaml") and dir is the folder relative paths resolve against
 * (NULL: the current folder). */
BO_API int bo_study_parse(bo_study **out, const char *text, size_t len, const char *name,
		   const char *dir, bo_diags **diags);

/* Frees s; accepts NULL. */
BO_API void bo_study_free(bo_study *s);

/* The study's name (never NULL). */
BO_API const char *bo_study_name(const bo_study *s);

/* The path the study was read from ("<string>" when parsed from memory). */
BO_API const char *bo_study_path(const bo_study *s);

/* SHA-256 (hex) of the study file's text: a new value is a new version. */
BO_API const char *bo_study_hash(const bo_study *s);

/* SHA-256 (hex) of the search space alone: the space is compatible with a
 * stored study only if this is equal. */
BO_API const char *bo_study_space_hash(const bo_study *s);

/* What the study declares, for callers that enumerate it. Indexes run
 * from 0 to the count - 1; out of range (or s NULL) gives NULL, 0 or NaN.
 * Strings stay valid while s does. */

/* Parameters, in the file's order, and their kind: "float", "int",
 * "choice" (unordered labels) or "ordinal" (ordered labels). */
BO_API size_t bo_study_nparams(const bo_study *s);
BO_API const char *bo_study_param_name(const bo_study *s, size_t i);
BO_API const char *bo_study_param_type(const bo_study *s, size_t i);

/* Metrics the evaluator reports, in the file's order. */
BO_API size_t bo_study_nmetrics(const bo_study *s);
BO_API const char *bo_study_metric_name(const bo_study *s, size_t i);

/* Objectives (metrics or derived metrics) and their goal: +1 maximise,
 * -1 minimise. */
BO_API size_t bo_study_nobjectives(const bo_study *s);
BO_API const char *bo_study_objective_name(const bo_study *s, size_t i);
BO_API int bo_study_objective_goal(const bo_study *s, size_t i);

/* The price book's currency ("USD" unless stated), and the money budget
 * (NaN when the study has none). */
BO_API const char *bo_study_currency(const bo_study *s);
BO_API double bo_study_budget_money(const bo_study *s);

#ifdef __cplusplus
}
#endif
#endif
