/*
 * runner/protocol.c - parsing evaluator reports (JSON lines) with jansson.
 *
 * Must never trust the evaluator: any line may be garbage, huge, nested,
 * or lie; the worst outcome is a failed trial with a reason.
 */
#include "runner/protocol.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strbuf.h"

void bo__report_init(bo_report *r)
{
	memset(r, 0, sizeof *r);
}

/* Frees the names, keeping the array for the next report. */
static void kv_reset(bo_kv *kv, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		bo__free(kv[i].name);
}

void bo__report_clear(bo_report *r)
{
	bo__kv_free(r->metrics, r->nmetrics);
	bo__kv_free(r->usage, r->nusage);
	bo__kv_free(r->step, r->nstep);
	bo__kv_free(r->step_usage, r->nstep_usage);
	bo__free(r->problem);
	bo__free(r->first_bad);
	memset(r, 0, sizeof *r);
}

/* Replaces the bare tokens NaN, Infinity and -Infinity outside strings by
 * marker strings so that jansson parses the line and we know which values
 * were not finite, and which of the three each was (one marker for all
 * three once turned an Infinity into "nan" in a failure reason). */
#define MARK_NAN "\"\\u0001NaN\""
#define MARK_INF "\"\\u0001Infinity\""
#define MARK_NINF "\"\\u0001-Infinity\""

static char *sanitize(const char *line, size_t len)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t i = 0;
	int in_str = 0;
	while (i < len) {
		char c = line[i];
		if (in_str) {
			bo__sb_putc(&sb, c);
			if (c == '\\' && i + 1 < len) {
				bo__sb_putc(&sb, line[i + 1]);
				i += 2;
				continue;
			}
			if (c == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (len - i >= 3 && !strncmp(line + i, "NaN", 3)) {
			bo__sb_puts(&sb, MARK_NAN);
			i += 3;
			continue;
		} else if (len - i >= 8 && !strncmp(line + i, "Infinity", 8)) {
			bo__sb_puts(&sb, MARK_INF);
			i += 8;
			continue;
		} else if (len - i >= 9 && !strncmp(line + i, "-Infinity", 9)) {
			bo__sb_puts(&sb, MARK_NINF);
			i += 9;
			continue;
		}
		bo__sb_putc(&sb, c);
		i++;
	}
	return bo__sb_take(&sb);
}

/* 1 and *x set when v is one of the markers above. */
static int nonfinite_mark(json_t *v, double *x)
{
	const char *t = json_is_string(v) ? json_string_value(v) : NULL;
	if (!t || t[0] != '\x01')
		return 0;
	if (!strcmp(t + 1, "NaN"))
		*x = NAN;
	else if (!strcmp(t + 1, "Infinity"))
		*x = INFINITY;
	else if (!strcmp(t + 1, "-Infinity"))
		*x = -INFINITY;
	else
		return 0;
	return 1;
}

void bo__fmt_number(double x, char *buf, size_t size)
{
	if (isnan(x))
		snprintf(buf, size, "NaN");
	else if (isinf(x))
		snprintf(buf, size, "%s", x > 0 ? "Infinity" : "-Infinity");
	else
		snprintf(buf, size, "%.15g", x);
}

int bo__usage_check(double a, char *why, size_t size)
{
	char num[40];
	bo__fmt_number(a, num, sizeof num);
	if (!isfinite(a))
		snprintf(why, size, "%s is not a finite number", num);
	else if (a < 0)
		snprintf(why, size, "%s is negative", num);
	else if (a > BO_USAGE_MAX)
		snprintf(why, size, "%s is above the limit of %g units a trial may report", num,
			 BO_USAGE_MAX);
	else
		return 0;
	return -1;
}

static void set_problem(bo_report *r, const char *msg)
{
	if (!r->problem)
		r->problem = bo__strdup(msg);
}

/* Reads an object of numbers into kv (replacing its contents). */
static int read_numbers(bo_report *r, json_t *obj, const char *what, bo_kv **kv,
			size_t *n, size_t *cap)
{
	const char *key;
	json_t *v;
	char msg[300];
	kv_reset(*kv, *n);
	*n = 0;
	if (!json_is_object(obj)) {
		snprintf(msg, sizeof msg, "\"%s\" in the final report is not an object", what);
		set_problem(r, msg);
		return 0;
	}
	json_object_foreach(obj, key, v) {
		double x;
		if (json_is_number(v)) {
			x = json_number_value(v);
		} else if (nonfinite_mark(v, &x)) {
			/* x set */
		} else if (json_is_null(v)) {
			x = NAN;
		} else {
			snprintf(msg, sizeof msg, "%s \"%.100s\" is not a number", what, key);
			set_problem(r, msg);
			continue;
		}
		if (bo__kv_push(kv, n, cap, key, x) < 0)
			return BO_ENOMEM;
	}
	return 0;
}

int bo__report_line(bo_report *r, const char *line, size_t len, int too_long,
		    bo_report_step *step)
{
	json_t *root = NULL, *m, *u, *st;
	json_error_t jerr;
	char *clean = NULL;
	int rc = 0;
	size_t i = 0;

	r->nlines++;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == len || line[i] != '{')
		return 0;                     /* an ordinary log line */
	if (too_long) {
		r->nbad++;
		if (!r->first_bad)
			r->first_bad = bo__strdup("a report line was longer than the line limit");
		return 0;
	}
	clean = sanitize(line + i, len - i);
	if (!clean)
		return BO_ENOMEM;
	/* Integers too big for 64 bits are valid JSON: read every number as a
	 * double (the step is checked to be a whole number below). */
	root = json_loads(clean, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root || !json_is_object(root)) {
		char msg[300];
		r->nbad++;
		if (!r->first_bad) {
			snprintf(msg, sizeof msg, "line %zu is not valid JSON: %s", r->nlines,
				 root ? "not an object" : jerr.text);
			r->first_bad = bo__strdup(msg);
		}
		goto done;
	}
	st = json_object_get(root, "step");
	m = json_object_get(root, "metrics");
	u = json_object_get(root, "usage");
	if (st) {
		/* Intermediate report: hand it over; it never replaces the final one. */
		const char *key;
		json_t *v;
		kv_reset(r->step, r->nstep);
		r->nstep = 0;
		int step_ok = json_is_number(st) &&
			      json_number_value(st) == floor(json_number_value(st)) &&
			      fabs(json_number_value(st)) <= BO_STEP_MAX;
		if (step_ok && json_is_object(u)) {
			/* Usage so far: kept for charging a trial that never ends.
			 * Figures that would be refused in a final report are skipped. */
			kv_reset(r->step_usage, r->nstep_usage);
			r->nstep_usage = 0;
			json_object_foreach(u, key, v) {
				if (!json_is_number(v) ||
				    bo__usage_check(json_number_value(v), NULL, 0) < 0)
					continue;
				if (bo__kv_push(&r->step_usage, &r->nstep_usage, &r->capstep_usage, key,
						json_number_value(v)) < 0) {
					rc = BO_ENOMEM;
					goto done;
				}
			}
		}
		if (!step_ok || !json_is_object(m))
			goto done;
		json_object_foreach(m, key, v) {
			if (!json_is_number(v))
				continue;
			if (bo__kv_push(&r->step, &r->nstep, &r->capstep, key, json_number_value(v)) < 0) {
				rc = BO_ENOMEM;
				goto done;
			}
		}
		step->step = (int64_t)json_number_value(st);
		step->n = r->nstep;
		step->metrics = r->step;
		rc = 1;
		goto done;
	}
	if (!m && !u)
		goto done;                    /* some other JSON the evaluator logs */
	/* A later final report replaces an earlier one entirely. */
	r->has_final = 1;
	bo__free(r->problem);
	r->problem = NULL;
	kv_reset(r->metrics, r->nmetrics);
	r->nmetrics = 0;
	kv_reset(r->usage, r->nusage);
	r->nusage = 0;
	if (m && (rc = read_numbers(r, m, "metric", &r->metrics, &r->nmetrics, &r->capmetrics)) < 0)
		goto done;
	if (u && (rc = read_numbers(r, u, "usage", &r->usage, &r->nusage, &r->capusage)) < 0)
		goto done;
done:
	json_decref(root);
	bo__free(clean);
	return rc;
}

int bo__report_file(bo_report *r, const char *path, size_t max_bytes)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n, start, i;
	int rc = 0;
	bo_report_step step;
	if (!f)
		return 0;
	buf = bo__malloc(max_bytes + 1);
	if (!buf) {
		fclose(f);
		return BO_ENOMEM;
	}
	n = fread(buf, 1, max_bytes, f);
	fclose(f);
	buf[n] = '\0';
	for (start = 0, i = 0; i <= n; i++) {
		if (i == n || buf[i] == '\n') {
			if (i > start && (rc = bo__report_line(r, buf + start, i - start, 0, &step)) < 0)
				break;
			rc = 0;
			start = i + 1;
		}
	}
	bo__free(buf);
	return rc;
}
