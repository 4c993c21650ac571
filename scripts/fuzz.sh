#!/bin/sh
# Coverage-guided fuzzing of the readers that take outside input (study
# files, expressions, CSV catalogs, evaluator protocol lines) with clang's
# libFuzzer, under ASan and UBSan.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60, all)
#
# Builds in build-fuzz/, keeps each target's growing corpus in
# build-fuzz/corpus/<target> (seeded from tests/), and leaves any crashing
# input as build-fuzz/crash-<target>-*; a crash makes the script exit 1.
# CTest runs the same targets without libFuzzer (tests/fuzz/replay.c).
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-study expr csv protocol}
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DBO_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target $(for t in $TARGETS; do printf 'fuzz_%s ' "$t"; done)
status=0
for t in $TARGETS; do
	corpus=build-fuzz/corpus/$t
	mkdir -p "$corpus"
	case $t in
	study) seeds="tests/malformed/good tests/malformed/cases" ;;
	*) seeds="tests/fuzz/corpus/$t" ;;
	esac
	echo "== fuzz_$t for ${SECS}s"
	if ! build-fuzz/tests/fuzz_$t -max_total_time="$SECS" -max_len=65536 -timeout=10 \
		-artifact_prefix="build-fuzz/crash-$t-" "$corpus" $seeds; then
		status=1
	fi
done
exit $status
