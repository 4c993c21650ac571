/*
 * serve/snapshot.c - the dashboard's answers built from the ledger (see
 * serve/snapshot.h): status, trials, frontier, selection, events, charts
 * and the learning curves. Split from serve/server.c; no behaviour change.
 */
#include "serve/snapshot.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/configs.h"
#include "analysis/frontier.h"
#include "analysis/scenarios.h"
#include "analysis/uncertain.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "report/charts.h"
#include "report/confirm_info.h"
#include "report/export_json.h"
#include "report/export_scen.h"
#include "report/rungs.h"
#include "serve/route.h"

void bo__serve_snap_free(snapshot *sn)
{
	int k;
	if (!sn)
		return;
	free(sn->status);
	free(sn->trials);
	free(sn->frontier);
	free(sn->selection);
	free(sn->curves);
	free(sn->events);
	free(sn->charts);
	for (k = 0; k < BO_NCHARTS; k++)
		bo__free(sn->svg[k]);
	bo__free(sn);
}

/* ---- snapshots --------------------------------------------------------- */

static int finished(int state)
{
	return state == BO_TRIAL_COMPLETE || state == BO_TRIAL_PRUNED || state == BO_TRIAL_FAILED;
}

static char *draw(int k, const bo_chart_data *d, const double *imp)
{
	switch (k) {
	case BO_CH_FRONTIER: return bo__chart_frontier(d);
	case BO_CH_BURNDOWN: return bo__chart_burndown(d);
	case BO_CH_BEST: return bo__chart_best(d);
	case BO_CH_MARGINAL: return bo__chart_marginal(d);
	default: return bo__chart_importance(d, imp);
	}
}

/* The dashboard shows the learning curves where the report does. */
int bo__serve_curves_shown(const bo_study *s)
{
	return s->fidelity.param >= 0 || s->pruner.kind != BO_PRUNER_NONE;
}

char *bo__serve_dump(json_t *v)
{
	char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(v);
	return text;
}

/* Adds "running_cost" to the status object o: the running trials' cost so
 * far (their usage at the last heartbeat, measured and reported, priced),
 * as `budgetopt status` shows it. */
static json_t *with_running_cost(const bo_study *s, json_t *o, const bo_trial_rec *t, size_t n)
{
	double c = 0.0;
	size_t i;
	if (!o)
		return NULL;
	for (i = 0; i < n; i++)
		if (t[i].state == BO_TRIAL_RUNNING)
			c += bo__pricebook_cost(&s->prices, t[i].usage, t[i].nusage);
	if (json_object_set_new(o, "running_cost", json_real(isfinite(c) ? c : 0.0)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The frontier of the trials, or an object saying why there is none. */
static json_t *frontier_json(const bo_configs *c, bo_frontier *fr, int ok)
{
	json_t *o;
	if (ok)
		return bo__export_frontier_json(c, fr, 1);
	o = json_object();
	if (o)
		json_object_set_new(o, "error", json_string(bo_error_last()));
	return o;
}

/* The configurations of trials t[0..n) and their frontier over the
 * study's default axes; with scenarios, folded across them as select
 * folds them (sc: the table, cleared by the caller). Returns 0, a negative
 * code on memory exhaustion; *fr_ok says whether the frontier could be
 * computed (its error is the thread's last). */
static int analyse(const bo_study *s, const bo_trial_rec *t, size_t n, bo_configs *c, bo_scen_table *sc,
		   bo_frontier *fr, int *fr_ok)
{
	int rc;
	*fr_ok = 0;
	if ((rc = bo__configs_init(c, s, NULL, 0, NULL)) < 0)
		return rc;
	if ((rc = bo__configs_add_trials(c, t, n)) < 0)
		return rc;
	if (s->nscenarios > 0 && ((rc = bo__scen_table_build(sc, s, t, n, NULL, 0, NULL)) < 0 ||
				  (rc = bo__scen_fold_default(sc, c)) < 0))
		return rc;
	*fr_ok = bo__frontier_default_axes(c, fr) == 0 && bo__frontier_compute(c, fr) == 0;
	return 0;
}

/* The configurations select ranks, as `status` and `select` see them
 * (cli/cmd_status.c: select_view): with scenarios, every trial folded
 * across them (c, from analyse); where complete trials fin[0..nfin)
 * repeat a configuration, every trial with repeats grouped (into g);
 * else the finished trials as they are (cf). *grouped: repeats folded. */
static bo_configs *select_view(const bo_study *s, const bo_trial_rec *t, size_t n, const bo_trial_rec *fin,
			       size_t nfin, bo_configs *c, bo_configs *cf, bo_configs *g, int *grouped)
{
	bo_trial_rec *done = NULL;
	size_t i, m = 0;
	int rep;
	*grouped = 0;
	if (!s->score)
		return cf;
	if (s->nscenarios > 0) {
		*grouped = 1;
		return c;
	}
	if (!(done = bo__calloc(nfin + 1, sizeof *done)))
		return NULL;
	for (i = 0; i < nfin; i++)
		if (fin[i].state == BO_TRIAL_COMPLETE)
			done[m++] = fin[i];
	rep = bo__export_has_repeated(done, m);
	bo__free(done);
	if (!rep)
		return cf;
	if (bo__configs_init(g, s, NULL, 0, NULL) < 0 || bo__configs_add_trials(g, t, n) < 0 ||
	    bo__configs_group(g) < 0)
		return NULL;
	*grouped = 1;
	return g;
}

/* Adds to status object o what `status --format json` adds from the
 * ledger: the per-scenario counts, scenario_policy promote's counts, the
 * confirmation phase, and "best" as
 * select names it (sel: select's view, pick its answer, with a scenario
 * table sc). Returns 0 or a negative code. */
static int status_extras(json_t *o, const bo_study *s, const bo_trial_rec *t, size_t n, const bo_event *ev,
			 size_t nev, const bo_configs *sel, int named, size_t pick, const bo_scen_table *sc)
{
	bo_confirm_info ci;
	json_t *v;
	char fold[160] = "";
	int rc;
	if (s->nscenarios > 0 && (!(v = bo__export_scenarios_json(s, t, n)) ||
				  json_object_set_new(o, "scenarios", v) < 0))
		return bo__error(BO_ENOMEM, "out of memory");
	if (s->scenario_policy == BO_SCEN_POLICY_PROMOTE) {
		size_t pc[5];
		if ((rc = bo__export_promote_counts(s, t, n, ev, nev, pc)) < 0)
			return rc;
		if (!(v = bo__export_promote_json(s, pc)) || json_object_set_new(o, "promote", v) < 0)
			return bo__error(BO_ENOMEM, "out of memory");
	}
	if ((rc = bo__confirm_read(&ci, ev, nev, t, n)) < 0)
		return rc;
	v = ci.found ? bo__confirm_json(&ci) : NULL;
	rc = ci.found && (!v || json_object_set_new(o, "confirmation", v) < 0);
	bo__confirm_info_clear(&ci);
	if (rc)
		return bo__error(BO_ENOMEM, "out of memory");
	if (!named)
		return 0;
	if (s->nscenarios > 0)
		bo__scen_note(sc, BO_SCEN_DEFAULT_FOLD, fold, sizeof fold);
	return bo__export_best_into(o, sel, pick, fold);
}

/* With "observe" events among ev[0..nev): *out, a copy of s read again
 * from its text and updated by them (bo__study_observe); else NULL.
 * Returns 0 or a negative code. */
static int observed_study(const bo_study *s, const bo_event *ev, size_t nev, bo_study **out)
{
	const char **detail = NULL;
	double *x = NULL;
	size_t i, m = 0, applied, ignored;
	int rc = 0;
	*out = NULL;
	for (i = 0; i < nev; i++)
		m += !strcmp(ev[i].kind, "observe") && ev[i].detail;
	if (!m || !s->text)
		return 0;
	if (!(detail = bo__calloc(m, sizeof *detail)) || !(x = bo__calloc(m, sizeof *x))) {
		rc = bo__error(BO_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0, m = 0; i < nev; i++)
		if (!strcmp(ev[i].kind, "observe") && ev[i].detail) {
			detail[m] = ev[i].detail;
			x[m++] = ev[i].amount;
		}
	if ((rc = bo_study_parse(out, s->text, strlen(s->text), s->path, s->dir, NULL)) < 0 ||
	    (rc = bo__study_observe(*out, detail, x, m, &applied, &ignored)) < 0) {
		bo_study_free(*out);
		*out = NULL;
	}
done:
	bo__free(detail);
	bo__free(x);
	return rc;
}

/* Builds a snapshot of trials t[0..n) with totals tot (n may be 0).
 * Returns NULL with the thread's error set when something could not be
 * built (memory, or a value JSON cannot carry). */
snapshot *bo__serve_snap_build(const bo_study *s, bo_storage *st, const bo_ledger_totals *tot,
				const bo_trial_rec *t, size_t n, const bo_event *ev, size_t nev,
				const bo_step_row *steps, size_t nsteps)
{
	snapshot *sn = bo__calloc(1, sizeof *sn);
	bo_configs c, cf, cg;
	bo_configs *sel = NULL;
	bo_scen_table sc, scf;
	bo_frontier fr, ff;
	bo_chart_data cd;
	bo_axis target;
	bo_trial_rec *fin = NULL;
	size_t *order = NULL, norder = 0, nfin = 0, i;
	double *imp = NULL;
	int fr_ok = 0, ff_ok = 0, k, ok = 0, grouped = 0, named = 0;
	json_t *charts = NULL, *status = NULL, *workers = NULL;
	bo_curves_data cv;
	bo_mc mc, mcs;
	const bo_mc *selmc = NULL;
	bo_study *ps = NULL;
	bo_rungs rungs;

	memset(&rungs, 0, sizeof rungs);
	memset(&mc, 0, sizeof mc);
	memset(&mcs, 0, sizeof mcs);
	memset(&c, 0, sizeof c);
	memset(&cf, 0, sizeof cf);
	memset(&cg, 0, sizeof cg);
	memset(&sc, 0, sizeof sc);
	memset(&scf, 0, sizeof scf);
	bo__frontier_init(&fr);
	bo__frontier_init(&ff);
	if (!sn)
		goto done;
	sn->refs = 1;
	sn->ntrials = tot->ntrials;
	/* The API's frontier looks at every trial, as `frontier --all` does;
	 * the charts at the finished ones only (report/charts.h: one point per
	 * finished trial), a shallow copy of their records. */
	if (!(fin = bo__calloc(n + 1, sizeof *fin)))
		goto done;
	for (i = 0; i < n; i++)
		if (finished(t[i].state))
			fin[nfin++] = t[i];
	sn->nfinished = (int64_t)nfin;
	/* recorded observations (budgetopt observe) update a private copy of the
	 * study, as every command that reads the ledger does */
	if (observed_study(s, ev, nev, &ps) < 0)
		goto done;
	if (analyse(ps ? ps : s, t, n, &c, &sc, &fr, &fr_ok) < 0 ||
	    analyse(ps ? ps : s, fin, nfin, &cf, &scf, &ff, &ff_ok) < 0 ||
	    !(sel = select_view(ps ? ps : s, t, n, fin, nfin, &c, &cf, &cg, &grouped)))
		goto done;

	memset(&cd, 0, sizeof cd);
	cd.c = &cf;
	cd.fr = ff_ok ? &ff : NULL;
	cd.selected = -1;
	cd.trials = t;
	cd.ntrials = n;
	cd.currency = s->prices.currency;
	cd.budget_money = s->budget.money;
	cd.now = (double)time(NULL);
	for (i = 0; i < n; i++)
		if (t[i].state == BO_TRIAL_RUNNING && isfinite(t[i].reserved))
			cd.reserved += t[i].reserved;
	/* uncertain inputs and prices: the finished trials judged as select
	 * judges them (chance constraints, ranked values), the frontier chart
	 * with quantile bands and the selection's chances in the status */
	if (cf.n && bo__mc_wanted(&cf)) {
		bo_mc_options mo = BO_MC_OPTIONS_INIT;
		mo.on_demand = 1;
		if (bo__mc_run(&mc, &cf, &mo) == 0)
			cd.mc = &mc;
	}
	/* the selection as select makes it: folded across scenarios, repeats
	 * grouped, judged under uncertainty as select judges (a Monte Carlo run
	 * of its own where its configurations are not the charts') */
	selmc = sel == &cf ? cd.mc : NULL;
	if (sel != &cf && sel->n && bo__mc_wanted(sel)) {
		bo_mc_options mo = BO_MC_OPTIONS_INIT;
		mo.on_demand = 1;
		if (bo__mc_run(&mcs, sel, &mo) == 0)
			selmc = &mcs;
	}
	if (s->score && sel->n) {
		if (!(order = bo__calloc(sel->n + 1, sizeof *order)))
			goto done;
		if (bo__select_default_order(sel, grouped, BO_SELECT_NOISE_CONFIDENCE, order, &norder) == 0 && norder > 0)
			cd.selected = sel->v[order[0]].id;
	}
	/* status names select's answer where a trial's own score is one
	 * scenario's or one repeat's (cli/cmd_status.c) */
	named = sel != &cf;
	if (!(imp = bo__calloc(s->nparams + 1, sizeof *imp)))
		goto done;
	for (i = 0; i < s->nparams; i++)
		imp[i] = NAN;
	bo__chart_importance_target(&cd, &target);
	if (target.goal && cf.n)
		(void)bo__importance(&cf, &target, imp);   /* failing: the NaNs say "unknown" */

	bo_error_clear();   /* a frontier that could not be computed is not this step's failure */
	if ((status = with_running_cost(s, bo__export_status_json(s, tot, t, n), t, n)) &&
	    (workers = bo__export_workers_json(st)))
		json_object_set_new(status, "workers", workers);   /* a PostgreSQL study's */
	if (status && status_extras(status, ps ? ps : s, t, n, ev, nev, sel, named,
				    norder ? order[0] : (size_t)-1, &sc) < 0) {
		json_decref(status);
		status = NULL;
	}
	if (status && json_object_set_new(status, "alerts", bo__export_alerts_json(ev, nev)) < 0) {
		json_decref(status);   /* out of memory */
		status = NULL;
	}
	/* multi-fidelity and pruning, as `budgetopt status --format json` */
	if (status && (bo__rungs_summarize(&rungs, s, t, n, ev, nev, steps, nsteps) < 0 ||
		       bo__export_rungs_into(status, s, &rungs, 0) < 0)) {
		json_decref(status);
		status = NULL;
	}
	if (!(sn->status = bo__serve_dump(status)) ||
	    !(sn->trials = bo__serve_dump(bo__export_trials_json(s, t, n))) ||
	    !(sn->frontier = bo__serve_dump(frontier_json(&c, &fr, fr_ok))) ||
	    !(sn->selection = bo__serve_dump(bo__export_chances_json(sel, selmc, order, norder, 2))) ||
	    !(sn->events = bo__serve_dump(bo__export_events_json(ev, nev))))
		goto done;
	/* the learning curves, as the report draws them: in /api/charts only
	 * for a study with a fidelity or a pruner (the report's rule), but
	 * always at /api/charts/curves.svg and /api/curves */
	memset(&cv, 0, sizeof cv);
	cv.steps = steps;
	cv.nsteps = nsteps;
	cv.trials = t;
	cv.ntrials = n;
	cv.metric = bo__rungs_curve_metric(ps ? ps : s, &cv.goal);
	if (!(sn->curves = bo__serve_dump(bo__export_curves_json(ps ? ps : s, t, n, steps, nsteps))))
		goto done;
	if (!(charts = json_object()))
		goto done;
	for (k = 0; k < BO_NCHARTS; k++) {
		if (!(sn->svg[k] = k == BO_CH_CURVES ? bo__chart_curves(&cv) : draw(k, &cd, imp)))
			goto done;
		if (k == BO_CH_CURVES && !bo__serve_curves_shown(s))
			continue;
		if (json_object_set_new(charts, bo__serve_chart_names[k], json_string(sn->svg[k])) < 0)
			goto done;
	}
	if (!(sn->charts = json_dumps(charts, JSON_COMPACT)))
		goto done;
	ok = 1;
done:
	json_decref(charts);
	bo__rungs_clear(&rungs);
	bo__free(imp);
	bo__free(order);
	bo__free(fin);
	bo__frontier_clear(&fr);
	bo__frontier_clear(&ff);
	bo__mc_clear(&mc);
	bo__mc_clear(&mcs);
	bo__configs_clear(&c);
	bo__configs_clear(&cf);
	bo__configs_clear(&cg);
	bo__scen_table_clear(&sc);
	bo__scen_table_clear(&scf);
	bo_study_free(ps);
	if (!ok && !*bo_error_last())
		bo__error(BO_ENOMEM, "out of memory building the dashboard's data");
	if (!ok && sn) {
		bo__serve_snap_free(sn);
		sn = NULL;
	}
	return sn;
}

