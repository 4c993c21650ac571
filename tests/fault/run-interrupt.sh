#!/bin/bash
# Ctrl-C once lets running trials finish; twice stops them, charged.
# Usage (from CTest): run-interrupt.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/fault/interrupt.py" "$@"
