/*
 * runner/pruner.c - the pruning rules (runner/pruner.h).
 *
 * Every value is turned into "larger is better" (times the metric's goal)
 * when it arrives, so each rule is written once. Reports whose values are
 * all NaN are ignored. The rules:
 *
 * - median: the median stopping rule (Golovin et al. 2017, "Google Vizier",
 *   as Optuna's MedianPruner): at a step >= warmup_steps, stop a trial whose
 *   best value so far is below the median of the values that complete
 *   trials reported at that same step, once min_trials of them did.
 * - asha: asynchronous successive halving (Li et al. 2020, "A system for
 *   massively parallel hyperparameter tuning"), in its stopping form: rung
 *   i is at step min_step * eta^i (up to max_step); a trial reaching a rung
 *   records its value there and goes on only if that value is among the
 *   top floor(n / eta) of the n values recorded at the rung so far (itself
 *   included). Changed from the paper, as Optuna does: while n < eta, a
 *   trial goes on only if it is the best at the rung (the paper would keep
 *   it waiting, which a running process cannot do). A rung at max_step
 *   decides nothing: the trial ends there anyway.
 * - hyperband: Hyperband's brackets (Li et al. 2018, JMLR 18) over ASHA:
 *   with s_max = floor(log_eta(max_step / min_step)), bracket b (paper's
 *   s = s_max - b) has its first rung at min_step * eta^b and gets
 *   n_s = ceil((s_max + 1) / (s + 1) * eta^s) trials of each cycle of
 *   trials; trials compete only within their bracket. Trials are assigned
 *   in id order, cycling b = 0, 0, ..., 1, ... (deterministic, no hash).
 * - patience: after n > steps reports, stop when the best of the last
 *   `steps` reports does not beat the best before them by more than
 *   min_delta (plateaus stop; Optuna's PatiencePruner lets an exact tie go).
 * - threshold: stop when the reported value (as reported) is below lower
 *   or above upper.
 * - cost (ours): an optimistic projection of the learning curve to
 *   max_step, the best value so far plus the steepest rise seen between two
 *   reports for every step left (learning curves flatten, so this is an
 *   upper bound in practice; capped at max_value), over the projected cost
 *   (the cost so far times max_step / step: each step costs what the steps
 *   so far did on average). Stop when that value per unit of money is below
 *   (1 - margin) times the best final value per unit of money of a
 *   complete trial.
 * - pareto (ours, for several objectives): the trial's point is its best
 *   value so far in each metric; stop when a complete trial's point is
 *   better in every metric by at least margin * |value| (and strictly in
 *   one). Without max_step the complete trials' points are their best values
 *   up to the same step (like against like); with max_step the trial's point
 *   is projected to it as for cost and compared with final points. A point
 *   dominated by any complete trial is dominated by the front, so checking
 *   every complete trial is checking the front.
 *
 * Never: read a clock, print, or stop a process (the runner does).
 */
#include "runner/pruner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"

#define MAX_RUNGS 64        /* rungs per bracket (eta^64 passes any step) */
#define MAX_BRACKETS 32     /* Hyperband brackets */

typedef struct ptrial {
	int64_t id;
	int state;          /* BO_TRIAL_RUNNING until finished */
	int stopped;        /* told to stop */
	size_t n, cap;
	int64_t *steps;
	double *vals;       /* n * nm, larger is better, NaN where missing */
	double *best;       /* nm: best so far */
	double *fin;        /* nm: final values (complete trials) */
	double cost;
	int bracket;
	int rung;           /* the next rung to pass */
} ptrial;

typedef struct rung {
	double *v;
	int64_t *who;
	size_t n, cap;
} rung;

struct bo_pruner {
	bo_pruner_spec sp;  /* scalars only; metrics not kept */
	size_t nm;
	int *goals;
	ptrial *t;
	size_t nt, capt;
	int nbr;                    /* brackets (1 for asha) */
	double brn[MAX_BRACKETS];   /* hyperband: trials per bracket and cycle */
	double cycle;
	rung *rungs;                /* nbr * MAX_RUNGS */
};

int bo__pruner_new(bo_pruner **out, const bo_pruner_spec *spec)
{
	bo_pruner *p = NULL;
	int rc = BO_ENOMEM;
	size_t i;
	*out = NULL;
	if (!spec)
		return bo__error(BO_EMISUSE, "pruner: no spec");
	if (spec->kind != BO_PRUNER_NONE && (spec->nmetrics == 0 || !spec->goals))
		return bo__error(BO_EINVAL, "pruner: no metric to watch");
	if (!(p = bo__calloc(1, sizeof *p)))
		goto done;
	p->sp = *spec;
	p->sp.metrics = NULL;
	p->sp.goals = NULL;
	p->nm = spec->kind == BO_PRUNER_NONE ? 0 : spec->nmetrics;
	if (!(p->goals = bo__calloc(p->nm + 1, sizeof *p->goals)))
		goto done;
	for (i = 0; i < p->nm; i++)
		p->goals[i] = spec->goals[i] < 0 ? -1 : 1;
	p->nbr = 1;
	if (spec->kind == BO_PRUNER_HYPERBAND) {
		double ratio = (double)spec->max_step / (double)spec->min_step;
		int smax, s;
		if (!(spec->eta > 1) || spec->min_step < 1 || spec->max_step < spec->min_step) {
			rc = bo__error(BO_EINVAL, "pruner: hyperband needs eta > 1 and 1 <= min_step <= max_step");
			goto done;
		}
		smax = (int)floor(log(ratio) / log(spec->eta) + 1e-9);
		if (smax + 1 > MAX_BRACKETS) {
			rc = bo__error(BO_EINVAL,
				       "pruner: hyperband would need %d brackets (at most %d): raise eta or min_step",
				       smax + 1, MAX_BRACKETS);
			goto done;
		}
		p->nbr = smax + 1;
		p->cycle = 0;
		for (s = smax; s >= 0; s--) {
			double n = ceil((double)(smax + 1) / (double)(s + 1) * pow(spec->eta, s) - 1e-9);
			p->brn[smax - s] = n;
			p->cycle += n;
		}
	} else if (spec->kind == BO_PRUNER_ASHA && !(spec->eta > 1 && spec->min_step >= 1)) {
		rc = bo__error(BO_EINVAL, "pruner: asha needs eta > 1 and min_step >= 1");
		goto done;
	}
	if (!(p->rungs = bo__calloc((size_t)p->nbr * MAX_RUNGS, sizeof *p->rungs)))
		goto done;
	*out = p;
	p = NULL;
	rc = 0;
done:
	bo__pruner_free(p);
	return rc;
}

void bo__pruner_free(bo_pruner *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->nt; i++) {
		bo__free(p->t[i].steps);
		bo__free(p->t[i].vals);
		bo__free(p->t[i].best);
		bo__free(p->t[i].fin);
	}
	bo__free(p->t);
	for (i = 0; p->rungs && i < (size_t)p->nbr * MAX_RUNGS; i++) {
		bo__free(p->rungs[i].v);
		bo__free(p->rungs[i].who);
	}
	bo__free(p->rungs);
	bo__free(p->goals);
	bo__free(p);
}

int bo__pruner_bracket(const bo_pruner *p, int64_t id, int *nbrackets)
{
	double pos;
	int b;
	if (nbrackets)
		*nbrackets = p ? p->nbr : 0;
	if (!p || (p->sp.kind != BO_PRUNER_HYPERBAND && p->sp.kind != BO_PRUNER_ASHA))
		return -1;
	if (p->sp.kind == BO_PRUNER_ASHA)
		return 0;
	pos = fmod((double)(id > 0 ? id - 1 : 0), p->cycle);
	for (b = 0; b < p->nbr - 1; b++) {
		if (pos < p->brn[b])
			return b;
		pos -= p->brn[b];
	}
	return p->nbr - 1;
}

/* The step of rung i of bracket b, as a real number (eta need not be whole). */
static double rung_at(const bo_pruner *p, int b, int i)
{
	return (double)p->sp.min_step * pow(p->sp.eta, (double)(b + i));
}

int64_t bo__pruner_rung_step(const bo_pruner *p, int b, int i)
{
	double r;
	if (!p || b < 0 || b >= p->nbr || i < 0 || i >= MAX_RUNGS)
		return 0;
	r = rung_at(p, b, i);
	if (p->sp.max_step && r > (double)p->sp.max_step + 1e-9)
		return 0;
	return (int64_t)ceil(r - 1e-9);
}

static ptrial *find(bo_pruner *p, int64_t id, int create)
{
	size_t i;
	ptrial *t;
	for (i = p->nt; i-- > 0;)
		if (p->t[i].id == id)
			return &p->t[i];
	if (!create || bo__grow(&p->t, &p->capt, p->nt + 1, sizeof *p->t) < 0)
		return NULL;
	t = &p->t[p->nt];
	memset(t, 0, sizeof *t);
	t->id = id;
	t->state = BO_TRIAL_RUNNING;
	t->cost = NAN;
	t->best = bo__calloc(p->nm + 1, sizeof *t->best);
	t->fin = bo__calloc(p->nm + 1, sizeof *t->fin);
	if (!t->best || !t->fin) {
		bo__free(t->best);
		bo__free(t->fin);
		return NULL;
	}
	for (i = 0; i < p->nm; i++)
		t->best[i] = t->fin[i] = NAN;
	t->bracket = bo__pruner_bracket(p, id, NULL);
	p->nt++;
	return t;
}

/* The value as reported, from its larger-is-better form. */
static double shown(const bo_pruner *p, size_t m, double v)
{
	return (double)p->goals[m] * v;
}

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_asc(const void *a, const void *b)
{
	return -cmp_desc(a, b);
}

static int rule_median(bo_pruner *p, ptrial *t, int64_t step, bo_prune_decision *d)
{
	double *v = NULL, med;
	size_t n = 0, i, k;
	int rc = 0;
	if (!(v = bo__calloc(p->nt + 1, sizeof *v)))
		return BO_ENOMEM;
	for (i = 0; i < p->nt; i++) {
		const ptrial *o = &p->t[i];
		if (o->state != BO_TRIAL_COMPLETE || o == t)
			continue;
		for (k = o->n; k-- > 0;) {
			if (o->steps[k] == step) {
				if (!isnan(o->vals[k * p->nm]))
					v[n++] = o->vals[k * p->nm];
				break;
			}
		}
	}
	if (n == 0 || (int64_t)n < p->sp.min_trials || isnan(t->best[0]))
		goto done;
	qsort(v, n, sizeof *v, cmp_asc);
	med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
	if (t->best[0] < med) {
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail,
			 "best value so far %.6g is worse than the median %.6g of %zu complete trials at step %lld",
			 shown(p, 0, t->best[0]), shown(p, 0, med), n, (long long)step);
	}
done:
	bo__free(v);
	return rc;
}

/* Records value x of trial t at rung i of its bracket; 1 if it goes on. */
static int rung_pass(bo_pruner *p, ptrial *t, int i, double x, int64_t step, bo_prune_decision *d)
{
	rung *r = &p->rungs[(size_t)t->bracket * MAX_RUNGS + (size_t)i];
	double *sorted;
	size_t k;
	if (bo__grow(&r->v, &r->cap, r->n + 1, sizeof *r->v) < 0)
		return BO_ENOMEM;
	r->v[r->n++] = x;
	if (!(sorted = bo__calloc(r->n, sizeof *sorted)))
		return BO_ENOMEM;
	memcpy(sorted, r->v, r->n * sizeof *sorted);
	qsort(sorted, r->n, sizeof *sorted, cmp_desc);
	k = (size_t)floor((double)r->n / p->sp.eta + 1e-12);
	if (k == 0)
		k = 1;
	if (x < sorted[k - 1]) {
		char br[32] = "";
		if (p->sp.kind == BO_PRUNER_HYPERBAND)
			snprintf(br, sizeof br, ", bracket %d", t->bracket);
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail,
			 "%.6g at rung %d (step %lld%s) is not in the top %zu of the %zu values there "
			 "(eta %g; the %zu%s best is %.6g)",
			 shown(p, 0, x), i, (long long)bo__pruner_rung_step(p, t->bracket, i), br, k, r->n,
			 p->sp.eta, k, k == 1 ? "st" : k == 2 ? "nd" : k == 3 ? "rd" : "th",
			 shown(p, 0, sorted[k - 1]));
		(void)step;
	}
	bo__free(sorted);
	return 0;
}

static int rule_rungs(bo_pruner *p, ptrial *t, int64_t step, double x, bo_prune_decision *d)
{
	while (t->rung < MAX_RUNGS) {
		int64_t rs = bo__pruner_rung_step(p, t->bracket, t->rung);
		int rc;
		/* The last rung, at max_step, is where a trial ends: nothing
		 * is saved by stopping it there. */
		if (rs == 0 || step < rs || (p->sp.max_step && rs >= p->sp.max_step))
			return 0;
		if ((rc = rung_pass(p, t, t->rung, x, step, d)) < 0)
			return rc;
		t->rung++;
		if (d->prune)
			return 0;
	}
	return 0;
}

static void rule_patience(bo_pruner *p, ptrial *t, bo_prune_decision *d)
{
	size_t n = t->n, k, w = (size_t)p->sp.patience;
	double old = NAN, recent = NAN;
	if (n <= w)
		return;
	for (k = 0; k < n; k++) {
		double x = t->vals[k * p->nm];
		if (isnan(x))
			continue;
		if (k < n - w)
			old = isnan(old) || x > old ? x : old;
		else
			recent = isnan(recent) || x > recent ? x : recent;
	}
	if (isnan(old) || isnan(recent))
		return;
	if (recent <= old + p->sp.min_delta) {
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail,
			 "the best of the last %zu reports, %.6g, does not improve on the best before them, "
			 "%.6g, by more than %g",
			 w, shown(p, 0, recent), shown(p, 0, old), p->sp.min_delta);
	}
}

static void rule_threshold(bo_pruner *p, double raw, bo_prune_decision *d)
{
	if (isnan(raw))
		return;
	if (!isnan(p->sp.lower) && raw < p->sp.lower) {
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail, "%.6g is below the lower threshold %g", raw, p->sp.lower);
	} else if (!isnan(p->sp.upper) && raw > p->sp.upper) {
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail, "%.6g is above the upper threshold %g", raw, p->sp.upper);
	}
}

/* The optimistic value of metric m of t at max_step: best so far plus the
 * steepest rise between two of its reports for every step left. NaN with
 * fewer than two reports of m (nothing to say how fast it rises). */
static double project(const bo_pruner *p, const ptrial *t, size_t m, int64_t step)
{
	double slope = 0;
	size_t k, prev = (size_t)-1, seen = 0;
	double v;
	for (k = 0; k < t->n; k++) {
		double x = t->vals[k * p->nm + m];
		if (isnan(x))
			continue;
		if (prev != (size_t)-1 && t->steps[k] > t->steps[prev]) {
			double s = (x - t->vals[prev * p->nm + m]) / (double)(t->steps[k] - t->steps[prev]);
			slope = fmax(slope, s);
		}
		prev = k;
		seen++;
	}
	if (isnan(t->best[m]))
		return NAN;
	if (!p->sp.max_step || step >= p->sp.max_step)
		return t->best[m];
	if (seen < 2)
		return NAN;
	v = t->best[m] + slope * (double)(p->sp.max_step - step);
	if (!isnan(p->sp.max_value) && p->nm == 1)
		v = fmin(v, (double)p->goals[m] * p->sp.max_value);
	return v;
}

static void rule_cost(bo_pruner *p, ptrial *t, int64_t step, double cost, bo_prune_decision *d)
{
	double best_ratio = -INFINITY, v, c, ratio;
	int64_t who = 0, n = 0;
	size_t i;
	if (!(cost > 0) || !isfinite(cost) || step < 1)
		return;
	for (i = 0; i < p->nt; i++) {
		const ptrial *o = &p->t[i];
		double r;
		if (o->state != BO_TRIAL_COMPLETE || isnan(o->fin[0]) || !(o->cost > 0))
			continue;
		n++;
		r = o->fin[0] / o->cost;
		if (r > best_ratio) {
			best_ratio = r;
			who = o->id;
		}
	}
	if (n < p->sp.min_trials || n == 0)
		return;
	if (isnan(v = project(p, t, 0, step)))
		return;
	c = step >= p->sp.max_step ? cost : cost * (double)p->sp.max_step / (double)step;
	ratio = v / c;
	if (ratio < best_ratio * (1.0 - p->sp.margin)) {
		d->prune = 1;
		snprintf(d->detail, sizeof d->detail,
			 "projected %.6g at step %lld for a cost of %.6g (%.6g so far) is %.6g per unit of "
			 "money, below the incumbent's %.6g (trial %lld)%s",
			 v, (long long)p->sp.max_step, c, cost, ratio, best_ratio, (long long)who,
			 p->sp.margin > 0 ? " less the margin" : "");
	}
}

static void fmt_point(const bo_pruner *p, const double *x, char *buf, size_t size)
{
	size_t i, len = 0;
	buf[0] = '\0';
	for (i = 0; i < p->nm && len + 1 < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%.6g", i ? ", " : "(", shown(p, i, x[i]));
		if (w < 0)
			return;
		len += (size_t)w;
	}
	if (len + 2 < size)
		strcat(buf, ")");
}

/* The best values so far, up to step, of a trial's reports; 0 when it
 * reported nothing up to there or a metric was never finite. */
static int best_upto(const bo_pruner *p, const ptrial *o, int64_t step, double *out)
{
	size_t k, m;
	int at = 0;
	for (m = 0; m < p->nm; m++)
		out[m] = NAN;
	for (k = 0; k < o->n; k++) {
		if (o->steps[k] > step)
			continue;
		at |= o->steps[k] == step;
		for (m = 0; m < p->nm; m++) {
			double x = o->vals[k * p->nm + m];
			if (!isnan(x) && (isnan(out[m]) || x > out[m]))
				out[m] = x;
		}
	}
	for (m = 0; m < p->nm; m++)
		if (isnan(out[m]))
			return 0;
	return at;
}

static int rule_pareto(bo_pruner *p, ptrial *t, int64_t step, bo_prune_decision *d)
{
	double *pt = NULL, *other = NULL;
	size_t i, m;
	int64_t n = 0;
	int rc = 0;
	/* With max_step: the trial's projected point against final points.
	 * Without: its best so far against complete trials' best so far at
	 * the same step (a value at step 3 is not a final value). */
	int finals = p->sp.max_step > 0;
	if (!(pt = bo__calloc(p->nm, sizeof *pt)) || !(other = bo__calloc(p->nm, sizeof *other))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (m = 0; m < p->nm; m++)
		if (isnan(pt[m] = project(p, t, m, step)))
			goto done;
	for (i = 0; i < p->nt; i++) {
		const ptrial *o = &p->t[i];
		int ok = 1;
		if (o->state != BO_TRIAL_COMPLETE || o == t)
			continue;
		if (finals)
			for (m = 0; m < p->nm; m++)
				ok &= !isnan(o->fin[m]);
		else
			ok = best_upto(p, o, step, other);
		n += ok;
	}
	if (n < p->sp.min_trials || n == 0)
		goto done;
	for (i = 0; i < p->nt; i++) {
		const ptrial *o = &p->t[i];
		int all = 1, strict = 0;
		if (o->state != BO_TRIAL_COMPLETE || o == t)
			continue;
		if (finals)
			memcpy(other, o->fin, p->nm * sizeof *other);
		else if (!best_upto(p, o, step, other))
			continue;
		for (m = 0; m < p->nm && all; m++) {
			double need = pt[m] + p->sp.margin * fabs(pt[m]);
			all = !isnan(other[m]) && other[m] >= need;
			strict |= other[m] > pt[m];
		}
		if (all && strict) {
			char a[128], b[128];
			fmt_point(p, pt, a, sizeof a);
			fmt_point(p, other, b, sizeof b);
			d->prune = 1;
			if (finals)
				snprintf(d->detail, sizeof d->detail,
					 "point %s projected to step %lld is dominated by trial %lld's final %s with margin %g",
					 a, (long long)p->sp.max_step, (long long)o->id, b, p->sp.margin);
			else
				snprintf(d->detail, sizeof d->detail,
					 "best-so-far point %s is dominated by trial %lld's %s at step %lld with margin %g",
					 a, (long long)o->id, b, (long long)step, p->sp.margin);
			break;
		}
	}
done:
	bo__free(pt);
	bo__free(other);
	return rc;
}

const char *bo__pruner_rule_name(int kind)
{
	switch (kind) {
	case BO_PRUNER_MEDIAN: return "median";
	case BO_PRUNER_ASHA: return "asha";
	case BO_PRUNER_HYPERBAND: return "hyperband";
	case BO_PRUNER_PATIENCE: return "patience";
	case BO_PRUNER_THRESHOLD: return "threshold";
	case BO_PRUNER_COST: return "cost";
	case BO_PRUNER_PARETO: return "pareto";
	default: return "none";
	}
}

/* Appends a report to t (larger is better, best so far kept). */
static int record(bo_pruner *p, ptrial *t, int64_t step, const double *values)
{
	size_t m;
	double *nv;
	if (bo__grow(&t->steps, &t->cap, t->n + 1, sizeof *t->steps) < 0)
		return BO_ENOMEM;
	if (!(nv = bo__realloc(t->vals, (t->n + 1) * p->nm, sizeof *nv)))
		return BO_ENOMEM;
	t->vals = nv;
	t->steps[t->n] = step;
	for (m = 0; m < p->nm; m++) {
		double x = isnan(values[m]) ? NAN : (double)p->goals[m] * values[m];
		t->vals[t->n * p->nm + m] = x;
		if (!isnan(x) && (isnan(t->best[m]) || x > t->best[m]))
			t->best[m] = x;
	}
	t->n++;
	return 0;
}

static int any_value(const bo_pruner *p, const double *values)
{
	size_t m;
	for (m = 0; m < p->nm; m++)
		if (!isnan(values[m]))
			return 1;
	return 0;
}

int bo__pruner_replay(bo_pruner *p, int64_t id, int64_t step, const double *values)
{
	ptrial *t;
	double x;
	int rc;
	if (!p || p->sp.kind == BO_PRUNER_NONE || !values || !any_value(p, values))
		return 0;
	if (!(t = find(p, id, 1)))
		return BO_ENOMEM;
	if ((rc = record(p, t, step, values)) < 0)
		return rc;
	x = t->vals[(t->n - 1) * p->nm];
	if ((p->sp.kind == BO_PRUNER_ASHA || p->sp.kind == BO_PRUNER_HYPERBAND) && !isnan(x)) {
		/* the rungs it passed hold its value there */
		while (t->rung < MAX_RUNGS) {
			int64_t rs = bo__pruner_rung_step(p, t->bracket, t->rung);
			rung *r;
			if (rs == 0 || step < rs || (p->sp.max_step && rs >= p->sp.max_step))
				break;
			r = &p->rungs[(size_t)t->bracket * MAX_RUNGS + (size_t)t->rung];
			if (bo__grow(&r->v, &r->cap, r->n + 1, sizeof *r->v) < 0)
				return BO_ENOMEM;
			r->v[r->n++] = x;
			t->rung++;
		}
	}
	return 0;
}

int bo__pruner_report(bo_pruner *p, int64_t id, int64_t step, const double *values, double cost,
		      bo_prune_decision *d)
{
	ptrial *t;
	int rc = 0;
	memset(d, 0, sizeof *d);
	d->step = step;
	d->rule = p ? bo__pruner_rule_name(p->sp.kind) : "none";
	if (!p || p->sp.kind == BO_PRUNER_NONE || !values || !any_value(p, values))
		return 0;
	if (!(t = find(p, id, 1)))
		return BO_ENOMEM;
	if (t->stopped || t->state != BO_TRIAL_RUNNING)
		return 0;
	if ((rc = record(p, t, step, values)) < 0)
		return rc;
	t->cost = cost;
	if (step < p->sp.warmup_steps)
		return 0;
	switch (p->sp.kind) {
	case BO_PRUNER_MEDIAN: rc = rule_median(p, t, step, d); break;
	case BO_PRUNER_ASHA:
	case BO_PRUNER_HYPERBAND:
		if (!isnan(t->vals[(t->n - 1) * p->nm]))
			rc = rule_rungs(p, t, step, t->vals[(t->n - 1) * p->nm], d);
		break;
	case BO_PRUNER_PATIENCE: rule_patience(p, t, d); break;
	case BO_PRUNER_THRESHOLD: rule_threshold(p, values[0], d); break;
	case BO_PRUNER_COST: rule_cost(p, t, step, cost, d); break;
	case BO_PRUNER_PARETO: rc = rule_pareto(p, t, step, d); break;
	default: break;
	}
	if (d->prune)
		t->stopped = 1;
	return rc;
}

int bo__pruner_finish(bo_pruner *p, int64_t id, int state, const double *values, double cost)
{
	ptrial *t;
	size_t m;
	if (!p || p->sp.kind == BO_PRUNER_NONE)
		return 0;
	if (!(t = find(p, id, 1)))
		return BO_ENOMEM;
	t->state = state;
	t->cost = cost;
	for (m = 0; m < p->nm; m++)
		t->fin[m] = values && !isnan(values[m]) && state == BO_TRIAL_COMPLETE
				    ? (double)p->goals[m] * values[m]
				    : NAN;
	return 0;
}
