/*
 * cli/cmd_observe.c - `budgetopt observe`: records dated observations of
 * uncertain prices and inputs in the ledger ("observe" events), and the
 * rule every command that reads the ledger applies to them before judging
 * anything (cli_apply_observations): a normal or lognormal entry of the
 * study is updated by the conjugate rule of core/dist.c (bo__dist_observe).
 * The study file is never changed: its distributions stay the prior.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/dist.h"
#include "decide.h"

static const char help[] =
	"usage: budgetopt observe [options] study.yaml price|input NAME=VALUE [NAME=VALUE ...]\n\n"
	"Records dated observations of uncertain prices (NAME: a scalar price or TABLE.KEY)\n"
	"or inputs in the study's ledger. select, frontier, report, whatif and status\n"
	"then update each observed normal or lognormal entry by its conjugate rule:\n"
	"N(m, s) after n observations x is N((m + sum x) / (1 + n), s / sqrt(1 + n));\n"
	"a lognormal the same on log x. Runs nothing; the study file is not changed.\n\n"
	"options:\n"
	"  --storage URI   the ledger (default <study folder>/<name>.db; it must exist)\n"
	"  --help          this help\n";

int cli_apply_observations(bo_study *s, bo_storage *st, size_t *nobs, char *last, size_t lastlen)
{
	bo_event *e = NULL;
	const char **detail = NULL;
	double *x = NULL;
	size_t n = 0, i, m = 0, ignored = 0;
	int rc = 0;
	*nobs = 0;
	if (last && lastlen)
		last[0] = '\0';
	if (st->ops->events(st, &e, &n) < 0) {
		cli_error("%s", bo_error_last());
		return -1;
	}
	if (!(x = calloc(n + 1, sizeof *x)) || !(detail = calloc(n + 1, sizeof *detail))) {
		cli_error("out of memory");
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].kind, "observe") && e[i].detail) {
			detail[m] = e[i].detail;
			x[m++] = e[i].amount;
		}
	if (bo__study_observe(s, detail, x, m, nobs, &ignored) < 0) {
		cli_error("%s", bo_error_last());
		rc = -1;
		goto out;
	}
	if (ignored)
		cli_warn("%zu of the ledger's observations are ignored: the study has no normal or lognormal "
			 "entry of their name now", ignored);
	for (i = n; last && lastlen && i-- > 0;)
		if (!strcmp(e[i].kind, "observe") && e[i].detail) {
			char when[40];
			time_t t = (time_t)e[i].t;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
			snprintf(last, lastlen, "%s=%.17g on %s", e[i].detail, e[i].amount, when);
			break;
		}
out:
	free(x);
	free(detail);
	bo__event_free_array(e, n);
	return rc;
}

int cmd_observe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"storage", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *storage = NULL;
	bo_study *s = NULL;
	bo_storage *st = NULL;
	int c, is_price, ret = EXIT_USAGE, k;
	double now = (double)time(NULL);

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': storage = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 3 || (strcmp(argv[optind + 1], "price") && strcmp(argv[optind + 1], "input"))) {
		cli_error("give the study file, price or input, and NAME=VALUE (such as: observe study.yaml "
			  "price gpu_hours.a100=2.9)");
		return EXIT_USAGE;
	}
	is_price = !strcmp(argv[optind + 1], "price");
	if (!(s = cli_load_study(argv[optind])))
		return EXIT_USAGE;
	/* check every observation before recording any */
	for (k = optind + 2; k < argc; k++) {
		char name[256], *eq = strchr(argv[k], '='), *end;
		double v, *value, one;
		bo_dist **d, copy;
		if (!eq || eq == argv[k] || (size_t)(eq - argv[k]) >= sizeof name) {
			cli_error("\"%s\": expected NAME=VALUE", argv[k]);
			goto done;
		}
		memcpy(name, argv[k], (size_t)(eq - argv[k]));
		name[eq - argv[k]] = '\0';
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || !isfinite(v)) {
			cli_error("\"%s\": the value must be a number", argv[k]);
			goto done;
		}
		if (!(d = bo__study_find_dist(s, is_price, name, &value))) {
			cli_error("the study has no %s \"%s\"%s", argv[optind + 1], name,
				  is_price ? " (a scalar price, or TABLE.KEY)" : "");
			goto done;
		}
		if (!*d || ((*d)->kind != BO_DIST_NORMAL && (*d)->kind != BO_DIST_LOGNORMAL)) {
			cli_error("%s \"%s\" is %s%s: observations update normal and lognormal entries only",
				  argv[optind + 1], name, *d ? "" : "a fixed number",
				  *d ? bo__dist_kind_name((*d)->kind) : "");
			goto done;
		}
		copy = **d;
		one = v;
		if (bo__dist_observe(&copy, &one, 1) < 0) {
			cli_error("\"%s\": a lognormal's observation must be > 0", argv[k]);
			goto done;
		}
	}
	ret = EXIT_RUN_FAILED;
	if (!(st = cli_open_ledger(s, storage, 0))) {
		ret = cli_ledger_failure();
		goto done;
	}
	for (k = optind + 2; k < argc; k++) {
		char detail[300], *eq = strchr(argv[k], '=');
		snprintf(detail, sizeof detail, "%s %.*s", argv[optind + 1], (int)(eq - argv[k]), argv[k]);
		if (st->ops->event(st, 0, 0, "observe", strtod(eq + 1, NULL), detail, now) < 0) {
			cli_error("%s", bo_error_last());
			goto done;
		}
	}
	/* what the entries are now, with every observation so far */
	{
		size_t nobs;
		if (cli_apply_observations(s, st, &nobs, NULL, 0) < 0)
			goto done;
		for (k = optind + 2; k < argc; k++) {
			char name[256], *eq = strchr(argv[k], '=');
			double *value;
			bo_dist **d;
			snprintf(name, sizeof name, "%.*s", (int)(eq - argv[k]), argv[k]);
			d = bo__study_find_dist(s, is_price, name, &value);
			if ((*d)->kind == BO_DIST_NORMAL)
				printf("recorded %s %s=%s: now normal [%.6g, %.6g], mean %.6g\n", argv[optind + 1], name,
				       eq + 1, (*d)->p[0], (*d)->p[1], (*d)->mean);
			else
				printf("recorded %s %s=%s: now lognormal {median: %.6g, p95: %.6g}, mean %.6g\n",
				       argv[optind + 1], name, eq + 1, exp((*d)->p[0]),
				       exp((*d)->p[0] + BO_Z95 * (*d)->p[1]), (*d)->mean);
		}
		printf("%zu observation%s in the ledger; select, frontier, report and status use them\n", nobs,
		       nobs == 1 ? "" : "s");
	}
	ret = EXIT_OK;
done:
	bo__storage_close(st);
	bo_study_free(s);
	return ret;
}
