/*
 * cli/cmd_trials.c - `budgetopt trials study.yaml`: a table of trials.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/model.h"

static const char help[] =
	"usage: budgetopt trials [options] study.yaml\n\n"
	"options:\n"
	"  --state S     only trials in state S (running, complete, pruned, failed)\n"
	"  --sort KEY    id (default), cost, score, or a metric name; -KEY for descending\n"
	"  --limit N     at most N rows\n"
	"  --storage URI the ledger (default <study folder>/<name>.db)\n";

/* "a=1 b=forest" from the params JSON, for a compact column. */
static void params_compact(const char *json, char *out, size_t size)
{
	size_t o = 0;
	const char *p = json;
	int in_str = 0;
	for (; p && *p && o + 1 < size; p++) {
		char c = *p;
		if (c == '"' && (p == json || p[-1] != '\\')) {
			in_str = !in_str;
			continue;
		}
		if (!in_str && (c == '{' || c == '}' || c == ' '))
			continue;
		if (!in_str && c == ':')
			c = '=';
		else if (!in_str && c == ',')
			c = ' ';
		out[o++] = c;
	}
	out[o] = '\0';
}

int cmd_trials(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, 'S'},
		{"sort", required_argument, NULL, 'o'},
		{"limit", required_argument, NULL, 'l'},
		{"storage", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	const char *storage = NULL;
	bo_study *s = NULL;
	bo_storage *st = NULL;
	bo_trial_rec *t = NULL;
	size_t n = 0, i;
	int c, ret = EXIT_RUN_FAILED;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			q.state = bo__trial_state_parse(optarg);
			if (q.state < 0) {
				cli_error("unknown state \"%s\" (queued, running, complete, pruned, failed)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': q.sort = optarg; break;
		case 'l':
			q.limit = strtoll(optarg, &end, 10);
			if (*end || q.limit <= 0) {
				cli_error("--limit needs a positive integer, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's': storage = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
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
	printf("%6s  %-8s  %12s  %12s  %-4s  %s\n", "id", "state", "cost", "score", "ok", "parameters / reason");
	for (i = 0; i < n; i++) {
		char params[512], score[32];
		params_compact(t[i].params_json, params, sizeof params);
		if (s->fidelity.param >= 0) {
			/* multi-fidelity: the trial's rung beside its parameters */
			const char *fname = s->params[s->fidelity.param].name;
			size_t k, len = strlen(params);
			int nr, rung = -1;
			for (k = 0; k < t[i].nparams; k++)
				if (!strcmp(t[i].params[k].name, fname))
					rung = bo__study_fidelity_rung(s, t[i].params[k].value, &nr);
			if (rung >= 0 && len < sizeof params)
				snprintf(params + len, sizeof params - len, " (rung %d of %d)", rung, nr);
		}
		if (isnan(t[i].score))
			snprintf(score, sizeof score, "-");
		else
			snprintf(score, sizeof score, "%.6g", t[i].score);
		printf("%6lld  %-8s  %12.6g  %12s  %-4s  %s%s%s\n", (long long)t[i].id,
		       bo__trial_state_name(t[i].state), isnan(t[i].cost) ? 0.0 : t[i].cost, score,
		       t[i].feasible == 1 ? "yes" : t[i].feasible == 0 ? "no" : "-", params,
		       t[i].reason ? " | " : "", t[i].reason ? t[i].reason : "");
	}
	ret = EXIT_OK;
done:
	bo__trial_rec_free_array(t, n);
	bo__storage_close(st);
	bo_study_free(s);
	return ret;
}
