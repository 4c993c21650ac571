/*
 * tests/unit/test_livecost.c - the reported usage of a trial so far and its
 * price (runner/livecost.c): the last step's amounts, replaced resource by
 * resource by the final report's, invalid amounts never charged; prices
 * from a price book read from a study, costs recomputed here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "runner/livecost.h"
#include "runner/protocol.h"

static const double P_TOK = 0.00238, P_A100 = 3.4, P_L4 = 0.8125;

static bo_study *study(void)
{
	static const char t[] = "name: c\nspace:\n  x: {float: [0, 1]}\nprices:\n  tokens: 0.00238\n"
				"  gpu_hours: {a100: 3.4, l4: 0.8125}\nevaluator: {command: [a]}\n";
	bo_study *s = NULL;
	assert_int_equal(bo_study_parse(&s, t, strlen(t), "t.yaml", NULL, NULL), 0);
	return s;
}

static void feed(bo_report *r, const char *line)
{
	bo_report_step st;
	assert_true(bo__report_line(r, line, strlen(line), 0, &st) >= 0);
}

static double usage_of(const bo_report *r, const char *name, size_t *n)
{
	bo_kv *kv = NULL;
	size_t cap = 0;
	double v;
	*n = 0;
	assert_int_equal(bo__report_charged_usage(r, &kv, n, &cap), 0);
	v = bo__kv_get(kv, *n, name);
	bo__kv_free(kv, *n);
	return v;
}

static void test_steps_then_final(void **state)
{
	bo_study *s = study();
	bo_report r;
	size_t n;
	(void)state;
	bo__report_init(&r);
	assert_true(bo__report_live_cost(&s->prices, &r) == 0.0);
	feed(&r, "{\"step\": 1, \"metrics\": {\"y\": 1}, \"usage\": {\"tokens\": 100, \"gpu_hours.a100\": 0.25}}");
	feed(&r, "{\"step\": 2, \"metrics\": {\"y\": 2}, \"usage\": {\"tokens\": 250, \"gpu_hours.a100\": 0.5}}");
	/* amounts so far: the last step's, not a sum */
	assert_true(usage_of(&r, "tokens", &n) == 250);
	assert_int_equal(n, 2);
	assert_true(fabs(bo__report_live_cost(&s->prices, &r) - (250 * P_TOK + 0.5 * P_A100)) < 1e-12);
	/* a step without usage keeps the last usage */
	feed(&r, "{\"step\": 3, \"metrics\": {\"y\": 3}}");
	assert_true(usage_of(&r, "gpu_hours.a100", &n) == 0.5);
	/* the final report replaces what it names, the rest stays */
	feed(&r, "{\"metrics\": {\"y\": 4}, \"usage\": {\"tokens\": 300, \"gpu_hours.l4\": 0.125}}");
	assert_true(usage_of(&r, "tokens", &n) == 300);
	assert_int_equal(n, 3);
	assert_true(fabs(bo__report_live_cost(&s->prices, &r) - (300 * P_TOK + 0.5 * P_A100 + 0.125 * P_L4)) <
		    1e-12);
	bo__report_clear(&r);
	bo_study_free(s);
}

static void test_invalid_amounts(void **state)
{
	bo_study *s = study();
	bo_report r;
	size_t n;
	(void)state;
	bo__report_init(&r);
	feed(&r, "{\"step\": 1, \"metrics\": {}, \"usage\": {\"tokens\": -1, \"gpu_hours.a100\": 1e300}}");
	assert_true(isnan(usage_of(&r, "tokens", &n)));
	assert_int_equal(n, 0);
	assert_true(bo__report_live_cost(&s->prices, &r) == 0.0);
	feed(&r, "{\"step\": 2, \"metrics\": {}, \"usage\": {\"tokens\": 2.385}}");
	assert_true(fabs(bo__report_live_cost(&s->prices, &r) - 2.385 * P_TOK) < 1e-15);
	bo__report_clear(&r);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steps_then_final),
		cmocka_unit_test(test_invalid_amounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
