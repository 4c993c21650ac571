/*
 * cli/cmd_export.c - `budgetopt export --format csv|json study.yaml`:
 * every trial with parameters, metrics, usage, cost, state and reason.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/model.h"
#include "report/export_json.h"
#include "report/rungs.h"

static const char help[] =
	"usage: budgetopt export [--format csv|json|optuna-csv] [--summary | --by-config] [-o FILE]\n"
	"                        [--storage URI] study.yaml\n\n"
	"Writes every trial: id, state, sampler, cost, currency, price-book version,\n"
	"score, feasible, failure reason, times, parameters (param.NAME), metrics\n"
	"(metric.NAME) and usage (usage.NAME). Default format: csv, to stdout.\n"
	"optuna-csv: the columns of Optuna's trials_dataframe() (docs/optuna.md).\n\n"
	"options:\n"
	"  --format F         csv (default), json or optuna-csv\n"
	"  --summary          json: an object with the trials and, for a study with a\n"
	"                     fidelity or a pruner, its rung table and pruning figures\n"
	"  --by-config        one row per configuration, as select judges it: repeats\n"
	"                     averaged; with scenarios, score.S, cost.S and\n"
	"                     metric.NAME.S under each scenario S beside the values\n"
	"                     folded across them (csv or json)\n"
	"  -o, --output FILE  write to FILE instead of stdout\n"
	"  --storage URI      the ledger (default <study folder>/<name>.db)\n";

/* Adds name to the list of column names unless present. */
static int add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	size_t i;
	for (i = 0; i < *n; i++)
		if (!strcmp((*names)[i], name))
			return 0;
	if (bo__grow(names, cap, *n + 1, sizeof **names) < 0)
		return -1;
	(*names)[(*n)++] = (char *)name;
	return 0;
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
}

static int write_csv(FILE *f, const bo_study *s, bo_trial_rec *t, size_t n)
{
	char **mnames = NULL, **unames = NULL;
	size_t nm = 0, capm = 0, nu = 0, capu = 0, i, k;
	int units;
	json_t **params = calloc(n + 1, sizeof *params);
	int rc = -1;
	if (!params)
		return -1;
	for (i = 0; i < s->nmetrics; i++)
		if (add_name(&mnames, &nm, &capm, s->metrics[i].name) < 0)
			goto done;
	for (i = 0; i < s->nderived; i++)
		if (add_name(&mnames, &nm, &capm, s->derived[i].name) < 0)
			goto done;
	for (i = 0; i < n; i++) {
		for (k = 0; k < t[i].nmetrics; k++)
			if (add_name(&mnames, &nm, &capm, t[i].metrics[k].name) < 0)
				goto done;
		for (k = 0; k < t[i].nusage; k++)
			if (add_name(&unames, &nu, &capu, t[i].usage[k].name) < 0)
				goto done;
		params[i] = t[i].params_json ? json_loads(t[i].params_json, 0, NULL) : NULL;
	}
	/* scenario and repeat columns where some trial ran under a scenario or
	 * was a repeat (the columns of older studies stay as they were) */
	units = s->nscenarios > 0 || s->repeats > 1;
	for (i = 0; i < n; i++)
		units |= (t[i].scenario && strcmp(t[i].scenario, "default")) || t[i].repeat != 0;
	fputs("id,state,sampler,cost,currency,price_version,score,feasible,reason,started_at,ended_at", f);
	if (units)
		fputs(",scenario,repeat", f);
	for (i = 0; i < s->nparams; i++)
		fprintf(f, ",param.%s", s->params[i].name);
	for (i = 0; i < nm; i++)
		fprintf(f, ",metric.%s", mnames[i]);
	for (i = 0; i < nu; i++)
		fprintf(f, ",usage.%s", unames[i]);
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%lld,%s,", (long long)t[i].id, bo__trial_state_name(t[i].state));
		cli_csv_field(f, t[i].sampler);
		fputc(',', f);
		csv_num(f, t[i].cost);
		fprintf(f, ",%s,", s->prices.currency);
		cli_csv_field(f, t[i].price_version);
		fputc(',', f);
		csv_num(f, t[i].score);
		fprintf(f, ",%s,", t[i].feasible == 1 ? "true" : t[i].feasible == 0 ? "false" : "");
		cli_csv_field(f, t[i].reason);
		fputc(',', f);
		csv_num(f, t[i].started_at);
		fputc(',', f);
		if (t[i].ended_at > 0)
			csv_num(f, t[i].ended_at);
		if (units) {
			fputc(',', f);
			cli_csv_field(f, t[i].scenario ? t[i].scenario : "default");
			fprintf(f, ",%lld", (long long)t[i].repeat);
		}
		for (k = 0; k < s->nparams; k++) {
			json_t *v = params[i] ? json_object_get(params[i], s->params[k].name) : NULL;
			fputc(',', f);
			if (json_is_string(v))
				cli_csv_field(f, json_string_value(v));
			else if (json_is_number(v))
				csv_num(f, json_number_value(v));
		}
		for (k = 0; k < nm; k++) {
			fputc(',', f);
			csv_num(f, bo__kv_get(t[i].metrics, t[i].nmetrics, mnames[k]));
		}
		for (k = 0; k < nu; k++) {
			fputc(',', f);
			csv_num(f, bo__kv_get(t[i].usage, t[i].nusage, unames[k]));
		}
		fputc('\n', f);
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		json_decref(params[i]);
	free(params);
	bo__free(mnames);
	bo__free(unames);
	return rc;
}

/* --summary: {"study", "fidelity" and "pruning" (report/rungs.h, with
 * every pruned trial) where the study has them, "trials": arr}. Takes
 * arr; NULL, the message printed, on failure. */
static json_t *with_summary(const bo_study *s, bo_storage *st, const bo_trial_rec *t, size_t n, json_t *arr)
{
	json_t *o = json_object();
	bo_event *e = NULL;
	bo_step_row *steps = NULL;
	size_t ne = 0, nsteps = 0;
	bo_rungs r;
	int ok = 0;
	memset(&r, 0, sizeof r);
	if (!o || json_object_set_new(o, "study", json_string(s->name)) < 0) {
		cli_error("out of memory");
		goto done;
	}
	if (st->ops->events(st, &e, &ne) < 0 ||
	    (s->pruner.kind != BO_PRUNER_NONE && st->ops->steps(st, &steps, &nsteps) < 0) ||
	    bo__rungs_summarize(&r, s, t, n, e, ne, steps, nsteps) < 0 || bo__export_rungs_into(o, s, &r, 1) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	if (json_object_set(o, "trials", arr) < 0) {
		cli_error("out of memory");
		goto done;
	}
	ok = 1;
done:
	json_decref(arr);
	bo__rungs_clear(&r);
	bo__event_free_array(e, ne);
	bo__step_rows_free(steps, nsteps);
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"storage", required_argument, NULL, 's'},
		{"summary", no_argument, NULL, 'S'},
		{"by-config", no_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	const char *format = "csv", *output = NULL, *storage = NULL;
	bo_study *s = NULL;
	bo_storage *st = NULL;
	bo_trial_rec *t = NULL;
	size_t n = 0;
	FILE *f = stdout;
	int c, ret = EXIT_RUN_FAILED, summary = 0, by_config = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 's': storage = optarg; break;
		case 'S': summary = 1; break;
		case 'B': by_config = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	cli_json_errors(!strcmp(format, "json"));
	if (optind != argc - 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "optuna-csv")) {
		cli_error("unknown format \"%s\" (csv, json or optuna-csv)", format);
		return EXIT_USAGE;
	}
	if (summary && strcmp(format, "json")) {
		cli_error("--summary needs --format json");
		return EXIT_USAGE;
	}
	if (by_config && (summary || !strcmp(format, "optuna-csv"))) {
		cli_error("--by-config goes with --format csv or json, without --summary");
		return EXIT_USAGE;
	}
	if (by_config) {
		if (output && !(f = fopen(output, "w"))) {
			cli_error("cannot write %s: %s", output, strerror(errno));
			return EXIT_RUN_FAILED;
		}
		ret = cli_export_by_config(f, format, argv[optind], storage);
		if (ret == EXIT_OK && (fflush(f) != 0 || ferror(f))) {
			cli_error("cannot write %s", output ? output : "the export");
			ret = EXIT_RUN_FAILED;
		}
		if (f != stdout)
			fclose(f);
		return ret;
	}
	if (!(s = cli_load_study(argv[optind])))
		return EXIT_USAGE;
	if (!(st = cli_open_ledger(s, storage, 0))) {
		ret = cli_ledger_failure();
		goto done;
	}
	if (st->ops->trials(st, &q, &t, &n) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	if (output && !(f = fopen(output, "w"))) {
		cli_error("cannot write %s: %s", output, strerror(errno));
		goto done;
	}
	if (!strcmp(format, "json")) {
		json_t *arr = bo__export_trials_json(s, t, n);
		if (arr && summary && !(arr = with_summary(s, st, t, n, arr)))
			goto done;
		if (!arr) {
			cli_error("%s", bo_error_last());
			goto done;
		}
		if (json_dumpf(arr, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) < 0) {
			json_decref(arr);
			cli_error("cannot write the export");
			goto done;
		}
		fputc('\n', f);
		json_decref(arr);
	} else if (!strcmp(format, "optuna-csv") ? cli_export_optuna_csv(f, s, t, n) < 0
						 : write_csv(f, s, t, n) < 0) {
		cli_error("out of memory");
		goto done;
	}
	if (fflush(f) != 0 || ferror(f)) {
		cli_error("cannot write %s", output ? output : "the export");
		goto done;
	}
	ret = EXIT_OK;
done:
	if (f && f != stdout)
		fclose(f);
	bo__trial_rec_free_array(t, n);
	bo__storage_close(st);
	bo_study_free(s);
	return ret;
}
