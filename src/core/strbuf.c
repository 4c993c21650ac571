/*
 * core/strbuf.c - growable strings used to build messages, SQL-free JSON
 * and argv values.
 */
#include "core/strbuf.h"
#include "core/alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bo__sb_clear(bo_strbuf *sb)
{
	bo__free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->failed = 0;
}

void bo__sb_reset(bo_strbuf *sb)
{
	sb->len = 0;
	if (sb->s)
		sb->s[0] = '\0';
	sb->failed = 0;
}

void bo__sb_add(bo_strbuf *sb, const char *s, size_t n)
{
	if (sb->failed)
		return;
	if (n > (size_t)-1 - sb->len - 1 ||
	    bo__grow(&sb->s, &sb->cap, sb->len + n + 1, 1) < 0) {
		sb->failed = 1;
		return;
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void bo__sb_puts(bo_strbuf *sb, const char *s)
{
	bo__sb_add(sb, s, strlen(s));
}

void bo__sb_putc(bo_strbuf *sb, char c)
{
	bo__sb_add(sb, &c, 1);
}

void bo__sb_printf(bo_strbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		bo__sb_add(sb, small, (size_t)n);
		return;
	}
	if (sb->failed || bo__grow(&sb->s, &sb->cap, sb->len + (size_t)n + 1, 1) < 0) {
		sb->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

int bo__fmt_num17(char *buf, size_t size, double v)
{
	/* strfromd formats with printf's own floating-point code (the same
	 * digits, "nan" and "inf" included), without parsing a format */
	int n = strfromd(buf, size, "%.17g", v);
	return n >= 0 && (size_t)n < size ? n : -1;
}

int bo__fmt_int(char *buf, size_t size, long long v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	size_t k = sizeof tmp, n;
	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--k] = '-';
	n = sizeof tmp - k;
	if (n >= size)
		return -1;
	memcpy(buf, tmp + k, n);
	buf[n] = '\0';
	return (int)n;
}

void bo__sb_num17(bo_strbuf *sb, double v)
{
	char buf[32];
	int n = bo__fmt_num17(buf, sizeof buf, v);
	if (n < 0)
		sb->failed = 1;
	else
		bo__sb_add(sb, buf, (size_t)n);
}

void bo__sb_int(bo_strbuf *sb, long long v)
{
	char buf[24];
	int n = bo__fmt_int(buf, sizeof buf, v);
	bo__sb_add(sb, buf, (size_t)n);
}

void bo__sb_json_str(bo_strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bo__sb_putc(sb, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': bo__sb_puts(sb, "\\\""); break;
		case '\\': bo__sb_puts(sb, "\\\\"); break;
		case '\n': bo__sb_puts(sb, "\\n"); break;
		case '\r': bo__sb_puts(sb, "\\r"); break;
		case '\t': bo__sb_puts(sb, "\\t"); break;
		default:
			if (*p < 0x20)
				bo__sb_printf(sb, "\\u%04x", *p);
			else
				bo__sb_putc(sb, (char)*p);
		}
	}
	bo__sb_putc(sb, '"');
}

void bo__sb_json_num(bo_strbuf *sb, double v)
{
	if (!isfinite(v))
		bo__sb_puts(sb, "null");
	else if (v == floor(v) && fabs(v) < 1e15) {
		char buf[32];
		int n = strfromd(buf, sizeof buf, "%.0f", v);
		bo__sb_add(sb, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
	} else {
		bo__sb_num17(sb, v);
	}
}

const char *bo__sb_str(bo_strbuf *sb)
{
	if (sb->failed)
		return NULL;
	return sb->s ? sb->s : "";
}

char *bo__sb_take(bo_strbuf *sb)
{
	char *s;
	if (sb->failed) {
		bo__sb_clear(sb);
		return NULL;
	}
	s = sb->s ? sb->s : bo__strdup("");
	sb->s = NULL;
	sb->len = sb->cap = 0;
	return s;
}
