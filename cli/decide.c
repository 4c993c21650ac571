/*
 * cli/decide.c - loading the configurations frontier and select look at.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/expr.h"
#include "decide.h"

int cli_decide_option(cli_decide *d, int c, const char *arg)
{
	switch (c) {
	case 1001: d->catalog = arg; return 1;
	case 1002: d->study_path = arg; return 1;
	case 1003: d->storage = arg; return 1;
	case 1004: d->where = arg; return 1;
	case 1005:
		if (d->nguardrails >= CLI_MAX_GUARDRAILS) {
			cli_error("at most %d --guardrail options", CLI_MAX_GUARDRAILS);
			return -1;
		}
		d->guardrails[d->nguardrails++] = arg;
		return 1;
	case 1007: d->score = arg; return 1;
	case 1006:
		if (strcmp(arg, "text") && strcmp(arg, "csv") && strcmp(arg, "json")) {
			cli_error("unknown format \"%s\" (text, csv or json)", arg);
			return -1;
		}
		d->format = arg;
		cli_json_errors(!strcmp(arg, "json"));
		return 1;
	}
	return 0;
}

/* --score EXPR: compiled against the study like its own score, and put in
 * its place, so that everything judged afterwards uses it. */
static int set_score(bo_study *s, const char *text)
{
	bo_expr *e = NULL;
	char *copy;
	int goal = 1;
	if (!strncmp(text, "min:", 4) || !strncmp(text, "max:", 4)) {
		goal = text[1] == 'i' ? -1 : 1;
		text += 4;
		while (*text == ' ')
			text++;
	}
	if (bo__study_compile(s, text, "--score", &e) < 0) {
		cli_error("%s", bo_error_last());
		return -1;
	}
	if (!(copy = bo__strdup(text))) {
		bo__expr_free(e);
		cli_error("out of memory");
		return -1;
	}
	bo__expr_free(s->score);
	bo__free(s->score_text);
	s->score = e;
	s->score_text = copy;
	s->score_goal = goal;
	return 0;
}

int cli_decide_load(cli_decide *d, int argc, char **argv, int optind_)
{
	if (!d->format)
		d->format = "text";
	if (optind_ == argc - 1 && !d->study_path)
		d->study_path = argv[optind_];
	else if (optind_ != argc) {
		cli_error("give the study file once, with --study or as the last argument");
		return EXIT_USAGE;
	}
	if (!d->study_path) {
		cli_error("no study file (give it as the last argument, or --study FILE with --catalog)");
		return EXIT_USAGE;
	}
	if (!(d->s = cli_load_study(d->study_path)))
		return EXIT_USAGE;
	if (d->score && set_score(d->s, d->score) < 0)
		return EXIT_USAGE;
	if (bo__configs_init(&d->c, d->s, d->guardrails, d->nguardrails, d->where) < 0) {
		cli_error("%s", bo_error_last());
		return EXIT_USAGE;
	}
	if (d->catalog) {
		size_t len = 0;
		char *text = cli_read_file(d->catalog, &len);
		bo_csv *csv = NULL;
		int rc;
		if (!text) {
			cli_error("cannot read catalog %s: %s", d->catalog, strerror(errno));
			return EXIT_USAGE;
		}
		rc = bo__csv_parse(&csv, text, len, d->catalog);
		free(text);
		if (rc == 0)
			rc = bo__study_catalog_labels(d->s, csv, d->catalog);
		if (rc == 0)
			rc = bo__configs_add_csv(&d->c, csv, d->catalog);
		bo__csv_free(csv);
		if (rc < 0) {
			cli_error("%s", bo_error_last());
			return rc == BO_EINVAL ? EXIT_USAGE : EXIT_RUN_FAILED;
		}
	} else {
		bo_storage *st = cli_open_ledger(d->s, d->storage, 0);
		bo_trial_query q = BO_TRIAL_QUERY_INIT;
		int rc;
		if (!st)
			return cli_ledger_failure();
		rc = st->ops->trials(st, &q, &d->trials, &d->ntrials);
		if (rc == 0)
			rc = st->ops->study_text(st, &d->stored_text);
		if (rc == 0)
			rc = bo__configs_add_trials(&d->c, d->trials, d->ntrials);
		if (rc < 0)
			cli_error("%s", bo_error_last());
		bo__storage_close(st);
		if (rc < 0)
			return EXIT_RUN_FAILED;
	}
	return 0;
}

void cli_decide_free(cli_decide *d)
{
	bo__configs_clear(&d->c);
	bo__trial_rec_free_array(d->trials, d->ntrials);
	d->trials = NULL;
	d->ntrials = 0;
	bo__free(d->stored_text);
	d->stored_text = NULL;
	bo_study_free(d->s);
	d->s = NULL;
}

void cli_json_num(FILE *f, double v)
{
	if (isfinite(v))
		cli_print_num(f, v);
	else
		fputs("null", f);
}

void cli_json_metrics(FILE *f, const cli_decide *d, size_t i)
{
	const bo_study *s = d->s;
	const bo_config *c = &d->c.v[i];
	size_t k;
	int first = 1;
	fputc('{', f);
	for (k = 0; k < s->nmetrics; k++) {
		fputs(first ? "" : ", ", f);
		first = 0;
		cli_json_string(f, s->metrics[k].name);
		fputs(": ", f);
		cli_json_num(f, c->m[k]);
	}
	for (k = 0; k < s->nderived; k++) {
		fputs(first ? "" : ", ", f);
		first = 0;
		cli_json_string(f, s->derived[k].name);
		fputs(": ", f);
		cli_json_num(f, c->dv[k]);
	}
	fputc('}', f);
}
