/*
 * tests/unit/test_optimizer_ledger.c - the ask/tell API with a ledger
 * (bo_optimizer_options.storage, runner/optimizer_ledger.c): trials asked
 * and told are in the ledger with their charges; a second optimizer or
 * `bo_run` on the held study is refused; a new optimizer resumes the
 * history (numbers, spend, best); trials open at free are failed and
 * charged; bo_run continues a study the API began, and the API one that
 * bo_run began; the money budget holds across all of them.
 *
 * Expected spends are computed here from the usage the test adds and the
 * study's prices, independently of the library; the ledger is read back
 * through the storage layer.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "budgetopt/optimizer.h"
#include "budgetopt/run.h"
#include "budgetopt/study.h"
#include "core/trial.h"
#include "storage/storage.h"
#include "tmp_ledger.h"

#define P_CPU 2.0
#define MONEY 30.0
#define CAP 1.5

static const char STUDY[] =
	"name: ledger-api\n"
	"seed: 3\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"  kind: {choice: [a, b]}\n"
	"prices:\n"
	"  cpu_hours: 2.0\n"
	"metrics:\n"
	"  y: {minimize: true}\n"
	"objectives: [y]\n"
	"budget:\n"
	"  money: 30\n"
	"  per_trial: {money: 1.5}\n"
	"evaluator:\n"
	"  command: [\"/bin/echo\", '{{\"metrics\": {{\"y\": 0.25}}, \"usage\": {{\"cpu_hours\": 0.5}}}}']\n"
	"sampler: random\n";

static char ledger[512];

static bo_study *parse(void)
{
	bo_study *s = NULL;
	if (bo_study_parse(&s, STUDY, strlen(STUDY), "study.yaml", NULL, NULL) != 0)
		fail_msg("study does not parse: %s", bo_error_last());
	return s;
}

static int setup(void **state)
{
	(void)state;
	tmp_ledger(ledger, sizeof ledger, "optimizer_ledger");
	return 0;
}

static bo_optimizer *open_opt(const bo_study *s, int expect)
{
	bo_optimizer_options o = BO_OPTIMIZER_OPTIONS_INIT;
	bo_optimizer *opt = NULL;
	int rc;
	o.storage = ledger;
	rc = bo_optimizer_new(&opt, s, &o);
	if (rc != expect)
		fail_msg("bo_optimizer_new: %d (%s), expected %d", rc, bo_error_last(), expect);
	return opt;
}

/* Every trial of the ledger, read through the storage layer. */
static bo_trial_rec *ledger_trials(size_t *n)
{
	bo_storage *st = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	assert_int_equal(bo__storage_open_ex(&st, ledger, NULL), 0);
	assert_int_equal(st->ops->trials(st, &q, &t, n), 0);
	st->ops->close(st);
	return t;
}

/* Asks, adds usage cpu_hours = hours, sets y and tells complete; returns
 * the charge. */
static double run_one(bo_optimizer *o, double hours, double y)
{
	bo_trial *t = NULL;
	double cost = -1;
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_add_usage(t, "cpu_hours", hours), 0);
	assert_int_equal(bo_trial_set_metric(t, "y", y), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_COMPLETE, &cost), 0);
	return cost;
}

static void test_trials_are_recorded(void **state)
{
	bo_study *s = parse();
	bo_optimizer *o = open_opt(s, 0);
	double want = 0, y[6] = {0.9, 0.4, 0.7, 0.1, 0.5, 0.3};
	size_t n, i;
	bo_trial_rec *t;
	bo_trial *failing = NULL;
	(void)state;

	for (i = 0; i < 6; i++) {
		double hours = 0.1 * (double)(i + 1);    /* 0.2 .. 1.2 money; the last two capped */
		double c = run_one(o, hours, y[i]);
		double expect = fmin(hours * P_CPU, CAP);
		assert_true(fabs(c - expect) < 1e-12);
		want += expect;
	}
	/* A failed trial with its reason. */
	assert_int_equal(bo_optimizer_ask(o, &failing), 0);
	assert_int_equal(bo_trial_add_usage(failing, "cpu_hours", 0.05), 0);
	assert_int_equal(bo_trial_set_reason(failing, "out of memory\non the GPU"), 0);
	assert_int_equal(bo_optimizer_tell(o, failing, BO_TELL_FAILED, NULL), 0);
	want += 0.05 * P_CPU;
	assert_true(fabs(bo_optimizer_spent(o) - want) < 1e-12);
	bo_optimizer_free(o);

	t = ledger_trials(&n);
	assert_int_equal(n, 7);
	{
		double sum = 0;
		for (i = 0; i < n; i++) {
			assert_int_equal(t[i].id, (int64_t)i + 1);
			sum += t[i].cost;
			if (i < 6) {
				assert_int_equal(t[i].state, BO_TRIAL_COMPLETE);
				assert_true(fabs(bo__kv_get(t[i].metrics, t[i].nmetrics, "y") - y[i]) < 1e-15);
				assert_true(fabs(bo__kv_get(t[i].usage, t[i].nusage, "cpu_hours") -
						 0.1 * (double)(i + 1)) < 1e-12);
				assert_false(isnan(bo__kv_get(t[i].params, t[i].nparams, "x")));
			}
		}
		assert_true(fabs(sum - want) < 1e-12);
		assert_int_equal(t[6].state, BO_TRIAL_FAILED);
		assert_non_null(t[6].reason);
		assert_string_equal(t[6].reason, "out of memory on the GPU");
	}
	bo__trial_rec_free_array(t, n);
	bo_study_free(s);
}

static void test_held_study_is_refused(void **state)
{
	bo_study *s = parse();
	bo_optimizer *a = open_opt(s, 0), *b;
	bo_run_options ro = BO_RUN_OPTIONS_INIT;
	bo_run_summary sum;
	(void)state;
	run_one(a, 0.1, 0.5);
	b = open_opt(s, BO_ECONFLICT);
	assert_null(b);
	ro.storage = ledger;
	assert_int_equal(bo_run(s, &ro, &sum), BO_ECONFLICT);
	bo_optimizer_free(a);
	/* Released: a new holder may open it. */
	b = open_opt(s, 0);
	assert_int_equal(bo_optimizer_ntold(b), 1);
	bo_optimizer_free(b);
	bo_study_free(s);
}

static void test_resume_and_open_trials(void **state)
{
	bo_study *s = parse();
	bo_optimizer *o = open_opt(s, 0);
	bo_trial *t = NULL;
	int64_t best = -1;
	double spent, v;
	size_t n;
	bo_trial_rec *rec;
	(void)state;

	run_one(o, 0.1, 0.8);
	run_one(o, 0.2, 0.2);   /* the best */
	run_one(o, 0.3, 0.6);
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_number(t), 3);
	assert_int_equal(bo_trial_add_usage(t, "cpu_hours", 0.25), 0);
	spent = bo_optimizer_spent(o);
	bo_optimizer_free(o);   /* trial 3 is open: failed and charged 0.5 */

	o = open_opt(s, 0);
	assert_int_equal(bo_optimizer_ntold(o), 4);
	assert_true(fabs(bo_optimizer_spent(o) - (spent + 0.25 * P_CPU)) < 1e-12);
	assert_int_equal(bo_optimizer_best(o, &best, &v), 0);
	assert_int_equal(best, 1);
	assert_true(fabs(v - 0.2) < 1e-15);
	t = NULL;
	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_number(t), 4);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_FAILED, NULL), 0);
	bo_optimizer_free(o);

	rec = ledger_trials(&n);
	assert_int_equal(n, 5);
	assert_int_equal(rec[3].state, BO_TRIAL_FAILED);
	assert_string_equal(rec[3].reason, "not told before the optimizer was freed");
	assert_true(fabs(rec[3].cost - 0.25 * P_CPU) < 1e-12);
	assert_int_equal(rec[4].state, BO_TRIAL_FAILED);
	assert_string_equal(rec[4].reason, "told as failed");
	bo__trial_rec_free_array(rec, n);
	bo_study_free(s);
}

/* The API and bo_run make one study, and the money budget holds across
 * both: bo_run stops when its reservation (the cap) no longer fits. */
static void test_shared_with_run(void **state)
{
	bo_study *s = parse();
	bo_optimizer *o = open_opt(s, 0);
	bo_run_options ro = BO_RUN_OPTIONS_INIT;
	bo_run_summary sum;
	size_t n, i, napi = 5;
	bo_trial_rec *t;
	double total = 0;
	(void)state;

	for (i = 0; i < napi; i++)
		run_one(o, 0.5, 0.3);   /* 1.0 each */
	bo_optimizer_free(o);

	ro.storage = ledger;
	assert_int_equal(bo_run(s, &ro, &sum), 0);
	assert_true(sum.launched > 0);

	t = ledger_trials(&n);
	assert_int_equal(n, napi + (size_t)sum.launched);
	for (i = 0; i < n; i++) {
		total += t[i].cost;
		assert_int_equal(t[i].state, BO_TRIAL_COMPLETE);
		/* The evaluator reports 0.5 cpu-hours: 1.0 money, and the
		 * runner measures a little wall and cpu time on top. */
		assert_true(t[i].cost >= 1.0 - 1e-12 && t[i].cost <= CAP + 1e-12);
	}
	assert_true(total <= MONEY + 1e-9);
	assert_true(MONEY - total < CAP);       /* stopped only when a cap no longer fit */
	bo__trial_rec_free_array(t, n);

	/* And the API continues after bo_run, seeing its trials. */
	o = open_opt(s, 0);
	assert_int_equal(bo_optimizer_ntold(o), (int64_t)n);
	assert_true(fabs(bo_optimizer_spent(o) - total) < 1e-9);
	{
		bo_trial *x = NULL;
		assert_int_equal(bo_optimizer_ask(o, &x), BO_DONE);   /* no cap fits any more */
		assert_null(x);
	}
	bo_optimizer_free(o);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_trials_are_recorded, setup),
		cmocka_unit_test_setup(test_held_study_is_refused, setup),
		cmocka_unit_test_setup(test_resume_and_open_trials, setup),
		cmocka_unit_test_setup(test_shared_with_run, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
