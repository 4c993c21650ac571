/*
 * samplers/tpe_kernels.c - the inner loops of samplers/tpe.c that an ask
 * at a long history spends its time in, kept apart so tpe.c stays
 * readable: the density's per-parameter sweeps and the split's sort.
 *
 * Each must give exactly the values of the plain code it replaces (tpe.c's
 * reference_kernel and qsort with cmp_rank): no reassociation, no
 * contraction (-ffp-contract=off), a total order. Pure: no I/O, no globals.
 */
#include <string.h>

#include "samplers/tpe_kernels.h"

/* One parameter's term added to every component's log kernel (v[j]):
 * the loops mix_logpdf spends its time in, written so that a compiler can
 * vectorise them (no aliasing, no carried sum); GCC is asked to at -O2. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
/* and, where the processor has AVX2, four components a step instead of two:
 * the same operations on each component (no FMA: -ffp-contract=off), so the
 * same bits; the copy is picked once, when the library is loaded */
#define VECTORISE                                                                              \
	__attribute__((optimize("tree-vectorize", "no-trapping-math"),                         \
		       target_clones("avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define VECTORISE __attribute__((optimize("tree-vectorize", "no-trapping-math")))
#else
#define VECTORISE
#endif

VECTORISE void bo__tpe_sweep_numeric(double *restrict v, const double *restrict mu,
				    const double *restrict lc, size_t n, double ci, double is,
				    double p)
{
	size_t j;
	for (j = 0; j < n; j++) {
		double z = (ci - mu[j]) * is;
		double term = lc[j] - 0.5 * z * z;
		v[j] += mu[j] != mu[j] ? p : term;
	}
}

VECTORISE void bo__tpe_sweep_label(double *restrict v, const double *restrict mu, size_t n,
				  double ci, double hi, double lo, double p)
{
	size_t j;
	for (j = 0; j < n; j++)
		v[j] += mu[j] != mu[j] ? p : mu[j] == ci ? hi : lo;
}

static int rank_before(const bo__rankrec *x, const bo__rankrec *y)
{
	if (x->cls != y->cls)
		return x->cls < y->cls;
	if (x->key != y->key)
		return x->key < y->key;
	return x->number < y->number;
}

/* Sorts r (n) by cmp_rank's order with tmp (n) as workspace: a bottom-up
 * merge sort with the comparison inlined (qsort's calls through a pointer
 * were a tenth of an ask at 1000 trials). The order is total (numbers are
 * unique and keys never NaN), so the result is qsort's exactly. */
void bo__tpe_sort_ranks(bo__rankrec *r, size_t n, bo__rankrec *tmp)
{
	enum { RUN = 16 };
	size_t i, j, w;
	bo__rankrec *src = r, *dst = tmp;
	for (i = 0; i < n; i += RUN) {   /* insertion sort of short runs */
		size_t end = i + RUN < n ? i + RUN : n;
		for (j = i + 1; j < end; j++) {
			bo__rankrec v = r[j];
			size_t k = j;
			while (k > i && rank_before(&v, &r[k - 1])) {
				r[k] = r[k - 1];
				k--;
			}
			r[k] = v;
		}
	}
	for (w = RUN; w < n; w *= 2) {
		bo__rankrec *t;
		for (i = 0; i < n; i += 2 * w) {
			size_t mid = i + w < n ? i + w : n, end = i + 2 * w < n ? i + 2 * w : n;
			size_t a = i, b = mid, k = i;
			while (a < mid && b < end)
				dst[k++] = rank_before(&src[b], &src[a]) ? src[b++] : src[a++];
			while (a < mid)
				dst[k++] = src[a++];
			while (b < end)
				dst[k++] = src[b++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != r)
		memcpy(r, src, n * sizeof *r);
}

