/*
 * core/utf8.c - the one rule for outside text (see utf8.h).
 *
 * Decoding follows the Unicode standard's table of well-formed byte
 * sequences (Unicode 15, section 3.9, table 3-7): the ranges of the second
 * byte exclude overlong forms, surrogates and code points above U+10FFFF.
 * Must never read past len: the input may hold NULs and end anywhere.
 */
#include "core/utf8.h"

#include <string.h>

#include "core/alloc.h"

#define REPLACEMENT "\xef\xbf\xbd"    /* U+FFFD */

/* Length of the well-formed character at s (1 to 4), or 0 when the bytes
 * there do not start one. *cp gets the code point. */
static size_t decode(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;           /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;           /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;           /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char b = s[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (b & 0x3f);
	}
	return n;
}

static int is_control(unsigned long cp)
{
	return (cp < 0x20 && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

int bo__utf8_is_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	unsigned long cp;
	while (i < len) {
		n = decode(u + i, len - i, &cp);
		if (n == 0 || is_control(cp))
			return 0;
		i += n;
	}
	return 1;
}

/* Writes the clean form into out[0..size), stopping before a character
 * that does not fit; returns the length written. */
static size_t clean_into(const char *s, size_t len, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n, plen;
	unsigned long cp;
	const char *piece;
	while (i < len) {
		n = decode(u + i, len - i, &cp);
		if (n == 0) {
			piece = REPLACEMENT;
			plen = 3;
			n = 1;
		} else if (is_control(cp)) {
			piece = " ";
			plen = 1;
		} else {
			piece = s + i;
			plen = n;
		}
		if (o + plen >= size)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o] = '\0';
	return o;
}

size_t bo__utf8_clean_buf(const char *s, size_t len, char *out, size_t size)
{
	if (size == 0)
		return 0;
	return clean_into(s, len, out, size);
}

char *bo__utf8_clean(const char *s, size_t len, size_t max)
{
	/* Each byte gives at most 3 (U+FFFD). */
	size_t size = len > ((size_t)-1 - 1) / 3 ? 0 : len * 3 + 1;
	char *out;
	if (size == 0)
		return NULL;
	if (max > 0 && max + 1 < size)
		size = max + 1;
	out = bo__malloc(size);
	if (!out)
		return NULL;
	clean_into(s, len, out, size);
	return out;
}
