/*
 * runner/units.c - the evaluation units of a configuration (units.h):
 * which unit launches next, and what its configuration tells the sampler
 * once all its units have ended.
 *
 * Only configurations with units still to launch or to end are kept, in
 * launch order, so the bookkeeping stays as small as what runs.
 * Must never print, exit or touch files.
 */
#include "runner/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"

typedef struct group {
	double *x;
	int64_t first_id;
	size_t nlaunched, nended, ncomplete;
	int64_t *ids;          /* the trial id of each launched unit */
	double *msum;          /* per metric: sum over complete units */
	size_t *mcount;        /* per metric: complete units that have it */
	double cost;           /* summed over ended units */
	int last_state;
} group;

struct bo_units {
	const bo_study *s;
	size_t nscen;
	int64_t nrep;
	size_t per;            /* nscen * nrep */
	size_t only;           /* bo__units_only's scenario, or (size_t)-1: all */
	group **g;
	size_t ng, capg;
	double *mean;          /* nmetrics: what bo__units_ended hands out */
	double *xout;          /* nparams: likewise */
};

void bo__unit_id_of(const bo_study *s, size_t k, int64_t rep, bo_unit_id *out)
{
	out->scenario = bo__scenario_name(s, k);
	out->repeat = rep;
	out->seed = bo__repeat_seed(s, rep);
}

int bo__unit_placeholder(const bo_unit_id *u, const char *name, int shell, char *buf, size_t size)
{
	static const char *const names[] = {"scenario", "repeat", "seed"};
	static const char *const vars[] = {"BUDGETOPT_SCENARIO", "BUDGETOPT_REPEAT", "BUDGETOPT_SEED"};
	size_t k;
	if (!u)
		return 0;
	for (k = 0; k < 3; k++)
		if (!strcmp(name, names[k]))
			break;
	if (k == 3)
		return 0;
	if (shell)
		snprintf(buf, size, "\"${%s}\"", vars[k]);
	else if (k == 0)
		snprintf(buf, size, "%s", u->scenario);
	else if (k == 1)
		snprintf(buf, size, "%lld", (long long)u->repeat);
	else
		snprintf(buf, size, "%llu", (unsigned long long)u->seed);
	return 1;
}

static void group_free(group *g)
{
	if (!g)
		return;
	bo__free(g->x);
	bo__free(g->ids);
	bo__free(g->msum);
	bo__free(g->mcount);
	bo__free(g);
}

int bo__units_new(bo_units **out, const bo_study *s, int64_t repeats)
{
	bo_units *u = bo__calloc(1, sizeof *u);
	*out = NULL;
	if (!u)
		return bo__error(BO_ENOMEM, "out of memory");
	u->s = s;
	u->nscen = bo__scenario_count(s);
	u->nrep = repeats >= 1 ? repeats : 1;
	u->per = u->nscen * (size_t)u->nrep;
	u->only = (size_t)-1;
	u->mean = bo__calloc(s->nmetrics + 1, sizeof *u->mean);
	u->xout = bo__calloc(s->nparams + 1, sizeof *u->xout);
	if (!u->mean || !u->xout) {
		bo__units_free(u);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	*out = u;
	return 0;
}

void bo__units_free(bo_units *u)
{
	size_t i;
	if (!u)
		return;
	for (i = 0; i < u->ng; i++)
		group_free(u->g[i]);
	bo__free(u->g);
	bo__free(u->mean);
	bo__free(u->xout);
	bo__free(u);
}

void bo__units_only(bo_units *u, size_t scenario)
{
	u->only = scenario;
	u->nscen = 1;
	u->per = (size_t)u->nrep;
}

size_t bo__units_per_config(const bo_units *u)
{
	return u->per;
}

void bo__units_unit(const bo_units *u, size_t k, size_t *scenario, int64_t *repeat)
{
	*scenario = u->only != (size_t)-1 ? u->only : k / (size_t)u->nrep;
	*repeat = (int64_t)(k % (size_t)u->nrep);
}

int bo__units_next(const bo_units *u, double *x, size_t *scenario, int64_t *repeat,
		   int64_t *token)
{
	size_t i;
	for (i = 0; i < u->ng; i++) {
		const group *g = u->g[i];
		if (g->nlaunched < u->per) {
			memcpy(x, g->x, u->s->nparams * sizeof *x);
			bo__units_unit(u, g->nlaunched, scenario, repeat);
			*token = g->first_id;   /* stable while other groups end */
			return 1;
		}
	}
	return 0;
}

static int add_group(bo_units *u, const double *x, int64_t id)
{
	group *g = bo__calloc(1, sizeof *g);
	size_t nm = u->s->nmetrics + 1;
	if (!g || !(g->x = bo__calloc(u->s->nparams + 1, sizeof *g->x)) ||
	    !(g->ids = bo__calloc(u->per, sizeof *g->ids)) || !(g->msum = bo__calloc(nm, sizeof *g->msum)) ||
	    !(g->mcount = bo__calloc(nm, sizeof *g->mcount)) ||
	    bo__grow(&u->g, &u->capg, u->ng + 1, sizeof *u->g) < 0) {
		group_free(g);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	memcpy(g->x, x, u->s->nparams * sizeof *x);
	g->first_id = id;
	g->ids[0] = id;
	g->nlaunched = 1;
	u->g[u->ng++] = g;
	return 0;
}

int bo__units_launched(bo_units *u, int64_t token, const double *x, int64_t id)
{
	group *g = NULL;
	size_t i;
	if (token < 0)
		return u->per > 1 ? add_group(u, x, id) : 0;
	for (i = 0; i < u->ng && !g; i++)
		if (u->g[i]->first_id == token)
			g = u->g[i];
	if (!g || g->nlaunched >= u->per)
		return bo__error(BO_EMISUSE, "units: no unit waits under token %lld", (long long)token);
	g->ids[g->nlaunched++] = id;
	return 0;
}

int bo__units_ended(bo_units *u, int64_t id, int state, const double *metrics, double cost,
		    bo_units_told *told)
{
	size_t i, k, m;
	group *g = NULL;
	for (i = 0; i < u->ng && !g; i++)
		for (k = 0; k < u->g[i]->nlaunched; k++)
			if (u->g[i]->ids[k] == id) {
				g = u->g[i];
				break;
			}
	if (!g)
		return 0;
	i--;
	g->nended++;
	g->cost += isfinite(cost) ? cost : 0.0;
	g->last_state = state;
	if (state == BO_TRIAL_COMPLETE) {
		g->ncomplete++;
		for (m = 0; m < u->s->nmetrics; m++)
			if (metrics && isfinite(metrics[m])) {
				g->msum[m] += metrics[m];
				g->mcount[m]++;
			}
	}
	if (g->nended < u->per)
		return 0;
	for (m = 0; m < u->s->nmetrics; m++)
		u->mean[m] = g->mcount[m] ? g->msum[m] / (double)g->mcount[m] : NAN;
	memcpy(u->xout, g->x, u->s->nparams * sizeof *u->xout);
	told->number = g->first_id - 1;
	told->x = u->xout;
	told->state = g->ncomplete ? BO_TRIAL_COMPLETE : g->last_state;
	told->metrics = u->mean;
	told->cost = g->cost / (double)u->per;
	group_free(g);
	memmove(&u->g[i], &u->g[i + 1], (u->ng - i - 1) * sizeof *u->g);
	u->ng--;
	return 1;
}

int bo__units_replay(bo_units *u, int64_t id, const double *x, const char *scenario,
		     int64_t repeat)
{
	int sc = bo__scenario_find(u->s, scenario);
	size_t k, i;
	if (u->per <= 1)
		return 0;
	if (sc < 0 || repeat < 0 || repeat >= u->nrep ||
	    (u->only != (size_t)-1 && (size_t)sc != u->only))
		return 0;     /* run under other scenarios or repeats: no unit now */
	k = (u->only != (size_t)-1 ? 0 : (size_t)sc) * (size_t)u->nrep + (size_t)repeat;
	if (k == 0)
		return add_group(u, x, id);
	for (i = u->ng; i-- > 0;)
		if (u->g[i]->nlaunched == k && bo__trial_same_point(u->g[i]->x, x, u->s->nparams))
			return bo__units_launched(u, u->g[i]->first_id, x, id);
	return 0;
}
