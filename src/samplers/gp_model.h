/*
 * samplers/gp_model.h - a Gaussian-process regression model and the
 * acquisition kernels of samplers/gp.c (expected improvement, probability
 * of feasibility, expected hypervolume improvement by Monte Carlo).
 *
 * The model knows nothing of studies: inputs are rows of d features
 * (samplers/gp.c encodes configurations), outputs are doubles. Pure: no
 * I/O, no clock, no globals; allocation through core/alloc.h.
 */
#ifndef BO_SAMPLERS_GP_MODEL_H
#define BO_SAMPLERS_GP_MODEL_H

#include <stddef.h>

#include "samplers/sampler.h"

/* Hyperparameters theta (d + 2 values): log lengthscale of each feature,
 * log signal variance, log noise variance (both of the standardised
 * outputs). */
#define BO_GP_LOG_SF2(d) (d)
#define BO_GP_LOG_SN2(d) ((d) + 1)

typedef struct bo_gp {
	size_t d;            /* features */
	size_t n, cap;       /* points held, room */
	double *X;           /* cap * d, row-major */
	double *y;           /* cap: outputs as given */
	double *ys;          /* cap: standardised (y - ymean) / ystd */
	double ymean, ystd;
	double *theta;       /* d + 2 */
	int prior;           /* 1: the fit maximises likelihood times the priors */
	int factored;        /* L and alpha match X, y and theta */
	double jitter;       /* added to the diagonal by the last factorisation */
	double *L;           /* cap * cap: Cholesky factor (lower, row-major) */
	double *alpha;       /* cap: (K + sn2 I)^-1 ys */
	double *W;           /* cap * cap: workspace (gradient, batch predictions) */
	double *kv;          /* cap: workspace */
	double *lo, *hi;     /* d + 2: bounds of theta in the fit */
	double *pm, *ps;     /* d + 2: normal priors on theta (mean, sd) */
	double *tmp;         /* d + 2: workspace */
	double *il;          /* d + 2: inverse lengthscales of the last use */
} bo_gp;

/* An empty model over d >= 1 features with default hyperparameters and
 * priors. Returns 0 or BO_ENOMEM. bo__gp_clear frees; accepts a zeroed gp. */
int bo__gp_init(bo_gp *gp, size_t d);
void bo__gp_clear(bo_gp *gp);

/* Copies n points (X: n * d, y: n finite values) into the model and
 * standardises the outputs (a constant output gets ystd = 1). The model
 * must be factored again. Returns 0 or BO_ENOMEM. */
int bo__gp_set_data(bo_gp *gp, const double *X, const double *y, size_t n);

/* Matern 5/2 with ARD: k(a, b) = sf2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r),
 * r^2 = sum_j (a_j - b_j)^2 / l_j^2, from theta (d + 2). */
double bo__gp_kernel(const double *theta, size_t d, const double *a, const double *b);

/* Factors K + sn2 I with gp->theta (Cholesky, LAPACKE_dpotrf; on failure
 * adds a growing jitter to the diagonal). Returns 0, BO_ERROR when no
 * jitter up to the limit makes it positive definite, BO_EMISUSE with no
 * data. */
int bo__gp_factor(bo_gp *gp);

/* The log marginal likelihood of the standardised outputs at theta (plus
 * the log priors when with_prior) into *out and, when grad is not NULL,
 * its gradient (d + 2). Leaves gp->theta unchanged but overwrites the
 * factorisation. Returns 0, BO_ERROR (not positive definite). */
int bo__gp_lml(bo_gp *gp, const double *theta, int with_prior, double *out, double *grad);

/* Fits theta by maximising the log marginal likelihood times the priors
 * with NLopt's L-BFGS from the prior means and nrestarts random starts
 * drawn from the priors with rng, using at most max_points of the data
 * (an evenly spaced subset), then factors with all of them. Returns 0,
 * BO_ERROR, BO_ENOMEM. */
int bo__gp_fit(bo_gp *gp, bo_rng *rng, int nrestarts, size_t max_points);

/* Posterior mean and variance of the latent function at x (d features),
 * in the units of y. The model must be factored. */
void bo__gp_predict(bo_gp *gp, const double *x, double *mu, double *var);

/* The posterior variances of the latent function at a and b and their
 * posterior covariance (d features each), in the units of y squared;
 * what observing one tells of the other (samplers/mfgp.c). The model
 * must be factored; uses the model's workspaces and work (2 n doubles). */
void bo__gp_cov(bo_gp *gp, const double *a, const double *b, double *work, double *var_a,
		double *var_b, double *cov);

/* The same for m points (Xs: m * d) at once, through BLAS level 3. */
void bo__gp_predict_many(bo_gp *gp, const double *Xs, size_t m, double *mu, double *var);

/* Standard normal density, distribution and its logarithm (accurate far
 * into the lower tail). */
double bo__gp_phi(double z);
double bo__gp_Phi(double z);
double bo__gp_log_Phi(double z);

/* Expected improvement below best of N(mu, sd^2) (minimisation): E[max(best
 * - Y, 0)]; and its logarithm, accurate where the improvement is tiny
 * (-inf only when sd = 0 and mu >= best). */
double bo__gp_ei(double mu, double sd, double best);
double bo__gp_log_ei(double mu, double sd, double best);

/* Probability that N(mu, sd^2) >= 0 (a guardrail margin holds). */
double bo__gp_pof(double mu, double sd);

/* Expected hypervolume improvement over a front (nfront points of d
 * objectives, minimised, bounded by ref; hv_front its hypervolume) of a
 * point whose objectives are independent N(mu[k], sd[k]^2), by Monte Carlo
 * over the M draws z (M * d standard normals): the mean of HV(front + y) -
 * HV(front). work holds (nfront + 1) * d doubles. Returns 0 or the error of
 * bo_hypervolume. */
int bo__gp_ehvi_mc(const double *front, size_t nfront, size_t d, const double *ref,
		   double hv_front, const double *mu, const double *sd, const double *z, size_t M,
		   double *work, double *out);

/* The region a front does not dominate below ref, cut into disjoint boxes
 * (samplers/ehvi3.c): box i spans coord[lo[i*d+k]*d+k] to coord[hi[i*d+k]*d+k]
 * in objective k; coordinate 0 is -inf in every objective. */
typedef struct bo_ehvi_boxes {
	size_t d;            /* objectives: 2 or 3 */
	size_t n;            /* boxes */
	size_t nc;           /* coordinates per objective */
	double *coord;       /* nc * d */
	size_t *lo, *hi;     /* n * d coordinate indices */
} bo_ehvi_boxes;

/* Decomposes the non-dominated region of front (n points of d = 2 or 3
 * minimised objectives; points not below ref in every objective are left
 * out) into boxes. Returns 0, BO_EINVAL (another d), BO_ENOMEM; on failure
 * *b is empty. bo__ehvi_boxes_clear frees (accepts a zeroed struct). */
int bo__ehvi_boxes(bo_ehvi_boxes *b, const double *front, size_t n, size_t d, const double *ref);
void bo__ehvi_boxes_clear(bo_ehvi_boxes *b);

/* Exact expected hypervolume improvement over the front that b decomposes
 * of a point whose objectives are independent N(mu[k], sd[k]^2) (sd 0: a
 * point, giving its exact improvement). work holds 2 * b->nc * b->d
 * doubles. */
double bo__ehvi_exact(const bo_ehvi_boxes *b, const double *mu, const double *sd, double *work);

#endif
