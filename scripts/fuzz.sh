#!/bin/sh
# Coverage-guided fuzzing of the readers that take outside input (study
# files, expressions, CSV catalogs, evaluator protocol lines, the
# dashboard's HTTP requests) with clang's libFuzzer, under ASan and UBSan.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to $BO_FUZZ_SECONDS, else 60; TARGET to all
# of: study expr csv protocol http. Builds in build-fuzz/ (override with
# BO_FUZZ_BUILD), keeps each target's growing corpus in
# build-fuzz/corpus/<target> between runs (seeded from tests/), and leaves
# any crashing, leaking, hanging or memory-hungry input in
# build-fuzz/artifacts/<target>/. Any such input makes the script exit 1
# and print the commands that reproduce it and keep it as a regression seed
# (tests/fuzz/README.md). CTest replays the seeds without libFuzzer
# (tests/fuzz/replay.c).
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-${BO_FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
TARGETS=${*:-study expr csv protocol http}
B=${BO_FUZZ_BUILD:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang libclang-rt-dev)" >&2; exit 2; }
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DBO_FUZZ=ON >/dev/null
cmake --build "$B" -j "$(nproc)" --target $(for t in $TARGETS; do printf 'fuzz_%s ' "$t"; done)
status=0
for t in $TARGETS; do
	corpus=$B/corpus/$t
	artifacts=$B/artifacts/$t
	rm -rf "$artifacts"
	mkdir -p "$corpus" "$artifacts"
	case $t in
	study) seeds="tests/malformed/good tests/malformed/cases tests/fuzz/corpus/study" ;;
	*) seeds="tests/fuzz/corpus/$t" ;;
	esac
	echo "== fuzz_$t for ${SECS}s"
	# shellcheck disable=SC2086
	if ! "$B/tests/fuzz_$t" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" $seeds; then
		status=1
	fi
	for f in "$artifacts"/*; do
		[ -f "$f" ] || continue
		status=1
		name=$(basename "$f")
		echo "fuzz.sh: fuzz_$t failed on $f"
		echo "  reproduce:            $B/tests/fuzz_$t $f"
		echo "  keep as a regression: cp $f tests/fuzz/corpus/$t/$name"
		echo "  then, after the fix:  cmake --build build --target fuzz_${t}_replay && (cd build && ctest -R '^fuzz_$t\$')"
	done
done
exit $status
