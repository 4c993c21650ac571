/*
 * core/strbuf.h - a growable NUL-terminated string.
 *
 * On allocation failure the buffer remembers it (sb->failed) and later
 * appends do nothing, so a sequence of appends needs one check at the end.
 */
#ifndef BO_CORE_STRBUF_H
#define BO_CORE_STRBUF_H

#include <stddef.h>
#include "core/error.h"

typedef struct bo_strbuf {
	char *s;      /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	int failed;
} bo_strbuf;

#define BO_STRBUF_INIT {NULL, 0, 0, 0}

void bo__sb_clear(bo_strbuf *sb);             /* frees */
void bo__sb_reset(bo_strbuf *sb);             /* empties, keeps memory */
void bo__sb_add(bo_strbuf *sb, const char *s, size_t n);
void bo__sb_puts(bo_strbuf *sb, const char *s);
void bo__sb_putc(bo_strbuf *sb, char c);
void bo__sb_printf(bo_strbuf *sb, const char *fmt, ...) BO__PRINTF(2, 3);
/* Appends s as a JSON string literal, quotes included. */
void bo__sb_json_str(bo_strbuf *sb, const char *s);
/* Appends a double so that it reads back exactly ("%.17g"), JSON-safe:
 * non-finite values are written as null. */
void bo__sb_json_num(bo_strbuf *sb, double v);
/* Appends v as printf's "%.17g" would (it reads back exactly) and an
 * integer as "%lld", without printf's format parser: once a library
 * registers printf extensions (libquadmath, which LAPACK's libgfortran
 * loads, does) glibc parses every format on its slow positional path,
 * several thousand instructions a call (bench/RESULTS.md, issue 9). */
void bo__sb_num17(bo_strbuf *sb, double v);
void bo__sb_int(bo_strbuf *sb, long long v);
/* The same into buf (of size): characters written, excluding the NUL, or
 * -1 when they do not fit. */
int bo__fmt_num17(char *buf, size_t size, double v);
int bo__fmt_int(char *buf, size_t size, long long v);
/* Returns the string (never NULL: "" when empty) or NULL if failed. */
const char *bo__sb_str(bo_strbuf *sb);
/* Hands the string over to the caller (to free with bo__free). */
char *bo__sb_take(bo_strbuf *sb);

#endif
