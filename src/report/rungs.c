/*
 * report/rungs.c - what multi-fidelity and pruning did, from the ledger's
 * records (report/rungs.h): the rung table and the pruning figures that
 * `status`, `export`, `report` and `serve` show.
 *
 * Pure: no I/O, never prints. It reads what the runner wrote and never
 * decides anything itself: the rungs are the study's (core/study_fidelity.c),
 * the ranking is the runner's (runner/fidelity_run.h), a promotion is a
 * "promote" event and a pruned trial's step, rule and figures are its
 * recorded reason.
 */
#include "report/rungs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "runner/fidelity_run.h"
#include "runner/pruner.h"

typedef struct idrung {
	int64_t id;
	int rung;      /* -1: none */
	int state;
} idrung;

static int cmp_idrung(const void *a, const void *b)
{
	const idrung *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_pruned(const void *a, const void *b)
{
	const bo_pruned_row *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static const idrung *find_id(const idrung *v, size_t n, int64_t id)
{
	idrung key;
	if (!v || n == 0)
		return NULL;   /* bsearch wants a valid base even for 0 */
	memset(&key, 0, sizeof key);
	key.id = id;
	return bsearch(&key, v, n, sizeof *v, cmp_idrung);
}

static bo_pruned_row *find_pruned(bo_pruned_row *v, size_t n, int64_t id)
{
	bo_pruned_row key;
	if (!v || n == 0)
		return NULL;   /* no pruned trial: out->pruned is NULL */
	memset(&key, 0, sizeof key);
	key.id = id;
	return bsearch(&key, v, n, sizeof *v, cmp_pruned);
}

int bo__rungs_parse_reason(const char *reason, int64_t *step, char *rule, size_t rsize, int *detail_at)
{
	static const char head[] = "pruned at step ", mid[] = " by the ", tail[] = " rule";
	const char *p, *r, *e;
	char *end;
	long long k;
	*step = -1;
	if (rsize)
		rule[0] = '\0';
	*detail_at = -1;
	if (!reason || strncmp(reason, head, sizeof head - 1))
		return 0;
	p = reason + sizeof head - 1;
	k = strtoll(p, &end, 10);
	if (end == p || strncmp(end, mid, sizeof mid - 1))
		return 0;
	r = end + sizeof mid - 1;
	if (!(e = strstr(r, tail)) || e == r)
		return 0;
	*step = (int64_t)k;
	if (rsize)
		snprintf(rule, rsize, "%.*s", (int)(e - r), r);
	e += sizeof tail - 1;
	if (*e == ':') {
		e++;
		while (*e == ' ')
			e++;
		*detail_at = (int)(e - reason);
	}
	return 1;
}

/* The rung of trial t, or -1. */
static int rung_of(const bo_study *s, const bo_trial_rec *t)
{
	const char *name = s->params[s->fidelity.param].name;
	size_t k;
	for (k = 0; k < t->nparams; k++)
		if (!strcmp(t->params[k].name, name))
			return bo__study_fidelity_rung(s, t->params[k].value, NULL);
	return -1;
}

/* The parent trial of a promote event's detail ("... from trial P to ..."), or 0. */
static int64_t promote_parent(const char *detail)
{
	const char *p = detail ? strstr(detail, " from trial ") : NULL;
	char *end;
	long long v;
	if (!p)
		return 0;
	p += strlen(" from trial ");
	v = strtoll(p, &end, 10);
	return end != p && v > 0 ? (int64_t)v : 0;
}

static void add_cost(double *sum, double c)
{
	if (isfinite(c))
		*sum += c;
}

static void fidelity_part(bo_rungs *out, const bo_study *s, const bo_trial_rec *t, size_t n,
			  const idrung *ir, const bo_event *e, size_t ne)
{
	const bo_param *p = &s->params[s->fidelity.param];
	double values[BO_FIDELITY_MAX_RUNGS];
	int goal = 1, r;
	size_t i;
	out->has_fidelity = 1;
	out->nrungs = bo__fidelity_rungs(&s->fidelity, p->type, values, BO_FIDELITY_MAX_RUNGS);
	if (out->nrungs > BO_FIDELITY_MAX_RUNGS)
		out->nrungs = BO_FIDELITY_MAX_RUNGS;
	out->ranked_by = bo__fidelity_rank_name(s, &goal);
	for (r = 0; r < out->nrungs; r++) {
		out->rungs[r].value = values[r];
		out->rungs[r].best = NAN;
	}
	for (i = 0; i < n; i++) {
		bo_rung_row *row;
		double v;
		if ((r = rung_of(s, &t[i])) < 0 || r >= out->nrungs) {
			out->off_rung++;
			continue;
		}
		row = &out->rungs[r];
		row->trials++;
		add_cost(&row->spent, t[i].cost);
		switch (t[i].state) {
		case BO_TRIAL_COMPLETE: row->complete++; break;
		case BO_TRIAL_PRUNED: row->pruned++; break;
		case BO_TRIAL_FAILED: row->failed++; break;
		case BO_TRIAL_RUNNING: row->running++; break;
		default: break;
		}
		v = bo__fidelity_rank_value(s, t[i].state, t[i].feasible, t[i].score, t[i].metrics, t[i].nmetrics);
		if (!isnan(v) && goal && (row->best_trial == 0 || v > row->best * goal ||
					  (v == row->best * goal && t[i].id < row->best_trial))) {
			row->best = v / goal;
			row->best_trial = t[i].id;
		}
	}
	for (i = 0; i < ne; i++) {
		const idrung *pr;
		int64_t parent;
		if (!e[i].kind || strcmp(e[i].kind, "promote"))
			continue;
		out->promotions++;
		parent = promote_parent(e[i].detail);
		if ((pr = find_id(ir, n, parent)) && pr->rung >= 0 && pr->rung < out->nrungs)
			out->rungs[pr->rung].promoted++;
	}
}

static int pruning_part(bo_rungs *out, const bo_study *s, const bo_trial_rec *t, size_t n,
			const idrung *ir, const bo_step_row *steps, size_t nsteps)
{
	const bo_pruner_spec *ps = &s->pruner;
	int64_t complete_max = 0;
	size_t i, k = 0;
	out->has_pruner = 1;
	out->pruner = bo__pruner_rule_name(ps->kind);
	for (i = 0; i < n; i++) {
		switch (t[i].state) {
		case BO_TRIAL_COMPLETE:
			out->ncomplete++;
			add_cost(&out->spent_complete, t[i].cost);
			break;
		case BO_TRIAL_PRUNED:
			out->npruned++;
			add_cost(&out->spent_pruned, t[i].cost);
			break;
		case BO_TRIAL_FAILED:
			out->nfailed++;
			add_cost(&out->spent_failed, t[i].cost);
			break;
		default: break;
		}
	}
	if (out->npruned && !(out->pruned = bo__calloc((size_t)out->npruned, sizeof *out->pruned)))
		return BO_ENOMEM;
	for (i = 0; i < n; i++) {
		bo_pruned_row *row;
		int at;
		if (t[i].state != BO_TRIAL_PRUNED)
			continue;
		row = &out->pruned[k++];
		row->id = t[i].id;
		row->cost = t[i].cost;
		row->full_cost = NAN;
		bo__rungs_parse_reason(t[i].reason, &row->step, row->rule, sizeof row->rule, &at);
		row->steps_done = row->step;
		if (at >= 0 && !(row->detail = bo__strdup(t[i].reason + at)))
			return BO_ENOMEM;
	}
	if (k > 1)   /* out->pruned is NULL when no trial was pruned */
		qsort(out->pruned, k, sizeof *out->pruned, cmp_pruned);
	for (i = 0; i < nsteps; i++) {
		const idrung *tr = find_id(ir, n, steps[i].trial_id);
		bo_pruned_row *row;
		if (!tr)
			continue;
		if (tr->state == BO_TRIAL_COMPLETE && steps[i].step > complete_max)
			complete_max = steps[i].step;
		if (tr->state == BO_TRIAL_PRUNED && (row = find_pruned(out->pruned, k, tr->id)) &&
		    steps[i].step > row->steps_done)
			row->steps_done = steps[i].step;
	}
	if (ps->max_step > 0) {
		out->full_steps = ps->max_step;
		out->full_steps_from = "max_step";
	} else if (complete_max > 0) {
		out->full_steps = complete_max;
		out->full_steps_from = "complete trials";
	}
	for (i = 0; out->full_steps > 0 && i < k; i++) {
		bo_pruned_row *row = &out->pruned[i];
		if (row->steps_done < 1 || !isfinite(row->cost))
			continue;
		row->full_cost = row->steps_done >= out->full_steps
				 ? row->cost
				 : row->cost * (double)out->full_steps / (double)row->steps_done;
		out->nestimated++;
		out->est_full_cost += row->full_cost;
		out->est_saved += row->full_cost - row->cost;
	}
	return 0;
}

int bo__rungs_summarize(bo_rungs *out, const bo_study *s, const bo_trial_rec *t, size_t n,
			const bo_event *e, size_t ne, const bo_step_row *steps, size_t nsteps)
{
	idrung *ir = NULL;
	size_t i;
	int rc = 0;
	memset(out, 0, sizeof *out);
	if (s->fidelity.param < 0 && s->pruner.kind == BO_PRUNER_NONE)
		return 0;
	if (!(ir = bo__calloc(n + 1, sizeof *ir))) {
		rc = bo__error(BO_ENOMEM, "out of memory summarising the rungs");
		goto done;
	}
	for (i = 0; i < n; i++) {
		ir[i].id = t[i].id;
		ir[i].state = t[i].state;
		ir[i].rung = s->fidelity.param >= 0 ? rung_of(s, &t[i]) : -1;
	}
	qsort(ir, n, sizeof *ir, cmp_idrung);
	if (s->fidelity.param >= 0)
		fidelity_part(out, s, t, n, ir, e, ne);
	if (s->pruner.kind != BO_PRUNER_NONE && pruning_part(out, s, t, n, ir, steps, nsteps) < 0)
		rc = bo__error(BO_ENOMEM, "out of memory summarising the pruned trials");
done:
	bo__free(ir);
	if (rc < 0)
		bo__rungs_clear(out);
	return rc;
}

void bo__rungs_clear(bo_rungs *r)
{
	int64_t i;
	if (!r)
		return;
	for (i = 0; r->pruned && i < r->npruned; i++)
		bo__free(r->pruned[i].detail);
	bo__free(r->pruned);
	memset(r, 0, sizeof *r);
}

const char *bo__rungs_curve_metric(const bo_study *s, int *goal)
{
	size_t i;
	*goal = 0;
	if (s->pruner.kind != BO_PRUNER_NONE && s->pruner.nmetrics) {
		*goal = s->pruner.goals ? s->pruner.goals[0] : 0;
		return s->pruner.metrics[0];
	}
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC) {
			*goal = s->objectives[i].goal;
			return s->objectives[i].name;
		}
	for (i = 0; i < s->nmetrics; i++)
		if (s->metrics[i].goal) {
			*goal = s->metrics[i].goal;
			return s->metrics[i].name;
		}
	return s->nmetrics ? s->metrics[0].name : NULL;
}
