/*
 * runner/asker.h - the sampler's asks, off the run loop's thread.
 *
 * A GP ask with a long history takes up to a second; the run loop must
 * keep policing caps, heartbeats, the pruner and the safeguards meanwhile.
 * The asker owns one thread that runs bo__sampler_ask; the loop starts an
 * ask, goes on polling its jobs, and takes the proposal when it is ready.
 *
 * The sampler is not thread-safe, so the rule is by phase, not by lock:
 * while an ask is in flight (bo__asker_busy) the loop must not touch the
 * sampler at all (no tell, predict, cheaper, name); once the asker is idle
 * the loop owns it again (the hand-over goes through the asker's mutex, so
 * the thread's writes are visible). The loop defers a finished trial's tell
 * until the ask returns: the sampler then sees "ask n, tell k" in the order
 * a synchronous loop would have made the calls.
 *
 * BUDGETOPT_ASK=sync runs each ask on the calling thread (the loop blocks,
 * as before the asker): the reference the asynchronous path is checked
 * against. BUDGETOPT_TEST_ASK_DELAY_MS=n makes every ask n ms slower (for
 * tests that need a slow ask on a clock they know).
 */
#ifndef BO_RUNNER_ASKER_H
#define BO_RUNNER_ASKER_H

#include <stddef.h>
#include <stdint.h>

#include "samplers/sampler.h"

typedef struct bo_asker bo_asker;

/* Makes an asker for sm's proposals of nparams values (the thread starts
 * with the first ask). Returns 0, BO_ENOMEM, or BO_EINVAL (a bad
 * BUDGETOPT_ASK or BUDGETOPT_TEST_ASK_DELAY_MS). */
int bo__asker_new(bo_asker **out, bo_sampler *sm, size_t nparams);

/* Waits for an ask in flight, stops the thread and frees. Accepts NULL. */
void bo__asker_free(bo_asker *a);

/* Asks made on the caller's thread when nothing needs policing (idle: no
 * job runs) and the last ask took less than this: handing a fast ask to the
 * thread and back only adds a wake-up per trial (bench: run overhead). */
#define BO_ASK_INLINE_S 0.005

/* Starts asking for trial number. With idle set (no job runs, nothing to
 * police) and the last ask faster than BO_ASK_INLINE_S, the ask is made on
 * the caller's thread. BO_EMISUSE while an ask is in flight or its
 * proposal was not taken; BO_EIO when the thread cannot start. In sync
 * mode, and inline, the proposal is ready on return. */
int bo__asker_start(bo_asker *a, int64_t number, int idle);

/* 1 while an ask is in flight (the loop must not touch the sampler). */
int bo__asker_busy(bo_asker *a);

/* 1 while an ask is in flight or its proposal waits to be taken. */
int bo__asker_pending(bo_asker *a);

/* Waits up to timeout_ms for the ask in flight to return (0: no wait).
 * Returns 1 when no ask is in flight (then), else 0. */
int bo__asker_wait(bo_asker *a, int timeout_ms);

/* Takes a returned proposal: copies it into x (nparams values), sets
 * *number to the trial it was asked for and *rc to the sampler's code (0,
 * BO_DONE or an error, its message set again on this thread), and returns
 * 1. Returns 0 when nothing is ready (in flight, or never asked), leaving
 * x, *number and *rc alone. */
int bo__asker_take(bo_asker *a, int64_t *number, double *x, int *rc);

/* Asks made so far, how many of them inline (on the caller's thread though
 * not in sync mode), and the longest (seconds): for the run_end event.
 * Only while no ask is in flight. */
void bo__asker_stats(bo_asker *a, int64_t *nasks, int64_t *ninline, double *longest_s, int *async);

#endif
