/*
 * cli/export_optuna.c - `budgetopt export --format optuna-csv`: the trials
 * as the CSV of Optuna's study.trials_dataframe().to_csv(index=False)
 * (Optuna 3.1), so notebooks and tools written for Optuna read them.
 *
 * Columns: number (trial id - 1), value (one objective) or values_0, ...
 * (the study's objectives in order; without objectives the score as
 * value), datetime_start, datetime_complete (local time, microseconds, as
 * Optuna stores them; pandas drops the fraction of a column when no value
 * has one), duration (a pandas Timedelta: "0 days 00:00:01.500000", no
 * fraction when it is whole seconds),
 * params_<name> (labels as text), user_attrs_<resource> (usage) and
 * user_attrs_cost (the trial's cost), sorted by name as Optuna sorts
 * them, and state (COMPLETE, PRUNED, FAIL, RUNNING, WAITING).
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/model.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Microseconds since the epoch, as Optuna's datetimes keep them. */
static int64_t micros(double t)
{
	return (int64_t)llround(t * 1e6);
}

/* pandas leaves out the fraction when no value of the column has one. */
static void print_time(FILE *f, int64_t us, int frac)
{
	time_t s = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000));
	long rest = (long)(us - (int64_t)s * 1000000);
	struct tm tm;
	char buf[64];
	localtime_r(&s, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	fputs(buf, f);
	if (frac)
		fprintf(f, ".%06ld", rest);
}

/* pandas writes each Timedelta alone: a fraction only when it has one. */
static void print_duration(FILE *f, int64_t us)
{
	int64_t s = us / 1000000;
	fprintf(f, "%lld days %02lld:%02lld:%02lld", (long long)(s / 86400), (long long)(s / 3600 % 24),
		(long long)(s / 60 % 60), (long long)(s % 60));
	if (us % 1000000)
		fprintf(f, ".%06lld", (long long)(us % 1000000));
}

static const char *optuna_state(int st)
{
	switch (st) {
	case BO_TRIAL_COMPLETE: return "COMPLETE";
	case BO_TRIAL_PRUNED: return "PRUNED";
	case BO_TRIAL_FAILED: return "FAIL";
	case BO_TRIAL_RUNNING: return "RUNNING";
	default: return "WAITING";
	}
}

static int has_end(const bo_trial_rec *t)
{
	return t->ended_at > 0 && t->state != BO_TRIAL_RUNNING && t->state != BO_TRIAL_QUEUED;
}

int cli_export_optuna_csv(FILE *f, const bo_study *s, const bo_trial_rec *t, size_t n)
{
	char **users = NULL, **pnames = NULL;
	size_t nu = 0, cap = 0, i, k, u;
	json_t **params = NULL;
	int rc = -1, frac_start = 0, frac_end = 0;

	if (!(params = calloc(n + 1, sizeof *params)) ||
	    !(pnames = calloc(s->nparams + 1, sizeof *pnames)))
		goto done;
	/* user_attrs: every usage resource, and cost. */
	if (bo__grow(&users, &cap, 1, sizeof *users) < 0)
		goto done;
	users[nu++] = "cost";
	for (i = 0; i < n; i++) {
		for (k = 0; k < t[i].nusage; k++) {
			for (u = 0; u < nu && strcmp(users[u], t[i].usage[k].name); u++)
				;
			if (u == nu) {
				if (bo__grow(&users, &cap, nu + 1, sizeof *users) < 0)
					goto done;
				users[nu++] = t[i].usage[k].name;
			}
		}
		params[i] = t[i].params_json ? json_loads(t[i].params_json, 0, NULL) : NULL;
		if (t[i].started_at > 0) {
			frac_start |= micros(t[i].started_at) % 1000000 != 0;
			if (has_end(&t[i]))
				frac_end |= micros(t[i].ended_at) % 1000000 != 0;
		}
	}
	qsort(users, nu, sizeof *users, cmp_str);
	for (i = 0; i < s->nparams; i++)
		pnames[i] = s->params[i].name;
	qsort(pnames, s->nparams, sizeof *pnames, cmp_str);

	fputs("number", f);
	if (s->nobjectives == 1 || (s->nobjectives == 0 && s->score))
		fputs(",value", f);
	else
		for (i = 0; i < s->nobjectives; i++)
			fprintf(f, ",values_%zu", i);
	fputs(",datetime_start,datetime_complete,duration", f);
	for (i = 0; i < s->nparams; i++) {
		fputc(',', f);
		fputs("params_", f);
		fputs(pnames[i], f);
	}
	for (i = 0; i < nu; i++) {
		char col[600];
		snprintf(col, sizeof col, "user_attrs_%s", users[i]);
		fputc(',', f);
		cli_csv_field(f, col);
	}
	fputs(",state\n", f);

	for (i = 0; i < n; i++) {
		const bo_trial_rec *r = &t[i];
		fprintf(f, "%lld", (long long)(r->id - 1));
		if (s->nobjectives == 0 && s->score) {
			fputc(',', f);
			cli_print_num(f, r->score);
		}
		for (k = 0; k < s->nobjectives; k++) {
			fputc(',', f);
			cli_print_num(f, bo__kv_get(r->metrics, r->nmetrics, s->objectives[k].name));
		}
		fputc(',', f);
		if (r->started_at > 0)
			print_time(f, micros(r->started_at), frac_start);
		fputc(',', f);
		if (r->started_at > 0 && has_end(r))
			print_time(f, micros(r->ended_at), frac_end);
		fputc(',', f);
		if (r->started_at > 0 && has_end(r))
			print_duration(f, micros(r->ended_at) - micros(r->started_at));
		for (k = 0; k < s->nparams; k++) {
			json_t *v = params[i] ? json_object_get(params[i], pnames[k]) : NULL;
			fputc(',', f);
			if (json_is_string(v))
				cli_csv_field(f, json_string_value(v));
			else if (json_is_number(v))
				cli_print_num(f, json_number_value(v));
		}
		for (k = 0; k < nu; k++) {
			fputc(',', f);
			if (!strcmp(users[k], "cost"))
				cli_print_num(f, r->cost);
			else
				cli_print_num(f, bo__kv_get(r->usage, r->nusage, users[k]));
		}
		fprintf(f, ",%s\n", optuna_state(r->state));
	}
	rc = 0;
done:
	for (i = 0; params && i < n; i++)
		json_decref(params[i]);
	free(params);
	free(pnames);
	bo__free(users);
	return rc;
}
