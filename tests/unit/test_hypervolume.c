/*
 * tests/unit/test_hypervolume.c - bo_hypervolume and bo_hv_contributions
 * against moocore's regression suite, a grid brute force, invariants, bad
 * input and allocation failures.
 *
 * The moocore cases come from the multi-objective/testsuite repository
 * (see $BUDGETOPT_DATA/moocore_testsuite/SOURCE.md); without that folder
 * those tests are skipped, saying so. Must never write outside a scratch
 * folder (it writes nothing) nor compare against values it could compute.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "budgetopt/analysis.h"
#include "core/alloc.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char suite_dir[PATH_MAX]; /* .../moocore_testsuite */

static void find_suite(void)
{
	const char *env = getenv("BUDGETOPT_DATA");
	if (env && *env) {
		snprintf(suite_dir, sizeof suite_dir, "%s/moocore_testsuite", env);
	} else {
		/* __FILE__ is <root>/tests/unit/test_hypervolume.c; the data
		 * lives in <root>/../shared/data */
		char root[PATH_MAX - 64];
		int up;
		snprintf(root, sizeof root, "%s", __FILE__);
		for (up = 0; up < 3; up++) {
			char *slash = strrchr(root, '/');
			if (slash)
				*slash = '\0';
			else
				snprintf(root, sizeof root, ".");
		}
		snprintf(suite_dir, sizeof suite_dir, "%s/../shared/data/moocore_testsuite", root);
	}
}

static int have_suite(void)
{
	char p[PATH_MAX + 1024];
	snprintf(p, sizeof p, "%s/hv_cases.csv", suite_dir);
	return access(p, R_OK) == 0;
}

#define SKIP_NO_SUITE()                                                                      \
	do {                                                                                 \
		if (!have_suite()) {                                                         \
			print_message("skipped: %s missing; the moocore cases come from the " \
				      "multi-objective/testsuite repository\n",               \
				      suite_dir);                                            \
			skip();                                                              \
		}                                                                            \
	} while (0)

/* ---- a deterministic generator (splitmix64) ----------------------------- */

static uint64_t rng_state = 0x2385;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t k)
{
	return (size_t)(rnd() % k);
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ---- comparisons --------------------------------------------------------- */

static int close_enough(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

#define ASSERT_CLOSE(got, want, tol, ...)                                                    \
	do {                                                                                 \
		double g_ = (got), w_ = (want), t_ = (tol);                                  \
		if (!close_enough(g_, w_, t_)) {                                             \
			print_error(__VA_ARGS__);                                            \
			print_error(": got %.17g, want %.17g (tol %.3g)\n", g_, w_, t_);     \
			fail();                                                              \
		}                                                                            \
	} while (0)

/* ---- brute force: the grid of all coordinate values ---------------------
 * Every cell between consecutive distinct coordinate values (below ref) is
 * either dominated by a point (p <= its lower corner) or not. The HV is the
 * sum of dominated cells; HV(all) - HV(all but i) is the sum of the cells
 * that i alone dominates (a cell two copies dominate stays when one goes). */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double brute(const double *P, size_t n, size_t d, const double *ref, double *excl)
{
	double *vals = malloc((n + 1) * d * sizeof *vals);
	size_t *nv = calloc(d, sizeof *nv), *at = calloc(d, sizeof *at), i, j;
	double total = 0;
	assert_non_null(vals);
	assert_non_null(nv);
	assert_non_null(at);
	if (excl)
		for (i = 0; i < n; i++)
			excl[i] = 0;
	for (j = 0; j < d; j++) {
		double *v = vals + j * (n + 1);
		size_t k = 0, u = 0;
		for (i = 0; i < n; i++)
			if (P[i * d + j] < ref[j])
				v[k++] = P[i * d + j];
		qsort(v, k, sizeof *v, cmp_double);
		for (i = 0; i < k; i++)
			if (u == 0 || v[i] != v[u - 1])
				v[u++] = v[i];
		v[u] = ref[j];
		nv[j] = u; /* cells along j: u */
		if (u == 0)
			goto done;
	}
	for (;;) {
		double vol = 1;
		size_t who = SIZE_MAX, count = 0;
		for (j = 0; j < d; j++)
			vol *= vals[j * (n + 1) + at[j] + 1] - vals[j * (n + 1) + at[j]];
		for (i = 0; i < n && count < 2; i++) {
			for (j = 0; j < d; j++)
				if (P[i * d + j] > vals[j * (n + 1) + at[j]])
					break;
			if (j == d) {
				count++;
				who = i;
			}
		}
		if (count > 0)
			total += vol;
		if (count == 1 && excl)
			excl[who] += vol;
		for (j = 0; j < d; j++) {
			if (++at[j] < nv[j])
				break;
			at[j] = 0;
		}
		if (j == d)
			break;
	}
done:
	free(vals);
	free(nv);
	free(at);
	return total;
}

/* ---- reading moocore's point files -------------------------------------- */

typedef struct psets {
	double *v;      /* rows */
	size_t n, d;    /* rows and columns */
	size_t *start;  /* start[s]: first row of set s; start[nsets] = n */
	size_t nsets;
} psets;

static void psets_free(psets *s)
{
	free(s->v);
	free(s->start);
	memset(s, 0, sizeof *s);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

static int have_xz(void)
{
	static int known = -1;
	if (known < 0)
		known = system("command -v xz >/dev/null 2>&1") == 0;
	return known;
}

/* Sets end at a blank line or a line starting with '#'. Returns 0, or 1
 * when the file is .xz and xz is missing. */
static int read_sets(const char *path, psets *ps)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, vcap = 0, scap = 0, in_set = 0;
	int piped = has_suffix(path, ".xz");
	memset(ps, 0, sizeof *ps);
	if (piped) {
		char cmd[PATH_MAX + 1100];
		if (!have_xz())
			return 1;
		snprintf(cmd, sizeof cmd, "xz -dc '%s'", path);
		f = popen(cmd, "r");
	} else {
		f = fopen(path, "r");
	}
	if (!f)
		fail_msg("cannot open %s", path);
	while (getline(&line, &cap, f) >= 0) {
		char *s = line, *end;
		size_t cols = 0;
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0' || *s == '#') {
			in_set = 0;
			continue;
		}
		if (!in_set) {
			if (ps->nsets + 2 > scap) {
				scap = scap ? 2 * scap : 16;
				ps->start = realloc(ps->start, scap * sizeof *ps->start);
				assert_non_null(ps->start);
			}
			ps->start[ps->nsets++] = ps->n;
			in_set = 1;
		}
		for (;;) {
			double x = strtod(s, &end);
			if (end == s)
				break;
			if (ps->n * (ps->d ? ps->d : 64) + cols + 1 > vcap) {
				vcap = vcap ? 2 * vcap : 4096;
				ps->v = realloc(ps->v, vcap * sizeof *ps->v);
				assert_non_null(ps->v);
			}
			ps->v[ps->n * (ps->d ? ps->d : cols + 1) + cols] = x;
			cols++;
			s = end;
		}
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s != '\0')
			fail_msg("%s: bad line \"%s\"", path, line);
		if (ps->d == 0)
			ps->d = cols;
		if (cols != ps->d)
			fail_msg("%s: %zu columns where %zu were expected", path, cols, ps->d);
		ps->n++;
	}
	if (!ps->start)
		ps->start = calloc(1, sizeof *ps->start);
	assert_non_null(ps->start);
	ps->start[ps->nsets] = ps->n;
	free(line);
	if (piped)
		assert_int_equal(pclose(f), 0);
	else
		fclose(f);
	return 0;
}

/* ---- CSV (RFC 4180 quotes) and the shell-like command lines -------------- */

#define MAXF 16

static size_t csv_split(char *line, char **field)
{
	size_t nf = 0;
	char *r = line, *w = line;
	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		field[nf++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else if (*r == '\0') {
					break;
				} else {
					*w++ = *r++;
				}
			}
		}
		while (*r && *r != ',')
			*w++ = *r++;
		if (*r == '\0' || nf == MAXF) {
			*w = '\0';
			break;
		}
		*w++ = '\0';
		r++;
	}
	return nf;
}

/* What a moocore `hv` command line asks for. */
typedef struct hvcmd {
	char ref[512];
	char input[256]; /* the token naming ${TESTNAME}, substituted */
	int uni;
	char obj[64];    /* per objective: '-' min, '+' max, 'i' ignore; "" = all min */
	int maximise;
} hvcmd;

static void parse_cmd(const char *cmd, const char *test, hvcmd *c)
{
	char tok[32][512];
	size_t nt = 0, i;
	const char *s = cmd;
	memset(c, 0, sizeof *c);
	while (*s && nt < 32) {
		size_t k = 0;
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		while (*s && *s != ' ') {
			if (*s == '"' || *s == '\'') {
				char q = *s++;
				while (*s && *s != q && k < 511)
					tok[nt][k++] = *s++;
				if (*s)
					s++;
			} else if (k < 511) {
				tok[nt][k++] = *s++;
			} else {
				s++;
			}
		}
		tok[nt++][k] = '\0';
	}
	for (i = 0; i < nt; i++) {
		char *t = tok[i], *at;
		if (strcmp(t, "-r") == 0 && i + 1 < nt)
			snprintf(c->ref, sizeof c->ref, "%s", tok[++i]);
		else if (strcmp(t, "-u") == 0 || strcmp(t, "--union") == 0)
			c->uni = 1;
		else if (strcmp(t, "--maximise") == 0 || strcmp(t, "--maximize") == 0)
			c->maximise = 1;
		else if ((strcmp(t, "-o") == 0 || strcmp(t, "--obj") == 0) && i + 1 < nt)
			snprintf(c->obj, sizeof c->obj, "%s", tok[++i]);
		else if (strncmp(t, "--obj=", 6) == 0)
			snprintf(c->obj, sizeof c->obj, "%s", t + 6);
		else if ((at = strstr(t, "${TESTNAME}")) != NULL)
			snprintf(c->input, sizeof c->input, "%.*s%s%s", (int)(at - t), t, test,
				 at + strlen("${TESTNAME}"));
	}
}

/* Applies --maximise / --obj to rows of d columns and the reference point
 * (negating maximised objectives, dropping ignored ones). Returns the new
 * number of objectives; out holds n rows of it. */
static size_t apply_objectives(const hvcmd *c, const double *rows, size_t n, size_t d,
			       double *ref, double *out)
{
	size_t i, j, k = 0;
	double r2[64];
	char kind[64];
	assert_true(d <= 64);
	for (j = 0; j < d; j++) {
		kind[j] = c->maximise ? '+' : '-';
		if (c->obj[0])
			kind[j] = c->obj[j] == '0' ? 'i' : c->obj[j];
	}
	for (i = 0; i < n; i++) {
		k = 0;
		for (j = 0; j < d; j++) {
			if (kind[j] == 'i')
				continue;
			out[i * d + k++] = kind[j] == '+' ? -rows[i * d + j] : rows[i * d + j];
		}
	}
	k = 0;
	for (j = 0; j < d; j++)
		if (kind[j] != 'i')
			r2[k++] = kind[j] == '+' ? -ref[j] : ref[j];
	memcpy(ref, r2, k * sizeof *ref);
	/* rows were written with stride d; compact to stride k */
	for (i = 0; i < n; i++)
		memmove(out + i * k, out + i * d, k * sizeof *out);
	return k;
}

static size_t parse_ref(const char *s, double *ref, size_t max)
{
	size_t k = 0;
	char *end;
	while (k < max) {
		double x = strtod(s, &end);
		if (end == s)
			break;
		ref[k++] = x;
		s = end;
	}
	return k;
}

/* An expected number as printed by moocore: "..." stands for any digits
 * (a truncated mantissa, maybe followed by an exponent: "1.3828...e-05");
 * then *unit is the place value of the last digit before it. Without "...",
 * the number is exact to ~15 significant digits (*unit = 0). */
static double parse_expected(const char *s, double *unit)
{
	char buf[128], *e, *dot, *dots;
	int exp10 = 0;
	size_t frac = 0;
	snprintf(buf, sizeof buf, "%s", s);
	*unit = 0;
	dots = strstr(buf, "...");
	if (!dots)
		return strtod(buf, NULL);
	e = strpbrk(dots, "eE");
	if (e)
		exp10 = atoi(e + 1);
	*dots = '\0';
	dot = strchr(buf, '.');
	if (dot)
		frac = strlen(dot + 1);
	*unit = pow(10.0, (double)exp10 - (double)frac);
	return strtod(buf, NULL) * pow(10.0, (double)exp10);
}

/* The manifest's command line for (suite_dir, test), line index. */
static int manifest_cmd(const char *suite, const char *test, const char *program, size_t index,
			char *out, size_t outsz)
{
	char path[PATH_MAX + 1024], *line = NULL, *f[MAXF];
	size_t cap = 0;
	int found = 0;
	FILE *fp;
	snprintf(path, sizeof path, "%s/manifest.csv", suite_dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (!found && getline(&line, &cap, fp) >= 0) {
		if (csv_split(line, f) < 5)
			continue;
		if (strcmp(f[0], suite) || strcmp(f[1], test) || strcmp(f[2], program))
			continue;
		{
			char *c = f[3], *sep;
			size_t i;
			for (i = 0; i < index && c; i++) {
				sep = strstr(c, " ; ");
				c = sep ? sep + 3 : NULL;
			}
			if (c) {
				sep = strstr(c, " ; ");
				snprintf(out, outsz, "%.*s", sep ? (int)(sep - c) : (int)strlen(c), c);
				found = 1;
			}
		}
	}
	free(line);
	fclose(fp);
	return found;
}

/* ---- moocore: every row of hv_cases.csv ---------------------------------- */

typedef struct group {
	char key[300];
	int warn;       /* the expected output warns about discarded points */
	size_t disc;    /* points we discarded over the group's sets */
} group;

static void group_end(const group *g)
{
	if (!g->key[0])
		return;
	if (g->warn && g->disc == 0)
		fail_msg("%s: moocore warns about discarded points, we discarded none", g->key);
	if (!g->warn && g->disc > 0)
		fail_msg("%s: we discarded %zu points, moocore discarded none", g->key, g->disc);
}

static void test_moocore_hv(void **state)
{
	char path[PATH_MAX + 1024], *line = NULL, *f[MAXF], cached[PATH_MAX + 1024] = "";
	size_t cap = 0, rows = 0, skipped_xz = 0, row = 0;
	psets ps = {0};
	group g = {0};
	double *buf = NULL;
	FILE *fp;
	(void)state;
	SKIP_NO_SUITE();
	snprintf(path, sizeof path, "%s/hv_cases.csv", suite_dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (getline(&line, &cap, fp) >= 0) {
		char cmdline[2048], key[300], where[400];
		const char *test, *input, *expected, *msgs;
		size_t nf, cmdi, nobj, lo, hi, n, dn, nd = 0;
		double ref[64], hv = -1;
		hvcmd c;
		int rc, uni, setidx;
		if (row++ == 0)
			continue; /* header */
		nf = csv_split(line, f);
		assert_int_equal(nf, 9);
		test = f[0];
		cmdi = (size_t)atol(f[1]);
		input = f[2];
		nobj = (size_t)atol(f[3]);
		uni = atoi(f[5]);
		setidx = f[6][0] ? atoi(f[6]) : -1;
		expected = f[7];
		msgs = f[8];
		snprintf(key, sizeof key, "%s command %zu", test, cmdi);
		if (strcmp(key, g.key) != 0) {
			group_end(&g);
			memset(&g, 0, sizeof g);
			snprintf(g.key, sizeof g.key, "%s", key);
		}
		g.warn = strstr(msgs, "do not strictly dominate") != NULL;
		if (!manifest_cmd("hv", test, "hv", cmdi, cmdline, sizeof cmdline))
			fail_msg("%s: not in manifest.csv", key);
		parse_cmd(cmdline, test, &c);

		snprintf(path, sizeof path, "%s/%s", suite_dir, input);
		if (strcmp(path, cached) != 0) {
			psets_free(&ps);
			cached[0] = '\0';
			if (read_sets(path, &ps)) {
				skipped_xz++;
				g.key[0] = '\0';
				continue;
			}
			snprintf(cached, sizeof cached, "%s", path);
			free(buf);
			buf = malloc((ps.n ? ps.n : 1) * (ps.d ? ps.d : 1) * sizeof *buf);
			assert_non_null(buf);
		}
		rows++;
		if (strstr(msgs, "no input data")) {
			/* moocore refuses an empty file; we take n = 0 as volume 0 */
			double r0 = 1;
			assert_int_equal(ps.n, 0);
			assert_int_equal(bo_hypervolume(NULL, 0, 1, &r0, &hv, &nd), 0);
			assert_true(hv == 0 && nd == 0);
			continue;
		}
		assert_int_equal(parse_ref(f[4], ref, 64), nobj);
		assert_int_equal(ps.d, nobj);
		if (uni || setidx < 0) {
			lo = 0;
			hi = ps.n;
		} else {
			assert_true((size_t)setidx < ps.nsets);
			lo = ps.start[setidx];
			hi = ps.start[setidx + 1];
		}
		n = hi - lo;
		dn = apply_objectives(&c, ps.v + lo * ps.d, n, ps.d, ref, buf);
		snprintf(where, sizeof where, "%s set %d (%zu points, d = %zu)", key, setidx, n, dn);
		rc = bo_hypervolume(buf, n, dn, ref, &hv, &nd);
		if (rc != 0)
			fail_msg("%s: rc %d (%s)", where, rc, bo_error_last());
		g.disc += nd;
		if (!expected[0]) {
			/* moocore: "error: none of the points strictly dominates the
			 * reference point". Ours is no error: volume 0, and every point
			 * counted as discarded. */
			if (!strstr(msgs, "none of the points strictly dominates"))
				fail_msg("%s: unexpected messages %s", where, msgs);
			assert_true(hv == 0);
			assert_int_equal(nd, n);
		} else {
			double unit, want = parse_expected(expected, &unit);
			ASSERT_CLOSE(hv, want, 1e-9 * fabs(want) + unit, "%s", where);
		}
	}
	group_end(&g);
	free(line);
	free(buf);
	psets_free(&ps);
	fclose(fp);
	print_message("moocore hv: %zu rows checked, %zu skipped (xz missing)\n", rows, skipped_xz);
	assert_true(rows > 400 || skipped_xz > 0);
}

/* ---- moocore: hv --contributions, point by point ------------------------- */

/* Blocks of numbers of an .exp file (blank lines separate them; warnings
 * skipped). vals/units get all numbers; bstart[b] the first of block b. */
static size_t read_exp_blocks(const char *path, char vals[][64], size_t maxv, size_t *bstart,
			      size_t maxb, size_t *nvals)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, nb = 0, nv = 0;
	int in = 0;
	assert_non_null(fp);
	while (getline(&line, &cap, fp) >= 0) {
		char *s = line, *end;
		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s) {
			in = 0;
			continue;
		}
		(void)strtod(s, &end);
		if (end == s || strstr(s, "warning") || strstr(s, "strictly dominate"))
			continue;
		if (!in) {
			assert_true(nb < maxb);
			bstart[nb++] = nv;
			in = 1;
		}
		assert_true(nv < maxv);
		snprintf(vals[nv++], 64, "%s", s);
	}
	free(line);
	fclose(fp);
	bstart[nb] = nv;
	*nvals = nv;
	return nb;
}

/* keep[i] = 1 when no other row dominates row i (equal rows do not
 * dominate each other); the kept rows go to sub in order. O(n^2 d). */
static size_t keep_nondominated(const double *P, size_t n, size_t d, unsigned char *keep,
				double *sub)
{
	size_t i, j, k, m = 0;
	for (i = 0; i < n; i++) {
		keep[i] = 1;
		for (j = 0; j < n && keep[i]; j++) {
			int le = 1, lt = 0;
			for (k = 0; k < d; k++) {
				le &= P[j * d + k] <= P[i * d + k];
				lt |= P[j * d + k] < P[i * d + k];
			}
			if (le && lt)
				keep[i] = 0;
		}
		if (keep[i])
			memcpy(sub + (m++) * d, P + i * d, d * sizeof *P);
	}
	return m;
}

static void test_moocore_contributions(void **state)
{
	static const char *tests[] = {"dom3d", "hvc2d-1", "ref3d", "rep3d", "test2D", "test2D-14"};
	static char vals[20000][64];
	size_t t, checked = 0;
	(void)state;
	SKIP_NO_SUITE();
	for (t = 0; t < sizeof tests / sizeof *tests; t++) {
		char cmdline[2048], path[PATH_MAX + 1024];
		size_t bstart[64], nb, nv, b, i, k, dn;
		double ref[64], *buf, *con, *sub;
		unsigned char *keep;
		psets ps;
		hvcmd c;
		if (!manifest_cmd("hv/hvc", tests[t], "hv --contributions", 0, cmdline,
				  sizeof cmdline))
			fail_msg("%s: not in manifest.csv", tests[t]);
		parse_cmd(cmdline, tests[t], &c);
		snprintf(path, sizeof path, "%s/hv/hvc/%s", suite_dir, c.input);
		if (read_sets(path, &ps)) {
			print_message("skipped %s: xz missing\n", tests[t]);
			continue;
		}
		snprintf(path, sizeof path, "%s/hv/hvc/%s.exp", suite_dir, tests[t]);
		nb = read_exp_blocks(path, vals, 20000, bstart, 63, &nv);
		assert_int_equal(nb, c.uni ? 1 : ps.nsets);
		assert_int_equal(nv, ps.n);
		buf = malloc(ps.n * ps.d * sizeof *buf);
		con = malloc(ps.n * sizeof *con);
		sub = malloc(ps.n * ps.d * sizeof *sub);
		keep = malloc(ps.n);
		assert_non_null(buf);
		assert_non_null(con);
		assert_non_null(sub);
		assert_non_null(keep);
		for (b = 0; b < nb; b++) {
			size_t lo = c.uni ? 0 : ps.start[b], hi = c.uni ? ps.n : ps.start[b + 1];
			double hv;
			assert_int_equal(parse_ref(c.ref, ref, 64), ps.d);
			size_t nnd;
			dn = apply_objectives(&c, ps.v + lo * ps.d, hi - lo, ps.d, ref, buf);
			/* moocore's `hv --contributions` ignores dominated points: they
			 * get 0 and do not bound the others (dom3d: point 3 gets 32,
			 * where HV(all) - HV(all but it) is 8 because the points it
			 * dominates reappear). Our contributions follow analysis.h,
			 * HV(all) - HV(all but i), so compare on the non-dominated
			 * points, duplicates kept, and expect 0 for the rest. */
			nnd = keep_nondominated(buf, hi - lo, dn, keep, sub);
			assert_int_equal(bo_hv_contributions(sub, nnd, dn, ref, con), 0);
			assert_int_equal(bo_hypervolume(buf, hi - lo, dn, ref, &hv, NULL), 0);
			for (i = lo, k = 0; i < hi; i++) {
				double unit, want = parse_expected(vals[bstart[b] + i - lo], &unit);
				double got = keep[i - lo] ? con[k++] : 0;
				ASSERT_CLOSE(got, want, 1e-9 * fabs(want) + 1e-12 * hv + unit,
					     "%s set %zu point %zu", tests[t], b, i - lo);
				checked++;
			}
		}
		free(buf);
		free(con);
		free(sub);
		free(keep);
		psets_free(&ps);
	}
	print_message("moocore contributions: %zu points checked\n", checked);
	assert_true(checked > 0);
}

/* ---- brute force on small random sets ------------------------------------ */

/* Fills n rows of d: kind 0 integers 0..4, kind 1 awkward doubles on a
 * lattice (2.385 + 0.7 k), kind 2 uniform doubles. ref is set to match,
 * sometimes cutting through the points so some are discarded. */
static void random_set(double *P, size_t n, size_t d, int kind, double *ref)
{
	size_t i, j;
	for (i = 0; i < n * d; i++) {
		if (kind == 0)
			P[i] = (double)rnd_below(5);
		else if (kind == 1)
			P[i] = 2.385 + 0.7 * (double)rnd_below(5);
		else
			P[i] = 2.385 * rnd_unit();
	}
	/* a duplicate now and then */
	if (n >= 2 && rnd_below(3) == 0)
		memcpy(P + (n - 1) * d, P + rnd_below(n - 1) * d, d * sizeof *P);
	for (j = 0; j < d; j++) {
		double top = kind == 0 ? 4 : kind == 1 ? 2.385 + 2.8 : 2.385;
		ref[j] = rnd_below(4) == 0 ? top : top + 0.5 + rnd_unit();
	}
}

static void test_brute_force(void **state)
{
	size_t d, rep, i;
	(void)state;
	for (d = 1; d <= 6; d++) {
		size_t reps = d <= 4 ? 300 : 80, maxn = d <= 3 ? 14 : d == 4 ? 10 : 7;
		for (rep = 0; rep < reps; rep++) {
			size_t n = 1 + rnd_below(maxn), nd, ndisc = 0;
			double P[14 * 6], ref[6], excl[14], con[14], hv, want;
			int kind = (int)(rep % 3);
			random_set(P, n, d, kind, ref);
			for (i = 0; i < n; i++) {
				size_t j;
				for (j = 0; j < d; j++)
					if (!(P[i * d + j] < ref[j]))
						break;
				ndisc += j < d;
			}
			want = brute(P, n, d, ref, excl);
			assert_int_equal(bo_hypervolume(P, n, d, ref, &hv, &nd), 0);
			ASSERT_CLOSE(hv, want, 1e-9 * want, "d %zu rep %zu n %zu", d, rep, n);
			assert_int_equal(nd, ndisc);
			assert_int_equal(bo_hv_contributions(P, n, d, ref, con), 0);
			for (i = 0; i < n; i++) {
				double ex = excl[i];
				if (d <= 3 && n > 1) {
					/* literally HV(all) - HV(all but i) where that is cheap;
					 * above, the cells i alone dominates (the same) */
					double Q[14 * 6];
					memcpy(Q, P, i * d * sizeof *P);
					memcpy(Q + i * d, P + (i + 1) * d, (n - i - 1) * d * sizeof *P);
					ex = want - brute(Q, n - 1, d, ref, NULL);
				}
				ASSERT_CLOSE(con[i], ex, 1e-9 * want, "contribution d %zu rep %zu point %zu",
					     d, rep, i);
				if (excl[i] == 0 && kind == 0)
					assert_true(con[i] == 0); /* dominated, twin or discarded */
			}
		}
	}
}

/* ---- invariants on larger sets ------------------------------------------- */

static void test_invariants(void **state)
{
	size_t d, rep, i, j;
	(void)state;
	for (d = 1; d <= 6; d++) {
		for (rep = 0; rep < 6; rep++) {
			size_t n = d <= 3 ? 400 : d == 4 ? 120 : 50, nd, nd2;
			double *P = malloc((n + 1) * (d + 1) * sizeof *P), *Q = malloc((n + 1) * (d + 1) * sizeof *Q);
			double ref[7], ref2[7], hv, hv2, s = 2.385;
			assert_non_null(P);
			assert_non_null(Q);
			for (i = 0; i < n * d; i++)
				P[i] = rep % 2 ? (double)rnd_below(20) : rnd_unit();
			if (rep >= 4) /* points near a simplex: large fronts */
				for (i = 0; i < n; i++) {
					double sum = 0;
					for (j = 0; j < d; j++)
						sum += P[i * d + j];
					for (j = 0; j < d; j++)
						P[i * d + j] /= sum > 0 ? sum : 1;
				}
			for (j = 0; j < d; j++)
				ref[j] = rep % 2 ? 18.5 : 1.1;
			assert_int_equal(bo_hypervolume(P, n, d, ref, &hv, &nd), 0);
			assert_true(hv > 0);

			/* any order of the points */
			memcpy(Q, P, n * d * sizeof *P);
			for (i = n - 1; i > 0; i--) {
				size_t k = rnd_below(i + 1);
				for (j = 0; j < d; j++) {
					double t = Q[i * d + j];
					Q[i * d + j] = Q[k * d + j];
					Q[k * d + j] = t;
				}
			}
			assert_int_equal(bo_hypervolume(Q, n, d, ref, &hv2, &nd2), 0);
			ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "permuted d %zu rep %zu", d, rep);
			assert_int_equal(nd2, nd);

			/* a dominated point changes nothing */
			for (j = 0; j < d; j++)
				Q[n * d + j] = P[(rep % n) * d + j] + (j == 0 ? 0 : 0.25);
			if (d == 1)
				Q[n] += 0.25;
			assert_int_equal(bo_hypervolume(Q, n + 1, d, ref, &hv2, NULL), 0);
			ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "dominated added d %zu rep %zu", d, rep);

			/* scaling one objective (and the reference) scales the volume */
			memcpy(Q, P, n * d * sizeof *P);
			memcpy(ref2, ref, d * sizeof *ref);
			for (i = 0; i < n; i++)
				Q[i * d + (rep % d)] *= s;
			ref2[rep % d] *= s;
			assert_int_equal(bo_hypervolume(Q, n, d, ref2, &hv2, NULL), 0);
			ASSERT_CLOSE(hv2, s * hv, 1e-10 * s * hv, "scaled d %zu rep %zu", d, rep);

			/* one more objective where every point is 0 and ref is 1: the
			 * same volume through the next algorithm up (2-D sweep vs 3-D
			 * sweep, 3-D sweep vs WFG, ...) */
			for (i = 0; i < n; i++) {
				memcpy(Q + i * (d + 1), P + i * d, d * sizeof *P);
				Q[i * (d + 1) + d] = 0;
			}
			memcpy(ref2, ref, d * sizeof *ref);
			ref2[d] = 1;
			if (d < 6) {
				assert_int_equal(bo_hypervolume(Q, n, d + 1, ref2, &hv2, NULL), 0);
				ASSERT_CLOSE(hv2, hv, 1e-10 * hv, "d %zu vs d + 1, rep %zu", d, rep);
			}
			free(P);
			free(Q);
		}
	}
}

/* Contributions = HV(all) - HV(all but i), both through bo_hypervolume. */
static void test_contributions_vs_hv(void **state)
{
	size_t d, rep, i;
	(void)state;
	for (d = 2; d <= 5; d++) {
		for (rep = 0; rep < 4; rep++) {
			size_t n = d <= 3 ? 60 : 25;
			double P[60 * 5], Q[60 * 5], ref[5], con[60], all, part;
			for (i = 0; i < n * d; i++)
				P[i] = rep % 2 ? (double)rnd_below(6) : rnd_unit() * 2.385;
			for (i = 0; i < d; i++)
				ref[i] = rep % 2 ? 5.5 : 2.4;
			assert_int_equal(bo_hypervolume(P, n, d, ref, &all, NULL), 0);
			assert_int_equal(bo_hv_contributions(P, n, d, ref, con), 0);
			for (i = 0; i < n; i++) {
				memcpy(Q, P, i * d * sizeof *P);
				memcpy(Q + i * d, P + (i + 1) * d, (n - i - 1) * d * sizeof *P);
				assert_int_equal(bo_hypervolume(Q, n - 1, d, ref, &part, NULL), 0);
				ASSERT_CLOSE(con[i], all - part, 1e-9 * all, "d %zu rep %zu point %zu", d,
					     rep, i);
				assert_true(con[i] >= 0);
			}
		}
	}
}

/* ---- edge cases and bad input --------------------------------------------- */

static void test_edges(void **state)
{
	double P[] = {1, 2, 3, 2.385, 1, 2, 0.5, 0.5, 0.5}, ref[] = {4, 4, 4}, hv = -1, con[3];
	size_t nd = 99;
	(void)state;
	/* n = 0 */
	assert_int_equal(bo_hypervolume(NULL, 0, 3, ref, &hv, &nd), 0);
	assert_true(hv == 0 && nd == 0);
	assert_int_equal(bo_hv_contributions(NULL, 0, 3, ref, NULL), 0);
	/* one point: its box */
	assert_int_equal(bo_hypervolume(P, 1, 3, ref, &hv, &nd), 0);
	assert_true(hv == 3.0 * 2.0 * 1.0 && nd == 0);
	assert_int_equal(bo_hv_contributions(P, 1, 3, ref, con), 0);
	assert_true(con[0] == 6.0);
	/* d = 1: the best value */
	assert_int_equal(bo_hypervolume(P, 9, 1, ref, &hv, &nd), 0);
	assert_true(hv == 4 - 0.5 && nd == 0);
	/* every point discarded: ref on the boundary of each */
	{
		double r2[] = {1, 2, 0.5};
		assert_int_equal(bo_hypervolume(P, 3, 3, r2, &hv, &nd), 0);
		assert_true(hv == 0 && nd == 3);
		assert_int_equal(bo_hv_contributions(P, 3, 3, r2, con), 0);
		assert_true(con[0] == 0 && con[1] == 0 && con[2] == 0);
	}
	/* d = 0, NULL */
	assert_int_equal(bo_hypervolume(P, 3, 0, ref, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hypervolume(NULL, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hypervolume(P, 3, 3, NULL, &hv, &nd), BO_EINVAL);
	assert_int_equal(bo_hv_contributions(P, 3, 0, ref, con), BO_EINVAL);
	/* NaN: the message names point and objective */
	P[2 * 3 + 1] = NAN;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 2 objective 1"));
	assert_int_equal(bo_hv_contributions(P, 3, 3, ref, con), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "point 2 objective 1"));
	P[2 * 3 + 1] = 0.5;
	ref[2] = NAN;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), BO_EINVAL);
	assert_non_null(strstr(bo_error_last(), "reference point objective 2"));
	ref[2] = 4;
	/* infinities are ordinary values */
	P[0] = -INFINITY;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), 0);
	assert_true(isinf(hv) && hv > 0);
	P[0] = INFINITY;
	assert_int_equal(bo_hypervolume(P, 3, 3, ref, &hv, &nd), 0);
	assert_true(isfinite(hv) && nd == 1);
}

/* ---- allocation failures ---------------------------------------------------- */

static void torture(size_t n, size_t d, int contributions)
{
	double *P = malloc(n * d * sizeof *P), *con = malloc(n * sizeof *con), ref[8], want,
	       *wantc = malloc(n * sizeof *wantc), hv;
	size_t i, k, failures = 0;
	assert_non_null(P);
	assert_non_null(con);
	assert_non_null(wantc);
	for (i = 0; i < n * d; i++)
		P[i] = rnd_unit();
	for (i = 0; i < d; i++)
		ref[i] = 1.2;
	assert_int_equal(bo_hypervolume(P, n, d, ref, &want, NULL), 0);
	assert_int_equal(bo_hv_contributions(P, n, d, ref, wantc), 0);
	for (k = 1;; k++) {
		int rc;
		bo__alloc_fail_at(k);
		rc = contributions ? bo_hv_contributions(P, n, d, ref, con)
				   : bo_hypervolume(P, n, d, ref, &hv, NULL);
		bo__alloc_fail_at(0);
		if (rc == BO_ENOMEM) {
			failures++;
			assert_non_null(strstr(bo_error_last(), "out of memory"));
			continue;
		}
		assert_int_equal(rc, 0);
		if (contributions)
			for (i = 0; i < n; i++)
				assert_true(con[i] == wantc[i]);
		else
			assert_true(hv == want);
		break;
	}
	assert_true(failures > 0);
	free(P);
	free(con);
	free(wantc);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	torture(40, 4, 0);
	torture(40, 4, 1);
	torture(40, 3, 0);
	torture(40, 2, 1);
	torture(30, 5, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_contributions_vs_hv),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_moocore_hv),
		cmocka_unit_test(test_moocore_contributions),
	};
	find_suite();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
