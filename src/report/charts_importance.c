/*
 * report/charts_importance.c - the parameter importance chart of
 * `report` and `serve` (report/charts.h: bo__chart_importance) and the
 * target it and the best-so-far chart look at.
 *
 * Pure: builds a string, no I/O. Must never emit anything that is not
 * well-formed XML nor refer to anything outside the document; the same
 * readability rules as report/charts.c.
 */
#include "report/charts_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "report/svg.h"

void bo__chart_importance_target(const bo_chart_data *d, bo_axis *out)
{
	memset(out, 0, sizeof *out);
	if (d->c && d->c->s && d->c->s->score) {
		out->kind = BO_AXIS_SCORE;
		out->goal = d->c->s->score_goal ? d->c->s->score_goal : 1;
		snprintf(out->name, sizeof out->name, "score");
	} else if (d->fr && d->fr->d >= 1) {
		*out = d->fr->ax[d->fr->d >= 2 ? d->fr->pa : 0];
	}
}

char *bo__chart_importance(const bo_chart_data *d, const double *importance)
{
	static const char *title = "Parameter importance";
	const bo_configs *c = d->c;
	const bo_study *s = c ? c->s : NULL;
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t *ord = NULL, n, i, a, b;
	bo_axis target;
	axis X;
	double h, bar = 22, top = MT + 8, labw = 150;
	char sub[512], buf[64];
	char *out = NULL;

	if (!s || s->nparams == 0 || !importance)
		return bo__ck_empty_chart("importance", title, "no parameters");
	n = s->nparams;
	if (!(ord = bo__calloc(n, sizeof *ord)))
		goto done;
	for (i = 0; i < n; i++)
		ord[i] = i;
	/* largest first, never-active last, then declaration order */
	for (a = 1; a < n; a++)
		for (b = a; b > 0; b--) {
			double p = importance[ord[b - 1]], q = importance[ord[b]];
			size_t t;
			if (!(isnan(p) && !isnan(q)) && !(q > p))
				break;
			t = ord[b];
			ord[b] = ord[b - 1];
			ord[b - 1] = t;
		}
	bo__chart_importance_target(d, &target);
	h = top + bar * (double)n + MB;
	memset(&X, 0, sizeof X);
	{
		double r[2] = {0, 1};
		X.percent = 1;
		bo__ck_axis_fit(&X, r, 2, 1, 0);
	}
	X.p0 = labw;
	X.p1 = W - MR - 60;
	snprintf(X.label, sizeof X.label, "share of the variance of %s explained by the parameter alone",
		 target.goal ? (target.kind == BO_AXIS_SCORE ? "the score" : target.name) : "the target");
	snprintf(sub, sizeof sub, "main-effect variance share (fANOVA-style, binned conditional means, bias-adjusted)");
	bo__ck_doc_begin(&sb, "importance", title, sub, W, h);
	{
		axis Y;
		double r[2] = {0, 1};
		memset(&Y, 0, sizeof Y);
		bo__ck_axis_fit(&Y, r, 2, 1, 0);
		Y.nticks = 0;
		Y.p0 = top + bar * (double)n;
		Y.p1 = top;
		bo__ck_draw_axes(&sb, &X, &Y);
	}
	bo__sb_puts(&sb, "<g class=\"bars\">\n");
	for (i = 0; i < n; i++) {
		size_t k = ord[i];
		double y = top + bar * (double)i, v = importance[k];
		bo__sb_puts(&sb, "<text");
		bo__ck_attr(&sb, "x", labw - 8);
		bo__ck_attr(&sb, "y", y + bar / 2 + 4);
		bo__sb_puts(&sb, " text-anchor=\"end\" class=\"param\">");
		bo__svg_esc_trunc(&sb, s->params[k].name, (size_t)((labw - 12) / BO_SVG_CHAR_W));
		bo__sb_puts(&sb, "</text>\n");
		if (isnan(v)) {
			bo__ck_text(&sb, labw + 6, y + bar / 2 + 4, "start", "fill=\"" C_AXIS "\"", "never active");
			continue;
		}
		if (v < 0) {
			bo__ck_text(&sb, labw + 6, y + bar / 2 + 4, "start", "fill=\"" C_AXIS "\" class=\"not-estimable\"",
			     "not estimable (about one observation per value)");
			continue;
		}
		bo__sb_printf(&sb, "<rect class=\"bar\" data-param=\"");
		bo__svg_esc(&sb, s->params[k].name);
		bo__sb_puts(&sb, "\"");
		bo__ck_attr(&sb, "x", X.p0);
		bo__ck_attr(&sb, "y", y + 3);
		bo__ck_attr(&sb, "width", fmax(bo__ck_px(&X, fmin(fmax(v, 0), 1)) - X.p0, 0.5));
		bo__ck_attr(&sb, "height", bar - 6);
		bo__sb_puts(&sb, " fill=\"" C_BLUE "\"><title>");
		snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
		bo__svg_esc(&sb, s->params[k].name);
		bo__sb_puts(&sb, ": ");
		bo__sb_puts(&sb, buf);
		bo__sb_puts(&sb, "</title></rect>\n");
		bo__ck_text(&sb, bo__ck_px(&X, fmin(fmax(v, 0), 1)) + 6, y + bar / 2 + 4, "start", NULL, buf);
	}
	bo__sb_puts(&sb, "</g>\n");
	out = bo__ck_doc_end(&sb);
done:
	if (!out && !ord)
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	bo__sb_clear(&sb);
	bo__free(ord);
	return out;
}
