/*
 * samplers/sampler.c - the sampler handle: picks an algorithm by name and
 * dispatches ask/tell to it through a table of operations.
 *
 * A new algorithm adds its bo_sampler_ops and one row to the table below.
 *
 * "auto" (the default) chooses for the study, and records in the ledger
 * which algorithm proposed each trial ("auto:sobol", "auto:gp", ...), with
 * the reason for each switch (bo__sampler_reason; the run loop makes it a
 * "sampler" event):
 * - Sobol for the first 2 trials per parameter (at least 5 when the GP
 *   follows, else 10; at most 30);
 * - then, with several objectives and a trial budget of at least
 *   AUTO_NSGA2_TRIALS, NSGA-II;
 * - else, while fewer than AUTO_GP_MAX trials have been told, with at most
 *   AUTO_GP_DIMS parameters (of any type: choices are one-hot, ordinals
 *   and ints rounded inside the kernel) and at most AUTO_GP_MAX_OBJECTIVES
 *   objectives, Gaussian-process BO (cost-aware): few, expensive trials
 *   are where its cubic cost pays;
 * - else TPE: large or long studies.
 * The rule was learnt from bench/run-samplers (bench/RESULTS.md): forced,
 * the GP beat TPE on every problem it may take there, the all-categorical
 * NAS-Bench-201 table included (cost to 1% of the optimum 60 against 72
 * money units, reached on 18/20 seeds against 11/20).
 * Every algorithm auto may switch to is told the whole history, so a
 * switch loses nothing.
 *
 * Pure: no I/O, no clock, no globals other than the constant table.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"
#include "core/trial.h"
#include "samplers/costmodel.h"
#include "samplers/internal.h"

static const bo_sampler_ops random_ops = {"random", bo__random_create, bo__random_destroy,
					   bo__random_ask, NULL, NULL};
static const bo_sampler_ops sobol_ops = {"sobol", bo__sobol_create, bo__sobol_destroy,
					  bo__sobol_ask, NULL, NULL};

static const bo_sampler_ops *const sampler_table[] = {
	&random_ops,
	&sobol_ops,
	&bo__tpe_ops,
	&bo__gp_ops,
	&bo__nsga2_ops,
};
#define NSAMPLERS (sizeof sampler_table / sizeof sampler_table[0])

#define AUTO_STARTUP_MIN 10        /* Sobol trials before a model, at least */
#define AUTO_STARTUP_MAX 30
#define AUTO_GP_STARTUP_MIN 5      /* ... when the gp follows */
#define AUTO_GP_MAX 300            /* told trials beyond which GP gives way to TPE */
#define AUTO_GP_DIMS 20
/* With two objectives GP won clearly (ZDT1: 0.99 vs TPE's 0.58); with three
 * its ParEGO beat TPE on DTLZ2 (6 parameters: 0.75 vs 0.68, 4 seeds each;
 * Monte Carlo EHVI had lost, 0.52 vs 0.60 on 7). Four or more: ParEGO, not
 * measured against TPE, so TPE keeps them. */
#define AUTO_GP_MAX_OBJECTIVES 3
#define REASON_MAX 160
#define AUTO_NSGA2_TRIALS 1000

/* "auto": the algorithms it may use, each told everything. */
typedef struct auto_state {
	const bo_sampler_ops *ops[3];
	void *impl[3];          /* sobol, then the one or two models */
	size_t n;
	int64_t startup;
	int64_t ntold;
	int gp_then_tpe;        /* impl[1] is GP, impl[2] TPE */
	size_t last;            /* the algorithm of the last ask; SIZE_MAX before any */
	int switched;           /* the last ask used another algorithm than the one before */
	char why[3][REASON_MAX];   /* why each algorithm is used when it is */
} auto_state;

struct bo_sampler {
	const bo_sampler_ops *ops;
	const bo_study *study;
	void *impl;
	auto_state *autos;      /* non-NULL for "auto" */
	bo_costmodel *cost;     /* the reservation's model (samplers/costmodel.c) */
	uint64_t seed;
	char ledger[64];
};

static void auto_free(auto_state *a)
{
	size_t i;
	if (!a)
		return;
	for (i = 0; i < a->n; i++)
		if (a->impl[i])
			a->ops[i]->destroy(a->impl[i]);
	bo__free(a);
}

static int auto_add(auto_state *a, const bo_sampler_ops *ops, const bo_study *s, uint64_t seed)
{
	int rc = ops->create(&a->impl[a->n], s, seed);
	if (rc < 0)
		return rc;
	a->ops[a->n++] = ops;
	/* The model's own start-up is auto's Sobol phase. */
	if (ops->set_param)
		ops->set_param(a->impl[a->n - 1], "n_startup", (double)a->startup);
	return 0;
}

static int auto_new(auto_state **out, const bo_study *s, uint64_t seed)
{
	auto_state *a = bo__calloc(1, sizeof *a);
	size_t nobj = bo__sampler_nobjectives(s);
	int rc, gp_next = !(nobj >= 2 && s->budget.trials >= AUTO_NSGA2_TRIALS) &&
			  s->nparams <= AUTO_GP_DIMS && nobj <= AUTO_GP_MAX_OBJECTIVES;
	*out = NULL;
	if (!a)
		return BO_ENOMEM;
	a->startup = 2 * (int64_t)s->nparams;
	/* The gp's own start-up (max(5, 2 nparams)) when the gp follows:
	 * with 10 Sobol points auto spent 146 on Branin where the gp alone
	 * spent 124 to reach 1% (bench/run-samplers, 10 seeds). */
	if (a->startup < (gp_next ? AUTO_GP_STARTUP_MIN : AUTO_STARTUP_MIN))
		a->startup = gp_next ? AUTO_GP_STARTUP_MIN : AUTO_STARTUP_MIN;
	if (a->startup > AUTO_STARTUP_MAX)
		a->startup = AUTO_STARTUP_MAX;
	a->last = SIZE_MAX;
	if ((rc = auto_add(a, &sobol_ops, s, seed)) < 0)
		goto fail;
	snprintf(a->why[0], REASON_MAX, "sobol: space-filling start, the first %lld trials "
		 "(2 per parameter, %d to %d)", (long long)a->startup,
		 gp_next ? AUTO_GP_STARTUP_MIN : AUTO_STARTUP_MIN, AUTO_STARTUP_MAX);
	if (nobj >= 2 && s->budget.trials >= AUTO_NSGA2_TRIALS) {
		rc = auto_add(a, &bo__nsga2_ops, s, seed);
		snprintf(a->why[1], REASON_MAX, "nsga2: %zu objectives and a budget of %lld trials "
			 "(>= %d)", nobj, (long long)s->budget.trials, AUTO_NSGA2_TRIALS);
	} else if (gp_next && (s->budget.trials == 0 || s->budget.trials > a->startup)) {
		a->gp_then_tpe = 1;
		if ((rc = auto_add(a, &bo__gp_ops, s, seed)) == 0)
			rc = auto_add(a, &bo__tpe_ops, s, seed);
		snprintf(a->why[1], REASON_MAX, "gp: %zu parameters (<= %d), %zu objective%s (<= %d), "
			 "fewer than %d trials told", s->nparams, AUTO_GP_DIMS, nobj, nobj == 1 ? "" : "s",
			 AUTO_GP_MAX_OBJECTIVES, AUTO_GP_MAX);
		snprintf(a->why[2], REASON_MAX, "tpe: %d trials told, past the gp's limit", AUTO_GP_MAX);
	} else {
		rc = auto_add(a, &bo__tpe_ops, s, seed);
		if (s->nparams > AUTO_GP_DIMS)
			snprintf(a->why[1], REASON_MAX, "tpe: %zu parameters (gp takes at most %d)",
				 s->nparams, AUTO_GP_DIMS);
		else if (nobj > AUTO_GP_MAX_OBJECTIVES)
			snprintf(a->why[1], REASON_MAX, "tpe: %zu objectives (gp takes at most %d)", nobj,
				 AUTO_GP_MAX_OBJECTIVES);
		else
			snprintf(a->why[1], REASON_MAX, "tpe: a trial budget of %lld leaves no trial "
				 "for a gp after the start", (long long)s->budget.trials);
	}
	if (rc < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	auto_free(a);
	return rc;
}

/* Which of auto's algorithms proposes trial number. */
static size_t auto_pick(const auto_state *a, int64_t number)
{
	if (number < a->startup)
		return 0;
	if (a->gp_then_tpe && a->ntold >= AUTO_GP_MAX)
		return 2;
	return 1;
}

int bo__sampler_new(bo_sampler **out, const bo_study *s, const char *name, uint64_t seed)
{
	bo_sampler *sm = NULL;
	bo_strbuf known = BO_STRBUF_INIT;
	const bo_sampler_ops *ops = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	int is_auto = name && strcmp(name, "auto") == 0;
	if (is_auto)
		name = "sobol";   /* for the table look-up; auto_new builds the rest */
	for (i = 0; name && i < NSAMPLERS; i++)
		if (strcmp(sampler_table[i]->name, name) == 0)
			ops = sampler_table[i];
	if (!ops) {
		bo__sb_puts(&known, "auto");
		for (i = 0; i < NSAMPLERS; i++)
			bo__sb_printf(&known, ", %s", sampler_table[i]->name);
		if (!bo__sb_str(&known)) {
			rc = BO_ENOMEM;
			goto done;
		}
		rc = bo__error(BO_EINVAL, "unknown sampler \"%s\" (known: %s)",
			       name ? name : "", bo__sb_str(&known));
		goto done;
	}
	sm = bo__calloc(1, sizeof *sm);
	if (!sm) {
		rc = BO_ENOMEM;
		goto done;
	}
	sm->ops = ops;
	sm->study = s;
	sm->seed = seed;
	if ((rc = bo__costmodel_new(&sm->cost, s)) < 0)
		goto done;
	snprintf(sm->ledger, sizeof sm->ledger, "%s%s", is_auto ? "auto:" : "", ops->name);
	rc = is_auto ? auto_new(&sm->autos, s, seed) : ops->create(&sm->impl, s, seed);
	if (rc < 0)
		goto done;
	*out = sm;
	sm = NULL;
done:
	bo__sampler_free(sm);
	bo__sb_clear(&known);
	return rc;
}

void bo__sampler_free(bo_sampler *sm)
{
	if (!sm)
		return;
	if (sm->impl)
		sm->ops->destroy(sm->impl);
	auto_free(sm->autos);
	bo__costmodel_free(sm->cost);
	bo__free(sm);
}

const char *bo__sampler_name(const bo_sampler *sm)
{
	return sm ? sm->ledger : "";
}

const char *bo__sampler_reason(const bo_sampler *sm)
{
	if (!sm || !sm->autos || sm->autos->last == SIZE_MAX || !sm->autos->switched)
		return NULL;
	return sm->autos->why[sm->autos->last];
}

int bo__sampler_ask(bo_sampler *sm, int64_t number, double *x)
{
	if (!sm || !x || number < 0)
		return bo__error(BO_EMISUSE, "sampler ask needs a sampler, a buffer and a "
					     "trial number >= 0");
	if (sm->autos) {
		size_t k = auto_pick(sm->autos, number);
		sm->autos->switched = k != sm->autos->last;
		sm->autos->last = k;
		snprintf(sm->ledger, sizeof sm->ledger, "auto:%s", sm->autos->ops[k]->name);
		return sm->autos->ops[k]->ask(sm->autos->impl[k], number, x);
	}
	return sm->ops->ask(sm->impl, number, x);
}

int bo__sampler_tell(bo_sampler *sm, const bo_observation *o)
{
	if (!sm || !o || o->number < 0 || !o->x)
		return bo__error(BO_EMISUSE, "sampler tell needs a sampler and an observation of a "
					     "trial number >= 0");
	if (o->nobj != bo__sampler_nobjectives(sm->study) || o->ncons != sm->study->nguardrails ||
	    (o->nobj && !o->obj) || (o->ncons && !o->cons))
		return bo__error(BO_EINVAL, "sampler tell: %zu objectives and %zu guardrail margins, "
					    "the study has %zu and %zu",
				 o->nobj, o->ncons, bo__sampler_nobjectives(sm->study),
				 sm->study->nguardrails);
	{
		int rc = o->state == BO_TRIAL_FAILED ? bo__costmodel_add_failed(sm->cost, o->x, o->cost)
						     : bo__costmodel_add(sm->cost, o->x, o->cost);
		if (rc < 0)
			return rc;
	}
	if (sm->autos) {
		size_t k;
		int rc;
		for (k = 0; k < sm->autos->n; k++)
			if (sm->autos->ops[k]->tell &&
			    (rc = sm->autos->ops[k]->tell(sm->autos->impl[k], o)) < 0)
				return rc;
		sm->autos->ntold++;
		return 0;
	}
	if (!sm->ops->tell)
		return 0;
	return sm->ops->tell(sm->impl, o);
}

int bo__sampler_tell_metrics(bo_sampler *sm, int64_t number, const double *x, int state,
			     const double *mvals, double cost)
{
	const bo_study *s;
	size_t nobj, i;
	double *dv, *obj, *cons;
	double score = NAN;
	bo_observation o;
	int rc = BO_ENOMEM;
	if (!sm || !x)
		return bo__error(BO_EMISUSE, "sampler tell needs a sampler and a configuration");
	s = sm->study;
	nobj = bo__sampler_nobjectives(s);
	dv = bo__calloc(s->nderived + 1, sizeof *dv);
	obj = bo__calloc(nobj + 1, sizeof *obj);
	cons = bo__calloc(s->nguardrails + 1, sizeof *cons);
	if (!dv || !obj || !cons)
		goto done;
	for (i = 0; i < nobj; i++)
		obj[i] = NAN;
	for (i = 0; i < s->nguardrails; i++)
		cons[i] = NAN;
	if (state == BO_TRIAL_COMPLETE && mvals) {
		bo_eval_ctx ctx;
		ctx.study = s;
		ctx.x = x;
		ctx.metrics = mvals;
		ctx.derived = dv;
		/* A value that cannot be computed stays NaN: the sampler sees
		 * a missing objective, not an error of the run. */
		if (bo__study_derive(&ctx) == 0) {
			bo__study_guardrails(&ctx, NULL, cons);
			bo__study_score(&ctx, &score);
		}
		for (i = 0; i < s->nobjectives; i++) {
			const bo_objective *ob = &s->objectives[i];
			double v = ob->sym_kind == BO_SYM_DERIVED ? dv[ob->index] : mvals[ob->index];
			obj[i] = ob->goal > 0 ? -v : v;
		}
		if (!s->nobjectives && nobj)
			obj[0] = (s->score_goal < 0 ? 1.0 : -1.0) * score;
	}
	o.number = number;
	o.x = x;
	o.state = state;
	o.nobj = nobj;
	o.obj = obj;
	o.ncons = s->nguardrails;
	o.cons = cons;
	o.cost = cost;
	rc = bo__sampler_tell(sm, &o);
done:
	bo__free(dv);
	bo__free(obj);
	bo__free(cons);
	return rc;
}

int bo__sampler_predict_cost(bo_sampler *sm, const double *x, double q, double *upper,
			     char *basis, size_t size)
{
	int rc;
	*upper = NAN;
	if (size)
		basis[0] = '\0';
	if (!sm || !x)
		return bo__error(BO_EMISUSE, "sampler predict_cost needs a sampler and a configuration");
	rc = bo__costmodel_predict(sm->cost, x, q, upper);
	if (rc == 0 && size)
		bo__costmodel_describe(sm->cost, q, basis, size);
	return rc;
}

int bo__sampler_cheaper(bo_sampler *sm, int64_t number, const double *x, double q, double limit,
			double *xout, double *upper)
{
	if (!sm || !x || !xout || !upper)
		return bo__error(BO_EMISUSE, "sampler cheaper needs a sampler and configurations");
	return bo__costmodel_cheaper(sm->cost, sm->seed, number, x, q, limit, xout, upper);
}

int bo__sampler_set_param(bo_sampler *sm, const char *name, double value)
{
	if (!sm || !name)
		return bo__error(BO_EMISUSE, "sampler set_param needs a sampler and a name");
	if (sm->autos) {
		/* An option goes to every algorithm of auto that has it. */
		size_t k;
		int taken = 0;
		for (k = 0; k < sm->autos->n; k++)
			if (sm->autos->ops[k]->set_param &&
			    sm->autos->ops[k]->set_param(sm->autos->impl[k], name, value) == 0)
				taken = 1;
		return taken ? 0 : bo__error(BO_EINVAL, "no algorithm of sampler \"auto\" has option \"%s\"", name);
	}
	if (!sm->ops->set_param)
		return bo__error(BO_EINVAL, "sampler \"%s\" has no option \"%s\"", sm->ops->name, name);
	return sm->ops->set_param(sm->impl, name, value);
}

size_t bo__sampler_nobjectives(const bo_study *s)
{
	if (s->nobjectives)
		return s->nobjectives;
	return s->score ? 1 : 0;
}
