/*
 * runner/orphans.h - trials left "running" by a runner that died: find
 * every process they left, stop it, and charge what they used.
 *
 * Internal to runner/: the run loop hands its ledger and two callbacks
 * (pricing with the per-trial cap, and recording what was done).
 */
#ifndef BO_RUNNER_ORPHANS_H
#define BO_RUNNER_ORPHANS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/trial.h"
#include "storage/storage.h"

typedef struct bo_orphan_ctx {
	bo_storage *st;
	const bo_study *s;
	const char *ledger_path;
	int record_mode;        /* of the trial.record it rewrites (0600, 0640) */
	/* Prices usage for trial id, at most cap (NaN: no cap); *uncapped
	 * gets the price before the cap. */
	double (*charge)(void *ud, int64_t id, const bo_kv *usage, size_t n, double cap,
			 double *uncapped);
	/* Called first for each trial left running (NULL: never): 1 when the
	 * runner took it back (its Slurm job still goes on), so it is no
	 * orphan; 0 to recover it here; < 0 an error that stops recovery. */
	int (*adopt)(void *ud, const bo_trial_rec *t);
	/* Called once per orphan after it was committed, with what it was
	 * charged and its price before the cap (a "cap_clamped" event, if any,
	 * is recorded here: after the charge, never for one that did not
	 * commit). */
	void (*recovered)(void *ud, int64_t id, double cost, double uncapped, int nkilled);
	void *ud;
} bo_orphan_ctx;

/* Fails every trial left running, after stopping its processes (found by
 * its cgroup, by the evaluator's pid and start time, by the process group
 * and session it led, by the environment marker, and the descendants of
 * all these), and charges the larger, per resource, of the usage stored at
 * the last heartbeat, the usage the evaluator last reported (stdout.log or
 * result.json in its folder) and what was measured now. 0 or an error of
 * the ledger. */
int bo__orphans_recover(const bo_orphan_ctx *c);

/* The name of the cgroup of the trial whose folder is folder: derived
 * from it, so that a runner killed before it stored the cgroup's path
 * still has it found. */
void bo__orphans_cgroup_name(const char *folder, char *buf, size_t size);

#endif
