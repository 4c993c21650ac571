#!/bin/sh
# The dashboard's learning curves (/api/curves, /api/charts/curves.svg):
# equal to the ledger's intermediate reports, pruned trials marked, and
# updated while a trial is still running. Usage: run-curves.sh BUDGETOPT SRCDIR SCRATCH
set -eu
BIN=$1
SRC=$2
SCRATCH=${3:-${TMPDIR:-/tmp}/bo-serve-curves}
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
exec python3 "$SRC/tests/serve/curves_test.py" "$BIN" "$SCRATCH"
