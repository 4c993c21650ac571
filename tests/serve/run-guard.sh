#!/bin/sh
# The dashboard under a slow-connection flood and beyond its connection
# limit (503), the token from a file or the environment, Host header
# counts, and a ledger whose latest state cannot be shown (an error beside
# the last good state, never an empty study). Usage: run-guard.sh
# BUDGETOPT SRCDIR SCRATCH
set -eu
BIN=$1
SRC=$2
SCRATCH=${3:-${TMPDIR:-/tmp}/bo-serve-guard}
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
exec python3 "$SRC/tests/serve/guard_test.py" "$BIN" "$SCRATCH"
