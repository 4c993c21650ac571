#!/bin/bash
# kill -9 of the runner at ten points of a study, each followed by a resume.
# Usage (from CTest): run-kill9.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/fault/kill9.py" "$@"
