/*
 * runner/fidelity_bohb.c - BOHB's proposals (Falkner, Klein and Hutter
 * 2018, "BOHB: Robust and Efficient Hyperparameter Optimization at
 * Scale", section 3.2): a TPE model is fitted on the observations of the
 * highest fidelity that has enough of them (at least d + 2, d the number
 * of parameters modelled), and a fraction rho = 1/3 of the new
 * configurations is drawn at random to keep the guarantees of Hyperband.
 *
 * Changed from the paper: the model is our TPE (samplers/tpe.c, Bergstra
 * et al. 2011, univariate Parzen estimators) rebuilt from that rung's
 * observations at each ask instead of a multivariate KDE, and the random
 * third is every third ask by number, so the same seed gives the same
 * proposals. Pure: no clock, no files.
 */
#include "runner/fidelity_bohb.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "samplers/sampler.h"

#define BOHB_RANDOM_EVERY 3   /* rho = 1/3: every third new configuration is random */

typedef struct obs {
	int64_t id;
	double *x, *m;
	int state;
	double cost;
} obs;

struct bo_bohb {
	const bo_study *s;
	const bo_fidelity *f;
	uint64_t seed;
	bo_sampler *random;
	obs *o;
	size_t n, cap;
};

int bo__bohb_new(bo_bohb **out, const bo_study *s, const bo_fidelity *f, uint64_t seed)
{
	bo_bohb *b = bo__calloc(1, sizeof *b);
	int rc;
	*out = NULL;
	if (!b)
		return BO_ENOMEM;
	b->s = s;
	b->f = f;
	b->seed = seed;
	if ((rc = bo__sampler_new(&b->random, s, "random", seed)) < 0) {
		bo__free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void bo__bohb_free(bo_bohb *b)
{
	size_t i;
	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		bo__free(b->o[i].x);
		bo__free(b->o[i].m);
	}
	bo__free(b->o);
	bo__sampler_free(b->random);
	bo__free(b);
}

int bo__bohb_observe(bo_bohb *b, int64_t id, const double *x, const double *m, int state,
		     double cost)
{
	obs *o;
	size_t np = b->s->nparams ? b->s->nparams : 1, nm = b->s->nmetrics ? b->s->nmetrics : 1, i;
	if (bo__grow(&b->o, &b->cap, b->n + 1, sizeof *b->o) < 0)
		return BO_ENOMEM;
	o = &b->o[b->n];
	memset(o, 0, sizeof *o);
	o->x = bo__calloc(np, sizeof *o->x);
	o->m = bo__calloc(nm, sizeof *o->m);
	if (!o->x || !o->m) {
		bo__free(o->x);
		bo__free(o->m);
		return BO_ENOMEM;
	}
	memcpy(o->x, x, b->s->nparams * sizeof *x);
	for (i = 0; i < b->s->nmetrics; i++)
		o->m[i] = m ? m[i] : NAN;
	o->id = id;
	o->state = state;
	o->cost = cost;
	b->n++;
	return 0;
}

/* Complete observations at rung k. */
static size_t count_rung(const bo_bohb *b, int k)
{
	size_t i, n = 0;
	for (i = 0; i < b->n; i++) {
		int64_t c;
		int r;
		bo__fidelity_trial(b->f, b->o[i].id, &c, &r);
		n += r == k && b->o[i].state == BO_TRIAL_COMPLETE;
	}
	return n;
}

int bo__bohb_ask(bo_bohb *b, int64_t number, double *x, int *rung)
{
	bo_sampler *tpe = NULL;
	size_t d = b->s->nparams - 1, i, told = 0;
	int k, rc;
	*rung = -1;
	for (k = bo__fidelity_nrungs(b->f) - 1; k >= 0; k--)
		if (count_rung(b, k) >= d + 2)
			break;
	if (k < 0 || number % BOHB_RANDOM_EVERY == BOHB_RANDOM_EVERY - 1)
		return bo__sampler_ask(b->random, number, x);
	/* TPE on rung k alone: its trials are told in id order, numbered
	 * 0, 1, ...; the ask is number `told`, seeded by the study's trial
	 * number so that two asks never repeat each other */
	if ((rc = bo__sampler_new(&tpe, b->s, "tpe", b->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(number + 1)))) < 0)
		return rc;
	if ((rc = bo__sampler_set_param(tpe, "n_startup", (double)(d + 2))) < 0)
		goto done;
	for (i = 0; i < b->n; i++) {
		int64_t c;
		int r;
		bo__fidelity_trial(b->f, b->o[i].id, &c, &r);
		if (r != k)
			continue;
		if ((rc = bo__sampler_tell_metrics(tpe, (int64_t)told, b->o[i].x, b->o[i].state, b->o[i].m,
						   b->o[i].cost)) < 0)
			goto done;
		told++;
	}
	rc = bo__sampler_ask(tpe, (int64_t)told, x);
	if (rc == 0)
		*rung = k;
done:
	bo__sampler_free(tpe);
	return rc;
}
