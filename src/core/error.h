/*
 * core/error.h - the one place errors are set.
 *
 * bo__error formats a one-line message into this thread's error slot and
 * returns the code, so callers write `return bo__error(BO_EINVAL, ...)`.
 * Put a breakpoint on bo__error to catch every error of the library.
 */
#ifndef BO_CORE_ERROR_H
#define BO_CORE_ERROR_H

#include "budgetopt/common.h"

#if defined(__GNUC__)
#define BO__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BO__PRINTF(a, b)
#endif

int bo__error(int code, const char *fmt, ...) BO__PRINTF(2, 3);

/* Prefixes the current message with "prefix: " (for context such as a path). */
void bo__error_prefix(const char *prefix);

#endif
