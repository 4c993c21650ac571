/*
 * tests/fuzz/fuzz.h - the one entry point every fuzz target defines.
 *
 * Each fuzz_<name>.c feeds arbitrary bytes to one reader that takes input
 * from outside (a study file, an expression, a CSV table, an evaluator's
 * protocol line). Linked with libFuzzer (clang -fsanitize=fuzzer, cmake
 * -DBO_FUZZ=ON) it is a coverage-guided fuzzer; linked with replay.c it
 * replays a corpus and a fixed number of deterministic mutations of it,
 * which is what CTest runs on every build (under ASan/UBSan in CI).
 *
 * A target must never crash, leak or hang on any input, and must free
 * everything it built.
 */
#ifndef BO_TESTS_FUZZ_H
#define BO_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
