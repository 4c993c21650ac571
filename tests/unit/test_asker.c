/*
 * tests/unit/test_asker.c - runner/asker.c: the sampler's asks on a thread.
 *
 * The asker must propose exactly what the same sampler asked directly
 * proposes, given the same asks and tells in the same order; its states
 * (in flight, ready, taken) must hold whatever the thread's timing, which
 * BUDGETOPT_TEST_ASK_DELAY_MS stretches so that "in flight" is observable
 * without a race; and its errors must be reported on the caller's thread.
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
#include "core/error.h"
#include "runner/asker.h"
#include "samplers/sampler.h"

static const char STUDY[] =
	"name: ask\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"  k: {choice: [a, b, c]}\n"
	"metrics:\n"
	"  y: {minimize: true}\n"
	"evaluator:\n"
	"  command: [./eval.sh]\n"
	"sampler: tpe\n";

static bo_study *parse(void)
{
	bo_study *s = NULL;
	if (bo_study_parse(&s, STUDY, strlen(STUDY), "study.yaml", NULL, NULL) != 0)
		fail_msg("study does not parse: %s", bo_error_last());
	return s;
}

static double score(const double *x)
{
	return (x[0] - 0.385) * (x[0] - 0.385) + 0.1 * x[1];
}

/* 24 asks and tells, one side through the asker (on its thread: idle is
 * 0), the other direct: the same proposals, bit for bit. */
static void test_same_sequence(void **state)
{
	bo_study *s = parse();
	bo_sampler *a = NULL, *b = NULL;
	bo_asker *ak = NULL;
	double xa[2], xb[2];
	int64_t k, got;
	int rc;
	(void)state;
	unsetenv("BUDGETOPT_ASK");
	unsetenv("BUDGETOPT_TEST_ASK_DELAY_MS");
	assert_int_equal(bo__sampler_new(&a, s, "tpe", 11), 0);
	assert_int_equal(bo__sampler_new(&b, s, "tpe", 11), 0);
	assert_int_equal(bo__asker_new(&ak, a, s->nparams), 0);
	for (k = 0; k < 24; k++) {
		double m;
		assert_int_equal(bo__asker_start(ak, k, 0), 0);
		assert_int_equal(bo__asker_wait(ak, 600000), 1);
		assert_int_equal(bo__asker_take(ak, &got, xa, &rc), 1);
		assert_int_equal(rc, 0);
		assert_int_equal(got, k);
		assert_int_equal(bo__sampler_ask(b, k, xb), 0);
		assert_memory_equal(xa, xb, sizeof xa);
		m = score(xa);
		assert_int_equal(bo__sampler_tell_metrics(a, k, xa, BO_TRIAL_COMPLETE, &m, 1.0), 0);
		assert_int_equal(bo__sampler_tell_metrics(b, k, xb, BO_TRIAL_COMPLETE, &m, 1.0), 0);
	}
	bo__asker_free(ak);
	bo__sampler_free(a);
	bo__sampler_free(b);
	bo_study_free(s);
}

/* In flight, then ready, then taken; a second start while one is pending
 * is a misuse; nothing to take before or after. */
static void test_states(void **state)
{
	bo_study *s = parse();
	bo_sampler *sm = NULL;
	bo_asker *ak = NULL;
	double x[2] = {-7, -7};
	int64_t got = -1, n = 0, ninl = 0;
	double longest = 0;
	int rc = 12345, async = 0;
	(void)state;
	unsetenv("BUDGETOPT_ASK");
	setenv("BUDGETOPT_TEST_ASK_DELAY_MS", "300", 1);
	assert_int_equal(bo__sampler_new(&sm, s, "random", 3), 0);
	assert_int_equal(bo__asker_new(&ak, sm, s->nparams), 0);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 0);
	assert_int_equal(bo__asker_pending(ak), 0);
	assert_int_equal(bo__asker_start(ak, 0, 1), 0);   /* first ask: on the thread */
	assert_int_equal(bo__asker_busy(ak), 1);          /* 300 ms at least */
	assert_int_equal(bo__asker_pending(ak), 1);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 0);
	assert_true(x[0] == -7 && got == -1 && rc == 12345);
	assert_int_equal(bo__asker_start(ak, 1, 0), BO_EMISUSE);
	assert_int_equal(bo__asker_wait(ak, 600000), 1);
	assert_int_equal(bo__asker_busy(ak), 0);
	assert_int_equal(bo__asker_pending(ak), 1);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 1);
	assert_int_equal(rc, 0);
	assert_int_equal(got, 0);
	assert_true(x[0] >= 0 && x[0] <= 1);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 0);
	/* A slow last ask: the next one goes to the thread even when idle. */
	assert_int_equal(bo__asker_start(ak, 1, 1), 0);
	assert_int_equal(bo__asker_busy(ak), 1);
	assert_int_equal(bo__asker_wait(ak, 600000), 1);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 1);
	bo__asker_stats(ak, &n, &ninl, &longest, &async);
	assert_int_equal(n, 2);
	assert_int_equal(ninl, 0);
	assert_true(longest >= 0.3);
	assert_int_equal(async, 1);
	/* Freed with an ask in flight: waits for it, leaks nothing. */
	assert_int_equal(bo__asker_start(ak, 2, 0), 0);
	bo__asker_free(ak);
	unsetenv("BUDGETOPT_TEST_ASK_DELAY_MS");
	bo__sampler_free(sm);
	bo_study_free(s);
}

/* A fast last ask and nothing to police: made on the caller's thread. */
static void test_inline(void **state)
{
	bo_study *s = parse();
	bo_sampler *sm = NULL;
	bo_asker *ak = NULL;
	double x[2], longest;
	int64_t got, n, ninl;
	int rc, async, i;
	(void)state;
	unsetenv("BUDGETOPT_ASK");
	unsetenv("BUDGETOPT_TEST_ASK_DELAY_MS");
	assert_int_equal(bo__sampler_new(&sm, s, "random", 3), 0);
	assert_int_equal(bo__asker_new(&ak, sm, s->nparams), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(bo__asker_start(ak, i, 1), 0);
		if (i > 0)   /* ready on return, no wait */
			assert_int_equal(bo__asker_take(ak, &got, x, &rc), 1);
		else
			assert_int_equal(bo__asker_wait(ak, 600000) && bo__asker_take(ak, &got, x, &rc), 1);
		assert_int_equal(got, i);
	}
	bo__asker_stats(ak, &n, &ninl, &longest, &async);
	assert_int_equal(n, 3);
	/* a random ask takes microseconds: under BO_ASK_INLINE_S unless the
	 * machine stalled for 5 ms in the middle of one */
	assert_true(ninl >= 1 && ninl <= 2);
	bo__asker_free(ak);
	bo__sampler_free(sm);
	bo_study_free(s);
}

static void test_sync_and_bad_env(void **state)
{
	bo_study *s = parse();
	bo_sampler *sm = NULL;
	bo_asker *ak = NULL;
	double x[2], longest;
	int64_t got, n, ninl;
	int rc, async = 1;
	(void)state;
	assert_int_equal(bo__sampler_new(&sm, s, "random", 3), 0);
	setenv("BUDGETOPT_ASK", "later", 1);
	assert_int_equal(bo__asker_new(&ak, sm, s->nparams), BO_EINVAL);
	assert_null(ak);
	assert_non_null(strstr(bo_error_last(), "BUDGETOPT_ASK=later"));
	setenv("BUDGETOPT_ASK", "sync", 1);
	setenv("BUDGETOPT_TEST_ASK_DELAY_MS", "2.5", 1);
	assert_int_equal(bo__asker_new(&ak, sm, s->nparams), BO_EINVAL);
	unsetenv("BUDGETOPT_TEST_ASK_DELAY_MS");
	assert_int_equal(bo__asker_new(&ak, sm, s->nparams), 0);
	assert_int_equal(bo__asker_start(ak, 0, 0), 0);   /* sync: ready on return */
	assert_int_equal(bo__asker_busy(ak), 0);
	assert_int_equal(bo__asker_take(ak, &got, x, &rc), 1);
	bo__asker_stats(ak, &n, &ninl, &longest, &async);
	assert_int_equal(n, 1);
	assert_int_equal(async, 0);
	bo__asker_free(ak);
	unsetenv("BUDGETOPT_ASK");
	bo__sampler_free(sm);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_sequence),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_sync_and_bad_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
