/*
 * report/charts_curves.c - the learning-curve chart of the report's
 * "Multi-fidelity and pruning" section (report/charts.h: bo__chart_curves):
 * every trial's intermediate reports of one metric against the step, the
 * trials the pruner stopped marked where it stopped them.
 *
 * Pure: builds a string, no I/O. Must never emit anything that is not
 * well-formed XML nor refer to anything outside the document; the same
 * readability rules as report/charts.c (units, palette, a shape as well as
 * a colour for each state, a legend).
 */
#include "report/charts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/chartkit.h"
#include "report/rungs.h"
#include "report/svg.h"

/* How each state's curve is drawn, in legend order. */
enum { K_COMPLETE, K_PRUNED, K_FAILED, K_RUNNING, K_N };
static const struct {
	const char *cls;
	const char *colour;
	const char *dash;       /* NULL: solid */
	const char *legend;
} kinds[K_N] = {
	{"complete", C_BLUE, NULL, "complete"},
	{"pruned", C_ORANGE, "5 3", "pruned (square: where it was stopped)"},
	{"failed", C_PURPLE, "2 2", "failed"},
	{"running", C_AXIS, "1 3", "running"},
};

static int kind_of(const bo_trial_rec *t)
{
	if (!t)
		return K_RUNNING;
	switch (t->state) {
	case BO_TRIAL_COMPLETE: return K_COMPLETE;
	case BO_TRIAL_PRUNED: return K_PRUNED;
	case BO_TRIAL_FAILED: return K_FAILED;
	default: return K_RUNNING;
	}
}

/* A point is drawn when both its values can be placed on their axes. */
static int drawable(const bo_ck_axis *a, double v)
{
	return isfinite(v) && (!a->log || v > 0);
}

/* The curve of the rows r[0..n) of one trial (its reports of the metric,
 * by step): a path, and for a pruned trial a square where it was stopped
 * (the report of its decision step, else its last). Returns the points drawn. */
static size_t draw_curve(bo_strbuf *sb, const bo_ck_axis *X, const bo_ck_axis *Y, const bo_step_row *r,
			 size_t n, const bo_trial_rec *t)
{
	int k = kind_of(t);
	size_t i, m = 0, mark = (size_t)-1;
	int64_t pstep = -1;
	char buf[64];
	for (i = 0; i < n; i++)
		m += drawable(X, (double)r[i].step) && drawable(Y, r[i].value);
	if (!m)
		return 0;
	if (k == K_PRUNED && t) {
		char rule[32];
		int at;
		bo__rungs_parse_reason(t->reason, &pstep, rule, sizeof rule, &at);
	}
	bo__sb_printf(sb, "<path class=\"curve %s\" data-id=\"%lld\" d=\"", kinds[k].cls, (long long)r[0].trial_id);
	for (i = 0, m = 0; i < n; i++) {
		if (!drawable(X, (double)r[i].step) || !drawable(Y, r[i].value))
			continue;
		bo__ck_path_to(sb, m++ ? " L" : "M", bo__ck_px(X, (double)r[i].step), bo__ck_px(Y, r[i].value));
		if (pstep < 0 || r[i].step <= pstep)
			mark = i;
	}
	if (m == 1) {   /* one report: a dot, so that it shows */
		bo__sb_putc(sb, ' ');
		bo__ck_marker_d(sb, M_CIRCLE, bo__ck_px(X, (double)r[mark == (size_t)-1 ? 0 : mark].step),
				bo__ck_px(Y, r[mark == (size_t)-1 ? 0 : mark].value), 1.5);
	}
	bo__sb_printf(sb, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\" stroke-opacity=\"0.8\"%s%s%s>",
		      kinds[k].colour, kinds[k].dash ? " stroke-dasharray=\"" : "", kinds[k].dash ? kinds[k].dash : "",
		      kinds[k].dash ? "\"" : "");
	bo__sb_printf(sb, "<title>#%lld %s, %zu report%s", (long long)r[0].trial_id, kinds[k].cls, n,
		      n == 1 ? "" : "s");
	bo__svg_fmt_num(r[n - 1].value, buf, sizeof buf);
	bo__sb_printf(sb, ", last at step %lld: %s", (long long)r[n - 1].step, buf);
	if (k == K_PRUNED && t && t->reason) {
		bo__sb_puts(sb, "\n");
		bo__svg_esc(sb, t->reason);
	}
	bo__sb_puts(sb, "</title></path>\n");
	if (k == K_PRUNED && mark != (size_t)-1) {
		bo__sb_printf(sb, "<path class=\"prune-mark\" data-id=\"%lld\" d=\"", (long long)r[0].trial_id);
		bo__ck_marker_d(sb, M_SQUARE, bo__ck_px(X, (double)r[mark].step), bo__ck_px(Y, r[mark].value), 4.5);
		bo__sb_puts(sb, "\" fill=\"" C_ORANGE "\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n");
	}
	return m;
}

char *bo__chart_curves(const bo_curves_data *d)
{
	static const char *title = "Learning curves";
	static const int order[K_N] = {K_RUNNING, K_FAILED, K_PRUNED, K_COMPLETE};
	bo_strbuf sb = BO_STRBUF_INIT;
	bo_step_row *rows = NULL;   /* one trial's reports of the metric (shallow) */
	double *xs = NULL, *ys = NULL, lx;
	size_t i, j, n = 0, ncurves = 0, counts[K_N] = {0};
	bo_ck_axis X, Y;
	char sub[300];
	char *out = NULL;
	int k, o;

	if (!d->metric || !d->steps)
		return bo__ck_empty_chart("curves", title, "no intermediate reports: the evaluator reported no steps");
	for (i = 0; i < d->nsteps; i++)
		n += !strcmp(d->steps[i].name, d->metric);
	if (!n) {
		snprintf(sub, sizeof sub, "no intermediate reports of %s", d->metric);
		return bo__ck_empty_chart("curves", title, sub);
	}
	xs = bo__calloc(n, sizeof *xs);
	ys = bo__calloc(n, sizeof *ys);
	rows = bo__calloc(n, sizeof *rows);
	if (!xs || !ys || !rows) {
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
		goto done;
	}
	for (i = 0, n = 0; i < d->nsteps; i++)
		if (!strcmp(d->steps[i].name, d->metric)) {
			xs[n] = (double)d->steps[i].step;
			ys[n++] = d->steps[i].value;
		}
	memset(&X, 0, sizeof X);
	memset(&Y, 0, sizeof Y);
	bo__ck_axis_fit(&X, xs, n, 0, 1);
	bo__ck_axis_fit(&Y, ys, n, 0, 1);
	X.p0 = ML;
	X.p1 = W - MR;
	Y.p0 = H - MB;
	Y.p1 = MT;
	snprintf(X.label, sizeof X.label, "step (as the evaluator counts: epochs, trees, ...)%s",
		 X.log ? ", log scale" : "");
	snprintf(Y.label, sizeof Y.label, "%s (%s)%s", d->metric,
		 d->goal > 0 ? "higher is better" : d->goal < 0 ? "lower is better" : "as reported",
		 Y.log ? ", log scale" : "");
	/* count the curves by state for the subtitle */
	for (i = 0; i < d->nsteps; i = j) {
		for (j = i; j < d->nsteps && d->steps[j].trial_id == d->steps[i].trial_id; j++)
			;
		for (k = 0; k < (int)(j - i); k++)
			if (!strcmp(d->steps[i + (size_t)k].name, d->metric))
				break;
		if ((size_t)k < j - i) {
			counts[kind_of(bo__trial_find(d->trials, d->ntrials, d->steps[i].trial_id))]++;
			ncurves++;
		}
	}
	snprintf(sub, sizeof sub, "%zu trials with intermediate reports of %s: %zu complete, %zu pruned, %zu failed, "
		 "%zu running", ncurves, d->metric, counts[K_COMPLETE], counts[K_PRUNED], counts[K_FAILED],
		 counts[K_RUNNING]);
	bo__ck_doc_begin(&sb, "curves", title, sub, W, H);
	bo__ck_draw_axes(&sb, &X, &Y);
	/* complete curves drawn last, on top: the survivors read clearly */
	bo__sb_puts(&sb, "<g class=\"curves\">\n");
	for (o = 0; o < K_N; o++) {
		for (i = 0; i < d->nsteps; i = j) {
			const bo_trial_rec *t = bo__trial_find(d->trials, d->ntrials, d->steps[i].trial_id);
			size_t a, m = 0;
			for (j = i; j < d->nsteps && d->steps[j].trial_id == d->steps[i].trial_id; j++)
				;
			if (kind_of(t) != order[o])
				continue;
			for (a = i; a < j; a++)
				if (!strcmp(d->steps[a].name, d->metric))
					rows[m++] = d->steps[a];
			if (m)
				draw_curve(&sb, &X, &Y, rows, m, t);
		}
	}
	bo__sb_puts(&sb, "</g>\n");
	/* legend */
	bo__sb_puts(&sb, "<g class=\"legend\">\n");
	lx = ML;
	for (k = 0; k < K_N; k++)
		if (counts[k])
			bo__ck_legend_line(&sb, &lx, H - 8, kinds[k].colour, kinds[k].dash, kinds[k].legend);
	bo__sb_puts(&sb, "</g>\n");
	out = bo__ck_doc_end(&sb);
done:
	if (!out)
		bo__sb_clear(&sb);
	bo__free(rows);
	bo__free(xs);
	bo__free(ys);
	return out;
}
