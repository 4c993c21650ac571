/*
 * report/charts_frontier.c - the cost/performance frontier chart of
 * `report` and `serve` (report/charts.h: bo__chart_frontier): every
 * finished configuration by state, the frontier, the knee, the selected
 * one, and quantile bands under uncertain inputs.
 *
 * Pure: builds a string, no I/O. Must never emit anything that is not
 * well-formed XML nor refer to anything outside the document; the same
 * readability rules as report/charts.c.
 */
#include "report/charts_int.h"
#include "analysis/uncertain.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/svg.h"

/* The states of the frontier chart, in legend order. */
enum { S_FRONTIER, S_FEASIBLE, S_INFEASIBLE, S_PRUNED, S_FAILED, S_N };
static const struct {
	const char *cls;
	const char *colour;
	int shape;
	double r;
	const char *legend;
} states[S_N] = {
	{"frontier", C_BLUE, M_CIRCLE, 5.5, "frontier"},
	{"feasible", C_SKY, M_DIAMOND, 5.5, "dominated"},
	{"infeasible", C_VERMILLION, M_CROSS, 5.5, "infeasible"},
	{"pruned", C_ORANGE, M_SQUARE, 5.0, "pruned"},
	{"failed", C_PURPLE, M_TRIANGLE, 6.0, "failed"},
};

/* A point marker: its path with fill or stroke by shape. */
static void marker(bo_strbuf *sb, int st, double x, double y, const char *cls_extra)
{
	bo__sb_printf(sb, "<path class=\"%s\" d=\"", cls_extra);
	bo__ck_marker_d(sb, states[st].shape, x, y, states[st].r);
	bo__sb_putc(sb, '"');
	if (states[st].shape == M_CROSS)
		bo__sb_printf(sb, " fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"", states[st].colour);
	else
		bo__sb_printf(sb, " fill=\"%s\" fill-opacity=\"0.85\" stroke=\"#ffffff\" stroke-width=\"0.8\"",
			      states[st].colour);
}

/* Legend items in one row starting at (x, y). */
static void legend_item(bo_strbuf *sb, double *x, double y, int st, const char *label)
{
	bo__sb_puts(sb, "<g class=\"legend-item\">");
	bo__sb_puts(sb, "<path d=\"");
	bo__ck_marker_d(sb, states[st].shape, *x + 6, y - 4, states[st].r);
	bo__sb_putc(sb, '"');
	if (states[st].shape == M_CROSS)
		bo__sb_printf(sb, " fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"/>", states[st].colour);
	else
		bo__sb_printf(sb, " fill=\"%s\"/>", states[st].colour);
	bo__ck_text(sb, *x + 15, y, "start", NULL, label);
	bo__sb_puts(sb, "</g>\n");
	*x += 15 + (double)strlen(label) * BO_SVG_CHAR_W + 14;
}

/* The trial record of a configuration id (run mode), or NULL. */
static const bo_trial_rec *trial_of(const bo_chart_data *d, int64_t id)
{
	return d->trials ? bo__trial_find(d->trials, d->ntrials, id) : NULL;
}

/* The chart state of configuration i, or -1 when it is not finished. */
static int state_of(const bo_chart_data *d, size_t i)
{
	const bo_config *f = &d->c->v[i];
	const bo_trial_rec *t = trial_of(d, f->id);
	if (t && !bo__chart_finished(t->state))
		return -1;
	if (t && t->state == BO_TRIAL_PRUNED)
		return S_PRUNED;
	if (!f->usable)
		return S_FAILED;
	if (f->feasible != 1)
		return S_INFEASIBLE;
	if (d->fr && bo__frontier_on(d->fr, i))
		return S_FRONTIER;
	return S_FEASIBLE;
}

/* The tooltip of configuration i. */
static void tooltip(bo_strbuf *sb, const bo_chart_data *d, size_t i, int st)
{
	const bo_configs *c = d->c;
	const bo_config *f = &c->v[i];
	const bo_study *s = c->s;
	char buf[96];
	size_t k;
	bo_strbuf t = BO_STRBUF_INIT;
	bo__sb_printf(&t, "#%lld %s%s%s\n%s", (long long)f->id, states[st].cls,
		      f->id == d->fr->knee ? ", knee" : "", f->id == d->selected ? ", selected" : "",
		      f->params_json ? f->params_json : "{}");
	for (k = 0; s && k < s->nmetrics; k++) {
		if (isnan(f->m[k]))
			continue;
		bo__svg_fmt_num(f->m[k], buf, sizeof buf);
		bo__sb_printf(&t, "\n%s = %s", s->metrics[k].name, buf);
	}
	for (k = 0; s && k < s->nderived; k++) {
		if (isnan(f->dv[k]))
			continue;
		bo__svg_fmt_num(f->dv[k], buf, sizeof buf);
		bo__sb_printf(&t, "\n%s = %s", s->derived[k].name, buf);
	}
	if (isfinite(f->cost)) {
		bo__svg_fmt_money(f->cost, d->currency, buf, sizeof buf);
		bo__sb_printf(&t, "\nsearch cost %s", buf);
	}
	if (isfinite(f->score)) {
		bo__svg_fmt_num(f->score, buf, sizeof buf);
		bo__sb_printf(&t, "\nscore %s", buf);
	}
	if (f->why)
		bo__sb_printf(&t, "\n%s", f->why);
	if (t.failed) {
		sb->failed = 1;
	} else {
		bo__sb_puts(sb, "<title>");
		bo__svg_esc(sb, bo__sb_str(&t));
		bo__sb_puts(sb, "</title>");
	}
	bo__sb_clear(&t);
}

/* ---- the frontier ------------------------------------------------------ */

/* The lowest (side < 0) or highest reported quantile level. */
static double band_level(const bo_mc *mc, int side)
{
	double v = mc->o.q[0];
	size_t k;
	for (k = 1; k < mc->o.nq; k++)
		if (side < 0 ? mc->o.q[k] < v : mc->o.q[k] > v)
			v = mc->o.q[k];
	return v;
}

static double clamp(double v, double a, double b)
{
	double lo = a < b ? a : b, hi = a < b ? b : a;
	return v < lo ? lo : v > hi ? hi : v;
}

/* Quantile bands of the frontier's points on their uncertain axes: a bar
 * from the lowest to the highest reported quantile (inside the plot).
 * Returns the number of bars. */
static size_t draw_bands(bo_strbuf *sb, const bo_chart_data *d, const axis *X, const axis *Y,
			 const bo_axis *ax, const bo_axis *ay)
{
	const bo_configs *c = d->c;
	size_t k, n = 0;
	bo__sb_puts(sb, "<g class=\"bands\" stroke=\"" C_BLUE "\" stroke-opacity=\"0.45\" stroke-width=\"3\">\n");
	for (k = 0; k < d->fr->nfront; k++) {
		size_t i = d->fr->front[k], a;
		double x = bo__axis_value(c, i, ax), y = bo__axis_value(c, i, ay), lo, hi;
		if (!isfinite(x) || !isfinite(y))
			continue;
		for (a = 0; a < 2; a++) {
			const axis *A = a ? Y : X;
			if (bo__mc_axis_band(d->mc, i, a ? ay : ax, &lo, &hi) != 1)
				continue;
			bo__sb_puts(sb, "<line");
			bo__ck_attr(sb, "x1", a ? bo__ck_px(X, x) : clamp(bo__ck_px(X, lo), A->p0, A->p1));
			bo__ck_attr(sb, "x2", a ? bo__ck_px(X, x) : clamp(bo__ck_px(X, hi), A->p0, A->p1));
			bo__ck_attr(sb, "y1", a ? clamp(bo__ck_px(Y, lo), A->p0, A->p1) : bo__ck_px(Y, y));
			bo__ck_attr(sb, "y2", a ? clamp(bo__ck_px(Y, hi), A->p0, A->p1) : bo__ck_px(Y, y));
			bo__sb_puts(sb, "/>\n");
			n++;
		}
	}
	bo__sb_puts(sb, "</g>\n");
	return n;
}

char *bo__chart_frontier(const bo_chart_data *d)
{
	static const char *title = "Cost/performance frontier";
	const bo_configs *c = d->c;
	const bo_frontier *fr = d->fr;
	bo_strbuf sb = BO_STRBUF_INIT;
	double *xs = NULL, *ys = NULL, *both = NULL;
	int *st = NULL;
	size_t i, n = 0, nmissing = 0, kmissing = 0, counts[S_N] = {0};
	const bo_axis *ax, *ay;
	axis X, Y;
	char sub[400], buf[64];
	double lx, bottom;
	char *out = NULL;

	if (!c || !fr || fr->d < 2)
		return bo__ck_empty_chart("frontier", title, "no frontier: the study needs two axes");
	ax = &fr->ax[fr->ca];
	ay = &fr->ax[fr->pa];
	memset(&X, 0, sizeof X);
	memset(&Y, 0, sizeof Y);
	xs = bo__calloc(c->n + 1, sizeof *xs);
	ys = bo__calloc(c->n + 1, sizeof *ys);
	both = bo__calloc(c->n + 1, sizeof *both);
	st = bo__calloc(c->n + 1, sizeof *st);
	if (!xs || !ys || !both || !st)
		goto done;
	for (i = 0; i < c->n; i++) {
		st[i] = state_of(d, i);
		xs[i] = ys[i] = NAN;
		if (st[i] < 0)
			continue;
		counts[st[i]]++;
		n++;
		xs[i] = bo__axis_value(c, i, ax);
		ys[i] = bo__axis_value(c, i, ay);
		if (!isfinite(xs[i]) || !isfinite(ys[i]))
			nmissing++;
	}
	if (n == 0) {
		out = bo__ck_empty_chart("frontier", title, "no finished configuration yet");
		goto done;
	}
	/* Axes over the points that have both values. */
	{
		size_t m = 0;
		for (i = 0; i < c->n; i++)
			if (isfinite(xs[i]) && isfinite(ys[i]))
				both[m++] = xs[i];
		bo__chart_axis_from(&X, d, ax);
		bo__ck_axis_fit(&X, both, m, 0, 1);
		m = 0;
		for (i = 0; i < c->n; i++)
			if (isfinite(xs[i]) && isfinite(ys[i]))
				both[m++] = ys[i];
		bo__chart_axis_from(&Y, d, ay);
		bo__ck_axis_fit(&Y, both, m, 0, 1);
	}
	bottom = H - MB - (nmissing ? STRIP : 0);
	X.p0 = ML;
	X.p1 = W - MR;
	Y.p0 = bottom;
	Y.p1 = MT;
	snprintf(sub, sizeof sub, "%zu configurations, %zu on the frontier%s%s%s", n, counts[S_FRONTIER],
		 X.log || Y.log ? "; log scale on " : "", X.log ? (Y.log ? "both axes" : "x") : (Y.log ? "y" : ""),
		 fr->d > 2 ? "; the frontier is over more axes than the two drawn" : "");
	if (d->mc && fr->d == 2 && fr->nfront && d->mc->o.nq >= 2) {
		size_t l = strlen(sub);
		snprintf(sub + l, sizeof sub - l, "; bars: %g%% to %g%% quantiles under uncertainty",
			 100 * band_level(d->mc, -1), 100 * band_level(d->mc, 1));
	}
	bo__ck_doc_begin(&sb, "frontier", title, sub, W, H);
	bo__ck_draw_axes(&sb, &X, &Y);
	/* legend */
	lx = 12;
	for (i = 0; i < S_N; i++) {
		if (!counts[i] && i != S_FRONTIER)
			continue;
		snprintf(sub, sizeof sub, "%s (%zu)", states[i].legend, counts[i]);
		legend_item(&sb, &lx, 54, (int)i, sub);
	}
	/* the frontier line: a staircase in cost order when cost is minimised
	 * and performance maximised (the boundary of what the frontier
	 * attains), a polyline otherwise */
	if (fr->d == 2 && fr->nfront > 0) {
		size_t *ord = bo__calloc(fr->nfront, sizeof *ord), a, b;
		if (!ord)
			goto done;
		memcpy(ord, fr->front, fr->nfront * sizeof *ord);
		for (a = 1; a < fr->nfront; a++)
			for (b = a; b > 0 && xs[ord[b - 1]] > xs[ord[b]]; b--) {
				size_t t = ord[b];
				ord[b] = ord[b - 1];
				ord[b - 1] = t;
			}
		bo__sb_puts(&sb, "<path class=\"frontier-line\" fill=\"none\" stroke=\"" C_BLUE
				 "\" stroke-width=\"1.8\" d=\"");
		for (a = 0; a < fr->nfront; a++) {
			double x = bo__ck_px(&X, xs[ord[a]]), y = bo__ck_px(&Y, ys[ord[a]]);
			if (a > 0 && ax->goal < 0 && ay->goal > 0) {
				bo__sb_puts(&sb, " H");
				bo__ck_coord(&sb, x);
			}
			bo__sb_puts(&sb, a ? " L" : "M");
			bo__ck_coord(&sb, x);
			bo__sb_putc(&sb, ' ');
			bo__ck_coord(&sb, y);
		}
		bo__sb_puts(&sb, "\"/>\n");
		bo__free(ord);
	}
	if (d->mc && fr->d == 2)
		draw_bands(&sb, d, &X, &Y, ax, ay);
	if (nmissing) {
		double sy = bottom + 46 + STRIP / 2;
		bo__sb_puts(&sb, "<text");
		bo__ck_attr(&sb, "x", ML - 6);
		bo__ck_attr(&sb, "y", sy + 4);
		bo__sb_puts(&sb, " text-anchor=\"end\" fill=\"" C_AXIS "\">no value</text>\n");
	}
	/* the points: failed first, so the frontier is drawn on top */
	{
		static const int order[S_N] = {S_FAILED, S_PRUNED, S_INFEASIBLE, S_FEASIBLE, S_FRONTIER};
		size_t o;
		bo__sb_puts(&sb, "<g class=\"points\">\n");
		for (o = 0; o < S_N; o++) {
			for (i = 0; i < c->n; i++) {
				double x, y;
				char cls[96];
				if (st[i] != order[o])
					continue;
				if (isfinite(xs[i]) && isfinite(ys[i])) {
					x = bo__ck_px(&X, xs[i]);
					y = bo__ck_px(&Y, ys[i]);
				} else {
					/* the no-value strip below the axis, at its x when known */
					x = isfinite(xs[i]) && (!X.log || xs[i] > 0)
						    ? fmin(fmax(bo__ck_px(&X, xs[i]), X.p0), X.p1)
						    : X.p0 + (X.p1 - X.p0) * ((double)kmissing + 0.5) / (double)nmissing;
					y = bottom + 46 + STRIP / 2;
					kmissing++;
				}
				snprintf(cls, sizeof cls, "pt %s%s%s", states[st[i]].cls,
					 c->v[i].id == fr->knee ? " knee" : "", c->v[i].id == d->selected ? " selected" : "");
				marker(&sb, st[i], x, y, cls);
				bo__sb_printf(&sb, " data-id=\"%lld\">", (long long)c->v[i].id);
				tooltip(&sb, d, i, st[i]);
				bo__sb_puts(&sb, "</path>\n");
			}
		}
		bo__sb_puts(&sb, "</g>\n");
	}
	/* knee and selected: rings with a label */
	for (i = 0; i < c->n; i++) {
		int is_knee = c->v[i].id == fr->knee, is_sel = c->v[i].id == d->selected;
		double x, y;
		if ((!is_knee && !is_sel) || st[i] < 0 || !isfinite(xs[i]) || !isfinite(ys[i]))
			continue;
		x = bo__ck_px(&X, xs[i]);
		y = bo__ck_px(&Y, ys[i]);
		if (is_knee) {
			bo__sb_puts(&sb, "<circle class=\"mark-knee\"");
			bo__ck_attr(&sb, "cx", x);
			bo__ck_attr(&sb, "cy", y);
			bo__sb_puts(&sb, " r=\"10\" fill=\"none\" stroke=\"" C_GREEN "\" stroke-width=\"2\"/>\n");
		}
		if (is_sel) {
			bo__sb_puts(&sb, "<circle class=\"mark-selected\"");
			bo__ck_attr(&sb, "cx", x);
			bo__ck_attr(&sb, "cy", y);
			bo__sb_puts(&sb, " r=\"14\" fill=\"none\" stroke=\"" C_BLACK
					 "\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"/>\n");
		}
		snprintf(buf, sizeof buf, "%s%s%s #%lld", is_sel ? "selected" : "", is_sel && is_knee ? ", " : "",
			 is_knee ? "knee" : "", (long long)c->v[i].id);
		/* label to the side with more room */
		if (x > (X.p0 + X.p1) / 2)
			bo__ck_text(&sb, x - 18, y - 12, "end", "class=\"mark-label\" font-weight=\"bold\"", buf);
		else
			bo__ck_text(&sb, x + 18, y - 12, "start", "class=\"mark-label\" font-weight=\"bold\"", buf);
	}
	/* legend entries for the rings */
	if (fr->knee >= 0 || d->selected >= 0) {
		double ly = 54;
		if (fr->knee >= 0) {
			bo__sb_puts(&sb, "<circle");
			bo__ck_attr(&sb, "cx", lx + 6);
			bo__ck_attr(&sb, "cy", ly - 4);
			bo__sb_puts(&sb, " r=\"6\" fill=\"none\" stroke=\"" C_GREEN "\" stroke-width=\"2\"/>");
			bo__ck_text(&sb, lx + 15, ly, "start", NULL, "knee");
			lx += 15 + 4 * BO_SVG_CHAR_W + 14;
		}
		if (d->selected >= 0) {
			bo__sb_puts(&sb, "<circle");
			bo__ck_attr(&sb, "cx", lx + 6);
			bo__ck_attr(&sb, "cy", ly - 4);
			bo__sb_puts(&sb, " r=\"6\" fill=\"none\" stroke=\"" C_BLACK
					 "\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/>");
			bo__ck_text(&sb, lx + 15, ly, "start", NULL, "selected");
		}
		bo__sb_putc(&sb, '\n');
	}
	out = bo__ck_doc_end(&sb);
done:
	if (!out && !xs)
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	bo__sb_clear(&sb);
	bo__free(xs);
	bo__free(ys);
	bo__free(both);
	bo__free(st);
	return out;
}
