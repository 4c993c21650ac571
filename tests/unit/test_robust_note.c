/*
 * tests/unit/test_robust_note.c - the report's note on how a study with
 * scenarios is judged (report/robust_note.c): it names every scenario
 * with its normalised weight, lists exactly the guardrails with robust
 * functions, the robust score and objectives; nothing without scenarios.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budgetopt/common.h"
#include "budgetopt/study.h"
#include "core/model.h"
#include "report/robust_note.h"
#include "study_parse.h"

static const char HEAD[] =
	"name: t\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"  lat: {}\n"
	"evaluator:\n"
	"  command: [./e, \"{x}\"]\n";

static void test_note(void **state)
{
	char text[2048], buf[2048];
	bo_study *s;
	(void)state;
	snprintf(text, sizeof text, "%s%s", HEAD,
		 "objectives: [\"worst(acc)\", lat]\n"
		 "guardrails:\n"
		 "  - \"lat <= 5\"\n"
		 "  - \"cvar(lat, 0.5) <= 3.25\"\n"
		 "score: \"worst(acc) - mean(lat)\"\n"
		 "scenarios:\n"
		 "  clean: {weight: 3}\n"
		 "  shifted: {}\n");
	s = test_parse_study(text);
	bo__report_scenario_note(s, buf, sizeof buf);
	assert_non_null(strstr(buf, "over 2 scenarios (clean 0.75, shifted 0.25)"));
	assert_non_null(strstr(buf, "except those judged across them: cvar(lat, 0.5) <= 3.25."));
	assert_null(strstr(buf, "lat <= 5"));
	assert_non_null(strstr(buf, "The score worst(acc) - mean(lat) is judged once"));
	assert_non_null(strstr(buf, "Robust objectives: worst(acc)."));
	assert_null(strstr(buf, "Robust objectives: worst(acc), lat"));
	/* truncated, never overrun */
	bo__report_scenario_note(s, buf, 12);
	assert_int_equal(strlen(buf), 11);
	bo_study_free(s);
	/* plain: no robust part */
	snprintf(text, sizeof text, "%s%s", HEAD, "score: acc\nscenarios:\n  a: {}\n  b: {}\n  c: {weight: 2}\n");
	s = test_parse_study(text);
	bo__report_scenario_note(s, buf, sizeof buf);
	assert_non_null(strstr(buf, "over 3 scenarios (a 0.25, b 0.25, c 0.5)"));
	assert_non_null(strstr(buf, "holds under every scenario."));
	assert_null(strstr(buf, "except"));
	assert_null(strstr(buf, "score"));
	bo_study_free(s);
	/* no scenarios: nothing to say */
	snprintf(text, sizeof text, "%s%s", HEAD, "score: acc\n");
	s = test_parse_study(text);
	strcpy(buf, "stale");
	assert_string_equal(bo__report_scenario_note(s, buf, sizeof buf), "");
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
