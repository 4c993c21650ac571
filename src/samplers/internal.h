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

int bo__random_create(void **out, const bo_study *s, uint64_t seed);
void bo__random_destroy(void *impl);
int bo__random_ask(void *impl, int64_t number, double *x);

int bo__sobol_create(void **out, const bo_study *s, uint64_t seed);
void bo__sobol_destroy(void *impl);
int bo__sobol_ask(void *impl, int64_t number, double *x);

#endif
