#!/bin/sh
# Installs the Debian 12 packages budgetopt needs to build, test and run its
# examples, if any is missing. Used by `make demo`, `make check` and .ci/run.
# Set BO_NO_INSTALL=1 to only report what is missing.
set -eu

PACKAGES="build-essential cmake pkg-config
libsqlite3-dev libyaml-dev libjansson-dev libgsl-dev libcmocka-dev
liblapacke-dev libopenblas-dev libnlopt-dev
sqlite3 python3 python3-numpy python3-sklearn scdoc
libmicrohttpd-dev chromium python3-websocket
dpkg-dev debhelper
python3-cffi python3-pytest python3-pandas python3-optuna
clang libclang-rt-dev gcovr
slurm-wlm munge
libpq-dev postgresql python3-psycopg2"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: missing Debian packages:$missing" >&2
if [ "${BO_NO_INSTALL:-0}" = 1 ]; then
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: run as root or install sudo, or install them yourself: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
