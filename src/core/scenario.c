/*
 * core/scenario.c - the scenarios and repeats of a study (model.h): their
 * names, normalised weights, repeat seeds, and a view of the study under
 * one scenario (its inputs and prices replaced) that the derived metrics,
 * guardrails, score and cost of that scenario's trials are computed with.
 *
 * Pure: no files, no clock, no global state.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"

#include <string.h>

size_t bo__scenario_count(const bo_study *s)
{
	return s && s->nscenarios ? s->nscenarios : 1;
}

const char *bo__scenario_name(const bo_study *s, size_t k)
{
	if (!s || !s->nscenarios || k >= s->nscenarios)
		return "default";
	return s->scenarios[k].name;
}

int bo__scenario_find(const bo_study *s, const char *name)
{
	size_t k;
	if (!name)
		return -1;
	for (k = 0; k < bo__scenario_count(s); k++)
		if (strcmp(bo__scenario_name(s, k), name) == 0)
			return (int)k;
	return -1;
}

double bo__scenario_weight(const bo_study *s, size_t k)
{
	double sum = 0;
	size_t i;
	if (!s || !s->nscenarios)
		return 1.0;
	for (i = 0; i < s->nscenarios; i++)
		sum += s->scenarios[i].weight;
	return k < s->nscenarios && sum > 0 ? s->scenarios[k].weight / sum : 0.0;
}

uint64_t bo__repeat_seed(const bo_study *s, int64_t k)
{
	if (k >= 0 && (size_t)k < s->nrepeat_seeds)
		return s->repeat_seeds[k];
	return (s->has_seed ? s->seed : 0) + (uint64_t)(k < 0 ? 0 : k);
}

/* A copy of o's dists for p (1), or nothing when o has none (1); 0 when
 * out of memory. */
static int table_dists(bo_price *p, const bo_price *o)
{
	if (!o->dists)
		return 1;
	if (!(p->dists = bo__calloc(o->nkeys ? o->nkeys : 1, sizeof *p->dists)))
		return 0;
	if (o->nkeys)
		memcpy(p->dists, o->dists, o->nkeys * sizeof *p->dists);
	return 1;
}

int bo__scenario_view(const bo_study *s, size_t k, bo_study **out)
{
	const bo_scenario *sc;
	bo_study *v = NULL;
	size_t i;
	int rc = BO_ENOMEM;

	*out = NULL;
	if (!(v = bo__calloc(1, sizeof *v)))
		goto done;
	*v = *s;
	v->inputs = NULL;
	v->prices.items = NULL;
	v->prices.n = 0;
	if (s->ninputs && !(v->inputs = bo__calloc(s->ninputs, sizeof *v->inputs)))
		goto done;
	if (s->ninputs)
		memcpy(v->inputs, s->inputs, s->ninputs * sizeof *v->inputs);
	if (s->prices.n && !(v->prices.items = bo__calloc(s->prices.n, sizeof *v->prices.items)))
		goto done;
	if (s->prices.n)
		memcpy(v->prices.items, s->prices.items, s->prices.n * sizeof *v->prices.items);
	v->prices.n = s->prices.n;
	/* every table gets its own values (and dists where it has them), so
	 * that the view is freed alike whatever the scenario changes */
	for (i = 0; i < v->prices.n; i++) {
		v->prices.items[i].values = NULL;
		v->prices.items[i].dists = NULL;
	}
	for (i = 0; i < v->prices.n; i++) {
		bo_price *p = &v->prices.items[i];
		const bo_price *o = &s->prices.items[i];
		if (!p->is_table)
			continue;
		if (!(p->values = bo__calloc(o->nkeys ? o->nkeys : 1, sizeof *p->values)))
			goto done;
		if (o->nkeys)
			memcpy(p->values, o->values, o->nkeys * sizeof *p->values);
		if (!table_dists(p, o))
			goto done;
	}
	rc = 0;
	if (k >= s->nscenarios)
		goto done;
	sc = &s->scenarios[k];
	for (i = 0; i < sc->nvalues; i++) {
		const bo_scen_value *sv = &sc->values[i];
		if (!sv->is_price) {
			v->inputs[sv->index].value = sv->value;
			v->inputs[sv->index].dist = sv->dist;
		} else if (sv->key >= 0) {
			bo_price *p = &v->prices.items[sv->index];
			p->values[sv->key] = sv->value;
			if (sv->dist && !p->dists &&
			    !(p->dists = bo__calloc(p->nkeys ? p->nkeys : 1, sizeof *p->dists))) {
				rc = BO_ENOMEM;
				goto done;
			}
			if (p->dists)
				p->dists[sv->key] = sv->dist;
		} else {
			v->prices.items[sv->index].value = sv->value;
			v->prices.items[sv->index].dist = sv->dist;
		}
	}
done:
	if (rc < 0) {
		bo__scenario_view_free(v);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	*out = v;
	return 0;
}

void bo__scenario_view_free(bo_study *v)
{
	size_t i;
	if (!v)
		return;
	for (i = 0; v->prices.items && i < v->prices.n; i++) {
		if (!v->prices.items[i].is_table)
			continue;
		bo__free(v->prices.items[i].values);
		bo__free(v->prices.items[i].dists);
	}
	bo__free(v->prices.items);
	bo__free(v->inputs);
	bo__free(v);
}
