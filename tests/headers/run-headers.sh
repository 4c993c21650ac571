#!/bin/bash
# Each public header compiles alone, as strict C11 and as C++, with every
# warning an error: the headers are the specification, nothing sloppy ships.
# Usage (from CTest): run-headers.sh <budgetopt program> <source dir> <scratch dir>
set -u
src=$2
tmp=$3
mkdir -p "$tmp"
pass=0
fail=0
for h in "$src"/include/budgetopt/*.h; do
	name=$(basename "$h")
	printf '#include "budgetopt/%s"\n#include "budgetopt/%s"\nint bo_header_test_%s;\n' \
		"$name" "$name" "${name%.h}" >"$tmp/c_$name.c"
	if gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$src/include" -c "$tmp/c_$name.c" \
		-o "$tmp/c_$name.o"; then
		echo "ok   $name as C11"
		pass=$((pass + 1))
	else
		echo "FAIL $name as C11"
		fail=$((fail + 1))
	fi
	cp "$tmp/c_$name.c" "$tmp/cxx_$name.cpp"
	if ! command -v g++ >/dev/null; then
		echo "skip $name as C++ (no g++)"
	elif g++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$src/include" -c "$tmp/cxx_$name.cpp" \
		-o "$tmp/cxx_$name.o"; then
		echo "ok   $name as C++"
		pass=$((pass + 1))
	else
		echo "FAIL $name as C++"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
