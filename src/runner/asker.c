/*
 * runner/asker.c - the sampler's asks on a thread of their own
 * (runner/asker.h says what the loop may do meanwhile).
 *
 * One thread, started with the first ask and kept until the run ends; one
 * ask at a time; a mutex and a condition variable hand the request in and
 * the proposal back. The loop never waits on the mutex for longer than the
 * hand-over itself: the thread holds it only to read a request and to post
 * a result, never during the ask.
 *
 * Must never touch the ledger, the executor or the clock of the loop: the
 * thread knows the sampler and nothing else.
 */
#include "runner/asker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/error.h"

enum { IDLE, ASKING, READY };

struct bo_asker {
	bo_sampler *sm;
	size_t nparams;
	int sync;               /* BUDGETOPT_ASK=sync: ask on the caller's thread */
	long delay_ms;          /* BUDGETOPT_TEST_ASK_DELAY_MS */
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* a request came in, a result went out, or quit */
	pthread_t th;
	int started, quit;
	int state;
	int64_t number;
	double *x;
	int rc;
	char msg[512];
	int64_t nasks, ninline;
	double longest_s, last_s;   /* last_s: -1 before the first ask */
};

/* The ask itself, on whichever thread runs it; the result lands in a->x,
 * a->rc and a->msg (the thread's own error slot is not the loop's). */
static void do_ask(bo_asker *a, int64_t number)
{
	double t = bo__clock_mono(), dt;
	int rc;
	if (a->delay_ms > 0) {
		struct timespec nap = {a->delay_ms / 1000, (a->delay_ms % 1000) * 1000000L};
		while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
			;
	}
	rc = bo__sampler_ask(a->sm, number, a->x);
	a->rc = rc;
	snprintf(a->msg, sizeof a->msg, "%s", rc != 0 ? bo_error_last() : "");
	dt = bo__clock_mono() - t;
	a->last_s = dt;
	a->nasks++;
	if (dt > a->longest_s)
		a->longest_s = dt;
}

static void *asker_main(void *arg)
{
	bo_asker *a = arg;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->quit && a->state != ASKING)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->quit)
			break;
		/* The loop leaves the sampler and a->x alone while ASKING. */
		pthread_mutex_unlock(&a->mu);
		do_ask(a, a->number);
		pthread_mutex_lock(&a->mu);
		a->state = READY;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int bo__asker_new(bo_asker **out, bo_sampler *sm, size_t nparams)
{
	bo_asker *a = NULL;
	const char *mode = getenv("BUDGETOPT_ASK");
	const char *delay = getenv("BUDGETOPT_TEST_ASK_DELAY_MS");
	char *end = NULL;
	int rc = 0;

	*out = NULL;
	if (mode && *mode && strcmp(mode, "sync") && strcmp(mode, "thread")) {
		rc = bo__error(BO_EINVAL, "BUDGETOPT_ASK=%s: expected thread or sync", mode);
		goto done;
	}
	if (!(a = bo__calloc(1, sizeof *a)) || !(a->x = bo__calloc(nparams ? nparams : 1, sizeof *a->x))) {
		rc = BO_ENOMEM;
		goto done;
	}
	a->sm = sm;
	a->nparams = nparams;
	a->sync = mode && !strcmp(mode, "sync");
	a->last_s = -1;   /* the first ask's time is unknown: on the thread */
	if (delay && *delay) {
		a->delay_ms = strtol(delay, &end, 10);
		if (*end || a->delay_ms < 0 || a->delay_ms > 3600000L) {
			rc = bo__error(BO_EINVAL, "BUDGETOPT_TEST_ASK_DELAY_MS=%s: expected milliseconds", delay);
			goto done;
		}
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	*out = a;
	a = NULL;
done:
	if (a) {
		bo__free(a->x);
		bo__free(a);
	}
	return rc;
}

void bo__asker_free(bo_asker *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->quit = 1;   /* an ask in flight ends first: the thread checks after it */
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->th, NULL);
	}
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	bo__free(a->x);
	bo__free(a);
}

int bo__asker_start(bo_asker *a, int64_t number, int idle)
{
	int rc = 0;
	pthread_mutex_lock(&a->mu);
	if (a->sync || (idle && a->last_s >= 0 && a->last_s < BO_ASK_INLINE_S)) {
		if (a->state != IDLE) {
			rc = bo__error(BO_EMISUSE, "an ask is already pending");
			goto done;
		}
		/* The thread, if any, waits for ASKING: the sampler is ours. */
		pthread_mutex_unlock(&a->mu);
		a->number = number;
		do_ask(a, number);
		pthread_mutex_lock(&a->mu);
		if (!a->sync)
			a->ninline++;
		a->state = READY;
		goto done;
	}
	if (a->state != IDLE) {
		rc = bo__error(BO_EMISUSE, "an ask is already pending");
		goto done;
	}
	if (!a->started) {
		int e = pthread_create(&a->th, NULL, asker_main, a);
		if (e) {
			rc = bo__error(BO_EIO, "cannot start the asker thread: %s", strerror(e));
			goto done;
		}
		a->started = 1;
	}
	a->number = number;
	a->state = ASKING;
	pthread_cond_broadcast(&a->cv);
done:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int bo__asker_busy(bo_asker *a)
{
	int busy;
	if (!a)
		return 0;
	pthread_mutex_lock(&a->mu);
	busy = a->state == ASKING;
	pthread_mutex_unlock(&a->mu);
	return busy;
}

int bo__asker_pending(bo_asker *a)
{
	int p;
	if (!a)
		return 0;
	pthread_mutex_lock(&a->mu);
	p = a->state != IDLE;
	pthread_mutex_unlock(&a->mu);
	return p;
}

int bo__asker_wait(bo_asker *a, int timeout_ms)
{
	struct timespec until;
	int idle;
	if (!a)
		return 1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->mu);
	while (a->state == ASKING && timeout_ms > 0 &&
	       pthread_cond_timedwait(&a->cv, &a->mu, &until) != ETIMEDOUT)
		;
	idle = a->state != ASKING;
	pthread_mutex_unlock(&a->mu);
	return idle;
}

int bo__asker_take(bo_asker *a, int64_t *number, double *x, int *rc)
{
	int got = 0;
	pthread_mutex_lock(&a->mu);
	if (a->state == READY) {
		memcpy(x, a->x, a->nparams * sizeof *x);
		*number = a->number;
		*rc = a->rc;
		if (a->rc != 0)
			bo__error(a->rc, "%s", a->msg);
		a->state = IDLE;
		got = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return got;
}

void bo__asker_stats(bo_asker *a, int64_t *nasks, int64_t *ninline, double *longest_s, int *async)
{
	pthread_mutex_lock(&a->mu);
	*nasks = a->nasks;
	*ninline = a->ninline;
	*longest_s = a->longest_s;
	*async = !a->sync;
	pthread_mutex_unlock(&a->mu);
}
