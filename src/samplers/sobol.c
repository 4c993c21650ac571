/*
 * samplers/sobol.c - scrambled Sobol points.
 *
 * The unscrambled points are GSL's gsl_qrng_sobol (Bratley and Fox 1988,
 * Antonov and Saleev 1980; at most 40 dimensions), preceded by the origin,
 * which GSL skips: with it, the first 2^k points are a full Gray-code
 * cycle and every 1-D projection puts exactly one point in each of the 2^k
 * equal intervals. Each coordinate is then scrambled with a random linear
 * matrix scramble and a random digital shift (Matousek, "On the L2
 * discrepancy for anchored boxes", J. Complexity 1998; Owen, "Variance with
 * alternative scramblings of digital nets", ACM TOMACS 2003): y = L x + e
 * over GF(2), L lower triangular with a unit diagonal, so the first k
 * digits of y depend on the first k digits of x one-to-one and the
 * stratification above survives. Different seeds give different, still
 * low-discrepancy, sequences.
 *
 * Rejected candidates (constraints) consume points. The sampler keeps a
 * cursor: asking number n replays asks cursor..n-1, and asking a number
 * below the cursor restarts from 0, so a resumed study gets exactly the
 * points an uninterrupted one would have.
 *
 * Changes from the papers: coordinates 41 and beyond (GSL's limit) and
 * points past 2^30 (GSL's counter) are plain uniform random numbers from an
 * rng seeded with (seed, point index), so large spaces still work, without
 * the low-discrepancy guarantee in those coordinates.
 *
 * Pure: no I/O, no clock, no globals. The gsl_qrng is allocated here (not
 * by gsl_qrng_alloc) so an allocation failure is BO_ENOMEM and never
 * reaches GSL's error handler, whose default aborts.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_qrng.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/internal.h"

#define SOBOL_MAX_DIM 40
/* Points are drawn from GSL while the index stays below this. */
#define SOBOL_MAX_POINTS (1ULL << 30)
#define DIGITS 32
/* Streams of the seed's rng for the scramble and for extra coordinates
 * (any constants distinct from each other work). */
#define STREAM_SCRAMBLE 0x5343524d424c4531ULL
#define SEED_EXTRA 0x4558545241434f4fULL


typedef struct bo_sobol {
	const bo_study *study;
	uint64_t seed;
	unsigned dim;          /* coordinates from GSL: min(nparams, 40) */
	gsl_qrng q;            /* state allocated by us */
	uint32_t *cols;        /* dim * DIGITS columns of the matrices L */
	uint32_t *shift;       /* dim digital shifts e */
	double *v;             /* dim: GSL's raw point */
	double *u;             /* nparams */
	double *xtmp;          /* nparams: replayed asks */
	size_t *counts;        /* nconstraints */
	uint64_t index;        /* next point of the sequence */
	int64_t next_number;   /* next ask expected (the cursor) */
} bo_sobol;

static void restart(bo_sobol *sb)
{
	if (sb->dim)
		(void)sb->q.type->init_state(sb->q.state, sb->dim);  /* 1..40: cannot fail */
	sb->index = 0;
	sb->next_number = 0;
}

int bo__sobol_create(void **out, const bo_study *s, uint64_t seed)
{
	bo_sobol *sb = NULL;
	bo_rng rng;
	unsigned d, b;
	int rc = BO_ENOMEM;

	*out = NULL;
	sb = bo__calloc(1, sizeof *sb);
	if (!sb)
		goto done;
	sb->study = s;
	sb->seed = seed;
	sb->dim = s->nparams < SOBOL_MAX_DIM ? (unsigned)s->nparams : SOBOL_MAX_DIM;
	sb->u = bo__calloc(s->nparams, sizeof *sb->u);
	sb->xtmp = bo__calloc(s->nparams, sizeof *sb->xtmp);
	sb->counts = bo__calloc(s->nconstraints, sizeof *sb->counts);
	sb->cols = bo__calloc((size_t)sb->dim * DIGITS, sizeof *sb->cols);
	sb->shift = bo__calloc(sb->dim, sizeof *sb->shift);
	sb->v = bo__calloc(sb->dim, sizeof *sb->v);
	if (!sb->u || !sb->xtmp || !sb->counts || !sb->cols || !sb->shift || !sb->v)
		goto done;
	if (sb->dim) {
		sb->q.type = gsl_qrng_sobol;
		sb->q.dimension = sb->dim;
		sb->q.state_size = gsl_qrng_sobol->state_size(sb->dim);
		sb->q.state = bo__malloc(sb->q.state_size);
		if (!sb->q.state)
			goto done;
	}
	/* Column b of L (for the digit of weight 2^b) has its diagonal bit b
	 * set and random bits below it: lower triangular, unit diagonal. */
	bo__rng_seed2(&rng, seed, STREAM_SCRAMBLE);
	for (d = 0; d < sb->dim; d++) {
		for (b = 0; b < DIGITS; b++) {
			uint32_t below = (uint32_t)((1ULL << b) - 1);
			sb->cols[d * DIGITS + b] =
				((uint32_t)1 << b) | ((uint32_t)(bo__rng_next(&rng) >> 32) & below);
		}
		sb->shift[d] = (uint32_t)(bo__rng_next(&rng) >> 32);
	}
	restart(sb);
	*out = sb;
	sb = NULL;
	rc = 0;
done:
	bo__sobol_destroy(sb);
	return rc;
}

void bo__sobol_destroy(void *impl)
{
	bo_sobol *sb = impl;
	if (!sb)
		return;
	bo__free(sb->q.state);
	bo__free(sb->cols);
	bo__free(sb->shift);
	bo__free(sb->v);
	bo__free(sb->u);
	bo__free(sb->xtmp);
	bo__free(sb->counts);
	bo__free(sb);
}

/* Advances GSL to the next point into sb->v; 0, or non-zero when the
 * point must come from the fallback rng instead. */
static int next_raw(bo_sobol *sb)
{
	uint64_t idx = sb->index++;

	if (idx >= SOBOL_MAX_POINTS)
		return 1;
	if (idx == 0) {   /* the origin, which GSL skips */
		for (unsigned d = 0; d < sb->dim; d++)
			sb->v[d] = 0.0;
		return 0;
	}
	if (sb->dim && gsl_qrng_sobol->get(sb->q.state, sb->dim, sb->v) != 0)
		return 1;
	return 0;
}

static int draw(void *ud, double *u)
{
	bo_sobol *sb = ud;
	uint64_t idx = sb->index;
	size_t n = sb->study->nparams, i;
	unsigned d, b;
	int fallback = next_raw(sb), have_rng = 0;
	bo_rng rng;

	for (d = 0; d < sb->dim && !fallback; d++) {
		/* GSL returns k / 2^30 (30 digits): scaling by 2^32 is exact
		 * and yields the 32-digit integer whatever its digit count. */
		uint32_t k = (uint32_t)ldexp(sb->v[d], DIGITS);
		uint32_t y = sb->shift[d];
		const uint32_t *col = sb->cols + (size_t)d * DIGITS;
		for (b = 0; k; b++, k >>= 1)
			if (k & 1u)
				y ^= col[b];
		/* The centre of the cell y / 2^32: strictly inside (0, 1). */
		u[d] = ((double)y + 0.5) * 0x1.0p-32;
	}
	for (i = fallback ? 0 : sb->dim; i < n; i++) {
		if (!have_rng) {
			bo__rng_seed2(&rng, sb->seed ^ SEED_EXTRA, idx);
			have_rng = 1;
		}
		u[i] = bo__rng_uniform(&rng);
	}
	return 0;
}

/* One ask at the cursor: its candidates, then the cursor moves on. */
static int ask_next(bo_sobol *sb, double *x)
{
	int rc = bo__space_sample(sb->study, draw, sb, sb->u, sb->counts, x);
	sb->next_number++;
	return rc;
}

int bo__sobol_ask(void *impl, int64_t number, double *x)
{
	bo_sobol *sb = impl;
	int rc = 0;

	if (number < sb->next_number)
		restart(sb);
	if (sb->study->nconstraints == 0) {
		/* Every ask takes exactly one point: skip without mapping. */
		while (sb->next_number < number) {
			next_raw(sb);
			sb->next_number++;
		}
	}
	while (sb->next_number < number) {
		rc = ask_next(sb, sb->xtmp);
		if (rc < 0)
			goto done;
	}
	rc = ask_next(sb, x);
done:
	if (rc < 0)
		restart(sb);   /* a half-done replay: start afresh next time */
	return rc;
}
