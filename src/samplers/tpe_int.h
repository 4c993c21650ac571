/*
 * samplers/tpe_int.h - what the files of the TPE sampler share: its
 * constants, the Parzen mixture and the sampler's state (bo_tpe), and the
 * bo__tpe_* functions one file defines and others call.
 *
 * Private to src/samplers/tpe*.c. The files: tpe.c (the sampler: lifecycle,
 * history, seen configurations, ask and tell), tpe_parzen.c (unit
 * coordinates and Parzen mixtures), tpe_model.c (the split and the
 * acquisition), tpe_kernels.c (inner loops).
 */
#ifndef BO_SAMPLERS_TPE_INT_H
#define BO_SAMPLERS_TPE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"
#include "samplers/tpe_kernels.h"

/* Slots of mix_fit's memo of truncation log-masses, by code. */
#define TPE_TRUNC_MEMO_BITS 10
#define TPE_TRUNC_MEMO (1u << TPE_TRUNC_MEMO_BITS)

/* log(sqrt(2 pi)) */
#define LOG_SQRT_2PI 0.91893853320467274178

/* A Parzen mixture over the parameters: ncomp observation components and
 * the prior, last. */
typedef struct mixture {
	size_t ncomp;          /* observation components (the prior excluded) */
	size_t cap;            /* components allocated (prior included) */
	size_t *ent;           /* ncomp entries (see entry_code) */
	double *logw;          /* ncomp + 1 log weights, the prior last */
	double *cumw;          /* ncomp + 1 cumulative weights, for drawing */
	double *mu;            /* ncomp * d: centre or label; NaN inactive */
	double *lc;            /* ncomp * d: log constant of numeric kernels */
	double *muT, *lcT;     /* the same, parameter-major (d rows of cap):
				* mix_logpdf sweeps one parameter over every
				* component, a loop without a carried sum */
	double *sigma;         /* d */
	double *isig;          /* d */
	double *lhi, *llo;     /* d: categorical log kernel, match / not */
	double *w;             /* ncomp raw weights (workspace) */
	double *tkey, *tval;   /* TPE_TRUNC_MEMO codes of one grid parameter
				* and their truncation log-masses (mix_fit's
				* workspace: a grid has few distinct codes) */
	unsigned char *full;   /* ncomp: 1 when every parameter is active */
} mixture;

typedef struct bo_tpe {
	const bo_study *s;
	uint64_t seed;
	size_t d, m, g;        /* parameters, objectives, guardrails */

	/* options */
	size_t n_startup, n_candidates, max_good;
	double gamma, prior_weight;
	int liar, ctpe, startup_sobol, cost_aware;
	int reference_kernel;  /* 1: mix_logpdf_rows (for the test of equality) */
	bo_costmodel *cost;    /* samplers/costmodel.c */

	/* parameters: 1 categorical (unordered labels), grid points (0: continuous) */
	int *is_cat;
	double *npts;
	double *prior_lc;      /* d: log constant of the numeric prior */
	int finite;
	double space_size;     /* product of grid points (finite spaces) */

	void *sobol;

	/* told observations, by increasing number */
	size_t nobs, obs_cap;
	int64_t *onum;
	int *ostate;
	double *ox, *ocode, *oobj, *ocons;

	/* pending (asked, not told), by increasing number */
	size_t npend, pend_cap;
	int64_t *pnum;
	double *px, *pcode;

	/* per-ask workspace */
	bo_rng rng;
	const mixture *draw_mix;
	size_t nmix;           /* 2 + 2 * g */
	mixture *mix;          /* [0] l, [1] g, then per guardrail l, g */
	double *mix_gamma;     /* per objective/guardrail split: good share */
	int *mix_on;           /* per split: used in the acquisition */
	size_t work_cap;
	bo__rankrec *recs, *rtmp;     /* rtmp: sort_ranks' workspace */
	size_t *ord, *good, *bad;
	int *cls;
	double *viol, *wts, *pts, *contrib, *lse;
	int *rank;
	size_t cand_cap;
	double *u, *xc, *cc, *pt, *xbest;
	size_t *counts;
	size_t *digits;
	size_t *act;           /* d: a candidate's active parameters */
	size_t seen_cap;
	size_t *seen;
	double nseen_distinct;  /* distinct configurations told or pending */
} bo_tpe;

/* tpe.c */
int bo__tpe_grow_rows(void *arr, size_t have, size_t need, size_t width, size_t elem);

/* tpe_parzen.c */
double bo__tpe_grid_points(const bo_param *p);
double bo__tpe_grid_unit(const bo_param *p, double npts, double k);
void bo__tpe_codes(const bo_tpe *t, const double *x, double *c);
double bo__tpe_log_trunc_mass(double mu, double s);
int64_t bo__tpe_entry_number(const bo_tpe *t, size_t e);
int bo__tpe_mix_reserve(mixture *mx, size_t ncomp, size_t d);
void bo__tpe_default_weights(double *w, size_t n);
void bo__tpe_mix_fit(const bo_tpe *t, mixture *mx, size_t n);
void bo__tpe_prior_terms(const bo_tpe *t, const double *c, double *pt);
double bo__tpe_mix_logpdf(const bo_tpe *t, const mixture *mx, const double *c, const double *pt,
			 const size_t *act, size_t nnum, size_t nact, double *lse);
double bo__tpe_log_rel_ratio(double ll, double lg, double gamma);
int bo__tpe_draw_mix(void *ud, double *u);
int bo__tpe_draw_uniform(void *ud, double *u);

/* tpe_model.c */
int bo__tpe_build_model(bo_tpe *t);
double bo__tpe_score(bo_tpe *t, const double *c);

#endif
