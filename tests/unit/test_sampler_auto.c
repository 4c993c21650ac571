/*
 * tests/unit/test_sampler_auto.c - the "auto" rule of samplers/sampler.c:
 * which algorithm proposes each trial, the reason recorded at each switch,
 * and that the choice finds a known optimum on an all-categorical table
 * (the NAS-Bench-201 shape: six choices of five labels) where random search,
 * run here on the same body, does worse.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "core/trial.h"
#include "samplers/internal.h"
#include "samplers/sampler.h"
#include "study_parse.h"

#define OPS "{choice: [a, b, c, d, e]}"
static const char TABLE_YAML[] = "name: table\n"
				 "space:\n"
				 "  e1: " OPS "\n  e2: " OPS "\n  e3: " OPS "\n"
				 "  e4: " OPS "\n  e5: " OPS "\n  e6: " OPS "\n"
				 "metrics: {err: {minimize: true}}\n"
				 "objectives: [err]\n"
				 "evaluator: {command: [\"true\"]}\n";

/* A table over 5^6 cells with one best cell (labels 2, 4, 1, 3, 0, 2; err
 * 0) and structure a model can learn: each edge adds its label's distance
 * to the best one (weights 1.7, 1.3, 0.9, 2.385, 0.6, 1.1), and edges 1
 * and 4 interact. */
static const int BEST[6] = {2, 4, 1, 3, 0, 2};
static const double W[6] = {1.7, 1.3, 0.9, 2.385, 0.6, 1.1};

static double table(const double *x)
{
	double v = 0;
	int i;
	for (i = 0; i < 6; i++) {
		int l = (int)x[i];
		v += W[i] * (l == BEST[i] ? 0.0 : 1.0 + 0.25 * abs(l - BEST[i]));
	}
	if ((int)x[0] != BEST[0] && (int)x[3] != BEST[3])
		v += 1.5;
	return v;
}

/* Best error after n trials of sampler name (with its ledger names). */
static double run_table(const bo_study *s, const char *name, uint64_t seed, size_t n, int check)
{
	bo_sampler *sm = NULL;
	double x[6], best = HUGE_VAL;
	size_t i, switches = 0;
	assert_int_equal(bo__sampler_new(&sm, s, name, seed), 0);
	for (i = 0; i < n; i++) {
		double v;
		const char *why;
		assert_int_equal(bo__sampler_ask(sm, (int64_t)i, x), 0);
		why = bo__sampler_reason(sm);
		if (check) {
			/* Sobol for 12 (2 per parameter), then the GP, each
			 * switch with its reason, the algorithm first */
			const char *want = i < 12 ? "auto:sobol" : "auto:gp";
			assert_string_equal(bo__sampler_name(sm), want);
			if (i == 0 || i == 12) {
				assert_non_null(why);
				assert_memory_equal(why, want + 5, strlen(want + 5));
				switches++;
			} else {
				assert_null(why);
			}
		}
		v = table(x);
		if (v < best)
			best = v;
		assert_int_equal(bo__sampler_tell_metrics(sm, (int64_t)i, x, BO_TRIAL_COMPLETE, &v, 1.0), 0);
	}
	if (check)
		assert_int_equal(switches, 2);
	bo__sampler_free(sm);
	return best;
}

static void test_table_gp(void **state)
{
	enum { N = 45, SEEDS = 4, NRAND = 12 };
	bo_study *s = test_parse_study(TABLE_YAML);
	double a = 0, r = 0;
	size_t i, hits = 0;
	(void)state;
	for (i = 0; i < SEEDS; i++) {
		double b = run_table(s, "auto", 11 + i, N, 1);
		a += b;
		hits += b == 0;
	}
	for (i = 0; i < NRAND; i++)
		r += run_table(s, "random", 300 + i, N, 0);
	a /= SEEDS;
	r /= NRAND;
	print_message("table: auto mean best %.4f (optimum found %zu/%d), random %.4f\n", a, hits,
		      SEEDS, r);
	assert_true(a < 0.5 * r);
	assert_true(hits >= 1);
	bo_study_free(s);
}

/* The other branches of the rule, by their reasons. */
static void test_rule_reasons(void **state)
{
	static const char MANY[] =
		"name: many\nspace:\n"
		"  p01: {float: [0, 1]}\n  p02: {float: [0, 1]}\n  p03: {float: [0, 1]}\n"
		"  p04: {float: [0, 1]}\n  p05: {float: [0, 1]}\n  p06: {float: [0, 1]}\n"
		"  p07: {float: [0, 1]}\n  p08: {float: [0, 1]}\n  p09: {float: [0, 1]}\n"
		"  p10: {float: [0, 1]}\n  p11: {float: [0, 1]}\n  p12: {float: [0, 1]}\n"
		"  p13: {float: [0, 1]}\n  p14: {float: [0, 1]}\n  p15: {float: [0, 1]}\n"
		"  p16: {float: [0, 1]}\n  p17: {float: [0, 1]}\n  p18: {float: [0, 1]}\n"
		"  p19: {float: [0, 1]}\n  p20: {float: [0, 1]}\n  p21: {float: [0, 1]}\n"
		"metrics: {y: {}}\nobjectives: [y]\nevaluator: {command: [\"true\"]}\n";
	static const char THREE[] = "name: three\nspace:\n  x: {float: [0, 1]}\n  y: {float: [0, 1]}\n"
				    "metrics: {a: {}, b: {}, c: {}}\nobjectives: [a, b, c]\n"
				    "evaluator: {command: [\"true\"]}\n";
	static const char FOUR[] = "name: four\nspace:\n  x: {float: [0, 1]}\n  y: {float: [0, 1]}\n"
				   "metrics: {a: {}, b: {}, c: {}, d: {}}\nobjectives: [a, b, c, d]\n"
				   "evaluator: {command: [\"true\"]}\n";
	static const struct {
		const char *yaml;
		int64_t at;
		const char *name, *why;
	} CASES[] = {
		{MANY, 30, "auto:tpe", "tpe: 21 parameters (gp takes at most 20)"},
		{THREE, 5, "auto:gp", "gp: 2 parameters (<= 20), 3 objectives (<= 3), fewer than 300 trials told"},
		{FOUR, 10, "auto:tpe", "tpe: 4 objectives (gp takes at most 3)"},
	};
	size_t c;
	(void)state;
	for (c = 0; c < sizeof CASES / sizeof *CASES; c++) {
		bo_study *s = test_parse_study(CASES[c].yaml);
		bo_sampler *sm = NULL;
		double x[32];
		int64_t i;
		assert_int_equal(bo__sampler_new(&sm, s, "auto", 3), 0);
		assert_null(bo__sampler_reason(sm));
		for (i = 0; i < CASES[c].at; i++)
			assert_int_equal(bo__sampler_ask(sm, i, x), 0);
		assert_string_equal(bo__sampler_name(sm), "auto:sobol");
		assert_int_equal(bo__sampler_ask(sm, CASES[c].at, x), 0);
		assert_string_equal(bo__sampler_name(sm), CASES[c].name);
		assert_string_equal(bo__sampler_reason(sm), CASES[c].why);
		bo__sampler_free(sm);
		bo_study_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_gp),
		cmocka_unit_test(test_rule_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
