/*
 * cli/cmd_import_optuna.c - `budgetopt import-optuna sqlite:///optuna.db
 * --study NAME --to study.yaml`: an Optuna study as a budgetopt study file
 * and ledger (runner/import_optuna.h; docs/optuna.md).
 *
 * Order: everything is read and checked first; the ledger is built aside
 * and linked into place; the study file last, through a temporary file and
 * a rename. A failure at any step leaves no ledger and no study file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/alloc.h"
#include "runner/import_optuna.h"

static const char help[] =
	"usage: budgetopt import-optuna SOURCE --study NAME --to study.yaml [options]\n\n"
	"Reads an Optuna study from its SQLite storage SOURCE (sqlite:///optuna.db, as Optuna\n"
	"names it, or a path; opened read-only) and writes a study file and a ledger with\n"
	"every trial: space, parameters, objective values, states, intermediate values,\n"
	"constraints (as guardrails), times and cost. See docs/optuna.md.\n\n"
	"options:\n"
	"  --study NAME          the Optuna study to import (required)\n"
	"  --to FILE             the study file to write (required; not overwritten)\n"
	"  --storage URI         the ledger to create (default: the study's, <name>.db beside FILE)\n"
	"  --name NAME           the budgetopt study's name (default: the Optuna study's)\n"
	"  --cost-attr KEY       the user attribute holding each trial's cost (default: cost)\n"
	"  --usage-attr KEY=RES  user attribute KEY is usage of resource RES (repeatable;\n"
	"                        default: every numeric attribute is usage of its own name)\n"
	"  --price RES=PRICE     unit price of resource RES in the price book (repeatable)\n"
	"  --currency CODE       the price book's currency (default: USD)\n";

static int add_map(bo_optuna_map **m, size_t *n, size_t *cap, char *arg, const char *opt)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1]) {
		cli_error("%s %s: expected KEY=VALUE", opt, arg);
		return -1;
	}
	if (bo__grow(m, cap, *n + 1, sizeof **m) < 0) {
		cli_error("out of memory");
		return -1;
	}
	*eq = '\0';
	(*m)[*n].from = arg;
	(*m)[(*n)++].to = eq + 1;
	return 0;
}

/* Writes text to tmp (created anew, synced). */
static int write_tmp(const char *tmp, const char *text)
{
	FILE *f;
	int ok;
	if (!(f = fopen(tmp, "wx"))) {
		cli_error("cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	ok = fputs(text, f) >= 0;
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok) {
		cli_error("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_import_optuna(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"study", required_argument, NULL, 'S'},
		{"to", required_argument, NULL, 't'},
		{"storage", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"cost-attr", required_argument, NULL, 'c'},
		{"usage-attr", required_argument, NULL, 'u'},
		{"price", required_argument, NULL, 'p'},
		{"currency", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_optuna_import_options o = BO_OPTUNA_IMPORT_OPTIONS_INIT;
	bo_optuna_import imp;
	bo_optuna_map *usage = NULL, *prices = NULL;
	size_t capu = 0, capp = 0;
	bo_strbuf notes = BO_STRBUF_INIT;
	struct stat sb;
	char tmp[4200];
	int c, rc, ret = EXIT_USAGE;

	memset(&imp, 0, sizeof imp);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': o.study = optarg; break;
		case 't': o.to = optarg; break;
		case 's': o.storage = optarg; break;
		case 'n': o.name = optarg; break;
		case 'c': o.cost_attr = optarg; break;
		case 'C': o.currency = optarg; break;
		case 'u':
			if (add_map(&usage, &o.nusage, &capu, optarg, "--usage-attr") < 0)
				goto done;
			break;
		case 'p':
			if (add_map(&prices, &o.nprices, &capp, optarg, "--price") < 0)
				goto done;
			break;
		case 'h': fputs(help, stdout); ret = EXIT_OK; goto done;
		default: fputs(help, stderr); goto done;
		}
	}
	o.usage = usage;
	o.prices = prices;
	if (optind != argc - 1 || !o.study || !o.to) {
		fputs(help, stderr);
		goto done;
	}
	o.source = argv[optind];
	if (stat(o.to, &sb) == 0) {
		cli_error("%s already exists: import-optuna writes a new study file", o.to);
		goto done;
	}
	if ((rc = bo__optuna_prepare(&imp, &o, &notes)) < 0) {
		cli_error("%s", bo_error_last());
		ret = rc == BO_EIO || rc == BO_ENOMEM ? EXIT_RUN_FAILED : EXIT_USAGE;
		goto done;
	}
	/* The study file is written aside first, linked into place (never
	 * over a file) once the ledger is. */
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o.to, (long)getpid());
	if (write_tmp(tmp, imp.yaml) < 0) {
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	if ((rc = bo__optuna_write_ledger(&imp, &o)) < 0) {
		cli_error("%s", bo_error_last());
		unlink(tmp);
		ret = rc == BO_ECONFLICT || rc == BO_EINVAL ? EXIT_USAGE : EXIT_RUN_FAILED;
		goto done;
	}
	if (link(tmp, o.to) < 0) {
		cli_error("cannot create %s: %s; the ledger %s holds the imported trials and %s the "
			  "study file", o.to, strerror(errno), imp.ledger, tmp);
		ret = EXIT_RUN_FAILED;
		goto done;
	}
	unlink(tmp);
	if (notes.len && notes.s)
		fputs(notes.s, stderr);
	{
		char money[64];
		cli_fmt_money(imp.spent, imp.study->prices.currency, money, sizeof money);
		printf("imported %zu trials of Optuna study \"%s\" (%zu parameters, %zu objective%s, %s)\n"
		       "study file: %s\nledger:     %s\n"
		       "next: edit the evaluator (and a budget) in %s, then `budgetopt status %s`\n",
		       imp.ntrials, imp.optuna.name, imp.study->nparams, imp.study->nobjectives,
		       imp.study->nobjectives == 1 ? "" : "s", money, o.to,
		       imp.ledger, o.to, o.to);
	}
	ret = EXIT_OK;
done:
	bo__optuna_import_clear(&imp);
	bo__sb_clear(&notes);
	bo__free(usage);
	bo__free(prices);
	return ret;
}
