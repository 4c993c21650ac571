/*
 * runner/runner_finish.c - finishing a trial: its usage (measured and
 * reported), why it failed, its metrics and score, its charge (at most its
 * cap), the ledger's commit and its record, and what the sampler, the
 * pruner, the fidelity schedule and the safeguards learn from it; also the
 * heartbeat that stores a running trial's usage so far.
 *
 * Part of the run loop: runner.c holds the loop, and runner/runner_int.h
 * lists the sibling files.
 */
#include "runner/runner_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/uncertain.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "core/utf8.h"
#include "exec/exec.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "runner/fidelity_run.h"
#include "runner/livecost.h"
#include "runner/protocol.h"
#include "runner/pruner.h"
#include "runner/safeguards.h"
#include "runner/trial_record.h"
#include "runner/worker.h"
#include "samplers/sampler.h"
#include "storage/storage.h"

/* Adds amount to resource name in a usage list. */
static int usage_add(bo_kv **kv, size_t *n, size_t *cap, const char *name, double amount)
{
	size_t i;
	for (i = 0; i < *n; i++) {
		if (!strcmp((*kv)[i].name, name)) {
			(*kv)[i].value += amount;
			return 0;
		}
	}
	return bo__kv_push(kv, n, cap, name, amount);
}

/* What trial id is charged for usage: its price, at most its money cap
 * (NaN: none). *uncapped gets the price before the cap. Records nothing:
 * the caller records the clamp (bo__run_clamp_event) once the charge is
 * committed, so that a runner killed in between leaves no event for a
 * charge that never happened. */
double bo__run_charge_for(runner *r, int64_t id, const bo_kv *usage, size_t n, double cap,
			 double *uncapped)
{
	double price = bo__pricebook_cost(&r->s->prices, usage, n);
	(void)id;
	*uncapped = price;
	return isfinite(cap) && !(price <= cap) ? cap : price;
}

/* A "cap_clamped" event when trial id was charged cost below its price. */
void bo__run_clamp_event(runner *r, int64_t id, double price, double cost)
{
	if (cost < price)
		bo__run_event(r, id, "cap_clamped", price, "trial %lld priced at %.6g, charged its money cap %.6g",
			      (long long)id, price, cost);
}

/* ---- finishing ------------------------------------------------------- */

/* Tells the sampler how trial id ended; with several units per
 * configuration, once per configuration when its last unit ends, with the
 * mean over its complete units (runner/units.h). */
int bo__run_units_tell(runner *r, int64_t id, const double *x, int state, const double *m,
		       double cost)
{
	bo_units_told told;
	int rc;
	if (!r->units || bo__units_per_config(r->units) <= 1)
		return bo__sampler_tell_metrics(r->sm, id - 1, x, state, m, cost);
	if ((rc = bo__units_ended(r->units, id, state, m, cost, &told)) <= 0)
		return rc;
	return bo__sampler_tell_metrics(r->sm, told.number, told.x, told.state, told.metrics,
					 told.cost);
}

/* Tells the pruner how a trial ended (its final values of the metrics the
 * pruner reads, among metrics). */
int bo__run_pruner_finish(runner *r, int64_t id, int state, const bo_kv *metrics, size_t n,
			 double cost)
{
	const bo_pruner_spec *ps = &r->s->pruner;
	double v[64];
	size_t i;
	if (!r->pr || ps->kind == BO_PRUNER_NONE || ps->nmetrics > 64)
		return 0;
	for (i = 0; i < ps->nmetrics; i++)
		v[i] = bo__kv_get(metrics, n, ps->metrics[i]);
	return bo__pruner_finish(r->pr, id, state, v, cost);
}

static void last_stderr_line(const char *folder, char *out, size_t size)
{
	char path[PATH_MAX], buf[4096];
	FILE *f;
	long len;
	size_t n, end, start;
	out[0] = '\0';
	snprintf(path, sizeof path, "%s/stderr.log", folder);
	f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, len > (long)sizeof buf ? len - (long)sizeof buf : 0, SEEK_SET);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	end = n;
	while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r' || buf[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	/* Outside text: valid UTF-8, no controls, before it joins a reason. */
	bo__utf8_clean_buf(buf + start, end - start, out, size);
}

int bo__run_params_kv(const bo_study *s, const double *x, bo_kv **out, size_t *n)
{
	size_t i;
	*n = 0;
	if (!(*out = bo__calloc(s->nparams ? s->nparams : 1, sizeof **out)))
		return BO_ENOMEM;
	for (i = 0; i < s->nparams; i++) {
		if (isnan(x[i]))
			continue;
		(*out)[*n].name = s->params[i].name;
		(*out)[*n].value = x[i];
		(*n)++;
	}
	return 0;
}

/* The study a trial of job j is judged under: its scenario's view (inputs
 * and prices of that scenario), or the study. */
static const bo_study *judged_under(const runner *r, const job_ctx *j)
{
	int sk = r->views ? bo__scenario_find(r->s, j->unit.scenario) : -1;
	return sk >= 0 ? r->views[sk] : r->s;
}

void bo__run_update_best(runner *r, double score, int feasible)
{
	int goal = r->s->score_goal ? r->s->score_goal : 1;
	if (!feasible || isnan(score))
		return;
	if (isnan(r->best_score) || (goal > 0 ? score > r->best_score : score < r->best_score))
		r->best_score = score;
}

int bo__run_finish_job(runner *r, job_ctx *j)
{
	const bo_study *s = r->s;
	bo_job_status st;
	bo_trial_rec rec;
	bo_kv *usage = NULL, *metrics = NULL;
	size_t nusage = 0, capusage = 0, nmetrics = 0, capmetrics = 0, i;
	double *mvals = NULL, *dvals = NULL;
	char reason[600] = "", tail[300];
	int rc = 0;
	double cost, uncapped;
	bo_report *rep = &j->report;

	bo__exec_status(j->job, &st);
	if ((rc = bo__report_file(rep, j->result_path, RESULT_FILE_MAX)) < 0)
		goto done;
	/* Usage: what the runner measured, plus what the evaluator reports. */
	if ((rc = usage_add(&usage, &nusage, &capusage, "wall_hours", st.wall_s / 3600.0)) < 0 ||
	    (rc = usage_add(&usage, &nusage, &capusage, "cpu_hours", st.cpu_s / 3600.0)) < 0 ||
	    (rc = usage_add(&usage, &nusage, &capusage, "mem_gb_hours",
			    st.maxrss_kb / 1048576.0 * st.wall_s / 3600.0)) < 0)
		goto done;
	/* Slurm's GPU accounting, unless the evaluator reports that resource. */
	if (st.gpu_resource && st.gpu_hours > 0 &&
	    !(rep->has_final && !isnan(bo__kv_get(rep->usage, rep->nusage, st.gpu_resource))) &&
	    (rc = usage_add(&usage, &nusage, &capusage, st.gpu_resource, st.gpu_hours)) < 0)
		goto done;
	for (i = 0; rep->has_final && i < rep->nusage; i++) {
		double a = rep->usage[i].value;
		char why[120];
		if (bo__usage_check(a, why, sizeof why) < 0) {
			if (!reason[0])
				snprintf(reason, sizeof reason,
					 "the evaluator reported an invalid usage \"%.100s\": %s (ignored: only measured usage is charged)",
					 rep->usage[i].name, why);
			continue;
		}
		if ((rc = usage_add(&usage, &nusage, &capusage, rep->usage[i].name, a)) < 0)
			goto done;
	}
	/* Usage reported only in steps (amounts so far): its last amount, so
	 * a trial stopped before its final report pays what it said it used. */
	for (i = 0; i < rep->nstep_usage; i++) {
		double a = rep->step_usage[i].value;
		char why[120];
		if ((rep->has_final && !isnan(bo__kv_get(rep->usage, rep->nusage, rep->step_usage[i].name))) ||
		    bo__usage_check(a, why, sizeof why) < 0)
			continue;
		if ((rc = usage_add(&usage, &nusage, &capusage, rep->step_usage[i].name, a)) < 0)
			goto done;
	}
	/* Why it failed, most fundamental first. */
	if (reason[0]) {
		/* keep the usage complaint */
	} else if (j->kill_reason) {
		snprintf(reason, sizeof reason, "%s", j->kill_reason);
	} else if (st.reason) {
		snprintf(reason, sizeof reason, "%s", st.reason);
	} else if (st.exec_errno) {
		snprintf(reason, sizeof reason, "cannot run evaluator \"%.200s\": %s", j->argv[0],
			 strerror(st.exec_errno));
	} else if (st.term_signal) {
		snprintf(reason, sizeof reason, "evaluator killed by signal %d (%s)", st.term_signal,
			 strsignal(st.term_signal));
	} else if (st.exit_code != 0) {
		last_stderr_line(j->folder, tail, sizeof tail);
		snprintf(reason, sizeof reason, "evaluator exited with status %d%s%s", st.exit_code,
			 tail[0] ? ": " : "", tail);
	} else if (j->failed_io) {
		snprintf(reason, sizeof reason, "out of memory while reading the evaluator's output");
	} else if (!rep->has_final && s->nmetrics > 0) {
		if (rep->first_bad)
			snprintf(reason, sizeof reason, "no final report: %s", rep->first_bad);
		else
			snprintf(reason, sizeof reason,
				 "no final report (a JSON line with \"metrics\" on stdout or in $BUDGETOPT_RESULT)");
	} else if (rep->problem) {
		snprintf(reason, sizeof reason, "%s", rep->problem);
	}
	/* Metrics: the study's metrics, in its order, then extra ones reported. */
	mvals = bo__calloc(s->nmetrics + 1, sizeof *mvals);
	dvals = bo__calloc(s->nderived + 1, sizeof *dvals);
	if (!mvals || !dvals) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->nmetrics; i++) {
		mvals[i] = rep->has_final ? bo__kv_get(rep->metrics, rep->nmetrics, s->metrics[i].name) : NAN;
		if (!reason[0] && rep->has_final && isnan(mvals[i]) && !s->metrics[i].optional) {
			size_t k;
			int present = 0;
			for (k = 0; k < rep->nmetrics; k++)
				present |= !strcmp(rep->metrics[k].name, s->metrics[i].name);
			snprintf(reason, sizeof reason,
				 present ? "metric \"%s\" is not a finite number (NaN)" : "the final report lacks metric \"%s\"",
				 s->metrics[i].name);
		}
		if (!isfinite(mvals[i]) && !reason[0] && !isnan(mvals[i]))
			snprintf(reason, sizeof reason, "metric \"%s\" is not a finite number (%s)",
				 s->metrics[i].name, mvals[i] > 0 ? "Infinity" : "-Infinity");
	}
	for (i = 0; rep->has_final && i < rep->nmetrics; i++) {
		if (bo__study_find_metric(s, rep->metrics[i].name) >= 0 &&
		    (rc = usage_add(&metrics, &nmetrics, &capmetrics, rep->metrics[i].name,
				    rep->metrics[i].value)) < 0)
			goto done;
	}
	for (i = 0; rep->has_final && i < rep->nmetrics; i++) {
		if (bo__study_find_metric(s, rep->metrics[i].name) < 0 &&
		    bo__study_find_derived(s, rep->metrics[i].name) < 0 &&
		    bo__study_find_param(s, rep->metrics[i].name) < 0 &&
		    (rc = usage_add(&metrics, &nmetrics, &capmetrics, rep->metrics[i].name,
				    rep->metrics[i].value)) < 0)
			goto done;
	}

	memset(&rec, 0, sizeof rec);
	rec.id = j->id;
	rec.state = j->pruned ? BO_TRIAL_PRUNED : reason[0] ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
	rec.score = NAN;
	rec.feasible = -1;
	if (rec.state == BO_TRIAL_COMPLETE) {
		bo_eval_ctx ctx;
		/* derived metrics, guardrails and score see the scenario's inputs and prices */
		ctx.study = judged_under(r, j);
		ctx.x = j->x;
		ctx.metrics = mvals;
		ctx.derived = dvals;
		if (bo__study_derive(&ctx) == 0) {
			for (i = 0; i < s->nderived; i++)
				if ((rc = usage_add(&metrics, &nmetrics, &capmetrics, s->derived[i].name,
						    dvals[i])) < 0)
					goto done;
			bo__study_guardrails(&ctx, &rec.feasible, NULL);
			bo__study_score(&ctx, &rec.score);
		}
	}
	cost = bo__run_charge_for(r, j->id, usage, nusage, j->cap, &uncapped);
	rec.cost = cost;
	rec.reserved = j->reserved;
	rec.price_version = s->prices.version;
	rec.reason = reason[0] ? reason : NULL;
	rec.ended_at = wall_now();
	rec.exit_code = st.exit_code;
	rec.term_signal = st.term_signal;
	rec.metrics = metrics;
	rec.nmetrics = nmetrics;
	rec.usage = usage;
	rec.nusage = nusage;
	/* uncertain inputs or chance guardrails: the verdict select gives (out
	 * of memory for it, the trial keeps its verdict at the means: what it
	 * used is committed either way) */
	if (bo__mc_judge_trial(judged_under(r, j), j->x, &rec) < 0)
		bo_error_clear();
	crash_point(r, "collected");
	if (r->w)
		rc = bo__run_worker_finish(r, &rec);
	else
		rc = r->st->ops->trial_finish(r->st, &rec);
	if (rc < 0)
		goto done;
	crash_point(r, "committed");
	bo__run_clamp_event(r, j->id, uncapped, cost);
	rec.params_json = j->params_json;
	rec.started_at = j->started_at;
	rec.scenario = (char *)j->unit.scenario;
	rec.repeat = j->unit.repeat;
	/* the parameters too: doctor restores a trial from its last record */
	if ((rc = bo__run_params_kv(s, j->x, &rec.params, &rec.nparams)) < 0)
		goto done;
	rc = bo__trial_record_write(j->folder, &rec, r->group ? 0640 : 0600, r->record_sync);
	bo__free(rec.params);
	if (rc < 0)
		goto done;

	r->reserved -= j->reserved;
	if (r->reserved < 0)
		r->reserved = 0;
	r->spent += cost;
	if ((rc = bo__guard_charged(&r->guard, j->id, cost, r->spent, mono_now(), wall_now())) < 0)
		goto done;
	r->max_cost = fmax(r->max_cost, uncapped);
	r->sum_wall += st.wall_s;
	r->nfinished++;
	if (rec.state == BO_TRIAL_COMPLETE) {
		r->ncomplete++;
		r->sum.complete++;
	} else if (rec.state == BO_TRIAL_PRUNED) {
		r->npruned++;
		r->sum.pruned++;
	} else {
		r->nfailed++;
		r->sum.failed++;
	}
	bo__run_update_best(r, rec.score, rec.feasible == 1);
	if ((rc = bo__guard_trial_done(&r->guard, j->id, j->x, rec.state, rec.score, rec.feasible == 1)) < 0)
		goto done;
	if (r->w && (rc = bo__worker_mark(r->w, j->id)) < 0)
		goto done;
	/* a confirmation's re-evaluation is no proposal: exploration has ended;
	 * under scenario_policy: promote, only base units are (runner_promote.c) */
	if (r->promote)
		rc = bo__run_promote_finished(r, j, &rec, mvals);
	else if (!j->confirm)
		rc = bo__run_units_tell(r, j->id, j->x, rec.state, mvals, cost);
	if (rc < 0)
		goto done;
	if (r->fid && (rc = bo__fidelity_finished(r->fid, j->id,
						   bo__fidelity_rank_value(s, rec.state, rec.feasible, rec.score,
									   metrics, nmetrics))) < 0)
		goto done;
	if (r->bohb && (rc = bo__bohb_observe(r->bohb, j->id, j->x, mvals, rec.state, cost)) < 0)
		goto done;
	if (r->mfgp && (rc = bo__mfgp_observe(r->mfgp, j->x,
					      bo__fidelity_rank_value(s, rec.state, rec.feasible, rec.score,
								      metrics, nmetrics), cost)) < 0)
		goto done;
	if ((rc = bo__run_pruner_finish(r, j->id, rec.state, metrics, nmetrics, cost)) < 0)
		goto done;
	if (r->opt->progress) {
		bo_run_progress p;
		bo__run_remove_job(r, j);
		bo__run_fill_progress(r, &p, BO_PROGRESS_TRIAL_DONE);
		p.trial_id = j->id;
		p.trial_state = bo__trial_state_name(rec.state);
		p.trial_cost = cost;
		p.trial_score = rec.score;
		p.trial_wall_s = st.wall_s;
		p.trial_reason = rec.reason;
		r->opt->progress(r->opt->progress_ud, &p);
	}
done:
	bo__kv_free(usage, nusage);
	bo__kv_free(metrics, nmetrics);
	bo__free(mvals);
	bo__free(dvals);
	return rc;
}

/* Stores a running trial's usage so far: measured, plus what it reported
 * last (so that a kill -9 of the runner loses none of it). */
void bo__run_heartbeat_usage(runner *r, job_ctx *j)
{
	bo_job_status st;
	bo_kv *u = NULL;
	size_t n = 0, cap = 0;
	bo__exec_status(j->job, &st);
	if (usage_add(&u, &n, &cap, "wall_hours", st.wall_s / 3600.0) < 0 ||
	    usage_add(&u, &n, &cap, "cpu_hours", st.cpu_s / 3600.0) < 0 ||
	    usage_add(&u, &n, &cap, "mem_gb_hours", st.maxrss_kb / 1048576.0 * st.wall_s / 3600.0) < 0)
		goto done;
	/* what it reported so far, as it would be charged (runner/livecost.h) */
	if (bo__report_charged_usage(&j->report, &u, &n, &cap) < 0)
		goto done;
	r->st->ops->trial_progress(r->st, j->id, u, n);
done:
	bo__kv_free(u, n);
}
