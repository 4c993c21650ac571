/*
 * core/expr.c - the expression language of study files (grammar in
 * core/expr.h): a recursive-descent parser to a statically typed syntax
 * tree (core/expr_int.h); the tree-walking evaluator is core/expr_eval.c.
 *
 * Every node of the tree is itself a bo_expr, so bo__expr_comparison can
 * hand out the two sides of a comparison as expressions of their own.
 *
 * Must never do I/O, keep global state, or recurse without bound. The parser
 * caps nesting (parentheses, arguments, prefix operators, exponents) at
 * MAX_DEPTH, and a chain of one precedence level ("a + b - c + ...",
 * "a and b and ...") is stored as one flat node, so the tree that eval, free
 * and foreach_sym walk is never deeper than the parser allowed, however long
 * the text.
 *
 * This file holds the functions' table and the parser, one function per
 * rule of the grammar. Its siblings, sharing core/expr_parse.h: expr_lex.c
 * (the lexer and the parser's error messages) and expr_tree.c (building
 * and freeing the tree, and what the API reads of it).
 */
#include "core/expr.h"
#include "core/expr_int.h"
#include "core/expr_parse.h"
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

#define WHY_MAX 256       /* the resolver's reason */
#define SUGGEST_MAX_LEN 32/* longer names get no "did you mean" */

const struct fn_def bo__expr_fns[] = {
	[F_MIN] = {"min", 1, 0},   [F_MAX] = {"max", 1, 0},
	[F_LOG] = {"log", 1, 2},   [F_EXP] = {"exp", 1, 1},
	[F_SQRT] = {"sqrt", 1, 1}, [F_ABS] = {"abs", 1, 1},
	[F_CEIL] = {"ceil", 1, 1}, [F_FLOOR] = {"floor", 1, 1},
	[F_ROUND] = {"round", 1, 1}, [F_IF] = {"if", 3, 3},
	[F_MISSING] = {"missing", 1, 1}, [F_PRESENT] = {"present", 1, 1},
};
#define NFNS (sizeof bo__expr_fns / sizeof bo__expr_fns[0])

const char *const bo__expr_cmp_names[] = {"<", "<=", ">", ">=", "==", "!="};

/* ------------------------------------------------------------------ */
/* Parser: one function per rule of the grammar in expr.h */

static int parse_expr(parser *p, bo_expr **out);
static int parse_unary(parser *p, bo_expr **out);

static int levenshtein(const char *a, size_t na, const char *b)
{
	size_t nb = strlen(b), i, j;
	int row[SUGGEST_MAX_LEN + 1];
	for (j = 0; j <= nb; j++)
		row[j] = (int)j;
	for (i = 1; i <= na; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (j = 1; j <= nb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

static int find_fn(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < NFNS; i++)
		if (strlen(bo__expr_fns[i].name) == len && !memcmp(bo__expr_fns[i].name, name, len))
			return (int)i;
	return -1;
}

static int fail_unknown_fn(parser *p, const token *t)
{
	const char *name = p->src + t->off;
	int len = t->len > SHOW_MAX ? SHOW_MAX : (int)t->len;
	const char *more = t->len > SHOW_MAX ? "..." : "";
	int best = -1;
	if (t->len <= SUGGEST_MAX_LEN) {
		int bestd = 3;
		size_t i;
		for (i = 0; i < NFNS; i++) {
			int d = levenshtein(name, t->len, bo__expr_fns[i].name);
			if (d < bestd && (size_t)d < t->len) {
				bestd = d;
				best = (int)i;
			}
		}
	}
	if (best >= 0)
		return bo__expr_fail_at(p, BO_EINVAL, t->off,
			       "unknown function \"%.*s\" (did you mean \"%s\"?)", len, name,
			       bo__expr_fns[best].name);
	return bo__expr_fail_at(p, BO_EINVAL, t->off,
		       "unknown function \"%.*s%s\" (functions: min, max, log, exp, sqrt, abs, "
		       "ceil, floor, round, if, missing, present; across scenarios: mean, worst, "
		       "cvar, spread, regret)",
		       len, name, more);
}

/* The robust functions (expr.h), by BO_EXPR_ROBUST_* kind. */
static const char *const ROBUST_NAMES[] = {"mean", "worst", "cvar", "spread", "regret"};
#define NROBUST (sizeof ROBUST_NAMES / sizeof ROBUST_NAMES[0])

static int find_robust(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < NROBUST; i++)
		if (strlen(ROBUST_NAMES[i]) == len && !memcmp(ROBUST_NAMES[i], name, len))
			return (int)i;
	return -1;
}

static int first_robust(void *ud, const bo_expr *call)
{
	*(const bo_expr **)ud = call;
	return 1;
}

/* A robust call: name "(" expr ")" or cvar "(" expr "," number ")", with
 * p->tok at "(". */
static int parse_robust(parser *p, const token *name, int kind, bo_expr **out)
{
	bo_expr *e = NULL, *arg = NULL, *share = NULL;
	const bo_expr *inner = NULL;
	const char *fname = ROBUST_NAMES[kind];
	char what[96];
	size_t aoff;
	int rc = bo__expr_node_new(p, OP_ROBUST, name->off, &e);

	if (rc)
		goto done;
	e->fn = kind;
	e->num = 1.0;
	if (!(e->text = bo__strdup(fname))) {
		rc = bo__expr_fail_at(p, BO_ENOMEM, name->off, "out of memory");
		goto done;
	}
	if ((rc = bo__expr_next(p)) != 0)
		goto done;
	if (p->tok.kind == T_RP) {
		rc = bo__expr_fail_at(p, BO_EINVAL, name->off, "%s takes %s", fname,
				      kind == BO_EXPR_ROBUST_CVAR ? "a value and a share, such as cvar(latency_ms, 0.2)"
								  : "one value, such as worst(accuracy)");
		goto done;
	}
	if ((rc = parse_expr(p, &arg)) != 0)
		goto done;
	if ((rc = bo__expr_add_kid(p, e, arg, 0)) != 0)
		goto done;
	snprintf(what, sizeof what, "%s needs a number, found a string", fname);
	if ((rc = bo__expr_need_num(p, arg, what)) != 0)
		goto done;
	if (bo__expr_foreach_robust(arg, first_robust, &inner)) {
		rc = bo__expr_fail_at(p, BO_EINVAL, inner->off, "robust functions do not nest: %s inside %s", inner->text,
				      fname);
		goto done;
	}
	if (kind == BO_EXPR_ROBUST_CVAR) {
		if (p->tok.kind != T_COMMA) {
			rc = bo__expr_fail_expected(p, "',' and the share of cvar, such as cvar(latency_ms, 0.2)", 0);
			goto done;
		}
		if ((rc = bo__expr_next(p)) != 0)
			goto done;
		aoff = p->tok.off;
		if ((rc = parse_expr(p, &share)) != 0)
			goto done;
		if (share->op != OP_NUM || !(share->num > 0 && share->num <= 1)) {
			rc = bo__expr_fail_at(p, BO_EINVAL, aoff, "the share of cvar must be a number in (0, 1], "
				"such as cvar(latency_ms, 0.2): the mean of the worst 20%% of the scenarios' weight");
			goto done;
		}
		e->num = share->num;
	}
	if (p->tok.kind != T_RP) {
		snprintf(what, sizeof what, "')' after the %s of %s", kind == BO_EXPR_ROBUST_CVAR ? "share" : "argument",
			 fname);
		rc = bo__expr_fail_expected(p, what, 0);
		goto done;
	}
	rc = bo__expr_next(p);
done:
	bo__expr_node_free(share);
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
	}
	*out = e;
	return rc;
}

/* name "(" args ")" with p->tok at "(". */
static int parse_call(parser *p, const token *name, bo_expr **out)
{
	bo_expr *e = NULL, *arg = NULL;
	const struct fn_def *def;
	char what[SHOW_MAX + 32];
	int fn = find_fn(p->src + name->off, name->len);
	int rc;
	size_t i;

	if (fn < 0 && (rc = find_robust(p->src + name->off, name->len)) >= 0)
		return parse_robust(p, name, rc, out);
	if (fn < 0)
		return fail_unknown_fn(p, name);
	def = &bo__expr_fns[fn];
	rc = bo__expr_node_new(p, fn == F_IF ? OP_IF : OP_CALL, name->off, &e);
	if (rc)
		goto done;
	e->fn = fn;
	rc = bo__expr_next(p);
	if (rc)
		goto done;
	if (p->tok.kind != T_RP) {
		for (;;) {
			rc = parse_expr(p, &arg);
			if (rc)
				goto done;
			rc = bo__expr_add_kid(p, e, arg, 0);
			if (rc)
				goto done;
			if (p->tok.kind == T_COMMA) {
				rc = bo__expr_next(p);
				if (rc)
					goto done;
				continue;
			}
			if (p->tok.kind == T_RP)
				break;
			snprintf(what, sizeof what, "')' after arguments of %s", def->name);
			rc = bo__expr_fail_expected(p, what, 0);
			goto done;
		}
	}
	if (e->n < def->min_args || (def->max_args && e->n > def->max_args)) {
		if (def->min_args == def->max_args)
			rc = bo__expr_fail_at(p, BO_EINVAL, name->off, "%s takes %zu argument%s%s, found %zu",
				     def->name, def->min_args, def->min_args == 1 ? "" : "s",
				     fn == F_IF ? " (condition, then, else)" : "", e->n);
		else if (def->max_args)
			rc = bo__expr_fail_at(p, BO_EINVAL, name->off, "%s takes %zu or %zu arguments, found %zu",
				     def->name, def->min_args, def->max_args, e->n);
		else
			rc = bo__expr_fail_at(p, BO_EINVAL, name->off, "%s needs at least %zu argument, found %zu",
				     def->name, def->min_args, e->n);
		goto done;
	}
	if (fn == F_IF) {
		rc = bo__expr_need_num(p, e->kid[0], "the condition of if must be a number, found a string");
		if (rc)
			goto done;
		if (e->kid[1]->is_str != e->kid[2]->is_str) {
			rc = bo__expr_fail_at(p, BO_EINVAL, e->kid[2]->off,
				     "the branches of if must both be numbers or both strings, "
				     "found a %s and a %s",
				     e->kid[1]->is_str ? "string" : "number",
				     e->kid[2]->is_str ? "string" : "number");
			goto done;
		}
		e->is_str = e->kid[1]->is_str;
	} else if (fn != F_MISSING && fn != F_PRESENT) { /* these take any value */
		char msg[64];
		snprintf(msg, sizeof msg, "%s needs numbers, found a string", def->name);
		for (i = 0; i < e->n; i++) {
			rc = bo__expr_need_num(p, e->kid[i], msg);
			if (rc)
				goto done;
		}
	}
	rc = bo__expr_next(p); /* the ')' */
done:
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
	}
	*out = e;
	return rc;
}

static int resolve(parser *p, bo_expr *e, const char *name, int is_price, int has_key)
{
	char why[WHY_MAX];
	int rc;
	why[0] = '\0';
	if (!p->resolve)
		return bo__expr_fail_at(p, BO_EINVAL, e->off, "unknown name \"%.*s%s\"", SHOW_MAX, e->text,
			       strlen(e->text) > SHOW_MAX ? "..." : "");
	rc = p->resolve(p->ud, name, is_price, has_key, &e->sym, why, sizeof why);
	if (rc >= 0) {
		e->is_str = e->sym.is_str ? 1 : 0;
		return 0;
	}
	why[sizeof why - 1] = '\0';
	if (rc != BO_ENOMEM)
		rc = BO_EINVAL;
	if (why[0])
		return bo__expr_fail_at(p, rc, e->off, "%s", why);
	return bo__expr_fail_at(p, rc, e->off, "unknown name \"%.*s%s\"", SHOW_MAX, e->text,
		       strlen(e->text) > SHOW_MAX ? "..." : "");
}

/* A name token (p->tok is already the token after it): a literal, a
 * symbol or a price. */
static int parse_name(parser *p, const token *name, bo_expr **out)
{
	const char *s = p->src + name->off;
	bo_expr *e = NULL, *key = NULL;
	int is_price = name->len >= 6 && !memcmp(s, "price.", 6);
	int rc;

	*out = NULL;
	if ((name->len == 4 && !memcmp(s, "true", 4)) || (name->len == 5 && !memcmp(s, "false", 5))) {
		rc = bo__expr_node_new(p, OP_NUM, name->off, &e);
		if (rc)
			goto done;
		e->num = name->len == 4 ? 1.0 : 0.0;
		goto done;
	}
	if (is_price && name->len == 6) {
		rc = bo__expr_fail_at(p, BO_EINVAL, name->off + 6, "expected a price name after \"price.\"");
		goto done;
	}
	rc = bo__expr_node_new(p, is_price ? OP_PRICE : OP_SYM, name->off, &e);
	if (rc)
		goto done;
	e->text = bo__strndup(s, name->len);
	if (!e->text) {
		rc = bo__expr_fail_at(p, BO_ENOMEM, name->off, "out of memory");
		goto done;
	}
	rc = resolve(p, e, is_price ? e->text + 6 : e->text, is_price,
		     is_price && p->tok.kind == T_LB);
	if (rc || !is_price || p->tok.kind != T_LB)
		goto done;
	rc = bo__expr_next(p);
	if (!rc)
		rc = parse_expr(p, &key);
	if (!rc)
		rc = bo__expr_add_kid(p, e, key, 0);
	if (rc)
		goto done;
	if (p->tok.kind != T_RB) {
		char what[SHOW_MAX + 48];
		snprintf(what, sizeof what, "']' after the key of %.*s", SHOW_MAX, e->text);
		rc = bo__expr_fail_expected(p, what, 0);
		goto done;
	}
	rc = bo__expr_next(p);
done:
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
	}
	*out = e;
	return rc;
}

static char *unquote(const char *s, size_t len)
{
	char q = s[0];
	char *v = bo__malloc(len);
	size_t i, j = 0;
	if (!v)
		return NULL;
	for (i = 1; i + 1 < len; i++) {
		v[j++] = s[i];
		if (s[i] == q)
			i++; /* a doubled quote stands for one */
	}
	v[j] = '\0';
	return v;
}

static int parse_atom(parser *p, bo_expr **out)
{
	token t = p->tok;
	bo_expr *e = NULL;
	int rc;

	*out = NULL;
	switch (t.kind) {
	case T_NUM:
		rc = bo__expr_node_new(p, OP_NUM, t.off, &e);
		if (rc)
			break;
		e->num = t.num;
		rc = bo__expr_next(p);
		break;
	case T_STR:
		rc = bo__expr_node_new(p, OP_STR, t.off, &e);
		if (rc)
			break;
		e->is_str = 1;
		e->text = unquote(p->src + t.off, t.len);
		if (!e->text) {
			rc = bo__expr_fail_at(p, BO_ENOMEM, t.off, "out of memory");
			break;
		}
		rc = bo__expr_next(p);
		break;
	case T_LP:
		rc = bo__expr_next(p);
		if (!rc)
			rc = parse_expr(p, &e);
		if (rc)
			break;
		if (p->tok.kind != T_RP) {
			rc = bo__expr_fail_expected(p, "')' to match '('", 0);
			break;
		}
		rc = bo__expr_next(p);
		break;
	case T_NAME:
		if (bo__expr_tok_is(p, "and") || bo__expr_tok_is(p, "or") || bo__expr_tok_is(p, "not")) {
			rc = bo__expr_fail_expected(p, "a value", 1);
			break;
		}
		rc = bo__expr_next(p);
		if (rc)
			break;
		if (p->tok.kind == T_LP) {
			rc = parse_call(p, &t, &e);
			break;
		}
		if (t.len == 2 && !memcmp(p->src + t.off, "if", 2)) {
			rc = bo__expr_fail_expected(p, "'(' after if", 0);
			break;
		}
		rc = parse_name(p, &t, &e);
		break;
	default:
		rc = bo__expr_fail_expected(p, "a value", 1);
		break;
	}
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
	}
	*out = e;
	return rc;
}

/* power := atom [ "^" unary ] */
static int parse_power(parser *p, bo_expr **out)
{
	bo_expr *a = NULL, *b = NULL;
	size_t off;
	int rc = parse_atom(p, &a);
	if (rc || p->tok.kind != T_CARET)
		goto done;
	off = p->tok.off;
	rc = bo__expr_need_num(p, a, "cannot raise a string to a power");
	if (!rc)
		rc = bo__expr_next(p);
	if (rc)
		goto done;
	rc = bo__expr_enter(p); /* the right recursion nests: bound it */
	if (!rc)
		rc = parse_unary(p, &b);
	p->depth--;
	if (!rc)
		rc = bo__expr_need_num(p, b, "the exponent of '^' must be a number, found a string");
	if (rc)
		goto done;
	rc = bo__expr_make_node(p, OP_POW, off, a, b, &a);
	b = NULL;
done:
	if (rc) {
		bo__expr_node_free(a);
		bo__expr_node_free(b);
		a = NULL;
	}
	*out = a;
	return rc;
}

/* unary := "-" unary | "+" unary | power */
static int parse_unary(parser *p, bo_expr **out)
{
	bo_expr *a = NULL;
	int kind = p->tok.kind;
	size_t off = p->tok.off;
	int rc;

	if (kind != T_MINUS && kind != T_PLUS)
		return parse_power(p, out);
	*out = NULL;
	rc = bo__expr_enter(p);
	if (!rc)
		rc = bo__expr_next(p);
	if (!rc)
		rc = parse_unary(p, &a);
	p->depth--;
	if (!rc)
		rc = bo__expr_need_num(p, a, kind == T_MINUS ? "cannot negate a string"
						    : "unary '+' needs a number, found a string");
	if (!rc && kind == T_MINUS)
		rc = bo__expr_make_node(p, OP_NEG, off, a, NULL, &a);
	else if (rc)
		bo__expr_node_free(a);
	if (rc)
		a = NULL;
	*out = a;
	return rc;
}

static const char *chain_msg(int op, char c, int first)
{
	if (op == OP_AND)
		return "'and' needs numbers, found a string";
	if (op == OP_OR)
		return "'or' needs numbers, found a string";
	switch (c) {
	case '+': return "cannot add a string";
	case '-': return first ? "cannot subtract from a string" : "cannot subtract a string";
	case '*': return "cannot multiply a string";
	case '/': return first ? "cannot divide a string" : "cannot divide by a string";
	default: return "cannot take the remainder of a string";
	}
}

typedef int (*parse_fn)(parser *p, bo_expr **out);

/* Returns the chain operator at p->tok for node op, or 0. */
static char chain_op(const parser *p, int op)
{
	switch (op) {
	case OP_SUM:
		return p->tok.kind == T_PLUS ? '+' : p->tok.kind == T_MINUS ? '-' : 0;
	case OP_PROD:
		return p->tok.kind == T_STAR ? '*' : p->tok.kind == T_SLASH ? '/'
			: p->tok.kind == T_PCT ? '%' : 0;
	case OP_AND:
		return p->tok.kind == T_ANDAND || bo__expr_tok_is(p, "and") ? '&' : 0;
	default:
		return p->tok.kind == T_OROR || bo__expr_tok_is(p, "or") ? '|' : 0;
	}
}

/* A left-associative chain: operand { operator operand }, stored flat. */
static int parse_chain(parser *p, int op, parse_fn operand, bo_expr **out)
{
	bo_expr *e = NULL, *a = NULL;
	char c;
	int rc = operand(p, &a);
	if (rc || !(c = chain_op(p, op))) {
		*out = a;
		return rc;
	}
	rc = bo__expr_node_new(p, op, p->tok.off, &e);
	if (rc) {
		bo__expr_node_free(a);
		goto done;
	}
	e->off = a->off;
	rc = bo__expr_need_num(p, a, chain_msg(op, c, 1));
	if (rc) {
		bo__expr_node_free(a);
		goto done;
	}
	rc = bo__expr_add_kid(p, e, a, 0);
	while (!rc && (c = chain_op(p, op))) {
		rc = bo__expr_next(p);
		if (!rc)
			rc = operand(p, &a);
		if (rc)
			break;
		rc = bo__expr_need_num(p, a, chain_msg(op, c, 0));
		if (rc) {
			bo__expr_node_free(a);
			break;
		}
		rc = bo__expr_add_kid(p, e, a, c);
	}
done:
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
	}
	*out = e;
	return rc;
}

static int parse_prod(parser *p, bo_expr **out)
{
	return parse_chain(p, OP_PROD, parse_unary, out);
}

static int parse_sum(parser *p, bo_expr **out)
{
	return parse_chain(p, OP_SUM, parse_prod, out);
}

static int cmp_of(int kind)
{
	switch (kind) {
	case T_LT: return CMP_LT;
	case T_LE: return CMP_LE;
	case T_GT: return CMP_GT;
	case T_GE: return CMP_GE;
	case T_EQ: return CMP_EQ;
	case T_NE: return CMP_NE;
	default: return -1;
	}
}

/* cmp := sum [ op sum ] */
static int parse_cmp(parser *p, bo_expr **out)
{
	bo_expr *a = NULL, *b = NULL;
	int cmp;
	size_t off, start = p->tok.off;
	char msg[64];
	int rc = parse_sum(p, &a);
	if (rc || (cmp = cmp_of(p->tok.kind)) < 0)
		goto done;
	off = p->tok.off;
	rc = bo__expr_next(p);
	if (!rc)
		rc = parse_sum(p, &b);
	if (rc)
		goto done;
	if (cmp == CMP_EQ || cmp == CMP_NE) {
		if (a->is_str != b->is_str) {
			rc = bo__expr_fail_at(p, BO_EINVAL, off, "cannot compare a %s with a %s using '%s'",
				     a->is_str ? "string" : "number", b->is_str ? "string" : "number",
				     bo__expr_cmp_names[cmp]);
			goto done;
		}
	} else {
		snprintf(msg, sizeof msg, "'%s' needs numbers, found a string", bo__expr_cmp_names[cmp]);
		rc = bo__expr_need_num(p, a, msg);
		if (!rc)
			rc = bo__expr_need_num(p, b, msg);
		if (rc)
			goto done;
	}
	if (cmp_of(p->tok.kind) >= 0) {
		rc = bo__expr_fail_at(p, BO_EINVAL, p->tok.off,
			     "comparisons do not chain: write \"a < b and b < c\"");
		goto done;
	}
	rc = bo__expr_make_node(p, OP_CMP, off, a, b, &a);
	b = NULL;
	if (!rc) {
		/* its own text, for explanations ("\"x > 3\" is false") */
		a->fn = cmp;
		a->text = bo__strndup(p->src + start, p->prev.off + p->prev.len - start);
		if (!a->text)
			rc = bo__expr_fail_at(p, BO_ENOMEM, off, "out of memory");
	}
done:
	if (rc) {
		bo__expr_node_free(a);
		bo__expr_node_free(b);
		a = NULL;
	}
	*out = a;
	return rc;
}

/* not := ("not" | "!") not | cmp */
static int parse_not(parser *p, bo_expr **out)
{
	bo_expr *a = NULL;
	size_t off = p->tok.off;
	int rc;
	if (p->tok.kind != T_BANG && !bo__expr_tok_is(p, "not"))
		return parse_cmp(p, out);
	rc = bo__expr_enter(p);
	if (!rc)
		rc = bo__expr_next(p);
	if (!rc)
		rc = parse_not(p, &a);
	p->depth--;
	if (!rc)
		rc = bo__expr_need_num(p, a, "'not' needs a number, found a string");
	if (!rc)
		rc = bo__expr_make_node(p, OP_NOT, off, a, NULL, &a);
	else
		bo__expr_node_free(a);
	if (rc)
		a = NULL;
	*out = a;
	return rc;
}

static int parse_and(parser *p, bo_expr **out)
{
	return parse_chain(p, OP_AND, parse_not, out);
}

static int parse_expr(parser *p, bo_expr **out)
{
	int rc = bo__expr_enter(p);
	if (!rc)
		rc = parse_chain(p, OP_OR, parse_and, out);
	else
		*out = NULL;
	p->depth--;
	return rc;
}

int bo__expr_compile(bo_expr **out, const char *text, bo_expr_resolve_fn resolve_fn,
		     void *ud, size_t *err_offset)
{
	parser p;
	bo_expr *e = NULL;
	int rc;

	if (err_offset)
		*err_offset = 0;
	if (!out || !text) {
		if (out)
			*out = NULL;
		return bo__error(BO_EMISUSE, "bo__expr_compile: NULL argument");
	}
	memset(&p, 0, sizeof p);
	p.src = text;
	p.resolve = resolve_fn;
	p.ud = ud;
	rc = bo__expr_next(&p);
	p.has_prev = 0;
	if (rc)
		goto done;
	if (p.tok.kind == T_END) {
		rc = bo__expr_fail_at(&p, BO_EINVAL, 0, "empty expression");
		goto done;
	}
	rc = parse_expr(&p, &e);
	if (rc)
		goto done;
	if (p.tok.kind == T_RP)
		rc = bo__expr_fail_at(&p, BO_EINVAL, p.tok.off, "unbalanced ')': no '(' to close");
	else if (p.tok.kind != T_END)
		rc = bo__expr_fail_expected(&p, "an operator or the end of the expression", 1);
done:
	if (rc) {
		bo__expr_node_free(e);
		e = NULL;
		if (err_offset)
			*err_offset = p.err_off;
	}
	*out = e;
	return rc;
}
