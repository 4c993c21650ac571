/*
 * samplers/tpe_kernels.h - inner loops of the TPE sampler
 * (samplers/tpe_kernels.c); only the TPE files include it (through
 * samplers/tpe_int.h).
 */
#ifndef BO_SAMPLERS_TPE_KERNELS_H
#define BO_SAMPLERS_TPE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* One entry of the split's ranking: class, key, trial number, entry. */
typedef struct bo__rankrec {
	int cls;
	double key;
	int64_t number;
	size_t e;
} bo__rankrec;

/* v[j] += NaN mu[j] ? p : lc[j] - 0.5 z^2, z = (ci - mu[j]) * is, j < n:
 * one numeric parameter's log kernel added to every component. */
void bo__tpe_sweep_numeric(double *restrict v, const double *restrict mu,
			   const double *restrict lc, size_t n, double ci, double is, double p);

/* v[j] += NaN mu[j] ? p : mu[j] == ci ? hi : lo, j < n: one label's. */
void bo__tpe_sweep_label(double *restrict v, const double *restrict mu, size_t n, double ci,
			 double hi, double lo, double p);

/* Sorts r (n) by (cls, key, number), ascending, with tmp (n) as
 * workspace. The order is total when numbers are unique and keys never
 * NaN, so the result is that of any correct sort. */
void bo__tpe_sort_ranks(bo__rankrec *r, size_t n, bo__rankrec *tmp);

#endif
