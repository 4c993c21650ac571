#!/bin/bash
# tests/pg/pg-ledger.sh BINARY SCRATCH - starts a private PostgreSQL server
# and runs a C test program against it (tests/pg/pg_ledger.c, the ledger
# comparison; tests/pg/pg_notify.c, waking idle workers), passing its URI.
# Exit 77 (skipped, with the reason) without PostgreSQL.
set -eu
bin=$1
tmp=$2
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/pgserver.sh"
pg_start "$tmp"
"$bin" "$PG_URI" "$tmp/files"
