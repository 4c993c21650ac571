/*
 * core/csv.c - a strict RFC 4180 reader over a buffer.
 *
 * Must never read past len or trust the text: every malformed input is an
 * error with its line, never a crash.
 */
#include "core/csv.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

void bo__csv_free(bo_csv *c)
{
	size_t i;
	if (!c)
		return;
	for (i = 0; c->header && i < c->ncols; i++)
		bo__free(c->header[i]);
	bo__free(c->header);
	for (i = 0; c->cells && i < c->nrows * c->ncols; i++)
		bo__free(c->cells[i]);
	bo__free(c->cells);
	bo__free(c->lines);
	bo__free(c);
}

int bo__csv_col(const bo_csv *c, const char *name)
{
	size_t i;
	for (i = 0; i < c->ncols; i++)
		if (!strcmp(c->header[i], name))
			return (int)i;
	return -1;
}

typedef struct reader {
	const char *p, *end;
	int line;
	const char *name;
} reader;

/* Reads one field into sb; *eol = 1 when it ended its record (or the
 * text). Returns 0 or BO_EINVAL. */
static int field(reader *r, bo_strbuf *sb, int *eol)
{
	bo__sb_reset(sb);
	bo__sb_add(sb, "", 0);
	*eol = 0;
	if (r->p < r->end && *r->p == '"') {
		int start = r->line;
		r->p++;
		for (;;) {
			if (r->p >= r->end)
				return bo__error(BO_EINVAL, "%s:%d: a quoted field is never closed", r->name, start);
			if (*r->p == '"') {
				if (r->p + 1 < r->end && r->p[1] == '"') {
					bo__sb_putc(sb, '"');
					r->p += 2;
					continue;
				}
				r->p++;
				break;
			}
			if (*r->p == '\0')
				return bo__error(BO_EINVAL, "%s:%d: NUL byte in a field", r->name, r->line);
			if (*r->p == '\n')
				r->line++;
			bo__sb_putc(sb, *r->p++);
		}
		if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
			return bo__error(BO_EINVAL, "%s:%d: text after a closing quote", r->name, r->line);
	} else {
		const char *s = r->p;
		while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
			if (*r->p == '"')
				return bo__error(BO_EINVAL, "%s:%d: a quote inside an unquoted field (quote the whole field and double the quote)",
						 r->name, r->line);
			if (*r->p == '\0')
				return bo__error(BO_EINVAL, "%s:%d: NUL byte in a field", r->name, r->line);
			r->p++;
		}
		bo__sb_add(sb, s, (size_t)(r->p - s));
	}
	if (r->p >= r->end) {
		*eol = 1;
	} else if (*r->p == ',') {
		r->p++;
	} else {
		if (*r->p == '\r')
			r->p++;
		if (r->p < r->end && *r->p == '\n')
			r->p++;
		r->line++;
		*eol = 1;
	}
	return sb->failed ? BO_ENOMEM : 0;
}

int bo__csv_parse(bo_csv **out, const char *text, size_t len, const char *name)
{
	bo_csv *c = NULL;
	bo_strbuf sb = BO_STRBUF_INIT;
	reader r;
	size_t capcells = 0, caplines = 0, caphdr = 0, k;
	int rc = 0, eol;

	*out = NULL;
	r.p = text;
	r.end = text + len;
	r.line = 1;
	r.name = name;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		r.p += 3;
	if (!(c = bo__calloc(1, sizeof *c)))
		return BO_ENOMEM;
	if (r.p >= r.end) {
		rc = bo__error(BO_EINVAL, "%s: the file is empty (a header line is needed)", name);
		goto done;
	}
	do {
		if ((rc = field(&r, &sb, &eol)) < 0)
			goto done;
		if (bo__grow(&c->header, &caphdr, c->ncols + 1, sizeof *c->header) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		if (!(c->header[c->ncols] = bo__strdup(bo__sb_str(&sb)))) {
			rc = BO_ENOMEM;
			goto done;
		}
		c->ncols++;
	} while (!eol);
	for (k = 0; k < c->ncols; k++) {
		size_t j;
		if (!c->header[k][0]) {
			rc = bo__error(BO_EINVAL, "%s:1: column %zu has no name", name, k + 1);
			goto done;
		}
		for (j = 0; j < k; j++)
			if (!strcmp(c->header[j], c->header[k])) {
				rc = bo__error(BO_EINVAL, "%s:1: column \"%s\" appears twice", name, c->header[k]);
				goto done;
			}
	}
	while (r.p < r.end) {
		int line = r.line;
		size_t nf = 0, base = c->nrows * c->ncols;
		/* A blank line (also the last one) is not a row. */
		if (*r.p == '\n' || (*r.p == '\r' && r.p + 1 < r.end && r.p[1] == '\n')) {
			r.p += *r.p == '\r' ? 2 : 1;
			r.line++;
			continue;
		}
		if (bo__grow(&c->lines, &caplines, c->nrows + 1, sizeof *c->lines) < 0 ||
		    bo__grow(&c->cells, &capcells, base + c->ncols, sizeof *c->cells) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		do {
			if ((rc = field(&r, &sb, &eol)) < 0)
				break;
			if (nf >= c->ncols) {
				rc = bo__error(BO_EINVAL, "%s:%d: the row has more fields than the header's %zu",
					       name, line, c->ncols);
				break;
			}
			if (!(c->cells[base + nf] = bo__strdup(bo__sb_str(&sb)))) {
				rc = BO_ENOMEM;
				break;
			}
			nf++;
		} while (!eol);
		if (rc == 0 && nf != c->ncols)
			rc = bo__error(BO_EINVAL, "%s:%d: the row has %zu fields, the header %zu", name, line,
				       nf, c->ncols);
		if (rc < 0) {
			/* The unfinished row is not counted: free its cells here. */
			while (nf > 0)
				bo__free(c->cells[base + --nf]);
			goto done;
		}
		c->lines[c->nrows] = line;
		c->nrows++;
	}
done:
	bo__sb_clear(&sb);
	if (rc < 0) {
		bo__csv_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- numeric cells ------------------------------------------------------ */

#define NUM_MAX 64        /* longest numeric cell read (digits are plenty) */

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *bo__csv_trim(const char *cell, char *buf, size_t size)
{
	size_t n;
	if (size == 0)
		return buf;
	while (blank(*cell))
		cell++;
	n = strlen(cell);
	while (n > 0 && blank(cell[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(buf, cell, n);
	buf[n] = '\0';
	return buf;
}

int bo__csv_number(const char *cell, double *out, char *why, size_t whylen)
{
	const char *s = cell, *e;
	const char *dp = localeconv()->decimal_point;
	char buf[NUM_MAX + 8], *end;
	size_t n, j = 0, digits = 0, i;
	double v;

	while (blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && blank(e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0)
		return 1;
	/* [+-] digits [. digits] [(e|E) [+-] digits], with a digit somewhere
	 * before the exponent: exactly what a decimal number is. */
	i = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		snprintf(why, whylen, "\"%.*s\" is hexadecimal: write the number in decimal",
			 (int)(n > 32 ? 32 : n), s);
		return BO_EINVAL;
	}
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t k = i + 1, ed = 0;
		if (k < n && (s[k] == '+' || s[k] == '-'))
			k++;
		while (k < n && s[k] >= '0' && s[k] <= '9')
			k++, ed++;
		if (ed)
			i = k;
	}
	if (!digits || i != n) {
		snprintf(why, whylen, "\"%.*s%s\" is not a number", (int)(n > 32 ? 32 : n), s,
			 n > 32 ? "..." : "");
		return BO_EINVAL;
	}
	if (n > NUM_MAX) {
		snprintf(why, whylen, "\"%.32s...\" is too long for a number", s);
		return BO_EINVAL;
	}
	/* strtod reads the locale's decimal point: put it in place of '.' */
	for (i = 0; i < n && j + 4 < sizeof buf; i++) {
		if (s[i] == '.' && dp && *dp && strlen(dp) < 4) {
			memcpy(buf + j, dp, strlen(dp));
			j += strlen(dp);
		} else {
			buf[j++] = s[i];
		}
	}
	buf[j] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (!isfinite(v)) {
		snprintf(why, whylen, "\"%.*s\" is too large for a number", (int)n, s);
		return BO_EINVAL;
	}
	*out = v;
	return 0;
}
