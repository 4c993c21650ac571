/*
 * runner/pruner_replay.c - a pruner's state from a ledger's trial_steps
 * (runner/pruner_replay.h). Reads the storage it is given; never writes
 * to it, never decides (bo__pruner_replay records without deciding).
 */
#include "runner/pruner_replay.h"

#include <math.h>
#include <string.h>

#include "core/trial.h"

static int finished(int state)
{
	return state == BO_TRIAL_COMPLETE || state == BO_TRIAL_PRUNED || state == BO_TRIAL_FAILED;
}

int bo__pruner_replay_steps(bo_pruner *p, const bo_pruner_spec *ps, bo_storage *st,
			    const bo_trial_rec *t, size_t nt)
{
	bo_step_row *rows = NULL;
	size_t n = 0, i = 0, k = 0, m;
	double v[BO_PRUNER_VALUES_MAX];
	int rc = 0;
	if (!p || ps->kind == BO_PRUNER_NONE || ps->nmetrics > BO_PRUNER_VALUES_MAX || !st->ops->steps)
		return 0;
	if ((rc = st->ops->steps(st, &rows, &n)) < 0)
		return rc;
	/* rows come by trial, then step: one report per (trial, step) */
	while (i < n && rc == 0) {
		int64_t id = rows[i].trial_id, step = rows[i].step;
		size_t j = i;
		for (m = 0; m < ps->nmetrics; m++)
			v[m] = NAN;
		for (; j < n && rows[j].trial_id == id && rows[j].step == step; j++)
			for (m = 0; m < ps->nmetrics; m++)
				if (!strcmp(rows[j].name, ps->metrics[m]))
					v[m] = rows[j].value;
		while (k < nt && t[k].id < id)
			k++;
		if (k < nt && t[k].id == id && finished(t[k].state))
			rc = bo__pruner_replay(p, id, step, v);
		i = j;
	}
	bo__step_rows_free(rows, n);
	return rc;
}

int bo__pruner_values(const bo_pruner_spec *ps, const bo_kv *m, size_t n, double *v)
{
	size_t i;
	if (ps->nmetrics > BO_PRUNER_VALUES_MAX)
		return -1;
	for (i = 0; i < ps->nmetrics; i++)
		v[i] = bo__kv_get(m, n, ps->metrics[i]);
	return 0;
}
