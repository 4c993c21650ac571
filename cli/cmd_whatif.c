/*
 * cli/cmd_whatif.c - `budgetopt whatif`: what moves when prices or inputs
 * change. The configurations are judged twice, under the study as it is
 * and under the changed one (the ledger's trials re-priced from their
 * stored usage), and the differences printed: the selection before and
 * after, frontier points in and out, spend re-stated. Stores nothing.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/frontier.h"
#include "core/alloc.h"
#include "decide.h"

#define WHATIF_MAX_CHANGES 32

static const char help[] =
	"usage: budgetopt whatif [options] study.yaml\n"
	"       budgetopt whatif --catalog results.csv --study study.yaml [options]\n\n"
	"Judges the configurations under the study as it is and under changed\n"
	"prices or inputs, and prints what moved: the selection (the best score)\n"
	"before and after, frontier points in and out, and the ledger's spend\n"
	"re-stated from each trial's stored usage. Runs nothing, stores nothing.\n\n"
	"options:\n"
	"  --price NAME=CHANGE   change a price: NAME a scalar price (cpu_hours) or a\n"
	"                        table entry (gpu_hours.a100); CHANGE +30%, -10%, x2\n"
	"                        or =VALUE (repeatable)\n"
	"  --input NAME=CHANGE   change an input likewise (repeatable)\n" CLI_DECIDE_HELP
	"\nA relative change scales a distribution (its mean and spread alike);\n"
	"=VALUE makes the number a point.\n";

typedef struct change {
	int is_price;
	char name[128];
	int set;          /* =VALUE */
	double k;         /* factor, or the value when set */
	const char *text;
	double before, after;   /* means, for the report */
} change;

typedef struct changes {
	size_t n;
	change v[WHATIF_MAX_CHANGES];
} changes;

static int parse_change(changes *cs, const char *arg, int is_price)
{
	const char *eq = strchr(arg, '=');
	change *c;
	char *end;
	double v;
	if (cs->n == WHATIF_MAX_CHANGES) {
		cli_error("at most %d changes", WHATIF_MAX_CHANGES);
		return -1;
	}
	c = &cs->v[cs->n];
	memset(c, 0, sizeof *c);
	c->is_price = is_price;
	c->text = arg;
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof c->name) {
		cli_error("--%s %s: write NAME=CHANGE, such as %s", is_price ? "price" : "input", arg,
			  is_price ? "gpu_hours.a100=+30%" : "qps=x2");
		return -1;
	}
	memcpy(c->name, arg, (size_t)(eq - arg));
	eq++;
	if (*eq == 'x' || *eq == '*') {
		v = strtod(eq + 1, &end);
		c->k = v;
		if (end == eq + 1 || *end || !(v > 0) || !isfinite(v))
			goto bad;
	} else if (*eq == '+' || *eq == '-') {
		v = strtod(eq, &end);
		if (end == eq || strcmp(end, "%") || !isfinite(v) || !(v > -100))
			goto bad;
		c->k = 1 + v / 100;
	} else {
		if (*eq == '=')
			eq++;
		v = strtod(eq, &end);
		if (end == eq || *end || !isfinite(v))
			goto bad;
		c->set = 1;
		c->k = v;
	}
	if (is_price && c->set && c->k < 0) {
		cli_error("--price %s: a price must be >= 0", arg);
		return -1;
	}
	cs->n++;
	return 0;
bad:
	cli_error("--%s %s: the change must be +P%% or -P%% (above -100%%), xF with F > 0, or =VALUE",
		  is_price ? "price" : "input", arg);
	return -1;
}

/* Scales d by k > 0: every value it can take times k. */
static void scale_dist(bo_dist *d, double k)
{
	size_t i;
	switch (d->kind) {
	case BO_DIST_LOGNORMAL: d->p[0] += log(k); break;
	case BO_DIST_SAMPLES:
		for (i = 0; i < d->nsamples; i++)
			d->samples[i] *= k;
		break;
	default:
		d->p[0] *= k;
		d->p[1] *= k;
		d->p[2] *= k;
		break;
	}
	d->mean = bo__dist_mean(d);
}

/* Applies one change to a number and its distribution (which =VALUE
 * drops: the number becomes a point). */
static void apply(change *c, double *value, bo_dist **dist)
{
	c->before = *value;
	if (c->set) {
		*value = c->k;
		*dist = NULL;
	} else if (*dist) {
		scale_dist(*dist, c->k);
		*value = (*dist)->mean;
	} else {
		*value *= c->k;
	}
	c->after = *value;
}

static int edit(bo_study *s, void *ud)
{
	changes *cs = ud;
	size_t i, j;
	for (i = 0; i < cs->n; i++) {
		change *c = &cs->v[i];
		int k;
		if (!c->is_price) {
			if ((k = bo__study_find_input(s, c->name)) < 0) {
				cli_error("--input %s: the study has no input \"%s\"", c->text, c->name);
				return -1;
			}
			apply(c, &s->inputs[k].value, &s->inputs[k].dist);
			continue;
		}
		if ((k = bo__study_find_price(s, c->name)) >= 0 && !s->prices.items[k].is_table) {
			apply(c, &s->prices.items[k].value, &s->prices.items[k].dist);
			continue;
		}
		{
			char table[128];
			const char *dot = strrchr(c->name, '.');
			bo_price *p;
			if (!dot || (size_t)(dot - c->name) >= sizeof table)
				goto unknown;
			memcpy(table, c->name, (size_t)(dot - c->name));
			table[dot - c->name] = '\0';
			if ((k = bo__study_find_price(s, table)) < 0 || !s->prices.items[k].is_table)
				goto unknown;
			p = &s->prices.items[k];
			for (j = 0; j < p->nkeys && strcmp(p->keys[j], dot + 1); j++)
				;
			if (j == p->nkeys)
				goto unknown;
			{
				bo_dist *none = NULL;
				apply(c, &p->values[j], p->dists ? &p->dists[j] : &none);
			}
			continue;
		}
	unknown:
		cli_error("--price %s: the price book has no \"%s\" (a scalar price, or TABLE.KEY)",
			  c->text, c->name);
		return -1;
	}
	return 0;
}

/* The best by score (SIZE_MAX if none or no score). */
static size_t best(const cli_decide *d, size_t *order)
{
	bo_select_rule rule;
	size_t n = 0;
	if (!d->s->score)
		return (size_t)-1;
	memset(&rule, 0, sizeof rule);
	rule.rule = BO_SELECT_SCORE;
	if (bo__select_order(&d->c, &rule, order, &n) < 0 || n == 0)
		return (size_t)-1;
	return order[0];
}

static double spend(const cli_decide *d)
{
	double sum = 0;
	size_t i;
	for (i = 0; i < d->ntrials; i++)
		if (isfinite(d->trials[i].cost))
			sum += d->trials[i].cost;
	return sum;
}

static void json_ids(const cli_decide *d, const bo_frontier *in, const bo_frontier *out)
{
	size_t i, n = 0;
	printf("[");
	for (i = 0; i < d->c.n; i++)
		if (bo__frontier_on(in, i) && !bo__frontier_on(out, i))
			printf("%s%lld", n++ ? ", " : "", (long long)d->c.v[i].id);
	printf("]");
}

static void text_ids(const cli_decide *d, const bo_frontier *in, const bo_frontier *out)
{
	char name[160];
	size_t i, n = 0;
	for (i = 0; i < d->c.n; i++)
		if (bo__frontier_on(in, i) && !bo__frontier_on(out, i))
			printf("%s%s", n++ ? ", " : " ", bo__config_name(&d->c, i, name, sizeof name));
	if (!n)
		printf(" none");
	printf("\n");
}

int cmd_whatif(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"price", required_argument, NULL, 'p'},
		{"input", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide a, b;
	bo_frontier fa, fb;
	changes cs;
	size_t *order = NULL, sa, sb, i;
	char name[160];
	int c, ret;

	memset(&a, 0, sizeof a);
	memset(&cs, 0, sizeof cs);
	bo__frontier_init(&fa);
	bo__frontier_init(&fb);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int r = cli_decide_option(&a, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'p':
		case 'i':
			if (parse_change(&cs, optarg, c == 'p') < 0)
				return EXIT_USAGE;
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (!cs.n) {
		cli_error("nothing to change: give --price NAME=CHANGE or --input NAME=CHANGE");
		return EXIT_USAGE;
	}
	b = a;   /* the same options, before anything is loaded */
	b.edit = edit;
	b.edit_ud = &cs;
	b.reprice = 1;
	b.quiet = 1;
	if ((ret = cli_decide_load(&a, argc, argv, optind)) != 0 ||
	    (ret = cli_decide_load(&b, argc, argv, optind)) != 0)
		goto done;
	ret = EXIT_RUN_FAILED;
	if (a.c.n != b.c.n) {
		cli_error("the configurations differ after the change (a filter over a changed value?)");
		goto done;
	}
	if (!(order = calloc(a.c.n + 1, sizeof *order))) {
		cli_error("out of memory");
		goto done;
	}
	if (bo__frontier_default_axes(&a.c, &fa) < 0 || bo__frontier_compute(&a.c, &fa) < 0 ||
	    bo__frontier_default_axes(&b.c, &fb) < 0 || bo__frontier_compute(&b.c, &fb) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	sa = best(&a, order);
	sb = best(&b, order);
	if (!strcmp(a.format, "json")) {
		printf("{\"changes\": [");
		for (i = 0; i < cs.n; i++) {
			printf("%s{\"%s\": ", i ? ", " : "", cs.v[i].is_price ? "price" : "input");
			cli_json_string(stdout, cs.v[i].name);
			printf(", \"before\": ");
			cli_json_num(stdout, cs.v[i].before);
			printf(", \"after\": ");
			cli_json_num(stdout, cs.v[i].after);
			printf("}");
		}
		printf("],\n \"selected_before\": ");
		if (sa == (size_t)-1)
			printf("null");
		else
			printf("%lld", (long long)a.c.v[sa].id);
		printf(", \"selected_after\": ");
		if (sb == (size_t)-1)
			printf("null");
		else
			printf("%lld", (long long)b.c.v[sb].id);
		printf(",\n \"frontier_in\": ");
		json_ids(&b, &fb, &fa);
		printf(", \"frontier_out\": ");
		json_ids(&a, &fa, &fb);
		if (!a.c.catalog) {
			printf(",\n \"spend_before\": ");
			cli_json_num(stdout, spend(&a));
			printf(", \"spend_after\": ");
			cli_json_num(stdout, spend(&b));
		}
		printf(", \"stored\": false}\n");
	} else {
		printf("what if:");
		for (i = 0; i < cs.n; i++)
			printf("%s %s %s %.6g -> %.6g", i ? "," : "", cs.v[i].is_price ? "price" : "input",
			       cs.v[i].name, cs.v[i].before, cs.v[i].after);
		printf("\n");
		if (!a.s->score)
			printf("selection: the study has no score\n");
		else if (sa == sb && sa != (size_t)-1)
			printf("selection: unchanged, %s (score %.6g, was %.6g)\n",
			       bo__config_name(&a.c, sa, name, sizeof name), b.c.v[sb].score, a.c.v[sa].score);
		else {
			printf("selection: before %s", sa == (size_t)-1 ? "none"
					: bo__config_name(&a.c, sa, name, sizeof name));
			if (sa != (size_t)-1)
				printf(" (score %.6g)", a.c.v[sa].score);
			printf(", after %s", sb == (size_t)-1 ? "none"
					: bo__config_name(&b.c, sb, name, sizeof name));
			if (sb != (size_t)-1)
				printf(" (score %.6g) %s", b.c.v[sb].score, b.c.v[sb].params_json);
			printf("\n");
		}
		printf("frontier in:");
		text_ids(&b, &fb, &fa);
		printf("frontier out:");
		text_ids(&a, &fa, &fb);
		if (!a.c.catalog)
			printf("spend: %.6g %s recorded, %.6g re-priced from stored usage (%+.6g)\n",
			       spend(&a), a.s->prices.currency, spend(&b), spend(&b) - spend(&a));
		printf("nothing was stored\n");
	}
	ret = EXIT_OK;
done:
	free(order);
	bo__frontier_clear(&fa);
	bo__frontier_clear(&fb);
	cli_decide_free(&a);
	cli_decide_free(&b);
	return ret;
}
