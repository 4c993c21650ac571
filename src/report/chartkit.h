/*
 * report/chartkit.h - the drawing kit the chart files share (internal to
 * src/report/charts*.c): the palette, the layout, an axis fitted to its
 * values with nice or log ticks, the SVG document frame, grid and tick
 * labels, marker shapes and legend lines.
 *
 * Pure: appends to a bo_strbuf, no I/O. Never emits anything that is not
 * well-formed XML (text goes through report/svg.h's escaping).
 */
#ifndef BO_REPORT_CHARTKIT_H
#define BO_REPORT_CHARTKIT_H

#include <stddef.h>

#include "core/strbuf.h"
#include "report/svg.h"

/* Okabe-Ito. */
#define C_BLACK "#000000"
#define C_ORANGE "#E69F00"
#define C_SKY "#56B4E9"
#define C_GREEN "#009E73"
#define C_YELLOW "#F0E442"
#define C_BLUE "#0072B2"
#define C_VERMILLION "#D55E00"
#define C_PURPLE "#CC79A7"
#define C_GRID "#e3e3e3"
#define C_AXIS "#444444"

/* Layout, in px. */
#define W 760.0
#define H 440.0
#define ML 100.0
#define MR 44.0
#define MT 62.0
#define MB 62.0
#define STRIP 30.0   /* frontier chart: band for configurations without a value */

/* An axis: its value range, scale, format and pixels. */
typedef struct bo_ck_axis {
	double lo, hi;          /* value range (widened to the ticks) */
	int log;
	int money;
	const char *currency;
	int percent;
	char label[512];
	double p0, p1;          /* pixels of lo and hi */
	double ticks[BO_SVG_MAX_TICKS];
	size_t nticks;
} bo_ck_axis;

/* Marker shapes, centred on (x, y), radius r. */
enum { M_CIRCLE, M_DIAMOND, M_CROSS, M_SQUARE, M_TRIANGLE };

/* Appends v as a coordinate (report/svg.h: bo__svg_coord). */
void bo__ck_coord(bo_strbuf *sb, double v);

/* Appends " name="v"" with v a coordinate. */
void bo__ck_attr(bo_strbuf *sb, const char *name, double v);

/* v as a label of axis a: money, a percentage or a number. */
void bo__ck_fmt_value(const bo_ck_axis *a, double v, char *buf, size_t size);

/* Fits axis a to the finite values v (n of them): its range widened to
 * nice ticks, taking in 0 when want_zero, on a log scale when allow_log
 * and the values span more than BO_SVG_LOG_RATIO. Set p0 and p1 after. */
void bo__ck_axis_fit(bo_ck_axis *a, const double *v, size_t n, int want_zero, int allow_log);

/* The pixel of value v on axis a. */
double bo__ck_px(const bo_ck_axis *a, double v);

/* A <text> at (x, y) with text-anchor anchor, extra attributes (raw, may
 * be NULL) and s escaped. */
void bo__ck_text(bo_strbuf *sb, double x, double y, const char *anchor, const char *extra, const char *s);

/* Opens the document <svg id="chart-NAME"> of w x h px: its title (also
 * drawn), a subtitle (may be NULL) and a white background. */
void bo__ck_doc_begin(bo_strbuf *sb, const char *name, const char *title, const char *subtitle, double w, double h);

/* Closes the document and takes its text (NULL, BO_ENOMEM set, when any
 * append failed). */
char *bo__ck_doc_end(bo_strbuf *sb);

/* A whole document saying msg where there is nothing to draw. */
char *bo__ck_empty_chart(const char *name, const char *title, const char *msg);

/* Grid, ticks, tick labels (thinned) and axis labels. */
void bo__ck_draw_axes(bo_strbuf *sb, const bo_ck_axis *x, const bo_ck_axis *y);

/* Appends one path command and its point: "M1.5 2" or " L3 4". */
void bo__ck_path_to(bo_strbuf *sb, const char *cmd, double x, double y);

/* The path data of marker shape (M_*) at (x, y), radius r. */
void bo__ck_marker_d(bo_strbuf *sb, int shape, double x, double y, double r);

/* A legend item drawn as a line (dash: a stroke-dasharray or NULL) with
 * its label at (*x, y); *x moves past it. */
void bo__ck_legend_line(bo_strbuf *sb, double *x, double y, const char *colour, const char *dash,
			const char *label);

#endif
