/*
 * cli/export_config.c - `budgetopt export --by-config`: one row per
 * configuration, as select sees the ledger (cli/decide.c): its repeats
 * averaged and, in a study with scenarios, its values under each scenario
 * (score.<scenario>, cost.<scenario>, metric.<name>.<scenario>) beside the
 * values folded across them (the weighted mean) that select ranks.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decide.h"

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* {name: value} of the metrics and derived metrics of entry c of s. */
static json_t *metrics_json(const bo_study *s, const bo_config *c)
{
	json_t *o = json_object();
	size_t k;
	for (k = 0; o && k < s->nmetrics; k++)
		if (json_object_set_new(o, s->metrics[k].name, num(c ? c->m[k] : NAN)) < 0)
			goto fail;
	for (k = 0; o && k < s->nderived; k++)
		if (json_object_set_new(o, s->derived[k].name, num(c ? c->dv[k] : NAN)) < 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Configuration i of d as a JSON object (NULL on memory). */
static json_t *config_json(const cli_decide *d, size_t i)
{
	const bo_config *c = &d->c.v[i];
	json_t *o = json_object(), *sc = NULL, *params;
	size_t k, units = d->scen_on ? d->scen.units[i] : (c->nrep ? c->nrep : 1);
	if (!o || !(params = json_loads(c->params_json ? c->params_json : "{}", 0, NULL)) ||
	    json_object_set_new(o, "params", params) < 0 ||
	    json_object_set_new(o, "id", json_integer(c->id)) < 0 ||
	    json_object_set_new(o, "trials", json_integer((json_int_t)units)) < 0 ||
	    json_object_set_new(o, "usable", json_boolean(c->usable)) < 0 ||
	    json_object_set_new(o, "feasible", json_boolean(c->usable && c->feasible)) < 0 ||
	    json_object_set_new(o, "score", num(c->score)) < 0 ||
	    json_object_set_new(o, "cost", num(c->cost)) < 0 ||
	    json_object_set_new(o, "metrics", metrics_json(d->s, c)) < 0)
		goto fail;
	if (!d->scen_on)
		return o;
	if (!(sc = json_object()) || json_object_set_new(o, "scenarios", sc) < 0)
		goto fail;
	for (k = 0; k < d->scen.nsc; k++) {
		size_t at = d->scen.at[i * d->scen.nsc + k];
		const bo_config *v = bo__scen_cell(&d->scen, i, k);
		json_t *e = json_object();
		if (!e || json_object_set_new(sc, bo__scenario_name(d->s, k), e) < 0 ||
		    json_object_set_new(e, "score", num(v ? v->score : NAN)) < 0 ||
		    json_object_set_new(e, "cost", num(at == BO_SCEN_NONE ? NAN : d->scen.cs[k].v[at].cost)) < 0 ||
		    json_object_set_new(e, "metrics", metrics_json(d->s, v)) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static void csv_value(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%.17g", json_number_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", f);
	else if (json_is_string(v))
		cli_csv_field(f, json_string_value(v));
}

/* The rows as CSV: id, trials, usable, feasible, score, cost, param.NAME,
 * metric.NAME, then for each scenario score.S, cost.S and metric.NAME.S. */
static void write_csv(FILE *f, const cli_decide *d, json_t *rows)
{
	const bo_study *s = d->s;
	const char *base[] = {"id", "trials", "usable", "feasible", "score", "cost"};
	size_t i, k, q, b, nsc = d->scen_on ? d->scen.nsc : 0;
	json_t *r;
	for (b = 0; b < 6; b++)
		fprintf(f, "%s%s", b ? "," : "", base[b]);
	for (k = 0; k < s->nparams; k++)
		fprintf(f, ",param.%s", s->params[k].name);
	for (q = 0; q < s->nmetrics + s->nderived; q++)
		fprintf(f, ",metric.%s", q < s->nmetrics ? s->metrics[q].name : s->derived[q - s->nmetrics].name);
	for (k = 0; k < nsc; k++) {
		fprintf(f, ",score.%s,cost.%s", bo__scenario_name(s, k), bo__scenario_name(s, k));
		for (q = 0; q < s->nmetrics + s->nderived; q++)
			fprintf(f, ",metric.%s.%s",
				q < s->nmetrics ? s->metrics[q].name : s->derived[q - s->nmetrics].name,
				bo__scenario_name(s, k));
	}
	fputc('\n', f);
	json_array_foreach(rows, i, r) {
		json_t *m = json_object_get(r, "metrics");
		for (b = 0; b < 6; b++) {
			fputs(b ? "," : "", f);
			csv_value(f, json_object_get(r, base[b]));
		}
		for (k = 0; k < s->nparams; k++) {
			fputc(',', f);
			csv_value(f, json_object_get(json_object_get(r, "params"), s->params[k].name));
		}
		for (q = 0; q < s->nmetrics + s->nderived; q++) {
			fputc(',', f);
			csv_value(f, json_object_get(m, q < s->nmetrics ? s->metrics[q].name
								   : s->derived[q - s->nmetrics].name));
		}
		for (k = 0; k < nsc; k++) {
			json_t *e = json_object_get(json_object_get(r, "scenarios"), bo__scenario_name(s, k));
			fputc(',', f);
			csv_value(f, json_object_get(e, "score"));
			fputc(',', f);
			csv_value(f, json_object_get(e, "cost"));
			for (q = 0; q < s->nmetrics + s->nderived; q++) {
				fputc(',', f);
				csv_value(f, json_object_get(json_object_get(e, "metrics"),
							     q < s->nmetrics ? s->metrics[q].name
									     : s->derived[q - s->nmetrics].name));
			}
		}
		fputc('\n', f);
	}
}

int cli_export_by_config(FILE *f, const char *format, const char *path, const char *storage)
{
	cli_decide d;
	json_t *rows = NULL;
	char *argv[1] = {NULL};
	size_t i;
	int ret;
	memset(&d, 0, sizeof d);
	d.study_path = path;
	d.storage = storage;
	d.quiet = 1;
	d.repeats = CLI_REPEATS_AUTO;
	if ((ret = cli_decide_load(&d, 0, argv, 0)) != 0)
		goto done;
	ret = EXIT_RUN_FAILED;
	if (!(rows = json_array()))
		goto nomem;
	for (i = 0; i < d.c.n; i++)
		if (json_array_append_new(rows, config_json(&d, i)) < 0)
			goto nomem;
	if (!strcmp(format, "json")) {
		if (json_dumpf(rows, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) < 0)
			goto nomem;
		fputc('\n', f);
	} else {
		write_csv(f, &d, rows);
	}
	ret = EXIT_OK;
	goto done;
nomem:
	cli_error("out of memory");
done:
	json_decref(rows);
	cli_decide_free(&d);
	return ret;
}
