/*
 * tests/unit/expr_world.h - the test world of the expression tests
 * (test_expr.c, test_expr_logic.c): parameters, metrics and a price book,
 * the resolver and environment that stand in for the study model, and the
 * compile/evaluate/expect helpers. Included by one test program each, so
 * its definitions are static; the functions are inline so that a program
 * using only some of them builds without unused-function warnings.
 */
#ifndef BO_TESTS_EXPR_WORLD_H
#define BO_TESTS_EXPR_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "budgetopt/common.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/expr.h"

/* ------------------------------------------------------------------ */
/* The test's world: parameters, metrics and a price book */

static const double X = 2.385, Y = -0.7, Z = 1e-3;

static const struct tsym {
	const char *name;
	int kind, index, is_str;
} syms[] = {
	{"x", BO_SYM_PARAM, 0, 0},        {"y", BO_SYM_PARAM, 1, 0},
	{"z", BO_SYM_PARAM, 2, 0},        {"gpu", BO_SYM_PARAM, 3, 1},
	{"q", BO_SYM_PARAM, 4, 1},        {"hidden", BO_SYM_PARAM, 5, 0},
	{"accuracy", BO_SYM_METRIC, 0, 0}, {"missing", BO_SYM_METRIC, 1, 0},
	{"gpu_hours.a100", BO_SYM_METRIC, 2, 0},
};

static const struct tprice {
	const char *name;
	int table;
} prices[] = {{"cpu_hours", 0}, {"gpu_hours", 1}, {"batch_cost", 1}};

static const struct tkey {
	int index;
	const char *key;
	double value;
} keys[] = {
	{1, "none", 0.0}, {1, "l4", 0.80}, {1, "a100", 3.40},
	{2, "64", 1.5},   {2, "128", 2.75}, {2, "0.5", 0.125},
};

static const double CPU_HOURS = 0.048;

static inline int resolver(void *ud, const char *name, int is_price, int has_key, bo_sym *out,
		    char *why, size_t whylen)
{
	size_t i;
	(void)ud;
	if (is_price) {
		for (i = 0; i < sizeof prices / sizeof prices[0]; i++) {
			if (strcmp(prices[i].name, name))
				continue;
			if (prices[i].table != has_key) {
				snprintf(why, whylen, "price.%s %s", name,
					 has_key ? "is not a table" : "is a table: add [key]");
				return BO_EINVAL;
			}
			out->kind = BO_SYM_PRICE;
			out->index = (int)i;
			out->is_str = 0;
			return 0;
		}
		snprintf(why, whylen, "unknown price \"%s\"", name);
		return BO_ENOTFOUND;
	}
	for (i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		if (!strcmp(syms[i].name, name)) {
			out->kind = syms[i].kind;
			out->index = syms[i].index;
			out->is_str = syms[i].is_str;
			return 0;
		}
	}
	if (!strcmp(name, "acuracy"))
		snprintf(why, whylen, "unknown name \"%s\" (did you mean \"accuracy\"?)", name);
	else
		snprintf(why, whylen, "unknown name \"%s\"", name);
	return BO_ENOTFOUND;
}

typedef struct tenv {
	double param[6];
	const char *label[6];
	double metric[3];
	int metric_ok[3];
	int gets;               /* get() calls */
	int got_missing;        /* get() calls for "missing" */
	char last_key[64];      /* the last key price_key() saw */
} tenv;

static inline int env_get(void *ud, const bo_sym *sym, bo_xval *out)
{
	tenv *t = ud;
	t->gets++;
	out->str = NULL;
	out->num = NAN;
	switch (sym->kind) {
	case BO_SYM_PARAM:
		if (!t->label[sym->index] && isnan(t->param[sym->index]))
			return BO_ENOTFOUND; /* inactive */
		if (t->label[sym->index])
			out->str = t->label[sym->index];
		else
			out->num = t->param[sym->index];
		return 0;
	case BO_SYM_METRIC:
		if (sym->index == 1)
			t->got_missing++;
		if (!t->metric_ok[sym->index])
			return BO_ENOTFOUND;
		out->num = t->metric[sym->index];
		return 0;
	case BO_SYM_PRICE:
		if (sym->index != 0)
			return BO_ENOTFOUND;
		out->num = CPU_HOURS;
		return 0;
	default:
		return BO_ENOTFOUND;
	}
}

static inline int env_price_key(void *ud, int index, const char *key, double *out)
{
	tenv *t = ud;
	size_t i;
	snprintf(t->last_key, sizeof t->last_key, "%s", key);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].index == index && !strcmp(keys[i].key, key)) {
			*out = keys[i].value;
			return 0;
		}
	}
	return BO_ENOTFOUND;
}

static inline void env_init(tenv *t, bo_expr_env *env)
{
	memset(t, 0, sizeof *t);
	t->param[0] = X;
	t->param[1] = Y;
	t->param[2] = Z;
	t->label[3] = "l4";
	t->label[4] = "it's";
	t->param[5] = 128;
	t->metric[0] = 0.9125;
	t->metric_ok[0] = 1;
	t->metric_ok[1] = 0; /* "missing" has no value */
	t->metric[2] = 0.4;
	t->metric_ok[2] = 1;
	env->ud = t;
	env->get = env_get;
	env->price_key = env_price_key;
}

static inline bo_expr *compile_ok(const char *text)
{
	bo_expr *e = NULL;
	size_t off = 12345;
	int rc = bo__expr_compile(&e, text, resolver, NULL, &off);
	if (rc) {
		print_error("compile failed for \"%s\": %s (offset %zu)\n", text, bo_error_last(),
			    off);
		fail();
	}
	assert_non_null(e);
	return e;
}

/* Compiles and evaluates text in the standard environment. */
static inline int eval_text(const char *text, double *out)
{
	tenv t;
	bo_expr_env env;
	bo_expr *e = compile_ok(text);
	int rc;
	env_init(&t, &env);
	rc = bo__expr_eval(e, &env, out);
	bo__expr_free(e);
	return rc;
}

static inline int close_to(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= 1e-14 * fmax(1.0, fabs(want));
}

static inline void expect_num(const char *text, double want)
{
	double got = -999;
	int rc = eval_text(text, &got);
	if (rc) {
		print_error("eval failed for \"%s\": %s\n", text, bo_error_last());
		fail();
	}
	if (!close_to(got, want)) {
		print_error("\"%s\" gave %.17g, expected %.17g\n", text, got, want);
		fail();
	}
}

static inline void expect_err(const char *text, size_t want_off, const char *want_msg)
{
	bo_expr *e = (bo_expr *)&e; /* not NULL: compile must reset it */
	size_t off = 12345;
	int rc = bo__expr_compile(&e, text, resolver, NULL, &off);
	if (rc != BO_EINVAL || e || off != want_off || !strstr(bo_error_last(), want_msg)) {
		print_error("\"%s\": rc %d, offset %zu (want %zu), message \"%s\" (want \"%s\")\n",
			    text, rc, off, want_off, bo_error_last(), want_msg);
		if (rc == 0)
			bo__expr_free(e);
		fail();
	}
}

#endif
