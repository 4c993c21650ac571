#!/bin/bash
# frontier and select on a study with scenarios, against brute force over
# the ledger: the default fold (weighted mean) and frontier --robust AGG.
# Usage (from CTest): run-fold.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/scenarios/fold.py" "$@"
