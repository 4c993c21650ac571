/*
 * analysis/hypervolume.c - exact hypervolume and exclusive hypervolume
 * contributions of a point set (all objectives minimised).
 *
 * Algorithms:
 * - d = 1 and 2: sort and sweep, O(n log n).
 * - d = 3: the dimension-sweep algorithm of Beume, Fonseca, Lopez-Ibanez,
 *   Paquete and Vahrenhold, "On the complexity of computing the hypervolume
 *   indicator", IEEE TEVC 13(5), 2009: points in increasing f3 enter a 2-D
 *   front kept sorted by f1; each insertion removes the points it dominates
 *   and updates the front's area in O(log n) amortised. Changed: instead of
 *   a balanced search tree keyed on f1, the front lives in a hierarchical
 *   64-ary bitset over the points' (f1, f2) ranks (computed once by a sort),
 *   which gives predecessor/successor/insert/delete in O(log_64 n) without a
 *   node allocation per point.
 * - d >= 4: WFG, While, Bradstreet and Barone, "A fast way of calculating
 *   exact hypervolumes", IEEE TEVC 16(1), 2012: with the points sorted worst
 *   first by the last objective, HV = sum_i (ref_d - p_i,d) * exclusive
 *   (d-1)-dimensional contribution of p_i against the later points, where an
 *   exclusive contribution is inclhv(p_i) minus the hypervolume of the
 *   non-dominated "limit set" { max(p_i, p_j) }. The recursion stops at the
 *   3-D sweep. Changed: limit sets are filtered on the fly (each new point
 *   is checked against the ones kept so far), a limit set that contains p_i
 *   itself ends that term early, and all buffers (one point array per
 *   recursion level) are allocated once per call.
 * - Contributions, HV(all) - HV(all but i), so the points that only p_i
 *   dominates bound p_i's contribution: d = 1, 2 from the sorted points in
 *   O(n log n); d >= 3 as inclhv(p_i) - HV(limit set of p_i against the
 *   other front points and the points only p_i dominates), with the
 *   routines above: O(n * front) plus one limit set per front point, about
 *   2 s for 10^4 mutually non-dominated 3-D points. (Emmerich and Fonseca
 *   2011's O(n log n) 3-D sweep would be the next step.)
 *
 * Must never print, allocate in the recursion, or read anything but its
 * arguments. Infinite coordinates: a kept point with -inf, or a reference
 * coordinate of +inf with a kept point, makes the volume +inf.
 */
#include "budgetopt/analysis.h"

#include "core/alloc.h"
#include "core/error.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define NONE SIZE_MAX
#define BITSET_LEVELS 12 /* 64^11 > SIZE_MAX: enough levels for any n */

/* ---- sorting index arrays with a context (C11 qsort has none) ---------- */

typedef struct sortkey {
	const double *p; /* rows */
	size_t stride;   /* doubles per row */
	size_t k1, k2;   /* compare objective k1 first, then k2 */
	int desc;        /* 1: descending on k1 (k2 always ascending) */
} sortkey;

static int key_less(const sortkey *s, size_t a, size_t b)
{
	const double *pa = s->p + a * s->stride, *pb = s->p + b * s->stride;
	double x = pa[s->k1], y = pb[s->k1];
	if (x != y)
		return s->desc ? x > y : x < y;
	return pa[s->k2] < pb[s->k2];
}

/* Stable bottom-up merge sort of idx[0..n) using tmp[0..n). */
static void sort_idx(size_t *idx, size_t *tmp, size_t n, const sortkey *s)
{
	size_t w, i, *a = idx, *b = tmp, *t;
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t lo = i, mid = i + w < n ? i + w : n;
			size_t hi = i + 2 * w < n ? i + 2 * w : n;
			size_t l = lo, r = mid, o = lo;
			while (l < mid && r < hi)
				b[o++] = key_less(s, a[r], a[l]) ? a[r++] : a[l++];
			while (l < mid)
				b[o++] = a[l++];
			while (r < hi)
				b[o++] = a[r++];
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != idx)
		memcpy(idx, a, n * sizeof *idx);
}

/* ---- hierarchical bitset: an ordered set of ranks 0..m-1 --------------- */

typedef struct bitset {
	uint64_t *w;
	size_t off[BITSET_LEVELS], nw[BITSET_LEVELS];
	int nlev;
} bitset;

static size_t bitset_words(size_t m)
{
	size_t total = 0, nw = m;
	do {
		nw = (nw + 63) / 64;
		total += nw;
	} while (nw > 1);
	return total;
}

static void bitset_init(bitset *b, uint64_t *w, size_t m)
{
	size_t nw = m, off = 0;
	b->w = w;
	b->nlev = 0;
	do {
		nw = (nw + 63) / 64;
		b->off[b->nlev] = off;
		b->nw[b->nlev] = nw;
		b->nlev++;
		off += nw;
	} while (nw > 1);
	memset(w, 0, off * sizeof *w);
}

static int ctz64(uint64_t x)
{
#if defined(__GNUC__)
	return __builtin_ctzll(x);
#else
	int n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

static int top64(uint64_t x) /* index of the highest set bit */
{
#if defined(__GNUC__)
	return 63 - __builtin_clzll(x);
#else
	int n = 63;
	while (!(x >> 63)) {
		x <<= 1;
		n--;
	}
	return n;
#endif
}

static void bitset_set(bitset *b, size_t i)
{
	int l;
	for (l = 0; l < b->nlev; l++) {
		uint64_t *w = &b->w[b->off[l] + (i >> 6)];
		uint64_t old = *w;
		*w |= (uint64_t)1 << (i & 63);
		if (old)
			break;
		i >>= 6;
	}
}

static void bitset_clear(bitset *b, size_t i)
{
	int l;
	for (l = 0; l < b->nlev; l++) {
		uint64_t *w = &b->w[b->off[l] + (i >> 6)];
		*w &= ~((uint64_t)1 << (i & 63));
		if (*w)
			break;
		i >>= 6;
	}
}

/* The smallest member >= i, or NONE. */
static size_t bitset_succ(const bitset *b, size_t i)
{
	int l = 0;
	for (;;) {
		size_t wi = i >> 6;
		uint64_t m;
		if (l == b->nlev || wi >= b->nw[l])
			return NONE;
		m = b->w[b->off[l] + wi] & (~(uint64_t)0 << (i & 63));
		if (m) {
			i = (wi << 6) + (size_t)ctz64(m);
			break;
		}
		i = wi + 1;
		l++;
	}
	while (l > 0) {
		l--;
		i = (i << 6) + (size_t)ctz64(b->w[b->off[l] + i]);
	}
	return i;
}

/* The largest member < i, or NONE. */
static size_t bitset_pred(const bitset *b, size_t i)
{
	int l = 0;
	if (i == 0)
		return NONE;
	i--;
	for (;;) {
		size_t wi = i >> 6;
		unsigned bit = (unsigned)(i & 63);
		uint64_t mask = bit == 63 ? ~(uint64_t)0 : (((uint64_t)1 << (bit + 1)) - 1);
		uint64_t m;
		if (l == b->nlev)
			return NONE;
		m = b->w[b->off[l] + wi] & mask;
		if (m) {
			i = (wi << 6) + (size_t)top64(m);
			break;
		}
		if (wi == 0)
			return NONE;
		i = wi - 1;
		l++;
	}
	while (l > 0) {
		l--;
		i = (i << 6) + (size_t)top64(b->w[b->off[l] + i]);
	}
	return i;
}

/* ---- workspace, allocated once per public call ------------------------- */

typedef struct hvws {
	size_t d, cap;   /* objectives, most points at any level */
	size_t nlev;     /* point buffers, one per recursion level */
	double *buf;     /* nlev * cap * d */
	size_t *idx;     /* nlev * cap: sort order at each level */
	size_t *tmp;     /* cap: merge-sort scratch */
	size_t *oz, *oxy, *rank; /* cap each: 3-D sweep */
	uint64_t *bits;  /* bitset_words(cap) */
} hvws;

static void ws_free(hvws *w)
{
	bo__free(w->buf);
	bo__free(w->idx);
	bo__free(w->tmp);
	bo__free(w->oz);
	bo__free(w->oxy);
	bo__free(w->rank);
	bo__free(w->bits);
	memset(w, 0, sizeof *w);
}

static int ws_alloc(hvws *w, size_t cap, size_t d, size_t nlev)
{
	memset(w, 0, sizeof *w);
	w->d = d;
	w->cap = cap ? cap : 1;
	w->nlev = nlev;
	if (nlev > SIZE_MAX / w->cap || nlev * w->cap > SIZE_MAX / d)
		return bo__error(BO_ENOMEM, "out of memory (size overflow)");
	w->buf = bo__calloc(nlev * w->cap * d, sizeof *w->buf);
	w->idx = w->buf ? bo__calloc(nlev * w->cap, sizeof *w->idx) : NULL;
	w->tmp = w->idx ? bo__calloc(w->cap, sizeof *w->tmp) : NULL;
	if (d >= 3) {
		w->oz = w->tmp ? bo__calloc(w->cap, sizeof *w->oz) : NULL;
		w->oxy = w->oz ? bo__calloc(w->cap, sizeof *w->oxy) : NULL;
		w->rank = w->oxy ? bo__calloc(w->cap, sizeof *w->rank) : NULL;
		w->bits = w->rank ? bo__calloc(bitset_words(w->cap), sizeof *w->bits) : NULL;
		if (!w->bits)
			goto fail;
	} else if (!w->tmp) {
		goto fail;
	}
	return 0;
fail:
	ws_free(w);
	return BO_ENOMEM;
}

static double *level(const hvws *w, size_t l)
{
	return w->buf + l * w->cap * w->d;
}

/* ---- low dimensions ---------------------------------------------------- */

/* Volume of the box between p and ref in the first k objectives. */
static double inclhv(const double *p, const double *ref, size_t k)
{
	double v = 1;
	size_t j;
	for (j = 0; j < k; j++)
		v *= ref[j] - p[j];
	return v;
}

/* 2-D: sort by f1, sweep keeping the best f2 seen. */
static double hv2d(hvws *w, const double *P, size_t m, size_t stride, const double *ref)
{
	sortkey s = {P, stride, 0, 1, 0};
	/* k == 2 only when d == 2, so the last level's index array is free */
	size_t i, *o = w->idx + (w->nlev - 1) * w->cap;
	double v = 0, best = ref[1];
	for (i = 0; i < m; i++)
		o[i] = i;
	sort_idx(o, w->tmp, m, &s);
	for (i = 0; i < m; i++) {
		const double *p = P + o[i] * stride;
		if (p[1] < best) {
			v += (ref[0] - p[0]) * (best - p[1]);
			best = p[1];
		}
	}
	return v;
}

/* 3-D dimension sweep (Beume et al. 2009), see the top of the file. */
static double hv3d(hvws *w, const double *P, size_t m, size_t stride, const double *ref)
{
	sortkey sz = {P, stride, 2, 0, 0}, sxy = {P, stride, 0, 1, 0};
	size_t i, *oz = w->oz, *oxy = w->oxy, *rank = w->rank;
	double area = 0, v = 0, zprev = 0;
	bitset b;
	if (m == 0)
		return 0;
	for (i = 0; i < m; i++)
		oz[i] = oxy[i] = i;
	sort_idx(oz, w->tmp, m, &sz);
	sort_idx(oxy, w->tmp, m, &sxy);
	for (i = 0; i < m; i++)
		rank[oxy[i]] = i;
	bitset_init(&b, w->bits, m);
#define X(r) (P[oxy[r] * stride])
#define Y(r) (P[oxy[r] * stride + 1])
	for (i = 0; i < m; i++) {
		const double *p = P + oz[i] * stride;
		size_t r = rank[oz[i]], pr, s;
		double ytop, cx;
		if (i > 0)
			v += area * (p[2] - zprev);
		zprev = p[2];
		pr = bitset_pred(&b, r);
		if (pr != NONE && Y(pr) <= p[1])
			continue; /* weakly dominated in (f1, f2) */
		s = bitset_succ(&b, r);
		if (s != NONE && X(s) == p[0] && Y(s) <= p[1])
			continue;
		ytop = pr != NONE ? Y(pr) : ref[1];
		cx = p[0];
		while (s != NONE && Y(s) >= p[1]) {
			/* s is dominated by p: p takes over its strip */
			area += (X(s) - cx) * (ytop - p[1]);
			cx = X(s);
			ytop = Y(s);
			bitset_clear(&b, s);
			s = bitset_succ(&b, s + 1);
		}
		area += ((s != NONE ? X(s) : ref[0]) - cx) * (ytop - p[1]);
		bitset_set(&b, r);
	}
#undef X
#undef Y
	v += area * (ref[2] - zprev);
	return v;
}

static double hv_low(hvws *w, const double *P, size_t m, size_t stride, const double *ref,
		     size_t k)
{
	size_t i;
	double best;
	if (k == 3)
		return hv3d(w, P, m, stride, ref);
	if (k == 2)
		return hv2d(w, P, m, stride, ref);
	if (m == 0)
		return 0;
	best = P[0];
	for (i = 1; i < m; i++)
		if (P[i * stride] < best)
			best = P[i * stride];
	return ref[0] - best;
}

/* ---- WFG (While et al. 2012) ------------------------------------------- */

/* a weakly dominates b in the first k objectives. */
static int weakly_dominates(const double *a, const double *b, size_t k)
{
	size_t j;
	for (j = 0; j < k; j++)
		if (a[j] > b[j])
			return 0;
	return 1;
}

/* Appends q (first k objectives) to the non-dominated set S of *m rows
 * unless a row of S weakly dominates it (so duplicates keep the first
 * copy); removes the rows q dominates. map (may be NULL) moves along with
 * the rows and gets id for q. q may be row *m of S itself. */
static void nd_insert(double *S, size_t *m, size_t stride, const double *q, size_t k,
		      size_t *map, size_t id)
{
	size_t i = 0, n = *m;
	while (i < n) {
		double *s = S + i * stride;
		if (weakly_dominates(s, q, k))
			return;
		if (weakly_dominates(q, s, k)) {
			n--;
			if (i != n) {
				memcpy(s, S + n * stride, k * sizeof *s);
				if (map)
					map[i] = map[n];
			}
			continue;
		}
		i++;
	}
	memmove(S + n * stride, q, k * sizeof *q);
	if (map)
		map[n] = id;
	*m = n + 1;
}

/* Limit set of p against the rows order[from..to) (all rows when order is
 * NULL), skipping row skip, in k objectives: appended, filtered, to the m0
 * rows at level l. Returns the new size,
 * or NONE when some row weakly dominates p (p's exclusive volume is 0). */
static size_t limit_set(hvws *w, size_t l, size_t m0, const double *p, const double *rows,
			const size_t *order, size_t from, size_t to, size_t skip, size_t k)
{
	double *S = level(w, l), *q;
	size_t j, o, m = m0, d = w->d;
	for (j = from; j < to; j++) {
		size_t row = order ? order[j] : j;
		const double *r = rows + row * d;
		if (row == skip)
			continue;
		if (weakly_dominates(r, p, k))
			return NONE;
		/* q is built in the row after the set: a limit set holds fewer
		 * rows than there are points, so row m exists */
		q = S + m * d;
		for (o = 0; o < k; o++)
			q[o] = r[o] > p[o] ? r[o] : p[o];
		nd_insert(S, &m, d, q, k, NULL, 0);
	}
	return m;
}

/* Hypervolume of the m rows at level l in the first k objectives. */
static double wfg(hvws *w, size_t l, size_t m, size_t k, const double *ref)
{
	const double *P = level(w, l);
	size_t *o = w->idx + l * w->cap, i, d = w->d;
	sortkey s = {P, d, k - 1, 0, 1};
	double v = 0;
	if (k <= 3 || m <= 1) {
		if (m == 1)
			return inclhv(P, ref, k);
		return hv_low(w, P, m, d, ref, k);
	}
	for (i = 0; i < m; i++)
		o[i] = i;
	sort_idx(o, w->tmp, m, &s); /* worst first in objective k */
	for (i = 0; i < m; i++) {
		const double *p = P + o[i] * d;
		double ex = inclhv(p, ref, k - 1);
		size_t ml = limit_set(w, l + 1, 0, p, P, o, i + 1, m, NONE, k - 1);
		if (ml == NONE)
			continue;
		if (ml > 0)
			ex -= wfg(w, l + 1, ml, k - 1, ref);
		v += (ref[k - 1] - p[k - 1]) * ex;
	}
	return v;
}

/* ---- argument checks and the public functions -------------------------- */

static int check_args(const double *pts, size_t n, size_t d, const double *ref)
{
	size_t i, j;
	if (d == 0)
		return bo__error(BO_EINVAL, "hypervolume: number of objectives is 0");
	if ((!pts && n > 0) || !ref)
		return bo__error(BO_EINVAL, "hypervolume: %s is NULL", ref ? "points" : "reference point");
	for (j = 0; j < d; j++)
		if (isnan(ref[j]))
			return bo__error(BO_EINVAL, "hypervolume: reference point objective %zu is NaN", j);
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			if (isnan(pts[i * d + j]))
				return bo__error(BO_EINVAL, "hypervolume: point %zu objective %zu is NaN", i, j);
	return 0;
}

static int strictly_dominates_ref(const double *p, const double *ref, size_t d)
{
	size_t j;
	for (j = 0; j < d; j++)
		if (!(p[j] < ref[j]))
			return 0;
	return 1;
}

static int is_infinite_case(const double *p, const double *ref, size_t d)
{
	size_t j;
	for (j = 0; j < d; j++)
		if (isinf(p[j]) || isinf(ref[j]))
			return 1;
	return 0;
}

static size_t nlevels(size_t d)
{
	/* hv uses levels for d, d-1, ..., 3; contributions one more */
	return d >= 3 ? d - 1 : 2;
}

int bo_hypervolume(const double *pts, size_t n, size_t d, const double *ref, double *out,
		   size_t *ndiscarded)
{
	hvws w = {0};
	size_t i, m = 0, disc = 0;
	int rc, inf = 0;
	double v = 0;

	if (out)
		*out = 0;
	if (ndiscarded)
		*ndiscarded = 0;
	if (!out)
		return bo__error(BO_EINVAL, "hypervolume: out is NULL");
	rc = check_args(pts, n, d, ref);
	if (rc)
		goto done;
	for (i = 0; i < n; i++) {
		if (!strictly_dominates_ref(pts + i * d, ref, d))
			disc++;
		else if (is_infinite_case(pts + i * d, ref, d))
			inf = 1;
	}
	if (ndiscarded)
		*ndiscarded = disc;
	if (disc == n)
		goto done;
	if (inf) {
		v = INFINITY;
		goto done;
	}
	rc = ws_alloc(&w, n - disc, d, nlevels(d));
	if (rc)
		goto done;
	{
		double *P = level(&w, 0);
		for (i = 0; i < n; i++) {
			const double *p = pts + i * d;
			if (!strictly_dominates_ref(p, ref, d))
				continue;
			if (d >= 4)
				nd_insert(P, &m, d, p, d, NULL, 0);
			else
				memcpy(P + (m++) * d, p, d * sizeof *p);
		}
		v = wfg(&w, 0, m, d, ref);
	}
done:
	ws_free(&w);
	if (rc == 0)
		*out = v;
	return rc;
}

/* d = 1: only a unique minimum contributes, up to the next value. */
static void contrib_1d(const double *pts, size_t n, const double *ref, double *contrib)
{
	size_t i, best = NONE, nbest = 0;
	double next = ref[0];
	for (i = 0; i < n; i++) {
		if (!(pts[i] < ref[0]))
			continue;
		if (best == NONE || pts[i] < pts[best]) {
			if (best != NONE)
				next = pts[best];
			best = i;
			nbest = 1;
		} else if (pts[i] == pts[best]) {
			nbest++;
		} else if (pts[i] < next) {
			next = pts[i];
		}
	}
	if (best != NONE && nbest == 1)
		contrib[best] = next - pts[best];
}

/* d = 2: sort the kept points by (f1, f2); the front is where f2 drops.
 * Front point k alone covers the box [x_k, x_k+1) x [y_k, y_k-1) (ref
 * where there is no neighbour); removing it uncovers that box except what
 * the points inside the box (the ones only k dominates, twins included)
 * cover. Those come in f1 order within the same sorted sweep, box after
 * box, so one pass subtracts their staircase. O(n log n). */
static void contrib_2d(hvws *w, const double *pts, size_t n, const double *ref,
		       double *contrib)
{
	size_t i, k, m = 0, nf = 0, *o = w->idx, *f = w->idx + w->cap;
	const double *P = pts;
	sortkey s = {P, 2, 0, 1, 0};
	double best = ref[1];
	for (i = 0; i < n; i++)
		if (strictly_dominates_ref(P + 2 * i, ref, 2))
			o[m++] = i;
	sort_idx(o, w->tmp, m, &s);
	for (i = 0; i < m; i++) {
		const double *p = P + 2 * o[i];
		if (p[1] < best) {
			best = p[1];
			f[nf++] = o[i];
		}
	}
#define XR(k) ((k) + 1 < nf ? P[2 * f[(k) + 1]] : ref[0])
#define YU(k) ((k) > 0 ? P[2 * f[(k) - 1] + 1] : ref[1])
	for (k = 0; k < nf; k++) {
		const double *p = P + 2 * f[k];
		contrib[f[k]] = (XR(k) - p[0]) * (YU(k) - p[1]);
	}
	for (i = 0, k = 0; i < m; i++) {
		const double *z = P + 2 * o[i];
		if (o[i] == f[k]) {
			best = YU(k); /* a new box starts */
			continue;
		}
		while (k + 1 < nf && P[2 * f[k + 1]] <= z[0]) {
			k++;
			best = YU(k);
		}
		if (o[i] == f[k])
			continue;
		if (z[1] < best) {
			contrib[f[k]] -= (XR(k) - z[0]) * (best - z[1]);
			best = z[1];
		}
	}
#undef XR
#undef YU
}

int bo_hv_contributions(const double *pts, size_t n, size_t d, const double *ref,
			double *contrib)
{
	hvws w = {0};
	size_t i, j, m = 0, nk = 0, *map = NULL, *cnt, *kept, *owner, *child, *first;
	int rc;

	rc = check_args(pts, n, d, ref);
	if (rc)
		goto done;
	if (!contrib && n > 0) {
		rc = bo__error(BO_EINVAL, "hypervolume contributions: contrib is NULL");
		goto done;
	}
	for (i = 0; i < n; i++)
		contrib[i] = 0;
	if (n == 0)
		goto done;
	if (d == 1) {
		contrib_1d(pts, n, ref, contrib);
		goto done;
	}
	rc = ws_alloc(&w, n, d, nlevels(d));
	if (rc)
		goto done;
	if (d == 2) {
		contrib_2d(&w, pts, n, ref, contrib);
		goto done;
	}
	map = bo__calloc(n, 6 * sizeof *map);
	if (!map) {
		rc = BO_ENOMEM;
		goto done;
	}
	cnt = map + n;
	kept = map + 2 * n;
	owner = map + 3 * n;
	child = map + 4 * n;
	first = map + 5 * n;
	/* The distinct non-dominated points that strictly dominate ref, one
	 * copy of each (O(n * front size)), and how many input points equal
	 * each: a point with a twin contributes 0. Only these can contribute.
	 * When front point i goes, the points only i dominates reappear, so
	 * i's limit set is taken against the other front points and those
	 * "children" of i; a point two front points dominate adds nothing
	 * that the other one's limit point does not cover. */
	{
		double *F = level(&w, 0);
		for (i = 0; i < n; i++)
			if (strictly_dominates_ref(pts + i * d, ref, d)) {
				kept[nk++] = i;
				nd_insert(F, &m, d, pts + i * d, d, map, i);
			}
		for (i = 0; i < nk; i++) {
			const double *p = pts + kept[i] * d;
			size_t by = NONE, nby = 0;
			for (j = 0; j < m && nby < 2; j++)
				if (weakly_dominates(F + j * d, p, d)) {
					by = j;
					nby++;
				}
			owner[i] = NONE;
			if (nby == 1 && weakly_dominates(p, F + by * d, d))
				cnt[by]++; /* a copy of front point by */
			else if (nby == 1)
				owner[i] = by;
		}
		/* children grouped by owner: counting sort, first[] offsets */
		for (i = 0; i <= m && i < n; i++)
			first[i] = 0;
		for (i = 0; i < nk; i++)
			if (owner[i] != NONE && owner[i] + 1 < m)
				first[owner[i] + 1]++;
		for (i = 1; i < m; i++)
			first[i] += first[i - 1];
		for (i = 0; i < nk; i++)
			if (owner[i] != NONE)
				child[first[owner[i]]++] = kept[i];
		/* first[o] now ends o's children; they start where o - 1's end */
		for (i = 0; i < m; i++) {
			const double *p = F + i * d;
			size_t from = i > 0 ? first[i - 1] : 0, ml;
			double ex;
			if (cnt[i] != 1)
				continue;
			ex = inclhv(p, ref, d);
			ml = limit_set(&w, 1, 0, p, F, NULL, 0, m, i, d);
			if (ml != NONE)
				ml = limit_set(&w, 1, ml, p, pts, child, from, first[i], NONE, d);
			if (ml == NONE)
				continue;
			if (ml > 0)
				ex -= wfg(&w, 1, ml, d, ref);
			contrib[map[i]] = ex;
		}
	}
done:
	bo__free(map);
	ws_free(&w);
	return rc;
}
