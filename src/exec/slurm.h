/*
 * exec/slurm.h - the Slurm executor: each job is a Slurm batch job.
 *
 * A bo_exec made by bo__exec_new_slurm is driven through the same calls
 * as the local one (exec.h): bo__exec_start submits with sbatch,
 * bo__exec_wait follows the jobs with squeue and hands the lines of their
 * stdout.log to on_line as they appear, bo__exec_signal cancels with
 * scancel, bo__exec_status says what Slurm and the job script measured.
 * local.c hands each call to the functions below when ex->slurm is set.
 *
 * Internal to exec/ and runner/.
 */
#ifndef BO_EXEC_SLURM_H
#define BO_EXEC_SLURM_H

#include <stdint.h>

#include "core/model.h"
#include "exec/exec.h"

/* An executor that submits every job to Slurm with the options o (kept by
 * pointer: they must outlive the executor). timeout_s (NaN: none) is the
 * runner's per-trial time limit: without slurm: time, a job gets a Slurm
 * time limit a minute longer, so that a job whose runner died still ends.
 * 0, or BO_ENOMEM. */
int bo__exec_new_slurm(bo_exec **out, const bo_slurm_opts *o, double timeout_s);

/* Takes back the Slurm job of a trial whose runner died: the job id given
 * (0: unknown), else the one in spec->log_dir/slurm_job, else the job whose
 * comment is spec->tag (squeue). The job is then followed as if this
 * executor had submitted it: its stdout.log is read again from the start.
 * 0 and *out, BO_ENOTFOUND when no job is known for the trial, BO_EIO. */
int bo__exec_adopt_slurm(bo_exec *ex, const bo_exec_spec *spec, int64_t job_id, bo_job **out);

/* What local.c hands over (see exec.h for each call). */
void bo__slurm_free(bo_exec *ex);
int bo__slurm_start(bo_exec *ex, const bo_exec_spec *spec, bo_job **out);
int bo__slurm_wait(bo_exec *ex, int timeout_ms, bo_job **done);
int bo__slurm_signal(bo_exec *ex, bo_job *job, int sig);
void bo__slurm_status(const bo_job *job, bo_job_status *out);
size_t bo__slurm_running(const bo_exec *ex);
void bo__slurm_release(bo_exec *ex, bo_job *job);

/* ---- parsing Slurm's answers (pure; tests/unit/test_slurm.c) ---------- */

/* Seconds of Slurm's elapsed forms "[D-]HH:MM:SS", "MM:SS.mmm" (sacct's
 * TotalCPU), or NaN. */
double bo__slurm_elapsed_parse(const char *s);
/* Kilobytes of a size like "1234K", "12.5M", "3G" (sacct's MaxRSS), or NaN. */
double bo__slurm_size_kb(const char *s);
/* GPUs in a TRES list ("cpu=1,mem=1G,gres/gpu:a100=2"): the count, and the
 * type in type (empty when untyped). 0 when none. */
double bo__slurm_tres_gpus(const char *tres, char *type, size_t size);
/* The value of key in one line of `scontrol show job -o` ("JobState"), copied
 * to buf; 0, or -1 when absent. */
int bo__slurm_scontrol_field(const char *line, const char *key, char *buf, size_t size);

#endif
