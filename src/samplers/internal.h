/*
 * samplers/internal.h - what the sampler files share and nothing else sees:
 * the rejection loop of samplers/space.c and each algorithm's entry points,
 * which samplers/sampler.c puts in its table.
 */
#ifndef BO_SAMPLERS_INTERNAL_H
#define BO_SAMPLERS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "samplers/sampler.h"

/* Fills u (nparams) with the next candidate of a sampler's source. */
typedef int (*bo__space_draw_fn)(void *ud, double *u);

/* Rejection sampling over the configuration constraints (samplers/space.c):
 * draws candidates until one satisfies every constraint. u (nparams) and
 * counts (nconstraints; may be NULL without constraints) are workspace.
 * Returns 0 with x set, or BO_DONE after too many rejections. */
int bo__space_sample(const bo_study *s, bo__space_draw_fn draw, void *ud, double *u,
		     size_t *counts, double *x);

/* Every algorithm provides create/destroy/ask; model-based ones also
 * tell and set_param (samplers/sampler.c keeps the table). */
typedef struct bo_sampler_ops {
	const char *name;       /* as written in the study file */
	int (*create)(void **out, const bo_study *s, uint64_t seed);
	void (*destroy)(void *impl);
	/* Proposes trial `number`'s configuration into x (see sampler.h). */
	int (*ask)(void *impl, int64_t number, double *x);
	/* NULL: the algorithm ignores what it is told. */
	int (*tell)(void *impl, const bo_observation *o);
	/* NULL: no options. */
	int (*set_param)(void *impl, const char *name, double value);
} bo_sampler_ops;

/* Unit-cube coordinates of a configuration (inverse of bo__space_from_unit
 * up to rounding): u[i] in [0, 1]; NaN for an inactive parameter. For
 * choices, u is the centre of the label's interval. */
void bo__space_to_unit(const bo_study *s, const double *x, double *u);

int bo__random_create(void **out, const bo_study *s, uint64_t seed);
void bo__random_destroy(void *impl);
int bo__random_ask(void *impl, int64_t number, double *x);

int bo__sobol_create(void **out, const bo_study *s, uint64_t seed);
void bo__sobol_destroy(void *impl);
int bo__sobol_ask(void *impl, int64_t number, double *x);

/* Tree-structured Parzen estimator (samplers/tpe.c). */
extern const bo_sampler_ops bo__tpe_ops;
/* Gaussian-process BO, cost-aware (samplers/gp.c). */
extern const bo_sampler_ops bo__gp_ops;
/* NSGA-II (samplers/nsga2.c). */
extern const bo_sampler_ops bo__nsga2_ops;

/* NSGA-II's constraint-domination ranks and crowding distances, and its
 * environmental selection (samplers/nsga2.c documents both; exposed for
 * the unit test). */
int bo__nsga2_rank(const double *obj, const int *cat, const double *viol, size_t n, size_t d,
		   int *rank, double *crowd);
int bo__nsga2_select(const int *rank, const double *crowd, size_t n, size_t keep,
		     size_t *chosen);

#endif
