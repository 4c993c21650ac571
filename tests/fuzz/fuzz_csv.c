/*
 * tests/fuzz/fuzz_csv.c - the RFC 4180 reader used for catalogs.
 */
#include "fuzz.h"

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bo_csv *c = NULL;
	if (bo__csv_parse(&c, (const char *)data, size, "fuzz.csv") == 0) {
		(void)bo__csv_col(c, "accuracy");
		(void)bo__csv_col(c, "");
	}
	bo__csv_free(c);
	return 0;
}
