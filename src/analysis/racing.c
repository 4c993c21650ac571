/*
 * analysis/racing.c - successive rejection: which of the top candidates a
 * confirmation round leaves out.
 *
 * Racing as in Maron & Moore 1994 ("Hoeffding races", NIPS 6) and
 * successive rejects as in Audibert & Bubeck 2010 ("Best arm
 * identification in multi-armed bandits", COLT): candidates are evaluated
 * in rounds, and after each round those that are worse than the leader
 * beyond the noise leave. Changed: the test is Welch's t-test of
 * analysis/repeats.c (the one select uses to call two configurations
 * indistinguishable) instead of a Hoeffding bound, so that the race and
 * the recommendation agree; and a round that the money left cannot pay for
 * every arm drops the worst by mean, as successive rejects does each phase.
 *
 * Pure: no I/O. Must never drop the leader, nor the last arm.
 */
#include "analysis/racing.h"

#include <math.h>

#include "analysis/configs.h"

/* 1 when arm i ranks before arm k by mean (NaN last, then lower index). */
static int before(const bo_race_arm *a, size_t i, size_t k)
{
	if (isnan(a[k].mean))
		return !isnan(a[i].mean) || i < k;
	if (isnan(a[i].mean))
		return 0;
	return a[i].mean > a[k].mean || (a[i].mean == a[k].mean && i < k);
}

size_t bo__race_round(const bo_race_arm *a, size_t n, double confidence, double left, size_t *leader,
		      bo_race_drop *drops)
{
	size_t i, L = n, nd = 0, nalive = 0;
	double need = 0;
	for (i = 0; i < n; i++)
		if (a[i].alive && (L == n || before(a, i, L)))
			L = i;
	*leader = L;
	if (L == n)
		return 0;
	for (i = 0; i < n; i++) {
		double half, df;
		if (!a[i].alive || i == L)
			continue;
		if (a[i].mean < a[L].mean &&
		    bo__noise_welch(a[L].mean, a[L].se, a[L].n, a[i].mean, a[i].se, a[i].n, confidence, &half,
				    &df) == 1) {
			drops[nd].arm = i;
			drops[nd].rule = BO_RACE_NOISE;
			drops[nd].half = half;
			drops[nd].df = df;
			nd++;
		}
	}
	/* what is left, and what a round for all of it costs */
	for (i = 0; i < n; i++) {
		size_t k;
		int gone = !a[i].alive;
		for (k = 0; k < nd && !gone; k++)
			gone = drops[k].arm == i;
		if (gone)
			continue;
		nalive++;
		need += a[i].next_cost;
	}
	while (nalive > 1 && need > left) {
		size_t w = n, k;
		for (i = 0; i < n; i++) {
			int gone = !a[i].alive;
			for (k = 0; k < nd && !gone; k++)
				gone = drops[k].arm == i;
			if (!gone && (w == n || before(a, w, i)))
				w = i;
		}
		drops[nd].arm = w;
		drops[nd].rule = BO_RACE_BUDGET;
		drops[nd].half = drops[nd].df = NAN;
		nd++;
		nalive--;
		need -= a[w].next_cost;
	}
	return nd;
}

const char *bo__race_rule_name(int rule)
{
	return rule == BO_RACE_NOISE ? "noise" : rule == BO_RACE_BUDGET ? "budget" : "?";
}
