/*
 * cli/cmd_doctor.c - `budgetopt doctor study.yaml`: checks the ledger
 * against its spend journal and trial folders, and with --repair rebuilds
 * what it can (runner/doctor.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/model.h"
#include "runner/doctor.h"

static const char help[] =
	"usage: budgetopt doctor [--storage URI] [--trials-dir DIR] [--repair] study.yaml\n\n"
	"Checks a study's ledger: SQLite's integrity check, and the ledger against\n"
	"its spend journal (<ledger>.spend, one line per trial start and charge) and\n"
	"its trial folders (each with a trial.record). Says what is wrong and what\n"
	"--repair would do. Every other command refuses a ledger that disagrees.\n\n"
	"  --storage URI     the ledger (default <study folder>/<name>.db)\n"
	"  --trials-dir DIR  the trial folders (default <ledger without .db>-trials)\n"
	"  --repair          put back trials the ledger lost, with the cost the journal\n"
	"                    or their folder records (never-charged ones as running, so\n"
	"                    the next run charges them); move a damaged, empty or\n"
	"                    missing ledger aside and rebuild it; re-derive a lost or\n"
	"                    damaged journal from the ledger\n\n"
	"Exit status: 0 healthy (or repaired), 1 problems found or left, 2 bad usage.\n";

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"storage", required_argument, NULL, 's'},
		{"trials-dir", required_argument, NULL, 't'},
		{"repair", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_doctor_options o;
	bo_strbuf out = BO_STRBUF_INIT;
	bo_study *s = NULL;
	int c, problems = 0, rc, ret = EXIT_USAGE;

	memset(&o, 0, sizeof o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.storage = optarg; break;
		case 't': o.trials_dir = optarg; break;
		case 'r': o.repair = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (!(s = cli_load_study(argv[optind])))
		return EXIT_USAGE;
	rc = bo__doctor(s, &o, &out, &problems);
	if (out.len)
		fputs(out.s, stdout);
	if (rc < 0) {
		cli_error("%s", bo_error_last());
		ret = EXIT_RUN_FAILED;
	} else {
		ret = problems ? EXIT_RUN_FAILED : EXIT_OK;
	}
	bo__sb_clear(&out);
	bo_study_free(s);
	return ret;
}
