/*
 * samplers/random.c - independent uniform sampling.
 *
 * Trial n's candidates come from an rng seeded with bo__rng_seed2(seed, n):
 * every trial is independent of the others, so resuming, skipping and
 * asking out of order all give the same points. Constraint rejections draw
 * further numbers from the same trial's rng.
 *
 * Pure: no I/O, no clock, no globals; ignores what it is told.
 */
#include <stdint.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/internal.h"

typedef struct bo_random {
	const bo_study *study;
	uint64_t seed;
	bo_rng rng;          /* the current trial's stream */
	double *u;           /* nparams */
	size_t *counts;      /* nconstraints */
} bo_random;

int bo__random_create(void **out, const bo_study *s, uint64_t seed)
{
	bo_random *r = NULL;
	int rc = BO_ENOMEM;

	*out = NULL;
	r = bo__calloc(1, sizeof *r);
	if (!r)
		goto done;
	r->study = s;
	r->seed = seed;
	r->u = bo__calloc(s->nparams, sizeof *r->u);
	r->counts = bo__calloc(s->nconstraints, sizeof *r->counts);
	if (!r->u || !r->counts)
		goto done;
	*out = r;
	r = NULL;
	rc = 0;
done:
	bo__random_destroy(r);
	return rc;
}

void bo__random_destroy(void *impl)
{
	bo_random *r = impl;
	if (!r)
		return;
	bo__free(r->u);
	bo__free(r->counts);
	bo__free(r);
}

static int draw(void *ud, double *u)
{
	bo_random *r = ud;
	size_t i;
	for (i = 0; i < r->study->nparams; i++)
		u[i] = bo__rng_uniform(&r->rng);
	return 0;
}

int bo__random_ask(void *impl, int64_t number, double *x)
{
	bo_random *r = impl;
	bo__rng_seed2(&r->rng, r->seed, (uint64_t)number);
	return bo__space_sample(r->study, draw, r, r->u, r->counts, x);
}
