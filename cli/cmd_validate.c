/*
 * cli/cmd_validate.c - `budgetopt validate [--catalog FILE] study.yaml...`:
 * check study files, and optionally each against a catalog table.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/configs.h"
#include "cli.h"
#include "decide.h"
#include "core/csv.h"
#include "core/model.h"

static const char help[] =
	"usage: budgetopt validate [--catalog FILE] study.yaml...\n\n"
	"Checks each study file and prints every problem as file:line:column with a\n"
	"hint. With --catalog, also checks each study against that CSV table: the\n"
	"columns it reads exist, parameter cells are values of their parameters,\n"
	"metric cells are numbers, labels of `choice: from_catalog` parameters are\n"
	"read; every bad cell is listed (the first 20, then how many more).\n"
	"Exit status 0 when all are valid, 2 otherwise.\n\n"
	"options:\n"
	"  --catalog FILE    a CSV table of configurations to check the studies against\n"
	"  --                the arguments that follow are file names\n";

/* Checks study s against the catalog; prints a summary or every problem.
 * Returns 0 or -1. */
static int check_catalog(bo_study *s, const char *study_path, const char *path,
			 const bo_csv *csv)
{
	bo_configs c;
	size_t i, usable = 0, first_bad = (size_t)-1;
	int rc;
	memset(&c, 0, sizeof c);
	if ((rc = bo__study_catalog_labels(s, csv, path)) == 0 &&
	    (rc = bo__configs_init(&c, s, NULL, 0, NULL)) == 0)
		rc = bo__configs_add_csv(&c, csv, path);
	if (rc < 0) {
		cli_error("%s", bo_error_last());
		bo__configs_clear(&c);
		return -1;
	}
	for (i = 0; i < c.n; i++) {
		if (c.v[i].usable)
			usable++;
		else if (first_bad == (size_t)-1)
			first_bad = i;
	}
	printf("%s: ok for %s: %zu rows, %zu usable, %zu not usable, %zu left out by catalog: where\n",
	       path, study_path, csv->nrows, usable, c.n - usable, c.nremoved);
	if (first_bad != (size_t)-1) {
		char name[300];
		printf("%s: first row not usable: %s: %s\n", path,
		       bo__config_name(&c, first_bad, name, sizeof name), c.v[first_bad].why);
	}
	for (i = 0; i < s->nparams; i++) {
		const bo_param *p = &s->params[i];
		size_t k;
		if (!p->from_catalog)
			continue;
		printf("%s: labels of \"%s\" from column \"%s\":", path, p->name,
		       bo__catalog_column(s, p->name));
		for (k = 0; k < p->nchoices; k++)
			printf("%s %s", k ? "," : "", p->choices[k]);
		printf("\n");
	}
	bo__configs_clear(&c);
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"catalog", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *catalog = NULL;
	bo_csv *csv = NULL;
	int i, c, bad = 0, ret = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': catalog = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default:
			if (optopt == 'c')
				cli_error("--catalog needs a file name");
			else
				cli_error("unknown option %s (file names that start with '-' go after --)",
					  argv[optind - 1]);
			fputs(help, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (catalog) {
		size_t len = 0;
		char *text = cli_read_file(catalog, &len);
		int rc;
		if (!text) {
			cli_error("cannot read catalog %s: %s", catalog, strerror(errno));
			goto done;
		}
		rc = bo__csv_parse(&csv, text, len, catalog);
		free(text);
		if (rc < 0) {
			cli_error("%s", bo_error_last());
			goto done;
		}
	}
	for (i = optind; i < argc; i++) {
		bo_study *s = cli_load_study(argv[i]);
		const char *needs;
		if (!s) {
			bad = 1;
			continue;
		}
		printf("%s: ok: study \"%s\", %zu parameters, %zu metrics, %zu derived, %zu guardrails\n",
		       argv[i], s->name, s->nparams, s->nmetrics, s->nderived, s->nguardrails);
		cli_warn_certain_chance(s);
		needs = bo__study_needs_catalog(s);
		if (csv && check_catalog(s, argv[i], catalog, csv) < 0)
			bad = 1;
		else if (!csv && needs)
			printf("%s: note: parameter \"%s\" takes its labels from a catalog (choice: from_catalog): check them with validate --catalog FILE %s\n",
			       argv[i], needs, argv[i]);
		bo_study_free(s);
	}
	ret = bad ? EXIT_USAGE : EXIT_OK;
done:
	bo__csv_free(csv);
	return ret;
}
