/*
 * runner/runner.c - the run loop: ask -> reserve -> launch -> collect ->
 * price -> tell, with the budgets enforced at each step.
 *
 * One loop thread waits on every running evaluator through the executor,
 * checks budgets and caps on each pass (the sampler's slow asks run on the
 * asker's thread meanwhile, runner/asker.h; the loop touches the sampler
 * only while no ask is in flight), and writes every state
 * change to the ledger as one transaction, so a kill -9 at any instant loses
 * nothing that was committed; the next run finds the trials left "running"
 * (orphans), stops their processes if they still live, charges the usage
 * measured until then, and goes on.
 *
 * Budget rules (DESIGN.md section 4):
 * - a trial launches only if spend + reservations of running trials + its
 *   own reservation fit in the money budget; its reservation comes from
 *   runner/reserve.c: the cost model's prediction for the proposed
 *   configuration (a cheaper one near it when that does not fit and
 *   nothing runs), the per-trial money cap, or early on the costliest
 *   trial so far times BO_RESERVE_MARGIN, else (no history) everything
 *   that is left: the first trial of a study without a cap runs alone;
 * - with a money budget and no per-trial cap (unless per_trial: {money:
 *   none}), each trial's cap is derived at launch (bo__budget_derived_cap)
 *   and becomes its reservation, recorded as a "trial_cap" event;
 * - a running trial is stopped when its measured cost would pass its cap
 *   before the next check, and is charged at most the cap (a charge
 *   clamped so is recorded as a "cap_clamped" event with the unclamped
 *   amount), so with a cap the spend never passes the budget;
 * - without a cap, running trials are stopped when spend plus their
 *   current cost reaches the money budget;
 * - every decision (reserve, charge, wait, stop, cap, orphan) is an event,
 *   and so is each switch of sampler "auto" (a "sampler" event with why).
 *
 * Must never print or exit: progress goes to the caller's callback.
 *
 * This file holds the loop itself (run_main), progress and events, the
 * policing of running jobs, and setup. Its siblings, sharing
 * runner/runner_int.h: runner_job.c (a trial's command, environment and
 * folder), runner_launch.c (ask, reserve, launch), runner_worker.c (a
 * worker's shared budget), runner_finish.c (charge, record, tell) and
 * runner_recover.c (orphans and a resumed study's history).
 */
#include "runner/runner_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "exec/exec.h"
#include "exec/slurm.h"
#include "runner/asker.h"
#include "runner/doctor.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "runner/livecost.h"
#include "runner/pruner.h"
#include "runner/safeguards.h"
#include "runner/worker.h"
#include "samplers/sampler.h"
#include "storage/ledger_check.h"
#include "storage/postgres.h"
#include "storage/storage.h"

void bo__run_fill_progress(runner *r, bo_run_progress *p, int kind)
{
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->ntrials = r->ntrials;
	p->complete = r->ncomplete;
	p->failed = r->nfailed;
	p->running = (int64_t)r->njobs;
	p->spent = r->spent;
	p->reserved = r->reserved + bo__run_overrun(r);   /* what running trials hold */
	p->pruned = r->npruned;
	for (size_t k = 0; k < r->njobs; k++)
		p->running_cost += r->jobs[k]->cost_now;
	p->budget_money = r->s->budget.money;
	p->budget_trials = r->s->budget.trials;
	p->best_score = r->best_score;
	p->elapsed_s = elapsed(r);
	p->currency = r->s->prices.currency;
	p->trial_score = NAN;
	p->eta_s = NAN;
	if (r->nfinished > 0) {
		/* Time left = what the tightest budget still allows at the pace so far. */
		double per = r->sum_wall / (double)r->nfinished / (double)r->parallel;
		double eta = INFINITY;
		if (r->s->budget.trials)
			eta = fmin(eta, (double)(r->s->budget.trials - r->ntrials + (int64_t)r->njobs) * per);
		if (is_money_limited(r) && r->spent > 0 && r->ntrials > (int64_t)r->njobs) {
			double per_money = r->spent / (double)(r->ntrials - (int64_t)r->njobs);
			eta = fmin(eta, (r->s->budget.money - r->spent) / per_money * per);
		}
		if (isfinite(r->s->budget.time_s))
			eta = fmin(eta, r->s->budget.time_s - p->elapsed_s);
		p->eta_s = eta < 0 ? 0 : eta;
		if (r->stop_launch)
			p->eta_s = NAN;
	}
}

void bo__run_note(runner *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	bo_run_progress p;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!r->opt->progress)
		return;
	bo__run_fill_progress(r, &p, BO_PROGRESS_NOTE);
	p.message = msg;
	r->opt->progress(r->opt->progress_ud, &p);
}

int bo__run_event(runner *r, int64_t trial, const char *kind, double amount, const char *fmt, ...)
	BO__PRINTF(5, 6);

int bo__run_event(runner *r, int64_t trial, const char *kind, double amount, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return r->st->ops->event(r->st, r->run_id, trial, kind, amount, detail, wall_now());
}

void bo__run_stop_launching(runner *r, const char *kind, const char *fmt, ...) BO__PRINTF(3, 4);

void bo__run_stop_launching(runner *r, const char *kind, const char *fmt, ...)
{
	va_list ap;
	if (r->stop_launch)
		return;
	va_start(ap, fmt);
	vsnprintf(r->stop_reason, sizeof r->stop_reason, fmt, ap);
	va_end(ap);
	r->stop_launch = 1;
	bo__run_event(r, 0, kind, NAN, "%s", r->stop_reason);
	bo__run_note(r, "%s", r->stop_reason);
}

static void worker_note(void *ud, const char *msg)
{
	bo__run_note(ud, "%s", msg);
}

/* Safeguards report through these (runner/safeguards.h). */
static void guard_event(void *ud, int64_t trial, const char *kind, double amount, const char *detail)
{
	bo__run_event(ud, trial, kind, amount, "%s", detail);
}

static void guard_note(void *ud, const char *msg)
{
	bo__run_note(ud, "%s", msg);
}

/* ---- prices and usage ------------------------------------------------ */

static double unit_price(const runner *r, const char *res)
{
	double p;
	if (bo__pricebook_unit_price(&r->s->prices, res, &p) < 0)
		return 0.0;
	return p;
}

static double measured_cost(const runner *r, double wall_s, double cpu_s, double maxrss_kb)
{
	double wh = wall_s / 3600.0;
	return wh * r->price_wall + cpu_s / 3600.0 * r->price_cpu +
	       maxrss_kb / 1048576.0 * wh * r->price_mem;
}

/* ---- jobs ------------------------------------------------------------ */

static job_ctx *find_job(runner *r, bo_job *job)
{
	size_t i;
	for (i = 0; i < r->njobs; i++)
		if (r->jobs[i]->job == job)
			return r->jobs[i];
	return NULL;
}

void bo__run_remove_job(runner *r, job_ctx *j)
{
	size_t i;
	for (i = 0; i < r->njobs; i++) {
		if (r->jobs[i] == j) {
			r->jobs[i] = r->jobs[--r->njobs];
			return;
		}
	}
}

static void kill_job(runner *r, job_ctx *j, const char *kind, const char *fmt, ...) BO__PRINTF(4, 5);

/* The live cost of a running job: what was measured at the last check
 * plus the price of the usage it reported so far (runner/livecost.h). */
static double live_cost(runner *r, job_ctx *j, double measured)
{
	return measured + bo__report_live_cost(&r->s->prices, &j->report);
}

/* Asks the pruner about an intermediate report; a trial it gives up on is
 * stopped through the executor (SIGTERM, then SIGKILL) and recorded pruned
 * when it ends. Trials without step reports never get here. */
static void prune_check(runner *r, job_ctx *j, const bo_report_step *step)
{
	const bo_pruner_spec *ps = &r->s->pruner;
	bo_prune_decision d;
	double v[64];
	size_t i;
	bo_job_status st;
	if (!r->pr || ps->kind == BO_PRUNER_NONE || j->kill_reason || ps->nmetrics > 64)
		return;
	for (i = 0; i < ps->nmetrics; i++)
		v[i] = bo__kv_get(step->metrics, step->n, ps->metrics[i]);
	bo__exec_status(j->job, &st);
	j->cost_now = live_cost(r, j, measured_cost(r, st.wall_s, st.cpu_s, st.maxrss_kb));
	if (bo__pruner_report(r->pr, j->id, step->step, v, j->cost_now, &d) < 0 || !d.prune)
		return;
	j->pruned = 1;
	kill_job(r, j, "prune", "pruned at step %lld by the %s rule: %s", (long long)d.step, d.rule,
		 d.detail);
}

void bo__run_on_line(void *ud, bo_job *job, const char *line, size_t len, int too_long)
{
	runner *r = ud;
	job_ctx *j = find_job(r, job);
	bo_report_step step;
	int rc;
	if (!j)
		return;
	rc = bo__report_line(&j->report, line, len, too_long, &step);
	if (rc == 1) {
		r->st->ops->trial_step(r->st, j->id, step.step, step.metrics, step.n);
		prune_check(r, j, &step);
	} else if (rc < 0) {
		j->failed_io = 1;
	}
}

/* Starts stopping a job: SIGTERM now, SIGKILL after the grace period. */
static void kill_job(runner *r, job_ctx *j, const char *kind, const char *fmt, ...)
{
	char why[300];
	va_list ap;
	if (j->kill_reason)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	j->kill_reason = bo__strdup(why);
	j->kill_at = mono_now();
	bo__exec_signal(r->ex, j->job, SIGTERM);
	bo__run_event(r, j->id, kind, j->cost_now, "trial %lld stopped: %s", (long long)j->id, why);
}

/* Checks running jobs against timeouts, caps and the study's budgets. */
static void police_jobs(runner *r)
{
	const bo_budget *b = &r->s->budget;
	double now = mono_now();
	double running_cost = 0.0;
	size_t i;
	int hard = r->opt->interrupts && *r->opt->interrupts >= 2;
	/* Once per slice is enough, and reading /proc on every pass of the
	 * loop is a measurable part of a short trial's cost. */
	if (!hard && now - r->last_police < WAIT_SLICE_MS / 1000.0)
		return;
	r->last_police = now;
	for (i = 0; i < r->njobs; i++) {
		job_ctx *j = r->jobs[i];
		bo_job_status st;
		double wall;
		if (j->exited)
			continue;   /* reaped: its finish waits for the ask */
		bo__exec_status(j->job, &st);
		/* The executor's clock: a Slurm job's time runs from its start, not
		 * from its submission (time in the queue costs nothing). */
		wall = st.slurm_job > 0 ? st.wall_s : now - j->t_start;
		j->cost_prev = j->cost_now;
		j->meas_prev = j->meas_now;
		j->meas_now = measured_cost(r, st.wall_s, st.cpu_s, st.maxrss_kb);
		j->cost_now = live_cost(r, j, j->meas_now);
		running_cost += j->cost_now;
		if (j->kill_reason) {
			if (!j->killed_hard && now - j->kill_at >= KILL_GRACE_S) {
				bo__exec_signal(r->ex, j->job, SIGKILL);
				j->killed_hard = 1;
			}
			j->t_prev = now;
			continue;
		}
		if (hard) {
			kill_job(r, j, "interrupt", "interrupted");
		} else if (isfinite(r->timeout_s) && wall >= r->timeout_s) {
			kill_job(r, j, "timeout", "timed out after %g s", r->timeout_s);
		} else if (bo__anomaly_exceeds(r->s->guard.anomaly_k, j->predicted, j->cost_now)) {
			/* cost_now: measured plus the usage its steps reported */
			kill_job(r, j, "anomaly", "anomaly: its cost so far passed %g times its predicted cost %.6g %s",
				 r->s->guard.anomaly_k, j->predicted, r->s->prices.currency);
		} else if (isfinite(j->cap)) {
			/* Stop before the next check could pass the cap. */
			double dt = now - j->t_prev;
			/* The rate of what is measured: reported usage comes in
			 * steps, and a step is not a pace. */
			double rate = dt > 0 ? (j->meas_now - j->meas_prev) / dt : 0;
			double next = j->cost_now + 2.0 * rate * (WAIT_SLICE_MS / 1000.0);
			if (next >= j->cap && j->cap == b->trial_money)
				kill_job(r, j, "cap", "reached the per-trial money cap (%.6g %s)",
					 j->cap, r->s->prices.currency);
			else if (next >= j->cap)
				kill_job(r, j, "cap", "reached its money cap (%.6g %s, its share of the money budget)",
					 j->cap, r->s->prices.currency);
		}
		j->t_prev = now;
	}
	if (isfinite(b->time_s) && elapsed(r) >= b->time_s) {
		for (i = 0; i < r->njobs; i++)
			if (!r->jobs[i]->exited)
				kill_job(r, r->jobs[i], "time_stop", "the study's time budget (%g s) ran out", b->time_s);
	}
	if (is_money_limited(r) && !bo__budget_capped(b) && r->njobs &&
	    r->spent + running_cost >= b->money) {
		for (i = 0; i < r->njobs; i++)
			if (!r->jobs[i]->exited)
				kill_job(r, r->jobs[i], "budget_stop", "the study's money budget ran out");
	}
}

/* ---- setup ----------------------------------------------------------- */

/* Scenarios and repeats (runner/units.h): the unit bookkeeping and the
 * study's view under each scenario. */
static int units_setup(runner *r)
{
	const bo_study *s = r->s;
	int64_t rep = r->opt->repeats > 0 ? r->opt->repeats : s->repeats;
	size_t k;
	int rc;
	if ((rc = bo__units_new(&r->units, s, rep)) < 0)
		return rc;
	if ((rc = bo__run_promote_setup(r)) < 0)
		return rc;
	if (bo__units_per_config(r->units) > 1 && (r->w || r->fid))
		return bo__error(BO_EINVAL, "scenarios and repeats are run by one runner without "
				 "fidelity: for now (%s)", r->w ? "this is a worker" : "the study has fidelity:");
	if (!s->nscenarios)
		return 0;
	if (!(r->views = bo__calloc(s->nscenarios, sizeof *r->views)))
		return BO_ENOMEM;
	for (k = 0; k < s->nscenarios; k++)
		if ((rc = bo__scenario_view(s, k, &r->views[k])) < 0)
			return rc;
	return 0;
}

static void units_clear(runner *r)
{
	size_t k;
	for (k = 0; r->views && k < r->s->nscenarios; k++)
		bo__scenario_view_free(r->views[k]);
	bo__free(r->views);
	bo__units_free(r->units);
	bo__run_promote_clear(r);
}

static int ledger_path(const bo_study *s, const char *override, char *buf, size_t size)
{
	const char *uri = override ? override : s->storage;
	char tmp[PATH_MAX];
	const char *p;
	int n;
	if (!uri) {
		n = snprintf(buf, size, "%s/%s.db", s->dir, s->name);
		return n < 0 || (size_t)n >= size ? bo__error(BO_EINVAL, "ledger path too long") : 0;
	}
	/* A PostgreSQL ledger is named by its URI, handed to libpq as is. */
	if (bo__storage_is_postgres(uri)) {
		n = snprintf(buf, size, "%s", uri);
		return n < 0 || (size_t)n >= size ? bo__error(BO_EINVAL, "storage URI too long") : 0;
	}
	p = uri;
	if (!strncmp(p, "sqlite://", 9))
		p += 9;
	else if (!strncmp(p, "sqlite:", 7))
		p += 7;
	else if (strstr(p, "://"))
		return bo__error(BO_EINVAL, "unknown storage \"%s\" (expected sqlite:PATH or "
				 "postgresql://[user@]host[:port]/database)", uri);
	if (p[0] == '/') {
		n = snprintf(buf, size, "%s", p);
	} else if (override) {
		if (!getcwd(tmp, sizeof tmp))
			return bo__error(BO_EIO, "cannot read the current folder: %s", strerror(errno));
		n = snprintf(buf, size, "%s/%s", tmp, p);
	} else {
		n = snprintf(buf, size, "%s/%s", s->dir, p);
	}
	return n < 0 || (size_t)n >= size ? bo__error(BO_EINVAL, "ledger path too long") : 0;
}

int bo_run_storage_uri(const bo_study *s, const char *override, char *buf, size_t size)
{
	return ledger_path(s, override, buf, size);
}

static int run_main(const bo_study *s, const bo_run_options *opt, const bo_worker_options *wo,
		    bo_run_summary *summary);

/* A job the executor reaped: finished now (charged, told), or, while an
 * ask is in flight and the sampler is the asker's, queued until it
 * returns; the tell then follows the ask, as in a synchronous loop. */
static int job_ended(runner *r, job_ctx *j)
{
	int rc;
	if (bo__asker_busy(r->asker)) {
		if (bo__grow(&r->exited, &r->capexited, r->nexited + 1, sizeof *r->exited) < 0)
			return BO_ENOMEM;
		j->exited = 1;
		r->exited[r->nexited++] = j;
		return 0;
	}
	rc = bo__run_finish_job(r, j);
	bo__run_remove_job(r, j);
	bo__exec_release(r->ex, j->job);
	bo__run_job_free(j);
	return rc;
}

/* Finishes the jobs queued by job_ended once the asker is idle. */
static int flush_exited(runner *r)
{
	size_t i, n = r->nexited;
	int rc = 0;
	if (!n || bo__asker_busy(r->asker))
		return 0;
	r->nexited = 0;
	for (i = 0; i < n; i++) {
		int v = job_ended(r, r->exited[i]);
		if (v < 0 && rc == 0)
			rc = v;
	}
	return rc;
}

int bo_run(const bo_study *s, const bo_run_options *opt, bo_run_summary *summary)
{
	return run_main(s, opt, NULL, summary);
}

int bo_run_worker(const bo_study *s, const bo_run_options *opt, const bo_worker_options *w,
		  bo_run_summary *summary)
{
	static const bo_worker_options defaults = BO_WORKER_OPTIONS_INIT;
	return run_main(s, opt, w ? w : &defaults, summary);
}

static int run_main(const bo_study *s, const bo_run_options *opt, const bo_worker_options *wo,
		    bo_run_summary *summary)
{
	runner R, *r = &R;
	bo_worker W;
	bo_run_options defaults = BO_RUN_OPTIONS_INIT;
	bo_ledger_totals tot;
	char pg_local[PATH_MAX];
	int rc = 0, began = 0;
	size_t i;

	memset(r, 0, sizeof *r);
	r->lock_fd = -1;
	if (bo__study_needs_catalog(s)) {
		rc = bo__error(BO_EINVAL, "%s: parameter \"%s\" takes its labels from a catalog (choice: from_catalog), so the study can only be used with one (budgetopt frontier|select --catalog); list the labels to run it",
			       s->path, bo__study_needs_catalog(s));
		if (summary) {
			memset(summary, 0, sizeof *summary);
			snprintf(summary->stop_reason, sizeof summary->stop_reason, "%s", bo_error_last());
		}
		return rc;
	}
	if (s->evaluator.argc == 0) {
		rc = bo__error(BO_EINVAL, "%s: the study has no evaluator (evaluator: command), so it can "
				 "only be used with a catalog (budgetopt frontier|select --catalog)",
			       s->path);
		if (summary) {
			memset(summary, 0, sizeof *summary);
			snprintf(summary->stop_reason, sizeof summary->stop_reason, "%s", bo_error_last());
		}
		return rc;
	}
	r->s = s;
	r->opt = opt ? opt : &defaults;
	/* budget: confirm: r->s becomes a view whose money is exploration's */
	if ((rc = bo__confirm_new(r)) < 0)
		goto done;
	r->best_score = NAN;
	r->t0 = mono_now();
	r->seed = r->opt->has_seed ? r->opt->seed : s->seed;
	r->parallel = r->opt->parallel > 0 ? r->opt->parallel : s->evaluator.parallel;
	if (r->parallel < 1)
		r->parallel = 1;
	r->timeout_s = s->evaluator.timeout_s;
	if (isfinite(s->budget.trial_time_s) && !(r->timeout_s <= s->budget.trial_time_s))
		r->timeout_s = s->budget.trial_time_s;
	r->group = s->storage_group;
	r->price_wall = unit_price(r, "wall_hours");
	r->price_cpu = unit_price(r, "cpu_hours");
	r->price_mem = unit_price(r, "mem_gb_hours");
	if (gethostname(r->host, sizeof r->host - 1) < 0)
		strcpy(r->host, "localhost");
	if (r->opt->crash_at) {
		const char *colon = strchr(r->opt->crash_at, ':');
		r->crash_point = colon ? bo__strndup(r->opt->crash_at, (size_t)(colon - r->opt->crash_at))
				       : bo__strdup(r->opt->crash_at);
		r->crash_count = colon ? atol(colon + 1) : 1;
	}

	if ((rc = ledger_path(s, r->opt->storage, r->ledger_path, sizeof r->ledger_path)) < 0)
		goto done;
	/* A PostgreSQL ledger's trial folders stay on this host, beside the
	 * study file as a SQLite ledger's would be. */
	snprintf(pg_local, sizeof pg_local, "%s/%s.db", s->dir, s->name);
	/* Beside the ledger, named after it (x.db: x-trials), so a second
	 * ledger of the same study never shares the first one's folders. */
	if ((rc = bo__trials_dir(bo__storage_is_postgres(r->ledger_path) ? pg_local : r->ledger_path,
				 r->opt->trials_dir, r->trials_dir, sizeof r->trials_dir)) < 0)
		goto done;
	{
		/* Refuses a ledger that disagrees with its journal or trial
		 * folders (storage/ledger_check.h) before anything is written. */
		bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
		lo.writer = 1;
		lo.group = r->group;
		lo.trials_dir = r->trials_dir;
		lo.study_path = s->path;
		lo.currency = s->prices.currency;
		/* Held until the run ends: doctor --repair waits for no runner. */
		if (!strstr(r->ledger_path, "://") &&
		    (rc = bo__ledger_lock(r->ledger_path, 0, r->group ? 0640 : 0600, &r->lock_fd)) < 0)
			goto done;
		if (wo && !bo__storage_is_postgres(r->ledger_path)) {
			rc = bo__error(BO_EINVAL, "a worker shares its study through a PostgreSQL ledger: "
					 "give --storage postgresql://[user@]host[:port]/database "
					 "(or storage: in the study), not %s", r->ledger_path);
			goto done;
		}
		if ((rc = bo__storage_open_ex(&r->st, r->ledger_path, &lo)) < 0)
			goto done;
		if (wo) {
			bo__worker_init(&W, wo, r->opt->interrupts, worker_note, r, mono_now());
			r->w = &W;
		}
	}
	r->record_sync = !bo__storage_is_pg_handle(r->st);
	if ((rc = r->st->ops->register_study(r->st, s->name, s->text, s->hash, s->space_hash,
					     &r->version)) < 0)
		goto done;
	crash_point(r, "registered");
	if (wo) {
		/* worker: one of several sessions on the study; its own seed, so
		 * that two workers never propose the same sequence */
		if ((rc = bo__pg_worker_begin(r->st, r->version, (int64_t)getpid(), r->host, r->seed,
					      s->sampler, wall_now(), &r->run_id)) < 0)
			goto done;
		r->seed += (uint64_t)r->run_id * 0x9E3779B97F4A7C15ull;
	} else if ((rc = r->st->ops->run_begin(r->st, r->version, (int64_t)getpid(), r->host, r->seed,
					       s->sampler, wall_now(), &r->run_id)) < 0)
		goto done;
	began = 1;
	if (s->evaluator.executor == BO_EXECUTOR_SLURM) {
		if ((rc = bo__exec_new_slurm(&r->ex, &s->evaluator.slurm, r->timeout_s)) < 0)
			goto done;
	} else if ((rc = bo__exec_new(&r->ex)) < 0) {
		goto done;
	} else {
		/* How trials are contained: a cgroup each where possible
		 * (BUDGETOPT_CONTAIN=cgroup|tree|group picks one). */
		const char *want = getenv("BUDGETOPT_CONTAIN");
		int mode = want && *want ? bo__exec_contain_parse(want) : BO_CONTAIN_AUTO;
		if (mode < 0) {
			rc = bo__error(BO_EINVAL, "BUDGETOPT_CONTAIN=%s: expected auto, cgroup, tree or group",
				       want);
			goto done;
		}
		if ((rc = bo__exec_contain(r->ex, mode)) < 0)
			goto done;
	}
	if ((rc = bo__pruner_new(&r->pr, &s->pruner)) < 0)
		goto done;
	if (s->fidelity.param >= 0) {
		if (r->w) {
			rc = bo__error(BO_EINVAL, "fidelity: rungs are kept by one runner; run the study "
					 "without workers (or without fidelity:)");
			goto done;
		}
		if ((rc = bo__fidelity_new(&r->fid, &s->fidelity, s->params[s->fidelity.param].type,
					   s->nparams)) < 0)
			goto done;
		if (s->fidelity.schedule == BO_FIDELITY_GP) {
			double v[BO_FIDELITY_MAX_RUNGS];
			int k, nr = bo__fidelity_nrungs(r->fid);
			for (k = 0; k < nr && k < BO_FIDELITY_MAX_RUNGS; k++)
				v[k] = bo__fidelity_value(r->fid, k);
			if ((rc = bo__mfgp_new(&r->mfgp, s, s->fidelity.param, v, k, r->seed)) < 0)
				goto done;
		} else if ((!strcmp(s->sampler, "tpe") || !strcmp(s->sampler, "auto")) &&
			   (rc = bo__bohb_new(&r->bohb, s, r->fid, r->seed)) < 0)
			goto done;
	}
	if ((rc = bo__sampler_new(&r->sm, s, s->sampler, r->seed)) < 0 ||
	    (rc = bo__asker_new(&r->asker, r->sm, s->nparams)) < 0)
		goto done;
	if ((rc = units_setup(r)) < 0)
		goto done;
	bo__run_event(r, 0, "run_start", NAN, "run %lld: seed %llu, sampler %s, parallel %d, %s %s",
	      (long long)r->run_id, (unsigned long long)r->seed, bo__sampler_name(r->sm), r->parallel,
	      s->evaluator.executor == BO_EXECUTOR_SLURM ? "executor" : "containment",
	      s->evaluator.executor == BO_EXECUTOR_SLURM
		      ? "slurm"
		      : bo__exec_contain_name(bo__exec_contain_mode(r->ex)));
	/* A worker's dead peers are found by their heartbeats (bo__run_worker_reap);
	 * the local recovery assumes one runner holds the study. */
	if (!r->w && (rc = bo__run_recover_orphans(r)) < 0)
		goto done;
	crash_point(r, "recovered");
	if ((rc = r->st->ops->totals(r->st, &tot)) < 0)
		goto done;
	r->spent = tot.spent;
	r->ntrials = tot.ntrials;
	r->elapsed_before = tot.elapsed_s - (mono_now() - r->t0);
	if (r->elapsed_before < 0)
		r->elapsed_before = 0;
	if ((rc = bo__run_load_history(r)) < 0 || (rc = bo__confirm_resume(r)) < 0 ||
	    (rc = bo__run_promote_settle(r)) < 0)
		goto done;
	{
		/* workers: each alert once per study, whichever worker's
		 * event the ledger takes first (runner_worker.c) */
		bo_guard_cb cb = {r, guard_event, guard_note, r->w ? bo__run_worker_alert : NULL};
		char hook_log[PATH_MAX + 32];
		snprintf(hook_log, sizeof hook_log, "%s/alert-hooks.log", r->trials_dir);
		if ((rc = bo__guard_init(&r->guard, s, &cb, hook_log)) < 0 ||
		    (rc = bo__guard_start(&r->guard, r->st, r->spent, mono_now(), wall_now())) < 0)
			goto done;
	}
	if (r->w && (rc = bo__worker_refresh(r->w, r->st, r->sm, s, &r->max_cost)) < 0)
		goto done;
	r->last_tick = r->last_heartbeat = mono_now();

	for (;;) {
		bo_job *done_job = NULL;
		double now;
		int d;
		if (r->opt->interrupts && *r->opt->interrupts >= 1 && !r->interrupt_seen) {
			r->interrupt_seen = 1;
			r->stop_launch = 0;   /* the interrupt is the reason now */
			bo__run_stop_launching(r, "interrupt",
				       "interrupted: no new trials; %zu running will finish (interrupt again to stop them)",
				       r->njobs);
		}
		police_jobs(r);
		if ((rc = flush_exited(r)) < 0)
			goto done;
		/* rollback: every: the incumbent's re-evaluation is the next
		 * launch (not while a proposal for that number is pending) */
		if (!r->held_x && !r->w && !bo__confirm_on(r) && !bo__asker_pending(r->asker) &&
		    (rc = bo__guard_reeval_due(&r->guard, r->ntrials, &r->held_x)) < 0)
			goto done;
		while (r->njobs < (size_t)r->parallel && (d = bo__run_launch_decision(r)) == LAUNCH_OK) {
			if ((rc = bo__run_launch_one(r)) < 0)
				goto done;
			if (rc != LAUNCH_OK || r->stop_launch || (r->w && r->w->refused))
				break;
		}
		rc = 0;
		if (r->w && r->w->refused && r->njobs == 0 && !r->stop_launch) {
			/* worker: others' reservations may come back (their
			 * finish wakes it: runner/worker.h) */
			bo__worker_idle(r->w, r->st, WAIT_SLICE_MS);
		}
		if (r->w)
			r->w->refused = 0;
		if (r->njobs == 0 && r->stop_launch && r->w && !r->interrupt_seen &&
		    bo__run_worker_sync(r) == 0 && (r->w->sync.nrunning > 0 || r->w->sync.nqueued > 0)) {
			/* worker: others' trials still run; stay to fail them if
			 * their worker dies, and to run a configuration queued
			 * again. Looks again after one slice (one cheap read), not
			 * four: a study of short trials ends when its last worker
			 * sees that nothing runs (bench/scale) */
			bo__worker_idle(r->w, r->st, WAIT_SLICE_MS);
			if (r->w->sync.nqueued > 0)
				r->stop_launch = 0;
		} else if (r->njobs == 0 && r->stop_launch) {
			/* exploration ended: the confirmation phase, if due */
			if ((rc = bo__confirm_switch(r)) < 0)
				goto done;
			if (rc == 0)
				break;
			rc = 0;
		}
		if (bo__asker_busy(r->asker) && bo__exec_running(r->ex) == 0) {
			/* nothing to police: wait on the ask itself */
			bo__asker_wait(r->asker, WAIT_SLICE_MS);
		} else if ((rc = bo__exec_wait(r->ex, bo__asker_busy(r->asker) ? ASK_POLL_MS : WAIT_SLICE_MS,
					       &done_job)) < 0)
			goto done;
		if (done_job) {
			job_ctx *j = find_job(r, done_job);
			if (j) {
				if ((rc = job_ended(r, j)) < 0)
					goto done;
			} else {
				bo__exec_release(r->ex, done_job);
			}
		}
		now = mono_now();
		if (now - r->last_heartbeat >= HEARTBEAT_S) {
			r->last_heartbeat = now;
			r->st->ops->run_heartbeat(r->st, r->run_id, wall_now());
			for (i = 0; i < r->njobs; i++)
				if (!r->jobs[i]->exited) {
					bo__run_heartbeat_usage(r, r->jobs[i]);
					if (r->w)
						bo__run_worker_hold(r, r->jobs[i]);
				}
			if (r->w)
				bo__run_worker_reap(r);
			crash_point(r, "heartbeat");
		}
		bo__guard_tick(&r->guard, now);
		if (r->opt->progress && now - r->last_tick >= (r->opt->tick_s > 0 ? r->opt->tick_s : 0.5)) {
			bo_run_progress p;
			r->last_tick = now;
			bo__run_fill_progress(r, &p, BO_PROGRESS_TICK);
			r->opt->progress(r->opt->progress_ud, &p);
		}
	}
	if (r->interrupt_seen)
		r->sum.interrupted = 1;
done:
	if (rc < 0) {
		/* Keep the message: cleanup below may overwrite the thread's error. */
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", bo_error_last());
		for (i = 0; i < r->njobs; i++) {
			bo__exec_signal(r->ex, r->jobs[i]->job, SIGKILL);
			bo__run_job_free(r->jobs[i]);
		}
		r->njobs = 0;
		bo__exec_free(r->ex);
		r->ex = NULL;
		bo__error(rc, "%s", msg);
	}
	if (began) {
		char asks[128] = "", waits[128] = "";
		int64_t nasks = 0, ninline = 0;
		double longest = 0;
		int async = 0;
		if (r->asker && !bo__asker_busy(r->asker)) {   /* its counts are still being written otherwise */
			bo__asker_stats(r->asker, &nasks, &ninline, &longest, &async);
			if (async)
				snprintf(asks, sizeof asks, " (%lld asks, %lld on the asker thread; the longest %.3g s)",
					 (long long)nasks, (long long)(nasks - ninline), longest);
			else
				snprintf(asks, sizeof asks, " (%lld asks, synchronous; the longest %.3g s)",
					 (long long)nasks, longest);
		}
		if (r->w)
			snprintf(waits, sizeof waits, " (idle waits: %lld woken by a notification, %lld by the poll)",
				 (long long)r->w->nwoken, (long long)r->w->npolled);
		bo__run_event(r, 0, "run_end", r->spent, "run %lld ended: %s%s%s", (long long)r->run_id,
		      rc < 0 ? bo_error_last() : r->stop_reason, asks, waits);
		r->st->ops->run_end(r->st, r->run_id, wall_now());
	}
	bo__exec_free(r->ex);
	bo__asker_free(r->asker);   /* before the sampler it asks */
	bo__sampler_free(r->sm);
	bo__free(r->exited);
	bo__pruner_free(r->pr);
	bo__bohb_free(r->bohb);
	bo__mfgp_free(r->mfgp);
	bo__fidelity_free(r->fid);
	bo__guard_clear(&r->guard, mono_now());
	bo__storage_close(r->st);
	bo__ledger_unlock(r->lock_fd);
	bo__free(r->jobs);
	bo__free(r->held_x);
	units_clear(r);
	bo__confirm_free(r->confirm);
	bo__free(r->crash_point);
	bo__worker_clear(r->w);
	r->sum.spent = r->spent;
	snprintf(r->sum.stop_reason, sizeof r->sum.stop_reason, "%s",
		 rc < 0 ? bo_error_last() : r->stop_reason);
	if (summary)
		*summary = r->sum;
	if (rc == 0 && r->sum.interrupted)
		rc = BO_EINTR;
	return rc;
}
