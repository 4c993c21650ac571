/*
 * samplers/costmodel.h - the samplers' one cost model (samplers/costmodel.c):
 * k nearest neighbours on log-cost with a conformally calibrated upper
 * quantile, for the budget's reservation, and a point prediction with a
 * cooling exponent for the cost-aware acquisitions of TPE and NSGA-II.
 *
 * Pure: no I/O, no clock, no globals.
 */
#ifndef BO_SAMPLERS_COSTMODEL_H
#define BO_SAMPLERS_COSTMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_costmodel bo_costmodel;

/* A model of study s's costs (s outlives it). Returns 0, BO_ENOMEM. */
int bo__costmodel_new(bo_costmodel **out, const bo_study *s);
void bo__costmodel_free(bo_costmodel *m);

/* Learns that configuration x cost cost (money). A cost that is not a
 * finite positive number is ignored. Returns 0, BO_ENOMEM. */
int bo__costmodel_add(bo_costmodel *m, const double *x, double cost);

/* Learns from a trial of configuration x that failed having cost cost.
 * A failure says what failing cost, not what the configuration costs when
 * it runs: an evaluator that exits at once on an unsupported combination
 * costs nothing, and taken as the configuration's cost it would make its
 * neighbours look free (reservations too small, anomaly stops on the first
 * real trial near it) and miscalibrate the upper quantile. So its cost is
 * learnt only when it is at least half the model's point prediction for x
 * (a failure that cost about that much or more, say one stopped at a
 * timeout or a cap, is a warning worth keeping), or, before the model can
 * predict, at least half the dearest cost learnt so far (a study whose
 * first trials all stop at their cap learns the cap). Either way x is remembered:
 * bo__costmodel_cheaper never offers it. Returns 0, BO_ENOMEM. */
int bo__costmodel_add_failed(bo_costmodel *m, const double *x, double cost);

/* Costs learnt so far. */
size_t bo__costmodel_count(const bo_costmodel *m);

/* *upper: the cost configuration x stays under with probability about q
 * (0 < q < 1). Returns 0, or BO_DONE (*upper NaN) while the model has too
 * few costs to say. */
int bo__costmodel_predict(bo_costmodel *m, const double *x, double q, double *upper);

/* The point prediction of log(cost) at configuration x: the mean log-cost
 * of its k nearest told configurations. NaN while the model has too few
 * costs to say. */
double bo__costmodel_log_mean(bo_costmodel *m, const double *x);

/* The exponent alpha of cost-cooled acquisitions (Lee, Eriksson, Perrone
 * and Seeger 2020, CArBO): divide by predicted cost^alpha, alpha the share
 * of the money budget left after the start-up design (the first n_startup
 * costs told), cooling from 1 to 0. 0 without a money budget, before
 * ALPHA_MIN_OBS costs, or while every cost told is the same. */
double bo__costmodel_alpha(const bo_costmodel *m, size_t n_startup);

/* One line saying what the prediction rests on, for the ledger. */
void bo__costmodel_describe(bo_costmodel *m, double q, char *buf, size_t size);

/* A configuration near the proposal x (in the unit cube) whose predicted
 * q-quantile is at most limit, drawn deterministically from (seed,
 * number), meeting the study's constraints and never one told before
 * (whether it ran or failed: in a finite space the cheap configurations
 * would otherwise be run again and again), into xout with its
 * prediction in *upper. Returns 0, BO_DONE when no draw fits (or the
 * model cannot predict yet), BO_ENOMEM. */
int bo__costmodel_cheaper(bo_costmodel *m, uint64_t seed, int64_t number, const double *x,
			  double q, double limit, double *xout, double *upper);

#endif
