/*
 * core/alloc.h - checked allocation for the whole library.
 *
 * Every allocation goes through these wrappers so that size overflow is
 * checked in one place and tests can fail the k-th allocation (the torture
 * tests call bo__alloc_fail_at). They never abort: they return NULL and set
 * the thread's error to "out of memory".
 */
#ifndef BO_CORE_ALLOC_H
#define BO_CORE_ALLOC_H

#include <stddef.h>

void *bo__malloc(size_t size);
void *bo__calloc(size_t n, size_t size);
/* n * size bytes; NULL on overflow. The old block is kept on failure. */
void *bo__realloc(void *p, size_t n, size_t size);
char *bo__strdup(const char *s);
char *bo__strndup(const char *s, size_t n);
void bo__free(void *p);

/* Grows *arr (of *cap elements of size elem) to hold at least need
 * elements, doubling. Returns 0 or BO_ENOMEM (the array is kept). */
int bo__grow(void *arr, size_t *cap, size_t need, size_t elem);

/* Test hook: make the k-th allocation from now fail (k >= 1), or 0 to stop
 * failing. Returns the number of allocations made since the last call. */
size_t bo__alloc_fail_at(size_t k);

#endif
