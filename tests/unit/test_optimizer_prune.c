/*
 * tests/unit/test_optimizer_prune.c - pruning through the ask/tell API
 * (bo_trial_report, bo_trial_should_prune, BO_TELL_PRUNED): scripted
 * learning curves, one per trial number, are reported step by step; the
 * trials the API stops, and the step it stops them at, are compared with
 * an independent computation of the rule over the same curves (the median
 * rule by sorting, ASHA's promotions by counting better values at each
 * rung). The ledger is read back through the storage layer: each pruned
 * trial recorded pruned with its step and rule, charged once what it
 * used, with its "prune" event and its steps; a new optimizer on the
 * ledger of a process that died mid-trial rebuilds the rungs from
 * trial_steps; the per-trial money cap answers should_prune.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "budgetopt/optimizer.h"
#include "budgetopt/study.h"
#include "core/trial.h"
#include "storage/storage.h"
#include "tmp_ledger.h"

#define NTRIALS 16
#define NSTEPS 9
#define HOURS_PER_STEP 0.125    /* cpu_hours added per step */
#define P_CPU 2.0               /* the study's price of a cpu hour */
#define MIN_TRIALS 3
#define ETA 3

static const char BASE[] =
	"name: prune-api\n"
	"seed: 5\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"prices:\n"
	"  cpu_hours: 2.0\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"objectives: [acc]\n"
	"budget:\n"
	"  trials: 40\n"
	"  money: 1000\n"
	"  per_trial: {money: %s}\n"
	"evaluator:\n"
	"  command: [\"/bin/true\"]\n"
	"sampler: random\n"
	"pruner: %s\n";

static char ledger[512];

static bo_study *parse(const char *cap, const char *pruner)
{
	char text[2048];
	bo_study *s = NULL;
	snprintf(text, sizeof text, BASE, cap, pruner);
	if (bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL) != 0)
		fail_msg("study does not parse: %s", bo_error_last());
	return s;
}

static int setup(void **state)
{
	(void)state;
	tmp_ledger(ledger, sizeof ledger, "optimizer_prune");
	return 0;
}

static bo_optimizer *open_opt(const bo_study *s, int with_ledger)
{
	bo_optimizer_options o = BO_OPTIMIZER_OPTIONS_INIT;
	bo_optimizer *opt = NULL;
	o.storage = with_ledger ? ledger : NULL;
	if (bo_optimizer_new(&opt, s, &o) != 0)
		fail_msg("bo_optimizer_new: %s", bo_error_last());
	return opt;
}

/* Trial i's value at step k (1..NSTEPS): a saturating curve with a
 * plateau and a rate of its own, so curves cross (awkward numbers, no
 * ties). */
static double curve(int64_t i, int64_t k)
{
	double a = 0.55 + 0.4 * fmod(0.618034 * (double)(i + 1) * 7.3, 1.0);
	double r = 0.15 + 0.7 * fmod(0.414214 * (double)(i + 3) * 5.1, 1.0);
	return a * (1.0 - exp(-r * (double)k)) + 0.001 * (double)i;
}

/* Runs the next trial through the API: reports every step (with the
 * usage of that step added first) until should_prune says stop, then tells
 * it pruned; else tells it complete with its last value. *stop: the step
 * it was stopped at, or 0 when it ran to the end. Returns 0, or -1 with
 * what went wrong in *err (no assertion: a forked child runs it too). */
static int drive(bo_optimizer *o, int64_t *number, int64_t *stop, const char **err)
{
	static const char *const names[] = {"acc"};
	bo_trial *t = NULL;
	int64_t k;
	char why[600];
	*stop = 0;
	if (bo_optimizer_ask(o, &t) != 0)
		return *err = "ask", -1;
	*number = bo_trial_number(t);
	for (k = 1; k <= NSTEPS; k++) {
		double v = curve(*number, k);
		char head[100];
		if (bo_trial_add_usage(t, "cpu_hours", HOURS_PER_STEP) != 0 ||
		    bo_trial_report(t, k, names, &v, 1) != 0)
			return *err = "report", -1;
		if (bo_trial_should_prune(t, why, sizeof why) != 1)
			continue;
		snprintf(head, sizeof head, "pruned at step %lld by the ", (long long)k);
		if (strncmp(why, head, strlen(head)))
			return *err = "the reason does not name the step", -1;
		if (bo_optimizer_tell(o, t, BO_TELL_PRUNED, NULL) != 0)
			return *err = "tell pruned", -1;
		*stop = k;
		return 0;
	}
	if (bo_trial_set_metric(t, "acc", curve(*number, NSTEPS)) != 0 ||
	    bo_optimizer_tell(o, t, BO_TELL_COMPLETE, NULL) != 0)
		return *err = "tell complete", -1;
	return 0;
}

static int64_t run_trial(bo_optimizer *o, int64_t *number)
{
	const char *err = "";
	int64_t stop;
	if (drive(o, number, &stop, &err) < 0)
		fail_msg("%s: %s", err, bo_error_last());
	return stop;
}

/* ---- the references ------------------------------------------------- */

static int cmp_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median rule over trials 0..n-1 run one after another: where trial i
 * stops (0: never). A trial stops at the first step whose best value so
 * far is below the median of what the complete trials before it reported
 * at that step, once MIN_TRIALS did. */
static void ref_median(int64_t n, int64_t *stop)
{
	int64_t i, j, k;
	for (i = 0; i < n; i++) {
		double best = -INFINITY;
		stop[i] = 0;
		for (k = 1; k <= NSTEPS && !stop[i]; k++) {
			double v[NTRIALS], med;
			size_t m = 0;
			best = fmax(best, curve(i, k));
			for (j = 0; j < i; j++)
				if (stop[j] == 0)
					v[m++] = curve(j, k);
			if (m < MIN_TRIALS)
				continue;
			qsort(v, m, sizeof *v, cmp_asc);
			med = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
			if (best < med)
				stop[i] = k;
		}
	}
}

/* ASHA (min_step 1, ETA, max_step NSTEPS) over trials first..n-1, in order:
 * rungs at steps 1, 3 (9 is max_step: no decision). A trial reaching a
 * rung records its value there and goes on while fewer than max(1,
 * floor(count / ETA)) of the values recorded there (its own included) are
 * better. reached[i] (may be NULL): the last step trial i reported, when
 * it stopped reporting early without being pruned (0: ran its course). */
static void ref_asha(int64_t first, int64_t n, const int64_t *reached, int64_t *stop)
{
	static const int64_t rung_step[] = {1, 3};
	double rec[2][2 * NTRIALS];
	size_t nrec[2] = {0, 0};
	int64_t i;
	int r;
	for (i = first; i < n; i++) {
		int64_t last = reached && reached[i] ? reached[i] : NSTEPS;
		stop[i] = 0;
		for (r = 0; r < 2 && !stop[i] && rung_step[r] <= last; r++) {
			double x = curve(i, rung_step[r]);
			size_t better = 0, q, keep;
			rec[r][nrec[r]++] = x;
			for (q = 0; q < nrec[r]; q++)
				better += rec[r][q] > x;
			keep = nrec[r] / ETA ? nrec[r] / ETA : 1;
			if (better >= keep)
				stop[i] = rung_step[r];
		}
	}
}

/* ---- ledger reads ------------------------------------------------------ */

static bo_storage *open_ledger(void)
{
	bo_storage *st = NULL;
	assert_int_equal(bo__storage_open_ex(&st, ledger, NULL), 0);
	return st;
}

/* Counts events of kind for trial id (0: any trial), keeping the last
 * one's detail in detail (may be NULL). */
static size_t count_events(bo_event *e, size_t n, const char *kind, int64_t id, char *detail,
			   size_t size)
{
	size_t i, c = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].kind, kind) || (id && e[i].trial_id != id))
			continue;
		c++;
		if (detail)
			snprintf(detail, size, "%s", e[i].detail ? e[i].detail : "");
	}
	return c;
}

/* ---- tests -------------------------------------------------------------- */

static void test_median_as_the_rule_says(void **state)
{
	bo_study *s = parse("50", "{median: {min_trials: 3}}");
	bo_optimizer *o = open_opt(s, 1);
	int64_t got[NTRIALS], want[NTRIALS], number, i;
	double spent = 0.0;
	size_t n, ne, nsteps, npruned = 0, ncomplete = 0, steps_want = 0;
	bo_storage *st;
	bo_trial_rec *t = NULL;
	bo_event *e = NULL;
	bo_step_row *rows = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	(void)state;

	for (i = 0; i < NTRIALS; i++) {
		got[i] = run_trial(o, &number);
		assert_int_equal(number, i);
	}
	ref_median(NTRIALS, want);
	for (i = 0; i < NTRIALS; i++) {
		int64_t k = want[i] ? want[i] : NSTEPS;
		assert_int_equal(got[i], want[i]);
		npruned += want[i] != 0;
		ncomplete += want[i] == 0;
		steps_want += (size_t)k;
		spent += (double)k * HOURS_PER_STEP * P_CPU;
	}
	/* the curves must exercise both outcomes */
	assert_true(npruned >= 3);
	assert_true(ncomplete >= MIN_TRIALS + 1);
	assert_true(fabs(bo_optimizer_spent(o) - spent) < 1e-9);
	bo_optimizer_free(o);

	st = open_ledger();
	assert_int_equal(st->ops->trials(st, &q, &t, &n), 0);
	assert_int_equal(st->ops->events(st, &e, &ne), 0);
	assert_int_equal(st->ops->steps(st, &rows, &nsteps), 0);
	assert_int_equal(n, NTRIALS);
	assert_int_equal(nsteps, steps_want);   /* one "acc" per step reported */
	{
		double sum = 0.0;
		for (i = 0; i < NTRIALS; i++) {
			char head[100], detail[600];
			int64_t k = want[i] ? want[i] : NSTEPS;
			sum += t[i].cost;
			/* charged once, what it used up to where it stopped */
			assert_true(fabs(t[i].cost - (double)k * HOURS_PER_STEP * P_CPU) < 1e-9);
			assert_true(fabs(bo__kv_get(t[i].usage, t[i].nusage, "cpu_hours") -
					 (double)k * HOURS_PER_STEP) < 1e-12);
			if (!want[i]) {
				assert_int_equal(t[i].state, BO_TRIAL_COMPLETE);
				assert_int_equal(count_events(e, ne, "prune", t[i].id, NULL, 0), 0);
				continue;
			}
			assert_int_equal(t[i].state, BO_TRIAL_PRUNED);
			snprintf(head, sizeof head, "pruned at step %lld by the median rule: best value so far",
				 (long long)want[i]);
			assert_non_null(t[i].reason);
			assert_memory_equal(t[i].reason, head, strlen(head));
			assert_int_equal(count_events(e, ne, "prune", t[i].id, detail, sizeof detail), 1);
			assert_non_null(strstr(detail, head));
		}
		assert_true(fabs(sum - spent) < 1e-9);
		assert_int_equal(count_events(e, ne, "prune", 0, NULL, 0), npruned);
	}
	bo__trial_rec_free_array(t, n);
	bo__event_free_array(e, ne);
	bo__step_rows_free(rows, nsteps);
	st->ops->close(st);
	bo_study_free(s);
}

static void test_asha_promotions(void **state)
{
	bo_study *s = parse("50", "{asha: {min_step: 1, eta: 3, max_step: 9}}");
	bo_optimizer *o = open_opt(s, 0)   /* in memory */;
	int64_t got[NTRIALS], want[NTRIALS], number, i;
	int at1 = 0, at3 = 0;
	(void)state;
	for (i = 0; i < NTRIALS; i++)
		got[i] = run_trial(o, &number);
	ref_asha(0, NTRIALS, NULL, want);
	for (i = 0; i < NTRIALS; i++) {
		assert_int_equal(got[i], want[i]);
		at1 += want[i] == 1;
		at3 += want[i] == 3;
	}
	assert_true(at1 > 0 && at3 > 0);
	bo_optimizer_free(o);
	bo_study_free(s);
}

/* A process asks trials 0..5 and reports trial 6 up to step 2, then dies
 * without telling it; a new optimizer on the ledger fails it as orphaned
 * (charged the usage it had reported),
 * rebuilds ASHA's rungs from trial_steps (trial 6's value at rung 1
 * included) and prunes the next trials as one process would have. */
static void test_resume_rebuilds_rungs(void **state)
{
	const char *pruner = "{asha: {min_step: 1, eta: 3, max_step: 9}}";
	int64_t got[NTRIALS], want[NTRIALS], fresh[NTRIALS], reached[NTRIALS] = {0}, number, i;
	int status, differs = 0;
	double spent;
	bo_optimizer *o;
	bo_study *s;
	pid_t pid;
	(void)state;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const names[] = {"acc"};
		const char *err = "";
		bo_trial *t = NULL;
		int64_t k, stop;
		bo_optimizer_options opt = BO_OPTIMIZER_OPTIONS_INIT;
		char text[2048];
		snprintf(text, sizeof text, BASE, "50", pruner);
		opt.storage = ledger;
		if (bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL) != 0 ||
		    bo_optimizer_new(&o, s, &opt) != 0)
			_exit(2);
		for (i = 0; i < 6; i++)
			if (drive(o, &number, &stop, &err) < 0)
				_exit(3);
		if (bo_optimizer_ask(o, &t) != 0 || bo_trial_number(t) != 6)
			_exit(4);
		for (k = 1; k <= 2; k++) {
			double v = curve(6, k);
			if (bo_trial_add_usage(t, "cpu_hours", HOURS_PER_STEP) != 0 ||
			    bo_trial_report(t, k, names, &v, 1) != 0)
				_exit(5);
		}
		_exit(0);   /* dies holding trial 6: nothing freed, nothing told */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	reached[6] = 2;
	ref_asha(0, NTRIALS, reached, want);
	s = parse("50", pruner);
	o = open_opt(s, 1);
	assert_int_equal(bo_optimizer_ntold(o), 7);   /* trial 6 failed as orphaned */
	/* charged the usage it had reported when its process died */
	spent = 2 * HOURS_PER_STEP * P_CPU;
	for (i = 0; i < 6; i++)
		spent += (double)(want[i] ? want[i] : NSTEPS) * HOURS_PER_STEP * P_CPU;
	assert_true(fabs(bo_optimizer_spent(o) - spent) < 1e-9);
	for (i = 7; i < NTRIALS; i++) {
		got[i] = run_trial(o, &number);
		assert_int_equal(number, i);
	}
	bo_optimizer_free(o);
	ref_asha(7, NTRIALS, NULL, fresh);
	for (i = 7; i < NTRIALS; i++) {
		assert_int_equal(got[i], want[i]);
		differs |= fresh[i] != want[i];
	}
	/* the curves make the history matter: rungs starting empty would
	 * decide otherwise */
	assert_true(differs);
	bo_study_free(s);
}

/* The per-trial money cap answers should_prune; the trial is recorded
 * failed at its cap, as the runner records a trial it stops there. */
static void test_cap_stops(void **state)
{
	static const char *const names[] = {"acc"};
	bo_study *s = parse("0.9", "none");
	bo_optimizer *o = open_opt(s, 1);
	bo_trial *t = NULL;
	char why[600];
	double cost = -1, cap;
	int64_t k, stopped = 0;
	size_t n, ne;
	bo_storage *st;
	bo_trial_rec *rec = NULL;
	bo_event *e = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	(void)state;

	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	cap = bo_trial_money_cap(t);
	assert_true(fabs(cap - 0.9) < 1e-15);
	for (k = 1; k <= NSTEPS; k++) {
		double v = curve(0, k);
		assert_int_equal(bo_trial_add_usage(t, "cpu_hours", HOURS_PER_STEP), 0);
		assert_int_equal(bo_trial_report(t, k, names, &v, 1), 0);
		if (bo_trial_should_prune(t, why, sizeof why)) {
			stopped = k;
			break;
		}
		/* it goes on only while its cost so far is under the cap */
		assert_true((double)k * HOURS_PER_STEP * P_CPU < cap);
	}
	/* the first step whose cost so far reaches the cap */
	assert_int_equal(stopped, (int64_t)ceil(cap / (HOURS_PER_STEP * P_CPU)));
	assert_non_null(strstr(why, "reached the per-trial money cap (0.9 "));
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_PRUNED, &cost), 0);
	assert_true(fabs(cost - cap) < 1e-12);   /* priced 1.0, charged its cap */
	bo_optimizer_free(o);

	st = open_ledger();
	assert_int_equal(st->ops->trials(st, &q, &rec, &n), 0);
	assert_int_equal(st->ops->events(st, &e, &ne), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rec[0].state, BO_TRIAL_FAILED);
	assert_non_null(rec[0].reason);
	assert_non_null(strstr(rec[0].reason, "reached the per-trial money cap"));
	assert_true(fabs(rec[0].cost - cap) < 1e-12);
	assert_int_equal(count_events(e, ne, "cap", rec[0].id, NULL, 0), 1);
	assert_int_equal(count_events(e, ne, "cap_clamped", rec[0].id, NULL, 0), 1);
	assert_int_equal(count_events(e, ne, "prune", 0, NULL, 0), 0);
	bo__trial_rec_free_array(rec, n);
	bo__event_free_array(e, ne);
	st->ops->close(st);
	bo_study_free(s);
}

/* A trial the caller stops on its own is recorded pruned by "the caller
 * rule" at its last step; bad reports record nothing. */
static void test_caller_prunes_and_bad_reports(void **state)
{
	static const char *const names[] = {"acc"};
	static const char *const empty[] = {""};
	bo_study *s = parse("50", "{median: {min_trials: 3}}");
	bo_optimizer *o = open_opt(s, 1);
	bo_trial *t = NULL;
	double v = 0.4125, inf = INFINITY;
	char why[100] = "x";
	size_t n, nsteps;
	bo_storage *st;
	bo_trial_rec *rec = NULL;
	bo_step_row *rows = NULL;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	(void)state;

	assert_int_equal(bo_optimizer_ask(o, &t), 0);
	assert_int_equal(bo_trial_report(t, -1, names, &v, 1), BO_EINVAL);
	assert_int_equal(bo_trial_report(t, 1, names, &inf, 1), BO_EINVAL);
	assert_int_equal(bo_trial_report(t, 1, empty, &v, 1), BO_EINVAL);
	assert_int_equal(bo_trial_report(t, 1, NULL, &v, 1), BO_EMISUSE);
	assert_int_equal(bo_trial_report(t, 2, names, &v, 1), 0);
	assert_int_equal(bo_trial_should_prune(t, why, sizeof why), 0);
	assert_string_equal(why, "");
	assert_int_equal(bo_trial_should_prune(NULL, why, sizeof why), BO_EMISUSE);
	assert_int_equal(bo_trial_set_reason(t, "loss diverged"), 0);
	assert_int_equal(bo_optimizer_tell(o, t, BO_TELL_PRUNED, NULL), 0);
	bo_optimizer_free(o);

	st = open_ledger();
	assert_int_equal(st->ops->trials(st, &q, &rec, &n), 0);
	assert_int_equal(st->ops->steps(st, &rows, &nsteps), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nsteps, 1);
	assert_int_equal(rows[0].step, 2);
	assert_int_equal(rec[0].state, BO_TRIAL_PRUNED);
	assert_string_equal(rec[0].reason, "pruned at step 2 by the caller rule: loss diverged");
	bo__trial_rec_free_array(rec, n);
	bo__step_rows_free(rows, nsteps);
	st->ops->close(st);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_median_as_the_rule_says, setup),
		cmocka_unit_test_setup(test_asha_promotions, setup),
		cmocka_unit_test_setup(test_resume_rebuilds_rungs, setup),
		cmocka_unit_test_setup(test_cap_stops, setup),
		cmocka_unit_test_setup(test_caller_prunes_and_bad_reports, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
