/*
 * exec/local.c - the local executor: evaluator processes on this machine.
 *
 * Each job is posix_spawnp (never a shell) in its own process group, with
 * stdin from /dev/null and stdout/stderr through pipes that the parent reads
 * in one poll() loop over all jobs. Output goes to capped log files and
 * stdout is cut into lines for the caller. A job is finished when its main
 * process was reaped and both pipes were drained; once the main process has
 * exited, the rest of its process group is killed, so a background child
 * that keeps the pipes open cannot keep the job alive.
 *
 * Containment (exec.h, bo__exec_contain): with a cgroup, each job is
 * started straight into its own cgroup (the child enters it before exec,
 * exec/spawn.c, or clone3 CLONE_INTO_CGROUP: no user code runs outside it) and stopped with cgroup.kill; with the tree, this
 * process is a child subreaper and the job's descendants are followed
 * through /proc on each pass (pid + start time), so that a process that
 * left the group or session, or whose parent died, is still the job's. At
 * the main process's exit, and on every signal, all of them are reached
 * (exec/contain.c).
 *
 * Process exit is seen through a pidfd (Linux 5.3+) so that poll() wakes on
 * it; where pidfds are missing, poll() is cut into short ticks and exits are
 * checked with waitid(WNOHANG) each tick.
 *
 * Must never: use a shell, print, install signal handlers or keep global
 * state (several bo_exec may live side by side), or wait on any pid other
 * than its own jobs' (the caller may have other children). The on_line callback may call bo__exec_signal and
 * bo__exec_status, but must not start, release or wait.
 */
#include "exec/exec.h"
#include "exec/local_int.h"

#include "core/alloc.h"
#include "core/error.h"
#include "exec/cgroup.h"
#include "exec/proc.h"
#include "exec/slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bo__exec_elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		/* close() must not be retried on EINTR on Linux: the fd is gone. */
		close(*fd);
		*fd = -1;
	}
}

/* BO_EXEC_NO_PIDFD builds the fallback path for old kernels (to test it). */
int bo__exec_open_pidfd(pid_t pid)
{
#if defined(SYS_pidfd_open) && !defined(BO_EXEC_NO_PIDFD)
	long fd = syscall(SYS_pidfd_open, (long)pid, 0L);
	return fd < 0 ? -1 : (int)fd;
#else
	(void)pid;
	return -1;
#endif
}

/* Writes all of buf, retrying on EINTR and short writes. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keeps the first log_cap bytes of a stream in its log, then one note. */
static void log_bytes(bo_job *job, stream *st, const char *data, size_t len)
{
	uint64_t before = st->bytes;
	st->bytes += len;
	if (!st->log_opened && len > 0) {
		st->log_opened = 1;
		st->log_fd = open(st->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (st->log_fd < 0 || st->truncated)
		return;
	if (before < job->log_cap) {
		uint64_t room = job->log_cap - before;
		size_t keep = (uint64_t)len < room ? len : (size_t)room;
		if (keep > 0) {
			if (write_all(st->log_fd, data, keep) < 0) {
				/* A full disk must not fail the job: stop logging it. */
				close_fd(&st->log_fd);
				return;
			}
			st->last = data[keep - 1];
		}
	}
	if (st->bytes > job->log_cap) {
		char note[96];
		int n = snprintf(note, sizeof note, "%s[budgetopt: output truncated after %llu bytes]\n",
				 (st->last != '\n' && job->log_cap > 0) ? "\n" : "",
				 (unsigned long long)job->log_cap);
		if (write_all(st->log_fd, note, (size_t)n) < 0)
			close_fd(&st->log_fd);
		st->truncated = 1;
	}
}

/* Makes room for need bytes of line; 0, or -1 when memory ran out. */
static int line_reserve(bo_job *job, size_t need)
{
	return bo__grow(&job->line, &job->line_cap, need, 1) < 0 ? -1 : 0;
}

static void hand_line(bo_job *job, int too_long)
{
	if (line_reserve(job, job->line_len + 1) < 0) {
		job->line_len = 0;
		return;
	}
	job->line[job->line_len] = '\0';
	if (job->on_line)
		job->on_line(job->ud, job, job->line, job->line_len, too_long);
	job->line_len = 0;
}

/* Cuts stdout into lines. A line longer than line_max is handed once with
 * its first line_max bytes and too_long = 1; the rest of it is dropped. */
static void split_lines(bo_job *job, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t seg = nl ? (size_t)(nl - data) : len;
		if (!job->skipping) {
			size_t room = job->line_max - job->line_len;
			if (line_reserve(job, job->line_len + (seg <= room ? seg : room) + 1) < 0) {
				/* Out of memory: drop this line, as if it were too long. */
				job->line_len = 0;
				job->skipping = 1;
			} else if (seg <= room) {
				memcpy(job->line + job->line_len, data, seg);
				job->line_len += seg;
				if (nl)
					hand_line(job, 0);
			} else {
				memcpy(job->line + job->line_len, data, room);
				job->line_len += room;
				hand_line(job, 1);
				job->skipping = 1;
			}
		}
		if (nl)
			job->skipping = 0;
		seg += nl ? 1 : 0;
		data += seg;
		len -= seg;
	}
}

static void stream_eof(bo_job *job, int kind)
{
	stream *st = &job->s[kind];
	close_fd(&st->fd);
	close_fd(&st->log_fd);
	if (kind == OUT) {
		if (job->line_len > 0 && !job->skipping)
			hand_line(job, 0);
		job->line_len = 0;
		job->skipping = 0;
	}
}

/* Reads what the pipe holds, until it would block or limit bytes. */
static int drain(bo_exec *ex, bo_job *job, int kind, size_t limit)
{
	stream *st = &job->s[kind];
	size_t total = 0;
	while (st->fd >= 0 && total < limit) {
		ssize_t n = read(st->fd, ex->buf, READ_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return bo__error(BO_EIO, "reading output of process %ld: %s", (long)job->pid,
					 strerror(errno));
		}
		if (n == 0) {
			stream_eof(job, kind);
			break;
		}
		log_bytes(job, st, ex->buf, (size_t)n);
		if (kind == OUT)
			split_lines(job, ex->buf, (size_t)n);
		total += (size_t)n;
	}
	return 0;
}


/* If the job's main process has exited: kill what is left of its group
 * while the zombie still holds the group id (so the id cannot have been
 * reused), reap it with its rusage, and drain the pipes. The killed
 * stragglers write nothing more, so reading until EAGAIN gets all that
 * the job wrote. */
static int check_exit(bo_exec *ex, bo_job *job)
{
	siginfo_t si;
	pid_t r;

	if (job->reaped)
		return 0;
	memset(&si, 0, sizeof si);
	do
		r = waitid(P_PID, (id_t)job->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != ECHILD)
		return bo__error(BO_EIO, "waiting for process %ld: %s", (long)job->pid, strerror(errno));
	if (r == 0 && si.si_pid == 0)
		return 0;
	/* ECHILD: someone else reaped it (waitpid(-1) elsewhere in the
	 * program); finish the job with an unknown status rather than wedge. */
	if (r == 0) {
		bo__contain_kill_group(job->pid, SIGKILL);
		bo__contain_stop_rest(ex, job);
		do
			r = wait4(job->pid, &job->wstatus, 0, &job->ru);
		while (r < 0 && errno == EINTR);
	}
	if (r < 0 && errno != ECHILD)
		return bo__error(BO_EIO, "reaping process %ld: %s", (long)job->pid, strerror(errno));
	job->lost = r < 0;
	clock_gettime(CLOCK_MONOTONIC, &job->t_end);
	job->reaped = 1;
	close_fd(&job->pidfd);
	for (int k = OUT; k <= ERR; k++) {
		int rc = drain(ex, job, k, FINAL_DRAIN);
		if (rc < 0)
			return rc;
		if (job->s[k].fd >= 0)
			stream_eof(job, k);
	}
	return 0;
}

int bo__exec_new(bo_exec **out)
{
	bo_exec *ex = NULL;
	int rc = BO_ENOMEM;

	*out = NULL;
	if (!(ex = bo__calloc(1, sizeof *ex)))
		goto done;
	if (!(ex->buf = bo__malloc(READ_CHUNK)))
		goto done;
	*out = ex;
	ex = NULL;
	rc = 0;
done:
	bo__exec_free(ex);
	return rc;
}

/* Kills and reaps a job if needed, then frees it. */
static void job_free(bo_job *job)
{
	if (!job)
		return;
	if (job->pid > 0 && !job->reaped) {
		pid_t r;
		bo__contain_signal_all(job, SIGKILL);
		bo__contain_stop_rest(job->ex, job);
		do
			r = wait4(job->pid, &job->wstatus, 0, &job->ru);
		while (r < 0 && errno == EINTR);
		job->reaped = 1;
	}
	if (job->cg_path) {
		/* Killed with the job; gone once its last process has left. */
		if (bo__cgroup_populated(job->cg_path) == 1) {
			bo__cgroup_kill(job->cg_path);
			bo__cgroup_wait_empty(job->cg_path, CGROUP_EMPTY_MS);
		}
		bo__cgroup_remove(job->cg_path);
		bo__free(job->cg_path);
	}
	close_fd(&job->cg_fd);
	bo__free(job->procs);
	bo__free(job->marker);
	close_fd(&job->pidfd);
	for (int k = OUT; k <= ERR; k++) {
		close_fd(&job->s[k].fd);
		close_fd(&job->s[k].log_fd);
		bo__free(job->s[k].log_path);
	}
	bo__free(job->line);
	bo__free(job);
}

void bo__exec_free(bo_exec *ex)
{
	if (!ex)
		return;
	bo__slurm_free(ex);
	/* Signal every group first so they die in parallel, then reap. */
	for (size_t i = 0; i < ex->n_jobs; i++)
		if (!ex->jobs[i]->reaped)
			bo__contain_signal_all(ex->jobs[i], SIGKILL);
	for (size_t i = 0; i < ex->n_jobs; i++)
		job_free(ex->jobs[i]);
	/* Adopted processes no job claimed at the last walk (their second
	 * walk, which would have stopped them, will not come). */
	for (size_t i = 0; i < ex->nstrays; i++) {
		bo_proc p;
		if (bo__proc_read(ex->strays[i].pid, &p) < 0 || p.start != ex->strays[i].start ||
		    p.ppid != getpid())
			continue;
		kill(p.pid, SIGKILL);
		while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	bo__free(ex->jobs);
	bo__free(ex->pfd);
	bo__free(ex->ref);
	bo__free(ex->buf);
	bo__free(ex->strays);
	bo__free(ex);
}

/* Names the log file and checks now that it can be created there; the
 * file itself is created when the job first writes to the stream (and a
 * stale one from an earlier job in the folder is removed). A folder the
 * caller has just made (fresh) needs neither. */
static int prepare_log(const char *dir, const char *name, int fresh, stream *st)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return bo__error(BO_EIO, "%s: log folder path too long", dir);
	if (!fresh && access(dir, W_OK | X_OK) < 0)
		return bo__error(BO_EIO, "%s: cannot open log file: %s", path, strerror(errno));
	if (!fresh && unlink(path) < 0 && errno != ENOENT)
		return bo__error(BO_EIO, "%s: cannot replace log file: %s", path, strerror(errno));
	st->log_path = bo__strdup(path);
	return st->log_path ? 0 : BO_ENOMEM;
}

/* Moves fd above the standard descriptors (closing the old one), so
 * that the child's dup2 calls onto 0, 1 and 2 cannot clobber one another
 * when the runner was started with some of them closed. */
static int above_std(int *fd)
{
	int nfd;
	if (*fd < 0 || *fd > STDERR_FILENO)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (nfd < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

int bo__exec_contain(bo_exec *ex, int mode)
{
	if (!ex || mode < BO_CONTAIN_AUTO || mode > BO_CONTAIN_GROUP)
		return bo__error(BO_EMISUSE, "exec: unknown containment %d", mode);
	if (ex->seq > 0)
		return bo__error(BO_EMISUSE, "exec: containment is chosen before the first job");
	if (ex->slurm)
		return 0;   /* Slurm holds the jobs' processes */
	if (mode == BO_CONTAIN_AUTO || mode == BO_CONTAIN_CGROUP) {
		if (bo__cgroup_base(ex->cg_base, sizeof ex->cg_base) == 0) {
			ex->mode = BO_CONTAIN_CGROUP;
			return 0;
		}
		if (mode == BO_CONTAIN_CGROUP)
			return bo__error(BO_ENOTFOUND,
					 "no writable cgroup2 folder for this process (see /proc/self/cgroup)");
		mode = BO_CONTAIN_TREE;
	}
	if (mode == BO_CONTAIN_TREE && prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) < 0)
		mode = BO_CONTAIN_GROUP;
	ex->mode = mode;
	return 0;
}

int bo__exec_contain_mode(const bo_exec *ex)
{
	return ex ? ex->mode : BO_CONTAIN_GROUP;
}

static const char *const contain_names[] = {"auto", "cgroup", "tree", "group"};

const char *bo__exec_contain_name(int mode)
{
	return mode >= 0 && mode <= BO_CONTAIN_GROUP ? contain_names[mode] : "?";
}

int bo__exec_contain_parse(const char *s)
{
	for (int m = 0; s && m <= BO_CONTAIN_GROUP; m++)
		if (!strcmp(s, contain_names[m]))
			return m;
	return -1;
}

int bo__exec_start(bo_exec *ex, const bo_exec_spec *spec, bo_job **out)
{
	bo_job *job = NULL;
	int out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
	int rc = 0;
	pid_t pid;
	int err = 0;

	*out = NULL;
	if (ex && ex->slurm)
		return bo__slurm_start(ex, spec, out);
	if (!ex || !spec || !spec->argv || !spec->argv[0] || !spec->envp || !spec->log_dir)
		return bo__error(BO_EMISUSE, "exec: argv, envp and log_dir are required");
	if ((rc = bo__grow(&ex->jobs, &ex->cap_jobs, ex->n_jobs + 1, sizeof *ex->jobs)) < 0)
		goto done;
	rc = BO_ENOMEM;
	if (!(job = bo__calloc(1, sizeof *job)))
		goto done;
	job->ex = ex;
	job->pidfd = -1;
	job->cg_fd = -1;
	job->cg_cpu_s = job->cg_peak_kb = NAN;
	job->s[OUT].fd = job->s[ERR].fd = -1;
	job->s[OUT].log_fd = job->s[ERR].log_fd = -1;
	job->s[OUT].last = job->s[ERR].last = '\n';
	job->log_cap = spec->log_cap ? spec->log_cap : DEFAULT_LOG_CAP;
	job->line_max = spec->line_max ? spec->line_max : DEFAULT_LINE_MAX;
	job->on_line = spec->on_line;
	job->ud = spec->ud;
	if (spec->marker && !(job->marker = bo__strdup(spec->marker)))
		goto done;
	if (job->line_max == SIZE_MAX) {
		rc = bo__error(BO_ENOMEM, "exec: line limit too large");
		goto done;
	}
	if ((rc = prepare_log(spec->log_dir, "stdout.log", spec->log_dir_new, &job->s[OUT])) < 0 ||
	    (rc = prepare_log(spec->log_dir, "stderr.log", spec->log_dir_new, &job->s[ERR])) < 0)
		goto done;
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
		rc = bo__error(BO_EIO, "exec: cannot create pipes: %s", strerror(errno));
		goto done;
	}
	if (fcntl(out_p[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(err_p[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = bo__error(BO_EIO, "exec: cannot set pipes non-blocking: %s", strerror(errno));
		goto done;
	}

	if (above_std(&out_p[1]) < 0 || above_std(&err_p[1]) < 0) {
		rc = bo__error(BO_EIO, "exec: cannot move pipes: %s", strerror(errno));
		goto done;
	}
	ex->seq++;
	if (ex->mode == BO_CONTAIN_CGROUP) {
		char name[96];
		if (spec->cgroup_name)
			snprintf(name, sizeof name, "%s", spec->cgroup_name);
		else
			snprintf(name, sizeof name, "budgetopt-%ld-%lu", (long)getpid(), ex->seq);
		/* No cgroup (the folder filled up, a limit): the process group
		 * alone holds this job, as it did before. */
		if (bo__cgroup_create(ex->cg_base, name, &job->cg_path, &job->cg_fd) < 0)
			job->cg_path = NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &job->t_start);
	err = bo__spawn_vfork(spec, out_p[1], err_p[1], job->cg_fd, &pid, &job->pidfd);
	if (err < 0)
		err = bo__spawn_clone(spec, out_p[1], err_p[1], job->cg_fd, &pid, &job->pidfd);
	if (err < 0 && job->cg_fd >= 0) {
		/* A kernel without CLONE_INTO_CGROUP (before 5.7). */
		err = bo__spawn_clone(spec, out_p[1], err_p[1], -1, &pid, &job->pidfd);
		if (err == 0)
			bo__spawn_enter_cgroup(job->cg_fd, pid);
	}
	if (err < 0) {
		/* No clone3 at all: posix_spawn (no PR_SET_PDEATHSIG). */
		err = bo__spawn(spec, out_p[1], err_p[1], &pid);
		if (err == 0 && job->cg_fd >= 0)
			bo__spawn_enter_cgroup(job->cg_fd, pid);
	}
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	if (err) {
		/* The program could not be started: the job ends at once. */
		job->exec_errno = err;
		job->wstatus = EXEC_FAILED_STATUS << 8;
		job->reaped = 1;
		job->t_end = job->t_start;
	} else {
		job->pid = pid;
		job->s[OUT].fd = out_p[0];
		job->s[ERR].fd = err_p[0];
		out_p[0] = err_p[0] = -1;
#ifdef BO_EXEC_NO_PIDFD
		close_fd(&job->pidfd);
#endif
		if (job->pidfd < 0)
			job->pidfd = bo__exec_open_pidfd(pid);
		job->start_time = bo__proc_start(pid);
	}

	ex->jobs[ex->n_jobs++] = job;
	*out = job;
	job = NULL;
	rc = 0;
done:
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	job_free(job);
	return rc;
}

/* The first finished job not yet handed out, in start order. */
static bo_job *take_done(bo_exec *ex)
{
	for (size_t i = 0; i < ex->n_jobs; i++) {
		bo_job *j = ex->jobs[i];
		if (j->reaped && !j->returned && j->s[OUT].fd < 0 && j->s[ERR].fd < 0) {
			j->returned = 1;
			return j;
		}
	}
	return NULL;
}

static int check_exits(bo_exec *ex)
{
	for (size_t i = 0; i < ex->n_jobs; i++) {
		int rc = check_exit(ex, ex->jobs[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_pfd(bo_exec *ex, size_t *n, int fd, bo_job *job, int kind)
{
	int rc;
	if ((rc = bo__grow(&ex->pfd, &ex->cap_pfd, *n + 1, sizeof *ex->pfd)) < 0)
		return rc;
	if ((rc = bo__grow(&ex->ref, &ex->cap_ref, *n + 1, sizeof *ex->ref)) < 0)
		return rc;
	ex->pfd[*n].fd = fd;
	ex->pfd[*n].events = POLLIN;
	ex->pfd[*n].revents = 0;
	ex->ref[*n].job = job;
	ex->ref[*n].kind = kind;
	(*n)++;
	return 0;
}

int bo__exec_wait(bo_exec *ex, int timeout_ms, bo_job **done)
{
	struct timespec t0, now;
	int rc = 0;

	*done = NULL;
	if (!ex)
		return bo__error(BO_EMISUSE, "exec: no executor");
	if (ex->slurm)
		return bo__slurm_wait(ex, timeout_ms, done);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t n = 0;
		int ticking = 0, live = 0, wait_ms, r;

		if ((rc = check_exits(ex)) < 0)
			goto out;
		if ((*done = take_done(ex)))
			goto out;
		if (ex->mode == BO_CONTAIN_TREE) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (bo__exec_elapsed_s(&ex->last_walk, &now) * 1e3 >= WALK_MS && (rc = bo__contain_walk(ex)) < 0)
				goto out;
		}

		for (size_t i = 0; i < ex->n_jobs; i++) {
			bo_job *j = ex->jobs[i];
			if (j->reaped)
				continue;
			live = 1;
			for (int k = OUT; k <= ERR; k++)
				if (j->s[k].fd >= 0 && (rc = add_pfd(ex, &n, j->s[k].fd, j, k)) < 0)
					goto out;
			if (j->pidfd >= 0) {
				if ((rc = add_pfd(ex, &n, j->pidfd, j, -1)) < 0)
					goto out;
			} else {
				ticking = 1;
			}
		}
		if (!live)
			goto out; /* nothing left that could finish */

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms < 0) {
			wait_ms = -1;
		} else {
			double left = (double)timeout_ms - bo__exec_elapsed_s(&t0, &now) * 1e3;
			wait_ms = left <= 0 ? 0 : left >= (double)INT_MAX - 1 ? INT_MAX : (int)left + 1;
		}
		if (ticking && (wait_ms < 0 || wait_ms > EXIT_TICK_MS))
			wait_ms = EXIT_TICK_MS;
		if (ex->mode == BO_CONTAIN_TREE && (wait_ms < 0 || wait_ms > WALK_MS))
			wait_ms = WALK_MS;   /* follow escapes even while nothing happens */

		r = poll(ex->pfd, (nfds_t)n, wait_ms);
		if (r < 0) {
			if (errno == EINTR)
				goto out; /* let the caller look at its signal flags */
			rc = bo__error(BO_EIO, "exec: poll failed: %s", strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < n && r > 0; i++) {
			poll_ref *ref = &ex->ref[i];
			if (ref->kind < 0 || !ex->pfd[i].revents)
				continue;
			if ((rc = drain(ex, ref->job, ref->kind, READ_PER_PASS)) < 0)
				goto out;
		}

		if ((rc = check_exits(ex)) < 0)
			goto out;
		if ((*done = take_done(ex)))
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms >= 0 && bo__exec_elapsed_s(&t0, &now) * 1e3 >= (double)timeout_ms)
			goto out;
	}
out:
	return rc;
}

int bo__exec_signal(bo_exec *ex, bo_job *job, int sig)
{
	if (job && job->sj)
		return bo__slurm_signal(ex, job, sig);
	if (!job)
		return bo__error(BO_EMISUSE, "exec: no job");
	if (job->reaped)
		return 0;
	if (job->cg_path)
		bo__cgroup_signal(job->cg_path, sig);
	for (size_t k = 0; k < job->nprocs; k++)
		if (bo__proc_alive(job->procs[k].pid, job->procs[k].start))
			kill(job->procs[k].pid, sig);
	if (kill(-job->pid, sig) < 0) {
		if (errno == ESRCH && kill(job->pid, sig) == 0)
			return 0;
		if (errno == ESRCH)
			return 0;
		return bo__error(BO_EIO, "exec: cannot signal process group %ld: %s", (long)job->pid,
				 strerror(errno));
	}
	return 0;
}

/* utime + stime + cutime + cstime of a running process, in seconds. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[2048];
	unsigned long long v[4] = {0, 0, 0, 0};
	const char *p;
	ssize_t n;
	int fd;
	long tck = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	do
		n = read(fd, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0 || tck <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields restart
	 * after its last ')'. Field 3 (state) follows; utime is field 14. */
	if (!(p = strrchr(buf, ')')))
		return 0;
	p++;
	for (int field = 3; field < 14; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	for (int i = 0; i < 4; i++) {
		char *end;
		long long x = strtoll(p, &end, 10);
		if (end == p)
			return 0;
		v[i] = x > 0 ? (unsigned long long)x : 0;
		p = end;
	}
	return (double)(v[0] + v[1] + v[2] + v[3]) / (double)tck;
}

void bo__exec_status(const bo_job *job, bo_job_status *out)
{
	struct timespec now;

	memset(out, 0, sizeof *out);
	if (!job)
		return;
	if (job->sj) {
		bo__slurm_status(job, out);
		return;
	}
	out->running = !job->reaped;
	out->pid = job->pid;
	out->exec_errno = job->exec_errno;
	out->exit_code = -1;
	out->stdout_bytes = job->s[OUT].bytes;
	out->stderr_bytes = job->s[ERR].bytes;
	out->start_time = job->start_time;
	out->cgroup = job->cg_path;
	out->nprocs = job->nprocs;
	if (job->reaped) {
		if (job->lost)
			;
		else if (WIFEXITED(job->wstatus))
			out->exit_code = WEXITSTATUS(job->wstatus);
		else if (WIFSIGNALED(job->wstatus))
			out->term_signal = WTERMSIG(job->wstatus);
		out->wall_s = bo__exec_elapsed_s(&job->t_start, &job->t_end);
		out->cpu_s = (double)job->ru.ru_utime.tv_sec + (double)job->ru.ru_utime.tv_usec * 1e-6 +
			     (double)job->ru.ru_stime.tv_sec + (double)job->ru.ru_stime.tv_usec * 1e-6;
		out->maxrss_kb = (double)job->ru.ru_maxrss; /* kilobytes on Linux */
		/* Escaped descendants: the cgroup counted them all; the tree
		 * counted those it reaped. */
		out->cpu_s += job->adopted_cpu_s;
		if (isfinite(job->cg_cpu_s) && job->cg_cpu_s > out->cpu_s)
			out->cpu_s = job->cg_cpu_s;
		if (isfinite(job->cg_peak_kb) && job->cg_peak_kb > out->maxrss_kb)
			out->maxrss_kb = job->cg_peak_kb;
	} else {
		double cg = bo__cgroup_cpu_s(job->cg_path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		out->wall_s = bo__exec_elapsed_s(&job->t_start, &now);
		out->cpu_s = proc_cpu_s(job->pid) + job->procs_cpu_s + job->adopted_cpu_s;
		if (isfinite(cg) && cg > out->cpu_s)
			out->cpu_s = cg;
	}
}

void bo__exec_ident(const bo_job *job, bo_job_status *out)
{
	if (!job || job->sj) {
		bo__exec_status(job, out);
		return;
	}
	memset(out, 0, sizeof *out);
	out->running = !job->reaped;
	out->pid = job->pid;
	out->exec_errno = job->exec_errno;
	out->exit_code = -1;
	out->start_time = job->start_time;
	out->cgroup = job->cg_path;
	out->nprocs = job->nprocs;
}

size_t bo__exec_procs(const bo_job *job, int64_t *pids, uint64_t *starts, size_t max)
{
	if (!job)
		return 0;
	for (size_t k = 0; k < job->nprocs && k < max; k++) {
		pids[k] = job->procs[k].pid;
		starts[k] = job->procs[k].start;
	}
	return job->nprocs;
}

size_t bo__exec_running(const bo_exec *ex)
{
	size_t n = 0;
	if (!ex)
		return 0;
	if (ex->slurm)
		return bo__slurm_running(ex);
	for (size_t i = 0; i < ex->n_jobs; i++)
		n += !ex->jobs[i]->returned;
	return n;
}

void bo__exec_release(bo_exec *ex, bo_job *job)
{
	if (!ex || !job)
		return;
	if (job->sj) {
		bo__slurm_release(ex, job);
		return;
	}
	for (size_t i = 0; i < ex->n_jobs; i++) {
		if (ex->jobs[i] == job) {
			memmove(&ex->jobs[i], &ex->jobs[i + 1], (ex->n_jobs - i - 1) * sizeof *ex->jobs);
			ex->n_jobs--;
			break;
		}
	}
	job_free(job);
}
