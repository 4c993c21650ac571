/*
 * runner/fidelity_run.h - what the run loop needs around the fidelity
 * schedule (runner/fidelity.h): the value a finished trial is ranked by
 * in its rung, and the checkpoint folder each configuration keeps.
 */
#ifndef BO_RUNNER_FIDELITY_RUN_H
#define BO_RUNNER_FIDELITY_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/trial.h"

/* The value (larger is better) a trial is ranked by in its rung: the
 * study's score when it has one, else its first objective that is a
 * reported metric, else its first metric with a direction. NaN for a
 * trial that did not complete, is infeasible (feasible == 0) or lacks it. */
double bo__fidelity_rank_value(const bo_study *s, int state, int feasible, double score,
			       const bo_kv *metrics, size_t nmetrics);

/* What bo__fidelity_rank_value ranks by: "score", the objective's or the
 * metric's name, or NULL when nothing; *goal (may be NULL) gets its
 * direction (+1 maximize, -1 minimize), so that rank value / goal is the
 * value as reported. For status, export and the report. */
const char *bo__fidelity_rank_name(const bo_study *s, int *goal);

/* Fills buf with the checkpoint folder of configuration config (the id of
 * its first trial) under trials_dir, and makes it (mode, with its parent)
 * unless it exists: a promotion finds what the rung below left there.
 * Returns 0, BO_EINVAL (path too long), BO_EIO. */
int bo__fidelity_ckpt_dir(const char *trials_dir, int64_t config, int mode, char *buf, size_t size);

#endif
