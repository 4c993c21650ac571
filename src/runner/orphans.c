/*
 * runner/orphans.c - recovering the trials of a runner that died (see
 * orphans.h).
 *
 * A trial's processes are found without trusting its environment: its
 * cgroup holds every descendant; the stored pid and start time name the
 * evaluator (a reused pid never has the same start time); the process
 * group and session it led hold the children that did not leave them;
 * the environment marker (study, ledger and trial id) is the last resort
 * for processes that left all of these on a system without cgroups. The
 * descendants of all of them, followed through /proc, go too.
 *
 * Charge: what the evaluator reported last (an intermediate
 * {"step": k, "usage": {...}} line, or a final line that reached
 * stdout.log or result.json before the runner died), what the last
 * heartbeat stored, and what is measured now (time until now of a trial
 * still running, the CPU time of its cgroup), the largest of them per
 * resource, clamped at the per-trial cap with the real price recorded.
 *
 * Must never print or exit.
 */
#include "runner/orphans.h"
#include "runner/trial_record.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/error.h"
#include "exec/cgroup.h"
#include "exec/proc.h"
#include "runner/protocol.h"

#define RESULT_FILE_MAX (16u << 20)
#define LOG_READ_MAX (16u << 20)
/* Passes of find + kill: a fork racing a pass is caught by the next. */
#define KILL_PASSES 5
/* Clock slack when comparing a process's start with the trial's (s). */
#define START_SLACK_S 2.0
#define CGROUP_EMPTY_MS 5000

/* Whether /proc/<pid>/environ holds both entries a and b and c. */
static int env_marks(pid_t pid, const char *a, const char *b, const char *c)
{
	char path[64];
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int hits = 0;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	if (!(f = fopen(path, "rbe")))
		return 0;
	for (;;) {
		size_t got;
		if (bo__grow(&buf, &cap, n + 4096, 1) < 0)
			break;
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0 || n > (1u << 22))
			break;
	}
	fclose(f);
	for (size_t i = 0; buf && i < n;) {
		size_t len = strnlen(buf + i, n - i);
		hits += (len == strlen(a) && !memcmp(buf + i, a, len)) ||
			(len == strlen(b) && !memcmp(buf + i, b, len)) ||
			(len == strlen(c) && !memcmp(buf + i, c, len));
		i += len + 1;
	}
	bo__free(buf);
	return hits >= 3;
}

/* Finds and kills, once, the processes of trial t still alive. Returns
 * how many were killed; *cpu_s gets their CPU time. */
static size_t kill_pass(const bo_orphan_ctx *c, const bo_trial_rec *t, double boot, double *cpu_s)
{
	bo_proc *all = NULL;
	unsigned char *mark = NULL;
	size_t n = 0, killed = 0;
	long tck = sysconf(_SC_CLK_TCK);
	char ws[512], wl[4200], wt[64];
	pid_t me = getpid();

	*cpu_s = 0;
	if (bo__proc_snapshot(&all, &n) < 0 || !(mark = bo__calloc(n + 1, 1)))
		goto done;
	snprintf(ws, sizeof ws, "BUDGETOPT_STUDY=%s", c->s->name);
	snprintf(wl, sizeof wl, "BUDGETOPT_LEDGER=%s", c->ledger_path);
	snprintf(wt, sizeof wt, "BUDGETOPT_TRIAL_ID=%lld", (long long)t->id);
	for (size_t i = 0; i < n; i++) {
		const bo_proc *p = &all[i];
		double started = boot > 0 && tck > 0 ? boot + (double)p->start / (double)tck : NAN;
		/* Started after the trial did: a group or session led by a
		 * reused pid before the trial cannot be mistaken for its own. */
		int late = !isfinite(started) || t->started_at <= 0 ||
			   started >= t->started_at - START_SLACK_S;
		if (p->pid == me || p->state == 'Z')
			continue;
		if (t->pid > 0 && t->pid_start > 0 && p->pid == (pid_t)t->pid &&
		    p->start == (uint64_t)t->pid_start)
			mark[i] = 1;
		else if (t->pid > 0 && late && (p->pgid == (pid_t)t->pid || p->sid == (pid_t)t->pid))
			mark[i] = 1;
		else if (env_marks(p->pid, ws, wl, wt))
			mark[i] = 1;
	}
	bo__proc_descendants(all, n, mark);
	for (size_t i = 0; i < n; i++) {
		if (!mark[i] || all[i].pid == me || all[i].state == 'Z')
			continue;
		if (kill(all[i].pid, SIGKILL) == 0) {
			killed++;
			*cpu_s += all[i].cpu_s;
		}
	}
done:
	bo__free(all);
	bo__free(mark);
	return killed;
}

/* Sets usage[name] to at least v. */
static int at_least(bo_kv **kv, size_t *n, size_t *cap, const char *name, double v)
{
	if (!isfinite(v) || v < 0)
		return 0;
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*kv)[i].name, name)) {
			if (!((*kv)[i].value >= v))
				(*kv)[i].value = v;
			return 0;
		}
	}
	return bo__kv_push(kv, n, cap, name, v);
}

/* The usage the evaluator reported last, read back from its folder. */
static int reported_usage(const bo_trial_rec *t, bo_report *rep)
{
	char path[4200];
	int rc;
	if (!t->folder)
		return 0;
	snprintf(path, sizeof path, "%s/stdout.log", t->folder);
	if ((rc = bo__report_file(rep, path, LOG_READ_MAX)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/result.json", t->folder);
	return bo__report_file(rep, path, RESULT_FILE_MAX);
}

static int recover_one(const bo_orphan_ctx *c, bo_trial_rec *t, double boot)
{
	bo_report rep;
	bo_trial_rec f;
	size_t cap = t->nusage, killed = 0;
	double cpu_s = 0, cg_cpu = NAN, wall_h, cost, uncapped;
	const bo_kv *ru;
	size_t nru;
	char reason[600], clamp[200] = "";
	int rc = 0, alive_cg = 0;

	bo__report_init(&rep);
	if (t->cgroup && !strncmp(t->cgroup, "slurm:", 6)) {
		/* A Slurm job no runner took back (the study now runs locally):
		 * no cgroup of this machine. */
		bo__free(t->cgroup);
		t->cgroup = NULL;
	}
	if (!t->cgroup && t->folder) {
		/* Killed before it stored the path: the name is known. */
		char base[4096], name[64], path[4200];
		struct stat sb;
		bo__orphans_cgroup_name(t->folder, name, sizeof name);
		if (bo__cgroup_base(base, sizeof base) == 0 &&
		    (size_t)snprintf(path, sizeof path, "%s/%s", base, name) < sizeof path &&
		    stat(path, &sb) == 0 && !(t->cgroup = bo__strdup(path))) {
			rc = BO_ENOMEM;
			goto done;
		}
	}
	if (t->cgroup) {
		alive_cg = bo__cgroup_populated(t->cgroup) == 1;
		if (alive_cg) {
			bo__cgroup_kill(t->cgroup);
			bo__cgroup_wait_empty(t->cgroup, CGROUP_EMPTY_MS);
		}
		cg_cpu = bo__cgroup_cpu_s(t->cgroup);
		bo__cgroup_remove(t->cgroup);
	}
	for (int pass = 0; pass < KILL_PASSES; pass++) {
		double c_s;
		size_t k = kill_pass(c, t, boot, &c_s);
		if (k == 0)
			break;
		killed += k;
		cpu_s += c_s;
	}
	if (alive_cg && killed == 0)
		killed = 1;

	/* Usage: the larger, per resource, of stored, reported and measured. */
	if ((rc = reported_usage(t, &rep)) < 0)
		goto done;
	ru = rep.has_final ? rep.usage : rep.step_usage;
	nru = rep.has_final ? rep.nusage : rep.nstep_usage;
	for (size_t i = 0; i < nru; i++)
		if ((rc = at_least(&t->usage, &t->nusage, &cap, ru[i].name, ru[i].value)) < 0)
			goto done;
	wall_h = killed && t->started_at > 0 ? (bo__clock_wall() - t->started_at) / 3600.0 : 0;
	if ((rc = at_least(&t->usage, &t->nusage, &cap, "wall_hours", wall_h)) < 0 ||
	    (rc = at_least(&t->usage, &t->nusage, &cap, "cpu_hours",
			   fmax(isfinite(cg_cpu) ? cg_cpu : 0, cpu_s) / 3600.0)) < 0)
		goto done;

	/* The reservation is the cap the trial was launched under (the derived
	 * cap or per_trial.money); a study without a money budget has none. */
	cost = c->charge(c->ud, t->id, t->usage, t->nusage,
			 bo__budget_capped(&c->s->budget) ? t->reserved : NAN, &uncapped);
	if (cost < uncapped)
		snprintf(clamp, sizeof clamp, "; its usage is priced at %.6g, charged the per-trial cap %.6g",
			 uncapped, cost);
	if (killed)
		snprintf(reason, sizeof reason,
			 "orphaned: its runner died while it ran; %zu of its processes (evaluator pid %lld) were still running and were stopped, and the time until then charged%s",
			 killed, (long long)t->pid, clamp);
	else
		snprintf(reason, sizeof reason,
			 "orphaned: its runner died while it ran; charged the usage measured until the runner's last heartbeat and the usage it reported%s",
			 clamp);
	memset(&f, 0, sizeof f);
	f.id = t->id;
	f.state = BO_TRIAL_FAILED;
	f.cost = cost;
	f.reserved = t->reserved;
	f.price_version = c->s->prices.version;
	f.reason = reason;
	f.score = NAN;
	f.feasible = -1;
	f.ended_at = bo__clock_wall();
	f.exit_code = -1;
	f.usage = t->usage;
	f.nusage = t->nusage;
	if ((rc = c->st->ops->trial_finish(c->st, &f)) < 0)
		goto done;
	/* The folder's record follows the ledger, as for a trial that ended
	 * under its runner. It is the second copy: a folder that is gone or
	 * read-only does not stop the recovery (the ledger and the spend
	 * journal hold the charge). */
	if (t->folder) {
		f.run_id = t->run_id;
		f.sampler = t->sampler;
		f.params_json = t->params_json;
		f.params = t->params;
		f.nparams = t->nparams;
		f.created_at = t->created_at;
		f.started_at = t->started_at;
		f.pid = t->pid;
		f.host = t->host;
		f.folder = t->folder;
		f.scenario = t->scenario;
		f.repeat = t->repeat;
		bo__trial_record_write(t->folder, &f, c->record_mode, 1);
	}
	c->recovered(c->ud, t->id, cost, uncapped, (int)killed);
done:
	bo__report_clear(&rep);
	return rc;
}

/* FNV-1a (Fowler, Noll, Vo): a stable 64-bit name for a folder path. */
void bo__orphans_cgroup_name(const char *folder, char *buf, size_t size)
{
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = folder ? folder : ""; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	snprintf(buf, size, "budgetopt-%016llx", (unsigned long long)h);
}

int bo__orphans_recover(const bo_orphan_ctx *c)
{
	bo_trial_query q = BO_TRIAL_QUERY_INIT;
	bo_trial_rec *t = NULL;
	size_t n = 0;
	double boot = bo__proc_boot_time();
	int rc;
	q.state = BO_TRIAL_RUNNING;
	if ((rc = c->st->ops->trials(c->st, &q, &t, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int a = c->adopt ? c->adopt(c->ud, &t[i]) : 0;
		rc = a < 0 ? a : a > 0 ? 0 : recover_one(c, &t[i], boot);
	}
	bo__trial_rec_free_array(t, n);
	return rc;
}
