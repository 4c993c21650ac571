/*
 * tests/unit/test_ndsort.c - bo_ndsort and bo_nondominated against brute
 * force and against the known answers of moocore's test suite.
 *
 * The moocore cases ($BUDGETOPT_DATA/moocore_testsuite, from the
 * multi-objective/testsuite repository) are read from its manifest.csv:
 * each nondominated/ and ndsort/ command line is parsed for its input
 * (`< file`, `xzcat file |`, or a file argument), its flags (--filter,
 * --union/-u, --maximise, --obj=STR/-o STR, --rank, --verbose, --quiet) and
 * compared with the expected output: the filtered points of each set
 * (compared as sorted multisets with relative tolerance 1e-9, which covers
 * the `| sort -b` cases too), the 0-based ranks, or the size/nondom/dom
 * counts of --verbose. moocore's filter keeps one copy of duplicated
 * points and counts the others as dominated, where bo_nondominated keeps
 * every copy (duplicates share a rank), so the test drops the later copies
 * (equal in the objectives compared) before comparing. Compressed files are read through `xz -dc` (popen).
 * Every case of the two suites maps; none is about CLI usage errors. The
 * one test upstream has and this copy lacks (nondominated/ran.9000pts.4d.10)
 * is not in the manifest.
 *
 * Must never: write outside BO_TEST_TMP, or depend on timing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"

/* ---- brute force --------------------------------------------------------- */

static int bf_dominates(const double *a, const double *b, size_t d)
{
	size_t j;
	int strict = 0;

	for (j = 0; j < d; j++) {
		if (a[j] > b[j])
			return 0;
		if (a[j] < b[j])
			strict = 1;
	}
	return strict;
}

/* Peels fronts one at a time: O(n^2 d) per front. Returns the number of ranks. */
static size_t bf_ndsort(const double *pts, size_t n, size_t d, int *rank)
{
	size_t i, q, left = n, r = 0;
	int *next = malloc((n + 1) * sizeof *next);

	assert_non_null(next);
	for (i = 0; i < n; i++)
		rank[i] = -1;
	while (left > 0) {
		for (i = 0; i < n; i++) {
			next[i] = 0;
			if (rank[i] != -1)
				continue;
			for (q = 0; q < n; q++)
				if (rank[q] == -1 && bf_dominates(pts + q * d, pts + i * d, d))
					break;
			next[i] = q == n;
		}
		for (i = 0; i < n; i++)
			if (next[i]) {
				rank[i] = (int)r;
				left--;
			}
		r++;
	}
	free(next);
	return r;
}

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void check_against_brute(const double *pts, size_t n, size_t d)
{
	int *rank = malloc((n + 1) * sizeof *rank);
	int *ref = malloc((n + 1) * sizeof *ref);
	unsigned char *keep = malloc(n + 1);
	size_t i, nr = 99, nk = 99, nref, kept = 0;

	assert_non_null(rank);
	assert_non_null(ref);
	assert_non_null(keep);
	nref = bf_ndsort(pts, n, d, ref);
	assert_int_equal(bo_ndsort(pts, n, d, rank, &nr), 0);
	assert_int_equal(nr, nref);
	for (i = 0; i < n; i++) {
		if (rank[i] != ref[i])
			fail_msg("n=%zu d=%zu point %zu: rank %d, brute force %d", n, d, i, rank[i],
				 ref[i]);
	}
	assert_int_equal(bo_nondominated(pts, n, d, keep, &nk), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(keep[i], ref[i] == 0);
		kept += ref[i] == 0;
	}
	assert_int_equal(nk, kept);
	free(rank);
	free(ref);
	free(keep);
}

/* Integer coordinates in a small range: many ties and duplicates. Some
 * sets use awkward non-integers and infinities too. */
static void test_random_vs_brute(void **state)
{
	size_t d, n, seed;
	double *pts = malloc(300 * 6 * sizeof *pts);

	(void)state;
	assert_non_null(pts);
	for (d = 1; d <= 6; d++) {
		for (seed = 0; seed < 60; seed++) {
			size_t range = 2 + seed % 9;
			rng_state = seed * 1000 + d;
			n = seed < 10 ? seed : (size_t)(rng_next() % 301);
			for (size_t i = 0; i < n * d; i++) {
				double v = (double)(rng_next() % range);
				if (seed % 7 == 3)
					v = v * 2.385 - 1.1;
				if (seed % 11 == 5 && rng_next() % 13 == 0)
					v = rng_next() % 2 ? INFINITY : -INFINITY;
				pts[i] = v;
			}
			check_against_brute(pts, n, d);
		}
	}
	free(pts);
}

/* Points spread on a simplex: mostly one front, with some jitter. */
static void test_front_shaped_vs_brute(void **state)
{
	size_t d, i, j, n = 250;
	double *pts = malloc(n * 6 * sizeof *pts);

	(void)state;
	assert_non_null(pts);
	for (d = 2; d <= 6; d++) {
		rng_state = 77 + d;
		for (i = 0; i < n; i++) {
			double sum = 0;
			for (j = 0; j < d; j++) {
				pts[i * d + j] = (double)(rng_next() % 1000) + 1;
				sum += pts[i * d + j];
			}
			for (j = 0; j < d; j++)
				pts[i * d + j] =
					floor(pts[i * d + j] / sum * 50) + (double)(rng_next() % 3);
		}
		check_against_brute(pts, n, d);
	}
	free(pts);
}

static void test_edge_cases(void **state)
{
	double one[3] = {2.385, -1, 7};
	double same[5 * 4];
	double chain[40 * 3];
	int rank[40];
	unsigned char keep[40];
	size_t d, i, nr, nk;

	(void)state;
	for (d = 1; d <= 5; d++) {
		nr = 99;
		nk = 99;
		assert_int_equal(bo_ndsort(NULL, 0, d, NULL, &nr), 0);
		assert_int_equal(nr, 0);
		assert_int_equal(bo_nondominated(NULL, 0, d, NULL, &nk), 0);
		assert_int_equal(nk, 0);
	}
	for (d = 1; d <= 3; d++) {
		rank[0] = 5;
		assert_int_equal(bo_ndsort(one, 1, d, rank, &nr), 0);
		assert_int_equal(rank[0], 0);
		assert_int_equal(nr, 1);
		assert_int_equal(bo_nondominated(one, 1, d, keep, &nk), 0);
		assert_int_equal(keep[0], 1);
		assert_int_equal(nk, 1);
	}
	for (d = 1; d <= 4; d++) { /* all identical: one rank */
		for (i = 0; i < 5 * d; i++)
			same[i] = 2.385;
		assert_int_equal(bo_ndsort(same, 5, d, rank, &nr), 0);
		assert_int_equal(nr, 1);
		for (i = 0; i < 5; i++)
			assert_int_equal(rank[i], 0);
		assert_int_equal(bo_nondominated(same, 5, d, keep, NULL), 0);
		for (i = 0; i < 5; i++)
			assert_int_equal(keep[i], 1);
	}
	for (d = 1; d <= 3; d++) { /* a chain, given in reverse: n ranks */
		for (i = 0; i < 40; i++)
			for (size_t j = 0; j < d; j++)
				chain[i * d + j] = (double)(40 - i) * 1.5 + (double)j;
		assert_int_equal(bo_ndsort(chain, 40, d, rank, &nr), 0);
		assert_int_equal(nr, 40);
		for (i = 0; i < 40; i++)
			assert_int_equal(rank[i], 39 - (int)i);
		assert_int_equal(bo_nondominated(chain, 40, d, keep, &nk), 0);
		assert_int_equal(nk, 1);
		assert_int_equal(keep[39], 1);
	}
	/* a chain in 5-D too, where only one objective is strictly better */
	{
		double c5[10 * 5];
		for (i = 0; i < 10; i++)
			for (size_t j = 0; j < 5; j++)
				c5[i * 5 + j] = j == 3 ? (double)i : 1.0;
		assert_int_equal(bo_ndsort(c5, 10, 5, rank, &nr), 0);
		assert_int_equal(nr, 10);
		for (i = 0; i < 10; i++)
			assert_int_equal(rank[i], (int)i);
	}
}

static void test_bad_input(void **state)
{
	double pts[3 * 4] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	int rank[4];
	unsigned char keep[4];
	size_t d, nr = 7;

	(void)state;
	for (d = 1; d <= 4; d++) {
		double *p = malloc(3 * d * sizeof *p);
		assert_non_null(p);
		memcpy(p, pts, 3 * d * sizeof *p);
		p[1 * d + (d - 1)] = NAN;
		assert_int_equal(bo_ndsort(p, 3, d, rank, &nr), BO_EINVAL);
		assert_non_null(strstr(bo_error_last(), "point 1"));
		{
			char want[40];
			snprintf(want, sizeof want, "objective %zu", d - 1);
			assert_non_null(strstr(bo_error_last(), want));
		}
		assert_int_equal(bo_nondominated(p, 3, d, keep, NULL), BO_EINVAL);
		assert_non_null(strstr(bo_error_last(), "NaN"));
		free(p);
	}
	assert_int_equal(bo_ndsort(pts, 3, 0, rank, NULL), BO_EINVAL);
	assert_int_equal(bo_ndsort(NULL, 3, 2, rank, NULL), BO_EINVAL);
	assert_int_equal(bo_ndsort(pts, 3, 2, NULL, NULL), BO_EINVAL);
	assert_int_equal(bo_nondominated(pts, 3, 0, keep, NULL), BO_EINVAL);
	assert_int_equal(bo_nondominated(pts, 3, 2, NULL, NULL), BO_EINVAL);
}

/* Every allocation failing in turn gives BO_ENOMEM and no leak (ASan). */
static void test_out_of_memory(void **state)
{
	double pts[6 * 5];
	int rank[6];
	unsigned char keep[6];
	size_t d, i, k;

	(void)state;
	for (i = 0; i < 30; i++)
		pts[i] = (double)((i * 7) % 5);
	for (d = 1; d <= 5; d++) {
		for (k = 1;; k++) {
			int rc;
			bo__alloc_fail_at(k);
			rc = bo_ndsort(pts, 6, d, rank, NULL);
			bo__alloc_fail_at(0);
			if (rc == 0)
				break;
			assert_int_equal(rc, BO_ENOMEM);
		}
		for (k = 1;; k++) {
			int rc;
			bo__alloc_fail_at(k);
			rc = bo_nondominated(pts, 6, d, keep, NULL);
			bo__alloc_fail_at(0);
			if (rc == 0)
				break;
			assert_int_equal(rc, BO_ENOMEM);
		}
	}
}

/* ---- moocore's test suite ------------------------------------------------ */

static char data_dir[4096];

static int find_data_dir(void)
{
	const char *env = getenv("BUDGETOPT_DATA");
	char src[2048];
	char *cut;

	if (env != NULL && *env != '\0') {
		snprintf(data_dir, sizeof data_dir, "%s/moocore_testsuite", env);
	} else {
		snprintf(src, sizeof src, "%s", __FILE__);
		cut = strstr(src, "tests/unit/test_ndsort.c");
		if (cut == NULL)
			return 0;
		*cut = '\0';
		snprintf(data_dir, sizeof data_dir, "%s../shared/data/moocore_testsuite", src);
	}
	return access(data_dir, R_OK) == 0;
}

typedef struct pset {
	double *v;
	size_t n, d, cap;
} pset;

typedef struct psets {
	pset *s;
	size_t n;
} psets;

static void psets_free(psets *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i].v);
	free(p->s);
	p->s = NULL;
	p->n = 0;
}

/* moocore's format: whitespace-separated numbers, one point a line; a blank
 * line or one starting with '#' ends the current set. */
static void read_sets(FILE *f, psets *out, const char *what)
{
	char *line = NULL;
	size_t lcap = 0;
	int open_set = 0;

	out->s = NULL;
	out->n = 0;
	while (getline(&line, &lcap, f) >= 0) {
		char *p = line, *end;
		pset *cur;
		size_t d = 0;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#') {
			open_set = 0;
			continue;
		}
		if (!open_set) {
			out->s = realloc(out->s, (out->n + 1) * sizeof *out->s);
			assert_non_null(out->s);
			memset(&out->s[out->n], 0, sizeof *out->s);
			out->n++;
			open_set = 1;
		}
		cur = &out->s[out->n - 1];
		for (;;) {
			double v = strtod(p, &end);
			if (end == p)
				break;
			if (cur->n * cur->d + d + 1 > cur->cap) {
				cur->cap = cur->cap * 2 + 64;
				cur->v = realloc(cur->v, cur->cap * sizeof *cur->v);
				assert_non_null(cur->v);
			}
			cur->v[cur->n * (cur->d ? cur->d : d) + d] = v;
			d++;
			p = end;
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0')
			fail_msg("%s: cannot read \"%s\"", what, line);
		if (cur->d == 0)
			cur->d = d;
		if (d != cur->d)
			fail_msg("%s: a line with %zu numbers in a set of %zu", what, d, cur->d);
		cur->n++;
	}
	free(line);
}

/* Opens path (relative to the suite's folder) plainly or through xz. */
static FILE *open_data(const char *suite, const char *path, int xz, int *piped)
{
	char full[8192], cmd[8400];
	FILE *f;

	snprintf(full, sizeof full, "%s/%s/%s", data_dir, suite, path);
	*piped = 0;
	if (xz || (strlen(full) > 3 && strcmp(full + strlen(full) - 3, ".xz") == 0)) {
		snprintf(cmd, sizeof cmd, "xz -dc '%s'", full);
		f = popen(cmd, "r");
		*piped = 1;
	} else {
		f = fopen(full, "r");
	}
	if (f == NULL)
		fail_msg("cannot open %s", full);
	return f;
}

static void close_data(FILE *f, int piped)
{
	if (piped)
		assert_int_equal(pclose(f), 0);
	else
		fclose(f);
}

static int have_xz(void)
{
	return system("xz --version >/dev/null 2>&1") == 0;
}

typedef struct command {
	char input[512];
	int xz_input;
	int filter, uni, rank, verbose, maximise;
	char obj[64];
} command;

static void subst_testname(char *dst, size_t cap, const char *src, const char *test)
{
	size_t k = 0;

	while (*src != '\0' && k + 1 < cap) {
		if (strncmp(src, "${TESTNAME}", 11) == 0 || strncmp(src, "$TESTNAME", 9) == 0) {
			int len = snprintf(dst + k, cap - k, "%s", test);
			k += (size_t)len;
			src += src[1] == '{' ? 11 : 9;
		} else {
			dst[k++] = *src++;
		}
	}
	dst[k < cap ? k : cap - 1] = '\0';
}

/* Parses one shell command line of a .test file. Returns 0 when it holds
 * something this test cannot map (the reason goes to why). */
static int parse_command(const char *line, const char *test, command *c, char *why, size_t wcap)
{
	char buf[2048], *tok, *save = NULL;
	int in_program = 0, after_pipe_sort = 0;
	char *toks[64];
	size_t nt = 0, i;

	memset(c, 0, sizeof *c);
	subst_testname(buf, sizeof buf, line, test);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL && nt < 64;
	     tok = strtok_r(NULL, " \t", &save))
		toks[nt++] = tok;
	for (i = 0; i < nt; i++) {
		const char *t = toks[i];
		if (strcmp(t, "xzcat") == 0 && i + 1 < nt) {
			snprintf(c->input, sizeof c->input, "%s", toks[++i]);
			c->xz_input = 1;
		} else if (strcmp(t, "|") == 0) {
			in_program = 0;
			after_pipe_sort = i + 1 < nt && strcmp(toks[i + 1], "sort") == 0;
		} else if (strcmp(t, "$PROGRAM") == 0 || strcmp(t, "${PROGRAM}") == 0) {
			in_program = 1;
		} else if (strcmp(t, "<") == 0 && i + 1 < nt) {
			snprintf(c->input, sizeof c->input, "%s", toks[++i]);
		} else if (after_pipe_sort) {
			continue; /* the output order does not matter: sets are compared sorted */
		} else if (!in_program) {
			snprintf(why, wcap, "token \"%s\" outside the program", t);
			return 0;
		} else if (strcmp(t, "--filter") == 0) {
			c->filter = 1;
		} else if (strcmp(t, "--union") == 0 || strcmp(t, "-u") == 0) {
			c->uni = 1;
		} else if (strcmp(t, "--quiet") == 0 || strcmp(t, "-q") == 0) {
			;
		} else if (strcmp(t, "--verbose") == 0 || strcmp(t, "-v") == 0) {
			c->verbose = 1;
		} else if (strcmp(t, "--rank") == 0) {
			c->rank = 1;
		} else if (strcmp(t, "--maximise") == 0 || strcmp(t, "--maximize") == 0) {
			c->maximise = 1;
		} else if (strncmp(t, "--obj=", 6) == 0) {
			snprintf(c->obj, sizeof c->obj, "%s", t + 6);
		} else if (strcmp(t, "-o") == 0 && i + 1 < nt) {
			snprintf(c->obj, sizeof c->obj, "%s", toks[++i]);
		} else if (t[0] != '-') {
			snprintf(c->input, sizeof c->input, "%s", t);
		} else {
			snprintf(why, wcap, "flag \"%s\"", t);
			return 0;
		}
	}
	if (c->input[0] == '\0') {
		snprintf(why, wcap, "no input file");
		return 0;
	}
	if (!c->filter && !c->rank && !c->verbose) {
		snprintf(why, wcap, "neither --filter, --rank nor --verbose");
		return 0;
	}
	return 1;
}

/* The set (or union) in minimisation form: ignored objectives dropped,
 * maximised ones negated. */
static double *objectives_of(const pset *s, const command *c, size_t *dout)
{
	double *o = malloc((s->n * s->d + 1) * sizeof *o);
	size_t i, j, k = 0, d = 0;

	assert_non_null(o);
	if (c->obj[0] != '\0')
		assert_int_equal(strlen(c->obj), s->d);
	for (j = 0; j < s->d; j++) {
		char m = c->obj[0] != '\0' ? c->obj[j] : (c->maximise ? '+' : '-');
		if (m == '0' || m == 'i')
			continue;
		assert_true(m == '+' || m == '-');
		for (i = 0; i < s->n; i++)
			o[i * s->d + d] = m == '+' ? -s->v[i * s->d + j] : s->v[i * s->d + j];
		d++;
	}
	for (i = 0; i < s->n; i++) /* compact rows from stride s->d to stride d */
		for (j = 0; j < d; j++)
			o[k++] = o[i * s->d + j];
	*dout = d;
	return o;
}

static size_t g_cmp_d;

static int cmp_rows(const void *a, const void *b)
{
	const double *p = a, *q = b;
	for (size_t j = 0; j < g_cmp_d; j++)
		if (p[j] != q[j])
			return p[j] < q[j] ? -1 : 1;
	return 0;
}

static int close_enough(double a, double b)
{
	return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static void compare_point_sets(const pset *got, const pset *exp, const char *what)
{
	size_t i, j;

	if (got->n != exp->n)
		fail_msg("%s: %zu points kept, expected %zu", what, got->n, exp->n);
	if (got->n == 0)
		return;
	assert_int_equal(got->d, exp->d);
	g_cmp_d = got->d;
	qsort(got->v, got->n, got->d * sizeof *got->v, cmp_rows);
	qsort(exp->v, exp->n, exp->d * sizeof *exp->v, cmp_rows);
	for (i = 0; i < got->n * got->d; i++) {
		if (!close_enough(got->v[i], exp->v[i])) {
			j = i / got->d;
			fail_msg("%s: sorted point %zu objective %zu: %.17g, expected %.17g", what, j,
				 i % got->d, got->v[i], exp->v[i]);
		}
	}
}

/* Merges all sets into one (the --union flag, and ndsort which ranks all). */
static void union_sets(psets *p)
{
	size_t i, tot = 0, off = 0;
	pset u = {0};

	if (p->n <= 1)
		return;
	u.d = p->s[0].d;
	for (i = 0; i < p->n; i++) {
		assert_int_equal(p->s[i].d, u.d);
		tot += p->s[i].n;
	}
	u.v = malloc(tot * u.d * sizeof *u.v);
	assert_non_null(u.v);
	for (i = 0; i < p->n; i++) {
		memcpy(u.v + off, p->s[i].v, p->s[i].n * u.d * sizeof *u.v);
		off += p->s[i].n * u.d;
	}
	u.n = tot;
	psets_free(p);
	p->s = malloc(sizeof *p->s);
	assert_non_null(p->s);
	p->s[0] = u;
	p->n = 1;
}

typedef struct counts {
	size_t set, size, nondom, dom;
} counts;

/* The table rows of --verbose: "<file> set size nondom dom". */
static size_t read_count_rows(FILE *f, counts *rows, size_t cap)
{
	char *line = NULL;
	size_t lcap = 0, nr = 0;

	while (getline(&line, &lcap, f) >= 0) {
		char name[1024];
		unsigned long a, b, c, e;
		char extra;
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%1023s %lu %lu %lu %lu %c", name, &a, &b, &c, &e, &extra) == 5) {
			assert_true(nr < cap);
			rows[nr].set = a;
			rows[nr].size = b;
			rows[nr].nondom = c;
			rows[nr].dom = e;
			nr++;
		}
	}
	free(line);
	return nr;
}

/* moocore's filter keeps one copy of duplicated points (the library keeps
 * them all, as they share a rank): clear keep[] for every kept point whose
 * objective vector equals that of a kept point before it. */
static const double *g_dd_o;
static size_t g_dd_d;

static int cmp_dd(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, k = *(const size_t *)b, j;
	for (j = 0; j < g_dd_d; j++) {
		double x = g_dd_o[i * g_dd_d + j], y = g_dd_o[k * g_dd_d + j];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (i > k) - (i < k);
}

static size_t drop_duplicates(const double *o, size_t n, size_t d, unsigned char *keep)
{
	size_t *ix = malloc((n + 1) * sizeof *ix);
	size_t i, m = 0, kept = 0;

	assert_non_null(ix);
	for (i = 0; i < n; i++)
		if (keep[i])
			ix[m++] = i;
	g_dd_o = o;
	g_dd_d = d;
	qsort(ix, m, sizeof *ix, cmp_dd);
	for (i = 0; i < m; i++) {
		size_t j;
		int same = i > 0;
		for (j = 0; same && j < d; j++)
			same = o[ix[i] * d + j] == o[ix[i - 1] * d + j];
		if (same)
			keep[ix[i]] = 0;
		else
			kept++;
	}
	free(ix);
	return kept;
}

static void run_case(const char *suite, const char *test, char *cmdlines, const char *expfile,
		     int xz, size_t *ncases)
{
	char what[600], why[256];
	command cmds[8];
	size_t ncmd = 0, i, s;
	char *part = cmdlines, *sep;
	int piped;
	FILE *f;
	counts rows[64];
	size_t nrows = 0, row = 0;
	int needs_xz = strstr(cmdlines, "xzcat") != NULL || strstr(expfile, ".xz") != NULL;

	snprintf(what, sizeof what, "%s/%s", suite, test);
	if (needs_xz && !xz) {
		print_message("skipped %s: it needs xz to decompress its files, and xz is missing\n",
			      what);
		return;
	}
	for (;;) {
		sep = strstr(part, " ; ");
		if (sep != NULL)
			*sep = '\0';
		assert_true(ncmd < 8);
		if (!parse_command(part, test, &cmds[ncmd], why, sizeof why))
			fail_msg("%s: cannot map the command \"%s\": %s", what, part, why);
		if (strcmp(suite, "ndsort") == 0 && !cmds[ncmd].rank)
			fail_msg("%s: an ndsort case without --rank", what);
		ncmd++;
		if (sep == NULL)
			break;
		part = sep + 3;
	}
	/* Expected output. --verbose tables are read for all commands at once. */
	if (cmds[0].verbose && !cmds[0].filter) {
		f = open_data("", expfile, 0, &piped);
		nrows = read_count_rows(f, rows, 64);
		close_data(f, piped);
	}
	for (i = 0; i < ncmd; i++) {
		const command *c = &cmds[i];
		psets in;

		f = open_data(suite, c->input, c->xz_input, &piped);
		read_sets(f, &in, what);
		close_data(f, piped);
		if (c->uni || c->rank)
			union_sets(&in);
		if (c->rank) {
			/* ndsort --rank: one 0-based rank a line, in input order. */
			size_t d, nr;
			double *o = objectives_of(&in.s[0], c, &d);
			int *rank = malloc((in.s[0].n + 1) * sizeof *rank);
			psets exp;

			assert_non_null(rank);
			assert_int_equal(bo_ndsort(o, in.s[0].n, d, rank, &nr), 0);
			f = open_data("", expfile, 0, &piped);
			read_sets(f, &exp, what);
			close_data(f, piped);
			union_sets(&exp);
			assert_int_equal(exp.n, 1);
			assert_int_equal(exp.s[0].d, 1);
			if (exp.s[0].n != in.s[0].n)
				fail_msg("%s: %zu ranks expected for %zu points", what, exp.s[0].n,
					 in.s[0].n);
			for (s = 0; s < in.s[0].n; s++)
				if ((double)rank[s] != exp.s[0].v[s])
					fail_msg("%s: point %zu rank %d, expected %g", what, s, rank[s],
						 exp.s[0].v[s]);
			free(rank);
			free(o);
			psets_free(&exp);
		} else if (c->filter) {
			psets exp;

			assert_int_equal(ncmd, 1);
			f = open_data("", expfile, 0, &piped);
			read_sets(f, &exp, what);
			close_data(f, piped);
			if (exp.n != in.n)
				fail_msg("%s: %zu sets expected, the input has %zu", what, exp.n, in.n);
			for (s = 0; s < in.n; s++) {
				size_t d, nk, k = 0, p;
				double *o = objectives_of(&in.s[s], c, &d);
				unsigned char *keep = malloc(in.s[s].n + 1);
				pset got = {0};
				char w2[700];

				assert_non_null(keep);
				assert_int_equal(bo_nondominated(o, in.s[s].n, d, keep, &nk), 0);
				nk = drop_duplicates(o, in.s[s].n, d, keep);
				got.d = in.s[s].d;
				got.n = nk;
				got.v = malloc((nk * got.d + 1) * sizeof *got.v);
				assert_non_null(got.v);
				for (p = 0; p < in.s[s].n; p++)
					if (keep[p])
						memcpy(got.v + (k++) * got.d, in.s[s].v + p * got.d,
						       got.d * sizeof *got.v);
				assert_int_equal(k, nk);
				snprintf(w2, sizeof w2, "%s set %zu", what, s + 1);
				compare_point_sets(&got, &exp.s[s], w2);
				free(got.v);
				free(keep);
				free(o);
			}
			psets_free(&exp);
		} else {
			for (s = 0; s < in.n; s++, row++) {
				size_t d, nk;
				double *o = objectives_of(&in.s[s], c, &d);
				unsigned char *keep = malloc(in.s[s].n + 1);

				assert_non_null(keep);
				assert_int_equal(bo_nondominated(o, in.s[s].n, d, keep, &nk), 0);
				nk = drop_duplicates(o, in.s[s].n, d, keep);
				if (row >= nrows)
					fail_msg("%s: more sets than expected table rows", what);
				assert_int_equal(rows[row].set, s + 1);
				assert_int_equal(rows[row].size, in.s[s].n);
				if (rows[row].nondom != nk || rows[row].dom != in.s[s].n - nk)
					fail_msg("%s command %zu set %zu: %zu non-dominated, expected %zu",
						 what, i + 1, s + 1, nk, rows[row].nondom);
				free(keep);
				free(o);
			}
		}
		psets_free(&in);
	}
	if (cmds[0].verbose && !cmds[0].filter && row != nrows)
		fail_msg("%s: %zu table rows expected, %zu computed", what, nrows, row);
	(*ncases)++;
}

/* Splits one CSV line into fields (double quotes allowed). */
static size_t csv_fields(char *line, char **f, size_t cap)
{
	size_t n = 0;
	char *r = line, *w;

	while (n < cap) {
		f[n++] = w = r;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '\0')
					break;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
		}
		while (*r != ',' && *r != '\0' && *r != '\n' && *r != '\r')
			*w++ = *r++;
		if (*r != ',') {
			*w = '\0';
			break;
		}
		r++;
		*w = '\0';
	}
	return n;
}

static void test_moocore_suite(void **state)
{
	char path[4400], *line = NULL, *fld[8];
	size_t lcap = 0, ncases = 0, nrows = 0;
	FILE *m;
	int xz;

	(void)state;
	if (!find_data_dir()) {
		print_message("moocore_testsuite not found at %s: it comes from the "
			      "multi-objective/testsuite repository (set BUDGETOPT_DATA)\n",
			      data_dir);
		skip();
	}
	xz = have_xz();
	snprintf(path, sizeof path, "%s/manifest.csv", data_dir);
	m = fopen(path, "r");
	assert_non_null(m);
	while (getline(&line, &lcap, m) >= 0) {
		size_t nf = csv_fields(line, fld, 8);
		if (nf < 5 || (strcmp(fld[0], "nondominated") != 0 && strcmp(fld[0], "ndsort") != 0))
			continue;
		nrows++;
		run_case(fld[0], fld[1], fld[3], fld[4], xz, &ncases);
	}
	free(line);
	fclose(m);
	print_message("moocore: %zu of %zu nondominated/ndsort cases checked\n", ncases, nrows);
	assert_int_equal(nrows, 34);
	if (xz)
		assert_int_equal(ncases, nrows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_vs_brute),
		cmocka_unit_test(test_front_shaped_vs_brute),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_moocore_suite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
