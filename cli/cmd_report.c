/*
 * cli/cmd_report.c - `budgetopt report`: one self-contained HTML page (or
 * Markdown with the charts as SVG files beside it) that shows which
 * configuration to deploy, the trade-off, how the budget burned and what
 * the result rests on. Loads and writes; the page itself is built by
 * report/report.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/frontier.h"
#include "core/alloc.h"
#include "core/model.h"
#include "decide.h"
#include "report/report.h"
#include "select_confirm.h"

/* cli_confirm_lines' lines, joined into one note. */
static void join_line(void *ud, const char *line)
{
	char *buf = ud;
	size_t len = strlen(buf);
	snprintf(buf + len, 4096 - len, "%s%s", len ? "; " : "Confirmed before recommending: ", line);
}

static const char help[] =
	"usage: budgetopt report [options] study.yaml\n"
	"       budgetopt report --catalog results.csv --study study.yaml [options]\n\n"
	"Writes a report a decision can be made from: the selected configuration\n"
	"(what `budgetopt select` picks by default) with its guardrail margins, the\n"
	"cost/performance frontier, budget burn-down, best-so-far against money, the\n"
	"marginal value of money, parameter importance, the top configurations and\n"
	"the assumptions (price book, guardrails, budgets, sampler and seed, the\n"
	"study's hash, version, date); for a study with a fidelity or a pruner, the\n"
	"rungs, promotions, pruned trials, what they cost and saved, and the learning\n"
	"curves. HTML is one file that needs no network; Markdown links its charts,\n"
	"written beside it as NAME-frontier.svg, ...\n\n"
	"options:\n"
	"  -o, --output FILE  where to write (default report.html, or report.md)\n"
	"  --format F         html (default) or md\n"
	"  --top N            rows of the top-configurations table (default 10)\n"
	"  --objectives a,b   frontier axes instead of the study's objectives\n"
	"  --date TEXT        the date printed in the report (default: now, UTC)\n"
	"  --catalog FILE     a CSV of configurations measured elsewhere, instead of the ledger\n"
	"  --study FILE       the study file (or give it as the last argument)\n"
	"  --storage URI      the ledger (default <study folder>/<name>.db)\n"
	"  --where EXPR       only configurations where EXPR holds\n"
	"  --guardrail EXPR   an extra guardrail (repeatable), added to the study's\n"
	"  --score EXPR       rank by EXPR instead of the study's score (maximised;\n"
	"                     \"min: EXPR\" minimises)\n"
	"  --draws N, --mc-seed S, --quantiles LIST, --confidence P\n"
	"                     Monte Carlo over uncertain inputs and prices, as for select\n";

/* The default perf and cost axes of `select` (cmd_select.c), for its
 * tie-breaks: the same configuration is selected. */
static void default_tradeoff(cli_decide *d, bo_axis *perf, bo_axis *cost)
{
	const bo_study *s = d->s;
	memset(perf, 0, sizeof *perf);
	memset(cost, 0, sizeof *cost);
	if (s->nobjectives >= 2) {
		bo_axis a, b;
		bo__axis_objective(s, 0, &a);
		bo__axis_objective(s, 1, &b);
		if (b.goal > 0 && a.goal < 0) {
			*perf = b;
			*cost = a;
		} else {
			*perf = a;
			*cost = b;
		}
		return;
	}
	if (s->nobjectives == 1)
		bo__axis_objective(s, 0, perf);
	else if (s->score)
		bo__axis_parse(&d->c, "score", perf);
	if (!d->c.catalog)
		bo__axis_parse(&d->c, "cost", cost);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	size_t n = strlen(text);
	if (!f) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(text, 1, n, f) != n || fclose(f) != 0) {
		cli_error("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DECIDE_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"top", required_argument, NULL, 'n'},
		{"objectives", required_argument, NULL, 'O'},
		{"date", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	cli_decide d;
	bo_frontier fr;
	bo_report_input in;
	char confirm_note[4096] = "";
	bo_select_rule rule;
	const bo_trial_rec *trials = NULL;   /* the ledger's, owned by d */
	size_t ntrials = 0, *order = NULL, norder = 0, i, k;
	double *importance = NULL;
	char *text = NULL, *svg[BO_REPORT_NCHARTS] = {NULL}, *outpath = NULL;
	char date[64], ledger_hash[65], source[1200], prefix[1024], dir[1024];
	const char *output = NULL, *objectives = NULL, *date_text = NULL;
	int c, ret, fmt = BO_REPORT_HTML, noise_tie = 0;
	long top = 10;
	char *end;
	bo_rungs rungs;
	bo_event *events = NULL;
	bo_step_row *steps = NULL;
	size_t nevents = 0, nsteps = 0;

	memset(&rungs, 0, sizeof rungs);
	memset(&d, 0, sizeof d);
	d.repeats = CLI_REPEATS_AUTO;   /* as select: repeats are one configuration */
	memset(&in, 0, sizeof in);
	memset(&rule, 0, sizeof rule);
	bo__frontier_init(&fr);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		int r;
		if (c == 1006) {   /* --format: ours are html and md */
			if (!strcmp(optarg, "html"))
				fmt = BO_REPORT_HTML;
			else if (!strcmp(optarg, "md") || !strcmp(optarg, "markdown"))
				fmt = BO_REPORT_MD;
			else {
				cli_error("unknown format \"%s\" (html or md)", optarg);
				return EXIT_USAGE;
			}
			continue;
		}
		if ((r = cli_decide_option(&d, c, optarg)) < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'o': output = optarg; break;
		case 'O': objectives = optarg; break;
		case 'D': date_text = optarg; break;
		case 'n':
			top = strtol(optarg, &end, 10);
			if (end == optarg || *end || top < 1 || top > 100000) {
				cli_error("--top needs a positive whole number, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	if (!output)
		output = fmt == BO_REPORT_MD ? "report.md" : "report.html";
	if ((ret = cli_decide_load(&d, argc, argv, optind)) != 0)
		goto done;
	ret = EXIT_USAGE;
	if ((objectives ? bo__frontier_parse_axes(&d.c, objectives, &fr) : bo__frontier_default_axes(&d.c, &fr)) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	ret = EXIT_RUN_FAILED;
	if (bo__frontier_compute(&d.c, &fr) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	/* The selection and the table order: select's default (the best score);
	 * without a score, the table follows the frontier's performance axis
	 * and nothing is selected. */
	default_tradeoff(&d, &rule.perf, &rule.cost);
	if (d.s->score) {
		rule.rule = BO_SELECT_SCORE;
	} else {
		rule.rule = BO_SELECT_LEX;
		rule.nlex = 1;
		rule.lex[0] = fr.ax[fr.d >= 2 ? fr.pa : 0];
	}
	if (!(order = calloc(d.c.n + 1, sizeof *order)) || bo__select_order(&d.c, &rule, order, &norder) < 0) {
		cli_error("%s", order ? bo_error_last() : "out of memory");
		goto done;
	}
	/* repeats: select's noise rule (the cheapest within the noise of the
	 * best mean score at 0.95), so that the report selects what select does */
	for (i = 0; rule.rule == BO_SELECT_SCORE && norder > 1 && i < d.c.n; i++) {
		bo_noise_cmp *cmp;
		if (d.c.v[i].nrep < 2)
			continue;
		if (!(cmp = calloc(norder, sizeof *cmp))) {
			cli_error("out of memory");
			goto done;
		}
		noise_tie = bo__select_noise(&d.c, &rule, 0.95, order, norder, cmp) == 1;
		free(cmp);
		break;
	}
	/* Run mode: the trials (times, costs, states) and the stored definition. */
	ledger_hash[0] = '\0';
	if (!d.catalog) {
		trials = d.trials;
		ntrials = d.ntrials;
		if (d.stored_text)
			bo__sha256_hex(d.stored_text, strlen(d.stored_text), ledger_hash);
		snprintf(source, sizeof source, "the ledger of study %s (%zu trials)", d.s->name, ntrials);
	} else {
		snprintf(source, sizeof source, "catalog %s", d.catalog);
	}
	if (!(importance = calloc(d.s->nparams + 1, sizeof *importance)))
		goto done;

	in.chart.c = &d.c;
	in.chart.fr = &fr;
	in.chart.selected = d.s->score && norder ? d.c.v[order[0]].id : -1;
	in.chart.trials = trials;
	in.chart.ntrials = ntrials;
	in.chart.currency = d.s->prices.currency;
	in.chart.budget_money = d.s->budget.money;
	in.chart.now = (double)time(NULL);
	in.chart.mc = d.mc_on ? &d.mc : NULL;
	in.scen = d.scen_on ? &d.scen : NULL;
	for (i = 0; i < ntrials; i++)
		if (trials[i].state == BO_TRIAL_RUNNING && isfinite(trials[i].reserved))
			in.chart.reserved += trials[i].reserved;
	{
		bo_axis target;
		bo__chart_importance_target(&in.chart, &target);
		if (target.goal && bo__importance(&d.c, &target, importance) < 0) {
			cli_error("%s", bo_error_last());
			goto done;
		}
		if (!target.goal)
			for (k = 0; k < d.s->nparams; k++)
				importance[k] = NAN;
	}
	in.importance = importance;
	in.order = order;
	in.norder = norder;
	in.top = (size_t)top;
	in.rule = noise_tie ? "the cheapest within the noise of the best mean score (Welch's t-test at 95%)"
			    : "the best score";
	if (date_text) {
		snprintf(date, sizeof date, "%s", date_text);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
	}
	in.date = date;
	in.version = bo_version();
	in.source = source;
	in.ledger_hash = ledger_hash[0] ? ledger_hash : NULL;
	/* Markdown: charts beside the file, named after it. */
	{
		const char *slash = strrchr(output, '/'), *base = slash ? slash + 1 : output, *dot = strrchr(base, '.');
		snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - output + 1) : 0, output);
		snprintf(prefix, sizeof prefix, "%.*s", dot && dot != base ? (int)(dot - base) : (int)strlen(base), base);
	}
	in.chart_prefix = prefix;
	if (!d.catalog) {
		/* the last confirmation phase (runner/confirm.h), if any */
		cli_confirm_info ci;
		if (cli_confirm_read(d.s, d.storage, &ci) < 0) {
			ret = cli_ledger_failure();
			goto done;
		}
		cli_confirm_lines(&ci, d.s->prices.currency, join_line, confirm_note);
		cli_confirm_info_free(&ci);
		if (confirm_note[0])
			in.confirm_note = confirm_note;
	}
	/* Multi-fidelity and pruning: the promotions (events), the curves
	 * (intermediate reports) and the summary of both */
	if (!d.catalog && (d.s->fidelity.param >= 0 || d.s->pruner.kind != BO_PRUNER_NONE)) {
		bo_storage *st = cli_open_ledger(d.s, d.storage, 0);
		int rc;
		if (!st) {
			ret = cli_ledger_failure();
			goto done;
		}
		rc = st->ops->events(st, &events, &nevents);
		if (rc == 0)
			rc = st->ops->steps(st, &steps, &nsteps);
		if (rc == 0)
			rc = bo__rungs_summarize(&rungs, d.s, trials, ntrials, events, nevents, steps, nsteps);
		if (rc < 0)
			cli_error("%s", bo_error_last());
		bo__storage_close(st);
		if (rc < 0)
			goto done;
		in.rungs = &rungs;
		in.events = events;
		in.nevents = nevents;
		in.steps = steps;
		in.nsteps = nsteps;
	} else if (!d.catalog && d.s->scenario_policy == BO_SCEN_POLICY_PROMOTE) {
		/* scenario_policy: promote: the promotions (events) */
		bo_storage *st = cli_open_ledger(d.s, d.storage, 0);
		if (!st) {
			ret = cli_ledger_failure();
			goto done;
		}
		if (st->ops->events(st, &events, &nevents) < 0) {
			cli_error("%s", bo_error_last());
			bo__storage_close(st);
			goto done;
		}
		bo__storage_close(st);
		in.events = events;
		in.nevents = nevents;
	}
	if (bo__report_build(&in, fmt, &text, svg) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	if (write_file(output, text) < 0)
		goto done;
	if (fmt == BO_REPORT_MD) {
		for (k = 0; k < BO_REPORT_NCHARTS; k++) {
			size_t len;
			if (!svg[k])
				continue;
			len = strlen(dir) + strlen(prefix) + strlen(bo__report_chart_names[k]) + 8;
			free(outpath);
			if (!(outpath = malloc(len))) {
				cli_error("out of memory");
				goto done;
			}
			snprintf(outpath, len, "%s%s-%s.svg", dir, prefix, bo__report_chart_names[k]);
			if (write_file(outpath, svg[k]) < 0)
				goto done;
		}
	}
	printf("wrote %s (%zu configurations, %zu on the frontier)\n", output, d.c.n, fr.nfront);
	ret = EXIT_OK;
done:
	bo__rungs_clear(&rungs);
	bo__event_free_array(events, nevents);
	bo__step_rows_free(steps, nsteps);
	for (k = 0; k < BO_REPORT_NCHARTS; k++)
		bo__free(svg[k]);
	bo__free(text);
	free(outpath);
	free(importance);
	free(order);
	bo__frontier_clear(&fr);
	cli_decide_free(&d);
	return ret;
}
