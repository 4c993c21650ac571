#!/usr/bin/env bash
# tests/catalog/run-synthetic.sh - catalog mode against the brute force of
# bruteforce.py over small tables it writes itself (no shared data needed):
# missing values in --where, numeric cells, label columns, choice:
# from_catalog, every bad cell at once.
# Run by CTest as: bash run-synthetic.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR
set -u
exe=${1:?usage: run-synthetic.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
src=${2:?usage: run-synthetic.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
scratch=${3:?usage: run-synthetic.sh BUDGETOPT SOURCE_DIR SCRATCH_DIR}
command -v python3 >/dev/null || { echo "skipped: python3 is not installed"; exit 0; }
[ -x "$exe" ] || { echo "FAIL: $exe is not an executable"; exit 1; }
mkdir -p "$scratch" || exit 1
exec python3 "$src/tests/catalog/bruteforce.py" "$exe" "$src" "$scratch" --synthetic
