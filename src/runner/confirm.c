/*
 * runner/confirm.c - the confirmation phase (runner/confirm.h): after
 * exploration, the top candidates by the study's select rule are run again
 * in rounds, and after each round those worse than the leader beyond the
 * noise, or the worst when the reserve cannot pay a round for all, leave
 * (analysis/racing.h), each drop an event with its numbers.
 *
 * Every decision is taken from the ledger as it is (trials and events),
 * never from what this process remembers, so a run killed at any instant
 * takes the same decisions when it resumes: no confirmation trial is lost
 * or launched twice. Its trials take the same path as any other
 * (reservation, cap, charge) under the phase's money limit, and are never
 * told to the sampler. Must never print or exit.
 */
#include "runner/runner_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/configs.h"
#include "analysis/racing.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "runner/confirm.h"
#include "storage/storage.h"

#define DEFAULT_CONFIDENCE 0.95
/* Rounds at most: candidates that stay within each other's noise (or cost
 * nothing) end the race here rather than spend the reserve forever. */
#define BO_CONFIRM_MAX_ROUNDS 30

enum { PHASE_EXPLORE, PHASE_ON, PHASE_OVER };

struct bo_confirm {
	bo_study view;           /* what r->s points to: the study with this phase's money */
	const bo_study *orig;
	double confidence;
	double extra;            /* select --reserve: the money it may spend; 0: budget: confirm */
	int64_t nrep;            /* the run's repeats: a confirmation trial's repeat is beyond */
	int ever;                /* the ledger holds a phase (budget: confirm runs once) */
	int phase;
	double limit;            /* the most the ledger may have spent by the phase's end */
	int64_t start_id;        /* the last trial before the phase */
	size_t ncand;
	int64_t cand[BO_CONFIRM_TOP];
	int alive[BO_CONFIRM_TOP];
};

/* What the ledger says of one candidate in the phase. */
typedef struct cand_state {
	const char *json;        /* its parameters, as stored */
	size_t launched;         /* confirmation trials of this phase, any state */
	int running;
	int64_t max_repeat;
	double max_cost;         /* the most one of its trials cost */
	size_t cfg;              /* its entry in the configurations, or (size_t)-1 */
} cand_state;

int bo__confirm_new(runner *r)
{
	const bo_study *s = r->s;
	bo_confirm *c;
	int share = s->budget.confirm > 0, extra = r->opt->confirm_money > 0;
	if (!share && !extra)
		return 0;
	if (!s->score)
		return bo__error(BO_EINVAL, "%s: confirming races the top candidates on the score, but the "
				 "study has none (add score:)", s->path);
	if (s->nscenarios || s->fidelity.param >= 0)
		return bo__error(BO_EINVAL, "%s: confirming re-evaluates a configuration under one scenario "
				 "at one fidelity; the study has %s", s->path,
				 s->nscenarios ? "scenarios" : "fidelity:");
	if (!(c = bo__calloc(1, sizeof *c)))
		return BO_ENOMEM;
	c->view = *s;
	c->orig = s;
	c->confidence = r->opt->confirm_confidence > 0 ? r->opt->confirm_confidence : DEFAULT_CONFIDENCE;
	c->extra = extra ? r->opt->confirm_money : 0;
	c->nrep = r->opt->repeats > 0 ? r->opt->repeats : s->repeats;
	if (c->nrep < 1)
		c->nrep = 1;
	/* exploration keeps the share back */
	if (share && isfinite(s->budget.money))
		c->view.budget.money = s->budget.money * (1 - s->budget.confirm);
	r->confirm = c;
	r->s = &c->view;
	return 0;
}

void bo__confirm_free(bo_confirm *c)
{
	bo__free(c);
}

int bo__confirm_on(const runner *r)
{
	return r->confirm && r->confirm->phase == PHASE_ON;
}

int bo__confirm_is_trial(const bo_trial_rec *t)
{
	return t->sampler && !strcmp(t->sampler, BO_CONFIRM_SAMPLER);
}

/* ---- ranking ------------------------------------------------------------------ */

/* The select rule of the study, as select applies it by default: the score,
 * ties within the noise broken by the cost axis (the cheaper objective of
 * two, else the search cost). */
static void study_rule(const bo_configs *c, bo_select_rule *rule)
{
	const bo_study *s = c->s;
	memset(rule, 0, sizeof *rule);
	rule->rule = BO_SELECT_SCORE;
	if (s->nobjectives >= 2) {
		bo_axis a, b;
		bo__axis_objective(s, 0, &a);
		bo__axis_objective(s, 1, &b);
		rule->cost = b.goal > 0 && a.goal < 0 ? a : b;
	} else if (bo__axis_parse(c, "cost", &rule->cost) < 0) {
		memset(&rule->cost, 0, sizeof rule->cost);
	}
}

/* The ledger's trials as select sees them: repeats grouped, ordered by the
 * study's rule with the noise test where there are repeats (*order, *norder
 * usable and feasible ones, best first). */
static int rank(runner *r, const bo_trial_rec *t, size_t n, bo_configs *c, size_t **order, size_t *norder)
{
	bo_select_rule rule;
	bo_noise_cmp *cmp = NULL;
	size_t i;
	int rc, reps = 0;
	*order = NULL;
	*norder = 0;
	if ((rc = bo__configs_init(c, r->s, NULL, 0, NULL)) < 0 || (rc = bo__configs_add_trials(c, t, n)) < 0 ||
	    (rc = bo__configs_group(c)) < 0)
		return rc;
	study_rule(c, &rule);
	if (!(*order = bo__calloc(c->n + 1, sizeof **order)))
		return BO_ENOMEM;
	if ((rc = bo__select_order(c, &rule, *order, norder)) < 0)
		return rc;
	for (i = 0; i < c->n; i++)
		reps |= c->v[i].nrep >= 2;
	if (reps && *norder > 0) {
		if (!(cmp = bo__calloc(*norder, sizeof *cmp)))
			return BO_ENOMEM;
		rc = bo__select_noise(c, &rule, r->confirm->confidence, *order, *norder, cmp);
		bo__free(cmp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_trials(runner *r, bo_trial_rec **t, size_t *n)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	*t = NULL;
	*n = 0;
	return r->st->ops->trials(r->st, &q, t, n);
}

/* ---- entering and ending --------------------------------------------------------- */

static void enter(runner *r)
{
	bo_confirm *c = r->confirm;
	c->view.budget.money = c->limit;
	c->view.budget.trials = 0;     /* the reserve bounds the phase, not the trial count */
	c->phase = PHASE_ON;
	c->ever = 1;
	r->stop_launch = 0;
	r->waiting = 0;
	r->stop_reason[0] = '\0';
	bo__free(r->held_x);           /* exploration's last proposal is not run */
	r->held_x = NULL;
	r->held_unit = r->has_held_fid = r->held_conf = 0;
}

/* Picks the candidates from the ledger and records the phase's start. */
static int begin(runner *r, double limit)
{
	bo_confirm *c = r->confirm;
	bo_trial_rec *t = NULL;
	bo_configs cf;
	size_t n = 0, *order = NULL, norder = 0, i;
	char ids[200] = "", name[64];
	int rc;
	memset(&cf, 0, sizeof cf);
	if ((rc = load_trials(r, &t, &n)) < 0 || (rc = rank(r, t, n, &cf, &order, &norder)) < 0)
		goto done;
	c->ncand = norder < BO_CONFIRM_TOP ? norder : BO_CONFIRM_TOP;
	for (i = 0; i < c->ncand; i++) {
		c->cand[i] = cf.v[order[i]].id;
		c->alive[i] = 1;
		snprintf(name, sizeof name, "%s%lld", i ? ", " : "", (long long)c->cand[i]);
		strncat(ids, name, sizeof ids - strlen(ids) - 1);
	}
	if (c->ncand == 0) {
		c->phase = PHASE_OVER;
		bo__run_note(r, "confirmation: no feasible configuration with a score to confirm");
		goto done;
	}
	c->limit = limit;
	c->start_id = r->ntrials;
	if ((rc = bo__run_event(r, c->start_id, "confirm_start", limit,
				"confirmation: racing %zu candidates on the score at %g%%, with %.6g %s to spend "
				"(at most %.6g %s spent in all) (trials %s)", c->ncand, c->confidence * 100,
				limit - r->spent, r->s->prices.currency, limit, r->s->prices.currency, ids)) < 0)
		goto done;
	crash_point(r, "confirm_start");
	enter(r);
	bo__run_note(r, "confirmation: re-evaluating trials %s with %.6g %s", ids, limit - r->spent,
		     r->s->prices.currency);
done:
	bo__free(order);
	bo__configs_clear(&cf);
	bo__trial_rec_free_array(t, n);
	return rc;
}

/* The race is over: records the end (winner, rounds, money) and stops launching. */
static int end(runner *r, int64_t winner, size_t ntrials, const char *why)
{
	bo_confirm *c = r->confirm;
	double spent = 0;
	bo_trial_rec *t = NULL;
	size_t n = 0, i;
	int rc;
	if ((rc = load_trials(r, &t, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (t[i].id > c->start_id && isfinite(t[i].cost))
			spent += t[i].cost;
	bo__trial_rec_free_array(t, n);
	c->phase = PHASE_OVER;
	rc = bo__run_event(r, winner, "confirm_end", spent,
			   "confirmation ended: trial %lld leads after %zu re-evaluations (%.6g %s); %s",
			   (long long)winner, ntrials, spent, r->s->prices.currency, why);
	r->stop_launch = 1;
	snprintf(r->stop_reason, sizeof r->stop_reason, "confirmation ended: trial %lld leads (%s)",
		 (long long)winner, why);
	bo__run_note(r, "%s", r->stop_reason);
	return rc;
}

int bo__confirm_resume(runner *r)
{
	bo_confirm *c = r->confirm;
	bo_event *e = NULL;
	size_t n = 0, i, start = (size_t)-1;
	int open = 0, rc;
	if (!c)
		return 0;
	if (r->w)
		return bo__error(BO_EINVAL, "confirming is done by one runner: not by a worker");
	if ((rc = r->st->ops->events(r->st, &e, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (!e[i].kind)
			continue;
		if (!strcmp(e[i].kind, "confirm_start")) {
			start = i;
			open = 1;
			c->ever = 1;
		} else if (!strcmp(e[i].kind, "confirm_end")) {
			open = 0;
		}
	}
	if (open) {
		/* a phase a killed run left: its candidates, its drops so far */
		const char *p = e[start].detail ? strstr(e[start].detail, "(trials ") : NULL;
		c->limit = e[start].amount;
		c->start_id = e[start].trial_id;
		c->ncand = 0;
		for (p = p ? p + 8 : NULL; p && c->ncand < BO_CONFIRM_TOP;) {
			char *q;
			long long id = strtoll(p, &q, 10);
			if (q == p)
				break;
			c->alive[c->ncand] = 1;
			c->cand[c->ncand++] = id;
			p = *q == ',' ? q + 1 : NULL;
		}
		for (i = start + 1; i < n; i++) {
			size_t k;
			if (!e[i].kind || strcmp(e[i].kind, "confirm_drop"))
				continue;
			for (k = 0; k < c->ncand; k++)
				if (c->cand[k] == e[i].trial_id)
					c->alive[k] = 0;
		}
	}
	bo__event_free_array(e, n);
	if (open) {
		if (c->ncand == 0)
			return bo__error(BO_ECONFLICT, "the ledger's confirm_start event names no candidate");
		enter(r);
		bo__run_note(r, "confirmation: resuming the phase the last run left");
		return 0;
	}
	if (c->extra > 0)
		return begin(r, r->spent + c->extra);
	return 0;
}

int bo__confirm_switch(runner *r)
{
	bo_confirm *c = r->confirm;
	const bo_budget *b;
	int out;
	size_t k = 0;
	if (!c)
		return 0;
	b = &c->orig->budget;
	out = r->interrupt_seen || (isfinite(b->time_s) && elapsed(r) >= b->time_s);
	if (c->phase == PHASE_ON) {
		/* stopped otherwise than by the race (the reserve could not
		 * reserve its next trial): over, unless a resume can go on */
		int rc = 0;
		char why[300];
		while (k + 1 < c->ncand && !c->alive[k])
			k++;
		snprintf(why, sizeof why, "the reserve is spent: %s", r->stop_reason);
		if (!out)
			rc = end(r, c->cand[k], 0, why);
		c->phase = PHASE_OVER;
		return rc < 0 ? rc : 0;
	}
	if (c->phase == PHASE_OVER || c->ever || out || c->extra > 0 || !(b->confirm > 0))
		return 0;
	if (begin(r, b->money) < 0)
		return BO_ERROR;
	return c->phase == PHASE_ON;
}

/* ---- the race ------------------------------------------------------------------- */

/* A standard error for people: "none" with fewer than two evaluations. */
static void se_text(double se, char *buf, size_t size)
{
	if (isfinite(se))
		snprintf(buf, size, "%.3g", se);
	else
		snprintf(buf, size, "none");
}

/* Records the drop of candidate k (event and note). */
static int record_drop(runner *r, const bo_configs *cf, const cand_state *cs, size_t k, size_t leader,
		       const bo_race_arm *a, const bo_race_drop *d, double left, double need)
{
	bo_confirm *c = r->confirm;
	const bo_config *x = cs[k].cfg != (size_t)-1 ? &cf->v[cs[k].cfg] : NULL;
	const bo_config *l = cs[leader].cfg != (size_t)-1 ? &cf->v[cs[leader].cfg] : NULL;
	char why[300], sx[32], sl[32];
	double mx = x ? x->score : NAN, ml = l ? l->score : NAN;
	int rc;
	se_text(a[k].se, sx, sizeof sx);
	se_text(a[leader].se, sl, sizeof sl);
	if (!d)
		snprintf(why, sizeof why, "breaks a guardrail on the mean of its %zu evaluations%s%s",
			 a[k].n, x && x->why ? ": " : "", x && x->why ? x->why : "");
	else if (d->rule == BO_RACE_NOISE)
		snprintf(why, sizeof why, "worse than the leader beyond the noise at %g%% (difference %.3g, "
			 "noise \u00b1%.3g, Welch, df %.3g)", c->confidence * 100, fabs(ml - mx), d->half, d->df);
	else
		snprintf(why, sizeof why, "the worst by mean when the reserve (%.6g %s left) cannot pay a "
			 "round for every candidate still in (%.6g %s)", left, r->s->prices.currency, need,
			 r->s->prices.currency);
	rc = bo__run_event(r, c->cand[k], "confirm_drop", mx,
			   "trial %lld (rule %s): mean score %.6g (se %s, n %zu) against the leader, trial "
			   "%lld, %.6g (se %s, n %zu): %s", (long long)c->cand[k],
			   d ? bo__race_rule_name(d->rule) : "infeasible", mx, sx, a[k].n,
			   (long long)c->cand[leader], ml, sl, a[leader].n, why);
	bo__run_note(r, "confirmation: dropped trial %lld: %s", (long long)c->cand[k], why);
	c->alive[k] = 0;
	return rc;
}

/* Decides after a complete round: drops, then whether another round is
 * paid for. Returns 1 when the race goes on, 0 when it ended, or an error. */
static int decide(runner *r, const bo_configs *cf, const cand_state *cs, size_t round)
{
	bo_confirm *c = r->confirm;
	bo_race_arm a[BO_CONFIRM_TOP];
	bo_race_drop d[BO_CONFIRM_TOP];
	int goal = r->s->score_goal ? r->s->score_goal : 1;
	double left = c->limit - r->spent - r->reserved, need = 0;
	size_t k, nd, leader, nalive = 0, ntrials = 0;
	int infeasible[BO_CONFIRM_TOP], rc;
	for (k = 0; k < c->ncand; k++) {
		const bo_config *x = cs[k].cfg != (size_t)-1 ? &cf->v[cs[k].cfg] : NULL;
		a[k].alive = c->alive[k];
		a[k].n = x && x->usable ? (x->nrep ? x->nrep : 1) : 0;
		a[k].mean = x && x->usable ? x->score * goal : NAN;
		a[k].se = x && x->nrep >= 2 ? x->score_se : NAN;
		a[k].next_cost = isfinite(cs[k].max_cost) ? cs[k].max_cost : 0;
		ntrials += cs[k].launched;
	}
	/* one that breaks a guardrail on its mean leaves first, against the
	 * leader among the others */
	for (k = 0; k < c->ncand; k++) {
		const bo_config *x = cs[k].cfg != (size_t)-1 ? &cf->v[cs[k].cfg] : NULL;
		infeasible[k] = c->alive[k] && x && x->usable && x->feasible != 1;
		if (infeasible[k])
			a[k].alive = 0;
	}
	nd = bo__race_round(a, c->ncand, c->confidence, left, &leader, d);
	if (leader == c->ncand)
		return end(r, c->cand[0], ntrials, "no feasible candidate is left");
	for (k = 0; k < c->ncand; k++)
		if (infeasible[k] && (rc = record_drop(r, cf, cs, k, leader, a, NULL, left, 0)) < 0)
			return rc;
	for (k = 0; k < c->ncand; k++)
		if (c->alive[k])
			need += a[k].next_cost;
	for (k = 0; k < nd; k++) {
		if (!c->alive[d[k].arm])
			continue;
		if ((rc = record_drop(r, cf, cs, d[k].arm, leader, a, &d[k], left, need)) < 0)
			return rc;
		need -= a[d[k].arm].next_cost;
		crash_point(r, "confirm_drop");
	}
	for (k = 0; k < c->ncand; k++)
		nalive += c->alive[k];
	if (nalive <= 1) {
		char why[80];
		snprintf(why, sizeof why, "one candidate remains after %zu round%s", round, round == 1 ? "" : "s");
		return (rc = end(r, c->cand[leader], ntrials, why)) < 0 ? rc : 0;
	}
	if (need > left) {
		char why[200];
		snprintf(why, sizeof why, "%zu candidates remain within the noise; the reserve cannot pay "
			 "another round", nalive);
		return (rc = end(r, c->cand[leader], ntrials, why)) < 0 ? rc : 0;
	}
	if (round >= BO_CONFIRM_MAX_ROUNDS) {
		char why[200];
		snprintf(why, sizeof why, "%zu candidates remain within the noise after %d rounds, the most "
			 "a phase runs", nalive, BO_CONFIRM_MAX_ROUNDS);
		return (rc = end(r, c->cand[leader], ntrials, why)) < 0 ? rc : 0;
	}
	return 1;
}

int bo__confirm_hold(runner *r)
{
	bo_confirm *c = r->confirm;
	const bo_study *s = r->s;
	bo_trial_rec *t = NULL;
	bo_configs cf;
	cand_state cs[BO_CONFIRM_TOP];
	size_t n = 0, i, k, round = 0, *order = NULL, norder = 0, pick = (size_t)-1;
	int running = 0, rc;
	memset(&cf, 0, sizeof cf);
	memset(cs, 0, sizeof cs);
	if ((rc = load_trials(r, &t, &n)) < 0 || (rc = rank(r, t, n, &cf, &order, &norder)) < 0)
		goto done;
	for (k = 0; k < c->ncand; k++) {
		const bo_trial_rec *ct = bo__trial_rec_find(t, n, c->cand[k]);
		cs[k].json = ct ? ct->params_json : NULL;
		cs[k].max_cost = NAN;
		cs[k].cfg = (size_t)-1;
		for (i = 0; i < cf.n; i++)
			if (cf.v[i].id == c->cand[k])
				cs[k].cfg = i;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < c->ncand; k++) {
			if (!cs[k].json || !t[i].params_json || strcmp(cs[k].json, t[i].params_json))
				continue;
			if (t[i].repeat > cs[k].max_repeat)
				cs[k].max_repeat = t[i].repeat;
			if (isfinite(t[i].cost) && !(t[i].cost <= cs[k].max_cost))
				cs[k].max_cost = t[i].cost;
			if (t[i].id > c->start_id && bo__confirm_is_trial(&t[i])) {
				cs[k].launched++;
				if (t[i].state == BO_TRIAL_RUNNING || t[i].state == BO_TRIAL_QUEUED)
					cs[k].running = 1;
			}
		}
	}
	for (k = 0; k < c->ncand; k++)
		if (c->alive[k] && cs[k].launched > round)
			round = cs[k].launched;
	/* the round is not complete: its next trial */
	for (k = 0; k < c->ncand && pick == (size_t)-1; k++)
		if (c->alive[k] && cs[k].launched < round)
			pick = k;
	for (k = 0; k < c->ncand; k++)
		running |= c->alive[k] && cs[k].running;
	if (pick == (size_t)-1 && running) {
		rc = LAUNCH_WAIT;
		goto done;
	}
	if (pick == (size_t)-1) {
		if ((rc = decide(r, &cf, cs, round)) <= 0) {
			rc = rc < 0 ? rc : LAUNCH_STOP;
			goto done;
		}
		for (k = 0; k < c->ncand && pick == (size_t)-1; k++)
			if (c->alive[k])
				pick = k;
	}
	{
		const bo_trial_rec *ct = bo__trial_rec_find(t, n, c->cand[pick]);
		double *x = bo__calloc(s->nparams + 1, sizeof *x), *m = bo__calloc(s->nmetrics + 1, sizeof *m);
		if (!x || !m || !ct) {
			bo__free(x);
			bo__free(m);
			rc = ct ? BO_ENOMEM : bo__error(BO_ECONFLICT, "confirmation: candidate trial %lld is not in "
							"the ledger", (long long)c->cand[pick]);
			goto done;
		}
		bo__trial_rec_point(s, ct, x, m);
		bo__free(m);
		r->held_x = x;
		r->held_conf = 1;
		r->held_unit = r->has_held_fid = 0;
		bo__unit_id_of(s, 0, cs[pick].max_repeat < c->nrep ? c->nrep : cs[pick].max_repeat + 1,
			       &r->held_id);
		rc = LAUNCH_OK;
	}
done:
	bo__free(order);
	bo__configs_clear(&cf);
	bo__trial_rec_free_array(t, n);
	return rc;
}
