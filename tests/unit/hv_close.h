/*
 * tests/unit/hv_close.h - the comparison of the hypervolume tests
 * (test_hypervolume.c, test_hypervolume_moocore.c): an absolute tolerance,
 * and on failure the message, what was got and what was wanted. Included
 * by one test program each, so its definitions are static inline.
 */
#ifndef BO_TESTS_HV_CLOSE_H
#define BO_TESTS_HV_CLOSE_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static inline int close_enough(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

#define ASSERT_CLOSE(got, want, tol, ...)                                                    \
	do {                                                                                 \
		double g_ = (got), w_ = (want), t_ = (tol);                                  \
		if (!close_enough(g_, w_, t_)) {                                             \
			print_error(__VA_ARGS__);                                            \
			print_error(": got %.17g, want %.17g (tol %.3g)\n", g_, w_, t_);     \
			fail();                                                              \
		}                                                                            \
	} while (0)

#endif
