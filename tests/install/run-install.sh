#!/bin/bash
# Installs the build into a temporary prefix and uses it the way a user
# outside the source tree would: examples/embed compiled against the
# installed headers and library with pkg-config and with CMake's
# find_package (shared and static), run, and linked to libbudgetopt.so.0.
# Usage (from CTest): run-install.sh <budgetopt program> <source dir> <scratch dir>
set -euo pipefail
# (grep -q reads a captured output, never a pipe: with pipefail, grep -q
# leaving early makes the writer die of SIGPIPE and the check fail at random)
bin=$1 src=$2 tmp=$3
build=$(cd "$(dirname "$bin")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
prefix=$tmp/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }
# Extra flags for the programs built here (the sanitizers, in that build).
read -r -a cflags <<< "${BO_TEST_CFLAGS:-}"

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" ||
	{ cat "$tmp/install.log" >&2; fail "cmake --install"; }

# What a user gets.
for f in bin/budgetopt include/budgetopt/budgetopt.h include/budgetopt/optimizer.h; do
	[ -f "$prefix/$f" ] || fail "$f not installed"
done
libdir=$(dirname "$(find "$prefix" -name libbudgetopt.so.0 | head -1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "libbudgetopt.so.0 not installed"
for f in libbudgetopt.so libbudgetopt.a pkgconfig/budgetopt.pc cmake/budgetopt/budgetoptConfig.cmake \
	cmake/budgetopt/budgetoptConfigVersion.cmake cmake/budgetopt/budgetoptTargets.cmake; do
	[ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
[ "$(readlink "$libdir/libbudgetopt.so")" = libbudgetopt.so.0 ] || fail "libbudgetopt.so is not a link to the SONAME"
grep -q "^budgetopt $("$bin" --version | head -1 | cut -d' ' -f2)$" <<< "$("$prefix/bin/budgetopt" --version)" ||
	fail "the installed program reports another version"

run_embed() { # program: runs it, checks its answer and what it links
	local exe=$1 kind=$2
	LD_LIBRARY_PATH=$libdir "$exe" tpe > "$tmp/$kind.out" 2>&1 || { cat "$tmp/$kind.out" >&2; fail "$kind: embed failed"; }
	grep -q "best y = " "$tmp/$kind.out" || { cat "$tmp/$kind.out" >&2; fail "$kind: no answer"; }
}

# pkg-config, shared.
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${cflags[@]}" -o "$tmp/embed_pc" "$src/examples/embed/embed.c" $(pkg-config --cflags --libs budgetopt) -lm ||
	fail "examples/embed does not build with pkg-config --cflags --libs budgetopt"
run_embed "$tmp/embed_pc" pkg-config
grep -q "libbudgetopt.so.0 => $libdir/" <<< "$(LD_LIBRARY_PATH=$libdir ldd "$tmp/embed_pc")" ||
	{ LD_LIBRARY_PATH=$libdir ldd "$tmp/embed_pc" >&2; fail "ldd: embed does not load libbudgetopt.so.0 from the prefix"; }
grep -q 'NEEDED.*\[libbudgetopt.so.0\]' <<< "$(readelf -d "$tmp/embed_pc")" || fail "embed does not NEED libbudgetopt.so.0"
# pkg-config, static: the archive, then its dependencies (shared, as a
# Debian system has them) named by Requires.private.
deps=$(pkg-config --print-requires-private budgetopt | awk '{print $1}' | tr '\n' ' ')
[ -n "$deps" ] || fail "budgetopt.pc names no private requirements"
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Werror "${cflags[@]}" -o "$tmp/embed_pc_static" "$src/examples/embed/embed.c" \
	$(pkg-config --cflags budgetopt) "$libdir/libbudgetopt.a" $(pkg-config --libs $deps) -lm -pthread ||
	fail "examples/embed does not build against libbudgetopt.a and the .pc file's private requirements"
run_embed "$tmp/embed_pc_static" pkg-config-static
if grep -q 'libbudgetopt' <<< "$(readelf -d "$tmp/embed_pc_static")"; then fail "the static build still needs libbudgetopt.so"; fi

# CMake's find_package.
cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
	-DEMBED_SOURCE="$src/examples/embed/embed.c" -DCMAKE_C_FLAGS="${BO_TEST_CFLAGS:-}" \
	-DCMAKE_EXE_LINKER_FLAGS="${BO_TEST_CFLAGS:-}" > "$tmp/consumer.log" 2>&1 ||
	{ cat "$tmp/consumer.log" >&2; fail "find_package(budgetopt) failed"; }
cmake --build "$tmp/consumer" >> "$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log" >&2; fail "consumer build"; }
run_embed "$tmp/consumer/embed_shared" cmake-shared
run_embed "$tmp/consumer/embed_static" cmake-static
grep -q 'NEEDED.*\[libbudgetopt.so.0\]' <<< "$(readelf -d "$tmp/consumer/embed_shared")" || fail "budgetopt::budgetopt is not the shared library"
# The Python package, from the prefix, over the installed library.
preload=
if grep -q 'NEEDED.*libasan' <<< "$(readelf -d "$libdir/libbudgetopt.so.0")"; then
	preload=$(gcc -print-file-name=libasan.so)   # the sanitizers' build: python needs their runtime first
fi
if /usr/bin/python3 -c "import cffi" 2>/dev/null; then
	got=$(cd "$tmp" && LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 PYTHONPATH=$prefix/lib/python3/dist-packages BUDGETOPT_LIBRARY=$libdir/libbudgetopt.so.0 \
		/usr/bin/python3 -c "import budgetopt, sys; sys.stdout.write(budgetopt.__file__ + ' ' + budgetopt.__version__)")
	case $got in "$prefix/"*" $("$bin" --version | head -1 | cut -d' ' -f2)") ;; *) fail "the installed Python package: $got" ;; esac
else
	echo "note: python3-cffi is not installed: the installed Python package was not imported"
fi
echo "ok: installed to $prefix; embed built with pkg-config and find_package, shared and static"
