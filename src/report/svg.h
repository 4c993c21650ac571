/*
 * report/svg.h - the small pieces every chart needs: XML escaping, number
 * and money formatting for labels, "nice" axis ticks, the log-scale
 * decision and thinning tick labels so that they do not overlap.
 *
 * Pure: builds strings into caller buffers or a bo_strbuf, no I/O.
 */
#ifndef BO_REPORT_SVG_H
#define BO_REPORT_SVG_H

#include <stddef.h>

#include "core/strbuf.h"

/* Values that span more than this ratio (two decades) are drawn on a log
 * scale when they are all positive. */
#define BO_SVG_LOG_RATIO 100.0
/* At most this many ticks on an axis. */
#define BO_SVG_MAX_TICKS 16
/* Average width of one character of an 11px sans-serif label, in px: used
 * to estimate label widths, without fonts, when thinning ticks. */
#define BO_SVG_CHAR_W 6.6

/* Appends s with &, <, >, " and ' escaped, and control characters other
 * than tab and newline (not allowed in XML 1.0) dropped. */
void bo__svg_esc(bo_strbuf *sb, const char *s);

/* Appends at most max characters of s (UTF-8 aware), escaped, ending in
 * "..." when cut. */
void bo__svg_esc_trunc(bo_strbuf *sb, const char *s, size_t max);

/* A coordinate: fixed notation with two decimals, trailing zeros dropped. */
void bo__svg_coord(char *buf, size_t size, double v);

/* A label for a number: at most 4 significant digits, a thousands
 * separator from 10,000, scientific notation ("1.2e-05", "3e+09") outside
 * [1e-3, 1e9). "-" when not finite. */
void bo__svg_fmt_num(double v, char *buf, size_t size);

/* Money: "USD 1,234.50" (two decimals from 1 up), "USD 0.0123" (three
 * significant digits below 1), "-" when not finite. */
void bo__svg_fmt_money(double v, const char *currency, char *buf, size_t size);

/* 1 when the finite values of v (n of them, NaN skipped) are all positive
 * and the largest is more than BO_SVG_LOG_RATIO times the smallest. */
int bo__svg_use_log(const double *v, size_t n);

/* Nice ticks over [lo, hi] (Heckbert, "Nice numbers for graph labels",
 * Graphics Gems, 1990): steps of 1, 2 or 5 times a power of ten, about
 * want ticks, all inside [lo, hi] widened to the ticks' ends. *nlo and
 * *nhi get the widened range. Returns the number written (<= cap). */
size_t bo__svg_ticks(double lo, double hi, int want, double *ticks, size_t cap, double *nlo,
		     double *nhi);

/* Ticks of a log axis over [lo, hi] (lo > 0): the powers of ten, every
 * k-th of them when there are more than cap; with less than one decade
 * inside, 1-2-5 multiples. *nlo and *nhi get the range widened to whole
 * decades. Returns the number written. */
size_t bo__svg_log_ticks(double lo, double hi, double *ticks, size_t cap, double *nlo, double *nhi);

/* Which tick labels to show so that none overlap: labels at pixel
 * positions pos (ascending or descending), each width[i] px wide, keep[i]
 * set to 1 for those shown. Keeps every k-th label for the smallest k
 * whose labels are at least gap px apart. Returns the number kept. */
size_t bo__svg_thin(const double *pos, const double *width, size_t n, double gap, int *keep);

#endif
