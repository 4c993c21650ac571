/*
 * cli/cmd_whatif.c - `budgetopt whatif`: what moves when prices or inputs
 * change. The configurations are judged twice, under the study as it is
 * and under the changed one (the ledger's trials re-priced from their
 * stored usage), and the differences printed: the selection before and
 * after, frontier points in and out, spend re-stated. Stores nothing.
 * `budgetopt reprice` does the same with a whole new price book from a
 * file, and records it in the ledger as a "reprice" event.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	const char *prices_path;   /* reprice: the new price book's file */
	char prices_hash[65];
} changes;

static const char reprice_help[] =
	"usage: budgetopt reprice --prices new.yaml [options] study.yaml\n\n"
	"Re-prices every trial of the ledger from its stored usage under the price\n"
	"book of new.yaml (a file with a prices: mapping, written as in a study),\n"
	"prints what moved as whatif does, and records the new price book's version\n"
	"and hash and the re-stated spend in the ledger as a \"reprice\" event.\n"
	"Runs no trial and changes no trial's recorded cost.\n\n"
	"options:\n"
	"  --prices FILE         the new price book (required)\n" CLI_DECIDE_HELP;

/* reprice: the study's price book becomes the file's. */
static int edit_book(bo_study *s, const changes *cs)
{
	size_t len = 0;
	char *text = cli_read_file(cs->prices_path, &len);
	bo_diags *d = NULL;
	int rc;
	if (!text) {
		cli_error("cannot read %s: %s", cs->prices_path, strerror(errno));
		return -1;
	}
	rc = bo__study_read_prices(s, text, len, cs->prices_path, &d);
	free(text);
	if (rc < 0) {
		size_t i;
		for (i = 0; d && i < bo_diags_count(d); i++)
			cli_error("%s", bo_diags_get(d, i));
		if (!d)
			cli_error("%s", bo_error_last());
		bo_diags_free(d);
		return -1;
	}
	return 0;
}

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
	if (cs->prices_path)
		return edit_book(s, cs);
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

/* The spend of d's trials re-priced from their stored usage under d's own
 * price book: what "re-priced" is compared with, so that an unchanged
 * price book moves nothing. It differs from the recorded spend where a
 * trial was charged its cap (priced above it) or prices were observed. */
static double usage_spend(const cli_decide *d)
{
	double sum = 0;
	size_t i;
	for (i = 0; i < d->ntrials; i++) {
		double c = cli_repriced_cost(d->s, &d->trials[i]);
		if (isfinite(c))
			sum += c;
	}
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

/* Records the reprice in the ledger of b. Returns 0 or -1 after printing. */
static int record(const cli_decide *a, const cli_decide *b, const changes *cs)
{
	bo_storage *st = cli_open_ledger(b->s, b->storage, 0);
	char detail[1024];
	int rc;
	if (!st)
		return -1;
	snprintf(detail, sizeof detail,
		 "price book %s (%s, sha256 %s) replaces %s: spend %.17g re-stated as %.17g %s",
		 b->s->prices.version, cs->prices_path, cs->prices_hash, a->s->prices.version,
		 spend(a), spend(b), b->s->prices.currency);
	rc = st->ops->event(st, 0, 0, "reprice", spend(b), detail, (double)time(NULL));
	if (rc < 0)
		cli_error("%s", bo_error_last());
	bo__storage_close(st);
	return rc < 0 ? -1 : 0;
}

static int compare_main(int argc, char **argv, int reprice)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"price", required_argument, NULL, 'p'},
		{"input", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	static const struct option reprice_longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"prices", required_argument, NULL, 'P'},
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
	while ((c = getopt_long(argc, argv, "", reprice ? reprice_longopts : longopts, NULL)) != -1) {
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
		case 'P': cs.prices_path = optarg; break;
		case 'h': fputs(reprice ? reprice_help : help, stdout); return EXIT_OK;
		default: fputs(reprice ? reprice_help : help, stderr); return EXIT_USAGE;
		}
	}
	if (reprice) {
		size_t len = 0;
		char *text;
		if (!cs.prices_path) {
			cli_error("reprice needs --prices FILE (use whatif to try changes without recording)");
			return EXIT_USAGE;
		}
		if (a.catalog) {
			cli_error("reprice records into a ledger; a catalog has none (use whatif --catalog)");
			return EXIT_USAGE;
		}
		if (!(text = cli_read_file(cs.prices_path, &len))) {
			cli_error("cannot read %s: %s", cs.prices_path, strerror(errno));
			return EXIT_USAGE;
		}
		bo__sha256_hex(text, len, cs.prices_hash);
		free(text);
	} else if (!cs.n) {
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
			printf(", \"spend_before_repriced\": ");
			cli_json_num(stdout, usage_spend(&a));
			printf(", \"spend_after\": ");
			cli_json_num(stdout, spend(&b));
		}
		printf(", \"stored\": %s}\n", reprice ? "true" : "false");
	} else {
		if (reprice)
			printf("reprice: price book %s -> %s (%s)", a.s->prices.version,
			       b.s->prices.version, cs.prices_path);
		else
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
		if (!a.c.catalog) {
			double rec = spend(&a), before = usage_spend(&a);
			printf("spend: %.6g %s recorded", rec, a.s->prices.currency);
			if (fabs(before - rec) > 1e-9 * fmax(1.0, fabs(rec)))
				printf(" (%.6g from stored usage at the study's prices: a trial charged its "
				       "cap, or observed prices)", before);
			printf(", %.6g re-priced from stored usage (%+.6g)\n", spend(&b), spend(&b) - before);
		}
		if (!reprice)
			printf("nothing was stored\n");
	}
	if (reprice) {
		if (record(&a, &b, &cs) < 0)
			goto done;
		if (strcmp(a.format, "json"))
			printf("recorded: a \"reprice\" event in the ledger (trials' recorded costs unchanged)\n");
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

int cmd_whatif(int argc, char **argv)
{
	return compare_main(argc, argv, 0);
}

int cmd_reprice(int argc, char **argv)
{
	return compare_main(argc, argv, 1);
}
