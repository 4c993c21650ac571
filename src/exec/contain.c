/*
 * exec/contain.c - holding a job's processes together: the process tree
 * followed through /proc (BO_CONTAIN_TREE, this process a child
 * subreaper), and stopping everything a job left, by cgroup or by tree.
 *
 * Identity is always pid + start time, so a reused pid is never taken for
 * a job's process. An adopted process is the job's when it was seen among
 * the job's processes before, leads or belongs to the job's process group
 * or session, or carries the job's marker in its environment.
 */
#include "exec/local_int.h"

#include "core/alloc.h"
#include "core/error.h"
#include "exec/cgroup.h"
#include "exec/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void bo__contain_kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) < 0 && errno == ESRCH)
		kill(pid, sig);
}

static double ru_cpu_s(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
}

/* Whether /proc/<pid>/environ holds the entry want. */
static int env_holds(pid_t pid, const char *want)
{
	char path[64], buf[8192];
	size_t wl = strlen(want), have = 0;
	int fd, found = 0;
	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	/* Entries are NUL-separated; keep a partial entry across reads. */
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		size_t len, i = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len = have + (size_t)n;
		while (i < len) {
			char *z = memchr(buf + i, '\0', len - i);
			if (!z)
				break;
			if ((size_t)(z - (buf + i)) == wl && !memcmp(buf + i, want, wl)) {
				found = 1;
				break;
			}
			i = (size_t)(z - buf) + 1;
		}
		if (found)
			break;
		have = len - i;
		if (have >= sizeof buf)
			have = 0;   /* an entry longer than the buffer: not ours */
		memmove(buf, buf + i, have);
	}
	close(fd);
	return found;
}

static int job_has(const bo_job *job, pid_t pid, uint64_t start)
{
	for (size_t k = 0; k < job->nprocs; k++)
		if (job->procs[k].pid == pid && job->procs[k].start == start)
			return 1;
	return 0;
}

/* Reaps an adopted child that has exited, charging its CPU to owner. */
static void reap_adopted(pid_t pid, bo_job *owner, int block)
{
	struct rusage ru;
	int ws;
	pid_t r;
	memset(&ru, 0, sizeof ru);
	do
		r = wait4(pid, &ws, block ? 0 : WNOHANG, &ru);
	while (r < 0 && errno == EINTR);
	if (r == pid && owner)
		owner->adopted_cpu_s += ru_cpu_s(&ru);
}

/* Follows every running tree job's processes through /proc: its main
 * process, what it knew of before (pid + start time), the children this
 * process adopted that can be traced to it (process group or session led
 * by its main process, its marker in their environment, or the only job
 * running), and all their descendants. Adopted children that exited are
 * reaped; adopted ones no job owns at two walks in a row are killed and
 * reaped. One walk is not enough: a process caught in execve() shows an
 * empty environment, so a job's marker cannot be read at that instant. */
int bo__contain_walk(bo_exec *ex)
{
	bo_proc *all = NULL;
	unsigned char *mark = NULL;
	long *owner = NULL;
	size_t n = 0, nlive = 0;
	pid_t me = getpid();
	tracked *prev = NULL;
	size_t nprev = 0;
	int rc = 0;

	if (ex->mode != BO_CONTAIN_TREE)
		return 0;
	/* This walk's strays replace the last walk's. */
	prev = ex->strays;
	nprev = ex->nstrays;
	ex->strays = NULL;
	ex->nstrays = ex->capstrays = 0;
	clock_gettime(CLOCK_MONOTONIC, &ex->last_walk);
	for (size_t j = 0; j < ex->n_jobs; j++)
		nlive += ex->jobs[j]->pid > 0 && !ex->jobs[j]->reaped;
	if ((rc = bo__proc_snapshot(&all, &n)) < 0)
		goto done;
	rc = BO_ENOMEM;
	if (!(mark = bo__calloc(n + 1, 1)) || !(owner = bo__calloc(n + 1, sizeof *owner)))
		goto done;
	rc = 0;
	for (size_t i = 0; i < n; i++)
		owner[i] = -1;
	for (size_t j = 0; j < ex->n_jobs; j++) {
		bo_job *job = ex->jobs[j];
		if (job->pid <= 0)
			continue;
		memset(mark, 0, n);
		for (size_t i = 0; i < n; i++) {
			const bo_proc *p = &all[i];
			if (owner[i] >= 0)
				continue;
			/* A job whose main process was reaped keeps what it held
			 * (pid + start time), so that their CPU time is still
			 * charged to it when they are stopped and reaped. */
			if (job_has(job, p->pid, p->start) ||
			    (!job->reaped && p->pid == job->pid && p->start == job->start_time))
				mark[i] = 1;
			else if (job->reaped)
				;
			else if (p->ppid == me && (p->pgid == job->pid || p->sid == job->pid || nlive == 1 ||
						   (job->marker && env_holds(p->pid, job->marker))))
				mark[i] = 1;
		}
		bo__proc_descendants(all, n, mark);
		for (size_t i = 0; i < n; i++)
			if (mark[i] && owner[i] < 0)
				owner[i] = (long)j;
		job->nprocs = 0;
		job->procs_cpu_s = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const bo_proc *p = &all[i];
		bo_job *job = owner[i] >= 0 ? ex->jobs[owner[i]] : NULL;
		int is_main = 0;
		for (size_t j = 0; j < ex->n_jobs; j++)
			is_main |= ex->jobs[j]->pid == p->pid && !ex->jobs[j]->reaped;
		if (is_main)
			continue;
		if (p->ppid == me && p->state == 'Z') {
			reap_adopted(p->pid, job, 0);
			continue;
		}
		if (!job) {
			int seen = 0;
			if (p->ppid != me)
				continue;
			for (size_t k = 0; k < nprev; k++)
				seen |= prev[k].pid == p->pid && prev[k].start == p->start;
			if (seen) {
				/* An escaped process no job can claim: stop it. */
				kill(p->pid, SIGKILL);
				reap_adopted(p->pid, NULL, 1);
			} else if (bo__grow(&ex->strays, &ex->capstrays, ex->nstrays + 1,
					    sizeof *ex->strays) == 0) {
				ex->strays[ex->nstrays].pid = p->pid;
				ex->strays[ex->nstrays].start = p->start;
				ex->nstrays++;
			}
			continue;
		}
		/* A zombie whose parent is not this process stays on the list:
		 * once its parent dies it is adopted here, where its environment
		 * can no longer be read, and only the list still names its job
		 * (whose CPU time it then adds when reaped). */
		if ((rc = bo__grow(&job->procs, &job->capprocs, job->nprocs + 1, sizeof *job->procs)) < 0)
			goto done;
		job->procs[job->nprocs].pid = p->pid;
		job->procs[job->nprocs].start = p->start;
		job->nprocs++;
		if (p->state != 'Z' && p->state != 'X')
			job->procs_cpu_s += p->cpu_s;
	}
done:
	bo__free(prev);
	bo__free(all);
	bo__free(mark);
	bo__free(owner);
	return rc;
}

/* Sends sig to every process of the job this executor knows of. */
void bo__contain_signal_all(bo_job *job, int sig)
{
	if (job->pid > 0 && !job->reaped)
		bo__contain_kill_group(job->pid, sig);
	if (job->cg_path)
		bo__cgroup_signal(job->cg_path, sig);
	for (size_t k = 0; k < job->nprocs; k++)
		if (bo__proc_alive(job->procs[k].pid, job->procs[k].start))
			kill(job->procs[k].pid, sig);
}

/* Waits until pid (not our child) is gone, up to timeout_ms. */
static void wait_gone(pid_t pid, uint64_t start, int timeout_ms)
{
	int fd = bo__exec_open_pidfd(pid);
	if (fd < 0)
		return;
	if (bo__proc_alive(pid, start)) {
		struct pollfd p = {fd, POLLIN, 0};
		while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
			;
	}
	close(fd);
}

/* Stops every process of a job whose main process has exited or is being
 * killed: cgroup.kill and a wait until the cgroup is empty, or passes of
 * walk + SIGKILL + reap until /proc shows none left. */
void bo__contain_stop_rest(bo_exec *ex, bo_job *job)
{
	if (job->cg_path) {
		bo__cgroup_kill(job->cg_path);
		bo__cgroup_wait_empty(job->cg_path, CGROUP_EMPTY_MS);
		job->cg_cpu_s = bo__cgroup_cpu_s(job->cg_path);
		job->cg_peak_kb = bo__cgroup_peak_kb(job->cg_path);
	}
	if (ex->mode != BO_CONTAIN_TREE)
		return;
	for (int pass = 0; pass < KILL_PASSES; pass++) {
		if (bo__contain_walk(ex) < 0 || job->nprocs == 0)
			break;
		for (size_t k = 0; k < job->nprocs; k++)
			kill(job->procs[k].pid, SIGKILL);
		for (size_t k = 0; k < job->nprocs; k++) {
			bo_proc p;
			if (bo__proc_read(job->procs[k].pid, &p) < 0 || p.start != job->procs[k].start)
				continue;
			if (p.ppid == getpid())
				reap_adopted(p.pid, job, 1);
			else
				wait_gone(p.pid, p.start, 1000);
		}
	}
	job->nprocs = 0;
	job->procs_cpu_s = 0;
}
