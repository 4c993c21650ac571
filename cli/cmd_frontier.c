/*
 * cli/cmd_frontier.c - `budgetopt frontier`: the feasible Pareto frontier
 * of a study's trials or of a catalog, its hypervolume and its knee.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/frontier.h"
#include "analysis/robust.h"
#include "analysis/scenarios.h"
#include "report/export_json.h"
#include "decide.h"
#include "select_robust.h"


static const char help[] =
	"usage: budgetopt frontier [options] study.yaml\n"
	"       budgetopt frontier --catalog results.csv --study study.yaml [options]\n\n"
	"Prints the feasible Pareto frontier over the study's objectives (with one\n"
	"objective: it against the search cost), one row per configuration, the\n"
	"hypervolume with its reference point, and the knee (marked *).\n\n"
	"options:\n"
	"  --objectives a,b  axes instead of the study's objectives: metrics, derived\n"
	"                    metrics, cost or score; +name maximises, -name minimises\n"
	"  --all             also list dominated, infeasible and failed configurations\n"
	"  --ref v1,v2       the hypervolume reference point, in the axes' own units\n"
	"  --threshold X     with two axes: mark the frontier point from which every\n"
	"                    step up buys less than X performance per unit of cost\n"
	"  --robust AGG      on a study with scenarios: each axis is the configuration's\n"
	"                    AGG across scenarios (mean, worst, cvar:ALPHA, spread or\n"
	"                    regret) instead of the weighted mean; search cost stays the\n"
	"                    mean over its trials\n" CLI_DECIDE_HELP
	"\nOn a study with scenarios each configuration is one row: its values under\n"
	"each scenario (the mean of its repeats there) folded by the weighted mean,\n"
	"or by --robust AGG; its guardrails must hold under every scenario.\n"
	"\nExit status 1 when no configuration is on the frontier.\n";

static const char *goal_name(int g)
{
	return g > 0 ? "maximize" : "minimize";
}

/* Adds "label" to the rows of a.(key) whose configuration has one. */
static int add_labels(const cli_decide *d, json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key), *r;
	size_t k, i;
	json_array_foreach(a, k, r) {
		i = bo__configs_find(&d->c, json_integer_value(json_object_get(r, "id")));
		if (i < d->c.n && d->c.v[i].label &&
		    json_object_set_new(r, "label", json_string(d->c.v[i].label)) < 0)
			return -1;
	}
	return 0;
}

/* The same JSON the dashboard's /api/frontier serves, with each row's
 * label when the configurations have one, numbers in their shortest form. */
/* --all: "removed": the rows a filter (--where, catalog: where) left out,
 * each with its id, name and why, as the text and CSV list them. Absent
 * when none was, so that the JSON stays the dashboard's /api/frontier. */
static int add_removed(const cli_decide *d, json_t *o, int all)
{
	json_t *a;
	size_t i;
	if (!all || !d->c.nremoved)
		return 0;
	if (!(a = json_array()) || json_object_set_new(o, "removed", a) < 0)
		return -1;
	for (i = 0; i < d->c.nremoved; i++) {
		const bo_removed *r = &d->c.removed[i];
		if (json_array_append_new(a, json_pack("{sIssss}", "id", (json_int_t)r->id, "name",
						       r->name ? r->name : "", "why",
						       r->why ? r->why : "")) < 0)
			return -1;
	}
	return 0;
}

/* With uncertain inputs or prices: "uncertain" on the rows of a.(key). */
static int add_uncertain(const cli_decide *d, json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key), *r, *u;
	size_t k, i;
	if (!d->mc_on)
		return 0;
	json_array_foreach(a, k, r) {
		i = bo__configs_find(&d->c, json_integer_value(json_object_get(r, "id")));
		if (i < d->c.n && d->c.v[i].usable &&
		    (!(u = cli_uncertain_json(d, i)) || json_object_set_new(r, "uncertain", u) < 0))
			return -1;
	}
	return 0;
}

/* With scenarios: "scenarios" (the aggregate and the weights) at the top,
 * and "per_scenario" on the rows of a.(key): each scenario's values on the
 * axes as they are under it (base: the axes before --robust renamed them). */
static json_t *from_text(void (*write)(FILE *, const cli_decide *, size_t, const bo_axis *, size_t),
			 void (*top)(FILE *, const cli_decide *), const cli_decide *d, size_t i,
			 const bo_axis *ax, size_t nax, const char *key)
{
	cli_member m;
	if (!cli_member_open(&m))
		return NULL;
	if (write)
		write(m.f, d, i, ax, nax);
	else
		top(m.f, d);
	return cli_member_close(&m, key);
}

static int add_scenarios(const cli_decide *d, json_t *o, const char *key, const bo_axis *base, size_t nax)
{
	json_t *a = json_object_get(o, key), *r, *u;
	size_t k, i;
	if (!d->scen_on)
		return 0;
	json_array_foreach(a, k, r) {
		i = bo__configs_find(&d->c, json_integer_value(json_object_get(r, "id")));
		if (i < d->c.n && (!(u = from_text(cli_json_per_scenario, NULL, d, i, base, nax, "per_scenario")) ||
				   json_object_set_new(r, "per_scenario", u) < 0))
			return -1;
	}
	return 0;
}

static int print_json(const cli_decide *d, const bo_frontier *fr, int all, const bo_axis *base)
{
	json_t *v = bo__export_frontier_json(&d->c, fr, all), *sc = NULL;
	if (d->scen_on && v &&
	    (!(sc = from_text(NULL, cli_json_fold, d, 0, NULL, 0, "scenarios")) ||
	     json_object_set_new(v, "scenarios", sc) < 0)) {
		json_decref(v);
		v = NULL;
	}
	if (!v || add_labels(d, v, "frontier") < 0 || add_labels(d, v, "others") < 0 ||
	    add_uncertain(d, v, "frontier") < 0 || add_uncertain(d, v, "others") < 0 ||
	    add_scenarios(d, v, "frontier", base, fr->d) < 0 || add_scenarios(d, v, "others", base, fr->d) < 0 ||
	    add_removed(d, v, all) < 0) {
		json_decref(v);
		cli_error("out of memory");
		return -1;
	}
	cli_json_dump(stdout, v);
	json_decref(v);
	return 0;
}

/* 1 if any configuration has a label: then tables get a label column. */
static int any_label(const bo_configs *c)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		if (c->v[i].label)
			return 1;
	return 0;
}

/* The header of the search-cost column: none for a catalog (its rows have
 * no search cost), "search_cost" when an axis or a metric is already
 * called cost. */
static const char *search_cost_column(const cli_decide *d, const bo_frontier *fr)
{
	size_t k;
	if (d->c.catalog)
		return NULL;
	for (k = 0; k < fr->d; k++)
		if (!strcmp(fr->ax[k].name, "cost"))
			return "search_cost";
	if (bo__study_find_metric(d->s, "cost") >= 0 || bo__study_find_derived(d->s, "cost") >= 0)
		return "search_cost";
	return "cost";
}

static void csv_row(const cli_decide *d, const bo_frontier *fr, size_t i, int labels, const char *costcol)
{
	const char *status = "frontier";
	char why[600] = "";
	size_t k;
	if (!bo__frontier_on(fr, i))
		bo__frontier_why(&d->c, fr, i, &status, why, sizeof why);
	printf("%lld", (long long)d->c.v[i].id);
	if (labels) {
		printf(",");
		cli_csv_field(stdout, d->c.v[i].label ? d->c.v[i].label : "");
	}
	printf(",%s", status);
	for (k = 0; k < fr->d; k++) {
		printf(",");
		cli_print_num(stdout, bo__axis_value(&d->c, i, &fr->ax[k]));
	}
	if (costcol) {
		printf(",");
		cli_print_num(stdout, d->c.v[i].cost);
	}
	printf(",");
	cli_print_num(stdout, d->c.v[i].score);
	printf(",%s,", d->c.v[i].id == fr->knee ? "true" : "false");
	cli_csv_field(stdout, d->c.v[i].params_json);
	printf(",");
	cli_csv_field(stdout, why);
	printf("\n");
}

/* Rows in the order of the JSON output: the frontier best first on the
 * first axis, then (--all) the others in the order of the ledger/file. */
static void print_csv(const cli_decide *d, const bo_frontier *fr, int all)
{
	size_t i, k;
	int labels = any_label(&d->c);
	const char *costcol = search_cost_column(d, fr);
	printf("id%s,status", labels ? ",label" : "");
	for (k = 0; k < fr->d; k++) {
		printf(",");
		cli_csv_field(stdout, fr->ax[k].name);
	}
	if (costcol)
		printf(",%s", costcol);
	printf(",score,knee,params,why\n");
	for (i = 0; i < fr->nfront; i++)
		csv_row(d, fr, fr->front[i], labels, costcol);
	for (i = 0; all && i < d->c.n; i++)
		if (!bo__frontier_on(fr, i))
			csv_row(d, fr, i, labels, costcol);
	for (i = 0; all && i < d->c.nremoved; i++) {
		/* left out by --where or catalog: where, with the reason */
		printf("%lld", (long long)d->c.removed[i].id);
		if (labels) {
			printf(",");
			cli_csv_field(stdout, d->c.removed[i].name);
		}
		printf(",removed");
		for (k = 0; k < fr->d; k++)
			printf(",");
		printf("%s,,false,,", costcol ? "," : "");
		cli_csv_field(stdout, d->c.removed[i].why);
		printf("\n");
	}
}

/* Warns when configurations have no value, or a value of 0, on the cost
 * axis of a two-axis frontier: the first are left out without a word
 * otherwise, the second make every marginal value against them infinite. */
static void warn_cost_axis(const cli_decide *d, const bo_frontier *fr)
{
	const bo_axis *a = &fr->ax[fr->ca];
	size_t i, missing = 0, zero = 0, n = 0;
	char first_zero[160] = "";
	if (fr->d != 2)
		return;
	for (i = 0; i < d->c.n; i++) {
		double v;
		if (!d->c.v[i].usable || d->c.v[i].feasible != 1)
			continue;
		n++;
		v = bo__axis_value(&d->c, i, a);
		if (isnan(v))
			missing++;
		else if (v == 0 && zero++ == 0)
			bo__config_name(&d->c, i, first_zero, sizeof first_zero);
	}
	if (missing)
		cli_warn("%zu of %zu feasible configurations have no value for the cost axis %s: they are left out",
			 missing, n, a->name);
	if (zero)
		cli_warn("%zu of %zu feasible configurations (%s%s) have a %s of 0: is a price missing?", zero, n,
			 first_zero, zero > 1 ? " and others" : "", a->name);
}

static void print_others(const cli_decide *d, const bo_frontier *fr)
{
	size_t i;
	printf("not on the frontier:\n");
	for (i = 0; i < d->c.n; i++) {
		const char *status;
		char why[600], name[160];
		if (bo__frontier_on(fr, i))
			continue;
		bo__frontier_why(&d->c, fr, i, &status, why, sizeof why);
		printf("   %8lld  %-10s  %s%s%s\n", (long long)d->c.v[i].id, status, why,
		       d->c.v[i].label ? "  " : "", d->c.v[i].label ? bo__config_name(&d->c, i, name, sizeof name) : "");
	}
	if (d->c.nremoved)
		printf("left out by a filter:\n");
	for (i = 0; i < d->c.nremoved; i++)
		printf("   %8lld  %-10s  %s: %s\n", (long long)d->c.removed[i].id, "removed",
		       d->c.removed[i].name, d->c.removed[i].why);
}

static void print_text(const cli_decide *d, const bo_frontier *fr, int all)
{
	size_t i, k;
	int labels = any_label(&d->c);
	char name[160];
	printf("frontier of %s over ", d->s->name);
	for (k = 0; k < fr->d; k++)
		printf("%s%s (%s)", k ? ", " : "", fr->ax[k].name, goal_name(fr->ax[k].goal));
	printf(": %zu of %zu configurations (%zu feasible)", fr->nfront, d->c.n, fr->n);
	if (d->scen_on) {
		char note[256];
		printf(", %s", cli_fold_note(d, note, sizeof note));
	}
	printf("\n");
	printf("   %8s", "id");
	if (labels)
		printf("  %-16s", "label");
	for (k = 0; k < fr->d; k++)
		printf("  %14.14s", fr->ax[k].name);
	if (fr->d == 2)
		printf("  %14s", "marginal");
	printf("  parameters\n");
	for (i = 0; i < fr->nfront; i++) {
		size_t c = fr->front[i];
		printf(" %s %8lld", d->c.v[c].id == fr->knee ? "*" : " ", (long long)d->c.v[c].id);
		if (labels)
			printf("  %-16.16s", d->c.v[c].label ? d->c.v[c].label : "");
		for (k = 0; k < fr->d; k++)
			printf("  %14.6g", bo__axis_value(&d->c, c, &fr->ax[k]));
		if (fr->d == 2) {
			if (isnan(fr->marginal[c]))
				printf("  %14s", "-");
			else
				printf("  %14.6g", fr->marginal[c]);
		}
		printf("  %s%s\n", d->c.v[c].params_json,
		       d->c.v[c].id == fr->saturation ? "  <- stops paying" : "");
	}
	printf("hypervolume %.10g with reference point (", fr->hv);
	for (k = 0; k < fr->d; k++)
		printf("%s%.6g", k ? ", " : "", fr->ref[k]);
	printf(")\n");
	if (fr->knee >= 0) {
		i = bo__configs_find(&d->c, fr->knee);
		printf("knee (*): %lld%s%s, the point farthest above the line between the frontier's ends\n",
		       (long long)fr->knee, d->c.v[i].label ? " " : "",
		       d->c.v[i].label ? bo__config_name(&d->c, i, name, sizeof name) : "");
	} else if (fr->d == 2 && fr->nfront >= 3) {
		printf("no knee: no frontier point lies above the straight line between its ends\n");
	}
	if (fr->d == 2)
		printf("marginal: %s gained per unit of %s over the next cheaper frontier point\n",
		       fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	if (!isnan(fr->threshold) && fr->saturation >= 0)
		printf("from %lld on, each step up buys less than %g %s per unit of %s\n",
		       (long long)fr->saturation, fr->threshold, fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	else if (!isnan(fr->threshold))
		printf("every step up buys at least %g %s per unit of %s\n", fr->threshold,
		       fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	if (d->mc_on && fr->nfront) {
		printf("under uncertainty (%zu draws, seed %llu):\n", d->mc.o.draws,
		       (unsigned long long)d->mc.o.seed);
		for (i = 0; i < fr->nfront; i++) {
			printf("   %8lld %s\n", (long long)d->c.v[fr->front[i]].id,
			       d->c.v[fr->front[i]].label ? bo__config_name(&d->c, fr->front[i], name, sizeof name) : "");
			cli_text_uncertain(stdout, d, fr->front[i], "      ");
		}
	}
	if (all)
		print_others(d, fr);
}

/* --robust AGG: the configurations folded across scenarios anew, each axis
 * of a metric, a derived metric or the score by AGG with the axis's own
 * goal (spread and regret: lower is better, and the axis says so, renamed
 * "AGG(name)"); search cost and parameters as they are. Returns 0, or -1
 * after printing. */
static int refold(cli_decide *d, bo_frontier *fr, const char *text)
{
	bo_robust spec;
	int *mg = NULL, *dg = NULL, rc = -1;
	size_t q, k;
	char label[48];
	if (bo__robust_parse(text, &spec) < 0) {
		cli_error("--robust: %s", bo_error_last());
		return -1;
	}
	if (!d->scen_on) {
		cli_error("--robust aggregates across scenarios: %s", d->catalog ? "a catalog has none"
					: "the study lists none (give it scenarios:)");
		return -1;
	}
	if (!(mg = calloc(d->s->nmetrics + 1, sizeof *mg)) || !(dg = calloc(d->s->nderived + 1, sizeof *dg))) {
		cli_error("out of memory");
		goto done;
	}
	for (q = 0; q < d->s->nmetrics; q++)
		mg[q] = d->s->metrics[q].goal;
	for (q = 0; q < d->s->nderived; q++)
		dg[q] = d->s->derived[q].goal;
	for (k = 0; k < fr->d; k++) {
		if (fr->ax[k].kind == BO_AXIS_METRIC)
			mg[fr->ax[k].index] = fr->ax[k].goal;
		else if (fr->ax[k].kind == BO_AXIS_DERIVED)
			dg[fr->ax[k].index] = fr->ax[k].goal;
	}
	cli_robust_label(&spec, label, sizeof label);
	if (cli_decide_refold(d, &spec, mg, dg, label) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	for (k = 0; k < fr->d; k++) {
		bo_axis *a = &fr->ax[k];
		char name[sizeof a->name];
		if (a->kind != BO_AXIS_METRIC && a->kind != BO_AXIS_DERIVED && a->kind != BO_AXIS_SCORE)
			continue;
		a->goal = bo__robust_goal(&spec, a->goal);
		snprintf(name, sizeof name, "%s(%s)", spec.kind == BO_ROBUST_CVAR ? "cvar" : label, a->name);
		if (spec.kind == BO_ROBUST_CVAR)
			snprintf(name, sizeof name, "cvar(%s, %g)", a->name, spec.alpha);
		memcpy(a->name, name, sizeof a->name);
	}
	rc = 0;
done:
	free(mg);
	free(dg);
	return rc;
}

int cmd_frontier(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"objectives", required_argument, NULL, 'o'},
		{"all", no_argument, NULL, 'a'},
		{"ref", required_argument, NULL, 'r'},
		{"threshold", required_argument, NULL, 't'},
		{"robust", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide d;
	bo_frontier fr;
	const char *objectives = NULL, *ref = NULL, *robust = NULL;
	bo_axis base[BO_FRONTIER_MAX_AXES];
	int c, all = 0, ret;
	char *end;

	memset(&d, 0, sizeof d);
	bo__frontier_init(&fr);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_decide_option(&d, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'o': objectives = optarg; break;
		case 'a': all = 1; break;
		case 'r': ref = optarg; break;
		case 'B': robust = optarg; break;
		case 't':
			fr.threshold = strtod(optarg, &end);
			if (end == optarg || *end || !isfinite(fr.threshold)) {
				cli_error("--threshold needs a number, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if ((ret = cli_decide_load(&d, argc, argv, optind)) != 0)
		goto done;
	ret = EXIT_USAGE;
	if ((objectives ? bo__frontier_parse_axes(&d.c, objectives, &fr)
			: bo__frontier_default_axes(&d.c, &fr)) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	memcpy(base, fr.ax, fr.d * sizeof *base);
	if (robust && refold(&d, &fr, robust) < 0)
		goto done;
	if (ref) {
		const char *p = ref;
		size_t k;
		for (k = 0; k < fr.d; k++) {
			fr.ref[k] = strtod(p, &end);
			if (end == p || (k + 1 < fr.d && *end != ',') || (k + 1 == fr.d && *end)) {
				cli_error("--ref needs %zu numbers separated by commas, one per axis", fr.d);
				goto done;
			}
			p = end + 1;
		}
		fr.has_ref = 1;
	}
	if (bo__frontier_compute(&d.c, &fr) < 0) {
		cli_error("%s", bo_error_last());
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	warn_cost_axis(&d, &fr);
	if (fr.nfront == 0) {
		/* As select: nothing to show is a failure, and an empty frontier
		 * has no reference point or hypervolume worth printing. */
		size_t i, feasible = 0;
		for (i = 0; i < d.c.n; i++)
			feasible += d.c.v[i].usable && d.c.v[i].feasible == 1;
		if (all && !strcmp(d.format, "text"))
			print_others(&d, &fr);
		cli_error("no configuration is on the frontier: %zu configurations, %zu complete and within the guardrails, "
			  "%zu of them with a value on every axis%s",
			  d.c.n, feasible, fr.n, all ? "" : " (--all says why of each)");
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	if (!strcmp(d.format, "json")) {
		if (print_json(&d, &fr, all, base) < 0)
			goto done;
	}
	else if (!strcmp(d.format, "csv"))
		print_csv(&d, &fr, all);
	else
		print_text(&d, &fr, all);
	ret = EXIT_OK;
done:
	bo__frontier_clear(&fr);
	cli_decide_free(&d);
	return ret;
}
