/*
 * tests/unit/test_study.c - the study reader and the study model: a full
 * study parses into the expected model, derived metrics / guardrails /
 * score agree with the same formulas in C, configuration checks, value
 * text round trips, SHA-256 against FIPS 180-4's published vectors,
 * positions of diagnostics, and an allocation torture over the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"

static const char FULL[] =
	"name: digits-serving\n"
	"seed: 7\n"
	"\n"
	"space:\n"
	"  family:        {choice: [logreg, forest, mlp]}\n"
	"  C:             {float: [1e-3, 1e3], log: true, when: {family: logreg}}\n"
	"  n_estimators:  {int: [10, 500], log: true, when: {family: forest}}\n"
	"  max_depth:     {int: [2, 32], step: 2, when: {family: forest}}\n"
	"  hidden:        {choice: [32, 64, 128, 256], when: {family: mlp}}\n"
	"  data_fraction: {float: [0.1, 1.0]}\n"
	"  gpu:           {choice: [none, l4, a100]}\n"
	"constraints:\n"
	"  - \"gpu == 'none' or family == 'mlp'\"\n"
	"inputs:\n"
	"  requests_per_month: 5.0e7\n"
	"prices:\n"
	"  version: 2026-11\n"
	"  currency: EUR\n"
	"  cpu_hours: 0.048\n"
	"  gpu_hours: {none: 0, l4: 0.80, a100: 3.40}\n"
	"metrics:\n"
	"  accuracy: {maximize: true}\n"
	"  latency_ms: {}\n"
	"  energy: {optional: true}\n"
	"derived:\n"
	"  monthly_serving_cost: \"latency_ms / 3.6e6 * requests_per_month * "
	"(price.cpu_hours + price.gpu_hours[gpu])\"\n"
	"  value: {expr: \"accuracy / monthly_serving_cost\", maximize: true}\n"
	"objectives: [accuracy, monthly_serving_cost, {maximize: value}]\n"
	"guardrails:\n"
	"  - \"latency_ms <= 2\"\n"
	"  - \"accuracy > 0.9\"\n"
	"score: {minimize: \"monthly_serving_cost - accuracy\"}\n"
	"budget:\n"
	"  money: 5.00\n"
	"  trials: 200\n"
	"  time: 1h30m\n"
	"  per_trial: {money: 0.20, time: 5m}\n"
	"evaluator:\n"
	"  command: [python3, evaluate.py, --family, \"{family}\", --data-fraction, "
	"\"{data_fraction}\"]\n"
	"  parallel: 2\n"
	"  timeout: 90\n"
	"  workdir: work\n"
	"  env: {MODE: fast}\n"
	"sampler: sobol\n"
	"storage: \"sqlite:results/x.db\"\n";

static bo_study *parse_ok(const char *text)
{
	bo_study *s = NULL;
	bo_diags *d = NULL;
	int rc = bo_study_parse(&s, text, strlen(text), "t.yaml", "/base/dir", &d);
	if (rc != 0) {
		size_t i;
		for (i = 0; i < bo_diags_count(d); i++)
			print_error("%s\n", bo_diags_get(d, i));
	}
	assert_int_equal(rc, 0);
	assert_non_null(s);
	assert_null(d);
	return s;
}

static void test_full_model(void **state)
{
	bo_study *s = parse_ok(FULL);
	const bo_param *p;
	char hex[65];
	(void)state;
	assert_string_equal(bo_study_name(s), "digits-serving");
	assert_string_equal(bo_study_path(s), "t.yaml");
	assert_string_equal(s->dir, "/base/dir");
	assert_true(s->has_seed);
	assert_int_equal(s->seed, 7);
	assert_int_equal(s->nparams, 7);
	p = &s->params[0];
	assert_string_equal(p->name, "family");
	assert_int_equal(p->type, BO_PT_CHOICE);
	assert_int_equal(p->nchoices, 3);
	assert_string_equal(p->choices[2], "mlp");
	assert_false(p->numeric_choices);
	assert_null(p->when);
	p = &s->params[1];
	assert_int_equal(p->type, BO_PT_FLOAT);
	assert_true(p->lo == 1e-3 && p->hi == 1e3 && p->log);
	assert_non_null(p->when);
	assert_string_equal(p->when_text, "family == 'logreg'");
	assert_int_equal(p->pos.line, 6);
	assert_int_equal(p->pos.col, 3);
	p = &s->params[3];
	assert_int_equal(p->type, BO_PT_INT);
	assert_true(p->lo == 2 && p->hi == 32 && p->step == 2 && !p->log);
	p = &s->params[4];
	assert_true(p->numeric_choices);
	assert_true(p->choice_num[3] == 256);
	assert_string_equal(p->choices[3], "256");
	assert_int_equal(s->nconstraints, 1);
	assert_int_equal(s->ninputs, 1);
	assert_true(s->inputs[0].value == 5e7);
	assert_string_equal(s->prices.version, "2026-11");
	assert_string_equal(s->prices.currency, "EUR");
	assert_int_equal(s->prices.n, 2);
	assert_int_equal(bo__study_find_price(s, "gpu_hours"), 1);
	assert_true(s->prices.items[1].is_table && s->prices.items[1].nkeys == 3);
	assert_int_equal(s->nmetrics, 3);
	assert_int_equal(s->metrics[0].goal, 1);
	assert_int_equal(s->metrics[1].goal, 0);
	assert_true(s->metrics[2].optional);
	assert_int_equal(s->nderived, 2);
	assert_int_equal(s->derived[1].goal, 1);
	/* order: value depends on monthly_serving_cost */
	assert_int_equal(s->derived_order[0], 0);
	assert_int_equal(s->derived_order[1], 1);
	assert_int_equal(s->nobjectives, 3);
	assert_int_equal(s->objectives[0].goal, 1);
	assert_int_equal(s->objectives[1].goal, -1);   /* not stated: minimize */
	assert_int_equal(s->objectives[1].sym_kind, BO_SYM_DERIVED);
	assert_int_equal(s->objectives[2].goal, 1);
	assert_int_equal(s->nguardrails, 2);
	assert_int_equal(s->score_goal, -1);
	assert_string_equal(s->score_text, "monthly_serving_cost - accuracy");
	assert_true(s->budget.money == 5.0 && s->budget.trials == 200);
	assert_true(s->budget.time_s == 5400 && s->budget.trial_time_s == 300);
	assert_true(s->budget.trial_money == 0.2);
	assert_int_equal(s->evaluator.argc, 6);
	assert_string_equal(s->evaluator.argv[3], "{family}");
	assert_null(s->evaluator.argv[6]);
	assert_int_equal(s->evaluator.parallel, 2);
	assert_true(s->evaluator.timeout_s == 90);
	assert_string_equal(s->evaluator.workdir, "/base/dir/work");
	assert_int_equal(s->evaluator.nenv, 1);
	assert_string_equal(s->evaluator.env[0], "MODE=fast");
	assert_string_equal(s->sampler, "sobol");
	assert_string_equal(s->storage, "sqlite:results/x.db");
	bo__sha256_hex(FULL, strlen(FULL), hex);
	assert_string_equal(bo_study_hash(s), hex);
	bo_study_free(s);
}

/* budget: confirm: the share kept back for the confirmation phase. */
static void test_budget_confirm(void)
{
	const char *t = "name: m\nspace:\n  x: {float: [0, 1]}\nmetrics:\n  y: {maximize: true}\n"
			"score: \"y\"\nbudget: {money: 7.5, confirm: 0.235}\nevaluator:\n  command: [a]\n";
	bo_study *s = parse_ok(t);
	assert_true(s->budget.confirm == 0.235);
	assert_true(s->budget.money == 7.5);   /* the whole budget: the runner takes the share */
	bo_study_free(s);
}

static void test_defaults(void)
{
	const char *t = "name: m\nspace:\n  x: {float: [0, 1]}\nevaluator:\n  command: [a]\n";
	bo_study *s = parse_ok(t);
	assert_false(s->has_seed);
	assert_string_equal(s->sampler, "auto");
	assert_null(s->storage);
	assert_string_equal(s->prices.version, "unversioned");
	assert_string_equal(s->prices.currency, "USD");
	assert_true(isnan(s->budget.money) && s->budget.trials == 0 && isnan(s->budget.time_s));
	assert_true(isnan(s->budget.trial_money) && isnan(s->budget.trial_time_s));
	assert_true(s->budget.confirm == 0);   /* no confirmation phase */
	assert_int_equal(s->evaluator.parallel, 1);
	assert_true(isnan(s->evaluator.timeout_s));
	assert_null(s->evaluator.workdir);
	assert_null(s->score);
	bo_study_free(s);
}

static void test_budget_confirm_wrap(void **state)
{
	(void)state;
	test_budget_confirm();
}

static void test_defaults_wrap(void **state)
{
	(void)state;
	test_defaults();
}

/* Editing prices, budget and comments keeps the space hash; editing the
 * space changes it. */
static void test_space_hash(void **state)
{
	const char *a = "name: m\nspace:\n  x: {float: [0, 1]}\n  c: {choice: [p, q], when: {x: 0.5}}\n"
			"prices: {cpu_hours: 1}\nevaluator: {command: [a]}\n";
	const char *b = "# a comment\nname: m\nspace:\n  x:   {float: [0, 1.0]}\n"
			"  c:\n    choice: [p, q]\n    when: {x: 0.5}\n"
			"prices: {cpu_hours: 2}\nbudget: {money: 3}\nevaluator: {command: [b]}\n";
	const char *c = "name: m\nspace:\n  x: {float: [0, 2]}\n  c: {choice: [p, q], when: {x: 0.5}}\n"
			"evaluator: {command: [a]}\n";
	bo_study *sa = parse_ok(a), *sb = parse_ok(b), *sc = parse_ok(c);
	(void)state;
	assert_string_equal(bo_study_space_hash(sa), bo_study_space_hash(sb));
	assert_string_not_equal(bo_study_hash(sa), bo_study_hash(sb));
	assert_string_not_equal(bo_study_space_hash(sa), bo_study_space_hash(sc));
	bo_study_free(sa);
	bo_study_free(sb);
	bo_study_free(sc);
}

/* x for FULL: family, C, n_estimators, max_depth, hidden, data_fraction, gpu */
static void test_derive_guardrails_score(void **state)
{
	bo_study *s = parse_ok(FULL);
	static const double gpu_price[] = {0, 0.80, 3.40};
	int g, feasible;
	(void)state;
	for (g = 0; g < 3; g++) {
		double x[7] = {2, NAN, NAN, NAN, 1, 0.385, (double)g};
		double metrics[3] = {0.9385, 1.7325, NAN};
		double derived[2], margins[2], score, want;
		bo_eval_ctx ctx = {s, x, metrics, derived};
		assert_int_equal(bo__study_derive(&ctx), 0);
		want = 1.7325 / 3.6e6 * 5.0e7 * (0.048 + gpu_price[g]);
		assert_true(fabs(derived[0] - want) <= 1e-12 * fabs(want));
		assert_true(fabs(derived[1] - 0.9385 / want) <= 1e-12 * (0.9385 / want));
		assert_int_equal(bo__study_guardrails(&ctx, &feasible, margins), 0);
		assert_true(feasible);
		assert_true(fabs(margins[0] - (2 - 1.7325)) < 1e-15);
		assert_true(fabs(margins[1] - (0.9385 - 0.9)) < 1e-15);
		assert_int_equal(bo__study_score(&ctx, &score), 0);
		assert_true(fabs(score - (want - 0.9385)) <= 1e-12 * fabs(want));
	}
	{
		/* a guardrail that fails, one over a missing metric */
		double x[7] = {0, 2.385, NAN, NAN, NAN, 0.5, 0};
		double metrics[3] = {NAN, 2.5, NAN};
		double derived[2], margins[2], score;
		bo_eval_ctx ctx = {s, x, metrics, derived};
		assert_int_equal(bo__study_derive(&ctx), 0);
		assert_true(!isnan(derived[0]));
		assert_true(isnan(derived[1]));       /* needs accuracy */
		assert_int_equal(bo__study_guardrails(&ctx, &feasible, margins), 0);
		assert_false(feasible);
		assert_true(fabs(margins[0] - (2 - 2.5)) < 1e-15);
		assert_true(isnan(margins[1]));
		assert_int_equal(bo__study_score(&ctx, &score), 0);
		assert_true(isnan(score));
	}
	bo_study_free(s);
}

static void test_check_config(void **state)
{
	bo_study *s = parse_ok(FULL);
	char why[256];
	(void)state;
	{
		double x[7] = {1, NAN, 100, 8, NAN, 0.5, 0};   /* forest, no gpu */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 0);
	}
	{
		double x[7] = {1, NAN, 100, 9, NAN, 0.5, 0};   /* 9 not on 2 + 2k */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
		assert_non_null(strstr(why, "max_depth"));
	}
	{
		double x[7] = {1, NAN, 100.5, 8, NAN, 0.5, 0}; /* not an integer */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
		assert_non_null(strstr(why, "n_estimators"));
	}
	{
		double x[7] = {1, 1.0, 100, 8, NAN, 0.5, 0};   /* C inactive but set */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
		assert_non_null(strstr(why, "\"C\" is inactive"));
	}
	{
		double x[7] = {0, NAN, NAN, NAN, NAN, 0.5, 0};  /* C active, missing */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
		assert_non_null(strstr(why, "\"C\" is active"));
	}
	{
		double x[7] = {0, 2000, NAN, NAN, NAN, 0.5, 0}; /* out of bounds */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
	}
	{
		double x[7] = {0, 1, NAN, NAN, NAN, 0.5, 2};    /* a100 with logreg */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
		assert_non_null(strstr(why, "constraint"));
	}
	{
		double x[7] = {2, NAN, NAN, NAN, 3, 0.5, 2};    /* a100 with mlp: fine */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 0);
	}
	{
		double x[7] = {3, NAN, NAN, NAN, NAN, 0.5, 0};  /* no such choice */
		assert_int_equal(bo__study_check_config(s, x, why, sizeof why), 1);
	}
	bo_study_free(s);
}

static uint64_t rng_state = 0x2385u;

static uint64_t next64(void)
{
	/* splitmix64 (Steele, Lea, Flood 2014) */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void test_format_parse(void **state)
{
	bo_param p;
	char buf[64];
	double y;
	int i;
	char *labels[] = {"small", "64", "x y"};
	double nums[] = {NAN, 64, NAN};
	(void)state;
	memset(&p, 0, sizeof p);
	p.name = "x";
	p.type = BO_PT_FLOAT;
	p.lo = -1.7976931348623157e308;
	p.hi = 1.7976931348623157e308;
	for (i = 0; i < 10000; i++) {
		uint64_t bits = next64();
		double x;
		memcpy(&x, &bits, sizeof x);
		if (!isfinite(x))
			continue;
		bo__param_format(&p, x, buf, sizeof buf);
		assert_int_equal(bo__param_parse(&p, buf, &y), 0);
		assert_memory_equal(&x, &y, sizeof x);
	}
	bo__param_format(&p, 0.1, buf, sizeof buf);
	assert_string_equal(buf, "0.1");
	bo__param_format(&p, 1e-3, buf, sizeof buf);
	assert_string_equal(buf, "0.001");
	bo__param_format(&p, NAN, buf, sizeof buf);
	assert_string_equal(buf, "");
	p.type = BO_PT_INT;
	p.lo = 0;
	p.hi = 1000;
	bo__param_format(&p, 42, buf, sizeof buf);
	assert_string_equal(buf, "42");
	assert_int_equal(bo__param_parse(&p, "42.5", &y), BO_EINVAL);
	assert_int_equal(bo__param_parse(&p, "1001", &y), BO_EINVAL);
	assert_int_equal(bo__param_parse(&p, "abc", &y), BO_EINVAL);
	p.type = BO_PT_CHOICE;
	p.nchoices = 3;
	p.choices = labels;
	p.choice_num = nums;
	for (i = 0; i < 3; i++) {
		bo__param_format(&p, i, buf, sizeof buf);
		assert_string_equal(buf, labels[i]);
		assert_int_equal(bo__param_parse(&p, buf, &y), 0);
		assert_true(y == i);
	}
	assert_int_equal(bo__param_parse(&p, "large", &y), BO_EINVAL);
	/* truncation */
	assert_int_equal(bo__param_format(&p, 0, buf, 3), 2);
	assert_string_equal(buf, "sm");
}

/* FIPS 180-4 examples (NIST CSRC "Example Algorithms", SHA-256). */
static void test_sha256(void **state)
{
	char hex[65];
	char *a;
	(void)state;
	bo__sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	bo__sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	bo__sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	bo__sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, hex);
	assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	bo__sha256_hex(a, 1000000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

/* Parses text that must fail and checks that some diagnostic has want. */
static void expect_diag(const char *text, const char *want)
{
	bo_study *s = (bo_study *)1;
	bo_diags *d = NULL;
	size_t i;
	int found = 0;
	int rc = bo_study_parse(&s, text, strlen(text), "t.yaml", NULL, &d);
	assert_int_equal(rc, BO_EINVAL);
	assert_null(s);
	assert_true(bo_diags_count(d) > 0);
	for (i = 0; i < bo_diags_count(d); i++)
		if (strstr(bo_diags_get(d, i), want))
			found = 1;
	if (!found)
		for (i = 0; i < bo_diags_count(d); i++)
			print_error("got: %s\n", bo_diags_get(d, i));
	assert_true(found);
	/* the thread error holds the first problem */
	assert_string_equal(bo_error_last(), bo_diags_get(d, 0));
	bo_diags_free(d);
}

static void test_diag_positions(void **state)
{
	(void)state;
	expect_diag("name: x\nspace:\n  lr: {flaot: [0, 1]}\nevaluator: {command: [a]}\n",
		    "t.yaml:3:8: unknown key \"flaot\" in parameter \"lr\" (did you mean \"float\"?)");
	expect_diag("name: x\nspace:\n  lr: {float: [10, 1]}\nevaluator: {command: [a]}\n",
		    "t.yaml:3:15: parameter \"lr\": lower bound 10 is above upper bound 1");
	/* expression errors: node column + offset + 1 for the quote */
	expect_diag("name: x\nspace:\n  lr: {float: [0, 1]}\nconstraints:\n  - \"lr < 2 and lx > 0\"\n"
		    "evaluator: {command: [a]}\n",
		    "t.yaml:5:17: constraint: ");
	expect_diag("name: x\nspace:\n  lr: {float: [0, 1]}\nconstraints:\n  - \"lr < 2 and lx > 0\"\n"
		    "evaluator: {command: [a]}\n",
		    "unknown name \"lx\" (did you mean \"lr\"?)");
	expect_diag("name: x\nspace:\n  a: {float: [0, 1]}\nname: y\nevaluator: {command: [a]}\n",
		    "t.yaml:4:1: duplicate key \"name\" (first at line 1 column 1)");
	expect_diag("name: x\nspace:\n  a: {float: [0, 1]}\nmetrics: {m: {}}\n"
		    "derived:\n  p: \"q + m\"\n  q: \"p\"\nevaluator: {command: [a]}\n",
		    "t.yaml:6:3: derived metrics form a cycle: p -> q -> p");
	expect_diag("name: x\nspace:\n  a: {float: [0, 1]}\nbudget: {trials: 9223372036854775808}\n"
		    "evaluator: {command: [a]}\n",
		    "t.yaml:4:18: budget: trials: integer 9223372036854775808 is out of range");
	expect_diag("name: x\nspace:\n  a: {float: [0, .inf]}\nevaluator: {command: [a]}\n",
		    "t.yaml:3:18: parameter \"a\": expected a finite number, found .inf");
	expect_diag("name: x\nspace:\n  a: {float: [0, 1]}\nevaluator: {command: [run, \"--a={b}\"]}\n",
		    "t.yaml:4:33: evaluator: placeholder \"{b}\" names no parameter");
	expect_diag("name: \"x\xff\"\n", "t.yaml:1:9: invalid leading UTF-8 octet");
	expect_diag("", "t.yaml:1:1: the study file is empty");
	expect_diag("name: x\nspace:\n  a: {choice: [p, q]}\n  b: {float: [0, 1], when: {c: 1}}\n"
		    "  c: {int: [0, 3]}\nevaluator: {command: [a]}\n",
		    "t.yaml:4:29: condition of parameter \"b\": parameter \"c\" is declared later");
	/* all problems are collected, in file order */
	{
		const char *t = "nmae: x\nspace:\n  a: {float: [2, 1]}\nsampler: sobl\n";
		bo_study *s = NULL;
		bo_diags *d = NULL;
		assert_int_equal(bo_study_parse(&s, t, strlen(t), "t.yaml", NULL, &d), BO_EINVAL);
		assert_int_equal(bo_diags_count(d), 5);
		assert_non_null(strstr(bo_diags_get(d, 0), "t.yaml:1:1: unknown key \"nmae\""));
		assert_non_null(strstr(bo_diags_get(d, 1), "missing required key \"name\""));
		assert_non_null(strstr(bo_diags_get(d, 4), "t.yaml:4:10: unknown sampler"));
		assert_null(bo_diags_get(d, 5));
		bo_diags_free(d);
	}
}

static void test_load_file(void **state)
{
	const char *tmp = getenv("BO_TEST_TMP");
	char path[4096];
	FILE *f;
	bo_study *s = NULL;
	bo_diags *d = NULL;
	(void)state;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(path, sizeof path, "%s/test_study_%ld.yaml", tmp, (long)getpid());
	f = fopen(path, "wb");
	if (!f) {
		/* the scratch folder may not exist yet */
		snprintf(path, sizeof path, "/tmp/test_study_%ld.yaml", (long)getpid());
		f = fopen(path, "wb");
	}
	assert_non_null(f);
	fputs(FULL, f);
	fclose(f);
	assert_int_equal(bo_study_load(&s, path, &d), 0);
	assert_string_equal(bo_study_path(s), path);
	assert_true(s->dir[0] == '/');
	assert_int_equal(s->text_len, strlen(FULL));
	bo_study_free(s);
	remove(path);
	assert_int_equal(bo_study_load(&s, path, &d), BO_EIO);
	assert_null(s);
	assert_int_equal(bo_diags_count(d), 1);
	bo_diags_free(d);
}

/* Fails the k-th allocation for every k until the parse succeeds. */
static void test_alloc_torture(void **state)
{
	size_t k;
	int ok = 0;
	(void)state;
	for (k = 1; k < 100000 && !ok; k++) {
		bo_study *s = NULL;
		bo_diags *d = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo_study_parse(&s, FULL, strlen(FULL), "t.yaml", "/d", &d);
		bo__alloc_fail_at(0);
		if (rc == 0) {
			ok = 1;
			assert_non_null(s);
		} else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(s);
			assert_null(d);
		}
		bo_study_free(s);
		bo_diags_free(d);
	}
	assert_true(ok);
	assert_true(k > 50);   /* many allocations were failed in turn */
	/* and a failing parse under the same torture */
	for (k = 1; k < 100000; k++) {
		const char *t = "name: x\nspace:\n  a: {float: [2, 1]}\n";
		bo_study *s = NULL;
		bo_diags *d = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo_study_parse(&s, t, strlen(t), "t.yaml", "/d", &d);
		bo__alloc_fail_at(0);
		assert_null(s);
		bo_diags_free(d);
		if (rc == BO_EINVAL)
			break;
		assert_int_equal(rc, BO_ENOMEM);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_model),
		cmocka_unit_test(test_defaults_wrap),
		cmocka_unit_test(test_budget_confirm_wrap),
		cmocka_unit_test(test_space_hash),
		cmocka_unit_test(test_derive_guardrails_score),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_diag_positions),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
