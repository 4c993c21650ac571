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
#include "report/export_json.h"
#include "decide.h"


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
	"  --threshold X     with two axes: mark where a step up the frontier buys less\n"
	"                    than X performance per unit of cost (the marginal value)\n" CLI_DECIDE_HELP;







static const char *goal_name(int g)
{
	return g > 0 ? "maximize" : "minimize";
}



/* The same JSON the dashboard's /api/frontier serves. */
static int print_json(const cli_decide *d, const bo_frontier *fr, int all)
{
	json_t *v = bo__export_frontier_json(&d->c, fr, all);
	int rc = v ? json_dumpf(v, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) : -1;
	json_decref(v);
	if (rc < 0) {
		cli_error("out of memory");
		return -1;
	}
	fputc('\n', stdout);
	return 0;
}

static void print_csv(const cli_decide *d, const bo_frontier *fr, int all)
{
	size_t i, k;
	printf("id,status");
	for (k = 0; k < fr->d; k++)
		printf(",%s", fr->ax[k].name);
	printf(",cost,score,knee,params,why\n");
	for (i = 0; i < d->c.n; i++) {
		int on = bo__frontier_on(fr, i);
		const char *status = "frontier";
		char why[600] = "";
		if (!on && !all)
			continue;
		if (!on)
			bo__frontier_why(&d->c, fr, i, &status, why, sizeof why);
		printf("%lld,%s", (long long)d->c.v[i].id, status);
		for (k = 0; k < fr->d; k++) {
			double v = bo__axis_value(&d->c, i, &fr->ax[k]);
			printf(",");
			if (isfinite(v))
				printf("%.17g", v);
		}
		printf(",");
		if (isfinite(d->c.v[i].cost))
			printf("%.17g", d->c.v[i].cost);
		printf(",");
		if (isfinite(d->c.v[i].score))
			printf("%.17g", d->c.v[i].score);
		printf(",%s,", d->c.v[i].id == fr->knee ? "true" : "false");
		cli_csv_field(stdout, d->c.v[i].params_json);
		printf(",");
		cli_csv_field(stdout, why);
		printf("\n");
	}
	for (i = 0; all && i < d->c.nremoved; i++) {
		/* left out by --where or catalog: where, with the reason */
		printf("%lld,removed", (long long)d->c.removed[i].id);
		for (k = 0; k < fr->d; k++)
			printf(",");
		printf(",,,false,,");
		cli_csv_field(stdout, d->c.removed[i].why);
		printf("\n");
	}
}

static void print_text(const cli_decide *d, const bo_frontier *fr, int all)
{
	size_t i, k;
	printf("frontier of %s over ", d->s->name);
	for (k = 0; k < fr->d; k++)
		printf("%s%s (%s)", k ? ", " : "", fr->ax[k].name, goal_name(fr->ax[k].goal));
	printf(": %zu of %zu configurations (%zu feasible)\n", fr->nfront, d->c.n, fr->n);
	printf("   %8s", "id");
	for (k = 0; k < fr->d; k++)
		printf("  %14.14s", fr->ax[k].name);
	if (fr->d == 2)
		printf("  %14s", "marginal");
	printf("  parameters\n");
	for (i = 0; i < fr->nfront; i++) {
		size_t c = fr->front[i];
		printf(" %s %8lld", d->c.v[c].id == fr->knee ? "*" : " ", (long long)d->c.v[c].id);
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
	if (fr->knee >= 0)
		printf("knee (*): %lld, the point farthest from the line between the frontier's ends\n",
		       (long long)fr->knee);
	if (fr->d == 2)
		printf("marginal: %s gained per unit of %s over the next cheaper frontier point\n",
		       fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	if (!isnan(fr->threshold) && fr->saturation >= 0)
		printf("from %lld on, each step up buys less than %g %s per unit of %s\n",
		       (long long)fr->saturation, fr->threshold, fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	else if (!isnan(fr->threshold))
		printf("every step up buys at least %g %s per unit of %s\n", fr->threshold,
		       fr->ax[fr->pa].name, fr->ax[fr->ca].name);
	if (!all)
		return;
	printf("not on the frontier:\n");
	for (i = 0; i < d->c.n; i++) {
		const char *status;
		char why[600];
		if (bo__frontier_on(fr, i))
			continue;
		bo__frontier_why(&d->c, fr, i, &status, why, sizeof why);
		printf("   %8lld  %-10s  %s\n", (long long)d->c.v[i].id, status, why);
	}
	if (d->c.nremoved)
		printf("left out by a filter:\n");
	for (i = 0; i < d->c.nremoved; i++)
		printf("   %8lld  %-10s  %s: %s\n", (long long)d->c.removed[i].id, "removed",
		       d->c.removed[i].name, d->c.removed[i].why);
}

int cmd_frontier(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"objectives", required_argument, NULL, 'o'},
		{"all", no_argument, NULL, 'a'},
		{"ref", required_argument, NULL, 'r'},
		{"threshold", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide d;
	bo_frontier fr;
	const char *objectives = NULL, *ref = NULL;
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
	if (!strcmp(d.format, "json")) {
		if (print_json(&d, &fr, all) < 0)
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
