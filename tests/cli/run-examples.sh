#!/usr/bin/env bash
# tests/cli/run-examples.sh - every study file under examples/ validates
# (the examples' READMEs start from `budgetopt validate`; a study that stops
# validating after a change to the study language fails here, without the
# benchmark data the examples read). Run by CTest as:
# bash run-examples.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage}
src=${2:?usage}
fails=0 n=0
for f in "$src"/examples/*/*.yaml; do
	grep -q '^name:' "$f" || continue   # price books and other fragments
	n=$((n + 1))
	if ! out=$("$exe" validate "$f" 2>&1); then
		echo "FAIL: $f does not validate: $out"
		fails=$((fails + 1))
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL: only $n example studies found under $src/examples"; fails=$((fails + 1)); }
echo "$n example studies, $fails failing"
[ $fails -eq 0 ]
