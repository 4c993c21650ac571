/*
 * samplers/gp_model.c - Gaussian-process regression with a Matern 5/2 ARD
 * kernel, and the acquisition kernels that read it.
 *
 * The model follows Rasmussen and Williams, "Gaussian Processes for
 * Machine Learning" (2006): Cholesky factorisation of K + sn2 I (their
 * algorithm 2.1), the log marginal likelihood and its gradient
 * 1/2 tr((a a^T - K^-1) dK/dtheta) (their eq. 5.9). Outputs are
 * standardised; hyperparameters live on a log scale with weak normal
 * priors there (log-normal priors on the lengthscales and variances), and
 * are fitted with NLopt's L-BFGS from a few starts. Expected improvement:
 * Jones, Schonlau and Welch 1998; probability of feasibility: Gardner et
 * al. 2014; expected hypervolume improvement: Emmerich et al. 2006, here
 * by Monte Carlo over the posterior.
 *
 * Pure: no I/O, no clock, no globals. Never prints; LAPACK failures are
 * returned as BO_ERROR, never reported by the library's handlers.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>
#include <nlopt.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"
#include "samplers/gp_model.h"

#define SQRT5 2.23606797749978969641
/* Priors on theta (normal on the log scale): lengthscales of the unit
 * cube around 0.5, signal variance around the standardised variance 1,
 * noise small but free to grow for noisy metrics. */
#define PRIOR_LOG_L_MEAN (-0.6931471805599453) /* log 0.5 */
#define PRIOR_LOG_L_SD 1.0
#define PRIOR_LOG_SF2_MEAN 0.0
#define PRIOR_LOG_SF2_SD 1.5
#define PRIOR_LOG_SN2_MEAN (-9.210340371976182) /* log 1e-4 */
#define PRIOR_LOG_SN2_SD 3.0
/* Bounds of the fit. */
#define LOG_L_MIN (-4.605170185988091)  /* log 0.01 */
#define LOG_L_MAX 4.605170185988091     /* log 100 */
#define LOG_SF2_MIN (-4.605170185988091)
#define LOG_SF2_MAX 4.605170185988091
#define LOG_SN2_MIN (-18.420680743952367) /* log 1e-8 */
#define LOG_SN2_MAX 0.0
/* Jitter escalation: first added jitter (relative to the diagonal), its
 * growth factor and the largest tried. */
#define JITTER_FIRST 1e-10
#define JITTER_GROWTH 10.0
#define JITTER_MAX 1e-2
/* L-BFGS stopping rules of one start. */
#define FIT_MAXEVAL 100
#define FIT_FTOL_REL 1e-9
/* Candidates per block in batch predictions. */
#define PREDICT_BLOCK 128
/* Below this z, log EI uses an asymptotic series (the direct form loses
 * digits to cancellation), and below TAIL_PHI log Phi does (erfc
 * underflows near -38). */
#define TAIL_Z (-6.0)
#define TAIL_PHI (-30.0)
/* Smallest posterior variance reported (relative to sf2). */
#define VAR_FLOOR 1e-12

int bo__gp_init(bo_gp *gp, size_t d)
{
	size_t j, np = d + 2;
	int rc = BO_ENOMEM;

	memset(gp, 0, sizeof *gp);
	gp->d = d;
	gp->prior = 1;
	gp->ystd = 1.0;
	gp->theta = bo__calloc(np, sizeof *gp->theta);
	gp->lo = bo__calloc(np, sizeof *gp->lo);
	gp->hi = bo__calloc(np, sizeof *gp->hi);
	gp->pm = bo__calloc(np, sizeof *gp->pm);
	gp->ps = bo__calloc(np, sizeof *gp->ps);
	gp->tmp = bo__calloc(np, sizeof *gp->tmp);
	gp->il = bo__calloc(np, sizeof *gp->il);
	if (!gp->il || !gp->theta || !gp->lo || !gp->hi || !gp->pm || !gp->ps || !gp->tmp)
		goto done;
	for (j = 0; j < d; j++) {
		gp->pm[j] = PRIOR_LOG_L_MEAN;
		gp->ps[j] = PRIOR_LOG_L_SD;
		gp->lo[j] = LOG_L_MIN;
		gp->hi[j] = LOG_L_MAX;
	}
	gp->pm[d] = PRIOR_LOG_SF2_MEAN;
	gp->ps[d] = PRIOR_LOG_SF2_SD;
	gp->lo[d] = LOG_SF2_MIN;
	gp->hi[d] = LOG_SF2_MAX;
	gp->pm[d + 1] = PRIOR_LOG_SN2_MEAN;
	gp->ps[d + 1] = PRIOR_LOG_SN2_SD;
	gp->lo[d + 1] = LOG_SN2_MIN;
	gp->hi[d + 1] = LOG_SN2_MAX;
	memcpy(gp->theta, gp->pm, np * sizeof *gp->theta);
	rc = 0;
done:
	if (rc < 0)
		bo__gp_clear(gp);
	return rc;
}

void bo__gp_clear(bo_gp *gp)
{
	if (!gp)
		return;
	bo__free(gp->X);
	bo__free(gp->y);
	bo__free(gp->ys);
	bo__free(gp->theta);
	bo__free(gp->L);
	bo__free(gp->alpha);
	bo__free(gp->W);
	bo__free(gp->kv);
	bo__free(gp->lo);
	bo__free(gp->hi);
	bo__free(gp->pm);
	bo__free(gp->ps);
	bo__free(gp->tmp);
	bo__free(gp->il);
	memset(gp, 0, sizeof *gp);
}

static int reserve(bo_gp *gp, size_t n)
{
	size_t cap = gp->cap ? gp->cap : 16;
	double *p;

	if (n <= gp->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	/* The model is rebuilt from scratch on each change: no contents to
	 * keep, so free first and keep the peak memory down. */
#define REALLOC(f, k)                                   \
	do {                                            \
		bo__free(gp->f);                        \
		gp->f = NULL;                           \
		p = bo__calloc((k), sizeof *p);         \
		if (!p)                                 \
			return BO_ENOMEM;               \
		gp->f = p;                              \
	} while (0)
	if (cap > ((size_t)-1) / sizeof(double) / cap || cap > ((size_t)-1) / sizeof(double) /
							  (gp->d ? gp->d : 1))
		return bo__error(BO_ENOMEM, "out of memory");
	REALLOC(X, cap * gp->d);
	REALLOC(y, cap);
	REALLOC(ys, cap);
	REALLOC(alpha, cap);
	REALLOC(kv, cap);
	REALLOC(L, cap * cap);
	REALLOC(W, cap * (cap > PREDICT_BLOCK ? cap : PREDICT_BLOCK));
#undef REALLOC
	gp->cap = cap;
	return 0;
}

int bo__gp_set_data(bo_gp *gp, const double *X, const double *y, size_t n)
{
	size_t i;
	double m = 0, v = 0;
	int rc;

	gp->factored = 0;
	gp->n = 0;
	rc = reserve(gp, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(gp->X, X, n * gp->d * sizeof *X);
	for (i = 0; i < n; i++)
		m += y[i];
	m = n ? m / (double)n : 0.0;
	for (i = 0; i < n; i++)
		v += (y[i] - m) * (y[i] - m);
	v = n > 1 ? sqrt(v / (double)(n - 1)) : 0.0;
	if (!(v > 0.0) || !isfinite(v))
		v = 1.0;
	gp->ymean = m;
	gp->ystd = v;
	for (i = 0; i < n; i++) {
		gp->y[i] = y[i];
		gp->ys[i] = (y[i] - m) / v;
	}
	gp->n = n;
	return 0;
}

/* Scaled squared distance r^2 between a and b; il: inverse lengthscales. */
static double dist2(const double *il, size_t d, const double *a, const double *b)
{
	double r2 = 0;
	size_t j;
	for (j = 0; j < d; j++) {
		double t = (a[j] - b[j]) * il[j];
		r2 += t * t;
	}
	return r2;
}

/* gp->il from theta. */
static const double *inv_lengths(bo_gp *gp, const double *theta)
{
	size_t j;
	for (j = 0; j < gp->d; j++)
		gp->il[j] = exp(-theta[j]);
	return gp->il;
}

static double matern(double sf2, double r2)
{
	double r = sqrt(r2);
	return sf2 * (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * exp(-SQRT5 * r);
}

double bo__gp_kernel(const double *theta, size_t d, const double *a, const double *b)
{
	double r2 = 0;
	size_t j;
	for (j = 0; j < d; j++) {
		double t = (a[j] - b[j]) * exp(-theta[j]);
		r2 += t * t;
	}
	return matern(exp(theta[d]), r2);
}

/* Fills the lower triangle of L with K + (sn2 + extra) I over the first n
 * points and factors it in place; 0 or the LAPACK info. */
static int factor_at(bo_gp *gp, const double *theta, size_t n, double extra)
{
	size_t i, j, d = gp->d;
	double sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]);
	double *L = gp->L;
	const double *il = inv_lengths(gp, theta);

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			L[i * n + j] = matern(sf2, dist2(il, d, gp->X + i * d, gp->X + j * d));
		L[i * n + i] = sf2 + sn2 + extra;
		for (j = i + 1; j < n; j++)
			L[i * n + j] = 0.0;
	}
	return (int)LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, L, (lapack_int)n);
}

/* Factors with jitter escalation and solves for alpha; the factor has
 * leading dimension n. */
static int factor_theta(bo_gp *gp, const double *theta)
{
	size_t n = gp->n, d = gp->d;
	double base = exp(theta[d]) + exp(theta[d + 1]);
	double jit = 0.0;
	int info;

	gp->factored = 0;
	if (n == 0)
		return bo__error(BO_EMISUSE, "gaussian process: no data");
	for (;;) {
		info = factor_at(gp, theta, n, jit);
		if (info == 0)
			break;
		jit = jit == 0.0 ? JITTER_FIRST * base : jit * JITTER_GROWTH;
		if (jit > JITTER_MAX * base)
			return bo__error(BO_ERROR, "gaussian process: covariance matrix not positive "
						   "definite even with jitter %g",
					 JITTER_MAX * base);
	}
	gp->jitter = jit;
	memcpy(gp->alpha, gp->ys, n * sizeof *gp->alpha);
	info = (int)LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, 1, gp->L, (lapack_int)n,
				   gp->alpha, 1);
	if (info != 0)
		return bo__error(BO_ERROR, "gaussian process: dpotrs failed (info %d)", info);
	return 0;
}

int bo__gp_factor(bo_gp *gp)
{
	int rc = factor_theta(gp, gp->theta);
	if (rc == 0)
		gp->factored = 1;
	return rc;
}

int bo__gp_lml(bo_gp *gp, const double *theta, int with_prior, double *out, double *grad)
{
	size_t n = gp->n, d = gp->d, i, j, k;
	double lml = 0.0, sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]);
	int rc;

	rc = factor_theta(gp, theta);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		lml -= 0.5 * gp->ys[i] * gp->alpha[i] + log(gp->L[i * n + i]);
	lml -= 0.5 * (double)n * log(2.0 * M_PI);
	if (grad) {
		double *W = gp->W;
		int info;
		/* W = alpha alpha^T - K^-1 (lower triangle). */
		memcpy(W, gp->L, n * n * sizeof *W);
		info = (int)LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)n, W, (lapack_int)n);
		if (info != 0)
			return bo__error(BO_ERROR, "gaussian process: dpotri failed (info %d)", info);
		for (k = 0; k < d + 2; k++)
			grad[k] = 0.0;
		for (i = 0; i < n; i++) {
			const double *xi = gp->X + i * d;
			double wii = gp->alpha[i] * gp->alpha[i] - W[i * n + i];
			/* Diagonal: dK/dlog sf2 = sf2, dK/dlog sn2 = sn2 (jitter
			 * is not a hyperparameter). */
			grad[d] += 0.5 * wii * sf2;
			grad[d + 1] += 0.5 * wii * sn2;
			for (j = 0; j < i; j++) {
				const double *xj = gp->X + j * d;
				double w = gp->alpha[i] * gp->alpha[j] - W[i * n + j];
				double r2 = dist2(gp->il, d, xi, xj), r = sqrt(r2);
				double e = exp(-SQRT5 * r);
				double kf = sf2 * (1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e;
				double dl = sf2 * 5.0 / 3.0 * (1.0 + SQRT5 * r) * e;
				/* Off-diagonal pairs count twice in the trace. */
				grad[d] += w * kf;
				for (k = 0; k < d; k++) {
					double t = (xi[k] - xj[k]) * gp->il[k];
					grad[k] += w * dl * t * t;
				}
			}
		}
	}
	if (with_prior) {
		for (k = 0; k < d + 2; k++) {
			double z = (theta[k] - gp->pm[k]) / gp->ps[k];
			lml -= 0.5 * z * z;
			if (grad)
				grad[k] -= z / gp->ps[k];
		}
	}
	*out = lml;
	return 0;
}

typedef struct fit_ctx {
	bo_gp *gp;
	int failed;
} fit_ctx;

static double fit_objective(unsigned nth, const double *th, double *grad, void *ud)
{
	fit_ctx *c = ud;
	double v = 0.0;
	unsigned k;
	if (bo__gp_lml(c->gp, th, c->gp->prior, &v, grad) < 0 || !isfinite(v)) {
		c->failed++;
		if (grad)
			for (k = 0; k < nth; k++)
				grad[k] = 0.0;
		return -HUGE_VAL;
	}
	return v;
}

static double rng_normal(bo_rng *rng)
{
	/* Box-Muller from two uniforms (the first kept away from 0). */
	double u1 = 1.0 - bo__rng_uniform(rng), u2 = bo__rng_uniform(rng);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int bo__gp_fit(bo_gp *gp, bo_rng *rng, int nrestarts, size_t max_points)
{
	size_t n = gp->n, d = gp->d, np = d + 2, k, i;
	double best = -HUGE_VAL, val;
	double *X = NULL, *y = NULL, *start = NULL, *bestth = NULL;
	nlopt_opt opt = NULL;
	fit_ctx ctx;
	int r, rc = 0;

	if (n == 0)
		return bo__error(BO_EMISUSE, "gaussian process: no data");
	start = bo__calloc(np, sizeof *start);
	bestth = bo__calloc(np, sizeof *bestth);
	X = bo__calloc(n * d, sizeof *X);
	y = bo__calloc(n, sizeof *y);
	if (!start || !bestth || !X || !y) {
		rc = BO_ENOMEM;
		goto done;
	}
	memcpy(X, gp->X, n * d * sizeof *X);
	memcpy(y, gp->y, n * sizeof *y);
	if (max_points >= 2 && n > max_points) {
		/* An evenly spaced subset for the fit; all points afterwards. */
		double *Xs = gp->W, *ysub = gp->kv;
		for (i = 0; i < max_points; i++) {
			size_t src = i * (n - 1) / (max_points - 1);
			memcpy(Xs + i * d, X + src * d, d * sizeof *Xs);
			ysub[i] = y[src];
		}
		/* gp->W and gp->kv are not reallocated: max_points < n. */
		rc = bo__gp_set_data(gp, Xs, ysub, max_points);
		if (rc < 0)
			goto done;
	}
	opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)np);
	if (!opt) {
		rc = bo__error(BO_ENOMEM, "out of memory");
		goto done;
	}
	ctx.gp = gp;
	ctx.failed = 0;
	nlopt_set_max_objective(opt, fit_objective, &ctx);
	nlopt_set_lower_bounds(opt, gp->lo);
	nlopt_set_upper_bounds(opt, gp->hi);
	nlopt_set_maxeval(opt, FIT_MAXEVAL);
	nlopt_set_ftol_rel(opt, FIT_FTOL_REL);
	memcpy(bestth, gp->pm, np * sizeof *bestth);
	for (r = 0; r <= nrestarts; r++) {
		for (k = 0; k < np; k++) {
			double t = gp->pm[k];
			if (r > 0)
				t += gp->ps[k] * rng_normal(rng);
			start[k] = t < gp->lo[k] ? gp->lo[k] : t > gp->hi[k] ? gp->hi[k] : t;
		}
		val = -HUGE_VAL;
		(void)nlopt_optimize(opt, start, &val);
		/* NLopt leaves the best point seen in start, even when it
		 * stops early (round-off, evaluation limit). */
		if (isfinite(val) && val > best) {
			best = val;
			memcpy(bestth, start, np * sizeof *bestth);
		}
	}
	if (n > gp->n) {
		rc = bo__gp_set_data(gp, X, y, n);
		if (rc < 0)
			goto done;
	}
	memcpy(gp->theta, bestth, np * sizeof *bestth);
	rc = bo__gp_factor(gp);
done:
	if (opt)
		nlopt_destroy(opt);
	bo__free(start);
	bo__free(bestth);
	bo__free(X);
	bo__free(y);
	return rc;
}

void bo__gp_predict(bo_gp *gp, const double *x, double *mu, double *var)
{
	size_t n = gp->n, d = gp->d, i;
	double sf2 = exp(gp->theta[d]), m = 0.0, v;
	const double *il = inv_lengths(gp, gp->theta);

	for (i = 0; i < n; i++) {
		gp->kv[i] = matern(sf2, dist2(il, d, x, gp->X + i * d));
		m += gp->kv[i] * gp->alpha[i];
	}
	cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->L, (int)n,
		    gp->kv, 1);
	v = sf2 - cblas_ddot((int)n, gp->kv, 1, gp->kv, 1);
	if (v < VAR_FLOOR * sf2)
		v = VAR_FLOOR * sf2;
	*mu = gp->ymean + gp->ystd * m;
	*var = v * gp->ystd * gp->ystd;
}

void bo__gp_cov(bo_gp *gp, const double *a, const double *b, double *work, double *var_a,
		double *var_b, double *cov)
{
	size_t n = gp->n, d = gp->d, i;
	double sf2 = exp(gp->theta[d]), s2 = gp->ystd * gp->ystd, va, vb;
	double *ka = work, *kb = work + n;
	const double *il = inv_lengths(gp, gp->theta);

	for (i = 0; i < n; i++) {
		ka[i] = matern(sf2, dist2(il, d, a, gp->X + i * d));
		kb[i] = matern(sf2, dist2(il, d, b, gp->X + i * d));
	}
	cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->L, (int)n, ka, 1);
	cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->L, (int)n, kb, 1);
	va = sf2 - cblas_ddot((int)n, ka, 1, ka, 1);
	vb = sf2 - cblas_ddot((int)n, kb, 1, kb, 1);
	*cov = (matern(sf2, dist2(il, d, a, b)) - cblas_ddot((int)n, ka, 1, kb, 1)) * s2;
	*var_a = (va < VAR_FLOOR * sf2 ? VAR_FLOOR * sf2 : va) * s2;
	*var_b = (vb < VAR_FLOOR * sf2 ? VAR_FLOOR * sf2 : vb) * s2;
}

void bo__gp_predict_many(bo_gp *gp, const double *Xs, size_t m, double *mu, double *var)
{
	size_t n = gp->n, d = gp->d, i, j, b, nb;
	double sf2 = exp(gp->theta[d]);
	double *B = gp->W;
	const double *il = inv_lengths(gp, gp->theta);

	for (b = 0; b < m; b += PREDICT_BLOCK) {
		nb = m - b < PREDICT_BLOCK ? m - b : PREDICT_BLOCK;
		/* B (n x nb): kernel between the data and the block. */
		for (i = 0; i < n; i++)
			for (j = 0; j < nb; j++)
				B[i * nb + j] =
					matern(sf2, dist2(il, d, gp->X + i * d, Xs + (b + j) * d));
		for (j = 0; j < nb; j++)
			mu[b + j] = 0.0;
		cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)nb, 1.0, B, (int)nb, gp->alpha, 1,
			    0.0, mu + b, 1);
		cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
			    (int)nb, 1.0, gp->L, (int)n, B, (int)nb);
		for (j = 0; j < nb; j++) {
			double v = sf2, t;
			for (i = 0; i < n; i++) {
				t = B[i * nb + j];
				v -= t * t;
			}
			if (v < VAR_FLOOR * sf2)
				v = VAR_FLOOR * sf2;
			mu[b + j] = gp->ymean + gp->ystd * mu[b + j];
			var[b + j] = v * gp->ystd * gp->ystd;
		}
	}
}

double bo__gp_phi(double z)
{
	return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

double bo__gp_Phi(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double bo__gp_log_Phi(double z)
{
	double t, s;
	if (z > TAIL_PHI)
		return log(bo__gp_Phi(z));
	/* Phi(z) = phi(z) / t * (1 - 1/t^2 + 3/t^4 - 15/t^6 + ...), t = -z. */
	t = -z;
	s = 1.0 / (t * t);
	return -0.5 * z * z - 0.5 * log(2.0 * M_PI) - log(t) +
	       log(1.0 - s + 3.0 * s * s - 15.0 * s * s * s);
}

double bo__gp_ei(double mu, double sd, double best)
{
	double z;
	if (!(sd > 0.0))
		return best > mu ? best - mu : 0.0;
	z = (best - mu) / sd;
	return sd * (z * bo__gp_Phi(z) + bo__gp_phi(z));
}

double bo__gp_log_ei(double mu, double sd, double best)
{
	double z, t, s;
	if (!(sd > 0.0))
		return best > mu ? log(best - mu) : -HUGE_VAL;
	z = (best - mu) / sd;
	if (z > TAIL_Z)
		return log(sd) + log(z * bo__gp_Phi(z) + bo__gp_phi(z));
	/* z Phi(z) + phi(z) = phi(z) (1/t^2 - 3/t^4 + 15/t^6 - 105/t^8 ...),
	 * t = -z (Abramowitz and Stegun 26.2.12). */
	t = -z;
	s = 1.0 / (t * t);
	return log(sd) - 0.5 * z * z - 0.5 * log(2.0 * M_PI) +
	       log(s * (1.0 - 3.0 * s + 15.0 * s * s - 105.0 * s * s * s));
}

double bo__gp_pof(double mu, double sd)
{
	if (!(sd > 0.0))
		return mu >= 0.0 ? 1.0 : 0.0;
	return bo__gp_Phi(mu / sd);
}

int bo__gp_ehvi_mc(const double *front, size_t nfront, size_t d, const double *ref,
		   double hv_front, const double *mu, const double *sd, const double *z, size_t M,
		   double *work, double *out)
{
	size_t s, k;
	double sum = 0.0, hv;
	int rc = 0;

	if (nfront)
		memcpy(work, front, nfront * d * sizeof *work);
	for (s = 0; s < M; s++) {
		double *y = work + nfront * d;
		int inside = 1;
		for (k = 0; k < d; k++) {
			y[k] = mu[k] + sd[k] * z[s * d + k];
			if (!(y[k] < ref[k]))
				inside = 0;
		}
		if (!inside)
			continue;   /* improves nothing inside the reference box */
		rc = bo_hypervolume(work, nfront + 1, d, ref, &hv, NULL);
		if (rc < 0)
			goto done;
		if (hv > hv_front)
			sum += hv - hv_front;
	}
	*out = M ? sum / (double)M : 0.0;
done:
	return rc;
}
