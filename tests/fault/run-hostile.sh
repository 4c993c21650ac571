#!/bin/bash
# Hostile evaluators that try to escape the runner; see hostile.py.
# Usage (from CTest): run-hostile.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/fault/hostile.py" "$@"
