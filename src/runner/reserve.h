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

/* The quantile of the cost model a reservation takes: a trial costs more
 * than its reservation about one time in ten (and is then held to its
 * cap, which is at least the reservation). */
#define BO_RESERVE_QUANTILE 0.9

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
	const char *model;     /* what predicted rests on (for the basis) */
} bo_reserve_in;

typedef struct bo_reserve_out {
	double need;           /* the predicted cost that must fit in left */
	double reserve;        /* what the trial holds (its cap when capped) */
	double cap;            /* the most it may be charged; NaN: no cap */
	char basis[200];       /* why need is what it is, for the ledger */
} bo_reserve_out;

/* Decides the reservation of the next trial. The need is, in order: the
 * per-trial money cap if set; else the predicted cost of the proposed
 * configuration (in->predicted); else BO_RESERVE_MARGIN times the
 * costliest trial so far; else (no history) all that is left, and the
 * trial runs alone. With a money budget and no per_trial.money (and no
 * opt-out), the reservation is the derived cap bo__budget_derived_cap.
 * Returns BO_RESERVE_OK, BO_RESERVE_DEAR or BO_RESERVE_ALONE; out is
 * filled in every case (need says what did not fit). */
int bo__reserve_for(const bo_reserve_in *in, bo_reserve_out *out);

#endif
