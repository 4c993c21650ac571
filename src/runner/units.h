/*
 * runner/units.h - the evaluation units of a configuration: one proposal
 * of the sampler runs under every scenario, each repeats times (issue 10
 * items 3 and 4, scenario_policy: all). Unit u of a configuration is
 * scenario u / repeats, repeat u % repeats; units launch in that order.
 *
 * Each unit is a trial of its own (its own ledger row, reserved, capped and
 * charged like any trial); the sampler learns once per configuration, when
 * all its units have ended, from the mean over its complete units.
 *
 * Pure bookkeeping: no files, no clock, no printing.
 */
#ifndef BO_RUNNER_UNITS_H
#define BO_RUNNER_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_units bo_units;

/* What the evaluator of one unit is told: BUDGETOPT_SCENARIO,
 * BUDGETOPT_REPEAT, BUDGETOPT_SEED and the {scenario}, {repeat}, {seed}
 * placeholders. */
typedef struct bo_unit_id {
	const char *scenario;  /* borrowed from the study ("default": none listed) */
	int64_t repeat;        /* from 0 */
	uint64_t seed;         /* bo__repeat_seed */
} bo_unit_id;

/* The identity of scenario k, repeat rep of study s. */
void bo__unit_id_of(const bo_study *s, size_t k, int64_t rep, bo_unit_id *out);

/* 1 when name is scenario, repeat or seed, with its value in buf (with
 * shell, a quoted reference to its environment variable instead, so that
 * no value is ever parsed by the shell); 0 for any other name. */
int bo__unit_placeholder(const bo_unit_id *u, const char *name, int shell, char *buf, size_t size);

/* What a configuration tells the sampler once all its units have ended. */
typedef struct bo_units_told {
	int64_t number;       /* the trial number (id - 1) of its first unit */
	const double *x;      /* its parameters (valid until the next call) */
	int state;            /* complete if any unit is, else the last unit's */
	const double *metrics;/* nmetrics means over its complete units (NaN: none) */
	double cost;          /* the mean cost of its units */
} bo_units_told;

/* A bookkeeper for study s with repeats per scenario (>= 1). Returns 0 or
 * BO_ENOMEM. */
int bo__units_new(bo_units **out, const bo_study *s, int64_t repeats);
void bo__units_free(bo_units *u);

/* Restricts the units of a configuration to one scenario (scenario_policy:
 * promote runs a new configuration under its base scenario only;
 * runner/promote.h): units per configuration become repeats, and trials of
 * other scenarios are no units. Call before any unit launched. */
void bo__units_only(bo_units *u, size_t scenario);

/* Units per configuration: scenarios times repeats. */
size_t bo__units_per_config(const bo_units *u);

/* The scenario and repeat of unit index k. */
void bo__units_unit(const bo_units *u, size_t k, size_t *scenario, int64_t *repeat);

/* 1 and a copy of the parameters of the next unit still to launch (the
 * oldest configuration first) in x, its scenario and repeat, and a token
 * for bo__units_launched (its configuration's first trial id: it stays
 * valid while other configurations end); 0 when none waits. */
int bo__units_next(const bo_units *u, double *x, size_t *scenario, int64_t *repeat,
		   int64_t *token);

/* Records that the unit of token (-1: the first unit of a new configuration
 * x) launched as trial id. Returns 0 or BO_ENOMEM. */
int bo__units_launched(bo_units *u, int64_t token, const double *x, int64_t id);

/* Records that trial id ended (state, its nmetrics metrics, cost). Returns
 * 1 with *told filled when that was its configuration's last unit, 0 when
 * units remain (or id is no unit), BO_ENOMEM. */
int bo__units_ended(bo_units *u, int64_t id, int state, const double *metrics, double cost,
		    bo_units_told *told);

/* Replays a stored trial on resume: the trials of the ledger in id order,
 * with their parameters x, scenario and repeat. A unit at index 0 starts a
 * configuration; any other continues the latest one of the same
 * parameters. Returns 0 or BO_ENOMEM. */
int bo__units_replay(bo_units *u, int64_t id, const double *x, const char *scenario,
		     int64_t repeat);

#endif
