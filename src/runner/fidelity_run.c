/*
 * runner/fidelity_run.c - the run loop's side of multi-fidelity: ranking
 * values and the checkpoint folders (runner/fidelity_run.h).
 *
 * A checkpoint folder lives under the trial folders, at
 * <trials>/checkpoints/<configuration>, outside any trial's folder, so a
 * promoted trial of the same configuration finds it, and it is written
 * only by the evaluator: the runner makes it and never deletes it, so it
 * outlives a kill -9 of the runner. Must never print or exit.
 */
#include "runner/fidelity_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/error.h"

double bo__fidelity_rank_value(const bo_study *s, int state, int feasible, double score,
			       const bo_kv *metrics, size_t nmetrics)
{
	size_t i;
	if (state != BO_TRIAL_COMPLETE || feasible == 0)
		return NAN;
	if (s->score)
		return isfinite(score) ? score * (s->score_goal ? s->score_goal : 1) : NAN;
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC) {
			double v = bo__kv_get(metrics, nmetrics, s->objectives[i].name);
			return isfinite(v) ? v * s->objectives[i].goal : NAN;
		}
	for (i = 0; i < s->nmetrics; i++)
		if (s->metrics[i].goal) {
			double v = bo__kv_get(metrics, nmetrics, s->metrics[i].name);
			return isfinite(v) ? v * s->metrics[i].goal : NAN;
		}
	return NAN;
}

const char *bo__fidelity_rank_name(const bo_study *s, int *goal)
{
	size_t i;
	int g = 0;
	const char *name = NULL;
	if (s->score) {
		name = "score";
		g = s->score_goal ? s->score_goal : 1;
	}
	for (i = 0; !name && i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC) {
			name = s->objectives[i].name;
			g = s->objectives[i].goal;
		}
	for (i = 0; !name && i < s->nmetrics; i++)
		if (s->metrics[i].goal) {
			name = s->metrics[i].name;
			g = s->metrics[i].goal;
		}
	if (goal)
		*goal = g;
	return name;
}

static int make_dir(const char *path, int mode)
{
	if (mkdir(path, (mode_t)mode) == 0 || errno == EEXIST)
		return 0;
	return bo__error(BO_EIO, "cannot create checkpoint folder %s: %s", path, strerror(errno));
}

int bo__fidelity_ckpt_dir(const char *trials_dir, int64_t config, int mode, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/checkpoints", trials_dir), rc;
	if (n < 0 || (size_t)n >= size)
		return bo__error(BO_EINVAL, "checkpoint folder path too long: %s", trials_dir);
	if ((rc = make_dir(trials_dir, mode)) < 0 || (rc = make_dir(buf, mode)) < 0)
		return rc;
	n = snprintf(buf, size, "%s/checkpoints/%06lld", trials_dir, (long long)config);
	if (n < 0 || (size_t)n >= size)
		return bo__error(BO_EINVAL, "checkpoint folder path too long: %s", trials_dir);
	return make_dir(buf, mode);
}

