/*
 * exec/spawn.c - starting one evaluator process for exec/local.c: the
 * ways a child is made (clone3 into its cgroup, posix_spawn where clone3
 * is missing), what it gets (its own process group, default signals, an
 * empty mask, /dev/null on stdin, the pipes on stdout and stderr) and how
 * a failed exec is reported back.
 *
 * The first way tried is clone(CLONE_VM | CLONE_VFORK): the child borrows
 * the runner's memory until it execs, so no page table is copied and the
 * runner takes no copy-on-write faults afterwards. On this project's
 * virtual machines that halved the CPU a trial of a no-op evaluator costs
 * (bench/RESULTS.md, issue 12).
 *
 * Must never print, install signal handlers or keep global state; the
 * child runs only async-signal-safe calls between clone and exec.
 */
#include "exec/local_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Reads the child's report on the close-on-exec pipe rfd (and closes it):
 * EOF means it exec'd, 0 is returned; else the child's errno (or a negative
 * code of the caller's), after reaping it and closing *pidfd. */
static int exec_result(int rfd, const pid_t *pid, int *pidfd)
{
	int err = 0;
	ssize_t n;
	do
		n = read(rfd, &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(rfd);
	if (n == (ssize_t)sizeof err && err != 0) {
		int ws;
		while (waitpid(*pid, &ws, 0) < 0 && errno == EINTR)
			;
		close_fd(pidfd);
		return err;
	}
	return 0;
}

/* Starts argv with posix_spawn: vfork-like, so the runner's page tables
 * are not copied for every trial (fork was the largest part of the loop's
 * cost per trial). The child gets its own process group, default signal
 * handling and an empty signal mask whatever the runner has, /dev/null
 * on stdin and the pipes on stdout and stderr. Returns 0 or an errno (of
 * the chdir or exec that failed: glibc reports it from the child). */
int bo__spawn(const bo_exec_spec *spec, int out_w, int err_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int err;

	if ((err = posix_spawn_file_actions_init(&fa)) != 0)
		return err;
	if ((err = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return err;
	}
	sigfillset(&all);
	sigemptyset(&none);
	if ((err = posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO)) == 0 &&
	    (err = posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO)) == 0 &&
	    (err = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) == 0 &&
	    (!spec->workdir || (err = posix_spawn_file_actions_addchdir_np(&fa, spec->workdir)) == 0) &&
	    (err = posix_spawnattr_setsigdefault(&at, &all)) == 0 &&
	    (err = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (err = posix_spawnattr_setpgroup(&at, 0)) == 0 &&
	    (err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
						 POSIX_SPAWN_SETSIGMASK)) == 0)
		err = posix_spawnp(pid, spec->argv[0], &fa, &at, spec->argv, spec->envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

/* The child of spawn_clone, between clone3 and exec: only async-signal-
 * safe calls (the parent may have threads). Reports an errno on ep. */
static void child_exec(const bo_exec_spec *spec, int out_w, int err_w, int ep, pid_t parent)
{
	struct sigaction sa;
	sigset_t none;
	int fd, e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);   /* fails harmlessly for KILL, STOP */
	sigemptyset(&none);
	if (setpgid(0, 0) < 0)
		goto fail;
	/* Dies with the runner: nothing spends while no runner watches. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != parent)
		_exit(EXEC_FAILED_STATUS);   /* the runner died already */
	if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(err_w, STDERR_FILENO) < 0)
		goto fail;
	if ((fd = open("/dev/null", O_RDONLY)) < 0)
		goto fail;
	if (fd != STDIN_FILENO) {
		if (dup2(fd, STDIN_FILENO) < 0)
			goto fail;
		close(fd);
	}
	if (spec->workdir && chdir(spec->workdir) < 0)
		goto fail;
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(spec->argv[0], spec->argv, spec->envp);
fail:
	e = errno;
	while (write(ep, &e, sizeof e) < 0 && errno == EINTR)
		;
	_exit(EXEC_FAILED_STATUS);
}

/* Starts argv with clone3: into the cgroup cg_fd (when >= 0) before any
 * of its code runs, with a pidfd, and PR_SET_PDEATHSIG. Returns 0 (*pid
 * runs), an errno of the child's setup or exec (*pid was reaped), or -1
 * when clone3 itself failed (errno says why: ENOSYS on old kernels). */
int bo__spawn_clone(const bo_exec_spec *spec, int out_w, int err_w, int cg_fd, pid_t *pid,
		       int *pidfd)
{
	struct clone3_args ca;
	sigset_t all, old;
	int ep[2], cerr;
	long r;
	pid_t parent = getpid();

	*pid = 0;
	*pidfd = -1;
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -1;
	memset(&ca, 0, sizeof ca);
	ca.flags = BO_CLONE_PIDFD | (cg_fd >= 0 ? BO_CLONE_INTO_CGROUP : 0);
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = cg_fd >= 0 ? (uint64_t)cg_fd : 0;
	/* No handler of the caller may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r == 0)
		child_exec(spec, out_w, err_w, ep[1], parent);
	cerr = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (r < 0) {
		close(ep[0]);
		errno = cerr;
		return -1;
	}
	*pid = (pid_t)r;
	return exec_result(ep[0], pid, pidfd);
}

/* Moves a started process into a cgroup, where clone3 could not start it
 * there: its first instructions ran outside, which only matters if they
 * fork at once; the process group holds those. */
void bo__spawn_enter_cgroup(int cg_fd, pid_t pid)
{
	char num[32];
	int fd = openat(cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	snprintf(num, sizeof num, "%ld", (long)pid);
	if (fd < 0)
		return;
	while (write(fd, num, strlen(num)) < 0 && errno == EINTR)
		;
	close(fd);
}

/* ---- clone(CLONE_VM | CLONE_VFORK) ------------------------------------ */

/* The child's stack: execvpe's path search and the loader's arguments
 * fit with room to spare. */
#define VFORK_STACK ((size_t)64 << 10)
/* What the child reports when it could not enter its cgroup (no errno is
 * negative). */
#define VFORK_NO_CGROUP (-1)

typedef struct vfork_arg {
	const bo_exec_spec *spec;
	int out_w, err_w, ep, cg_fd;
	pid_t parent;
} vfork_arg;

/* The child shares the runner's memory until it execs (the runner's
 * thread waits meanwhile): it writes nothing but its own stack, and
 * moves itself into its cgroup before anything else, so the evaluator's
 * first instruction already runs there, as with CLONE_INTO_CGROUP. */
static int vfork_child(void *p)
{
	const vfork_arg *a = p;
	if (a->cg_fd >= 0) {
		/* Not in the cgroup: tell the parent (VFORK_NO_CGROUP), which
		 * then starts the job the way it did before this one. */
		int fd = openat(a->cg_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC), e = VFORK_NO_CGROUP;
		ssize_t w = -1;
		if (fd >= 0) {
			while ((w = write(fd, "0", 1)) < 0 && errno == EINTR)
				;
			close(fd);
		}
		if (w != 1) {
			while (write(a->ep, &e, sizeof e) < 0 && errno == EINTR)
				;
			_exit(EXEC_FAILED_STATUS);
		}
	}
	child_exec(a->spec, a->out_w, a->err_w, a->ep, a->parent);
	return EXEC_FAILED_STATUS;
}

int bo__spawn_vfork(const bo_exec_spec *spec, int out_w, int err_w, int cg_fd, pid_t *pid,
		    int *pidfd)
{
	vfork_arg a;
	sigset_t all, old;
	unsigned char *stack;
	int ep[2], err = 0, cerr, fd = -1;
	pid_t r;

	*pid = 0;
	*pidfd = -1;
	if (!(stack = malloc(VFORK_STACK))) {
		errno = ENOMEM;
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		free(stack);
		return -1;
	}
	a.spec = spec;
	a.out_w = out_w;
	a.err_w = err_w;
	a.ep = ep[1];
	a.cg_fd = cg_fd;
	a.parent = getpid();
	/* No handler of the caller may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r = clone(vfork_child, stack + VFORK_STACK, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
		  &a, &fd);
	cerr = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(stack);   /* the child has exec'd or exited: its stack is free */
	close(ep[1]);
	if (r < 0) {
		close(ep[0]);
		errno = cerr;
		return -1;
	}
	*pid = r;
	*pidfd = fd;
	if ((err = exec_result(ep[0], pid, pidfd)) != 0) {
		if (err == VFORK_NO_CGROUP) {
			*pid = 0;
			errno = EPERM;
			return -1;
		}
		return err;
	}
	return 0;
}
