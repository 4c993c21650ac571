/*
 * core/error.c - thread-local last error message and the version string.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BO_ERRMSG_MAX 8192  /* room for a list of bad catalog cells */

static _Thread_local char errmsg[BO_ERRMSG_MAX];

int bo__error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof errmsg, fmt, ap);
	va_end(ap);
	return code;
}

void bo__error_prefix(const char *prefix)
{
	char tmp[BO_ERRMSG_MAX];
	size_t n = strlen(prefix);
	if (n > BO_ERRMSG_MAX - 3)
		n = BO_ERRMSG_MAX - 3;
	memcpy(tmp, prefix, n);
	tmp[n] = ':';
	tmp[n + 1] = ' ';
	memcpy(tmp + n + 2, errmsg, BO_ERRMSG_MAX - n - 2);
	tmp[BO_ERRMSG_MAX - 1] = '\0';
	memcpy(errmsg, tmp, sizeof tmp);
}

const char *bo_error_last(void)
{
	return errmsg;
}

void bo_error_clear(void)
{
	errmsg[0] = '\0';
}

const char *bo_version(void)
{
	return BO_VERSION_STRING;
}
