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
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "samplers/internal.h"

static const bo_sampler_ops random_ops = {"random", bo__random_create, bo__random_destroy,
					   bo__random_ask, NULL, NULL};
static const bo_sampler_ops sobol_ops = {"sobol", bo__sobol_create, bo__sobol_destroy,
					  bo__sobol_ask, NULL, NULL};

static const bo_sampler_ops *const sampler_table[] = {
	&random_ops,
	&sobol_ops,
};
#define NSAMPLERS (sizeof sampler_table / sizeof sampler_table[0])

struct bo_sampler {
	const bo_sampler_ops *ops;
	const bo_study *study;
	void *impl;
	int is_auto;            /* "auto": the name reports what it picked */
	char ledger[64];
};

int bo__sampler_new(bo_sampler **out, const bo_study *s, const char *name, uint64_t seed)
{
	bo_sampler *sm = NULL;
	bo_strbuf known = BO_STRBUF_INIT;
	const bo_sampler_ops *ops = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	/* "auto" picks an algorithm for the study: Sobol for now. */
	int is_auto = name && strcmp(name, "auto") == 0;
	if (is_auto)
		name = "sobol";
	for (i = 0; name && i < NSAMPLERS; i++)
		if (strcmp(sampler_table[i]->name, name) == 0)
			ops = sampler_table[i];
	if (!ops) {
		bo__sb_puts(&known, "auto");
		for (i = 0; i < NSAMPLERS; i++)
			bo__sb_printf(&known, ", %s", sampler_table[i]->name);
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
	sm->is_auto = is_auto;
	snprintf(sm->ledger, sizeof sm->ledger, "%s%s", is_auto ? "auto:" : "", ops->name);
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
	return sm ? sm->ledger : "";
}

int bo__sampler_ask(bo_sampler *sm, int64_t number, double *x)
{
	if (!sm || !x || number < 0)
		return bo__error(BO_EMISUSE, "sampler ask needs a sampler, a buffer and a "
					     "trial number >= 0");
	return sm->ops->ask(sm->impl, number, x);
}

int bo__sampler_tell(bo_sampler *sm, const bo_observation *o)
{
	if (!sm || !o || o->number < 0 || !o->x)
		return bo__error(BO_EMISUSE, "sampler tell needs a sampler and an observation of a "
					     "trial number >= 0");
	if (o->nobj != bo__sampler_nobjectives(sm->study) || o->ncons != sm->study->nguardrails ||
	    (o->nobj && !o->obj) || (o->ncons && !o->cons))
		return bo__error(BO_EINVAL, "sampler tell: %zu objectives and %zu guardrail margins, "
					    "the study has %zu and %zu",
				 o->nobj, o->ncons, bo__sampler_nobjectives(sm->study),
				 sm->study->nguardrails);
	if (!sm->ops->tell)
		return 0;
	return sm->ops->tell(sm->impl, o);
}

int bo__sampler_set_param(bo_sampler *sm, const char *name, double value)
{
	if (!sm || !name)
		return bo__error(BO_EMISUSE, "sampler set_param needs a sampler and a name");
	if (!sm->ops->set_param)
		return bo__error(BO_EINVAL, "sampler \"%s\" has no option \"%s\"", sm->ops->name, name);
	return sm->ops->set_param(sm->impl, name, value);
}

size_t bo__sampler_nobjectives(const bo_study *s)
{
	if (s->nobjectives)
		return s->nobjectives;
	return s->score ? 1 : 0;
}
