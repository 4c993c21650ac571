/*
 * tests/fuzz/fuzz_study.c - the study-file reader (YAML tree, section
 * readers, expressions, diagnostics) on arbitrary bytes.
 */
#include "fuzz.h"

#include <string.h>

#include "budgetopt/study.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bo_study *s = NULL;
	bo_diags *d = NULL;
	size_t i, n;
	int rc = bo_study_parse(&s, (const char *)data, size, "fuzz.yaml", "/nonexistent", &d);
	/* The contract: a study or diagnostics, never both NULL on failure. */
	if (rc == 0 && !s)
		__builtin_trap();
	n = bo_diags_count(d);
	for (i = 0; i < n; i++) {
		const char *m = bo_diags_get(d, i);
		if (!m || !strlen(m))
			__builtin_trap();
	}
	bo_diags_free(d);
	bo_study_free(s);
	return 0;
}
