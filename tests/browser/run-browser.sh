#!/bin/sh
# The dashboard and the HTML report in a real browser: headless Chromium
# driven over the DevTools protocol (cdp.py) while a study runs. Skips,
# saying why, when chromium or python3-websocket is missing.
# Usage: run-browser.sh BUDGETOPT SRCDIR SCRATCH
set -eu
BIN=$1
SRC=$2
SCRATCH=${3:-${TMPDIR:-/tmp}/bo-browser}

CHROMIUM=""
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then
		CHROMIUM=$(command -v "$c")
		break
	fi
done
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: chromium is not installed (apt-get install chromium)"
	exit 0
fi
# python3-websocket is a Debian package: the system python has it even
# when another python3 comes first on PATH.
PY=""
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c "import websocket" >/dev/null 2>&1; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "SKIP: python3-websocket is not installed (apt-get install python3-websocket)"
	exit 0
fi
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
exec "$PY" "$SRC/tests/browser/cdp.py" "$BIN" "$CHROMIUM" "$SCRATCH"
