/*
 * cli/cmd_validate.c - `budgetopt validate study.yaml`: check a study file.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/model.h"

static const char help[] =
	"usage: budgetopt validate study.yaml...\n\n"
	"Checks each study file and prints every problem as file:line:column with a\n"
	"hint. Exit status 0 when all are valid, 2 otherwise.\n";

int cmd_validate(int argc, char **argv)
{
	int i, bad = 0;
	if (cli_wants_help(argc, argv)) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		bo_study *s = cli_load_study(argv[i]);
		if (!s) {
			bad = 1;
			continue;
		}
		printf("%s: ok: study \"%s\", %zu parameters, %zu metrics, %zu derived, %zu guardrails\n",
		       argv[i], s->name, s->nparams, s->nmetrics, s->nderived, s->nguardrails);
		bo_study_free(s);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}
