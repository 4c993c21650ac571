/*
 * core/alloc.c - checked allocation with a fault-injection hook.
 *
 * Must never abort or print: an allocation failure becomes BO_ENOMEM for
 * the caller.
 */
#include "core/alloc.h"
#include "core/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local size_t fail_at;   /* 0: never fail */
static _Thread_local size_t count;

size_t bo__alloc_fail_at(size_t k)
{
	size_t n = count;
	fail_at = k;
	count = 0;
	return n;
}

static int should_fail(void)
{
	count++;
	if (fail_at && count == fail_at)
		return 1;
	return 0;
}

void *bo__malloc(size_t size)
{
	void *p;
	if (size == 0)
		size = 1;
	p = should_fail() ? NULL : malloc(size);
	if (!p)
		bo__error(BO_ENOMEM, "out of memory");
	return p;
}

void *bo__calloc(size_t n, size_t size)
{
	void *p;
	if (n == 0 || size == 0)
		n = size = 1;
	if (n > SIZE_MAX / size) {
		bo__error(BO_ENOMEM, "out of memory (size overflow)");
		return NULL;
	}
	p = should_fail() ? NULL : calloc(n, size);
	if (!p)
		bo__error(BO_ENOMEM, "out of memory");
	return p;
}

void *bo__realloc(void *old, size_t n, size_t size)
{
	void *p;
	if (size && n > SIZE_MAX / size) {
		bo__error(BO_ENOMEM, "out of memory (size overflow)");
		return NULL;
	}
	if (n * size == 0)
		n = size = 1;
	p = should_fail() ? NULL : realloc(old, n * size);
	if (!p)
		bo__error(BO_ENOMEM, "out of memory");
	return p;
}

char *bo__strndup(const char *s, size_t n)
{
	char *p;
	if (n == SIZE_MAX) {
		bo__error(BO_ENOMEM, "out of memory (size overflow)");
		return NULL;
	}
	p = bo__malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *bo__strdup(const char *s)
{
	return s ? bo__strndup(s, strlen(s)) : NULL;
}

void bo__free(void *p)
{
	free(p);
}

int bo__grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap : 8;
	void *p;
	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return bo__error(BO_ENOMEM, "out of memory (size overflow)");
		ncap *= 2;
	}
	p = bo__realloc(*arr, ncap, elem);
	if (!p)
		return BO_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}
