/*
 * core/expr_lex.c - the lexer of the expression language
 * (tokens, numbers read without the locale) and the parser's error
 * messages (where, and what was found).
 *
 * Part of the expression parser: core/expr.c holds the grammar's rules,
 * core/expr_parse.h what the parser's files share.
 *
 * Must never do I/O, keep global state, or recurse without bound.
 */
#include "core/expr.h"
#include "core/expr_int.h"
#include "core/expr_parse.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/strbuf.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Lexer */

/* Sets the message and the offset; returns code. */
int bo__expr_fail_at(parser *p, int code, size_t off, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	p->err_off = off;
	return bo__error(code, "%s", msg);
}

/* A token as a user would name it: "end of expression", "'+'", "number 2". */
static void describe(const parser *p, const token *t, char *buf, size_t n)
{
	const char *s = p->src + t->off;
	int len = t->len > SHOW_MAX ? SHOW_MAX : (int)t->len;
	const char *more = t->len > SHOW_MAX ? "..." : "";
	switch (t->kind) {
	case T_END:
		snprintf(buf, n, "end of expression");
		break;
	case T_NUM:
		snprintf(buf, n, "number %.*s%s", len, s, more);
		break;
	case T_STR:
		snprintf(buf, n, "string %.*s%s", len, s, more);
		break;
	case T_NAME:
		if ((t->len == 3 && !memcmp(s, "and", 3)) || (t->len == 2 && !memcmp(s, "or", 2)) ||
		    (t->len == 3 && !memcmp(s, "not", 3)))
			snprintf(buf, n, "'%.*s'", len, s);
		else
			snprintf(buf, n, "name \"%.*s%s\"", len, s, more);
		break;
	default:
		snprintf(buf, n, "'%.*s'", len, s);
		break;
	}
}

static int is_name_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Converts the decimal text s[0..len) with strtod, independent of the
 * process locale (strtod reads the locale's decimal point). */
static int convert_number(parser *p, size_t off, size_t len, double *out)
{
	const char *s = p->src + off;
	const char *dp = localeconv()->decimal_point;
	size_t dplen = dp && *dp ? strlen(dp) : 1;
	char small[64];
	char *buf = small, *end;
	size_t i, j = 0;
	double v;
	int rc = 0;

	if (len + dplen + 1 > sizeof small) {
		buf = bo__malloc(len + dplen + 1);
		if (!buf)
			return bo__expr_fail_at(p, BO_ENOMEM, off, "out of memory");
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && dp && *dp) {
			memcpy(buf + j, dp, dplen);
			j += dplen;
		} else {
			buf[j++] = s[i];
		}
	}
	buf[j] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (isinf(v) || (errno == ERANGE && v == 0.0)) {
		rc = bo__expr_fail_at(p, BO_EINVAL, off, "number out of range: %.*s%s",
			     len > SHOW_MAX ? SHOW_MAX : (int)len, s, len > SHOW_MAX ? "..." : "");
		goto done;
	}
	*out = v;
done:
	if (buf != small)
		bo__free(buf);
	return rc;
}

/* Reads the next token into p->tok. */
int bo__expr_next(parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;
	token t = {T_END, 0, 0, 0.0};
	unsigned char c;
	int rc = 0;

	p->prev = p->tok;
	p->has_prev = 1;
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
	       s[i] == '\v')
		i++;
	t.off = i;
	c = (unsigned char)s[i];
	if (c == '\0') {
		t.kind = T_END;
	} else if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[i + 1]))) {
		while (is_digit((unsigned char)s[i]))
			i++;
		if (s[i] == '.') {
			i++;
			while (is_digit((unsigned char)s[i]))
				i++;
		}
		if (s[i] == 'e' || s[i] == 'E') {
			size_t e = i + 1;
			if (s[e] == '+' || s[e] == '-')
				e++;
			if (!is_digit((unsigned char)s[e])) {
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off,
					     "malformed number \"%.*s\": expected digits after '%c'",
					     (int)(i - t.off > SHOW_MAX ? SHOW_MAX : i - t.off + 1),
					     s + t.off, s[i]);
				goto done;
			}
			i = e;
			while (is_digit((unsigned char)s[i]))
				i++;
		}
		t.kind = T_NUM;
		rc = convert_number(p, t.off, i - t.off, &t.num);
		if (rc)
			goto done;
	} else if (c == '\'' || c == '"') {
		i++;
		for (;;) {
			if (s[i] == '\0') {
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off, "unterminated string (no closing %c)", c);
				goto done;
			}
			if ((unsigned char)s[i] == c) {
				if ((unsigned char)s[i + 1] != c)
					break;
				i++;
			}
			i++;
		}
		i++;
		t.kind = T_STR;
	} else if (is_name_start(c)) {
		while (is_name_char((unsigned char)s[i]))
			i++;
		t.kind = T_NAME;
	} else {
		int two = s[i + 1] == '=';
		i++;
		switch (c) {
		case '(': t.kind = T_LP; break;
		case ')': t.kind = T_RP; break;
		case ',': t.kind = T_COMMA; break;
		case '[': t.kind = T_LB; break;
		case ']': t.kind = T_RB; break;
		case '+': t.kind = T_PLUS; break;
		case '-': t.kind = T_MINUS; break;
		case '*': t.kind = T_STAR; break;
		case '/': t.kind = T_SLASH; break;
		case '%': t.kind = T_PCT; break;
		case '^': t.kind = T_CARET; break;
		case '<': t.kind = two ? T_LE : T_LT; i += two; break;
		case '>': t.kind = two ? T_GE : T_GT; i += two; break;
		case '!': t.kind = two ? T_NE : T_BANG; i += two; break;
		case '=':
			if (!two) {
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off,
					     "'=' is not an operator (did you mean '=='?)");
				goto done;
			}
			t.kind = T_EQ;
			i++;
			break;
		case '&':
		case '|':
			if ((unsigned char)s[i] != c) {
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off,
					     "invalid character '%c' (did you mean '%c%c' or '%s'?)", c, c,
					     c, c == '&' ? "and" : "or");
				goto done;
			}
			t.kind = c == '&' ? T_ANDAND : T_OROR;
			i++;
			break;
		case '.':
			rc = bo__expr_fail_at(p, BO_EINVAL, t.off, "invalid character '.' (expected a digit after it)");
			goto done;
		default:
			if (c >= 0x80)
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off,
					     "invalid byte 0x%02x (non-ASCII text is allowed only inside strings)",
					     c);
			else if (c < 0x20 || c == 0x7f)
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off, "invalid character 0x%02x", c);
			else
				rc = bo__expr_fail_at(p, BO_EINVAL, t.off, "invalid character '%c'", c);
			goto done;
		}
	}
	t.len = i - t.off;
	p->tok = t;
	p->pos = i;
done:
	return rc;
}

int bo__expr_tok_is(const parser *p, const char *word)
{
	size_t n = strlen(word);
	return p->tok.kind == T_NAME && p->tok.len == n && !memcmp(p->src + p->tok.off, word, n);
}

/* "expected X[ after PREV], found TOK" */
int bo__expr_fail_expected(parser *p, const char *what, int after_prev)
{
	char found[SHOW_MAX + 32], prev[SHOW_MAX + 32];
	describe(p, &p->tok, found, sizeof found);
	if (!p->has_prev || !after_prev)
		return bo__expr_fail_at(p, BO_EINVAL, p->tok.off, "expected %s, found %s", what, found);
	describe(p, &p->prev, prev, sizeof prev);
	return bo__expr_fail_at(p, BO_EINVAL, p->tok.off, "expected %s after %s, found %s", what, prev,
		       found);
}
