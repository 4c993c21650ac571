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
#include "report/report.h"
#include "analysis/robust.h"
#include "analysis/uncertain.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
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

typedef struct out {
	bo_strbuf sb;
	int md;
} out;

/* Text in the output's own escaping. */
static void put(out *o, const char *s)
{
	const char *p;
	if (!s)
		return;
	if (!o->md) {
		bo__svg_esc(&o->sb, s);
		return;
	}
	for (p = s; *p; p++) {
		if (*p == '|' || *p == '*' || *p == '_' || *p == '<' || *p == '>' || *p == '`' || *p == '[' ||
		    *p == ']' || *p == '\\')
			bo__sb_putc(&o->sb, '\\');
		if (*p == '\n')
			bo__sb_putc(&o->sb, ' ');
		else
			bo__sb_putc(&o->sb, *p);
	}
}

static void putf(out *o, const char *fmt, ...) BO__PRINTF(2, 3);

static void putf(out *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(o, buf);
}

/* Raw markup of the output. */
static void raw(out *o, const char *s)
{
	bo__sb_puts(&o->sb, s);
}

static void heading(out *o, int level, const char *id, const char *text)
{
	if (o->md) {
		bo__sb_printf(&o->sb, "\n%.*s ", level, "######");
		put(o, text);
		raw(o, "\n\n");
	} else {
		bo__sb_printf(&o->sb, "<h%d id=\"%s\">", level, id);
		put(o, text);
		bo__sb_printf(&o->sb, "</h%d>\n", level);
	}
}

static void para_begin(out *o, const char *cls)
{
	if (!o->md)
		bo__sb_printf(&o->sb, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
}

static void para_end(out *o)
{
	raw(o, o->md ? "\n\n" : "</p>\n");
}

static void code(out *o, const char *s)
{
	if (o->md) {
		/* a backtick inside would end the span: use a double one */
		int tick = s && strchr(s, '`') != NULL;
		raw(o, tick ? "`` " : "`");
		bo__sb_puts(&o->sb, s ? s : "");
		raw(o, tick ? " ``" : "`");
	} else {
		raw(o, "<code>");
		put(o, s);
		raw(o, "</code>");
	}
}

/* Tables: cells are added one at a time. */
static size_t ncols;

static void table_begin(out *o, const char *const *head, size_t n)
{
	size_t i;
	ncols = n;
	if (o->md) {
		raw(o, "|");
		for (i = 0; i < n; i++) {
			raw(o, " ");
			put(o, head[i]);
			raw(o, " |");
		}
		raw(o, "\n|");
		for (i = 0; i < n; i++)
			raw(o, " --- |");
		raw(o, "\n");
	} else {
		raw(o, "<table>\n<thead><tr>");
		for (i = 0; i < n; i++) {
			raw(o, "<th>");
			put(o, head[i]);
			raw(o, "</th>");
		}
		raw(o, "</tr></thead>\n<tbody>\n");
	}
}

static void row_begin(out *o)
{
	raw(o, o->md ? "|" : "<tr>");
}

static void row_end(out *o)
{
	raw(o, o->md ? "\n" : "</tr>\n");
}

static void cell(out *o, const char *cls, const char *s)
{
	if (o->md) {
		raw(o, " ");
		put(o, s && *s ? s : "-");
		raw(o, " |");
	} else {
		bo__sb_printf(&o->sb, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
		put(o, s);
		raw(o, "</td>");
	}
}

static void table_end(out *o)
{
	raw(o, o->md ? "\n" : "</tbody>\n</table>\n");
}

/* A key-value row of a two-column table. */
static void kv(out *o, const char *k, const char *v)
{
	row_begin(o);
	cell(o, NULL, k);
	cell(o, NULL, v);
	row_end(o);
}

static void num(double v, char *buf, size_t size)
{
	if (!isfinite(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.6g", v);
}

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
		num(v, buf, size);
}

static size_t index_of(const bo_configs *c, int64_t id)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return i;
	return (size_t)-1;
}

#define REPORT_RUNNERS_UP 2       /* runners-up whose chances are stated */
#define REPORT_MAX_CHANCY 16      /* guardrail columns of the chances table */

/* Under uncertain inputs and prices: the selected configuration's
 * uncertain values (mean and quantiles), and the chance that it and its
 * runners-up stay within each guardrail that is uncertain or carries a
 * probability (the share of the Monte Carlo draws). */
static void uncertain_section(out *o, const bo_report_input *in, size_t sel)
{
	const bo_mc *mc = in->chart.mc;
	const bo_configs *c = in->chart.c;
	char names[REPORT_MAX_CHANCY + 1][200], qn[BO_MC_MAX_QUANTILES + 3][48], buf[128];
	const char *head[REPORT_MAX_CHANCY + BO_MC_MAX_QUANTILES + 3];
	size_t k, q, r, ng = 0, gk[REPORT_MAX_CHANCY];
	if (bo__mc_quantiles(mc, sel) < 0)
		bo_error_clear();   /* the quantiles stay "-" */
	para_begin(o, NULL);
	putf(o, "Under uncertain inputs and prices: %zu Monte Carlo draws (seed %llu, the same draws for "
		"every configuration)%s",
	     mc->o.draws, (unsigned long long)mc->o.seed, mc->nqty ? "; the selected configuration's "
								   "uncertain values:" : ".");
	if (mc->o.confidence > 0)
		putf(o, " Ranked with --confidence %g: on the pessimistic %g-quantile of each uncertain "
			"objective, every guardrail required to hold with that probability.",
		     mc->o.confidence, mc->o.confidence);
	para_end(o);
	if (mc->nqty) {
		head[0] = "value";
		head[1] = "mean";
		for (k = 0; k < mc->o.nq; k++) {
			snprintf(qn[k], sizeof qn[k], "%g%% quantile", 100 * mc->o.q[k]);
			head[2 + k] = qn[k];
		}
		head[2 + mc->o.nq] = "ranked on";
		table_begin(o, head, mc->o.nq + 3);
		for (q = 0; q < mc->nqty; q++) {
			row_begin(o);
			cell(o, NULL, mc->qty[q].name);
			num(mc->mean[sel * mc->nqty + q], buf, sizeof buf);
			cell(o, "num", buf);
			for (k = 0; k < mc->o.nq; k++) {
				num(mc->quant[(sel * mc->nqty + q) * mc->o.nq + k], buf, sizeof buf);
				cell(o, "num", buf);
			}
			num(mc->used[sel * mc->nqty + q], buf, sizeof buf);
			cell(o, "num", buf);
			row_end(o);
		}
		table_end(o);
	}
	for (k = 0; k < mc->ng && ng < REPORT_MAX_CHANCY; k++)
		if (mc->g_uncertain[k] || mc->g_need[k] > 0)
			gk[ng++] = k;
	if (!ng)
		return;
	para_begin(o, NULL);
	put(o, "Chance of staying within each guardrail and budget (the share of the draws in which it "
	       "holds), for the selected configuration and its runners-up:");
	para_end(o);
	head[0] = "configuration";
	for (k = 0; k < ng; k++) {
		const char *t = c->guardrails[gk[k]].text;
		if (mc->g_need[gk[k]] > 0)
			snprintf(names[k], sizeof names[k], "P(%s), required >= %g", t, mc->g_need[gk[k]]);
		else
			snprintf(names[k], sizeof names[k], "P(%s)", t);
		head[1 + k] = names[k];
	}
	table_begin(o, head, ng + 1);
	for (r = 0; r < in->norder && r <= REPORT_RUNNERS_UP; r++) {
		size_t i = in->order[r];
		char nm[300];
		snprintf(nm, sizeof nm, "%s%lld%s%s", r ? "runner-up: " : "selected: ", (long long)c->v[i].id,
			 c->v[i].label ? " " : "", c->v[i].label ? c->v[i].label : "");
		row_begin(o);
		cell(o, NULL, nm);
		for (k = 0; k < ng; k++) {
			double p = mc->prob[i * mc->ng + gk[k]];
			num(p, buf, sizeof buf);
			cell(o, mc->g_need[gk[k]] > 0 ? (p >= mc->g_need[gk[k]] ? "num ok" : "num bad") : "num", buf);
		}
		row_end(o);
	}
	table_end(o);
}

static void selected_section(out *o, const bo_report_input *in)
{
	const bo_configs *c = in->chart.c;
	const bo_study *s = c->s;
	size_t i = in->chart.selected >= 0 ? index_of(c, in->chart.selected) : (size_t)-1, k;
	char buf[128], buf2[128];
	static const char *const head[] = {"of the selected configuration", "value"};
	static const char *const ghead[] = {"guardrail", "margin", "holds"};
	heading(o, 2, "selected", "Selected configuration");
	if (i == (size_t)-1) {
		para_begin(o, "note");
		if (!s->score)
			put(o, "Nothing is selected by default: the study has no score (budgetopt select needs "
			       "--max-cost, --min-perf or --lexicographic). The frontier below shows the trade-off.");
		else
			put(o, "No configuration qualifies: none is complete and within every guardrail.");
		para_end(o);
		return;
	}
	para_begin(o, NULL);
	if (c->v[i].label)
		putf(o, "Configuration %lld (%s), chosen by %s among %zu feasible configurations (what ",
		     (long long)c->v[i].id, c->v[i].label, in->rule ? in->rule : "the best score", in->norder);
	else
		putf(o, "Configuration %lld, chosen by %s among %zu feasible configurations (what ",
		     (long long)c->v[i].id, in->rule ? in->rule : "the best score", in->norder);
	code(o, "budgetopt select");
	put(o, " recommends by default):");
	para_end(o);
	table_begin(o, head, 2);
	kv(o, "parameters", c->v[i].params_json);
	for (k = 0; k < s->nmetrics; k++) {
		num(c->v[i].m[k], buf, sizeof buf);
		kv(o, s->metrics[k].name, buf);
	}
	for (k = 0; k < s->nderived; k++) {
		bo_axis a;
		memset(&a, 0, sizeof a);
		a.kind = BO_AXIS_DERIVED;
		a.index = (int)k;
		value(in, &a, i, buf, sizeof buf);
		kv(o, s->derived[k].name, buf);
	}
	if (s->score_text) {
		num(c->v[i].score, buf, sizeof buf);
		snprintf(buf2, sizeof buf2, "score (%s)", s->score_text);
		kv(o, buf2, buf);
	}
	if (c->v[i].nrep >= 2) {
		snprintf(buf, sizeof buf, "%zu (score %.6g \u00b1 %.2g, mean \u00b1 standard error)", c->v[i].nrep,
			 c->v[i].score, c->v[i].score_se);
		kv(o, "repeats", buf);
	}
	if (!c->catalog) {
		bo__svg_fmt_money(c->v[i].cost, in->chart.currency, buf, sizeof buf);
		kv(o, c->v[i].nrep >= 2 ? "mean search cost of one repeat" : "search cost of this trial", buf);
	}
	table_end(o);
	if (c->nguardrails) {
		para_begin(o, NULL);
		put(o, "Guardrail margins (how far each value is from its bound; positive when it holds):");
		para_end(o);
		table_begin(o, ghead, 3);
		for (k = 0; k < c->nguardrails; k++) {
			row_begin(o);
			cell(o, NULL, c->guardrails[k].text);
			num(c->v[i].margins[k], buf, sizeof buf);
			cell(o, "num", buf);
			cell(o, c->v[i].margins[k] >= 0 ? "ok" : "bad", c->v[i].margins[k] >= 0 ? "yes" : "no");
			row_end(o);
		}
		table_end(o);
	} else {
		para_begin(o, NULL);
		put(o, "The study has no guardrails.");
		para_end(o);
	}
	if (in->chart.mc)
		uncertain_section(o, in, i);
}

static void charts_section(out *o, const bo_report_input *in, char *svg[BO_REPORT_NCHARTS])
{
	const bo_frontier *fr = in->chart.fr;
	size_t k, j;
	int first;
	char buf[128];
	heading(o, 2, "charts", "Charts");
	for (k = 0; k < BO_REPORT_CH_CURVES; k++) {
		heading(o, 3, bo__report_chart_names[k], chart_titles[k]);
		if (!svg[k]) {
			para_begin(o, "note");
			putf(o, "Not drawn for a catalog: its configurations were measured elsewhere, so there is no "
				"search spend over time.");
			para_end(o);
			continue;
		}
		if (o->md) {
			bo__sb_printf(&o->sb, "![%s](%s-%s.svg)\n\n", chart_titles[k],
				      in->chart_prefix ? in->chart_prefix : "report", bo__report_chart_names[k]);
		} else {
			raw(o, "<figure>\n");
			raw(o, svg[k]);
			raw(o, "<figcaption>");
		}
		if (o->md)
			raw(o, "*");
		switch (k) {
		case 0:
			if (fr && fr->d >= 2) {
				putf(o, "Every finished configuration; %s against %s. ", fr->ax[fr->pa].name,
				     fr->ax[fr->ca].name);
				putf(o, "%zu on the frontier (of %zu feasible); hypervolume %.6g. ", fr->nfront, fr->n, fr->hv);
				if (fr->knee >= 0)
					putf(o, "The knee (%lld) is the frontier point farthest above the line between its ends, "
						"both axes scaled to [0, 1]. ", (long long)fr->knee);
			}
			if (!o->md)   /* an SVG shown as a Markdown image shows no tooltips */
				put(o, "Hover a point for its parameters and metrics.");
			else
				put(o, "The table of top configurations below gives their parameters and metrics.");
			break;
		case 1:
			put(o, "Money spent as trials finish (a step per charge), the money budget, money reserved by "
			       "running trials, and where the budget runs out at the spend rate of the last quarter of "
			       "the trials.");
			break;
		case 2:
			put(o, "The best feasible score found so far against the money the search has spent.");
			break;
		case 3:
			if (fr && fr->d >= 2)
				putf(o, "Along the cost-ordered frontier: %s gained per unit of %s over the next cheaper "
					"frontier point. Where it falls, extra money buys little.",
				     fr->ax[fr->pa].name, fr->ax[fr->ca].name);
			break;
		default: {
			bo_axis t;
			bo__chart_importance_target(&in->chart, &t);
			snprintf(buf, sizeof buf, "%s", t.kind == BO_AXIS_SCORE ? "the score" : t.name);
			putf(o, "Method: %s, of %s, over the complete configurations.", BO_REPORT_IMPORTANCE_METHOD, buf);
			for (j = 0, first = 1; in->importance && j < in->chart.c->s->nparams; j++) {
				if (!(in->importance[j] < 0))
					continue;
				put(o, first ? " Not estimable (about one observation per value, so its effect cannot be "
					       "told from noise; left out of the shares): "
					     : ", ");
				put(o, in->chart.c->s->params[j].name);
				first = 0;
			}
			if (!first)
				put(o, ".");
		}
		}
		if (o->md)
			raw(o, "*\n\n");
		else
			raw(o, "</figcaption>\n</figure>\n");
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
	heading(o, 2, "top", "Top configurations");
	if (in->norder == 0) {
		para_begin(o, NULL);
		put(o, "No configuration is complete and within every guardrail.");
		para_end(o);
		return;
	}
	para_begin(o, NULL);
	putf(o, "The %zu best of %zu feasible configurations, %s, with their guardrail margins (positive: the "
		"guardrail holds by that much).",
	     in->norder < in->top ? in->norder : in->top, in->norder,
	     c->s->score ? "by score" : "in the order of the frontier's performance axis");
	para_end(o);
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
	table_begin(o, head, nh);
	for (r = 0; r < in->norder && r < in->top; r++) {
		size_t i = in->order[r];
		row_begin(o);
		snprintf(buf, sizeof buf, "%zu", r + 1);
		cell(o, "num", buf);
		snprintf(buf, sizeof buf, "%lld%s%s%s", (long long)c->v[i].id, c->v[i].label ? " " : "",
			 c->v[i].label ? c->v[i].label : "", c->v[i].id == in->chart.selected ? " (selected)" : "");
		cell(o, "num", buf);
		if (c->s->score) {
			num(c->v[i].score, buf, sizeof buf);
			cell(o, "num", buf);
		}
		for (k = 0; fr && k < fr->d && k < 4; k++) {
			value(in, &fr->ax[k], i, buf, sizeof buf);
			cell(o, "num", buf);
		}
		if (!c->catalog) {
			bo__svg_fmt_money(c->v[i].cost, in->chart.currency, buf, sizeof buf);
			cell(o, "num", buf);
		}
		for (g = 0; g < ng; g++) {
			num(c->v[i].margins[g], buf, sizeof buf);
			cell(o, "num", buf);
		}
		cell(o, NULL, c->v[i].params_json);
		row_end(o);
	}
	table_end(o);
}

/* Scenarios (issue 10 item 4): each configuration's mean stored score
 * under each scenario (complete trials within every guardrail, repeats
 * averaged), with the weighted mean and the worst across scenarios
 * (analysis/robust.h); best weighted mean first. */
static void scenarios_section(out *o, const bo_report_input *in)
{
	const bo_study *s = in->chart.c->s;
	const bo_trial_rec *t = in->chart.trials;
	size_t nt = in->chart.ntrials, nsc = bo__scenario_count(s), n = 0, i, j, k, r;
	const char **keys = NULL, *head[40];
	double *sum = NULL, *cnt = NULL, *v = NULL, *mean = NULL, *worst = NULL, *w = NULL;
	size_t *ord = NULL;
	bo_robust rm = {BO_ROBUST_MEAN, 1.0}, rw = {BO_ROBUST_WORST, 1.0};
	char buf[128];
	if (!s->nscenarios || !t || !s->score || nsc > 32)
		return;
	heading(o, 2, "scenarios", "Scenarios");
	if (!(keys = bo__calloc(nt + 1, sizeof *keys)) || !(sum = bo__calloc((nt + 1) * nsc, sizeof *sum)) ||
	    !(cnt = bo__calloc((nt + 1) * nsc, sizeof *cnt)) || !(v = bo__calloc((nt + 1) * nsc, sizeof *v)) ||
	    !(mean = bo__calloc(nt + 1, sizeof *mean)) || !(worst = bo__calloc(nt + 1, sizeof *worst)) ||
	    !(w = bo__calloc(nsc, sizeof *w)) || !(ord = bo__calloc(nt + 1, sizeof *ord))) {
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
		if (t[i].state == BO_TRIAL_COMPLETE && t[i].feasible == 1 && isfinite(t[i].score)) {
			sum[j * nsc + (size_t)sk] += t[i].score;
			cnt[j * nsc + (size_t)sk] += 1;
		}
	}
	for (k = 0; k < nsc; k++)
		w[k] = bo__scenario_weight(s, k);
	for (i = 0; i < n * nsc; i++)
		v[i] = cnt[i] > 0 ? sum[i] / cnt[i] : NAN;
	if (n == 0 || bo__robust_aggregate(&rm, v, n, nsc, w, s->score_goal, mean) < 0 ||
	    bo__robust_aggregate(&rw, v, n, nsc, w, s->score_goal, worst) < 0) {
		para_begin(o, NULL);
		put(o, "No configuration has run yet.");
		para_end(o);
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
	para_begin(o, NULL);
	putf(o, "The score of each configuration under each scenario (the mean of its repeats; complete "
		"trials within every guardrail), with the weighted mean and the worst across scenarios "
		"(docs/frontier-and-select.md); budgetopt select --robust (worst, mean, cvar:A, regret) selects by "
		"them. Weights:");
	for (k = 0; k < nsc; k++)
		putf(o, "%s %s %.3g", k ? "," : "", bo__scenario_name(s, k), w[k]);
	put(o, ".");
	para_end(o);
	r = 0;
	head[r++] = "parameters";
	head[r++] = "weighted mean";
	head[r++] = "worst";
	for (k = 0; k < nsc; k++)
		head[r++] = bo__scenario_name(s, k);
	table_begin(o, head, r);
	for (i = 0; i < n && i < (in->top ? in->top : 10); i++) {
		j = ord[i];
		row_begin(o);
		cell(o, NULL, keys[j]);
		num(mean[j], buf, sizeof buf);
		cell(o, "num", buf);
		num(worst[j], buf, sizeof buf);
		cell(o, "num", buf);
		for (k = 0; k < nsc; k++) {
			num(v[j * nsc + k], buf, sizeof buf);
			cell(o, "num", buf);
		}
		row_end(o);
	}
	table_end(o);
done:
	bo__free(keys);
	bo__free(sum);
	bo__free(cnt);
	bo__free(v);
	bo__free(mean);
	bo__free(worst);
	bo__free(w);
	bo__free(ord);
}

/* ---- multi-fidelity and pruning ----------------------------------------- */

#define REPORT_MAX_PROMOTIONS 200   /* rows of the promotions table */
#define REPORT_MAX_PRUNED 500       /* rows of the pruned-trials table */

/* The metric the learning curves show: the pruner's, else the first
 * objective that is a reported metric, else the first metric with a
 * direction, else the first metric; *goal its direction (0: none). */
static const char *curve_metric(const bo_study *s, int *goal)
{
	size_t i;
	*goal = 0;
	if (s->pruner.kind != BO_PRUNER_NONE && s->pruner.nmetrics) {
		*goal = s->pruner.goals ? s->pruner.goals[0] : 0;
		return s->pruner.metrics[0];
	}
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC) {
			*goal = s->objectives[i].goal;
			return s->objectives[i].name;
		}
	for (i = 0; i < s->nmetrics; i++)
		if (s->metrics[i].goal) {
			*goal = s->metrics[i].goal;
			return s->metrics[i].name;
		}
	return s->nmetrics ? s->metrics[0].name : NULL;
}

static void money_cell(out *o, const bo_report_input *in, double v)
{
	char buf[64];
	bo__svg_fmt_money(v, in->chart.currency, buf, sizeof buf);
	cell(o, "num", buf);
}

static void count_cell(out *o, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	cell(o, "num", buf);
}

static void rungs_part(out *o, const bo_report_input *in)
{
	const bo_study *s = in->chart.c->s;
	const bo_rungs *r = in->rungs;
	const char *param = s->params[s->fidelity.param].name;
	char best_head[160], value_head[160], buf[160];
	const char *head[10];
	size_t i, shown = 0;
	int k;
	heading(o, 3, "rungs", "Rungs");
	para_begin(o, NULL);
	putf(o, "Multi-fidelity over %s: %d rung%s from %g to %g (eta %g), scheduled by %s. A trial runs one "
		"configuration at one rung; a promotion runs a configuration again at the next rung (%lld "
		"promotion%s in all). Rungs rank their trials by %s.",
	     param, r->nrungs, r->nrungs == 1 ? "" : "s", r->nrungs ? r->rungs[0].value : NAN,
	     r->nrungs ? r->rungs[r->nrungs - 1].value : NAN, s->fidelity.eta,
	     s->fidelity.schedule == BO_FIDELITY_HYPERBAND ? "Hyperband (Li et al. 2018)" : "ASHA (Li et al. 2020)",
	     (long long)r->promotions, r->promotions == 1 ? "" : "s", r->ranked_by ? r->ranked_by : "nothing");
	if (r->off_rung)
		putf(o, " %lld trial%s ran at a value of %s on no rung (the study's fidelity changed) and %s left out.",
		     (long long)r->off_rung, r->off_rung == 1 ? "" : "s", param, r->off_rung == 1 ? "is" : "are");
	para_end(o);
	snprintf(value_head, sizeof value_head, "%s", param);
	snprintf(best_head, sizeof best_head, "best %s (trial)", r->ranked_by ? r->ranked_by : "");
	head[0] = "rung";
	head[1] = value_head;
	head[2] = "trials";
	head[3] = "complete";
	head[4] = "running";
	head[5] = "failed";
	head[6] = "pruned";
	head[7] = "promoted";
	head[8] = best_head;
	head[9] = "spent";
	table_begin(o, head, 10);
	for (k = 0; k < r->nrungs; k++) {
		const bo_rung_row *w = &r->rungs[k];
		row_begin(o);
		count_cell(o, k);
		num(w->value, buf, sizeof buf);
		cell(o, "num", buf);
		count_cell(o, w->trials);
		count_cell(o, w->complete);
		count_cell(o, w->running);
		count_cell(o, w->failed);
		count_cell(o, w->pruned);
		count_cell(o, w->promoted);
		if (w->best_trial > 0)
			snprintf(buf, sizeof buf, "%.6g (%lld)", w->best, (long long)w->best_trial);
		else
			snprintf(buf, sizeof buf, "-");
		cell(o, "num", buf);
		money_cell(o, in, w->spent);
		row_end(o);
	}
	table_end(o);
	if (!r->promotions)
		return;
	heading(o, 3, "promotions", "Promotions");
	para_begin(o, NULL);
	if (r->promotions > REPORT_MAX_PROMOTIONS)
		putf(o, "The first %d promotions as the runner recorded them (promote events):", REPORT_MAX_PROMOTIONS);
	else
		put(o, "Each promotion as the runner recorded it (its promote event):");
	para_end(o);
	head[0] = "trial";
	head[1] = "promotion";
	table_begin(o, head, 2);
	for (i = 0; i < in->nevents && shown < REPORT_MAX_PROMOTIONS; i++) {
		if (!in->events[i].kind || strcmp(in->events[i].kind, "promote"))
			continue;
		row_begin(o);
		count_cell(o, in->events[i].trial_id);
		cell(o, NULL, in->events[i].detail);
		row_end(o);
		shown++;
	}
	table_end(o);
}

static void pruning_part(out *o, const bo_report_input *in)
{
	const bo_rungs *r = in->rungs;
	static const char *const mhead[] = {"trials", "count", "spent"};
	static const char *const phead[] = {"trial", "step", "last step reported", "rule", "figures that decided",
					    "cost", "estimated cost at full length"};
	int64_t i;
	heading(o, 3, "pruning", "Pruning");
	para_begin(o, NULL);
	putf(o, "Pruner: %s. %lld trial%s stopped early by it, %lld complete.", r->pruner, (long long)r->npruned,
	     r->npruned == 1 ? "" : "s", (long long)r->ncomplete);
	para_end(o);
	table_begin(o, mhead, 3);
	row_begin(o);
	cell(o, NULL, "complete");
	count_cell(o, r->ncomplete);
	money_cell(o, in, r->spent_complete);
	row_end(o);
	row_begin(o);
	cell(o, NULL, "pruned");
	count_cell(o, r->npruned);
	money_cell(o, in, r->spent_pruned);
	row_end(o);
	row_begin(o);
	cell(o, NULL, "failed");
	count_cell(o, r->nfailed);
	money_cell(o, in, r->spent_failed);
	row_end(o);
	row_begin(o);
	cell(o, NULL, "pruned, estimated at full length");
	count_cell(o, r->nestimated);
	money_cell(o, in, r->nestimated ? r->est_full_cost : NAN);
	row_end(o);
	row_begin(o);
	cell(o, NULL, "estimated saving");
	count_cell(o, r->nestimated);
	money_cell(o, in, r->nestimated ? r->est_saved : NAN);
	row_end(o);
	table_end(o);
	para_begin(o, NULL);
	if (r->full_steps > 0)
		putf(o, "The saving is an estimate: a pruned trial that reported steps up to k and cost c would "
			"have cost c \u00d7 K / k at full length K = %lld (%s), at the cost per step it had so far; the "
			"saving is the sum of c \u00d7 K / k \u2212 c over the pruned trials with a cost and a step of "
			"at least 1 (%lld of %lld). Learning curves flatten but the cost per step mostly does not, so "
			"the estimate is of the money, not of what the trials would have reached.",
		     (long long)r->full_steps,
		     !strcmp(r->full_steps_from, "max_step") ? "the pruner's max_step"
							     : "the highest step a complete trial reported",
		     (long long)r->nestimated, (long long)r->npruned);
	else
		put(o, "No saving is estimated: the pruner has no max_step and no complete trial reported a step, "
		       "so the full length of a trial is not known.");
	para_end(o);
	if (!r->npruned)
		return;
	para_begin(o, NULL);
	if (r->npruned > REPORT_MAX_PRUNED)
		putf(o, "The first %d pruned trials", REPORT_MAX_PRUNED);
	else
		put(o, "The pruned trials");
	put(o, ", with the step that decided, the rule and the figures it compared (as recorded in each "
	       "trial's reason):");
	para_end(o);
	table_begin(o, phead, 7);
	for (i = 0; i < r->npruned && i < REPORT_MAX_PRUNED; i++) {
		const bo_pruned_row *p = &r->pruned[i];
		row_begin(o);
		count_cell(o, p->id);
		if (p->step >= 0)
			count_cell(o, p->step);
		else
			cell(o, "num", "-");
		if (p->steps_done >= 0)
			count_cell(o, p->steps_done);
		else
			cell(o, "num", "-");
		cell(o, NULL, p->rule[0] ? p->rule : "-");
		cell(o, NULL, p->detail ? p->detail : "-");
		money_cell(o, in, p->cost);
		money_cell(o, in, p->full_cost);
		row_end(o);
	}
	table_end(o);
}

static void mf_section(out *o, const bo_report_input *in, const char *curves)
{
	const bo_rungs *r = in->rungs;
	int goal;
	const char *metric = curve_metric(in->chart.c->s, &goal);
	heading(o, 2, "multifidelity", "Multi-fidelity and pruning");
	if (r->has_fidelity)
		rungs_part(o, in);
	if (r->has_pruner)
		pruning_part(o, in);
	heading(o, 3, bo__report_chart_names[BO_REPORT_CH_CURVES], chart_titles[BO_REPORT_CH_CURVES]);
	if (o->md) {
		bo__sb_printf(&o->sb, "![%s](%s-%s.svg)\n\n*", chart_titles[BO_REPORT_CH_CURVES],
			      in->chart_prefix ? in->chart_prefix : "report", bo__report_chart_names[BO_REPORT_CH_CURVES]);
	} else {
		raw(o, "<figure>\n");
		raw(o, curves);
		raw(o, "<figcaption>");
	}
	putf(o, "Each trial's intermediate reports of %s against the step (the evaluator's step lines).",
	     metric ? metric : "its metric");
	if (r->has_pruner)
		put(o, " Pruned trials are dashed orange, with a square at the step where the pruner stopped them.");
	if (r->has_fidelity)
		put(o, " A promoted trial that resumes from its checkpoint continues the curve of its configuration.");
	if (o->md)
		raw(o, "*\n\n");
	else
		raw(o, "</figcaption>\n</figure>\n");
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
	heading(o, 2, "assumptions", "Assumptions");
	para_begin(o, NULL);
	put(o, "What this report rests on, so that another team can reproduce and challenge it.");
	para_end(o);
	table_begin(o, head, 2);
	kv(o, "study", s->name);
	kv(o, "data", in->source);
	kv(o, "price-book version", s->prices.version);
	kv(o, "currency", s->prices.currency);
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
		kv(o, buf, bo__sb_str(&t) ? bo__sb_str(&t) : "");
	}
	bo__sb_reset(&t);
	for (k = 0; k < c->nguardrails; k++)
		bo__sb_printf(&t, "%s%s%s", k ? "; " : "", c->guardrails[k].text,
			      k >= s->nguardrails ? " (given on the command line)" : "");
	kv(o, "guardrails", c->nguardrails ? bo__sb_str(&t) : "none");
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
	kv(o, "budgets", t.len ? bo__sb_str(&t) : "none");
	if (s->nscenarios) {
		bo__sb_reset(&t);
		for (k = 0; k < s->nscenarios; k++)
			bo__sb_printf(&t, "%s%s (weight %.3g, %zu value%s changed)", k ? "; " : "",
				      s->scenarios[k].name, bo__scenario_weight(s, k), s->scenarios[k].nvalues,
				      s->scenarios[k].nvalues == 1 ? "" : "s");
		kv(o, "scenarios", bo__sb_str(&t) ? bo__sb_str(&t) : "");
	} else {
		kv(o, "scenarios", "none (a single evaluation condition)");
	}
	if (s->repeats > 1) {
		snprintf(buf, sizeof buf, "%lld per configuration and scenario", (long long)s->repeats);
		kv(o, "repeats", buf);
	}
	if (in->chart.fr) {
		const bo_frontier *fr = in->chart.fr;
		bo__sb_reset(&t);
		for (k = 0; k < fr->d; k++)
			bo__sb_printf(&t, "%s%s (%s)", k ? ", " : "", fr->ax[k].name,
				      fr->ax[k].goal > 0 ? "maximize" : "minimize");
		kv(o, "frontier axes", bo__sb_str(&t) ? bo__sb_str(&t) : "");
	}
	kv(o, "score", s->score_text ? s->score_text : "none");
	kv(o, "sampler", s->sampler);
	if (s->has_seed)
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->seed);
	else
		snprintf(buf, sizeof buf, "none (each run draws its own)");
	kv(o, "seed", buf);
	kv(o, "study definition hash (SHA-256 of the file as read now)", s->hash);
	if (in->ledger_hash) {
		snprintf(buf, sizeof buf, "%s%s", in->ledger_hash,
			 strcmp(in->ledger_hash, s->hash) ? " (the file changed since; configurations are judged under the file as it is now)" : "");
		kv(o, "study definition hash in the ledger (newest version)", buf);
	}
	kv(o, "parameter importance", BO_REPORT_IMPORTANCE_METHOD);
	snprintf(buf, sizeof buf, "budgetopt %s", in->version ? in->version : "");
	kv(o, "made by", buf);
	kv(o, "date", in->date);
	table_end(o);
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
		cd.metric = curve_metric(in->chart.c->s, &cd.goal);
		if (!(svg[BO_REPORT_CH_CURVES] = bo__chart_curves(&cd)))
			goto done;
	}

	snprintf(title, sizeof title, "budgetopt report: %s", in->chart.c->s->name);
	if (o.md) {
		raw(&o, "# ");
		put(&o, title);
		raw(&o, "\n\n");
	} else {
		raw(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
		put(&o, title);
		raw(&o, "</title>\n<style>");
		raw(&o, css);
		raw(&o, "</style>\n</head>\n<body>\n<h1>");
		put(&o, title);
		raw(&o, "</h1>\n");
	}
	para_begin(&o, "meta");
	putf(&o, "%zu configurations from %s; generated %s by budgetopt %s.", in->chart.c->n,
	     in->source ? in->source : "?", in->date ? in->date : "", in->version ? in->version : "");
	para_end(&o);
	selected_section(&o, in);
	charts_section(&o, in, svg);
	top_section(&o, in);
	scenarios_section(&o, in);
	if (svg[BO_REPORT_CH_CURVES])
		mf_section(&o, in, svg[BO_REPORT_CH_CURVES]);
	assumptions_section(&o, in);
	if (!o.md)
		raw(&o, "</body>\n</html>\n");
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
