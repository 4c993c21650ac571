/*
 * cli/main.c - the budgetopt program: a table of subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const bo_command commands[] = {
	{"validate", cmd_validate, "check a study file and report every problem"},
	{"run", cmd_run, "run (or resume) a study within its budgets"},
	{"worker", cmd_worker, "run trials of a study shared with other workers (PostgreSQL)"},
	{"status", cmd_status, "spend against budget, trials by state, best so far"},
	{"trials", cmd_trials, "list the trials of a study"},
	{"export", cmd_export, "write every trial as CSV, JSON or Optuna's CSV"},
	{"frontier", cmd_frontier, "the cost/performance Pareto frontier, hypervolume and knee"},
	{"select", cmd_select, "recommend one configuration, and say why"},
	{"whatif", cmd_whatif, "what moves if prices or inputs change (stores nothing)"},
	{"reprice", cmd_reprice, "re-price the ledger under a new price book, and record it"},
	{"observe", cmd_observe, "record observed prices or inputs; recommendations update"},
	{"report", cmd_report, "a self-contained HTML (or Markdown) report with charts"},
	{"serve", cmd_serve, "a live dashboard and JSON API over HTTP (read-only)"},
	{"import-optuna", cmd_import_optuna, "import an Optuna study (SQLite) as a study file and ledger"},
	{"copy", cmd_copy, "copy a study, whole and verified, between ledgers (SQLite, PostgreSQL)"},
	{"doctor", cmd_doctor, "check the ledger against its spend journal and trial folders; --repair"},
};

/* The options before a command. main() reads them itself; the table is
 * what `budgetopt --list-options` prints for budgetopt(1) and the
 * completion (man/README.md). */
static const struct option toplevel_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"commands", no_argument, NULL, 'c'},
	{"list-options", optional_argument, NULL, 'l'},
	{NULL, 0, NULL, 0}};

/* `budgetopt --list-options [CMD]`: the option table CMD's parser uses
 * (cli_getopt_long prints it and exits), or the table above. */
static int list_options(const char *name)
{
	size_t i;
	if (!name) {
		cli_print_options(stdout, "h", toplevel_options);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name)) {
			char *args[] = {(char *)commands[i].name, NULL};
			cli_listing_options = 1;
			commands[i].run(1, args);
			cli_listing_options = 0;
			cli_error("command \"%s\" did not parse its options with getopt_long, so they cannot be listed",
				  name);
			return EXIT_RUN_FAILED;
		}
	cli_error("unknown command \"%s\" (try budgetopt --commands)", name);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: budgetopt <command> [options] study.yaml\n\n"
		   "Chooses machine-learning configurations under explicit budgets.\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'budgetopt <command> --help' describes a command; docs/study-file.md the study file.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--commands")) {
		for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
			printf("%s\n", commands[i].name);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--list-options")) {
		if (argc > 3) {
			cli_error("usage: budgetopt --list-options [command]");
			return EXIT_USAGE;
		}
		return list_options(argc == 3 ? argv[2] : NULL);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		cli_print_version(stdout);
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
