#!/usr/bin/env bash
# tests/select/run-select.sh - the selection rules of `budgetopt select`
# (score, --score EXPR, --max-cost, --min-perf, both, --lexicographic with
# tolerances, parameters as axes, the nearest miss, the runner-up's
# deciding axis) and the frontier's small promises (equal points, straight
# lines, an empty frontier) against an independent brute force over small
# synthetic catalogs written at test time (bruteforce_select.py); needs no
# shared data. Run by CTest as: bash run-select.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage: run-select.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
src=${2:?usage: run-select.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
scratch=${3:?usage: run-select.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 0; }
[ -x "$exe" ] || { echo "FAIL: $exe is not an executable"; exit 1; }
mkdir -p "$scratch" || exit 1
exec python3 "$src/tests/select/bruteforce_select.py" "$exe" "$scratch"
