#!/bin/bash
# A damaged or lost ledger (-wal deleted, zeroed or cut, .db truncated,
# journal deleted) is refused by status and run, explained and repaired by
# doctor, and the study then resumes without spending again.
# Usage (from CTest): run-ledger-damage.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/fault/ledger_damage.py" "$@"
