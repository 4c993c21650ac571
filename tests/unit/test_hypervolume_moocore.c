/*
 * tests/unit/test_hypervolume_moocore.c - bo_hypervolume and
 * bo_hv_contributions against moocore's regression suite: every row of
 * hv_cases.csv, and hv --contributions point by point. Split from
 * test_hypervolume.c.
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

#include "hv_close.h"

static char suite_dir[PATH_MAX]; /* .../moocore_testsuite */

static void find_suite(void)
{
	const char *env = getenv("BUDGETOPT_DATA");
	if (env && *env) {
		snprintf(suite_dir, sizeof suite_dir, "%s/moocore_testsuite", env);
	} else {
		/* __FILE__ is <root>/tests/unit/test_hypervolume_moocore.c; the data
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moocore_hv),
		cmocka_unit_test(test_moocore_contributions),
	};
	find_suite();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
