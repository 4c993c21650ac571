/*
 * cli/cmd_run.c - `budgetopt run study.yaml`: run or resume a study.
 *
 * On a terminal one progress line is redrawn in place; otherwise one log
 * line per finished trial. Ctrl-C once stops launching, twice stops the
 * running trials too.
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
#include "core/model.h"

static const char help[] =
	"usage: budgetopt run [options] study.yaml\n\n"
	"Runs the study's evaluator for trial after trial until a budget is reached,\n"
	"recording every trial in the ledger. Running it again resumes the study.\n\n"
	"options:\n"
	"  --storage URI     ledger (sqlite:PATH); default <study folder>/<name>.db\n"
	"  --seed N          seed for the sampler (default: the study's seed)\n"
	"  --parallel N      evaluators at once (default: evaluator.parallel)\n"
	"  --trials-dir DIR  where trial folders go (default <ledger without .db>-trials)\n"
	"  --repeats N       runs of each configuration per scenario (default: repeats: n)\n"
	"  -q, --quiet       no progress output\n\n"
	"Ctrl-C stops launching and lets running trials finish; a second Ctrl-C stops\n"
	"them (they fail with reason \"interrupted\" and are charged). Exit status 0 when\n"
	"the study stopped normally, 1 on a failure, 2 on bad input, 130 if interrupted.\n";

typedef struct view {
	int tty;
	int quiet;
	int drawn;
} view;

static void draw_line(view *v, const bo_run_progress *p)
{
	char spent[64], budget[64], eta[32], best[64], el[32];
	cli_fmt_money(p->spent, p->currency, spent, sizeof spent);
	cli_fmt_duration(p->eta_s, eta, sizeof eta);
	cli_fmt_duration(p->elapsed_s, el, sizeof el);
	if (isfinite(p->budget_money)) {
		cli_fmt_money(p->budget_money, p->currency, budget, sizeof budget);
	} else {
		snprintf(budget, sizeof budget, "no limit");
	}
	if (isnan(p->best_score))
		snprintf(best, sizeof best, "-");
	else
		snprintf(best, sizeof best, "%.6g", p->best_score);
	fprintf(stderr, "\r\033[K%lld done, %lld running", (long long)(p->complete + p->failed + p->pruned),
		(long long)p->running);
	if (p->running && p->running_cost > 0) {
		char live[64];
		cli_fmt_money(p->running_cost, p->currency, live, sizeof live);
		fprintf(stderr, " (%s so far)", live);
	}
	fprintf(stderr, ", %lld failed", (long long)p->failed);
	if (p->pruned)
		fprintf(stderr, ", %lld pruned", (long long)p->pruned);
	fprintf(stderr, " | spent %s of %s", spent, budget);
	if (isfinite(p->budget_money) && p->budget_money > 0)
		fprintf(stderr, " (%.0f%%)", 100.0 * p->spent / p->budget_money);
	fprintf(stderr, " | best %s | %s elapsed, ~%s left", best, el, eta);
	fflush(stderr);
	v->drawn = 1;
}

static void on_progress(void *ud, const bo_run_progress *p)
{
	view *v = ud;
	char money[64];
	if (v->quiet)
		return;
	if (p->kind == BO_PROGRESS_NOTE) {
		if (v->drawn)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "budgetopt: %s\n", p->message);
		if (v->tty)
			draw_line(v, p);
		return;
	}
	if (p->kind == BO_PROGRESS_TRIAL_DONE && !v->tty) {
		cli_fmt_money(p->trial_cost, p->currency, money, sizeof money);
		printf("trial %lld %s in %.2fs, cost %s", (long long)p->trial_id, p->trial_state,
		       p->trial_wall_s, money);
		if (!isnan(p->trial_score))
			printf(", score %.6g", p->trial_score);
		if (p->trial_reason)
			printf(": %s", p->trial_reason);
		printf(" [spent %.6g", p->spent);
		if (isfinite(p->budget_money))
			printf(" of %.6g", p->budget_money);
		printf("]\n");
		fflush(stdout);
		return;
	}
	if (v->tty)
		draw_line(v, p);
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"storage", required_argument, NULL, 's'},
		{"seed", required_argument, NULL, 'S'},
		{"parallel", required_argument, NULL, 'p'},
		{"trials-dir", required_argument, NULL, 't'},
		{"repeats", required_argument, NULL, 'r'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bo_run_options opt = BO_RUN_OPTIONS_INIT;
	bo_run_summary sum;
	view v = {0, 0, 0};
	bo_study *s;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		switch (c) {
		case 's': opt.storage = optarg; break;
		case 'S':
		case 'p':
			if (cli_run_option(&opt, c, optarg))
				return EXIT_USAGE;
			break;
		case 't': opt.trials_dir = optarg; break;
		case 'r':
			errno = 0;
			opt.repeats = strtoll(optarg, &end, 10);
			if (errno || *end || opt.repeats < 1 || opt.repeats > BO_REPEATS_MAX) {
				cli_error("--repeats needs an integer from 1 to %d, not \"%s\"", BO_REPEATS_MAX,
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': v.quiet = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	s = cli_load_study(argv[optind]);
	if (!s)
		return EXIT_USAGE;
	v.tty = isatty(STDERR_FILENO);
	opt.interrupts = cli_catch_interrupts();
	opt.progress = on_progress;
	opt.progress_ud = &v;
	opt.crash_at = getenv("BUDGETOPT_TEST_CRASH_AT");
	rc = bo_run(s, &opt, &sum);
	if (v.drawn)
		fputs("\r\033[K", stderr);
	if (rc < 0 && rc != BO_EINTR) {
		cli_error("%s", bo_error_last());
	} else if (!v.quiet) {
		char money[64];
		cli_fmt_money(sum.spent, s->prices.currency, money, sizeof money);
		char pruned[48] = "";
		if (sum.pruned)
			snprintf(pruned, sizeof pruned, ", %lld pruned", (long long)sum.pruned);
		fprintf(stderr, "budgetopt: %s: %lld trials run (%lld complete, %lld failed%s), %s spent in all; stopped: %s\n",
			s->name, (long long)sum.launched, (long long)sum.complete, (long long)sum.failed, pruned,
			money, sum.stop_reason[0] ? sum.stop_reason : "done");
		if (rc == BO_EINTR)
			fprintf(stderr, "budgetopt: interrupted; run the same command again to resume\n");
	}
	bo_study_free(s);
	return cli_exit_code(rc);
}
