/*
 * core/dist.c - means and inverse distribution functions of the uncertain
 * numbers of core/dist.h.
 *
 * Normal and lognormal inverses come from GSL (gsl_cdf_gaussian_Pinv);
 * the triangular inverse is the closed form (Johnson, Kotz & Balakrishnan,
 * "Continuous Univariate Distributions", vol. 2). Must never do I/O.
 */
#include "core/dist.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "core/alloc.h"
#include "core/error.h"

double bo__dist_mean(const bo_dist *d)
{
	size_t i;
	double s = 0.0;
	switch (d->kind) {
	case BO_DIST_NORMAL: return d->p[0];
	case BO_DIST_LOGNORMAL: return exp(d->p[0] + 0.5 * d->p[1] * d->p[1]);
	case BO_DIST_UNIFORM: return 0.5 * (d->p[0] + d->p[1]);
	case BO_DIST_TRIANGULAR: return (d->p[0] + d->p[1] + d->p[2]) / 3.0;
	case BO_DIST_SAMPLES:
		for (i = 0; i < d->nsamples; i++)
			s += d->samples[i];
		return d->nsamples ? s / (double)d->nsamples : NAN;
	default: return NAN;
	}
}

double bo__dist_quantile(const bo_dist *d, double u)
{
	double a = d->p[0], m = d->p[1], b = d->p[2], fc;
	size_t k;
	if (isnan(u))
		return NAN;
	switch (d->kind) {
	case BO_DIST_NORMAL:
		return d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u);
	case BO_DIST_LOGNORMAL:
		return exp(d->p[0] + d->p[1] * gsl_cdf_ugaussian_Pinv(u));
	case BO_DIST_UNIFORM:
		u = u < 0 ? 0 : u > 1 ? 1 : u;
		return d->p[0] + u * (d->p[1] - d->p[0]);
	case BO_DIST_TRIANGULAR:
		u = u < 0 ? 0 : u > 1 ? 1 : u;
		if (b <= a)
			return a;
		fc = (m - a) / (b - a);
		if (u < fc)
			return a + sqrt(u * (b - a) * (m - a));
		return b - sqrt((1.0 - u) * (b - a) * (b - m));
	case BO_DIST_SAMPLES:
		if (!d->nsamples)
			return NAN;
		u = u < 0 ? 0 : u;
		k = (size_t)(u * (double)d->nsamples);
		return d->samples[k < d->nsamples ? k : d->nsamples - 1];
	default:
		return NAN;
	}
}

void bo__dist_free(bo_dist *d)
{
	if (!d)
		return;
	bo__free(d->samples);
	bo__free(d->name);
	bo__free(d);
}

const char *bo__dist_kind_name(int kind)
{
	switch (kind) {
	case BO_DIST_NORMAL: return "normal";
	case BO_DIST_LOGNORMAL: return "lognormal";
	case BO_DIST_UNIFORM: return "uniform";
	case BO_DIST_TRIANGULAR: return "triangular";
	case BO_DIST_SAMPLES: return "samples";
	default: return "?";
	}
}

/* Conjugate updates with a known spread (Gelman et al., "Bayesian Data
 * Analysis", 3rd ed., sec. 2.5, the normal mean with known variance): the
 * stated distribution N(m, s^2) is the prior of the quantity's level, and
 * each observation x_i ~ N(level, s^2) weighs as much as the prior, so the
 * posterior after n observations is N((m + sum x_i) / (1 + n),
 * s^2 / (1 + n)). A lognormal is the same on the logarithms (mu, sigma of
 * log x; an observation must be > 0). Uniform, triangular and empirical
 * entries have no conjugate rule here. */
int bo__dist_observe(bo_dist *d, const double *x, size_t n)
{
	double sum = 0;
	size_t i;
	if (d->kind != BO_DIST_NORMAL && d->kind != BO_DIST_LOGNORMAL)
		return BO_EINVAL;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || (d->kind == BO_DIST_LOGNORMAL && !(x[i] > 0)))
			return BO_EINVAL;
		sum += d->kind == BO_DIST_LOGNORMAL ? log(x[i]) : x[i];
	}
	d->p[0] = (d->p[0] + sum) / (1.0 + (double)n);
	d->p[1] = d->p[1] / sqrt(1.0 + (double)n);
	d->mean = bo__dist_mean(d);
	return 0;
}
