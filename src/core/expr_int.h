/*
 * core/expr_int.h - the syntax tree of expressions, shared by the parser
 * (core/expr.c, with core/expr_lex.c and core/expr_tree.c) and the
 * evaluator (core/expr_eval.c).
 *
 * Internal to core/expr*.c.
 */
#ifndef BO_CORE_EXPR_INT_H
#define BO_CORE_EXPR_INT_H

#include <stddef.h>

#include "core/expr.h"

#define SHOW_MAX 32       /* longest token text quoted in a message */
#define MSG_MAX 512

enum node_op {
	OP_NUM,   /* num */
	OP_STR,   /* text: the literal's value */
	OP_SYM,   /* sym; text: the name, for messages */
	OP_PRICE, /* sym; text: "price.NAME"; kid[0]: the key when n == 1 */
	OP_NEG,   /* -kid[0] */
	OP_NOT,   /* not kid[0] */
	OP_SUM,   /* kid[0] ops[1] kid[1] ops[2] ...; ops '+' or '-' */
	OP_PROD,  /* likewise with '*', '/', '%' */
	OP_POW,   /* kid[0] ^ kid[1] */
	OP_CMP,   /* kid[0] cmp kid[1]; cmp in fn */
	OP_AND,   /* kid[0] and kid[1] and ... */
	OP_OR,
	OP_IF,    /* if(kid[0], kid[1], kid[2]) */
	OP_CALL,  /* fn(kid...) */
	OP_ROBUST /* fn(kid[0]) or cvar(kid[0], num): fn a BO_EXPR_ROBUST_*, num
		     the cvar share (1 otherwise); text: the function's name */
};

enum cmp_op { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };
extern const char *const bo__expr_cmp_names[];

enum fn_id { F_MIN, F_MAX, F_LOG, F_EXP, F_SQRT, F_ABS, F_CEIL, F_FLOOR, F_ROUND, F_IF,
	     F_MISSING, F_PRESENT };

struct fn_def {
	const char *name;
	size_t min_args, max_args; /* max 0: no limit */
};
extern const struct fn_def bo__expr_fns[];

struct bo_expr {
	int op;
	int is_str;          /* static type: 1 string, 0 number */
	int fn;              /* OP_CALL: enum fn_id; OP_CMP: enum cmp_op */
	size_t off;          /* byte offset in the source, for messages */
	double num;
	char *text;
	bo_sym sym;
	size_t n, cap;
	bo_expr **kid;
	char *ops;           /* OP_SUM, OP_PROD: the operator before kid[i] */
};

#endif
