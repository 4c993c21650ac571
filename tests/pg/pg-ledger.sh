#!/bin/bash
# tests/pg/pg-ledger.sh PG_LEDGER_BINARY SCRATCH - starts a private
# PostgreSQL server and runs the ledger comparison (tests/pg/pg_ledger.c)
# against it. Exit 77 (skipped, with the reason) without PostgreSQL.
set -eu
bin=$1
tmp=$2
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/pgserver.sh"
pg_start "$tmp"
"$bin" "$PG_URI" "$tmp/files"
