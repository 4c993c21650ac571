/*
 * core/study_yaml.c - reads a study file (YAML, docs/study-file.md) into
 * the model of core/model.h and checks all of it at once.
 *
 * The positioned YAML tree (core/study_tree.c) is walked along the fixed
 * shape of a study, and every problem becomes one "file:line:col: message
 * (hint)" line in a bo_diags. Reading goes on after a problem so that a
 * user sees them all in one go.
 *
 * Must never print, exit, abort, or recurse without bound: the YAML tree is
 * at most BO_YAML_MAX_DEPTH deep (aliases included) and is walked only along
 * the study's shape. Any byte string must give a study or diagnostics.
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

/* ---- expressions ------------------------------------------------------ */

#define K(kind) (1u << (kind))

typedef struct resolver {
	rd *r;
	unsigned kinds;       /* allowed symbol kinds */
	size_t visible;       /* parameters [0, visible) are usable */
	const char *what;     /* "a condition", "a constraint" (for messages) */
	const char *hint;     /* what the place may use */
} resolver;

static int resolve(void *ud, const char *name, int is_price, int has_key, bo_sym *out,
		   char *why, size_t whylen)
{
	resolver *rs = ud;
	const bo_study *s = rs->r->s;
	suggest sg;
	char hint[128];
	size_t i;
	int k;

	out->is_str = 0;
	if (is_price) {
		if (!(rs->kinds & K(BO_SYM_PRICE))) {
			snprintf(why, whylen, "prices cannot be used in %s (%s)", rs->what, rs->hint);
			return BO_EINVAL;
		}
		k = bo__study_find_price(s, name);
		if (k < 0) {
			bo__suggest_init(&sg, name);
			for (i = 0; i < s->prices.n; i++)
				bo__suggest_try(&sg, s->prices.items[i].name);
			snprintf(why, whylen, "unknown price \"price.%s\"%s", name,
				 bo__suggest_hint(&sg, hint));
			return BO_ENOTFOUND;
		}
		if (s->prices.items[k].is_table && !has_key) {
			snprintf(why, whylen,
				 "price \"%s\" is a table (look a value up with price.%s[key])", name,
				 name);
			return BO_EINVAL;
		}
		out->kind = BO_SYM_PRICE;
		out->index = k;
		return 0;
	}
	if ((k = bo__study_find_param(s, name)) >= 0) {
		const bo_param *p = &s->params[k];
		if (!(rs->kinds & K(BO_SYM_PARAM))) {
			snprintf(why, whylen, "parameter \"%s\" cannot be used in %s (%s)", name,
				 rs->what, rs->hint);
			return BO_EINVAL;
		}
		if ((size_t)k >= rs->visible) {
			if ((size_t)k == rs->visible)
				snprintf(why, whylen, "a condition cannot refer to its own parameter \"%s\"",
					 name);
			else
				snprintf(why, whylen,
					 "parameter \"%s\" is declared later (a condition may only "
					 "use parameters declared before it; move \"%s\" up)",
					 name, name);
			return BO_EINVAL;
		}
		out->kind = BO_SYM_PARAM;
		out->index = k;
		out->is_str = (p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL) &&
			      !p->numeric_choices;
		return 0;
	}
	if ((k = bo__study_find_metric(s, name)) >= 0 || (k = bo__study_find_derived(s, name)) >= 0 ||
	    (k = bo__study_find_input(s, name)) >= 0) {
		int kind = bo__study_find_metric(s, name) >= 0    ? BO_SYM_METRIC
			   : bo__study_find_derived(s, name) >= 0 ? BO_SYM_DERIVED
								  : BO_SYM_INPUT;
		static const char *const kname[] = {"", "parameter", "metric", "derived metric",
						    "input", "price"};
		if (!(rs->kinds & K(kind))) {
			snprintf(why, whylen, "%s \"%s\" cannot be used in %s (%s)", kname[kind], name,
				 rs->what, rs->hint);
			return BO_EINVAL;
		}
		out->kind = kind;
		out->index = k;
		return 0;
	}
	bo__suggest_init(&sg, name);
	if (rs->kinds & K(BO_SYM_PARAM))
		for (i = 0; i < rs->visible && i < s->nparams; i++)
			bo__suggest_try(&sg, s->params[i].name);
	if (rs->kinds & K(BO_SYM_METRIC))
		for (i = 0; i < s->nmetrics; i++)
			bo__suggest_try(&sg, s->metrics[i].name);
	if (rs->kinds & K(BO_SYM_DERIVED))
		for (i = 0; i < s->nderived; i++)
			bo__suggest_try(&sg, s->derived[i].name);
	if (rs->kinds & K(BO_SYM_INPUT))
		for (i = 0; i < s->ninputs; i++)
			bo__suggest_try(&sg, s->inputs[i].name);
	snprintf(why, whylen, "unknown name \"%s\"%s", name, bo__suggest_hint(&sg, hint));
	return BO_ENOTFOUND;
}

/* Compiles the expression in scalar node n (or text with n's position).
 * Returns the expression, or NULL after a diagnostic (or out of memory). */
static bo_expr *compile_at(rd *r, const ynode *n, const char *text, resolver *rs,
			   const char *context)
{
	bo_expr *e = NULL;
	size_t off = 0;
	int rc = bo__expr_compile(&e, text, resolve, rs, &off);
	if (rc == BO_ENOMEM) {
		r->nomem = 1;
		return NULL;
	}
	if (rc < 0 || !e) {
		int col = n->col;
		if (text == n->str) {
			size_t i;
			/* offsets are bytes; columns count characters */
			for (i = 0; i < off && text[i]; i++)
				if (((unsigned char)text[i] & 0xc0) != 0x80)
					col++;
			col += n->quote;
		}
		bo__yaml_diag_at(r, n->line, col, "%s: %s", context, bo_error_last());
		bo__expr_free(e);
		return NULL;
	}
	return e;
}

static const char *expr_text(rd *r, const ynode *n, const char *what)
{
	const char *t;
	if (n->type != YN_SCALAR || bo__yaml_is_null(n)) {
		DIAG(r, n, "%s: expected an expression string, found %s", what, bo__yaml_kind(n));
		return NULL;
	}
	t = bo__yaml_text(r, n, what);
	if (t && !*t) {
		DIAG(r, n, "%s: the expression is empty", what);
		return NULL;
	}
	return t;
}

/* ---- sections --------------------------------------------------------- */

static const char *const TOP_KEYS[] = {"name",    "seed",      "space",      "constraints",
				       "inputs",  "prices",    "metrics",    "derived",
				       "objectives", "guardrails", "score", "budget",
				       "evaluator", "sampler", "storage",    "catalog",
				       "storage_access", "pruner", "alerts", "limits", "rollback",
				       "fidelity",
				       NULL};

static void read_name(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "name");
	const char *t;
	char buf[48];
	if (!n) {
		bo__yaml_diag_at(r, top->line, top->col, "missing required key \"name\" (the study's name)");
		return;
	}
	t = bo__yaml_text(r, n, "name");
	if (!t)
		return;
	{
		const char *p;
		int ok = *t != '\0';
		for (p = t; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
				ok = 0;
		if (!ok) {
			DIAG(r, n, "invalid study name \"%s\" (use letters, digits, \"_\", \".\" and \"-\")",
			     bo__yaml_shown(t, buf));
			return;
		}
	}
	r->s->name = bo__yaml_strdup(r, t);
}

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
		const char *t = expr_text(r, w, context);
		if (!t)
			return;
		p->when = compile_at(r, w, t, &rs, context);
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
	p->when = compile_at(r, w, bo__sb_str(&sb), &rs, context);
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

static void read_space(rd *r, const ynode *top)
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

static void read_space_when(rd *r, const ynode *top)
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

static int check_name(rd *r, const ynode *key, const char *kind, int dots)
{
	char buf[48];
	if (key->type != YN_SCALAR)
		return -1;
	if (!bo__yaml_is_ident(key->str, dots)) {
		DIAG(r, key, "invalid %s name \"%s\" (use letters, digits and \"_\", not starting "
			     "with a digit)", kind, bo__yaml_shown(key->str, buf));
		return -1;
	}
	if (!dots && bo__yaml_is_reserved(key->str)) {
		DIAG(r, key, "%s name \"%s\" is a reserved word of expressions (rename it)", kind,
		     key->str);
		return -1;
	}
	return 0;
}

static void read_inputs(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "inputs"), "inputs");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->inputs = bo__calloc(m->n / 2 + 1, sizeof(bo_input));
	if (!s->inputs) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i];
		bo_input *in;
		bo_dist *dist = NULL;
		char what[160], buf[48];
		double v;
		if (check_name(r, k, "input", 0) < 0)
			continue;
		snprintf(what, sizeof what, "input \"%s\"", bo__yaml_shown(k->str, buf));
		if (bo__study_is_dist(m->kids[i + 1])) {
			dist = bo__study_read_dist(r, m->kids[i + 1], k->str, what, 0);
			if (!dist)
				continue;
			v = dist->mean;
		} else if (bo__yaml_number(r, m->kids[i + 1], what, &v) < 0) {
			continue;
		}
		in = &s->inputs[s->ninputs];
		in->name = bo__yaml_strdup(r, k->str);
		if (!in->name)
			return;
		in->value = v;
		in->dist = dist;
		in->pos.line = k->line;
		in->pos.col = k->col;
		s->ninputs++;
	}
}

static int price_value(rd *r, const ynode *n, const char *what, double *v)
{
	char buf[48];
	if (bo__yaml_number(r, n, what, v) < 0)
		return -1;
	if (*v < 0) {
		DIAG(r, n, "%s: a price must be >= 0, found %s", what, bo__yaml_shown(n->str, buf));
		return -1;
	}
	return 0;
}

static void read_prices(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "prices"), "prices");
	bo_pricebook *pb = &r->s->prices;
	size_t i, j;
	if (m) {
		pb->items = bo__calloc(m->n / 2 + 1, sizeof(bo_price));
		if (!pb->items) {
			r->nomem = 1;
			return;
		}
	}
	for (i = 0; m && i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		char what[160], buf[48];
		bo_price *p;
		if (k->type != YN_SCALAR)
			continue;
		if (strcmp(k->str, "version") == 0) {
			const char *t = bo__yaml_text(r, v, "prices: version");
			if (t && !pb->version)
				pb->version = bo__yaml_strdup(r, t);
			continue;
		}
		if (strcmp(k->str, "currency") == 0) {
			const char *t = bo__yaml_text(r, v, "prices: currency");
			if (!t)
				continue;
			if (strlen(t) != 3 || !(t[0] >= 'A' && t[0] <= 'Z') ||
			    !(t[1] >= 'A' && t[1] <= 'Z') || !(t[2] >= 'A' && t[2] <= 'Z')) {
				DIAG(r, v, "prices: currency must be a 3-letter code such as USD or EUR, "
					   "found \"%s\"", bo__yaml_shown(t, buf));
				continue;
			}
			if (!pb->currency)
				pb->currency = bo__yaml_strdup(r, t);
			continue;
		}
		if (check_name(r, k, "price", 1) < 0)
			continue;
		snprintf(what, sizeof what, "price \"%s\"", bo__yaml_shown(k->str, buf));
		p = &pb->items[pb->n];
		if (bo__study_is_dist(v)) {
			if (!(p->dist = bo__study_read_dist(r, v, k->str, what, 1)))
				continue;
			p->value = p->dist->mean;
			p->name = bo__yaml_strdup(r, k->str);
			pb->n++;
		} else if (v->type == YN_MAP) {
			int bad = 0;
			if (v->n == 0) {
				DIAG(r, v, "%s: an empty price table", what);
				continue;
			}
			p->keys = bo__calloc(v->n / 2, sizeof(char *));
			p->values = bo__calloc(v->n / 2, sizeof(double));
			if (!p->keys || !p->values) {
				bo__free(p->keys);
				bo__free(p->values);
				p->keys = NULL;
				p->values = NULL;
				r->nomem = 1;
				return;
			}
			p->is_table = 1;
			pb->n++;        /* from here on freed with the study */
			p->name = bo__yaml_strdup(r, k->str);
			for (j = 0; j + 1 < v->n && !r->nomem; j += 2) {
				double x;
				bo_dist *d = NULL;
				if (v->kids[j]->type != YN_SCALAR)
					continue;
				if (bo__study_is_dist(v->kids[j + 1])) {
					char full[300], fwhat[360];
					snprintf(full, sizeof full, "%s.%s", k->str, v->kids[j]->str);
					snprintf(fwhat, sizeof fwhat, "price \"%s\"", bo__yaml_shown(full, buf));
					if (!p->dists && !(p->dists = bo__calloc(v->n / 2, sizeof *p->dists))) {
						r->nomem = 1;
						return;
					}
					if (!(d = bo__study_read_dist(r, v->kids[j + 1], full, fwhat, 1))) {
						bad = 1;
						continue;
					}
					x = d->mean;
				} else if (price_value(r, v->kids[j + 1], what, &x) < 0) {
					bad = 1;
					continue;
				}
				p->keys[p->nkeys] = bo__yaml_strdup(r, v->kids[j]->str);
				if (!p->keys[p->nkeys])
					return;
				if (p->dists)
					p->dists[p->nkeys] = d;
				p->values[p->nkeys++] = x;
			}
			(void)bad;
		} else {
			double x;
			if (price_value(r, v, what, &x) < 0)
				continue;
			p->value = x;
			p->name = bo__yaml_strdup(r, k->str);
			pb->n++;
		}
		p->pos.line = k->line;
		p->pos.col = k->col;
	}
	if (!pb->version)
		pb->version = bo__yaml_strdup(r, "unversioned");
	if (!pb->currency)
		pb->currency = bo__yaml_strdup(r, "USD");
}

static const char *const GOAL_KEYS[] = {"maximize", "minimize", "optional", NULL};

/* Reads {maximize: true} / {minimize: true} into *goal. */
static void read_goal(rd *r, const ynode *m, const char *what, int *goal)
{
	const ynode *mx = bo__yaml_get(m, "maximize"), *mn = bo__yaml_get(m, "minimize");
	int a = 0, b = 0;
	if (mx)
		bo__yaml_bool(r, mx, what, &a);
	if (mn)
		bo__yaml_bool(r, mn, what, &b);
	if (a && b) {
		DIAG(r, m, "%s: both maximize and minimize are set", what);
		return;
	}
	*goal = a ? 1 : b ? -1 : 0;
}

static void read_metrics(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "metrics"), "metrics");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->metrics = bo__calloc(m->n / 2 + 1, sizeof(bo_metric));
	if (!s->metrics) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		bo_metric *mt;
		char what[160], buf[48];
		if (check_name(r, k, "metric", 0) < 0)
			continue;
		snprintf(what, sizeof what, "metric \"%s\"", bo__yaml_shown(k->str, buf));
		mt = &s->metrics[s->nmetrics];
		if (!bo__yaml_is_null(v)) {
			if (!bo__yaml_want_map(r, v, what))
				continue;
			bo__yaml_check_keys(r, v, GOAL_KEYS, what);
			read_goal(r, v, what, &mt->goal);
			if (bo__yaml_get(v, "optional"))
				bo__yaml_bool(r, bo__yaml_get(v, "optional"), what, &mt->optional);
		}
		mt->name = bo__yaml_strdup(r, k->str);
		if (!mt->name)
			return;
		mt->pos.line = k->line;
		mt->pos.col = k->col;
		s->nmetrics++;
	}
}

static const char *const DERIVED_KEYS[] = {"expr", "maximize", "minimize", NULL};

/* First pass: names, texts and goals; compiled once every name is known. */
static void read_derived_names(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "derived"), "derived");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->derived = bo__calloc(m->n / 2 + 1, sizeof(bo_derived));
	if (!s->derived) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		bo_derived *d;
		if (check_name(r, k, "derived metric", 0) < 0)
			continue;
		d = &s->derived[s->nderived];
		d->name = bo__yaml_strdup(r, k->str);
		if (!d->name)
			return;
		d->pos.line = k->line;
		d->pos.col = k->col;
		if (v->type == YN_MAP) {
			char what[160], buf[48];
			snprintf(what, sizeof what, "derived metric \"%s\"", bo__yaml_shown(k->str, buf));
			bo__yaml_check_keys(r, v, DERIVED_KEYS, what);
			read_goal(r, v, what, &d->goal);
			if (!bo__yaml_get(v, "expr"))
				DIAG(r, v, "%s: missing required key \"expr\"", what);
		}
		s->nderived++;
	}
}

static const ynode *derived_expr_node(const ynode *v)
{
	return v->type == YN_MAP ? bo__yaml_get(v, "expr") : v;
}

typedef struct depctx {
	size_t *deps;
	size_t n, cap;
	int nomem;
} depctx;

static int collect_dep(void *ud, const bo_sym *sym)
{
	depctx *dc = ud;
	if (sym->kind != BO_SYM_DERIVED)
		return 0;
	if (bo__grow(&dc->deps, &dc->cap, dc->n + 1, sizeof(size_t)) < 0) {
		dc->nomem = 1;
		return 1;
	}
	dc->deps[dc->n++] = (size_t)sym->index;
	return 0;
}

/* Orders derived metrics dependencies first and reports cycles
 * (depth-first search with an explicit stack: Tarjan 1972 style colours). */
static void order_derived(rd *r)
{
	bo_study *s = r->s;
	size_t n = s->nderived, i, norder = 0;
	depctx *dc = NULL;
	unsigned char *color = NULL;     /* 0 new, 1 on stack, 2 done */
	size_t *stack = NULL, *pos = NULL;
	bo_strbuf sb = BO_STRBUF_INIT;

	if (!n)
		return;
	dc = bo__calloc(n, sizeof *dc);
	color = bo__calloc(n, 1);
	stack = bo__calloc(n, sizeof *stack);
	pos = bo__calloc(n, sizeof *pos);
	s->derived_order = bo__calloc(n, sizeof(size_t));
	if (!dc || !color || !stack || !pos || !s->derived_order) {
		r->nomem = 1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (s->derived[i].expr)
			bo__expr_foreach_sym(s->derived[i].expr, collect_dep, &dc[i]);
		if (dc[i].nomem) {
			r->nomem = 1;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		size_t top = 0;
		if (color[i])
			continue;
		stack[top++] = i;
		color[i] = 1;
		pos[i] = 0;
		while (top) {
			size_t u = stack[top - 1];
			if (pos[u] < dc[u].n) {
				size_t v = dc[u].deps[pos[u]++];
				if (color[v] == 0) {
					color[v] = 1;
					pos[v] = 0;
					stack[top++] = v;
				} else if (color[v] == 1) {
					/* a cycle: v ... u -> v on the stack */
					size_t k = top;
					while (k > 0 && stack[k - 1] != v)
						k--;
					bo__sb_reset(&sb);
					for (; k - 1 < top; k++) {
						bo__sb_puts(&sb, s->derived[stack[k - 1]].name);
						bo__sb_puts(&sb, " -> ");
					}
					bo__sb_puts(&sb, s->derived[v].name);
					if (sb.failed) {
						r->nomem = 1;
						goto done;
					}
					bo__yaml_diag_at(r, s->derived[v].pos.line, s->derived[v].pos.col,
						 "derived metrics form a cycle: %s", bo__sb_str(&sb));
				}
			} else {
				color[u] = 2;
				s->derived_order[norder++] = u;
				top--;
			}
		}
	}
done:
	for (i = 0; dc && i < n; i++)
		bo__free(dc[i].deps);
	bo__free(dc);
	bo__free(color);
	bo__free(stack);
	bo__free(pos);
	bo__sb_clear(&sb);
}

static void compile_derived(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_get(top, "derived");
	bo_study *s = r->s;
	resolver rs;
	size_t i, k = 0;
	if (!m || m->type != YN_MAP)
		return;
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_METRIC) | K(BO_SYM_DERIVED) | K(BO_SYM_INPUT) |
		   K(BO_SYM_PRICE);
	rs.visible = s->nparams;
	rs.what = "a derived metric";
	rs.hint = "";
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *key = m->kids[i], *e;
		bo_derived *d;
		char what[160];
		const char *t;
		if (key->type != YN_SCALAR || k >= s->nderived ||
		    strcmp(s->derived[k].name, key->str) != 0)
			continue;
		d = &s->derived[k++];
		e = derived_expr_node(m->kids[i + 1]);
		if (!e)
			continue;
		snprintf(what, sizeof what, "derived metric \"%s\"", d->name);
		t = expr_text(r, e, what);
		if (!t)
			continue;
		d->expr = compile_at(r, e, t, &rs, what);
		if (d->expr && bo__expr_is_str(d->expr)) {
			DIAG(r, e, "%s: the expression gives a string, not a number", what);
			bo__expr_free(d->expr);
			d->expr = NULL;
		}
		if (d->expr) {
			d->text = bo__yaml_strdup(r, t);
		}
	}
	order_derived(r);
}

/* Names must be unique across parameters, metrics, derived and inputs. */
static void check_clashes(rd *r)
{
	const bo_study *s = r->s;
	struct ent {
		const char *name;
		const char *kind;
		bo_srcpos pos;
	} *e;
	size_t n = s->nparams + s->nmetrics + s->nderived + s->ninputs, k = 0, i, j;
	if (n < 2)
		return;
	e = bo__calloc(n, sizeof *e);
	if (!e) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].name)
			e[k++] = (struct ent){s->params[i].name, "parameter", s->params[i].pos};
	for (i = 0; i < s->nmetrics; i++)
		e[k++] = (struct ent){s->metrics[i].name, "metric", s->metrics[i].pos};
	for (i = 0; i < s->nderived; i++)
		e[k++] = (struct ent){s->derived[i].name, "derived metric", s->derived[i].pos};
	for (i = 0; i < s->ninputs; i++)
		e[k++] = (struct ent){s->inputs[i].name, "input", s->inputs[i].pos};
	/* small in practice: a study has tens of names; only differing kinds
	 * can clash (equal keys within one mapping are duplicates already) */
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			if (e[i].kind != e[j].kind && strcmp(e[i].name, e[j].name) == 0) {
				bo__yaml_diag_at(r, e[i].pos.line, e[i].pos.col,
					 "name \"%s\" is used twice: %s here and %s at line %d column %d "
					 "(names must be unique across parameters, metrics, derived "
					 "metrics and inputs)",
					 e[i].name, e[i].kind, e[j].kind, e[j].pos.line, e[j].pos.col);
				break;
			}
	bo__free(e);
}

static void read_constraints(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "constraints"), "constraints");
	bo_study *s = r->s;
	resolver rs;
	size_t i;
	if (!l)
		return;
	s->constraints = bo__calloc(l->n + 1, sizeof(bo_constraint));
	if (!s->constraints) {
		r->nomem = 1;
		return;
	}
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_INPUT);
	rs.visible = s->nparams;
	rs.what = "a constraint";
	rs.hint = "constraints see only parameters and inputs";
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *n = l->kids[i];
		bo_constraint *c;
		const char *t = expr_text(r, n, "constraint");
		bo_expr *e;
		if (!t)
			continue;
		e = compile_at(r, n, t, &rs, "constraint");
		if (!e)
			continue;
		c = &s->constraints[s->nconstraints++];
		c->expr = e;
		c->pos.line = n->line;
		c->pos.col = n->col;
		c->text = bo__yaml_strdup(r, t);
		if (bo__expr_is_str(e))
			DIAG(r, n, "constraint: the expression gives a string, not true or false");
	}
}

static void read_objectives(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "objectives"), "objectives");
	bo_study *s = r->s;
	size_t i, j;
	char buf[48], hint[128];
	if (!l)
		return;
	s->objectives = bo__calloc(l->n + 1, sizeof(bo_objective));
	if (!s->objectives) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *it = l->kids[i], *nn = it;
		bo_objective *o;
		int goal = 0, k, kind;
		if (it->type == YN_MAP) {
			static const char *const keys[] = {"maximize", "minimize", NULL};
			bo__yaml_check_keys(r, it, keys, "objective");
			if (it->n != 2 || it->kids[0]->type != YN_SCALAR ||
			    (strcmp(it->kids[0]->str, "maximize") && strcmp(it->kids[0]->str, "minimize"))) {
				if (it->n != 2)
					DIAG(r, it, "objective: expected {maximize: name} or {minimize: name}");
				continue;
			}
			goal = strcmp(it->kids[0]->str, "maximize") == 0 ? 1 : -1;
			nn = it->kids[1];
		}
		if (nn->type != YN_SCALAR || bo__yaml_is_null(nn)) {
			DIAG(r, nn, "objective: expected a metric name, found %s", bo__yaml_kind(nn));
			continue;
		}
		kind = BO_SYM_METRIC;
		k = bo__study_find_metric(s, nn->str);
		if (k < 0) {
			kind = BO_SYM_DERIVED;
			k = bo__study_find_derived(s, nn->str);
		}
		if (k < 0) {
			suggest sg;
			bo__suggest_init(&sg, nn->str);
			for (j = 0; j < s->nmetrics; j++)
				bo__suggest_try(&sg, s->metrics[j].name);
			for (j = 0; j < s->nderived; j++)
				bo__suggest_try(&sg, s->derived[j].name);
			DIAG(r, nn, "objective: unknown metric \"%s\"%s", bo__yaml_shown(nn->str, buf),
			     sg.best ? bo__suggest_hint(&sg, hint)
				     : " (objectives name metrics or derived metrics)");
			continue;
		}
		for (j = 0; j < s->nobjectives; j++)
			if (strcmp(s->objectives[j].name, nn->str) == 0)
				break;
		if (j < s->nobjectives) {
			DIAG(r, nn, "objective \"%s\" is listed twice", nn->str);
			continue;
		}
		if (!goal)
			goal = kind == BO_SYM_METRIC ? s->metrics[k].goal : s->derived[k].goal;
		o = &s->objectives[s->nobjectives];
		o->name = bo__yaml_strdup(r, nn->str);
		if (!o->name)
			return;
		o->sym_kind = kind;
		o->index = k;
		o->goal = goal ? goal : -1;
		o->pos.line = nn->line;
		o->pos.col = nn->col;
		s->nobjectives++;
	}
}

static resolver all_resolver(rd *r, const char *what)
{
	resolver rs;
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_METRIC) | K(BO_SYM_DERIVED) | K(BO_SYM_INPUT) |
		   K(BO_SYM_PRICE);
	rs.visible = r->s->nparams;
	rs.what = what;
	rs.hint = "";
	return rs;
}

static void read_guardrails(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "guardrails"), "guardrails");
	bo_study *s = r->s;
	resolver rs = all_resolver(r, "a guardrail");
	size_t i;
	if (!l)
		return;
	s->guardrails = bo__calloc(l->n + 1, sizeof(bo_guardrail));
	if (!s->guardrails) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *n = l->kids[i];
		const bo_expr *a, *b;
		bo_guardrail *g;
		const char *t = expr_text(r, n, "guardrail");
		bo_expr *e;
		double prob = 0;
		long cut;
		char *head = NULL;
		ynode part;
		if (!t)
			continue;
		if ((cut = bo__study_guardrail_prob(r, n, t, &prob)) < 0)
			continue;
		/* compiled and named without its "with probability" part;
		 * positions of faults in it are those of the text as written */
		if (!(head = bo__strndup(t, (size_t)cut))) {
			r->nomem = 1;
			return;
		}
		part = *n;
		part.str = head;
		t = head;
		e = compile_at(r, &part, head, &rs, "guardrail");
		if (!e) {
			bo__free(head);
			continue;
		}
		if (!bo__expr_comparison(e, &a, &b)) {
			char buf[48];
			DIAG(r, n, "guardrail \"%s\" must be a comparison (<, <=, >, >=, ==, !=) at its "
				   "top, such as \"latency_ms <= 200\"", bo__yaml_shown(t, buf));
			bo__expr_free(e);
			bo__free(head);
			continue;
		}
		g = &s->guardrails[s->nguardrails++];
		g->expr = e;
		g->prob = prob;
		g->pos.line = n->line;
		g->pos.col = n->col;
		g->text = head;
	}
}

static void read_score(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "score");
	bo_study *s = r->s;
	resolver rs = all_resolver(r, "the score");
	const char *t;
	if (!n)
		return;
	s->score_goal = 1;
	if (n->type == YN_MAP) {
		static const char *const keys[] = {"maximize", "minimize", NULL};
		bo__yaml_check_keys(r, n, keys, "score");
		if (n->n != 2 || n->kids[0]->type != YN_SCALAR ||
		    (strcmp(n->kids[0]->str, "maximize") && strcmp(n->kids[0]->str, "minimize"))) {
			if (n->n != 2)
				DIAG(r, n, "score: expected an expression, {maximize: \"expr\"} or "
					   "{minimize: \"expr\"}");
			return;
		}
		s->score_goal = strcmp(n->kids[0]->str, "maximize") == 0 ? 1 : -1;
		n = n->kids[1];
	}
	t = expr_text(r, n, "score");
	if (!t)
		return;
	s->score = compile_at(r, n, t, &rs, "score");
	if (s->score && bo__expr_is_str(s->score)) {
		DIAG(r, n, "score: the expression gives a string, not a number");
		return;
	}
	if (s->score)
		s->score_text = bo__yaml_strdup(r, t);
}

static void positive_money(rd *r, const ynode *n, const char *what, double *out)
{
	double v;
	char buf[48];
	if (bo__yaml_number(r, n, what, &v) < 0)
		return;
	if (!(v > 0)) {
		DIAG(r, n, "%s: must be more than 0, found %s", what, bo__yaml_shown(n->str, buf));
		return;
	}
	*out = v;
}

static void read_budget(rd *r, const ynode *top)
{
	static const char *const keys[] = {"money", "trials", "time", "per_trial", "rate",
					   "anomaly", NULL};
	static const char *const pkeys[] = {"money", "time", NULL};
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "budget"), "budget"), *n;
	bo_budget *b = &r->s->budget;
	long long t;
	char buf[48];
	if (!m)
		return;
	bo__yaml_check_keys(r, m, keys, "budget");
	if ((n = bo__yaml_get(m, "money")))
		positive_money(r, n, "budget: money", &b->money);
	if ((n = bo__yaml_get(m, "trials")) && bo__yaml_int(r, n, "budget: trials", 1, LLONG_MAX, &t) == 0)
		b->trials = t;
	if ((n = bo__yaml_get(m, "time")))
		bo__yaml_duration(r, n, "budget: time", &b->time_s);
	if ((n = bo__yaml_want_map(r, bo__yaml_get(m, "per_trial"), "budget: per_trial"))) {
		const ynode *x;
		bo__yaml_check_keys(r, n, pkeys, "budget: per_trial");
		if ((x = bo__yaml_get(n, "money")) && x->type == YN_SCALAR && x->plain && !strcmp(x->str, "none"))
			b->trial_money_none = 1;     /* no cap derived from the budget */
		else if (x && x->type == YN_SCALAR && x->plain && bo__yaml_num_syntax(x->str) == NUM_NO)
			DIAG(r, x, "budget: per_trial: money: expected a number > 0 or none, found \"%s\"",
			     bo__yaml_shown(x->str, buf));
		else if (x)
			positive_money(r, x, "budget: per_trial: money", &b->trial_money);
		if ((x = bo__yaml_get(n, "time")))
			bo__yaml_duration(r, x, "budget: per_trial: time", &b->trial_time_s);
	}
	bo__study_read_guard_budget(r, m);
}

/* Checks the {name} placeholders of one argument. */
static void check_placeholders(rd *r, const ynode *n, const char *arg)
{
	const char *p = arg;
	char buf[48], hint[128];
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			p += 2;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			p += 2;
			continue;
		}
		if (*p == '}') {
			bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
				 "evaluator: a lone \"}\" in the command (write \"}}\" for a literal brace)");
			p++;
			continue;
		}
		if (*p == '{') {
			const char *e = strchr(p + 1, '}');
			char name[128];
			size_t len;
			if (!e) {
				bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
					 "evaluator: unclosed \"{\" in the command (write \"{{\" for a "
					 "literal brace)");
				return;
			}
			len = (size_t)(e - p - 1);
			if (len >= sizeof name)
				len = sizeof name - 1;
			memcpy(name, p + 1, len);
			name[len] = '\0';
			if (bo__study_find_param(r->s, name) < 0) {
				suggest sg;
				size_t i;
				bo__suggest_init(&sg, name);
				for (i = 0; i < r->s->nparams; i++)
					bo__suggest_try(&sg, r->s->params[i].name);
				bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)(p - arg),
					 "evaluator: placeholder \"{%s}\" names no parameter%s",
					 bo__yaml_shown(name, buf), bo__suggest_hint(&sg, hint));
			}
			p = e + 1;
			continue;
		}
		p++;
	}
}

static char *join_path(rd *r, const char *dir, const char *rel)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	if (rel[0] == '/')
		return bo__yaml_strdup(r, rel);
	bo__sb_puts(&sb, dir);
	if (sb.len && sb.s[sb.len - 1] != '/')
		bo__sb_putc(&sb, '/');
	bo__sb_puts(&sb, rel);
	if (sb.failed) {
		r->nomem = 1;
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

/* evaluator: slurm: (values checked by core/study_slurm.c). */
static void read_slurm(rd *r, const ynode *m, bo_slurm_opts *o)
{
	static const char *const keys[] = {"partition", "time", "cpus",  "gpus", "mem",
					   "account",   "extra", "poll", NULL};
	static const char *const texts[] = {"partition", "gpus", "mem", "account", NULL};
	char *const *dst[] = {&o->partition, &o->gpus, &o->mem, &o->account};
	const ynode *n;
	char why[256], buf[48];
	long long v;
	size_t i;
	bo__yaml_check_keys(r, m, keys, "evaluator: slurm");
	for (i = 0; texts[i]; i++) {
		const char *t;
		if (!(n = bo__yaml_get(m, texts[i])) || !(t = bo__yaml_text(r, n, "evaluator: slurm")))
			continue;
		if (bo__slurm_check(texts[i], t, why, sizeof why) < 0)
			DIAG(r, n, "evaluator: slurm: %s: expected %s, found \"%s\"", texts[i], why,
			     bo__yaml_shown(t, buf));
		else
			*(char **)dst[i] = bo__yaml_strdup(r, t);
	}
	if ((n = bo__yaml_get(m, "cpus")) && bo__yaml_int(r, n, "evaluator: slurm: cpus", 1, 1 << 20, &v) == 0)
		o->cpus = (int)v;
	if ((n = bo__yaml_get(m, "poll")))
		bo__yaml_duration(r, n, "evaluator: slurm: poll", &o->poll_s);
	if ((n = bo__yaml_get(m, "time"))) {
		/* Slurm's own "HH:MM:SS" / "D-HH", or a duration like timeout's. */
		if (n->type == YN_SCALAR && !bo__yaml_is_null(n) && strpbrk(n->str, ":-")) {
			if (bo__slurm_time_parse(n->str, &o->time_s) < 0)
				DIAG(r, n, "evaluator: slurm: time: expected \"HH:MM:SS\", \"D-HH:MM\" or a duration (\"30m\"), found \"%s\"",
				     bo__yaml_shown(n->str, buf));
		} else {
			bo__yaml_duration(r, n, "evaluator: slurm: time", &o->time_s);
		}
	}
	if ((n = bo__yaml_want_seq(r, bo__yaml_get(m, "extra"), "evaluator: slurm: extra"))) {
		if (!(o->extra = bo__calloc(n->n + 1, sizeof *o->extra))) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i < n->n && !r->nomem; i++) {
			const char *t = bo__yaml_text(r, n->kids[i], "evaluator: slurm: extra");
			if (!t)
				continue;
			if (bo__slurm_check("extra", t, why, sizeof why) < 0)
				DIAG(r, n->kids[i], "evaluator: slurm: extra: \"%s\": %s", bo__yaml_shown(t, buf), why);
			else if ((o->extra[o->nextra] = bo__yaml_strdup(r, t)))
				o->nextra++;
		}
	}
}

static void read_executor(rd *r, const ynode *m, bo_evaluator *ev)
{
	const ynode *n, *sl = bo__yaml_get(m, "slurm");
	char buf[48];
	if ((n = bo__yaml_get(m, "executor"))) {
		const char *t = bo__yaml_text(r, n, "evaluator: executor");
		if (t && !strcmp(t, "slurm"))
			ev->executor = BO_EXECUTOR_SLURM;
		else if (t && strcmp(t, "local"))
			DIAG(r, n, "evaluator: executor: expected local or slurm, found \"%s\"", bo__yaml_shown(t, buf));
	}
	if (!sl)
		return;
	if (ev->executor != BO_EXECUTOR_SLURM && (!n || n->type == YN_SCALAR))
		DIAG(r, sl, "evaluator: slurm: options given, but the executor is local (add executor: slurm)");
	if (bo__yaml_want_map(r, sl, "evaluator: slurm"))
		read_slurm(r, sl, &ev->slurm);
}

static void read_evaluator(rd *r, const ynode *top)
{
	static const char *const keys[] = {"command", "parallel", "timeout", "workdir",
					   "shell",   "env",      "executor", "slurm", NULL};
	const ynode *m = bo__yaml_get(top, "evaluator"), *cmd, *n;
	bo_evaluator *ev = &r->s->evaluator;
	long long par;
	size_t i;
	char buf[48];

	if (!m) {
		/* A catalog study (catalog:) may have none: run refuses it then. */
		if (!bo__yaml_get(top, "catalog"))
			bo__yaml_diag_at(r, top->line, top->col,
				 "missing required key \"evaluator\" (the command that runs one trial; "
				 "only a study with a catalog: section may omit it)");
		return;
	}
	if (!bo__yaml_want_map(r, m, "evaluator"))
		return;
	ev->pos.line = m->line;
	ev->pos.col = m->col;
	bo__yaml_check_keys(r, m, keys, "evaluator");
	read_executor(r, m, ev);
	if ((n = bo__yaml_get(m, "shell")))
		bo__yaml_bool(r, n, "evaluator: shell", &ev->shell);
	if ((n = bo__yaml_get(m, "parallel")) &&
	    bo__yaml_int(r, n, "evaluator: parallel", 1, INT_MAX, &par) == 0)
		ev->parallel = (int)par;
	if ((n = bo__yaml_get(m, "timeout")))
		bo__yaml_duration(r, n, "evaluator: timeout", &ev->timeout_s);
	if ((n = bo__yaml_get(m, "workdir"))) {
		const char *t = bo__yaml_text(r, n, "evaluator: workdir");
		if (t && !*t)
			DIAG(r, n, "evaluator: workdir is empty");
		else if (t)
			ev->workdir = join_path(r, r->s->dir, t);
	}
	if ((n = bo__yaml_want_map(r, bo__yaml_get(m, "env"), "evaluator: env"))) {
		ev->env = bo__calloc(n->n / 2 + 1, sizeof(char *));
		if (!ev->env) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i + 1 < n->n && !r->nomem; i += 2) {
			const ynode *k = n->kids[i];
			const char *v;
			bo_strbuf sb = BO_STRBUF_INIT;
			if (k->type != YN_SCALAR)
				continue;
			if (!bo__yaml_is_ident(k->str, 0)) {
				DIAG(r, k, "evaluator: invalid environment variable name \"%s\"",
				     bo__yaml_shown(k->str, buf));
				continue;
			}
			v = bo__yaml_text(r, n->kids[i + 1], "evaluator: env");
			if (!v)
				continue;
			bo__sb_puts(&sb, k->str);
			bo__sb_putc(&sb, '=');
			bo__sb_puts(&sb, v);
			if (sb.failed) {
				r->nomem = 1;
				bo__sb_clear(&sb);
				return;
			}
			ev->env[ev->nenv++] = bo__sb_take(&sb);
		}
	}
	cmd = bo__yaml_get(m, "command");
	if (!cmd) {
		DIAG(r, m, "evaluator: missing required key \"command\" (the argv list: [python3, "
			   "evaluate.py, \"{param}\"])");
		return;
	}
	if (cmd->type == YN_SCALAR && !bo__yaml_is_null(cmd) && !ev->shell) {
		DIAG(r, cmd, "evaluator: command must be a list of strings (the argv), found a string "
			     "(write [prog, arg, ...], or set shell: true to run it with /bin/sh -c)");
		return;
	}
	if (cmd->type == YN_MAP || bo__yaml_is_null(cmd)) {
		DIAG(r, cmd, "evaluator: command must be a list of strings (the argv), found %s",
		     bo__yaml_kind(cmd));
		return;
	}
	if (cmd->type == YN_SEQ && cmd->n == 0) {
		DIAG(r, cmd, "evaluator: command is empty");
		return;
	}
	if (cmd->type == YN_SEQ && ev->shell && cmd->n != 1) {
		DIAG(r, cmd, "evaluator: with shell: true, command must be a single string");
		return;
	}
	{
		size_t na = cmd->type == YN_SEQ ? cmd->n : 1;
		ev->argv = bo__calloc(na + 1, sizeof(char *));
		if (!ev->argv) {
			r->nomem = 1;
			return;
		}
		for (i = 0; i < na && !r->nomem; i++) {
			const ynode *a = cmd->type == YN_SEQ ? cmd->kids[i] : cmd;
			const char *t = bo__yaml_text(r, a, "evaluator: command");
			if (!t)
				continue;
			check_placeholders(r, a, t);
			ev->argv[ev->argc] = bo__yaml_strdup(r, t);
			if (ev->argv[ev->argc])
				ev->argc++;
		}
	}
}

static void read_sampler_storage_seed(rd *r, const ynode *top)
{
	static const char *const samplers[] = {"auto", "random", "sobol", "tpe", "gp", "nsga2", NULL};
	const ynode *n;
	bo_study *s = r->s;
	char buf[48], hint[128];
	if ((n = bo__yaml_get(top, "sampler"))) {
		const char *t = bo__yaml_text(r, n, "sampler");
		if (t) {
			suggest sg;
			size_t i;
			int ok = 0;
			bo__suggest_init(&sg, t);
			for (i = 0; samplers[i]; i++) {
				if (strcmp(samplers[i], t) == 0)
					ok = 1;
				bo__suggest_try(&sg, samplers[i]);
			}
			if (!ok)
				DIAG(r, n, "unknown sampler \"%s\"%s", bo__yaml_shown(t, buf),
				     sg.best ? bo__suggest_hint(&sg, hint) : " (known: auto, random, sobol)");
			else
				s->sampler = bo__yaml_strdup(r, t);
		}
	}
	if (!s->sampler && !r->nomem)
		s->sampler = bo__yaml_strdup(r, "auto");
	if ((n = bo__yaml_get(top, "storage"))) {
		const char *t = bo__yaml_text(r, n, "storage");
		if (t && !*t)
			DIAG(r, n, "storage: empty URI");
		else if (t)
			s->storage = bo__yaml_strdup(r, t);
	}
	/* Who may read the ledger, its journal and the trial folders. */
	if ((n = bo__yaml_get(top, "storage_access"))) {
		const char *t = bo__yaml_text(r, n, "storage_access");
		if (t && !strcmp(t, "group"))
			s->storage_group = 1;
		else if (t && strcmp(t, "private") != 0)
			DIAG(r, n, "storage_access: \"%s\" is neither private (owner only, the default) "
			     "nor group (group-readable)", bo__yaml_shown(t, buf));
	}
	if ((n = bo__yaml_get(top, "seed"))) {
		if (n->type == YN_SCALAR && n->plain && bo__yaml_num_syntax(n->str) == NUM_INT &&
		    n->str[0] != '-') {
			unsigned long long v;
			errno = 0;
			v = strtoull(n->str, NULL, 10);
			if (errno == ERANGE)
				DIAG(r, n, "seed: integer %s is out of range", bo__yaml_shown(n->str, buf));
			else {
				s->seed = v;
				s->has_seed = 1;
			}
		} else {
			long long v;
			if (bo__yaml_int(r, n, "seed", 0, LLONG_MAX, &v) == 0) {
				s->seed = (uint64_t)v;
				s->has_seed = 1;
			}
		}
	}
}

/* ---- the space hash ---------------------------------------------------- */

static int space_hash(bo_study *s)
{
	static const char *const tn[] = {"float", "int", "choice", "ordinal"};
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t i, k;
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		bo__sb_printf(&sb, "param\x1f%s\x1f%s", p->name, tn[p->type]);
		if (p->type == BO_PT_FLOAT || p->type == BO_PT_INT)
			bo__sb_printf(&sb, "\x1f%.17g\x1f%.17g\x1flog=%d\x1fstep=%.17g", p->lo, p->hi,
				      p->log, p->step);
		for (k = 0; k < p->nchoices; k++) {
			bo__sb_putc(&sb, '\x1f');
			bo__sb_puts(&sb, p->choices[k]);
		}
		bo__sb_puts(&sb, "\x1fwhen=");
		if (p->when_text)
			bo__sb_puts(&sb, p->when_text);
		bo__sb_putc(&sb, '\n');
	}
	for (i = 0; i < s->nconstraints; i++) {
		bo__sb_puts(&sb, "constraint\x1f");
		bo__sb_puts(&sb, s->constraints[i].text);
		bo__sb_putc(&sb, '\n');
	}
	if (sb.failed) {
		bo__sb_clear(&sb);
		return BO_ENOMEM;
	}
	bo__sha256_hex(sb.s ? sb.s : "", sb.len, s->space_hash);
	bo__sb_clear(&sb);
	return 0;
}

/* ---- the whole file ------------------------------------------------------ */

static void read_catalog(rd *r, const ynode *top)
{
	static const char *const keys[] = {"columns", "where", "label", NULL};
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "catalog"), "catalog"), *n;
	bo_catalog_spec *c = &r->s->catalog;
	resolver rs = all_resolver(r, "a catalog filter");
	char buf[48];
	size_t i;
	if (!m)
		return;
	c->pos.line = m->line;
	c->pos.col = m->col;
	bo__yaml_check_keys(r, m, keys, "catalog");
	if ((n = bo__yaml_get(m, "where"))) {
		const char *t = expr_text(r, n, "catalog: where");
		if (t && (c->where = compile_at(r, n, t, &rs, "catalog: where")))
			c->where_text = bo__yaml_strdup(r, t);
	}
	if ((n = bo__yaml_get(m, "label"))) {
		const char *col = bo__yaml_text(r, n, "catalog: label");
		if (col)
			c->label = bo__yaml_strdup(r, col);
	}
	if (!(n = bo__yaml_want_map(r, bo__yaml_get(m, "columns"), "catalog: columns")))
		return;
	c->names = bo__calloc(n->n / 2 + 1, sizeof(char *));
	c->columns = bo__calloc(n->n / 2 + 1, sizeof(char *));
	if (!c->names || !c->columns) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < n->n && !r->nomem; i += 2) {
		const ynode *k = n->kids[i];
		const char *col;
		if (k->type != YN_SCALAR)
			continue;
		if (bo__study_find_param(r->s, k->str) < 0 && bo__study_find_metric(r->s, k->str) < 0) {
			DIAG(r, k, "catalog: columns: \"%s\" is not a parameter or a metric of the study",
			     bo__yaml_shown(k->str, buf));
			continue;
		}
		if (!(col = bo__yaml_text(r, n->kids[i + 1], "catalog: columns")))
			continue;
		c->names[c->ncolumns] = bo__yaml_strdup(r, k->str);
		c->columns[c->ncolumns] = bo__yaml_strdup(r, col);
		c->ncolumns++;
	}
}

int bo__study_compile(const bo_study *s, const char *text, const char *what, bo_expr **out)
{
	rd r;
	resolver rs;
	size_t off = 0;
	int rc;
	memset(&r, 0, sizeof r);
	r.s = (bo_study *)s;
	rs = all_resolver(&r, what);
	rc = bo__expr_compile(out, text, resolve, &rs, &off);
	if (rc == BO_ENOMEM || rc == 0)
		return rc;
	{
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", bo_error_last());
		return bo__error(BO_EINVAL, "%s: column %zu: %s", what, off + 1, msg);
	}
}

static void read_study(rd *r)
{
	const ynode *top = r->root;
	const ynode *n;
	if (top->type != YN_MAP) {
		DIAG(r, top, "a study file must be a mapping of keys (name:, space:, evaluator:, "
			     "...), found %s", bo__yaml_kind(top));
		return;
	}
	bo__yaml_check_keys(r, top, TOP_KEYS, "the study");
	read_name(r, top);
	read_sampler_storage_seed(r, top);
	read_space(r, top);
	read_inputs(r, top);
	read_prices(r, top);
	read_metrics(r, top);
	read_derived_names(r, top);
	if (r->nomem)
		return;
	check_clashes(r);
	read_space_when(r, top);
	read_constraints(r, top);
	compile_derived(r, top);
	read_objectives(r, top);
	read_guardrails(r, top);
	read_score(r, top);
	read_budget(r, top);
	bo__study_read_guard(r, top);
	read_evaluator(r, top);
	read_catalog(r, top);
	bo__study_read_pruner(r, top);
	bo__study_read_fidelity(r, top);
	(void)n;
}

static char *absolute_dir(const char *dir)
{
	char cwd[4096];
	bo_strbuf sb = BO_STRBUF_INIT;
	if (dir && dir[0] == '/')
		return bo__strdup(dir);
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/");
	if (!dir || !*dir || strcmp(dir, ".") == 0)
		return bo__strdup(cwd);
	bo__sb_puts(&sb, cwd);
	if (sb.len && sb.s[sb.len - 1] != '/')
		bo__sb_putc(&sb, '/');
	bo__sb_puts(&sb, dir);
	if (sb.failed) {
		bo__sb_clear(&sb);
		return NULL;
	}
	return bo__sb_take(&sb);
}

static int parse_impl(bo_study **out, const char *text, size_t len, const char *path,
		      const char *dir, bo_diags **diagsp)
{
	rd r;
	bo_study *s = NULL;
	int rc = 0;

	*out = NULL;
	if (diagsp)
		*diagsp = NULL;
	memset(&r, 0, sizeof r);
	r.file = path;
	r.text = text;
	r.len = len;
	r.diags = bo__calloc(1, sizeof *r.diags);
	if (!r.diags) {
		rc = BO_ENOMEM;
		goto done;
	}
	s = bo__calloc(1, sizeof *s);
	if (!s) {
		rc = BO_ENOMEM;
		goto done;
	}
	r.s = s;
	s->budget.money = NAN;
	s->budget.time_s = NAN;
	s->budget.trial_money = NAN;
	s->budget.trial_time_s = NAN;
	bo__study_guard_defaults(s);
	s->evaluator.parallel = 1;
	s->evaluator.timeout_s = NAN;
	s->evaluator.slurm.time_s = NAN;
	s->score_goal = 1;
	s->fidelity.param = -1;
	s->path = bo__strdup(path);
	s->dir = absolute_dir(dir);
	s->text = bo__strndup(text ? text : "", text ? len : 0);
	if (!s->path || !s->dir || !s->text) {
		rc = BO_ENOMEM;
		goto done;
	}
	s->text_len = len;
	if (len > BO_STUDY_MAX_BYTES) {
		bo__yaml_diag_at(&r, 1, 1, "the study file is larger than 16 MiB (%zu bytes)", len);
	} else if (bo__yaml_build_tree(&r) == 0) {
		read_study(&r);
	}
	if (r.nomem) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (r.diags->n) {
		bo__yaml_diags_sort(r.diags);
		rc = BO_EINVAL;
		goto done;
	}
	bo__sha256_hex(s->text, s->text_len, s->hash);
	rc = space_hash(s);
done:
	bo__yaml_tree_free(&r);
	if (rc == BO_ENOMEM || (r.diags && r.nomem)) {
		rc = bo__error(BO_ENOMEM, "%s: out of memory", path);
	} else if (rc == BO_EINVAL) {
		bo__error(BO_EINVAL, "%s", r.diags->lines[0]);
	}
	if (rc == 0) {
		*out = s;
		s = NULL;
	}
	bo_study_free(s);
	if (diagsp && rc == BO_EINVAL) {
		*diagsp = r.diags;
		r.diags = NULL;
	}
	bo_diags_free(r.diags);
	return rc;
}

int bo_study_parse(bo_study **out, const char *text, size_t len, const char *name,
		   const char *dir, bo_diags **diags)
{
	if (!out)
		return bo__error(BO_EMISUSE, "bo_study_parse: out is NULL");
	if (!text && len)
		return bo__error(BO_EMISUSE, "bo_study_parse: text is NULL");
	return parse_impl(out, text ? text : "", len, name ? name : "<string>", dir, diags);
}

/* Adds one diagnostic without a position (file could not be read). */
static int io_problem(bo_diags **diagsp, int code, const char *msg)
{
	bo_diags *d;
	bo__error(code, "%s", msg);
	if (!diagsp)
		return code;
	d = bo__calloc(1, sizeof *d);
	if (!d)
		return bo__error(BO_ENOMEM, "out of memory");
	d->lines = bo__calloc(1, sizeof(char *));
	if (d->lines)
		d->lines[0] = bo__strdup(msg);
	if (!d->lines || !d->lines[0]) {
		bo_diags_free(d);
		return bo__error(BO_ENOMEM, "out of memory");
	}
	d->n = d->cap = 1;
	*diagsp = d;
	bo__error(code, "%s", msg);
	return code;
}

int bo_study_load(bo_study **out, const char *path, bo_diags **diags)
{
	FILE *f = NULL;
	char *buf = NULL, *dir = NULL, *slash;
	struct stat st;
	size_t len = 0, cap;
	char msg[1200];
	int rc;

	if (!out)
		return bo__error(BO_EMISUSE, "bo_study_load: out is NULL");
	*out = NULL;
	if (diags)
		*diags = NULL;
	if (!path)
		return bo__error(BO_EMISUSE, "bo_study_load: path is NULL");
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		snprintf(msg, sizeof msg, "%s: cannot open: %s", path, strerror(errno));
		rc = io_problem(diags, BO_EIO, msg);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(msg, sizeof msg, "%s: is a folder, not a study file", path);
		rc = io_problem(diags, BO_EIO, msg);
		goto done;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > BO_STUDY_MAX_BYTES) {
		snprintf(msg, sizeof msg, "%s:1:1: the study file is larger than 16 MiB (%jd bytes)",
			 path, (intmax_t)st.st_size);
		rc = io_problem(diags, BO_EINVAL, msg);
		goto done;
	}
	/* read at most one byte past the limit (pipes have no size) */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = bo__malloc(cap);
	if (!buf) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > BO_STUDY_MAX_BYTES)
			break;
		if (got == 0 || len < cap) {
			if (ferror(f)) {
				snprintf(msg, sizeof msg, "%s: cannot read: %s", path, strerror(errno));
				rc = io_problem(diags, BO_EIO, msg);
				goto done;
			}
			if (feof(f) || got == 0)
				break;
			continue;
		}
		{
			char *nb = bo__realloc(buf, cap * 2, 1);
			if (!nb) {
				rc = BO_ENOMEM;
				goto done;
			}
			buf = nb;
			cap *= 2;
		}
	}
	dir = bo__strdup(path);
	if (!dir) {
		rc = BO_ENOMEM;
		goto done;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	rc = parse_impl(out, buf, len, path, dir, diags);
	if (rc == 0) {
		/* resolve symbolic links and ".." for a stable folder */
		char *real = realpath((*out)->dir, NULL);
		if (real) {
			char *copy = bo__strdup(real);
			free(real);
			if (!copy) {
				bo_study_free(*out);
				*out = NULL;
				rc = BO_ENOMEM;
				goto done;
			}
			bo__free((*out)->dir);
			(*out)->dir = copy;
		}
	}
done:
	if (f)
		fclose(f);
	bo__free(buf);
	bo__free(dir);
	return rc;
}

/* ---- for the readers of core/study_yaml_int.h -------------------------- */

const char *bo__yaml_suggest(const char *name, const char *const *cands, size_t n, char buf[128])
{
	suggest sg;
	size_t i;
	bo__suggest_init(&sg, name);
	for (i = 0; i < n; i++)
		bo__suggest_try(&sg, cands[i]);
	return bo__suggest_hint(&sg, buf);
}

/* ---- a price book from its own file (budgetopt reprice) ---------------- */

static void pricebook_clear(bo_pricebook *pb)
{
	size_t i, j;
	for (i = 0; pb->items && i < pb->n; i++) {
		bo_price *p = &pb->items[i];
		bo__free(p->name);
		for (j = 0; p->keys && j < p->nkeys; j++)
			bo__free(p->keys[j]);
		bo__free(p->keys);
		bo__free(p->values);
		bo__free(p->dists);   /* the distributions are the study's list's */
	}
	bo__free(pb->items);
	bo__free(pb->version);
	bo__free(pb->currency);
	memset(pb, 0, sizeof *pb);
}

int bo__study_read_prices(bo_study *s, const char *text, size_t len, const char *path,
			  bo_diags **diagsp)
{
	rd r;
	bo_study *tmp = NULL;
	bo_dist **list;
	size_t i;
	int rc = 0;

	if (diagsp)
		*diagsp = NULL;
	memset(&r, 0, sizeof r);
	r.file = path;
	r.text = text;
	r.len = len;
	if (!(r.diags = bo__calloc(1, sizeof *r.diags)) || !(tmp = bo__calloc(1, sizeof *tmp)) ||
	    !(tmp->dir = bo__strdup(s->dir ? s->dir : "."))) {
		rc = BO_ENOMEM;
		goto done;
	}
	r.s = tmp;
	if (len > BO_STUDY_MAX_BYTES) {
		bo__yaml_diag_at(&r, 1, 1, "the file is larger than 16 MiB (%zu bytes)", len);
	} else if (bo__yaml_build_tree(&r) == 0) {
		if (r.root->type != YN_MAP || !bo__yaml_get(r.root, "prices"))
			DIAG(&r, r.root, "a price-book file is a mapping with a prices: key, written as "
					 "in a study file");
		else
			read_prices(&r, r.root);
	}
	if (r.nomem) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (r.diags->n) {
		bo__yaml_diags_sort(r.diags);
		rc = BO_EINVAL;
		goto done;
	}
	/* the new book's distributions join the study's list after its own */
	if (tmp->nuncertain) {
		if (!(list = bo__realloc(s->uncertain, s->nuncertain + tmp->nuncertain,
					 sizeof *list))) {
			rc = BO_ENOMEM;
			goto done;
		}
		s->uncertain = list;
		for (i = 0; i < tmp->nuncertain; i++) {
			tmp->uncertain[i]->slot = s->nuncertain;
			s->uncertain[s->nuncertain++] = tmp->uncertain[i];
		}
		tmp->nuncertain = 0;
	}
	pricebook_clear(&s->prices);
	s->prices = tmp->prices;
	memset(&tmp->prices, 0, sizeof tmp->prices);
done:
	bo__yaml_tree_free(&r);
	if (rc == BO_ENOMEM)
		rc = bo__error(BO_ENOMEM, "%s: out of memory", path);
	else if (rc == BO_EINVAL)
		bo__error(BO_EINVAL, "%s", r.diags->lines[0]);
	bo_study_free(tmp);
	if (diagsp && rc == BO_EINVAL) {
		*diagsp = r.diags;
		r.diags = NULL;
	}
	bo_diags_free(r.diags);
	return rc;
}
