#!/bin/bash
# examples/robust-nas, shrunk: `select --robust` (mean, worst, cvar, spread,
# regret) against a brute force computed from the NAS-Bench-201 /
# HW-NAS-Bench tables themselves, not from the ledger. The tables are read
# where $BUDGETOPT_DATA points (default ../shared/data beside the checkout);
# without them the test says why and is skipped (exit 0).
# Usage (from CTest): run-robust-nas.sh <budgetopt program> <source dir> <scratch dir>
exec python3 "$2/tests/scenarios/robust_nas.py" "$@"
