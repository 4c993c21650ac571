#!/bin/bash
# The shared library exports exactly the public API: every function declared
# with BO_API in include/budgetopt/*.h, and nothing else (internal bo__
# functions and the libraries budgetopt uses stay hidden).
# Usage (from CTest): run-symbols.sh <budgetopt program> <source dir> <scratch dir>
set -euo pipefail
bin=$1 src=$2 tmp=$3
lib=$(dirname "$bin")/libbudgetopt.so.0
mkdir -p "$tmp"
if [ ! -e "$lib" ]; then
	echo "FAIL: $lib not built" >&2
	exit 1
fi
command -v nm >/dev/null || { echo "SKIP: nm (binutils) not installed"; exit 77; }

# Declared: "BO_API <type> [*]bo_name(" in the public headers.
grep -hoE '^BO_API [^(]*\bbo_[a-z0-9_]+\(' "$src"/include/budgetopt/*.h |
	grep -oE 'bo_[a-z0-9_]+\($' | tr -d '(' | sort -u > "$tmp/declared"
# Exported: defined dynamic symbols (functions and data), minus what every
# shared object has.
nm -D --defined-only "$lib" | awk '{print $3}' |
	grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u > "$tmp/exported"

n=$(wc -l < "$tmp/declared")
if [ "$n" -lt 20 ]; then
	echo "FAIL: found only $n BO_API declarations in include/budgetopt: is the pattern stale?" >&2
	exit 1
fi
if ! diff -u "$tmp/declared" "$tmp/exported" > "$tmp/diff"; then
	echo "FAIL: exported symbols differ from the BO_API declarations (- declared only, + exported only):" >&2
	cat "$tmp/diff" >&2
	exit 1
fi
# Every public function is declared BO_API: a bo_ function declared in a
# public header without it would silently be hidden.
if grep -nE '^(const |unsigned |struct )?[a-z_0-9]+ \*?bo_[a-z0-9_]+\(' "$src"/include/budgetopt/*.h; then
	echo "FAIL: the declarations above lack BO_API" >&2
	exit 1
fi
echo "ok: $n public functions, exported exactly"
