/*
 * analysis/ndsort.c - non-dominated sorting (all ranks) and the
 * non-dominated filter (rank 0 only) of n points in d minimised objectives.
 *
 * Every path starts the same way: the points are sorted lexicographically
 * (f1, f2, ..., fd). A point can only be dominated by points before it in
 * that order (a dominator is <= everywhere and < somewhere, hence
 * lexicographically smaller), and exact duplicates are adjacent and never
 * dominate each other. The ranks are then built in one pass over the sorted
 * points, each point joining the first front that holds no dominator of it.
 * "Front k dominates p" is monotone in k (if a point of front k+1 dominates
 * p, the rank-k point that dominates it dominates p too), so that first
 * front is found by binary search over the fronts.
 *
 *  d = 1: dense ranking of the sorted values.                O(n log n)
 *  d = 2: each front keeps its last point (its lowest f2); the classic
 *         longest-chain sweep (as in Jensen 2003's 2-D base case; Kung et
 *         al. 1975 for the maxima).                           O(n log n)
 *  d = 3: dimension sweep over f1; each front keeps its staircase in
 *         (f2, f3) in a treap (Aragon & Seidel 1989). One query costs
 *         O(log n) expected, the binary search makes O(log F) of them, so
 *         the whole sort is O(n log F log n) expected (F fronts), i.e.
 *         O(n log n) for one front and O(n log^2 n) at worst. Jensen 2003 /
 *         Fortin et al. 2013 reach O(n log n) for d = 3 with a more
 *         intricate divide and conquer; this sweep is simpler and measured
 *         in bench/frontier.c.
 *  d >= 4: efficient non-dominated sort with binary search (ENS-BS, Zhang,
 *         Tian, Cheng & Jin 2015): each point is compared against the points
 *         of the fronts the binary search visits. Those fronts are disjoint
 *         subsets of the earlier points, so the worst case is O(n^2 d) like
 *         Deb et al. 2002's fast non-dominated sort, but typically far fewer
 *         comparisons, and O(n) memory instead of O(n^2).
 *
 * bo_nondominated is the same sweep with one front: Kung et al. 1975 for
 * d = 2 and 3 (a staircase), a filter against the kept points beyond.
 *
 * Must never: print, abort on bad input, keep state between calls, or
 * allocate inside the per-point loops except to grow the front arrays.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"
#include "core/error.h"

#define NIL SIZE_MAX

/* ---- input checks and the lexicographic sort ---------------------------- */

static int check_args(const double *pts, size_t n, size_t d, const void *out, const char *fn)
{
	size_t i, j;

	if (d == 0)
		return bo__error(BO_EINVAL, "%s: the number of objectives d must be at least 1", fn);
	if (n > 0 && (pts == NULL || out == NULL))
		return bo__error(BO_EINVAL, "%s: NULL array with %zu points", fn, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < d; j++)
			if (isnan(pts[i * d + j]))
				return bo__error(BO_EINVAL, "%s: point %zu objective %zu is NaN", fn, i, j);
	return 0;
}

/* d = 2 and 3 copy the points next to their index, for cache-friendly
 * sorting and sweeping. */
typedef struct pt3 {
	double f[3];
	size_t idx;
} pt3;

static int cmp_pt3(const void *a, const void *b)
{
	const pt3 *p = a, *q = b;
	int j;

	for (j = 0; j < 3; j++) {
		if (p->f[j] < q->f[j])
			return -1;
		if (p->f[j] > q->f[j])
			return 1;
	}
	return (p->idx > q->idx) - (p->idx < q->idx);
}

static pt3 *sorted_copy3(const double *pts, size_t n, size_t d)
{
	pt3 *s = bo__calloc(n, sizeof *s);
	size_t i, j;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < d; j++)
			s[i].f[j] = pts[i * d + j];
		s[i].idx = i;
	}
	qsort(s, n, sizeof *s, cmp_pt3);
	return s;
}

/* d = 1 and d >= 4 sort (pointer to the point, index) pairs. */
typedef struct ptref {
	const double *f;
	size_t idx;
} ptref;

static int cmp_ptref_d(const ptref *p, const ptref *q, size_t d)
{
	size_t j;

	for (j = 0; j < d; j++) {
		if (p->f[j] < q->f[j])
			return -1;
		if (p->f[j] > q->f[j])
			return 1;
	}
	return (p->idx > q->idx) - (p->idx < q->idx);
}

/* Merge sort, because qsort cannot pass d to its comparator without global
 * state. Stable, O(n log n), one scratch buffer. */
static void msort_ref(ptref *a, ptref *tmp, size_t n, size_t d)
{
	size_t h, i, j, k;

	if (n < 2)
		return;
	h = n / 2;
	msort_ref(a, tmp, h, d);
	msort_ref(a + h, tmp, n - h, d);
	if (cmp_ptref_d(&a[h - 1], &a[h], d) <= 0)
		return;
	memcpy(tmp, a, h * sizeof *a);
	i = 0;
	j = h;
	k = 0;
	while (i < h && j < n) {
		if (cmp_ptref_d(&a[j], &tmp[i], d) < 0)
			a[k++] = a[j++];
		else
			a[k++] = tmp[i++];
	}
	while (i < h)
		a[k++] = tmp[i++];
}

static ptref *sorted_refs(const double *pts, size_t n, size_t d)
{
	ptref *s = bo__calloc(n, sizeof *s);
	ptref *tmp = bo__calloc(n / 2 + 1, sizeof *tmp);
	size_t i;

	if (s == NULL || tmp == NULL) {
		bo__free(s);
		bo__free(tmp);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		s[i].f = pts + i * d;
		s[i].idx = i;
	}
	msort_ref(s, tmp, n, d);
	bo__free(tmp);
	return s;
}

/* q (earlier in lexicographic order, so q <= p there) dominates p: no worse
 * in every objective and not equal. */
static int dominates_lex(const double *q, const double *p, size_t d)
{
	size_t j;
	int strict = 0;

	for (j = 0; j < d; j++) {
		if (q[j] > p[j])
			return 0;
		if (q[j] < p[j])
			strict = 1;
	}
	return strict;
}

/* ---- d = 1 --------------------------------------------------------------- */

static int ndsort1(const double *pts, size_t n, int *rank, unsigned char *keep, size_t *count)
{
	ptref *s = sorted_refs(pts, n, 1);
	size_t i, r = 0, kept = 0;

	if (s == NULL)
		return BO_ENOMEM;
	for (i = 0; i < n; i++) {
		if (i > 0 && s[i].f[0] > s[i - 1].f[0])
			r++;
		if (rank != NULL)
			rank[s[i].idx] = (int)r;
		if (keep != NULL) {
			keep[s[i].idx] = r == 0;
			kept += r == 0;
		}
	}
	*count = keep != NULL ? kept : (n > 0 ? r + 1 : 0);
	bo__free(s);
	return 0;
}

/* ---- d = 2 --------------------------------------------------------------- */

/* The last point of a front (its lowest f2) dominates p, which comes later
 * in (f1, f2) order, unless it equals p. */
static int last_dominates2(const pt3 *q, const pt3 *p)
{
	return q->f[1] < p->f[1] || (q->f[1] == p->f[1] && q->f[0] < p->f[0]);
}

static int ndsort2(const double *pts, size_t n, int *rank, size_t *nranks)
{
	pt3 *s = NULL;
	size_t *last = NULL; /* last[k]: position in s of front k's last point */
	size_t i, nf = 0;
	int rc = 0;

	s = sorted_copy3(pts, n, 2);
	last = bo__calloc(n, sizeof *last);
	if (s == NULL || last == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		size_t lo = 0, hi = nf;

		while (lo < hi) { /* first front whose last point does not dominate */
			size_t mid = lo + (hi - lo) / 2;
			if (last_dominates2(&s[last[mid]], &s[i]))
				lo = mid + 1;
			else
				hi = mid;
		}
		last[lo] = i;
		if (lo == nf)
			nf++;
		rank[s[i].idx] = (int)lo;
	}
	*nranks = nf;
done:
	bo__free(s);
	bo__free(last);
	return rc;
}

static int nondom2(const double *pts, size_t n, unsigned char *keep, size_t *nkept)
{
	pt3 *s = sorted_copy3(pts, n, 2);
	size_t i, best = 0, kept = 0;

	if (s == NULL)
		return BO_ENOMEM;
	for (i = 0; i < n; i++) {
		int k = i == 0 || !last_dominates2(&s[best], &s[i]);
		keep[s[i].idx] = (unsigned char)k;
		if (k) {
			best = i;
			kept++;
		}
	}
	*nkept = kept;
	bo__free(s);
	return 0;
}

/* ---- d = 3: staircases in treaps ----------------------------------------- */

/* Nodes are positions in the sorted array; each front's staircase holds
 * points with strictly increasing f2 and strictly decreasing f3. */
typedef struct treap {
	const pt3 *s;
	size_t *left, *right;
	uint32_t *prio;
} treap;

static uint32_t node_prio(size_t i)
{
	uint64_t z = (uint64_t)i + 0x9e3779b97f4a7c15ULL; /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(z ^ (z >> 31));
}

/* The staircase point with the largest f2 <= x, or NIL. */
static size_t stair_floor(const treap *t, size_t root, double x)
{
	size_t best = NIL;

	while (root != NIL) {
		if (t->s[root].f[1] <= x) {
			best = root;
			root = t->right[root];
		} else {
			root = t->left[root];
		}
	}
	return best;
}

/* Does the staircase hold a point dominating p? *dup is set when it holds
 * p's exact duplicate. The floor point has the lowest f3 among the points
 * with f2 <= p's, so it is the only candidate. */
static int stair_dominates(const treap *t, size_t root, const pt3 *p, int *dup)
{
	size_t q = stair_floor(t, root, p->f[1]);
	const pt3 *a;

	*dup = 0;
	if (q == NIL)
		return 0;
	a = &t->s[q];
	if (a->f[2] != p->f[2])
		return a->f[2] < p->f[2];
	if (a->f[1] != p->f[1])
		return 1; /* a->f[1] < p->f[1] */
	if (a->f[0] < p->f[0])
		return 1;
	*dup = 1;
	return 0;
}

/* Splits by key: *l gets f2 < x, *r the rest. */
static void split_f2(treap *t, size_t root, double x, size_t *l, size_t *r)
{
	if (root == NIL) {
		*l = *r = NIL;
	} else if (t->s[root].f[1] < x) {
		split_f2(t, t->right[root], x, &t->right[root], r);
		*l = root;
	} else {
		split_f2(t, t->left[root], x, l, &t->left[root]);
		*r = root;
	}
}

/* Splits a staircase (f3 decreasing in order): *l gets f3 >= x, *r the rest. */
static void split_f3(treap *t, size_t root, double x, size_t *l, size_t *r)
{
	if (root == NIL) {
		*l = *r = NIL;
	} else if (t->s[root].f[2] >= x) {
		split_f3(t, t->right[root], x, &t->right[root], r);
		*l = root;
	} else {
		split_f3(t, t->left[root], x, l, &t->left[root]);
		*r = root;
	}
}

static size_t merge(treap *t, size_t a, size_t b)
{
	if (a == NIL)
		return b;
	if (b == NIL)
		return a;
	if (t->prio[a] > t->prio[b]) {
		t->right[a] = merge(t, t->right[a], b);
		return a;
	}
	t->left[b] = merge(t, a, t->left[b]);
	return b;
}

/* Inserts node i, which no staircase point dominates and which is not a
 * duplicate; drops the points it 2-D dominates (f2 >= and f3 >=). */
static size_t stair_insert(treap *t, size_t root, size_t i)
{
	size_t l, r, gone, keep;

	split_f2(t, root, t->s[i].f[1], &l, &r);
	split_f3(t, r, t->s[i].f[2], &gone, &keep);
	t->left[i] = t->right[i] = NIL;
	return merge(t, merge(t, l, i), keep);
}

static int treap_init(treap *t, const pt3 *s, size_t n)
{
	size_t i;

	t->s = s;
	t->left = bo__calloc(n, sizeof *t->left);
	t->right = bo__calloc(n, sizeof *t->right);
	t->prio = bo__calloc(n, sizeof *t->prio);
	if (t->left == NULL || t->right == NULL || t->prio == NULL)
		return BO_ENOMEM;
	for (i = 0; i < n; i++)
		t->prio[i] = node_prio(i);
	return 0;
}

static void treap_clear(treap *t)
{
	bo__free(t->left);
	bo__free(t->right);
	bo__free(t->prio);
}

static int ndsort3(const double *pts, size_t n, int *rank, size_t *nranks)
{
	treap t = {0};
	pt3 *s = NULL;
	size_t *root = NULL;
	size_t i, nf = 0;
	int rc;

	s = sorted_copy3(pts, n, 3);
	root = bo__calloc(n, sizeof *root);
	if (s == NULL || root == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	rc = treap_init(&t, s, n);
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		size_t lo = 0, hi = nf;
		int dup = 0;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (stair_dominates(&t, root[mid], &s[i], &dup))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nf) {
			root[nf++] = NIL;
			dup = 0;
		} else {
			(void)stair_dominates(&t, root[lo], &s[i], &dup);
		}
		if (!dup)
			root[lo] = stair_insert(&t, root[lo], i);
		rank[s[i].idx] = (int)lo;
	}
	*nranks = nf;
done:
	treap_clear(&t);
	bo__free(s);
	bo__free(root);
	return rc;
}

static int nondom3(const double *pts, size_t n, unsigned char *keep, size_t *nkept)
{
	treap t = {0};
	pt3 *s = NULL;
	size_t i, root = NIL, kept = 0;
	int rc;

	s = sorted_copy3(pts, n, 3);
	if (s == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	rc = treap_init(&t, s, n);
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		int dup;
		int dom = stair_dominates(&t, root, &s[i], &dup);

		keep[s[i].idx] = (unsigned char)!dom;
		if (!dom) {
			kept++;
			if (!dup)
				root = stair_insert(&t, root, i);
		}
	}
	*nkept = kept;
done:
	treap_clear(&t);
	bo__free(s);
	return rc;
}

/* ---- d >= 4: ENS-BS ------------------------------------------------------ */

/* Fronts are singly linked lists threaded through next[], newest first
 * (ENS compares against the latest members first: they are the most
 * likely dominators of the next point in lexicographic order). */
static int front_dominates(const ptref *s, const size_t *next, size_t head, const ptref *p,
			   size_t d)
{
	size_t q;

	for (q = head; q != NIL; q = next[q])
		if (dominates_lex(s[q].f, p->f, d))
			return 1;
	return 0;
}

static int ndsortd(const double *pts, size_t n, size_t d, int *rank, size_t *nranks)
{
	ptref *s = NULL;
	size_t *head = NULL, *next = NULL;
	size_t i, nf = 0;
	int rc = 0;

	s = sorted_refs(pts, n, d);
	head = bo__calloc(n, sizeof *head);
	next = bo__calloc(n, sizeof *next);
	if (s == NULL || head == NULL || next == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		size_t lo = 0, hi = nf;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (front_dominates(s, next, head[mid], &s[i], d))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nf)
			head[nf++] = NIL;
		next[i] = head[lo];
		head[lo] = i;
		rank[s[i].idx] = (int)lo;
	}
	*nranks = nf;
done:
	bo__free(s);
	bo__free(head);
	bo__free(next);
	return rc;
}

static int nondomd(const double *pts, size_t n, size_t d, unsigned char *keep, size_t *nkept)
{
	ptref *s = sorted_refs(pts, n, d);
	size_t *next = NULL;
	size_t i, head = NIL, kept = 0;
	int rc = 0;

	next = bo__calloc(n, sizeof *next);
	if (s == NULL || next == NULL) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		int dom = front_dominates(s, next, head, &s[i], d);

		keep[s[i].idx] = (unsigned char)!dom;
		if (!dom) {
			next[i] = head;
			head = i;
			kept++;
		}
	}
	*nkept = kept;
done:
	bo__free(s);
	bo__free(next);
	return rc;
}

/* ---- public ------------------------------------------------------------- */

int bo_ndsort(const double *pts, size_t n, size_t d, int *rank, size_t *nranks)
{
	size_t nr = 0;
	int rc;

	rc = check_args(pts, n, d, rank, "ndsort");
	if (rc < 0)
		goto done;
	if (n > (size_t)INT32_MAX) {
		rc = bo__error(BO_EINVAL, "ndsort: %zu points is more than ranks can count", n);
		goto done;
	}
	if (n == 0)
		goto done;
	if (d == 1)
		rc = ndsort1(pts, n, rank, NULL, &nr);
	else if (d == 2)
		rc = ndsort2(pts, n, rank, &nr);
	else if (d == 3)
		rc = ndsort3(pts, n, rank, &nr);
	else
		rc = ndsortd(pts, n, d, rank, &nr);
done:
	if (nranks != NULL)
		*nranks = rc < 0 ? 0 : nr;
	return rc;
}

int bo_nondominated(const double *pts, size_t n, size_t d, unsigned char *keep, size_t *nkept)
{
	size_t nk = 0;
	int rc;

	rc = check_args(pts, n, d, keep, "nondominated");
	if (rc < 0 || n == 0)
		goto done;
	if (d == 1)
		rc = ndsort1(pts, n, NULL, keep, &nk);
	else if (d == 2)
		rc = nondom2(pts, n, keep, &nk);
	else if (d == 3)
		rc = nondom3(pts, n, keep, &nk);
	else
		rc = nondomd(pts, n, d, keep, &nk);
done:
	if (nkept != NULL)
		*nkept = rc < 0 ? 0 : nk;
	return rc;
}
