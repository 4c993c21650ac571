/*
 * tests/unit/test_reserve.c - the reservation rule (runner/reserve.c) and
 * the cost model behind it (samplers/costmodel.c), on scripted cost
 * sequences: the runner's loop reduced to money (launch while the
 * reservation fits, cap by the derived rule, a trial charged at most its
 * cap, finished in launch order), run with real samplers on a study parsed
 * from YAML. The promise: >= 99% of the money used on varying-cost
 * problems, never more than 100%, including adversarial sequences (a
 * trial far dearer than predicted, costs rising over time, one
 * configuration much dearer than the rest). The old rule (1.25 times the
 * costliest trial so far) runs the same loop and must fall short, so the
 * first assertion can fail.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "runner/reserve.h"
#include "samplers/costmodel.h"
#include "samplers/sampler.h"

#define MONEY 30.0
#define MAXPAR 4
#define MAXTRIALS 5000

static const char STUDY[] =
	"name: reserve-test\n"
	"seed: 5\n"
	"space:\n"
	"  x1: {float: [0, 1]}\n"
	"  x2: {float: [0, 1]}\n"
	"  kind: {choice: [small, big, huge]}\n"
	"prices:\n"
	"  cpu_hours: 1.0\n"
	"metrics:\n"
	"  y: {minimize: true}\n"
	"objectives: [y]\n"
	"evaluator:\n"
	"  command: [\"true\"]\n"
	"budget:\n"
	"  money: 30\n";

enum { SC_VARYING, SC_SURPRISE, SC_RISING, SC_ONE_DEAR, NSCEN };
static const char *const SCEN_NAME[] = {"varying", "surprise", "rising", "one-dear"};

/* What trial number with configuration x costs in scenario sc. Costs vary
 * about 100x over the space (x1 and kind), as ML training costs do. */
static double cost_of(int sc, const double *x, int64_t number)
{
	double c = 0.02385 * exp(3.0 * x[0]) * (x[2] == 1 ? 5.0 : 1.0);
	switch (sc) {
	case SC_SURPRISE:
		/* every ninth trial costs 40 times what its configuration does */
		if (number % 9 == 4)
			c *= 40.0;
		break;
	case SC_RISING:
		c *= 1.0 + (double)number / 25.0;
		break;
	case SC_ONE_DEAR:
		if (x[2] == 2)
			c *= 200.0;
		break;
	default:
		break;
	}
	return c;
}

typedef struct sim_result {
	double spent, max_over;   /* max_over: most spend + reservations passed the budget by */
	int64_t launched, replaced;
} sim_result;

typedef struct running {
	double x[3], cap, reserve;
	int64_t number;
} running;

static bo_study *parse_text(const char *text)
{
	bo_study *s = NULL;
	if (bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL) != 0)
		fail_msg("study does not parse: %s", bo_error_last());
	return s;
}

static bo_study *parse(void)
{
	return parse_text(STUDY);
}

/* The runner's launch loop without processes. old_rule: reserve 1.25x
 * the costliest trial so far (the rule before the cost model). */
static sim_result simulate(const bo_study *s, const char *sampler, int sc, int parallel,
			   int old_rule)
{
	bo_sampler *sm = NULL;
	running run[MAXPAR];
	int nrun = 0, held = 0, stop = 0;
	double heldx[3], spent = 0, reserved = 0, max_cost = 0;
	int64_t number = 0, nfinished = 0;
	sim_result res;
	memset(&res, 0, sizeof res);
	assert_int_equal(bo__sampler_new(&sm, s, sampler, 7), 0);
	for (;;) {
		while (!stop && nrun < parallel) {
			bo_reserve_in in;
			bo_reserve_out ro;
			char model[200];
			double x[3];
			int v;
			if (nfinished == 0 && nrun > 0)
				break;   /* the first trial runs alone */
			if (held) {
				memcpy(x, heldx, sizeof x);
			} else {
				assert_int_equal(bo__sampler_ask(sm, number, x), 0);
				memcpy(heldx, x, sizeof x);
			}
			memset(&in, 0, sizeof in);
			in.budget = &s->budget;
			in.left = s->budget.money - spent - reserved;
			in.slots = parallel - nrun;
			in.running = nrun;
			in.nfinished = nfinished;
			in.max_cost = max_cost;
			in.predicted = NAN;
			in.model = model;
			in.model_size = sizeof model;
			if (old_rule)
				v = bo__reserve_for(&in, &ro);
			else
				v = bo__reserve_proposal(sm, &in, number, x, s->nparams, &ro);
			assert_true(v >= 0);
			if (v != BO_RESERVE_OK) {
				held = 1;
				if (nrun == 0)
					stop = 1;
				break;
			}
			held = 0;
			if (memcmp(x, heldx, sizeof x))
				res.replaced++;
			assert_true(ro.reserve >= ro.need - 1e-12);
			assert_true(isfinite(ro.cap) && ro.cap == ro.reserve);
			assert_false(ro.cap > s->budget.trial_money);
			memcpy(run[nrun].x, x, sizeof x);
			run[nrun].cap = ro.cap;
			run[nrun].reserve = ro.reserve;
			run[nrun].number = number++;
			nrun++;
			reserved += ro.reserve;
			res.launched++;
			/* The promise behind "never over": spend + every running
			 * trial's cap fits, summed again from scratch. */
			{
				double held_sum = 0;
				int k;
				for (k = 0; k < nrun; k++)
					held_sum += run[k].cap;
				res.max_over = fmax(res.max_over, spent + held_sum - s->budget.money);
			}
		}
		if (nrun == 0)
			break;
		{
			/* The oldest finishes, charged at most its cap. */
			running t = run[0];
			double price = cost_of(sc, t.x, t.number), charge = price < t.cap ? price : t.cap;
			double m = (t.x[0] - 0.3) * (t.x[0] - 0.3) + t.x[1];
			memmove(run, run + 1, (size_t)(nrun - 1) * sizeof *run);
			nrun--;
			spent += charge;
			reserved -= t.reserve;
			max_cost = fmax(max_cost, price);
			nfinished++;
			assert_int_equal(bo__sampler_tell_metrics(sm, t.number, t.x, BO_TRIAL_COMPLETE, &m, charge), 0);
		}
		assert_true(number < MAXTRIALS);
	}
	bo__sampler_free(sm);
	res.spent = spent;
	return res;
}

static void check(const bo_study *s, const char *sampler, int sc, int parallel)
{
	sim_result n = simulate(s, sampler, sc, parallel, 0);
	print_message("%-8s %-9s parallel %d: %.4f of the money used in %lld trials (%lld replaced by cheaper ones)\n",
		      sampler, SCEN_NAME[sc], parallel, n.spent / MONEY, (long long)n.launched,
		      (long long)n.replaced);
	assert_true(n.spent <= MONEY * (1 + 1e-12));
	assert_true(n.max_over <= MONEY * 1e-12);
	assert_true(n.spent >= 0.99 * MONEY);
}

/* The old rule leaves money unspent on the same problem: the reason for
 * the new one, and the proof the simulation can fail. */
static void test_old_rule_falls_short(void **state)
{
	bo_study *s = parse();
	sim_result o = simulate(s, "random", SC_VARYING, 1, 1);
	sim_result n = simulate(s, "random", SC_VARYING, 1, 0);
	(void)state;
	print_message("old rule: %.4f used; new rule: %.4f\n", o.spent / MONEY, n.spent / MONEY);
	assert_true(o.spent <= MONEY);
	assert_true(o.spent < 0.99 * MONEY);
	assert_true(n.spent >= 0.99 * MONEY);
	bo_study_free(s);
}

static void test_scenarios_random(void **state)
{
	bo_study *s = parse();
	int sc, p;
	(void)state;
	for (sc = 0; sc < NSCEN; sc++)
		for (p = 1; p <= 3; p += 2)
			check(s, "random", sc, p);
	bo_study_free(s);
}

static void test_scenarios_tpe(void **state)
{
	bo_study *s = parse();
	int sc;
	(void)state;
	for (sc = 0; sc < NSCEN; sc++)
		check(s, "tpe", sc, 2);
	bo_study_free(s);
}

/* With per_trial.money the reservation is still the prediction (under
 * the cap), so the end of the budget is spent too; no cap passes it. */
static void test_scenarios_trial_cap(void **state)
{
	char text[sizeof STUDY + 64];
	bo_study *s;
	int sc, p;
	(void)state;
	snprintf(text, sizeof text, "%s  per_trial: {money: 1.5}\n", STUDY);
	s = parse_text(text);
	assert_true(s->budget.trial_money == 1.5);
	for (sc = 0; sc < NSCEN; sc++)
		for (p = 1; p <= 3; p += 2)
			check(s, "random", sc, p);
	bo_study_free(s);
}

/* The rule without history or money: the first trial runs alone only
 * when money is at stake; with a trial budget only, trials run in
 * parallel from the start (no reservation to hold). */
static void test_first_trials(void **state)
{
	bo_budget b;
	bo_reserve_in in;
	bo_reserve_out ro;
	(void)state;
	memset(&b, 0, sizeof b);
	b.money = b.time_s = b.trial_money = b.trial_time_s = NAN;
	memset(&in, 0, sizeof in);
	in.budget = &b;
	in.left = NAN;
	in.slots = 2;
	in.running = 1;
	in.predicted = NAN;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_OK);
	assert_true(isnan(ro.cap));
	b.money = 7.385;
	in.left = 7.385;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_ALONE);
	in.running = 0;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_OK);
	assert_true(ro.need == 7.385 && ro.cap == 7.385);
	/* a user cap decides before any history */
	b.trial_money = 2.385;
	in.running = 1;
	in.left = 5.0;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_OK);
	assert_true(ro.need == 2.385 && ro.cap == 2.385);
	in.left = 2.0;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_DEAR);
	/* a prediction under the cap: at the end of the budget the cap is
	 * the share of what is left, below per_trial.money */
	in.predicted = 1.0;
	in.left = 3.0;
	assert_int_equal(bo__reserve_for(&in, &ro), BO_RESERVE_OK);
	assert_true(ro.need == 1.0 && ro.cap == 1.5 && ro.reserve == ro.cap);
}

/* The cost model on its own: nothing before enough costs, an upper
 * quantile above the median of what it learnt, cheaper() meets its limit
 * and repeats for the same seed and number. */
static void test_costmodel(void **state)
{
	bo_study *s = parse();
	bo_costmodel *m = NULL;
	double x[3] = {0.2385, 0.5, 0}, up = 0, alt[3], alt2[3], up2;
	int i, over = 0;
	(void)state;
	assert_int_equal(bo__costmodel_new(&m, s), 0);
	assert_int_equal(bo__costmodel_predict(m, x, 0.9, &up), BO_DONE);
	assert_true(isnan(up));
	for (i = 0; i < 200; i++) {
		double xi[3];
		xi[0] = fmod(0.618033988749895 * i, 1.0);
		xi[1] = fmod(0.7548776662 * i, 1.0);
		xi[2] = (double)(i % 2);
		if (i >= 100) {
			double c = cost_of(SC_VARYING, xi, i);
			assert_int_equal(bo__costmodel_predict(m, xi, 0.9, &up), 0);
			over += c > up;
		}
		assert_int_equal(bo__costmodel_add(m, xi, cost_of(SC_VARYING, xi, i)), 0);
	}
	/* Calibrated: about one cost in ten above the 90% bound, not half. */
	print_message("costs above the 90%% bound: %d of 100\n", over);
	assert_true(over <= 25);
	/* Free or unknown costs teach nothing. */
	assert_int_equal(bo__costmodel_add(m, x, 0.0), 0);
	assert_int_equal(bo__costmodel_add(m, x, NAN), 0);
	assert_int_equal((int)bo__costmodel_count(m), 200);
	x[0] = 0.95;
	x[2] = 1;
	assert_int_equal(bo__costmodel_predict(m, x, 0.9, &up), 0);
	assert_true(up > cost_of(SC_VARYING, x, 0) * 0.5);
	assert_int_equal(bo__costmodel_cheaper(m, 9, 42, x, 0.9, 0.05, alt, &up), 0);
	assert_true(up <= 0.05);
	assert_true(cost_of(SC_VARYING, alt, 0) < cost_of(SC_VARYING, x, 0));
	assert_int_equal(bo__costmodel_cheaper(m, 9, 42, x, 0.9, 0.05, alt2, &up2), 0);
	assert_memory_equal(alt, alt2, sizeof alt);
	/* Nothing costs less than the cheapest corner: none fits. */
	assert_int_equal(bo__costmodel_cheaper(m, 9, 42, x, 0.9, 1e-6, alt, &up), BO_DONE);
	bo__costmodel_free(m);
	bo_study_free(s);
}

/* A running trial holds what is left of its reservation plus what it used:
 * its reservation while it costs less, its live cost once past it. */
static void test_held(void **state)
{
	(void)state;
	assert_true(bo__reserve_held(2.385, NAN) == 2.385);
	assert_true(bo__reserve_held(2.385, 0.0) == 2.385);
	assert_true(fabs(bo__reserve_held(2.385, 1.2) - 2.385) < 1e-12);
	assert_true(bo__reserve_held(2.385, 2.385) == 2.385);
	assert_true(bo__reserve_held(2.385, 3.7) == 3.7);       /* uncapped, past it */
	assert_true(bo__reserve_held(0.0, 0.25) == 0.25);
	assert_true(bo__reserve_held(NAN, 0.25) == 0.25);
	assert_true(bo__reserve_held(NAN, NAN) == 0.0);
	assert_true(bo__reserve_held(1.5, -1.0) == 1.5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_rule_falls_short),
		cmocka_unit_test(test_scenarios_random),
		cmocka_unit_test(test_scenarios_tpe),
		cmocka_unit_test(test_scenarios_trial_cap),
		cmocka_unit_test(test_first_trials),
		cmocka_unit_test(test_costmodel),
		cmocka_unit_test(test_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
