/*
 * core/study_tree.c - the positioned YAML tree of a study file and its
 * diagnostics: libyaml's events become a small tree of our own that keeps
 * every node's line and column (aliases resolved, depth bounded), and the
 * typed reads of its scalars (numbers, integers, booleans, durations,
 * text), mappings and sequences, each of which reports a problem as one
 * "file:line:col: message (hint)" line in a bo_diags, with "did you mean".
 * The section readers (core/study_yaml.c and core/study_*.c) walk it.
 *
 * Must never print, exit, abort, or recurse without bound: the tree is at
 * most BO_YAML_MAX_DEPTH deep (aliases included). Any byte string must
 * give a tree or diagnostics.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ---- diagnostics ------------------------------------------------------ */

size_t bo_diags_count(const bo_diags *d)
{
	return d ? d->n : 0;
}

const char *bo_diags_get(const bo_diags *d, size_t i)
{
	return d && i < d->n ? d->lines[i] : NULL;
}

void bo_diags_free(bo_diags *d)
{
	size_t i;
	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		bo__free(d->lines[i]);
	bo__free(d->lines);
	bo__free(d->order);
	bo__free(d);
}

/* ---- the YAML tree: core/study_yaml_int.h ----------------------------- */

void bo__yaml_diag_at(rd *r, int line, int col, const char *fmt, ...)
{
	char msg[1024], full[1300];
	va_list ap;
	char *p;
	if (r->nomem || r->toomany)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->diags->n >= BO_MAX_DIAGS) {
		snprintf(full, sizeof full, "%s: too many problems; stopped after %d", r->file,
			 BO_MAX_DIAGS);
		r->toomany = 1;
	} else if (line > 0)
		snprintf(full, sizeof full, "%s:%d:%d: %s", r->file, line, col, msg);
	else
		snprintf(full, sizeof full, "%s: %s", r->file, msg);
	if (bo__grow(&r->diags->lines, &r->diags->cap, r->diags->n + 1, sizeof(char *)) < 0 ||
	    bo__grow(&r->diags->order, &r->diags->ocap, r->diags->n + 1, sizeof(long)) < 0) {
		r->nomem = 1;
		return;
	}
	r->diags->order[r->diags->n] = r->toomany ? LONG_MAX
				       : (long)(line > 0 ? line : 0) * (1L << 20) +
						 (col > 0 && col < (1 << 20) ? col : 0);
	p = bo__strdup(full);
	if (!p) {
		r->nomem = 1;
		return;
	}
	r->diags->lines[r->diags->n++] = p;
}

/* Puts the problems in file order (insertion sort: stable, and there are
 * at most BO_MAX_DIAGS + 1 of them). */
void bo__yaml_diags_sort(bo_diags *d)
{
	size_t i, j;
	for (i = 1; i < d->n; i++) {
		long o = d->order[i];
		char *l = d->lines[i];
		for (j = i; j > 0 && d->order[j - 1] > o; j--) {
			d->order[j] = d->order[j - 1];
			d->lines[j] = d->lines[j - 1];
		}
		d->order[j] = o;
		d->lines[j] = l;
	}
}


/* A short printable rendering of a user's text for messages. */
const char *bo__yaml_shown(const char *s, char buf[48])
{
	size_t i, k = 0;
	for (i = 0; s[i] && k < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i] && k >= 40) {
		buf[k++] = '.';
		buf[k++] = '.';
		buf[k++] = '.';
	}
	buf[k] = '\0';
	return buf;
}

/* ---- "did you mean" ----------------------------------------------------- */


/* Levenshtein distance, giving up above BO_SUGGEST_MAX_DIST. */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int prev[65], cur[65];
	if (la > 64 || lb > 64)
		return BO_SUGGEST_MAX_DIST + 1;
	if ((la > lb ? la - lb : lb - la) > BO_SUGGEST_MAX_DIST)
		return BO_SUGGEST_MAX_DIST + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(int));
	}
	return prev[lb];
}

void bo__suggest_init(suggest *sg, const char *name)
{
	sg->name = name;
	sg->best = NULL;
	sg->bestd = INT_MAX;
}

void bo__suggest_try(suggest *sg, const char *cand)
{
	int d;
	size_t ln = strlen(sg->name), lc = strlen(cand);
	if (!cand || strcmp(cand, sg->name) == 0)
		return;
	d = edit_distance(sg->name, cand);
	if (d > BO_SUGGEST_MAX_DIST) {
		/* a prefix either way ("acc" for "accuracy") is a good guess too */
		if (ln >= 2 && lc >= 2 &&
		    (strncmp(cand, sg->name, ln) == 0 || strncmp(sg->name, cand, lc) == 0))
			d = BO_SUGGEST_MAX_DIST + 1;
		else
			return;
	}
	if (d < sg->bestd) {
		sg->bestd = d;
		sg->best = cand;
	}
}

/* " (did you mean \"x\"?)" or "" */
const char *bo__suggest_hint(const suggest *sg, char buf[128])
{
	char tmp[48];
	if (!sg->best)
		return "";
	snprintf(buf, 128, " (did you mean \"%s\"?)", bo__yaml_shown(sg->best, tmp));
	return buf;
}

/* ---- building the tree from libyaml events ----------------------------- */

static ynode *node_new(rd *r, int type, const yaml_mark_t *m)
{
	ynode *n;
	if (bo__grow(&r->all, &r->capall, r->nall + 1, sizeof(ynode *)) < 0) {
		r->nomem = 1;
		return NULL;
	}
	n = bo__calloc(1, sizeof *n);
	if (!n) {
		r->nomem = 1;
		return NULL;
	}
	n->type = type;
	n->line = (int)(m->line + 1 > INT_MAX ? INT_MAX : m->line + 1);
	n->col = (int)(m->column + 1 > INT_MAX ? INT_MAX : m->column + 1);
	n->height = 1;
	r->all[r->nall++] = n;
	return n;
}

void bo__yaml_tree_free(rd *r)
{
	size_t i;
	for (i = 0; i < r->nall; i++) {
		bo__free(r->all[i]->str);
		bo__free(r->all[i]->kids);
		bo__free(r->all[i]);
	}
	bo__free(r->all);
	r->all = NULL;
	r->nall = r->capall = 0;
	for (i = 0; i < r->nanchors; i++)
		bo__free(r->anchors[i].name);
	bo__free(r->anchors);
	r->anchors = NULL;
	r->nanchors = 0;
}

static int node_append(rd *r, ynode *parent, ynode *kid)
{
	if (bo__grow(&parent->kids, &parent->cap, parent->n + 1, sizeof(ynode *)) < 0) {
		r->nomem = 1;
		return -1;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static int anchor_add(rd *r, const char *name, ynode *n)
{
	char *copy;
	if (bo__grow(&r->anchors, &r->capanchors, r->nanchors + 1, sizeof(anchor)) < 0) {
		r->nomem = 1;
		return -1;
	}
	copy = bo__strdup(name);
	if (!copy) {
		r->nomem = 1;
		return -1;
	}
	r->anchors[r->nanchors].name = copy;
	r->anchors[r->nanchors].node = n;
	r->nanchors++;
	return 0;
}

static ynode *anchor_find(rd *r, const char *name)
{
	size_t i = r->nanchors;
	while (i-- > 0)                  /* the latest definition wins */
		if (strcmp(r->anchors[i].name, name) == 0)
			return r->anchors[i].node;
	return NULL;
}

/* Line and column (1-based, in characters) of a byte offset. */
static void offset_pos(const rd *r, size_t off, int *line, int *col)
{
	size_t i;
	int l = 1, c = 1;
	if (off > r->len)
		off = r->len;
	for (i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)r->text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void yaml_problem(rd *r, const yaml_parser_t *p)
{
	int line, col;
	const char *problem = p->problem ? p->problem : "unknown problem";
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		r->nomem = 1;
		break;
	case YAML_READER_ERROR:
		offset_pos(r, p->problem_offset, &line, &col);
		{
			char val[32] = "";
			if (p->problem_value > 0xff)
				snprintf(val, sizeof val, " (#x%04X)", (unsigned)p->problem_value);
			else if (p->problem_value >= 0)
				snprintf(val, sizeof val, " (byte #x%02X)", (unsigned)p->problem_value);
			bo__yaml_diag_at(r, line, col, "%s%s%s", problem, val,
				 (strstr(problem, "UTF") || strstr(problem, "Unicode"))
					 ? " (the file must be UTF-8 text)"
					 : "");
		}
		break;
	default:
		if (p->context)
			bo__yaml_diag_at(r, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
				 "yaml syntax error: %s (%s at line %d column %d)", problem,
				 p->context, (int)p->context_mark.line + 1,
				 (int)p->context_mark.column + 1);
		else
			bo__yaml_diag_at(r, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
				 "yaml syntax error: %s", problem);
		break;
	}
}

static int cmp_key_ptr(const void *a, const void *b)
{
	const ynode *x = *(ynode *const *)a, *y = *(ynode *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : (x->col > y->col);
}

/* Reports scalars of v (n of them, every stride-th) that repeat an earlier
 * one: what is "duplicate key", "duplicate choice"... Sorting keeps it fast
 * for very long mappings. */
void bo__yaml_report_dups(rd *r, ynode **v, size_t n, size_t stride, const char *what)
{
	ynode **tmp;
	size_t i, k = 0;
	char buf[48];
	if (n / stride < 2)
		return;
	tmp = bo__calloc(n / stride + 1, sizeof *tmp);
	if (!tmp) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < n; i += stride)
		if (v[i]->type == YN_SCALAR)
			tmp[k++] = v[i];
	qsort(tmp, k, sizeof *tmp, cmp_key_ptr);
	for (i = 1; i < k; i++) {
		size_t first = i - 1;
		if (tmp[i]->len == tmp[first]->len && memcmp(tmp[i]->str, tmp[first]->str, tmp[i]->len) == 0) {
			while (first > 0 && tmp[first - 1]->len == tmp[i]->len &&
			       memcmp(tmp[first - 1]->str, tmp[i]->str, tmp[i]->len) == 0)
				first--;
			DIAG(r, tmp[i], "duplicate %s \"%s\" (first at line %d column %d)", what,
			     bo__yaml_shown(tmp[i]->str, buf), tmp[first]->line, tmp[first]->col);
		}
	}
	bo__free(tmp);
}

typedef struct frame {
	ynode *node;
	char *anchor;
} frame;

/* Builds r->root. Returns 0, or -1 when the file cannot be read further
 * (its problem is in the diagnostics). */
int bo__yaml_build_tree(rd *r)
{
	yaml_parser_t p;
	yaml_event_t ev;
	frame stack[BO_YAML_MAX_DEPTH + 1];
	size_t depth = 0, i;
	int ndocs = 0, rc = -1, done = 0;

	if (!yaml_parser_initialize(&p)) {
		r->nomem = 1;
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)r->text, r->len);
	while (!done) {
		ynode *n = NULL;
		const char *anc = NULL;
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_problem(r, &p);
			goto done;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				bo__yaml_diag_at(r, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					 "more than one YAML document (a study file holds one; remove the "
					 "second \"---\")");
				yaml_event_delete(&ev);
				goto done;
			}
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(r, YN_SCALAR, &ev.start_mark);
			if (!n)
				break;
			n->str = bo__strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			if (!n->str) {
				r->nomem = 1;
				break;
			}
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
				   !(ev.data.scalar.tag && strcmp((const char *)ev.data.scalar.tag,
								  "tag:yaml.org,2002:str") == 0);
			n->quote = ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
				   ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
			anc = (const char *)ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= BO_YAML_MAX_DEPTH) {
				bo__yaml_diag_at(r, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					 "the document is nested deeper than %d levels",
					 BO_YAML_MAX_DEPTH);
				yaml_event_delete(&ev);
				goto done;
			}
			n = node_new(r, ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP,
				     &ev.start_mark);
			if (!n)
				break;
			stack[depth].node = n;
			stack[depth].anchor = NULL;
			anc = ev.type == YAML_SEQUENCE_START_EVENT
				      ? (const char *)ev.data.sequence_start.anchor
				      : (const char *)ev.data.mapping_start.anchor;
			if (anc) {
				/* registered when complete: an alias inside its own
				 * anchor is unknown, so the tree has no cycles */
				stack[depth].anchor = bo__strdup(anc);
				if (!stack[depth].anchor)
					r->nomem = 1;
			}
			depth++;
			yaml_event_delete(&ev);
			if (r->nomem)
				goto done;
			continue;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth == 0)
				break;
			depth--;
			n = stack[depth].node;
			for (i = 0; i < n->n; i++)
				if (n->kids[i]->height + 1 > n->height)
					n->height = n->kids[i]->height + 1;
			if (n->type == YN_MAP) {
				for (i = 0; i < n->n; i += 2)
					if (n->kids[i]->type != YN_SCALAR)
						DIAG(r, n->kids[i],
						     "a key must be a plain name, found a %s",
						     n->kids[i]->type == YN_MAP ? "mapping" : "list");
				bo__yaml_report_dups(r, n->kids, n->n, 2, "key");
			}
			if (stack[depth].anchor) {
				anchor_add(r, stack[depth].anchor, n);
				bo__free(stack[depth].anchor);
				stack[depth].anchor = NULL;
			}
			break;
		case YAML_ALIAS_EVENT:
			n = anchor_find(r, (const char *)ev.data.alias.anchor);
			if (!n) {
				char buf[48];
				bo__yaml_diag_at(r, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					 "unknown alias \"*%s\" (an alias must follow its anchor and "
					 "cannot refer to itself)",
					 bo__yaml_shown((const char *)ev.data.alias.anchor, buf));
				yaml_event_delete(&ev);
				goto done;
			}
			break;
		default:
			break;
		}
		if (r->nomem) {
			yaml_event_delete(&ev);
			goto done;
		}
		if (n) {
			if (depth + (size_t)n->height > BO_YAML_MAX_DEPTH) {
				bo__yaml_diag_at(r, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
					 "the document is nested deeper than %d levels",
					 BO_YAML_MAX_DEPTH);
				yaml_event_delete(&ev);
				goto done;
			}
			if (anc && ev.type == YAML_SCALAR_EVENT)
				anchor_add(r, anc, n);
			if (depth > 0)
				node_append(r, stack[depth - 1].node, n);
			else if (!r->root)
				r->root = n;
		}
		yaml_event_delete(&ev);
		if (r->nomem)
			goto done;
	}
	if (ndocs == 0 || !r->root) {
		bo__yaml_diag_at(r, 1, 1, "the study file is empty (it needs at least \"name\", "
				  "\"space\" and \"evaluator\")");
		goto done;
	}
	rc = 0;
done:
	for (i = 0; i < depth; i++)
		bo__free(stack[i].anchor);
	yaml_parser_delete(&p);
	return r->nomem ? -1 : rc;
}

/* ---- scalars ---------------------------------------------------------- */

int bo__yaml_is_null(const ynode *n)
{
	return n->type == YN_SCALAR && n->plain &&
	       (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

static int bool_value(const ynode *n, int *b)
{
	static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES"};
	static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO"};
	size_t i;
	if (n->type != YN_SCALAR || !n->plain)
		return 0;
	for (i = 0; i < 6; i++) {
		if (strcmp(n->str, t[i]) == 0) {
			*b = 1;
			return 1;
		}
		if (strcmp(n->str, f[i]) == 0) {
			*b = 0;
			return 1;
		}
	}
	return 0;
}

/* Classifies scalar text as a YAML number: [-+]digits, [-+]digits.digits,
 * .5, 1e-3, .inf, .nan. */
int bo__yaml_num_syntax(const char *s)
{
	const char *p = s;
	int digits = 0, isfloat = 0;
	if (*p == '-' || *p == '+')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0)
		return NUM_INF;
	if (p == s && (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 || strcmp(p, ".NAN") == 0))
		return NUM_NAN;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		isfloat = 1;
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (!digits)
		return NUM_NO;
	if (*p == 'e' || *p == 'E') {
		isfloat = 1;
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NUM_NO;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return NUM_NO;
	return isfloat ? NUM_FLOAT : NUM_INT;
}

const char *bo__yaml_kind(const ynode *n)
{
	int b;
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	if (bo__yaml_is_null(n))
		return "nothing";
	if (n->plain && bool_value(n, &b))
		return "a boolean";
	if (n->plain && bo__yaml_num_syntax(n->str) != NUM_NO)
		return "a number";
	return "a string";
}

/* A finite number. Returns 0, or -1 after a diagnostic. */
int bo__yaml_number(rd *r, const ynode *n, const char *what, double *out)
{
	char buf[48];
	int k;
	if (n->type != YN_SCALAR || !n->plain || (k = bo__yaml_num_syntax(n->str)) == NUM_NO) {
		DIAG(r, n, "%s: expected a number, found %s%s%s%s", what, bo__yaml_kind(n),
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? " \"" : "",
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? bo__yaml_shown(n->str, buf) : "",
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? "\"" : "");
		return -1;
	}
	if (k == NUM_NAN || k == NUM_INF) {
		DIAG(r, n, "%s: expected a finite number, found %s", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	errno = 0;
	*out = strtod(n->str, NULL);
	if (!isfinite(*out)) {
		DIAG(r, n, "%s: number %s is too large", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	return 0;
}

/* An integer within [lo, hi]. */
int bo__yaml_int(rd *r, const ynode *n, const char *what, long long lo, long long hi,
		   long long *out)
{
	char buf[48];
	double d;
	if (n->type == YN_SCALAR && n->plain && bo__yaml_num_syntax(n->str) == NUM_INT) {
		long long v;
		errno = 0;
		v = strtoll(n->str, NULL, 10);
		if (errno == ERANGE) {
			DIAG(r, n, "%s: integer %s is out of range", what, bo__yaml_shown(n->str, buf));
			return -1;
		}
		if (v < lo || v > hi) {
			if (hi == LLONG_MAX)
				DIAG(r, n, "%s: must be at least %lld, found %s", what, lo,
				     bo__yaml_shown(n->str, buf));
			else
				DIAG(r, n, "%s: must be between %lld and %lld, found %s", what, lo, hi,
				     bo__yaml_shown(n->str, buf));
			return -1;
		}
		*out = v;
		return 0;
	}
	if (bo__yaml_number(r, n, what, &d) < 0)
		return -1;
	if (d != floor(d)) {
		DIAG(r, n, "%s: expected an integer, found %s", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	if (fabs(d) > BO_MAX_EXACT_INT) {
		DIAG(r, n, "%s: integer %s is out of range", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	if (d < (double)lo || d > (double)hi) {
		DIAG(r, n, "%s: must be at least %lld, found %s", what, lo, bo__yaml_shown(n->str, buf));
		return -1;
	}
	*out = (long long)d;
	return 0;
}

int bo__yaml_bool(rd *r, const ynode *n, const char *what, int *out)
{
	char buf[48];
	if (!bool_value(n, out)) {
		DIAG(r, n, "%s: expected true or false, found %s%s%s%s", what, bo__yaml_kind(n),
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? " \"" : "",
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? bo__yaml_shown(n->str, buf) : "",
		     n->type == YN_SCALAR && !bo__yaml_is_null(n) ? "\"" : "");
		return -1;
	}
	return 0;
}

/* Any non-null scalar, as text. */
const char *bo__yaml_text(rd *r, const ynode *n, const char *what)
{
	if (n->type != YN_SCALAR || bo__yaml_is_null(n)) {
		DIAG(r, n, "%s: expected a string, found %s", what, bo__yaml_kind(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		DIAG(r, n, "%s: the string contains a NUL character", what);
		return NULL;
	}
	return n->str;
}

/* A duration: seconds as a number, or "1h30m", "90s", "0.5h", "2d". */
int bo__yaml_duration(rd *r, const ynode *n, const char *what, double *out)
{
	char buf[48];
	const char *p;
	double total = 0;
	if (n->type == YN_SCALAR && n->plain && bo__yaml_num_syntax(n->str) != NUM_NO) {
		if (bo__yaml_number(r, n, what, out) < 0)
			return -1;
		if (!(*out > 0)) {
			DIAG(r, n, "%s: a duration must be positive, found %s", what,
			     bo__yaml_shown(n->str, buf));
			return -1;
		}
		return 0;
	}
	if (n->type != YN_SCALAR || bo__yaml_is_null(n)) {
		DIAG(r, n, "%s: expected a duration (\"90s\", \"5m\", \"1h30m\" or seconds), found %s",
		     what, bo__yaml_kind(n));
		return -1;
	}
	p = n->str;
	if (!*p)
		goto bad;
	while (*p) {
		char *end;
		double v, unit;
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			goto bad;
		v = strtod(p, &end);
		if (end == p || !isfinite(v))
			goto bad;
		p = end;
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case '\0':
			if (p == n->str + strlen(n->str) && total == 0 && end != n->str) {
				unit = 1;   /* "90" written as a string: seconds */
				p--;
				break;
			}
			goto bad;
		default:
			goto bad;
		}
		p++;
		total += v * unit;
	}
	if (!(total > 0) || !isfinite(total)) {
		DIAG(r, n, "%s: a duration must be positive and finite, found \"%s\"", what,
		     bo__yaml_shown(n->str, buf));
		return -1;
	}
	*out = total;
	return 0;
bad:
	DIAG(r, n, "%s: invalid duration \"%s\" (write number+unit groups such as \"90s\", "
		   "\"5m\", \"1h30m\", \"0.5h\", \"2d\", or a number of seconds)",
	     what, bo__yaml_shown(n->str, buf));
	return -1;
}

int bo__yaml_is_ident(const char *s, int dots)
{
	const char *p = s;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return 0;
	for (p++; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
		      (*p >= '0' && *p <= '9') || (dots && *p == '.')))
			return 0;
	return 1;
}

int bo__yaml_is_reserved(const char *s)
{
	static const char *const words[] = {"price", "if",  "and",   "or",   "not",  "true",
					    "false", "min", "max",   "log",  "exp",  "sqrt",
					    "abs",   "ceil", "floor", "round"};
	size_t i;
	for (i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* ---- mappings --------------------------------------------------------- */

const ynode *bo__yaml_get(const ynode *m, const char *key)
{
	size_t i;
	if (!m || m->type != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == YN_SCALAR && strcmp(m->kids[i]->str, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

/* Reports keys of m not in known (NULL-terminated). */
void bo__yaml_check_keys(rd *r, const ynode *m, const char *const *known, const char *where)
{
	size_t i, k;
	char buf[48], hint[128];
	for (i = 0; i + 1 < m->n; i += 2) {
		const ynode *key = m->kids[i];
		suggest sg;
		int found = 0;
		if (key->type != YN_SCALAR)
			continue;
		bo__suggest_init(&sg, key->str);
		for (k = 0; known[k]; k++) {
			if (strcmp(known[k], key->str) == 0)
				found = 1;
			bo__suggest_try(&sg, known[k]);
		}
		if (!found)
			DIAG(r, key, "unknown key \"%s\" in %s%s", bo__yaml_shown(key->str, buf), where,
			     bo__suggest_hint(&sg, hint));
	}
}

/* The mapping m, or NULL after a diagnostic when n is not one. */
const ynode *bo__yaml_want_map(rd *r, const ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != YN_MAP) {
		DIAG(r, n, "%s: expected a mapping, found %s", what, bo__yaml_kind(n));
		return NULL;
	}
	return n;
}

const ynode *bo__yaml_want_seq(rd *r, const ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != YN_SEQ) {
		DIAG(r, n, "%s: expected a list, found %s", what, bo__yaml_kind(n));
		return NULL;
	}
	return n;
}

char *bo__yaml_strdup(rd *r, const char *s)
{
	char *p = bo__strdup(s);
	if (!p)
		r->nomem = 1;
	return p;
}

void bo__yaml_diag(rd *r, const ynode *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bo__yaml_diag_at(r, n->line, n->col, "%s", msg);
}
