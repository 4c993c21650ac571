/*
 * report/report_scenarios.c - the report's "Scenarios" section: each
 * configuration's score under each scenario, with the weighted mean and
 * the worst across them; under scenario_policy: promote, what ran under
 * the base only and each promotion.
 *
 * Pure: builds text, no I/O.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analysis/robust.h"
#include "analysis/scenarios.h"
#include "core/alloc.h"

/* The selected configuration and the runners-up (in->order's first
 * three) under each scenario: the score, each metric and derived metric,
 * and whether every guardrail holds there, from in->scen (its rows are
 * chart.c's entries). */
static void selected_by_scenario(out *o, const bo_report_input *in)
{
	const bo_scen_table *t = in->scen;
	const bo_configs *c = in->chart.c;
	const bo_study *s = c->s;
	const char *head[72];
	size_t nshow = in->norder < 3 ? in->norder : 3, p, k, q, r = 0;
	char buf[128];
	if (!t || !nshow || s->nmetrics + s->nderived > 64 || t->nrow != c->n)
		return;
	bo__report_para_begin(o, NULL);
	bo__report_put(o, "The selected configuration and the runners-up under each scenario (means of its "
		"repeats there): select ranks them by the weighted mean across scenarios, and a guardrail must "
		"hold under every scenario.");
	bo__report_para_end(o);
	head[r++] = "rank";
	head[r++] = "parameters";
	head[r++] = "scenario";
	head[r++] = "score";
	for (q = 0; q < s->nmetrics; q++)
		head[r++] = s->metrics[q].name;
	for (q = 0; q < s->nderived; q++)
		head[r++] = s->derived[q].name;
	head[r++] = "guardrails";
	bo__report_table_begin(o, head, r);
	for (p = 0; p < nshow; p++) {
		size_t j = in->order[p];
		for (k = 0; k < t->nsc; k++) {
			const bo_config *v = bo__scen_cell(t, j, k);
			const char *verdict = "no result";
			bo__report_row_begin(o);
			bo__report_cell(o, NULL, p ? (p == 1 ? "runner-up 1" : "runner-up 2") : "selected");
			bo__report_cell(o, NULL, c->v[j].params_json ? c->v[j].params_json : "");
			bo__report_cell(o, NULL, bo__scenario_name(s, k));
			bo__report_num(v ? v->score : NAN, buf, sizeof buf);
			bo__report_cell(o, "num", buf);
			for (q = 0; q < s->nmetrics + s->nderived; q++) {
				bo__report_num(!v ? NAN : q < s->nmetrics ? v->m[q] : v->dv[q - s->nmetrics], buf,
					       sizeof buf);
				bo__report_cell(o, "num", buf);
			}
			if (v)
				verdict = v->feasible ? "hold" : "broken";
			bo__report_cell(o, NULL, verdict);
			bo__report_row_end(o);
		}
	}
	bo__report_table_end(o);
}

/* scenario_policy: promote: how many configurations ran under the base
 * scenario only (left out of every fold: their weighted mean and worst
 * stay empty), and each promotion as its "scenario_promote" event says.
 * seen: n bitmasks of the scenarios each configuration ran under. */
static void promote_note(out *o, const bo_report_input *in, const uint32_t *seen, size_t n)
{
	const bo_study *s = in->chart.c->s;
	const char *head[3] = {"trial", "base value", "promotion"};
	size_t i, only = 0, all = 0, np = 0, nsc = bo__scenario_count(s);
	char buf[64];
	for (i = 0; i < n; i++) {
		only += seen[i] == (uint32_t)1 << s->promote.base;
		all += seen[i] == (nsc >= 32 ? 0xffffffffu : ((uint32_t)1 << nsc) - 1);
	}
	for (i = 0; i < in->nevents; i++)
		np += in->events[i].kind && !strcmp(in->events[i].kind, "scenario_promote");
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "scenario_policy promote: new configurations ran under the base scenario \"%s\"; the "
			"best %lld of every %lld, and of the rest once exploration ended, were re-evaluated under "
			"the other scenarios. %zu configuration%s ran under the base only (left out of select and "
			"frontier, which judge a configuration across every scenario), %zu under every scenario; "
			"%zu promotion%s:", bo__scenario_name(s, s->promote.base), (long long)s->promote.top,
			(long long)s->promote.every, only, only == 1 ? "" : "s", all, np, np == 1 ? "" : "s");
	bo__report_para_end(o);
	if (!np)
		return;
	bo__report_table_begin(o, head, 3);
	for (i = 0; i < in->nevents; i++) {
		const bo_event *e = &in->events[i];
		if (!e->kind || strcmp(e->kind, "scenario_promote"))
			continue;
		bo__report_row_begin(o);
		snprintf(buf, sizeof buf, "%lld", (long long)e->trial_id);
		bo__report_cell(o, "num", buf);
		bo__report_num(e->amount, buf, sizeof buf);
		bo__report_cell(o, "num", buf);
		bo__report_cell(o, NULL, e->detail ? e->detail : "");
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
}

/* Scenarios (issue 10 item 4): each configuration's mean stored score
 * under each scenario (complete trials within every guardrail, repeats
 * averaged), with the weighted mean and the worst across scenarios
 * (analysis/robust.h); best weighted mean first. */
void bo__report_scenarios_section(out *o, const bo_report_input *in)
{
	const bo_study *s = in->chart.c->s;
	const bo_trial_rec *t = in->chart.trials;
	size_t nt = in->chart.ntrials, nsc = bo__scenario_count(s), n = 0, i, j, k, r;
	const char **keys = NULL, *head[40];
	double *sum = NULL, *cnt = NULL, *v = NULL, *mean = NULL, *worst = NULL, *w = NULL;
	size_t *ord = NULL;
	uint32_t *seen = NULL;
	int promote = s->scenario_policy == BO_SCEN_POLICY_PROMOTE;
	bo_robust rm = {BO_ROBUST_MEAN, 1.0}, rw = {BO_ROBUST_WORST, 1.0};
	char buf[128];
	if (!s->nscenarios || !t || (!s->score && !promote) || nsc > 32)
		return;
	bo__report_heading(o, 2, "scenarios", "Scenarios");
	if (!(keys = bo__calloc(nt + 1, sizeof *keys)) || !(sum = bo__calloc((nt + 1) * nsc, sizeof *sum)) ||
	    !(cnt = bo__calloc((nt + 1) * nsc, sizeof *cnt)) || !(v = bo__calloc((nt + 1) * nsc, sizeof *v)) ||
	    !(mean = bo__calloc(nt + 1, sizeof *mean)) || !(worst = bo__calloc(nt + 1, sizeof *worst)) ||
	    !(w = bo__calloc(nsc, sizeof *w)) || !(ord = bo__calloc(nt + 1, sizeof *ord)) ||
	    !(seen = bo__calloc(nt + 1, sizeof *seen))) {
		o->sb.failed = 1;
		goto done;
	}
	for (i = 0; i < nt; i++) {
		int sk = bo__scenario_find(s, t[i].scenario ? t[i].scenario : "default");
		if (!t[i].params_json || sk < 0)
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(keys[j], t[i].params_json))
				break;
		if (j == n)
			keys[n++] = t[i].params_json;
		seen[j] |= (uint32_t)1 << sk;
		if (t[i].state == BO_TRIAL_COMPLETE && t[i].feasible == 1 && isfinite(t[i].score)) {
			sum[j * nsc + (size_t)sk] += t[i].score;
			cnt[j * nsc + (size_t)sk] += 1;
		}
	}
	if (promote)
		promote_note(o, in, seen, n);
	if (!s->score)
		goto done;
	for (k = 0; k < nsc; k++)
		w[k] = bo__scenario_weight(s, k);
	for (i = 0; i < n * nsc; i++)
		v[i] = cnt[i] > 0 ? sum[i] / cnt[i] : NAN;
	if (n == 0 || bo__robust_aggregate(&rm, v, n, nsc, w, s->score_goal, mean) < 0 ||
	    bo__robust_aggregate(&rw, v, n, nsc, w, s->score_goal, worst) < 0) {
		bo__report_para_begin(o, NULL);
		bo__report_put(o, "No configuration has run yet.");
		bo__report_para_end(o);
		goto done;
	}
	for (i = 0; i < n; i++) {      /* insertion sort: best weighted mean first, NaN last */
		for (r = i; r > 0; r--) {
			double a = mean[i], b = mean[ord[r - 1]];
			if (!isnan(b) && (isnan(a) || s->score_goal * a <= s->score_goal * b))
				break;
			ord[r] = ord[r - 1];
		}
		ord[r] = i;
	}
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "The score of each configuration under each scenario (the mean of its repeats; complete "
		"trials within every guardrail), with the weighted mean and the worst across scenarios "
		"(docs/frontier-and-select.md); budgetopt select --robust (worst, mean, cvar:A, regret) selects by "
		"them. Weights:");
	for (k = 0; k < nsc; k++)
		bo__report_putf(o, "%s %s %.3g", k ? "," : "", bo__scenario_name(s, k), w[k]);
	bo__report_put(o, ".");
	bo__report_para_end(o);
	r = 0;
	head[r++] = "parameters";
	head[r++] = "weighted mean";
	head[r++] = "worst";
	for (k = 0; k < nsc; k++)
		head[r++] = bo__scenario_name(s, k);
	bo__report_table_begin(o, head, r);
	for (i = 0; i < n && i < (in->top ? in->top : 10); i++) {
		j = ord[i];
		bo__report_row_begin(o);
		bo__report_cell(o, NULL, keys[j]);
		bo__report_num(mean[j], buf, sizeof buf);
		bo__report_cell(o, "num", buf);
		bo__report_num(worst[j], buf, sizeof buf);
		bo__report_cell(o, "num", buf);
		for (k = 0; k < nsc; k++) {
			bo__report_num(v[j * nsc + k], buf, sizeof buf);
			bo__report_cell(o, "num", buf);
		}
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
	selected_by_scenario(o, in);
done:
	bo__free(keys);
	bo__free(sum);
	bo__free(cnt);
	bo__free(v);
	bo__free(mean);
	bo__free(worst);
	bo__free(w);
	bo__free(ord);
	bo__free(seen);
}
