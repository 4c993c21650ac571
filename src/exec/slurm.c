/*
 * exec/slurm.c - the Slurm executor: every job is a Slurm batch job
 * (see slurm.h).
 *
 * Submitting: the trial folder gets job.argv (the evaluator's argv) and
 * job.env (the BUDGETOPT_* variables), each a list of NUL-terminated
 * strings, and job.sh, a fixed bash script that reads them as data
 * (mapfile -d '', read -d '') and runs the argv: a parameter value is
 * never parsed as shell code, by the script or by anything else. sbatch
 * gets its options as argv items; its stdout and stderr go to stdout.log
 * and stderr.log in the folder, as with the local executor. The job's
 * comment is the caller's tag (unique to the trial), so a runner that
 * died between sbatch and the ledger still finds the job; the id is also
 * written to the folder (slurm_job).
 *
 * Following: squeue is asked for all of this user's jobs at most once per
 * poll interval; the lines of stdout.log are handed to on_line as they
 * appear. A job is over when squeue shows it in a final state (or no
 * longer lists it, twice in a row): then scontrol and sacct (where
 * accounting runs) say how it ended, and job.status, written by the
 * script after the evaluator exited, gives its exit status, times and CPU
 * time. Slurm's accounting, where it is larger, wins for CPU time; its
 * GPU allocation times the run time is the job's GPU usage.
 *
 * Stopping: a signal becomes scancel (TERM: Slurm's own TERM, wait, KILL;
 * KILL: scancel --signal=KILL --full). A job not over when the executor
 * is freed is cancelled.
 *
 * Must never: use a shell to run anything (every command is an argv
 * spawned directly), print, or block longer than a command's timeout.
 *
 * This file holds running Slurm's commands, parsing their output, and
 * waiting, signalling and releasing jobs. Its siblings, sharing
 * exec/slurm_int.h: slurm_submit.c (a job's files and its submission, or
 * adoption) and slurm_follow.c (a job's output, and how it ended).
 */
#include "exec/slurm_int.h"
#include "exec/slurm.h"
#include "exec/local_int.h"
#include "exec/proc.h"

#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Longest a Slurm command may take before it is killed (s). */
#define CMD_TIMEOUT_S 60.0
/* Most bytes of a command's output kept. */
#define CMD_OUT_MAX ((size_t)8 << 20)
/* Longest sleep of one pass of bo__exec_wait (ms): output is read this often. */
#define TAIL_MS 50

/* ---- running Slurm's commands ------------------------------------------ */

void bo__slurm_cmd_clear(cmd_out *c)
{
	bo__sb_clear(&c->out);
	bo__sb_clear(&c->err);
}

/* Runs argv (looked up on PATH, never through a shell) in its own process
 * group (a Ctrl-C meant for the runner does not reach it), with envp
 * (NULL: ours), collecting stdout and stderr. 0 when it ran (c->status
 * says how it ended), BO_EIO when it could not be started. */
int bo__slurm_run_cmd(char *const argv[], char *const envp[], cmd_out *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int op[2] = {-1, -1}, ep[2] = {-1, -1};
	pid_t pid = -1;
	int err, ws = 0, rc = 0;
	double t0 = mono_now();
	sigset_t none, all;

	memset(c, 0, sizeof *c);
	c->status = -1;
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = bo__error(BO_EIO, "%s: cannot create pipes: %s", argv[0], strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_adddup2(&fa, op[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, ep[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	err = posix_spawnp(&pid, argv[0], &fa, &at, argv, envp ? envp : environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (err) {
		pid = -1;
		rc = bo__error(BO_EIO, "cannot run %s: %s (is Slurm installed and on PATH?)", argv[0],
			       strerror(err));
		goto done;
	}
	for (;;) {
		struct pollfd p[2];
		int n = 0, left;
		char buf[4096];
		if (op[0] >= 0)
			p[n++] = (struct pollfd){.fd = op[0], .events = POLLIN};
		if (ep[0] >= 0)
			p[n++] = (struct pollfd){.fd = ep[0], .events = POLLIN};
		if (n == 0)
			break;
		left = (int)((CMD_TIMEOUT_S - (mono_now() - t0)) * 1000.0);
		if (left <= 0) {
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, (nfds_t)n, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			int *fd = p[i].fd == op[0] ? &op[0] : &ep[0];
			bo_strbuf *sb = fd == &op[0] ? &c->out : &c->err;
			ssize_t got;
			if (!p[i].revents)
				continue;
			got = read(*fd, buf, sizeof buf);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (sb->len < CMD_OUT_MAX)
				bo__sb_add(sb, buf, (size_t)got);
		}
	}
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	c->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
	if (c->out.failed || c->err.failed)
		rc = BO_ENOMEM;
done:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return rc;
}

/* The first line of a command's stderr, for messages. */
const char *bo__slurm_first_line(const bo_strbuf *sb, char *buf, size_t size)
{
	size_t n = 0;
	const char *p = sb->s ? sb->s : "";
	while (p[n] && p[n] != '\n' && n + 1 < size) {
		buf[n] = isprint((unsigned char)p[n]) ? p[n] : '?';
		n++;
	}
	buf[n] = '\0';
	return buf;
}

/* ---- parsing ---------------------------------------------------------- */

double bo__slurm_elapsed_parse(const char *s)
{
	double part[3] = {0, 0, 0}, days = 0;
	int n = 0;
	const char *p = s, *dash;
	char *end;
	if (!s || !*s)
		return NAN;
	if ((dash = strchr(s, '-'))) {
		days = strtod(s, &end);
		if (end != dash || days < 0)
			return NAN;
		p = dash + 1;
	}
	for (;;) {
		if (!isdigit((unsigned char)*p) || n == 3)
			return NAN;
		part[n++] = strtod(p, &end);
		if (*end == '\0')
			break;
		if (*end != ':')
			return NAN;
		p = end + 1;
	}
	if (n == 1)
		return days * 86400.0 + part[0];
	if (n == 2)
		return days * 86400.0 + part[0] * 60.0 + part[1];
	return days * 86400.0 + part[0] * 3600.0 + part[1] * 60.0 + part[2];
}

double bo__slurm_size_kb(const char *s)
{
	char *end;
	double v;
	if (!s || !*s)
		return NAN;
	v = strtod(s, &end);
	if (end == s || !(v >= 0))
		return NAN;
	switch (toupper((unsigned char)*end)) {
	case '\0': return v / 1024.0;   /* bytes */
	case 'K': return v;
	case 'M': return v * 1024.0;
	case 'G': return v * 1048576.0;
	case 'T': return v * 1073741824.0;
	default: return NAN;
	}
}

double bo__slurm_tres_gpus(const char *tres, char *type, size_t size)
{
	const char *p = tres;
	double total = 0;
	type[0] = '\0';
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 8 && !strncmp(p, "gres/gpu", 8) && (p[8] == '=' || p[8] == ':')) {
			const char *eq = memchr(p, '=', len);
			if (eq) {
				double v = strtod(eq + 1, NULL);
				if (p[8] == ':') {
					size_t tl = (size_t)(eq - (p + 9));
					if (tl < size) {
						memcpy(type, p + 9, tl);
						type[tl] = '\0';
					}
					/* The typed count is the same GPUs as the untyped one. */
					total = v;
				} else if (total == 0) {
					total = v;
				}
			}
		}
		p = end ? end + 1 : NULL;
	}
	return total;
}

int bo__slurm_scontrol_field(const char *line, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = line;
	buf[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			const char *v = p + klen + 1, *e = v;
			size_t n;
			/* A value runs to the next " Key=" (values may hold spaces). */
			for (;;) {
				const char *sp = strchr(e, ' ');
				const char *q;
				if (!sp) {
					e += strlen(e);
					break;
				}
				for (q = sp + 1; isalnum((unsigned char)*q) || *q == '_' || *q == ':' || *q == '/'; q++)
					;
				if (*q == '=' && q > sp + 1) {
					e = sp;
					break;
				}
				e = sp + 1;
			}
			while (e > v && (e[-1] == ' ' || e[-1] == '\n'))
				e--;
			n = (size_t)(e - v);
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 0;
		}
		p += klen;
	}
	return -1;
}

static bo_job *take_done(bo_slurm *sl)
{
	for (size_t i = 0; i < sl->njobs; i++) {
		bo_job *j = sl->jobs[i];
		if (j->sj->state == SJ_OVER && !j->sj->returned) {
			j->sj->returned = 1;
			return j;
		}
	}
	return NULL;
}

int bo__slurm_wait(bo_exec *ex, int timeout_ms, bo_job **done)
{
	bo_slurm *sl = ex->slurm;
	double t0 = mono_now();
	char *buf = ex->buf;
	int rc = 0;

	*done = NULL;
	for (;;) {
		double now, left_ms;
		size_t live = 0, i;
		struct timespec ts;
		if ((*done = take_done(sl)))
			return 0;
		for (i = 0; i < sl->njobs; i++)
			live += sl->jobs[i]->sj->state != SJ_OVER;
		if (!live)
			return 0;
		now = mono_now();
		if (sl->last_poll == 0 || now - sl->last_poll >= sl->poll_s) {
			sl->last_poll = now;
			if ((rc = bo__slurm_poll_jobs(ex, buf, READ_CHUNK)) < 0)
				return rc;
		}
		for (i = 0; i < sl->njobs; i++)
			if (sl->jobs[i]->sj->state != SJ_OVER)
				bo__slurm_tail(sl->jobs[i], buf, READ_CHUNK);
		if ((*done = take_done(sl)))
			return 0;
		left_ms = timeout_ms < 0 ? TAIL_MS : (double)timeout_ms - (mono_now() - t0) * 1e3;
		if (left_ms <= 0)
			return 0;
		if (left_ms > TAIL_MS)
			left_ms = TAIL_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left_ms * 1e6);
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
			return 0;   /* let the caller look at its signal flags */
	}
}

int bo__slurm_signal(bo_exec *ex, bo_job *job, int sig)
{
	bo_sjob *sj = job ? job->sj : NULL;
	char id[32], buf[256];
	cmd_out c;
	int rc;
	(void)ex;
	if (!sj)
		return bo__error(BO_EMISUSE, "exec: no job");
	if (sj->state == SJ_OVER || (sig == SIGKILL ? sj->killed : sj->cancelled))
		return 0;
	snprintf(id, sizeof id, "%lld", (long long)sj->id);
	if (sig == SIGKILL) {
		char *argv[] = {"scancel", "--full", "--signal=KILL", id, NULL};
		sj->killed = 1;
		rc = bo__slurm_run_cmd(argv, NULL, &c);
	} else {
		/* Slurm's cancel: TERM to every process of the job, KILL after
		 * its KillWait; a pending job is dropped from the queue. */
		char *argv[] = {"scancel", id, NULL};
		sj->cancelled = 1;
		rc = bo__slurm_run_cmd(argv, NULL, &c);
	}
	if (rc == 0 && c.status != 0)
		rc = bo__error(BO_EIO, "scancel %s failed (exit %d): %s", id, c.status,
			       bo__slurm_first_line(&c.err, buf, sizeof buf));
	bo__slurm_cmd_clear(&c);
	return rc;
}

void bo__slurm_status(const bo_job *job, bo_job_status *out)
{
	const bo_sjob *sj = job->sj;
	memset(out, 0, sizeof *out);
	out->running = sj->state != SJ_OVER;
	out->exit_code = -1;
	out->slurm_job = sj->id;
	out->stdout_bytes = sj->out_bytes;
	if (sj->state == SJ_OVER) {
		out->exit_code = sj->exit_code;
		out->term_signal = sj->term_signal;
		out->wall_s = sj->wall_s;
		out->cpu_s = sj->cpu_s;
		out->maxrss_kb = sj->maxrss_kb;
		out->reason = sj->reason;
		if (sj->gpus > 0) {
			out->gpu_resource = sj->gpu_res;
			out->gpu_hours = sj->gpus * sj->wall_s / 3600.0;
		}
	} else {
		/* Time counts from when it was seen running: the queue is free. */
		out->wall_s = sj->t_run > 0 ? mono_now() - sj->t_run : 0;
	}
}

size_t bo__slurm_running(const bo_exec *ex)
{
	size_t n = 0;
	for (size_t i = 0; i < ex->slurm->njobs; i++)
		n += !ex->slurm->jobs[i]->sj->returned;
	return n;
}

void bo__slurm_release(bo_exec *ex, bo_job *job)
{
	bo_slurm *sl = ex ? ex->slurm : NULL;
	if (!sl || !job)
		return;
	for (size_t i = 0; i < sl->njobs; i++) {
		if (sl->jobs[i] == job) {
			memmove(&sl->jobs[i], &sl->jobs[i + 1], (sl->njobs - i - 1) * sizeof *sl->jobs);
			sl->njobs--;
			break;
		}
	}
	if (job->sj->state != SJ_OVER)
		bo__slurm_signal(ex, job, SIGTERM);
	bo__slurm_sjob_free(job->sj);
	bo__free(job);
}

void bo__slurm_free(bo_exec *ex)
{
	bo_slurm *sl = ex->slurm;
	if (!sl)
		return;
	while (sl->njobs > 0)
		bo__slurm_release(ex, sl->jobs[sl->njobs - 1]);
	bo__free(sl->jobs);
	bo__free(sl);
	ex->slurm = NULL;
}
