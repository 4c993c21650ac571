/*
 * runner/reserve.c - the reservation rule of runner/reserve.h.
 *
 * Why a prediction per configuration: reserving 1.25 times the costliest
 * trial so far stops a study whose costs vary 10-100x as soon as the money
 * left falls below that, with up to 15% of the budget unspent, although
 * most configurations would still fit. The prediction of the proposed
 * configuration (an upper quantile) lets cheap ones run to the end; a
 * trial dearer than predicted is still held to its cap, so the promise
 * "never past the budget" rests on the cap, not on the prediction.
 *
 * Must never do I/O: the runner, the ask/tell API and workers call it.
 */
#include "runner/reserve.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

#define MONEY_EPS 1e-12          /* relative slack when comparing money */

int bo__reserve_for(const bo_reserve_in *in, bo_reserve_out *out)
{
	const bo_budget *b = in->budget;
	int money = isfinite(b->money);
	double left = in->left;

	memset(out, 0, sizeof *out);
	out->cap = NAN;
	if (isfinite(b->trial_money) && isfinite(in->predicted) && in->predicted >= 0 &&
	    in->predicted < b->trial_money) {
		out->need = in->predicted;
		snprintf(out->basis, sizeof out->basis, "predicted %.6g (%s), under per_trial.money %.6g",
			 in->predicted, in->model && *in->model ? in->model : "cost model", b->trial_money);
	} else if (isfinite(b->trial_money)) {
		out->need = b->trial_money;
		snprintf(out->basis, sizeof out->basis, "per_trial.money %.6g", b->trial_money);
	} else if (isfinite(in->predicted) && in->predicted >= 0) {
		out->need = in->predicted;
		snprintf(out->basis, sizeof out->basis, "predicted %.6g (%s)", in->predicted,
			 in->model && *in->model ? in->model : "cost model");
	} else if (in->nfinished > 0) {
		out->need = in->max_cost * BO_RESERVE_MARGIN;
		snprintf(out->basis, sizeof out->basis, "%.6g: %g times the costliest trial so far (%.6g), too few costs for the model",
			 out->need, BO_RESERVE_MARGIN, in->max_cost);
	} else if (!money) {
		out->need = 0.0;
		snprintf(out->basis, sizeof out->basis, "no cost known yet, no money budget");
	} else {
		/* No cap and no history: the first trial runs alone. */
		if (in->running > 0) {
			out->need = NAN;
			snprintf(out->basis, sizeof out->basis, "no cost known yet: the first trial runs alone");
			return BO_RESERVE_ALONE;
		}
		out->need = money ? (left > 0 ? left : 0.0) : 0.0;
		snprintf(out->basis, sizeof out->basis, "no cost known yet: the first trial holds all that is left");
	}
	out->reserve = out->need;
	if (!money) {
		if (isfinite(b->trial_money))
			out->cap = b->trial_money;
		return BO_RESERVE_OK;
	}
	if (out->need > left * (1.0 + MONEY_EPS) || left <= 0)
		return BO_RESERVE_DEAR;
	if (isfinite(b->trial_money)) {
		/* Below per_trial.money only when what is left is shared by
		 * fewer than a cap each: the end of the budget. */
		out->reserve = bo__budget_derived_cap(left, in->slots, out->need);
		if (out->reserve > b->trial_money)
			out->reserve = b->trial_money;
		out->cap = out->reserve;
	} else if (bo__budget_capped(b)) {
		/* The cap is the reservation: spend + the caps of the running
		 * trials stay within the budget. */
		out->reserve = bo__budget_derived_cap(left, in->slots, out->need);
		out->cap = out->reserve;
	}
	return BO_RESERVE_OK;
}

double bo__reserve_held(double reserved, double cost_now)
{
	double r = isfinite(reserved) && reserved > 0 ? reserved : 0.0;
	if (!isfinite(cost_now) || cost_now <= 0)
		return r;
	return fmax(r - cost_now, 0.0) + cost_now;
}

/* Tries a quantile q for proposal x: x itself, else a configuration near
 * it predicted to fit (replacing x). Returns BO_RESERVE_OK, DEAR, or an
 * error. */
static int try_quantile(bo_sampler *sm, bo_reserve_in *in, int64_t number, double *x,
			size_t nparams, double q, double *alt, bo_reserve_out *out)
{
	double was = in->predicted, pa;
	size_t len;
	int rc, v;
	char how[120];
	if (q != BO_RESERVE_QUANTILE) {
		rc = bo__sampler_predict_cost(sm, x, q, &pa, in->model, in->model_size);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			in->predicted = pa;
			if ((v = bo__reserve_for(in, out)) != BO_RESERVE_DEAR)
				return v;
		}
	}
	rc = bo__sampler_cheaper(sm, number, x, q, in->left, alt, &pa);
	if (rc < 0)
		return rc;
	if (rc == BO_DONE)
		return BO_RESERVE_DEAR;
	memcpy(x, alt, nparams * sizeof *x);
	bo__sampler_predict_cost(sm, x, q, &pa, in->model, in->model_size);
	in->predicted = pa;
	len = strlen(in->model);
	snprintf(how, sizeof how, "; replaces the proposal, whose %.0f%% quantile %.6g did not fit", BO_RESERVE_QUANTILE * 100, was);
	if (len < in->model_size)
		snprintf(in->model + len, in->model_size - len, "%s", how);
	return bo__reserve_for(in, out);
}

int bo__reserve_proposal(bo_sampler *sm, bo_reserve_in *in, int64_t number, double *x,
			 size_t nparams, bo_reserve_out *out)
{
	static const double qs[] = {BO_RESERVE_QUANTILE, BO_RESERVE_LAST_QUANTILE};
	char model[200];
	double *alt = NULL;
	size_t k;
	int v, rc;
	if (!in->model || !in->model_size) {
		in->model = model;
		in->model_size = sizeof model;
	}
	in->predicted = NAN;
	in->model[0] = '\0';
	/* Without a money budget nothing needs the prediction. */
	if (isfinite(in->budget->money) &&
	    (rc = bo__sampler_predict_cost(sm, x, BO_RESERVE_QUANTILE, &in->predicted, in->model,
					   in->model_size)) < 0)
		return rc;
	v = bo__reserve_for(in, out);
	if (v != BO_RESERVE_DEAR || in->running > 0)
		return v;
	if (!isfinite(in->predicted)) {
		/* Too few costs for the model, and the costliest trial so far
		 * says no: nothing predicts this one, so it runs alone with
		 * all that is left, as the first trial does (held to it). */
		in->predicted = in->left;
		v = bo__reserve_for(in, out);
		snprintf(out->basis, sizeof out->basis,
			 "all that is left, %.6g: too few costs for the model, and %g times the costliest trial (%.6g) does not fit, so it runs alone",
			 in->left, BO_RESERVE_MARGIN, in->max_cost);
		return v;
	}
	/* Rather than stop with money unspent: a configuration that fits at
	 * the reservation's quantile, else, for the last trials of the
	 * budget, at the median (the trial is held to its cap either way). */
	if (!(alt = bo__calloc(nparams + 1, sizeof *alt)))
		return BO_ENOMEM;
	for (k = 0; k < sizeof qs / sizeof qs[0] && v == BO_RESERVE_DEAR; k++)
		v = try_quantile(sm, in, number, x, nparams, qs[k], alt, out);
	bo__free(alt);
	return v;
}
