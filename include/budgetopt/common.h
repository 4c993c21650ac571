/*
 * budgetopt/common.h - status codes, error messages and version shared by
 * every part of the public API.
 *
 * Every fallible function returns an int: 0 on success, a negative BO_E*
 * code on error, or a documented positive code for a non-error outcome.
 * The message for the last error of a call without a handle is kept per
 * thread and read with bo_error_last().
 */
#ifndef BUDGETOPT_COMMON_H
#define BUDGETOPT_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BO_VERSION_MAJOR 0
#define BO_VERSION_MINOR 1
#define BO_VERSION_PATCH 0
#define BO_VERSION_STRING "0.1.0"

/* Marks the functions of the public API: the only symbols the shared
 * library exports (it is built with -fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define BO_API __attribute__((visibility("default")))
#else
#define BO_API
#endif

/* Status codes. */
enum {
	BO_OK = 0,        /* success */
	BO_DONE = 1,      /* nothing more to do (no row, budget exhausted, ...) */
	BO_ERROR = -1,    /* generic error; the message says what */
	BO_ENOMEM = -2,   /* out of memory or a size overflowed */
	BO_EINVAL = -3,   /* invalid input (study file, argument, value) */
	BO_EIO = -4,      /* operating-system or storage failure */
	BO_EMISUSE = -5,  /* call made in the wrong state */
	BO_ENOTFOUND = -6,/* the named thing does not exist */
	BO_ECONFLICT = -7,/* incompatible with what is stored (study changed, locked) */
	BO_EINTR = -8     /* interrupted by the caller (signal, cancel) */
};

/* The message of the last error set on this thread, or "" if none.
 * The string stays valid until the next failing call on this thread. */
BO_API const char *bo_error_last(void);

/* Clears this thread's last error. */
BO_API void bo_error_clear(void);

/* The library's version as "MAJOR.MINOR.PATCH". */
BO_API const char *bo_version(void);

#ifdef __cplusplus
}
#endif
#endif
