/*
 * tests/unit/test_importance.c - parameter importance (report/importance.c)
 * with an identifier-like parameter planted beside real effects: it must be
 * flagged not estimable and left out, and the real effects' shares must
 * match a brute-force computation over the remaining parameters alone.
 *
 * Must never: write files, or depend on timing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "report/charts.h"

#define N 40

static unsigned long long seed = 29;

static double urand(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(seed >> 11) / 9007199254740992.0;
}

/* name: one label per row (r0 .. r39): an identifier. */
static void study_text(char *buf, size_t size)
{
	size_t i, len;
	len = (size_t)snprintf(buf, size, "name: imp\nspace:\n  fam: {choice: [p, q, r]}\n  b: {float: [0, 1]}\n"
					  "  name: {choice: [");
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(buf + len, size - len, "%sr%zu", i ? ", " : "", i);
	snprintf(buf + len, size - len, "]}\nmetrics:\n  y: {maximize: true}\nobjectives: [y]\n"
					"evaluator:\n  command: [\"true\"]\n");
}

/* The bias-adjusted share (epsilon squared) of grouping g[0..n) of y,
 * written from the formula, not from the library's code. */
static double eps2(const double *y, const int *g, size_t n, int ng)
{
	double mean = 0, sst = 0, ssb = 0, sum[N], cnt[N], e;
	size_t i;
	int k, used = 0;
	memset(sum, 0, sizeof sum);
	memset(cnt, 0, sizeof cnt);
	for (i = 0; i < n; i++) {
		mean += y[i] / (double)n;
		sum[g[i]] += y[i];
		cnt[g[i]] += 1;
	}
	for (i = 0; i < n; i++)
		sst += (y[i] - mean) * (y[i] - mean);
	for (k = 0; k < ng; k++)
		if (cnt[k] > 0) {
			ssb += cnt[k] * (sum[k] / cnt[k] - mean) * (sum[k] / cnt[k] - mean);
			used++;
		}
	e = (ssb - (double)(used - 1) * (sst - ssb) / (double)((int)n - used)) / sst;
	return e < 0 ? 0 : e > 1 ? 1 : e;
}

static int cmp_rank(const void *a, const void *b, void *ud)
{
	const double *x = ud;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	return x[i] < x[j] ? -1 : x[i] > x[j];
}

static void test_identifier_not_estimable(void **state)
{
	char text[4096];
	bo_study *s = NULL;
	bo_trial_rec t[N];
	bo_configs c;
	bo_axis y;
	double imp[3], yv[N], bv[N], want_fam, want_b, total;
	int gfam[N], gb[N];
	size_t i, rank[N], cap;
	(void)state;
	study_text(text, sizeof text);
	assert_int_equal(bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL), 0);
	memset(t, 0, sizeof t);
	for (i = 0; i < N; i++) {
		double fam = (double)(i % 3), b = urand();
		/* real effects: fam (q is better) and b, plus noise */
		yv[i] = 2.385 * (fam == 1) + 1.5 * b + 0.4 * (urand() - 0.5);
		bv[i] = b;
		gfam[i] = (int)fam;
		t[i].id = (int64_t)i + 1;
		t[i].state = BO_TRIAL_COMPLETE;
		t[i].cost = t[i].score = NAN;
		cap = t[i].nparams;
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "fam", fam), 0);
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "b", b), 0);
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "name", (double)i), 0);
		cap = 0;
		assert_int_equal(bo__kv_push(&t[i].metrics, &t[i].nmetrics, &cap, "y", yv[i]), 0);
	}
	assert_int_equal(bo__configs_init(&c, s, NULL, 0, NULL), 0);
	assert_int_equal(bo__configs_add_trials(&c, t, N), 0);
	assert_int_equal(bo__axis_parse(&c, "y", &y), 0);
	assert_int_equal(bo__importance(&c, &y, imp), 0);

	/* brute force over fam and b only: b in 10 quantile bins of 4 */
	for (i = 0; i < N; i++)
		rank[i] = i;
	qsort_r(rank, N, sizeof *rank, cmp_rank, bv);
	for (i = 0; i < N; i++)
		gb[rank[i]] = (int)(i * 10 / N);
	want_fam = eps2(yv, gfam, N, 3);
	want_b = eps2(yv, gb, N, 10);
	total = want_fam + want_b;
	if (total > 1) {
		want_fam /= total;
		want_b /= total;
	}
	assert_true(imp[2] == BO_IMPORTANCE_NOT_ESTIMABLE);
	assert_true(want_fam > 0.2 && want_b > 0.1);   /* the effects are real */
	assert_true(fabs(imp[0] - want_fam) <= 1e-9 * want_fam);
	assert_true(fabs(imp[1] - want_b) <= 1e-9 * want_b);
	{
		/* the chart (report and dashboard) says so instead of drawing a bar */
		bo_chart_data cd;
		char *svg;
		memset(&cd, 0, sizeof cd);
		cd.c = &c;
		cd.selected = -1;
		cd.currency = "USD";
		svg = bo__chart_importance(&cd, imp);
		assert_non_null(svg);
		assert_non_null(strstr(svg, "not estimable"));
		assert_null(strstr(svg, "data-param=\"name\""));
		assert_non_null(strstr(svg, "data-param=\"fam\""));
		bo__free(svg);
	}

	bo__configs_clear(&c);
	for (i = 0; i < N; i++)
		bo__trial_rec_clear(&t[i]);
	bo_study_free(s);
}

/* A choice seen twice per label on average is estimable: no flag. */
static void test_replicated_choice_estimable(void **state)
{
	char text[4096];
	bo_study *s = NULL;
	bo_trial_rec t[N];
	bo_configs c;
	bo_axis y;
	double imp[3];
	size_t i, cap;
	(void)state;
	study_text(text, sizeof text);
	assert_int_equal(bo_study_parse(&s, text, strlen(text), "study.yaml", NULL, NULL), 0);
	memset(t, 0, sizeof t);
	for (i = 0; i < N; i++) {
		t[i].id = (int64_t)i + 1;
		t[i].state = BO_TRIAL_COMPLETE;
		t[i].cost = t[i].score = NAN;
		cap = 0;
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "fam", (double)(i % 3)), 0);
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "b", urand()), 0);
		assert_int_equal(bo__kv_push(&t[i].params, &t[i].nparams, &cap, "name", (double)(i / 2)), 0);
		cap = 0;
		assert_int_equal(bo__kv_push(&t[i].metrics, &t[i].nmetrics, &cap, "y", (double)(i / 2) + urand()), 0);
	}
	assert_int_equal(bo__configs_init(&c, s, NULL, 0, NULL), 0);
	assert_int_equal(bo__configs_add_trials(&c, t, N), 0);
	assert_int_equal(bo__axis_parse(&c, "y", &y), 0);
	assert_int_equal(bo__importance(&c, &y, imp), 0);
	assert_true(imp[2] > 0.9);   /* 20 labels of 2 rows each, y follows the label */
	bo__configs_clear(&c);
	for (i = 0; i < N; i++)
		bo__trial_rec_clear(&t[i]);
	bo_study_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identifier_not_estimable),
		cmocka_unit_test(test_replicated_choice_estimable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
