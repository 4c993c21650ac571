/*
 * tests/unit/test_expr_logic.c - the expression language (core/expr.c):
 * Kleene's three-valued logic of missing values checked exhaustively
 * against a reference lattice, the explanations of guardrails, and robust
 * calls (mean, worst, cvar, spread, regret across scenarios). Split from
 * test_expr.c, whose test world (expr_world.h) it shares.
 */
#include "expr_world.h"

/* ------------------------------------------------------------------ */
/* Missing values: Kleene's three-valued logic, checked exhaustively
 * against a reference written here from the lattice F < M < T
 * (and = min, or = max, not = reflection), independent of expr.c. */

enum { KF, KM, KT };

static int k_not(int a) { return 2 - a; }
static int k_and(int a, int b) { return a < b ? a : b; }
static int k_or(int a, int b) { return a > b ? a : b; }

/* One shape: text with %1$s %2$s %3$s for the operands, and its meaning. */
typedef struct kshape {
	const char *fmt;
	int (*ref)(int a, int b, int c);
} kshape;

static int r_not(int a, int b, int c) { (void)b; (void)c; return k_not(a); }
static int r_and(int a, int b, int c) { (void)c; return k_and(a, b); }
static int r_or(int a, int b, int c) { (void)c; return k_or(a, b); }
static int r_not_and(int a, int b, int c) { (void)c; return k_not(k_and(a, b)); }
static int r_or_1(int a, int b, int c) { (void)b; (void)c; (void)a; return KT; }
static int r_and_0(int a, int b, int c) { (void)b; (void)c; (void)a; return KF; }
static int r_or_and(int a, int b, int c) { return k_or(a, k_and(b, c)); }
static int r_and_or(int a, int b, int c) { return k_and(a, k_or(b, c)); }
static int r_not_or(int a, int b, int c) { (void)c; return k_or(k_not(a), b); }
static int r_and3(int a, int b, int c) { return k_and(k_and(a, b), c); }
static int r_or3(int a, int b, int c) { return k_or(k_or(a, b), c); }
static int r_if(int a, int b, int c) { return a == KM ? KM : a == KT ? b : c; }
static int r_missing(int a, int b, int c) { (void)b; (void)c; return a == KM ? KT : KF; }
static int r_present(int a, int b, int c) { (void)b; (void)c; return a == KM ? KF : KT; }
static int r_cmp(int a, int b, int c) { (void)b; (void)c; return a == KM ? KM : a; }
static int r_arith(int a, int b, int c)
{
	(void)c;
	return a == KM || b == KM ? KM : (a == KT) + (b == KT) >= 1 ? KT : KF;
}
static int r_notnot(int a, int b, int c) { (void)b; (void)c; return a; }
static int r_min(int a, int b, int c) { (void)c; return a == KM || b == KM ? KM : k_and(a, b); }

static const kshape kshapes[] = {
	{"not %1$s", r_not},
	{"%1$s and %2$s", r_and},
	{"%1$s && %2$s", r_and},
	{"%1$s or %2$s", r_or},
	{"%1$s || %2$s", r_or},
	{"not (%1$s and %2$s)", r_not_and},
	{"%1$s or 1", r_or_1},
	{"1 or %1$s", r_or_1},
	{"%1$s and 0", r_and_0},
	{"%1$s or %2$s and %3$s", r_or_and},
	{"%1$s and (%2$s or %3$s)", r_and_or},
	{"not %1$s or %2$s", r_not_or},
	{"! %1$s || %2$s", r_not_or},
	{"%1$s and %2$s and %3$s", r_and3},
	{"%1$s or %2$s or %3$s", r_or3},
	{"if(%1$s, %2$s, %3$s)", r_if},
	{"missing(%1$s)", r_missing},
	{"present(%1$s)", r_present},
	{"not missing(%1$s) == present(%1$s) and 0", r_and_0},
	{"(%1$s) == 1", r_cmp},
	{"(%1$s) + (%2$s) > 0", r_arith},
	{"not not %1$s", r_notnot},
	{"min(%1$s, %2$s) > 0", r_min},
};

/* Operands: a true comparison, a false one, one over a missing metric. */
static const char *const kleaf[] = {
	[KF] = "(x < 0)", [KM] = "(missing > 0)", [KT] = "(x > 0)",
};

static void test_three_valued(void **state)
{
	size_t i;
	int a, b, c, checked = 0;
	(void)state;
	for (i = 0; i < sizeof kshapes / sizeof kshapes[0]; i++) {
		for (a = 0; a < 3; a++)
			for (b = 0; b < 3; b++)
				for (c = 0; c < 3; c++) {
					char text[256];
					tenv t;
					bo_expr_env env;
					bo_expr *e;
					double v = -1;
					int rc, got, want = kshapes[i].ref(a, b, c);
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
					snprintf(text, sizeof text, kshapes[i].fmt, kleaf[a], kleaf[b],
						 kleaf[c]);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
					e = compile_ok(text);
					env_init(&t, &env);
					rc = bo__expr_eval(e, &env, &v);
					if (rc == BO_ENOTFOUND) {
						got = KM;
						assert_true(isnan(v));
						assert_string_equal(bo_error_last(),
								    "no value for \"missing\"");
					} else {
						assert_int_equal(rc, 0);
						got = v != 0 ? KT : KF;
					}
					if (got != want) {
						print_error("\"%s\": got %c, want %c\n", text, "FMT"[got],
							    "FMT"[want]);
						fail();
					}
					checked++;
					bo__expr_free(e);
				}
	}
	assert_int_equal(checked, (int)(sizeof kshapes / sizeof kshapes[0]) * 27);
	/* a missing label: comparisons with it are missing too */
	{
		tenv t;
		bo_expr_env env;
		bo_expr *e = compile_ok("gpu == 'l4' or missing(gpu)");
		double v = -1;
		env_init(&t, &env);
		t.label[3] = NULL;
		t.param[3] = NAN;
		assert_int_equal(bo__expr_eval(e, &env, &v), 0);
		assert_true(v == 1.0);
		bo__expr_free(e);
	}
}

static void expect_explain(const char *text, const char *want)
{
	tenv t;
	bo_expr_env env;
	bo_expr *e = compile_ok(text);
	char *why = NULL;
	env_init(&t, &env);
	assert_int_equal(bo__expr_explain(e, &env, &why), 0);
	assert_non_null(why);
	if (strcmp(why, want)) {
		print_error("explain \"%s\": got \"%s\", want \"%s\"\n", text, why, want);
		fail();
	}
	bo__free(why);
	bo__expr_free(e);
}

static void test_explain(void **state)
{
	(void)state;
	expect_explain("missing > 2 or x < 0", "\"missing\" is missing");
	expect_explain("x > 1 and y > 0", "\"y > 0\" is false (-0.7 > 0)");
	expect_explain("not (x > 1)", "\"x > 1\" holds (2.385 > 1)");
	expect_explain("y > 0 or  gpu == 'a100'",
		       "\"y > 0\" is false (-0.7 > 0) and \"gpu == 'a100'\" is false ('l4' == 'a100')");
	expect_explain("x > 1", "it holds");
	expect_explain("missing > 1 and y > 0", "\"y > 0\" is false (-0.7 > 0)");
}

/* Robust calls (issue 10): without a callback a call is its argument (a
 * trial sees one scenario); with one, its value comes from the callback,
 * which gets the call and can read its kind, share and argument. */
typedef struct robust_seen {
	int n;
	int kind[4];
	double alpha[4];
	double arg[4];       /* the argument evaluated in the standard world */
	const bo_expr_env *env;
} robust_seen;

static int robust_cb(void *ud, const bo_expr *call, double *out)
{
	robust_seen *r = ud;
	const bo_expr *arg = NULL;
	int kind;
	double alpha;
	bo__expr_robust_info(call, &kind, &alpha, &arg, NULL, NULL);
	assert_non_null(arg);
	assert_true(r->n < 4);
	r->kind[r->n] = kind;
	r->alpha[r->n] = alpha;
	assert_int_equal(bo__expr_eval(arg, r->env, &r->arg[r->n]), 0);
	r->n++;
	if (kind == BO_EXPR_ROBUST_SPREAD)
		return bo__error(BO_ENOTFOUND, "no spread here");
	*out = 10.0 * (kind + 1) + alpha;   /* a value the argument cannot give */
	return 0;
}

static int count_robust(void *ud, const bo_expr *call)
{
	(void)call;
	++*(int *)ud;
	return 0;
}

static void test_robust(void **state)
{
	tenv t;
	bo_expr_env env;
	robust_seen r;
	bo_expr *e;
	double v;
	int n = 0;
	(void)state;
	env_init(&t, &env);
	/* per trial: the argument itself */
	e = compile_ok("worst(accuracy) - 0.25 * cvar(x * 2, 0.2)");
	assert_int_equal(bo__expr_eval(e, &env, &v), 0);
	assert_true(close_to(v, 0.9125 - 0.25 * (X * 2)));
	assert_int_equal(bo__expr_foreach_robust(e, count_robust, &n), 0);
	assert_int_equal(n, 2);
	/* judged: the callback's values, in order, with kind and share */
	memset(&r, 0, sizeof r);
	r.env = &env;
	assert_int_equal(bo__expr_eval_robust(e, &env, robust_cb, &r, &v), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.kind[0], BO_EXPR_ROBUST_WORST);
	assert_int_equal(r.kind[1], BO_EXPR_ROBUST_CVAR);
	assert_true(close_to(r.alpha[0], 1.0));
	assert_true(close_to(r.alpha[1], 0.2));
	assert_true(close_to(r.arg[0], 0.9125));
	assert_true(close_to(r.arg[1], X * 2));
	assert_true(close_to(v, 20.0 + 1.0 - 0.25 * (30.0 + 0.2)));
	bo__expr_free(e);
	/* a missing aggregate is missing, with the callback's reason */
	e = compile_ok("spread(x) <= 1 or mean(y) > 100");
	memset(&r, 0, sizeof r);
	r.env = &env;
	assert_int_equal(bo__expr_eval_robust(e, &env, robust_cb, &r, &v), BO_ENOTFOUND);
	assert_non_null(strstr(bo_error_last(), "no spread here"));
	assert_int_equal(bo__expr_eval(e, &env, &v), 0);   /* per trial: x <= 1 or y > 100 */
	assert_true(close_to(v, 0.0));
	bo__expr_free(e);
	/* the names stay usable as names: mean is only a function before "(" */
	{
		double w;
		assert_int_equal(eval_text("regret(hidden) + mean(hidden)", &w), 0);
		assert_true(close_to(w, 256.0));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_valued), cmocka_unit_test(test_explain),
		cmocka_unit_test(test_robust),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
