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

#define MONEY_EPS 1e-12          /* relative slack when comparing money */

int bo__reserve_for(const bo_reserve_in *in, bo_reserve_out *out)
{
	const bo_budget *b = in->budget;
	int money = isfinite(b->money);
	double left = in->left;

	memset(out, 0, sizeof *out);
	out->cap = NAN;
	if (isfinite(b->trial_money)) {
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
		out->cap = b->trial_money;
	} else if (bo__budget_capped(b)) {
		/* The cap is the reservation: spend + the caps of the running
		 * trials stay within the budget. */
		out->reserve = bo__budget_derived_cap(left, in->slots, out->need);
		out->cap = out->reserve;
	}
	return BO_RESERVE_OK;
}
