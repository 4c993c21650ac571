/*
 * runner/slurm_jobs.h - how the ledger knows a trial's Slurm job.
 *
 * A trial run through Slurm has its job id in the ledger twice: in the
 * trial's launch fields (pid empty, cgroup "slurm:JOBID": what holds its
 * processes is a Slurm job) and as a "slurm_job" event (amount: the job
 * id), so that export, status and the dashboard show it and a resumed
 * runner takes the job back (exec/slurm.h, bo__exec_adopt_slurm).
 *
 * Internal to runner/ and cli/.
 */
#ifndef BO_RUNNER_SLURM_JOBS_H
#define BO_RUNNER_SLURM_JOBS_H

#include <stdint.h>

#include "core/trial.h"
#include "storage/storage.h"

/* Stores that trial is Slurm job job: its launch fields and a "slurm_job"
 * event whose detail ends with how ("submitted", "taken back by run 3").
 * 0 or an error of the ledger. */
int bo__runner_slurm_record(bo_storage *st, int64_t run_id, int64_t trial, int64_t job,
			    const char *how);

#endif
