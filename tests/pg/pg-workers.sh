#!/bin/bash
# tests/pg/pg-workers.sh BUDGETOPT SCRATCH - starts a private PostgreSQL
# server and runs tests/pg/workers.py against it. Exit 77 (skipped, with
# the reason) without PostgreSQL.
set -eu
prog=$1
tmp=$2
rm -rf "$tmp"
mkdir -p "$tmp"
. "$(dirname "$0")/pgserver.sh"
pg_start "$tmp"
if [ "$(id -u)" = 0 ]; then as="runuser -u postgres --"; else as=""; fi
export PG_CTL_STOP="$as $PG_BIN/pg_ctl -D $PG_DATA/data -m fast -w stop"
export PG_CTL_START="$as $PG_BIN/pg_ctl -D $PG_DATA/data -l $PG_LOG -w -t 60 start"
python3 "$(dirname "$0")/workers.py" "$prog" "$tmp"
