/*
 * runner/runner_recover.c - what a run finds when it starts: the trials
 * of a runner that died (orphans, runner/orphans.c; a Slurm job that
 * outlived it is followed again), and the history of earlier sessions,
 * told to the sampler, the pruner and the fidelity schedule.
 *
 * Part of the run loop: runner.c holds the loop, and runner/runner_int.h
 * lists the sibling files.
 */
#include "runner/runner_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "exec/exec.h"
#include "exec/slurm.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "runner/fidelity_run.h"
#include "runner/orphans.h"
#include "runner/pruner.h"
#include "runner/pruner_replay.h"
#include "runner/slurm_jobs.h"
#include "samplers/sampler.h"
#include "storage/storage.h"

/* ---- orphans (runner/orphans.c) ------------------------------------- */

static double orphan_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap,
			    double *uncapped)
{
	return bo__run_charge_for(ud, id, usage, n, cap, uncapped);
}

static void orphan_recovered(void *ud, int64_t id, double cost, double uncapped, int nkilled)
{
	runner *r = ud;
	bo__run_clamp_event(r, id, uncapped, cost);
	bo__run_event(r, id, "orphan", cost, "trial %lld recovered from a dead runner%s; charged %.6g",
	      (long long)id, nkilled ? " (its processes were still running and were stopped)" : "",
	      cost);
	r->sum.orphans++;
	bo__run_note(r, "recovered trial %lld, orphaned by a runner that died; charged %.6g %s",
	     (long long)id, cost, r->s->prices.currency);
}

/* A trial of a runner that died whose Slurm job is known (its id in the
 * ledger or folder, or a job whose comment names the trial): the job goes
 * on, followed again as if this runner had submitted it. 1: taken back,
 * 0: not a Slurm trial or no job found (an orphan like others), < 0. */
static int orphan_adopt(void *ud, const bo_trial_rec *t)
{
	runner *r = ud;
	const bo_study *s = r->s;
	job_ctx *j = NULL;
	bo_exec_spec spec;
	bo_job_status st;
	char cgname[64], path[PATH_MAX], how[64];
	int rc = BO_ENOMEM;

	if (s->evaluator.executor != BO_EXECUTOR_SLURM || !t->folder)
		return 0;
	if (!(j = bo__calloc(1, sizeof *j)))
		return BO_ENOMEM;
	bo__report_init(&j->report);
	j->id = t->id;
	snprintf(path, sizeof path, "%s/result.json", t->folder);
	if (!(j->x = bo__calloc(s->nparams + 1, sizeof *j->x)) || !(j->folder = bo__strdup(t->folder)) ||
	    !(j->result_path = bo__strdup(path)) ||
	    !(j->params_json = bo__strdup(t->params_json ? t->params_json : "{}")))
		goto done;
	bo__trial_rec_point(s, t, j->x, NULL);
	{
		int k = bo__scenario_find(s, t->scenario ? t->scenario : "default");
		bo__unit_id_of(s, k < 0 ? 0 : (size_t)k, t->repeat, &j->unit);
	}
	if ((rc = bo__run_build_argv(s, j->x, &j->unit, &j->argv)) < 0 ||
	    (rc = bo__grow(&r->jobs, &r->capjobs, r->njobs + 1, sizeof *r->jobs)) < 0)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.argv = j->argv;
	spec.log_dir = j->folder;
	spec.on_line = bo__run_on_line;
	spec.ud = r;
	bo__orphans_cgroup_name(j->folder, cgname, sizeof cgname);
	spec.tag = cgname;
	rc = bo__exec_adopt_slurm(r->ex, &spec, bo__trial_slurm_job(t), &j->job);
	if (rc == BO_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	j->reserved = t->reserved;
	j->cap = bo__budget_capped(&s->budget) ? t->reserved : NAN;
	j->started_at = t->started_at;
	j->t_start = j->t_prev = mono_now();
	r->reserved += j->reserved;
	r->jobs[r->njobs++] = j;
	bo__exec_status(j->job, &st);
	snprintf(how, sizeof how, "taken back by run %lld", (long long)r->run_id);
	bo__runner_slurm_record(r->st, r->run_id, t->id, st.slurm_job, how);
	bo__run_note(r, "trial %lld: its Slurm job %lld outlived the runner that submitted it; following it again",
	     (long long)t->id, (long long)st.slurm_job);
	return 1;
done:
	bo__run_job_free(j);
	return rc;
}

int bo__run_recover_orphans(runner *r)
{
	bo_orphan_ctx c;
	c.adopt = orphan_adopt;
	c.st = r->st;
	c.s = r->s;
	c.ledger_path = r->ledger_path;
	c.record_mode = r->group ? 0640 : 0600;
	c.charge = orphan_charge;
	c.recovered = orphan_recovered;
	c.ud = r;
	return bo__orphans_recover(&c);
}

/* Counts what earlier sessions did and tells the sampler, in trial order. */
/* A resumed study: the pruner reads the learning curves of the finished
 * trials (t, n: every trial, by id) from the ledger, as they were
 * reported, so median, ASHA and Hyperband go on from where they were. */
static int replay_steps(runner *r, const bo_trial_rec *t, size_t nt)
{
	return bo__pruner_replay_steps(r->pr, &r->s->pruner, r->st, t, nt);
}

/* A stored trial rebuilds the rungs (in id order; finished ones with
 * their ranking value). x and m are workspaces. */
static int fidelity_replay(runner *r, const bo_trial_rec *t, double *x, double *m)
{
	bo_fid_next fn;
	int rc;
	bo__trial_rec_point(r->s, t, x, m);
	if ((rc = bo__fidelity_replay(r->fid, t->id, x, &fn)) < 0)
		return rc;
	if (t->state == BO_TRIAL_RUNNING || t->state == BO_TRIAL_QUEUED)
		return 0;
	if (r->bohb && (rc = bo__bohb_observe(r->bohb, t->id, x, m, t->state, t->cost)) < 0)
		return rc;
	if (r->mfgp && (rc = bo__mfgp_observe(r->mfgp, x,
					      bo__fidelity_rank_value(r->s, t->state, t->feasible, t->score,
								      t->metrics, t->nmetrics), t->cost)) < 0)
		return rc;
	return bo__fidelity_finished(r->fid, t->id,
				     bo__fidelity_rank_value(r->s, t->state, t->feasible, t->score,
							     t->metrics, t->nmetrics));
}

int bo__run_load_history(runner *r)
{
	const bo_study *s = r->s;
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t n = 0, i;
	double *x = bo__calloc(s->nparams + 1, sizeof *x);
	double *m = bo__calloc(s->nmetrics + 1, sizeof *m);
	int rc;
	if (!x || !m) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = r->st->ops->trials(r->st, &q, &t, &n)) < 0)
		goto done;
	if ((rc = replay_steps(r, t, n)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		double w = bo__kv_get(t[i].usage, t[i].nusage, "wall_hours");
		bo__trial_rec_point(s, &t[i], x, m);
		if (r->units && (rc = bo__units_replay(r->units, t[i].id, x,
						       t[i].scenario ? t[i].scenario : "default",
						       t[i].repeat)) < 0)
			goto done;
		if (r->promote) {
			if ((rc = bo__run_promote_replay(r, &t[i], x, m)) < 0)
				goto done;
		} else if (!r->w && !bo__confirm_is_trial(&t[i]) &&
			   (t[i].state == BO_TRIAL_COMPLETE || t[i].state == BO_TRIAL_FAILED ||
			    t[i].state == BO_TRIAL_PRUNED)) {
			if ((rc = bo__run_units_tell(r, t[i].id, x, t[i].state, m, t[i].cost)) < 0)
				goto done;
		}
		if (r->fid && (rc = fidelity_replay(r, &t[i], x, m)) < 0)
			goto done;
		if (t[i].state == BO_TRIAL_COMPLETE)
			r->ncomplete++;
		else if (t[i].state == BO_TRIAL_FAILED)
			r->nfailed++;
		else if (t[i].state == BO_TRIAL_PRUNED)
			r->npruned++;
		if (t[i].state != BO_TRIAL_RUNNING && t[i].state != BO_TRIAL_QUEUED &&
		    (rc = bo__run_pruner_finish(r, t[i].id, t[i].state, t[i].metrics, t[i].nmetrics, t[i].cost)) < 0)
			goto done;
		if (isfinite(t[i].cost))
			r->max_cost = fmax(r->max_cost, t[i].cost);
		if (isfinite(w)) {
			r->sum_wall += w * 3600.0;
			r->nfinished++;
		}
		bo__run_update_best(r, t[i].score, t[i].feasible == 1);
	}
	rc = 0;
done:
	bo__trial_rec_free_array(t, n);
	bo__free(x);
	bo__free(m);
	return rc;
}
