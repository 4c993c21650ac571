/*
 * runner/runner_launch.c - launching a trial: the budget checks that need
 * no proposal, the ask (the sampler's on the asker's thread, or the
 * fidelity schedule's), the reservation, the ledger's record, the trial's
 * folder and the executor's start.
 *
 * Part of the run loop: runner.c holds the loop, and runner/runner_int.h
 * lists the sibling files.
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "exec/exec.h"
#include "runner/asker.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "runner/fidelity_run.h"
#include "runner/orphans.h"
#include "runner/reserve.h"
#include "runner/safeguards.h"
#include "runner/slurm_jobs.h"
#include "runner/trial_record.h"
#include "runner/worker.h"
#include "samplers/sampler.h"
#include "storage/storage.h"

/* ---- launching ------------------------------------------------------- */

/* What running trials hold beyond their reservations, by their live cost
 * (bo__reserve_held; only trials without a cap can pass theirs): the money
 * left for a new reservation is what the spend, the reservations (r->reserved,
 * for a worker every worker's) and this leave. */
double bo__run_overrun(const runner *r)
{
	double o = 0.0;
	size_t i;
	for (i = 0; i < r->njobs; i++)
		o += bo__reserve_held(r->jobs[i]->reserved, r->jobs[i]->cost_now) - r->jobs[i]->reserved;
	return o;
}

/* Trials running now: this process's; for a worker, every worker's (as of
 * the last sync). A launch that must wait for money or for the first
 * cost waits for all of them, not only its own. */
static int64_t running_anywhere(const runner *r)
{
	int64_t n = (int64_t)r->njobs;
	if (r->w && r->w->sync.nrunning > n)
		n = r->w->sync.nrunning;
	return n;
}

/* A launch waits (LAUNCH_WAIT). A worker with none of its own trials
 * running has nothing to wake it: it naps as when the budget row refused
 * it, then looks again. */
static int launch_wait(runner *r)
{
	if (r->w && r->njobs == 0)
		r->w->refused = 1;
	return LAUNCH_WAIT;
}

/* The checks that need no proposal: the trial and time budgets. */
int bo__run_launch_decision(runner *r)
{
	const bo_budget *b = &r->s->budget;
	if (r->stop_launch)
		return LAUNCH_STOP;
	if (r->w && bo__run_worker_sync(r) < 0)
		return LAUNCH_STOP;
	if (b->trials > 0 && r->ntrials >= b->trials && !(r->w && r->w->sync.nqueued > 0)) {
		bo__run_stop_launching(r, "budget_stop", "trial budget reached (%lld trials)", (long long)b->trials);
		return LAUNCH_STOP;
	}
	if (isfinite(b->time_s) && elapsed(r) >= b->time_s) {
		bo__run_stop_launching(r, "budget_stop", "time budget reached (%g s)", b->time_s);
		return LAUNCH_STOP;
	}
	if (r->promote) {
		/* scenario_policy: promote: the reserve, and the final rung */
		int d = bo__run_promote_decision(r);
		if (d != LAUNCH_OK)
			return d == LAUNCH_WAIT ? launch_wait(r) : d;
	}
	/* No cap and no cost known: the first trial runs alone (asking
	 * before it could be launched would only hold a proposal). */
	if (is_money_limited(r) && !isfinite(b->trial_money) && bo__run_finished_anywhere(r) == 0 &&
	    running_anywhere(r) > 0)
		return launch_wait(r);
	return LAUNCH_OK;
}

/* The reservation of proposal x (runner/reserve.c): from the cost model's
 * prediction for x; when the money left cannot fit it and nothing runs, a
 * cheaper configuration near it replaces it (x is overwritten). fresh: x
 * is a new configuration, which under scenario_policy: promote must leave
 * the reserve (when it cannot, exploration ends: LAUNCH_WAIT, and x is
 * dropped). Returns LAUNCH_OK with *ro set, LAUNCH_WAIT (x is kept for the
 * next try), LAUNCH_STOP, or an error. */
static int reserve_proposal(runner *r, int64_t number, double *x, bo_reserve_out *ro, int fresh)
{
	const bo_budget *b = &r->s->budget;
	bo_reserve_in in;
	char model[160];
	int v, rc = LAUNCH_OK;

	memset(&in, 0, sizeof in);
	in.budget = b;
	in.left = b->money - r->spent - r->reserved - bo__run_overrun(r);
	if (fresh)
		in.left = fmin(in.left, bo__run_promote_explore_left(r));
	in.slots = (int64_t)r->parallel - (int64_t)r->njobs;
	if (b->trials > 0 && b->trials - r->ntrials < in.slots)
		in.slots = b->trials - r->ntrials;
	in.running = running_anywhere(r);
	in.nfinished = bo__run_finished_anywhere(r);
	in.max_cost = r->max_cost;
	in.predicted = NAN;
	in.model = model;
	in.model_size = sizeof model;
	if ((v = bo__reserve_proposal(r->sm, &in, number, x, r->s->nparams, ro)) < 0)
		return v;
	r->last_predicted = in.predicted;
	rc = LAUNCH_OK;
	if (v == BO_RESERVE_ALONE) {
		rc = launch_wait(r);
	} else if (v == BO_RESERVE_DEAR) {
		if (running_anywhere(r) > 0) {
			if (!r->waiting) {
				r->waiting = 1;
				bo__run_event(r, 0, "wait", ro->need,
				      "next trial (reservation %.6g: %s) waits for running trials: %.6g left after reservations",
				      ro->need, ro->basis, in.left);
			}
			rc = launch_wait(r);
		} else if (fresh && r->promote) {
			bo__run_promote_explore_end(r, "the exploration share of the money budget (%.6g %s) "
						    "has %.6g left and the next configuration needs %.6g",
						    (1.0 - r->s->promote.reserve) * b->money, r->s->prices.currency,
						    in.left, ro->need);
			rc = LAUNCH_WAIT;
		} else {
			bo__run_stop_launching(r, "budget_stop",
				       "money budget reached: %.6g %s left, the next trial needs a reservation of %.6g (%s)",
				       b->money - r->spent, r->s->prices.currency, ro->need, ro->basis);
			rc = LAUNCH_STOP;
		}
	} else {
		r->waiting = 0;
	}
	return rc;
}

/* ---- fidelity hooks (the schedule is runner/fidelity.c) ---------------- */

/* Fills x for trial number as the schedule says: a promotion copies its
 * configuration, a new one is the sampler's; either gets its rung's value.
 * Returns 0 (*wait 1: Hyperband's rung is still running, x untouched),
 * BO_DONE or an error from the sampler. */
static int fidelity_ask(runner *r, int64_t number, double *x, bo_fid_next *fn, int *wait)
{
	const bo_study *s = r->s;
	int rc = 0;
	*wait = 0;
	bo__fidelity_next(r->fid, fn);
	if (fn->kind == BO_FID_WAIT) {
		if (r->njobs == 0)
			return bo__error(BO_ERROR, "fidelity: the schedule waits but no trial runs");
		*wait = 1;
		return 0;
	}
	if (fn->kind == BO_FID_PROMOTE)
		memcpy(x, bo__fidelity_config_x(r->fid, fn->config), s->nparams * sizeof *x);
	else if (r->mfgp) {
		/* the model chose the fidelity too: the trial's rung is its */
		int k = fn->rung;
		if ((rc = bo__mfgp_ask(r->mfgp, number, x, &k)) == 0) {
			fn->rung = k;
			fn->value = bo__fidelity_value(r->fid, k);
		}
	} else if (r->bohb) {
		int k;
		rc = bo__bohb_ask(r->bohb, number, x, &k);
	} else
		rc = bo__sampler_ask(r->sm, number, x);
	if (rc == 0)
		x[s->fidelity.param] = fn->value;
	return rc;
}

/* Trial j was recorded: the schedule learns it, its configuration's
 * checkpoint folder is made, and a promotion is an event naming its parent. */
static int fidelity_launched(runner *r, job_ctx *j, const bo_fid_next *fn)
{
	const bo_study *s = r->s;
	char path[PATH_MAX];
	int rc;
	if ((rc = bo__fidelity_started(r->fid, j->id, fn, j->x)) < 0)
		return rc;
	if ((rc = bo__fidelity_ckpt_dir(r->trials_dir, fn->kind == BO_FID_PROMOTE ? fn->config : j->id,
					r->group ? 0750 : 0700, path, sizeof path)) < 0)
		return rc;
	if (!(j->ckpt_dir = bo__strdup(path)))
		return BO_ENOMEM;
	if (fn->kind == BO_FID_PROMOTE)
		return bo__run_event(r, j->id, "promote", fn->value,
			     "trial %lld promotes configuration %lld from trial %lld to rung %d (%s = %g)",
			     (long long)j->id, (long long)fn->config, (long long)fn->parent, fn->rung,
			     s->params[s->fidelity.param].name, fn->value);
	return 0;
}

/* units: holds the next unit still to launch, if any, as held_x (as a
 * proposal waiting for money is held). */
static int units_hold_next(runner *r)
{
	const bo_study *s = r->s;
	size_t scen;
	int64_t rep;
	double *x = bo__calloc(s->nparams ? s->nparams : 1, sizeof *x);
	if (!x)
		return BO_ENOMEM;
	if (!bo__units_next(r->units, x, &scen, &rep, &r->held_tok)) {
		bo__free(x);
		return 0;
	}
	r->held_x = x;
	r->held_unit = 1;
	r->has_held_fid = 0;
	bo__unit_id_of(s, scen, rep, &r->held_id);
	return 0;
}

/* Asks for trial number r->ntrials (or takes the proposal held since a
 * wait), reserves its cost and launches it. Returns LAUNCH_OK (launched),
 * LAUNCH_WAIT, LAUNCH_STOP, or an error. */
int bo__run_launch_one(runner *r)
{
	const bo_study *s = r->s;
	job_ctx *j = NULL;
	bo_trial_rec rec;
	bo_exec_spec spec;
	bo_reserve_out ro;
	char *pjson = NULL;
	char path[PATH_MAX], cgname[64], tag[64], jobname[96], capmsg[200];
	size_t i;
	int rc;
	double reserve;
	int64_t number = r->ntrials, claimed = 0, asked, utok;
	int conf;                /* a confirmation re-evaluation (runner/confirm.h) */
	int promo;               /* a promotion unit (runner_promote.c) */
	double *ux = NULL;       /* units: the configuration as it must run */
	bo_fid_next fn;

	memset(&rec, 0, sizeof rec);
	j = bo__calloc(1, sizeof *j);
	if (!j)
		return BO_ENOMEM;
	bo__report_init(&j->report);
	memset(&fn, 0, sizeof fn);
	fn.kind = -1;            /* not a fidelity trial */
	/* confirmation: the race's next re-evaluation, never the sampler's */
	if (!r->held_x && bo__confirm_on(r) && (rc = bo__confirm_hold(r)) != LAUNCH_OK)
		goto done;
	/* units: a configuration's remaining units launch before any new one */
	if (!r->held_x && r->units && (rc = units_hold_next(r)) < 0)
		goto done;
	/* scenario_policy: promote: then a promotion; once exploration is
	 * over, nothing new */
	if (r->promote && (rc = bo__run_promote_hold(r)) < 0)
		goto done;
	if (r->promote && !r->held_x && bo__promote_explored(r->promote) && !bo__asker_pending(r->asker)) {
		rc = LAUNCH_WAIT;
		goto done;
	}
	utok = -1;
	bo__unit_id_of(s, r->promote ? bo__promote_base(r->promote) : 0, 0, &j->unit);
	if (r->held_x && r->held_unit) {
		utok = r->held_tok;
		j->unit = r->held_id;
	}
	conf = r->held_x && r->held_conf;
	if (conf)
		j->unit = r->held_id;
	j->confirm = conf;
	promo = r->held_x && r->held_promo;
	r->held_unit = r->held_conf = r->held_promo = 0;
	if (r->held_x) {
		j->x = r->held_x;
		r->held_x = NULL;
		if (r->has_held_fid)
			fn = r->held_fid;
		r->has_held_fid = 0;
	} else {
		j->x = bo__calloc(s->nparams ? s->nparams : 1, sizeof *j->x);
		if (!j->x) {
			rc = BO_ENOMEM;
			goto done;
		}
		if (r->fid && !bo__asker_pending(r->asker)) {
			/* fidelity: a promotion, a new configuration at its rung, or a
			 * wait, decided on this thread (no ask is ever in flight) */
			int wait;
			crash_point(r, "ask");
			rc = fidelity_ask(r, number, j->x, &fn, &wait);
			if (rc == 0 && wait) {
				rc = LAUNCH_WAIT;
				goto done;
			}
		} else {
			if (!bo__asker_pending(r->asker)) {
				crash_point(r, "ask");
				if (r->w && (rc = bo__run_worker_claim(r, j->x, &ro, &claimed)) != 0)
					goto done;
				/* worker: unless a configuration queued again was claimed, ask
				 * with every worker's finished trials told */
				if (r->w && !claimed &&
				    (rc = bo__worker_refresh(r->w, r->st, r->sm, s, &r->max_cost)) < 0)
					goto done;
				if (!claimed && (rc = bo__asker_start(r->asker, number, r->njobs == 0)) < 0)
					goto done;
			}
			/* The ask runs on the asker's thread: a fast one is taken at
			 * once, a slow one on a later pass, the jobs policed meanwhile. */
			rc = 0;
			if (!claimed) {
				bo__asker_wait(r->asker, ASK_POLL_MS);
				if (!bo__asker_take(r->asker, &asked, j->x, &rc)) {
					rc = LAUNCH_WAIT;
					goto done;
				}
				number = asked;   /* a worker's count may have moved since */
			}
		}
		if (rc == BO_DONE && r->promote) {
			bo__run_promote_explore_end(r, "the sampler stopped: %s", bo_error_last());
			rc = LAUNCH_WAIT;
			goto done;
		}
		if (rc == BO_DONE) {
			bo__run_stop_launching(r, "sampler_stop", "%s", bo_error_last());
			rc = LAUNCH_STOP;
			goto done;
		}
		if (rc < 0)
			goto done;
		if (!claimed && (rc = bo__guard_limits(&r->guard, number, j->x)) == BO_DONE) {
			bo__run_stop_launching(r, "limit_stop", "%s", bo_error_last());
			rc = LAUNCH_STOP;
			goto done;
		} else if (rc < 0)
			goto done;
	}
	if (utok >= 0 || conf) {
		/* a unit runs its configuration as it is (the reservation must not
		 * swap in a cheaper one), or not now */
		if (!(ux = bo__calloc(s->nparams ? s->nparams : 1, sizeof *ux))) {
			rc = BO_ENOMEM;
			goto done;
		}
		memcpy(ux, j->x, s->nparams * sizeof *ux);
	}
	if (!claimed && (rc = reserve_proposal(r, number, j->x, &ro, utok < 0 && !conf)) == LAUNCH_OK) {
		if (r->w) {
			/* every worker's charges and running trials, from the
			 * ledger; checked again under the budget row's lock at
			 * the insert (runner_worker.c) */
			int ok = bo__run_worker_rate_ok(r, ro.need);
			if (ok < 0)
				rc = ok;
			else if (!ok)
				rc = launch_wait(r);
		} else if (!bo__guard_rate_ok(&r->guard, ro.need, r->njobs, wall_now())) {
			struct timespec nap = {0, WAIT_SLICE_MS * 1000000L};
			if (r->njobs == 0)
				nanosleep(&nap, NULL);   /* nothing to wait on but the clock */
			rc = LAUNCH_WAIT;
		}
	}
	if (ux && rc == LAUNCH_OK && memcmp(ux, j->x, s->nparams * sizeof *ux) != 0) {
		memcpy(j->x, ux, s->nparams * sizeof *ux);
		if (running_anywhere(r) > 0) {
			rc = launch_wait(r);
		} else {
			bo__run_stop_launching(r, "budget_stop", "money budget reached: %.6g %s left does not fit "
				       "the next unit of trial %lld's configuration",
				       s->budget.money - r->spent, s->prices.currency, (long long)number);
			rc = LAUNCH_STOP;
		}
	}
	if (!claimed && rc != LAUNCH_OK) {
		if (rc == LAUNCH_WAIT && !(r->promote && utok < 0 && bo__promote_explored(r->promote))) {
			r->held_x = j->x;   /* the same proposal, once money frees */
			j->x = NULL;
			r->held_unit = utok >= 0;
			r->held_conf = conf;
			r->held_promo = promo;
			r->held_tok = utok;
			r->held_id = j->unit;
			r->held_fid = fn;
			r->has_held_fid = fn.kind >= 0;
		}
		goto done;
	}
	reserve = ro.reserve;
	pjson = bo__study_params_json(s, j->x);
	if (!pjson) {
		rc = BO_ENOMEM;
		goto done;
	}
	rec.state = BO_TRIAL_RUNNING;
	rec.version = r->version;
	rec.run_id = r->run_id;
	rec.sampler = conf ? (char *)BO_CONFIRM_SAMPLER : (char *)bo__sampler_name(r->sm);
	rec.params_json = pjson;
	if ((rc = bo__run_params_kv(s, j->x, &rec.params, &rec.nparams)) < 0)
		goto done;
	rec.reserved = reserve;
	rec.reserve_basis = ro.basis;
	rec.cap = ro.cap;
	if (isfinite(ro.cap)) {
		/* The "trial_cap" event joins the start's transaction: one
		 * commit fewer per trial (bench/run-overhead). */
		snprintf(capmsg, sizeof capmsg, "trial %lld may be charged at most %.6g %s (%s)",
			 (long long)number + 1, ro.cap, s->prices.currency,
			 ro.cap == s->budget.trial_money ? "per_trial.money" : "its share of the money budget");
		rec.cap_detail = capmsg;
	}
	rec.price_version = s->prices.version;
	rec.scenario = (char *)j->unit.scenario;
	rec.repeat = j->unit.repeat;
	rec.score = NAN;
	rec.feasible = -1;
	rec.created_at = rec.started_at = wall_now();
	rec.exit_code = -1;
	rec.host = r->host;
	rec.cost = NAN;
	/* One runner holds the study (run_begin), so the id the ledger gives
	 * is the next number; the folder is stored with the trial. A worker
	 * learns its id only from the ledger: its folders are its own. */
	if ((r->w ? snprintf(path, sizeof path, "%s/w%lld-%06lld/result.json", r->trials_dir,
			     (long long)r->run_id, (long long)++r->w->seq)
		  : snprintf(path, sizeof path, "%s/%06lld/result.json", r->trials_dir,
			     (long long)number + 1)) >= (int)sizeof path) {
		rc = bo__error(BO_EINVAL, "trial folder path too long: %s", r->trials_dir);
		goto done;
	}
	j->result_path = bo__strdup(path);
	*strrchr(path, '/') = '\0';
	j->folder = bo__strdup(path);
	if (!j->folder || !j->result_path) {
		rc = BO_ENOMEM;
		goto done;
	}
	rec.folder = j->folder;
	if (access(j->folder, F_OK) == 0) {
		/* Never overwrite a trial folder: the ledger lost this trial. */
		rc = bo__error(BO_ECONFLICT, "trial folder %s exists but ledger %s holds no trial %lld; "
				 "run `budgetopt doctor %s`", j->folder, r->ledger_path,
			       (long long)number + 1, s->path);
		goto done;
	}
	if (claimed) {
		rec.id = claimed;
		r->st->ops->trial_launched(r->st, claimed, 0, 0, NULL, j->folder);
	} else if (r->w) {
		if ((rc = bo__run_worker_insert(r, &rec, ro.need)) != 0)
			goto done;
	} else if ((rc = r->st->ops->trial_start(r->st, &rec)) < 0)
		goto done;
	if (!r->w && rec.id != number + 1) {
		rc = bo__error(BO_ECONFLICT, "the ledger gave trial %lld where %lld was expected: is another runner writing it?",
			       (long long)rec.id, (long long)number + 1);
		goto done;
	}
	j->id = rec.id;
	j->reserved = reserve;
	j->started_at = rec.started_at;
	if (r->units && !conf && !promo && (rc = bo__units_launched(r->units, utok, j->x, j->id)) < 0)
		goto done;
	if ((rc = bo__run_promote_launched(r, j)) < 0)
		goto done;
	if (bo__sampler_reason(r->sm))
		bo__run_event(r, j->id, "sampler", NAN, "trial %lld: auto uses %s", (long long)j->id,
		      bo__sampler_reason(r->sm));
	if (!(j->params_json = bo__strdup(pjson))) {
		rc = BO_ENOMEM;
		goto done;
	}
	r->ntrials++;
	r->reserved += reserve;
	j->cap = ro.cap;
	j->predicted = claimed ? NAN : r->last_predicted;
	if ((rc = bo__guard_launched(&r->guard, j->id, j->x, ro.need)) < 0)
		goto done;
	if (fn.kind >= 0 && (rc = fidelity_launched(r, j, &fn)) < 0)
		goto done;
	crash_point(r, "reserved");

	if (mkdir(j->folder, r->group ? 0750 : 0700) < 0) {
		int e = errno;
		if (e == ENOENT && (rc = bo__run_mkdir_p(j->folder, r->group ? 0750 : 0700)) < 0)
			goto done;
		if (e == EEXIST) {
			/* Another process made it since the check above: never write into it. */
			rc = bo__error(BO_ECONFLICT, "trial folder %s appeared while launching trial %lld; "
					 "is another runner writing the study?", j->folder, (long long)j->id);
			goto done;
		}
		if (e != ENOENT) {
			rc = bo__error(BO_EIO, "cannot create trial folder %s: %s", j->folder, strerror(e));
			goto done;
		}
	}
	rec.id = j->id;
	if ((rc = bo__trial_record_write(j->folder, &rec, r->group ? 0640 : 0600,
					  r->record_sync)) < 0)
		goto done;
	if ((rc = bo__run_build_argv(s, j->x, &j->unit, &j->argv)) < 0 ||
	    (rc = bo__run_build_env(r, j, pjson, &j->envp)) < 0)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.argv = j->argv;
	spec.envp = j->envp;
	spec.workdir = s->evaluator.workdir ? s->evaluator.workdir : s->dir;
	spec.log_dir = j->folder;
	spec.log_dir_new = 1;   /* made above; never an existing folder */
	spec.on_line = bo__run_on_line;
	spec.ud = r;
	for (i = 0; j->envp[i]; i++)
		if (!strncmp(j->envp[i], "BUDGETOPT_TRIAL_DIR=", 20))
			spec.marker = j->envp[i];
	bo__orphans_cgroup_name(j->folder, cgname, sizeof cgname);
	spec.cgroup_name = cgname;
	/* Slurm: the comment finds the job again (runner/slurm_jobs.c). */
	snprintf(tag, sizeof tag, "%s", cgname);
	snprintf(jobname, sizeof jobname, "%s.%lld", s->name, (long long)j->id);
	spec.tag = tag;
	spec.job_name = jobname;
	j->t_start = j->t_prev = mono_now();
	if (bo__grow(&r->jobs, &r->capjobs, r->njobs + 1, sizeof *r->jobs) < 0) {
		rc = BO_ENOMEM;
		goto done;
	}
	if ((rc = bo__exec_start(r->ex, &spec, &j->job)) < 0)
		goto done;
	r->jobs[r->njobs++] = j;
	crash_point(r, "submitted");
	{
		/* Where its processes are, for a runner that finds it orphaned. */
		bo_job_status st;
		bo__exec_ident(j->job, &st);
		if (st.pid > 0)
			r->st->ops->trial_launched(r->st, j->id, st.pid, (int64_t)st.start_time, st.cgroup, NULL);
		if (st.slurm_job > 0)
			bo__runner_slurm_record(r->st, r->run_id, j->id, st.slurm_job, "submitted");
	}
	j = NULL;
	crash_point(r, "launched");
	r->sum.launched++;
	rc = LAUNCH_OK;
done:
	if (j && j->id && rc < 0) {
		/* Reserved but never started: record it as failed, charged nothing. */
		bo_trial_rec f;
		memset(&f, 0, sizeof f);
		f.id = j->id;
		f.state = BO_TRIAL_FAILED;
		f.cost = 0.0;
		f.score = NAN;
		f.feasible = -1;
		f.ended_at = wall_now();
		f.exit_code = -1;
		f.price_version = s->prices.version;
		f.reason = (char *)bo_error_last();
		r->st->ops->trial_finish(r->st, &f);
		r->reserved -= j->reserved;
		r->nfailed++;
	}
	bo__run_job_free(j);
	bo__free(ux);
	bo__free(rec.params);
	bo__free(pjson);
	/* a worker refused by the budget row (BO_DONE): LAUNCH_WAIT */
	return rc == BO_DONE ? LAUNCH_WAIT : rc;
}
