/*
 * cli/cmd_status.c - `budgetopt status study.yaml`: where a study stands.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decide.h"
#include "core/model.h"
#include "report/export_json.h"
#include "report/export_scen.h"
#include "select_confirm.h"
#include "report/rungs.h"
#include "core/alloc.h"
#include "storage/postgres.h"

#include <time.h>

/* PostgreSQL ledgers: the sessions (workers and runners) sharing the study. */
static void workers_text(bo_storage *st)
{
	bo_pg_worker *w = NULL;
	size_t n = 0, i, live = 0;
	double now = (double)time(NULL);
	if (!bo__storage_is_pg_handle(st) || bo__pg_workers(st, &w, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		live += w[i].ended_at == 0;
	printf("workers  %zu live, %zu in all\n", live, n);
	for (i = 0; i < n; i++)
		if (w[i].ended_at == 0)
			printf("         #%lld %s pid %lld: last heartbeat %.0fs ago, %lld trials\n",
			       (long long)w[i].id, w[i].host, (long long)w[i].pid,
			       now - w[i].heartbeat_at, (long long)w[i].ntrials);
	bo__free(w);
}

/* ---- the best configuration, as select names it ----
 * A trial's own score is one scenario's or one repeat's: a configuration
 * strong under CIFAR-10 alone, or lucky in one of three repeats, is not
 * what select recommends. Where the ledger has scenarios or repeated
 * configurations, status names select's default answer (cli_decide_pick),
 * judged as select judges it; elsewhere the two agree and the trials are
 * read once. */

/* Loads select's view into d and sets *pick (or (size_t)-1 when select
 * names nothing). Returns 1 when status should name it, 0 when the
 * trials' own verdicts are select's (d untouched), -1 after printing. */
static int select_view(const bo_study *s, const char *path, const char *storage,
		       const bo_trial_rec *t, size_t n, cli_decide *d, size_t *pick)
{
	char *argv[1] = {NULL};
	*pick = (size_t)-1;
	if (!s->score || (!s->nscenarios && !bo__export_has_repeated(t, n)))
		return 0;
	d->study_path = path;
	d->storage = storage;
	d->quiet = 1;
	d->repeats = CLI_REPEATS_AUTO;
	if (cli_decide_load(d, 0, argv, 0) != 0)
		return -1;
	*pick = cli_decide_pick(d);
	return 1;
}

static const char help[] =
	"usage: budgetopt status [--storage URI] [--format text|json] study.yaml\n\n"
	"Shows spend against the money budget, trials by state against the trial\n"
	"budget, time running, the running trials' cost so far, and the best\n"
	"feasible trial by score.\n";

/* The Slurm jobs of the running trials (runner/slurm_jobs.h). */
static void print_slurm_jobs(bo_storage *st)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t n = 0, k, shown = 0;
	q.state = BO_TRIAL_RUNNING;
	if (st->ops->trials(st, &q, &t, &n) < 0)
		return;
	printf("slurm    ");
	for (k = 0; k < n; k++) {
		if (bo__trial_slurm_job(&t[k]) <= 0)
			continue;
		printf("%sjob %lld (trial %lld)", shown++ ? ", " : "", (long long)bo__trial_slurm_job(&t[k]),
		       (long long)t[k].id);
	}
	printf("%s\n", shown ? "" : "no job running");
	bo__trial_rec_free_array(t, n);
}

/* The cost so far of the running trials: their usage at the last
 * heartbeat (measured, plus what their step reports said) priced with the
 * study's price book. *n gets how many are running. */
static double running_cost(const bo_study *s, bo_storage *st, size_t *n)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t k;
	double c = 0.0;
	*n = 0;
	q.state = BO_TRIAL_RUNNING;
	if (st->ops->trials(st, &q, &t, n) < 0) {
		*n = 0;
		return NAN;
	}
	for (k = 0; k < *n; k++)
		c += bo__pricebook_cost(&s->prices, t[k].usage, t[k].nusage);
	bo__trial_rec_free_array(t, *n);
	return c;
}

/* The safeguards' verdicts (runner/safeguards.c): the budget alerts that
 * fired ("alert" events) and the incumbents demoted ("rollback" events). */
static void alerts_text(bo_storage *st)
{
	bo_event *e = NULL;
	size_t n = 0, i;
	if (st->ops->events(st, &e, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (e[i].kind && (!strcmp(e[i].kind, "alert") || !strcmp(e[i].kind, "rollback")))
			printf("%-8s %s\n", e[i].kind, e[i].detail ? e[i].detail : "");
	bo__event_free_array(e, n);
}

/* What multi-fidelity and pruning did (report/rungs.h), from every trial,
 * the events and, with a pruner, the intermediate reports. Returns 0, or
 * -1 with the message printed. */
static int read_rungs(const bo_study *s, bo_storage *st, bo_rungs *out)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	bo_event *e = NULL;
	bo_step_row *steps = NULL;
	size_t n = 0, ne = 0, nsteps = 0;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (s->fidelity.param < 0 && s->pruner.kind == BO_PRUNER_NONE)
		return 0;
	if (st->ops->trials(st, &q, &t, &n) < 0 || st->ops->events(st, &e, &ne) < 0 ||
	    (s->pruner.kind != BO_PRUNER_NONE && st->ops->steps(st, &steps, &nsteps) < 0) ||
	    bo__rungs_summarize(out, s, t, n, e, ne, steps, nsteps) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	rc = 0;
done:
	bo__trial_rec_free_array(t, n);
	bo__event_free_array(e, ne);
	bo__step_rows_free(steps, nsteps);
	return rc;
}

/* Multi-fidelity: how many trials ran at each rung ("rungs    epochs 1:
 * 12, 3: 6, 9: 2 (asha)"), then the rung table, one line per rung. */
static void rungs_text(const bo_study *s, const bo_rungs *r)
{
	const char *param = s->params[s->fidelity.param].name;
	char a[64];
	int k;
	printf("rungs    %s", param);
	for (k = 0; k < r->nrungs; k++)
		printf("%s %g: %lld", k ? "," : "", r->rungs[k].value, (long long)r->rungs[k].trials);
	printf(" (%s)\n", bo__fidelity_schedule_name(s->fidelity.schedule));
	for (k = 0; k < r->nrungs; k++) {
		const bo_rung_row *w = &r->rungs[k];
		cli_fmt_money(w->spent, s->prices.currency, a, sizeof a);
		printf("         %s=%g: %lld complete, %lld failed, %lld running, %lld promoted", param, w->value,
		       (long long)w->complete, (long long)w->failed, (long long)w->running,
		       (long long)w->promoted);
		if (w->pruned)
			printf(", %lld pruned", (long long)w->pruned);
		if (w->best_trial > 0 && r->ranked_by)
			printf("; best %s %.6g (trial %lld)", r->ranked_by, w->best, (long long)w->best_trial);
		printf("; spent %s\n", a);
	}
}

/* The pruning figures: trials pruned, what they and the complete ones
 * cost, and the estimated saving. */
static void pruning_text(const bo_study *s, const bo_rungs *r)
{
	char a[64], b[64];
	cli_fmt_money(r->spent_pruned, s->prices.currency, a, sizeof a);
	cli_fmt_money(r->spent_complete, s->prices.currency, b, sizeof b);
	printf("pruning  %s: %lld trial%s pruned, %s spent on them (%s on %lld complete)", r->pruner,
	       (long long)r->npruned, r->npruned == 1 ? "" : "s", a, b, (long long)r->ncomplete);
	if (r->nestimated) {
		char c[64];
		cli_fmt_money(r->est_saved, s->prices.currency, c, sizeof c);
		printf("; saved about %s (estimate over %lld, at %lld steps from %s)", c,
		       (long long)r->nestimated, (long long)r->full_steps, r->full_steps_from);
	} else if (r->npruned) {
		printf("; no saving estimated (%s)",
		       r->full_steps > 0 ? "no pruned trial with a cost and a step" : "no full length known");
	}
	printf("\n");
}

/* Scenarios and repeats: the trials under each scenario, and each repeat
 * ("units    clean 6, shifted 6 (weights 0.75, 0.25); repeats 0: 6, 1: 6"). */
static void print_units(const bo_study *s, bo_storage *st)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t n = 0, i, k, nsc = bo__scenario_count(s);
	int64_t maxrep = 0, r;
	if (st->ops->trials(st, &q, &t, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (t[i].repeat > maxrep)
			maxrep = t[i].repeat;
	printf("units    ");
	for (k = 0; k < nsc; k++) {
		int64_t c = 0;
		for (i = 0; i < n; i++)
			c += !strcmp(t[i].scenario ? t[i].scenario : "default", bo__scenario_name(s, k));
		printf("%s%s %lld", k ? ", " : "", bo__scenario_name(s, k), (long long)c);
	}
	printf(" (weights");
	for (k = 0; k < nsc; k++)
		printf("%s %.3g", k ? "," : "", bo__scenario_weight(s, k));
	printf("); repeats");
	for (r = 0; r <= maxrep; r++) {
		int64_t c = 0;
		for (i = 0; i < n; i++)
			c += t[i].repeat == r;
		printf("%s %lld: %lld", r ? "," : "", (long long)r, (long long)c);
	}
	printf("\n");
	bo__trial_rec_free_array(t, n);
}

/* scenario_policy: promote: the configurations run under the base
 * scenario (rows of the scenario table), those promoted (a
 * "scenario_promote" event each), those evaluated under every scenario
 * and those under the base only. 0, or -1 when the ledger cannot be read. */
static int promote_counts(const bo_study *s, bo_storage *st, size_t c[5])
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	bo_event *e = NULL;
	size_t n = 0, ne = 0;
	int rc = -1;
	if (st->ops->trials(st, &q, &t, &n) == 0 && st->ops->events(st, &e, &ne) == 0)
		rc = bo__export_promote_counts(s, t, n, e, ne, c) < 0 ? -1 : 0;
	bo__trial_rec_free_array(t, n);
	bo__event_free_array(e, ne);
	return rc;
}

static void promote_text(const bo_study *s, bo_storage *st)
{
	size_t c[5];
	if (s->scenario_policy != BO_SCEN_POLICY_PROMOTE || promote_counts(s, st, c) < 0)
		return;
	printf("promote  base %s: %zu configurations, %zu promoted, %zu under every scenario, "
	       "%zu under the base only%s\n", bo__scenario_name(s, s->promote.base), c[0], c[1], c[2], c[3],
	       c[4] ? "; exploration over" : "");
}

static json_t *promote_json(const bo_study *s, bo_storage *st)
{
	size_t c[5];
	if (promote_counts(s, st, c) < 0)
		return NULL;
	return bo__export_promote_json(s, c);
}

/* Scenarios in JSON (report/export_scen.h); NULL on failure. */
static json_t *scenarios_json(const bo_study *s, bo_storage *st)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t n = 0;
	json_t *a = NULL;
	if (st->ops->trials(st, &q, &t, &n) == 0)
		a = bo__export_scenarios_json(s, t, n);
	bo__trial_rec_free_array(t, n);
	return a;
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"storage", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *storage = NULL, *format = "text";
	bo_study *s = NULL;
	bo_storage *st = NULL;
	bo_ledger_totals tot;
	bo_trial_rec *best = NULL;
	size_t nbest = 0, i, nrun = 0;
	double live;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_rungs rungs;
	cli_decide d;
	size_t pick = (size_t)-1;
	int c, ret = EXIT_RUN_FAILED, sel;
	char a[64], b[64];

	memset(&rungs, 0, sizeof rungs);
	memset(&d, 0, sizeof d);

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': storage = optarg; break;
		case 'f': format = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: fputs(help, stderr); return EXIT_USAGE;
		}
	}
	cli_json_errors(!strcmp(format, "json"));
	if (optind != argc - 1 || (strcmp(format, "text") && strcmp(format, "json"))) {
		fputs(help, stderr);
		return EXIT_USAGE;
	}
	if (!(s = cli_load_study(argv[optind])))
		return EXIT_USAGE;
	if (!(st = cli_open_ledger(s, storage, 0))) {
		ret = cli_ledger_failure();
		goto done;
	}
	if (st->ops->totals(st, &tot) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	/* Best feasible complete trial by score, ties to the earlier trial:
	 * the same rule the dashboard's /api/status uses. */
	q.state = BO_TRIAL_COMPLETE;
	if (st->ops->trials(st, &q, &best, &nbest) < 0) {
		cli_error("%s", bo_error_last());
		goto done;
	}
	i = bo__export_best(s, best, nbest);
	if ((sel = select_view(s, argv[optind], storage, best, nbest, &d, &pick)) < 0)
		goto done;
	live = running_cost(s, st, &nrun);
	if (read_rungs(s, st, &rungs) < 0)
		goto done;
	if (!strcmp(format, "json")) {
		/* The same JSON the dashboard's /api/status serves. */
		json_t *o = bo__export_status_json(s, &tot, best, nbest);
		json_t *wk = o ? bo__export_workers_json(st) : NULL;
		char *text, fold[160];
		if (wk)
			json_object_set_new(o, "workers", wk);
		if (o && sel && bo__export_best_into(o, &d.c, pick, cli_fold_note(&d, fold, sizeof fold)) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (o && isfinite(live))
			json_object_set_new(o, "running_cost", json_real(live));
		if (o) {
			bo_event *e = NULL;
			size_t ne = 0;
			if (st->ops->events(st, &e, &ne) == 0)
				json_object_set_new(o, "alerts", bo__export_alerts_json(e, ne));
			bo__event_free_array(e, ne);
		}
		if (o) {
			cli_confirm_info ci;
			if (cli_confirm_read(s, storage, &ci) < 0) {
				json_decref(o);
				goto done;
			}
			if (ci.found)
				json_object_set_new(o, "confirmation", cli_confirm_json(&ci));
			cli_confirm_info_free(&ci);
		}
		if (o && s->nscenarios) {
			json_t *sc = scenarios_json(s, st);
			if (!sc || json_object_set_new(o, "scenarios", sc) < 0) {
				json_decref(o);
				o = NULL;
			}
		}
		if (o && s->scenario_policy == BO_SCEN_POLICY_PROMOTE) {
			json_t *pm = promote_json(s, st);
			if (!pm || json_object_set_new(o, "promote", pm) < 0) {
				json_decref(o);
				o = NULL;
			}
		}
		if (o && bo__export_rungs_into(o, s, &rungs, 0) < 0) {
			json_decref(o);
			o = NULL;
		}
		text = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
		json_decref(o);
		if (!text) {
			cli_error("out of memory");
			goto done;
		}
		puts(text);
		free(text);
		ret = EXIT_OK;
		goto done;
	}
	printf("study    %s (%lld definition version%s)\n", s->name, (long long)tot.nversions,
	       tot.nversions == 1 ? "" : "s");
	cli_fmt_money(tot.spent, s->prices.currency, a, sizeof a);
	if (isfinite(s->budget.money)) {
		cli_fmt_money(s->budget.money, s->prices.currency, b, sizeof b);
		printf("spend    %s of %s (%.1f%%)\n", a, b, 100.0 * tot.spent / s->budget.money);
	} else {
		printf("spend    %s (no money budget)\n", a);
	}
	printf("trials   %lld", (long long)tot.ntrials);
	if (s->budget.trials)
		printf(" of %lld", (long long)s->budget.trials);
	printf(": %lld complete, %lld failed, %lld pruned, %lld running\n",
	       (long long)tot.by_state[BO_TRIAL_COMPLETE], (long long)tot.by_state[BO_TRIAL_FAILED],
	       (long long)tot.by_state[BO_TRIAL_PRUNED], (long long)tot.by_state[BO_TRIAL_RUNNING]);
	if (rungs.has_fidelity)
		rungs_text(s, &rungs);
	if (rungs.has_pruner)
		pruning_text(s, &rungs);
	if (s->nscenarios || s->repeats > 1)
		print_units(s, st);
	promote_text(s, st);
	cli_fmt_duration(tot.elapsed_s, a, sizeof a);
	if (isfinite(s->budget.time_s)) {
		cli_fmt_duration(s->budget.time_s, b, sizeof b);
		printf("time     %s of %s\n", a, b);
	} else {
		printf("time     %s\n", a);
	}
	if (nrun && isfinite(live)) {
		cli_fmt_money(live, s->prices.currency, a, sizeof a);
		printf("running  %zu trial%s, %s so far (not yet in spend)\n", nrun, nrun == 1 ? "" : "s", a);
	}
	alerts_text(st);
	{
		cli_confirm_info ci;
		char line[1024];
		if (cli_confirm_read(s, storage, &ci) < 0)
			goto done;
		cli_confirm_status(s, &ci, line, sizeof line);
		cli_confirm_info_free(&ci);
		if (line[0])
			printf("confirm  %s\n", line);
	}
	if (s->evaluator.executor == BO_EXECUTOR_SLURM)
		print_slurm_jobs(st);
	if (sel && pick != (size_t)-1) {
		char why[320], fold[160];
		cli_fmt_money(d.c.v[pick].cost, s->prices.currency, a, sizeof a);
		printf("best     trial %lld, score %.6g, cost %s (%s): %s\n", (long long)d.c.v[pick].id,
		       d.c.v[pick].score, a, bo__export_judged_as(&d.c.v[pick], cli_fold_note(&d, fold, sizeof fold), why, sizeof why), d.c.v[pick].params_json);
	} else if (sel) {
		printf("best     none yet (no configuration meets the guardrails as select judges it)\n");
	} else if (i < nbest) {
		cli_fmt_money(best[i].cost, s->prices.currency, a, sizeof a);
		printf("best     trial %lld, score %.6g, cost %s: %s\n", (long long)best[i].id, best[i].score, a,
		       best[i].params_json);
	} else {
		printf("best     none yet (no complete trial meets the guardrails%s)\n",
		       s->score ? "" : "; the study has no score");
	}
	if (tot.by_state[BO_TRIAL_QUEUED])
		printf("queued   %lld configuration(s) of orphaned trials wait for a worker\n",
		       (long long)tot.by_state[BO_TRIAL_QUEUED]);
	workers_text(st);
	{
		/* recorded observations (budgetopt observe) and what they changed */
		char line[1024];
		if (cli_observed_change(st, argv[optind], storage, line, sizeof line) < 0)
			goto done;
		if (line[0])
			printf("observed %s\n", line);
	}
	ret = EXIT_OK;
done:
	bo__rungs_clear(&rungs);
	cli_decide_free(&d);
	bo__trial_rec_free_array(best, nbest);
	bo__storage_close(st);
	bo_study_free(s);
	return ret;
}
