/*
 * exec/slurm_int.h - what the Slurm executor's files share: a job's and
 * the executor's state, the output of a command, the clocks, and the
 * bo__slurm_* functions one file defines and others call.
 *
 * Internal to exec/: only slurm.c, slurm_submit.c and slurm_follow.c
 * include it.
 */
#ifndef BO_EXEC_SLURM_INT_H
#define BO_EXEC_SLURM_INT_H

#include "core/clock.h"
#include "exec/exec.h"
#include "exec/slurm.h"
#include "core/strbuf.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum { SJ_PENDING, SJ_RUNNING, SJ_OVER };

typedef struct bo_slurm bo_slurm;

typedef struct bo_sjob {
	int64_t id;
	char *folder;
	char *tag;
	int state;
	char sstate[48];        /* Slurm's last word on it: RUNNING, CANCELLED... */
	char *reason;           /* when it failed as Slurm saw it */
	int missing;            /* polls in a row that did not list it */
	double t_run;           /* monotonic: seen running (0: not yet) */
	double t_end;           /* monotonic: seen over */
	double wall_s, cpu_s, maxrss_kb;
	double gpus;            /* allocated */
	char gpu_res[96];       /* "gpu_hours" or "gpu_hours.TYPE" */
	int exit_code, term_signal;
	int cancelled, killed;  /* scancel sent */
	int returned;
	int out_fd;             /* stdout.log, once it exists */
	uint64_t out_bytes;
	char *line;
	size_t line_len, line_cap, line_max;
	int skipping;
} bo_sjob;

struct bo_slurm {
	const bo_slurm_opts *o;
	double timeout_s;
	double poll_s;
	double last_poll;       /* monotonic, 0: never */
	bo_job **jobs;
	size_t njobs, capjobs;
};

/* The clocks (core/clock.h) under the names these files use. */
static inline double mono_now(void)
{
	return bo__clock_mono();
}

static inline double wall_now(void)
{
	return bo__clock_wall();
}

typedef struct cmd_out {
	bo_strbuf out, err;
	int status;             /* exit code, or 128 + signal, or -1 not run */
} cmd_out;

/* slurm.c */
void bo__slurm_cmd_clear(cmd_out *c);
int bo__slurm_run_cmd(char *const argv[], char *const envp[], cmd_out *c);
const char *bo__slurm_first_line(const bo_strbuf *sb, char *buf, size_t size);

/* slurm_submit.c */
double bo__slurm_epoch_s(const char *p);
int bo__slurm_read_status(bo_sjob *sj, int *exit_code, double *wall_s, double *cpu_s);
void bo__slurm_sjob_free(bo_sjob *sj);
int bo__slurm_squeue_all(cmd_out *c);

/* slurm_follow.c */
void bo__slurm_tail(bo_job *job, char *buf, size_t size);
int bo__slurm_poll_jobs(bo_exec *ex, char *buf, size_t size);

#endif
