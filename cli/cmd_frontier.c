/*
 * cli/cmd_frontier.c - `budgetopt frontier`: the feasible Pareto frontier
 * of a study's trials or of a catalog, its hypervolume and its knee.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

#define MAX_AXES 8
#define REF_MARGIN 0.1   /* default reference point: worst + 10% of the range */

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

typedef struct frontier {
	bo_axis ax[MAX_AXES];
	size_t d;
	size_t *idx;       /* configurations on the axes (usable, feasible, finite) */
	size_t n;
	int *rank;
	size_t *front;     /* frontier configurations, best first on axis 0 */
	size_t nfront;
	double ref[MAX_AXES];   /* in the axes' own orientation */
	double hv;
	int64_t knee;      /* id, or -1 */
	/* Two axes: the marginal value curve along the cost-ordered frontier. */
	double *marginal;  /* per configuration index: perf gained per unit of cost over the next cheaper step; NaN */
	size_t pa, ca;     /* which axis is performance, which cost */
	double threshold;  /* --threshold, NaN when not given */
	int64_t saturation;/* id of the first step that no longer pays, -1 if none */
} frontier;

static int parse_axes(cli_decide *d, const char *spec, frontier *fr)
{
	char buf[1024], *tok, *save = NULL;
	if (strlen(spec) >= sizeof buf) {
		cli_error("--objectives is too long");
		return -1;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (fr->d == MAX_AXES) {
			cli_error("at most %d objectives", MAX_AXES);
			return -1;
		}
		if (bo__axis_parse(&d->c, tok, &fr->ax[fr->d]) < 0) {
			cli_error("--objectives: %s", bo_error_last());
			return -1;
		}
		fr->d++;
	}
	if (fr->d < 2) {
		cli_error("--objectives needs at least two axes, such as +accuracy,cost");
		return -1;
	}
	return 0;
}

static int default_axes(cli_decide *d, frontier *fr)
{
	const bo_study *s = d->s;
	size_t i;
	for (i = 0; i < s->nobjectives && i < MAX_AXES; i++)
		bo__axis_objective(s, i, &fr->ax[fr->d++]);
	if (fr->d == 0 && s->score) {
		bo__axis_parse(&d->c, "score", &fr->ax[fr->d++]);
	}
	if (fr->d == 1) {
		if (d->c.catalog) {
			cli_error("a catalog has no search cost: give two axes with --objectives");
			return -1;
		}
		bo__axis_parse(&d->c, "cost", &fr->ax[fr->d++]);
	}
	if (fr->d == 0) {
		cli_error("the study has no objectives and no score: give axes with --objectives");
		return -1;
	}
	return 0;
}

/* Oriented for minimisation. */
static double minv(const cli_decide *d, const frontier *fr, size_t i, size_t k)
{
	return bo__axis_value(&d->c, i, &fr->ax[k]) * -fr->ax[k].goal;
}

static int cmp_first_axis(const void *a, const void *b, void *ud)
{
	void **u = ud;
	const cli_decide *d = u[0];
	const frontier *fr = u[1];
	size_t i = *(const size_t *)a, j = *(const size_t *)b, k;
	for (k = 0; k < fr->d; k++) {
		double x = minv(d, fr, i, k), y = minv(d, fr, j, k);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return d->c.v[i].id < d->c.v[j].id ? -1 : d->c.v[i].id > d->c.v[j].id;
}

static int compute(cli_decide *d, frontier *fr, const char *refspec)
{
	double *pts = NULL, *fp = NULL;
	size_t i, k;
	int rc = -1;
	void *ud[2];

	fr->idx = calloc(d->c.n + 1, sizeof *fr->idx);
	fr->front = calloc(d->c.n + 1, sizeof *fr->front);
	fr->rank = calloc(d->c.n + 1, sizeof *fr->rank);
	pts = calloc((d->c.n + 1) * fr->d, sizeof *pts);
	fp = calloc((d->c.n + 1) * fr->d, sizeof *fp);
	if (!fr->idx || !fr->front || !fr->rank || !pts || !fp) {
		cli_error("out of memory");
		goto done;
	}
	for (i = 0; i < d->c.n; i++) {
		int ok = d->c.v[i].usable && d->c.v[i].feasible == 1;
		for (k = 0; ok && k < fr->d; k++)
			ok = isfinite(bo__axis_value(&d->c, i, &fr->ax[k]));
		if (!ok)
			continue;
		for (k = 0; k < fr->d; k++)
			pts[fr->n * fr->d + k] = minv(d, fr, i, k);
		fr->idx[fr->n++] = i;
	}
	if (bo_ndsort(pts, fr->n, fr->d, fr->rank, NULL) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	for (i = 0; i < fr->n; i++)
		if (fr->rank[i] == 0)
			fr->front[fr->nfront++] = fr->idx[i];
	ud[0] = d;
	ud[1] = fr;
	qsort_r(fr->front, fr->nfront, sizeof *fr->front, cmp_first_axis, ud);

	/* Reference point, in the axes' own orientation. */
	for (k = 0; k < fr->d; k++) {
		double lo = INFINITY, hi = -INFINITY;
		for (i = 0; i < fr->nfront; i++) {
			double v = minv(d, fr, fr->front[i], k);
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
		if (fr->nfront == 0)
			lo = hi = 0;
		fr->ref[k] = (hi + (hi > lo ? REF_MARGIN * (hi - lo) : 1.0)) * -fr->ax[k].goal;
	}
	if (refspec) {
		char *end;
		const char *p = refspec;
		for (k = 0; k < fr->d; k++) {
			fr->ref[k] = strtod(p, &end);
			if (end == p || (k + 1 < fr->d && *end != ',') || (k + 1 == fr->d && *end)) {
				cli_error("--ref needs %zu numbers separated by commas, one per axis", fr->d);
				goto done;
			}
			p = end + 1;
		}
	}
	{
		double ref[MAX_AXES];
		for (k = 0; k < fr->d; k++)
			ref[k] = fr->ref[k] * -fr->ax[k].goal;
		for (i = 0; i < fr->nfront; i++)
			for (k = 0; k < fr->d; k++)
				fp[i * fr->d + k] = minv(d, fr, fr->front[i], k);
		if (bo_hypervolume(fp, fr->nfront, fr->d, ref, &fr->hv, NULL) < 0) {
			cli_error("%s", bo_error_last());
			goto done;
		}
	}
	/* The knee of a two-axis frontier: perf is the maximised axis (the
	 * first when both or neither are), cost the other. */
	fr->knee = -1;
	fr->saturation = -1;
	fr->marginal = calloc(d->c.n + 1, sizeof *fr->marginal);
	if (!fr->marginal) {
		cli_error("out of memory");
		goto done;
	}
	for (i = 0; i < d->c.n; i++)
		fr->marginal[i] = NAN;
	fr->pa = (fr->ax[0].goal > 0 || fr->ax[1 % fr->d].goal < 0) ? 0 : 1;
	fr->ca = 1 - fr->pa;
	if (fr->d == 2 && fr->nfront >= 1) {
		size_t pa = fr->pa, ca = fr->ca, nsteps, knee;
		double *cost = calloc(fr->nfront, sizeof *cost), *perf = calloc(fr->nfront, sizeof *perf);
		bo_front_step *steps = calloc(fr->nfront, sizeof *steps);
		if (!cost || !perf || !steps) {
			free(cost);
			free(perf);
			free(steps);
			cli_error("out of memory");
			goto done;
		}
		for (i = 0; i < fr->nfront; i++) {
			cost[i] = minv(d, fr, fr->front[i], ca);
			perf[i] = -minv(d, fr, fr->front[i], pa);
		}
		if (bo_front2(cost, perf, fr->nfront, steps, &nsteps, &knee) == 0) {
			if (knee != (size_t)-1)
				fr->knee = d->c.v[fr->front[steps[knee].index]].id;
			/* Marginals are per unit of the cost axis as reported. */
			for (i = 0; i < nsteps; i++)
				fr->marginal[fr->front[steps[i].index]] = steps[i].marginal;
			if (!isnan(fr->threshold)) {
				size_t sat = bo_front2_saturation(steps, nsteps, fr->threshold);
				if (sat < nsteps)
					fr->saturation = d->c.v[fr->front[steps[sat].index]].id;
			}
		}
		free(cost);
		free(perf);
		free(steps);
	}
	rc = 0;
done:
	free(pts);
	free(fp);
	return rc;
}

static const char *goal_name(int g)
{
	return g > 0 ? "maximize" : "minimize";
}

/* Why configuration i is not on the frontier. */
static void why_not(const cli_decide *d, const frontier *fr, size_t i, const char **status, char *why,
		    size_t size)
{
	const bo_config *c = &d->c.v[i];
	size_t k, j;
	if (!c->usable) {
		*status = "failed";
		snprintf(why, size, "%s", c->why ? c->why : "not complete");
		return;
	}
	if (c->feasible != 1) {
		*status = "infeasible";
		snprintf(why, size, "%s", c->why ? c->why : "breaks a guardrail");
		return;
	}
	for (k = 0; k < fr->d; k++) {
		if (!isfinite(bo__axis_value(&d->c, i, &fr->ax[k]))) {
			*status = "failed";
			snprintf(why, size, "no value for %s", fr->ax[k].name);
			return;
		}
	}
	*status = "dominated";
	snprintf(why, size, "dominated");
	for (j = 0; j < fr->nfront; j++) {
		size_t f = fr->front[j];
		int no_worse = 1, better = 0;
		for (k = 0; k < fr->d; k++) {
			double a = minv(d, fr, f, k), b = minv(d, fr, i, k);
			no_worse &= a <= b;
			better |= a < b;
		}
		if (no_worse && better) {
			snprintf(why, size, "dominated by %lld", (long long)d->c.v[f].id);
			return;
		}
	}
	if (fr->nfront && !isnan(bo__axis_value(&d->c, i, &fr->ax[0])))
		snprintf(why, size, "equal to a frontier configuration");
}

static int on_front(const frontier *fr, size_t i)
{
	size_t j;
	for (j = 0; j < fr->nfront; j++)
		if (fr->front[j] == i)
			return 1;
	return 0;
}

static void print_json(const cli_decide *d, const frontier *fr, int all)
{
	size_t i, k;
	printf("{\"axes\": [");
	for (k = 0; k < fr->d; k++)
		printf("%s{\"name\": \"%s\", \"goal\": \"%s\"}", k ? ", " : "", fr->ax[k].name,
		       goal_name(fr->ax[k].goal));
	printf("],\n \"reference_point\": [");
	for (k = 0; k < fr->d; k++) {
		fputs(k ? ", " : "", stdout);
		cli_json_num(stdout, fr->ref[k]);
	}
	printf("],\n \"hypervolume\": ");
	cli_json_num(stdout, fr->hv);
	printf(",\n \"knee\": ");
	if (fr->knee >= 0)
		printf("%lld", (long long)fr->knee);
	else
		printf("null");
	printf(",\n \"saturation\": ");
	if (fr->saturation >= 0)
		printf("%lld", (long long)fr->saturation);
	else
		printf("null");
	printf(",\n \"frontier\": [");
	for (i = 0; i < fr->nfront; i++) {
		size_t c = fr->front[i];
		printf("%s\n  {\"id\": %lld, \"params\": %s, \"values\": {", i ? "," : "",
		       (long long)d->c.v[c].id, d->c.v[c].params_json);
		for (k = 0; k < fr->d; k++) {
			printf("%s\"%s\": ", k ? ", " : "", fr->ax[k].name);
			cli_json_num(stdout, bo__axis_value(&d->c, c, &fr->ax[k]));
		}
		printf("}, \"metrics\": ");
		cli_json_metrics(stdout, d, c);
		printf(", \"cost\": ");
		cli_json_num(stdout, d->c.v[c].cost);
		printf(", \"score\": ");
		cli_json_num(stdout, d->c.v[c].score);
		printf(", \"marginal\": ");
		cli_json_num(stdout, fr->marginal[c]);
		printf(", \"knee\": %s}", d->c.v[c].id == fr->knee ? "true" : "false");
	}
	printf("]");
	if (all) {
		int first = 1;
		printf(",\n \"others\": [");
		for (i = 0; i < d->c.n; i++) {
			const char *status;
			char why[600], *p;
			if (on_front(fr, i))
				continue;
			why_not(d, fr, i, &status, why, sizeof why);
			for (p = why; *p; p++)
				if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
					*p = '\'';
			printf("%s\n  {\"id\": %lld, \"status\": \"%s\", \"why\": \"%s\"}", first ? "" : ",",
			       (long long)d->c.v[i].id, status, why);
			first = 0;
		}
		printf("]");
	}
	printf("}\n");
}

static void print_csv(const cli_decide *d, const frontier *fr, int all)
{
	size_t i, k;
	printf("id,status");
	for (k = 0; k < fr->d; k++)
		printf(",%s", fr->ax[k].name);
	printf(",cost,score,knee,params,why\n");
	for (i = 0; i < d->c.n; i++) {
		int on = on_front(fr, i);
		const char *status = "frontier";
		char why[600] = "";
		if (!on && !all)
			continue;
		if (!on)
			why_not(d, fr, i, &status, why, sizeof why);
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
}

static void print_text(const cli_decide *d, const frontier *fr, int all)
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
		if (on_front(fr, i))
			continue;
		why_not(d, fr, i, &status, why, sizeof why);
		printf("   %8lld  %-10s  %s\n", (long long)d->c.v[i].id, status, why);
	}
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
	frontier fr;
	const char *objectives = NULL, *ref = NULL;
	int c, all = 0, ret;
	char *end;

	memset(&d, 0, sizeof d);
	memset(&fr, 0, sizeof fr);
	fr.threshold = NAN;
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
	if ((objectives ? parse_axes(&d, objectives, &fr) : default_axes(&d, &fr)) < 0)
		goto done;
	if (compute(&d, &fr, ref) < 0)
		goto done;
	if (!strcmp(d.format, "json"))
		print_json(&d, &fr, all);
	else if (!strcmp(d.format, "csv"))
		print_csv(&d, &fr, all);
	else
		print_text(&d, &fr, all);
	ret = EXIT_OK;
done:
	free(fr.idx);
	free(fr.front);
	free(fr.rank);
	free(fr.marginal);
	cli_decide_free(&d);
	return ret;
}
