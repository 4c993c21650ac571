/*
 * samplers/gp_sampler.h - the state of the "gp" sampler, shared by
 * samplers/gp.c (models, candidates, the ask) and samplers/gp_mo.c (the
 * multi-objective parts: ParEGO's scalarisation, EHVI's front and reference
 * point, the front members the candidates perturb). Private to those two.
 *
 * Pure: no I/O, no clock, no globals.
 */
#ifndef BO_SAMPLERS_GP_SAMPLER_H
#define BO_SAMPLERS_GP_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "samplers/gp_model.h"
#include "samplers/internal.h"

/* Failed trials: the worst complete value plus this share of the range. */
#define FAIL_PENALTY 0.1
/* Trials whose neighbourhoods the candidates perturb. */
#define N_BEST 5
/* ParEGO's augmentation (Knowles 2006: rho = 0.05). */
#define PAREGO_RHO 0.05
/* ParEGO for more objectives than this, exact EHVI up to it. Measured on
 * DTLZ2 (3 objectives, 6 parameters, 150 evaluations, bench/samplers.c;
 * hypervolume ratio against the true front, reference 1.1, 4 seeds):
 * ParEGO 0.736-0.756; exact EHVI with the wide reference point alone
 * 0.66-0.72; exact EHVI with the front's reference point (REF_FRONT_MARGIN)
 * and candidates around front members 0.913-0.924. */
#define PAREGO_ABOVE 3
/* The wide reference point: the worst value seen plus this share of the
 * observed range. It lets the front extend past its current extremes. */
#define REF_MARGIN 0.1
/* The front's reference point: the nadir of the current front plus this
 * share of the front's range, so that EHVI rewards filling the front in
 * (the wide one weighs the front's ends far more). Measured on DTLZ2 (4
 * seeds, front-member candidates): margin 0.1 0.890-0.897, 0.05
 * 0.907-0.916, 0.02 0.919-0.925. */
#define REF_FRONT_MARGIN 0.02
/* Share of asks that use the wide reference point instead. With the
 * front's alone ZDT1 stalled (HV ratio 0.64-0.81, 3 seeds: the front could
 * not extend); measured with 3 seeds of ZDT1 and DTLZ2: 0.5 gave
 * 0.9961-0.9964 and 0.868-0.884, 0.2 0.9965-0.9966 and 0.902-0.915, 0.1
 * 0.9967 and 0.913-0.924 (the wide one alone: ZDT1 0.9942-0.9948). */
#define REF_WIDE_SHARE 0.1

enum { KIND_OBJ, KIND_PAREGO, KIND_CONS, KIND_COST };
enum { MODE_EI, MODE_EHVI, MODE_POF };

typedef struct gp_sampler {
	const bo_study *study;
	uint64_t seed;
	size_t np, nobj, ncons, dfeat;
	void *sobol;

	/* options */
	size_t n_startup, refit_every, n_candidates, n_local, ehvi_samples, fit_points;
	int cost_aware, n_restarts;

	/* told observations */
	size_t nobs, cap;
	double *ox, *of, *oobj, *ocons, *ocost;   /* x, features, objectives, margins, cost */
	int *ostate;
	/* pending (asked, not told) */
	size_t npend, pcap;
	int64_t *pnum;
	double *px, *pf;

	/* models: nobjm objective models, then ncons guardrails, then cost */
	size_t nobjm, nslots;
	int parego;            /* one ParEGO model instead of one per objective */
	bo_gp *gp;
	int *usable;
	double *theta_cache;   /* nslots * (dfeat + 2) */
	size_t *cache_key;     /* n_fit of the cached theta, or SIZE_MAX */

	/* workspaces */
	double *u, *x, *feat, *ubuf;
	double *dX, *dy;       /* data builders: (nobs + npend) rows */
	size_t dcap;
	size_t *counts;
	double *lambda;        /* ParEGO weights */
	double *olo, *ohi;     /* ParEGO: objective ranges */
	double *mu1, *var1;    /* nslots */
} gp_sampler;

/* What one ask's acquisition needs. */
typedef struct acq_ctx {
	gp_sampler *g;
	int mode;
	double best;
	double alpha;          /* cost exponent, 0: ignore cost */
	int use_cost;
	/* EHVI */
	double *front, *ref, *z, *work, *mo_mu, *mo_sd;
	size_t nfront;
	double hv_front;
	int exact;             /* 2-3 objectives: exact EHVI over boxes (ehvi3.c) */
	bo_ehvi_boxes boxes;
	double *ework;
	int err;
} acq_ctx;

/* Worst and best value of objective k among the first nuse observations;
 * 0 when none is finite. */
int bo__gp_obj_range(const gp_sampler *g, size_t k, size_t nuse, double *lo, double *hi);
/* Objective k of observation i, a failure replaced (needs the range). */
double bo__gp_obj_value(const gp_sampler *g, size_t i, size_t k, double lo, double hi);
/* ParEGO's scalarisation of observation i. */
double bo__gp_parego_value(const gp_sampler *g, size_t i, const double *lo, const double *hi);
/* Is observation i complete, with every objective, and feasible? */
int bo__gp_feasible(const gp_sampler *g, size_t i);
/* A standard normal draw. */
double bo__gp_rng_normal(bo_rng *rng);
/* EHVI's front, reference point and boxes for one ask (a->mode becomes
 * MODE_EHVI, or MODE_POF without a feasible trial); freed by
 * bo__gp_clear_ehvi. Returns 0, BO_ENOMEM or a hypervolume error. */
int bo__gp_setup_ehvi(gp_sampler *g, acq_ctx *a, bo_rng *rng);
void bo__gp_clear_ehvi(acq_ctx *a);
/* The front members to perturb (see gp_mo.c). Returns 0, BO_ENOMEM. */
int bo__gp_front_pick(gp_sampler *g, bo_rng *rng, size_t *order, size_t *nbest);

#endif
