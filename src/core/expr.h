/*
 * core/expr.h - the expression language of study files.
 *
 * Used for derived metrics, configuration constraints, conditions, guardrails
 * and the score. Grammar (lowest precedence first):
 *
 *   expr    := ifexpr
 *   ifexpr  := "if" "(" expr "," expr "," expr ")" | or
 *   or      := and { ("or" | "||") and }
 *   and     := not { ("and" | "&&") not }
 *   not     := ("not" | "!") not | cmp
 *   cmp     := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]
 *   sum     := prod { ("+" | "-") prod }
 *   prod    := unary { ("*" | "/" | "%") unary }
 *   unary   := "-" unary | "+" unary | power
 *   power   := atom [ "^" unary ]          (right associative: 2^3^2 = 2^9)
 *   atom    := number | string | name | name "(" args ")" | "(" expr ")"
 *            | "price" "." name [ "[" expr "]" ]
 *   number  := decimal with optional fraction and exponent (1e-3, .5, 2.)
 *   string  := '...' or "..." (no escapes other than doubled quote)
 *   name    := [A-Za-z_][A-Za-z0-9_.]*   (dots allowed: "gpu_hours.a100")
 *
 * Functions: min(a, b, ...), max(a, b, ...), log(x), log(x, base), exp,
 * sqrt, abs, ceil, floor, round, if(c, a, b) (only the chosen branch is
 * evaluated), missing(x) and present(x) (1 or 0: whether x has a value).
 *
 * Robust functions (issue 10): mean(x), worst(x), cvar(x, alpha) (alpha a
 * number in (0, 1]), spread(x), regret(x) aggregate x across a
 * configuration's scenarios. They do not nest. bo__expr_eval gives x
 * itself (one trial sees one scenario); bo__expr_eval_robust asks a
 * callback for the aggregate. Where they are allowed is the caller's rule
 * (bo__expr_foreach_robust finds them).
 * Booleans are numbers: true is 1, false is 0. `true`/`false` are
 * literals. Strings exist only for comparing categorical values
 * (`gpu == 'none'`) and as price-table keys.
 *
 * Missing values (an empty catalog cell, a missing metric, an inactive
 * parameter: get() answers BO_ENOTFOUND) follow Kleene's three-valued
 * logic: arithmetic, functions, comparisons and `not` of a missing value
 * are missing; `and` is false when any operand is false, else missing when
 * any is missing; `or` is true when any operand is true, else missing when
 * any is missing; if(c, a, b) is missing when c is; missing(x)/present(x)
 * are never missing. docs/study-file.md has the truth tables.
 *
 * Names are resolved when the expression is compiled, through a callback,
 * so unknown names are reported with their column. This module is pure: no
 * I/O, no globals.
 */
#ifndef BO_CORE_EXPR_H
#define BO_CORE_EXPR_H

#include <stddef.h>

typedef struct bo_expr bo_expr;

/* What a name refers to; kinds are chosen by the caller's resolver. */
typedef struct bo_sym {
	int kind;     /* caller-defined, e.g. BO_SYM_PARAM */
	int index;    /* caller-defined index within the kind */
	int is_str;   /* 1 if the symbol's value is a string (categorical label) */
} bo_sym;

/* Symbol kinds used by the study model (core/model.h). */
enum {
	BO_SYM_PARAM = 1,
	BO_SYM_METRIC,
	BO_SYM_DERIVED,
	BO_SYM_INPUT,
	BO_SYM_PRICE   /* "price.NAME": index is the price-book entry */
};

/* A value during evaluation. */
typedef struct bo_xval {
	double num;       /* when !str */
	const char *str;  /* non-NULL for a string value; not owned */
} bo_xval;

/* Resolves a name at compile time. For "price.NAME" the resolver is called
 * with is_price = 1 and name = "NAME"; has_key says whether "[...]" follows
 * (a table look-up). Returns 0 and fills *out, or a negative code after
 * writing a short reason into why (size whylen), e.g.
 * "unknown name \"acuracy\" (did you mean \"accuracy\"?)". */
typedef int (*bo_expr_resolve_fn)(void *ud, const char *name, int is_price,
				  int has_key, bo_sym *out, char *why, size_t whylen);

/* Supplies values at evaluation time. get() returns 0 and fills *out,
 * BO_ENOTFOUND when the value is missing (an inactive parameter, an empty
 * cell, a missing metric), or another negative code for an error.
 * price_key() looks up a price table by key (BO_ENOTFOUND: missing). */
typedef struct bo_expr_env {
	void *ud;
	int (*get)(void *ud, const bo_sym *sym, bo_xval *out);
	int (*price_key)(void *ud, int index, const char *key, double *out);
} bo_expr_env;

/* Compiles text. On success returns 0 and *out; on failure returns
 * BO_EINVAL, *out = NULL, *err_offset = byte offset of the fault in text and
 * the thread error holds the message (without a file position: the caller
 * adds "file:line:col: "). */
int bo__expr_compile(bo_expr **out, const char *text, bo_expr_resolve_fn resolve,
		     void *ud, size_t *err_offset);

void bo__expr_free(bo_expr *e);

/* Evaluates to a number (a string result is an error). Returns 0 and *out,
 * or a negative code with the thread error set: BO_ENOTFOUND when the
 * result is missing (the message names the first missing value read: "no
 * value for \"x\""), BO_EINVAL for a type error at run time. Division by
 * zero and domain errors give inf/NaN as in C, not an error. */
int bo__expr_eval(const bo_expr *e, const bo_expr_env *env, double *out);

/* The robust functions, in the order of analysis/robust.h's kinds. */
enum { BO_EXPR_ROBUST_MEAN, BO_EXPR_ROBUST_WORST, BO_EXPR_ROBUST_CVAR, BO_EXPR_ROBUST_SPREAD,
       BO_EXPR_ROBUST_REGRET };

/* Gives the value of robust call `call` (bo__expr_robust_info reads it):
 * 0 and *out, BO_ENOTFOUND when missing, or another negative code. */
typedef int (*bo_expr_robust_fn)(void *ud, const bo_expr *call, double *out);

/* As bo__expr_eval, with every robust call's value from fn (NULL: the
 * value of its argument, as bo__expr_eval). */
int bo__expr_eval_robust(const bo_expr *e, const bo_expr_env *env, bo_expr_robust_fn fn, void *ud,
			 double *out);

/* Calls fn for every robust call in e, left to right; stops and returns
 * fn's value if it is non-zero. */
int bo__expr_foreach_robust(const bo_expr *e, int (*fn)(void *ud, const bo_expr *call), void *ud);

/* What robust call `call` is: *kind a BO_EXPR_ROBUST_*, *alpha the cvar
 * share (1 for the others), *arg its argument, *off its byte offset in the
 * source; *name its function's name. Any out pointer may be NULL. */
void bo__expr_robust_info(const bo_expr *call, int *kind, double *alpha, const bo_expr **arg, size_t *off,
			  const char **name);

/* The symbol e is when it is a bare name (a metric, say), else NULL. */
const bo_sym *bo__expr_bare_sym(const bo_expr *e);

/* Values during a vector evaluation (core/expr_vec.c): get() gives a
 * symbol's n values in *vec (borrowed, valid during the call), or leaves
 * *vec NULL and fills *scalar (a number or a label) when the value is the
 * same in every draw; BO_ENOTFOUND when it is missing. price_key()
 * likewise for a price table's entry. */
typedef struct bo_expr_venv {
	void *ud;
	int (*get)(void *ud, const bo_sym *sym, const double **vec, bo_xval *scalar);
	int (*price_key)(void *ud, int index, const char *key, const double **vec,
			 double *scalar);
} bo_expr_venv;

/* Evaluates e over n draws at once into out (n values), as bo__expr_eval
 * would draw by draw. Returns 0; BO_EXPR_SCALAR (> 0, not an error) when e
 * needs the draw-by-draw evaluator (a missing value, a string result,
 * missing()/present(), a numeric price-table key); or BO_ENOMEM and other
 * errors of the environment. */
#define BO_EXPR_SCALAR 1
#define BO_EXPR_VWS_MAX 32
typedef struct bo_expr_vws {
	size_t n;                        /* length of the kept vectors */
	size_t nfree;
	double *free[BO_EXPR_VWS_MAX];   /* vectors to reuse */
} bo_expr_vws;
/* ws: NULL, or a workspace (zeroed before first use, cleared with
 * bo__expr_vws_clear) kept across calls so that vectors are reused. */
int bo__expr_eval_vec(const bo_expr *e, const bo_expr_venv *env, size_t n, double *out,
		      bo_expr_vws *ws);
void bo__expr_vws_clear(bo_expr_vws *ws);

/* Why e is not true, in words, for listing what a filter removed:
 * "\"latency_ms\" is missing", "\"latency_ms <= 200\" is false (250 <= 200)",
 * following the operands that decided the answer; "it holds" when it is
 * true. Returns 0 and *out (free with bo__free), an evaluation error, or
 * BO_ENOMEM. */
int bo__expr_explain(const bo_expr *e, const bo_expr_env *env, char **out);

/* Calls fn for every symbol the expression refers to (for dependency and
 * cycle checks). Stops and returns fn's value if it is non-zero. */
int bo__expr_foreach_sym(const bo_expr *e, int (*fn)(void *ud, const bo_sym *sym),
			 void *ud);

/* If the top of e is a comparison, returns its operator as one of
 * "<", "<=", ">", ">=", "==", "!=" and sets *lhs, *rhs (owned by e);
 * otherwise returns NULL. Used to compute guardrail margins. */
const char *bo__expr_comparison(const bo_expr *e, const bo_expr **lhs,
				const bo_expr **rhs);

/* 1 if the expression's static type is string. */
int bo__expr_is_str(const bo_expr *e);

#endif
