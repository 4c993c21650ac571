/*
 * exec/exec.h - running evaluator processes.
 *
 * The runner starts jobs and waits on all of them in one loop; the executor
 * captures their output (logging it to files in the trial folder with a size
 * cap, and handing each complete stdout line to a callback), measures them
 * (wall time, CPU time, peak memory through wait4) and stops them.
 *
 * Containment: every process a job starts belongs to the job, whatever it
 * does (setsid, setpgid, double forks, clearing its environment), and is
 * stopped with it; see bo__exec_contain. Each job's main process gets
 * PR_SET_PDEATHSIG(SIGKILL), so it dies with the thread that started it.
 *
 * Never uses a shell: argv goes to execvp as it is. Never prints.
 */
#ifndef BO_EXEC_EXEC_H
#define BO_EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct bo_exec bo_exec;
typedef struct bo_job bo_job;

/* Called for every complete line the job writes on stdout (without the
 * newline, NUL-terminated), and once at exit for a last line without a
 * newline. too_long = 1 when the line passed the line limit: line then
 * holds only its start and should be treated as garbage. */
typedef void (*bo_line_fn)(void *ud, bo_job *job, const char *line, size_t len, int too_long);

typedef struct bo_exec_spec {
	char *const *argv;        /* argv[0] looked up on PATH; NULL-terminated */
	char *const *envp;        /* the whole environment; NULL-terminated */
	const char *workdir;      /* the process's working folder */
	const char *log_dir;      /* stdout.log and stderr.log go here, each created
				   * when the job first writes to that stream */
	int log_dir_new;          /* 1: the caller has just made log_dir, empty and
				   * its own: no stale log to remove, no check */
	size_t log_cap;           /* bytes kept per log file (0: 16 MiB); the rest is counted, not kept */
	size_t line_max;          /* longest stdout line handed whole (0: 1 MiB) */
	bo_line_fn on_line;
	void *ud;
	const char *cgroup_name;  /* name of the job's cgroup (BO_CONTAIN_CGROUP);
				   * NULL: budgetopt-<pid>-<n> */
	const char *marker;       /* optional "NAME=VALUE" entry of envp that names
				   * this job: with BO_CONTAIN_TREE, an adopted
				   * process whose environment holds it is the job's */
	const char *tag;          /* Slurm: the job's comment, unique to the trial:
				   * a resumed runner finds the job by it */
	const char *job_name;     /* Slurm: the job's name, for people (squeue) */
} bo_exec_spec;

/* How the processes of a job are held together. */
enum {
	BO_CONTAIN_AUTO = 0,      /* a cgroup where one can be made, else the tree */
	BO_CONTAIN_CGROUP,        /* a cgroup v2 per job (cgroup.kill, cpu.stat) */
	BO_CONTAIN_TREE,          /* the caller becomes a child subreaper; the job's
				   * descendants are followed through /proc */
	BO_CONTAIN_GROUP          /* only the job's process group */
};

typedef struct bo_job_status {
	int running;              /* 1 until the process has been reaped */
	int64_t pid;              /* also the process group id */
	int exec_errno;           /* non-zero: the program could not be started (errno of exec/chdir) */
	int exit_code;            /* -1 when killed by a signal or not exited */
	int term_signal;          /* signal that ended it, or 0 */
	double wall_s;            /* since start, up to now or the exit */
	double cpu_s;             /* user + system; while running, read from /proc (the main process and reaped children) */
	double maxrss_kb;         /* peak resident memory (0 while running) */
	uint64_t stdout_bytes;    /* bytes written, including those past the cap */
	uint64_t stderr_bytes;
	uint64_t start_time;      /* of pid: field 22 of /proc/<pid>/stat (0: unknown) */
	const char *cgroup;       /* the job's cgroup folder, or NULL; valid while the job is */
	size_t nprocs;            /* processes of the job besides pid known alive (tree) */
	int64_t slurm_job;        /* the Slurm job id (exec/slurm.c), 0 for a local process */
	const char *reason;       /* why the executor saw it fail (Slurm's state and
				   * reason), or NULL: judge by exit_code/term_signal */
	const char *gpu_resource; /* Slurm's GPU accounting: "gpu_hours" or
				   * "gpu_hours.TYPE", NULL when no GPU was allocated */
	double gpu_hours;         /* GPUs allocated x hours run */
} bo_job_status;

int bo__exec_new(bo_exec **out);

/* Chooses how jobs are contained; call before the first start (default
 * BO_CONTAIN_GROUP, the behaviour of old). BO_CONTAIN_AUTO takes a cgroup
 * when this process's cgroup2 folder is writable, else the tree.
 * BO_CONTAIN_TREE makes the calling process a child subreaper
 * (PR_SET_CHILD_SUBREAPER): from then on every child of the process that is
 * not a job's main process is taken as an escaped descendant of some job,
 * reaped, and stopped with its job (or at once when no job owns it).
 * Returns 0, BO_ENOTFOUND (cgroup asked for, none writable) or BO_EMISUSE
 * (jobs already started). */
int bo__exec_contain(bo_exec *ex, int mode);
/* The mode in use (never BO_CONTAIN_AUTO after bo__exec_contain). */
int bo__exec_contain_mode(const bo_exec *ex);
/* "auto", "cgroup", "tree", "group". */
const char *bo__exec_contain_name(int mode);
/* The mode named s, or -1. */
int bo__exec_contain_parse(const char *s);
/* Kills (SIGKILL to each group) and reaps every job still running, then frees. */
void bo__exec_free(bo_exec *ex);

/* Starts a job in its own process group. Returns 0 and *out (the job stays
 * valid until bo__exec_release), or BO_EIO (fork/pipe/log files failed; the
 * message says which). A program that does not exist is not an error here:
 * the job ends at once with exec_errno set. */
int bo__exec_start(bo_exec *ex, const bo_exec_spec *spec, bo_job **out);

/* on_line may call bo__exec_status and bo__exec_signal, but must not start,
 * wait for or release jobs. */

/* Waits up to timeout_ms (0: do not block) for output or an exit. Output is
 * logged and lines are handed to on_line. Returns 0 and *done = a job that
 * has exited and been reaped since the last call (each is returned once,
 * after all its output was read), or *done = NULL when the time passed or
 * a signal interrupted the wait. Negative on error. */
int bo__exec_wait(bo_exec *ex, int timeout_ms, bo_job **done);

/* Sends sig to the job's whole process group (no-op once reaped). */
int bo__exec_signal(bo_exec *ex, bo_job *job, int sig);

void bo__exec_status(const bo_job *job, bo_job_status *out);
/* Only what names the job's processes (running, pid, start_time, cgroup,
 * slurm_job; the rest zero), without reading its usage: what the runner
 * records when it has just started the job. */
void bo__exec_ident(const bo_job *job, bo_job_status *out);

/* Copies up to max (pid, start time) pairs of the job's other processes
 * known alive (BO_CONTAIN_TREE) and returns how many there are. */
size_t bo__exec_procs(const bo_job *job, int64_t *pids, uint64_t *starts, size_t max);

/* Number of jobs started and not yet returned by bo__exec_wait. */
size_t bo__exec_running(const bo_exec *ex);

/* Frees a finished job (returned by bo__exec_wait). */
void bo__exec_release(bo_exec *ex, bo_job *job);

#endif
