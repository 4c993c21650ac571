/*
 * core/error.c - thread-local last error message and the version string.
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BO_ERRMSG_MAX 1024

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
	snprintf(tmp, sizeof tmp, "%s: %s", prefix, errmsg);
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
