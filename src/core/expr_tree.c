/*
 * core/expr_tree.c - the syntax tree of expressions as the
 * parser builds it (nodes, flat chains, type checks, the nesting cap) and
 * what the API does with a finished one: free it, walk its symbols, hand
 * out the sides of a comparison.
 *
 * Part of the expression parser: core/expr.c holds the grammar's rules,
 * core/expr_parse.h what the parser's files share.
 *
 * Must never do I/O, keep global state, or recurse without bound.
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

#define MAX_DEPTH 100     /* nesting levels the parser accepts */

/* ------------------------------------------------------------------ */
/* Tree building */

void bo__expr_node_free(bo_expr *e)
{
	size_t i;
	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		bo__expr_node_free(e->kid[i]);
	bo__free(e->kid);
	bo__free(e->ops);
	bo__free(e->text);
	bo__free(e);
}

int bo__expr_node_new(parser *p, int op, size_t off, bo_expr **out)
{
	bo_expr *e = bo__calloc(1, sizeof *e);
	*out = e;
	if (!e)
		return bo__expr_fail_at(p, BO_ENOMEM, off, "out of memory");
	e->op = op;
	e->off = off;
	return 0;
}

/* Appends kid (with operator op for chains) to e. Takes ownership of kid:
 * it is freed on failure. */
int bo__expr_add_kid(parser *p, bo_expr *e, bo_expr *kid, char op)
{
	size_t cap = e->cap;
	if (e->n == e->cap) {
		if (bo__grow(&e->kid, &cap, e->n + 1, sizeof *e->kid))
			goto nomem;
		if (e->op == OP_SUM || e->op == OP_PROD) {
			size_t ocap = e->cap;
			if (bo__grow(&e->ops, &ocap, cap, 1))
				goto nomem;
		}
		e->cap = cap;
	}
	if (e->ops)
		e->ops[e->n] = op;
	e->kid[e->n++] = kid;
	return 0;
nomem:
	bo__expr_node_free(kid);
	return bo__expr_fail_at(p, BO_ENOMEM, e->off, "out of memory");
}

/* Builds the one-child or two-child node op over a (and b), taking
 * ownership of both. */
int bo__expr_make_node(parser *p, int op, size_t off, bo_expr *a, bo_expr *b, bo_expr **out)
{
	bo_expr *e = NULL;
	int rc = bo__expr_node_new(p, op, off, &e);
	*out = NULL;
	if (rc) {
		bo__expr_node_free(a);
		bo__expr_node_free(b);
		return rc;
	}
	rc = bo__expr_add_kid(p, e, a, 0);
	if (!rc && b)
		rc = bo__expr_add_kid(p, e, b, 0);
	else if (rc)
		bo__expr_node_free(b);
	if (rc) {
		bo__expr_node_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* A short note naming what a string-typed node is, for type errors. */
static void what_str(const bo_expr *e, char *buf, size_t n)
{
	if (e->op == OP_STR)
		snprintf(buf, n, " ('%.*s%s')", SHOW_MAX, e->text,
			 strlen(e->text) > SHOW_MAX ? "..." : "");
	else if (e->op == OP_SYM || e->op == OP_PRICE)
		snprintf(buf, n, " (\"%.*s%s\" is a label)", SHOW_MAX, e->text,
			 strlen(e->text) > SHOW_MAX ? "..." : "");
	else
		buf[0] = '\0';
}

/* Fails with "<msg>, found a string (...)" at e if e is a string. */
int bo__expr_need_num(parser *p, const bo_expr *e, const char *msg)
{
	char what[SHOW_MAX + 32];
	if (!e->is_str)
		return 0;
	what_str(e, what, sizeof what);
	return bo__expr_fail_at(p, BO_EINVAL, e->off, "%s%s", msg, what);
}

int bo__expr_enter(parser *p)
{
	if (++p->depth > MAX_DEPTH)
		return bo__expr_fail_at(p, BO_EINVAL, p->tok.off,
			       "expression nested too deeply (more than %d levels)", MAX_DEPTH);
	return 0;
}

void bo__expr_free(bo_expr *e)
{
	bo__expr_node_free(e);
}

int bo__expr_foreach_sym(const bo_expr *e, int (*fn)(void *ud, const bo_sym *sym), void *ud)
{
	size_t i;
	int rc = 0;
	if (!e || !fn)
		return 0;
	if (e->op == OP_SYM || e->op == OP_PRICE)
		rc = fn(ud, &e->sym);
	for (i = 0; !rc && i < e->n; i++)
		rc = bo__expr_foreach_sym(e->kid[i], fn, ud);
	return rc;
}

const char *bo__expr_comparison(const bo_expr *e, const bo_expr **lhs, const bo_expr **rhs)
{
	int top = e && e->op == OP_CMP;
	if (lhs)
		*lhs = top ? e->kid[0] : NULL;
	if (rhs)
		*rhs = top ? e->kid[1] : NULL;
	return top ? bo__expr_cmp_names[e->fn] : NULL;
}

int bo__expr_is_str(const bo_expr *e)
{
	return e ? e->is_str : 0;
}

int bo__expr_foreach_robust(const bo_expr *e, int (*fn)(void *ud, const bo_expr *call), void *ud)
{
	size_t i;
	int rc;
	if (!e)
		return 0;
	if (e->op == OP_ROBUST)
		return fn(ud, e);
	for (i = 0; i < e->n; i++)
		if ((rc = bo__expr_foreach_robust(e->kid[i], fn, ud)) != 0)
			return rc;
	return 0;
}

void bo__expr_robust_info(const bo_expr *call, int *kind, double *alpha, const bo_expr **arg, size_t *off,
			  const char **name)
{
	if (kind)
		*kind = call->fn;
	if (alpha)
		*alpha = call->num;
	if (arg)
		*arg = call->n ? call->kid[0] : NULL;
	if (off)
		*off = call->off;
	if (name)
		*name = call->text;
}

const bo_sym *bo__expr_bare_sym(const bo_expr *e)
{
	return e && e->op == OP_SYM ? &e->sym : NULL;
}
