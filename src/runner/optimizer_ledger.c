/*
 * runner/optimizer_ledger.c - the ledger side of the ask/tell API: what
 * `budgetopt run` writes for a trial it launches, written for a trial the
 * caller runs (see optimizer_ledger.h).
 *
 * The order of things at open is runner.c's: lock, open and check against
 * the spend journal, register the study, begin a session (which refuses a
 * second live holder), recover orphans, read the history. A trial asked is
 * a running trial with its reservation (and the journal's start record); a
 * trial told is committed with its charge (and the journal's charge
 * record). A trial has no folder and no process of its own: the caller
 * runs it, so a trial left running by a process that died is failed as
 * orphaned with what the ledger holds for it (nothing measured; see
 * docs/api.md).
 */
#include "runner/optimizer_ledger.h"

#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "analysis/uncertain.h"
#include "budgetopt/run.h"
#include "core/alloc.h"
#include "core/error.h"
#include "runner/doctor.h"
#include "runner/orphans.h"
#include "runner/pruner_replay.h"
#include "storage/ledger_check.h"
#include "storage/storage.h"

/* Seconds between two heartbeats of the session (each is a write). */
#define HEARTBEAT_S 5.0

struct bo__optledger {
	const bo_study *s;
	bo_storage *st;
	int lock_fd;
	int64_t version, run_id;
	double last_beat;
	char host[256];
	char path[PATH_MAX];
	char trials_dir[PATH_MAX];
};

static double wall_now(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void beat(bo__optledger *l)
{
	double now = wall_now();
	if (now - l->last_beat >= HEARTBEAT_S) {
		l->st->ops->run_heartbeat(l->st, l->run_id, now);
		l->last_beat = now;
	}
}

static int event(bo__optledger *l, int64_t trial, const char *kind, double amount, const char *fmt,
		 ...) BO__PRINTF(5, 6);
static int event(bo__optledger *l, int64_t trial, const char *kind, double amount, const char *fmt,
		 ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return l->st->ops->event(l->st, l->run_id, trial, kind, amount, detail, wall_now());
}

/* ---- orphans (trials left running by a holder that died) -------------- */

static double orphan_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap,
			    double *uncapped)
{
	bo__optledger *l = ud;
	double price = bo__pricebook_cost(&l->s->prices, usage, n);
	double cost = isfinite(cap) && !(price <= cap) ? cap : price;
	(void)l;
	(void)id;
	*uncapped = price;
	return cost;
}

static void orphan_recovered(void *ud, int64_t id, double cost, double uncapped, int nkilled)
{
	if (cost < uncapped)
		event(ud, id, "cap_clamped", uncapped, "trial %lld priced at %.6g, charged its money cap %.6g",
		      (long long)id, uncapped, cost);
	event(ud, id, "orphan", cost, "trial %lld recovered from a dead runner%s; charged %.6g",
	      (long long)id, nkilled ? " (its processes were still running and were stopped)" : "", cost);
}

/* ---- history ------------------------------------------------------------ */

static int replay(bo__optledger *l, bo_pruner *pr, bo__optledger_seen_fn seen, void *ud,
		  bo__optledger_totals *tot)
{
	const bo_study *s = l->s;
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
	if ((rc = l->st->ops->trials(l->st, &q, &t, &n)) < 0 ||
	    (rc = bo__pruner_replay_steps(pr, &s->pruner, l->st, t, n)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (t[i].state != BO_TRIAL_COMPLETE && t[i].state != BO_TRIAL_FAILED &&
		    t[i].state != BO_TRIAL_PRUNED)
			continue;
		bo__trial_rec_point(s, &t[i], x, m);
		tot->nfinished++;
		if (isfinite(t[i].cost))
			tot->max_cost = fmax(tot->max_cost, t[i].cost);
		if ((rc = seen(ud, t[i].id - 1, x, t[i].state, m, isfinite(t[i].cost) ? t[i].cost : 0.0,
			       &t[i])) < 0)
			goto done;
	}
	rc = 0;
done:
	bo__trial_rec_free_array(t, n);
	bo__free(x);
	bo__free(m);
	return rc;
}

/* ---- open and close ------------------------------------------------------ */

int bo__optledger_open(bo__optledger **out, const bo_study *s, const char *storage,
		       const char *sampler, uint64_t seed, bo_pruner *pr, bo__optledger_seen_fn seen,
		       void *ud, bo__optledger_totals *tot)
{
	bo__optledger *l;
	bo_ledger_open_options lo = BO_LEDGER_OPEN_OPTIONS_INIT;
	bo_ledger_totals lt;
	bo_orphan_ctx oc;
	int rc;

	*out = NULL;
	memset(tot, 0, sizeof *tot);
	if (!(l = bo__calloc(1, sizeof *l)))
		return BO_ENOMEM;
	l->s = s;
	l->lock_fd = -1;
	if (gethostname(l->host, sizeof l->host - 1) < 0)
		strcpy(l->host, "localhost");
	if ((rc = bo_run_storage_uri(s, storage && storage[0] ? storage : NULL, l->path, sizeof l->path)) < 0 ||
	    (rc = bo__trials_dir(l->path, NULL, l->trials_dir, sizeof l->trials_dir)) < 0)
		goto fail;
	lo.writer = 1;
	lo.group = s->storage_group;
	lo.trials_dir = l->trials_dir;
	lo.study_path = s->path;
	lo.currency = s->prices.currency;
	if (!strstr(l->path, "://") &&
	    (rc = bo__ledger_lock(l->path, 0, s->storage_group ? 0640 : 0600, &l->lock_fd)) < 0)
		goto fail;
	if ((rc = bo__storage_open_ex(&l->st, l->path, &lo)) < 0)
		goto fail;
	if ((rc = l->st->ops->register_study(l->st, s->name, s->text, s->hash, s->space_hash,
					     &l->version)) < 0)
		goto fail;
	l->last_beat = wall_now();
	if ((rc = l->st->ops->run_begin(l->st, l->version, (int64_t)getpid(), l->host, seed, sampler,
					l->last_beat, &l->run_id)) < 0)
		goto fail;
	event(l, 0, "run_start", NAN, "run %lld: ask/tell through the library (pid %lld), seed %llu, sampler %s",
	      (long long)l->run_id, (long long)getpid(), (unsigned long long)seed, sampler);
	memset(&oc, 0, sizeof oc);   /* adopt: none (no Slurm job to take back) */
	oc.st = l->st;
	oc.s = s;
	oc.ledger_path = l->path;
	oc.record_mode = s->storage_group ? 0640 : 0600;
	oc.charge = orphan_charge;
	oc.recovered = orphan_recovered;
	oc.ud = l;
	if ((rc = bo__orphans_recover(&oc)) < 0)
		goto fail;
	if ((rc = l->st->ops->totals(l->st, &lt)) < 0)
		goto fail;
	tot->ntrials = lt.ntrials;
	tot->spent = lt.spent;
	if ((rc = replay(l, pr, seen, ud, tot)) < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	bo__optledger_close(l);
	return rc;
}

void bo__optledger_close(bo__optledger *l)
{
	if (!l)
		return;
	if (l->st) {
		if (l->run_id > 0)
			l->st->ops->run_end(l->st, l->run_id, wall_now());
		l->st->ops->close(l->st);
	}
	bo__ledger_unlock(l->lock_fd);
	bo__free(l);
}

/* ---- trials ------------------------------------------------------------ */

int bo__optledger_start(bo__optledger *l, int64_t number, const double *x, const char *sampler,
			double reserve, double cap)
{
	const bo_study *s = l->s;
	bo_trial_rec rec;
	char capmsg[200];
	size_t i;
	int rc;

	memset(&rec, 0, sizeof rec);
	if (!(rec.params_json = bo__study_params_json(s, x)) ||
	    !(rec.params = bo__calloc(s->nparams + 1, sizeof *rec.params))) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->nparams; i++) {
		if (isnan(x[i]))
			continue;
		rec.params[rec.nparams].name = s->params[i].name;
		rec.params[rec.nparams].value = x[i];
		rec.nparams++;
	}
	rec.state = BO_TRIAL_RUNNING;
	rec.version = l->version;
	rec.run_id = l->run_id;
	rec.sampler = (char *)sampler;
	rec.reserved = reserve;
	rec.price_version = s->prices.version;
	rec.score = NAN;
	rec.feasible = -1;
	rec.created_at = rec.started_at = wall_now();
	rec.exit_code = -1;
	rec.host = l->host;
	rec.cost = NAN;
	rec.cap = cap;
	if (isfinite(cap)) {
		/* recorded in the start's transaction, as `budgetopt run` does */
		snprintf(capmsg, sizeof capmsg, "trial %lld may be charged at most %.6g %s (%s)",
			 (long long)number + 1, cap, s->prices.currency,
			 cap == s->budget.trial_money ? "per_trial.money" : "its share of the money budget");
		rec.cap_detail = capmsg;
	}
	if ((rc = l->st->ops->trial_start(l->st, &rec)) < 0)
		goto done;
	if (rec.id != number + 1) {
		rc = bo__error(BO_ECONFLICT, "the ledger gave trial %lld where %lld was expected: is another runner writing it?",
			       (long long)rec.id, (long long)number + 1);
		goto done;
	}
	beat(l);
done:
	bo__free(rec.params_json);
	bo__free(rec.params);
	return rc;
}

int bo__optledger_step(bo__optledger *l, int64_t number, int64_t step, const bo_kv *values,
		       size_t n, const bo_kv *usage, size_t nusage)
{
	int rc;
	if ((rc = l->st->ops->trial_step(l->st, number + 1, step, values, n)) < 0)
		return rc;
	if (nusage > 0 && (rc = l->st->ops->trial_progress(l->st, number + 1, usage, nusage)) < 0)
		return rc;
	beat(l);
	return 0;
}

int bo__optledger_finish(bo__optledger *l, int64_t number, const bo__optledger_end *e)
{
	const bo_study *s = l->s;
	bo_trial_rec rec;
	bo_kv *metrics = NULL;
	size_t nmetrics = 0, capmetrics = 0, i;
	double *dv = NULL;
	int rc = 0;

	memset(&rec, 0, sizeof rec);
	rec.id = number + 1;
	rec.state = e->state;
	rec.score = NAN;
	rec.feasible = -1;
	for (i = 0; i < s->nmetrics; i++)
		if (!isnan(e->metrics[i]) &&
		    (rc = bo__kv_push(&metrics, &nmetrics, &capmetrics, s->metrics[i].name, e->metrics[i])) < 0)
			goto done;
	if (e->state == BO_TRIAL_COMPLETE) {
		bo_eval_ctx ctx;
		if (!(dv = bo__calloc(s->nderived + 1, sizeof *dv))) {
			rc = BO_ENOMEM;
			goto done;
		}
		ctx.study = s;
		ctx.x = (double *)e->x;
		ctx.metrics = (double *)e->metrics;
		ctx.derived = dv;
		if (bo__study_derive(&ctx) == 0) {
			for (i = 0; i < s->nderived; i++)
				if ((rc = bo__kv_push(&metrics, &nmetrics, &capmetrics, s->derived[i].name, dv[i])) < 0)
					goto done;
			bo__study_guardrails(&ctx, &rec.feasible, NULL);
			bo__study_score(&ctx, &rec.score);
		}
	}
	rec.cost = e->cost;
	rec.reserved = e->reserved;
	rec.price_version = s->prices.version;
	rec.reason = (char *)e->reason;
	rec.ended_at = wall_now();
	rec.exit_code = -1;
	rec.metrics = metrics;
	rec.nmetrics = nmetrics;
	rec.usage = (bo_kv *)e->usage;
	rec.nusage = e->nusage;
	/* uncertain inputs or chance guardrails: the verdict select gives (as
	 * the run loop: without it, the verdict at the means) */
	if (bo__mc_judge_trial(s, e->x, &rec) < 0)
		bo_error_clear();
	if ((rc = l->st->ops->trial_finish(l->st, &rec)) < 0)
		goto done;
	/* after the charge is committed: never an event for one that was not */
	if (e->cost != e->price)
		event(l, rec.id, "cap_clamped", e->price, "trial %lld priced at %.6g, charged its money cap %.6g",
		      (long long)rec.id, e->price, e->cost);
	/* as the runner's kill_job writes it when it stops a trial */
	if (e->stop)
		event(l, rec.id, e->stop, e->cost, "trial %lld stopped: %s", (long long)rec.id,
		      e->reason ? e->reason : "");
	beat(l);
done:
	bo__kv_free(metrics, nmetrics);
	bo__free(dv);
	return rc;
}
