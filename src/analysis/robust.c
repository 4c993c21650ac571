/*
 * analysis/robust.c - robust aggregates across scenarios (robust.h).
 *
 * CVaR is the conditional value at risk of Rockafellar and Uryasev (2000)
 * on the discrete distribution the scenario weights define: the worst
 * scenarios are taken first until their weight reaches alpha, the last one
 * in part; the result is their weighted mean. Regret is the minimax regret
 * of Savage (1951) against each scenario's best configuration of the table.
 *
 * Pure: no files, no clock, no global state; never prints.
 */
#include "analysis/robust.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

int bo__robust_parse(const char *text, bo_robust *out)
{
	char *end = NULL;
	double a;
	out->kind = BO_ROBUST_MEAN;
	out->alpha = 1.0;
	if (!text)
		return bo__error(BO_EINVAL, "no robust aggregate");
	if (!strcmp(text, "mean"))
		return 0;
	if (!strcmp(text, "worst")) {
		out->kind = BO_ROBUST_WORST;
		return 0;
	}
	if (!strcmp(text, "spread")) {
		out->kind = BO_ROBUST_SPREAD;
		return 0;
	}
	if (!strcmp(text, "regret")) {
		out->kind = BO_ROBUST_REGRET;
		return 0;
	}
	if (!strncmp(text, "cvar:", 5) || !strncmp(text, "cvar(", 5)) {
		a = strtod(text + 5, &end);
		if (end != text + 5 && ((text[4] == ':' && !*end) || (text[4] == '(' && !strcmp(end, ")"))) &&
		    a > 0 && a <= 1) {
			out->kind = BO_ROBUST_CVAR;
			out->alpha = a;
			return 0;
		}
		return bo__error(BO_EINVAL, "robust aggregate \"%s\": cvar needs a share in (0, 1], "
					    "such as cvar:0.2", text);
	}
	return bo__error(BO_EINVAL, "unknown robust aggregate \"%s\" (known: mean, worst, cvar:ALPHA, "
				    "spread, regret)", text);
}

int bo__robust_goal(const bo_robust *r, int goal)
{
	return r->kind == BO_ROBUST_SPREAD || r->kind == BO_ROBUST_REGRET ? -1 : goal;
}

typedef struct ent {
	double u;             /* goal * value: higher is better */
	double w;
} ent;

static int cmp_ent(const void *a, const void *b)
{
	double x = ((const ent *)a)->u, y = ((const ent *)b)->u;
	return (x > y) - (x < y);
}

int bo__robust_aggregate(const bo_robust *r, const double *v, size_t n, size_t k, const double *w,
			 int goal, double *out)
{
	double *wn = NULL, *best = NULL, sum = 0;
	ent *e = NULL;
	size_t i, s;
	int rc = 0;
	goal = goal < 0 ? -1 : 1;
	if (k == 0)
		return bo__error(BO_EINVAL, "robust aggregate: no scenario");
	if (r->kind == BO_ROBUST_CVAR && !(r->alpha > 0 && r->alpha <= 1))
		return bo__error(BO_EINVAL, "robust aggregate: cvar share %g is not in (0, 1]", r->alpha);
	if (!(wn = bo__calloc(k, sizeof *wn)) || !(e = bo__calloc(k, sizeof *e)) ||
	    !(best = bo__calloc(k, sizeof *best))) {
		rc = bo__error(BO_ENOMEM, "out of memory");
		goto done;
	}
	for (s = 0; s < k; s++) {
		wn[s] = w ? w[s] : 1.0;
		if (!(wn[s] >= 0)) {
			rc = bo__error(BO_EINVAL, "robust aggregate: scenario weight %g is negative", wn[s]);
			goto done;
		}
		sum += wn[s];
	}
	if (!(sum > 0)) {
		rc = bo__error(BO_EINVAL, "robust aggregate: every scenario weight is 0");
		goto done;
	}
	for (s = 0; s < k; s++) {
		wn[s] /= sum;
		best[s] = NAN;
	}
	/* each scenario's best among the rows that have every scenario: the
	 * candidates */
	for (i = 0; i < n; i++) {
		int miss = 0;
		for (s = 0; s < k; s++)
			miss |= isnan(v[i * k + s]);
		for (s = 0; s < k && !miss; s++) {
			double x = v[i * k + s];
			if (isnan(best[s]) || goal * x > goal * best[s])
				best[s] = x;
		}
	}
	for (i = 0; i < n; i++) {
		const double *row = &v[i * k];
		double acc = 0, lo = INFINITY, hi = -INFINITY, need, got;
		int miss = 0;
		for (s = 0; s < k; s++)
			miss |= isnan(row[s]);
		if (miss) {
			out[i] = NAN;
			continue;
		}
		switch (r->kind) {
		case BO_ROBUST_MEAN:
			for (s = 0; s < k; s++)
				acc += wn[s] * row[s];
			out[i] = acc;
			break;
		case BO_ROBUST_WORST:
		case BO_ROBUST_SPREAD:
			for (s = 0; s < k; s++) {
				lo = fmin(lo, row[s]);
				hi = fmax(hi, row[s]);
			}
			out[i] = r->kind == BO_ROBUST_SPREAD ? hi - lo : goal > 0 ? lo : hi;
			break;
		case BO_ROBUST_CVAR:
			for (s = 0; s < k; s++) {
				e[s].u = goal * row[s];
				e[s].w = wn[s];
			}
			qsort(e, k, sizeof *e, cmp_ent);   /* worst first */
			need = r->alpha;
			got = 0;
			for (s = 0; s < k && got < need; s++) {
				double take = fmin(e[s].w, need - got);
				acc += take * e[s].u;
				got += take;
			}
			out[i] = goal * acc / got;
			break;
		default: /* BO_ROBUST_REGRET */
			acc = 0;
			for (s = 0; s < k; s++)
				acc = fmax(acc, goal * (best[s] - row[s]));
			out[i] = acc;
			break;
		}
	}
done:
	bo__free(wn);
	bo__free(e);
	bo__free(best);
	return rc;
}
