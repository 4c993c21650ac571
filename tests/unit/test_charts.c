/*
 * tests/unit/test_charts.c - the SVG charts (report/charts.c and
 * report/charts_curves.c), their helpers (report/svg.c, report/chartkit.c)
 * and parameter importance (report/importance.c).
 *
 * Charts are checked with a small XML well-formedness checker written
 * here (balanced tags, quoted attributes, valid entities, one root), and
 * the DOM contract of charts.h (one .pt per finished configuration).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budgetopt/study.h"
#include "core/alloc.h"
#include "core/model.h"
#include "report/charts.h"
#include "report/svg.h"

/* ---- a minimal XML well-formedness check ---------------------------------- */

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == ':' || c == '.';
}

/* Checks an entity at p ("&amp;" ...); returns its length or 0. */
static size_t entity(const char *p)
{
	static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
	size_t i;
	for (i = 0; i < 5; i++)
		if (!strncmp(p, named[i], strlen(named[i])))
			return strlen(named[i]);
	if (p[1] == '#') {
		size_t k = 2;
		while (p[k] >= '0' && p[k] <= '9')
			k++;
		if (k > 2 && p[k] == ';')
			return k + 1;
	}
	return 0;
}

/* Returns NULL when doc is well-formed, or what is wrong. *root gets the
 * root element's name. */
static const char *xml_check(const char *doc, char *root, size_t rootsize)
{
	static char msg[200];
	char stack[64][64];
	size_t depth = 0, roots = 0;
	const char *p = doc;
	while (*p) {
		if (*p == '<') {
			if (!strncmp(p, "<!--", 4)) {
				const char *e = strstr(p, "-->");
				if (!e)
					return "unterminated comment";
				p = e + 3;
				continue;
			}
			if (!strncmp(p, "<?", 2)) {
				const char *e = strstr(p, "?>");
				if (!e)
					return "unterminated declaration";
				p = e + 2;
				continue;
			}
			if (p[1] == '/') {
				size_t n = 0;
				p += 2;
				while (name_char(p[n]))
					n++;
				if (depth == 0 || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], p, n)) {
					snprintf(msg, sizeof msg, "unexpected </%.*s>", (int)n, p);
					return msg;
				}
				depth--;
				p += n;
				while (*p == ' ')
					p++;
				if (*p != '>')
					return "bad end tag";
				p++;
				continue;
			}
			{
				size_t n = 0;
				char attrs[64][64];
				size_t na = 0, a;
				p++;
				while (name_char(p[n]))
					n++;
				if (n == 0 || n >= 64)
					return "bad element name";
				if (depth == 0) {
					roots++;
					snprintf(root, rootsize, "%.*s", (int)n, p);
				}
				if (depth == 64)
					return "too deep";
				snprintf(stack[depth], sizeof stack[depth], "%.*s", (int)n, p);
				p += n;
				for (;;) {
					size_t an = 0;
					char q;
					while (*p == ' ' || *p == '\n' || *p == '\t')
						p++;
					if (*p == '>') {
						depth++;
						p++;
						break;
					}
					if (p[0] == '/' && p[1] == '>') {
						p += 2;
						break;
					}
					while (name_char(p[an]))
						an++;
					if (an == 0 || an >= 64)
						return "bad attribute name";
					for (a = 0; a < na; a++)
						if (strlen(attrs[a]) == an && !strncmp(attrs[a], p, an))
							return "duplicate attribute";
					snprintf(attrs[na++], 64, "%.*s", (int)an, p);
					p += an;
					if (*p != '=')
						return "attribute without =";
					p++;
					q = *p;
					if (q != '"' && q != '\'')
						return "unquoted attribute";
					p++;
					while (*p && *p != q) {
						if (*p == '<')
							return "< in an attribute";
						if (*p == '&') {
							size_t e = entity(p);
							if (!e)
								return "bad entity in an attribute";
							p += e;
							continue;
						}
						p++;
					}
					if (!*p)
						return "unterminated attribute";
					p++;
					if (na == 64)
						return "too many attributes";
				}
			}
			continue;
		}
		if (*p == '&') {
			size_t e = entity(p);
			if (!e)
				return "bad entity";
			p += e;
			continue;
		}
		if (depth == 0 && !(*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
			return "text outside the root";
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
			return "control character";
		p++;
	}
	if (depth)
		return "unclosed element";
	if (roots != 1)
		return "not exactly one root";
	return NULL;
}

static void assert_wellformed(const char *svg, const char *id)
{
	char root[64] = "", want[80];
	const char *why;
	assert_non_null(svg);
	why = xml_check(svg, root, sizeof root);
	if (why)
		fail_msg("chart %s is not well-formed: %s", id, why);
	assert_string_equal(root, "svg");
	snprintf(want, sizeof want, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-%s\"", id);
	assert_true(!strncmp(svg, want, strlen(want)));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "href"));
}

static void test_xml_checker_itself(void **state)
{
	char root[64];
	(void)state;
	assert_null(xml_check("<a x=\"1\"><b/>t &amp; u</a>", root, sizeof root));
	assert_non_null(xml_check("<a><b></a></b>", root, sizeof root));
	assert_non_null(xml_check("<a>x & y</a>", root, sizeof root));
	assert_non_null(xml_check("<a x=1></a>", root, sizeof root));
	assert_non_null(xml_check("<a></a><b></b>", root, sizeof root));
	assert_non_null(xml_check("<a x=\"<\"></a>", root, sizeof root));
	assert_non_null(xml_check("<a>", root, sizeof root));
}

/* ---- svg.c -------------------------------------------------------------------- */

static void test_format(void **state)
{
	char b[64];
	(void)state;
	bo__svg_fmt_money(1234.5, "USD", b, sizeof b);
	assert_string_equal(b, "USD 1,234.50");
	bo__svg_fmt_money(1234567.891, "EUR", b, sizeof b);
	assert_string_equal(b, "EUR 1,234,567.89");
	bo__svg_fmt_money(0.0123456, "USD", b, sizeof b);
	assert_string_equal(b, "USD 0.0123");
	bo__svg_fmt_money(-2.385, "USD", b, sizeof b);
	assert_string_equal(b, "USD -2.38");   /* %.2f of the double nearest -2.385 */
	bo__svg_fmt_money(0.00001234, "USD", b, sizeof b);
	assert_string_equal(b, "USD 0.0000123");
	bo__svg_fmt_money(NAN, "USD", b, sizeof b);
	assert_string_equal(b, "-");
	bo__svg_fmt_num(12345.6, b, sizeof b);
	assert_string_equal(b, "12,346");
	bo__svg_fmt_num(2.385, b, sizeof b);
	assert_string_equal(b, "2.385");
	bo__svg_fmt_num(0.5, b, sizeof b);
	assert_string_equal(b, "0.5");
	bo__svg_fmt_num(1.2e-5, b, sizeof b);
	assert_string_equal(b, "1.2e-05");
	bo__svg_fmt_num(0, b, sizeof b);
	assert_string_equal(b, "0");
	bo__svg_coord(b, sizeof b, 12.3456);
	assert_string_equal(b, "12.35");
	bo__svg_coord(b, sizeof b, -0.001);
	assert_string_equal(b, "0");
}

static void test_escape(void **state)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	(void)state;
	bo__svg_esc(&sb, "a<b & \"c\" 'd'>\x01");
	assert_string_equal(bo__sb_str(&sb), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
	bo__sb_reset(&sb);
	bo__svg_esc_trunc(&sb, "abcdefghijkl", 8);
	assert_string_equal(bo__sb_str(&sb), "abcde...");
	bo__sb_reset(&sb);
	bo__svg_esc_trunc(&sb, "short", 8);
	assert_string_equal(bo__sb_str(&sb), "short");
	bo__sb_clear(&sb);
}

/* Nice ticks over many awkward ranges: cover the range, equal steps of
 * 1, 2 or 5 times a power of ten, a readable count. */
static void test_ticks(void **state)
{
	unsigned long long seed = 2385;
	int trial;
	(void)state;
	for (trial = 0; trial < 2000; trial++) {
		double t[BO_SVG_MAX_TICKS], lo, hi, nlo, nhi, step, m, tol;
		size_t n, i;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		lo = ((double)(seed >> 11) / 9007199254740992.0 - 0.5) * pow(10, (double)(trial % 13) - 6);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		hi = lo + (double)(seed >> 11) / 9007199254740992.0 * pow(10, (double)(trial % 11) - 5);
		n = bo__svg_ticks(lo, hi, 6, t, BO_SVG_MAX_TICKS, &nlo, &nhi);
		assert_true(n >= 3 && n <= 12);
		assert_true(t[0] <= lo + 1e-12 * fabs(lo));
		assert_true(t[n - 1] >= hi - 1e-12 * fabs(hi));
		assert_true(nlo == t[0] && nhi == t[n - 1]);
		step = t[1] - t[0];
		/* the step is measured as a difference of ticks: allow their rounding */
		tol = 1e-9 + 1e-14 * fmax(fabs(t[0]), fabs(t[n - 1])) / step * 10;
		for (i = 2; i < n; i++)
			assert_true(fabs((t[i] - t[i - 1]) - step) <= tol * step);
		m = step / pow(10, floor(log10(step) + 1e-9));
		assert_true(fabs(m - 1) < tol || fabs(m - 2) < 2 * tol || fabs(m - 5) < 5 * tol || fabs(m - 10) < 10 * tol);
	}
	{
		double t[BO_SVG_MAX_TICKS], nlo, nhi;
		size_t n = bo__svg_ticks(0, 1, 6, t, BO_SVG_MAX_TICKS, &nlo, &nhi);
		assert_int_equal(n, 6);
		assert_true(fabs(t[1] - 0.2) < 1e-12 && t[0] == 0 && fabs(t[5] - 1) < 1e-12);
		/* a single value still gets a range */
		n = bo__svg_ticks(2.385, 2.385, 6, t, BO_SVG_MAX_TICKS, &nlo, &nhi);
		assert_true(n >= 3 && nlo < 2.385 && nhi > 2.385);
	}
}

static void test_log_scale(void **state)
{
	double a[] = {1, 5, 50}, b[] = {0.01, 3.2, NAN}, c[] = {0, 10, 100000}, d[] = {2.385},
	       e[] = {1e-4, 1e-2 + 1e-12}, f[] = {-1, 1000}, t[BO_SVG_MAX_TICKS], lo, hi;
	size_t n, i;
	(void)state;
	assert_int_equal(bo__svg_use_log(a, 3), 0);    /* 1.7 decades */
	assert_int_equal(bo__svg_use_log(b, 3), 1);    /* 2.5 decades, NaN skipped */
	assert_int_equal(bo__svg_use_log(c, 3), 0);    /* a zero */
	assert_int_equal(bo__svg_use_log(d, 1), 0);
	assert_int_equal(bo__svg_use_log(e, 2), 1);    /* just over two decades */
	assert_int_equal(bo__svg_use_log(f, 2), 0);
	n = bo__svg_log_ticks(0.013, 270, t, 8, &lo, &hi);
	assert_true(lo <= 0.013 && hi >= 270);
	assert_true(n >= 3 && n <= 8);
	for (i = 0; i < n; i++) {
		double e10 = log10(t[i]);
		assert_true(fabs(e10 - round(e10)) < 1e-9);
	}
	/* twenty decades: thinned to at most 8 */
	n = bo__svg_log_ticks(1e-10, 1e10, t, 8, &lo, &hi);
	assert_true(n <= 8 && n >= 3 && lo <= 1e-10 && hi >= 1e10);
	assert_true(t[n - 1] >= 1e10 * (1 - 1e-9));
}

static void test_thin(void **state)
{
	double pos[10], wid[10];
	int keep[10];
	size_t i, kept, last = 0;
	int first = 1;
	(void)state;
	for (i = 0; i < 10; i++) {
		pos[i] = 100 + 30.0 * (double)i;
		wid[i] = 70;   /* wider than the spacing */
	}
	kept = bo__svg_thin(pos, wid, 10, 8, keep);
	assert_true(kept >= 2 && kept < 10);
	assert_int_equal(keep[0], 1);
	for (i = 0; i < 10; i++) {
		if (!keep[i])
			continue;
		if (!first)
			assert_true(pos[i] - pos[last] - 70 >= 8);
		first = 0;
		last = i;
	}
	for (i = 0; i < 10; i++)
		wid[i] = 10;
	assert_int_equal(bo__svg_thin(pos, wid, 10, 8, keep), 10);
}

/* ---- charts over a small study ---------------------------------------------------- */

static const char STUDY[] =
	"name: charts-test\n"
	"seed: 3\n"
	"space:\n"
	"  x1: {float: [0, 1]}\n"
	"  x2: {float: [0, 1]}\n"
	"  fam: {choice: [lin, tree]}\n"
	"  depth: {int: [1, 8], when: {fam: tree}}\n"
	"prices:\n"
	"  currency: USD\n"
	"  cpu_hours: 2.5\n"
	"metrics:\n"
	"  acc: {maximize: true}\n"
	"  lat: {}\n"
	"derived:\n"
	"  serve_cost: \"lat * price.cpu_hours\"\n"
	"objectives: [acc, serve_cost]\n"
	"guardrails:\n"
	"  - \"lat <= 8\"\n"
	"score: \"acc / serve_cost\"\n"
	"budget:\n"
	"  money: 40\n"
	"evaluator:\n"
	"  command: [\"true\"]\n"
	"sampler: random\n";

typedef struct fixture {
	bo_study *s;
	bo_trial_rec *t;
	size_t n;
	bo_configs c;
	bo_frontier fr;
} fixture;

static double urand(unsigned long long *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*seed >> 11) / 9007199254740992.0;
}

static void add_kv(bo_kv **kv, size_t *n, const char *name, double v)
{
	size_t cap = *n;
	assert_int_equal(bo__kv_push(kv, n, &cap, name, v), 0);
}

/* n trials: every 7th failed, every 11th pruned, the last one running;
 * acc = f(x1), lat = g(x2), some over the guardrail. */
static void fixture_make(fixture *f, size_t n, int planted)
{
	unsigned long long seed = 17;
	size_t i;
	memset(f, 0, sizeof *f);
	assert_int_equal(bo_study_parse(&f->s, STUDY, strlen(STUDY), "study.yaml", NULL, NULL), 0);
	f->t = calloc(n, sizeof *f->t);
	assert_non_null(f->t);
	f->n = n;
	for (i = 0; i < n; i++) {
		bo_trial_rec *t = &f->t[i];
		double x1 = urand(&seed), x2 = urand(&seed), fam = urand(&seed) < 0.5 ? 0 : 1;
		t->id = (int64_t)i + 1;
		t->state = planted ? BO_TRIAL_COMPLETE
			   : i + 1 == n ? BO_TRIAL_RUNNING
			   : i % 7 == 3 ? BO_TRIAL_FAILED
			   : i % 11 == 5 ? BO_TRIAL_PRUNED : BO_TRIAL_COMPLETE;
		add_kv(&t->params, &t->nparams, "x1", x1);
		add_kv(&t->params, &t->nparams, "x2", x2);
		add_kv(&t->params, &t->nparams, "fam", fam);
		if (fam == 1)
			add_kv(&t->params, &t->nparams, "depth", 1 + floor(urand(&seed) * 8));
		if (t->state == BO_TRIAL_COMPLETE) {
			double acc = planted ? 5 * x1 + 1e-3 * (urand(&seed) - 0.5)
					     : 0.5 + 0.4 * x1 * x2 + 0.01 * fam;
			add_kv(&t->metrics, &t->nmetrics, "acc", acc);
			add_kv(&t->metrics, &t->nmetrics, "lat", 0.5 + 9.5 * x2 * x2);
		}
		t->cost = 0.1 + 0.5 * x1;
		t->score = NAN;
		t->created_at = 1.7e9 + 60.0 * (double)i;
		t->started_at = t->created_at + 1;
		t->ended_at = t->state == BO_TRIAL_RUNNING ? 0 : t->started_at + 30 + 20 * x1;
		t->reserved = 0.6;
	}
	assert_int_equal(bo__configs_init(&f->c, f->s, NULL, 0, NULL), 0);
	assert_int_equal(bo__configs_add_trials(&f->c, f->t, f->n), 0);
	bo__frontier_init(&f->fr);
	assert_int_equal(bo__frontier_default_axes(&f->c, &f->fr), 0);
	assert_int_equal(bo__frontier_compute(&f->c, &f->fr), 0);
}

static void fixture_free(fixture *f)
{
	bo__frontier_clear(&f->fr);
	bo__configs_clear(&f->c);
	bo__trial_rec_free_array(f->t, f->n);
	bo_study_free(f->s);
}

static bo_chart_data chart_data(const fixture *f, int64_t selected)
{
	bo_chart_data d;
	memset(&d, 0, sizeof d);
	d.c = &f->c;
	d.fr = &f->fr;
	d.selected = selected;
	d.trials = f->t;
	d.ntrials = f->n;
	d.currency = "USD";
	d.budget_money = 40;
	d.reserved = 0.6;
	d.now = f->n ? f->t[f->n - 1].started_at + 5 : 0;
	return d;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;
	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void test_frontier_chart(void **state)
{
	fixture f;
	bo_chart_data d;
	char *svg, key[64];
	size_t i, finished = 0, nfront = 0;
	(void)state;
	fixture_make(&f, 40, 0);
	d = chart_data(&f, f.fr.nfront ? f.c.v[f.fr.front[0]].id : -1);
	svg = bo__chart_frontier(&d);
	assert_wellformed(svg, "frontier");
	for (i = 0; i < f.n; i++)
		finished += f.t[i].state != BO_TRIAL_RUNNING;
	/* one .pt per finished trial, each with its id once and a tooltip */
	assert_int_equal(count(svg, "class=\"pt "), finished);
	assert_int_equal(count(svg, "<title>#"), finished);
	for (i = 0; i < f.n; i++) {
		snprintf(key, sizeof key, "data-id=\"%lld\"", (long long)f.t[i].id);
		assert_int_equal(count(svg, key), f.t[i].state == BO_TRIAL_RUNNING ? 0 : 1);
	}
	for (i = 0; i < f.c.n; i++)
		nfront += bo__frontier_on(&f.fr, i);
	assert_true(nfront >= 1);
	assert_int_equal(count(svg, "class=\"pt frontier"), nfront);
	assert_int_equal(count(svg, "class=\"pt pruned"), 3);       /* i = 5, 16, 27 (38 is failed? no: 38 % 7 == 3) */
	assert_int_equal(count(svg, " selected\""), 1);
	if (f.fr.knee >= 0)
		assert_int_equal(count(svg, " knee\"") + count(svg, " knee selected\""), 1);
	assert_non_null(strstr(svg, "class=\"frontier-line\""));
	assert_non_null(strstr(svg, "USD"));    /* the derived cost reads a price: money */
	bo__free(svg);

	/* the other charts */
	{
		double imp[4];
		bo_axis target;
		bo__chart_importance_target(&d, &target);
		assert_int_equal(target.kind, BO_AXIS_SCORE);
		assert_int_equal(bo__importance(&f.c, &target, imp), 0);
		svg = bo__chart_importance(&d, imp);
		assert_wellformed(svg, "importance");
		assert_int_equal(count(svg, "class=\"bar\""), 4);    /* depth is active for "tree" */
		bo__free(svg);
	}
	svg = bo__chart_burndown(&d);
	assert_wellformed(svg, "burndown");
	assert_non_null(strstr(svg, "class=\"budget\""));
	assert_non_null(strstr(svg, "class=\"reserved\""));
	assert_non_null(strstr(svg, "class=\"projection\""));
	bo__free(svg);
	svg = bo__chart_best(&d);
	assert_wellformed(svg, "best");
	assert_non_null(strstr(svg, "class=\"improvement\""));
	bo__free(svg);
	svg = bo__chart_marginal(&d);
	assert_wellformed(svg, "marginal");
	{
		size_t m = 0;
		for (i = 0; i < f.fr.nfront; i++)
			m += isfinite(f.fr.marginal[f.fr.front[i]]);
		assert_int_equal(count(svg, "class=\"step\""), m);
	}
	bo__free(svg);
	fixture_free(&f);
}

/* The burn-down's spend line ends at the total of the finished trials'
 * costs: its last vertical step is the y of that total. Checked through
 * the subtitle, which states it in money. */
static void test_burndown_total(void **state)
{
	fixture f;
	bo_chart_data d;
	char *svg, want[128], money[48];
	double total = 0;
	size_t i;
	(void)state;
	fixture_make(&f, 25, 0);
	d = chart_data(&f, -1);
	for (i = 0; i < f.n; i++)
		if (f.t[i].state != BO_TRIAL_RUNNING)
			total += f.t[i].cost;
	bo__svg_fmt_money(total, "USD", money, sizeof money);
	snprintf(want, sizeof want, "%s spent of USD 40.00", money);
	svg = bo__chart_burndown(&d);
	assert_wellformed(svg, "burndown");
	assert_non_null(strstr(svg, want));
	bo__free(svg);
	/* no budget: no budget line, no projection */
	d.budget_money = NAN;
	svg = bo__chart_burndown(&d);
	assert_wellformed(svg, "burndown");
	assert_null(strstr(svg, "class=\"budget\""));
	assert_null(strstr(svg, "class=\"projection\""));
	bo__free(svg);
	fixture_free(&f);
}

/* Nothing to show still gives valid documents; a catalog has no burn-down. */
static void test_empty(void **state)
{
	fixture f;
	bo_chart_data d;
	char *svg;
	double imp[4];
	bo_axis target;
	(void)state;
	fixture_make(&f, 0, 0);
	d = chart_data(&f, -1);
	d.now = 0;
	svg = bo__chart_frontier(&d);
	assert_wellformed(svg, "frontier");
	assert_int_equal(count(svg, "class=\"pt "), 0);
	bo__free(svg);
	svg = bo__chart_burndown(&d);
	assert_wellformed(svg, "burndown");
	bo__free(svg);
	svg = bo__chart_best(&d);
	assert_wellformed(svg, "best");
	bo__free(svg);
	svg = bo__chart_marginal(&d);
	assert_wellformed(svg, "marginal");
	bo__free(svg);
	bo__chart_importance_target(&d, &target);
	assert_int_equal(bo__importance(&f.c, &target, imp), 0);
	assert_true(isnan(imp[0]) && isnan(imp[3]));
	svg = bo__chart_importance(&d, imp);
	assert_wellformed(svg, "importance");
	bo__free(svg);
	d.trials = NULL;   /* a catalog */
	svg = bo__chart_burndown(&d);
	assert_wellformed(svg, "burndown");
	assert_non_null(strstr(svg, "catalog"));
	bo__free(svg);
	fixture_free(&f);
}

/* importance recovers a planted effect: acc = 5 x1 + tiny noise. */
static void test_importance_planted(void **state)
{
	fixture f;
	bo_axis acc;
	double imp[4];
	(void)state;
	fixture_make(&f, 400, 1);
	assert_int_equal(bo__axis_parse(&f.c, "acc", &acc), 0);
	assert_int_equal(bo__importance(&f.c, &acc, imp), 0);
	assert_true(imp[0] > 0.9);        /* x1 */
	assert_true(imp[1] < 0.05);       /* x2 */
	assert_true(imp[2] < 0.05);       /* fam */
	assert_true(imp[3] < 0.05);       /* depth (and being inactive) */
	assert_true(imp[0] + imp[1] + imp[2] + imp[3] <= 1 + 1e-12);
	fixture_free(&f);
}

/* importance of a choice: the variance share computed by hand. */
static void test_importance_by_hand(void **state)
{
	fixture f;
	bo_axis lat;
	double imp[4], mean = 0, sst = 0, ssb = 0, ssw, m[2] = {0, 0}, n[2] = {0, 0}, want;
	size_t i, N = 0;
	(void)state;
	fixture_make(&f, 60, 1);
	/* lat depends on x2 only; fam's share is the adjusted ratio of its two groups */
	assert_int_equal(bo__axis_parse(&f.c, "lat", &lat), 0);
	assert_int_equal(bo__importance(&f.c, &lat, imp), 0);
	for (i = 0; i < f.c.n; i++) {
		double y = f.c.v[i].m[1];
		int g = (int)f.c.v[i].x[2];
		mean += y;
		m[g] += y;
		n[g] += 1;
		N++;
	}
	mean /= (double)N;
	for (i = 0; i < f.c.n; i++)
		sst += (f.c.v[i].m[1] - mean) * (f.c.v[i].m[1] - mean);
	for (i = 0; i < 2; i++)
		ssb += n[i] * (m[i] / n[i] - mean) * (m[i] / n[i] - mean);
	ssw = sst - ssb;
	want = (ssb - ssw / (double)(N - 2)) / sst;
	if (want < 0)
		want = 0;
	assert_true(fabs(imp[2] - want) <= 1e-9);
	assert_true(imp[1] > 0.8);
	fixture_free(&f);
}

/* The learning curves (report/charts_curves.c): one path per trial with a
 * report of the metric, one prune mark per pruned trial, reports of other
 * metrics and values it cannot place left out, a log step axis over three
 * decades, well-formed whatever the text in a reason. */
static void test_curves(void **state)
{
	bo_trial_rec t[4];
	bo_step_row rows[16];
	bo_curves_data d;
	size_t n = 0;
	char *svg;
	int64_t k;
	(void)state;
	memset(t, 0, sizeof t);
	t[0].id = 1;
	t[0].state = BO_TRIAL_COMPLETE;
	t[1].id = 2;
	t[1].state = BO_TRIAL_PRUNED;
	t[1].reason = (char *)"pruned at step 10 by the median rule: 0.1 < 0.4 & \"odd\" <text>";
	t[2].id = 3;
	t[2].state = BO_TRIAL_FAILED;
	t[3].id = 4;
	t[3].state = BO_TRIAL_PRUNED;
	t[3].reason = (char *)"pruned in Optuna";
	for (k = 1; k <= 1000; k *= 10) {   /* trial 1: steps 1 .. 1000 */
		rows[n].trial_id = 1;
		rows[n].step = k;
		rows[n].name = (char *)"acc";
		rows[n++].value = 0.2385 * (double)(k > 1 ? 3 : 1);
	}
	rows[n].trial_id = 2, rows[n].step = 1, rows[n].name = (char *)"acc", rows[n++].value = 0.1;
	rows[n].trial_id = 2, rows[n].step = 10, rows[n].name = (char *)"acc", rows[n++].value = 0.15;
	rows[n].trial_id = 2, rows[n].step = 10, rows[n].name = (char *)"loss", rows[n++].value = 2.0;
	rows[n].trial_id = 2, rows[n].step = 100, rows[n].name = (char *)"acc", rows[n++].value = 0.16;
	rows[n].trial_id = 3, rows[n].step = 1, rows[n].name = (char *)"acc", rows[n++].value = NAN;
	rows[n].trial_id = 3, rows[n].step = 10, rows[n].name = (char *)"acc", rows[n++].value = 0.3;
	rows[n].trial_id = 4, rows[n].step = 10, rows[n].name = (char *)"loss", rows[n++].value = 1.0;
	rows[n].trial_id = 5, rows[n].step = 10, rows[n].name = (char *)"acc", rows[n++].value = 0.2;   /* no record */
	memset(&d, 0, sizeof d);
	d.steps = rows;
	d.nsteps = n;
	d.trials = t;
	d.ntrials = 4;
	d.metric = "acc";
	d.goal = 1;
	svg = bo__chart_curves(&d);
	assert_wellformed(svg, "curves");
	/* trials 1, 2, 3 and 5 reported acc (4 only loss); 5 has no record: running */
	assert_int_equal(count(svg, "class=\"curve "), 4);
	assert_int_equal(count(svg, "class=\"curve complete\" data-id=\"1\""), 1);
	assert_int_equal(count(svg, "class=\"curve pruned\" data-id=\"2\""), 1);
	assert_int_equal(count(svg, "class=\"curve failed\" data-id=\"3\""), 1);
	assert_int_equal(count(svg, "class=\"curve running\" data-id=\"5\""), 1);
	assert_int_equal(count(svg, "class=\"prune-mark\""), 1);
	assert_int_equal(count(svg, "class=\"prune-mark\" data-id=\"2\""), 1);
	assert_non_null(strstr(svg, "log scale"));
	assert_non_null(strstr(svg, "4 trials with intermediate reports of acc: 1 complete, 1 pruned, 1 failed, 1 running"));
	bo__free(svg);

	d.metric = "loss";
	d.goal = -1;
	svg = bo__chart_curves(&d);
	assert_wellformed(svg, "curves");
	assert_int_equal(count(svg, "class=\"curve "), 2);
	assert_int_equal(count(svg, "class=\"prune-mark\""), 2);   /* trial 4: at its last report */
	bo__free(svg);

	d.metric = "f1";
	svg = bo__chart_curves(&d);
	assert_wellformed(svg, "curves");
	assert_non_null(strstr(svg, "no intermediate reports of f1"));
	bo__free(svg);
	d.metric = NULL;
	svg = bo__chart_curves(&d);
	assert_wellformed(svg, "curves");
	assert_int_equal(count(svg, "class=\"curve "), 0);
	bo__free(svg);

	d.metric = "acc";
	for (k = 1; k < 200; k++) {
		bo__alloc_fail_at((size_t)k);
		svg = bo__chart_curves(&d);
		bo__alloc_fail_at(0);
		if (svg) {
			char root[64];
			assert_null(xml_check(svg, root, sizeof root));
			bo__free(svg);
		}
	}
}

/* Every allocation failing in turn: NULL with an error or a valid chart. */
static void test_alloc_failures(void **state)
{
	fixture f;
	bo_chart_data d;
	size_t k, which;
	(void)state;
	fixture_make(&f, 20, 0);
	d = chart_data(&f, -1);
	for (which = 0; which < 4; which++) {
		for (k = 1; k < 400; k++) {
			char *svg;
			bo__alloc_fail_at(k);
			svg = which == 0 ? bo__chart_frontier(&d)
			      : which == 1 ? bo__chart_burndown(&d)
			      : which == 2 ? bo__chart_best(&d) : bo__chart_marginal(&d);
			bo__alloc_fail_at(0);
			if (svg) {
				char root[64];
				assert_null(xml_check(svg, root, sizeof root));
				bo__free(svg);
			}
		}
	}
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_checker_itself),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_log_scale),
		cmocka_unit_test(test_thin),
		cmocka_unit_test(test_frontier_chart),
		cmocka_unit_test(test_burndown_total),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_importance_planted),
		cmocka_unit_test(test_importance_by_hand),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_curves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
