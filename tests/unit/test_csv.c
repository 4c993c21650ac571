/*
 * tests/unit/test_csv.c - the CSV reader (core/csv.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "budgetopt/common.h"
#include "core/alloc.h"
#include "core/csv.h"

static bo_csv *parse_ok(const char *text)
{
	bo_csv *c = NULL;
	assert_int_equal(bo__csv_parse(&c, text, strlen(text), "t.csv"), 0);
	assert_non_null(c);
	return c;
}

static void test_plain_and_quoted(void **state)
{
	const char *text = "\xef\xbb\xbfid,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\r\n2,,\"two\nlines\"\n\n3,x,\n";
	bo_csv *c = parse_ok(text);
	(void)state;
	assert_int_equal(c->ncols, 3);
	assert_string_equal(c->header[0], "id");
	assert_int_equal(c->nrows, 3);
	assert_string_equal(c->cells[1], "a, b");
	assert_string_equal(c->cells[2], "say \"hi\"");
	assert_string_equal(c->cells[4], "");
	assert_string_equal(c->cells[5], "two\nlines");
	assert_string_equal(c->cells[8], "");
	assert_int_equal(c->lines[0], 2);
	assert_int_equal(c->lines[1], 3);
	assert_int_equal(c->lines[2], 6);     /* the quoted newline and the blank line count */
	assert_int_equal(bo__csv_col(c, "note"), 2);
	assert_int_equal(bo__csv_col(c, "nope"), -1);
	bo__csv_free(c);
}

static void test_no_final_newline(void **state)
{
	bo_csv *c = parse_ok("a,b\n1,2");
	(void)state;
	assert_int_equal(c->nrows, 1);
	assert_string_equal(c->cells[1], "2");
	bo__csv_free(c);
}

static void expect_error(const char *text, size_t len, const char *msg)
{
	bo_csv *c = (bo_csv *)&c;
	assert_int_equal(bo__csv_parse(&c, text, len, "t.csv"), BO_EINVAL);
	assert_null(c);
	if (!strstr(bo_error_last(), msg))
		fail_msg("\"%s\" lacks \"%s\"", bo_error_last(), msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", 0, "t.csv: the file is empty");
	expect_error("a,b\n1,2,3\n", 10, "t.csv:2: the row has more fields");
	expect_error("a,b\n1\n", 6, "t.csv:2: the row has 1 fields, the header 2");
	expect_error("a,b\n1,\"open\n", 12, "t.csv:2: a quoted field is never closed");
	expect_error("a,b\n1,\"x\"y\n", 11, "t.csv:2: text after a closing quote");
	expect_error("a,b\n1,x\"y\n", 10, "t.csv:2: a quote inside an unquoted field");
	expect_error("a,,b\n", 5, "t.csv:1: column 2 has no name");
	expect_error("a,b,a\n", 6, "t.csv:1: column \"a\" appears twice");
	expect_error("a,b\n1,\0\n", 8, "NUL byte");
}

static void test_alloc_torture(void **state)
{
	const char *text = "id,name,note\n1,\"a, b\",x\n2,,\"y\"\n3,z,w\n";
	size_t k;
	(void)state;
	for (k = 1;; k++) {
		bo_csv *c = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__csv_parse(&c, text, strlen(text), "t.csv");
		bo__alloc_fail_at(0);
		if (rc == 0) {
			assert_int_equal(c->nrows, 3);
			bo__csv_free(c);
			break;
		}
		assert_int_equal(rc, BO_ENOMEM);
		assert_null(c);
		assert_true(k < 10000);
	}
}

/* Numeric cells: decimal numbers with spaces and tabs around them; the rest
 * of what strtod takes (hex, inf, nan) is refused, with a reason. */
static void test_numbers(void **state)
{
	static const struct {
		const char *cell;
		int rc;            /* 0, 1 (blank) or BO_EINVAL */
		double want;
		const char *why;   /* part of the reason */
	} c[] = {
		{"2.385", 0, 2.385, NULL},      {" 2.385", 0, 2.385, NULL},
		{"2.385 ", 0, 2.385, NULL},     {"\t-2.385\t", 0, -2.385, NULL},
		{"+.5", 0, 0.5, NULL},          {"5.", 0, 5.0, NULL},
		{"-2.5E-3", 0, -0.0025, NULL},  {"1e2", 0, 100.0, NULL},
		{"", 1, 0, NULL},               {" \t ", 1, 0, NULL},
		{"0x1A", BO_EINVAL, 0, "hexadecimal"}, {" 0x1p3 ", BO_EINVAL, 0, "hexadecimal"},
		{"-0X10", BO_EINVAL, 0, "hexadecimal"}, {"inf", BO_EINVAL, 0, "not a number"},
		{"-infinity", BO_EINVAL, 0, "not a number"}, {"nan", BO_EINVAL, 0, "not a number"},
		{"1_000", BO_EINVAL, 0, "not a number"}, {"1e", BO_EINVAL, 0, "not a number"},
		{".", BO_EINVAL, 0, "not a number"}, {"1 2", BO_EINVAL, 0, "not a number"},
		{"1,5", BO_EINVAL, 0, "not a number"}, {"1e999", BO_EINVAL, 0, "too large"},
		{"\n1", BO_EINVAL, 0, "not a number"},
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		char why[128] = "";
		double v = -7.25;
		int rc = bo__csv_number(c[i].cell, &v, why, sizeof why);
		if (rc != c[i].rc) {
			print_error("cell \"%s\": rc %d, want %d (%s)\n", c[i].cell, rc, c[i].rc, why);
			fail();
		}
		if (rc == 0)
			assert_true(v == c[i].want);
		else
			assert_true(v == -7.25); /* untouched */
		if (c[i].why)
			assert_non_null(strstr(why, c[i].why));
	}
	{
		char buf[16];
		assert_string_equal(bo__csv_trim(" \t a b\t ", buf, sizeof buf), "a b");
		assert_string_equal(bo__csv_trim("   ", buf, sizeof buf), "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alloc_torture),
		cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
