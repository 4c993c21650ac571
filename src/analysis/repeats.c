/*
 * analysis/repeats.c - noise: configurations evaluated more than once.
 *
 * Trials (or catalog rows) with identical parameter values are repeats of
 * one configuration. bo__configs_group folds them into one entry holding
 * the count n, the mean and the standard error of each metric, derived
 * metric and the score, the mean of each guardrail margin (feasibility is
 * judged on those means) and the mean search cost (the sum is kept as
 * cost_total: what the repeats spent together).
 *
 * bo__select_noise then asks, for the best configuration by mean score and
 * each runner-up with n >= 2 on both sides, whether the difference of
 * their mean scores is beyond the noise: Welch's unequal-variance t-test
 * (B. L. Welch 1947, "The generalization of 'Student's' problem when
 * several different population variances are involved", Biometrika 34),
 * two-sided, with the Welch-Satterthwaite degrees of freedom. Among the
 * best and those indistinguishable from it, the cheaper wins.
 *
 * Pure: no I/O. Must never make a configuration usable or feasible that
 * the rules of configs.c would not, and must leave a set without repeats
 * exactly as it was.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "analysis/configs.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

/* Sort key for grouping: parameter values (as their JSON), then id. */
static int key_cmp(const void *pa, const void *pb, void *ud)
{
	const bo_configs *c = ud;
	const bo_config *a = &c->v[*(const size_t *)pa], *b = &c->v[*(const size_t *)pb];
	int r = strcmp(a->params_json ? a->params_json : "", b->params_json ? b->params_json : "");
	if (r)
		return r;
	return (a->id > b->id) - (a->id < b->id);
}

/* Mean and standard error of the k values v[idx[0..k)]'s field, skipping
 * NaN; NaN when none, se NaN with fewer than two. */
static void mean_se(const double *vals, size_t k, double *mean, double *se)
{
	double s = 0, ss = 0, m;
	size_t i, n = 0;
	for (i = 0; i < k; i++)
		if (!isnan(vals[i])) {
			s += vals[i];
			n++;
		}
	if (n == 0) {
		*mean = *se = NAN;
		return;
	}
	m = s / (double)n;
	for (i = 0; i < k; i++)
		if (!isnan(vals[i]))
			ss += (vals[i] - m) * (vals[i] - m);
	*mean = m;
	*se = n >= 2 ? sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

/* Folds the k configurations g[0..k) (g[0] the lowest id) into g[0]. */
static int fold(bo_configs *c, const size_t *g, size_t k, double *tmp)
{
	bo_config *f = &c->v[g[0]];
	size_t nm = c->s->nmetrics, nd = c->s->nderived, j, i;
	double se;
	if (!(f->m_se = bo__calloc(nm + 1, sizeof *f->m_se)) ||
	    !(f->dv_se = bo__calloc(nd + 1, sizeof *f->dv_se)))
		return bo__error(BO_ENOMEM, "out of memory grouping repeats");
	for (j = 0; j < nm; j++) {
		for (i = 0; i < k; i++)
			tmp[i] = c->v[g[i]].m[j];
		mean_se(tmp, k, &f->m[j], &f->m_se[j]);
	}
	for (j = 0; j < nd; j++) {
		for (i = 0; i < k; i++)
			tmp[i] = c->v[g[i]].dv[j];
		mean_se(tmp, k, &f->dv[j], &f->dv_se[j]);
	}
	f->feasible = 1;
	for (j = 0; j < c->nguardrails; j++) {
		for (i = 0; i < k; i++)
			tmp[i] = c->v[g[i]].margins[j];
		/* a guardrail that could not be judged on one repeat is not met */
		for (i = 0; i < k && !isnan(tmp[i]); i++)
			;
		if (i < k)
			f->margins[j] = NAN;
		else
			mean_se(tmp, k, &f->margins[j], &se);
		if (!(f->margins[j] >= 0))
			f->feasible = 0;
	}
	for (i = 0; i < k; i++)
		tmp[i] = c->v[g[i]].score;
	mean_se(tmp, k, &f->score, &f->score_se);
	f->cost_total = 0;
	for (i = 0; i < k; i++) {
		tmp[i] = c->v[g[i]].cost;
		f->cost_total += tmp[i];
	}
	mean_se(tmp, k, &f->cost, &se);
	f->nrep = k;
	bo__free(f->why);
	f->why = NULL;
	if (!f->feasible) {
		bo_strbuf sb = BO_STRBUF_INIT;
		bo__sb_printf(&sb, "breaks, on the mean of %zu repeats, ", k);
		for (j = 0, i = 0; j < c->nguardrails; j++) {
			if (f->margins[j] >= 0)
				continue;
			bo__sb_printf(&sb, "%s%s (by %.6g)", i++ ? ", " : "", c->guardrails[j].text, -f->margins[j]);
		}
		if (!(f->why = bo__sb_take(&sb)))
			return bo__error(BO_ENOMEM, "out of memory grouping repeats");
	}
	return 0;
}

int bo__configs_group(bo_configs *c)
{
	size_t *idx = NULL, n = 0, i, j, w;
	unsigned char *drop = NULL;
	double *tmp = NULL;
	int rc = 0;
	if (c->n < 2)
		return 0;
	if (!(idx = bo__calloc(c->n, sizeof *idx)) || !(drop = bo__calloc(c->n, 1)) ||
	    !(tmp = bo__calloc(c->n, sizeof *tmp))) {
		rc = bo__error(BO_ENOMEM, "out of memory grouping %zu configurations", c->n);
		goto done;
	}
	for (i = 0; i < c->n; i++)
		if (c->v[i].usable && c->v[i].params_json)
			idx[n++] = i;
	qsort_r(idx, n, sizeof *idx, key_cmp, c);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(c->v[idx[j]].params_json, c->v[idx[i]].params_json); j++)
			;
		if (j - i < 2)
			continue;
		/* keep the first in reading order (the lowest id: idx is sorted by id within a key) */
		if ((rc = fold(c, idx + i, j - i, tmp)) < 0)
			goto done;
		for (w = i + 1; w < j; w++)
			drop[idx[w]] = 1;
	}
	for (i = 0, w = 0; i < c->n; i++) {
		if (drop[i]) {
			bo__config_clear(&c->v[i]);
			continue;
		}
		c->v[w++] = c->v[i];
	}
	c->n = w;
done:
	bo__free(idx);
	bo__free(drop);
	bo__free(tmp);
	return rc;
}

int bo__noise_welch(double m1, double se1, size_t n1, double m2, double se2, size_t n2, double confidence,
		    double *half, double *df)
{
	double v1, v2, v, d;
	*half = *df = NAN;
	if (n1 < 2 || n2 < 2 || !isfinite(m1) || !isfinite(m2) || !isfinite(se1) || !isfinite(se2))
		return -1;
	v1 = se1 * se1;
	v2 = se2 * se2;
	v = v1 + v2;
	if (v == 0) {
		/* no spread on either side: any difference is real */
		*half = 0;
		*df = INFINITY;
		return m1 != m2;
	}
	d = v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1);
	*df = v * v / d;
	*half = gsl_cdf_tdist_Pinv(0.5 + confidence / 2, *df) * sqrt(v);
	return fabs(m1 - m2) > *half;
}

int bo__select_noise(const bo_configs *c, const bo_select_rule *r, double confidence, size_t *order, size_t n,
		     bo_noise_cmp *cmp)
{
	size_t ref, p, win = 0, top = n < BO_SELECT_TOL_TOP ? n : BO_SELECT_TOL_TOP;
	const bo_config *b;
	int tie = 0;
	if (r->rule != BO_SELECT_SCORE)
		return bo__error(BO_EINVAL, "the noise test applies to the score rule");
	if (n == 0)
		return 0;
	ref = order[0];
	b = &c->v[ref];
	for (p = 0; p < n; p++) {
		const bo_config *o = &c->v[order[p]];
		cmp[p].verdict = -1;
		cmp[p].diff = o->score - b->score;
		cmp[p].half = cmp[p].df = NAN;
		if (p == 0 || p >= top)
			continue;
		cmp[p].verdict = bo__noise_welch(b->score, b->score_se, b->nrep, o->score, o->score_se, o->nrep,
						 confidence, &cmp[p].half, &cmp[p].df);
	}
	/* among the best and those within its noise, the cheapest on the cost
	 * axis wins (value * -goal: lower is cheaper); equal or unknown costs
	 * keep the order by mean score */
	if (r->cost.goal) {
		for (p = 1; p < top; p++) {
			double cw, cp;
			if (cmp[p].verdict != 0)
				continue;
			cw = bo__axis_value(c, order[win], &r->cost) * -r->cost.goal;
			cp = bo__axis_value(c, order[p], &r->cost) * -r->cost.goal;
			if (cp < cw || (isnan(cw) && !isnan(cp)))
				win = p;
		}
	}
	if (win > 0) {
		size_t t = order[win];
		bo_noise_cmp tc = cmp[win];
		memmove(order + 1, order, win * sizeof *order);
		memmove(cmp + 1, cmp, win * sizeof *cmp);
		order[0] = t;
		cmp[0] = tc;
		tie = 1;
	}
	return tie;
}
