/*
 * core/expr_vec.c - evaluating an expression over n Monte Carlo draws at
 * once (core/expr.h, bo__expr_eval_vec): each node gives a constant or n
 * values, so a draw costs a few arithmetic operations instead of a walk of
 * the tree with a callback per name.
 *
 * It covers numbers only and no missing values: a missing value, a string
 * other than a comparison of labels or a price-table key, or missing() and
 * present() answer BO_EXPR_SCALAR, and the caller evaluates draw by draw with
 * bo__expr_eval, whose answers these equal. Must never do I/O.
 */
#include "core/expr.h"
#include "core/expr_int.h"
#include "core/alloc.h"
#include "core/error.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct vval {
	int is_vec;
	double s;            /* !is_vec */
	const char *str;     /* a string constant (labels), or NULL */
	double *v;           /* is_vec: n values, owned unless borrowed */
	int borrowed;        /* v is the environment's (read only, never freed):
				a name's draws are read in place, not copied */
} vval;

#define VVAL0 {0, 0, NULL, NULL, 0}

typedef struct vctx {
	const bo_expr_venv *env;
	size_t n;
	bo_expr_vws *ws;
} vctx;

/* The workspace keeps freed vectors for the next ones: allocating and
 * freeing blocks of draws per node made the kernel's page faults most of
 * the time of a Monte Carlo select. */
static void vfree_in(bo_expr_vws *ws, vval *a)
{
	if (a->is_vec && !a->borrowed) {
		if (ws && ws->nfree < BO_EXPR_VWS_MAX)
			ws->free[ws->nfree++] = a->v;
		else
			bo__free(a->v);
	}
	a->is_vec = 0;
	a->borrowed = 0;
	a->v = NULL;
}

static double at(const vval *a, size_t i)
{
	return a->is_vec ? a->v[i] : a->s;
}

/* Makes r a vector of n (uninitialised) values. */
static int make_vec(vctx *x, vval *r)
{
	if (x->ws && x->ws->n != x->n) {
		bo__expr_vws_clear(x->ws);
		x->ws->n = x->n;
	}
	r->v = x->ws && x->ws->nfree ? x->ws->free[--x->ws->nfree]
				      : bo__malloc(x->n * sizeof(double));
	if (!r->v)
		return BO_ENOMEM;
	r->is_vec = 1;
	r->borrowed = 0;
	r->str = NULL;
	return 0;
}

/* Makes a an owned vector that may be written in place (a copy when it
 * was borrowed). */
static int own(vctx *x, vval *a)
{
	vval t;
	if (!a->is_vec || !a->borrowed)
		return 0;
	if (make_vec(x, &t) != 0)
		return BO_ENOMEM;
	memcpy(t.v, a->v, x->n * sizeof(double));
	*a = t;
	return 0;
}

static int truthy(double v)
{
	return v != 0.0 && !isnan(v);
}

static int vnode(const bo_expr *e, vctx *x, vval *r);

/* A number operand (a string is not one). */
static int vnum(const bo_expr *e, vctx *x, vval *r)
{
	int rc = vnode(e, x, r);
	if (rc == 0 && r->str)
		rc = BO_EXPR_SCALAR;
	if (rc)
		vfree_in(x->ws, r);
	return rc;
}

static int vsym(const bo_expr *e, vctx *x, vval *r)
{
	const double *vec = NULL;
	bo_xval sc = {NAN, NULL};
	int rc;
	if (e->op == OP_PRICE && e->n == 1) {
		vval k = VVAL0;
		double s = NAN;
		if ((rc = vnode(e->kid[0], x, &k)) != 0)
			return rc;
		if (!k.str) {   /* numeric keys: the scalar evaluator formats them */
			vfree_in(x->ws, &k);
			return BO_EXPR_SCALAR;
		}
		rc = x->env->price_key(x->env->ud, e->sym.index, k.str, &vec, &s);
		if (rc)
			return rc == BO_ENOTFOUND ? BO_EXPR_SCALAR : rc;
		sc.num = s;
	} else {
		rc = x->env->get(x->env->ud, &e->sym, &vec, &sc);
		if (rc)
			return rc == BO_ENOTFOUND ? BO_EXPR_SCALAR : rc;
	}
	if (vec) {
		r->is_vec = 1;
		r->borrowed = 1;
		r->v = (double *)(uintptr_t)vec;   /* read only: see borrowed */
		return 0;
	}
	r->s = sc.num;
	r->str = sc.str;
	return 0;
}

static double op1(int op, double p, double q)
{
	switch (op) {
	case '+': return p + q;
	case '-': return p - q;
	case '*': return p * q;
	case '/': return p / q;
	case '%': return fmod(p, q);
	default: return pow(p, q);
	}
}

/* One loop per operator and shape, the switch outside the loop, so that
 * the compiler can vectorise it; o may be an operand (in place). */
#define LOOP(expr) \
	do { \
		for (i = 0; i < n; i++) \
			o[i] = (expr); \
	} while (0)
#define OPLOOP(A, B) \
	do { \
		switch (op) { \
		case '+': LOOP((A) + (B)); break; \
		case '-': LOOP((A) - (B)); break; \
		case '*': LOOP((A) * (B)); break; \
		case '/': LOOP((A) / (B)); break; \
		case '%': LOOP(fmod((A), (B))); break; \
		default: LOOP(pow((A), (B))); break; \
		} \
	} while (0)

static void op_vv(int op, const double *a, const double *b, double *o, size_t n)
{
	size_t i;
	OPLOOP(a[i], b[i]);
}

static void op_vs(int op, const double *a, double b, double *o, size_t n)
{
	size_t i;
	OPLOOP(a[i], b);
}

static void op_sv(int op, double a, const double *b, double *o, size_t n)
{
	size_t i;
	OPLOOP(a, b[i]);
}

/* r = a op b elementwise; a and b are consumed. The result takes the
 * place of an operand that is an owned vector, so that a chain of
 * products allocates nothing after its first step. */
static int combine(vctx *x, vval *a, vval *b, int op, vval *r)
{
	double *o;
	if (!a->is_vec && !b->is_vec) {
		r->s = op1(op, a->s, b->s);
		r->is_vec = 0;
		r->borrowed = 0;
		r->str = NULL;
		r->v = NULL;
		return 0;
	}
	if (a->is_vec && !a->borrowed) {
		o = a->v;
	} else if (b->is_vec && !b->borrowed) {
		o = b->v;
	} else {
		vval t = VVAL0;
		if (make_vec(x, &t) != 0) {
			vfree_in(x->ws, a);
			vfree_in(x->ws, b);
			return BO_ENOMEM;
		}
		o = t.v;
	}
	if (a->is_vec && b->is_vec)
		op_vv(op, a->v, b->v, o, x->n);
	else if (a->is_vec)
		op_vs(op, a->v, b->s, o, x->n);
	else
		op_sv(op, a->s, b->v, o, x->n);
	if (a->is_vec && a->v == o)
		a->is_vec = 0;   /* its buffer is now the result's */
	else if (b->is_vec && b->v == o)
		b->is_vec = 0;
	vfree_in(x->ws, a);
	vfree_in(x->ws, b);
	r->is_vec = 1;
	r->borrowed = 0;
	r->v = o;
	r->s = 0;
	r->str = NULL;
	return 0;
}

static int cmp1(int fn, double l, double r)
{
	switch (fn) {
	case CMP_LT: return l < r;
	case CMP_LE: return l <= r;
	case CMP_GT: return l > r;
	case CMP_GE: return l >= r;
	case CMP_EQ: return l == r;
	default: return l != r;
	}
}

#define CMPLOOP(A, B) \
	do { \
		switch (e->fn) { \
		case CMP_LT: LOOP((A) < (B) ? 1.0 : 0.0); break; \
		case CMP_LE: LOOP((A) <= (B) ? 1.0 : 0.0); break; \
		case CMP_GT: LOOP((A) > (B) ? 1.0 : 0.0); break; \
		case CMP_GE: LOOP((A) >= (B) ? 1.0 : 0.0); break; \
		case CMP_EQ: LOOP((A) == (B) ? 1.0 : 0.0); break; \
		default: LOOP((A) != (B) ? 1.0 : 0.0); break; \
		} \
	} while (0)

static int vcmp(const bo_expr *e, vctx *x, vval *r)
{
	vval a = VVAL0, b = VVAL0;
	size_t i, n = x->n;
	double *o;
	int rc;
	if ((rc = vnode(e->kid[0], x, &a)) != 0)
		return rc;
	if ((rc = vnode(e->kid[1], x, &b)) != 0) {
		vfree_in(x->ws, &a);
		return rc;
	}
	if (a.str || b.str) {
		int d;
		if (!a.str || !b.str) {
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &b);
			return BO_EXPR_SCALAR;
		}
		d = strcmp(a.str, b.str);
		r->s = (e->fn == CMP_EQ ? d == 0 : d != 0) ? 1.0 : 0.0;
		return 0;
	}
	if (!a.is_vec && !b.is_vec) {
		r->s = cmp1(e->fn, a.s, b.s) ? 1.0 : 0.0;
		return 0;
	}
	if (a.is_vec && !a.borrowed) {
		o = a.v;   /* in place */
	} else if (b.is_vec && !b.borrowed) {
		o = b.v;
	} else {
		if ((rc = make_vec(x, r)) != 0) {
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &b);
			return rc;
		}
		o = r->v;
	}
	if (a.is_vec && b.is_vec)
		CMPLOOP(a.v[i], b.v[i]);
	else if (a.is_vec)
		CMPLOOP(a.v[i], b.s);
	else
		CMPLOOP(a.s, b.v[i]);
	if (a.is_vec && a.v == o)
		a.is_vec = 0;
	else if (b.is_vec && b.v == o)
		b.is_vec = 0;
	vfree_in(x->ws, &a);
	vfree_in(x->ws, &b);
	r->is_vec = 1;
	r->borrowed = 0;
	r->v = o;
	return 0;
}

#undef LOOP
#undef OPLOOP
#undef CMPLOOP

static double call1(int fn, double v)
{
	switch (fn) {
	case F_EXP: return exp(v);
	case F_SQRT: return sqrt(v);
	case F_ABS: return fabs(v);
	case F_CEIL: return ceil(v);
	case F_FLOOR: return floor(v);
	case F_LOG: return log(v);
	default: return round(v);
	}
}

static int vcall(const bo_expr *e, vctx *x, vval *r)
{
	vval a = VVAL0, b = VVAL0;
	size_t i, k;
	int rc;
	if (e->fn == F_MISSING || e->fn == F_PRESENT || e->fn == F_IF)
		return BO_EXPR_SCALAR;
	if ((rc = vnum(e->kid[0], x, &a)) != 0)
		return rc;
	if (e->fn == F_MIN || e->fn == F_MAX) {
		/* NaN wins, as in the scalar evaluator */
		for (k = 1; k < e->n; k++) {
			vval m = VVAL0;
			if ((rc = vnum(e->kid[k], x, &b)) != 0) {
				vfree_in(x->ws, &a);
				return rc;
			}
			if (!a.is_vec && !b.is_vec) {
				double p = a.s, q = b.s;
				a.s = isnan(p) || isnan(q) ? NAN : (e->fn == F_MIN ? (q < p ? q : p)
										   : (q > p ? q : p));
				continue;
			}
			if ((rc = make_vec(x, &m)) != 0) {
				vfree_in(x->ws, &a);
				vfree_in(x->ws, &b);
				return rc;
			}
			for (i = 0; i < x->n; i++) {
				double p = at(&a, i), q = at(&b, i);
				m.v[i] = isnan(p) || isnan(q) ? NAN
					 : (e->fn == F_MIN ? (q < p ? q : p) : (q > p ? q : p));
			}
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &b);
			a = m;
		}
		*r = a;
		return 0;
	}
	if (e->fn == F_LOG && e->n == 2) {
		vval la = VVAL0, lb = VVAL0;
		if ((rc = vnum(e->kid[1], x, &b)) != 0) {
			vfree_in(x->ws, &a);
			return rc;
		}
		/* log(v) / log(base), each as C computes it */
		if ((rc = own(x, &a)) != 0 || (rc = own(x, &b)) != 0) {
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &b);
			return rc;
		}
		if (!a.is_vec) {
			la.s = log(a.s);
		} else {
			la = a;
			for (i = 0; i < x->n; i++)
				la.v[i] = log(la.v[i]);
			a.is_vec = 0;
		}
		if (!b.is_vec) {
			lb.s = log(b.s);
		} else {
			lb = b;
			for (i = 0; i < x->n; i++)
				lb.v[i] = log(lb.v[i]);
			b.is_vec = 0;
		}
		return combine(x, &la, &lb, '/', r);
	}
	if (!a.is_vec) {
		r->s = call1(e->fn, a.s);
		return 0;
	}
	if ((rc = own(x, &a)) != 0)
		return rc;
	for (i = 0; i < x->n; i++)
		a.v[i] = call1(e->fn, a.v[i]);
	*r = a;
	return 0;
}

static int vlogic(const bo_expr *e, vctx *x, vval *r)
{
	int is_and = e->op == OP_AND, rc;
	size_t i, k;
	r->is_vec = 0;
	r->s = is_and ? 1.0 : 0.0;
	for (k = 0; k < e->n; k++) {
		vval a = VVAL0;
		if ((rc = vnum(e->kid[k], x, &a)) != 0) {
			vfree_in(x->ws, r);
			return rc;
		}
		if (!a.is_vec && !r->is_vec) {
			r->s = is_and ? (truthy(r->s) && truthy(a.s)) : (truthy(r->s) || truthy(a.s));
			continue;
		}
		if (!r->is_vec) {
			double s = r->s;
			if ((rc = make_vec(x, r)) != 0) {
				vfree_in(x->ws, &a);
				return rc;
			}
			for (i = 0; i < x->n; i++)
				r->v[i] = s;
		}
		for (i = 0; i < x->n; i++)
			r->v[i] = (is_and ? (truthy(r->v[i]) && truthy(at(&a, i)))
					  : (truthy(r->v[i]) || truthy(at(&a, i)))) ? 1.0 : 0.0;
		vfree_in(x->ws, &a);
	}
	return 0;
}

static int vnode(const bo_expr *e, vctx *x, vval *r)
{
	vval a = VVAL0, b = VVAL0;
	size_t i, k;
	int rc = 0;
	r->is_vec = 0;
	r->s = NAN;
	r->str = NULL;
	r->v = NULL;
	switch (e->op) {
	case OP_NUM: r->s = e->num; return 0;
	case OP_STR: r->str = e->text; return 0;
	case OP_SYM:
	case OP_PRICE: return vsym(e, x, r);
	case OP_NEG:
	case OP_NOT:
		if ((rc = vnum(e->kid[0], x, r)) != 0)
			return rc;
		if (!r->is_vec)
			r->s = e->op == OP_NEG ? -r->s : (truthy(r->s) ? 0.0 : 1.0);
		else if ((rc = own(x, r)) != 0)
			return rc;
		else
			for (i = 0; i < x->n; i++)
				r->v[i] = e->op == OP_NEG ? -r->v[i] : (truthy(r->v[i]) ? 0.0 : 1.0);
		return 0;
	case OP_SUM:
	case OP_PROD:
		if ((rc = vnum(e->kid[0], x, &a)) != 0)
			return rc;
		for (k = 1; k < e->n; k++) {
			vval t = VVAL0;
			if ((rc = vnum(e->kid[k], x, &b)) != 0) {
				vfree_in(x->ws, &a);
				return rc;
			}
			if ((rc = combine(x, &a, &b, e->ops[k], &t)) != 0)
				return rc;
			a = t;
		}
		*r = a;
		return 0;
	case OP_POW:
		if ((rc = vnum(e->kid[0], x, &a)) != 0)
			return rc;
		if ((rc = vnum(e->kid[1], x, &b)) != 0) {
			vfree_in(x->ws, &a);
			return rc;
		}
		return combine(x, &a, &b, '^', r);
	case OP_CMP: return vcmp(e, x, r);
	case OP_AND:
	case OP_OR: return vlogic(e, x, r);
	case OP_IF: {
		vval c = VVAL0;
		if ((rc = vnum(e->kid[0], x, &c)) != 0)
			return rc;
		if (!c.is_vec)
			return vnum(e->kid[truthy(c.s) ? 1 : 2], x, r);
		if ((rc = vnum(e->kid[1], x, &a)) != 0 || (rc = vnum(e->kid[2], x, &b)) != 0) {
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &c);
			return rc;
		}
		if ((rc = own(x, &c)) != 0) {
			vfree_in(x->ws, &a);
			vfree_in(x->ws, &b);
			vfree_in(x->ws, &c);
			return rc;
		}
		for (i = 0; i < x->n; i++)
			c.v[i] = truthy(c.v[i]) ? at(&a, i) : at(&b, i);
		vfree_in(x->ws, &a);
		vfree_in(x->ws, &b);
		*r = c;
		return 0;
	}
	case OP_ROBUST: return vnum(e->kid[0], x, r);   /* one scenario: the value itself */
	default: return vcall(e, x, r);
	}
}

void bo__expr_vws_clear(bo_expr_vws *ws)
{
	size_t i;
	if (!ws)
		return;
	for (i = 0; i < ws->nfree; i++)
		bo__free(ws->free[i]);
	ws->nfree = 0;
}

int bo__expr_eval_vec(const bo_expr *e, const bo_expr_venv *env, size_t n, double *out,
		      bo_expr_vws *ws)
{
	vval r = VVAL0;
	vctx x;
	size_t i;
	int rc;
	if (!e || !env || !out || !n)
		return bo__error(BO_EMISUSE, "bo__expr_eval_vec: bad argument");
	x.env = env;
	x.n = n;
	x.ws = ws;
	if ((rc = vnode(e, &x, &r)) != 0)
		return rc == BO_ENOMEM ? bo__error(BO_ENOMEM, "out of memory") : rc;
	if (r.str)
		return BO_EXPR_SCALAR;
	if (r.is_vec)
		memcpy(out, r.v, n * sizeof(double));
	else
		for (i = 0; i < n; i++)
			out[i] = r.s;
	vfree_in(x.ws, &r);
	return 0;
}
