/*
 * core/numfmt.h - numbers as text for programs: the shortest decimal form
 * that reads back to the same double, so CSV and JSON print 0.95, not
 * 0.94999999999999996, and lose nothing.
 */
#ifndef BO_CORE_NUMFMT_H
#define BO_CORE_NUMFMT_H

#include <stddef.h>

/* Writes finite v into buf (size bytes) as the shortest "%.Ng" (N from 1
 * to 17) that strtod reads back exactly, with '.' as the decimal point
 * whatever the locale; integers below 1e15 in full ("20", not "2e+01").
 * Writes "" for a NaN or an infinity. Returns buf. */
char *bo__fmt_num(double v, char *buf, size_t size);

#endif
