/*
 * samplers/sampler.c - the sampler handle: picks an algorithm by name and
 * dispatches ask/tell to it through a table of operations.
 *
 * A new algorithm (TPE, GP, NSGA-II) adds its create/destroy/ask/tell
 * functions and one row to the table below; nothing else changes.
 *
 * Pure: no I/O, no clock, no globals other than the constant table.
 */
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "samplers/internal.h"

typedef struct bo_sampler_ops {
	const char *name;       /* as written in the study file */
	const char *ledger;     /* what bo__sampler_name reports */
	int (*create)(void **out, const bo_study *s, uint64_t seed);
	void (*destroy)(void *impl);
	int (*ask)(void *impl, int64_t number, double *x);
	/* NULL: the algorithm ignores what it is told. */
	int (*tell)(void *impl, int64_t number, const double *x, int state,
		    const double *objectives);
} bo_sampler_ops;

static const bo_sampler_ops sampler_table[] = {
	/* "auto" picks an algorithm for the study; Sobol for now. */
	{"auto", "auto:sobol", bo__sobol_create, bo__sobol_destroy, bo__sobol_ask, NULL},
	{"random", "random", bo__random_create, bo__random_destroy, bo__random_ask, NULL},
	{"sobol", "sobol", bo__sobol_create, bo__sobol_destroy, bo__sobol_ask, NULL},
};
#define NSAMPLERS (sizeof sampler_table / sizeof sampler_table[0])

struct bo_sampler {
	const bo_sampler_ops *ops;
	const bo_study *study;
	void *impl;
};

int bo__sampler_new(bo_sampler **out, const bo_study *s, const char *name, uint64_t seed)
{
	bo_sampler *sm = NULL;
	bo_strbuf known = BO_STRBUF_INIT;
	const bo_sampler_ops *ops = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	for (i = 0; name && i < NSAMPLERS; i++)
		if (strcmp(sampler_table[i].name, name) == 0)
			ops = &sampler_table[i];
	if (!ops) {
		for (i = 0; i < NSAMPLERS; i++)
			bo__sb_printf(&known, "%s%s", i ? ", " : "", sampler_table[i].name);
		if (!bo__sb_str(&known)) {
			rc = BO_ENOMEM;
			goto done;
		}
		rc = bo__error(BO_EINVAL, "unknown sampler \"%s\" (known: %s)",
			       name ? name : "", bo__sb_str(&known));
		goto done;
	}
	sm = bo__calloc(1, sizeof *sm);
	if (!sm) {
		rc = BO_ENOMEM;
		goto done;
	}
	sm->ops = ops;
	sm->study = s;
	rc = ops->create(&sm->impl, s, seed);
	if (rc < 0)
		goto done;
	*out = sm;
	sm = NULL;
done:
	bo__sampler_free(sm);
	bo__sb_clear(&known);
	return rc;
}

void bo__sampler_free(bo_sampler *sm)
{
	if (!sm)
		return;
	if (sm->impl)
		sm->ops->destroy(sm->impl);
	bo__free(sm);
}

const char *bo__sampler_name(const bo_sampler *sm)
{
	return sm ? sm->ops->ledger : "";
}

int bo__sampler_ask(bo_sampler *sm, int64_t number, double *x)
{
	if (!sm || !x || number < 0)
		return bo__error(BO_EMISUSE, "sampler ask needs a sampler, a buffer and a "
					     "trial number >= 0");
	return sm->ops->ask(sm->impl, number, x);
}

int bo__sampler_tell(bo_sampler *sm, int64_t number, const double *x, int state,
		     const double *objectives)
{
	if (!sm || number < 0)
		return bo__error(BO_EMISUSE, "sampler tell needs a sampler and a trial "
					     "number >= 0");
	if (!sm->ops->tell)
		return 0;
	return sm->ops->tell(sm->impl, number, x, state, objectives);
}
