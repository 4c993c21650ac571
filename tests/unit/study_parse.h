/*
 * tests/unit/study_parse.h - parsing a study from a string in a unit test:
 * the test fails (after printing the reader's diagnostics and error) when
 * it does not parse; or, for a study that must not parse, when no
 * diagnostic says what it should. Included by one test program each, so the function is
 * static inline: a program that does not call it builds without warnings.
 */
#ifndef BO_TESTS_STUDY_PARSE_H
#define BO_TESTS_STUDY_PARSE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "budgetopt/common.h"
#include "budgetopt/study.h"

/* The study in yaml (read as "test.yaml"); the caller frees it. */
static inline bo_study *test_parse_study(const char *yaml)
{
	bo_study *s = NULL;
	bo_diags *dg = NULL;
	int rc = bo_study_parse(&s, yaml, strlen(yaml), "test.yaml", NULL, &dg);
	if (rc != 0) {
		size_t i;
		for (i = 0; i < bo_diags_count(dg); i++)
			print_error("%s\n", bo_diags_get(dg, i));
		print_error("%s\n", bo_error_last());
	}
	bo_diags_free(dg);
	assert_int_equal(rc, 0);
	return s;
}

/* s, what the reader returned for a study that must not parse, must be
 * NULL, and one of its diagnostics d contain want (all are printed when
 * none does); frees d. */
static inline void test_expect_diag(bo_study *s, bo_diags *d, const char *want)
{
	size_t i;
	int found = 0;
	assert_null(s);
	assert_non_null(d);
	for (i = 0; i < bo_diags_count(d); i++)
		found |= strstr(bo_diags_get(d, i), want) != NULL;
	if (!found)
		for (i = 0; i < bo_diags_count(d); i++)
			print_error("got: %s\n", bo_diags_get(d, i));
	assert_true(found);
	bo_diags_free(d);
}

#endif
