/*
 * tests/unit/test_protocol.c - reading evaluator reports (runner/protocol.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budgetopt/common.h"
#include "core/alloc.h"
#include "runner/protocol.h"

static int feed(bo_report *r, const char *line, bo_report_step *st)
{
	return bo__report_line(r, line, strlen(line), 0, st);
}

static void test_final_and_log_lines(void **state)
{
	bo_report r;
	bo_report_step st;
	(void)state;
	bo__report_init(&r);
	assert_int_equal(feed(&r, "epoch 1 done", &st), 0);
	assert_int_equal(feed(&r, "   ", &st), 0);
	assert_int_equal(feed(&r, "{\"metrics\": {\"acc\": 0.8125, \"lat\": 2.385}, \"usage\": {\"gpu_hours.a100\": 0.4}}", &st), 0);
	assert_true(r.has_final);
	assert_null(r.problem);
	assert_int_equal(r.nmetrics, 2);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "acc") == 0.8125);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "lat") == 2.385);
	assert_true(bo__kv_get(r.usage, r.nusage, "gpu_hours.a100") == 0.4);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(r.nbad, 0);
	bo__report_clear(&r);
}

static void test_later_final_replaces_earlier(void **state)
{
	bo_report r;
	bo_report_step st;
	(void)state;
	bo__report_init(&r);
	feed(&r, "{\"metrics\": {\"acc\": 0.5, \"old\": 1}, \"usage\": {\"t\": 3}}", &st);
	feed(&r, "{\"metrics\": {\"acc\": 0.75}}", &st);
	assert_int_equal(r.nmetrics, 1);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "acc") == 0.75);
	assert_true(isnan(bo__kv_get(r.metrics, r.nmetrics, "old")));
	assert_int_equal(r.nusage, 0);
	bo__report_clear(&r);
}

static void test_intermediate(void **state)
{
	bo_report r;
	bo_report_step st;
	(void)state;
	bo__report_init(&r);
	assert_int_equal(feed(&r, "{\"step\": 3, \"metrics\": {\"val_acc\": 0.81, \"note\": \"x\"}}", &st), 1);
	assert_int_equal(st.step, 3);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.metrics[0].name, "val_acc");
	assert_true(st.metrics[0].value == 0.81);
	assert_false(r.has_final);
	/* A step that is not an integer is not a report. */
	assert_int_equal(feed(&r, "{\"step\": \"three\", \"metrics\": {\"a\": 1}}", &st), 0);
	assert_false(r.has_final);
	bo__report_clear(&r);
}

static void test_nonfinite(void **state)
{
	bo_report r;
	bo_report_step st;
	(void)state;
	bo__report_init(&r);
	feed(&r, "{\"metrics\": {\"a\": NaN, \"b\": Infinity, \"c\": -Infinity, \"d\": \"NaN Infinity\", \"e\": 1}}", &st);
	assert_true(r.has_final);
	assert_true(isnan(bo__kv_get(r.metrics, r.nmetrics, "a")));
	/* Each non-finite token keeps its identity (one marker for all three
	 * once turned Infinity into "nan" in reasons). */
	assert_true(isinf(bo__kv_get(r.metrics, r.nmetrics, "b")) && bo__kv_get(r.metrics, r.nmetrics, "b") > 0);
	assert_true(isinf(bo__kv_get(r.metrics, r.nmetrics, "c")) && bo__kv_get(r.metrics, r.nmetrics, "c") < 0);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "e") == 1.0);
	/* A string stays a string, even one that spells NaN: a problem. */
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "metric \"d\" is not a number"));
	bo__report_clear(&r);
}

/* Integers beyond 64 bits are valid JSON and read as numbers. */
static void test_big_integers(void **state)
{
	bo_report r;
	bo_report_step st;
	(void)state;
	bo__report_init(&r);
	feed(&r, "{\"metrics\": {\"a\": 123456789012345678901234567890, \"b\": -98765432109876543210987654321},"
		 " \"usage\": {\"t\": 18446744073709551617}}", &st);
	assert_true(r.has_final);
	assert_null(r.problem);
	assert_int_equal(r.nbad, 0);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "a") == 123456789012345678901234567890.0);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "b") == -98765432109876543210987654321.0);
	assert_true(bo__kv_get(r.usage, r.nusage, "t") == 18446744073709551617.0);
	/* Steps stay whole numbers; 2.5 is not a step. */
	assert_int_equal(feed(&r, "{\"step\": 7, \"metrics\": {\"v\": 1}}", &st), 1);
	assert_int_equal(st.step, 7);
	assert_int_equal(feed(&r, "{\"step\": 2.5, \"metrics\": {\"v\": 1}}", &st), 0);
	assert_int_equal(feed(&r, "{\"step\": 1e300, \"metrics\": {\"v\": 1}}", &st), 0);
	bo__report_clear(&r);
}

/* Reported usage must be finite, not negative and at most BO_USAGE_MAX;
 * the reason names the value as JSON writes it. */
static void test_usage_check(void **state)
{
	char why[120], buf[40];
	(void)state;
	assert_int_equal(bo__usage_check(0.0, why, sizeof why), 0);
	assert_int_equal(bo__usage_check(2.385, why, sizeof why), 0);
	assert_int_equal(bo__usage_check(BO_USAGE_MAX, why, sizeof why), 0);
	assert_int_equal(bo__usage_check(nextafter(BO_USAGE_MAX, INFINITY), why, sizeof why), -1);
	assert_non_null(strstr(why, "above the limit"));
	assert_int_equal(bo__usage_check(1e308, why, sizeof why), -1);
	assert_non_null(strstr(why, "1e+308 is above"));
	assert_int_equal(bo__usage_check(-1.0, why, sizeof why), -1);
	assert_string_equal(why, "-1 is negative");
	assert_int_equal(bo__usage_check(INFINITY, why, sizeof why), -1);
	assert_string_equal(why, "Infinity is not a finite number");
	assert_int_equal(bo__usage_check(-INFINITY, why, sizeof why), -1);
	assert_string_equal(why, "-Infinity is not a finite number");
	assert_int_equal(bo__usage_check(NAN, why, sizeof why), -1);
	assert_string_equal(why, "NaN is not a finite number");
	bo__fmt_number(2.385, buf, sizeof buf);
	assert_string_equal(buf, "2.385");
}

static void test_garbage(void **state)
{
	bo_report r;
	bo_report_step st;
	char *big;
	(void)state;
	bo__report_init(&r);
	feed(&r, "{not json", &st);
	feed(&r, "{\"metrics\": {\"a\": 1, \"a\": 2}}", &st);     /* duplicate key */
	feed(&r, "{\"metrics\": [1, 2]}", &st);
	assert_int_equal(r.nbad, 2);
	assert_non_null(r.first_bad);
	assert_non_null(strstr(r.first_bad, "line 1 is not valid JSON"));
	assert_true(r.has_final);
	assert_non_null(strstr(r.problem, "\"metric\" in the final report is not an object"));
	assert_int_equal(bo__report_line(&r, "{\"metrics\": {\"a\": 1}}", 5, 1, &st), 0);
	assert_int_equal(r.nbad, 3);
	/* Deeply nested input is refused by the parser, not a crash. */
	big = malloc(200001);
	assert_non_null(big);
	memset(big, '[', 200000);
	big[0] = '{';
	big[200000] = '\0';
	assert_int_equal(feed(&r, big, &st), 0);
	assert_int_equal(r.nbad, 4);
	free(big);
	bo__report_clear(&r);
}

static void test_result_file(void **state)
{
	bo_report r;
	char path[] = "/tmp/bo-report-XXXXXX";
	FILE *f;
	int fd;
	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("log\n{\"step\": 1, \"metrics\": {\"x\": 1}}\n{\"metrics\": {\"x\": 2.5}, \"usage\": {\"tok\": 7}}", f);
	fclose(f);
	bo__report_init(&r);
	assert_int_equal(bo__report_file(&r, path, 1 << 20), 0);
	assert_true(r.has_final);
	assert_true(bo__kv_get(r.metrics, r.nmetrics, "x") == 2.5);
	assert_true(bo__kv_get(r.usage, r.nusage, "tok") == 7);
	bo__report_clear(&r);
	bo__report_init(&r);
	/* Cut short: the final line is not whole and must not count. */
	assert_int_equal(bo__report_file(&r, path, 40), 0);
	assert_false(r.has_final);
	bo__report_clear(&r);
	unlink(path);
	bo__report_init(&r);
	assert_int_equal(bo__report_file(&r, path, 1 << 20), 0);
	assert_false(r.has_final);
	bo__report_clear(&r);
}

static void test_alloc_torture(void **state)
{
	const char *line = "{\"metrics\": {\"a\": 1.5, \"b\": NaN, \"c\": 3}, \"usage\": {\"t\": 2, \"u\": 4}}";
	size_t k;
	(void)state;
	for (k = 1;; k++) {
		bo_report r;
		bo_report_step st;
		int rc;
		bo__report_init(&r);
		bo__alloc_fail_at(k);
		rc = feed(&r, line, &st);
		bo__alloc_fail_at(0);
		if (rc == 0 && r.has_final && r.nmetrics == 3 && r.nusage == 2) {
			bo__report_clear(&r);
			break;
		}
		assert_int_equal(rc, BO_ENOMEM);
		bo__report_clear(&r);
		assert_true(k < 1000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_final_and_log_lines),
		cmocka_unit_test(test_later_final_replaces_earlier),
		cmocka_unit_test(test_intermediate),
		cmocka_unit_test(test_nonfinite),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_usage_check),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_result_file),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
