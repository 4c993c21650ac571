# tests/pg/pgserver.sh - sourced by the PostgreSQL tests: starts a private
# server (initdb in a temporary folder, a free port on 127.0.0.1, trust
# authentication for that address only) and tears it down on exit.
#
#   pg_start DIR        sets PG_URI (postgresql://postgres@127.0.0.1:PORT/postgres),
#                       PG_PORT, PG_DATA, PG_BIN; exits 77 (CTest: skipped)
#                       with the reason when PostgreSQL is not installed
#   pg_stop / pg_restart   pg_ctl stop -m fast / start of the same server
#   pg_createdb NAME    a fresh database; prints its URI
#
# PostgreSQL refuses to run as root: as root, the server runs as the
# postgres user (Debian's package creates it), else as the caller.

pg_find_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_BIN=$d
		fi
	done
	[ -n "${PG_BIN:-}" ]
}

pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pg_start() {
	local dir=$1
	if ! pg_find_bin; then
		echo "SKIP: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql (scripts/install-deps.sh)"
		exit 77
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "SKIP: running as root and there is no postgres user to run the server as"
		exit 77
	fi
	PG_DATA=$(mktemp -d "${TMPDIR:-/tmp}/bo-pg.XXXXXX")
	chmod 755 "$PG_DATA"
	[ "$(id -u)" = 0 ] && chown postgres "$PG_DATA"
	PG_PORT=$(pg_free_port)
	pg_as "$PG_BIN/initdb" -D "$PG_DATA/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 || {
		echo "initdb failed:"; cat "$dir/initdb.log"; exit 1; }
	cat >>"$PG_DATA/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DATA'
max_connections = 60
fsync = off
CONF
	PG_LOG=$dir/postgres.log
	touch "$PG_LOG"
	[ "$(id -u)" = 0 ] && chown postgres "$PG_LOG"
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_LOG" -w -t 60 start >/dev/null || {
		echo "pg_ctl start failed:"; cat "$PG_LOG"; exit 1; }
	trap pg_teardown EXIT
	PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
	export PG_URI PG_PORT PG_DATA PG_BIN
}

pg_stop() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m fast -w stop >/dev/null
}

pg_restart() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_LOG" -w -t 60 start >/dev/null
}

pg_teardown() {
	if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA/data" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$PG_DATA"
	fi
}

pg_createdb() {
	"$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -d "$PG_URI" -c "CREATE DATABASE \"$1\"" >/dev/null || exit 1
	echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"
}
