/*
 * report/charts.c - the charts of `report` and `serve`, drawn as SVG
 * documents: the cost/performance frontier (charts_frontier.c), budget
 * burn-down, best-so-far against money, the marginal value curve (here)
 * and parameter importance (charts_importance.c).
 *
 * Pure: builds strings, no I/O, no clock ("now" comes in the data). Must
 * never emit anything that is not well-formed XML, nor refer to anything
 * outside the document (no scripts, fonts or style sheets): every chart is
 * readable on its own, in a page opened from disk without a network.
 *
 * Readability rules kept everywhere: axes carry their units (money in the
 * price book's currency), a log scale when positive values span more than
 * two decades (svg.h), the Okabe-Ito palette (Okabe & Ito, "Color
 * universal design", 2008) with a distinct marker shape for each state so
 * that colour is never the only cue, a legend, tick labels thinned so they
 * do not overlap, long labels truncated.
 */
#include "report/charts_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/svg.h"

/* Is a derived metric money? When its expression reads a price. */
static int axis_is_money(const bo_configs *c, const bo_axis *a)
{
	if (a->kind == BO_AXIS_COST)
		return 1;
	if (a->kind == BO_AXIS_DERIVED && c->s && (size_t)a->index < c->s->nderived)
		return c->s->derived[a->index].text && strstr(c->s->derived[a->index].text, "price.") != NULL;
	return 0;
}

void bo__chart_axis_from(axis *out, const bo_chart_data *d, const bo_axis *a)
{
	out->money = axis_is_money(d->c, a);
	out->currency = d->currency ? d->currency : "";
	if (a->kind == BO_AXIS_COST)
		snprintf(out->label, sizeof out->label, "search cost (%s)", out->currency);
	else if (out->money)
		snprintf(out->label, sizeof out->label, "%s (%s, %s)", a->name, out->currency,
			 a->goal > 0 ? "higher is better" : "lower is better");
	else
		snprintf(out->label, sizeof out->label, "%s (%s)", a->name,
			 a->goal > 0 ? "higher is better" : "lower is better");
}

int bo__chart_finished(int state)
{
	return state == BO_TRIAL_COMPLETE || state == BO_TRIAL_PRUNED || state == BO_TRIAL_FAILED;
}

/* ---- burn-down ----------------------------------------------------------- */

/* Finished trials ordered by end time: indices into d->trials. */
static size_t *by_end_time(const bo_chart_data *d, size_t *n)
{
	size_t *ord = bo__calloc(d->ntrials + 1, sizeof *ord), i, m = 0, a, b;
	if (!ord)
		return NULL;
	for (i = 0; i < d->ntrials; i++)
		if (bo__chart_finished(d->trials[i].state) && d->trials[i].ended_at > 0)
			ord[m++] = i;
	/* insertion sort: stable, and the ledger's order is nearly sorted */
	for (a = 1; a < m; a++)
		for (b = a; b > 0; b--) {
			const bo_trial_rec *p = &d->trials[ord[b - 1]], *q = &d->trials[ord[b]];
			size_t t;
			if (p->ended_at < q->ended_at || (p->ended_at == q->ended_at && p->id <= q->id))
				break;
			t = ord[b];
			ord[b] = ord[b - 1];
			ord[b - 1] = t;
		}
	*n = m;
	return ord;
}

static double cost_of(const bo_trial_rec *t)
{
	return isfinite(t->cost) && t->cost > 0 ? t->cost : 0;
}

char *bo__chart_burndown(const bo_chart_data *d)
{
	static const char *title = "Budget burn-down: money spent over time";
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t *ord = NULL, n = 0, i, w, j;
	double t0 = INFINITY, tn, sn = 0, unit = 1, rate = NAN, tstart, tex = NAN, xmax, ymax;
	double vals[4];
	const char *uname = "seconds";
	axis X, Y;
	char sub[400], buf[64], buf2[64];
	double lx;
	char *out = NULL;

	if (!d->trials)
		return bo__ck_empty_chart("burndown", title,
				   "no burn-down for a catalog: its configurations were measured elsewhere, with no search spend");
	if (!(ord = by_end_time(d, &n)))
		goto done;
	if (n == 0) {
		out = bo__ck_empty_chart("burndown", title, "no finished trial yet");
		goto done;
	}
	for (i = 0; i < d->ntrials; i++) {
		double s = d->trials[i].started_at > 0 ? d->trials[i].started_at : d->trials[i].created_at;
		if (s > 0)
			t0 = fmin(t0, s);
	}
	if (!isfinite(t0))
		t0 = d->trials[ord[0]].ended_at;
	tn = d->trials[ord[n - 1]].ended_at;
	for (i = 0; i < n; i++)
		sn += cost_of(&d->trials[ord[i]]);
	/* The recent spend rate: over the last quarter of the finished trials
	 * (at least two), from the charge before the window. */
	w = n / 4 < 2 ? 2 : n / 4;
	if (w > n)
		w = n;
	{
		double s_before = sn, t_before;
		for (j = n - w; j < n; j++)
			s_before -= cost_of(&d->trials[ord[j]]);
		t_before = n - w > 0 ? d->trials[ord[n - w - 1]].ended_at : t0;
		if (tn > t_before)
			rate = (sn - s_before) / (tn - t_before);
	}
	/* project from now while the study is live, else from the last charge */
	tstart = tn;
	if (isfinite(d->now) && d->now > tn && d->now - tn <= fmax(tn - t0, 1))
		tstart = d->now;
	if (isfinite(d->budget_money) && isfinite(rate) && rate > 0 && sn + d->reserved < d->budget_money)
		tex = tstart + (d->budget_money - sn - d->reserved) / rate;
	xmax = fmax(tn, tstart) - t0;
	if (isfinite(tex))
		xmax = fmax(xmax, fmin(tex - t0, 4 * fmax(tn - t0, 1)));
	if (xmax >= 2 * 86400) {
		unit = 86400;
		uname = "days";
	} else if (xmax >= 2 * 3600) {
		unit = 3600;
		uname = "hours";
	} else if (xmax >= 120) {
		unit = 60;
		uname = "minutes";
	}
	memset(&X, 0, sizeof X);
	memset(&Y, 0, sizeof Y);
	vals[0] = 0;
	vals[1] = xmax / unit;
	bo__ck_axis_fit(&X, vals, 2, 1, 0);
	snprintf(X.label, sizeof X.label, "time since the first trial started (%s)", uname);
	ymax = sn + d->reserved;
	if (isfinite(d->budget_money))
		ymax = fmax(ymax, d->budget_money);
	vals[0] = 0;
	vals[1] = ymax > 0 ? ymax : 1;
	Y.money = 1;
	Y.currency = d->currency ? d->currency : "";
	bo__ck_axis_fit(&Y, vals, 2, 1, 0);
	snprintf(Y.label, sizeof Y.label, "money spent (%s)", Y.currency);
	X.p0 = ML;
	X.p1 = W - MR;
	Y.p0 = H - MB;
	Y.p1 = MT;

	bo__svg_fmt_money(sn, d->currency, buf, sizeof buf);
	if (isfinite(d->budget_money)) {
		bo__svg_fmt_money(d->budget_money, d->currency, buf2, sizeof buf2);
		snprintf(sub, sizeof sub, "%s spent of %s (%.1f%%) by %zu finished trials", buf, buf2,
			 d->budget_money > 0 ? 100 * sn / d->budget_money : 100.0, n);
	} else {
		snprintf(sub, sizeof sub, "%s spent by %zu finished trials; no money budget", buf, n);
	}
	bo__ck_doc_begin(&sb, "burndown", title, sub, W, H);
	bo__ck_draw_axes(&sb, &X, &Y);
	/* spend so far: a step line, one step per charge */
	bo__sb_puts(&sb, "<path class=\"spend\" fill=\"none\" stroke=\"" C_BLUE "\" stroke-width=\"2\" d=\"M");
	bo__ck_coord(&sb, bo__ck_px(&X, 0));
	bo__sb_putc(&sb, ' ');
	bo__ck_coord(&sb, bo__ck_px(&Y, 0));
	{
		double s = 0;
		for (i = 0; i < n; i++) {
			const bo_trial_rec *t = &d->trials[ord[i]];
			bo__sb_puts(&sb, " H");
			bo__ck_coord(&sb, bo__ck_px(&X, (t->ended_at - t0) / unit));
			s += cost_of(t);
			bo__sb_puts(&sb, " V");
			bo__ck_coord(&sb, bo__ck_px(&Y, s));
		}
		if (tstart > tn) {
			bo__sb_puts(&sb, " H");
			bo__ck_coord(&sb, bo__ck_px(&X, (tstart - t0) / unit));
		}
	}
	bo__sb_puts(&sb, "\"/>\n");
	if (isfinite(d->budget_money)) {
		double y = bo__ck_px(&Y, d->budget_money);
		bo__sb_puts(&sb, "<line class=\"budget\"");
		bo__ck_attr(&sb, "x1", X.p0);
		bo__ck_attr(&sb, "y1", y);
		bo__ck_attr(&sb, "x2", X.p1);
		bo__ck_attr(&sb, "y2", y);
		bo__sb_puts(&sb, " stroke=\"" C_VERMILLION "\" stroke-width=\"2\" stroke-dasharray=\"8 4\"/>\n");
		snprintf(sub, sizeof sub, "budget %s", buf2);
		bo__ck_text(&sb, X.p1 - 4, y - 6, "end", "fill=\"" C_VERMILLION "\"", sub);
	}
	if (d->reserved > 0) {
		double x = bo__ck_px(&X, (tstart - t0) / unit), y0 = bo__ck_px(&Y, sn), y1 = bo__ck_px(&Y, sn + d->reserved);
		bo__sb_puts(&sb, "<rect class=\"reserved\"");
		bo__ck_attr(&sb, "x", x - 5);
		bo__ck_attr(&sb, "y", y1);
		bo__ck_attr(&sb, "width", 10);
		bo__ck_attr(&sb, "height", y0 - y1);
		bo__sb_puts(&sb, " fill=\"" C_ORANGE "\" fill-opacity=\"0.6\" stroke=\"" C_ORANGE "\">");
		bo__svg_fmt_money(d->reserved, d->currency, buf, sizeof buf);
		snprintf(sub, sizeof sub, "reserved by running trials: %s", buf);
		bo__sb_puts(&sb, "<title>");
		bo__svg_esc(&sb, sub);
		bo__sb_puts(&sb, "</title></rect>\n");
	}
	if (isfinite(tex)) {
		double xe = (tex - t0) / unit, ye = d->budget_money, xs = (tstart - t0) / unit, ys = sn + d->reserved;
		int beyond = xe > X.hi;
		if (beyond) {
			/* stop the line at the chart's edge */
			ye = ys + (d->budget_money - ys) * (X.hi - xs) / (xe - xs);
			xe = X.hi;
		}
		bo__sb_puts(&sb, "<line class=\"projection\"");
		bo__ck_attr(&sb, "x1", bo__ck_px(&X, xs));
		bo__ck_attr(&sb, "y1", bo__ck_px(&Y, ys));
		bo__ck_attr(&sb, "x2", bo__ck_px(&X, xe));
		bo__ck_attr(&sb, "y2", bo__ck_px(&Y, ye));
		bo__sb_puts(&sb, " stroke=\"" C_GREEN "\" stroke-width=\"2\" stroke-dasharray=\"3 3\"/>\n");
		bo__svg_fmt_num((tex - t0) / unit, buf, sizeof buf);
		bo__svg_fmt_money(rate * 3600, d->currency, buf2, sizeof buf2);
		snprintf(sub, sizeof sub, "projected exhaustion at %s %s%s (recent rate %s per hour)", buf, uname,
			 beyond ? ", beyond this chart" : "", buf2);
		bo__ck_text(&sb, bo__ck_px(&X, xe) - 4, bo__ck_px(&Y, ye) + (beyond || bo__ck_px(&Y, ye) - 22 < MT + 12 ? 18 : -22), "end",
		     "class=\"projection-label\" fill=\"" C_GREEN "\"", sub);
	} else if (isfinite(d->budget_money) && sn + d->reserved >= d->budget_money) {
		bo__ck_text(&sb, X.p1 - 4, bo__ck_px(&Y, d->budget_money) + 16, "end", "fill=\"" C_VERMILLION "\"",
		     "the budget is spent");
	}
	lx = 12;
	bo__ck_legend_line(&sb, &lx, 54, C_BLUE, NULL, "spent");
	if (isfinite(d->budget_money))
		bo__ck_legend_line(&sb, &lx, 54, C_VERMILLION, "8 4", "money budget");
	if (isfinite(tex))
		bo__ck_legend_line(&sb, &lx, 54, C_GREEN, "3 3", "projection at the recent rate");
	if (d->reserved > 0)
		bo__ck_legend_line(&sb, &lx, 54, C_ORANGE, NULL, "reserved");
	out = bo__ck_doc_end(&sb);
done:
	if (!out && !ord)
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	bo__sb_clear(&sb);
	bo__free(ord);
	return out;
}

/* ---- best so far against money --------------------------------------------- */

char *bo__chart_best(const bo_chart_data *d)
{
	static const char *title = "Best so far against money spent";
	const bo_configs *c = d->c;
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t *ord = NULL, n = 0, i, m = 0;
	double *mx = NULL, *by = NULL, s = 0, best = NAN;
	int64_t *bid = NULL;
	bo_axis target;
	axis X, Y;
	char sub[400], buf[64], buf2[64];
	double lx;
	char *out = NULL;

	if (!d->trials)
		return bo__ck_empty_chart("best", title,
				   "no best-so-far curve for a catalog: its configurations were measured elsewhere, with no search spend");
	bo__chart_importance_target(d, &target);
	if (!target.goal)
		return bo__ck_empty_chart("best", title, "nothing to rank by: the study has no score and no objective");
	if (!(ord = by_end_time(d, &n)))
		goto done;
	mx = bo__calloc(n + 1, sizeof *mx);
	by = bo__calloc(n + 1, sizeof *by);
	bid = bo__calloc(n + 1, sizeof *bid);
	if (!mx || !by || !bid)
		goto done;
	/* one point per finished trial after the first feasible one */
	for (i = 0; i < n; i++) {
		const bo_trial_rec *t = &d->trials[ord[i]];
		size_t k = bo__configs_find(c, t->id);
		s += cost_of(t);
		if (k != (size_t)-1 && c->v[k].usable && c->v[k].feasible == 1) {
			double v = bo__axis_value(c, k, &target);
			if (isfinite(v) && (isnan(best) || v * target.goal > best * target.goal)) {
				best = v;
				bid[m] = t->id;
			} else {
				bid[m] = 0;
			}
		} else {
			bid[m] = 0;
		}
		if (isnan(best))
			continue;
		mx[m] = s;
		by[m] = best;
		m++;
	}
	if (m == 0) {
		out = bo__ck_empty_chart("best", title, "no feasible trial yet");
		goto done;
	}
	memset(&X, 0, sizeof X);
	memset(&Y, 0, sizeof Y);
	X.money = 1;
	X.currency = d->currency ? d->currency : "";
	bo__ck_axis_fit(&X, mx, m, 0, 1);
	snprintf(X.label, sizeof X.label, "money spent on the search (%s)", X.currency);
	bo__ck_axis_fit(&Y, by, m, 0, 1);
	Y.money = axis_is_money(c, &target);
	Y.currency = X.currency;
	snprintf(Y.label, sizeof Y.label, "best %s (%s)", target.kind == BO_AXIS_SCORE ? "score" : target.name,
		 target.goal > 0 ? "higher is better" : "lower is better");
	X.p0 = ML;
	X.p1 = W - MR;
	Y.p0 = H - MB;
	Y.p1 = MT;
	bo__svg_fmt_num(best, buf, sizeof buf);
	bo__svg_fmt_money(s, d->currency, buf2, sizeof buf2);
	snprintf(sub, sizeof sub, "best feasible %s: %s after %s%s",
		 target.kind == BO_AXIS_SCORE && c->s && c->s->score_text ? c->s->score_text : target.name, buf, buf2,
		 X.log || Y.log ? " (log scale)" : "");
	bo__ck_doc_begin(&sb, "best", title, sub, W, H);
	bo__ck_draw_axes(&sb, &X, &Y);
	bo__sb_puts(&sb, "<path class=\"best-line\" fill=\"none\" stroke=\"" C_BLUE "\" stroke-width=\"2\" d=\"");
	for (i = 0; i < m; i++) {
		if (i) {
			bo__sb_puts(&sb, " H");
			bo__ck_coord(&sb, bo__ck_px(&X, mx[i]));
			bo__sb_puts(&sb, " V");
			bo__ck_coord(&sb, bo__ck_px(&Y, by[i]));
		} else {
			bo__sb_puts(&sb, "M");
			bo__ck_coord(&sb, bo__ck_px(&X, mx[i]));
			bo__sb_putc(&sb, ' ');
			bo__ck_coord(&sb, bo__ck_px(&Y, by[i]));
		}
	}
	bo__sb_puts(&sb, "\"/>\n<g class=\"improvements\">\n");
	for (i = 0; i < m; i++) {
		if (!bid[i])
			continue;
		bo__sb_puts(&sb, "<circle class=\"improvement\"");
		bo__ck_attr(&sb, "cx", bo__ck_px(&X, mx[i]));
		bo__ck_attr(&sb, "cy", bo__ck_px(&Y, by[i]));
		bo__sb_puts(&sb, " r=\"4\" fill=\"" C_BLUE "\" stroke=\"#ffffff\"><title>");
		bo__svg_fmt_num(by[i], buf, sizeof buf);
		bo__svg_fmt_money(mx[i], d->currency, buf2, sizeof buf2);
		snprintf(sub, sizeof sub, "#%lld: %s after %s", (long long)bid[i], buf, buf2);
		bo__svg_esc(&sb, sub);
		bo__sb_puts(&sb, "</title></circle>\n");
	}
	bo__sb_puts(&sb, "</g>\n");
	lx = 12;
	bo__ck_legend_line(&sb, &lx, 54, C_BLUE, NULL, "best feasible so far (dots: improvements)");
	out = bo__ck_doc_end(&sb);
done:
	if (!out && !sb.failed && (!ord || !mx || !by || !bid))
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	bo__sb_clear(&sb);
	bo__free(ord);
	bo__free(mx);
	bo__free(by);
	bo__free(bid);
	return out;
}

/* ---- marginal value ----------------------------------------------------------- */

char *bo__chart_marginal(const bo_chart_data *d)
{
	static const char *title = "Marginal value: what each extra unit of cost buys";
	const bo_configs *c = d->c;
	const bo_frontier *fr = d->fr;
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t *ord = NULL, m = 0, i, a, b;
	double *xs = NULL, *ys = NULL;
	const bo_axis *ax, *ay;
	axis X, Y;
	char sub[512], buf[64], buf2[64];
	double lx;
	char *out = NULL;

	if (!c || !fr || fr->d != 2 || !fr->marginal)
		return bo__ck_empty_chart("marginal", title, "the marginal value needs a frontier over exactly two axes");
	ax = &fr->ax[fr->ca];
	ay = &fr->ax[fr->pa];
	ord = bo__calloc(fr->nfront + 1, sizeof *ord);
	xs = bo__calloc(fr->nfront + 1, sizeof *xs);
	ys = bo__calloc(fr->nfront + 1, sizeof *ys);
	if (!ord || !xs || !ys)
		goto done;
	for (i = 0; i < fr->nfront; i++)
		if (isfinite(fr->marginal[fr->front[i]]) && isfinite(bo__axis_value(c, fr->front[i], ax)))
			ord[m++] = fr->front[i];
	if (m == 0) {
		out = bo__ck_empty_chart("marginal", title, "the frontier needs at least two points for a marginal value");
		goto done;
	}
	for (a = 1; a < m; a++)
		for (b = a; b > 0 && bo__axis_value(c, ord[b - 1], ax) > bo__axis_value(c, ord[b], ax); b--) {
			size_t t = ord[b];
			ord[b] = ord[b - 1];
			ord[b - 1] = t;
		}
	for (i = 0; i < m; i++) {
		xs[i] = bo__axis_value(c, ord[i], ax);
		ys[i] = fr->marginal[ord[i]];
	}
	memset(&X, 0, sizeof X);
	memset(&Y, 0, sizeof Y);
	bo__chart_axis_from(&X, d, ax);
	bo__ck_axis_fit(&X, xs, m, 0, 1);
	{
		double *yv = ys, tmp[2];
		size_t ny = m;
		if (isfinite(fr->threshold)) {
			/* keep the threshold line in view */
			double lo = INFINITY, hi = -INFINITY;
			for (i = 0; i < m; i++) {
				lo = fmin(lo, ys[i]);
				hi = fmax(hi, ys[i]);
			}
			tmp[0] = fmin(lo, fr->threshold);
			tmp[1] = fmax(hi, fr->threshold);
			yv = tmp;
			ny = 2;
			if (!bo__svg_use_log(ys, m))
				tmp[0] = fmin(tmp[0], 0);
		}
		bo__ck_axis_fit(&Y, yv, ny, 0, 1);
		if (!Y.log && Y.lo > 0) {
			/* bars from zero */
			double z[2] = {0, Y.hi};
			bo__ck_axis_fit(&Y, z, 2, 1, 0);
		}
	}
	snprintf(Y.label, sizeof Y.label, "%s gained per unit of %s", ay->name,
		 ax->kind == BO_AXIS_COST ? "search cost" : ax->name);
	X.p0 = ML;
	X.p1 = W - MR;
	Y.p0 = H - MB;
	Y.p1 = MT;
	snprintf(sub, sizeof sub, "each point: a step up the cost-ordered frontier, from the next cheaper frontier point%s",
		 Y.log ? " (log scale)" : "");
	bo__ck_doc_begin(&sb, "marginal", title, sub, W, H);
	bo__ck_draw_axes(&sb, &X, &Y);
	bo__sb_puts(&sb, "<path class=\"marginal-line\" fill=\"none\" stroke=\"" C_BLUE "\" stroke-width=\"1.5\" d=\"");
	for (i = 0; i < m; i++) {
		bo__sb_puts(&sb, i ? " L" : "M");
		bo__ck_coord(&sb, bo__ck_px(&X, xs[i]));
		bo__sb_putc(&sb, ' ');
		bo__ck_coord(&sb, bo__ck_px(&Y, ys[i]));
	}
	bo__sb_puts(&sb, "\"/>\n<g class=\"steps\">\n");
	for (i = 0; i < m; i++) {
		int sat = c->v[ord[i]].id == fr->saturation;
		bo__sb_puts(&sb, "<circle class=\"step\"");
		bo__ck_attr(&sb, "cx", bo__ck_px(&X, xs[i]));
		bo__ck_attr(&sb, "cy", bo__ck_px(&Y, ys[i]));
		bo__sb_printf(&sb, " r=\"5\" fill=\"%s\" stroke=\"#ffffff\" data-id=\"%lld\"><title>",
			      sat ? C_VERMILLION : C_BLUE, (long long)c->v[ord[i]].id);
		bo__svg_fmt_num(ys[i], buf, sizeof buf);
		if (X.money)
			bo__svg_fmt_money(xs[i], d->currency, buf2, sizeof buf2);
		else
			bo__svg_fmt_num(xs[i], buf2, sizeof buf2);
		snprintf(sub, sizeof sub, "#%lld at %s %s: %s %s per unit%s", (long long)c->v[ord[i]].id, ax->name, buf2,
			 buf, ay->name, sat ? "; from here on a step stops paying" : "");
		bo__svg_esc(&sb, sub);
		bo__sb_puts(&sb, "</title></circle>\n");
	}
	bo__sb_puts(&sb, "</g>\n");
	lx = 12;
	bo__ck_legend_line(&sb, &lx, 54, C_BLUE, NULL, "marginal value of a step");
	if (isfinite(fr->threshold) && (!Y.log || fr->threshold > 0)) {
		double y = bo__ck_px(&Y, fr->threshold);
		bo__sb_puts(&sb, "<line class=\"threshold\"");
		bo__ck_attr(&sb, "x1", X.p0);
		bo__ck_attr(&sb, "y1", y);
		bo__ck_attr(&sb, "x2", X.p1);
		bo__ck_attr(&sb, "y2", y);
		bo__sb_puts(&sb, " stroke=\"" C_VERMILLION "\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>\n");
		bo__ck_legend_line(&sb, &lx, 54, C_VERMILLION, "6 3", "threshold: below it a step stops paying");
	}
	out = bo__ck_doc_end(&sb);
done:
	if (!out && (!ord || !xs || !ys))
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	bo__sb_clear(&sb);
	bo__free(ord);
	bo__free(xs);
	bo__free(ys);
	return out;
}

