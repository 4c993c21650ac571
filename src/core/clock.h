/*
 * core/clock.h - the two clocks the library reads: monotonic seconds for
 * intervals and deadlines, wall-clock Unix seconds for what is recorded
 * (trial and event times).
 *
 * Tiny and inline; must never be used for anything that has to repeat
 * across runs (a seeded result never depends on the clock).
 */
#ifndef BO_CORE_CLOCK_H
#define BO_CORE_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): only differences mean anything. */
static inline double bo__clock_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Unix seconds now (CLOCK_REALTIME). */
static inline double bo__clock_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
