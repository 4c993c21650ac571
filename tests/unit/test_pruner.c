/*
 * tests/unit/test_pruner.c - the pruning rules (runner/pruner.c) on
 * scripted learning curves, and the study reader's pruner: section.
 *
 * Each rule is checked against an answer the test works out on its own:
 * the median by sorting, ASHA's promotions by counting better values at
 * each rung (rungs at min_step * eta^i by integer products), Hyperband's
 * brackets and their sizes from the paper's formulas in integer
 * arithmetic, patience from where a plateau starts, the cost rule against
 * the trial's true final value per unit cost, and the multi-objective rule
 * against a brute-force front and dominance check. Every test also checks
 * that some trials were stopped and some were not, so none passes
 * vacuously.
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
#include "core/trial.h"
#include "runner/pruner.h"
#include "study_parse.h"

static uint64_t rng = 0x2385u;

static double unif(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static char *NAMES[] = {"a", "b", "c"};

static bo_pruner_spec spec(int kind, size_t nm, int *goals)
{
	bo_pruner_spec s;
	memset(&s, 0, sizeof s);
	s.kind = kind;
	s.nmetrics = nm;
	s.metrics = NAMES;
	s.goals = goals;
	s.min_trials = 1;
	s.min_step = 1;
	s.eta = 3;
	s.lower = s.upper = s.max_value = NAN;
	return s;
}

static bo_pruner *make(const bo_pruner_spec *s)
{
	bo_pruner *p = NULL;
	assert_int_equal(bo__pruner_new(&p, s), 0);
	assert_non_null(p);
	return p;
}

/* A saturating learning curve with its own height and rate. */
typedef struct curve {
	double a, b;
} curve;

static double at(const curve *c, int64_t k)
{
	return c->a * (1.0 - exp(-c->b * (double)k));
}

static void random_curves(curve *c, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		c[i].a = 0.385 + 0.5 * unif();
		c[i].b = 0.07 + 0.6 * unif();
	}
}

/* ---- median -------------------------------------------------------- */

static double median_sorted(double *v, size_t n)
{
	size_t i, j;
	for (i = 1; i < n; i++)       /* insertion sort */
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MT 24
#define MS 12

static void run_median(int goal)
{
	curve c[MT];
	int complete[MT] = {0};
	int goals[1] = {goal};
	bo_pruner_spec s = spec(BO_PRUNER_MEDIAN, 1, goals);
	bo_pruner *p;
	size_t t, u;
	int64_t k;
	int npruned = 0, ndecided_go = 0;
	rng = 0x2385u;
	random_curves(c, MT);
	s.warmup_steps = 3;
	s.min_trials = 4;
	p = make(&s);
	for (t = 0; t < MT; t++) {
		double best = -INFINITY;
		int pruned = 0;
		for (k = 1; k <= MS && !pruned; k++) {
			double v = at(&c[t], k), others[MT], val = goal * v;
			size_t n = 0;
			int want = 0;
			bo_prune_decision d;
			best = fmax(best, v);
			if (k >= s.warmup_steps) {
				for (u = 0; u < t; u++)
					if (complete[u])
						others[n++] = at(&c[u], k);
				if ((int64_t)n >= s.min_trials)
					want = best < median_sorted(others, n);
			}
			assert_int_equal(bo__pruner_report(p, (int64_t)t + 1, k, &val, NAN, &d), 0);
			if (d.prune != want)
				print_error("trial %zu step %lld: got %d, want %d\n", t + 1, (long long)k, d.prune, want);
			assert_int_equal(d.prune, want);
			if (want) {
				assert_int_equal(d.step, k);
				assert_string_equal(d.rule, "median");
				assert_non_null(strstr(d.detail, "median"));
				pruned = 1;
			} else if ((int64_t)n >= s.min_trials) {
				ndecided_go++;
			}
		}
		if (pruned) {
			double last = goal * at(&c[t], k - 1);
			npruned++;
			/* a report after the stop is ignored */
			bo_prune_decision d;
			assert_int_equal(bo__pruner_report(p, (int64_t)t + 1, k, &last, NAN, &d), 0);
			assert_int_equal(d.prune, 0);
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_PRUNED, NULL, 1.0), 0);
		} else {
			double fin = goal * at(&c[t], MS);
			complete[t] = 1;
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_COMPLETE, &fin, 1.0), 0);
		}
	}
	assert_true(npruned > 0);
	assert_true(ndecided_go > 0);
	bo__pruner_free(p);
}

static void test_median(void **state)
{
	(void)state;
	run_median(1);
	run_median(-1);   /* a minimised metric: the same curves negated, the same stops */
}

/* Ties: a trial exactly at the median goes on; a hair below it stops. */
static void test_median_ties(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_MEDIAN, 1, goals);
	bo_pruner *p;
	const double lv[5] = {0.2385, 0.4, 0.6, 0.8, 1.0};
	bo_prune_decision d;
	double v;
	int i;
	(void)state;
	s.min_trials = 5;
	s.warmup_steps = 1;
	p = make(&s);
	for (i = 0; i < 5; i++) {
		v = lv[i];
		assert_int_equal(bo__pruner_report(p, i + 1, 1, &v, NAN, &d), 0);
		assert_int_equal(bo__pruner_finish(p, i + 1, BO_TRIAL_COMPLETE, &v, 1.0), 0);
	}
	v = lv[2];
	assert_int_equal(bo__pruner_report(p, 6, 1, &v, NAN, &d), 0);
	assert_int_equal(d.prune, 0);
	v = nextafter(lv[2], 0);
	assert_int_equal(bo__pruner_report(p, 7, 1, &v, NAN, &d), 0);
	assert_int_equal(d.prune, 1);
	bo__pruner_free(p);
}

/* ---- ASHA and Hyperband --------------------------------------------- */

/* Rung lists of the reference: the values recorded at each rung. */
typedef struct ref_rung {
	double v[512];
	size_t n;
} ref_rung;

/* Goes on iff fewer than max(1, floor(n / eta)) recorded values are better. */
static int ref_keep(ref_rung *r, double v, int64_t eta)
{
	size_t i, better = 0, keep;
	r->v[r->n++] = v;
	for (i = 0; i < r->n; i++)
		better += r->v[i] > v;
	keep = r->n / (size_t)eta;
	if (keep == 0)
		keep = 1;
	return better < keep;
}

static void test_asha_rungs(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_ASHA, 1, goals);
	bo_pruner *p;
	int64_t r;
	int i;
	(void)state;
	/* rung i at min_step * eta^i up to max_step (the paper's r * eta^k) */
	s.min_step = 1;
	s.eta = 3;
	s.max_step = 27;
	p = make(&s);
	for (r = 1, i = 0; r <= 27; r *= 3, i++)
		assert_int_equal(bo__pruner_rung_step(p, 0, i), r);
	assert_int_equal(i, 4);
	assert_int_equal(bo__pruner_rung_step(p, 0, i), 0);
	bo__pruner_free(p);
	s.min_step = 2;
	s.eta = 2;
	s.max_step = 40;
	p = make(&s);
	for (r = 2, i = 0; r <= 40; r *= 2, i++)
		assert_int_equal(bo__pruner_rung_step(p, 0, i), r);
	assert_int_equal(i, 5);
	assert_int_equal(bo__pruner_rung_step(p, 0, i), 0);
	bo__pruner_free(p);
}

#define AT 60

/* Feeds AT curves step by step (steps 1..max) and checks every decision
 * against ref_keep over the rung steps rungs[b][i] (0-terminated) of each
 * trial's bracket bracket_of(id). */
static void run_rungs(bo_pruner *p, int64_t max, int64_t eta, int64_t rungs[][8], const int *bracket_of,
		      int goal, int *out_reached_top)
{
	static ref_rung ref[8][8];
	curve c[AT];
	size_t t;
	int npruned = 0, top = 0;
	memset(ref, 0, sizeof ref);
	rng = 0x5eed;
	random_curves(c, AT);
	for (t = 0; t < AT; t++) {
		int b = bracket_of ? bracket_of[t] : 0, next = 0, pruned = 0;
		int64_t k;
		for (k = 1; k <= max && !pruned; k++) {
			double v = at(&c[t], k), val = goal * v;
			int want = 0;
			bo_prune_decision d;
			while (rungs[b][next] && rungs[b][next] < max && k >= rungs[b][next]) {
				if (!ref_keep(&ref[b][next], v, eta)) {
					want = 1;
					next++;
					break;
				}
				next++;
			}
			assert_int_equal(bo__pruner_report(p, (int64_t)t + 1, k, &val, NAN, &d), 0);
			if (d.prune != want)
				print_error("trial %zu step %lld: got %d, want %d\n", t + 1, (long long)k, d.prune, want);
			assert_int_equal(d.prune, want);
			if (want) {
				/* the detail names the rung's step as the reference has it */
				char at[48];
				if (bracket_of)
					snprintf(at, sizeof at, "at rung %d (step %lld, bracket %d)", next - 1,
						 (long long)rungs[b][next - 1], b);
				else
					snprintf(at, sizeof at, "at rung %d (step %lld)", next - 1,
						 (long long)rungs[b][next - 1]);
				assert_non_null(strstr(d.detail, at));
			}
			pruned = want;
		}
		if (pruned) {
			npruned++;
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_PRUNED, NULL, 1.0), 0);
		} else {
			double fin = goal * at(&c[t], max);
			top++;
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_COMPLETE, &fin, 1.0), 0);
		}
	}
	assert_true(npruned > 0);
	assert_true(top > 0);
	if (out_reached_top)
		*out_reached_top = top;
}

static void test_asha_promotions(void **state)
{
	int goals[1] = {1}, g;
	int64_t rungs[1][8] = {{0}};
	(void)state;
	for (g = -1; g <= 1; g += 2) {
		bo_pruner_spec s = spec(BO_PRUNER_ASHA, 1, goals);
		bo_pruner *p;
		int64_t r;
		int i = 0;
		goals[0] = g;
		s.min_step = 1;
		s.eta = 3;
		s.max_step = 27;
		for (r = 1; r <= 27; r *= 3)
			rungs[0][i++] = r;
		rungs[0][i] = 0;
		p = make(&s);
		run_rungs(p, 27, 3, rungs, NULL, g, NULL);
		bo__pruner_free(p);
	}
}

/* A resumed study: replaying the first trials' reports (up to where each
 * stopped) and their ends into a new pruner gives the later trials the same
 * decisions as one pruner that saw everything live; for each rule with
 * history (median, asha, hyperband). */
static void test_replay(void **state)
{
	static const int kinds[] = {BO_PRUNER_MEDIAN, BO_PRUNER_ASHA, BO_PRUNER_HYPERBAND};
	int goals[1] = {1};
	size_t kk;
	(void)state;
	for (kk = 0; kk < 3; kk++) {
		bo_pruner_spec s = spec(kinds[kk], 1, goals);
		bo_pruner *live, *resumed;
		curve c[AT];
		int64_t last[AT], k;
		int stopped_live[AT];
		size_t t, half = AT / 2;
		int nstopped = 0;
		rng = 0xfeed;
		random_curves(c, AT);
		s.min_trials = 3;
		s.max_step = 27;
		live = make(&s);
		resumed = make(&s);
		for (t = 0; t < AT; t++) {
			bo_prune_decision d;
			stopped_live[t] = 0;
			for (k = 1; k <= 27; k++) {
				double v = at(&c[t], k);
				assert_int_equal(bo__pruner_report(live, (int64_t)t + 1, k, &v, NAN, &d), 0);
				if (d.prune) {
					stopped_live[t] = 1;
					break;
				}
			}
			last[t] = k > 27 ? 27 : k;
			nstopped += stopped_live[t];
			if (stopped_live[t]) {
				assert_int_equal(bo__pruner_finish(live, (int64_t)t + 1, BO_TRIAL_PRUNED, NULL, 1), 0);
			} else {
				double fin = at(&c[t], 27);
				assert_int_equal(bo__pruner_finish(live, (int64_t)t + 1, BO_TRIAL_COMPLETE, &fin, 1), 0);
			}
		}
		for (t = 0; t < half; t++) {
			for (k = 1; k <= last[t]; k++) {
				double v = at(&c[t], k);
				assert_int_equal(bo__pruner_replay(resumed, (int64_t)t + 1, k, &v), 0);
			}
			if (stopped_live[t]) {
				assert_int_equal(bo__pruner_finish(resumed, (int64_t)t + 1, BO_TRIAL_PRUNED, NULL, 1), 0);
			} else {
				double fin = at(&c[t], 27);
				assert_int_equal(bo__pruner_finish(resumed, (int64_t)t + 1, BO_TRIAL_COMPLETE, &fin, 1), 0);
			}
		}
		for (t = half; t < AT; t++) {
			bo_prune_decision d;
			int stopped = 0;
			for (k = 1; k <= 27; k++) {
				double v = at(&c[t], k);
				assert_int_equal(bo__pruner_report(resumed, (int64_t)t + 1, k, &v, NAN, &d), 0);
				if (d.prune) {
					stopped = 1;
					break;
				}
			}
			assert_int_equal(stopped, stopped_live[t]);
			if (stopped)
				assert_int_equal(k, last[t]);
			assert_int_equal(bo__pruner_finish(resumed, (int64_t)t + 1,
							   stopped ? BO_TRIAL_PRUNED : BO_TRIAL_COMPLETE, NULL, 1), 0);
		}
		assert_true(nstopped > 0);
		bo__pruner_free(live);
		bo__pruner_free(resumed);
	}
}

/* Hyperband (Li et al. 2018): s_max = floor(log_eta R), bracket s has
 * n_s = ceil((s_max + 1) / (s + 1) * eta^s) trials starting at R eta^-s. */
static void test_hyperband(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_HYPERBAND, 1, goals);
	bo_pruner *p;
	const int64_t eta = 3, R = 81;
	int64_t smax = 0, pw = 1, n[8], cycle = 0, count[8] = {0}, rungs[8][8];
	int nb, sb, bracket_of[AT];
	int64_t id;
	size_t t;
	(void)state;
	while (pw * eta <= R) {
		pw *= eta;
		smax++;
	}
	for (sb = 0; sb <= smax; sb++) {
		int64_t e = 1, q;
		int i;
		for (i = 0; i < sb; i++)
			e *= eta;
		q = (smax + 1) * e;
		n[sb] = (q + sb) / (sb + 1);   /* ceil(q / (s + 1)) */
		cycle += n[sb];
	}
	s.min_step = 1;
	s.max_step = R;
	s.eta = (double)eta;
	p = make(&s);
	assert_int_equal(bo__pruner_bracket(p, 1, &nb), 0);
	assert_int_equal(nb, smax + 1);
	for (id = 1; id <= cycle; id++) {
		int b = bo__pruner_bracket(p, id, NULL);
		assert_true(b >= 0 && b <= smax);
		count[b]++;
		assert_int_equal(bo__pruner_bracket(p, id + cycle, NULL), b);
	}
	for (sb = 0; sb <= smax; sb++) {
		int b = (int)(smax - sb);
		int64_t first = R, r;
		int i;
		for (i = 0; i < sb; i++)
			first /= eta;
		assert_int_equal(count[b], n[sb]);
		/* bracket s starts at R eta^-s and ends at R after s + 1 rungs */
		for (i = 0, r = first; r <= R; r *= eta, i++) {
			assert_int_equal(bo__pruner_rung_step(p, b, i), r);
			rungs[b][i] = r;
		}
		assert_int_equal(i, sb + 1);
		rungs[b][i] = 0;
		assert_int_equal(bo__pruner_rung_step(p, b, i), 0);
	}
	for (t = 0; t < AT; t++)
		bracket_of[t] = bo__pruner_bracket(p, (int64_t)t + 1, NULL);
	run_rungs(p, R, eta, rungs, bracket_of, 1, NULL);
	bo__pruner_free(p);
}

/* ---- patience and threshold ---------------------------------------- */

/* A curve that rises by 0.0385 a report up to report c, then stays flat
 * (with a wiggle below min_delta): patience P stops it at report c + P. */
static void test_patience(void **state)
{
	int goals[1], g;
	const int64_t P = 3, N = 30;
	(void)state;
	for (g = -1; g <= 1; g += 2) {
		bo_pruner_spec s;
		bo_pruner *p;
		int64_t c, stopped = 0, ran = 0;
		goals[0] = g;
		s = spec(BO_PRUNER_PATIENCE, 1, goals);
		s.patience = P;
		s.min_delta = 1e-3;
		p = make(&s);
		for (c = 1; c <= N; c++) {
			/* report index i = 0..N-1 at step 2i + 1 (steps need not be 1, 2, ...) */
			int64_t i, want_at = c + P;   /* reports are 0-based: rise through index c */
			for (i = 0; i < N; i++) {
				double v = 0.1 + 0.0385 * (double)(i < c ? i : c) + (i > c ? 4e-4 * ((i % 2) ? 1 : -1) : 0);
				double val = g * v;
				bo_prune_decision d;
				assert_int_equal(bo__pruner_report(p, c, 2 * i + 1, &val, NAN, &d), 0);
				assert_int_equal(d.prune, i == want_at);
				if (d.prune) {
					assert_int_equal(d.step, 2 * i + 1);
					stopped++;
					break;
				}
			}
			if (i == N) {
				assert_true(want_at >= N);
				ran++;
			}
			assert_int_equal(bo__pruner_finish(p, c, i == N ? BO_TRIAL_COMPLETE : BO_TRIAL_PRUNED, NULL, 1), 0);
		}
		assert_true(stopped > 0 && ran > 0);
		bo__pruner_free(p);
	}
}

/* An exact plateau with min_delta 0 is no improvement. */
static void test_patience_plateau(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_PATIENCE, 1, goals);
	bo_pruner *p;
	const double v[6] = {0.1, 0.2, 0.3, 0.3, 0.3, 0.3};
	bo_prune_decision d;
	int i;
	(void)state;
	s.patience = 2;
	p = make(&s);
	for (i = 0; i < 6; i++) {
		double x = v[i];
		assert_int_equal(bo__pruner_report(p, 1, i + 1, &x, NAN, &d), 0);
		assert_int_equal(d.prune, i == 4);   /* reports 3 and 4 add nothing to report 2 */
		if (d.prune)
			break;
	}
	assert_int_equal(i, 4);
	bo__pruner_free(p);
}

static void test_threshold(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_THRESHOLD, 1, goals);
	bo_pruner *p;
	curve c[40];
	size_t t;
	int stopped = 0, ran = 0;
	(void)state;
	rng = 0x7e57;
	random_curves(c, 40);
	s.lower = 0.3;
	s.upper = 0.8;
	s.warmup_steps = 2;
	p = make(&s);
	for (t = 0; t < 40; t++) {
		int64_t k, want = 0;
		for (k = s.warmup_steps; k <= 15 && !want; k++) {
			double v = at(&c[t], k);
			if (v < s.lower || v > s.upper)
				want = k;
		}
		for (k = 1; k <= 15; k++) {
			double v = at(&c[t], k);
			bo_prune_decision d;
			assert_int_equal(bo__pruner_report(p, (int64_t)t + 1, k, &v, NAN, &d), 0);
			assert_int_equal(d.prune, k == want);
			if (d.prune)
				break;
		}
		stopped += want != 0;
		ran += want == 0;
	}
	assert_true(stopped > 0 && ran > 0);
	bo__pruner_free(p);
}

/* ---- the cost rule -------------------------------------------------- */

/* Saturating curves are concave, so the optimistic projection is never
 * below the truth: a stopped trial could never have beaten the
 * incumbent's value per unit cost, and the test checks exactly that, and
 * that each stop is at the first step where the projection falls short. */
static void test_cost(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_COST, 1, goals);
	bo_pruner *p;
	enum { CT = 40, K = 20 };
	curve c[CT];
	double price[CT], best_ratio = -INFINITY;
	size_t t;
	int stopped = 0, ran = 0, ncomplete = 0;
	(void)state;
	rng = 0xc057;
	random_curves(c, CT);
	for (t = 0; t < CT; t++)
		price[t] = 0.0125 + 0.03 * unif();   /* money per step */
	s.max_step = K;
	s.min_trials = 3;
	s.max_value = 1.0;
	s.margin = 0.05;
	p = make(&s);
	for (t = 0; t < CT; t++) {
		int64_t k;
		double slope = 0, best = -INFINITY;
		int pruned = 0;
		for (k = 1; k <= K && !pruned; k++) {
			double v = at(&c[t], k), cost = price[t] * (double)k;
			int want = 0;
			bo_prune_decision d;
			if (k > 1)
				slope = fmax(slope, v - at(&c[t], k - 1));
			best = fmax(best, v);
			if (ncomplete >= s.min_trials && k > 1) {
				double proj = fmin(best + slope * (double)(K - k), s.max_value);
				want = proj / (price[t] * K) < best_ratio * (1 - s.margin);
			}
			assert_int_equal(bo__pruner_report(p, (int64_t)t + 1, k, &v, cost, &d), 0);
			assert_int_equal(d.prune, want);
			if (want) {
				/* what it would really have reached: not better */
				assert_true(at(&c[t], K) / (price[t] * K) < best_ratio);
				assert_string_equal(d.rule, "cost");
				pruned = 1;
			}
		}
		if (pruned) {
			stopped++;
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_PRUNED, NULL, price[t] * (double)(k - 1)), 0);
		} else {
			double fin = at(&c[t], K);
			ran++;
			ncomplete++;
			best_ratio = fmax(best_ratio, fin / (price[t] * K));
			assert_int_equal(bo__pruner_finish(p, (int64_t)t + 1, BO_TRIAL_COMPLETE, &fin, price[t] * K), 0);
		}
	}
	assert_true(stopped > 0 && ran > (int)s.min_trials);
	bo__pruner_free(p);
}

/* ---- several objectives: dominated with a margin -------------------- */

static double grid(void)
{
	return floor(unif() * 16.0) / 4.0 - 2.0;   /* -2, -1.75, ..., 1.75: ties */
}

/* Brute force: the nondominated complete points (larger is better), then
 * whether one of them beats q by margin * |q| in every coordinate and
 * strictly in one. */
static int brute_dominated(double f[][3], size_t n, const double *q, double margin)
{
	size_t i, j, m;
	for (i = 0; i < n; i++) {
		int front = 1, all = 1, strict = 0;
		for (j = 0; j < n && front; j++) {
			int ge = 1, gt = 0;
			for (m = 0; m < 3; m++) {
				ge &= f[j][m] >= f[i][m];
				gt |= f[j][m] > f[i][m];
			}
			if (j != i && ge && gt)
				front = 0;
		}
		if (!front)
			continue;
		for (m = 0; m < 3; m++) {
			all &= f[i][m] >= q[m] + margin * fabs(q[m]);
			strict |= f[i][m] > q[m];
		}
		if (all && strict)
			return 1;
	}
	return 0;
}

static void test_pareto(void **state)
{
	int goals[3] = {1, -1, 1};
	int round, yes = 0, no = 0;
	(void)state;
	rng = 0x9a7e70;
	for (round = 0; round < 600; round++) {
		bo_pruner_spec s = spec(BO_PRUNER_PARETO, 3, goals);
		bo_pruner *p;
		/* per complete trial: its step-1 point, step-2 point, final point */
		double a[12][3], b[12][3], f[12][3], s1[12][3], s2[12][3], fin[12][3], q[3], r1[3], r2[3];
		size_t n = 1 + (size_t)(unif() * 11), i, m, nc = 0;
		int finals = round % 3 == 0;
		bo_prune_decision d;
		int want;
		s.margin = round % 2 ? 0.0 : 0.125;
		s.max_step = finals ? 2 : 0;
		p = make(&s);
		for (i = 0; i < n; i++) {
			double ra[3], rb[3], rf[3];
			int stopped;
			for (m = 0; m < 3; m++) {
				a[i][m] = grid();
				b[i][m] = grid();
				f[i][m] = grid();
				ra[m] = goals[m] * a[i][m];
				rb[m] = goals[m] * b[i][m];
				rf[m] = goals[m] * f[i][m];
			}
			assert_int_equal(bo__pruner_report(p, (int64_t)i + 1, 1, ra, 1.0, &d), 0);
			stopped = d.prune;
			if (!stopped) {
				assert_int_equal(bo__pruner_report(p, (int64_t)i + 1, 2, rb, 2.0, &d), 0);
				stopped = d.prune;
			}
			if (stopped) {
				assert_int_equal(bo__pruner_finish(p, (int64_t)i + 1, BO_TRIAL_PRUNED, NULL, 1.0), 0);
				continue;
			}
			assert_int_equal(bo__pruner_finish(p, (int64_t)i + 1, BO_TRIAL_COMPLETE, rf, 2.0), 0);
			for (m = 0; m < 3; m++) {
				s1[nc][m] = a[i][m];
				s2[nc][m] = fmax(a[i][m], b[i][m]);
				fin[nc][m] = f[i][m];
			}
			nc++;
		}
		/* a failed trial's point never counts */
		{
			double raw[3] = {100, -100, 100};
			assert_int_equal(bo__pruner_report(p, (int64_t)n + 1, 1, raw, 1.0, &d), 0);
			assert_int_equal(bo__pruner_report(p, (int64_t)n + 1, 2, raw, 1.0, &d), 0);
			assert_int_equal(bo__pruner_finish(p, (int64_t)n + 1, BO_TRIAL_FAILED, raw, 1.0), 0);
		}
		for (m = 0; m < 3; m++) {
			double x = grid(), y = grid();
			r1[m] = goals[m] * x;
			r2[m] = goals[m] * y;
			q[m] = fmax(x, y);     /* its best so far in each */
		}
		assert_int_equal(bo__pruner_report(p, (int64_t)n + 2, 1, r1, 1.0, &d), 0);
		if (finals) {
			/* one report: nothing to project from */
			assert_int_equal(d.prune, 0);
		} else {
			double q1[3];
			for (m = 0; m < 3; m++)
				q1[m] = goals[m] * r1[m];
			assert_int_equal(d.prune, nc > 0 && brute_dominated(s1, nc, q1, s.margin));
		}
		if (!d.prune) {
			assert_int_equal(bo__pruner_report(p, (int64_t)n + 2, 2, r2, 2.0, &d), 0);
			want = nc > 0 && brute_dominated(finals ? fin : s2, nc, q, s.margin);
			assert_int_equal(d.prune, want);
		} else {
			want = 1;
		}
		if (want)
			assert_non_null(strstr(d.detail, finals ? "projected to step 2" : "best-so-far point"));
		yes += want;
		no += !want;
		bo__pruner_free(p);
	}
	assert_true(yes > 20 && no > 20);
}

/* Equal points do not dominate; a margin must be passed in every metric. */
static void test_pareto_ties(void **state)
{
	int goals[2] = {1, -1};
	bo_pruner_spec s = spec(BO_PRUNER_PARETO, 2, goals);
	bo_pruner *p;
	double f[2] = {0.75, 10.0}, q[2];
	bo_prune_decision d;
	(void)state;
	s.max_step = 1;   /* a report at step 1 is complete: compared with final points */
	p = make(&s);
	assert_int_equal(bo__pruner_finish(p, 1, BO_TRIAL_COMPLETE, f, 1.0), 0);
	q[0] = 0.75, q[1] = 10.0;     /* the same point */
	assert_int_equal(bo__pruner_report(p, 2, 1, q, NAN, &d), 0);
	assert_int_equal(d.prune, 0);
	q[0] = 0.75, q[1] = 10.5;     /* worse in one, equal in the other */
	assert_int_equal(bo__pruner_report(p, 3, 1, q, NAN, &d), 0);
	assert_int_equal(d.prune, 1);
	bo__pruner_free(p);
	s.margin = 0.1;
	p = make(&s);
	assert_int_equal(bo__pruner_finish(p, 1, BO_TRIAL_COMPLETE, f, 1.0), 0);
	q[0] = 0.70, q[1] = 10.5;     /* 0.75 < 0.70 * 1.1: not by the margin */
	assert_int_equal(bo__pruner_report(p, 2, 1, q, NAN, &d), 0);
	assert_int_equal(d.prune, 0);
	q[0] = 0.6, q[1] = 11.5;      /* 0.75 >= 0.66 and 10 <= 11.5 - 1.15 */
	assert_int_equal(bo__pruner_report(p, 3, 1, q, NAN, &d), 0);
	assert_int_equal(d.prune, 1);
	assert_non_null(strstr(d.detail, "dominated by trial 1"));
	bo__pruner_free(p);
}

/* ---- none, and reports without the metric ---------------------------- */

static void test_none_and_missing(void **state)
{
	int goals[1] = {1};
	bo_pruner_spec s = spec(BO_PRUNER_NONE, 0, NULL);
	bo_pruner *p = make(&s);
	bo_prune_decision d;
	double v = -1e300, nan = NAN;
	int64_t k;
	(void)state;
	for (k = 1; k < 50; k++) {
		assert_int_equal(bo__pruner_report(p, 1, k, &v, 1e9, &d), 0);
		assert_int_equal(d.prune, 0);
	}
	bo__pruner_free(p);
	s = spec(BO_PRUNER_THRESHOLD, 1, goals);
	s.lower = 0;
	p = make(&s);
	assert_int_equal(bo__pruner_report(p, 1, 1, &nan, NAN, &d), 0);
	assert_int_equal(d.prune, 0);
	assert_int_equal(bo__pruner_report(p, 1, 2, &v, NAN, &d), 0);
	assert_int_equal(d.prune, 1);
	bo__pruner_free(p);
}

/* ---- the study reader ----------------------------------------------- */

static const char BASE[] = "name: x\nspace:\n  lr: {float: [0, 1]}\nmetrics:\n  acc: {maximize: true}\n"
			   "  loss: {minimize: true}\n  t: {}\nevaluator: {command: [a]}\n";

static bo_study *parse_with(const char *pruner, bo_diags **d)
{
	char text[1024];
	bo_study *s = NULL;
	snprintf(text, sizeof text, "%spruner: %s\n", BASE, pruner);
	bo_study_parse(&s, text, strlen(text), "t.yaml", NULL, d);
	return s;
}

static void expect_diag(const char *pruner, const char *want)
{
	bo_diags *d = NULL;
	bo_study *s = parse_with(pruner, &d);
	test_expect_diag(s, d, want);
}

static void test_reader(void **state)
{
	bo_diags *d = NULL;
	bo_study *s;
	(void)state;
	/* line 9 is the pruner: line; its value starts at column 9 */
	expect_diag("medain", "t.yaml:9:9: pruner: unknown rule \"medain\" (did you mean \"median\"?)");
	expect_diag("{asha: {min_stp: 1}}", "t.yaml:9:17: unknown key \"min_stp\" in pruner: asha (did you mean \"min_step\"?)");
	expect_diag("{hyperband: {min_step: 1}}", "pruner: hyperband needs max_step");
	expect_diag("{median: {metric: accuracy}}", "\"accuracy\" is not a metric the evaluator reports");
	expect_diag("{median: {metric: accuracy}}", "(did you mean \"acc\"?)");
	expect_diag("{median: {metric: t}}", "metric \"t\" has no direction");
	expect_diag("{cost: {max_step: 10, metric: loss}}", "must be maximized");
	expect_diag("{asha: {eta: 1}}", "eta: expected a number > 1");
	expect_diag("{patience: {min_delta: 0.1}}", "patience needs steps");
	expect_diag("{threshold: {warmup_steps: 2}}", "threshold needs lower:, upper: or both");
	expect_diag("{median: {warmup_steps: 2.5}}", "warmup_steps: expected a whole number");
	expect_diag("[median]", "pruner: expected a rule");

	s = parse_with("none", &d);
	assert_non_null(s);
	assert_int_equal(s->pruner.kind, BO_PRUNER_NONE);
	bo_study_free(s);
	s = parse_with("median", &d);
	assert_non_null(s);
	assert_int_equal(s->pruner.kind, BO_PRUNER_MEDIAN);
	assert_int_equal(s->pruner.nmetrics, 1);
	assert_string_equal(s->pruner.metrics[0], "acc");   /* the first metric with a direction */
	assert_int_equal(s->pruner.goals[0], 1);
	assert_int_equal(s->pruner.min_trials, 5);
	bo_study_free(s);
	s = parse_with("{successive_halving: {min_resource: 2, eta: 2, max_step: 32, metric: loss}}", &d);
	assert_non_null(s);
	assert_int_equal(s->pruner.kind, BO_PRUNER_ASHA);
	assert_int_equal(s->pruner.min_step, 2);
	assert_int_equal(s->pruner.max_step, 32);
	assert_true(s->pruner.eta == 2.0);
	assert_int_equal(s->pruner.goals[0], -1);
	bo_study_free(s);
	s = parse_with("{pareto: {metrics: [acc, loss], margin: 0.05}}", &d);
	assert_non_null(s);
	assert_int_equal(s->pruner.nmetrics, 2);
	assert_int_equal(s->pruner.goals[0], 1);
	assert_int_equal(s->pruner.goals[1], -1);
	assert_true(s->pruner.margin == 0.05);
	bo_study_free(s);
	/* absent: none */
	{
		bo_study *t = NULL;
		assert_int_equal(bo_study_parse(&t, BASE, strlen(BASE), "t.yaml", NULL, &d), 0);
		assert_int_equal(t->pruner.kind, BO_PRUNER_NONE);
		bo_study_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_median_ties),
		cmocka_unit_test(test_patience_plateau),
		cmocka_unit_test(test_pareto_ties),
		cmocka_unit_test(test_asha_rungs),
		cmocka_unit_test(test_asha_promotions),
		cmocka_unit_test(test_hyperband),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_patience),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_none_and_missing),
		cmocka_unit_test(test_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
