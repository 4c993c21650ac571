/*
 * core/study_space.c - reads space: of a study file: the parameters, their
 * bounds, labels and when: conditions.
 *
 * Part of the study reader (core/study_yaml.c), whose tree and diagnostics
 * it shares (core/study_yaml_int.h). Must never print, exit or abort.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

static const char *const PARAM_KEYS[] = {"float", "int", "choice", "ordinal",
					 "log",   "step", "when",  NULL};

static int read_bounds(rd *r, bo_param *p, const ynode *b, const char *tname)
{
	double lo, hi;
	char what[160];
	int bad = 0;
	snprintf(what, sizeof what, "parameter \"%s\"", p->name);
	if (b->type != YN_SEQ || b->n != 2) {
		DIAG(r, b, "%s: expected [lo, hi], a list of two numbers, found %s%s", what,
		     bo__yaml_kind(b), b->type == YN_SEQ ? " of another length" : "");
		return -1;
	}
	if (bo__yaml_number(r, b->kids[0], what, &lo) < 0)
		bad = 1;
	if (bo__yaml_number(r, b->kids[1], what, &hi) < 0)
		bad = 1;
	if (bad)
		return -1;
	if (p->type == BO_PT_INT) {
		if (lo != floor(lo) || hi != floor(hi)) {
			DIAG(r, b, "%s: the bounds of an int parameter must be integers", what);
			return -1;
		}
		if (fabs(lo) > BO_MAX_EXACT_INT || fabs(hi) > BO_MAX_EXACT_INT) {
			DIAG(r, b, "%s: int bounds must be within +-2^53", what);
			return -1;
		}
	}
	if (lo > hi) {
		char b1[48], b2[48];
		DIAG(r, b, "%s: lower bound %s is above upper bound %s (write [%s, %s])", what,
		     bo__yaml_shown(b->kids[0]->str, b1), bo__yaml_shown(b->kids[1]->str, b2), b->kids[1]->str,
		     b->kids[0]->str);
		return -1;
	}
	(void)tname;
	p->lo = lo;
	p->hi = hi;
	return 0;
}

static int read_labels(rd *r, bo_param *p, const ynode *c)
{
	size_t i;
	char what[160];
	int bad = 0;
	snprintf(what, sizeof what, "parameter \"%s\"", p->name);
	if (c->type != YN_SEQ) {
		DIAG(r, c, "%s: expected a list of labels, found %s", what, bo__yaml_kind(c));
		return -1;
	}
	if (c->n == 0) {
		DIAG(r, c, "%s: a choice needs at least one label", what);
		return -1;
	}
	for (i = 0; i < c->n; i++) {
		const ynode *l = c->kids[i];
		if (l->type != YN_SCALAR || bo__yaml_is_null(l) || l->len == 0) {
			DIAG(r, l, "%s: a label must be a string or a number, found %s", what,
			     l->type == YN_SCALAR && !bo__yaml_is_null(l) ? "an empty string" : bo__yaml_kind(l));
			bad = 1;
		} else if (strlen(l->str) != l->len) {
			DIAG(r, l, "%s: a label contains a NUL character", what);
			bad = 1;
		}
	}
	if (bad)
		return -1;
	{
		size_t before = r->diags->n;
		bo__yaml_report_dups(r, c->kids, c->n, 1, "choice");
		if (r->diags->n != before || r->nomem)
			return -1;
	}
	p->choices = bo__calloc(c->n, sizeof(char *));
	p->choice_num = bo__calloc(c->n, sizeof(double));
	if (!p->choices || !p->choice_num) {
		r->nomem = 1;
		return -1;
	}
	p->nchoices = c->n;
	p->numeric_choices = 1;
	for (i = 0; i < c->n; i++) {
		const char *t = c->kids[i]->str;
		int k = bo__yaml_num_syntax(t);
		p->choices[i] = bo__yaml_strdup(r, t);
		if (!p->choices[i])
			return -1;
		if (k == NUM_INT || k == NUM_FLOAT) {
			p->choice_num[i] = strtod(t, NULL);
			if (!isfinite(p->choice_num[i])) {
				p->choice_num[i] = NAN;
				p->numeric_choices = 0;
			}
		} else {
			p->choice_num[i] = NAN;
			p->numeric_choices = 0;
		}
	}
	return 0;
}

/* First pass over one parameter: everything but its condition. */
static void read_param(rd *r, bo_param *p, const ynode *key, const ynode *v)
{
	static const char *const types[] = {"float", "int", "choice", "ordinal"};
	const ynode *tnode = NULL, *tkey = NULL;
	char what[160], buf[48];
	size_t i;
	int ntypes = 0, t, typo;

	p->pos.line = key->line;
	p->pos.col = key->col;
	p->lo = p->hi = NAN;
	snprintf(what, sizeof what, "parameter \"%s\"", bo__yaml_shown(key->str, buf));
	if (!bo__yaml_is_ident(key->str, 0)) {
		DIAG(r, key, "invalid parameter name \"%s\" (use letters, digits and \"_\", not "
			     "starting with a digit)", bo__yaml_shown(key->str, buf));
	} else if (bo__yaml_is_reserved(key->str)) {
		DIAG(r, key, "parameter name \"%s\" is a reserved word of expressions (rename it)",
		     key->str);
	}
	p->name = bo__yaml_strdup(r, key->str);
	if (!p->name)
		return;
	if (!bo__yaml_want_map(r, v, what))
		return;
	{
		size_t before = r->diags->n;
		bo__yaml_check_keys(r, v, PARAM_KEYS, what);
		typo = r->diags->n != before;
	}
	for (t = 0; t < 4; t++) {
		const ynode *n = bo__yaml_get(v, types[t]);
		if (!n)
			continue;
		ntypes++;
		if (ntypes == 1) {
			tnode = n;
			p->type = (bo_ptype)t;
			for (i = 0; i < v->n; i += 2)
				if (v->kids[i + 1] == n && v->kids[i]->type == YN_SCALAR &&
				    strcmp(v->kids[i]->str, types[t]) == 0)
					tkey = v->kids[i];
		} else {
			DIAG(r, v, "%s has more than one type (%s and %s); give exactly one", what,
			     types[p->type], types[t]);
			return;
		}
	}
	(void)tkey;
	if (!tnode) {
		p->type = BO_PT_FLOAT;
		if (typo)
			return;    /* the misspelt type key was reported */
		DIAG(r, v, "%s has no type (give one of float, int, choice, ordinal: "
			   "{float: [lo, hi]})", what);
		p->type = BO_PT_FLOAT;
		p->nchoices = 0;
		return;
	}
	if (p->type == BO_PT_FLOAT || p->type == BO_PT_INT) {
		const ynode *ln = bo__yaml_get(v, "log"), *sn = bo__yaml_get(v, "step");
		int ok = read_bounds(r, p, tnode, types[p->type]) == 0;
		if (ln && bo__yaml_bool(r, ln, what, &p->log) == 0 && p->log && ok && !(p->lo > 0))
			DIAG(r, ln, "%s: a log scale needs a positive lower bound, found %s", what,
			     bo__yaml_shown(tnode->kids[0]->str, buf));
		if (sn) {
			double st;
			if (bo__yaml_number(r, sn, what, &st) == 0) {
				if (!(st > 0))
					DIAG(r, sn, "%s: step must be positive, found %s", what,
					     bo__yaml_shown(sn->str, buf));
				else if (p->type == BO_PT_INT && st != floor(st))
					DIAG(r, sn, "%s: the step of an int parameter must be an "
						    "integer, found %s", what, bo__yaml_shown(sn->str, buf));
				else if (ok && st > p->hi - p->lo && p->hi > p->lo)
					DIAG(r, sn, "%s: step %s is larger than the range %g..%g",
					     what, bo__yaml_shown(sn->str, buf), p->lo, p->hi);
				else
					p->step = st;
			}
		}
	} else {
		const ynode *ln = bo__yaml_get(v, "log"), *sn = bo__yaml_get(v, "step");
		if (ln)
			DIAG(r, ln, "%s: \"log\" applies only to float and int parameters", what);
		if (sn)
			DIAG(r, sn, "%s: \"step\" applies only to float and int parameters", what);
		if (tnode->type == YN_SCALAR && !strcmp(tnode->str, "from_catalog"))
			p->from_catalog = 1;  /* labels: bo__study_catalog_labels */
		else
			read_labels(r, p, tnode);
	}
}

static void sb_quoted(bo_strbuf *sb, const char *s)
{
	bo__sb_putc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			bo__sb_putc(sb, '\'');
		bo__sb_putc(sb, *s);
	}
	bo__sb_putc(sb, '\'');
}

/* Appends "name == value" for one allowed value of a mapping condition. */
static int when_term(rd *r, bo_strbuf *sb, const bo_param *q, const ynode *val)
{
	char buf[48], hint[128];
	double d;
	size_t i;
	if (val->type != YN_SCALAR || bo__yaml_is_null(val)) {
		DIAG(r, val, "condition on \"%s\": expected a value or a list of values, found %s",
		     q->name, bo__yaml_kind(val));
		return -1;
	}
	if (q->from_catalog) {
		/* labels unknown until a catalog is read: compare as text */
		bo__sb_puts(sb, q->name);
		bo__sb_puts(sb, " == ");
		sb_quoted(sb, val->str);
		return 0;
	}
	if (q->type == BO_PT_CHOICE || q->type == BO_PT_ORDINAL) {
		suggest sg;
		int k = -1;
		for (i = 0; i < q->nchoices; i++)
			if (strcmp(q->choices[i], val->str) == 0)
				k = (int)i;
		if (k < 0 && q->numeric_choices && bo__yaml_num_syntax(val->str) != NUM_NO) {
			d = strtod(val->str, NULL);
			for (i = 0; i < q->nchoices; i++)
				if (q->choice_num[i] == d)
					k = (int)i;
		}
		if (k < 0) {
			bo__suggest_init(&sg, val->str);
			for (i = 0; i < q->nchoices; i++)
				bo__suggest_try(&sg, q->choices[i]);
			DIAG(r, val, "\"%s\" is not a choice of parameter \"%s\"%s",
			     bo__yaml_shown(val->str, buf), q->name, bo__suggest_hint(&sg, hint));
			return -1;
		}
		bo__sb_puts(sb, q->name);
		bo__sb_puts(sb, " == ");
		if (q->numeric_choices)
			bo__sb_printf(sb, "%.17g", q->choice_num[k]);
		else
			sb_quoted(sb, q->choices[k]);
		return 0;
	}
	if (bo__yaml_number(r, val, "condition", &d) < 0)
		return -1;
	bo__sb_printf(sb, "%s == %.17g", q->name, d);
	return 0;
}

/* Second pass over one parameter: its condition. */
static void read_when(rd *r, size_t idx, const ynode *v)
{
	bo_study *s = r->s;
	bo_param *p = &s->params[idx];
	const ynode *w = v && v->type == YN_MAP ? bo__yaml_get(v, "when") : NULL;
	resolver rs;
	char context[160], buf[48], hint[128];
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t i, j;
	int bad = 0;

	if (!w || !p->name)
		return;
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM);
	rs.visible = idx;
	rs.what = "a condition";
	rs.hint = "a condition may only use parameters declared before it";
	snprintf(context, sizeof context, "condition of parameter \"%s\"", p->name);
	if (w->type == YN_SCALAR) {
		const char *t = bo__yaml_expr_text(r, w, context);
		if (!t)
			return;
		p->when = bo__yaml_compile_at(r, w, t, &rs, context);
		if (p->when && bo__expr_is_str(p->when)) {
			DIAG(r, w, "%s: a condition must be true or false, not a string", context);
			bo__expr_free(p->when);
			p->when = NULL;
		}
		if (p->when) {
			p->when_text = bo__yaml_strdup(r, t);
		}
		return;
	}
	if (w->type != YN_MAP) {
		DIAG(r, w, "%s: expected a mapping ({family: logreg}) or an expression string, "
			   "found %s", context, bo__yaml_kind(w));
		return;
	}
	if (w->n == 0) {
		DIAG(r, w, "%s: the condition is empty", context);
		return;
	}
	for (i = 0; i + 1 < w->n; i += 2) {
		const ynode *k = w->kids[i], *val = w->kids[i + 1];
		int q;
		if (k->type != YN_SCALAR)
			continue;
		q = bo__study_find_param(s, k->str);
		if (q < 0) {
			suggest sg;
			bo__suggest_init(&sg, k->str);
			for (j = 0; j < idx; j++)
				bo__suggest_try(&sg, s->params[j].name);
			DIAG(r, k, "%s: unknown parameter \"%s\"%s", context, bo__yaml_shown(k->str, buf),
			     bo__suggest_hint(&sg, hint));
			bad = 1;
			continue;
		}
		if ((size_t)q >= idx) {
			if ((size_t)q == idx)
				DIAG(r, k, "%s: a condition cannot refer to its own parameter", context);
			else
				DIAG(r, k, "%s: parameter \"%s\" is declared later (a condition may "
					   "only use parameters declared before it; move \"%s\" up)",
				     context, k->str, k->str);
			bad = 1;
			continue;
		}
		if (sb.len)
			bo__sb_puts(&sb, " and ");
		if (val->type == YN_SEQ) {
			if (val->n == 0) {
				DIAG(r, val, "%s: empty list of values for \"%s\"", context, k->str);
				bad = 1;
				continue;
			}
			bo__sb_putc(&sb, '(');
			for (j = 0; j < val->n; j++) {
				if (j)
					bo__sb_puts(&sb, " or ");
				if (when_term(r, &sb, &s->params[q], val->kids[j]) < 0)
					bad = 1;
			}
			bo__sb_putc(&sb, ')');
		} else if (when_term(r, &sb, &s->params[q], val) < 0) {
			bad = 1;
		}
	}
	if (sb.failed) {
		r->nomem = 1;
		goto done;
	}
	if (bad || !sb.len)
		goto done;
	p->when = bo__yaml_compile_at(r, w, bo__sb_str(&sb), &rs, context);
	if (p->when)
		p->when_text = bo__sb_take(&sb);
done:
	bo__sb_clear(&sb);
}

/* Each parameter reaches the evaluator as BUDGETOPT_PARAM_<NAME>: names
 * that differ only in case ("lr", "LR") would share one variable, and one
 * would silently get the other's value. */
static void check_env_names(rd *r)
{
	const bo_study *s = r->s;
	char a[300], b[300];
	size_t i, j;
	for (i = 0; i < s->nparams; i++) {
		if (!s->params[i].name)
			continue;
		bo__param_env_name(s->params[i].name, a, sizeof a);
		for (j = 0; j < i; j++) {
			if (!s->params[j].name)
				continue;
			bo__param_env_name(s->params[j].name, b, sizeof b);
			if (strcmp(a, b) == 0) {
				bo__yaml_diag_at(r, s->params[i].pos.line, s->params[i].pos.col,
					 "parameter \"%s\" and parameter \"%s\" at line %d column %d would share "
					 "the environment variable %s (rename one: names must differ in more "
					 "than case)",
					 s->params[i].name, s->params[j].name, s->params[j].pos.line,
					 s->params[j].pos.col, a);
				break;
			}
		}
	}
}

void bo__study_read_space(rd *r, const ynode *top)
{
	const ynode *sp = bo__yaml_get(top, "space");
	bo_study *s = r->s;
	size_t i;
	if (!sp) {
		bo__yaml_diag_at(r, top->line, top->col,
			 "missing required key \"space\" (the parameters to search)");
		return;
	}
	if (!bo__yaml_want_map(r, sp, "space"))
		return;
	if (sp->n == 0) {
		DIAG(r, sp, "space: at least one parameter is needed");
		return;
	}
	s->params = bo__calloc(sp->n / 2, sizeof(bo_param));
	if (!s->params) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < sp->n && !r->nomem; i += 2) {
		if (sp->kids[i]->type != YN_SCALAR)
			continue;
		read_param(r, &s->params[s->nparams++], sp->kids[i], sp->kids[i + 1]);
	}
	check_env_names(r);
}

void bo__study_read_space_when(rd *r, const ynode *top)
{
	const ynode *sp = bo__yaml_get(top, "space");
	size_t i, k = 0;
	if (!sp || sp->type != YN_MAP)
		return;
	for (i = 0; i + 1 < sp->n && !r->nomem; i += 2) {
		if (sp->kids[i]->type != YN_SCALAR)
			continue;
		if (k < r->s->nparams)
			read_when(r, k, sp->kids[i + 1]);
		k++;
	}
}
