/*
 * analysis/trial_judge.c - one finished trial judged as select judges it
 * (uncertain.h): when the study's numbers are uncertain or a guardrail
 * carries a probability, its feasibility and score come from the Monte
 * Carlo evaluation over the default draws, not from a single evaluation
 * at the inputs' means.
 *
 * The run loop, the ask/tell ledger and the Optuna import record each
 * trial's feasible flag and score; status, the dashboard, export and the
 * runner's incumbent read them back. Judged at the means, a chance
 * constraint looked met by a configuration that select rejects (P = 0.754
 * where 0.95 is asked), and status named it best.
 *
 * Pure: no I/O, no clock.
 */
#include "analysis/uncertain.h"

#include <math.h>
#include <string.h>


#include "core/error.h"
#include "core/trial.h"

int bo__mc_needed(const bo_study *s)
{
	size_t k;
	if (s->nuncertain)
		return 1;
	for (k = 0; k < s->nguardrails; k++)
		if (s->guardrails[k].prob > 0)
			return 1;
	return 0;
}

int bo__mc_judge_trial(const bo_study *s, const double *x, bo_trial_rec *rec)
{
	bo_mc_options o = BO_MC_OPTIONS_INIT;
	bo_trial_rec t = *rec;
	bo_configs c;
	bo_mc mc;
	size_t cap = 0, k;
	int rc;
	if (rec->state != BO_TRIAL_COMPLETE || !bo__mc_needed(s))
		return 0;
	memset(&c, 0, sizeof c);
	/* the configurations read a trial's parameters by name: inactive ones
	 * (NaN) stay out, as the ledger keeps them */
	t.params = NULL;
	t.nparams = 0;
	for (k = 0; k < s->nparams; k++)
		if (!isnan(x[k]) && (rc = bo__kv_push(&t.params, &t.nparams, &cap, s->params[k].name, x[k])) < 0) {
			bo__kv_free(t.params, t.nparams);
			return rc;
		}
	if ((rc = bo__configs_init(&c, s, NULL, 0, NULL)) < 0)
		goto done;
	if ((rc = bo__configs_add_trials(&c, &t, 1)) < 0 || c.n != 1 || !c.v[0].usable)
		goto done;
	o.on_demand = 1;    /* the verdict and the ranked value, no quantiles */
	if ((rc = bo__mc_run(&mc, &c, &o)) < 0)
		goto done;
	rec->feasible = c.v[0].feasible;
	if (s->score)
		rec->score = c.v[0].score;
	bo__mc_clear(&mc);
done:
	bo__configs_clear(&c);
	bo__kv_free(t.params, t.nparams);
	return rc;
}
