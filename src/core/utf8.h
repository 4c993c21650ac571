/*
 * core/utf8.h - making text that comes from outside (an evaluator's stderr,
 * a host name, an old ledger) safe to store and show: valid UTF-8, one
 * line, no terminal control sequences.
 *
 * The rule, in one place: every well-formed UTF-8 character is kept except
 * control characters (C0 other than tab, DEL, C1), which become a space;
 * every byte that does not start a well-formed character (a stray
 * continuation byte, a truncated or overlong sequence, a surrogate, a code
 * point above U+10FFFF) becomes U+FFFD. Pure: no I/O.
 */
#ifndef BO_CORE_UTF8_H
#define BO_CORE_UTF8_H

#include <stddef.h>

/* 1 when s[0..len) is already clean (bo__utf8_clean would not change it). */
int bo__utf8_is_clean(const char *s, size_t len);

/* Writes the clean form of s[0..len) into out (size >= 1 bytes, always
 * NUL-terminated), cut at a character boundary when it does not fit.
 * Returns the length written. */
size_t bo__utf8_clean_buf(const char *s, size_t len, char *out, size_t size);

/* The clean form of s[0..len) as a new string (bo__free), at most max
 * bytes long before the NUL (0: no limit); NULL when out of memory. */
char *bo__utf8_clean(const char *s, size_t len, size_t max);

#endif
