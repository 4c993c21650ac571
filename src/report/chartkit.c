/*
 * report/chartkit.c - the drawing kit the chart files share
 * (report/chartkit.h): axes, ticks, the document frame and markers.
 *
 * Pure: builds strings, no I/O. Must never emit anything that is not
 * well-formed XML nor refer to anything outside the document.
 */
#include "report/chartkit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"


/* ---- small helpers ---------------------------------------------------- */

void bo__ck_coord(bo_strbuf *sb, double v)
{
	char buf[48];
	bo__svg_coord(buf, sizeof buf, v);
	bo__sb_puts(sb, buf);
}

/* Appends " name="v"" with v a coordinate. */
void bo__ck_attr(bo_strbuf *sb, const char *name, double v)
{
	bo__sb_printf(sb, " %s=\"", name);
	bo__ck_coord(sb, v);
	bo__sb_putc(sb, '"');
}

void bo__ck_fmt_value(const bo_ck_axis *a, double v, char *buf, size_t size)
{
	if (a->money)
		bo__svg_fmt_money(v, a->currency, buf, size);
	else if (a->percent)
		snprintf(buf, size, "%.0f%%", v * 100);
	else
		bo__svg_fmt_num(v, buf, size);
}

/* Fits axis a to the finite values v (n of them). */
void bo__ck_axis_fit(bo_ck_axis *a, const double *v, size_t n, int want_zero, int allow_log)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t i;
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
	}
	if (!isfinite(lo)) {
		lo = 0;
		hi = 1;
	}
	a->log = allow_log && !want_zero && bo__svg_use_log(v, n);
	if (a->log) {
		a->nticks = bo__svg_log_ticks(lo, hi, a->ticks, 8, &a->lo, &a->hi);
		return;
	}
	if (want_zero) {
		lo = fmin(lo, 0);
		hi = fmax(hi, 0);
	}
	a->nticks = bo__svg_ticks(lo, hi, 6, a->ticks, BO_SVG_MAX_TICKS, &a->lo, &a->hi);
}

double bo__ck_px(const bo_ck_axis *a, double v)
{
	double t;
	if (a->log)
		t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	else
		t = (v - a->lo) / (a->hi - a->lo);
	if (!isfinite(t))
		t = 0.5;
	return a->p0 + t * (a->p1 - a->p0);
}

void bo__ck_text(bo_strbuf *sb, double x, double y, const char *anchor, const char *extra, const char *s)
{
	bo__sb_puts(sb, "<text");
	bo__ck_attr(sb, "x", x);
	bo__ck_attr(sb, "y", y);
	bo__sb_printf(sb, " text-anchor=\"%s\"%s%s>", anchor, extra ? " " : "", extra ? extra : "");
	bo__svg_esc(sb, s);
	bo__sb_puts(sb, "</text>\n");
}

void bo__ck_doc_begin(bo_strbuf *sb, const char *name, const char *title, const char *subtitle, double w, double h)
{
	bo__sb_printf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-%s\" class=\"bo-chart\" "
			  "viewBox=\"0 0 ", name);
	bo__ck_coord(sb, w);
	bo__sb_putc(sb, ' ');
	bo__ck_coord(sb, h);
	bo__sb_puts(sb, "\"");
	bo__ck_attr(sb, "width", w);
	bo__ck_attr(sb, "height", h);
	bo__sb_printf(sb, " role=\"img\" aria-labelledby=\"chart-%s-title\" font-family=\"sans-serif\" "
			  "font-size=\"11\">\n<title id=\"chart-%s-title\">", name, name);
	bo__svg_esc(sb, title);
	bo__sb_puts(sb, "</title>\n");
	bo__sb_printf(sb, "<style>#chart-%s .pt:hover{stroke:#000;stroke-width:2}</style>\n", name);
	bo__sb_puts(sb, "<rect x=\"0\" y=\"0\"");
	bo__ck_attr(sb, "width", w);
	bo__ck_attr(sb, "height", h);
	bo__sb_puts(sb, " fill=\"#ffffff\"/>\n");
	bo__sb_puts(sb, "<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\">");
	bo__svg_esc_trunc(sb, title, (size_t)((w - 24) / 8.5));
	bo__sb_puts(sb, "</text>\n");
	if (subtitle) {
		bo__sb_puts(sb, "<text x=\"12\" y=\"36\" fill=\"" C_AXIS "\">");
		bo__svg_esc_trunc(sb, subtitle, (size_t)((w - 24) / BO_SVG_CHAR_W));
		bo__sb_puts(sb, "</text>\n");
	}
}

char *bo__ck_doc_end(bo_strbuf *sb)
{
	char *out;
	bo__sb_puts(sb, "</svg>\n");
	out = bo__sb_take(sb);
	if (!out)
		bo__error(BO_ENOMEM, "out of memory drawing a chart");
	return out;
}

char *bo__ck_empty_chart(const char *name, const char *title, const char *msg)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo__ck_doc_begin(&sb, name, title, NULL, W, 160);
	bo__sb_puts(&sb, "<text class=\"empty\" x=\"380\" y=\"90\" text-anchor=\"middle\" fill=\"" C_AXIS "\">");
	bo__svg_esc(&sb, msg);
	bo__sb_puts(&sb, "</text>\n");
	return bo__ck_doc_end(&sb);
}

/* A <line> from (x1, y1) to (x2, y2), its stroke from the enclosing <g>. */
static void line(bo_strbuf *sb, double x1, double y1, double x2, double y2)
{
	bo__sb_puts(sb, "<line");
	bo__ck_attr(sb, "x1", x1);
	bo__ck_attr(sb, "y1", y1);
	bo__ck_attr(sb, "x2", x2);
	bo__ck_attr(sb, "y2", y2);
	bo__sb_puts(sb, "/>\n");
}

/* Grid, ticks, tick labels (thinned) and axis labels. */
void bo__ck_draw_axes(bo_strbuf *sb, const bo_ck_axis *x, const bo_ck_axis *y)
{
	double pos[BO_SVG_MAX_TICKS], wid[BO_SVG_MAX_TICKS];
	int keep[BO_SVG_MAX_TICKS];
	char lab[BO_SVG_MAX_TICKS][64];
	size_t i;
	double top = y->p1, bottom = y->p0, left = x->p0, right = x->p1;

	bo__sb_puts(sb, "<g class=\"grid\" stroke=\"" C_GRID "\" stroke-width=\"1\">\n");
	for (i = 0; i < x->nticks; i++) {
		double p = bo__ck_px(x, x->ticks[i]);
		line(sb, p, top, p, bottom);
	}
	for (i = 0; i < y->nticks; i++) {
		double p = bo__ck_px(y, y->ticks[i]);
		line(sb, left, p, right, p);
	}
	bo__sb_puts(sb, "</g>\n<g class=\"axes\" stroke=\"" C_AXIS "\" stroke-width=\"1\" fill=\"none\">\n");
	bo__sb_puts(sb, "<path d=\"M");
	bo__ck_coord(sb, left);
	bo__sb_putc(sb, ' ');
	bo__ck_coord(sb, top);
	bo__sb_puts(sb, " V");
	bo__ck_coord(sb, bottom);
	bo__sb_puts(sb, " H");
	bo__ck_coord(sb, right);
	bo__sb_puts(sb, "\"/>\n</g>\n<g class=\"ticks\" fill=\"" C_AXIS "\">\n");

	/* x labels, centred under their tick */
	for (i = 0; i < x->nticks; i++) {
		bo__ck_fmt_value(x, x->ticks[i], lab[i], sizeof lab[i]);
		pos[i] = bo__ck_px(x, x->ticks[i]);
		wid[i] = (double)strlen(lab[i]) * BO_SVG_CHAR_W;
	}
	bo__svg_thin(pos, wid, x->nticks, 8, keep);
	for (i = 0; i < x->nticks; i++)
		if (keep[i])
			bo__ck_text(sb, pos[i], bottom + 16, "middle", "class=\"tick-x\"", lab[i]);
	/* y labels, right-aligned left of the bo_ck_axis; their "width" is their height */
	for (i = 0; i < y->nticks; i++) {
		bo__ck_fmt_value(y, y->ticks[i], lab[i], sizeof lab[i]);
		pos[i] = bo__ck_px(y, y->ticks[i]);
		wid[i] = 12;
	}
	bo__svg_thin(pos, wid, y->nticks, 4, keep);
	for (i = 0; i < y->nticks; i++) {
		if (!keep[i])
			continue;
		if (strlen(lab[i]) * BO_SVG_CHAR_W > ML - 12) {
			char cut[64];
			size_t m = (size_t)((ML - 12) / BO_SVG_CHAR_W);
			snprintf(cut, sizeof cut, "%.*s", (int)(m > 2 ? m - 2 : 1), lab[i]);
			strcat(cut, "..");
			bo__ck_text(sb, left - 6, pos[i] + 4, "end", "class=\"tick-y\"", cut);
		} else {
			bo__ck_text(sb, left - 6, pos[i] + 4, "end", "class=\"tick-y\"", lab[i]);
		}
	}
	bo__sb_puts(sb, "</g>\n");
	/* axis labels */
	bo__sb_puts(sb, "<text class=\"label-x\"");
	bo__ck_attr(sb, "x", (left + right) / 2);
	bo__ck_attr(sb, "y", bottom + 40);
	bo__sb_puts(sb, " text-anchor=\"middle\" font-size=\"12\">");
	bo__svg_esc_trunc(sb, x->label, (size_t)((right - left) / 7));
	bo__sb_puts(sb, "</text>\n<text class=\"label-y\" text-anchor=\"middle\" font-size=\"12\" transform=\"translate(");
	bo__ck_coord(sb, 16);
	bo__sb_putc(sb, ' ');
	bo__ck_coord(sb, (top + bottom) / 2);
	bo__sb_puts(sb, ") rotate(-90)\">");
	bo__svg_esc_trunc(sb, y->label, (size_t)((bottom - top) / 7));
	bo__sb_puts(sb, "</text>\n");
}


/* Appends one path command and its point: "M1.5 2" or " L3 4". */
void bo__ck_path_to(bo_strbuf *sb, const char *cmd, double x, double y)
{
	bo__sb_puts(sb, cmd);
	bo__ck_coord(sb, x);
	bo__sb_putc(sb, ' ');
	bo__ck_coord(sb, y);
}

void bo__ck_marker_d(bo_strbuf *sb, int shape, double x, double y, double r)
{
	switch (shape) {
	case M_CIRCLE:
		bo__ck_path_to(sb, "M", x - r, y);
		bo__ck_path_to(sb, " a", r, r);
		bo__sb_puts(sb, " 0 1 0 ");
		bo__ck_coord(sb, 2 * r);
		bo__ck_path_to(sb, " 0 a", r, r);
		bo__sb_puts(sb, " 0 1 0 ");
		bo__ck_coord(sb, -2 * r);
		bo__sb_puts(sb, " 0 Z");
		break;
	case M_DIAMOND:
		bo__ck_path_to(sb, "M", x, y - r);
		bo__ck_path_to(sb, " L", x + r, y);
		bo__ck_path_to(sb, " L", x, y + r);
		bo__ck_path_to(sb, " L", x - r, y);
		bo__sb_puts(sb, " Z");
		break;
	case M_CROSS: {
		double a = r * 0.8;
		bo__ck_path_to(sb, "M", x - a, y - a);
		bo__ck_path_to(sb, " L", x + a, y + a);
		bo__ck_path_to(sb, " M", x - a, y + a);
		bo__ck_path_to(sb, " L", x + a, y - a);
		break;
	}
	case M_SQUARE: {
		double a = r * 0.85;
		bo__ck_path_to(sb, "M", x - a, y - a);
		bo__sb_puts(sb, " H");
		bo__ck_coord(sb, x + a);
		bo__sb_puts(sb, " V");
		bo__ck_coord(sb, y + a);
		bo__sb_puts(sb, " H");
		bo__ck_coord(sb, x - a);
		bo__sb_puts(sb, " Z");
		break;
	}
	default:
		bo__ck_path_to(sb, "M", x, y - r);
		bo__ck_path_to(sb, " L", x + r * 0.9, y + r * 0.6);
		bo__ck_path_to(sb, " L", x - r * 0.9, y + r * 0.6);
		bo__sb_puts(sb, " Z");
	}
}

void bo__ck_legend_line(bo_strbuf *sb, double *x, double y, const char *colour, const char *dash,
			const char *label)
{
	bo__sb_puts(sb, "<g class=\"legend-item\"><line");
	bo__ck_attr(sb, "x1", *x);
	bo__ck_attr(sb, "y1", y - 4);
	bo__ck_attr(sb, "x2", *x + 18);
	bo__ck_attr(sb, "y2", y - 4);
	bo__sb_printf(sb, " stroke=\"%s\" stroke-width=\"2\"%s%s%s/>", colour, dash ? " stroke-dasharray=\"" : "",
		      dash ? dash : "", dash ? "\"" : "");
	bo__ck_text(sb, *x + 23, y, "start", NULL, label);
	bo__sb_puts(sb, "</g>\n");
	*x += 23 + (double)strlen(label) * BO_SVG_CHAR_W + 14;
}
