/*
 * analysis/configs.c - configurations from a ledger or a catalog, evaluated
 * under the study as it is now, and the selection order over them.
 *
 * Pure: no I/O, no clock. Must never pick a configuration that is not
 * usable and feasible, and must order ties the same way every time.
 */
#include "analysis/configs.h"
#include "core/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/strindex.h"

void bo__config_clear(bo_config *f)
{
	bo__free(f->m_se);
	bo__free(f->dv_se);
	bo__free(f->x);
	bo__free(f->m);
	bo__free(f->dv);
	bo__free(f->margins);
	bo__free(f->robj);
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

size_t bo__configs_find(const bo_configs *c, int64_t id)
{
	size_t lo = 0, hi = c->n, i;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].id == id)
			return mid;
		if (c->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return i;
	return (size_t)-1;
}

void bo__configs_clear(bo_configs *c)
{
	size_t i;
	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		bo__config_clear(&c->v[i]);
	bo__free(c->v);
	for (i = 0; i < c->nremoved; i++) {
		bo__free(c->removed[i].name);
		bo__free(c->removed[i].why);
	}
	bo__free(c->removed);
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
	static const char *const what[] = {"catalog: where", "--where"};
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
		/* kept only when it is true: false or missing leaves it out */
		rc = bo__expr_eval(w, &env, &keep);
		if (rc < 0 && rc != BO_ENOTFOUND)
			return rc;
		if (rc == BO_ENOTFOUND || keep == 0 || isnan(keep)) {
			char *why = NULL;
			bo_strbuf sb = BO_STRBUF_INIT;
			if ((rc = bo__expr_explain(w, &env, &why)) < 0)
				return rc;
			bo__sb_printf(&sb, "%s: %s", what[i], why);
			bo__free(why);
			bo__free(f->why);
			if (!(f->why = bo__sb_take(&sb)))
				return BO_ENOMEM;
			return 0;
		}
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
		bo__config_clear(f);
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

/* Lists f, which a filter left out, in c->removed. */
static int remove_config(bo_configs *c, bo_config *f)
{
	bo_removed *r;
	char name[300];
	if (bo__grow(&c->removed, &c->capremoved, c->nremoved + 1, sizeof *c->removed) < 0)
		return BO_ENOMEM;
	r = &c->removed[c->nremoved];
	/* f is c->v[c->n], not yet counted: name it as it would be */
	bo__config_name(c, c->n, name, sizeof name);
	r->id = f->id;
	r->why = NULL;
	if (!(r->name = bo__strdup(name)))
		return BO_ENOMEM;
	r->why = f->why;
	f->why = NULL;
	c->nremoved++;
	return 0;
}

/* Keeps f (evaluated) or lists it as removed, as the filters say. */
static int finish(bo_configs *c, bo_config *f)
{
	int rc = evaluate(c, f);
	if (rc == 1 && !(f->params_json = bo__study_params_json(c->s, f->x)))
		rc = BO_ENOMEM;
	if (rc == 1) {
		c->n++;
		return 0;
	}
	if (rc == 0)
		rc = remove_config(c, f);
	bo__config_clear(f);
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
				bo__config_clear(f);
				return BO_ENOMEM;
			}
		}
		for (k = 0; f->usable && k < s->nmetrics; k++)
			if (!isfinite(f->m[k]) && !s->metrics[k].optional &&
			    (rc = missing_metric(f, &s->metrics[k], "no value for")) < 0) {
				bo__config_clear(f);
				return rc;
			}
		if ((rc = finish(c, f)) < 0)
			return rc;
	}
	return 0;
}

/* Problems with a catalog's cells, gathered so that all are told at once:
 * the first BO_BAD_CELLS_MAX lines, then how many more. */
typedef struct badcells {
	bo_strbuf sb;
	size_t n;
} badcells;

static void bad_cell(badcells *b, const char *fmt, ...) BO__PRINTF(2, 3);
static void bad_cell(badcells *b, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	if (b->n++ >= BO_BAD_CELLS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bo__sb_puts(&b->sb, "\n");
	bo__sb_puts(&b->sb, msg);
}

/* From this many labels on, a parameter's labels are found by hash. */
#define CHOICES_HASHED 16

/* Reads a parameter cell; 0, or BO_EINVAL with the reason in why. ix:
 * p's labels indexed, or NULL. */
static int param_cell(const bo_param *p, const bo_strindex *ix, const char *cell, double *x,
		      char *why, size_t whylen)
{
	char trimmed[256];
	double v;
	int rc;
	if (p->type == BO_PT_FLOAT || p->type == BO_PT_INT) {
		if ((rc = bo__csv_number(cell, &v, why, whylen)) < 0)
			return rc;
		cell = bo__csv_trim(cell, trimmed, sizeof trimmed);
	} else {
		/* a label as written; a numeric one only in decimal */
		size_t i;
		if (ix) {
			i = bo__strindex_find(ix, p->choices, cell);
		} else {
			for (i = 0; i < p->nchoices && strcmp(p->choices[i], cell); i++)
				;
			if (i == p->nchoices)
				i = SIZE_MAX;
		}
		if (i != SIZE_MAX) {
			*x = (double)i;
			return 0;
		}
		cell = bo__csv_trim(cell, trimmed, sizeof trimmed);
		rc = 0;
		if (p->numeric_choices && (rc = bo__csv_number(cell, &v, why, whylen)) < 0)
			return rc;
	}
	if (bo__param_parse(p, cell, x) < 0) {
		snprintf(why, whylen, "%s", bo_error_last());
		return BO_EINVAL;
	}
	return 0;
}

int bo__configs_add_csv(bo_configs *c, const bo_csv *csv, const char *name)
{
	const bo_study *s = c->s;
	int *pcol = NULL, *mcol = NULL, lcol = -1;
	bo_strindex *ix = NULL;
	badcells bad = {BO_STRBUF_INIT, 0};
	size_t r, k;
	int rc = 0;
	c->catalog = 1;
	pcol = bo__calloc(s->nparams + 1, sizeof *pcol);
	mcol = bo__calloc(s->nmetrics + 1, sizeof *mcol);
	ix = bo__calloc(s->nparams + 1, sizeof *ix);
	if (!pcol || !mcol || !ix) {
		rc = BO_ENOMEM;
		goto done;
	}
	/* labels found by hash where there are many (a catalog's row labels) */
	for (k = 0; k < s->nparams; k++) {
		const bo_param *p = &s->params[k];
		size_t j;
		if (p->type == BO_PT_FLOAT || p->type == BO_PT_INT || p->nchoices < CHOICES_HASHED)
			continue;
		if (bo__strindex_init(&ix[k], p->nchoices) < 0) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (j = 0; j < p->nchoices; j++)
			if (bo__strindex_find(&ix[k], p->choices, p->choices[j]) == SIZE_MAX)
				bo__strindex_add(&ix[k], p->choices, j);
	}
	for (k = 0; k < s->nparams; k++) {
		const char *col = bo__catalog_column(s, s->params[k].name);
		if (s->params[k].from_catalog && !s->params[k].nchoices) {
			rc = bo__error(BO_EMISUSE, "parameter \"%s\": labels from the catalog were not read",
				       s->params[k].name);
			goto done;
		}
		if ((pcol[k] = bo__csv_col(csv, col)) < 0)
			bad_cell(&bad, "%s: no column \"%s\" for parameter \"%s\" (map it with catalog: {columns: {%s: ...}})",
				 name, col, s->params[k].name, s->params[k].name);
	}
	for (k = 0; k < s->nmetrics; k++) {
		const char *col = bo__catalog_column(s, s->metrics[k].name);
		if ((mcol[k] = bo__csv_col(csv, col)) < 0)
			bad_cell(&bad, "%s: no column \"%s\" for metric \"%s\" (map it with catalog: {columns: {%s: ...}})",
				 name, col, s->metrics[k].name, s->metrics[k].name);
	}
	if (s->catalog.label && (lcol = bo__csv_col(csv, s->catalog.label)) < 0)
		bad_cell(&bad, "%s: no column \"%s\" for the row labels (catalog: label)", name,
			 s->catalog.label);
	if (bad.n)
		goto done;
	for (r = 0; r < csv->nrows; r++) {
		const char *const *row = (const char *const *)csv->cells + r * csv->ncols;
		size_t before = bad.n;
		bo_config *f;
		if ((rc = config_alloc(c, &f)) < 0)
			goto done;
		f->id = csv->lines[r];
		f->usable = 1;
		if (lcol >= 0) {
			char buf[256];
			if (bo__csv_trim(row[lcol], buf, sizeof buf)[0] && !(f->label = bo__strdup(buf))) {
				bo__config_clear(f);
				rc = BO_ENOMEM;
				goto done;
			}
		}
		for (k = 0; k < s->nparams; k++) {
			const char *cell = row[pcol[k]];
			char why[300], blankbuf[2];
			if (!bo__csv_trim(cell, blankbuf, sizeof blankbuf)[0]) {
				f->x[k] = NAN;
			} else if (param_cell(&s->params[k], ix[k].slot ? &ix[k] : NULL, cell, &f->x[k], why,
					      sizeof why) < 0) {
				char nm[300];
				bad_cell(&bad, "%s:%d: column \"%s\"%s%s%s: %s", name, csv->lines[r],
					 csv->header[pcol[k]], f->label ? " (" : "",
					 f->label ? bo__config_name(c, c->n, nm, sizeof nm) : "",
					 f->label ? ")" : "", why);
			}
		}
		for (k = 0; k < s->nmetrics; k++) {
			char why[300], msg[400];
			double v = NAN;
			int got = bo__csv_number(row[mcol[k]], &v, why, sizeof why);
			f->m[k] = got == 0 ? v : NAN;
			if (got == 0 || s->metrics[k].optional || !f->usable)
				continue;
			if (got == 1)
				snprintf(msg, sizeof msg, "no value for metric \"%s\" (column \"%s\")",
					 s->metrics[k].name, csv->header[mcol[k]]);
			else
				snprintf(msg, sizeof msg, "metric \"%s\": column \"%s\": %s",
					 s->metrics[k].name, csv->header[mcol[k]], why);
			f->usable = 0;
			bo__free(f->why);
			if (!(f->why = bo__strdup(msg))) {
				bo__config_clear(f);
				rc = BO_ENOMEM;
				goto done;
			}
		}
		if (bad.n != before) {
			/* a bad row is not read further; the others are still checked */
			bo__config_clear(f);
			continue;
		}
		if ((rc = finish(c, f)) < 0)
			goto done;
	}
done:
	if (rc == 0 && bad.n) {
		if (bad.sb.failed)
			rc = BO_ENOMEM;
		else if (bad.n > BO_BAD_CELLS_MAX)
			rc = bo__error(BO_EINVAL, "%s: %zu problems%s\nand %zu more", name, bad.n,
				       bo__sb_str(&bad.sb), bad.n - BO_BAD_CELLS_MAX);
		else
			rc = bo__error(BO_EINVAL, "%s: %zu problem%s%s", name, bad.n,
				       bad.n == 1 ? "" : "s", bo__sb_str(&bad.sb));
	}
	bo__sb_clear(&bad.sb);
	for (k = 0; ix && k < s->nparams; k++)
		bo__strindex_clear(&ix[k]);
	bo__free(ix);
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
	out->kind = o->robust ? BO_AXIS_ROBUST : o->sym_kind == BO_SYM_DERIVED ? BO_AXIS_DERIVED : BO_AXIS_METRIC;
	out->index = o->robust ? (int)i : o->index;
	out->goal = o->goal;
	/* spread and regret are lower-better whatever the metric's goal */
	if (o->robust == BO_EXPR_ROBUST_SPREAD + 1 || o->robust == BO_EXPR_ROBUST_REGRET + 1)
		out->goal = -1;
	snprintf(out->name, sizeof out->name, "%s", o->label ? o->label : o->name);
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
	case BO_AXIS_ROBUST: {
		const bo_objective *o = &c->s->objectives[a->index];
		if (f->robj)
			return f->robj[a->index];
		return o->sym_kind == BO_SYM_DERIVED ? f->dv[o->index] : f->m[o->index];
	}
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
