/*
 * report/report.c - the report as one self-contained HTML page or as
 * Markdown: the selected configuration with its guardrail margins, the
 * charts, the top configurations and the assumptions another team needs to
 * reproduce and challenge the result.
 *
 * Pure: builds text, no I/O, no clock (the date comes in). Must never put
 * a reference to anything outside the page into it (no scripts, fonts,
 * style sheets or images fetched): the page is read offline, from disk.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/robust_note.h"
#include "report/svg.h"

const char *const bo__report_chart_names[BO_REPORT_NCHARTS] = {"frontier", "burndown", "best", "marginal",
								"importance", "curves"};

static const char *const chart_titles[BO_REPORT_NCHARTS] = {
	"Cost/performance frontier", "Budget burn-down", "Best so far against money spent",
	"Marginal value of money", "Parameter importance", "Learning curves"};

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:980px;"
	"padding:16px 24px;color:#1a1a1a;line-height:1.45}"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}"
	".meta{color:#555}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}"
	".ok{color:#006d4f}.bad{color:#b34700;font-weight:bold}"
	"figure{margin:1em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}"
	"figcaption{color:#555;font-size:.9em}code{background:#f5f5f5;padding:0 3px}"
	".note{background:#fff8e1;border-left:4px solid #E69F00;padding:6px 10px}";

/* Is the axis money? (the same rule as the charts: the search cost, or a
 * derived metric that reads a price) */
static int money_axis(const bo_configs *c, const bo_axis *a)
{
	if (a->kind == BO_AXIS_COST)
		return 1;
	return a->kind == BO_AXIS_DERIVED && (size_t)a->index < c->s->nderived && c->s->derived[a->index].text &&
	       strstr(c->s->derived[a->index].text, "price.") != NULL;
}

static void value(const bo_report_input *in, const bo_axis *a, size_t i, char *buf, size_t size)
{
	double v = bo__axis_value(in->chart.c, i, a);
	if (money_axis(in->chart.c, a))
		bo__svg_fmt_money(v, in->chart.currency, buf, size);
	else
		bo__report_num(v, buf, size);
}

static void selected_section(out *o, const bo_report_input *in)
{
	const bo_configs *c = in->chart.c;
	const bo_study *s = c->s;
	size_t i = in->chart.selected >= 0 ? bo__configs_find(c, in->chart.selected) : (size_t)-1, k;
	char buf[128], buf2[128];
	static const char *const head[] = {"of the selected configuration", "value"};
	static const char *const ghead[] = {"guardrail", "margin", "holds"};
	char note[2048];
	bo__report_heading(o, 2, "selected", "Selected configuration");
	if (*bo__report_scenario_note(s, note, sizeof note)) {
		bo__report_para_begin(o, "note");
		bo__report_put(o, note);
		bo__report_para_end(o);
	}
	if (in->confirm_note) {
		bo__report_para_begin(o, "note");
		bo__report_put(o, in->confirm_note);
		bo__report_para_end(o);
	}
	if (i == (size_t)-1) {
		bo__report_para_begin(o, "note");
		if (!s->score)
			bo__report_put(o, "Nothing is selected by default: the study has no score (budgetopt select needs "
			       "--max-cost, --min-perf or --lexicographic). The frontier below shows the trade-off.");
		else
			bo__report_put(o, "No configuration qualifies: none is complete and within every guardrail.");
		bo__report_para_end(o);
		return;
	}
	bo__report_para_begin(o, NULL);
	if (c->v[i].label)
		bo__report_putf(o, "Configuration %lld (%s), chosen by %s among %zu feasible configurations (what ",
		     (long long)c->v[i].id, c->v[i].label, in->rule ? in->rule : "the best score", in->norder);
	else
		bo__report_putf(o, "Configuration %lld, chosen by %s among %zu feasible configurations (what ",
		     (long long)c->v[i].id, in->rule ? in->rule : "the best score", in->norder);
	bo__report_code(o, "budgetopt select");
	bo__report_put(o, " recommends by default):");
	bo__report_para_end(o);
	bo__report_table_begin(o, head, 2);
	bo__report_kv(o, "parameters", c->v[i].params_json);
	for (k = 0; k < s->nmetrics; k++) {
		bo__report_num(c->v[i].m[k], buf, sizeof buf);
		bo__report_kv(o, s->metrics[k].name, buf);
	}
	for (k = 0; k < s->nderived; k++) {
		bo_axis a;
		memset(&a, 0, sizeof a);
		a.kind = BO_AXIS_DERIVED;
		a.index = (int)k;
		value(in, &a, i, buf, sizeof buf);
		bo__report_kv(o, s->derived[k].name, buf);
	}
	if (s->score_text) {
		bo__report_num(c->v[i].score, buf, sizeof buf);
		snprintf(buf2, sizeof buf2, "score (%s)", s->score_text);
		bo__report_kv(o, buf2, buf);
	}
	if (c->v[i].nrep >= 2) {
		snprintf(buf, sizeof buf, "%zu (score %.6g \u00b1 %.2g, mean \u00b1 standard error)", c->v[i].nrep,
			 c->v[i].score, c->v[i].score_se);
		bo__report_kv(o, "repeats", buf);
	}
	if (!c->catalog) {
		bo__svg_fmt_money(c->v[i].cost, in->chart.currency, buf, sizeof buf);
		bo__report_kv(o, c->v[i].nrep >= 2 ? "mean search cost of one repeat" : "search cost of this trial", buf);
	}
	bo__report_table_end(o);
	if (c->nguardrails) {
		bo__report_para_begin(o, NULL);
		bo__report_put(o, "Guardrail margins (how far each value is from its bound; positive when it holds):");
		bo__report_para_end(o);
		bo__report_table_begin(o, ghead, 3);
		for (k = 0; k < c->nguardrails; k++) {
			bo__report_row_begin(o);
			bo__report_cell(o, NULL, c->guardrails[k].text);
			bo__report_num(c->v[i].margins[k], buf, sizeof buf);
			bo__report_cell(o, "num", buf);
			bo__report_cell(o, c->v[i].margins[k] >= 0 ? "ok" : "bad", c->v[i].margins[k] >= 0 ? "yes" : "no");
			bo__report_row_end(o);
		}
		bo__report_table_end(o);
	} else {
		bo__report_para_begin(o, NULL);
		bo__report_put(o, "The study has no guardrails.");
		bo__report_para_end(o);
	}
	if (in->chart.mc)
		bo__report_uncertain_section(o, in, i);
}

static void charts_section(out *o, const bo_report_input *in, char *svg[BO_REPORT_NCHARTS])
{
	const bo_frontier *fr = in->chart.fr;
	size_t k, j;
	int first;
	char buf[128];
	bo__report_heading(o, 2, "charts", "Charts");
	for (k = 0; k < BO_REPORT_CH_CURVES; k++) {
		bo__report_heading(o, 3, bo__report_chart_names[k], chart_titles[k]);
		if (!svg[k]) {
			bo__report_para_begin(o, "note");
			bo__report_putf(o, "Not drawn for a catalog: its configurations were measured elsewhere, so there is no "
				"search spend over time.");
			bo__report_para_end(o);
			continue;
		}
		if (o->md) {
			bo__sb_printf(&o->sb, "![%s](%s-%s.svg)\n\n", chart_titles[k],
				      in->chart_prefix ? in->chart_prefix : "report", bo__report_chart_names[k]);
		} else {
			bo__report_raw(o, "<figure>\n");
			bo__report_raw(o, svg[k]);
			bo__report_raw(o, "<figcaption>");
		}
		if (o->md)
			bo__report_raw(o, "*");
		switch (k) {
		case 0:
			if (fr && fr->d >= 2) {
				bo__report_putf(o, "Every finished configuration; %s against %s. ", fr->ax[fr->pa].name,
				     fr->ax[fr->ca].name);
				bo__report_putf(o, "%zu on the frontier (of %zu feasible); hypervolume %.6g. ", fr->nfront, fr->n, fr->hv);
				if (fr->knee >= 0)
					bo__report_putf(o, "The knee (%lld) is the frontier point farthest above the line between its ends, "
						"both axes scaled to [0, 1]. ", (long long)fr->knee);
			}
			if (!o->md)   /* an SVG shown as a Markdown image shows no tooltips */
				bo__report_put(o, "Hover a point for its parameters and metrics.");
			else
				bo__report_put(o, "The table of top configurations below gives their parameters and metrics.");
			break;
		case 1:
			bo__report_put(o, "Money spent as trials finish (a step per charge), the money budget, money reserved by "
			       "running trials, and where the budget runs out at the spend rate of the last quarter of "
			       "the trials.");
			break;
		case 2:
			bo__report_put(o, "The best feasible score found so far against the money the search has spent.");
			break;
		case 3:
			if (fr && fr->d >= 2)
				bo__report_putf(o, "Along the cost-ordered frontier: %s gained per unit of %s over the next cheaper "
					"frontier point. Where it falls, extra money buys little.",
				     fr->ax[fr->pa].name, fr->ax[fr->ca].name);
			break;
		default: {
			bo_axis t;
			bo__chart_importance_target(&in->chart, &t);
			snprintf(buf, sizeof buf, "%s", t.kind == BO_AXIS_SCORE ? "the score" : t.name);
			bo__report_putf(o, "Method: %s, of %s, over the complete configurations.", BO_REPORT_IMPORTANCE_METHOD, buf);
			for (j = 0, first = 1; in->importance && j < in->chart.c->s->nparams; j++) {
				if (!(in->importance[j] < 0))
					continue;
				bo__report_put(o, first ? " Not estimable (about one observation per value, so its effect cannot be "
					       "told from noise; left out of the shares): "
					     : ", ");
				bo__report_put(o, in->chart.c->s->params[j].name);
				first = 0;
			}
			if (!first)
				bo__report_put(o, ".");
		}
		}
		if (o->md)
			bo__report_raw(o, "*\n\n");
		else
			bo__report_raw(o, "</figcaption>\n</figure>\n");
	}
}

static void top_section(out *o, const bo_report_input *in)
{
	const bo_configs *c = in->chart.c;
	const bo_frontier *fr = in->chart.fr;
	const char *head[64];
	char names[64][160], buf[128];
	size_t nh = 0, r, k, g, ng = c->nguardrails;
	if (ng > 40)
		ng = 40;
	bo__report_heading(o, 2, "top", "Top configurations");
	if (in->norder == 0) {
		bo__report_para_begin(o, NULL);
		bo__report_put(o, "No configuration is complete and within every guardrail.");
		bo__report_para_end(o);
		return;
	}
	bo__report_para_begin(o, NULL);
	bo__report_putf(o, "The %zu best of %zu feasible configurations, %s, with their guardrail margins (positive: the "
		"guardrail holds by that much).",
	     in->norder < in->top ? in->norder : in->top, in->norder,
	     c->s->score ? "by score" : "in the order of the frontier's performance axis");
	bo__report_para_end(o);
	head[nh++] = "rank";
	head[nh++] = "id";
	if (c->s->score)
		head[nh++] = "score";
	for (k = 0; fr && k < fr->d && k < 4; k++)
		head[nh++] = fr->ax[k].name;
	if (!c->catalog)
		head[nh++] = "search cost";
	for (g = 0; g < ng; g++) {
		snprintf(names[g], sizeof names[g], "margin: %s", c->guardrails[g].text);
		head[nh++] = names[g];
	}
	head[nh++] = "parameters";
	bo__report_table_begin(o, head, nh);
	for (r = 0; r < in->norder && r < in->top; r++) {
		size_t i = in->order[r];
		bo__report_row_begin(o);
		snprintf(buf, sizeof buf, "%zu", r + 1);
		bo__report_cell(o, "num", buf);
		snprintf(buf, sizeof buf, "%lld%s%s%s", (long long)c->v[i].id, c->v[i].label ? " " : "",
			 c->v[i].label ? c->v[i].label : "", c->v[i].id == in->chart.selected ? " (selected)" : "");
		bo__report_cell(o, "num", buf);
		if (c->s->score) {
			bo__report_num(c->v[i].score, buf, sizeof buf);
			bo__report_cell(o, "num", buf);
		}
		for (k = 0; fr && k < fr->d && k < 4; k++) {
			value(in, &fr->ax[k], i, buf, sizeof buf);
			bo__report_cell(o, "num", buf);
		}
		if (!c->catalog) {
			bo__svg_fmt_money(c->v[i].cost, in->chart.currency, buf, sizeof buf);
			bo__report_cell(o, "num", buf);
		}
		for (g = 0; g < ng; g++) {
			bo__report_num(c->v[i].margins[g], buf, sizeof buf);
			bo__report_cell(o, "num", buf);
		}
		bo__report_cell(o, NULL, c->v[i].params_json);
		bo__report_row_end(o);
	}
	bo__report_table_end(o);
}

/* ---- multi-fidelity and pruning (the tables: report_mf.c) --------------- */

static void mf_section(out *o, const bo_report_input *in, const char *curves)
{
	const bo_rungs *r = in->rungs;
	int goal;
	const char *metric = bo__rungs_curve_metric(in->chart.c->s, &goal);
	bo__report_heading(o, 2, "multifidelity", "Multi-fidelity and pruning");
	if (r->has_fidelity)
		bo__report_rungs_part(o, in);
	if (r->has_pruner)
		bo__report_pruning_part(o, in);
	bo__report_heading(o, 3, bo__report_chart_names[BO_REPORT_CH_CURVES], chart_titles[BO_REPORT_CH_CURVES]);
	if (o->md) {
		bo__sb_printf(&o->sb, "![%s](%s-%s.svg)\n\n*", chart_titles[BO_REPORT_CH_CURVES],
			      in->chart_prefix ? in->chart_prefix : "report", bo__report_chart_names[BO_REPORT_CH_CURVES]);
	} else {
		bo__report_raw(o, "<figure>\n");
		bo__report_raw(o, curves);
		bo__report_raw(o, "<figcaption>");
	}
	bo__report_putf(o, "Each trial's intermediate reports of %s against the step (the evaluator's step lines).",
	     metric ? metric : "its metric");
	if (r->has_pruner)
		bo__report_put(o, " Pruned trials are dashed orange, with a square at the step where the pruner stopped them.");
	if (r->has_fidelity)
		bo__report_put(o, " A promoted trial that resumes from its checkpoint continues the curve of its configuration.");
	if (o->md)
		bo__report_raw(o, "*\n\n");
	else
		bo__report_raw(o, "</figcaption>\n</figure>\n");
}

static void assumptions_section(out *o, const bo_report_input *in)
{
	const bo_configs *c = in->chart.c;
	const bo_study *s = c->s;
	const bo_budget *b = &s->budget;
	static const char *const head[] = {"assumption", "value"};
	bo_strbuf t = BO_STRBUF_INIT;
	char buf[256];
	size_t k;
	bo__report_heading(o, 2, "assumptions", "Assumptions");
	bo__report_para_begin(o, NULL);
	bo__report_put(o, "What this report rests on, so that another team can reproduce and challenge it.");
	bo__report_para_end(o);
	bo__report_table_begin(o, head, 2);
	bo__report_kv(o, "study", s->name);
	bo__report_kv(o, "data", in->source);
	bo__report_kv(o, "price-book version", s->prices.version);
	bo__report_kv(o, "currency", s->prices.currency);
	for (k = 0; k < s->prices.n; k++) {
		const bo_price *p = &s->prices.items[k];
		bo__sb_reset(&t);
		if (p->is_table) {
			size_t j;
			for (j = 0; j < p->nkeys; j++)
				bo__sb_printf(&t, "%s%s: %.6g", j ? ", " : "", p->keys[j], p->values[j]);
		} else {
			bo__sb_printf(&t, "%.6g", p->value);
		}
		snprintf(buf, sizeof buf, "price %s", p->name);
		bo__report_kv(o, buf, bo__sb_str(&t) ? bo__sb_str(&t) : "");
	}
	bo__sb_reset(&t);
	for (k = 0; k < c->nguardrails; k++)
		bo__sb_printf(&t, "%s%s%s", k ? "; " : "", c->guardrails[k].text,
			      k >= s->nguardrails ? " (given on the command line)" : "");
	bo__report_kv(o, "guardrails", c->nguardrails ? bo__sb_str(&t) : "none");
	bo__sb_reset(&t);
	if (isfinite(b->money)) {
		bo__svg_fmt_money(b->money, s->prices.currency, buf, sizeof buf);
		bo__sb_printf(&t, "money %s", buf);
	}
	if (b->trials > 0)
		bo__sb_printf(&t, "%strials %lld", t.len ? "; " : "", (long long)b->trials);
	if (isfinite(b->time_s))
		bo__sb_printf(&t, "%stime %gs", t.len ? "; " : "", b->time_s);
	if (isfinite(b->trial_money)) {
		bo__svg_fmt_money(b->trial_money, s->prices.currency, buf, sizeof buf);
		bo__sb_printf(&t, "%sper trial %s", t.len ? "; " : "", buf);
	} else if (isfinite(b->money)) {
		bo__sb_printf(&t, "; per trial %s", b->trial_money_none
			      ? "no money cap (opted out: spend may pass the budget)"
			      : "a money cap derived at launch (its share of what is left)");
	}
	if (isfinite(b->trial_time_s))
		bo__sb_printf(&t, "%sper trial time %gs", t.len ? "; " : "", b->trial_time_s);
	bo__report_kv(o, "budgets", t.len ? bo__sb_str(&t) : "none");
	if (s->nscenarios) {
		bo__sb_reset(&t);
		for (k = 0; k < s->nscenarios; k++)
			bo__sb_printf(&t, "%s%s (weight %.3g, %zu value%s changed)", k ? "; " : "",
				      s->scenarios[k].name, bo__scenario_weight(s, k), s->scenarios[k].nvalues,
				      s->scenarios[k].nvalues == 1 ? "" : "s");
		bo__report_kv(o, "scenarios", bo__sb_str(&t) ? bo__sb_str(&t) : "");
	} else {
		bo__report_kv(o, "scenarios", "none (a single evaluation condition)");
	}
	if (s->repeats > 1) {
		snprintf(buf, sizeof buf, "%lld per configuration and scenario", (long long)s->repeats);
		bo__report_kv(o, "repeats", buf);
	}
	if (in->chart.fr) {
		const bo_frontier *fr = in->chart.fr;
		bo__sb_reset(&t);
		for (k = 0; k < fr->d; k++)
			bo__sb_printf(&t, "%s%s (%s)", k ? ", " : "", fr->ax[k].name,
				      fr->ax[k].goal > 0 ? "maximize" : "minimize");
		bo__report_kv(o, "frontier axes", bo__sb_str(&t) ? bo__sb_str(&t) : "");
	}
	bo__report_kv(o, "score", s->score_text ? s->score_text : "none");
	bo__report_kv(o, "sampler", s->sampler);
	if (s->has_seed)
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
	else
		snprintf(buf, sizeof buf, "none (each run draws its own)");
	bo__report_kv(o, "seed", buf);
	bo__report_kv(o, "study definition hash (SHA-256 of the file as read now)", s->hash);
	if (in->ledger_hash) {
		snprintf(buf, sizeof buf, "%s%s", in->ledger_hash,
			 strcmp(in->ledger_hash, s->hash) ? " (the file changed since; configurations are judged under the file as it is now)" : "");
		bo__report_kv(o, "study definition hash in the ledger (newest version)", buf);
	}
	bo__report_kv(o, "parameter importance", BO_REPORT_IMPORTANCE_METHOD);
	snprintf(buf, sizeof buf, "budgetopt %s", in->version ? in->version : "");
	bo__report_kv(o, "made by", buf);
	bo__report_kv(o, "date", in->date);
	bo__report_table_end(o);
	if (t.failed)
		o->sb.failed = 1;
	bo__sb_clear(&t);
}

int bo__report_build(const bo_report_input *in, int fmt, char **result, char *svg[BO_REPORT_NCHARTS])
{
	out o;
	size_t k;
	int rc = BO_ENOMEM;
	char title[300];

	*result = NULL;
	memset(svg, 0, BO_REPORT_NCHARTS * sizeof *svg);
	memset(&o, 0, sizeof o);
	o.md = fmt == BO_REPORT_MD;
	if (!(svg[0] = bo__chart_frontier(&in->chart)))
		goto done;
	if (in->chart.trials) {
		if (!(svg[1] = bo__chart_burndown(&in->chart)) || !(svg[2] = bo__chart_best(&in->chart)))
			goto done;
	}
	if (!(svg[3] = bo__chart_marginal(&in->chart)) || !(svg[4] = bo__chart_importance(&in->chart, in->importance)))
		goto done;
	if (in->rungs && (in->rungs->has_fidelity || in->rungs->has_pruner)) {
		bo_curves_data cd;
		memset(&cd, 0, sizeof cd);
		cd.steps = in->steps;
		cd.nsteps = in->nsteps;
		cd.trials = in->chart.trials;
		cd.ntrials = in->chart.ntrials;
		cd.metric = bo__rungs_curve_metric(in->chart.c->s, &cd.goal);
		if (!(svg[BO_REPORT_CH_CURVES] = bo__chart_curves(&cd)))
			goto done;
	}

	snprintf(title, sizeof title, "budgetopt report: %s", in->chart.c->s->name);
	if (o.md) {
		bo__report_raw(&o, "# ");
		bo__report_put(&o, title);
		bo__report_raw(&o, "\n\n");
	} else {
		bo__report_raw(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
		bo__report_put(&o, title);
		bo__report_raw(&o, "</title>\n<style>");
		bo__report_raw(&o, css);
		bo__report_raw(&o, "</style>\n</head>\n<body>\n<h1>");
		bo__report_put(&o, title);
		bo__report_raw(&o, "</h1>\n");
	}
	bo__report_para_begin(&o, "meta");
	bo__report_putf(&o, "%zu configurations from %s; generated %s by budgetopt %s.", in->chart.c->n,
	     in->source ? in->source : "?", in->date ? in->date : "", in->version ? in->version : "");
	bo__report_para_end(&o);
	selected_section(&o, in);
	charts_section(&o, in, svg);
	top_section(&o, in);
	bo__report_scenarios_section(&o, in);
	if (svg[BO_REPORT_CH_CURVES])
		mf_section(&o, in, svg[BO_REPORT_CH_CURVES]);
	assumptions_section(&o, in);
	if (!o.md)
		bo__report_raw(&o, "</body>\n</html>\n");
	if (!(*result = bo__sb_take(&o.sb)))
		goto done;
	rc = 0;
done:
	if (rc < 0) {
		bo__sb_clear(&o.sb);
		for (k = 0; k < BO_REPORT_NCHARTS; k++) {
			bo__free(svg[k]);
			svg[k] = NULL;
		}
		bo__error(BO_ENOMEM, "out of memory building the report");
	}
	return rc;
}
