/*
 * cli/cmd_copy.c - `budgetopt copy --from URI --to URI`: moves a study,
 * whole, between ledgers (SQLite <-> PostgreSQL, SQLite -> SQLite), and
 * prints each table's row count and checksum on both sides.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "storage/copy.h"

static const char help[] =
	"usage: budgetopt copy --from URI --to URI [options]\n\n"
	"Copies a study, whole (every table of its ledger), from one ledger to another:\n"
	"SQLite to PostgreSQL, PostgreSQL to SQLite, or SQLite to SQLite. Afterwards each\n"
	"table is counted and checksummed on both sides; any difference exits 1.\n\n"
	"options:\n"
	"  --from URI     the ledger to copy from: sqlite:PATH, a path, or postgresql://...\n"
	"  --to URI       the ledger to copy into (created when missing)\n"
	"  --study NAME   refuse unless the source holds study NAME\n"
	"  --replace      overwrite a destination that already holds a study\n"
	"  --heartbeat-timeout SEC\n"
	"                 a session on another host counts as live this long after its\n"
	"                 last heartbeat (default 60): the copy refuses a live study\n"
	"  -q, --quiet    print nothing on success\n"
	"  --help         print this help\n";

int cmd_copy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"study", required_argument, NULL, 'S'},
		{"replace", no_argument, NULL, 'r'},
		{"heartbeat-timeout", required_argument, NULL, 'H'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_copy_options o = BO_COPY_OPTIONS_INIT;
	bo_copy_result *res = NULL;
	const char *from = NULL, *to = NULL;
	int c, rc, quiet = 0, ret = EXIT_RUN_FAILED;
	size_t i;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'S': o.study = optarg; break;
		case 'r': o.replace = 1; break;
		case 'H':
			o.heartbeat_timeout_s = strtod(optarg, &end);
			if (*end || end == optarg || !(o.heartbeat_timeout_s > 0)) {
				cli_error("--heartbeat-timeout needs a positive number of seconds, not \"%s\"",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || !from || !to) {
		if (optind != argc)
			cli_error("copy takes no study file: name the ledgers with --from and --to");
		else
			cli_error("copy needs --from URI and --to URI");
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (!(res = calloc(1, sizeof *res))) {
		cli_error("out of memory");
		return EXIT_RUN_FAILED;
	}
	rc = bo__storage_copy(from, to, &o, res);
	if (res->n && (!quiet || rc < 0)) {
		if (res->replaced[0])
			printf("replaced study \"%s\" in %s\n", res->replaced, to);
		printf("study \"%s\": %s -> %s\n", res->study, from, to);
		printf("%-15s %9s %9s  %-64s  %s\n", "table", "rows", "rows", "sha256 (from)", "sha256 (to)");
		for (i = 0; i < res->n; i++)
			printf("%-15s %9" PRId64 " %9" PRId64 "  %s  %s%s\n", res->t[i].name,
			       res->t[i].rows_from, res->t[i].rows_to, res->t[i].sum_from, res->t[i].sum_to,
			       res->t[i].rows_from == res->t[i].rows_to &&
					       !strcmp(res->t[i].sum_from, res->t[i].sum_to) ? "" : "  DIFFERS");
		if (res->verified)
			printf("verified: %zu tables, counts and checksums equal\n", res->n);
	}
	if (rc < 0) {
		cli_error("%s", bo_error_last());
		ret = cli_exit_code(rc);
		if (rc == BO_ENOTFOUND)
			ret = EXIT_USAGE;
		goto done;
	}
	ret = EXIT_OK;
done:
	free(res);
	return ret;
}
