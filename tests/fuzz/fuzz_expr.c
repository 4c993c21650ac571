/*
 * tests/fuzz/fuzz_expr.c - the expression compiler and evaluator.
 *
 * Every name resolves, so the fuzzer gets past name checks into the
 * evaluator: names starting with "s" are strings (categorical labels),
 * names starting with "m" are missing at evaluation time (an empty cell,
 * an inactive parameter), "price.NAME" is a price (a table when indexed),
 * anything else a number.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/expr.h"

#define TEXT_MAX (1u << 16)

static int resolve(void *ud, const char *name, int is_price, int has_key, bo_sym *out, char *why,
		   size_t whylen)
{
	(void)ud;
	(void)has_key;
	(void)why;
	(void)whylen;
	out->kind = is_price ? BO_SYM_PRICE : BO_SYM_PARAM;
	out->index = name[0] == 'm' ? 1 : 0;
	out->is_str = !is_price && name[0] == 's';
	return 0;
}

static int get(void *ud, const bo_sym *sym, bo_xval *out)
{
	(void)ud;
	if (sym->index == 1)
		return BO_ENOTFOUND;
	out->str = sym->is_str ? "l4" : NULL;
	out->num = 2.385;
	return 0;
}

static int price_key(void *ud, int index, const char *key, double *out)
{
	(void)ud;
	(void)index;
	if (!strcmp(key, "missing"))
		return BO_ENOTFOUND;
	*out = 0.8;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bo_expr *e = NULL;
	bo_expr_env env = {NULL, get, price_key};
	size_t off = 0;
	double v;
	char *text;
	if (size > TEXT_MAX)
		return 0;
	/* The compiler takes a C string, as the study reader gives it. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (bo__expr_compile(&e, text, resolve, NULL, &off) == 0) {
		if (!bo__expr_is_str(e))
			(void)bo__expr_eval(e, &env, &v);
	} else if (off > strlen(text)) {
		__builtin_trap();   /* the error offset must point into the text */
	}
	bo__expr_free(e);
	free(text);
	return 0;
}
