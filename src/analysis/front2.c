/*
 * analysis/front2.c - the two-objective cost/performance front: which
 * configurations are worth their price, where the knee is, and from where
 * extra money stops buying performance.
 *
 * The front is Kung et al. 1975's 2-D maxima sweep: sort by (cost up, perf
 * down, index up) and keep each point that performs strictly better than
 * every cheaper-or-equal point before it. The knee is the step farthest
 * from the chord between the two ends of the front once both axes are
 * scaled to [0, 1], the normal-boundary-intersection distance of Das 1999
 * ("On characterizing the 'knee' of the Pareto curve based on normal-
 * boundary intersection", Structural Optimization 18).
 *
 * Must never: print, abort on bad input, or reorder the caller's arrays.
 */
#include <math.h>
#include <stdlib.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"

typedef struct cp {
	double cost, perf;
	size_t idx;
} cp;

static int cmp_cp(const void *a, const void *b)
{
	const cp *p = a, *q = b;

	if (p->cost != q->cost)
		return p->cost < q->cost ? -1 : 1;
	if (p->perf != q->perf)
		return p->perf > q->perf ? -1 : 1;
	return (p->idx > q->idx) - (p->idx < q->idx);
}

/* A step counts as a knee only when it lies farther than this above the
 * chord, in scaled units: points of a straight-line front are off by
 * rounding only, and a straight line has no knee. */
#define KNEE_MIN_DIST 1e-9

/* Das 1999's distance, in scaled coordinates, of a step from the chord
 * (0, 0)-(1, 1), signed: positive towards the utopia point (more
 * performance for the cost). Das defines the knee as the point farthest
 * from the chord on the utopia side; a point below the chord (a concave
 * dent of the front) is not a knee however far it lies, and a front with no
 * point above the chord (a straight line, or concave throughout) has none.
 * The 1/sqrt(2) factor is dropped as it ranks alike. */
static size_t find_knee(const bo_front_step *st, size_t m)
{
	double c0, cr, p0, pr, best = KNEE_MIN_DIST;
	size_t i, knee = (size_t)-1;

	if (m < 3)
		return knee;
	c0 = st[0].cost;
	cr = st[m - 1].cost - c0;
	p0 = st[0].perf;
	pr = st[m - 1].perf - p0;
	for (i = 1; i + 1 < m; i++) {
		double dist = (st[i].perf - p0) / pr - (st[i].cost - c0) / cr;
		if (dist > best) { /* NaN (infinite ranges) never wins */
			best = dist;
			knee = i;
		}
	}
	return knee;
}

int bo_front2(const double *cost, const double *perf, size_t n, bo_front_step *steps,
	      size_t *nsteps, size_t *knee)
{
	cp *s = NULL;
	size_t i, m = 0;
	int rc = 0;

	if (n > 0 && (cost == NULL || perf == NULL || steps == NULL)) {
		rc = bo__error(BO_EINVAL, "front2: NULL array with %zu points", n);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (isnan(cost[i]) || isnan(perf[i])) {
			rc = bo__error(BO_EINVAL, "front2: point %zu has a NaN %s", i,
				       isnan(cost[i]) ? "cost" : "performance");
			goto done;
		}
	}
	if (n == 0)
		goto done;
	s = bo__calloc(n, sizeof *s);
	if (s == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		s[i].cost = cost[i];
		s[i].perf = perf[i];
		s[i].idx = i;
	}
	qsort(s, n, sizeof *s, cmp_cp);
	for (i = 0; i < n; i++) {
		bo_front_step *st;

		/* Equal or cheaper points came first; beat all of them strictly. */
		if (m > 0 && !(s[i].perf > steps[m - 1].perf))
			continue;
		st = &steps[m];
		st->index = s[i].idx;
		st->cost = s[i].cost;
		st->perf = s[i].perf;
		st->marginal = m == 0 ? NAN
				      : (st->perf - steps[m - 1].perf) / (st->cost - steps[m - 1].cost);
		m++;
	}
done:
	if (nsteps != NULL)
		*nsteps = m;
	if (knee != NULL)
		*knee = rc < 0 ? (size_t)-1 : find_knee(steps, m);
	bo__free(s);
	return rc;
}

/* Position s is where saturation starts when step s and every later step
 * each buy less than threshold per unit of money (step 0 has no marginal,
 * so s >= 1). A NaN marginal (infinite costs) counts as paying. */
size_t bo_front2_saturation(const bo_front_step *steps, size_t nsteps, double threshold)
{
	size_t s = nsteps;

	while (s > 1 && steps[s - 1].marginal < threshold)
		s--;
	return s;
}
