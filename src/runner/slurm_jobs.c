/*
 * runner/slurm_jobs.c - a trial's Slurm job id in the ledger (see
 * slurm_jobs.h). Must never print or exit.
 */
#include "runner/slurm_jobs.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"

#define SLURM_PREFIX "slurm:"

int bo__runner_slurm_record(bo_storage *st, int64_t run_id, int64_t trial, int64_t job,
			    const char *how)
{
	char where[48], detail[160];
	int rc;
	snprintf(where, sizeof where, SLURM_PREFIX "%lld", (long long)job);
	if ((rc = st->ops->trial_launched(st, trial, 0, 0, where, NULL)) < 0)
		return rc;
	snprintf(detail, sizeof detail, "trial %lld is Slurm job %lld (%s)", (long long)trial,
		 (long long)job, how);
	return st->ops->event(st, run_id, trial, "slurm_job", (double)job, detail, bo__clock_wall());
}
