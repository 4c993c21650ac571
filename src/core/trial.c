/*
 * core/trial.c - helpers for trial records and named values: state names,
 * freeing records, reading and appending values.
 */
#include "core/trial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/error.h"

static const char *const state_names[] = {
	"queued", "running", "complete", "pruned", "failed"
};

#define NSTATES (sizeof state_names / sizeof state_names[0])

const char *bo__trial_state_name(int state)
{
	if (state < 0 || (size_t)state >= NSTATES)
		return "unknown";
	return state_names[state];
}

int bo__trial_state_parse(const char *s)
{
	size_t i;
	if (!s)
		return -1;
	for (i = 0; i < NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (int)i;
	return -1;
}

void bo__trial_rec_clear(bo_trial_rec *t)
{
	if (!t)
		return;
	bo__free(t->sampler);
	bo__free(t->params_json);
	bo__kv_free(t->params, t->nparams);
	bo__kv_free(t->metrics, t->nmetrics);
	bo__kv_free(t->usage, t->nusage);
	bo__free(t->price_version);
	bo__free(t->reason);
	bo__free(t->host);
	bo__free(t->folder);
	bo__free(t->cgroup);
	bo__free(t->reserve_basis);
	bo__free(t->cap_detail);
	bo__free(t->scenario);
	memset(t, 0, sizeof *t);
}

void bo__trial_rec_free_array(bo_trial_rec *t, size_t n)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < n; i++)
		bo__trial_rec_clear(&t[i]);
	bo__free(t);
}

const bo_trial_rec *bo__trial_rec_find(const bo_trial_rec *t, size_t n, int64_t id)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

double bo__kv_get(const bo_kv *kv, size_t n, const char *name)
{
	size_t i;
	if (!kv || !name)
		return NAN;
	for (i = 0; i < n; i++)
		if (kv[i].name && strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NAN;
}

int bo__kv_push(bo_kv **kv, size_t *n, size_t *cap, const char *name, double value)
{
	char *copy;
	if (bo__grow(kv, cap, *n + 1, sizeof **kv) < 0)
		return BO_ENOMEM;
	if (!(copy = bo__strdup(name)))
		return BO_ENOMEM;
	(*kv)[*n].name = copy;
	(*kv)[*n].value = value;
	(*n)++;
	return 0;
}

void bo__kv_free(bo_kv *kv, size_t n)
{
	size_t i;
	for (i = 0; kv && i < n; i++)
		bo__free(kv[i].name);
	bo__free(kv);
}

int64_t bo__trial_slurm_job(const bo_trial_rec *t)
{
	char *end;
	long long id;
	if (!t || !t->cgroup || strncmp(t->cgroup, "slurm:", 6))
		return 0;
	id = strtoll(t->cgroup + 6, &end, 10);
	return id > 0 && !*end ? (int64_t)id : 0;
}

void bo__trial_rec_point(const struct bo_study *s, const bo_trial_rec *t, double *x, double *m)
{
	size_t k;
	for (k = 0; k < s->nparams; k++)
		x[k] = bo__kv_get(t->params, t->nparams, s->params[k].name);
	for (k = 0; m && k < s->nmetrics; k++)
		m[k] = bo__kv_get(t->metrics, t->nmetrics, s->metrics[k].name);
}

const bo_trial_rec *bo__trial_find(const bo_trial_rec *t, size_t n, int64_t id)
{
	size_t lo = 0, hi = n, i;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].id == id)
			return &t[mid];
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

int bo__trial_same_point(const double *a, const double *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
			return 0;
	return 1;
}
