/*
 * runner/reserve.h - the reservation rule: how much of the money budget a
 * trial holds when it launches, and the cap it is then held to. Shared by
 * `budgetopt run` (runner.c), the ask/tell API (optimizer.c) and any
 * worker that launches trials, so all keep the same promise: with a cap in
 * force (per_trial.money, or the derived one), spend never passes the
 * money budget; and since the reservation is the predicted cost of the
 * proposed configuration, not of the dearest one so far, the budget is
 * spent to its end.
 *
 * Pure: no I/O, no clock; the caller records the basis in its event.
 */
#ifndef BO_RUNNER_RESERVE_H
#define BO_RUNNER_RESERVE_H

#include <stdint.h>

#include "core/model.h"
#include "samplers/sampler.h"

/* The quantile of the cost model a reservation takes: a trial costs more
 * than its reservation about one time in ten (and is then held to its
 * cap, which is at least the reservation). */
#define BO_RESERVE_QUANTILE 0.9
/* The quantile the last trials of a budget may launch at, when nothing
 * runs and nothing fits at BO_RESERVE_QUANTILE: money otherwise unspent. */
#define BO_RESERVE_LAST_QUANTILE 0.5

enum {
	BO_RESERVE_OK = 0,     /* launch it: reserve, cap and basis are set */
	BO_RESERVE_DEAR = 1,   /* it does not fit in the money left: ask for a
				* cheaper configuration, wait or stop */
	BO_RESERVE_ALONE = 2   /* nothing predicts it and trials run: wait */
};

typedef struct bo_reserve_in {
	const bo_budget *budget;
	double left;           /* money - spend - reservations held (ignored
				* without a money budget) */
	int64_t slots;         /* launches that may start now, >= 1 */
	int64_t running;       /* trials holding reservations */
	int64_t nfinished;     /* trials with a known cost */
	double max_cost;       /* the costliest of them (before any cap) */
	double predicted;      /* the cost model's upper quantile for the
				* proposed configuration; NaN: none */
	char *model;           /* what predicted rests on (for the basis);
				* bo__reserve_proposal fills it */
	size_t model_size;
} bo_reserve_in;

typedef struct bo_reserve_out {
	double need;           /* the predicted cost that must fit in left */
	double reserve;        /* what the trial holds (its cap when capped) */
	double cap;            /* the most it may be charged; NaN: no cap */
	char basis[200];       /* why need is what it is, for the ledger */
} bo_reserve_out;

/* Decides the reservation of the next trial. The need (what must fit in
 * the money left) is, in order: the predicted cost of the proposed
 * configuration (in->predicted), at most per_trial.money; else
 * per_trial.money; else BO_RESERVE_MARGIN times the costliest trial so
 * far; else (no history) all that is left, and the trial runs alone. With
 * a money budget the reservation is also the trial's cap: the derived cap
 * bo__budget_derived_cap (never below the need), at most per_trial.money
 * when set; without the cap (per_trial: {money: none}) it is the need.
 * Returns BO_RESERVE_OK, BO_RESERVE_DEAR or BO_RESERVE_ALONE; out is
 * filled in every case (need says what did not fit). */
int bo__reserve_for(const bo_reserve_in *in, bo_reserve_out *out);

/* What a running trial holds of the money budget while it runs, given its
 * reservation and its live cost so far (cost_now; NaN or negative: not
 * known yet): what is left of the reservation plus what was already used,
 * max(reserved - cost_now, 0) + cost_now, i.e. never less than what it has
 * used. The money left for a new reservation is the budget less the spend
 * and the sum of this over the running trials. It never goes below the
 * reservation: a trial may spend up to its cap, which is its reservation,
 * so holding less would let the spend pass the budget. */
double bo__reserve_held(double reserved, double cost_now);

/* The whole rule at launch, for proposal x (nparams values) of trial
 * number: asks sm's cost model for x's BO_RESERVE_QUANTILE, sets in->predicted and in->model, and decides
 * with bo__reserve_for. When x does not fit and no trial runs (waiting
 * could free no money): with too few costs for the model, x runs alone
 * with all that is left (as the first trial does); else x is replaced by
 * a nearby configuration predicted to fit (bo__sampler_cheaper), trying
 * BO_RESERVE_QUANTILE then BO_RESERVE_LAST_QUANTILE; the basis says so.
 * in->model may be NULL (a local buffer is used).
 * Returns BO_RESERVE_OK, BO_RESERVE_DEAR, BO_RESERVE_ALONE, or an error
 * (BO_ENOMEM). */
int bo__reserve_proposal(bo_sampler *sm, bo_reserve_in *in, int64_t number, double *x,
			 size_t nparams, bo_reserve_out *out);

#endif
