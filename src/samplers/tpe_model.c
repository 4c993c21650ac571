/*
 * samplers/tpe_model.c - the TPE sampler's model: the split of
 * the history into good and bad groups (feasibility-aware ranking, c-TPE
 * splits per guardrail, MOTPE's fronts cut by hypervolume contributions),
 * the mixtures fitted to them, and the acquisition of a candidate.
 *
 * Part of the TPE sampler: samplers/tpe.c holds the sampler and says which
 * papers it follows and what it changes; samplers/tpe_int.h lists what the
 * files share.
 *
 * Pure: no I/O, no clock, no globals; never prints.
 */
#include "samplers/tpe_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"
#include "samplers/tpe_kernels.h"

/* Reference point for hypervolumes: worst + this share of the range. */
#define HV_REF_MARGIN 0.1
/* MOTPE weights of good points: contribution / max, at least this. */
#define MO_WEIGHT_FLOOR 1e-12

enum { CLASS_FEASIBLE = 0, CLASS_INFEASIBLE = 1, CLASS_BAD = 2 };

/* ---- the split ------------------------------------------------------------- */

static int cmp_rank(const void *a, const void *b)
{
	const bo__rankrec *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->number < y->number ? -1 : x->number > y->number;
}

static int reserve_work(bo_tpe *t, size_t n)
{
	size_t c = t->work_cap < 16 ? 16 : t->work_cap, mm = t->m ? t->m : 1;
	int rc = 0;
	if (n <= t->work_cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((rc = bo__tpe_grow_rows(&t->recs, t->work_cap, c, 1, sizeof *t->recs)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->rtmp, t->work_cap, c, 1, sizeof *t->rtmp)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->ord, t->work_cap, c, 1, sizeof *t->ord)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->good, t->work_cap, c, 1, sizeof *t->good)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->bad, t->work_cap, c, 1, sizeof *t->bad)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->cls, t->work_cap, c, 1, sizeof *t->cls)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->viol, t->work_cap, c, 1, sizeof *t->viol)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->wts, t->work_cap, c, 1, sizeof *t->wts)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->contrib, t->work_cap, c, 1, sizeof *t->contrib)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->lse, t->work_cap, c + 1, 1, sizeof *t->lse)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->rank, t->work_cap, c, 1, sizeof *t->rank)) < 0 ||
	    (rc = bo__tpe_grow_rows(&t->pts, t->work_cap, c, mm, sizeof *t->pts)) < 0)
		return rc;
	t->work_cap = c;
	return 0;
}

/* Reference point for hypervolumes of the n points pts (m objectives). */
static void hv_ref(const double *pts, size_t n, size_t m, double *ref)
{
	size_t i, k;
	for (k = 0; k < m; k++) {
		double lo = INFINITY, hi = -INFINITY, range;
		for (i = 0; i < n; i++) {
			lo = fmin(lo, pts[i * m + k]);
			hi = fmax(hi, pts[i * m + k]);
		}
		range = hi - lo;
		ref[k] = hi + (range > 0 ? HV_REF_MARGIN * range : 1.0);
	}
}

/* MOTPE: marks with t->cls[e] = -1 the n_good best of the feasible
 * complete entries recs[0..nf) (already sorted by number), front by front;
 * the last front is cut by hypervolume contribution. ref is m doubles. */
static int mo_pick(bo_tpe *t, size_t nf, size_t n_good, double *ref)
{
	size_t i, k, m = t->m, taken = 0, nranks = 0;
	int r, rc;

	for (i = 0; i < nf; i++)
		memcpy(t->pts + i * m, t->oobj + t->recs[i].e * m, m * sizeof *t->pts);
	rc = bo_ndsort(t->pts, nf, m, t->rank, &nranks);
	if (rc < 0)
		return rc;
	for (r = 0; (size_t)r < nranks && taken < n_good; r++) {
		size_t cnt = 0, nlast = 0;
		for (i = 0; i < nf; i++)
			cnt += t->rank[i] == r;
		if (taken + cnt <= n_good) {
			for (i = 0; i < nf; i++)
				if (t->rank[i] == r)
					t->cls[t->recs[i].e] = -1;
			taken += cnt;
			continue;
		}
		/* The front that does not fit: its points, contiguous. */
		for (i = 0; i < nf; i++) {
			if (t->rank[i] != r)
				continue;
			memcpy(t->pts + nlast * m, t->oobj + t->recs[i].e * m, m * sizeof *t->pts);
			t->good[nlast++] = t->recs[i].e;
		}
		hv_ref(t->pts, nlast, m, ref);
		rc = bo_hv_contributions(t->pts, nlast, m, ref, t->contrib);
		if (rc < 0)
			return rc;
		for (i = 0; i < nlast; i++) {
			t->recs[i].cls = 0;
			t->recs[i].key = -t->contrib[i];
			t->recs[i].number = bo__tpe_entry_number(t, t->good[i]);
			t->recs[i].e = t->good[i];
		}
		qsort(t->recs, nlast, sizeof *t->recs, cmp_rank);
		for (k = 0; k < n_good - taken; k++)
			t->cls[t->recs[k].e] = -1;
		taken = n_good;
	}
	return 0;
}

/* Builds the objective's mixtures [0] (good) and [1] (bad), and, with
 * c-TPE, each guardrail's pair. */
int bo__tpe_build_model(bo_tpe *t)
{
	size_t nobs = t->nobs, np = t->liar ? t->npend : 0, E = nobs + np;
	size_t m = t->m, g = t->g, d = t->d, e, i, k, ncomplete = 0, nfeas = 0;
	size_t n_good, ng = 0, nb = 0, a, b;
	double ref[64], *refp = ref;
	int rc;

	rc = reserve_work(t, E + 1);
	if (rc < 0)
		goto done;
	if (m > sizeof ref / sizeof ref[0]) {
		refp = bo__calloc(m, sizeof *refp);
		if (!refp) {
			rc = BO_ENOMEM;
			goto done;
		}
	}
	/* Classes: feasible complete, infeasible complete, bad. */
	for (e = 0; e < E; e++) {
		int cls = CLASS_BAD;
		double viol = 0;
		if (e < nobs && t->ostate[e] == BO_TRIAL_COMPLETE) {
			cls = CLASS_FEASIBLE;
			for (k = 0; k < m; k++)
				if (!isfinite(t->oobj[e * m + k]))
					cls = CLASS_BAD;
			for (k = 0; cls != CLASS_BAD && k < g; k++) {
				double c = t->ocons[e * g + k];
				if (isnan(c))
					viol = INFINITY;
				else if (c < 0)
					viol += -c;
			}
			if (cls != CLASS_BAD && viol > 0)
				cls = CLASS_INFEASIBLE;
		}
		t->cls[e] = cls;
		t->viol[e] = viol;
		ncomplete += cls != CLASS_BAD;
		nfeas += cls == CLASS_FEASIBLE;
	}
	n_good = (size_t)ceil(t->gamma * (double)E);
	if (n_good > t->max_good)
		n_good = t->max_good;
	if (n_good > ncomplete)
		n_good = ncomplete;

	/* Rank: feasible by objective (one objective) or all feasible (several,
	 * sorted by number for MOTPE), then infeasible by violation. */
	for (e = 0, k = 0; e < E; e++) {
		if (t->cls[e] == CLASS_BAD)
			continue;
		t->recs[k].cls = t->cls[e];
		t->recs[k].key = t->cls[e] == CLASS_FEASIBLE ? (m == 1 ? t->oobj[e * m] : 0.0)
							     : t->viol[e];
		t->recs[k].number = bo__tpe_entry_number(t, e);
		t->recs[k].e = e;
		k++;
	}
	bo__tpe_sort_ranks(t->recs, k, t->rtmp);
	if (m > 1 && nfeas > n_good) {
		rc = mo_pick(t, nfeas, n_good, refp);
		if (rc < 0)
			goto done;
	} else {
		for (i = 0; i < n_good; i++)
			t->cls[t->recs[i].e] = -1;
	}

	/* Trial order of every entry: merge told and pending numbers. */
	for (a = 0, b = 0, k = 0; k < E; k++) {
		if (b >= np || (a < nobs && t->onum[a] < t->pnum[b]))
			t->ord[k] = a++;
		else
			t->ord[k] = nobs + b++;
	}
	rc = bo__tpe_mix_reserve(&t->mix[0], n_good, d);
	if (rc == 0)
		rc = bo__tpe_mix_reserve(&t->mix[1], E - n_good, d);
	if (rc < 0)
		goto done;
	for (k = 0; k < E; k++) {
		e = t->ord[k];
		if (t->cls[e] == -1)
			t->mix[0].ent[ng++] = e;
		else
			t->mix[1].ent[nb++] = e;
	}
	bo__tpe_default_weights(t->mix[1].w, nb);
	if (m > 1 && ng > 1) {
		/* MOTPE weights: hypervolume contribution within the good group. */
		double cmax = 0;
		for (i = 0; i < ng; i++)
			memcpy(t->pts + i * m, t->oobj + t->mix[0].ent[i] * m, m * sizeof *t->pts);
		hv_ref(t->pts, ng, m, refp);
		rc = bo_hv_contributions(t->pts, ng, m, refp, t->contrib);
		if (rc < 0)
			goto done;
		for (i = 0; i < ng; i++)
			cmax = fmax(cmax, t->contrib[i]);
		for (i = 0; i < ng; i++)
			t->mix[0].w[i] = cmax > 0 ? fmax(t->contrib[i] / cmax, MO_WEIGHT_FLOOR) : 1.0;
	} else {
		bo__tpe_default_weights(t->mix[0].w, ng);
	}
	bo__tpe_mix_fit(t, &t->mix[0], ng);
	bo__tpe_mix_fit(t, &t->mix[1], nb);
	t->mix_gamma[0] = E ? (double)ng / (double)E : 0.0;
	t->mix_on[0] = 1;

	/* c-TPE: per guardrail, complete trials with a known margin split by
	 * feasibility. */
	for (k = 0; k < g; k++) {
		mixture *ml = &t->mix[2 + 2 * k], *mb = &t->mix[3 + 2 * k];
		size_t nl = 0, nbd = 0;
		t->mix_on[1 + k] = 0;
		if (!t->ctpe)
			continue;
		rc = bo__tpe_mix_reserve(ml, nobs, d);
		if (rc == 0)
			rc = bo__tpe_mix_reserve(mb, nobs, d);
		if (rc < 0)
			goto done;
		for (e = 0; e < nobs; e++) {
			double c = t->ocons[e * g + k];
			if (t->ostate[e] != BO_TRIAL_COMPLETE || isnan(c))
				continue;
			if (c >= 0)
				ml->ent[nl++] = e;
			else
				mb->ent[nbd++] = e;
		}
		if (nbd == 0)
			continue;   /* never violated: nothing to learn */
		bo__tpe_default_weights(ml->w, nl);
		bo__tpe_default_weights(mb->w, nbd);
		bo__tpe_mix_fit(t, ml, nl);
		bo__tpe_mix_fit(t, mb, nbd);
		t->mix_gamma[1 + k] = (double)nl / (double)(nl + nbd);
		t->mix_on[1 + k] = 1;
	}
	rc = 0;
done:
	if (refp != ref)
		bo__free(refp);
	return rc;
}

/* The acquisition at candidate code c: sum of log relative density ratios
 * of the objective and each active guardrail. */
double bo__tpe_score(bo_tpe *t, const double *c)
{
	size_t k, i, nact = 0, nnum;
	double sc;
	bo__tpe_prior_terms(t, c, t->pt);
	for (i = 0; i < t->d; i++)
		if (!isnan(c[i]) && !t->is_cat[i])
			t->act[nact++] = i;
	nnum = nact;
	for (i = 0; i < t->d; i++)
		if (!isnan(c[i]) && t->is_cat[i])
			t->act[nact++] = i;
	sc = bo__tpe_log_rel_ratio(bo__tpe_mix_logpdf(t, &t->mix[0], c, t->pt, t->act, nnum, nact, t->lse),
			   bo__tpe_mix_logpdf(t, &t->mix[1], c, t->pt, t->act, nnum, nact, t->lse),
			   t->mix_gamma[0]);
	for (k = 0; k < t->g; k++) {
		if (!t->mix_on[1 + k])
			continue;
		sc += bo__tpe_log_rel_ratio(
			bo__tpe_mix_logpdf(t, &t->mix[2 + 2 * k], c, t->pt, t->act, nnum, nact, t->lse),
			bo__tpe_mix_logpdf(t, &t->mix[3 + 2 * k], c, t->pt, t->act, nnum, nact, t->lse),
			t->mix_gamma[1 + k]);
	}
	return sc;
}
