/*
 * core/study_scenarios.c - reads scenarios:, scenario_policy: and repeats:
 * of a study file (issue 10 items 3 and 4).
 *
 *   scenarios:                      # a map (or a list of {name: ...})
 *     clean: {weight: 2}
 *     shifted:
 *       inputs: {shift: 0.3}
 *       prices: {gpu_hours: {a100: {normal: [4.0, 0.3]}}}
 *   scenario_policy: all            # or promote, or {promote: {top: 3, every: 20,
 *                                   #   reserve: 0.3, base: clean}}
 *   repeats: {n: 3, seeds: [11, 12, 13]}   # or repeats: 3
 *
 * A scenario overrides inputs and prices the study declares (so that every
 * expression reads the same names under every scenario); any number may
 * be a distribution, as in inputs: and prices:. Part of the study reader
 * (core/study_yaml.c), whose tree and diagnostics it shares
 * (core/study_yaml_int.h). Must never print, exit or abort.
 */
#include "core/model.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/study_yaml_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const SCEN_KEYS[] = {"weight", "inputs", "prices", NULL};
static const char *const SCEN_LIST_KEYS[] = {"name", "weight", "inputs", "prices", NULL};

/* A scenario's name reaches the evaluator in argv and the environment and
 * is shown in tables: letters, digits, "_", "." and "-". */
static int scen_name_ok(const char *t)
{
	const char *p;
	if (!*t || strlen(t) > 64)
		return 0;
	for (p = t; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return 1;
}

/* One number of a scenario: a point or a distribution. 0, or -1 after a
 * diagnostic. */
static int scen_number(rd *r, const bo_scenario *sc, const ynode *v, const char *name,
		       int is_price, double *x, bo_dist **dist)
{
	char full[300], what[400], buf[48];
	snprintf(full, sizeof full, "%s@%s", name, sc->name);
	snprintf(what, sizeof what, "scenario \"%s\": %s \"%s\"", sc->name,
		 is_price ? "price" : "input", bo__yaml_shown(name, buf));
	*dist = NULL;
	if (bo__study_is_dist(v)) {
		if (!(*dist = bo__study_read_dist(r, v, full, what, is_price)))
			return -1;
		*x = (*dist)->mean;
		return 0;
	}
	if (bo__yaml_number(r, v, what, x) < 0)
		return -1;
	if (is_price && *x < 0) {
		DIAG(r, v, "%s: a price must be >= 0, found %s", what, bo__yaml_shown(v->str, buf));
		return -1;
	}
	return 0;
}

/* Appends one value to sc: input or price index (key: the key of a price
 * table, else -1), its number x and distribution d, given at node at. */
static void push_value(bo_scenario *sc, int is_price, int index, int key, double x, bo_dist *d,
		       const ynode *at)
{
	bo_scen_value *sv = &sc->values[sc->nvalues];
	sv->is_price = is_price;
	sv->index = index;
	sv->key = key;
	sv->value = x;
	sv->dist = d;
	sv->pos.line = at->line;
	sv->pos.col = at->col;
	sc->nvalues++;
}

static void read_scen_inputs(rd *r, bo_scenario *sc, const ynode *m)
{
	const bo_study *s = r->s;
	char buf[48], hint[128];
	size_t i, j;
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i];
		bo_dist *d;
		double x;
		int idx;
		if (k->type != YN_SCALAR)
			continue;
		if ((idx = bo__study_find_input(s, k->str)) < 0) {
			suggest sg;
			bo__suggest_init(&sg, k->str);
			for (j = 0; j < s->ninputs; j++)
				bo__suggest_try(&sg, s->inputs[j].name);
			DIAG(r, k, "scenario \"%s\": unknown input \"%s\"%s", sc->name,
			     bo__yaml_shown(k->str, buf),
			     sg.best ? bo__suggest_hint(&sg, hint)
				     : " (a scenario overrides inputs declared under inputs:)");
			continue;
		}
		if (scen_number(r, sc, m->kids[i + 1], k->str, 0, &x, &d) < 0)
			continue;
		push_value(sc, 0, idx, -1, x, d, k);
	}
}

/* The number of values prices: m of a scenario may hold (a table counts
 * its keys). */
static size_t count_price_values(const ynode *m)
{
	size_t i, n = 0;
	for (i = 0; i + 1 < m->n; i += 2)
		n += m->kids[i + 1]->type == YN_MAP && !bo__study_is_dist(m->kids[i + 1])
			     ? m->kids[i + 1]->n / 2
			     : 1;
	return n;
}

static void read_scen_prices(rd *r, bo_scenario *sc, const ynode *m)
{
	const bo_study *s = r->s;
	char buf[48], hint[128];
	size_t i, j;
	for (i = 0; i + 1 < m->n && !r->nomem; i += 2) {
		const ynode *k = m->kids[i], *v = m->kids[i + 1];
		const bo_price *p;
		int idx;
		if (k->type != YN_SCALAR)
			continue;
		if ((idx = bo__study_find_price(s, k->str)) < 0) {
			suggest sg;
			bo__suggest_init(&sg, k->str);
			for (j = 0; j < s->prices.n; j++)
				bo__suggest_try(&sg, s->prices.items[j].name);
			DIAG(r, k, "scenario \"%s\": unknown price \"%s\"%s", sc->name,
			     bo__yaml_shown(k->str, buf),
			     sg.best ? bo__suggest_hint(&sg, hint)
				     : " (a scenario overrides prices declared under prices:)");
			continue;
		}
		p = &s->prices.items[idx];
		if (p->is_table) {
			if (v->type != YN_MAP || bo__study_is_dist(v)) {
				DIAG(r, v, "scenario \"%s\": price \"%s\" is a table: give the keys "
					   "that change, such as {%s: 1.5}", sc->name, p->name,
				     p->nkeys ? p->keys[0] : "key");
				continue;
			}
			for (j = 0; j + 1 < v->n && !r->nomem; j += 2) {
				const ynode *kk = v->kids[j];
				char full[300];
				bo_dist *d;
				double x;
				size_t q;
				if (kk->type != YN_SCALAR)
					continue;
				for (q = 0; q < p->nkeys; q++)
					if (strcmp(p->keys[q], kk->str) == 0)
						break;
				if (q == p->nkeys) {
					DIAG(r, kk, "scenario \"%s\": price table \"%s\" has no key \"%s\"%s",
					     sc->name, p->name, bo__yaml_shown(kk->str, buf),
					     bo__yaml_suggest(kk->str, (const char *const *)p->keys, p->nkeys,
							      hint));
					continue;
				}
				snprintf(full, sizeof full, "%s.%s", p->name, kk->str);
				if (scen_number(r, sc, v->kids[j + 1], full, 1, &x, &d) < 0)
					continue;
				push_value(sc, 1, idx, (int)q, x, d, kk);
			}
		} else {
			bo_dist *d;
			double x;
			if (scen_number(r, sc, v, k->str, 1, &x, &d) < 0)
				continue;
			push_value(sc, 1, idx, -1, x, d, k);
		}
	}
}

/* One scenario: its name at key (NULL in the list form: name: inside),
 * its body at v. */
static void read_scenario(rd *r, const ynode *key, const ynode *v)
{
	bo_study *s = r->s;
	bo_scenario *sc = &s->scenarios[s->nscenarios];
	const ynode *n, *at = key ? key : v;
	const char *name;
	char buf[48];
	size_t i, cap;

	if (key) {
		if (bo__yaml_is_null(v))
			v = NULL;     /* clean: (nothing to change) */
		else if (!bo__yaml_want_map(r, v, "scenario"))
			return;
		if (v)
			bo__yaml_check_keys(r, v, SCEN_KEYS, "scenario");
		name = key->type == YN_SCALAR ? key->str : NULL;
	} else {
		if (!bo__yaml_want_map(r, v, "scenarios: each item"))
			return;
		bo__yaml_check_keys(r, v, SCEN_LIST_KEYS, "scenario");
		if (!(n = bo__yaml_get(v, "name"))) {
			DIAG(r, v, "scenario: missing key \"name\" (in the list form, each scenario is "
				   "{name: clean, weight: 1, inputs: {...}})");
			return;
		}
		at = n;
		name = bo__yaml_text(r, n, "scenario: name");
	}
	if (!name)
		return;
	if (!scen_name_ok(name)) {
		DIAG(r, at, "invalid scenario name \"%s\" (use letters, digits, \"_\", \".\" and \"-\", "
			    "at most 64)", bo__yaml_shown(name, buf));
		return;
	}
	for (i = 0; i < s->nscenarios; i++)
		if (strcmp(s->scenarios[i].name, name) == 0) {
			DIAG(r, at, "scenario \"%s\" is listed twice (first at line %d column %d)", name,
			     s->scenarios[i].pos.line, s->scenarios[i].pos.col);
			return;
		}
	if (!(sc->name = bo__yaml_strdup(r, name)))
		return;
	sc->weight = 1;
	sc->pos.line = at->line;
	sc->pos.col = at->col;
	s->nscenarios++;      /* from here freed with the study */
	if (!v)
		return;
	if ((n = bo__yaml_get(v, "weight"))) {
		double w;
		if (bo__yaml_number(r, n, "scenario: weight", &w) == 0) {
			if (!(w > 0))
				DIAG(r, n, "scenario \"%s\": weight must be more than 0, found %s (leave a "
					   "scenario out rather than weigh it 0)", name,
				     bo__yaml_shown(n->str, buf));
			else
				sc->weight = w;
		}
	}
	cap = 0;
	if ((n = bo__yaml_get(v, "inputs")) && n->type == YN_MAP)
		cap += n->n / 2;
	if ((n = bo__yaml_get(v, "prices")) && n->type == YN_MAP)
		cap += count_price_values(n);
	if (!(sc->values = bo__calloc(cap ? cap : 1, sizeof *sc->values))) {
		r->nomem = 1;
		return;
	}
	if ((n = bo__yaml_get(v, "inputs")) && (n = bo__yaml_want_map(r, n, "scenario: inputs")))
		read_scen_inputs(r, sc, n);
	if ((n = bo__yaml_get(v, "prices")) && (n = bo__yaml_want_map(r, n, "scenario: prices")))
		read_scen_prices(r, sc, n);
}

static void read_scenarios(rd *r, const ynode *top)
{
	const ynode *m = bo__yaml_get(top, "scenarios");
	bo_study *s = r->s;
	size_t i, cap;
	if (!m)
		return;
	if (m->type != YN_MAP && m->type != YN_SEQ) {
		DIAG(r, m, "scenarios: expected a mapping of names ({clean: {}, shifted: {weight: 2}}) "
			   "or a list, found %s", bo__yaml_kind(m));
		return;
	}
	s->scenarios_pos.line = m->line;
	s->scenarios_pos.col = m->col;
	cap = m->type == YN_MAP ? m->n / 2 : m->n;
	if (cap == 0) {
		DIAG(r, m, "scenarios: at least one scenario is needed (or leave scenarios: out)");
		return;
	}
	if (!(s->scenarios = bo__calloc(cap, sizeof *s->scenarios))) {
		r->nomem = 1;
		return;
	}
	if (m->type == YN_MAP)
		for (i = 0; i + 1 < m->n && !r->nomem; i += 2)
			read_scenario(r, m->kids[i], m->kids[i + 1]);
	else
		for (i = 0; i < m->n && !r->nomem; i++)
			read_scenario(r, NULL, m->kids[i]);
}

/* scenario_policy: {promote: {top: K, every: R, reserve: SHARE, base: NAME}}
 * (m: the inner mapping; NULL for the bare word: every default). */
static void read_promote(rd *r, const ynode *top, const ynode *at, const ynode *m)
{
	static const char *const keys[] = {"top", "every", "reserve", "base", NULL};
	bo_study *s = r->s;
	bo_promote_spec *p = &s->promote;
	const ynode *n, *b;
	const char *t;
	char buf[48], hint[128];
	long long v;
	double x;
	size_t k;

	p->top = BO_PROMOTE_TOP;
	p->every = BO_PROMOTE_EVERY;
	p->reserve = BO_PROMOTE_RESERVE;
	p->base = 0;
	p->pos.line = at->line;
	p->pos.col = at->col;
	s->scenario_policy = BO_SCEN_POLICY_PROMOTE;
	if (m && !bo__yaml_is_null(m)) {
		if (!(m = bo__yaml_want_map(r, m, "scenario_policy: promote")))
			return;
		bo__yaml_check_keys(r, m, keys, "scenario_policy: promote");
		if ((n = bo__yaml_get(m, "top")) && bo__yaml_int(r, n, "scenario_policy: promote: top", 1, 1000000, &v) == 0)
			p->top = v;
		if ((n = bo__yaml_get(m, "every")) &&
		    bo__yaml_int(r, n, "scenario_policy: promote: every", 1, 1000000, &v) == 0)
			p->every = v;
		if ((n = bo__yaml_get(m, "reserve")) && bo__yaml_number(r, n, "scenario_policy: promote: reserve", &x) == 0) {
			if (!(x >= 0 && x < 1))
				DIAG(r, n, "scenario_policy: promote: reserve must be a share in [0, 1), found %s "
					   "(0.3 keeps 30%% of the money budget for re-evaluations)",
				     bo__yaml_shown(n->str, buf));
			else
				p->reserve = x;
		}
		if ((b = bo__yaml_get(m, "base")) && (t = bo__yaml_text(r, b, "scenario_policy: promote: base"))) {
			int i = s->nscenarios ? bo__scenario_find(s, t) : -1;
			if (i >= 0) {
				p->base = (size_t)i;
			} else {
				suggest sg;
				bo__suggest_init(&sg, t);
				for (k = 0; k < s->nscenarios; k++)
					bo__suggest_try(&sg, s->scenarios[k].name);
				DIAG(r, b, "scenario_policy: promote: base \"%s\" is not a scenario%s",
				     bo__yaml_shown(t, buf),
				     sg.best ? bo__suggest_hint(&sg, hint) : " (name one listed under scenarios:)");
			}
		}
	}
	if (s->nscenarios < 2) {
		DIAG(r, at, "scenario_policy: promote needs at least two scenarios (a base and one to "
			    "promote to); list them under scenarios:");
		return;
	}
	if ((n = bo__yaml_get(top, "budget")) && n->type == YN_MAP && !bo__yaml_get(n, "money") &&
	    !bo__yaml_get(n, "trials"))
		n = NULL;
	if (!n || n->type != YN_MAP)
		DIAG(r, at, "scenario_policy: promote keeps its reserve out of a budget: give budget: "
			    "money or trials");
	if (bo__yaml_get(top, "fidelity"))
		DIAG(r, at, "scenario_policy: promote and fidelity: are not run together (use "
			    "scenario_policy: all, or leave fidelity: out)");
}

static void read_policy(rd *r, const ynode *top)
{
	static const char *const policies[] = {"all", "promote", NULL};
	const ynode *n = bo__yaml_get(top, "scenario_policy");
	const char *t;
	char buf[48], hint[128];
	if (!n)
		return;
	if (n->type == YN_MAP) {
		if (n->n == 2 && n->kids[0]->type == YN_SCALAR && !strcmp(n->kids[0]->str, "promote")) {
			read_promote(r, top, n->kids[0], n->kids[1]);
			return;
		}
		DIAG(r, n, "scenario_policy: expected all, promote or {promote: {top: 3, every: 20, "
			   "reserve: 0.3}}, found a mapping%s",
		     n->n >= 2 && n->kids[0]->type == YN_SCALAR && *bo__yaml_suggest(n->kids[0]->str, policies, 2, hint)
			     ? hint
			     : "");
		return;
	}
	if (!(t = bo__yaml_text(r, n, "scenario_policy")))
		return;
	if (strcmp(t, "all") == 0)
		r->s->scenario_policy = BO_SCEN_POLICY_ALL;
	else if (strcmp(t, "promote") == 0)
		read_promote(r, top, n, NULL);
	else
		DIAG(r, n, "scenario_policy: unknown policy \"%s\"%s", bo__yaml_shown(t, buf),
		     *bo__yaml_suggest(t, policies, 2, hint) ? hint : " (known: all, promote)");
}

static void read_repeats(rd *r, const ynode *top)
{
	static const char *const keys[] = {"n", "seeds", NULL};
	const ynode *m = bo__yaml_get(top, "repeats"), *n, *sl;
	bo_study *s = r->s;
	long long v;
	size_t i;
	if (!m)
		return;
	if (m->type == YN_SCALAR) {
		if (bo__yaml_int(r, m, "repeats", 1, BO_REPEATS_MAX, &v) == 0)
			s->repeats = v;
		return;
	}
	if (!bo__yaml_want_map(r, m, "repeats"))
		return;
	bo__yaml_check_keys(r, m, keys, "repeats");
	if (!(n = bo__yaml_get(m, "n"))) {
		DIAG(r, m, "repeats: missing key \"n\" (how many times each configuration runs, "
			   "such as {n: 3})");
		return;
	}
	if (bo__yaml_int(r, n, "repeats: n", 1, BO_REPEATS_MAX, &v) < 0)
		return;
	s->repeats = v;
	if (!(sl = bo__yaml_get(m, "seeds")))
		return;
	if (!bo__yaml_want_seq(r, sl, "repeats: seeds"))
		return;
	if ((long long)sl->n != v) {
		DIAG(r, sl, "repeats: seeds has %zu seeds but n is %lld (give one seed per repeat, "
			    "or leave seeds out)", sl->n, v);
		return;
	}
	if (!(s->repeat_seeds = bo__calloc(sl->n, sizeof *s->repeat_seeds))) {
		r->nomem = 1;
		return;
	}
	for (i = 0; i < sl->n; i++) {
		long long x;
		if (bo__yaml_int(r, sl->kids[i], "repeats: seeds", 0, LLONG_MAX, &x) < 0)
			return;
		s->repeat_seeds[i] = (uint64_t)x;
	}
	s->nrepeat_seeds = sl->n;
}

void bo__study_read_scenarios(rd *r, const ynode *top)
{
	r->s->repeats = 1;
	read_scenarios(r, top);
	read_policy(r, top);
	read_repeats(r, top);
}
