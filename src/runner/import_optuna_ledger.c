/*
 * runner/import_optuna_ledger.c - the trials of an Optuna study written
 * into a new budgetopt ledger (see import_optuna.h).
 *
 * Every trial goes through the storage interface as the runner's do
 * (trial_start, its intermediate values as steps, trial_finish), so the
 * spend journal, the "reserve" and "charge" events and the checkpoints are
 * those of any ledger, and status, frontier, select, report, doctor and a
 * resumed `budgetopt run` read it like one. The ledger is built under a
 * temporary name and linked into place only when complete: a failed
 * import leaves nothing, and an existing ledger is never touched.
 *
 * States: COMPLETE -> complete (failed when a value is not finite),
 * PRUNED -> pruned, FAIL -> failed (Optuna's fail_reason kept), RUNNING
 * and WAITING -> failed with a reason saying so: the trial never reported
 * to budgetopt, and every trial's cost counts whatever its state.
 *
 * Must never print or exit.
 */
#include "runner/import_optuna.h"
#include "analysis/uncertain.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/numfmt.h"
#include "storage/journal.h"
#include "storage/storage.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WALL_RESOURCE "wall_hours"

static const char *usage_target(const bo_optuna_import_options *o, const char *attr)
{
	size_t i;
	for (i = 0; i < o->nusage; i++)
		if (!strcmp(o->usage[i].from, attr))
			return o->usage[i].to;
	return attr;
}

/* Adds amount to resource name (summing when two attributes map to one). */
static int usage_add(bo_kv **kv, size_t *n, size_t *cap, const char *name, double amount)
{
	size_t i;
	for (i = 0; i < *n; i++)
		if (!strcmp((*kv)[i].name, name)) {
			(*kv)[i].value += amount;
			return 0;
		}
	return bo__kv_push(kv, n, cap, name, amount);
}

/* The index in p's labels of an Optuna categorical label. */
static double label_index(const bo_param *p, json_t *v)
{
	char buf[512];
	size_t k;
	if (json_is_string(v))
		snprintf(buf, sizeof buf, "%s", json_string_value(v));
	else if (json_is_number(v))
		bo__fmt_num(json_number_value(v), buf, sizeof buf);
	else if (json_is_true(v))
		snprintf(buf, sizeof buf, "True");
	else if (json_is_false(v))
		snprintf(buf, sizeof buf, "False");
	else
		snprintf(buf, sizeof buf, "None");
	for (k = 0; k < p->nchoices; k++)
		if (!strcmp(p->choices[k], buf) ||
		    (json_is_number(v) && p->choice_num && p->choice_num[k] == json_number_value(v)))
			return (double)k;
	return NAN;
}

/* One Optuna trial as a ledger record (everything but id and run). */
static int build(bo_optuna_import *imp, const bo_optuna_import_options *o, const bo_optuna_trial *t,
		 double *x, bo_trial_rec *rec, char *reason, size_t rsize, double now)
{
	const bo_study *s = imp->study;
	const bo_optuna_study *os = &imp->optuna;
	size_t i, capm = 0, capu = 0, capp = 0;
	double *mvals = NULL, *dvals = NULL;
	int rc = 0, wall_mapped = 0;
	const char *k;
	json_t *v;

	reason[0] = '\0';
	for (i = 0; i < s->nparams; i++) {
		const bo_optuna_param *q = NULL;
		size_t j;
		for (j = 0; j < t->nparams; j++)
			if (!strcmp(t->params[j].name, imp->optuna_names[i]))
				q = &t->params[j];
		x[i] = NAN;
		if (!q)
			continue;
		if (q->dist.kind == BO_OPTUNA_CATEGORICAL)
			x[i] = label_index(&s->params[i], json_array_get(q->dist.choices, (size_t)q->value));
		else
			x[i] = q->value;
		if (isnan(x[i]))
			return bo__error(BO_EINVAL, "trial %lld: parameter \"%s\": a value the space lacks",
					 (long long)t->number, q->name);
		if ((rc = bo__kv_push(&rec->params, &rec->nparams, &capp, s->params[i].name, x[i])) < 0)
			return rc;
	}
	if (!(rec->params_json = bo__study_params_json(s, x)))
		return BO_ENOMEM;

	/* Metrics: the objectives' values, then the constraints. */
	for (i = 0; i < t->nvalues; i++) {
		char name[32];
		if (os->nobjectives == 1)
			snprintf(name, sizeof name, "value");
		else
			snprintf(name, sizeof name, "values_%zu", i);
		if (isfinite(t->values[i])) {
			if ((rc = bo__kv_push(&rec->metrics, &rec->nmetrics, &capm, name, t->values[i])) < 0)
				return rc;
		} else if (!strcmp(t->state, "COMPLETE") && !reason[0]) {
			snprintf(reason, rsize, "optuna: objective %s is %s", name,
				 isnan(t->values[i]) ? "missing" : t->values[i] > 0 ? "inf" : "-inf");
		}
	}
	for (i = 0; t->constraints && i < json_array_size(t->constraints); i++) {
		char name[40];
		json_t *c = json_array_get(t->constraints, i);
		snprintf(name, sizeof name, "constraint_%zu", i);
		if (json_is_number(c) && isfinite(json_number_value(c)) &&
		    (rc = bo__kv_push(&rec->metrics, &rec->nmetrics, &capm, name, json_number_value(c))) < 0)
			return rc;
	}

	/* Usage: the numeric user attributes, and the wall time. */
	json_object_foreach(t->user_attrs, k, v) {
		const char *res;
		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			continue;
		res = !strcmp(k, o->cost_attr ? o->cost_attr : "cost") && imp->cost_res ? imp->cost_res
											  : usage_target(o, k);
		wall_mapped |= !strcmp(res, WALL_RESOURCE);
		if ((rc = usage_add(&rec->usage, &rec->nusage, &capu, res, json_number_value(v))) < 0)
			return rc;
	}
	if (!wall_mapped && isfinite(t->start) && isfinite(t->complete) && t->complete >= t->start &&
	    strcmp(t->state, "RUNNING") && strcmp(t->state, "WAITING") &&
	    (rc = usage_add(&rec->usage, &rec->nusage, &capu, WALL_RESOURCE, (t->complete - t->start) / 3600.0)) < 0)
		return rc;
	rec->cost = bo__pricebook_cost(&s->prices, rec->usage, rec->nusage);
	rec->reserved = rec->cost;

	if (!strcmp(t->state, "COMPLETE"))
		rec->state = reason[0] ? BO_TRIAL_FAILED : BO_TRIAL_COMPLETE;
	else if (!strcmp(t->state, "PRUNED")) {
		rec->state = BO_TRIAL_PRUNED;
		snprintf(reason, rsize, "pruned in Optuna");
	} else if (!strcmp(t->state, "FAIL")) {
		rec->state = BO_TRIAL_FAILED;
		snprintf(reason, rsize, "failed in Optuna%s%.400s", t->fail_reason ? ": " : "",
			 t->fail_reason ? t->fail_reason : "");
	} else {
		rec->state = BO_TRIAL_FAILED;
		snprintf(reason, rsize, "%s in Optuna when imported (%s)", t->state,
			 !strcmp(t->state, "RUNNING") ? "its result, if any, stays in Optuna" : "never started");
	}
	rec->reason = reason[0] ? reason : NULL;
	rec->score = NAN;
	rec->feasible = -1;
	if (rec->state == BO_TRIAL_COMPLETE) {
		bo_eval_ctx ctx;
		mvals = bo__calloc(s->nmetrics + 1, sizeof *mvals);
		dvals = bo__calloc(s->nderived + 1, sizeof *dvals);
		if (!mvals || !dvals) {
			rc = BO_ENOMEM;
			goto done;
		}
		for (i = 0; i < s->nmetrics; i++)
			mvals[i] = bo__kv_get(rec->metrics, rec->nmetrics, s->metrics[i].name);
		ctx.study = s;
		ctx.x = x;
		ctx.metrics = mvals;
		ctx.derived = dvals;
		if (bo__study_derive(&ctx) == 0) {
			for (i = 0; i < s->nderived; i++)
				if ((rc = bo__kv_push(&rec->metrics, &rec->nmetrics, &capm, s->derived[i].name, dvals[i])) < 0)
					goto done;
			bo__study_guardrails(&ctx, &rec->feasible, NULL);
			bo__study_score(&ctx, &rec->score);
		}
		/* uncertain inputs or chance guardrails: the verdict select gives
		 * (as the run loop: without it, the verdict at the means) */
		if (bo__mc_judge_trial(s, x, rec) < 0)
			bo_error_clear();
	}
	rec->price_version = s->prices.version;
	rec->sampler = "optuna";
	rec->exit_code = -1;
	/* A waiting trial never started: no start time (created at the import). */
	rec->started_at = isfinite(t->start) ? t->start : isfinite(t->complete) ? t->complete : 0;
	rec->created_at = rec->started_at > 0 ? rec->started_at : now;
	rec->ended_at = isfinite(t->complete) && strcmp(t->state, "RUNNING") ? t->complete : now;
	if (rec->started_at > 0 && rec->ended_at < rec->started_at)
		rec->ended_at = rec->started_at;
done:
	bo__free(mvals);
	bo__free(dvals);
	return rc;
}

static void rec_free(bo_trial_rec *rec)
{
	size_t i;
	/* Names in params are the study's (borrowed) only for the runner;
	 * here bo__kv_push copied them all. */
	bo__kv_free(rec->params, rec->nparams);
	bo__kv_free(rec->metrics, rec->nmetrics);
	bo__kv_free(rec->usage, rec->nusage);
	bo__free(rec->params_json);
	(void)i;
	memset(rec, 0, sizeof *rec);
}

static void remove_tmp(const char *tmp)
{
	char p[PATH_MAX + 16];
	unlink(tmp);
	snprintf(p, sizeof p, "%s-wal", tmp);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", tmp);
	unlink(p);
	snprintf(p, sizeof p, "%s%s", tmp, BO_JOURNAL_SUFFIX);
	unlink(p);
}

/* Links from into place at to (never over an existing file). */
static int place(const char *from, const char *to)
{
	if (link(from, to) < 0)
		return bo__error(errno == EEXIST ? BO_ECONFLICT : BO_EIO, "cannot create %s: %s", to,
				 strerror(errno));
	unlink(from);
	return 0;
}

int bo__optuna_write_ledger(bo_optuna_import *imp, const bo_optuna_import_options *o)
{
	char tmp[PATH_MAX], jl[PATH_MAX + 16], jt[PATH_MAX + 16], host[256], detail[600];
	const bo_study *s = imp->study;
	bo_storage *st = NULL;
	bo_trial_rec rec;
	double *x = NULL, now = bo__clock_wall();
	int64_t version = 0, run_id = 0;
	size_t i, j;
	int rc, placed = 0, final;
	struct stat sb;

	memset(&rec, 0, sizeof rec);
	if (snprintf(tmp, sizeof tmp, "%s.import-%ld", imp->ledger, (long)getpid()) >= (int)sizeof tmp ||
	    (rc = bo__journal_path(imp->ledger, jl, sizeof jl)) < 0)
		return bo__error(BO_EINVAL, "%s: ledger path too long", imp->ledger);
	if ((stat(imp->ledger, &sb) == 0 && sb.st_size > 0) || stat(jl, &sb) == 0)
		return bo__error(BO_ECONFLICT, "ledger %s already exists: import into a new one "
				  "(--storage) or move it away", imp->ledger);
	snprintf(jt, sizeof jt, "%s%s", tmp, BO_JOURNAL_SUFFIX);
	remove_tmp(tmp);
	if (!(x = bo__calloc(s->nparams + 1, sizeof *x))) {
		rc = BO_ENOMEM;
		goto done;
	}
	if (gethostname(host, sizeof host - 1) < 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	if ((rc = bo__sqlite_open(&st, tmp, s->storage_group)) < 0 ||
	    (rc = st->ops->register_study(st, s->name, s->text, s->hash, s->space_hash, &version)) < 0 ||
	    (rc = st->ops->run_begin(st, version, (int64_t)getpid(), host, 0, "optuna-import", now, &run_id)) < 0)
		goto done;
	snprintf(detail, sizeof detail, "imported from Optuna study \"%.200s\" in %.300s (Optuna %.20s)",
		 imp->optuna.name, o->source, imp->optuna.library_version);
	if ((rc = st->ops->event(st, run_id, 0, "import", NAN, detail, now)) < 0)
		goto done;
	imp->spent = 0;
	for (i = 0; i < imp->optuna.ntrials; i++) {
		const bo_optuna_trial *t = &imp->optuna.trials[i];
		char reason[600];
		rec_free(&rec);
		if ((rc = build(imp, o, t, x, &rec, reason, sizeof reason, now)) < 0)
			goto done;
		rec.version = version;
		rec.run_id = run_id;
		rec.host = host;
		final = rec.state;
		if ((rc = st->ops->trial_start(st, &rec)) < 0)
			goto done;
		rec.state = final;   /* trial_start made it running */
		for (j = 0; j < t->nsteps; j++) {
			bo_kv m;
			m.name = s->objectives[0].name;
			m.value = t->steps[j].value;
			if (isfinite(m.value) && (rc = st->ops->trial_step(st, rec.id, t->steps[j].step, &m, 1)) < 0)
				goto done;
		}
		if ((rc = st->ops->trial_finish(st, &rec)) < 0)
			goto done;
		imp->spent += isfinite(rec.cost) ? rec.cost : 0;
		imp->ntrials++;
	}
	if ((rc = st->ops->run_end(st, run_id, bo__clock_wall())) < 0 || (rc = bo__sqlite_checkpoint(st)) < 0)
		goto done;
	bo__storage_close(st);
	st = NULL;
	{
		char w[PATH_MAX + 16];
		snprintf(w, sizeof w, "%s-wal", tmp);
		if (access(w, F_OK) == 0) {
			rc = bo__error(BO_EIO, "%s: the write-ahead log was not folded into the ledger", tmp);
			goto done;
		}
	}
	if ((rc = place(tmp, imp->ledger)) < 0)
		goto done;
	placed = 1;
	if ((rc = place(jt, jl)) < 0)
		goto done;
	rc = 0;
done:
	rec_free(&rec);
	bo__storage_close(st);
	if (rc < 0) {
		if (placed)
			unlink(imp->ledger);   /* ours: linked a moment ago, its journal failed */
		remove_tmp(tmp);
	}
	bo__free(x);
	return rc;
}
