/*
 * core/expr_eval.c - evaluating and explaining compiled expressions
 * (core/expr.h); the tree comes from the parser in core/expr.c.
 *
 * Must never do I/O or keep global state. The tree is never deeper than
 * the parser allowed, so the recursion here is bounded by it.
 */
#include "core/expr.h"
#include "core/expr_int.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Evaluation
 *
 * Three-valued (Kleene) logic for missing values. A value is missing when
 * the environment has none for a name (get() or price_key() answers
 * BO_ENOTFOUND: an empty cell, a missing metric, an inactive parameter).
 * Inside the evaluator a missing value is the return code MISSING, never a
 * number, so NaN from arithmetic (0/0) stays a number that is not true.
 *   arithmetic, functions, comparisons, unary minus, not: missing in,
 *     missing out;
 *   and: false if any operand is false, else missing if any is missing,
 *     else true; or: true if any is true, else missing if any is, else
 *     false (evaluated left to right, stopping at the first deciding one);
 *   if(c, a, b): missing when c is missing (neither branch is evaluated);
 *   missing(x) / present(x): 1 or 0, never missing.
 * bo__expr_eval reports a missing result as BO_ENOTFOUND naming the first
 * missing value it read. */

#define MISSING 1

typedef struct ev {
	const bo_expr_env *env;
	bo_expr_robust_fn robust;   /* NULL: a robust call is its argument */
	void *rud;
	char why[MSG_MAX];   /* the first missing value read, "" if none */
} ev;

static int missing_at(ev *x, const char *fmt, ...) BO__PRINTF(2, 3);
static int missing_at(ev *x, const char *fmt, ...)
{
	va_list ap;
	if (!x->why[0]) {
		va_start(ap, fmt);
		vsnprintf(x->why, sizeof x->why, fmt, ap);
		va_end(ap);
	}
	return MISSING;
}

/* Truthiness of a present number: non-zero and not NaN. */
static int truthy(double x)
{
	return x != 0.0 && !isnan(x);
}

/* A number as a price-table key, so that it matches the label it was read
 * from: integers in full ("64", "1000000000000000"), others as the shortest
 * "%.*g" (at most %.17g) that reads back exactly ("0.1", not
 * "0.10000000000000001"). */
static void format_key(double x, char *buf, size_t n)
{
	const char *dp = localeconv()->decimal_point;
	char *at;
	int prec;
	if (x == 0.0)
		x = fabs(x); /* no "-0" */
	if (x == floor(x) && fabs(x) < 1e17) {
		snprintf(buf, n, "%.0f", x);
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	if (dp && *dp && strcmp(dp, ".") && (at = strstr(buf, dp)) != NULL) {
		*at = '.';
		memmove(at + 1, at + strlen(dp), strlen(at + strlen(dp)) + 1);
	}
}

static int eval_node(const bo_expr *e, ev *x, bo_xval *v);

/* A number operand: 0, MISSING or an error. */
static int eval_num(const bo_expr *e, ev *x, double *out)
{
	bo_xval v = {0.0, NULL};
	int rc = eval_node(e, x, &v);
	*out = rc ? NAN : v.num;
	return rc;
}

static int eval_sym(const bo_expr *e, ev *x, bo_xval *v)
{
	const bo_expr_env *env = x->env;
	bo_xval got = {NAN, NULL};
	int rc;

	if (e->op == OP_PRICE && e->n == 1) {
		bo_xval k = {0.0, NULL};
		char key[40];
		rc = eval_node(e->kid[0], x, &k);
		if (rc)
			return rc;
		if (!k.str)
			format_key(k.num, key, sizeof key);
		if (!env || !env->price_key)
			return bo__error(BO_EMISUSE, "no price book to look up %s[%s]", e->text,
					 k.str ? k.str : key);
		rc = env->price_key(env->ud, e->sym.index, k.str ? k.str : key, &v->num);
		if (rc == BO_ENOTFOUND)
			return missing_at(x, "no price for key \"%.*s\" in %s", SHOW_MAX,
					  k.str ? k.str : key, e->text);
		if (rc < 0)
			return bo__error(rc, "no price for key \"%.*s\" in %s", SHOW_MAX,
					 k.str ? k.str : key, e->text);
		return 0;
	}
	if (!env || !env->get)
		return bo__error(BO_EMISUSE, "no values to look up \"%s\"", e->text);
	rc = env->get(env->ud, &e->sym, &got);
	if (rc == BO_ENOTFOUND)
		return missing_at(x, "no value for \"%s\"", e->text);
	if (rc < 0)
		return bo__error(rc, "no value for \"%s\"", e->text);
	if (e->is_str && !got.str)
		return bo__error(BO_EINVAL, "\"%s\" should be a label but its value is a number",
				 e->text);
	if (!e->is_str && got.str)
		return bo__error(BO_EINVAL, "\"%s\" should be a number but its value is \"%.*s\"",
				 e->text, SHOW_MAX, got.str);
	*v = got;
	return 0;
}

static int eval_call(const bo_expr *e, ev *x, double *out)
{
	double r = NAN, y, base;
	size_t i;
	int rc;
	if (e->fn == F_MISSING || e->fn == F_PRESENT) {
		bo_xval v = {0.0, NULL};
		rc = eval_node(e->kid[0], x, &v);
		if (rc < 0)
			return rc;
		*out = (rc == MISSING) == (e->fn == F_MISSING) ? 1.0 : 0.0;
		return 0;
	}
	if ((rc = eval_num(e->kid[0], x, &r)) != 0)
		return rc;
	switch (e->fn) {
	case F_MIN:
	case F_MAX:
		/* NaN wins, and a missing argument makes the answer missing */
		for (i = 1; i < e->n; i++) {
			rc = eval_num(e->kid[i], x, &y);
			if (rc)
				return rc;
			if (isnan(y) || isnan(r))
				r = NAN;
			else if (e->fn == F_MIN ? y < r : y > r)
				r = y;
		}
		break;
	case F_LOG:
		if (e->n == 2) {
			rc = eval_num(e->kid[1], x, &base);
			if (rc)
				return rc;
			r = log(r) / log(base);
		} else {
			r = log(r);
		}
		break;
	case F_EXP: r = exp(r); break;
	case F_SQRT: r = sqrt(r); break;
	case F_ABS: r = fabs(r); break;
	case F_CEIL: r = ceil(r); break;
	case F_FLOOR: r = floor(r); break;
	default: r = round(r); break; /* C's round: halves away from zero */
	}
	*out = r;
	return 0;
}

/* and / or over the three values, left to right, stopping at the first
 * operand that decides. */
static int eval_logic(const bo_expr *e, ev *x, double *out)
{
	int is_and = e->op == OP_AND, any_missing = 0, rc;
	size_t i;
	double a;
	for (i = 0; i < e->n; i++) {
		rc = eval_num(e->kid[i], x, &a);
		if (rc < 0)
			return rc;
		if (rc == MISSING) {
			any_missing = 1;
			continue;
		}
		if (truthy(a) != is_and) {
			*out = is_and ? 0.0 : 1.0;
			return 0;
		}
	}
	if (any_missing)
		return MISSING;
	*out = is_and ? 1.0 : 0.0;
	return 0;
}

static int compare(const bo_expr *e, const bo_xval *l, const bo_xval *r)
{
	if (l->str) {
		int d = strcmp(l->str, r->str);
		return e->fn == CMP_EQ ? d == 0 : d != 0;
	}
	switch (e->fn) {
	case CMP_LT: return l->num < r->num;
	case CMP_LE: return l->num <= r->num;
	case CMP_GT: return l->num > r->num;
	case CMP_GE: return l->num >= r->num;
	case CMP_EQ: return l->num == r->num;
	default: return l->num != r->num;
	}
}

static int eval_node(const bo_expr *e, ev *x, bo_xval *v)
{
	double a = NAN, b = NAN;
	size_t i;
	int rc = 0;

	v->str = NULL;
	v->num = NAN;
	switch (e->op) {
	case OP_NUM:
		v->num = e->num;
		break;
	case OP_STR:
		v->str = e->text;
		break;
	case OP_SYM:
	case OP_PRICE:
		rc = eval_sym(e, x, v);
		break;
	case OP_NEG:
		rc = eval_num(e->kid[0], x, &a);
		v->num = -a;
		break;
	case OP_NOT:
		rc = eval_num(e->kid[0], x, &a);
		v->num = truthy(a) ? 0.0 : 1.0;
		break;
	case OP_SUM:
	case OP_PROD:
		rc = eval_num(e->kid[0], x, &a);
		for (i = 1; !rc && i < e->n; i++) {
			rc = eval_num(e->kid[i], x, &b);
			switch (e->ops[i]) {
			case '+': a = a + b; break;
			case '-': a = a - b; break;
			case '*': a = a * b; break;
			case '/': a = a / b; break;
			default: a = fmod(a, b); break;
			}
		}
		v->num = a;
		break;
	case OP_POW:
		rc = eval_num(e->kid[0], x, &a);
		if (!rc)
			rc = eval_num(e->kid[1], x, &b);
		v->num = pow(a, b);
		break;
	case OP_CMP: {
		bo_xval l, r;
		rc = eval_node(e->kid[0], x, &l);
		if (!rc)
			rc = eval_node(e->kid[1], x, &r);
		if (!rc)
			v->num = compare(e, &l, &r) ? 1.0 : 0.0;
		break;
	}
	case OP_AND:
	case OP_OR:
		rc = eval_logic(e, x, &v->num);
		break;
	case OP_IF:
		rc = eval_num(e->kid[0], x, &a);
		if (!rc)
			rc = eval_node(e->kid[truthy(a) ? 1 : 2], x, v);
		break;
	case OP_ROBUST:
		if (!x->robust) {
			rc = eval_num(e->kid[0], x, &v->num);
			break;
		}
		rc = x->robust(x->rud, e, &v->num);
		if (rc == BO_ENOTFOUND)
			rc = missing_at(x, "%s", bo_error_last());
		break;
	default:
		rc = eval_call(e, x, &v->num);
		break;
	}
	if (rc) {
		v->num = NAN;
		v->str = NULL;
	}
	return rc;
}

int bo__expr_eval(const bo_expr *e, const bo_expr_env *env, double *out)
{
	return bo__expr_eval_robust(e, env, NULL, NULL, out);
}

int bo__expr_eval_robust(const bo_expr *e, const bo_expr_env *env, bo_expr_robust_fn fn, void *ud,
			 double *out)
{
	bo_xval v = {NAN, NULL};
	ev x;
	int rc;
	if (!e || !out) {
		if (out)
			*out = NAN;
		return bo__error(BO_EMISUSE, "bo__expr_eval: NULL argument");
	}
	x.env = env;
	x.robust = fn;
	x.rud = ud;
	x.why[0] = '\0';
	rc = eval_node(e, &x, &v);
	if (rc == MISSING)
		rc = bo__error(BO_ENOTFOUND, "%s", x.why);
	else if (!rc && v.str)
		rc = bo__error(BO_EINVAL, "the expression gives a string (\"%.*s\"), not a number",
			       SHOW_MAX, v.str);
	*out = rc ? NAN : v.num;
	return rc;
}

/* ---- why an expression is not true ------------------------------------ */

static void put_val(bo_strbuf *sb, const bo_xval *v)
{
	if (v->str)
		bo__sb_printf(sb, "'%.*s'", SHOW_MAX, v->str);
	else
		bo__sb_printf(sb, "%.6g", v->num);
}

/* Appends why e evaluates to want (0: false, 1: true), following the
 * operands that decided it; e is known to evaluate to want. */
static void explain(const bo_expr *e, ev *x, int want, bo_strbuf *sb)
{
	bo_xval l, r;
	double a;
	size_t i;
	int first = 1;
	switch (e->op) {
	case OP_CMP:
		if (eval_node(e->kid[0], x, &l) || eval_node(e->kid[1], x, &r))
			break;
		bo__sb_printf(sb, "\"%s\" %s (", e->text, want ? "holds" : "is false");
		put_val(sb, &l);
		bo__sb_printf(sb, " %s ", bo__expr_cmp_names[e->fn]);
		put_val(sb, &r);
		bo__sb_putc(sb, ')');
		return;
	case OP_NOT:
		explain(e->kid[0], x, !want, sb);
		return;
	case OP_AND:
	case OP_OR:
		for (i = 0; i < e->n; i++) {
			if (eval_num(e->kid[i], x, &a) != 0 || truthy(a) != want)
				continue;
			/* and: one false operand decides; or: one true one does */
			if ((e->op == OP_AND) != want) {
				explain(e->kid[i], x, want, sb);
				return;
			}
			bo__sb_puts(sb, first ? "" : " and ");
			first = 0;
			explain(e->kid[i], x, want, sb);
		}
		return;
	case OP_IF:
		if (eval_num(e->kid[0], x, &a) == 0) {
			explain(e->kid[truthy(a) ? 1 : 2], x, want, sb);
			return;
		}
		break;
	default:
		break;
	}
	if (e->op == OP_SYM)
		bo__sb_printf(sb, "\"%s\" is %s", e->text, want ? "true" : "false");
	else
		bo__sb_printf(sb, "a value is %s", want ? "true" : "false");
}

int bo__expr_explain(const bo_expr *e, const bo_expr_env *env, char **out)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo_xval v = {NAN, NULL};
	ev x;
	int rc;
	*out = NULL;
	if (!e)
		return bo__error(BO_EMISUSE, "bo__expr_explain: NULL argument");
	x.env = env;
	x.robust = NULL;
	x.rud = NULL;
	x.why[0] = '\0';
	rc = eval_node(e, &x, &v);
	if (rc < 0)
		return rc;
	if (rc == MISSING) {
		/* "no value for "x"" reads as "x" is missing */
		const char *w = x.why;
		if (!strncmp(w, "no value for ", 13))
			bo__sb_printf(&sb, "%s is missing", w + 13);
		else
			bo__sb_puts(&sb, w);
	} else if (v.str) {
		bo__sb_puts(&sb, "it gives a string");
	} else if (truthy(v.num)) {
		bo__sb_puts(&sb, "it holds");
	} else {
		explain(e, &x, 0, &sb);
	}
	if (!(*out = bo__sb_take(&sb)))
		return BO_ENOMEM;
	return 0;
}
