/*
 * analysis/configs.c - configurations from a ledger or a catalog, evaluated
 * under the study as it is now, and the selection order over them.
 *
 * Pure: no I/O, no clock. Must never pick a configuration that is not
 * usable and feasible, and must order ties the same way every time.
 */
#include "analysis/configs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

static void config_clear(bo_config *f)
{
	bo__free(f->x);
	bo__free(f->m);
	bo__free(f->dv);
	bo__free(f->margins);
	bo__free(f->params_json);
	bo__free(f->why);
	bo__free(f->label);
}

const char *bo__config_name(const bo_configs *c, size_t i, char *buf, size_t size)
{
	const bo_config *f = &c->v[i];
	if (size == 0)
		return buf;
	if (f->label)
		snprintf(buf, size, "%s", f->label);
	else
		snprintf(buf, size, "%s %lld", c->catalog ? "row" : "trial", (long long)f->id);
	return buf;
}

void bo__configs_clear(bo_configs *c)
{
	size_t i;
	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		config_clear(&c->v[i]);
	bo__free(c->v);
	for (i = 0; c->guardrails && i < c->nextra; i++) {
		bo_guardrail *g = &c->guardrails[c->nguardrails - c->nextra + i];
		bo__free(g->text);
		bo__expr_free(g->expr);
	}
	bo__free(c->guardrails);
	bo__expr_free(c->where);
	memset(c, 0, sizeof *c);
}

int bo__configs_init(bo_configs *c, const bo_study *s, const char *const *guardrails,
		     size_t nextra, const char *where)
{
	size_t i;
	int rc = 0;
	memset(c, 0, sizeof *c);
	c->s = s;
	c->guardrails = bo__calloc(s->nguardrails + nextra + 1, sizeof *c->guardrails);
	if (!c->guardrails)
		return BO_ENOMEM;
	/* The study's guardrails are borrowed (not owned): copy the structs. */
	for (i = 0; i < s->nguardrails; i++)
		c->guardrails[i] = s->guardrails[i];
	c->nguardrails = s->nguardrails;
	for (i = 0; i < nextra; i++) {
		bo_guardrail *g = &c->guardrails[c->nguardrails];
		const bo_expr *l, *r;
		if ((rc = bo__study_compile(s, guardrails[i], "--guardrail", &g->expr)) < 0)
			goto fail;
		if (!bo__expr_comparison(g->expr, &l, &r)) {
			bo__expr_free(g->expr);
			g->expr = NULL;
			rc = bo__error(BO_EINVAL, "--guardrail \"%s\" must be a comparison (<, <=, >, >=, ==, !=), such as \"latency_ms <= 200\"",
				       guardrails[i]);
			goto fail;
		}
		if (!(g->text = bo__strdup(guardrails[i]))) {
			bo__expr_free(g->expr);
			rc = BO_ENOMEM;
			goto fail;
		}
		c->nguardrails++;
		c->nextra++;
	}
	if (where && (rc = bo__study_compile(s, where, "--where", &c->where)) < 0)
		goto fail;
	return 0;
fail:
	bo__configs_clear(c);
	return rc;
}

/* Computes derived metrics, guardrails and the score of f, and whether the
 * filters keep it. Returns 1 to keep, 0 to leave out, or an error. */
static int evaluate(bo_configs *c, bo_config *f)
{
	const bo_study *s = c->s;
	bo_eval_ctx ctx;
	bo_expr_env env;
	double keep;
	int rc, i;
	ctx.study = s;
	ctx.x = f->x;
	ctx.metrics = f->m;
	ctx.derived = f->dv;
	if ((rc = bo__study_derive(&ctx)) < 0)
		return rc;
	bo__study_env(&ctx, &env);
	for (i = 0; i < 2; i++) {
		const bo_expr *w = i == 0 ? s->catalog.where : c->where;
		if (!w || !(c->catalog || i == 1))
			continue;
		rc = bo__expr_eval(w, &env, &keep);
		if (rc == BO_ENOTFOUND)
			return 0;     /* over a missing value: the row is not wanted */
		if (rc < 0)
			return rc;
		if (keep == 0 || isnan(keep))
			return 0;
	}
	if (!f->usable)
		return 1;
	if ((rc = bo__guardrails_eval(&ctx, c->guardrails, c->nguardrails, &f->feasible, f->margins)) < 0 ||
	    (rc = bo__study_score(&ctx, &f->score)) < 0)
		return rc;
	if (!f->feasible) {
		bo_strbuf sb = BO_STRBUF_INIT;
		size_t k;
		bo__sb_puts(&sb, "breaks ");
		for (k = 0; k < c->nguardrails; k++) {
			if (f->margins[k] >= 0 && !isnan(f->margins[k]))
				continue;
			if (sb.len > 7)
				bo__sb_puts(&sb, ", ");
			bo__sb_printf(&sb, "%s (by %.6g)", c->guardrails[k].text, -f->margins[k]);
		}
		bo__free(f->why);
		if (!(f->why = bo__sb_take(&sb)))
			return BO_ENOMEM;
	}
	return 1;
}

static int config_alloc(bo_configs *c, bo_config **out)
{
	const bo_study *s = c->s;
	bo_config *f;
	if (bo__grow(&c->v, &c->cap, c->n + 1, sizeof *c->v) < 0)
		return BO_ENOMEM;
	f = &c->v[c->n];
	memset(f, 0, sizeof *f);
	f->x = bo__calloc(s->nparams + 1, sizeof *f->x);
	f->m = bo__calloc(s->nmetrics + 1, sizeof *f->m);
	f->dv = bo__calloc(s->nderived + 1, sizeof *f->dv);
	f->margins = bo__calloc(c->nguardrails + 1, sizeof *f->margins);
	f->cost = f->score = NAN;
	f->feasible = -1;
	if (!f->x || !f->m || !f->dv || !f->margins) {
		config_clear(f);
		return BO_ENOMEM;
	}
	*out = f;
	return 0;
}


/* Marks f unusable because metric k is missing. */
static int missing_metric(bo_config *f, const bo_metric *m, const char *how)
{
	char msg[300];
	snprintf(msg, sizeof msg, "%s metric \"%s\"", how, m->name);
	f->usable = 0;
	bo__free(f->why);
	return (f->why = bo__strdup(msg)) ? 0 : BO_ENOMEM;
}

/* Keeps f (evaluated) or drops it, as the filters say. */
static int finish(bo_configs *c, bo_config *f)
{
	int rc = evaluate(c, f);
	if (rc == 1 && !(f->params_json = bo__study_params_json(c->s, f->x)))
		rc = BO_ENOMEM;
	if (rc == 1) {
		c->n++;
		return 0;
	}
	config_clear(f);
	return rc;
}

int bo__configs_add_trials(bo_configs *c, const bo_trial_rec *t, size_t n)
{
	const bo_study *s = c->s;
	size_t i, k;
	int rc;
	for (i = 0; i < n; i++) {
		bo_config *f;
		if ((rc = config_alloc(c, &f)) < 0)
			return rc;
		f->id = t[i].id;
		f->cost = t[i].cost;
		for (k = 0; k < s->nparams; k++)
			f->x[k] = bo__kv_get(t[i].params, t[i].nparams, s->params[k].name);
		for (k = 0; k < s->nmetrics; k++)
			f->m[k] = bo__kv_get(t[i].metrics, t[i].nmetrics, s->metrics[k].name);
		f->usable = t[i].state == BO_TRIAL_COMPLETE;
		if (!f->usable) {
			char msg[600];
			snprintf(msg, sizeof msg, "%s%s%s", bo__trial_state_name(t[i].state),
				 t[i].reason ? ": " : "", t[i].reason ? t[i].reason : "");
			if (!(f->why = bo__strdup(msg))) {
				config_clear(f);
				return BO_ENOMEM;
			}
		}
		for (k = 0; f->usable && k < s->nmetrics; k++)
			if (!isfinite(f->m[k]) && !s->metrics[k].optional &&
			    (rc = missing_metric(f, &s->metrics[k], "no value for")) < 0) {
				config_clear(f);
				return rc;
			}
		if ((rc = finish(c, f)) < 0)
			return rc;
	}
	return 0;
}

/* The CSV column a parameter or metric reads. */
static const char *column_of(const bo_study *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->catalog.ncolumns; i++)
		if (!strcmp(s->catalog.names[i], name))
			return s->catalog.columns[i];
	return name;
}

int bo__configs_add_csv(bo_configs *c, const bo_csv *csv, const char *name)
{
	const bo_study *s = c->s;
	int *pcol = NULL, *mcol = NULL;
	size_t r, k;
	int rc = 0;
	c->catalog = 1;
	pcol = bo__calloc(s->nparams + 1, sizeof *pcol);
	mcol = bo__calloc(s->nmetrics + 1, sizeof *mcol);
	if (!pcol || !mcol) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (k = 0; k < s->nparams; k++) {
		const char *col = column_of(s, s->params[k].name);
		if ((pcol[k] = bo__csv_col(csv, col)) < 0) {
			rc = bo__error(BO_EINVAL, "%s: no column \"%s\" for parameter \"%s\" (map it with catalog: {columns: {%s: ...}})",
				       name, col, s->params[k].name, s->params[k].name);
			goto done;
		}
	}
	for (k = 0; k < s->nmetrics; k++) {
		const char *col = column_of(s, s->metrics[k].name);
		if ((mcol[k] = bo__csv_col(csv, col)) < 0) {
			rc = bo__error(BO_EINVAL, "%s: no column \"%s\" for metric \"%s\" (map it with catalog: {columns: {%s: ...}})",
				       name, col, s->metrics[k].name, s->metrics[k].name);
			goto done;
		}
	}
	for (r = 0; r < csv->nrows; r++) {
		const char *const *row = (const char *const *)csv->cells + r * csv->ncols;
		bo_config *f;
		if ((rc = config_alloc(c, &f)) < 0)
			goto done;
		f->id = csv->lines[r];
		f->usable = 1;
		for (k = 0; k < s->nparams; k++) {
			const char *cell = row[pcol[k]];
			if (!cell[0]) {
				f->x[k] = NAN;
			} else if (bo__param_parse(&s->params[k], cell, &f->x[k]) < 0) {
				char msg[512];
				snprintf(msg, sizeof msg, "%s", bo_error_last());
				config_clear(f);
				rc = bo__error(BO_EINVAL, "%s:%d: column \"%s\": %s", name, csv->lines[r],
					       csv->header[pcol[k]], msg);
				goto done;
			}
		}
		for (k = 0; k < s->nmetrics; k++) {
			const char *cell = row[mcol[k]];
			char *end;
			double v = NAN;
			if (cell[0]) {
				v = strtod(cell, &end);
				if (*end)
					v = NAN;
			}
			f->m[k] = v;
			if (isfinite(v) || s->metrics[k].optional || !f->usable)
				continue;
			if ((rc = missing_metric(f, &s->metrics[k], cell[0] ? "not a number:" : "no value for")) < 0) {
				config_clear(f);
				goto done;
			}
		}
		if ((rc = finish(c, f)) < 0)
			goto done;
	}
done:
	bo__free(pcol);
	bo__free(mcol);
	return rc;
}

/* ---- axes ------------------------------------------------------------ */

int bo__axis_parse(const bo_configs *c, const char *spec, bo_axis *out)
{
	const bo_study *s = c->s;
	const char *name = spec;
	int sign = 0, k;
	memset(out, 0, sizeof *out);
	if (*name == '+' || *name == '-')
		sign = *name++ == '+' ? 1 : -1;
	if (strlen(name) >= sizeof out->name || !*name)
		return bo__error(BO_EINVAL, "\"%s\" is not a metric name", spec);
	strcpy(out->name, name);
	/* The study's own names first: a metric may be called "cost". */
	if ((k = bo__study_find_metric(s, name)) >= 0) {
		out->kind = BO_AXIS_METRIC;
		out->index = k;
		out->goal = s->metrics[k].goal ? s->metrics[k].goal : -1;
	} else if ((k = bo__study_find_derived(s, name)) >= 0) {
		out->kind = BO_AXIS_DERIVED;
		out->index = k;
		out->goal = s->derived[k].goal ? s->derived[k].goal : -1;
	} else if (!strcmp(name, "cost")) {
		if (c->catalog)
			return bo__error(BO_EINVAL, "catalog rows have no search cost: name a cost metric instead of \"cost\"");
		out->kind = BO_AXIS_COST;
		out->goal = -1;
	} else if (!strcmp(name, "score")) {
		if (!s->score)
			return bo__error(BO_EINVAL, "the study has no score");
		out->kind = BO_AXIS_SCORE;
		out->goal = s->score_goal ? s->score_goal : 1;
	} else if ((k = bo__study_find_param(s, name)) >= 0) {
		if (s->params[k].type == BO_PT_CHOICE)
			return bo__error(BO_EINVAL, "parameter \"%s\" is a choice: its labels have no order to rank by", name);
		out->kind = BO_AXIS_PARAM;
		out->index = k;
		out->goal = -1;
	} else {
		return bo__error(BO_EINVAL, "\"%s\" is not a metric, a derived metric, a parameter, \"cost\" or \"score\" of study \"%s\"",
				 name, s->name);
	}
	if (sign)
		out->goal = sign;
	return 0;
}

void bo__axis_objective(const bo_study *s, size_t i, bo_axis *out)
{
	const bo_objective *o = &s->objectives[i];
	memset(out, 0, sizeof *out);
	out->kind = o->sym_kind == BO_SYM_DERIVED ? BO_AXIS_DERIVED : BO_AXIS_METRIC;
	out->index = o->index;
	out->goal = o->goal;
	snprintf(out->name, sizeof out->name, "%s", o->name);
}

double bo__axis_value(const bo_configs *c, size_t i, const bo_axis *a)
{
	const bo_config *f = &c->v[i];
	switch (a->kind) {
	case BO_AXIS_METRIC: return f->m[a->index];
	case BO_AXIS_DERIVED: return f->dv[a->index];
	case BO_AXIS_COST: return f->cost;
	case BO_AXIS_SCORE: return f->score;
	case BO_AXIS_PARAM: return f->x[a->index];
	}
	return NAN;
}

/* ---- selection ------------------------------------------------------- */

typedef struct sort_ctx {
	const bo_configs *c;
	const bo_select_rule *r;
} sort_ctx;

/* -1 when a is better than b on axis x (oriented by its goal). */
static int axis_cmp(const bo_configs *c, const bo_axis *x, size_t a, size_t b)
{
	double va = bo__axis_value(c, a, x) * x->goal, vb = bo__axis_value(c, b, x) * x->goal;
	return va > vb ? -1 : va < vb ? 1 : 0;
}

static int id_cmp(const bo_configs *c, size_t a, size_t b)
{
	return c->v[a].id < c->v[b].id ? -1 : c->v[a].id > c->v[b].id ? 1 : 0;
}

/* A total order for qsort_r: best first. */
static int rule_cmp(const void *pa, const void *pb, void *ud)
{
	const sort_ctx *k = ud;
	const bo_configs *c = k->c;
	const bo_select_rule *r = k->r;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb, i;
	bo_axis score;
	int d = 0;
	switch (r->rule) {
	case BO_SELECT_SCORE:
		memset(&score, 0, sizeof score);
		score.kind = BO_AXIS_SCORE;
		score.goal = c->s->score_goal ? c->s->score_goal : 1;
		if (!(d = axis_cmp(c, &score, a, b)) && r->cost.goal)
			d = axis_cmp(c, &r->cost, a, b);
		break;
	case BO_SELECT_MAX_COST:
	case BO_SELECT_BOTH:
		if (!(d = axis_cmp(c, &r->perf, a, b)))
			d = axis_cmp(c, &r->cost, a, b);
		break;
	case BO_SELECT_MIN_PERF:
		if (!(d = axis_cmp(c, &r->cost, a, b)))
			d = axis_cmp(c, &r->perf, a, b);
		break;
	case BO_SELECT_LEX:
		for (i = 0; i < r->nlex && !d; i++)
			d = axis_cmp(c, &r->lex[i], a, b);
		break;
	}
	return d ? d : id_cmp(c, a, b);
}

/* 1 if configuration i has a finite value on a: only such can be ranked. */
static int has(const bo_configs *c, size_t i, const bo_axis *a)
{
	return a->goal == 0 || isfinite(bo__axis_value(c, i, a));
}

int bo__select_order(const bo_configs *c, const bo_select_rule *r, size_t *order, size_t *norder)
{
	sort_ctx k;
	size_t i, n = 0, j;
	bo_axis score;
	memset(&score, 0, sizeof score);
	score.kind = BO_AXIS_SCORE;
	score.goal = 1;
	for (i = 0; i < c->n; i++) {
		const bo_config *f = &c->v[i];
		int ok = f->usable && f->feasible == 1;
		switch (r->rule) {
		case BO_SELECT_SCORE:
			ok = ok && has(c, i, &score);
			break;
		case BO_SELECT_MAX_COST:
			ok = ok && has(c, i, &r->perf) && has(c, i, &r->cost) &&
			     bo__axis_value(c, i, &r->cost) * -r->cost.goal <= r->limit * -r->cost.goal;
			break;
		case BO_SELECT_MIN_PERF:
			ok = ok && has(c, i, &r->perf) && has(c, i, &r->cost) &&
			     bo__axis_value(c, i, &r->perf) * r->perf.goal >= r->limit * r->perf.goal;
			break;
		case BO_SELECT_BOTH:
			ok = ok && has(c, i, &r->perf) && has(c, i, &r->cost) &&
			     bo__axis_value(c, i, &r->cost) * -r->cost.goal <= r->limit * -r->cost.goal &&
			     bo__axis_value(c, i, &r->perf) * r->perf.goal >= r->limit_perf * r->perf.goal;
			break;
		case BO_SELECT_LEX:
			for (j = 0; j < r->nlex; j++)
				ok = ok && has(c, i, &r->lex[j]);
			break;
		default:
			return bo__error(BO_EINVAL, "unknown selection rule %d", r->rule);
		}
		if (ok)
			order[n++] = i;
	}
	k.c = c;
	k.r = r;
	qsort_r(order, n, sizeof *order, rule_cmp, &k);
	*norder = n;
	if (r->rule == BO_SELECT_LEX)
		return bo__select_tolerance(c, r, order, n);
	return 0;
}
