/*
 * report/importance.c - parameter importance as the share of a target's
 * variance that each parameter's main effect explains.
 *
 * The method (named in the report): a binned, first-order functional ANOVA
 * estimate. fANOVA (Hutter, Hoos & Leyton-Brown, "An efficient approach
 * for assessing hyperparameter importance", ICML 2014) splits the variance
 * of a fitted model's marginals; we skip the model and estimate the main
 * effect of parameter j directly from the observations as the variance of
 * the target's conditional mean E[y | x_j]. x_j is grouped: a choice or
 * ordinal by its label; a number with at most BINS distinct values by its
 * value, otherwise into BINS quantile bins (equal counts, equal values kept
 * together); the configurations where j is inactive form one more group
 * (being switched off is part of the effect). With n observations in B
 * groups the share is the bias-adjusted correlation ratio (epsilon squared,
 * Kelley 1935):
 *     share_j = (SSB - (B - 1) * SSW / (n - B)) / SST, clamped to [0, 1],
 * which, unlike the raw SSB / SST, is near 0 for a parameter without
 * effect even with few observations per bin. Shares of correlated
 * parameters (a sampler that concentrates on good regions correlates
 * them) can add to more than 1; they are then scaled to sum to 1.
 *
 * Not estimable: a parameter whose groups hold on average fewer than two
 * observations (n < 2B - 1, i.e. fewer within-group degrees of freedom,
 * n - B, than between-group ones, B - 1) cannot be told apart from noise:
 * with one observation per group the group means are the observations, SSB
 * is all of SST whatever the effect, and the within-group variance the
 * adjustment needs has no degrees of freedom left (an unreplicated design:
 * Montgomery, "Design and Analysis of Experiments", 8th ed., sec. 3.3 and
 * 5.3.7, on why the error needs replicates). An identifier-like choice (one
 * label per row) is the typical case. Such a parameter gets
 * BO_IMPORTANCE_NOT_ESTIMABLE and stays out of the scaling, so it cannot
 * shrink the shares of the parameters that can be estimated. Numbers are
 * ours to bin: quantile bins hold at least two observations each, so a
 * numeric parameter is flagged only when grouping by value is all there is
 * and too thin (at most BINS distinct values, mostly seen once).
 *
 * Pure: no I/O. Must never read the configurations that are not usable.
 */
#include "report/charts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

#define BINS 10

typedef struct obs {
	double x, y;
} obs;

static int cmp_obs(const void *a, const void *b)
{
	double p = ((const obs *)a)->x, q = ((const obs *)b)->x;
	return p < q ? -1 : p > q;
}

/* Adds group (count n, sum s) to the between-group sum of squares. */
static void group(double n, double s, double mean, double *ssb, size_t *ngroups)
{
	if (n <= 0)
		return;
	*ssb += n * (s / n - mean) * (s / n - mean);
	(*ngroups)++;
}

int bo__importance(const bo_configs *c, const bo_axis *target, double *importance)
{
	const bo_study *s = c->s;
	obs *o = NULL;
	double *y = NULL, mean = 0, sst = 0, total = 0;
	size_t *rows = NULL, n = 0, i, j;
	int rc = BO_ENOMEM;

	for (j = 0; j < s->nparams; j++)
		importance[j] = NAN;
	rows = bo__calloc(c->n + 1, sizeof *rows);
	y = bo__calloc(c->n + 1, sizeof *y);
	o = bo__calloc(c->n + 1, sizeof *o);
	if (!rows || !y || !o)
		goto done;
	for (i = 0; i < c->n; i++) {
		double v;
		if (!c->v[i].usable)
			continue;
		v = bo__axis_value(c, i, target);
		if (!isfinite(v))
			continue;
		rows[n] = i;
		y[n++] = v;
		mean += v;
	}
	if (n)
		mean /= (double)n;
	for (i = 0; i < n; i++)
		sst += (y[i] - mean) * (y[i] - mean);
	for (j = 0; j < s->nparams; j++) {
		const bo_param *p = &s->params[j];
		double ssb = 0, sse, in_n = 0, in_s = 0, share;
		size_t na = 0, ngroups = 0, k;
		for (i = 0; i < n; i++) {
			double x = c->v[rows[i]].x[j];
			if (isnan(x)) {
				in_n += 1;
				in_s += y[i];
			} else {
				o[na].x = x;
				o[na++].y = y[i];
			}
		}
		if (na == 0)
			continue;   /* never active: NaN */
		group(in_n, in_s, mean, &ssb, &ngroups);
		qsort(o, na, sizeof *o, cmp_obs);
		{
			/* distinct values */
			size_t distinct = 1;
			for (k = 1; k < na; k++)
				distinct += o[k].x != o[k - 1].x;
			int labels = p->type == BO_PT_CHOICE || p->type == BO_PT_ORDINAL;
			int by_value = labels || (distinct <= BINS && na >= 2 * distinct);
			size_t nbins = na / 2 < BINS ? (na / 2 ? na / 2 : 1) : BINS;
			double gn = 0, gs = 0;
			size_t bin = 0;
			for (k = 0; k < na; k++) {
				size_t b = by_value ? bin : k * nbins / na;
				int boundary = k > 0 && o[k].x != o[k - 1].x && (by_value || b != bin);
				if (boundary) {
					group(gn, gs, mean, &ssb, &ngroups);
					gn = gs = 0;
					bin = by_value ? bin + 1 : b;
				}
				gn += 1;
				gs += o[k].y;
			}
			group(gn, gs, mean, &ssb, &ngroups);
		}
		if (n < 2 * ngroups - 1) {
			importance[j] = BO_IMPORTANCE_NOT_ESTIMABLE;
			continue;
		}
		if (!(sst > 0) || n < 2) {
			importance[j] = 0;
			continue;
		}
		sse = sst - ssb;
		if (sse < 0)
			sse = 0;
		share = ssb;
		if (n > ngroups)
			share -= (double)(ngroups - 1) * sse / (double)(n - ngroups);
		share /= sst;
		importance[j] = share < 0 ? 0 : share > 1 ? 1 : share;
	}
	for (j = 0; j < s->nparams; j++)
		if (importance[j] >= 0)
			total += importance[j];
	if (total > 1)
		for (j = 0; j < s->nparams; j++)
			if (importance[j] >= 0)
				importance[j] /= total;
	rc = 0;
done:
	if (rc == BO_ENOMEM)
		bo__error(BO_ENOMEM, "out of memory estimating parameter importance");
	bo__free(rows);
	bo__free(y);
	bo__free(o);
	return rc;
}
