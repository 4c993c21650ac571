/*
 * core/expr_parse.h - what the expression parser's files share: the
 * tokens, the parser's state, and the bo__expr_* functions one file
 * defines and others call.
 *
 * Internal to the parser: only core/expr.c, core/expr_lex.c and
 * core/expr_tree.c include it (the evaluator reads the tree through
 * core/expr_int.h).
 */
#ifndef BO_CORE_EXPR_PARSE_H
#define BO_CORE_EXPR_PARSE_H

#include <stddef.h>

#include "core/error.h"
#include "core/expr.h"
#include "core/expr_int.h"

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

/* expr_lex.c */
int bo__expr_fail_at(parser *p, int code, size_t off, const char *fmt, ...) BO__PRINTF(4, 5);
int bo__expr_next(parser *p);
int bo__expr_tok_is(const parser *p, const char *word);
int bo__expr_fail_expected(parser *p, const char *what, int after_prev);

/* expr_tree.c */
void bo__expr_node_free(bo_expr *e);
int bo__expr_node_new(parser *p, int op, size_t off, bo_expr **out);
int bo__expr_add_kid(parser *p, bo_expr *e, bo_expr *kid, char op);
int bo__expr_make_node(parser *p, int op, size_t off, bo_expr *a, bo_expr *b, bo_expr **out);
int bo__expr_need_num(parser *p, const bo_expr *e, const char *msg);
int bo__expr_enter(parser *p);

#endif
