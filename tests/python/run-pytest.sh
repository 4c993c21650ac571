#!/bin/bash
# The Python package (python/) against the library and program just built:
# python3 -m pytest python/tests, with Debian's python3 (python3-cffi,
# python3-pytest; python3-pandas for the dataframe tests).
# Usage (from CTest): run-pytest.sh <budgetopt program> <source dir> <scratch dir>
set -euo pipefail
bin=$1 src=$2 tmp=$3
py=/usr/bin/python3
lib=$(cd "$(dirname "$bin")" && pwd)/libbudgetopt.so.0
[ -x "$py" ] || { echo "SKIP: $py not installed"; exit 77; }
if ! "$py" -c "import cffi, pytest" 2>/dev/null; then
	echo "SKIP: python3-cffi or python3-pytest not installed (apt-get install python3-cffi python3-pytest)"
	exit 77
fi
rm -rf "$tmp" && mkdir -p "$tmp"
export BUDGETOPT_LIBRARY=$lib BUDGETOPT_PROGRAM=$bin PYTHONPATH=$src/python PYTHONDONTWRITEBYTECODE=1
# A library built with AddressSanitizer needs its runtime loaded first; the
# interpreter's own allocations are not ours to report.
if grep -q 'NEEDED.*libasan' <<< "$(readelf -d "$lib")"; then
	asan=$(gcc -print-file-name=libasan.so)
	[ -f "$asan" ] || { echo "SKIP: the library is built with ASan and libasan.so is not found"; exit 77; }
	export LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0
fi
cd "$tmp"
exec "$py" -m pytest -q -p no:cacheprovider --basetemp="$tmp/pytest" "$src/python/tests"
