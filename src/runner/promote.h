/*
 * runner/promote.h - scenario_policy: promote (issue 10 item 4): which
 * configurations are re-evaluated under the scenarios other than the base.
 *
 * A configuration the sampler proposes runs under the base scenario only
 * (repeats times: its base units). Configurations are numbered in the order
 * they launch. Rung n closes once the first n * every configurations have
 * all their base units ended; its candidates are those of them not yet
 * promoted whose base value is finite (the mean over the base units of
 * bo__fidelity_rank_value: complete, feasible, larger is better; a unit
 * without one leaves the configuration out), and its best top (ties: the
 * lower trial id) are promoted: each runs under every other scenario,
 * repeats times (its promotion units, scenario by scenario). Once
 * exploration is over (bo__promote_explore_end) and every configuration
 * has ended, one final rung promotes the best top of all not yet promoted.
 *
 * What a rung promotes depends only on the configurations of its prefix
 * and their base values, never on the order trials ended in, so a resumed
 * run that replays the ledger (bo__promote_launched and bo__promote_ended
 * for every stored trial, then bo__promote_close) promotes exactly what
 * the killed one did, and matches the promotion trials it had launched.
 *
 * Pure bookkeeping: no files, no clock, no printing.
 */
#ifndef BO_RUNNER_PROMOTE_H
#define BO_RUNNER_PROMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_promote bo_promote;

/* One configuration promoted by a rung. */
typedef struct bo_promote_pick {
	int64_t id;           /* the configuration's first trial */
	int64_t rung;         /* 1, 2, ...; the final rung comes after the last regular one */
	int final;            /* 1: the final rung */
	int64_t rank;         /* 1: the best of its rung's candidates */
	int64_t ncand;        /* its rung's candidates */
	double value;         /* its base value (larger is better) */
	int recorded;         /* bo__promote_recorded named it: its event exists */
} bo_promote_pick;

/* A bookkeeper for study s (its promote spec and scenarios) with repeats
 * units per scenario (>= 1). Returns 0 or BO_ENOMEM. */
int bo__promote_new(bo_promote **out, const bo_study *s, int64_t repeats);
void bo__promote_free(bo_promote *p);

/* The index of the base scenario. */
size_t bo__promote_base(const bo_promote *p);

/* Records that trial id launched with parameters x under scenario and
 * repeat. A base unit continues the latest configuration of the same
 * parameters with base units still to launch, else starts a new one; a
 * unit of another scenario is the promotion unit of a promoted
 * configuration of the same parameters (or, on replay, waits for the rung
 * that promotes it: bo__promote_close). Returns 0 or BO_ENOMEM. */
int bo__promote_launched(bo_promote *p, int64_t id, const double *x, size_t scenario, int64_t repeat);

/* Records that trial id ended, charged cost; value: its
 * bo__fidelity_rank_value (NaN: none; ignored for a promotion unit). 0,
 * or 0 too when id is unknown. */
int bo__promote_ended(bo_promote *p, int64_t id, double value, double cost);

/* What base units were charged so far (the exploration's spend). */
double bo__promote_base_spent(const bo_promote *p);

/* Exploration is over: no new configuration will launch. */
void bo__promote_explore_end(bo_promote *p);
int bo__promote_explored(const bo_promote *p);

/* Trial id holds a "scenario_promote" event already (a resumed run): its
 * pick is marked recorded. Returns 0 or BO_ENOMEM. */
int bo__promote_recorded(bo_promote *p, int64_t id);

/* Closes every rung that is due (and the final one when exploration is
 * over and every configuration has ended). *picks (valid until the next
 * call) lists what they promoted, *n of them. Returns 0 or BO_ENOMEM. */
int bo__promote_close(bo_promote *p, const bo_promote_pick **picks, size_t *n);

/* 1 and the parameters (x: nparams), scenario and repeat of the next
 * promotion unit still to launch (the oldest promotion first); 0 when none
 * waits. */
int bo__promote_next(const bo_promote *p, double *x, size_t *scenario, int64_t *repeat);

/* What happened so far. */
typedef struct bo_promote_counts {
	int64_t configs;      /* configurations launched under the base */
	int64_t ended;        /* ... whose base units all ended */
	int64_t promoted;     /* ... promoted */
	int64_t rungs;        /* rungs closed (the final one included) */
	int64_t base_units;   /* base units launched */
	int final_closed;
} bo_promote_counts;
void bo__promote_counts(const bo_promote *p, bo_promote_counts *out);

#endif
