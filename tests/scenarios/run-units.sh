#!/bin/bash
# Scenarios and repeats through `budgetopt run`: units, their environment
# and argv, the money budget, and a kill -9 followed by a resume.
# Usage (from CTest): run-units.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/scenarios/units.py" "$@"
