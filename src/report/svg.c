/*
 * report/svg.c - escaping, label formatting, nice ticks, the log-scale
 * decision and tick thinning for the charts (report/charts.c).
 *
 * Pure: no I/O, no locale (the thousands separator is always ",", the
 * decimal point always ".", whatever the process locale says).
 */
#include "report/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void bo__svg_esc(bo_strbuf *sb, const char *s)
{
	const char *p;
	if (!s)
		return;
	for (p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		switch (ch) {
		case '&': bo__sb_puts(sb, "&amp;"); break;
		case '<': bo__sb_puts(sb, "&lt;"); break;
		case '>': bo__sb_puts(sb, "&gt;"); break;
		case '"': bo__sb_puts(sb, "&quot;"); break;
		case '\'': bo__sb_puts(sb, "&#39;"); break;
		default:
			if (ch >= 0x20 || ch == '\t' || ch == '\n')
				bo__sb_putc(sb, (char)ch);
		}
	}
}

void bo__svg_esc_trunc(bo_strbuf *sb, const char *s, size_t max)
{
	size_t i = 0, chars = 0, total = 0;
	char buf[1024];
	if (!s)
		return;
	for (i = 0; s[i]; i++)
		total += ((unsigned char)s[i] & 0xC0) != 0x80;
	if (total <= max) {
		bo__svg_esc(sb, s);
		return;
	}
	/* Cut before the character that would make max - 3 (room for "..."). */
	for (i = 0; s[i] && i + 1 < sizeof buf; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars + 3 >= max)
				break;
			chars++;
		}
	}
	memcpy(buf, s, i);
	buf[i] = '\0';
	bo__svg_esc(sb, buf);
	bo__sb_puts(sb, "...");
}

void bo__svg_coord(char *buf, size_t size, double v)
{
	size_t n;
	if (!isfinite(v))
		v = 0;
	if (fabs(v) < 0.005)
		v = 0;   /* no "-0" */
	snprintf(buf, size, "%.2f", v);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* Inserts "," every three digits of the integer part of a plain decimal. */
static void group_thousands(const char *in, char *out, size_t size)
{
	const char *dot = strchr(in, '.'), *p = in;
	size_t intlen, k = 0, o = 0;
	if (*p == '-') {
		if (o + 1 < size)
			out[o++] = '-';
		p++;
	}
	intlen = dot ? (size_t)(dot - p) : strlen(p);
	for (k = 0; k < intlen; k++) {
		if (k > 0 && (intlen - k) % 3 == 0 && o + 1 < size)
			out[o++] = ',';
		if (o + 1 < size)
			out[o++] = p[k];
	}
	for (p += intlen; *p && o + 1 < size; p++)
		out[o++] = *p;
	out[o] = '\0';
}

/* Drops trailing zeros after a decimal point (and the point). */
static void trim_zeros(char *s)
{
	size_t n = strlen(s);
	if (!strchr(s, '.') || strchr(s, 'e'))
		return;
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
}

void bo__svg_fmt_num(double v, char *buf, size_t size)
{
	char tmp[64];
	double a = fabs(v);
	if (!isfinite(v)) {
		snprintf(buf, size, "-");
		return;
	}
	if (a == 0) {
		snprintf(buf, size, "0");
		return;
	}
	if (a < 1e-3 || a >= 1e9) {
		char *e;
		snprintf(tmp, sizeof tmp, "%.2e", v);
		/* 1.20e-05 -> 1.2e-05 */
		e = strchr(tmp, 'e');
		if (e) {
			char mant[32], *m;
			size_t ml = (size_t)(e - tmp);
			memcpy(mant, tmp, ml);
			mant[ml] = '\0';
			trim_zeros(mant);
			m = mant;
			snprintf(buf, size, "%s%s", m, e);
		} else {
			snprintf(buf, size, "%s", tmp);
		}
		return;
	}
	{
		/* 4 significant digits, fixed notation. */
		int digits = (int)floor(log10(a)) + 1;    /* digits before the point */
		int dec = 4 - digits;
		if (dec < 0)
			dec = 0;
		snprintf(tmp, sizeof tmp, "%.*f", dec, v);
		trim_zeros(tmp);
		if (a >= 1e4)
			group_thousands(tmp, buf, size);
		else
			snprintf(buf, size, "%s", tmp);
	}
}

void bo__svg_fmt_money(double v, const char *currency, char *buf, size_t size)
{
	char tmp[64], grouped[96];
	const char *cur = currency && *currency ? currency : "";
	double a = fabs(v);
	if (!isfinite(v)) {
		snprintf(buf, size, "-");
		return;
	}
	if (a >= 1e15) {
		snprintf(buf, size, "%s%s%.3g", cur, *cur ? " " : "", v);
		return;
	}
	if (a >= 1 || a == 0) {
		snprintf(tmp, sizeof tmp, "%.2f", v);
		group_thousands(tmp, grouped, sizeof grouped);
	} else {
		snprintf(tmp, sizeof tmp, "%.3g", v);
		if (strchr(tmp, 'e')) {
			/* below 1e-4: fixed notation with three significant digits */
			int dec = 2 - (int)floor(log10(a));
			snprintf(tmp, sizeof tmp, "%.*f", dec > 12 ? 12 : dec, v);
		}
		snprintf(grouped, sizeof grouped, "%s", tmp);
	}
	snprintf(buf, size, "%s%s%s", cur, *cur ? " " : "", grouped);
}

int bo__svg_use_log(const double *v, size_t n)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t i, m = 0;
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (v[i] <= 0)
			return 0;
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
		m++;
	}
	return m >= 2 && hi > BO_SVG_LOG_RATIO * lo;
}

/* Heckbert's nice number: 1, 2, 5 or 10 times a power of ten near x. */
static double nice(double x, int round_)
{
	double e = floor(log10(x)), f = x / pow(10, e), nf;
	if (round_)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

size_t bo__svg_ticks(double lo, double hi, int want, double *ticks, size_t cap, double *nlo,
		     double *nhi)
{
	double range, step, t0, t1, v;
	size_t n = 0, k;
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (lo > hi) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi == lo) {
		double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
		lo -= pad;
		hi += pad;
	}
	if (want < 2)
		want = 2;
	range = nice(hi - lo, 0);
	step = nice(range / (want - 1), 1);
	t0 = floor(lo / step) * step;
	t1 = ceil(hi / step) * step;
	for (k = 0; n < cap; k++) {
		v = t0 + (double)k * step;
		if (v > t1 + step * 0.5)
			break;
		if (fabs(v) < step * 1e-9)
			v = 0;   /* no 1e-17 from rounding */
		ticks[n++] = v;
	}
	if (nlo)
		*nlo = t0;
	if (nhi)
		*nhi = n ? ticks[n - 1] : t1;
	return n;
}

size_t bo__svg_log_ticks(double lo, double hi, double *ticks, size_t cap, double *nlo, double *nhi)
{
	double e0, e1, every;
	size_t n = 0;
	if (!(lo > 0) || !(hi > 0) || !isfinite(lo) || !isfinite(hi)) {
		lo = 1;
		hi = 10;
	}
	if (lo > hi) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	e0 = floor(log10(lo) + 1e-9);
	e1 = ceil(log10(hi) - 1e-9);
	if (e1 <= e0)
		e1 = e0 + 1;
	if (e1 - e0 <= 1) {
		/* less than a decade: 1-2-5 multiples inside [10^e0, 10^e1] */
		static const double mult[] = {1, 2, 5};
		double e;
		for (e = e0; e <= e1 && n < cap; e++) {
			size_t m;
			for (m = 0; m < 3 && n < cap; m++) {
				double v = mult[m] * pow(10, e);
				if (v > pow(10, e1) * (1 + 1e-9))
					break;
				ticks[n++] = v;
			}
		}
	} else {
		double e;
		every = ceil((e1 - e0 + 1) / (double)(cap < 2 ? 2 : cap));
		if (every < 1)
			every = 1;
		e1 = e0 + ceil((e1 - e0) / every) * every;
		for (e = e0; e <= e1 + 1e-9 && n < cap; e += every)
			ticks[n++] = pow(10, e);
	}
	if (nlo)
		*nlo = pow(10, e0);
	if (nhi)
		*nhi = pow(10, e1);
	return n;
}

size_t bo__svg_thin(const double *pos, const double *width, size_t n, double gap, int *keep)
{
	size_t k, i, kept = 0;
	for (k = 1; k <= n; k++) {
		int ok = 1;
		for (i = k; i < n && ok; i += k) {
			double sep = fabs(pos[i] - pos[i - k]) - (width[i] + width[i - k]) / 2;
			ok = sep >= gap;
		}
		if (ok || k == n)
			break;
	}
	for (i = 0; i < n; i++) {
		keep[i] = k > 0 && i % k == 0;
		kept += (size_t)keep[i];
	}
	return kept;
}
