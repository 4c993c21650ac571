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

static const char help[] =
	"usage: budgetopt select [options] study.yaml\n"
	"       budgetopt select --catalog results.csv --study study.yaml [options]\n\n"
	"Recommends one configuration among the complete ones that meet every\n"
	"guardrail; infeasible ones never win. By default the best score.\n\n"
	"options:\n"
	"  --max-cost X          the best performance whose cost is at most X\n"
	"  --min-perf Y          the cheapest whose performance is at least Y\n"
	"  --lexicographic a,b   best by a, ties by b, ... (+name maximises, -name minimises)\n"
	"  --perf NAME           the performance axis (default: the maximised objective)\n"
	"  --cost NAME           the cost axis (default: the other objective, or the search cost)\n" CLI_DECIDE_HELP
	"\nTies: by score, then lower cost, then lower id; with --max-cost higher\n"
	"performance, lower cost, lower id; with --min-perf lower cost, higher\n"
	"performance, lower id; lexicographic: each axis in turn, then lower id.\n"
	"Exit status 1 when no configuration qualifies.\n";

/* Default perf and cost axes: see docs. */
static int default_tradeoff(cli_decide *d, bo_axis *perf, bo_axis *cost)
{
	const bo_study *s = d->s;
	if (s->nobjectives >= 2) {
		bo_axis a, b;
		bo__axis_objective(s, 0, &a);
		bo__axis_objective(s, 1, &b);
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

static void json_config(const cli_decide *d, size_t i, const bo_axis *perf, const bo_axis *cost)
{
	const bo_config *c = &d->c.v[i];
	size_t k;
	printf("{\"id\": %lld, \"params\": %s, \"metrics\": ", (long long)c->id, c->params_json);
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
	printf("]}");
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

int cmd_select(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"max-cost", required_argument, NULL, 'c'},
		{"min-perf", required_argument, NULL, 'p'},
		{"lexicographic", required_argument, NULL, 'l'},
		{"perf", required_argument, NULL, 'P'},
		{"cost", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide d;
	bo_select_rule rule;
	const char *perf_name = NULL, *cost_name = NULL, *lex = NULL, *limit_text = NULL;
	size_t *order = NULL, norder = 0, i, k, up, down, nlines = 0;
	char **lines = NULL;
	static const char *const rule_names[] = {"score", "max-cost", "min-perf", "lexicographic"};
	int c, ret, nrules = 0;
	char *end;

	memset(&d, 0, sizeof d);
	memset(&rule, 0, sizeof rule);
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
		case 'p':
			rule.rule = c == 'c' ? BO_SELECT_MAX_COST : BO_SELECT_MIN_PERF;
			rule.limit = strtod(optarg, &end);
			limit_text = optarg;
			if (end == optarg || *end || !isfinite(rule.limit)) {
				cli_error("--%s needs a number, not \"%s\"", c == 'c' ? "max-cost" : "min-perf", optarg);
				return EXIT_USAGE;
			}
			nrules++;
			break;
		case 'l':
			rule.rule = BO_SELECT_LEX;
			lex = optarg;
			nrules++;
			break;
		case 'P': perf_name = optarg; break;
		case 'C': cost_name = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (nrules > 1) {
		cli_error("choose one of --max-cost, --min-perf and --lexicographic");
		return EXIT_USAGE;
	}
	if ((ret = cli_decide_load(&d, argc, argv, optind)) != 0)
		goto done;
	ret = EXIT_USAGE;
	default_tradeoff(&d, &rule.perf, &rule.cost);
	if ((perf_name && bo__axis_parse(&d.c, perf_name, &rule.perf) < 0) ||
	    (cost_name && bo__axis_parse(&d.c, cost_name, &rule.cost) < 0)) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	if ((rule.rule == BO_SELECT_MAX_COST || rule.rule == BO_SELECT_MIN_PERF) &&
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
			if (rule.nlex == sizeof rule.lex / sizeof rule.lex[0] ||
			    bo__axis_parse(&d.c, tok, &rule.lex[rule.nlex]) < 0) {
				cli_error("--lexicographic: %s", rule.nlex == 8 ? "at most 8 axes" : bo_error_last());
				goto done;
			}
			rule.nlex++;
		}
	}
	if (!(order = calloc(d.c.n + 1, sizeof *order)) || bo__select_order(&d.c, &rule, order, &norder) < 0) {
		cli_error("%s", order ? bo_error_last() : "out of memory");
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	if (norder == 0) {
		size_t feasible = 0;
		for (i = 0; i < d.c.n; i++)
			feasible += d.c.v[i].usable && d.c.v[i].feasible == 1;
		cli_error("no feasible configuration qualifies: %zu configurations, %zu complete and within the guardrails%s%s",
			  d.c.n, feasible, limit_text ? ", none within --" : "",
			  limit_text ? (rule.rule == BO_SELECT_MAX_COST ? "max-cost" : "min-perf") : "");
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
			say(&lines, &nlines, "the best score, %.6g (%s %s), of %zu feasible configurations",
			    s->score, d.s->score_goal < 0 ? "minimising" : "maximising", d.s->score_text, norder);
			break;
		case BO_SELECT_MAX_COST:
			say(&lines, &nlines, "the best %s, %.6g, of the %zu feasible configurations whose %s is at most %s",
			    rule.perf.name, sp, norder, rule.cost.name, limit_text);
			break;
		case BO_SELECT_MIN_PERF:
			say(&lines, &nlines, "the lowest %s, %.6g, of the %zu feasible configurations whose %s is at least %s",
			    rule.cost.name, sc, norder, rule.perf.name, limit_text);
			break;
		case BO_SELECT_LEX:
			say(&lines, &nlines, "first by %s (%.6g), ties broken by the next axes, of %zu feasible configurations",
			    rule.lex[0].name, val(&d, sel, &rule.lex[0]), norder);
			break;
		}
		for (k = 0; k < d.c.nguardrails; k++) {
			double m = s->margins[k];
			say(&lines, &nlines, "meets %s with a margin of %.6g", d.c.guardrails[k].text, m);
		}
		if (norder > 1) {
			size_t r2 = order[1];
			if (rule.rule == BO_SELECT_SCORE)
				say(&lines, &nlines, "runner-up: %lld, score %.6g (%+.6g)", (long long)d.c.v[r2].id,
				    d.c.v[r2].score, d.c.v[r2].score - s->score);
			else
				say(&lines, &nlines, "runner-up: %lld, %s %.6g (%+.6g), %s %.6g (%+.6g)",
				    (long long)d.c.v[r2].id, rule.perf.name, val(&d, r2, &rule.perf),
				    val(&d, r2, &rule.perf) - sp, rule.cost.name, val(&d, r2, &rule.cost),
				    val(&d, r2, &rule.cost) - sc);
		} else {
			say(&lines, &nlines, "no runner-up: it is the only configuration that qualifies");
		}
		if (up != (size_t)-1)
			say(&lines, &nlines, "a step up the frontier (%lld): %+.6g %s for %+.6g %s",
			    (long long)d.c.v[up].id, val(&d, up, &rule.perf) - sp, rule.perf.name,
			    val(&d, up, &rule.cost) - sc, rule.cost.name);
		else if (rule.perf.goal && rule.cost.goal)
			say(&lines, &nlines, "nothing feasible performs better on %s", rule.perf.name);
		if (down != (size_t)-1)
			say(&lines, &nlines, "a step down (%lld): %+.6g %s to save %.6g %s", (long long)d.c.v[down].id,
			    val(&d, down, &rule.perf) - sp, rule.perf.name, sc - val(&d, down, &rule.cost),
			    rule.cost.name);
		else if (rule.perf.goal && rule.cost.goal)
			say(&lines, &nlines, "nothing feasible costs less on %s", rule.cost.name);

		if (!strcmp(d.format, "json")) {
			printf("{\"rule\": \"%s\", \"candidates\": %zu,\n \"selected\": ", rule_names[rule.rule], norder);
			json_config(&d, sel, &rule.perf, &rule.cost);
			printf(",\n \"runner_up\": ");
			if (norder > 1)
				json_config(&d, order[1], &rule.perf, &rule.cost);
			else
				printf("null");
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
			printf("id,rule,score,perf,cost_axis,params\n%lld,%s,", (long long)s->id, rule_names[rule.rule]);
			if (isfinite(s->score))
				printf("%.17g", s->score);
			printf(",");
			if (isfinite(sp))
				printf("%.17g", sp);
			printf(",");
			if (isfinite(sc))
				printf("%.17g", sc);
			printf(",");
			cli_csv_field(stdout, s->params_json);
			printf("\n");
		} else {
			printf("selected: %lld %s\n", (long long)s->id, s->params_json);
			for (k = 0; k < nlines; k++)
				printf("  %s\n", lines[k]);
		}
	}
	ret = EXIT_OK;
done:
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	free(order);
	cli_decide_free(&d);
	return ret;
}
