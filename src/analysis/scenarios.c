/*
 * analysis/scenarios.c - configurations by scenario, and folded across
 * scenarios (scenarios.h). What select --robust, frontier and select share.
 *
 * Pure: no I/O; never prints. Must never call a configuration feasible
 * that is infeasible under one of its scenarios by a guardrail that says
 * nothing about scenarios.
 */
#include "analysis/scenarios.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/expr.h"
#include "core/strbuf.h"

void bo__scen_table_clear(bo_scen_table *t)
{
	size_t k;
	for (k = 0; t->cs && k < t->nsc; k++)
		bo__configs_clear(&t->cs[k]);
	for (k = 0; t->views && k < t->nsc; k++)
		bo__scenario_view_free(t->views[k]);
	bo__free(t->cs);
	bo__free(t->views);
	bo__free(t->w);
	bo__free(t->at);
	bo__free(t->clean);
	bo__free(t->params_json);
	bo__free(t->id);
	bo__free(t->cost);
	bo__free(t->units);
	bo__free(t->judged);
	memset(t, 0, sizeof *t);
}

/* The row of params_json, or t->nrow. Linear: the tables are small (a
 * configuration per row), and rows keep the order they first appear in. */
static size_t find_row(const bo_scen_table *t, const char *pj)
{
	size_t j;
	for (j = 0; j < t->nrow; j++)
		if (!strcmp(t->params_json[j], pj))
			return j;
	return t->nrow;
}

int bo__scen_table_build(bo_scen_table *t, const bo_study *s, const bo_trial_rec *trials, size_t n,
			 const char *const *guardrails, size_t nguardrails, const char *where)
{
	size_t k, i, j, cap = 0, nsc = bo__scenario_count(s);
	bo_trial_rec *sub = NULL;
	int rc = 0;

	memset(t, 0, sizeof *t);
	t->s = s;
	t->nsc = nsc;
	if (!(t->cs = bo__calloc(nsc, sizeof *t->cs)) || !(t->views = bo__calloc(nsc, sizeof *t->views)) ||
	    !(t->w = bo__calloc(nsc, sizeof *t->w)) || !(sub = bo__calloc(n + 1, sizeof *sub))) {
		rc = bo__error(BO_ENOMEM, "out of memory");
		goto done;
	}
	for (k = 0; k < nsc; k++) {
		size_t m = 0;
		t->w[k] = bo__scenario_weight(s, k);
		if ((rc = bo__scenario_view(s, k, &t->views[k])) < 0)
			goto done;
		if ((rc = bo__configs_init(&t->cs[k], t->views[k], guardrails, nguardrails, where)) < 0)
			goto done;
		for (i = 0; i < n; i++) {
			const char *sc = trials[i].scenario ? trials[i].scenario : "default";
			if (!strcmp(sc, bo__scenario_name(s, k)))
				sub[m++] = trials[i];     /* a shallow copy, not freed here */
		}
		if ((rc = bo__configs_add_trials(&t->cs[k], sub, m)) < 0 || (rc = bo__configs_group(&t->cs[k])) < 0)
			goto done;
	}
	/* the rows: every configuration seen under any scenario */
	for (k = 0; k < nsc; k++)
		for (i = 0; i < t->cs[k].n; i++) {
			const bo_config *c = &t->cs[k].v[i];
			if (!c->params_json || find_row(t, c->params_json) < t->nrow)
				continue;
			if (bo__grow(&t->params_json, &cap, t->nrow + 1, sizeof *t->params_json) < 0) {
				rc = bo__error(BO_ENOMEM, "out of memory");
				goto done;
			}
			t->params_json[t->nrow++] = c->params_json;
		}
	if (!(t->at = bo__calloc(t->nrow * nsc + 1, sizeof *t->at)) ||
	    !(t->clean = bo__calloc(t->nrow + 1, sizeof *t->clean)) ||
	    !(t->id = bo__calloc(t->nrow + 1, sizeof *t->id)) ||
	    !(t->cost = bo__calloc(t->nrow + 1, sizeof *t->cost)) ||
	    !(t->units = bo__calloc(t->nrow + 1, sizeof *t->units)) ||
	    !(t->judged = bo__calloc(t->nrow + 1, sizeof *t->judged))) {
		rc = bo__error(BO_ENOMEM, "out of memory");
		goto done;
	}
	for (j = 0; j < t->nrow * nsc; j++)
		t->at[j] = BO_SCEN_NONE;
	for (j = 0; j < t->nrow; j++) {
		t->clean[j] = 1;
		t->id[j] = INT64_MAX;
		t->judged[j] = -1;
	}
	for (k = 0; k < nsc; k++)
		for (i = 0; i < t->cs[k].n; i++) {
			const bo_config *c = &t->cs[k].v[i];
			size_t units = c->nrep >= 2 ? c->nrep : 1, *at;
			if (!c->params_json)
				continue;
			j = find_row(t, c->params_json);
			at = &t->at[j * nsc + k];
			if (c->id < t->id[j])
				t->id[j] = c->id;
			if (isfinite(c->cost)) {
				t->cost[j] += c->cost * (double)units;
				t->units[j] += units;
			}
			if (!c->usable)
				t->clean[j] = 0;
			if (*at == BO_SCEN_NONE || (c->usable && !t->cs[k].v[*at].usable))
				*at = i;
		}
	for (j = 0; j < t->nrow; j++)
		t->cost[j] = t->units[j] ? t->cost[j] / (double)t->units[j] : NAN;
done:
	bo__free(sub);
	if (rc < 0)
		bo__scen_table_clear(t);
	return rc;
}

const bo_config *bo__scen_cell(const bo_scen_table *t, size_t j, size_t k)
{
	size_t at = t->at[j * t->nsc + k];
	if (at == BO_SCEN_NONE || !t->cs[k].v[at].usable)
		return NULL;
	return &t->cs[k].v[at];
}

int bo__scen_candidate(const bo_scen_table *t, size_t j)
{
	size_t k;
	if (t->judged[j] >= 0)
		return t->judged[j];
	if (!t->clean[j])
		return 0;
	for (k = 0; k < t->nsc; k++) {
		const bo_config *c = bo__scen_cell(t, j, k);
		if (!c || c->feasible != 1)
			return 0;
	}
	return 1;
}

void bo__scen_coverage(const bo_scen_table *t, size_t only, size_t *all, size_t *only_n, size_t *partial)
{
	size_t j, k;
	*all = *only_n = *partial = 0;
	for (j = 0; j < t->nrow; j++) {
		size_t have = 0;
		for (k = 0; k < t->nsc; k++)
			have += t->at[j * t->nsc + k] != BO_SCEN_NONE;
		if (have == t->nsc) {
			(*all)++;
			continue;
		}
		(*partial)++;
		if (have == 1 && only < t->nsc && t->at[j * t->nsc + only] != BO_SCEN_NONE)
			(*only_n)++;
	}
}

/* ---- folding --------------------------------------------------------- */

/* Why row j is not usable across scenarios, or NULL when it is. */
static char *why_not_usable(const bo_scen_table *t, size_t j)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	size_t k;
	for (k = 0; k < t->nsc; k++) {
		size_t at = t->at[j * t->nsc + k];
		const bo_config *c = at == BO_SCEN_NONE ? NULL : &t->cs[k].v[at];
		if (!c)
			bo__sb_printf(&sb, "not evaluated under scenario \"%s\"", bo__scenario_name(t->s, k));
		else if (!c->usable)
			bo__sb_printf(&sb, "under scenario \"%s\": %s", bo__scenario_name(t->s, k),
				      c->why ? c->why : "not usable");
		else
			continue;
		return bo__sb_take(&sb);
	}
	if (!t->clean[j]) {
		/* usable under each scenario, but a repeat of it failed */
		for (k = 0; k < t->nsc; k++) {
			size_t i;
			for (i = 0; i < t->cs[k].n; i++) {
				const bo_config *c = &t->cs[k].v[i];
				if (!c->usable && c->params_json && !strcmp(c->params_json, t->params_json[j])) {
					bo__sb_printf(&sb, "trial %lld under scenario \"%s\": %s", (long long)c->id,
						      bo__scenario_name(t->s, k), c->why ? c->why : "not usable");
					return bo__sb_take(&sb);
				}
			}
		}
	}
	return NULL;
}

/* Aggregates one quantity of every row: get(cell) under each scenario into
 * out (nrow). Rows without a value under a scenario get NaN; for regret,
 * so do rows that are not candidates (the best of each scenario is taken
 * among the candidates). */
typedef double (*cell_fn)(const bo_config *c, size_t q);

static double cell_metric(const bo_config *c, size_t q) { return c->m[q]; }
static double cell_derived(const bo_config *c, size_t q) { return c->dv[q]; }
static double cell_score(const bo_config *c, size_t q) { (void)q; return c->score; }

static int aggregate(const bo_scen_table *t, const bo_robust *agg, cell_fn get, size_t q, int goal,
		     double *tab, double *out)
{
	size_t j, k;
	for (j = 0; j < t->nrow; j++) {
		int cand = agg->kind != BO_ROBUST_REGRET || bo__scen_candidate(t, j);
		for (k = 0; k < t->nsc; k++) {
			const bo_config *c = bo__scen_cell(t, j, k);
			tab[j * t->nsc + k] = c && cand ? get(c, q) : NAN;
		}
	}
	return bo__robust_aggregate(agg, tab, t->nrow, t->nsc, t->w, goal, out);
}

static int goal_of(int declared)
{
	return declared > 0 ? 1 : -1;
}

/* ---- robust functions judged once per configuration ------------------- */

_Static_assert((int)BO_ROBUST_MEAN == (int)BO_EXPR_ROBUST_MEAN && (int)BO_ROBUST_WORST == (int)BO_EXPR_ROBUST_WORST &&
		       (int)BO_ROBUST_CVAR == (int)BO_EXPR_ROBUST_CVAR &&
		       (int)BO_ROBUST_SPREAD == (int)BO_EXPR_ROBUST_SPREAD &&
		       (int)BO_ROBUST_REGRET == (int)BO_EXPR_ROBUST_REGRET,
	       "analysis/robust.h and core/expr.h number the robust functions alike");

typedef struct rcall {
	const bo_expr *call;
	double *val;          /* nrow: its value for each configuration */
} rcall;

typedef struct judge {
	bo_scen_table *t;
	size_t n, cap;
	rcall *calls;
	int ctx_goal;         /* while collecting: the goal of the context */
	const bo_expr *lhs;   /* while collecting a guardrail: its left side */
	int op;               /* its comparison: '<', '>' or 0 */
	size_t row;           /* while evaluating */
	int rc;
} judge;

static int is_call(void *ud, const bo_expr *call)
{
	return ud == (const void *)call;
}

/* The goal of robust call `call`: its argument's declared goal when it is a
 * metric or derived metric with one, else the context's. */
static int call_goal(const judge *J, const bo_expr *call)
{
	const bo_study *s = J->t->s;
	const bo_expr *arg;
	const bo_sym *sym;
	bo__expr_robust_info(call, NULL, NULL, &arg, NULL, NULL);
	sym = bo__expr_bare_sym(arg);
	if (sym && sym->kind == BO_SYM_METRIC && s->metrics[sym->index].goal)
		return goal_of(s->metrics[sym->index].goal);
	if (sym && sym->kind == BO_SYM_DERIVED && s->derived[sym->index].goal)
		return goal_of(s->derived[sym->index].goal);
	if (J->op) {
		int left = J->lhs && bo__expr_foreach_robust(J->lhs, is_call, (void *)call);
		/* "<": large values break it on the left, small ones on the right */
		return (J->op == '<') == left ? -1 : 1;
	}
	return J->ctx_goal;
}

/* Computes the value of robust call `call` for every row. */
static int collect(void *ud, const bo_expr *call)
{
	judge *J = ud;
	bo_scen_table *t = J->t;
	const bo_expr *arg;
	bo_robust r;
	double *tab = NULL;
	rcall *rc;
	size_t j, k;
	int kind;
	if (bo__grow(&J->calls, &J->cap, J->n + 1, sizeof *J->calls) < 0)
		goto nomem;
	rc = &J->calls[J->n];
	rc->call = call;
	if (!(rc->val = bo__calloc(t->nrow + 1, sizeof *rc->val)))
		goto nomem;
	J->n++;
	bo__expr_robust_info(call, &kind, &r.alpha, &arg, NULL, NULL);
	r.kind = kind;
	if (!(tab = bo__calloc(t->nrow * t->nsc + 1, sizeof *tab)))
		goto nomem;
	for (j = 0; j < t->nrow; j++)
		for (k = 0; k < t->nsc; k++) {
			const bo_config *c = bo__scen_cell(t, j, k);
			bo_eval_ctx ctx;
			bo_expr_env env;
			double v = NAN;
			int e;
			if (c && t->clean[j]) {
				ctx.study = t->views[k];
				ctx.x = c->x;
				ctx.metrics = c->m;
				ctx.derived = c->dv;
				bo__study_env(&ctx, &env);
				e = bo__expr_eval(arg, &env, &v);
				if (e < 0 && e != BO_ENOTFOUND) {
					J->rc = e;
					bo__free(tab);
					return 1;
				}
				if (e == BO_ENOTFOUND)
					v = NAN;
			}
			tab[j * t->nsc + k] = v;
		}
	J->rc = bo__robust_aggregate(&r, tab, t->nrow, t->nsc, t->w, call_goal(J, call), rc->val);
	bo__free(tab);
	return J->rc < 0;
nomem:
	J->rc = bo__error(BO_ENOMEM, "out of memory");
	return 1;
}

static int robust_value(void *ud, const bo_expr *call, double *out)
{
	const judge *J = ud;
	size_t i;
	const char *name;
	for (i = 0; i < J->n; i++)
		if (J->calls[i].call == call) {
			*out = J->calls[i].val[J->row];
			if (isnan(*out)) {
				bo__expr_robust_info(call, NULL, NULL, NULL, NULL, &name);
				return bo__error(BO_ENOTFOUND, "%s() has no value under every scenario", name);
			}
			return 0;
		}
	return bo__error(BO_EMISUSE, "a robust call was not prepared");
}

static int any_robust(void *ud, const bo_expr *call)
{
	(void)ud;
	(void)call;
	return 1;
}

/* A guardrail's verdict and margin, judged once for configuration J->row
 * (as bo__guardrails_eval, with the robust calls' values). */
static int guard_once(judge *J, const bo_guardrail *g, const bo_expr_env *env, int *holds, double *margin)
{
	const bo_expr *lhs = NULL, *rhs = NULL;
	const char *op = bo__expr_comparison(g->expr, &lhs, &rhs);
	double v, l, r;
	int rc = bo__expr_eval_robust(g->expr, env, robust_value, J, &v);
	*margin = NAN;
	if (rc < 0 && rc != BO_ENOTFOUND)
		return bo__error(rc, "guardrail \"%s\": %s", g->text, bo_error_last());
	*holds = rc == 0 && v != 0 && !isnan(v);
	if (rc == 0 && op && bo__expr_eval_robust(lhs, env, robust_value, J, &l) == 0 &&
	    bo__expr_eval_robust(rhs, env, robust_value, J, &r) == 0) {
		if (op[0] == '<')
			*margin = r - l;
		else if (op[0] == '>')
			*margin = l - r;
		else if (op[0] == '=')
			*margin = -fabs(l - r);
		else
			*margin = fabs(l - r);
	}
	return 0;
}

int bo__scen_fold(bo_scen_table *t, const bo_robust *agg, const int *mgoal, const int *dgoal, bo_configs *c)
{
	const bo_study *s = t->s;
	size_t j, k, q, g, nsc = t->nsc, ng = c->nguardrails;
	double *tab = NULL, *col = NULL, *mm = NULL, *md = NULL;
	int rc = 0, robust_guards = 0, robust_score = s->score && bo__expr_foreach_robust(s->score, any_robust, NULL);
	bo_robust mean;
	judge J;

	memset(&J, 0, sizeof J);
	J.t = t;
	mean.kind = BO_ROBUST_MEAN;
	mean.alpha = 1.0;
	for (j = 0; j < c->n; j++)
		bo__config_clear(&c->v[j]);
	c->n = 0;
	for (j = 0; j < t->nrow; j++)
		t->judged[j] = -1;
	if (bo__grow(&c->v, &c->cap, t->nrow + 1, sizeof *c->v) < 0 ||
	    !(tab = bo__calloc(t->nrow * nsc + 1, sizeof *tab)) || !(col = bo__calloc(t->nrow + 1, sizeof *col)) ||
	    !(mm = bo__calloc(t->nrow * s->nmetrics + 1, sizeof *mm)) ||
	    !(md = bo__calloc(t->nrow * s->nderived + 1, sizeof *md)))
		goto nomem;
	for (j = 0; j < t->nrow; j++) {
		bo_config *f = &c->v[j];
		const bo_config *any = NULL;
		memset(f, 0, sizeof *f);
		c->n++;
		f->x = bo__calloc(s->nparams + 1, sizeof *f->x);
		f->m = bo__calloc(s->nmetrics + 1, sizeof *f->m);
		f->dv = bo__calloc(s->nderived + 1, sizeof *f->dv);
		f->margins = bo__calloc(ng + 1, sizeof *f->margins);
		if (!f->x || !f->m || !f->dv || !f->margins || !(f->params_json = bo__strdup(t->params_json[j])))
			goto nomem;
		f->id = t->id[j];
		f->cost = t->cost[j];
		f->score = NAN;
		f->feasible = -1;
		for (k = 0; k < nsc && !any; k++)
			if (t->at[j * nsc + k] != BO_SCEN_NONE)
				any = &t->cs[k].v[t->at[j * nsc + k]];
		if (any)
			memcpy(f->x, any->x, s->nparams * sizeof *f->x);
		f->why = why_not_usable(t, j);
		f->usable = f->why == NULL;
	}
	/* the weighted means: what a name outside a robust call reads */
	for (q = 0; q < s->nmetrics; q++) {
		if ((rc = aggregate(t, &mean, cell_metric, q, 1, tab, col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++)
			mm[j * s->nmetrics + q] = col[j];
	}
	for (q = 0; q < s->nderived; q++) {
		if ((rc = aggregate(t, &mean, cell_derived, q, 1, tab, col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++)
			md[j * s->nderived + q] = col[j];
	}
	/* the robust calls of the guardrails and the score, for every row */
	for (g = 0; g < ng; g++) {
		const bo_expr *lhs = NULL, *rhs = NULL;
		const char *op = bo__expr_comparison(c->guardrails[g].expr, &lhs, &rhs);
		if (!bo__expr_foreach_robust(c->guardrails[g].expr, any_robust, NULL))
			continue;
		robust_guards = 1;
		J.lhs = lhs;
		J.op = op && (op[0] == '<' || op[0] == '>') ? op[0] : 0;
		J.ctx_goal = 1;
		if (bo__expr_foreach_robust(c->guardrails[g].expr, collect, &J)) {
			rc = J.rc;
			goto done;
		}
	}
	if (robust_score) {
		J.lhs = NULL;
		J.op = 0;
		J.ctx_goal = goal_of(s->score_goal);
		if (bo__expr_foreach_robust(s->score, collect, &J)) {
			rc = J.rc;
			goto done;
		}
	}
	/* guardrails: one without robust functions must hold under every
	 * scenario, its margin the smallest (a guardrail is a comparison: it
	 * holds when its margin is >= 0); one with them is judged once. Without
	 * robust guardrails, a scenario whose own verdict is infeasible keeps
	 * the configuration infeasible even when no margin says why. */
	for (j = 0; j < t->nrow; j++) {
		bo_config *f = &c->v[j];
		bo_strbuf sb = BO_STRBUF_INIT;
		bo_eval_ctx ctx;
		bo_expr_env env;
		if (!f->usable)
			continue;
		ctx.study = s;
		ctx.x = f->x;
		ctx.metrics = &mm[j * s->nmetrics];
		ctx.derived = &md[j * s->nderived];
		bo__study_env(&ctx, &env);
		J.row = j;
		f->feasible = 1;
		for (g = 0; g < ng; g++) {
			double lo = INFINITY;
			const char *at = NULL;
			if (bo__expr_foreach_robust(c->guardrails[g].expr, any_robust, NULL)) {
				int holds;
				if ((rc = guard_once(&J, &c->guardrails[g], &env, &holds, &lo)) < 0) {
					bo__sb_clear(&sb);
					goto done;
				}
				f->margins[g] = lo;
				if (!holds) {
					f->feasible = 0;
					bo__sb_printf(&sb, "%s%s (by %.6g)", sb.len ? ", " : "breaks ", c->guardrails[g].text,
						      -lo);
				}
				continue;
			}
			for (k = 0; k < nsc; k++) {
				double m = bo__scen_cell(t, j, k)->margins[g];
				if (!(m >= 0) && !at)
					at = bo__scenario_name(s, k);
				if (isnan(m) || m < lo)
					lo = isnan(lo) ? lo : m;
			}
			f->margins[g] = lo;
			if (at) {
				f->feasible = 0;
				bo__sb_printf(&sb, "%s%s (under \"%s\", by %.6g)", sb.len ? ", " : "breaks ",
					      c->guardrails[g].text, at, -lo);
			}
		}
		for (k = 0; k < nsc && f->feasible && !robust_guards; k++)
			if (bo__scen_cell(t, j, k)->feasible != 1) {
				f->feasible = 0;
				bo__sb_printf(&sb, "infeasible under scenario \"%s\"", bo__scenario_name(s, k));
			}
		if (!f->feasible) {
			bo__free(f->why);
			if (!(f->why = bo__sb_take(&sb)))
				goto nomem;
		} else {
			bo__sb_clear(&sb);
		}
	}
	for (j = 0; j < t->nrow; j++)
		t->judged[j] = c->v[j].usable && c->v[j].feasible == 1;
	/* the values, aggregated (regret against the candidates just judged) */
	for (q = 0; q < s->nmetrics; q++) {
		if ((rc = aggregate(t, agg, cell_metric, q, goal_of(mgoal ? mgoal[q] : s->metrics[q].goal), tab,
				    col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++)
			c->v[j].m[q] = col[j];
	}
	for (q = 0; q < s->nderived; q++) {
		if ((rc = aggregate(t, agg, cell_derived, q, goal_of(dgoal ? dgoal[q] : s->derived[q].goal), tab,
				    col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++)
			c->v[j].dv[q] = col[j];
	}
	/* robust objectives, each by its own aggregate */
	for (q = 0; q < s->nobjectives; q++) {
		const bo_objective *o = &s->objectives[q];
		bo_robust r;
		if (!o->robust)
			continue;
		r.kind = o->robust - 1;
		r.alpha = o->alpha;
		if ((rc = aggregate(t, &r, o->sym_kind == BO_SYM_DERIVED ? cell_derived : cell_metric, (size_t)o->index,
				    goal_of(o->goal), tab, col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++) {
			if (!c->v[j].robj && !(c->v[j].robj = bo__calloc(s->nobjectives, sizeof *c->v[j].robj)))
				goto nomem;
			c->v[j].robj[q] = col[j];
		}
	}
	for (j = 0; j < t->nrow; j++)
		for (q = 0; c->v[j].robj && q < s->nobjectives; q++)
			if (!s->objectives[q].robust)
				c->v[j].robj[q] = NAN;
	if (s->score && !robust_score) {
		if ((rc = aggregate(t, agg, cell_score, 0, goal_of(s->score_goal), tab, col)) < 0)
			goto done;
		for (j = 0; j < t->nrow; j++)
			c->v[j].score = col[j];
	} else if (s->score) {
		/* judged once: the robust calls, and the weighted means elsewhere */
		for (j = 0; j < t->nrow; j++) {
			bo_eval_ctx ctx;
			bo_expr_env env;
			double v;
			if (!c->v[j].usable)
				continue;
			ctx.study = s;
			ctx.x = c->v[j].x;
			ctx.metrics = &mm[j * s->nmetrics];
			ctx.derived = &md[j * s->nderived];
			bo__study_env(&ctx, &env);
			J.row = j;
			rc = bo__expr_eval_robust(s->score, &env, robust_value, &J, &v);
			if (rc < 0 && rc != BO_ENOTFOUND) {
				rc = bo__error(rc, "score: %s", bo_error_last());
				goto done;
			}
			c->v[j].score = rc == 0 ? v : NAN;
			rc = 0;
		}
	}
	goto done;
nomem:
	rc = bo__error(BO_ENOMEM, "out of memory");
done:
	for (j = 0; j < J.n; j++)
		bo__free(J.calls[j].val);
	bo__free(J.calls);
	bo__free(tab);
	bo__free(col);
	bo__free(mm);
	bo__free(md);
	return rc;
}

int bo__scen_fold_default(bo_scen_table *t, bo_configs *c)
{
	bo_robust mean;
	memset(&mean, 0, sizeof mean);
	mean.kind = BO_ROBUST_MEAN;
	mean.alpha = 1.0;
	return bo__scen_fold(t, &mean, NULL, NULL, c);
}

const char *bo__scen_note(const bo_scen_table *t, const char *label, char *buf, size_t size)
{
	const bo_study *s = t->s;
	size_t all, only, partial;
	int n = snprintf(buf, size, "over %zu scenario%s, %s", t->nsc, t->nsc == 1 ? "" : "s", label);
	/* scenario_policy: promote: configurations not (yet) promoted are
	 * left out of the fold (not usable: "not evaluated under scenario
	 * ...") rather than judged on the base alone */
	bo__scen_coverage(t, s->scenario_policy == BO_SCEN_POLICY_PROMOTE ? s->promote.base : BO_SCEN_NONE, &all,
			  &only, &partial);
	if (partial && n > 0 && (size_t)n < size && s->scenario_policy == BO_SCEN_POLICY_PROMOTE) {
		if (only)
			snprintf(buf + n, size - (size_t)n, "; left out: %zu configuration%s evaluated under "
				 "the base scenario \"%s\" only%s", only, only == 1 ? "" : "s",
				 bo__scenario_name(s, s->promote.base),
				 partial > only ? " and others under some scenarios" : "");
		else
			snprintf(buf + n, size - (size_t)n, "; left out: %zu configuration%s not evaluated "
				 "under every scenario", partial, partial == 1 ? "" : "s");
	}
	return buf;
}
