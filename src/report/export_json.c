/*
 * report/export_json.c - a study's ledger as JSON values, the one place
 * where trials, status, frontier and events take their JSON shape (see
 * export_json.h). `export`, `serve` and the tests comparing the two rely on
 * both producing the same values.
 *
 * Must never print or touch files: it only builds jansson values.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/utf8.h"
#include "report/export_json.h"
#include "report/rungs.h"
#include "storage/postgres.h"

/* *ok is 1 while all is well, 0 after a failure that can only be memory
 * (every string is made valid UTF-8 first, so jansson cannot refuse one),
 * and -1 after a failure whose precise message is already set (bad data
 * in the ledger): then nothing overwrites that message. */

/* A failure that can only be memory: *ok 0, unless a message is set. */
static void lost(int *ok)
{
	if (*ok > 0)
		*ok = 0;
}

/* Can v go into the container c? If not (either is NULL), drops v and
 * clears *ok. */
static int can_add(const json_t *c, json_t *v, int *ok)
{
	if (c && v)
		return 1;
	json_decref(v);
	lost(ok);
	return 0;
}

/* Sets key to v in o (taking v); on any failure clears *ok. */
static void put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (can_add(o, v, ok) && json_object_set_new(o, key, v) < 0)   /* it took v */
		lost(ok);
}

/* Appends v to a (taking v); on any failure clears *ok. */
static void push(json_t *a, json_t *v, int *ok)
{
	if (can_add(a, v, ok) && json_array_append_new(a, v) < 0)   /* it took v */
		lost(ok);
}

/* Text read from the ledger: a ledger written before text was cleaned on
 * entry (or by another program) may hold invalid UTF-8, which jansson
 * refuses; it is shown cleaned (core/utf8.h), never dropped. */
static json_t *text(const char *s)
{
	json_t *v;
	char *c;
	if (bo__utf8_is_clean(s, strlen(s)))
		return json_string(s);
	if (!(c = bo__utf8_clean(s, strlen(s), 0)))
		return NULL;
	v = json_string(c);
	bo__free(c);
	return v;
}

/* Sets key (cleaned like text) to v in o. */
static void put_text_key(json_t *o, const char *key, json_t *v, int *ok)
{
	char *c;
	if (bo__utf8_is_clean(key, strlen(key))) {
		put(o, key, v, ok);
		return;
	}
	c = bo__utf8_clean(key, strlen(key), 0);
	if (!c) {
		json_decref(v);
		lost(ok);
		return;
	}
	put(o, c, v, ok);
	bo__free(c);
}

/* The parameters of trial id as stored (a JSON object written by the
 * runner): {} when absent; NULL with a message naming the trial and the
 * field, and *ok = -1, when the ledger holds something else. */
static json_t *params_value(const char *pj, int64_t id, int *ok)
{
	json_t *v;
	json_error_t jerr;
	if (!pj)
		return json_object();
	v = json_loads(pj, JSON_DECODE_INT_AS_REAL, &jerr);
	if (v && json_is_object(v))
		return v;
	json_decref(v);
	bo__error(BO_ERROR, "trial %lld: field \"params\" in the ledger is not a JSON object (%s)",
		  (long long)id, v ? "another JSON value" : jerr.text);
	*ok = -1;
	return NULL;
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? text(s) : json_null();
}

/* Returns v, or NULL (decref'ing v) when building it failed. */
static json_t *finish(json_t *v, int ok)
{
	if (ok > 0 && v)
		return v;
	json_decref(v);
	if (ok >= 0)
		bo__error(BO_ENOMEM, "out of memory building JSON");
	return NULL;
}

static json_t *kv_object(const bo_kv *kv, size_t n)
{
	json_t *o = json_object();
	size_t i;
	int ok = 1;
	for (i = 0; i < n; i++)
		put_text_key(o, kv[i].name, num_or_null(kv[i].value), &ok);
	return finish(o, ok);
}

json_t *bo__export_trial_json(const bo_study *s, const bo_trial_rec *t)
{
	json_t *o = json_object();
	int ok = 1;
	json_t *params = params_value(t->params_json, t->id, &ok);
	put(o, "id", json_integer(t->id), &ok);
	put(o, "state", json_string(bo__trial_state_name(t->state)), &ok);
	put(o, "sampler", str_or_null(t->sampler), &ok);
	put(o, "params", params, &ok);
	/* the scenario and repeat it evaluated its configuration under */
	put(o, "scenario", json_string(t->scenario ? t->scenario : "default"), &ok);
	put(o, "repeat", json_integer(t->repeat), &ok);
	if (s && s->fidelity.param >= 0) {
		/* multi-fidelity: the rung the trial ran at (null: none) */
		size_t k;
		int rung = -1;
		for (k = 0; k < t->nparams; k++)
			if (!strcmp(t->params[k].name, s->params[s->fidelity.param].name))
				rung = bo__study_fidelity_rung(s, t->params[k].value, NULL);
		put(o, "rung", rung >= 0 ? json_integer(rung) : json_null(), &ok);
	}
	put(o, "metrics", kv_object(t->metrics, t->nmetrics), &ok);
	put(o, "usage", kv_object(t->usage, t->nusage), &ok);
	put(o, "cost", num_or_null(t->cost), &ok);
	put(o, "currency", json_string(s->prices.currency), &ok);
	put(o, "price_version", str_or_null(t->price_version), &ok);
	put(o, "score", num_or_null(t->score), &ok);
	put(o, "feasible", t->feasible < 0 ? json_null() : json_boolean(t->feasible), &ok);
	put(o, "reason", str_or_null(t->reason), &ok);
	if (t->state == BO_TRIAL_PRUNED) {
		/* what the pruner's reason says: the step that decided, the rule
		 * and its figures (null when the reason does not say, as for a
		 * trial pruned in Optuna) */
		int64_t step;
		char rule[32];
		int at;
		bo__rungs_parse_reason(t->reason, &step, rule, sizeof rule, &at);
		put(o, "pruned_at_step", step >= 0 ? json_integer(step) : json_null(), &ok);
		put(o, "prune_rule", rule[0] ? json_string(rule) : json_null(), &ok);
		put(o, "prune_detail", at >= 0 ? text(t->reason + at) : json_null(), &ok);
	}
	put(o, "started_at", num_or_null(t->started_at), &ok);
	put(o, "ended_at", t->ended_at > 0 ? json_real(t->ended_at) : json_null(), &ok);
	put(o, "version", json_integer(t->version), &ok);
	/* Where it ran and what held it (runner/orphans.c finds it by these). */
	put(o, "host", str_or_null(t->host), &ok);
	put(o, "pid", t->pid > 0 ? json_integer(t->pid) : json_null(), &ok);
	put(o, "cgroup", str_or_null(t->cgroup), &ok);
	put(o, "slurm_job", bo__trial_slurm_job(t) > 0 ? json_integer(bo__trial_slurm_job(t)) : json_null(), &ok);
	put(o, "folder", str_or_null(t->folder), &ok);
	return finish(o, ok);
}

json_t *bo__export_trials_json(const bo_study *s, const bo_trial_rec *t, size_t n)
{
	json_t *a = json_array();
	size_t i;
	int ok = 1;
	for (i = 0; i < n && ok > 0; i++) {
		json_t *v = bo__export_trial_json(s, &t[i]);
		if (!v) {
			json_decref(a);
			return NULL;        /* its message says what and where */
		}
		push(a, v, &ok);
	}
	return finish(a, ok);
}

size_t bo__export_best(const bo_study *s, const bo_trial_rec *t, size_t n)
{
	size_t i, best = n;
	for (i = 0; i < n; i++) {
		if (t[i].state != BO_TRIAL_COMPLETE || t[i].feasible != 1 || isnan(t[i].score))
			continue;
		if (best == n || (s->score_goal < 0 ? t[i].score < t[best].score : t[i].score > t[best].score) ||
		    (t[i].score == t[best].score && t[i].id < t[best].id))
			best = i;
	}
	return best;
}

json_t *bo__export_status_json(const bo_study *s, const bo_ledger_totals *tot,
			       const bo_trial_rec *t, size_t n)
{
	json_t *o = json_object(), *states = json_object();
	size_t b = bo__export_best(s, t, n);
	int k, ok = 1;
	for (k = 0; k <= BO_TRIAL_FAILED; k++)
		put(states, bo__trial_state_name(k), json_integer(tot->by_state[k]), &ok);
	put(o, "study", json_string(s->name), &ok);
	put(o, "currency", json_string(s->prices.currency), &ok);
	put(o, "spent", json_real(tot->spent), &ok);
	put(o, "budget_money", num_or_null(s->budget.money), &ok);
	put(o, "trials", json_integer(tot->ntrials), &ok);
	put(o, "budget_trials", s->budget.trials ? json_integer(s->budget.trials) : json_null(), &ok);
	put(o, "by_state", states, &ok);
	put(o, "elapsed_s", json_real(tot->elapsed_s), &ok);
	put(o, "budget_time_s", num_or_null(s->budget.time_s), &ok);
	if (b < n) {
		json_t *bt = json_object();
		int okb = 1;
		json_t *params = params_value(t[b].params_json, t[b].id, &okb);
		put(bt, "id", json_integer(t[b].id), &okb);
		put(bt, "score", json_real(t[b].score), &okb);
		put(bt, "cost", num_or_null(t[b].cost), &okb);
		put(bt, "params", params, &okb);
		put(o, "best", finish(bt, okb), &ok);
		if (okb < 0)
			ok = -1;
	} else {
		put(o, "best", json_null(), &ok);
	}
	return finish(o, ok);
}

static const char *goal_name(int g)
{
	return g > 0 ? "maximize" : "minimize";
}

/* metrics then derived metrics of configuration i, by name. */
static json_t *metrics_json(const bo_configs *c, size_t i)
{
	const bo_study *s = c->s;
	json_t *o = json_object();
	size_t k;
	int ok = 1;
	for (k = 0; k < s->nmetrics; k++)
		put(o, s->metrics[k].name, num_or_null(c->v[i].m[k]), &ok);
	for (k = 0; k < s->nderived; k++)
		put(o, s->derived[k].name, num_or_null(c->v[i].dv[k]), &ok);
	return finish(o, ok);
}

static json_t *id_or_null(int64_t id)
{
	return id >= 0 ? json_integer(id) : json_null();
}

json_t *bo__export_frontier_json(const bo_configs *c, const bo_frontier *fr, int all)
{
	json_t *o = json_object(), *axes = json_array(), *ref = json_array(), *front = json_array();
	json_t *others = all ? json_array() : NULL;
	size_t i, k;
	int ok = 1;
	for (k = 0; k < fr->d; k++) {
		json_t *a = json_object();
		int oka = 1;
		put(a, "name", json_string(fr->ax[k].name), &oka);
		put(a, "goal", json_string(goal_name(fr->ax[k].goal)), &oka);
		push(axes, finish(a, oka), &ok);
		push(ref, num_or_null(fr->ref[k]), &ok);
	}
	for (i = 0; i < fr->nfront && ok > 0; i++) {
		size_t ci = fr->front[i];
		const bo_config *cf = &c->v[ci];
		json_t *r = json_object(), *vals = json_object();
		int okr = 1;
		json_t *params = params_value(cf->params_json, cf->id, &okr);
		put(r, "id", json_integer(cf->id), &okr);
		put(r, "params", params, &okr);
		for (k = 0; k < fr->d; k++)
			put(vals, fr->ax[k].name, num_or_null(bo__axis_value(c, ci, &fr->ax[k])), &okr);
		put(r, "values", vals, &okr);
		put(r, "metrics", metrics_json(c, ci), &okr);
		put(r, "cost", num_or_null(cf->cost), &okr);
		put(r, "score", num_or_null(cf->score), &okr);
		put(r, "marginal", num_or_null(fr->marginal[ci]), &okr);
		put(r, "knee", json_boolean(cf->id == fr->knee), &okr);
		push(front, finish(r, okr), &ok);
		if (okr < 0)
			ok = -1;
	}
	for (i = 0; all && i < c->n && ok > 0; i++) {
		const char *status;
		char why[600], *p;
		json_t *r;
		int okr = 1;
		if (bo__frontier_on(fr, i))
			continue;
		bo__frontier_why(c, fr, i, &status, why, sizeof why);
		/* As `frontier --format json` writes it: quotes and controls as '. */
		for (p = why; *p; p++)
			if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
				*p = '\'';
		r = json_object();
		put(r, "id", json_integer(c->v[i].id), &okr);
		put(r, "status", json_string(status), &okr);
		put(r, "why", text(why), &okr);
		push(others, finish(r, okr), &ok);
	}
	if (!ok) {
		json_decref(axes);
		json_decref(ref);
		json_decref(front);
		json_decref(others);
		json_decref(o);
		return finish(NULL, ok);
	}
	put(o, "axes", axes, &ok);
	put(o, "reference_point", ref, &ok);
	put(o, "hypervolume", num_or_null(fr->hv), &ok);
	put(o, "knee", id_or_null(fr->knee), &ok);
	put(o, "saturation", id_or_null(fr->saturation), &ok);
	put(o, "frontier", front, &ok);
	if (all)
		put(o, "others", others, &ok);
	return finish(o, ok);
}

json_t *bo__export_events_json(const bo_event *e, size_t n)
{
	json_t *a = json_array();
	size_t i;
	int ok = 1;
	for (i = 0; i < n && ok > 0; i++) {
		json_t *o = json_object();
		int oko = 1;
		put(o, "id", json_integer(e[i].id), &oko);
		put(o, "t", num_or_null(e[i].t), &oko);
		put(o, "run_id", e[i].run_id ? json_integer(e[i].run_id) : json_null(), &oko);
		put(o, "trial_id", e[i].trial_id ? json_integer(e[i].trial_id) : json_null(), &oko);
		put(o, "kind", str_or_null(e[i].kind), &oko);
		put(o, "amount", num_or_null(e[i].amount), &oko);
		put(o, "detail", str_or_null(e[i].detail), &oko);
		push(a, finish(o, oko), &ok);
	}
	return finish(a, ok);
}

json_t *bo__export_alerts_json(const bo_event *e, size_t n)
{
	json_t *a = json_array();
	size_t i;
	for (i = 0; a && i < n; i++) {
		json_t *o;
		if (!e[i].kind || (strcmp(e[i].kind, "alert") && strcmp(e[i].kind, "rollback")))
			continue;
		o = json_pack("{s:s, s:f, s:o, s:o, s:s}", "kind", e[i].kind, "t", e[i].t, "trial",
			      e[i].trial_id > 0 ? json_integer((json_int_t)e[i].trial_id) : json_null(),
			      "amount", isfinite(e[i].amount) ? json_real(e[i].amount) : json_null(),
			      "detail", e[i].detail ? e[i].detail : "");
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *bo__export_workers_json(struct bo_storage *st)
{
	bo_pg_worker *w = NULL;
	size_t n = 0, i;
	json_t *a;
	if (!st || !bo__storage_is_pg_handle(st) || bo__pg_workers(st, &w, &n) < 0)
		return NULL;
	if (!(a = json_array())) {
		bo__free(w);
		return NULL;
	}
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:I, s:f, s:f, s:o, s:I}", "id",
						   (json_int_t)w[i].id, "host", w[i].host, "pid",
						   (json_int_t)w[i].pid, "started_at", w[i].started_at,
						   "heartbeat_at", w[i].heartbeat_at, "ended_at",
						   w[i].ended_at > 0 ? json_real(w[i].ended_at) : json_null(),
						   "trials", (json_int_t)w[i].ntrials));
	bo__free(w);
	return a;
}

/* One configuration's chances: {id, label, within: [{guardrail,
 * probability, required}]}. */
static json_t *chances_of(const bo_configs *c, const bo_mc *mc, size_t i)
{
	json_t *o = json_object(), *a = json_array();
	size_t k;
	int ok = 1;
	put(o, "id", json_integer(c->v[i].id), &ok);
	put(o, "label", str_or_null(c->v[i].label), &ok);
	for (k = 0; mc && k < mc->ng; k++) {
		json_t *w;
		if (!mc->g_uncertain[k] && !(mc->g_need[k] > 0))
			continue;
		w = json_object();
		put(w, "guardrail", text(c->guardrails[k].text), &ok);
		put(w, "probability", num_or_null(mc->prob[i * mc->ng + k]), &ok);
		put(w, "required", num_or_null(mc->g_need[k] > 0 ? mc->g_need[k] : NAN), &ok);
		push(a, w, &ok);
	}
	put(o, "within", a, &ok);
	return finish(o, ok);
}

json_t *bo__export_chances_json(const bo_configs *c, const bo_mc *mc, const size_t *order, size_t norder,
				size_t runners)
{
	json_t *o = json_object(), *a = json_array();
	size_t r;
	int ok = 1;
	put(o, "draws", mc ? json_integer((json_int_t)mc->o.draws) : json_null(), &ok);
	put(o, "seed", mc ? json_integer((json_int_t)mc->o.seed) : json_null(), &ok);
	put(o, "selected", norder ? chances_of(c, mc, order[0]) : json_null(), &ok);
	for (r = 1; r < norder && r <= runners; r++)
		push(a, chances_of(c, mc, order[r]), &ok);
	put(o, "runners_up", a, &ok);
	return finish(o, ok);
}

json_t *bo__export_fidelity_json(const bo_study *s, const bo_rungs *r)
{
	json_t *o = json_object(), *a = json_array();
	int k, ok = 1;
	put(o, "param", json_string(s->params[s->fidelity.param].name), &ok);
	put(o, "schedule", json_string(bo__fidelity_schedule_name(s->fidelity.schedule)),
	    &ok);
	put(o, "eta", json_real(s->fidelity.eta), &ok);
	put(o, "min", json_real(s->fidelity.min), &ok);
	put(o, "max", json_real(s->fidelity.max), &ok);
	put(o, "ranked_by", str_or_null(r->ranked_by), &ok);
	put(o, "promotions", json_integer(r->promotions), &ok);
	for (k = 0; k < r->nrungs; k++) {
		const bo_rung_row *w = &r->rungs[k];
		json_t *x = json_object();
		int okx = 1;
		put(x, "rung", json_integer(k), &okx);
		put(x, "value", json_real(w->value), &okx);
		put(x, "trials", json_integer(w->trials), &okx);
		put(x, "complete", json_integer(w->complete), &okx);
		put(x, "pruned", json_integer(w->pruned), &okx);
		put(x, "failed", json_integer(w->failed), &okx);
		put(x, "running", json_integer(w->running), &okx);
		put(x, "promoted", json_integer(w->promoted), &okx);
		put(x, "spent", json_real(w->spent), &okx);
		put(x, "best", num_or_null(w->best), &okx);
		put(x, "best_trial", w->best_trial > 0 ? json_integer(w->best_trial) : json_null(), &okx);
		push(a, finish(x, okx), &ok);
	}
	put(o, "rungs", a, &ok);
	return finish(o, ok);
}

json_t *bo__export_pruning_json(const bo_rungs *r, int with_trials)
{
	json_t *o = json_object();
	int64_t i;
	int ok = 1;
	put(o, "pruner", json_string(r->pruner ? r->pruner : "none"), &ok);
	put(o, "trials_pruned", json_integer(r->npruned), &ok);
	put(o, "trials_complete", json_integer(r->ncomplete), &ok);
	put(o, "spent_pruned", json_real(r->spent_pruned), &ok);
	put(o, "spent_complete", json_real(r->spent_complete), &ok);
	put(o, "spent_failed", json_real(r->spent_failed), &ok);
	put(o, "full_steps", r->full_steps > 0 ? json_integer(r->full_steps) : json_null(), &ok);
	put(o, "full_steps_from", str_or_null(r->full_steps_from), &ok);
	put(o, "estimated_trials", json_integer(r->nestimated), &ok);
	put(o, "estimated_full_cost", r->nestimated ? json_real(r->est_full_cost) : json_null(), &ok);
	put(o, "estimated_saving", r->nestimated ? json_real(r->est_saved) : json_null(), &ok);
	if (with_trials) {
		json_t *a = json_array();
		for (i = 0; i < r->npruned; i++) {
			const bo_pruned_row *p = &r->pruned[i];
			json_t *x = json_object();
			int okx = 1;
			put(x, "id", json_integer(p->id), &okx);
			put(x, "step", p->step >= 0 ? json_integer(p->step) : json_null(), &okx);
			put(x, "steps_done", p->steps_done >= 0 ? json_integer(p->steps_done) : json_null(), &okx);
			put(x, "rule", p->rule[0] ? json_string(p->rule) : json_null(), &okx);
			put(x, "detail", str_or_null(p->detail), &okx);
			put(x, "cost", num_or_null(p->cost), &okx);
			put(x, "estimated_full_cost", num_or_null(p->full_cost), &okx);
			push(a, finish(x, okx), &ok);
		}
		put(o, "trials", a, &ok);
	}
	return finish(o, ok);
}

int bo__export_rungs_into(json_t *o, const bo_study *s, const bo_rungs *r, int with_trials)
{
	int ok = 1;
	if (r->has_fidelity)
		put(o, "fidelity", bo__export_fidelity_json(s, r), &ok);
	if (r->has_pruner)
		put(o, "pruning", bo__export_pruning_json(r, with_trials), &ok);
	return ok > 0 ? 0 : bo__error(BO_ENOMEM, "out of memory building JSON");
}

static json_t *param_or_null(const bo_study *s, const bo_trial_rec *t)
{
	const char *name;
	size_t i;
	if (!t || s->fidelity.param < 0)
		return json_null();
	name = s->params[s->fidelity.param].name;
	for (i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return num_or_null(t->params[i].value);
	return json_null();
}

json_t *bo__export_curves_json(const bo_study *s, const bo_trial_rec *t, size_t n,
			       const bo_step_row *steps, size_t nsteps)
{
	int goal = 0, ok = 1;
	const char *metric = bo__rungs_curve_metric(s, &goal);
	json_t *o = json_object(), *a = json_array();
	size_t i, j, k;
	put(o, "metric", str_or_null(metric), &ok);
	put(o, "goal", goal > 0 ? json_string("maximize") : goal < 0 ? json_string("minimize") : json_null(), &ok);
	for (i = 0; metric && a && i < nsteps; i = j) {
		const bo_trial_rec *tr = bo__trial_find(t, n, steps[i].trial_id);
		json_t *x, *pts = NULL;
		int okx = 1;
		int64_t pstep = -1;
		for (j = i; j < nsteps && steps[j].trial_id == steps[i].trial_id; j++)
			;
		for (k = i; k < j; k++)
			if (steps[k].name && !strcmp(steps[k].name, metric)) {
				json_t *pt = json_array();
				if (!pts)
					pts = json_array();
				push(pt, json_integer(steps[k].step), &okx);
				push(pt, num_or_null(steps[k].value), &okx);
				push(pts, pt, &okx);
			}
		if (!pts) {
			if (!okx)
				ok = 0;
			continue;
		}
		if (tr && tr->state == BO_TRIAL_PRUNED) {
			char rule[32];
			int at;
			bo__rungs_parse_reason(tr->reason, &pstep, rule, sizeof rule, &at);
		}
		x = json_object();
		put(x, "id", json_integer(steps[i].trial_id), &okx);
		put(x, "state", json_string(bo__trial_state_name(tr ? tr->state : BO_TRIAL_RUNNING)), &okx);
		put(x, "fidelity", param_or_null(s, tr), &okx);
		put(x, "pruned_step", pstep >= 0 ? json_integer(pstep) : json_null(), &okx);
		put(x, "steps", pts, &okx);
		push(a, finish(x, okx), &ok);
	}
	put(o, "trials", a, &ok);
	return finish(o, ok);
}
