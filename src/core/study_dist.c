/*
 * core/study_dist.c - the uncertain parts of a study file: distributions
 * in inputs: and prices: (core/dist.h) and the "with probability >= p" of a
 * chance-constrained guardrail; and which expressions they reach.
 *
 * Hooked from the study reader (core/study_yaml.c), whose tree and
 * diagnostics it shares (core/study_yaml_int.h). Reads a samples file
 * named by the study (relative to the study's folder) and nothing else;
 * must never print, exit or abort.
 */
#include "core/study_yaml_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/csv.h"
#include "core/strbuf.h"

#define DIST_MAX_SAMPLES_BYTES (64u << 20)  /* a samples file larger is refused */
#define DIST_BAD_CELLS_MAX 20                /* then "and N more" */

static const char *const KINDS[] = {"normal", "lognormal", "uniform", "triangular", "samples",
				    NULL};

int bo__study_is_dist(const ynode *n)
{
	size_t k;
	if (!n || n->type != YN_MAP || n->n < 2 || n->kids[0]->type != YN_SCALAR)
		return 0;
	for (k = 0; KINDS[k]; k++)
		if (strcmp(n->kids[0]->str, KINDS[k]) == 0)
			return 1;
	return 0;
}

/* The numbers of list l into v (want of them); -1 after a diagnostic. */
static int read_list(rd *r, const ynode *l, const char *what, const char *kind,
		     const char *shape, double *v, size_t want)
{
	size_t i;
	int bad = 0;
	if (l->type != YN_SEQ) {
		bo__yaml_diag(r, l, "%s: %s takes a list %s, found %s", what, kind, shape,
			      bo__yaml_kind(l));
		return -1;
	}
	if (l->n != want) {
		bo__yaml_diag(r, l, "%s: %s takes a list %s, found a list of %zu item%s", what, kind,
			      shape, l->n, l->n == 1 ? "" : "s");
		return -1;
	}
	for (i = 0; i < want; i++)
		if (bo__yaml_number(r, l->kids[i], what, &v[i]) < 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* Where field col of the row starting on line `line` of a CSV text begins,
 * as a 1-based line and column (bytes), so that a bad sample is named by
 * file:line:col. Walks the text as RFC 4180 reads it (a quoted field may
 * hold commas and line breaks); the row was read already, so it exists. */
static void cell_pos(const char *text, size_t len, int line, size_t col, int *oline, int *ocol)
{
	const char *p = text, *end = text + len, *bol;
	int ln = 1;
	size_t k;
	while (p < end && ln < line)
		if (*p++ == '\n')
			ln++;
	bol = p;
	for (k = 0; k < col && p < end; k++) {
		int quoted = 0;
		while (p < end && (quoted || (*p != ',' && *p != '\n'))) {
			if (*p == '"')
				quoted = !quoted;   /* "" inside: off and on again */
			else if (*p == '\n') {
				ln++;
				bol = p + 1;
			}
			p++;
		}
		if (p < end && *p == ',')
			p++;
	}
	*oline = ln;
	*ocol = (int)(p - bol) + 1;
}

/* Reads the samples file of {samples: file.csv, column: c}. */
static int read_samples(rd *r, const ynode *m, const char *what, bo_dist *d, int is_price)
{
	const ynode *fn = bo__yaml_get(m, "samples"), *cn = bo__yaml_get(m, "column");
	const char *file, *colname = NULL;
	bo_strbuf path = BO_STRBUF_INIT;
	char *text = NULL;
	bo_csv *csv = NULL;
	FILE *f = NULL;
	struct stat st;
	size_t len = 0, i, nbad = 0;
	int col = -1, rc = -1;
	/* rc is -1 until the end, also after a failed parse */

	if (!(file = bo__yaml_text(r, fn, what)))
		return -1;
	if (cn && !(colname = bo__yaml_text(r, cn, what)))
		return -1;
	if (file[0] != '/' && r->s->dir) {
		bo__sb_puts(&path, r->s->dir);
		bo__sb_putc(&path, '/');
	}
	bo__sb_puts(&path, file);
	if (path.failed) {
		r->nomem = 1;
		goto done;
	}
	f = fopen(path.s, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		bo__yaml_diag(r, fn, "%s: cannot open samples file %s: %s (a path relative to the "
				     "study file's folder)", what, file, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > DIST_MAX_SAMPLES_BYTES) {
		bo__yaml_diag(r, fn, "%s: samples file %s is not a regular file of at most 64 MiB",
			      what, file);
		goto done;
	}
	if (!(text = bo__malloc((size_t)st.st_size + 1))) {
		r->nomem = 1;
		goto done;
	}
	len = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		bo__yaml_diag(r, fn, "%s: cannot read samples file %s", what, file);
		goto done;
	}
	text[len] = '\0';
	if ((rc = bo__csv_parse(&csv, text, len, file)) < 0) {
		if (rc == BO_ENOMEM)
			r->nomem = 1;
		else
			bo__yaml_diag(r, fn, "%s: %s", what, bo_error_last());
		rc = -1;
		goto done;
	}
	rc = -1;
	if (colname) {
		col = bo__csv_col(csv, colname);
		if (col < 0) {
			bo__yaml_diag(r, cn, "%s: samples file %s has no column \"%s\"", what, file,
				      colname);
			goto done;
		}
	} else if (csv->ncols == 1) {
		col = 0;
	} else {
		bo__yaml_diag(r, m, "%s: samples file %s has %zu columns: say which with "
				    "column: NAME", what, file, csv->ncols);
		goto done;
	}
	if (!csv->nrows) {
		bo__yaml_diag(r, fn, "%s: samples file %s has no rows", what, file);
		goto done;
	}
	if (!(d->samples = bo__calloc(csv->nrows, sizeof(double)))) {
		r->nomem = 1;
		goto done;
	}
	for (i = 0; i < csv->nrows; i++) {
		const char *cell = csv->cells[i * csv->ncols + (size_t)col];
		char why[128];
		double x;
		int k = bo__csv_number(cell, &x, why, sizeof why);
		if (k == 0 && !(x >= 0) && is_price) {
			k = BO_EINVAL;
			snprintf(why, sizeof why, "a price must be >= 0");
		}
		if (k != 0) {
			if (nbad < DIST_BAD_CELLS_MAX) {
				int cl, cc;
				cell_pos(text, len, csv->lines[i], (size_t)col, &cl, &cc);
				bo__yaml_diag(r, fn, "%s: %s:%d:%d: column \"%s\": %s", what, file, cl,
					      cc, csv->header[col],
					      k == 1 ? "empty cell (every sample must be a number)"
						     : why);
			}
			nbad++;
			continue;
		}
		d->samples[d->nsamples++] = x;
	}
	if (nbad > DIST_BAD_CELLS_MAX)
		bo__yaml_diag(r, fn, "%s: and %zu more bad cells in %s", what,
			      nbad - DIST_BAD_CELLS_MAX, file);
	rc = nbad ? -1 : 0;
done:
	if (f)
		fclose(f);
	bo__free(text);
	bo__csv_free(csv);
	bo__sb_clear(&path);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Adds d to the study's list of uncertain numbers (which owns it). */
static int enlist(rd *r, bo_dist *d)
{
	bo_study *s = r->s;
	bo_dist **v = bo__realloc(s->uncertain, s->nuncertain + 1, sizeof *v);
	if (!v)
		return -1;
	s->uncertain = v;
	d->slot = s->nuncertain;
	s->uncertain[s->nuncertain++] = d;
	return 0;
}

bo_dist *bo__study_read_dist(rd *r, const ynode *n, const char *name, const char *what,
			     int is_price)
{
	const ynode *key = n->kids[0], *val = n->kids[1];
	bo_dist *d = bo__calloc(1, sizeof *d);
	const char *kind = key->str;
	double v[3] = {0, 0, 0};
	size_t i;
	int bad = 0;

	if (!d || !(d->name = bo__strdup(name)) || enlist(r, d) < 0) {
		bo__dist_free(d);
		r->nomem = 1;
		return NULL;
	}
	/* from here d belongs to the study */
	for (i = 2; i + 1 < n->n; i += 2) {
		const ynode *k = n->kids[i];
		if (strcmp(kind, "samples") == 0 && k->type == YN_SCALAR &&
		    strcmp(k->str, "column") == 0)
			continue;
		bo__yaml_diag(r, k, "%s: unknown key \"%s\" beside %s:%s", what,
			      k->type == YN_SCALAR ? k->str : "?", kind,
			      strcmp(kind, "samples") == 0 ? " (only column: may follow)"
							   : " (one distribution per number)");
		bad = 1;
	}
	if (bad)
		return NULL;
	if (strcmp(kind, "normal") == 0) {
		d->kind = BO_DIST_NORMAL;
		if (read_list(r, val, what, kind, "[mean, sd]", v, 2) < 0)
			return NULL;
		if (!(v[1] > 0)) {
			bo__yaml_diag(r, val->kids[1], "%s: normal: the sd must be > 0, found %g", what,
				      v[1]);
			return NULL;
		}
		if (is_price && v[0] < 0) {
			bo__yaml_diag(r, val->kids[0], "%s: normal: a price's mean must be >= 0, "
						       "found %g", what, v[0]);
			return NULL;
		}
	} else if (strcmp(kind, "lognormal") == 0) {
		const ynode *md, *q;
		d->kind = BO_DIST_LOGNORMAL;
		if (val->type != YN_MAP || !(md = bo__yaml_get(val, "median")) ||
		    !(q = bo__yaml_get(val, "p95")) || val->n != 4) {
			bo__yaml_diag(r, val, "%s: lognormal takes {median: m, p95: q} (the value "
					      "exceeded 5%% of the time), found %s", what,
				      bo__yaml_kind(val));
			return NULL;
		}
		if (bo__yaml_number(r, md, what, &v[0]) < 0 || bo__yaml_number(r, q, what, &v[1]) < 0)
			return NULL;
		if (!(v[0] > 0)) {
			bo__yaml_diag(r, md, "%s: lognormal: the median must be > 0, found %g", what,
				      v[0]);
			return NULL;
		}
		if (!(v[1] > v[0])) {
			bo__yaml_diag(r, q, "%s: lognormal: p95 must be greater than the median "
					    "(%g), found %g", what, v[0], v[1]);
			return NULL;
		}
		/* median = exp(mu); p95 = exp(mu + z95 sigma) */
		v[1] = (log(v[1]) - log(v[0])) / BO_Z95;
		v[0] = log(v[0]);
	} else if (strcmp(kind, "uniform") == 0) {
		d->kind = BO_DIST_UNIFORM;
		if (read_list(r, val, what, kind, "[low, high]", v, 2) < 0)
			return NULL;
		if (!(v[0] < v[1])) {
			bo__yaml_diag(r, val->kids[1], "%s: uniform: low must be less than high, "
						       "found [%g, %g]", what, v[0], v[1]);
			return NULL;
		}
		if (is_price && v[0] < 0) {
			bo__yaml_diag(r, val->kids[0], "%s: uniform: a price must be >= 0, found "
						       "low %g", what, v[0]);
			return NULL;
		}
	} else if (strcmp(kind, "triangular") == 0) {
		d->kind = BO_DIST_TRIANGULAR;
		if (read_list(r, val, what, kind, "[low, mode, high]", v, 3) < 0)
			return NULL;
		if (!(v[0] <= v[1] && v[1] <= v[2] && v[0] < v[2])) {
			bo__yaml_diag(r, val, "%s: triangular: need low <= mode <= high and "
					      "low < high, found [%g, %g, %g]", what, v[0], v[1],
				      v[2]);
			return NULL;
		}
		if (is_price && v[0] < 0) {
			bo__yaml_diag(r, val->kids[0], "%s: triangular: a price must be >= 0, "
						       "found low %g", what, v[0]);
			return NULL;
		}
	} else {
		d->kind = BO_DIST_SAMPLES;
		if (read_samples(r, n, what, d, is_price) < 0)
			return NULL;
		qsort(d->samples, d->nsamples, sizeof(double), cmp_double);
	}
	memcpy(d->p, v, sizeof v);
	if (d->kind == BO_DIST_SAMPLES)
		d->p[0] = d->p[1] = d->p[2] = 0;
	d->mean = bo__dist_mean(d);
	if (!isfinite(d->mean)) {
		bo__yaml_diag(r, n, "%s: %s: the mean is not a finite number", what, kind);
		return NULL;
	}
	return d;
}

long bo__study_guardrail_prob(rd *r, const ynode *n, const char *text, double *prob)
{
	static const char WP[] = "with probability";
	const char *at = NULL, *p = text, *q, *num;
	char *end;
	size_t len = strlen(text);
	int col;
	*prob = 0;
	/* the last " with probability" that follows a space */
	while ((p = strstr(p, WP)) != NULL) {
		if (p > text && (p[-1] == ' ' || p[-1] == '\t'))
			at = p;
		p += sizeof WP - 1;
	}
	if (!at)
		return (long)len;
	q = at + sizeof WP - 1;
	while (*q == ' ' || *q == '\t')
		q++;
	col = n->col + n->quote;
	for (p = text; p < q; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			col++;
	if (strncmp(q, ">=", 2) != 0) {
		ynode at_op = *n;
		at_op.col = col;
		bo__yaml_diag(r, &at_op, "guardrail: expected \">= P\" after \"with probability\" "
				    "(such as \"with probability >= 0.95\")");
		return -1;
	}
	num = q + 2;
	while (*num == ' ' || *num == '\t')
		num++;
	errno = 0;
	*prob = strtod(num, &end);
	while (end && (*end == ' ' || *end == '\t'))
		end++;
	if (end == num || *end) {
		ynode at_num = *n;
		at_num.col = col + (int)(num - q);
		bo__yaml_diag(r, &at_num, "guardrail: the probability must be a number between 0 "
					  "and 1, such as 0.95");
		*prob = 0;
		return -1;
	}
	if (!(*prob > 0 && *prob < 1)) {
		ynode at_num = *n;
		at_num.col = col + (int)(num - q);
		bo__yaml_diag(r, &at_num, "guardrail: the probability must be between 0 and 1 "
					  "(exclusive), found %g", *prob);
		*prob = 0;
		return -1;
	}
	/* the expression: the text before " with probability" */
	while (at > text && (at[-1] == ' ' || at[-1] == '\t'))
		at--;
	if (at == text) {
		bo__yaml_diag(r, n, "guardrail: nothing before \"with probability\"");
		*prob = 0;
		return -1;
	}
	return (long)(at - text);
}

/* ---- observations (budgetopt observe) ------------------------------------ */

bo_dist **bo__study_find_dist(bo_study *s, int is_price, const char *name, double **value)
{
	char table[128];
	const char *dot;
	bo_price *p;
	size_t j;
	int k;
	if (!is_price) {
		if ((k = bo__study_find_input(s, name)) < 0)
			return NULL;
		*value = &s->inputs[k].value;
		return &s->inputs[k].dist;
	}
	if ((k = bo__study_find_price(s, name)) >= 0 && !s->prices.items[k].is_table) {
		*value = &s->prices.items[k].value;
		return &s->prices.items[k].dist;
	}
	dot = strrchr(name, '.');
	if (!dot || (size_t)(dot - name) >= sizeof table)
		return NULL;
	memcpy(table, name, (size_t)(dot - name));
	table[dot - name] = '\0';
	if ((k = bo__study_find_price(s, table)) < 0 || !s->prices.items[k].is_table)
		return NULL;
	p = &s->prices.items[k];
	for (j = 0; j < p->nkeys && strcmp(p->keys[j], dot + 1); j++)
		;
	if (j == p->nkeys || !p->dists)
		return NULL;
	*value = &p->values[j];
	return &p->dists[j];
}

/* "price gpu_hours.a100" or "input qps": *is_price and the name, or -1. */
static int observed_entry(const char *detail, int *is_price, const char **name)
{
	if (!detail)
		return -1;
	if (!strncmp(detail, "price ", 6))
		*is_price = 1;
	else if (!strncmp(detail, "input ", 6))
		*is_price = 0;
	else
		return -1;
	*name = detail + 6;
	return 0;
}

int bo__study_observe(bo_study *s, const char *const *detail, const double *x, size_t n, size_t *applied,
		      size_t *ignored)
{
	double *v = NULL;
	unsigned char *done = NULL;
	size_t i, j, m;
	*applied = *ignored = 0;
	if (!(v = bo__calloc(n + 1, sizeof *v)) || !(done = bo__calloc(n + 1, 1))) {
		bo__free(v);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		int is_price, ip2;
		const char *name, *n2;
		double *value;
		bo_dist **d;
		if (done[i] || observed_entry(detail[i], &is_price, &name) < 0)
			continue;
		/* every observation of this entry, in order, at once */
		for (m = 0, j = i; j < n; j++) {
			if (done[j] || observed_entry(detail[j], &ip2, &n2) < 0 || ip2 != is_price ||
			    strcmp(n2, name))
				continue;
			v[m++] = x[j];
			done[j] = 1;
		}
		d = bo__study_find_dist(s, is_price, name, &value);
		if (!d || !*d || bo__dist_observe(*d, v, m) < 0) {
			*ignored += m;
			continue;
		}
		*value = (*d)->mean;
		*applied += m;
	}
	bo__free(v);
	bo__free(done);
	return 0;
}
