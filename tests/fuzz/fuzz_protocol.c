/*
 * tests/fuzz/fuzz_protocol.c - the evaluator protocol reader: the input is
 * split at newlines and each line read as the runner reads an evaluator's
 * stdout (a line over 4096 bytes is passed as too long, as the executor
 * does with its capped line buffer).
 */
#include "fuzz.h"

#include <string.h>

#include "runner/protocol.h"

#define LINE_MAX_BYTES 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bo_report r;
	size_t start = 0;
	bo__report_init(&r);
	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) : size;
		size_t len = end - start;
		bo_report_step step;
		int too_long = len > LINE_MAX_BYTES;
		if (bo__report_line(&r, (const char *)data + start, too_long ? LINE_MAX_BYTES : len,
				    too_long, &step) < 0)
			break;
		start = end + 1;
	}
	bo__report_clear(&r);
	return 0;
}
