/*
 * core/dist.h - uncertain numbers: the distributions an input or a price
 * of a study file may have instead of a point ({normal: [mean, sd]},
 * {lognormal: {median: m, p95: q}}, {uniform: [a, b]},
 * {triangular: [low, mode, high]}, {samples: file.csv, column: c}).
 *
 * Each is drawn by its inverse distribution function from one uniform
 * number, so that the same uniforms give the same futures to every
 * configuration (common random numbers, analysis/uncertain.c).
 *
 * Pure: no I/O (the study reader reads a samples file), no globals.
 */
#ifndef BO_CORE_DIST_H
#define BO_CORE_DIST_H

#include <stddef.h>

enum {
	BO_DIST_NORMAL = 1,   /* p[0] mean, p[1] sd > 0 */
	BO_DIST_LOGNORMAL,    /* p[0] mu, p[1] sigma of log x (from median, p95) */
	BO_DIST_UNIFORM,      /* p[0] a < p[1] b */
	BO_DIST_TRIANGULAR,   /* p[0] low <= p[1] mode <= p[2] high, low < high */
	BO_DIST_SAMPLES       /* samples (sorted), each equally likely */
};

/* z such that P(Z <= z) = 0.95 for a standard normal Z: the lognormal's
 * p95 is exp(mu + BO_Z95 * sigma). */
#define BO_Z95 1.6448536269514722

typedef struct bo_dist {
	int kind;
	double p[3];
	double *samples;      /* BO_DIST_SAMPLES: nsamples values, ascending */
	size_t nsamples;
	double mean;          /* what point uses take (run loop, samplers) */
	size_t slot;          /* index in the study's list of uncertain numbers */
	char *name;           /* "qps", "gpu_hours.a100": for output */
} bo_dist;

/* The mean of d (the sample mean for samples). */
double bo__dist_mean(const bo_dist *d);

/* The u-quantile of d (its inverse distribution function), u in (0, 1);
 * u outside is clamped to the support where it is bounded. For samples
 * the empirical inverse: the sample at position floor(u * n). */
double bo__dist_quantile(const bo_dist *d, double u);

/* Updates d by n observations x of the quantity it describes (budgetopt
 * observe): a normal N(m, s) becomes N((m + sum x) / (1 + n), s /
 * sqrt(1 + n)), a lognormal the same on log x (each x > 0); d->mean
 * follows. Returns 0, or BO_EINVAL for another kind or a bad observation
 * (d unchanged). */
int bo__dist_observe(bo_dist *d, const double *x, size_t n);

/* Frees d and what it owns; accepts NULL. */
void bo__dist_free(bo_dist *d);

/* The name of d's kind as written in a study file ("normal"). */
const char *bo__dist_kind_name(int kind);

#endif
