/*
 * core/strindex.c - a hash index over strings (core/strindex.h): open
 * addressing with linear probing (Knuth, TAOCP vol. 3, sec. 6.4,
 * Algorithm L) and the FNV-1a hash, at most half full.
 */
#include "core/strindex.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

static size_t hash(const char *s)
{
	uint64_t h = 14695981039346656037u;   /* FNV-1a, 64 bits */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return (size_t)h;
}

int bo__strindex_init(bo_strindex *ix, size_t cap)
{
	size_t n = 16;
	ix->slot = NULL;
	ix->mask = 0;
	while (n < cap * 2) {
		if (n > SIZE_MAX / 2 / sizeof *ix->slot)
			return BO_ENOMEM;
		n *= 2;
	}
	if (!(ix->slot = bo__calloc(n, sizeof *ix->slot)))
		return BO_ENOMEM;
	ix->mask = n - 1;
	return 0;
}

void bo__strindex_clear(bo_strindex *ix)
{
	if (!ix)
		return;
	bo__free(ix->slot);
	ix->slot = NULL;
	ix->mask = 0;
}

size_t bo__strindex_find(const bo_strindex *ix, char *const *strs, const char *key)
{
	size_t h;
	if (!ix->slot)
		return SIZE_MAX;
	for (h = hash(key) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask)
		if (!strcmp(strs[ix->slot[h] - 1], key))
			return ix->slot[h] - 1;
	return SIZE_MAX;
}

void bo__strindex_add(bo_strindex *ix, char *const *strs, size_t i)
{
	size_t h;
	for (h = hash(strs[i]) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask)
		;
	ix->slot[h] = i + 1;
}
