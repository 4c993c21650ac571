/*
 * tests/unit/test_safeguards.c - the safeguards of runner/safeguards.c
 * driven by a fake clock: the spend-rate limit waits exactly while the
 * trailing window, the running trials and the next one would pass the
 * rate; alerts fire once per threshold, and not again after a resume
 * (from the events a fake ledger hands back); the anomaly threshold; the
 * most trials per value; and the alert hook: its environment, and
 * arguments that cannot be split or injected.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
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

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "runner/safeguards.h"
#include "storage/storage.h"

/* ---- helpers ---------------------------------------------------------------- */

static bo_study *parse(const char *text)
{
	bo_study *s = NULL;
	bo_diags *d = NULL;
	const char *tmp = getenv("BO_TEST_TMP");
	int rc = bo_study_parse(&s, text, strlen(text), "test.yaml", tmp ? tmp : ".", &d);
	if (rc != 0)
		fprintf(stderr, "parse: %s\n", bo_error_last());
	assert_int_equal(rc, 0);
	bo_diags_free(d);
	return s;
}

/* What the safeguards reported. */
#define MAXREC 64
typedef struct rec {
	size_t n;
	char kind[MAXREC][32];
	char detail[MAXREC][512];
	double amount[MAXREC];
	size_t nnotes;
} rec;

static void rec_event(void *ud, int64_t trial, const char *kind, double amount, const char *detail)
{
	rec *r = ud;
	(void)trial;
	assert_true(r->n < MAXREC);
	snprintf(r->kind[r->n], sizeof r->kind[r->n], "%s", kind);
	snprintf(r->detail[r->n], sizeof r->detail[r->n], "%s", detail);
	r->amount[r->n] = amount;
	r->n++;
}

static void rec_note(void *ud, const char *msg)
{
	rec *r = ud;
	(void)msg;
	r->nnotes++;
}

static size_t count_kind(const rec *r, const char *kind)
{
	size_t i, n = 0;
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->kind[i], kind))
			n++;
	return n;
}

/* A ledger that holds no trials and the events of an earlier run. */
typedef struct fake_storage {
	bo_storage base;
	const rec *events;
} fake_storage;

static int fake_trials(bo_storage *st, const bo_trial_query *q, bo_trial_rec **out, size_t *n)
{
	(void)st;
	(void)q;
	*out = NULL;
	*n = 0;
	return 0;
}

static int fake_events(bo_storage *st, bo_event **out, size_t *n)
{
	const rec *r = ((fake_storage *)st)->events;
	size_t i;
	*out = bo__calloc(r->n + 1, sizeof **out);
	assert_non_null(*out);
	for (i = 0; i < r->n; i++) {
		(*out)[i].kind = bo__strdup(r->kind[i]);
		(*out)[i].detail = bo__strdup(r->detail[i]);
		(*out)[i].amount = r->amount[i];
	}
	*n = r->n;
	return 0;
}

static const bo_storage_ops FAKE_OPS = {.name = "fake", .trials = fake_trials, .events = fake_events};

static const char RATE_STUDY[] =
	"name: rate\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"metrics:\n"
	"  y: {}\n"
	"budget:\n"
	"  money: 10\n"
	"  rate: {money: 0.5, per: 1m}\n"
	"alerts: {at: []}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

/* ---- spend rate ---------------------------------------------------------------- */

static void test_rate_rule(void **state)
{
	bo_study *s = parse(RATE_STUDY);
	const bo_guard *g = &s->guard;
	bo_rate_charge c[2] = {{100.0, 0.2}, {130.0, 0.2}};
	(void)state;
	assert_true(fabs(g->rate_money - 0.5) < 1e-12);
	assert_true(fabs(g->rate_per_s - 60.0) < 1e-12);
	/* a charge counts while now - per < t */
	assert_true(fabs(bo__rate_window_sum(c, 2, 150.0, 60.0) - 0.4) < 1e-12);
	assert_true(fabs(bo__rate_window_sum(c, 2, 159.999, 60.0) - 0.4) < 1e-12);
	assert_true(fabs(bo__rate_window_sum(c, 2, 160.0, 60.0) - 0.2) < 1e-12);
	assert_true(fabs(bo__rate_window_sum(c, 2, 190.0, 60.0)) < 1e-12);
	/* 0.4 + 0.15 passes 0.5: wait; 0.4 + 0.1 fits exactly: launch */
	assert_int_equal(bo__rate_allows(g, 0.4, 0.0, 0, 0.15), 0);
	assert_int_equal(bo__rate_allows(g, 0.4, 0.0, 0, 0.1), 1);
	/* running trials' predictions count */
	assert_int_equal(bo__rate_allows(g, 0.2, 0.2, 1, 0.15), 0);
	assert_int_equal(bo__rate_allows(g, 0.2, 0.1, 1, 0.15), 1);
	/* a trial dearer than the whole rate launches alone, never beside others */
	assert_int_equal(bo__rate_allows(g, 0.0, 0.0, 0, 2.0), 1);
	assert_int_equal(bo__rate_allows(g, 0.0, 0.0, 1, 2.0), 0);
	assert_int_equal(bo__rate_allows(g, 0.1, 0.0, 0, 2.0), 0);
	/* when the wait ends: at 160 the first charge leaves */
	assert_true(fabs(bo__rate_free_at(g, c, 2, 150.0, 0.0, 0, 0.15) - 160.0) < 1e-9);
	/* needing both charges gone: at 190 */
	assert_true(fabs(bo__rate_free_at(g, c, 2, 150.0, 0.0, 0, 0.45) - 190.0) < 1e-9);
	/* running trials alone block it: no charge leaving is enough */
	assert_true(isnan(bo__rate_free_at(g, c, 2, 150.0, 0.45, 1, 0.15)));
	bo_study_free(s);
}

static void test_rate_waits_exactly(void **state)
{
	bo_study *s = parse(RATE_STUDY);
	bo_safeguards G;
	rec r;
	bo_guard_cb cb = {&r, rec_event, rec_note, NULL};
	double t;
	(void)state;
	memset(&r, 0, sizeof r);
	assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
	/* trial 1 (predicted 0.2) launches at t=1000 and is charged 0.3 at t=1010 */
	assert_int_equal(bo__guard_rate_ok(&G, 0.2, 0, 1000.0), 1);
	assert_int_equal(bo__guard_launched(&G, 1, NULL, 0.2), 0);
	/* trial 2 (0.2) fits beside it: 0.2 + 0.2 <= 0.5 */
	assert_int_equal(bo__guard_rate_ok(&G, 0.2, 1, 1001.0), 1);
	assert_int_equal(bo__guard_launched(&G, 2, NULL, 0.2), 0);
	/* trial 3 does not: 0.4 held + 0.2 */
	assert_int_equal(bo__guard_rate_ok(&G, 0.2, 2, 1002.0), 0);
	assert_int_equal(count_kind(&r, "rate_wait"), 1);
	assert_int_equal(bo__guard_charged(&G, 1, 0.3, 0.3, 0.0, 1010.0), 0);
	assert_int_equal(bo__guard_charged(&G, 2, 0.1, 0.4, 0.0, 1011.0), 0);
	/* window 0.4 (until 1070, then 0.1 until 1071): 0.4 + 0.2 waits */
	for (t = 1011.0; t < 1070.0; t += 0.5)
		assert_int_equal(bo__guard_rate_ok(&G, 0.2, 0, t), 0);
	/* one event for the whole wait */
	assert_int_equal(count_kind(&r, "rate_wait"), 1);
	assert_int_equal(bo__guard_rate_ok(&G, 0.2, 0, 1070.0), 1);
	/* a new wait is a new event */
	assert_int_equal(bo__guard_launched(&G, 3, NULL, 0.2), 0);
	assert_int_equal(bo__guard_rate_ok(&G, 0.3, 1, 1070.5), 0);
	assert_int_equal(count_kind(&r, "rate_wait"), 2);
	assert_non_null(strstr(r.detail[1], "would pass 0.5"));
	bo__guard_clear(&G, 0.0);
	bo_study_free(s);
}

/* ---- alerts ------------------------------------------------------------------------ */

static const char ALERT_STUDY[] =
	"name: alerts\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"metrics:\n"
	"  y: {}\n"
	"budget:\n"
	"  money: 5\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_alerts_rule(void **state)
{
	bo_study *s = parse(ALERT_STUDY);
	const bo_guard *g = &s->guard;
	size_t due[BO_ALERTS_MAX];
	unsigned fired = 0;
	char detail[256];
	(void)state;
	/* the defaults */
	assert_int_equal(g->nalerts, 3);
	assert_true(g->alerts[0] == 0.5 && g->alerts[1] == 0.8 && g->alerts[2] == 0.95);
	assert_int_equal(bo__alerts_due(g, 5.0, 2.4999, 0, due), 0);
	assert_int_equal(bo__alerts_due(g, 5.0, 2.5, 0, due), 1);
	assert_int_equal(due[0], 0);
	assert_int_equal(bo__alerts_due(g, 5.0, 4.75, 1u, due), 2);
	assert_int_equal(due[0], 1);
	assert_int_equal(due[1], 2);
	assert_int_equal(bo__alerts_due(g, 5.0, 9.0, 7u, due), 0);
	assert_int_equal(bo__alerts_due(g, NAN, 9.0, 0, due), 0);
	/* the event's detail names its threshold, and reads back */
	bo__alert_detail(0.8, 4.0, 5.0, "EUR", detail, sizeof detail);
	assert_string_equal(detail, "budget alert 80%: spent 4 of 5 EUR");
	assert_int_equal(bo__alert_mark_fired(g, detail, &fired), 1);
	assert_int_equal(fired, 2u);
	assert_int_equal(bo__alert_mark_fired(g, "budget alert 70%: spent 1 of 5 EUR", &fired), 0);
	assert_int_equal(bo__alert_mark_fired(g, "something else", &fired), 0);
	assert_int_equal(fired, 2u);
	bo_study_free(s);
}

static void test_alerts_once_and_resume(void **state)
{
	bo_study *s = parse(ALERT_STUDY);
	bo_safeguards G;
	rec r, r2;
	fake_storage fs;
	bo_guard_cb cb = {&r, rec_event, rec_note, NULL};
	double spent = 0;
	int i;
	(void)state;
	memset(&r, 0, sizeof r);
	memset(&r2, 0, sizeof r2);
	fs.base.ops = &FAKE_OPS;
	fs.events = &r2;     /* an empty ledger */
	assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
	assert_int_equal(bo__guard_start(&G, &fs.base, 0.0, 0.0, 1000.0), 0);
	assert_int_equal(r.n, 0);
	/* 0.3 per trial, 14 trials: 4.2 spent, past 50% and 80% */
	for (i = 1; i <= 14; i++) {
		spent += 0.3;
		assert_int_equal(bo__guard_charged(&G, i, 0.3, spent, 0.0, 1000.0 + i), 0);
		if (i == 8)   /* 2.4 */
			assert_int_equal(count_kind(&r, "alert"), 0);
		if (i == 9)   /* 2.7 */
			assert_int_equal(count_kind(&r, "alert"), 1);
	}
	assert_int_equal(count_kind(&r, "alert"), 2);
	assert_int_equal(r.nnotes, 2);
	assert_non_null(strstr(r.detail[0], "budget alert 50%"));
	assert_non_null(strstr(r.detail[1], "budget alert 80%"));
	bo__guard_clear(&G, 0.0);

	/* resume: the ledger holds those events; spend 4.2 fires nothing again */
	fs.events = &r;
	cb.ud = &r2;
	assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
	assert_int_equal(bo__guard_start(&G, &fs.base, spent, 0.0, 2000.0), 0);
	assert_int_equal(count_kind(&r2, "alert"), 0);
	assert_int_equal(bo__guard_charged(&G, 15, 0.3, 4.5, 0.0, 2001.0), 0);
	assert_int_equal(count_kind(&r2, "alert"), 0);
	assert_int_equal(bo__guard_charged(&G, 16, 0.3, 4.8, 0.0, 2002.0), 0);
	assert_int_equal(count_kind(&r2, "alert"), 1);
	assert_non_null(strstr(r2.detail[0], "budget alert 95%"));
	assert_int_equal(bo__guard_charged(&G, 17, 0.3, 5.1, 0.0, 2003.0), 0);
	assert_int_equal(count_kind(&r2, "alert"), 1);
	bo__guard_clear(&G, 0.0);

	/* a resumed run whose spend passed thresholds that never fired fires them at start */
	memset(&r2, 0, sizeof r2);
	{
		rec none;
		memset(&none, 0, sizeof none);
		fs.events = &none;
		assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
		assert_int_equal(bo__guard_start(&G, &fs.base, 4.2, 0.0, 3000.0), 0);
		assert_int_equal(count_kind(&r2, "alert"), 2);
		bo__guard_clear(&G, 0.0);
	}
	bo_study_free(s);
}

/* ---- anomaly --------------------------------------------------------------------------- */

static void test_anomaly(void **state)
{
	bo_study *s = parse(ALERT_STUDY);
	double t;
	int stopped_at = -1;
	(void)state;
	assert_true(s->guard.anomaly_k == 3.0);
	assert_int_equal(bo__anomaly_exceeds(3.0, 0.1, 0.3), 0);
	assert_int_equal(bo__anomaly_exceeds(3.0, 0.1, 0.30001), 1);
	assert_int_equal(bo__anomaly_exceeds(3.0, NAN, 100.0), 0);
	assert_int_equal(bo__anomaly_exceeds(3.0, 0.0, 100.0), 0);
	assert_int_equal(bo__anomaly_exceeds(0.0, 0.1, 100.0), 0);
	assert_int_equal(bo__anomaly_exceeds(2.5, 0.2385, 0.59), 0);
	assert_int_equal(bo__anomaly_exceeds(2.5, 0.2385, 0.597), 1);
	/* a trial costing 0.0125 a second, predicted 0.1, checked each second of
	 * a fake clock: stopped at the first check past 0.3, second 25 */
	for (t = 1.0; t <= 100.0 && stopped_at < 0; t += 1.0)
		if (bo__anomaly_exceeds(s->guard.anomaly_k, 0.1, 0.0125 * t))
			stopped_at = (int)t;
	assert_int_equal(stopped_at, 25);
	bo_study_free(s);
	s = parse("name: a\nspace: {x: {float: [0, 1]}}\nmetrics: {y: {}}\n"
		  "budget: {money: 1, anomaly: off}\nevaluator: {command: [\"true\"]}\n");
	assert_true(s->guard.anomaly_k == 0.0);
	assert_int_equal(bo__anomaly_exceeds(s->guard.anomaly_k, 0.1, 100.0), 0);
	bo_study_free(s);
}

/* ---- most trials per value ---------------------------------------------------------------- */

static const char LIMIT_STUDY[] =
	"name: limits\n"
	"space:\n"
	"  family: {choice: [mlp, forest, logreg]}\n"
	"  depth: {int: [1, 5], when: {family: forest}}\n"
	"  n: {int: [1, 3]}\n"
	"metrics:\n"
	"  y: {}\n"
	"limits:\n"
	"  max_trials_per: {family: 2, n: 1}\n"
	"evaluator:\n"
	"  command: [\"true\"]\n";

static void test_limits(void **state)
{
	bo_study *s = parse(LIMIT_STUDY);
	bo_limit_count c[2];
	double x[3];
	char why[512];
	(void)state;
	memset(c, 0, sizeof c);
	assert_int_equal(s->guard.nlimits, 2);
	assert_int_equal(s->guard.limits[0].param, bo__study_find_param(s, "family"));
	/* two trials of mlp (n = 1 and 2) */
	assert_int_equal(bo__limit_count_add(&c[0], 0), 0);
	assert_int_equal(bo__limit_count_add(&c[0], 0), 0);
	assert_int_equal(bo__limit_count_add(&c[1], 1), 0);
	assert_int_equal(bo__limit_count_add(&c[1], 2), 0);
	assert_int_equal(bo__limit_count_add(&c[1], NAN), 0);
	assert_int_equal(bo__limit_count_get(&c[0], 0), 2);
	assert_int_equal(bo__limit_count_get(&c[0], 1), 0);
	/* logreg, n 3: under both limits, unchanged */
	x[0] = 2; x[1] = NAN; x[2] = 3;
	assert_int_equal(bo__limits_apply(s, c, x, why, sizeof why), 0);
	assert_true(x[0] == 2 && x[2] == 3);
	/* mlp is full: forest would need a depth, so logreg; n 1 is full: 2 is
	 * full too, so 3 (the nearest free step) */
	x[0] = 0; x[1] = NAN; x[2] = 1;
	assert_int_equal(bo__limits_apply(s, c, x, why, sizeof why), BO_LIMIT_CHANGED);
	assert_true(x[0] == 2);
	assert_true(isnan(x[1]));
	assert_true(x[2] == 3);
	assert_non_null(strstr(why, "family = mlp has had its 2 trials (max_trials_per); logreg instead"));
	assert_non_null(strstr(why, "n = 1 has had its 1 trials (max_trials_per); 3 instead"));
	/* logreg full too: nothing valid is left for family */
	assert_int_equal(bo__limit_count_add(&c[0], 2), 0);
	assert_int_equal(bo__limit_count_add(&c[0], 2), 0);
	x[0] = 0; x[1] = NAN; x[2] = 3;
	assert_int_equal(bo__limits_apply(s, c, x, why, sizeof why), BO_DONE);
	assert_true(x[0] == 0);
	assert_non_null(strstr(why, "every value of family"));
	bo__limit_count_clear(&c[0]);
	bo__limit_count_clear(&c[1]);
	bo_study_free(s);
}

/* ---- the hook ------------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[8192];
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *tmpdir(void)
{
	const char *t = getenv("BO_TEST_TMP");
	static char dir[1024];
	snprintf(dir, sizeof dir, "%s/safeguards", t ? t : "/tmp");
	mkdir(t ? t : "/tmp", 0700);
	mkdir(dir, 0700);
	return dir;
}

static void test_hook_env_and_argv(void **state)
{
	const char *dir = tmpdir();
	char out[1200], script[1300], log[1200];
	bo_guard g;
	bo_alert_figures f;
	pid_t pid;
	int ws;
	const char *nasty = "a b; rm -rf \"$HOME\" 'q' $(touch pwned) `x`";
	char *argv[] = {"/bin/sh", script, "{study}", "at {threshold} of {budget} {currency}",
			"plain", NULL};
	char *text;
	FILE *fp;
	(void)state;
	snprintf(out, sizeof out, "%s/hook.out", dir);
	snprintf(script, sizeof script, "%s/hook.sh", dir);
	snprintf(log, sizeof log, "%s/hook.log", dir);
	unlink(out);
	unlink(log);
	fp = fopen(script, "w");
	assert_non_null(fp);
	fprintf(fp, "printf '%%s\\n' \"argc=$#\" > '%s'\n"
		    "for a in \"$@\"; do printf 'arg=[%%s]\\n' \"$a\" >> '%s'; done\n"
		    "env | grep '^BUDGETOPT_ALERT_' | sort >> '%s'\n"
		    "echo to-the-log\n", out, out, out);
	fclose(fp);
	memset(&g, 0, sizeof g);
	g.alert_argv = argv;
	g.alert_argc = 5;
	f.threshold = 0.8;
	f.spent = 4.0125;
	f.budget = 5;
	f.currency = "EUR";
	f.study = nasty;
	setenv("BUDGETOPT_ALERT_SPENT", "inherited-must-be-replaced", 1);
	assert_int_equal(bo__alert_hook_start(&g, &f, dir, log, &pid), 0);
	unsetenv("BUDGETOPT_ALERT_SPENT");
	assert_true(pid > 0);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	text = slurp(out);
	assert_string_equal(text, "argc=3\n"
				  "arg=[a b; rm -rf \"$HOME\" 'q' $(touch pwned) `x`]\n"
				  "arg=[at 0.8 of 5 EUR]\n"
				  "arg=[plain]\n"
				  "BUDGETOPT_ALERT_BUDGET=5\n"
				  "BUDGETOPT_ALERT_CURRENCY=EUR\n"
				  "BUDGETOPT_ALERT_SPENT=4.0125\n"
				  "BUDGETOPT_ALERT_STUDY=a b; rm -rf \"$HOME\" 'q' $(touch pwned) `x`\n"
				  "BUDGETOPT_ALERT_THRESHOLD=0.8\n");
	assert_string_equal(slurp(log), "to-the-log\n");
	/* nothing ran the injected command */
	assert_int_equal(access("pwned", F_OK), -1);
	/* a program that cannot start is an error, not a crash (or, where
	 * posix_spawn forks first, as under valgrind, a child exiting 127) */
	argv[0] = "/nonexistent/hook";
	if (bo__alert_hook_start(&g, &f, dir, log, &pid) == 0) {
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 127);
	}
}

static void test_hook_fails_or_hangs(void **state)
{
	const char *dir = tmpdir();
	char text[2048];
	bo_study *s;
	bo_safeguards G;
	rec r;
	bo_guard_cb cb = {&r, rec_event, rec_note, NULL};
	(void)state;
	(void)dir;
	memset(&r, 0, sizeof r);
	/* the first threshold's hook hangs, the second one's fails */
	snprintf(text, sizeof text,
		 "name: hooks\n"
		 "space: {x: {float: [0, 1]}}\n"
		 "metrics: {y: {}}\n"
		 "budget: {money: 1}\n"
		 "alerts:\n"
		 "  at: [0.5, 0.9]\n"
		 "  command: [/bin/sh, -c, 'if [ \"$BUDGETOPT_ALERT_THRESHOLD\" = 0.5 ]; then exec sleep 100000; else exit 3; fi']\n"
		 "  timeout: 30s\n"
		 "evaluator: {command: [\"true\"]}\n");
	s = parse(text);
	assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
	assert_int_equal(bo__guard_charged(&G, 1, 0.6, 0.6, 100.0, 1000.0), 0);
	if (G.nhooks != 1) {
		size_t i;
		for (i = 0; i < r.n; i++)
			fprintf(stderr, "event %s: %s\n", r.kind[i], r.detail[i]);
	}
	assert_int_equal(G.nhooks, 1);
	/* the fake clock: before the timeout the hook is left alone */
	bo__guard_tick(&G, 129.0);
	assert_int_equal(G.nhooks, 1);
	assert_int_equal(count_kind(&r, "alert_hook"), 0);
	/* past it, killed, and the run is told */
	bo__guard_tick(&G, 130.5);
	assert_int_equal(count_kind(&r, "alert_hook"), 1);
	assert_non_null(strstr(r.detail[r.n - 1], "past its timeout (30 s) and was killed"));
	assert_int_equal(bo__guard_charged(&G, 2, 0.35, 0.95, 131.0, 1001.0), 0);
	/* clear waits for both (the killed one and the failing one) */
	bo__guard_clear(&G, 131.0);
	assert_int_equal(count_kind(&r, "alert_hook"), 2);
	assert_int_equal(count_kind(&r, "alert"), 2);
	{
		size_t i, found = 0;
		for (i = 0; i < r.n; i++)
			if (!strcmp(r.kind[i], "alert_hook") && strstr(r.detail[i], "alert 90%: the hook exited with status 3"))
				found++;
		assert_int_equal(found, 1);
	}
	bo_study_free(s);
}

/* ---- rollback ------------------------------------------------------------------------------ */

static void test_rollback(void **state)
{
	bo_study *s = parse("name: rb\n"
			    "space: {x: {float: [0, 1]}}\n"
			    "metrics: {y: {}}\n"
			    "score: y\n"
			    "rollback: {every: 3, noise: 0.05}\n"
			    "evaluator: {command: [\"true\"]}\n");
	bo_safeguards G;
	rec r;
	bo_guard_cb cb = {&r, rec_event, rec_note, NULL};
	double x1 = 0.125, x2 = 0.25, x3 = 0.375, x5 = 0.5, *x = NULL;
	(void)state;
	memset(&r, 0, sizeof r);
	/* the rule: worse by more than the noise */
	assert_int_equal(bo__rollback_demotes(1, 0.93, 0.91, 0.01), 1);
	assert_int_equal(bo__rollback_demotes(1, 0.93, 0.925, 0.01), 0);
	assert_int_equal(bo__rollback_demotes(1, 0.93, 0.91, 0.021), 0);
	assert_int_equal(bo__rollback_demotes(1, 0.93, 0.95, 0.0), 0);
	assert_int_equal(bo__rollback_demotes(-1, 10.0, 10.5, 0.4), 1);
	assert_int_equal(bo__rollback_demotes(-1, 10.0, 9.0, 0.4), 0);
	assert_int_equal(bo__rollback_demotes(1, 0.93, NAN, 0.0), 0);
	assert_int_equal(s->guard.rollback_every, 3);

	assert_int_equal(bo__guard_init(&G, s, &cb, NULL), 0);
	assert_int_equal(bo__guard_trial_done(&G, 1, &x1, BO_TRIAL_COMPLETE, 0.5, 1), 0);
	assert_int_equal(bo__guard_trial_done(&G, 2, &x2, BO_TRIAL_COMPLETE, 0.9, 1), 0);
	assert_int_equal(bo__guard_reeval_due(&G, 2, &x), 0);
	assert_null(x);
	assert_int_equal(bo__guard_trial_done(&G, 3, &x3, BO_TRIAL_COMPLETE, 0.7, 1), 0);
	/* after 3 trials: the incumbent, trial 2 */
	assert_int_equal(bo__guard_reeval_due(&G, 3, &x), 1);
	assert_non_null(x);
	assert_true(x[0] == x2);
	assert_int_equal(bo__guard_launched(&G, 4, x, 0.0), 0);
	assert_int_equal(count_kind(&r, "reeval"), 1);
	bo__free(x);
	x = NULL;
	/* it scores 0.8: 0.1 below, more than the noise 0.05: demoted */
	assert_int_equal(bo__guard_trial_done(&G, 4, &x2, BO_TRIAL_COMPLETE, 0.8, 1), 0);
	assert_int_equal(count_kind(&r, "rollback"), 1);
	assert_int_equal(r.nnotes, 1);
	assert_string_equal(r.detail[r.n - 1], "trial 2 demoted: its re-evaluation (trial 4) scored 0.8, "
					       "below its recorded 0.9 by more than its noise 0.05");
	/* a new trial; 3 trials after the last re-evaluation, the new incumbent, trial 3 */
	assert_int_equal(bo__guard_trial_done(&G, 5, &x5, BO_TRIAL_COMPLETE, 0.6, 1), 0);
	assert_int_equal(bo__guard_reeval_due(&G, 5, &x), 0);
	assert_int_equal(bo__guard_reeval_due(&G, 6, &x), 1);
	assert_true(x[0] == x3);
	assert_int_equal(bo__guard_launched(&G, 7, x, 0.0), 0);
	bo__free(x);
	x = NULL;
	/* within the noise: kept */
	assert_int_equal(bo__guard_trial_done(&G, 7, &x3, BO_TRIAL_COMPLETE, 0.66, 1), 0);
	assert_int_equal(count_kind(&r, "rollback"), 1);
	assert_non_null(strstr(r.detail[r.n - 1], "kept"));
	/* a re-evaluation past a guardrail demotes */
	assert_int_equal(bo__guard_reeval_due(&G, 9, &x), 1);
	assert_true(x[0] == x3);
	assert_int_equal(bo__guard_launched(&G, 10, x, 0.0), 0);
	bo__free(x);
	x = NULL;
	assert_int_equal(bo__guard_trial_done(&G, 10, &x3, BO_TRIAL_COMPLETE, 0.9, 0), 0);
	assert_int_equal(count_kind(&r, "rollback"), 2);
	assert_non_null(strstr(r.detail[r.n - 1], "trial 3 demoted: its re-evaluation (trial 10) no longer meets the guardrails"));
	/* and a re-evaluation replaced by another configuration re-evaluates nothing */
	assert_int_equal(bo__guard_reeval_due(&G, 12, &x), 1);
	assert_true(x[0] == x5);   /* trial 7 shares trial 3's configuration: demoted too */
	x[0] = 0.875;
	assert_int_equal(bo__guard_launched(&G, 13, x, 0.0), 0);
	bo__free(x);
	assert_int_equal(count_kind(&r, "reeval"), 4);
	bo__guard_clear(&G, 0.0);
	bo_study_free(s);
}

/* ---- the reader ------------------------------------------------------------------------------ */

static void test_reader_errors(void **state)
{
	static const char bad[] =
		"name: bad\n"
		"space:\n"
		"  family: {choice: [a, b]}\n"
		"  x: {float: [0, 1]}\n"
		"metrics: {y: {}}\n"
		"budget:\n"
		"  money: 5\n"
		"  rate: {money: 1, pre: 1h}\n"
		"  anomaly: 1\n"
		"alerts:\n"
		"  at: [0.5, 80]\n"
		"  command: [notify, \"{thresold}\"]\n"
		"limits:\n"
		"  max_trials_per: {famly: 3, x: 2}\n"
		"evaluator: {command: [\"true\"]}\n";
	static const char *const want[] = {
		"test.yaml:8:20: unknown key \"pre\" in budget: rate (did you mean \"per\"?)",
		"test.yaml:8:9: budget: rate: missing \"per\"",
		"test.yaml:9:12: budget: anomaly: must be more than 1",
		"test.yaml:11:13: alerts: at: a threshold is a fraction of the money budget in (0, 1], found 80",
		"test.yaml:12:21: alerts: command: unknown placeholder \"{thresold}\"",
		"test.yaml:14:20: limits: max_trials_per: unknown parameter \"famly\" (choice and int parameters: family)",
		"test.yaml:14:30: limits: max_trials_per: \"x\" is a float parameter",
	};
	bo_study *s = NULL;
	bo_diags *d = NULL;
	size_t i, k;
	(void)state;
	assert_int_equal(bo_study_parse(&s, bad, sizeof bad - 1, "test.yaml", ".", &d), BO_EINVAL);
	assert_null(s);
	assert_non_null(d);
	for (k = 0; k < sizeof want / sizeof *want; k++) {
		int found = 0;
		for (i = 0; i < bo_diags_count(d); i++)
			if (!strncmp(bo_diags_get(d, i), want[k], strlen(want[k])))
				found = 1;
		if (!found) {
			for (i = 0; i < bo_diags_count(d); i++)
				fprintf(stderr, "got: %s\n", bo_diags_get(d, i));
			fail_msg("missing diagnostic: %s", want[k]);
		}
	}
	bo_diags_free(d);
}

/* Every allocation of reading the safeguards, and of a run's state, failed
 * in turn: a clean BO_ENOMEM, nothing half-built (ASan sees the leaks). */
static void test_alloc_torture(void **state)
{
	static const char full[] =
		"name: torture\n"
		"space:\n"
		"  family: {choice: [a, b, c]}\n"
		"  n: {int: [1, 9]}\n"
		"metrics: {y: {}}\n"
		"score: y\n"
		"budget: {money: 5, rate: {money: 1, per: 1h}, anomaly: 4}\n"
		"alerts: {at: [0.3, 0.6], command: [./notify, \"{study} {threshold}\", x], timeout: 3s}\n"
		"limits: {max_trials_per: {family: 2, n: 3}}\n"
		"rollback: {every: 4, noise: 0.1}\n"
		"evaluator: {command: [\"true\"]}\n";
	size_t k;
	int ok = 0;
	(void)state;
	for (k = 1; k < 100000 && !ok; k++) {
		bo_study *s = NULL;
		bo_diags *d = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo_study_parse(&s, full, sizeof full - 1, "t.yaml", "/d", &d);
		bo__alloc_fail_at(0);
		if (rc == 0) {
			ok = 1;
			assert_int_equal(s->guard.alert_argc, 3);
			assert_int_equal(s->guard.nlimits, 2);
			assert_int_equal(s->guard.rollback_every, 4);
			assert_true(s->guard.anomaly_k == 4.0);
		} else {
			assert_int_equal(rc, BO_ENOMEM);
			assert_null(s);
		}
		bo_study_free(s);
		bo_diags_free(d);
	}
	assert_true(ok);
	ok = 0;
	for (k = 1; k < 100000 && !ok; k++) {
		bo_study *s = parse(full);
		bo_safeguards G;
		double x[2] = {1, 4}, *rx = NULL;
		int rc;
		bo__alloc_fail_at(k);
		rc = bo__guard_init(&G, s, NULL, "/nonexistent/log");
		if (rc == 0)
			rc = bo__guard_launched(&G, 1, x, 0.5);
		if (rc == 0)
			rc = bo__guard_charged(&G, 1, 0.2, 0.2, 0.0, 1.0);
		if (rc == 0)
			rc = bo__guard_trial_done(&G, 1, x, BO_TRIAL_COMPLETE, 0.5, 1);
		if (rc == 0)
			rc = bo__guard_limits(&G, 1, x);
		if (rc == 0)
			rc = bo__guard_reeval_due(&G, 4, &rx);
		bo__alloc_fail_at(0);
		if (rc >= 0)
			ok = 1;
		else
			assert_int_equal(rc, BO_ENOMEM);
		bo__free(rx);
		bo__guard_clear(&G, 0.0);
		bo_study_free(s);
	}
	assert_true(ok);
	assert_true(k > 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_rule),
		cmocka_unit_test(test_rate_waits_exactly),
		cmocka_unit_test(test_alerts_rule),
		cmocka_unit_test(test_alerts_once_and_resume),
		cmocka_unit_test(test_anomaly),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hook_env_and_argv),
		cmocka_unit_test(test_hook_fails_or_hangs),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
