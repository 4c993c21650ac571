/*
 * tests/unit/test_promote.c - scenario_policy: promote (issue 10 item 4):
 * the study reader's promote: map and its diagnostics, and the runner's
 * promotion bookkeeping (runner/promote.c) against a brute-force ranking
 * written here independently: for each rung, rescan its prefix of
 * configurations, drop the promoted and those without a finite base
 * value, and pick the best top by a full selection (not a sort), ties to
 * the lower id. Trials end in a shuffled order, and a second bookkeeper
 * replays them in id order as a resumed run does: both must promote the
 * same configurations in the same rungs.
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

#include "budgetopt/common.h"
#include "core/alloc.h"
#include "budgetopt/study.h"
#include "core/model.h"
#include "runner/promote.h"

static const char HEAD[] =
	"name: t\n"
	"space:\n"
	"  x: {float: [0, 1]}\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"objectives: [acc]\n"
	"scenarios:\n"
	"  clean: {}\n"
	"  shifted: {}\n"
	"  noisy: {}\n"
	"budget: {money: 10}\n"
	"evaluator:\n"
	"  command: [ev]\n";

/* Parses HEAD followed by tail: the study, or NULL with the first
 * diagnostic in msg. */
static bo_study *parse_tail(const char *tail, char *msg, size_t size)
{
	char text[2048];
	bo_study *s = NULL;
	bo_diags *d = NULL;
	snprintf(text, sizeof text, "%s%s", HEAD, tail);
	msg[0] = '\0';
	if (bo_study_parse(&s, text, strlen(text), "t.yaml", NULL, &d) != 0 && d && bo_diags_count(d))
		snprintf(msg, size, "%s", bo_diags_get(d, 0));
	bo_diags_free(d);
	return s;
}

static void test_parse(void **state)
{
	char msg[512];
	bo_study *s;
	(void)state;
	s = parse_tail("scenario_policy: promote\n", msg, sizeof msg);
	assert_non_null(s);
	assert_int_equal(s->scenario_policy, BO_SCEN_POLICY_PROMOTE);
	assert_int_equal(s->promote.top, BO_PROMOTE_TOP);
	assert_int_equal(s->promote.every, BO_PROMOTE_EVERY);
	assert_true(s->promote.reserve == BO_PROMOTE_RESERVE);
	assert_int_equal(s->promote.base, 0);
	bo_study_free(s);
	s = parse_tail("scenario_policy: {promote: {top: 2, every: 5, reserve: 0.125, base: noisy}}\n", msg,
		       sizeof msg);
	assert_non_null(s);
	assert_int_equal(s->promote.top, 2);
	assert_int_equal(s->promote.every, 5);
	assert_true(s->promote.reserve == 0.125);
	assert_int_equal(s->promote.base, 2);
	bo_study_free(s);
	/* the line of HEAD's end is 14: diagnostics point into the map */
	assert_null(parse_tail("scenario_policy: {promote: {reserve: 1}}\n", msg, sizeof msg));
	assert_non_null(strstr(msg, "t.yaml:14:38: scenario_policy: promote: reserve must be a share in [0, 1)"));
	assert_null(parse_tail("scenario_policy: {promote: {base: noisi}}\n", msg, sizeof msg));
	assert_non_null(strstr(msg, "t.yaml:14:35: "));
	assert_non_null(strstr(msg, "(did you mean \"noisy\"?)"));
	assert_null(parse_tail("scenario_policy: {promote: {top: 0}}\n", msg, sizeof msg));
	assert_non_null(strstr(msg, "t.yaml:14:34: "));
	assert_null(parse_tail("scenario_policy: promot\n", msg, sizeof msg));
	assert_non_null(strstr(msg, "(did you mean \"promote\"?)"));
}

/* A small deterministic generator (the test's own, not the library's). */
static uint64_t lcg(uint64_t *st)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return *st >> 33;
}

#define NC 23                 /* configurations */
#define MAXREP 2

typedef struct script {
	int64_t nrep, top, every;
	size_t nscen, base;
	double val[NC][MAXREP];   /* each base unit's value (NaN: none) */
	int64_t want_rung[NC];    /* brute force: the rung that promotes it, 0: none */
	int64_t want_rank[NC];
	int64_t nrungs;           /* regular */
} script;

static double conf_mean(const script *sc, size_t c)
{
	double s = 0;
	int64_t k;
	for (k = 0; k < sc->nrep; k++) {
		if (!isfinite(sc->val[c][k]))
			return NAN;
		s += sc->val[c][k];
	}
	return s / (double)sc->nrep;
}

/* Rung `rung` over the first upto configurations: repeatedly take the best
 * remaining candidate (a selection by rescanning). */
static void brute_rung(script *sc, size_t upto, int64_t rung)
{
	int64_t r;
	for (r = 1; r <= sc->top; r++) {
		size_t c, best = NC;
		for (c = 0; c < upto; c++) {
			double v = conf_mean(sc, c);
			if (sc->want_rung[c] || !isfinite(v))
				continue;
			if (best == NC || v > conf_mean(sc, best))
				best = c;     /* strict: a tie keeps the lower index */
		}
		if (best == NC)
			return;
		sc->want_rung[best] = rung;
		sc->want_rank[best] = r;
	}
}

static void brute(script *sc)
{
	int64_t n;
	memset(sc->want_rung, 0, sizeof sc->want_rung);
	sc->nrungs = NC / sc->every;
	for (n = 1; n <= sc->nrungs; n++)
		brute_rung(sc, (size_t)(n * sc->every), n);
	brute_rung(sc, NC, sc->nrungs + 1);
}

/* Trials: configuration c's base unit k has id c * nrep + k + 1 (launched in
 * that order); promotion units get ids after all of them. */
static void check_picks(const script *sc, const bo_promote_pick *pk, size_t n, int64_t *seen)
{
	size_t i;
	for (i = 0; i < n; i++) {
		size_t c = (size_t)((pk[i].id - 1) / sc->nrep);
		assert_true(c < NC);
		assert_int_equal(pk[i].id, (int64_t)c * sc->nrep + 1);
		assert_int_equal(pk[i].rung, sc->want_rung[c]);
		assert_int_equal(pk[i].rank, sc->want_rank[c]);
		assert_int_equal(pk[i].final, sc->want_rung[c] == sc->nrungs + 1);
		assert_true(fabs(pk[i].value - conf_mean(sc, c)) <= 1e-12 * fabs(conf_mean(sc, c)));
		assert_int_equal(seen[c], 0);
		seen[c] = pk[i].rung;
	}
}

static int try_book(const script *sc, bo_promote **p)
{
	bo_study s;
	bo_scenario scen[3];
	memset(&s, 0, sizeof s);
	memset(scen, 0, sizeof scen);
	s.nparams = 1;
	s.nscenarios = sc->nscen;
	s.scenarios = scen;
	scen[0].name = (char *)"a";
	scen[1].name = (char *)"b";
	scen[2].name = (char *)"c";
	s.promote.top = sc->top;
	s.promote.every = sc->every;
	s.promote.base = sc->base;
	return bo__promote_new(p, &s, sc->nrep);
}

static void new_book(const script *sc, bo_promote **p)
{
	assert_int_equal(try_book(sc, p), 0);
	assert_int_equal(bo__promote_base(*p), sc->base);
}

/* Runs one script live (shuffled ends), then launches half of the
 * promotion units and replays everything into a second bookkeeper. */
static void run_script(script *sc, uint64_t seed)
{
	bo_promote *p = NULL, *q = NULL;
	const bo_promote_pick *pk;
	size_t n, i, c, nb = NC * (size_t)sc->nrep, order[NC * MAXREP];
	int64_t seen[NC], seen2[NC], k, id, nextid = (int64_t)nb + 1;
	int64_t pid[NC * 3 * MAXREP];
	size_t pscen[NC * 3 * MAXREP], pc[NC * 3 * MAXREP], np = 0;
	int64_t prep[NC * 3 * MAXREP];
	double x[1];
	bo_promote_counts cnt;

	brute(sc);
	memset(seen, 0, sizeof seen);
	memset(seen2, 0, sizeof seen2);
	new_book(sc, &p);
	for (c = 0; c < NC; c++)
		for (k = 0; k < sc->nrep; k++) {
			x[0] = 0.125 + (double)c;
			assert_int_equal(bo__promote_launched(p, (int64_t)c * sc->nrep + k + 1, x, sc->base, k), 0);
		}
	for (i = 0; i < nb; i++)
		order[i] = i;
	for (i = nb; i > 1; i--) {
		size_t j = (size_t)(lcg(&seed) % i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (i = 0; i < nb; i++) {
		c = order[i] / (size_t)sc->nrep;
		k = (int64_t)(order[i] % (size_t)sc->nrep);
		assert_int_equal(bo__promote_ended(p, (int64_t)order[i] + 1, sc->val[c][k], 0.5), 0);
		assert_int_equal(bo__promote_close(p, &pk, &n), 0);
		check_picks(sc, pk, n, seen);
	}
	assert_true(bo__promote_base_spent(p) == 0.5 * (double)nb);
	/* the final rung comes only with the end of exploration */
	for (c = 0; c < NC; c++)
		assert_int_equal(seen[c], sc->want_rung[c] <= sc->nrungs ? sc->want_rung[c] : 0);
	bo__promote_explore_end(p);
	assert_int_equal(bo__promote_close(p, &pk, &n), 0);
	check_picks(sc, pk, n, seen);
	for (c = 0; c < NC; c++)
		assert_int_equal(seen[c], sc->want_rung[c]);
	assert_int_equal(bo__promote_close(p, &pk, &n), 0);
	assert_int_equal(n, 0);
	/* promotion units: every other scenario and repeat of each promoted
	 * configuration, never the base; half of them launched */
	while (bo__promote_next(p, x, &pscen[np], &prep[np])) {
		c = (size_t)(x[0] - 0.125);
		assert_true(c < NC && sc->want_rung[c] > 0);
		assert_true(pscen[np] != sc->base && pscen[np] < sc->nscen);
		assert_true(prep[np] >= 0 && prep[np] < sc->nrep);
		for (i = 0; i < np; i++)
			assert_false(pc[i] == c && pscen[i] == pscen[np] && prep[i] == prep[np]);
		pc[np] = c;
		pid[np] = nextid++;
		assert_int_equal(bo__promote_launched(p, pid[np], x, pscen[np], prep[np]), 0);
		np++;
	}
	bo__promote_counts(p, &cnt);
	assert_int_equal(cnt.configs, NC);
	assert_int_equal(cnt.ended, NC);
	assert_int_equal(cnt.base_units, (int64_t)nb);
	assert_int_equal(cnt.rungs, sc->nrungs + 1);
	for (k = 0, c = 0; c < NC; c++)
		k += sc->want_rung[c] > 0;
	assert_int_equal(cnt.promoted, k);
	assert_int_equal(np, (size_t)k * (sc->nscen - 1) * (size_t)sc->nrep);

	/* resume: replay in id order the base units and the first half of the
	 * promotion units (as if the runner died then), with the first pick's
	 * event recorded; the replay may see a promotion trial before its rung */
	new_book(sc, &q);
	for (i = 0; i < NC; i++)
		if (sc->want_rung[i] == 1 && sc->want_rank[i] == 1)
			assert_int_equal(bo__promote_recorded(q, (int64_t)i * sc->nrep + 1), 0);
	bo__promote_explore_end(q);
	for (id = 1; id < (int64_t)nb + 1 + (int64_t)np / 2; id++) {
		if (id <= (int64_t)nb) {
			c = (size_t)(id - 1) / (size_t)sc->nrep;
			k = (id - 1) % sc->nrep;
			x[0] = 0.125 + (double)c;
			assert_int_equal(bo__promote_launched(q, id, x, sc->base, k), 0);
			assert_int_equal(bo__promote_ended(q, id, sc->val[c][k], 0.5), 0);
		} else {
			i = (size_t)(id - (int64_t)nb - 1);
			x[0] = 0.125 + (double)pc[i];
			assert_int_equal(bo__promote_launched(q, id, x, pscen[i], prep[i]), 0);
			assert_int_equal(bo__promote_ended(q, id, NAN, 0.5), 0);
		}
	}
	assert_int_equal(bo__promote_close(q, &pk, &n), 0);
	check_picks(sc, pk, n, seen2);
	for (i = 0; i < n; i++)
		assert_int_equal(pk[i].recorded, pk[i].rung == 1 && pk[i].rank == 1);
	for (c = 0; c < NC; c++)
		assert_int_equal(seen2[c], sc->want_rung[c]);
	/* what is left to launch: exactly the second half, in the same order */
	for (i = (size_t)np / 2; i < np; i++) {
		size_t s2;
		int64_t r2;
		assert_int_equal(bo__promote_next(q, x, &s2, &r2), 1);
		assert_true(x[0] == 0.125 + (double)pc[i]);
		assert_int_equal(s2, pscen[i]);
		assert_int_equal(r2, prep[i]);
		assert_int_equal(bo__promote_launched(q, pid[i], x, s2, r2), 0);
	}
	assert_int_equal(bo__promote_next(q, x, &pscen[0], &prep[0]), 0);
	bo__promote_free(p);
	bo__promote_free(q);
}

static void test_rungs(void **state)
{
	static const int64_t tops[] = {1, 2, 3, 30};
	static const int64_t everies[] = {1, 4, 5, 23, 40};
	uint64_t st = 977;
	script sc;
	size_t a, b, c;
	int64_t k;
	(void)state;
	for (a = 0; a < sizeof tops / sizeof *tops; a++)
		for (b = 0; b < sizeof everies / sizeof *everies; b++)
			for (k = 1; k <= MAXREP; k++) {
				memset(&sc, 0, sizeof sc);
				sc.nrep = k;
				sc.top = tops[a];
				sc.every = everies[b];
				sc.nscen = 2 + (size_t)((a + b) % 2);
				sc.base = (size_t)(b % sc.nscen);
				for (c = 0; c < NC; c++) {
					int64_t r;
					for (r = 0; r < k; r++) {
						uint64_t u = lcg(&st) % 100;
						/* failed or infeasible units, and ties (few values) */
						sc.val[c][r] = u < 12 ? NAN : 0.375 * (double)(u % 9) - 1.25;
					}
				}
				run_script(&sc, st);
			}
}

/* Fails the k-th allocation for every k through a short script (new
 * configurations, a rung, a promotion launched before and after its rung,
 * an event recorded): each call ends with BO_ENOMEM or succeeds, and the
 * bookkeeper frees cleanly (the sanitizers' leak check). */
static void test_alloc_torture(void **state)
{
	script sc;
	size_t k, n, s2;
	int ok;
	(void)state;
	memset(&sc, 0, sizeof sc);
	sc.nrep = 1;
	sc.top = 1;
	sc.every = 2;
	sc.nscen = 3;
	sc.base = 1;
	for (ok = 0, k = 1; k < 10000 && !ok; k++) {
		bo_promote *p = NULL;
		const bo_promote_pick *pk;
		double x[1] = {0.25}, y[1] = {0.75};
		int64_t r2;
		int rc;
		bo__alloc_fail_at(k);
		rc = try_book(&sc, &p);
		if (rc == 0)
			rc = bo__promote_recorded(p, 1);
		if (rc == 0)
			rc = bo__promote_launched(p, 1, x, 1, 0);
		if (rc == 0)
			rc = bo__promote_launched(p, 2, y, 1, 0);
		if (rc == 0)      /* replayed before its rung: kept aside */
			rc = bo__promote_launched(p, 3, x, 0, 0);
		if (rc == 0) {
			bo__promote_ended(p, 1, 0.5, 1);
			bo__promote_ended(p, 2, 0.25, 1);
			rc = bo__promote_close(p, &pk, &n);
		}
		bo__alloc_fail_at(0);
		if (rc == 0)
			ok = n == 1 && pk[0].id == 1 && pk[0].recorded && bo__promote_next(p, x, &s2, &r2) == 1 &&
			     s2 == 2 && r2 == 0 && x[0] == 0.25;
		else
			assert_int_equal(rc, BO_ENOMEM);
		bo__promote_free(p);
	}
	assert_true(ok && k > 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rungs),
		cmocka_unit_test(test_alloc_torture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
