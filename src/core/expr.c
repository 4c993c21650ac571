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

#define MAX_DEPTH 100     /* nesting levels the parser accepts */
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
/* Lexer */

enum tok_kind {
	T_END, T_NUM, T_STR, T_NAME, T_LP, T_RP, T_COMMA, T_LB, T_RB,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PCT, T_CARET,
	T_LT, T_LE, T_GT, T_GE, T_EQ, T_NE, T_ANDAND, T_OROR, T_BANG
};

typedef struct token {
	int kind;
	size_t off, len;
	double num;          /* T_NUM */
} token;

typedef struct parser {
	const char *src;
	size_t pos;          /* where the lexer continues */
	token tok;           /* the current token */
	token prev;          /* the one before, for "after X" in messages */
	int has_prev;
	int depth;
	size_t err_off;
	bo_expr_resolve_fn resolve;
	void *ud;
} parser;

/* Sets the message and the offset; returns code. */
static int fail_at(parser *p, int code, size_t off, const char *fmt, ...) BO__PRINTF(4, 5);
static int fail_at(parser *p, int code, size_t off, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->err_off = off;
	return bo__error(code, "%s", msg);
}

/* A token as a user would name it: "end of expression", "'+'", "number 2". */
static void describe(const parser *p, const token *t, char *buf, size_t n)
{
	const char *s = p->src + t->off;
	int len = t->len > SHOW_MAX ? SHOW_MAX : (int)t->len;
	const char *more = t->len > SHOW_MAX ? "..." : "";
	switch (t->kind) {
	case T_END:
		snprintf(buf, n, "end of expression");
		break;
	case T_NUM:
		snprintf(buf, n, "number %.*s%s", len, s, more);
		break;
	case T_STR:
		snprintf(buf, n, "string %.*s%s", len, s, more);
		break;
	case T_NAME:
		if ((t->len == 3 && !memcmp(s, "and", 3)) || (t->len == 2 && !memcmp(s, "or", 2)) ||
		    (t->len == 3 && !memcmp(s, "not", 3)))
			snprintf(buf, n, "'%.*s'", len, s);
		else
			snprintf(buf, n, "name \"%.*s%s\"", len, s, more);
		break;
	default:
		snprintf(buf, n, "'%.*s'", len, s);
		break;
	}
}

static int is_name_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Converts the decimal text s[0..len) with strtod, independent of the
 * process locale (strtod reads the locale's decimal point). */
static int convert_number(parser *p, size_t off, size_t len, double *out)
{
	const char *s = p->src + off;
	const char *dp = localeconv()->decimal_point;
	size_t dplen = dp && *dp ? strlen(dp) : 1;
	char small[64];
	char *buf = small, *end;
	size_t i, j = 0;
	double v;
	int rc = 0;

	if (len + dplen + 1 > sizeof small) {
		buf = bo__malloc(len + dplen + 1);
		if (!buf)
			return fail_at(p, BO_ENOMEM, off, "out of memory");
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && dp && *dp) {
			memcpy(buf + j, dp, dplen);
			j += dplen;
		} else {
			buf[j++] = s[i];
		}
	}
	buf[j] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (isinf(v) || (errno == ERANGE && v == 0.0)) {
		rc = fail_at(p, BO_EINVAL, off, "number out of range: %.*s%s",
			     len > SHOW_MAX ? SHOW_MAX : (int)len, s, len > SHOW_MAX ? "..." : "");
		goto done;
	}
	*out = v;
done:
	if (buf != small)
		bo__free(buf);
	return rc;
}

/* Reads the next token into p->tok. */
static int next(parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;
	token t = {T_END, 0, 0, 0.0};
	unsigned char c;
	int rc = 0;

	p->prev = p->tok;
	p->has_prev = 1;
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
	       s[i] == '\v')
		i++;
	t.off = i;
	c = (unsigned char)s[i];
	if (c == '\0') {
		t.kind = T_END;
	} else if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[i + 1]))) {
		while (is_digit((unsigned char)s[i]))
			i++;
		if (s[i] == '.') {
			i++;
			while (is_digit((unsigned char)s[i]))
				i++;
		}
		if (s[i] == 'e' || s[i] == 'E') {
			size_t e = i + 1;
			if (s[e] == '+' || s[e] == '-')
				e++;
			if (!is_digit((unsigned char)s[e])) {
				rc = fail_at(p, BO_EINVAL, t.off,
					     "malformed number \"%.*s\": expected digits after '%c'",
					     (int)(i - t.off > SHOW_MAX ? SHOW_MAX : i - t.off + 1),
					     s + t.off, s[i]);
				goto done;
			}
			i = e;
			while (is_digit((unsigned char)s[i]))
				i++;
		}
		t.kind = T_NUM;
		rc = convert_number(p, t.off, i - t.off, &t.num);
		if (rc)
			goto done;
	} else if (c == '\'' || c == '"') {
		i++;
		for (;;) {
			if (s[i] == '\0') {
				rc = fail_at(p, BO_EINVAL, t.off, "unterminated string (no closing %c)", c);
				goto done;
			}
			if ((unsigned char)s[i] == c) {
				if ((unsigned char)s[i + 1] != c)
					break;
				i++;
			}
			i++;
		}
		i++;
		t.kind = T_STR;
	} else if (is_name_start(c)) {
		while (is_name_char((unsigned char)s[i]))
			i++;
		t.kind = T_NAME;
	} else {
		int two = s[i + 1] == '=';
		i++;
		switch (c) {
		case '(': t.kind = T_LP; break;
		case ')': t.kind = T_RP; break;
		case ',': t.kind = T_COMMA; break;
		case '[': t.kind = T_LB; break;
		case ']': t.kind = T_RB; break;
		case '+': t.kind = T_PLUS; break;
		case '-': t.kind = T_MINUS; break;
		case '*': t.kind = T_STAR; break;
		case '/': t.kind = T_SLASH; break;
		case '%': t.kind = T_PCT; break;
		case '^': t.kind = T_CARET; break;
		case '<': t.kind = two ? T_LE : T_LT; i += two; break;
		case '>': t.kind = two ? T_GE : T_GT; i += two; break;
		case '!': t.kind = two ? T_NE : T_BANG; i += two; break;
		case '=':
			if (!two) {
				rc = fail_at(p, BO_EINVAL, t.off,
					     "'=' is not an operator (did you mean '=='?)");
				goto done;
			}
			t.kind = T_EQ;
			i++;
			break;
		case '&':
		case '|':
			if ((unsigned char)s[i] != c) {
				rc = fail_at(p, BO_EINVAL, t.off,
					     "invalid character '%c' (did you mean '%c%c' or '%s'?)", c, c,
					     c, c == '&' ? "and" : "or");
				goto done;
			}
			t.kind = c == '&' ? T_ANDAND : T_OROR;
			i++;
			break;
		case '.':
			rc = fail_at(p, BO_EINVAL, t.off, "invalid character '.' (expected a digit after it)");
			goto done;
		default:
			if (c >= 0x80)
				rc = fail_at(p, BO_EINVAL, t.off,
					     "invalid byte 0x%02x (non-ASCII text is allowed only inside strings)",
					     c);
			else if (c < 0x20 || c == 0x7f)
				rc = fail_at(p, BO_EINVAL, t.off, "invalid character 0x%02x", c);
			else
				rc = fail_at(p, BO_EINVAL, t.off, "invalid character '%c'", c);
			goto done;
		}
	}
	t.len = i - t.off;
	p->tok = t;
	p->pos = i;
done:
	return rc;
}

static int tok_is(const parser *p, const char *word)
{
	size_t n = strlen(word);
	return p->tok.kind == T_NAME && p->tok.len == n && !memcmp(p->src + p->tok.off, word, n);
}

/* "expected X[ after PREV], found TOK" */
static int fail_expected(parser *p, const char *what, int after_prev)
{
	char found[SHOW_MAX + 32], prev[SHOW_MAX + 32];
	describe(p, &p->tok, found, sizeof found);
	if (!p->has_prev || !after_prev)
		return fail_at(p, BO_EINVAL, p->tok.off, "expected %s, found %s", what, found);
	describe(p, &p->prev, prev, sizeof prev);
	return fail_at(p, BO_EINVAL, p->tok.off, "expected %s after %s, found %s", what, prev,
		       found);
}

/* ------------------------------------------------------------------ */
/* Tree building */

static void node_free(bo_expr *e)
{
	size_t i;
	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		node_free(e->kid[i]);
	bo__free(e->kid);
	bo__free(e->ops);
	bo__free(e->text);
	bo__free(e);
}

static int node_new(parser *p, int op, size_t off, bo_expr **out)
{
	bo_expr *e = bo__calloc(1, sizeof *e);
	*out = e;
	if (!e)
		return fail_at(p, BO_ENOMEM, off, "out of memory");
	e->op = op;
	e->off = off;
	return 0;
}

/* Appends kid (with operator op for chains) to e. Takes ownership of kid:
 * it is freed on failure. */
static int add_kid(parser *p, bo_expr *e, bo_expr *kid, char op)
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
	node_free(kid);
	return fail_at(p, BO_ENOMEM, e->off, "out of memory");
}

/* Builds the one-child or two-child node op over a (and b), taking
 * ownership of both. */
static int make_node(parser *p, int op, size_t off, bo_expr *a, bo_expr *b, bo_expr **out)
{
	bo_expr *e = NULL;
	int rc = node_new(p, op, off, &e);
	*out = NULL;
	if (rc) {
		node_free(a);
		node_free(b);
		return rc;
	}
	rc = add_kid(p, e, a, 0);
	if (!rc && b)
		rc = add_kid(p, e, b, 0);
	else if (rc)
		node_free(b);
	if (rc) {
		node_free(e);
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
static int need_num(parser *p, const bo_expr *e, const char *msg)
{
	char what[SHOW_MAX + 32];
	if (!e->is_str)
		return 0;
	what_str(e, what, sizeof what);
	return fail_at(p, BO_EINVAL, e->off, "%s%s", msg, what);
}

static int enter(parser *p)
{
	if (++p->depth > MAX_DEPTH)
		return fail_at(p, BO_EINVAL, p->tok.off,
			       "expression nested too deeply (more than %d levels)", MAX_DEPTH);
	return 0;
}

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
		return fail_at(p, BO_EINVAL, t->off,
			       "unknown function \"%.*s\" (did you mean \"%s\"?)", len, name,
			       bo__expr_fns[best].name);
	return fail_at(p, BO_EINVAL, t->off,
		       "unknown function \"%.*s%s\" (functions: min, max, log, exp, sqrt, abs, "
		       "ceil, floor, round, if, missing, present)",
		       len, name, more);
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

	if (fn < 0)
		return fail_unknown_fn(p, name);
	def = &bo__expr_fns[fn];
	rc = node_new(p, fn == F_IF ? OP_IF : OP_CALL, name->off, &e);
	if (rc)
		goto done;
	e->fn = fn;
	rc = next(p);
	if (rc)
		goto done;
	if (p->tok.kind != T_RP) {
		for (;;) {
			rc = parse_expr(p, &arg);
			if (rc)
				goto done;
			rc = add_kid(p, e, arg, 0);
			if (rc)
				goto done;
			if (p->tok.kind == T_COMMA) {
				rc = next(p);
				if (rc)
					goto done;
				continue;
			}
			if (p->tok.kind == T_RP)
				break;
			snprintf(what, sizeof what, "')' after arguments of %s", def->name);
			rc = fail_expected(p, what, 0);
			goto done;
		}
	}
	if (e->n < def->min_args || (def->max_args && e->n > def->max_args)) {
		if (def->min_args == def->max_args)
			rc = fail_at(p, BO_EINVAL, name->off, "%s takes %zu argument%s%s, found %zu",
				     def->name, def->min_args, def->min_args == 1 ? "" : "s",
				     fn == F_IF ? " (condition, then, else)" : "", e->n);
		else if (def->max_args)
			rc = fail_at(p, BO_EINVAL, name->off, "%s takes %zu or %zu arguments, found %zu",
				     def->name, def->min_args, def->max_args, e->n);
		else
			rc = fail_at(p, BO_EINVAL, name->off, "%s needs at least %zu argument, found %zu",
				     def->name, def->min_args, e->n);
		goto done;
	}
	if (fn == F_IF) {
		rc = need_num(p, e->kid[0], "the condition of if must be a number, found a string");
		if (rc)
			goto done;
		if (e->kid[1]->is_str != e->kid[2]->is_str) {
			rc = fail_at(p, BO_EINVAL, e->kid[2]->off,
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
			rc = need_num(p, e->kid[i], msg);
			if (rc)
				goto done;
		}
	}
	rc = next(p); /* the ')' */
done:
	if (rc) {
		node_free(e);
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
		return fail_at(p, BO_EINVAL, e->off, "unknown name \"%.*s%s\"", SHOW_MAX, e->text,
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
		return fail_at(p, rc, e->off, "%s", why);
	return fail_at(p, rc, e->off, "unknown name \"%.*s%s\"", SHOW_MAX, e->text,
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
		rc = node_new(p, OP_NUM, name->off, &e);
		if (rc)
			goto done;
		e->num = name->len == 4 ? 1.0 : 0.0;
		goto done;
	}
	if (is_price && name->len == 6) {
		rc = fail_at(p, BO_EINVAL, name->off + 6, "expected a price name after \"price.\"");
		goto done;
	}
	rc = node_new(p, is_price ? OP_PRICE : OP_SYM, name->off, &e);
	if (rc)
		goto done;
	e->text = bo__strndup(s, name->len);
	if (!e->text) {
		rc = fail_at(p, BO_ENOMEM, name->off, "out of memory");
		goto done;
	}
	rc = resolve(p, e, is_price ? e->text + 6 : e->text, is_price,
		     is_price && p->tok.kind == T_LB);
	if (rc || !is_price || p->tok.kind != T_LB)
		goto done;
	rc = next(p);
	if (!rc)
		rc = parse_expr(p, &key);
	if (!rc)
		rc = add_kid(p, e, key, 0);
	if (rc)
		goto done;
	if (p->tok.kind != T_RB) {
		char what[SHOW_MAX + 48];
		snprintf(what, sizeof what, "']' after the key of %.*s", SHOW_MAX, e->text);
		rc = fail_expected(p, what, 0);
		goto done;
	}
	rc = next(p);
done:
	if (rc) {
		node_free(e);
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
		rc = node_new(p, OP_NUM, t.off, &e);
		if (rc)
			break;
		e->num = t.num;
		rc = next(p);
		break;
	case T_STR:
		rc = node_new(p, OP_STR, t.off, &e);
		if (rc)
			break;
		e->is_str = 1;
		e->text = unquote(p->src + t.off, t.len);
		if (!e->text) {
			rc = fail_at(p, BO_ENOMEM, t.off, "out of memory");
			break;
		}
		rc = next(p);
		break;
	case T_LP:
		rc = next(p);
		if (!rc)
			rc = parse_expr(p, &e);
		if (rc)
			break;
		if (p->tok.kind != T_RP) {
			rc = fail_expected(p, "')' to match '('", 0);
			break;
		}
		rc = next(p);
		break;
	case T_NAME:
		if (tok_is(p, "and") || tok_is(p, "or") || tok_is(p, "not")) {
			rc = fail_expected(p, "a value", 1);
			break;
		}
		rc = next(p);
		if (rc)
			break;
		if (p->tok.kind == T_LP) {
			rc = parse_call(p, &t, &e);
			break;
		}
		if (t.len == 2 && !memcmp(p->src + t.off, "if", 2)) {
			rc = fail_expected(p, "'(' after if", 0);
			break;
		}
		rc = parse_name(p, &t, &e);
		break;
	default:
		rc = fail_expected(p, "a value", 1);
		break;
	}
	if (rc) {
		node_free(e);
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
	rc = need_num(p, a, "cannot raise a string to a power");
	if (!rc)
		rc = next(p);
	if (rc)
		goto done;
	rc = enter(p); /* the right recursion nests: bound it */
	if (!rc)
		rc = parse_unary(p, &b);
	p->depth--;
	if (!rc)
		rc = need_num(p, b, "the exponent of '^' must be a number, found a string");
	if (rc)
		goto done;
	rc = make_node(p, OP_POW, off, a, b, &a);
	b = NULL;
done:
	if (rc) {
		node_free(a);
		node_free(b);
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
	rc = enter(p);
	if (!rc)
		rc = next(p);
	if (!rc)
		rc = parse_unary(p, &a);
	p->depth--;
	if (!rc)
		rc = need_num(p, a, kind == T_MINUS ? "cannot negate a string"
						    : "unary '+' needs a number, found a string");
	if (!rc && kind == T_MINUS)
		rc = make_node(p, OP_NEG, off, a, NULL, &a);
	else if (rc)
		node_free(a);
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
		return p->tok.kind == T_ANDAND || tok_is(p, "and") ? '&' : 0;
	default:
		return p->tok.kind == T_OROR || tok_is(p, "or") ? '|' : 0;
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
	rc = node_new(p, op, p->tok.off, &e);
	if (rc) {
		node_free(a);
		goto done;
	}
	e->off = a->off;
	rc = need_num(p, a, chain_msg(op, c, 1));
	if (rc) {
		node_free(a);
		goto done;
	}
	rc = add_kid(p, e, a, 0);
	while (!rc && (c = chain_op(p, op))) {
		rc = next(p);
		if (!rc)
			rc = operand(p, &a);
		if (rc)
			break;
		rc = need_num(p, a, chain_msg(op, c, 0));
		if (rc) {
			node_free(a);
			break;
		}
		rc = add_kid(p, e, a, c);
	}
done:
	if (rc) {
		node_free(e);
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
	rc = next(p);
	if (!rc)
		rc = parse_sum(p, &b);
	if (rc)
		goto done;
	if (cmp == CMP_EQ || cmp == CMP_NE) {
		if (a->is_str != b->is_str) {
			rc = fail_at(p, BO_EINVAL, off, "cannot compare a %s with a %s using '%s'",
				     a->is_str ? "string" : "number", b->is_str ? "string" : "number",
				     bo__expr_cmp_names[cmp]);
			goto done;
		}
	} else {
		snprintf(msg, sizeof msg, "'%s' needs numbers, found a string", bo__expr_cmp_names[cmp]);
		rc = need_num(p, a, msg);
		if (!rc)
			rc = need_num(p, b, msg);
		if (rc)
			goto done;
	}
	if (cmp_of(p->tok.kind) >= 0) {
		rc = fail_at(p, BO_EINVAL, p->tok.off,
			     "comparisons do not chain: write \"a < b and b < c\"");
		goto done;
	}
	rc = make_node(p, OP_CMP, off, a, b, &a);
	b = NULL;
	if (!rc) {
		/* its own text, for explanations ("\"x > 3\" is false") */
		a->fn = cmp;
		a->text = bo__strndup(p->src + start, p->prev.off + p->prev.len - start);
		if (!a->text)
			rc = fail_at(p, BO_ENOMEM, off, "out of memory");
	}
done:
	if (rc) {
		node_free(a);
		node_free(b);
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
	if (p->tok.kind != T_BANG && !tok_is(p, "not"))
		return parse_cmp(p, out);
	rc = enter(p);
	if (!rc)
		rc = next(p);
	if (!rc)
		rc = parse_not(p, &a);
	p->depth--;
	if (!rc)
		rc = need_num(p, a, "'not' needs a number, found a string");
	if (!rc)
		rc = make_node(p, OP_NOT, off, a, NULL, &a);
	else
		node_free(a);
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
	int rc = enter(p);
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
	rc = next(&p);
	p.has_prev = 0;
	if (rc)
		goto done;
	if (p.tok.kind == T_END) {
		rc = fail_at(&p, BO_EINVAL, 0, "empty expression");
		goto done;
	}
	rc = parse_expr(&p, &e);
	if (rc)
		goto done;
	if (p.tok.kind == T_RP)
		rc = fail_at(&p, BO_EINVAL, p.tok.off, "unbalanced ')': no '(' to close");
	else if (p.tok.kind != T_END)
		rc = fail_expected(&p, "an operator or the end of the expression", 1);
done:
	if (rc) {
		node_free(e);
		e = NULL;
		if (err_offset)
			*err_offset = p.err_off;
	}
	*out = e;
	return rc;
}

void bo__expr_free(bo_expr *e)
{
	node_free(e);
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
