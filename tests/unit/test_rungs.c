/*
 * tests/unit/test_rungs.c - what multi-fidelity and pruning did
 * (report/rungs.c): the rung table, the pruned trials and the saving
 * estimate, against figures worked out by hand here from hand-made
 * trials, events and step reports (awkward costs, ties, a trial on no
 * rung, an infeasible best, unparseable reasons, a step 0, a trial past
 * the full length), and a failure of every allocation in turn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "report/rungs.h"

#define TOL 1e-12

static int near(double a, double b)
{
	return fabs(a - b) <= TOL * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static bo_study *parse(const char *text)
{
	bo_study *s = NULL;
	assert_int_equal(bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL), 0);
	return s;
}

static const char FIDELITY[] =
	"name: rungs-fid\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"  epochs: {int: [1, 27]}\n"
	"prices:\n"
	"  epochs: 0.01\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"  loss: {minimize: true}\n"
	"objectives: [%s]\n"
	"fidelity: {param: epochs, min: 1, max: 27, eta: 3}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

/* One hand-made trial: epochs e, state, cost, acc and loss (NaN: none). */
typedef struct spec {
	int64_t id;
	double epochs;
	int state;
	double cost;
	double acc, loss;
	int feasible;
	const char *reason;
} spec;

typedef struct made {
	bo_trial_rec t[16];
	bo_kv params[16][2];
	bo_kv metrics[16][2];
	size_t n;
} made;

static void make(made *m, const spec *sp, size_t n)
{
	size_t i;
	memset(m, 0, sizeof *m);
	for (i = 0; i < n; i++) {
		bo_trial_rec *t = &m->t[i];
		t->id = sp[i].id;
		t->state = sp[i].state;
		t->cost = sp[i].cost;
		t->score = NAN;
		t->feasible = sp[i].feasible;
		t->reason = (char *)sp[i].reason;
		m->params[i][0].name = (char *)"x";
		m->params[i][0].value = 0.385;
		m->params[i][1].name = (char *)"epochs";
		m->params[i][1].value = sp[i].epochs;
		t->params = m->params[i];
		t->nparams = 2;
		if (!isnan(sp[i].acc)) {
			m->metrics[i][0].name = (char *)"acc";
			m->metrics[i][0].value = sp[i].acc;
			m->metrics[i][1].name = (char *)"loss";
			m->metrics[i][1].value = sp[i].loss;
			t->metrics = m->metrics[i];
			t->nmetrics = 2;
		}
	}
	m->n = n;
}

/* Trials in no particular order: rungs 1, 3, 9, 27; trial 7 at 5 (no
 * rung); trial 8 the best acc at rung 1 but infeasible; 2 and 5 tie at
 * rung 0 (the lower id is the best). */
static const spec FID_TRIALS[] = {
	{5, 1, BO_TRIAL_COMPLETE, 1.125, 0.3, 0.9, 1, NULL},
	{1, 1, BO_TRIAL_COMPLETE, 1.5, 0.2, 0.7, 1, NULL},
	{4, 3, BO_TRIAL_COMPLETE, 2.385, 0.3, 0.5, 1, NULL},
	{3, 1, BO_TRIAL_FAILED, 0.5, NAN, NAN, -1, "exit 3"},
	{2, 1, BO_TRIAL_COMPLETE, 1.25, 0.3, 0.8, 1, NULL},
	{6, 9, BO_TRIAL_RUNNING, 0.0, NAN, NAN, -1, NULL},
	{7, 5, BO_TRIAL_COMPLETE, 9.0, 0.9, 0.1, 1, NULL},
	{8, 3, BO_TRIAL_COMPLETE, 2.5, 0.35, 0.6, 0, NULL},
};

static bo_event fid_events[] = {
	{1, 10.0, 1, 4, (char *)"promote", 3.0,
	 (char *)"trial 4 promotes configuration 2 from trial 2 to rung 1 (epochs = 3)"},
	{2, 11.0, 1, 4, (char *)"charge", 2.385, (char *)"trial 4 from trial 1 ignored"},
	{3, 12.0, 1, 6, (char *)"promote", 9.0,
	 (char *)"trial 6 promotes configuration 2 from trial 4 to rung 2 (epochs = 9)"},
};

static void test_fidelity(void **state)
{
	char text[1024];
	bo_study *s;
	made m;
	bo_rungs r;
	(void)state;
	snprintf(text, sizeof text, FIDELITY, "acc");
	s = parse(text);
	make(&m, FID_TRIALS, sizeof FID_TRIALS / sizeof FID_TRIALS[0]);
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, fid_events, 3, NULL, 0), 0);
	assert_true(r.has_fidelity);
	assert_false(r.has_pruner);
	assert_int_equal(r.nrungs, 4);
	assert_true(r.rungs[0].value == 1 && r.rungs[1].value == 3 && r.rungs[2].value == 9 && r.rungs[3].value == 27);
	assert_string_equal(r.ranked_by, "acc");
	assert_int_equal(r.promotions, 2);
	assert_int_equal(r.off_rung, 1);
	/* rung 0: trials 1, 2, 3, 5 */
	assert_int_equal(r.rungs[0].trials, 4);
	assert_int_equal(r.rungs[0].complete, 3);
	assert_int_equal(r.rungs[0].failed, 1);
	assert_int_equal(r.rungs[0].running, 0);
	assert_int_equal(r.rungs[0].promoted, 1);
	assert_true(near(r.rungs[0].spent, 1.5 + 1.25 + 0.5 + 1.125));
	assert_true(near(r.rungs[0].best, 0.3));
	assert_int_equal(r.rungs[0].best_trial, 2);
	/* rung 1: trials 4 and 8 (infeasible, not the best) */
	assert_int_equal(r.rungs[1].trials, 2);
	assert_int_equal(r.rungs[1].complete, 2);
	assert_int_equal(r.rungs[1].promoted, 1);
	assert_true(near(r.rungs[1].spent, 2.385 + 2.5));
	assert_int_equal(r.rungs[1].best_trial, 4);
	/* rung 2: trial 6 running; rung 3: nothing */
	assert_int_equal(r.rungs[2].trials, 1);
	assert_int_equal(r.rungs[2].running, 1);
	assert_int_equal(r.rungs[2].promoted, 0);
	assert_true(isnan(r.rungs[2].best));
	assert_int_equal(r.rungs[2].best_trial, 0);
	assert_int_equal(r.rungs[3].trials, 0);
	bo__rungs_clear(&r);
	bo_study_free(s);

	/* ranked by a minimised objective: the lowest loss, as reported */
	snprintf(text, sizeof text, FIDELITY, "loss");
	s = parse(text);
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, fid_events, 3, NULL, 0), 0);
	assert_string_equal(r.ranked_by, "loss");
	assert_true(near(r.rungs[0].best, 0.7));
	assert_int_equal(r.rungs[0].best_trial, 1);
	assert_true(near(r.rungs[1].best, 0.5));
	assert_int_equal(r.rungs[1].best_trial, 4);
	bo__rungs_clear(&r);
	bo_study_free(s);
}

static const char PRUNER[] =
	"name: rungs-prune\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"  epochs: {int: [1, 27]}\n"
	"prices:\n"
	"  epochs: 0.01\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"objectives: [acc]\n"
	"pruner: %s\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static const spec PRUNED_TRIALS[] = {
	{1, 1, BO_TRIAL_COMPLETE, 4.0, 0.9, 0.1, 1, NULL},
	{2, 1, BO_TRIAL_PRUNED, 1.0, NAN, NAN, -1, "pruned at step 2 by the median rule: 0.1 is below the median 0.4"},
	{3, 1, BO_TRIAL_PRUNED, NAN, NAN, NAN, -1, "pruned at step 2 by the median rule: 0.2 is below the median 0.4"},
	{4, 1, BO_TRIAL_PRUNED, 2.0, NAN, NAN, -1, "pruned in Optuna"},
	{5, 1, BO_TRIAL_PRUNED, 0.5, NAN, NAN, -1, "pruned at step 0 by the median rule: 0 is below 1"},
	{6, 1, BO_TRIAL_FAILED, 0.25, NAN, NAN, -1, "exit 3"},
	{7, 1, BO_TRIAL_COMPLETE, 3.0, 0.8, 0.2, 1, NULL},
	{8, 1, BO_TRIAL_PRUNED, 2.0, NAN, NAN, -1, "pruned at step 9 by the median rule"},
};

/* Step reports, by trial, step and name: trial 1 up to 8, trial 7 up to 6
 * (the complete trials: K = 8), trial 2 one report past its decision
 * (3), trial 3 up to 2, trial 5 only step 0, trial 8 up to 9 (past K). */
static bo_step_row *steps_make(size_t *n)
{
	static bo_step_row rows[64];
	static const struct {
		int64_t id, upto;
		int from;
	} s[] = {{1, 8, 1}, {2, 3, 1}, {3, 2, 1}, {5, 0, 0}, {7, 6, 1}, {8, 9, 1}};
	size_t i, k = 0;
	int64_t j;
	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		for (j = s[i].from; j <= s[i].upto; j++) {
			rows[k].trial_id = s[i].id;
			rows[k].step = j;
			rows[k].name = (char *)"acc";
			rows[k].value = 0.1 * (double)j;
			k++;
		}
	*n = k;
	return rows;
}

static void test_pruning(void **state)
{
	char text[1024];
	bo_study *s;
	made m;
	bo_rungs r;
	bo_step_row *steps;
	size_t nsteps;
	(void)state;
	snprintf(text, sizeof text, PRUNER, "median");
	s = parse(text);
	make(&m, PRUNED_TRIALS, sizeof PRUNED_TRIALS / sizeof PRUNED_TRIALS[0]);
	steps = steps_make(&nsteps);
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, NULL, 0, steps, nsteps), 0);
	assert_false(r.has_fidelity);
	assert_true(r.has_pruner);
	assert_string_equal(r.pruner, "median");
	assert_int_equal(r.npruned, 5);
	assert_int_equal(r.ncomplete, 2);
	assert_int_equal(r.nfailed, 1);
	assert_true(near(r.spent_pruned, 1.0 + 2.0 + 0.5 + 2.0));   /* the NaN cost left out */
	assert_true(near(r.spent_complete, 7.0));
	assert_true(near(r.spent_failed, 0.25));
	assert_int_equal(r.full_steps, 8);
	assert_string_equal(r.full_steps_from, "complete trials");
	/* estimated: trial 2 (k = 3) and trial 8 (k = 9 >= K: its own cost) */
	assert_int_equal(r.nestimated, 2);
	assert_true(near(r.est_full_cost, 1.0 * 8 / 3 + 2.0));
	assert_true(near(r.est_saved, 1.0 * 8 / 3 - 1.0));
	assert_int_equal(r.pruned[0].id, 2);
	assert_int_equal(r.pruned[0].step, 2);
	assert_int_equal(r.pruned[0].steps_done, 3);
	assert_string_equal(r.pruned[0].rule, "median");
	assert_string_equal(r.pruned[0].detail, "0.1 is below the median 0.4");
	assert_true(isnan(r.pruned[1].full_cost));                    /* trial 3: no cost */
	assert_int_equal(r.pruned[2].id, 4);                         /* "pruned in Optuna" */
	assert_int_equal(r.pruned[2].step, -1);
	assert_int_equal(r.pruned[2].steps_done, -1);
	assert_string_equal(r.pruned[2].rule, "");
	assert_null(r.pruned[2].detail);
	assert_true(isnan(r.pruned[2].full_cost));
	assert_int_equal(r.pruned[3].steps_done, 0);                  /* step 0: not estimated */
	assert_true(isnan(r.pruned[3].full_cost));
	assert_null(r.pruned[4].detail);                             /* no ": figures" */
	assert_true(near(r.pruned[4].full_cost, 2.0));
	bo__rungs_clear(&r);

	/* without step reports: no full length, no estimate */
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, NULL, 0, NULL, 0), 0);
	assert_int_equal(r.full_steps, 0);
	assert_null(r.full_steps_from);
	assert_int_equal(r.nestimated, 0);
	bo__rungs_clear(&r);
	bo_study_free(s);

	/* the pruner's max_step is the full length */
	snprintf(text, sizeof text, PRUNER, "{cost: {max_step: 20}}");
	s = parse(text);
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, NULL, 0, steps, nsteps), 0);
	assert_string_equal(r.pruner, "cost");
	assert_int_equal(r.full_steps, 20);
	assert_string_equal(r.full_steps_from, "max_step");
	assert_true(near(r.est_full_cost, 1.0 * 20 / 3 + 2.0 * 20 / 9));
	assert_true(near(r.est_saved, 1.0 * 20 / 3 - 1.0 + 2.0 * 20 / 9 - 2.0));
	bo__rungs_clear(&r);
	bo_study_free(s);
}

static void test_neither(void **state)
{
	static const char plain[] = "name: plain\nspace:\n  x: {float: [0, 1]}\nmetrics:\n  acc: {maximize: true}\n"
				    "objectives: [acc]\nevaluator:\n  command: [\"true\"]\n";
	bo_study *s = parse(plain);
	made m;
	bo_rungs r;
	(void)state;
	make(&m, PRUNED_TRIALS, sizeof PRUNED_TRIALS / sizeof PRUNED_TRIALS[0]);
	assert_int_equal(bo__rungs_summarize(&r, s, m.t, m.n, NULL, 0, NULL, 0), 0);
	assert_false(r.has_fidelity);
	assert_false(r.has_pruner);
	assert_null(r.pruned);
	bo__rungs_clear(&r);
	bo__rungs_clear(NULL);
	bo_study_free(s);
}

static void test_parse_reason(void **state)
{
	int64_t step;
	char rule[8];
	int at;
	const char *r = "pruned at step 12 by the hyperband rule: 0.3 is not in the top 1 of 3";
	(void)state;
	assert_int_equal(bo__rungs_parse_reason(r, &step, rule, sizeof rule, &at), 1);
	assert_int_equal(step, 12);
	assert_string_equal(rule, "hyperba");   /* cut to the buffer */
	assert_string_equal(r + at, "0.3 is not in the top 1 of 3");
	assert_int_equal(bo__rungs_parse_reason("pruned at step 3 by the asha rule", &step, rule, sizeof rule, &at), 1);
	assert_int_equal(step, 3);
	assert_int_equal(at, -1);
	assert_int_equal(bo__rungs_parse_reason("pruned in Optuna", &step, rule, sizeof rule, &at), 0);
	assert_int_equal(step, -1);
	assert_string_equal(rule, "");
	assert_int_equal(bo__rungs_parse_reason("pruned at step x by the asha rule", &step, rule, sizeof rule, &at), 0);
	assert_int_equal(bo__rungs_parse_reason("pruned at step 3 by the  rule", &step, rule, sizeof rule, &at), 0);
	assert_int_equal(bo__rungs_parse_reason("pruned at step 3 by the rule", &step, rule, sizeof rule, &at), 0);
	assert_int_equal(bo__rungs_parse_reason(NULL, &step, rule, sizeof rule, &at), 0);
}

/* Every allocation failing in turn: BO_ENOMEM and nothing held, or the
 * same figures as without failures. */
static void test_alloc_torture(void **state)
{
	char text[1024];
	bo_study *s;
	made m;
	bo_rungs r;
	bo_step_row *steps;
	size_t nsteps, k, failures = 0;
	int rc = -1;
	(void)state;
	snprintf(text, sizeof text, PRUNER, "median");
	s = parse(text);
	make(&m, PRUNED_TRIALS, sizeof PRUNED_TRIALS / sizeof PRUNED_TRIALS[0]);
	steps = steps_make(&nsteps);
	for (k = 1; k < 1000; k++) {
		bo__alloc_fail_at(k);
		rc = bo__rungs_summarize(&r, s, m.t, m.n, NULL, 0, steps, nsteps);
		bo__alloc_fail_at(0);
		if (rc == 0) {
			assert_int_equal(r.npruned, 5);
			assert_true(near(r.est_saved, 1.0 * 8 / 3 - 1.0));
			bo__rungs_clear(&r);
			break;
		}
		assert_int_equal(rc, BO_ENOMEM);
		assert_null(r.pruned);
		assert_int_equal(r.npruned, 0);
		failures++;
	}
	assert_int_equal(rc, 0);
	assert_true(failures >= 3);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fidelity),
		cmocka_unit_test(test_pruning),
		cmocka_unit_test(test_neither),
		cmocka_unit_test(test_parse_reason),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
