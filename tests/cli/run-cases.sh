#!/bin/bash
# CLI end-to-end tests as data: every tests/cli/cases/*.case is one case.
# Usage (from CTest): run-cases.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/cli/runcases.py" "$@"
