#!/bin/sh
# The dashboard's HTTP API: responses equal `export`, `status`, `frontier`
# and the ledger's events table; the token, path traversal, methods and
# malformed requests are refused; the server keeps answering and stops
# cleanly on SIGINT/SIGTERM. Usage: run-serve.sh BUDGETOPT SRCDIR SCRATCH
set -eu
BIN=$1
SRC=$2
SCRATCH=${3:-${TMPDIR:-/tmp}/bo-serve}
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
exec python3 "$SRC/tests/serve/serve_test.py" "$BIN" "$SCRATCH"
