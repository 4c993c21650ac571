/*
 * exec/local_int.h - what the local executor's files share: the job and
 * executor structures, and the containment functions (exec/contain.c)
 * that local.c calls.
 *
 * Internal to exec/: nothing outside local.c, spawn.c and contain.c includes it.
 */
#ifndef BO_EXEC_LOCAL_INT_H
#define BO_EXEC_LOCAL_INT_H

#include "exec/exec.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#define DEFAULT_LOG_CAP ((size_t)16 << 20)
#define DEFAULT_LINE_MAX ((size_t)1 << 20)
#define READ_CHUNK ((size_t)64 << 10)
/* Bytes read from one pipe per pass of the loop, so that one chatty job
 * cannot starve the others. */
#define READ_PER_PASS ((size_t)1 << 20)
/* Longest poll() slice when some job has no pidfd to wake us on exit. */
#define EXIT_TICK_MS 20
/* Bound on the final drain after the main process exited: more than any
 * pipe can hold, so it gets everything the job wrote, yet finite when an
 * escaped (setsid) descendant keeps writing. */
#define FINAL_DRAIN ((size_t)16 << 20)
/* Exit status of the child when exec or chdir failed (the shell's value). */
#define EXEC_FAILED_STATUS 127
/* Shortest time between two walks of /proc (BO_CONTAIN_TREE). */
#define WALK_MS 50
/* Passes of walk + kill + reap when a tree job ends: each pass kills what
 * the last one found, and forks racing with the kill show up in the next. */
#define KILL_PASSES 50
/* Longest wait for a killed cgroup to empty before it is removed. */
#define CGROUP_EMPTY_MS 5000

/* clone3's argument (linux/sched.h), spelled out so that the kernel header
 * and glibc's sched.h need not meet in one file. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};
#define BO_CLONE_PIDFD 0x00001000ULL
#define BO_CLONE_INTO_CGROUP 0x200000000ULL

enum { OUT = 0, ERR = 1 };

typedef struct tracked {
	pid_t pid;
	uint64_t start;
} tracked;

typedef struct stream {
	int fd;                 /* read end of the pipe, -1 once closed */
	int log_fd;             /* -1 until the first output, or after a write error */
	int log_opened;         /* the log file was opened (or that failed) */
	char *log_path;         /* created on the first byte: silent jobs make no files */
	uint64_t bytes;         /* everything read, kept or not */
	int truncated;          /* the truncation note was written */
	char last;              /* last byte written to the log */
} stream;

struct bo_job {
	bo_exec *ex;
	struct bo_sjob *sj;     /* a Slurm job (exec/slurm.c): none of the rest is used */
	pid_t pid;              /* also the process group id */
	int pidfd;              /* -1 when the kernel has none */
	stream s[2];
	size_t log_cap;
	size_t line_max;
	char *line;             /* grows as lines need, up to line_max + 1 bytes */
	size_t line_len;
	size_t line_cap;
	int skipping;           /* inside a too-long line: drop until newline */
	bo_line_fn on_line;
	void *ud;
	int reaped;
	int lost;               /* reaped by someone else: status unknown */
	int returned;
	int exec_errno;
	int wstatus;
	struct rusage ru;
	struct timespec t_start;
	struct timespec t_end;
	uint64_t start_time;    /* of pid, from /proc */
	char *marker;           /* "NAME=VALUE" in the environment of its processes */
	char *cg_path;          /* its cgroup, or NULL */
	int cg_fd;
	double cg_cpu_s;        /* read when it ended (NaN: unknown) */
	double cg_peak_kb;
	tracked *procs;         /* other processes of the job known alive (tree) */
	size_t nprocs, capprocs;
	double procs_cpu_s;     /* their CPU time at the last walk */
	double adopted_cpu_s;   /* CPU time of its processes we reaped */
};

typedef struct poll_ref {
	bo_job *job;
	int kind;               /* OUT, ERR, or -1 for the pidfd */
} poll_ref;

struct bo_exec {
	struct bo_slurm *slurm; /* set: jobs are Slurm jobs (exec/slurm.c) */
	bo_job **jobs;          /* in start order; released jobs are removed */
	size_t n_jobs, cap_jobs;
	struct pollfd *pfd;     /* rebuilt on each pass of bo__exec_wait */
	poll_ref *ref;          /* what each pfd entry belongs to */
	size_t cap_pfd, cap_ref;
	char *buf;              /* READ_CHUNK bytes of scratch for reads */
	int mode;               /* BO_CONTAIN_* */
	char cg_base[4096];     /* where job cgroups are made */
	unsigned long seq;      /* jobs started, for cgroup names */
	struct timespec last_walk;
	tracked *strays;        /* adopted processes no job claimed at the last walk */
	size_t nstrays, capstrays;
};

/* Seconds from a to b. */
double bo__exec_elapsed_s(const struct timespec *a, const struct timespec *b);

/* A pidfd for pid, or -1 where the kernel has none. */
int bo__exec_open_pidfd(pid_t pid);

/* ---- exec/contain.c ---------------------------------------------------- */

/* Signals pid's process group, or pid alone when it leads none. */
void bo__contain_kill_group(pid_t pid, int sig);

/* With BO_CONTAIN_TREE: follows every running job's processes through
 * /proc, reaps adopted ones that exited (charging their CPU time to their
 * job) and stops adopted ones no job claims. 0 or BO_ENOMEM. */
int bo__contain_walk(bo_exec *ex);

/* Sends sig to every process of the job this executor knows of. */
void bo__contain_signal_all(bo_job *job, int sig);

/* Stops every process of a job whose main process has exited or is being
 * killed (its cgroup, or the processes the walk finds). */
void bo__contain_stop_rest(bo_exec *ex, bo_job *job);

/* exec/spawn.c: starting a job's process. Each returns 0 (*pid runs), an
 * errno of the child's setup or exec (it was reaped), or -1 when the way
 * itself is missing (errno says why). */
int bo__spawn(const bo_exec_spec *spec, int out_w, int err_w, pid_t *pid);
int bo__spawn_clone(const bo_exec_spec *spec, int out_w, int err_w, int cg_fd, pid_t *pid,
		    int *pidfd);
/* The same as bo__spawn_clone without copying the runner's memory: the
 * child shares it until exec (clone with CLONE_VM | CLONE_VFORK and a
 * pidfd) and enters the cgroup cg_fd itself, before exec. */
int bo__spawn_vfork(const bo_exec_spec *spec, int out_w, int err_w, int cg_fd, pid_t *pid,
		    int *pidfd);
/* Moves a started process into the cgroup cg_fd (best effort). */
void bo__spawn_enter_cgroup(int cg_fd, pid_t pid);

#endif
