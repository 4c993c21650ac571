/*
 * cli/main.c - the budgetopt program: a table of subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const bo_command commands[] = {
	{"validate", cmd_validate, "check a study file and report every problem"},
	{"run", cmd_run, "run (or resume) a study within its budgets"},
	{"status", cmd_status, "spend against budget, trials by state, best so far"},
	{"trials", cmd_trials, "list the trials of a study"},
	{"export", cmd_export, "write every trial as CSV or JSON"},
	{"frontier", cmd_frontier, "the cost/performance Pareto frontier, hypervolume and knee"},
	{"select", cmd_select, "recommend one configuration, and say why"},
	{"whatif", cmd_whatif, "what moves if prices or inputs change (stores nothing)"},
	{"reprice", cmd_reprice, "re-price the ledger under a new price book, and record it"},
	{"report", cmd_report, "a self-contained HTML (or Markdown) report with charts"},
	{"serve", cmd_serve, "a live dashboard and JSON API over HTTP (read-only)"},
	{"doctor", cmd_doctor, "check the ledger against its spend journal and trial folders; --repair"},
};

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: budgetopt <command> [options] study.yaml\n\n"
		   "Chooses machine-learning configurations under explicit budgets.\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'budgetopt <command> --help' describes a command; docs/study-file.md the study file.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("budgetopt %s\n", bo_version());
		return EXIT_OK;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			int rc = commands[i].run(argc - 1, argv + 1);
			cli_json_errors_flush(rc);
			return rc;
		}
	cli_error("unknown command \"%s\" (try budgetopt --help)", argv[1]);
	return EXIT_USAGE;
}
