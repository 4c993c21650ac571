/*
 * samplers/sampler.h - proposing configurations.
 *
 * Pure: no I/O, no clock, no globals; the same study, seed and trial number
 * give the same configuration on any machine. A sampler proposes values for
 * every parameter in the study's order (core/model.h: one double each,
 * choice/ordinal as an index, NaN for a parameter whose condition is false)
 * and never proposes a point that breaks a configuration constraint.
 */
#ifndef BO_SAMPLERS_SAMPLER_H
#define BO_SAMPLERS_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_sampler bo_sampler;

/* Creates the sampler named name ("random", "sobol", "auto": Sobol for now)
 * for study s (which must outlive it). Returns 0 and *out, BO_EINVAL for an
 * unknown name (message lists the known ones), BO_ENOMEM. */
int bo__sampler_new(bo_sampler **out, const bo_study *s, const char *name, uint64_t seed);

void bo__sampler_free(bo_sampler *sm);

/* The name recorded in the ledger for what this sampler proposes. */
const char *bo__sampler_name(const bo_sampler *sm);

/* Proposes the configuration of trial number `number` (0-based, the
 * trial's place in the study) into x (nparams doubles). Numbers are asked
 * in increasing order; skipping ahead (after a resume) gives exactly what
 * asking every number in between would have. Returns 0, or BO_DONE when
 * the constraints leave no valid point after many tries (the message says
 * which constraint rejected most), or BO_ENOMEM. */
int bo__sampler_ask(bo_sampler *sm, int64_t number, double *x);

/* Tells the outcome of a trial (ignored by random and Sobol; model-based
 * samplers learn from it). state is a bo_trial_state; objectives has
 * nobjectives values, signed so that larger is better, NaN when missing. */
int bo__sampler_tell(bo_sampler *sm, int64_t number, const double *x, int state,
		     const double *objectives);

/* Maps u in [0,1)^nparams to a configuration: transforms (log, int, step,
 * choice) and conditions (a parameter whose condition is false gets NaN;
 * its coordinate is still consumed). Constraints are not checked. */
int bo__space_from_unit(const bo_study *s, const double *u, double *x);

/* Deterministic random numbers (core/rng.c): xoshiro256** seeded with
 * splitmix64. */
typedef struct bo_rng {
	uint64_t s[4];
} bo_rng;

void bo__rng_seed(bo_rng *r, uint64_t seed);
/* Seeds from (seed, stream): independent streams for trial numbers. */
void bo__rng_seed2(bo_rng *r, uint64_t seed, uint64_t stream);
uint64_t bo__rng_next(bo_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double bo__rng_uniform(bo_rng *r);

#endif
