/*
 * tests/unit/test_fidelity.c - the multi-fidelity schedule
 * (runner/fidelity.c) against brute-force re-implementations of the
 * papers' schedules, on scripted learning curves, and the study reader's
 * fidelity: section.
 *
 * ASHA (Li et al. 2020, Algorithm 2) is replayed here with rungs kept as
 * lists of (configuration, score) and "promoted" meaning "present in the
 * rung above"; the schedule under test and this one are driven in
 * lockstep by the same simulated workers (trials finish in an order set
 * by their fidelity and a random speed), and every decision must agree.
 * Hyperband (Li et al. 2018, Algorithm 1) is written out in integer
 * arithmetic (n = ceil((s_max + 1) eta^s / (s + 1)), n_i = n / eta^i) as
 * the full sequence of launches of two iterations of all brackets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/model.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "samplers/sampler.h"

#define NP 3          /* parameters: a, fid, b */
#define FID 1
#define MAXT 4000

static uint64_t rng = 0x2385u;

static double unif(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A scripted learning curve: the configuration's score at fidelity r
 * (rises with r; configurations cross, so low rungs mislead a little). */
static double curve(const double *x, double r)
{
	return x[0] - x[2] / (r + 0.385);
}

static bo_fidelity_spec spec_of(double min, double max, double eta, int schedule)
{
	bo_fidelity_spec s;
	memset(&s, 0, sizeof s);
	s.param = FID;
	s.min = min;
	s.max = max;
	s.eta = eta;
	s.schedule = schedule;
	return s;
}

static void test_rung_values(void **state)
{
	bo_fidelity *f;
	bo_fidelity_spec sp = spec_of(1, 81, 3, BO_FIDELITY_ASHA);
	int k;
	(void)state;
	assert_int_equal(bo__fidelity_new(&f, &sp, BO_PT_INT, NP), 0);
	assert_int_equal(bo__fidelity_nrungs(f), 5);
	for (k = 0; k < 5; k++)
		assert_true(bo__fidelity_value(f, k) == pow(3, k));
	assert_int_equal(bo__fidelity_rung_of(f, 27), 3);
	assert_int_equal(bo__fidelity_rung_of(f, 28), -1);
	bo__fidelity_free(f);
	/* 100 / 2 = 50: s_max = floor(log_3 50) = 3; rungs 100/27, 100/9, 100/3, 100 rounded */
	sp = spec_of(2, 100, 3, BO_FIDELITY_ASHA);
	assert_int_equal(bo__fidelity_new(&f, &sp, BO_PT_INT, NP), 0);
	assert_int_equal(bo__fidelity_nrungs(f), 4);
	assert_true(bo__fidelity_value(f, 0) == 4 && bo__fidelity_value(f, 1) == 11 &&
		    bo__fidelity_value(f, 2) == 33 && bo__fidelity_value(f, 3) == 100);
	bo__fidelity_free(f);
	/* a float share of data: 0.1 .. 1 with eta 2.385 */
	sp = spec_of(0.1, 1.0, 2.385, BO_FIDELITY_ASHA);
	assert_int_equal(bo__fidelity_new(&f, &sp, BO_PT_FLOAT, NP), 0);
	assert_int_equal(bo__fidelity_nrungs(f), 3);   /* 2.385^2 = 5.69 <= 10 < 2.385^3 */
	assert_true(fabs(bo__fidelity_value(f, 0) - 1.0 / (2.385 * 2.385)) < 1e-12);
	assert_true(bo__fidelity_value(f, 2) == 1.0);
	bo__fidelity_free(f);
}

/* ---- ASHA, brute force ------------------------------------------------ */

typedef struct bf_entry {
	int64_t config;
	double score;
} bf_entry;

typedef struct bf_asha {
	int nr, eta;
	bf_entry rung[8][MAXT];
	size_t n[8];          /* finished at rung k */
	int64_t started[8][MAXT];
	size_t nstarted[8];
} bf_asha;

static int in_started(const bf_asha *b, int k, int64_t c)
{
	size_t i;
	for (i = 0; i < b->nstarted[k]; i++)
		if (b->started[k][i] == c)
			return 1;
	return 0;
}

static int cmp_entry(const void *pa, const void *pb)
{
	const bf_entry *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->config < b->config ? -1 : a->config > b->config;
}

/* Algorithm 2's get_job: (rung, config) to promote, or rung -1 (new). */
static void bf_asha_next(const bf_asha *b, int *rung, int64_t *config)
{
	int k;
	bf_entry tmp[MAXT];
	for (k = b->nr - 2; k >= 0; k--) {
		size_t top = b->n[k] / (size_t)b->eta, i;
		memcpy(tmp, b->rung[k], b->n[k] * sizeof *tmp);
		qsort(tmp, b->n[k], sizeof *tmp, cmp_entry);
		for (i = 0; i < top; i++)
			if (!in_started(b, k + 1, tmp[i].config)) {
				*rung = k + 1;
				*config = tmp[i].config;
				return;
			}
	}
	*rung = -1;
	*config = -1;
}

typedef struct running {
	int64_t id, config;
	int rung;
	double end;
	double x[NP];
} running;

static bf_asha bfa;

/* Drives both schedules with P simulated workers for ntrials launches. */
static void asha_lockstep(int P, int ntrials, int eta, double min, double max, int check_replay)
{
	bo_fidelity *f, *g;
	bo_fidelity_spec sp = spec_of(min, max, eta, BO_FIDELITY_ASHA);
	running run[16];
	double (*xs)[NP] = calloc(MAXT, sizeof *xs);
	double *scores = calloc(MAXT, sizeof *scores);
	int nrun = 0, launched = 0, promotions = 0, k;
	double now = 0;
	bo_fid_next a, b;
	assert_non_null(xs);
	memset(&bfa, 0, sizeof bfa);
	assert_int_equal(bo__fidelity_new(&f, &sp, BO_PT_INT, NP), 0);
	bfa.nr = bo__fidelity_nrungs(f);
	bfa.eta = eta;
	while (launched < ntrials || nrun) {
		while (nrun < P && launched < ntrials) {
			int bk;
			int64_t bc;
			running *j = &run[nrun];
			bo__fidelity_next(f, &a);
			bf_asha_next(&bfa, &bk, &bc);
			if (bk < 0) {
				assert_int_equal(a.kind, BO_FID_NEW);
				assert_int_equal(a.rung, 0);
				j->x[0] = unif();
				j->x[2] = 0.2 + unif();
				j->config = launched + 1;
				bk = 0;
			} else {
				const double *cx = bo__fidelity_config_x(f, bc);
				assert_int_equal(a.kind, BO_FID_PROMOTE);
				assert_int_equal(a.rung, bk);
				assert_int_equal(a.config, bc);
				assert_non_null(cx);
				memcpy(j->x, cx, sizeof j->x);
				j->config = bc;
				promotions++;
			}
			j->x[FID] = a.value;
			assert_true(a.value == bo__fidelity_value(f, bk));
			j->id = ++launched;
			j->rung = bk;
			j->end = now + a.value * (0.5 + unif());
			memcpy(xs[j->id], j->x, sizeof j->x);
			assert_int_equal(bo__fidelity_started(f, j->id, &a, j->x), 0);
			bfa.started[bk][bfa.nstarted[bk]++] = j->config;
			nrun++;
		}
		/* the earliest to finish */
		{
			int i, e = 0;
			double sc;
			for (i = 1; i < nrun; i++)
				if (run[i].end < run[e].end)
					e = i;
			now = run[e].end;
			sc = curve(run[e].x, run[e].x[FID]);
			if (unif() < 0.03)
				sc = NAN;   /* a failed trial: counted, never promoted */
			scores[run[e].id] = sc;
			assert_int_equal(bo__fidelity_finished(f, run[e].id, sc), 0);
			bfa.rung[run[e].rung][bfa.n[run[e].rung]].config = run[e].config;
			bfa.rung[run[e].rung][bfa.n[run[e].rung]++].score = isnan(sc) ? -INFINITY : sc;
			run[e] = run[--nrun];
		}
	}
	/* not vacuous: every rung was reached, promotions happened */
	assert_true(promotions > 0);
	for (k = 0; k < bfa.nr; k++)
		assert_true(bfa.nstarted[k] > 0);
	if (check_replay) {
		/* a resumed study: the trials replayed in id order give the same next decision */
		int64_t id;
		assert_int_equal(bo__fidelity_new(&g, &sp, BO_PT_INT, NP), 0);
		for (id = 1; id <= launched; id++) {
			int64_t c1, c2;
			int r1, r2;
			assert_int_equal(bo__fidelity_replay(g, id, xs[id], &b), 0);
			assert_int_equal(bo__fidelity_finished(g, id, scores[id]), 0);
			bo__fidelity_trial(f, id, &c1, &r1);
			bo__fidelity_trial(g, id, &c2, &r2);
			assert_int_equal(c1, c2);
			assert_int_equal(r1, r2);
		}
		bo__fidelity_next(f, &a);
		bo__fidelity_next(g, &b);
		assert_int_equal(a.kind, b.kind);
		assert_int_equal(a.config, b.config);
		assert_int_equal(a.rung, b.rung);
		bo__fidelity_free(g);
	}
	bo__fidelity_free(f);
	free(xs);
	free(scores);
}

static void test_asha_sequential(void **state)
{
	(void)state;
	asha_lockstep(1, 400, 3, 1, 81, 1);
}

static void test_asha_parallel(void **state)
{
	(void)state;
	asha_lockstep(4, 600, 3, 1, 81, 1);
	asha_lockstep(7, 500, 2, 1, 16, 1);
	asha_lockstep(3, 300, 4, 2, 32, 0);
}

/* ---- Hyperband, written out ------------------------------------------- */

typedef struct launch {
	int kind;          /* BO_FID_NEW or BO_FID_PROMOTE */
	int64_t config;    /* the id of its first trial */
	int rung;
} launch;

static int64_t ipow(int64_t b, int e)
{
	int64_t v = 1;
	while (e-- > 0)
		v *= b;
	return v;
}

static double bf_x[MAXT][NP];

/* The expected launches of `iters` iterations over all brackets, with
 * each trial's score given by curve() at its rung's value. */
static size_t hb_expected(launch *out, int s_max, int64_t eta, const double *values, int iters)
{
	size_t nl = 0;
	int64_t next_id = 1;
	int it, s, i;
	for (it = 0; it < iters; it++)
		for (s = s_max; s >= 0; s--) {
			int64_t n = ((int64_t)(s_max + 1) * ipow(eta, s) + s) / (s + 1);
			int64_t T[MAXT], nt = n, j;
			int base = s_max - s;
			for (j = 0; j < n; j++) {
				T[j] = next_id++;
				bf_x[T[j]][0] = unif();
				bf_x[T[j]][2] = 0.2 + unif();
				out[nl].kind = BO_FID_NEW;
				out[nl].config = T[j];
				out[nl++].rung = base;
			}
			for (i = 0; i <= s; i++) {
				int64_t ni = n / ipow(eta, i), keep = ni / eta, a, b;
				double sc[MAXT];
				assert_int_equal(nt, ni);
				if (i > 0)
					for (j = 0; j < nt; j++) {
						out[nl].kind = BO_FID_PROMOTE;
						out[nl].config = T[j];
						out[nl++].rung = base + i;
						next_id++;
					}
				if (i == s)
					break;
				/* top `keep` by score at this rung (selection sort; ties: earlier first) */
				for (j = 0; j < nt; j++)
					sc[j] = curve(bf_x[T[j]], values[base + i]);
				for (a = 0; a < keep; a++) {
					int64_t best = a;
					for (b = a + 1; b < nt; b++)
						if (sc[b] > sc[best] || (sc[b] == sc[best] && T[b] < T[best]))
							best = b;
					{
						int64_t t = T[a];
						double u = sc[a];
						T[a] = T[best];
						sc[a] = sc[best];
						T[best] = t;
						sc[best] = u;
					}
				}
				nt = keep;
			}
		}
	return nl;
}

static launch expect[MAXT];

static void hb_check(double min, double max, int eta, int P)
{
	bo_fidelity *f;
	bo_fidelity_spec sp = spec_of(min, max, eta, BO_FIDELITY_HYPERBAND);
	double values[16];
	int s_max, k;
	size_t nl, li = 0;
	running run[16];
	int nrun = 0, waits = 0;
	int64_t id = 0;
	assert_int_equal(bo__fidelity_new(&f, &sp, BO_PT_INT, NP), 0);
	s_max = bo__fidelity_nrungs(f) - 1;
	for (k = 0; k <= s_max; k++)
		values[k] = bo__fidelity_value(f, k);
	nl = hb_expected(expect, s_max, eta, values, 2);
	assert_true(nl > 10);
	while (li < nl) {
		bo_fid_next a;
		bo__fidelity_next(f, &a);
		if (a.kind == BO_FID_WAIT || nrun == P) {
			/* wait only while something runs: finish the earliest launched */
			int i, e = 0;
			assert_true(nrun > 0);
			if (a.kind == BO_FID_WAIT)
				waits++;
			for (i = 1; i < nrun; i++)
				if (run[i].id < run[e].id)
					e = i;
			assert_int_equal(bo__fidelity_finished(f, run[e].id, curve(run[e].x, run[e].x[FID])), 0);
			run[e] = run[--nrun];
			continue;
		}
		assert_int_equal(a.kind, expect[li].kind);
		assert_int_equal(a.rung, expect[li].rung);
		id++;
		if (a.kind == BO_FID_PROMOTE) {
			assert_int_equal(a.config, expect[li].config);
			memcpy(run[nrun].x, bo__fidelity_config_x(f, a.config), sizeof run[nrun].x);
		} else {
			assert_int_equal(id, expect[li].config);
			memcpy(run[nrun].x, bf_x[id], sizeof run[nrun].x);
		}
		run[nrun].x[FID] = a.value;
		run[nrun].id = id;
		assert_int_equal(bo__fidelity_started(f, id, &a, run[nrun].x), 0);
		nrun++;
		li++;
	}
	if (P > 1)
		assert_true(waits > 0);   /* synchronous stages: the slots waited */
	bo__fidelity_free(f);
}

static void test_hyperband(void **state)
{
	(void)state;
	hb_check(1, 81, 3, 1);    /* the paper's table: n = 81, 34, 15, 8, 5 */
	hb_check(1, 81, 3, 4);
	hb_check(2, 64, 2, 3);
	hb_check(1, 30, 3, 2);    /* R not a power of eta */
}

/* ---- the study reader ------------------------------------------------- */

static const char *BASE = "name: f\n"
			  "space:\n"
			  "  lr: {float: [0.001, 1], log: true}\n"
			  "  epochs: {int: [1, 100]}\n"
			  "  kind: {choice: [a, b]}\n"
			  "metrics:\n"
			  "  acc: {maximize: true}\n"
			  "evaluator:\n"
			  "  command: [./e.sh]\n";

static int parse(const char *extra, char *err, size_t size)
{
	char text[2048];
	bo_study *s = NULL;
	bo_diags *d = NULL;
	int rc;
	snprintf(text, sizeof text, "%s%s", BASE, extra);
	rc = bo_study_parse(&s, text, strlen(text), "s.yaml", NULL, &d);
	err[0] = '\0';
	if (rc < 0 && d && bo_diags_count(d))
		snprintf(err, size, "%s", bo_diags_get(d, 0));
	if (rc == 0) {
		const bo_fidelity_spec *fs = &((const struct bo_study *)s)->fidelity;
		snprintf(err, size, "param=%d min=%g max=%g eta=%g schedule=%d", fs->param, fs->min, fs->max,
			 fs->eta, fs->schedule);
	}
	bo_diags_free(d);
	bo_study_free(s);
	return rc;
}

static void test_study(void **state)
{
	char e[512];
	(void)state;
	assert_int_equal(parse("fidelity: {param: epochs, min: 1, max: 81, eta: 3}\n", e, sizeof e), 0);
	assert_string_equal(e, "param=1 min=1 max=81 eta=3 schedule=0");
	assert_int_equal(parse("fidelity: {param: epochs, schedule: hyperband}\n", e, sizeof e), 0);
	assert_string_equal(e, "param=1 min=1 max=100 eta=3 schedule=1");
	assert_int_equal(parse("", e, sizeof e), 0);
	assert_string_equal(e, "param=-1 min=0 max=0 eta=3 schedule=0");
	assert_true(parse("fidelity: {param: epoch}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "10:19: fidelity: param: \"epoch\" is not a parameter of space: (did you mean \"epochs\"?)"));
	assert_true(parse("fidelity: {param: kind}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "must be an int or float parameter"));
	assert_true(parse("fidelity: {param: epochs, max: 200}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "10:32: fidelity: max (200) is outside epochs's bounds [1, 100]"));
	assert_true(parse("fidelity: {param: epochs, eta: 1}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "eta: expected a number > 1"));
	assert_true(parse("fidelity: {param: epochs, min: 1.5}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "min and max must be whole numbers"));
	assert_true(parse("fidelity: {param: epochs, schedule: hyperbnd}\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "did you mean \"hyperband\""));
	assert_true(parse("fidelity: {param: epochs}\npruner: median\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "either pruner: or fidelity:"));
	assert_true(parse("fidelity: epochs\n", e, sizeof e) < 0);
	assert_non_null(strstr(e, "10:11: fidelity: expected a mapping"));
}

/* ---- BOHB's proposals -------------------------------------------------- */

/* An independent TPE told the observations of rung k (in id order) asks
 * what BOHB must propose. */
static void tpe_reference(const bo_study *s, uint64_t seed, int64_t number, double (*xs)[3],
			  const double *acc, const int *rung, int n, int k, double *x)
{
	bo_sampler *t;
	int i;
	int64_t told = 0;
	assert_int_equal(bo__sampler_new(&t, s, "tpe", seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(number + 1))), 0);
	assert_int_equal(bo__sampler_set_param(t, "n_startup", 4), 0);
	for (i = 0; i < n; i++)
		if (rung[i] == k)
			assert_int_equal(bo__sampler_tell_metrics(t, told++, xs[i], BO_TRIAL_COMPLETE, &acc[i], 0.1), 0);
	assert_int_equal(bo__sampler_ask(t, told, x), 0);
	bo__sampler_free(t);
}

static void test_bohb(void **state)
{
	bo_study *s = NULL;
	char text[1024];
	bo_fidelity *f;
	bo_bohb *b;
	bo_fid_next fn;
	double xs[40][3], acc[40], x[3], y[3];
	int rung[40], n = 0, k, i;
	int64_t id = 0;
	(void)state;
	snprintf(text, sizeof text, "%sfidelity: {param: epochs, min: 1, max: 81, eta: 3}\n", BASE);
	assert_int_equal(bo_study_parse(&s, text, strlen(text), "s.yaml", NULL, NULL), 0);
	assert_int_equal(bo__fidelity_new(&f, &((struct bo_study *)s)->fidelity, BO_PT_INT, 3), 0);
	assert_int_equal(bo__bohb_new(&b, s, f, 2385), 0);
	/* nothing observed: random (the study's random sampler with the seed) */
	assert_int_equal(bo__bohb_ask(b, 0, x, &k), 0);
	assert_int_equal(k, -1);
	/* 9 at rung 0, then 3 promoted to rung 1 (d = 2: rung 1 needs 4) */
	for (i = 0; i < 12; i++) {
		bo__fidelity_next(f, &fn);
		if (fn.kind == BO_FID_NEW) {
			xs[n][0] = 0.001 + unif() * 0.9;
			xs[n][2] = (double)(i % 2);
		} else
			memcpy(xs[n], bo__fidelity_config_x(f, fn.config), sizeof xs[n]);
		xs[n][1] = fn.value;
		rung[n] = fn.rung;
		acc[n] = xs[n][0] * (1 - exp(-fn.value / 3.0)) + 0.1 * xs[n][2];
		assert_int_equal(bo__fidelity_started(f, ++id, &fn, xs[n]), 0);
		assert_int_equal(bo__fidelity_finished(f, id, acc[n]), 0);
		assert_int_equal(bo__bohb_observe(b, id, xs[n], &acc[n], BO_TRIAL_COMPLETE, 0.1), 0);
		n++;
	}
	for (i = 0, k = 0; i < n; i++)
		k += rung[i] == 1;
	assert_true(k >= 1 && k < 4);
	/* rung 1 has too few: the model is rung 0's */
	assert_int_equal(bo__bohb_ask(b, 12, x, &k), 0);
	assert_int_equal(k, 0);
	tpe_reference(s, 2385, 12, xs, acc, rung, n, 0, y);
	assert_memory_equal(x, y, sizeof x);
	/* every third ask is random */
	assert_int_equal(bo__bohb_ask(b, 14, x, &k), 0);
	assert_int_equal(k, -1);
	/* more at rung 1: its model takes over */
	while (1) {
		int c1 = 0;
		for (i = 0; i < n; i++)
			c1 += rung[i] == 1;
		if (c1 >= 4)
			break;
		bo__fidelity_next(f, &fn);
		if (fn.kind == BO_FID_NEW) {
			xs[n][0] = 0.001 + unif() * 0.9;
			xs[n][2] = (double)(n % 2);
		} else
			memcpy(xs[n], bo__fidelity_config_x(f, fn.config), sizeof xs[n]);
		xs[n][1] = fn.value;
		rung[n] = fn.rung;
		acc[n] = xs[n][0] * (1 - exp(-fn.value / 3.0)) + 0.1 * xs[n][2];
		assert_int_equal(bo__fidelity_started(f, ++id, &fn, xs[n]), 0);
		assert_int_equal(bo__fidelity_finished(f, id, acc[n]), 0);
		assert_int_equal(bo__bohb_observe(b, id, xs[n], &acc[n], BO_TRIAL_COMPLETE, 0.1), 0);
		n++;
		assert_true(n < 40);
	}
	assert_int_equal(bo__bohb_ask(b, 30, x, &k), 0);
	assert_int_equal(k, 1);
	tpe_reference(s, 2385, 30, xs, acc, rung, n, 1, y);
	assert_memory_equal(x, y, sizeof x);
	tpe_reference(s, 2385, 30, xs, acc, rung, n, 0, y);
	assert_true(memcmp(x, y, sizeof x) != 0);   /* not rung 0's */
	bo__bohb_free(b);
	bo__fidelity_free(f);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rung_values),
		cmocka_unit_test(test_asha_sequential),
		cmocka_unit_test(test_asha_parallel),
		cmocka_unit_test(test_hyperband),
		cmocka_unit_test(test_study),
		cmocka_unit_test(test_bohb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
