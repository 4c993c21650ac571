/*
 * runner/fidelity_bohb.h - model-based proposals of new configurations in
 * a multi-fidelity study, as BOHB does (Falkner et al. 2018).
 */
#ifndef BO_RUNNER_FIDELITY_BOHB_H
#define BO_RUNNER_FIDELITY_BOHB_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "runner/fidelity.h"

typedef struct bo_bohb bo_bohb;

/* Proposals for study s with the schedule f (both must outlive it).
 * Returns 0 and *out, BO_ENOMEM. */
int bo__bohb_new(bo_bohb **out, const bo_study *s, const bo_fidelity *f, uint64_t seed);
void bo__bohb_free(bo_bohb *b);

/* Trial id finished with parameters x, metric values m (s->nmetrics,
 * NaN where missing), state and cost; its rung is the schedule's.
 * Returns 0, BO_ENOMEM. */
int bo__bohb_observe(bo_bohb *b, int64_t id, const double *x, const double *m, int state,
		     double cost);

/* A new configuration for trial number into x: TPE fitted on the
 * observations of the highest rung holding at least d + 2 complete ones
 * (d: the parameters but the fidelity), else, and for a third of the
 * proposals, random. *rung gets the rung modelled (-1: random).
 * Returns 0, BO_DONE (the constraints leave no point), BO_ENOMEM. */
int bo__bohb_ask(bo_bohb *b, int64_t number, double *x, int *rung);

#endif
