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

/* Why "auto" changed algorithm at the last ask ("gp: 6 parameters (<= 20),
 * ..."; the algorithm's name first), or NULL when the last ask used the
 * same algorithm as the one before, before any ask, and for every other
 * sampler. Owned by the sampler, valid until the next ask. */
const char *bo__sampler_reason(const bo_sampler *sm);

/* Proposes the configuration of trial number `number` (0-based, the
 * trial's place in the study) into x (nparams doubles). Numbers are asked
 * in increasing order; skipping ahead (after a resume) gives exactly what
 * asking every number in between would have. Returns 0, or BO_DONE when
 * the constraints leave no valid point after many tries (the message says
 * which constraint rejected most), or BO_ENOMEM. */
int bo__sampler_ask(bo_sampler *sm, int64_t number, double *x);

/* What a sampler learns from a finished trial. */
typedef struct bo_observation {
	int64_t number;           /* the trial's place in the study (0-based) */
	const double *x;          /* nparams values, as asked */
	int state;                /* BO_TRIAL_COMPLETE, BO_TRIAL_FAILED or BO_TRIAL_PRUNED */
	size_t nobj;
	const double *obj;        /* values to MINIMISE (maximised ones negated); NaN when missing */
	size_t ncons;
	const double *cons;       /* guardrail margins: >= 0 where the guardrail holds; NaN unknown */
	double cost;              /* what the trial cost, in money (NaN when unknown) */
} bo_observation;

/* Tells the outcome of a trial asked before (or of an older trial, when a
 * study resumes: its history is told once, in trial order, before the
 * first ask). Random and Sobol ignore it; model-based samplers learn. A
 * trial asked and not yet told is pending (running): samplers that model
 * the history treat it with a fantasy value (constant liar or kriging
 * believer). Returns 0, BO_EINVAL (sizes that do not match the study),
 * BO_ENOMEM. */
int bo__sampler_tell(bo_sampler *sm, const bo_observation *o);

/* Tells the outcome of trial `number` from its metrics (nmetrics values,
 * NaN when missing; NULL for a trial without any): derives, evaluates the
 * guardrails and the score under the study as it is now, builds the
 * observation (objectives to minimise, margins, cost) and tells it. What
 * cannot be computed is NaN, not an error. Shared by `budgetopt run` and
 * the ask/tell API so both teach the sampler the same thing. */
int bo__sampler_tell_metrics(bo_sampler *sm, int64_t number, const double *x, int state,
			     const double *metrics, double cost);

/* The reservation's cost model (samplers/costmodel.c), fed by every tell:
 * *upper gets the cost configuration x stays under with probability about
 * q, and basis (size bytes) one line saying what the figure rests on.
 * Returns 0, or BO_DONE (*upper NaN) while too few costs are known: the
 * caller then keeps its own rule. */
int bo__sampler_predict_cost(bo_sampler *sm, const double *x, double q, double *upper,
			     char *basis, size_t size);

/* When the money left cannot fit proposal x of trial number: a nearby
 * configuration whose predicted q-quantile is at most limit, into xout
 * (its prediction in *upper). Deterministic for the seed and number.
 * Returns 0, BO_DONE when none fits, BO_ENOMEM. The sampler is told the
 * configuration that ran, whichever it was. */
int bo__sampler_cheaper(bo_sampler *sm, int64_t number, const double *x, double q, double limit,
			double *xout, double *upper);

/* Sets an algorithm-specific option ("gamma", "n_startup", ...), as NLopt
 * does. Returns 0, or BO_EINVAL for a name the algorithm does not know or
 * a value out of range. */
int bo__sampler_set_param(bo_sampler *sm, const char *name, double value);

/* The objectives a sampler optimises for study s: its objectives, or, with
 * none, its score (one objective). Returns their number (0: none, the
 * sampler has nothing to learn from). */
size_t bo__sampler_nobjectives(const bo_study *s);

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
