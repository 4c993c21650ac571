/*
 * samplers/mfgp.h - cost-aware multi-fidelity Bayesian optimisation: a
 * Gaussian process over the configuration and the fidelity together
 * proposes both what to train and how far (`fidelity: {..., schedule:
 * gp}`; runner/runner_launch.c asks it).
 *
 * Pure: no I/O, no clock, no globals; same seed and observations, same
 * proposals.
 */
#ifndef BO_SAMPLERS_MFGP_H
#define BO_SAMPLERS_MFGP_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_mfgp bo_mfgp;

/* Proposals for study s (borrowed: it must outlive the proposer) whose
 * parameter fparam is the fidelity, trained at one of the nrungs values
 * (ascending, the last the full fidelity; copied). Returns 0 and *out,
 * BO_EINVAL (no rung, fparam out of range), BO_ENOMEM. */
int bo__mfgp_new(bo_mfgp **out, const bo_study *s, int fparam, const double *values, int nrungs,
		 uint64_t seed);
void bo__mfgp_free(bo_mfgp *g);

/* A finished trial: its parameters x (the fidelity's value among them),
 * the value it is ranked by (larger is better; NaN: failed or without
 * one, then only its cost is used) and its cost (NaN: unknown).
 * Returns 0, BO_ENOMEM. */
int bo__mfgp_observe(bo_mfgp *g, const double *x, double value, double cost);

/* Trial number's configuration and fidelity into x (nparams values; the
 * fidelity is one of the values); *rung (may be NULL) gets the index of
 * the value chosen. Returns 0, BO_DONE (the constraints leave no point),
 * BO_ERROR (the model cannot be fitted), BO_ENOMEM. */
int bo__mfgp_ask(bo_mfgp *g, int64_t number, double *x, int *rung);

#endif
