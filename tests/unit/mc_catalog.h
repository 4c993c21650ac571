/*
 * tests/unit/mc_catalog.h - what the Monte Carlo tests (test_uncertain.c,
 * test_uncertain_calibration.c) share: a catalog text read into a set of
 * configurations and the Monte Carlo run over it. Included by one test
 * program each, so its function is static inline.
 */
#ifndef BO_TESTS_MC_CATALOG_H
#define BO_TESTS_MC_CATALOG_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/configs.h"
#include "analysis/uncertain.h"
#include "core/csv.h"
#include "core/model.h"

/* Reads a catalog text into c and runs the Monte Carlo over it. */
static inline void run_catalog(bo_study *s, const char *table, bo_configs *c, bo_mc *mc,
			       const bo_mc_options *o)
{
	bo_csv *csv = NULL;
	assert_int_equal(bo__csv_parse(&csv, table, strlen(table), "t.csv"), 0);
	assert_int_equal(bo__study_catalog_labels(s, csv, "t.csv"), 0);
	assert_int_equal(bo__configs_init(c, s, NULL, 0, NULL), 0);
	assert_int_equal(bo__configs_add_csv(c, csv, "t.csv"), 0);
	bo__csv_free(csv);
	assert_int_equal(bo__mc_run(mc, c, o), 0);
}

#endif
