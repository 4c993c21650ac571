/*
 * core/study_fidelity.c - reads `fidelity:` of a study file into s->fidelity.
 *
 *   fidelity: {param: epochs, min: 1, max: 81, eta: 3, schedule: asha}
 *
 * param names an int or float parameter of space: that is always active
 * (epochs, a share of the training data); min and max are the lowest and
 * highest rungs' values, inside its bounds; eta > 1 is the reduction
 * factor; schedule is asha (default), hyperband or gp (samplers/mfgp.c
 * chooses each trial's configuration and fidelity). Every problem is a
 * file:line:col diagnostic; nothing here schedules (runner/fidelity.c does).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/study_yaml_int.h"

static const char *const KEYS[] = {"param", "min", "max", "eta", "schedule", NULL};
static const char *const SCHEDULES[] = {"asha", "hyperband", "gp", NULL};

const char *bo__fidelity_schedule_name(int schedule)
{
	return schedule == BO_FIDELITY_HYPERBAND ? "hyperband" : schedule == BO_FIDELITY_GP ? "gp" : "asha";
}

/* The number at key of m into *out; 1 when absent, -1 after a diagnostic. */
static int get_num(rd *r, const ynode *m, const char *key, double *out)
{
	const ynode *n = bo__yaml_get(m, key);
	char what[64];
	if (!n)
		return 1;
	snprintf(what, sizeof what, "fidelity: %s", key);
	return bo__yaml_number(r, n, what, out) < 0 ? -1 : 0;
}

void bo__study_read_fidelity(rd *r, const ynode *top)
{
	const ynode *n = bo__yaml_get(top, "fidelity"), *pn, *sn;
	bo_fidelity_spec *f = &r->s->fidelity;
	const bo_param *p;
	const char *name;
	int pi, bad = 0;
	f->param = -1;
	f->eta = 3.0;
	f->schedule = BO_FIDELITY_ASHA;
	if (!n || bo__yaml_is_null(n))
		return;
	f->pos.line = n->line;
	f->pos.col = n->col;
	if (n->type != YN_MAP) {
		bo__yaml_diag(r, n,
			      "fidelity: expected a mapping such as {param: epochs, min: 1, max: 81, eta: 3}, "
			      "found %s",
			      bo__yaml_kind(n));
		return;
	}
	bo__yaml_check_keys(r, n, KEYS, "fidelity");
	if (!(pn = bo__yaml_get(n, "param"))) {
		bo__yaml_diag(r, n, "fidelity: needs param: NAME (an int or float parameter of space:)");
		return;
	}
	if (!(name = bo__yaml_text(r, pn, "fidelity: param")))
		return;
	if ((pi = bo__study_find_param(r->s, name)) < 0) {
		char hint[128];
		const char *c[64];
		size_t i, nc = 0;
		for (i = 0; i < r->s->nparams && nc < 64; i++)
			c[nc++] = r->s->params[i].name;
		bo__yaml_diag(r, pn, "fidelity: param: \"%s\" is not a parameter of space:%s", name,
			      bo__yaml_suggest(name, c, nc, hint));
		return;
	}
	p = &r->s->params[pi];
	if (p->type != BO_PT_INT && p->type != BO_PT_FLOAT) {
		bo__yaml_diag(r, pn, "fidelity: param: \"%s\" must be an int or float parameter", name);
		return;
	}
	if (p->when) {
		bo__yaml_diag(r, pn, "fidelity: param: \"%s\" has a when: condition; a fidelity must be "
				     "active in every configuration",
			      name);
		return;
	}
	f->min = p->lo;
	f->max = p->hi;
	if (get_num(r, n, "min", &f->min) < 0 || get_num(r, n, "max", &f->max) < 0 ||
	    get_num(r, n, "eta", &f->eta) < 0)
		return;
	if (f->min < p->lo || f->min > p->hi) {
		bo__yaml_diag(r, bo__yaml_get(n, "min") ? bo__yaml_get(n, "min") : n,
			      "fidelity: min (%g) is outside %s's bounds [%g, %g]", f->min, name, p->lo, p->hi);
		bad = 1;
	}
	if (f->max < p->lo || f->max > p->hi) {
		bo__yaml_diag(r, bo__yaml_get(n, "max") ? bo__yaml_get(n, "max") : n,
			      "fidelity: max (%g) is outside %s's bounds [%g, %g]", f->max, name, p->lo, p->hi);
		bad = 1;
	}
	if (!bad && !(f->min > 0 && f->min < f->max)) {
		bo__yaml_diag(r, bo__yaml_get(n, "min") ? bo__yaml_get(n, "min") : n,
			      "fidelity: min (%g) must be above 0 and below max (%g)", f->min, f->max);
		bad = 1;
	}
	if (!(f->eta > 1.0) || f->eta > 1e6) {
		bo__yaml_diag(r, bo__yaml_get(n, "eta"), "fidelity: eta: expected a number > 1, found %g",
			      f->eta);
		bad = 1;
	}
	if (p->type == BO_PT_INT && !bad && (f->min != floor(f->min) || f->max != floor(f->max))) {
		bo__yaml_diag(r, bo__yaml_get(n, "min") ? bo__yaml_get(n, "min") : n,
			      "fidelity: %s is an int parameter, so min and max must be whole numbers", name);
		bad = 1;
	}
	if ((sn = bo__yaml_get(n, "schedule")) != NULL) {
		const char *t = bo__yaml_text(r, sn, "fidelity: schedule");
		if (!t)
			return;
		if (!strcmp(t, "asha"))
			f->schedule = BO_FIDELITY_ASHA;
		else if (!strcmp(t, "hyperband"))
			f->schedule = BO_FIDELITY_HYPERBAND;
		else if (!strcmp(t, "gp"))
			f->schedule = BO_FIDELITY_GP;
		else {
			char hint[128];
			bo__yaml_diag(r, sn, "fidelity: schedule: unknown schedule \"%s\" (asha, hyperband or gp)%s",
				      t, bo__yaml_suggest(t, SCHEDULES, 2, hint));
			return;
		}
	}
	if (!bad && r->s->pruner.kind != BO_PRUNER_NONE) {
		bo__yaml_diag(r, n, "fidelity: a study has either pruner: or fidelity:, not both (the "
				    "fidelity's rungs already stop the worse configurations early)");
		bad = 1;
	}
	if (!bad && !r->s->score) {
		size_t i;
		int rankable = 0;
		for (i = 0; i < r->s->nobjectives; i++)
			rankable |= r->s->objectives[i].sym_kind == BO_SYM_METRIC;
		for (i = 0; i < r->s->nmetrics; i++)
			rankable |= r->s->metrics[i].goal != 0;
		if (!rankable) {
			bo__yaml_diag(r, n, "fidelity: nothing to rank a rung's trials by (give the study a "
					    "score:, an objective the evaluator reports, or a metric with "
					    "maximize: true or minimize: true)");
			bad = 1;
		}
	}
	if (!bad)
		f->param = pi;
}

int bo__fidelity_rungs(const bo_fidelity_spec *f, int ptype, double *values, int cap)
{
	/* log_eta(max/min) in floating point can fall short of the whole
	 * number it equals (log 81 / log 3 = 3.9999...); this much is forgiven */
	const double slack = 1e-9;
	int s_max = (int)floor(log(f->max / f->min) / log(f->eta) + slack), k;
	if (s_max < 0)
		s_max = 0;
	if (s_max > BO_FIDELITY_MAX_RUNGS - 1)
		s_max = BO_FIDELITY_MAX_RUNGS - 1;
	for (k = 0; k <= s_max && k < cap; k++) {
		double v = f->max / pow(f->eta, s_max - k);
		if (ptype == BO_PT_INT)
			v = floor(v + 0.5);
		values[k] = v < f->min ? f->min : v;
	}
	return s_max + 1;
}

int bo__study_fidelity_rung(const bo_study *s, double v, int *nrungs)
{
	double values[BO_FIDELITY_MAX_RUNGS];
	int n, k;
	if (nrungs)
		*nrungs = 0;
	if (s->fidelity.param < 0)
		return -1;
	n = bo__fidelity_rungs(&s->fidelity, s->params[s->fidelity.param].type, values, BO_FIDELITY_MAX_RUNGS);
	if (nrungs)
		*nrungs = n;
	for (k = 0; k < n; k++)
		if (fabs(values[k] - v) <= 1e-9 * fabs(values[k]))
			return k;
	return -1;
}
