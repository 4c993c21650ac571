/*
 * runner/fidelity.h - the multi-fidelity schedule: ASHA rungs (Li et al.
 * 2020) or Hyperband brackets (Li et al. 2018) over the study's fidelity
 * parameter.
 *
 * The runner asks the schedule what to launch next: a new configuration
 * (the sampler proposes it) at some rung's fidelity, the promotion of a
 * configuration already run to the next rung, or nothing until a running
 * trial finishes (Hyperband waits for a rung to complete). The runner tells
 * it what it launched and how each trial ended. Pure: no clock, no files,
 * no randomness; replaying the same trials rebuilds the same state, which
 * is how a resumed study goes on.
 */
#ifndef BO_RUNNER_FIDELITY_H
#define BO_RUNNER_FIDELITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

typedef struct bo_fidelity bo_fidelity;

enum { BO_FID_NEW = 0, BO_FID_PROMOTE, BO_FID_WAIT };

/* What to launch next. */
typedef struct bo_fid_next {
	int kind;          /* BO_FID_* */
	int64_t config;    /* promote: the configuration (the id of its first trial) */
	int64_t parent;    /* promote: its trial at the rung below */
	int rung;          /* the rung launched (0: lowest fidelity) */
	int bracket;       /* hyperband: the bracket's s; asha: 0 */
	double value;      /* the fidelity parameter's value at that rung */
} bo_fid_next;

/* A schedule for spec over a parameter of type ptype (BO_PT_INT rounds the
 * rungs' values) in a space of nparams. Returns 0 and *out, BO_ENOMEM. */
int bo__fidelity_new(bo_fidelity **out, const bo_fidelity_spec *spec, int ptype, size_t nparams);
void bo__fidelity_free(bo_fidelity *f);

/* The number of rungs and the value of rung k (0 <= k < nrungs): the top
 * rung is max, each below it eta times smaller, none below min. */
int bo__fidelity_nrungs(const bo_fidelity *f);
double bo__fidelity_value(const bo_fidelity *f, int k);

/* The rung whose value is v, or -1. */
int bo__fidelity_rung_of(const bo_fidelity *f, double v);

/* What to launch next; changes nothing (bo__fidelity_started commits). */
void bo__fidelity_next(const bo_fidelity *f, bo_fid_next *out);

/* Trial id was launched as n said (n from bo__fidelity_next, unchanged
 * since), with the configuration x (nparams values, copied for later
 * promotions). Returns 0, BO_ENOMEM. */
int bo__fidelity_started(bo_fidelity *f, int64_t id, const bo_fid_next *n, const double *x);

/* Trial id ended with score (larger is better; NaN: failed or without a
 * score, ranked below every score and never promoted). Unknown ids are
 * ignored. Returns 0. */
int bo__fidelity_finished(bo_fidelity *f, int64_t id, double score);

/* A stored trial id with parameters x, replayed in id order when a study
 * resumes: it is matched to a configuration (a promotion has the same
 * values but for the fidelity) and committed as bo__fidelity_started
 * would. *out says what it was taken for. Returns 0, BO_ENOMEM, or
 * BO_EINVAL when its fidelity is on no rung (the study's fidelity changed). */
int bo__fidelity_replay(bo_fidelity *f, int64_t id, const double *x, bo_fid_next *out);

/* The trial's configuration and rung (-1, -1 when unknown). */
void bo__fidelity_trial(const bo_fidelity *f, int64_t id, int64_t *config, int *rung);

/* The configuration's parameters (nparams values) or NULL. */
const double *bo__fidelity_config_x(const bo_fidelity *f, int64_t config);

/* Finished observations at rung k: up to cap trial ids with a score
 * into ids (may be NULL); returns how many there are. */
size_t bo__fidelity_rung_done(const bo_fidelity *f, int k, int64_t *ids, size_t cap);

#endif
