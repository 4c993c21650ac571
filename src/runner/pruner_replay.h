/*
 * runner/pruner_replay.h - rebuilding a pruner's state (the values each
 * trial reported, the rung records of ASHA and Hyperband) from a ledger,
 * for a resumed study: `budgetopt run` and the ask/tell API's ledger share
 * it, so both resume the same pruner from the same trial_steps.
 */
#ifndef BO_RUNNER_PRUNER_REPLAY_H
#define BO_RUNNER_PRUNER_REPLAY_H

#include <stddef.h>

#include "runner/pruner.h"
#include "storage/storage.h"

/* Replays into p (the pruner of spec ps) the intermediate reports of the
 * finished trials among t[0..nt) (every trial of the ledger, by id), as
 * they were reported. Call before bo__pruner_finish for those trials.
 * Does nothing without a pruner or when the backend keeps no steps.
 * Returns 0 or an error of the storage, BO_ENOMEM. */
int bo__pruner_replay_steps(bo_pruner *p, const bo_pruner_spec *ps, bo_storage *st,
			    const bo_trial_rec *t, size_t nt);

/* The values of ps's metrics among m[0..n) into v (ps->nmetrics of them,
 * NaN where missing). Returns 0, or -1 when the spec reads more than
 * BO_PRUNER_VALUES_MAX metrics (then nothing is asked of the pruner). */
#define BO_PRUNER_VALUES_MAX 64
int bo__pruner_values(const bo_pruner_spec *ps, const bo_kv *m, size_t n, double *v);

#endif
