/*
 * cli/cmd_worker.c - `budgetopt worker`: one of several processes, on any
 * hosts, running one study kept in PostgreSQL.
 *
 * Either a study file (registered as `run` does) or --study NAME, which
 * takes the definition stored in the ledger, so a worker host needs only
 * the evaluator and the URI. One log line per finished trial.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/alloc.h"
#include "core/model.h"
#include "storage/postgres.h"
#include "storage/storage.h"

static const char help[] =
	"usage: budgetopt worker [options] --storage postgresql://... study.yaml\n"
	"       budgetopt worker [options] --storage postgresql://... --study NAME\n\n"
	"Runs trials of a study shared by several workers through a PostgreSQL\n"
	"ledger: each worker asks with every worker's trials, reserves money under\n"
	"the study's budget lock (the workers together never pass the money budget),\n"
	"and fails and re-queues the trials of workers whose heartbeat stops.\n\n"
	"options:\n"
	"  --storage URI            the PostgreSQL ledger (postgresql://[user@]host[:port]/db);\n"
	"                           passwords only through ~/.pgpass, PGPASSFILE or PGSERVICE\n"
	"  --study NAME             take the study definition stored in the ledger\n"
	"  --seed N                 base seed (each worker derives its own)\n"
	"  --parallel N             evaluators at once in this worker\n"
	"  --trials-dir DIR         where this worker's trial folders go\n"
	"  --heartbeat-timeout SEC  a worker silent this long is dead (default 60)\n"
	"  -q, --quiet              no progress output\n\n"
	"Exit status 0 when the study stopped normally, 1 on a failure, 2 on bad\n"
	"input, 130 if interrupted.\n";

static void on_progress(void *ud, const bo_run_progress *p)
{
	int quiet = *(int *)ud;
	if (quiet)
		return;
	if (p->kind == BO_PROGRESS_NOTE) {
		fprintf(stderr, "budgetopt: %s\n", p->message);
	} else if (p->kind == BO_PROGRESS_TRIAL_DONE) {
		printf("trial %lld %s in %.2fs, cost %.6g [spent %.6g]\n", (long long)p->trial_id,
		       p->trial_state, p->trial_wall_s, p->trial_cost, p->spent);
		fflush(stdout);
	}
}

/* The newest definition stored in the ledger at uri, checked to be study name. */
static bo_study *stored_study(const char *uri, const char *name)
{
	bo_storage *st = NULL;
	bo_study *s = NULL;
	bo_diags *d = NULL;
	char *text = NULL;
	char cwd[4096];
	if (bo__storage_open(&st, uri) < 0) {
		cli_error("%s", bo_error_last());
		return NULL;
	}
	if (st->ops->study_text(st, &text) < 0) {
		cli_error("%s", bo_error_last());
	} else if (!text) {
		cli_error("%s holds no study yet: start one worker with the study file first", uri);
	} else if (!getcwd(cwd, sizeof cwd)) {
		cli_error("cannot read the current folder: %s", strerror(errno));
	} else if (bo_study_parse(&s, text, strlen(text), "<stored study>", cwd, &d) < 0) {
		cli_error("the stored study does not parse with this budgetopt: %s", bo_error_last());
	} else if (strcmp(bo_study_name(s), name) != 0) {
		cli_error("%s holds study \"%s\", not \"%s\"", uri, bo_study_name(s), name);
		bo_study_free(s);
		s = NULL;
	}
	bo_diags_free(d);
	bo__free(text);
	bo__storage_close(st);
	return s;
}

int cmd_worker(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"storage", required_argument, NULL, 's'},
		{"study", required_argument, NULL, 'n'},
		{"seed", required_argument, NULL, 'S'},
		{"parallel", required_argument, NULL, 'p'},
		{"trials-dir", required_argument, NULL, 't'},
		{"heartbeat-timeout", required_argument, NULL, 'H'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_run_options opt = BO_RUN_OPTIONS_INIT;
	bo_worker_options wo = BO_WORKER_OPTIONS_INIT;
	bo_run_summary sum;
	const char *name = NULL;
	bo_study *s;
	char *end;
	int c, rc, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.storage = optarg; break;
		case 'n': name = optarg; break;
		case 'S':
		case 'p':
			if (cli_run_option(&opt, c, optarg))
				return EXIT_USAGE;
			break;
		case 't': opt.trials_dir = optarg; break;
		case 'H':
			wo.heartbeat_timeout_s = strtod(optarg, &end);
			if (*end || !(wo.heartbeat_timeout_s >= 3) || !isfinite(wo.heartbeat_timeout_s)) {
				cli_error("--heartbeat-timeout needs seconds, at least 3 (heartbeats come "
					  "every second), not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if ((name ? optind != argc : optind != argc - 1)) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (name && !opt.storage) {
		cli_error("--study NAME takes the definition from the ledger: give --storage postgresql://...");
		return EXIT_USAGE;
	}
	s = name ? stored_study(opt.storage, name) : cli_load_study(argv[optind]);
	if (!s)
		return EXIT_USAGE;
	opt.interrupts = cli_catch_interrupts();
	opt.progress = on_progress;
	opt.progress_ud = &quiet;
	rc = bo_run_worker(s, &opt, &wo, &sum);
	if (rc < 0 && rc != BO_EINTR) {
		cli_error("%s", bo_error_last());
	} else if (!quiet) {
		fprintf(stderr, "budgetopt: worker %d: %lld trials run (%lld complete, %lld failed, "
			"%lld orphans of other workers failed); stopped: %s\n",
			(int)getpid(), (long long)sum.launched, (long long)sum.complete,
			(long long)sum.failed, (long long)sum.orphans,
			sum.stop_reason[0] ? sum.stop_reason : "done");
	}
	bo_study_free(s);
	return cli_exit_code(rc);
}
