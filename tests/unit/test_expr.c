/*
 * tests/unit/test_expr.c - the expression language (core/expr.c).
 *
 * A small resolver and environment stand in for the study model. Results
 * are checked against the same formulas computed directly in C; errors
 * against their message and byte offset. Never depends on timing.
 */
#include "expr_world.h"

/* ------------------------------------------------------------------ */

static void test_precedence(void **state)
{
	const struct {
		const char *text;
		double want;
	} cases[] = {
		{"x + y * z", X + Y * Z},
		{"x * y + z", X * Y + Z},
		{"x - y - z", (X - Y) - Z},
		{"x - (y - z)", X - (Y - Z)},
		{"x / y / z", (X / Y) / Z},
		{"x / y * z", (X / Y) * Z},
		{"x * y % z", fmod(X * Y, Z)},
		{"x % y * z", fmod(X, Y) * Z},
		{"x + y % 0.3", X + fmod(Y, 0.3)},
		{"x ^ 2 * y", pow(X, 2) * Y},
		{"x * y ^ 2", X * pow(Y, 2)},
		{"-x ^ 2", -pow(X, 2)},
		{"-2^2", -4.0},
		{"2^3^2", 512.0},
		{"2^-1", 0.5},
		{"x ^ -y", pow(X, -Y)},
		{"x ^ y ^ z", pow(X, pow(Y, Z))},
		{"(x + y) * z", (X + Y) * Z},
		{"x - -y", X - -Y},
		{"x - - - y", X - Y},
		{"+x * +y", X * Y},
		{"- x * y", -X * Y},
		{"1e-3 * 2.385 - .5 + 2.", 1e-3 * 2.385 - .5 + 2.},
		{"2.5E+2 / 1e1", 250.0 / 10.0},
		{"x < y + 3", (double)(X < Y + 3)},
		{"x + 1 >= y * 2", (double)(X + 1 >= Y * 2)},
		{"x == 2.385", 1.0},
		{"x != 2.385", 0.0},
		{"y <= -0.7", 1.0},
		{"y < -0.7", 0.0},
		{"(x > y) + (y > x)", 1.0},
		{"not x > 5", (double)!(X > 5)},
		{"!x", 0.0},
		{"! 0", 1.0},
		{"not not x", 1.0},
		{"x > 0 and y < 0 or z > 1", (double)((X > 0 && Y < 0) || Z > 1)},
		{"x > 3 or y < 0 and z > 1", (double)(X > 3 || (Y < 0 && Z > 1))},
		{"x > 3 || y < 0 && z < 1", (double)(X > 3 || (Y < 0 && Z < 1))},
		{"not x > 3 and y < 0", (double)(!(X > 3) && Y < 0)},
		{"x and 0", 0.0},
		{"x or 0", 1.0},
		{"0/0 or 0", 0.0}, /* NaN is false */
		{"0/0 != 0/0", 1.0},
		{"1/0", INFINITY},
		{"-1/0", -INFINITY},
		{"x % 0", NAN},
		{"true + true", 2.0},
		{"false", 0.0},
		{"min(x, y, z) + max(x, y)", fmin(fmin(X, Y), Z) + fmax(X, Y)},
		{"min(x)", X},
		{"max(1, 0/0, 3)", NAN},
		{"log(x)", log(X)},
		{"log(x, 10)", log10(X)},
		{"log(8, 2)", 3.0},
		{"exp(y)", exp(Y)},
		{"sqrt(x)", sqrt(X)},
		{"sqrt(y)", NAN},
		{"abs(y)", 0.7},
		{"ceil(y)", -0.0},
		{"floor(y)", -1.0},
		{"round(2.5)", 3.0},
		{"round(-2.5)", -3.0},
		{"round(y)", -1.0},
		{"round(x)", 2.0},
		{"if(x > y, x, y)", X},
		{"if(x < y, x, y) * 2", Y * 2},
		{"1 + if(0, 1, 2) * 3", 7.0},
		{"((((x))))", X},
		{"gpu_hours.a100 * 3", 0.4 * 3},
		{"accuracy / (price.cpu_hours + price.gpu_hours[gpu])", 0.9125 / (0.048 + 0.80)},
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_num(cases[i].text, cases[i].want);
}

static void test_strings(void **state)
{
	double v;
	bo_expr *e;
	(void)state;
	expect_num("gpu == 'l4'", 1.0);
	expect_num("gpu == \"l4\"", 1.0);
	expect_num("gpu != 'l4'", 0.0);
	expect_num("gpu == 'L4'", 0.0);
	expect_num("'l4' == gpu", 1.0);
	expect_num("gpu == 'l4 '", 0.0);
	expect_num("q == 'it''s'", 1.0);
	expect_num("q == \"it's\"", 1.0);
	expect_num("'say \"hi\"' == \"say \"\"hi\"\"\"", 1.0);
	expect_num("'say \"\"hi\"\"' == \"say \"\"hi\"\"\"", 0.0); /* "" is one " only in "..." */
	expect_num("'' == ''", 1.0);
	expect_num("'caf\xc3\xa9' != gpu", 1.0);
	expect_num("if(x > 0, gpu, 'none') == 'l4'", 1.0);
	expect_num("if(x < 0, gpu, 'none') == 'none'", 1.0);
	expect_num("gpu == 'none' or x > 2", 1.0);

	e = compile_ok("gpu");
	assert_int_equal(bo__expr_is_str(e), 1);
	bo__expr_free(e);
	e = compile_ok("if(x > 0, 'a', gpu)");
	assert_int_equal(bo__expr_is_str(e), 1);
	bo__expr_free(e);
	e = compile_ok("gpu == 'a'");
	assert_int_equal(bo__expr_is_str(e), 0);
	bo__expr_free(e);
	e = compile_ok("x");
	assert_int_equal(bo__expr_is_str(e), 0);
	bo__expr_free(e);

	/* a string result is an error at evaluation */
	v = 0;
	assert_int_equal(eval_text("gpu", &v), BO_EINVAL);
	assert_true(isnan(v));
	assert_non_null(strstr(bo_error_last(), "string"));
}

static void test_price_keys(void **state)
{
	tenv t;
	bo_expr_env env;
	bo_expr *e;
	double v = 0;
	const struct {
		const char *text;
		const char *key; /* what price_key must see */
		double want;
	} cases[] = {
		{"price.gpu_hours[gpu]", "l4", 0.80},
		{"price.gpu_hours['a100']", "a100", 3.40},
		{"price.gpu_hours[\"none\"]", "none", 0.0},
		{"price.gpu_hours[if(x > 0, 'a100', gpu)]", "a100", 3.40},
		{"price.batch_cost[64]", "64", 1.5},
		{"price.batch_cost[64.0]", "64", 1.5},
		{"price.batch_cost[32 * 2]", "64", 1.5},
		{"price.batch_cost[hidden]", "128", 2.75},
		{"price.batch_cost['128']", "128", 2.75},
		{"price.batch_cost[0.5]", "0.5", 0.125},
		{"price.batch_cost[1 / 2]", "0.5", 0.125},
		{"price.batch_cost [ 6.4e1 ] * 2", "64", 3.0},
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		e = compile_ok(cases[i].text);
		env_init(&t, &env);
		assert_int_equal(bo__expr_eval(e, &env, &v), 0);
		assert_string_equal(t.last_key, cases[i].key);
		assert_true(close_to(v, cases[i].want));
		bo__expr_free(e);
	}
	expect_num("price.cpu_hours * 730", CPU_HOURS * 730);

	/* how numeric keys are written: what price_key sees */
	{
		const struct {
			const char *text;
			const char *key;
		} k[] = {
			{"price.batch_cost[-0]", "0"},
			{"price.batch_cost[1e15]", "1000000000000000"},
			{"price.batch_cost[-2.5e-3]", "-0.0025"},
			{"price.batch_cost[1/3]", "0.3333333333333333"},
			{"price.batch_cost[1e300]", "1e+300"},
			{"price.batch_cost[1e100 * 1e300]", "inf"},
		};
		for (i = 0; i < sizeof k / sizeof k[0]; i++) {
			e = compile_ok(k[i].text);
			env_init(&t, &env);
			assert_int_equal(bo__expr_eval(e, &env, &v), BO_ENOTFOUND);
			assert_string_equal(t.last_key, k[i].key);
			bo__expr_free(e);
		}
	}

	/* a key that is not in the table */
	e = compile_ok("1 + price.batch_cost[0.1 + 0.2]");
	env_init(&t, &env);
	assert_int_equal(bo__expr_eval(e, &env, &v), BO_ENOTFOUND);
	assert_true(isnan(v));
	assert_string_equal(t.last_key, "0.30000000000000004");
	assert_non_null(strstr(bo_error_last(), "\"0.30000000000000004\""));
	assert_non_null(strstr(bo_error_last(), "price.batch_cost"));
	bo__expr_free(e);

	/* the resolver's reasons come through with the name's offset */
	expect_err("1 + price.batch_cost", 4, "price.batch_cost is a table");
	expect_err("price.cpu_hours[1]", 0, "price.cpu_hours is not a table");
	expect_err("2 * price.gpu_hour[gpu]", 4, "unknown price \"gpu_hour\"");
}

static void test_short_circuit(void **state)
{
	tenv t;
	bo_expr_env env;
	bo_expr *e;
	double v;
	const struct {
		const char *text;
		double want;
	} ok[] = {
		{"if(x > 0, log(x), missing)", log(X)},
		{"if(x < 0, missing, 7)", 7.0},
		{"if(x < 0, log(missing), 7)", 7.0},
		{"0 and missing", 0.0},
		{"1 or missing", 1.0},
		{"x > 0 or missing > 0 or missing", 1.0},
		{"x < 0 and missing > 0 and missing", 0.0},
		{"y > 0 && missing", 0.0},
		{"x > 0 || missing", 1.0},
	};
	const char *bad[] = {
		"if(x > 0, missing, 7)",
		"1 and missing",
		"0 or missing > 2",
		"missing * 2 + x",
		"min(x, missing)",
		"price.gpu_hours[if(missing, gpu, 'l4')]",
		"-missing",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		e = compile_ok(ok[i].text);
		env_init(&t, &env);
		v = -1;
		assert_int_equal(bo__expr_eval(e, &env, &v), 0);
		assert_true(close_to(v, ok[i].want));
		assert_int_equal(t.got_missing, 0);
		bo__expr_free(e);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = compile_ok(bad[i]);
		env_init(&t, &env);
		v = 0;
		assert_int_equal(bo__expr_eval(e, &env, &v), BO_ENOTFOUND);
		assert_true(isnan(v));
		assert_int_equal(t.got_missing, 1);
		assert_string_equal(bo_error_last(), "no value for \"missing\"");
		bo__expr_free(e);
	}
	/* the unchosen branch was not evaluated: one get() for x only */
	e = compile_ok("if(x > 0, 1, accuracy + y)");
	env_init(&t, &env);
	assert_int_equal(bo__expr_eval(e, &env, &v), 0);
	assert_int_equal(t.gets, 1);
	bo__expr_free(e);

	/* no environment at all: constants are fine, names are misuse */
	e = compile_ok("2 * 3");
	assert_int_equal(bo__expr_eval(e, NULL, &v), 0);
	assert_true(v == 6.0);
	bo__expr_free(e);
	e = compile_ok("2 * x");
	assert_int_equal(bo__expr_eval(e, NULL, &v), BO_EMISUSE);
	bo__expr_free(e);
}

static void test_runtime_types(void **state)
{
	tenv t;
	bo_expr_env env;
	bo_expr *e;
	double v;
	(void)state;
	/* the environment gives a label where the resolver promised a number */
	e = compile_ok("x + 1");
	env_init(&t, &env);
	t.label[0] = "oops";
	assert_int_equal(bo__expr_eval(e, &env, &v), BO_EINVAL);
	assert_true(isnan(v));
	assert_non_null(strstr(bo_error_last(), "\"x\""));
	bo__expr_free(e);
	/* and a number where it promised a label */
	e = compile_ok("gpu == 'l4'");
	env_init(&t, &env);
	t.label[3] = NULL;
	assert_int_equal(bo__expr_eval(e, &env, &v), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "\"gpu\""));
	bo__expr_free(e);
}

static void test_errors(void **state)
{
	const struct {
		const char *text;
		size_t off;
		const char *msg;
	} cases[] = {
		{"", 0, "empty expression"},
		{"   ", 0, "empty expression"},
		{"min(1, 2", 8, "expected ')' after arguments of min, found end of expression"},
		{"max(1 2)", 6, "expected ')' after arguments of max, found number 2"},
		{"lg(2)", 0, "unknown function \"lg\" (did you mean \"log\"?)"},
		{"1 + sqr(x)", 4, "unknown function \"sqr\" (did you mean \"sqrt\"?)"},
		{"x * foobar(1)", 4, "unknown function \"foobar\""},
		{"gpu(1)", 0, "unknown function \"gpu\""},
		{"sqrt(1, 2)", 0, "sqrt takes 1 argument, found 2"},
		{"2 * log()", 4, "log takes 1 or 2 arguments, found 0"},
		{"log(1, 2, 3)", 0, "log takes 1 or 2 arguments, found 3"},
		{"min()", 0, "min needs at least 1 argument, found 0"},
		{"if(x, 1)", 0, "if takes 3 arguments (condition, then, else), found 2"},
		{"if x", 3, "expected '(' after if, found name \"x\""},
		{"1 +", 3, "expected a value after '+', found end of expression"},
		{"x * * y", 4, "expected a value after '*', found '*'"},
		{"x and", 5, "expected a value after 'and', found end of expression"},
		{"x and or y", 6, "expected a value after 'and', found 'or'"},
		{"1 2", 2, "expected an operator or the end of the expression after number 1, found number 2"},
		{"x y", 2, "found name \"y\""},
		{"(1 + 2", 6, "expected ')' to match '(', found end of expression"},
		{"((x)", 4, "expected ')' to match '('"},
		{"1 + 2)", 5, "unbalanced ')'"},
		{")", 0, "expected a value, found ')'"},
		{"f(", 0, "unknown function \"f\""},
		{"min(1,)", 6, "expected a value after ',', found ')'"},
		{"1e999", 0, "number out of range"},
		{"2 * 1e-999", 4, "number out of range"},
		{"x + 1e", 4, "malformed number"},
		{"1e+", 0, "malformed number"},
		{"2 # 3", 2, "invalid character '#'"},
		{"x \xc3\xa9", 2, "invalid byte 0xc3"},
		{"\x80", 0, "invalid byte 0x80"},
		{"x\t+\x01", 3, "invalid character 0x01"},
		{"a = 1", 2, "'=' is not an operator (did you mean '=='?)"},
		{"worst()", 0, "worst takes one value, such as worst(accuracy)"},
		{"cvar(x)", 6, "expected ',' and the share of cvar"},
		{"cvar(x, 0)", 8, "the share of cvar must be a number in (0, 1]"},
		{"cvar(x, 1.01)", 8, "the share of cvar must be a number in (0, 1]"},
		{"cvar(x, -0.5)", 8, "the share of cvar must be a number in (0, 1]"},
		{"cvar(x, y)", 8, "the share of cvar must be a number in (0, 1]"},
		{"worst(x, 2)", 7, "expected ')' after the argument of worst"},
		{"mean(worst(x))", 5, "robust functions do not nest: worst inside mean"},
		{"spread(gpu)", 7, "spread needs a number, found a string"},
		{"wrost(x)", 0, "unknown function \"wrost\""},
		{"x & y", 2, "invalid character '&'"},
		{"x | y", 2, "invalid character '|'"},
		{". 5", 0, "invalid character '.'"},
		{"'abc", 0, "unterminated string"},
		{"x == 'it''s", 5, "unterminated string"},
		{"gpu + 1", 0, "cannot add a string"},
		{"1 + gpu", 4, "cannot add a string"},
		{"1 + 'a'", 4, "cannot add a string ('a')"},
		{"x - gpu", 4, "cannot subtract a string"},
		{"gpu * 2", 0, "cannot multiply a string"},
		{"2 / gpu", 4, "cannot divide by a string"},
		{"-gpu", 1, "cannot negate a string"},
		{"gpu ^ 2", 0, "cannot raise a string to a power"},
		{"2 ^ gpu", 4, "exponent"},
		{"gpu < 2", 0, "'<' needs numbers"},
		{"1 >= 'a'", 5, "'>=' needs numbers"},
		{"gpu == 2", 4, "cannot compare a string with a number"},
		{"x != 'l4'", 2, "cannot compare a number with a string"},
		{"gpu and 1", 0, "'and' needs numbers"},
		{"1 or gpu", 5, "'or' needs numbers"},
		{"not gpu", 4, "'not' needs a number"},
		{"log(gpu)", 4, "log needs numbers, found a string"},
		{"if(gpu, 1, 2)", 3, "condition of if"},
		{"if(x > 0, gpu, 1)", 15, "branches of if"},
		{"acuracy", 0, "unknown name \"acuracy\" (did you mean \"accuracy\"?)"},
		{"1 + (2 * nope)", 9, "unknown name \"nope\""},
		{"x < y < z", 6, "comparisons do not chain"},
		{"price.", 6, "expected a price name"},
		{"price.gpu_hours[gpu", 19, "expected ']' after the key of price.gpu_hours, found end of expression"},
		{"price.gpu_hours[gpu)", 19, "expected ']'"},
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_err(cases[i].text, cases[i].off, cases[i].msg);
}

static char *repeat(const char *pre, size_t n, const char *mid, const char *post, size_t m)
{
	size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post), i;
	char *s = malloc(lp * n + lm + lq * m + 1), *w = s;
	assert_non_null(s);
	for (i = 0; i < n; i++, w += lp)
		memcpy(w, pre, lp);
	memcpy(w, mid, lm);
	w += lm;
	for (i = 0; i < m; i++, w += lq)
		memcpy(w, post, lq);
	*w = '\0';
	return s;
}

static void expect_deep_error(char *text)
{
	bo_expr *e = NULL;
	size_t off = 0;
	assert_int_equal(bo__expr_compile(&e, text, resolver, NULL, &off), BO_EINVAL);
	assert_null(e);
	assert_true(off < strlen(text));
	assert_non_null(strstr(bo_error_last(), "nested too deeply"));
	free(text);
}

static void test_deep_nesting(void **state)
{
	char *s;
	double v;
	(void)state;
	/* 50 levels are fine */
	s = repeat("(", 50, "x", ")", 50);
	expect_num(s, X);
	free(s);
	s = repeat("min(", 40, "x", ", 1)", 40);
	expect_num(s, 1.0);
	free(s);
	s = repeat("- ", 40, "x", "", 0);
	expect_num(s, X);
	free(s);
	/* 200 levels and far more are errors, never a stack overflow */
	expect_deep_error(repeat("(", 200, "1", ")", 200));
	expect_deep_error(repeat("(", 100000, "", "", 0));
	expect_deep_error(repeat("(", 100000, "1", ")", 100000));
	expect_deep_error(repeat("-", 100000, "1", "", 0));
	expect_deep_error(repeat("!", 100000, "1", "", 0));
	expect_deep_error(repeat("not ", 100000, "1", "", 0));
	expect_deep_error(repeat("2^", 100000, "2", "", 0));
	expect_deep_error(repeat("log(", 100000, "2", ")", 100000));
	expect_deep_error(repeat("price.batch_cost[", 100000, "2", "]", 100000));
	/* long flat chains are not nesting: they compile and evaluate */
	s = repeat("1 + ", 100000, "1", "", 0);
	assert_int_equal(eval_text(s, &v), 0);
	assert_true(v == 100001.0);
	free(s);
	s = repeat("x > 0 and ", 50000, "1", "", 0);
	assert_int_equal(eval_text(s, &v), 0);
	assert_true(v == 1.0);
	free(s);
	s = repeat("0 or ", 50000, "x", "", 0);
	assert_int_equal(eval_text(s, &v), 0);
	assert_true(v == 1.0);
	free(s);
}

static int collect(void *ud, const bo_sym *sym)
{
	char *buf = ud;
	size_t n = strlen(buf);
	snprintf(buf + n, 256 - n, "%d:%d ", sym->kind, sym->index);
	return 0;
}

static int stop_at_metric(void *ud, const bo_sym *sym)
{
	int *seen = ud;
	++*seen;
	return sym->kind == BO_SYM_METRIC ? 42 : 0;
}

static void test_foreach_sym(void **state)
{
	char buf[256] = "";
	int seen = 0;
	bo_expr *e =
		compile_ok("if(x > 0, y, price.gpu_hours[gpu]) + missing * price.cpu_hours");
	(void)state;
	assert_int_equal(bo__expr_foreach_sym(e, collect, buf), 0);
	assert_string_equal(buf, "1:0 1:1 5:1 1:3 2:1 5:0 ");
	assert_int_equal(bo__expr_foreach_sym(e, stop_at_metric, &seen), 42);
	assert_int_equal(seen, 5);
	bo__expr_free(e);
}

static void test_comparison(void **state)
{
	tenv t;
	bo_expr_env env;
	const bo_expr *l = NULL, *r = NULL;
	double v;
	bo_expr *e = compile_ok("x + 1 <= y * 2");
	(void)state;
	env_init(&t, &env);
	assert_string_equal(bo__expr_comparison(e, &l, &r), "<=");
	assert_int_equal(bo__expr_eval(l, &env, &v), 0);
	assert_true(close_to(v, X + 1));
	assert_int_equal(bo__expr_eval(r, &env, &v), 0);
	assert_true(close_to(v, Y * 2));
	bo__expr_free(e);

	e = compile_ok("(x < y)");
	assert_string_equal(bo__expr_comparison(e, &l, &r), "<");
	assert_int_equal(bo__expr_eval(e, &env, &v), 0);
	assert_true(v == 0.0);
	bo__expr_free(e);
	e = compile_ok("gpu != 'l4'");
	assert_string_equal(bo__expr_comparison(e, &l, &r), "!=");
	assert_int_equal(bo__expr_is_str(l), 1);
	assert_int_equal(bo__expr_is_str(r), 1);
	bo__expr_free(e);
	e = compile_ok("(x < y) + 1");
	assert_null(bo__expr_comparison(e, &l, &r));
	assert_null(l);
	assert_null(r);
	bo__expr_free(e);
	e = compile_ok("x > 1 and y < 2");
	assert_null(bo__expr_comparison(e, &l, &r));
	bo__expr_free(e);
}

/* ------------------------------------------------------------------ */
/* Fuzz: random token strings never crash the compiler, and a failure
 * always points inside the text. */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* (Vigna 2016) */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void test_fuzz(void **state)
{
	static const char *const toks[] = {
		"x", "y", "gpu", "q", "missing", "accuracy", "nope", "price.gpu_hours",
		"price.batch_cost", "price.cpu_hours", "price.", "price", "[", "]", "(", "(",
		")", ")", ",", "+", "-", "*", "/", "%", "^", "<", "<=", ">", ">=", "==", "!=",
		"=", "and", "or", "not", "!", "&&", "||", "&", "|", "if", "min", "max", "log",
		"round", "lg", "true", "false", "1", "2.385", "-0.7", "1e-3", "1e999", "1e", ".",
		".5", "'l4'", "\"it''s\"", "'", "\"", "#", "\xc3\xa9", " ", "  ", "\t", "e", "0",
	};
	const size_t ntoks = sizeof toks / sizeof toks[0];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char text[1024];
	int i, ok = 0, bad = 0;
	(void)state;
	for (i = 0; i < 20000; i++) {
		size_t n = 1 + rng_next(&seed) % 24, k, len = 0, off = 99999;
		bo_expr *e = NULL;
		int rc;
		text[0] = '\0';
		for (k = 0; k < n; k++) {
			const char *t = toks[rng_next(&seed) % ntoks];
			size_t tl = strlen(t);
			memcpy(text + len, t, tl);
			len += tl;
			if (rng_next(&seed) % 2)
				text[len++] = ' ';
			text[len] = '\0';
		}
		rc = bo__expr_compile(&e, text, resolver, NULL, &off);
		if (rc == 0) {
			tenv t;
			bo_expr_env env;
			double v;
			int erc;
			char buf[256] = "";
			const bo_expr *l, *r;
			ok++;
			assert_non_null(e);
			env_init(&t, &env);
			erc = bo__expr_eval(e, &env, &v);
			assert_true(erc == 0 || erc == BO_ENOTFOUND || erc == BO_EINVAL);
			if (erc)
				assert_true(isnan(v));
			(void)bo__expr_foreach_sym(e, collect, buf);
			if (bo__expr_comparison(e, &l, &r)) {
				assert_non_null(l);
				assert_non_null(r);
			}
			bo__expr_free(e);
		} else {
			bad++;
			if (rc != BO_EINVAL || e || off > len || !bo_error_last()[0]) {
				print_error("\"%s\": rc %d offset %zu message \"%s\"\n", text, rc, off,
					    bo_error_last());
				fail();
			}
		}
	}
	/* the alphabet makes both outcomes common; a broken parser would not */
	assert_true(ok > 100);
	assert_true(bad > 100);
}

/* ------------------------------------------------------------------ */
/* Allocation torture: fail the k-th allocation of compile for every k. */

static void test_alloc_torture(void **state)
{
	/* strings, names, prices with keys, calls, chains and a number too long
	 * for the lexer's stack buffer */
	const char *text =
		"if(gpu == 'l4' and x > 0, min(x, y, price.gpu_hours[gpu], 3, 4, 5, 6, 7, 8, 9) "
		"* 2 + log(x, 10), max(price.batch_cost[32 * 2], -y ^ 2)) + price.cpu_hours * 3 "
		"- 1 + 2 - 3 + 4 - 5 + 6 - 7 + 8 - 9 + 10 + 1.00000000000000000000000000000000000"
		"000000000000000000000000000000000000000001e3 - 1000 + (q == 'it''s')";
	double a = fmin(fmin(X, Y), 0.80) * 2 + log(X) / log(10);
	double want = a + CPU_HOURS * 3 - 1 + 2 - 3 + 4 - 5 + 6 - 7 + 8 - 9 + 10 + 1000.0 - 1000 + 1;
	size_t k, allocs;
	int rc = -1, failures = 0;
	(void)state;
	for (k = 1; k < 10000; k++) {
		bo_expr *e = (bo_expr *)&e;
		size_t off;
		bo__alloc_fail_at(k);
		rc = bo__expr_compile(&e, text, resolver, NULL, &off);
		allocs = bo__alloc_fail_at(0);
		if (rc == 0) {
			assert_true(allocs < k); /* the failure was never reached */
			bo__expr_free(e);
			break;
		}
		assert_int_equal(rc, BO_ENOMEM);
		assert_null(e);
		assert_true(allocs >= k);
		assert_non_null(strstr(bo_error_last(), "out of memory"));
		failures++;
	}
	assert_int_equal(rc, 0);
	assert_true(failures > 20);
	/* and what it compiled means what it says */
	expect_num(text, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),   cmocka_unit_test(test_strings),
		cmocka_unit_test(test_price_keys),   cmocka_unit_test(test_short_circuit),
		cmocka_unit_test(test_runtime_types), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting), cmocka_unit_test(test_foreach_sym),
		cmocka_unit_test(test_comparison),   cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
