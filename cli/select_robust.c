/*
 * cli/select_robust.c - `budgetopt select --robust AGG`: the configuration
 * whose score holds up best across the study's scenarios (issue 10 item 4).
 *
 * The ledger's trials are split by scenario; each scenario's are judged
 * under the study's view of that scenario (its inputs and prices) and their
 * repeats folded into means (analysis/configs.h); the per-scenario scores
 * of each configuration are then aggregated (analysis/robust.h). Only
 * configurations complete and feasible under every scenario qualify. Ties:
 * lower mean search cost, then lower trial id.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/configs.h"
#include "analysis/robust.h"
#include "cli.h"
#include "core/alloc.h"
#include "core/model.h"
#include "decide.h"

#include "select_robust.h"

typedef struct row {
	const char *params_json;   /* borrowed from the first scenario's configs */
	int64_t id;                /* lowest trial id of the configuration */
	double cost;               /* mean search cost over its units */
	double costn;
	int feasible;              /* under every scenario so far */
} row;

static const char *const AGG_NAMES[] = {"mean", "worst", "cvar", "spread", "regret"};

int cli_select_robust(cli_decide *d, const char *spec_text, int runners)
{
	const bo_study *s = d->s;
	size_t k, i, j, nsc = bo__scenario_count(s), nrow = 0, caprow = 0, *order = NULL;
	bo_configs *cs = NULL;
	bo_study **views = NULL;
	bo_trial_rec *sub = NULL;
	row *rows = NULL;
	double *v = NULL, *agg = NULL, *w = NULL;
	int *have = NULL;
	bo_robust spec;
	int ret = EXIT_RUN_FAILED, goal, json = d->format && !strcmp(d->format, "json");
	char label[48];

	if (bo__robust_parse(spec_text, &spec) < 0) {
		cli_error("--robust: %s", bo_error_last());
		return EXIT_USAGE;
	}
	if (d->catalog) {
		cli_error("--robust ranks a ledger's trials by scenario; a catalog has no scenarios");
		return EXIT_USAGE;
	}
	if (!s->score) {
		cli_error("--robust ranks by the score: the study has none (give --score EXPR)");
		return EXIT_USAGE;
	}
	if (spec.kind == BO_ROBUST_CVAR)
		snprintf(label, sizeof label, "cvar(%g)", spec.alpha);
	else
		snprintf(label, sizeof label, "%s", AGG_NAMES[spec.kind]);
	goal = bo__robust_goal(&spec, s->score_goal);
	if (!(cs = bo__calloc(nsc, sizeof *cs)) || !(views = bo__calloc(nsc, sizeof *views)) ||
	    !(sub = bo__calloc(d->ntrials + 1, sizeof *sub)) || !(w = bo__calloc(nsc, sizeof *w)))
		goto nomem;
	for (k = 0; k < nsc; k++) {
		size_t n = 0;
		w[k] = bo__scenario_weight(s, k);
		if (bo__scenario_view(s, k, &views[k]) < 0)
			goto nomem;
		if (bo__configs_init(&cs[k], views[k], d->guardrails, d->nguardrails, d->where) < 0) {
			cli_error("%s", bo_error_last());
			ret = EXIT_USAGE;
			goto done;
		}
		for (i = 0; i < d->ntrials; i++) {
			const char *sc = d->trials[i].scenario ? d->trials[i].scenario : "default";
			if (!strcmp(sc, bo__scenario_name(s, k)))
				sub[n++] = d->trials[i];     /* a shallow copy, not freed here */
		}
		if (bo__configs_add_trials(&cs[k], sub, n) < 0 || bo__configs_group(&cs[k]) < 0) {
			cli_error("%s", bo_error_last());
			goto done;
		}
	}
	/* the configurations: every params_json seen under any scenario */
	for (k = 0; k < nsc; k++)
		for (i = 0; i < cs[k].n; i++) {
			const bo_config *c = &cs[k].v[i];
			if (!c->params_json)
				continue;
			for (j = 0; j < nrow; j++)
				if (!strcmp(rows[j].params_json, c->params_json))
					break;
			if (j == nrow) {
				if (bo__grow(&rows, &caprow, nrow + 1, sizeof *rows) < 0)
					goto nomem;
				memset(&rows[nrow], 0, sizeof *rows);
				rows[nrow].params_json = c->params_json;
				rows[nrow].id = c->id;
				rows[nrow].feasible = 1;
				nrow++;
			}
		}
	if (!(v = bo__calloc(nrow * nsc + 1, sizeof *v)) || !(agg = bo__calloc(nrow + 1, sizeof *agg)) ||
	    !(have = bo__calloc(nrow + 1, sizeof *have)) || !(order = bo__calloc(nrow + 1, sizeof *order)))
		goto nomem;
	for (i = 0; i < nrow * nsc; i++)
		v[i] = NAN;
	for (k = 0; k < nsc; k++)
		for (i = 0; i < cs[k].n; i++) {
			const bo_config *c = &cs[k].v[i];
			double units = c->nrep >= 2 ? (double)c->nrep : 1.0;
			if (!c->params_json)
				continue;
			for (j = 0; j < nrow; j++)
				if (!strcmp(rows[j].params_json, c->params_json))
					break;
			if (c->id < rows[j].id)
				rows[j].id = c->id;
			if (isfinite(c->cost)) {
				rows[j].cost += c->cost * units;
				rows[j].costn += units;
			}
			if (!c->usable || c->feasible != 1) {
				rows[j].feasible = 0;
				continue;
			}
			v[j * nsc + k] = c->score;
		}
	for (j = 0; j < nrow; j++)      /* a candidate is feasible under every scenario */
		for (k = 0; k < nsc && !rows[j].feasible; k++)
			v[j * nsc + k] = NAN;
	if (bo__robust_aggregate(&spec, v, nrow, nsc, w, s->score_goal, agg) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	/* the qualifying configurations, best first (insertion sort: few) */
	{
		size_t nq = 0;
		for (j = 0; j < nrow; j++) {
			size_t at;
			if (!rows[j].feasible || isnan(agg[j]))
				continue;
			rows[j].cost = rows[j].costn > 0 ? rows[j].cost / rows[j].costn : NAN;
			for (at = nq; at > 0; at--) {
				size_t o = order[at - 1];
				double a = goal * agg[j], b = goal * agg[o];
				if (a < b || (a == b && (rows[j].cost > rows[o].cost ||
							 (rows[j].cost == rows[o].cost && rows[j].id > rows[o].id))))
					break;
				order[at] = o;
			}
			order[at] = j;
			nq++;
		}
		if (json) {
			printf("{\"robust\": \"%s\", \"scenarios\": [", label);
			for (k = 0; k < nsc; k++) {
				printf("%s{\"name\": ", k ? ", " : "");
				cli_json_string(stdout, bo__scenario_name(s, k));
				printf(", \"weight\": ");
				cli_json_num(stdout, w[k]);
				printf("}");
			}
			printf("], \"ranked\": [");
			for (i = 0; i < nq && i < (size_t)runners + 1; i++) {
				j = order[i];
				printf("%s{\"trial\": %lld, \"params\": %s, \"value\": ", i ? ", " : "",
				       (long long)rows[j].id, rows[j].params_json);
				cli_json_num(stdout, agg[j]);
				printf(", \"per_scenario\": {");
				for (k = 0; k < nsc; k++) {
					printf("%s", k ? ", " : "");
					cli_json_string(stdout, bo__scenario_name(s, k));
					printf(": ");
					cli_json_num(stdout, v[j * nsc + k]);
				}
				printf("}}");
			}
			printf("], \"qualifying\": %zu, \"configurations\": %zu}\n", nq, nrow);
			ret = nq ? EXIT_OK : EXIT_RUN_FAILED;
			goto done;
		}
		if (!nq) {
			printf("no configuration is complete and feasible under every scenario (%zu seen)\n",
			       nrow);
			ret = EXIT_RUN_FAILED;
			goto done;
		}
		j = order[0];
		printf("selected: %s (trial %lld; robust %s of the score over %zu scenario%s: %.6g)\n",
		       rows[j].params_json, (long long)rows[j].id, label, nsc, nsc == 1 ? "" : "s", agg[j]);
		printf("%-28s %8s", "configuration", label);
		for (k = 0; k < nsc; k++)
			printf(" %12.12s", bo__scenario_name(s, k));
		printf("\n");
		for (i = 0; i < nq && i < (size_t)runners + 1; i++) {
			char name[29];
			j = order[i];
			snprintf(name, sizeof name, "%s trial %lld", i ? "  " : "->", (long long)rows[j].id);
			printf("%-28s %8.4g", name, agg[j]);
			for (k = 0; k < nsc; k++)
				printf(" %12.4g", v[j * nsc + k]);
			printf("\n");
		}
		printf("weights ");
		for (k = 0; k < nsc; k++)
			printf("%s%s %.3g", k ? ", " : "", bo__scenario_name(s, k), w[k]);
		printf("; %zu of %zu configurations are complete and feasible under every scenario\n", nq,
		       nrow);
	}
	ret = EXIT_OK;
	goto done;
nomem:
	cli_error("out of memory");
done:
	for (k = 0; cs && k < nsc; k++)
		bo__configs_clear(&cs[k]);
	for (k = 0; views && k < nsc; k++)
		bo__scenario_view_free(views[k]);
	bo__free(cs);
	bo__free(views);
	bo__free(sub);
	bo__free(rows);
	bo__free(v);
	bo__free(agg);
	bo__free(have);
	bo__free(order);
	bo__free(w);
	return ret;
}
