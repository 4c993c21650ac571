/*
 * core/numfmt.c - the shortest decimal form of a double that reads back
 * exactly (see numfmt.h). Steele & White 1990 / Grisu find it digit by
 * digit; trying 1 to 17 significant digits with the C library's correctly
 * rounded printf and strtod gives the same answer in a few lines.
 *
 * Pure: no I/O. Must never lose a bit: 17 digits always read back.
 */
#include "core/numfmt.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMFMT_MAX_DIGITS 17   /* enough for any IEEE double */
#define NUMFMT_INT_LIMIT 1e15   /* integers below this print in full */

char *bo__fmt_num(double v, char *buf, size_t size)
{
	const char *dp = localeconv()->decimal_point;
	char tmp[64], *at;
	int prec;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (!isfinite(v))
		return buf;
	if (v == floor(v) && fabs(v) < NUMFMT_INT_LIMIT) {
		snprintf(buf, size, "%.0f", v == 0 ? 0.0 : v);   /* no "-0" */
		return buf;
	}
	for (prec = 1; prec <= NUMFMT_MAX_DIGITS; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (dp && *dp && strcmp(dp, ".") && (at = strstr(tmp, dp)) != NULL) {
		*at = '.';
		memmove(at + 1, at + strlen(dp), strlen(at + strlen(dp)) + 1);
	}
	snprintf(buf, size, "%s", tmp);
	return buf;
}
