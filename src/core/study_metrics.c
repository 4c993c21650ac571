/*
 * core/study_metrics.c - reads metrics:, derived:, constraints:, objectives:,
 * guardrails: and score: of a study file.
 *
 * Part of the study reader (core/study_yaml.c), whose tree, diagnostics and
 * expression compiler it shares (core/study_yaml_int.h). Derived metrics
 * are ordered so that each uses only those before it. Must never print,
 * exit or abort.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/expr.h"
#include "core/strbuf.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

static const char *const GOAL_KEYS[] = {"maximize", "minimize", "optional", NULL};

/* Reads {maximize: true} / {minimize: true} into *goal. */
static void read_goal(rd *r, const ynode *m, const char *what, int *goal)
{
	const ynode *mx = bo__yaml_get(m, "maximize"), *mn = bo__yaml_get(m, "minimize");
	int a = 0, b = 0;
	if (mx)
		bo__yaml_bool(r, mx, what, &a);
	if (mn)
		bo__yaml_bool(r, mn, what, &b);
	if (a && b) {
		DIAG(r, m, "%s: both maximize and minimize are set", what);
		return;
	}
	*goal = a ? 1 : b ? -1 : 0;
}

void bo__study_read_metrics(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "metrics"), "metrics");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->metrics = bo__calloc(m->n / 2 + 1, sizeof(bo_metric));
	if (!s->metrics) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		bo_metric *mt;
		char what[160], buf[48];
		if (bo__yaml_check_name(r, k, "metric", 0) < 0)
			continue;
		snprintf(what, sizeof what, "metric \"%s\"", bo__yaml_shown(k->str, buf));
		mt = &s->metrics[s->nmetrics];
		if (!bo__yaml_is_null(v)) {
			if (!bo__yaml_want_map(r, v, what))
				continue;
			bo__yaml_check_keys(r, v, GOAL_KEYS, what);
			read_goal(r, v, what, &mt->goal);
			if (bo__yaml_get(v, "optional"))
				bo__yaml_bool(r, bo__yaml_get(v, "optional"), what, &mt->optional);
		}
		mt->name = bo__yaml_strdup(r, k->str);
		if (!mt->name)
			return;
		mt->pos.line = k->line;
		mt->pos.col = k->col;
		s->nmetrics++;
	}
}

static const char *const DERIVED_KEYS[] = {"expr", "maximize", "minimize", NULL};

/* First pass: names, texts and goals; compiled once every name is known. */
void bo__study_read_derived_names(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_want_map(r, bo__yaml_get(top, "derived"), "derived");
	bo_study *s = r->s;
	size_t i;
	if (!m)
		return;
	s->derived = bo__calloc(m->n / 2 + 1, sizeof(bo_derived));
	if (!s->derived) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		bo_derived *d;
		if (bo__yaml_check_name(r, k, "derived metric", 0) < 0)
			continue;
		d = &s->derived[s->nderived];
		d->name = bo__yaml_strdup(r, k->str);
		if (!d->name)
			return;
		d->pos.line = k->line;
		d->pos.col = k->col;
		if (v->type == YN_MAP) {
			char what[160], buf[48];
			snprintf(what, sizeof what, "derived metric \"%s\"", bo__yaml_shown(k->str, buf));
			bo__yaml_check_keys(r, v, DERIVED_KEYS, what);
			read_goal(r, v, what, &d->goal);
			if (!bo__yaml_get(v, "expr"))
				DIAG(r, v, "%s: missing required key \"expr\"", what);
		}
		s->nderived++;
	}
}

static const ynode *derived_expr_node(const ynode *v)
{
	return v->type == YN_MAP ? bo__yaml_get(v, "expr") : v;
}

typedef struct depctx {
	size_t *deps;
	size_t n, cap;
	int nomem;
} depctx;

static int collect_dep(void *ud, const bo_sym *sym)
{
	depctx *dc = ud;
	if (sym->kind != BO_SYM_DERIVED)
		return 0;
	if (bo__grow(&dc->deps, &dc->cap, dc->n + 1, sizeof(size_t)) < 0) {
		dc->nomem = 1;
		return 1;
	}
	dc->deps[dc->n++] = (size_t)sym->index;
	return 0;
}

/* Orders derived metrics dependencies first and reports cycles
 * (depth-first search with an explicit stack: Tarjan 1972 style colours). */
static void order_derived(rd *r)
{
	bo_study *s = r->s;
	size_t n = s->nderived, i, norder = 0;
	depctx *dc = NULL;
	unsigned char *color = NULL;     /* 0 new, 1 on stack, 2 done */
	size_t *stack = NULL, *pos = NULL;
	bo_strbuf sb = BO_STRBUF_INIT;

	if (!n)
		return;
	dc = bo__calloc(n, sizeof *dc);
	color = bo__calloc(n, 1);
	stack = bo__calloc(n, sizeof *stack);
	pos = bo__calloc(n, sizeof *pos);
	s->derived_order = bo__calloc(n, sizeof(size_t));
	if (!dc || !color || !stack || !pos || !s->derived_order) {
		r->nomem = 1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (s->derived[i].expr)
			bo__expr_foreach_sym(s->derived[i].expr, collect_dep, &dc[i]);
		if (dc[i].nomem) {
			r->nomem = 1;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		size_t top = 0;
		if (color[i])
			continue;
		stack[top++] = i;
		color[i] = 1;
		pos[i] = 0;
		while (top) {
			size_t u = stack[top - 1];
			if (pos[u] < dc[u].n) {
				size_t v = dc[u].deps[pos[u]++];
				if (color[v] == 0) {
					color[v] = 1;
					pos[v] = 0;
					stack[top++] = v;
				} else if (color[v] == 1) {
					/* a cycle: v ... u -> v on the stack */
					size_t k = top;
					while (k > 0 && stack[k - 1] != v)
						k--;
					bo__sb_reset(&sb);
					for (; k - 1 < top; k++) {
						bo__sb_puts(&sb, s->derived[stack[k - 1]].name);
						bo__sb_puts(&sb, " -> ");
					}
					bo__sb_puts(&sb, s->derived[v].name);
					if (sb.failed) {
						r->nomem = 1;
						goto done;
					}
					bo__yaml_diag_at(r, s->derived[v].pos.line, s->derived[v].pos.col,
						 "derived metrics form a cycle: %s", bo__sb_str(&sb));
				}
			} else {
				color[u] = 2;
				s->derived_order[norder++] = u;
				top--;
			}
		}
	}
done:
	for (i = 0; dc && i < n; i++)
		bo__free(dc[i].deps);
	bo__free(dc);
	bo__free(color);
	bo__free(stack);
	bo__free(pos);
	bo__sb_clear(&sb);
}

void bo__study_compile_derived(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_get(top, "derived");
	bo_study *s = r->s;
	resolver rs;
	size_t i, k = 0;
	if (!m || m->type != YN_MAP)
		return;
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_METRIC) | K(BO_SYM_DERIVED) | K(BO_SYM_INPUT) |
		   K(BO_SYM_PRICE);
	rs.visible = s->nparams;
	rs.what = "a derived metric";
	rs.hint = "";
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *key = m->kids[i], *e;
		bo_derived *d;
		char what[160];
		const char *t;
		if (key->type != YN_SCALAR || k >= s->nderived ||
		    strcmp(s->derived[k].name, key->str) != 0)
			continue;
		d = &s->derived[k++];
		e = derived_expr_node(m->kids[i + 1]);
		if (!e)
			continue;
		snprintf(what, sizeof what, "derived metric \"%s\"", d->name);
		t = bo__yaml_expr_text(r, e, what);
		if (!t)
			continue;
		d->expr = bo__yaml_compile_at(r, e, t, &rs, what);
		if (d->expr && bo__expr_is_str(d->expr)) {
			DIAG(r, e, "%s: the expression gives a string, not a number", what);
			bo__expr_free(d->expr);
			d->expr = NULL;
		}
		if (d->expr) {
			d->text = bo__yaml_strdup(r, t);
		}
	}
	order_derived(r);
}

/* Names must be unique across parameters, metrics, derived and inputs. */
void bo__study_check_clashes(rd *r)
{
	const bo_study *s = r->s;
	struct ent {
		const char *name;
		const char *kind;
		bo_srcpos pos;
	} *e;
	size_t n = s->nparams + s->nmetrics + s->nderived + s->ninputs, k = 0, i, j;
	if (n < 2)
		return;
	e = bo__calloc(n, sizeof *e);
	if (!e) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].name)
			e[k++] = (struct ent){s->params[i].name, "parameter", s->params[i].pos};
	for (i = 0; i < s->nmetrics; i++)
		e[k++] = (struct ent){s->metrics[i].name, "metric", s->metrics[i].pos};
	for (i = 0; i < s->nderived; i++)
		e[k++] = (struct ent){s->derived[i].name, "derived metric", s->derived[i].pos};
	for (i = 0; i < s->ninputs; i++)
		e[k++] = (struct ent){s->inputs[i].name, "input", s->inputs[i].pos};
	/* small in practice: a study has tens of names; only differing kinds
	 * can clash (equal keys within one mapping are duplicates already) */
	for (i = 0; i < k; i++)
		for (j = 0; j < i; j++)
			if (e[i].kind != e[j].kind && strcmp(e[i].name, e[j].name) == 0) {
				bo__yaml_diag_at(r, e[i].pos.line, e[i].pos.col,
					 "name \"%s\" is used twice: %s here and %s at line %d column %d "
					 "(names must be unique across parameters, metrics, derived "
					 "metrics and inputs)",
					 e[i].name, e[i].kind, e[j].kind, e[j].pos.line, e[j].pos.col);
				break;
			}
	bo__free(e);
}

void bo__study_read_constraints(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "constraints"), "constraints");
	bo_study *s = r->s;
	resolver rs;
	size_t i;
	if (!l)
		return;
	s->constraints = bo__calloc(l->n + 1, sizeof(bo_constraint));
	if (!s->constraints) {
		r->nomem = 1;
		return;
	}
	rs.r = r;
	rs.kinds = K(BO_SYM_PARAM) | K(BO_SYM_INPUT);
	rs.visible = s->nparams;
	rs.what = "a constraint";
	rs.hint = "constraints see only parameters and inputs";
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *n = l->kids[i];
		bo_constraint *c;
		const char *t = bo__yaml_expr_text(r, n, "constraint");
		bo_expr *e;
		if (!t)
			continue;
		e = bo__yaml_compile_at(r, n, t, &rs, "constraint");
		if (!e)
			continue;
		c = &s->constraints[s->nconstraints++];
		c->expr = e;
		c->pos.line = n->line;
		c->pos.col = n->col;
		c->text = bo__yaml_strdup(r, t);
		if (bo__expr_is_str(e))
			DIAG(r, n, "constraint: the expression gives a string, not true or false");
	}
}

/* An objective "worst(accuracy)" or "cvar(latency_ms, 0.2)": *robust gets
 * BO_EXPR_ROBUST_* + 1 (0 for a plain name), *alpha cvar's share and name
 * the metric's name. Returns 0, or -1 after a diagnostic. */
static int robust_objective(rd *r, const ynode *n, int *robust, double *alpha, char *name, size_t size)
{
	static const char *const fns[] = {"mean", "worst", "cvar", "spread", "regret"};
	const char *t = n->str, *open = strchr(t, '('), *close, *comma, *end;
	size_t k, len;
	int col = n->col + n->quote;
	if (!open)
		return 0;
	for (k = 0; k < sizeof fns / sizeof fns[0]; k++)
		if (strlen(fns[k]) == (size_t)(open - t) && !strncmp(t, fns[k], (size_t)(open - t)))
			break;
	if (k == sizeof fns / sizeof fns[0]) {
		bo__yaml_diag_at(r, n->line, col, "objective: \"%.*s\" is not a robust function (mean, worst, "
				 "cvar, spread or regret); an objective names a metric, or a robust function of one, "
				 "such as worst(accuracy)", (int)(open - t), t);
		return -1;
	}
	if (!r->s->nscenarios) {
		bo__yaml_diag_at(r, n->line, col, "objective: %s() aggregates across scenarios, but the study "
				 "lists none (add scenarios:, or name the metric itself)", fns[k]);
		return -1;
	}
	close = strchr(open, ')');
	comma = strchr(open, ',');
	if (!close || close[1] || (comma && comma > close)) {
		bo__yaml_diag_at(r, n->line, col, "objective: expected %s(metric)%s", fns[k],
				 k == 2 ? ", with cvar's share: cvar(latency_ms, 0.2)" : "");
		return -1;
	}
	end = comma ? comma : close;
	while (open + 1 < end && open[1] == ' ')
		open++;
	len = (size_t)(end - open - 1);
	while (len && open[len] == ' ')
		len--;
	if (!len || len >= size) {
		bo__yaml_diag_at(r, n->line, col, "objective: expected a metric inside %s()", fns[k]);
		return -1;
	}
	memcpy(name, open + 1, len);
	name[len] = '\0';
	if ((k == 2) != (comma != NULL)) {
		bo__yaml_diag_at(r, n->line, col + (int)(end - t), "objective: %s", k == 2
				 ? "cvar needs a share: cvar(latency_ms, 0.2)" : "only cvar takes a share");
		return -1;
	}
	if (comma) {
		char *e2;
		double a = strtod(comma + 1, &e2);
		while (*e2 == ' ')
			e2++;
		const char *num = comma + 1;
		while (*num == ' ')
			num++;
		if (e2 == comma + 1 || e2 != close || !(a > 0 && a <= 1)) {
			bo__yaml_diag_at(r, n->line, col + (int)(num - t), "objective: the share of cvar must be "
					 "a number in (0, 1], such as cvar(latency_ms, 0.2)");
			return -1;
		}
		*alpha = a;
	}
	*robust = (int)k + 1;
	return 0;
}

void bo__study_read_objectives(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "objectives"), "objectives");
	bo_study *s = r->s;
	size_t i, j;
	char buf[48], hint[128];
	if (!l)
		return;
	s->objectives = bo__calloc(l->n + 1, sizeof(bo_objective));
	if (!s->objectives) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *it = l->kids[i], *nn = it;
		bo_objective *o;
		int goal = 0, k, kind, robust;
		double alpha;
		const char *name;
		char inner[128];
		if (it->type == YN_MAP) {
			static const char *const keys[] = {"maximize", "minimize", NULL};
			bo__yaml_check_keys(r, it, keys, "objective");
			if (it->n != 2 || it->kids[0]->type != YN_SCALAR ||
			    (strcmp(it->kids[0]->str, "maximize") && strcmp(it->kids[0]->str, "minimize"))) {
				if (it->n != 2)
					DIAG(r, it, "objective: expected {maximize: name} or {minimize: name}");
				continue;
			}
			goal = strcmp(it->kids[0]->str, "maximize") == 0 ? 1 : -1;
			nn = it->kids[1];
		}
		if (nn->type != YN_SCALAR || bo__yaml_is_null(nn)) {
			DIAG(r, nn, "objective: expected a metric name, found %s", bo__yaml_kind(nn));
			continue;
		}
		name = nn->str;
		robust = 0;
		alpha = 1.0;
		if (robust_objective(r, nn, &robust, &alpha, inner, sizeof inner) < 0)
			continue;
		if (robust)
			name = inner;
		kind = BO_SYM_METRIC;
		k = bo__study_find_metric(s, name);
		if (k < 0) {
			kind = BO_SYM_DERIVED;
			k = bo__study_find_derived(s, name);
		}
		if (k < 0) {
			suggest sg;
			bo__suggest_init(&sg, name);
			for (j = 0; j < s->nmetrics; j++)
				bo__suggest_try(&sg, s->metrics[j].name);
			for (j = 0; j < s->nderived; j++)
				bo__suggest_try(&sg, s->derived[j].name);
			DIAG(r, nn, "objective: unknown metric \"%s\"%s", bo__yaml_shown(name, buf),
			     sg.best ? bo__suggest_hint(&sg, hint)
				     : " (objectives name metrics or derived metrics)");
			continue;
		}
		for (j = 0; j < s->nobjectives; j++)
			if (strcmp(s->objectives[j].label ? s->objectives[j].label : s->objectives[j].name, nn->str) == 0)
				break;
		if (j < s->nobjectives) {
			DIAG(r, nn, "objective \"%s\" is listed twice", nn->str);
			continue;
		}
		if (!goal)
			goal = kind == BO_SYM_METRIC ? s->metrics[k].goal : s->derived[k].goal;
		o = &s->objectives[s->nobjectives];
		o->name = bo__yaml_strdup(r, name);
		if (!o->name || (robust && !(o->label = bo__yaml_strdup(r, nn->str))))
			return;
		o->sym_kind = kind;
		o->index = k;
		o->goal = goal ? goal : -1;
		o->robust = robust;
		o->alpha = alpha;
		o->pos.line = nn->line;
		o->pos.col = nn->col;
		s->nobjectives++;
	}
}

static int any_robust(void *ud, const bo_expr *call)
{
	(void)ud;
	(void)call;
	return 1;
}

void bo__study_read_guardrails(rd *r, const ynode *top)
{
	const ynode *l = bo__yaml_want_seq(r, bo__yaml_get(top, "guardrails"), "guardrails");
	bo_study *s = r->s;
	resolver rs = bo__yaml_all_resolver(r, "a guardrail");
	size_t i;
	if (!l)
		return;
	s->guardrails = bo__calloc(l->n + 1, sizeof(bo_guardrail));
	if (!s->guardrails) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < l->n && !r->nomem; i++) {
		const ynode *n = l->kids[i];
		const bo_expr *a, *b;
		bo_guardrail *g;
		const char *t = bo__yaml_expr_text(r, n, "guardrail");
		bo_expr *e;
		double prob = 0;
		long cut;
		char *head = NULL;
		ynode part;
		if (!t)
			continue;
		if ((cut = bo__study_guardrail_prob(r, n, t, &prob)) < 0)
			continue;
		/* compiled and named without its "with probability" part;
		 * positions of faults in it are those of the text as written */
		if (!(head = bo__strndup(t, (size_t)cut))) {
			r->nomem = 1;
			return;
		}
		part = *n;
		part.str = head;
		t = head;
		e = bo__yaml_compile_at(r, &part, head, &rs, "guardrail");
		if (!e) {
			bo__free(head);
			continue;
		}
		if (!bo__expr_comparison(e, &a, &b)) {
			char buf[48];
			DIAG(r, n, "guardrail \"%s\" must be a comparison (<, <=, >, >=, ==, !=) at its "
				   "top, such as \"latency_ms <= 200\"", bo__yaml_shown(t, buf));
			bo__expr_free(e);
			bo__free(head);
			continue;
		}
		if (prob > 0 && bo__expr_foreach_robust(e, any_robust, NULL)) {
			/* the Monte Carlo draws one scenario's world at a time */
			bo__yaml_diag_at(r, n->line, n->col + n->quote + (int)cut + 1,
					 "guardrail: \"with probability\" does not go with robust functions (yet): "
					 "the chance is computed per scenario; drop one of them");
			bo__expr_free(e);
			bo__free(head);
			continue;
		}
		g = &s->guardrails[s->nguardrails++];
		g->expr = e;
		g->prob = prob;
		g->pos.line = n->line;
		g->pos.col = n->col;
		g->text = head;
	}
}

void bo__study_read_score(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "score");
	bo_study *s = r->s;
	resolver rs = bo__yaml_all_resolver(r, "the score");
	const char *t;
	if (!n)
		return;
	s->score_goal = 1;
	if (n->type == YN_MAP) {
		static const char *const keys[] = {"maximize", "minimize", NULL};
		bo__yaml_check_keys(r, n, keys, "score");
		if (n->n != 2 || n->kids[0]->type != YN_SCALAR ||
		    (strcmp(n->kids[0]->str, "maximize") && strcmp(n->kids[0]->str, "minimize"))) {
			if (n->n != 2)
				DIAG(r, n, "score: expected an expression, {maximize: \"expr\"} or "
					   "{minimize: \"expr\"}");
			return;
		}
		s->score_goal = strcmp(n->kids[0]->str, "maximize") == 0 ? 1 : -1;
		n = n->kids[1];
	}
	t = bo__yaml_expr_text(r, n, "score");
	if (!t)
		return;
	s->score = bo__yaml_compile_at(r, n, t, &rs, "score");
	if (s->score && bo__expr_is_str(s->score)) {
		DIAG(r, n, "score: the expression gives a string, not a number");
		return;
	}
	if (s->score)
		s->score_text = bo__yaml_strdup(r, t);
}
