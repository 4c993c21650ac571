/*
 * runner/confirm.h - the confirmation phase of a run: a share of the money
 * budget (budget: confirm) or an extra amount (select --reserve) spent
 * re-evaluating the top candidates in rounds of successive rejection
 * (analysis/racing.h) before anything is recommended.
 *
 * Part of the run loop (runner/runner_int.h); its state lives in the
 * ledger, so a runner killed at any instant resumes the phase where it
 * was: a "confirm_start" event (amount: the most the ledger may have spent
 * by the phase's end; trial: the last trial before it; its detail lists
 * the candidates), a "confirm_drop" event per candidate dropped (trial: the
 * candidate; amount: its mean score) and a "confirm_end" event (trial: the
 * winner; amount: what the phase spent). Its trials are the candidates'
 * configurations run again with the next repeat index (beyond the study's
 * repeats), marked "confirm" in the sampler column: that is how they are
 * told apart from exploration's, and they are never told to the sampler
 * (exploration has ended).
 */
#ifndef BO_RUNNER_CONFIRM_H
#define BO_RUNNER_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

#include "core/trial.h"

struct runner;
typedef struct bo_confirm bo_confirm;

/* How many of the best configurations a phase races at most. */
#define BO_CONFIRM_TOP 4

/* Sets up the phase for runner r when the study keeps a share back or the
 * run was asked for a confirmation (bo_run_options.confirm_money): r->s
 * becomes a view of the study whose money budget is what exploration may
 * spend. Nothing otherwise. Returns 0, BO_EINVAL (a study the phase cannot
 * race: no score, scenarios, fidelity, a worker), BO_ENOMEM. */
int bo__confirm_new(struct runner *r);
void bo__confirm_free(bo_confirm *c);

/* Once the ledger's history is loaded: a phase the ledger holds open (a
 * run killed during it), or a run asked only for a confirmation, enters
 * the phase at once (exploration is over). Returns 0 or an error. */
int bo__confirm_resume(struct runner *r);

/* Exploration has stopped and nothing runs: enters the confirmation phase
 * if one is due (not after an interrupt or the time budget, and once per
 * study for budget: confirm). Returns 1 when it did (launching goes on),
 * 0 when the run ends, or an error. */
int bo__confirm_switch(struct runner *r);

/* In the phase, the next trial to launch: sets r->held_x and its unit
 * (held_conf) and returns LAUNCH_OK; LAUNCH_WAIT while the round's trials
 * run; LAUNCH_STOP once the race is decided or the reserve is spent (the
 * drops and the end are recorded). */
int bo__confirm_hold(struct runner *r);

/* 1 while the runner is in a confirmation phase. */
int bo__confirm_on(const struct runner *r);

/* What a confirmation's trials have in the ledger's sampler column. */
#define BO_CONFIRM_SAMPLER "confirm"

/* 1 when stored trial t is a re-evaluation of a confirmation phase (its
 * sampler column says so): never told to the sampler. */
int bo__confirm_is_trial(const bo_trial_rec *t);

#endif
