/*
 * tests/unit/test_configs.c - catalog rows as configurations
 * (analysis/configs.c): labels from the table, the label column, rows a
 * filter leaves out and why, every bad cell at once, and a clean error with
 * nothing leaked when any allocation fails. Expected values are written by
 * hand from the small table below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "analysis/configs.h"
#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/csv.h"
#include "core/model.h"
#include "study_parse.h"

static const char STUDY[] =
	"name: t\n"
	"space:\n"
	"  family: {choice: from_catalog}\n"
	"  lr: {float: [0.001, 1]}\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"  usd: {minimize: true}\n"
	"objectives: [acc, usd]\n"
	"catalog:\n"
	"  label: name\n"
	"  columns: {usd: cost}\n"
	"  where: \"not (acc > 0.92)\"\n";

static const char TABLE[] =
	"name,family,lr,acc,cost\n"
	"alpha, mlp ,0.5 ,0.90,10\n"          /* line 2: kept */
	"beta,forest,\t0.25,0.95,20\n"        /* line 3: acc > 0.92: left out */
	",mlp,0.1,,5\n"                       /* line 4: acc missing: left out */
	"delta,gbm,0.2,0.80,0x10\n";          /* line 5: kept, not usable (hex) */

/* Reads TABLE (or text) into a fresh set; returns the library's code. */
static int read_table(bo_study *s, const char *text, bo_configs *c)
{
	bo_csv *csv = NULL;
	int rc = bo__csv_parse(&csv, text, strlen(text), "t.csv");
	memset(c, 0, sizeof *c);
	if (rc == 0)
		rc = bo__study_catalog_labels(s, csv, "t.csv");
	if (rc == 0)
		rc = bo__configs_init(c, s, NULL, 0, NULL);
	if (rc == 0)
		rc = bo__configs_add_csv(c, csv, "t.csv");
	bo__csv_free(csv);
	return rc;
}

static void test_rows(void **state)
{
	bo_study *s = test_parse_study(STUDY);
	bo_configs c;
	char name[64];
	(void)state;
	assert_non_null(bo__study_needs_catalog(s));
	assert_int_equal(read_table(s, TABLE, &c), 0);
	assert_null(bo__study_needs_catalog(s));
	/* labels in first-seen order, spaces around removed */
	assert_int_equal(s->params[0].nchoices, 3);
	assert_string_equal(s->params[0].choices[0], "mlp");
	assert_string_equal(s->params[0].choices[1], "forest");
	assert_string_equal(s->params[0].choices[2], "gbm");
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0].id, 2);
	assert_string_equal(bo__config_name(&c, 0, name, sizeof name), "alpha");
	assert_true(c.v[0].usable);
	assert_true(c.v[0].x[1] == 0.5 && c.v[0].m[0] == 0.90 && c.v[0].m[1] == 10);
	assert_int_equal(c.v[1].id, 5);
	assert_false(c.v[1].usable);
	assert_non_null(strstr(c.v[1].why, "column \"cost\""));
	assert_non_null(strstr(c.v[1].why, "hexadecimal"));
	assert_int_equal(c.nremoved, 2);
	assert_int_equal(c.removed[0].id, 3);
	assert_string_equal(c.removed[0].name, "beta");
	assert_string_equal(c.removed[0].why, "catalog: where: \"acc > 0.92\" holds (0.95 > 0.92)");
	assert_int_equal(c.removed[1].id, 4);
	assert_string_equal(c.removed[1].name, "row 4");  /* empty label cell */
	assert_string_equal(c.removed[1].why, "catalog: where: \"acc\" is missing");
	bo__configs_clear(&c);
	bo_study_free(s);
}

/* Many labels (a catalog's row labels) are found by hash
 * (core/strindex.c): the labels and each row's index must be what a linear
 * search gives, repeated labels and spaces around them included. */
static void test_many_labels(void **state)
{
	static const char HEAD_[] = "name,family,lr,acc,cost\n";
	char *text = malloc(64 * 1024), fam[40][16];
	size_t len = 0, r, k, nseen = 0, row = 0;
	char seen[40][16];
	bo_study *s = test_parse_study(STUDY);
	bo_configs c;
	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, 64 * 1024 - len, "%s", HEAD_);
	/* 300 rows over 37 labels, in a scrambled order (7 * r mod 37) */
	for (r = 0; r < 300; r++) {
		snprintf(fam[r % 40], sizeof fam[0], "f%zu", (7 * r + 3) % 37);
		len += (size_t)snprintf(text + len, 64 * 1024 - len, "n%zu,%s%s,0.5,0.5,%zu\n", r,
					r % 3 ? " " : "", fam[r % 40], r + 1);
		for (k = 0; k < nseen && strcmp(seen[k], fam[r % 40]); k++)
			;
		if (k == nseen)
			snprintf(seen[nseen++], sizeof seen[0], "%s", fam[r % 40]);
	}
	assert_int_equal(read_table(s, text, &c), 0);
	assert_int_equal(s->params[0].nchoices, nseen);
	for (k = 0; k < nseen; k++)
		assert_string_equal(s->params[0].choices[k], seen[k]);
	assert_int_equal(c.n, 300);
	for (row = 0; row < 300; row++) {
		char want[16];
		snprintf(want, sizeof want, "f%zu", (7 * row + 3) % 37);
		for (k = 0; k < nseen && strcmp(seen[k], want); k++)
			;
		assert_true(c.v[row].x[0] == (double)k);
	}
	bo__configs_clear(&c);
	bo_study_free(s);
	free(text);
}

static void test_bad_cells(void **state)
{
	bo_study *s = test_parse_study(STUDY);
	bo_configs c;
	char text[4096];
	size_t n = 0, i;
	const char *msg;
	(void)state;
	n += (size_t)snprintf(text + n, sizeof text - n, "name,family,lr,acc,cost\n");
	for (i = 0; i < 25; i++) /* lines 2..26; lr bad on even lines */
		n += (size_t)snprintf(text + n, sizeof text - n, "r%zu,mlp,%s,0.5,1\n", i,
				      i % 2 ? "0.5" : "0x1");
	assert_int_equal(read_table(s, text, &c), BO_EINVAL);
	msg = bo_error_last();
	/* 13 bad cells: the first 20 would all be listed; every one is */
	assert_non_null(strstr(msg, "t.csv: 13 problems\n"));
	assert_non_null(strstr(msg, "\nt.csv:2: column \"lr\" (r0): \"0x1\" is hexadecimal"));
	assert_non_null(strstr(msg, "\nt.csv:26: column \"lr\" (r24): "));
	assert_null(strstr(msg, "t.csv:3:"));
	assert_null(strstr(msg, "more"));
	bo__configs_clear(&c);
	bo_study_free(s);
}

static void test_alloc_torture(void **state)
{
	size_t k, allocs;
	int rc = -1, failures = 0;
	(void)state;
	for (k = 1; k < 100000; k++) {
		bo_study *s = test_parse_study(STUDY);
		bo_configs c;
		bo__alloc_fail_at(k);
		rc = read_table(s, TABLE, &c);
		allocs = bo__alloc_fail_at(0);
		bo__configs_clear(&c);
		bo_study_free(s);
		if (rc == 0) {
			assert_true(allocs < k);
			break;
		}
		assert_int_equal(rc, BO_ENOMEM);
		failures++;
	}
	assert_int_equal(rc, 0);
	assert_true(failures > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bad_cells),
		cmocka_unit_test(test_many_labels),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
