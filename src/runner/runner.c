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
 */
#include "budgetopt/run.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/model.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "exec/exec.h"
#include "exec/slurm.h"
#include "runner/asker.h"
#include "runner/doctor.h"
#include "runner/fidelity.h"
#include "runner/fidelity_bohb.h"
#include "runner/fidelity_run.h"
#include "runner/orphans.h"
#include "runner/protocol.h"
#include "runner/livecost.h"
#include "runner/pruner.h"
#include "runner/reserve.h"
#include "runner/safeguards.h"
#include "runner/slurm_jobs.h"
#include "runner/trial_record.h"
#include "runner/units.h"
#include "runner/worker.h"
#include "samplers/sampler.h"
#include "storage/ledger_check.h"
#include "storage/postgres.h"
#include "storage/storage.h"

extern char **environ;

#define KILL_GRACE_S 2.0         /* SIGTERM, then SIGKILL this much later */
#define HEARTBEAT_S 1.0          /* how often running trials' usage is stored */
#define WAIT_SLICE_MS 50         /* longest wait between budget checks */
#define ASK_POLL_MS 5            /* wait slice while an ask is in flight */
#define RESULT_FILE_MAX (16u << 20)
#define MONEY_EPS 1e-12          /* relative slack when comparing money */

enum { LAUNCH_OK, LAUNCH_WAIT, LAUNCH_STOP };

typedef struct job_ctx {
	bo_job *job;
	int64_t id;
	double *x;
	double reserved;
	double cap;              /* most it may be charged; NaN: no cap */
	double t_start;          /* monotonic */
	double started_at;       /* unix */
	char *params_json;       /* for the trial record */
	char *folder;
	char *result_path;
	bo_report report;
	char *kill_reason;       /* why we stopped it, or NULL */
	double kill_at;          /* monotonic time of SIGTERM, 0 if not sent */
	int killed_hard;
	double cost_now;         /* live cost at the last check: measured plus
				  * the usage its latest step reported */
	int pruned;              /* stopped by the pruner */
	double meas_now, meas_prev; /* measured part of cost_now (the cap's rate) */
	double cost_prev;
	double t_prev;
	char **argv;
	char **envp;
	int failed_io;
	double predicted;        /* the cost model's prediction at launch (anomaly stop); NaN: none */
	int exited;              /* reaped while an ask was in flight: finished after it */
	char *ckpt_dir;          /* fidelity: its configuration's checkpoint folder, or NULL */
	bo_unit_id unit;         /* its scenario, repeat and seed (runner/units.h) */
} job_ctx;

typedef struct runner {
	const bo_study *s;
	const bo_run_options *opt;
	bo_storage *st;
	bo_exec *ex;
	bo_sampler *sm;
	int64_t version, run_id;
	uint64_t seed;
	int parallel;
	double t0;               /* monotonic start of this session */
	double elapsed_before;   /* wall time of earlier sessions */
	double spent;
	int64_t ntrials, ncomplete, nfailed, npruned;
	bo_pruner *pr;           /* the study's pruner (never stops: pruner: none) */
	double best_score;
	double reserved;
	double *held_x;          /* asked, not launched (waiting for money), or NULL */
	double max_cost;
	double sum_wall;
	int64_t nfinished;       /* with a measured wall time */
	double price_wall, price_cpu, price_mem;
	double timeout_s;        /* per-trial: min of evaluator timeout and cap */
	job_ctx **jobs;
	size_t njobs, capjobs;
	int stop_launch;
	int waiting;             /* a "wait" event was recorded for this episode */
	int interrupt_seen;
	char stop_reason[256];
	char ledger_path[PATH_MAX];
	int lock_fd;             /* the ledger's lock, shared (bo__ledger_lock) */
	char trials_dir[PATH_MAX];
	char host[256];
	double last_heartbeat;
	double last_police;       /* monotonic time of the last police_jobs pass */
	double last_tick;
	char *crash_point;
	long crash_count;
	int group;               /* files group-readable (storage_access: group) */
	int record_sync;         /* fsync trial records: the ledger is SQLite */
	bo_run_summary sum;
	bo_worker *w;            /* worker: one of several on a PostgreSQL study, else NULL */
	bo_safeguards guard;     /* spend rate, alerts, anomaly stop, limits (runner/safeguards.h) */
	double last_predicted;   /* the cost model's prediction at the last reservation */
	bo_asker *asker;         /* the sampler's asks, off this thread (runner/asker.h) */
	job_ctx **exited;        /* reaped during an ask, in the order they ended */
	size_t nexited, capexited;
	bo_fidelity *fid;        /* fidelity: the rungs' schedule (runner/fidelity.c), or NULL */
	bo_bohb *bohb;           /* fidelity with sampler tpe or auto: BOHB's proposals, or NULL */
	bo_fid_next held_fid;    /* fidelity: what held_x was asked for */
	int has_held_fid;
	bo_units *units;         /* scenarios x repeats per configuration (runner/units.h) */
	bo_study **views;        /* the study under each scenario, or NULL: only "default" */
	int held_unit;           /* held_x is a unit of a configuration already launched */
	int64_t held_tok;        /* ... its token (bo__units_next) */
	bo_unit_id held_id;
} runner;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Test hook: kill -9 ourselves the n-th time point p is reached. */
static void crash_point(runner *r, const char *p)
{
	if (!r->crash_point || strcmp(r->crash_point, p))
		return;
	if (--r->crash_count <= 0)
		kill(getpid(), SIGKILL);
}

static int is_money_limited(const runner *r)
{
	return isfinite(r->s->budget.money);
}

static double elapsed(const runner *r)
{
	return r->elapsed_before + (mono_now() - r->t0);
}

static void note(runner *r, const char *fmt, ...) BO__PRINTF(2, 3);

static double overrun(const runner *r);

static void fill_progress(runner *r, bo_run_progress *p, int kind)
{
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->ntrials = r->ntrials;
	p->complete = r->ncomplete;
	p->failed = r->nfailed;
	p->running = (int64_t)r->njobs;
	p->spent = r->spent;
	p->reserved = r->reserved + overrun(r);   /* what running trials hold */
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

static void note(runner *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	bo_run_progress p;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!r->opt->progress)
		return;
	fill_progress(r, &p, BO_PROGRESS_NOTE);
	p.message = msg;
	r->opt->progress(r->opt->progress_ud, &p);
}

static int event(runner *r, int64_t trial, const char *kind, double amount, const char *fmt, ...)
	BO__PRINTF(5, 6);

static int event(runner *r, int64_t trial, const char *kind, double amount, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return r->st->ops->event(r->st, r->run_id, trial, kind, amount, detail, wall_now());
}

static void stop_launching(runner *r, const char *kind, const char *fmt, ...) BO__PRINTF(3, 4);

static void stop_launching(runner *r, const char *kind, const char *fmt, ...)
{
	va_list ap;
	if (r->stop_launch)
		return;
	va_start(ap, fmt);
	vsnprintf(r->stop_reason, sizeof r->stop_reason, fmt, ap);
	va_end(ap);
	r->stop_launch = 1;
	event(r, 0, kind, NAN, "%s", r->stop_reason);
	note(r, "%s", r->stop_reason);
}

/* Safeguards report through these (runner/safeguards.h). */
static void guard_event(void *ud, int64_t trial, const char *kind, double amount, const char *detail)
{
	event(ud, trial, kind, amount, "%s", detail);
}

static void guard_note(void *ud, const char *msg)
{
	note(ud, "%s", msg);
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
 * (NaN: none; a clamped charge is recorded as a "cap_clamped" event with
 * the price). *uncapped gets the price before the cap. */
static double charge_for(runner *r, int64_t id, const bo_kv *usage, size_t n, double cap,
			 double *uncapped)
{
	double price = bo__pricebook_cost(&r->s->prices, usage, n);
	double cost = isfinite(cap) && !(price <= cap) ? cap : price;
	*uncapped = price;
	if (isfinite(cap) && cost != price)
		event(r, id, "cap_clamped", price, "trial %lld priced at %.6g, charged its money cap %.6g",
		      (long long)id, price, cost);
	return cost;
}

/* ---- building a trial's command --------------------------------------- */

static void free_strv(char **v)
{
	size_t i;
	if (!v)
		return;
	for (i = 0; v[i]; i++)
		bo__free(v[i]);
	bo__free(v);
}

static int strv_push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return BO_ENOMEM;
	if (bo__grow(v, cap, *n + 2, sizeof **v) < 0) {
		bo__free(s);
		return BO_ENOMEM;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}


/* Substitutes {name} placeholders in one argument ({{ and }} are braces).
 * With shell: true the value is never written into the command: the
 * placeholder becomes a quoted reference to the environment variable
 * holding it, so the shell never parses a value as code. */
static char *substitute(const bo_study *s, const double *x, const bo_unit_id *u, const char *arg,
			int shell)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	const char *p = arg;
	char buf[256];
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			bo__sb_putc(&sb, '{');
			p += 2;
		} else if (p[0] == '}' && p[1] == '}') {
			bo__sb_putc(&sb, '}');
			p += 2;
		} else if (p[0] == '{') {
			const char *end = strchr(p, '}');
			char name[256];
			int idx;
			size_t len = end ? (size_t)(end - p - 1) : 0;
			if (!end || len >= sizeof name) {
				bo__sb_putc(&sb, *p++);
				continue;
			}
			memcpy(name, p + 1, len);
			name[len] = '\0';
			idx = bo__study_find_param(s, name);
			if (idx < 0 && bo__unit_placeholder(u, name, shell, buf, sizeof buf)) {
				bo__sb_puts(&sb, buf);   /* {scenario}, {repeat}, {seed} */
			} else if (idx < 0) {
				bo__sb_add(&sb, p, len + 2);
			} else if (shell) {
				size_t k;
				bo__sb_puts(&sb, "\"${BUDGETOPT_PARAM_");
				for (k = 0; name[k]; k++)
					bo__sb_putc(&sb, (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32 : name[k]));
				bo__sb_puts(&sb, "}\"");
			} else {
				bo__param_format(&s->params[idx], x[idx], buf, sizeof buf);
				bo__sb_puts(&sb, buf);
			}
			p = end + 1;
		} else {
			bo__sb_putc(&sb, *p++);
		}
	}
	return bo__sb_take(&sb);
}

static int build_argv(const bo_study *s, const double *x, const bo_unit_id *u, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;
	const bo_evaluator *ev = &s->evaluator;
	if (ev->shell) {
		if ((rc = strv_push(&v, &n, &cap, bo__strdup("/bin/sh"))) < 0 ||
		    (rc = strv_push(&v, &n, &cap, bo__strdup("-c"))) < 0)
			goto done;
		/* The reader keeps a shell command as one string. */
		if ((rc = strv_push(&v, &n, &cap, substitute(s, x, u, ev->argv[0], 1))) < 0 ||
		    (rc = strv_push(&v, &n, &cap, bo__strdup("budgetopt-evaluator"))) < 0)
			goto done;
	} else {
		for (i = 0; i < ev->argc; i++)
			if ((rc = strv_push(&v, &n, &cap, substitute(s, x, u, ev->argv[i], 0))) < 0)
				goto done;
	}
done:
	if (rc < 0) {
		free_strv(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

static char *env_pair(const char *k, const char *v)
{
	bo_strbuf sb = BO_STRBUF_INIT;
	bo__sb_puts(&sb, k);
	bo__sb_putc(&sb, '=');
	bo__sb_puts(&sb, v);
	return bo__sb_take(&sb);
}

/* BUDGETOPT_FIDELITY: the trial's fidelity as a share of the highest
 * rung's (1 without fidelity: or on the top rung). */
static const char *fidelity_share(const runner *r, const double *x, char *buf, size_t size)
{
	const bo_fidelity_spec *f = &r->s->fidelity;
	if (!r->fid || !(f->max > 0) || isnan(x[f->param]))
		return "1";
	snprintf(buf, size, "%.17g", x[f->param] / f->max);
	return buf;
}

static int build_env(runner *r, const job_ctx *j, const char *pjson, char ***out)
{
	const bo_study *s = r->s;
	char **v = NULL;
	size_t n = 0, cap = 0, i;
	char buf[256], key[300];
	int rc = 0;
	for (i = 0; environ && environ[i]; i++) {
		if (!strncmp(environ[i], "BUDGETOPT_", 10))
			continue;     /* ours are set below; never inherit stale ones */
		if ((rc = strv_push(&v, &n, &cap, bo__strdup(environ[i]))) < 0)
			goto done;
	}
	snprintf(buf, sizeof buf, "%lld", (long long)j->id);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_TRIAL_ID", buf))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_STUDY", s->name))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_LEDGER", r->ledger_path))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_TRIAL_DIR", j->folder))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_RESULT", j->result_path))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_PARAMS", pjson))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_SCENARIO", j->unit.scenario))) < 0 ||
	    (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_FIDELITY", fidelity_share(r, j->x, buf, sizeof buf)))) < 0)
		goto done;
	if (j->ckpt_dir && (rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_CHECKPOINT_DIR", j->ckpt_dir))) < 0)
		goto done;
	snprintf(buf, sizeof buf, "%lld", (long long)j->unit.repeat);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_REPEAT", buf))) < 0)
		goto done;
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)j->unit.seed);
	if ((rc = strv_push(&v, &n, &cap, env_pair("BUDGETOPT_SEED", buf))) < 0)
		goto done;
	for (i = 0; i < s->nparams; i++) {
		if (isnan(j->x[i]))
			continue;
		bo__param_env_name(s->params[i].name, key, sizeof key);
		bo__param_format(&s->params[i], j->x[i], buf, sizeof buf);
		if ((rc = strv_push(&v, &n, &cap, env_pair(key, buf))) < 0)
			goto done;
	}
	for (i = 0; i < s->evaluator.nenv; i++)
		if ((rc = strv_push(&v, &n, &cap, bo__strdup(s->evaluator.env[i]))) < 0)
			goto done;
done:
	if (rc < 0) {
		free_strv(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;
	size_t len = strlen(path);
	if (len >= sizeof tmp)
		return bo__error(BO_EIO, "%s: path too long", path);
	memcpy(tmp, path, len + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return bo__error(BO_EIO, "cannot create folder %s: %s", tmp, strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return bo__error(BO_EIO, "cannot create folder %s: %s", tmp, strerror(errno));
	return 0;
}

/* ---- jobs ------------------------------------------------------------ */

static void job_free(job_ctx *j)
{
	if (!j)
		return;
	bo__free(j->x);
	bo__free(j->params_json);
	bo__free(j->folder);
	bo__free(j->result_path);
	bo__free(j->ckpt_dir);
	bo__report_clear(&j->report);
	bo__free(j->kill_reason);
	free_strv(j->argv);
	free_strv(j->envp);
	bo__free(j);
}

static job_ctx *find_job(runner *r, bo_job *job)
{
	size_t i;
	for (i = 0; i < r->njobs; i++)
		if (r->jobs[i]->job == job)
			return r->jobs[i];
	return NULL;
}

static void remove_job(runner *r, job_ctx *j)
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

static void on_line(void *ud, bo_job *job, const char *line, size_t len, int too_long)
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
	event(r, j->id, kind, j->cost_now, "trial %lld stopped: %s", (long long)j->id, why);
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

/* ---- launching ------------------------------------------------------- */


/* What running trials hold beyond their reservations, by their live cost
 * (bo__reserve_held; only trials without a cap can pass theirs): the money
 * left for a new reservation is what the spend, the reservations (r->reserved,
 * for a worker every worker's) and this leave. */
static double overrun(const runner *r)
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

/* ---- worker: several on one PostgreSQL study (runner/worker.h) -------- */

/* The shared state replaces this process's own counts before a decision. */
static int worker_sync(runner *r)
{
	int rc = bo__worker_sync(r->w, r->st);
	if (rc < 0)
		return rc;
	r->spent = r->w->sync.spent;
	r->reserved = r->w->sync.reserved;
	r->ntrials = r->w->sync.ntrials;
	return 0;
}

static double worker_limit(const runner *r)
{
	return is_money_limited(r) ? r->s->budget.money * (1.0 + MONEY_EPS) : NAN;
}

/* What the budget row's refusal means: wait while others hold
 * reservations, else the money is spent. */
static void worker_refused(runner *r, double reserve)
{
	r->w->refused = 1;
	if (r->njobs == 0 && r->w->sync.reserved <= 0 && r->w->sync.nrunning == 0)
		stop_launching(r, "budget_stop",
			       "money budget reached: %.6g %s left, the next trial needs a reservation of %.6g",
			       r->s->budget.money - r->w->sync.spent, r->s->prices.currency, reserve);
}

typedef struct claim_arg {
	runner *r;
	bo_trial_rec t;
} claim_arg;

static int do_claim(void *arg)
{
	claim_arg *a = arg;
	return bo__pg_claim_queued(a->r->st, &a->t, worker_limit(a->r));
}

/* Claims a queued configuration into x: *id its trial, 0 when none. Its
 * reservation comes before its configuration is known (the claim takes it
 * under the budget row's lock), so it follows the rule without a
 * prediction (runner/reserve.h), into *ro. Returns 0, BO_DONE (the budget
 * row refused it: r->w->refused), or an error. */
static int worker_claim(runner *r, double *x, bo_reserve_out *ro, int64_t *id)
{
	const bo_budget *b = &r->s->budget;
	bo_reserve_in in;
	claim_arg a;
	double reserve;
	int rc;
	*id = 0;
	r->w->refused = 0;
	if (r->w->sync.nqueued <= 0)
		return 0;
	memset(&in, 0, sizeof in);
	in.budget = b;
	in.left = b->money - r->spent - r->reserved - overrun(r);
	in.slots = (int64_t)r->parallel - (int64_t)r->njobs;
	in.running = (int64_t)r->njobs;
	in.nfinished = r->nfinished;
	in.max_cost = r->max_cost;
	in.predicted = NAN;
	reserve = bo__reserve_for(&in, ro) == BO_RESERVE_OK ? ro->reserve : ro->need;
	ro->reserve = reserve;
	snprintf(ro->basis, sizeof ro->basis, "a configuration queued again: %.160s",
		 ro->basis[0] ? ro->basis : "the rule without a prediction");
	memset(&a, 0, sizeof a);
	a.r = r;
	a.t.run_id = r->run_id;
	a.t.reserved = reserve;
	a.t.started_at = wall_now();
	a.t.host = r->host;
	rc = bo__worker_retry(r->w, do_claim, &a, "claiming a queued trial");
	if (rc == 0) {
		bo__worker_params(r->s, a.t.params, a.t.nparams, x);
		*id = a.t.id;
		note(r, "trial %lld: a configuration queued again after its worker died", (long long)*id);
	} else if (rc == BO_DONE && r->w->sync.spent + r->w->sync.reserved + reserve >
					    worker_limit(r)) {
		worker_refused(r, reserve);
	}
	bo__free(a.t.params_json);
	bo__kv_free(a.t.params, a.t.nparams);
	if (rc == BO_DONE)
		return r->w->refused ? BO_DONE : 0;
	return rc;
}

typedef struct insert_arg {
	runner *r;
	bo_trial_rec *t;
} insert_arg;

static int do_insert(void *arg)
{
	insert_arg *a = arg;
	return bo__pg_trial_insert(a->r->st, a->t, worker_limit(a->r), a->r->s->budget.trials);
}

/* Inserts and reserves under the budget row's lock: BO_DONE when the
 * money of all workers together would pass the budget, or the trial
 * budget is reached (another worker started a trial since the last sync;
 * the next decision, which syncs, stops). */
static int worker_insert(runner *r, bo_trial_rec *t)
{
	insert_arg a;
	int rc;
	a.r = r;
	a.t = t;
	rc = bo__worker_retry(r->w, do_insert, &a, "starting a trial");
	if (rc == BO_DONE) {
		if (r->s->budget.trials > 0 && worker_sync(r) == 0 && r->ntrials >= r->s->budget.trials)
			r->w->refused = 1;
		else
			worker_refused(r, t->reserved);
	}
	return rc;
}

typedef struct finish_arg {
	runner *r;
	const bo_trial_rec *t;
} finish_arg;

static int do_finish(void *arg)
{
	finish_arg *a = arg;
	return a->r->st->ops->trial_finish(a->r->st, a->t);
}

/* Commits a finished trial, waiting for the database if it is away. A
 * trial that is no longer running was committed by an earlier try whose
 * reply was lost, or failed as orphaned by another worker while this one
 * was cut off: charged already, never twice. */
static int worker_finish(runner *r, const bo_trial_rec *t)
{
	finish_arg a;
	int rc;
	a.r = r;
	a.t = t;
	rc = bo__worker_retry(r->w, do_finish, &a, "recording a finished trial");
	if (rc == BO_ECONFLICT) {
		note(r, "trial %lld was already final in the ledger (%s); not charged again",
		     (long long)t->id, bo_error_last());
		rc = 0;
	}
	return rc;
}

static double reap_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap)
{
	double uncapped;
	return charge_for(ud, id, usage, n, cap, &uncapped);
}

/* Fails the trials of workers whose heartbeat stopped, once this worker
 * has itself seen the database for a whole timeout (after an outage
 * every worker's heartbeat is old, and none is dead for that). */
static void worker_reap(runner *r)
{
	int64_t n = 0;
	if (r->w->down || mono_now() - r->w->db_ok_since < r->w->o.heartbeat_timeout_s)
		return;
	if (bo__pg_reap(r->st, wall_now(), r->w->o.heartbeat_timeout_s, reap_charge, r, &n) < 0)
		note(r, "failing orphaned trials: %s (tried again at the next heartbeat)", bo_error_last());
	else if (n > 0) {
		r->sum.orphans += n;
		note(r, "failed %lld trial(s) of workers that stopped sending heartbeats; their "
			"configurations are queued again", (long long)n);
	}
}

/* A running trial without a cap whose live cost passed its reservation
 * holds that money (overrun() counts it for this worker's launches); the
 * other workers see only the budget row, so the trial's reservation there
 * is raised to it (bo__pg_trial_hold), by steps of at least 2% to keep
 * the writes few. A failed write is tried again at the next heartbeat. */
static void worker_hold(runner *r, job_ctx *j)
{
	double held = bo__reserve_held(j->reserved, j->cost_now), now = NAN;
	if (r->w->down || isfinite(j->cap) || !(held > j->reserved * 1.02 + 1e-12))
		return;
	if (bo__pg_trial_hold(r->st, j->id, r->run_id, held, &now) < 0) {
		note(r, "trial %lld: holding its live cost %.6g: %s (tried again at the next heartbeat)",
		     (long long)j->id, held, bo_error_last());
		return;
	}
	if (isfinite(now) && now > j->reserved) {
		r->reserved += now - j->reserved;
		j->reserved = now;
	}
}

static void worker_note(void *ud, const char *msg)
{
	note(ud, "%s", msg);
}

/* The checks that need no proposal: the trial and time budgets. */
static int launch_decision(runner *r)
{
	const bo_budget *b = &r->s->budget;
	if (r->stop_launch)
		return LAUNCH_STOP;
	if (r->w && worker_sync(r) < 0)
		return LAUNCH_STOP;
	if (b->trials > 0 && r->ntrials >= b->trials && !(r->w && r->w->sync.nqueued > 0)) {
		stop_launching(r, "budget_stop", "trial budget reached (%lld trials)", (long long)b->trials);
		return LAUNCH_STOP;
	}
	if (isfinite(b->time_s) && elapsed(r) >= b->time_s) {
		stop_launching(r, "budget_stop", "time budget reached (%g s)", b->time_s);
		return LAUNCH_STOP;
	}
	/* No cap and no cost known: the first trial runs alone (asking
	 * before it could be launched would only hold a proposal). */
	if (is_money_limited(r) && !isfinite(b->trial_money) && r->nfinished == 0 &&
	    running_anywhere(r) > 0)
		return launch_wait(r);
	return LAUNCH_OK;
}

/* The reservation of proposal x (runner/reserve.c): from the cost model's
 * prediction for x; when the money left cannot fit it and nothing runs, a
 * cheaper configuration near it replaces it (x is overwritten). Returns
 * LAUNCH_OK with *ro set, LAUNCH_WAIT (x is kept for the next try),
 * LAUNCH_STOP, or an error. */
static int reserve_proposal(runner *r, int64_t number, double *x, bo_reserve_out *ro)
{
	const bo_budget *b = &r->s->budget;
	bo_reserve_in in;
	char model[160];
	int v, rc = LAUNCH_OK;

	memset(&in, 0, sizeof in);
	in.budget = b;
	in.left = b->money - r->spent - r->reserved - overrun(r);
	in.slots = (int64_t)r->parallel - (int64_t)r->njobs;
	if (b->trials > 0 && b->trials - r->ntrials < in.slots)
		in.slots = b->trials - r->ntrials;
	in.running = running_anywhere(r);
	in.nfinished = r->nfinished;
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
				event(r, 0, "wait", ro->need,
				      "next trial (reservation %.6g: %s) waits for running trials: %.6g left after reservations",
				      ro->need, ro->basis, in.left);
			}
			rc = launch_wait(r);
		} else {
			stop_launching(r, "budget_stop",
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
	else if (r->bohb) {
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
		return event(r, j->id, "promote", fn->value,
			     "trial %lld promotes configuration %lld from trial %lld to rung %d (%s = %g)",
			     (long long)j->id, (long long)fn->config, (long long)fn->parent, fn->rung,
			     s->params[s->fidelity.param].name, fn->value);
	return 0;
}

/* Asks for trial number r->ntrials (or takes the proposal held since a
 * wait), reserves its cost and launches it. Returns LAUNCH_OK (launched),
 * LAUNCH_WAIT, LAUNCH_STOP, or an error. */
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

static int launch_one(runner *r)
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
	double *ux = NULL;       /* units: the configuration as it must run */
	bo_fid_next fn;

	memset(&rec, 0, sizeof rec);
	j = bo__calloc(1, sizeof *j);
	if (!j)
		return BO_ENOMEM;
	bo__report_init(&j->report);
	memset(&fn, 0, sizeof fn);
	fn.kind = -1;            /* not a fidelity trial */
	/* units: a configuration's remaining units launch before any new one */
	if (!r->held_x && r->units && (rc = units_hold_next(r)) < 0)
		goto done;
	utok = -1;
	bo__unit_id_of(s, 0, 0, &j->unit);
	if (r->held_x && r->held_unit) {
		utok = r->held_tok;
		j->unit = r->held_id;
	}
	r->held_unit = 0;
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
				if (r->w && (rc = worker_claim(r, j->x, &ro, &claimed)) != 0)
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
		if (rc == BO_DONE) {
			stop_launching(r, "sampler_stop", "%s", bo_error_last());
			rc = LAUNCH_STOP;
			goto done;
		}
		if (rc < 0)
			goto done;
		if (!claimed && (rc = bo__guard_limits(&r->guard, number, j->x)) == BO_DONE) {
			stop_launching(r, "limit_stop", "%s", bo_error_last());
			rc = LAUNCH_STOP;
			goto done;
		} else if (rc < 0)
			goto done;
	}
	if (utok >= 0) {
		/* a unit runs its configuration as it is (the reservation must not
		 * swap in a cheaper one), or not now */
		if (!(ux = bo__calloc(s->nparams ? s->nparams : 1, sizeof *ux))) {
			rc = BO_ENOMEM;
			goto done;
		}
		memcpy(ux, j->x, s->nparams * sizeof *ux);
	}
	if (!claimed && (rc = reserve_proposal(r, number, j->x, &ro)) == LAUNCH_OK && !r->w &&
	    !bo__guard_rate_ok(&r->guard, ro.need, r->njobs, wall_now())) {
		struct timespec nap = {0, WAIT_SLICE_MS * 1000000L};
		if (r->njobs == 0)
			nanosleep(&nap, NULL);   /* nothing to wait on but the clock */
		rc = LAUNCH_WAIT;
	}
	if (ux && rc == LAUNCH_OK && memcmp(ux, j->x, s->nparams * sizeof *ux) != 0) {
		memcpy(j->x, ux, s->nparams * sizeof *ux);
		if (running_anywhere(r) > 0) {
			rc = launch_wait(r);
		} else {
			stop_launching(r, "budget_stop", "money budget reached: %.6g %s left does not fit "
				       "the next unit of trial %lld's configuration",
				       s->budget.money - r->spent, s->prices.currency, (long long)number);
			rc = LAUNCH_STOP;
		}
	}
	if (!claimed && rc != LAUNCH_OK) {
		if (rc == LAUNCH_WAIT) {
			r->held_x = j->x;   /* the same proposal, once money frees */
			j->x = NULL;
			r->held_unit = utok >= 0;
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
	rec.sampler = (char *)bo__sampler_name(r->sm);
	rec.params_json = pjson;
	rec.nparams = 0;
	rec.params = bo__calloc(s->nparams ? s->nparams : 1, sizeof *rec.params);
	if (!rec.params) {
		rc = BO_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->nparams; i++) {
		if (isnan(j->x[i]))
			continue;
		rec.params[rec.nparams].name = s->params[i].name;
		rec.params[rec.nparams].value = j->x[i];
		rec.nparams++;
	}
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
		if ((rc = worker_insert(r, &rec)) != 0)
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
	if (r->units && (rc = bo__units_launched(r->units, utok, j->x, j->id)) < 0)
		goto done;
	if (bo__sampler_reason(r->sm))
		event(r, j->id, "sampler", NAN, "trial %lld: auto uses %s", (long long)j->id,
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
		if (e == ENOENT && (rc = mkdir_p(j->folder, r->group ? 0750 : 0700)) < 0)
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
	if ((rc = build_argv(s, j->x, &j->unit, &j->argv)) < 0 || (rc = build_env(r, j, pjson, &j->envp)) < 0)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.argv = j->argv;
	spec.envp = j->envp;
	spec.workdir = s->evaluator.workdir ? s->evaluator.workdir : s->dir;
	spec.log_dir = j->folder;
	spec.on_line = on_line;
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
		bo__exec_status(j->job, &st);
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
	job_free(j);
	bo__free(ux);
	bo__free(rec.params);
	bo__free(pjson);
	/* a worker refused by the budget row (BO_DONE): LAUNCH_WAIT */
	return rc == BO_DONE ? LAUNCH_WAIT : rc;
}

/* ---- finishing ------------------------------------------------------- */

/* Tells the sampler how trial id ended; with several units per
 * configuration, once per configuration when its last unit ends, with the
 * mean over its complete units (runner/units.h). */
static int units_tell(runner *r, int64_t id, const double *x, int state, const double *m,
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
static int pruner_finish(runner *r, int64_t id, int state, const bo_kv *metrics, size_t n,
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

static void update_best(runner *r, double score, int feasible)
{
	int goal = r->s->score_goal ? r->s->score_goal : 1;
	if (!feasible || isnan(score))
		return;
	if (isnan(r->best_score) || (goal > 0 ? score > r->best_score : score < r->best_score))
		r->best_score = score;
}


static int finish_job(runner *r, job_ctx *j)
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
		int sk = r->views ? bo__scenario_find(s, j->unit.scenario) : -1;
		ctx.study = sk >= 0 ? r->views[sk] : s;
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
	cost = charge_for(r, j->id, usage, nusage, j->cap, &uncapped);
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
	crash_point(r, "collected");
	if (r->w)
		rc = worker_finish(r, &rec);
	else
		rc = r->st->ops->trial_finish(r->st, &rec);
	if (rc < 0)
		goto done;
	crash_point(r, "committed");
	rec.params_json = j->params_json;
	rec.started_at = j->started_at;
	if ((rc = bo__trial_record_write(j->folder, &rec, r->group ? 0640 : 0600,
					  r->record_sync)) < 0)
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
	update_best(r, rec.score, rec.feasible == 1);
	if ((rc = bo__guard_trial_done(&r->guard, j->id, j->x, rec.state, rec.score, rec.feasible == 1)) < 0)
		goto done;
	if (r->w && (rc = bo__worker_mark(r->w, j->id)) < 0)
		goto done;
	if ((rc = units_tell(r, j->id, j->x, rec.state, mvals, cost)) < 0)
		goto done;
	if (r->fid && (rc = bo__fidelity_finished(r->fid, j->id,
						   bo__fidelity_rank_value(s, rec.state, rec.feasible, rec.score,
									   metrics, nmetrics))) < 0)
		goto done;
	if (r->bohb && (rc = bo__bohb_observe(r->bohb, j->id, j->x, mvals, rec.state, cost)) < 0)
		goto done;
	if ((rc = pruner_finish(r, j->id, rec.state, metrics, nmetrics, cost)) < 0)
		goto done;
	if (r->opt->progress) {
		bo_run_progress p;
		remove_job(r, j);
		fill_progress(r, &p, BO_PROGRESS_TRIAL_DONE);
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
static void heartbeat_usage(runner *r, job_ctx *j)
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

/* ---- orphans (runner/orphans.c) ------------------------------------- */

static double orphan_charge(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap,
			    double *uncapped)
{
	return charge_for(ud, id, usage, n, cap, uncapped);
}

static void orphan_recovered(void *ud, int64_t id, double cost, int nkilled)
{
	runner *r = ud;
	event(r, id, "orphan", cost, "trial %lld recovered from a dead runner%s; charged %.6g",
	      (long long)id, nkilled ? " (its processes were still running and were stopped)" : "",
	      cost);
	r->sum.orphans++;
	note(r, "recovered trial %lld, orphaned by a runner that died; charged %.6g %s",
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
	if ((rc = build_argv(s, j->x, &j->unit, &j->argv)) < 0 ||
	    (rc = bo__grow(&r->jobs, &r->capjobs, r->njobs + 1, sizeof *r->jobs)) < 0)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.argv = j->argv;
	spec.log_dir = j->folder;
	spec.on_line = on_line;
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
	note(r, "trial %lld: its Slurm job %lld outlived the runner that submitted it; following it again",
	     (long long)t->id, (long long)st.slurm_job);
	return 1;
done:
	job_free(j);
	return rc;
}

static int recover_orphans(runner *r)
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

/* Counts what earlier sessions did and tells the sampler, in trial order. */
/* A resumed study: the pruner reads the learning curves of the finished
 * trials (t, n: every trial, by id) from the ledger, as they were
 * reported, so median, ASHA and Hyperband go on from where they were. */
static int replay_steps(runner *r, const bo_trial_rec *t, size_t nt)
{
	const bo_pruner_spec *ps = &r->s->pruner;
	bo_step_row *rows = NULL;
	size_t n = 0, i = 0, k = 0, m;
	double v[64];
	int rc = 0;
	if (!r->pr || ps->kind == BO_PRUNER_NONE || ps->nmetrics > 64 || !r->st->ops->steps)
		return 0;
	if ((rc = r->st->ops->steps(r->st, &rows, &n)) < 0)
		return rc;
	while (i < n && rc == 0) {
		int64_t id = rows[i].trial_id, step = rows[i].step;
		size_t j = i;
		for (m = 0; m < ps->nmetrics; m++)
			v[m] = NAN;
		for (; j < n && rows[j].trial_id == id && rows[j].step == step; j++)
			for (m = 0; m < ps->nmetrics; m++)
				if (!strcmp(rows[j].name, ps->metrics[m]))
					v[m] = rows[j].value;
		while (k < nt && t[k].id < id)
			k++;
		if (k < nt && t[k].id == id &&
		    (t[k].state == BO_TRIAL_COMPLETE || t[k].state == BO_TRIAL_PRUNED || t[k].state == BO_TRIAL_FAILED))
			rc = bo__pruner_replay(r->pr, id, step, v);
		i = j;
	}
	bo__step_rows_free(rows, n);
	return rc;
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
	return bo__fidelity_finished(r->fid, t->id,
				     bo__fidelity_rank_value(r->s, t->state, t->feasible, t->score,
							     t->metrics, t->nmetrics));
}

static int load_history(runner *r)
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
		if (!r->w && (t[i].state == BO_TRIAL_COMPLETE || t[i].state == BO_TRIAL_FAILED ||
			      t[i].state == BO_TRIAL_PRUNED)) {
			if ((rc = units_tell(r, t[i].id, x, t[i].state, m, t[i].cost)) < 0)
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
		    (rc = pruner_finish(r, t[i].id, t[i].state, t[i].metrics, t[i].nmetrics, t[i].cost)) < 0)
			goto done;
		if (isfinite(t[i].cost))
			r->max_cost = fmax(r->max_cost, t[i].cost);
		if (isfinite(w)) {
			r->sum_wall += w * 3600.0;
			r->nfinished++;
		}
		update_best(r, t[i].score, t[i].feasible == 1);
	}
	rc = 0;
done:
	bo__trial_rec_free_array(t, n);
	bo__free(x);
	bo__free(m);
	return rc;
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
	rc = finish_job(r, j);
	remove_job(r, j);
	bo__exec_release(r->ex, j->job);
	job_free(j);
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
		if ((!strcmp(s->sampler, "tpe") || !strcmp(s->sampler, "auto")) &&
		    (rc = bo__bohb_new(&r->bohb, s, r->fid, r->seed)) < 0)
			goto done;
	}
	if ((rc = bo__sampler_new(&r->sm, s, s->sampler, r->seed)) < 0 ||
	    (rc = bo__asker_new(&r->asker, r->sm, s->nparams)) < 0)
		goto done;
	if ((rc = units_setup(r)) < 0)
		goto done;
	event(r, 0, "run_start", NAN, "run %lld: seed %llu, sampler %s, parallel %d, %s %s",
	      (long long)r->run_id, (unsigned long long)r->seed, bo__sampler_name(r->sm), r->parallel,
	      s->evaluator.executor == BO_EXECUTOR_SLURM ? "executor" : "containment",
	      s->evaluator.executor == BO_EXECUTOR_SLURM
		      ? "slurm"
		      : bo__exec_contain_name(bo__exec_contain_mode(r->ex)));
	/* A worker's dead peers are found by their heartbeats (worker_reap);
	 * the local recovery assumes one runner holds the study. */
	if (!r->w && (rc = recover_orphans(r)) < 0)
		goto done;
	crash_point(r, "recovered");
	if ((rc = r->st->ops->totals(r->st, &tot)) < 0)
		goto done;
	r->spent = tot.spent;
	r->ntrials = tot.ntrials;
	r->elapsed_before = tot.elapsed_s - (mono_now() - r->t0);
	if (r->elapsed_before < 0)
		r->elapsed_before = 0;
	if ((rc = load_history(r)) < 0)
		goto done;
	{
		bo_guard_cb cb = {r, guard_event, guard_note};
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
			stop_launching(r, "interrupt",
				       "interrupted: no new trials; %zu running will finish (interrupt again to stop them)",
				       r->njobs);
		}
		police_jobs(r);
		if ((rc = flush_exited(r)) < 0)
			goto done;
		/* rollback: every: the incumbent's re-evaluation is the next
		 * launch (not while a proposal for that number is pending) */
		if (!r->held_x && !r->w && !bo__asker_pending(r->asker) &&
		    (rc = bo__guard_reeval_due(&r->guard, r->ntrials, &r->held_x)) < 0)
			goto done;
		while (r->njobs < (size_t)r->parallel && (d = launch_decision(r)) == LAUNCH_OK) {
			if ((rc = launch_one(r)) < 0)
				goto done;
			if (rc != LAUNCH_OK || r->stop_launch || (r->w && r->w->refused))
				break;
		}
		rc = 0;
		if (r->w && r->w->refused && r->njobs == 0 && !r->stop_launch) {
			/* worker: others' reservations may come back */
			struct timespec nap = {0, WAIT_SLICE_MS * 1000000L};
			nanosleep(&nap, NULL);
		}
		if (r->w)
			r->w->refused = 0;
		if (r->njobs == 0 && r->stop_launch && r->w && !r->interrupt_seen &&
		    worker_sync(r) == 0 && (r->w->sync.nrunning > 0 || r->w->sync.nqueued > 0)) {
			/* worker: others' trials still run; stay to fail them if
			 * their worker dies, and to run a configuration queued
			 * again. Looks again after one slice (one cheap read), not
			 * four: a study of short trials ends when its last worker
			 * sees that nothing runs (bench/scale) */
			struct timespec nap = {0, WAIT_SLICE_MS * 1000000L};
			nanosleep(&nap, NULL);
			if (r->w->sync.nqueued > 0)
				r->stop_launch = 0;
		} else if (r->njobs == 0 && r->stop_launch)
			break;
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
					heartbeat_usage(r, r->jobs[i]);
					if (r->w)
						worker_hold(r, r->jobs[i]);
				}
			if (r->w)
				worker_reap(r);
			crash_point(r, "heartbeat");
		}
		bo__guard_tick(&r->guard, now);
		if (r->opt->progress && now - r->last_tick >= (r->opt->tick_s > 0 ? r->opt->tick_s : 0.5)) {
			bo_run_progress p;
			r->last_tick = now;
			fill_progress(r, &p, BO_PROGRESS_TICK);
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
			job_free(r->jobs[i]);
		}
		r->njobs = 0;
		bo__exec_free(r->ex);
		r->ex = NULL;
		bo__error(rc, "%s", msg);
	}
	if (began) {
		char asks[128] = "";
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
		event(r, 0, "run_end", r->spent, "run %lld ended: %s%s", (long long)r->run_id,
		      rc < 0 ? bo_error_last() : r->stop_reason, asks);
		r->st->ops->run_end(r->st, r->run_id, wall_now());
	}
	bo__exec_free(r->ex);
	bo__asker_free(r->asker);   /* before the sampler it asks */
	bo__sampler_free(r->sm);
	bo__free(r->exited);
	bo__pruner_free(r->pr);
	bo__bohb_free(r->bohb);
	bo__fidelity_free(r->fid);
	bo__guard_clear(&r->guard, mono_now());
	bo__storage_close(r->st);
	bo__ledger_unlock(r->lock_fd);
	bo__free(r->jobs);
	bo__free(r->held_x);
	units_clear(r);
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
