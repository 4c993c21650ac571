/*
 * cli/select_robust.c - `budgetopt select --robust AGG`: the configuration
 * whose score holds up best across the study's scenarios (issue 10 item 4).
 *
 * The ledger's trials are split by scenario; each scenario's are judged
 * under the study's view of that scenario (its inputs and prices) and their
 * repeats folded into means (analysis/scenarios.h); the per-scenario scores
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
#include "analysis/scenarios.h"
#include "cli.h"
#include "core/alloc.h"
#include "core/model.h"
#include "decide.h"

#include "select_robust.h"

static const char *const AGG_NAMES[] = {"mean", "worst", "cvar", "spread", "regret"};

void cli_robust_label(const bo_robust *spec, char *buf, size_t size)
{
	if (spec->kind == BO_ROBUST_CVAR)
		snprintf(buf, size, "cvar(%g)", spec->alpha);
	else
		snprintf(buf, size, "%s", AGG_NAMES[spec->kind]);
}

int cli_select_robust(cli_decide *d, const char *spec_text, int runners)
{
	const bo_study *s = d->s;
	size_t k, i, j, nsc, nrow, *order = NULL;
	bo_scen_table t;
	double *v = NULL, *agg = NULL, *w;
	bo_robust spec;
	int ret = EXIT_RUN_FAILED, goal, json = d->format && !strcmp(d->format, "json");
	char label[48];

	memset(&t, 0, sizeof t);
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
	cli_robust_label(&spec, label, sizeof label);
	goal = bo__robust_goal(&spec, s->score_goal);
	/* the table cli_decide_load folded (its verdicts judge robust
	 * guardrails once per configuration), or one of the implicit scenario */
	if (d->scen_on) {
		t = d->scen;
	} else if (bo__scen_table_build(&t, s, d->trials, d->ntrials, d->guardrails, d->nguardrails, d->where) < 0) {
		cli_error("%s", bo_error_last());
		ret = EXIT_USAGE;
		goto done;
	}
	nsc = t.nsc;
	nrow = t.nrow;
	w = t.w;
	if (!(v = bo__calloc(nrow * nsc + 1, sizeof *v)) || !(agg = bo__calloc(nrow + 1, sizeof *agg)) ||
	    !(order = bo__calloc(nrow + 1, sizeof *order)))
		goto nomem;
	/* a candidate is complete and feasible under every scenario */
	for (j = 0; j < nrow; j++)
		for (k = 0; k < nsc; k++)
			v[j * nsc + k] = bo__scen_candidate(&t, j) ? bo__scen_cell(&t, j, k)->score : NAN;
	if (bo__robust_aggregate(&spec, v, nrow, nsc, w, s->score_goal, agg) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	/* the qualifying configurations, best first (insertion sort: few) */
	{
		size_t nq = 0;
		for (j = 0; j < nrow; j++) {
			size_t at;
			if (!bo__scen_candidate(&t, j) || isnan(agg[j]))
				continue;
			for (at = nq; at > 0; at--) {
				size_t o = order[at - 1];
				double a = goal * agg[j], b = goal * agg[o];
				if (a < b || (a == b && (t.cost[j] > t.cost[o] ||
							 (t.cost[j] == t.cost[o] && t.id[j] > t.id[o]))))
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
				       (long long)t.id[j], t.params_json[j]);
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
		       t.params_json[j], (long long)t.id[j], label, nsc, nsc == 1 ? "" : "s", agg[j]);
		printf("%-28s %8s", "configuration", label);
		for (k = 0; k < nsc; k++)
			printf(" %12.12s", bo__scenario_name(s, k));
		printf("\n");
		for (i = 0; i < nq && i < (size_t)runners + 1; i++) {
			char name[29];
			j = order[i];
			snprintf(name, sizeof name, "%s trial %lld", i ? "  " : "->", (long long)t.id[j]);
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
	if (!d->scen_on)
		bo__scen_table_clear(&t);
	bo__free(v);
	bo__free(agg);
	bo__free(order);
	return ret;
}
