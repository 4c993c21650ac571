/*
 * core/strindex.h - finding a string among n strings in constant time: a
 * hash index over an array of strings the caller keeps. A catalog of 10^4
 * labelled rows made its label lookups, one linear scan per row, most of
 * the time of a `select`.
 */
#ifndef BO_CORE_STRINDEX_H
#define BO_CORE_STRINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct bo_strindex {
	size_t mask;       /* slots - 1 (a power of two) */
	size_t *slot;      /* an index into the caller's strings + 1; 0: empty */
} bo_strindex;

#define BO_STRINDEX_INIT {0, NULL}

/* Makes room for cap strings. Returns 0 or BO_ENOMEM. */
int bo__strindex_init(bo_strindex *ix, size_t cap);
void bo__strindex_clear(bo_strindex *ix);

/* The index i of key among strs (strs[i] equal to key, the first added),
 * or SIZE_MAX. strs is the array the indexes were added from. */
size_t bo__strindex_find(const bo_strindex *ix, char *const *strs, const char *key);

/* Adds strs[i], which must not be present yet, within the room of init. */
void bo__strindex_add(bo_strindex *ix, char *const *strs, size_t i);

#endif
