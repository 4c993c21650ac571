/*
 * tests/unit/test_utf8.c - the rule for outside text (core/utf8.c),
 * against an independent checker that decodes by code point ranges, over
 * every 2-byte and 3-byte input that starts a 3-byte form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/alloc.h"
#include "core/utf8.h"

/* Reference: well-formed UTF-8 by the definition (shortest form, no
 * surrogate, at most U+10FFFF), then no control character. */
static int ref_clean(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned long cp;
		size_t n, k;
		unsigned char c = s[i];
		if (c < 0x80) {
			n = 1;
			cp = c;
		} else if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1fu;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0fu;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07u;
		} else {
			return 0;
		}
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
			return 0;
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += n;
	}
	return 1;
}

static void test_exhaustive(void **state)
{
	unsigned char b[3];
	unsigned a, c, d;
	char out[16];
	(void)state;
	for (a = 0; a < 256; a++) {
		for (c = 0; c < 256; c++) {
			b[0] = (unsigned char)a;
			b[1] = (unsigned char)c;
			assert_int_equal(bo__utf8_is_clean((char *)b, 2), ref_clean(b, 2));
			/* The clean form is always clean, and clean input is kept. */
			bo__utf8_clean_buf((char *)b, 2, out, sizeof out);
			assert_true(bo__utf8_is_clean(out, strlen(out)));
			if (ref_clean(b, 2))
				assert_memory_equal(out, b, 2);
			if (a < 0xe0 || a > 0xef)
				continue;
			for (d = 0; d < 256; d++) {
				b[2] = (unsigned char)d;
				assert_int_equal(bo__utf8_is_clean((char *)b, 3), ref_clean(b, 3));
			}
		}
	}
}

static void test_replacements(void **state)
{
	char out[64];
	char *p;
	(void)state;
	/* An invalid byte becomes U+FFFD, a NUL, an escape and a newline a
	 * space, tab and well-formed characters stay. */
	bo__utf8_clean_buf("a\xff" "b\0c\x1b[31md\te\n\xc3\xa9", 16, out, sizeof out);
	assert_string_equal(out, "a\xef\xbf\xbd" "b c [31md\te \xc3\xa9");
	/* overlong '/', a surrogate, a truncated sequence, C1 CSI */
	bo__utf8_clean_buf("\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xc2\x9b", 12, out, sizeof out);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
				 "\xef\xbf\xbd\xef\xbf\xbd| ");
	/* Cut at a character boundary, never inside one. */
	assert_int_equal(bo__utf8_clean_buf("ab\xc3\xa9", 4, out, 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(bo__utf8_clean_buf("ab\xff", 3, out, 5), 2);
	assert_int_equal(bo__utf8_clean_buf("ab\xff", 3, out, 6), 5);
	p = bo__utf8_clean("x\xfey", 3, 0);
	assert_non_null(p);
	assert_string_equal(p, "x\xef\xbf\xbdy");
	bo__free(p);
	p = bo__utf8_clean("abcdef", 6, 3);
	assert_non_null(p);
	assert_string_equal(p, "abc");
	bo__free(p);
	p = bo__utf8_clean("", 0, 0);
	assert_non_null(p);
	assert_string_equal(p, "");
	bo__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_replacements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
