/*
 * core/study_pruner.c - reads `pruner:` of a study file into s->pruner.
 *
 *   pruner: none                                   (the default)
 *   pruner: median                                 (a rule with its defaults)
 *   pruner: {asha: {min_step: 1, eta: 3, max_step: 27, metric: val_acc}}
 *
 * One key, the rule, whose value holds its options. Every problem is a
 * file:line:col diagnostic; nothing here runs a rule (runner/pruner.c does).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/expr.h"
#include "core/study_yaml_int.h"

static const char *const RULES[] = {"none",      "median",   "asha", "successive_halving",
				    "hyperband", "patience", "threshold", "cost",
				    "pareto",    NULL};

/* The options each rule takes (metric: names the intermediate value read). */
static const char *const K_MEDIAN[] = {"metric", "warmup_steps", "min_trials", NULL};
static const char *const K_ASHA[] = {"metric", "warmup_steps", "min_step", "min_resource", "eta",
				     "max_step", NULL};
static const char *const K_HYPERBAND[] = {"metric", "min_step", "min_resource", "eta", "max_step",
					  "max_resource", NULL};
static const char *const K_PATIENCE[] = {"metric", "warmup_steps", "steps", "min_delta", NULL};
static const char *const K_THRESHOLD[] = {"metric", "warmup_steps", "lower", "upper", NULL};
static const char *const K_COST[] = {"metric",     "warmup_steps", "min_trials", "max_step",
				     "margin",     "max_value",    NULL};
static const char *const K_PARETO[] = {"metrics", "warmup_steps", "min_trials", "margin", "max_step",
				       NULL};

static int rule_kind(const char *name)
{
	if (!strcmp(name, "none"))
		return BO_PRUNER_NONE;
	if (!strcmp(name, "median"))
		return BO_PRUNER_MEDIAN;
	if (!strcmp(name, "asha") || !strcmp(name, "successive_halving"))
		return BO_PRUNER_ASHA;
	if (!strcmp(name, "hyperband"))
		return BO_PRUNER_HYPERBAND;
	if (!strcmp(name, "patience"))
		return BO_PRUNER_PATIENCE;
	if (!strcmp(name, "threshold"))
		return BO_PRUNER_THRESHOLD;
	if (!strcmp(name, "cost"))
		return BO_PRUNER_COST;
	if (!strcmp(name, "pareto"))
		return BO_PRUNER_PARETO;
	return -1;
}

/* A whole number in [lo, hi] at key of m; 1 when absent, -1 after a diagnostic. */
static int get_count(rd *r, const ynode *m, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const ynode *n = m ? bo__yaml_get(m, key) : NULL;
	double d;
	if (!n)
		return 1;
	if (bo__yaml_number(r, n, key, &d) < 0)
		return -1;
	if (d != floor(d) || d < (double)lo || d > (double)hi) {
		bo__yaml_diag(r, n, "pruner: %s: expected a whole number from %lld to %lld, found %g", key,
			      (long long)lo, (long long)hi, d);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

/* A number at key of m; 1 when absent, -1 after a diagnostic. */
static int get_num(rd *r, const ynode *m, const char *key, double *out)
{
	const ynode *n = m ? bo__yaml_get(m, key) : NULL;
	char what[64];
	if (!n)
		return 1;
	snprintf(what, sizeof what, "pruner: %s", key);
	return bo__yaml_number(r, n, what, out) < 0 ? -1 : 0;
}

/* The direction of metric name: its objective's, else the metric's own, 0 if none. */
static int metric_goal(const bo_study *s, size_t mi)
{
	size_t i;
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC && s->objectives[i].index == (int)mi)
			return s->objectives[i].goal;
	return s->metrics[mi].goal;
}

static int add_metric(rd *r, const ynode *at, const char *name)
{
	bo_pruner_spec *p = &r->s->pruner;
	const bo_study *s = r->s;
	int mi = bo__study_find_metric(s, name);
	char **nm;
	int *ng;
	if (mi < 0) {
		char hint[128];
		const char **c = bo__calloc(s->nmetrics + 1, sizeof *c);
		size_t i;
		if (!c) {
			r->nomem = 1;
			return -1;
		}
		for (i = 0; i < s->nmetrics; i++)
			c[i] = s->metrics[i].name;
		bo__yaml_diag(r, at,
			      "pruner: \"%s\" is not a metric the evaluator reports (pruners read the "
			      "metrics of {\"step\": k, \"metrics\": {...}} lines)%s",
			      name, bo__yaml_suggest(name, c, s->nmetrics, hint));
		bo__free(c);
		return -1;
	}
	if (!metric_goal(s, (size_t)mi)) {
		bo__yaml_diag(r, at,
			      "pruner: metric \"%s\" has no direction (give it maximize: true or "
			      "minimize: true under metrics:, or make it an objective)",
			      name);
		return -1;
	}
	nm = bo__realloc(p->metrics, p->nmetrics + 1, sizeof *nm);
	if (!nm) {
		r->nomem = 1;
		return -1;
	}
	p->metrics = nm;
	ng = bo__realloc(p->goals, p->nmetrics + 1, sizeof *ng);
	if (!ng) {
		r->nomem = 1;
		return -1;
	}
	p->goals = ng;
	if (!(p->metrics[p->nmetrics] = bo__strdup(name))) {
		r->nomem = 1;
		return -1;
	}
	p->goals[p->nmetrics++] = metric_goal(s, (size_t)mi);
	return 0;
}

/* metric: (one name) or, by default, the first objective that is a
 * reported metric, else the first metric with a direction. */
static void read_metric(rd *r, const ynode *opts, const ynode *rule)
{
	const bo_study *s = r->s;
	const ynode *n = opts ? bo__yaml_get(opts, "metric") : NULL;
	size_t i;
	if (n) {
		const char *t = bo__yaml_text(r, n, "pruner: metric");
		if (t)
			add_metric(r, n, t);
		return;
	}
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC) {
			add_metric(r, rule, s->objectives[i].name);
			return;
		}
	for (i = 0; i < s->nmetrics; i++)
		if (s->metrics[i].goal) {
			add_metric(r, rule, s->metrics[i].name);
			return;
		}
	bo__yaml_diag(r, rule,
		      "pruner: no metric to watch (name one with metric: NAME; it must be reported in "
		      "step lines and have a direction)");
}

/* metrics: (a list) or, by default, the objectives that are reported metrics. */
static void read_metrics(rd *r, const ynode *opts, const ynode *rule)
{
	const bo_study *s = r->s;
	const ynode *n = opts ? bo__yaml_get(opts, "metrics") : NULL;
	size_t i;
	if (n) {
		if (n->type != YN_SEQ || n->n == 0) {
			bo__yaml_diag(r, n, "pruner: metrics: expected a list of metric names, found %s",
				      bo__yaml_kind(n));
			return;
		}
		for (i = 0; i < n->n; i++) {
			const char *t = bo__yaml_text(r, n->kids[i], "pruner: metrics");
			if (t && add_metric(r, n->kids[i], t) < 0)
				return;
		}
		return;
	}
	for (i = 0; i < s->nobjectives; i++)
		if (s->objectives[i].sym_kind == BO_SYM_METRIC && add_metric(r, rule, s->objectives[i].name) < 0)
			return;
	if (!r->s->pruner.nmetrics)
		bo__yaml_diag(r, rule,
			      "pruner: pareto needs objectives that the evaluator reports in step lines "
			      "(or metrics: [a, b])");
}

void bo__study_read_pruner(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "pruner"), *rule = NULL, *opts = NULL;
	bo_pruner_spec *p = &r->s->pruner;
	const char *name;
	const char *const *keys = NULL;
	char where[64];
	int kind;
	int64_t v;
	p->kind = BO_PRUNER_NONE;
	p->eta = 3.0;
	p->lower = NAN;
	p->upper = NAN;
	p->max_value = NAN;
	p->min_step = 1;
	if (!n)
		return;
	p->pos.line = n->line;
	p->pos.col = n->col;
	if (n->type == YN_SCALAR) {
		rule = n;
	} else if (n->type == YN_MAP && n->n == 2 && n->kids[0]->type == YN_SCALAR) {
		rule = n->kids[0];
		opts = n->kids[1];
		if (opts->type == YN_SCALAR && (!opts->plain || (strcmp(opts->str, "") && strcmp(opts->str, "~") &&
								 strcmp(opts->str, "null")))) {
			bo__yaml_diag(r, opts, "pruner: %s: expected a mapping of options, found %s", rule->str,
				      bo__yaml_kind(opts));
			return;
		}
		if (opts->type == YN_SCALAR)
			opts = NULL;
		else if (opts->type != YN_MAP) {
			bo__yaml_diag(r, opts, "pruner: %s: expected a mapping of options, found %s", rule->str,
				      bo__yaml_kind(opts));
			return;
		}
	} else {
		bo__yaml_diag(r, n,
			      "pruner: expected a rule (none, median, asha, hyperband, patience, threshold, "
			      "cost, pareto) or one rule with its options ({median: {warmup_steps: 3}}), "
			      "found %s",
			      bo__yaml_kind(n));
		return;
	}
	name = rule->str;
	if ((kind = rule_kind(name)) < 0) {
		char hint[128];
		size_t nr = 0;
		while (RULES[nr])
			nr++;
		bo__yaml_diag(r, rule, "pruner: unknown rule \"%s\"%s", name,
			      bo__yaml_suggest(name, RULES, nr, hint));
		return;
	}
	p->kind = kind;
	switch (kind) {
	case BO_PRUNER_NONE: keys = NULL; break;
	case BO_PRUNER_MEDIAN: keys = K_MEDIAN; break;
	case BO_PRUNER_ASHA: keys = K_ASHA; break;
	case BO_PRUNER_HYPERBAND: keys = K_HYPERBAND; break;
	case BO_PRUNER_PATIENCE: keys = K_PATIENCE; break;
	case BO_PRUNER_THRESHOLD: keys = K_THRESHOLD; break;
	case BO_PRUNER_COST: keys = K_COST; break;
	default: keys = K_PARETO; break;
	}
	if (kind == BO_PRUNER_NONE) {
		if (opts && opts->n)
			bo__yaml_diag(r, opts, "pruner: none takes no options");
		return;
	}
	snprintf(where, sizeof where, "pruner: %s", name);
	if (opts)
		bo__yaml_check_keys(r, opts, keys, where);
	if (kind == BO_PRUNER_PARETO)
		read_metrics(r, opts, rule);
	else
		read_metric(r, opts, rule);
	p->min_trials = kind == BO_PRUNER_MEDIAN ? 5 : 1;
	get_count(r, opts, "warmup_steps", 0, INT64_C(1) << 52, &p->warmup_steps);
	get_count(r, opts, "min_trials", 1, INT64_C(1) << 52, &p->min_trials);
	if (get_count(r, opts, "min_step", 1, INT64_C(1) << 52, &p->min_step) == 1)
		get_count(r, opts, "min_resource", 1, INT64_C(1) << 52, &p->min_step);
	if (get_count(r, opts, "max_step", 1, INT64_C(1) << 52, &p->max_step) == 1)
		get_count(r, opts, "max_resource", 1, INT64_C(1) << 52, &p->max_step);
	if (get_num(r, opts, "eta", &p->eta) == 0 && !(p->eta > 1.0))
		bo__yaml_diag(r, bo__yaml_get(opts, "eta"), "pruner: eta: expected a number > 1, found %g",
			      p->eta);
	if (get_count(r, opts, "steps", 1, INT64_C(1) << 52, &v) == 0)
		p->patience = v;
	else if (kind == BO_PRUNER_PATIENCE)
		bo__yaml_diag(r, rule, "pruner: patience needs steps: N (the reports without improvement "
				       "that stop a trial)");
	if (get_num(r, opts, "min_delta", &p->min_delta) == 0 && !(p->min_delta >= 0))
		bo__yaml_diag(r, bo__yaml_get(opts, "min_delta"),
			      "pruner: min_delta: expected a number >= 0, found %g", p->min_delta);
	get_num(r, opts, "lower", &p->lower);
	get_num(r, opts, "upper", &p->upper);
	if (kind == BO_PRUNER_THRESHOLD && isnan(p->lower) && isnan(p->upper))
		bo__yaml_diag(r, rule, "pruner: threshold needs lower:, upper: or both");
	if (!isnan(p->lower) && !isnan(p->upper) && p->lower > p->upper)
		bo__yaml_diag(r, bo__yaml_get(opts, "lower"), "pruner: lower (%g) is above upper (%g)",
			      p->lower, p->upper);
	if (get_num(r, opts, "margin", &p->margin) == 0 && !(p->margin >= 0 && p->margin < 1))
		bo__yaml_diag(r, bo__yaml_get(opts, "margin"),
			      "pruner: margin: expected a share from 0 to below 1 (0.05 is 5%%), found %g",
			      p->margin);
	get_num(r, opts, "max_value", &p->max_value);
	if ((kind == BO_PRUNER_HYPERBAND || kind == BO_PRUNER_COST) && p->max_step == 0)
		bo__yaml_diag(r, rule, "pruner: %s needs max_step: N (the step at which a trial is complete)",
			      name);
	if ((kind == BO_PRUNER_HYPERBAND || kind == BO_PRUNER_ASHA) && p->max_step &&
	    p->max_step < p->min_step)
		bo__yaml_diag(r, bo__yaml_get(opts, "max_step") ? bo__yaml_get(opts, "max_step") : rule,
			      "pruner: max_step (%lld) is below min_step (%lld)", (long long)p->max_step,
			      (long long)p->min_step);
	if (kind == BO_PRUNER_COST && p->nmetrics == 1 && p->goals[0] < 0)
		bo__yaml_diag(r, opts && bo__yaml_get(opts, "metric") ? bo__yaml_get(opts, "metric") : rule,
			      "pruner: cost compares value per unit cost, so its metric must be maximized "
			      "(\"%s\" is minimized)",
			      p->metrics[0]);
}
