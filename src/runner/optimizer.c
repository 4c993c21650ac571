/*
 * runner/optimizer.c - the public ask/tell API (budgetopt/optimizer.h):
 * the run loop of runner/runner.c without processes or a ledger, for a
 * caller that owns the loop.
 *
 * Same rules as `budgetopt run`:
 * - a trial is handed out only if spend + the reservations of open trials
 *   + its own reservation fit in the money budget; the reservation and the
 *   trial's money cap come from runner/reserve.c (the cost model's
 *   prediction for the proposed configuration, a cheaper one near it when
 *   that does not fit, the derived cap), exactly as for `budgetopt run`,
 *   with the caller's options.parallel as the run's parallelism;
 * - a trial is charged usage x unit prices (resources without a price cost
 *   nothing), at most its cap (bo_trial_money_cap: per_trial.money, or the
 *   cap derived from the money left); so with a cap spend never passes
 *   the money budget. With per_trial: {money: none} a trial costlier than
 *   its reservation can pass it: the API cannot stop a trial the caller
 *   runs;
 * - the trial budget counts trials asked;
 * - the time budget (budget.time, per_trial.time) is NOT enforced here:
 *   the library has no clock (DESIGN.md section 2); a caller who wants one
 *   stops asking;
 * - the sampler is told exactly what runner.c's observe() tells it;
 * - the study's pruner (runner/pruner.c, one instance per optimizer, fed
 *   by bo_trial_report as runner.c's prune_check feeds it from step lines,
 *   and told every finished trial) answers bo_trial_should_prune; the
 *   caller stops the trial (the library cannot) and tells it pruned.
 *
 * With options.storage, the same trials are also recorded in a ledger
 * (runner/optimizer_ledger.c): the ledger's history is replayed at
 * creation, an asked trial is started there and a told one charged there,
 * so the API and `budgetopt run` make one study.
 *
 * Every call on a handle (and on its trials) takes the handle's mutex; the
 * handle's error message is this thread's last error, copied after each
 * failing call. Must never print or exit; touches files only through the
 * ledger.
 */
#include "budgetopt/optimizer.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "core/trial.h"
#include "core/utf8.h"
#include "runner/optimizer_ledger.h"
#include "runner/pruner.h"
#include "runner/pruner_replay.h"
#include "runner/reserve.h"
#include "samplers/sampler.h"

#define MONEY_EPS 1e-12          /* relative slack when comparing money */
#define ERRMSG_MAX 1024

struct bo_trial {
	bo_optimizer *o;
	int64_t number;
	double *x;               /* nparams values, as asked */
	double *metrics;         /* nmetrics values, NaN until set */
	bo_kv *usage;
	size_t nusage, capusage;
	double reserved;
	double cap;              /* most it is charged; NaN: none */
	char *sampler;
	char *reason;            /* bo_trial_set_reason, or NULL */
	int64_t last_step;       /* the last step reported, -1: none */
	int decided;             /* the pruner said stop at dec.step */
	bo_prune_decision dec;
};

struct bo_optimizer {
	const bo_study *s;
	bo_sampler *sm;
	pthread_mutex_t mu;
	char errmsg[ERRMSG_MAX];
	bo_trial **open;         /* trials asked and not told */
	size_t nopen, capopen;
	int64_t nasked, ntold;
	double spent, reserved;
	double max_cost;         /* costliest trial so far, before the cap */
	double *held_x;          /* asked, not handed out (did not fit), or NULL */
	int parallel;            /* trials the caller runs at once */
	int64_t best_number;     /* -1: none */
	double best_value;
	bo__optledger *led;      /* options.storage: the ledger, else NULL */
	bo_pruner *pr;           /* the study's pruner (never stops a trial: kind none) */
};

/* ---- locking and errors ---------------------------------------------- */

static void lock(const bo_optimizer *o)
{
	pthread_mutex_lock(&((bo_optimizer *)o)->mu);
}

static void unlock(const bo_optimizer *o)
{
	pthread_mutex_unlock(&((bo_optimizer *)o)->mu);
}

/* Keeps this thread's last error on the handle when rc is an error. Call
 * with the lock held. */
static int keep_error(bo_optimizer *o, int rc)
{
	if (rc < 0)
		snprintf(o->errmsg, sizeof o->errmsg, "%s", bo_error_last());
	return rc;
}

/* ---- trials ---------------------------------------------------------- */

static void trial_free(bo_trial *t)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < t->nusage; i++)
		bo__free(t->usage[i].name);
	bo__free(t->usage);
	bo__free(t->x);
	bo__free(t->metrics);
	bo__free(t->sampler);
	bo__free(t->reason);
	bo__free(t);
}

/* Index of t among o's open trials, or -1. Compares pointers only, so a
 * foreign or stale pointer is never read. */
static long find_open(const bo_optimizer *o, const bo_trial *t)
{
	size_t i;
	for (i = 0; i < o->nopen; i++)
		if (o->open[i] == t)
			return (long)i;
	return -1;
}

static void remove_open(bo_optimizer *o, size_t i)
{
	o->open[i] = o->open[--o->nopen];
}

static int note_best(bo_optimizer *o, int64_t number, const double *x, const double *metrics);
static int tell_locked(bo_optimizer *o, bo_trial *t, int state, double *cost);

/* ---- create and free --------------------------------------------------- */

/* A finished trial of the ledger's history (bo__optledger_open): the
 * sampler learns it as runner.c's load_history teaches it. */
static int seen_trial(void *ud, int64_t number, const double *x, int state, const double *metrics,
		      double cost, const bo_trial_rec *rec)
{
	bo_optimizer *o = ud;
	double v[BO_PRUNER_VALUES_MAX];
	int rc;
	if (state == BO_TRIAL_COMPLETE && (rc = note_best(o, number, x, metrics)) < 0)
		return rc;
	/* as the runner's load_history: the pruner learns every finished
	 * trial, after its steps were replayed */
	if (bo__pruner_values(&o->s->pruner, rec->metrics, rec->nmetrics, v) == 0 &&
	    (rc = bo__pruner_finish(o->pr, number + 1, state, v, rec->cost)) < 0)
		return rc;
	return bo__sampler_tell_metrics(o->sm, number, x, state, metrics, cost);
}

int bo_optimizer_new(bo_optimizer **out, const bo_study *s, const bo_optimizer_options *opt)
{
	bo_optimizer *o = NULL;
	const char *name;
	uint64_t seed;
	int rc = 0, mu_ok = 0;

	if (out)
		*out = NULL;
	if (!out || !s) {
		rc = bo__error(BO_EMISUSE, "bo_optimizer_new: out and study must not be NULL");
		goto done;
	}
	if (bo__study_needs_catalog(s)) {
		rc = bo__error(BO_EINVAL, "parameter \"%s\" takes its labels from a catalog (choice: from_catalog): list them to optimize the study",
			       bo__study_needs_catalog(s));
		goto done;
	}
	name = opt && opt->sampler ? opt->sampler : s->sampler;
	seed = opt && opt->has_seed ? opt->seed : s->seed;
	if (!(o = bo__calloc(1, sizeof *o))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (pthread_mutex_init(&o->mu, NULL) != 0) {
		rc = bo__error(BO_ERROR, "cannot create the optimizer's mutex");
		goto done;
	}
	mu_ok = 1;
	o->s = s;
	o->parallel = opt && opt->parallel > 0 ? opt->parallel : 1;
	o->best_number = -1;
	o->best_value = NAN;
	if ((rc = bo__sampler_new(&o->sm, s, name, seed)) < 0 ||
	    (rc = bo__pruner_new(&o->pr, &s->pruner)) < 0)
		goto done;
	if (opt && opt->storage) {
		bo__optledger_totals tot;
		if ((rc = bo__optledger_open(&o->led, s, opt->storage, bo__sampler_name(o->sm), seed,
					     o->pr, seen_trial, o, &tot)) < 0)
			goto done;
		o->nasked = tot.ntrials;
		o->ntold = tot.nfinished;
		o->spent = tot.spent;
		o->max_cost = tot.max_cost;
	}
	*out = o;
	o = NULL;
done:
	if (o) {
		bo__optledger_close(o->led);
		bo__pruner_free(o->pr);
		bo__sampler_free(o->sm);
		if (mu_ok)
			pthread_mutex_destroy(&o->mu);
		bo__free(o);
	}
	return rc;
}

void bo_optimizer_free(bo_optimizer *o)
{
	size_t i;
	if (!o)
		return;
	if (o->led) {
		/* The ledger keeps no trial running without a holder: fail
		 * and charge each open one with the usage added so far. */
		while (o->nopen > 0) {
			bo_trial *t = o->open[o->nopen - 1];
			o->nopen--;
			if (!t->reason)
				t->reason = bo__strdup("not told before the optimizer was freed");
			tell_locked(o, t, BO_TELL_FAILED, NULL);
		}
		bo__optledger_close(o->led);
	}
	for (i = 0; i < o->nopen; i++)
		trial_free(o->open[i]);
	bo__free(o->open);
	bo__free(o->held_x);
	bo__pruner_free(o->pr);
	bo__sampler_free(o->sm);
	pthread_mutex_destroy(&o->mu);
	bo__free(o);
}

const char *bo_optimizer_errmsg(const bo_optimizer *o)
{
	return o ? o->errmsg : "";
}

int bo_optimizer_set_param(bo_optimizer *o, const char *name, double value)
{
	int rc;
	if (!o || !name)
		return bo__error(BO_EMISUSE, "bo_optimizer_set_param: optimizer and name must not be NULL");
	lock(o);
	rc = keep_error(o, bo__sampler_set_param(o->sm, name, value));
	unlock(o);
	return rc;
}

/* ---- ask ------------------------------------------------------------- */

/* 0 when a budget allows one more trial without a proposal to look at,
 * BO_DONE (with a message) when it does not. */
static int launch_decision(bo_optimizer *o)
{
	const bo_budget *b = &o->s->budget;
	if (b->trials > 0 && o->nasked >= b->trials)
		return bo__error(BO_DONE, "trial budget reached (%lld trials)", (long long)b->trials);
	if (isfinite(b->money) && !isfinite(b->trial_money) && o->ntold == 0 && o->nopen > 0)
		return bo__error(BO_DONE,
				 "the first trial reserves the whole money budget: tell trial %lld before asking for another",
				 (long long)o->open[0]->number);
	return 0;
}

/* The reservation of proposal x (runner/reserve.c, as runner.c does):
 * 0 with *ro, or BO_DONE with a message. */
static int reserve(bo_optimizer *o, double *x, bo_reserve_out *ro)
{
	const bo_budget *b = &o->s->budget;
	bo_reserve_in in;
	char model[200];
	int v;
	memset(&in, 0, sizeof in);
	in.budget = b;
	in.left = b->money - o->spent - o->reserved;
	in.slots = (int64_t)o->parallel - (int64_t)o->nopen;
	if (b->trials > 0 && b->trials - o->nasked < in.slots)
		in.slots = b->trials - o->nasked;
	in.running = (int64_t)o->nopen;
	in.nfinished = o->ntold;
	in.max_cost = o->max_cost;
	in.model = model;
	in.model_size = sizeof model;
	if ((v = bo__reserve_proposal(o->sm, &in, o->nasked, x, o->s->nparams, ro)) < 0)
		return v;
	if (v == BO_RESERVE_OK)
		return 0;
	if (v == BO_RESERVE_DEAR && o->nopen > 0)
		return bo__error(BO_DONE,
				 "the next trial (reservation %.6g: %s) does not fit in the %.6g %s left after the reservations of %zu open trials: tell them and ask again",
				 ro->need, ro->basis, in.left, o->s->prices.currency, o->nopen);
	if (v == BO_RESERVE_DEAR)
		return bo__error(BO_DONE,
				 "money budget reached: %.6g %s left, the next trial needs a reservation of %.6g (%s)",
				 b->money - o->spent, o->s->prices.currency, ro->need, ro->basis);
	return bo__error(BO_DONE, "%s: tell the open trials before asking for another", ro->basis);
}

int bo_optimizer_ask(bo_optimizer *o, bo_trial **out)
{
	const bo_study *s;
	bo_trial *t = NULL;
	bo_reserve_out ro;
	size_t i;
	int rc;

	if (out)
		*out = NULL;
	if (!o || !out)
		return bo__error(BO_EMISUSE, "bo_optimizer_ask: optimizer and out must not be NULL");
	lock(o);
	s = o->s;
	if ((rc = launch_decision(o)) != 0)
		goto done;
	if (bo__grow(&o->open, &o->capopen, o->nopen + 1, sizeof *o->open) < 0 ||
	    !(t = bo__calloc(1, sizeof *t)) ||
	    !(t->metrics = bo__calloc(s->nmetrics + 1, sizeof *t->metrics))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->nmetrics; i++)
		t->metrics[i] = NAN;
	t->o = o;
	t->number = o->nasked;
	t->last_step = -1;
	if (o->held_x) {
		/* The proposal that did not fit last time, asked once. */
		t->x = o->held_x;
		o->held_x = NULL;
	} else {
		if (!(t->x = bo__calloc(s->nparams + 1, sizeof *t->x))) {
			rc = BO_ENOMEM;
			goto done;
		}
		if ((rc = bo__sampler_ask(o->sm, t->number, t->x)) != 0)
			goto done;
	}
	if ((rc = reserve(o, t->x, &ro)) != 0) {
		if (rc == BO_DONE) {
			o->held_x = t->x;
			t->x = NULL;
		}
		goto done;
	}
	if (!(t->sampler = bo__strdup(bo__sampler_name(o->sm)))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (o->led && (rc = bo__optledger_start(o->led, t->number, t->x, t->sampler, ro.reserve, ro.cap)) < 0)
		goto done;
	t->reserved = ro.reserve;
	t->cap = ro.cap;
	o->reserved += ro.reserve;
	o->nasked++;
	o->open[o->nopen++] = t;
	*out = t;
	t = NULL;
done:
	trial_free(t);
	if (rc != 0)
		snprintf(o->errmsg, sizeof o->errmsg, "%s", bo_error_last());
	unlock(o);
	return rc;
}

/* ---- reading and filling a trial --------------------------------------- */

int64_t bo_trial_number(const bo_trial *t)
{
	return t ? t->number : -1;
}

double bo_trial_money_cap(const bo_trial *t)
{
	return t ? t->cap : NAN;
}

static int trial_error(const bo_trial *t, int rc)
{
	lock(t->o);
	keep_error(t->o, rc);
	unlock(t->o);
	return rc;
}

int bo_trial_param(const bo_trial *t, const char *name, double *value)
{
	int i;
	if (value)
		*value = NAN;
	if (!t || !name || !value)
		return bo__error(BO_EMISUSE, "bo_trial_param: trial, name and value must not be NULL");
	/* x is fixed from ask to tell: no lock needed to read it. */
	if ((i = bo__study_find_param(t->o->s, name)) < 0)
		return trial_error(t, bo__error(BO_ENOTFOUND, "the study has no parameter \"%s\"", name));
	*value = t->x[i];
	return isnan(*value) ? BO_DONE : 0;
}

const char *bo_trial_label(const bo_trial *t, const char *name)
{
	const bo_param *p;
	double v;
	int i;
	if (!t || !name || (i = bo__study_find_param(t->o->s, name)) < 0)
		return NULL;
	p = &t->o->s->params[i];
	v = t->x[i];
	if ((p->type != BO_PT_CHOICE && p->type != BO_PT_ORDINAL) || isnan(v) || v < 0 ||
	    v >= (double)p->nchoices)
		return NULL;
	return p->choices[(size_t)v];
}

const char *bo_trial_sampler(const bo_trial *t)
{
	return t ? t->sampler : NULL;
}

int bo_trial_set_metric(bo_trial *t, const char *name, double value)
{
	int i, rc = 0;
	if (!t || !name)
		return bo__error(BO_EMISUSE, "bo_trial_set_metric: trial and name must not be NULL");
	lock(t->o);
	if ((i = bo__study_find_metric(t->o->s, name)) < 0)
		rc = bo__error(BO_ENOTFOUND, "the study has no metric \"%s\"", name);
	else if (!isfinite(value))
		rc = bo__error(BO_EINVAL, "metric \"%s\" = %g is not finite (tell the trial as failed)", name,
			       value);
	else
		t->metrics[i] = value;
	keep_error(t->o, rc);
	unlock(t->o);
	return rc;
}

int bo_trial_add_usage(bo_trial *t, const char *resource, double amount)
{
	size_t i;
	int rc = 0;
	if (!t || !resource)
		return bo__error(BO_EMISUSE, "bo_trial_add_usage: trial and resource must not be NULL");
	lock(t->o);
	if (!resource[0]) {
		rc = bo__error(BO_EINVAL, "usage needs a resource name");
		goto done;
	}
	if (!isfinite(amount) || amount < 0) {
		rc = bo__error(BO_EINVAL, "usage \"%s\" = %g must be a finite number >= 0", resource, amount);
		goto done;
	}
	for (i = 0; i < t->nusage; i++) {
		if (!strcmp(t->usage[i].name, resource)) {
			t->usage[i].value += amount;
			goto done;
		}
	}
	rc = bo__kv_push(&t->usage, &t->nusage, &t->capusage, resource, amount);
done:
	keep_error(t->o, rc);
	unlock(t->o);
	return rc;
}

/* ---- intermediate reports and pruning ----------------------------------- */

/* Why t should stop, into why (one line): STOP_PRUNE (the pruner said so
 * at a report), STOP_CAP (its usage so far, priced, reached its money
 * cap; runner.c's police_jobs words it), or STOP_NONE. Lock held. */
enum { STOP_NONE, STOP_PRUNE, STOP_CAP };

static int stop_reason(const bo_optimizer *o, const bo_trial *t, char *why, size_t size)
{
	const bo_study *s = o->s;
	double cost;
	if (t->decided) {
		snprintf(why, size, "pruned at step %lld by the %s rule: %s", (long long)t->dec.step,
			 t->dec.rule, t->dec.detail);
		return STOP_PRUNE;
	}
	cost = bo__pricebook_cost(&s->prices, t->usage, t->nusage);
	if (!isfinite(t->cap) || !(cost >= t->cap))
		return STOP_NONE;
	if (t->cap == s->budget.trial_money)
		snprintf(why, size, "reached the per-trial money cap (%.6g %s)", t->cap, s->prices.currency);
	else
		snprintf(why, size, "reached its money cap (%.6g %s, its share of the money budget)", t->cap,
			 s->prices.currency);
	return STOP_CAP;
}

int bo_trial_report(bo_trial *t, int64_t step, const char *const *names, const double *values,
		    size_t n)
{
	bo_optimizer *o;
	bo_kv *kv = NULL;
	size_t nkv = 0, capkv = 0, i;
	double v[BO_PRUNER_VALUES_MAX];
	bo_prune_decision d;
	int rc = 0;

	if (!t || (n > 0 && (!names || !values)))
		return bo__error(BO_EMISUSE, "bo_trial_report: trial, names and values must not be NULL");
	o = t->o;
	lock(o);
	if (step < 0) {
		rc = bo__error(BO_EINVAL, "trial %lld: step %lld is negative", (long long)t->number,
			       (long long)step);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (!names[i] || !names[i][0]) {
			rc = bo__error(BO_EINVAL, "trial %lld: a reported value needs a name", (long long)t->number);
			goto done;
		}
		if (!isfinite(values[i])) {
			rc = bo__error(BO_EINVAL, "trial %lld: \"%s\" = %g at step %lld is not finite",
				       (long long)t->number, names[i], values[i], (long long)step);
			goto done;
		}
		if ((rc = bo__kv_push(&kv, &nkv, &capkv, names[i], values[i])) < 0)
			goto done;
	}
	if (o->led && (rc = bo__optledger_step(o->led, t->number, step, kv, nkv, t->usage, t->nusage)) < 0)
		goto done;
	t->last_step = step;
	/* as runner.c's prune_check: the values the pruner reads and the
	 * cost so far (here: the usage added so far, priced) */
	if (bo__pruner_values(&o->s->pruner, kv, nkv, v) == 0) {
		double cost = bo__pricebook_cost(&o->s->prices, t->usage, t->nusage);
		if ((rc = bo__pruner_report(o->pr, t->number + 1, step, v, cost, &d)) < 0)
			goto done;
		if (d.prune && !t->decided) {
			t->dec = d;
			t->decided = 1;
		}
	}
done:
	bo__kv_free(kv, nkv);
	keep_error(o, rc);
	unlock(o);
	return rc;
}

int bo_trial_should_prune(bo_trial *t, char *why, size_t size)
{
	char buf[600];
	int k;
	if (why && size > 0)
		why[0] = '\0';
	if (!t)
		return bo__error(BO_EMISUSE, "bo_trial_should_prune: trial must not be NULL");
	lock(t->o);
	k = stop_reason(t->o, t, buf, sizeof buf);
	unlock(t->o);
	if (k != STOP_NONE && why && size > 0)
		snprintf(why, size, "%s", buf);
	return k != STOP_NONE;
}

/* ---- tell ------------------------------------------------------------ */

/* The value best() ranks a complete trial by into *v, and its goal (+1
 * maximise): the score, or without one the single objective; NaN when
 * infeasible, missing or not rankable. Returns 0 or BO_ENOMEM. */
static int rank_value(const bo_optimizer *o, const double *x, const double *metrics, double *out,
		      int *goal)
{
	const bo_study *s = o->s;
	double *dv = NULL, v = NAN;
	int feasible = 0;
	bo_eval_ctx ctx;
	*out = NAN;
	*goal = s->score_goal ? s->score_goal : 1;
	if (!s->score && s->nobjectives != 1)
		return 0;
	if (!(dv = bo__calloc(s->nderived + 1, sizeof *dv)))
		return BO_ENOMEM;
	ctx.study = s;
	ctx.x = (double *)x;
	ctx.metrics = (double *)metrics;
	ctx.derived = dv;
	if (bo__study_derive(&ctx) == 0 && bo__study_guardrails(&ctx, &feasible, NULL) == 0 && feasible) {
		if (s->score) {
			bo__study_score(&ctx, &v);
		} else {
			const bo_objective *b = &s->objectives[0];
			v = b->sym_kind == BO_SYM_DERIVED ? dv[b->index] : metrics[b->index];
			*goal = b->goal;
		}
	}
	bo__free(dv);
	*out = v;
	return 0;
}

/* Keeps the best complete trial (o->best_*) up to date with trial number. */
static int note_best(bo_optimizer *o, int64_t number, const double *x, const double *metrics)
{
	double value;
	int goal, rc;
	if ((rc = rank_value(o, x, metrics, &value, &goal)) < 0)
		return rc;
	if (!isnan(value) &&
	    (o->best_number < 0 || (goal > 0 ? value > o->best_value : value < o->best_value))) {
		o->best_number = number;
		o->best_value = value;
	}
	return 0;
}

/* Tells open trial t (already removed from o->open) and frees it; the
 * lock is held. */
static int tell_locked(bo_optimizer *o, bo_trial *t, int state, double *cost)
{
	const bo_study *s = o->s;
	double charged, price;
	size_t i;
	int rc = 0, orc, final_state;
	const char *reason = t->reason, *stop = NULL;
	char why[600] = "";
	double v[BO_PRUNER_VALUES_MAX];

	/* Charge first: whatever fails below, the trial's cost counts. */
	price = bo__pricebook_cost(&s->prices, t->usage, t->nusage);
	o->max_cost = fmax(o->max_cost, price);
	charged = price;
	if (isfinite(t->cap) && !(charged <= t->cap))
		charged = t->cap;
	o->spent += charged;
	o->reserved -= t->reserved;
	if (o->reserved < 0 || o->nopen == 0)
		o->reserved = 0.0;   /* no rounding drift left behind */
	o->ntold++;
	if (cost)
		*cost = charged;

	final_state = BO_TRIAL_FAILED;
	if (state == BO_TELL_COMPLETE) {
		final_state = BO_TRIAL_COMPLETE;
		for (i = 0; i < s->nmetrics; i++)
			if (isnan(t->metrics[i]) && !s->metrics[i].optional) {
				final_state = BO_TRIAL_FAILED;
				if (!why[0])
					snprintf(why, sizeof why, "told complete without metric \"%s\"",
						 s->metrics[i].name);
			}
	} else if (state == BO_TELL_PRUNED) {
		/* recorded as the runner records a trial it stopped */
		int k = stop_reason(o, t, why, sizeof why);
		final_state = k == STOP_CAP ? BO_TRIAL_FAILED : BO_TRIAL_PRUNED;
		stop = k == STOP_CAP ? "cap" : "prune";
		if (k == STOP_NONE && t->last_step >= 0)
			snprintf(why, sizeof why, "pruned at step %lld by the caller rule: %s",
				 (long long)t->last_step, t->reason ? t->reason : "told pruned by the caller");
		else if (k == STOP_NONE)
			snprintf(why, sizeof why, "pruned by the caller before any report%s%s",
				 t->reason ? ": " : "", t->reason ? t->reason : "");
		reason = why;
	} else if (state != BO_TELL_FAILED) {
		rc = bo__error(BO_EMISUSE, "bo_optimizer_tell: unknown state %d (trial %lld told as failed)",
			       state, (long long)t->number);
		snprintf(why, sizeof why, "told with unknown state %d", state);
	}
	if (final_state == BO_TRIAL_FAILED && !reason)
		reason = why[0] ? why : "told as failed";
	if (final_state == BO_TRIAL_COMPLETE && (orc = note_best(o, t->number, t->x, t->metrics)) < 0 &&
	    rc == 0)
		rc = orc;
	if (o->led) {
		bo__optledger_end e;
		e.state = final_state;
		e.x = t->x;
		e.metrics = t->metrics;
		e.usage = t->usage;
		e.nusage = t->nusage;
		e.cost = charged;
		e.price = price;
		e.reserved = t->reserved;
		e.reason = final_state != BO_TRIAL_COMPLETE ? reason : NULL;
		e.stop = stop;
		if ((orc = bo__optledger_finish(o->led, t->number, &e)) < 0 && rc == 0)
			rc = orc;
	}
	/* the pruner learns how it ended (runner_finish.c's pruner finish) */
	for (i = 0; i < s->pruner.nmetrics && i < BO_PRUNER_VALUES_MAX; i++) {
		int m = bo__study_find_metric(s, s->pruner.metrics[i]);
		v[i] = m >= 0 ? t->metrics[m] : NAN;
	}
	if (s->pruner.nmetrics <= BO_PRUNER_VALUES_MAX &&
	    (orc = bo__pruner_finish(o->pr, t->number + 1, final_state, v, charged)) < 0 && rc == 0)
		rc = orc;
	orc = bo__sampler_tell_metrics(o->sm, t->number, t->x, final_state, t->metrics, charged);
	if (rc == 0)
		rc = orc;
	trial_free(t);
	return rc;
}

int bo_optimizer_tell(bo_optimizer *o, bo_trial *t, int state, double *cost)
{
	long at;
	int rc;

	if (cost)
		*cost = 0.0;
	if (!o || !t)
		return bo__error(BO_EMISUSE, "bo_optimizer_tell: optimizer and trial must not be NULL");
	lock(o);
	if ((at = find_open(o, t)) < 0) {
		/* Not ours: never touch it. */
		rc = bo__error(BO_EMISUSE, "bo_optimizer_tell: not an open trial of this optimizer (told already?)");
	} else {
		remove_open(o, (size_t)at);
		rc = tell_locked(o, t, state, cost);
	}
	keep_error(o, rc);
	unlock(o);
	return rc;
}

int bo_trial_set_reason(bo_trial *t, const char *reason)
{
	char *copy;
	int rc = 0;
	if (!t || !reason)
		return bo__error(BO_EMISUSE, "bo_trial_set_reason: trial and reason must not be NULL");
	lock(t->o);
	/* The ledger keeps one line of valid, printable UTF-8. */
	if (!(copy = bo__utf8_clean(reason, strlen(reason), 500))) {
		rc = BO_ENOMEM;
	} else {
		bo__free(t->reason);
		t->reason = copy;
	}
	keep_error(t->o, rc);
	unlock(t->o);
	return rc;
}

/* ---- results --------------------------------------------------------- */

int bo_optimizer_best(bo_optimizer *o, int64_t *number, double *value)
{
	int rc = 0;
	if (number)
		*number = -1;
	if (value)
		*value = NAN;
	if (!o)
		return bo__error(BO_EMISUSE, "bo_optimizer_best: optimizer must not be NULL");
	lock(o);
	if (!o->s->score && o->s->nobjectives != 1) {
		rc = bo__error(BO_DONE, "the study has %zu objectives and no score: there is no single best trial",
			       o->s->nobjectives);
	} else if (o->best_number < 0) {
		rc = bo__error(BO_DONE, "no complete trial meets every guardrail yet");
	} else {
		if (number)
			*number = o->best_number;
		if (value)
			*value = o->best_value;
	}
	unlock(o);
	return rc;
}

double bo_optimizer_spent(const bo_optimizer *o)
{
	double v;
	if (!o)
		return 0.0;
	lock(o);
	v = o->spent;
	unlock(o);
	return v;
}

int64_t bo_optimizer_ntold(const bo_optimizer *o)
{
	int64_t n;
	if (!o)
		return 0;
	lock(o);
	n = o->ntold;
	unlock(o);
	return n;
}
