/*
 * cli/cmd_select.c - `budgetopt select`: recommend one configuration and
 * say why: the rule, the guardrails and their margins, the runner-up, and
 * what a step up or down the cost/performance frontier buys or gives up.
 */
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "select_confirm.h"
#include "select_robust.h"

static const char help[] =
	"usage: budgetopt select [options] study.yaml\n"
	"       budgetopt select --catalog results.csv --study study.yaml [options]\n\n"
	"Recommends one configuration among the complete ones that meet every\n"
	"guardrail; infeasible ones never win. By default the best score.\n\n"
	"options:\n"
	"  --max-cost X          the best performance whose cost is at most X\n"
	"  --min-perf Y          the cheapest whose performance is at least Y\n"
	"                        (both: the best performance within both limits)\n"
	"  --lexicographic a,b   best by a, ties by b, ... (+name maximises, -name minimises;\n"
	"                        a~T: values within T of the best on a count as tied)\n"
	"  --perf NAME           the performance axis (default: the maximised objective)\n"
	"  --cost NAME           the cost axis (default: the other objective, or the search cost)\n"
	"  --objectives a,b      the two objectives the default perf and cost axes come from\n"
	"  --runners-up N        with uncertain inputs or prices, the chance of staying within\n"
	"                        each guardrail and budget is shown for the selected\n"
	"                        configuration and the next N (default 2)\n"
	"  --repeats MODE        auto (default: a ledger's trials with identical parameters are\n"
	"                        repeats of one configuration, a catalog's rows stay apart),\n"
	"                        group (a catalog's identical rows too) or separate\n"
	"  --robust AGG          rank by the score aggregated across the study's scenarios:\n"
	"                        mean, worst, cvar:ALPHA, spread or regret (docs/frontier-and-select.md)\n"
	"  --noise-confidence P  the confidence at which repeats tell two mean scores\n"
	"                        apart (Welch's t-test; default 0.95)\n"
	"  --reserve MONEY       first spend up to MONEY more re-evaluating the top candidates\n"
	"                        in rounds, dropping those worse than the leader beyond the\n"
	"                        noise (runs the study's evaluator, as run does)\n" CLI_DECIDE_HELP
	"\nAxes: metrics, derived metrics, cost, score, or numeric/ordinal parameters.\n"
	"Ties: by score, then lower cost, then lower id; with --max-cost higher\n"
	"performance, lower cost, lower id; with --min-perf lower cost, higher\n"
	"performance, lower id; lexicographic: each axis in turn, then lower id.\n"
	"Repeats: configurations are ranked by their mean score; one within the noise\n"
	"of the best (both evaluated at least twice) is indistinguishable from it, and\n"
	"the cheapest of those wins.\n"
	"Exit status 1 when no configuration qualifies (the nearest miss is named).\n";

/* Default perf and cost axes: see docs. obj: --objectives, or NULL. */
static int default_tradeoff(cli_decide *d, const bo_axis *obj, bo_axis *perf, bo_axis *cost)
{
	const bo_study *s = d->s;
	if (obj || s->nobjectives >= 2) {
		bo_axis a, b;
		if (obj) {
			a = obj[0];
			b = obj[1];
		} else {
			bo__axis_objective(s, 0, &a);
			bo__axis_objective(s, 1, &b);
		}
		if (b.goal > 0 && a.goal < 0) {
			*perf = b;
			*cost = a;
		} else {
			*perf = a;
			*cost = b;
		}
		return 0;
	}
	if (s->nobjectives == 1)
		bo__axis_objective(s, 0, perf);
	else if (s->score)
		bo__axis_parse(&d->c, "score", perf);
	else
		memset(perf, 0, sizeof *perf);
	if (d->c.catalog)
		memset(cost, 0, sizeof *cost);   /* no search cost in a catalog */
	else
		bo__axis_parse(&d->c, "cost", cost);
	return 0;
}

static double val(const cli_decide *d, size_t i, const bo_axis *a)
{
	return a->goal ? bo__axis_value(&d->c, i, a) : NAN;
}

/* The frontier neighbour of configuration sel: up = the cheapest feasible
 * configuration with better performance that no other beats on both;
 * down = the best-performing one that costs less. SIZE_MAX if none. */
static size_t neighbour(const cli_decide *d, const bo_axis *perf, const bo_axis *cost, size_t sel, int up)
{
	size_t i, best = (size_t)-1;
	double ps = val(d, sel, perf) * perf->goal, cs = val(d, sel, cost) * -cost->goal;
	for (i = 0; i < d->c.n; i++) {
		double p, c, bp, bc;
		if (i == sel || !d->c.v[i].usable || d->c.v[i].feasible != 1)
			continue;
		p = val(d, i, perf) * perf->goal;
		c = val(d, i, cost) * -cost->goal;
		if (!isfinite(p) || !isfinite(c))
			continue;
		if (up ? !(p > ps) : !(c < cs))
			continue;
		if (best == (size_t)-1) {
			best = i;
			continue;
		}
		bp = val(d, best, perf) * perf->goal;
		bc = val(d, best, cost) * -cost->goal;
		if (up ? (c < bc || (c == bc && p > bp)) : (p > bp || (p == bp && c < bc)))
			best = i;
	}
	return best;
}

/* The limits of the rule that are budgets on an axis: --max-cost on the
 * cost axis, --min-perf on the performance axis. Returns their number. */
static size_t rule_limits(const bo_select_rule *rule, const bo_axis **ax, double *lim, const char **opt)
{
	size_t n = 0;
	if (rule->rule == BO_SELECT_MAX_COST || rule->rule == BO_SELECT_BOTH) {
		ax[n] = &rule->cost;
		lim[n] = rule->limit;
		opt[n++] = "max-cost";
	}
	if (rule->rule == BO_SELECT_MIN_PERF || rule->rule == BO_SELECT_BOTH) {
		ax[n] = &rule->perf;
		lim[n] = rule->rule == BO_SELECT_BOTH ? rule->limit_perf : rule->limit;
		opt[n++] = "min-perf";
	}
	return n;
}

/* 1 when guardrail k has a chance worth stating: it reaches something
 * uncertain or carries a probability. */
static int chancy(const cli_decide *d, size_t k)
{
	return d->mc.g_uncertain[k] || d->mc.g_need[k] > 0;
}

/* With a Monte Carlo run: ", \"within\": [...]", the share of draws in
 * which configuration i stays within each guardrail and each budget of
 * the rule. */
static void json_within(const cli_decide *d, const bo_select_rule *rule, size_t i)
{
	const bo_axis *ax[2];
	double lim[2], p;
	const char *opt[2];
	size_t k, n = rule_limits(rule, ax, lim, opt), m = 0;
	if (!d->mc_on)
		return;
	printf(", \"within\": [");
	for (k = 0; k < d->c.nguardrails; k++) {
		if (!chancy(d, k))
			continue;
		printf("%s{\"guardrail\": ", m++ ? ", " : "");
		cli_json_string(stdout, d->c.guardrails[k].text);
		printf(", \"probability\": ");
		cli_json_num(stdout, d->mc.prob[i * d->mc.ng + k]);
		printf(", \"required\": ");
		cli_json_num(stdout, d->mc.g_need[k] > 0 ? d->mc.g_need[k] : NAN);
		printf("}");
	}
	for (k = 0; k < n; k++) {
		if (bo__mc_axis_within(&d->mc, i, ax[k], lim[k], &p) < 0)
			p = NAN;
		printf("%s{\"budget\": \"%s\", \"axis\": ", m++ ? ", " : "", opt[k]);
		cli_json_string(stdout, ax[k]->name);
		printf(", \"limit\": ");
		cli_json_num(stdout, lim[k]);
		printf(", \"probability\": ");
		cli_json_num(stdout, p);
		printf("}");
	}
	printf("]");
}

/* With a Monte Carlo run: one line for people, the same shares. */
static void text_within(const cli_decide *d, const bo_select_rule *rule, size_t i, const char *role)
{
	const bo_axis *ax[2];
	double lim[2], p;
	const char *opt[2];
	char name[160];
	size_t k, n = rule_limits(rule, ax, lim, opt), m = 0;
	printf("    %s %s:", role, bo__config_name(&d->c, i, name, sizeof name));
	for (k = 0; k < d->c.nguardrails; k++) {
		if (!chancy(d, k))
			continue;
		printf("%s %s: %.4g", m++ ? ";" : "", d->c.guardrails[k].text, d->mc.prob[i * d->mc.ng + k]);
		if (d->mc.g_need[k] > 0)
			printf(" (required >= %g)", d->mc.g_need[k]);
	}
	for (k = 0; k < n; k++) {
		if (bo__mc_axis_within(&d->mc, i, ax[k], lim[k], &p) < 0)
			p = NAN;
		printf("%s %s %s %.6g (--%s): %.4g", m++ ? ";" : "", ax[k]->name,
		       ax[k]->goal < 0 ? "<=" : ">=", lim[k], opt[k], p);
	}
	if (!m)
		printf(" nothing uncertain in its guardrails or budget");
	printf("\n");
}

static void json_config(const cli_decide *d, size_t i, const bo_axis *perf, const bo_axis *cost,
			const bo_select_rule *rule)
{
	const bo_config *c = &d->c.v[i];
	size_t k;
	printf("{\"id\": %lld, ", (long long)c->id);
	if (c->label) {
		const char *t;
		printf("\"label\": \"");
		for (t = c->label; *t; t++)
			printf(*t == '"' || *t == '\\' ? "\\%c" : (unsigned char)*t < 0x20 ? " " : "%c", *t);
		printf("\", ");
	}
	printf("\"params\": %s, \"metrics\": ", c->params_json);
	cli_json_metrics(stdout, d, i);
	printf(", \"cost\": ");
	cli_json_num(stdout, c->cost);
	printf(", \"score\": ");
	cli_json_num(stdout, c->score);
	printf(", \"perf\": ");
	cli_json_num(stdout, val(d, i, perf));
	printf(", \"cost_axis\": ");
	cli_json_num(stdout, val(d, i, cost));
	printf(", \"guardrails\": [");
	for (k = 0; k < d->c.nguardrails; k++) {
		const char *t;
		printf("%s{\"text\": \"", k ? ", " : "");
		for (t = d->c.guardrails[k].text; *t; t++)
			printf(*t == '"' || *t == '\\' ? "\\%c" : "%c", *t);
		printf("\", \"margin\": ");
		cli_json_num(stdout, c->margins[k]);
		printf("}");
	}
	printf("]");
	if (c->nrep >= 2) {
		printf(", \"repeats\": {\"n\": %zu, \"score_se\": ", c->nrep);
		cli_json_num(stdout, c->score_se);
		printf(", \"cost_total\": ");
		cli_json_num(stdout, c->cost_total);
		printf("}");
	}
	{
		bo_axis ax[2];
		ax[0] = *perf;
		ax[1] = *cost;
		cli_json_per_scenario(stdout, d, i, ax, perf->goal && cost->goal ? 2 : 0);
	}
	cli_json_uncertain(stdout, d, i);
	json_within(d, rule, i);
	printf("}");
}

/* Adds one line of explanation. */
static int say(char ***lines, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int say(char ***lines, size_t *n, const char *fmt, ...)
{
	char buf[1024], **p;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	p = realloc(*lines, (*n + 1) * sizeof *p);
	if (!p)
		return -1;
	*lines = p;
	if (!(p[*n] = strdup(buf)))
		return -1;
	(*n)++;
	return 0;
}

/* ---- noise and repeats (analysis/repeats.c) ----
 * Only when the score rule ranks grouped repeats: a study without any
 * configuration evaluated twice prints what it always did. */

/* 1 when some configuration folds two or more repeats. */
static int has_repeats(const cli_decide *d)
{
	size_t i;
	for (i = 0; d->grouped && i < d->c.n; i++)
		if (d->c.v[i].nrep >= 2)
			return 1;
	return 0;
}

/* How many runners-up the noise lines name one by one. */
#define NOISE_LINES_MAX 10

/* "0.912 ± 0.0041" or "0.912 (evaluated once)". */
static const char *score_pm(const bo_config *c, char *buf, size_t size)
{
	if (c->nrep >= 2)
		snprintf(buf, size, "%.6g \u00b1 %.2g", c->score, c->score_se);
	else
		snprintf(buf, size, "%.6g (evaluated once)", c->score);
	return buf;
}

/* Why the runner-up order[1] is not first, under the noise test. */
static const char *noise_decided(const cli_decide *d, const bo_select_rule *r, const bo_noise_cmp *cmp, int tie,
				 double conf, char *buf, size_t size)
{
	if (tie)
		snprintf(buf, size, "a better mean score, but within the noise at %g%%: the cheaper on %s wins",
			 conf * 100, r->cost.name);
	else if (cmp[1].verdict == 0)
		snprintf(buf, size, "within the noise at %g%%, and not cheaper on %s: the better mean score decided",
			 conf * 100, r->cost.goal ? r->cost.name : "cost");
	else if (cmp[1].verdict == 1)
		snprintf(buf, size, "a worse score, beyond the noise at %g%%", conf * 100);
	else
		snprintf(buf, size, "a worse score; no noise estimate (a configuration evaluated once)");
	(void)d;
	return buf;
}

static void noise_say(const cli_decide *d, const bo_select_rule *r, const size_t *order, size_t n,
		      const bo_noise_cmp *cmp, int tie, double conf, char ***lines, size_t *nlines)
{
	const bo_config *sel = &d->c.v[order[0]], *ref = &d->c.v[order[tie]];
	char a[160], b[160], pa[96], pb[96];
	size_t p, top = n < BO_SELECT_TOL_TOP ? n : BO_SELECT_TOL_TOP, said = 0, more = 0;
	int beyond = 0;
	bo__config_name(&d->c, order[0], a, sizeof a);
	if (sel->nrep >= 2)
		say(lines, nlines, "%s: the mean of %zu repeats, score %s (mean \u00b1 standard error)", a, sel->nrep,
		    score_pm(sel, pa, sizeof pa));
	else
		say(lines, nlines, "%s was evaluated once: no noise estimate, its single score ranks it", a);
	bo__config_name(&d->c, order[tie], a, sizeof a);
	for (p = 0; p < top; p++) {
		const bo_config *o = &d->c.v[order[p]];
		if ((size_t)tie == p || cmp[p].verdict != 0)
			continue;
		if (said == NOISE_LINES_MAX) {
			more++;
			continue;
		}
		said++;
		say(lines, nlines, "%s and %s are indistinguishable at %g%%: score %s vs %s", a,
		    bo__config_name(&d->c, order[p], b, sizeof b), conf * 100, score_pm(ref, pa, sizeof pa),
		    score_pm(o, pb, sizeof pb));
	}
	if (more)
		say(lines, nlines, "and %zu more within the noise of %s", more, a);
	if (tie)
		say(lines, nlines, "within the noise the cheapest wins: %s, %s %.6g against %.6g for %s",
		    bo__config_name(&d->c, order[0], b, sizeof b), r->cost.name,
		    bo__axis_value(&d->c, order[0], &r->cost), bo__axis_value(&d->c, order[tie], &r->cost), a);
	for (p = 0; p < top && !beyond; p++) {
		const bo_config *o = &d->c.v[order[p]];
		if ((size_t)tie == p || cmp[p].verdict != 1)
			continue;
		beyond = 1;
		say(lines, nlines, "%s is better than %s beyond the noise at %g%%: score %s vs %s "
		    "(difference %.3g, noise \u00b1%.3g)", a, bo__config_name(&d->c, order[p], b, sizeof b),
		    conf * 100, score_pm(ref, pa, sizeof pa), score_pm(o, pb, sizeof pb), fabs(cmp[p].diff), cmp[p].half);
	}
	if (n > 1 && cmp[1].verdict < 0 && !tie && sel->nrep >= 2)
		say(lines, nlines, "no noise estimate for %s (evaluated once): its single score compared",
		    bo__config_name(&d->c, order[1], b, sizeof b));
}

static void noise_json(const cli_decide *d, const size_t *order, size_t n, const bo_noise_cmp *cmp, int tie,
		       double conf)
{
	const bo_config *ref = &d->c.v[order[tie]];
	size_t p, top = n < BO_SELECT_TOL_TOP ? n : BO_SELECT_TOL_TOP, k = 0;
	printf(",\n \"noise\": {\"confidence\": %g, \"test\": \"welch\", \"best_by_mean\": %lld, "
	       "\"tie_broken_by_cost\": %s, \"best_n\": %zu, \"best_score_se\": ",
	       conf, (long long)ref->id, tie ? "true" : "false", ref->nrep >= 2 ? ref->nrep : 1);
	cli_json_num(stdout, ref->nrep >= 2 ? ref->score_se : NAN);
	printf(", \"runners_up\": [");
	for (p = 0; p < top; p++) {
		const bo_config *o = &d->c.v[order[p]];
		if ((size_t)tie == p)
			continue;
		printf("%s{\"id\": %lld, \"n\": %zu, \"score\": ", k++ ? ", " : "", (long long)o->id,
		       o->nrep >= 2 ? o->nrep : 1);
		cli_json_num(stdout, o->score);
		printf(", \"score_se\": ");
		cli_json_num(stdout, o->nrep >= 2 ? o->score_se : NAN);
		printf(", \"diff\": ");
		cli_json_num(stdout, cmp[p].diff);
		printf(", \"half_width\": ");
		cli_json_num(stdout, cmp[p].half);
		printf(", \"df\": ");
		cli_json_num(stdout, cmp[p].df);
		printf(", \"indistinguishable\": %s}",
		       cmp[p].verdict < 0 ? "null" : cmp[p].verdict == 0 ? "true" : "false");
	}
	printf("]}");
}
/* ---- end of noise and repeats ---- */

/* cli_confirm_lines adds its lines through say. */
typedef struct add_ctx {
	char ***lines;
	size_t *n;
} add_ctx;

static void add_line(void *ud, const char *line)
{
	add_ctx *a = ud;
	say(a->lines, a->n, "%s", line);
}

int cmd_select(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"max-cost", required_argument, NULL, 'c'},
		{"min-perf", required_argument, NULL, 'p'},
		{"lexicographic", required_argument, NULL, 'l'},
		{"perf", required_argument, NULL, 'P'},
		{"cost", required_argument, NULL, 'C'},
		{"objectives", required_argument, NULL, 'o'},
		{"runners-up", required_argument, NULL, 'R'},
		{"repeats", required_argument, NULL, 'r'},
		{"noise-confidence", required_argument, NULL, 'n'},
		{"robust", required_argument, NULL, 'B'},
		{"reserve", required_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide d;
	bo_select_rule rule;
	const char *perf_name = NULL, *cost_name = NULL, *lex = NULL, *objectives = NULL;
	const char *max_text = NULL, *min_text = NULL;
	size_t *order = NULL, norder = 0, i, k, up, down, nlines = 0;
	char **lines = NULL, name[160];
	static const char *const rule_names[] = {"score", "max-cost", "min-perf", "lexicographic",
						 "max-cost+min-perf"};
	double max_cost = NAN, min_perf = NAN;
	long runners = 2;
	bo_axis obj[2];
	bo_noise_cmp *cmp = NULL;   /* the noise test (score rule with repeats), or NULL */
	double noise_conf = CLI_NOISE_CONFIDENCE;
	const char *robust = NULL;   /* --robust AGG (cli/select_robust.c), or NULL */
	double reserve = 0;          /* --reserve MONEY (cli/select_confirm.c) */
	cli_confirm_info conf;
	int tie = 0;
	int c, ret;
	char *end;

	memset(&d, 0, sizeof d);
	memset(&rule, 0, sizeof rule);
	memset(&conf, 0, sizeof conf);
	d.repeats = CLI_REPEATS_AUTO;
	rule.rule = BO_SELECT_SCORE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_decide_option(&d, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'c':
		case 'p': {
			double v = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(v)) {
				cli_error("--%s needs a number, not \"%s\"", c == 'c' ? "max-cost" : "min-perf", optarg);
				return EXIT_USAGE;
			}
			if (c == 'c') {
				max_cost = v;
				max_text = optarg;
			} else {
				min_perf = v;
				min_text = optarg;
			}
			break;
		}
		case 'B':
			robust = optarg;
			break;
		case 'V':
			reserve = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(reserve) || !(reserve > 0)) {
				cli_error("--reserve needs an amount of money > 0, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'R':
			runners = strtol(optarg, &end, 10);
			if (end == optarg || *end || runners < 0 || runners > 1000) {
				cli_error("--runners-up needs a whole number from 0 to 1000, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "group") || !strcmp(optarg, "separate")) {
				d.repeats = optarg[0] == 'a' ? CLI_REPEATS_AUTO
					    : optarg[0] == 'g' ? CLI_REPEATS_GROUP : CLI_REPEATS_SEPARATE;
				break;
			}
			cli_error("--repeats must be auto, group or separate, not \"%s\"", optarg);
			return EXIT_USAGE;
		case 'n':
			noise_conf = strtod(optarg, &end);
			if (end == optarg || *end || !(noise_conf > 0 && noise_conf < 1)) {
				cli_error("--noise-confidence must be between 0 and 1 (exclusive), such as 0.95, not \"%s\"",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l': lex = optarg; break;
		case 'o': objectives = optarg; break;
		case 'P': perf_name = optarg; break;
		case 'C': cost_name = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (lex && (max_text || min_text)) {
		cli_error("--lexicographic does not go with --max-cost or --min-perf");
		return EXIT_USAGE;
	}
	if (lex)
		rule.rule = BO_SELECT_LEX;
	else if (max_text && min_text)
		rule.rule = BO_SELECT_BOTH;
	else if (max_text || min_text)
		rule.rule = max_text ? BO_SELECT_MAX_COST : BO_SELECT_MIN_PERF;
	rule.limit = max_text ? max_cost : min_perf;
	rule.limit_perf = min_perf;
	if (reserve > 0) {
		/* the confirmation runs first: select then ranks the ledger as it
		 * is, its re-evaluations folded as repeats */
		const char *path = d.study_path ? d.study_path : optind == argc - 1 ? argv[optind] : NULL;
		if (d.catalog || robust || !path) {
			cli_error("--reserve re-evaluates a study's own configurations: give the study file, "
				  "without --catalog or --robust");
			return EXIT_USAGE;
		}
		if ((ret = cli_confirm_run(path, d.storage, reserve, noise_conf)) != 0)
			return ret;
	}
	if ((ret = cli_decide_load(&d, argc, argv, optind)) != 0)
		goto done;
	if (!d.catalog && !robust && cli_confirm_read(d.s, d.storage, &conf) < 0) {
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	if (robust) {
		ret = cli_select_robust(&d, robust, (int)runners);
		goto done;
	}
	ret = EXIT_USAGE;
	if (objectives) {
		char buf[1024], *tok, *save = NULL;
		size_t n = 0;
		snprintf(buf, sizeof buf, "%s", objectives);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n == 2 || bo__axis_parse(&d.c, tok, &obj[n]) < 0) {
				cli_error("--objectives: %s", n == 2 ? "select takes two axes (performance and cost)"
							    : bo_error_last());
				goto done;
			}
			n++;
		}
		if (n != 2) {
			cli_error("--objectives: select takes two axes (performance and cost), such as +accuracy,cost");
			goto done;
		}
	}
	default_tradeoff(&d, objectives ? obj : NULL, &rule.perf, &rule.cost);
	if ((perf_name && bo__axis_parse(&d.c, perf_name, &rule.perf) < 0) ||
	    (cost_name && bo__axis_parse(&d.c, cost_name, &rule.cost) < 0)) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	if ((rule.rule == BO_SELECT_MAX_COST || rule.rule == BO_SELECT_MIN_PERF || rule.rule == BO_SELECT_BOTH) &&
	    (!rule.perf.goal || !rule.cost.goal)) {
		cli_error("--%s needs a performance and a cost axis: give --perf and --cost",
			  rule_names[rule.rule]);
		goto done;
	}
	if (rule.rule == BO_SELECT_SCORE && !d.s->score) {
		cli_error("the study has no score: give --max-cost, --min-perf or --lexicographic");
		goto done;
	}
	if (lex) {
		char buf[1024], *tok, *save = NULL;
		snprintf(buf, sizeof buf, "%s", lex);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *tilde = strchr(tok, '~');
			double tol = 0;
			if (tilde) {
				*tilde = '\0';
				tol = strtod(tilde + 1, &end);
				if (end == tilde + 1 || *end || !isfinite(tol) || tol < 0) {
					cli_error("--lexicographic: the tolerance after %s~ must be a number >= 0, not \"%s\"",
						  tok, tilde + 1);
					goto done;
				}
			}
			if (rule.nlex == sizeof rule.lex / sizeof rule.lex[0] ||
			    bo__axis_parse(&d.c, tok, &rule.lex[rule.nlex]) < 0) {
				cli_error("--lexicographic: %s", rule.nlex == 8 ? "at most 8 axes" : bo_error_last());
				goto done;
			}
			rule.tol[rule.nlex++] = tol;
		}
	}
	if (!(order = calloc(d.c.n + 1, sizeof *order)) || bo__select_order(&d.c, &rule, order, &norder) < 0) {
		cli_error("%s", order ? bo_error_last() : "out of memory");
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	if (norder > 0 && rule.rule == BO_SELECT_SCORE && has_repeats(&d)) {
		if (!(cmp = calloc(norder, sizeof *cmp))) {
			cli_error("out of memory");
			ret = EXIT_RUN_FAILED;
			goto done;
		}
		tie = bo__select_noise(&d.c, &rule, noise_conf, order, norder, cmp);
	}
	if (norder == 0) {
		size_t feasible = 0, near = (size_t)-1;
		double best = INFINITY, oc = 0, sp = 0;
		for (i = 0; i < d.c.n; i++) {
			double m, o, p;
			if (!d.c.v[i].usable || d.c.v[i].feasible != 1)
				continue;
			feasible++;
			if (rule.rule == BO_SELECT_SCORE || rule.rule == BO_SELECT_LEX)
				continue;
			m = bo__select_miss(&d.c, &rule, i, &o, &p);
			if (m < best || (m == best && near != (size_t)-1 && d.c.v[i].id < d.c.v[near].id)) {
				best = m;
				near = i;
				oc = o;
				sp = p;
			}
		}
		if (near == (size_t)-1) {
			cli_error("no feasible configuration qualifies: %zu configurations, %zu complete and within the guardrails",
				  d.c.n, feasible);
		} else {
			char miss[512];
			int len = 0;
			if (oc > 0)
				len += snprintf(miss + len, sizeof miss - (size_t)len, "%s %.6g is %.6g over --max-cost %s",
						rule.cost.name, val(&d, near, &rule.cost), oc, max_text);
			if (sp > 0)
				snprintf(miss + len, sizeof miss - (size_t)len, "%s%s %.6g is %.6g short of --min-perf %s",
					 len ? ", and " : "", rule.perf.name, val(&d, near, &rule.perf), sp, min_text);
			cli_error("no feasible configuration qualifies: %zu configurations, %zu complete and within the guardrails; "
				  "the nearest miss is %s: %s",
				  d.c.n, feasible, bo__config_name(&d.c, near, name, sizeof name), miss);
		}
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	{
		size_t sel = order[0];
		const bo_config *s = &d.c.v[sel];
		double sp = val(&d, sel, &rule.perf), sc = val(&d, sel, &rule.cost);
		up = rule.perf.goal && rule.cost.goal ? neighbour(&d, &rule.perf, &rule.cost, sel, 1) : (size_t)-1;
		down = rule.perf.goal && rule.cost.goal ? neighbour(&d, &rule.perf, &rule.cost, sel, 0) : (size_t)-1;
		switch (rule.rule) {
		case BO_SELECT_SCORE:
			if (tie) {
				say(&lines, &nlines, "the cheapest on %s within the noise of the best mean score, %.6g "
				    "(%s %s), of %zu feasible configurations", rule.cost.name, d.c.v[order[1]].score,
				    d.s->score_goal < 0 ? "minimising" : "maximising", d.s->score_text, norder);
				break;
			}
			say(&lines, &nlines, "the best score, %.6g (%s %s), of %zu feasible configurations",
			    s->score, d.s->score_goal < 0 ? "minimising" : "maximising", d.s->score_text, norder);
			break;
		case BO_SELECT_MAX_COST:
			say(&lines, &nlines, "the best %s, %.6g, of the %zu feasible configurations whose %s is at most %s",
			    rule.perf.name, sp, norder, rule.cost.name, max_text);
			break;
		case BO_SELECT_MIN_PERF:
			say(&lines, &nlines, "the lowest %s, %.6g, of the %zu feasible configurations whose %s is at least %s",
			    rule.cost.name, sc, norder, rule.perf.name, min_text);
			break;
		case BO_SELECT_BOTH:
			say(&lines, &nlines, "the best %s, %.6g, of the %zu feasible configurations whose %s is at most %s "
			    "and whose %s is at least %s", rule.perf.name, sp, norder, rule.cost.name, max_text,
			    rule.perf.name, min_text);
			break;
		case BO_SELECT_LEX:
			if (rule.tol[0] > 0)
				say(&lines, &nlines, "first by %s (%.6g; within %g of the best counts as tied), ties broken by "
				    "the next axes, of %zu feasible configurations", rule.lex[0].name,
				    val(&d, sel, &rule.lex[0]), rule.tol[0], norder);
			else
				say(&lines, &nlines, "first by %s (%.6g), ties broken by the next axes, of %zu feasible configurations",
				    rule.lex[0].name, val(&d, sel, &rule.lex[0]), norder);
			break;
		}
		if (d.scen_on) {
			char note[256];
			say(&lines, &nlines, "judged %s: a configuration's values are the weighted mean across "
			    "scenarios of its values under each (the mean of its repeats there); a guardrail holds "
			    "under every scenario, or, with a robust function (worst, cvar...), across them",
			    cli_fold_note(&d, note, sizeof note));
		}
		for (k = 0; k < d.c.nguardrails; k++) {
			double m = s->margins[k];
			say(&lines, &nlines, "meets %s with a margin of %.6g", d.c.guardrails[k].text, m);
		}
		if (norder > 1) {
			size_t r2 = order[1];
			const char *by = bo__select_decider(&d.c, &rule, sel, r2);
			char decided[200];
			if (!strcmp(by, "id"))
				snprintf(decided, sizeof decided, "tied on every axis of the rule, the lower id wins");
			else
				snprintf(decided, sizeof decided, "%s decided", by);
			if (rule.rule == BO_SELECT_SCORE && cmp)
				say(&lines, &nlines, "runner-up: %s, score %.6g (%+.6g); %s",
				    bo__config_name(&d.c, r2, name, sizeof name), d.c.v[r2].score,
				    d.c.v[r2].score - s->score, noise_decided(&d, &rule, cmp, tie, noise_conf,
									       decided, sizeof decided));
			else if (rule.rule == BO_SELECT_SCORE)
				say(&lines, &nlines, "runner-up: %s, score %.6g (%+.6g); %s",
				    bo__config_name(&d.c, r2, name, sizeof name), d.c.v[r2].score,
				    d.c.v[r2].score - s->score, strcmp(by, "score") ? decided : "a worse score");
			else if (rule.rule == BO_SELECT_LEX)
				say(&lines, &nlines, "runner-up: %s, %s %.6g (%+.6g); %s",
				    bo__config_name(&d.c, r2, name, sizeof name), rule.lex[0].name,
				    val(&d, r2, &rule.lex[0]), val(&d, r2, &rule.lex[0]) - val(&d, sel, &rule.lex[0]),
				    strcmp(by, "id") ? decided : "tied on every axis, the lower id wins");
			else
				say(&lines, &nlines, "runner-up: %s, %s %.6g (%+.6g), %s %.6g (%+.6g); %s",
				    bo__config_name(&d.c, r2, name, sizeof name), rule.perf.name, val(&d, r2, &rule.perf),
				    val(&d, r2, &rule.perf) - sp, rule.cost.name, val(&d, r2, &rule.cost),
				    val(&d, r2, &rule.cost) - sc, decided);
			if (rule.rule == BO_SELECT_LEX && strcmp(by, "id")) {
				size_t kk;
				for (kk = 0; kk < rule.nlex && strcmp(rule.lex[kk].name, by); kk++)
					;
				if (kk > 0 && kk < rule.nlex)
					say(&lines, &nlines, "the tie was on %s%s; %s decided it (%.6g against %.6g)",
					    rule.lex[0].name, kk > 1 ? " and the axes after it" : "", by,
					    val(&d, sel, &rule.lex[kk]), val(&d, r2, &rule.lex[kk]));
			}
		} else {
			say(&lines, &nlines, "no runner-up: it is the only configuration that qualifies");
		}
		if (cmp)
			noise_say(&d, &rule, order, norder, cmp, tie, noise_conf, &lines, &nlines);
		else if (d.grouped && norder > 0 && has_repeats(&d))
			say(&lines, &nlines, "configurations evaluated more than once are ranked by their means; "
			    "differences are tested against the noise under the score rule only");
		if (conf.found) {
			add_ctx ac = {&lines, &nlines};
			cli_confirm_lines(&conf, d.s->prices.currency, add_line, &ac);
		}
		if (up != (size_t)-1)
			say(&lines, &nlines, "a step up the frontier (%s): %+.6g %s for %+.6g %s",
			    bo__config_name(&d.c, up, name, sizeof name), val(&d, up, &rule.perf) - sp, rule.perf.name,
			    val(&d, up, &rule.cost) - sc, rule.cost.name);
		else if (rule.perf.goal && rule.cost.goal)
			say(&lines, &nlines, "nothing feasible performs better on %s", rule.perf.name);
		if (down != (size_t)-1 && val(&d, down, &rule.perf) * rule.perf.goal >= sp * rule.perf.goal) {
			/* the best of the cheaper ones is no worse: no step down, a better deal */
			say(&lines, &nlines, "dominated: %s has %s %.6g (%+.6g) and costs %.6g %s less",
			    bo__config_name(&d.c, down, name, sizeof name), rule.perf.name, val(&d, down, &rule.perf),
			    val(&d, down, &rule.perf) - sp, fabs(sc - val(&d, down, &rule.cost)), rule.cost.name);
			down = (size_t)-1;
		} else if (down != (size_t)-1) {
			say(&lines, &nlines, "a step down the frontier (%s): gives up %.6g %s (%.6g instead of %.6g) to save %.6g %s",
			    bo__config_name(&d.c, down, name, sizeof name), fabs(sp - val(&d, down, &rule.perf)),
			    rule.perf.name, val(&d, down, &rule.perf), sp, fabs(sc - val(&d, down, &rule.cost)),
			    rule.cost.name);
		} else if (rule.perf.goal && rule.cost.goal) {
			say(&lines, &nlines, "nothing feasible costs less on %s", rule.cost.name);
		}

		if (!strcmp(d.format, "json")) {
			printf("{\"rule\": \"%s\", \"candidates\": %zu", rule_names[rule.rule], norder);
			cli_json_fold(stdout, &d);
			printf(",\n \"selected\": ");
			json_config(&d, sel, &rule.perf, &rule.cost, &rule);
			printf(",\n \"runner_up\": ");
			if (norder > 1)
				json_config(&d, order[1], &rule.perf, &rule.cost, &rule);
			else
				printf("null");
			printf(",\n \"runners_up\": [");
			for (k = 1; k < norder && k <= (size_t)runners; k++) {
				printf("%s", k > 1 ? ",\n  " : "");
				json_config(&d, order[k], &rule.perf, &rule.cost, &rule);
			}
			printf("]");
			for (k = 0; k < 2; k++) {
				size_t nb = k == 0 ? up : down;
				printf(",\n \"%s\": ", k == 0 ? "step_up" : "step_down");
				if (nb == (size_t)-1) {
					printf("null");
					continue;
				}
				printf("{\"id\": %lld, \"delta_perf\": ", (long long)d.c.v[nb].id);
				cli_json_num(stdout, val(&d, nb, &rule.perf) - sp);
				printf(", \"delta_cost\": ");
				cli_json_num(stdout, val(&d, nb, &rule.cost) - sc);
				printf("}");
			}
			if (cmp)
				noise_json(&d, order, norder, cmp, tie, noise_conf);
			if (conf.found) {
				json_t *cj = cli_confirm_json(&conf);
				printf(",\n \"confirmation\": ");
				if (cj)
					cli_json_dump(stdout, cj);
				else
					printf("null");
				json_decref(cj);
			}
			printf(",\n \"explanation\": [");
			for (k = 0; k < nlines; k++) {
				const char *t;
				printf("%s\"", k ? ", " : "");
				for (t = lines[k]; *t; t++)
					printf(*t == '"' || *t == '\\' ? "\\%c" : "%c", *t);
				printf("\"");
			}
			printf("]}\n");
		} else if (!strcmp(d.format, "csv")) {
			printf("id,label,rule,score,perf,cost_axis,params\n%lld,", (long long)s->id);
			cli_csv_field(stdout, s->label ? s->label : "");
			printf(",%s,", rule_names[rule.rule]);
			cli_print_num(stdout, s->score);
			printf(",");
			cli_print_num(stdout, sp);
			printf(",");
			cli_print_num(stdout, sc);
			printf(",");
			cli_csv_field(stdout, s->params_json);
			printf("\n");
		} else {
			if (s->label)
				printf("selected: %lld %s %s\n", (long long)s->id, s->label, s->params_json);
			else
				printf("selected: %lld %s\n", (long long)s->id, s->params_json);
			for (k = 0; k < nlines; k++)
				printf("  %s\n", lines[k]);
			cli_text_uncertain(stdout, &d, sel, "  ");
			if (d.mc_on) {
				printf("  chance of staying within each guardrail and budget (share of %zu draws):\n",
				       d.mc.o.draws);
				text_within(&d, &rule, sel, "selected");
				for (k = 1; k < norder && k <= (size_t)runners; k++) {
					char role[40];
					snprintf(role, sizeof role, "runner-up %zu", k);
					text_within(&d, &rule, order[k], role);
				}
			}
		}
	}
	ret = EXIT_OK;
done:
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	free(order);
	free(cmp);
	cli_confirm_info_free(&conf);
	cli_decide_free(&d);
	return ret;
}
