/*
 * runner/runner_promote.c - scenario_policy: promote in the run loop: new
 * configurations run under the base scenario and stop when only the
 * reserve is left; the rungs' promotions (runner/promote.h) launch before
 * any new configuration, as units that run their configuration as it is;
 * each promotion is a "scenario_promote" event, the end of exploration a
 * "scenario_explore_end" one, and a resumed run replays both from the
 * ledger.
 *
 * Promotions go through the same reservation, cap and charge as any trial,
 * so they never pass the money budget; the sampler learns from base units
 * only. Part of the run loop: runner.c holds the loop, and
 * runner/runner_int.h lists the sibling files.
 */
#include "runner/runner_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "runner/fidelity_run.h"
#include "runner/promote.h"
#include "storage/storage.h"

static int64_t repeats_of(const runner *r)
{
	return r->opt->repeats > 0 ? r->opt->repeats : r->s->repeats;
}

int bo__run_promote_setup(runner *r)
{
	const bo_study *s = r->s;
	bo_event *ev = NULL;
	size_t n = 0, i;
	int rc;
	if (s->scenario_policy != BO_SCEN_POLICY_PROMOTE)
		return 0;
	if (r->w || r->fid)
		return bo__error(BO_EINVAL, "scenario_policy: promote is run by one runner without "
				 "fidelity: (%s)", r->w ? "this is a worker" : "the study has fidelity:");
	if ((rc = bo__promote_new(&r->promote, s, repeats_of(r))) < 0)
		return rc;
	bo__units_only(r->units, bo__promote_base(r->promote));
	/* what the killed run decided already (runner_recover.c replays the trials) */
	if (r->st->ops->events && (rc = r->st->ops->events(r->st, &ev, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (!ev[i].kind)
			continue;
		if (!strcmp(ev[i].kind, "scenario_promote"))
			rc = bo__promote_recorded(r->promote, ev[i].trial_id);
		else if (!strcmp(ev[i].kind, "scenario_explore_end"))
			bo__promote_explore_end(r->promote);
	}
	bo__event_free_array(ev, n);
	return rc;
}

void bo__run_promote_clear(runner *r)
{
	bo__promote_free(r->promote);
	r->promote = NULL;
}

/* What a new configuration may still reserve: the exploration share of the
 * money budget (all but the reserve) less what base units were charged and
 * what running ones hold; promotions are paid from the rest. INFINITY
 * without promote or a money budget. */
double bo__run_promote_explore_left(const runner *r)
{
	const bo_study *s = r->s;
	double left;
	size_t i, base;
	if (!r->promote || !is_money_limited(r))
		return INFINITY;
	base = bo__promote_base(r->promote);
	left = (1.0 - s->promote.reserve) * s->budget.money - bo__promote_base_spent(r->promote);
	for (i = 0; i < r->njobs; i++)
		if (bo__scenario_find(s, r->jobs[i]->unit.scenario) == (int)base)
			left -= bo__reserve_held(r->jobs[i]->reserved, r->jobs[i]->cost_now);
	return left;
}

void bo__run_promote_explore_end(runner *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	if (!r->promote || bo__promote_explored(r->promote))
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	bo__promote_explore_end(r->promote);
	bo__run_event(r, 0, "scenario_explore_end", r->spent, "no new configurations: %s; the final "
		      "rung's promotions follow", why);
	bo__run_note(r, "scenario_policy promote: no new configurations (%s)", why);
}

/* Closes what is due and records each new promotion. */
static int close_rungs(runner *r)
{
	const bo_study *s = r->s;
	const bo_promote_pick *pk;
	size_t n, i;
	int goal = 1, rc;
	const char *by = bo__fidelity_rank_name(s, &goal);
	if ((rc = bo__promote_close(r->promote, &pk, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		double shown = pk[i].value * (goal ? goal : 1);
		if (pk[i].recorded)
			continue;
		bo__run_event(r, pk[i].id, "scenario_promote", shown,
			      "configuration of trial %lld ranks %lld of %lld by %s (%.6g) in %s rung %lld: "
			      "re-evaluated under the other %zu scenario%s",
			      (long long)pk[i].id, (long long)pk[i].rank, (long long)pk[i].ncand,
			      by ? by : "value", shown, pk[i].final ? "the final" : "regular",
			      (long long)pk[i].rung, bo__scenario_count(s) - 1,
			      bo__scenario_count(s) == 2 ? "" : "s");
		crash_point(r, "promoted");
	}
	return 0;
}

int bo__run_promote_hold(runner *r)
{
	const bo_study *s = r->s;
	size_t scen;
	int64_t rep;
	double *x;
	if (!r->promote || r->held_x)
		return 0;
	if (!(x = bo__calloc(s->nparams ? s->nparams : 1, sizeof *x)))
		return BO_ENOMEM;
	if (!bo__promote_next(r->promote, x, &scen, &rep)) {
		bo__free(x);
		return 0;
	}
	r->held_x = x;
	r->held_unit = 1;
	r->held_promo = 1;
	r->held_tok = 0;
	r->has_held_fid = 0;
	bo__unit_id_of(s, scen, rep, &r->held_id);
	return 0;
}

int bo__run_promote_launched(runner *r, const job_ctx *j)
{
	int k;
	if (!r->promote)
		return 0;
	k = bo__scenario_find(r->s, j->unit.scenario);
	return k < 0 ? 0 : bo__promote_launched(r->promote, j->id, j->x, (size_t)k, j->unit.repeat);
}

/* How a trial of scenario `scenario` ended: the sampler learns a base unit
 * (as runner_finish.c tells any unit), the bookkeeping learns either. */
static int ended(runner *r, int64_t id, const double *x, const char *scenario, int state, int feasible,
		 double score, const bo_kv *metrics, size_t nmetrics, const double *m, double cost)
{
	int k = bo__scenario_find(r->s, scenario);
	double v = NAN;
	int rc;
	if (k < 0)
		return 0;
	if ((size_t)k == bo__promote_base(r->promote)) {
		if (!r->w && (rc = bo__run_units_tell(r, id, x, state, m, cost)) < 0)
			return rc;
		v = bo__fidelity_rank_value(r->s, state, feasible, score, metrics, nmetrics);
	}
	return bo__promote_ended(r->promote, id, v, cost);
}

int bo__run_promote_finished(runner *r, const job_ctx *j, const bo_trial_rec *rec, const double *m)
{
	int rc;
	if ((rc = ended(r, j->id, j->x, j->unit.scenario, rec->state, rec->feasible, rec->score, rec->metrics,
			rec->nmetrics, m, rec->cost)) < 0)
		return rc;
	return close_rungs(r);
}

int bo__run_promote_replay(runner *r, const bo_trial_rec *t, const double *x, const double *m)
{
	const char *sc = t->scenario ? t->scenario : "default";
	int k = bo__scenario_find(r->s, sc), rc;
	if (k < 0)
		return 0;
	if ((rc = bo__promote_launched(r->promote, t->id, x, (size_t)k, t->repeat)) < 0)
		return rc;
	if (t->state != BO_TRIAL_COMPLETE && t->state != BO_TRIAL_FAILED && t->state != BO_TRIAL_PRUNED)
		return 0;
	return ended(r, t->id, x, sc, t->state, t->feasible, t->score, t->metrics, t->nmetrics, m, t->cost);
}

int bo__run_promote_settle(runner *r)
{
	return r->promote ? close_rungs(r) : 0;
}

/* 1 when the next launch would ask the sampler for a new configuration. */
static int would_ask(runner *r)
{
	const bo_study *s = r->s;
	double x[1], *buf = s->nparams > 1 ? bo__calloc(s->nparams, sizeof *buf) : x;
	size_t scen;
	int64_t rep, tok;
	int ask;
	if (!buf)
		return 0;
	ask = !r->held_x && !bo__units_next(r->units, buf, &scen, &rep, &tok) &&
	      !bo__promote_next(r->promote, buf, &scen, &rep);
	if (buf != x)
		bo__free(buf);
	return ask;
}

int bo__run_promote_decision(runner *r)
{
	const bo_study *s = r->s;
	const bo_budget *b = &s->budget;
	bo_promote_counts c;
	if (!r->promote)
		return LAUNCH_OK;
	bo__promote_counts(r->promote, &c);
	if (!bo__promote_explored(r->promote) && b->trials > 0 && would_ask(r)) {
		int64_t keep = (int64_t)ceil(s->promote.reserve * (double)b->trials);
		if (c.base_units + repeats_of(r) > b->trials - keep)
			bo__run_promote_explore_end(r, "%lld of %lld trials ran under the base scenario; "
						    "%lld are kept for promotions", (long long)c.base_units,
						    (long long)b->trials, (long long)keep);
	}
	if (!bo__promote_explored(r->promote) || !would_ask(r))
		return LAUNCH_OK;
	if (r->njobs > 0)
		return LAUNCH_WAIT;   /* the final rung waits for every configuration */
	if (close_rungs(r) < 0) {
		bo__run_stop_launching(r, "promote_stop", "scenario_policy promote: %s", bo_error_last());
		return LAUNCH_STOP;
	}
	if (!would_ask(r))
		return LAUNCH_OK;
	bo__promote_counts(r->promote, &c);
	bo__run_stop_launching(r, "promote_stop", "scenario_policy promote: %lld configurations, %lld "
			       "promoted over %lld rungs, every promotion launched", (long long)c.configs,
			       (long long)c.promoted, (long long)c.rungs);
	return LAUNCH_STOP;
}
