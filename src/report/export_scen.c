/*
 * report/export_scen.c - the scenarios and the best configuration of a
 * status object (see report/export_scen.h). Moved from cli/cmd_status.c,
 * so that the dashboard's /api/status says what `status --format json`
 * says.
 */
#include "report/export_scen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "analysis/scenarios.h"
#include "core/error.h"

json_t *bo__export_scenarios_json(const bo_study *s, const bo_trial_rec *t, size_t n)
{
	size_t i, k, nsc = bo__scenario_count(s);
	json_t *a = json_array();
	if (!a)
		goto nomem;
	for (k = 0; k < nsc; k++) {
		json_int_t c[5] = {0, 0, 0, 0, 0}, all = 0;
		double spent = 0;
		for (i = 0; i < n; i++) {
			if (strcmp(t[i].scenario ? t[i].scenario : "default", bo__scenario_name(s, k)))
				continue;
			all++;
			if ((int)t[i].state >= 0 && (int)t[i].state < 5)
				c[t[i].state]++;
			if (isfinite(t[i].cost))
				spent += t[i].cost;
		}
		if (json_array_append_new(a, json_pack("{sssfsIsIsIsIsIsIsf}", "name", bo__scenario_name(s, k),
						       "weight", bo__scenario_weight(s, k), "trials", all,
						       "complete", c[BO_TRIAL_COMPLETE], "failed", c[BO_TRIAL_FAILED],
						       "pruned", c[BO_TRIAL_PRUNED], "running", c[BO_TRIAL_RUNNING],
						       "queued", c[BO_TRIAL_QUEUED], "spent", spent)) < 0)
			goto nomem;
	}
	return a;
nomem:
	json_decref(a);
	bo__error(BO_ENOMEM, "out of memory");
	return NULL;
}

int bo__export_promote_counts(const bo_study *s, const bo_trial_rec *t, size_t n, const bo_event *e, size_t ne,
			      size_t c[5])
{
	bo_scen_table tab;
	size_t i, partial;
	int rc;
	memset(c, 0, 5 * sizeof *c);
	if ((rc = bo__scen_table_build(&tab, s, t, n, NULL, 0, NULL)) < 0)
		return rc;
	c[0] = tab.nrow;
	bo__scen_coverage(&tab, s->promote.base, &c[2], &c[3], &partial);
	bo__scen_table_clear(&tab);
	for (i = 0; i < ne; i++) {
		c[1] += e[i].kind && !strcmp(e[i].kind, "scenario_promote");
		c[4] |= e[i].kind && !strcmp(e[i].kind, "scenario_explore_end");
	}
	return 0;
}

json_t *bo__export_promote_json(const bo_study *s, const size_t c[5])
{
	return json_pack("{sssIsIsIsIsIsb}", "base", bo__scenario_name(s, s->promote.base), "top",
			 (json_int_t)s->promote.top, "configurations", (json_int_t)c[0], "promoted",
			 (json_int_t)c[1], "every_scenario", (json_int_t)c[2], "base_only", (json_int_t)c[3],
			 "explored", (int)c[4]);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int bo__export_has_repeated(const bo_trial_rec *t, size_t n)
{
	const char **p;
	size_t i;
	int rep = 0;
	if (n < 2)
		return 0;
	if (!(p = bo__calloc(n, sizeof *p)))
		return 1;
	for (i = 0; i < n; i++)
		p[i] = t[i].params_json ? t[i].params_json : "";
	qsort(p, n, sizeof *p, cmp_str);
	for (i = 1; i < n && !rep; i++)
		rep = !strcmp(p[i - 1], p[i]);
	bo__free(p);
	return rep;
}

const char *bo__export_judged_as(const bo_config *v, const char *fold, char *buf, size_t size)
{
	if (v->nrep >= 2)
		snprintf(buf, size, "as select judges it: %s%sthe mean of %zu repeats", fold, *fold ? "; " : "",
			 v->nrep);
	else
		snprintf(buf, size, "as select judges it%s%s", *fold ? ": " : "", fold);
	return buf;
}

int bo__export_best_into(json_t *o, const bo_configs *c, size_t i, const char *fold)
{
	json_t *b = NULL, *params;
	json_error_t err;
	char why[320];
	const bo_config *v;
	if (i == (size_t)-1)
		return json_object_set_new(o, "best", json_null()) < 0 ? bo__error(BO_ENOMEM, "out of memory") : 0;
	v = &c->v[i];
	if (!(params = json_loads(v->params_json ? v->params_json : "", 0, &err)))
		return bo__error(BO_ERROR, "trial %lld: stored parameters are not JSON: %s", (long long)v->id,
				 err.text);
	if (!(b = json_object()) || json_object_set_new(b, "params", params) < 0)
		goto nomem;
	if (json_object_set_new(b, "id", json_integer(v->id)) < 0 ||
	    json_object_set_new(b, "score", json_real(v->score)) < 0 ||
	    json_object_set_new(b, "cost", isfinite(v->cost) ? json_real(v->cost) : json_null()) < 0 ||
	    json_object_set_new(b, "repeats", json_integer((json_int_t)(v->nrep ? v->nrep : 1))) < 0 ||
	    json_object_set_new(b, "judged", json_string(bo__export_judged_as(v, fold, why, sizeof why))) < 0)
		goto nomem;
	/* o takes b, even when it cannot hold it */
	return json_object_set_new(o, "best", b) < 0 ? bo__error(BO_ENOMEM, "out of memory") : 0;
nomem:
	json_decref(b);
	return bo__error(BO_ENOMEM, "out of memory");
}
